/* proxy/routes: route checks, the routes of a slot, and route lists.  Pure. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pirack/array.h"
#include "pirack/log.h"
#include "pirack/proxy.h"
#include "proxy_internal.h"

static const char *const kind_names[PR_ROUTE_KINDS] = { "ssh", "sni", "host" };

const char *pr_route_kind_name(enum pr_route_kind kind)
{
    if ((unsigned)kind >= PR_ROUTE_KINDS)
        return NULL;
    return kind_names[kind];
}

int pr_route_kind_parse(const char *name, enum pr_route_kind *out)
{
    for (unsigned i = 0; name && i < PR_ROUTE_KINDS; i++) {
        if (strcmp(name, kind_names[i]) == 0) {
            *out = (enum pr_route_kind)i;
            return 0;
        }
    }
    return -EINVAL;
}

/* Quotes untrusted text for an error message. */
static const char *quoted(const char *s, char *buf, size_t len)
{
    return pr_escape(s, strnlen(s, 512), buf, len);
}

static int port_key_valid(const char *key)
{
    size_t n = strlen(key);
    if (n == 0 || n > 5 || key[0] == '0')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (key[i] < '0' || key[i] > '9')
            return 0;
    long port = strtol(key, NULL, 10);
    return port >= 1 && port <= 65535;
}

/* A host name's last label is never all digits (RFC 3696 2): that is an
 * IPv4 address, not a name. */
static int numeric_tld(const char *name)
{
    const char *dot = strrchr(name, '.');
    const char *tld = dot ? dot + 1 : name;
    return *tld && strspn(tld, "0123456789") == strlen(tld);
}

int pr_proxy_check_key(enum pr_route_kind kind, const char *key, char *err, size_t errlen)
{
    char q[96];
    if (!key) {
        snprintf(err, errlen, "no key");
        return -EINVAL;
    }
    if ((unsigned)kind >= PR_ROUTE_KINDS) {
        snprintf(err, errlen, "unknown route kind %d", (int)kind);
        return -EINVAL;
    }
    if (kind == PR_ROUTE_SSH) {
        if (!port_key_valid(key)) {
            snprintf(err, errlen, "ssh route key \"%s\" is not a port number 1-65535",
                     quoted(key, q, sizeof q));
            return -EINVAL;
        }
        return 0;
    }
    if (!pr_plan_domain_valid(key) || numeric_tld(key)) {
        snprintf(err, errlen, "%s route key \"%s\" is not a lower-case host name", kind_names[kind],
                 quoted(key, q, sizeof q));
        return -EINVAL;
    }
    return 0;
}

int pr_proxy_check_value(const struct pr_prefix6 *pool, const char *value,
                         char canon[PR_MAP_VALUE_MAX], char *err, size_t errlen)
{
    char q[96];
    struct in6_addr a;
    if (!value || inet_pton(AF_INET6, value, &a) != 1) {
        snprintf(err, errlen, "route value \"%s\" is not an IPv6 address",
                 value ? quoted(value, q, sizeof q) : "");
        return -EINVAL;
    }
    char text[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, &a, text, sizeof text);
    if (!pool || !pr_prefix6_contains(pool, &a)) {
        char p[INET6_ADDRSTRLEN] = "";
        if (pool)
            inet_ntop(AF_INET6, &pool->addr, p, sizeof p);
        snprintf(err, errlen, "route value %s is outside the Pi pool %s/%u", text, p,
                 pool ? pool->len : 0);
        return -EINVAL;
    }
    if (canon)
        memcpy(canon, text, sizeof text);
    return 0;
}

int pr_route_make(struct pr_route *r, enum pr_route_kind kind, unsigned slot, const char *key,
                  const char *value, const struct pr_prefix6 *pool, char *err, size_t errlen)
{
    char canon[PR_MAP_VALUE_MAX];
    int rc = pr_proxy_check_key(kind, key, err, errlen);
    if (rc == 0)
        rc = pr_proxy_check_value(pool, value, canon, err, errlen);
    if (rc < 0)
        return rc;
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->slot = slot;
    snprintf(r->key, sizeof r->key, "%s", key);
    memcpy(r->value, canon, sizeof r->value);
    return 0;
}

