/* DHCPv4 codec: real clients' packets decode to what they say, round-trip
 * byte for byte, and every malformed shape is refused with its reason. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "pirack/dhcp.h"
#include "dhcp_packets.h"
#include "daemon/dhcp/dhcp_internal.h"

static const uint8_t mac3b[6] = { 0xb8, 0x27, 0xeb, 0x12, 0x34, 0x56 };
static const uint8_t mac4[6] = { 0xdc, 0xa6, 0x32, 0x01, 0x02, 0x03 };
static const uint8_t macx[6] = { 0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc };

static void assert_drop(const uint8_t *b, size_t n, enum pr_dhcp_drop want)
{
    struct pr_dhcp_msg m;
    enum pr_dhcp_drop why = PR_DROP_NONE;
    assert_true(pr_dhcp_decode(b, n, &m, &why) < 0);
    assert_string_equal(pr_dhcp_drop_name(why), pr_dhcp_drop_name(want));
}

static void pi3b_rom_discover_decodes(void **state)
{
    (void)state;
    struct tpkt p;
    struct pr_dhcp_msg m;
    tp_pi3b_discover(&p, mac3b);
    assert_int_equal(p.n, 320); /* 320 bytes of BOOTP: docs/pi-boot.md section 2 */
    assert_int_equal(pr_dhcp_decode(p.b, p.n, &m, NULL), 0);
    assert_int_equal(m.op, 1);
    assert_int_equal(m.xid, 0x26f30339);
    assert_int_equal(m.flags, 0);
    assert_int_equal(m.type, PR_DHCPDISCOVER);
    assert_memory_equal(m.chaddr, mac3b, 6);
    size_t len;
    const uint8_t *v = pr_dhcp_opt_get(&m, PR_OPT_VENDOR_CLASS, &len);
    assert_non_null(v);
    assert_int_equal(len, 32);
    assert_memory_equal(v, PXE_VENDOR, 32);
    assert_non_null(pr_dhcp_opt_get(&m, PR_OPT_PARAM_LIST, &len));
    assert_int_equal(len, 12);
    assert_non_null(pr_dhcp_opt_get(&m, PR_OPT_CLIENT_UUID, &len));
    assert_int_equal(len, 17);
    assert_null(pr_dhcp_opt_get(&m, PR_OPT_CLIENT_ID, NULL)); /* no option 61 */
    uint16_t arch;
    assert_int_equal(pr_dhcp_opt_u16(&m, PR_OPT_CLIENT_ARCH, &arch), 0);
    assert_int_equal(arch, 0);
    assert_int_equal(pr_pi_model_detect(&m), PR_PI_3B);
    uint32_t serial;
    assert_int_equal(pr_pi_serial(&m, &serial), -ENOENT); /* the 3B's GUID is constant */
    /* option order is kept */
    assert_int_equal(m.n_opts, 6);
    assert_int_equal(m.opts[0].code, 53);
    assert_int_equal(m.opts[5].code, 60);
}

static void round_trips_byte_for_byte(void **state)
{
    (void)state;
    struct tpkt pkts[4];
    tp_pi3b_discover(&pkts[0], mac3b);
    tp_pi3bplus_discover(&pkts[1], mac3b, 0x1234abcd);
    tp_pi4(&pkts[2], PR_DHCPREQUEST, 0x11223344, mac4, 0xdeadbeef, inet_addr("10.0.0.2"),
           inet_addr("10.0.0.1"));
    tp_os(&pkts[3], PR_DHCPREQUEST, 7, 0, macx, inet_addr("10.0.0.6"), 0, 0);
    for (int i = 0; i < 4; i++) {
        struct pr_dhcp_msg m;
        uint8_t out[PR_DHCP_MAX_LEN];
        assert_int_equal(pr_dhcp_decode(pkts[i].b, pkts[i].n, &m, NULL), 0);
        size_t want = pkts[i].n < PR_DHCP_MIN_REPLY ? PR_DHCP_MIN_REPLY : pkts[i].n;
        assert_int_equal(pr_dhcp_encode(&m, out, sizeof out), (int)want);
        assert_memory_equal(out, pkts[i].b, pkts[i].n);
    }
}

