/* api_ops and api_metrics: POST/DELETE /v1/slots/{n}/board, PUT
 * /v1/slots/{n}/pi and GET /metrics against a real store (a temp sqlite
 * file, 4 slots) over a real socket; and the MAC and name checks they use. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "api_fixture.h"
#include "daemon/api/api_internal.h"
#include "pirack/metrics.h"
#include "daemon/store/store_internal.h"

#define MAC1 "b8:27:eb:00:00:01"
#define MAC2 "dc:a6:32:00:00:02"

/* The actor of an operator's change: the uid SO_PEERCRED reports. */
static const char *ops_actor(void)
{
    static char buf[32];
    snprintf(buf, sizeof(buf), "ops:uid=%u", (unsigned)getuid());
    return buf;
}

static int setup(void **state)
{
    struct api_fixture *f = calloc(1, sizeof(*f));

    if (!f || api_fixture_start(f, 12000) != 0)
        return -1;
    assert_true(pr_store_add_customer(f->fx->st, "alice") >= 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    api_fixture_stop(*state);
    free(*state);
    return 0;
}

static const char *detail(const struct api_fixture *f, size_t i)
{
    return api_json_str(f->b.res[i].json, "detail");
}

static const char *board_mac(const json_t *slot)
{
    return json_string_value(json_object_get(json_object_get(slot, "board"), "mac"));
}

static int keep_event(const struct pr_event_row *row, void *ctx)
{
    *(struct pr_event_row *)ctx = *row;
    return 0;
}

/* The newest event of slot, or fails. */
static void last_event(struct api_fixture *f, unsigned slot, struct pr_event_row *out)
{
    memset(out, 0, sizeof(*out));
    assert_int_equal(pr_store_each_event(f->d.store, slot, false, 0, 0, keep_event, out), 0);
    assert_true(out->id > 0);
}

/* The first event of slot after event id since, or fails. */
static void event_after(struct api_fixture *f, unsigned slot, int64_t since,
                        struct pr_event_row *out)
{
    memset(out, 0, sizeof(*out));
    assert_int_equal(pr_store_each_event(f->d.store, slot, false, since, 1, keep_event, out), 0);
    assert_true(out->id > since);
}

/* ---- pure checks ---- */

static void test_parse_mac(void **state)
{
    static const char *const bad[] = {
        "",
        "b8:27:eb:00:00",
        "b8:27:eb:00:00:011",
        "b8:27:eb:00:00:0g",
        "b8-27:eb:00:00:01",
        "b8:27:eb:00:00:01 ",
        " b8:27:eb:00:00:01",
        "b827.eb00.0001",
        "b8:27:eb::00:01",
        "b8.27.eb.00.00.01",
        "b827eb000001",
        "+8:27:eb:00:00:01",
    };
    char out[18];

    (void)state;
    assert_int_equal(pr_api_parse_mac("B8:27:EB:0A:bC:01", out), 0);
    assert_string_equal(out, "b8:27:eb:0a:bc:01");
    assert_int_equal(pr_api_parse_mac("DC-A6-32-00-00-02", out), 0);
    assert_string_equal(out, MAC2);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (pr_api_parse_mac(bad[i], out) == 0)
            fail_msg("\"%s\" parsed as a MAC", bad[i]);
    assert_int_equal(pr_api_parse_mac(NULL, out), -EINVAL);
}

static void test_name_problem_agrees_with_the_plan(void **state)
{
    static const char *const names[] = {
        "web-1",
        "a",
        "0",
        "x-y-z",
        "Web1",
        "web_1",
        "web.1",
        "-web",
        "web-",
        "",
        "we b",
        "\xc3\xa9t\xc3\xa9",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        assert_int_equal(pr_api_name_problem(names[i]) == NULL, pr_plan_name_valid(names[i]));
    assert_string_equal(pr_api_name_problem("Web1"), "a pi name is lower case (it is a DNS label)");
    assert_string_equal(pr_api_name_problem("-web"), "a pi name cannot start or end with '-'");
}

/* ---- boards ---- */

static void test_assign_then_show(void **state)
{
    struct api_fixture *f = *state;
    static const struct http_req reqs[] = {
        { "POST", "/v1/slots/2/board",
          "{\"mac\": \"B8-27-EB-00-00-01\", \"serial\": \"000000A1\", \"model\": \"3B\"}", 0, false,
          false, NULL },
        { "GET", "/v1/slots/2", NULL, 0, false, false, NULL },
    };
    struct pr_event_row ev = { 0 };
    json_t *board;

    api_fixture_run(f, reqs, 2);
    assert_int_equal(f->b.res[0].status, 200);
    assert_string_equal(f->b.res[0].content_type, "application/json");
    assert_int_equal(json_integer_value(json_object_get(f->b.res[0].json, "slot")), 2);
    board = json_object_get(f->b.res[1].json, "board");
    assert_string_equal(api_json_str(board, "mac"), MAC1);
    assert_string_equal(api_json_str(board, "serial"), "000000a1");
    assert_string_equal(api_json_str(board, "model"), "3B");
    /* Flat mode finds the slot by this MAC. */
    assert_int_equal(pr_store_slot_by_mac(f->d.store, MAC1), 2);
    last_event(f, 2, &ev);
    assert_string_equal(ev.kind, "board.assigned");
    assert_string_equal(ev.actor, ops_actor());
    assert_string_equal(ev.detail,
                        "{\"mac\":\"" MAC1 "\",\"serial\":\"000000A1\",\"model\":\"3B\"}");
}

static void test_board_in_another_slot_needs_move(void **state)
{
    struct api_fixture *f = *state;
    static const struct http_req reqs[] = {
        { "POST", "/v1/slots/1/board", "{\"mac\": \"" MAC1 "\"}", 0, false, false, NULL },
        { "POST", "/v1/slots/3/board", "{\"mac\": \"" MAC1 "\"}", 0, false, false, NULL },
        { "POST", "/v1/slots/3/board", "{\"mac\": \"" MAC1 "\", \"move\": false}", 0, false, false,
          NULL },
        { "GET", "/v1/slots/1", NULL, 0, false, false, NULL },
        { "POST", "/v1/slots/3/board", "{\"mac\": \"" MAC1 "\", \"move\": true}", 0, false, false,
          NULL },
        { "GET", "/v1/slots/1", NULL, 0, false, false, NULL },
        /* the same board again where it is: fine, nothing moves */
        { "POST", "/v1/slots/3/board", "{\"mac\": \"" MAC1 "\"}", 0, false, false, NULL },
    };
    struct pr_event_row ev = { 0 };

    api_fixture_run(f, reqs, 7);
    assert_int_equal(f->b.res[0].status, 200);
    api_assert_error(&f->b.res[1], 409, "conflict");
    assert_string_equal(detail(f, 1), "board " MAC1 " is already in slot 1 "
                                      "(\"move\": true takes it out of there)");
    api_assert_error(&f->b.res[2], 409, "conflict");
    assert_string_equal(board_mac(f->b.res[3].json), MAC1);
    assert_int_equal(f->b.res[4].status, 200);
    assert_string_equal(board_mac(f->b.res[4].json), MAC1);
    assert_true(json_is_null(json_object_get(f->b.res[5].json, "board")));
    assert_int_equal(f->b.res[6].status, 200);
    assert_int_equal(pr_store_slot_by_mac(f->d.store, MAC1), 3);
    /* Both timelines say what happened. */
    last_event(f, 1, &ev);
    assert_string_equal(ev.kind, "board.unassigned");
    assert_string_equal(ev.detail, "{\"mac\":\"" MAC1 "\",\"moved_to\":3}");
    assert_int_equal(store_count_events(f->d.store, 3), 2);
    event_after(f, 3, 0, &ev);
    assert_string_equal(ev.detail, "{\"mac\":\"" MAC1 "\",\"moved_from\":1}");
}

static void test_new_board_replaces_the_old(void **state)
{
    struct api_fixture *f = *state;
    static const struct http_req reqs[] = {
        { "POST", "/v1/slots/2/board", "{\"mac\": \"" MAC1 "\"}", 0, false, false, NULL },
        { "POST", "/v1/slots/2/board", "{\"mac\": \"" MAC2 "\"}", 0, false, false, NULL },
    };
    struct pr_event_row ev = { 0 };

    api_fixture_run(f, reqs, 2);
    assert_int_equal(f->b.res[1].status, 200);
    assert_string_equal(board_mac(f->b.res[1].json), MAC2);
    assert_int_equal(pr_store_slot_by_mac(f->d.store, MAC1), 0);
    last_event(f, 2, &ev);
    assert_string_equal(ev.detail, "{\"mac\":\"" MAC2 "\",\"replaced\":\"" MAC1 "\"}");
}

static void test_assign_refusals(void **state)
{
    struct api_fixture *f = *state;
    static const struct http_req reqs[] = {
        { "POST", "/v1/slots/2/board", "{\"mac\": \"b8:27:eb:00:00\"}", 0, false, false, NULL },
        { "POST", "/v1/slots/2/board", "{\"mac\": \"zz:27:eb:00:00:01\"}", 0, false, false, NULL },
        { "POST", "/v1/slots/2/board", "{\"mac\": 12}", 0, false, false, NULL },
        { "POST", "/v1/slots/2/board", "{}", 0, false, false, NULL },
        { "POST", "/v1/slots/2/board", NULL, 0, false, false, NULL },
        { "POST", "/v1/slots/2/board", "{\"mac\": \"" MAC1 "\", \"mvoe\": true}", 0, false, false,
          NULL },
        { "POST", "/v1/slots/2/board", "{\"mac\": \"" MAC1 "\", \"move\": \"yes\"}", 0, false,
          false, NULL },
        { "POST", "/v1/slots/2/board", "{\"mac\": \"" MAC1 "\", \"serial\": \"12\"}", 0, false,
          false, NULL },
        { "POST", "/v1/slots/2/board", "{\"mac\": \"" MAC1 "\", \"model\": \"0123456789abcdef\"}",
          0, false, false, NULL },
        { "POST", "/v1/slots/5/board", "{\"mac\": \"" MAC1 "\"}", 0, false, false, NULL },
        { "POST", "/v1/slots/x/board", "{\"mac\": \"" MAC1 "\"}", 0, false, false, NULL },
        { "PUT", "/v1/slots/2/board", "{\"mac\": \"" MAC1 "\"}", 0, false, false, NULL },
    };

    api_fixture_run(f, reqs, 12);
    for (size_t i = 0; i < 9; i++)
        api_assert_error(&f->b.res[i], 400, "bad-request");
    assert_string_equal(detail(f, 0), "\"b8:27:eb:00:00\" is not a MAC address "
                                      "(six hex pairs joined by ':' or '-')");
    assert_string_equal(detail(f, 2), "\"mac\" must be a string");
    assert_string_equal(detail(f, 3), "\"mac\" is missing");
    assert_string_equal(detail(f, 4), "the body must be a JSON object with \"mac\"");
    assert_string_equal(detail(f, 5), "unknown field \"mvoe\"");
    assert_string_equal(detail(f, 6), "\"move\" must be true or false");
    assert_string_equal(detail(f, 7), "'12' is not a board serial (8 to 16 hex digits)");
    assert_non_null(strstr(detail(f, 8), "longer than 15 bytes"));
    api_assert_error(&f->b.res[9], 404, "no-such-slot");
    api_assert_error(&f->b.res[10], 400, "bad-request");
    api_assert_error(&f->b.res[11], 405, "method-not-allowed");
    assert_string_equal(f->b.res[11].allow, "POST, DELETE");
    /* Nothing was stored, nothing recorded. */
    assert_int_equal(pr_store_slot_by_mac(f->d.store, MAC1), 0);
    assert_int_equal(store_count_events(f->d.store, 0), 0);
}

static void test_unassign(void **state)
{
    struct api_fixture *f = *state;
    static const struct http_req reqs[] = {
        { "POST", "/v1/slots/4/board", "{\"mac\": \"" MAC1 "\"}", 0, false, false, NULL },
        { "DELETE", "/v1/slots/4/board", NULL, 0, false, false, NULL },
        { "DELETE", "/v1/slots/4/board", NULL, 0, false, false, NULL },
        { "DELETE", "/v1/slots/9/board", NULL, 0, false, false, NULL },
        { "POST", "/v1/slots/1/board", "{\"mac\": \"" MAC1 "\"}", 0, false, false, NULL },
    };
    struct pr_event_row ev = { 0 };

    api_fixture_run(f, reqs, 5);
    assert_int_equal(f->b.res[1].status, 200);
    assert_true(json_is_null(json_object_get(f->b.res[1].json, "board")));
    api_assert_error(&f->b.res[2], 404, "no-board");
    assert_string_equal(detail(f, 2), "slot 4 holds no board");
    api_assert_error(&f->b.res[3], 404, "no-such-slot");
    /* Out of its slot, the board goes elsewhere without "move". */
    assert_int_equal(f->b.res[4].status, 200);
    assert_int_equal(store_count_events(f->d.store, 4), 2);
    event_after(f, 4, 1, &ev);
    assert_string_equal(ev.kind, "board.unassigned");
    assert_string_equal(ev.detail, "{\"mac\":\"" MAC1 "\"}");
}

/* ---- pis ---- */

static void test_set_pi(void **state)
{
    struct api_fixture *f = *state;
    static const struct http_req reqs[] = {
        { "PUT", "/v1/slots/3/pi",
          "{\"name\": \"web-1\", \"owner\": \"alice\","
          " \"policy\": \"cycle\"}",
          0, false, false, NULL },
        { "GET", "/v1/slots/3", NULL, 0, false, false, NULL },
        { "PUT", "/v1/slots/3/pi", "{\"owner\": \"\"}", 0, false, false, NULL },
    };
    struct pr_event_row ev = { 0 };
    json_t *s;

    api_fixture_run(f, reqs, 3);
    assert_int_equal(f->b.res[0].status, 200);
    s = f->b.res[1].json;
    assert_string_equal(api_json_str(json_object_get(s, "pi"), "name"), "web-1");
    assert_string_equal(api_json_str(json_object_get(s, "pi"), "owner"), "alice");
    assert_string_equal(api_json_str(json_object_get(s, "pi"), "policy"), "cycle");
    assert_string_equal(api_json_str(json_object_get(s, "names"), "fqdn"),
                        "web-1.hostedpi.example");
    /* "" clears the owner and leaves the rest. */
    s = f->b.res[2].json;
    assert_int_equal(f->b.res[2].status, 200);
    assert_true(json_is_null(json_object_get(json_object_get(s, "pi"), "owner")));
    assert_string_equal(api_json_str(json_object_get(s, "pi"), "name"), "web-1");
    assert_int_equal(store_count_events(f->d.store, 3), 2);
    event_after(f, 3, 0, &ev);
    assert_string_equal(ev.kind, "pi.updated");
    assert_string_equal(ev.actor, ops_actor());
    assert_string_equal(ev.detail, "{\"name\":\"web-1\",\"owner\":\"alice\","
                                   "\"policy\":\"cycle\",\"old_name\":\"rack1-003\"}");
}

static void test_set_pi_refusals(void **state)
{
    struct api_fixture *f = *state;
    static const struct http_req reqs[] = {
        { "PUT", "/v1/slots/3/pi", "{\"name\": \"Web1\"}", 0, false, false, NULL },
        { "PUT", "/v1/slots/3/pi", "{\"name\": \"web_1\"}", 0, false, false, NULL },
        { "PUT", "/v1/slots/3/pi", "{\"name\": \"web;del map\"}", 0, false, false, NULL },
        { "PUT", "/v1/slots/3/pi", "{\"name\": \"-web\"}", 0, false, false, NULL },
        { "PUT", "/v1/slots/3/pi", "{\"name\": \"\"}", 0, false, false, NULL },
        { "PUT", "/v1/slots/3/pi",
          "{\"name\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
          "aaaaaaaaaaaaaaaaaaa\"}",
          0, false, false, NULL },
        { "PUT", "/v1/slots/3/pi", "{\"name\": \"rack1-001\"}", 0, false, false, NULL },
        { "PUT", "/v1/slots/3/pi", "{\"owner\": \"bob\"}", 0, false, false, NULL },
        { "PUT", "/v1/slots/3/pi", "{\"image\": \"nope\"}", 0, false, false, NULL },
        { "PUT", "/v1/slots/3/pi", "{\"colour\": \"red\"}", 0, false, false, NULL },
        { "PUT", "/v1/slots/3/pi", "{}", 0, false, false, NULL },
        { "PUT", "/v1/slots/3/pi", "{\"name\": null}", 0, false, false, NULL },
        { "PUT", "/v1/slots/0/pi", "{\"name\": \"x\"}", 0, false, false, NULL },
        { "GET", "/v1/slots/3", NULL, 0, false, false, NULL },
    };

    api_fixture_run(f, reqs, 14);
    for (size_t i = 0; i < 6; i++)
        api_assert_error(&f->b.res[i], 400, "bad-name");
    assert_string_equal(detail(f, 0), "\"Web1\": a pi name is lower case (it is a DNS label)");
    assert_string_equal(detail(f, 1), "\"web_1\": a pi name holds only a-z, 0-9 and '-' "
                                      "(it is a DNS label)");
    assert_string_equal(detail(f, 3), "\"-web\": a pi name cannot start or end with '-'");
    assert_string_equal(detail(f, 4), "\"\": a pi name cannot be empty");
    assert_non_null(strstr(detail(f, 5), "at most 63"));
    api_assert_error(&f->b.res[6], 409, "name-taken");
    assert_string_equal(detail(f, 6), "the pi in slot 1 is already called rack1-001");
    api_assert_error(&f->b.res[7], 400, "bad-request");
    assert_string_equal(detail(f, 7), "no customer 'bob'");
    api_assert_error(&f->b.res[8], 400, "bad-request");
    assert_string_equal(detail(f, 8), "no image 'nope'");
    api_assert_error(&f->b.res[9], 400, "bad-request");
    assert_string_equal(detail(f, 9), "unknown field \"colour\"");
    api_assert_error(&f->b.res[10], 400, "bad-request");
    assert_non_null(strstr(detail(f, 10), "nothing to set"));
    api_assert_error(&f->b.res[11], 400, "bad-request");
    api_assert_error(&f->b.res[12], 404, "no-such-slot");
    /* The pi kept its name; nothing was recorded. */
    assert_string_equal(api_json_str(json_object_get(f->b.res[13].json, "pi"), "name"),
                        "rack1-003");
    assert_int_equal(store_count_events(f->d.store, 0), 0);
}

/* ---- metrics ---- */

/* The line of text that starts with prefix, copied to out; false if none. */
static bool line_of(const char *text, const char *prefix, char *out, size_t outlen)
{
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);

        if (strncmp(p, prefix, strlen(prefix)) == 0) {
            snprintf(out, outlen, "%.*s", (int)n, p);
            return true;
        }
        p = nl ? nl + 1 : NULL;
    }
    return false;
}

