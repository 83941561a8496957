/* pisim: the Pi's TFTP client, one transfer at a time per Pi.
 *
 * Lock-step like the firmware: one ACK per DATA, no windowsize.  The
 * server's port (its TID) is taken from its first answer; packets from any
 * other address or port are ignored.  A probe reads the OACK and block 1
 * and then sends ERROR 0 "Early terminate", as start.elf does.
 *
 * Time is the Pi's: a datagram counts from when it reached the Pi's
 * interface (net_recv_stamped), so a deadline that passed before it came
 * goes off first, and one that pisim's single thread reads late does not. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "pisim.h"

enum {
    OP_RRQ = 1,
    OP_DATA = 3,
    OP_ACK = 4,
    OP_ERROR = 5,
    OP_OACK = 6
};

const char *xfer_result_name(enum xfer_result r)
{
    switch (r) {
    case XR_NONE:
        return "none";
    case XR_OK:
        return "ok";
    case XR_PROBED:
        return "probed";
    case XR_ABSENT:
        return "absent";
    case XR_ERROR:
        return "error";
    case XR_TIMEOUT:
        return "timeout";
    }
    return "?";
}

void xfer_reset(struct xfer *x)
{
    free(x->text);
    memset(x, 0, sizeof *x);
    x->fd = -1;
}

void xfer_close(struct pi *pi)
{
    struct xfer *x = &pi->xfer;
    if (x->fd >= 0) {
        pisim_unwatch(pi->sim, x->fd);
        close(x->fd);
        x->fd = -1;
    }
}

static bool keeps_text(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    return strcmp(base, "config.txt") == 0 || strcmp(base, "cmdline.txt") == 0;
}

static void send_last(struct pi *pi)
{
    struct xfer *x = &pi->xfer;
    /* A lost send is a lost packet: the timer retransmits. */
    (void)sendto(x->fd, x->last, x->last_len, 0, (const struct sockaddr *)&x->server,
                 sizeof x->server);
    x->sends++;
}

static size_t put_str(uint8_t *p, size_t at, size_t cap, const char *s)
{
    size_t n = strlen(s) + 1;
    if (at + n > cap)
        return cap + 1;
    memcpy(p + at, s, n);
    return at + n;
}

static int build_rrq(struct xfer *x)
{
    char num[16];
    size_t at = 2, cap = sizeof x->last;
    x->last[0] = 0;
    x->last[1] = OP_RRQ;
    at = put_str(x->last, at, cap, x->path);
    if (at <= cap)
        at = put_str(x->last, at, cap, "octet");
    if (x->opt_tsize && at <= cap) {
        at = put_str(x->last, at, cap, "tsize");
        if (at <= cap)
            at = put_str(x->last, at, cap, "0");
    }
    if (x->opt_blksize && at <= cap) {
        snprintf(num, sizeof num, "%u", x->opt_blksize);
        at = put_str(x->last, at, cap, "blksize");
        if (at <= cap)
            at = put_str(x->last, at, cap, num);
    }
    if (at > cap)
        return -ENAMETOOLONG;
    x->last_len = at;
    return 0;
}

int xfer_start(struct pi *pi)
{
    struct xfer *x = &pi->xfer;
    int rc = build_rrq(x);
    if (rc < 0)
        return rc;
    x->fd = net_udp_open(pi, x->fixed_port ? PISIM_ROM_TFTP_PORT : 0);
    if (x->fd < 0)
        return x->fd;
    struct sockaddr_in local;
    socklen_t sl = sizeof local;
    if (getsockname(x->fd, (struct sockaddr *)&local, &sl) == 0)
        x->local_port = ntohs(local.sin_port);
    rc = pisim_watch(pi->sim, x->fd, pi, TAG_UDP);
    if (rc < 0) {
        close(x->fd);
        x->fd = -1;
        return rc;
    }
    x->server.sin_family = AF_INET;
    x->server.sin_port = htons(69);
    x->server.sin_addr = pi->tftp_server;
    x->blksize = 512;
    x->next_block = 1;
    x->hash = 1469598103934665603ull;
    x->started_ms = pisim_now_ms();
    x->deadline_ms = x->started_ms + x->timing.first_ms;
    x->sends = 0;
    send_last(pi);
    return 0;
}

static void set_ack(struct xfer *x, uint16_t block)
{
    x->last[0] = 0;
    x->last[1] = OP_ACK;
    x->last[2] = (uint8_t)(block >> 8);
    x->last[3] = (uint8_t)block;
    x->last_len = 4;
    x->sends = 0;
}

static void send_error(struct pi *pi, uint16_t code, const char *msg)
{
    struct xfer *x = &pi->xfer;
    uint8_t p[128];
    size_t n = strlen(msg) + 1;
    p[0] = 0;
    p[1] = OP_ERROR;
    p[2] = (uint8_t)(code >> 8);
    p[3] = (uint8_t)code;
    memcpy(p + 4, msg, n);
    (void)sendto(x->fd, p, 4 + n, 0, (const struct sockaddr *)&x->server, sizeof x->server);
}

static bool finish(struct xfer *x, enum xfer_result r, const char *msg)
{
    x->result = r;
    if (msg)
        snprintf(x->err_msg, sizeof x->err_msg, "%s", msg);
    return true;
}

