/* tftp codec and transfer state machine: exact bytes, option rules,
 * rollover, duplicate ACKs, windows, back-off. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "pirack/tftp.h"
#include "tftp/tftp_internal.h"

#define PKT(s) ((const uint8_t *)(s)), (sizeof(s) - 1)

static void parses_plain_rrq(void **state)
{
    (void)state;
    struct pr_tftp_packet p;
    assert_int_equal(pr_tftp_parse(PKT("\0\1bootcode.bin\0octet\0"), &p), 0);
    assert_int_equal(p.op, PR_TFTP_RRQ);
    assert_string_equal(p.filename, "bootcode.bin");
    assert_int_equal(p.mode, PR_TFTP_OCTET);
    assert_false(p.opt.has_blksize || p.opt.has_tsize || p.opt.has_timeout || p.opt.has_windowsize);
}

static void parses_options_case_insensitively(void **state)
{
    (void)state;
    struct pr_tftp_packet p;
    assert_int_equal(pr_tftp_parse(PKT("\0\1a/start.elf\0OCTET\0TSize\0"
                                       "0\0BLKSIZE\0"
                                       "1468\0"
                                       "timeout\0"
                                       "3\0windowsize\0"
                                       "8\0"),
                                   &p),
                     0);
    assert_string_equal(p.filename, "a/start.elf");
    assert_true(p.opt.has_tsize);
    assert_int_equal(p.opt.tsize, 0);
    assert_true(p.opt.has_blksize);
    assert_int_equal(p.opt.blksize, 1468);
    assert_int_equal(p.opt.timeout_s, 3);
    assert_int_equal(p.opt.windowsize, 8);
}

static void ignores_bad_and_unknown_options(void **state)
{
    (void)state;
    struct pr_tftp_packet p;
    /* blksize 7 is below the minimum, timeout 0 and 256 are out of range,
     * windowsize 0 is invalid, "multicast" is unknown, "x1" not a number. */
    assert_int_equal(pr_tftp_parse(PKT("\0\1f\0netascii\0blksize\0"
                                       "7\0timeout\0"
                                       "0\0"
                                       "timeout\0"
                                       "256\0windowsize\0"
                                       "0\0multicast\0\0"
                                       "tsize\0x1\0"),
                                   &p),
                     0);
    assert_int_equal(p.mode, PR_TFTP_NETASCII);
    assert_false(p.opt.has_blksize || p.opt.has_timeout || p.opt.has_windowsize || p.opt.has_tsize);
    /* Too large a blksize is lowered to the protocol's maximum; the
     * first occurrence of an option wins. */
    assert_int_equal(pr_tftp_parse(PKT("\0\1f\0octet\0blksize\0"
                                       "99999\0blksize\0"
                                       "512\0"),
                                   &p),
                     0);
    assert_int_equal(p.opt.blksize, PR_TFTP_BLKSIZE_MAX);
}

static void rejects_malformed(void **state)
{
    (void)state;
    struct pr_tftp_packet p;
    assert_int_equal(pr_tftp_parse(PKT("\0"), &p), PR_TFTP_EMALFORMED);
    assert_int_equal(pr_tftp_parse(PKT("\0\1file"), &p), PR_TFTP_EMALFORMED);
    assert_int_equal(pr_tftp_parse(PKT("\0\1file\0octet"), &p), PR_TFTP_EMALFORMED);
    assert_int_equal(pr_tftp_parse(PKT("\0\1\0octet\0"), &p), PR_TFTP_EMALFORMED);
    assert_int_equal(pr_tftp_parse(PKT("\0\1f\0mail\0"), &p), PR_TFTP_EBADMODE);
    assert_int_equal(pr_tftp_parse(PKT("\0\4\0\1\0"), &p), PR_TFTP_EMALFORMED);
    assert_int_equal(pr_tftp_parse(PKT("\0\4\0"), &p), PR_TFTP_EMALFORMED);
    assert_int_equal(pr_tftp_parse(PKT("\0\11\0\1"), &p), PR_TFTP_EMALFORMED);
    uint8_t longname[2 + 300 + 7];
    memset(longname, 'a', sizeof longname);
    longname[0] = 0;
    longname[1] = 1;
    longname[302] = 0;
    memcpy(longname + 303, "octe", 4);
    longname[306] = 0;
    assert_int_equal(pr_tftp_parse(longname, sizeof longname, &p), PR_TFTP_ETOOLONG);
}