int pr_proxy_slot_routes(const struct pr_plan *plan, unsigned slot, const char *name,
                         struct pr_route out[PR_ROUTES_PER_SLOT], char *err, size_t errlen)
{
    struct pr_slot_plan sp;
    char q[96], pi[INET6_ADDRSTRLEN], port[8], www[PR_FQDN_MAX];
    if (pr_plan_slot(plan, slot, &sp) < 0) {
        snprintf(err, errlen, "slot %u is not in the plan (1-%u)", slot, plan->slots);
        return -ERANGE;
    }
    if (!name || !*name)
        name = sp.name;
    if (!pr_plan_name_valid(name)) {
        snprintf(err, errlen, "slot %u: pi name \"%s\" is not a lower-case DNS label", slot,
                 quoted(name, q, sizeof q));
        return -EINVAL;
    }
    if (pr_plan_www_fqdn(plan, name, www, sizeof www) < 0) {
        snprintf(err, errlen, "slot %u: www.%s.%s is too long for DNS", slot, name, plan->domain);
        return -EINVAL;
    }
    inet_ntop(AF_INET6, &sp.v6_pi, pi, sizeof pi);
    snprintf(port, sizeof port, "%u", (unsigned)sp.ssh_port);
    int rc = pr_route_make(&out[0], PR_ROUTE_SSH, slot, port, pi, &plan->v6_pool, err, errlen);
    if (rc == 0)
        rc = pr_route_make(&out[1], PR_ROUTE_SNI, slot, www, pi, &plan->v6_pool, err, errlen);
    if (rc == 0)
        rc = pr_route_make(&out[2], PR_ROUTE_HOST, slot, www, pi, &plan->v6_pool, err, errlen);
    return rc < 0 ? rc : PR_ROUTES_PER_SLOT;
}

int pr_routes_push(struct pr_routes *rs, const struct pr_route *r)
{
    if (pr_array_grow(&rs->v, rs->n, &rs->cap, sizeof *rs->v, 32) < 0)
        return -ENOMEM;
    rs->v[rs->n++] = *r;
    return 0;
}

void pr_routes_clear(struct pr_routes *rs)
{
    free(rs->v);
    rs->v = NULL;
    rs->n = rs->cap = 0;
}

/* Keys of one kind compare numerically for ports (shorter first), else
 * as strings. */
static int key_cmp(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (a[0] >= '0' && a[0] <= '9' && b[0] >= '0' && b[0] <= '9' && la != lb)
        return la < lb ? -1 : 1;
    return strcmp(a, b);
}

static int route_cmp(const void *pa, const void *pb)
{
    const struct pr_route *a = pa, *b = pb;
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    int c = key_cmp(a->key, b->key);
    if (c != 0)
        return c;
    return a->slot < b->slot ? -1 : a->slot > b->slot;
}

void pr_routes_sort(struct pr_routes *rs)
{
    if (rs->n > 1)
        qsort(rs->v, rs->n, sizeof *rs->v, route_cmp);
}

int pr_routes_find_duplicate(const struct pr_routes *rs, char *err, size_t errlen)
{
    struct pr_routes copy = { 0 };
    int found = 0;
    if (rs->n < 2)
        return 0;
    copy.v = malloc(rs->n * sizeof *rs->v);
    if (!copy.v)
        return -ENOMEM;
    memcpy(copy.v, rs->v, rs->n * sizeof *rs->v);
    copy.n = copy.cap = rs->n;
    pr_routes_sort(&copy);
    for (size_t i = 1; i < copy.n && !found; i++) {
        const struct pr_route *a = &copy.v[i - 1], *b = &copy.v[i];
        if (a->kind == b->kind && strcmp(a->key, b->key) == 0) {
            snprintf(err, errlen, "%s route %s is claimed by slots %u and %u", kind_names[a->kind],
                     a->key, a->slot, b->slot);
            found = 1;
        }
    }
    pr_routes_clear(&copy);
    return found;
}
