/* tftp/service: wires the tftp library to the daemon: the loop drives it, the
 * plan says which slot a client is, the store hears which board serial
 * asked, each file served becomes tftp.request + tftp.done events, and
 * the boot service hears of every file served (firmware, then kernel).
 *
 * Only the Pi side (.2) of a slot's /30 is that slot's client: the host
 * side is pirackd itself, and an address outside every /30 is no Pi of
 * this rack.  Both are refused with ERROR 2.
 *
 * Flat mode: every Pi is on one segment and could take another slot's .2.
 * The slot's address is bound to its board's MAC (a permanent neighbour
 * entry, daemon/net), so replies go to the board; and each request's own
 * frame is checked: an AF_PACKET socket on the rack interface carries the
 * frames addressed to the TFTP port, which the kernel queues there before
 * UDP sees the datagram, so when a request is read its frame is already
 * waiting.  A request whose frame did not come from the slot's board, or
 * whose frame was not seen, is refused (ERROR 2): a machine that takes a
 * slot's address gets none of its files, not even as frames flooded past
 * its port while the board is away. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <jansson.h>

#include "daemon/daemon.h"
#include "pirack/metrics.h"
#include "pirack/packet.h"
#include "pirack/tftp.h"
#include "daemon/boot/service.h"
#include "daemon/health/bringup_service.h"
#include "service.h"
#include "tftp_internal.h"

#define REFUSAL_EVENT_GAP_MS 1000
/* Frames read looking for one request's: past this the request is
 * refused (its client asks again) rather than holding the loop.  Every
 * request read consumes its own frame, whoever sent it, so only frames of
 * datagrams the server dropped unread are ever skipped; the socket's
 * buffer holds fewer than this. */
#define FRAMES_PER_REQUEST 8192
#define FRAME_MAX 1600

struct pr_tftp_service {
    struct pr_daemon *d;
    struct pr_tftp_server *srv;
    struct pr_timer *timer;
    uint64_t armed;           /* deadline the timer is set for */
    uint64_t last_refusal_ms; /* rack-level refusal events are rate-limited */
    unsigned refusals_suppressed;
    uint64_t sent_bytes;               /* of every file served to its end */
    struct pr_histogram transfer_secs; /* request to last ACK, files served */
    int frames_fd;                     /* flat mode: frames to the TFTP port; else -1 */
    uint64_t last_mac_warn_ms;         /* foreign-MAC warnings are rate-limited */
};

/* Seconds a file took: a 20 KB bootcode.bin in milliseconds, a 25 MB
 * kernel in seconds, a congested link in tens of seconds. */
static const double transfer_bounds[] = { 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60 };

/* The IPv4 address of a peer; false for anything else. */
static bool peer_v4(const struct sockaddr *sa, struct in_addr *out)
{
    if (sa->sa_family != AF_INET)
        return false;
    *out = ((const struct sockaddr_in *)sa)->sin_addr;
    return true;
}

/* Isolated mode: whether the request came in on the slot's own link.  A
 * Pi that takes another slot's .2 on its own link reaches nothing of that
 * slot, even where reverse-path filtering is off.  Unknown (0) is
 * refused too: the socket always asks IP_PKTINFO. */
static bool on_slot_link(const struct pr_daemon *d, const struct pr_slot_plan *sp, int ifindex)
{
    char name[IF_NAMESIZE];
    if (!d->cfg->isolated)
        return true;
    return ifindex > 0 && if_indextoname((unsigned)ifindex, name) && strcmp(name, sp->ifname) == 0;
}

/* The slot whose Pi has this address and, in isolated mode, whose link
 * the request came in on; or 0. */
static unsigned client_slot(const struct pr_daemon *d, const struct sockaddr *peer, int ifindex)
{
    struct in_addr a;
    struct pr_slot_plan sp;
    if (!peer_v4(peer, &a))
        return 0;
    unsigned slot = pr_plan_slot_by_v4(&d->plan, a);
    if (slot == 0 || pr_plan_slot(&d->plan, slot, &sp) < 0 || sp.v4_pi.s_addr != a.s_addr)
        return 0;
    if (!on_slot_link(d, &sp, ifindex)) {
        char addr[INET_ADDRSTRLEN], ifname[IF_NAMESIZE] = "?";
        if (ifindex > 0)
            if_indextoname((unsigned)ifindex, ifname);
        pr_warn("tftp: slot %u's address %s asked on %s, not on %s: refused", slot,
                inet_ntop(AF_INET, &a, addr, sizeof addr), ifname, sp.ifname);
        return 0;
    }
    return slot;
}

