/* The health service: probes on the loop, spread over [health] interval,
 * and the remediation ladder each second.  See service.h; the ladder's
 * decisions are pure (ladder.c), the probe's socket side is probe.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "daemon/daemon.h"
#include "daemon/boot/service.h"
#include "daemon/image/service.h"
#include "daemon/power/service.h"
#include "pirack/metrics.h"
#include "service.h"
#include "health_internal.h"

#define LADDER_TICK_MS 1000
#define ACTOR "health"

struct slot_health {
    struct pr_health_service *svc;
    unsigned slot;
    struct pr_probe probe;
    unsigned fails;            /* probes failed in a row */
    bool hostkey_mismatch;     /* the last probe met a host key pirackd did not write */
    struct pr_ladder_slot lad; /* the kept fields mirror the store's row */
    bool loaded;
};

struct pr_health_service {
    struct pr_daemon *d;
    struct pr_timer *probe_timer, *ladder_timer;
    struct slot_health *slots; /* index = slot; [0] unused */
    unsigned n;                /* slots 1..n-1 */
    unsigned cursor;           /* the next slot the probe timer looks at */
    const char *paused;        /* why remediation is paused, or NULL */
    struct pr_self_check self; /* the self-check's last failure (check "" when none) */
    char paused_check[96];     /* what the pause event named: a change is a new event */
    char self_failed[400];     /* "switch a: why", for the status; "" when it passed */
    uint64_t next_switch_check_ms;
    uint64_t probes_ok, probes_failed;
    uint64_t steps[4]; /* by enum pr_ladder_step */
};

static struct slot_health *slot_health(struct pr_health_service *s, unsigned slot)
{
    if (slot == 0 || slot > s->d->plan.slots)
        return NULL;
    if (slot >= s->n) {
        /* the plan grew on a reload: probes in flight point into the old
         * array, so they end first (their slots are probed again soon) */
        for (unsigned i = 1; i < s->n; i++)
            if (s->slots[i].probe.fd >= 0) {
                pr_loop_del_fd(s->d->loop, s->slots[i].probe.fd);
                pr_probe_close(&s->slots[i].probe);
            }
        struct slot_health *more = realloc(s->slots, (slot + 1) * sizeof *more);
        if (!more)
            return NULL;
        memset(more + s->n, 0, (slot + 1 - s->n) * sizeof *more);
        for (unsigned i = s->n; i <= slot; i++) {
            more[i].probe.fd = -1;
            more[i].slot = i;
        }
        s->slots = more;
        s->n = slot + 1;
    }
    s->slots[slot].svc = s;
    return &s->slots[slot];
}

bool pr_health_remediation_allowed(const struct pr_daemon *d, const char *policy)
{
    return pr_ladder_policy_allows(policy, d->cfg && d->cfg->remediation);
}

const char *pr_health_paused(const struct pr_daemon *d)
{
    return d->health ? d->health->paused : NULL;
}

const char *pr_health_self_check_failed(const struct pr_daemon *d)
{
    return d->health && d->health->self_failed[0] ? d->health->self_failed : NULL;
}

/* ---- probes ---- */

static bool probed_state(const struct pr_boot_run *run)
{
    switch (run->state) {
    case PR_BOOT_BOOTED:
    case PR_BOOT_UP:
    case PR_BOOT_UNHEALTHY:
        return true;
    case PR_BOOT_FAILED:
        /* a late answer still brings a Pi up */
        return run->failed_stage == PR_STAGE_UP;
    default:
        return false;
    }
}

static void probe_done(struct slot_health *h, bool ok, const char *why)
{
    struct pr_health_service *s = h->svc;
    struct pr_daemon *d = s->d;
    struct pr_boot_run run;
    bool mismatch = h->probe.hostkey_mismatch;
    pr_loop_del_fd(d->loop, h->probe.fd);
    pr_probe_close(&h->probe);
    /* once per episode, not once per probe */
    if (mismatch && !h->hostkey_mismatch) {
        pr_warn("slot %u: %s", h->slot, why);
        pr_daemon_event(d, h->slot, "health.hostkey-mismatch", ACTOR, "{s:s}", "reason", why);
    }
    h->hostkey_mismatch = mismatch;
    if (pr_boot_slot_info(d, h->slot, &run) < 0)
        return;
    if (ok) {
        s->probes_ok++;
        h->fails = 0;
        if (run.state != PR_BOOT_UP && probed_state(&run)) {
            char detail[32];
            snprintf(detail, sizeof detail, "port %u", d->cfg->health_port);
            pr_boot_observe(d, h->slot, PR_OBS_HEALTH_UP, detail);
        }
        return;
    }
    s->probes_failed++;
    h->fails++;
    if (run.state == PR_BOOT_UP && h->fails >= d->cfg->unhealthy_after)
        pr_boot_observe(d, h->slot, PR_OBS_HEALTH_DOWN, why);
}

