/* pirack: command line client of pirackd.  See pirack(1).
 *
 *   pirack [--socket PATH] [--json] [-q] COMMAND [ARGS]
 *   pirack COMMAND --help
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
    &cli_cmd_status,    &cli_cmd_slots,     &cli_cmd_show,        &cli_cmd_events, &cli_cmd_routes,
    &cli_cmd_trace,     &cli_cmd_assign,    &cli_cmd_unassign,    &cli_cmd_set,    &cli_cmd_power,
    &cli_cmd_customer,  &cli_cmd_key,       &cli_cmd_pis,         &cli_cmd_reboot, &cli_cmd_keys,
    &cli_cmd_provision, &cli_cmd_reinstall, &cli_cmd_unprovision, &cli_cmd_munin,  &cli_cmd_image,
    &cli_cmd_reimage,   &cli_cmd_bringup,   &cli_cmd_release,
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
    fprintf(out, "usage: pirack [--socket PATH] [--json] [-q] COMMAND [ARGS]\n"
                 "       pirack COMMAND --help\n"
                 "\n"
                 "Commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++) {
        const struct cli_command *cmd = commands[i];
        /* The synopsis whole, however long: a long one gets a line of its
         * own, the summary under it. */
        size_t len = strlen(cmd->name) + 1 + strlen(cmd->args);

        if (len > 36)
            fprintf(out, "  %s %s\n  %-36s %s\n", cmd->name, cmd->args, "", cmd->summary);
        else
            fprintf(out, "  %s %s%*s %s\n", cmd->name, cmd->args, (int)(36 - len), "",
                    cmd->summary);
    }
    fprintf(out,
            "\n"
            "Options:\n"
            "  --socket PATH   the API's socket (default: $PIRACK_SOCKET, else %s)\n"
            "  --json          print the API's JSON instead of tables\n"
            "  --url URL       the customer API instead (default: $PIRACK_URL), with\n"
            "  --key-id ID     the API key (default: $PIRACK_KEY_ID; its secret: $PIRACK_SECRET)\n"
            "  -q, --quiet     print nothing on standard output (errors still go to\n"
            "                  standard error; the exit code says how it went)\n"
            "  -h, --help      this text; after a command, that command's options\n"
            "  --version       pirack's version\n"
            "\n"
            "See pirack(1).\n",
            CLI_DEFAULT_SOCKET);
}

void cli_command_help(const struct cli_command *cmd, FILE *out)
{
    fprintf(out, "usage: pirack [--socket PATH] [--json] [-q] %s%s%s\n\n%s\n", cmd->name,
            cmd->args[0] ? " " : "", cmd->args, cmd->summary);
    if (cmd->help)
        fprintf(out, "\nOptions:\n%s", cmd->help);
    fprintf(out, "\nSee pirack(1).\n");
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
        fprintf(stderr, "usage: pirack %s%s%s\n", cmd->name, cmd->args[0] ? " " : "", cmd->args);
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
        } else if (in_options && (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0)) {
            c->quiet = true;
        } else if (in_options && (strcmp(a, "--url") == 0 || strcmp(a, "--key-id") == 0)) {
            if (i + 1 >= argc || argv[i + 1][0] == '\0')
                return -1;
            if (a[2] == 'u')
                c->url = argv[++i];
            else
                c->key_id = argv[++i];
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
    struct cli c = { .socket = getenv("PIRACK_SOCKET"),
                     .url = getenv("PIRACK_URL"),
                     .key_id = getenv("PIRACK_KEY_ID"),
                     .secret = getenv("PIRACK_SECRET") };
    bool help = false, version = false;
    int n, rc;

    if (!c.socket || !c.socket[0])
        c.socket = CLI_DEFAULT_SOCKET;
    n = take_global_options(&c, argc, argv, &help, &version);
    if (n < 0)
        return cli_usage_error(NULL, "--socket, --url and --key-id need a value");
    if (c.url && !c.url[0])
        c.url = NULL;
    if (help && n > 0) {
        for (size_t i = 0; i < N_COMMANDS; i++)
            if (strcmp(argv[0], commands[i]->name) == 0) {
                cli_command_help(commands[i], stdout);
                return CLI_EXIT_OK;
            }
    }
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
        /* -q: whatever a command prints for people or scripts goes nowhere;
         * messages on standard error and the exit code stay. */
        if (c.quiet && !freopen("/dev/null", "w", stdout)) {
            fprintf(stderr, "pirack: cannot open /dev/null: %m\n");
            return CLI_EXIT_FAIL;
        }
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
