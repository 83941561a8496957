/* store idempotency: the first answer to a customer's POST that carried
 * an Idempotency-Key, kept for a day, so that a retried request gets the
 * same answer instead of doing the thing twice. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "store_internal.h"

#define KEEP_MS (24LL * 3600 * 1000)

static const char SQL_IDEM_PURGE[] = "DELETE FROM idempotency WHERE created_ms <= ?1";
static const char SQL_IDEM_GET[] = "SELECT method, path, status, body, location FROM idempotency"
                                   " WHERE key_id = ?1 AND ikey = ?2";
static const char SQL_IDEM_PUT[] =
    "INSERT OR IGNORE INTO idempotency (key_id, ikey, method, path, status, body, location,"
    " created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

int pr_store_idempotent_get(struct pr_store *st, const char *key_id, const char *ikey,
                            const char *method, const char *path, int64_t now_ms,
                            struct pr_idempotent *out)
{
    char m[16], pth[1024];
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, SQL_IDEM_PURGE, &s);
    if (err < 0)
        return err;
    sqlite3_bind_int64(s, 1, now_ms - KEEP_MS);
    err = pr_store_exec(st, s, "purging idempotency keys");
    if (err == 0)
        err = pr_store_prepare(st, SQL_IDEM_GET, &s);
    if (err < 0)
        return err;
    sqlite3_bind_text(s, 1, key_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, ikey, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        pr_store_column_text(s, 0, m, sizeof(m));
        pr_store_column_text(s, 1, pth, sizeof(pth));
        out->status = (unsigned)sqlite3_column_int(s, 2);
        pr_store_column_text(s, 3, out->body, sizeof(out->body));
        pr_store_column_text(s, 4, out->location, sizeof(out->location));
    }
    sqlite3_reset(s);
    if (rc == SQLITE_DONE)
        return pr_store_fail(st, -ENOENT, "no such idempotency key");
    if (rc != SQLITE_ROW)
        return pr_store_sqlfail(st, "reading an idempotency key");
    if (strcmp(m, method) != 0 || strcmp(pth, path) != 0)
        return pr_store_fail(st, -EEXIST, "that Idempotency-Key was used for %s %.200s", m, pth);
    return 0;
}

int pr_store_idempotent_put(struct pr_store *st, const char *key_id, const char *ikey,
                            const char *method, const char *path, int64_t now_ms,
                            const struct pr_idempotent *answer)
{
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, SQL_IDEM_PUT, &s);
    if (err < 0)
        return err;
    sqlite3_bind_text(s, 1, key_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, ikey, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, method, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, path, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 5, (int)answer->status);
    sqlite3_bind_text(s, 6, answer->body, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 7, answer->location, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 8, now_ms);
    return pr_store_exec(st, s, "recording an idempotency key");
}
