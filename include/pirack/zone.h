/* zone: the rack's DNS zone file, pure rendering.
 *
 *   $ORIGIN DOMAIN.
 *   @          SOA  ns hostmaster ( YYYYMMDDnn ... )
 *   NAME       AAAA the Pi (IPv6 only: the Pi itself)
 *   ssh.NAME   A / AAAA the front proxy
 *   www.NAME   A / AAAA the front proxy
 *   api        A / AAAA the front proxy, with the customer API's route
 *              (a pi named "api" is then left out: the name is taken)
 *
 * The serial has the form YYYYMMDDnn and increases on every change, even
 * past 99 changes in a day (it then runs into the next day's numbers). */
#ifndef PIRACK_ZONE_H
#define PIRACK_ZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>
#include "pirack/plan.h"

struct pr_zone_params {
    const char *domain;     /* the origin, pr_plan_domain_valid */
    const char *ns;         /* SOA MNAME and NS; "" = ns.DOMAIN */
    const char *hostmaster; /* SOA RNAME; "" = hostmaster.DOMAIN */
    const char *proxy_ipv4; /* "" = no A records */
    const char *proxy_ipv6; /* "" = no AAAA records for ssh/www */
    unsigned ttl;           /* 0 = 300 */
    bool api;               /* api.DOMAIN, the customer API, at the front proxy */
};

struct pr_zone_pi {
    char name[PR_NAME_MAX];
    struct in6_addr addr;
};

#endif
