/* api_routes: GET /v1/status, /v1/slots, /v1/slots/{n}, /v1/events
 * against a real store (a temp sqlite file, 4 slots) over a real socket. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "api_fixture.h"
#include "daemon/api/api_internal.h"
#include "daemon/api/router.h"
#include "daemon/http/http.h"
#include "daemon/store/store_internal.h"

struct fixture {
    struct api_fixture api;
    int64_t rack_event, slot2_events[3], slot3_event;
};

static void seed(struct fixture *f)
{
    struct pr_store *st = f->api.fx->st;

    assert_int_equal(pr_store_set_slot_state(st, 2, "booted"), 0);
    assert_int_equal(pr_store_set_slot_state(st, 3, "booted"), 0);
    assert_int_equal(pr_store_set_slot_state(st, 4, "failed"), 0);
    assert_int_equal(pr_store_set_slot_power(st, 2, "on"), 0);
    assert_int_equal(pr_store_set_slot_switch(st, 2, "sw1", 7), 0);
    assert_int_equal(
        pr_store_assign_board(st, 2, "b8:27:eb:00:00:02", "00000000abcdef02", "3B", false), 0);
    assert_true(pr_store_add_customer(st, "alice") >= 0);
    assert_int_equal(pr_store_set_pi(st, 2, "web-1", "alice", NULL, "cycle-reimage"), 0);

    f->rack_event = pr_store_add_event(st, 0, "daemon.started", "pirackd", "{\"version\":\"x\"}");
    f->slot2_events[0] = pr_store_add_event(st, 2, "power.on", "ops", NULL);
    f->slot3_event = pr_store_add_event(st, 3, "dhcp.offer", "dhcp", "{\"ip\":\"10.0.0.10\"}");
    f->slot2_events[1] = pr_store_add_event(st, 2, "tftp.file", "tftp", "{\"file\":\"start.elf\"}");
    f->slot2_events[2] = pr_store_add_event(st, 2, "health.up", "health", NULL);
    assert_true(f->rack_event > 0 && f->slot2_events[2] > f->slot3_event);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    /* As if the daemon had started 75 s ago. */
    if (!f || api_fixture_start(&f->api, 75000) != 0)
        return -1;
    seed(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    api_fixture_stop(&f->api);
    free(f);
    return 0;
}

static json_t *at(json_t *obj, const char *a, const char *b)
{
    return json_object_get(json_object_get(obj, a), b);
}

static void test_status(void **state)
{
    struct fixture *f = *state;
    static const struct http_req reqs[] = { { "GET", "/v1/status", NULL, 0, false, false, NULL } };
    json_t *j, *by_state;

    api_fixture_run(&f->api, reqs, 1);
    assert_int_equal(f->api.b.res[0].status, 200);
    assert_string_equal(f->api.b.res[0].content_type, "application/json");
    j = f->api.b.res[0].json;
    assert_string_equal(api_json_str(j, "rack"), "rack1");
    assert_string_equal(api_json_str(j, "domain"), "hostedpi.example");
    assert_string_equal(api_json_str(j, "mode"), "isolated");
    assert_string_equal(api_json_str(j, "version"), PIRACK_VERSION);
    assert_in_range(json_integer_value(json_object_get(j, "uptime_s")), 75, 80);
    assert_int_equal(json_integer_value(at(j, "slots", "total")), 4);
    by_state = at(j, "slots", "by_state");
    assert_int_equal(json_integer_value(json_object_get(by_state, "off")), 1);
    assert_int_equal(json_integer_value(json_object_get(by_state, "booted")), 2);
    assert_int_equal(json_integer_value(json_object_get(by_state, "failed")), 1);
    assert_int_equal(json_object_size(by_state), 3);
}

