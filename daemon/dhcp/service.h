/* dhcp/service: the DHCP server's socket edge.  Receives on UDP port 67 with
 * IP_PKTINFO (the interface names the slot in isolated mode), asks the
 * pure server (pirack/dhcp.h) what to do, and sends replies as whole
 * Ethernet frames on an AF_PACKET socket, so an OFFER reaches a Pi that
 * has no address and no ARP entry.  Every drop is counted by reason. */
#ifndef PIRACK_SVC_DHCP_H
#define PIRACK_SVC_DHCP_H

#include <stdint.h>
#include "pirack/dhcp.h"

struct pr_daemon;
struct pr_dhcp_service;

struct pr_dhcp_stats {
    uint64_t received;           /* datagrams read on port 67 */
    uint64_t offers, acks, naks; /* replies sent (repeats included) */
    uint64_t repeats;            /* second OFFERs for the Pi 3B */
    uint64_t releases, declines;
    uint64_t seen; /* boards that no slot owns */
    uint64_t drops[PR_DROP__COUNT];
};

/* Opens the sockets and registers them on d->loop; sets d->dhcp.
 * Returns 0 or -errno (e.g. -EACCES without CAP_NET_RAW). */
int pr_dhcp_service_start(struct pr_daemon *d);
void pr_dhcp_service_stop(struct pr_daemon *d); /* tolerates "never started" */

/* The counters, for /metrics and GET /v1/dhcp/stats.  NULL when the service is not running. */
const struct pr_dhcp_stats *pr_dhcp_service_stats(const struct pr_dhcp_service *s);

#endif
