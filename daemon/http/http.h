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
 *   health.c   POST /v1/slots/{n}/release
 *   trace.c    GET /v1/slots/{n}/trace
 *   metrics.c  GET /metrics (and the rack's own metric families)
 *   customer.c POST /login (customer side) and the bearer check
 *   servers.c  the customer side's /pi/ routes but provisioning
 *   provision.c  POST/DELETE /pi/servers/{name}, GET /pi/queue/{name},
 *                POST /pi/servers/{name}/reinstall
 *   customers.c  GET/POST /v1/customers, DELETE /v1/customers/{name},
 *              GET/POST /v1/keys, DELETE /v1/keys/{id} (ops only)
 *   events_stream.c  GET /v1/events/stream, GET /pi/events/stream (SSE)
 *   web.c      the rack's web page (GET /, /ui/...) on both listeners
 *   bringup.c  GET/POST /v1/bringup (ops only)
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

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "daemon/daemon.h"

struct pr_http_route {
    enum pr_api_side side; /* which listener serves it */
    const char *method;    /* "GET", "POST", "PUT", "DELETE" */
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
/* Answers 400 and returns -1 when the JSON object body has a member not
 * in allowed (NULL-terminated); 0 otherwise (also for no body). */
int pr_http_check_fields(struct pr_api_req *req, json_t *body, const char *const *allowed);
/* An event as GET /v1/events shows it; NULL when out of memory. */
json_t *pr_http_event_json(const struct pr_event_row *ev);
/* An API key as GET /v1/keys shows it (never the secret). */
json_t *pr_http_key_json(const struct pr_key_row *row);

/* ---- the customer API (customer.c, servers.c, provision.c) ---- */

/* What the customer API keeps between requests: token buckets. */
struct pr_http_state {
    struct pr_ratelimit *per_key;    /* every request of a key */
    struct pr_ratelimit *per_pi;     /* power actions on a pi */
    struct pr_ratelimit *login_fail; /* failed logins by client address */
    /* pirack_api_auth_failures_total{reason}: login, token, scope */
    uint64_t login_failures, token_failures, scope_failures;
    /* pirack_api_rate_limited_total{limit}: key, pi, login */
    uint64_t limited_key, limited_pi, limited_login;
};
/* Makes d->http; pr_http_stop() frees it (accepts a daemon without). */
int pr_http_customer_start(struct pr_daemon *d);
void pr_http_stop(struct pr_daemon *d);
/* The bearer token of the request: its principal into *p and 0, having
 * set the actor to "key:ID".  Else answers 401 (WWW-Authenticate:
 * Bearer), 403 insufficient_scope when the key lacks scope, or 429 with
 * Retry-After, and returns -1. */
int pr_http_customer_auth(struct pr_api_req *req, struct pr_daemon *d, unsigned scope,
                          struct pr_principal *p);
/* {"error": TEXT} with status, as the customer API answers errors. */
void pr_http_customer_error(struct pr_api_req *req, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* 429 with Retry-After: wait_s. */
void pr_http_too_many(struct pr_api_req *req, unsigned wait_s, const char *what);
/* Answers 400 and returns true when name cannot be a server's (a DNS
 * label); every {name} route checks it first. */
bool pr_http_server_name_bad(struct pr_api_req *req, const char *name);
/* The server object of a customer's pi. */
json_t *pr_http_server_json(struct pr_daemon *d, const struct pr_slot_row *row);
/* Whether slot's newest reinstall (reimage) is unfinished, its phase
 * into phase. */
bool pr_http_reinstalling(struct pr_daemon *d, unsigned slot, char *phase, size_t len);
/* With an Idempotency-Key seen before for this key: answers the first
 * answer again (or 422 when it was for another request) and returns true. */
bool pr_http_idempotent_replay(struct pr_api_req *req, struct pr_daemon *d,
                               const struct pr_principal *p);
/* Answers status, body and Location (NULL: none), keeping the answer for
 * the request's Idempotency-Key if it has one. */
void pr_http_idempotent_reply(struct pr_api_req *req, struct pr_daemon *d,
                              const struct pr_principal *p, unsigned status, json_t *body,
                              const char *location);

/* The event streams (events_stream.c): started by pr_http_start(),
 * stopped by main.c before the api, which ends every open stream. */
int pr_http_streams_start(struct pr_daemon *d);
void pr_http_streams_stop(struct pr_daemon *d);
/* The open streams and the most bytes one of them has waiting for its
 * client (never more than 64 KiB and a frame). */
#define PR_HTTP_STREAM_BUFFER_MAX (64 * 1024 + 2048)
void pr_http_streams_status(const struct pr_daemon *d, unsigned *open, size_t *most_buffered);

/* Registers the rack's metric families (pirack_up, pirack_info, ...). */
int pr_http_metrics_start(struct pr_daemon *d);

/* ---- the handlers (ctx is the daemon) ---- */

void pr_http_get_status(struct pr_api_req *req, void *ctx);
void pr_http_get_slots(struct pr_api_req *req, void *ctx);
void pr_http_get_slot(struct pr_api_req *req, void *ctx);
void pr_http_get_events(struct pr_api_req *req, void *ctx);
void pr_http_get_events_stream(struct pr_api_req *req, void *ctx);
void pr_http_get_pi_events_stream(struct pr_api_req *req, void *ctx);
void pr_http_get_page(struct pr_api_req *req, void *ctx);
void pr_http_get_page_file(struct pr_api_req *req, void *ctx);
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
void pr_http_post_shrink(struct pr_api_req *req, void *ctx);
void pr_http_post_bringup(struct pr_api_req *req, void *ctx);
void pr_http_get_bringup(struct pr_api_req *req, void *ctx);
void pr_http_get_customers(struct pr_api_req *req, void *ctx);
void pr_http_post_customer(struct pr_api_req *req, void *ctx);
void pr_http_delete_customer(struct pr_api_req *req, void *ctx);
void pr_http_get_keys(struct pr_api_req *req, void *ctx);
void pr_http_post_key(struct pr_api_req *req, void *ctx);
void pr_http_delete_key(struct pr_api_req *req, void *ctx);
void pr_http_post_login(struct pr_api_req *req, void *ctx);
void pr_http_get_servers(struct pr_api_req *req, void *ctx);
void pr_http_get_server(struct pr_api_req *req, void *ctx);
void pr_http_post_server(struct pr_api_req *req, void *ctx);
void pr_http_post_server_reinstall(struct pr_api_req *req, void *ctx);
void pr_http_delete_server(struct pr_api_req *req, void *ctx);
void pr_http_get_queue(struct pr_api_req *req, void *ctx);
void pr_http_put_server_power(struct pr_api_req *req, void *ctx);
void pr_http_post_server_reboot(struct pr_api_req *req, void *ctx);
void pr_http_get_server_ssh_key(struct pr_api_req *req, void *ctx);
void pr_http_put_server_ssh_key(struct pr_api_req *req, void *ctx);
void pr_http_get_models(struct pr_api_req *req, void *ctx);
void pr_http_get_pi_images(struct pr_api_req *req, void *ctx);
void pr_http_get_images(struct pr_api_req *req, void *ctx);
void pr_http_get_image(struct pr_api_req *req, void *ctx);
void pr_http_post_images(struct pr_api_req *req, void *ctx);
void pr_http_delete_image(struct pr_api_req *req, void *ctx);
void pr_http_post_reimage(struct pr_api_req *req, void *ctx);
void pr_http_get_reimage(struct pr_api_req *req, void *ctx);
void pr_http_delete_root(struct pr_api_req *req, void *ctx);

/* health.c */
void pr_http_post_release(struct pr_api_req *req, void *ctx);

#endif
