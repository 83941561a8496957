/* store boards and pis: which board (MAC, serial, model) is in which slot,
 * and what the pi in each slot is for (name, owner, image, policy).
 *
 * The schema's constraints decide what may be stored; the code here only
 * finds the words for a refusal (which board, which slot). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "store_internal.h"

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* "aa:bb:cc:dd:ee:ff", lower case, as boards.mac's CHECK demands. */
static bool mac_valid(const char *mac)
{
    if (strlen(mac) != 17)
        return false;
    for (int i = 0; i < 17; i++)
        if (i % 3 == 2 ? mac[i] != ':' : !is_hex(mac[i]))
            return false;
    return true;
}

static bool serial_valid(const char *serial)
{
    size_t n = strlen(serial);
    for (size_t i = 0; i < n; i++)
        if (!is_hex(serial[i]))
            return false;
    return n >= 8 && n <= 16;
}

/* Lower-cases a MAC into buf; -EINVAL with a message when malformed. */
static int normal_mac(struct pr_store *st, const char *mac, char buf[18])
{
    if (!mac || pr_store_lower(mac, buf, 18) < 0 || !mac_valid(buf))
        return pr_store_fail(st, -EINVAL, "'%.40s' is not a MAC address (aa:bb:cc:dd:ee:ff)",
                             mac ? mac : "(null)");
    return 0;
}

/* Lower-cases a serial into buf (NULL stays NULL, "" stays ""). */
static int normal_serial(struct pr_store *st, const char *serial, char buf[17], const char **out)
{
    *out = NULL;
    if (!serial)
        return 0;
    if (pr_store_lower(serial, buf, 17) < 0 || (*buf && !serial_valid(buf)))
        return pr_store_fail(st, -EINVAL, "'%.40s' is not a board serial (8 to 16 hex digits)",
                             serial);
    *out = buf;
    return 0;
}

/* One integer from a one-row query with one text parameter; 0 when no row
 * or NULL. */
static int lookup_int(struct pr_store *st, const char *sql, const char *key)
{
    sqlite3_stmt *s;
    int value = 0;
    if (pr_store_prepare(st, sql, &s) < 0)
        return 0;
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW)
        value = sqlite3_column_int(s, 0);
    sqlite3_reset(s);
    return value;
}

static const char SQL_SLOT_OF_MAC[] = "SELECT slot FROM boards WHERE mac = ?1";
static const char SQL_MAC_OF_SERIAL[] = "SELECT id FROM boards WHERE serial = ?1";
static const char SQL_MAC_OF_ID[] = "SELECT mac FROM boards WHERE id = ?1";

static int serial_taken(struct pr_store *st, const char *serial)
{
    char mac[18] = "?";
    sqlite3_stmt *s;
    int id = lookup_int(st, SQL_MAC_OF_SERIAL, serial);
    if (pr_store_prepare(st, SQL_MAC_OF_ID, &s) == 0) {
        sqlite3_bind_int(s, 1, id);
        if (sqlite3_step(s) == SQLITE_ROW)
            pr_store_column_text(s, 0, mac, sizeof(mac));
        sqlite3_reset(s);
    }
    return pr_store_fail(st, -EEXIST, "serial %s belongs to board %s", serial, mac);
}

/* The slot's board makes way: the board being assigned is the one that is
 * physically there now. */
static const char SQL_VACATE[] = "UPDATE boards SET slot = NULL WHERE slot = ?1 AND mac <> ?2";
/* A serial or model that is NULL leaves what the store knows unchanged. */
static const char SQL_PLACE_BOARD[] =
    "INSERT INTO boards (mac, serial, model, slot, first_seen_ms)"
    " VALUES (?1, ?2, coalesce(?3, ''), ?4, ?5)"
    " ON CONFLICT (mac) DO UPDATE SET slot = excluded.slot,"
    " serial = coalesce(excluded.serial, serial), model = coalesce(?3, model)";