static int collect_svc(struct pr_metrics_out *out, void *ctx)
{
    return pr_metrics_sample(out, NULL, *(double *)ctx);
}

static void test_metrics(void **state)
{
    struct api_fixture *f = *state;
    static const struct http_req reqs[] = {
        { "GET", "/metrics", NULL, 0, false, false, NULL },
        { "GET", "/metrics?x=1", NULL, 0, false, false, NULL },
        { "POST", "/metrics", "{}", 0, false, false, NULL },
    };
    static const struct pr_metric_desc svc = {
        "pirack_tftp_files_total",
        "Files served.",
        PR_METRIC_COUNTER,
        NULL,
    };
    double files = 17;
    char line[256];
    const char *text;

    assert_int_equal(pr_store_set_slot_state(f->d.store, 2, "booted"), 0);
    assert_int_equal(pr_store_set_slot_state(f->d.store, 3, "booted"), 0);
    for (int i = 0; i < 5; i++)
        assert_true(pr_store_add_event(f->d.store, 1, "power.on", "ops", NULL) > 0);
    /* A service's family, registered as a service would. */
    assert_int_equal(pr_metrics_register(pr_api_metrics(f->d.api), &svc, collect_svc, &files), 0);
    api_fixture_run(f, reqs, 3);
    assert_int_equal(f->b.res[0].status, 200);
    assert_string_equal(f->b.res[0].content_type, PR_METRICS_CONTENT_TYPE);
    text = f->b.res[0].body;
    assert_non_null(text);
    assert_true(line_of(text, "pirack_up ", line, sizeof(line)));
    assert_string_equal(line, "pirack_up 1");
    assert_true(line_of(text, "# TYPE pirack_up ", line, sizeof(line)));
    assert_string_equal(line, "# TYPE pirack_up gauge");
    assert_true(line_of(text, "pirack_info{", line, sizeof(line)));
    assert_string_equal(line, "pirack_info{version=\"" PIRACK_VERSION "\",rack=\"rack1\","
                              "mode=\"isolated\"} 1");
    assert_true(line_of(text, "pirack_uptime_seconds ", line, sizeof(line)));
    assert_in_range(atof(line + strlen("pirack_uptime_seconds ")), 12, 20);
    assert_true(line_of(text, "pirack_slots{state=\"booted\"} ", line, sizeof(line)));
    assert_string_equal(line, "pirack_slots{state=\"booted\"} 2");
    assert_true(line_of(text, "pirack_slots{state=\"off\"} ", line, sizeof(line)));
    assert_string_equal(line, "pirack_slots{state=\"off\"} 2");
    assert_true(line_of(text, "pirack_slots{state=\"failed\"} ", line, sizeof(line)));
    assert_string_equal(line, "pirack_slots{state=\"failed\"} 0");
    assert_true(line_of(text, "# TYPE pirack_events_total ", line, sizeof(line)));
    assert_string_equal(line, "# TYPE pirack_events_total counter");
    assert_true(line_of(text, "pirack_events_total ", line, sizeof(line)));
    assert_string_equal(line, "pirack_events_total 5");
    assert_true(line_of(text, "pirack_tftp_files_total ", line, sizeof(line)));
    assert_string_equal(line, "pirack_tftp_files_total 17");
    /* Every line is a comment or "name[{labels}] value". */
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');

        assert_non_null(nl);
        assert_true(p[0] == '#' || memchr(p, ' ', (size_t)(nl - p)) != NULL);
        p = nl + 1;
    }
    api_assert_error(&f->b.res[1], 400, "bad-request");
    api_assert_error(&f->b.res[2], 405, "method-not-allowed");
    /* The built-in names are taken. */
    assert_int_equal(pr_metrics_register(pr_api_metrics(f->d.api),
                                         &(struct pr_metric_desc){ "pirack_up", "", 0, NULL },
                                         collect_svc, &files),
                     -EEXIST);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_mac),
        cmocka_unit_test(test_name_problem_agrees_with_the_plan),
        T(test_assign_then_show),
        T(test_board_in_another_slot_needs_move),
        T(test_new_board_replaces_the_old),
        T(test_assign_refusals),
        T(test_unassign),
        T(test_set_pi),
        T(test_set_pi_refusals),
        T(test_metrics),
    };

    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = cmocka_run_group_tests_name("api_ops", tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
