/* store schema: the DDL of each version and the migrations between them.
 *
 * A released version's DDL never changes: version N+1 is whatever turns a
 * version-N file into the new shape.  PRAGMA user_version says which
 * version a file holds; 0 is a new, empty file.
 *
 * The constraints carry the rules, so no code path can store a state the
 * rack cannot be in:
 *   - a board sits in at most one slot (boards.slot UNIQUE) and a slot
 *     holds at most one board; MACs and serials are unique and well formed;
 *   - no two slots share an address, a /64, an ssh port, an interface or a
 *     switch port;
 *   - every event, pi and power operation names a slot that exists (the
 *     rack's own events have slot NULL);
 *   - text columns are bounded by the fixed buffers of store.h's rows, so
 *     what is stored is always returned whole;
 *   - events are append-only: triggers refuse UPDATE, and DELETE except
 *     by retention (pr_store_prune_events(), which opens events_prune_gate
 *     for the length of its own transaction).  Since version 3 an event
 *     does not reference its slot by foreign key: a new event must name a
 *     slot that exists (a trigger checks), but a slot cut from the plan
 *     keeps its timeline.  Versions 1 and 2 cascaded that delete into the
 *     audit log.
 * Slot states are rows of slot_states (referenced by slots.state) rather
 * than a CHECK list, so that a later version adds a state with one INSERT
 * instead of rebuilding the slots table. */
#include <errno.h>
#include <stdio.h>
#include "store_internal.h"

/* A lower-case DNS label, as pr_plan_name_valid() says. */
/* SQL reads best laid out as SQL: */
/* clang-format off */
#define LABEL_CHECK(col) \
    "length(" col ") BETWEEN 1 AND 63 AND " col " NOT GLOB '*[^a-z0-9-]*' " \
    "AND " col " NOT GLOB '-*' AND " col " NOT GLOB '*-'"
/* At most n bytes (length() counts characters, not bytes). */
#define BYTES_MAX(col, n) "length(CAST(" col " AS BLOB)) <= " #n
#define HEX2 "[0-9a-f][0-9a-f]"

