/* api: the HTTP side, end to end over a real Unix socket.
 *
 * Each test starts a pr_loop and a pr_api on a socket in a temp dir, with
 * test routes, and drives requests with libcurl from a second thread while
 * the loop runs on this one (api_client.c). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "api_client.h"
#include "pirack/api.h"
#include "daemon/api/api_internal.h"
#include "pirack/loop.h"

struct fixture {
    char dir[64];
    char sock[128];
    struct pr_loop *loop;
    struct pr_api *api;
    struct api_batch b;
};

/* ---- test routes ---- */

static void h_echo(struct pr_api_req *req, void *ctx)
{
    (void)ctx;
    pr_api_reply_json(req, 200,
                      json_pack("{s:s, s:s, s:s, s:s, s:s}", "a", pr_api_req_param(req, "a"), "b",
                                pr_api_req_param(req, "b"), "method", pr_api_req_method(req),
                                "path", pr_api_req_path(req), "actor", pr_api_req_actor(req)));
}

static void h_body(struct pr_api_req *req, void *ctx)
{
    json_t *body = pr_api_req_body(req);

    (void)ctx;
    pr_api_reply_json(req, 201, json_pack("{s:O?}", "got", body));
}

static void h_query(struct pr_api_req *req, void *ctx)
{
    static const char *const allowed[] = { "n", "s", NULL };
    int64_t n = -1;
    const char *s;

    (void)ctx;
    if (pr_api_req_check_query(req, allowed) < 0 || pr_api_req_uint_query(req, "n", 1, 100, &n) < 0)
        return;
    s = pr_api_req_query(req, "s");
    pr_api_reply_json(req, 200, json_pack("{s:I, s:s?}", "n", (json_int_t)n, "s", s));
}

static void h_item(struct pr_api_req *req, void *ctx)
{
    long id = pr_api_req_uint_param(req, "id", 1, 10);

    (void)ctx;
    if (id < 0)
        return;
    pr_api_reply_json(req, 200, json_pack("{s:i}", "id", (int)id));
}

static void h_all(struct pr_api_req *req, void *ctx)
{
    (void)ctx;
    pr_api_reply_json(req, 200, json_pack("{s:b}", "all", 1));
}

static void h_silent(struct pr_api_req *req, void *ctx)
{
    (void)req;
    (void)ctx;
}

static void h_twice(struct pr_api_req *req, void *ctx)
{
    (void)ctx;
    pr_api_reply_error(req, PR_API_ERR_CONFLICT, "first answer, number %d", 1);
    pr_api_reply_json(req, 200, json_pack("{s:s}", "second", "ignored"));
}

