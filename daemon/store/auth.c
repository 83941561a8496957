/* store customers and tokens.
 *
 * A token is a bearer secret: the store keeps only its BLAKE2b hash
 * (libsodium's crypto_generichash), so a copy of the state file does not
 * let anyone in.  Looking a token up by its hash leaks nothing useful
 * through timing: an attacker who learns how many leading bytes of a hash
 * matched cannot turn that into a token. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sodium.h>
#include "store_internal.h"

#define TOKEN_MIN 16
#define TOKEN_MAX 256
#define TOKEN_HASH_LEN 32

static const char SQL_ADD_CUSTOMER[] = "INSERT INTO customers (name, created_ms) VALUES (?1, ?2)";

int pr_store_add_customer(struct pr_store *st, const char *name)
{
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, SQL_ADD_CUSTOMER, &s);
    if (err < 0)
        return err;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, pr_store_now_ms());
    err = pr_store_exec(st, s, "adding a customer");
    if (err == -EEXIST)
        return pr_store_fail(st, err, "customer %s already exists", name);
    if (err == -EINVAL)
        return pr_store_fail(st, err,
                             "'%.70s' is not a customer name (a lower-case DNS "
                             "label: a-z, 0-9, '-', at most 63)",
                             name ? name : "(null)");
    return err;
}

static const char SQL_CUSTOMER_PIS[] = "SELECT count(*) FROM pis WHERE owner = ?1";
static const char SQL_REMOVE_CUSTOMER[] = "DELETE FROM customers WHERE name = ?1";

int pr_store_remove_customer(struct pr_store *st, const char *name)
{
    sqlite3_stmt *s;
    int owned = 0;
    int err = pr_store_prepare(st, SQL_CUSTOMER_PIS, &s);
    if (err < 0)
        return err;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW)
        owned = sqlite3_column_int(s, 0);
    sqlite3_reset(s);
    if (owned > 0)
        return pr_store_fail(st, -EBUSY, "customer %.70s still owns %d pi%s: give them back first",
                             name, owned, owned == 1 ? "" : "s");
    err = pr_store_prepare(st, SQL_REMOVE_CUSTOMER, &s);
    if (err < 0)
        return err;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    err = pr_store_exec(st, s, "removing a customer");
    if (err == 0 && sqlite3_changes(st->db) == 0)
        return pr_store_fail(st, -ENOENT, "no customer '%.70s'", name ? name : "(null)");
    return err;
}

static const char SQL_EACH_CUSTOMER[] =
    "SELECT c.name, c.created_ms,"
    " (SELECT count(*) FROM pis p WHERE p.owner = c.name),"
    " (SELECT count(*) FROM api_keys k WHERE k.customer_id = c.id AND k.revoked_ms IS NULL"
    "  AND (k.expires_ms IS NULL OR k.expires_ms > ?2))"
    " FROM customers c WHERE c.name > ?1 ORDER BY c.name LIMIT 32";

int pr_store_each_customer(struct pr_store *st, pr_customer_cb cb, void *ctx)
{
    struct pr_customer_row rows[PR_STORE_PAGE];
    char after[PR_NAME_MAX] = "";

    for (;;) {
        sqlite3_stmt *s;
        size_t n = 0;
        int rc = SQLITE_DONE;
        int err = pr_store_prepare(st, SQL_EACH_CUSTOMER, &s);
        if (err < 0)
            return err;
        sqlite3_bind_text(s, 1, after, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, pr_store_now_ms());
        while (n < PR_STORE_PAGE && (rc = sqlite3_step(s)) == SQLITE_ROW) {
            struct pr_customer_row *r = &rows[n++];
            pr_store_column_text(s, 0, r->name, sizeof(r->name));
            r->created_ms = sqlite3_column_int64(s, 1);
            r->pis = (unsigned)sqlite3_column_int(s, 2);
            r->keys = (unsigned)sqlite3_column_int(s, 3);
        }
        if (n < PR_STORE_PAGE && rc != SQLITE_DONE) {
            err = pr_store_sqlfail(st, "listing customers");
            sqlite3_reset(s);
            return err;
        }
        sqlite3_reset(s);
        for (size_t i = 0; i < n; i++) {
            err = cb(&rows[i], ctx);
            if (err)
                return err;
        }
        if (n < PR_STORE_PAGE)
            return 0;
        memcpy(after, rows[n - 1].name, sizeof(after));
    }
}

static int hash_token(struct pr_store *st, const char *token, unsigned char *hash)
{
    size_t len = token ? strlen(token) : 0;
    if (len < TOKEN_MIN || len > TOKEN_MAX)
        return pr_store_fail(st, -EINVAL, "a token has %d to %d characters", TOKEN_MIN, TOKEN_MAX);
    crypto_generichash(hash, TOKEN_HASH_LEN, (const unsigned char *)token, len, NULL, 0);
    return 0;
}

static const char SQL_ADD_TOKEN[] = "INSERT INTO tokens (customer_id, hash, created_ms)"
                                    " SELECT id, ?2, ?3 FROM customers WHERE name = ?1";

int pr_store_add_token(struct pr_store *st, const char *customer, const char *token)
{
    unsigned char hash[TOKEN_HASH_LEN];
    sqlite3_stmt *s;
    int err = hash_token(st, token, hash);
    if (err == 0)
        err = pr_store_prepare(st, SQL_ADD_TOKEN, &s);
    if (err < 0)
        return err;
    sqlite3_bind_text(s, 1, customer, -1, SQLITE_STATIC);
    sqlite3_bind_blob(s, 2, hash, sizeof(hash), SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, pr_store_now_ms());
    err = pr_store_exec(st, s, "adding a token");
    if (err == -EEXIST)
        return pr_store_fail(st, err, "that token is already in use");
    if (err == 0 && sqlite3_changes(st->db) == 0)
        return pr_store_fail(st, -ENOENT, "no customer '%.70s'", customer ? customer : "(null)");
    return err;
}

int pr_store_new_token(struct pr_store *st, const char *customer, char *out, size_t outlen)
{
    unsigned char secret[32];
    char token[PR_STORE_TOKEN_LEN + 1];
    if (outlen < sizeof(token))
        return pr_store_fail(st, -ERANGE, "a token needs %zu bytes", sizeof(token));
    randombytes_buf(secret, sizeof(secret));
    sodium_bin2base64(token, sizeof(token), secret, sizeof(secret),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(secret, sizeof(secret));
    int err = pr_store_add_token(st, customer, token);
    if (err == 0)
        memcpy(out, token, sizeof(token));
    sodium_memzero(token, sizeof(token));
    return err;
}

static const char SQL_CHECK_TOKEN[] =
    "SELECT c.name FROM tokens t JOIN customers c ON c.id = t.customer_id WHERE t.hash = ?1";

int pr_store_check_token(struct pr_store *st, const char *token, char *customer, size_t len)
{
    unsigned char hash[TOKEN_HASH_LEN];
    sqlite3_stmt *s;
    int err = hash_token(st, token, hash);
    if (err == -EINVAL)
        return pr_store_fail(st, -ENOENT, "unknown token");
    if (err == 0)
        err = pr_store_prepare(st, SQL_CHECK_TOKEN, &s);
    if (err < 0)
        return err;
    sqlite3_bind_blob(s, 1, hash, sizeof(hash), SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(s, 0);
        if (snprintf(customer, len, "%s", name ? name : "") >= (int)len)
            err = pr_store_fail(st, -ERANGE, "customer name does not fit");
    } else {
        err = rc == SQLITE_DONE ? pr_store_fail(st, -ENOENT, "unknown token")
                                : pr_store_sqlfail(st, "checking a token");
    }
    sqlite3_reset(s);
    return err;
}
