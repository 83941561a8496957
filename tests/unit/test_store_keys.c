/* store: customers, API keys (format, hashing, scopes, expiry, revocation,
 * pi restriction), access tokens, and the tenant filter that keeps each
 * customer to its own pis.  Each test has a fresh 4-slot store. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store_fixture.h"
#include "daemon/store/store_internal.h"

static void assert_err(int got, int want, struct pr_store *st, const char *msg)
{
    if (got != want)
        fail_msg("got %d (%s), want %d", got, pr_store_errmsg(st), want);
    if (msg)
        assert_string_equal(pr_store_errmsg(st), msg);
}

static void test_key_format(void **state)
{
    (void)state;
    unsigned char rnd[20];
    char secret[PR_KEY_SECRET_LEN + 1];

    memset(rnd, 0xab, sizeof(rnd));
    pr_key_secret_make(rnd, secret);
    assert_int_equal(strlen(secret), PR_KEY_SECRET_LEN);
    assert_memory_equal(secret, "prs_abababab", 12);
    assert_int_equal(pr_key_secret_check(secret), 0);
    /* one changed digit is caught by the checksum */
    secret[10] = secret[10] == 'a' ? 'b' : 'a';
    assert_int_equal(pr_key_secret_check(secret), -EINVAL);
    assert_int_equal(pr_key_secret_check("prs_"), -EINVAL);
    assert_int_equal(pr_key_secret_check(NULL), -EINVAL);
    assert_int_equal(pr_key_id_check("prk_0123456789abcdef"), 0);
    assert_int_equal(pr_key_id_check("prk_0123456789ABCDEF"), -EINVAL);
    assert_int_equal(pr_key_id_check("prk_0123456789abcde"), -EINVAL);
    assert_int_equal(pr_key_id_check("xyz_0123456789abcdef"), -EINVAL);
}

static void test_scopes(void **state)
{
    (void)state;
    unsigned bits = 0;
    char text[32];

    assert_int_equal(pr_scopes_parse("read,power", &bits), 0);
    assert_int_equal(bits, PR_SCOPE_READ | PR_SCOPE_POWER);
    assert_int_equal(pr_scopes_parse("keys,provision,read,power", &bits), 0);
    assert_int_equal(bits, PR_SCOPE_ALL);
    assert_int_equal(pr_scopes_parse("", &bits), -EINVAL);
    assert_int_equal(pr_scopes_parse("read,", &bits), -EINVAL);
    assert_int_equal(pr_scopes_parse("read,,power", &bits), -EINVAL);
    assert_int_equal(pr_scopes_parse("admin", &bits), -EINVAL);
    assert_int_equal(pr_scopes_parse("reads", &bits), -EINVAL);
    pr_scopes_format(PR_SCOPE_KEYS | PR_SCOPE_READ, text, sizeof(text));
    assert_string_equal(text, "read,keys");
    pr_scopes_format(PR_SCOPE_ALL, text, sizeof(text));
    assert_string_equal(text, "read,power,provision,keys");
}

static void test_customers(void **state)
{
    struct store_fixture *fx = *state;
    struct pr_store *st = fx->st;
    char id[PR_KEY_ID_LEN + 1], secret[PR_KEY_SECRET_LEN + 1];

    assert_int_equal(pr_store_add_customer(st, "alice"), 0);
    assert_int_equal(pr_store_add_customer(st, "bob"), 0);
    assert_int_equal(pr_store_create_key(st, "bob", PR_SCOPE_READ, 0, "", id, secret), 0);
    assert_int_equal(pr_store_set_pi(st, 2, NULL, "alice", NULL, NULL), 0);
    assert_err(pr_store_remove_customer(st, "alice"), -EBUSY, st,
               "customer alice still owns 1 pi: give them back first");
    assert_err(pr_store_remove_customer(st, "carol"), -ENOENT, st, "no customer 'carol'");
    /* bob's keys go with bob */
    assert_int_equal(pr_store_remove_customer(st, "bob"), 0);
    assert_int_equal(store_raw_int(fx->path, "SELECT count(*) FROM api_keys"), 0);
}

