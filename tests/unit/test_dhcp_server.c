/* The DHCP server's decisions: exact replies for each Pi and each RFC 2131
 * state, and silence (with a counted reason) for everything else. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "pirack/dhcp.h"
#include "dhcp_packets.h"
#include "daemon/dhcp/dhcp_internal.h"

static const uint8_t mac3b[6] = { 0xb8, 0x27, 0xeb, 0x12, 0x34, 0x56 };
static const uint8_t mac4[6] = { 0xdc, 0xa6, 0x32, 0x01, 0x02, 0x03 };
static const uint8_t macx[6] = { 0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc };

/* The rack: 10.0.0.0/24 in /30s; slot N on interface piNNN; in flat mode
 * macx is in slot 2 and mac3b in slot 3. */
struct rack {
    enum pr_pi_model model;
    char menu[32];
    int fail;
};

static int by_ifname(void *ctx, const char *ifname)
{
    (void)ctx;
    unsigned n;
    char extra;
    if (sscanf(ifname, "pi%3u%c", &n, &extra) != 1 || n < 1 || n > 60)
        return 0;
    return (int)n;
}

static int by_mac(void *ctx, const uint8_t mac[6])
{
    struct rack *r = ctx;
    if (r->fail)
        return -5;
    if (!memcmp(mac, macx, 6))
        return 2;
    if (!memcmp(mac, mac3b, 6))
        return 3;
    return 0;
}

static int slot_info(void *ctx, unsigned slot, struct pr_dhcp_slot_info *out)
{
    struct rack *r = ctx;
    uint32_t net = 0x0a000000u + 4 * (slot - 1);
    out->host.s_addr = htonl(net + 1);
    out->pi.s_addr = htonl(net + 2);
    out->mask.s_addr = htonl(0xfffffffcu);
    out->model = r->model;
    snprintf(out->menu, sizeof out->menu, "%s", r->menu);
    return 0;
}

static struct rack rack;
static struct pr_dhcp_lookup lk = { by_ifname, by_mac, slot_info, &rack };
static struct pr_dhcp_server_cfg isolated = { true, 3600, true, 0 };
static struct pr_dhcp_server_cfg flat = { false, 3600, true, 0 };
static struct pr_dhcp_decision d;

static int reset(void **state)
{
    (void)state;
    memset(&rack, 0, sizeof rack);
    return 0;
}

static uint32_t ip(const char *s)
{
    return inet_addr(s);
}

static void decode_reply(struct pr_dhcp_msg *m)
{
    assert_int_equal(d.action, PR_DHCP_ACT_REPLY);
    assert_int_equal(pr_dhcp_decode(d.reply, d.reply_len, m, NULL), 0);
    assert_int_equal(m->op, PR_BOOTREPLY);
}

/* The whole OFFER a Pi 3B's ROM gets on slot 3, byte for byte. */
static void pi3b_rom_offer_exact(void **state)
{
    (void)state;
    struct tpkt p;
    tp_pi3b_discover(&p, mac3b);
    pr_dhcp_handle(&isolated, &lk, "pi003", p.b, p.n, &d);
    assert_int_equal(d.action, PR_DHCP_ACT_REPLY);
    assert_int_equal(d.slot, 3);
    assert_int_equal(d.model, PR_PI_3B);
    assert_true(d.rom);

    uint8_t want[400] = {
        2,    1,    6,    0,    0x26, 0xf3, 0x03, 0x39, 0,  0, 0, 0, /* op..xid, secs, flags 0 */
        0,    0,    0,    0,    10,   0,    0,    10,   10, 0, 0, 9,
        0,    0,    0,    0, /* ci, yi .10, si .9, gi */
        0xb8, 0x27, 0xeb, 0x12, 0x34, 0x56,
    };
    size_t n = 236;
    static const uint8_t opts[] = {
        0x63, 0x82, 0x53, 0x63, 53,   1,    2,    54,   4,    10,   0,    0,    9,    51,   4,
        0,    0,    0x0e, 0x10, 1,    4,    255,  255,  255,  252,  3,    4,    10,   0,    0,
        9,    28,   4,    10,   0,    0,    11,   60,   9,    'P',  'X',  'E',  'C',  'l',  'i',
        'e',  'n',  't',  97,   17,   0,    0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,
        0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 43,   35,   6,    1,    3,    10,   4,    0,
        'P',  'X',  'E',  9,    23,   0,    0,    20,   'R',  'a',  's',  'p',  'b',  'e',  'r',
        'r',  'y',  ' ',  'P',  'i',  ' ',  'B',  'o',  'o',  't',  ' ',  ' ',  ' ',  255,  255,
    };
    memcpy(want + n, opts, sizeof opts);
    n += sizeof opts;
    assert_int_equal(d.reply_len, n);
    assert_memory_equal(d.reply, want, n);

    /* unicast to the Pi's MAC and new address: it did not ask for broadcast */
    assert_false(d.broadcast);
    assert_int_equal(d.dst_ip.s_addr, ip("10.0.0.10"));
    assert_memory_equal(d.dst_mac, mac3b, 6);
    /* the 3B timing workaround: the same OFFER again after a second */
    assert_int_equal(d.repeat_ms, 1000);
    assert_int_equal(d.delay_ms, 0);
}

