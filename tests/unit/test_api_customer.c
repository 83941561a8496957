/* api_customer: the customer API on its TCP listener against a real
 * store (no power service): login, the authorization matrix over every
 * customer route (anonymous, bad token, expired token and key, revoked,
 * wrong scope, key restricted to other pis, customer B on A's pi, the ops
 * socket), each cell asserting the status and that nothing changed, and
 * POST /login's column; bad and oversized bodies on every route, unknown
 * fields and hostile names; rate limits (also as [api] sets them);
 * idempotent replay; provisioning and ssh keys with their events' actors. */
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
#include <sodium.h>
#include "api_fixture.h"
#include "daemon/store/store_internal.h"

struct cred {
    char id[PR_KEY_ID_LEN + 1];
    char secret[PR_KEY_SECRET_LEN + 1];
    char bearer[PR_ACCESS_TOKEN_LEN + 32]; /* "Authorization: Bearer pat_..." */
};

struct fx {
    struct api_fixture af;
    struct cred alice, alice_read, alice_power, alice_other, alice_expired, alice_revoked,
        alice_stale, bob;
};

/* A key for customer and an access token made from it at now + skew_ms. */
static void make_cred(struct fx *f, struct cred *c, const char *customer, unsigned scopes,
                      int64_t expires_ms, const char *pis, int64_t skew_ms)
{
    char tok[PR_ACCESS_TOKEN_LEN + 1];
    struct pr_store *st = f->af.d.store;

    assert_int_equal(pr_store_create_key(st, customer, scopes, expires_ms, pis, c->id, c->secret),
                     0);
    assert_int_equal(
        pr_store_issue_access_token(st, c->id, pr_store_now_ms() + skew_ms, 300000, tok), 0);
    snprintf(c->bearer, sizeof(c->bearer), "Authorization: Bearer %s", tok);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct pr_store *st;

    if (!f || api_fixture_start(&f->af, 1000) != 0)
        return -1;
    st = f->af.d.store;
    assert_int_equal(pr_store_add_customer(st, "alice"), 0);
    assert_int_equal(pr_store_add_customer(st, "bob"), 0);
    assert_int_equal(pr_store_assign_board(st, 1, "b8:27:eb:00:00:01", "", "pi3b", false), 0);
    assert_int_equal(pr_store_assign_board(st, 2, "b8:27:eb:00:00:02", "", "pi3b", false), 0);
    assert_int_equal(pr_store_assign_board(st, 3, "dc:a6:32:00:00:03", "", "pi4", false), 0);
    assert_int_equal(pr_store_set_pi(st, 1, "a-web", "alice", NULL, NULL), 0);
    assert_int_equal(pr_store_set_pi(st, 2, "b-web", "bob", NULL, NULL), 0);
    assert_int_equal(pr_store_set_ssh_keys(st, "alice", "a-web", "ssh-ed25519 AAAA alice"), 0);
    make_cred(f, &f->alice, "alice", PR_SCOPE_ALL, 0, "", 0);
    make_cred(f, &f->alice_read, "alice", PR_SCOPE_READ, 0, "", 0);
    make_cred(f, &f->alice_power, "alice", PR_SCOPE_POWER, 0, "", 0);
    make_cred(f, &f->alice_other, "alice", PR_SCOPE_ALL, 0, "other", 0);
    make_cred(f, &f->alice_expired, "alice", PR_SCOPE_ALL, 1, "", 0);
    make_cred(f, &f->alice_revoked, "alice", PR_SCOPE_ALL, 0, "", 0);
    assert_int_equal(pr_store_revoke_key(st, f->alice_revoked.id), 0);
    make_cred(f, &f->alice_stale, "alice", PR_SCOPE_ALL, 0, "", -400000);
    make_cred(f, &f->bob, "bob", PR_SCOPE_ALL, 0, "", 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    api_fixture_stop(&f->af);
    free(f);
    return 0;
}

/* What a refused request must not have changed. */
struct snapshot {
    int64_t last_event;
    struct pr_slot_row a, b;
    char keys[256];
    long long owned, idem, power_ops, tokens, keys_live;
};

static void snap(struct fx *f, struct snapshot *s)
{
    memset(s, 0, sizeof(*s));
    s->last_event = pr_store_last_event_id(f->af.d.store);
    assert_int_equal(pr_store_get_slot(f->af.d.store, 1, &s->a), 0);
    assert_int_equal(pr_store_get_slot(f->af.d.store, 2, &s->b), 0);
    assert_int_equal(
        pr_store_get_ssh_keys(f->af.d.store, "alice", "a-web", s->keys, sizeof(s->keys)), 0);
    s->owned = store_raw_int(f->af.fx->path, "SELECT count(*) FROM pis WHERE owner IS NOT NULL");
    s->idem = store_raw_int(f->af.fx->path, "SELECT count(*) FROM idempotency");
    s->power_ops = store_raw_int(f->af.fx->path, "SELECT count(*) FROM power_ops");
    s->tokens = store_raw_int(f->af.fx->path, "SELECT count(*) FROM access_tokens");
    s->keys_live =
        store_raw_int(f->af.fx->path, "SELECT count(*) FROM api_keys WHERE revoked_ms IS NULL");
}

static void assert_unchanged(struct fx *f, const struct snapshot *before, const char *what)
{
    struct snapshot now;

    snap(f, &now);
    if (now.last_event != before->last_event || memcmp(&now.a, &before->a, sizeof(now.a)) ||
        memcmp(&now.b, &before->b, sizeof(now.b)) || strcmp(now.keys, before->keys) ||
        now.owned != before->owned || now.idem != before->idem ||
        now.power_ops != before->power_ops || now.tokens != before->tokens ||
        now.keys_live != before->keys_live)
        fail_msg("%s changed the rack", what);
}

struct route {
    const char *method, *path, *body;
    bool names_pi; /* /pi/servers/a-web...: 404 for those who may not see it */
};

static const struct route customer_routes[] = {
    { "GET", "/pi/servers", NULL, false },
    { "GET", "/pi/servers/a-web", NULL, true },
    { "POST", "/pi/servers/a-web", "{\"model\": 3}", true },
    { "DELETE", "/pi/servers/a-web", NULL, true },
    { "GET", "/pi/queue/a-web", NULL, true },
    { "PUT", "/pi/servers/a-web/power", "{\"power\": false}", true },
    { "POST", "/pi/servers/a-web/reboot", NULL, true },
    { "GET", "/pi/servers/a-web/ssh-key", NULL, true },
    { "PUT", "/pi/servers/a-web/ssh-key", "{\"ssh_key\": \"\"}", true },
    { "GET", "/pi/models", NULL, false },
    { "GET", "/pi/images/3", NULL, false },
};
#define N_ROUTES (sizeof(customer_routes) / sizeof(customer_routes[0]))

/* The scope each route needs, and a key of alice's that lacks it. */
static const struct cred *lacking(struct fx *f, const struct route *r)
{
    bool read = strcmp(r->method, "GET") == 0 && !strstr(r->path, "ssh-key");
    return read ? &f->alice_power : &f->alice_read;
}

/* One cell: every route with headers; want(route) the status. */
static void run_cell(struct fx *f, const char *cell, const char *headers, bool ops,
                     long (*want)(const struct route *r), const char *www)
{
    struct http_req reqs[N_ROUTES];
    struct snapshot before;

    snap(f, &before);
    for (size_t i = 0; i < N_ROUTES; i++)
        reqs[i] = (struct http_req){ customer_routes[i].method,
                                     customer_routes[i].path,
                                     customer_routes[i].body,
                                     0,
                                     false,
                                     false,
                                     headers };
    if (ops)
        api_fixture_run(&f->af, reqs, N_ROUTES);
    else
        api_fixture_run_customer(&f->af, reqs, N_ROUTES);
    for (size_t i = 0; i < N_ROUTES; i++) {
        const struct http_res *res = &f->af.b.res[i];
        long w = want(&customer_routes[i]);
        if (res->status != w)
            fail_msg("%s: %s %s answered %ld, not %ld: %s", cell, reqs[i].method, reqs[i].path,
                     res->status, w, res->body ? res->body : "");
        if (www && strncmp(res->www_authenticate, www, strlen(www)) != 0)
            fail_msg("%s: %s %s: WWW-Authenticate \"%s\"", cell, reqs[i].method, reqs[i].path,
                     res->www_authenticate);
        if (!ops && !json_is_string(json_object_get(res->json, "error")) && w >= 400)
            fail_msg("%s: %s %s: no \"error\"", cell, reqs[i].method, reqs[i].path);
    }
    assert_unchanged(f, &before, cell);
}

static long want_401(const struct route *r)
{
    (void)r;
    return 401;
}
static long want_403(const struct route *r)
{
    (void)r;
    return 403;
}
static long want_404(const struct route *r)
{
    (void)r;
    return 404;
}
/* A key restricted to other pis: the pi is not there for it; lists are. */
static long want_restricted(const struct route *r)
{
    if (!r->names_pi)
        return 200;
    return strcmp(r->method, "POST") == 0 && !strstr(r->path, "reboot") ? 403 : 404;
}
/* Bob on alice's pi: not there; only its name is taken (names are the
 * rack's, as in DNS). */
static long want_other_customer(const struct route *r)
{
    if (!r->names_pi)
        return 200;
    return strcmp(r->method, "POST") == 0 && !strstr(r->path, "reboot") ? 409 : 404;
}

static void test_authorization_matrix(void **state)
{
    struct fx *f = *state;
    char h[256];

    run_cell(f, "anonymous", NULL, false, want_401, "Bearer");
    run_cell(f, "bad token",
             "Authorization: Bearer pat_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", false,
             want_401, "Bearer");
    run_cell(f, "not bearer", "Authorization: Basic YTpi", false, want_401, "Bearer");
    run_cell(f, "expired token", f->alice_stale.bearer, false, want_401, "Bearer");
    run_cell(f, "expired key", f->alice_expired.bearer, false, want_401, "Bearer");
    run_cell(f, "revoked key", f->alice_revoked.bearer, false, want_401, "Bearer");
    run_cell(f, "restricted to other pis", f->alice_other.bearer, false, want_restricted, NULL);
    run_cell(f, "customer B on A's pi", f->bob.bearer, false, want_other_customer, NULL);
    run_cell(f, "the ops socket", f->alice.bearer, true, want_404, NULL);

    /* wrong scope: each route with the key that lacks its scope */
    for (size_t i = 0; i < N_ROUTES; i++) {
        const struct route *r = &customer_routes[i];
        struct snapshot before;
        snprintf(h, sizeof(h), "%s", lacking(f, r)->bearer);
        struct http_req req = { r->method, r->path, r->body, 0, false, false, h };
        snap(f, &before);
        api_fixture_run_customer(&f->af, &req, 1);
        if (f->af.b.res[0].status != want_403(r))
            fail_msg("wrong scope: %s %s answered %ld", r->method, r->path, f->af.b.res[0].status);
        assert_string_equal(api_json_str(f->af.b.res[0].json, "error"), "insufficient_scope");
        assert_non_null(strstr(f->af.b.res[0].www_authenticate, "insufficient_scope"));
        assert_unchanged(f, &before, "wrong scope");
    }
}

static void test_login(void **state)
{
    struct fx *f = *state;
    char basic[400], bad[400], plain[160], b64[256];

    snprintf(plain, sizeof(plain), "%s:%s", f->alice_read.id, f->alice_read.secret);
    sodium_bin2base64(b64, sizeof(b64), (unsigned char *)plain, strlen(plain),
                      sodium_base64_VARIANT_ORIGINAL);
    snprintf(basic, sizeof(basic),
             "Authorization: Basic %s\nContent-Type: application/x-www-form-urlencoded", b64);
    /* the right id with another key's (well-formed) secret */
    snprintf(plain, sizeof(plain), "%s:%s", f->alice_read.id, f->bob.secret);
    sodium_bin2base64(b64, sizeof(b64), (unsigned char *)plain, strlen(plain),
                      sodium_base64_VARIANT_ORIGINAL);
    snprintf(bad, sizeof(bad),
             "Authorization: Basic %s\nContent-Type: application/x-www-form-urlencoded", b64);
    const struct http_req reqs[] = {
        { "POST", "/login", "grant_type=client_credentials", 0, false, false, basic },
        { "POST", "/login", "grant_type=client_credentials", 0, false, false, bad },
        { "POST", "/login", "grant_type=password", 0, false, false, basic },
        { "POST", "/login", "grant_type=client_credentials", 0, false, false,
          "Content-Type: application/x-www-form-urlencoded" },
    };
    api_fixture_run_customer(&f->af, reqs, 4);
    assert_int_equal(f->af.b.res[0].status, 200);
    const json_t *t = f->af.b.res[0].json;
    assert_int_equal(json_integer_value(json_object_get(t, "expires_in")), 300);
    assert_string_equal(api_json_str(t, "token_type"), "bearer");
    assert_int_equal(strlen(api_json_str(t, "access_token")), PR_ACCESS_TOKEN_LEN);
    assert_int_equal(f->af.b.res[1].status, 401);
    assert_string_equal(api_json_str(f->af.b.res[1].json, "error"), "invalid_client");
    assert_string_equal(api_json_str(f->af.b.res[1].json, "error_description"),
                        "unknown key or wrong secret");
    assert_int_equal(f->af.b.res[2].status, 400);
    assert_string_equal(api_json_str(f->af.b.res[2].json, "error"), "unsupported_grant_type");
    assert_int_equal(f->af.b.res[3].status, 401);

    /* the token works, with the key's scopes only */
    char bearer[128];
    snprintf(bearer, sizeof(bearer), "Authorization: Bearer %s", api_json_str(t, "access_token"));
    const struct http_req use[] = {
        { "GET", "/pi/servers", NULL, 0, false, false, bearer },
        { "PUT", "/pi/servers/a-web/power", "{\"power\": true}", 0, false, false, bearer },
    };
    api_fixture_run_customer(&f->af, use, 2);
    assert_int_equal(f->af.b.res[0].status, 200);
    const json_t *servers = json_object_get(f->af.b.res[0].json, "servers");
    assert_int_equal(json_object_size(servers), 1);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(servers, "a-web"), "model")), 3);
    assert_int_equal(f->af.b.res[1].status, 403);

    /* failed logins from one address are limited, and Retry-After says when */
    struct http_req many[8];
    for (size_t i = 0; i < 8; i++)
        many[i] = reqs[1];
    api_fixture_run_customer(&f->af, many, 8);
    assert_int_equal(f->af.b.res[0].status, 401);
    assert_int_equal(f->af.b.res[7].status, 429);
    assert_true(atoi(f->af.b.res[7].retry_after) >= 1);
    /* also the right secret, until the bucket refills */
    api_fixture_run_customer(&f->af, reqs, 1);
    assert_int_equal(f->af.b.res[0].status, 429);
}

