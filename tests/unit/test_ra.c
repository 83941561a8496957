/* ra: the exact bytes of an RA, router solicitations good and bad, and
 * the RFC 4861 schedule. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include "daemon/net/ra_internal.h"

static struct in6_addr a6(const char *s)
{
    struct in6_addr a;
    assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
    return a;
}

static void test_ra_exact_bytes(void **state)
{
    (void)state;
    struct pr_ra_params p;
    pr_ra_params_init(&p, 200);
    p.has_lladdr = true;
    memcpy(p.lladdr, "\x02\x00\x5e\x10\x20\x30", 6);
    p.mtu = 1500;
    struct in6_addr pfx = a6("2001:db8:42:7::");
    assert_int_equal(pr_ra_params_add_prefix(&p, &pfx, 64, false), 0);
    p.rdnss[0] = a6("2001:db8:53::64");
    p.rdnss[1] = a6("2001:db8:53::65");
    p.n_rdnss = 2;

    static const uint8_t want[] = {
        /* RA: type 134, code 0, checksum 0, hop limit 64, M=O=0,
         * router lifetime 600 s, reachable 0, retrans 0 */
        134,
        0,
        0,
        0,
        64,
        0x00,
        0x02,
        0x58,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        /* source link-layer address */
        1,
        1,
        0x02,
        0x00,
        0x5e,
        0x10,
        0x20,
        0x30,
        /* MTU 1500 */
        5,
        1,
        0,
        0,
        0x00,
        0x00,
        0x05,
        0xdc,
        /* prefix 2001:db8:42:7::/64, L=1 A=0, valid 2592000, preferred 604800 */
        3,
        4,
        64,
        0x80,
        0x00,
        0x27,
        0x8d,
        0x00,
        0x00,
        0x09,
        0x3a,
        0x80,
        0,
        0,
        0,
        0,
        0x20,
        0x01,
        0x0d,
        0xb8,
        0x00,
        0x42,
        0x00,
        0x07,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        /* RDNSS, 2 resolvers, lifetime 600 */
        25,
        5,
        0,
        0,
        0x00,
        0x00,
        0x02,
        0x58,
        0x20,
        0x01,
        0x0d,
        0xb8,
        0x00,
        0x53,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0x00,
        0x64,
        0x20,
        0x01,
        0x0d,
        0xb8,
        0x00,
        0x53,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0x00,
        0x65,
    };
    uint8_t buf[PR_RA_MAX_LEN];
    int n = pr_ra_encode(&p, buf, sizeof(buf));
    assert_int_equal(n, sizeof(want));
    assert_memory_equal(buf, want, sizeof(want));

    /* slaac = yes sets A; the last RA on shutdown has lifetime 0. */
    p.prefixes[0].autonomous = true;
    p.router_lifetime_s = 0;
    n = pr_ra_encode(&p, buf, sizeof(buf));
    assert_int_equal(n, sizeof(want));
    assert_int_equal(buf[6], 0);
    assert_int_equal(buf[7], 0);
    assert_int_equal(buf[32 + 3], 0xc0);
}

static void test_ra_lifetimes_and_limits(void **state)
{
    (void)state;
    struct pr_ra_params p;
    pr_ra_params_init(&p, 1800);
    assert_int_equal(p.router_lifetime_s, 5400);
    pr_ra_params_init(&p, 4000);
    assert_int_equal(p.router_lifetime_s, 9000); /* RFC 4861's maximum */

    /* Host bits of a prefix never leave the host. */
    pr_ra_params_init(&p, 200);
    struct in6_addr host = a6("2001:db8:1:2:ffff::1");
    assert_int_equal(pr_ra_params_add_prefix(&p, &host, 60, false), 0);
    uint8_t buf[PR_RA_MAX_LEN];
    assert_int_equal(pr_ra_encode(&p, buf, sizeof(buf)), 16 + 32);
    struct in6_addr want = a6("2001:db8:1::");
    assert_memory_equal(buf + 16 + 16, &want, 16);

    for (unsigned i = 1; i < PR_RA_MAX_PREFIXES; i++)
        assert_int_equal(pr_ra_params_add_prefix(&p, &host, 64, false), 0);
    assert_int_equal(pr_ra_params_add_prefix(&p, &host, 64, false), -E2BIG);
    p.rdnss[0] = host;
    p.rdnss[1] = host;
    p.rdnss[2] = host;
    p.rdnss[3] = host;
    p.n_rdnss = 4;
    p.mtu = 9000;
    p.has_lladdr = true;
    /* The fullest RA still fits the IPv6 minimum MTU. */
    int n = pr_ra_encode(&p, buf, sizeof(buf));
    assert_int_equal(n, 16 + 8 + 8 + 32 * PR_RA_MAX_PREFIXES + 8 + 64);
    assert_true(n <= PR_RA_MAX_LEN);
    assert_int_equal(pr_ra_encode(&p, buf, (size_t)n - 1), -ENOSPC);
    p.n_rdnss = 5;
    assert_int_equal(pr_ra_encode(&p, buf, sizeof(buf)), -EINVAL);
    p.n_rdnss = 0;
    p.prefixes[0].len = 129;
    assert_int_equal(pr_ra_encode(&p, buf, sizeof(buf)), -EINVAL);
}

