/* The remediation ladder's decisions: each rung and each guard, with
 * minutes and hours passed in as "now". */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "daemon/health/health_internal.h"

#define MIN (60 * 1000LL)
#define HOUR (60 * MIN)
#define T0 (1700000000000LL)

static const struct pr_ladder_cfg cfg = {
    .max_cycles = 2,
    .max_remediating = 2,
    .power_gap_ms = 10 * MIN,
    .healthy_reset_ms = HOUR,
    .step_timeout_ms = 20 * MIN,
};

static const struct pr_ladder_rack calm = { .slots = 20, .unhealthy = 1, .self_ok = true };

static struct pr_ladder_slot failing(enum pr_ladder_health h)
{
    return (struct pr_ladder_slot){ .enabled = true, .health = h };
}

/* The step was handed over; the Pi went through a power-on and failed
 * again at `at`. */
static void handed_over_and_failed_again(struct pr_ladder_slot *s, int64_t at)
{
    s->phase = PR_PHASE_RUNNING;
    s->state_ms = at;
}

/* cycle, cycle, reimage, quarantine: the whole ladder for a Pi whose
 * failures come after its root was mounted */
static void rungs_in_order_after_root(void **state)
{
    (void)state;
    struct pr_ladder_slot s = failing(PR_LH_FAILED_ROOT);
    int64_t now = T0;
    static const enum pr_ladder_action want[] = { PR_LADDER_CYCLE, PR_LADDER_CYCLE,
                                                  PR_LADDER_REIMAGE, PR_LADDER_QUARANTINE };
    for (unsigned i = 0; i < 4; i++) {
        struct pr_ladder_decision d = pr_ladder_decide(&s, &calm, &cfg, now);
        assert_int_equal(d.action, want[i]);
        assert_true(d.changed);
        assert_int_equal(s.phase, PR_PHASE_PENDING);
        assert_int_equal(s.step_ms, now);
        if (i == 3)
            break;
        handed_over_and_failed_again(&s, now + MIN);
        now += 11 * MIN; /* past the power gap */
        d = pr_ladder_decide(&s, &calm, &cfg, now);
        assert_int_equal(d.action, PR_LADDER_STEP_FAILED);
        assert_int_equal(s.step, PR_STEP_NONE);
    }
    assert_int_equal(s.cycles, 2);
    assert_int_equal(s.reimages, 1);
    /* quarantine is the end: once the slot is quarantined nothing more */
    s.phase = PR_PHASE_RUNNING;
    s.health = PR_LH_QUARANTINED;
    assert_int_equal(pr_ladder_decide(&s, &calm, &cfg, now + HOUR).action, PR_LADDER_NONE);
    assert_int_equal(s.step, PR_STEP_NONE);
    assert_int_equal(pr_ladder_decide(&s, &calm, &cfg, now + 2 * HOUR).action, PR_LADDER_NONE);
}

/* A Pi that never mounted its root is not reimaged: its root is not
 * what is wrong, so after the cycles it is quarantined. */
static void no_reimage_before_root(void **state)
{
    (void)state;
    struct pr_ladder_slot s = failing(PR_LH_FAILED);
    s.cycles = 2;
    assert_int_equal(pr_ladder_decide(&s, &calm, &cfg, T0).action, PR_LADDER_QUARANTINE);
    assert_int_equal(s.reimages, 0);
}

static void max_cycles_zero_goes_straight_on(void **state)
{
    (void)state;
    struct pr_ladder_cfg c = cfg;
    c.max_cycles = 0;
    struct pr_ladder_slot s = failing(PR_LH_FAILED_ROOT);
    assert_int_equal(pr_ladder_decide(&s, &calm, &c, T0).action, PR_LADDER_REIMAGE);
}

/* The step worked: the Pi is healthy again, no further rung. */
static void recovery_ends_the_step(void **state)
{
    (void)state;
    struct pr_ladder_slot s = failing(PR_LH_FAILED_ROOT);
    assert_int_equal(pr_ladder_decide(&s, &calm, &cfg, T0).action, PR_LADDER_CYCLE);
    s.phase = PR_PHASE_RUNNING;
    s.health = PR_LH_BOOTING;
    s.state_ms = T0 + 2000;
    assert_int_equal(pr_ladder_decide(&s, &calm, &cfg, T0 + 3000).action, PR_LADDER_NONE);
    s.health = PR_LH_HEALTHY;
    assert_int_equal(pr_ladder_decide(&s, &calm, &cfg, T0 + MIN).action, PR_LADDER_RECOVERED);
    assert_int_equal(s.step, PR_STEP_NONE);
    assert_int_equal(s.cycles, 1); /* kept until a healthy hour */
}

