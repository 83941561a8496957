/* Hand-built Ethernet/IPv4/UDP frames (the raw OFFER path) and the boot
 * packet capture: ring limits, pcap output, classification. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <cmocka.h>

#include "daemon/boot/capture_internal.h"
#include "pirack/frame.h"
#include "daemon/dhcp/dhcp_internal.h"

static void checksum_known_vector(void **state)
{
    (void)state;
    /* the classic IPv4 header example: its checksum is 0xb861 */
    static const uint8_t hdr[20] = { 0x45, 0, 0,    0x73, 0, 0, 0x40, 0,    0x40, 0x11,
                                     0,    0, 0xc0, 0xa8, 0, 1, 0xc0, 0xa8, 0,    0xc7 };
    assert_int_equal((uint16_t)~pr_csum_fold(pr_csum_add(0, hdr, sizeof hdr)), 0xb861);
}

static void frame_round_trip(void **state)
{
    (void)state;
    struct pr_udp4_addrs a = {
        .src_mac = { 2, 0, 0, 0, 0, 1 },
        .dst_mac = { 0xb8, 0x27, 0xeb, 1, 2, 3 },
        .sport = 67,
        .dport = 68,
        .ttl = 64,
    };
    a.src.s_addr = inet_addr("10.0.0.1");
    a.dst.s_addr = inet_addr("10.0.0.2");
    uint8_t payload[301], frame[400];
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)(i * 7);
    int n = pr_udp4_frame(frame, sizeof frame, &a, payload, sizeof payload);
    assert_int_equal(n, 14 + 20 + 8 + 301);
    assert_memory_equal(frame, a.dst_mac, 6);
    assert_int_equal(frame[12], 0x08);
    assert_int_equal(frame[14], 0x45);
    assert_int_equal(frame[14 + 8], 64);
    struct pr_udp4_addrs b;
    const uint8_t *pl;
    size_t plen;
    assert_int_equal(pr_udp4_parse(frame, (size_t)n, &b, &pl, &plen), 0);
    assert_int_equal(plen, sizeof payload);
    assert_memory_equal(pl, payload, plen);
    assert_int_equal(b.sport, 67);
    assert_int_equal(b.dport, 68);
    assert_int_equal(b.dst.s_addr, a.dst.s_addr);
    /* one flipped payload bit breaks the UDP checksum, one header bit the IP one */
    frame[n - 1] ^= 1;
    assert_int_equal(pr_udp4_parse(frame, (size_t)n, &b, &pl, &plen), -EBADMSG);
    frame[n - 1] ^= 1;
    frame[14 + 8] ^= 1;
    assert_int_equal(pr_udp4_parse(frame, (size_t)n, &b, &pl, &plen), -EBADMSG);
    assert_int_equal(pr_udp4_frame(frame, 100, &a, payload, sizeof payload), -EMSGSIZE);
}

