/* pisim's DHCP side, byte for byte against docs/pi-boot.md (sections 2
 * to 5, 9 and 10): what each Pi client sends, and which OFFERs each
 * accepts.  The simulator is only worth its tests if it is the Pi; these
 * pin the facts it plays. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tests/sim/pisim/dhcp.c"
#include "tests/sim/pisim/oack.c"

#define BOOTP_AT (14 + 20 + 8)
#define OPTS_AT (BOOTP_AT + 240)

static void pi_as(struct pi *pi, enum pi_model model, enum dhcp_client c, uint32_t serial)
{
    static const uint8_t oui3[3] = { 0xb8, 0x27, 0xeb }, oui4[3] = { 0xdc, 0xa6, 0x32 };
    memset(pi, 0, sizeof *pi);
    pi->model = model;
    pi->serial = serial;
    pi->revision = 0x00c03114;
    memcpy(pi->mac, model == PI_4 ? oui4 : oui3, 3);
    pi->mac[3] = (uint8_t)(serial >> 16);
    pi->mac[4] = (uint8_t)(serial >> 8);
    pi->mac[5] = (uint8_t)serial;
    pi->dhcp.client = c;
    pi->dhcp.xid = c == DC_PI4 || c == DC_OS ? 0x12345678 : PISIM_ROM_XID;
}

static void test_rom_3b_discover_is_the_documented_one(void **state)
{
    (void)state;
    static const uint8_t want[] = {
        0x35, 0x01, 0x01, 0x37, 0x0c, 0x2b, 0x3c, 0x43, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85,
        0x86, 0x87, 0x42, 0x5d, 0x02, 0x00, 0x00, 0x5e, 0x03, 0x01, 0x02, 0x01, 0x61, 0x11,
        0x00, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,
        0x44, 0x44, 0x44, 0x3c, 0x20, 'P',  'X',  'E',  'C',  'l',  'i',  'e',  'n',  't',
        ':',  'A',  'r',  'c',  'h',  ':',  '0',  '0',  '0',  '0',  '0',  ':',  'U',  'N',
        'D',  'I',  ':',  '0',  '0',  '2',  '0',  '0',  '1',  0xff,
    };
    struct pi pi;
    uint8_t f[1024];
    pi_as(&pi, PI_3B, DC_ROM_3B, 0x5ca1ab01);
    size_t n = dhcp_build(f, sizeof f, &pi, 1);

    assert_int_equal(n, BOOTP_AT + 320); /* 320 bytes of BOOTP, no padding */
    assert_memory_equal(f + OPTS_AT, want, sizeof want);
    assert_int_equal(f[14 + 8], 128);                         /* TTL */
    assert_int_equal(f[14 + 20 + 6] | f[14 + 20 + 7], 0);     /* UDP checksum 0 */
    assert_int_equal(f[BOOTP_AT + 3], 0);                     /* hops */
    assert_int_equal(f[BOOTP_AT + 10] | f[BOOTP_AT + 11], 0); /* no broadcast flag */
    assert_int_equal(f[BOOTP_AT + 8] | f[BOOTP_AT + 9], 0);   /* secs */
    static const uint8_t xid[4] = { 0x26, 0xf3, 0x03, 0x39 };
    assert_memory_equal(f + BOOTP_AT + 4, xid, 4);
    assert_memory_equal(f + BOOTP_AT + 28, pi.mac, 6);
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    assert_memory_equal(f, bcast, 6);
    assert_int_equal(pisim_ip_checksum(f + 14, 20, 0), 0); /* IP header sums */
}

static void test_bootcode_discover_adds_1_and_3_and_the_serial(void **state)
{
    (void)state;
    struct pi pi;
    uint8_t f[1024];
    pi_as(&pi, PI_3B, DC_BOOTCODE, 0x5564247d);
    size_t n = dhcp_build(f, sizeof f, &pi, 1);
    assert_int_equal(n, BOOTP_AT + 322); /* the length of the public capture */
    const uint8_t *o = f + OPTS_AT + 3;
    assert_int_equal(o[0], 55);
    assert_int_equal(o[1], 14);
    assert_int_equal(o[14], 1);
    assert_int_equal(o[15], 3);
    /* 0x00 + serial LE four times: 0.125.36.100.85 ... as tcpdump shows it */
    const uint8_t *g = f + OPTS_AT + 3 + 16 + 4 + 5;
    static const uint8_t guid[19] = { 0x61, 0x11, 0x00, 0x7d, 0x24, 0x64, 0x55, 0x7d, 0x24, 0x64,
                                      0x55, 0x7d, 0x24, 0x64, 0x55, 0x7d, 0x24, 0x64, 0x55 };
    assert_memory_equal(g, guid, sizeof guid);
}

