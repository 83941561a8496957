/* pirack set N KEY=VALUE...: what the pi in slot N is for.  KEY is name,
 * owner, image or policy; an empty value clears owner, image or policy. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char *const keys[] = { "name", "owner", "image", "policy" };
#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

/* remediation=on|off|default is the policy "remediate", "manual" or ""
 * (the [health] remediation default). */
static int add_remediation(json_t *body, const char *value)
{
    const char *policy = !strcmp(value, "on")        ? "remediate"
                         : !strcmp(value, "off")     ? "manual"
                         : !strcmp(value, "default") ? ""
                                                     : NULL;
    char shown[64];
    if (!policy)
        return cli_usage_error(&cli_cmd_set, "remediation is on, off or default, not \"%s\"",
                               cli_sanitize(value, shown, sizeof(shown)));
    if (json_object_get(body, "policy"))
        return cli_usage_error(&cli_cmd_set, "policy is given twice");
    json_object_set_new(body, "policy", json_string(policy));
    return 0;
}

/* Adds "KEY=VALUE" to body; 0, or a usage error's exit code. */
static int add_pair(json_t *body, const char *arg)
{
    const char *eq = strchr(arg, '=');
    char shown[64], key[16];
    size_t n;

    if (eq && (size_t)(eq - arg) == 11 && !strncmp(arg, "remediation", 11))
        return add_remediation(body, eq + 1);

    if (!eq || eq == arg)
        return cli_usage_error(&cli_cmd_set, "\"%s\" is not KEY=VALUE",
                               cli_sanitize(arg, shown, sizeof(shown)));
    n = (size_t)(eq - arg);
    for (size_t i = 0; i < N_KEYS; i++) {
        if (strlen(keys[i]) != n || strncmp(keys[i], arg, n) != 0)
            continue;
        snprintf(key, sizeof(key), "%s", keys[i]);
        if (json_object_get(body, key))
            return cli_usage_error(&cli_cmd_set, "%s is given twice", key);
        /* The daemon checks the values and says what is wrong. */
        if (json_object_set_new(body, key, json_string(eq + 1)) < 0) {
            fprintf(stderr, "pirack: \"%s\" is not UTF-8 text or memory ran out\n",
                    cli_sanitize(arg, shown, sizeof(shown)));
            return CLI_EXIT_FAIL;
        }
        return 0;
    }
    {
        char wanted[48];

        snprintf(wanted, sizeof(wanted), "%.*s", (int)(n < 40 ? n : 40), arg);
        return cli_usage_error(&cli_cmd_set,
                               "unknown key \"%s\" (name, owner, image, policy, remediation)",
                               cli_sanitize(wanted, shown, sizeof(shown)));
    }
}

static int show_pi(const json_t *slot, void *ctx)
{
    const json_t *pi = json_object_get(slot, "pi");
    const char *labels[] = { "slot", "name", "fqdn", "owner", "image", "policy" };
    char num[16];
    const char *values[] = {
        num,
        cli_json_str(pi, "name"),
        cli_json_str(json_object_get(slot, "names"), "fqdn"),
        cli_json_str(pi, "owner"),
        cli_json_str(pi, "image"),
        cli_json_str(pi, "policy"),
    };

    (void)ctx;
    snprintf(num, sizeof(num), "%lld", (long long)cli_json_int(slot, "slot", 0));
    cli_print_fields(stdout, labels, values, sizeof(labels) / sizeof(labels[0]));
    return CLI_EXIT_OK;
}

static int run_set(struct cli *c, int argc, char **argv)
{
    char path[64], shown[64];
    json_t *body;
    int64_t slot;
    int rc = 0;

    if (argc < 3)
        return cli_usage_error(&cli_cmd_set, "set takes a slot number and KEY=VALUE pairs");
    if (cli_parse_uint(argv[1], 0, 999999, &slot) < 0)
        return cli_usage_error(&cli_cmd_set, "\"%s\" is not a slot number",
                               cli_sanitize(argv[1], shown, sizeof(shown)));
    body = json_object();
    if (!body) {
        fprintf(stderr, "pirack: out of memory\n");
        return CLI_EXIT_FAIL;
    }
    for (int i = 2; i < argc && rc == 0; i++)
        rc = add_pair(body, argv[i]);
    if (rc) {
        json_decref(body);
        return rc;
    }
    snprintf(path, sizeof(path), "/v1/slots/%lld/pi", (long long)slot);
    rc = cli_request_show(c, "PUT", path, body, show_pi, NULL);
    json_decref(body);
    return rc;
}

const struct cli_command cli_cmd_set = {
    .name = "set",
    .args = "N KEY=VALUE...",
    .summary = "set the pi's name, owner, image, policy",
    .help = "  name=NAME      the pi's name, a DNS label (NAME.DOMAIN in DNS)\n"
            "  owner=CUSTOMER the customer it is for; owner= clears it\n"
            "  image=IMAGE    the image it runs; image= clears it\n"
            "  policy=TEXT    the failure policy; policy= clears it\n"
            "  remediation=on|off|default  automatic power-cycle, reimage, quarantine\n"
            "                 on failure (policy remediate, manual, or [health]'s default)\n",
    .run = run_set,
};
