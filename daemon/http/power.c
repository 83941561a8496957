/* http/power: the power service's routes:
 *
 *   POST /v1/slots/{n}/power  {"action": "on" | "off" | "cycle"}
 *        202 {"op", "slot", "action"}; 400 bad-request (a bad action);
 *        404 no-such-slot (or not the customer's); 409 no-switch, busy (an
 *        op in flight), power-budget
 *   GET  /v1/slots/{n}/power  the store's power, the op in flight, the
 *        last op, and the switch's last answer for the port ("live", with
 *        its age; an answer older than 5 s is asked for again, so the
 *        next GET has a fresh one; every switch is also read each minute)
 *   POST /v1/power  {"action", "slots": "N" | "N-M" | "all" | [N, ...],
 *        "stagger_ms", "max_booting"}  202 {"ops": [...], "refused": [...]}
 *        when any op was queued, else the first refusal's error; "all"
 *        means the slots that have a switch (and, for a customer, theirs)
 *   GET  /v1/power?slots=SPEC  the views of many slots
 *
 * Every one answers 503 while the power service is not running.
 * Customers ("customer:NAME") see and power only the slots they own. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/http/http.h"
#include "daemon/power/service.h"

#define BATCH_MAX 4096

/* A customer may act on the slots whose pi they own, ops on all. */
static bool may_touch(struct pr_daemon *d, const char *actor, unsigned slot)
{
    struct pr_slot_row row;

    if (strncmp(actor, "customer:", 9) != 0)
        return true;
    return pr_store_get_slot(d->store, slot, &row) == 0 && row.owner[0] &&
           !strcmp(row.owner, actor + 9);
}

/* The answer to a refused request, from pr_power_request()'s -errno. */
static enum pr_api_error error_of(int64_t err)
{
    switch (-err) {
    case ENOENT:
        return PR_API_ERR_NO_SUCH_SLOT;
    case EINVAL:
        return PR_API_ERR_BAD_REQUEST;
    case ENODEV:
        return PR_API_ERR_NO_SWITCH;
    case EBUSY:
        return PR_API_ERR_BUSY;
    case ENOSPC:
        return PR_API_ERR_POWER_BUDGET;
    default:
        return PR_API_ERR_INTERNAL;
    }
}

static int parse_action(json_t *body, enum pr_poe_action *out)
{
    const char *a = json_string_value(json_object_get(body, "action"));
    int v = a ? pr_poe_action_parse(a) : -1;

    if (v != PR_POE_ON && v != PR_POE_OFF && v != PR_POE_CYCLE)
        return -EINVAL;
    *out = (enum pr_poe_action)v;
    return 0;
}

/* Answers 503 and returns false when the power service is not running. */
static bool power_running(struct pr_api_req *req, const struct pr_daemon *d)
{
    if (d->power)
        return true;
    pr_api_reply_error(req, PR_API_ERR_UNAVAILABLE, "the power service is not running");
    return false;
}

void pr_http_post_slot_power(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    const char *actor = pr_api_req_actor(req);
    enum pr_poe_action action;
    char why[256];
    int64_t id;
    unsigned slot;

    if (pr_http_slot_param(req, d, &slot) < 0 || !power_running(req, d))
        return;
    if (parse_action(pr_api_req_body(req), &action) < 0) {
        pr_api_reply_error(req, PR_API_ERR_BAD_REQUEST,
                           "body must be {\"action\": \"on\" | "
                           "\"off\" | \"cycle\"}");
        return;
    }
    if (!may_touch(d, actor, slot)) {
        pr_api_reply_error(req, PR_API_ERR_NO_SUCH_SLOT, "no slot %u of yours", slot);
        return;
    }
    id = pr_power_request(d, slot, action, actor, NULL, why, sizeof(why));
    if (id < 0) {
        pr_api_reply_error(req, error_of(id), "%s", why);
        return;
    }
    pr_api_reply_json(req, 202,
                      json_pack("{s:I, s:i, s:s}", "op", (json_int_t)id, "slot", (int)slot,
                                "action", pr_poe_action_name(action)));
}

