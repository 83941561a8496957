/* store: creating, migrating and refusing files, transactions, a process
 * killed mid-transaction, and keeping the slots in line with the plan.
 * (Rows and constraints: test_store_rows.c.)  Each test has its own
 * temporary directory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store_fixture.h"
#include "daemon/store/store_internal.h"
#include "daemon/config/config_internal.h"

static const char *pragma_text(struct pr_store *st, const char *sql, char *buf, size_t len)
{
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(st->db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    snprintf(buf, len, "%s", (const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    return buf;
}

static void test_create_from_nothing(void **state)
{
    struct store_fixture *fx = *state;
    char buf[32];

    assert_int_equal(pr_store_user_version(fx->st), PR_STORE_SCHEMA_VERSION);
    assert_string_equal(pragma_text(fx->st, "PRAGMA journal_mode", buf, sizeof(buf)), "wal");
    assert_string_equal(pragma_text(fx->st, "PRAGMA foreign_keys", buf, sizeof(buf)), "1");
    assert_string_equal(pragma_text(fx->st, "PRAGMA synchronous", buf, sizeof(buf)), "1");
    assert_string_equal(pragma_text(fx->st, "PRAGMA busy_timeout", buf, sizeof(buf)), "5000");
    /* every table of the schema is there */
    const char *tables[] = { "switches",  "slots",    "slot_states", "boards", "pis",
                             "customers", "api_keys", "images",      "events", "power_ops" };
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        char sql[128];
        snprintf(sql, sizeof(sql),
                 "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '%s'",
                 tables[i]);
        assert_int_equal(store_raw_int(fx->path, sql), 1);
    }
    /* the first ops tokens' table is gone (version 7) */
    assert_int_equal(
        store_raw_int(
            fx->path,
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'tokens'"),
        0);
    assert_int_equal(pr_store_slot_count(fx->st), 4);
    /* a second open of the same file changes nothing */
    pr_store_close(fx->st);
    store_fixture_reopen(fx);
    assert_int_equal(pr_store_user_version(fx->st), PR_STORE_SCHEMA_VERSION);
    assert_int_equal(pr_store_slot_count(fx->st), 4);
}

/* A file as pirackd of schema version v left it, with some data in it. */
static void build_old_file(const char *path, int v)
{
    sqlite3 *db;
    char err[256] = "";
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (v > 0) {
        assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
        if (pr_store_schema_migrate(db, 0, v, err, sizeof(err)) != 0)
            fail_msg("building a version %d file: %s", v, err);
        assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    }
    sqlite3_close(db);
    if (v < 1)
        return;
    /* version 1's tables, written the way version 1 wrote them */
    assert_int_equal(
        store_raw_sql(
            path, "INSERT INTO slots (slot, state, state_since, v4_pi, v4_host, v6_pi, v6_prefix,"
                  "  ssh_port, ifname) VALUES"
                  " (1, 'booted', 1700000000000, '10.0.0.2', '10.0.0.1', '2001:db8:1::2',"
                  "  '2001:db8:1::/64', 22001, 'pi001'),"
                  " (2, 'failed', 1700000000001, '10.0.0.6', '10.0.0.5', '2001:db8:1:1::2',"
                  "  '2001:db8:1:1::/64', 22002, 'pi002');"
                  "INSERT INTO pis (slot, name) VALUES (1, 'rack1-001'), (2, 'web');"
                  "INSERT INTO boards (mac, serial, model, slot, first_seen_ms)"
                  "  VALUES ('b8:27:eb:00:00:01', '00000001', 'pi3b', 1, 1700000000000);"
                  "INSERT INTO customers (name, created_ms) VALUES ('alice', 1700000000000);"
                  "UPDATE pis SET owner = 'alice' WHERE slot = 2;"
                  "INSERT INTO events (time_ms, slot, kind, actor, detail) VALUES"
                  "  (1700000000000, 1, 'boot.up', 'pirackd', '{\"s\":1}'),"
                  "  (1700000000001, NULL, 'rack.start', 'pirackd', NULL);"),
        SQLITE_OK);
}