static const char schema_v1[] =
    "CREATE TABLE switches ("
    "  id   INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE CHECK (" LABEL_CHECK("name") "));"

    "CREATE TABLE slot_states ("
    "  name TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 15),"
    "  ord  INTEGER NOT NULL UNIQUE) WITHOUT ROWID;"
    "INSERT INTO slot_states (name, ord) VALUES"
    "  ('off', 0), ('powered', 1), ('dhcp', 2), ('firmware', 3),"
    "  ('kernel', 4), ('booted', 5), ('failed', 6);"

    /* Addresses are NULL only inside pr_store_sync_slots(), which clears
     * the ones that move before it writes the new ones, so that two slots
     * can trade addresses without a moment where both hold one. */
    "CREATE TABLE slots ("
    "  slot        INTEGER PRIMARY KEY CHECK (slot >= 1),"
    "  state       TEXT NOT NULL DEFAULT 'off' REFERENCES slot_states (name),"
    "  state_since INTEGER NOT NULL,"
    "  power       TEXT NOT NULL DEFAULT 'unknown'"
    "              CHECK (power IN ('on', 'off', 'unknown')),"
    "  v4_pi       TEXT UNIQUE CHECK (" BYTES_MAX("v4_pi", 15) "),"
    "  v4_host     TEXT UNIQUE CHECK (" BYTES_MAX("v4_host", 15) "),"
    "  v6_pi       TEXT UNIQUE CHECK (" BYTES_MAX("v6_pi", 45) "),"
    "  v6_prefix   TEXT UNIQUE CHECK (" BYTES_MAX("v6_prefix", 49) "),"
    "  ssh_port    INTEGER UNIQUE CHECK (ssh_port BETWEEN 1 AND 65535),"
    "  ifname      TEXT UNIQUE CHECK (length(ifname) BETWEEN 1 AND 15),"
    "  switch_id   INTEGER REFERENCES switches (id),"
    "  switch_port INTEGER CHECK (switch_port BETWEEN 1 AND 65535),"
    "  CHECK ((switch_id IS NULL) = (switch_port IS NULL)),"
    "  UNIQUE (switch_id, switch_port));"

    "CREATE TABLE boards ("
    "  id     INTEGER PRIMARY KEY,"
    "  mac    TEXT NOT NULL UNIQUE CHECK (mac GLOB '"
    HEX2 ":" HEX2 ":" HEX2 ":" HEX2 ":" HEX2 ":" HEX2 "'),"
    "  serial TEXT UNIQUE CHECK (length(serial) BETWEEN 8 AND 16"
    "         AND serial NOT GLOB '*[^0-9a-f]*'),"
    "  model  TEXT NOT NULL DEFAULT '' CHECK (" BYTES_MAX("model", 15) "),"
    "  slot   INTEGER UNIQUE REFERENCES slots (slot) ON DELETE SET NULL,"
    "  first_seen_ms INTEGER NOT NULL);"

    "CREATE TABLE customers ("
    "  id   INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE CHECK (" LABEL_CHECK("name") "),"
    "  created_ms INTEGER NOT NULL);"

    /* Only a 32-byte crypto_generichash of each token is kept. */
    "CREATE TABLE tokens ("
    "  id          INTEGER PRIMARY KEY,"
    "  customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,"
    "  hash        BLOB NOT NULL UNIQUE"
    "              CHECK (typeof(hash) = 'blob' AND length(hash) = 32),"
    "  created_ms  INTEGER NOT NULL);"

    "CREATE TABLE images ("
    "  id        INTEGER PRIMARY KEY,"
    "  name      TEXT NOT NULL UNIQUE CHECK (" LABEL_CHECK("name") "),"
    "  boot_path TEXT NOT NULL CHECK (substr(boot_path, 1, 1) = '/'"
    "            AND " BYTES_MAX("boot_path", 4095) "),"
    "  root_path TEXT NOT NULL CHECK (substr(root_path, 1, 1) = '/'"
    "            AND " BYTES_MAX("root_path", 4095) "),"
    "  created_ms INTEGER NOT NULL);"

    /* Every slot has a pi row (pr_store_sync_slots makes it with the
     * plan's default name), so one UNIQUE column holds every name the
     * rack answers to. */
    "CREATE TABLE pis ("
    "  slot   INTEGER PRIMARY KEY REFERENCES slots (slot) ON DELETE CASCADE,"
    "  name   TEXT NOT NULL UNIQUE CHECK (" LABEL_CHECK("name") "),"
    "  owner  TEXT REFERENCES customers (name) ON UPDATE CASCADE,"
    "  image  TEXT REFERENCES images (name) ON UPDATE CASCADE,"
    "  policy TEXT NOT NULL DEFAULT '' CHECK (" BYTES_MAX("policy", 31) "));"

    "CREATE TABLE events ("
    "  id      INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  time_ms INTEGER NOT NULL CHECK (time_ms > 0),"
    "  slot    INTEGER REFERENCES slots (slot) ON DELETE CASCADE,"
    "  kind    TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 31"
    "          AND kind NOT GLOB '*[^a-z0-9._-]*'),"
    "  actor   TEXT NOT NULL CHECK (length(actor) >= 1"
    "          AND " BYTES_MAX("actor", 63) "),"
    "  detail  TEXT CHECK (detail IS NULL OR (" BYTES_MAX("detail", 1023)
    "          AND json_valid(detail) AND json_type(detail) = 'object')));"
    "CREATE INDEX events_by_slot ON events (slot, id);"
    "CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN"
    "  SELECT RAISE(ABORT, 'events are append-only');"
    "END;"
    "CREATE TRIGGER events_no_delete BEFORE DELETE ON events"
    "  WHEN OLD.slot IS NULL OR EXISTS (SELECT 1 FROM slots WHERE slot = OLD.slot)"
    "BEGIN"
    "  SELECT RAISE(ABORT, 'events are append-only');"
    "END;";

/* Version 2: power operations are written before they start, so that a
 * restart finds those that were interrupted; a slot has at most one in
 * flight.  A finished operation is done or failed and has finished_ms, and
 * triggers keep it that way.  The policy's last resort gets its state. */
