/* store: the audit log outlives the slots (schema version 3), what a
 * shrink would drop is counted before it happens, and retention is the
 * only way an event goes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store_fixture.h"
#include "daemon/store/store_internal.h"

/* A version-2 file whose slot 2 has events, a board and an owner. */
static void build_v2_file(const char *path)
{
    sqlite3 *db;
    char err[256] = "";

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
    if (pr_store_schema_migrate(db, 0, 2, err, sizeof(err)) != 0)
        fail_msg("building a version 2 file: %s", err);
    assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(
        store_raw_sql(path,
                      "INSERT INTO slots (slot, state_since) VALUES (1, 1), (2, 1);"
                      "INSERT INTO pis (slot, name) VALUES (1, 'rack1-001'), (2, 'rack1-002');"
                      "INSERT INTO events (time_ms, slot, kind, actor) VALUES"
                      "  (1700000000000, 2, 'boot.up', 'pirackd'),"
                      "  (1700000000001, NULL, 'rack.start', 'pirackd'),"
                      "  (1700000000002, 2, 'power.on', 'ops');"),
        SQLITE_OK);
}

/* Migrating from version 2 keeps every event and its id, and from then on
 * cutting a slot keeps its events; a new event still needs a real slot. */
static void test_v3_keeps_events_of_cut_slots(void **state)
{
    struct store_fixture *fx = *state;
    struct pr_store *st;
    char path[160], err[256] = "";

    snprintf(path, sizeof(path), "%s/v2.db", fx->dir);
    build_v2_file(path);
    if (pr_store_open(path, &st, err, sizeof(err)) != 0)
        fail_msg("opening a version 2 file: %s", err);
    assert_int_equal(pr_store_user_version(st), 3);
    assert_int_equal(store_count_events(st, 2), 2);
    assert_int_equal(pr_store_last_event_id(st), 3);

    struct pr_plan plan = store_test_plan(1);
    assert_int_equal(pr_store_sync_slots(st, &plan), 0);
    assert_int_equal(pr_store_slot_count(st), 1);
    assert_int_equal(store_raw_int(path, "SELECT count(*) FROM events WHERE slot = 2"), 2);
    assert_int_equal(store_count_events(st, 2), 2); /* still listed by slot */
    /* ids go on from where they were, never reused */
    assert_int_equal(pr_store_add_event(st, 0, "rack.next", "test", NULL), 4);
    assert_int_equal(pr_store_add_event(st, 2, "lost", "test", NULL), -EINVAL);
    assert_string_equal(pr_store_errmsg(st), "no slot 2");
    /* and nobody deletes or edits one behind retention's back */
    assert_int_equal(store_raw_sql(path, "DELETE FROM events WHERE slot = 2"),
                     SQLITE_CONSTRAINT_TRIGGER);
    assert_int_equal(store_raw_sql(path, "UPDATE events SET kind = 'x' WHERE id = 1"),
                     SQLITE_CONSTRAINT_TRIGGER);
    assert_int_equal(store_raw_int(path, "SELECT count(*) FROM events"), 4);
    pr_store_close(st);
}

static void test_slots_in_use_counts_what_a_shrink_drops(void **state)
{
    struct store_fixture *fx = *state;
    struct pr_store *st = fx->st;
    struct pr_store_slot_use use;

    /* an empty rack: nothing in use past any count */
    assert_int_equal(pr_store_slots_in_use(st, 2, &use), 0);
    assert_int_equal(use.last_slot, 4);
    assert_false(pr_store_slot_use_any(&use));

    assert_int_equal(pr_store_assign_board(st, 3, "b8:27:eb:00:00:03", "", "", false), 0);
    assert_int_equal(pr_store_add_customer(st, "alice"), 0);
    assert_int_equal(pr_store_set_pi(st, 4, NULL, "alice", NULL, NULL), 0);
    assert_true(pr_store_add_event(st, 4, "boot.up", "test", NULL) > 0);
    assert_true(pr_store_add_event(st, 1, "boot.up", "test", NULL) > 0);
    assert_int_equal(pr_store_slots_in_use(st, 2, &use), 0);
    assert_int_equal(use.boards, 1);
    assert_int_equal(use.pis, 1);
    assert_int_equal(use.events, 1);
    assert_true(pr_store_slot_use_any(&use));
    /* keeping slot 4 leaves only its neighbour's nothing */
    assert_int_equal(pr_store_slots_in_use(st, 4, &use), 0);
    assert_false(pr_store_slot_use_any(&use));
    assert_int_equal(pr_store_slots_in_use(st, 3, &use), 0);
    assert_int_equal(use.boards, 0);
    assert_int_equal(use.pis, 1);
    assert_int_equal(use.events, 1);
}

static void test_prune_by_age_and_count(void **state)
{
    struct store_fixture *fx = *state;
    struct pr_store *st = fx->st;
    int64_t now = pr_store_now_ms();

    assert_int_equal(store_raw_sql(fx->path, "BEGIN;"
                                             "INSERT INTO events_prune_gate (open) VALUES (1);"
                                             "DELETE FROM events;"
                                             "DELETE FROM events_prune_gate;"
                                             "COMMIT;"),
                     SQLITE_OK);
    char sql[512];
    /* ten events, one a day, the oldest ten days ago */
    for (int i = 10; i >= 1; i--) {
        snprintf(sql, sizeof(sql),
                 "INSERT INTO events (time_ms, slot, kind, actor) VALUES (%lld, 1, 'old', 't')",
                 (long long)(now - (int64_t)i * 86400000));
        assert_int_equal(store_raw_sql(fx->path, sql), SQLITE_OK);
    }
    /* no limits: nothing goes */
    assert_int_equal(pr_store_prune_events(st, now, 0, 0), 0);
    assert_int_equal(store_count_events(st, 0), 10);
    /* older than 7.5 days: three go (10, 9 and 8 days old) */
    assert_int_equal(pr_store_prune_events(st, now, 7 * 86400000ull + 43200000, 0), 3);
    assert_int_equal(store_count_events(st, 0), 7);
    /* then keep the newest 4, the oldest first to go */
    assert_int_equal(pr_store_prune_events(st, now, 0, 4), 3);
    assert_int_equal(store_count_events(st, 0), 4);
    assert_int_equal(store_raw_int(fx->path, "SELECT min(time_ms) FROM events"),
                     now - 4 * 86400000ll);
    /* within the limits: nothing more, and the gate is shut again */
    assert_int_equal(pr_store_prune_events(st, now, 30 * 86400000ull, 4), 0);
    assert_int_equal(store_raw_int(fx->path, "SELECT count(*) FROM events_prune_gate"), 0);
    assert_int_equal(store_raw_sql(fx->path, "DELETE FROM events"), SQLITE_CONSTRAINT_TRIGGER);
    /* ids are never reused, so the counter behind pirack_events_total holds */
    int64_t last = pr_store_last_event_id(st);
    assert_int_equal(pr_store_prune_events(st, now, 0, 1), 3);
    assert_int_equal(pr_store_last_event_id(st), last);
    assert_true(pr_store_add_event(st, 0, "after", "test", NULL) > last);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, store_fixture_setup, store_fixture_teardown)
        T(test_v3_keeps_events_of_cut_slots),
        T(test_slots_in_use_counts_what_a_shrink_drops),
        T(test_prune_by_age_and_count),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
