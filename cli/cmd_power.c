/* pirack power on|off|cycle|status N | N-M | all [--stagger S]
 *                                   [--max-booting K] [--no-wait] [--yes]
 *
 * on/off/cycle queue the operations (POST /v1/power), then follow them
 * (GET /v1/power) until each one finished, with a progress bar on a
 * terminal when there are many; the exit code says whether all worked.
 * With --json the outcome is one JSON document.  off and cycle of "all"
 * ask first on a terminal, and need --yes without one.
 * status prints the store's power, the switch's last answer and the
 * operation in flight for each slot. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define WAIT_LIMIT_S 900

struct tracked {
    int64_t slot, op;
    int done; /* 0 running, 1 ok, -1 failed */
    char result[256];
};

/* "N", "N-M" or "all": what the API's "slots" member takes. */
static int check_spec(const char *s)
{
    int64_t a, b;
    const char *dash = strchr(s, '-');
    char first[24];

    if (!strcmp(s, "all"))
        return 0;
    if (!dash)
        return cli_parse_uint(s, 1, 999999, &a);
    if ((size_t)(dash - s) >= sizeof(first))
        return -1;
    memcpy(first, s, (size_t)(dash - s));
    first[dash - s] = '\0';
    if (cli_parse_uint(first, 1, 999999, &a) < 0 || cli_parse_uint(dash + 1, 1, 999999, &b) < 0)
        return -1;
    return a <= b ? 0 : -1;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static void progress(size_t done, size_t failed, size_t total)
{
    char bar[41];
    size_t fill = total ? done * 40 / total : 40;

    memset(bar, '#', fill);
    memset(bar + fill, '.', 40 - fill);
    bar[40] = '\0';
    fprintf(stderr, "\r[%s] %zu/%zu done%s", bar, done, total, failed ? ", " : "");
    if (failed)
        fprintf(stderr, "%zu failed", failed);
    fflush(stderr);
}

/* One look at the ops: marks those that finished.  Returns how many are done. */
static int poll_ops(struct cli *c, const char *spec, struct tracked *t, size_t n, size_t *failed)
{
    struct cli_response r;
    char path[96];
    json_t *slots, *v;
    size_t i, done = 0;

    snprintf(path, sizeof(path), "/v1/power?slots=%s", spec);
    if (cli_request(c, "GET", path, NULL, &r))
        return -1;
    slots = json_object_get(r.json, "slots");
    json_array_foreach(slots, i, v)
    {
        int64_t slot = cli_json_int(v, "slot", 0);
        const json_t *op = json_object_get(v, "op"), *last = json_object_get(v, "last");

        for (size_t k = 0; k < n; k++) {
            if (t[k].slot != slot || t[k].done)
                continue;
            if (json_is_object(op) && cli_json_int(op, "id", 0) == t[k].op)
                continue; /* still running */
            if (json_is_object(last) && cli_json_int(last, "op", 0) == t[k].op) {
                t[k].done = json_is_true(json_object_get(last, "ok")) ? 1 : -1;
                snprintf(t[k].result, sizeof(t[k].result), "%s",
                         cli_json_str(last, "result") ?: "");
            } else {
                t[k].done = -1;
                snprintf(t[k].result, sizeof(t[k].result), "finished; another op followed");
            }
        }
    }
    cli_response_free(&r);
    *failed = 0;
    for (size_t k = 0; k < n; k++) {
        done += t[k].done != 0;
        *failed += t[k].done < 0;
    }
    return (int)done;
}

/* --json after waiting: what each op came to, one document. */
static int print_outcome_json(const char *action, const char *spec, const struct tracked *t,
                              size_t n, size_t failed, const json_t *refused)
{
    json_t *ops = json_array(), *doc;
    char *text;

    for (size_t k = 0; ops && k < n; k++)
        json_array_append_new(ops, json_pack("{s:I, s:I, s:b, s:s}", "slot", (json_int_t)t[k].slot,
                                             "op", (json_int_t)t[k].op, "ok", t[k].done > 0,
                                             "result", t[k].result));
    doc = json_pack("{s:s, s:s, s:o, s:O, s:I, s:I}", "action", action, "slots", spec, "ops",
                    ops ? ops : json_array(), "refused", refused ? refused : json_array(), "done",
                    (json_int_t)(n - failed), "failed", (json_int_t)failed);
    text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!text) {
        fprintf(stderr, "pirack: out of memory\n");
        return CLI_EXIT_FAIL;
    }
    printf("%s\n", text);
    free(text);
    return CLI_EXIT_OK;
}

