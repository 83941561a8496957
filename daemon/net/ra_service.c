/* net/ra_service: the router advertisement service.  See ra_service.h. */
#define _GNU_SOURCE /* struct in6_pktinfo */
#include <errno.h>
#include <ifaddrs.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <netinet/icmp6.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "daemon/daemon.h"
#include "net_internal.h"
#include "ra_internal.h"
#include "ra_service.h"

#define RETRY_MS 1000        /* a link without a usable link-local address */
#define ABSENT_RETRY_MS 5000 /* a link that does not exist (yet) */
#define MAX_RS_PER_WAKEUP 64

struct ra_link {
    char ifname[IF_NAMESIZE];
    unsigned ifindex;        /* last seen; 0 when absent */
    unsigned joined_ifindex; /* where ff02::2 was joined */
    struct pr_ra_sched sched;
    struct in6_addr *prefixes;
    unsigned n_prefixes;
    int last_error; /* logged once per change */
};

struct pr_ra_service {
    struct pr_daemon *d;
    int fd;
    struct pr_timer *timer;
    struct ra_link *links;
    size_t n_links;
    struct pr_ra_stats stats;
};

/* ---- links from the plan ---- */

static void free_links(struct ra_link *links, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(links[i].prefixes);
    free(links);
}

static int add_prefix(struct ra_link *l, const struct in6_addr *p)
{
    struct in6_addr *np = realloc(l->prefixes, (l->n_prefixes + 1) * sizeof(*np));
    if (!np)
        return -ENOMEM;
    np[l->n_prefixes++] = *p;
    l->prefixes = np;
    return 0;
}

/* Isolated: one link per slot with its /64.  Flat: one link with all. */
static int build_links(const struct pr_daemon *d, struct ra_link **out, size_t *n_out)
{
    const struct pr_plan *plan = &d->plan;
    size_t n = plan->isolated ? plan->slots : 1;
    struct ra_link *links = calloc(n ? n : 1, sizeof(*links));
    if (!links)
        return -ENOMEM;
    if (!plan->isolated)
        snprintf(links[0].ifname, sizeof(links[0].ifname), "%s", d->cfg->interface);
    int rc = 0;
    for (unsigned s = 1; s <= plan->slots && rc == 0; s++) {
        struct pr_slot_plan sp;
        rc = pr_plan_slot(plan, s, &sp);
        if (rc < 0)
            break;
        struct ra_link *l = plan->isolated ? &links[s - 1] : &links[0];
        if (plan->isolated)
            snprintf(l->ifname, sizeof(l->ifname), "%s", sp.ifname);
        rc = add_prefix(l, &sp.v6_net);
    }
    if (rc < 0) {
        free_links(links, n);
        return rc;
    }
    *out = links;
    *n_out = plan->slots || !plan->isolated ? n : 0;
    return 0;
}

static const struct ra_link *find_link(const struct ra_link *links, size_t n, const char *ifname)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(links[i].ifname, ifname) == 0)
            return &links[i];
    return NULL;
}

/* ---- sending ---- */

/* The link's link-local address and MAC address: fe80::1 (the Pis'
 * gateway, placed by the net service) when the link has it, else the
 * first.  getifaddrs() does not show tentative addresses apart: a send
 * from one fails and is retried. */
static int link_addresses(const char *ifname, struct in6_addr *ll, uint8_t mac[6], bool *has_mac)
{
    struct ifaddrs *all;
    if (getifaddrs(&all) < 0)
        return -errno;
    struct in6_addr gw;
    inet_pton(AF_INET6, PR_NET_GATEWAY_LL, &gw);
    bool found = false, found_gw = false;
    *has_mac = false;
    for (struct ifaddrs *a = all; a; a = a->ifa_next) {
        if (!a->ifa_addr || strcmp(a->ifa_name, ifname) != 0)
            continue;
        if (a->ifa_addr->sa_family == AF_INET6) {
            const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)a->ifa_addr;
            bool is_gw = IN6_ARE_ADDR_EQUAL(&s6->sin6_addr, &gw);
            if (IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr) && !found_gw && (is_gw || !found)) {
                *ll = s6->sin6_addr;
                found = true;
                found_gw = is_gw;
            }
        } else if (a->ifa_addr->sa_family == AF_PACKET) {
            const struct sockaddr_ll *sll = (const struct sockaddr_ll *)a->ifa_addr;
            if (sll->sll_halen == 6) {
                memcpy(mac, sll->sll_addr, 6);
                *has_mac = true;
            }
        }
    }
    freeifaddrs(all);
    return found ? 0 : -EADDRNOTAVAIL;
}

