/* proxy/zone: the rack's DNS zone file.  Pure: text out, nothing else. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pirack/zone.h"
#include "proxy_internal.h"

#define ZONE_DEFAULT_TTL 300
#define RECORDS_MARK "; records\n"

static int check_params(const struct pr_zone_params *zp, char *err, size_t errlen)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (!zp->domain || !pr_plan_domain_valid(zp->domain)) {
        snprintf(err, errlen, "zone: the domain is not a lower-case DNS name");
        return -EINVAL;
    }
    if ((zp->ns && *zp->ns && !pr_plan_domain_valid(zp->ns)) ||
        (zp->hostmaster && *zp->hostmaster && !pr_plan_domain_valid(zp->hostmaster))) {
        snprintf(err, errlen, "zone: ns and hostmaster must be lower-case DNS names");
        return -EINVAL;
    }
    if (zp->proxy_ipv4 && *zp->proxy_ipv4 && inet_pton(AF_INET, zp->proxy_ipv4, &a4) != 1) {
        snprintf(err, errlen, "zone: the proxy's ipv4 is not an IPv4 address");
        return -EINVAL;
    }
    if (zp->proxy_ipv6 && *zp->proxy_ipv6 && inet_pton(AF_INET6, zp->proxy_ipv6, &a6) != 1) {
        snprintf(err, errlen, "zone: the proxy's ipv6 is not an IPv6 address");
        return -EINVAL;
    }
    return 0;
}

static void proxy_records(FILE *f, const char *label, const struct pr_zone_params *zp)
{
    if (zp->proxy_ipv4 && *zp->proxy_ipv4)
        fprintf(f, "%-28s IN A     %s\n", label, zp->proxy_ipv4);
    if (zp->proxy_ipv6 && *zp->proxy_ipv6)
        fprintf(f, "%-28s IN AAAA  %s\n", label, zp->proxy_ipv6);
}

int pr_zone_render_records(FILE *f, const struct pr_zone_params *zp, const struct pr_zone_pi *pis,
                           size_t n, size_t *skipped, char *err, size_t errlen)
{
    char label[PR_NAME_MAX + 8], addr[INET6_ADDRSTRLEN];
    int rc = check_params(zp, err, errlen);
    if (rc < 0)
        return rc;
    *skipped = 0;
    if (zp->api)
        proxy_records(f, "api", zp);
    for (size_t i = 0; i < n; i++) {
        if (!pr_plan_name_valid(pis[i].name) || (zp->api && strcmp(pis[i].name, "api") == 0)) {
            (*skipped)++;
            continue;
        }
        inet_ntop(AF_INET6, &pis[i].addr, addr, sizeof addr);
        fprintf(f, "%-28s IN AAAA  %s\n", pis[i].name, addr);
        snprintf(label, sizeof label, "ssh.%s", pis[i].name);
        proxy_records(f, label, zp);
        snprintf(label, sizeof label, "www.%s", pis[i].name);
        proxy_records(f, label, zp);
    }
    return ferror(f) ? -EIO : 0;
}

int pr_zone_render(FILE *f, const struct pr_zone_params *zp, uint32_t serial, const char *records,
                   char *err, size_t errlen)
{
    int rc = check_params(zp, err, errlen);
    if (rc < 0)
        return rc;
    unsigned ttl = zp->ttl ? zp->ttl : ZONE_DEFAULT_TTL;
    char ns[PR_FQDN_MAX + 8], hm[PR_FQDN_MAX + 16];
    if (zp->ns && *zp->ns)
        snprintf(ns, sizeof ns, "%s.", zp->ns);
    else
        snprintf(ns, sizeof ns, "ns.%s.", zp->domain);
    if (zp->hostmaster && *zp->hostmaster)
        snprintf(hm, sizeof hm, "%s.", zp->hostmaster);
    else
        snprintf(hm, sizeof hm, "hostmaster.%s.", zp->domain);
    fprintf(f,
            "; The rack's names, written by pirackd: do not edit.  NAME is the Pi\n"
            "; itself (IPv6 only); ssh.NAME and www.NAME are the front proxy.\n"
            "$ORIGIN %s.\n"
            "$TTL %u\n"
            "@ IN SOA %s %s ( %u 3600 600 1209600 %u )\n"
            "@ IN NS %s\n" RECORDS_MARK "%s",
            zp->domain, ttl, ns, hm, serial, ttl, ns, records ? records : "");
    return ferror(f) ? -EIO : 0;
}

uint32_t pr_zone_next_serial(uint32_t prev, uint32_t day)
{
    uint64_t floor = (uint64_t)day * 100;
    uint64_t next = (uint64_t)prev + 1;
    if (floor > next)
        next = floor;
    return next > UINT32_MAX ? UINT32_MAX : (uint32_t)next;
}

uint32_t pr_zone_day(int64_t unix_s)
{
    time_t t = (time_t)unix_s;
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return 0;
    return (uint32_t)(tm.tm_year + 1900) * 10000 + (uint32_t)(tm.tm_mon + 1) * 100 +
           (uint32_t)tm.tm_mday;
}

int pr_zone_parse(const char *text, size_t len, uint32_t *serial, size_t *records_off)
{
    static const char soa[] = "\n@ IN SOA ";
    const char *end = text + len;
    const char *p = memmem(text, len, soa, sizeof soa - 1);
    if (!p)
        return -EINVAL;
    const char *open = memchr(p, '(', (size_t)(end - p));
    const char *mark = memmem(text, len, "\n" RECORDS_MARK, sizeof RECORDS_MARK);
    if (!open || !mark || mark < open)
        return -EINVAL;
    open++;
    while (open < end && *open == ' ')
        open++;
    uint64_t v = 0;
    size_t digits = 0;
    while (open < end && *open >= '0' && *open <= '9' && digits < 11) {
        v = v * 10 + (uint64_t)(*open++ - '0');
        digits++;
    }
    if (digits == 0 || v > UINT32_MAX || open == end || *open != ' ')
        return -EINVAL;
    *serial = (uint32_t)v;
    *records_off = (size_t)(mark - text) + sizeof RECORDS_MARK;
    return 0;
}
