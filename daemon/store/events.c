/* store events and power operations.
 *
 * Events are the append-only timeline of each slot and the rack's audit
 * log: the schema's triggers refuse to change or delete one; only
 * retention (pr_store_prune_events) deletes the oldest.  A slot cut from
 * the plan keeps its events.  Power
 * operations are written before they start and finished when they end, so
 * that a restart finds the interrupted ones. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

#include "pirack/log.h"
#include "store_internal.h"

static const char SQL_SLOT_EXISTS[] = "SELECT 1 FROM slots WHERE slot = ?1";

static bool slot_exists(struct pr_store *st, unsigned slot)
{
    sqlite3_stmt *s;
    bool found = false;
    if (pr_store_prepare(st, SQL_SLOT_EXISTS, &s) == 0) {
        sqlite3_bind_int64(s, 1, slot);
        found = sqlite3_step(s) == SQLITE_ROW;
        sqlite3_reset(s);
    }
    return found;
}

static bool kind_valid(const char *kind)
{
    size_t n = kind ? strlen(kind) : 0;
    if (n < 1 || n > 31)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789._-", kind[i]))
            return false;
    return true;
}

static bool actor_valid(const char *actor)
{
    return actor && *actor && strlen(actor) <= 63;
}

/* Says which of an event's fields the schema refused. */
static int event_refused(struct pr_store *st, unsigned slot, const char *kind, const char *actor)
{
    if (slot > 0 && !slot_exists(st, slot))
        return pr_store_fail(st, -EINVAL, "no slot %u", slot);
    if (!kind_valid(kind))
        return pr_store_fail(st, -EINVAL,
                             "'%.40s' is not an event kind (a-z, 0-9, '.', "
                             "'_', '-', at most 31)",
                             kind ? kind : "(null)");
    if (!actor_valid(actor))
        return pr_store_fail(st, -EINVAL, "an event's actor has 1 to 63 bytes");
    return pr_store_fail(st, -EINVAL,
                         "an event's detail is a JSON object of at most "
                         "1023 bytes");
}

static const char SQL_ADD_EVENT[] =
    "INSERT INTO events (time_ms, slot, kind, actor, detail) VALUES (?1, ?2, ?3, ?4, ?5)";

int64_t pr_store_add_event(struct pr_store *st, unsigned slot, const char *kind, const char *actor,
                           const char *detail_json)
{
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, SQL_ADD_EVENT, &s);
    if (err < 0)
        return err;
    sqlite3_bind_int64(s, 1, pr_store_now_ms());
    if (slot > 0)
        sqlite3_bind_int64(s, 2, slot);
    sqlite3_bind_text(s, 3, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, actor, -1, SQLITE_STATIC);
    pr_store_bind_text_or_null(s, 5, detail_json);
    err = pr_store_exec(st, s, "adding an event");
    if (err == -EINVAL)
        return event_refused(st, slot, kind, actor);
    return err < 0 ? err : sqlite3_last_insert_rowid(st->db);
}

/* The gate is a row that the delete trigger looks for: open only inside
 * this transaction, so nothing else can delete an event. */
static const char SQL_GATE_OPEN[] = "INSERT INTO events_prune_gate (open) VALUES (1)";
static const char SQL_GATE_CLOSE[] = "DELETE FROM events_prune_gate";
static const char SQL_PRUNE_AGE[] = "DELETE FROM events WHERE time_ms < ?1";
static const char SQL_PRUNE_COUNT[] =
    "DELETE FROM events WHERE id <= (SELECT id FROM events ORDER BY id DESC LIMIT 1 OFFSET ?1)";

static int prune_step(struct pr_store *st, const char *sql, int64_t arg, int64_t *deleted)
{
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, sql, &s);
    if (err < 0)
        return err;
    sqlite3_bind_int64(s, 1, arg);
    err = pr_store_exec(st, s, "pruning events");
    if (err == 0)
        *deleted += sqlite3_changes(st->db);
    return err;
}

