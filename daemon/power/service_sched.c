/* power service's pacing and the switches' answers: on each tick, offs go
 * to their switches in one batch per switch, cycles that held long
 * enough join the power-on queue, and power-ons leave the queue as
 * max_booting, the stagger and the switches' budgets allow.  Below
 * service.c; uses ops.c and service_switches.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/boot/service.h"
#include "power_internal.h"

void pr_power_kick(struct pr_power_service *svc)
{
    pr_timer_arm(svc->tick, 0, 0);
}

static void tell_boot(struct pr_daemon *d, unsigned slot, bool on)
{
    pr_boot_observe(d, slot, on ? PR_OBS_POWER_ON : PR_OBS_POWER_OFF, NULL);
}

/* ---- batches: one library operation for several slots ---- */

static void batch_free(struct power_batch *b)
{
    if (!b)
        return;
    free(b->ops);
    free(b->slots);
    free(b);
}

static void batch_unlink(struct pr_power_service *svc, struct power_batch *b)
{
    for (struct power_batch **pp = &svc->batches; *pp; pp = &(*pp)->next)
        if (*pp == b) {
            *pp = b->next;
            return;
        }
}

/* Once the switches are freed no answer comes: the batches they held
 * are ours to free. */
void pr_power_batches_free(struct pr_power_service *svc)
{
    while (svc->batches) {
        struct power_batch *b = svc->batches;

        svc->batches = b->next;
        batch_free(b);
    }
}

static void batch_done(void *ctx, uint64_t op_id, const struct pr_poe_result *r);

static int submit(struct pr_power_service *svc, struct power_switch *ps, enum pr_poe_action a,
                  struct power_batch *b)
{
    unsigned *ports = malloc(b->n * sizeof(*ports));
    int64_t id;

    if (!ports)
        return -ENOMEM;
    for (size_t i = 0; i < b->n; i++)
        ports[i] = ps->cfg.port_base + (b->slots[i] - ps->cfg.first_slot);
    b->svc = svc;
    b->ps = ps;
    b->action = a;
    id = pr_poe_switch_submit(ps->sw, a, ports, b->n, NULL, batch_done, b);
    free(ports);
    if (id < 0)
        return (int)id;
    b->next = svc->batches;
    svc->batches = b;
    return 0;
}

static struct power_batch *batch_new(size_t n, bool with_ops)
{
    struct power_batch *b = calloc(1, sizeof(*b));

    if (!b)
        return NULL;
    b->slots = calloc(n, sizeof(*b->slots));
    b->ops = with_ops ? calloc(n, sizeof(*b->ops)) : NULL;
    if (!b->slots || (with_ops && !b->ops)) {
        batch_free(b);
        return NULL;
    }
    return b;
}

int pr_power_refresh(struct pr_power_service *svc, struct power_switch *ps, const unsigned *slots,
                     size_t n)
{
    struct power_batch *b = batch_new(n, false);
    int r;

    if (!b)
        return -ENOMEM;
    memcpy(b->slots, slots, n * sizeof(*slots));
    b->n = n;
    r = submit(svc, ps, PR_POE_STATUS, b);
    if (r < 0) {
        batch_free(b);
        return r;
    }
    for (size_t i = 0; i < n; i++)
        svc->slots[slots[i]].refreshing = true;
    return 0;
}

/* Every switch's ports, read in one batch each: keeps the live view and
 * the store's power column true when someone changed a port by hand. */
void pr_power_poll_all(void *ctx)
{
    struct pr_power_service *svc = ctx;

    for (unsigned i = 0; i < svc->n_switches; i++) {
        struct power_switch *ps = &svc->switches[i];
        size_t n = ps->cfg.last_slot - ps->cfg.first_slot + 1;
        unsigned *slots = malloc(n * sizeof(*slots));

        if (!slots)
            return;
        for (size_t k = 0; k < n; k++)
            slots[k] = ps->cfg.first_slot + (unsigned)k;
        pr_power_refresh(svc, ps, slots, n);
        free(slots);
    }
}

