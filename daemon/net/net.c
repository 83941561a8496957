/* net/net: the pure half.  What the host side should hold (from the plan), how
 * that differs from what the kernel holds, and the netlink messages that
 * close the gap.  No sockets here: the unit tests run all of it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/route/link.h>
#include <netlink/route/link/vlan.h>
#include "net_internal.h"

struct pr_net_list {
    struct pr_net_item *items;
    size_t n, cap;
};

struct pr_net_list *pr_net_list_new(void)
{
    return calloc(1, sizeof(struct pr_net_list));
}

void pr_net_list_free(struct pr_net_list *l)
{
    if (!l)
        return;
    free(l->items);
    free(l);
}

void pr_net_list_clear(struct pr_net_list *l)
{
    l->n = 0;
}

size_t pr_net_list_count(const struct pr_net_list *l)
{
    return l->n;
}

const struct pr_net_item *pr_net_list_get(const struct pr_net_list *l, size_t i)
{
    return i < l->n ? &l->items[i] : NULL;
}

struct pr_net_item *pr_net_list_at(struct pr_net_list *l, size_t i)
{
    return i < l->n ? &l->items[i] : NULL;
}

void pr_net_list_pop(struct pr_net_list *l)
{
    if (l->n > 0)
        l->n--;
}

int pr_net_list_add(struct pr_net_list *l, const struct pr_net_item *it)
{
    if (l->n == l->cap) {
        if (l->cap >= PR_NET_MAX_ITEMS)
            return -E2BIG;
        size_t cap = l->cap ? l->cap * 2 : 16;
        if (cap > PR_NET_MAX_ITEMS)
            cap = PR_NET_MAX_ITEMS;
        struct pr_net_item *items = realloc(l->items, cap * sizeof(*items));
        if (!items)
            return -ENOMEM;
        l->items = items;
        l->cap = cap;
    }
    l->items[l->n++] = *it;
    return 0;
}

static bool addr_equal(const struct pr_net_item *a, const struct pr_net_item *b)
{
    if (a->family == AF_INET)
        return a->addr.v4.s_addr == b->addr.v4.s_addr;
    return memcmp(&a->addr.v6, &b->addr.v6, sizeof(a->addr.v6)) == 0;
}

bool pr_net_item_same(const struct pr_net_item *a, const struct pr_net_item *b)
{
    if (a->kind != b->kind || a->family != b->family || a->prefixlen != b->prefixlen ||
        strncmp(a->ifname, b->ifname, IF_NAMESIZE) != 0 || !addr_equal(a, b))
        return false;
    if (a->kind == PR_NET_ADDR)
        return true;
    if (a->via != b->via || a->metric != b->metric)
        return false;
    return !a->via || memcmp(&a->gateway, &b->gateway, sizeof(a->gateway)) == 0;
}

char *pr_net_item_format(const struct pr_net_item *it, char *out, size_t outlen)
{
    char a[INET6_ADDRSTRLEN] = "?", gw[INET6_ADDRSTRLEN] = "";
    inet_ntop(it->family, &it->addr, a, sizeof(a));
    if (it->kind == PR_NET_ADDR) {
        snprintf(out, outlen, "addr %s/%u dev %s", a, it->prefixlen, it->ifname);
        return out;
    }
    if (it->via)
        inet_ntop(AF_INET6, &it->gateway, gw, sizeof(gw));
    snprintf(out, outlen, "route %s/%u%s%s dev %s metric %u", a, it->prefixlen,
             it->via ? " via " : "", gw, it->ifname, it->metric);
    return out;
}

/* ---- desired state ---- */

static int add_gateway_ll(struct pr_net_list *addrs, const char *ifname, unsigned slot)
{
    struct pr_net_item ll = {
        .kind = PR_NET_ADDR, .family = AF_INET6, .prefixlen = 64, .slot = slot
    };
    snprintf(ll.ifname, sizeof(ll.ifname), "%s", ifname);
    inet_pton(AF_INET6, PR_NET_GATEWAY_LL, &ll.addr.v6);
    return pr_net_list_add(addrs, &ll);
}

static int add_slot_items(const struct pr_slot_plan *sp, const struct pr_net_settings *s,
                          struct pr_net_list *addrs, struct pr_net_list *routes)
{
    const char *ifname = s->isolated ? sp->ifname : s->shared_if;
    if (!ifname[0])
        return -EINVAL;

    struct pr_net_item v4 = {
        .kind = PR_NET_ADDR, .family = AF_INET, .prefixlen = 30, .slot = sp->slot
    };
    snprintf(v4.ifname, sizeof(v4.ifname), "%s", ifname);
    v4.addr.v4 = sp->v4_host;

