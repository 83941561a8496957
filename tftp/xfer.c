/* The state machine of one read transfer.  No I/O: it is told about
 * packets and time and answers with the blocks to send.
 *
 * Blocks are counted from 1 in 32 bits; an ACK's 16-bit number is mapped
 * to the one block in the unacknowledged window that it can mean, which
 * makes rollover past 65535 free.  An ACK that acknowledges nothing new
 * (a duplicate, or one for a block not yet sent) causes no send: only the
 * deadline retransmits, so a duplicated ACK can never double the traffic
 * (the sorcerer's apprentice bug of RFC 1350). */
#include <string.h>
#include "pirack/tftp.h"
#include "tftp_internal.h"

#define DEFAULT_BLKSIZE 512

static uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

static void arm(struct pr_tftp_xfer *x, uint64_t now_ms)
{
    x->deadline_ms = now_ms + x->timeout_ms;
}

static struct pr_tftp_action send_window(struct pr_tftp_xfer *x, uint32_t first, uint64_t now_ms)
{
    uint32_t count = min_u32(x->windowsize, x->last_block - first + 1);
    x->sent = first + count - 1;
    arm(x, now_ms);
    return (struct pr_tftp_action){ PR_ACT_DATA, first, count };
}

static struct pr_tftp_action finish(struct pr_tftp_xfer *x, enum pr_tftp_act_kind kind)
{
    x->state = PR_XFER_FINISHED;
    x->deadline_ms = UINT64_MAX;
    return (struct pr_tftp_action){ kind, 0, 0 };
}

/* Options we answer in the OACK, bounded by lim. */
static void negotiate(struct pr_tftp_xfer *x, const struct pr_tftp_options *req, uint64_t size,
                      const struct pr_tftp_limits *lim)
{
    struct pr_tftp_options *o = &x->oack;
    memset(o, 0, sizeof *o);
    x->blksize = DEFAULT_BLKSIZE;
    x->windowsize = 1;
    if (req->has_blksize) {
        uint32_t cap = lim->max_blksize >= PR_TFTP_BLKSIZE_MIN ? lim->max_blksize : DEFAULT_BLKSIZE;
        o->has_blksize = true;
        o->blksize = min_u32(req->blksize, min_u32(cap, PR_TFTP_BLKSIZE_MAX));
        x->blksize = o->blksize;
    }
    if (req->has_tsize) {
        o->has_tsize = true;
        o->tsize = size;
    }
    if (req->has_timeout) {
        o->has_timeout = true;
        o->timeout_s = req->timeout_s;
        x->base_timeout_ms = req->timeout_s * 1000u;
    }
    if (req->has_windowsize) {
        uint32_t cap = lim->max_windowsize ? lim->max_windowsize : 1;
        o->has_windowsize = true;
        o->windowsize = min_u32(req->windowsize, min_u32(cap, PR_TFTP_WINDOW_MAX / 2));
        x->windowsize = o->windowsize;
    }
}

struct pr_tftp_action pr_tftp_xfer_start(struct pr_tftp_xfer *x, const struct pr_tftp_packet *req,
                                         uint64_t size, const struct pr_tftp_limits *lim,
                                         uint64_t now_ms)
{
    memset(x, 0, sizeof *x);
    x->size = size;
    x->started_ms = now_ms;
    x->base_timeout_ms = lim->timeout_ms ? lim->timeout_ms : 1000;
    x->max_retries = (uint16_t)(lim->max_retries ? lim->max_retries : 6);
    negotiate(x, &req->opt, size, lim);
    x->max_timeout_ms =
        lim->max_timeout_ms > x->base_timeout_ms ? lim->max_timeout_ms : x->base_timeout_ms;
    x->timeout_ms = x->base_timeout_ms;
    x->last_block = (uint32_t)(size / x->blksize + 1);
    if (x->oack.has_blksize || x->oack.has_tsize || x->oack.has_timeout || x->oack.has_windowsize) {
        x->state = PR_XFER_OACK_SENT;
        arm(x, now_ms);
        return (struct pr_tftp_action){ PR_ACT_OACK, 0, 0 };
    }
    x->state = PR_XFER_DATA;
    return send_window(x, 1, now_ms);
}

static struct pr_tftp_action on_ack(struct pr_tftp_xfer *x, uint16_t wire, uint64_t now_ms)
{
    struct pr_tftp_action none = { PR_ACT_NONE, 0, 0 };
    if (x->state == PR_XFER_OACK_SENT) {
        if (wire != 0)
            return none;
        x->state = PR_XFER_DATA;
        x->retries = 0;
        x->timeout_ms = x->base_timeout_ms;
        return send_window(x, 1, now_ms);
    }
    uint32_t n = x->acked + (uint16_t)(wire - (uint16_t)x->acked);
    if (n == x->acked || n > x->sent)
        return none; /* duplicate, or not sent yet */
    x->acked = n;
    x->retries = 0;
    x->timeout_ms = x->base_timeout_ms;
    if (n == x->last_block)
        return finish(x, PR_ACT_DONE);
    /* A whole window acknowledged, or part of one (RFC 7440: the client
     * saw a gap); either way the next window starts after n. */
    return send_window(x, n + 1, now_ms);
}

struct pr_tftp_action pr_tftp_xfer_on_packet(struct pr_tftp_xfer *x, const struct pr_tftp_packet *p,
                                             uint64_t now_ms)
{
    if (x->state == PR_XFER_FINISHED)
        return (struct pr_tftp_action){ PR_ACT_NONE, 0, 0 };
    if (p->op == PR_TFTP_ERROR)
        return finish(x, PR_ACT_PEER_ERROR);
    if (p->op == PR_TFTP_ACK)
        return on_ack(x, p->block, now_ms);
    return (struct pr_tftp_action){ PR_ACT_NONE, 0, 0 };
}

struct pr_tftp_action pr_tftp_xfer_on_timeout(struct pr_tftp_xfer *x, uint64_t now_ms)
{
    if (x->state == PR_XFER_FINISHED)
        return (struct pr_tftp_action){ PR_ACT_NONE, 0, 0 };
    if (x->retries >= x->max_retries)
        return finish(x, PR_ACT_TIMED_OUT);
    x->retries++;
    x->timeout_ms = min_u32(x->timeout_ms * 2, x->max_timeout_ms);
    arm(x, now_ms);
    if (x->state == PR_XFER_OACK_SENT)
        return (struct pr_tftp_action){ PR_ACT_OACK, 0, 0 };
    return (struct pr_tftp_action){ PR_ACT_DATA, x->acked + 1, x->sent - x->acked };
}

uint64_t pr_tftp_xfer_block_offset(const struct pr_tftp_xfer *x, uint32_t n)
{
    return (uint64_t)(n - 1) * x->blksize;
}

size_t pr_tftp_xfer_block_len(const struct pr_tftp_xfer *x, uint32_t n)
{
    if (n < x->last_block)
        return x->blksize;
    return (size_t)(x->size - pr_tftp_xfer_block_offset(x, n));
}