static void on_probe_io(void *ctx, int fd, uint32_t events)
{
    struct slot_health *h = ctx;
    bool want_read;
    char why[256] = "";
    (void)events;
    enum pr_probe_result r = pr_probe_io(&h->probe, &want_read, why, sizeof why);
    if (r == PR_PROBE_PENDING) {
        if (want_read) { /* from writable to readable: level-triggered EPOLLOUT would spin */
            pr_loop_del_fd(h->svc->d->loop, fd);
            if (pr_loop_add_fd(h->svc->d->loop, fd, EPOLLIN, on_probe_io, h) < 0)
                probe_done(h, false, "cannot watch the socket");
        }
        return;
    }
    probe_done(h, r == PR_PROBE_OK, why);
}

static void probe_slot(struct pr_health_service *s, unsigned slot, uint64_t now)
{
    struct pr_daemon *d = s->d;
    struct slot_health *h = slot_health(s, slot);
    struct pr_boot_run run;
    struct pr_slot_plan sp;
    if (!h || h->probe.fd >= 0 || pr_boot_slot_info(d, slot, &run) < 0 || !probed_state(&run) ||
        pr_plan_slot(&d->plan, slot, &sp) < 0)
        return;
    /* the keys of the root it serves now: its answer must show one */
    struct pr_hostkey keys[PR_HOSTKEYS_MAX];
    int nkeys = d->cfg->health_port == 22
                    ? pr_store_hostkeys_get(d->store, slot, keys, PR_HOSTKEYS_MAX)
                    : 0;
    int r = pr_probe_start(&h->probe, &sp.v6_pi, d->cfg->health_port, now, keys,
                           nkeys > 0 ? (size_t)nkeys : 0);
    if (r == 0)
        r = pr_loop_add_fd(d->loop, h->probe.fd, EPOLLOUT, on_probe_io, h);
    if (r < 0) {
        char why[64];
        snprintf(why, sizeof why, "socket: %s", strerror(-r));
        probe_done(h, false, why);
    }
}

/* One slot per turn, so a rack's probes spread evenly over the interval;
 * and probes that took too long fail. */
static void on_probe_timer(void *ctx)
{
    struct pr_health_service *s = ctx;
    uint64_t now = pr_now_ms();
    for (unsigned i = 1; i < s->n; i++) {
        struct slot_health *h = &s->slots[i];
        if (h->probe.fd >= 0 && now - h->probe.started_ms >= s->d->cfg->probe_timeout_ms)
            probe_done(h, false, "timeout");
    }
    if (s->d->plan.slots == 0)
        return;
    if (s->cursor == 0 || s->cursor > s->d->plan.slots)
        s->cursor = 1;
    probe_slot(s, s->cursor++, now);
}

static uint64_t probe_period_ms(const struct pr_daemon *d)
{
    uint64_t per = (uint64_t)d->cfg->health_interval_s * 1000 / (d->plan.slots ? d->plan.slots : 1);
    return per < 10 ? 10 : per;
}

/* ---- the ladder ---- */

static enum pr_ladder_health ladder_health(const struct pr_daemon *d, const struct pr_boot_run *run)
{
    switch (run->state) {
    case PR_BOOT_OFF:
        return PR_LH_OFF;
    case PR_BOOT_BOOTED:
        return d->cfg->health_probe ? PR_LH_BOOTING : PR_LH_HEALTHY;
    case PR_BOOT_UP:
        return PR_LH_HEALTHY;
    case PR_BOOT_UNHEALTHY:
        return PR_LH_FAILED_ROOT;
    case PR_BOOT_FAILED:
        return run->root_seen || run->failed_stage == PR_STAGE_UP ? PR_LH_FAILED_ROOT
                                                                  : PR_LH_FAILED;
    case PR_BOOT_QUARANTINED:
        return PR_LH_QUARANTINED;
    default:
        return PR_LH_BOOTING;
    }
}