/* Waits for every op; returns how many failed, or -1 when the API could
 * not be asked or the wait ran out. */
static long follow(struct cli *c, const char *spec, struct tracked *t, size_t n)
{
    bool bar = n > 1 && !c->quiet && !c->json && isatty(STDERR_FILENO);
    time_t start = time(NULL);
    size_t failed = 0;
    int done = 0;

    while ((size_t)done < n) {
        done = poll_ops(c, spec, t, n, &failed);
        if (done < 0)
            return -1;
        if (bar)
            progress((size_t)done, failed, n);
        if ((size_t)done == n)
            break;
        if (time(NULL) - start > WAIT_LIMIT_S) {
            fprintf(stderr, "%spirack: gave up waiting after %d s; the ops go on in pirackd\n",
                    bar ? "\n" : "", WAIT_LIMIT_S);
            return -1;
        }
        sleep_ms(250);
    }
    if (bar)
        fputc('\n', stderr);
    return (long)failed;
}

/* For people: failed slots (and the one slot of a single op), then the
 * count.  -q keeps only the failures, on standard error. */
static void print_outcome(const struct cli *c, const struct tracked *t, size_t n, size_t failed)
{
    for (size_t k = 0; k < n; k++) {
        if (t[k].done > 0 && (n > 1 || c->quiet))
            continue;
        fprintf(c->quiet ? stderr : stdout, "slot %lld: %s: %s\n", (long long)t[k].slot,
                t[k].done > 0 ? "ok" : "FAILED", t[k].result);
    }
    if (n > 1 && !c->quiet)
        printf("%zu of %zu slots done, %zu failed\n", n - failed, n, failed);
}

static int print_refused(const json_t *refused)
{
    size_t i;
    json_t *v;

    json_array_foreach(refused, i, v)
        fprintf(stderr, "pirack: slot %lld: %s: %s\n", (long long)cli_json_int(v, "slot", 0),
                cli_json_str(v, "error") ?: "refused", cli_json_str(v, "detail") ?: "");
    return (int)json_array_size(refused);
}

static int run_action(struct cli *c, const char *action, const char *spec, long stagger_ms,
                      long max_booting, bool wait)
{
    json_t *body = json_pack("{s:s, s:s}", "action", action, "slots", spec);
    struct cli_response r;
    struct tracked *t;
    json_t *ops, *v;
    size_t i, n;
    int rc, refused;

    if (stagger_ms >= 0)
        json_object_set_new(body, "stagger_ms", json_integer(stagger_ms));
    if (max_booting >= 0)
        json_object_set_new(body, "max_booting", json_integer(max_booting));
    rc = cli_request(c, "POST", "/v1/power", body, &r);
    json_decref(body);
    if (rc)
        return rc;
    if (c->json && !wait) {
        if (!c->quiet)
            cli_print_raw(&r);
        cli_response_free(&r);
        return CLI_EXIT_OK;
    }
    refused = print_refused(json_object_get(r.json, "refused"));
    json_t *refused_json = json_incref(json_object_get(r.json, "refused"));
    ops = json_object_get(r.json, "ops");
    n = json_array_size(ops);
    t = calloc(n ? n : 1, sizeof(*t));
    if (!t) {
        cli_response_free(&r);
        json_decref(refused_json);
        return CLI_EXIT_FAIL;
    }
    json_array_foreach(ops, i, v)
    {
        t[i].slot = cli_json_int(v, "slot", 0);
        t[i].op = cli_json_int(v, "op", 0);
    }
    cli_response_free(&r);
    if (!wait) {
        for (i = 0; i < n && !c->quiet; i++)
            printf("slot %lld: op %lld queued\n", (long long)t[i].slot, (long long)t[i].op);
        rc = CLI_EXIT_OK;
    } else if (n == 0) {
        rc = CLI_EXIT_FAIL;
        if (c->json && !c->quiet)
            print_outcome_json(action, spec, t, 0, 0, refused_json);
    } else {
        long failed = follow(c, spec, t, n);

        if (failed < 0)
            rc = CLI_EXIT_FAIL;
        else if (c->json && !c->quiet)
            rc = print_outcome_json(action, spec, t, n, (size_t)failed, refused_json);
        else
            print_outcome(c, t, n, (size_t)failed);
        if (failed != 0)
            rc = CLI_EXIT_FAIL;
    }
    json_decref(refused_json);
    free(t);
    return refused ? CLI_EXIT_FAIL : rc;
}