int64_t pr_store_prune_events(struct pr_store *st, int64_t now_ms, uint64_t max_age_ms,
                              uint64_t max_count)
{
    int64_t deleted = 0;
    sqlite3_stmt *s;
    int err;

    if (max_age_ms == 0 && max_count == 0)
        return 0;
    if (max_count > INT64_MAX || max_age_ms > INT64_MAX)
        return pr_store_fail(st, -EINVAL, "retention limits out of range");
    if ((err = pr_store_begin(st)) < 0)
        return err;
    err = pr_store_prepare(st, SQL_GATE_OPEN, &s);
    if (err == 0)
        err = pr_store_exec(st, s, "opening the event prune gate");
    if (err == 0 && max_age_ms && now_ms > (int64_t)max_age_ms)
        err = prune_step(st, SQL_PRUNE_AGE, now_ms - (int64_t)max_age_ms, &deleted);
    if (err == 0 && max_count)
        err = prune_step(st, SQL_PRUNE_COUNT, (int64_t)max_count, &deleted);
    if (err == 0)
        err = pr_store_prepare(st, SQL_GATE_CLOSE, &s);
    if (err == 0)
        err = pr_store_exec(st, s, "closing the event prune gate");
    if (err < 0) {
        pr_store_rollback(st);
        return err;
    }
    err = pr_store_commit(st);
    return err < 0 ? err : deleted;
}

#define EVENT_COLUMNS "SELECT id, time_ms, slot, kind, actor, detail FROM events"
static const char SQL_EVENTS_SLOT[] =
    EVENT_COLUMNS " WHERE slot = ?1 AND id > ?2 ORDER BY id LIMIT ?3";
static const char SQL_EVENTS_RACK[] =
    EVENT_COLUMNS " WHERE slot IS NULL AND id > ?2 ORDER BY id LIMIT ?3";
static const char SQL_EVENTS_ALL[] = EVENT_COLUMNS " WHERE id > ?2 ORDER BY id LIMIT ?3";

static void read_event(sqlite3_stmt *s, struct pr_event_row *r)
{
    memset(r, 0, sizeof(*r));
    r->id = sqlite3_column_int64(s, 0);
    r->time_ms = sqlite3_column_int64(s, 1);
    r->slot = (unsigned)sqlite3_column_int(s, 2); /* NULL reads as 0: the rack */
    pr_store_column_text(s, 3, r->kind, sizeof(r->kind));
    pr_store_column_text(s, 4, r->actor, sizeof(r->actor));
    pr_store_column_text(s, 5, r->detail, sizeof(r->detail));
}

struct event_query {
    const char *sql;
    unsigned slot;
};

/* Reads up to want events after id after; returns how many. */
static int event_page(struct pr_store *st, const struct event_query *q, int64_t after,
                      unsigned want, struct pr_event_row *page)
{
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, q->sql, &s);
    if (err < 0)
        return err;
    sqlite3_bind_int64(s, 1, q->slot);
    sqlite3_bind_int64(s, 2, after);
    sqlite3_bind_int64(s, 3, want);
    int n = 0, rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        read_event(s, &page[n++]);
    if (rc != SQLITE_DONE)
        n = pr_store_sqlfail(st, "listing events");
    sqlite3_reset(s);
    return n;
}

int pr_store_each_event(struct pr_store *st, unsigned slot, bool rack_only, int64_t since_id,
                        unsigned limit, pr_event_cb cb, void *ctx)
{
    struct event_query q = {
        .sql = slot > 0    ? SQL_EVENTS_SLOT
               : rack_only ? SQL_EVENTS_RACK
                           : SQL_EVENTS_ALL,
        .slot = slot,
    };
    pr_store_flush_coalesced(st, false); /* a reader sees the counts that are due */
    struct pr_event_row *page = calloc(PR_STORE_PAGE, sizeof(*page));
    if (!page)
        return pr_store_fail(st, -ENOMEM, "out of memory");
    unsigned seen = 0;
    int ret = 0, n;
    do {
        unsigned want = PR_STORE_PAGE;
        if (limit > 0 && limit - seen < want)
            want = limit - seen;
        n = event_page(st, &q, since_id, want, page);
        for (int i = 0; i < n && ret == 0; i++)
            ret = cb(&page[i], ctx);
        if (n > 0) {
            since_id = page[n - 1].id;
            seen += (unsigned)n;
        }
    } while (ret == 0 && n == PR_STORE_PAGE && (limit == 0 || seen < limit));
    free(page);
    if (n < 0)
        return n;
    if (ret == 0 && seen == 0 && slot > 0 && !slot_exists(st, slot))
        return pr_store_fail(st, -ENOENT, "no slot %u", slot);
    return ret;
}