static int send_one(int fd, unsigned ifindex, const struct in6_addr *src, const uint8_t *buf,
                    size_t len)
{
    struct sockaddr_in6 dst = { .sin6_family = AF_INET6, .sin6_scope_id = ifindex };
    inet_pton(AF_INET6, "ff02::1", &dst.sin6_addr);
    union {
        char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof(control));
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
    struct msghdr msg = {
        .msg_name = &dst,
        .msg_namelen = sizeof(dst),
        .msg_iov = &iov,
        .msg_iovlen = 1,
        .msg_control = control.buf,
        .msg_controllen = sizeof(control.buf),
    };
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
    struct in6_pktinfo pi = { .ipi6_addr = *src, .ipi6_ifindex = ifindex };
    memcpy(CMSG_DATA(c), &pi, sizeof(pi));
    if (sendmsg(fd, &msg, MSG_DONTWAIT) < 0)
        return -errno;
    return 0;
}

/* Sends the link's RAs (more than one when its prefixes do not fit in
 * one).  final: router lifetime 0, the goodbye on shutdown. */
static int send_ra(struct pr_ra_service *svc, struct ra_link *l, bool final)
{
    const struct pr_config *cfg = svc->d->cfg;
    struct in6_addr ll;
    uint8_t mac[6] = { 0 };
    bool has_mac = false;
    l->ifindex = if_nametoindex(l->ifname);
    if (!l->ifindex)
        return -ENODEV;
    int rc = link_addresses(l->ifname, &ll, mac, &has_mac);
    if (rc < 0)
        return rc;
    unsigned done = 0;
    do {
        struct pr_ra_params p;
        pr_ra_params_init(&p, cfg->ra_interval_s);
        if (final)
            p.router_lifetime_s = 0;
        p.has_lladdr = has_mac;
        memcpy(p.lladdr, mac, 6);
        p.mtu = cfg->mtu;
        p.n_rdnss = cfg->n_dns < PR_RA_MAX_RDNSS ? cfg->n_dns : PR_RA_MAX_RDNSS;
        memcpy(p.rdnss, cfg->dns, p.n_rdnss * sizeof(p.rdnss[0]));
        while (done < l->n_prefixes && p.n_prefixes < PR_RA_MAX_PREFIXES)
            pr_ra_params_add_prefix(&p, &l->prefixes[done++], 64, cfg->slaac);
        uint8_t buf[PR_RA_MAX_LEN];
        int n = pr_ra_encode(&p, buf, sizeof(buf));
        if (n < 0)
            return n;
        rc = send_one(svc->fd, l->ifindex, &ll, buf, (size_t)n);
        if (rc < 0)
            return rc;
        svc->stats.sent++;
    } while (done < l->n_prefixes);
    return 0;
}

/* All-routers membership, so that solicitations reach the socket. */
static void join_all_routers(struct pr_ra_service *svc, struct ra_link *l)
{
    if (!l->ifindex || l->joined_ifindex == l->ifindex)
        return;
    struct ipv6_mreq mr = { .ipv6mr_interface = l->ifindex };
    inet_pton(AF_INET6, "ff02::2", &mr.ipv6mr_multiaddr);
    if (setsockopt(svc->fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr)) == 0 ||
        errno == EADDRINUSE)
        l->joined_ifindex = l->ifindex;
}

static void note_result(struct pr_ra_service *svc, struct ra_link *l, int rc)
{
    if (rc < 0 && rc != -ENODEV)
        svc->stats.send_errors++;
    if (rc == l->last_error)
        return;
    l->last_error = rc;
    if (rc == -ENODEV)
        pr_warn("ra: interface %s does not exist; waiting for it", l->ifname);
    else if (rc < 0)
        pr_warn("ra: cannot advertise on %s: %s; retrying", l->ifname, strerror(-rc));
    else
        pr_info("ra: advertising on %s", l->ifname);
}

