/* pirack: command line client of pirackd.  See pirack(1).
 *
 *   pirack [--socket PATH] [--json] COMMAND [ARGS]
 *
 * A new command is a file cli/cmd_NAME.c exporting a struct cli_command,
 * declared in cli.h and listed in commands[] below. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "cli.h"

static const struct cli_command *const commands[] = {
    &cli_cmd_status, &cli_cmd_slots, &cli_cmd_show,   &cli_cmd_events,
    &cli_cmd_routes, &cli_cmd_trace, &cli_cmd_assign, &cli_cmd_unassign,
    &cli_cmd_set,    &cli_cmd_power, &cli_cmd_image,  &cli_cmd_reimage,
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
    fprintf(out, "usage: pirack [--socket PATH] [--json] COMMAND [ARGS]\n"
                 "\n"
                 "Commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++) {
        char left[64];
        snprintf(left, sizeof(left), "%s %s", commands[i]->name, commands[i]->args);
        /* A long synopsis gets a line of its own, the summary under it. */
        if (strlen(left) > 36)
            fprintf(out, "  %s\n  %-36s %s\n", left, "", commands[i]->summary);
        else
            fprintf(out, "  %-36s %s\n", left, commands[i]->summary);
    }
    fprintf(out,
            "\n"
            "Options:\n"
            "  --socket PATH   the API's socket (default: $PIRACK_SOCKET, else %s)\n"
            "  --json          print the API's JSON instead of tables\n"
            "  -h, --help      this text\n"
            "  --version       pirack's version\n"
            "\n"
            "See pirack(1).\n",
            CLI_DEFAULT_SOCKET);
}

int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
{
    va_list ap;

    fputs("pirack: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (cmd)
        fprintf(stderr, "usage: pirack %s %s\n", cmd->name, cmd->args);
    else
        usage(stderr);
    return CLI_EXIT_USAGE;
}

int cli_parse_uint(const char *s, int64_t min, int64_t max, int64_t *out)
{
    int64_t v = 0;

    if (!s || !*s)
        return -1;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9' || v > (INT64_MAX - (*p - '0')) / 10)
            return -1;
        v = v * 10 + (*p - '0');
    }
    if (v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Takes the global options out of argv wherever they are (before "--"),
 * so that "pirack show 3 --json" works too.  Leaves the rest, in order,
 * in argv and returns their count, or -1 after a usage error. */
static int take_global_options(struct cli *c, int argc, char **argv, bool *help, bool *version)
{
    int kept = 0;
    bool in_options = true;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (in_options && strcmp(a, "--") == 0) {
            in_options = false;
            if (kept > 0) /* before the command it only ends options */
                argv[kept++] = argv[i];
        } else if (in_options && strcmp(a, "--json") == 0) {
            c->json = true;
        } else if (in_options && strcmp(a, "--socket") == 0) {
            if (i + 1 >= argc || argv[i + 1][0] == '\0')
                return -1;
            c->socket = argv[++i];
        } else if (in_options && strncmp(a, "--socket=", 9) == 0) {
            if (a[9] == '\0')
                return -1;
            c->socket = a + 9;
        } else if (in_options && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
            *help = true;
        } else if (in_options && strcmp(a, "--version") == 0) {
            *version = true;
        } else {
            argv[kept++] = argv[i];
        }
    }
    argv[kept] = NULL;
    return kept;
}

int main(int argc, char **argv)
{
    struct cli c = { .socket = getenv("PIRACK_SOCKET") };
    bool help = false, version = false;
    int n, rc;

    if (!c.socket || !c.socket[0])
        c.socket = CLI_DEFAULT_SOCKET;
    n = take_global_options(&c, argc, argv, &help, &version);
    if (n < 0)
        return cli_usage_error(NULL, "--socket needs a path");
    if (help) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (version) {
        printf("pirack %s\n", PIRACK_VERSION);
        return CLI_EXIT_OK;
    }
    if (n == 0)
        return cli_usage_error(NULL, "no command given");
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(argv[0], commands[i]->name) != 0)
            continue;
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            fprintf(stderr, "pirack: cannot start libcurl\n");
            return CLI_EXIT_FAIL;
        }
        rc = commands[i]->run(&c, n, argv);
        curl_easy_cleanup(c.curl);
        curl_global_cleanup();
        return rc;
    }
    char shown[64];
    if (argv[0][0] == '-')
        return cli_usage_error(NULL, "unknown option \"%s\"",
                               cli_sanitize(argv[0], shown, sizeof(shown)));
    return cli_usage_error(NULL, "unknown command \"%s\"",
                           cli_sanitize(argv[0], shown, sizeof(shown)));
}
