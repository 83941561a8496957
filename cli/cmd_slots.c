/* pirack slots: every slot in a table.  pirack show N: one slot in full. */
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

static int run_slots(struct cli *c, int argc, char **argv)
{
    (void)argv;
    if (argc > 1)
        return cli_usage_error(&cli_cmd_slots, "slots takes no arguments");
    return cli_request_show(c, "GET", "/v1/slots", NULL, show_slots, NULL);
}

const struct cli_command cli_cmd_slots = {
    .name = "slots",
    .args = "",
    .summary = "every slot: state, power, pi, board, addresses",
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
