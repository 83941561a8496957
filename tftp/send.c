/* Sending, below serve.c: the batch of replies written with one
 * sendmmsg, and what the kernel says about the path to a peer (the
 * source address it would pick, the interface's MTU).  See server.c for
 * why replies name their source. */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include "server.h"

/* ---- sending -------------------------------------------------------- */

void pr_tftp_tx_flush(struct pr_tftp_server *s)
{
    unsigned done = 0;
    while (done < s->tx_len) {
        int n = sendmmsg(s->tx_fd >= 0 ? s->tx_fd : s->fd, s->tx_msgs + done, s->tx_len - done, 0);
        if (n > 0) {
            done += (unsigned)n;
            s->stats.tx_packets += (uint64_t)n;
            s->stats.tx_calls++;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        /* A full buffer or an unreachable peer: drop this one; the
         * retransmission deadline recovers it. */
        s->stats.tx_dropped++;
        done++;
    }
    s->tx_len = 0;
}

static void set_source(struct pr_tftp_server *s, struct msghdr *h, struct pr_tftp_tx *m,
                       const union pr_tftp_local *local)
{
    struct cmsghdr *c = (struct cmsghdr *)m->ctl.buf;
    if (s->family == AF_INET) {
        struct in_pktinfo pi = { .ipi_spec_dst = local->v4.ipi_spec_dst };
        c->cmsg_level = IPPROTO_IP;
        c->cmsg_type = IP_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof pi);
        memcpy(CMSG_DATA(c), &pi, sizeof pi);
        h->msg_controllen = CMSG_SPACE(sizeof pi);
    } else {
        struct in6_pktinfo pi = local->v6;
        c->cmsg_level = IPPROTO_IPV6;
        c->cmsg_type = IPV6_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof pi);
        memcpy(CMSG_DATA(c), &pi, sizeof pi);
        h->msg_controllen = CMSG_SPACE(sizeof pi);
    }
    h->msg_control = m->ctl.buf;
}

struct pr_tftp_tx *pr_tftp_tx_add(struct pr_tftp_server *s, const struct sockaddr *peer,
                                  socklen_t peerlen, const union pr_tftp_local *local)
{
    if (s->tx_len == PR_TFTP_TX_BATCH)
        pr_tftp_tx_flush(s);
    unsigned i = s->tx_len++;
    struct pr_tftp_tx *m = &s->tx[i];
    struct msghdr *h = &s->tx_msgs[i].msg_hdr;
    memcpy(&m->peer, peer, peerlen);
    *h = (struct msghdr){ .msg_name = &m->peer, .msg_namelen = peerlen, .msg_iov = m->iov };
    if (local)
        set_source(s, h, m, local);
    return m;
}

/* Sets the message's bytes: one or two pieces. */
void pr_tftp_tx_set(struct pr_tftp_server *s, struct pr_tftp_tx *m, const void *a, size_t alen,
                    const void *b, size_t blen)
{
    struct msghdr *h = &s->tx_msgs[m - s->tx].msg_hdr;
    m->iov[0] = (struct iovec){ (void *)a, alen };
    m->iov[1] = (struct iovec){ (void *)b, blen };
    h->msg_iovlen = blen ? 2 : 1;
}

/* Asked once per transfer: the answer lets every DATA of it go without a
 * control message, which the kernel would otherwise copy, parse and check
 * (the address must be local) for each datagram.  The route could change
 * during the transfer; so could the kernel's pick for a new one, and the
 * peer then sees what any server without IP_PKTINFO would send. */
bool pr_tftp_source_is_default(struct pr_tftp_server *s, const struct sockaddr *peer,
                               socklen_t peerlen, const union pr_tftp_local *local)
{
    union pr_tftp_addr src;
    socklen_t srclen = sizeof src;
    if (s->probe_fd < 0 || connect(s->probe_fd, peer, peerlen) < 0 ||
        getsockname(s->probe_fd, &src.sa, &srclen) < 0)
        return false;
    struct sockaddr none = { .sa_family = AF_UNSPEC };
    connect(s->probe_fd, &none, sizeof none); /* takes no datagrams meanwhile */
    if (s->family == AF_INET)
        return src.sa.sa_family == AF_INET &&
               src.in.sin_addr.s_addr == local->v4.ipi_spec_dst.s_addr;
    return src.sa.sa_family == AF_INET6 &&
           memcmp(&src.in6.sin6_addr, &local->v6.ipi6_addr, sizeof src.in6.sin6_addr) == 0;
}

/* The largest DATA payload that fits the receiving interface's MTU. */
unsigned pr_tftp_path_blksize(struct pr_tftp_server *s, const union pr_tftp_local *local,
                              bool has_local, const struct sockaddr *peer)
{
    unsigned cap = s->cfg.max_blksize;
    int ifindex = !has_local             ? 0
                  : s->family == AF_INET ? local->v4.ipi_ifindex
                                         : (int)local->v6.ipi6_ifindex;
    char name[IF_NAMESIZE];
    struct ifreq ifr;
    if (ifindex <= 0 || !if_indextoname((unsigned)ifindex, name))
        return cap;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, name,
           sizeof ifr.ifr_name < sizeof name ? sizeof ifr.ifr_name : sizeof name);
    if (ioctl(s->fd, SIOCGIFMTU, &ifr) < 0)
        return cap;
    bool v4 = peer->sa_family == AF_INET ||
              IN6_IS_ADDR_V4MAPPED(&((const struct sockaddr_in6 *)peer)->sin6_addr);
    int headers = (v4 ? 20 : 40) + 8 + 4;
    if (ifr.ifr_mtu <= headers + PR_TFTP_BLKSIZE_MIN)
        return PR_TFTP_BLKSIZE_MIN;
    unsigned fit = (unsigned)(ifr.ifr_mtu - headers);
    return fit < cap ? fit : cap;
}
