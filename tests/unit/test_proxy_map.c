/* proxy_map: HAProxy's answers, map diffs and the runtime commands. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pirack/proxy.h"
#include "daemon/proxy/proxy_internal.h"
#include "daemon/config/config_internal.h"

#define MAP "/var/lib/pirack/haproxy/sni.map"

static struct pr_prefix6 pool(void)
{
    struct pr_prefix6 p;
    assert_int_equal(pr_prefix6_parse("2001:db8:42::/56", &p), 0);
    return p;
}

static void parse(const char *text, struct pr_map_entries *me, int want)
{
    char err[256] = "";
    assert_int_equal(pr_haproxy_parse_show_map(text, strlen(text), 1000, me, err, sizeof err),
                     want);
}

static void show_map_answers(void **state)
{
    struct pr_map_entries me;
    (void)state;
    /* what HAProxy 2.6 prints, blank line at the end */
    parse("0x55e4b5a0e6a0 www.a.example 2001:db8:42::2\n"
          "0x55e4b5a0e700 www.b.example 2001:db8:42:1::2\n\n",
          &me, 0);
    assert_int_equal(me.n, 2);
    assert_int_equal(me.malformed, 0);
    assert_string_equal(me.v[0].key, "www.a.example");
    assert_string_equal(me.v[1].value, "2001:db8:42:1::2");
    assert_true(pr_map_entries_has(&me, "www.b.example", "2001:db8:42:1::2"));
    assert_false(pr_map_entries_has(&me, "www.b.example", "2001:db8:42::2"));
    assert_false(pr_map_entries_has(&me, "www.c.example", "2001:db8:42::2"));
    pr_map_entries_clear(&me);

    parse("\n", &me, 0); /* an empty map */
    assert_int_equal(me.n, 0);
    parse("", &me, 0);
    assert_int_equal(me.n, 0);

    /* lines that are not ours are counted, not kept */
    parse("0x1 www.a.example 2001:db8:42::2\n"
          "0x2 only-two\n"
          "0xzz www.b.example ::1\n"
          "0x3 a b c d\n"
          "0x4 www.c.example 2001:db8:42::2",
          &me, 0); /* no final newline */
    assert_int_equal(me.n, 2);
    assert_int_equal(me.malformed, 3);
    pr_map_entries_clear(&me);
}

static void show_map_errors(void **state)
{
    struct pr_map_entries me;
    char err[256], big[600];
    (void)state;
    const char *unknown = "Unknown map identifier. Please use #<id> or <file>.\n\n";
    assert_int_equal(pr_haproxy_parse_show_map(unknown, strlen(unknown), 10, &me, err, sizeof err),
                     -ENOENT);
    assert_string_equal(err, "Unknown map identifier. Please use #<id> or <file>.");
    assert_null(me.v);

    /* a key longer than any of ours: malformed, not truncated */
    memset(big, 'a', sizeof big);
    memcpy(big, "0x1 ", 4);
    memcpy(big + 500, " 2001:db8:42::2\n", 17);
    parse(big, &me, 0);
    assert_int_equal(me.n, 0);
    assert_int_equal(me.malformed, 1);
    pr_map_entries_clear(&me);

    const char *three = "0x1 a ::1\n0x2 b ::1\n0x3 c ::1\n";
    assert_int_equal(pr_haproxy_parse_show_map(three, strlen(three), 2, &me, err, sizeof err),
                     -E2BIG);
    assert_null(me.v);
}

static void show_info_and_prepare(void **state)
{
    struct pr_haproxy_info info;
    (void)state;
    const char *text = "Name: HAProxy\nVersion: 2.6.12-1+deb12u4\nRelease_date: 2026/10/17\n"
                       "Nbthread: 2\nPid: 31481\nUptime: 0d 0h00m04s\nUptime_sec: 4\n";
    assert_int_equal(pr_haproxy_parse_show_info(text, strlen(text), &info), 0);
    assert_int_equal(info.pid, 31481);
    assert_int_equal(info.uptime_s, 4);
    assert_string_equal(info.version, "2.6.12-1+deb12u4");
    const char *nopid = "Name: HAProxy\nPidx: 3\nPid: x\n";
    assert_int_equal(pr_haproxy_parse_show_info(nopid, strlen(nopid), &info), -EINVAL);
    assert_int_equal(pr_haproxy_parse_show_info("", 0, &info), -EINVAL);

    const char *prep = "New version created: 17\n\n";
    assert_int_equal(pr_haproxy_parse_prepare(prep, strlen(prep)), 17);
    const char *bad[] = { "New version created: \n", "Unknown map identifier.\n",
                          "New version created: 1x\n", "" };
    for (int i = 0; i < 4; i++)
        assert_int_equal(pr_haproxy_parse_prepare(bad[i], strlen(bad[i])), -EINVAL);
}