/* A Basic header of id and secret, with the form's content type. */
static void basic_of(char *out, size_t len, const char *id, const char *secret)
{
    char plain[160], b64[256];

    snprintf(plain, sizeof(plain), "%s:%s", id, secret);
    sodium_bin2base64(b64, sizeof(b64), (unsigned char *)plain, strlen(plain),
                      sodium_base64_VARIANT_ORIGINAL);
    snprintf(out, len, "Authorization: Basic %s\nContent-Type: application/x-www-form-urlencoded",
             b64);
}

/* POST /login's column of the matrix: anonymous, a bad secret, an expired
 * and a revoked key are 401 invalid_client and make no token; the ops
 * socket does not serve it; bad bodies are refused the same way. */
static void test_login_matrix(void **state)
{
    struct fx *f = *state;
    static char big[PR_API_MAX_BODY + 100];
    char good[400], bad[400], expired[400], revoked[400], typo[400];
    const char *form = "grant_type=client_credentials";

    basic_of(good, sizeof(good), f->alice.id, f->alice.secret);
    basic_of(bad, sizeof(bad), f->alice.id, f->bob.secret);
    basic_of(expired, sizeof(expired), f->alice_expired.id, f->alice_expired.secret);
    basic_of(revoked, sizeof(revoked), f->alice_revoked.id, f->alice_revoked.secret);
    basic_of(typo, sizeof(typo), "prk_nothex", f->alice.secret);
    memset(big, 'a', sizeof(big) - 1);
    memcpy(big, "grant_type=", 11);
    const struct http_req reqs[] = {
        { "POST", "/login", form, 0, false, false,
          "Content-Type: application/x-www-form-urlencoded" },
        { "POST", "/login", form, 0, false, false, bad },
        { "POST", "/login", form, 0, false, false, expired },
        { "POST", "/login", form, 0, false, false, revoked },
        { "POST", "/login", form, 0, false, false, typo },
        /* bodies: JSON, an unknown grant, nothing, too big */
        { "POST", "/login", "{\"grant_type\": \"client_credentials\"}", 0, false, false, good },
        { "POST", "/login", "grant_type=client_credentials&grant_type=password", 0, false, false,
          good },
        { "POST", "/login", NULL, 0, false, false, good },
        { "POST", "/login", big, 0, false, false, good },
    };
    static const long want[] = { 401, 401, 401, 401, 401, 400, 400, 400, 413 };
    size_t n = sizeof(reqs) / sizeof(reqs[0]);
    struct snapshot before;

    /* more failures than the default login_burst: every cell is its own */
    f->af.cfg.api_login_burst = 100;
    snap(f, &before);
    api_fixture_run_customer(&f->af, reqs, n);
    for (size_t i = 0; i < n; i++) {
        if (f->af.b.res[i].status != want[i])
            fail_msg("login %zu: %ld, not %ld: %s", i, f->af.b.res[i].status, want[i],
                     f->af.b.res[i].body ? f->af.b.res[i].body : "");
        if (want[i] == 401)
            assert_string_equal(api_json_str(f->af.b.res[i].json, "error"), "invalid_client");
    }
    assert_unchanged(f, &before, "refused logins");
    /* the ops socket has no /login */
    api_fixture_run(&f->af, reqs + 1, 1);
    assert_int_equal(f->af.b.res[0].status, 404);
    assert_unchanged(f, &before, "login on the ops socket");
}