static void test_one_slot_in_full(void **state)
{
    struct fixture *f = *state;
    static const struct http_req reqs[] = { { "GET", "/v1/slots/2", NULL, 0, false, false, NULL } };
    json_t *s;

    api_fixture_run(&f->api, reqs, 1);
    assert_int_equal(f->api.b.res[0].status, 200);
    s = f->api.b.res[0].json;
    assert_int_equal(json_integer_value(json_object_get(s, "slot")), 2);
    assert_string_equal(api_json_str(s, "state"), "booted");
    assert_true(json_integer_value(json_object_get(s, "state_since")) > 1700000000000);
    assert_string_equal(api_json_str(s, "power"), "on");
    /* Slot 2 owns the second /30 and the second /64. */
    assert_string_equal(api_json_str(at(s, "addresses", "v4"), "prefix"), "10.0.0.4/30");
    assert_string_equal(api_json_str(at(s, "addresses", "v4"), "host"), "10.0.0.5");
    assert_string_equal(api_json_str(at(s, "addresses", "v4"), "pi"), "10.0.0.6");
    assert_string_equal(api_json_str(at(s, "addresses", "v6"), "prefix"), "2001:db8:1:1::/64");
    assert_string_equal(api_json_str(at(s, "addresses", "v6"), "host"), "2001:db8:1:1::1");
    assert_string_equal(api_json_str(at(s, "addresses", "v6"), "pi"), "2001:db8:1:1::2");
    assert_string_equal(json_string_value(at(s, "names", "fqdn")), "web-1.hostedpi.example");
    assert_string_equal(json_string_value(at(s, "names", "ssh")), "ssh.web-1.hostedpi.example");
    assert_string_equal(json_string_value(at(s, "names", "www")), "www.web-1.hostedpi.example");
    assert_int_equal(json_integer_value(json_object_get(s, "ssh_port")), 22002);
    assert_string_equal(api_json_str(s, "interface"), "pi002");
    assert_string_equal(json_string_value(at(s, "switch", "name")), "sw1");
    assert_int_equal(json_integer_value(at(s, "switch", "port")), 7);
    assert_string_equal(json_string_value(at(s, "board", "mac")), "b8:27:eb:00:00:02");
    assert_string_equal(json_string_value(at(s, "board", "serial")), "00000000abcdef02");
    assert_string_equal(json_string_value(at(s, "board", "model")), "3B");
    assert_string_equal(json_string_value(at(s, "pi", "name")), "web-1");
    assert_string_equal(json_string_value(at(s, "pi", "owner")), "alice");
    assert_true(json_is_null(at(s, "pi", "image")));
    assert_string_equal(json_string_value(at(s, "pi", "policy")), "cycle-reimage");
}

static void test_all_slots(void **state)
{
    struct fixture *f = *state;
    static const struct http_req reqs[] = { { "GET", "/v1/slots", NULL, 0, false, false, NULL } };
    json_t *a, *s1;

    api_fixture_run(&f->api, reqs, 1);
    assert_int_equal(f->api.b.res[0].status, 200);
    a = f->api.b.res[0].json;
    assert_true(json_is_array(a));
    assert_int_equal(json_array_size(a), 4);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(json_integer_value(json_object_get(json_array_get(a, i), "slot")), i + 1);
    /* A slot with nothing in it: no board, no switch, the plan's name. */
    s1 = json_array_get(a, 0);
    assert_true(json_is_null(json_object_get(s1, "board")));
    assert_true(json_is_null(json_object_get(s1, "switch")));
    assert_string_equal(json_string_value(at(s1, "pi", "name")), "rack1-001");
    assert_string_equal(json_string_value(at(s1, "names", "fqdn")), "rack1-001.hostedpi.example");
    assert_true(json_is_null(at(s1, "pi", "owner")));
    assert_string_equal(api_json_str(json_array_get(a, 3), "state"), "failed");
}

