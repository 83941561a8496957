/* pisim: the Pi's interface and sockets.
 *
 * The interface is the Pi's NIC: its MAC is the board's, it is down while
 * the Pi has no power (the switch sees no link), and it holds the address
 * from the OFFER while the firmware uses it, so the kernel answers ARP for
 * it and the server sees ordinary IPv4/UDP from the Pi's address. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "pisim.h"

static int nl_to_errno(int nlerr)
{
    switch (-nlerr) {
    case NLE_EXIST:
        return -EEXIST;
    case NLE_OBJ_NOTFOUND:
        return -ENOENT;
    case NLE_NODEV:
        return -ENODEV;
    case NLE_PERM:
        return -EPERM;
    case NLE_NOMEM:
        return -ENOMEM;
    case 0:
        return 0;
    default:
        return -EIO;
    }
}

int net_open(struct pisim *sim)
{
    sim->nl = nl_socket_alloc();
    if (!sim->nl)
        return -ENOMEM;
    int rc = nl_connect(sim->nl, NETLINK_ROUTE);
    if (rc < 0) {
        nl_socket_free(sim->nl);
        sim->nl = NULL;
        return nl_to_errno(rc);
    }
    return 0;
}

void net_close(struct pisim *sim)
{
    if (sim->nl)
        nl_socket_free(sim->nl);
    sim->nl = NULL;
}

static int link_change(struct pisim *sim, struct pi *pi, const uint8_t *mac, int up)
{
    struct rtnl_link *cur = NULL, *chg = rtnl_link_alloc();
    struct nl_addr *a = NULL;
    int rc;
    if (!chg)
        return -ENOMEM;
    rc = rtnl_link_get_kernel(sim->nl, pi->ifindex, NULL, &cur);
    if (rc < 0)
        goto out;
    if (mac) {
        a = nl_addr_build(AF_LLC, mac, 6);
        if (!a) {
            rc = -NLE_NOMEM;
            goto out;
        }
        rtnl_link_set_addr(chg, a);
    }
    if (up > 0)
        rtnl_link_set_flags(chg, IFF_UP);
    else if (up == 0)
        rtnl_link_unset_flags(chg, IFF_UP);
    rc = rtnl_link_change(sim->nl, cur, chg, 0);
out:
    nl_addr_put(a);
    rtnl_link_put(cur);
    rtnl_link_put(chg);
    return nl_to_errno(rc);
}

/* At start: no power, so no link; the board's MAC on the NIC. */
int net_link_setup(struct pisim *sim, struct pi *pi)
{
    pi->ifindex = (int)if_nametoindex(pi->ifname);
    if (pi->ifindex == 0)
        return -ENODEV;
    int rc = link_change(sim, pi, NULL, 0);
    if (rc == 0)
        rc = link_change(sim, pi, pi->mac, -1);
    return rc;
}

int net_link_up(struct pisim *sim, struct pi *pi, bool up)
{
    return link_change(sim, pi, NULL, up ? 1 : 0);
}

static struct rtnl_addr *addr_obj(struct pi *pi, struct in_addr a, unsigned plen,
                                  struct in_addr peer)
{
    struct rtnl_addr *ra = rtnl_addr_alloc();
    struct nl_addr *local = nl_addr_build(AF_INET, &a, 4);
    struct nl_addr *p = peer.s_addr ? nl_addr_build(AF_INET, &peer, 4) : NULL;
    if (!ra || !local || (peer.s_addr && !p)) {
        rtnl_addr_put(ra);
        nl_addr_put(local);
        nl_addr_put(p);
        return NULL;
    }
    nl_addr_set_prefixlen(local, (int)plen);
    rtnl_addr_set_ifindex(ra, pi->ifindex);
    rtnl_addr_set_family(ra, AF_INET);
    rtnl_addr_set_local(ra, local);
    if (p) {
        nl_addr_set_prefixlen(p, 32);
        rtnl_addr_set_peer(ra, p);
    }
    rtnl_addr_set_prefixlen(ra, (int)plen);
    nl_addr_put(local);
    nl_addr_put(p);
    return ra;
}