static bool switch_busy(const struct pr_power_service *svc, const struct power_switch *ps)
{
    for (const struct power_batch *b = svc->batches; b; b = b->next)
        if (b->ps == ps)
            return true;
    return false;
}

/* The health self-check's poll: one port's status from each switch that
 * has nothing at work (work in flight answers as well, soon enough). */
void pr_power_check_switches(struct pr_daemon *d)
{
    struct pr_power_service *svc = d->power;

    if (!svc || svc->reload_pending)
        return;
    for (unsigned i = 0; i < svc->n_switches; i++) {
        struct power_switch *ps = &svc->switches[i];
        unsigned slot = ps->cfg.first_slot;

        if (!switch_busy(svc, ps) && slot <= svc->n_slots)
            pr_power_refresh(svc, ps, &slot, 1);
    }
}

/* ---- answers ---- */

static const char *admin_word(int admin)
{
    return admin == 1 ? "on" : admin == 0 ? "off" : "unknown";
}

/* The store's power column after an answer: the switch's read-back.  No
 * read-back (the switch never answered) leaves the column as it was. */
static void record_power(struct pr_power_service *svc, unsigned slot,
                         const struct pr_poe_port_status *p)
{
    if (p->admin < 0)
        return;
    svc->slots[slot].unsure = false;
    if (pr_store_set_slot_power(svc->d->store, slot, admin_word(p->admin)) < 0)
        pr_err("slot %u: cannot record power %s: %s", slot, admin_word(p->admin),
               pr_store_errmsg(svc->d->store));
}

static void remember_live(struct pr_power_service *svc, unsigned slot,
                          const struct pr_poe_port_status *p)
{
    struct power_slot *st = &svc->slots[slot];

    st->refreshing = false;
    if (p->admin < 0 && p->detect == PR_POE_DETECT_UNKNOWN)
        return;
    st->live = *p;
    st->live_valid = true;
    st->live_at = pr_now_ms();
    if (p->admin >= 0)
        st->unsure = false;
}

/* A set that got no answer may still have been applied: what was known
 * of the port is no longer true, in the live view or in the store. */
static void forget_port(struct pr_power_service *svc, unsigned slot, unsigned port)
{
    struct power_slot *st = &svc->slots[slot];

    memset(&st->live, 0, sizeof(st->live));
    st->live.port = port;
    st->live.admin = -1;
    st->live.power_class = -1;
    snprintf(st->live.note, sizeof(st->live.note), "a set got no answer: unknown until read back");
    st->live_valid = true;
    st->live_at = pr_now_ms();
    st->unsure = true;
    if (pr_store_set_slot_power(svc->d->store, slot, "unknown") < 0)
        pr_err("slot %u: cannot record power unknown: %s", slot, pr_store_errmsg(svc->d->store));
}

/* The switch answered: read back at once the ports a set left unsure. */
static void read_back_unsure(struct pr_power_service *svc, struct power_switch *ps)
{
    size_t cap = ps->cfg.last_slot - ps->cfg.first_slot + 1, n = 0;
    unsigned *slots = calloc(cap, sizeof(*slots));

    if (!slots)
        return;
    for (unsigned s = ps->cfg.first_slot; s <= ps->cfg.last_slot && s <= svc->n_slots; s++)
        if (svc->slots[s].unsure && !svc->slots[s].refreshing && !pr_power_op_of(svc, s))
            slots[n++] = s;
    if (n)
        pr_power_refresh(svc, ps, slots, n);
    free(slots);
}

static void finish(struct pr_power_service *svc, struct power_op *op, bool ok, const char *result)
{
    struct pr_daemon *d = svc->d;
    struct power_slot *st = &svc->slots[op->slot];

    svc->finished[op->action & 3][ok]++;
    if (pr_store_power_op_finish(d->store, op->id, ok, result) < 0)
        pr_err("slot %u: cannot finish power op #%lld: %s", op->slot, (long long)op->id,
               pr_store_errmsg(d->store));
    st->last_op_id = op->id;
    st->last_ok = ok;
    snprintf(st->last_result, sizeof(st->last_result), "%s", result);
    if (!ok)
        st->booting_since = 0;
    pr_power_op_remove(svc, op);
}

