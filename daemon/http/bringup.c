/* http/bringup: the operator's bring-up runs (pirack bringup):
 *
 *   POST /v1/bringup  {"slots"?: "N" | "N-M" | "all", "switch"?: NAME}
 *        202 {"run", "resumed"}: a new run, or the one already going
 *        (resumed true; the call is idempotent); 400 bad-request, 404
 *        no-such-slot (a slot outside the rack), 409 no-switch (no switch
 *        serves the slots, or no such switch), 503 unavailable
 *   GET  /v1/bringup[?run=ID]  the run (the newest by default): its
 *        slots' phases and outcomes, counts, swapped pairs; "run": null
 *        when none ever ran; 404 not-found for a run ID that does not exist
 *
 * The run lives in the store and in pirackd, not in the client: a client
 * that goes away and comes back (or a restarted pirackd) finds it. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/http/http.h"
#include "daemon/health/bringup_service.h"

static enum pr_api_error error_of(int64_t err)
{
    switch (-err) {
    case EINVAL:
        return PR_API_ERR_BAD_REQUEST;
    case ERANGE:
        return PR_API_ERR_NO_SUCH_SLOT;
    case ENOENT:
    case ENODEV:
        return PR_API_ERR_NO_SWITCH;
    default:
        return PR_API_ERR_INTERNAL;
    }
}

void pr_http_post_bringup(struct pr_api_req *req, void *ctx)
{
    static const char *const allowed[] = { "slots", "switch", NULL };
    struct pr_daemon *d = ctx;
    json_t *body = pr_api_req_body(req);
    json_t *slots = json_object_get(body, "slots"), *sw = json_object_get(body, "switch");
    char why[256] = "";
    bool running = false;
    int64_t id;

    if (pr_http_check_fields(req, body, allowed) < 0)
        return;
    if ((slots && !json_is_string(slots)) || (sw && !json_is_string(sw))) {
        pr_api_reply_error(req, PR_API_ERR_BAD_REQUEST,
                           "body must be {\"slots\": \"N-M\" | \"all\", \"switch\": NAME}");
        return;
    }
    if (!d->bringup) {
        pr_api_reply_error(req, PR_API_ERR_UNAVAILABLE, "the bring-up service is not running");
        return;
    }
    id = pr_bringup_start(d, json_string_value(slots), json_string_value(sw), pr_api_req_actor(req),
                          &running, why, sizeof(why));
    if (id < 0) {
        pr_api_reply_error(req, error_of(id), "%s", why);
        return;
    }
    pr_api_reply_json(req, 202, json_pack("{s:I, s:b}", "run", (json_int_t)id, "resumed", running));
}

struct view {
    json_t *items;
    unsigned total, done;
    json_t *counts;
};

static int add_slot(const struct pr_bringup_slot *row, void *ctx)
{
    struct view *v = ctx;
    json_t *o = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s}", "slot", (int)row->slot,
                          "phase", row->phase, "outcome", row->outcome, "mac", row->mac, "model",
                          row->model, "serial", row->serial, "was_mac", row->was_mac, "from_slot",
                          (int)row->from_slot, "detail", row->detail);

    v->total++;
    v->done += !strcmp(row->phase, "done");
    if (row->outcome[0]) {
        json_t *c = json_object_get(v->counts, row->outcome);

        json_object_set_new(v->counts, row->outcome,
                            json_integer(c ? json_integer_value(c) + 1 : 1));
    }
    return o ? json_array_append_new(v->items, o) : -ENOMEM;
}

/* Pairs of slots whose boards changed places: each "moved" from the other. */
static json_t *swapped_pairs(json_t *items)
{
    json_t *pairs = json_array(), *a, *b;
    size_t i, k;

    json_array_foreach(items, i, a)
    {
        int sa = (int)json_integer_value(json_object_get(a, "slot"));
        int fa = (int)json_integer_value(json_object_get(a, "from_slot"));

        if (strcmp(json_string_value(json_object_get(a, "outcome")), "moved") || fa <= sa)
            continue;
        json_array_foreach(items, k, b)
        {
            if ((int)json_integer_value(json_object_get(b, "slot")) == fa &&
                (int)json_integer_value(json_object_get(b, "from_slot")) == sa &&
                !strcmp(json_string_value(json_object_get(b, "outcome")), "moved"))
                json_array_append_new(pairs, json_pack("[i, i]", sa, fa));
        }
    }
    return pairs;
}

void pr_http_get_bringup(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    static const char *const allowed[] = { "run", NULL };
    struct pr_bringup_run run;
    struct view v;
    int64_t id = 0;
    int err;

    if (pr_api_req_check_query(req, allowed) < 0 ||
        pr_api_req_uint_query(req, "run", 1, INT64_MAX, &id) < 0)
        return;
    v = (struct view){ json_array(), 0, 0, json_object() };
    err = pr_store_bringup_get(d->store, id, &run);
    if (err == 0)
        err = pr_store_bringup_each_slot(d->store, run.id, add_slot, &v);
    if (err < 0) {
        json_decref(v.items);
        json_decref(v.counts);
        if (err == -ENOENT && !id) /* none yet: nothing to show, not an error */
            pr_api_reply_json(req, 200,
                              json_pack("{s:n, s:b, s:i, s:i, s:o, s:[], s:[]}", "run", "running",
                                        0, "total", 0, "done", 0, "counts", json_object(),
                                        "swapped", "items"));
        else if (err == -ENOENT)
            pr_api_reply_error(req, PR_API_ERR_NOT_FOUND, "no bring-up run %lld", (long long)id);
        else
            pr_http_reply_store_error(req, d, err);
        return;
    }
    pr_api_reply_json(req, 200,
                      json_pack("{s:I, s:s, s:s, s:s, s:I, s:o, s:b, s:s, s:i, s:i, s:o, s:o, s:o}",
                                "run", (json_int_t)run.id, "slots", run.slots, "switch", run.sw,
                                "actor", run.actor, "created_ms", (json_int_t)run.created_ms,
                                "finished_ms",
                                run.finished_ms ? json_integer(run.finished_ms) : json_null(),
                                "running", run.finished_ms == 0, "result", run.result, "total",
                                (int)v.total, "done", (int)v.done, "counts", v.counts, "swapped",
                                swapped_pairs(v.items), "items", v.items));
}
