/* health/bringup_service: a bring-up run on the loop.  The planner
 * (bringup.c) decides; this file feeds it the power service's answers,
 * the switch's detection and the serials the TFTP service stored, sends
 * its power actions, and writes each slot's progress to the store so a
 * restart resumes the run.  Boards are learned here too: the DHCP service
 * calls pr_bringup_board_seen(). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "daemon/daemon.h"
#include "daemon/power/service.h"
#include "bringup_internal.h"
#include "bringup_service.h"

#define TICK_MS 250
#define EMPTY_AFTER_MS 5000 /* PoE detection is done well within this */
#define LEARN_GAP_MS 10000
#define DETECT_SETTLE_MS 2000 /* a detection read sooner after power-on may be stale */

struct pr_bringup_service {
    struct pr_daemon *d;
    struct pr_timer *tick;
    int64_t run_id; /* 0 when no run */
    char actor[64];
    struct bu_run run;
    int64_t *op; /* [i]: the power op in flight for run.slots[i], 0 when none */
    enum bu_act_kind *op_kind;
    /* isolated mode, outside a run: when each slot last learned a board,
     * so a link that sends DHCP from ever new MACs rewrites its slot at
     * most once every LEARN_GAP_MS */
    uint64_t *learned_at;
    unsigned n_learned;
};

