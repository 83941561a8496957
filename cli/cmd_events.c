/* pirack events [--slot N] [--since ID] [-f]: the timeline and audit log.
 *
 * Pages through GET /v1/events from --since on until a page comes back
 * short; with -f it then follows GET /v1/events/stream (server-sent
 * events, resumed from the last id seen, reconnecting when the stream
 * ends) until SIGINT or SIGTERM; against a pirackd without the stream it
 * polls every half second instead.  With --json, without -f, it prints one object of
 * the API's shape, {"events": [...], "next": ID}; with -f one event
 * object per line (JSON Lines), as they come. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

#define PAGE 500
#define POLL_MS 500

static volatile sig_atomic_t stop_following;

static void on_stop_signal(int signo)
{
    (void)signo;
    stop_following = 1;
}

struct events_opts {
    bool has_slot, follow;
    int64_t slot, since;
};

static void print_event_line(const json_t *ev)
{
    char when[32], slot[16], kind[64], actor[96], detail[2048];
    const json_t *d = json_object_get(ev, "detail");
    char *dtext = d ? json_dumps(d, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    int64_t n = cli_json_int(ev, "slot", 0);

    cli_fmt_time(cli_json_int(ev, "time_ms", 0), when, sizeof(when));
    if (n == 0)
        snprintf(slot, sizeof(slot), "rack");
    else
        snprintf(slot, sizeof(slot), "%lld", (long long)n);
    cli_sanitize(cli_json_str(ev, "kind") ?: "-", kind, sizeof(kind));
    cli_sanitize(cli_json_str(ev, "actor") ?: "-", actor, sizeof(actor));
    cli_sanitize(dtext ? dtext : "", detail, sizeof(detail));
    /* Fixed widths, so that lines printed as they come still line up. */
    printf("%-8lld %-19s %4s  %-16s %-12s %s\n", (long long)cli_json_int(ev, "id", 0), when, slot,
           kind, actor, detail);
    free(dtext);
}

static void print_header(void)
{
    printf("%-8s %-19s %4s  %-16s %-12s %s\n", "ID", "TIME", "SLOT", "KIND", "ACTOR", "DETAIL");
}

/* One page after *since: printed (or gathered into all), *since moved on.
 * Returns the number of events, or -1 after an error was printed. */
static bool header_printed;

static int fetch_page(struct cli *c, const struct events_opts *o, int64_t *since, json_t *all)
{
    struct cli_response r;
    char path[128];
    const json_t *events;
    json_t *ev;
    size_t i;
    int n;

    if (o->has_slot)
        snprintf(path, sizeof(path), "/v1/events?slot=%lld&since=%lld&limit=%d", (long long)o->slot,
                 (long long)*since, PAGE);
    else
        snprintf(path, sizeof(path), "/v1/events?since=%lld&limit=%d", (long long)*since, PAGE);
    if (cli_request(c, "GET", path, NULL, &r))
        return -1;
    events = json_object_get(r.json, "events");
    if (!json_is_array(events)) {
        fprintf(stderr, "pirack: the API's answer has no events\n");
        cli_response_free(&r);
        return -1;
    }
    if (!all && !c->json && !header_printed) {
        print_header();
        header_printed = true;
    }
    json_array_foreach(events, i, ev)
    {
        if (all) {
            json_array_append(all, ev);
        } else if (c->json) {
            char *line = json_dumps(ev, JSON_COMPACT);
            if (line)
                puts(line);
            free(line);
        } else {
            print_event_line(ev);
        }
    }
    n = (int)json_array_size(events);
    *since = cli_json_int(r.json, "next", *since);
    cli_response_free(&r);
    fflush(stdout);
    return n;
}

