/* http/ops: the operator's routes that change a slot.
 *
 *   POST   /v1/slots/{n}/board  {"mac", "serial"?, "model"?, "move"?}
 *                               ties a board to the slot (flat mode finds
 *                               the slot by this MAC)
 *   DELETE /v1/slots/{n}/board  takes the board out of the slot
 *   PUT    /v1/slots/{n}/pi     {"name"?, "owner"?, "image"?, "policy"?}
 *                               what the pi is for; "" clears owner,
 *                               image or policy
 *
 * Each answers the slot as GET /v1/slots/{n} shows it after the change,
 * and records an event with the actor.  Refusals: 400 for a malformed
 * body (with the field and the reason), 404 for a slot that is not in the
 * rack, 409 when the change would clash with another slot (the store's
 * words say which); 403 for anyone but the operator. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon/api/api_internal.h"
#include "daemon/http/http.h"
#include "daemon/net/service.h"
#include "daemon/proxy/service.h"

/* The slot of {n}, or 0 after answering 400, 403 or 404.  These routes
 * are the operator's: a customer (a later TCP listener) may not move
 * boards or rename pis through them. */
static unsigned slot_param(struct pr_api_req *req, const struct pr_daemon *d)
{
    unsigned n;

    if (pr_api_req_side(req) != PR_API_OPS) {
        pr_api_reply_error(req, PR_API_ERR_FORBIDDEN,
                           "only operators may change a slot's board "
                           "or pi here");
        return 0;
    }
    return pr_http_slot_param(req, d, &n) < 0 ? 0 : n;
}

/* The string at key, NULL when absent; answers 400 and sets *bad when it
 * is there but not a string. */
static const char *string_field(struct pr_api_req *req, json_t *body, const char *key, bool *bad)
{
    json_t *v = json_object_get(body, key);

    if (!v || *bad)
        return NULL;
    if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
        pr_api_reply_error(req, PR_API_ERR_BAD_REQUEST, "\"%s\" must be a string", key);
        *bad = true;
        return NULL;
    }
    return json_string_value(v);
}

/* Answers 200 with the slot as it is now. */
static void reply_slot(struct pr_api_req *req, const struct pr_daemon *d, unsigned slot)
{
    struct pr_slot_row row;
    int err = pr_store_get_slot(d->store, slot, &row);

    if (err < 0)
        pr_http_reply_store_error(req, d, err);
    else
        pr_api_reply_json(req, 200, pr_http_slot_json(d, &row));
}

/* Answers a change to slot that ended with err (-EEXIST is the caller's
 * to word): 400 with the store's reason for -EINVAL, 500 for another
 * failure, else 200 with the slot as it is now. */
static void reply_written(struct pr_api_req *req, const struct pr_daemon *d, unsigned slot, int err)
{
    if (err == -EINVAL)
        pr_api_reply_error(req, PR_API_ERR_BAD_REQUEST, "%s", pr_store_errmsg(d->store));
    else if (err < 0)
        pr_http_reply_store_error(req, d, err);
    else
        reply_slot(req, d, slot);
}

/* ---- POST /v1/slots/{n}/board ---- */

struct assign {
    char mac[18];
    const char *serial, *model;
    bool move;
};

