/* libFuzzer: what a switch's CLI sends, through the dialog engine
 * (poe/cli_dialog.c): the terminal cleaner, the prompt / question /
 * error judge, and the status parser, with each shipped SSH profile.
 * The first byte picks the profile; the rest is split in two at a
 * second byte's offset, so output that arrives in pieces is covered. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "poe/poe_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static const char *const names[] = { "cisco-ios",  "procurve", "aruba-cx", "netgear",
                                     "edgeswitch", "juniper",  "mikrotik", "tp-link" };
#define N_PROFILES (sizeof(names) / sizeof(names[0]))
static struct pr_poe_profile *profiles[N_PROFILES];
static struct pr_cli_screen screen;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char err[256];

    (void)argc, (void)argv;
    for (size_t i = 0; i < N_PROFILES; i++)
        if (pr_poe_profile_load("poe/profiles", names[i], &profiles[i], err, sizeof(err)) < 0) {
            fprintf(stderr, "fuzz_cli_output: run from the source tree: %s\n", err);
            abort();
        }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned ports[] = { 1, 2, 5, 12, 48, 0, 100000 };
    struct pr_poe_port_status st[sizeof(ports) / sizeof(ports[0])];
    struct pr_cli_judgement j;

    if (size < 2)
        return 0;
    const struct pr_poe_cli_profile *p = &profiles[data[0] % N_PROFILES]->cli;
    size_t cut = data[1] < size - 2 ? data[1] : size - 2;
    data += 2, size -= 2;

    pr_cli_screen_reset(&screen);
    pr_cli_clean(&screen, data, cut);
    pr_cli_judge(p, &screen, &j);
    if (j.verdict == PR_CLI_CONFIRM) {
        char answer[64];
        pr_cli_answer(j.confirm, "s3cret", answer, sizeof(answer));
        pr_cli_answered(&screen);
    }
    pr_cli_clean(&screen, data + cut, size - cut);
    pr_cli_judge(p, &screen, &j);
    if (j.error) {
        /* The error line with a password masked out of it, as the SSH
         * driver reports it; the password is a piece of the output. */
        char secret[8] = "";
        memcpy(secret, data, size < sizeof(secret) - 1 ? size : sizeof(secret) - 1);
        pr_cli_mask(j.error_line, sizeof(j.error_line), secret);
    }
    memset(st, 0, sizeof(st));
    pr_cli_parse_status(p, screen.text, screen.len, ports, sizeof(ports) / sizeof(ports[0]), st);
    pr_cli_parse_status(p, (const char *)data, size, ports, 1, st);
    return 0;
}
