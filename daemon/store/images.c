/* store images: the named, content-addressed boot and root trees that
 * pis are made from, and how many pis name each. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "store_internal.h"

static const char SQL_ADD_IMAGE[] =
    "INSERT INTO images (name, boot_path, root_path, created_ms, sha, bytes, models, kind, source)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";

int pr_store_add_image(struct pr_store *st, const struct pr_image_row *row)
{
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, SQL_ADD_IMAGE, &s);
    if (err < 0)
        return err;
    sqlite3_bind_text(s, 1, row->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, row->boot_path, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, row->root_path, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, pr_store_now_ms());
    sqlite3_bind_text(s, 5, row->sha, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 6, row->bytes);
    sqlite3_bind_text(s, 7, row->models, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 8, row->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 9, row->source, -1, SQLITE_STATIC);
    err = pr_store_exec(st, s, "adding an image");
    if (err == -EEXIST)
        return pr_store_fail(st, err, "image %s already exists", row->name);
    if (err == -EINVAL && !pr_plan_name_valid(row->name))
        return pr_store_fail(st, err,
                             "'%.70s' is not an image name (a lower-case DNS "
                             "label: a-z, 0-9, '-', at most 63)",
                             row->name);
    if (err == -EINVAL)
        return pr_store_fail(st, err,
                             "an image's boot and root paths must be absolute "
                             "(and shorter than 4096 bytes), its sha 64 hex digits");
    return err;
}

#define IMAGE_SELECT                                                                       \
    "SELECT i.name, i.sha, i.boot_path, i.root_path, i.bytes, i.models, i.kind, i.source," \
    " i.created_ms, (SELECT count(*) FROM pis p WHERE p.image = i.name) FROM images i"
static const char SQL_GET_IMAGE[] = IMAGE_SELECT " WHERE i.name = ?1";
static const char SQL_IMAGE_PAGE[] = IMAGE_SELECT " WHERE i.name > ?1 ORDER BY i.name LIMIT ?2";

static void read_image_row(sqlite3_stmt *s, struct pr_image_row *r)
{
    memset(r, 0, sizeof(*r));
    pr_store_column_text(s, 0, r->name, sizeof(r->name));
    pr_store_column_text(s, 1, r->sha, sizeof(r->sha));
    pr_store_column_text(s, 2, r->boot_path, sizeof(r->boot_path));
    pr_store_column_text(s, 3, r->root_path, sizeof(r->root_path));
    r->bytes = sqlite3_column_int64(s, 4);
    pr_store_column_text(s, 5, r->models, sizeof(r->models));
    pr_store_column_text(s, 6, r->kind, sizeof(r->kind));
    pr_store_column_text(s, 7, r->source, sizeof(r->source));
    r->created_ms = sqlite3_column_int64(s, 8);
    r->in_use = (unsigned)sqlite3_column_int(s, 9);
}

int pr_store_get_image(struct pr_store *st, const char *name, struct pr_image_row *out)
{
    sqlite3_stmt *s;
    int err = pr_store_prepare(st, SQL_GET_IMAGE, &s);
    if (err < 0)
        return err;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        read_image_row(s, out);
    else
        err = rc == SQLITE_DONE ? pr_store_fail(st, -ENOENT, "no image '%.70s'", name)
                                : pr_store_sqlfail(st, "reading an image");
    sqlite3_reset(s);
    return err;
}

/* Pages of 8: rows are large (two paths of 4 KiB). */
#define IMAGE_PAGE 8

int pr_store_each_image(struct pr_store *st, pr_image_cb cb, void *ctx)
{
    static struct pr_image_row page[IMAGE_PAGE];
    char after[PR_NAME_MAX] = "";

    for (;;) {
        sqlite3_stmt *s;
        int err = pr_store_prepare(st, SQL_IMAGE_PAGE, &s), n = 0, rc;
        if (err < 0)
            return err;
        sqlite3_bind_text(s, 1, after, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(s, 2, IMAGE_PAGE);
        while ((rc = sqlite3_step(s)) == SQLITE_ROW)
            read_image_row(s, &page[n++]);
        if (rc != SQLITE_DONE)
            err = pr_store_sqlfail(st, "listing images");
        sqlite3_reset(s);
        if (err < 0)
            return err;
        for (int i = 0; i < n; i++) {
            int r = cb(&page[i], ctx);
            if (r)
                return r;
        }
        if (n < IMAGE_PAGE)
            return 0;
        snprintf(after, sizeof(after), "%s", page[n - 1].name);
    }
}

static const char SQL_DELETE_IMAGE[] = "DELETE FROM images WHERE name = ?1";
static const char SQL_SHA_USERS[] = "SELECT count(*) FROM images WHERE sha = ?1";

int pr_store_remove_image(struct pr_store *st, const char *name, unsigned *sha_left)
{
    struct pr_image_row row;
    int err = pr_store_get_image(st, name, &row);
    if (err < 0)
        return err;
    if (row.in_use)
        return pr_store_fail(st, -EBUSY, "image %s is in use by %u pi(s)", name, row.in_use);
    sqlite3_stmt *s;
    if ((err = pr_store_prepare(st, SQL_DELETE_IMAGE, &s)) < 0)
        return err;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    if ((err = pr_store_exec(st, s, "removing an image")) < 0)
        return err;
    if ((err = pr_store_prepare(st, SQL_SHA_USERS, &s)) < 0)
        return err;
    sqlite3_bind_text(s, 1, row.sha, -1, SQLITE_STATIC);
    *sha_left = sqlite3_step(s) == SQLITE_ROW ? (unsigned)sqlite3_column_int(s, 0) : 1;
    sqlite3_reset(s);
    return 0;
}
