/* pirack routes: the front proxy's routes and whether HAProxy has them. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void print_haproxy(const json_t *h)
{
    char safe[512], err[512];
    const char *sock = cli_json_str(h, "admin_socket");
    cli_sanitize(sock ? sock : "-", safe, sizeof(safe));
    if (!json_is_true(json_object_get(h, "checked"))) {
        printf("HAProxy at %s: not checked yet\n", safe);
    } else if (json_is_true(json_object_get(h, "reachable"))) {
        const char *version = cli_json_str(h, "version");
        char v[64];
        printf("HAProxy at %s: up, pid %lld, version %s, %lld restart(s) seen\n", safe,
               (long long)cli_json_int(h, "pid", 0),
               cli_sanitize(version ? version : "-", v, sizeof(v)),
               (long long)cli_json_int(h, "restarts", 0));
    } else {
        printf("HAProxy at %s: UNREACHABLE, routes are not in HAProxy\n", safe);
    }
    const char *e = cli_json_str(h, "error");
    if (e)
        printf("  last problem: %s\n", cli_sanitize(e, err, sizeof(err)));
}

static int print_routes(const json_t *body)
{
    static const char *const headers[] = { "KIND", "KEY", "VALUE", "SLOT", "IN HAPROXY" };
    struct cli_table *t = cli_table_new(5, headers);
    size_t i, missing = 0;
    json_t *r;

    if (!t)
        return -1;
    json_array_foreach(json_object_get(body, "routes"), i, r)
    {
        char slot[16];
        bool in = json_is_true(json_object_get(r, "in_haproxy"));
        snprintf(slot, sizeof(slot), "%lld", (long long)cli_json_int(r, "slot", 0));
        const char *cells[] = { cli_json_str(r, "kind"), cli_json_str(r, "key"),
                                cli_json_str(r, "value"), slot, in ? "yes" : "NO" };
        missing += !in;
        if (cli_table_add(t, cells) < 0) {
            cli_table_free(t);
            return -1;
        }
    }
    cli_table_print(t, stdout);
    cli_table_free(t);
    if (missing)
        printf("%zu route(s) not in HAProxy yet\n", missing);
    json_array_foreach(json_object_get(body, "refused"), i, r)
    {
        char why[512];
        const char *e = cli_json_str(r, "error");
        printf("refused: %s\n", cli_sanitize(e ? e : "-", why, sizeof(why)));
    }
    return 0;
}

static int show_routes(const json_t *answer, void *ctx)
{
    (void)ctx;
    print_haproxy(json_object_get(answer, "haproxy"));
    if (print_routes(answer) < 0) {
        fprintf(stderr, "pirack: out of memory\n");
        return CLI_EXIT_FAIL;
    }
    return CLI_EXIT_OK;
}

static int run_routes(struct cli *c, int argc, char **argv)
{
    (void)argv;
    if (argc > 1)
        return cli_usage_error(&cli_cmd_routes, "routes takes no arguments");
    return cli_request_show(c, "GET", "/v1/routes", NULL, show_routes, NULL);
}

const struct cli_command cli_cmd_routes = {
    .name = "routes",
    .args = "",
    .summary = "the front proxy's routes and whether HAProxy has them",
    .run = run_routes,
};