static int place_board(struct pr_store *st, unsigned slot, const char *mac, const char *serial,
                       const char *model, bool move)
{
    int cur = lookup_int(st, SQL_SLOT_OF_MAC, mac);
    if (cur > 0 && (unsigned)cur != slot && !move)
        return pr_store_fail(st, -EEXIST, "board %s is already in slot %d", mac, cur);
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, SQL_VACATE, &s);
    if (err < 0)
        return err;
    sqlite3_bind_int64(s, 1, slot);
    sqlite3_bind_text(s, 2, mac, -1, SQLITE_STATIC);
    if ((err = pr_store_exec(st, s, "vacating a slot")) < 0 ||
        (err = pr_store_prepare(st, SQL_PLACE_BOARD, &s)) < 0)
        return err;
    sqlite3_bind_text(s, 1, mac, -1, SQLITE_STATIC);
    pr_store_bind_text_or_null(s, 2, serial);
    pr_store_bind_text_or_null(s, 3, model);
    sqlite3_bind_int64(s, 4, slot);
    sqlite3_bind_int64(s, 5, pr_store_now_ms());
    err = pr_store_exec(st, s, "placing a board");
    if (err == -EEXIST && serial && *serial)
        return serial_taken(st, serial);
    if (err == -EINVAL && model && strlen(model) > 15)
        return pr_store_fail(st, err, "model '%.40s' is longer than 15 bytes", model);
    if (err == -EINVAL)
        return pr_store_fail(st, err, "no slot %u", slot);
    return err;
}

int pr_store_assign_board(struct pr_store *st, unsigned slot, const char *mac, const char *serial,
                          const char *model, bool move)
{
    char macbuf[18], serialbuf[17];
    int err = normal_mac(st, mac, macbuf);
    if (err == 0)
        err = normal_serial(st, serial, serialbuf, &serial);
    if (err == 0)
        err = pr_store_begin(st);
    if (err < 0)
        return err;
    if ((err = place_board(st, slot, macbuf, serial, model, move)) < 0) {
        pr_store_rollback(st);
        return err;
    }
    return pr_store_commit(st);
}

static const char SQL_SET_SERIAL[] = "UPDATE boards SET serial = ?2 WHERE mac = ?1";

int pr_store_set_board_serial(struct pr_store *st, const char *mac, const char *serial)
{
    char macbuf[18], serialbuf[17];
    sqlite3_stmt *s;
    int err = normal_mac(st, mac, macbuf);
    if (err == 0)
        err = normal_serial(st, serial ? serial : "", serialbuf, &serial);
    if (err == 0)
        err = pr_store_prepare(st, SQL_SET_SERIAL, &s);
    if (err < 0)
        return err;
    sqlite3_bind_text(s, 1, macbuf, -1, SQLITE_STATIC);
    pr_store_bind_text_or_null(s, 2, serial);
    err = pr_store_exec(st, s, "setting a board's serial");
    if (err == -EEXIST)
        return serial_taken(st, serial);
    if (err == 0 && sqlite3_changes(st->db) == 0)
        return pr_store_fail(st, -ENOENT, "no board %s", macbuf);
    return err;
}

static const char SQL_SET_MODEL[] = "UPDATE boards SET model = ?2 WHERE mac = ?1";

int pr_store_set_board_model(struct pr_store *st, const char *mac, const char *model)
{
    char macbuf[18];
    sqlite3_stmt *s;
    int err = normal_mac(st, mac, macbuf);
    if (err == 0)
        err = pr_store_prepare(st, SQL_SET_MODEL, &s);
    if (err < 0)
        return err;
    sqlite3_bind_text(s, 1, macbuf, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, model ? model : "", -1, SQLITE_STATIC);
    err = pr_store_exec(st, s, "setting a board's model");
    if (err == -EINVAL)
        return pr_store_fail(st, err, "model '%.40s' is longer than 15 bytes", model);
    if (err == 0 && sqlite3_changes(st->db) == 0)
        return pr_store_fail(st, -ENOENT, "no board %s", macbuf);
    return err;
}

int pr_store_slot_by_mac(struct pr_store *st, const char *mac)
{
    char macbuf[18];
    int err = normal_mac(st, mac, macbuf);
    return err < 0 ? err : lookup_int(st, SQL_SLOT_OF_MAC, macbuf);
}

/* NULL leaves a field as it is; "" clears owner, image and policy. */
static const char SQL_SET_PI[] = "UPDATE pis SET name = coalesce(?2, name),"
                                 " owner = CASE WHEN ?3 IS NULL THEN owner ELSE nullif(?3, '') END,"
                                 " image = CASE WHEN ?4 IS NULL THEN image ELSE nullif(?4, '') END,"
                                 " policy = coalesce(?5, policy) WHERE slot = ?1";
static const char SQL_SLOT_OF_PI[] = "SELECT slot FROM pis WHERE name = ?1";
static const char SQL_CUSTOMER_EXISTS[] = "SELECT 1 FROM customers WHERE name = ?1";
static const char SQL_IMAGE_EXISTS[] = "SELECT 1 FROM images WHERE name = ?1";

