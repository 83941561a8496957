/* store bringup: bring-up runs and each slot's progress in them, written
 * as the run moves so that a restarted pirackd (or a new CLI) finds it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store_internal.h"

#define PAGE 32

static const char SQL_BEGIN[] = "INSERT INTO bringup_runs (slots, switch, actor, created_ms)"
                                " VALUES (?1, ?2, ?3, ?4)";
/* The board each slot holds now: what a moved or swapped board is told from. */
static const char SQL_BEGIN_SLOT[] =
    "INSERT INTO bringup_slots (run_id, slot, phase, was_mac, updated_ms)"
    " VALUES (?1, ?2, 'pending', coalesce((SELECT mac FROM boards WHERE slot = ?2), ''), ?3)";

static int insert_slots(struct pr_store *st, int64_t id, const unsigned *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sqlite3_stmt *s;
        int err = pr_store_prepare(st, SQL_BEGIN_SLOT, &s);

        if (err < 0)
            return err;
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_int64(s, 2, list[i]);
        sqlite3_bind_int64(s, 3, pr_store_now_ms());
        if ((err = pr_store_exec(st, s, "recording a bring-up slot")) < 0)
            return err;
    }
    return 0;
}

int64_t pr_store_bringup_begin(struct pr_store *st, const char *slots, const char *sw,
                               const char *actor, const unsigned *list, size_t n)
{
    sqlite3_stmt *s;
    int64_t id;
    int err = pr_store_begin(st);

    if (err < 0)
        return err;
    if ((err = pr_store_prepare(st, SQL_BEGIN, &s)) < 0)
        goto fail;
    sqlite3_bind_text(s, 1, slots, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, sw ? sw : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, actor, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, pr_store_now_ms());
    err = pr_store_exec(st, s, "recording a bring-up");
    if (err == -EEXIST) {
        pr_store_fail(st, err, "a bring-up is already running");
        goto fail;
    }
    if (err < 0)
        goto fail;
    id = sqlite3_last_insert_rowid(st->db);
    if ((err = insert_slots(st, id, list, n)) < 0)
        goto fail;
    err = pr_store_commit(st);
    return err < 0 ? err : id;
fail:
    pr_store_rollback(st);
    return err;
}

#define RUN_COLUMNS "id, slots, switch, actor, created_ms, coalesce(finished_ms, 0), result"
static const char SQL_GET[] = "SELECT " RUN_COLUMNS " FROM bringup_runs WHERE id = ?1";
static const char SQL_NEWEST[] =
    "SELECT " RUN_COLUMNS " FROM bringup_runs ORDER BY id DESC LIMIT 1";
static const char SQL_RUNNING[] =
    "SELECT " RUN_COLUMNS " FROM bringup_runs WHERE finished_ms IS NULL LIMIT 1";

static int read_run(struct pr_store *st, sqlite3_stmt *s, struct pr_bringup_run *out)
{
    int rc = sqlite3_step(s), err = 0;

    memset(out, 0, sizeof(*out));
    if (rc == SQLITE_ROW) {
        out->id = sqlite3_column_int64(s, 0);
        pr_store_column_text(s, 1, out->slots, sizeof(out->slots));
        pr_store_column_text(s, 2, out->sw, sizeof(out->sw));
        pr_store_column_text(s, 3, out->actor, sizeof(out->actor));
        out->created_ms = sqlite3_column_int64(s, 4);
        out->finished_ms = sqlite3_column_int64(s, 5);
        pr_store_column_text(s, 6, out->result, sizeof(out->result));
    } else {
        err = rc == SQLITE_DONE ? pr_store_fail(st, -ENOENT, "no bring-up")
                                : pr_store_sqlfail(st, "reading a bring-up");
    }
    sqlite3_reset(s);
    return err;
}

int pr_store_bringup_get(struct pr_store *st, int64_t id, struct pr_bringup_run *out)
{
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, id ? SQL_GET : SQL_NEWEST, &s);

    if (err < 0)
        return err;
    if (id)
        sqlite3_bind_int64(s, 1, id);
    return read_run(st, s, out);
}

int pr_store_bringup_running(struct pr_store *st, struct pr_bringup_run *out)
{
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, SQL_RUNNING, &s);

    return err < 0 ? err : read_run(st, s, out);
}

