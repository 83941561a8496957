/* store keys: customers' API keys and the short-lived access tokens made
 * from them.
 *
 * A key's secret and an access token are bearer secrets: the store keeps
 * only their BLAKE2b hash (libsodium's crypto_generichash).  A key is
 * found by its public id and its secret's hash compared with
 * sodium_memcmp(), in constant time; a token is found by its hash, which
 * leaks nothing an attacker can use.  Expiry and revocation are checked on
 * every use, so they take effect at once. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sodium.h>
#include "store_internal.h"

#define HASH_LEN 32
#define ID_PREFIX "prk_"
#define SECRET_PREFIX "prs_"
#define TOKEN_PREFIX "pat_"
#define SECRET_BODY 40 /* hex digits of randomness */
#define SECRET_SUM 8   /* hex digits of checksum */

static const char *const scope_names[] = { "read", "power", "provision", "keys" };

int pr_scopes_parse(const char *text, unsigned *bits)
{
    unsigned out = 0;
    const char *p = text;

    if (!text || !*text)
        return -EINVAL;
    while (*p) {
        size_t n = strcspn(p, ",");
        unsigned bit = 0;
        for (unsigned i = 0; i < 4; i++)
            if (strlen(scope_names[i]) == n && strncmp(p, scope_names[i], n) == 0)
                bit = 1u << i;
        if (!bit)
            return -EINVAL;
        out |= bit;
        p += n;
        if (*p == ',' && *++p == '\0')
            return -EINVAL; /* a trailing comma */
    }
    *bits = out;
    return 0;
}

void pr_scopes_format(unsigned bits, char *out, size_t len)
{
    size_t used = 0;

    if (len)
        out[0] = '\0';
    for (unsigned i = 0; i < 4; i++) {
        if (!(bits & (1u << i)))
            continue;
        int n = snprintf(out + used, len - used, "%s%s", used ? "," : "", scope_names[i]);
        if (n < 0 || (size_t)n >= len - used)
            return;
        used += (size_t)n;
    }
}

static bool all_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

int pr_key_id_check(const char *id)
{
    if (!id || strlen(id) != PR_KEY_ID_LEN || strncmp(id, ID_PREFIX, 4) != 0 ||
        !all_hex(id + 4, PR_KEY_ID_LEN - 4))
        return -EINVAL;
    return 0;
}

/* The checksum of a secret's random part: 4 bytes of a BLAKE2b keyed with
 * a constant, so that it says "typo", not "wrong". */
static void secret_sum(const char *body, char out[SECRET_SUM + 1])
{
    static const unsigned char tag[16] = "pirack-key-sum-1";
    unsigned char sum[SECRET_SUM / 2];

    crypto_generichash(sum, sizeof(sum), (const unsigned char *)body, SECRET_BODY, tag,
                       sizeof(tag));
    sodium_bin2hex(out, SECRET_SUM + 1, sum, sizeof(sum));
}

int pr_key_secret_check(const char *secret)
{
    char sum[SECRET_SUM + 1];

    if (!secret || strlen(secret) != PR_KEY_SECRET_LEN || strncmp(secret, SECRET_PREFIX, 4) != 0 ||
        !all_hex(secret + 4, SECRET_BODY + SECRET_SUM))
        return -EINVAL;
    secret_sum(secret + 4, sum);
    return memcmp(sum, secret + 4 + SECRET_BODY, SECRET_SUM) == 0 ? 0 : -EINVAL;
}

void pr_key_secret_make(const unsigned char random[SECRET_BODY / 2],
                        char out[PR_KEY_SECRET_LEN + 1])
{
    memcpy(out, SECRET_PREFIX, 4);
    sodium_bin2hex(out + 4, SECRET_BODY + 1, random, SECRET_BODY / 2);
    secret_sum(out + 4, out + 4 + SECRET_BODY);
}

static void hash_secret(const char *secret, unsigned char hash[HASH_LEN])
{
    crypto_generichash(hash, HASH_LEN, (const unsigned char *)secret, strlen(secret), NULL, 0);
}

