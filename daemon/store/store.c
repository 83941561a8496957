/* store/store: opening, migrating and closing the sqlite file, transactions,
 * the prepared-statement cache and the error convention shared by the
 * store_*.c files. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>
#include "store_internal.h"

/* How long a statement waits for another process's lock (an operator's
 * sqlite3 shell, a backup) before it fails. */
#define BUSY_TIMEOUT_MS 5000

int pr_store_fail(struct pr_store *st, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->errmsg, sizeof(st->errmsg), fmt, ap);
    va_end(ap);
    return err;
}

int pr_store_errno(int extended_rc)
{
    switch (extended_rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
        return -EEXIST;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
    case SQLITE_CONSTRAINT_CHECK:
    case SQLITE_CONSTRAINT_NOTNULL:
    case SQLITE_CONSTRAINT_TRIGGER:
        return -EINVAL;
    default:
        return -EIO;
    }
}

int pr_store_sqlfail(struct pr_store *st, const char *what)
{
    return pr_store_fail(st, pr_store_errno(sqlite3_extended_errcode(st->db)), "%s: %s", what,
                         sqlite3_errmsg(st->db));
}

int pr_store_prepare(struct pr_store *st, const char *sql, sqlite3_stmt **out)
{
    for (unsigned i = 0; i < st->nstmts; i++) {
        if (st->stmts[i].sql == sql) {
            sqlite3_reset(st->stmts[i].stmt);
            sqlite3_clear_bindings(st->stmts[i].stmt);
            *out = st->stmts[i].stmt;
            return 0;
        }
    }
    if (st->nstmts == PR_STORE_STMT_MAX)
        return pr_store_fail(st, -EIO, "statement cache is full (%d)", PR_STORE_STMT_MAX);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK)
        return pr_store_fail(st, -EIO, "preparing \"%.60s\": %s", sql, sqlite3_errmsg(st->db));
    st->stmts[st->nstmts].sql = sql;
    st->stmts[st->nstmts].stmt = s;
    st->nstmts++;
    *out = s;
    return 0;
}

int pr_store_exec(struct pr_store *st, sqlite3_stmt *s, const char *what)
{
    int rc = sqlite3_step(s);
    int err = rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : pr_store_sqlfail(st, what);
    sqlite3_reset(s);
    return err;
}

int pr_store_bind_text_or_null(sqlite3_stmt *s, int idx, const char *text)
{
    if (!text || !*text)
        return sqlite3_bind_null(s, idx);
    return sqlite3_bind_text(s, idx, text, -1, SQLITE_STATIC);
}

void pr_store_column_text(sqlite3_stmt *s, int col, char *buf, size_t size)
{
    const unsigned char *text = sqlite3_column_text(s, col);
    snprintf(buf, size, "%s", text ? (const char *)text : "");
}

int pr_store_lower(const char *src, char *dst, size_t size)
{
    size_t n = strlen(src);
    if (n >= size)
        return -EINVAL;
    for (size_t i = 0; i <= n; i++)
        dst[i] = (char)tolower((unsigned char)src[i]);
    return 0;
}

int64_t pr_store_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *pr_store_errmsg(const struct pr_store *st)
{
    return st ? st->errmsg : "no store";
}

int pr_store_user_version(struct pr_store *st)
{
    int version;
    if (pr_store_schema_version(st->db, &version) != SQLITE_OK)
        return pr_store_sqlfail(st, "reading the schema version");
    return version;
}

/* Transactions: the outermost level is BEGIN IMMEDIATE (the write lock is
 * taken at once, so a commit never finds another writer in its way); inner
 * levels are savepoints, so an inner rollback undoes only its own work and
 * the outermost commit or rollback decides the rest. */
static const char SQL_BEGIN[] = "BEGIN IMMEDIATE";
static const char SQL_COMMIT[] = "COMMIT";
static const char SQL_ROLLBACK[] = "ROLLBACK";
static const char SQL_SAVEPOINT[] = "SAVEPOINT pr_nested";
static const char SQL_RELEASE[] = "RELEASE pr_nested";
static const char SQL_ROLLBACK_TO[] = "ROLLBACK TO pr_nested";

static int run(struct pr_store *st, const char *sql, const char *what)
{
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, sql, &s);
    return err < 0 ? err : pr_store_exec(st, s, what);
}

