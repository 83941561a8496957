/* store: taking a board out of its slot, and the count of events that
 * /metrics reports (pirack_events_total). */
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

#define MAC1 "b8:27:eb:00:00:01"
#define MAC2 "b8:27:eb:00:00:02"

static void test_unassign_frees_the_slot_and_keeps_the_board(void **state)
{
    struct store_fixture *fx = *state;
    struct pr_store *st = fx->st;
    struct pr_slot_row row;
    char mac[18] = "";

    assert_int_equal(pr_store_assign_board(st, 2, MAC1, "000000a1", "3B", false), 0);
    assert_int_equal(pr_store_unassign_board(st, 2, mac, sizeof(mac)), 0);
    assert_string_equal(mac, MAC1);
    assert_int_equal(pr_store_slot_by_mac(st, MAC1), 0);
    assert_int_equal(pr_store_get_slot(st, 2, &row), 0);
    assert_string_equal(row.mac, "");
    /* The board is still known: its serial and model come back with it,
     * and it goes into another slot without "move". */
    assert_int_equal(pr_store_assign_board(st, 3, MAC1, NULL, NULL, false), 0);
    assert_int_equal(pr_store_get_slot(st, 3, &row), 0);
    assert_string_equal(row.serial, "000000a1");
    assert_string_equal(row.model, "3B");
    /* Another slot's board is untouched; NULL mac is allowed. */
    assert_int_equal(pr_store_assign_board(st, 1, MAC2, NULL, NULL, false), 0);
    assert_int_equal(pr_store_unassign_board(st, 3, NULL, 0), 0);
    assert_int_equal(pr_store_slot_by_mac(st, MAC2), 1);
    assert_int_equal(store_raw_int(fx->path, "SELECT count(*) FROM boards"), 2);
}

static void test_unassign_an_empty_slot(void **state)
{
    struct store_fixture *fx = *state;
    struct pr_store *st = fx->st;
    char mac[18] = "untouched";

    assert_int_equal(pr_store_unassign_board(st, 4, mac, sizeof(mac)), -ENOENT);
    assert_string_equal(pr_store_errmsg(st), "slot 4 holds no board");
    assert_string_equal(mac, "untouched");
    assert_int_equal(pr_store_unassign_board(st, 99, mac, sizeof(mac)), -ENOENT);
    assert_string_equal(pr_store_errmsg(st), "slot 99 holds no board");
}

static void test_unassign_inside_a_rolled_back_transaction(void **state)
{
    struct store_fixture *fx = *state;
    struct pr_store *st = fx->st;

    assert_int_equal(pr_store_assign_board(st, 2, MAC1, NULL, NULL, false), 0);
    assert_int_equal(pr_store_begin(st), 0);
    assert_int_equal(pr_store_unassign_board(st, 2, NULL, 0), 0);
    assert_int_equal(pr_store_rollback(st), 0);
    assert_int_equal(pr_store_slot_by_mac(st, MAC1), 2);
}

static void test_last_event_id_counts_every_event(void **state)
{
    struct store_fixture *fx = *state;
    struct pr_store *st = fx->st;
    struct pr_plan smaller = store_test_plan(2);
    int64_t last;

    assert_int_equal(pr_store_last_event_id(st), 0);
    assert_true(pr_store_add_event(st, 0, "daemon.started", "pirackd", NULL) > 0);
    assert_true(pr_store_add_event(st, 4, "power.on", "ops", NULL) > 0);
    last = pr_store_add_event(st, 4, "dhcp.offer", "dhcp", NULL);
    assert_int_equal(pr_store_last_event_id(st), last);
    assert_int_equal(last, 3);
    /* A refused event is not counted. */
    assert_int_equal(pr_store_add_event(st, 4, "Bad Kind", "ops", NULL), -EINVAL);
    assert_int_equal(pr_store_last_event_id(st), 3);
    /* Cutting slot 4 from the plan keeps its events; retention deletes the
     * oldest; the count, a Prometheus counter, does not go down. */
    assert_int_equal(pr_store_sync_slots(st, &smaller), 0);
    assert_int_equal(store_count_events(st, 0), 3);
    assert_int_equal(pr_store_prune_events(st, pr_store_now_ms(), 0, 1), 2);
    assert_int_equal(store_count_events(st, 0), 1);
    assert_int_equal(pr_store_last_event_id(st), 3);
    /* It survives closing and opening the file. */
    pr_store_close(st);
    store_fixture_reopen(fx);
    assert_int_equal(pr_store_last_event_id(fx->st), 3);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, store_fixture_setup, store_fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(test_unassign_frees_the_slot_and_keeps_the_board),
        T(test_unassign_an_empty_slot),
        T(test_unassign_inside_a_rolled_back_transaction),
        T(test_last_event_id_counts_every_event),
    };

    return cmocka_run_group_tests_name("store_unassign", tests, NULL, NULL);
}