/* "" or a comma list of pi names, each a DNS label. */
static bool pis_valid(const char *pis)
{
    char name[PR_NAME_MAX];

    if (strlen(pis) >= PR_KEY_PIS_MAX)
        return false;
    for (const char *p = pis; *p;) {
        size_t n = strcspn(p, ",");
        if (n == 0 || n >= sizeof(name))
            return false;
        memcpy(name, p, n);
        name[n] = '\0';
        if (!pr_plan_name_valid(name))
            return false;
        p += n;
        if (*p == ',' && *++p == '\0')
            return false;
    }
    return true;
}

static const char SQL_ADD_KEY[] =
    "INSERT INTO api_keys (id, customer_id, hash, scopes, pis, created_ms, expires_ms)"
    " SELECT ?2, id, ?3, ?4, ?5, ?6, ?7 FROM customers WHERE name = ?1";

int pr_store_create_key(struct pr_store *st, const char *customer, unsigned scopes,
                        int64_t expires_ms, const char *pis, char id[PR_KEY_ID_LEN + 1],
                        char secret[PR_KEY_SECRET_LEN + 1])
{
    unsigned char rnd[SECRET_BODY / 2], idbin[8], hash[HASH_LEN];
    sqlite3_stmt *s;
    int err;

    if (!pis)
        pis = "";
    if (scopes == 0 || (scopes & ~PR_SCOPE_ALL))
        return pr_store_fail(st, -EINVAL,
                             "a key needs at least one of the scopes "
                             "read, power, provision, keys");
    if (!pis_valid(pis))
        return pr_store_fail(st, -EINVAL,
                             "a key's pis are a comma list of pi names (DNS labels), "
                             "at most %d bytes",
                             PR_KEY_PIS_MAX - 1);
    if (expires_ms < 0)
        return pr_store_fail(st, -EINVAL, "a key's expiry must be in the future");
    err = pr_store_prepare(st, SQL_ADD_KEY, &s);
    if (err < 0)
        return err;
    randombytes_buf(idbin, sizeof(idbin));
    memcpy(id, ID_PREFIX, 4);
    sodium_bin2hex(id + 4, PR_KEY_ID_LEN - 4 + 1, idbin, sizeof(idbin));
    randombytes_buf(rnd, sizeof(rnd));
    pr_key_secret_make(rnd, secret);
    sodium_memzero(rnd, sizeof(rnd));
    hash_secret(secret, hash);
    sqlite3_bind_text(s, 1, customer, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
    sqlite3_bind_blob(s, 3, hash, sizeof(hash), SQLITE_STATIC);
    sqlite3_bind_int(s, 4, (int)scopes);
    sqlite3_bind_text(s, 5, pis, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 6, pr_store_now_ms());
    if (expires_ms)
        sqlite3_bind_int64(s, 7, expires_ms);
    err = pr_store_exec(st, s, "adding a key");
    if (err == 0 && sqlite3_changes(st->db) == 0)
        err = pr_store_fail(st, -ENOENT, "no customer '%.70s'", customer ? customer : "(null)");
    if (err < 0)
        sodium_memzero(secret, PR_KEY_SECRET_LEN + 1);
    return err;
}

#define KEY_COLUMNS                                                           \
    "k.id, c.name, k.scopes, k.pis, k.created_ms, coalesce(k.expires_ms, 0)," \
    " coalesce(k.revoked_ms, 0) FROM api_keys k JOIN customers c ON c.id = k.customer_id"

static void read_key(sqlite3_stmt *s, struct pr_key_row *row)
{
    memset(row, 0, sizeof(*row));
    pr_store_column_text(s, 0, row->id, sizeof(row->id));
    pr_store_column_text(s, 1, row->customer, sizeof(row->customer));
    row->scopes = (unsigned)sqlite3_column_int(s, 2);
    pr_store_column_text(s, 3, row->pis, sizeof(row->pis));
    row->created_ms = sqlite3_column_int64(s, 4);
    row->expires_ms = sqlite3_column_int64(s, 5);
    row->revoked_ms = sqlite3_column_int64(s, 6);
}

static const char SQL_GET_KEY[] = "SELECT " KEY_COLUMNS " WHERE k.id = ?1";

int pr_store_get_key(struct pr_store *st, const char *id, struct pr_key_row *out)
{
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, SQL_GET_KEY, &s);
    if (err < 0)
        return err;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        read_key(s, out);
    else
        err = rc == SQLITE_DONE ? pr_store_fail(st, -ENOENT, "no key '%.40s'", id ? id : "(null)")
                                : pr_store_sqlfail(st, "reading a key");
    sqlite3_reset(s);
    return err;
}

