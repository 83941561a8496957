/* The store's remediation rows: what the ladder writes before each step
 * survives a reopen (a restart), the constraints refuse a step without a
 * phase, and the new slot states exist. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "store_fixture.h"
#include "daemon/store/store_internal.h"

static int count_rows(const struct pr_remedy_row *row, void *ctx)
{
    (void)row;
    (*(int *)ctx)++;
    return 0;
}

static void a_step_in_flight_survives_a_restart(void **state)
{
    struct store_fixture *fx = *state;
    struct pr_remedy_row row = { .slot = 2, .cycles = 1, .step_ms = 1000, .last_power_ms = 1000 };
    struct pr_remedy_row got;
    snprintf(row.step, sizeof row.step, "cycle");
    snprintf(row.phase, sizeof row.phase, "running");
    assert_int_equal(pr_store_remedy_put(fx->st, &row), 0);
    pr_store_close(fx->st);
    fx->st = NULL;
    store_fixture_reopen(fx);
    assert_int_equal(pr_store_remedy_get(fx->st, 2, &got), 0);
    assert_int_equal(got.cycles, 1);
    assert_string_equal(got.step, "cycle");
    assert_string_equal(got.phase, "running");
    assert_int_equal(got.step_ms, 1000);
    /* a slot never remediated reads as idle */
    assert_int_equal(pr_store_remedy_get(fx->st, 3, &got), 0);
    assert_string_equal(got.step, "none");
    assert_string_equal(got.phase, "idle");
    assert_int_equal(got.cycles, 0);
    int n = 0;
    assert_int_equal(pr_store_each_remedy(fx->st, count_rows, &n), 0);
    assert_int_equal(n, 1);
}

static void nonsense_is_refused(void **state)
{
    struct store_fixture *fx = *state;
    struct pr_remedy_row row = { .slot = 1 };
    snprintf(row.step, sizeof row.step, "cycle");
    snprintf(row.phase, sizeof row.phase, "idle"); /* a step has a phase */
    assert_int_equal(pr_store_remedy_put(fx->st, &row), -EINVAL);
    snprintf(row.step, sizeof row.step, "reboot");
    snprintf(row.phase, sizeof row.phase, "running");
    assert_int_equal(pr_store_remedy_put(fx->st, &row), -EINVAL);
    row.slot = 99; /* not a slot of the rack */
    snprintf(row.step, sizeof row.step, "none");
    snprintf(row.phase, sizeof row.phase, "idle");
    assert_int_equal(pr_store_remedy_put(fx->st, &row), -EINVAL);
}

static void up_and_unhealthy_are_states(void **state)
{
    struct store_fixture *fx = *state;
    assert_int_equal(pr_store_set_slot_state(fx->st, 1, "up"), 0);
    assert_int_equal(pr_store_set_slot_state(fx->st, 2, "unhealthy"), 0);
    assert_int_equal(pr_store_set_slot_state(fx->st, 3, "quarantined"), 0);
    assert_true(pr_store_set_slot_state(fx->st, 4, "sulking") < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_step_in_flight_survives_a_restart, store_fixture_setup,
                                        store_fixture_teardown),
        cmocka_unit_test_setup_teardown(nonsense_is_refused, store_fixture_setup,
                                        store_fixture_teardown),
        cmocka_unit_test_setup_teardown(up_and_unhealthy_are_states, store_fixture_setup,
                                        store_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