/* off and cycle of every slot ask first.  On a terminal: a question on
 * standard error, answered y or yes.  Without one (a script, cron) there
 * is nobody to ask, so the command needs --yes: a script states that it
 * means the whole rack rather than getting it by accident. */
static int confirm_all(struct cli *c, const char *action)
{
    struct cli_response r;
    char answer[16] = "", rack[80] = "this rack";
    long long total = -1;

    if (!isatty(STDIN_FILENO)) {
        fprintf(stderr, "pirack: power %s all needs --yes when standard input is not a terminal\n",
                action);
        return CLI_EXIT_USAGE;
    }
    if (cli_request(c, "GET", "/v1/status", NULL, &r) == 0) {
        const char *name = cli_json_str(r.json, "rack");

        if (name)
            snprintf(rack, sizeof(rack), "rack %s", name);
        total = (long long)cli_json_int(json_object_get(r.json, "slots"), "total", -1);
        cli_response_free(&r);
    }
    if (total >= 0)
        fprintf(stderr, "Power %s all %lld slots of %s? [y/N] ", action, total, rack);
    else
        fprintf(stderr, "Power %s every slot of %s? [y/N] ", action, rack);
    fflush(stderr);
    if (!fgets(answer, sizeof(answer), stdin))
        answer[0] = '\0';
    answer[strcspn(answer, "\r\n")] = '\0';
    if (!strcasecmp(answer, "y") || !strcasecmp(answer, "yes"))
        return CLI_EXIT_OK;
    fprintf(stderr, "pirack: nothing done\n");
    return CLI_EXIT_FAIL;
}

static int show_status(const json_t *answer, void *ctx)
{
    static const char *const headers[] = {
        "SLOT", "POWER", "SWITCH", "PORT", "ADMIN", "DETECT", "SEEN", "OP", "LAST",
    };
    struct cli_table *t = cli_table_new(9, headers);
    json_t *v;
    size_t i;

    (void)ctx;
    json_array_foreach(json_object_get(answer, "slots"), i, v)
    {
        const json_t *live = json_object_get(v, "live"), *op = json_object_get(v, "op"),
                     *last = json_object_get(v, "last");
        char slot[16], port[16], seen[32] = "-", ops[48] = "-", lasts[300] = "-";

        snprintf(slot, sizeof(slot), "%lld", (long long)cli_json_int(v, "slot", 0));
        if (json_is_integer(json_object_get(v, "port")))
            snprintf(port, sizeof(port), "%lld", (long long)cli_json_int(v, "port", 0));
        else
            snprintf(port, sizeof(port), "-");
        if (json_is_object(live))
            snprintf(seen, sizeof(seen), "%llds ago",
                     (long long)cli_json_int(live, "age_ms", 0) / 1000);
        if (json_is_object(op))
            snprintf(ops, sizeof(ops), "#%lld %s %s", (long long)cli_json_int(op, "id", 0),
                     cli_json_str(op, "action") ?: "", cli_json_str(op, "phase") ?: "");
        if (json_is_object(last))
            snprintf(lasts, sizeof(lasts), "#%lld %s: %s", (long long)cli_json_int(last, "op", 0),
                     json_is_true(json_object_get(last, "ok")) ? "ok" : "FAILED",
                     cli_json_str(last, "result") ?: "");
        const char *cells[] = {
            slot,
            cli_json_str(v, "power"),
            cli_json_str(v, "switch"),
            port,
            json_is_object(live) ? cli_json_str(live, "admin") : NULL,
            json_is_object(live) ? cli_json_str(live, "detect") : NULL,
            seen,
            ops,
            lasts,
        };
        if (!t || cli_table_add(t, cells) < 0) {
            cli_table_free(t);
            return CLI_EXIT_FAIL;
        }
    }
    cli_table_print(t, stdout);
    cli_table_free(t);
    return CLI_EXIT_OK;
}

