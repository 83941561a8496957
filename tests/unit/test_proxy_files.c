/* proxy files: haproxy.cfg, map files, atomic writes and the DNS zone. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pirack/config.h"
#include "pirack/proxy.h"
#include "pirack/zone.h"
#include "daemon/proxy/proxy_internal.h"
#include "daemon/config/config_internal.h"

static char *render(const struct pr_proxy_render *r, int want)
{
    char *buf = NULL, err[256] = "";
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(pr_proxy_render_config(f, r, err, sizeof err), want);
    fclose(f);
    return buf;
}

static struct pr_proxy_render base(void)
{
    struct pr_proxy_render r = {
        .admin_socket = "/run/haproxy/admin.sock",
        .map_dir = "/var/lib/pirack/haproxy",
        .http_port = 80,
        .https_port = 443,
        .ssh_first = 22001,
        .ssh_last = 22108,
    };
    assert_int_equal(pr_prefix6_parse("2001:db8:42::/56", &r.pi_pool), 0);
    return r;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* With [proxy] api_cert, api.DOMAIN is terminated at the proxy and sent
 * to pirackd's customer API; every other name still goes to its Pi. */
static void config_api_route(void **state)
{
    struct pr_proxy_render r = base();
    (void)state;
    r.api_host = "api.rack.example";
    r.api_cert = "/etc/pirack/api.pem";
    r.api_backend = "127.0.0.1:8080";
    char *cfg = render(&r, 0);
    assert_non_null(strstr(cfg, "acl api req.ssl_sni -i api.rack.example\n"));
    assert_non_null(strstr(cfg, "use_backend pirack_api_tls if api\n"));
    assert_non_null(
        strstr(cfg, "tcp-request content reject unless api || { dst 2001:db8:42::/56 }\n"));
    assert_non_null(strstr(cfg, "accept-proxy ssl crt /etc/pirack/api.pem\n"));
    assert_non_null(strstr(cfg, "server pirackd 127.0.0.1:8080\n"));
    assert_non_null(strstr(cfg, "send-proxy-v2\n"));
    free(cfg);
    /* without it, no api route at all */
    r.api_cert = NULL;
    cfg = render(&r, 0);
    assert_null(strstr(cfg, "pirack_api"));
    free(cfg);
    /* hostile values are refused, not rendered */
    r.api_cert = "/etc/pirack/api.pem\n    server evil 192.0.2.1:80";
    free(render(&r, -EINVAL));
    r.api_cert = "/etc/pirack/api.pem";
    r.api_backend = "127.0.0.1:8080 check\nbackend x";
    free(render(&r, -EINVAL));
}

static void config_lines(void **state)
{
    struct pr_proxy_render r = base();
    (void)state;
    char *cfg = render(&r, 0);
    assert_non_null(strstr(cfg, "stats socket /run/haproxy/admin.sock mode 600 level admin\n"));
    free(cfg);
    /* pirackd's group may use a local socket; nothing but a group name */
    r.admin_group = "pirack";
    cfg = render(&r, 0);
    assert_non_null(
        strstr(cfg, "stats socket /run/haproxy/admin.sock mode 660 group pirack level admin\n"));
    free(cfg);
    r.admin_group = "pirack level admin\nstats socket ipv4@:1";
    free(render(&r, -EINVAL));
    r.admin_group = NULL;
    cfg = render(&r, 0);
    assert_null(strstr(cfg, "stats socket ipv4@"));
    assert_non_null(strstr(cfg, "bind :::443 v4v6\n"));
    assert_non_null(strstr(cfg, "tcp-request inspect-delay 5s\n"));
    assert_non_null(strstr(cfg, "reject unless { req.ssl_hello_type 1 }\n"));
    assert_non_null(strstr(cfg, "req.ssl_sni,lower,map(/var/lib/pirack/haproxy/sni.map)\n"));
    assert_non_null(strstr(cfg, "bind :::80 v4v6\n"));
    assert_non_null(strstr(cfg, "req.hdr(host),host_only,lower,map(/var/lib/pirack/haproxy/"
                                "host.map)\n"));
    assert_non_null(strstr(cfg, "http-request deny deny_status 404 unless"));
    assert_non_null(strstr(cfg, "option forwardfor\n"));
    assert_non_null(strstr(cfg, "bind :::22001-22108 v4v6\n"));
    assert_non_null(strstr(cfg, "dst_port,map_int(/var/lib/pirack/haproxy/ssh.map)\n"));
    assert_non_null(strstr(cfg, "server pi 0.0.0.0:22\n"));
    /* every set-dst is followed at once by the pool guard */
    assert_int_equal(count(cfg, "set-dst "), 3);
    assert_int_equal(count(cfg, "reject unless { dst 2001:db8:42::/56 }"), 3);
    for (const char *p = cfg; (p = strstr(p, "set-dst ")) != NULL; p++) {
        const char *guard = strstr(p, "reject unless { dst ");
        size_t lines = 0;
        assert_non_null(guard);
        for (const char *q = p; q < guard; q++)
            lines += *q == '\n';
        assert_int_equal(lines, 2); /* set-dst, the comment, the guard */
    }
    free(cfg);

    /* a remote HAProxy still gets a Unix socket, never a TCP one */
    r.admin_socket = "[2001:db8::7]:9999";
    cfg = render(&r, 0);
    assert_non_null(strstr(cfg, "stats socket /run/haproxy/pirack-admin.sock mode 600"));
    assert_null(strstr(cfg, "stats socket [2001"));
    free(cfg);

    /* port 0 leaves a frontend out */
    r = base();
    r.http_port = 0;
    cfg = render(&r, 0);
    assert_null(strstr(cfg, "frontend pirack_http"));
    assert_non_null(strstr(cfg, "frontend pirack_tls"));
    free(cfg);
}