static int count_key(const struct pr_key_row *row, void *ctx)
{
    (void)row;
    ++*(int *)ctx;
    return 0;
}

static void test_key_login(void **state)
{
    struct store_fixture *fx = *state;
    struct pr_store *st = fx->st;
    char id[PR_KEY_ID_LEN + 1], secret[PR_KEY_SECRET_LEN + 1], other[PR_KEY_SECRET_LEN + 1];
    char id2[PR_KEY_ID_LEN + 1];
    struct pr_principal p;
    struct pr_key_row row;
    int64_t now = pr_store_now_ms();
    int n = 0;

    assert_int_equal(pr_store_add_customer(st, "alice"), 0);
    assert_err(pr_store_create_key(st, "carol", PR_SCOPE_READ, 0, "", id, secret), -ENOENT, st,
               "no customer 'carol'");
    assert_err(pr_store_create_key(st, "alice", 0, 0, "", id, secret), -EINVAL, st, NULL);
    assert_err(pr_store_create_key(st, "alice", 16, 0, "", id, secret), -EINVAL, st, NULL);
    assert_err(pr_store_create_key(st, "alice", 1, 0, "pi 1", id, secret), -EINVAL, st, NULL);
    assert_err(pr_store_create_key(st, "alice", 1, 0, "a,", id, secret), -EINVAL, st, NULL);
    assert_int_equal(pr_store_create_key(st, "alice", PR_SCOPE_READ | PR_SCOPE_POWER, 0,
                                         "web1,web2", id, secret),
                     0);
    assert_int_equal(pr_key_id_check(id), 0);
    assert_int_equal(pr_key_secret_check(secret), 0);
    /* the secret is not in the file, only its hash */
    assert_int_equal(store_raw_int(fx->path, "SELECT count(*) FROM api_keys WHERE"
                                             " length(hash) = 32 AND instr(hash, 'prs_') = 0"),
                     1);

    assert_int_equal(pr_store_key_login(st, id, secret, now, &p), 0);
    assert_string_equal(p.customer, "alice");
    assert_string_equal(p.key_id, id);
    assert_int_equal(p.scopes, PR_SCOPE_READ | PR_SCOPE_POWER);
    assert_true(pr_principal_allows_pi(&p, "web2"));
    assert_false(pr_principal_allows_pi(&p, "web"));
    assert_false(pr_principal_allows_pi(&p, "web3"));

    /* a well-formed secret of another key is wrong; a typo is malformed */
    assert_int_equal(pr_store_create_key(st, "alice", PR_SCOPE_ALL, now + 1000, NULL, id2, other),
                     0);
    assert_err(pr_store_key_login(st, id, other, now, &p), -EACCES, st,
               "unknown key or wrong secret");
    assert_err(pr_store_key_login(st, "prk_0000000000000000", secret, now, &p), -EACCES, st,
               "unknown key or wrong secret");
    other[8] ^= 1;
    assert_err(pr_store_key_login(st, id2, other, now, &p), -EACCES, st,
               "not a key secret (prs_, 48 hex digits, a checksum)");
    assert_err(pr_store_key_login(st, "alice", secret, now, &p), -EACCES, st,
               "not a key id (prk_ and 16 hex digits)");

    /* expiry: at once */
    other[8] ^= 1;
    assert_int_equal(pr_store_key_login(st, id2, other, now + 999, &p), 0);
    assert_true(pr_principal_allows_pi(&p, "anything"));
    assert_err(pr_store_key_login(st, id2, other, now + 1000, &p), -EACCES, st,
               "the key has expired");

    /* revocation: at once, tokens too */
    char tok[PR_ACCESS_TOKEN_LEN + 1];
    assert_int_equal(pr_store_issue_access_token(st, id, now, 300000, tok), 0);
    assert_int_equal(strlen(tok), PR_ACCESS_TOKEN_LEN);
    assert_int_equal(pr_store_check_access_token(st, tok, now, &p), 0);
    assert_int_equal(pr_store_revoke_key(st, id), 0);
    assert_err(pr_store_revoke_key(st, id), -EALREADY, st, NULL);
    assert_err(pr_store_check_access_token(st, tok, now, &p), -EACCES, st, NULL);
    assert_err(pr_store_key_login(st, id, secret, now, &p), -EACCES, st, "the key is revoked");
    assert_int_equal(pr_store_get_key(st, id, &row), 0);
    assert_true(row.revoked_ms > 0);
    assert_string_equal(row.pis, "web1,web2");

    assert_int_equal(pr_store_each_key(st, "alice", count_key, &n), 0);
    assert_int_equal(n, 2);
    n = 0;
    assert_int_equal(pr_store_each_key(st, "bob", count_key, &n), 0);
    assert_int_equal(n, 0);
}