/* Flat mode: the MAC of the frame that carried the request from addr:port
 * (host order), read from frames_fd in the order the kernel queued them;
 * frames before it belong to datagrams already read.  False if it is not
 * there. */
static bool request_frame_mac(struct pr_tftp_service *svc, struct in_addr addr, uint16_t port,
                              uint8_t mac[6])
{
    uint8_t frame[FRAME_MAX];
    /* Looked up each time: the rack interface may come after pirackd. */
    int rack_if = (int)if_nametoindex(svc->d->cfg->interface);
    for (int i = 0; i < FRAMES_PER_REQUEST; i++) {
        struct sockaddr_ll from;
        socklen_t fromlen = sizeof from;
        ssize_t n = recvfrom(svc->frames_fd, frame, sizeof frame, MSG_DONTWAIT,
                             (struct sockaddr *)&from, &fromlen);
        if (n < 0)
            return false; /* EAGAIN: not seen */
        struct pr_tftp_sender snd;
        /* A bridge's frames are seen on its port too: only the rack
         * interface's count, once. */
        if (from.sll_pkttype == PACKET_OUTGOING || from.sll_ifindex != rack_if ||
            pr_tftp_frame_sender(frame, (size_t)n, (uint16_t)svc->d->cfg->tftp_port, &snd) < 0)
            continue;
        if (pr_tftp_sender_is(&snd, addr, port)) {
            memcpy(mac, snd.mac, 6);
            return true;
        }
    }
    return false;
}

/* Flat mode: whether the request came from the slot's board.  Called for
 * every request, a stranger's (slot 0) too, so that each consumes its own
 * frame and none is left to bury the next. */
static bool from_slot_board(struct pr_tftp_service *svc, unsigned slot, const struct sockaddr *peer)
{
    const struct sockaddr_in *in = (const struct sockaddr_in *)peer;
    struct pr_slot_row row;
    uint8_t mac[6];
    char seen[18] = "not seen";

    if (svc->frames_fd < 0)
        return true;
    if (peer->sa_family != AF_INET)
        return false;
    bool found = request_frame_mac(svc, in->sin_addr, ntohs(in->sin_port), mac);
    if (slot == 0)
        return false;
    if (found)
        snprintf(seen, sizeof seen, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                 mac[4], mac[5]);
    if (pr_store_get_slot(svc->d->store, slot, &row) < 0)
        row.mac[0] = '\0';
    if (found && row.mac[0] && strcasecmp(row.mac, seen) == 0)
        return true;
    uint64_t now = pr_now_ms();
    if (now - svc->last_mac_warn_ms >= REFUSAL_EVENT_GAP_MS) {
        svc->last_mac_warn_ms = now;
        pr_warn("tftp: slot %u's address asked from MAC %s, not its board's (%s): refused", slot,
                seen, row.mac[0] ? row.mac : "none");
    }
    return false;
}

