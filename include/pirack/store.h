/* store: every byte of state that outlives the process, in sqlite3 (WAL,
 * foreign keys, busy timeout, migrations by PRAGMA user_version).  Every
 * statement is prepared; only the loop's thread calls these functions.
 *
 * Errors: functions return 0 (or a positive id / count) on success and a
 * negative errno on failure; pr_store_errmsg() then says why in words an
 * operator understands (e.g. "board b8:27:eb:00:00:01 is already in slot 3").
 *   -ENOENT   no such row
 *   -EEXIST   a uniqueness constraint (board in two slots, one address twice)
 *   -EINVAL   a check or foreign-key constraint (event for no slot, bad state)
 *   -EIO      anything else sqlite reports
 * pr_store_open() also returns -EPROTO for a file whose schema is newer
 * than PR_STORE_SCHEMA_VERSION (it is left untouched) and -EINVAL for a
 * database that is not a pirack store. */
#ifndef PIRACK_STORE_H
#define PIRACK_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include "pirack/plan.h"

#define PR_STORE_SCHEMA_VERSION 2

struct pr_store;

/* Slot states: the boot timeline's steps (see boot.h). */
#define PR_STATE_MAX 16

struct pr_slot_row {
    unsigned slot;
    char state[PR_STATE_MAX]; /* off, powered, dhcp, firmware, kernel, booted, failed, ... */
    int64_t state_since;      /* unix ms */
    char v4_pi[INET_ADDRSTRLEN];
    char v4_host[INET_ADDRSTRLEN];
    char v6_pi[INET6_ADDRSTRLEN];
    char v6_prefix[INET6_ADDRSTRLEN + 4];
    unsigned ssh_port;
    char ifname[IF_NAMESIZE];
    char switch_name[PR_NAME_MAX]; /* "" when no switch serves it */
    unsigned switch_port;
    char power[8]; /* on, off, unknown */
    /* the board now in the slot, "" when none */
    char mac[18];
    char serial[17];
    char model[16];
    /* what the pi is for */
    char name[PR_NAME_MAX];
    char owner[PR_NAME_MAX];
    char image[PR_NAME_MAX];
    char policy[32];
};

struct pr_event_row {
    int64_t id;
    int64_t time_ms; /* unix ms */
    unsigned slot;   /* 0 = the rack itself */
    char kind[32];
    char actor[64];
    char detail[1024]; /* JSON object text */
};

struct pr_power_op {
    int64_t id;
    unsigned slot;
    char action[8]; /* on, off, cycle */
    char phase[16]; /* pending, off-sent, holding, on-sent, done, failed */
    char actor[64];
    int64_t created_ms;
};

int pr_store_open(const char *path, struct pr_store **out, char *err, size_t errlen);
void pr_store_close(struct pr_store *st); /* accepts NULL */
const char *pr_store_errmsg(const struct pr_store *st);

/* Transactions nest by counting; the outermost commit/rollback wins. */
int pr_store_begin(struct pr_store *st);
int pr_store_commit(struct pr_store *st);
int pr_store_rollback(struct pr_store *st);

/* Makes the slots table match the plan: creates missing slots with their
 * planned addresses, updates addresses that the plan changed, and deletes
 * slots past plan->slots (their events go with them).  One transaction. */
int pr_store_sync_slots(struct pr_store *st, const struct pr_plan *plan);
int pr_store_slot_count(struct pr_store *st);
int pr_store_get_slot(struct pr_store *st, unsigned slot, struct pr_slot_row *out);
typedef int (*pr_slot_cb)(const struct pr_slot_row *row, void *ctx);
/* Calls cb for each slot in order; a non-zero return stops and is returned. */
int pr_store_each_slot(struct pr_store *st, pr_slot_cb cb, void *ctx);
int pr_store_set_slot_state(struct pr_store *st, unsigned slot, const char *state);
int pr_store_set_slot_power(struct pr_store *st, unsigned slot, const char *power);
int pr_store_set_slot_switch(struct pr_store *st, unsigned slot, const char *sw, unsigned port);
typedef int (*pr_count_cb)(const char *key, unsigned count, void *ctx);
int pr_store_count_by_state(struct pr_store *st, pr_count_cb cb, void *ctx);