static void test_server_and_ssh_keys(void **state)
{
    struct fx *f = *state;
    const char *h = f->alice.bearer;
    const struct http_req reqs[] = {
        { "GET", "/pi/servers/a-web", NULL, 0, false, false, h },
        { "GET", "/pi/servers/a-web/ssh-key", NULL, 0, false, false, h },
        { "PUT", "/pi/servers/a-web/ssh-key", "{\"ssh_key\": \"k1\\nk2\"}", 0, false, false, h },
        { "GET", "/pi/servers/a-web/ssh-key", NULL, 0, false, false, h },
        { "PUT", "/pi/servers/a-web/ssh-key", "{\"ssh_key\": \"\"}", 0, false, false, h },
        { "PUT", "/pi/servers/a-web/ssh-key", "{\"ssh_key\": \"a\\u0001b\"}", 0, false, false, h },
        { "PUT", "/pi/servers/a-web/ssh-key", "{\"ssh_key\": \"k\", \"x\": 1}", 0, false, false,
          h },
        { "PUT", "/pi/servers/a-web/ssh-key", "{\"ssh_key\": 7}", 0, false, false, h },
        { "PUT", "/pi/servers/a-web/ssh-key", "not json", 0, false, false, h },
        { "GET", "/pi/models", NULL, 0, false, false, h },
        { "GET", "/pi/images/3", NULL, 0, false, false, h },
        { "GET", "/pi/images/9", NULL, 0, false, false, h },
    };
    api_fixture_run_customer(&f->af, reqs, sizeof(reqs) / sizeof(reqs[0]));
    const json_t *s = f->af.b.res[0].json;
    assert_int_equal(f->af.b.res[0].status, 200);
    assert_string_equal(api_json_str(s, "model_full"), "3B");
    assert_int_equal(json_integer_value(json_object_get(s, "memory")), 1024);
    assert_true(json_is_false(json_object_get(s, "is_booting")));
    assert_true(json_is_null(json_object_get(s, "boot_progress")));
    assert_string_equal(api_json_str(s, "ip"), "2001:db8:1::2");
    assert_int_equal(json_integer_value(json_object_get(s, "ssh_port")), 22001);
    assert_true(json_is_true(json_object_get(s, "initialised_keys")));
    assert_string_equal(api_json_str(s, "location"), "rack1");
    assert_string_equal(api_json_str(f->af.b.res[1].json, "ssh_key"), "ssh-ed25519 AAAA alice");
    assert_int_equal(f->af.b.res[2].status, 200);
    assert_string_equal(api_json_str(f->af.b.res[3].json, "ssh_key"), "k1\nk2");
    assert_int_equal(f->af.b.res[4].status, 200);
    for (size_t i = 5; i <= 8; i++)
        assert_int_equal(f->af.b.res[i].status, 400);
    assert_int_equal(json_array_size(json_object_get(f->af.b.res[9].json, "models")), 3);
    assert_int_equal(f->af.b.res[10].status, 200);
    assert_int_equal(f->af.b.res[11].status, 400);

    /* each change is an event with the key as its actor */
    char actor[32];
    snprintf(actor, sizeof(actor), "key:%s", f->alice.id);
    assert_int_equal(store_raw_int(f->af.fx->path, "SELECT count(*) FROM events WHERE kind ="
                                                   " 'pi.ssh_keys' AND slot = 1"),
                     2);
    char sql[160];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM events WHERE kind = 'pi.ssh_keys' AND actor = '%s'", actor);
    assert_int_equal(store_raw_int(f->af.fx->path, sql), 2);
}