/* Reads the body into a; -1 when it has answered 400. */
static int parse_assign(struct pr_api_req *req, json_t *body, struct assign *a)
{
    static const char *const allowed[] = { "mac", "serial", "model", "move", NULL };
    const char *mac;
    json_t *move;
    bool bad = false;
    char shown[64];

    if (!body) {
        pr_api_reply_error(req, PR_API_ERR_BAD_REQUEST,
                           "the body must be a JSON object with \"mac\"");
        return -1;
    }
    if (pr_http_check_fields(req, body, allowed) < 0)
        return -1;
    mac = string_field(req, body, "mac", &bad);
    a->serial = string_field(req, body, "serial", &bad);
    a->model = string_field(req, body, "model", &bad);
    if (bad)
        return -1;
    if (!mac) {
        pr_api_reply_error(req, PR_API_ERR_BAD_REQUEST, "\"mac\" is missing");
        return -1;
    }
    if (pr_api_parse_mac(mac, a->mac) < 0) {
        pr_api_reply_error(req, PR_API_ERR_BAD_REQUEST,
                           "\"%s\" is not a MAC address (six hex pairs joined by ':' or '-')",
                           pr_api_printable(mac, shown, sizeof(shown)));
        return -1;
    }
    move = json_object_get(body, "move");
    if (move && !json_is_boolean(move)) {
        pr_api_reply_error(req, PR_API_ERR_BAD_REQUEST, "\"move\" must be true or false");
        return -1;
    }
    a->move = move && json_is_true(move);
    return 0;
}

/* Assigns and records the events in one transaction: the timeline never
 * shows a change that did not happen, nor misses one that did. */
static int assign_board(struct pr_daemon *d, unsigned slot, const struct assign *a,
                        const char *actor)
{
    struct pr_slot_row before;
    int from, err;

    if ((err = pr_store_begin(d->store)) < 0)
        return err;
    from = pr_store_slot_by_mac(d->store, a->mac);
    err = from < 0 ? from : pr_store_get_slot(d->store, slot, &before);
    if (err == 0)
        err = pr_store_assign_board(d->store, slot, a->mac, a->serial, a->model, a->move);
    if (err < 0) {
        pr_store_rollback(d->store);
        return err;
    }
    if (from > 0 && (unsigned)from != slot)
        pr_daemon_event(d, (unsigned)from, "board.unassigned", actor, "{s:s, s:i}", "mac", a->mac,
                        "moved_to", (int)slot);
    pr_daemon_event(d, slot, "board.assigned", actor, "{s:s, s:s*, s:s*, s:o*, s:s*}", "mac",
                    a->mac, "serial", a->serial && a->serial[0] ? a->serial : NULL, "model",
                    a->model && a->model[0] ? a->model : NULL, "moved_from",
                    from > 0 && (unsigned)from != slot ? json_integer(from) : NULL, "replaced",
                    before.mac[0] && strcmp(before.mac, a->mac) != 0 ? before.mac : NULL);
    if ((err = pr_store_commit(d->store)) < 0)
        return err;
    /* flat mode: the slot's address now leads to this board only */
    if (from > 0 && (unsigned)from != slot)
        pr_net_bind_slot(d, (unsigned)from);
    pr_net_bind_slot(d, slot);
    return 0;
}

void pr_http_post_board(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    struct assign a = { .move = false };
    unsigned slot = slot_param(req, d);
    int err;

    if (slot == 0 || parse_assign(req, pr_api_req_body(req), &a) < 0)
        return;
    err = assign_board(d, slot, &a, pr_api_req_actor(req));
    if (err == -EEXIST)
        pr_api_reply_error(req, PR_API_ERR_CONFLICT, "%s%s", pr_store_errmsg(d->store),
                           strstr(pr_store_errmsg(d->store), "already in slot")
                               ? " (\"move\": true takes it out of there)"
                               : "");
    else
        reply_written(req, d, slot, err);
}

/* ---- DELETE /v1/slots/{n}/board ---- */

