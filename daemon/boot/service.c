/* The boot service: each slot's state machine on the loop.  See
 * service.h; the transitions themselves are pure (timeline.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"
#include "pirack/metrics.h"
#include "service.h"
#include "capture_service.h"
#include "boot_internal.h"

struct slot_run {
    struct pr_boot_run run;
    bool told_unexpected; /* one "boot.unexpected" per state */
    uint64_t powered_ms;  /* when the port came on for this boot; 0 = none */
};

struct pr_boot_service {
    struct pr_daemon *d;
    struct pr_timer *timer;
    struct slot_run *slots;        /* index = slot number; [0] unused */
    unsigned n;                    /* slots 1..n-1 */
    struct pr_histogram boot_secs; /* power-on to booted */
    uint64_t failed;               /* boots that missed a step's deadline */
};

/* Seconds from power-on to booted: a Pi 4 from SD-less netboot in ~15 s,
 * a 3B's ROM retrying DHCP in a minute, anything past boot_timeout
 * failed instead. */
static const double boot_bounds[] = { 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300 };

/* A boot's length goes to the histogram when it reaches booted from a
 * power-on this pirackd saw (not a state reloaded after a restart). */
static void time_boot(struct pr_boot_service *s, struct slot_run *r, uint64_t now)
{
    if (r->run.state == PR_BOOT_POWERED) {
        r->powered_ms = now;
    } else if (r->run.state == PR_BOOT_BOOTED && r->powered_ms) {
        pr_histogram_observe(&s->boot_secs, (double)(now - r->powered_ms) / 1000.0);
        r->powered_ms = 0;
    } else if (r->run.state == PR_BOOT_OFF || r->run.state == PR_BOOT_FAILED) {
        r->powered_ms = 0;
    }
}

static struct slot_run *slot_run(struct pr_boot_service *s, unsigned slot)
{
    if (slot == 0 || slot > s->d->plan.slots)
        return NULL;
    if (slot >= s->n) {
        /* the plan grew on a reload */
        struct slot_run *more = realloc(s->slots, (slot + 1) * sizeof *more);
        if (!more)
            return NULL;
        memset(more + s->n, 0, (slot + 1 - s->n) * sizeof *more);
        s->slots = more;
        s->n = slot + 1;
    }
    return &s->slots[slot];
}

static void arm(struct pr_boot_service *s)
{
    uint64_t first = 0, now = pr_now_ms();
    for (unsigned i = 1; i < s->n; i++) {
        uint64_t dl = s->slots[i].run.deadline_ms;
        if (dl && (!first || dl < first))
            first = dl;
    }
    if (!first)
        pr_timer_disarm(s->timer);
    else
        pr_timer_arm(s->timer, first > now ? first - now : 0, 0);
}

/* A stage's deadline in seconds: its own key, else the deprecated
 * [health] boot_timeout when the file sets it, else the default. */
static unsigned stage_s(const struct pr_config *cfg, unsigned own, unsigned dflt)
{
    return own ? own : cfg->boot_timeout_s ? cfg->boot_timeout_s : dflt;
}

void pr_boot_stage_deadlines(const struct pr_config *cfg, unsigned out_s[PR_STAGE_COUNT])
{
    out_s[PR_STAGE_NONE] = 0;
    out_s[PR_STAGE_DHCP] = stage_s(cfg, cfg->dhcp_deadline_s, PR_BOOT_DHCP_DEADLINE_S);
    out_s[PR_STAGE_TFTP] = stage_s(cfg, cfg->tftp_deadline_s, PR_BOOT_TFTP_DEADLINE_S);
    out_s[PR_STAGE_ROOT] = stage_s(cfg, cfg->root_deadline_s, PR_BOOT_ROOT_DEADLINE_S);
    /* without probes nothing says a Pi is up: no deadline for it */
    out_s[PR_STAGE_UP] =
        cfg->health_probe ? stage_s(cfg, cfg->up_deadline_s, PR_BOOT_UP_DEADLINE_S) : 0;
}