int pr_store_begin(struct pr_store *st)
{
    int err = st->depth == 0 ? run(st, SQL_BEGIN, "beginning a transaction")
                             : run(st, SQL_SAVEPOINT, "beginning a nested transaction");
    if (err == 0)
        st->depth++;
    return err;
}

int pr_store_commit(struct pr_store *st)
{
    if (st->depth == 0)
        return pr_store_fail(st, -EINVAL, "commit without a transaction");
    if (st->depth > 1) {
        st->depth--;
        return run(st, SQL_RELEASE, "ending a nested transaction");
    }
    int err = run(st, SQL_COMMIT, "committing");
    if (err < 0 && !sqlite3_get_autocommit(st->db)) {
        char why[sizeof(st->errmsg)];
        memcpy(why, st->errmsg, sizeof(why));
        run(st, SQL_ROLLBACK, "rolling back");
        memcpy(st->errmsg, why, sizeof(why));
    }
    st->depth = 0;
    return err;
}

int pr_store_rollback(struct pr_store *st)
{
    if (st->depth == 0)
        return pr_store_fail(st, -EINVAL, "rollback without a transaction");
    /* The error message of the failure being rolled back must survive. */
    char why[sizeof(st->errmsg)];
    memcpy(why, st->errmsg, sizeof(why));
    int err = 0;
    if (sqlite3_get_autocommit(st->db)) {
        st->depth = 0; /* sqlite already rolled it all back */
    } else if (st->depth > 1) {
        err = run(st, SQL_ROLLBACK_TO, "rolling back a nested transaction");
        if (err == 0)
            err = run(st, SQL_RELEASE, "ending a nested transaction");
        st->depth--;
    } else {
        err = run(st, SQL_ROLLBACK, "rolling back");
        st->depth = 0;
    }
    if (err == 0)
        memcpy(st->errmsg, why, sizeof(why));
    return err;
}

/* Opening. */

