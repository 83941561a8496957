/* proxy/service: the proxy service in pirackd.  Private to daemon/.
 *
 * Reads every slot's pi name from the store, turns them into routes
 * (pr_proxy_slot_routes) and zone entries, and hands them to the proxy
 * engine, which writes the map files and the zone and keeps HAProxy in
 * step.  The store is read again at every check, so a change that no one
 * announced still reaches HAProxy within check_interval; call
 * pr_proxy_sync() after changing a pi's name to apply it at once. */
#ifndef PIRACK_SVC_PROXY_H
#define PIRACK_SVC_PROXY_H

#include <jansson.h>
#include "daemon/daemon.h"
#include "pirack/proxy.h"

/* The service's state; service.c runs it, daemon/http/proxy.c shows it. */
struct pr_proxy_service {
    struct pr_daemon *d;
    struct pr_proxy *engine;
    struct pr_proxy_settings settings; /* what the engine was made with */
    struct pr_timer *resync;
    struct pr_proxy_refusal *refused;
    size_t nrefused;
};

int pr_proxy_service_start(struct pr_daemon *d);
void pr_proxy_service_stop(struct pr_daemon *d); /* tolerates a service never started */

/* Rebuilds the desired routes from the store and the plan.  Returns 1
 * when they changed, 0 when not, -errno on failure (logged).  A pi whose
 * name is not a valid label gets no name routes (its ssh port still
 * works) and is listed as refused in GET /v1/routes. */
int pr_proxy_sync(struct pr_daemon *d);

/* The slot's routes in the front proxy for GET /v1/slots/{n}:
 * {"routes": [{"kind", "key", "value", "in_haproxy"}], "refused": why or
 * null}; JSON null when the service is not running.  (The Pi's IPv6
 * address, names and ssh port are already in the slot object.) */
json_t *pr_proxy_slot_json(const struct pr_daemon *d, unsigned slot);

/* GET /v1/routes's body: {"haproxy": {...}, "routes": [...], "refused": [...]}. */
json_t *pr_proxy_routes_json(struct pr_daemon *d);

#endif