/* Boards.  mac is "aa:bb:cc:dd:ee:ff" (upper case is accepted and stored
 * lower case); serial is 8..16 hex digits or "".  Assigning a board moves
 * it out of any slot it was in only when move is true; otherwise a board in
 * another slot is -EEXIST.  The board that was in the slot before (if
 * another) is no longer in any slot: the new one is physically there.  A
 * NULL or "" serial and a NULL model leave what is known unchanged. */
int pr_store_assign_board(struct pr_store *st, unsigned slot, const char *mac, const char *serial,
                          const char *model, bool move);
int pr_store_set_board_serial(struct pr_store *st, const char *mac, const char *serial);
/* The slot that holds the board with this MAC, 0 when none, or -errno. */
int pr_store_slot_by_mac(struct pr_store *st, const char *mac);
/* Takes the board out of slot (the board stays known, in no slot) and
 * writes its MAC to mac (maclen >= 18; mac may be NULL).  -ENOENT when the
 * slot holds no board or does not exist. */
int pr_store_unassign_board(struct pr_store *st, unsigned slot, char *mac, size_t maclen);

/* Pis: what the board in a slot is for.  Every slot has a pi, named by
 * the plan's default (RACK-NNN) when pr_store_sync_slots() creates the
 * slot; renaming the rack later does not rename existing pis (their names
 * are in DNS).  A NULL argument leaves that field unchanged; "" clears
 * owner, image or policy.  owner must be a customer and image an image. */
int pr_store_set_pi(struct pr_store *st, unsigned slot, const char *name, const char *owner,
                    const char *image, const char *policy);

/* Records an event and logs it at debug level.  detail_fmt builds a JSON
 * object with jansson's json_pack format; NULL for none.  Never fails the
 * caller: a bad detail or a store error is logged.  Returns the id or -errno. */
int64_t pr_store_record(struct pr_store *st, unsigned slot, const char *kind, const char *actor,
                        const char *detail_fmt, ...);
/* The same for events that a packet caused (DHCP, TFTP, boot steps): past
 * a budget per slot and kind (64 a minute) and per slot (160 a minute;
 * the rack's grows with the plan) they are counted, and each minute's
 * count becomes one "events.coalesced" row (kind, count, first_ms,
 * last_ms).  Returns the id, 0 when the event was counted, or -errno. */
int64_t pr_store_record_packet(struct pr_store *st, unsigned slot, const char *kind,
                               const char *actor, const char *detail_fmt, ...);
typedef int (*pr_event_cb)(const struct pr_event_row *row, void *ctx);
/* Events with id > since_id, oldest first, for one slot (slot > 0), the
 * rack only (slot == 0 and rack_only), or all.  At most limit rows (0: no
 * limit).  -ENOENT when slot > 0 does not exist.  The callbacks of this
 * and the other pr_store_each_* run between pages of rows, so they may
 * call the store themselves. */
int pr_store_each_event(struct pr_store *st, unsigned slot, bool rack_only, int64_t since_id,
                        unsigned limit, pr_event_cb cb, void *ctx);
/* The id of the newest event ever recorded, 0 when none: ids are never
 * reused, so this counts every event the store has taken (also those of a
 * slot since cut from the plan).  -errno on failure. */
int64_t pr_store_last_event_id(struct pr_store *st);

/* Power operations are written before they start, so a restart finds the
 * ones that were interrupted.  A slot has at most one unfinished
 * operation (-EEXIST for a second).  phase moves between pending,
 * off-sent, holding and on-sent; finish ends it as done or failed, and a
 * finished operation never changes again (-EINVAL). */
int64_t pr_store_power_op_begin(struct pr_store *st, unsigned slot, const char *action,
                                const char *actor);
int pr_store_power_op_phase(struct pr_store *st, int64_t id, const char *phase);
int pr_store_power_op_finish(struct pr_store *st, int64_t id, bool ok, const char *result);
typedef int (*pr_power_op_cb)(const struct pr_power_op *op, void *ctx);
int pr_store_each_unfinished_power_op(struct pr_store *st, pr_power_op_cb cb, void *ctx);

/* Unix milliseconds (wall clock), as stored in events. */
int64_t pr_store_now_ms(void);

#endif
