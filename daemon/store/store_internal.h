/* store/store internals: shared by daemon/store*.c and the store's unit tests.
 * Nothing outside the store module includes this. */
#ifndef PIRACK_STORE_INTERNAL_H
#define PIRACK_STORE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include "pirack/store.h"

/* Every statement the store runs is prepared once and kept here, keyed by
 * the address of its static SQL text, until pr_store_close(). */
#define PR_STORE_STMT_MAX 128
/* Rows handed to a callback are read in pages; the statement is reset
 * before the callbacks run, so a callback may use the store itself. */
#define PR_STORE_PAGE 32

struct pr_store_cached_stmt {
    const char *sql;
    sqlite3_stmt *stmt;
};

/* Coalescing of packet-caused events (coalesce.c). */
#define PR_COALESCE_WINDOW_MS 60000
#define PR_COALESCE_KINDS 24      /* kinds a slot may have: the code has ~15 */
#define PR_COALESCE_SLOT_MAX 4096 /* slots above are refused (-ENOMEM) */
/* A normal boot is ~15 TFTP files (a request and a done row each), two
 * DHCP exchanges and a few boot steps: well inside these. */
#define PR_COALESCE_KIND_BUDGET 64
#define PR_COALESCE_SLOT_BUDGET 160

struct pr_coalesce_limits {
    unsigned kind_budget; /* rows of one kind of one slot per window */
    unsigned slot_budget; /* rows of one slot (1..) per window */
    unsigned rack_budget; /* rows of the rack (slot 0) per window */
};
enum {
    PR_COALESCE_RECORD = 0,
    PR_COALESCE_HOLD = 1
};
struct pr_coalesce_summary {
    unsigned slot;
    char kind[32];
    unsigned count;
    uint64_t first_ms, last_ms;
};
struct pr_coalesce;
struct pr_coalesce *pr_coalesce_new(const struct pr_coalesce_limits *lim);
void pr_coalesce_free(struct pr_coalesce *c);
/* The rack's budget follows the plan: in flat mode every board the plan
 * has may turn up as "board.seen" in the same minute. */
void pr_coalesce_set_rack_budget(struct pr_coalesce *c, unsigned budget);
/* PR_COALESCE_RECORD: record this event as a row; PR_COALESCE_HOLD: it
 * was counted instead; -ENOMEM. */
int pr_coalesce_admit(struct pr_coalesce *c, unsigned slot, const char *kind, uint64_t now);
/* Hands out one held count whose window is over (every one when all):
 * 1 with *out filled, 0 when none. */
int pr_coalesce_due(struct pr_coalesce *c, uint64_t now, bool all, struct pr_coalesce_summary *out);

/* Writes the "events.coalesced" rows that are due (all of them when all,
 * as on close). */
void pr_store_flush_coalesced(struct pr_store *st, bool all);

struct pr_store {
    sqlite3 *db;
    struct pr_coalesce *coalesce;
    /* Set by events.c once it holds counts: writes them before the file
     * closes (a hook, so that store.c does not call into events.c). */
    void (*before_close)(struct pr_store *st);
    unsigned depth; /* nesting of pr_store_begin() */
    unsigned nstmts;
    struct pr_store_cached_stmt stmts[PR_STORE_STMT_MAX];
    char errmsg[512];
};

/* The cached statement for sql (a static string), reset and with its
 * bindings cleared.  Returns 0, or -EIO with the reason in errmsg. */
int pr_store_prepare(struct pr_store *st, const char *sql, sqlite3_stmt **out);

/* Sets errmsg from fmt and returns err (a negative errno). */
int pr_store_fail(struct pr_store *st, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The negative errno for a sqlite (extended) result code. */
int pr_store_errno(int extended_rc);
/* Maps the connection's last error to an errno and sets errmsg to
 * "what: sqlite's message".  Returns the errno. */
int pr_store_sqlfail(struct pr_store *st, const char *what);
/* Steps a statement that returns no rows and resets it.  Returns 0 or the
 * mapped error (with errmsg set from what). */
int pr_store_exec(struct pr_store *st, sqlite3_stmt *s, const char *what);

/* Binds text, or SQL NULL when text is NULL or "". */
int pr_store_bind_text_or_null(sqlite3_stmt *s, int idx, const char *text);
/* Copies column col as text into buf ("" for NULL), always terminated. */
void pr_store_column_text(sqlite3_stmt *s, int col, char *buf, size_t size);
/* Copies src into dst lower-cased; -EINVAL when it does not fit. */
int pr_store_lower(const char *src, char *dst, size_t size);

/* remediation.c: the slot's row; a slot without one gets zeros, step "none", phase
 * "idle" and returns 0 too.  -EIO when the store fails. */
int pr_store_remedy_get(struct pr_store *st, unsigned slot, struct pr_remedy_row *out);
/* Schema (schema.c). */
/* Reads PRAGMA user_version into *version.  Returns 0 or a sqlite code. */
int pr_store_schema_version(sqlite3 *db, int *version);
/* Applies the migrations that take the file from version from to version
 * to (from < to <= PR_STORE_SCHEMA_VERSION), inside the caller's
 * transaction, and sets user_version.  Returns 0, or -EIO with a reason. */
int pr_store_schema_migrate(sqlite3 *db, int from, int to, char *err, size_t errlen);

/* Key formats (keys.c), pure: the fuzzer drives them. */
/* 0 when id is "prk_" + 16 lower-case hex digits, else -EINVAL. */
int pr_key_id_check(const char *id);
/* 0 when secret has the prefix, the length and a checksum that matches,
 * else -EINVAL. */
int pr_key_secret_check(const char *secret);
/* Writes a fresh secret (PR_KEY_SECRET_LEN characters) from 20 bytes. */
void pr_key_secret_make(const unsigned char random[20], char out[PR_KEY_SECRET_LEN + 1]);

/* ---- from store.h: what only the store and its tests use ---- */
int pr_store_user_version(struct pr_store *st);
int pr_store_set_board_model(struct pr_store *st, const char *mac, const char *model);
/* Events: the append-only timeline of each slot and the audit log.  slot 0
 * is the rack.  detail_json is a JSON object's text or NULL.  Returns the
 * new event's id (> 0) or -errno. */
int64_t pr_store_add_event(struct pr_store *st, unsigned slot, const char *kind, const char *actor,
                           const char *detail_json);

#endif