static void models_and_serials(void **state)
{
    (void)state;
    struct tpkt p;
    struct pr_dhcp_msg m;
    uint32_t serial = 0;
    tp_pi3bplus_discover(&p, mac3b, 0x1234abcd);
    assert_int_equal(pr_dhcp_decode(p.b, p.n, &m, NULL), 0);
    assert_int_equal(pr_pi_model_detect(&m), PR_PI_3BPLUS);
    assert_int_equal(pr_pi_serial(&m, &serial), 0);
    assert_int_equal(serial, 0x1234abcd);
    tp_pi4(&p, PR_DHCPDISCOVER, 99, mac4, 0xdeadbeef, 0, 0);
    assert_int_equal(pr_dhcp_decode(p.b, p.n, &m, NULL), 0);
    assert_int_equal(pr_pi_model_detect(&m), PR_PI_4);
    assert_int_equal(pr_pi_serial(&m, &serial), 0);
    assert_int_equal(serial, 0xdeadbeef);
    p.b[p.n - 48] = '5'; /* "RPi4" -> "RPi5" */
    assert_int_equal(pr_dhcp_decode(p.b, p.n, &m, NULL), 0);
    assert_int_equal(pr_pi_model_detect(&m), PR_PI_5);
    tp_os(&p, PR_DHCPDISCOVER, 1, 0, macx, 0, 0, 0);
    assert_int_equal(pr_dhcp_decode(p.b, p.n, &m, NULL), 0);
    assert_int_equal(pr_pi_model_detect(&m), PR_PI_UNKNOWN);
    tp_os(&p, PR_DHCPDISCOVER, 1, 0, mac4, 0, 0, 0); /* a Pi 4 OUI, OS client */
    assert_int_equal(pr_dhcp_decode(p.b, p.n, &m, NULL), 0);
    assert_int_equal(pr_pi_model_detect(&m), PR_PI_4);

    assert_int_equal(pr_pi_model_parse("3B"), PR_PI_3B);
    assert_int_equal(pr_pi_model_parse("pi3b+"), PR_PI_3BPLUS);
    assert_int_equal(pr_pi_model_parse("RPi4"), PR_PI_4);
    assert_int_equal(pr_pi_model_parse("5"), PR_PI_5);
    assert_int_equal(pr_pi_model_parse("zero"), PR_PI_UNKNOWN);
    assert_string_equal(pr_pi_model_name(PR_PI_3BPLUS), "pi3b+");
}

static void pxe_menu_bytes(void **state)
{
    (void)state;
    static const uint8_t want3b[] = { 6,   1,   3,   10,  4,   0,   'P', 'X', 'E', 9,   23,  0,
                                      0,   20,  'R', 'a', 's', 'p', 'b', 'e', 'r', 'r', 'y', ' ',
                                      'P', 'i', ' ', 'B', 'o', 'o', 't', ' ', ' ', ' ', 255 };
    uint8_t out[256];
    assert_int_equal(pr_pi_pxe_menu(PR_PI_3B, NULL, out, sizeof out), (int)sizeof want3b);
    assert_memory_equal(out, want3b, sizeof want3b);
    int n = pr_pi_pxe_menu(PR_PI_3BPLUS, NULL, out, sizeof out);
    assert_int_equal(n, (int)sizeof want3b - 3);
    assert_int_equal(out[10], 20);
    assert_int_equal(out[13], 17);
    assert_int_equal(out[n - 1], 255);
    n = pr_pi_pxe_menu(PR_PI_3B, "Custom", out, sizeof out); /* override: verbatim */
    assert_int_equal(out[13], 6);
    assert_memory_equal(out + 14, "Custom", 6);
    assert_int_equal(pr_pi_pxe_menu(PR_PI_4, NULL, out, 10), -EMSGSIZE);
}

static void short_packets_are_truncated(void **state)
{
    (void)state;
    struct tpkt p;
    tp_pi3b_discover(&p, mac3b);
    for (size_t n = 0; n < PR_DHCP_MIN_LEN; n += 7)
        assert_drop(p.b, n, PR_DROP_TRUNCATED);
    /* cut inside an option: its length runs past the end */
    assert_drop(p.b, 250, PR_DROP_BAD_OPTION);
    /* cut right after an option: no END */
    assert_drop(p.b, 243, PR_DROP_BAD_OPTION);
}