static json_t *view_json(struct pr_daemon *d, unsigned slot)
{
    struct pr_power_view v;
    struct pr_slot_row row;
    json_t *o;

    if (pr_power_view(d, slot, &v) < 0)
        return NULL;
    o = json_pack("{s:i, s:s}", "slot", (int)slot, "power",
                  pr_store_get_slot(d->store, slot, &row) == 0 ? row.power : "unknown");
    if (!o)
        return NULL;
    json_object_set_new(o, "switch", v.has_switch ? json_string(v.switch_name) : json_null());
    json_object_set_new(o, "port", v.has_switch ? json_integer(v.port) : json_null());
    json_object_set_new(o, "op",
                        v.op_id ? json_pack("{s:I, s:s, s:s}", "id", (json_int_t)v.op_id, "action",
                                            v.op_action, "phase", v.op_phase)
                                : json_null());
    json_object_set_new(o, "last",
                        v.last_op_id ? json_pack("{s:I, s:b, s:s}", "op", (json_int_t)v.last_op_id,
                                                 "ok", v.last_ok, "result", v.last_result)
                                     : json_null());
    json_object_set_new(o, "live",
                        v.live_valid ? json_pack("{s:s, s:s, s:i, s:I, s:s}", "admin",
                                                 v.live.admin == 1   ? "on"
                                                 : v.live.admin == 0 ? "off"
                                                                     : "unknown",
                                                 "detect", pr_poe_detect_name(v.live.detect),
                                                 "class", v.live.power_class, "age_ms",
                                                 (json_int_t)v.live_age_ms, "note", v.live.note)
                                     : json_null());
    return o;
}

static void refresh_one(struct pr_daemon *d, unsigned slot)
{
    unsigned char *sel = calloc(d->cfg->slots + 1, 1);

    if (sel && slot <= d->cfg->slots) {
        sel[slot] = 1;
        pr_power_refresh_stale(d, sel);
    }
    free(sel);
}

void pr_http_get_slot_power(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    json_t *o;
    unsigned slot;

    if (pr_http_slot_param(req, d, &slot) < 0 || !power_running(req, d))
        return;
    if (!may_touch(d, pr_api_req_actor(req), slot) || !(o = view_json(d, slot))) {
        pr_api_reply_error(req, PR_API_ERR_NO_SUCH_SLOT, "no slot %u", slot);
        return;
    }
    refresh_one(d, slot);
    pr_api_reply_json(req, 200, o);
}

/* The "slots" member: a spec string or an array of numbers. */
static int select_slots(struct pr_daemon *d, json_t *spec, unsigned char *sel)
{
    unsigned n = d->cfg->slots;

    if (json_is_string(spec))
        return pr_power_parse_slots(json_string_value(spec), n, sel);
    if (json_is_array(spec)) {
        size_t i;
        json_t *v;
        int count = 0;

        if (json_array_size(spec) > BATCH_MAX)
            return -E2BIG;
        json_array_foreach(spec, i, v)
        {
            json_int_t s = json_integer_value(v);

            if (!json_is_integer(v) || s < 1 || s > (json_int_t)n)
                return -ERANGE;
            count += !sel[s];
            sel[s] = 1;
        }
        return count ? count : -EINVAL;
    }
    return -EINVAL;
}

static int pace_member(json_t *body, const char *name, int *out)
{
    json_t *v = json_object_get(body, name);

    *out = -1;
    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 3600000)
        return -EINVAL;
    *out = (int)json_integer_value(v);
    return 0;
}

