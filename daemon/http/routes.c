/* routes: the API's one route table.  Every route pirackd answers is
 * here, registered once by pr_http_start() from main.c; see http.h for
 * which file holds each handler. */
#include "http.h"

static const struct pr_http_route routes[] = {
    /* the rack, read from the store */
    { "GET", "/v1/status", pr_http_get_status },
    { "GET", "/v1/slots", pr_http_get_slots },
    { "GET", "/v1/slots/{n}", pr_http_get_slot },
    { "GET", "/v1/events", pr_http_get_events },
    /* the operator's changes to a slot */
    { "POST", "/v1/slots/{n}/board", pr_http_post_board },
    { "DELETE", "/v1/slots/{n}/board", pr_http_delete_board },
    { "PUT", "/v1/slots/{n}/pi", pr_http_put_pi },
    /* power */
    { "POST", "/v1/slots/{n}/power", pr_http_post_slot_power },
    { "GET", "/v1/slots/{n}/power", pr_http_get_slot_power },
    { "POST", "/v1/power", pr_http_post_power },
    { "GET", "/v1/power", pr_http_get_power },
    /* images */
    { "GET", "/v1/images", pr_http_get_images },
    { "POST", "/v1/images", pr_http_post_images },
    { "GET", "/v1/images/{name}", pr_http_get_image },
    { "DELETE", "/v1/images/{name}", pr_http_delete_image },
    { "POST", "/v1/slots/{n}/reimage", pr_http_post_reimage },
    { "GET", "/v1/slots/{n}/reimage", pr_http_get_reimage },
    { "DELETE", "/v1/slots/{n}/root", pr_http_delete_root },
    /* the services' state */
    { "GET", "/v1/net", pr_http_get_net },
    { "GET", "/v1/dhcp/stats", pr_http_get_dhcp_stats },
    { "GET", "/v1/routes", pr_http_get_routes },
    { "GET", "/v1/slots/{n}/trace", pr_http_get_trace },
    { "GET", "/metrics", pr_http_get_metrics },
};

const struct pr_http_route *pr_http_routes(size_t *n)
{
    *n = sizeof(routes) / sizeof(routes[0]);
    return routes;
}

int pr_http_start(struct pr_daemon *d)
{
    int err;

    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        err = pr_api_route(d->api, routes[i].method, routes[i].pattern, routes[i].fn, d);
        if (err < 0)
            return err;
    }
    return pr_http_metrics_start(d);
}
