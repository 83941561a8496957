/* dhcp_probe: sends one DHCP packet as a given client would (a Pi's ROM,
 * or a malformed one) as a raw Ethernet frame, then prints every DHCP
 * reply that comes back within the wait, one line each:
 *
 *   reply t_ms=1002 type=offer xid=26f30339 dst_mac=.. dst_ip=10.99.0.2
 *         yiaddr=10.99.0.2 flags=0000 csum=ok opt43=0601... opt97=00...
 *
 * Frames whose IP or UDP checksum is wrong print "badframe".  The Pi 3
 * kinds go out with UDP checksum 0, as the ROM sends them.  Used by
 * tests/integration/dhcp_rom.sh.
 *
 *   dhcp_probe -i IFACE -k KIND [-m MAC] [-s SRC_MAC] [-w WAIT_MS] [-c COUNT] [-r]
 *   (-c sends the packet COUNT times back to back, at most 100000; -r
 *   gives each one a random MAC with the Pi's OUI, as a flood would; -s
 *   sends the frame from SRC_MAC while the packet names MAC, as a host
 *   speaking for another board would)
 *   KIND: pi3b pi3bplus pi4 truncated badlen wrongop hlen */
#include <errno.h>
#include <stdbool.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/socket.h>

#include "pirack/dhcp.h"
#include "pirack/log.h"
#include "pirack/frame.h"
#include "tests/unit/dhcp_packets.h"

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int build(const char *kind, const uint8_t mac[6], struct tpkt *p)
{
    if (!strcmp(kind, "pi3b") || !strcmp(kind, "truncated") || !strcmp(kind, "badlen") ||
        !strcmp(kind, "wrongop") || !strcmp(kind, "hlen")) {
        tp_pi3b_discover(p, mac);
        if (!strcmp(kind, "truncated"))
            p->n = 200;
        if (!strcmp(kind, "badlen"))
            p->b[241] = 2; /* option 53 with length 2 */
        if (!strcmp(kind, "wrongop"))
            p->b[0] = 2;
        if (!strcmp(kind, "hlen"))
            p->b[2] = 16;
        return 0;
    }
    if (!strcmp(kind, "pi3bplus")) {
        tp_pi3bplus_discover(p, mac, 0x1234abcd);
        return 0;
    }
    if (!strcmp(kind, "pi4")) {
        tp_pi4(p, PR_DHCPDISCOVER, 0x5a5a0001, mac, 0xdeadbeef, 0, 0);
        return 0;
    }
    return -EINVAL;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", p[i]);
    out[2 * n] = '\0';
}

static void print_reply(const uint8_t *frame, size_t len, uint64_t t0)
{
    struct pr_udp4_addrs a;
    const uint8_t *pl;
    size_t plen;
    if (len < PR_UDP4_FRAME_OVERHEAD || frame[12] != 8 || frame[13] != 0)
        return;
    if (frame[14 + 9] != IPPROTO_UDP)
        return;
    if (pr_udp4_parse(frame, len, &a, &pl, &plen) < 0) {
        printf("badframe\n");
        return;
    }
    if (a.dport != PR_DHCP_CLIENT_PORT)
        return;
    struct pr_dhcp_msg m;
    if (pr_dhcp_decode(pl, plen, &m, NULL) < 0 || m.op != PR_BOOTREPLY)
        return;
    char mac[18], dst[INET_ADDRSTRLEN], yi[INET_ADDRSTRLEN], o43[520] = "-", o97[520] = "-";
    size_t n;
    const uint8_t *v = pr_dhcp_opt_get(&m, PR_OPT_VENDOR_SPECIFIC, &n);
    if (v)
        hex(v, n, o43);
    v = pr_dhcp_opt_get(&m, PR_OPT_CLIENT_UUID, &n);
    if (v)
        hex(v, n, o97);
    printf("reply t_ms=%llu type=%s xid=%08x dst_mac=%s dst_ip=%s yiaddr=%s flags=%04x "
           "csum=ok len=%zu opt43=%s opt97=%s\n",
           (unsigned long long)(now_ms() - t0), pr_dhcp_type_name(m.type), m.xid,
           pr_mac_format(a.dst_mac, mac), inet_ntop(AF_INET, &a.dst, dst, sizeof dst),
           inet_ntop(AF_INET, &m.yiaddr, yi, sizeof yi), m.flags, plen, o43, o97);
    fflush(stdout);
}

/* The frame source when it is not the board's own (-s). */
static uint8_t src_override[6];
static bool has_src_override;