static int open_dir(const char *base, const char *name)
{
    char path[PR_PATH_MAX + 16];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", base, name) >= sizeof path)
        return -ENAMETOOLONG;
    int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

static void resolve(void *ctx, const struct sockaddr *peer, socklen_t len,
                    struct pr_tftp_client *out)
{
    struct pr_tftp_service *svc = ctx;
    const char *boot = svc->d->cfg->boot_dir;
    (void)len;
    unsigned slot = client_slot(svc->d, peer, out->ifindex);
    out->cookie = slot;
    bool from_board = from_slot_board(svc, slot, peer);
    if (slot != 0 && !from_board) {
        out->dirfd = -EACCES; /* refused on the slot's own timeline */
        return;
    }
    if (slot == 0) {
        out->dirfd = -EACCES;
        return;
    }
    char own[16];
    snprintf(own, sizeof own, "%03u", slot);
    out->dirfd = open_dir(boot, own);
    if (out->dirfd == -ENOENT)
        out->dirfd = open_dir(boot, "default");
}

static const char *kind_event(enum pr_tftp_event_kind k)
{
    switch (k) {
    case PR_TFTP_EV_REQUEST:
        return "tftp.request";
    case PR_TFTP_EV_DONE:
        return "tftp.done";
    case PR_TFTP_EV_ERROR:
        return "tftp.error";
    case PR_TFTP_EV_PROBE:
        return "tftp.probe";
    case PR_TFTP_EV_TRAVERSAL:
        return "tftp.traversal";
    }
    return "tftp.error";
}

/* Whether the serial on record already says what the path said: the same,
 * or a longer serial ending in these 8 digits (the firmware names only the
 * low 32 bits). */
static bool serial_known(const char *stored, const char *seen)
{
    size_t sl = strlen(stored), n = strlen(seen);
    return sl >= n && strcmp(stored + sl - n, seen) == 0;
}

/* Isolated mode: a serial that belongs to another board than the slot's
 * names the board that is in the slot now (one that moved, with no DHCP
 * of its ROM seen here, e.g. across a restart).  True when learned. */
static bool learn_by_serial(struct pr_tftp_service *svc, unsigned slot, const char *serial,
                            const struct pr_slot_row *row)
{
    char mac[18] = "";
    if (!svc->d->cfg->isolated ||
        pr_store_board_by_serial(svc->d->store, serial, mac, sizeof mac) < 0 ||
        !strcmp(mac, row->mac))
        return false;
    return pr_bringup_board_seen(svc->d, slot, mac, "", serial) == slot;
}

/* A board that names its serial in the path: keep it with the board. */
static void note_serial(struct pr_tftp_service *svc, unsigned slot, const char *serial)
{
    struct pr_slot_row row;
    if (!serial[0] || slot == 0 || pr_store_get_slot(svc->d->store, slot, &row) < 0)
        return;
    if (serial_known(row.serial, serial) || learn_by_serial(svc, slot, serial, &row) || !row.mac[0])
        return;
    if (pr_store_set_board_serial(svc->d->store, row.mac, serial) < 0)
        pr_warn("tftp: cannot record serial %s for %s: %s", serial, row.mac,
                pr_store_errmsg(svc->d->store));
}

/* Refusals of clients that are no slot's go to the rack's timeline, at
 * most one a second, so a scan cannot fill the store. */
static bool rack_refusal_allowed(struct pr_tftp_service *svc)
{
    uint64_t now = pr_now_ms();
    if (svc->last_refusal_ms && now - svc->last_refusal_ms < REFUSAL_EVENT_GAP_MS) {
        svc->refusals_suppressed++;
        return false;
    }
    svc->last_refusal_ms = now;
    return true;
}

static void on_event(void *ctx, const struct pr_tftp_event *ev)
{
    struct pr_tftp_service *svc = ctx;
    unsigned slot = (unsigned)ev->cookie;
    char path[PR_TFTP_PATH_MAX * 4 + 8], peer[INET6_ADDRSTRLEN] = "?";
    struct in_addr a;
    const char *serial = ev->seen ? ev->seen->serial : "";
    pr_escape(ev->path, strlen(ev->path), path, sizeof path);
    if (peer_v4(ev->peer, &a))
        inet_ntop(AF_INET, &a, peer, sizeof peer);
    else if (ev->peer->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ev->peer)->sin6_addr, peer, sizeof peer);
    const char *kind = kind_event(ev->kind);
    switch (ev->kind) {
    case PR_TFTP_EV_REQUEST:
        note_serial(svc, slot, serial);
        pr_daemon_packet_event(svc->d, slot, kind, "tftp", "{s:s, s:I, s:i, s:s}", "path", path,
                               "size", (json_int_t)ev->bytes, "blksize", (int)ev->blksize, "serial",
                               serial);
        break;
    case PR_TFTP_EV_DONE:
        pr_daemon_packet_event(svc->d, slot, kind, "tftp", "{s:s, s:I, s:I}", "path", path, "bytes",
                               (json_int_t)ev->bytes, "ms", (json_int_t)ev->duration_ms);
        svc->sent_bytes += ev->bytes;
        pr_histogram_observe(&svc->transfer_secs, (double)ev->duration_ms / 1000.0);
        /* A file served moves the boot on: firmware, then the kernel. */
        if (slot)
            pr_boot_observe(svc->d, slot, pr_boot_classify_tftp(ev->path), path);
        break;
    case PR_TFTP_EV_PROBE:
        pr_daemon_packet_event(svc->d, slot, kind, "tftp", "{s:s, s:I, s:s}", "path", path, "ms",
                               (json_int_t)ev->duration_ms, "message",
                               ev->message ? ev->message : "");
        break;
    case PR_TFTP_EV_ERROR:
    case PR_TFTP_EV_TRAVERSAL:
        if (slot == 0 && !rack_refusal_allowed(svc))
            break;
        if (ev->kind == PR_TFTP_EV_TRAVERSAL)
            pr_warn("tftp: %s asked for %s outside its directory", peer, path);
        if (slot) {
            pr_daemon_packet_event(svc->d, slot, kind, "tftp", "{s:s, s:s, s:i, s:s}", "path", path,
                                   "peer", peer, "code", (int)ev->errcode, "message",
                                   ev->message ? ev->message : "");
            break;
        }
        /* "suppressed": refusals left out since the last one recorded */
        pr_daemon_packet_event(svc->d, 0, kind, "tftp", "{s:s, s:s, s:i, s:s, s:i}", "path", path,
                               "peer", peer, "code", (int)ev->errcode, "message",
                               ev->message ? ev->message : "", "suppressed",
                               (int)svc->refusals_suppressed);
        svc->refusals_suppressed = 0;
        break;
    }
}