static void test_slot_out_of_range_and_bad(void **state)
{
    struct fixture *f = *state;
    static const struct http_req reqs[] = {
        { "GET", "/v1/slots/5", NULL, 0, false, false, NULL },
        { "GET", "/v1/slots/0", NULL, 0, false, false, NULL },
        { "GET", "/v1/slots/9999", NULL, 0, false, false, NULL },
        { "GET", "/v1/slots/two", NULL, 0, false, false, NULL },
        { "GET", "/v1/slots/-1", NULL, 0, false, false, NULL },
        { "GET", "/v1/slots/99999999999999999999", NULL, 0, false, false, NULL },
        { "DELETE", "/v1/slots/1", NULL, 0, false, false, NULL },
        { "POST", "/v1/status", "{}", 0, false, false, NULL },
    };

    api_fixture_run(&f->api, reqs, 8);
    api_assert_error(&f->api.b.res[0], 404, "no-such-slot");
    assert_string_equal(api_json_str(f->api.b.res[0].json, "detail"),
                        "slot 5 is not in this rack (1-4)");
    api_assert_error(&f->api.b.res[1], 404, "no-such-slot");
    api_assert_error(&f->api.b.res[2], 404, "no-such-slot");
    for (size_t i = 3; i < 6; i++)
        api_assert_error(&f->api.b.res[i], 400, "bad-request");
    api_assert_error(&f->api.b.res[6], 405, "method-not-allowed");
    assert_string_equal(f->api.b.res[6].allow, "GET");
    api_assert_error(&f->api.b.res[7], 405, "method-not-allowed");
}

/* The ids of an events answer, and its "next". */
static size_t event_ids(const json_t *j, int64_t *ids, size_t max, int64_t *next)
{
    const json_t *events = json_object_get(j, "events");
    size_t n = json_array_size(events);

    assert_true(json_is_array(events));
    assert_true(n <= max);
    for (size_t i = 0; i < n; i++)
        ids[i] = json_integer_value(json_object_get(json_array_get(events, i), "id"));
    *next = json_integer_value(json_object_get(j, "next"));
    return n;
}

static void test_events_filters(void **state)
{
    struct fixture *f = *state;
    char slot2_since[64], all_since[64];
    int64_t ids[16], next;
    json_t *ev;

    snprintf(slot2_since, sizeof(slot2_since), "/v1/events?slot=2&since=%lld",
             (long long)f->slot2_events[0]);
    snprintf(all_since, sizeof(all_since), "/v1/events?since=%lld", (long long)f->slot2_events[2]);
    const struct http_req reqs[] = {
        { "GET", "/v1/events", NULL, 0, false, false, NULL },
        { "GET", "/v1/events?slot=2", NULL, 0, false, false, NULL },
        { "GET", "/v1/events?slot=0", NULL, 0, false, false, NULL },
        { "GET", slot2_since, NULL, 0, false, false, NULL },
        { "GET", all_since, NULL, 0, false, false, NULL },
        { "GET", "/v1/events?slot=1", NULL, 0, false, false, NULL },
    };

    api_fixture_run(&f->api, reqs, 6);
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(f->api.b.res[i].status, 200);
    /* No slot: all five, oldest first. */
    assert_int_equal(event_ids(f->api.b.res[0].json, ids, 16, &next), 5);
    assert_int_equal(ids[0], f->rack_event);
    assert_int_equal(ids[4], f->slot2_events[2]);
    assert_int_equal(next, f->slot2_events[2]);
    ev = json_array_get(json_object_get(f->api.b.res[0].json, "events"), 0);
    assert_int_equal(json_integer_value(json_object_get(ev, "slot")), 0);
    assert_string_equal(api_json_str(ev, "kind"), "daemon.started");
    assert_string_equal(api_json_str(ev, "actor"), "pirackd");
    assert_string_equal(api_json_str(json_object_get(ev, "detail"), "version"), "x");
    assert_true(json_integer_value(json_object_get(ev, "time_ms")) > 1700000000000);
    /* One slot. */
    assert_int_equal(event_ids(f->api.b.res[1].json, ids, 16, &next), 3);
    assert_int_equal(ids[0], f->slot2_events[0]);
    assert_int_equal(ids[2], f->slot2_events[2]);
    /* slot=0: the rack's own events only. */
    assert_int_equal(event_ids(f->api.b.res[2].json, ids, 16, &next), 1);
    assert_int_equal(ids[0], f->rack_event);
    /* since: only what came after. */
    assert_int_equal(event_ids(f->api.b.res[3].json, ids, 16, &next), 2);
    assert_int_equal(ids[0], f->slot2_events[1]);
    /* Nothing new: "next" stays where it was asked to start. */
    assert_int_equal(event_ids(f->api.b.res[4].json, ids, 16, &next), 0);
    assert_int_equal(next, f->slot2_events[2]);
    assert_int_equal(event_ids(f->api.b.res[5].json, ids, 16, &next), 0);
    assert_int_equal(next, 0);
}

