/* pisim: one Pi, from power-on to a booted OS or a failure.
 *
 *   off -> powering -> dhcp (ROM) -> tftp (ROM: bootcode.bin, bootsig.bin)
 *       -> dhcp (bootcode.bin, Pi 3 only) -> tftp (firmware's files)
 *       -> kernel [-> nfsroot, with --nfs-root] -> dhcp (the OS) -> booted
 * Any step may end in failed, which lasts until the power is cycled.
 *
 * DHCP rules per client (docs/pi-boot.md sections 3 to 5, 9 and 10): the
 * 3B ROM and bootcode.bin send DISCOVERs only, with the constant xid,
 * accept the first OFFER whose option 43 they like (for any chaddr), and
 * take the TFTP server from the OFFER's source address (or option 66 as a
 * dotted quad, last one wins).
 * The 3B+ ROM, the Pi 4 bootloader and the OS do DISCOVER, OFFER, REQUEST,
 * ACK; the Pi 4 takes the TFTP server from siaddr. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "pisim.h"

#define ROM_DISCOVERS 5
#define ROM_INTERVAL_MS 5000      /* doc: five DISCOVERs 5 s apart */
#define PI4_REQ_TIMEOUT_MS 4000   /* EEPROM DHCP_REQ_TIMEOUT default */
#define PI4_DHCP_TIMEOUT_MS 45000 /* EEPROM DHCP_TIMEOUT default */
#define OS_INTERVAL_MS 4000       /* dhcpcd's first retransmission */
#define OS_DHCP_TIMEOUT_MS 30000  /* dhcpcd's default timeout */
/* The 3B ROM that stalls on its OFFER until another frame arrives about a
 * second later (docs/pi-boot.md section 5): a frame that comes once its
 * 1 s transaction timeout has passed wakes it; it gives up when no frame
 * came for STALL_GIVE_UP_MS.  "About a second" allows a
 * server's repeat some slack: with a give-up of exactly 1 s a repeat sent
 * 1 s after a prompt OFFER raced the ROM's timer to the millisecond.
 * Hardware timing: --fast leaves both. */
#define STALL_WAKE_MS 1000
#define STALL_GIVE_UP_MS 1500

const char *pi_model_name(enum pi_model m)
{
    switch (m) {
    case PI_3B:
        return "3b";
    case PI_3BPLUS:
        return "3b+";
    case PI_4:
        return "4";
    }
    return "?";
}

int pi_model_parse(const char *s, enum pi_model *out)
{
    if (strcmp(s, "3b") == 0)
        *out = PI_3B;
    else if (strcmp(s, "3b+") == 0 || strcmp(s, "3bplus") == 0)
        *out = PI_3BPLUS;
    else if (strcmp(s, "4") == 0 || strcmp(s, "4b") == 0)
        *out = PI_4;
    else
        return -EINVAL;
    return 0;
}

const char *pi_phase_name(enum pi_phase p)
{
    switch (p) {
    case PH_OFF:
        return "off";
    case PH_POWERING:
        return "powering";
    case PH_DHCP:
        return "dhcp";
    case PH_TFTP:
        return "tftp";
    case PH_KERNEL:
        return "kernel";
    case PH_NFSROOT:
        return "nfsroot";
    case PH_BOOTED:
        return "booted";
    case PH_FAILED:
        return "failed";
    }
    return "?";
}

bool pi_done(const struct pi *pi)
{
    return pi->phase == PH_BOOTED || pi->phase == PH_FAILED;
}

void pi_init(struct pi *pi, struct pisim *sim, unsigned index, const char *ifname,
             enum pi_model model, uint32_t serial)
{
    static const uint8_t oui_pi3[3] = { 0xb8, 0x27, 0xeb }, oui_pi4[3] = { 0xdc, 0xa6, 0x32 };
    memset(pi, 0, sizeof *pi);
    pi->health_fd = -1;
    pi->sim = sim;
    pi->index = index;
    snprintf(pi->ifname, sizeof pi->ifname, "%s", ifname);
    pi->model = model;
    pi->serial = serial;
    pi->revision = 0x00c03114; /* Pi 4B 4 GB rev 1.4 */
    memcpy(pi->mac, model == PI_4 ? oui_pi4 : oui_pi3, 3);
    pi->mac[3] = (uint8_t)(serial >> 16);
    pi->mac[4] = (uint8_t)(serial >> 8);
    pi->mac[5] = (uint8_t)serial;
    pi->port = sim->opt.port_base + index - 1;
    pi->raw_fd = -1;
    pi->nfs_fd = -1;
    xfer_reset(&pi->xfer);
    pi->events = json_array();
}