/* One timer for every transfer: set for the earliest deadline.  A later
 * deadline than the armed one leaves it alone (an early wake-up is
 * harmless and cheaper than re-arming on every ACK). */
static void rearm(struct pr_tftp_service *svc)
{
    uint64_t next = pr_tftp_server_next_deadline(svc->srv);
    if (next >= svc->armed)
        return;
    uint64_t now = pr_now_ms();
    svc->armed = next;
    pr_timer_arm(svc->timer, next > now ? next - now : 0, 0);
}

static void on_timer(void *ctx)
{
    struct pr_tftp_service *svc = ctx;
    svc->armed = UINT64_MAX;
    pr_tftp_server_on_timer(svc->srv, pr_now_ms());
    rearm(svc);
}

static void on_readable(void *ctx, int fd, uint32_t events)
{
    struct pr_tftp_service *svc = ctx;
    (void)fd;
    (void)events;
    int rc = pr_tftp_server_on_readable(svc->srv, pr_now_ms());
    if (rc < 0)
        pr_warn("tftp: receive: %s", strerror(-rc));
    rearm(svc);
}

/* Each slot's Pi (one address) may have an eighth of the transfers, 4 to
 * 32: a Pi has two or three at once (docs/pi-boot.md sections 7-8), and
 * one that asks and never reads cannot take the others' share. */
static unsigned per_slot_share(unsigned max_transfers)
{
    unsigned share = max_transfers / 8;
    return share < 4 ? 4 : share > 32 ? 32 : share;
}

/* IPv4 only: a Pi netboots over its /30, and only a slot's .2 is served
 * (client_slot), so an IPv6 socket would answer nobody but ERROR 2.  A
 * dual-stack socket would also carry every IPv4 datagram through the
 * v4-mapped path, which costs a boot storm measurably more CPU.  IPv6
 * netboot (Pi 4, DHCPv6) is a later goal (docs/pi-boot.md section 10). */
static int new_server(struct pr_tftp_service *svc)
{
    const struct pr_config *cfg = svc->d->cfg;
    struct sockaddr_in any4 = { .sin_family = AF_INET,
                                .sin_addr.s_addr = htonl(INADDR_ANY),
                                .sin_port = htons((uint16_t)cfg->tftp_port) };
    struct pr_tftp_server_config sc = {
        .bind_addr = (struct sockaddr *)&any4,
        .bind_len = sizeof any4,
        .max_transfers = cfg->tftp_max_transfers,
        .max_per_client = per_slot_share(cfg->tftp_max_transfers),
        .timeout_ms = cfg->tftp_timeout_ms,
        .prefix = cfg->tftp_prefix,
        .resolve = resolve,
        .event = on_event,
        .ctx = svc,
    };
    return pr_tftp_server_new(&sc, &svc->srv);
}

/* ---- /metrics ---- */

static int collect_bytes(struct pr_metrics_out *out, void *ctx)
{
    const struct pr_tftp_service *svc = ctx;
    return pr_metrics_sample(out, NULL, (double)svc->sent_bytes);
}

static int collect_transfers(struct pr_metrics_out *out, void *ctx)
{
    const struct pr_tftp_service *svc = ctx;
    struct pr_tftp_stats st;
    pr_tftp_server_stats(svc->srv, &st);
    /* the server counts a timeout as an error too */
    pr_metrics_sample(out, (const char *[]){ "done" }, (double)st.done);
    pr_metrics_sample(out, (const char *[]){ "error" }, (double)(st.errors - st.timeouts));
    return pr_metrics_sample(out, (const char *[]){ "timeout" }, (double)st.timeouts);
}

