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
#include <stddef.h>
#include <stdint.h>
#include "pirack/plan.h"

#define PR_STORE_SCHEMA_VERSION 10

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
 * slots past plan->slots (their pis and power operations go with them,
 * their boards stay known in no slot, their events stay in the audit
 * log).  One transaction.  Callers that must not lose a slot in use ask
 * pr_store_slots_in_use() first. */
int pr_store_sync_slots(struct pr_store *st, const struct pr_plan *plan);

/* What the slots past keep hold, so that cutting them is a decision. */
struct pr_store_slot_use {
    unsigned last_slot; /* the highest slot in the store, 0 when none */
    unsigned boards;    /* boards sitting in slots past keep */
    unsigned pis;       /* pis past keep with an owner or an image */
    unsigned events;    /* events of slots past keep */
};
/* Fills out; returns 0 or -errno. */
int pr_store_slots_in_use(struct pr_store *st, unsigned keep, struct pr_store_slot_use *out);
/* True when cutting the slots past keep would drop something in use. */
bool pr_store_slot_use_any(const struct pr_store_slot_use *use);
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
/* The board whose serial ends in these hex digits (the firmware names
 * only the low 32 bits): its MAC into mac (>= 18 bytes) and its slot
 * (0 when in none); -ENOENT when no board has it. */
int pr_store_board_by_serial(struct pr_store *st, const char *serial, char *mac, size_t maclen);
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
/* Retention: deletes the events recorded before now_ms - max_age_ms
 * (max_age_ms 0: no age limit), then all but the newest max_count
 * (0: no limit).  The only way an event is ever deleted.  Returns how
 * many were deleted, or -errno. */
int64_t pr_store_prune_events(struct pr_store *st, int64_t now_ms, uint64_t max_age_ms,
                              uint64_t max_count);
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

/* Customers and their API keys (keys.c).  A customer is a lower-case DNS
 * label.  Removing one that still owns pis is -EBUSY; its keys go with it. */
int pr_store_add_customer(struct pr_store *st, const char *name);
int pr_store_remove_customer(struct pr_store *st, const char *name);
struct pr_customer_row {
    char name[PR_NAME_MAX];
    int64_t created_ms;
    unsigned pis;  /* pis it owns */
    unsigned keys; /* keys neither revoked nor expired */
};
typedef int (*pr_customer_cb)(const struct pr_customer_row *row, void *ctx);
int pr_store_each_customer(struct pr_store *st, pr_customer_cb cb, void *ctx);

/* Scopes: what a key (and every access token made from it) may do. */
#define PR_SCOPE_READ 1u      /* see the customer's pis, models, images */
#define PR_SCOPE_POWER 2u     /* power on, off, cycle, reboot */
#define PR_SCOPE_PROVISION 4u /* provision and unprovision servers */
#define PR_SCOPE_KEYS 8u      /* a server's SSH keys */
#define PR_SCOPE_ALL 15u
/* "read,power" to bits (0 and *bits set) or -EINVAL ("" is -EINVAL). */
int pr_scopes_parse(const char *text, unsigned *bits);
/* Bits to "read,power,provision,keys" order; out >= 32 bytes. */
void pr_scopes_format(unsigned bits, char *out, size_t len);

/* A key's id is "prk_" + 16 hex digits, public; its secret is "prs_" + 40
 * hex digits + an 8-hex-digit checksum of them, so that a typo is told
 * apart from a wrong secret without asking the store and a leaked secret
 * is easy to recognise.  Only a hash of the secret is stored. */
#define PR_KEY_ID_LEN 20
#define PR_KEY_SECRET_LEN 52
#define PR_KEY_PIS_MAX 1024
struct pr_key_row {
    char id[PR_KEY_ID_LEN + 1];
    char customer[PR_NAME_MAX];
    unsigned scopes;
    char pis[PR_KEY_PIS_MAX]; /* "" = every pi of the customer */
    int64_t created_ms;
    int64_t expires_ms; /* 0 = never */
    int64_t revoked_ms; /* 0 = not revoked */
};
/* Makes a key for customer: scopes (non-zero bits of PR_SCOPE_ALL),
 * expires_ms (0 never), pis ("" or NULL for all, else a comma list of pi
 * names, which need not exist yet).  Writes the id and the secret (the
 * only time it exists in the clear).  -ENOENT no such customer, -EINVAL. */
