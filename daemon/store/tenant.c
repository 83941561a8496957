/* store tenant: the customer's view of the rack.  Every query here names
 * the customer, so a customer's request can reach only the pis it owns:
 * another customer's pi and a pi that does not exist are the same
 * -ENOENT, and a name cannot be probed. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "store_internal.h"

static const char SQL_CUSTOMER_SLOTS[] =
    "SELECT slot FROM pis WHERE owner = ?1 AND slot > ?2 ORDER BY slot LIMIT 32";

int pr_store_each_customer_pi(struct pr_store *st, const char *customer, pr_slot_cb cb, void *ctx)
{
    unsigned slots[PR_STORE_PAGE];
    unsigned after = 0;

    for (;;) {
        sqlite3_stmt *s;
        size_t n = 0;
        int rc = SQLITE_DONE;
        int err = pr_store_prepare(st, SQL_CUSTOMER_SLOTS, &s);
        if (err < 0)
            return err;
        sqlite3_bind_text(s, 1, customer, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 2, (int)after);
        while (n < PR_STORE_PAGE && (rc = sqlite3_step(s)) == SQLITE_ROW)
            slots[n++] = (unsigned)sqlite3_column_int(s, 0);
        sqlite3_reset(s);
        if (n < PR_STORE_PAGE && rc != SQLITE_DONE)
            return pr_store_sqlfail(st, "listing a customer's pis");
        for (size_t i = 0; i < n; i++) {
            struct pr_slot_row row;
            err = pr_store_get_slot(st, slots[i], &row);
            if (err == 0)
                err = cb(&row, ctx);
            if (err)
                return err;
        }
        if (n < PR_STORE_PAGE)
            return 0;
        after = slots[n - 1];
    }
}

static const char SQL_CUSTOMER_PI[] = "SELECT slot FROM pis WHERE owner = ?1 AND name = ?2";

/* The slot of customer's pi name, or -ENOENT (errmsg set). */
static int customer_slot(struct pr_store *st, const char *customer, const char *name)
{
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, SQL_CUSTOMER_PI, &s);
    if (err < 0)
        return err;
    sqlite3_bind_text(s, 1, customer, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    int slot = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
    sqlite3_reset(s);
    if (rc == SQLITE_ROW)
        return slot;
    if (rc == SQLITE_DONE)
        return pr_store_fail(st, -ENOENT, "no server '%.70s'", name ? name : "(null)");
    return pr_store_sqlfail(st, "finding a customer's pi");
}

int pr_store_get_customer_pi(struct pr_store *st, const char *customer, const char *name,
                             struct pr_slot_row *out)
{
    int slot = customer_slot(st, customer, name);
    return slot < 0 ? slot : pr_store_get_slot(st, (unsigned)slot, out);
}

static const char SQL_GET_SSH_KEYS[] = "SELECT ssh_keys FROM pis WHERE slot = ?1";

int pr_store_get_ssh_keys(struct pr_store *st, const char *customer, const char *name, char *keys,
                          size_t len)
{
    sqlite3_stmt *s;
    int slot = customer_slot(st, customer, name);
    int err = slot < 0 ? slot : pr_store_prepare(st, SQL_GET_SSH_KEYS, &s);
    if (err < 0)
        return err;
    sqlite3_bind_int(s, 1, slot);
    if (sqlite3_step(s) == SQLITE_ROW)
        pr_store_column_text(s, 0, keys, len);
    else
        err = pr_store_sqlfail(st, "reading a pi's ssh keys");
    sqlite3_reset(s);
    return err;
}

static const char SQL_SET_SSH_KEYS[] = "UPDATE pis SET ssh_keys = ?2 WHERE slot = ?1";

int pr_store_set_ssh_keys(struct pr_store *st, const char *customer, const char *name,
                          const char *keys)
{
    sqlite3_stmt *s;
    int slot = customer_slot(st, customer, name);
    int err = slot < 0 ? slot : pr_store_prepare(st, SQL_SET_SSH_KEYS, &s);
    if (err < 0)
        return err;
    sqlite3_bind_int(s, 1, slot);
    sqlite3_bind_text(s, 2, keys ? keys : "", -1, SQLITE_STATIC);
    err = pr_store_exec(st, s, "setting a pi's ssh keys");
    if (err == -EINVAL)
        return pr_store_fail(st, err, "ssh keys are at most %d bytes", PR_SSH_KEYS_MAX - 1);
    return err;
}

