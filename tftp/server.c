/* The TFTP server: one UDP port shared by every transfer, read with
 * recvmmsg on one socket and written with sendmmsg on its twin (see
 * open_sender; the send batch is in send.c), driven by the embedder's
 * loop.  Each datagram goes to serve.c.
 *
 * Replies leave from the address each request arrived at, so a Pi on a /30
 * sees its gateway answer: named with IP_PKTINFO / IPV6_PKTINFO when the
 * kernel would pick another source, left to the kernel when it would pick
 * that one (checked once per transfer).  A block of up to a frame is
 * copied behind its header into the message (one iovec), a larger one is
 * sent straight from the shared file bytes; nothing is allocated per
 * block. */
#define _GNU_SOURCE
#include <linux/filter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "server.h"

#define DEFAULT_MAX_TRANSFERS 1024
#define DEFAULT_TIMEOUT_MS 1000
#define DEFAULT_RETRIES 6
#define DEFAULT_BLKSIZE_CAP 1468 /* 1500 - IPv4 - UDP - TFTP headers */
#define DEFAULT_WINDOW_CAP 64
#define DEFAULT_CACHE (64u << 20)
#define DEFAULT_MAX_FILE (1ull << 30)
#define SOCKET_BUFFER (4 << 20)

static int set_int(int fd, int level, int name, int value)
{
    return setsockopt(fd, level, name, &value, sizeof value) < 0 ? -errno : 0;
}

static void grow_buffer(int fd, int name, int force_name)
{
    /* Root may exceed rmem_max/wmem_max; others get what the sysctl allows. */
    if (set_int(fd, SOL_SOCKET, force_name, SOCKET_BUFFER) < 0)
        set_int(fd, SOL_SOCKET, name, SOCKET_BUFFER);
}

/* Options shared by the reading and the sending socket.  SO_REUSEPORT
 * lets the two share the port; the group's steering program (below) keeps
 * every datagram on the reading one. */
static int set_options(int fd, int family)
{
    int rc = set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1);
    if (rc == 0 && family == AF_INET6) {
        rc = set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 0);
        if (rc == 0)
            rc = set_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
    } else if (rc == 0) {
        rc = set_int(fd, IPPROTO_IP, IP_PKTINFO, 1);
    }
    /* DF on every datagram (blksize already fits the interface's MTU):
     * the kernel then skips choosing an IP ID per packet, which is a
     * measurable part of a boot storm's cost. */
    if (rc == 0)
        set_int(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_PROBE);
    if (rc == 0 && family == AF_INET6)
        set_int(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_PROBE);
    return rc;
}

static int open_socket(const struct sockaddr *addr, socklen_t len)
{
    int family = addr->sa_family;
    if (family != AF_INET && family != AF_INET6)
        return -EAFNOSUPPORT;
    int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int rc = set_options(fd, family);
    if (rc == 0 && bind(fd, addr, len) < 0)
        rc = -errno;
    if (rc < 0) {
        close(fd);
        return rc;
    }
    grow_buffer(fd, SO_RCVBUF, SO_RCVBUFFORCE);
    grow_buffer(fd, SO_SNDBUF, SO_SNDBUFFORCE);
    return fd;
}

/* Every datagram to the port goes to the group's first socket, the one
 * the server reads (a classic BPF program that answers index 0). */
static int steer_to_first_socket(int fd)
{
    struct sock_filter answer_first[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
    struct sock_fprog prog = { .len = 1, .filter = answer_first };
    return setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof prog) < 0 ? -errno
                                                                                        : 0;
}

/* The socket DATA, OACK and ERROR leave from: the reading socket's twin on
 * the same address and port, in no epoll set.  Each sent datagram's buffer
 * is given back when the peer has taken it, and the kernel then wakes
 * whoever waits on the sending socket; on the reading socket that is the
 * loop's epoll entry, a lock taken and dropped per block (about 8 % of a
 * boot storm's server time).  Nothing waits on this one.  -1 when the
 * kernel refuses: the reading socket then sends too.
 *
 * Another server without SO_REUSEPORT (dnsmasq, tftpd-hpa) still cannot
 * take the port, nor we theirs.  A process of the same user that also
 * asks SO_REUSEPORT could join, and would receive nothing. */
