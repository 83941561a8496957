/* proxy/build: the rack's config and pi names -> engine settings, routes and
 * zone entries.  Pure. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pirack/proxy.h"
#include "proxy_internal.h"

static int push_refused(struct pr_proxy_build *b, unsigned slot, const char *error)
{
    struct pr_proxy_refusal *v = realloc(b->refused, (b->nrefused + 1) * sizeof *v);
    if (!v)
        return -ENOMEM;
    b->refused = v;
    v[b->nrefused].slot = slot;
    snprintf(v[b->nrefused].error, sizeof v->error, "%s", error);
    b->nrefused++;
    return 0;
}

/* A name already taken by another slot keeps only its first owner. */
static bool name_taken(const struct pr_proxy_build *b, const struct pr_route *sni)
{
    for (size_t i = 0; i < b->rs.n; i++)
        if (b->rs.v[i].kind == PR_ROUTE_SNI && strcmp(b->rs.v[i].key, sni->key) == 0)
            return true;
    return false;
}

static int push_pi(struct pr_proxy_build *b, const char *name, const struct in6_addr *addr)
{
    struct pr_zone_pi *pis = realloc(b->pis, (b->npis + 1) * sizeof *pis);
    if (!pis)
        return -ENOMEM;
    b->pis = pis;
    snprintf(pis[b->npis].name, sizeof pis->name, "%s", name);
    pis[b->npis].addr = *addr;
    b->npis++;
    return 0;
}

/* The slot still owns its ssh port: it keeps that route whatever its name. */
static int refuse(struct pr_proxy_build *b, const struct pr_plan *plan, unsigned slot,
                  const char *why)
{
    struct pr_route r[PR_ROUTES_PER_SLOT];
    char scratch[400];
    int rc = 0;
    if (pr_proxy_slot_routes(plan, slot, NULL, r, scratch, sizeof scratch) > 0)
        rc = pr_routes_push(&b->rs, &r[0]);
    return rc < 0 ? rc : push_refused(b, slot, why);
}

int pr_proxy_build_add(struct pr_proxy_build *b, const struct pr_plan *plan, unsigned slot,
                       const char *name)
{
    struct pr_route r[PR_ROUTES_PER_SLOT];
    struct pr_slot_plan sp;
    char err[400];
    if (pr_plan_slot(plan, slot, &sp) < 0)
        return 0; /* the store is ahead of a reload */
    if (!name || !*name)
        name = sp.name;
    int n = pr_proxy_slot_routes(plan, slot, name, r, err, sizeof err);
    if (n < 0)
        return refuse(b, plan, slot, err);
    if (name_taken(b, &r[1])) {
        snprintf(err, sizeof err, "slot %u: the name %s is already routed to another slot", slot,
                 r[1].key);
        return refuse(b, plan, slot, err);
    }
    for (int i = 0; i < n; i++) {
        int rc = pr_routes_push(&b->rs, &r[i]);
        if (rc < 0)
            return rc;
    }
    return push_pi(b, name, &sp.v6_pi);
}

void pr_proxy_build_clear(struct pr_proxy_build *b)
{
    pr_routes_clear(&b->rs);
    free(b->pis);
    free(b->refused);
    memset(b, 0, sizeof *b);
}

/* The engine's settings are the config's [proxy] section, the IPv6 pool
 * and the ssh port range the plan gives the slots. */
/* Where HAProxy reaches the customer API of [api] listen: a wildcard
 * address is reached on loopback (an IPv6 wildcard takes IPv4 too). */
static void api_backend_of(const char *listen, struct pr_proxy_settings *s)
{
    const char *colon = strrchr(listen, ':');

    if (!colon)
        return;
    if (strncmp(listen, "[::]:", 5) == 0 || strncmp(listen, "0.0.0.0:", 8) == 0 || listen[0] == ':')
        snprintf(s->api_backend, sizeof(s->api_backend), "127.0.0.1%s", colon);
    else if (listen[0] == '[')
        snprintf(s->api_backend, sizeof(s->api_backend), "ipv6@%.*s%s",
                 (int)(strchr(listen, ']') - listen - 1), listen + 1, colon);
    else
        snprintf(s->api_backend, sizeof(s->api_backend), "%s", listen);
}

void pr_proxy_settings_from_config(const struct pr_config *cfg, const struct pr_plan *plan,
                                   struct pr_proxy_settings *s)
{
    memset(s, 0, sizeof *s);
    snprintf(s->admin, sizeof s->admin, "%s", cfg->proxy_admin_socket);
    snprintf(s->admin_group, sizeof s->admin_group, "%s", cfg->proxy_admin_group);
    snprintf(s->map_dir, sizeof s->map_dir, "%s", cfg->proxy_map_dir);
    snprintf(s->config_path, sizeof s->config_path, "%s", cfg->proxy_config);
    snprintf(s->zone_path, sizeof s->zone_path, "%s", cfg->proxy_zone);
    snprintf(s->domain, sizeof s->domain, "%s", cfg->domain);
    snprintf(s->proxy_ipv4, sizeof s->proxy_ipv4, "%s", cfg->proxy_ipv4);
    snprintf(s->proxy_ipv6, sizeof s->proxy_ipv6, "%s", cfg->proxy_ipv6);
    s->pool = cfg->v6_pool;
    s->http_port = cfg->proxy_http_port;
    s->https_port = cfg->proxy_https_port;
    s->ssh_first = plan->ssh_port_base;
    s->ssh_last = plan->ssh_port_base + (plan->slots ? plan->slots - 1 : 0);
    if (cfg->proxy_api_cert[0] && cfg->api_listen[0]) {
        api_backend_of(cfg->api_listen, s);
        snprintf(s->api_cert, sizeof(s->api_cert), "%s", cfg->proxy_api_cert);
    }
    s->timeout_ms = cfg->proxy_timeout_ms;
    s->check_ms = cfg->proxy_check_ms;
}
