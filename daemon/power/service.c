/* power/service: the power service's life (start, reload, stop, recovery of
 * interrupted operations), its requests and its views.  Below it, in
 * layers: metrics.c (/metrics), service_sched.c (pacing and the
 * switches' answers), service_switches.c (profiles and workers), ops.c
 * (the op list, the switch of a slot).  The API routes are in
 * daemon/http/power.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pirack/array.h"
#include "power_internal.h"

static int64_t fail_why(char *why, size_t whylen, int64_t err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int64_t fail_why(char *why, size_t whylen, int64_t err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    return err;
}

static const char *step_phase(enum power_step s)
{
    switch (s) {
    case STEP_OFF_SENT:
        return "off-sent";
    case STEP_HOLDING:
        return "holding";
    case STEP_ON_SENT:
        return "on-sent";
    default:
        return "pending";
    }
}

/* Ports on this switch that are on or about to be, other than slot. */
static unsigned ports_on(struct pr_power_service *svc, struct power_switch *ps, unsigned slot)
{
    unsigned n = 0;

    for (unsigned s = ps->cfg.first_slot; s <= ps->cfg.last_slot; s++) {
        struct pr_slot_row row;
        struct power_op *op = pr_power_op_of(svc, s);

        if (s == slot)
            continue;
        if (op && op->action != PR_POE_OFF)
            n++;
        else if (!op && pr_store_get_slot(svc->d->store, s, &row) == 0 && !strcmp(row.power, "on"))
            n++;
    }
    return n;
}

static int64_t queue_op(struct pr_power_service *svc, unsigned slot, enum pr_poe_action action,
                        const char *actor, const char *reason, const struct pr_power_pace *pace,
                        char *why, size_t whylen)
{
    struct pr_daemon *d = svc->d;
    unsigned port;
    struct power_switch *ps = pr_power_switch_of(svc, slot, &port);
    struct power_op *op;
    int64_t id;

    if (!ps)
        return fail_why(why, whylen, -ENODEV, "no switch serves slot %u", slot);
    if ((op = pr_power_op_of(svc, slot)))
        return fail_why(why, whylen, -EBUSY, "slot %u: power operation #%lld (%s) is %s", slot,
                        (long long)op->id, pr_poe_action_name(op->action), step_phase(op->step));
    if (action != PR_POE_OFF && ps->max_on && ports_on(svc, ps, slot) >= ps->max_on)
        return fail_why(why, whylen, -ENOSPC,
                        "switch %s: its %u W budget at %u W a port "
                        "powers %u ports, all taken",
                        ps->cfg.name, ps->cfg.power_budget_w, ps->cfg.port_power_w, ps->max_on);
    op = calloc(1, sizeof(*op));
    if (!op)
        return fail_why(why, whylen, -ENOMEM, "out of memory");
    id = pr_store_power_op_begin(d->store, slot, pr_poe_action_name(action), actor);
    if (id < 0) {
        free(op);
        return fail_why(why, whylen, id == -EEXIST ? -EBUSY : -EIO, "%s",
                        pr_store_errmsg(d->store));
    }
    op->id = id;
    op->slot = slot;
    op->action = action;
    op->step = action == PR_POE_ON ? STEP_WANT_ON : STEP_WANT_OFF;
    snprintf(op->actor, sizeof(op->actor), "%s", actor);
    snprintf(op->reason, sizeof(op->reason), "%s", reason ? reason : "");
    op->ps = ps;
    op->port = port;
    op->pace = pace ? *pace : (struct pr_power_pace){ -1, -1 };
    /* What the switch last said, so the events show a cycle of a port
     * that was not delivering power (no Pi, or a Pi drawing nothing). */
    snprintf(op->before, sizeof(op->before), "%s",
             svc->slots[slot].live_valid ? pr_poe_detect_name(svc->slots[slot].live.detect)
                                         : "unknown");
    struct power_op **tail = &svc->ops;
    while (*tail)
        tail = &(*tail)->next;
    *tail = op;
    pr_daemon_event(d, slot, "power.requested", actor, "{s:I, s:s, s:s, s:i, s:s}", "op",
                    (json_int_t)id, "action", pr_poe_action_name(action), "switch", ps->cfg.name,
                    "port", (int)port, "reason", op->reason);
    pr_power_kick(svc);
    return id;
}

int64_t pr_power_request(struct pr_daemon *d, unsigned slot, enum pr_poe_action action,
                         const char *actor, const struct pr_power_pace *pace, char *why,
                         size_t whylen)
{
    struct pr_power_service *svc = d->power;

    if (!svc)
        return fail_why(why, whylen, -ENODEV, "the power service is not running");
    if (slot < 1 || slot > svc->n_slots)
        return fail_why(why, whylen, -ENOENT, "no slot %u (the rack has %u)", slot, svc->n_slots);
    if (action != PR_POE_ON && action != PR_POE_OFF && action != PR_POE_CYCLE)
        return fail_why(why, whylen, -EINVAL, "action is on, off or cycle");
    return queue_op(svc, slot, action, actor, NULL, pace, why, whylen);
}

