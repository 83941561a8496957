/* DHCPv4 codec: bytes to a typed message and back (RFC 2131, 2132, 3396).
 *
 * Decoding walks each option area with one cursor and the bytes that
 * remain, twice: the first pass validates every option's framing and adds
 * up the length of each code (a code that appears several times is one
 * option, concatenated, RFC 3396), the second copies the bytes into the
 * message's data area.  Then the options this server reads are checked
 * for their exact lengths, so a getter never sees a short value. */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

#include "pirack/dhcp.h"
#include "dhcp_internal.h"

/* Where an option area is, in the order RFC 2131 4.1 says to read them:
 * the options field, then file, then sname when option 52 says so. */
struct area {
    const uint8_t *p;
    size_t n;
    bool need_end;
};

struct collect {
    struct pr_dhcp_msg *m;
    uint16_t total[256];
    uint16_t filled[256];
    int16_t index[256]; /* into m->opts, -1 when not seen */
    bool copy;          /* second pass */
    int overload;       /* option 52's value; -1 when malformed */
    enum pr_dhcp_drop why;
};

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static int collect_one(struct collect *c, uint8_t code, const uint8_t *val, uint8_t len)
{
    struct pr_dhcp_msg *m = c->m;
    if (!c->copy) {
        if (c->index[code] < 0) {
            if (m->n_opts >= PR_DHCP_MAX_OPTS) {
                c->why = PR_DROP_TOO_MANY_OPTIONS;
                return -EBADMSG;
            }
            c->index[code] = (int16_t)m->n_opts;
            m->opts[m->n_opts++] = (struct pr_dhcp_opt){ .code = code };
        }
        c->total[code] = (uint16_t)(c->total[code] + len);
        return 0;
    }
    struct pr_dhcp_opt *o = &m->opts[c->index[code]];
    memcpy(m->data + o->off + c->filled[code], val, len);
    c->filled[code] = (uint16_t)(c->filled[code] + len);
    return 0;
}

/* One option area.  PAD is skipped, END stops; an option whose length
 * runs past the area is an error.  Option 52 found outside the options
 * field is ignored (it must not point to itself). */
static int walk_area(struct collect *c, const struct area *a, bool main_field)
{
    const uint8_t *p = a->p;
    size_t n = a->n;
    while (n > 0) {
        uint8_t code = p[0];
        if (code == PR_OPT_PAD) {
            p++;
            n--;
            continue;
        }
        if (code == PR_OPT_END)
            return 0;
        if (n < 2 || p[1] > n - 2) {
            c->why = PR_DROP_BAD_OPTION;
            return -EBADMSG;
        }
        uint8_t len = p[1];
        if (main_field && code == PR_OPT_OVERLOAD && !c->copy)
            c->overload = c->index[code] >= 0 || len != 1 ? -1 : p[2];
        if (main_field || code != PR_OPT_OVERLOAD) {
            int r = collect_one(c, code, p + 2, len);
            if (r < 0)
                return r;
        }
        p += 2 + (size_t)len;
        n -= 2 + (size_t)len;
    }
    if (a->need_end) {
        c->why = PR_DROP_BAD_OPTION;
        return -EBADMSG;
    }
    return 0;
}

static int walk_all(struct collect *c, const struct area areas[3], unsigned n_areas)
{
    for (unsigned i = 0; i < n_areas; i++) {
        int r = walk_area(c, &areas[i], i == 0);
        if (r < 0)
            return r;
    }
    return 0;
}

/* Exact lengths of the options that this server reads or that a client
 * may not get wrong.  min == max means exactly that; step > 1 means a
 * list of items of that size. */
struct opt_rule {
    uint8_t code;
    uint16_t min, max, step;
};
static const struct opt_rule rules[] = {
    { PR_OPT_SUBNET_MASK, 4, 4, 1 },    { PR_OPT_ROUTER, 4, 255, 4 },
    { PR_OPT_HOSTNAME, 1, 255, 1 },     { PR_OPT_BROADCAST, 4, 4, 1 },
    { PR_OPT_REQUESTED_IP, 4, 4, 1 },   { PR_OPT_LEASE_TIME, 4, 4, 1 },
    { PR_OPT_OVERLOAD, 1, 1, 1 },       { PR_OPT_MSG_TYPE, 1, 1, 1 },
    { PR_OPT_SERVER_ID, 4, 4, 1 },      { PR_OPT_PARAM_LIST, 1, 255, 1 },
    { PR_OPT_MAX_MSG_SIZE, 2, 2, 1 },   { PR_OPT_RENEWAL_TIME, 4, 4, 1 },
    { PR_OPT_REBINDING_TIME, 4, 4, 1 }, { PR_OPT_VENDOR_CLASS, 1, 255, 1 },
    { PR_OPT_CLIENT_ID, 2, 255, 1 },    { PR_OPT_CLIENT_ARCH, 2, 255, 2 },
    { PR_OPT_CLIENT_NDI, 3, 3, 1 },     { PR_OPT_CLIENT_UUID, 1, 255, 1 },
};

