/* net/ra: router advertisement encoder, router solicitation parser and the
 * RFC 4861 send schedule.  Bytes in, bytes or decisions out. */
#include <errno.h>
#include <string.h>
#include "ra_internal.h"

#define ICMP6_RS 133
#define ICMP6_RA 134
#define OPT_SLLA 1
#define OPT_PREFIX 3
#define OPT_MTU 5
#define OPT_RDNSS 25
#define RA_HDR_LEN 16
#define RS_HDR_LEN 8
#define MAX_ROUTER_LIFETIME_S 9000

void pr_ra_params_init(struct pr_ra_params *p, unsigned max_interval_s)
{
    memset(p, 0, sizeof(*p));
    unsigned life = 3 * max_interval_s;
    if (life > MAX_ROUTER_LIFETIME_S)
        life = MAX_ROUTER_LIFETIME_S;
    p->cur_hop_limit = 64;
    p->router_lifetime_s = (uint16_t)life;
    p->rdnss_lifetime_s = life;
}

int pr_ra_params_add_prefix(struct pr_ra_params *p, const struct in6_addr *prefix, unsigned len,
                            bool slaac)
{
    if (p->n_prefixes >= PR_RA_MAX_PREFIXES)
        return -E2BIG;
    if (len > 128)
        return -EINVAL;
    struct pr_ra_prefix *x = &p->prefixes[p->n_prefixes++];
    x->prefix = *prefix;
    x->len = (uint8_t)len;
    x->onlink = true;
    x->autonomous = slaac;
    x->valid_s = PR_RA_VALID_LIFETIME_S;
    x->preferred_s = PR_RA_PREFERRED_LIFETIME_S;
    return 0;
}

/* ---- encoder ---- */

struct writer {
    uint8_t *buf;
    size_t len, pos;
    bool overflow;
};

static uint8_t *reserve(struct writer *w, size_t n)
{
    if (w->overflow || w->len - w->pos < n) {
        w->overflow = true;
        return NULL;
    }
    uint8_t *p = w->buf + w->pos;
    memset(p, 0, n);
    w->pos += n;
    return p;
}

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void put_header(struct writer *w, const struct pr_ra_params *p)
{
    uint8_t *h = reserve(w, RA_HDR_LEN);
    if (!h)
        return;
    h[0] = ICMP6_RA;
    h[4] = p->cur_hop_limit;
    h[5] = (uint8_t)((p->managed ? 0x80 : 0) | (p->other ? 0x40 : 0));
    put16(h + 6, p->router_lifetime_s);
    put32(h + 8, p->reachable_ms);
    put32(h + 12, p->retrans_ms);
}

static void put_prefix(struct writer *w, const struct pr_ra_prefix *x)
{
    uint8_t *o = reserve(w, 32);
    if (!o)
        return;
    o[0] = OPT_PREFIX;
    o[1] = 4;
    o[2] = x->len;
    o[3] = (uint8_t)((x->onlink ? 0x80 : 0) | (x->autonomous ? 0x40 : 0));
    put32(o + 4, x->valid_s);
    put32(o + 8, x->preferred_s);
    /* Bits past the prefix length are sent as zero, as 4.6.2 asks. */
    for (unsigned i = 0; i < 16; i++) {
        unsigned keep = x->len > i * 8 ? x->len - i * 8 : 0;
        uint8_t mask = keep >= 8 ? 0xff : (uint8_t)(0xff00 >> keep);
        o[16 + i] = x->prefix.s6_addr[i] & mask;
    }
}

static void put_options(struct writer *w, const struct pr_ra_params *p)
{
    uint8_t *o;
    if (p->has_lladdr && (o = reserve(w, 8))) {
        o[0] = OPT_SLLA;
        o[1] = 1;
        memcpy(o + 2, p->lladdr, 6);
    }
    if (p->mtu && (o = reserve(w, 8))) {
        o[0] = OPT_MTU;
        o[1] = 1;
        put32(o + 4, p->mtu);
    }
    for (unsigned i = 0; i < p->n_prefixes; i++)
        put_prefix(w, &p->prefixes[i]);
    if (p->n_rdnss && (o = reserve(w, 8 + 16 * (size_t)p->n_rdnss))) {
        o[0] = OPT_RDNSS;
        o[1] = (uint8_t)(1 + 2 * p->n_rdnss);
        put32(o + 4, p->rdnss_lifetime_s);
        for (unsigned i = 0; i < p->n_rdnss; i++)
            memcpy(o + 8 + 16 * i, &p->rdnss[i], 16);
    }
}