static int run_status(struct cli *c, const char *spec)
{
    char path[96];

    snprintf(path, sizeof(path), "/v1/power?slots=%s", spec);
    return cli_request_show(c, "GET", path, NULL, show_status, NULL);
}

static int run_power(struct cli *c, int argc, char **argv)
{
    if (c->url)
        return cli_customer_power(c, argc, argv);
    const char *action = NULL, *spec = NULL;
    long stagger_ms = -1, max_booting = -1;
    bool wait = true, yes = false;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--stagger") && i + 1 < argc) {
            char *end;
            double s = strtod(argv[++i], &end);
            if (*end || s < 0 || s > 3600)
                return cli_usage_error(&cli_cmd_power, "--stagger takes seconds (0-3600)");
            stagger_ms = (long)(s * 1000);
        } else if (!strcmp(argv[i], "--max-booting") && i + 1 < argc) {
            int64_t k;
            if (cli_parse_uint(argv[++i], 0, 4096, &k) < 0)
                return cli_usage_error(&cli_cmd_power, "--max-booting takes 0-4096");
            max_booting = (long)k;
        } else if (!strcmp(argv[i], "--no-wait")) {
            wait = false;
        } else if (!strcmp(argv[i], "--yes") || !strcmp(argv[i], "-y")) {
            yes = true;
        } else if (!action) {
            action = argv[i];
        } else if (!spec) {
            spec = argv[i];
        } else {
            return cli_usage_error(&cli_cmd_power, "unexpected \"%s\"", argv[i]);
        }
    }
    if (!action || !spec)
        return cli_usage_error(&cli_cmd_power, "power needs an action and slots");
    if (check_spec(spec) < 0)
        return cli_usage_error(&cli_cmd_power, "\"%s\" is not N, N-M or all", spec);
    if (!strcmp(action, "status"))
        return run_status(c, spec);
    if (strcmp(action, "on") && strcmp(action, "off") && strcmp(action, "cycle"))
        return cli_usage_error(&cli_cmd_power, "action is on, off, cycle or status");
    if (!yes && strcmp(action, "on") && !strcmp(spec, "all")) {
        int rc = confirm_all(c, action);

        if (rc != CLI_EXIT_OK)
            return rc;
    }
    return run_action(c, action, spec, stagger_ms, max_booting, wait);
}

const struct cli_command cli_cmd_power = {
    .name = "power",
    .args = "on|off|cycle|status N|N-M|all [--stagger S] [--max-booting K] [--no-wait] [--yes]",
    .summary = "power slots through their PoE switch ports",
    .help = "  on, off, cycle   queue the operations, then wait until each one finished\n"
            "                   (a progress bar on a terminal); exit 1 if any failed\n"
            "  status           each slot's power, the switch's last answer, the op in flight\n"
            "  N, N-M, all      the slots\n"
            "  --stagger S      seconds between power-ons (default: [power] stagger)\n"
            "  --max-booting K  at most K slots booting at once (default: [power] max_booting)\n"
            "  --no-wait        print the queued op ids and return at once\n"
            "  -y, --yes        off or cycle of all without asking (needed when standard\n"
            "                   input is not a terminal)\n"
            "  --json           one JSON document: the queued ops with --no-wait, else\n"
            "                   {action, slots, ops: [{slot, op, ok, result}], refused,\n"
            "                   done, failed}\n",
    .run = run_power,
};
