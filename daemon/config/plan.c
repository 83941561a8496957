/* config/plan: slot numbers to addresses, ports and names, and the plan that a
 * loaded configuration describes.  Pure: no I/O, no globals, the same
 * answer for the same slot every time. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pirack/config.h"
#include "pirack/plan.h"
#include "config_internal.h"

#define SSH_PORT_MAX 65535u

static int parse_len(const char *s, unsigned max, unsigned *out)
{
    char *end;
    unsigned long v;

    if (!isdigit((unsigned char)*s))
        return -EINVAL;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || *end || v > max)
        return -EINVAL;
    *out = (unsigned)v;
    return 0;
}

/* Splits "ADDR/LEN" into a copy of ADDR and LEN. */
static int split_prefix(const char *s, char *addr, size_t addrlen, const char **len)
{
    const char *slash = strchr(s, '/');

    if (!slash || (size_t)(slash - s) >= addrlen)
        return -EINVAL;
    memcpy(addr, s, (size_t)(slash - s));
    addr[slash - s] = '\0';
    *len = slash + 1;
    return 0;
}

static uint32_t v4_mask(unsigned len)
{
    return len == 0 ? 0 : 0xffffffffu << (32 - len);
}

int pr_prefix4_parse(const char *s, struct pr_prefix4 *out)
{
    char addr[INET_ADDRSTRLEN];
    const char *len;
    unsigned n;

    if (split_prefix(s, addr, sizeof(addr), &len) < 0 || parse_len(len, 32, &n) < 0 ||
        inet_pton(AF_INET, addr, &out->addr) != 1)
        return -EINVAL;
    out->len = n;
    if (ntohl(out->addr.s_addr) & ~v4_mask(n))
        return -EINVAL; /* host bits set: almost always a typo */
    return 0;
}

int pr_prefix6_parse(const char *s, struct pr_prefix6 *out)
{
    char addr[INET6_ADDRSTRLEN];
    const char *len;
    unsigned n;

    if (split_prefix(s, addr, sizeof(addr), &len) < 0 || parse_len(len, 128, &n) < 0 ||
        inet_pton(AF_INET6, addr, &out->addr) != 1)
        return -EINVAL;
    out->len = n;
    for (unsigned bit = n; bit < 128; bit++)
        if (out->addr.s6_addr[bit / 8] & (0x80 >> (bit % 8)))
            return -EINVAL;
    return 0;
}

static bool v4_in(uint32_t addr, uint32_t net, unsigned len)
{
    return (addr & v4_mask(len)) == net;
}

bool pr_prefix4_is_rfc1918(const struct pr_prefix4 *p)
{
    uint32_t a = ntohl(p->addr.s_addr);

    return (p->len >= 8 && v4_in(a, 0x0a000000u, 8)) ||
           (p->len >= 12 && v4_in(a, 0xac100000u, 12)) ||
           (p->len >= 16 && v4_in(a, 0xc0a80000u, 16));
}

bool pr_prefix4_overlap(const struct pr_prefix4 *a, const struct pr_prefix4 *b)
{
    unsigned len = a->len < b->len ? a->len : b->len;

    return v4_in(ntohl(a->addr.s_addr), ntohl(b->addr.s_addr) & v4_mask(len), len);
}

bool pr_prefix6_contains(const struct pr_prefix6 *p, const struct in6_addr *a)
{
    unsigned full = p->len / 8, rest = p->len % 8;

    if (memcmp(p->addr.s6_addr, a->s6_addr, full) != 0)
        return false;
    if (rest == 0)
        return true;
    return ((p->addr.s6_addr[full] ^ a->s6_addr[full]) & (0xff << (8 - rest))) == 0;
}

uint64_t pr_plan_v4_capacity(const struct pr_prefix4 *pool)
{
    return pool->len > 30 ? 0 : (uint64_t)1 << (30 - pool->len);
}

uint64_t pr_plan_v6_capacity(const struct pr_prefix6 *pool)
{
    if (pool->len > 64)
        return 0;
    return 64 - pool->len >= 32 ? UINT32_MAX : (uint64_t)1 << (64 - pool->len);
}