static void test_hostile_names(void **state)
{
    struct fx *f = *state;
    static char long_name[320];
    static const char *const names[] = {
        "a%20b", "a%0Ab", "%C3%A9t%C3%A9", long_name, "A-WEB", "-x"
    };
    static struct http_req reqs[API_BATCH_MAX];
    static char paths[API_BATCH_MAX][400];
    size_t k = 0;

    memset(long_name, 'a', 300);
    /* every route that names a server, with a hostile name in its place */
    for (size_t i = 0; i < 6; i++)
        for (size_t j = 0; j < N_ROUTES; j++) {
            const struct route *r = &customer_routes[j];
            const char *at = strstr(r->path, "a-web");
            if (!r->names_pi || !at)
                continue;
            assert_true(k < API_BATCH_MAX);
            snprintf(paths[k], sizeof(paths[k]), "%.*s%s%s", (int)(at - r->path), r->path, names[i],
                     at + 5);
            /* three keys, so that no key's bucket (30) runs dry */
            const char *h = i % 3 == 0   ? f->alice.bearer
                            : i % 3 == 1 ? f->bob.bearer
                                         : f->alice_other.bearer;
            reqs[k] = (struct http_req){ r->method, paths[k], r->body, 0, false, false, h };
            k++;
        }
    assert_int_equal(k, 6 * 8);
    /* and in /pi/images/{model}'s place */
    for (size_t i = 0; i < 6; i++) {
        snprintf(paths[k], sizeof(paths[k]), "/pi/images/%s", names[i]);
        reqs[k] = (struct http_req){ "GET", paths[k], NULL, 0, false, false, f->alice_read.bearer };
        k++;
    }
    struct snapshot before;
    snap(f, &before);
    api_fixture_run_customer(&f->af, reqs, k);
    for (size_t i = 0; i < k; i++)
        if (f->af.b.res[i].status != 400)
            fail_msg("%s %s: %ld", reqs[i].method, reqs[i].path, f->af.b.res[i].status);
    assert_unchanged(f, &before, "hostile names");
}