/* Flat mode's MAC check finds a datagram's frame by its bytes. */
static void frame_carries_datagram(void **state)
{
    (void)state;
    struct pr_udp4_addrs a = { .src_mac = { 2, 0, 0, 0, 0, 0x99 }, .sport = 68, .dport = 67 };
    memset(a.dst_mac, 0xff, 6);
    a.dst.s_addr = INADDR_BROADCAST;
    uint8_t dgram[300], frame[400], mac[6] = { 0 };
    for (size_t i = 0; i < sizeof dgram; i++)
        dgram[i] = (uint8_t)(i * 13);
    int n = pr_udp4_frame(frame, sizeof frame, &a, dgram, sizeof dgram);
    assert_true(n > 0);
    assert_true(pr_udp4_frame_carries(frame, (size_t)n, 67, dgram, sizeof dgram, mac));
    assert_memory_equal(mac, a.src_mac, 6);
    /* a checksum left to offload (here: zeroed) does not matter */
    frame[14 + 20 + 6] = frame[14 + 20 + 7] = 0;
    assert_true(pr_udp4_frame_carries(frame, (size_t)n, 67, dgram, sizeof dgram, mac));
    /* another datagram, port, a shorter one, a cut frame: not this one */
    dgram[299] ^= 1;
    assert_false(pr_udp4_frame_carries(frame, (size_t)n, 67, dgram, sizeof dgram, mac));
    dgram[299] ^= 1;
    assert_false(pr_udp4_frame_carries(frame, (size_t)n, 69, dgram, sizeof dgram, mac));
    assert_false(pr_udp4_frame_carries(frame, (size_t)n, 67, dgram, sizeof dgram - 1, mac));
    assert_false(pr_udp4_frame_carries(frame, (size_t)n - 1, 67, dgram, sizeof dgram, mac));
    assert_false(pr_udp4_frame_carries(frame, 20, 67, dgram, 0, mac));
    /* not IPv4, or an IPv4 fragment */
    frame[12] = 0x86;
    assert_false(pr_udp4_frame_carries(frame, (size_t)n, 67, dgram, sizeof dgram, mac));
    frame[12] = 0x08;
    frame[14 + 6] |= 0x20;
    assert_false(pr_udp4_frame_carries(frame, (size_t)n, 67, dgram, sizeof dgram, mac));
}

static void ring_limits(void **state)
{
    (void)state;
    struct pr_capture_ring *r = pr_capture_ring_new(4, 800);
    struct timeval ts = { 1, 0 };
    uint8_t data[600] = { 0 };
    for (int i = 0; i < 10; i++) {
        data[0] = (uint8_t)i;
        assert_int_equal(pr_capture_ring_add(r, &ts, data, 100, 100), 0);
    }
    assert_int_equal(pr_capture_ring_count(r), 4); /* count bound */
    assert_int_equal(pr_capture_ring_bytes(r), 400);
    assert_int_equal(pr_capture_ring_add(r, &ts, data, 600, 600), 0);
    assert_int_equal(pr_capture_ring_count(r), 3); /* byte bound: 600 + 2 x 100 */
    assert_true(pr_capture_ring_bytes(r) <= 800);
    assert_int_equal(pr_capture_ring_add(r, &ts, data, 801, 801), -E2BIG);
    uint8_t *pcap;
    size_t len;
    assert_int_equal(pr_capture_ring_pcap(r, DLT_LINUX_SLL2, &pcap, &len), 0);
    assert_int_equal(len, 24 + 3 * 16 + 600 + 200);
    uint32_t magic, linktype;
    memcpy(&magic, pcap, 4);
    memcpy(&linktype, pcap + 20, 4);
    assert_int_equal(magic, 0xa1b2c3d4);
    assert_int_equal(linktype, 276); /* LINKTYPE_LINUX_SLL2 */
    free(pcap);

    /* a saved file is one that libpcap reads back */
    char path[] = "/tmp/pirack-ring-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(pr_capture_ring_save(r, DLT_LINUX_SLL2, path), 0);
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(path, err);
    assert_non_null(p);
    struct pcap_pkthdr *h;
    const u_char *bytes;
    int n = 0;
    while (pcap_next_ex(p, &h, &bytes) == 1)
        n++;
    assert_int_equal(n, 3);
    pcap_close(p);
    unlink(path);
    pr_capture_ring_clear(r);
    assert_int_equal(pr_capture_ring_count(r), 0);
    pr_capture_ring_free(r);
    pr_capture_ring_free(NULL);
}

static size_t sll2(uint8_t *f, uint16_t proto, uint32_t ifindex)
{
    memset(f, 0, 20);
    f[0] = (uint8_t)(proto >> 8);
    f[1] = (uint8_t)proto;
    f[4] = (uint8_t)(ifindex >> 24);
    f[5] = (uint8_t)(ifindex >> 16);
    f[6] = (uint8_t)(ifindex >> 8);
    f[7] = (uint8_t)ifindex;
    return 20;
}

