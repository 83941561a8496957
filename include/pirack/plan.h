/* plan: the rack's address plan as pure functions (no I/O, no state).
 *
 * Slot N (1-based) owns:
 *   - the Nth /30 of the IPv4 pool: network .0, host side .1, Pi .2;
 *   - the Nth /64 of the IPv6 pool: host side PREFIX::1, Pi PREFIX::2;
 *   - ssh port ssh_port_base + N - 1 on the front proxy;
 *   - the default pi name RACK-NNN (NNN zero-padded to 3 digits) and the
 *     names NAME.DOMAIN, ssh.NAME.DOMAIN, www.NAME.DOMAIN;
 *   - in isolated mode the interface named by the pattern (e.g. pi%03d).
 * The same slot always gets the same addresses, whatever else changes. */
#ifndef PIRACK_PLAN_H
#define PIRACK_PLAN_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <net/if.h>

#define PR_NAME_MAX 64 /* one DNS label plus room */
#define PR_FQDN_MAX 254

struct pr_prefix4 {
    struct in_addr addr;
    unsigned len;
};
struct pr_prefix6 {
    struct in6_addr addr;
    unsigned len;
};

bool pr_prefix6_contains(const struct pr_prefix6 *p, const struct in6_addr *a);

struct pr_plan {
    struct pr_prefix4 v4_pool;
    struct pr_prefix6 v6_pool;
    unsigned slots;
    unsigned ssh_port_base;
    char rack[PR_NAME_MAX];
    char domain[PR_FQDN_MAX];
    char if_pattern[IF_NAMESIZE]; /* isolated: holds one %d-style conversion */
    bool isolated;
    /* [rack] shrink = yes: a smaller slots may drop slots that hold a
     * board, an owned Pi, events or power operations (and deletes them) */
};

struct pr_slot_plan {
    unsigned slot;
    struct in_addr v4_net, v4_host, v4_pi, v4_mask; /* /30 */
    struct in6_addr v6_net, v6_host, v6_pi;         /* /64 */
    uint16_t ssh_port;
    char ifname[IF_NAMESIZE]; /* empty in flat mode */
    char name[PR_NAME_MAX];   /* default pi name: RACK-NNN */
};

/* Fills out for slot (1..plan->slots).  Returns 0, or -ERANGE. */
int pr_plan_slot(const struct pr_plan *plan, unsigned slot, struct pr_slot_plan *out);

/* The slot whose /30 holds addr (host or Pi side), or 0. */
unsigned pr_plan_slot_by_v4(const struct pr_plan *plan, struct in_addr addr);
/* Isolated mode: the slot whose interface is ifname, or 0. */
unsigned pr_plan_slot_by_ifname(const struct pr_plan *plan, const char *ifname);

/* Writes NAME.DOMAIN, ssh.NAME.DOMAIN, www.NAME.DOMAIN for a pi name.
 * Return 0, or -ENAMETOOLONG. */
int pr_plan_fqdn(const struct pr_plan *plan, const char *name, char *out, size_t outlen);
int pr_plan_ssh_fqdn(const struct pr_plan *plan, const char *name, char *out, size_t outlen);
int pr_plan_www_fqdn(const struct pr_plan *plan, const char *name, char *out, size_t outlen);

/* A pi name is one lower-case DNS label: [a-z0-9-], 1..63, no leading or
 * trailing '-'.  The only names that may reach DNS, HAProxy or a path. */
bool pr_plan_name_valid(const char *name);
/* A domain: dot-separated valid labels, lower case, at most 253. */
bool pr_plan_domain_valid(const char *domain);

#endif