static void test_events_paging(void **state)
{
    struct fixture *f = *state;
    int64_t ids[16], next, all[16];
    size_t got = 0, n;
    char path[64];
    int64_t since = 0;

    /* limit=2 pages through all five events with "next", and a page
     * that comes back short is the end. */
    for (int page = 0; page < 4; page++) {
        struct http_req req = { "GET", path, NULL, 0, false, false, NULL };
        snprintf(path, sizeof(path), "/v1/events?limit=2&since=%lld", (long long)since);
        api_fixture_run(&f->api, &req, 1);
        assert_int_equal(f->api.b.res[0].status, 200);
        n = event_ids(f->api.b.res[0].json, ids, 16, &next);
        memcpy(all + got, ids, n * sizeof(ids[0]));
        got += n;
        since = next;
        if (n < 2)
            break;
    }
    assert_int_equal(got, 5);
    for (size_t i = 1; i < got; i++)
        assert_true(all[i] > all[i - 1]);
    assert_int_equal(all[4], f->slot2_events[2]);
}

static void test_events_bad_queries(void **state)
{
    struct fixture *f = *state;
    static const struct http_req reqs[] = {
        { "GET", "/v1/events?slot=5", NULL, 0, false, false, NULL },
        { "GET", "/v1/events?slot=x", NULL, 0, false, false, NULL },
        { "GET", "/v1/events?since=-3", NULL, 0, false, false, NULL },
        { "GET", "/v1/events?limit=0", NULL, 0, false, false, NULL },
        { "GET", "/v1/events?limit=1001", NULL, 0, false, false, NULL },
        { "GET", "/v1/events?limit=1000", NULL, 0, false, false, NULL },
        { "GET", "/v1/events?slots=1", NULL, 0, false, false, NULL },
        { "GET", "/v1/events?since", NULL, 0, false, false, NULL },
    };

    api_fixture_run(&f->api, reqs, 8);
    api_assert_error(&f->api.b.res[0], 404, "no-such-slot");
    assert_string_equal(api_json_str(f->api.b.res[0].json, "detail"),
                        "slot 5 is not in this rack (0-4)");
    for (size_t i = 1; i < 5; i++)
        api_assert_error(&f->api.b.res[i], 400, "bad-request");
    assert_non_null(strstr(api_json_str(f->api.b.res[1].json, "detail"), "slot"));
    assert_non_null(strstr(api_json_str(f->api.b.res[4].json, "detail"), "limit"));
    assert_int_equal(f->api.b.res[5].status, 200);
    api_assert_error(&f->api.b.res[6], 400, "bad-request");
    assert_non_null(strstr(api_json_str(f->api.b.res[6].json, "detail"), "slots"));
    api_assert_error(&f->api.b.res[7], 400, "bad-request");
}

/* The fixture runs no service: their routes are there all the same and
 * say that the service is not running. */