static void set_phase(struct pr_power_service *svc, struct power_op *op, const char *phase)
{
    if (pr_store_power_op_phase(svc->d->store, op->id, phase) < 0)
        pr_err("slot %u: power op #%lld phase %s: %s", op->slot, (long long)op->id, phase,
               pr_store_errmsg(svc->d->store));
}

/* One slot's share of an on or off answer. */
static void take_answer(struct pr_power_service *svc, struct power_op *op, bool on,
                        const struct pr_poe_result *r, const struct pr_poe_port_status *p,
                        bool port_mode)
{
    struct pr_daemon *d = svc->d;
    bool ok = port_mode ? p->err == 0 : r->err == 0;
    char answer[PR_POE_MSG_MAX + 80];

    if (port_mode && p->err)
        snprintf(answer, sizeof(answer), "port %u: %s", p->port, p->note);
    else if (r->err == 0)
        /* The batch may hold other slots' ports: this slot asked for one. */
        snprintf(answer, sizeof(answer), "%s: port %u ok", on ? "on" : "off", p->port);
    else
        snprintf(answer, sizeof(answer), "%s", r->message);
    remember_live(svc, op->slot, p);
    record_power(svc, op->slot, p);
    pr_daemon_event(d, op->slot, on ? "power.on" : "power.off", op->actor,
                    "{s:I, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:i, s:I}", "op",
                    (json_int_t)op->id, "action", pr_poe_action_name(op->action), "reason",
                    op->reason, "switch", op->ps->cfg.name, "port", (int)op->port, "answer", answer,
                    "outcome", ok ? "ok" : "failed", "admin", admin_word(p->admin), "detect",
                    pr_poe_detect_name(p->detect), "before", op->before, "attempts",
                    (int)r->attempts, "ms", (json_int_t)r->elapsed_ms);
    if (!ok && pr_poe_error_transient(r->err) && p->admin < 0)
        forget_port(svc, op->slot, op->port);
    if (!ok) {
        pr_warn("slot %u: power %s failed: %s", op->slot, on ? "on" : "off", answer);
        finish(svc, op, false, answer);
        return;
    }
    tell_boot(d, op->slot, on);
    if (!on)
        svc->slots[op->slot].booting_since = 0;
    if (on || op->action == PR_POE_OFF) {
        finish(svc, op, true, answer);
        return;
    }
    /* A cycle's off went through: hold, then queue the on. */
    op->off_done = true;
    op->step = STEP_HOLDING;
    op->hold_until = pr_now_ms() + d->cfg->power_hold_ms;
    set_phase(svc, op, "holding");
}

/* The health self-check's "unreachable": no answer (the network), or a
 * switch that will not let pirackd in (credentials, host key): it drives
 * none of its ports.  A refused set or a port's fault is an answer about
 * that port, not about the switch. */
static bool cannot_drive(int err)
{
    return err && (pr_poe_error_transient(err) || err == -EACCES || err == -EPERM);
}

