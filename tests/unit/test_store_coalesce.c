/* store: events that packets cause are bounded per slot and kind and per
 * slot, and what is past the budget is counted into one row, not lost. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "store_fixture.h"
#include "daemon/store/store_internal.h"

#define T0 1000000u
#define MIN PR_COALESCE_WINDOW_MS

static const struct pr_coalesce_limits LIM = { .kind_budget = 4,
                                               .slot_budget = 6,
                                               .rack_budget = 3 };

static unsigned admit_n(struct pr_coalesce *c, unsigned slot, const char *kind, unsigned n,
                        uint64_t now)
{
    unsigned recorded = 0;
    for (unsigned i = 0; i < n; i++)
        if (pr_coalesce_admit(c, slot, kind, now) == PR_COALESCE_RECORD)
            recorded++;
    return recorded;
}

static void test_a_kind_past_its_budget_is_counted_and_summarised_once(void **state)
{
    (void)state;
    struct pr_coalesce *c = pr_coalesce_new(&LIM);
    struct pr_coalesce_summary sum;
    assert_int_equal(admit_n(c, 1, "dhcp.offer", 10000, T0), 4);
    /* nothing is due inside the window */
    assert_int_equal(pr_coalesce_due(c, T0 + MIN - 1, false, &sum), 0);
    assert_int_equal(pr_coalesce_due(c, T0 + MIN, false, &sum), 1);
    assert_int_equal(sum.slot, 1);
    assert_string_equal(sum.kind, "dhcp.offer");
    assert_int_equal(sum.count, 9996);
    assert_int_equal(sum.first_ms, T0);
    assert_int_equal(sum.last_ms, T0);
    assert_int_equal(pr_coalesce_due(c, T0 + MIN, false, &sum), 0);
    /* the next minute has its budget again */
    assert_int_equal(admit_n(c, 1, "dhcp.offer", 10, T0 + MIN), 4);
    pr_coalesce_free(c);
}

static void test_a_slot_is_bounded_whatever_kinds_it_causes(void **state)
{
    (void)state;
    struct pr_coalesce *c = pr_coalesce_new(&LIM);
    unsigned rows = 0;
    rows += admit_n(c, 2, "dhcp.offer", 100, T0);
    rows += admit_n(c, 2, "tftp.error", 100, T0);
    rows += admit_n(c, 2, "board.seen", 100, T0);
    assert_int_equal(rows, LIM.slot_budget);
    /* another slot and the rack keep their own budgets */
    assert_int_equal(admit_n(c, 3, "dhcp.offer", 100, T0), 4);
    assert_int_equal(admit_n(c, 0, "board.seen", 100, T0), 3);
    pr_coalesce_set_rack_budget(c, 100);
    /* a count still held keeps its kind back until it is summarised */
    assert_int_equal(admit_n(c, 0, "board.seen", 1, T0 + MIN), 0);
    struct pr_coalesce_summary sum;
    while (pr_coalesce_due(c, T0 + MIN, false, &sum) == 1)
        ;
    assert_int_equal(admit_n(c, 0, "board.seen", 100, T0 + MIN), 4);
    pr_coalesce_free(c);
}

static void test_kinds_beyond_the_table_share_its_last_entry(void **state)
{
    (void)state;
    struct pr_coalesce_limits lim = { .kind_budget = 1, .slot_budget = 1000, .rack_budget = 1 };
    struct pr_coalesce *c = pr_coalesce_new(&lim);
    unsigned rows = 0;
    char kind[32];
    for (unsigned i = 0; i < 1000; i++) {
        snprintf(kind, sizeof kind, "k.%u", i);
        rows += admit_n(c, 1, kind, 1, T0);
    }
    assert_int_equal(rows, PR_COALESCE_KINDS);
    assert_int_equal(pr_coalesce_admit(c, PR_COALESCE_SLOT_MAX + 1, "x", T0), -ENOMEM);
    pr_coalesce_free(c);
}

static int count_kind(const struct pr_event_row *row, void *ctx)
{
    const char **want = ctx;
    if (strcmp(row->kind, want[0]) == 0)
        (*(int *)want[1])++;
    return 0;
}

/* The flood of the issue: 10,000 DISCOVERs from one slot's Pi made 10,000
 * dhcp.offer rows.  Now it makes the kind's budget and, when it is over,
 * one row that counts the rest. */
static void test_store_flood_leaves_bounded_rows(void **state)
{
    struct store_fixture *fx = *state;
    int n = 0;
    const char *want[2] = { "dhcp.offer", (const char *)&n };
    for (unsigned i = 0; i < 10000; i++)
        assert_true(pr_store_record_packet(fx->st, 1, "dhcp.offer", "dhcp", "{s:s}", "mac",
                                           "b8:27:eb:00:00:01") >= 0);
    assert_int_equal(pr_store_each_event(fx->st, 1, false, 0, 0, count_kind, want), 0);
    assert_int_equal(n, PR_COALESCE_KIND_BUDGET);
    /* an operator's events are never held back */
    for (unsigned i = 0; i < 100; i++)
        assert_true(pr_store_record(fx->st, 1, "pi.updated", "ops", NULL) > 0);
    assert_int_equal(store_count_events(fx->st, 1), PR_COALESCE_KIND_BUDGET + 100);
    /* closing writes what was counted */
    pr_store_close(fx->st);
    store_fixture_reopen(fx);
    n = 0;
    want[0] = "events.coalesced";
    assert_int_equal(pr_store_each_event(fx->st, 1, false, 0, 0, count_kind, want), 0);
    assert_int_equal(n, 1);
    assert_int_equal(store_raw_int(fx->path, "SELECT json_extract(detail, '$.count') FROM events"
                                             " WHERE kind = 'events.coalesced'"),
                     10000 - PR_COALESCE_KIND_BUDGET);
    /* the span is in wall-clock time, as every event's time_ms */
    long long first = store_raw_int(fx->path, "SELECT json_extract(detail, '$.first_ms') FROM"
                                              " events WHERE kind = 'events.coalesced'");
    long long last = store_raw_int(fx->path, "SELECT json_extract(detail, '$.last_ms') FROM"
                                             " events WHERE kind = 'events.coalesced'");
    long long at = store_raw_int(fx->path, "SELECT time_ms FROM events WHERE kind = 'dhcp.offer'"
                                           " ORDER BY id LIMIT 1");
    assert_true(first >= at - 1000 && first <= last && last <= pr_store_now_ms());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_kind_past_its_budget_is_counted_and_summarised_once),
        cmocka_unit_test(test_a_slot_is_bounded_whatever_kinds_it_causes),
        cmocka_unit_test(test_kinds_beyond_the_table_share_its_last_entry),
        cmocka_unit_test_setup_teardown(test_store_flood_leaves_bounded_rows, store_fixture_setup,
                                        store_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
