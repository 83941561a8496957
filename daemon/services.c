/* services: starts and stops every service in dependency order.  One
 * list, so the order that start-up and shut-down follow is in one place. */
#include <string.h>

#include "daemon.h"
#include "daemon/boot/service.h"
#include "daemon/boot/capture_service.h"
#include "daemon/dhcp/service.h"
#include "daemon/health/bringup_service.h"
#include "daemon/health/service.h"
#include "daemon/image/service.h"
#include "daemon/net/service.h"
#include "daemon/power/service.h"
#include "daemon/proxy/service.h"
#include "daemon/net/ra_service.h"
#include "daemon/tftp/service.h"

struct service {
    const char *name;
    int (*start)(struct pr_daemon *d);
    void (*stop)(struct pr_daemon *d);
};

static const struct service services[] = {
    /* Addresses first: DHCP and TFTP answer from the slots' .1 addresses. */
    { "net", pr_net_service_start, pr_net_service_stop },
    { "ra", pr_ra_service_start, pr_ra_service_stop },
    { "capture", pr_capture_service_start, pr_capture_service_stop },
    { "boot", pr_boot_service_start, pr_boot_service_stop },
    { "dhcp", pr_dhcp_service_start, pr_dhcp_service_stop },
    { "tftp", pr_tftp_service_start, pr_tftp_service_stop },
    /* Before power: a reimage finishing after a restart needs the images. */
    { "image", pr_image_service_start, pr_image_service_stop },
    { "proxy", pr_proxy_service_start, pr_proxy_service_stop },
    /* Last: power-ons (also those finishing interrupted ops) boot Pis,
     * which need DHCP and the boot timeline ready. */
    { "power", pr_power_service_start, pr_power_service_stop },
    /* After power: a run resumed after a restart sends power actions. */
    { "bringup", pr_bringup_service_start, pr_bringup_service_stop },
    /* After power and image: the ladder asks both; probes need the boot
     * timeline. */
    { "health", pr_health_service_start, pr_health_service_stop },
    { "retention", pr_retention_start, pr_retention_stop },
    { "status", pr_status_start, pr_status_stop },
    { NULL, NULL, NULL },
};

int pr_daemon_services_start(struct pr_daemon *d)
{
    for (const struct service *s = services; s->name; s++) {
        int r = s->start(d);

        if (r < 0) {
            pr_err("cannot start %s: %s", s->name, strerror(-r));
            return r;
        }
    }
    return 0;
}

void pr_daemon_services_stop(struct pr_daemon *d)
{
    size_t n = 0;

    while (services[n].name)
        n++;
    while (n-- > 0)
        services[n].stop(d);
}

/* What each service does after a good reload (d->cfg and d->plan are the
 * new ones).  A list of its own, so that services without a reload need
 * no entry. */
static const struct reloader {
    const char *name;
    int (*reload)(struct pr_daemon *d);
} reloaders[] = {
    /* ra first: a link that leaves says goodbye from fe80::1 before net
     * takes that address away. */
    { "ra", pr_ra_service_reload },
    { "net", pr_net_reconcile },
    { "power", pr_power_service_reload },
    { "health", pr_health_service_reload },
    { NULL, NULL },
};

int pr_daemon_services_reload(struct pr_daemon *d)
{
    int first = 0;

    for (const struct reloader *r = reloaders; r->name; r++) {
        int rc = r->reload(d);

        if (rc < 0) {
            pr_err("reload: %s: %s", r->name, strerror(-rc));
            if (!first)
                first = rc;
        }
    }
    return first;
}