static const char schema_v2[] =
    "INSERT INTO slot_states (name, ord) VALUES ('quarantined', 7);"
    "CREATE TABLE power_ops ("
    "  id          INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  slot        INTEGER NOT NULL REFERENCES slots (slot) ON DELETE CASCADE,"
    "  action      TEXT NOT NULL CHECK (action IN ('on', 'off', 'cycle')),"
    "  phase       TEXT NOT NULL DEFAULT 'pending' CHECK (phase IN"
    "              ('pending', 'off-sent', 'holding', 'on-sent', 'done', 'failed')),"
    "  actor       TEXT NOT NULL CHECK (length(actor) >= 1"
    "              AND " BYTES_MAX("actor", 63) "),"
    "  created_ms  INTEGER NOT NULL,"
    "  updated_ms  INTEGER NOT NULL,"
    "  finished_ms INTEGER,"
    "  result      TEXT CHECK (" BYTES_MAX("result", 255) "),"
    "  CHECK ((finished_ms IS NULL) = (phase NOT IN ('done', 'failed'))));"
    "CREATE UNIQUE INDEX power_ops_one_in_flight ON power_ops (slot)"
    "  WHERE finished_ms IS NULL;"
    "CREATE TRIGGER power_ops_finished_stay BEFORE UPDATE ON power_ops"
    "  WHEN OLD.finished_ms IS NOT NULL BEGIN"
    "  SELECT RAISE(ABORT, 'power operation is already finished');"
    "END;";

/* Version 3: the audit log outlives the slots.  events is rebuilt without
 * its foreign key (SQLite cannot drop one in place), ids kept; a trigger
 * still refuses a new event for a slot that does not exist.  Deletes are
 * refused unless events_prune_gate holds a row, which only retention
 * writes, inside the transaction that prunes. */
static const char schema_v3[] =
    "CREATE TABLE events_v3 ("
    "  id      INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  time_ms INTEGER NOT NULL CHECK (time_ms > 0),"
    "  slot    INTEGER CHECK (slot IS NULL OR slot >= 1),"
    "  kind    TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 31"
    "          AND kind NOT GLOB '*[^a-z0-9._-]*'),"
    "  actor   TEXT NOT NULL CHECK (length(actor) >= 1"
    "          AND " BYTES_MAX("actor", 63) "),"
    "  detail  TEXT CHECK (detail IS NULL OR (" BYTES_MAX("detail", 1023)
    "          AND json_valid(detail) AND json_type(detail) = 'object')));"
    "INSERT INTO events_v3 (id, time_ms, slot, kind, actor, detail)"
    "  SELECT id, time_ms, slot, kind, actor, detail FROM events ORDER BY id;"
    /* Keeps AUTOINCREMENT's high-water mark: ids are never reused. */
    "UPDATE sqlite_sequence SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'events')"
    "  WHERE name = 'events_v3'"
    "  AND (SELECT seq FROM sqlite_sequence WHERE name = 'events') > seq;"
    "DROP TABLE events;"
    "ALTER TABLE events_v3 RENAME TO events;"
    "CREATE INDEX events_by_slot ON events (slot, id);"
    "CREATE INDEX events_by_time ON events (time_ms);"
    "CREATE TABLE events_prune_gate (open INTEGER PRIMARY KEY CHECK (open = 1));"
    "CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN"
    "  SELECT RAISE(ABORT, 'events are append-only');"
    "END;"
    "CREATE TRIGGER events_no_delete BEFORE DELETE ON events"
    "  WHEN NOT EXISTS (SELECT 1 FROM events_prune_gate)"
    "BEGIN"
    "  SELECT RAISE(ABORT, 'events are append-only');"
    "END;"
    "CREATE TRIGGER events_slot_exists BEFORE INSERT ON events"
    "  WHEN NEW.slot IS NOT NULL AND NOT EXISTS (SELECT 1 FROM slots WHERE slot = NEW.slot)"
    "BEGIN"
    "  SELECT RAISE(ABORT, 'no such slot');"
    "END;";

