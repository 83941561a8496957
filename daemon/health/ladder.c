/* The remediation ladder's pure decision: power-cycle, then reimage (only
 * after the root was mounted), then quarantine; with the guards that keep
 * a sick host from wrecking a healthy rack.  See health_internal.h. */
#include <string.h>

#include "health_internal.h"

static const char *const step_names[] = {
    [PR_STEP_NONE] = "none",
    [PR_STEP_CYCLE] = "cycle",
    [PR_STEP_REIMAGE] = "reimage",
    [PR_STEP_QUARANTINE] = "quarantine",
};
static const char *const phase_names[] = {
    [PR_PHASE_IDLE] = "idle",
    [PR_PHASE_PENDING] = "pending",
    [PR_PHASE_RUNNING] = "running",
};

const char *pr_ladder_step_name(enum pr_ladder_step st)
{
    return (unsigned)st < 4 ? step_names[st] : "unknown";
}

const char *pr_ladder_phase_name(enum pr_ladder_phase ph)
{
    return (unsigned)ph < 3 ? phase_names[ph] : "unknown";
}

int pr_ladder_step_parse(const char *name)
{
    for (int i = 0; name && i < 4; i++)
        if (!strcmp(name, step_names[i]))
            return i;
    return -1;
}

int pr_ladder_phase_parse(const char *name)
{
    for (int i = 0; name && i < 3; i++)
        if (!strcmp(name, phase_names[i]))
            return i;
    return -1;
}

bool pr_ladder_policy_allows(const char *policy, bool dflt)
{
    if (policy && !strcmp(policy, "remediate"))
        return true;
    if (policy && !strcmp(policy, "manual"))
        return false;
    return dflt;
}

const char *pr_ladder_pause_reason(const struct pr_ladder_rack *rack)
{
    if (!rack->self_ok)
        return "self-check";
    /* more than max(2, 20% of the rack): the fault is likelier the host's */
    if (rack->unhealthy > 2 && (uint64_t)rack->unhealthy * 5 > rack->slots)
        return "too-many-unhealthy";
    return NULL;
}

static struct pr_ladder_decision decision(enum pr_ladder_action a, bool changed, const char *why)
{
    return (struct pr_ladder_decision){ a, changed, why };
}

static void clear_step(struct pr_ladder_slot *s)
{
    s->step = PR_STEP_NONE;
    s->phase = PR_PHASE_IDLE;
    s->step_ms = 0;
}

/* Healthy: a step in flight worked; a long enough healthy spell resets
 * the counters, so a Pi that fails once a week starts at the bottom. */
static struct pr_ladder_decision healthy(struct pr_ladder_slot *s, const struct pr_ladder_cfg *cfg,
                                         int64_t now)
{
    if (s->step != PR_STEP_NONE && s->step != PR_STEP_QUARANTINE) {
        clear_step(s);
        s->healthy_ms = now;
        return decision(PR_LADDER_RECOVERED, true, "healthy");
    }
    if (!s->healthy_ms) {
        s->healthy_ms = now;
        return decision(PR_LADDER_NONE, true, "healthy");
    }
    if ((s->cycles || s->reimages) && now - s->healthy_ms >= cfg->healthy_reset_ms) {
        s->cycles = s->reimages = 0;
        return decision(PR_LADDER_RESET, true, "healthy-long-enough");
    }
    return decision(PR_LADDER_NONE, false, "healthy");
}

/* A step in flight: its outcome is a new boot after the step began (a
 * failure that began after the step), or nothing within step_timeout. */
static bool step_over(const struct pr_ladder_slot *s, const struct pr_ladder_cfg *cfg, int64_t now)
{
    if (s->step == PR_STEP_QUARANTINE)
        return s->health == PR_LH_QUARANTINED;
    if (now - s->step_ms >= cfg->step_timeout_ms)
        return true;
    bool failed = s->health == PR_LH_FAILED || s->health == PR_LH_FAILED_ROOT;
    return failed && s->state_ms > s->step_ms; /* failed again since */
}

static struct pr_ladder_decision take(struct pr_ladder_slot *s, enum pr_ladder_step step,
                                      int64_t now)
{
    s->step = step;
    s->phase = PR_PHASE_PENDING;
    s->step_ms = now;
    s->last_power_ms = now;
    switch (step) {
    case PR_STEP_CYCLE:
        s->cycles++;
        return decision(PR_LADDER_CYCLE, true, "cycle");
    case PR_STEP_REIMAGE:
        s->reimages++;
        return decision(PR_LADDER_REIMAGE, true, "reimage");
    default:
        return decision(PR_LADDER_QUARANTINE, true, "quarantine");
    }
}

static enum pr_ladder_action pending_action(enum pr_ladder_step st)
{
    return st == PR_STEP_CYCLE     ? PR_LADDER_CYCLE
           : st == PR_STEP_REIMAGE ? PR_LADDER_REIMAGE
                                   : PR_LADDER_QUARANTINE;
}

struct pr_ladder_decision pr_ladder_decide(struct pr_ladder_slot *s,
                                           const struct pr_ladder_rack *rack,
                                           const struct pr_ladder_cfg *cfg, int64_t now)
{
    if (s->health == PR_LH_HEALTHY)
        return healthy(s, cfg, now);
    bool changed = s->healthy_ms != 0;
    s->healthy_ms = 0;

    if (s->phase == PR_PHASE_PENDING) /* decided before a restart: hand it over now */
        return decision(pending_action(s->step), true, "resumed");
    if (s->phase == PR_PHASE_RUNNING) {
        if (!step_over(s, cfg, now))
            return decision(PR_LADDER_NONE, changed, "step-in-flight");
        bool quarantined = s->step == PR_STEP_QUARANTINE;
        clear_step(s);
        return decision(quarantined ? PR_LADDER_NONE : PR_LADDER_STEP_FAILED, true,
                        quarantined ? "quarantined" : "step-did-not-help");
    }

    switch (s->health) {
    case PR_LH_OFF: /* a customer's (or anyone's) power-off is not a fault */
        return decision(PR_LADDER_NONE, changed, "off");
    case PR_LH_BOOTING:
        return decision(PR_LADDER_NONE, changed, "booting");
    case PR_LH_QUARANTINED:
        return decision(PR_LADDER_NONE, changed, "quarantined");
    default:
        break;
    }
    if (!s->enabled)
        return decision(PR_LADDER_NONE, changed, "policy");
    const char *pause = pr_ladder_pause_reason(rack);
    if (pause)
        return decision(PR_LADDER_PAUSED, changed, pause);
    if (rack->remediating >= cfg->max_remediating)
        return decision(PR_LADDER_NONE, changed, "rack-busy");
    if (s->last_power_ms && now - s->last_power_ms < cfg->power_gap_ms)
        return decision(PR_LADDER_NONE, changed, "power-gap");

    if (s->cycles < cfg->max_cycles)
        return take(s, PR_STEP_CYCLE, now);
    /* a reimage only where the root was mounted: a Pi that cannot reach
     * its root points at the network or the switch, not at its root */
    if (s->health == PR_LH_FAILED_ROOT && s->reimages == 0)
        return take(s, PR_STEP_REIMAGE, now);
    return take(s, PR_STEP_QUARANTINE, now);
}
