/* store hostkeys: the SSH host key fingerprints pirackd wrote into each
 * generation of a Pi's root (store.h), what the health probe compares the
 * Pi's key with.  The image service records them when it builds a
 * generation, marks them current when it switches to it, and forgets
 * them with the generation. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "store_internal.h"

static const char SQL_DEL_GEN[] = "DELETE FROM host_keys WHERE slot = ?1 AND gen = ?2";
static const char SQL_ADD[] =
    "INSERT INTO host_keys (slot, gen, type, sha256) VALUES (?1, ?2, ?3, ?4)";
static const char SQL_CURRENT[] = "UPDATE host_keys SET current = (gen = ?2) WHERE slot = ?1";
static const char SQL_KEEP[] = "DELETE FROM host_keys WHERE slot = ?1 AND gen NOT IN (?2, ?3)";
static const char SQL_GET[] =
    "SELECT type, sha256 FROM host_keys WHERE slot = ?1 AND current = 1 ORDER BY type";

static int add_keys(struct pr_store *st, unsigned slot, unsigned gen, const struct pr_hostkey *keys,
                    size_t n)
{
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, SQL_DEL_GEN, &s);
    if (err < 0)
        return err;
    sqlite3_bind_int64(s, 1, slot);
    sqlite3_bind_int64(s, 2, gen);
    if ((err = pr_store_exec(st, s, "replacing host keys")) < 0)
        return err;
    for (size_t i = 0; i < n; i++) {
        if ((err = pr_store_prepare(st, SQL_ADD, &s)) < 0)
            return err;
        sqlite3_bind_int64(s, 1, slot);
        sqlite3_bind_int64(s, 2, gen);
        sqlite3_bind_text(s, 3, keys[i].type, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 4, keys[i].sha256, -1, SQLITE_TRANSIENT);
        if ((err = pr_store_exec(st, s, "recording a host key")) == -EINVAL)
            return pr_store_fail(st, err, "slot %u gen-%u: no such slot, or a bad key %.15s %.63s",
                                 slot, gen, keys[i].type, keys[i].sha256);
        if (err < 0)
            return err;
    }
    return 0;
}

int pr_store_hostkeys_record(struct pr_store *st, unsigned slot, unsigned gen,
                             const struct pr_hostkey *keys, size_t n)
{
    int err = pr_store_begin(st);
    if (err < 0)
        return err;
    if ((err = add_keys(st, slot, gen, keys, n)) < 0) {
        pr_store_rollback(st);
        return err;
    }
    return pr_store_commit(st);
}

int pr_store_hostkeys_current(struct pr_store *st, unsigned slot, unsigned gen)
{
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, SQL_CURRENT, &s);
    if (err < 0)
        return err;
    sqlite3_bind_int64(s, 1, slot);
    sqlite3_bind_int64(s, 2, gen);
    return pr_store_exec(st, s, "marking the current host keys");
}

int pr_store_hostkeys_keep(struct pr_store *st, unsigned slot, unsigned keep_a, unsigned keep_b)
{
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, SQL_KEEP, &s);
    if (err < 0)
        return err;
    sqlite3_bind_int64(s, 1, slot);
    sqlite3_bind_int64(s, 2, keep_a);
    sqlite3_bind_int64(s, 3, keep_b);
    return pr_store_exec(st, s, "forgetting host keys");
}

int pr_store_hostkeys_get(struct pr_store *st, unsigned slot, struct pr_hostkey *out, size_t max)
{
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, SQL_GET, &s), n = 0, rc;
    if (err < 0)
        return err;
    sqlite3_bind_int64(s, 1, slot);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW && (size_t)n < max) {
        pr_store_column_text(s, 0, out[n].type, sizeof(out[n].type));
        pr_store_column_text(s, 1, out[n].sha256, sizeof(out[n].sha256));
        n++;
    }
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        err = pr_store_sqlfail(st, "reading host keys");
    sqlite3_reset(s);
    return err < 0 ? err : n;
}
