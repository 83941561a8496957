/* The DHCP service: sockets, timers and events around the pure server in
 * server.c.  See service.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "daemon/daemon.h"
#include "pirack/frame.h"
#include "pirack/packet.h"
#include "daemon/boot/service.h"
#include "daemon/health/bringup_service.h"
#include "service.h"
#include "dhcp_internal.h"

#define RECV_BURST 64 /* datagrams per wake-up, then others get a turn */
#define PENDING_MAX \
    1024 /* delayed and repeated replies in flight: a
                                    * storm of 108 3Bs with a delay is 216 */
/* Boards remembered for rate-limiting "board.seen": every board the plan
 * has twice over, and room for strangers; an entry is only reused once
 * its minute is over, so random MACs cannot push a board out. */
#define SEEN_SPARE 64
#define SEEN_INTERVAL_MS 60000 /* one "board.seen" per board per minute */
#define FRAME_MAX (PR_UDP4_FRAME_OVERHEAD + PR_DHCP_MAX_LEN)

struct pending {
    uint64_t due_ms;
    int ifindex;
    unsigned slot;
    uint8_t type;
    bool repeat;
    uint16_t len;
    uint8_t dst_mac[6];
    uint8_t frame[FRAME_MAX];
};

struct seen {
    uint8_t mac[6];
    uint64_t at_ms;
};

struct pr_dhcp_service {
    struct pr_daemon *d;
    int udp_fd, raw_fd;
    int frames_fd; /* flat mode: frames to the DHCP port; else -1 */
    struct pr_timer *timer;
    struct pending *pending;
    unsigned n_pending;
    struct seen *seen;
    unsigned n_seen;
    struct pr_dhcp_stats stats;
};

/* ---- lookups for the pure server ---- */

static int lookup_ifname(void *ctx, const char *ifname)
{
    struct pr_dhcp_service *s = ctx;
    return (int)pr_plan_slot_by_ifname(&s->d->plan, ifname);
}

static int lookup_mac(void *ctx, const uint8_t mac[6])
{
    struct pr_dhcp_service *s = ctx;
    char text[18];
    return pr_store_slot_by_mac(s->d->store, pr_mac_format(mac, text));
}

static int lookup_info(void *ctx, unsigned slot, struct pr_dhcp_slot_info *info)
{
    struct pr_dhcp_service *s = ctx;
    struct pr_slot_plan sp;
    struct pr_slot_row row;
    int r = pr_plan_slot(&s->d->plan, slot, &sp);
    if (r < 0)
        return r;
    info->pi = sp.v4_pi;
    info->host = sp.v4_host;
    info->mask = sp.v4_mask;
    /* the board model that ops recorded overrides what the packet says */
    if (pr_store_get_slot(s->d->store, slot, &row) == 0)
        info->model = pr_pi_model_parse(row.model);
    return 0;
}

static void server_cfg(const struct pr_config *cfg, struct pr_dhcp_server_cfg *out)
{
    out->isolated = cfg->isolated;
    out->lease_time_s = cfg->lease_time_s;
    out->pi3_second_offer = cfg->pi3_second_offer;
    out->reply_delay_ms = cfg->reply_delay_ms;
}

/* ---- sending ---- */

static int iface_mac(int fd, int ifindex, uint8_t mac[6])
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    if (!if_indextoname((unsigned)ifindex, ifr.ifr_name))
        return -errno;
    if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
        return -errno;
    memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
    return 0;
}

static int send_frame(struct pr_dhcp_service *s, int ifindex, const uint8_t dst_mac[6],
                      const uint8_t *frame, size_t len)
{
    struct sockaddr_ll ll = {
        .sll_family = AF_PACKET,
        .sll_protocol = htons(ETH_P_IP),
        .sll_ifindex = ifindex,
        .sll_halen = 6,
    };
    memcpy(ll.sll_addr, dst_mac, 6);
    ssize_t n = sendto(s->raw_fd, frame, len, 0, (struct sockaddr *)&ll, sizeof ll);
    if (n < 0)
        return -errno;
    return (size_t)n == len ? 0 : -EIO;
}