static void test_migrate_from_each_version(void **state)
{
    struct store_fixture *fx = *state;

    for (int v = 0; v < PR_STORE_SCHEMA_VERSION; v++) {
        char path[160], err[256] = "";
        struct pr_store *st;
        struct pr_slot_row row;

        snprintf(path, sizeof(path), "%s/v%d.db", fx->dir, v);
        build_old_file(path, v);
        if (pr_store_open(path, &st, err, sizeof(err)) != 0)
            fail_msg("opening a version %d file: %s", v, err);
        assert_int_equal(pr_store_user_version(st), PR_STORE_SCHEMA_VERSION);
        if (v >= 1) {
            /* the data survived */
            assert_int_equal(pr_store_slot_count(st), 2);
            assert_int_equal(pr_store_get_slot(st, 2, &row), 0);
            assert_string_equal(row.state, "failed");
            assert_string_equal(row.name, "web");
            assert_string_equal(row.owner, "alice");
            assert_int_equal(pr_store_slot_by_mac(st, "b8:27:eb:00:00:01"), 1);
            assert_int_equal(store_count_events(st, 0), 2);
            assert_int_equal(store_count_events(st, 1), 1);
        }
        /* and version 2 works on it */
        struct pr_plan plan = store_test_plan(3);
        assert_int_equal(pr_store_sync_slots(st, &plan), 0);
        assert_int_equal(pr_store_get_slot(st, 1, &row), 0);
        assert_string_equal(row.v4_pi, "10.0.0.2");
        assert_true(pr_store_power_op_begin(st, 2, "cycle", "ops") > 0);
        assert_int_equal(pr_store_set_slot_state(st, 2, "quarantined"), 0);
        pr_store_close(st);
    }
}

static void test_refuse_newer_and_foreign_files(void **state)
{
    struct store_fixture *fx = *state;
    struct pr_store *st = NULL;
    char err[256] = "", path[160];

    pr_store_close(fx->st);
    fx->st = NULL;
    assert_int_equal(store_raw_sql(fx->path, "PRAGMA user_version = 11"), SQLITE_OK);
    assert_int_equal(pr_store_open(fx->path, &st, err, sizeof(err)), -EPROTO);
    assert_null(st);
    assert_non_null(strstr(err, "schema version 11 is newer than this pirackd understands (10)"));
    assert_int_equal(store_raw_int(fx->path, "PRAGMA user_version"), 11);

    /* someone else's database is not migrated into a pirack store */
    snprintf(path, sizeof(path), "%s/other.db", fx->dir);
    assert_int_equal(store_raw_sql(path, "CREATE TABLE notes (t TEXT)"), SQLITE_OK);
    assert_int_equal(pr_store_open(path, &st, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "not a pirack store"));
    assert_int_equal(store_raw_int(path, "SELECT count(*) FROM sqlite_schema"), 1);

    /* nor is a file that is not a database */
    snprintf(path, sizeof(path), "%s/junk.db", fx->dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < 200; i++)
        fputs("not a database ", f);
    fclose(f);
    assert_int_equal(pr_store_open(path, &st, err, sizeof(err)), -EIO);
    assert_non_null(strstr(err, "not a database"));
}

/* Fork a child that opens the store, writes inside a transaction (and
 * commits it when commit is true), then dies by SIGKILL. */
static void child_writes_then_dies(const char *path, bool commit)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct pr_store *st;
        char err[256];
        if (pr_store_open(path, &st, err, sizeof(err)) != 0 || pr_store_begin(st) != 0 ||
            pr_store_add_event(st, 1, "child.write", "test", NULL) <= 0 ||
            pr_store_assign_board(st, 2, "b8:27:eb:00:00:42", "", "", false) != 0 ||
            pr_store_set_slot_state(st, 3, "booted") != 0)
            _exit(1);
        if (commit && pr_store_commit(st) != 0)
            _exit(1);
        raise(SIGKILL);
        _exit(2);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGKILL);
}

