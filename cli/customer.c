/* pirack as a customer's client of the customer API (docs/api.md): with
 * --url or $PIRACK_URL it logs in with the API key ($PIRACK_KEY_ID,
 * $PIRACK_SECRET; OAuth2 client credentials) and speaks /pi/:
 *
 *   pirack pis                      the customer's servers
 *   pirack show NAME                one server
 *   pirack power on|off|cycle NAME  PUT .../power, POST .../reboot
 *   pirack reboot NAME              POST .../reboot
 *   pirack keys NAME [--set FILE]   the server's SSH keys ("-" stdin)
 *
 * Provisioning (cli/cmd_provision.c) uses the name and file helpers
 * below. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_customer_login(struct cli *c)
{
    struct cli_response r;
    const char *tok;

    if (c->bearer[0])
        return CLI_EXIT_OK;
    if (!c->key_id || !c->secret) {
        fprintf(stderr, "pirack: the customer API needs PIRACK_KEY_ID (or --key-id) and "
                        "PIRACK_SECRET\n");
        return CLI_EXIT_FAIL;
    }
    if (cli_request(c, "POST", "/login", NULL, &r) != 0)
        return CLI_EXIT_FAIL;
    tok = cli_json_str(r.json, "access_token");
    if (!tok || strlen(tok) > 96) {
        fprintf(stderr, "pirack: the login answer holds no access token\n");
        cli_response_free(&r);
        return CLI_EXIT_FAIL;
    }
    snprintf(c->bearer, sizeof(c->bearer), "Authorization: Bearer %s", tok);
    cli_response_free(&r);
    return CLI_EXIT_OK;
}

/* A server name that can go into a path: a DNS label's characters. */
int cli_server_path(const struct cli_command *cmd, const char *name, char *path, size_t len,
                    const char *suffix)
{
    char shown[64];

    if (!name[0] || strlen(name) > 63 ||
        strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(name))
        return cli_usage_error(cmd, "\"%s\" is not a server name",
                               cli_sanitize(name, shown, sizeof(shown)));
    snprintf(path, len, "/pi/servers/%s%s", name, suffix);
    return 0;
}

int cli_need_url(const struct cli_command *cmd)
{
    return cli_usage_error(cmd, "%s talks to the customer API: set PIRACK_URL (or --url)",
                           cmd->name);
}

static int show_pis(const json_t *answer, void *ctx)
{
    static const char *const headers[] = { "NAME", "MODEL", "MEMORY", "CPU" };
    const json_t *servers = json_object_get(answer, "servers");
    struct cli_table *t = cli_table_new(4, headers);
    const char *name;
    json_t *s;

    (void)ctx;
    if (!t)
        return CLI_EXIT_FAIL;
    json_object_foreach((json_t *)servers, name, s)
    {
        char model[16], mem[16], cpu[16];
        snprintf(model, sizeof(model), "%lld", (long long)cli_json_int(s, "model", 0));
        snprintf(mem, sizeof(mem), "%lld MB", (long long)cli_json_int(s, "memory", 0));
        snprintf(cpu, sizeof(cpu), "%lld MHz", (long long)cli_json_int(s, "cpu_speed", 0));
        const char *cells[] = { name, model, mem, cpu };
        cli_table_add(t, cells);
    }
    cli_table_print(t, stdout);
    cli_table_free(t);
    return CLI_EXIT_OK;
}

static int run_pis(struct cli *c, int argc, char **argv)
{
    (void)argv;
    if (!c->url)
        return cli_need_url(&cli_cmd_pis);
    if (argc > 1)
        return cli_usage_error(&cli_cmd_pis, "pis takes no arguments");
    return cli_request_show(c, "GET", "/pi/servers", NULL, show_pis, NULL);
}

const struct cli_command cli_cmd_pis = {
    .name = "pis",
    .args = "",
    .summary = "(customer API) your servers",
    .run = run_pis,
};

static const char *yes_no(const json_t *o, const char *key)
{
    return json_is_true(json_object_get(o, key)) ? "yes" : "no";
}

static int show_server(const json_t *s, void *ctx)
{
    const char *labels[] = { "name", "status", "model", "power",    "booting",
                             "ipv6", "routed", "ssh",   "ssh keys", "location" };
    char ssh[32];

    snprintf(ssh, sizeof(ssh), "port %lld", (long long)cli_json_int(s, "ssh_port", 0));
    const char *values[] = { ctx,
                             cli_json_str(s, "status"),
                             cli_json_str(s, "model_full"),
                             json_is_true(json_object_get(s, "power")) ? "on" : "off",
                             cli_json_str(s, "boot_progress") ? cli_json_str(s, "boot_progress")
                                                              : yes_no(s, "is_booting"),
                             cli_json_str(s, "ip"),
                             cli_json_str(s, "ip_routed"),
                             ssh,
                             yes_no(s, "initialised_keys"),
                             cli_json_str(s, "location") };
    cli_print_fields(stdout, labels, values, sizeof(labels) / sizeof(labels[0]));
    return CLI_EXIT_OK;
}