/* Bad bodies on every customer route that takes one: not JSON, not an
 * object, an unknown field, a wrong type, over 64 KiB.  Each is refused
 * and changes nothing. */
static void test_bad_bodies(void **state)
{
    struct fx *f = *state;
    static char big[PR_API_MAX_BODY + 100];
    static const char *const paths[][2] = {
        { "POST", "/pi/servers/a-new" },
        { "PUT", "/pi/servers/a-web/power" },
        { "POST", "/pi/servers/a-web/reboot" },
        { "PUT", "/pi/servers/a-web/ssh-key" },
    };
    static const char *const good_field[] = { "model", "power", NULL, "ssh_key" };
    struct http_req reqs[4 * 5];
    char bodies[4][2][64];
    size_t k = 0;

    memset(big, ' ', sizeof(big) - 1);
    big[0] = '{';
    big[sizeof(big) - 2] = '}';
    for (size_t i = 0; i < 4; i++) {
        snprintf(bodies[i][0], sizeof(bodies[i][0]), "{\"%s\": 1, \"sneaky\": 2}",
                 good_field[i] ? good_field[i] : "x");
        snprintf(bodies[i][1], sizeof(bodies[i][1]), "{\"%s\": [\"x\"]}",
                 good_field[i] ? good_field[i] : "power");
        const char *b[] = { "not json", "[1, 2]", bodies[i][0], bodies[i][1], big };
        for (size_t j = 0; j < 5; j++)
            reqs[k++] = (struct http_req){ paths[i][0], paths[i][1], b[j],           0,
                                           false,       false,       f->alice.bearer };
    }
    struct snapshot before;
    snap(f, &before);
    api_fixture_run_customer(&f->af, reqs, k);
    for (size_t i = 0; i < k; i++) {
        long want = i % 5 == 4 ? 413 : 400;
        if (f->af.b.res[i].status != want)
            fail_msg("%s %s body %zu: %ld, not %ld", reqs[i].method, reqs[i].path, i % 5,
                     f->af.b.res[i].status, want);
    }
    assert_unchanged(f, &before, "bad bodies");
}

