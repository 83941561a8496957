/* libFuzzer target: the TFTP packet parser, option parsing, prefix
 * stripping, and the transfer state machine fed with parsed packets.
 * The first byte picks how the rest is used, so one corpus covers all. */
#include <stdint.h>
#include <string.h>
#include "pirack/tftp.h"
#include "tftp/tftp_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_request(const struct pr_tftp_packet *p)
{
    struct pr_tftp_prefix_seen seen;
    const char *rest = pr_tftp_strip_prefix(p->filename, "prefix", &seen);
    if (strlen(rest) > strlen(p->filename))
        __builtin_trap();
    uint8_t out[600];
    int n = pr_tftp_encode_oack(out, sizeof out, &p->opt);
    if (n > 0) {
        struct pr_tftp_packet back;
        if (pr_tftp_parse(out, (size_t)n, &back) != 0 || back.op != PR_TFTP_OACK ||
            back.opt.has_blksize != p->opt.has_blksize ||
            (p->opt.has_blksize && back.opt.blksize != p->opt.blksize))
            __builtin_trap();
    }
}

/* Runs a transfer of a size taken from the input against packets cut
 * from the rest of the input. */
static void drive_transfer(const uint8_t *data, size_t size)
{
    if (size < 8)
        return;
    uint64_t fsize = 0;
    memcpy(&fsize, data, 4);
    fsize &= 0xffffff;
    struct pr_tftp_packet req = { .op = PR_TFTP_RRQ };
    req.opt.has_blksize = data[4] & 1;
    req.opt.blksize = 8 + data[5];
    req.opt.has_windowsize = data[4] & 2;
    req.opt.windowsize = 1 + data[6] % 8;
    req.opt.has_tsize = data[4] & 4;
    struct pr_tftp_limits lim = { .max_blksize = 1468,
                                  .max_windowsize = 8,
                                  .timeout_ms = 100,
                                  .max_timeout_ms = 400,
                                  .max_retries = 3 };
    struct pr_tftp_xfer x;
    uint64_t now = 0;
    pr_tftp_xfer_start(&x, &req, fsize, &lim, now);
    for (size_t at = 8; at + 4 <= size; at += 4) {
        struct pr_tftp_packet p;
        now += data[at] & 7;
        struct pr_tftp_action a;
        if (pr_tftp_parse(data + at, 4, &p) == 0)
            a = pr_tftp_xfer_on_packet(&x, &p, now);
        else
            a = pr_tftp_xfer_on_timeout(&x, now);
        if (a.kind == PR_ACT_DATA) {
            if (a.count == 0 || a.first == 0 || a.first + a.count - 1 > x.last_block ||
                a.count > x.windowsize)
                __builtin_trap();
            if (pr_tftp_xfer_block_offset(&x, a.first) + pr_tftp_xfer_block_len(&x, a.first) >
                fsize)
                __builtin_trap();
        }
        if (x.acked > x.sent || x.sent > x.last_block)
            __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] == 0xff) {
        drive_transfer(data + 1, size - 1);
        return 0;
    }
    struct pr_tftp_packet p;
    if (pr_tftp_parse(data, size, &p) == 0 && (p.op == PR_TFTP_RRQ || p.op == PR_TFTP_WRQ))
        check_request(&p);
    return 0;
}