int pr_store_create_key(struct pr_store *st, const char *customer, unsigned scopes,
                        int64_t expires_ms, const char *pis, char id[PR_KEY_ID_LEN + 1],
                        char secret[PR_KEY_SECRET_LEN + 1]);
typedef int (*pr_key_cb)(const struct pr_key_row *row, void *ctx);
/* Every key (customer NULL) or one customer's, oldest first. */
int pr_store_each_key(struct pr_store *st, const char *customer, pr_key_cb cb, void *ctx);
int pr_store_get_key(struct pr_store *st, const char *id, struct pr_key_row *out);
/* Revokes at once: the key and every access token made from it stop
 * working.  -ENOENT unknown, -EALREADY already revoked. */
int pr_store_revoke_key(struct pr_store *st, const char *id);

/* Who a customer request acts as: the key behind it. */
struct pr_principal {
    char key_id[PR_KEY_ID_LEN + 1];
    char customer[PR_NAME_MAX];
    unsigned scopes;
    char pis[PR_KEY_PIS_MAX];
};
/* Checks a key id and secret at now_ms (constant-time compare of the
 * secret's hash).  0 and *out, or -EACCES with the reason in errmsg
 * (unknown key, wrong secret, malformed secret, expired, revoked). */
int pr_store_key_login(struct pr_store *st, const char *id, const char *secret, int64_t now_ms,
                       struct pr_principal *out);
/* A new access token for key id, valid ttl_ms from now_ms; stored hashed.
 * Expired tokens are deleted on the way. */
#define PR_ACCESS_TOKEN_LEN 47 /* "pat_" + 43 base64url */
int pr_store_issue_access_token(struct pr_store *st, const char *key_id, int64_t now_ms,
                                int64_t ttl_ms, char token[PR_ACCESS_TOKEN_LEN + 1]);
/* The principal of a bearer token at now_ms, checked against its key's
 * expiry and revocation every time.  -EACCES with the reason, else 0. */
int pr_store_check_access_token(struct pr_store *st, const char *token, int64_t now_ms,
                                struct pr_principal *out);
/* Whether the principal's key may touch the pi called name (its pis list
 * is empty or names it).  Ownership is the store queries' business. */
bool pr_principal_allows_pi(const struct pr_principal *p, const char *name);

/* The tenant filter (tenant.c): a customer sees only the pis it owns.
 * Another customer's pi, or one that does not exist, is -ENOENT alike. */
int pr_store_each_customer_pi(struct pr_store *st, const char *customer, pr_slot_cb cb, void *ctx);
int pr_store_get_customer_pi(struct pr_store *st, const char *customer, const char *name,
                             struct pr_slot_row *out);
/* A pi's SSH keys ("" none), for its owner only; keys is at most 16383
 * bytes of "k1\nk2".  -ENOENT when not customer's. */
#define PR_SSH_KEYS_MAX 16384
int pr_store_get_ssh_keys(struct pr_store *st, const char *customer, const char *name, char *keys,
                          size_t len);
int pr_store_set_ssh_keys(struct pr_store *st, const char *customer, const char *name,
                          const char *keys);
/* Provisioning: hands the free slot (no owner, not waiting for a wipe, a
 * board whose model matches the GLOB model_glob) with the lowest number to
 * customer under name, with ssh keys and image ("" none).  Returns the
 * slot, -ENOSPC when no such slot is free, -EEXIST when name is taken (by
 * any pi).  Unprovisioning gives the slot back to the rack under its
 * default name, marked as needing a wipe; returns the slot, -ENOENT when
 * the pi is not customer's. */