static int open_sender(int rx_fd, int family)
{
    union pr_tftp_addr a;
    socklen_t len = sizeof a;
    if (steer_to_first_socket(rx_fd) < 0 || getsockname(rx_fd, &a.sa, &len) < 0)
        return -1;
    int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (set_options(fd, family) < 0 || bind(fd, &a.sa, len) < 0) {
        close(fd);
        return -1;
    }
    grow_buffer(fd, SO_SNDBUF, SO_SNDBUFFORCE);
    return fd;
}

/* A socket that sends nothing: connect() on it asks the kernel which
 * source address it would pick for a peer.  Bound like the server's own
 * socket (port aside), so the answer is the one the server would get. */
static int open_probe(const struct sockaddr *addr, socklen_t len)
{
    union pr_tftp_addr a;
    memcpy(&a, addr, len);
    if (a.sa.sa_family == AF_INET)
        a.in.sin_port = 0;
    else
        a.in6.sin6_port = 0;
    int fd = socket(a.sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if ((a.sa.sa_family == AF_INET6 && set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 0) < 0) ||
        bind(fd, &a.sa, len) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void apply_defaults(struct pr_tftp_server *s, const struct pr_tftp_server_config *cfg)
{
    s->cfg = *cfg;
    if (!s->cfg.max_transfers)
        s->cfg.max_transfers = DEFAULT_MAX_TRANSFERS;
    if (!s->cfg.max_per_client || s->cfg.max_per_client > s->cfg.max_transfers)
        s->cfg.max_per_client = s->cfg.max_transfers;
    if (!s->cfg.timeout_ms)
        s->cfg.timeout_ms = DEFAULT_TIMEOUT_MS;
    if (!s->cfg.max_retries)
        s->cfg.max_retries = DEFAULT_RETRIES;
    if (!s->cfg.max_blksize)
        s->cfg.max_blksize = DEFAULT_BLKSIZE_CAP;
    if (!s->cfg.max_windowsize)
        s->cfg.max_windowsize = DEFAULT_WINDOW_CAP;
    if (!s->cfg.cache_bytes)
        s->cfg.cache_bytes = DEFAULT_CACHE;
    if (!s->cfg.max_file_bytes)
        s->cfg.max_file_bytes = DEFAULT_MAX_FILE;
    snprintf(s->prefix, sizeof s->prefix, "%s", cfg->prefix ? cfg->prefix : "");
    s->cfg.prefix = s->prefix;
}

static void setup_rx(struct pr_tftp_server *s)
{
    for (unsigned i = 0; i < PR_TFTP_RX_BATCH; i++) {
        s->rx_iov[i] = (struct iovec){ s->rx_buf[i], sizeof s->rx_buf[i] };
        s->rx[i].msg_hdr = (struct msghdr){
            .msg_name = &s->rx_addr[i],
            .msg_namelen = sizeof s->rx_addr[i],
            .msg_iov = &s->rx_iov[i],
            .msg_iovlen = 1,
            .msg_control = s->rx_ctl[i].buf,
            .msg_controllen = sizeof s->rx_ctl[i].buf,
        };
    }
}

int pr_tftp_server_new(const struct pr_tftp_server_config *cfg, struct pr_tftp_server **out)
{
    if (!cfg || !cfg->bind_addr || !cfg->resolve || !out)
        return -EINVAL;
    struct pr_tftp_server *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->fd = -1;
    s->tx_fd = -1;
    s->probe_fd = -1;
    apply_defaults(s, cfg);
    int rc = pr_tftp_table_init(&s->table, s->cfg.max_transfers);
    if (rc == 0 && !(s->cache = pr_tftp_cache_new(s->cfg.cache_bytes, s->cfg.max_file_bytes)))
        rc = -ENOMEM;
    if (rc == 0 && (rc = open_socket(cfg->bind_addr, cfg->bind_len)) >= 0) {
        s->fd = rc;
        s->family = cfg->bind_addr->sa_family;
        s->tx_fd = open_sender(s->fd, s->family);
        s->probe_fd = open_probe(cfg->bind_addr, cfg->bind_len);
        rc = 0;
    }
    if (rc < 0) {
        pr_tftp_server_free(s);
        return rc;
    }
    setup_rx(s);
    *out = s;
    return 0;
}

void pr_tftp_server_free(struct pr_tftp_server *s)
{
    if (!s)
        return;
    for (unsigned i = 0; i < s->table.cap; i++)
        if (s->table.slots[i].used)
            pr_tftp_cache_put(s->cache, s->table.slots[i].file);
    pr_tftp_table_fini(&s->table);
    pr_tftp_cache_free(s->cache);
    if (s->fd >= 0)
        close(s->fd);
    if (s->tx_fd >= 0)
        close(s->tx_fd);
    if (s->probe_fd >= 0)
        close(s->probe_fd);
    free(s);
}

int pr_tftp_server_fd(const struct pr_tftp_server *s)
{
    return s->fd;
}

int pr_tftp_server_local(const struct pr_tftp_server *s, struct sockaddr_storage *ss,
                         socklen_t *len)
{
    *len = sizeof *ss;
    return getsockname(s->fd, (struct sockaddr *)ss, len) < 0 ? -errno : 0;
}

void pr_tftp_server_stats(const struct pr_tftp_server *s, struct pr_tftp_stats *out)
{
    *out = s->stats;
    out->active = s->table.active; /* peak_active is kept in stats */
    out->cached_files = pr_tftp_cache_count(s->cache);
    out->cached_bytes = pr_tftp_cache_bytes(s->cache);
}

uint64_t pr_tftp_server_next_deadline(const struct pr_tftp_server *s)
{
    int idx = pr_tftp_table_earliest(&s->table);
    return idx < 0 ? UINT64_MAX : s->table.slots[idx].x.deadline_ms;
}

/* ---- receiving ------------------------------------------------------ */

static bool read_local(struct pr_tftp_server *s, struct msghdr *h, union pr_tftp_local *local)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
        if (s->family == AF_INET && c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            memcpy(&local->v4, CMSG_DATA(c), sizeof local->v4);
            return true;
        }
        if (s->family == AF_INET6 && c->cmsg_level == IPPROTO_IPV6 &&
            c->cmsg_type == IPV6_PKTINFO) {
            memcpy(&local->v6, CMSG_DATA(c), sizeof local->v6);
            return true;
        }
    }
    return false;
}