static void parses_ack_error_data(void **state)
{
    (void)state;
    struct pr_tftp_packet p;
    assert_int_equal(pr_tftp_parse(PKT("\0\4\xff\xfe"), &p), 0);
    assert_int_equal(p.block, 0xfffe);
    assert_int_equal(pr_tftp_parse(PKT("\0\5\0\0Early terminate\0"), &p), 0);
    assert_int_equal(p.op, PR_TFTP_ERROR);
    assert_int_equal(p.errcode, 0);
    assert_string_equal(p.errmsg, "Early terminate");
    assert_int_equal(pr_tftp_parse(PKT("\0\5\0\1no nul\x1b"), &p), 0);
    assert_string_equal(p.errmsg, "no nul?");
    assert_int_equal(pr_tftp_parse(PKT("\0\3\0\2abc"), &p), 0);
    assert_int_equal(p.block, 2);
    assert_int_equal(p.data_len, 3);
    assert_memory_equal(p.data, "abc", 3);
}

static void encodes_exact_bytes(void **state)
{
    (void)state;
    uint8_t buf[128];
    struct pr_tftp_options o = {
        .has_blksize = true, .blksize = 1468, .has_tsize = true, .tsize = 2973536
    };
    static const char oack[] = "\0\6blksize\0"
                               "1468\0tsize\0"
                               "2973536\0";
    assert_int_equal(pr_tftp_encode_oack(buf, sizeof buf, &o), sizeof oack - 1);
    assert_memory_equal(buf, oack, sizeof oack - 1);
    static const char err[] = "\0\5\0\1file not found\0";
    assert_int_equal(pr_tftp_encode_error(buf, sizeof buf, 1, "file not found"), sizeof err - 1);
    assert_memory_equal(buf, err, sizeof err - 1);
    assert_int_equal(pr_tftp_encode_error(buf, 8, 1, "file not found"), -ENOSPC);
    struct pr_tftp_options none = { 0 };
    assert_int_equal(pr_tftp_encode_oack(buf, sizeof buf, &none), 0);
    assert_int_equal(pr_tftp_encode_data_header(buf, sizeof buf, 0x1234), 4);
    assert_memory_equal(buf, "\0\3\x12\x34", 4);
    assert_int_equal(pr_tftp_encode_ack(buf, sizeof buf, 0xbeef), 4);
    assert_memory_equal(buf, "\0\4\xbe\xef", 4);
    assert_int_equal(pr_tftp_encode_ack(buf, 3, 1), -ENOSPC);
    assert_int_equal(pr_tftp_encode_data_header(buf, 3, 1), -ENOSPC);
}

static void converts_netascii(void **state)
{
    (void)state;
    const uint8_t in[] = "a\nb\rc";
    uint8_t out[16];
    assert_int_equal(pr_tftp_netascii_encode(in, 5, NULL), 7);
    assert_int_equal(pr_tftp_netascii_encode(in, 5, out), 7);
    assert_memory_equal(out, "a\r\nb\r\0c", 7);
}

static void strips_client_prefixes(void **state)
{
    (void)state;
    struct pr_tftp_prefix_seen seen;
    assert_string_equal(pr_tftp_strip_prefix("1234ABcd/start.elf", NULL, &seen), "start.elf");
    assert_string_equal(seen.serial, "1234abcd");
    assert_string_equal(pr_tftp_strip_prefix("b8-27-eb-00-00-01/config.txt", "", &seen),
                        "config.txt");
    assert_string_equal(seen.mac, "b8-27-eb-00-00-01");
    assert_string_equal(pr_tftp_strip_prefix("rack7/kernel.img", "rack7", &seen), "kernel.img");
    assert_true(seen.prefix);
    assert_string_equal(pr_tftp_strip_prefix("overlays/x.dtbo", "rack7", &seen), "overlays/x.dtbo");
    assert_false(seen.prefix || seen.serial[0] || seen.mac[0]);
    assert_string_equal(pr_tftp_strip_prefix("1234abcd", NULL, &seen), "1234abcd");
    assert_string_equal(pr_tftp_strip_prefix("1234abcg/x", NULL, &seen), "1234abcg/x");
    assert_string_equal(pr_tftp_strip_prefix("1234abcd/", NULL, &seen), "1234abcd/");
}

/* ---- transfer state machine ---- */

static const struct pr_tftp_limits lim = {
    .max_blksize = 1468,
    .max_windowsize = 16,
    .timeout_ms = 1000,
    .max_timeout_ms = 4000,
    .max_retries = 3,
};

static struct pr_tftp_packet ack(uint16_t n)
{
    struct pr_tftp_packet p = { .op = PR_TFTP_ACK, .block = n };
    return p;
}