static int check_lengths(const struct pr_dhcp_msg *m)
{
    for (unsigned i = 0; i < m->n_opts; i++) {
        const struct pr_dhcp_opt *o = &m->opts[i];
        for (size_t k = 0; k < sizeof rules / sizeof rules[0]; k++) {
            const struct opt_rule *r = &rules[k];
            if (r->code != o->code)
                continue;
            if (o->len < r->min || o->len > r->max || o->len % r->step != 0)
                return -EBADMSG;
        }
    }
    return 0;
}

static int decode_header(const uint8_t *buf, size_t len, struct pr_dhcp_msg *m,
                         enum pr_dhcp_drop *why)
{
    if (len > PR_DHCP_MAX_LEN) {
        *why = PR_DROP_OVERLONG;
        return -EMSGSIZE;
    }
    if (len < PR_DHCP_MIN_LEN) {
        *why = PR_DROP_TRUNCATED;
        return -EBADMSG;
    }
    m->op = buf[0];
    m->htype = buf[1];
    m->hlen = buf[2];
    m->hops = buf[3];
    if (m->op != PR_BOOTREQUEST && m->op != PR_BOOTREPLY) {
        *why = PR_DROP_BAD_OP;
        return -EBADMSG;
    }
    if (m->htype != 1 || m->hlen != 6) {
        *why = PR_DROP_BAD_HTYPE;
        return -EBADMSG;
    }
    m->xid = rd32(buf + 4);
    m->secs = rd16(buf + 8);
    m->flags = rd16(buf + 10);
    memcpy(&m->ciaddr, buf + 12, 4);
    memcpy(&m->yiaddr, buf + 16, 4);
    memcpy(&m->siaddr, buf + 20, 4);
    memcpy(&m->giaddr, buf + 24, 4);
    memcpy(m->chaddr, buf + 28, 16);
    memcpy(m->sname, buf + 44, 64);
    memcpy(m->file, buf + 108, 128);
    if (rd32(buf + 236) != PR_DHCP_MAGIC) {
        *why = PR_DROP_BAD_COOKIE;
        return -EBADMSG;
    }
    return 0;
}

/* The areas that option 52 (read from the options field only) adds. */
static int overload_areas(struct collect *c, const uint8_t *buf, struct area areas[3],
                          unsigned *n_areas)
{
    if (c->index[PR_OPT_OVERLOAD] < 0)
        return 0;
    if (c->overload < 1 || c->overload > 3) {
        c->why = PR_DROP_BAD_OPTION;
        return -EBADMSG;
    }
    if (c->overload & 1)
        areas[(*n_areas)++] = (struct area){ buf + 108, 128, false };
    if (c->overload & 2)
        areas[(*n_areas)++] = (struct area){ buf + 44, 64, false };
    return 0;
}

static void assign_offsets(struct collect *c)
{
    struct pr_dhcp_msg *m = c->m;
    uint16_t off = 0;
    for (unsigned i = 0; i < m->n_opts; i++) {
        struct pr_dhcp_opt *o = &m->opts[i];
        o->off = off;
        o->len = c->total[o->code];
        off = (uint16_t)(off + o->len);
    }
    m->data_len = off;
}

int pr_dhcp_decode(const uint8_t *buf, size_t len, struct pr_dhcp_msg *m, enum pr_dhcp_drop *why)
{
    enum pr_dhcp_drop dummy;
    if (!why)
        why = &dummy;
    *why = PR_DROP_NONE;
    memset(m, 0, sizeof *m);
    int r = decode_header(buf, len, m, why);
    if (r < 0)
        return r;

    struct collect c;
    memset(&c, 0, sizeof c);
    c.m = m;
    memset(c.index, 0xff, sizeof c.index);
    struct area areas[3] = { { buf + PR_DHCP_MIN_LEN, len - PR_DHCP_MIN_LEN, true } };
    unsigned n_areas = 1;
    if (walk_area(&c, &areas[0], true) < 0)
        goto bad;
    if (overload_areas(&c, buf, areas, &n_areas) < 0)
        goto bad;
    for (unsigned i = 1; i < n_areas; i++)
        if (walk_area(&c, &areas[i], false) < 0)
            goto bad;
    assign_offsets(&c);
    c.copy = true;
    if (walk_all(&c, areas, n_areas) < 0)
        goto bad; /* cannot fail: same bytes */
    /* overloaded fields held options, not names */
    if (c.overload > 0 && (c.overload & 1))
        memset(m->file, 0, sizeof m->file);
    if (c.overload > 0 && (c.overload & 2))
        memset(m->sname, 0, sizeof m->sname);
    if (check_lengths(m) < 0) {
        *why = PR_DROP_BAD_OPTION;
        return -EBADMSG;
    }
    uint8_t t;
    if (pr_dhcp_opt_u8(m, PR_OPT_MSG_TYPE, &t) == 0)
        m->type = t;
    return 0;
bad:
    *why = c.why;
    return -EBADMSG;
}

