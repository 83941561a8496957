/* store: the audit log outlives the slots (schema version 3), what a
 * shrink would drop is counted before it happens, and retention is the
 * only way an event goes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store_fixture.h"
#include "daemon/daemon.h"
#include "daemon/boot/capture_service.h"
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
    assert_int_equal(pr_store_user_version(st), PR_STORE_SCHEMA_VERSION);
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

/* The fixture's plan as a configuration file, with slots and extra lines. */
static void write_config(const char *path, unsigned slots, const char *extra)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fprintf(f,
            "[rack]\nname = rack1\ndomain = hostedpi.example\nslots = %u\n%s"
            "[ipv4]\npool = 10.0.0.0/24\n[ipv6]\npool = 2001:db8:1::/48\n",
            slots, extra);
    fclose(f);
}

static int count_kind(struct pr_store *st, const char *kind)
{
    char sql[128];
    sqlite3_stmt *s;
    int n;

    snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE kind = '%s'", kind);
    assert_int_equal(sqlite3_prepare_v2(st->db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    n = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return n;
}

/* A reload to fewer slots is refused while the cut slots hold something,
 * the running configuration stays, and an event says so; confirmed, the
 * slots go and their events stay. */
static void test_reload_refuses_an_unconfirmed_shrink(void **state)
{
    struct store_fixture *fx = *state;
    struct pr_daemon d = { .store = fx->st, .plan = fx->plan };
    char conf[160], why[512] = "";

    snprintf(conf, sizeof(conf), "%s/pirackd.conf", fx->dir);
    d.config_path = conf;
    d.cfg = calloc(1, sizeof(*d.cfg));
    assert_non_null(d.cfg);
    write_config(conf, 4, "");
    assert_int_equal(pr_config_load(conf, d.cfg, stderr), 0);

    /* nothing in slots 3-4 yet: a shrink is no loss and goes through */
    write_config(conf, 3, "");
    assert_int_equal(pr_daemon_reload(&d, 0, "pirackd", why, sizeof(why)), 0);
    assert_int_equal(d.cfg->slots, 3);
    assert_int_equal(pr_store_slot_count(fx->st), 3);

    assert_int_equal(pr_store_assign_board(fx->st, 3, "b8:27:eb:00:00:03", "", "", false), 0);
    assert_true(pr_store_add_event(fx->st, 3, "boot.up", "test", NULL) > 0);
    write_config(conf, 2, "");
    assert_int_equal(pr_daemon_reload(&d, 0, "pirackd", why, sizeof(why)), -EBUSY);
    assert_non_null(strstr(why, "[rack] slots = 2 would cut slot 3, which holds 1 board, "
                                "0 assigned pis and 1 event"));
    assert_non_null(strstr(why, "pirack slots --shrink 2"));
    assert_int_equal(d.cfg->slots, 3); /* the running configuration */
    assert_int_equal(pr_store_slot_count(fx->st), 3);
    assert_int_equal(count_kind(fx->st, "config.shrink-refused"), 1);

    /* the API's confirmation must name the file's count */
    assert_int_equal(pr_daemon_reload(&d, 1, "ops", why, sizeof(why)), -ERANGE);
    assert_non_null(strstr(why, "says slots = 2, not 1"));
    assert_int_equal(pr_store_slot_count(fx->st), 3);

    /* confirmed: the slot goes, its board is in no slot, its events stay */
    assert_int_equal(pr_daemon_reload(&d, 2, "ops", why, sizeof(why)), 0);
    assert_int_equal(d.cfg->slots, 2);
    assert_int_equal(pr_store_slot_count(fx->st), 2);
    assert_int_equal(pr_store_slot_by_mac(fx->st, "b8:27:eb:00:00:03"), 0);
    assert_int_equal(store_count_events(fx->st, 3), 1);
    assert_int_equal(count_kind(fx->st, "config.shrink"), 1);

    /* [rack] confirm_shrink in the file does the same, and only for its count */
    struct pr_plan grow = store_test_plan(4);
    assert_int_equal(pr_store_sync_slots(fx->st, &grow), 0);
    assert_true(pr_store_add_event(fx->st, 4, "boot.up", "test", NULL) > 0);
    write_config(conf, 3, "confirm_shrink = 2\n");
    assert_int_equal(pr_daemon_reload(&d, 0, "pirackd", why, sizeof(why)), -EBUSY);
    write_config(conf, 3, "confirm_shrink = 3\n");
    assert_int_equal(pr_daemon_reload(&d, 0, "pirackd", why, sizeof(why)), 0);
    assert_int_equal(pr_store_slot_count(fx->st), 3);
    assert_int_equal(store_count_events(fx->st, 4), 1);
    free(d.cfg);
}

static void touch_trace(const char *dir, const char *name, time_t mtime)
{
    char path[256];
    struct timespec times[2] = { { mtime, 0 }, { mtime, 0 } };
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
}

static bool exists(const char *dir, const char *name)
{
    char path[256];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

static void test_traces_pruned_by_age_and_count(void **state)
{
    struct store_fixture *fx = *state;
    char dir[160];
    time_t now = time(NULL);
    int64_t now_ms = (int64_t)now * 1000;

    snprintf(dir, sizeof(dir), "%s/traces", fx->dir);
    /* no directory yet (no failed boot): nothing to do */
    assert_int_equal(pr_traces_prune(dir, now_ms, 1000, 1), 0);
    assert_int_equal(mkdir(dir, 0750), 0);
    touch_trace(dir, "slot-001-1-dhcp.pcap", now - 40 * 86400);
    touch_trace(dir, "slot-002-2-dhcp.pcap", now - 3 * 86400);
    touch_trace(dir, "slot-003-3-dhcp.pcap", now - 2 * 86400);
    touch_trace(dir, "slot-004-4-dhcp.pcap", now - 1 * 86400);
    touch_trace(dir, "notes.txt", now - 400 * 86400); /* not ours: never deleted */
    assert_int_equal(pr_traces_prune(dir, now_ms, 0, 0), 0);
    assert_int_equal(pr_traces_prune(dir, now_ms, 30 * 86400000ull, 0), 1);
    assert_false(exists(dir, "slot-001-1-dhcp.pcap"));
    assert_int_equal(pr_traces_prune(dir, now_ms, 30 * 86400000ull, 2), 1);
    assert_false(exists(dir, "slot-002-2-dhcp.pcap"));
    assert_true(exists(dir, "slot-003-3-dhcp.pcap"));
    assert_true(exists(dir, "slot-004-4-dhcp.pcap"));
    assert_true(exists(dir, "notes.txt"));
    char path[256];
    snprintf(path, sizeof(path), "%s/notes.txt", dir);
    unlink(path);
    assert_int_equal(pr_traces_prune(dir, now_ms, 0, 1), 1);
    snprintf(path, sizeof(path), "%s/slot-004-4-dhcp.pcap", dir);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, store_fixture_setup, store_fixture_teardown)
        T(test_v3_keeps_events_of_cut_slots),   T(test_slots_in_use_counts_what_a_shrink_drops),
        T(test_prune_by_age_and_count),         T(test_reload_refuses_an_unconfirmed_shrink),
        T(test_traces_pruned_by_age_and_count),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