static const char SQL_SLOTS[] =
    "SELECT slot, phase, was_mac, mac, model, serial, outcome, from_slot, detail, updated_ms"
    " FROM bringup_slots WHERE run_id = ?1 AND slot > ?2 ORDER BY slot LIMIT 32";

static void read_slot(sqlite3_stmt *s, struct pr_bringup_slot *r)
{
    memset(r, 0, sizeof(*r));
    r->slot = (unsigned)sqlite3_column_int64(s, 0);
    pr_store_column_text(s, 1, r->phase, sizeof(r->phase));
    pr_store_column_text(s, 2, r->was_mac, sizeof(r->was_mac));
    pr_store_column_text(s, 3, r->mac, sizeof(r->mac));
    pr_store_column_text(s, 4, r->model, sizeof(r->model));
    pr_store_column_text(s, 5, r->serial, sizeof(r->serial));
    pr_store_column_text(s, 6, r->outcome, sizeof(r->outcome));
    r->from_slot = (unsigned)sqlite3_column_int64(s, 7);
    pr_store_column_text(s, 8, r->detail, sizeof(r->detail));
    r->updated_ms = sqlite3_column_int64(s, 9);
}

int pr_store_bringup_each_slot(struct pr_store *st, int64_t id, pr_bringup_slot_cb cb, void *ctx)
{
    struct pr_bringup_slot *page = malloc(PAGE * sizeof(*page));
    unsigned after = 0;
    int err = page ? 0 : -ENOMEM;

    while (err == 0) {
        sqlite3_stmt *s;
        int n = 0, rc = SQLITE_DONE;

        if ((err = pr_store_prepare(st, SQL_SLOTS, &s)) < 0)
            break;
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_int64(s, 2, after);
        while (n < PAGE && (rc = sqlite3_step(s)) == SQLITE_ROW)
            read_slot(s, &page[n++]);
        if (n < PAGE && rc != SQLITE_DONE)
            err = pr_store_sqlfail(st, "listing a bring-up's slots");
        sqlite3_reset(s);
        for (int i = 0; err == 0 && i < n; i++)
            err = cb(&page[i], ctx);
        if (n < PAGE)
            break;
        after = page[n - 1].slot;
    }
    free(page);
    return err;
}

static const char SQL_PUT[] =
    "UPDATE bringup_slots SET phase = ?3, mac = ?4, model = ?5, serial = ?6, outcome = ?7,"
    " from_slot = ?8, detail = ?9, updated_ms = ?10 WHERE run_id = ?1 AND slot = ?2";

int pr_store_bringup_put_slot(struct pr_store *st, int64_t id, const struct pr_bringup_slot *row)
{
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, SQL_PUT, &s);

    if (err < 0)
        return err;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, row->slot);
    sqlite3_bind_text(s, 3, row->phase, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, row->mac, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, row->model, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, row->serial, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 7, row->outcome, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 8, row->from_slot);
    sqlite3_bind_text(s, 9, row->detail, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 10, pr_store_now_ms());
    err = pr_store_exec(st, s, "moving a bring-up slot on");
    if (err == 0 && sqlite3_changes(st->db) == 0)
        return pr_store_fail(st, -ENOENT, "bring-up %lld has no slot %u", (long long)id, row->slot);
    return err;
}

static const char SQL_FINISH[] = "UPDATE bringup_runs SET finished_ms = ?2, result = ?3"
                                 " WHERE id = ?1 AND finished_ms IS NULL";

int pr_store_bringup_finish(struct pr_store *st, int64_t id, const char *result)
{
    sqlite3_stmt *s;
    char cut[256];
    int err = pr_store_prepare(st, SQL_FINISH, &s);

    if (err < 0)
        return err;
    snprintf(cut, sizeof(cut), "%s", result ? result : "");
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, pr_store_now_ms());
    sqlite3_bind_text(s, 3, cut, -1, SQLITE_STATIC);
    err = pr_store_exec(st, s, "finishing a bring-up");
    if (err == 0 && sqlite3_changes(st->db) == 0)
        return pr_store_fail(st, -ENOENT, "no running bring-up %lld", (long long)id);
    return err;
}