int pr_store_provision(struct pr_store *st, const char *customer, const char *name,
                       const char *model_glob, const char *ssh_keys, const char *image);
int pr_store_unprovision(struct pr_store *st, const char *customer, const char *name,
                         const char *default_name);
/* The slots given back that wait for their root to be wiped (cb gets
 * each; non-zero stops), and the end of that wait. */
typedef int (*pr_wipe_cb)(unsigned slot, void *ctx);
int pr_store_each_needs_wipe(struct pr_store *st, pr_wipe_cb cb, void *ctx);
int pr_store_set_wiped(struct pr_store *st, unsigned slot);

/* Idempotency keys (idempotency.c): the first answer to a key's POST with
 * an Idempotency-Key header, kept 24 hours.  get: 0 and *out, -ENOENT
 * when unknown (or older than a day), -EEXIST when the key was used for
 * another method or path.  put keeps the first answer. */
struct pr_idempotent {
    unsigned status;
    char body[4096];
    char location[256];
};
int pr_store_idempotent_get(struct pr_store *st, const char *key_id, const char *ikey,
                            const char *method, const char *path, int64_t now_ms,
                            struct pr_idempotent *out);
int pr_store_idempotent_put(struct pr_store *st, const char *key_id, const char *ikey,
                            const char *method, const char *path, int64_t now_ms,
                            const struct pr_idempotent *answer);

/* Images: a name for an imported boot tree and root tree.  Images are
 * content-addressed: sha (hex SHA-256 of what was imported) names their
 * directory, which several names may share.  An image is immutable: a new
 * import is a new name.  in_use counts the pis that name it. */
struct pr_image_row {
    char name[PR_NAME_MAX];
    char sha[65];
    char boot_path[4096];
    char root_path[4096];
    int64_t bytes;
    char models[64]; /* "3b,3b+,4b": what its device trees support */
    char kind[16];   /* disk, disk.xz, tar, dir */
    char source[4096];
    int64_t created_ms;
    unsigned in_use;
};
/* -EEXIST when the name is taken, -EINVAL for a bad name or paths. */
int pr_store_add_image(struct pr_store *st, const struct pr_image_row *row);
int pr_store_get_image(struct pr_store *st, const char *name, struct pr_image_row *out);
typedef int (*pr_image_cb)(const struct pr_image_row *row, void *ctx);
/* In name order. */
int pr_store_each_image(struct pr_store *st, pr_image_cb cb, void *ctx);
/* -ENOENT when there is no such image, -EBUSY while a pi names it.
 * Writes how many images (other names) still share its sha to
 * *sha_left, so the caller knows whether its directory may go. */
int pr_store_remove_image(struct pr_store *st, const char *name, unsigned *sha_left);

/* Reimages, written before they start (as power operations are): a slot
 * has at most one unfinished (-EEXIST for a second).  image "" means the
 * pi's own image; undo goes back to the previous generation. */
struct pr_reimage_op {
    int64_t id;
    unsigned slot;
    char image[PR_NAME_MAX];
    bool undo;
    char phase[16]; /* pending, building, off-wait, switching, done, failed */
    char actor[64];
    int64_t created_ms, finished_ms;
    char result[256];
};
int64_t pr_store_reimage_begin(struct pr_store *st, unsigned slot, const char *image, bool undo,
                               const char *actor);
int pr_store_reimage_phase(struct pr_store *st, int64_t id, const char *phase);
int pr_store_reimage_finish(struct pr_store *st, int64_t id, bool ok, const char *result);
/* The slot's newest reimage, finished or not; -ENOENT when none. */
int pr_store_reimage_last(struct pr_store *st, unsigned slot, struct pr_reimage_op *out);
typedef int (*pr_reimage_cb)(const struct pr_reimage_op *op, void *ctx);
int pr_store_each_unfinished_reimage(struct pr_store *st, pr_reimage_cb cb, void *ctx);

/* Bring-up runs (bringup.c): one unfinished at most (-EEXIST for a
 * second).  begin writes the run and one row per slot in phase
 * "pending", with the MAC of the board each slot holds now (was_mac).
 * The health service moves the rows on; the API reads them. */