void pi_free(struct pi *pi)
{
    health_down(pi);
    xfer_close(pi);
    xfer_reset(&pi->xfer);
    pi_nfs_stop(pi);
    if (pi->raw_fd >= 0) {
        pisim_unwatch(pi->sim, pi->raw_fd);
        net_raw_close(pi->raw_fd);
        pi->raw_fd = -1;
    }
    free(pi->cmdline);
    pi->cmdline = NULL;
    json_decref(pi->events);
    pi->events = NULL;
}

static void close_raw(struct pi *pi)
{
    if (pi->raw_fd >= 0) {
        pisim_unwatch(pi->sim, pi->raw_fd);
        net_raw_close(pi->raw_fd);
        pi->raw_fd = -1;
    }
}

/* Everything a power cut or a failure ends: sockets, the transfer. */
static void stop_activity(struct pi *pi)
{
    close_raw(pi);
    xfer_close(pi);
    xfer_reset(&pi->xfer);
    pi_nfs_stop(pi);
    pi->deadline_ms = 0;
}

void pi_fail(struct pi *pi, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pi->fail_reason, sizeof pi->fail_reason, fmt, ap);
    va_end(ap);
    stop_activity(pi);
    net_addr_clear(pi->sim, pi);
    pi->phase = PH_FAILED;
    pi->failed_ms = pisim_now_ms();
    report_event(pi, "failed", "{s:s}", "reason", pi->fail_reason);
}

void pi_power(struct pi *pi, bool on)
{
    struct pisim *sim = pi->sim;
    uint64_t now = pisim_now_ms();
    if (on == pi->powered)
        return;
    pi->powered = on;
    if (!on) {
        report_event(pi, "power_off", "{s:s}", "phase", pi_phase_name(pi->phase));
        stop_activity(pi);
        health_down(pi);
        net_addr_clear(sim, pi);
        (void)net_link_up(sim, pi, false);
        pi->phase = PH_OFF;
        fault_swap_try(sim);
        return;
    }
    pi->boots++;
    pi->generation++;
    pi->fail_reason[0] = '\0';
    pi->booted_ms = pi->failed_ms = 0;
    pi->power_on_ms = now;
    pi->rom_done = false;
    memset(&pi->dhcp, 0, sizeof pi->dhcp);
    memset(&pi->script, 0, sizeof pi->script);
    pi->tftp_server.s_addr = 0;
    report_event(pi, "power_on", "{s:I}", "boot", (json_int_t)pi->boots);
    int rc = net_link_up(sim, pi, true);
    if (rc < 0) {
        pi_fail(pi, "cannot bring %s up: %s", pi->ifname, strerror(-rc));
        return;
    }
    pi->phase = PH_POWERING;
    pi->deadline_ms = now + pisim_scale(sim, sim->opt.power_up_ms);
}

static uint32_t random_xid(struct pi *pi)
{
    uint64_t x = pisim_now_ms() ^ ((uint64_t)pi->serial << 20) ^ pi->generation;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return (uint32_t)x ^ (uint32_t)(x >> 32);
}

static bool client_requests(enum dhcp_client c)
{
    return c == DC_ROM_3BPLUS || c == DC_PI4 || c == DC_OS;
}

static void send_dhcp(struct pi *pi, int msg_type)
{
    uint8_t frame[1024];
    size_t len = dhcp_build(frame, sizeof frame, pi, msg_type);
    struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_ifindex = pi->ifindex, .sll_halen = 6 };
    memset(to.sll_addr, 0xff, 6);
    if (len == 0 || sendto(pi->raw_fd, frame, len, 0, (struct sockaddr *)&to, sizeof to) < 0)
        report_event(pi, "send_error", "{s:s}", "error", len ? strerror(errno) : "frame too big");
}