static void test_killed_mid_transaction(void **state)
{
    struct store_fixture *fx = *state;
    struct pr_slot_row row;

    assert_true(pr_store_add_event(fx->st, 1, "before", "test", NULL) > 0);
    pr_store_close(fx->st);
    fx->st = NULL;

    child_writes_then_dies(fx->path, false);
    store_fixture_reopen(fx);
    assert_int_equal(store_count_events(fx->st, 1), 1);
    assert_int_equal(pr_store_slot_by_mac(fx->st, "b8:27:eb:00:00:42"), 0);
    assert_int_equal(pr_store_get_slot(fx->st, 3, &row), 0);
    assert_string_equal(row.state, "off");
    /* the store is usable: the dead writer's lock is gone */
    assert_true(pr_store_add_event(fx->st, 1, "after", "test", NULL) > 0);
    pr_store_close(fx->st);
    fx->st = NULL;

    child_writes_then_dies(fx->path, true);
    store_fixture_reopen(fx);
    assert_int_equal(store_count_events(fx->st, 1), 3);
    assert_int_equal(pr_store_slot_by_mac(fx->st, "b8:27:eb:00:00:42"), 2);
    assert_int_equal(pr_store_get_slot(fx->st, 3, &row), 0);
    assert_string_equal(row.state, "booted");
}

static void test_nested_transactions(void **state)
{
    struct store_fixture *fx = *state;
    struct pr_store *st = fx->st;

    assert_int_equal(pr_store_commit(st), -EINVAL);
    assert_int_equal(pr_store_rollback(st), -EINVAL);

    /* an inner rollback undoes only the inner work */
    assert_int_equal(pr_store_begin(st), 0);
    assert_true(pr_store_add_event(st, 1, "outer", "test", NULL) > 0);
    assert_int_equal(pr_store_begin(st), 0);
    assert_true(pr_store_add_event(st, 1, "inner", "test", NULL) > 0);
    assert_int_equal(pr_store_rollback(st), 0);
    assert_int_equal(pr_store_commit(st), 0);
    assert_int_equal(store_count_events(st, 1), 1);

    /* the outermost rollback undoes everything, committed inner levels too */
    assert_int_equal(pr_store_begin(st), 0);
    assert_true(pr_store_add_event(st, 1, "outer", "test", NULL) > 0);
    assert_int_equal(pr_store_begin(st), 0);
    assert_true(pr_store_add_event(st, 1, "inner", "test", NULL) > 0);
    assert_int_equal(pr_store_commit(st), 0);
    assert_int_equal(pr_store_rollback(st), 0);
    assert_int_equal(store_count_events(st, 1), 1);

    /* a failing call inside a transaction leaves the transaction usable */
    assert_int_equal(pr_store_begin(st), 0);
    assert_true(pr_store_add_event(st, 2, "kept", "test", NULL) > 0);
    assert_int_equal(pr_store_add_event(st, 999, "lost", "test", NULL), -EINVAL);
    assert_int_equal(pr_store_commit(st), 0);
    assert_int_equal(store_count_events(st, 2), 1);

    /* closing with a transaction open rolls it back */
    assert_int_equal(pr_store_begin(st), 0);
    assert_int_equal(pr_store_begin(st), 0);
    assert_true(pr_store_add_event(st, 2, "lost", "test", NULL) > 0);
    pr_store_close(st);
    store_fixture_reopen(fx);
    assert_int_equal(store_count_events(fx->st, 2), 1);
}