static struct pr_ladder_cfg ladder_cfg(const struct pr_daemon *d)
{
    unsigned sec[PR_STAGE_COUNT];
    uint64_t total = 60; /* and the hold, the build of a root, a margin */
    pr_boot_stage_deadlines(d->cfg, sec);
    for (unsigned i = 0; i < PR_STAGE_COUNT; i++)
        total += sec[i];
    return (struct pr_ladder_cfg){
        .max_cycles = d->cfg->max_cycles,
        .max_remediating = d->cfg->max_remediating,
        .power_gap_ms = (int64_t)d->cfg->power_gap_s * 1000,
        .healthy_reset_ms = (int64_t)d->cfg->healthy_reset_s * 1000,
        .step_timeout_ms = (int64_t)total * 1000,
    };
}

static void store_row(struct pr_health_service *s, const struct slot_health *h)
{
    struct pr_remedy_row row = {
        .slot = h->slot,
        .cycles = h->lad.cycles,
        .reimages = h->lad.reimages,
        .step_ms = h->lad.step_ms,
        .last_power_ms = h->lad.last_power_ms,
        .healthy_ms = h->lad.healthy_ms,
    };
    snprintf(row.step, sizeof row.step, "%s", pr_ladder_step_name(h->lad.step));
    snprintf(row.phase, sizeof row.phase, "%s", pr_ladder_phase_name(h->lad.phase));
    if (pr_store_remedy_put(s->d->store, &row) < 0)
        pr_err("slot %u: cannot store its remediation: %s", h->slot, pr_store_errmsg(s->d->store));
}

/* Removes the slot's NFS export (quarantine) or brings it back (release):
 * the image service exports every root but those of quarantined slots. */
static void refresh_exports(struct pr_daemon *d)
{
    pr_image_exports_refresh(d);
}

/* Hands the pending step to the power or image service.  -EBUSY: try
 * again on the next tick (another operation is in flight). */
static int hand_over(struct pr_health_service *s, struct slot_health *h, const char *stage)
{
    struct pr_daemon *d = s->d;
    char why[256] = "";
    int64_t r = 0;
    switch (h->lad.step) {
    case PR_STEP_CYCLE:
        r = pr_power_request(d, h->slot, PR_POE_CYCLE, ACTOR, NULL, why, sizeof why);
        if (r == -EBUSY)
            return -EBUSY;
        pr_daemon_event(d, h->slot, "health.cycle", ACTOR, "{s:i, s:i, s:s, s:s}", "cycle",
                        (int)h->lad.cycles, "max_cycles", (int)d->cfg->max_cycles, "after", stage,
                        "error", r < 0 ? why : "");
        break;
    case PR_STEP_REIMAGE:
        r = pr_image_reimage(d, h->slot, NULL, false, ACTOR, why, sizeof why);
        if (r == -EBUSY)
            return -EBUSY;
        pr_daemon_event(d, h->slot, "health.reimage", ACTOR, "{s:s, s:I, s:s}", "after", stage,
                        "operation", (json_int_t)(r > 0 ? r : 0), "error", r < 0 ? why : "");
        break;
    case PR_STEP_QUARANTINE:
        r = pr_power_request(d, h->slot, PR_POE_OFF, ACTOR, NULL, why, sizeof why);
        pr_boot_observe(d, h->slot, PR_OBS_QUARANTINE, stage);
        refresh_exports(d);
        pr_daemon_event(d, h->slot, "health.quarantined", ACTOR, "{s:s, s:i, s:i, s:s}", "after",
                        stage, "cycles", (int)h->lad.cycles, "reimages", (int)h->lad.reimages,
                        "power_error", r < 0 && r != -ENODEV ? why : "");
        break;
    default:
        return 0;
    }
    s->steps[h->lad.step]++;
    if (r < 0 && h->lad.step != PR_STEP_QUARANTINE) {
        /* it cannot be done (no switch, no image): it did not help, and
         * the next rung comes on a later tick */
        pr_warn("slot %u: remediation %s: %s", h->slot, pr_ladder_step_name(h->lad.step), why);
        h->lad.step = PR_STEP_NONE;
        h->lad.phase = PR_PHASE_IDLE;
        h->lad.step_ms = 0;
        return 0;
    }
    h->lad.phase = PR_PHASE_RUNNING; /* its outcome (or step_timeout) decides */
    return 0;
}