static void add(struct pr_routes *rs, enum pr_route_kind kind, const char *key, const char *value)
{
    struct pr_prefix6 p = pool();
    struct pr_route r;
    char err[256];
    assert_int_equal(pr_route_make(&r, kind, 1, key, value, &p, err, sizeof err), 0);
    assert_int_equal(pr_routes_push(rs, &r), 0);
}

static const struct pr_map_op *find_op(const struct pr_map_ops *ops, const char *key)
{
    for (size_t i = 0; i < ops->n; i++)
        if (strcmp(ops->v[i].key, key) == 0)
            return &ops->v[i];
    return NULL;
}

static void diffs(void **state)
{
    struct pr_routes rs = { 0 };
    struct pr_map_entries have;
    struct pr_map_ops ops;
    (void)state;
    add(&rs, PR_ROUTE_SNI, "www.keep.example", "2001:db8:42::2");
    add(&rs, PR_ROUTE_SNI, "www.new.example", "2001:db8:42:1::2");
    add(&rs, PR_ROUTE_SNI, "www.moved.example", "2001:db8:42:2::2");
    add(&rs, PR_ROUTE_HOST, "www.other-kind.example", "2001:db8:42::2");
    parse("0x1 www.keep.example 2001:db8:42::2\n"
          "0x2 www.moved.example 2001:db8:42:9::2\n"
          "0x3 www.gone.example 2001:db8:42:3::2\n",
          &have, 0);
    assert_int_equal(pr_proxy_map_diff(PR_ROUTE_SNI, &rs, &have, &ops), 0);
    assert_false(ops.swap);
    assert_int_equal(ops.n, 3);
    assert_int_equal(find_op(&ops, "www.new.example")->op, PR_MAP_ADD);
    assert_string_equal(find_op(&ops, "www.new.example")->value, "2001:db8:42:1::2");
    assert_int_equal(find_op(&ops, "www.moved.example")->op, PR_MAP_SET);
    assert_string_equal(find_op(&ops, "www.moved.example")->value, "2001:db8:42:2::2");
    assert_int_equal(find_op(&ops, "www.gone.example")->op, PR_MAP_DEL);
    assert_null(find_op(&ops, "www.keep.example"));
    assert_null(find_op(&ops, "www.other-kind.example"));
    pr_map_ops_clear(&ops);
    pr_map_entries_clear(&have);

    /* in step: nothing to do */
    parse("0x1 www.keep.example 2001:db8:42::2\n0x2 www.new.example 2001:db8:42:1::2\n"
          "0x3 www.moved.example 2001:db8:42:2::2\n",
          &have, 0);
    assert_int_equal(pr_proxy_map_diff(PR_ROUTE_SNI, &rs, &have, &ops), 0);
    assert_int_equal(ops.n, 0);
    assert_false(ops.swap);
    pr_map_entries_clear(&have);
    pr_routes_clear(&rs);
}