/* Guard: counters reset after a healthy hour, not before. */
static void counters_reset_after_a_healthy_hour(void **state)
{
    (void)state;
    struct pr_ladder_slot s = {
        .enabled = true, .health = PR_LH_HEALTHY, .cycles = 2, .reimages = 1
    };
    assert_int_equal(pr_ladder_decide(&s, &calm, &cfg, T0).action, PR_LADDER_NONE);
    assert_int_equal(s.healthy_ms, T0);
    assert_int_equal(pr_ladder_decide(&s, &calm, &cfg, T0 + 59 * MIN).action, PR_LADDER_NONE);
    assert_int_equal(s.cycles, 2);
    /* a failure in between starts the hour over */
    s.health = PR_LH_BOOTING;
    pr_ladder_decide(&s, &calm, &cfg, T0 + 59 * MIN);
    assert_int_equal(s.healthy_ms, 0);
    s.health = PR_LH_HEALTHY;
    pr_ladder_decide(&s, &calm, &cfg, T0 + 60 * MIN);
    assert_int_equal(pr_ladder_decide(&s, &calm, &cfg, T0 + 119 * MIN).action, PR_LADDER_NONE);
    assert_int_equal(s.cycles, 2);
    assert_int_equal(pr_ladder_decide(&s, &calm, &cfg, T0 + 120 * MIN).action, PR_LADDER_RESET);
    assert_int_equal(s.cycles, 0);
    assert_int_equal(s.reimages, 0);
}

/* Guard: at most one automatic power action per Pi per 10 minutes. */
static void one_power_action_per_ten_minutes(void **state)
{
    (void)state;
    struct pr_ladder_slot s = failing(PR_LH_FAILED_ROOT);
    assert_int_equal(pr_ladder_decide(&s, &calm, &cfg, T0).action, PR_LADDER_CYCLE);
    handed_over_and_failed_again(&s, T0 + MIN);
    assert_int_equal(pr_ladder_decide(&s, &calm, &cfg, T0 + 2 * MIN).action, PR_LADDER_STEP_FAILED);
    struct pr_ladder_decision d = pr_ladder_decide(&s, &calm, &cfg, T0 + 2 * MIN);
    assert_int_equal(d.action, PR_LADDER_NONE);
    assert_string_equal(d.why, "power-gap");
    assert_int_equal(pr_ladder_decide(&s, &calm, &cfg, T0 + 10 * MIN - 1).action, PR_LADDER_NONE);
    assert_int_equal(pr_ladder_decide(&s, &calm, &cfg, T0 + 10 * MIN).action, PR_LADDER_CYCLE);
}

/* Guard: at most max_remediating (2) at once in the rack. */
static void two_remediations_at_once(void **state)
{
    (void)state;
    struct pr_ladder_rack busy = calm;
    busy.remediating = 2;
    struct pr_ladder_slot s = failing(PR_LH_FAILED_ROOT);
    struct pr_ladder_decision d = pr_ladder_decide(&s, &busy, &cfg, T0);
    assert_int_equal(d.action, PR_LADDER_NONE);
    assert_string_equal(d.why, "rack-busy");
    busy.remediating = 1;
    assert_int_equal(pr_ladder_decide(&s, &busy, &cfg, T0).action, PR_LADDER_CYCLE);
}

/* Guard: more than max(2, 20%) unhealthy pauses everything. */
static void pause_when_too_many_unhealthy(void **state)
{
    (void)state;
    struct pr_ladder_rack r = { .slots = 5, .unhealthy = 2, .self_ok = true };
    assert_null(pr_ladder_pause_reason(&r)); /* 2 of 5: max(2, 1) not exceeded */
    r.unhealthy = 3;
    assert_string_equal(pr_ladder_pause_reason(&r), "too-many-unhealthy");
    r.slots = 108;
    r.unhealthy = 21;
    assert_null(pr_ladder_pause_reason(&r)); /* 21 <= 21.6 */
    r.unhealthy = 22;
    assert_string_equal(pr_ladder_pause_reason(&r), "too-many-unhealthy");
    struct pr_ladder_slot s = failing(PR_LH_FAILED_ROOT);
    struct pr_ladder_decision d = pr_ladder_decide(&s, &r, &cfg, T0);
    assert_int_equal(d.action, PR_LADDER_PAUSED);
    assert_int_equal(s.cycles, 0);
}