static unsigned attempt_ms(const struct pi *pi)
{
    switch (pi->dhcp.client) {
    case DC_PI4:
        return PI4_REQ_TIMEOUT_MS;
    case DC_OS:
        return OS_INTERVAL_MS;
    default:
        return ROM_INTERVAL_MS;
    }
}

static void send_discover(struct pi *pi)
{
    struct dhcp_state *d = &pi->dhcp;
    uint64_t now = pisim_now_ms();
    char xid[12];
    d->attempts++;
    d->attempt_ms = now;
    d->requesting = false;
    d->stalled = false;
    send_dhcp(pi, 1);
    snprintf(xid, sizeof xid, "0x%08x", d->xid);
    report_event(pi, "dhcp_discover", "{s:s,s:s,s:I}", "client", dhcp_client_name(d->client), "xid",
                 xid, "attempt", (json_int_t)d->attempts);
    pi->deadline_ms = now + pisim_scale(pi->sim, attempt_ms(pi));
}

void pi_start_dhcp(struct pi *pi, enum dhcp_client c)
{
    struct dhcp_state *d = &pi->dhcp;
    memset(d, 0, sizeof *d);
    d->client = c;
    d->xid = (c == DC_PI4 || c == DC_OS) ? random_xid(pi) : PISIM_ROM_XID;
    /* bootcode.bin and the OS start with a fresh network stack. */
    net_addr_clear(pi->sim, pi);
    close_raw(pi);
    int fd = net_raw_open(pi, c == DC_ROM_3B && pi->sim->opt.pi3b_stall);
    if (fd < 0) {
        pi_fail(pi, "packet socket on %s: %s", pi->ifname, strerror(-fd));
        return;
    }
    pi->raw_fd = fd;
    if (pisim_watch(pi->sim, fd, pi, TAG_RAW) < 0) {
        pi_fail(pi, "epoll: %s", strerror(errno));
        return;
    }
    pi->phase = PH_DHCP;
    d->started_ms = pisim_now_ms();
    send_discover(pi);
}

static unsigned mask_len(struct in_addr m)
{
    return (unsigned)__builtin_popcount(m.s_addr);
}

static bool same_subnet(struct in_addr a, struct in_addr b, struct in_addr mask)
{
    return ((a.s_addr ^ b.s_addr) & mask.s_addr) == 0;
}

/* The exchange is over: put the address on the NIC and go on. */
static void dhcp_done(struct pi *pi)
{
    struct dhcp_state *d = &pi->dhcp;
    struct in_addr peer = { 0 };
    unsigned plen = 32;
    char a[INET_ADDRSTRLEN];
    close_raw(pi);
    if (d->has_mask && mask_len(d->mask) >= 8)
        plen = mask_len(d->mask);
    if (d->client != DC_OS && (!d->has_mask || !same_subnet(d->offered, d->tftp_server, d->mask)))
        peer = d->tftp_server;
    int rc = net_addr_set(pi->sim, pi, d->offered, plen, peer);
    if (rc < 0) {
        inet_ntop(AF_INET, &d->offered, a, sizeof a);
        pi_fail(pi, "cannot add %s to %s: %s", a, pi->ifname, strerror(-rc));
        return;
    }
    switch (d->client) {
    case DC_ROM_3B:
    case DC_ROM_3BPLUS:
        pi->tftp_server = d->tftp_server;
        script_start(pi, ST_ROM);
        break;
    case DC_BOOTCODE:
        pi->tftp_server = d->tftp_server;
        script_start(pi, ST_FW3);
        break;
    case DC_PI4:
        if (d->tftp_server.s_addr == 0) {
            pi_fail(pi, "Pi 4 bootloader: the OFFER's siaddr is 0 and TFTP_IP is unset");
            return;
        }
        pi->tftp_server = d->tftp_server;
        script_start(pi, ST_FW4);
        break;
    case DC_OS:
        if (pi->phase == PH_BOOTED)
            break; /* a renewal */
        pi->phase = PH_BOOTED;
        pi->booted_ms = pisim_now_ms();
        pi->deadline_ms = 0;
        report_event(pi, "os_dhcp_ack", "{s:s}", "address",
                     inet_ntop(AF_INET, &d->offered, a, sizeof a));
        report_event(pi, "booted", "{s:I}", "boot_ms",
                     (json_int_t)(pi->booted_ms - pi->power_on_ms));
        health_booted(pi);
        break;
    }
}