static void pi3bplus_offer(void **state)
{
    (void)state;
    struct tpkt p;
    struct pr_dhcp_msg m;
    tp_pi3bplus_discover(&p, mac3b, 0x1234abcd);
    pr_dhcp_handle(&isolated, &lk, "pi001", p.b, p.n, &d);
    decode_reply(&m);
    assert_int_equal(d.model, PR_PI_3BPLUS);
    assert_int_equal(m.type, PR_DHCPOFFER);
    assert_int_equal(m.yiaddr.s_addr, ip("10.0.0.2"));
    size_t len;
    const uint8_t *v = pr_dhcp_opt_get(&m, PR_OPT_VENDOR_SPECIFIC, &len);
    assert_non_null(v);
    assert_int_equal(len, 32); /* no spaces after "Boot" */
    assert_int_equal(v[13], 17);
    assert_memory_equal(v + 14, "Raspberry Pi Boot\xff", 18);
    /* option 97 echoed */
    v = pr_dhcp_opt_get(&m, PR_OPT_CLIENT_UUID, &len);
    assert_int_equal(len, 17);
    assert_memory_equal(v, "\x00\xcd\xab\x34\x12\xcd\xab\x34\x12", 9);
    assert_int_equal(d.repeat_ms, 0); /* only the 3B needs it */
    assert_false(d.broadcast);
}

static void pi4_full_handshake(void **state)
{
    (void)state;
    struct tpkt p;
    struct pr_dhcp_msg m;
    tp_pi4(&p, PR_DHCPDISCOVER, 0x77665544, mac4, 0xdeadbeef, 0, 0);
    pr_dhcp_handle(&isolated, &lk, "pi005", p.b, p.n, &d);
    decode_reply(&m);
    assert_int_equal(d.model, PR_PI_4);
    assert_int_equal(m.type, PR_DHCPOFFER);
    assert_int_equal(m.xid, 0x77665544);
    assert_int_equal(m.yiaddr.s_addr, ip("10.0.0.18"));
    assert_int_equal(m.siaddr.s_addr, ip("10.0.0.17")); /* the bootloader's TFTP server */
    size_t len;
    const uint8_t *v = pr_dhcp_opt_get(&m, PR_OPT_CLIENT_UUID, &len);
    assert_int_equal(len, 17);
    assert_memory_equal(v, "\x00RPi4", 5);
    v = pr_dhcp_opt_get(&m, PR_OPT_VENDOR_SPECIFIC, &len);
    assert_int_equal(v[13], 17);

    tp_pi4(&p, PR_DHCPREQUEST, 0x77665544, mac4, 0xdeadbeef, ip("10.0.0.18"), ip("10.0.0.17"));
    pr_dhcp_handle(&isolated, &lk, "pi005", p.b, p.n, &d);
    decode_reply(&m);
    assert_int_equal(m.type, PR_DHCPACK);
    assert_int_equal(m.yiaddr.s_addr, ip("10.0.0.18"));
    uint32_t lease;
    assert_int_equal(pr_dhcp_opt_u32(&m, PR_OPT_LEASE_TIME, &lease), 0);
    assert_int_equal(lease, 3600);
    struct in_addr a;
    assert_int_equal(pr_dhcp_opt_addr(&m, PR_OPT_SUBNET_MASK, &a), 0);
    assert_int_equal(a.s_addr, ip("255.255.255.252"));
    assert_int_equal(pr_dhcp_opt_addr(&m, PR_OPT_ROUTER, &a), 0);
    assert_int_equal(a.s_addr, ip("10.0.0.17"));
    assert_non_null(pr_dhcp_opt_get(&m, PR_OPT_VENDOR_SPECIFIC, NULL));
    assert_int_equal(d.dst_ip.s_addr, ip("10.0.0.18"));
    assert_int_equal(d.repeat_ms, 0);

    /* the client chose another server's offer: silence */
    tp_pi4(&p, PR_DHCPREQUEST, 0x77665544, mac4, 0xdeadbeef, ip("10.0.0.18"), ip("192.0.2.1"));
    pr_dhcp_handle(&isolated, &lk, "pi005", p.b, p.n, &d);
    assert_int_equal(d.action, PR_DHCP_ACT_DROP);
    assert_int_equal(d.why, PR_DROP_OTHER_SERVER);

    /* it asks for an address that is not the slot's: NAK, broadcast */
    tp_pi4(&p, PR_DHCPREQUEST, 0x77665544, mac4, 0xdeadbeef, ip("10.0.0.2"), ip("10.0.0.17"));
    pr_dhcp_handle(&isolated, &lk, "pi005", p.b, p.n, &d);
    decode_reply(&m);
    assert_int_equal(m.type, PR_DHCPNAK);
    assert_int_equal(m.yiaddr.s_addr, 0);
    assert_null(pr_dhcp_opt_get(&m, PR_OPT_LEASE_TIME, NULL));
    assert_true(d.broadcast);
    assert_int_equal(d.dst_ip.s_addr, INADDR_BROADCAST);
}