static const char *stage_word(const struct pr_boot_run *run)
{
    if (run->state == PR_BOOT_UNHEALTHY)
        return "unhealthy";
    return pr_boot_stage_name(run->failed_stage);
}

static void decide_slot(struct pr_health_service *s, struct slot_health *h,
                        const struct pr_slot_row *row, struct pr_ladder_rack *rack,
                        const struct pr_ladder_cfg *lc, int64_t now_wall, uint64_t now_mono)
{
    struct pr_daemon *d = s->d;
    struct pr_boot_run run;
    if (pr_boot_slot_info(d, h->slot, &run) < 0)
        return;
    h->lad.enabled = pr_health_remediation_allowed(d, row->policy);
    h->lad.health = ladder_health(d, &run);
    h->lad.state_ms = now_wall - (int64_t)(now_mono - run.since_ms);
    bool was_busy = h->lad.phase != PR_PHASE_IDLE;
    for (int round = 0; round < 2; round++) {
        struct pr_ladder_decision dec = pr_ladder_decide(&h->lad, rack, lc, now_wall);
        switch (dec.action) {
        case PR_LADDER_RECOVERED:
            pr_daemon_event(d, h->slot, "health.recovered", ACTOR, "{s:i, s:i}", "cycles",
                            (int)h->lad.cycles, "reimages", (int)h->lad.reimages);
            break;
        case PR_LADDER_RESET:
            pr_daemon_event(d, h->slot, "health.reset", ACTOR, "{s:i}", "healthy_s",
                            (int)d->cfg->healthy_reset_s);
            break;
        case PR_LADDER_STEP_FAILED:
            pr_daemon_event(d, h->slot, "health.step-failed", ACTOR, "{s:s, s:i, s:i}", "state",
                            stage_word(&run), "cycles", (int)h->lad.cycles, "reimages",
                            (int)h->lad.reimages);
            if (dec.changed)
                store_row(s, h);
            continue; /* the next rung, when the guards allow it now */
        case PR_LADDER_CYCLE:
        case PR_LADDER_REIMAGE:
        case PR_LADDER_QUARANTINE:
            store_row(s, h); /* pending, before anything is asked of anyone */
            if (hand_over(s, h, stage_word(&run)) == 0)
                store_row(s, h); /* running */
            if (!was_busy)
                rack->remediating++;
            return;
        default:
            break;
        }
        if (dec.changed)
            store_row(s, h);
        break;
    }
    if (was_busy && h->lad.phase == PR_PHASE_IDLE && rack->remediating)
        rack->remediating--;
}

struct tick {
    struct pr_health_service *s;
    struct pr_slot_row *rows;
    unsigned n;
};

static int collect_row(const struct pr_slot_row *row, void *ctx)
{
    struct tick *t = ctx;
    if (row->slot < t->n)
        t->rows[row->slot] = *row;
    return 0;
}

/* "dhcp", or "switch a": what failed the self-check */
static void self_check_name(const struct pr_self_check *c, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s%s", c->check, c->subject[0] ? " " : "", c->subject);
}

static void set_paused(struct pr_health_service *s, const char *why,
                       const struct pr_ladder_rack *rack)
{
    char check[sizeof s->paused_check] = "";
    if (why && !strcmp(why, "self-check"))
        self_check_name(&s->self, check, sizeof check);
    if ((why == NULL) == (s->paused == NULL) && (!why || !strcmp(why, s->paused)) &&
        !strcmp(check, s->paused_check))
        return;
    if (why) {
        pr_warn("health: automatic remediation paused: %s%s%s%s%s (%u of %u slots unhealthy)", why,
                check[0] ? ": " : "", check, s->self.why[0] && check[0] ? ": " : "",
                check[0] ? s->self.why : "", rack->unhealthy, rack->slots);
        /* check and switch say which of pirackd's services failed its
         * self-check; error, what it said */
        pr_daemon_event(s->d, 0, "health.paused", ACTOR, "{s:s, s:i, s:i, s:s, s:s, s:s}", "reason",
                        why, "unhealthy", (int)rack->unhealthy, "slots", (int)rack->slots, "check",
                        check[0] ? s->self.check : "", "switch", check[0] ? s->self.subject : "",
                        "error", check[0] ? s->self.why : "");
    } else {
        pr_info("health: automatic remediation resumed");
        pr_daemon_event(s->d, 0, "health.resumed", ACTOR, "{s:i, s:i, s:s}", "unhealthy",
                        (int)rack->unhealthy, "slots", (int)rack->slots, "after",
                        s->paused_check[0] ? s->paused_check : s->paused);
    }
    s->paused = why;
    snprintf(s->paused_check, sizeof s->paused_check, "%s", check);
}