void pr_http_delete_board(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    unsigned slot = slot_param(req, d);
    char mac[18];
    int err;

    if (slot == 0)
        return;
    if (pr_api_req_body(req) && json_object_size(pr_api_req_body(req)) > 0) {
        pr_api_reply_error(req, PR_API_ERR_BAD_REQUEST, "DELETE takes no body");
        return;
    }
    if ((err = pr_store_begin(d->store)) < 0) {
        pr_http_reply_store_error(req, d, err);
        return;
    }
    err = pr_store_unassign_board(d->store, slot, mac, sizeof(mac));
    if (err < 0) {
        pr_store_rollback(d->store);
        if (err == -ENOENT)
            pr_api_reply_error(req, PR_API_ERR_NO_BOARD, "%s", pr_store_errmsg(d->store));
        else
            pr_http_reply_store_error(req, d, err);
        return;
    }
    pr_daemon_event(d, slot, "board.unassigned", pr_api_req_actor(req), "{s:s}", "mac", mac);
    if ((err = pr_store_commit(d->store)) < 0) {
        pr_http_reply_store_error(req, d, err);
        return;
    }
    pr_net_bind_slot(d, slot);
    reply_slot(req, d, slot);
}

/* ---- PUT /v1/slots/{n}/pi ---- */

struct pi_fields {
    const char *name, *owner, *image, *policy;
};

static int parse_pi(struct pr_api_req *req, json_t *body, struct pi_fields *p)
{
    static const char *const allowed[] = { "name", "owner", "image", "policy", NULL };
    const char *why;
    bool bad = false;
    char shown[80];

    if (!body || json_object_size(body) == 0) {
        pr_api_reply_error(req, PR_API_ERR_BAD_REQUEST,
                           "nothing to set: give one or more of "
                           "\"name\", \"owner\", \"image\", \"policy\"");
        return -1;
    }
    if (pr_http_check_fields(req, body, allowed) < 0)
        return -1;
    p->name = string_field(req, body, "name", &bad);
    p->owner = string_field(req, body, "owner", &bad);
    p->image = string_field(req, body, "image", &bad);
    p->policy = string_field(req, body, "policy", &bad);
    if (bad)
        return -1;
    /* The name reaches DNS, HAProxy's maps and paths: only a DNS label. */
    if (p->name && (why = pr_api_name_problem(p->name)) != NULL) {
        pr_api_reply_error(req, PR_API_ERR_BAD_NAME, "\"%s\": %s",
                           pr_api_printable(p->name, shown, sizeof(shown)), why);
        return -1;
    }
    if (p->name && !pr_plan_name_valid(p->name)) {
        pr_api_reply_error(req, PR_API_ERR_BAD_NAME, "\"%s\" is not a DNS label",
                           pr_api_printable(p->name, shown, sizeof(shown)));
        return -1;
    }
    return 0;
}

static int set_pi(struct pr_daemon *d, unsigned slot, const struct pi_fields *p, const char *actor)
{
    struct pr_slot_row before;
    int err;

    if ((err = pr_store_begin(d->store)) < 0)
        return err;
    err = pr_store_get_slot(d->store, slot, &before);
    if (err == 0)
        err = pr_store_set_pi(d->store, slot, p->name, p->owner, p->image, p->policy);
    if (err < 0) {
        pr_store_rollback(d->store);
        return err;
    }
    pr_daemon_event(d, slot, "pi.updated", actor, "{s:s*, s:s*, s:s*, s:s*, s:s*}", "name", p->name,
                    "owner", p->owner, "image", p->image, "policy", p->policy, "old_name",
                    p->name && strcmp(p->name, before.name) != 0 ? before.name : NULL);
    err = pr_store_commit(d->store);
    /* the pi's web names are its name's: HAProxy learns a new one now,
     * not at the proxy's next check */
    if (err == 0 && p->name && strcmp(p->name, before.name) != 0)
        pr_proxy_sync(d);
    return err;
}

void pr_http_put_pi(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    struct pi_fields p = { NULL, NULL, NULL, NULL };
    unsigned slot = slot_param(req, d);
    int err;

    if (slot == 0 || parse_pi(req, pr_api_req_body(req), &p) < 0)
        return;
    err = set_pi(d, slot, &p, pr_api_req_actor(req));
    if (err == -EEXIST)
        pr_api_reply_error(req, PR_API_ERR_NAME_TAKEN, "%s", pr_store_errmsg(d->store));
    else
        reply_written(req, d, slot, err);
}
