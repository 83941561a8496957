/* net/netlink: the netlink edge.  Dumps what the kernel holds under pirackd's
 * protocol number, sends the messages that net.c builds, and reads
 * the kernel's own error number from each acknowledgement (libnl's NLE_*
 * codes lose it). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include "net_internal.h"

#define FORWARDING_PATH "/proc/sys/net/ipv6/conf/all/forwarding"

struct pr_net {
    struct nl_sock *sk;
};

int pr_net_open(struct pr_net **out)
{
    struct pr_net *n = calloc(1, sizeof(*n));
    if (!n)
        return -ENOMEM;
    n->sk = nl_socket_alloc();
    if (!n->sk) {
        free(n);
        return -ENOMEM;
    }
    if (nl_connect(n->sk, NETLINK_ROUTE) < 0) {
        int err = errno ? -errno : -EIO;
        nl_socket_free(n->sk);
        free(n);
        return err;
    }
    *out = n;
    return 0;
}

void pr_net_close(struct pr_net *n)
{
    if (!n)
        return;
    nl_socket_free(n->sk);
    free(n);
}

int pr_net_ifindex(struct pr_net *n, const char *name)
{
    (void)n;
    unsigned idx = if_nametoindex(name);
    return idx ? (int)idx : -ENODEV;
}

/* ---- requests and their acknowledgement ---- */

struct ack_state {
    int error; /* the kernel's -errno, 0 for success */
    bool done;
};

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
    (void)who;
    struct ack_state *st = arg;
    st->error = e->error;
    st->done = true;
    return NL_STOP;
}

static int on_ack(struct nl_msg *m, void *arg)
{
    (void)m;
    struct ack_state *st = arg;
    st->done = true;
    return NL_STOP;
}

/* Sends m (consumed) and waits for its acknowledgement. */
static int send_request(struct pr_net *n, struct nl_msg *m)
{
    int rc = nl_send_auto(n->sk, m);
    nlmsg_free(m);
    if (rc < 0)
        return -EIO;
    struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
    if (!cb)
        return -ENOMEM;
    struct ack_state st = { 0 };
    nl_cb_err(cb, NL_CB_CUSTOM, on_error, &st);
    nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &st);
    for (int guard = 0; !st.done && guard < 64; guard++) {
        rc = nl_recvmsgs(n->sk, cb);
        if (rc < 0 && !st.done) {
            st.error = -EIO;
            break;
        }
    }
    nl_cb_put(cb);
    if (!st.done && st.error == 0)
        return -EIO;
    return st.error;
}

int pr_net_apply(struct pr_net *n, const struct pr_net_item *it, bool add, unsigned protocol)
{
    struct nl_msg *m;
    int rc = pr_net_build_msg(it, add, protocol, &m);
    if (rc < 0)
        return rc;
    return send_request(n, m);
}

/* ---- dumps ---- */

struct dump_ctx {
    unsigned protocol;
    struct pr_net_list *out;
    int error;
};

static void fill_ifname(struct pr_net_item *it, int ifindex)
{
    it->ifindex = ifindex;
    if (!if_indextoname((unsigned)ifindex, it->ifname))
        snprintf(it->ifname, sizeof(it->ifname), "#%d", ifindex);
}

static int on_addr(struct nl_msg *m, void *arg)
{
    struct dump_ctx *ctx = arg;
    struct nlmsghdr *h = nlmsg_hdr(m);
    struct nlattr *tb[IFA_MAX + 1];
    if (h->nlmsg_type != RTM_NEWADDR ||
        nlmsg_parse(h, sizeof(struct ifaddrmsg), tb, IFA_MAX, NULL) < 0)
        return NL_OK;
    struct ifaddrmsg *ifa = nlmsg_data(h);
    if (!tb[IFA_PROTO] || nla_get_u8(tb[IFA_PROTO]) != ctx->protocol)
        return NL_OK;
    struct pr_net_item it = { .kind = PR_NET_ADDR,
                              .family = ifa->ifa_family,
                              .prefixlen = ifa->ifa_prefixlen };
    /* IPv4's own address is IFA_LOCAL (IFA_ADDRESS is a peer's). */
    struct nlattr *a =
        ifa->ifa_family == AF_INET && tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
    size_t want = ifa->ifa_family == AF_INET ? 4 : ifa->ifa_family == AF_INET6 ? 16 : 0;
    if (!a || !want || (size_t)nla_len(a) != want)
        return NL_OK;
    memcpy(&it.addr, nla_data(a), want);
    fill_ifname(&it, (int)ifa->ifa_index);
    int rc = pr_net_list_add(ctx->out, &it);
    if (rc < 0 && !ctx->error)
        ctx->error = rc;
    return NL_OK;
}