static struct pr_boot_deadlines deadlines(const struct pr_boot_service *s)
{
    unsigned sec[PR_STAGE_COUNT];
    struct pr_boot_deadlines dl;
    pr_boot_stage_deadlines(s->d->cfg, sec);
    for (unsigned i = 0; i < PR_STAGE_COUNT; i++)
        dl.ms[i] = (uint64_t)sec[i] * 1000;
    return dl;
}

static void store_state(struct pr_boot_service *s, unsigned slot, enum pr_boot_state st)
{
    if (pr_store_set_slot_state(s->d->store, slot, pr_boot_state_name(st)) < 0)
        pr_err("slot %u: cannot store state %s: %s", slot, pr_boot_state_name(st),
               pr_store_errmsg(s->d->store));
}

void pr_boot_observe(struct pr_daemon *d, unsigned slot, enum pr_boot_obs obs, const char *detail)
{
    struct pr_boot_service *s = d->boot;
    if (!s)
        return;
    struct slot_run *r = slot_run(s, slot);
    if (!r)
        return;
    uint64_t now = pr_now_ms();
    char esc[256];
    pr_escape(detail ? detail : "", detail ? strlen(detail) : 0, esc, sizeof esc);

    enum pr_boot_state prev = r->run.state;
    uint64_t prev_since = r->run.since_ms;
    struct pr_boot_deadlines dl = deadlines(s);
    switch (pr_boot_run_observe(&r->run, obs, now, &dl)) {
    case PR_BOOT_SAME:
        return;
    case PR_BOOT_IGNORED:
        if (!r->told_unexpected)
            pr_daemon_packet_event(d, slot, "boot.unexpected", "boot", "{s:s, s:s, s:s}", "state",
                                   pr_boot_state_name(prev), "observed", pr_boot_obs_name(obs),
                                   "detail", esc);
        r->told_unexpected = true;
        return;
    case PR_BOOT_MOVED:
        break;
    }
    r->told_unexpected = false;
    time_boot(s, r, now);
    store_state(s, slot, r->run.state);
    char kind[32];
    snprintf(kind, sizeof kind, "boot.%s", pr_boot_state_name(r->run.state));
    pr_daemon_packet_event(d, slot, kind, "boot", "{s:s, s:s, s:s, s:I}", "from",
                           pr_boot_state_name(prev), "observed", pr_boot_obs_name(obs), "detail",
                           esc, "after_ms", (json_int_t)(prev_since ? now - prev_since : 0));
    arm(s);
}

/* A stage did not finish in time: the slot failed, naming that stage
 * (and the step it waited for), with the boot's packets kept. */
static void fail_slot(struct pr_boot_service *s, unsigned slot, struct slot_run *r,
                      enum pr_boot_state was, enum pr_boot_stage stage)
{
    char trace[512] = "";
    unsigned sec[PR_STAGE_COUNT];
    pr_boot_stage_deadlines(s->d->cfg, sec);
    r->told_unexpected = false;
    r->powered_ms = 0;
    s->failed++;
    store_state(s, slot, PR_BOOT_FAILED);
    if (pr_capture_save(s->d, slot, pr_boot_stage_name(stage), trace, sizeof trace) < 0)
        trace[0] = '\0';
    pr_warn("slot %u: boot failed: the %s stage did not finish within %u s (in %s)", slot,
            pr_boot_stage_name(stage), sec[stage], pr_boot_state_name(was));
    pr_daemon_event(s->d, slot, "boot.failed", "boot", "{s:s, s:s, s:s, s:i, s:s}", "stage",
                    pr_boot_stage_name(stage), "step", pr_boot_state_name(pr_boot_awaited(was)),
                    "state", pr_boot_state_name(was), "deadline_s", (int)sec[stage], "trace",
                    trace);
}

static void on_timer(void *ctx)
{
    struct pr_boot_service *s = ctx;
    uint64_t now = pr_now_ms();
    for (unsigned i = 1; i < s->n; i++) {
        struct slot_run *r = &s->slots[i];
        enum pr_boot_state was = r->run.state;
        enum pr_boot_stage stage;
        if (pr_boot_run_expire(&r->run, now, &stage))
            fail_slot(s, i, r, was, stage);
    }
    arm(s);
}