static void count_sent(struct pr_dhcp_service *s, uint8_t type, bool repeat)
{
    if (type == PR_DHCPOFFER)
        s->stats.offers++;
    else if (type == PR_DHCPACK)
        s->stats.acks++;
    else if (type == PR_DHCPNAK)
        s->stats.naks++;
    if (repeat)
        s->stats.repeats++;
}

static void arm_pending(struct pr_dhcp_service *s)
{
    if (s->n_pending == 0) {
        pr_timer_disarm(s->timer);
        return;
    }
    uint64_t first = s->pending[0].due_ms, now = pr_now_ms();
    for (unsigned i = 1; i < s->n_pending; i++)
        if (s->pending[i].due_ms < first)
            first = s->pending[i].due_ms;
    pr_timer_arm(s->timer, first > now ? first - now : 0, 0);
}

static void queue_frame(struct pr_dhcp_service *s, uint64_t due_ms, int ifindex,
                        const struct pr_dhcp_decision *dec, const uint8_t *frame, size_t len,
                        bool repeat)
{
    if (s->n_pending >= PENDING_MAX) {
        s->stats.drops[PR_DROP_SEND_FAILED]++;
        return;
    }
    struct pending *p = &s->pending[s->n_pending++];
    p->due_ms = due_ms;
    p->ifindex = ifindex;
    p->slot = dec->slot;
    p->type = dec->reply_type;
    p->repeat = repeat;
    p->len = (uint16_t)len;
    memcpy(p->dst_mac, dec->dst_mac, 6);
    memcpy(p->frame, frame, len);
}

static void on_pending_timer(void *ctx)
{
    struct pr_dhcp_service *s = ctx;
    uint64_t now = pr_now_ms();
    unsigned i = 0;
    while (i < s->n_pending) {
        struct pending *p = &s->pending[i];
        if (p->due_ms > now) {
            i++;
            continue;
        }
        if (send_frame(s, p->ifindex, p->dst_mac, p->frame, p->len) < 0)
            s->stats.drops[PR_DROP_SEND_FAILED]++;
        else
            count_sent(s, p->type, p->repeat);
        s->pending[i] = s->pending[--s->n_pending];
    }
    arm_pending(s);
}

/* Builds the reply's frame and sends it now, later, or now and again. */
static int send_reply(struct pr_dhcp_service *s, int ifindex, const struct pr_dhcp_decision *dec)
{
    struct pr_udp4_addrs a = {
        .src = dec->server,
        .dst = dec->dst_ip,
        .sport = PR_DHCP_SERVER_PORT,
        .dport = PR_DHCP_CLIENT_PORT,
        .ttl = 64,
    };
    uint8_t frame[FRAME_MAX];
    int r = iface_mac(s->udp_fd, ifindex, a.src_mac);
    if (r < 0)
        return r;
    memcpy(a.dst_mac, dec->dst_mac, 6);
    int n = pr_udp4_frame(frame, sizeof frame, &a, dec->reply, dec->reply_len);
    if (n < 0)
        return n;
    uint64_t now = pr_now_ms();
    if (dec->delay_ms) {
        queue_frame(s, now + dec->delay_ms, ifindex, dec, frame, (size_t)n, false);
    } else {
        r = send_frame(s, ifindex, dec->dst_mac, frame, (size_t)n);
        if (r < 0)
            return r;
        count_sent(s, dec->reply_type, false);
    }
    if (dec->repeat_ms)
        queue_frame(s, now + dec->delay_ms + dec->repeat_ms, ifindex, dec, frame, (size_t)n, true);
    if (dec->delay_ms || dec->repeat_ms)
        arm_pending(s);
    return 0;
}

/* ---- events ---- */

static void hex(const uint8_t *p, size_t n, char *out, size_t cap)
{
    static const char digits[] = "0123456789abcdef";
    size_t k = 0;
    for (size_t i = 0; i < n && k + 2 < cap; i++) {
        out[k++] = digits[p[i] >> 4];
        out[k++] = digits[p[i] & 15];
    }
    out[k] = '\0';
}