static int open_fail(sqlite3 *db, int err, char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int open_fail(sqlite3 *db, int err, char *errbuf, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (errbuf && errlen)
        vsnprintf(errbuf, errlen, fmt, ap);
    va_end(ap);
    sqlite3_close_v2(db);
    return err;
}

/* Runs a PRAGMA and copies its first result column (if any) into out. */
static int pragma(sqlite3 *db, const char *sql, char *out, size_t outlen)
{
    sqlite3_stmt *s;
    int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
    if (rc != SQLITE_OK)
        return rc;
    if (out && outlen)
        out[0] = '\0';
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (out && outlen && !out[0])
            pr_store_column_text(s, 0, out, outlen);
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* A file at version 0 must be empty: a file with tables but no version is
 * someone else's database, and migrating it would mix the two. */
static int is_empty(sqlite3 *db, bool *empty)
{
    char count[16];
    int rc = pragma(db, "SELECT count(*) FROM sqlite_schema", count, sizeof(count));
    *empty = rc == SQLITE_OK && strcmp(count, "0") == 0;
    return rc;
}

/* Brings the file to PR_STORE_SCHEMA_VERSION in one transaction.  The
 * version is read again under the write lock, in case another process
 * migrated the file meanwhile. */
static int migrate(sqlite3 *db, char *err, size_t errlen)
{
    int version, rc;
    char why[384] = "";
    bool empty = true;
    if ((rc = pragma(db, "BEGIN IMMEDIATE", NULL, 0)) != SQLITE_OK) {
        snprintf(err, errlen, "locking for migration: %s", sqlite3_errmsg(db));
        return -EIO;
    }
    rc = pr_store_schema_version(db, &version);
    if (rc == SQLITE_OK && version == 0)
        rc = is_empty(db, &empty);
    int res = 0;
    if (rc != SQLITE_OK) {
        snprintf(why, sizeof(why), "%s", sqlite3_errmsg(db));
        res = -EIO;
    } else if (!empty) {
        snprintf(why, sizeof(why),
                 "it has tables but no pirack schema version; "
                 "not a pirack store");
        res = -EINVAL;
    } else if (version > PR_STORE_SCHEMA_VERSION) {
        snprintf(why, sizeof(why), "another pirackd moved the schema to version %d", version);
        res = -EPROTO;
    } else if (version < PR_STORE_SCHEMA_VERSION) {
        res = pr_store_schema_migrate(db, version, PR_STORE_SCHEMA_VERSION, why, sizeof(why));
        char bad[64];
        if (res == 0 && pragma(db, "PRAGMA foreign_key_check", bad, sizeof(bad)) == SQLITE_OK &&
            bad[0]) {
            snprintf(why, sizeof(why), "after migration, table %s breaks a foreign key", bad);
            res = -EIO;
        }
    }
    if (res == 0 && pragma(db, "COMMIT", NULL, 0) == SQLITE_OK)
        return 0;
    if (res == 0) {
        snprintf(why, sizeof(why), "committing the migration: %s", sqlite3_errmsg(db));
        res = -EIO;
    }
    pragma(db, "ROLLBACK", NULL, 0);
    snprintf(err, errlen, "%s", why);
    return res;
}

/* Refuses a file written by a newer pirackd before changing anything in it
 * (even the journal mode). */
static int check_version(sqlite3 *db, char *err, size_t errlen)
{
    int version;
    if (pr_store_schema_version(db, &version) != SQLITE_OK) {
        snprintf(err, errlen, "%s", sqlite3_errmsg(db));
        return -EIO;
    }
    if (version > PR_STORE_SCHEMA_VERSION) {
        snprintf(err, errlen,
                 "schema version %d is newer than this pirackd "
                 "understands (%d); run a newer pirackd or restore an older copy",
                 version, PR_STORE_SCHEMA_VERSION);
        return -EPROTO;
    }
    return 0;
}

static int configure(sqlite3 *db, char *err, size_t errlen)
{
    char mode[16] = "";
    char fk[4] = "";
    int rc = pragma(db, "PRAGMA foreign_keys = ON", NULL, 0);
    if (rc == SQLITE_OK)
        rc = pragma(db, "PRAGMA foreign_keys", fk, sizeof(fk));
    if (rc == SQLITE_OK)
        rc = pragma(db, "PRAGMA journal_mode = WAL", mode, sizeof(mode));
    if (rc == SQLITE_OK)
        rc = pragma(db, "PRAGMA synchronous = NORMAL", NULL, 0);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s", sqlite3_errmsg(db));
        return -EIO;
    }
    if (strcmp(fk, "1") != 0 || strcmp(mode, "wal") != 0) {
        snprintf(err, errlen, "cannot enable foreign keys and WAL (journal mode %s)", mode);
        return -EIO;
    }
    return 0;
}

int pr_store_open(const char *path, struct pr_store **out, char *err, size_t errlen)
{
    char scratch[8];
    if (!err || !errlen) {
        err = scratch;
        errlen = sizeof(scratch);
    }
    *out = NULL;
    if (sodium_init() < 0) {
        snprintf(err, errlen, "libsodium failed to initialise");
        return -EIO;
    }
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(
        path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW, NULL);
    if (rc != SQLITE_OK)
        return open_fail(db, -EIO, err, errlen, "%s", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    int res = check_version(db, err, errlen);
    if (res == 0)
        res = configure(db, err, errlen);
    if (res == 0)
        res = migrate(db, err, errlen);
    if (res < 0) {
        sqlite3_close_v2(db);
        return res;
    }
    struct pr_store *st = calloc(1, sizeof(*st));
    if (!st)
        return open_fail(db, -ENOMEM, err, errlen, "out of memory");
    st->db = db;
    const struct pr_coalesce_limits lim = {
        .kind_budget = PR_COALESCE_KIND_BUDGET,
        .slot_budget = PR_COALESCE_SLOT_BUDGET,
        .rack_budget = PR_COALESCE_SLOT_BUDGET,
    };
    st->coalesce = pr_coalesce_new(&lim);
    if (!st->coalesce) {
        free(st);
        return open_fail(db, -ENOMEM, err, errlen, "out of memory");
    }
    *out = st;
    return 0;
}

void pr_store_close(struct pr_store *st)
{
    if (!st)
        return;
    if (st->depth > 0) {
        st->depth = 1; /* one ROLLBACK ends every level */
        pr_store_rollback(st);
    }
    if (st->before_close)
        st->before_close(st); /* events.c: the counts still held */
    pr_coalesce_free(st->coalesce);
    for (unsigned i = 0; i < st->nstmts; i++)
        sqlite3_finalize(st->stmts[i].stmt);
    sqlite3_close_v2(st->db);
    free(st);
}