/* Says which of set_pi's fields a check or foreign key refused. */
static int pi_refused(struct pr_store *st, const char *name, const char *owner, const char *image,
                      const char *policy)
{
    if (name && !pr_plan_name_valid(name))
        return pr_store_fail(st, -EINVAL,
                             "'%.70s' is not a pi name (a lower-case DNS "
                             "label: a-z, 0-9, '-', at most 63)",
                             name);
    if (owner && *owner && !lookup_int(st, SQL_CUSTOMER_EXISTS, owner))
        return pr_store_fail(st, -EINVAL, "no customer '%.70s'", owner);
    if (image && *image && !lookup_int(st, SQL_IMAGE_EXISTS, image))
        return pr_store_fail(st, -EINVAL, "no image '%.70s'", image);
    if (policy && strlen(policy) > 31)
        return pr_store_fail(st, -EINVAL, "policy '%.70s' is longer than 31 bytes", policy);
    return -EINVAL; /* errmsg keeps sqlite's words */
}

int pr_store_set_pi(struct pr_store *st, unsigned slot, const char *name, const char *owner,
                    const char *image, const char *policy)
{
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, SQL_SET_PI, &s);
    if (err < 0)
        return err;
    sqlite3_bind_int64(s, 1, slot);
    if (name)
        sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
    if (owner)
        sqlite3_bind_text(s, 3, owner, -1, SQLITE_STATIC);
    if (image)
        sqlite3_bind_text(s, 4, image, -1, SQLITE_STATIC);
    if (policy)
        sqlite3_bind_text(s, 5, policy, -1, SQLITE_STATIC);
    err = pr_store_exec(st, s, "setting a pi");
    if (err == -EEXIST)
        return pr_store_fail(st, err, "the pi in slot %d is already called %s",
                             lookup_int(st, SQL_SLOT_OF_PI, name), name);
    if (err == -EINVAL)
        return pi_refused(st, name, owner, image, policy);
    if (err == 0 && sqlite3_changes(st->db) == 0)
        return pr_store_fail(st, -ENOENT, "no slot %u", slot);
    return err;
}

static const char SQL_MAC_IN_SLOT[] = "SELECT mac FROM boards WHERE slot = ?1";
static const char SQL_UNASSIGN[] = "UPDATE boards SET slot = NULL WHERE slot = ?1";

int pr_store_unassign_board(struct pr_store *st, unsigned slot, char *mac, size_t maclen)
{
    char found[18] = "";
    sqlite3_stmt *s;
    int rc, err = pr_store_prepare(st, SQL_MAC_IN_SLOT, &s);
    if (err < 0)
        return err;
    sqlite3_bind_int64(s, 1, slot);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        pr_store_column_text(s, 0, found, sizeof(found));
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return pr_store_sqlfail(st, "finding the board in a slot");
    if (!found[0])
        return pr_store_fail(st, -ENOENT, "slot %u holds no board", slot);
    if ((err = pr_store_prepare(st, SQL_UNASSIGN, &s)) < 0)
        return err;
    sqlite3_bind_int64(s, 1, slot);
    if ((err = pr_store_exec(st, s, "taking a board out of a slot")) < 0)
        return err;
    if (mac && maclen > 0)
        snprintf(mac, maclen, "%s", found);
    return 0;
}

/* The serial as stored, or a longer one that ends in it. */
static const char SQL_BY_SERIAL[] = "SELECT mac, coalesce(slot, 0) FROM boards"
                                    " WHERE serial = ?1 OR serial LIKE '%' || ?1 LIMIT 1";

int pr_store_board_by_serial(struct pr_store *st, const char *serial, char *mac, size_t maclen)
{
    char buf[17];
    const char *norm;
    sqlite3_stmt *s;
    int rc, err = normal_serial(st, serial, buf, &norm);

    if (err == 0 && (!norm || !*norm))
        err = pr_store_fail(st, -EINVAL, "no serial");
    if (err == 0)
        err = pr_store_prepare(st, SQL_BY_SERIAL, &s);
    if (err < 0)
        return err;
    sqlite3_bind_text(s, 1, norm, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        pr_store_column_text(s, 0, mac, maclen);
        err = sqlite3_column_int(s, 1);
    } else {
        err = rc == SQLITE_DONE ? pr_store_fail(st, -ENOENT, "no board has serial %s", norm)
                                : pr_store_sqlfail(st, "finding a board by serial");
    }
    sqlite3_reset(s);
    return err;
}
