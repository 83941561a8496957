/* http/rack: the rack's read-only routes.
 *
 *   GET /v1/status          the rack, the version, uptime, slots by state
 *   GET /v1/slots           every slot (the objects of /v1/slots/{n})
 *   GET /v1/slots/{n}       one slot: addresses, names, state, power,
 *                           switch port, board, pi
 *   GET /v1/events          ?slot=N (0: the rack itself; none: all)
 *                           &since=ID (events after that id) &limit=N
 *
 * The handlers run on the loop's thread and read the store directly. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon/health/service.h"
#include "daemon/http/http.h"
#include "daemon/image/service.h"

#define EVENTS_DEFAULT_LIMIT 100
#define EVENTS_MAX_LIMIT 1000

static const char *none_if_empty(const char *s)
{
    return s && s[0] ? s : NULL;
}

/* json_pack's "s?" gives null for NULL; "" in the store means "none". */
#define OPT(s) none_if_empty(s)

static json_t *addresses_json(const struct pr_slot_row *row, const struct pr_slot_plan *sp)
{
    char v4_net[INET_ADDRSTRLEN + 3], v6_host[INET6_ADDRSTRLEN];
    char net[INET_ADDRSTRLEN];

    inet_ntop(AF_INET, &sp->v4_net, net, sizeof(net));
    snprintf(v4_net, sizeof(v4_net), "%s/30", net);
    inet_ntop(AF_INET6, &sp->v6_host, v6_host, sizeof(v6_host));
    return json_pack("{s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s}}", "v4", "prefix", v4_net, "host",
                     row->v4_host, "pi", row->v4_pi, "v6", "prefix", row->v6_prefix, "host",
                     v6_host, "pi", row->v6_pi);
}

static json_t *names_json(const struct pr_plan *plan, const char *name)
{
    char fqdn[PR_FQDN_MAX + 1], ssh[PR_FQDN_MAX + 1], www[PR_FQDN_MAX + 1];

    if (pr_plan_fqdn(plan, name, fqdn, sizeof(fqdn)) < 0 ||
        pr_plan_ssh_fqdn(plan, name, ssh, sizeof(ssh)) < 0 ||
        pr_plan_www_fqdn(plan, name, www, sizeof(www)) < 0)
        return json_null();
    return json_pack("{s:s, s:s, s:s}", "fqdn", fqdn, "ssh", ssh, "www", www);
}

static json_t *board_json(const struct pr_slot_row *row)
{
    if (!row->mac[0])
        return json_null();
    return json_pack("{s:s, s:s?, s:s?}", "mac", row->mac, "serial", OPT(row->serial), "model",
                     OPT(row->model));
}

static json_t *switch_json(const struct pr_slot_row *row)
{
    if (!row->switch_name[0])
        return json_null();
    return json_pack("{s:s, s:I}", "name", row->switch_name, "port", (json_int_t)row->switch_port);
}

json_t *pr_http_slot_json(const struct pr_daemon *d, const struct pr_slot_row *row)
{
    struct pr_slot_plan sp;
    const char *name;

    if (pr_plan_slot(&d->plan, row->slot, &sp) < 0)
        memset(&sp, 0, sizeof(sp));
    /* A pi with no name of its own answers to the plan's RACK-NNN. */
    name = row->name[0] ? row->name : sp.name;
    return json_pack("{s:I, s:s, s:I, s:s, s:o, s:o, s:I, s:s?, s:o, s:o,"
                     " s:{s:s, s:s?, s:s?, s:s?}, s:o}",
                     "slot", (json_int_t)row->slot, "state", row->state, "state_since",
                     (json_int_t)row->state_since, "power", row->power[0] ? row->power : "unknown",
                     "addresses", addresses_json(row, &sp), "names", names_json(&d->plan, name),
                     "ssh_port", (json_int_t)row->ssh_port, "interface", OPT(row->ifname), "switch",
                     switch_json(row), "board", board_json(row), "pi", "name", name, "owner",
                     OPT(row->owner), "image", OPT(row->image), "policy", OPT(row->policy), "proxy",
                     pr_http_proxy_slot_json(d, row->slot));
}

/* ---- GET /v1/status ---- */

static int count_state(const char *key, unsigned count, void *ctx)
{
    return json_object_set_new(ctx, key, json_integer(count)) < 0 ? -ENOMEM : 0;
}

void pr_http_get_status(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    json_t *by_state = json_object();
    int total, err;

    if (!by_state) {
        pr_api_reply_error(req, PR_API_ERR_INTERNAL, "out of memory");
        return;
    }
    total = pr_store_slot_count(d->store);
    err = total < 0 ? total : pr_store_count_by_state(d->store, count_state, by_state);
    if (err < 0) {
        json_decref(by_state);
        pr_http_reply_store_error(req, d, err);
        return;
    }
    pr_api_reply_json(req, 200,
                      json_pack("{s:s, s:s, s:s, s:s, s:I, s:{s:i, s:o}, s:{s:s?}, s:{s:s?, s:s?}}",
                                "rack", d->plan.rack, "domain", d->plan.domain, "mode",
                                d->plan.isolated ? "isolated" : "flat", "version", PIRACK_VERSION,
                                "uptime_s", (json_int_t)((pr_now_ms() - d->started_ms) / 1000),
                                "slots", "total", total, "by_state", by_state, "roots", "clone",
                                pr_image_clone_method(d), "remediation", "paused",
                                pr_health_paused(d), "self_check", pr_health_self_check_failed(d)));
}