/* ---- fixture ---- */

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/pirack-api.XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->sock, sizeof(f->sock), "%s/api.sock", f->dir);
    f->loop = pr_loop_new();
    f->api = pr_api_new(f->loop);
    if (!f->loop || !f->api || pr_api_listen_unix(f->api, f->sock, 0660, "") < 0)
        return -1;
    if (pr_api_route(f->api, "GET", "/t/echo/{a}/{b}", h_echo, NULL) < 0 ||
        pr_api_route(f->api, "POST", "/t/body", h_body, NULL) < 0 ||
        pr_api_route(f->api, "PUT", "/t/body", h_body, NULL) < 0 ||
        pr_api_route(f->api, "GET", "/t/query", h_query, NULL) < 0 ||
        pr_api_route(f->api, "GET", "/t/items/{id}", h_item, NULL) < 0 ||
        pr_api_route(f->api, "GET", "/t/items/all", h_all, NULL) < 0 ||
        pr_api_route(f->api, "GET", "/t/silent", h_silent, NULL) < 0 ||
        pr_api_route(f->api, "GET", "/t/twice", h_twice, NULL) < 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    api_batch_clear(&f->b);
    pr_api_free(f->api);
    pr_loop_free(f->loop);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* ---- tests ---- */

static void test_route_with_params(void **state)
{
    struct fixture *f = *state;
    static const struct http_req reqs[] = {
        { "GET", "/t/echo/first/second", NULL, 0, false, false, NULL },
        { "GET", "/t/echo/%41b/c%20d", NULL, 0, false, false, NULL },
    };

    api_batch_run(&f->b, f->sock, f->loop, reqs, 2);
    assert_int_equal(f->b.res[0].status, 200);
    assert_string_equal(f->b.res[0].content_type, "application/json");
    assert_non_null(f->b.res[0].json);
    assert_string_equal(api_json_str(f->b.res[0].json, "a"), "first");
    assert_string_equal(api_json_str(f->b.res[0].json, "b"), "second");
    assert_string_equal(api_json_str(f->b.res[0].json, "method"), "GET");
    assert_string_equal(api_json_str(f->b.res[0].json, "path"), "/t/echo/first/second");
    /* the operator is named by the uid the kernel vouches for */
    char ops[32];
    snprintf(ops, sizeof(ops), "ops:uid=%u", (unsigned)getuid());
    assert_string_equal(api_json_str(f->b.res[0].json, "actor"), ops);
    /* Segments arrive percent-decoded. */
    assert_int_equal(f->b.res[1].status, 200);
    assert_string_equal(api_json_str(f->b.res[1].json, "a"), "Ab");
    assert_string_equal(api_json_str(f->b.res[1].json, "b"), "c d");
}

static void test_unknown_route_is_404(void **state)
{
    struct fixture *f = *state;
    static const struct http_req reqs[] = {
        { "GET", "/nowhere", NULL, 0, false, false, NULL },
        { "GET", "/t/echo/only-one", NULL, 0, false, false, NULL },
        { "GET", "/t/query/", NULL, 0, false, false, NULL },
        { "POST", "/nowhere", "{\"a\":1}", 0, false, false, NULL },
    };

    api_batch_run(&f->b, f->sock, f->loop, reqs, 4);
    for (size_t i = 0; i < 4; i++)
        api_assert_error(&f->b.res[i], 404, "not-found");
    assert_non_null(strstr(api_json_str(f->b.res[0].json, "detail"), "/nowhere"));
}

static void test_wrong_method_is_405_with_allow(void **state)
{
    struct fixture *f = *state;
    static const struct http_req reqs[] = {
        { "DELETE", "/t/body", NULL, 0, false, false, NULL },
        { "POST", "/t/echo/a/b", "{}", 0, false, false, NULL },
    };

    api_batch_run(&f->b, f->sock, f->loop, reqs, 2);
    api_assert_error(&f->b.res[0], 405, "method-not-allowed");
    assert_string_equal(f->b.res[0].allow, "POST, PUT");
    api_assert_error(&f->b.res[1], 405, "method-not-allowed");
    assert_string_equal(f->b.res[1].allow, "GET");
}

static void test_json_body(void **state)
{
    struct fixture *f = *state;
    static const struct http_req reqs[] = {
        { "POST", "/t/body", "{\"name\": \"pi-1\", \"n\": [1, 2]}", 0, false, false, NULL },
        { "PUT", "/t/body", "{\"x\": true}", 0, true, false, NULL },
        { "POST", "/t/body", NULL, 0, false, false, NULL },
    };
    json_t *got;

    api_batch_run(&f->b, f->sock, f->loop, reqs, 3);
    assert_int_equal(f->b.res[0].status, 201);
    got = json_object_get(f->b.res[0].json, "got");
    assert_string_equal(api_json_str(got, "name"), "pi-1");
    assert_int_equal(json_array_size(json_object_get(got, "n")), 2);
    assert_int_equal(f->b.res[1].status, 201);
    assert_true(json_is_true(json_object_get(json_object_get(f->b.res[1].json, "got"), "x")));
    /* No body: the handler sees NULL. */
    assert_int_equal(f->b.res[2].status, 201);
    assert_true(json_is_null(json_object_get(f->b.res[2].json, "got")));
}

static void test_bad_json_is_400(void **state)
{
    struct fixture *f = *state;
    static const struct http_req reqs[] = {
        { "POST", "/t/body", "{\"name\": ", 0, false, false, NULL },
        { "POST", "/t/body", "not json at all", 0, true, false, NULL },
        { "POST", "/t/body", "[1, 2, 3]", 0, false, false, NULL },
        { "POST", "/t/body", "{\"a\": 1, \"a\": 2}", 0, false, false, NULL },
        { "POST", "/t/body", "{\"a\": 1}\0trailing", 17, false, false, NULL },
    };

    api_batch_run(&f->b, f->sock, f->loop, reqs, 5);
    for (size_t i = 0; i < 5; i++)
        api_assert_error(&f->b.res[i], 400, "bad-request");
    assert_non_null(strstr(api_json_str(f->b.res[0].json, "detail"), "not JSON"));
    assert_non_null(strstr(api_json_str(f->b.res[2].json, "detail"), "object"));
}

/* {"x": "aaa..."} of exactly len bytes. */
static char *json_of_size(size_t len)
{
    char *s = malloc(len + 1);

    assert_non_null(s);
    memset(s, 'a', len);
    memcpy(s, "{\"x\": \"", 7);
    memcpy(s + len - 2, "\"}", 2);
    s[len] = '\0';
    return s;
}

static void test_body_limit_is_413(void **state)
{
    struct fixture *f = *state;
    char *at_limit = json_of_size(PR_API_MAX_BODY);
    char *over = json_of_size(PR_API_MAX_BODY + 1);
    char *well_over = json_of_size(8 * PR_API_MAX_BODY);
    /* Far past what the socket buffers hold. */
    char *far_over = json_of_size(64 * PR_API_MAX_BODY);
    const struct http_req reqs[] = {
        { "POST", "/t/body", at_limit, 0, false, false, NULL },
        { "POST", "/t/body", over, 0, false, false, NULL },
        { "POST", "/t/body", over, 0, true, false, NULL }, /* no Content-Length */
        { "POST", "/t/body", well_over, 0, true, false, NULL },
        /* A Content-Length over the limit is answered before the body. */
        { "POST", "/t/body", far_over, 0, false, false, NULL },
        { "POST", "/t/body", "{\"after\": 1}", 0, false, false, NULL },
        /* Without one (chunked), far past the limit: still a 413, read
         * to the end, not a reset (the server hangs up only past 1024
         * times the limit). */
        { "POST", "/t/body", far_over, 0, true, false, NULL },
        { "POST", "/t/body", "{\"after\": 2}", 0, false, false, NULL },
    };

    api_batch_run(&f->b, f->sock, f->loop, reqs, 8);
    assert_int_equal(f->b.res[0].status, 201);
    assert_int_equal(strlen(api_json_str(json_object_get(f->b.res[0].json, "got"), "x")),
                     PR_API_MAX_BODY - 9);
    for (size_t i = 1; i <= 4; i++)
        api_assert_error(&f->b.res[i], 413, "too-large");
    api_assert_error(&f->b.res[6], 413, "too-large");
    /* The server is still fine afterwards. */
    assert_int_equal(f->b.res[5].status, 201);
    assert_int_equal(f->b.res[7].status, 201);
    free(at_limit);
    free(over);
    free(well_over);
    free(far_over);
}

static void test_query_parsing(void **state)
{
    struct fixture *f = *state;
    static const struct http_req reqs[] = {
        { "GET", "/t/query?n=42&s=hello%20there", NULL, 0, false, false, NULL },
        { "GET", "/t/query", NULL, 0, false, false, NULL },
        { "GET", "/t/query?n=abc", NULL, 0, false, false, NULL },
        { "GET", "/t/query?n=0", NULL, 0, false, false, NULL },
        { "GET", "/t/query?n=101", NULL, 0, false, false, NULL },
        { "GET", "/t/query?n=", NULL, 0, false, false, NULL },
        { "GET", "/t/query?n", NULL, 0, false, false, NULL },
        { "GET", "/t/query?n=-1", NULL, 0, false, false, NULL },
        { "GET", "/t/query?n=007", NULL, 0, false, false, NULL },
        { "GET", "/t/query?bogus=1", NULL, 0, false, false, NULL },
        { "GET", "/t/query?n=99999999999999999999999", NULL, 0, false, false, NULL },
    };

    api_batch_run(&f->b, f->sock, f->loop, reqs, 11);
    assert_int_equal(f->b.res[0].status, 200);
    assert_int_equal(json_integer_value(json_object_get(f->b.res[0].json, "n")), 42);
    assert_string_equal(api_json_str(f->b.res[0].json, "s"), "hello there");
    assert_int_equal(f->b.res[1].status, 200);
    assert_int_equal(json_integer_value(json_object_get(f->b.res[1].json, "n")), -1);
    assert_true(json_is_null(json_object_get(f->b.res[1].json, "s")));
    for (size_t i = 2; i < 11; i++)
        api_assert_error(&f->b.res[i], 400, "bad-request");
    assert_non_null(strstr(api_json_str(f->b.res[2].json, "detail"), "n must be"));
    assert_non_null(strstr(api_json_str(f->b.res[9].json, "detail"), "bogus"));
}

static void test_uint_param_and_literal_route(void **state)
{
    struct fixture *f = *state;
    static const struct http_req reqs[] = {
        { "GET", "/t/items/7", NULL, 0, false, false, NULL },
        { "GET", "/t/items/11", NULL, 0, false, false, NULL },
        { "GET", "/t/items/x7", NULL, 0, false, false, NULL },
        { "GET", "/t/items/all", NULL, 0, false, false, NULL },
    };

    api_batch_run(&f->b, f->sock, f->loop, reqs, 4);
    assert_int_equal(f->b.res[0].status, 200);
    assert_int_equal(json_integer_value(json_object_get(f->b.res[0].json, "id")), 7);
    api_assert_error(&f->b.res[1], 400, "bad-request");
    assert_non_null(strstr(api_json_str(f->b.res[1].json, "detail"), "{id}"));
    api_assert_error(&f->b.res[2], 400, "bad-request");
    assert_int_equal(f->b.res[3].status, 200);
    assert_true(json_is_true(json_object_get(f->b.res[3].json, "all")));
}

static void test_handler_answers_exactly_once(void **state)
{
    struct fixture *f = *state;
    static const struct http_req reqs[] = {
        { "GET", "/t/silent", NULL, 0, false, false, NULL },
        { "GET", "/t/twice", NULL, 0, false, false, NULL },
    };

    api_batch_run(&f->b, f->sock, f->loop, reqs, 2);
    api_assert_error(&f->b.res[0], 500, "internal");
    api_assert_error(&f->b.res[1], 409, "conflict");
    assert_string_equal(api_json_str(f->b.res[1].json, "detail"), "first answer, number 1");
}

static void test_many_requests_on_one_connection(void **state)
{
    struct fixture *f = *state;
    struct http_req reqs[API_BATCH_MAX];

    for (size_t i = 0; i < API_BATCH_MAX; i++)
        reqs[i] = (struct http_req){
            "GET", i % 2 ? "/t/items/3" : "/nowhere", NULL, 0, false, false, NULL
        };
    api_batch_run(&f->b, f->sock, f->loop, reqs, API_BATCH_MAX);
    for (size_t i = 0; i < API_BATCH_MAX; i++)
        assert_int_equal(f->b.res[i].status, i % 2 ? 200 : 404);
}

/* ---- the socket file ---- */

static void test_socket_mode_and_cleanup(void **state)
{
    struct fixture *f = *state;
    struct stat st;

    assert_int_equal(stat(f->sock, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0660);
    /* A second daemon must not steal a live socket. */
    struct pr_api *other = pr_api_new(f->loop);
    assert_int_equal(pr_api_listen_unix(other, f->sock, 0600, ""), -EADDRINUSE);
    pr_api_free(other);
    assert_int_equal(stat(f->sock, &st), 0);
    pr_api_free(f->api);
    f->api = NULL;
    assert_int_equal(stat(f->sock, &st), -1);
    assert_int_equal(errno, ENOENT);
}

static void test_stale_socket_is_replaced(void **state)
{
    struct fixture *f = *state;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    char path[160], file[160];
    struct pr_api *api;
    struct stat st;
    int fd;

    /* A socket file whose daemon died: bound, never listened, closed. */
    snprintf(path, sizeof(path), "%s/stale.sock", f->dir);
    assert_true(strlen(path) < sizeof(sa.sun_path));
    memcpy(sa.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    close(fd);
    api = pr_api_new(f->loop);
    assert_int_equal(pr_api_listen_unix(api, path, 0600, ""), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    pr_api_free(api);

    /* Something that is not a socket is never removed. */
    snprintf(file, sizeof(file), "%s/plain", f->dir);
    fd = open(file, O_CREAT | O_WRONLY, 0600);
    assert_true(fd >= 0);
    close(fd);
    api = pr_api_new(f->loop);
    assert_int_equal(pr_api_listen_unix(api, file, 0600, ""), -EEXIST);
    assert_int_equal(pr_api_listen_unix(api, "/tmp/no/such/dir/for/pirack/api.sock", 0600, ""),
                     -ENOENT);
    assert_int_equal(pr_api_listen_unix(api, f->sock, 0600, "no-such-group-pirack"), -EADDRINUSE);
    pr_api_free(api);
    assert_int_equal(stat(file, &st), 0);
    unlink(file);
}

static void test_group_and_bad_arguments(void **state)
{
    struct fixture *f = *state;
    char path[160], longpath[256], gid[16];
    struct pr_api *api = pr_api_new(f->loop);
    struct stat st;

    snprintf(path, sizeof(path), "%s/grp.sock", f->dir);
    assert_int_equal(pr_api_listen_unix(api, path, 0660, "no-such-group-pirack"), -ENOENT);
    assert_int_equal(stat(path, &st), -1); /* nothing left behind */
    snprintf(gid, sizeof(gid), "%u", (unsigned)getegid());
    assert_int_equal(pr_api_listen_unix(api, path, 0660, gid), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_gid, getegid());
    memset(longpath, 'x', sizeof(longpath) - 1);
    longpath[0] = '/';
    longpath[sizeof(longpath) - 1] = '\0';
    assert_int_equal(pr_api_listen_unix(api, longpath, 0600, ""), -ENAMETOOLONG);
    assert_int_equal(pr_api_route(api, "GET", "no-slash", h_all, NULL), -EINVAL);
    assert_int_equal(pr_api_route(api, "get", "/x", h_all, NULL), -EINVAL);
    assert_int_equal(pr_api_route(api, "GET", "/x/{}", h_all, NULL), -EINVAL);
    assert_int_equal(pr_api_route(api, "GET", "/x", NULL, NULL), -EINVAL);
    assert_int_equal(pr_api_route(api, "GET", "/x/{a}", h_all, NULL), 0);
    assert_int_equal(pr_api_route(api, "GET", "/x/{b}", h_all, NULL), -EEXIST);
    pr_api_free(api);
    assert_int_equal(stat(path, &st), -1);
    assert_null(pr_api_new(NULL));
    pr_api_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_route_with_params, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_route_is_404, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_method_is_405_with_allow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_body, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_json_is_400, setup, teardown),
        cmocka_unit_test_setup_teardown(test_body_limit_is_413, setup, teardown),
        cmocka_unit_test_setup_teardown(test_query_parsing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uint_param_and_literal_route, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handler_answers_exactly_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_requests_on_one_connection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_socket_mode_and_cleanup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_socket_is_replaced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_and_bad_arguments, setup, teardown),
    };

    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = cmocka_run_group_tests_name("api", tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