static void config_refusals(void **state)
{
    struct pr_proxy_render r;
    (void)state;
    r = base();
    r.map_dir = "/var/lib/pirack/ha proxy";
    free(render(&r, -EINVAL));
    r = base();
    r.map_dir = "relative";
    free(render(&r, -EINVAL));
    r = base();
    r.admin_socket = "/run/a;b.sock";
    free(render(&r, -EINVAL));
    r = base();
    r.ssh_first = 30000;
    r.ssh_last = 20000;
    free(render(&r, -EINVAL));
    r = base();
    r.pi_pool.len = 0;
    free(render(&r, -EINVAL));
}

static void path_checks(void **state)
{
    (void)state;
    assert_true(pr_proxy_path_valid("/var/lib/pirack/haproxy"));
    assert_true(pr_proxy_path_valid("/tmp/pirack-test.AbC123/haproxy/sni.map"));
    assert_true(pr_proxy_path_valid("/a/.hidden"));
    assert_false(pr_proxy_path_valid("/a/../b"));
    assert_false(pr_proxy_path_valid("/a/./b"));
    assert_false(pr_proxy_path_valid("/a/.."));
    assert_false(pr_proxy_path_valid("/a b"));
    assert_false(pr_proxy_path_valid("/a;b"));
    assert_false(pr_proxy_path_valid("/a#b"));
    assert_false(pr_proxy_path_valid("/a\nb"));
    assert_false(pr_proxy_path_valid("a/b"));
    assert_false(pr_proxy_path_valid("/"));
    assert_false(pr_proxy_path_valid(NULL));
}

static void map_files(void **state)
{
    struct pr_prefix6 pool;
    struct pr_routes rs = { 0 };
    struct pr_route r;
    char err[256], *buf = NULL;
    size_t len = 0;
    (void)state;
    assert_int_equal(pr_prefix6_parse("2001:db8:42::/56", &pool), 0);
    assert_int_equal(
        pr_route_make(&r, PR_ROUTE_SSH, 2, "22002", "2001:db8:42:1::2", &pool, err, sizeof err), 0);
    pr_routes_push(&rs, &r);
    assert_int_equal(
        pr_route_make(&r, PR_ROUTE_SSH, 1, "22001", "2001:db8:42::2", &pool, err, sizeof err), 0);
    pr_routes_push(&rs, &r);
    assert_int_equal(pr_route_make(&r, PR_ROUTE_SNI, 1, "www.a.example", "2001:db8:42::2", &pool,
                                   err, sizeof err),
                     0);
    pr_routes_push(&rs, &r);
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(pr_proxy_write_map(f, PR_ROUTE_SSH, &rs, &pool, err, sizeof err), 0);
    fclose(f);
    assert_string_equal(strchr(buf, '\n') + 1, "22001 2001:db8:42::2\n22002 2001:db8:42:1::2\n");
    assert_int_equal(buf[0], '#');
    free(buf);

    /* a route that skipped the checks spoils the whole map, not a line */
    snprintf(rs.v[2].key, sizeof rs.v[2].key, "www.b.example;del map x");
    f = open_memstream(&buf, &len);
    assert_int_equal(pr_proxy_write_map(f, PR_ROUTE_SNI, &rs, &pool, err, sizeof err), -EINVAL);
    fclose(f);
    assert_null(strstr(buf, "www.b.example"));
    free(buf);
    pr_routes_clear(&rs);
}

