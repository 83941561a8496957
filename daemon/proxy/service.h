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

#include "daemon/daemon.h"
#include "pirack/proxy.h"

/* The service's state, run by service.c; others read it through the
 * accessors below. */
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

/* The running engine (its routes, HAProxy's status, the zone's serial:
 * see pirack/proxy.h), or NULL when the service is not running. */
const struct pr_proxy *pr_proxy_service_engine(const struct pr_daemon *d);

/* The pis the last sync refused, *n of them; NULL and 0 when none or
 * when the service is not running. */
const struct pr_proxy_refusal *pr_proxy_service_refused(const struct pr_daemon *d, size_t *n);

#endif
