/* plan: slot numbers to addresses, ports and names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "pirack/plan.h"
#include "daemon/config/config_internal.h"

static struct pr_plan make_plan(const char *v4, const char *v6, unsigned slots)
{
    struct pr_plan p = { .slots = slots, .ssh_port_base = 22001, .isolated = true };

    assert_int_equal(pr_prefix4_parse(v4, &p.v4_pool), 0);
    assert_int_equal(pr_prefix6_parse(v6, &p.v6_pool), 0);
    strcpy(p.rack, "rack1");
    strcpy(p.domain, "hostedpi.example");
    strcpy(p.if_pattern, "pi%03d");
    return p;
}

static void assert_v4(struct in_addr a, const char *want)
{
    char buf[INET_ADDRSTRLEN];

    inet_ntop(AF_INET, &a, buf, sizeof(buf));
    assert_string_equal(buf, want);
}

static void assert_v6(const struct in6_addr *a, const char *want)
{
    char buf[INET6_ADDRSTRLEN];

    inet_ntop(AF_INET6, a, buf, sizeof(buf));
    assert_string_equal(buf, want);
}

static void first_and_last_slot(void **state)
{
    struct pr_plan p = make_plan("10.42.0.0/23", "2001:db8:42::/56", 108);
    struct pr_slot_plan s;
    char err[128];

    (void)state;
    assert_int_equal(pr_plan_check(&p, err, sizeof(err)), 0);
    assert_int_equal(pr_plan_slot(&p, 1, &s), 0);
    assert_v4(s.v4_net, "10.42.0.0");
    assert_v4(s.v4_host, "10.42.0.1");
    assert_v4(s.v4_pi, "10.42.0.2");
    assert_v4(s.v4_mask, "255.255.255.252");
    assert_v6(&s.v6_net, "2001:db8:42::");
    assert_v6(&s.v6_host, "2001:db8:42::1");
    assert_v6(&s.v6_pi, "2001:db8:42::2");
    assert_int_equal(s.ssh_port, 22001);
    assert_string_equal(s.ifname, "pi001");
    assert_string_equal(s.name, "rack1-001");

    assert_int_equal(pr_plan_slot(&p, 108, &s), 0);
    assert_v4(s.v4_pi, "10.42.1.174"); /* (108-1)*4 = 428 = 1*256 + 172, +2 */
    assert_v6(&s.v6_pi, "2001:db8:42:6b::2");
    assert_int_equal(s.ssh_port, 22108);
    assert_string_equal(s.ifname, "pi108");
    assert_string_equal(s.name, "rack1-108");

    assert_int_equal(pr_plan_slot(&p, 0, &s), -ERANGE);
    assert_int_equal(pr_plan_slot(&p, 109, &s), -ERANGE);
}

static void same_slot_same_addresses(void **state)
{
    struct pr_plan p = make_plan("10.42.0.0/23", "2001:db8:42::/56", 108);
    struct pr_slot_plan a, b;

    (void)state;
    pr_plan_slot(&p, 57, &a);
    p.slots = 64; /* growing or shrinking the rack moves nothing */
    pr_plan_slot(&p, 57, &b);
    assert_memory_equal(&a, &b, sizeof(a));
}

static void v4_pool_sizes(void **state)
{
    struct pr_plan exact = make_plan("10.0.0.0/24", "2001:db8::/48", 64);
    struct pr_plan small = make_plan("10.0.0.0/24", "2001:db8::/48", 65);
    char err[128];

    (void)state;
    assert_int_equal(pr_plan_check(&exact, err, sizeof(err)), 0);
    assert_int_equal(pr_plan_check(&small, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "IPv4 pool /24 holds 64"));
}

static void v6_pool_sizes(void **state)
{
    struct pr_plan p48 = make_plan("10.0.0.0/16", "2001:db8::/48", 4096);
    struct pr_plan p56 = make_plan("10.0.0.0/16", "2001:db8:0:100::/56", 256);
    struct pr_plan p56_over = make_plan("10.0.0.0/16", "2001:db8:0:100::/56", 257);
    struct pr_plan exact = make_plan("10.0.0.0/16", "2001:db8:0:40::/58", 64);
    struct pr_plan exact_over = make_plan("10.0.0.0/16", "2001:db8:0:40::/58", 65);
    struct pr_slot_plan s;
    char err[128];

    (void)state;
    assert_int_equal(pr_plan_check(&p48, err, sizeof(err)), 0);
    assert_int_equal(pr_plan_check(&p56, err, sizeof(err)), 0);
    assert_int_equal(pr_plan_check(&p56_over, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "IPv6 pool /56 holds 256"));
    assert_int_equal(pr_plan_check(&exact, err, sizeof(err)), 0);
    assert_int_equal(pr_plan_check(&exact_over, err, sizeof(err)), -EINVAL);
    pr_plan_slot(&p56, 256, &s);
    assert_v6(&s.v6_net, "2001:db8:0:1ff::");
    pr_plan_slot(&exact, 64, &s);
    assert_v6(&s.v6_pi, "2001:db8:0:7f::2");
}