static void test_access_tokens(void **state)
{
    struct store_fixture *fx = *state;
    struct pr_store *st = fx->st;
    char id[PR_KEY_ID_LEN + 1], secret[PR_KEY_SECRET_LEN + 1];
    char tok[PR_ACCESS_TOKEN_LEN + 1], tok2[PR_ACCESS_TOKEN_LEN + 1];
    struct pr_principal p;
    int64_t now = pr_store_now_ms();

    assert_int_equal(pr_store_add_customer(st, "alice"), 0);
    assert_int_equal(pr_store_create_key(st, "alice", PR_SCOPE_READ, now + 600000, "", id, secret),
                     0);
    assert_int_equal(pr_store_issue_access_token(st, id, now, 300000, tok), 0);
    assert_int_equal(pr_store_check_access_token(st, tok, now + 299999, &p), 0);
    assert_int_equal(p.scopes, PR_SCOPE_READ);
    assert_string_equal(p.key_id, id);
    assert_err(pr_store_check_access_token(st, tok, now + 300000, &p), -EACCES, st,
               "the access token has expired");
    /* the key expiring ends its tokens too */
    assert_int_equal(pr_store_issue_access_token(st, id, now + 500000, 300000, tok2), 0);
    assert_int_equal(pr_store_check_access_token(st, tok2, now + 599999, &p), 0);
    assert_err(pr_store_check_access_token(st, tok2, now + 600000, &p), -EACCES, st,
               "the key has expired");
    /* expired tokens are purged when a new one is issued */
    assert_int_equal(store_raw_int(fx->path, "SELECT count(*) FROM access_tokens"), 1);
    tok2[10] ^= 1;
    assert_err(pr_store_check_access_token(st, tok2, now, &p), -EACCES, st, "unknown access token");
    assert_err(pr_store_check_access_token(st, "Bearer", now, &p), -EACCES, st,
               "not an access token");
    assert_err(pr_store_check_access_token(st, secret, now, &p), -EACCES, st, NULL);
}

static int collect_names(const struct pr_slot_row *row, void *ctx)
{
    strcat(ctx, row->name);
    strcat(ctx, " ");
    return 0;
}