static int on_route(struct nl_msg *m, void *arg)
{
    struct dump_ctx *ctx = arg;
    struct nlmsghdr *h = nlmsg_hdr(m);
    struct nlattr *tb[RTA_MAX + 1];
    if (h->nlmsg_type != RTM_NEWROUTE ||
        nlmsg_parse(h, sizeof(struct rtmsg), tb, RTA_MAX, NULL) < 0)
        return NL_OK;
    struct rtmsg *rtm = nlmsg_data(h);
    uint32_t table = tb[RTA_TABLE] ? nla_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
    if (rtm->rtm_protocol != ctx->protocol || table != RT_TABLE_MAIN || !tb[RTA_OIF] ||
        (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6))
        return NL_OK;
    size_t alen = rtm->rtm_family == AF_INET ? 4 : 16;
    struct pr_net_item it = { .kind = PR_NET_ROUTE,
                              .family = rtm->rtm_family,
                              .prefixlen = rtm->rtm_dst_len };
    if (tb[RTA_DST] && (size_t)nla_len(tb[RTA_DST]) == alen)
        memcpy(&it.addr, nla_data(tb[RTA_DST]), alen);
    if (tb[RTA_PRIORITY])
        it.metric = nla_get_u32(tb[RTA_PRIORITY]);
    if (tb[RTA_GATEWAY] && rtm->rtm_family == AF_INET6 && nla_len(tb[RTA_GATEWAY]) == 16) {
        it.via = true;
        memcpy(&it.gateway, nla_data(tb[RTA_GATEWAY]), 16);
    }
    fill_ifname(&it, (int)nla_get_u32(tb[RTA_OIF]));
    int rc = pr_net_list_add(ctx->out, &it);
    if (rc < 0 && !ctx->error)
        ctx->error = rc;
    return NL_OK;
}

static int dump(struct pr_net *n, int type, void *hdr, size_t hdrlen, nl_recvmsg_msg_cb_t fn,
                struct dump_ctx *ctx)
{
    if (nl_send_simple(n->sk, type, NLM_F_DUMP, hdr, hdrlen) < 0)
        return -EIO;
    struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
    if (!cb)
        return -ENOMEM;
    nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, fn, ctx);
    int rc = nl_recvmsgs(n->sk, cb);
    nl_cb_put(cb);
    if (rc < 0)
        return -EIO;
    return ctx->error;
}

static int dump_once(struct pr_net *n, unsigned protocol, struct pr_net_list *out)
{
    struct dump_ctx ctx = { .protocol = protocol, .out = out };
    struct ifaddrmsg ifa = { .ifa_family = AF_UNSPEC };
    int rc = dump(n, RTM_GETADDR, &ifa, sizeof(ifa), on_addr, &ctx);
    if (rc < 0)
        return rc;
    struct rtmsg rtm = { .rtm_family = AF_UNSPEC };
    return dump(n, RTM_GETROUTE, &rtm, sizeof(rtm), on_route, &ctx);
}

/* A dump that the kernel interrupts (the tables changed meanwhile) is
 * taken again, a few times. */
int pr_net_dump(struct pr_net *n, unsigned protocol, struct pr_net_list *out)
{
    size_t keep = pr_net_list_count(out);
    int rc = -EIO;
    for (int attempt = 0; attempt < 3 && rc == -EIO; attempt++) {
        while (pr_net_list_count(out) > keep)
            pr_net_list_pop(out);
        rc = dump_once(n, protocol, out);
    }
    return rc;
}

/* ---- VLAN links ---- */

int pr_net_vlan_create(struct pr_net *n, const struct pr_net_vlan *v)
{
    struct nl_msg *m;
    int rc = pr_net_vlan_build_msg(v, &m);
    if (rc < 0)
        return rc;
    return send_request(n, m);
}

