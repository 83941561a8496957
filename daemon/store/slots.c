/* store slots: the slot table kept in line with the address plan, and
 * each slot's state, power, switch port and the row that the API shows. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store_internal.h"

/* A slot's planned addresses as the text the slots table holds. */
struct planned {
    char v4_pi[INET_ADDRSTRLEN];
    char v4_host[INET_ADDRSTRLEN];
    char v6_pi[INET6_ADDRSTRLEN];
    char v6_prefix[INET6_ADDRSTRLEN + 4];
    char ifname[IF_NAMESIZE];
    char name[PR_NAME_MAX];
    unsigned ssh_port;
};

static int plan_slot(struct pr_store *st, const struct pr_plan *plan, unsigned slot,
                     struct planned *p)
{
    struct pr_slot_plan sp;
    char net[INET6_ADDRSTRLEN];
    if (pr_plan_slot(plan, slot, &sp) < 0)
        return pr_store_fail(st, -EINVAL, "the plan has no addresses for slot %u", slot);
    inet_ntop(AF_INET, &sp.v4_pi, p->v4_pi, sizeof(p->v4_pi));
    inet_ntop(AF_INET, &sp.v4_host, p->v4_host, sizeof(p->v4_host));
    inet_ntop(AF_INET6, &sp.v6_pi, p->v6_pi, sizeof(p->v6_pi));
    inet_ntop(AF_INET6, &sp.v6_net, net, sizeof(net));
    snprintf(p->v6_prefix, sizeof(p->v6_prefix), "%s/64", net);
    snprintf(p->ifname, sizeof(p->ifname), "%s", sp.ifname);
    snprintf(p->name, sizeof(p->name), "%s", sp.name);
    p->ssh_port = sp.ssh_port;
    return 0;
}

/* Binds ?2..?7 to the planned addresses. */
static void bind_planned(sqlite3_stmt *s, const struct planned *p)
{
    sqlite3_bind_text(s, 2, p->v4_pi, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, p->v4_host, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, p->v6_pi, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, p->v6_prefix, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 6, (int)p->ssh_port);
    pr_store_bind_text_or_null(s, 7, p->ifname);
}

static const char SQL_DROP_SLOTS[] = "DELETE FROM slots WHERE slot > ?1";
static const char SQL_CLEAR_MOVED[] =
    "UPDATE slots SET v4_pi = NULL, v4_host = NULL, v6_pi = NULL, v6_prefix = NULL,"
    " ssh_port = NULL, ifname = NULL"
    " WHERE slot = ?1 AND (v4_pi IS NOT ?2 OR v4_host IS NOT ?3 OR v6_pi IS NOT ?4"
    " OR v6_prefix IS NOT ?5 OR ssh_port IS NOT ?6 OR ifname IS NOT ?7)";
static const char SQL_UPSERT_SLOT[] =
    "INSERT INTO slots (slot, state_since, v4_pi, v4_host, v6_pi, v6_prefix, ssh_port, ifname)"
    " VALUES (?1, ?8, ?2, ?3, ?4, ?5, ?6, ?7)"
    " ON CONFLICT (slot) DO UPDATE SET v4_pi = excluded.v4_pi, v4_host = excluded.v4_host,"
    " v6_pi = excluded.v6_pi, v6_prefix = excluded.v6_prefix,"
    " ssh_port = excluded.ssh_port, ifname = excluded.ifname";
static const char SQL_ADD_PI[] =
    "INSERT INTO pis (slot, name) VALUES (?1, ?2) ON CONFLICT (slot) DO NOTHING";
static const char SQL_PI_BY_NAME[] = "SELECT slot FROM pis WHERE name = ?1";

/* Pass 1 of a sync: clears the addresses of every slot whose plan changed,
 * so that pass 2 can hand them out again in any order. */
static int clear_moved(struct pr_store *st, const struct pr_plan *plan)
{
    for (unsigned slot = 1; slot <= plan->slots; slot++) {
        struct planned p;
        sqlite3_stmt *s;
        int err = plan_slot(st, plan, slot, &p);
        if (err == 0)
            err = pr_store_prepare(st, SQL_CLEAR_MOVED, &s);
        if (err < 0)
            return err;
        sqlite3_bind_int(s, 1, (int)slot);
        bind_planned(s, &p);
        if ((err = pr_store_exec(st, s, "clearing moved addresses")) < 0)
            return err;
    }
    return 0;
}

static int name_conflict(struct pr_store *st, unsigned slot, const char *name)
{
    sqlite3_stmt *s;
    int other = 0;
    if (pr_store_prepare(st, SQL_PI_BY_NAME, &s) == 0) {
        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
        if (sqlite3_step(s) == SQLITE_ROW)
            other = sqlite3_column_int(s, 0);
        sqlite3_reset(s);
    }
    return pr_store_fail(st, -EEXIST,
                         "slot %u's default name %s is already the name "
                         "of the pi in slot %d",
                         slot, name, other);
}

