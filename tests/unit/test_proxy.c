/* proxy: what may become a route, and the routes of a slot.  Hostile
 * names and values must be refused with a reason, never let through. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pirack/proxy.h"
#include "daemon/proxy/proxy_internal.h"
#include "daemon/config/config_internal.h"

static struct pr_plan make_plan(unsigned slots)
{
    struct pr_plan p = { .slots = slots, .ssh_port_base = 22001, .isolated = true };
    assert_int_equal(pr_prefix4_parse("10.42.0.0/23", &p.v4_pool), 0);
    assert_int_equal(pr_prefix6_parse("2001:db8:42::/56", &p.v6_pool), 0);
    strcpy(p.rack, "rack1");
    strcpy(p.domain, "hostedpi.example");
    strcpy(p.if_pattern, "pi%03d");
    return p;
}

static void good_keys(void **state)
{
    char err[256];
    (void)state;
    assert_int_equal(pr_proxy_check_key(PR_ROUTE_SSH, "22001", err, sizeof err), 0);
    assert_int_equal(pr_proxy_check_key(PR_ROUTE_SSH, "1", err, sizeof err), 0);
    assert_int_equal(pr_proxy_check_key(PR_ROUTE_SSH, "65535", err, sizeof err), 0);
    assert_int_equal(pr_proxy_check_key(PR_ROUTE_SNI, "www.pi-1.hostedpi.example", err, sizeof err),
                     0);
    assert_int_equal(pr_proxy_check_key(PR_ROUTE_HOST, "www.a.example", err, sizeof err), 0);
}

static void hostile_keys(void **state)
{
    static const char *const bad_names[] = {
        "www.a.example;del map /m/sni.map www.b.example",
        "www.a.example del",
        "www.a.example#x",
        "www.a.example\nadd map x y z",
        "WWW.A.EXAMPLE",
        "www..example",
        "-www.example",
        "",
        "www.a.example\t",
        "192.0.2.1",
        "www.a.example:443",
        "www/a",
    };
    char err[256];
    (void)state;
    for (size_t i = 0; i < sizeof bad_names / sizeof *bad_names; i++) {
        err[0] = '\0';
        assert_int_equal(pr_proxy_check_key(PR_ROUTE_SNI, bad_names[i], err, sizeof err), -EINVAL);
        assert_non_null(strstr(err, "is not a lower-case host name"));
        assert_null(strchr(err, '\n')); /* escaped, one line */
        assert_int_equal(pr_proxy_check_key(PR_ROUTE_HOST, bad_names[i], err, sizeof err), -EINVAL);
    }
    static const char *const bad_ports[] = { "0",  "65536", "022", "22 ",   "22;",
                                             "-1", "",      "2e3", "999999" };
    for (size_t i = 0; i < sizeof bad_ports / sizeof *bad_ports; i++) {
        assert_int_equal(pr_proxy_check_key(PR_ROUTE_SSH, bad_ports[i], err, sizeof err), -EINVAL);
        assert_non_null(strstr(err, "is not a port number"));
    }
    assert_int_equal(pr_proxy_check_key((enum pr_route_kind)7, "x", err, sizeof err), -EINVAL);
    assert_int_equal(pr_proxy_check_key(PR_ROUTE_SNI, NULL, err, sizeof err), -EINVAL);
}