/* After a restart, a slot that was mid-boot gets a fresh deadline. */
static int load_slot(const struct pr_slot_row *row, void *ctx)
{
    struct pr_boot_service *s = ctx;
    struct slot_run *r = slot_run(s, row->slot);
    int st = pr_boot_state_parse(row->state);
    if (!r || st < 0)
        return 0;
    /* re-enter the stored state now, with a fresh deadline */
    struct pr_boot_deadlines dl = deadlines(s);
    uint64_t now = pr_now_ms();
    pr_boot_run_restart(&r->run, (enum pr_boot_state)st, now, &dl);
    /* keep when the state began (the ladder tells an old failure from a
     * new one by it); the deadline stays a fresh one */
    int64_t age = pr_store_now_ms() - row->state_since;
    if (age > 0 && (uint64_t)age < now)
        r->run.since_ms = now - (uint64_t)age;
    return 0;
}

/* ---- /metrics ---- */

static int collect_boot_secs(struct pr_metrics_out *out, void *ctx)
{
    const struct pr_boot_service *s = ctx;
    return pr_metrics_sample_histogram(out, NULL, &s->boot_secs);
}

static int collect_failed(struct pr_metrics_out *out, void *ctx)
{
    const struct pr_boot_service *s = ctx;
    return pr_metrics_sample(out, NULL, (double)s->failed);
}

static int metrics_start(struct pr_boot_service *s)
{
    static const struct pr_metric_desc secs = {
        "pirack_boot_seconds",
        "Seconds from a slot's power-on to booted, from the boot timeline.",
        PR_METRIC_HISTOGRAM,
        NULL,
    };
    static const struct pr_metric_desc failed = {
        "pirack_boot_failed_total",
        "Boots that missed a step's deadline (boot.failed events).",
        PR_METRIC_COUNTER,
        NULL,
    };
    struct pr_metrics *m = pr_api_metrics(s->d->api);
    int rc =
        pr_histogram_init(&s->boot_secs, boot_bounds, sizeof boot_bounds / sizeof boot_bounds[0]);
    if (rc == 0 && m)
        rc = pr_metrics_register(m, &secs, collect_boot_secs, s);
    if (rc == 0 && m)
        rc = pr_metrics_register(m, &failed, collect_failed, s);
    return rc;
}

/* The capture saw the Pi's first packet to an NFS server: its root. */
static void on_root(struct pr_daemon *d, unsigned slot)
{
    pr_boot_observe(d, slot, PR_OBS_ROOT, "nfs");
}

int pr_boot_service_start(struct pr_daemon *d)
{
    struct pr_boot_service *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->d = d;
    s->timer = pr_timer_new(d->loop, on_timer, s);
    if (!s->timer) {
        free(s);
        return -ENOMEM;
    }
    int r = pr_store_each_slot(d->store, load_slot, s);
    if (r == 0)
        r = metrics_start(s);
    if (r < 0) {
        pr_metrics_unregister_ctx(pr_api_metrics(d->api), s);
        pr_timer_free(s->timer);
        free(s->slots);
        free(s);
        return r;
    }
    d->boot = s;
    pr_capture_set_root_hook(d, on_root);
    arm(s);
    return 0;
}

void pr_boot_service_stop(struct pr_daemon *d)
{
    struct pr_boot_service *s = d->boot;
    if (!s)
        return;
    pr_metrics_unregister_ctx(pr_api_metrics(d->api), s);
    pr_capture_set_root_hook(d, NULL);
    pr_timer_free(s->timer);
    free(s->slots);
    free(s);
    d->boot = NULL;
}

enum pr_boot_state pr_boot_slot_state(const struct pr_daemon *d, unsigned slot)
{
    const struct pr_boot_service *s = d->boot;
    if (!s || slot == 0 || slot >= s->n)
        return PR_BOOT_OFF;
    return s->slots[slot].run.state;
}

int pr_boot_slot_info(const struct pr_daemon *d, unsigned slot, struct pr_boot_run *out)
{
    const struct pr_boot_service *s = d->boot;
    if (!s || slot == 0 || slot >= s->n)
        return -ENOENT;
    *out = s->slots[slot].run;
    return 0;
}