/* Every customer route, also those that take no body: a body that is not
 * JSON is 400 and one past 64 KiB is 413, before anything is done. */
static void test_bad_bodies_every_route(void **state)
{
    struct fx *f = *state;
    static char big[PR_API_MAX_BODY + 100];
    struct http_req reqs[N_ROUTES * 2];
    struct snapshot before;
    size_t k = 0;

    memset(big, ' ', sizeof(big) - 1);
    big[0] = '{';
    big[sizeof(big) - 2] = '}';
    for (size_t i = 0; i < N_ROUTES; i++) {
        const struct route *r = &customer_routes[i];
        reqs[k++] =
            (struct http_req){ r->method, r->path, "not json", 0, false, false, f->alice.bearer };
        reqs[k++] = (struct http_req){ r->method, r->path, big, 0, false, false, f->bob.bearer };
    }
    snap(f, &before);
    api_fixture_run_customer(&f->af, reqs, k);
    for (size_t i = 0; i < k; i++) {
        long want = i % 2 ? 413 : 400;
        if (f->af.b.res[i].status != want)
            fail_msg("%s %s %s: %ld, not %ld", reqs[i].method, reqs[i].path,
                     i % 2 ? "a 64 KiB body" : "not JSON", f->af.b.res[i].status, want);
        if (!json_is_string(json_object_get(f->af.b.res[i].json, "error")))
            fail_msg("%s %s: no \"error\"", reqs[i].method, reqs[i].path);
    }
    assert_unchanged(f, &before, "bad bodies on every route");
}