int pr_net_vlan_delete(struct pr_net *n, const char *ifname)
{
    struct rtnl_link *link = NULL;
    if (rtnl_link_get_kernel(n->sk, 0, ifname, &link) < 0)
        return -ENODEV;
    const char *alias = rtnl_link_get_ifalias(link);
    int rc = -EPERM;
    if (alias && strcmp(alias, PR_NET_VLAN_ALIAS) == 0)
        rc = rtnl_link_delete(n->sk, link) < 0 ? -EIO : 0;
    rtnl_link_put(link);
    return rc;
}

static int on_link(struct nl_msg *m, void *arg)
{
    struct dump_ctx *ctx = arg;
    struct nlmsghdr *h = nlmsg_hdr(m);
    struct nlattr *tb[IFLA_MAX + 1];
    if (h->nlmsg_type != RTM_NEWLINK ||
        nlmsg_parse(h, sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL) < 0)
        return NL_OK;
    if (!tb[IFLA_IFALIAS] || !tb[IFLA_IFNAME] ||
        nla_strcmp(tb[IFLA_IFALIAS], PR_NET_VLAN_ALIAS) != 0)
        return NL_OK;
    struct ifinfomsg *ifi = nlmsg_data(h);
    struct pr_net_item it = { .kind = PR_NET_ADDR, .ifindex = ifi->ifi_index };
    nla_strlcpy(it.ifname, tb[IFLA_IFNAME], sizeof(it.ifname));
    int rc = pr_net_list_add(ctx->out, &it);
    if (rc < 0 && !ctx->error)
        ctx->error = rc;
    return NL_OK;
}

int pr_net_vlan_list(struct pr_net *n, struct pr_net_list *out)
{
    struct dump_ctx ctx = { .out = out };
    struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
    return dump(n, RTM_GETLINK, &ifi, sizeof(ifi), on_link, &ctx);
}

/* ---- forwarding ---- */