/* Power operations. */

static const char SQL_OP_BEGIN[] =
    "INSERT INTO power_ops (slot, action, actor, created_ms, updated_ms)"
    " VALUES (?1, ?2, ?3, ?4, ?4)";
static const char SQL_OP_IN_FLIGHT[] =
    "SELECT id, action, phase FROM power_ops WHERE slot = ?1 AND finished_ms IS NULL";

static int op_in_flight(struct pr_store *st, unsigned slot)
{
    sqlite3_stmt *s;
    int64_t id = 0;
    char action[8] = "?", phase[16] = "?";
    if (pr_store_prepare(st, SQL_OP_IN_FLIGHT, &s) == 0) {
        sqlite3_bind_int64(s, 1, slot);
        if (sqlite3_step(s) == SQLITE_ROW) {
            id = sqlite3_column_int64(s, 0);
            pr_store_column_text(s, 1, action, sizeof(action));
            pr_store_column_text(s, 2, phase, sizeof(phase));
        }
        sqlite3_reset(s);
    }
    return pr_store_fail(st, -EEXIST,
                         "slot %u already has a power operation in flight "
                         "(#%lld, %s, %s)",
                         slot, (long long)id, action, phase);
}

int64_t pr_store_power_op_begin(struct pr_store *st, unsigned slot, const char *action,
                                const char *actor)
{
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, SQL_OP_BEGIN, &s);
    if (err < 0)
        return err;
    sqlite3_bind_int64(s, 1, slot);
    sqlite3_bind_text(s, 2, action, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, actor, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, pr_store_now_ms());
    err = pr_store_exec(st, s, "recording a power operation");
    if (err == -EEXIST)
        return op_in_flight(st, slot);
    if (err == -EINVAL && !slot_exists(st, slot))
        return pr_store_fail(st, err, "no slot %u", slot);
    if (err == -EINVAL && !actor_valid(actor))
        return pr_store_fail(st, err, "a power operation's actor has 1 to 63 bytes");
    if (err == -EINVAL)
        return pr_store_fail(st, err, "'%.20s' is not a power action (on, off or cycle)",
                             action ? action : "(null)");
    return err < 0 ? err : sqlite3_last_insert_rowid(st->db);
}

static const char SQL_OP_EXISTS[] = "SELECT finished_ms IS NOT NULL FROM power_ops WHERE id = ?1";

/* After an update of power op id changed nothing or was refused: -ENOENT
 * when there is no such op, -EINVAL when it is finished, else err. */
static int op_refused(struct pr_store *st, int64_t id, int err, const char *why)
{
    sqlite3_stmt *s;
    int rc = SQLITE_DONE, finished = 0;
    if (pr_store_prepare(st, SQL_OP_EXISTS, &s) == 0) {
        sqlite3_bind_int64(s, 1, id);
        if ((rc = sqlite3_step(s)) == SQLITE_ROW)
            finished = sqlite3_column_int(s, 0);
        sqlite3_reset(s);
    }
    if (rc != SQLITE_ROW)
        return pr_store_fail(st, -ENOENT, "no power operation #%lld", (long long)id);
    if (finished)
        return pr_store_fail(st, -EINVAL, "power operation #%lld is already finished",
                             (long long)id);
    return pr_store_fail(st, err, "%s", why);
}

