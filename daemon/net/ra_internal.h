/* ra: IPv6 router advertisements (RFC 4861, RDNSS from RFC 8106) as pure
 * functions: an encoder for RAs, a parser for router solicitations, and
 * the RFC 4861 send schedule (initial burst, jittered period, answers to
 * solicitations rate-limited to one multicast RA per MIN_DELAY_BETWEEN_RAS).
 * The socket lives in daemon/net/ra_service.c.
 *
 * What pirackd advertises on a slot's link: itself as the default router,
 * the slot's /64 as on-link (L=1) with autonomous (A) off unless slaac is
 * configured (a Pi's address is static, PREFIX::2), M and O off, the
 * resolvers as RDNSS, and the MTU. */
#ifndef PIRACK_RA_INTERNAL_H
#define PIRACK_RA_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#define PR_RA_MAX_PREFIXES 16 /* per RA; more are split over several */
#define PR_RA_MAX_RDNSS 4
#define PR_RA_MAX_LEN 1232         /* fits the IPv6 minimum MTU */
#define PR_RA_MIN_DELAY_MS 3000    /* MIN_DELAY_BETWEEN_RAS */
#define PR_RA_MAX_DELAY_MS 500     /* MAX_RA_DELAY_TIME */
#define PR_RA_INITIAL_COUNT 3      /* MAX_INITIAL_RTR_ADVERTISEMENTS */
#define PR_RA_INITIAL_MAX_MS 16000 /* MAX_INITIAL_RTR_ADVERT_INTERVAL */

/* RFC 4861's AdvValidLifetime and AdvPreferredLifetime defaults. */
#define PR_RA_VALID_LIFETIME_S 2592000
#define PR_RA_PREFERRED_LIFETIME_S 604800

struct pr_ra_prefix {
    struct in6_addr prefix;
    uint8_t len;
    bool onlink, autonomous;
    uint32_t valid_s, preferred_s;
};

struct pr_ra_params {
    uint8_t cur_hop_limit;             /* 0: unspecified */
    bool managed, other;               /* M and O flags */
    uint16_t router_lifetime_s;        /* 0: not a default router (the last RA) */
    uint32_t reachable_ms, retrans_ms; /* 0: unspecified */
    bool has_lladdr;
    uint8_t lladdr[6]; /* source link-layer address option */
    uint32_t mtu;      /* 0: no MTU option */
    struct pr_ra_prefix prefixes[PR_RA_MAX_PREFIXES];
    unsigned n_prefixes;
    struct in6_addr rdnss[PR_RA_MAX_RDNSS];
    unsigned n_rdnss;
    uint32_t rdnss_lifetime_s;
};

/* Fills p with pirackd's choices for a link whose RAs repeat at most every
 * max_interval_s: hop limit 64, router lifetime 3 x max_interval_s (at most
 * 9000), RDNSS lifetime the same, no prefixes or resolvers yet. */
void pr_ra_params_init(struct pr_ra_params *p, unsigned max_interval_s);

/* Adds prefix/len as on-link, autonomous when slaac.  -E2BIG when full. */
int pr_ra_params_add_prefix(struct pr_ra_params *p, const struct in6_addr *prefix, unsigned len,
                            bool slaac);

/* Writes the ICMPv6 message (checksum 0: the kernel fills it for ICMPv6
 * raw sockets).  Returns its length, -EINVAL for bad params (a prefix
 * longer than 128, too many prefixes or resolvers), or -ENOSPC. */
int pr_ra_encode(const struct pr_ra_params *p, uint8_t *buf, size_t len);

/* A router solicitation, validated as RFC 4861 6.1.1 says. */
struct pr_ra_rs {
    bool has_slla;
    uint8_t slla[6];
    const char *why; /* set when rejected */
};

/* buf is the ICMPv6 message (from the type on), src the IPv6 source and
 * hop_limit the IPv6 hop limit it arrived with.  Returns 0, or -EBADMSG
 * with out->why saying what was wrong. */
int pr_ra_parse_rs(const uint8_t *buf, size_t len, const struct in6_addr *src, int hop_limit,
                   struct pr_ra_rs *out);

/* When to send the next multicast RA on one interface.  Times are
 * monotonic milliseconds; rnd is a fresh random number per call. */
struct pr_ra_sched {
    uint64_t next_ms;
    uint64_t last_ms; /* last multicast RA, valid when sent > 0 */
    unsigned sent;
    unsigned max_interval_ms, min_interval_ms;
};

/* MaxRtrAdvInterval = max_interval_s, MinRtrAdvInterval = a third of it
 * (RFC 4861's default 0.33 x Max); the first RA at once (within
 * MAX_RA_DELAY_TIME). */
void pr_ra_sched_init(struct pr_ra_sched *s, unsigned max_interval_s, uint64_t now_ms,
                      uint32_t rnd);
/* A multicast RA went out at now_ms: the next is a uniformly random
 * interval later, at most PR_RA_INITIAL_MAX_MS for the first few. */
void pr_ra_sched_sent(struct pr_ra_sched *s, uint64_t now_ms, uint32_t rnd);
/* A valid RS arrived: answer within MAX_RA_DELAY_TIME, but never sooner
 * than MIN_DELAY_BETWEEN_RAS after the last multicast RA.  Never delays an
 * RA already due sooner. */
void pr_ra_sched_solicited(struct pr_ra_sched *s, uint64_t now_ms, uint32_t rnd);

#endif