int pr_store_each_key(struct pr_store *st, const char *customer, pr_key_cb cb, void *ctx)
{
    /* api_keys has no rowid; page by (created_ms, id) instead. */
    static const char SQL_KEYS_PAGE[] = "SELECT " KEY_COLUMNS " WHERE (?1 IS NULL OR c.name = ?1)"
                                        " AND (k.created_ms, k.id) > (?2, ?3)"
                                        " ORDER BY k.created_ms, k.id LIMIT 32";
    struct pr_key_row rows[PR_STORE_PAGE];
    int64_t after_ms = -1;
    char after_id[PR_KEY_ID_LEN + 1] = "";

    for (;;) {
        sqlite3_stmt *s;
        size_t n = 0;
        int err = pr_store_prepare(st, SQL_KEYS_PAGE, &s);
        if (err < 0)
            return err;
        if (customer)
            sqlite3_bind_text(s, 1, customer, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, after_ms);
        sqlite3_bind_text(s, 3, after_id, -1, SQLITE_STATIC);
        int rc;
        while (n < PR_STORE_PAGE && (rc = sqlite3_step(s)) == SQLITE_ROW)
            read_key(s, &rows[n++]);
        if (n < PR_STORE_PAGE && rc != SQLITE_DONE) {
            err = pr_store_sqlfail(st, "listing keys");
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
        after_ms = rows[n - 1].created_ms;
        memcpy(after_id, rows[n - 1].id, sizeof(after_id));
    }
}

static const char SQL_REVOKE_KEY[] =
    "UPDATE api_keys SET revoked_ms = ?2 WHERE id = ?1 AND revoked_ms IS NULL";
static const char SQL_DROP_KEY_TOKENS[] = "DELETE FROM access_tokens WHERE key_id = ?1";

int pr_store_revoke_key(struct pr_store *st, const char *id)
{
    struct pr_key_row row;
    sqlite3_stmt *s;
    int err = pr_store_get_key(st, id, &row);
    if (err < 0)
        return err;
    if (row.revoked_ms)
        return pr_store_fail(st, -EALREADY, "key %s is already revoked", id);
    err = pr_store_prepare(st, SQL_REVOKE_KEY, &s);
    if (err < 0)
        return err;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, pr_store_now_ms());
    err = pr_store_exec(st, s, "revoking a key");
    if (err == 0)
        err = pr_store_prepare(st, SQL_DROP_KEY_TOKENS, &s);
    if (err < 0)
        return err;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    return pr_store_exec(st, s, "dropping a key's tokens");
}

static const char SQL_KEY_HASH[] = "SELECT hash FROM api_keys WHERE id = ?1";

/* Whether the key may be used at now_ms; the reason into errmsg if not. */
static int key_usable(struct pr_store *st, const struct pr_key_row *row, int64_t now_ms)
{
    if (row->revoked_ms)
        return pr_store_fail(st, -EACCES, "the key is revoked");
    if (row->expires_ms && row->expires_ms <= now_ms)
        return pr_store_fail(st, -EACCES, "the key has expired");
    return 0;
}

static void principal_of(const struct pr_key_row *row, struct pr_principal *out)
{
    memset(out, 0, sizeof(*out));
    memcpy(out->key_id, row->id, sizeof(out->key_id));
    memcpy(out->customer, row->customer, sizeof(out->customer));
    out->scopes = row->scopes;
    memcpy(out->pis, row->pis, sizeof(out->pis));
}

int pr_store_key_login(struct pr_store *st, const char *id, const char *secret, int64_t now_ms,
                       struct pr_principal *out)
{
    unsigned char want[HASH_LEN], got[HASH_LEN];
    struct pr_key_row row;
    sqlite3_stmt *s;
    bool match = false;
    int err;