static void values(void **state)
{
    struct pr_plan p = make_plan(4);
    char canon[PR_MAP_VALUE_MAX], err[256];
    (void)state;
    assert_int_equal(pr_proxy_check_value(&p.v6_pool, "2001:db8:42:3::2", canon, err, sizeof err),
                     0);
    assert_string_equal(canon, "2001:db8:42:3::2");
    /* written back canonical */
    assert_int_equal(
        pr_proxy_check_value(&p.v6_pool, "2001:0DB8:0042:0003:0:0:0:0002", canon, err, sizeof err),
        0);
    assert_string_equal(canon, "2001:db8:42:3::2");

    static const char *const not_v6[] = {
        "192.0.2.1",         "2001:db8:42::2;del map x", "2001:db8:42::2 ", " 2001:db8:42::2",
        "2001:db8:42::2#",   "2001:db8:42::2\n",         "pi.example",      "",
        "2001:db8:42::2/64", "[2001:db8:42::2]",
    };
    for (size_t i = 0; i < sizeof not_v6 / sizeof *not_v6; i++) {
        assert_int_equal(pr_proxy_check_value(&p.v6_pool, not_v6[i], canon, err, sizeof err),
                         -EINVAL);
        assert_non_null(strstr(err, "is not an IPv6 address"));
        assert_null(strchr(err, '\n'));
    }
    static const char *const outside[] = { "2001:db8:43::2", "::1", "::ffff:192.0.2.1", "fe80::1",
                                           "::" };
    for (size_t i = 0; i < sizeof outside / sizeof *outside; i++) {
        assert_int_equal(pr_proxy_check_value(&p.v6_pool, outside[i], canon, err, sizeof err),
                         -EINVAL);
        assert_non_null(strstr(err, "outside the Pi pool 2001:db8:42::/56"));
    }
    assert_int_equal(pr_proxy_check_value(NULL, "2001:db8:42::2", canon, err, sizeof err), -EINVAL);
}

static void make_route(void **state)
{
    struct pr_plan p = make_plan(4);
    struct pr_route r, untouched;
    char err[256];
    (void)state;
    assert_int_equal(pr_route_make(&r, PR_ROUTE_SNI, 2, "www.x.hostedpi.example",
                                   "2001:DB8:42:1::2", &p.v6_pool, err, sizeof err),
                     0);
    assert_string_equal(r.value, "2001:db8:42:1::2");
    assert_int_equal(r.slot, 2);
    memcpy(&untouched, &r, sizeof r);
    assert_int_equal(
        pr_route_make(&r, PR_ROUTE_SNI, 3, "x;y", "2001:db8:42:1::2", &p.v6_pool, err, sizeof err),
        -EINVAL);
    assert_memory_equal(&r, &untouched, sizeof r);
}

static void slot_routes(void **state)
{
    struct pr_plan p = make_plan(108);
    struct pr_route r[PR_ROUTES_PER_SLOT];
    char err[256];
    (void)state;
    assert_int_equal(pr_proxy_slot_routes(&p, 1, NULL, r, err, sizeof err), 3);
    assert_int_equal(r[0].kind, PR_ROUTE_SSH);
    assert_string_equal(r[0].key, "22001");
    assert_string_equal(r[0].value, "2001:db8:42::2");
    assert_int_equal(r[1].kind, PR_ROUTE_SNI);
    assert_string_equal(r[1].key, "www.rack1-001.hostedpi.example");
    assert_int_equal(r[2].kind, PR_ROUTE_HOST);
    assert_string_equal(r[2].key, "www.rack1-001.hostedpi.example");
    assert_string_equal(r[2].value, "2001:db8:42::2");

    assert_int_equal(pr_proxy_slot_routes(&p, 108, "web", r, err, sizeof err), 3);
    assert_string_equal(r[0].key, "22108");
    assert_string_equal(r[1].key, "www.web.hostedpi.example");
    assert_string_equal(r[1].value, "2001:db8:42:6b::2");

    assert_int_equal(pr_proxy_slot_routes(&p, 109, "web", r, err, sizeof err), -ERANGE);
    assert_non_null(strstr(err, "slot 109 is not in the plan"));
    assert_int_equal(pr_proxy_slot_routes(&p, 0, "web", r, err, sizeof err), -ERANGE);

    static const char *const hostile[] = { "a;del map", "a b", "a#b", "a\nb",
                                           "Web",       "a.b", "-a",  "\xc3\xa9t\xc3\xa9" };
    for (size_t i = 0; i < sizeof hostile / sizeof *hostile; i++) {
        assert_int_equal(pr_proxy_slot_routes(&p, 5, hostile[i], r, err, sizeof err), -EINVAL);
        assert_non_null(strstr(err, "slot 5: pi name"));
        assert_null(strchr(err, '\n'));
    }
}