/* ---- GET /v1/slots ---- */

struct slots_walk {
    const struct pr_daemon *d;
    json_t *array;
};

static int add_slot(const struct pr_slot_row *row, void *ctx)
{
    struct slots_walk *w = ctx;

    return json_array_append_new(w->array, pr_http_slot_json(w->d, row)) < 0 ? -ENOMEM : 0;
}

void pr_http_get_slots(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    struct slots_walk w = { .d = d, .array = json_array() };
    int err;

    if (!w.array) {
        pr_api_reply_error(req, PR_API_ERR_INTERNAL, "out of memory");
        return;
    }
    err = pr_store_each_slot(d->store, add_slot, &w);
    if (err < 0) {
        json_decref(w.array);
        if (err == -ENOMEM)
            pr_api_reply_error(req, PR_API_ERR_INTERNAL, "out of memory");
        else
            pr_http_reply_store_error(req, d, err);
        return;
    }
    pr_api_reply_json(req, 200, w.array);
}

/* ---- GET /v1/slots/{n} ---- */

void pr_http_get_slot(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    struct pr_slot_row row;
    unsigned n;
    int err;

    if (pr_http_slot_param(req, d, &n) < 0)
        return;
    err = pr_store_get_slot(d->store, n, &row);
    if (err == -ENOENT) {
        pr_api_reply_error(req, PR_API_ERR_NO_SUCH_SLOT, "slot %u is not in the store", n);
        return;
    }
    if (err < 0) {
        pr_http_reply_store_error(req, d, err);
        return;
    }
    pr_api_reply_json(req, 200, pr_http_slot_json(d, &row));
}

/* ---- GET /v1/events ---- */

json_t *pr_http_event_json(const struct pr_event_row *ev)
{
    json_t *detail = NULL;

    if (ev->detail[0]) {
        detail = json_loads(ev->detail, JSON_DECODE_ANY, NULL);
        /* Stored text that is not JSON is still shown, as a string. */
        if (!detail)
            detail = json_string(ev->detail);
    }
    return json_pack("{s:I, s:I, s:I, s:s, s:s, s:o?}", "id", (json_int_t)ev->id, "time_ms",
                     (json_int_t)ev->time_ms, "slot", (json_int_t)ev->slot, "kind", ev->kind,
                     "actor", ev->actor, "detail", detail);
}

struct events_walk {
    json_t *array;
    int64_t last_id;
};

static int add_event(const struct pr_event_row *ev, void *ctx)
{
    struct events_walk *w = ctx;

    if (json_array_append_new(w->array, pr_http_event_json(ev)) < 0)
        return -ENOMEM;
    w->last_id = ev->id;
    return 0;
}

void pr_http_get_events(struct pr_api_req *req, void *ctx)
{
    static const char *const allowed[] = { "slot", "since", "limit", NULL };
    struct pr_daemon *d = ctx;
    int64_t slot = 0, since = 0, limit = EVENTS_DEFAULT_LIMIT;
    struct events_walk w;
    int has_slot, err;

    if (pr_api_req_check_query(req, allowed) < 0 ||
        (has_slot = pr_api_req_uint_query(req, "slot", 0, 999999, &slot)) < 0 ||
        pr_api_req_uint_query(req, "since", 0, INT64_MAX, &since) < 0 ||
        pr_api_req_uint_query(req, "limit", 1, EVENTS_MAX_LIMIT, &limit) < 0)
        return;
    /* A slot cut from the rack keeps its events: they are listed while
     * there are any (the store answers -ENOENT when there are none). */
    w.array = json_array();
    w.last_id = since;
    if (!w.array) {
        pr_api_reply_error(req, PR_API_ERR_INTERNAL, "out of memory");
        return;
    }
    err = pr_store_each_event(d->store, (unsigned)slot, has_slot && slot == 0, since,
                              (unsigned)limit, add_event, &w);
    if (err == -ENOENT ||
        (err == 0 && has_slot && slot > d->plan.slots && json_array_size(w.array) == 0)) {
        json_decref(w.array);
        pr_api_reply_error(req, PR_API_ERR_NO_SUCH_SLOT, "slot %lld is not in this rack (0-%u)",
                           (long long)slot, d->plan.slots);
        return;
    }
    if (err < 0) {
        json_decref(w.array);
        pr_http_reply_store_error(req, d, err);
        return;
    }
    /* "next" is the since= that continues after these events. */
    pr_api_reply_json(req, 200,
                      json_pack("{s:o, s:I}", "events", w.array, "next", (json_int_t)w.last_id));
}