static int fail_why(char *why, size_t whylen, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail_why(char *why, size_t whylen, int err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    return err;
}

static void run_free(struct pr_bringup_service *svc)
{
    free(svc->run.slots);
    free(svc->op);
    free(svc->op_kind);
    memset(&svc->run, 0, sizeof(svc->run));
    svc->op = NULL;
    svc->op_kind = NULL;
    svc->run_id = 0;
}

/* ---- the store ---- */

static void to_row(const struct bu_slot *s, struct pr_bringup_slot *row)
{
    memset(row, 0, sizeof(*row));
    row->slot = s->slot;
    snprintf(row->phase, sizeof(row->phase), "%s", pr_bu_phase_name(s->phase));
    snprintf(row->mac, sizeof(row->mac), "%s", s->mac);
    snprintf(row->model, sizeof(row->model), "%s", s->model);
    snprintf(row->serial, sizeof(row->serial), "%s", s->serial);
    snprintf(row->outcome, sizeof(row->outcome), "%s", pr_bu_outcome_name(s->outcome));
    row->from_slot = s->from_slot;
    snprintf(row->detail, sizeof(row->detail), "%s", s->detail);
}

/* The slots whose state changed since the last write; a finished slot
 * gets its event. */
static void persist(struct pr_bringup_service *svc)
{
    struct pr_daemon *d = svc->d;

    for (size_t i = 0; i < svc->run.n; i++) {
        struct bu_slot *s = &svc->run.slots[i];
        struct pr_bringup_slot row;

        if (!s->dirty)
            continue;
        s->dirty = false;
        to_row(s, &row);
        if (pr_store_bringup_put_slot(d->store, svc->run_id, &row) < 0)
            pr_err("bringup: slot %u: %s", s->slot, pr_store_errmsg(d->store));
        if (s->phase == BU_DONE)
            pr_daemon_event(d, s->slot, "bringup.slot", "bringup",
                            "{s:I, s:s, s:s, s:s, s:s, s:i, s:s}", "run", (json_int_t)svc->run_id,
                            "outcome", row.outcome, "mac", s->mac, "model", s->model, "serial",
                            s->serial, "from_slot", (int)s->from_slot, "detail", s->detail);
    }
}

static int load_slot(const struct pr_bringup_slot *row, void *ctx)
{
    struct bu_run *r = ctx;
    struct bu_slot *s = &r->slots[r->n++];
    int p = pr_bu_phase_parse(row->phase), o = pr_bu_outcome_parse(row->outcome);

    memset(s, 0, sizeof(*s));
    s->slot = row->slot;
    s->phase = p < 0 ? BU_PENDING : (enum bu_phase)p;
    s->outcome = o < 0 ? BU_OUT_NONE : (enum bu_outcome)o;
    snprintf(s->was_mac, sizeof(s->was_mac), "%s", row->was_mac);
    snprintf(s->mac, sizeof(s->mac), "%s", row->mac);
    snprintf(s->model, sizeof(s->model), "%s", row->model);
    snprintf(s->serial, sizeof(s->serial), "%s", row->serial);
    s->from_slot = row->from_slot;
    snprintf(s->detail, sizeof(s->detail), "%s", row->detail);
    s->since_ms = pr_now_ms();
    return 0;
}

/* Reads run from the store into memory. */
static int run_load(struct pr_bringup_service *svc, const struct pr_bringup_run *run)
{
    const struct pr_config *cfg = svc->d->cfg;
    size_t cap = cfg->slots > svc->d->plan.slots ? cfg->slots : svc->d->plan.slots;

    run_free(svc);
    svc->run.slots = calloc(cap + 1, sizeof(*svc->run.slots));
    svc->op = calloc(cap + 1, sizeof(*svc->op));
    svc->op_kind = calloc(cap + 1, sizeof(*svc->op_kind));
    if (!svc->run.slots || !svc->op || !svc->op_kind) {
        run_free(svc);
        return -ENOMEM;
    }
    svc->run.one_at_a_time = !cfg->isolated;
    svc->run.dhcp_deadline_ms = cfg->bringup_dhcp_deadline_ms;
    svc->run.serial_deadline_ms = cfg->bringup_serial_deadline_ms;
    svc->run.empty_after_ms = EMPTY_AFTER_MS;
    svc->run_id = run->id;
    snprintf(svc->actor, sizeof(svc->actor), "%s", run->actor);
    if (pr_store_bringup_each_slot(svc->d->store, run->id, load_slot, &svc->run) < 0) {
        pr_err("bringup: cannot read run %lld: %s", (long long)run->id,
               pr_store_errmsg(svc->d->store));
        run_free(svc);
        return -EIO;
    }
    return 0;
}

/* ---- learning boards ---- */

/* The board is physically in slot now: the store says so, moving it out
 * of any other slot.  A serial that another board row holds is left out
 * (the store refuses it) rather than the board. */
static int place(struct pr_daemon *d, unsigned slot, const char *mac, const char *model,
                 const char *serial)
{
    const char *m = model && *model ? model : NULL;
    int r = pr_store_assign_board(d->store, slot, mac, serial, m, true);

    if (r == -EEXIST && serial && *serial)
        r = pr_store_assign_board(d->store, slot, mac, NULL, m, true);
    if (r < 0)
        pr_err("bringup: slot %u: cannot record board %s: %s", slot, mac,
               pr_store_errmsg(d->store));
    return r;
}

static void learned_event(struct pr_daemon *d, unsigned slot, const char *mac, const char *model,
                          const char *serial, const char *outcome, unsigned from)
{
    pr_daemon_event(d, slot, "board.learned", "bringup", "{s:s, s:s, s:s, s:s, s:i}", "mac", mac,
                    "model", model, "serial", serial, "outcome", outcome, "from_slot", (int)from);
}

/* Isolated mode outside a run: the interface names the slot, so the
 * board that asks on it is the board in it. */
static bool learn_allowed(struct pr_bringup_service *svc, unsigned slot, uint64_t now)
{
    if (slot >= svc->n_learned) {
        unsigned n = slot + 64;
        uint64_t *grown = realloc(svc->learned_at, n * sizeof(*grown));

        if (!grown)
            return false;
        memset(grown + svc->n_learned, 0, (n - svc->n_learned) * sizeof(*grown));
        svc->learned_at = grown;
        svc->n_learned = n;
    }
    if (svc->learned_at[slot] && now - svc->learned_at[slot] < LEARN_GAP_MS)
        return false;
    svc->learned_at[slot] = now;
    return true;
}

static unsigned learn_isolated(struct pr_bringup_service *svc, unsigned slot, const char *mac,
                               const char *model, const char *serial)
{
    struct pr_daemon *d = svc->d;
    struct pr_slot_row row;
    int now_in;
    const char *outcome = "new";

    if (pr_store_get_slot(d->store, slot, &row) < 0)
        return 0;
    if (!strcmp(row.mac, mac))
        return slot;
    if (!learn_allowed(svc, slot, pr_now_ms()))
        return 0; /* the DHCP service records it as board.seen, within its budget */
    now_in = pr_store_slot_by_mac(d->store, mac);
    if (now_in > 0 && (unsigned)now_in != slot)
        outcome = "moved";
    else if (row.mac[0])
        outcome = "replaced";
    if (place(d, slot, mac, model, serial) < 0)
        return 0;
    pr_info("slot %u: board %s learned (%s)", slot, mac, outcome);
    learned_event(d, slot, mac, model, serial, outcome,
                  now_in > 0 && (unsigned)now_in != slot ? (unsigned)now_in : 0);
    return slot;
}

/* Flat mode (slot 0): the run's planner says whose board this is. */
unsigned pr_bringup_board_seen(struct pr_daemon *d, unsigned slot, const char *mac,
                               const char *model, const char *serial)
{
    struct pr_bringup_service *svc = d->bringup;
    bool in_run = svc && svc->run_id;

    if (slot == 0 && in_run) {
        int now_in = pr_store_slot_by_mac(d->store, mac);

        slot = pr_bu_claim(&svc->run, mac, now_in > 0 ? (unsigned)now_in : 0);
    }
    if (slot == 0)
        return 0;
    if (in_run && pr_bu_wants_board(&svc->run, slot)) {
        int now_in = pr_store_slot_by_mac(d->store, mac);
        enum bu_outcome o = pr_bu_learn(&svc->run, slot, mac, model, serial,
                                        now_in > 0 ? (unsigned)now_in : 0, pr_now_ms());
        struct bu_slot *s = pr_bu_find(&svc->run, slot);

        if (place(d, slot, mac, model, serial) < 0)
            return 0;
        pr_info("slot %u: board %s learned (%s)", slot, mac, pr_bu_outcome_name(o));
        learned_event(d, slot, mac, model, serial, pr_bu_outcome_name(o), s->from_slot);
        persist(svc);
        pr_timer_arm(svc->tick, 0, 0);
        return slot;
    }
    return d->cfg->isolated && svc ? learn_isolated(svc, slot, mac, model, serial) : 0;
}

/* ---- the tick ---- */

static enum bu_detect detect_of(const struct pr_power_view *v)
{
    if (!v->live_valid)
        return BU_DETECT_UNKNOWN;
    switch (v->live.detect) {
    case PR_POE_DETECT_SEARCHING:
    case PR_POE_DETECT_DISABLED:
        return BU_DETECT_NONE;
    case PR_POE_DETECT_DELIVERING:
        return BU_DETECT_POWERING;
    default:
        return BU_DETECT_UNKNOWN;
    }
}

/* What the power service says of the ops we sent and of the ports that
 * wait for a board. */
static void observe_power(struct pr_bringup_service *svc, uint64_t now)
{
    struct pr_daemon *d = svc->d;
    unsigned char *stale = calloc(d->cfg->slots + 1, 1);

    for (size_t i = 0; i < svc->run.n; i++) {
        struct bu_slot *s = &svc->run.slots[i];
        struct pr_power_view v;

        if (pr_power_view(d, s->slot, &v) < 0)
            continue;
        if (svc->op[i] && v.op_id != svc->op[i]) {
            bool ok = v.last_op_id == svc->op[i] ? v.last_ok : true;

            /* the switch read back its port searching: no board there */
            if (!ok && svc->op_kind[i] == BU_ACT_ON && v.live_valid &&
                v.live.detect == PR_POE_DETECT_SEARCHING)
                pr_bu_power_nothing(&svc->run, s->slot, v.last_result, now);
            else
                pr_bu_power_done(&svc->run, s->slot, svc->op_kind[i], ok, v.last_result, now);
            svc->op[i] = 0;
        }
        if (s->phase == BU_WAIT_DHCP) {
            enum bu_detect det = detect_of(&v);

            /* A switch reads "searching" for a moment after power-on,
             * before it has classified the device: only a later reading
             * says the port powers nothing. */
            if (det == BU_DETECT_NONE && now - v.live_age_ms < s->since_ms + DETECT_SETTLE_MS)
                det = BU_DETECT_UNKNOWN;
            pr_bu_detect(&svc->run, s->slot, det);
            if (stale && s->slot <= d->cfg->slots)
                stale[s->slot] = 1;
        }
    }
    if (stale)
        pr_power_refresh_stale(d, stale);
    free(stale);
}

/* The TFTP service writes a board's serial to the store when its paths
 * name it. */
static void observe_serials(struct pr_bringup_service *svc, uint64_t now)
{
    for (size_t i = 0; i < svc->run.n; i++) {
        struct bu_slot *s = &svc->run.slots[i];
        struct pr_slot_row row;

        if (s->phase == BU_WAIT_SERIAL && pr_store_get_slot(svc->d->store, s->slot, &row) == 0 &&
            !strcmp(row.mac, s->mac) && row.serial[0])
            pr_bu_serial(&svc->run, s->slot, row.serial, now);
    }
}

static void act(struct pr_bringup_service *svc, const struct bu_action *a, uint64_t now)
{
    struct bu_slot *s = pr_bu_find(&svc->run, a->slot);
    size_t i = (size_t)(s - svc->run.slots);
    char why[256] = "";
    int64_t id;

    if (svc->op[i])
        return; /* ours is still in flight */
    id = pr_power_request(svc->d, a->slot, a->kind == BU_ACT_ON ? PR_POE_ON : PR_POE_OFF,
                          svc->actor, NULL, why, sizeof(why));
    if (id == -EBUSY)
        return; /* someone's op (or a recovered one) first: again next tick */
    pr_bu_sent(&svc->run, a->slot, a->kind, now);
    if (id > 0) {
        svc->op[i] = id;
        svc->op_kind[i] = a->kind;
    } else {
        pr_bu_power_done(&svc->run, a->slot, a->kind, false, why, now);
    }
}

static void finish_run(struct pr_bringup_service *svc)
{
    struct pr_daemon *d = svc->d;
    struct bu_counts c;
    char result[256];

    pr_bu_count(&svc->run, &c);
    snprintf(result, sizeof(result),
             "%u slots: %u new, %u same, %u moved (%u swapped pairs), %u replaced, %u empty, "
             "%u failed",
             c.total, c.new_, c.same, c.moved, c.swapped_pairs, c.replaced, c.empty, c.failed);
    if (pr_store_bringup_finish(d->store, svc->run_id, result) < 0)
        pr_err("bringup: cannot finish run %lld: %s", (long long)svc->run_id,
               pr_store_errmsg(d->store));
    pr_info("bringup %lld done: %s", (long long)svc->run_id, result);
    pr_daemon_event(d, 0, "bringup.done", svc->actor,
                    "{s:I, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "run", (json_int_t)svc->run_id,
                    "slots", (int)c.total, "new", (int)c.new_, "same", (int)c.same, "moved",
                    (int)c.moved, "swapped_pairs", (int)c.swapped_pairs, "replaced",
                    (int)c.replaced, "empty", (int)c.empty, "failed", (int)c.failed);
    run_free(svc);
}

static void on_tick(void *ctx)
{
    struct pr_bringup_service *svc = ctx;
    uint64_t now = pr_now_ms();
    struct bu_action *acts;
    size_t n;

    if (!svc->run_id)
        return;
    observe_power(svc, now);
    observe_serials(svc, now);
    acts = calloc(svc->run.n + 1, sizeof(*acts));
    n = acts ? pr_bu_next(&svc->run, now, acts, svc->run.n + 1) : 0;
    for (size_t k = 0; k < n; k++)
        act(svc, &acts[k], now);
    free(acts);
    persist(svc);
    if (pr_bu_finished(&svc->run)) {
        finish_run(svc);
        return;
    }
    pr_timer_arm(svc->tick, TICK_MS, 0);
}

/* ---- starting a run ---- */

static int select_slots(struct pr_daemon *d, const char *spec, const char *sw, unsigned *list,
                        size_t *n, char *why, size_t whylen)
{
    unsigned char *sel = calloc(d->cfg->slots + 1, 1);
    const struct pr_switch_config *only = NULL;
    int r;

    if (!sel)
        return fail_why(why, whylen, -ENOMEM, "out of memory");
    for (unsigned i = 0; sw && *sw && i < d->cfg->n_switches; i++)
        if (!strcmp(d->cfg->switches[i].name, sw))
            only = &d->cfg->switches[i];
    if (sw && *sw && !only) {
        free(sel);
        return fail_why(why, whylen, -ENOENT, "no switch '%.64s' in the configuration", sw);
    }
    r = pr_power_parse_slots(spec && *spec ? spec : "all", d->cfg->slots, sel);
    if (r < 0) {
        free(sel);
        return fail_why(why, whylen, r,
                        r == -ERANGE ? "slots: outside 1-%u"
                                     : "slots: N, N-M, lists, or all (1-%u)",
                        d->cfg->slots);
    }
    *n = 0;
    for (unsigned s = 1; s <= d->cfg->slots; s++) {
        struct pr_power_view v;

        if (!sel[s] || pr_power_view(d, s, &v) < 0 || !v.has_switch)
            continue;
        if (only && (s < only->first_slot || s > only->last_slot))
            continue;
        list[(*n)++] = s;
    }
    free(sel);
    if (!*n)
        return fail_why(why, whylen, -ENODEV, "no switch serves any of these slots");
    return 0;
}

int64_t pr_bringup_start(struct pr_daemon *d, const char *slots, const char *sw, const char *actor,
                         bool *running, char *why, size_t whylen)
{
    struct pr_bringup_service *svc = d->bringup;
    struct pr_bringup_run run;
    unsigned *list;
    size_t n = 0;
    int64_t id;
    int r;

    *running = false;
    if (!svc)
        return fail_why(why, whylen, -ENODEV, "the bring-up service is not running");
    if (svc->run_id) {
        *running = true;
        return svc->run_id;
    }
    if (!(list = calloc(d->cfg->slots + 1, sizeof(*list))))
        return fail_why(why, whylen, -ENOMEM, "out of memory");
    r = select_slots(d, slots, sw, list, &n, why, whylen);
    if (r < 0) {
        free(list);
        return r;
    }
    id = pr_store_bringup_begin(d->store, slots && *slots ? slots : "all", sw, actor, list, n);
    free(list);
    if (id < 0)
        return fail_why(why, whylen, -EIO, "%s", pr_store_errmsg(d->store));
    if (pr_store_bringup_get(d->store, id, &run) < 0 || run_load(svc, &run) < 0)
        return fail_why(why, whylen, -EIO, "cannot read the new run back");
    pr_daemon_event(d, 0, "bringup.started", actor, "{s:I, s:s, s:s, s:i, s:s}", "run",
                    (json_int_t)id, "slots", run.slots, "switch", run.sw, "count", (int)n, "mode",
                    d->cfg->isolated ? "isolated: slots in parallel" : "flat: one slot at a time");
    pr_timer_arm(svc->tick, 0, 0);
    return id;
}

/* ---- life ---- */

/* A run that a restart interrupted goes on where it was. */
static void resume(struct pr_bringup_service *svc)
{
    struct pr_daemon *d = svc->d;
    struct pr_bringup_run run;

    if (pr_store_bringup_running(d->store, &run) < 0 || run_load(svc, &run) < 0)
        return;
    pr_bu_resume(&svc->run, pr_now_ms());
    persist(svc);
    pr_warn("bringup %lld: resuming after a restart", (long long)run.id);
    pr_daemon_event(d, 0, "bringup.resumed", "pirackd", "{s:I, s:s}", "run", (json_int_t)run.id,
                    "reason", "pirackd restarted during the run");
    pr_timer_arm(svc->tick, 0, 0);
}

int pr_bringup_service_start(struct pr_daemon *d)
{
    struct pr_bringup_service *svc = calloc(1, sizeof(*svc));

    if (!svc)
        return -ENOMEM;
    svc->d = d;
    if (!(svc->tick = pr_timer_new(d->loop, on_tick, svc))) {
        free(svc);
        return -ENOMEM;
    }
    d->bringup = svc;
    resume(svc);
    return 0;
}

void pr_bringup_service_stop(struct pr_daemon *d)
{
    struct pr_bringup_service *svc = d->bringup;

    if (!svc)
        return;
    /* The run stays unfinished in the store: the next start resumes it. */
    pr_timer_free(svc->tick);
    run_free(svc);
    free(svc->learned_at);
    free(svc);
    d->bringup = NULL;
}