int cli_customer_show(struct cli *c, int argc, char **argv)
{
    char path[128];
    int rc;

    if (argc != 2)
        return cli_usage_error(&cli_cmd_show, "show takes a server name");
    rc = cli_server_path(&cli_cmd_show, argv[1], path, sizeof(path), "");
    return rc ? rc : cli_request_show(c, "GET", path, NULL, show_server, argv[1]);
}

static int show_done(const json_t *answer, void *ctx)
{
    (void)answer;
    printf("%s\n", (const char *)ctx);
    return CLI_EXIT_OK;
}

int cli_customer_power(struct cli *c, int argc, char **argv)
{
    char path[128];
    json_t *body;
    int rc;

    if (argc != 3 || (strcmp(argv[1], "on") && strcmp(argv[1], "off") && strcmp(argv[1], "cycle")))
        return cli_usage_error(&cli_cmd_power, "power takes on, off or cycle and a server name");
    if (strcmp(argv[1], "cycle") == 0) {
        rc = cli_server_path(&cli_cmd_power, argv[2], path, sizeof(path), "/reboot");
        return rc ? rc : cli_request_show(c, "POST", path, NULL, show_done, "cycling");
    }
    rc = cli_server_path(&cli_cmd_power, argv[2], path, sizeof(path), "/power");
    if (rc)
        return rc;
    body = json_pack("{s:b}", "power", strcmp(argv[1], "on") == 0);
    rc = cli_request_show(c, "PUT", path, body, show_done,
                          strcmp(argv[1], "on") == 0 ? "powering on" : "powering off");
    json_decref(body);
    return rc;
}

static int run_reboot(struct cli *c, int argc, char **argv)
{
    char path[128];
    int rc;

    if (!c->url)
        return cli_need_url(&cli_cmd_reboot);
    if (argc != 2)
        return cli_usage_error(&cli_cmd_reboot, "reboot takes a server name");
    rc = cli_server_path(&cli_cmd_reboot, argv[1], path, sizeof(path), "/reboot");
    return rc ? rc : cli_request_show(c, "POST", path, NULL, show_done, "rebooting");
}

const struct cli_command cli_cmd_reboot = {
    .name = "reboot",
    .args = "NAME",
    .summary = "(customer API) power-cycle your server",
    .run = run_reboot,
};

static int show_keys_text(const json_t *answer, void *ctx)
{
    const char *keys = cli_json_str(answer, "ssh_key");

    (void)ctx;
    if (keys && keys[0])
        printf("%s%s", keys, keys[strlen(keys) - 1] == '\n' ? "" : "\n");
    return CLI_EXIT_OK;
}

/* The whole of FILE ("-": stdin), at most 16 KiB; NULL after saying why. */
char *cli_read_keys(const char *file)
{
    FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "re");
    char *buf = calloc(1, 16385);
    size_t n = 0;

    if (!f || !buf) {
        fprintf(stderr, "pirack: %s: %s\n", file, strerror(errno));
        free(buf);
        return NULL;
    }
    n = fread(buf, 1, 16384, f);
    if (f != stdin)
        fclose(f);
    if (n == 16384) {
        fprintf(stderr, "pirack: %s: ssh keys are at most 16383 bytes\n", file);
        free(buf);
        return NULL;
    }
    while (n && buf[n - 1] == '\n')
        buf[--n] = '\0';
    return buf;
}

static int run_keys(struct cli *c, int argc, char **argv)
{
    char path[128];
    int rc;

    if (!c->url)
        return cli_need_url(&cli_cmd_keys);
    if (argc != 2 && !(argc == 4 && strcmp(argv[2], "--set") == 0))
        return cli_usage_error(&cli_cmd_keys, "keys takes a server name [--set FILE]");
    rc = cli_server_path(&cli_cmd_keys, argv[1], path, sizeof(path), "/ssh-key");
    if (rc)
        return rc;
    if (argc == 2)
        return cli_request_show(c, "GET", path, NULL, show_keys_text, NULL);
    char *keys = cli_read_keys(argv[3]);
    if (!keys)
        return CLI_EXIT_FAIL;
    json_t *body = json_pack("{s:s}", "ssh_key", keys);
    free(keys);
    if (!body) {
        fprintf(stderr, "pirack: %s is not UTF-8 text\n", argv[3]);
        return CLI_EXIT_FAIL;
    }
    rc = cli_request_show(c, "PUT", path, body, show_keys_text, NULL);
    json_decref(body);
    return rc;
}

const struct cli_command cli_cmd_keys = {
    .name = "keys",
    .args = "NAME [--set FILE]",
    .summary = "(customer API) your server's SSH keys; --set replaces them",
    .run = run_keys,
};