static bool if_pattern_valid(const char *pat)
{
    const char *p = strchr(pat, '%');
    char probe[64];

    /* Exactly one integer conversion, optionally 0-padded with a width. */
    if (!p || strchr(p + 1, '%'))
        return false;
    p++;
    if (*p == '0')
        p++;
    while (isdigit((unsigned char)*p))
        p++;
    if (*p != 'd' && *p != 'u')
        return false;
    for (const char *c = pat; *c; c++)
        if (!isalnum((unsigned char)*c) && !strchr("%-_.", *c))
            return false;
    snprintf(probe, sizeof(probe), pat, 999999);
    return strlen(probe) < IF_NAMESIZE;
}

int pr_plan_check(const struct pr_plan *plan, char *err, size_t errlen)
{
    if (plan->slots == 0) {
        snprintf(err, errlen, "a rack needs at least one slot");
        return -EINVAL;
    }
    if (pr_plan_v4_capacity(&plan->v4_pool) < plan->slots) {
        snprintf(err, errlen, "IPv4 pool /%u holds %llu /30s, fewer than %u slots",
                 plan->v4_pool.len, (unsigned long long)pr_plan_v4_capacity(&plan->v4_pool),
                 plan->slots);
        return -EINVAL;
    }
    if (pr_plan_v6_capacity(&plan->v6_pool) < plan->slots) {
        snprintf(err, errlen, "IPv6 pool /%u holds %llu /64s, fewer than %u slots",
                 plan->v6_pool.len, (unsigned long long)pr_plan_v6_capacity(&plan->v6_pool),
                 plan->slots);
        return -EINVAL;
    }
    if (plan->ssh_port_base == 0 || plan->ssh_port_base + plan->slots - 1 > SSH_PORT_MAX) {
        snprintf(err, errlen, "ssh ports %u..%u are outside 1..65535", plan->ssh_port_base,
                 plan->ssh_port_base + plan->slots - 1);
        return -EINVAL;
    }
    if (plan->isolated && !if_pattern_valid(plan->if_pattern)) {
        snprintf(err, errlen,
                 "interface pattern \"%s\" needs one %%d (e.g. pi%%03d) "
                 "and must give names under %d characters",
                 plan->if_pattern, IF_NAMESIZE);
        return -EINVAL;
    }
    return 0;
}

/* Adds n to the /64 index held in bits [len, 64) of a v6 prefix. */
static struct in6_addr v6_nth_64(const struct in6_addr *base, uint64_t n)
{
    struct in6_addr out = *base;
    uint64_t hi = 0;

    for (int i = 0; i < 8; i++)
        hi = (hi << 8) | out.s6_addr[i];
    hi += n;
    for (int i = 7; i >= 0; i--) {
        out.s6_addr[i] = (uint8_t)hi;
        hi >>= 8;
    }
    return out;
}

static struct in_addr v4_from_host(uint32_t host_order)
{
    return (struct in_addr){ .s_addr = htonl(host_order) };
}

int pr_plan_slot(const struct pr_plan *plan, unsigned slot, struct pr_slot_plan *out)
{
    uint32_t net;
    int n;

    if (slot == 0 || slot > plan->slots)
        return -ERANGE;
    memset(out, 0, sizeof(*out));
    out->slot = slot;
    net = ntohl(plan->v4_pool.addr.s_addr) + (slot - 1) * 4u;
    out->v4_net = v4_from_host(net);
    out->v4_host = v4_from_host(net + 1);
    out->v4_pi = v4_from_host(net + 2);
    out->v4_mask = v4_from_host(v4_mask(30));
    out->v6_net = v6_nth_64(&plan->v6_pool.addr, slot - 1);
    out->v6_host = out->v6_net;
    out->v6_host.s6_addr[15] = 1;
    out->v6_pi = out->v6_net;
    out->v6_pi.s6_addr[15] = 2;
    out->ssh_port = (uint16_t)(plan->ssh_port_base + slot - 1);
    if (plan->isolated)
        snprintf(out->ifname, sizeof(out->ifname), plan->if_pattern, slot);
    n = snprintf(out->name, sizeof(out->name), "%s-%03u", plan->rack, slot);
    return n < 0 || (size_t)n >= sizeof(out->name) ? -ENAMETOOLONG : 0;
}

unsigned pr_plan_slot_by_v4(const struct pr_plan *plan, struct in_addr addr)
{
    uint32_t a = ntohl(addr.s_addr), base = ntohl(plan->v4_pool.addr.s_addr);
    uint64_t index;

    if (a < base)
        return 0;
    index = (a - base) / 4u;
    if (index >= plan->slots || (a & 3u) == 0 || (a & 3u) == 3)
        return 0; /* past the rack, or a /30's network or broadcast */
    return (unsigned)index + 1;
}