static void os_client_states(void **state)
{
    (void)state;
    struct tpkt p;
    struct pr_dhcp_msg m;
    uint32_t pi = ip("10.0.0.6"), host = ip("10.0.0.5");

    /* DISCOVER with the broadcast flag: broadcast OFFER, no PXE options */
    tp_os(&p, PR_DHCPDISCOVER, 1, PR_DHCP_FLAG_BROADCAST, macx, 0, 0, 0);
    pr_dhcp_handle(&isolated, &lk, "pi002", p.b, p.n, &d);
    decode_reply(&m);
    assert_false(d.rom);
    assert_int_equal(m.flags, PR_DHCP_FLAG_BROADCAST);
    assert_true(d.broadcast);
    assert_memory_equal(d.dst_mac, "\xff\xff\xff\xff\xff\xff", 6);
    assert_null(pr_dhcp_opt_get(&m, PR_OPT_VENDOR_SPECIFIC, NULL));
    assert_null(pr_dhcp_opt_get(&m, PR_OPT_VENDOR_CLASS, NULL));

    /* RENEWING: unicast, ciaddr set: ACK unicast to ciaddr */
    tp_os(&p, PR_DHCPREQUEST, 2, 0, macx, pi, 0, 0);
    pr_dhcp_handle(&isolated, &lk, "pi002", p.b, p.n, &d);
    decode_reply(&m);
    assert_int_equal(m.type, PR_DHCPACK);
    assert_int_equal(m.yiaddr.s_addr, pi);
    assert_false(d.broadcast);
    assert_int_equal(d.dst_ip.s_addr, pi);
    assert_memory_equal(d.dst_mac, macx, 6);

    /* REBINDING from an address that is not the slot's: NAK */
    tp_os(&p, PR_DHCPREQUEST, 3, PR_DHCP_FLAG_BROADCAST, macx, ip("10.0.0.2"), 0, 0);
    pr_dhcp_handle(&isolated, &lk, "pi002", p.b, p.n, &d);
    decode_reply(&m);
    assert_int_equal(m.type, PR_DHCPNAK);

    /* INIT-REBOOT: right address ACK, wrong one NAK */
    tp_os(&p, PR_DHCPREQUEST, 4, 0, macx, 0, pi, 0);
    pr_dhcp_handle(&isolated, &lk, "pi002", p.b, p.n, &d);
    decode_reply(&m);
    assert_int_equal(m.type, PR_DHCPACK);
    tp_os(&p, PR_DHCPREQUEST, 4, 0, macx, 0, ip("10.0.0.10"), 0);
    pr_dhcp_handle(&isolated, &lk, "pi002", p.b, p.n, &d);
    decode_reply(&m);
    assert_int_equal(m.type, PR_DHCPNAK);

    /* a REQUEST in no state (server id, no address): dropped */
    tp_os(&p, PR_DHCPREQUEST, 5, 0, macx, 0, 0, host);
    pr_dhcp_handle(&isolated, &lk, "pi002", p.b, p.n, &d);
    assert_int_equal(d.action, PR_DHCP_ACT_DROP);
    assert_int_equal(d.why, PR_DROP_BAD_REQUEST);

    /* RELEASE and DECLINE: recorded, never answered */
    tp_os(&p, PR_DHCPRELEASE, 6, 0, macx, pi, 0, host);
    pr_dhcp_handle(&isolated, &lk, "pi002", p.b, p.n, &d);
    assert_int_equal(d.action, PR_DHCP_ACT_RELEASE);
    assert_int_equal(d.addr.s_addr, pi);
    assert_int_equal(d.reply_len, 0);
    tp_os(&p, PR_DHCPDECLINE, 7, 0, macx, 0, pi, host);
    pr_dhcp_handle(&isolated, &lk, "pi002", p.b, p.n, &d);
    assert_int_equal(d.action, PR_DHCP_ACT_DECLINE);
    assert_int_equal(d.addr.s_addr, pi);
    assert_int_equal(d.slot, 2);

    /* INFORM: ACK without an address or a lease, to ciaddr */
    tp_os(&p, PR_DHCPINFORM, 8, 0, macx, pi, 0, 0);
    pr_dhcp_handle(&isolated, &lk, "pi002", p.b, p.n, &d);
    decode_reply(&m);
    assert_int_equal(m.type, PR_DHCPACK);
    assert_int_equal(m.yiaddr.s_addr, 0);
    assert_int_equal(m.ciaddr.s_addr, pi);
    assert_null(pr_dhcp_opt_get(&m, PR_OPT_LEASE_TIME, NULL));
    assert_non_null(pr_dhcp_opt_get(&m, PR_OPT_ROUTER, NULL));
    assert_int_equal(d.dst_ip.s_addr, pi);
}

