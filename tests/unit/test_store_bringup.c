/* store: bring-up runs (one unfinished at most, each slot's board at the
 * start kept, progress written and read back across a reopen) and boards
 * found by their serial. */
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

struct seen {
    unsigned n;
    struct pr_bringup_slot rows[8];
};

static int collect(const struct pr_bringup_slot *row, void *ctx)
{
    struct seen *s = ctx;

    if (s->n < 8)
        s->rows[s->n++] = *row;
    return 0;
}

static void test_a_run_is_kept_and_resumed(void **state)
{
    struct store_fixture *fx = *state;
    const unsigned list[] = { 1, 2, 3 };
    struct pr_bringup_run run;
    struct pr_bringup_slot row;
    struct seen seen = { 0 };
    int64_t id;

    assert_int_equal(pr_store_bringup_running(fx->st, &run), -ENOENT);
    assert_int_equal(pr_store_assign_board(fx->st, 2, MAC2, NULL, NULL, false), 0);
    id = pr_store_bringup_begin(fx->st, "1-3", "a", "ops:root", list, 3);
    assert_true(id > 0);
    /* one unfinished run at a time */
    assert_int_equal(pr_store_bringup_begin(fx->st, "all", "", "ops:root", list, 1), -EEXIST);
    memset(&row, 0, sizeof(row));
    row.slot = 1;
    strcpy(row.phase, "done");
    strcpy(row.mac, MAC1);
    strcpy(row.outcome, "new");
    strcpy(row.detail, "first");
    assert_int_equal(pr_store_bringup_put_slot(fx->st, id, &row), 0);
    row.slot = 9;
    assert_int_equal(pr_store_bringup_put_slot(fx->st, id, &row), -ENOENT);
    /* a restart finds it as it was */
    pr_store_close(fx->st);
    fx->st = NULL;
    store_fixture_reopen(fx);
    assert_int_equal(pr_store_bringup_running(fx->st, &run), 0);
    assert_int_equal(run.id, id);
    assert_string_equal(run.slots, "1-3");
    assert_string_equal(run.sw, "a");
    assert_int_equal(run.finished_ms, 0);
    assert_int_equal(pr_store_bringup_each_slot(fx->st, id, collect, &seen), 0);
    assert_int_equal(seen.n, 3);
    assert_string_equal(seen.rows[0].phase, "done");
    assert_string_equal(seen.rows[0].mac, MAC1);
    assert_string_equal(seen.rows[0].detail, "first");
    assert_string_equal(seen.rows[1].phase, "pending");
    assert_string_equal(seen.rows[1].was_mac, MAC2); /* the board slot 2 held */
    assert_string_equal(seen.rows[2].was_mac, "");
    assert_int_equal(pr_store_bringup_finish(fx->st, id, "3 slots"), 0);
    assert_int_equal(pr_store_bringup_finish(fx->st, id, "again"), -ENOENT);
    assert_int_equal(pr_store_bringup_running(fx->st, &run), -ENOENT);
    assert_int_equal(pr_store_bringup_get(fx->st, 0, &run), 0);
    assert_int_equal(run.id, id);
    assert_string_equal(run.result, "3 slots");
    assert_true(run.finished_ms > 0);
    assert_true(pr_store_bringup_begin(fx->st, "all", "", "ops:root", list, 3) > id);
}

static void test_board_by_serial(void **state)
{
    struct store_fixture *fx = *state;
    char mac[18] = "";

    assert_int_equal(pr_store_assign_board(fx->st, 3, MAC1, "100000005ca1ab01", "pi3b", false), 0);
    assert_int_equal(pr_store_board_by_serial(fx->st, "5ca1ab01", mac, sizeof(mac)), 3);
    assert_string_equal(mac, MAC1);
    assert_int_equal(pr_store_board_by_serial(fx->st, "5CA1AB01", mac, sizeof(mac)), 3);
    assert_int_equal(pr_store_board_by_serial(fx->st, "5ca1ab02", mac, sizeof(mac)), -ENOENT);
    assert_int_equal(pr_store_board_by_serial(fx->st, "5ca1ab0%", mac, sizeof(mac)), -EINVAL);
    assert_int_equal(pr_store_unassign_board(fx->st, 3, NULL, 0), 0);
    assert_int_equal(pr_store_board_by_serial(fx->st, "5ca1ab01", mac, sizeof(mac)), 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, store_fixture_setup, store_fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(test_a_run_is_kept_and_resumed),
        T(test_board_by_serial),
    };

    return cmocka_run_group_tests_name("store_bringup", tests, NULL, NULL);
}