    struct pr_net_item v6 = v4;
    v6.family = AF_INET6;
    v6.prefixlen = 64;
    v6.addr.v6 = sp->v6_host;

    struct pr_net_item rt = v6;
    rt.kind = PR_NET_ROUTE;
    rt.addr.v6 = sp->v6_net;
    rt.metric = s->metric;
    if (!s->isolated && s->route_via_pi) {
        rt.via = true;
        rt.gateway = sp->v6_pi;
    }

    int rc = pr_net_list_add(addrs, &v4);
    if (rc == 0)
        rc = pr_net_list_add(addrs, &v6);
    if (rc == 0 && s->isolated)
        rc = add_gateway_ll(addrs, ifname, sp->slot);
    if (rc == 0)
        rc = pr_net_list_add(routes, &rt);
    return rc;
}

static int append_all(struct pr_net_list *out, const struct pr_net_list *from)
{
    for (size_t i = 0; i < from->n; i++) {
        int rc = pr_net_list_add(out, &from->items[i]);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int pr_net_desired(const struct pr_slot_plan *slots, size_t n, const struct pr_net_settings *s,
                   struct pr_net_list *out)
{
    if (!s->isolated && !s->shared_if[0])
        return -EINVAL;
    struct pr_net_list addrs = { 0 }, routes = { 0 };
    int rc = s->isolated || n == 0 ? 0 : add_gateway_ll(&addrs, s->shared_if, 0);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = add_slot_items(&slots[i], s, &addrs, &routes);
    if (rc == 0)
        rc = append_all(out, &addrs);
    if (rc == 0)
        rc = append_all(out, &routes);
    free(addrs.items);
    free(routes.items);
    return rc;
}

/* ---- diff ---- */

static bool list_has(const struct pr_net_list *l, const struct pr_net_item *it)
{
    for (size_t i = 0; i < l->n; i++)
        if (pr_net_item_same(&l->items[i], it))
            return true;
    return false;
}

/* Appends the items of kind in from that other lacks. */
static int missing_from(const struct pr_net_list *from, const struct pr_net_list *other,
                        enum pr_net_kind kind, struct pr_net_list *out)
{
    for (size_t i = 0; i < from->n; i++) {
        const struct pr_net_item *it = &from->items[i];
        if (it->kind != kind || list_has(other, it) || list_has(out, it))
            continue;
        int rc = pr_net_list_add(out, it);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int pr_net_diff(const struct pr_net_list *desired, const struct pr_net_list *actual,
                struct pr_net_list *add, struct pr_net_list *del)
{
    int rc = missing_from(actual, desired, PR_NET_ROUTE, del);
    if (rc == 0)
        rc = missing_from(actual, desired, PR_NET_ADDR, del);
    if (rc == 0)
        rc = missing_from(desired, actual, PR_NET_ADDR, add);
    if (rc == 0)
        rc = missing_from(desired, actual, PR_NET_ROUTE, add);
    return rc;
}

/* ---- netlink messages ---- */

static size_t family_len(int family)
{
    return family == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr);
}

static int put_addr_attrs(struct nl_msg *m, const struct pr_net_item *it, bool add,
                          unsigned protocol)
{
    size_t len = family_len(it->family);
    if (nla_put(m, IFA_LOCAL, (int)len, &it->addr) < 0 ||
        nla_put(m, IFA_ADDRESS, (int)len, &it->addr) < 0)
        return -ENOMEM;
    if (!add)
        return 0;
    if (it->family == AF_INET && it->prefixlen < 31) {
        uint32_t host_bits = it->prefixlen ? 0xffffffffu >> it->prefixlen : 0xffffffffu;
        struct in_addr brd = { .s_addr = it->addr.v4.s_addr | htonl(host_bits) };
        if (nla_put(m, IFA_BROADCAST, sizeof(brd), &brd) < 0)
            return -ENOMEM;
    }
    uint32_t flags = it->family == AF_INET6 ? IFA_F_NOPREFIXROUTE | IFA_F_NODAD : 0;
    if (nla_put_u32(m, IFA_FLAGS, flags) < 0 || nla_put_u8(m, IFA_PROTO, (uint8_t)protocol) < 0)
        return -ENOMEM;
    return 0;
}

static int build_addr_msg(const struct pr_net_item *it, bool add, unsigned protocol,
                          struct nl_msg **out)
{
    int flags = add ? NLM_F_CREATE | NLM_F_EXCL : 0;
    struct nl_msg *m =
        nlmsg_alloc_simple(add ? RTM_NEWADDR : RTM_DELADDR, flags | NLM_F_REQUEST | NLM_F_ACK);
    if (!m)
        return -ENOMEM;
    struct ifaddrmsg ifa = {
        .ifa_family = (uint8_t)it->family,
        .ifa_prefixlen = (uint8_t)it->prefixlen,
        .ifa_flags = it->family == AF_INET6 ? IFA_F_NODAD : 0,
        .ifa_scope = RT_SCOPE_UNIVERSE,
        .ifa_index = (uint32_t)it->ifindex,
    };
    if (nlmsg_append(m, &ifa, sizeof(ifa), NLMSG_ALIGNTO) < 0 ||
        put_addr_attrs(m, it, add, protocol) < 0) {
        nlmsg_free(m);
        return -ENOMEM;
    }
    *out = m;
    return 0;
}

static int build_route_msg(const struct pr_net_item *it, bool add, unsigned protocol,
                           struct nl_msg **out)
{
    int flags = add ? NLM_F_CREATE | NLM_F_EXCL : 0;
    struct nl_msg *m =
        nlmsg_alloc_simple(add ? RTM_NEWROUTE : RTM_DELROUTE, flags | NLM_F_REQUEST | NLM_F_ACK);
    if (!m)
        return -ENOMEM;
    struct rtmsg rtm = {
        .rtm_family = (uint8_t)it->family,
        .rtm_dst_len = (uint8_t)it->prefixlen,
        .rtm_table = RT_TABLE_MAIN,
        .rtm_protocol = (uint8_t)protocol,
        .rtm_scope = it->via ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK,
        .rtm_type = RTN_UNICAST,
        .rtm_flags = it->via ? RTNH_F_ONLINK : 0,
    };
    if (it->family == AF_INET6)
        rtm.rtm_scope = RT_SCOPE_UNIVERSE; /* IPv6 routes carry no scope */
    size_t len = family_len(it->family);
    int bad = nlmsg_append(m, &rtm, sizeof(rtm), NLMSG_ALIGNTO) < 0 ||
              nla_put(m, RTA_DST, (int)len, &it->addr) < 0 ||
              nla_put_u32(m, RTA_OIF, (uint32_t)it->ifindex) < 0 ||
              nla_put_u32(m, RTA_PRIORITY, it->metric) < 0 ||
              (it->via && nla_put(m, RTA_GATEWAY, sizeof(it->gateway), &it->gateway) < 0);
    if (bad) {
        nlmsg_free(m);
        return -ENOMEM;
    }
    *out = m;
    return 0;
}

int pr_net_build_msg(const struct pr_net_item *it, bool add, unsigned protocol, struct nl_msg **out)
{
    if ((it->family != AF_INET && it->family != AF_INET6) || it->ifindex <= 0 || protocol < 1 ||
        protocol > 255 || it->prefixlen > family_len(it->family) * 8)
        return -EINVAL;
    if (it->kind == PR_NET_ADDR)
        return build_addr_msg(it, add, protocol, out);
    if (it->via && it->family != AF_INET6)
        return -EINVAL;
    return build_route_msg(it, add, protocol, out);
}

/* ---- VLANs ---- */

int pr_net_vlan_for_slot(const struct pr_slot_plan *sp, int parent_ifindex, unsigned vlan_base,
                         struct pr_net_vlan *out)
{
    unsigned long id = (unsigned long)vlan_base + sp->slot - 1;
    if (sp->slot == 0 || vlan_base == 0 || id > 4094 || !sp->ifname[0])
        return -ERANGE;
    memset(out, 0, sizeof(*out));
    snprintf(out->name, sizeof(out->name), "%s", sp->ifname);
    out->parent_ifindex = parent_ifindex;
    out->id = (uint16_t)id;
    out->slot = sp->slot;
    return 0;
}

int pr_net_vlan_build_msg(const struct pr_net_vlan *v, struct nl_msg **out)
{
    if (v->id < 1 || v->id > 4094 || v->parent_ifindex <= 0 || !v->name[0])
        return -EINVAL;
    struct rtnl_link *link = rtnl_link_vlan_alloc();
    if (!link)
        return -ENOMEM;
    rtnl_link_set_name(link, v->name);
    rtnl_link_set_link(link, v->parent_ifindex);
    rtnl_link_set_ifalias(link, PR_NET_VLAN_ALIAS);
    rtnl_link_set_flags(link, IFF_UP);
    int rc = rtnl_link_vlan_set_id(link, v->id);
    if (rc == 0)
        rc = rtnl_link_build_add_request(link, NLM_F_CREATE | NLM_F_EXCL, out);
    rtnl_link_put(link);
    return rc < 0 ? -EINVAL : 0;
}