static void test_provision_and_replay(void **state)
{
    struct fx *f = *state;
    char h[256], actor[32];
    snprintf(h, sizeof(h), "%s\nIdempotency-Key: make-db-1", f->alice.bearer);
    snprintf(actor, sizeof(actor), "key:%s", f->alice.id);
    const struct http_req reqs[] = {
        { "POST", "/pi/servers/a-db", "{\"model\": 4, \"ssh_key\": \"k1\"}", 0, false, false, h },
        { "POST", "/pi/servers/a-db", "{\"model\": 4, \"ssh_key\": \"k1\"}", 0, false, false, h },
        { "POST", "/pi/servers/a-db2", "{\"model\": 4}", 0, false, false, h },
        { "POST", "/pi/servers/a-db3", "{\"model\": 4}", 0, false, false, f->alice.bearer },
        { "POST", "/pi/servers/a-db", "{\"model\": 4}", 0, false, false, f->alice.bearer },
        { "POST", "/pi/servers/a-x", "{\"model\": 3, \"os_image\": \"bookworm\"}", 0, false, false,
          f->alice.bearer },
        { "POST", "/pi/servers/a-x", "{\"model\": 3, \"disco\": 1}", 0, false, false,
          f->alice.bearer },
        { "GET", "/pi/queue/a-db", NULL, 0, false, false, f->alice.bearer },
        { "DELETE", "/pi/servers/a-db", NULL, 0, false, false, f->alice.bearer },
        { "GET", "/pi/servers/a-db", NULL, 0, false, false, f->alice.bearer },
    };
    api_fixture_run_customer(&f->af, reqs, sizeof(reqs) / sizeof(reqs[0]));
    assert_int_equal(f->af.b.res[0].status, 202);
    assert_string_equal(f->af.b.res[0].location, "/pi/queue/a-db");
    /* the replay: the same answer, nothing done twice */
    assert_int_equal(f->af.b.res[1].status, 202);
    assert_string_equal(f->af.b.res[1].location, "/pi/queue/a-db");
    assert_string_equal(f->af.b.res[1].body, f->af.b.res[0].body);
    /* the same key for another request */
    assert_int_equal(f->af.b.res[2].status, 422);
    /* the only pi4 is taken */
    assert_int_equal(f->af.b.res[3].status, 503);
    assert_string_equal(api_json_str(f->af.b.res[3].json, "error"),
                        "no servers of the specified type available");
    assert_int_equal(f->af.b.res[4].status, 409);
    /* an image the rack does not have is refused, and the answer says so */
    assert_int_equal(f->af.b.res[5].status, 400);
    assert_non_null(strstr(api_json_str(f->af.b.res[5].json, "error"), "no os_image called"));
    assert_int_equal(f->af.b.res[6].status, 400);
    assert_int_equal(f->af.b.res[7].status, 200);
    assert_non_null(strstr(api_json_str(f->af.b.res[7].json, "status"), "provisioning"));
    assert_int_equal(f->af.b.res[8].status, 200);
    assert_int_equal(f->af.b.res[9].status, 404);
    char sql[200];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM events WHERE slot = 3 AND actor = '%s' AND kind IN"
             " ('pi.provisioned', 'pi.unprovisioned')",
             actor);
    assert_int_equal(store_raw_int(f->af.fx->path, sql), 2);
    /* given back: not handed out before its root is wiped */
    assert_int_equal(store_raw_int(f->af.fx->path, "SELECT needs_wipe FROM pis WHERE slot = 3"), 1);
}