static void atomic_writes(void **state)
{
    char dir[] = "/tmp/pirack-unit-XXXXXX", path[128], buf[64];
    struct stat st;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/f", dir);
    assert_int_equal(pr_write_file_atomic(path, "one\n", 4, 0600), 0);
    assert_int_equal(pr_write_file_atomic(path, "two\n", 4, 0644), 0);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(buf, sizeof buf, f));
    fclose(f);
    assert_string_equal(buf, "two\n");
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    snprintf(path, sizeof path, "%s/missing/f", dir);
    assert_int_equal(pr_write_file_atomic(path, "x", 1, 0644), -ENOENT);
    snprintf(path, sizeof path, "%s/f", dir);
    unlink(path);
    assert_int_equal(rmdir(dir), 0); /* no temporary file left behind */
}

/* With the customer API's route, api.DOMAIN is the front proxy, and a pi
 * named "api" does not get the name too. */
static void zone_api(void **state)
{
    struct pr_zone_params zp = { .domain = "rack.example",
                                 .proxy_ipv4 = "192.0.2.80",
                                 .proxy_ipv6 = "2001:db8:ff::80",
                                 .api = true };
    struct pr_zone_pi pis[2] = { { .name = "api" }, { .name = "web" } };
    char *rec = NULL, err[256];
    size_t len = 0, skipped = 0;
    (void)state;
    FILE *f = open_memstream(&rec, &len);
    assert_int_equal(pr_zone_render_records(f, &zp, pis, 2, &skipped, err, sizeof err), 0);
    fclose(f);
    assert_int_equal(skipped, 1);
    assert_non_null(strstr(rec, "api                          IN A     192.0.2.80\n"));
    assert_non_null(strstr(rec, "api                          IN AAAA  2001:db8:ff::80\n"));
    assert_null(strstr(rec, "ssh.api"));
    assert_int_equal(count(rec, "\napi "), 1);
    free(rec);
}

static void zone_text(void **state)
{
    struct pr_zone_params zp = { .domain = "rack.example",
                                 .proxy_ipv4 = "192.0.2.80",
                                 .proxy_ipv6 = "2001:db8:ff::80" };
    struct pr_zone_pi pis[3] = { { .name = "pi-one" },
                                 { .name = "bad;name" },
                                 { .name = "pi-two" } };
    char *rec = NULL, *zone = NULL, err[256];
    size_t len = 0, zlen = 0, skipped = 0, off = 0;
    uint32_t serial = 0;
    (void)state;
    inet_pton(AF_INET6, "2001:db8:42::2", &pis[0].addr);
    inet_pton(AF_INET6, "2001:db8:42:2::2", &pis[2].addr);
    FILE *f = open_memstream(&rec, &len);
    assert_int_equal(pr_zone_render_records(f, &zp, pis, 3, &skipped, err, sizeof err), 0);
    fclose(f);
    assert_int_equal(skipped, 1);
    assert_null(strstr(rec, "bad"));
    assert_non_null(strstr(rec, "pi-one                       IN AAAA  2001:db8:42::2\n"));
    assert_non_null(strstr(rec, "ssh.pi-one                   IN A     192.0.2.80\n"));
    assert_non_null(strstr(rec, "www.pi-two                   IN AAAA  2001:db8:ff::80\n"));
    assert_int_equal(count(rec, " IN A "), 4);
    assert_int_equal(count(rec, " IN AAAA "), 6);

    f = open_memstream(&zone, &zlen);
    assert_int_equal(pr_zone_render(f, &zp, 2026112603, rec, err, sizeof err), 0);
    fclose(f);
    assert_non_null(strstr(zone, "$ORIGIN rack.example.\n"));
    assert_non_null(strstr(zone, "@ IN SOA ns.rack.example. hostmaster.rack.example. "
                                 "( 2026112603 "));
    assert_int_equal(pr_zone_parse(zone, zlen, &serial, &off), 0);
    assert_int_equal(serial, 2026112603);
    assert_string_equal(zone + off, rec);
    assert_int_equal(pr_zone_parse(rec, len, &serial, &off), -EINVAL);
    free(zone);
    free(rec);

    zp.domain = "Rack.Example";
    f = open_memstream(&zone, &zlen);
    assert_int_equal(pr_zone_render(f, &zp, 1, "", err, sizeof err), -EINVAL);
    fclose(f);
    free(zone);
    zp.domain = "rack.example";
    zp.proxy_ipv4 = "2001:db8::1";
    f = open_memstream(&zone, &zlen);
    assert_int_equal(pr_zone_render_records(f, &zp, pis, 1, &skipped, err, sizeof err), -EINVAL);
    fclose(f);
    free(zone);
}

