/* pirack trace N: the slot's recent boot packets (DHCP, TFTP, ARP) as a
 * pcap file on stdout, for tcpdump -r or Wireshark:
 *
 *   pirack trace 7 > boot.pcap
 *
 * The API sends the file base64-encoded in JSON; this writes the bytes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>

#include "cli.h"

static int write_all(FILE *f, const unsigned char *p, size_t n)
{
    if (fwrite(p, 1, n, f) != n || fflush(f) != 0)
        return -errno;
    return 0;
}

/* Writes the answer's pcap_base64 to stdout as bytes. */
static int show_trace(const json_t *answer, void *ctx)
{
    const char *b64 = cli_json_str(answer, "pcap_base64");
    size_t b64_len = b64 ? strlen(b64) : 0, len = 0;
    unsigned char *bin = malloc(b64_len / 4 * 3 + 3);
    int rc = CLI_EXIT_FAIL;

    (void)ctx;
    if (!b64 || !bin) {
        fprintf(stderr, "pirack: the API's answer has no trace\n");
    } else if (sodium_base642bin(bin, b64_len / 4 * 3 + 3, b64, b64_len, NULL, &len, NULL,
                                 sodium_base64_VARIANT_ORIGINAL) != 0) {
        fprintf(stderr, "pirack: the API's trace is not base64\n");
    } else if (write_all(stdout, bin, len) < 0) {
        fprintf(stderr, "pirack: cannot write the trace: %s\n", strerror(errno));
    } else {
        rc = CLI_EXIT_OK;
    }
    free(bin);
    return rc;
}

static int run_trace(struct cli *c, int argc, char **argv)
{
    char path[64];
    int64_t slot;

    if (argc != 2 || cli_parse_uint(argv[1], 1, 100000, &slot) < 0)
        return cli_usage_error(&cli_cmd_trace, "trace wants one slot number");
    if (!c->json && isatty(STDOUT_FILENO)) {
        fprintf(stderr,
                "pirack: a pcap file is binary; redirect it: pirack trace %lld > boot.pcap\n",
                (long long)slot);
        return CLI_EXIT_USAGE;
    }
    snprintf(path, sizeof(path), "/v1/slots/%lld/trace", (long long)slot);
    return cli_request_show(c, "GET", path, NULL, show_trace, NULL);
}

const struct cli_command cli_cmd_trace = {
    .name = "trace",
    .args = "N",
    .summary = "slot N's recent boot packets as a pcap file on stdout",
    .run = run_trace,
};