/* The frame a client with this MAC sends: as the ROM sends it, from
 * 0.0.0.0:68 to 255.255.255.255:67, TTL 128.  -1 for an unknown kind. */
static int make_frame(const char *kind, const uint8_t mac[6], uint8_t *frame, size_t cap)
{
    struct tpkt p;
    if (build(kind, mac, &p) < 0)
        return -1;
    struct pr_udp4_addrs a = { .sport = 68, .dport = 67, .ttl = 128 };
    memcpy(a.src_mac, has_src_override ? src_override : mac, 6);
    memset(a.dst_mac, 0xff, 6);
    a.dst.s_addr = INADDR_BROADCAST;
    int n = pr_udp4_frame(frame, cap, &a, p.b, p.n);
    /* the Pi 3 ROM sends no UDP checksum (0): so do we for its packets */
    if (n > 0 && strcmp(kind, "pi4") != 0) {
        frame[PR_ETH_HLEN + PR_IP4_HLEN + 6] = 0;
        frame[PR_ETH_HLEN + PR_IP4_HLEN + 7] = 0;
    }
    return n;
}

int main(int argc, char **argv)
{
    const char *ifname = NULL, *kind = NULL;
    uint8_t mac[6] = { 0xb8, 0x27, 0xeb, 0x00, 0x00, 0x01 };
    unsigned wait_ms = 2500, count = 1;
    bool random_mac = false;
    int c;
    while ((c = getopt(argc, argv, "i:k:m:s:w:c:r")) != -1) {
        if (c == 'r')
            random_mac = true;
        else if (c == 'i')
            ifname = optarg;
        else if (c == 'c')
            count = (unsigned)atoi(optarg);
        else if (c == 'k')
            kind = optarg;
        else if (c == 'w')
            wait_ms = (unsigned)atoi(optarg);
        else if (c == 'm' && sscanf(optarg, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1],
                                    &mac[2], &mac[3], &mac[4], &mac[5]) == 6)
            continue;
        else if (c == 's' && sscanf(optarg, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &src_override[0],
                                    &src_override[1], &src_override[2], &src_override[3],
                                    &src_override[4], &src_override[5]) == 6)
            has_src_override = true;
        else {
            fprintf(
                stderr,
                "usage: dhcp_probe -i IFACE -k KIND [-m MAC] [-s SRC_MAC] [-w MS] [-c N] [-r]\n");
            return 2;
        }
    }
    struct tpkt p;
    if (!ifname || !kind || build(kind, mac, &p) < 0 || count < 1 || count > 100000) {
        fprintf(stderr, "dhcp_probe: need -i IFACE and a known -k KIND\n");
        return 2;
    }
    int ifindex = (int)if_nametoindex(ifname);
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_IP));
    if (ifindex == 0 || fd < 0) {
        perror("dhcp_probe");
        return 1;
    }
    struct sockaddr_ll ll = { .sll_family = AF_PACKET,
                              .sll_protocol = htons(ETH_P_IP),
                              .sll_ifindex = ifindex,
                              .sll_halen = 6 };
    if (bind(fd, (struct sockaddr *)&ll, sizeof ll) < 0) {
        perror("dhcp_probe: bind");
        return 1;
    }

    uint8_t frame[2048];
    int n = make_frame(kind, mac, frame, sizeof frame);
    memset(ll.sll_addr, 0xff, 6);
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    for (unsigned i = 0; i < count; i++) {
        if (random_mac) {
            for (int b = 3; b < 6; b++)
                mac[b] = (uint8_t)rand();
            n = make_frame(kind, mac, frame, sizeof frame);
        }
        if (n < 0 || sendto(fd, frame, (size_t)n, 0, (struct sockaddr *)&ll, sizeof ll) != n) {
            if (errno == ENOBUFS) {
                usleep(1000);
                i--;
                continue;
            } /* the queue is full */
            perror("dhcp_probe: send");
            return 1;
        }
    }
    uint64_t t0 = now_ms();
    for (;;) {
        uint64_t el = now_ms() - t0;
        if (el >= wait_ms)
            break;
        struct pollfd pfd = { fd, POLLIN, 0 };
        if (poll(&pfd, 1, (int)(wait_ms - el)) <= 0)
            continue;
        uint8_t buf[2048];
        struct sockaddr_ll from;
        socklen_t fl = sizeof from;
        ssize_t got = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
        if (got > 0 && from.sll_pkttype != PACKET_OUTGOING)
            print_reply(buf, (size_t)got, t0);
    }
    close(fd);
    return 0;
}
