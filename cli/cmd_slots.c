/* pirack slots: every slot in a table; pirack slots --shrink N confirms
 * that the rack is cut to N slots.  pirack show N: one slot in full. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char *sub(const json_t *obj, const char *key, const char *field)
{
    return cli_json_str(json_object_get(obj, key), field);
}

static const char *sub2(const json_t *obj, const char *a, const char *b, const char *field)
{
    return cli_json_str(json_object_get(json_object_get(obj, a), b), field);
}

static int show_slots(const json_t *slots, void *ctx)
{
    static const char *const headers[] = {
        "SLOT", "STATE", "POWER", "NAME", "OWNER", "BOARD", "IPV4", "IPV6", "SSH",
    };
    struct cli_table *t = cli_table_new(9, headers);
    size_t i;
    json_t *slot;

    (void)ctx;
    json_array_foreach(slots, i, slot)
    {
        char num[16], port[16];
        snprintf(num, sizeof(num), "%lld", (long long)cli_json_int(slot, "slot", 0));
        snprintf(port, sizeof(port), "%lld", (long long)cli_json_int(slot, "ssh_port", 0));
        const char *cells[] = {
            num,
            cli_json_str(slot, "state"),
            cli_json_str(slot, "power"),
            sub(slot, "pi", "name"),
            sub(slot, "pi", "owner"),
            sub(slot, "board", "mac"),
            sub2(slot, "addresses", "v4", "pi"),
            sub2(slot, "addresses", "v6", "pi"),
            port,
        };
        if (!t || cli_table_add(t, cells) < 0) {
            fprintf(stderr, "pirack: out of memory\n");
            cli_table_free(t);
            return CLI_EXIT_FAIL;
        }
    }
    cli_table_print(t, stdout);
    cli_table_free(t);
    return CLI_EXIT_OK;
}

static int show_shrunk(const json_t *answer, void *ctx)
{
    (void)ctx;
    printf("the rack has %lld slots; the events of the cut ones stay in the log\n",
           (long long)cli_json_int(answer, "slots", 0));
    return CLI_EXIT_OK;
}

/* --shrink N: pirackd reads its configuration file again, which must say
 * slots = N, and cuts the slots past N even when they hold boards, pis or
 * events. */
static int run_shrink(struct cli *c, const char *arg)
{
    int64_t n;
    json_t *body;
    int rc;

    if (cli_parse_uint(arg, 1, 4096, &n) < 0)
        return cli_usage_error(&cli_cmd_slots, "\"%s\" is not a slot count (1-4096)", arg);
    body = json_pack("{s:I}", "slots", (json_int_t)n);
    rc = cli_request_show(c, "POST", "/v1/slots/shrink", body, show_shrunk, NULL);
    json_decref(body);
    return rc;
}

static int run_slots(struct cli *c, int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--shrink") == 0)
        return run_shrink(c, argv[2]);
    if (argc == 2 && strncmp(argv[1], "--shrink=", 9) == 0)
        return run_shrink(c, argv[1] + 9);
    if (argc > 1)
        return cli_usage_error(&cli_cmd_slots, "slots takes no arguments but --shrink N");
    return cli_request_show(c, "GET", "/v1/slots", NULL, show_slots, NULL);
}

const struct cli_command cli_cmd_slots = {
    .name = "slots",
    .args = "[--shrink N]",
    .summary = "every slot: state, power, pi, board, addresses",
    .help = "  --shrink N  confirm cutting the rack to N slots although the slots past N\n"
            "              hold boards, assigned pis or events: pirackd reads its\n"
            "              configuration again, which must already say slots = N; the\n"
            "              cut slots' events stay in the log\n",
    .run = run_slots,
};

/* ---- show ---- */

static int show_slot(const json_t *s, void *ctx)
{
    char num[16], since[64], ssh[320], sw[128], v4[64], v6[128];
    const json_t *swj = json_object_get(s, "switch");
    const char *since_time;
    char since_buf[32];

    snprintf(num, sizeof(num), "%lld", (long long)cli_json_int(s, "slot", 0));
    since_time = cli_fmt_time(cli_json_int(s, "state_since", 0), since_buf, sizeof(since_buf));
    snprintf(since, sizeof(since), "%s (since %s)", cli_json_str(s, "state") ?: "-", since_time);
    snprintf(ssh, sizeof(ssh), "%s port %lld", sub(s, "names", "ssh") ?: "-",
             (long long)cli_json_int(s, "ssh_port", 0));
    if (json_is_object(swj))
        snprintf(sw, sizeof(sw), "%s port %lld", cli_json_str(swj, "name") ?: "-",
                 (long long)cli_json_int(swj, "port", 0));
    else
        snprintf(sw, sizeof(sw), "-");
    snprintf(v4, sizeof(v4), "%s (host %s, %s)", sub2(s, "addresses", "v4", "pi") ?: "-",
             sub2(s, "addresses", "v4", "host") ?: "-",
             sub2(s, "addresses", "v4", "prefix") ?: "-");
    snprintf(v6, sizeof(v6), "%s (host %s, %s)", sub2(s, "addresses", "v6", "pi") ?: "-",
             sub2(s, "addresses", "v6", "host") ?: "-",
             sub2(s, "addresses", "v6", "prefix") ?: "-");

    const char *labels[] = {
        "slot",        "state",   "power",     "fqdn",   "www",       "ssh",
        "ipv4",        "ipv6",    "interface", "switch", "board mac", "board serial",
        "board model", "pi name", "owner",     "image",  "policy",
    };
    const char *values[] = {
        num,
        since,
        cli_json_str(s, "power"),
        sub(s, "names", "fqdn"),
        sub(s, "names", "www"),
        ssh,
        v4,
        v6,
        cli_json_str(s, "interface"),
        sw,
        sub(s, "board", "mac"),
        sub(s, "board", "serial"),
        sub(s, "board", "model"),
        sub(s, "pi", "name"),
        sub(s, "pi", "owner"),
        sub(s, "pi", "image"),
        sub(s, "pi", "policy"),
    };
    (void)ctx;
    cli_print_fields(stdout, labels, values, sizeof(labels) / sizeof(labels[0]));
    return CLI_EXIT_OK;
}

static int run_show(struct cli *c, int argc, char **argv)
{
    if (c->url)
        return cli_customer_show(c, argc, argv);
    char path[64];
    int64_t n;

    if (argc != 2)
        return cli_usage_error(&cli_cmd_show, "show takes one slot number");
    if (cli_parse_uint(argv[1], 0, 999999, &n) < 0)
        return cli_usage_error(&cli_cmd_show, "\"%s\" is not a slot number", argv[1]);
    snprintf(path, sizeof(path), "/v1/slots/%lld", (long long)n);
    return cli_request_show(c, "GET", path, NULL, show_slot, NULL);
}

const struct cli_command cli_cmd_show = {
    .name = "show",
    .args = "N",
    .summary = "one slot in full: addresses, names, switch port, board, pi",
    .run = run_show,
};