/* Pass 2: writes each slot's planned addresses, creating the slot and its
 * pi (with the plan's default name) when new. */
static int write_planned(struct pr_store *st, const struct pr_plan *plan)
{
    int64_t now = pr_store_now_ms();
    for (unsigned slot = 1; slot <= plan->slots; slot++) {
        struct planned p;
        sqlite3_stmt *s;
        int err = plan_slot(st, plan, slot, &p);
        if (err == 0)
            err = pr_store_prepare(st, SQL_UPSERT_SLOT, &s);
        if (err < 0)
            return err;
        sqlite3_bind_int(s, 1, (int)slot);
        bind_planned(s, &p);
        sqlite3_bind_int64(s, 8, now);
        if ((err = pr_store_exec(st, s, "writing a slot's addresses")) < 0)
            return pr_store_fail(st, err, "slot %u: %s", slot, pr_store_errmsg(st));
        if ((err = pr_store_prepare(st, SQL_ADD_PI, &s)) < 0)
            return err;
        sqlite3_bind_int(s, 1, (int)slot);
        sqlite3_bind_text(s, 2, p.name, -1, SQLITE_STATIC);
        if ((err = pr_store_exec(st, s, "naming a new pi")) == -EEXIST)
            return name_conflict(st, slot, p.name);
        if (err < 0)
            return pr_store_fail(st, err, "slot %u: %s", slot, pr_store_errmsg(st));
    }
    return 0;
}

int pr_store_sync_slots(struct pr_store *st, const struct pr_plan *plan)
{
    sqlite3_stmt *s;
    int err = pr_store_begin(st);
    if (err < 0)
        return err;
    err = pr_store_prepare(st, SQL_DROP_SLOTS, &s);
    if (err == 0) {
        sqlite3_bind_int64(s, 1, plan->slots);
        err = pr_store_exec(st, s, "removing slots past the plan");
    }
    if (err == 0)
        err = clear_moved(st, plan);
    if (err == 0)
        err = write_planned(st, plan);
    if (err < 0) {
        pr_store_rollback(st);
        return err;
    }
    /* flat mode: every board of the plan may be new in the same minute */
    pr_coalesce_set_rack_budget(st->coalesce, PR_COALESCE_SLOT_BUDGET + 2 * plan->slots);
    return pr_store_commit(st);
}

static const char SQL_SLOT_USE[] =
    "SELECT (SELECT coalesce(max(slot), 0) FROM slots),"
    " (SELECT count(*) FROM boards WHERE slot > ?1),"
    " (SELECT count(*) FROM pis WHERE slot > ?1 AND (owner IS NOT NULL OR image IS NOT NULL)),"
    " (SELECT count(*) FROM events WHERE slot > ?1)";

int pr_store_slots_in_use(struct pr_store *st, unsigned keep, struct pr_store_slot_use *out)
{
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, SQL_SLOT_USE, &s);
    if (err < 0)
        return err;
    sqlite3_bind_int64(s, 1, keep);
    memset(out, 0, sizeof(*out));
    if (sqlite3_step(s) == SQLITE_ROW) {
        out->last_slot = (unsigned)sqlite3_column_int(s, 0);
        out->boards = (unsigned)sqlite3_column_int(s, 1);
        out->pis = (unsigned)sqlite3_column_int(s, 2);
        out->events = (unsigned)sqlite3_column_int(s, 3);
    } else {
        err = pr_store_sqlfail(st, "counting what the slots hold");
    }
    sqlite3_reset(s);
    return err;
}

bool pr_store_slot_use_any(const struct pr_store_slot_use *use)
{
    return use->boards || use->pis || use->events;
}

static const char SQL_SLOT_COUNT[] = "SELECT count(*) FROM slots";

int pr_store_slot_count(struct pr_store *st)
{
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, SQL_SLOT_COUNT, &s);
    if (err < 0)
        return err;
    int n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0)
                                          : pr_store_sqlfail(st, "counting slots");
    sqlite3_reset(s);
    return n;
}

#define SLOT_ROW_SELECT                                                                \
    "SELECT s.slot, s.state, s.state_since, s.v4_pi, s.v4_host, s.v6_pi, s.v6_prefix," \
    " s.ssh_port, s.ifname, w.name, s.switch_port, s.power, b.mac, b.serial, b.model," \
    " p.name, p.owner, p.image, p.policy"                                              \
    " FROM slots s LEFT JOIN switches w ON w.id = s.switch_id"                         \
    " LEFT JOIN boards b ON b.slot = s.slot LEFT JOIN pis p ON p.slot = s.slot"
