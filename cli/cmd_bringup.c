/* pirack bringup [--switch S] [--slots A-B] [--no-wait] [--status]
 *
 * Starts a bring-up run in pirackd (POST /v1/bringup) or joins the one
 * going, then follows it (GET /v1/bringup) to its end: a progress bar on a
 * terminal, then one line per slot; with --json the run's JSON at the
 * end.  The run is pirackd's: interrupting this command leaves it going,
 * and running the command again follows it to its end. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define WAIT_LIMIT_S (6 * 3600)
#define POLL_MS 500

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static int count_of(const json_t *run, const char *outcome)
{
    return (int)cli_json_int(json_object_get(run, "counts"), outcome, 0);
}

static void progress(const json_t *run)
{
    int total = (int)cli_json_int(run, "total", 0), done = (int)cli_json_int(run, "done", 0);
    int width = 30, fill = total ? done * width / total : 0;
    char bar[64];

    for (int i = 0; i < width; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    fprintf(stdout, "\r[%s] %d/%d slots  %d new %d same %d moved %d replaced %d empty %d failed ",
            bar, done, total, count_of(run, "new"), count_of(run, "same"), count_of(run, "moved"),
            count_of(run, "replaced"), count_of(run, "empty"), count_of(run, "failed"));
    fflush(stdout);
}

static void print_run(const json_t *run)
{
    static const char *const headers[] = { "SLOT", "OUTCOME", "MAC", "MODEL", "SERIAL", "DETAIL" };
    struct cli_table *t = cli_table_new(6, headers);
    const json_t *items = json_object_get(run, "items"), *it, *pair;
    size_t i;
    char result[300];

    json_array_foreach(items, i, it)
    {
        char slot[16], outcome[32], mac[32], model[32], serial[32], detail[300];
        const char *o = cli_json_str(it, "outcome");
        const char *cells[6] = { slot, outcome, mac, model, serial, detail };

        snprintf(slot, sizeof(slot), "%lld", (long long)cli_json_int(it, "slot", 0));
        cli_sanitize(o && *o ? o : cli_json_str(it, "phase"), outcome, sizeof(outcome));
        cli_sanitize(cli_json_str(it, "mac"), mac, sizeof(mac));
        cli_sanitize(cli_json_str(it, "model"), model, sizeof(model));
        cli_sanitize(cli_json_str(it, "serial"), serial, sizeof(serial));
        cli_sanitize(cli_json_str(it, "detail"), detail, sizeof(detail));
        if (t)
            cli_table_add(t, cells);
    }
    if (t)
        cli_table_print(t, stdout);
    cli_table_free(t);
    json_array_foreach(json_object_get(run, "swapped"), i, pair)
        printf("swapped: the boards of slots %lld and %lld changed places\n",
               (long long)json_integer_value(json_array_get(pair, 0)),
               (long long)json_integer_value(json_array_get(pair, 1)));
    cli_sanitize(cli_json_str(run, "result"), result, sizeof(result));
    printf("bring-up %lld: %s\n", (long long)cli_json_int(run, "run", 0),
           result[0] ? result : "running");
}

/* Follows run to its end; the exit code says whether any slot failed. */
static int follow(struct cli *c, int64_t run, bool wait)
{
    char path[64];
    bool bar = wait && !c->json && !c->quiet && isatty(STDOUT_FILENO);

    snprintf(path, sizeof(path), "/v1/bringup?run=%lld", (long long)run);
    for (long waited = 0; waited <= WAIT_LIMIT_S * 1000L; waited += POLL_MS) {
        struct cli_response r = { 0 };
        bool running;

        if (cli_request(c, "GET", path, NULL, &r) != 0)
            return CLI_EXIT_FAIL;
        running = json_is_true(json_object_get(r.json, "running"));
        if (bar)
            progress(r.json);
        if (!running || !wait) {
            int rc = count_of(r.json, "failed") ? CLI_EXIT_FAIL : CLI_EXIT_OK;

            if (bar)
                putchar('\n');
            if (c->json)
                cli_print_raw(&r);
            else if (!c->quiet)
                print_run(r.json);
            cli_response_free(&r);
            return running ? CLI_EXIT_OK : rc;
        }
        cli_response_free(&r);
        sleep_ms(POLL_MS);
    }
    fprintf(stderr, "pirack: bring-up %lld still running after %d s\n", (long long)run,
            WAIT_LIMIT_S);
    return CLI_EXIT_FAIL;
}

static int run_bringup(struct cli *c, int argc, char **argv)
{
    const char *slots = NULL, *sw = NULL;
    bool wait = true, status = false;
    struct cli_response r = { 0 };
    json_t *body;
    int64_t run;
    int rc;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--no-wait"))
            wait = false;
        else if (!strcmp(argv[i], "--status"))
            status = true;
        else if (!strcmp(argv[i], "--slots") && i + 1 < argc)
            slots = argv[++i];
        else if (!strcmp(argv[i], "--switch") && i + 1 < argc)
            sw = argv[++i];
        else
            return cli_usage_error(&cli_cmd_bringup, "unexpected \"%.40s\"", argv[i]);
    }
    if (status) {
        if (slots || sw)
            return cli_usage_error(&cli_cmd_bringup, "--status takes no --slots or --switch");
        if (cli_request(c, "GET", "/v1/bringup", NULL, &r) != 0)
            return CLI_EXIT_FAIL;
        run = cli_json_int(r.json, "run", 0);
        if (!run && c->json)
            cli_print_raw(&r);
        else if (!run && !c->quiet)
            printf("no bring-up has run yet\n");
        cli_response_free(&r);
        return run ? follow(c, run, false) : CLI_EXIT_OK;
    }
    body = json_object();
    if (slots)
        json_object_set_new(body, "slots", json_string(slots));
    if (sw)
        json_object_set_new(body, "switch", json_string(sw));
    rc = cli_request(c, "POST", "/v1/bringup", body, &r);
    json_decref(body);
    if (rc != 0)
        return CLI_EXIT_FAIL;
    run = cli_json_int(r.json, "run", 0);
    if (json_is_true(json_object_get(r.json, "resumed")) && !c->quiet)
        fprintf(stderr, "pirack: bring-up %lld is already running: following it\n", (long long)run);
    cli_response_free(&r);
    return follow(c, run, wait);
}

const struct cli_command cli_cmd_bringup = {
    "bringup",
    "[--switch S] [--slots A-B] [--no-wait] [--status]",
    "learn the board in every slot, powering them on one by one",
    "  --slots SPEC   the slots (N, N-M, lists, all; default all)\n"
    "  --switch S     only the slots switch S serves\n"
    "  --no-wait      start (or join) the run and print where it is\n"
    "  --status       the last run, without starting one\n",
    run_bringup,
};