/* Adds a/plen to the Pi's interface.  With a peer the address is a /32 that
 * reaches the peer directly, as the firmware ARPs an off-subnet server. */
int net_addr_set(struct pisim *sim, struct pi *pi, struct in_addr a, unsigned plen,
                 struct in_addr peer)
{
    net_addr_clear(sim, pi);
    struct rtnl_addr *ra = addr_obj(pi, a, peer.s_addr ? 32 : plen, peer);
    if (!ra)
        return -ENOMEM;
    int rc = rtnl_addr_add(sim->nl, ra, NLM_F_REPLACE);
    rtnl_addr_put(ra);
    if (rc < 0)
        return nl_to_errno(rc);
    pi->addr_set = true;
    pi->addr = a;
    pi->prefix_len = peer.s_addr ? 32 : plen;
    pi->peer = peer;
    return 0;
}

/* The OS's static IPv6 address, a /64, without duplicate address
 * detection (the plan gives each Pi its own). */
static struct rtnl_addr *addr6_obj(struct pi *pi, const struct in6_addr *a)
{
    struct rtnl_addr *ra = rtnl_addr_alloc();
    struct nl_addr *local = nl_addr_build(AF_INET6, a, 16);
    if (!ra || !local) {
        rtnl_addr_put(ra);
        nl_addr_put(local);
        return NULL;
    }
    nl_addr_set_prefixlen(local, 64);
    rtnl_addr_set_ifindex(ra, pi->ifindex);
    rtnl_addr_set_family(ra, AF_INET6);
    rtnl_addr_set_local(ra, local);
    rtnl_addr_set_prefixlen(ra, 64);
    rtnl_addr_set_flags(ra, IFA_F_NODAD);
    nl_addr_put(local);
    return ra;
}

int net_addr6_add(struct pisim *sim, struct pi *pi, const struct in6_addr *a)
{
    struct rtnl_addr *ra = addr6_obj(pi, a);
    if (!ra)
        return -ENOMEM;
    int rc = rtnl_addr_add(sim->nl, ra, NLM_F_REPLACE);
    rtnl_addr_put(ra);
    return rc < 0 ? nl_to_errno(rc) : 0;
}

void net_addr6_del(struct pisim *sim, struct pi *pi, const struct in6_addr *a)
{
    struct rtnl_addr *ra = addr6_obj(pi, a);
    if (ra) {
        (void)rtnl_addr_delete(sim->nl, ra, 0);
        rtnl_addr_put(ra);
    }
}

void net_addr_clear(struct pisim *sim, struct pi *pi)
{
    if (!pi->addr_set)
        return;
    struct rtnl_addr *ra = addr_obj(pi, pi->addr, pi->prefix_len, pi->peer);
    if (ra) {
        (void)rtnl_addr_delete(sim->nl, ra, 0); /* gone already is fine */
        rtnl_addr_put(ra);
    }
    pi->addr_set = false;
}

/* A packet socket on the Pi's interface.  Unless everything is asked (the
 * 3B stall model wants to see any frame), a filter passes only IPv4 UDP to
 * port 68 so that the TFTP stream does not wake the DHCP side. */
int net_raw_open(struct pi *pi, bool everything)
{
    static struct sock_filter only_dhcp[] = {
        BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 8),
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, 6),
        BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 4, 0),
        BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14),
        BPF_STMT(BPF_LD | BPF_H | BPF_IND, 16),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 68, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, 0xffff),
        BPF_STMT(BPF_RET | BPF_K, 0),
    };
    struct sock_fprog prog = { sizeof only_dhcp / sizeof only_dhcp[0], only_dhcp };
    /* Protocol 0 until bind: a packet socket opened with ETH_P_ALL hears
     * every interface until it is bound, and in a burst another Pi's OFFER
     * would land here. */
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (!everything && setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0)
        goto fail;
    struct sockaddr_ll sll = { .sll_family = AF_PACKET,
                               .sll_protocol = htons(ETH_P_ALL),
                               .sll_ifindex = pi->ifindex };
    if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0)
        goto fail;
    return fd;
fail : {
    int e = -errno;
    close(fd);
    return e;
}
}