static void header_checks(void **state)
{
    (void)state;
    struct tpkt p;
    tp_pi3b_discover(&p, mac3b);
    uint8_t big[PR_DHCP_MAX_LEN + 1] = { 0 };
    memcpy(big, p.b, p.n);
    assert_drop(big, sizeof big, PR_DROP_OVERLONG);
    p.b[0] = 3;
    assert_drop(p.b, p.n, PR_DROP_BAD_OP);
    p.b[0] = 1;
    p.b[1] = 6;
    assert_drop(p.b, p.n, PR_DROP_BAD_HTYPE);
    p.b[1] = 1;
    p.b[2] = 16;
    assert_drop(p.b, p.n, PR_DROP_BAD_HTYPE);
    p.b[2] = 6;
    p.b[239] = 0;
    assert_drop(p.b, p.n, PR_DROP_BAD_COOKIE);
    p.b[239] = 0x63;
    struct pr_dhcp_msg m;
    assert_int_equal(pr_dhcp_decode(p.b, p.n, &m, NULL), 0);
    /* a BOOTREPLY decodes (the simulator reads OFFERs with it) */
    p.b[0] = 2;
    assert_int_equal(pr_dhcp_decode(p.b, p.n, &m, NULL), 0);
    assert_int_equal(m.op, 2);
}

static void option_lengths_are_exact(void **state)
{
    (void)state;
    static const struct {
        uint8_t code, len;
    } bad[] = {
        { 53, 2 }, { 53, 0 }, { 50, 3 }, { 54, 5 }, { 51, 2 }, { 57, 1 }, { 52, 2 },
        { 1, 3 },  { 3, 6 },  { 61, 1 }, { 93, 3 }, { 94, 2 }, { 55, 0 },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct tpkt p;
        uint8_t zero[8] = { 1, 1, 1, 1, 1, 1, 1, 1 };
        tp_header(&p, 1, 1, 0, macx, 0);
        tp_u8(&p, 53, 1);
        if (bad[i].code == 53)
            p.n = 240;
        tp_opt(&p, bad[i].code, bad[i].len, zero);
        tp_end(&p, 300);
        assert_drop(p.b, p.n, PR_DROP_BAD_OPTION);
    }
    /* the length byte runs past the end of the packet */
    struct tpkt p;
    tp_header(&p, 1, 1, 0, macx, 0);
    tp_u8(&p, 53, 1);
    p.b[p.n++] = 12;
    p.b[p.n++] = 200;
    p.b[p.n++] = 'x';
    assert_drop(p.b, p.n, PR_DROP_BAD_OPTION);
    /* option 52 with a value that names no field */
    tp_header(&p, 1, 1, 0, macx, 0);
    tp_u8(&p, 53, 1);
    tp_u8(&p, 52, 4);
    tp_end(&p, 0);
    assert_drop(p.b, p.n, PR_DROP_BAD_OPTION);
}

static void too_many_options(void **state)
{
    (void)state;
    struct tpkt p;
    tp_header(&p, 1, 1, 0, macx, 0);
    for (unsigned c = 128; c < 128 + PR_DHCP_MAX_OPTS + 1; c++)
        tp_u8(&p, (uint8_t)c, 0);
    tp_end(&p, 0);
    assert_drop(p.b, p.n, PR_DROP_TOO_MANY_OPTIONS);
}

