/* http/proxy: GET /v1/routes, the proxy service's state, and the "proxy"
 * member of a slot object.
 *
 *   GET /v1/routes  {"haproxy": {...}, "routes": [...], "refused": [...],
 *                   "zone_serial"}; 503 when the proxy is not running */
#include "daemon/http/http.h"
#include "daemon/proxy/service.h"
#include "pirack/proxy.h"

static json_t *haproxy_json(const struct pr_config *cfg, const struct pr_proxy_status *st)
{
    json_t *o = json_pack("{s:s, s:b, s:b, s:I, s:I}", "admin_socket", cfg->proxy_admin_socket,
                          "checked", st->checked, "reachable", st->reachable, "restarts",
                          (json_int_t)st->restarts, "failed_commands", (json_int_t)st->failed);
    if (!o)
        return NULL;
    json_object_set_new(o, "pid", st->info.pid > 0 ? json_integer(st->info.pid) : json_null());
    json_object_set_new(o, "version",
                        st->info.version[0] ? json_string(st->info.version) : json_null());
    json_object_set_new(o, "checked_ms",
                        st->checked ? json_integer(st->checked_unix_ms) : json_null());
    json_object_set_new(o, "error", st->error[0] ? json_string(st->error) : json_null());
    return o;
}

static json_t *routes_json(const struct pr_daemon *d, const struct pr_proxy *engine)
{
    const struct pr_routes *rs = pr_proxy_routes(engine);
    size_t nrefused;
    const struct pr_proxy_refusal *refusals = pr_proxy_service_refused(d, &nrefused);
    json_t *routes = json_array(), *refused = json_array();
    for (size_t i = 0; routes && i < rs->n; i++)
        json_array_append_new(routes,
                              json_pack("{s:s, s:s, s:s, s:I, s:b}", "kind",
                                        pr_route_kind_name(rs->v[i].kind), "key", rs->v[i].key,
                                        "value", rs->v[i].value, "slot", (json_int_t)rs->v[i].slot,
                                        "in_haproxy", pr_proxy_route_in_haproxy(engine, i)));
    for (size_t i = 0; refused && i < nrefused; i++)
        json_array_append_new(refused, json_pack("{s:I, s:s}", "slot", (json_int_t)refusals[i].slot,
                                                 "error", refusals[i].error));
    return json_pack("{s:o?, s:o?, s:o?, s:I}", "haproxy",
                     haproxy_json(d->cfg, pr_proxy_get_status(engine)), "routes", routes, "refused",
                     refused, "zone_serial", (json_int_t)pr_proxy_zone_serial(engine));
}

void pr_http_get_routes(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    const struct pr_proxy *engine = pr_proxy_service_engine(d);
    if (!engine) {
        pr_api_reply_error(req, PR_API_ERR_UNAVAILABLE, "the proxy service is not running");
        return;
    }
    json_t *body = routes_json(d, engine);
    if (!body) {
        pr_api_reply_error(req, PR_API_ERR_INTERNAL, "out of memory");
        return;
    }
    pr_api_reply_json(req, 200, body);
}

json_t *pr_http_proxy_slot_json(const struct pr_daemon *d, unsigned slot)
{
    const struct pr_proxy *engine = pr_proxy_service_engine(d);
    if (!engine)
        return json_null();
    const struct pr_routes *rs = pr_proxy_routes(engine);
    size_t nrefused;
    const struct pr_proxy_refusal *refusals = pr_proxy_service_refused(d, &nrefused);
    json_t *routes = json_array();
    const char *refused = NULL;
    for (size_t i = 0; routes && i < rs->n; i++)
        if (rs->v[i].slot == slot)
            json_array_append_new(
                routes, json_pack("{s:s, s:s, s:s, s:b}", "kind", pr_route_kind_name(rs->v[i].kind),
                                  "key", rs->v[i].key, "value", rs->v[i].value, "in_haproxy",
                                  pr_proxy_route_in_haproxy(engine, i)));
    for (size_t i = 0; i < nrefused && !refused; i++)
        if (refusals[i].slot == slot)
            refused = refusals[i].error;
    return json_pack("{s:o?, s:s?}", "routes", routes, "refused", refused);
}
