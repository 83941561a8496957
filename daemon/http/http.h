/* http: every route of pirackd's API, in one table (routes.c), and the
 * handlers behind them, one file per resource:
 *
 *   rack.c     GET /v1/status, /v1/slots, /v1/slots/{n}, /v1/events
 *   ops.c      POST/DELETE /v1/slots/{n}/board, PUT /v1/slots/{n}/pi
 *   power.c    GET/POST /v1/slots/{n}/power, GET/POST /v1/power
 *   net.c      GET /v1/net
 *   dhcp.c     GET /v1/dhcp/stats
 *   proxy.c    GET /v1/routes (and the "proxy" member of a slot)
 *   images.c   GET/POST /v1/images, GET/DELETE /v1/images/{name},
 *              GET/POST /v1/slots/{n}/reimage, DELETE /v1/slots/{n}/root
 *   trace.c    GET /v1/slots/{n}/trace
 *   metrics.c  GET /metrics (and the rack's own metric families)
 *   slot.c     the {n} parameter and store errors, for all of them
 *
 * Handlers run on the loop's thread with the daemon as their context and
 * reach the services only through their public headers
 * (daemon/DOMAIN/service.h).  Every route exists whether its service runs
 * or not: a handler whose service is not running answers 503
 * unavailable.  Every error answer uses the words of enum pr_api_error
 * (pirack/api.h).  Services
 * never call into this folder.  Private to daemon/. */
#ifndef PIRACK_HTTP_H
#define PIRACK_HTTP_H

#include <stddef.h>
#include <jansson.h>
#include "daemon/daemon.h"

struct pr_http_route {
    const char *method; /* "GET", "POST", "PUT", "DELETE" */
    const char *pattern;
    pr_api_handler fn;
};

/* The table, in the order it is registered; *n gets its length. */
const struct pr_http_route *pr_http_routes(size_t *n);

/* Registers every route of the table on d->api with d as the handlers'
 * context, and the rack's own metric families.  Called once, by main.c,
 * before the services start.  Returns 0 or -errno. */
int pr_http_start(struct pr_daemon *d);

/* ---- shared by the handlers ---- */

/* The largest {n} that is a number at all: beyond it, 400. */
#define PR_HTTP_SLOT_MAX 999999

/* The slot of the {n} path parameter into *slot, and 0.  Else answers
 * itself and returns -1: 400 bad-request when {n} is not a whole number
 * from 0 to PR_HTTP_SLOT_MAX, 404 no-such-slot when it is not a slot of
 * this rack (1-slots).
 * Every route with {n} takes its slot from here. */
int pr_http_slot_param(struct pr_api_req *req, const struct pr_daemon *d, unsigned *slot);
/* Answers 500 internal for a store call that failed with err, the
 * detail "the store: " and the store's own words. */
void pr_http_reply_store_error(struct pr_api_req *req, const struct pr_daemon *d, int err);

/* One slot as GET /v1/slots/{n} shows it; NULL when out of memory. */
json_t *pr_http_slot_json(const struct pr_daemon *d, const struct pr_slot_row *row);
/* The slot's routes in the front proxy (the slot object's "proxy"):
 * {"routes": [...], "refused": why or null}; JSON null when the proxy
 * service is not running. */
json_t *pr_http_proxy_slot_json(const struct pr_daemon *d, unsigned slot);
/* Registers the rack's metric families (pirack_up, pirack_info, ...). */
int pr_http_metrics_start(struct pr_daemon *d);

/* ---- the handlers (ctx is the daemon) ---- */

void pr_http_get_status(struct pr_api_req *req, void *ctx);
void pr_http_get_slots(struct pr_api_req *req, void *ctx);
void pr_http_get_slot(struct pr_api_req *req, void *ctx);
void pr_http_get_events(struct pr_api_req *req, void *ctx);
void pr_http_post_board(struct pr_api_req *req, void *ctx);
void pr_http_delete_board(struct pr_api_req *req, void *ctx);
void pr_http_put_pi(struct pr_api_req *req, void *ctx);
void pr_http_post_slot_power(struct pr_api_req *req, void *ctx);
void pr_http_get_slot_power(struct pr_api_req *req, void *ctx);
void pr_http_post_power(struct pr_api_req *req, void *ctx);
void pr_http_get_power(struct pr_api_req *req, void *ctx);
void pr_http_get_net(struct pr_api_req *req, void *ctx);
void pr_http_get_dhcp_stats(struct pr_api_req *req, void *ctx);
void pr_http_get_routes(struct pr_api_req *req, void *ctx);
void pr_http_get_trace(struct pr_api_req *req, void *ctx);
void pr_http_get_metrics(struct pr_api_req *req, void *ctx);
void pr_http_get_images(struct pr_api_req *req, void *ctx);
void pr_http_get_image(struct pr_api_req *req, void *ctx);
void pr_http_post_images(struct pr_api_req *req, void *ctx);
void pr_http_delete_image(struct pr_api_req *req, void *ctx);
void pr_http_post_reimage(struct pr_api_req *req, void *ctx);
void pr_http_get_reimage(struct pr_api_req *req, void *ctx);
void pr_http_delete_root(struct pr_api_req *req, void *ctx);

#endif
