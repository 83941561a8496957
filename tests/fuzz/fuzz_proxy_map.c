/* Fuzzes what comes back from HAProxy's admin socket: `show map`,
 * `show info` and `prepare map` answers, then diffs the parsed map
 * against a fixed route set and builds every command the diff asks for.
 * Whatever HAProxy (or whoever holds its socket) says, no command may
 * carry a second command (';' or a newline), a comment or an extra
 * argument. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pirack/proxy.h"
#include "daemon/config/config_internal.h"
#include "daemon/proxy/proxy_internal.h"
#include "pirack/zone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_command(const char *cmd, size_t words)
{
    size_t len = strlen(cmd), n = 1;
    if (len == 0 || cmd[len - 1] != '\n' || strchr(cmd, ';') || strchr(cmd, '#') ||
        strchr(cmd, '\n') != cmd + len - 1 || strchr(cmd, '\t') || strchr(cmd, '\r'))
        abort();
    for (size_t i = 0; i + 1 < len; i++)
        n += cmd[i] == ' ';
    if (n != words)
        abort();
}

/* The fixed route set the parsed map is diffed against: the same for
 * every input, so it is built once (building it per input was a 20 KiB
 * allocation and most of the time outside libFuzzer). */
static struct pr_prefix6 pool;
static struct pr_routes rs;

static void make_routes(void)
{
    struct pr_route r;
    char err[256];

    if (pr_prefix6_parse("2001:db8:42::/56", &pool) < 0)
        abort();
    pr_route_make(&r, PR_ROUTE_SNI, 1, "www.a.example", "2001:db8:42::2", &pool, err, sizeof err);
    pr_routes_push(&rs, &r);
    pr_route_make(&r, PR_ROUTE_SNI, 2, "www.b.example", "2001:db8:42:1::2", &pool, err, sizeof err);
    pr_routes_push(&rs, &r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct pr_map_entries have;
    struct pr_map_ops ops;
    struct pr_haproxy_info info;
    char err[256], cmd[2048];
    uint32_t serial;
    size_t off;

    pr_haproxy_parse_show_info(text, size, &info);
    pr_haproxy_parse_prepare(text, size);
    pr_zone_parse(text, size, &serial, &off);
    if (rs.n == 0)
        make_routes();
    if (pr_haproxy_parse_show_map(text, size, 10000, &have, err, sizeof err) == 0) {
        for (size_t i = 0; i < have.n; i++)
            pr_map_entries_has(&have, have.v[i].key, have.v[i].value);
        for (unsigned k = 0; k < PR_ROUTE_KINDS; k++) {
            if (pr_proxy_map_diff((enum pr_route_kind)k, &rs, &have, &ops) < 0)
                continue;
            for (size_t i = 0; i < ops.n; i++) {
                const struct pr_map_op *op = &ops.v[i];
                if (pr_haproxy_cmd_map_op(cmd, sizeof cmd, "/m/x.map", -1, (enum pr_route_kind)k,
                                          &pool, op, err, sizeof err) == 0)
                    check_command(cmd, op->op == PR_MAP_DEL ? 4 : 5);
            }
            pr_map_ops_clear(&ops);
        }
        /* the parsed entries as if someone fed them back as routes */
        for (size_t i = 0; i < have.n; i++) {
            struct pr_map_op op = { .op = PR_MAP_SET };
            memcpy(op.key, have.v[i].key, sizeof op.key);
            memcpy(op.value, have.v[i].value, sizeof op.value);
            if (pr_haproxy_cmd_map_op(cmd, sizeof cmd, "/m/x.map", 3, PR_ROUTE_HOST, &pool, &op,
                                      err, sizeof err) == 0)
                check_command(cmd, 6);
        }
        pr_map_entries_clear(&have);
    }
    return 0;
}