/* ---- recovery of operations that a stop or crash interrupted ---- */

struct interrupted {
    struct pr_power_op *ops;
    size_t n, cap;
};

static int collect_interrupted(const struct pr_power_op *op, void *ctx)
{
    struct interrupted *in = ctx;

    if (pr_array_grow(&in->ops, in->n, &in->cap, sizeof(*in->ops), 16) < 0)
        return -ENOMEM;
    in->ops[in->n++] = *op;
    return 0;
}

/* What finishes an interrupted op: the user's intent, and never a Pi
 * left off unless off was asked for.  A cycle past its off turns the
 * port on; a cycle that never sent its off runs again. */
static enum pr_poe_action resume_action(const struct pr_power_op *op)
{
    int a = pr_poe_action_parse(op->action);

    if (a == PR_POE_CYCLE && (!strcmp(op->phase, "holding") || !strcmp(op->phase, "on-sent")))
        return PR_POE_ON;
    return a < 0 ? PR_POE_ON : (enum pr_poe_action)a;
}

static void recover_one(struct pr_power_service *svc, const struct pr_power_op *old)
{
    struct pr_daemon *d = svc->d;
    enum pr_poe_action next = resume_action(old);
    char reason[128], why[256];
    int64_t id;

    snprintf(reason, sizeof(reason), "pirackd stopped during op #%lld (%s, %s)", (long long)old->id,
             old->action, old->phase);
    if (pr_store_power_op_finish(d->store, old->id, false, "interrupted: pirackd stopped") < 0)
        pr_err("cannot finish interrupted power op #%lld: %s", (long long)old->id,
               pr_store_errmsg(d->store));
    id = queue_op(svc, old->slot, next, "pirackd", reason, NULL, why, sizeof(why));
    pr_daemon_event(d, old->slot, "power.recovered", "pirackd", "{s:I, s:s, s:s, s:s, s:I, s:s}",
                    "op", (json_int_t)old->id, "action", old->action, "phase", old->phase,
                    "resumed_with", pr_poe_action_name(next), "new_op", (json_int_t)id, "reason",
                    id > 0 ? "pirackd stopped while the op was in flight; finishing it" : why);
    if (id > 0)
        pr_warn("slot %u: power op #%lld (%s) was interrupted in phase %s; turning it %s",
                old->slot, (long long)old->id, old->action, old->phase, pr_poe_action_name(next));
    else
        pr_err("slot %u: interrupted power op #%lld cannot be finished: %s", old->slot,
               (long long)old->id, why);
}

static void recover_interrupted(struct pr_power_service *svc)
{
    struct interrupted in = { 0 };

    if (pr_store_each_unfinished_power_op(svc->d->store, collect_interrupted, &in) < 0)
        pr_err("cannot list interrupted power operations: %s", pr_store_errmsg(svc->d->store));
    for (size_t i = 0; i < in.n; i++)
        recover_one(svc, &in.ops[i]);
    free(in.ops);
}

/* ---- views ---- */

int pr_power_view(struct pr_daemon *d, unsigned slot, struct pr_power_view *v)
{
    struct pr_power_service *svc = d->power;
    struct power_switch *ps;
    struct power_op *op;
    struct power_slot *st;
    uint64_t now = pr_now_ms();

    memset(v, 0, sizeof(*v));
    if (!svc || slot < 1 || slot > svc->n_slots)
        return -ENOENT;
    st = &svc->slots[slot];
    ps = pr_power_switch_of(svc, slot, &v->port);
    if (ps) {
        v->has_switch = true;
        snprintf(v->switch_name, sizeof(v->switch_name), "%s", ps->cfg.name);
    }
    if ((op = pr_power_op_of(svc, slot))) {
        v->op_id = op->id;
        snprintf(v->op_action, sizeof(v->op_action), "%s", pr_poe_action_name(op->action));
        snprintf(v->op_phase, sizeof(v->op_phase), "%s", step_phase(op->step));
    }
    v->live_valid = st->live_valid;
    v->live = st->live;
    v->live_age_ms = st->live_valid ? now - st->live_at : 0;
    v->last_op_id = st->last_op_id;
    v->last_ok = st->last_ok;
    snprintf(v->last_result, sizeof(v->last_result), "%s", st->last_result);
    return 0;
}

