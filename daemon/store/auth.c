/* store customers: the tenants that own pis and API keys (keys.c holds
 * the keys, their hashed secrets and the access tokens made from them). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "store_internal.h"

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