/* Room for every board of the plan, which a reload may grow. */
static bool seen_fit(struct pr_dhcp_service *s)
{
    unsigned want = 2 * s->d->plan.slots + SEEN_SPARE;
    if (want <= s->n_seen)
        return true;
    struct seen *n = realloc(s->seen, want * sizeof *n);
    if (!n)
        return false;
    memset(&n[s->n_seen], 0, (want - s->n_seen) * sizeof *n);
    s->seen = n;
    s->n_seen = want;
    return true;
}

/* Whether this board was recorded less than a minute ago.  A board that
 * finds the table full of fresh entries is not remembered: its events
 * then fall to the store's per-slot budget (pr_store_record_packet). */
static bool seen_recently(struct pr_dhcp_service *s, const uint8_t mac[6])
{
    uint64_t now = pr_now_ms();
    struct seen *free_entry = NULL;
    if (!seen_fit(s))
        return false;
    for (unsigned i = 0; i < s->n_seen; i++) {
        struct seen *e = &s->seen[i];
        bool fresh = e->at_ms && now - e->at_ms < SEEN_INTERVAL_MS;
        if (e->at_ms && memcmp(e->mac, mac, 6) == 0) {
            if (fresh)
                return true;
            e->at_ms = now;
            return false;
        }
        if (!fresh && !free_entry)
            free_entry = e;
    }
    if (free_entry) {
        memcpy(free_entry->mac, mac, 6);
        free_entry->at_ms = now;
    }
    return false;
}

/* A board that no slot owns (or, in isolated mode, that is not the board
 * the store has for the slot): news for bring-up. */
static void board_seen(struct pr_dhcp_service *s, unsigned slot, const char *ifname,
                       const struct pr_dhcp_msg *req, const struct pr_dhcp_decision *dec)
{
    if (seen_recently(s, req->chaddr))
        return;
    char mac[18], vendor[128] = "", uuid[80] = "", esc_if[64];
    size_t len = 0;
    const uint8_t *v = pr_dhcp_opt_get(req, PR_OPT_VENDOR_CLASS, &len);
    if (v)
        pr_escape(v, len, vendor, sizeof vendor);
    v = pr_dhcp_opt_get(req, PR_OPT_CLIENT_UUID, &len);
    if (v)
        hex(v, len, uuid, sizeof uuid);
    pr_escape(ifname, strlen(ifname), esc_if, sizeof esc_if);
    pr_daemon_packet_event(s->d, slot, "board.seen", "dhcp", "{s:s, s:s, s:s, s:s, s:s}", "mac",
                           pr_mac_format(req->chaddr, mac), "vendor_class", vendor, "option97",
                           uuid, "model", pr_pi_model_name(dec->model), "interface", esc_if);
}

/* Bring-up learns the board from its DHCP: MAC, model (option 97 or the
 * MAC's prefix) and, where option 97 carries it, the serial.  slot is
 * the interface's (isolated) or 0 (flat).  Returns the slot it was
 * learned in, or 0. */
static unsigned learn_board(struct pr_dhcp_service *s, unsigned slot, const struct pr_dhcp_msg *req)
{
    char mac[18], serial[17] = "";
    enum pr_pi_model m = pr_pi_model_detect(req);
    uint32_t ser;
    if (pr_pi_serial(req, &ser) == 0)
        snprintf(serial, sizeof serial, "%08x", ser);
    return pr_bringup_board_seen(s->d, slot, pr_mac_format(req->chaddr, mac),
                                 m == PR_PI_UNKNOWN ? "" : pr_pi_model_name(m), serial);
}

/* Isolated mode: a boot ROM on a slot's link is the board there now:
 * one the store does not have for the slot is learned without an assign
 * (an event says so when it cannot be), and a bring-up run waiting for
 * the slot hears of it either way. */
