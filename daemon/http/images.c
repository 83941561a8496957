/* http/images: the rack's images.
 *
 *   GET    /v1/images         {"images": [...]}: every image, then every
 *                             import running or failed ("state")
 *   GET    /v1/images/{name}  one of them
 *   POST   /v1/images         {"name", "source"}: imports source (a path
 *                             on pirackd's host) as name; 202, then GET
 *                             /v1/images/{name} says when it is "ready"
 *                             or why it "failed"
 *   DELETE /v1/images/{name}  removes an image no pi names (409 in-use)
 *
 *   POST   /v1/slots/{n}/reimage  {"image"?, "undo"?}: a new generation of
 *                             the pi's root (or back to the previous one);
 *                             202 {"op"}, 409 busy while one runs
 *   GET    /v1/slots/{n}/reimage  the slot's last reimage
 *   DELETE /v1/slots/{n}/root     wipes every generation of the pi's root
 *                             (409 busy while it is on or being reimaged)
 *
 * Images are the operator's: a customer may only read them. */
#include <errno.h>
#include <string.h>

#include "daemon/api/api_internal.h"
#include "daemon/http/http.h"
#include "daemon/image/service.h"

static json_t *image_json(const struct pr_image_row *r)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:I, s:I}", "name", r->name,
                     "state", "ready", "sha256", r->sha, "boot", r->boot_path, "root", r->root_path,
                     "bytes", (json_int_t)r->bytes, "models", r->models, "kind", r->kind, "source",
                     r->source, "created_ms", (json_int_t)r->created_ms, "in_use",
                     (json_int_t)r->in_use);
}

static json_t *import_json(const struct pr_image_import_view *v)
{
    return json_pack("{s:s, s:s, s:s, s:s?, s:I}", "name", v->name, "state", v->state, "source",
                     v->source, "error", v->error[0] ? v->error : NULL, "started_ms",
                     (json_int_t)v->started_ms);
}

static int add_image(const struct pr_image_row *row, void *ctx)
{
    return json_array_append_new(ctx, image_json(row)) < 0 ? -ENOMEM : 0;
}

static int add_import(const struct pr_image_import_view *v, void *ctx)
{
    return json_array_append_new(ctx, import_json(v)) < 0 ? -ENOMEM : 0;
}

void pr_http_get_images(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    json_t *list = json_array();
    int err;

    if (pr_api_req_check_query(req, (const char *const[]){ NULL }) < 0)
        goto out;
    if (!list) {
        pr_api_reply_error(req, PR_API_ERR_INTERNAL, "out of memory");
        return;
    }
    if ((err = pr_store_each_image(d->store, add_image, list)) < 0) {
        pr_http_reply_store_error(req, d, err);
        goto out;
    }
    pr_image_each_import(d, add_import, list);
    pr_api_reply_json(req, 200, json_pack("{s:O}", "images", list));
out:
    json_decref(list);
}

struct find {
    const char *name;
    json_t *found;
};

static int find_import(const struct pr_image_import_view *v, void *ctx)
{
    struct find *f = ctx;
    if (strcmp(v->name, f->name) != 0)
        return 0;
    f->found = import_json(v);
    return 1;
}

void pr_http_get_image(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    static struct pr_image_row row;
    struct find f = { .name = pr_api_req_param(req, "name") };
    int err = pr_store_get_image(d->store, f.name, &row);

    if (err == 0) {
        pr_api_reply_json(req, 200, image_json(&row));
        return;
    }
    if (err != -ENOENT) {
        pr_http_reply_store_error(req, d, err);
        return;
    }
    pr_image_each_import(d, find_import, &f);
    if (f.found) {
        pr_api_reply_json(req, 200, f.found);
        return;
    }
    pr_api_reply_error(req, PR_API_ERR_NO_SUCH_IMAGE, "no image '%.70s'", f.name);
}

/* The image service answers -errno and a sentence; each route maps the
 * errnos it can get to its words, the rest is internal. */
struct errno_word {
    int rc;
    enum pr_api_error word;
};

static void reply_image_error(struct pr_api_req *req, int rc, const char *err,
                              const struct errno_word *map, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (map[i].rc == rc) {
            pr_api_reply_error(req, map[i].word, "%s", err);
            return;
        }
    }
    pr_api_reply_error(req, PR_API_ERR_INTERNAL, "%s", err);
}

static bool is_ops(struct pr_api_req *req)
{
    if (pr_api_req_side(req) == PR_API_OPS)
        return true;
    pr_api_reply_error(req, PR_API_ERR_FORBIDDEN, "only operators may import or remove images");
    return false;
}

static const char *body_string(struct pr_api_req *req, json_t *body, const char *key)
{
    json_t *v = json_object_get(body, key);
    if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v) ||
        !json_string_length(v)) {
        pr_api_reply_error(req, PR_API_ERR_BAD_REQUEST, "\"%s\" must be a non-empty string", key);
        return NULL;
    }
    return json_string_value(v);
}

