/* bringup: the planner of `pirack bringup` (daemon/health/bringup.c):
 * every slot off before any on, one slot at a time in flat mode and all at
 * once in isolated mode, boards learned as new, same, moved, replaced or
 * swapped, empty ports after the deadline, and a run resumed after a
 * restart without redoing finished slots.  Also the power service's
 * admission of power-ons (daemon/power/admit.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "daemon/health/bringup_internal.h"
#include "daemon/power/state.h"

#define N 4
#define MAC(i) (i == 1 ? "b8:27:eb:00:00:01" : i == 2 ? "b8:27:eb:00:00:02" : "b8:27:eb:00:00:03")

static struct bu_slot slots[N];

static struct bu_run run_of(bool flat)
{
    memset(slots, 0, sizeof(slots));
    for (unsigned i = 0; i < N; i++)
        slots[i].slot = i + 1;
    return (struct bu_run){ .one_at_a_time = flat,
                            .dhcp_deadline_ms = 30000,
                            .serial_deadline_ms = 10000,
                            .empty_after_ms = 5000,
                            .n = N,
                            .slots = slots };
}

/* Sends every action the planner asks for and answers it ok at once;
 * returns how many ons went out. */
static unsigned step(struct bu_run *r, uint64_t now)
{
    struct bu_action a[2 * N];
    size_t n = pr_bu_next(r, now, a, 2 * N);
    unsigned ons = 0;

    for (size_t i = 0; i < n; i++) {
        pr_bu_sent(r, a[i].slot, a[i].kind, now);
        pr_bu_power_done(r, a[i].slot, a[i].kind, true, NULL, now);
        ons += a[i].kind == BU_ACT_ON;
    }
    return ons;
}

/* No on goes out while any slot of the run is not yet off. */
static void all_off_before_any_on(void **state)
{
    struct bu_run r = run_of(false);
    struct bu_action a[2 * N];
    size_t n;
    (void)state;

    n = pr_bu_next(&r, 0, a, 2 * N);
    assert_int_equal(n, N);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(a[i].kind, BU_ACT_OFF);
    for (size_t i = 0; i < n; i++)
        pr_bu_sent(&r, a[i].slot, BU_ACT_OFF, 0);
    /* three offs answered, one still at the switch: nothing more */
    for (unsigned s = 1; s < N; s++)
        pr_bu_power_done(&r, s, BU_ACT_OFF, true, NULL, 10);
    assert_int_equal(pr_bu_next(&r, 20, a, 2 * N), 0);
    pr_bu_power_done(&r, N, BU_ACT_OFF, true, NULL, 30);
    /* isolated: every slot may listen at once */
    assert_int_equal(step(&r, 40), N);
    for (unsigned s = 1; s <= N; s++)
        assert_true(pr_bu_wants_board(&r, s));
    assert_int_equal(pr_bu_listening(&r), 0); /* the interface names the slot */
}

/* Flat mode: one slot listens; the next powers on once a board answered. */
static void flat_one_at_a_time(void **state)
{
    struct bu_run r = run_of(true);
    (void)state;

    step(&r, 0); /* offs */
    assert_int_equal(step(&r, 10), 1);
    assert_int_equal(pr_bu_listening(&r), 1);
    assert_int_equal(step(&r, 20), 0);
    assert_int_equal(pr_bu_learn(&r, 1, MAC(1), "pi3b", "", 0, 30), BU_OUT_NEW);
    assert_int_equal(slots[0].phase, BU_WAIT_SERIAL);
    assert_int_equal(step(&r, 40), 1);
    assert_int_equal(pr_bu_listening(&r), 2);
    /* a serial closes slot 1 */
    pr_bu_serial(&r, 1, "5ca1ab01", 50);
    assert_int_equal(slots[0].phase, BU_DONE);
    assert_string_equal(slots[0].serial, "5ca1ab01");
}

/* Flat mode: which boot ROM's DHCP belongs to the slot listening. */
static void flat_claims(void **state)
{
    struct bu_run r = run_of(true);
    (void)state;

    assert_int_equal(pr_bu_claim(&r, MAC(1), 0), 0); /* nobody listens yet */
    step(&r, 0);
    step(&r, 10);                                     /* slot 1 listens */
    assert_int_equal(pr_bu_claim(&r, MAC(1), 0), 1);  /* unknown board */
    assert_int_equal(pr_bu_claim(&r, MAC(1), 1), 1);  /* the slot's own */
    assert_int_equal(pr_bu_claim(&r, MAC(2), 3), 1);  /* stored in slot 3, which is off */
    assert_int_equal(pr_bu_claim(&r, MAC(2), 40), 0); /* a slot outside the run */
    pr_bu_learn(&r, 1, MAC(1), "pi3b", "", 0, 20);
    step(&r, 30); /* slot 2 listens; slot 1's board boots on */
    assert_int_equal(pr_bu_claim(&r, MAC(1), 1), 0);
    assert_int_equal(pr_bu_claim(&r, MAC(3), 1), 2); /* slot 1 holds another board now */
}