static const char SQL_NAME_TAKEN[] = "SELECT 1 FROM pis WHERE name = ?1";
static const char SQL_FREE_SLOT[] = "SELECT p.slot FROM pis p JOIN boards b ON b.slot = p.slot"
                                    " WHERE p.owner IS NULL AND p.needs_wipe = 0"
                                    " AND lower(b.model) GLOB ?1 ORDER BY p.slot LIMIT 1";
static const char SQL_PROVISION[] =
    "UPDATE pis SET name = ?2, owner = ?3, image = nullif(?4, ''), ssh_keys = ?5,"
    " provisioned_ms = ?6 WHERE slot = ?1";

static int first_row_int(struct pr_store *st, const char *sql, const char *arg, int *out)
{
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, sql, &s);
    if (err < 0)
        return err;
    sqlite3_bind_text(s, 1, arg, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    *out = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return pr_store_sqlfail(st, "reading the pis");
    return rc == SQLITE_ROW;
}

static int provision_in(struct pr_store *st, const char *customer, const char *name,
                        const char *model_glob, const char *ssh_keys, const char *image)
{
    sqlite3_stmt *s;
    int slot = 0;
    int err = first_row_int(st, SQL_NAME_TAKEN, name, &slot);
    if (err < 0)
        return err;
    if (err == 1)
        return pr_store_fail(st, -EEXIST, "a server called %.70s already exists", name);
    err = first_row_int(st, SQL_FREE_SLOT, model_glob, &slot);
    if (err < 0)
        return err;
    if (err == 0)
        return pr_store_fail(st, -ENOSPC, "no servers of the specified type available");
    err = pr_store_prepare(st, SQL_PROVISION, &s);
    if (err < 0)
        return err;
    sqlite3_bind_int(s, 1, slot);
    sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, customer, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, image ? image : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, ssh_keys ? ssh_keys : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 6, pr_store_now_ms());
    err = pr_store_exec(st, s, "provisioning a pi");
    if (err == -EINVAL)
        return pr_store_fail(st, err,
                             "not a server name, an unknown customer or image, or ssh keys "
                             "over %d bytes",
                             PR_SSH_KEYS_MAX - 1);
    return err < 0 ? err : slot;
}

int pr_store_provision(struct pr_store *st, const char *customer, const char *name,
                       const char *model_glob, const char *ssh_keys, const char *image)
{
    int err = pr_store_begin(st);
    if (err < 0)
        return err;
    int slot = provision_in(st, customer, name, model_glob, ssh_keys, image);
    if (slot < 0) {
        pr_store_rollback(st);
        return slot;
    }
    err = pr_store_commit(st);
    return err < 0 ? err : slot;
}

static const char SQL_UNPROVISION[] =
    "UPDATE pis SET name = ?2, owner = NULL, image = NULL, ssh_keys = '',"
    " provisioned_ms = NULL, needs_wipe = 1 WHERE slot = ?1";

int pr_store_unprovision(struct pr_store *st, const char *customer, const char *name,
                         const char *default_name)
{
    sqlite3_stmt *s;
    int slot = customer_slot(st, customer, name);
    int err = slot < 0 ? slot : pr_store_prepare(st, SQL_UNPROVISION, &s);
    if (err < 0)
        return err;
    sqlite3_bind_int(s, 1, slot);
    sqlite3_bind_text(s, 2, default_name, -1, SQLITE_STATIC);
    err = pr_store_exec(st, s, "unprovisioning a pi");
    return err < 0 ? err : slot;
}

static const char SQL_NEEDS_WIPE[] = "SELECT slot FROM pis WHERE needs_wipe = 1 ORDER BY slot";

int pr_store_each_needs_wipe(struct pr_store *st, pr_wipe_cb cb, void *ctx)
{
    sqlite3_stmt *s;
    unsigned slots[64];
    size_t n = 0;
    int rc, err = pr_store_prepare(st, SQL_NEEDS_WIPE, &s);
    if (err < 0)
        return err;
    /* Collected first: cb may write the store (the wipe clears the flag). */
    while (n < sizeof(slots) / sizeof(slots[0]) && (rc = sqlite3_step(s)) == SQLITE_ROW)
        slots[n++] = (unsigned)sqlite3_column_int(s, 0);
    sqlite3_reset(s);
    for (size_t i = 0; i < n; i++)
        if ((err = cb(slots[i], ctx)) != 0)
            return err;
    return 0;
}

static const char SQL_SET_WIPED[] = "UPDATE pis SET needs_wipe = 0 WHERE slot = ?1";

int pr_store_set_wiped(struct pr_store *st, unsigned slot)
{
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, SQL_SET_WIPED, &s);
    if (err < 0)
        return err;
    sqlite3_bind_int(s, 1, (int)slot);
    return pr_store_exec(st, s, "marking a root wiped");
}