static const char SQL_OP_PHASE[] = "UPDATE power_ops SET phase = ?2, updated_ms = ?3 WHERE id = ?1";

int pr_store_power_op_phase(struct pr_store *st, int64_t id, const char *phase)
{
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, SQL_OP_PHASE, &s);
    if (err < 0)
        return err;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_text(s, 2, phase, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, pr_store_now_ms());
    err = pr_store_exec(st, s, "setting a power operation's phase");
    if (err == -EINVAL || (err == 0 && sqlite3_changes(st->db) == 0))
        return op_refused(st, id, -EINVAL,
                          "not a phase of a running power operation "
                          "(pending, off-sent, holding, on-sent; finish ends one)");
    return err;
}

static const char SQL_OP_FINISH[] =
    "UPDATE power_ops SET phase = ?2, updated_ms = ?3, finished_ms = ?3, result = ?4"
    " WHERE id = ?1";

int pr_store_power_op_finish(struct pr_store *st, int64_t id, bool ok, const char *result)
{
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, SQL_OP_FINISH, &s);
    if (err < 0)
        return err;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_text(s, 2, ok ? "done" : "failed", -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, pr_store_now_ms());
    pr_store_bind_text_or_null(s, 4, result);
    err = pr_store_exec(st, s, "finishing a power operation");
    if (err == -EINVAL || (err == 0 && sqlite3_changes(st->db) == 0))
        return op_refused(st, id, -EINVAL, "a power operation's result has at most 255 bytes");
    return err;
}

static const char SQL_OPS_UNFINISHED[] =
    "SELECT id, slot, action, phase, actor, created_ms FROM power_ops"
    " WHERE finished_ms IS NULL AND id > ?1 ORDER BY id LIMIT ?2";

static int op_page(struct pr_store *st, int64_t after, struct pr_power_op *page)
{
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, SQL_OPS_UNFINISHED, &s);
    if (err < 0)
        return err;
    sqlite3_bind_int64(s, 1, after);
    sqlite3_bind_int(s, 2, PR_STORE_PAGE);
    int n = 0, rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct pr_power_op *op = &page[n++];
        memset(op, 0, sizeof(*op));
        op->id = sqlite3_column_int64(s, 0);
        op->slot = (unsigned)sqlite3_column_int(s, 1);
        pr_store_column_text(s, 2, op->action, sizeof(op->action));
        pr_store_column_text(s, 3, op->phase, sizeof(op->phase));
        pr_store_column_text(s, 4, op->actor, sizeof(op->actor));
        op->created_ms = sqlite3_column_int64(s, 5);
    }
    if (rc != SQLITE_DONE)
        n = pr_store_sqlfail(st, "listing power operations");
    sqlite3_reset(s);
    return n;
}

int pr_store_each_unfinished_power_op(struct pr_store *st, pr_power_op_cb cb, void *ctx)
{
    struct pr_power_op page[PR_STORE_PAGE];
    int64_t after = 0;
    int ret = 0, n;
    do {
        n = op_page(st, after, page);
        for (int i = 0; i < n && ret == 0; i++)
            ret = cb(&page[i], ctx);
        if (n > 0)
            after = page[n - 1].id;
    } while (ret == 0 && n == PR_STORE_PAGE);
    return n < 0 ? n : ret;
}

/* AUTOINCREMENT keeps the highest id ever used in sqlite_sequence, also
 * after the events of a slot cut from the plan are gone. */
static const char SQL_LAST_EVENT_ID[] =
    "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)";

int64_t pr_store_last_event_id(struct pr_store *st)
{
    sqlite3_stmt *s;
    int64_t id;
    int err = pr_store_prepare(st, SQL_LAST_EVENT_ID, &s);
    if (err < 0)
        return err;
    id = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0)
                                       : pr_store_sqlfail(st, "reading the last event id");
    sqlite3_reset(s);
    return id;
}