static void arm_timer(struct pr_ra_service *svc)
{
    if (svc->n_links == 0)
        return;
    uint64_t now = pr_now_ms(), next = UINT64_MAX;
    for (size_t i = 0; i < svc->n_links; i++)
        if (svc->links[i].sched.next_ms < next)
            next = svc->links[i].sched.next_ms;
    pr_timer_arm(svc->timer, next > now ? next - now : 0, 0);
}

static void on_timer(void *ctx)
{
    struct pr_ra_service *svc = ctx;
    uint64_t now = pr_now_ms();
    for (size_t i = 0; i < svc->n_links; i++) {
        struct ra_link *l = &svc->links[i];
        if (l->sched.next_ms > now)
            continue;
        int rc = send_ra(svc, l, false);
        join_all_routers(svc, l);
        note_result(svc, l, rc);
        if (rc == 0)
            pr_ra_sched_sent(&l->sched, now, arc4random());
        else
            l->sched.next_ms = now + (rc == -ENODEV ? ABSENT_RETRY_MS : RETRY_MS);
    }
    arm_timer(svc);
}

/* ---- receiving ---- */

static struct ra_link *link_by_ifindex(struct pr_ra_service *svc, unsigned ifindex)
{
    for (size_t i = 0; i < svc->n_links; i++)
        if (svc->links[i].ifindex == ifindex && ifindex)
            return &svc->links[i];
    return NULL;
}

static void handle_rs(struct pr_ra_service *svc, const uint8_t *buf, size_t len,
                      const struct sockaddr_in6 *from, unsigned ifindex, int hop_limit)
{
    struct ra_link *l = link_by_ifindex(svc, ifindex);
    if (!l)
        return; /* not a link pirackd advertises on */
    struct pr_ra_rs rs;
    if (pr_ra_parse_rs(buf, len, &from->sin6_addr, hop_limit, &rs) < 0) {
        char a[INET6_ADDRSTRLEN];
        svc->stats.malformed++;
        pr_debug("ra: dropped a solicitation from %s on %s: %s",
                 inet_ntop(AF_INET6, &from->sin6_addr, a, sizeof(a)), l->ifname, rs.why);
        return;
    }
    svc->stats.solicitations++;
    pr_ra_sched_solicited(&l->sched, pr_now_ms(), arc4random());
}

static void read_cmsgs(struct msghdr *msg, unsigned *ifindex, int *hop_limit)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
        if (c->cmsg_level != IPPROTO_IPV6)
            continue;
        if (c->cmsg_type == IPV6_PKTINFO && c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
            struct in6_pktinfo pi;
            memcpy(&pi, CMSG_DATA(c), sizeof(pi));
            *ifindex = pi.ipi6_ifindex;
        } else if (c->cmsg_type == IPV6_HOPLIMIT && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
            memcpy(hop_limit, CMSG_DATA(c), sizeof(int));
        }
    }
}

static void on_readable(void *ctx, int fd, uint32_t events)
{
    (void)events;
    struct pr_ra_service *svc = ctx;
    for (int i = 0; i < MAX_RS_PER_WAKEUP; i++) {
        uint8_t buf[1500];
        struct sockaddr_in6 from;
        union {
            char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int))];
            struct cmsghdr align;
        } control;
        struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
        struct msghdr msg = {
            .msg_name = &from,
            .msg_namelen = sizeof(from),
            .msg_iov = &iov,
            .msg_iovlen = 1,
            .msg_control = control.buf,
            .msg_controllen = sizeof(control.buf),
        };
        ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
        if (n < 0)
            break;
        unsigned ifindex = 0;
        int hop_limit = -1;
        read_cmsgs(&msg, &ifindex, &hop_limit);
        if (msg.msg_flags & MSG_TRUNC) {
            svc->stats.malformed++;
            continue;
        }
        handle_rs(svc, buf, (size_t)n, &from, ifindex, hop_limit);
    }
    arm_timer(svc);
}

/* ---- the socket ---- */

static int open_socket(void)
{
    int fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
    if (fd < 0)
        return -errno;
    struct icmp6_filter filter;
    ICMP6_FILTER_SETBLOCKALL(&filter);
    ICMP6_FILTER_SETPASS(ND_ROUTER_SOLICIT, &filter);
    int on = 1, hops = 255, off = 0;
    if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof(filter)) < 0 ||
        setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) < 0 ||
        setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof(on)) < 0 ||
        setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) < 0 ||
        setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops)) < 0 ||
        setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &off, sizeof(off)) < 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    return fd;
}