/* Every Pi 3 sends xid 0x26f30339: the interface, not the xid, decides. */
static void same_xid_on_many_slots(void **state)
{
    (void)state;
    struct tpkt p;
    struct pr_dhcp_msg m;
    tp_pi3b_discover(&p, mac3b);
    for (unsigned slot = 1; slot <= 48; slot++) {
        char ifname[16];
        snprintf(ifname, sizeof ifname, "pi%03u", slot);
        pr_dhcp_handle(&isolated, &lk, ifname, p.b, p.n, &d);
        decode_reply(&m);
        assert_int_equal(d.slot, slot);
        assert_int_equal(ntohl(m.yiaddr.s_addr), 0x0a000000u + 4 * (slot - 1) + 2);
    }
}

static void flat_mode(void **state)
{
    (void)state;
    struct tpkt p;
    struct pr_dhcp_msg m;
    tp_pi3b_discover(&p, mac3b);
    pr_dhcp_handle(&flat, &lk, "rack0", p.b, p.n, &d);
    decode_reply(&m);
    assert_int_equal(d.slot, 3);
    assert_int_equal(m.yiaddr.s_addr, ip("10.0.0.10"));

    /* an unknown board: no address, seen for bring-up */
    tp_pi4(&p, PR_DHCPDISCOVER, 0x1234, mac4, 0xdeadbeef, 0, 0);
    pr_dhcp_handle(&flat, &lk, "rack0", p.b, p.n, &d);
    assert_int_equal(d.action, PR_DHCP_ACT_SEEN);
    assert_int_equal(d.why, PR_DROP_UNKNOWN_MAC);
    assert_int_equal(d.slot, 0);
    assert_int_equal(d.reply_len, 0);
    assert_int_equal(d.model, PR_PI_4);
    assert_memory_equal(d.mac, mac4, 6);

    rack.fail = 1;
    tp_pi3b_discover(&p, mac3b);
    pr_dhcp_handle(&flat, &lk, "rack0", p.b, p.n, &d);
    assert_int_equal(d.action, PR_DHCP_ACT_DROP);
    assert_int_equal(d.why, PR_DROP_LOOKUP_FAILED);
}

static void isolated_unknown_interface(void **state)
{
    (void)state;
    struct tpkt p;
    tp_os(&p, PR_DHCPDISCOVER, 1, 0, macx, 0, 0, 0);
    pr_dhcp_handle(&isolated, &lk, "eth0", p.b, p.n, &d);
    assert_int_equal(d.action, PR_DHCP_ACT_DROP); /* some other machine */
    assert_int_equal(d.why, PR_DROP_NO_SLOT);
    tp_pi3b_discover(&p, mac3b);
    pr_dhcp_handle(&isolated, &lk, "eth0", p.b, p.n, &d);
    assert_int_equal(d.action, PR_DHCP_ACT_SEEN); /* a Pi on no slot */
}