static void route_lists(void **state)
{
    struct pr_plan p = make_plan(20);
    struct pr_routes rs = { 0 };
    struct pr_route r[PR_ROUTES_PER_SLOT];
    char err[256];
    (void)state;
    for (unsigned slot = 12; slot >= 8; slot--) {
        assert_int_equal(pr_proxy_slot_routes(&p, slot, NULL, r, err, sizeof err), 3);
        for (int i = 0; i < 3; i++)
            assert_int_equal(pr_routes_push(&rs, &r[i]), 0);
    }
    assert_int_equal(pr_routes_find_duplicate(&rs, err, sizeof err), 0);
    pr_routes_sort(&rs);
    assert_int_equal(rs.n, 15);
    assert_int_equal(rs.v[0].kind, PR_ROUTE_SSH);
    assert_string_equal(rs.v[0].key, "22008");
    assert_string_equal(rs.v[4].key, "22012");
    assert_int_equal(rs.v[5].kind, PR_ROUTE_SNI);
    assert_int_equal(rs.v[10].kind, PR_ROUTE_HOST);

    /* slot 3 named like slot 8's default: two slots claim one name */
    assert_int_equal(pr_proxy_slot_routes(&p, 3, "rack1-008", r, err, sizeof err), 3);
    assert_int_equal(pr_routes_push(&rs, &r[1]), 0);
    assert_int_equal(pr_routes_find_duplicate(&rs, err, sizeof err), 1);
    assert_non_null(strstr(err, "www.rack1-008.hostedpi.example is claimed by slots 3 and 8"));
    pr_routes_clear(&rs);
    assert_null(rs.v);
}

static void ports_sort_numerically(void **state)
{
    struct pr_plan p = make_plan(4);
    struct pr_routes rs = { 0 };
    struct pr_route r;
    char err[256];
    (void)state;
    const char *keys[] = { "10000", "999", "22", "1000" };
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pr_route_make(&r, PR_ROUTE_SSH, 1, keys[i], "2001:db8:42::2", &p.v6_pool,
                                       err, sizeof err),
                         0);
        assert_int_equal(pr_routes_push(&rs, &r), 0);
    }
    pr_routes_sort(&rs);
    assert_string_equal(rs.v[0].key, "22");
    assert_string_equal(rs.v[1].key, "999");
    assert_string_equal(rs.v[2].key, "1000");
    assert_string_equal(rs.v[3].key, "10000");
    pr_routes_clear(&rs);
}

static void kind_names(void **state)
{
    enum pr_route_kind k;
    (void)state;
    assert_string_equal(pr_route_kind_name(PR_ROUTE_SSH), "ssh");
    assert_string_equal(pr_route_kind_name(PR_ROUTE_SNI), "sni");
    assert_string_equal(pr_route_kind_name(PR_ROUTE_HOST), "host");
    assert_null(pr_route_kind_name((enum pr_route_kind)3));
    assert_int_equal(pr_route_kind_parse("host", &k), 0);
    assert_int_equal(k, PR_ROUTE_HOST);
    assert_int_equal(pr_route_kind_parse("tls", &k), -EINVAL);
    assert_int_equal(pr_route_kind_parse(NULL, &k), -EINVAL);
}

/* Names from the store: hostile or duplicate ones lose their name routes
 * (with a reason) but keep the slot's ssh port; the rest are unaffected. */