static void diffs_that_need_a_swap(void **state)
{
    struct pr_routes rs = { 0 };
    struct pr_map_entries have;
    struct pr_map_ops ops;
    (void)state;
    add(&rs, PR_ROUTE_SNI, "www.a.example", "2001:db8:42::2");

    /* a hostile key that someone else put there can never be named in a
     * `del map`: replace the whole map instead */
    parse("0x1 www.a.example 2001:db8:42::2\n0x2 x;del 2001:db8:42::2\n", &have, 0);
    assert_int_equal(pr_proxy_map_diff(PR_ROUTE_SNI, &rs, &have, &ops), 0);
    assert_true(ops.swap);
    assert_int_equal(ops.n, 0);
    pr_map_ops_clear(&ops);
    pr_map_entries_clear(&have);

    /* a key twice: `set map` would change one of them */
    parse("0x1 www.a.example 2001:db8:42::2\n0x2 www.a.example ::1\n", &have, 0);
    assert_int_equal(pr_proxy_map_diff(PR_ROUTE_SNI, &rs, &have, &ops), 0);
    assert_true(ops.swap);
    assert_false(pr_map_entries_has(&have, "www.a.example", "2001:db8:42::2"));
    pr_map_ops_clear(&ops);
    pr_map_entries_clear(&have);

    /* a value outside the pool under our key is simply set right */
    parse("0x1 www.a.example ::1\n", &have, 0);
    assert_int_equal(pr_proxy_map_diff(PR_ROUTE_SNI, &rs, &have, &ops), 0);
    assert_false(ops.swap);
    assert_int_equal(ops.n, 1);
    assert_int_equal(ops.v[0].op, PR_MAP_SET);
    pr_map_ops_clear(&ops);
    pr_map_entries_clear(&have);

    /* malformed lines */
    parse("0x1 www.a.example 2001:db8:42::2\ngarbage\n", &have, 0);
    assert_int_equal(pr_proxy_map_diff(PR_ROUTE_SNI, &rs, &have, &ops), 0);
    assert_true(ops.swap);
    pr_map_ops_clear(&ops);
    pr_map_entries_clear(&have);

    /* many changes at once (an empty map after a restart) */
    char key[64];
    for (int i = 0; i < 40; i++) {
        snprintf(key, sizeof key, "www.p%d.example", i);
        add(&rs, PR_ROUTE_SNI, key, "2001:db8:42::2");
    }
    parse("\n", &have, 0);
    assert_int_equal(pr_proxy_map_diff(PR_ROUTE_SNI, &rs, &have, &ops), 0);
    assert_true(ops.swap);
    assert_int_equal(ops.n, 41);
    pr_map_ops_clear(&ops);
    pr_map_entries_clear(&have);
    pr_routes_clear(&rs);
}

static void commands(void **state)
{
    struct pr_prefix6 p = pool();
    struct pr_map_op op = { .op = PR_MAP_ADD, .key = "www.a.example", .value = "2001:db8:42::2" };
    char buf[512], err[256];
    (void)state;
    assert_int_equal(pr_haproxy_cmd_show_map(buf, sizeof buf, MAP, err, sizeof err), 0);
    assert_string_equal(buf, "show map " MAP "\n");
    assert_int_equal(
        pr_haproxy_cmd_map_op(buf, sizeof buf, MAP, -1, PR_ROUTE_SNI, &p, &op, err, sizeof err), 0);
    assert_string_equal(buf, "add map " MAP " www.a.example 2001:db8:42::2\n");
    assert_int_equal(
        pr_haproxy_cmd_map_op(buf, sizeof buf, MAP, 4, PR_ROUTE_SNI, &p, &op, err, sizeof err), 0);
    assert_string_equal(buf, "add map @4 " MAP " www.a.example 2001:db8:42::2\n");
    op.op = PR_MAP_SET;
    assert_int_equal(
        pr_haproxy_cmd_map_op(buf, sizeof buf, MAP, -1, PR_ROUTE_SNI, &p, &op, err, sizeof err), 0);
    assert_string_equal(buf, "set map " MAP " www.a.example 2001:db8:42::2\n");
    op.op = PR_MAP_DEL;
    assert_int_equal(
        pr_haproxy_cmd_map_op(buf, sizeof buf, MAP, -1, PR_ROUTE_SNI, &p, &op, err, sizeof err), 0);
    assert_string_equal(buf, "del map " MAP " www.a.example\n");
    assert_int_equal(pr_haproxy_cmd_prepare(buf, sizeof buf, MAP, err, sizeof err), 0);
    assert_string_equal(buf, "prepare map " MAP "\n");
    assert_int_equal(pr_haproxy_cmd_commit(buf, sizeof buf, MAP, 4, err, sizeof err), 0);
    assert_string_equal(buf, "commit map @4 " MAP "\n");
    assert_int_equal(pr_haproxy_cmd_commit(buf, sizeof buf, MAP, -1, err, sizeof err), -EINVAL);
    char tiny[16];
    assert_int_equal(pr_haproxy_cmd_show_map(tiny, sizeof tiny, MAP, err, sizeof err), -ENOSPC);
}