int pr_tftp_server_on_readable(struct pr_tftp_server *s, uint64_t now_ms)
{
    for (unsigned round = 0; round < PR_TFTP_RX_ROUNDS; round++) {
        for (unsigned i = 0; i < PR_TFTP_RX_BATCH; i++) {
            s->rx[i].msg_hdr.msg_namelen = sizeof s->rx_addr[i];
            s->rx[i].msg_hdr.msg_controllen = sizeof s->rx_ctl[i].buf;
            s->rx[i].msg_hdr.msg_flags = 0;
        }
        int n = recvmmsg(s->fd, s->rx, PR_TFTP_RX_BATCH, MSG_DONTWAIT, NULL);
        if (n < 0) {
            int e = errno;
            pr_tftp_tx_flush(s);
            return (e == EAGAIN || e == EWOULDBLOCK || e == EINTR) ? 0 : -e;
        }
        s->stats.rx_calls++;
        for (int i = 0; i < n; i++) {
            struct msghdr *h = &s->rx[i].msg_hdr;
            union pr_tftp_local local;
            bool has_local = read_local(s, h, &local);
            s->stats.rx_packets++;
            if (h->msg_flags & MSG_TRUNC) {
                s->stats.malformed++;
                continue;
            }
            pr_tftp_handle_packet(s, &s->rx_addr[i].sa, h->msg_namelen, has_local ? &local : NULL,
                                  s->rx_buf[i], s->rx[i].msg_len, now_ms);
        }
        pr_tftp_tx_flush(s);
        if (n < (int)PR_TFTP_RX_BATCH)
            return 0;
    }
    return 0;
}
