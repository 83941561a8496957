/* daemon: how pirackd wires its modules.  Private to daemon/.
 *
 * main.c owns one struct pr_daemon.  Each service (api routes, tftp, dhcp,
 * poe, net, ra, proxy, boot, health) has a start function that takes the
 * daemon, registers its fds, timers and API routes on d->loop, and a stop
 * function.  Services reach each other only through the pointers here and
 * the public headers under include/pirack/. */
#ifndef PIRACK_DAEMON_H
#define PIRACK_DAEMON_H

#include <stdint.h>
#include "pirack/api.h"
#include "pirack/config.h"
#include "pirack/log.h"
#include "pirack/loop.h"
#include "pirack/plan.h"
#include "pirack/store.h"

struct pr_daemon {
    struct pr_loop *loop;
    struct pr_config *cfg; /* current; replaced on a good SIGHUP */
    struct pr_plan plan;
    struct pr_store *store;
    struct pr_api *api;
    uint64_t started_ms; /* pr_now_ms() at start */
    const char *config_path;

    /* services, NULL when not running */
    struct pr_tftp_service *tftp;
    struct pr_dhcp_service *dhcp;
    struct pr_power_service *power;
    struct pr_net_service *net;
    struct pr_ra_service *ra;
    struct pr_proxy_service *proxy;
    struct pr_boot_service *boot;
    struct pr_capture_service *capture;
};

/* Records an event for slot (0 = rack); see pr_store_record().  A macro
 * so that services need nothing of daemon/ but this struct. */
#define pr_daemon_event(d, ...) pr_store_record((d)->store, __VA_ARGS__)

/* daemon/services.c: every service's start and stop, in order.  Start
 * stops at the first failure; stop runs in reverse and tolerates services
 * that never started. */
int pr_daemon_services_start(struct pr_daemon *d);
void pr_daemon_services_stop(struct pr_daemon *d);
/* After a good reload: every service that has a reload step runs it (all
 * of them, even after a failure).  Returns the first -errno, or 0. */
int pr_daemon_services_reload(struct pr_daemon *d);

/* daemon/http/rack.c: the foundation's read-only routes. */
int pr_api_routes_start(struct pr_daemon *d);
/* One slot as GET /v1/slots/{n} shows it; NULL when out of memory. */
json_t *pr_api_slot_json(const struct pr_daemon *d, const struct pr_slot_row *row);

/* daemon/http/ops.c: assign and unassign boards, set a pi's name, owner,
 * image, policy.  daemon/http/metrics.c: GET /metrics and the rack's own
 * families.  Both are started by pr_api_routes_start(). */
int pr_api_ops_routes_start(struct pr_daemon *d);
int pr_api_metrics_start(struct pr_daemon *d);

#endif