static void batch_done(void *ctx, uint64_t op_id, const struct pr_poe_result *r)
{
    struct power_batch *b = ctx;
    struct pr_power_service *svc = b->svc;
    bool port_mode = false;

    (void)op_id;
    batch_unlink(svc, b);
    b->ps->round_trips += r->round_trips;
    b->ps->logins += r->logins;
    b->ps->answers++;
    b->ps->failed_answers += r->err != 0;
    b->ps->unreachable = cannot_drive(r->err);
    if (b->ps->unreachable)
        snprintf(b->ps->unreachable_why, sizeof(b->ps->unreachable_why), "%s", r->message);
    for (size_t i = 0; i < r->n_ports && r->ports; i++)
        port_mode |= r->ports[i].err != 0;
    for (size_t i = 0; i < b->n; i++) {
        struct pr_poe_port_status none = { .admin = -1, .power_class = -1 };
        const struct pr_poe_port_status *p = i < r->n_ports && r->ports ? &r->ports[i] : &none;

        if (b->action == PR_POE_STATUS) {
            remember_live(svc, b->slots[i], p);
            /* An op in flight writes its own truth when it ends. */
            if (r->err == 0 && !pr_power_op_of(svc, b->slots[i]))
                record_power(svc, b->slots[i], p);
        } else if (b->ops[i]) {
            take_answer(svc, b->ops[i], b->action == PR_POE_ON, r, p, port_mode);
        }
    }
    if (r->err == 0)
        read_back_unsure(svc, b->ps);
    batch_free(b);
    if (svc->reload_pending && !svc->ops && !svc->batches)
        pr_power_apply_reload(svc);
    pr_power_kick(svc);
}

/* ---- the tick ---- */

/* A slot powered on boots until the boot service says it booted or
 * failed, or, without one, for one boot step's timeout. */
static bool still_booting(struct pr_power_service *svc, unsigned slot, uint64_t now)
{
    struct power_slot *st = &svc->slots[slot];
    uint64_t window =
        svc->d->cfg->boot_timeout_s ? svc->d->cfg->boot_timeout_s * 1000ull : POWER_BOOT_WINDOW_MS;

    if (!st->booting_since)
        return false;
    if (svc->d->boot) {
        enum pr_boot_state b = pr_boot_slot_state(svc->d, slot);

        if (b == PR_BOOT_BOOTED || b == PR_BOOT_FAILED || b == PR_BOOT_OFF || b == PR_BOOT_UP ||
            b == PR_BOOT_UNHEALTHY || b == PR_BOOT_QUARANTINED)
            st->booting_since = 0;
        else
            window = POWER_BOOT_WINDOW_MS; /* the boot service's deadlines rule */
    }
    if (st->booting_since && now - st->booting_since >= window)
        st->booting_since = 0;
    return st->booting_since != 0;
}

unsigned pr_power_booting_count(struct pr_power_service *svc)
{
    unsigned n = 0;

    for (unsigned s = 1; s <= svc->n_slots; s++)
        n += still_booting(svc, s, pr_now_ms());
    return n;
}

/* The slots booting now, in all and per model class. */
static unsigned booting_now(struct pr_power_service *svc, uint64_t now, uint64_t *next_look,
                            unsigned per_class[POWER_CLASS_N])
{
    unsigned n = 0;

    memset(per_class, 0, POWER_CLASS_N * sizeof(*per_class));
    for (unsigned s = 1; s <= svc->n_slots; s++) {
        if (!still_booting(svc, s, now))
            continue;
        n++;
        per_class[svc->slots[s].boot_class]++;
    }
    /* Look again in a second: the boot service's answers do not kick us. */
    if (n)
        *next_look = now + 1000;
    return n;
}

/* The class a slot's board boots as: its model in the store, a Pi 3
 * when not known yet. */
static enum power_class slot_class(struct pr_power_service *svc, unsigned slot)
{
    struct pr_slot_row row;

    if (pr_store_get_slot(svc->d->store, slot, &row) < 0)
        return POWER_CLASS_PI3;
    return pr_power_model_class(row.model);
}

/* Sends every queued op in step from, for one switch, as one batch. */
static void send_batch(struct pr_power_service *svc, struct power_switch *ps, enum power_step from,
                       enum pr_poe_action a, enum power_step to, const char *phase)
{
    size_t n = 0;
    struct power_batch *b;
    int r;