struct pr_bringup_run {
    int64_t id;
    char slots[256];
    char sw[PR_NAME_MAX];
    char actor[64];
    int64_t created_ms, finished_ms; /* finished_ms 0 while it runs */
    char result[256];
};
struct pr_bringup_slot {
    unsigned slot;
    char phase[16];
    char was_mac[18], mac[18];
    char model[16];
    char serial[17];
    char outcome[16];
    unsigned from_slot;
    char detail[256];
    int64_t updated_ms;
};
int64_t pr_store_bringup_begin(struct pr_store *st, const char *slots, const char *sw,
                               const char *actor, const unsigned *list, size_t n);
/* The run id, or the newest when id is 0; -ENOENT when none. */
int pr_store_bringup_get(struct pr_store *st, int64_t id, struct pr_bringup_run *out);
/* The unfinished run; -ENOENT when none. */
int pr_store_bringup_running(struct pr_store *st, struct pr_bringup_run *out);
typedef int (*pr_bringup_slot_cb)(const struct pr_bringup_slot *row, void *ctx);
/* The run's slots in slot order. */
int pr_store_bringup_each_slot(struct pr_store *st, int64_t id, pr_bringup_slot_cb cb, void *ctx);
/* Writes a slot's row (phase, mac, model, serial, outcome, from_slot, detail). */
int pr_store_bringup_put_slot(struct pr_store *st, int64_t id, const struct pr_bringup_slot *row);
int pr_store_bringup_finish(struct pr_store *st, int64_t id, const char *result);

/* Unix milliseconds (wall clock), as stored in events. */
int64_t pr_store_now_ms(void);

/* ---- remediation (store/remediation.c): each slot's ladder ---- */

struct pr_remedy_row {
    unsigned slot;
    unsigned cycles;       /* automatic power-cycles since the last reset */
    unsigned reimages;     /* automatic reimages since the last reset */
    char step[16];         /* "none", "cycle", "reimage", "quarantine" */
    char phase[16];        /* "idle", "pending", "running" */
    int64_t step_ms;       /* when the step was decided (wall clock) */
    int64_t last_power_ms; /* the last automatic power action */
    int64_t healthy_ms;    /* up since (0: not up) */
};
/* Writes the row whole.  -EINVAL a bad step or phase, or no such slot. */
int pr_store_remedy_put(struct pr_store *st, const struct pr_remedy_row *row);
typedef int (*pr_remedy_cb)(const struct pr_remedy_row *row, void *ctx);
/* Each stored row, by slot. */
int pr_store_each_remedy(struct pr_store *st, pr_remedy_cb cb, void *ctx);

/* ---- host keys (store/hostkeys.c): the SSH host key fingerprints
 * pirackd wrote into each generation of a Pi's root ---- */

#define PR_HOSTKEYS_MAX 4

struct pr_hostkey {
    char type[16];   /* "ed25519", "ecdsa" (ssh-keygen -t) */
    char sha256[64]; /* "SHA256:..." as ssh-keygen -l shows */
};
/* Records the keys of generation gen of slot's root (replacing any). */
int pr_store_hostkeys_record(struct pr_store *st, unsigned slot, unsigned gen,
                             const struct pr_hostkey *keys, size_t n);
/* Generation gen is the one slot serves now (0: none): its keys become
 * those the health probe expects. */
int pr_store_hostkeys_current(struct pr_store *st, unsigned slot, unsigned gen);
/* Forgets the keys of slot's generations but keep_a and keep_b (0: none),
 * as their roots go. */
int pr_store_hostkeys_keep(struct pr_store *st, unsigned slot, unsigned keep_a, unsigned keep_b);
/* The keys of slot's current generation, at most max: how many (0 when
 * none were recorded), or -errno. */
int pr_store_hostkeys_get(struct pr_store *st, unsigned slot, struct pr_hostkey *out, size_t max);

#endif