static void test_sync_grows_changes_and_shrinks(void **state)
{
    struct store_fixture *fx = *state;
    struct pr_store *st = fx->st;
    struct pr_slot_row row;

    assert_int_equal(pr_store_get_slot(st, 4, &row), 0);
    assert_string_equal(row.v4_pi, "10.0.0.14");
    assert_string_equal(row.v4_host, "10.0.0.13");
    assert_string_equal(row.v6_pi, "2001:db8:1:3::2");
    assert_string_equal(row.v6_prefix, "2001:db8:1:3::/64");
    assert_int_equal(row.ssh_port, 22004);
    assert_string_equal(row.ifname, "pi004");
    assert_string_equal(row.name, "rack1-004");
    assert_string_equal(row.state, "off");
    assert_string_equal(row.power, "unknown");
    assert_true(row.state_since > 0);

    /* grow: new slots appear, old ones keep their state */
    assert_int_equal(pr_store_set_slot_state(st, 2, "booted"), 0);
    assert_int_equal(pr_store_assign_board(st, 6, "b8:27:eb:00:00:06", "", "", false), -EINVAL);
    fx->plan.slots = 8;
    assert_int_equal(pr_store_sync_slots(st, &fx->plan), 0);
    assert_int_equal(pr_store_slot_count(st), 8);
    assert_int_equal(pr_store_get_slot(st, 8, &row), 0);
    assert_string_equal(row.name, "rack1-008");
    assert_int_equal(pr_store_get_slot(st, 2, &row), 0);
    assert_string_equal(row.state, "booted");

    /* change: every ssh port moves by one slot (slot N takes what N + 1
     * had), which only works if the old ones are out of the way first */
    assert_int_equal(pr_store_assign_board(st, 6, "b8:27:eb:00:00:06", "", "", false), 0);
    assert_true(pr_store_add_event(st, 6, "boot.up", "test", NULL) > 0);
    assert_true(pr_store_add_event(st, 1, "boot.up", "test", NULL) > 0);
    assert_true(pr_store_add_event(st, 0, "rack.start", "test", NULL) > 0);
    assert_true(pr_store_power_op_begin(st, 7, "on", "test") > 0);
    fx->plan.ssh_port_base = 22002;
    assert_int_equal(pr_plan_check(&fx->plan, (char[64]){ 0 }, 64), 0);
    assert_int_equal(pr_store_sync_slots(st, &fx->plan), 0);
    assert_int_equal(pr_store_get_slot(st, 2, &row), 0);
    assert_int_equal(row.ssh_port, 22003);
    assert_string_equal(row.state, "booted");
    assert_int_equal(pr_store_slot_by_mac(st, "b8:27:eb:00:00:06"), 6);
    assert_int_equal(pr_prefix4_parse("10.0.1.0/24", &fx->plan.v4_pool), 0);
    assert_int_equal(pr_store_sync_slots(st, &fx->plan), 0);
    assert_int_equal(pr_store_get_slot(st, 1, &row), 0);
    assert_string_equal(row.v4_pi, "10.0.1.2");

    /* shrink: slots past the plan go, with their power ops; their boards
     * stay known but are in no slot; their events stay in the audit log;
     * the rest is untouched */
    fx->plan.slots = 3;
    assert_int_equal(pr_store_sync_slots(st, &fx->plan), 0);
    assert_int_equal(pr_store_slot_count(st), 3);
    assert_int_equal(pr_store_get_slot(st, 6, &row), -ENOENT);
    assert_string_equal(pr_store_errmsg(st), "no slot 6");
    assert_int_equal(store_raw_int(fx->path, "SELECT count(*) FROM events WHERE slot = 6"), 1);
    assert_int_equal(store_raw_int(fx->path, "SELECT count(*) FROM power_ops"), 0);
    assert_int_equal(pr_store_slot_by_mac(st, "b8:27:eb:00:00:06"), 0);
    assert_int_equal(store_raw_int(fx->path, "SELECT count(*) FROM boards"), 1);
    assert_int_equal(store_count_events(st, 1), 1);
    assert_int_equal(store_count_events(st, 0), 3);

    /* a new slot's default name taken by another pi: refused, nothing changes */
    assert_int_equal(pr_store_set_pi(st, 2, "rack1-005", NULL, NULL, NULL), 0);
    fx->plan.slots = 5;
    assert_int_equal(pr_store_sync_slots(st, &fx->plan), -EEXIST);
    assert_string_equal(pr_store_errmsg(st),
                        "slot 5's default name rack1-005 is already the name of the pi in slot 2");
    assert_int_equal(pr_store_slot_count(st), 3);
}

/* The host keys of each generation: recorded when it is built, expected
 * once it is current, back with an undo, gone with the generation. */