static void take_offer(struct pi *pi, const struct dhcp_reply *r)
{
    struct dhcp_state *d = &pi->dhcp;
    char yi[INET_ADDRSTRLEN], src[INET_ADDRSTRLEN], flags[8];
    d->offered = r->yiaddr;
    d->server_id = r->has_server_id ? r->server_id : r->ip_src;
    d->siaddr = r->siaddr;
    d->has_mask = r->has_mask;
    d->mask = r->mask;
    d->router = r->router;
    if (d->client == DC_PI4) {
        d->tftp_server = r->siaddr;
    } else {
        d->tftp_server = r->ip_src;
        if (r->has_tftp66 && r->tftp66_after_43)
            d->tftp_server = r->tftp66;
    }
    snprintf(flags, sizeof flags, "0x%04x", r->flags);
    report_event(pi, "dhcp_offer", "{s:s,s:s,s:s,s:s}", "client", dhcp_client_name(d->client),
                 "yiaddr", inet_ntop(AF_INET, &r->yiaddr, yi, sizeof yi), "from",
                 inet_ntop(AF_INET, &r->ip_src, src, sizeof src), "flags", flags);
}

static bool offer_acceptable(struct pi *pi, const struct dhcp_reply *r)
{
    struct dhcp_state *d = &pi->dhcp;
    char why[160];
    if (r->msg_type != 2)
        return false;
    bool ok;
    if (r->yiaddr.s_addr == 0) {
        snprintf(why, sizeof why, "OFFER without yiaddr");
        ok = false;
    } else {
        /* The OS takes any OFFER; the firmware needs the PXE menu. */
        ok = d->client == DC_OS ||
             dhcp_menu_ok(d->client, r->has_opt43 ? r->opt43 : NULL, r->opt43_len, why, sizeof why);
    }
    if (ok)
        return true;
    snprintf(d->last_ignored, sizeof d->last_ignored, "%s", why);
    report_event(pi, "dhcp_offer_ignored", "{s:s,s:s}", "client", dhcp_client_name(d->client),
                 "reason", why);
    return false;
}

static void handle_reply(struct pi *pi, const struct dhcp_reply *r, uint64_t now)
{
    struct dhcp_state *d = &pi->dhcp;
    bool rom = d->client == DC_ROM_3B || d->client == DC_BOOTCODE;
    if (r->xid != d->xid)
        return;
    /* The ROM takes an OFFER for any chaddr (seen); the others check. */
    if (!rom && memcmp(r->chaddr, pi->mac, 6) != 0)
        return;
    if (d->requesting) {
        if (r->msg_type == 5 && r->yiaddr.s_addr == d->offered.s_addr) {
            if (r->has_mask) {
                d->has_mask = true;
                d->mask = r->mask;
            }
            report_event(pi, "dhcp_ack", "{s:s}", "client", dhcp_client_name(d->client));
            dhcp_done(pi);
        } else if (r->msg_type == 6) {
            report_event(pi, "dhcp_nak", "{s:s}", "client", dhcp_client_name(d->client));
            d->requesting = false; /* start over at the next attempt */
        }
        return;
    }
    if (d->stalled || !offer_acceptable(pi, r))
        return;
    take_offer(pi, r);
    if (client_requests(d->client)) {
        d->requesting = true;
        send_dhcp(pi, 3);
        report_event(pi, "dhcp_request", "{s:s}", "client", dhcp_client_name(d->client));
        return;
    }
    if (d->client == DC_ROM_3B && pi->sim->opt.pi3b_stall) {
        d->stalled = true; /* the buggy ROM sits on it */
        d->stall_last_ms = now;
        pi->deadline_ms = now + STALL_GIVE_UP_MS;
        return;
    }
    dhcp_done(pi);
}