/* Sleeps ms, or less when a stop signal comes. */
static void nap(int ms)
{
    struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

    while (!stop_following && nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

struct follow {
    struct cli *c;
    const struct events_opts *o;
    int64_t *since;
};

/* One event of the stream: printed as fetch_page() prints it. */
static int on_stream_event(const char *id, const char *data, void *ctx)
{
    struct follow *f = ctx;
    json_t *ev = json_loads(data, 0, NULL);
    int64_t n;

    (void)id;
    if (!json_is_object(ev)) {
        json_decref(ev);
        return 0;
    }
    n = cli_json_int(ev, "id", 0);
    if (n > *f->since)
        *f->since = n;
    if (!f->o->has_slot || cli_json_int(ev, "slot", -1) == f->o->slot) {
        if (f->c->json) {
            char *line = json_dumps(ev, JSON_COMPACT);
            if (line)
                puts(line);
            free(line);
        } else {
            if (!header_printed) {
                print_header();
                header_printed = true;
            }
            print_event_line(ev);
        }
        fflush(stdout);
    }
    json_decref(ev);
    return 0;
}

/* Follows the stream from *since until a stop signal; CLI_STREAM_NONE
 * when pirackd has no stream (the caller polls). */
static int follow_stream(struct cli *c, const struct events_opts *o, int64_t *since)
{
    struct follow f = { c, o, since };
    char path[64];
    int rc;

    while (!stop_following) {
        snprintf(path, sizeof(path), "/v1/events/stream?since=%lld", (long long)*since);
        rc = cli_stream(c, path, on_stream_event, &f, &stop_following);
        if (rc != CLI_STREAM_ENDED)
            return rc;
        nap(POLL_MS); /* dropped or restarted: resume where we were */
    }
    return CLI_EXIT_OK;
}

static int parse_opts(int argc, char **argv, struct events_opts *o)
{
    static const struct option longopts[] = {
        { "slot", required_argument, NULL, 's' },
        { "since", required_argument, NULL, 'S' },
        { "follow", no_argument, NULL, 'f' },
        { NULL, 0, NULL, 0 },
    };
    int ch;

    opterr = 0;
    optind = 0;
    while ((ch = getopt_long(argc, argv, "+f", longopts, NULL)) != -1) {
        switch (ch) {
        case 's':
            if (cli_parse_uint(optarg, 0, 999999, &o->slot) < 0)
                return cli_usage_error(&cli_cmd_events, "--slot wants a slot number (0: the rack)");
            o->has_slot = true;
            break;
        case 'S':
            if (cli_parse_uint(optarg, 0, INT64_MAX, &o->since) < 0)
                return cli_usage_error(&cli_cmd_events, "--since wants an event id");
            break;
        case 'f':
            o->follow = true;
            break;
        default:
            if (optopt == 's' || optopt == 'S')
                return cli_usage_error(&cli_cmd_events, "%s needs a value", argv[optind - 1]);
            return cli_usage_error(&cli_cmd_events, "unknown option \"%s\"", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error(&cli_cmd_events, "unexpected argument \"%s\"", argv[optind]);
    return 0;
}

static void catch_stop_signals(void)
{
    struct sigaction sa = { .sa_handler = on_stop_signal };

    /* No SA_RESTART: the nap ends at once. */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static int run_events(struct cli *c, int argc, char **argv)
{
    struct events_opts o = { 0 };
    json_t *all = NULL;
    int64_t since;
    int rc, n;

    rc = parse_opts(argc, argv, &o);
    if (rc)
        return rc;
    since = o.since;
    if (c->json && !o.follow && !(all = json_array())) {
        fprintf(stderr, "pirack: out of memory\n");
        return CLI_EXIT_FAIL;
    }
    if (o.follow)
        catch_stop_signals();
    /* What is there now, page by page. */
    do {
        n = fetch_page(c, &o, &since, all);
    } while (n == PAGE && !stop_following);
    if (n < 0) {
        json_decref(all);
        return CLI_EXIT_FAIL;
    }
    if (all) {
        json_t *doc = json_pack("{s:o, s:I}", "events", all, "next", (json_int_t)since);
        char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
        if (text)
            puts(text);
        free(text);
        json_decref(doc);
        return text ? CLI_EXIT_OK : CLI_EXIT_FAIL;
    }
    /* Then what comes, until a stop signal. */
    if (o.follow && !c->url) {
        rc = follow_stream(c, &o, &since);
        if (rc != CLI_STREAM_NONE)
            return rc;
    }
    while (o.follow && !stop_following) {
        nap(POLL_MS);
        if (stop_following)
            break;
        if (fetch_page(c, &o, &since, NULL) < 0)
            return CLI_EXIT_FAIL;
    }
    return CLI_EXIT_OK;
}

const struct cli_command cli_cmd_events = {
    .name = "events",
    .args = "[--slot N] [--since ID] [-f]",
    .summary = "the event log, oldest first; -f follows new events",
    .help = "  --slot N    only slot N's timeline (0: the rack's own events)\n"
            "  --since ID  only events after event ID\n"
            "  -f          then wait for new events and print them as they come\n"
            "  --json      one object {events, next}; with -f one event per line\n",
    .run = run_events,
};