static void test_host_keys_follow_generations(void **state)
{
    struct store_fixture *fx = *state;
    struct pr_store *st = fx->st;
    struct pr_hostkey got[PR_HOSTKEYS_MAX];
    const struct pr_hostkey gen1[] = { { "ed25519", "SHA256:one-ed" },
                                       { "ecdsa", "SHA256:one-ec" } };
    const struct pr_hostkey gen2[] = { { "ed25519", "SHA256:two-ed" },
                                       { "ecdsa", "SHA256:two-ec" } };
    const struct pr_hostkey bad[] = { { "ed25519", "MD5:aa:bb" } };

    assert_int_equal(pr_store_hostkeys_get(st, 2, got, PR_HOSTKEYS_MAX), 0);
    assert_int_equal(pr_store_hostkeys_record(st, 2, 1, gen1, 2), 0);
    /* built, not switched to yet: nothing expected */
    assert_int_equal(pr_store_hostkeys_get(st, 2, got, PR_HOSTKEYS_MAX), 0);
    assert_int_equal(pr_store_hostkeys_current(st, 2, 1), 0);
    assert_int_equal(pr_store_hostkeys_get(st, 2, got, PR_HOSTKEYS_MAX), 2);
    assert_string_equal(got[0].type, "ecdsa");
    assert_string_equal(got[0].sha256, "SHA256:one-ec");
    assert_string_equal(got[1].sha256, "SHA256:one-ed");

    /* a reimage: gen-2 current, gen-1 kept for undo */
    assert_int_equal(pr_store_hostkeys_record(st, 2, 2, gen2, 2), 0);
    assert_int_equal(pr_store_hostkeys_current(st, 2, 2), 0);
    assert_int_equal(pr_store_hostkeys_keep(st, 2, 2, 1), 0);
    assert_int_equal(pr_store_hostkeys_get(st, 2, got, PR_HOSTKEYS_MAX), 2);
    assert_string_equal(got[1].sha256, "SHA256:two-ed");
    assert_int_equal(pr_store_hostkeys_get(st, 3, got, PR_HOSTKEYS_MAX), 0);
    /* undo: gen-1's keys are back */
    assert_int_equal(pr_store_hostkeys_current(st, 2, 1), 0);
    assert_int_equal(pr_store_hostkeys_get(st, 2, got, PR_HOSTKEYS_MAX), 2);
    assert_string_equal(got[1].sha256, "SHA256:one-ed");
    /* at most max */
    assert_int_equal(pr_store_hostkeys_get(st, 2, got, 1), 1);
    /* gen-2 expires, then the wipe forgets everything */
    assert_int_equal(pr_store_hostkeys_keep(st, 2, 1, 0), 0);
    assert_int_equal(pr_store_hostkeys_current(st, 2, 2), 0);
    assert_int_equal(pr_store_hostkeys_get(st, 2, got, PR_HOSTKEYS_MAX), 0);
    assert_int_equal(pr_store_hostkeys_current(st, 2, 1), 0);
    assert_int_equal(pr_store_hostkeys_keep(st, 2, 0, 0), 0);
    assert_int_equal(pr_store_hostkeys_get(st, 2, got, PR_HOSTKEYS_MAX), 0);

    /* not a fingerprint, or no such slot: refused, nothing half-written */
    assert_int_equal(pr_store_hostkeys_record(st, 2, 3, bad, 1), -EINVAL);
    assert_int_equal(pr_store_hostkeys_record(st, 99, 1, gen1, 2), -EINVAL);
    assert_int_equal(pr_store_hostkeys_current(st, 99, 1), 0);
    assert_int_equal(pr_store_hostkeys_get(st, 99, got, PR_HOSTKEYS_MAX), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, store_fixture_setup, store_fixture_teardown)
        T(test_create_from_nothing),
        T(test_migrate_from_each_version),
        T(test_refuse_newer_and_foreign_files),
        T(test_killed_mid_transaction),
        T(test_nested_transactions),
        T(test_sync_grows_changes_and_shrinks),
        T(test_host_keys_follow_generations),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