static void slot_board_check(struct pr_dhcp_service *s, const char *ifname,
                             const struct pr_dhcp_msg *req, const struct pr_dhcp_decision *dec)
{
    struct pr_slot_row row;
    char mac[18];
    if (!dec->rom || pr_store_get_slot(s->d->store, dec->slot, &row) < 0)
        return;
    /* the board the store has too: a bring-up run may be waiting for it */
    if (learn_board(s, dec->slot, req) == 0 &&
        strcmp(row.mac, pr_mac_format(req->chaddr, mac)) != 0)
        board_seen(s, dec->slot, ifname, req, dec);
}

static void record(struct pr_dhcp_service *s, const char *ifname, const struct pr_dhcp_msg *req,
                   const struct pr_dhcp_decision *dec)
{
    char mac[18], addr[INET_ADDRSTRLEN], kind[32];
    pr_mac_format(dec->mac, mac);
    inet_ntop(AF_INET, &dec->addr, addr, sizeof addr);
    switch (dec->action) {
    case PR_DHCP_ACT_REPLY:
        snprintf(kind, sizeof kind, "dhcp.%s",
                 req->type == PR_DHCPINFORM ? "inform" : pr_dhcp_type_name(dec->reply_type));
        pr_daemon_packet_event(s->d, dec->slot, kind, "dhcp", "{s:s, s:s, s:s, s:b, s:b}", "mac",
                               mac, "address", addr, "model", pr_pi_model_name(dec->model), "rom",
                               dec->rom, "broadcast", dec->broadcast);
        if (s->d->cfg->isolated)
            slot_board_check(s, ifname, req, dec);
        /* the ROM may never send REQUEST, so its OFFER counts; the OS is
         * up once it has its address */
        if (dec->rom && dec->reply_type != PR_DHCPNAK)
            pr_boot_observe(s->d, dec->slot, PR_OBS_DHCP_ROM, pr_dhcp_type_name(dec->reply_type));
        else if (!dec->rom && dec->reply_type == PR_DHCPACK && req->type == PR_DHCPREQUEST)
            pr_boot_observe(s->d, dec->slot, PR_OBS_DHCP_OS, "ack");
        break;
    case PR_DHCP_ACT_RELEASE:
        s->stats.releases++;
        pr_daemon_packet_event(s->d, dec->slot, "dhcp.release", "dhcp", "{s:s, s:s}", "mac", mac,
                               "address", addr);
        break;
    case PR_DHCP_ACT_DECLINE:
        s->stats.declines++;
        pr_warn("slot %u: %s declined %s: the address is in use on its link", dec->slot, mac, addr);
        pr_daemon_packet_event(s->d, dec->slot, "dhcp.decline", "dhcp", "{s:s, s:s}", "mac", mac,
                               "address", addr);
        break;
    case PR_DHCP_ACT_SEEN:
        s->stats.seen++;
        s->stats.drops[dec->why]++;
        board_seen(s, 0, ifname, req, dec);
        break;
    case PR_DHCP_ACT_DROP:
        s->stats.drops[dec->why]++;
        break;
    }
}

/* ---- receiving ---- */

static void drop_counted(struct pr_dhcp_service *s, enum pr_dhcp_drop why, const char *ifname)
{
    char esc[64];
    s->stats.drops[why]++;
    pr_debug("dhcp: dropped a packet on %s: %s", pr_escape(ifname, strlen(ifname), esc, sizeof esc),
             pr_dhcp_drop_name(why));
}

/* Flat mode's frames: a DHCP request is at most one frame; a flood may
 * queue many ahead of a board's request, each read once. */
#define FRAMES_PER_DATAGRAM 8192

/* Flat mode: the source MAC of the frame that carried this datagram,
 * found by its bytes among the frames queued on frames_fd (those before
 * it belong to datagrams already read, or to other interfaces).  False
 * when it is not there. */