/* The builders check again: nothing unsafe reaches the socket even if a
 * caller skipped pr_route_make(). */
static void commands_refuse_injection(void **state)
{
    struct pr_prefix6 p = pool();
    char buf[512], err[256];
    (void)state;
    static const struct {
        const char *key, *value;
    } bad[] = {
        { "www.a.example;del map " MAP " www.b.example", "2001:db8:42::2" },
        { "www.a.example", "2001:db8:42::2;del map " MAP " www.b.example" },
        { "www.a.example x", "2001:db8:42::2" },
        { "www.a.example", "2001:db8:42::2 #" },
        { "www.a.example\nshow info", "2001:db8:42::2" },
        { "www.a.example", "192.0.2.1" },
        { "www.a.example", "2001:db8:43::2" },
        { "www.a.example", "::1" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct pr_map_op op = { .op = PR_MAP_ADD };
        snprintf(op.key, sizeof op.key, "%s", bad[i].key);
        snprintf(op.value, sizeof op.value, "%s", bad[i].value);
        strcpy(buf, "untouched");
        assert_int_equal(
            pr_haproxy_cmd_map_op(buf, sizeof buf, MAP, -1, PR_ROUTE_SNI, &p, &op, err, sizeof err),
            -EINVAL);
        assert_string_equal(buf, "untouched");
        op.op = PR_MAP_SET;
        assert_int_equal(
            pr_haproxy_cmd_map_op(buf, sizeof buf, MAP, -1, PR_ROUTE_SNI, &p, &op, err, sizeof err),
            -EINVAL);
    }
    struct pr_map_op del = { .op = PR_MAP_DEL, .key = "a;show info" };
    assert_int_equal(
        pr_haproxy_cmd_map_op(buf, sizeof buf, MAP, -1, PR_ROUTE_SNI, &p, &del, err, sizeof err),
        -EINVAL);
    static const char *const maps[] = {
        "relative/sni.map", "/m/sni.map;show info", "/m/s ni.map", "/m/../etc/x", "/m/#x", ""
    };
    for (size_t i = 0; i < sizeof maps / sizeof *maps; i++) {
        assert_int_equal(pr_haproxy_cmd_show_map(buf, sizeof buf, maps[i], err, sizeof err),
                         -EINVAL);
        assert_non_null(strstr(err, "is not a plain absolute path"));
    }
    assert_int_equal(pr_haproxy_cmd_show_map(buf, sizeof buf, NULL, err, sizeof err), -EINVAL);
}

static void admin_addresses(void **state)
{
    char *ans;
    size_t len;
    (void)state;
    assert_true(pr_haproxy_addr_valid("/run/haproxy/admin.sock"));
    assert_true(pr_haproxy_addr_valid("proxy.example:9999"));
    assert_true(pr_haproxy_addr_valid("192.0.2.7:9999"));
    assert_true(pr_haproxy_addr_valid("[2001:db8::7]:9999"));
    assert_false(pr_haproxy_addr_valid("relative.sock"));
    assert_false(pr_haproxy_addr_valid("host"));
    assert_false(pr_haproxy_addr_valid("host:0"));
    assert_false(pr_haproxy_addr_valid("host:65536"));
    assert_false(pr_haproxy_addr_valid("[2001:db8::7:9999"));
    assert_false(pr_haproxy_addr_valid("/run/a b.sock"));
    assert_false(pr_haproxy_addr_valid(NULL));
    /* one line, one command */
    assert_int_equal(
        pr_haproxy_cmd("/nonexistent/admin.sock", "show info\nshow map\n", 100, &ans, &len),
        -EINVAL);
    assert_int_equal(pr_haproxy_cmd("/nonexistent/admin.sock", "show info", 100, &ans, &len),
                     -EINVAL);
    assert_int_equal(pr_haproxy_cmd("/nonexistent/admin.sock", "show info\n", 100, &ans, &len),
                     -ENOENT);
    assert_null(ans);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(show_map_answers),          cmocka_unit_test(show_map_errors),
        cmocka_unit_test(show_info_and_prepare),     cmocka_unit_test(diffs),
        cmocka_unit_test(diffs_that_need_a_swap),    cmocka_unit_test(commands),
        cmocka_unit_test(commands_refuse_injection), cmocka_unit_test(admin_addresses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