static void on_ladder_timer(void *ctx)
{
    struct pr_health_service *s = ctx;
    struct pr_daemon *d = s->d;
    unsigned n = d->plan.slots + 1;
    struct tick t = { s, calloc(n, sizeof(struct pr_slot_row)), n };
    if (!t.rows || pr_store_each_slot(d->store, collect_row, &t) < 0) {
        free(t.rows);
        return;
    }
    struct pr_ladder_rack rack = {
        .slots = d->plan.slots,
        .self_ok = pr_health_self_check(d, pr_now_ms(), &s->next_switch_check_ms, &s->self),
    };
    s->self_failed[0] = '\0';
    if (!rack.self_ok) {
        char check[sizeof s->paused_check];
        self_check_name(&s->self, check, sizeof check);
        snprintf(s->self_failed, sizeof s->self_failed, "%s: %s", check, s->self.why);
    }
    for (unsigned i = 1; i < n; i++) {
        struct slot_health *h = slot_health(s, i);
        struct pr_boot_run run;
        if (!h)
            continue;
        bool busy = h->lad.phase != PR_PHASE_IDLE;
        rack.remediating += busy;
        /* a Pi being repaired is not healthy yet either: counted, so a
         * rack that fails Pi by Pi pauses as one that fails at once */
        if (busy || (pr_boot_slot_info(d, i, &run) == 0 &&
                     (run.state == PR_BOOT_FAILED || run.state == PR_BOOT_UNHEALTHY)))
            rack.unhealthy++;
    }
    set_paused(s, pr_ladder_pause_reason(&rack), &rack);
    struct pr_ladder_cfg lc = ladder_cfg(d);
    int64_t now_wall = pr_store_now_ms();
    uint64_t now_mono = pr_now_ms();
    for (unsigned i = 1; i < n; i++) {
        struct slot_health *h = slot_health(s, i);
        if (h && t.rows[i].slot == i)
            decide_slot(s, h, &t.rows[i], &rack, &lc, now_wall, now_mono);
    }
    free(t.rows);
}

/* ---- release ---- */

int pr_health_release(struct pr_daemon *d, unsigned slot, const char *actor, char *why,
                      size_t whylen)
{
    struct pr_health_service *s = d->health;
    struct slot_health *h = s ? slot_health(s, slot) : NULL;
    if (!h) {
        snprintf(why, whylen, "no slot %u, or the health service is not running", slot);
        return -ENOENT;
    }
    if (pr_boot_slot_state(d, slot) != PR_BOOT_QUARANTINED) {
        snprintf(why, whylen, "slot %u is not quarantined", slot);
        return -EINVAL;
    }
    pr_boot_observe(d, slot, PR_OBS_RELEASE, actor);
    memset(&h->lad, 0, sizeof h->lad);
    h->fails = 0;
    store_row(s, h);
    refresh_exports(d);
    pr_daemon_event(d, slot, "health.released", actor, "{s:s}", "state", "off");
    return 0;
}

/* ---- metrics ---- */

static int collect_paused(struct pr_metrics_out *out, void *ctx)
{
    struct pr_health_service *s = ctx;
    static const char *const reasons[] = { "self-check", "too-many-unhealthy" };
    int r = 0;
    for (unsigned i = 0; i < 2; i++)
        r = pr_metrics_sample(out, (const char *[]){ reasons[i] },
                              s->paused && !strcmp(s->paused, reasons[i]));
    return r;
}

static int collect_probes(struct pr_metrics_out *out, void *ctx)
{
    struct pr_health_service *s = ctx;
    pr_metrics_sample(out, (const char *[]){ "ok" }, (double)s->probes_ok);
    return pr_metrics_sample(out, (const char *[]){ "failed" }, (double)s->probes_failed);
}

static int collect_steps(struct pr_metrics_out *out, void *ctx)
{
    struct pr_health_service *s = ctx;
    int r = 0;
    for (int i = PR_STEP_CYCLE; i <= PR_STEP_QUARANTINE; i++)
        r = pr_metrics_sample(out, (const char *[]){ pr_ladder_step_name(i) }, (double)s->steps[i]);
    return r;
}