static void test_key_rate_limit(void **state)
{
    struct fx *f = *state;
    struct http_req reqs[40];

    for (size_t i = 0; i < 40; i++)
        reqs[i] =
            (struct http_req){ "GET", "/pi/models", NULL, 0, false, false, f->alice_read.bearer };
    api_fixture_run_customer(&f->af, reqs, 40);
    assert_int_equal(f->af.b.res[0].status, 200);
    assert_int_equal(f->af.b.res[39].status, 429);
    assert_true(atoi(f->af.b.res[39].retry_after) >= 1);
    /* another key has its own bucket */
    reqs[0].headers = f->alice.bearer;
    api_fixture_run_customer(&f->af, reqs, 1);
    assert_int_equal(f->af.b.res[0].status, 200);
    /* and the bucket refills: 5 a second */
    usleep(450 * 1000);
    reqs[0].headers = f->alice_read.bearer;
    api_fixture_run_customer(&f->af, reqs, 1);
    assert_int_equal(f->af.b.res[0].status, 200);

    /* [api] key_burst and key_rate, as a reload would change them: a
     * bucket fuller than the new burst keeps only the burst */
    f->af.cfg.api_key_burst = 2;
    f->af.cfg.api_key_rate = 1;
    for (size_t i = 0; i < 3; i++)
        reqs[i].headers = f->alice.bearer;
    api_fixture_run_customer(&f->af, reqs, 3);
    assert_int_equal(f->af.b.res[0].status, 200);
    assert_int_equal(f->af.b.res[1].status, 200);
    assert_int_equal(f->af.b.res[2].status, 429);
    assert_string_equal(f->af.b.res[2].retry_after, "1");
}

/* The management listener serves /metrics and nothing else, with the
 * customer API's families; their labels are bounded (no token, key,
 * customer or pi name). */
static void test_metrics_listener(void **state)
{
    struct fx *f = *state;
    const struct http_req reqs[] = {
        { "GET", "/pi/servers", NULL, 0, false, false, f->alice.bearer },
        { "GET", "/pi/servers/a-web", NULL, 0, false, false, NULL },
        { "GET", "/pi/servers/a-web", NULL, 0, false, false, f->alice_power.bearer },
    };
    const struct http_req scrape[] = {
        { "GET", "/metrics", NULL, 0, false, false, NULL },
        { "GET", "/pi/servers", NULL, 0, false, false, f->alice.bearer },
        { "GET", "/v1/status", NULL, 0, false, false, NULL },
    };
    api_fixture_run_customer(&f->af, reqs, 3);
    api_fixture_run_metrics(&f->af, scrape, 3);
    const char *m = f->af.b.res[0].body;
    assert_int_equal(f->af.b.res[0].status, 200);
    assert_non_null(strstr(m, "pirack_api_requests_total{listener=\"customer\",method=\"GET\","
                              "route=\"/pi/servers\",code=\"2xx\"} 1"));
    assert_non_null(strstr(m, "route=\"/pi/servers/{name}\",code=\"4xx\"} 2"));
    assert_non_null(strstr(m, "pirack_api_auth_failures_total{reason=\"token\"} 1"));
    assert_non_null(strstr(m, "pirack_api_auth_failures_total{reason=\"scope\"} 1"));
    assert_non_null(strstr(m, "pirack_api_rate_limited_total{limit=\"key\"} 0"));
    assert_null(strstr(m, "alice"));
    assert_null(strstr(m, "a-web"));
    assert_null(strstr(m, "prk_"));
    assert_null(strstr(m, "pat_"));
    assert_int_equal(f->af.b.res[1].status, 404);
    assert_int_equal(f->af.b.res[2].status, 404);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
        T(test_authorization_matrix), T(test_login),
        T(test_server_and_ssh_keys),  T(test_hostile_names),
        T(test_provision_and_replay), T(test_key_rate_limit),
        T(test_metrics_listener),     T(test_bad_bodies),
        T(test_login_matrix),         T(test_bad_bodies_every_route),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