/* ---- options ---- */

const uint8_t *pr_dhcp_opt_get(const struct pr_dhcp_msg *m, uint8_t code, size_t *len)
{
    for (unsigned i = 0; i < m->n_opts; i++) {
        if (m->opts[i].code != code)
            continue;
        if (len)
            *len = m->opts[i].len;
        return m->data + m->opts[i].off;
    }
    return NULL;
}

static int opt_exact(const struct pr_dhcp_msg *m, uint8_t code, size_t want, const uint8_t **p)
{
    size_t len;
    *p = pr_dhcp_opt_get(m, code, &len);
    if (!*p)
        return -ENOENT;
    return len == want ? 0 : -EBADMSG;
}

int pr_dhcp_opt_u8(const struct pr_dhcp_msg *m, uint8_t code, uint8_t *v)
{
    const uint8_t *p;
    int r = opt_exact(m, code, 1, &p);
    if (r == 0)
        *v = p[0];
    return r;
}

int pr_dhcp_opt_u16(const struct pr_dhcp_msg *m, uint8_t code, uint16_t *v)
{
    const uint8_t *p;
    int r = opt_exact(m, code, 2, &p);
    if (r == 0)
        *v = rd16(p);
    return r;
}

int pr_dhcp_opt_u32(const struct pr_dhcp_msg *m, uint8_t code, uint32_t *v)
{
    const uint8_t *p;
    int r = opt_exact(m, code, 4, &p);
    if (r == 0)
        *v = rd32(p);
    return r;
}

int pr_dhcp_opt_addr(const struct pr_dhcp_msg *m, uint8_t code, struct in_addr *a)
{
    const uint8_t *p;
    int r = opt_exact(m, code, 4, &p);
    if (r == 0)
        memcpy(a, p, 4);
    return r;
}

bool pr_dhcp_opt_has_byte(const struct pr_dhcp_msg *m, uint8_t code, uint8_t v)
{
    size_t len = 0;
    const uint8_t *p = pr_dhcp_opt_get(m, code, &len);
    return p && memchr(p, v, len) != NULL;
}

int pr_dhcp_opt_add(struct pr_dhcp_msg *m, uint8_t code, const void *data, size_t len)
{
    if (code == PR_OPT_PAD || code == PR_OPT_END)
        return -EINVAL;
    if (len > sizeof m->data - m->data_len)
        return -ENOSPC;
    for (unsigned i = 0; i < m->n_opts; i++) {
        struct pr_dhcp_opt *o = &m->opts[i];
        if (o->code != code)
            continue;
        /* grow in place: move whatever follows it */
        uint8_t *end = m->data + o->off + o->len;
        memmove(end + len, end, (size_t)(m->data + m->data_len - end));
        memcpy(end, data, len);
        o->len = (uint16_t)(o->len + len);
        for (unsigned k = i + 1; k < m->n_opts; k++)
            m->opts[k].off = (uint16_t)(m->opts[k].off + len);
        m->data_len = (uint16_t)(m->data_len + len);
        return 0;
    }
    if (m->n_opts >= PR_DHCP_MAX_OPTS)
        return -ENOSPC;
    m->opts[m->n_opts++] = (struct pr_dhcp_opt){ code, (uint16_t)len, m->data_len };
    if (len)
        memcpy(m->data + m->data_len, data, len);
    m->data_len = (uint16_t)(m->data_len + len);
    if (code == PR_OPT_MSG_TYPE && len == 1)
        m->type = *(const uint8_t *)data;
    return 0;
}

int pr_dhcp_opt_add_u8(struct pr_dhcp_msg *m, uint8_t code, uint8_t v)
{
    return pr_dhcp_opt_add(m, code, &v, 1);
}

int pr_dhcp_opt_add_u32(struct pr_dhcp_msg *m, uint8_t code, uint32_t v)
{
    uint8_t b[4];
    wr32(b, v);
    return pr_dhcp_opt_add(m, code, b, 4);
}