static void test_pi4_option_97_says_rpi4(void **state)
{
    (void)state;
    struct pi pi;
    uint8_t f[1024];
    struct dhcp_reply r;
    pi_as(&pi, PI_4, DC_PI4, 0x5ca1ab03);
    size_t n = dhcp_build(f, sizeof f, &pi, 1);
    const uint8_t *g = f + OPTS_AT + 3 + 16 + 4 + 5;
    assert_true(n > 0);
    assert_int_equal(g[0], 97);
    assert_int_equal(g[1], 17);
    assert_memory_equal(g + 3, "RPi4", 4);
    assert_memory_equal(g + 11, pi.mac + 2, 4);
    static const uint8_t serial_le[4] = { 0x03, 0xab, 0xa1, 0x5c };
    assert_memory_equal(g + 15, serial_le, 4);
    /* a request frame is not a reply: the parser refuses it */
    assert_int_equal(dhcp_parse_frame(f, n, &r), -1);
}

static void test_os_client_is_ordinary(void **state)
{
    (void)state;
    struct pi pi;
    uint8_t f[1024];
    pi_as(&pi, PI_3B, DC_OS, 0x5ca1ab01);
    pi.dhcp.offered.s_addr = htonl(0x0a630002);
    pi.dhcp.server_id.s_addr = htonl(0x0a630001);
    size_t n = dhcp_build(f, sizeof f, &pi, 3);
    assert_true(n >= BOOTP_AT + 300);
    assert_null(memmem(f + OPTS_AT, n - OPTS_AT, "PXEClient", 9));
    assert_int_equal(f[14 + 8], 64);
    /* a correct UDP checksum over the pseudo-header (0.0.0.0 -> ones) */
    size_t udp_len = n - 14 - 20;
    assert_int_equal(pisim_ip_checksum(f + 34, udp_len, 0xffff + 0xffff + 17 + (uint32_t)udp_len),
                     0);
    static const uint8_t req[6] = { 50, 4, 10, 99, 0, 2 };
    assert_non_null(memmem(f + OPTS_AT, n - OPTS_AT, req, sizeof req));
}

/* An OFFER frame as a server sends it, with option 43 holding menu. */
static size_t offer(uint8_t *f, const char *menu, size_t menu_len, bool opt66_after)
{
    struct pi pi;
    uint8_t o[256];
    size_t k = 0, item = 3 + menu_len;
    pi_as(&pi, PI_3B, DC_ROM_3B, 1);
    size_t n = dhcp_build(f, 1024, &pi, 1);
    f[BOOTP_AT] = 2; /* op: reply */
    uint8_t yi[4] = { 10, 99, 0, 2 }, src[4] = { 10, 99, 0, 1 };
    memcpy(f + BOOTP_AT + 16, yi, 4);
    memcpy(f + 14 + 12, src, 4);
    o[k++] = 53;
    o[k++] = 1;
    o[k++] = 2;
    if (!opt66_after) {
        memcpy(o + k,
               "\x42\x09"
               "10.99.9.9",
               11);
        k += 11;
    }
    o[k++] = 43;
    o[k++] = (uint8_t)(3 + 6 + 2 + item + 1);
    memcpy(o + k, "\x06\x01\x03\x0a\x04\x00PXE", 9);
    k += 9;
    o[k++] = 9;
    o[k++] = (uint8_t)item;
    o[k++] = 0;
    o[k++] = 0;
    o[k++] = (uint8_t)menu_len;
    memcpy(o + k, menu, menu_len);
    k += menu_len;
    o[k++] = 0xff;
    if (opt66_after) {
        memcpy(o + k,
               "\x42\x09"
               "10.99.9.9",
               11);
        k += 11;
    }
    o[k++] = 0xff;
    memcpy(f + OPTS_AT, o, k);
    n = OPTS_AT + k;
    size_t udp_len = n - 34, ip_len = n - 14;
    f[14 + 34 - 14 + 4] = (uint8_t)(udp_len >> 8);
    f[14 + 34 - 14 + 5] = (uint8_t)udp_len;
    f[14 + 2] = (uint8_t)(ip_len >> 8);
    f[14 + 3] = (uint8_t)ip_len;
    f[14 + 20 + 1] = 67;
    f[14 + 20 + 3] = 68;
    return n;
}

