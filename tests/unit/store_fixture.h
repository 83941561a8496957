/* Helpers shared by the store's unit tests: a fresh temporary directory
 * and store per test, a small plan, and raw SQL on the store's file. */
#ifndef PIRACK_TEST_STORE_FIXTURE_H
#define PIRACK_TEST_STORE_FIXTURE_H

#include <sqlite3.h>
#include "pirack/plan.h"
#include "pirack/store.h"

struct store_fixture {
    char dir[64];
    char path[128];
    struct pr_plan plan;
    struct pr_store *st;
};

/* cmocka setup: a temp dir, a 4-slot plan, an open store synced to it. */
int store_fixture_setup(void **state);
/* cmocka teardown: closes the store and removes the temp dir. */
int store_fixture_teardown(void **state);

/* A plan: 10.0.0.0/24, 2001:db8:1::/48, rack "rack1", isolated pi%03d. */
struct pr_plan store_test_plan(unsigned slots);
/* Opens fx->path again into fx->st (after a close); fails the test on error. */
void store_fixture_reopen(struct store_fixture *fx);

/* Runs sql on a separate connection to path; returns sqlite's extended
 * result code (SQLITE_OK on success). */
int store_raw_sql(const char *path, const char *sql);
/* The first column of the first row of sql on path as an integer. */
long long store_raw_int(const char *path, const char *sql);
/* Counts events (all, or one slot's when slot > 0). */
int store_count_events(struct pr_store *st, unsigned slot);

#endif
