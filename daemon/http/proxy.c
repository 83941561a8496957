/* http/proxy: the proxy service's state as the API shows it.  Apart
 * from daemon/proxy/service.c so that the API's routes can use it without pulling
 * in the service's start-up and events. */
#include "pirack/proxy.h"
#include "daemon/proxy/service.h"

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

json_t *pr_proxy_routes_json(struct pr_daemon *d)
{
    struct pr_proxy_service *svc = d->proxy;
    const struct pr_routes *rs = pr_proxy_routes(svc->engine);
    json_t *routes = json_array(), *refused = json_array();
    for (size_t i = 0; routes && i < rs->n; i++)
        json_array_append_new(routes,
                              json_pack("{s:s, s:s, s:s, s:I, s:b}", "kind",
                                        pr_route_kind_name(rs->v[i].kind), "key", rs->v[i].key,
                                        "value", rs->v[i].value, "slot", (json_int_t)rs->v[i].slot,
                                        "in_haproxy", pr_proxy_route_in_haproxy(svc->engine, i)));
    for (size_t i = 0; refused && i < svc->nrefused; i++)
        json_array_append_new(refused,
                              json_pack("{s:I, s:s}", "slot", (json_int_t)svc->refused[i].slot,
                                        "error", svc->refused[i].error));
    return json_pack("{s:o?, s:o?, s:o?, s:I}", "haproxy",
                     haproxy_json(d->cfg, pr_proxy_get_status(svc->engine)), "routes", routes,
                     "refused", refused, "zone_serial",
                     (json_int_t)pr_proxy_zone_serial(svc->engine));
}

json_t *pr_proxy_slot_json(const struct pr_daemon *d, unsigned slot)
{
    const struct pr_proxy_service *svc = d->proxy;
    if (!svc)
        return json_null();
    const struct pr_routes *rs = pr_proxy_routes(svc->engine);
    json_t *routes = json_array();
    const char *refused = NULL;
    for (size_t i = 0; routes && i < rs->n; i++)
        if (rs->v[i].slot == slot)
            json_array_append_new(
                routes, json_pack("{s:s, s:s, s:s, s:b}", "kind", pr_route_kind_name(rs->v[i].kind),
                                  "key", rs->v[i].key, "value", rs->v[i].value, "in_haproxy",
                                  pr_proxy_route_in_haproxy(svc->engine, i)));
    for (size_t i = 0; i < svc->nrefused && !refused; i++)
        if (svc->refused[i].slot == slot)
            refused = svc->refused[i].error;
    return json_pack("{s:o?, s:s?}", "routes", routes, "refused", refused);
}