static void assert_act(struct pr_tftp_action a, enum pr_tftp_act_kind k, uint32_t first,
                       uint32_t count)
{
    assert_int_equal(a.kind, k);
    if (k == PR_ACT_DATA) {
        assert_int_equal(a.first, first);
        assert_int_equal(a.count, count);
    }
}

static void lockstep_without_options(void **state)
{
    (void)state;
    struct pr_tftp_xfer x;
    struct pr_tftp_packet req = { .op = PR_TFTP_RRQ };
    struct pr_tftp_packet a;
    assert_act(pr_tftp_xfer_start(&x, &req, 1000, &lim, 0), PR_ACT_DATA, 1, 1);
    assert_int_equal(x.blksize, 512);
    assert_int_equal(pr_tftp_xfer_block_len(&x, 1), 512);
    assert_int_equal(pr_tftp_xfer_block_len(&x, 2), 488);
    assert_int_equal(x.deadline_ms, 1000);
    a = ack(1);
    assert_act(pr_tftp_xfer_on_packet(&x, &a, 10), PR_ACT_DATA, 2, 1);
    /* The same ACK again (the client's timer fired): nothing is sent. */
    assert_act(pr_tftp_xfer_on_packet(&x, &a, 11), PR_ACT_NONE, 0, 0);
    a = ack(3); /* a block never sent */
    assert_act(pr_tftp_xfer_on_packet(&x, &a, 12), PR_ACT_NONE, 0, 0);
    a = ack(2);
    assert_act(pr_tftp_xfer_on_packet(&x, &a, 13), PR_ACT_DONE, 0, 0);
    assert_int_equal(x.state, PR_XFER_FINISHED);
}

static void exact_multiple_ends_with_empty_block(void **state)
{
    (void)state;
    struct pr_tftp_xfer x;
    struct pr_tftp_packet req = { .op = PR_TFTP_RRQ }, a;
    pr_tftp_xfer_start(&x, &req, 1024, &lim, 0);
    assert_int_equal(x.last_block, 3);
    assert_int_equal(pr_tftp_xfer_block_len(&x, 3), 0);
    a = ack(2);
    pr_tftp_xfer_on_packet(&x, &(struct pr_tftp_packet){ .op = PR_TFTP_ACK, .block = 1 }, 1);
    assert_act(pr_tftp_xfer_on_packet(&x, &a, 2), PR_ACT_DATA, 3, 1);
    a = ack(3);
    assert_act(pr_tftp_xfer_on_packet(&x, &a, 3), PR_ACT_DONE, 0, 0);
}

static void block_numbers_roll_over(void **state)
{
    (void)state;
    struct pr_tftp_xfer x;
    struct pr_tftp_packet req = { .op = PR_TFTP_RRQ }, a;
    uint64_t size = 70000ull * 512 + 100;
    pr_tftp_xfer_start(&x, &req, size, &lim, 0);
    assert_int_equal(x.last_block, 70001);
    struct pr_tftp_action act = { PR_ACT_DATA, 1, 1 };
    for (uint32_t n = 1; n < 70001; n++) {
        assert_int_equal(act.first, n);
        a = ack((uint16_t)n);
        act = pr_tftp_xfer_on_packet(&x, &a, n);
        assert_int_equal(act.kind, PR_ACT_DATA);
    }
    assert_int_equal(act.first, 70001);
    assert_int_equal(pr_tftp_xfer_block_offset(&x, 65536), 65535ull * 512);
    assert_int_equal(pr_tftp_xfer_block_len(&x, 70001), 100);
    a = ack((uint16_t)70001);
    assert_act(pr_tftp_xfer_on_packet(&x, &a, 70001), PR_ACT_DONE, 0, 0);
}

static void oack_then_ack_zero(void **state)
{
    (void)state;
    struct pr_tftp_xfer x;
    struct pr_tftp_packet req = { .op = PR_TFTP_RRQ,
                                  .opt = { .has_tsize = true,
                                           .has_blksize = true,
                                           .blksize = 65464 } },
                          a;
    assert_act(pr_tftp_xfer_start(&x, &req, 52460, &lim, 0), PR_ACT_OACK, 0, 0);
    assert_true(x.oack.has_tsize);
    assert_int_equal(x.oack.tsize, 52460);
    assert_int_equal(x.oack.blksize, 1468); /* the limit's bound */
    a = ack(1);
    assert_act(pr_tftp_xfer_on_packet(&x, &a, 1), PR_ACT_NONE, 0, 0);
    a = ack(0);
    assert_act(pr_tftp_xfer_on_packet(&x, &a, 2), PR_ACT_DATA, 1, 1);
    /* A repeated ACK 0 after data started is a duplicate. */
    assert_act(pr_tftp_xfer_on_packet(&x, &a, 3), PR_ACT_NONE, 0, 0);
}

