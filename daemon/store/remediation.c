/* store remediation: each slot's remediation ladder (store.h), written
 * before each step so that a restart resumes it rather than repeating or
 * forgetting a step. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "store_internal.h"

#define ROW_SELECT                                                                        \
    "SELECT slot, cycles, reimages, step, phase, step_ms, last_power_ms, healthy_ms FROM" \
    " remediation"
static const char SQL_GET[] = ROW_SELECT " WHERE slot = ?1";
static const char SQL_EACH[] = ROW_SELECT " WHERE slot > ?1 ORDER BY slot LIMIT 64";
static const char SQL_PUT[] =
    "INSERT OR REPLACE INTO remediation"
    " (slot, cycles, reimages, step, phase, step_ms, last_power_ms, healthy_ms)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

static void read_row(sqlite3_stmt *s, struct pr_remedy_row *r)
{
    r->slot = (unsigned)sqlite3_column_int64(s, 0);
    r->cycles = (unsigned)sqlite3_column_int64(s, 1);
    r->reimages = (unsigned)sqlite3_column_int64(s, 2);
    pr_store_column_text(s, 3, r->step, sizeof(r->step));
    pr_store_column_text(s, 4, r->phase, sizeof(r->phase));
    r->step_ms = sqlite3_column_int64(s, 5);
    r->last_power_ms = sqlite3_column_int64(s, 6);
    r->healthy_ms = sqlite3_column_int64(s, 7);
}

int pr_store_remedy_get(struct pr_store *st, unsigned slot, struct pr_remedy_row *out)
{
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, SQL_GET, &s);
    if (err < 0)
        return err;
    memset(out, 0, sizeof(*out));
    out->slot = slot;
    snprintf(out->step, sizeof(out->step), "none");
    snprintf(out->phase, sizeof(out->phase), "idle");
    sqlite3_bind_int64(s, 1, slot);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        read_row(s, out);
    else if (rc != SQLITE_DONE)
        err = pr_store_sqlfail(st, "reading a remediation");
    sqlite3_reset(s);
    return err;
}

int pr_store_remedy_put(struct pr_store *st, const struct pr_remedy_row *row)
{
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, SQL_PUT, &s);
    if (err < 0)
        return err;
    sqlite3_bind_int64(s, 1, row->slot);
    sqlite3_bind_int64(s, 2, row->cycles);
    sqlite3_bind_int64(s, 3, row->reimages);
    sqlite3_bind_text(s, 4, row->step, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 5, row->phase, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 6, row->step_ms);
    sqlite3_bind_int64(s, 7, row->last_power_ms);
    sqlite3_bind_int64(s, 8, row->healthy_ms);
    err = pr_store_exec(st, s, "recording a remediation");
    if (err == -EINVAL)
        return pr_store_fail(st, err, "slot %u: no such slot, or step %s in phase %s", row->slot,
                             row->step, row->phase);
    return err;
}

int pr_store_each_remedy(struct pr_store *st, pr_remedy_cb cb, void *ctx)
{
    static struct pr_remedy_row page[64];
    int64_t after = 0;
    for (;;) {
        sqlite3_stmt *s;
        int err = pr_store_prepare(st, SQL_EACH, &s), n = 0, rc;
        if (err < 0)
            return err;
        sqlite3_bind_int64(s, 1, after);
        while ((rc = sqlite3_step(s)) == SQLITE_ROW && n < 64)
            read_row(s, &page[n++]);
        if (rc != SQLITE_DONE && rc != SQLITE_ROW)
            err = pr_store_sqlfail(st, "listing remediations");
        sqlite3_reset(s);
        if (err < 0)
            return err;
        for (int i = 0; i < n; i++)
            if ((rc = cb(&page[i], ctx)))
                return rc;
        if (n < 64)
            return 0;
        after = page[n - 1].slot;
    }
}