static void test_tenant_filter(void **state)
{
    struct store_fixture *fx = *state;
    struct pr_store *st = fx->st;
    struct pr_slot_row row;
    char names[256] = "", keys[64];

    assert_int_equal(pr_store_add_customer(st, "alice"), 0);
    assert_int_equal(pr_store_add_customer(st, "bob"), 0);
    assert_int_equal(pr_store_set_pi(st, 1, "a-one", "alice", NULL, NULL), 0);
    assert_int_equal(pr_store_set_pi(st, 3, "a-three", "alice", NULL, NULL), 0);
    assert_int_equal(pr_store_set_pi(st, 2, "b-two", "bob", NULL, NULL), 0);

    assert_int_equal(pr_store_each_customer_pi(st, "alice", collect_names, names), 0);
    assert_string_equal(names, "a-one a-three ");
    assert_int_equal(pr_store_get_customer_pi(st, "alice", "a-three", &row), 0);
    assert_int_equal(row.slot, 3);
    /* bob's pi and no pi at all look the same to alice */
    assert_err(pr_store_get_customer_pi(st, "alice", "b-two", &row), -ENOENT, st,
               "no server 'b-two'");
    assert_err(pr_store_get_customer_pi(st, "alice", "nothing", &row), -ENOENT, st,
               "no server 'nothing'");
    assert_err(pr_store_set_ssh_keys(st, "alice", "b-two", "ssh-ed25519 AAAA"), -ENOENT, st, NULL);
    assert_int_equal(pr_store_get_ssh_keys(st, "bob", "b-two", keys, sizeof(keys)), 0);
    assert_string_equal(keys, "");
    assert_int_equal(pr_store_set_ssh_keys(st, "bob", "b-two", "k1\nk2"), 0);
    assert_int_equal(pr_store_get_ssh_keys(st, "bob", "b-two", keys, sizeof(keys)), 0);
    assert_string_equal(keys, "k1\nk2");
}

static void test_provision(void **state)
{
    struct store_fixture *fx = *state;
    struct pr_store *st = fx->st;
    struct pr_slot_row row;

    assert_int_equal(pr_store_add_customer(st, "alice"), 0);
    assert_int_equal(pr_store_assign_board(st, 2, "b8:27:eb:00:00:02", "", "pi3b", false), 0);
    assert_int_equal(pr_store_assign_board(st, 3, "dc:a6:32:00:00:03", "", "pi4", false), 0);
    assert_int_equal(pr_store_assign_board(st, 4, "b8:27:eb:00:00:04", "", "pi3b+", false), 0);
    /* slot 1 has no board: never handed out */
    assert_int_equal(pr_store_provision(st, "alice", "web", "*3b*", "k1", ""), 2);
    assert_err(pr_store_provision(st, "alice", "web", "*3b*", "", ""), -EEXIST, st,
               "a server called web already exists");
    assert_err(pr_store_provision(st, "alice", "rack1-003", "*3b*", "", ""), -EEXIST, st, NULL);
    assert_int_equal(pr_store_provision(st, "alice", "db", "*3b*", "", ""), 4);
    assert_err(pr_store_provision(st, "alice", "cache", "*3b*", "", ""), -ENOSPC, st,
               "no servers of the specified type available");
    assert_int_equal(pr_store_get_customer_pi(st, "alice", "web", &row), 0);
    assert_string_equal(row.owner, "alice");
    assert_string_equal(row.model, "pi3b");

    /* given back: the default name again, and not handed out before a wipe */
    assert_int_equal(pr_store_unprovision(st, "alice", "web", "rack1-002"), 2);
    assert_err(pr_store_unprovision(st, "alice", "web", "rack1-002"), -ENOENT, st, NULL);
    assert_int_equal(pr_store_get_slot(st, 2, &row), 0);
    assert_string_equal(row.name, "rack1-002");
    assert_string_equal(row.owner, "");
    assert_err(pr_store_provision(st, "alice", "web", "*3b*", "", ""), -ENOSPC, st, NULL);
    assert_int_equal(store_raw_sql(fx->path, "UPDATE pis SET needs_wipe = 0"), SQLITE_OK);
    assert_int_equal(pr_store_provision(st, "alice", "web", "*3b*", "", ""), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_format),
        cmocka_unit_test(test_scopes),
#define T(f) cmocka_unit_test_setup_teardown(f, store_fixture_setup, store_fixture_teardown)
        T(test_customers),
        T(test_key_login),
        T(test_access_tokens),
        T(test_tenant_filter),
        T(test_provision),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