static void build_from_names(void **state)
{
    struct pr_plan p = make_plan(4);
    struct pr_proxy_build b = { 0 };
    (void)state;
    assert_int_equal(pr_proxy_build_add(&b, &p, 1, "web"), 0);
    assert_int_equal(pr_proxy_build_add(&b, &p, 2, "bad;del map x"), 0);
    assert_int_equal(pr_proxy_build_add(&b, &p, 3, "web"), 0);
    assert_int_equal(pr_proxy_build_add(&b, &p, 4, ""), 0);
    assert_int_equal(pr_proxy_build_add(&b, &p, 5, "beyond"), 0); /* not in the plan */
    assert_int_equal(b.rs.n, 3 + 1 + 1 + 3);
    assert_int_equal(b.nrefused, 2);
    assert_int_equal(b.refused[0].slot, 2);
    assert_non_null(strstr(b.refused[0].error, "is not a lower-case DNS label"));
    assert_int_equal(b.refused[1].slot, 3);
    assert_non_null(strstr(b.refused[1].error, "www.web.hostedpi.example is already routed"));
    assert_int_equal(b.npis, 2);
    assert_string_equal(b.pis[0].name, "web");
    assert_string_equal(b.pis[1].name, "rack1-004");
    size_t ssh = 0;
    for (size_t i = 0; i < b.rs.n; i++) {
        ssh += b.rs.v[i].kind == PR_ROUTE_SSH;
        assert_null(strchr(b.rs.v[i].key, ';'));
    }
    assert_int_equal(ssh, 4);
    char err[256];
    assert_int_equal(pr_routes_find_duplicate(&b.rs, err, sizeof err), 0);
    pr_proxy_build_clear(&b);
    assert_null(b.rs.v);
}

/* The engine runs with what pirackd.conf says: paths, ports, timings,
 * the IPv6 pool and one ssh port per slot of the plan. */
static void settings_from_config(void **state)
{
    struct pr_config *cfg = calloc(1, sizeof *cfg);
    struct pr_plan p;
    struct pr_proxy_settings s;
    (void)state;
    assert_non_null(cfg);
    pr_config_defaults(cfg);
    cfg->slots = 6;
    cfg->ssh_port_base = 23001;
    strcpy(cfg->domain, "rack.example");
    strcpy(cfg->proxy_admin_socket, "/run/test/admin.sock");
    strcpy(cfg->proxy_map_dir, "/var/lib/test/maps");
    strcpy(cfg->proxy_config, "/etc/test/haproxy.cfg");
    strcpy(cfg->proxy_zone, "/var/lib/test/rack.zone");
    strcpy(cfg->proxy_ipv4, "192.0.2.7");
    strcpy(cfg->proxy_ipv6, "2001:db8::7");
    assert_int_equal(pr_prefix6_parse("2001:db8:42::/56", &cfg->v6_pool), 0);
    cfg->proxy_http_port = 8080;
    cfg->proxy_https_port = 8443;
    cfg->proxy_timeout_ms = 1500;
    cfg->proxy_check_ms = 250;
    pr_config_plan(cfg, &p);
    pr_proxy_settings_from_config(cfg, &p, &s);
    assert_string_equal(s.admin, "/run/test/admin.sock");
    assert_string_equal(s.map_dir, "/var/lib/test/maps");
    assert_string_equal(s.config_path, "/etc/test/haproxy.cfg");
    assert_string_equal(s.zone_path, "/var/lib/test/rack.zone");
    assert_string_equal(s.domain, "rack.example");
    assert_string_equal(s.proxy_ipv4, "192.0.2.7");
    assert_string_equal(s.proxy_ipv6, "2001:db8::7");
    assert_memory_equal(&s.pool, &cfg->v6_pool, sizeof s.pool);
    assert_int_equal(s.http_port, 8080);
    assert_int_equal(s.https_port, 8443);
    assert_int_equal(s.ssh_first, 23001);
    assert_int_equal(s.ssh_last, 23006);
    assert_int_equal(s.timeout_ms, 1500);
    assert_int_equal(s.check_ms, 250);
    p.slots = 0; /* no slots: no range below the base */
    pr_proxy_settings_from_config(cfg, &p, &s);
    assert_int_equal(s.ssh_last, 23001);
    free(cfg);
}
int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_keys),
        cmocka_unit_test(hostile_keys),
        cmocka_unit_test(values),
        cmocka_unit_test(make_route),
        cmocka_unit_test(slot_routes),
        cmocka_unit_test(route_lists),
        cmocka_unit_test(ports_sort_numerically),
        cmocka_unit_test(kind_names),
        cmocka_unit_test(build_from_names),
        cmocka_unit_test(settings_from_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