static int register_metrics(struct pr_health_service *s)
{
    static const char *const reason[] = { "reason", NULL };
    static const char *const result[] = { "result", NULL };
    static const char *const step[] = { "step", NULL };
    static const struct pr_metric_desc paused = {
        "pirack_health_remediation_paused",
        "1 while automatic remediation is paused, by reason.",
        PR_METRIC_GAUGE,
        reason,
    };
    static const struct pr_metric_desc probes = {
        "pirack_health_probes_total",
        "Health probes, by result.",
        PR_METRIC_COUNTER,
        result,
    };
    static const struct pr_metric_desc steps = {
        "pirack_health_remediations_total",
        "Automatic remediation steps taken, by step.",
        PR_METRIC_COUNTER,
        step,
    };
    struct pr_metrics *m = s->d->api ? pr_api_metrics(s->d->api) : NULL;
    if (!m)
        return 0;
    int r = pr_metrics_register(m, &paused, collect_paused, s);
    if (r == 0)
        r = pr_metrics_register(m, &probes, collect_probes, s);
    if (r == 0)
        r = pr_metrics_register(m, &steps, collect_steps, s);
    return r;
}

/* ---- life ---- */

static int load_row(const struct pr_remedy_row *row, void *ctx)
{
    struct pr_health_service *s = ctx;
    struct slot_health *h = slot_health(s, row->slot);
    int step = pr_ladder_step_parse(row->step), phase = pr_ladder_phase_parse(row->phase);
    if (!h || step < 0 || phase < 0)
        return 0;
    h->lad.cycles = row->cycles;
    h->lad.reimages = row->reimages;
    h->lad.step = (enum pr_ladder_step)step;
    h->lad.phase = (enum pr_ladder_phase)phase;
    h->lad.step_ms = row->step_ms;
    h->lad.last_power_ms = row->last_power_ms;
    h->lad.healthy_ms = row->healthy_ms;
    if (phase != PR_PHASE_IDLE)
        pr_info("slot %u: resuming remediation: %s (%s)", row->slot, row->step, row->phase);
    return 0;
}

static void arm_probes(struct pr_health_service *s)
{
    if (s->d->cfg->health_probe) {
        uint64_t per = probe_period_ms(s->d);
        pr_timer_arm(s->probe_timer, per, per);
    } else {
        pr_timer_disarm(s->probe_timer);
    }
}

int pr_health_service_reload(struct pr_daemon *d)
{
    struct pr_health_service *s = d->health;
    if (s) {
        if (d->plan.slots)
            slot_health(s, d->plan.slots); /* the plan may have grown */
        arm_probes(s);
    }
    return 0;
}

int pr_health_service_start(struct pr_daemon *d)
{
    struct pr_health_service *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->d = d;
    s->probe_timer = pr_timer_new(d->loop, on_probe_timer, s);
    s->ladder_timer = pr_timer_new(d->loop, on_ladder_timer, s);
    int r = !s->probe_timer || !s->ladder_timer ? -ENOMEM : 0;
    if (r == 0 && d->plan.slots && !slot_health(s, d->plan.slots))
        r = -ENOMEM;
    if (r == 0)
        r = pr_store_each_remedy(d->store, load_row, s);
    if (r == 0)
        r = register_metrics(s);
    if (r < 0) {
        if (d->api)
            pr_metrics_unregister_ctx(pr_api_metrics(d->api), s);
        pr_timer_free(s->probe_timer);
        pr_timer_free(s->ladder_timer);
        free(s->slots);
        free(s);
        return r;
    }
    d->health = s;
    arm_probes(s);
    pr_timer_arm(s->ladder_timer, LADDER_TICK_MS, LADDER_TICK_MS);
    return 0;
}

void pr_health_service_stop(struct pr_daemon *d)
{
    struct pr_health_service *s = d->health;
    if (!s)
        return;
    if (d->api)
        pr_metrics_unregister_ctx(pr_api_metrics(d->api), s);
    for (unsigned i = 1; i < s->n; i++)
        if (s->slots[i].probe.fd >= 0) {
            pr_loop_del_fd(d->loop, s->slots[i].probe.fd);
            pr_probe_close(&s->slots[i].probe);
        }
    pr_timer_free(s->probe_timer);
    pr_timer_free(s->ladder_timer);
    free(s->slots);
    free(s);
    d->health = NULL;
}