static const char SQL_GET_SLOT[] = SLOT_ROW_SELECT " WHERE s.slot = ?1";
static const char SQL_SLOT_PAGE[] = SLOT_ROW_SELECT " WHERE s.slot > ?1 ORDER BY s.slot LIMIT ?2";

static void read_slot_row(sqlite3_stmt *s, struct pr_slot_row *r)
{
    memset(r, 0, sizeof(*r));
    r->slot = (unsigned)sqlite3_column_int(s, 0);
    pr_store_column_text(s, 1, r->state, sizeof(r->state));
    r->state_since = sqlite3_column_int64(s, 2);
    pr_store_column_text(s, 3, r->v4_pi, sizeof(r->v4_pi));
    pr_store_column_text(s, 4, r->v4_host, sizeof(r->v4_host));
    pr_store_column_text(s, 5, r->v6_pi, sizeof(r->v6_pi));
    pr_store_column_text(s, 6, r->v6_prefix, sizeof(r->v6_prefix));
    r->ssh_port = (unsigned)sqlite3_column_int(s, 7);
    pr_store_column_text(s, 8, r->ifname, sizeof(r->ifname));
    pr_store_column_text(s, 9, r->switch_name, sizeof(r->switch_name));
    r->switch_port = (unsigned)sqlite3_column_int(s, 10);
    pr_store_column_text(s, 11, r->power, sizeof(r->power));
    pr_store_column_text(s, 12, r->mac, sizeof(r->mac));
    pr_store_column_text(s, 13, r->serial, sizeof(r->serial));
    pr_store_column_text(s, 14, r->model, sizeof(r->model));
    pr_store_column_text(s, 15, r->name, sizeof(r->name));
    pr_store_column_text(s, 16, r->owner, sizeof(r->owner));
    pr_store_column_text(s, 17, r->image, sizeof(r->image));
    pr_store_column_text(s, 18, r->policy, sizeof(r->policy));
}

int pr_store_get_slot(struct pr_store *st, unsigned slot, struct pr_slot_row *out)
{
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, SQL_GET_SLOT, &s);
    if (err < 0)
        return err;
    sqlite3_bind_int64(s, 1, slot);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        read_slot_row(s, out);
    else
        err = rc == SQLITE_DONE ? pr_store_fail(st, -ENOENT, "no slot %u", slot)
                                : pr_store_sqlfail(st, "reading a slot");
    sqlite3_reset(s);
    return err;
}

/* Reads up to PR_STORE_PAGE slots after slot after; returns the count. */
static int slot_page(struct pr_store *st, unsigned after, struct pr_slot_row *page)
{
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, SQL_SLOT_PAGE, &s);
    if (err < 0)
        return err;
    sqlite3_bind_int64(s, 1, after);
    sqlite3_bind_int(s, 2, PR_STORE_PAGE);
    int n = 0, rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        read_slot_row(s, &page[n++]);
    if (rc != SQLITE_DONE)
        n = pr_store_sqlfail(st, "listing slots");
    sqlite3_reset(s);
    return n;
}

int pr_store_each_slot(struct pr_store *st, pr_slot_cb cb, void *ctx)
{
    struct pr_slot_row *page = calloc(PR_STORE_PAGE, sizeof(*page));
    if (!page)
        return pr_store_fail(st, -ENOMEM, "out of memory");
    unsigned after = 0;
    int ret = 0, n;
    do {
        n = slot_page(st, after, page);
        for (int i = 0; i < n && ret == 0; i++)
            ret = cb(&page[i], ctx);
        if (n > 0)
            after = page[n - 1].slot;
    } while (ret == 0 && n == PR_STORE_PAGE);
    free(page);
    return n < 0 ? n : ret;
}

static const char SQL_SET_STATE[] =
    "UPDATE slots SET state = ?2,"
    " state_since = CASE WHEN state = ?2 THEN state_since ELSE ?3 END WHERE slot = ?1";

int pr_store_set_slot_state(struct pr_store *st, unsigned slot, const char *state)
{
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, SQL_SET_STATE, &s);
    if (err < 0)
        return err;
    sqlite3_bind_int64(s, 1, slot);
    sqlite3_bind_text(s, 2, state, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, pr_store_now_ms());
    err = pr_store_exec(st, s, "setting a slot's state");
    if (err == -EINVAL)
        return pr_store_fail(st, err, "unknown slot state '%s'", state ? state : "(null)");
    if (err == 0 && sqlite3_changes(st->db) == 0)
        return pr_store_fail(st, -ENOENT, "no slot %u", slot);
    return err;
}

static const char SQL_SET_POWER[] = "UPDATE slots SET power = ?2 WHERE slot = ?1";