void pr_power_refresh_stale(struct pr_daemon *d, const unsigned char *selected)
{
    struct pr_power_service *svc = d->power;
    uint64_t now = pr_now_ms();

    if (!svc)
        return;
    for (unsigned i = 0; i < svc->n_switches; i++) {
        struct power_switch *ps = &svc->switches[i];
        unsigned *stale = calloc(ps->cfg.last_slot - ps->cfg.first_slot + 1, sizeof(*stale));
        size_t n = 0;

        if (!stale)
            return;
        for (unsigned s = ps->cfg.first_slot; s <= ps->cfg.last_slot && s <= svc->n_slots; s++) {
            struct power_slot *st = &svc->slots[s];

            if (selected[s] && !st->refreshing &&
                (!st->live_valid || st->unsure || now - st->live_at > POWER_LIVE_FRESH_MS))
                stale[n++] = s;
        }
        if (n)
            pr_power_refresh(svc, ps, stale, n);
        free(stale);
    }
}

/* ---- life ---- */

static bool same_switches(const struct pr_power_service *svc, const struct pr_config *cfg)
{
    if (cfg->n_switches != svc->n_switches || strcmp(cfg->power_profiles, svc->profiles_dir))
        return false;
    for (unsigned i = 0; i < cfg->n_switches; i++) {
        struct pr_switch_config a = cfg->switches[i], b = svc->switches[i].cfg;

        a.line = b.line = 0; /* moving a section is no change */
        if (memcmp(&a, &b, sizeof(a)) != 0)
            return false;
    }
    return true;
}

int pr_power_service_reload(struct pr_daemon *d)
{
    struct pr_power_service *svc = d->power;

    if (!svc)
        return 0;
    if (d->cfg->slots > svc->n_slots) {
        struct power_slot *grown = realloc(svc->slots, (d->cfg->slots + 1) * sizeof(*grown));

        if (!grown)
            return -ENOMEM;
        memset(grown + svc->n_slots + 1, 0, (d->cfg->slots - svc->n_slots) * sizeof(*grown));
        svc->slots = grown;
    }
    svc->n_slots = d->cfg->slots;
    if (same_switches(svc, d->cfg))
        return 0;
    if (svc->ops || svc->batches) {
        pr_info("reload: the switches change once their work in flight is done");
        svc->reload_pending = true;
        return 0;
    }
    pr_power_apply_reload(svc);
    return 0;
}

int pr_power_service_start(struct pr_daemon *d)
{
    struct pr_power_service *svc = calloc(1, sizeof(*svc));
    int r = 0;

    if (!svc)
        return -ENOMEM;
    svc->d = d;
    svc->n_slots = d->cfg->slots;
    svc->slots = calloc(svc->n_slots + 1, sizeof(*svc->slots));
    svc->tick = pr_timer_new(d->loop, pr_power_on_tick, svc);
    svc->poll = pr_timer_new(d->loop, pr_power_poll_all, svc);
    if (!svc->slots || !svc->tick || !svc->poll)
        r = -ENOMEM;
    snprintf(svc->profiles_dir, sizeof(svc->profiles_dir), "%s", d->cfg->power_profiles);
    for (unsigned i = 0; r == 0 && i < d->cfg->n_switches; i++)
        r = pr_power_switch_start(svc, &d->cfg->switches[i]);
    d->power = svc;
    if (r < 0) {
        pr_power_service_stop(d);
        return r;
    }
    recover_interrupted(svc);
    pr_timer_arm(svc->poll, 1000, POWER_POLL_MS);
    return pr_power_metrics_start(svc, d->api ? pr_api_metrics(d->api) : NULL);
}

void pr_power_service_stop(struct pr_daemon *d)
{
    struct pr_power_service *svc = d->power;

    if (!svc)
        return;
    if (d->api)
        pr_power_metrics_stop(svc, pr_api_metrics(d->api));
    pr_timer_free(svc->tick);
    pr_timer_free(svc->poll);
    /* No answer arrives once the switches are freed, queued ones neither. */
    pr_power_switches_stop(svc);
    pr_power_batches_free(svc);
    /* Ops in flight stay unfinished in the store: the next start finishes them. */
    while (svc->ops) {
        struct power_op *op = svc->ops;

        svc->ops = op->next;
        free(op);
    }
    free(svc->slots);
    free(svc);
    d->power = NULL;
}

unsigned pr_power_switches_reach(const struct pr_daemon *d, struct pr_power_reach *out,
                                 unsigned max)
{
    const struct pr_power_service *svc = d->power;

    if (!svc)
        return 0;
    for (unsigned i = 0; i < svc->n_switches && i < max; i++) {
        const struct power_switch *ps = &svc->switches[i];

        snprintf(out[i].name, sizeof(out[i].name), "%s", ps->cfg.name);
        out[i].reachable = !ps->unreachable;
        snprintf(out[i].why, sizeof(out[i].why), "%s", ps->unreachable ? ps->unreachable_why : "");
    }
    return svc->n_switches;
}