static void overload_and_concatenation(void **state)
{
    (void)state;
    struct tpkt p;
    struct pr_dhcp_msg m;
    tp_header(&p, 1, 5, 0, macx, 0);
    tp_u8(&p, 53, 3);
    tp_u8(&p, 52, 3); /* options continue in file, then sname */
    static const uint8_t a[2] = { 1, 3 }, b[2] = { 6, 15 };
    tp_opt(&p, 55, 2, a);
    tp_end(&p, 0);
    /* file: the rest of the parameter list and the requested address */
    uint8_t *f = p.b + 108;
    f[0] = 55;
    f[1] = 2;
    memcpy(f + 2, b, 2);
    f[4] = 50;
    f[5] = 4;
    f[6] = 10;
    f[7] = 0;
    f[8] = 0;
    f[9] = 2;
    f[10] = 255;
    uint8_t *s = p.b + 44;
    s[0] = 12;
    s[1] = 3;
    memcpy(s + 2, "abc", 3);
    s[5] = 255;
    assert_int_equal(pr_dhcp_decode(p.b, p.n, &m, NULL), 0);
    size_t len;
    const uint8_t *v = pr_dhcp_opt_get(&m, PR_OPT_PARAM_LIST, &len);
    assert_int_equal(len, 4);
    assert_memory_equal(v, "\x01\x03\x06\x0f", 4);
    struct in_addr want;
    assert_int_equal(pr_dhcp_opt_addr(&m, PR_OPT_REQUESTED_IP, &want), 0);
    assert_int_equal(want.s_addr, inet_addr("10.0.0.2"));
    v = pr_dhcp_opt_get(&m, PR_OPT_HOSTNAME, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(v, "abc", 3);
    assert_int_equal(m.file[0], 0); /* not a file name */
    /* a concatenated option that is then too long for its type */
    f[4] = 53;
    f[5] = 1;
    f[6] = 3;
    f[7] = 255;
    assert_drop(p.b, p.n, PR_DROP_BAD_OPTION);
}

static void builder_and_long_options(void **state)
{
    (void)state;
    struct tpkt p;
    struct pr_dhcp_msg req, rep;
    tp_os(&p, PR_DHCPDISCOVER, 0xabcdef01, PR_DHCP_FLAG_BROADCAST, macx, 0, 0, 0);
    assert_int_equal(pr_dhcp_decode(p.b, p.n, &req, NULL), 0);
    pr_dhcp_reply_init(&rep, &req, PR_DHCPOFFER);
    assert_int_equal(rep.type, PR_DHCPOFFER);
    assert_int_equal(rep.xid, 0xabcdef01);
    assert_int_equal(rep.flags, PR_DHCP_FLAG_BROADCAST);
    uint8_t big[300];
    memset(big, 'z', sizeof big);
    assert_int_equal(pr_dhcp_opt_add(&rep, 224, big, 200), 0);
    assert_int_equal(pr_dhcp_opt_add_u32(&rep, PR_OPT_LEASE_TIME, 3600), 0);
    assert_int_equal(pr_dhcp_opt_add(&rep, 224, big, 100), 0); /* grows in place */
    assert_int_equal(pr_dhcp_opt_add(&rep, PR_OPT_END, big, 1), -EINVAL);
    uint8_t out[PR_DHCP_MAX_LEN];
    int n = pr_dhcp_encode(&rep, out, sizeof out);
    /* 53, then 224 split 255 + 45, then 51, END */
    assert_int_equal(n, 240 + 3 + 257 + 47 + 6 + 1);
    assert_int_equal(out[243], 224);
    assert_int_equal(out[244], 255);
    assert_int_equal(out[243 + 257], 224);
    assert_int_equal(out[243 + 258], 45);
    struct pr_dhcp_msg back;
    out[0] = 2;
    assert_int_equal(pr_dhcp_decode(out, (size_t)n, &back, NULL), 0);
    size_t len;
    assert_non_null(pr_dhcp_opt_get(&back, 224, &len));
    assert_int_equal(len, 300);
    uint32_t lease;
    assert_int_equal(pr_dhcp_opt_u32(&back, PR_OPT_LEASE_TIME, &lease), 0);
    assert_int_equal(lease, 3600);
    assert_int_equal(pr_dhcp_encode(&rep, out, 100), -EMSGSIZE);
    uint8_t u8;
    assert_int_equal(pr_dhcp_opt_u8(&back, PR_OPT_LEASE_TIME, &u8), -EBADMSG);
    assert_int_equal(pr_dhcp_opt_u8(&back, PR_OPT_ROUTER, &u8), -ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pi3b_rom_discover_decodes),   cmocka_unit_test(round_trips_byte_for_byte),
        cmocka_unit_test(models_and_serials),          cmocka_unit_test(pxe_menu_bytes),
        cmocka_unit_test(short_packets_are_truncated), cmocka_unit_test(header_checks),
        cmocka_unit_test(option_lengths_are_exact),    cmocka_unit_test(too_many_options),
        cmocka_unit_test(overload_and_concatenation),  cmocka_unit_test(builder_and_long_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