/* Guard: a failed self-check of pirackd's own services pauses everything. */
static void pause_when_self_check_fails(void **state)
{
    (void)state;
    struct pr_ladder_rack r = calm;
    r.self_ok = false;
    struct pr_ladder_slot s = failing(PR_LH_FAILED);
    struct pr_ladder_decision d = pr_ladder_decide(&s, &r, &cfg, T0);
    assert_int_equal(d.action, PR_LADDER_PAUSED);
    assert_string_equal(d.why, "self-check");
}

/* Guard: a Pi that is off (a customer's power-off) is never repaired,
 * and a pi whose policy says manual is left to ops. */
static void off_and_manual_are_left_alone(void **state)
{
    (void)state;
    struct pr_ladder_slot s = failing(PR_LH_OFF);
    assert_int_equal(pr_ladder_decide(&s, &calm, &cfg, T0).action, PR_LADDER_NONE);
    s = failing(PR_LH_FAILED_ROOT);
    s.enabled = false;
    assert_string_equal(pr_ladder_decide(&s, &calm, &cfg, T0).why, "policy");
    assert_true(pr_ladder_policy_allows("remediate", false));
    assert_false(pr_ladder_policy_allows("manual", true));
    assert_true(pr_ladder_policy_allows("", true));
    assert_false(pr_ladder_policy_allows("", false));
}

/* After a restart: a pending step is handed over again without being
 * counted twice; a running one is awaited, not repeated. */
static void restart_neither_repeats_nor_forgets(void **state)
{
    (void)state;
    struct pr_ladder_slot s = failing(PR_LH_FAILED_ROOT);
    assert_int_equal(pr_ladder_decide(&s, &calm, &cfg, T0).action, PR_LADDER_CYCLE);
    /* killed before the power service had it */
    struct pr_ladder_decision d = pr_ladder_decide(&s, &calm, &cfg, T0 + 5000);
    assert_int_equal(d.action, PR_LADDER_CYCLE);
    assert_string_equal(d.why, "resumed");
    assert_int_equal(s.cycles, 1);
    assert_int_equal(s.step_ms, T0);
    /* killed after: the slot is still failed from before the cycle */
    s.phase = PR_PHASE_RUNNING;
    s.state_ms = 0;
    d = pr_ladder_decide(&s, &calm, &cfg, T0 + 6000);
    assert_int_equal(d.action, PR_LADDER_NONE);
    assert_string_equal(d.why, "step-in-flight");
    /* with no outcome at all, the step counts as failed after step_timeout */
    assert_int_equal(pr_ladder_decide(&s, &calm, &cfg, T0 + 20 * MIN).action,
                     PR_LADDER_STEP_FAILED);
}

static void names_round_trip(void **state)
{
    (void)state;
    for (int i = PR_STEP_NONE; i <= PR_STEP_QUARANTINE; i++)
        assert_int_equal(pr_ladder_step_parse(pr_ladder_step_name(i)), i);
    for (int i = PR_PHASE_IDLE; i <= PR_PHASE_RUNNING; i++)
        assert_int_equal(pr_ladder_phase_parse(pr_ladder_phase_name(i)), i);
    assert_int_equal(pr_ladder_step_parse("reboot"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rungs_in_order_after_root),
        cmocka_unit_test(no_reimage_before_root),
        cmocka_unit_test(max_cycles_zero_goes_straight_on),
        cmocka_unit_test(recovery_ends_the_step),
        cmocka_unit_test(counters_reset_after_a_healthy_hour),
        cmocka_unit_test(one_power_action_per_ten_minutes),
        cmocka_unit_test(two_remediations_at_once),
        cmocka_unit_test(pause_when_too_many_unhealthy),
        cmocka_unit_test(pause_when_self_check_fails),
        cmocka_unit_test(off_and_manual_are_left_alone),
        cmocka_unit_test(restart_neither_repeats_nor_forgets),
        cmocka_unit_test(names_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
