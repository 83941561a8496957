/* TFTP codec: datagram <-> struct pr_tftp_packet.  One cursor and a
 * remaining length; every string must end in a NUL inside the datagram. */
#include <stdio.h>
#include <string.h>
#include "pirack/tftp.h"
#include "tftp_internal.h"

struct cursor {
    const uint8_t *p;
    size_t left;
};

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}
static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* The next NUL-terminated string: its start and length; false when the
 * datagram ends before a NUL. */
static bool next_string(struct cursor *c, const char **s, size_t *len)
{
    const uint8_t *nul = memchr(c->p, 0, c->left);
    if (!nul)
        return false;
    *s = (const char *)c->p;
    *len = (size_t)(nul - c->p);
    c->p = nul + 1;
    c->left -= *len + 1;
    return true;
}

static bool ascii_ieq(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    if (alen != blen)
        return false;
    for (size_t i = 0; i < alen; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (x != y)
            return false;
    }
    return true;
}

/* A decimal option value: digits only, no sign, no overflow past max. */
static bool parse_decimal(const char *s, size_t len, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (len == 0 || len > 20)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

/* One option pair.  The first valid occurrence of an option wins; values
 * out of range are ignored, except blksize above the maximum, which the
 * server may lower (RFC 2348). */
static void apply_option(struct pr_tftp_options *o, const char *name, size_t nlen, const char *val,
                         size_t vlen)
{
    uint64_t v;
    if (ascii_ieq(name, nlen, "blksize")) {
        if (!o->has_blksize && parse_decimal(val, vlen, UINT64_MAX, &v) &&
            v >= PR_TFTP_BLKSIZE_MIN) {
            o->blksize = v > PR_TFTP_BLKSIZE_MAX ? PR_TFTP_BLKSIZE_MAX : (uint32_t)v;
            o->has_blksize = true;
        }
    } else if (ascii_ieq(name, nlen, "tsize")) {
        if (!o->has_tsize && parse_decimal(val, vlen, UINT64_MAX, &v)) {
            o->tsize = v;
            o->has_tsize = true;
        }
    } else if (ascii_ieq(name, nlen, "timeout")) {
        if (!o->has_timeout && parse_decimal(val, vlen, 255, &v) && v >= 1) {
            o->timeout_s = (uint32_t)v;
            o->has_timeout = true;
        }
    } else if (ascii_ieq(name, nlen, "windowsize")) {
        if (!o->has_windowsize && parse_decimal(val, vlen, PR_TFTP_WINDOW_MAX, &v) && v >= 1) {
            o->windowsize = (uint32_t)v;
            o->has_windowsize = true;
        }
    }
}

static int parse_request(struct cursor *c, struct pr_tftp_packet *out)
{
    const char *name, *mode;
    size_t nlen, mlen;
    if (!next_string(c, &name, &nlen) || !next_string(c, &mode, &mlen))
        return PR_TFTP_EMALFORMED;
    if (nlen == 0)
        return PR_TFTP_EMALFORMED;
    if (nlen >= PR_TFTP_PATH_MAX)
        return PR_TFTP_ETOOLONG;
    memcpy(out->filename, name, nlen);
    out->filename[nlen] = '\0';
    if (ascii_ieq(mode, mlen, "octet"))
        out->mode = PR_TFTP_OCTET;
    else if (ascii_ieq(mode, mlen, "netascii"))
        out->mode = PR_TFTP_NETASCII;
    else
        return PR_TFTP_EBADMODE;
    /* Option pairs; a trailing unpaired string is ignored, as many
     * clients pad requests. */
    for (int i = 0; i < PR_TFTP_OPTIONS_MAX && c->left > 0; i++) {
        const char *on, *ov;
        size_t onl, ovl;
        if (!next_string(c, &on, &onl) || !next_string(c, &ov, &ovl))
            break;
        apply_option(&out->opt, on, onl, ov, ovl);
    }
    return 0;
}

static void copy_printable(char *dst, size_t cap, const char *src, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < cap; i++) {
        char ch = src[i];
        dst[n++] = (ch >= 0x20 && ch <= 0x7e) ? ch : '?';
    }
    dst[n] = '\0';
}

static int parse_error(struct cursor *c, struct pr_tftp_packet *out)
{
    const char *msg;
    size_t mlen;
    if (c->left < 2)
        return PR_TFTP_EMALFORMED;
    out->errcode = get16(c->p);
    c->p += 2;
    c->left -= 2;
    /* Some clients omit the NUL after the message; take what is there. */
    if (!next_string(c, &msg, &mlen)) {
        msg = (const char *)c->p;
        mlen = c->left;
    }
    copy_printable(out->errmsg, sizeof out->errmsg, msg, mlen);
    return 0;
}