/* Outcomes: the same board, one from another slot, a new one where
 * another was; two boards that changed places are a swapped pair. */
static void outcomes_and_swaps(void **state)
{
    struct bu_run r = run_of(false);
    struct bu_counts c;
    (void)state;

    strcpy(slots[0].was_mac, MAC(1));
    strcpy(slots[1].was_mac, MAC(2));
    strcpy(slots[2].was_mac, "b8:27:eb:00:00:09");
    step(&r, 0);
    step(&r, 10);
    /* slot 1 now holds slot 2's board and slot 2 slot 1's: the store has
     * already moved board 2 out of slot 2 by the time slot 2 answers */
    assert_int_equal(pr_bu_learn(&r, 1, MAC(2), "pi3b", "aa", 2, 20), BU_OUT_MOVED);
    assert_int_equal(slots[0].from_slot, 2);
    assert_int_equal(pr_bu_learn(&r, 2, MAC(1), "pi3b", "bb", 0, 20), BU_OUT_MOVED);
    assert_int_equal(slots[1].from_slot, 1);
    assert_int_equal(pr_bu_swapped_with(&r, 1), 2);
    assert_int_equal(pr_bu_swapped_with(&r, 2), 1);
    assert_int_equal(pr_bu_learn(&r, 3, MAC(3), "pi3b", "cc", 0, 20), BU_OUT_REPLACED);
    /* a board known in a slot outside the run moved in */
    assert_int_equal(pr_bu_learn(&r, 4, "b8:27:eb:00:00:44", "pi4", "dd", 17, 20), BU_OUT_MOVED);
    assert_int_equal(slots[3].from_slot, 17);
    assert_int_equal(pr_bu_swapped_with(&r, 4), 0);
    /* a second DHCP of a finished slot teaches nothing */
    assert_int_equal(pr_bu_learn(&r, 1, MAC(3), "pi3b", "", 0, 30), BU_OUT_NONE);
    assert_string_equal(slots[0].mac, MAC(2));
    assert_true(pr_bu_finished(&r));
    pr_bu_count(&r, &c);
    assert_int_equal(c.moved, 3);
    assert_int_equal(c.replaced, 1);
    assert_int_equal(c.swapped_pairs, 1);

    r = run_of(false);
    strcpy(slots[0].was_mac, MAC(1));
    step(&r, 0);
    step(&r, 10);
    assert_int_equal(pr_bu_learn(&r, 1, MAC(1), "pi3b", "", 1, 20), BU_OUT_SAME);
}

/* A port with no DHCP by the deadline is empty (and turned off again); a
 * port the switch sees nothing on is empty sooner. */
static void empty_ports(void **state)
{
    struct bu_run r = run_of(false);
    struct bu_action a[2 * N];
    size_t n;
    (void)state;

    step(&r, 0);
    step(&r, 1000);
    pr_bu_detect(&r, 1, BU_DETECT_NONE);
    pr_bu_detect(&r, 2, BU_DETECT_POWERING);
    pr_bu_learn(&r, 3, MAC(3), "pi3b", "cc", 0, 2000);
    pr_bu_learn(&r, 4, "b8:27:eb:00:00:04", "pi3b", "dd", 0, 2000);
    n = pr_bu_next(&r, 5999, a, 2 * N);
    assert_int_equal(n, 0);
    n = pr_bu_next(&r, 6000, a, 2 * N);
    assert_int_equal(slots[0].phase, BU_DONE);
    assert_int_equal(slots[0].outcome, BU_OUT_EMPTY);
    assert_non_null(strstr(slots[0].detail, "no powered device"));
    assert_int_equal(n, 1);
    assert_int_equal(a[0].kind, BU_ACT_OFF);
    assert_int_equal(a[0].slot, 1);
    pr_bu_sent(&r, 1, BU_ACT_OFF, 6000);
    assert_int_equal(slots[1].phase, BU_WAIT_DHCP); /* it draws power: wait on */
    assert_false(pr_bu_finished(&r));
    n = pr_bu_next(&r, 31000, a, 2 * N);
    assert_int_equal(slots[1].outcome, BU_OUT_EMPTY);
    assert_non_null(strstr(slots[1].detail, "no DHCP within 30 s"));
    assert_non_null(strstr(slots[1].detail, "delivers power"));
    pr_bu_sent(&r, 2, BU_ACT_OFF, 31000);
    assert_true(pr_bu_finished(&r));
}

/* A failed power action finishes the slot as failed, with the reason. */
static void power_failure(void **state)
{
    struct bu_run r = run_of(false);
    (void)state;

    pr_bu_sent(&r, 2, BU_ACT_OFF, 0);
    pr_bu_power_done(&r, 2, BU_ACT_OFF, false, "switch a: timeout", 10);
    assert_int_equal(slots[1].outcome, BU_OUT_FAILED);
    assert_non_null(strstr(slots[1].detail, "switch a: timeout"));
}