/* Version 4: customers act on their own pis through API keys.  A key's id
 * ("prk_" and 16 hex digits) is public; only a 32-byte crypto_generichash
 * of its secret is kept.  scopes is a bit set (read 1, power 2, provision
 * 4, keys 8); pis is "" (every pi of the customer) or a comma list of pi
 * names; expires_ms NULL means never; a revoked key keeps its row, so its
 * id stays in the audit log's actors.  An access token lives minutes and
 * is kept hashed too; it goes with its key.  A pi gains the SSH keys its
 * customer gave it and when it was provisioned (NULL: not a customer's
 * server); a slot a customer gave back needs_wipe until its root is wiped
 * (the images work), and is not handed out again before.  Idempotency keys remember a POST's answer for a day. */
static const char schema_v4[] =
    "CREATE TABLE api_keys ("
    "  id          TEXT PRIMARY KEY CHECK (length(id) = 20 AND id GLOB 'prk_*'"
    "              AND substr(id, 5) NOT GLOB '*[^0-9a-f]*'),"
    "  customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,"
    "  hash        BLOB NOT NULL CHECK (typeof(hash) = 'blob' AND length(hash) = 32),"
    "  scopes      INTEGER NOT NULL CHECK (scopes BETWEEN 1 AND 15),"
    "  pis         TEXT NOT NULL DEFAULT '' CHECK (" BYTES_MAX("pis", 1023) "),"
    "  created_ms  INTEGER NOT NULL,"
    "  expires_ms  INTEGER,"
    "  revoked_ms  INTEGER) WITHOUT ROWID;"
    "CREATE TABLE access_tokens ("
    "  hash       BLOB PRIMARY KEY CHECK (typeof(hash) = 'blob' AND length(hash) = 32),"
    "  key_id     TEXT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,"
    "  expires_ms INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX access_tokens_by_key ON access_tokens (key_id);"
    "ALTER TABLE pis ADD COLUMN ssh_keys TEXT NOT NULL DEFAULT ''"
    "  CHECK (" BYTES_MAX("ssh_keys", 16383) ");"
    "ALTER TABLE pis ADD COLUMN provisioned_ms INTEGER;"
    "ALTER TABLE pis ADD COLUMN needs_wipe INTEGER NOT NULL DEFAULT 0"
    "  CHECK (needs_wipe IN (0, 1));"
    "CREATE TABLE idempotency ("
    "  key_id     TEXT NOT NULL,"
    "  ikey       TEXT NOT NULL CHECK (length(ikey) BETWEEN 1 AND 255),"
    "  method     TEXT NOT NULL,"
    "  path       TEXT NOT NULL,"
    "  status     INTEGER NOT NULL,"
    "  body       TEXT NOT NULL,"
    "  location   TEXT NOT NULL DEFAULT '',"
    "  created_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (key_id, ikey)) WITHOUT ROWID;";

/* Version 5: images are content-addressed (sha names their directory
 * under [paths] images, shared by every name imported from the same
 * bytes), with their size, the board models their device trees support
 * and what they were imported from. */
static const char schema_v5[] =
    "ALTER TABLE images ADD COLUMN sha TEXT NOT NULL DEFAULT ''"
    "  CHECK (sha = '' OR (length(sha) = 64 AND sha NOT GLOB '*[^0-9a-f]*'));"
    "ALTER TABLE images ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0 CHECK (bytes >= 0);"
    "ALTER TABLE images ADD COLUMN models TEXT NOT NULL DEFAULT ''"
    "  CHECK (" BYTES_MAX("models", 63) ");"
    "ALTER TABLE images ADD COLUMN kind TEXT NOT NULL DEFAULT ''"
    "  CHECK (" BYTES_MAX("kind", 15) ");"
    "ALTER TABLE images ADD COLUMN source TEXT NOT NULL DEFAULT ''"
    "  CHECK (" BYTES_MAX("source", 4095) ");";

/* Version 6: reimages are written before they start, like power
 * operations, so a restart finishes those it interrupted; a slot has at
 * most one in flight. */
