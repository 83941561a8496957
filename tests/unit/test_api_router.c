/* api_router and api_util: the route table and the small parsers, without
 * HTTP. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/api/api_internal.h"
#include "daemon/api/router.h"

static int tag[8];

static struct pr_router *table(void)
{
    struct pr_router *r = pr_router_new();

    assert_non_null(r);
    assert_int_equal(pr_router_add(r, "GET", "/v1/status", &tag[0]), 0);
    assert_int_equal(pr_router_add(r, "GET", "/v1/slots/{n}", &tag[1]), 0);
    assert_int_equal(pr_router_add(r, "POST", "/v1/slots/{n}/power", &tag[2]), 0);
    assert_int_equal(pr_router_add(r, "GET", "/v1/slots/{n}/power", &tag[3]), 0);
    assert_int_equal(pr_router_add(r, "GET", "/v1/slots/all", &tag[4]), 0);
    assert_int_equal(pr_router_add(r, "DELETE", "/v1/{kind}/{id}", &tag[5]), 0);
    assert_int_equal(pr_router_add(r, "GET", "/", &tag[6]), 0);
    return r;
}

static void test_literal_and_params(void **state)
{
    struct pr_router *r = table();
    struct pr_route_match m;

    (void)state;
    assert_int_equal(pr_router_match(r, "GET", "/v1/status", &m), PR_ROUTE_FOUND);
    assert_ptr_equal(m.data, &tag[0]);
    assert_int_equal(m.n_params, 0);

    assert_int_equal(pr_router_match(r, "GET", "/v1/slots/17", &m), PR_ROUTE_FOUND);
    assert_ptr_equal(m.data, &tag[1]);
    assert_string_equal(pr_route_param(&m, "n"), "17");
    assert_null(pr_route_param(&m, "m"));

    assert_int_equal(pr_router_match(r, "POST", "/v1/slots/3/power", &m), PR_ROUTE_FOUND);
    assert_ptr_equal(m.data, &tag[2]);
    assert_string_equal(pr_route_param(&m, "n"), "3");

    assert_int_equal(pr_router_match(r, "GET", "/", &m), PR_ROUTE_FOUND);
    assert_ptr_equal(m.data, &tag[6]);
    pr_router_free(r);
}

static void test_literal_beats_param(void **state)
{
    struct pr_router *r = table();
    struct pr_route_match m;

    (void)state;
    assert_int_equal(pr_router_match(r, "GET", "/v1/slots/all", &m), PR_ROUTE_FOUND);
    assert_ptr_equal(m.data, &tag[4]);
    /* /v1/slots/all is the more specific shape: DELETE is not allowed on
     * it, even though /v1/{kind}/{id} would take the path. */
    assert_int_equal(pr_router_match(r, "DELETE", "/v1/slots/all", &m), PR_ROUTE_BAD_METHOD);
    assert_string_equal(m.allow, "GET");
    /* And DELETE /v1/slots/5: /v1/slots/{n} is more specific than
     * /v1/{kind}/{id} too. */
    assert_int_equal(pr_router_match(r, "DELETE", "/v1/slots/5", &m), PR_ROUTE_BAD_METHOD);
    assert_int_equal(pr_router_match(r, "DELETE", "/v1/images/buster", &m), PR_ROUTE_FOUND);
    assert_ptr_equal(m.data, &tag[5]);
    assert_string_equal(pr_route_param(&m, "kind"), "images");
    assert_string_equal(pr_route_param(&m, "id"), "buster");
    pr_router_free(r);
}

static void test_not_found_and_bad_method(void **state)
{
    struct pr_router *r = table();
    struct pr_route_match m;

    (void)state;
    static const char *const missing[] = {
        "/v1",         "/v1/slots", "/v1/slots/", "/v1/slots//power",        "//v1/status",
        "/v1/status/", "v1/status", "",           "/v1/slots/1/power/extra", "/V1/STATUS",
    };
    for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++)
        assert_int_equal(pr_router_match(r, "GET", missing[i], &m), PR_ROUTE_NOT_FOUND);

    assert_int_equal(pr_router_match(r, "PUT", "/v1/slots/3/power", &m), PR_ROUTE_BAD_METHOD);
    assert_string_equal(m.allow, "POST, GET");
    assert_null(m.data);
    assert_int_equal(pr_router_match(r, "POST", "/v1/status", &m), PR_ROUTE_BAD_METHOD);
    assert_string_equal(m.allow, "GET");
    pr_router_free(r);
}