static bool datagram_frame_mac(struct pr_dhcp_service *s, const uint8_t *dgram, size_t len,
                               uint8_t mac[6])
{
    uint8_t frame[FRAME_MAX];
    /* Looked up each time: the rack interface may come after pirackd. */
    int rack_if = (int)if_nametoindex(s->d->cfg->interface);
    for (int i = 0; i < FRAMES_PER_DATAGRAM; i++) {
        struct sockaddr_ll from;
        socklen_t fromlen = sizeof from;
        ssize_t n = recvfrom(s->frames_fd, frame, sizeof frame, MSG_DONTWAIT,
                             (struct sockaddr *)&from, &fromlen);
        if (n < 0)
            return false; /* EAGAIN: not seen */
        /* A bridge's frames are seen on its ports too: the rack
         * interface's copy only. */
        if (from.sll_pkttype == PACKET_OUTGOING || from.sll_ifindex != rack_if)
            continue;
        if (pr_udp4_frame_carries(frame, (size_t)n, PR_DHCP_SERVER_PORT, dgram, len, mac))
            return true;
    }
    return false;
}

/* Flat mode binds a slot to its board's MAC, so the MAC a request names
 * (chaddr) must be the one that sent its frame: otherwise any host on the
 * shared link could speak for another tenant's board.  With port security
 * on the switch, the frame's source is the port's own board. */
static bool sent_by_named_board(struct pr_dhcp_service *s, const uint8_t *buf, size_t len,
                                const struct pr_dhcp_msg *req)
{
    uint8_t mac[6];
    if (s->frames_fd < 0)
        return true;
    return datagram_frame_mac(s, buf, len, mac) && memcmp(mac, req->chaddr, 6) == 0;
}

static void handle_packet(struct pr_dhcp_service *s, const uint8_t *buf, size_t len, bool truncated,
                          int ifindex)
{
    char ifname[IF_NAMESIZE] = "";
    struct pr_dhcp_msg req;
    struct pr_dhcp_decision dec;
    enum pr_dhcp_drop why;
    const struct pr_config *cfg = s->d->cfg;

    s->stats.received++;
    if (!if_indextoname((unsigned)ifindex, ifname)) {
        drop_counted(s, PR_DROP_NO_SLOT, "?");
        return;
    }
    if (!cfg->isolated && strcmp(ifname, cfg->interface) != 0) {
        drop_counted(s, PR_DROP_NO_SLOT, ifname); /* flat: the rack has one interface */
        return;
    }
    if (truncated) {
        drop_counted(s, PR_DROP_OVERLONG, ifname);
        return;
    }
    if (pr_dhcp_decode(buf, len, &req, &why) < 0) {
        drop_counted(s, why, ifname);
        return;
    }
    if (!sent_by_named_board(s, buf, len, &req)) {
        drop_counted(s, PR_DROP_FOREIGN_MAC, ifname);
        return;
    }

    struct pr_dhcp_server_cfg scfg;
    struct pr_dhcp_lookup lk = { lookup_ifname, lookup_mac, lookup_info, s };
    server_cfg(cfg, &scfg);
    pr_dhcp_handle_msg(&scfg, &lk, ifname, &req, &dec);
    /* Flat mode: a board no slot owns, or a boot ROM the store places in
     * another slot, may be the one a bring-up listens for; once learned
     * it is answered at once, from its new slot (a Pi 3 ROM that hears
     * nothing for a while sleeps until power-cycled). */
    if (!cfg->isolated &&
        (dec.action == PR_DHCP_ACT_SEEN || (dec.action == PR_DHCP_ACT_REPLY && dec.rom))) {
        unsigned was = dec.action == PR_DHCP_ACT_REPLY ? dec.slot : 0;
        unsigned got = learn_board(s, 0, &req);
        if (got && got != was)
            pr_dhcp_handle_msg(&scfg, &lk, ifname, &req, &dec);
    }
    if (dec.action == PR_DHCP_ACT_REPLY) {
        int r = send_reply(s, ifindex, &dec);
        if (r < 0) {
            char esc[64];
            pr_warn("dhcp: cannot send a %s on %s: %s", pr_dhcp_type_name(dec.reply_type),
                    pr_escape(ifname, strlen(ifname), esc, sizeof esc), strerror(-r));
            drop_counted(s, PR_DROP_SEND_FAILED, ifname);
            return;
        }
    }
    record(s, ifname, &req, &dec);
}