static const char schema_v6[] =
    "CREATE TABLE reimage_ops ("
    "  id          INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  slot        INTEGER NOT NULL REFERENCES slots (slot) ON DELETE CASCADE,"
    "  image       TEXT NOT NULL DEFAULT '' CHECK (" BYTES_MAX("image", 63) "),"
    "  undo        INTEGER NOT NULL DEFAULT 0 CHECK (undo IN (0, 1)),"
    "  phase       TEXT NOT NULL DEFAULT 'pending' CHECK (phase IN"
    "              ('pending', 'building', 'off-wait', 'switching', 'done', 'failed')),"
    "  actor       TEXT NOT NULL CHECK (length(actor) >= 1"
    "              AND " BYTES_MAX("actor", 63) "),"
    "  created_ms  INTEGER NOT NULL,"
    "  updated_ms  INTEGER NOT NULL,"
    "  finished_ms INTEGER,"
    "  result      TEXT CHECK (" BYTES_MAX("result", 255) "),"
    "  CHECK ((finished_ms IS NULL) = (phase NOT IN ('done', 'failed'))));"
    "CREATE UNIQUE INDEX reimage_ops_one_in_flight ON reimage_ops (slot)"
    "  WHERE finished_ms IS NULL;";

/* Version 7: the tokens table of the first ops tokens goes; customers
 * authenticate with API keys and access tokens (version 4), and nothing
 * ever wrote a row here. */
static const char schema_v7[] = "DROP TABLE tokens;";

/* Version 8: bring-up runs (pirack bringup): each slot's progress is
 * written as it moves, so an interrupted CLI or a restarted pirackd
 * resumes the run without redoing the slots it finished; was_mac is the
 * board the slot held when the run began, to tell moved and swapped
 * boards from new ones.  At most one run is unfinished. */
static const char schema_v8[] =
    "CREATE TABLE bringup_runs ("
    "  id          INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  slots       TEXT NOT NULL CHECK (" BYTES_MAX("slots", 255) "),"
    "  switch      TEXT NOT NULL DEFAULT '' CHECK (" BYTES_MAX("switch", 63) "),"
    "  actor       TEXT NOT NULL CHECK (length(actor) >= 1 AND " BYTES_MAX("actor", 63) "),"
    "  created_ms  INTEGER NOT NULL,"
    "  finished_ms INTEGER,"
    "  result      TEXT NOT NULL DEFAULT '' CHECK (" BYTES_MAX("result", 255) "));"
    "CREATE UNIQUE INDEX bringup_runs_one_running ON bringup_runs ((finished_ms IS NULL))"
    "  WHERE finished_ms IS NULL;"
    "CREATE TABLE bringup_slots ("
    "  run_id     INTEGER NOT NULL REFERENCES bringup_runs (id) ON DELETE CASCADE,"
    "  slot       INTEGER NOT NULL CHECK (slot >= 1),"
    "  phase      TEXT NOT NULL CHECK (" BYTES_MAX("phase", 15) "),"
    "  was_mac    TEXT NOT NULL DEFAULT '' CHECK (" BYTES_MAX("was_mac", 17) "),"
    "  mac        TEXT NOT NULL DEFAULT '' CHECK (" BYTES_MAX("mac", 17) "),"
    "  model      TEXT NOT NULL DEFAULT '' CHECK (" BYTES_MAX("model", 15) "),"
    "  serial     TEXT NOT NULL DEFAULT '' CHECK (" BYTES_MAX("serial", 16) "),"
    "  outcome    TEXT NOT NULL DEFAULT '' CHECK (" BYTES_MAX("outcome", 15) "),"
    "  from_slot  INTEGER NOT NULL DEFAULT 0,"
    "  detail     TEXT NOT NULL DEFAULT '' CHECK (" BYTES_MAX("detail", 255) "),"
    "  updated_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (run_id, slot)) WITHOUT ROWID;";

/* Version 9: health.  A Pi that answers its health probe is up, one that
 * stopped is unhealthy.  Each slot's remediation ladder is kept so that a
 * restart neither repeats a step that finished nor forgets one in flight:
 * the step's phase is pending (decided, not yet handed to the power or
 * image service) or running (handed over, its outcome awaited); times are
 * wall-clock ms. */