static void zone_serials(void **state)
{
    (void)state;
    assert_int_equal(pr_zone_day(0), 19700101);
    assert_int_equal(pr_zone_day(1795564800), 20261125); /* 2026-11-25 00:00 UTC */
    assert_int_equal(pr_zone_day(1795651199), 20261125); /* 23:59:59 */
    assert_int_equal(pr_zone_next_serial(0, 20261126), 2026112600);
    assert_int_equal(pr_zone_next_serial(2026112600, 20261126), 2026112601);
    assert_int_equal(pr_zone_next_serial(2026112511, 20261126), 2026112600); /* new day */
    assert_int_equal(pr_zone_next_serial(2026112699, 20261126), 2026112700); /* 100th */
    assert_int_equal(pr_zone_next_serial(2026112705, 20261126), 2026112706); /* clock back */
}

/* The zone on disk is rewritten only when a record changes, and its
 * serial survives a restart. */
static void zone_updates(void **state)
{
    char dir[] = "/tmp/pirack-unit-XXXXXX";
    struct pr_proxy_settings s;
    struct pr_proxy_zone z, again;
    struct pr_zone_pi pi = { .name = "pi-one" };
    char err[256];
    (void)state;
    assert_non_null(mkdtemp(dir));
    memset(&s, 0, sizeof s);
    snprintf(s.zone_path, sizeof s.zone_path, "%s/rack.zone", dir);
    snprintf(s.domain, sizeof s.domain, "rack.example");
    snprintf(s.proxy_ipv4, sizeof s.proxy_ipv4, "192.0.2.80");
    inet_pton(AF_INET6, "2001:db8:42::2", &pi.addr);

    assert_int_equal(pr_proxy_zone_load(&z, s.zone_path), 0);
    assert_int_equal(z.serial, 0);
    assert_int_equal(pr_proxy_zone_update(&z, &s, &pi, 1, err, sizeof err), 1);
    uint32_t first = z.serial;
    assert_true(first >= 2026010100u);
    assert_int_equal(pr_proxy_zone_update(&z, &s, &pi, 1, err, sizeof err), 0);
    assert_int_equal(z.serial, first);
    snprintf(pi.name, sizeof pi.name, "pi-renamed");
    assert_int_equal(pr_proxy_zone_update(&z, &s, &pi, 1, err, sizeof err), 1);
    assert_int_equal(z.serial, first + 1);

    assert_int_equal(pr_proxy_zone_load(&again, s.zone_path), 0); /* a restart */
    assert_int_equal(again.serial, first + 1);
    assert_int_equal(pr_proxy_zone_update(&again, &s, &pi, 1, err, sizeof err), 0);
    pr_proxy_zone_clear(&again);
    pr_proxy_zone_clear(&z);
    unlink(s.zone_path);
    assert_int_equal(rmdir(dir), 0);
}

/* pirackd.conf refuses, with file and line, a map_dir or admin_socket
 * that would change meaning inside HAProxy's configuration or a command. */
static void config_refuses_unsafe_proxy_paths(void **state)
{
    char path[] = "/tmp/pirack-unit-conf-XXXXXX", *out = NULL;
    size_t len = 0;
    struct pr_config *cfg = malloc(sizeof *cfg);
    (void)state;
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "[rack]\nname = r\ndomain = rack.example\nslots = 2\n"
                       "[ipv4]\npool = 10.9.0.0/24\n[ipv6]\npool = 2001:db8:9::/56\n"
                       "[proxy]\nmap_dir = /var/lib/a b\nadmin_socket = /run/x;y.sock\n"
                       "check_interval = 300ms\ntimeout = 2s\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    FILE *errs = open_memstream(&out, &len);
    assert_int_equal(pr_config_load(path, cfg, errs), 2);
    fclose(errs);
    assert_non_null(strstr(out, ":10: map_dir: \"/var/lib/a b\" must be an absolute path"));
    assert_non_null(strstr(out, ":11: admin_socket: \"/run/x;y.sock\" is not"));
    assert_int_equal(cfg->proxy_check_ms, 300);
    assert_int_equal(cfg->proxy_timeout_ms, 2000);
    free(out);
    free(cfg);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(config_lines),
        cmocka_unit_test(config_api_route),
        cmocka_unit_test(config_refusals),
        cmocka_unit_test(path_checks),
        cmocka_unit_test(map_files),
        cmocka_unit_test(atomic_writes),
        cmocka_unit_test(zone_text),
        cmocka_unit_test(zone_api),
        cmocka_unit_test(zone_serials),
        cmocka_unit_test(zone_updates),
        cmocka_unit_test(config_refuses_unsafe_proxy_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