static void test_3b_wants_three_spaces_others_do_not(void **state)
{
    (void)state;
    uint8_t f[1024];
    struct dhcp_reply r;
    char why[160];
    size_t n = offer(f, "Raspberry Pi Boot   ", 20, false);
    assert_int_equal(dhcp_parse_frame(f, n, &r), 0);
    assert_int_equal(r.msg_type, 2);
    assert_true(dhcp_menu_ok(DC_ROM_3B, r.opt43, r.opt43_len, why, sizeof why));
    assert_true(dhcp_menu_ok(DC_ROM_3BPLUS, r.opt43, r.opt43_len, why, sizeof why));

    n = offer(f, "Raspberry Pi Boot", 17, false);
    assert_int_equal(dhcp_parse_frame(f, n, &r), 0);
    assert_false(dhcp_menu_ok(DC_ROM_3B, r.opt43, r.opt43_len, why, sizeof why));
    assert_non_null(strstr(why, "three spaces"));
    assert_true(dhcp_menu_ok(DC_ROM_3BPLUS, r.opt43, r.opt43_len, why, sizeof why));
    assert_true(dhcp_menu_ok(DC_PI4, r.opt43, r.opt43_len, why, sizeof why));

    n = offer(f, "Other Boot", 10, false);
    assert_int_equal(dhcp_parse_frame(f, n, &r), 0);
    assert_false(dhcp_menu_ok(DC_PI4, r.opt43, r.opt43_len, why, sizeof why));
}

static void test_option_66_wins_only_when_last(void **state)
{
    (void)state;
    uint8_t f[1024];
    struct dhcp_reply r;
    assert_int_equal(dhcp_parse_frame(f, offer(f, "Raspberry Pi Boot   ", 20, true), &r), 0);
    assert_true(r.has_tftp66 && r.tftp66_after_43);
    assert_int_equal(ntohl(r.tftp66.s_addr), 0x0a630909);
    assert_int_equal(dhcp_parse_frame(f, offer(f, "Raspberry Pi Boot   ", 20, false), &r), 0);
    assert_true(r.has_tftp66);
    assert_false(r.tftp66_after_43);
}

static void test_malformed_replies_are_refused(void **state)
{
    (void)state;
    uint8_t f[1024];
    struct dhcp_reply r;
    size_t n = offer(f, "Raspberry Pi Boot   ", 20, false);
    assert_int_equal(dhcp_parse_frame(f, 100, &r), -1); /* truncated */
    f[OPTS_AT + 1] = 2;                                 /* option 53 of length 2 */
    assert_int_equal(dhcp_parse_frame(f, n, &r), -1);
    n = offer(f, "Raspberry Pi Boot   ", 20, false);
    f[14 + 6] = 0x20; /* a fragment */
    assert_int_equal(dhcp_parse_frame(f, n, &r), -1);
}

static void test_oack(void **state)
{
    (void)state;
    uint64_t tsize = 0;
    unsigned blksize = 512;
    static const char ok[] = "tsize\0"
                             "2973536\0"
                             "blksize\0"
                             "1468";
    assert_int_equal(tftp_parse_oack((const uint8_t *)ok, sizeof ok, &tsize, &blksize), 0);
    assert_int_equal(tsize, 2973536);
    assert_int_equal(blksize, 1468);
    static const char unasked[] = "windowsize\0"
                                  "4";
    assert_int_equal(tftp_parse_oack((const uint8_t *)unasked, sizeof unasked, &tsize, &blksize),
                     -1);
    static const char cut[] = { 't', 's', 'i', 'z', 'e', 0, '1' };
    assert_int_equal(tftp_parse_oack((const uint8_t *)cut, sizeof cut, &tsize, &blksize), -1);
    static const char tiny[] = "blksize\0"
                               "7";
    assert_int_equal(tftp_parse_oack((const uint8_t *)tiny, sizeof tiny, &tsize, &blksize), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rom_3b_discover_is_the_documented_one),
        cmocka_unit_test(test_bootcode_discover_adds_1_and_3_and_the_serial),
        cmocka_unit_test(test_pi4_option_97_says_rpi4),
        cmocka_unit_test(test_os_client_is_ordinary),
        cmocka_unit_test(test_3b_wants_three_spaces_others_do_not),
        cmocka_unit_test(test_option_66_wins_only_when_last),
        cmocka_unit_test(test_malformed_replies_are_refused),
        cmocka_unit_test(test_oack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