static void test_stopped_services_answer_503(void **state)
{
    struct fixture *f = *state;
    static const struct http_req reqs[] = {
        { "GET", "/v1/power", NULL, 0, false, false, NULL },
        { "POST", "/v1/power", "{\"action\": \"on\", \"slots\": \"all\"}", 0, false, false, NULL },
        { "GET", "/v1/slots/1/power", NULL, 0, false, false, NULL },
        { "POST", "/v1/slots/1/power", "{\"action\": \"on\"}", 0, false, false, NULL },
        { "GET", "/v1/dhcp/stats", NULL, 0, false, false, NULL },
        { "GET", "/v1/slots/1/trace", NULL, 0, false, false, NULL },
        { "GET", "/v1/net", NULL, 0, false, false, NULL },
        { "GET", "/v1/routes", NULL, 0, false, false, NULL },
    };

    api_fixture_run(&f->api, reqs, 8);
    for (size_t i = 0; i < 8; i++)
        api_assert_error(&f->api.b.res[i], 503, "unavailable");
    assert_non_null(strstr(api_json_str(f->api.b.res[0].json, "detail"), "power"));
    assert_non_null(strstr(api_json_str(f->api.b.res[4].json, "detail"), "DHCP"));
    assert_non_null(strstr(api_json_str(f->api.b.res[5].json, "detail"), "capture"));
}

/* Every route of the table answers on its own side's listener: none is
 * missing (404 "not found") or registered with another method (405); and
 * no route is served on the other side (the customer port has no ops
 * route, the ops socket no customer route). */
static void test_every_route_is_in_the_table(void **state)
{
    struct fixture *f = *state;
    static struct http_req reqs[2][API_BATCH_MAX];
    static char paths[API_BATCH_MAX][128];
    size_t n, k[2] = { 0, 0 };
    const struct pr_http_route *routes = pr_http_routes(&n);

    assert_true(n >= 28 && n <= API_BATCH_MAX);
    for (size_t i = 0; i < n; i++) {
        const char *p = routes[i].pattern, *brace = strchr(p, '{');
        size_t side = routes[i].side == PR_API_OPS ? 0 : 1;

        if (routes[i].side == PR_API_METRICS) { /* test_api_customer scrapes it */
            assert_string_equal(routes[i].pattern, "/metrics");
            continue;
        }
        assert_true(routes[i].side == PR_API_OPS || routes[i].side == PR_API_CUSTOMER);
        /* Event streams never end (tests/integration/events_stream.sh
         * follows them); the web page is on both sides by design
         * (tests/integration/web_page.sh). */
        size_t plen = strlen(p);
        if ((plen > 7 && strcmp(p + plen - 7, "/stream") == 0) || strcmp(p, "/") == 0 ||
            strncmp(p, "/ui/", 4) == 0)
            continue;
        if (brace)
            snprintf(paths[i], sizeof(paths[i]), "%.*s%s%s", (int)(brace - p), p,
                     strncmp(brace, "{model}", 7) == 0 ? "3" : "1", strchr(brace, '}') + 1);
        else
            snprintf(paths[i], sizeof(paths[i]), "%s", p);
        reqs[side][k[side]++] =
            (struct http_req){ routes[i].method, paths[i], NULL, 0, false, false, NULL };
    }
    for (size_t side = 0; side < 2; side++) {
        if (side == 0)
            api_fixture_run(&f->api, reqs[0], k[0]);
        else
            api_fixture_run_customer(&f->api, reqs[1], k[1]);
        for (size_t i = 0; i < k[side]; i++) {
            const char *e = api_json_str(f->api.b.res[i].json, "error");

            if (e && strcmp(e, "not-found") == 0)
                fail_msg("%s %s is not routed", reqs[side][i].method, reqs[side][i].path);
            assert_int_not_equal(f->api.b.res[i].status, 405);
        }
        /* and the other side does not know them */
        if (side == 0)
            api_fixture_run_customer(&f->api, reqs[0], k[0]);
        else
            api_fixture_run(&f->api, reqs[1], k[1]);
        for (size_t i = 0; i < k[side]; i++)
            if (f->api.b.res[i].status != 404)
                fail_msg("%s %s answers %ld on the other side", reqs[side][i].method,
                         reqs[side][i].path, f->api.b.res[i].status);
    }
}