static bool on_oack(struct pi *pi, const uint8_t *p, size_t len)
{
    struct xfer *x = &pi->xfer;
    uint64_t tsize = 0;
    unsigned blksize = 512;
    if (x->got_oack && x->next_block == 1) {
        send_last(pi); /* the server missed our ACK 0: again */
        return false;
    }
    if (x->got_oack || x->next_block != 1 || (!x->opt_tsize && !x->opt_blksize)) {
        send_error(pi, 8, "Unexpected OACK");
        return finish(x, XR_ERROR,
                      x->next_block != 1 ? "OACK after DATA" : "OACK to a request without options");
    }
    if (tftp_parse_oack(p + 2, len - 2, &tsize, &blksize) < 0 ||
        (x->opt_blksize && blksize > x->opt_blksize) || (!x->opt_blksize && blksize != 512)) {
        send_error(pi, 8, "Bad option");
        return finish(x, XR_ERROR, "malformed OACK");
    }
    x->got_oack = true;
    x->tsize = tsize;
    x->blksize = blksize;
    set_ack(x, 0);
    send_last(pi);
    x->deadline_ms = pisim_now_ms() + x->timing.block_ms;
    return false;
}

static void keep_content(struct xfer *x, const uint8_t *d, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        x->hash ^= d[i];
        x->hash *= 1099511628211ull;
    }
    if (!keeps_text(x->path) || x->text_len >= PISIM_TEXT_MAX)
        return;
    if (!x->text) {
        x->text = malloc(PISIM_TEXT_MAX + 1);
        if (!x->text)
            return;
    }
    size_t room = PISIM_TEXT_MAX - x->text_len;
    size_t take = n < room ? n : room;
    memcpy(x->text + x->text_len, d, take);
    x->text_len += take;
    x->text[x->text_len] = '\0';
}

static bool on_data(struct pi *pi, const uint8_t *p, size_t len)
{
    struct xfer *x = &pi->xfer;
    uint16_t block = (uint16_t)(p[2] << 8 | p[3]);
    uint16_t want = (uint16_t)x->next_block;
    size_t n = len - 4;

    if (block == (uint16_t)(want - 1) && x->next_block > 1) {
        send_last(pi); /* our ACK was lost: say it again */
        return false;
    }
    if (block != want)
        return false;
    if (n > x->blksize) {
        send_error(pi, 4, "Block too large");
        return finish(x, XR_ERROR, "DATA larger than the block size");
    }
    keep_content(x, p + 4, n);
    x->bytes += n;
    if (x->kind == XK_PROBE) {
        send_error(pi, 0, "Early terminate");
        return finish(x, XR_PROBED, NULL);
    }
    set_ack(x, block);
    send_last(pi);
    if (n < x->blksize)
        return finish(x, XR_OK, NULL);
    x->next_block++;
    if (!x->rollover && x->next_block > 65535)
        return finish(x, XR_ERROR, "file over 65535 blocks: this bootloader cannot roll over");
    x->deadline_ms = pisim_now_ms() + x->timing.block_ms;
    return false;
}

bool xfer_input(struct pi *pi, const uint8_t *p, size_t len, const struct sockaddr_in *from,
                uint64_t arrived_ms)
{
    struct xfer *x = &pi->xfer;
    if (x->result != XR_NONE)
        return false;
    /* A deadline that passed before this datagram came went off first. */
    if (xfer_timer(pi, arrived_ms))
        return true;
    if (len < 4 || from->sin_addr.s_addr != x->server.sin_addr.s_addr)
        return false;
    if (x->tid_known && from->sin_port != x->server.sin_port)
        return false; /* another TID: not our transfer */
    uint16_t op = (uint16_t)(p[0] << 8 | p[1]);
    if (!x->answered) {
        x->answered = true;
        x->answered_ms = arrived_ms;
    }
    if (!x->tid_known && (op == OP_DATA || op == OP_OACK)) {
        x->tid_known = true;
        x->server.sin_port = from->sin_port;
    }
    switch (op) {
    case OP_OACK:
        return on_oack(pi, p, len);
    case OP_DATA:
        return on_data(pi, p, len);
    case OP_ERROR: {
        x->err_code = (uint16_t)(p[2] << 8 | p[3]);
        size_t mlen = strnlen((const char *)p + 4, len - 4);
        char msg[64];
        size_t take = mlen < sizeof msg - 1 ? mlen : sizeof msg - 1;
        for (size_t i = 0; i < take; i++)
            msg[i] = (p[4 + i] >= 0x20 && p[4 + i] < 0x7f) ? (char)p[4 + i] : '?';
        msg[take] = '\0';
        return finish(x, x->err_code == 1 ? XR_ABSENT : XR_ERROR, msg);
    }
    default:
        return false;
    }
}

bool xfer_timer(struct pi *pi, uint64_t at)
{
    struct xfer *x = &pi->xfer;
    char msg[96];
    if (x->result != XR_NONE)
        return true;
    if (x->timing.file_ms && at >= x->started_ms + x->timing.file_ms) {
        snprintf(msg, sizeof msg, "file not complete in %u ms", x->timing.file_ms);
        return finish(x, XR_TIMEOUT, msg);
    }
    if (at < x->deadline_ms)
        return false;
    bool waiting_first = !x->tid_known;
    unsigned tries = waiting_first ? x->timing.rrq_tries : x->timing.block_tries;
    unsigned wait = waiting_first ? x->timing.first_ms : x->timing.block_ms;
    if (x->sends < tries) {
        send_last(pi); /* it leaves now, however late pisim is */
        x->deadline_ms = pisim_now_ms() + wait;
        return false;
    }
    if (waiting_first)
        snprintf(msg, sizeof msg, "no answer to the request in %u x %u ms", tries, wait);
    else
        snprintf(msg, sizeof msg, "stalled after block %u", x->next_block - 1);
    return finish(x, XR_TIMEOUT, msg);
}