/* Closing a packet socket waits for an RCU grace period (packet_release
 * calls synchronize_net): 8 to 20 ms on this kind of VM.  Closed on the
 * loop, one for every Pi that leaves DHCP, 108 Pis would put 1.5 s of such
 * waits in front of every other Pi's packets, and the last Pi's firmware
 * would start its TFTP that much late.  A second thread does the closing;
 * the loop only hands it the descriptor, after a filter that takes nothing
 * so that no frame queues on the socket meanwhile. */
static int closer_pipe[2] = { -1, -1 };

static void *closer_main(void *arg)
{
    (void)arg;
    int fd;
    while (read(closer_pipe[0], &fd, sizeof fd) == (ssize_t)sizeof fd)
        close(fd);
    return NULL;
}

static bool closer_started(void)
{
    static bool tried;
    if (tried)
        return closer_pipe[1] >= 0;
    tried = true;
    pthread_t t;
    /* The thread inherits the loop's blocked signals (signalfd). */
    if (pipe2(closer_pipe, O_CLOEXEC) < 0)
        return false;
    if (pthread_create(&t, NULL, closer_main, NULL) != 0) {
        close(closer_pipe[0]);
        close(closer_pipe[1]);
        closer_pipe[0] = closer_pipe[1] = -1;
        return false;
    }
    pthread_detach(t);
    return true;
}

void net_raw_close(int fd)
{
    static struct sock_filter nothing[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
    struct sock_fprog prog = { .len = 1, .filter = nothing };
    if (fd < 0)
        return;
    (void)setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog);
    if (!closer_started() || write(closer_pipe[1], &fd, sizeof fd) != (ssize_t)sizeof fd)
        close(fd);
}

/* A UDP socket on the Pi's address and interface, its datagrams stamped
 * on arrival (net_recv_stamped); port 0 = any. */
int net_udp_open(struct pi *pi, uint16_t port)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0)
        return -errno;
    struct sockaddr_in sin = { .sin_family = AF_INET,
                               .sin_port = htons(port),
                               .sin_addr = pi->addr };
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, pi->ifname, (socklen_t)strlen(pi->ifname)) <
            0 ||
        bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    return fd;
}

/* Replies to port 68 that reach the kernel after the firmware has an
 * address (a repeated OFFER, say) land here and are dropped, as the Pi
 * would; without it the kernel would answer ICMP port unreachable. */
int net_drain68_open(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0)
        return -errno;
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(68) };
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    return fd;
}

/* The kernel stamps each datagram as it reaches the Pi's interface
 * (SO_TIMESTAMPNS, wall clock).  One thread plays every Pi and may read a
 * datagram long after it came; the firmware's timeouts are judged by this
 * stamp, on pisim's monotonic clock, so the server is neither blamed for
 * pisim's delays nor excused for its own. */
ssize_t net_recv_stamped(int fd, void *buf, size_t cap, struct sockaddr_in *from,
                         uint64_t *arrived_ms)
{
    union {
        char buf[CMSG_SPACE(sizeof(struct timespec))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = { buf, cap };
    struct msghdr h = { .msg_name = from,
                        .msg_namelen = sizeof *from,
                        .msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = ctl.buf,
                        .msg_controllen = sizeof ctl.buf };
    ssize_t n = recvmsg(fd, &h, MSG_DONTWAIT);
    if (n < 0)
        return -errno;
    uint64_t now = pisim_now_ms();
    *arrived_ms = now;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS)
            continue;
        struct timespec stamp, wall;
        memcpy(&stamp, CMSG_DATA(c), sizeof stamp);
        clock_gettime(CLOCK_REALTIME, &wall);
        int64_t age_ms =
            ((int64_t)wall.tv_sec - stamp.tv_sec) * 1000 + (wall.tv_nsec - stamp.tv_nsec) / 1000000;
        /* A stamp from the future or before pisim began is a clock step:
         * the read time is all there is then. */
        if (age_ms >= 0 && (uint64_t)age_ms <= now)
            *arrived_ms = now - (uint64_t)age_ms;
    }
    return n;
}