/* A power-on the switch could not deliver, nothing being on the port
 * (it searches): the slot is empty, not failed, and its port goes off. */
static void power_on_nothing_detected(void **state)
{
    struct bu_run r = run_of(false);
    struct bu_action a[2 * N];
    (void)state;

    step(&r, 0);                  /* every off */
    pr_bu_next(&r, 10, a, 2 * N); /* the ons */
    pr_bu_sent(&r, 3, BU_ACT_ON, 10);
    pr_bu_power_nothing(&r, 3, "port 3: never delivered power (searching)", 20);
    assert_int_equal(slots[2].outcome, BU_OUT_EMPTY);
    assert_non_null(strstr(slots[2].detail, "no powered device"));
    assert_true(slots[2].off_wanted);
    /* late, or for a slot not waiting for its on: ignored */
    pr_bu_power_nothing(&r, 3, "again", 30);
    assert_null(strstr(slots[2].detail, "again"));
}

/* After a restart, finished slots stay finished; one caught mid-way
 * starts again from its off; one waiting for its serial waits anew. */
static void resume_keeps_done_slots(void **state)
{
    struct bu_run r = run_of(true);
    struct bu_action a[2 * N];
    size_t n;
    (void)state;

    step(&r, 0);
    step(&r, 10);
    pr_bu_learn(&r, 1, MAC(1), "pi3b", "aa", 0, 20); /* done */
    step(&r, 30);
    pr_bu_learn(&r, 2, MAC(2), "pi3b", "", 0, 40); /* waits for a serial */
    step(&r, 50);                                  /* slot 3 listens */
    assert_int_equal(slots[2].phase, BU_WAIT_DHCP);
    pr_bu_resume(&r, 100000);
    assert_int_equal(slots[0].phase, BU_DONE);
    assert_int_equal(slots[1].phase, BU_WAIT_SERIAL);
    assert_int_equal(slots[1].since_ms, 100000);
    assert_int_equal(slots[2].phase, BU_PENDING);
    n = pr_bu_next(&r, 100001, a, 2 * N);
    assert_int_equal(n, 1);
    assert_int_equal(a[0].kind, BU_ACT_OFF);
    assert_int_equal(a[0].slot, 3);
}

static void names_round_trip(void **state)
{
    (void)state;
    for (int p = BU_PENDING; p <= BU_DONE; p++)
        assert_int_equal(pr_bu_phase_parse(pr_bu_phase_name(p)), p);
    for (int o = BU_OUT_NONE; o <= BU_OUT_FAILED; o++)
        assert_int_equal(pr_bu_outcome_parse(pr_bu_outcome_name(o)), o);
    assert_int_equal(pr_bu_phase_parse("bogus"), -1);
}

/* Admission: the rack's limit, each model's, and the gap between ons. */
static void admission(void **state)
{
    struct power_admit a = { .max_booting = 10, .stagger_ms = 500, .last_on_ms = 1000 };
    uint64_t until = 0;
    (void)state;

    a.max_class[POWER_CLASS_PI3] = 2;
    assert_int_equal(pr_power_model_class("pi3b"), POWER_CLASS_PI3);
    assert_int_equal(pr_power_model_class("pi3b+"), POWER_CLASS_PI3);
    assert_int_equal(pr_power_model_class(""), POWER_CLASS_PI3);
    assert_int_equal(pr_power_model_class("pi4"), POWER_CLASS_PI4);
    assert_int_equal(pr_power_model_class("pi5"), POWER_CLASS_PI5);
    assert_int_equal(pr_power_admit(&a, POWER_CLASS_PI3, 1200, &until), ADMIT_WAIT_GAP);
    assert_int_equal(until, 1500);
    assert_int_equal(pr_power_admit(&a, POWER_CLASS_PI3, 1500, &until), ADMIT_GO);
    a.booting = a.booting_class[POWER_CLASS_PI3] = 2;
    assert_int_equal(pr_power_admit(&a, POWER_CLASS_PI3, 2000, &until), ADMIT_WAIT_CLASS);
    assert_int_equal(pr_power_admit(&a, POWER_CLASS_PI4, 2000, &until), ADMIT_GO);
    a.booting = 10;
    assert_int_equal(pr_power_admit(&a, POWER_CLASS_PI4, 2000, &until), ADMIT_WAIT_BOOTING);
    a.max_booting = 0; /* no rack limit, no per-model limit for Pi 4s */
    assert_int_equal(pr_power_admit(&a, POWER_CLASS_PI4, 2000, &until), ADMIT_GO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(all_off_before_any_on),
        cmocka_unit_test(flat_one_at_a_time),
        cmocka_unit_test(flat_claims),
        cmocka_unit_test(outcomes_and_swaps),
        cmocka_unit_test(empty_ports),
        cmocka_unit_test(power_failure),
        cmocka_unit_test(power_on_nothing_detected),
        cmocka_unit_test(resume_keeps_done_slots),
        cmocka_unit_test(names_round_trip),
        cmocka_unit_test(admission),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
