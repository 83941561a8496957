/* pirack status: the rack at a glance. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* "108: 100 off, 8 booted" */
static void slots_summary(const json_t *slots, char *out, size_t outlen)
{
    const json_t *by_state = json_object_get(slots, "by_state");
    const char *state;
    json_t *count;
    size_t used;
    bool first = true;

    snprintf(out, outlen, "%lld", (long long)cli_json_int(slots, "total", 0));
    used = strlen(out);
    json_object_foreach((json_t *)by_state, state, count)
    {
        char shown[64];
        int n = snprintf(out + used, outlen - used, "%s%lld %s", first ? ": " : ", ",
                         (long long)json_integer_value(count),
                         cli_sanitize(state, shown, sizeof(shown)));
        if (n < 0 || (size_t)n >= outlen - used)
            break;
        used += (size_t)n;
        first = false;
    }
}

static int show_status(const json_t *status, void *ctx)
{
    char rack[256], uptime[32], slots[512];
    const char *labels[] = { "rack", "mode", "version", "uptime", "slots", "roots", "remediation" };
    const char *values[7];
    char roots[64], remedy[512], why[64], what[400];

    (void)ctx;
    snprintf(rack, sizeof(rack), "%s (%s)", cli_json_str(status, "rack") ?: "-",
             cli_json_str(status, "domain") ?: "-");
    cli_fmt_duration(cli_json_int(status, "uptime_s", -1), uptime, sizeof(uptime));
    slots_summary(json_object_get(status, "slots"), slots, sizeof(slots));
    values[0] = rack;
    values[1] = cli_json_str(status, "mode");
    values[2] = cli_json_str(status, "version");
    values[3] = uptime;
    values[4] = slots;
    const char *clone = cli_json_str(json_object_get(status, "roots"), "clone");
    snprintf(roots, sizeof(roots), "made by %s", clone ? clone : "- (image service not running)");
    values[5] = roots;
    /* why the ladder holds, and what failed pirackd's self-check */
    const json_t *rem = json_object_get(status, "remediation");
    const char *paused = cli_json_str(rem, "paused"), *failed = cli_json_str(rem, "self_check");
    snprintf(remedy, sizeof(remedy), "%s%s%s%s%s", paused ? "paused: " : "not paused",
             paused ? cli_sanitize(paused, why, sizeof(why)) : "", failed ? " (" : "",
             failed ? cli_sanitize(failed, what, sizeof(what)) : "", failed ? ")" : "");
    values[6] = remedy;
    cli_print_fields(stdout, labels, values, 7);
    return CLI_EXIT_OK;
}

static int run_status(struct cli *c, int argc, char **argv)
{
    (void)argv;
    if (argc > 1)
        return cli_usage_error(&cli_cmd_status, "status takes no arguments");
    return cli_request_show(c, "GET", "/v1/status", NULL, show_status, NULL);
}

const struct cli_command cli_cmd_status = {
    .name = "status",
    .args = "",
    .summary = "the rack: name, mode, version, uptime, slots by state, remediation",
    .run = run_status,
};