    if (pr_key_id_check(id) < 0)
        return pr_store_fail(st, -EACCES, "not a key id (prk_ and 16 hex digits)");
    if (pr_key_secret_check(secret) < 0)
        return pr_store_fail(st, -EACCES, "not a key secret (prs_, 48 hex digits, a checksum)");
    err = pr_store_get_key(st, id, &row);
    if (err == -ENOENT)
        return pr_store_fail(st, -EACCES, "unknown key or wrong secret");
    if (err < 0)
        return err;
    err = pr_store_prepare(st, SQL_KEY_HASH, &s);
    if (err < 0)
        return err;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_bytes(s, 0) == HASH_LEN) {
        memcpy(want, sqlite3_column_blob(s, 0), HASH_LEN);
        match = true;
    }
    sqlite3_reset(s);
    hash_secret(secret, got);
    if (!match || sodium_memcmp(want, got, HASH_LEN) != 0)
        return pr_store_fail(st, -EACCES, "unknown key or wrong secret");
    err = key_usable(st, &row, now_ms);
    if (err < 0)
        return err;
    principal_of(&row, out);
    return 0;
}

static const char SQL_PURGE_TOKENS[] = "DELETE FROM access_tokens WHERE expires_ms <= ?1";
static const char SQL_ADD_ACCESS_TOKEN[] =
    "INSERT INTO access_tokens (hash, key_id, expires_ms) VALUES (?1, ?2, ?3)";

int pr_store_issue_access_token(struct pr_store *st, const char *key_id, int64_t now_ms,
                                int64_t ttl_ms, char token[PR_ACCESS_TOKEN_LEN + 1])
{
    unsigned char rnd[32], hash[HASH_LEN];
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, SQL_PURGE_TOKENS, &s);
    if (err < 0)
        return err;
    sqlite3_bind_int64(s, 1, now_ms);
    err = pr_store_exec(st, s, "purging expired tokens");
    if (err == 0)
        err = pr_store_prepare(st, SQL_ADD_ACCESS_TOKEN, &s);
    if (err < 0)
        return err;
    randombytes_buf(rnd, sizeof(rnd));
    memcpy(token, TOKEN_PREFIX, 4);
    sodium_bin2base64(token + 4, PR_ACCESS_TOKEN_LEN - 4 + 1, rnd, sizeof(rnd),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(rnd, sizeof(rnd));
    hash_secret(token, hash);
    sqlite3_bind_blob(s, 1, hash, sizeof(hash), SQLITE_STATIC);
    sqlite3_bind_text(s, 2, key_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, now_ms + ttl_ms);
    err = pr_store_exec(st, s, "adding an access token");
    if (err < 0)
        sodium_memzero(token, PR_ACCESS_TOKEN_LEN + 1);
    return err;
}

static const char SQL_CHECK_ACCESS_TOKEN[] =
    "SELECT key_id, expires_ms FROM access_tokens WHERE hash = ?1";

int pr_store_check_access_token(struct pr_store *st, const char *token, int64_t now_ms,
                                struct pr_principal *out)
{
    unsigned char hash[HASH_LEN];
    char key_id[PR_KEY_ID_LEN + 1] = "";
    int64_t expires_ms = 0;
    struct pr_key_row row;
    sqlite3_stmt *s;
    int err;

    if (!token || strlen(token) != PR_ACCESS_TOKEN_LEN || strncmp(token, TOKEN_PREFIX, 4) != 0)
        return pr_store_fail(st, -EACCES, "not an access token");
    err = pr_store_prepare(st, SQL_CHECK_ACCESS_TOKEN, &s);
    if (err < 0)
        return err;
    hash_secret(token, hash);
    sqlite3_bind_blob(s, 1, hash, sizeof(hash), SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        pr_store_column_text(s, 0, key_id, sizeof(key_id));
        expires_ms = sqlite3_column_int64(s, 1);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_ROW)
        return rc == SQLITE_DONE ? pr_store_fail(st, -EACCES, "unknown access token")
                                 : pr_store_sqlfail(st, "checking a token");
    if (expires_ms <= now_ms)
        return pr_store_fail(st, -EACCES, "the access token has expired");
    err = pr_store_get_key(st, key_id, &row);
    if (err < 0)
        return err == -ENOENT ? pr_store_fail(st, -EACCES, "the key is gone") : err;
    err = key_usable(st, &row, now_ms);
    if (err < 0)
        return err;
    principal_of(&row, out);
    return 0;
}

bool pr_principal_allows_pi(const struct pr_principal *p, const char *name)
{
    size_t len = strlen(name);

    if (!p->pis[0])
        return true;
    for (const char *q = p->pis; *q;) {
        size_t n = strcspn(q, ",");
        if (n == len && strncmp(q, name, n) == 0)
            return true;
        q += n;
        if (*q == ',')
            q++;
    }
    return false;
}