static void windows_and_partial_acks(void **state)
{
    (void)state;
    struct pr_tftp_xfer x;
    struct pr_tftp_packet req = { .op = PR_TFTP_RRQ,
                                  .opt = { .has_windowsize = true, .windowsize = 4 } },
                          a;
    pr_tftp_xfer_start(&x, &req, 512 * 9 + 1, &lim, 0);
    a = ack(0);
    assert_act(pr_tftp_xfer_on_packet(&x, &a, 1), PR_ACT_DATA, 1, 4);
    a = ack(2); /* blocks 3 and 4 were lost: go on from 3 */
    assert_act(pr_tftp_xfer_on_packet(&x, &a, 2), PR_ACT_DATA, 3, 4);
    a = ack(6);
    assert_act(pr_tftp_xfer_on_packet(&x, &a, 3), PR_ACT_DATA, 7, 4);
    a = ack(10);
    assert_act(pr_tftp_xfer_on_packet(&x, &a, 4), PR_ACT_DONE, 0, 0);
    /* A window never exceeds the limit. */
    req.opt.windowsize = 1000;
    pr_tftp_xfer_start(&x, &req, 1 << 20, &lim, 0);
    assert_int_equal(x.windowsize, 16);
}

static void retransmits_with_backoff_then_gives_up(void **state)
{
    (void)state;
    struct pr_tftp_xfer x;
    struct pr_tftp_packet req = { .op = PR_TFTP_RRQ }, a;
    pr_tftp_xfer_start(&x, &req, 5000, &lim, 0);
    a = ack(1);
    pr_tftp_xfer_on_packet(&x, &a, 100);
    assert_int_equal(x.deadline_ms, 1100);
    assert_act(pr_tftp_xfer_on_timeout(&x, 1100), PR_ACT_DATA, 2, 1);
    assert_int_equal(x.deadline_ms, 3100);
    assert_act(pr_tftp_xfer_on_timeout(&x, 3100), PR_ACT_DATA, 2, 1);
    assert_int_equal(x.deadline_ms, 7100);
    assert_act(pr_tftp_xfer_on_timeout(&x, 7100), PR_ACT_DATA, 2, 1);
    assert_int_equal(x.deadline_ms, 11100); /* capped at 4000 */
    assert_act(pr_tftp_xfer_on_timeout(&x, 11100), PR_ACT_TIMED_OUT, 0, 0);
    /* An ACK resets the back-off. */
    pr_tftp_xfer_start(&x, &req, 5000, &lim, 0);
    pr_tftp_xfer_on_timeout(&x, 1000);
    a = ack(1);
    pr_tftp_xfer_on_packet(&x, &a, 1500);
    assert_int_equal(x.deadline_ms, 2500);
    assert_int_equal(x.retries, 0);
}

static void client_error_ends_quietly(void **state)
{
    (void)state;
    struct pr_tftp_xfer x;
    struct pr_tftp_packet req = { .op = PR_TFTP_RRQ, .opt = { .has_tsize = true } };
    struct pr_tftp_packet err = { .op = PR_TFTP_ERROR, .errcode = 0 };
    pr_tftp_xfer_start(&x, &req, 5000, &lim, 0);
    assert_act(pr_tftp_xfer_on_packet(&x, &err, 1), PR_ACT_PEER_ERROR, 0, 0);
    assert_act(pr_tftp_xfer_on_timeout(&x, 5000), PR_ACT_NONE, 0, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_plain_rrq),
        cmocka_unit_test(parses_options_case_insensitively),
        cmocka_unit_test(ignores_bad_and_unknown_options),
        cmocka_unit_test(rejects_malformed),
        cmocka_unit_test(parses_ack_error_data),
        cmocka_unit_test(encodes_exact_bytes),
        cmocka_unit_test(converts_netascii),
        cmocka_unit_test(strips_client_prefixes),
        cmocka_unit_test(lockstep_without_options),
        cmocka_unit_test(exact_multiple_ends_with_empty_block),
        cmocka_unit_test(block_numbers_roll_over),
        cmocka_unit_test(oack_then_ack_zero),
        cmocka_unit_test(windows_and_partial_acks),
        cmocka_unit_test(retransmits_with_backoff_then_gives_up),
        cmocka_unit_test(client_error_ends_quietly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
