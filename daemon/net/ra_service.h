/* net/ra_service: router advertisements on every slot interface (isolated mode) or
 * the shared one (flat mode), from its link-local address.  One ICMPv6
 * raw socket and one timer on the loop; the bytes come from ra.c.
 *
 * Start after the net service (the links should carry their addresses);
 * stop sends a last RA with router lifetime 0 on every link.  Call
 * pr_ra_service_reload() after the configuration or plan changed. */
#ifndef PIRACK_SVC_RA_H
#define PIRACK_SVC_RA_H

#include <stdint.h>

struct pr_daemon;

struct pr_ra_stats {
    uint64_t links;         /* links advertised on */
    uint64_t sent;          /* RAs sent */
    uint64_t solicitations; /* valid RSs */
    uint64_t malformed;     /* RSs dropped by the parser */
    uint64_t send_errors;   /* RAs that could not be sent (retried) */
};

/* Does nothing (returns 0) when [ipv6] ra = no.  Returns 0 or -errno. */
int pr_ra_service_start(struct pr_daemon *d);
void pr_ra_service_stop(struct pr_daemon *d);
/* Rebuilds the set of links from d->cfg and d->plan; links that stay keep
 * their schedule, new ones start with the initial burst. */
int pr_ra_service_reload(struct pr_daemon *d);
void pr_ra_service_stats(const struct pr_daemon *d, struct pr_ra_stats *out);

#endif