/* Every route with {n} reads it the same way: 400 for what is not a
 * number, 404 for a number that is not a slot of this rack. */
static void test_every_slot_param_is_checked_alike(void **state)
{
    struct fixture *f = *state;
    static const char *const bad[] = { "0", "5", "9999", "two", "-1", "99999999999999999999" };
    static const long status[] = { 404, 404, 404, 400, 400, 400 };
    struct http_req reqs[API_BATCH_MAX];
    char paths[API_BATCH_MAX][128];
    size_t n, k = 0;
    const struct pr_http_route *routes = pr_http_routes(&n);

    for (size_t i = 0; i < n; i++) {
        const char *p = routes[i].pattern, *brace = strstr(p, "{n}");

        if (!brace)
            continue;
        for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++) {
            assert_true(k < API_BATCH_MAX);
            snprintf(paths[k], sizeof(paths[k]), "%.*s%s%s", (int)(brace - p), p, bad[b],
                     brace + 3);
            reqs[k] = (struct http_req){ routes[i].method, paths[k], "{}", 0, false, false, NULL };
            k++;
        }
    }
    assert_true(k >= 6 * 6);
    api_fixture_run(&f->api, reqs, k);
    for (size_t i = 0; i < k; i++) {
        long want = status[i % 6];

        if (f->api.b.res[i].status != want)
            fail_msg("%s %s: %ld, not %ld", reqs[i].method, reqs[i].path, f->api.b.res[i].status,
                     want);
        api_assert_error(&f->api.b.res[i], want, want == 404 ? "no-such-slot" : "bad-request");
    }
    assert_string_equal(api_json_str(f->api.b.res[1].json, "detail"),
                        "slot 5 is not in this rack (1-4)");
}

/* The vocabulary itself: one word per error, lower-case words joined by
 * '-', each with an error status, and parse() finds each again. */
static void test_vocabulary(void **state)
{
    (void)state;
    for (int i = 0; i < PR_API_ERR__COUNT; i++) {
        const char *w = pr_api_error_word((enum pr_api_error)i);
        unsigned status = pr_api_error_status((enum pr_api_error)i);

        assert_non_null(w);
        assert_true(w[0] >= 'a' && w[0] <= 'z');
        for (const char *p = w; *p; p++)
            assert_true((*p >= 'a' && *p <= 'z') || (*p == '-' && p[1] && p[1] != '-'));
        assert_in_range(status, 400, 599);
        assert_int_equal(pr_api_error_parse(w), i);
    }
    assert_null(pr_api_error_word(PR_API_ERR__COUNT));
    assert_int_equal(pr_api_error_parse("no such slot"), -1);
    assert_int_equal(pr_api_error_parse(NULL), -1);
}

/* Every refusal the routes can give without a running service, and those
 * of the api framework itself, speak the vocabulary: the "error" is one of
 * the words, with its status, and there is a detail. */