/* --pi3b-stall: any frame after the transaction timeout completes the
 * stalled exchange; an earlier one keeps the receive timeout alive. */
static bool stall_frame(struct pi *pi, const uint8_t *frame, size_t len, uint64_t now)
{
    struct dhcp_state *d = &pi->dhcp;
    char type[8];
    if (!d->stalled)
        return false;
    if (now >= d->attempt_ms + STALL_WAKE_MS) {
        snprintf(type, sizeof type, "0x%02x%02x", len >= 14 ? frame[12] : 0,
                 len >= 14 ? frame[13] : 0);
        report_event(pi, "dhcp_rom_woken", "{s:s}", "ethertype", type);
        dhcp_done(pi);
        return true;
    }
    d->stall_last_ms = now;
    return false;
}

void pi_on_raw(struct pi *pi)
{
    uint8_t frame[2048];
    unsigned gen = pi->generation;
    for (int i = 0; i < 64 && pi->raw_fd >= 0 && gen == pi->generation; i++) {
        struct sockaddr_ll from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(pi->raw_fd, frame, sizeof frame, 0, (struct sockaddr *)&from, &fl);
        if (n < 0)
            return;
        /* A veth hands its peer every frame; a Pi's NIC filters by MAC:
         * only frames to it and broadcasts get in.  The firmware joins no
         * multicast group, so the host's IPv6 chatter (MLD reports, DAD,
         * router solicitations and advertisements) never reaches it. */
        if (from.sll_pkttype == PACKET_OUTGOING || from.sll_pkttype == PACKET_OTHERHOST ||
            from.sll_pkttype == PACKET_MULTICAST)
            continue;
        uint64_t now = pisim_now_ms();
        bool was_stalled = pi->dhcp.stalled;
        if (stall_frame(pi, frame, (size_t)n, now))
            return;
        struct dhcp_reply r;
        if (dhcp_parse_frame(frame, (size_t)n, &r) == 0 && !was_stalled)
            handle_reply(pi, &r, now);
    }
}

static unsigned dhcp_total_ms(const struct pi *pi)
{
    switch (pi->dhcp.client) {
    case DC_PI4:
        return PI4_DHCP_TIMEOUT_MS;
    case DC_OS:
        return OS_DHCP_TIMEOUT_MS;
    default:
        return ROM_DISCOVERS * ROM_INTERVAL_MS;
    }
}

static void dhcp_give_up(struct pi *pi)
{
    struct dhcp_state *d = &pi->dhcp;
    const char *last = d->last_ignored[0] ? d->last_ignored : "no OFFER at all";
    switch (d->client) {
    case DC_ROM_3B:
    case DC_ROM_3BPLUS:
        pi_fail(pi, "ROM asleep until power-cycled: no usable OFFER after %u DISCOVERs (%s)",
                d->attempts, last);
        break;
    case DC_BOOTCODE:
        pi_fail(pi, "bootcode.bin: no usable OFFER after %u DISCOVERs (%s)", d->attempts, last);
        break;
    case DC_PI4:
        pi_fail(pi, "Pi 4 bootloader: DHCP_TIMEOUT after %u DISCOVERs (%s)", d->attempts, last);
        break;
    case DC_OS:
        pi_fail(pi, "OS: no DHCP lease after %u DISCOVERs (%s)", d->attempts, last);
        break;
    }
}

static void dhcp_timer(struct pi *pi, uint64_t now)
{
    struct dhcp_state *d = &pi->dhcp;
    if (d->stalled && now >= d->stall_last_ms + STALL_GIVE_UP_MS) {
        d->stalled = false;
        report_event(pi, "dhcp_rom_stalled", NULL);
        snprintf(d->last_ignored, sizeof d->last_ignored,
                 "3B ROM stalled on its OFFER: no packet came after it");
    }
    uint64_t next = d->attempt_ms + pisim_scale(pi->sim, attempt_ms(pi));
    if (d->stalled) {
        pi->deadline_ms = d->stall_last_ms + STALL_GIVE_UP_MS;
        return;
    }
    if (now < next) {
        pi->deadline_ms = next;
        return;
    }
    bool more = pi->dhcp.client == DC_ROM_3B || pi->dhcp.client == DC_ROM_3BPLUS ||
                        pi->dhcp.client == DC_BOOTCODE
                    ? d->attempts < ROM_DISCOVERS
                    : now < d->started_ms + pisim_scale(pi->sim, dhcp_total_ms(pi));
    if (more)
        send_discover(pi);
    else
        dhcp_give_up(pi);
}

