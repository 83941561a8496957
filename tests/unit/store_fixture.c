/* Helpers shared by the store's unit tests (see store_fixture.h). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_fixture.h"
#include "daemon/config/config_internal.h"

struct pr_plan store_test_plan(unsigned slots)
{
    struct pr_plan p = { .slots = slots, .ssh_port_base = 22001, .isolated = true };

    assert_int_equal(pr_prefix4_parse("10.0.0.0/24", &p.v4_pool), 0);
    assert_int_equal(pr_prefix6_parse("2001:db8:1::/48", &p.v6_pool), 0);
    strcpy(p.rack, "rack1");
    strcpy(p.domain, "hostedpi.example");
    strcpy(p.if_pattern, "pi%03d");
    return p;
}

void store_fixture_reopen(struct store_fixture *fx)
{
    char err[256] = "";
    int r = pr_store_open(fx->path, &fx->st, err, sizeof(err));
    if (r != 0)
        fail_msg("pr_store_open: %d %s", r, err);
}

int store_fixture_setup(void **state)
{
    struct store_fixture *fx = calloc(1, sizeof(*fx));
    assert_non_null(fx);
    strcpy(fx->dir, "/tmp/pirack-store-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->path, sizeof(fx->path), "%s/pirack.db", fx->dir);
    fx->plan = store_test_plan(4);
    store_fixture_reopen(fx);
    assert_int_equal(pr_store_sync_slots(fx->st, &fx->plan), 0);
    *state = fx;
    return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int store_fixture_teardown(void **state)
{
    struct store_fixture *fx = *state;
    pr_store_close(fx->st);
    nftw(fx->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    free(fx);
    return 0;
}

static sqlite3 *store_raw_open(const char *path)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, 5000);
    assert_int_equal(sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL), SQLITE_OK);
    return db;
}

int store_raw_sql(const char *path, const char *sql)
{
    sqlite3 *db = store_raw_open(path);
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        rc = sqlite3_extended_errcode(db);
    sqlite3_close(db);
    return rc;
}

long long store_raw_int(const char *path, const char *sql)
{
    sqlite3 *db = store_raw_open(path);
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    long long v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

static int count_cb(const struct pr_event_row *row, void *ctx)
{
    (void)row;
    ++*(int *)ctx;
    return 0;
}

int store_count_events(struct pr_store *st, unsigned slot)
{
    int n = 0;
    assert_int_equal(pr_store_each_event(st, slot, false, 0, 0, count_cb, &n), 0);
    return n;
}