/* Packs detail_fmt's JSON object into text (NULL when none or bad). */
static char *pack_detail(const char *kind, const char *detail_fmt, va_list ap)
{
    json_error_t jerr;
    char *text = NULL;
    if (!detail_fmt)
        return NULL;
    json_t *detail = json_vpack_ex(&jerr, 0, detail_fmt, ap);
    if (!detail)
        pr_warn("event %s: bad detail (%s)", kind, jerr.text);
    else
        text = json_dumps(detail, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(detail);
    return text;
}

/* Adds the event, logging (not returning) what went wrong. */
static int64_t add_logged(struct pr_store *st, unsigned slot, const char *kind, const char *actor,
                          const char *text)
{
    int64_t id = pr_store_add_event(st, slot, kind, actor, text);
    if (id < 0) {
        char esc[256];

        pr_err("cannot record event %s for slot %u: %s", kind, slot,
               pr_escape(pr_store_errmsg(st), strlen(pr_store_errmsg(st)), esc, sizeof(esc)));
    } else {
        pr_log_event(id, slot, kind, actor, text);
    }
    return id;
}

/* The one way services record what happened: the detail is packed here,
 * so that a caller never fails on it, and a store error is logged, not
 * returned to a caller that could do nothing about it. */
int64_t pr_store_record(struct pr_store *st, unsigned slot, const char *kind, const char *actor,
                        const char *detail_fmt, ...)
{
    va_list ap;
    va_start(ap, detail_fmt);
    char *text = pack_detail(kind, detail_fmt, ap);
    va_end(ap);
    int64_t id = add_logged(st, slot, kind, actor, text);
    free(text);
    return id;
}

/* The coalescer's clock: monotonic, so that a wall clock set back does
 * not hold a kind's events for as long as it went back. */
static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void pr_store_flush_coalesced(struct pr_store *st, bool all)
{
    struct pr_coalesce_summary sum;
    uint64_t mono = mono_ms();
    int64_t wall = pr_store_now_ms();
    while (pr_coalesce_due(st->coalesce, mono, all, &sum) == 1) {
        /* the span in wall-clock time, as every event's time_ms */
        sum.first_ms = (uint64_t)(wall - (int64_t)(mono - sum.first_ms));
        sum.last_ms = (uint64_t)(wall - (int64_t)(mono - sum.last_ms));
        pr_info("slot %u: %u %s events in %.1f s coalesced into one row", sum.slot, sum.count,
                sum.kind, (double)(sum.last_ms - sum.first_ms) / 1000.0);
        /* a slot cut from the plan since has no timeline to add to */
        unsigned slot = sum.slot > 0 && !slot_exists(st, sum.slot) ? 0 : sum.slot;
        json_t *detail =
            json_pack("{s:s, s:i, s:I, s:I}", "kind", sum.kind, "count", (int)sum.count, "first_ms",
                      (json_int_t)sum.first_ms, "last_ms", (json_int_t)sum.last_ms);
        char *text = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
        add_logged(st, slot, "events.coalesced", "pirackd", text);
        free(text);
        json_decref(detail);
    }
}

static void flush_all(struct pr_store *st)
{
    pr_store_flush_coalesced(st, true);
}

/* Events a packet caused: as pr_store_record, but within the budgets of
 * coalesce.c, past which they are counted into one "events.coalesced"
 * row per slot and kind.  Returns the id, 0 when counted, or -errno. */
int64_t pr_store_record_packet(struct pr_store *st, unsigned slot, const char *kind,
                               const char *actor, const char *detail_fmt, ...)
{
    uint64_t now = mono_ms();
    pr_store_flush_coalesced(st, false);
    int verdict = pr_coalesce_admit(st->coalesce, slot, kind ? kind : "", now);
    if (verdict == PR_COALESCE_HOLD) {
        st->before_close = flush_all;
        return 0;
    }
    if (verdict < 0)
        return pr_store_fail(st, verdict, "slot %u is past what the event log keeps apart", slot);
    va_list ap;
    va_start(ap, detail_fmt);
    char *text = pack_detail(kind, detail_fmt, ap);
    va_end(ap);
    int64_t id = add_logged(st, slot, kind, actor, text);
    free(text);
    return id;
}