static void service_free(struct pr_ra_service *svc)
{
    if (!svc)
        return;
    if (svc->fd >= 0) {
        pr_loop_del_fd(svc->d->loop, svc->fd);
        close(svc->fd);
    }
    pr_timer_free(svc->timer);
    free_links(svc->links, svc->n_links);
    free(svc);
}

int pr_ra_service_reload(struct pr_daemon *d)
{
    struct pr_ra_service *svc = d->ra;
    if (!svc)
        return 0;
    struct ra_link *links;
    size_t n;
    int rc = build_links(d, &links, &n);
    if (rc < 0)
        return rc;
    uint64_t now = pr_now_ms();
    for (size_t i = 0; i < n; i++) {
        const struct ra_link *old = find_link(svc->links, svc->n_links, links[i].ifname);
        if (old) {
            /* The settings may have changed: new intervals, and the news
             * goes out soon (RFC 4861 6.2.4 allows a fresh initial burst),
             * within the rate limit. */
            struct pr_ra_sched fresh;
            pr_ra_sched_init(&fresh, d->cfg->ra_interval_s, now, 0);
            links[i].sched = old->sched;
            links[i].sched.max_interval_ms = fresh.max_interval_ms;
            links[i].sched.min_interval_ms = fresh.min_interval_ms;
            if (links[i].sched.sent > 1)
                links[i].sched.sent = 1;
            pr_ra_sched_solicited(&links[i].sched, now, arc4random());
            links[i].ifindex = old->ifindex;
            links[i].joined_ifindex = old->joined_ifindex;
            links[i].last_error = old->last_error;
        } else {
            pr_ra_sched_init(&links[i].sched, d->cfg->ra_interval_s, now, arc4random());
        }
    }
    /* Links that leave get their goodbye, so hosts drop the router now. */
    for (size_t i = 0; i < svc->n_links; i++)
        if (!find_link(links, n, svc->links[i].ifname))
            send_ra(svc, &svc->links[i], true);
    free_links(svc->links, svc->n_links);
    svc->links = links;
    svc->n_links = n;
    arm_timer(svc);
    return 0;
}

int pr_ra_service_start(struct pr_daemon *d)
{
    if (!d->cfg->ra_enabled)
        return 0;
    struct pr_ra_service *svc = calloc(1, sizeof(*svc));
    if (!svc)
        return -ENOMEM;
    svc->d = d;
    svc->fd = open_socket();
    if (svc->fd < 0) {
        int rc = svc->fd;
        pr_err("ra: cannot open an ICMPv6 raw socket: %s", strerror(-rc));
        free(svc);
        return rc;
    }
    svc->timer = pr_timer_new(d->loop, on_timer, svc);
    int rc = svc->timer ? pr_loop_add_fd(d->loop, svc->fd, EPOLLIN, on_readable, svc) : -ENOMEM;
    if (rc < 0) {
        service_free(svc);
        return rc;
    }
    d->ra = svc;
    rc = pr_ra_service_reload(d);
    if (rc < 0) {
        d->ra = NULL;
        service_free(svc);
        return rc;
    }
    pr_info("ra: advertising on %zu link%s every %u s at most", svc->n_links,
            svc->n_links == 1 ? "" : "s", d->cfg->ra_interval_s);
    return 0;
}

void pr_ra_service_stop(struct pr_daemon *d)
{
    struct pr_ra_service *svc = d->ra;
    if (!svc)
        return;
    for (size_t i = 0; i < svc->n_links; i++)
        send_ra(svc, &svc->links[i], true);
    pr_info("ra: stopped after %llu RAs; %llu solicitations answered, %llu malformed dropped, "
            "%llu send errors",
            (unsigned long long)svc->stats.sent, (unsigned long long)svc->stats.solicitations,
            (unsigned long long)svc->stats.malformed, (unsigned long long)svc->stats.send_errors);
    d->ra = NULL;
    service_free(svc);
}

void pr_ra_service_stats(const struct pr_daemon *d, struct pr_ra_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (d->ra) {
        *out = d->ra->stats;
        out->links = d->ra->n_links;
    }
}