int pr_net_ipv6_forwarding(void)
{
    int fd = open(FORWARDING_PATH, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    char c = 0;
    ssize_t r = read(fd, &c, 1);
    int err = errno;
    close(fd);
    if (r != 1)
        return r < 0 ? -err : -EIO;
    return c == '0' ? 0 : 1;
}

int pr_net_set_ipv6_forwarding(bool on)
{
    int fd = open(FORWARDING_PATH, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t w = write(fd, on ? "1\n" : "0\n", 2);
    int err = errno;
    close(fd);
    return w == 2 ? 0 : (w < 0 ? -err : -EIO);
}

/* ---- neighbours: a slot's .2 bound to its board's MAC ---- */

static struct rtnl_neigh *neigh_for(int ifindex, struct in_addr addr)
{
    struct rtnl_neigh *ne = rtnl_neigh_alloc();
    struct nl_addr *dst = nl_addr_build(AF_INET, &addr, sizeof(addr));
    if (!ne || !dst) {
        rtnl_neigh_put(ne);
        nl_addr_put(dst);
        return NULL;
    }
    rtnl_neigh_set_ifindex(ne, ifindex);
    rtnl_neigh_set_family(ne, AF_INET);
    rtnl_neigh_set_dst(ne, dst);
    nl_addr_put(dst);
    return ne;
}

int pr_net_neigh_bind(struct pr_net *n, int ifindex, struct in_addr addr, const uint8_t mac[6])
{
    struct rtnl_neigh *ne = neigh_for(ifindex, addr);
    struct nl_addr *ll = nl_addr_build(AF_LLC, mac, 6);
    int rc = -ENOMEM;
    if (ne && ll) {
        rtnl_neigh_set_lladdr(ne, ll);
        rtnl_neigh_set_state(ne, NUD_PERMANENT);
        rc = rtnl_neigh_add(n->sk, ne, NLM_F_CREATE | NLM_F_REPLACE) < 0 ? -EIO : 0;
    }
    nl_addr_put(ll);
    rtnl_neigh_put(ne);
    return rc;
}

int pr_net_neigh_unbind(struct pr_net *n, int ifindex, struct in_addr addr)
{
    struct rtnl_neigh *ne = neigh_for(ifindex, addr);
    if (!ne)
        return -ENOMEM;
    int rc = rtnl_neigh_delete(n->sk, ne, 0);
    rtnl_neigh_put(ne);
    return rc == 0 || rc == -NLE_OBJ_NOTFOUND ? 0 : -EIO;
}

/* ---- reverse-path filtering ---- */

static int rp_path(const char *ifname, char *path, size_t cap)
{
    if (strchr(ifname, '/') || strcmp(ifname, ".") == 0 || strcmp(ifname, "..") == 0)
        return -EINVAL;
    return (size_t)snprintf(path, cap, "/proc/sys/net/ipv4/conf/%s/rp_filter", ifname) < cap
               ? 0
               : -ENAMETOOLONG;
}

int pr_net_rp_filter(const char *ifname)
{
    char path[96], c = 0;
    int rc = rp_path(ifname, path, sizeof(path));
    if (rc < 0)
        return rc;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t r = read(fd, &c, 1);
    int err = errno;
    close(fd);
    if (r != 1)
        return r < 0 ? -err : -EIO;
    return c >= '0' && c <= '2' ? c - '0' : -EIO;
}

int pr_net_set_rp_filter(const char *ifname, int mode)
{
    char path[96], text[3] = { (char)('0' + mode), '\n', 0 };
    int rc = rp_path(ifname, path, sizeof(path));
    if (rc < 0)
        return rc;
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t w = write(fd, text, 2);
    int err = errno;
    close(fd);
    return w == 2 ? 0 : (w < 0 ? -err : -EIO);
}

/* ---- reconciliation ---- */

static void note_failure(struct pr_net_result *res, const struct pr_net_item *it, int rc)
{
    res->failed++;
    if (res->first_error)
        return;
    res->first_error = rc;
    pr_net_item_format(it, res->first_failed, sizeof(res->first_failed));
}

/* Copies desired with each interface resolved; items whose interface is
 * missing are counted and left out. */
static int resolve_desired(struct pr_net *n, const struct pr_net_list *desired,
                           struct pr_net_list *out, struct pr_net_result *res)
{
    for (size_t i = 0; i < pr_net_list_count(desired); i++) {
        struct pr_net_item it = *pr_net_list_get(desired, i);
        it.ifindex = pr_net_ifindex(n, it.ifname);
        if (it.ifindex < 0) {
            res->missing_if++;
            continue;
        }
        int rc = pr_net_list_add(out, &it);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static void apply_all(struct pr_net *n, const struct pr_net_list *l, bool add, unsigned protocol,
                      struct pr_net_result *res)
{
    for (size_t i = 0; i < pr_net_list_count(l); i++) {
        const struct pr_net_item *it = pr_net_list_get(l, i);
        int rc = pr_net_apply(n, it, add, protocol);
        /* Gone already (an address's deletion can take things with it). */
        if (!add && (rc == -ESRCH || rc == -EADDRNOTAVAIL || rc == -ENOENT))
            rc = 0;
        if (add && rc == -EEXIST) {
            /* The same address or route, untagged: someone else's. */
            res->foreign++;
            continue;
        }
        if (rc < 0)
            note_failure(res, it, rc);
        else if (add)
            res->added++;
        else
            res->removed++;
    }
}

int pr_net_reconcile_list(struct pr_net *n, const struct pr_net_list *desired, unsigned protocol,
                          struct pr_net_result *res)
{
    memset(res, 0, sizeof(*res));
    struct pr_net_list *want = pr_net_list_new(), *have = pr_net_list_new();
    struct pr_net_list *add = pr_net_list_new(), *del = pr_net_list_new();
    int rc = (want && have && add && del) ? 0 : -ENOMEM;
    if (rc == 0)
        rc = resolve_desired(n, desired, want, res);
    if (rc == 0)
        rc = pr_net_dump(n, protocol, have);
    if (rc == 0)
        rc = pr_net_diff(want, have, add, del);
    if (rc == 0) {
        apply_all(n, del, false, protocol, res);
        apply_all(n, add, true, protocol, res);
        rc = res->first_error;
    }
    pr_net_list_free(want);
    pr_net_list_free(have);
    pr_net_list_free(add);
    pr_net_list_free(del);
    return rc;
}