static const char schema_v9[] =
    "INSERT INTO slot_states (name, ord) VALUES ('up', 8), ('unhealthy', 9);"
    "CREATE TABLE remediation ("
    "  slot          INTEGER PRIMARY KEY REFERENCES slots (slot) ON DELETE CASCADE,"
    "  cycles        INTEGER NOT NULL DEFAULT 0 CHECK (cycles >= 0),"
    "  reimages      INTEGER NOT NULL DEFAULT 0 CHECK (reimages >= 0),"
    "  step          TEXT NOT NULL DEFAULT 'none' CHECK (step IN"
    "                ('none', 'cycle', 'reimage', 'quarantine')),"
    "  phase         TEXT NOT NULL DEFAULT 'idle' CHECK (phase IN"
    "                ('idle', 'pending', 'running')),"
    "  step_ms       INTEGER NOT NULL DEFAULT 0,"
    "  last_power_ms INTEGER NOT NULL DEFAULT 0,"
    "  healthy_ms    INTEGER NOT NULL DEFAULT 0,"
    "  CHECK ((step = 'none') = (phase = 'idle')));";

/* Version 10: the SSH host key fingerprints pirackd wrote into each
 * generation of a Pi's root, so the health probe can tell the Pi it
 * built from another machine answering on its address.  A generation's
 * keys stay while the generation does (undo brings them back); current
 * marks those of the generation the slot serves now. */
static const char schema_v10[] =
    "CREATE TABLE host_keys ("
    "  slot    INTEGER NOT NULL REFERENCES slots (slot) ON DELETE CASCADE,"
    "  gen     INTEGER NOT NULL CHECK (gen >= 1),"
    "  type    TEXT NOT NULL CHECK (length(type) >= 1 AND " BYTES_MAX("type", 15) "),"
    "  sha256  TEXT NOT NULL CHECK (sha256 GLOB 'SHA256:?*' AND " BYTES_MAX("sha256", 63) "),"
    "  current INTEGER NOT NULL DEFAULT 0 CHECK (current IN (0, 1)),"
    "  PRIMARY KEY (slot, gen, type)) WITHOUT ROWID;";
/* clang-format on */

/* migrations[N - 1] takes a file from version N - 1 to version N. */
static const char *const migrations[] = { schema_v1, schema_v2, schema_v3, schema_v4, schema_v5,
                                          schema_v6, schema_v7, schema_v8, schema_v9, schema_v10 };
_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == PR_STORE_SCHEMA_VERSION,
               "one migration per schema version");

int pr_store_schema_version(sqlite3 *db, int *version)
{
    sqlite3_stmt *s;
    int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *version = sqlite3_column_int(s, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(s);
    return rc;
}

/* Prepares and runs each statement of a script in turn. */
static int run_script(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
    while (*sql) {
        sqlite3_stmt *s = NULL;
        const char *tail = NULL;
        int rc = sqlite3_prepare_v2(db, sql, -1, &s, &tail);
        if (rc == SQLITE_OK && s) {
            while ((rc = sqlite3_step(s)) == SQLITE_ROW)
                ;
            if (rc == SQLITE_DONE)
                rc = SQLITE_OK;
        }
        sqlite3_finalize(s);
        if (rc != SQLITE_OK) {
            snprintf(err, errlen, "%s", sqlite3_errmsg(db));
            return -EIO;
        }
        sql = tail;
    }
    return 0;
}

static int set_user_version(sqlite3 *db, int version, char *err, size_t errlen)
{
    char sql[48];
    snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version);
    return run_script(db, sql, err, errlen);
}

int pr_store_schema_migrate(sqlite3 *db, int from, int to, char *err, size_t errlen)
{
    if (from < 0 || to > PR_STORE_SCHEMA_VERSION || from >= to) {
        snprintf(err, errlen, "no migration from schema version %d to %d", from, to);
        return -EINVAL;
    }
    for (int v = from + 1; v <= to; v++) {
        char why[256];
        if (run_script(db, migrations[v - 1], why, sizeof(why)) < 0) {
            snprintf(err, errlen, "migration to schema version %d failed: %s", v, why);
            return -EIO;
        }
    }
    return set_user_version(db, to, err, errlen);
}