static int collect_durations(struct pr_metrics_out *out, void *ctx)
{
    const struct pr_tftp_service *svc = ctx;
    return pr_metrics_sample_histogram(out, NULL, &svc->transfer_secs);
}

static int metrics_start(struct pr_tftp_service *svc)
{
    static const char *const outcome[] = { "outcome", NULL };
    static const struct {
        struct pr_metric_desc desc;
        pr_metric_collect fn;
    } families[] = {
        { { "pirack_tftp_sent_bytes_total", "Bytes of the files TFTP served to their end.",
            PR_METRIC_COUNTER, NULL },
          collect_bytes },
        { { "pirack_tftp_transfers_total", "TFTP transfers ended, by outcome.", PR_METRIC_COUNTER,
            outcome },
          collect_transfers },
        { { "pirack_tftp_transfer_seconds",
            "Seconds from a file's request to its last ACK, of the files served.",
            PR_METRIC_HISTOGRAM, NULL },
          collect_durations },
    };
    struct pr_metrics *m = pr_api_metrics(svc->d->api);
    int rc = pr_histogram_init(&svc->transfer_secs, transfer_bounds,
                               sizeof transfer_bounds / sizeof transfer_bounds[0]);
    for (size_t i = 0; rc == 0 && m && i < sizeof families / sizeof families[0]; i++)
        rc = pr_metrics_register(m, &families[i].desc, families[i].fn, svc);
    return rc;
}

/* Flat mode: a packet socket (pirack/packet.h) that keeps only IPv4 UDP
 * frames with a request to the TFTP port, read while resolving each
 * request; each frame's interface is checked as it is read. */
static int open_frames(struct pr_tftp_service *svc)
{
    const struct pr_config *cfg = svc->d->cfg;
    char expr[96];

    svc->frames_fd = -1;
    if (cfg->isolated)
        return 0;
    /* Requests only (RRQ 1, WRQ 2): transfers share the port, and their
     * ACKs would bury the requests' frames. */
    snprintf(expr, sizeof expr, "ip and udp dst port %u and (udp[8:2] = 1 or udp[8:2] = 2)",
             cfg->tftp_port);
    int fd = pr_packet_open(expr, FRAME_MAX, 4 << 20);
    if (fd < 0)
        return fd;
    svc->frames_fd = fd;
    return 0;
}

int pr_tftp_service_start(struct pr_daemon *d)
{
    struct pr_tftp_service *svc = calloc(1, sizeof *svc);
    if (!svc)
        return -ENOMEM;
    svc->d = d;
    svc->armed = UINT64_MAX;
    int rc = open_frames(svc);
    if (rc < 0) {
        pr_err("tftp: cannot open a packet socket (flat mode checks each request's MAC on %s): %s",
               d->cfg->interface, strerror(-rc));
        free(svc);
        return rc;
    }
    rc = new_server(svc);
    if (rc == 0 && !(svc->timer = pr_timer_new(d->loop, on_timer, svc)))
        rc = -ENOMEM;
    if (rc == 0)
        rc = metrics_start(svc);
    if (rc == 0)
        rc = pr_loop_add_fd(d->loop, pr_tftp_server_fd(svc->srv), EPOLLIN, on_readable, svc);
    if (rc < 0) {
        if (d->api)
            pr_metrics_unregister_ctx(pr_api_metrics(d->api), svc);
        pr_timer_free(svc->timer);
        pr_tftp_server_free(svc->srv);
        if (svc->frames_fd >= 0)
            close(svc->frames_fd);
        free(svc);
        return rc;
    }
    d->tftp = svc;
    pr_info("tftp: serving %s on port %u", d->cfg->boot_dir, d->cfg->tftp_port);
    return 0;
}

void pr_tftp_service_stop(struct pr_daemon *d)
{
    struct pr_tftp_service *svc = d->tftp;
    if (!svc)
        return;
    pr_loop_del_fd(d->loop, pr_tftp_server_fd(svc->srv));
    if (d->api)
        pr_metrics_unregister_ctx(pr_api_metrics(d->api), svc);
    pr_timer_free(svc->timer);
    pr_tftp_server_free(svc->srv);
    if (svc->frames_fd >= 0)
        close(svc->frames_fd);
    free(svc);
    d->tftp = NULL;
}
