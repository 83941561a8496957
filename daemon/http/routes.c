/* routes: the API's one route table.  Every route pirackd answers is
 * here, registered once by pr_http_start() from main.c; see http.h for
 * which file holds each handler. */
#include "http.h"

#define OPS PR_API_OPS
#define CUST PR_API_CUSTOMER
#define MGMT PR_API_METRICS

static const struct pr_http_route routes[] = {
    /* the rack, read from the store */
    { OPS, "GET", "/v1/status", pr_http_get_status },
    { OPS, "GET", "/v1/slots", pr_http_get_slots },
    { OPS, "GET", "/v1/slots/{n}", pr_http_get_slot },
    { OPS, "GET", "/v1/events", pr_http_get_events },
    { OPS, "GET", "/v1/events/stream", pr_http_get_events_stream },
    /* the operator's changes to a slot */
    { OPS, "POST", "/v1/slots/{n}/board", pr_http_post_board },
    { OPS, "DELETE", "/v1/slots/{n}/board", pr_http_delete_board },
    { OPS, "PUT", "/v1/slots/{n}/pi", pr_http_put_pi },
    /* the operator's word that cutting slots in use is meant */
    { OPS, "POST", "/v1/slots/shrink", pr_http_post_shrink },
    /* power */
    { OPS, "POST", "/v1/slots/{n}/power", pr_http_post_slot_power },
    { OPS, "GET", "/v1/slots/{n}/power", pr_http_get_slot_power },
    { OPS, "POST", "/v1/power", pr_http_post_power },
    { OPS, "GET", "/v1/power", pr_http_get_power },
    /* bring-up: boards learned slot by slot */
    { OPS, "POST", "/v1/bringup", pr_http_post_bringup },
    { OPS, "GET", "/v1/bringup", pr_http_get_bringup },
    /* customers and their API keys */
    { OPS, "GET", "/v1/customers", pr_http_get_customers },
    { OPS, "POST", "/v1/customers", pr_http_post_customer },
    { OPS, "DELETE", "/v1/customers/{name}", pr_http_delete_customer },
    { OPS, "GET", "/v1/keys", pr_http_get_keys },
    { OPS, "POST", "/v1/keys", pr_http_post_key },
    { OPS, "DELETE", "/v1/keys/{id}", pr_http_delete_key },
    /* images and per-Pi roots */
    { OPS, "GET", "/v1/images", pr_http_get_images },
    { OPS, "POST", "/v1/images", pr_http_post_images },
    { OPS, "GET", "/v1/images/{name}", pr_http_get_image },
    { OPS, "DELETE", "/v1/images/{name}", pr_http_delete_image },
    { OPS, "POST", "/v1/slots/{n}/reimage", pr_http_post_reimage },
    { OPS, "GET", "/v1/slots/{n}/reimage", pr_http_get_reimage },
    { OPS, "DELETE", "/v1/slots/{n}/root", pr_http_delete_root },
    /* health: the end of a quarantine */
    { OPS, "POST", "/v1/slots/{n}/release", pr_http_post_release },
    /* the services' state */
    { OPS, "GET", "/v1/net", pr_http_get_net },
    { OPS, "GET", "/v1/dhcp/stats", pr_http_get_dhcp_stats },
    { OPS, "GET", "/v1/routes", pr_http_get_routes },
    { OPS, "GET", "/v1/slots/{n}/trace", pr_http_get_trace },
    { OPS, "GET", "/metrics", pr_http_get_metrics },
    /* the rack's web page (web.c), on both listeners */
    { OPS, "GET", "/", pr_http_get_page },
    { OPS, "GET", "/ui/{file}", pr_http_get_page_file },
    { CUST, "GET", "/", pr_http_get_page },
    { CUST, "GET", "/ui/{file}", pr_http_get_page_file },
    /* the management listener ([metrics] listen): Prometheus only */
    { MGMT, "GET", "/metrics", pr_http_get_metrics },
    /* the customers' API ([api] listen), Mythic Beasts' shape */
    { CUST, "POST", "/login", pr_http_post_login },
    { CUST, "GET", "/pi/servers", pr_http_get_servers },
    { CUST, "GET", "/pi/servers/{name}", pr_http_get_server },
    { CUST, "POST", "/pi/servers/{name}", pr_http_post_server },
    { CUST, "DELETE", "/pi/servers/{name}", pr_http_delete_server },
    { CUST, "GET", "/pi/queue/{name}", pr_http_get_queue },
    { CUST, "PUT", "/pi/servers/{name}/power", pr_http_put_server_power },
    { CUST, "POST", "/pi/servers/{name}/reboot", pr_http_post_server_reboot },
    { CUST, "POST", "/pi/servers/{name}/reinstall", pr_http_post_server_reinstall },
    { CUST, "GET", "/pi/servers/{name}/ssh-key", pr_http_get_server_ssh_key },
    { CUST, "PUT", "/pi/servers/{name}/ssh-key", pr_http_put_server_ssh_key },
    { CUST, "GET", "/pi/models", pr_http_get_models },
    { CUST, "GET", "/pi/images/{model}", pr_http_get_pi_images },
    /* pirack's own additions to the customers' API */
    { CUST, "GET", "/pi/events/stream", pr_http_get_pi_events_stream },
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
        err = pr_api_route_on(d->api, routes[i].side, routes[i].method, routes[i].pattern,
                              routes[i].fn, d);
        if (err < 0)
            return err;
    }
    err = pr_http_customer_start(d);
    if (err == 0)
        err = pr_http_streams_start(d);
    return err < 0 ? err : pr_http_metrics_start(d);
}