static void on_readable(void *ctx, int fd, uint32_t events)
{
    struct pr_dhcp_service *s = ctx;
    (void)events;
    for (int i = 0; i < RECV_BURST; i++) {
        uint8_t buf[PR_DHCP_MAX_LEN + 1];
        union {
            struct cmsghdr h;
            uint8_t b[CMSG_SPACE(sizeof(struct in_pktinfo))];
        } cbuf;
        struct iovec iov = { buf, sizeof buf };
        struct msghdr mh = {
            .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.b, .msg_controllen = sizeof cbuf.b
        };
        ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                pr_warn("dhcp: recvmsg: %s", strerror(errno));
            return;
        }
        int ifindex = 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
            if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
                struct in_pktinfo pi;
                memcpy(&pi, CMSG_DATA(c), sizeof pi);
                ifindex = pi.ipi_ifindex;
            }
        }
        bool truncated = (mh.msg_flags & MSG_TRUNC) || (size_t)n > PR_DHCP_MAX_LEN;
        handle_packet(s, buf, truncated ? 0 : (size_t)n, truncated, ifindex);
    }
}

/* ---- start / stop ---- */

/* A boot storm is 108 DISCOVERs at once, each resent: room for a few
 * thousand datagrams.  SO_RCVBUFFORCE passes rmem_max when we may. */
#define RCVBUF_BYTES (4 << 20)

static int open_udp(void)
{
    int one = 1, rcvbuf = RCVBUF_BYTES;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(PR_DHCP_SERVER_PORT) };
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one) < 0 ||
        setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one) < 0 ||
        bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0 &&
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    return fd;
}

int pr_dhcp_service_start(struct pr_daemon *d)
{
    struct pr_dhcp_service *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->d = d;
    s->udp_fd = s->raw_fd = s->frames_fd = -1;
    int r = -ENOMEM;
    s->pending = calloc(PENDING_MAX, sizeof *s->pending);
    s->timer = pr_timer_new(d->loop, on_pending_timer, s);
    if (!s->pending || !s->timer)
        goto fail;
    r = s->udp_fd = open_udp();
    if (r < 0)
        goto fail;
    /* protocol 0: this socket sends and never receives */
    s->raw_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s->raw_fd < 0) {
        r = -errno;
        goto fail;
    }
    if (!d->cfg->isolated) {
        /* flat mode: the frames behind each request, for their source MAC */
        r = s->frames_fd = pr_packet_open("ip and udp dst port 67", FRAME_MAX, RCVBUF_BYTES);
        if (r < 0) {
            pr_err("dhcp: cannot open a packet socket (flat mode checks each request's MAC "
                   "on %s): %s",
                   d->cfg->interface, strerror(-r));
            goto fail;
        }
    }
    r = pr_loop_add_fd(d->loop, s->udp_fd, EPOLLIN, on_readable, s);
    if (r < 0)
        goto fail;
    d->dhcp = s;
    return 0;
fail:
    if (s->frames_fd >= 0)
        close(s->frames_fd);
    if (s->raw_fd >= 0)
        close(s->raw_fd);
    if (s->udp_fd >= 0)
        close(s->udp_fd);
    pr_timer_free(s->timer);
    free(s->pending);
    free(s);
    return r;
}

void pr_dhcp_service_stop(struct pr_daemon *d)
{
    struct pr_dhcp_service *s = d->dhcp;
    if (!s)
        return;
    pr_loop_del_fd(d->loop, s->udp_fd);
    close(s->udp_fd);
    close(s->raw_fd);
    if (s->frames_fd >= 0)
        close(s->frames_fd);
    pr_timer_free(s->timer);
    free(s->pending);
    free(s->seen);
    free(s);
    d->dhcp = NULL;
}

const struct pr_dhcp_stats *pr_dhcp_service_stats(const struct pr_dhcp_service *s)
{
    return s ? &s->stats : NULL;
}
