/* pirack release N
 *
 * Ends a quarantine (the remediation ladder's last rung): the slot's state
 * goes back to off, its ladder starts over and its root is exported
 * again.  The port stays off: `pirack power on N` boots it. */
#include <stdio.h>

#include "cli.h"

static int run_release(struct cli *c, int argc, char **argv)
{
    int64_t slot = -1;
    if (argc != 2 || cli_parse_uint(argv[1], 1, 999999, &slot) != 0)
        return cli_usage_error(&cli_cmd_release, "release needs one slot N");
    char path[64];
    snprintf(path, sizeof(path), "/v1/slots/%lld/release", (long long)slot);
    struct cli_response r = { 0 };
    int rc = cli_request(c, "POST", path, NULL, &r);
    if (rc == 0) {
        if (c->json)
            cli_print_raw(&r);
        else
            printf("slot %lld released: off, its ladder starts over\n", (long long)slot);
    }
    cli_response_free(&r);
    return rc;
}

const struct cli_command cli_cmd_release = {
    .name = "release",
    .args = "N",
    .summary = "end a slot's quarantine (state off, remediation starts over)",
    .run = run_release,
};