int pr_tftp_parse(const uint8_t *buf, size_t len, struct pr_tftp_packet *out)
{
    memset(out, 0, sizeof *out);
    if (len < 2)
        return PR_TFTP_EMALFORMED;
    struct cursor c = { buf + 2, len - 2 };
    uint16_t op = get16(buf);
    out->op = (enum pr_tftp_opcode)op;
    switch (op) {
    case PR_TFTP_RRQ:
    case PR_TFTP_WRQ:
        return parse_request(&c, out);
    case PR_TFTP_DATA:
    case PR_TFTP_ACK:
        if (c.left < 2)
            return PR_TFTP_EMALFORMED;
        out->block = get16(c.p);
        if (op == PR_TFTP_ACK)
            return c.left == 2 ? 0 : PR_TFTP_EMALFORMED;
        out->data = c.p + 2;
        out->data_len = c.left - 2;
        return 0;
    case PR_TFTP_ERROR:
        return parse_error(&c, out);
    case PR_TFTP_OACK: {
        /* Only clients receive OACKs; parse the pairs for test tools. */
        for (int i = 0; i < PR_TFTP_OPTIONS_MAX && c.left > 0; i++) {
            const char *on, *ov;
            size_t onl, ovl;
            if (!next_string(&c, &on, &onl) || !next_string(&c, &ov, &ovl))
                return PR_TFTP_EMALFORMED;
            apply_option(&out->opt, on, onl, ov, ovl);
        }
        return 0;
    }
    default:
        return PR_TFTP_EMALFORMED;
    }
}

int pr_tftp_encode_error(uint8_t *buf, size_t cap, uint16_t code, const char *msg)
{
    size_t mlen = strlen(msg);
    if (cap < 4 + mlen + 1)
        return -ENOSPC;
    put16(buf, PR_TFTP_ERROR);
    put16(buf + 2, code);
    memcpy(buf + 4, msg, mlen + 1);
    return (int)(4 + mlen + 1);
}

/* An ACK, or the four bytes in front of a DATA block: opcode, block. */
static int encode_block_header(uint8_t *buf, size_t cap, uint16_t opcode, uint16_t block)
{
    if (cap < 4)
        return -ENOSPC;
    put16(buf, opcode);
    put16(buf + 2, block);
    return 4;
}

int pr_tftp_encode_ack(uint8_t *buf, size_t cap, uint16_t block)
{
    return encode_block_header(buf, cap, PR_TFTP_ACK, block);
}

int pr_tftp_encode_data_header(uint8_t *buf, size_t cap, uint16_t block)
{
    return encode_block_header(buf, cap, PR_TFTP_DATA, block);
}

/* Appends "name\0value\0"; returns the new length or -ENOSPC. */
static int put_pair(uint8_t *buf, size_t cap, size_t at, const char *name, uint64_t value)
{
    char num[24];
    int vlen = snprintf(num, sizeof num, "%llu", (unsigned long long)value);
    size_t nlen = strlen(name);
    if (at + nlen + 1 + (size_t)vlen + 1 > cap)
        return -ENOSPC;
    memcpy(buf + at, name, nlen + 1);
    memcpy(buf + at + nlen + 1, num, (size_t)vlen + 1);
    return (int)(at + nlen + 1 + (size_t)vlen + 1);
}

static int put_options(uint8_t *buf, size_t cap, int at, const struct pr_tftp_options *o)
{
    if (at >= 0 && o->has_blksize)
        at = put_pair(buf, cap, (size_t)at, "blksize", o->blksize);
    if (at >= 0 && o->has_tsize)
        at = put_pair(buf, cap, (size_t)at, "tsize", o->tsize);
    if (at >= 0 && o->has_timeout)
        at = put_pair(buf, cap, (size_t)at, "timeout", o->timeout_s);
    if (at >= 0 && o->has_windowsize)
        at = put_pair(buf, cap, (size_t)at, "windowsize", o->windowsize);
    return at;
}

int pr_tftp_encode_oack(uint8_t *buf, size_t cap, const struct pr_tftp_options *opt)
{
    if (!opt->has_blksize && !opt->has_tsize && !opt->has_timeout && !opt->has_windowsize)
        return 0;
    if (cap < 2)
        return -ENOSPC;
    put16(buf, PR_TFTP_OACK);
    return put_options(buf, cap, 2, opt);
}

int pr_tftp_encode_request(uint8_t *buf, size_t cap, enum pr_tftp_opcode op, const char *filename,
                           const char *mode, const struct pr_tftp_options *opt)
{
    size_t flen = strlen(filename), mlen = strlen(mode);
    if (cap < 2 + flen + 1 + mlen + 1)
        return -ENOSPC;
    put16(buf, (uint16_t)op);
    memcpy(buf + 2, filename, flen + 1);
    memcpy(buf + 2 + flen + 1, mode, mlen + 1);
    int at = (int)(2 + flen + 1 + mlen + 1);
    return opt ? put_options(buf, cap, at, opt) : at;
}

size_t pr_tftp_netascii_encode(const uint8_t *in, size_t len, uint8_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t ch = in[i];
        if (ch == '\n') {
            if (out) {
                out[n] = '\r';
                out[n + 1] = '\n';
            }
            n += 2;
        } else if (ch == '\r') {
            if (out) {
                out[n] = '\r';
                out[n + 1] = '\0';
            }
            n += 2;
        } else {
            if (out)
                out[n] = ch;
            n++;
        }
    }
    return n;
}