void pr_http_post_power(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    json_t *body = pr_api_req_body(req);
    const char *actor = pr_api_req_actor(req);
    struct pr_power_pace pace;
    enum pr_poe_action action;
    unsigned char *sel;
    json_t *ops, *refused;
    int n;

    if (!power_running(req, d))
        return;
    if (parse_action(body, &action) < 0 || pace_member(body, "stagger_ms", &pace.stagger_ms) < 0 ||
        pace_member(body, "max_booting", &pace.max_booting) < 0) {
        pr_api_reply_error(req, PR_API_ERR_BAD_REQUEST,
                           "body must be {\"action\": \"on\" | \"off\" "
                           "| \"cycle\", \"slots\": \"N-M\" | \"all\" | [N, ...], "
                           "\"stagger_ms\": MS, \"max_booting\": K}");
        return;
    }
    sel = calloc(d->cfg->slots + 1, 1);
    if (!sel) {
        pr_api_reply_error(req, PR_API_ERR_INTERNAL, "out of memory");
        return;
    }
    n = select_slots(d, json_object_get(body, "slots"), sel);
    if (n < 0) {
        free(sel);
        pr_api_reply_error(req, n == -ERANGE ? PR_API_ERR_NO_SUCH_SLOT : PR_API_ERR_BAD_REQUEST,
                           "slots: N, N-M, a comma list of those, \"all\", or "
                           "an array of slot numbers within 1-%u",
                           d->cfg->slots);
        return;
    }
    bool all = !strcmp(json_string_value(json_object_get(body, "slots")) ?: "", "all");
    int64_t first_err = 0;
    char first_why[256] = "";

    ops = json_array();
    refused = json_array();
    for (unsigned s = 1; s <= d->cfg->slots; s++) {
        char why[256];
        int64_t id;

        if (!sel[s])
            continue;
        if (!may_touch(d, actor, s)) {
            if (all)
                continue; /* "all" means all of the customer's */
            json_array_append_new(refused, json_pack("{s:i, s:s, s:s}", "slot", (int)s, "error",
                                                     pr_api_error_word(PR_API_ERR_NO_SUCH_SLOT),
                                                     "detail", "not your slot"));
            continue;
        }
        id = pr_power_request(d, s, action, actor, &pace, why, sizeof(why));
        if (id > 0) {
            json_array_append_new(ops,
                                  json_pack("{s:i, s:I}", "slot", (int)s, "op", (json_int_t)id));
        } else if (!(all && id == -ENODEV)) { /* "all": the slots that have a switch */
            json_array_append_new(refused,
                                  json_pack("{s:i, s:s, s:s}", "slot", (int)s, "error",
                                            pr_api_error_word(error_of(id)), "detail", why));
            if (!first_err) {
                first_err = id;
                snprintf(first_why, sizeof(first_why), "%s", why);
            }
        }
    }
    free(sel);
    if (!json_array_size(ops)) {
        size_t n_refused = json_array_size(refused);

        json_decref(ops);
        json_decref(refused);
        if (!first_err)
            pr_api_reply_error(req, PR_API_ERR_NO_SWITCH, "no switch serves any of these slots");
        else
            pr_api_reply_error(req, error_of(first_err), "%s%s", first_why,
                               n_refused > 1 ? " (and more slots refused)" : "");
        return;
    }
    pr_api_reply_json(req, 202,
                      json_pack("{s:s, s:o, s:o}", "action", pr_poe_action_name(action), "ops", ops,
                                "refused", refused));
}

void pr_http_get_power(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    const char *spec = pr_api_req_query(req, "slots");
    const char *actor = pr_api_req_actor(req);
    unsigned char *sel;
    json_t *list;
    int n;

    if (!power_running(req, d))
        return;
    sel = calloc(d->cfg->slots + 1, 1);
    if (!sel) {
        pr_api_reply_error(req, PR_API_ERR_INTERNAL, "out of memory");
        return;
    }
    n = pr_power_parse_slots(spec ? spec : "all", d->cfg->slots, sel);
    if (n < 0) {
        free(sel);
        pr_api_reply_error(req, PR_API_ERR_BAD_REQUEST, "slots: N, N-M, a comma list, or all");
        return;
    }
    list = json_array();
    for (unsigned s = 1; s <= d->cfg->slots; s++) {
        if (sel[s] && !may_touch(d, actor, s))
            sel[s] = 0;
        if (sel[s])
            json_array_append_new(list, view_json(d, s));
    }
    pr_power_refresh_stale(d, sel);
    free(sel);
    pr_api_reply_json(req, 200, json_pack("{s:o}", "slots", list));
}