    for (struct power_op *op = svc->ops; op; op = op->next)
        n += op->ps == ps && op->step == from;
    if (!n || !(b = batch_new(n, true)))
        return;
    n = 0;
    for (struct power_op *op = svc->ops; op; op = op->next)
        if (op->ps == ps && op->step == from) {
            b->ops[n] = op;
            b->slots[n++] = op->slot;
        }
    b->n = n;
    r = submit(svc, ps, a, b);
    for (size_t i = 0; i < n; i++) {
        struct power_op *op = b->ops[i];

        if (r < 0) {
            char why[128];

            snprintf(why, sizeof(why), "switch %s refused the work: %s", ps->cfg.name,
                     strerror(-r));
            finish(svc, op, false, why);
            continue;
        }
        op->step = to;
        set_phase(svc, op, phase);
        if (a == PR_POE_ON)
            svc->slots[op->slot].booting_since = pr_now_ms();
    }
    if (r < 0)
        batch_free(b);
}

static uint64_t earlier(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/* Picks the power-ons that may go now (STEP_ON_CHOSEN) and says when
 * to look again.  First come, first served, but a model at its own
 * limit lets other models' ons pass. */
static uint64_t release_ons(struct pr_power_service *svc, uint64_t now)
{
    const struct pr_config *cfg = svc->d->cfg;
    uint64_t wake = UINT64_MAX, next_free = UINT64_MAX;
    struct power_admit a = { .last_on_ms = svc->last_on_ms };

    a.booting = booting_now(svc, now, &next_free, a.booting_class);
    a.max_class[POWER_CLASS_PI3] = cfg->power_max_booting_pi3;
    a.max_class[POWER_CLASS_PI4] = cfg->power_max_booting_pi4;
    a.max_class[POWER_CLASS_PI5] = cfg->power_max_booting_pi5;
    for (struct power_op *op = svc->ops; op; op = op->next) {
        enum power_class cls;
        uint64_t until = UINT64_MAX;

        if (op->step != STEP_WANT_ON)
            continue;
        a.max_booting =
            op->pace.max_booting >= 0 ? (unsigned)op->pace.max_booting : cfg->power_max_booting;
        a.stagger_ms =
            op->pace.stagger_ms >= 0 ? (unsigned)op->pace.stagger_ms : cfg->power_stagger_ms;
        cls = slot_class(svc, op->slot);
        switch (pr_power_admit(&a, cls, now, &until)) {
        case ADMIT_WAIT_CLASS:
            wake = earlier(wake, next_free);
            continue;
        case ADMIT_WAIT_BOOTING:
            return earlier(wake, next_free);
        case ADMIT_WAIT_GAP:
            return earlier(wake, until);
        case ADMIT_GO:
            break;
        }
        op->step = STEP_ON_CHOSEN; /* sent below, one batch per switch */
        svc->slots[op->slot].boot_class = cls;
        a.booting++;
        a.booting_class[cls]++;
        svc->last_on_ms = a.last_on_ms = now;
        if (a.stagger_ms)
            return earlier(wake, now + a.stagger_ms); /* one per interval */
    }
    return wake;
}

void pr_power_on_tick(void *ctx)
{
    struct pr_power_service *svc = ctx;
    uint64_t now = pr_now_ms(), wake = UINT64_MAX;

    for (unsigned i = 0; i < svc->n_switches; i++)
        send_batch(svc, &svc->switches[i], STEP_WANT_OFF, PR_POE_OFF, STEP_OFF_SENT, "off-sent");
    for (struct power_op *op = svc->ops; op; op = op->next) {
        if (op->step != STEP_HOLDING)
            continue;
        if (op->hold_until <= now)
            op->step = STEP_WANT_ON;
        else if (op->hold_until < wake)
            wake = op->hold_until;
    }
    uint64_t w = release_ons(svc, now);
    wake = w < wake ? w : wake;
    for (unsigned i = 0; i < svc->n_switches; i++)
        send_batch(svc, &svc->switches[i], STEP_ON_CHOSEN, PR_POE_ON, STEP_ON_SENT, "on-sent");
    if (wake != UINT64_MAX)
        pr_timer_arm(svc->tick, wake > now ? wake - now : 0, 0);
}
