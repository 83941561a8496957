/* tftp/sender: the frame that carried a TFTP request names its sender's
 * MAC, address and port; anything else (another port or protocol, an ACK,
 * a later fragment, a short or inconsistent header) is not taken for a request. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "daemon/tftp/tftp_internal.h"

static const uint8_t board[6] = { 0xb8, 0x27, 0xeb, 0x00, 0x00, 0x01 };

/* An RRQ frame from 10.99.0.2:sport to 10.99.0.1:69; returns its length. */
static size_t rrq(uint8_t *f, uint16_t sport, bool vlan)
{
    size_t o = 12;
    memset(f, 0, 128);
    memset(f, 0xff, 6);
    memcpy(f + 6, board, 6);
    if (vlan) {
        f[o++] = 0x81, f[o++] = 0x00, f[o++] = 0x00, f[o++] = 0x05;
    }
    f[o++] = 0x08, f[o++] = 0x00;
    uint8_t *ip = f + o;
    ip[0] = 0x45;
    ip[3] = 20 + 8 + 20; /* total length */
    ip[8] = 64, ip[9] = 17;
    ip[12] = 10, ip[13] = 99, ip[14] = 0, ip[15] = 2;
    ip[16] = 10, ip[17] = 99, ip[18] = 0, ip[19] = 1;
    uint8_t *udp = ip + 20;
    udp[0] = (uint8_t)(sport >> 8), udp[1] = (uint8_t)sport;
    udp[2] = 0, udp[3] = 69;
    udp[5] = 28;
    memcpy(udp + 8, "\0\1cmdline.txt\0octet\0", 20);
    return o + 48;
}

static void request_frame_names_its_sender(void **state)
{
    uint8_t f[128];
    struct pr_tftp_sender s;
    struct in_addr a;
    (void)state;
    inet_pton(AF_INET, "10.99.0.2", &a);
    for (int vlan = 0; vlan < 2; vlan++) {
        size_t n = rrq(f, 40000, vlan);
        assert_int_equal(pr_tftp_frame_sender(f, n, 69, &s), 0);
        assert_memory_equal(s.mac, board, 6);
        assert_int_equal(s.port, 40000);
        assert_true(pr_tftp_sender_is(&s, a, 40000));
        assert_false(pr_tftp_sender_is(&s, a, 40001));
    }
}

static void anything_else_is_not_a_request(void **state)
{
    uint8_t f[128];
    struct pr_tftp_sender s;
    size_t n = rrq(f, 40000, false);
    (void)state;
    assert_int_equal(pr_tftp_frame_sender(f, n, 1069, &s), -EINVAL); /* another port */
    for (size_t cut = 0; cut < n - 20; cut++) /* the IP total length runs past the frame */
        assert_int_equal(pr_tftp_frame_sender(f, cut, 69, &s), -EINVAL);
    rrq(f, 40000, false);
    f[14 + 20 + 9] = 4; /* an ACK: transfers share the port */
    assert_int_equal(pr_tftp_frame_sender(f, n, 69, &s), -EINVAL);
    rrq(f, 40000, false);
    f[14 + 9] = 6; /* TCP */
    assert_int_equal(pr_tftp_frame_sender(f, n, 69, &s), -EINVAL);
    rrq(f, 40000, false);
    f[14 + 7] = 0x10; /* a later fragment: its first bytes are no UDP header */
    assert_int_equal(pr_tftp_frame_sender(f, n, 69, &s), -EINVAL);
    rrq(f, 40000, false);
    f[14] = 0x44; /* IHL 4 */
    assert_int_equal(pr_tftp_frame_sender(f, n, 69, &s), -EINVAL);
    rrq(f, 40000, false);
    f[12] = 0x86, f[13] = 0xdd; /* IPv6 */
    assert_int_equal(pr_tftp_frame_sender(f, n, 69, &s), -EINVAL);
    assert_int_equal(pr_tftp_frame_sender(NULL, 0, 69, &s), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(request_frame_names_its_sender),
        cmocka_unit_test(anything_else_is_not_a_request),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
