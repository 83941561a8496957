/* zone: the rack's DNS zone file, pure rendering.
 *
 *   $ORIGIN DOMAIN.
 *   @          SOA  ns hostmaster ( YYYYMMDDnn ... )
 *   NAME       AAAA the Pi (IPv6 only: the Pi itself)
 *   ssh.NAME   A / AAAA the front proxy
 *   www.NAME   A / AAAA the front proxy
 *
 * The serial has the form YYYYMMDDnn and increases on every change, even
 * past 99 changes in a day (it then runs into the next day's numbers). */
#ifndef PIRACK_ZONE_H
#define PIRACK_ZONE_H

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
};

struct pr_zone_pi {
    char name[PR_NAME_MAX];
    struct in6_addr addr;
};

/* Writes the records of every pi (sorted as given) to f.  A pi whose
 * name is not a valid label is left out and counted in *skipped.  Returns
 * 0, or -EINVAL with the reason in err when the parameters are unusable. */
int pr_zone_render_records(FILE *f, const struct pr_zone_params *zp, const struct pr_zone_pi *pis,
                           size_t n, size_t *skipped, char *err, size_t errlen);

/* Writes the whole zone: header, $ORIGIN, $TTL, SOA with serial, NS, a
 * "; records" line and then records (the output of
 * pr_zone_render_records).  Returns 0 or -EINVAL with the reason in err. */
int pr_zone_render(FILE *f, const struct pr_zone_params *zp, uint32_t serial, const char *records,
                   char *err, size_t errlen);

/* The serial after prev on day (YYYYMMDD): max(prev + 1, day * 100). */
uint32_t pr_zone_next_serial(uint32_t prev, uint32_t day);
/* Today's YYYYMMDD in UTC from unix seconds. */
uint32_t pr_zone_day(int64_t unix_s);

/* Reads back a zone that pr_zone_render wrote: its serial and where its
 * records start (offset into text).  Returns 0, or -EINVAL when text is
 * not such a zone. */
int pr_zone_parse(const char *text, size_t len, uint32_t *serial, size_t *records_off);

#endif