static void store_model_and_menu_override(void **state)
{
    (void)state;
    struct tpkt p;
    struct pr_dhcp_msg m;
    size_t len;
    tp_pi3b_discover(&p, mac3b);
    rack.model = PR_PI_3BPLUS; /* ops said what the board is */
    pr_dhcp_handle(&isolated, &lk, "pi001", p.b, p.n, &d);
    decode_reply(&m);
    assert_int_equal(d.model, PR_PI_3BPLUS);
    assert_int_equal(pr_dhcp_opt_get(&m, PR_OPT_VENDOR_SPECIFIC, &len)[13], 17);
    assert_int_equal(d.repeat_ms, 0);
    rack.model = PR_PI_UNKNOWN;
    snprintf(rack.menu, sizeof rack.menu, "Boot Me");
    pr_dhcp_handle(&isolated, &lk, "pi001", p.b, p.n, &d);
    decode_reply(&m);
    const uint8_t *v = pr_dhcp_opt_get(&m, PR_OPT_VENDOR_SPECIFIC, &len);
    assert_int_equal(v[13], 7);
    assert_memory_equal(v + 14, "Boot Me", 7);
}

static void delay_and_no_second_offer(void **state)
{
    (void)state;
    struct tpkt p;
    struct pr_dhcp_server_cfg cfg = { true, 600, false, 1000 };
    tp_pi3b_discover(&p, mac3b);
    pr_dhcp_handle(&cfg, &lk, "pi001", p.b, p.n, &d);
    assert_int_equal(d.action, PR_DHCP_ACT_REPLY);
    assert_int_equal(d.delay_ms, 1000);
    assert_int_equal(d.repeat_ms, 0);
    tp_pi3bplus_discover(&p, mac3b, 7); /* every OFFER waits */
    pr_dhcp_handle(&cfg, &lk, "pi001", p.b, p.n, &d);
    assert_int_equal(d.delay_ms, 1000);
    /* an ACK is never delayed */
    tp_os(&p, PR_DHCPREQUEST, 2, 0, macx, inet_addr("10.0.0.2"), 0, 0);
    pr_dhcp_handle(&cfg, &lk, "pi001", p.b, p.n, &d);
    assert_int_equal(d.action, PR_DHCP_ACT_REPLY);
    assert_int_equal(d.delay_ms, 0);
}

static void malformed_never_answered(void **state)
{
    (void)state;
    struct tpkt p, q;
    tp_pi3b_discover(&p, mac3b);
    struct {
        size_t at;
        uint8_t v;
        size_t n;
        enum pr_dhcp_drop why;
    } cases[] = {
        { 0, 1, 100, PR_DROP_TRUNCATED },
        { 0, 1, 251, PR_DROP_BAD_OPTION }, /* cut inside option 55 */
        { 0, 2, 320, PR_DROP_BAD_OP },     /* a BOOTREPLY sent to the server */
        { 0, 7, 320, PR_DROP_BAD_OP },
        { 2, 8, 320, PR_DROP_BAD_HTYPE },
        { 1, 6, 320, PR_DROP_BAD_HTYPE },
        { 241, 2, 320, PR_DROP_BAD_OPTION }, /* option 53 with length 2 */
        { 242, 5, 320, PR_DROP_BAD_TYPE },   /* an ACK sent to the server */
        { 242, 77, 320, PR_DROP_BAD_TYPE },
        { 3, 1, 320, PR_DROP_RELAYED }, /* hops */
        { 1000, 0, PR_DHCP_MAX_LEN + 1, PR_DROP_OVERLONG },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        q = p;
        if (cases[i].at < sizeof q.b)
            q.b[cases[i].at] = cases[i].v;
        pr_dhcp_handle(&isolated, &lk, "pi001", q.b, cases[i].n, &d);
        assert_int_equal(d.action, PR_DHCP_ACT_DROP);
        assert_string_equal(pr_dhcp_drop_name(d.why), pr_dhcp_drop_name(cases[i].why));
        assert_int_equal(d.reply_len, 0);
    }
    /* plain BOOTP (no option 53) is not served */
    tp_header(&q, 1, 1, 0, macx, 0);
    tp_end(&q, 300);
    pr_dhcp_handle(&isolated, &lk, "pi001", q.b, q.n, &d);
    assert_int_equal(d.why, PR_DROP_NO_TYPE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(pi3b_rom_offer_exact, reset),
        cmocka_unit_test_setup(pi3bplus_offer, reset),
        cmocka_unit_test_setup(pi4_full_handshake, reset),
        cmocka_unit_test_setup(os_client_states, reset),
        cmocka_unit_test_setup(same_xid_on_many_slots, reset),
        cmocka_unit_test_setup(flat_mode, reset),
        cmocka_unit_test_setup(isolated_unknown_interface, reset),
        cmocka_unit_test_setup(store_model_and_menu_override, reset),
        cmocka_unit_test_setup(delay_and_no_second_offer, reset),
        cmocka_unit_test_setup(malformed_never_answered, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
