/* store reimage: reimages of a pi, recorded before they start so that a
 * restart finishes the ones it interrupted (as power operations are). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "store_internal.h"

static const char SQL_BEGIN[] =
    "INSERT INTO reimage_ops (slot, image, undo, actor, created_ms, updated_ms)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?5)";

int64_t pr_store_reimage_begin(struct pr_store *st, unsigned slot, const char *image, bool undo,
                               const char *actor)
{
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, SQL_BEGIN, &s);
    if (err < 0)
        return err;
    sqlite3_bind_int64(s, 1, slot);
    sqlite3_bind_text(s, 2, image ? image : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 3, undo);
    sqlite3_bind_text(s, 4, actor, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, pr_store_now_ms());
    err = pr_store_exec(st, s, "recording a reimage");
    if (err == -EEXIST)
        return pr_store_fail(st, err, "slot %u is already being reimaged", slot);
    if (err == -EINVAL)
        return pr_store_fail(st, err, "no slot %u, or a bad image name or actor", slot);
    return err < 0 ? err : sqlite3_last_insert_rowid(st->db);
}

static const char SQL_PHASE[] =
    "UPDATE reimage_ops SET phase = ?2, updated_ms = ?3 WHERE id = ?1 AND finished_ms IS NULL";

int pr_store_reimage_phase(struct pr_store *st, int64_t id, const char *phase)
{
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, SQL_PHASE, &s);
    if (err < 0)
        return err;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_text(s, 2, phase, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, pr_store_now_ms());
    err = pr_store_exec(st, s, "moving a reimage on");
    if (err == 0 && sqlite3_changes(st->db) == 0)
        return pr_store_fail(st, -ENOENT, "no unfinished reimage %lld", (long long)id);
    return err;
}

static const char SQL_FINISH[] =
    "UPDATE reimage_ops SET phase = ?2, result = ?3, updated_ms = ?4, finished_ms = ?4"
    " WHERE id = ?1 AND finished_ms IS NULL";

int pr_store_reimage_finish(struct pr_store *st, int64_t id, bool ok, const char *result)
{
    sqlite3_stmt *s;
    char cut[256];
    int err = pr_store_prepare(st, SQL_FINISH, &s);
    if (err < 0)
        return err;
    snprintf(cut, sizeof(cut), "%s", result ? result : "");
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_text(s, 2, ok ? "done" : "failed", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, cut, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 4, pr_store_now_ms());
    err = pr_store_exec(st, s, "finishing a reimage");
    if (err == 0 && sqlite3_changes(st->db) == 0)
        return pr_store_fail(st, -ENOENT, "no unfinished reimage %lld", (long long)id);
    return err;
}

#define OP_SELECT                                                                       \
    "SELECT id, slot, image, undo, phase, actor, created_ms, coalesce(finished_ms, 0)," \
    " coalesce(result, '') FROM reimage_ops"
static const char SQL_LAST[] = OP_SELECT " WHERE slot = ?1 ORDER BY id DESC LIMIT 1";
static const char SQL_UNFINISHED[] = OP_SELECT " WHERE finished_ms IS NULL AND id > ?1"
                                               " ORDER BY id LIMIT 32";

static void read_op(sqlite3_stmt *s, struct pr_reimage_op *op)
{
    memset(op, 0, sizeof(*op));
    op->id = sqlite3_column_int64(s, 0);
    op->slot = (unsigned)sqlite3_column_int(s, 1);
    pr_store_column_text(s, 2, op->image, sizeof(op->image));
    op->undo = sqlite3_column_int(s, 3) != 0;
    pr_store_column_text(s, 4, op->phase, sizeof(op->phase));
    pr_store_column_text(s, 5, op->actor, sizeof(op->actor));
    op->created_ms = sqlite3_column_int64(s, 6);
    op->finished_ms = sqlite3_column_int64(s, 7);
    pr_store_column_text(s, 8, op->result, sizeof(op->result));
}

int pr_store_reimage_last(struct pr_store *st, unsigned slot, struct pr_reimage_op *out)
{
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, SQL_LAST, &s);
    if (err < 0)
        return err;
    sqlite3_bind_int64(s, 1, slot);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        read_op(s, out);
    else
        err = rc == SQLITE_DONE ? pr_store_fail(st, -ENOENT, "slot %u was never reimaged", slot)
                                : pr_store_sqlfail(st, "reading a reimage");
    sqlite3_reset(s);
    return err;
}

int pr_store_each_unfinished_reimage(struct pr_store *st, pr_reimage_cb cb, void *ctx)
{
    static struct pr_reimage_op page[32];
    int64_t after = 0;
    for (;;) {
        sqlite3_stmt *s;
        int err = pr_store_prepare(st, SQL_UNFINISHED, &s), n = 0, rc;
        if (err < 0)
            return err;
        sqlite3_bind_int64(s, 1, after);
        while ((rc = sqlite3_step(s)) == SQLITE_ROW && n < 32)
            read_op(s, &page[n++]);
        if (rc != SQLITE_DONE && rc != SQLITE_ROW)
            err = pr_store_sqlfail(st, "listing reimages");
        sqlite3_reset(s);
        if (err < 0)
            return err;
        for (int i = 0; i < n; i++)
            if ((rc = cb(&page[i], ctx)))
                return rc;
        if (n < 32)
            return 0;
        after = page[n - 1].id;
    }
}