static void test_limits(void **state)
{
    struct pr_router *r = table();
    struct pr_route_match m;
    char path[PR_ROUTER_MAX_PATH + 2];

    (void)state;
    memset(path, 'a', sizeof(path));
    path[0] = '/';
    path[PR_ROUTER_MAX_PATH + 1] = '\0';
    assert_int_equal(pr_router_match(r, "GET", path, &m), PR_ROUTE_TOO_LONG);
    path[PR_ROUTER_MAX_PATH] = '\0';
    assert_int_equal(pr_router_match(r, "GET", path, &m), PR_ROUTE_NOT_FOUND);
    /* More segments than a pattern may have: no match, no overflow. */
    char deep[2 * PR_ROUTER_MAX_SEGMENTS + 8] = "";
    for (int i = 0; i < PR_ROUTER_MAX_SEGMENTS + 2; i++)
        strcat(deep, "/a");
    assert_int_equal(pr_router_match(r, "GET", deep, &m), PR_ROUTE_NOT_FOUND);
    assert_int_equal(pr_router_add(r, "GET", deep, &tag[7]), -EINVAL);
    pr_router_free(r);
    pr_router_free(NULL);
}

static void test_bad_patterns(void **state)
{
    struct pr_router *r = pr_router_new();

    (void)state;
    static const char *const bad[] = {
        "",       "v1",        "/v1/",     "//v1",     "/v1//x", "/v1/{",
        "/v1/{}", "/v1/{a b}", "/v1/x{n}", "/v1/{n}x", "/v1/}",  "/v1/{n-1}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(pr_router_add(r, "GET", bad[i], NULL), -EINVAL);
    assert_int_equal(pr_router_add(r, "get", "/x", NULL), -EINVAL);
    assert_int_equal(pr_router_add(r, "", "/x", NULL), -EINVAL);
    assert_int_equal(pr_router_add(r, "TOOLONGMETHOD", "/x", NULL), -EINVAL);
    assert_int_equal(pr_router_add(r, "GET", "/x/{a}", NULL), 0);
    assert_int_equal(pr_router_add(r, "GET", "/x/{b}", NULL), -EEXIST);
    assert_int_equal(pr_router_add(r, "POST", "/x/{b}", NULL), 0);
    assert_int_equal(pr_router_add(r, "GET", "/x/y", NULL), 0);
    for (int i = 0; i < PR_ROUTER_MAX_ROUTES; i++) {
        char p[32];
        snprintf(p, sizeof(p), "/many/%d", i);
        int rc = pr_router_add(r, "GET", p, NULL);
        assert_true(rc == 0 || rc == -ENOSPC);
    }
    assert_int_equal(pr_router_add(r, "GET", "/one/more", NULL), -ENOSPC);
    pr_router_free(r);
}

static void test_parse_uint(void **state)
{
    int64_t v = -1;

    (void)state;
    assert_int_equal(pr_api_parse_uint("0", 0, 10, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(pr_api_parse_uint("108", 1, 108, &v), 0);
    assert_int_equal(v, 108);
    assert_int_equal(pr_api_parse_uint("9223372036854775807", 0, INT64_MAX, &v), 0);
    assert_int_equal(v, INT64_MAX);
    static const char *const bad[] = {
        "",
        "-1",
        "+1",
        " 1",
        "1 ",
        "01",
        "1x",
        "0x10",
        "109",
        "9223372036854775808",
        "99999999999999999999999",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(pr_api_parse_uint(bad[i], 0, 108, &v), -EINVAL);
    assert_int_equal(pr_api_parse_uint(NULL, 0, 1, &v), -EINVAL);
}

static void test_printable(void **state)
{
    char out[16];

    (void)state;
    assert_string_equal(pr_api_printable("/v1/ok", out, sizeof(out)), "/v1/ok");
    assert_string_equal(pr_api_printable("a\nb\x1b", out, sizeof(out)), "a\\x0ab\\x1b");
    assert_string_equal(pr_api_printable("a\\b", out, sizeof(out)), "a\\x5cb");
    assert_string_equal(pr_api_printable("0123456789abcdefghij", out, sizeof(out)),
                        "0123456789ab...");
    assert_string_equal(pr_api_printable("\x01\x02\x03\x04", out, sizeof(out)),
                        "\\x01\\x02\\x03...");
    assert_string_equal(pr_api_printable("", out, sizeof(out)), "");
}

static void test_error_body(void **state)
{
    json_t *e = pr_api_error_body("not-found", "no route for /x");

    (void)state;
    assert_string_equal(json_string_value(json_object_get(e, "error")), "not-found");
    assert_string_equal(json_string_value(json_object_get(e, "detail")), "no route for /x");
    json_decref(e);
    e = pr_api_error_body("gone", NULL);
    assert_string_equal(json_string_value(json_object_get(e, "detail")), "");
    json_decref(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literal_and_params),
        cmocka_unit_test(test_literal_beats_param),
        cmocka_unit_test(test_not_found_and_bad_method),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_bad_patterns),
        cmocka_unit_test(test_parse_uint),
        cmocka_unit_test(test_printable),
        cmocka_unit_test(test_error_body),
    };

    return cmocka_run_group_tests_name("api_router", tests, NULL, NULL);
}
