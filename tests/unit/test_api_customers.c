/* api_customers: the operator's customers and API keys on the Unix socket
 * (GET/POST /v1/customers, DELETE /v1/customers/{name}, GET/POST /v1/keys,
 * DELETE /v1/keys/{id}) against a real store: what each answers, that the
 * secret is shown once and never listed, and that every change is an event
 * whose actor is the operator's uid. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "api_fixture.h"
#include "daemon/store/store_internal.h"

static int setup(void **state)
{
    struct api_fixture *f = calloc(1, sizeof(*f));

    if (!f || api_fixture_start(f, 1000) != 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    api_fixture_stop(*state);
    free(*state);
    return 0;
}

static int keep_event(const struct pr_event_row *row, void *ctx)
{
    *(struct pr_event_row *)ctx = *row;
    return 0;
}

/* The rack's newest event: its kind and actor must be these. */
static void assert_last_event(struct api_fixture *f, const char *kind, const char *detail_part)
{
    struct pr_event_row ev = { 0 };
    char ops[32];

    snprintf(ops, sizeof(ops), "ops:uid=%u", (unsigned)getuid());
    assert_int_equal(pr_store_each_event(f->d.store, 0, true, 0, 0, keep_event, &ev), 0);
    assert_string_equal(ev.kind, kind);
    assert_string_equal(ev.actor, ops);
    /* no secret ever reaches the audit log */
    assert_null(strstr(ev.detail, "prs_"));
    if (detail_part && !strstr(ev.detail, detail_part))
        fail_msg("event detail %s lacks %s", ev.detail, detail_part);
}

static void test_customers(void **state)
{
    struct api_fixture *f = *state;
    const struct http_req reqs[] = {
        { "POST", "/v1/customers", "{\"name\":\"alice\"}", 0, false, false, NULL },
        { "POST", "/v1/customers", "{\"name\":\"alice\"}", 0, false, false, NULL },
        { "POST", "/v1/customers", "{\"name\":\"Alice Smith\"}", 0, false, false, NULL },
        { "POST", "/v1/customers", "{\"name\":\"bob\",\"admin\":true}", 0, false, false, NULL },
        { "POST", "/v1/customers", "{}", 0, false, false, NULL },
        { "POST", "/v1/customers", "{\"name\":\"bob\"}", 0, false, false, NULL },
        { "GET", "/v1/customers", NULL, 0, false, false, NULL },
        { "DELETE", "/v1/customers/carol", NULL, 0, false, false, NULL },
    };

    api_fixture_run(f, reqs, sizeof(reqs) / sizeof(reqs[0]));
    assert_int_equal(f->b.res[0].status, 201);
    api_assert_error(&f->b.res[1], 409, "exists");
    api_assert_error(&f->b.res[2], 400, "bad-name");
    api_assert_error(&f->b.res[3], 400, "bad-request");
    api_assert_error(&f->b.res[4], 400, "bad-request");
    assert_int_equal(f->b.res[5].status, 201);
    json_t *list = json_object_get(f->b.res[6].json, "customers");
    assert_int_equal(json_array_size(list), 2);
    assert_string_equal(api_json_str(json_array_get(list, 0), "name"), "alice");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(list, 0), "pis")), 0);
    api_assert_error(&f->b.res[7], 404, "no-such-customer");
    assert_last_event(f, "customer.added", "\"bob\"");

    /* a customer that owns a pi stays */
    assert_int_equal(pr_store_set_pi(f->d.store, 2, NULL, "alice", NULL, NULL), 0);
    const struct http_req rm[] = {
        { "DELETE", "/v1/customers/alice", NULL, 0, false, false, NULL },
        { "DELETE", "/v1/customers/bob", NULL, 0, false, false, NULL },
    };
    api_fixture_run(f, rm, 2);
    api_assert_error(&f->b.res[0], 409, "in-use");
    assert_int_equal(f->b.res[1].status, 200);
    assert_last_event(f, "customer.removed", "\"bob\"");
}

static void test_keys(void **state)
{
    struct api_fixture *f = *state;
    struct pr_principal p;
    char path[64], id[PR_KEY_ID_LEN + 1], secret[PR_KEY_SECRET_LEN + 1];

    assert_int_equal(pr_store_add_customer(f->d.store, "alice"), 0);
    const struct http_req reqs[] = {
        { "POST", "/v1/keys",
          "{\"customer\":\"alice\",\"scopes\":\"read,power\",\"expires_in\":7776000,"
          "\"pis\":[\"web1\",\"web2\"]}",
          0, false, false, NULL },
        { "POST", "/v1/keys", "{\"customer\":\"carol\"}", 0, false, false, NULL },
        { "POST", "/v1/keys", "{\"customer\":\"alice\",\"scopes\":\"root\"}", 0, false, false,
          NULL },
        { "POST", "/v1/keys", "{\"customer\":\"alice\",\"expires_in\":0}", 0, false, false, NULL },
        { "POST", "/v1/keys", "{\"customer\":\"alice\",\"pis\":[\"a b\"]}", 0, false, false, NULL },
        { "POST", "/v1/keys", "{\"customer\":\"alice\",\"secret\":\"x\"}", 0, false, false, NULL },
        { "GET", "/v1/keys?customer=alice", NULL, 0, false, false, NULL },
    };
    api_fixture_run(f, reqs, sizeof(reqs) / sizeof(reqs[0]));
    assert_int_equal(f->b.res[0].status, 201);
    const json_t *k = f->b.res[0].json;
    snprintf(id, sizeof(id), "%s", api_json_str(k, "id"));
    snprintf(secret, sizeof(secret), "%s", api_json_str(k, "secret"));
    assert_string_equal(api_json_str(k, "scopes"), "read,power");
    assert_int_equal(json_array_size(json_object_get(k, "pis")), 2);
    assert_true(json_is_integer(json_object_get(k, "expires_ms")));
    api_assert_error(&f->b.res[1], 404, "no-such-customer");
    api_assert_error(&f->b.res[2], 400, "bad-request");
    api_assert_error(&f->b.res[3], 400, "bad-request");
    api_assert_error(&f->b.res[4], 400, "bad-request");
    api_assert_error(&f->b.res[5], 400, "bad-request");
    /* listed without the secret */
    json_t *keys = json_object_get(f->b.res[6].json, "keys");
    assert_int_equal(json_array_size(keys), 1);
    assert_null(json_object_get(json_array_get(keys, 0), "secret"));
    assert_null(strstr(f->b.res[6].body, secret));
    assert_last_event(f, "key.created", id);
    assert_int_equal(pr_store_key_login(f->d.store, id, secret, pr_store_now_ms(), &p), 0);
    assert_string_equal(p.pis, "web1,web2");

    snprintf(path, sizeof(path), "/v1/keys/%s", id);
    const struct http_req rev[] = {
        { "DELETE", path, NULL, 0, false, false, NULL },
        { "DELETE", path, NULL, 0, false, false, NULL },
        { "DELETE", "/v1/keys/prk_0000000000000000", NULL, 0, false, false, NULL },
    };
    api_fixture_run(f, rev, 3);
    assert_int_equal(f->b.res[0].status, 200);
    assert_true(json_is_integer(json_object_get(f->b.res[0].json, "revoked_ms")));
    api_assert_error(&f->b.res[1], 409, "in-use");
    api_assert_error(&f->b.res[2], 404, "no-such-key");
    assert_last_event(f, "key.revoked", id);
    assert_int_equal(pr_store_key_login(f->d.store, id, secret, pr_store_now_ms(), &p), -EACCES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_customers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keys, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