static void test_every_refusal_speaks_the_vocabulary(void **state)
{
    struct fixture *f = *state;
    static char long_path[PR_ROUTER_MAX_PATH + 64];
    static char big_body[PR_API_MAX_BODY + 64];
    static const char *const want[] = {
        "not-found",   "method-not-allowed", "uri-too-long", "too-large",
        "bad-request", "no-such-slot",       "conflict",     "no-board",
        "name-taken",  "bad-name",           "unavailable",
    };
    const struct http_req reqs[] = {
        { "GET", "/nope", NULL, 0, false, false, NULL },
        { "PUT", "/v1/status", "{}", 0, false, false, NULL },
        { "GET", long_path, NULL, 0, false, false, NULL },
        { "POST", "/v1/slots/1/board", big_body, 0, false, false, NULL },
        { "GET", "/v1/slots/x", NULL, 0, false, false, NULL },
        { "GET", "/v1/slots/9", NULL, 0, false, false, NULL },
        { "GET", "/v1/events?limit=0", NULL, 0, false, false, NULL },
        { "GET", "/v1/events?what=1", NULL, 0, false, false, NULL },
        { "GET", "/v1/events?slot=9", NULL, 0, false, false, NULL },
        { "GET", "/metrics?x=1", NULL, 0, false, false, NULL },
        { "POST", "/v1/slots/1/board", "not json", 0, false, false, NULL },
        { "POST", "/v1/slots/1/board", "[1]", 0, false, false, NULL },
        { "POST", "/v1/slots/1/board", "{\"mac\": \"zz\"}", 0, false, false, NULL },
        { "POST", "/v1/slots/1/board", "{\"mac\": 1}", 0, false, false, NULL },
        { "POST", "/v1/slots/1/board", "{\"mac\": \"b8:27:eb:00:00:02\", \"x\": 1}", 0, false,
          false, NULL },
        { "POST", "/v1/slots/1/board", "{\"mac\": \"b8:27:eb:00:00:02\"}", 0, false, false, NULL },
        { "DELETE", "/v1/slots/1/board", NULL, 0, false, false, NULL },
        { "DELETE", "/v1/slots/2/board", "{\"a\": 1}", 0, false, false, NULL },
        { "PUT", "/v1/slots/1/pi", "{}", 0, false, false, NULL },
        { "PUT", "/v1/slots/1/pi", "{\"name\": \"web-1\"}", 0, false, false, NULL },
        { "PUT", "/v1/slots/1/pi", "{\"name\": \"-bad\"}", 0, false, false, NULL },
        { "PUT", "/v1/slots/1/pi", "{\"owner\": 3}", 0, false, false, NULL },
        { "GET", "/v1/power", NULL, 0, false, false, NULL },
        { "POST", "/v1/power", "{}", 0, false, false, NULL },
        { "GET", "/v1/slots/1/power", NULL, 0, false, false, NULL },
        { "POST", "/v1/slots/1/power", "{}", 0, false, false, NULL },
        { "GET", "/v1/net", NULL, 0, false, false, NULL },
        { "GET", "/v1/dhcp/stats", NULL, 0, false, false, NULL },
        { "GET", "/v1/routes", NULL, 0, false, false, NULL },
        { "GET", "/v1/slots/1/trace", NULL, 0, false, false, NULL },
    };
    size_t n = sizeof(reqs) / sizeof(reqs[0]);
    bool seen[PR_API_ERR__COUNT] = { false };

    memcpy(long_path, "/v1/", 4);
    memset(long_path + 4, 'a', sizeof(long_path) - 5);
    memset(big_body, ' ', sizeof(big_body) - 1);
    big_body[0] = '{';
    big_body[sizeof(big_body) - 2] = '}';
    api_fixture_run(&f->api, reqs, n);
    for (size_t i = 0; i < n; i++) {
        const struct http_res *r = &f->api.b.res[i];

        if (r->status < 400)
            fail_msg("%s %.40s: %ld, not a refusal", reqs[i].method, reqs[i].path, r->status);
        assert_non_null(r->json);
        api_assert_vocabulary(r);
        seen[pr_api_error_parse(api_json_str(r->json, "error"))] = true;
    }
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        if (!seen[pr_api_error_parse(want[i])])
            fail_msg("no request was refused with \"%s\"", want[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_slot_in_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_all_slots, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slot_out_of_range_and_bad, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events_paging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events_bad_queries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stopped_services_answer_503, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_route_is_in_the_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_slot_param_is_checked_alike, setup, teardown),
        cmocka_unit_test(test_vocabulary),
        cmocka_unit_test_setup_teardown(test_every_refusal_speaks_the_vocabulary, setup, teardown),
    };

    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = cmocka_run_group_tests_name("api_routes", tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