unsigned pr_plan_slot_by_v6(const struct pr_plan *plan, const struct in6_addr *addr)
{
    uint64_t a = 0, base = 0;

    if (!pr_prefix6_contains(&plan->v6_pool, addr))
        return 0;
    for (int i = 0; i < 8; i++) {
        a = (a << 8) | addr->s6_addr[i];
        base = (base << 8) | plan->v6_pool.addr.s6_addr[i];
    }
    return a - base < plan->slots ? (unsigned)(a - base) + 1 : 0;
}

unsigned pr_plan_slot_by_ifname(const struct pr_plan *plan, const char *ifname)
{
    /* Invert the pattern by scanning its literal prefix and suffix. */
    const char *pct = strchr(plan->if_pattern, '%');
    const char *conv_end;
    size_t pre, suf, len = strlen(ifname);
    char digits[16];
    unsigned long v;
    char *end;
    char again[IF_NAMESIZE];

    if (!plan->isolated || !pct)
        return 0;
    conv_end = pct + strcspn(pct, "du") + 1;
    pre = (size_t)(pct - plan->if_pattern);
    suf = strlen(conv_end);
    if (len <= pre + suf || len - pre - suf >= sizeof(digits) ||
        strncmp(ifname, plan->if_pattern, pre) != 0 || strcmp(ifname + len - suf, conv_end) != 0)
        return 0;
    memcpy(digits, ifname + pre, len - pre - suf);
    digits[len - pre - suf] = '\0';
    if (!isdigit((unsigned char)digits[0]))
        return 0;
    v = strtoul(digits, &end, 10);
    if (*end || v == 0 || v > plan->slots)
        return 0;
    /* Only the canonical spelling (pi007, not pi7 or pi0007) is the slot's. */
    snprintf(again, sizeof(again), plan->if_pattern, (unsigned)v);
    return strcmp(again, ifname) == 0 ? (unsigned)v : 0;
}

unsigned pr_plan_slot_by_ssh_port(const struct pr_plan *plan, unsigned port)
{
    if (port < plan->ssh_port_base || port - plan->ssh_port_base >= plan->slots)
        return 0;
    return port - plan->ssh_port_base + 1;
}

static int join_name(char *out, size_t outlen, const char *prefix, const char *name,
                     const char *domain)
{
    int n = snprintf(out, outlen, "%s%s.%s", prefix, name, domain);

    return n < 0 || (size_t)n >= outlen || n > 253 ? -ENAMETOOLONG : 0;
}

int pr_plan_fqdn(const struct pr_plan *plan, const char *name, char *out, size_t outlen)
{
    return join_name(out, outlen, "", name, plan->domain);
}

int pr_plan_ssh_fqdn(const struct pr_plan *plan, const char *name, char *out, size_t outlen)
{
    return join_name(out, outlen, "ssh.", name, plan->domain);
}

int pr_plan_www_fqdn(const struct pr_plan *plan, const char *name, char *out, size_t outlen)
{
    return join_name(out, outlen, "www.", name, plan->domain);
}

static bool label_valid(const char *s, size_t len)
{
    if (len == 0 || len > 63 || s[0] == '-' || s[len - 1] == '-')
        return false;
    for (size_t i = 0; i < len; i++)
        if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-'))
            return false;
    return true;
}

bool pr_plan_name_valid(const char *name)
{
    return label_valid(name, strlen(name));
}

bool pr_plan_domain_valid(const char *domain)
{
    size_t len = strlen(domain);
    const char *p = domain;

    if (len == 0 || len > 253)
        return false;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t l = dot ? (size_t)(dot - p) : strlen(p);

        if (!label_valid(p, l))
            return false;
        if (!dot)
            return true;
        p = dot + 1;
    }
}

void pr_config_plan(const struct pr_config *cfg, struct pr_plan *plan)
{
    memset(plan, 0, sizeof(*plan));
    plan->v4_pool = cfg->v4_pool;
    plan->v6_pool = cfg->v6_pool;
    plan->slots = cfg->slots;
    plan->ssh_port_base = cfg->ssh_port_base;
    plan->isolated = cfg->isolated;
    snprintf(plan->rack, sizeof(plan->rack), "%s", cfg->rack_name);
    snprintf(plan->domain, sizeof(plan->domain), "%s", cfg->domain);
    if (cfg->isolated)
        snprintf(plan->if_pattern, sizeof(plan->if_pattern), "%s", cfg->interface);
}