void pr_http_post_images(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    json_t *body = pr_api_req_body(req);
    const char *name, *source, *key;
    json_t *value;
    char err[512];

    if (!is_ops(req))
        return;
    if (!json_is_object(body)) {
        pr_api_reply_error(req, PR_API_ERR_BAD_REQUEST, "the body must be {\"name\", \"source\"}");
        return;
    }
    json_object_foreach(body, key, value)
    {
        if (strcmp(key, "name") != 0 && strcmp(key, "source") != 0) {
            char shown[64];
            pr_api_reply_error(req, PR_API_ERR_BAD_REQUEST, "unknown field \"%s\"",
                               pr_api_printable(key, shown, sizeof(shown)));
            return;
        }
    }
    if (!(name = body_string(req, body, "name")) || !(source = body_string(req, body, "source")))
        return;
    int rc = pr_image_import(d, name, source, pr_api_req_actor(req), err, sizeof(err));
    if (rc == 0) {
        pr_api_reply_json(
            req, 202,
            json_pack("{s:s, s:s, s:s}", "name", name, "state", "importing", "source", source));
        return;
    }
    const struct errno_word map[] = {
        { -EINVAL, pr_plan_name_valid(name) ? PR_API_ERR_BAD_REQUEST : PR_API_ERR_BAD_NAME },
        { -EEXIST, PR_API_ERR_NAME_TAKEN },
        { -EBUSY, PR_API_ERR_BUSY },
        { -ENODEV, PR_API_ERR_UNAVAILABLE },
    };
    reply_image_error(req, rc, err, map, sizeof(map) / sizeof(map[0]));
}

void pr_http_delete_image(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    const char *name = pr_api_req_param(req, "name");
    char err[512];

    if (!is_ops(req))
        return;
    int rc = pr_image_remove(d, name, pr_api_req_actor(req), err, sizeof(err));
    if (rc == 0) {
        pr_api_reply_json(req, 200, json_pack("{s:s}", "removed", name));
        return;
    }
    static const struct errno_word map[] = {
        { -ENOENT, PR_API_ERR_NO_SUCH_IMAGE },
        { -EBUSY, PR_API_ERR_IN_USE },
        { -ENODEV, PR_API_ERR_UNAVAILABLE },
    };
    reply_image_error(req, rc, err, map, sizeof(map) / sizeof(map[0]));
}

static json_t *reimage_json(const struct pr_reimage_op *op)
{
    return json_pack("{s:I, s:i, s:s, s:b, s:s, s:s, s:I, s:I, s:s}", "op", (json_int_t)op->id,
                     "slot", (int)op->slot, "image", op->image, "undo", op->undo, "phase",
                     op->phase, "actor", op->actor, "created_ms", (json_int_t)op->created_ms,
                     "finished_ms", (json_int_t)op->finished_ms, "result", op->result);
}

void pr_http_post_reimage(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    json_t *body = pr_api_req_body(req), *value;
    const char *image = NULL, *key;
    bool undo = false;
    unsigned slot;
    char err[512];

    if (!is_ops(req) || pr_http_slot_param(req, d, &slot) < 0)
        return;
    if (body && !json_is_object(body)) {
        pr_api_reply_error(req, PR_API_ERR_BAD_REQUEST, "the body must be {\"image\"?, \"undo\"?}");
        return;
    }
    json_object_foreach(body, key, value)
    {
        if (strcmp(key, "image") == 0 && json_is_string(value)) {
            image = json_string_value(value);
        } else if (strcmp(key, "undo") == 0 && json_is_boolean(value)) {
            undo = json_is_true(value);
        } else {
            char shown[64];
            pr_api_reply_error(req, PR_API_ERR_BAD_REQUEST,
                               "\"%s\" is not a field, or not of its type (image: string, "
                               "undo: boolean)",
                               pr_api_printable(key, shown, sizeof(shown)));
            return;
        }
    }
    if (undo && image) {
        pr_api_reply_error(req, PR_API_ERR_BAD_REQUEST,
                           "undo goes back to the previous "
                           "generation: it takes no image");
        return;
    }
    int rc = pr_image_reimage(d, slot, image, undo, pr_api_req_actor(req), err, sizeof(err));
    if (rc >= 0) {
        pr_api_reply_json(
            req, 202,
            json_pack("{s:i, s:i, s:s}", "op", rc, "slot", (int)slot, "phase", "building"));
        return;
    }
    const struct errno_word map[] = {
        { -EBUSY, PR_API_ERR_BUSY },
        /* no such image, or nothing to undo */
        { -ENOENT, image && !undo ? PR_API_ERR_NO_SUCH_IMAGE : PR_API_ERR_CONFLICT },
        { -EINVAL, PR_API_ERR_CONFLICT },
        { -ENODEV, PR_API_ERR_UNAVAILABLE },
    };
    reply_image_error(req, rc, err, map, sizeof(map) / sizeof(map[0]));
}

void pr_http_get_reimage(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    struct pr_reimage_op op;
    unsigned slot;

    if (pr_http_slot_param(req, d, &slot) < 0)
        return;
    int err = pr_store_reimage_last(d->store, slot, &op);
    if (err == -ENOENT) {
        pr_api_reply_json(req, 200, json_pack("{s:n}", "op"));
        return;
    }
    if (err < 0) {
        pr_http_reply_store_error(req, d, err);
        return;
    }
    pr_api_reply_json(req, 200, reimage_json(&op));
}

void pr_http_delete_root(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    unsigned slot;
    char err[512];

    if (!is_ops(req) || pr_http_slot_param(req, d, &slot) < 0)
        return;
    int rc = pr_image_wipe(d, slot, pr_api_req_actor(req), err, sizeof(err));
    if (rc == 0) {
        pr_api_reply_json(req, 200, json_pack("{s:i, s:b}", "slot", (int)slot, "wiped", 1));
        return;
    }
    static const struct errno_word map[] = {
        { -EBUSY, PR_API_ERR_BUSY },
        { -ENODEV, PR_API_ERR_UNAVAILABLE },
    };
    reply_image_error(req, rc, err, map, sizeof(map) / sizeof(map[0]));
}