int pr_dhcp_opt_add_addr(struct pr_dhcp_msg *m, uint8_t code, struct in_addr a)
{
    return pr_dhcp_opt_add(m, code, &a, 4);
}

/* ---- encoding ---- */

void pr_dhcp_reply_init(struct pr_dhcp_msg *reply, const struct pr_dhcp_msg *req, uint8_t type)
{
    memset(reply, 0, sizeof *reply);
    reply->op = PR_BOOTREPLY;
    reply->htype = req->htype;
    reply->hlen = req->hlen;
    reply->xid = req->xid;
    reply->flags = req->flags;
    reply->giaddr = req->giaddr;
    memcpy(reply->chaddr, req->chaddr, sizeof reply->chaddr);
    pr_dhcp_opt_add_u8(reply, PR_OPT_MSG_TYPE, type);
}

int pr_dhcp_encode(const struct pr_dhcp_msg *m, uint8_t *buf, size_t cap)
{
    /* every option costs 2 bytes of framing per 255 of value */
    size_t need = PR_DHCP_MIN_LEN + 1;
    for (unsigned i = 0; i < m->n_opts; i++)
        need += m->opts[i].len + 2 * (m->opts[i].len / 255 + 1);
    if (need < PR_DHCP_MIN_REPLY)
        need = PR_DHCP_MIN_REPLY;
    if (need > cap)
        return -EMSGSIZE;

    memset(buf, 0, need);
    buf[0] = m->op;
    buf[1] = m->htype;
    buf[2] = m->hlen;
    buf[3] = m->hops;
    wr32(buf + 4, m->xid);
    wr16(buf + 8, m->secs);
    wr16(buf + 10, m->flags);
    memcpy(buf + 12, &m->ciaddr, 4);
    memcpy(buf + 16, &m->yiaddr, 4);
    memcpy(buf + 20, &m->siaddr, 4);
    memcpy(buf + 24, &m->giaddr, 4);
    memcpy(buf + 28, m->chaddr, 16);
    memcpy(buf + 44, m->sname, 64);
    memcpy(buf + 108, m->file, 128);
    wr32(buf + 236, PR_DHCP_MAGIC);

    size_t pos = PR_DHCP_MIN_LEN;
    for (unsigned i = 0; i < m->n_opts; i++) {
        const struct pr_dhcp_opt *o = &m->opts[i];
        size_t left = o->len, off = o->off;
        do { /* RFC 3396: split long values; an empty value is still sent */
            size_t chunk = left > 255 ? 255 : left;
            buf[pos++] = o->code;
            buf[pos++] = (uint8_t)chunk;
            memcpy(buf + pos, m->data + off, chunk);
            pos += chunk;
            off += chunk;
            left -= chunk;
        } while (left > 0);
    }
    buf[pos++] = PR_OPT_END;
    return (int)(pos < PR_DHCP_MIN_REPLY ? PR_DHCP_MIN_REPLY : pos);
}

/* ---- names ---- */

const char *pr_dhcp_drop_name(enum pr_dhcp_drop why)
{
    static const char *const names[PR_DROP__COUNT] = {
        [PR_DROP_NONE] = "none",
        [PR_DROP_TRUNCATED] = "truncated",
        [PR_DROP_OVERLONG] = "overlong",
        [PR_DROP_BAD_OP] = "bad_op",
        [PR_DROP_BAD_HTYPE] = "bad_htype",
        [PR_DROP_BAD_COOKIE] = "bad_cookie",
        [PR_DROP_BAD_OPTION] = "bad_option",
        [PR_DROP_TOO_MANY_OPTIONS] = "too_many_options",
        [PR_DROP_NO_TYPE] = "no_type",
        [PR_DROP_BAD_TYPE] = "bad_type",
        [PR_DROP_RELAYED] = "relayed",
        [PR_DROP_NO_SLOT] = "no_slot",
        [PR_DROP_UNKNOWN_MAC] = "unknown_mac",
        [PR_DROP_OTHER_SERVER] = "other_server",
        [PR_DROP_BAD_REQUEST] = "bad_request",
        [PR_DROP_LOOKUP_FAILED] = "lookup_failed",
        [PR_DROP_SEND_FAILED] = "send_failed",
        [PR_DROP_FOREIGN_MAC] = "foreign_mac",
    };
    return (unsigned)why < PR_DROP__COUNT ? names[why] : "unknown";
}

const char *pr_dhcp_type_name(unsigned type)
{
    static const char *const names[] = {
        "none", "discover", "offer", "request", "decline", "ack", "nak", "release", "inform",
    };
    return type < sizeof names / sizeof names[0] ? names[type] : "unknown";
}