static size_t ip_udp(uint8_t *f, uint16_t sport, uint16_t dport, size_t plen)
{
    uint8_t *ip = f, *udp = f + 20;
    memset(f, 0, 28);
    ip[0] = 0x45;
    ip[2] = (uint8_t)((28 + plen) >> 8);
    ip[3] = (uint8_t)(28 + plen);
    ip[9] = 17;
    ip[12] = 10;
    ip[15] = 2; /* 10.0.0.2 -> 10.0.0.1 */
    ip[16] = 10;
    ip[19] = 1;
    udp[0] = (uint8_t)(sport >> 8);
    udp[1] = (uint8_t)sport;
    udp[2] = (uint8_t)(dport >> 8);
    udp[3] = (uint8_t)dport;
    return 28;
}

static void classify_frames(void **state)
{
    (void)state;
    uint8_t f[1600] = { 0 };
    struct pr_capture_facts c;
    /* a DHCP DISCOVER on interface 7 */
    size_t n = sll2(f, 0x0800, 7);
    n += ip_udp(f + n, 68, 67, 300);
    f[n] = 1;
    f[n + 1] = 1;
    f[n + 2] = 6;
    memcpy(f + n + 28, "\xb8\x27\xeb\x01\x02\x03", 6);
    n += 300;
    assert_int_equal(pr_capture_classify(f, n, &c), 0);
    assert_int_equal(c.kind, PR_CAP_DHCP);
    assert_int_equal(c.ifindex, 7);
    assert_true(c.has_chaddr);
    assert_memory_equal(c.chaddr, "\xb8\x27\xeb\x01\x02\x03", 6);
    assert_int_equal(c.keep, n);
    assert_int_equal(c.src.s_addr, inet_addr("10.0.0.2"));

    /* a TFTP DATA block keeps its header and a little payload */
    n = sll2(f, 0x0800, 3);
    n += ip_udp(f + n, 69, 49152, 516);
    f[n] = 0;
    f[n + 1] = 3;
    n += 516;
    assert_int_equal(pr_capture_classify(f, n, &c), 0);
    assert_int_equal(c.kind, PR_CAP_TFTP);
    assert_int_equal(c.tftp_opcode, 3);
    assert_int_equal(c.keep, 20 + 28 + 4 + PR_CAPTURE_TFTP_KEEP);

    /* an ARP request: sender and target addresses */
    n = sll2(f, 0x0806, 3);
    static const uint8_t arp[28] = { 0,  1, 8, 0, 6, 4, 0, 1, 2, 0, 0,  0, 0, 1,
                                     10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2 };
    memcpy(f + n, arp, sizeof arp);
    assert_int_equal(pr_capture_classify(f, n + sizeof arp, &c), 0);
    assert_int_equal(c.kind, PR_CAP_ARP);
    assert_int_equal(c.dst.s_addr, inet_addr("10.0.0.2"));

    assert_int_equal(pr_capture_classify(f, 10, &c), -EBADMSG);
    n = sll2(f, 0x86dd, 1);
    assert_int_equal(pr_capture_classify(f, n + 40, &c), 0);
    assert_int_equal(c.kind, PR_CAP_OTHER);
}

static void filter_compiles(void **state)
{
    (void)state;
    pcap_t *p = pcap_open_dead(DLT_LINUX_SLL2, 1600);
    struct bpf_program prog;
    assert_int_equal(pcap_compile(p, &prog, pr_capture_filter, 1, PCAP_NETMASK_UNKNOWN), 0);
    pcap_freecode(&prog);
    pcap_close(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(checksum_known_vector), cmocka_unit_test(frame_round_trip),
        cmocka_unit_test(ring_limits),           cmocka_unit_test(classify_frames),
        cmocka_unit_test(filter_compiles),       cmocka_unit_test(frame_carries_datagram),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