/* Reads what waits on the transfer's socket, each datagram at the time it
 * reached the Pi; true when the transfer ended (the next may have begun). */
static bool udp_read(struct pi *pi, unsigned max)
{
    uint8_t pkt[66000];
    unsigned gen = pi->generation;
    for (unsigned i = 0; i < max && pi->xfer.fd >= 0 && gen == pi->generation; i++) {
        struct sockaddr_in from;
        uint64_t arrived_ms;
        ssize_t n = net_recv_stamped(pi->xfer.fd, pkt, sizeof pkt, &from, &arrived_ms);
        if (n < 0)
            return false;
        if (xfer_input(pi, pkt, (size_t)n, &from, arrived_ms)) {
            xfer_close(pi);
            script_file_done(pi);
            return true;
        }
    }
    return false;
}

void pi_on_udp(struct pi *pi)
{
    (void)udp_read(pi, 16);
}

void pi_kernel_loaded(struct pi *pi)
{
    enum pi_fault f = pi_fault_now(pi);
    struct in_addr server = pi->tftp_server;
    /* root-fails: the kernel still has its address when it reaches for
     * its root */
    if (f == FAULT_ROOT_FAILS)
        fault_nfs_syn(pi, server);
    /* The kernel starts with a fresh NIC: the firmware's address is gone. */
    net_addr_clear(pi->sim, pi);
    pi->phase = PH_KERNEL;
    pi->deadline_ms = pisim_now_ms() + pisim_scale(pi->sim, pi->sim->opt.kernel_boot_ms);
    if (f == FAULT_STOP_AFTER_TFTP || f == FAULT_ROOT_FAILS)
        fault_stall(pi, f);
}

uint64_t pi_deadline(const struct pi *pi)
{
    if (pi->phase == PH_TFTP && pi->xfer.fd >= 0) {
        uint64_t t = pi->xfer.deadline_ms;
        if (pi->xfer.timing.file_ms && pi->xfer.started_ms + pi->xfer.timing.file_ms < t)
            t = pi->xfer.started_ms + pi->xfer.timing.file_ms;
        return t;
    }
    return pi->deadline_ms;
}

void pi_on_timer(struct pi *pi, uint64_t now)
{
    switch (pi->phase) {
    case PH_POWERING:
        pi->deadline_ms = 0;
        if (pi_fault_now(pi) == FAULT_NO_DHCP) {
            fault_stall(pi, FAULT_NO_DHCP);
            break;
        }
        pi_start_dhcp(pi, pi->model == PI_3B       ? DC_ROM_3B
                          : pi->model == PI_3BPLUS ? DC_ROM_3BPLUS
                                                   : DC_PI4);
        break;
    case PH_DHCP:
        /* A frame that came before the deadline counts, however late this
         * one thread for every Pi reads it. */
        pi_on_raw(pi);
        if (pi->phase == PH_DHCP)
            dhcp_timer(pi, now);
        break;
    case PH_TFTP:
        /* An answer that came before the deadline counts, however late
         * this one thread for every Pi reads it. */
        if (udp_read(pi, 64) || pi->phase != PH_TFTP)
            break;
        if (xfer_timer(pi, now)) {
            xfer_close(pi);
            script_file_done(pi);
        }
        break;
    case PH_KERNEL:
        pi->deadline_ms = 0;
        if (pi->sim->opt.nfs_root)
            pi_nfs_start(pi);
        else
            pi_start_dhcp(pi, DC_OS);
        break;
    case PH_NFSROOT:
        pi_on_nfs(pi);
        if (pi->phase == PH_NFSROOT)
            pi_nfs_timeout(pi);
        break;
    case PH_BOOTED:
        health_hang(pi);
        break;
    default:
        pi->deadline_ms = 0;
        break;
    }
}