static void test_rs_good(void **state)
{
    (void)state;
    struct in6_addr ll = a6("fe80::1234"), any = a6("::");
    struct pr_ra_rs rs;
    static const uint8_t bare[] = { 133, 0, 0x12, 0x34, 0, 0, 0, 0 };
    assert_int_equal(pr_ra_parse_rs(bare, sizeof(bare), &ll, 255, &rs), 0);
    assert_false(rs.has_slla);
    assert_int_equal(pr_ra_parse_rs(bare, sizeof(bare), &any, 255, &rs), 0);

    static const uint8_t with_slla[] = { 133, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0xb8, 0x27, 0xeb, 1, 2, 3,
                                         /* an unknown option is skipped */
                                         99, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
    assert_int_equal(pr_ra_parse_rs(with_slla, sizeof(with_slla), &ll, 255, &rs), 0);
    assert_true(rs.has_slla);
    assert_memory_equal(rs.slla, "\xb8\x27\xeb\x01\x02\x03", 6);
}

static void test_rs_malformed(void **state)
{
    (void)state;
    struct in6_addr ll = a6("fe80::1234"), any = a6("::");
    struct pr_ra_rs rs;
    static const uint8_t bare[] = { 133, 0, 0, 0, 0, 0, 0, 0 };
    /* Forwarded from elsewhere: a router decremented the hop limit. */
    assert_int_equal(pr_ra_parse_rs(bare, sizeof(bare), &ll, 254, &rs), -EBADMSG);
    assert_non_null(rs.why);
    assert_int_equal(pr_ra_parse_rs(bare, 7, &ll, 255, &rs), -EBADMSG);
    assert_int_equal(pr_ra_parse_rs(bare, 0, &ll, 255, &rs), -EBADMSG);

    static const uint8_t code1[] = { 133, 1, 0, 0, 0, 0, 0, 0 };
    assert_int_equal(pr_ra_parse_rs(code1, sizeof(code1), &ll, 255, &rs), -EBADMSG);
    static const uint8_t ra[] = { 134, 0, 0, 0, 0, 0, 0, 0 };
    assert_int_equal(pr_ra_parse_rs(ra, sizeof(ra), &ll, 255, &rs), -EBADMSG);

    static const uint8_t zero_len[] = { 133, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 2, 3, 4, 5, 6 };
    assert_int_equal(pr_ra_parse_rs(zero_len, sizeof(zero_len), &ll, 255, &rs), -EBADMSG);
    assert_string_equal(rs.why, "option of length 0");
    static const uint8_t past_end[] = { 133, 0, 0, 0, 0, 0, 0, 0, 1, 2, 1, 2, 3, 4, 5, 6 };
    assert_int_equal(pr_ra_parse_rs(past_end, sizeof(past_end), &ll, 255, &rs), -EBADMSG);
    static const uint8_t dangling[] = { 133, 0, 0, 0, 0, 0, 0, 0, 1 };
    assert_int_equal(pr_ra_parse_rs(dangling, sizeof(dangling), &ll, 255, &rs), -EBADMSG);
    /* RFC 4861 6.1.1: no link-layer address from the unspecified address. */
    static const uint8_t slla[] = { 133, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 3, 4, 5, 6 };
    assert_int_equal(pr_ra_parse_rs(slla, sizeof(slla), &any, 255, &rs), -EBADMSG);
    assert_int_equal(pr_ra_parse_rs(slla, sizeof(slla), &ll, 255, &rs), 0);
}

static void test_schedule(void **state)
{
    (void)state;
    struct pr_ra_sched s;
    pr_ra_sched_init(&s, 200, 1000, 123456);
    assert_true(s.next_ms >= 1000 && s.next_ms <= 1000 + PR_RA_MAX_DELAY_MS);
    assert_int_equal(s.min_interval_ms, 66666);

    /* The first RAs come at most 16 s apart, then every 66.6..200 s. */
    uint64_t now = s.next_ms;
    for (unsigned i = 0; i < 2; i++) {
        pr_ra_sched_sent(&s, now, 0xffffffffu);
        assert_true(s.next_ms - now <= PR_RA_INITIAL_MAX_MS);
        now = s.next_ms;
    }
    pr_ra_sched_sent(&s, now, 0);
    assert_int_equal(s.next_ms - now, 66666);
    pr_ra_sched_sent(&s, now, 200000 - 66666);
    assert_int_equal(s.next_ms - now, 200000);

    /* A solicitation 1 s after an RA waits for MIN_DELAY_BETWEEN_RAS. */
    pr_ra_sched_solicited(&s, now + 1000, 100);
    assert_int_equal(s.next_ms, now + PR_RA_MIN_DELAY_MS + 100);
    /* A second one does not push it later, nor pull it before the 3 s. */
    pr_ra_sched_solicited(&s, now + 1500, 400);
    assert_int_equal(s.next_ms, now + PR_RA_MIN_DELAY_MS + 100);
    /* Long after the last RA it is answered within MAX_RA_DELAY_TIME. */
    pr_ra_sched_sent(&s, now, 0);
    pr_ra_sched_solicited(&s, now + 10000, 250);
    assert_int_equal(s.next_ms, now + 10250);

    /* A short interval still keeps MinRtrAdvInterval at 3 s or more. */
    pr_ra_sched_init(&s, 4, 0, 0);
    assert_int_equal(s.min_interval_ms, 3000);
    assert_int_equal(s.max_interval_ms, 4000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ra_exact_bytes), cmocka_unit_test(test_ra_lifetimes_and_limits),
        cmocka_unit_test(test_rs_good),        cmocka_unit_test(test_rs_malformed),
        cmocka_unit_test(test_schedule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