static void reverse_lookups(void **state)
{
    struct pr_plan p = make_plan("10.42.0.0/23", "2001:db8:42::/56", 108);
    struct in_addr a;
    struct in6_addr a6;

    (void)state;
    inet_pton(AF_INET, "10.42.0.2", &a);
    assert_int_equal(pr_plan_slot_by_v4(&p, a), 1);
    inet_pton(AF_INET, "10.42.1.174", &a);
    assert_int_equal(pr_plan_slot_by_v4(&p, a), 108);
    inet_pton(AF_INET, "10.42.0.4", &a); /* slot 2's network address */
    assert_int_equal(pr_plan_slot_by_v4(&p, a), 0);
    inet_pton(AF_INET, "10.42.1.178", &a); /* past the last slot */
    assert_int_equal(pr_plan_slot_by_v4(&p, a), 0);
    inet_pton(AF_INET6, "2001:db8:42:6b::2", &a6);
    assert_int_equal(pr_plan_slot_by_v6(&p, &a6), 108);
    inet_pton(AF_INET6, "2001:db8:42:6c::2", &a6);
    assert_int_equal(pr_plan_slot_by_v6(&p, &a6), 0);
    assert_int_equal(pr_plan_slot_by_ifname(&p, "pi007"), 7);
    assert_int_equal(pr_plan_slot_by_ifname(&p, "pi7"), 0);
    assert_int_equal(pr_plan_slot_by_ifname(&p, "pi109"), 0);
    assert_int_equal(pr_plan_slot_by_ifname(&p, "eth0"), 0);
    assert_int_equal(pr_plan_slot_by_ssh_port(&p, 22001), 1);
    assert_int_equal(pr_plan_slot_by_ssh_port(&p, 22109), 0);
}

static void names(void **state)
{
    struct pr_plan p = make_plan("10.42.0.0/23", "2001:db8:42::/56", 108);
    char out[PR_FQDN_MAX];

    (void)state;
    assert_int_equal(pr_plan_fqdn(&p, "rack1-001", out, sizeof(out)), 0);
    assert_string_equal(out, "rack1-001.hostedpi.example");
    pr_plan_ssh_fqdn(&p, "web", out, sizeof(out));
    assert_string_equal(out, "ssh.web.hostedpi.example");
    pr_plan_www_fqdn(&p, "web", out, sizeof(out));
    assert_string_equal(out, "www.web.hostedpi.example");
    assert_true(pr_plan_name_valid("rack1-001"));
    assert_false(pr_plan_name_valid("Rack1"));
    assert_false(pr_plan_name_valid("a;del map"));
    assert_false(pr_plan_name_valid("-a"));
    assert_false(pr_plan_name_valid(""));
    assert_true(pr_plan_domain_valid("hostedpi.example"));
    assert_false(pr_plan_domain_valid("hostedpi..example"));
    assert_false(pr_plan_domain_valid("host pi.example"));
}

static void prefixes(void **state)
{
    struct pr_prefix4 a, b;
    struct pr_prefix6 c;

    (void)state;
    assert_int_equal(pr_prefix4_parse("10.42.0.1/23", &a), -EINVAL); /* host bits */
    assert_int_equal(pr_prefix4_parse("10.42.0.0", &a), -EINVAL);
    assert_int_equal(pr_prefix4_parse("10.42.0.0/33", &a), -EINVAL);
    assert_int_equal(pr_prefix6_parse("2001:db8::1/64", &c), -EINVAL);
    assert_int_equal(pr_prefix4_parse("192.168.0.0/16", &a), 0);
    assert_true(pr_prefix4_is_rfc1918(&a));
    assert_int_equal(pr_prefix4_parse("172.15.0.0/16", &b), 0);
    assert_false(pr_prefix4_is_rfc1918(&b));
    assert_int_equal(pr_prefix4_parse("192.168.4.0/24", &b), 0);
    assert_true(pr_prefix4_overlap(&a, &b));
    assert_int_equal(pr_prefix4_parse("10.0.0.0/8", &b), 0);
    assert_false(pr_prefix4_overlap(&a, &b));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(first_and_last_slot),
        cmocka_unit_test(same_slot_same_addresses),
        cmocka_unit_test(v4_pool_sizes),
        cmocka_unit_test(v6_pool_sizes),
        cmocka_unit_test(reverse_lookups),
        cmocka_unit_test(names),
        cmocka_unit_test(prefixes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