int pr_ra_encode(const struct pr_ra_params *p, uint8_t *buf, size_t len)
{
    if (p->n_prefixes > PR_RA_MAX_PREFIXES || p->n_rdnss > PR_RA_MAX_RDNSS)
        return -EINVAL;
    for (unsigned i = 0; i < p->n_prefixes; i++)
        if (p->prefixes[i].len > 128)
            return -EINVAL;
    struct writer w = { .buf = buf, .len = len };
    put_header(&w, p);
    put_options(&w, p);
    if (w.overflow)
        return -ENOSPC;
    return (int)w.pos;
}

/* ---- router solicitation ---- */

static int reject(struct pr_ra_rs *out, const char *why)
{
    out->why = why;
    return -EBADMSG;
}

int pr_ra_parse_rs(const uint8_t *buf, size_t len, const struct in6_addr *src, int hop_limit,
                   struct pr_ra_rs *out)
{
    memset(out, 0, sizeof(*out));
    if (hop_limit != 255)
        return reject(out, "hop limit is not 255 (not from this link)");
    if (len < RS_HDR_LEN)
        return reject(out, "shorter than a router solicitation");
    if (buf[0] != ICMP6_RS)
        return reject(out, "not a router solicitation");
    if (buf[1] != 0)
        return reject(out, "ICMPv6 code is not 0");
    bool unspecified = IN6_IS_ADDR_UNSPECIFIED(src);
    size_t pos = RS_HDR_LEN;
    while (pos < len) {
        if (len - pos < 2)
            return reject(out, "truncated option");
        size_t olen = (size_t)buf[pos + 1] * 8;
        if (olen == 0)
            return reject(out, "option of length 0");
        if (olen > len - pos)
            return reject(out, "option runs past the end");
        if (buf[pos] == OPT_SLLA) {
            if (unspecified)
                return reject(out, "source link-layer address from the unspecified address");
            /* Ethernet: exactly one 8-byte unit; other links are ignored. */
            if (olen == 8) {
                out->has_slla = true;
                memcpy(out->slla, buf + pos + 2, 6);
            }
        }
        pos += olen;
    }
    return 0;
}

/* ---- schedule ---- */

void pr_ra_sched_init(struct pr_ra_sched *s, unsigned max_interval_s, uint64_t now_ms, uint32_t rnd)
{
    memset(s, 0, sizeof(*s));
    s->max_interval_ms = max_interval_s * 1000u;
    s->min_interval_ms = s->max_interval_ms / 3;
    if (s->min_interval_ms < 3000)
        s->min_interval_ms = 3000; /* RFC 4861 6.2.1: MinRtrAdvInterval >= 3 s */
    if (s->min_interval_ms > s->max_interval_ms)
        s->min_interval_ms = s->max_interval_ms;
    s->next_ms = now_ms + rnd % (PR_RA_MAX_DELAY_MS + 1);
}

void pr_ra_sched_sent(struct pr_ra_sched *s, uint64_t now_ms, uint32_t rnd)
{
    uint32_t span = s->max_interval_ms - s->min_interval_ms;
    uint64_t interval = s->min_interval_ms + (span ? rnd % (span + 1) : 0);
    s->sent++;
    s->last_ms = now_ms;
    if (s->sent < PR_RA_INITIAL_COUNT && interval > PR_RA_INITIAL_MAX_MS)
        interval = PR_RA_INITIAL_MAX_MS;
    s->next_ms = now_ms + interval;
}

void pr_ra_sched_solicited(struct pr_ra_sched *s, uint64_t now_ms, uint32_t rnd)
{
    uint64_t delay = rnd % (PR_RA_MAX_DELAY_MS + 1);
    uint64_t at = now_ms + delay;
    if (s->sent > 0 && now_ms < s->last_ms + PR_RA_MIN_DELAY_MS)
        at = s->last_ms + PR_RA_MIN_DELAY_MS + delay;
    if (at < s->next_ms)
        s->next_ms = at;
}