int pr_store_set_slot_power(struct pr_store *st, unsigned slot, const char *power)
{
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, SQL_SET_POWER, &s);
    if (err < 0)
        return err;
    sqlite3_bind_int64(s, 1, slot);
    sqlite3_bind_text(s, 2, power, -1, SQLITE_STATIC);
    err = pr_store_exec(st, s, "setting a slot's power");
    if (err == -EINVAL)
        return pr_store_fail(st, err, "unknown power state '%s' (on, off or unknown)",
                             power ? power : "(null)");
    if (err == 0 && sqlite3_changes(st->db) == 0)
        return pr_store_fail(st, -ENOENT, "no slot %u", slot);
    return err;
}

static const char SQL_ADD_SWITCH[] =
    "INSERT INTO switches (name) VALUES (?1) ON CONFLICT (name) DO NOTHING";
static const char SQL_SET_SWITCH[] =
    "UPDATE slots SET switch_id = (SELECT id FROM switches WHERE name = ?2),"
    " switch_port = ?3 WHERE slot = ?1";
static const char SQL_SLOT_BY_PORT[] =
    "SELECT s.slot FROM slots s JOIN switches w ON w.id = s.switch_id"
    " WHERE w.name = ?1 AND s.switch_port = ?2";

static int port_taken(struct pr_store *st, const char *sw, unsigned port)
{
    sqlite3_stmt *s;
    int other = 0;
    if (pr_store_prepare(st, SQL_SLOT_BY_PORT, &s) == 0) {
        sqlite3_bind_text(s, 1, sw, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, port);
        if (sqlite3_step(s) == SQLITE_ROW)
            other = sqlite3_column_int(s, 0);
        sqlite3_reset(s);
    }
    return pr_store_fail(st, -EEXIST, "switch %s port %u already serves slot %d", sw, port, other);
}

static int add_switch(struct pr_store *st, const char *sw)
{
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, SQL_ADD_SWITCH, &s);
    if (err < 0)
        return err;
    sqlite3_bind_text(s, 1, sw, -1, SQLITE_STATIC);
    err = pr_store_exec(st, s, "adding a switch");
    if (err == -EINVAL)
        return pr_store_fail(st, err, "'%s' is not a switch name (a lower-case DNS label)", sw);
    return err;
}

static int set_switch(struct pr_store *st, unsigned slot, const char *sw, unsigned port)
{
    sqlite3_stmt *s;
    int err = sw ? add_switch(st, sw) : 0;
    if (err == 0)
        err = pr_store_prepare(st, SQL_SET_SWITCH, &s);
    if (err < 0)
        return err;
    sqlite3_bind_int64(s, 1, slot);
    pr_store_bind_text_or_null(s, 2, sw);
    if (sw)
        sqlite3_bind_int64(s, 3, port);
    err = pr_store_exec(st, s, "setting a slot's switch port");
    if (err == -EEXIST)
        return port_taken(st, sw, port);
    if (err == -EINVAL)
        return pr_store_fail(st, err, "switch port %u is out of range (1..65535)", port);
    if (err == 0 && sqlite3_changes(st->db) == 0)
        return pr_store_fail(st, -ENOENT, "no slot %u", slot);
    return err;
}

int pr_store_set_slot_switch(struct pr_store *st, unsigned slot, const char *sw, unsigned port)
{
    if (sw && !*sw)
        sw = NULL;
    int err = pr_store_begin(st);
    if (err < 0)
        return err;
    if ((err = set_switch(st, slot, sw, port)) < 0) {
        pr_store_rollback(st);
        return err;
    }
    return pr_store_commit(st);
}

static const char SQL_COUNT_BY_STATE[] =
    "SELECT s.state, count(*) FROM slots s JOIN slot_states t ON t.name = s.state"
    " GROUP BY s.state ORDER BY t.ord";

int pr_store_count_by_state(struct pr_store *st, pr_count_cb cb, void *ctx)
{
    struct {
        char state[PR_STATE_MAX];
        unsigned count;
    } rows[PR_STORE_PAGE];
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, SQL_COUNT_BY_STATE, &s);
    if (err < 0)
        return err;
    int n = 0, rc = SQLITE_DONE;
    while (n < PR_STORE_PAGE && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        pr_store_column_text(s, 0, rows[n].state, sizeof(rows[n].state));
        rows[n++].count = (unsigned)sqlite3_column_int(s, 1);
    }
    if (n < PR_STORE_PAGE && rc != SQLITE_DONE)
        err = pr_store_sqlfail(st, "counting slots by state");
    sqlite3_reset(s);
    for (int i = 0; i < n && err == 0; i++)
        err = cb(rows[i].state, rows[i].count, ctx);
    return err;
}
