/* metrics: the registry and the Prometheus text it writes, byte for byte:
 * what a scraper parses is what these tests compare. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pirack/metrics.h"
#include "daemon/core/core_internal.h"

struct counters {
    double offers;
    double by_kind[2];
    int fail_with;
};

static int collect_offers(struct pr_metrics_out *out, void *ctx)
{
    struct counters *c = ctx;

    return pr_metrics_sample(out, NULL, c->offers);
}

static int collect_kinds(struct pr_metrics_out *out, void *ctx)
{
    struct counters *c = ctx;

    pr_metrics_sample(out, (const char *const[]){ "rom", "3b" }, c->by_kind[0]);
    return pr_metrics_sample(out, (const char *const[]){ "os", "4" }, c->by_kind[1]);
}

static int collect_failing(struct pr_metrics_out *out, void *ctx)
{
    struct counters *c = ctx;

    pr_metrics_sample(out, NULL, 1);
    return c->fail_with;
}

static const struct pr_metric_desc offers_desc = {
    "pirack_dhcp_offers_total",
    "DHCP offers sent.",
    PR_METRIC_COUNTER,
    NULL,
};
static const char *const kind_labels[] = { "client", "model", NULL };
static const struct pr_metric_desc kinds_desc = {
    "pirack_dhcp_clients",
    "Clients seen, by kind.",
    PR_METRIC_GAUGE,
    kind_labels,
};

/* Renders m and compares with want; frees the text. */
static void assert_text(struct pr_metrics *m, const char *want)
{
    char err[128] = "";
    char *text = NULL;
    size_t len = 0;

    assert_int_equal(pr_metrics_render(m, &text, &len, err, sizeof(err)), 0);
    assert_non_null(text);
    assert_int_equal(len, strlen(text));
    assert_string_equal(text, want);
    free(text);
}

static void test_empty_registry_is_empty_text(void **state)
{
    struct pr_metrics *m = pr_metrics_new();

    (void)state;
    assert_non_null(m);
    assert_text(m, "");
    pr_metrics_free(m);
    pr_metrics_free(NULL);
}

static void test_families_in_registration_order(void **state)
{
    struct counters c = { .offers = 42, .by_kind = { 3, 0.5 } };
    struct pr_metrics *m = pr_metrics_new();

    (void)state;
    assert_int_equal(pr_metrics_register(m, &offers_desc, collect_offers, &c), 0);
    assert_int_equal(pr_metrics_register(m, &kinds_desc, collect_kinds, &c), 0);
    assert_text(m, "# HELP pirack_dhcp_offers_total DHCP offers sent.\n"
                   "# TYPE pirack_dhcp_offers_total counter\n"
                   "pirack_dhcp_offers_total 42\n"
                   "# HELP pirack_dhcp_clients Clients seen, by kind.\n"
                   "# TYPE pirack_dhcp_clients gauge\n"
                   "pirack_dhcp_clients{client=\"rom\",model=\"3b\"} 3\n"
                   "pirack_dhcp_clients{client=\"os\",model=\"4\"} 0.5\n");
    /* Each scrape asks the collectors again. */
    c.offers = 43;
    pr_metrics_unregister(m, "pirack_dhcp_clients");
    assert_text(m, "# HELP pirack_dhcp_offers_total DHCP offers sent.\n"
                   "# TYPE pirack_dhcp_offers_total counter\n"
                   "pirack_dhcp_offers_total 43\n");
    pr_metrics_free(m);
}

static int collect_hostile(struct pr_metrics_out *out, void *ctx)
{
    (void)ctx;
    return pr_metrics_sample(out, (const char *const[]){ "a\"b\\c\nd}e" }, 1);
}

static void test_escaping(void **state)
{
    static const char *const label[] = { "why", NULL };
    static const struct pr_metric_desc desc = {
        "x_total",
        "back\\slash and\nnewline \"quoted\"",
        PR_METRIC_COUNTER,
        label,
    };
    struct pr_metrics *m = pr_metrics_new();

    (void)state;
    assert_int_equal(pr_metrics_register(m, &desc, collect_hostile, NULL), 0);
    /* HELP escapes \ and newline (quotes stay); label values also ". */
    assert_text(m, "# HELP x_total back\\\\slash and\\nnewline \"quoted\"\n"
                   "# TYPE x_total counter\n"
                   "x_total{why=\"a\\\"b\\\\c\\nd}e\"} 1\n");
    pr_metrics_free(m);
}

static int collect_numbers(struct pr_metrics_out *out, void *ctx)
{
    static const char *const names[] = { "zero", "big", "tenth", "neg",
                                         "nan",  "inf", "ninf",  "third" };
    static const double values[] = { 0,   9007199254740992.0, 0.1,       -2.5,
                                     NAN, INFINITY,           -INFINITY, 1.0 / 3.0 };

    (void)ctx;
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
        pr_metrics_sample(out, (const char *const[]){ names[i] }, values[i]);
    return 0;
}

static void test_numbers_read_back(void **state)
{
    static const char *const label[] = { "v", NULL };
    static const struct pr_metric_desc desc = { "n", "numbers", PR_METRIC_GAUGE, label };
    struct pr_metrics *m = pr_metrics_new();

    (void)state;
    assert_int_equal(pr_metrics_register(m, &desc, collect_numbers, NULL), 0);
    assert_text(m, "# HELP n numbers\n"
                   "# TYPE n gauge\n"
                   "n{v=\"zero\"} 0\n"
                   "n{v=\"big\"} 9007199254740992\n"
                   "n{v=\"tenth\"} 0.1\n"
                   "n{v=\"neg\"} -2.5\n"
                   "n{v=\"nan\"} NaN\n"
                   "n{v=\"inf\"} +Inf\n"
                   "n{v=\"ninf\"} -Inf\n"
                   "n{v=\"third\"} 0.33333333333333331\n");
    pr_metrics_free(m);
}

static void test_names_and_labels_checked(void **state)
{
    static const char *const dunder[] = { "__name", NULL };
    static const char *const dup[] = { "a", "a", NULL };
    static const char *const too_many[] = { "a", "b", "c", "d", "e", NULL };
    static const char *const colon[] = { "a:b", NULL };
    static const char *const four[] = { "a", "b", "c", "d", NULL };
    struct pr_metrics *m = pr_metrics_new();
    struct counters c = { 0 };
    struct pr_metric_desc d = offers_desc;
    char long_name[130];

    (void)state;
    d.name = "1abc";
    assert_int_equal(pr_metrics_register(m, &d, collect_offers, &c), -EINVAL);
    d.name = "a-b";
    assert_int_equal(pr_metrics_register(m, &d, collect_offers, &c), -EINVAL);
    d.name = "";
    assert_int_equal(pr_metrics_register(m, &d, collect_offers, &c), -EINVAL);
    memset(long_name, 'a', 128);
    long_name[128] = '\0';
    d.name = long_name;
    assert_int_equal(pr_metrics_register(m, &d, collect_offers, &c), -EINVAL);
    d.name = "ns:sub_total"; /* colons are fine in metric names */
    assert_int_equal(pr_metrics_register(m, &d, collect_offers, &c), 0);
    assert_int_equal(pr_metrics_register(m, &d, collect_offers, &c), -EEXIST);
    d.name = "ok";
    d.type = (enum pr_metric_type)7;
    assert_int_equal(pr_metrics_register(m, &d, collect_offers, &c), -EINVAL);
    d.type = PR_METRIC_GAUGE;
    d.labels = dunder;
    assert_int_equal(pr_metrics_register(m, &d, collect_offers, &c), -EINVAL);
    d.labels = dup;
    assert_int_equal(pr_metrics_register(m, &d, collect_offers, &c), -EINVAL);
    d.labels = too_many;
    assert_int_equal(pr_metrics_register(m, &d, collect_offers, &c), -EINVAL);
    d.labels = colon;
    assert_int_equal(pr_metrics_register(m, &d, collect_offers, &c), -EINVAL);
    d.labels = four;
    assert_int_equal(pr_metrics_register(m, &d, collect_offers, &c), 0);
    assert_int_equal(pr_metrics_register(m, &d, NULL, &c), -EINVAL);
    assert_int_equal(pr_metrics_register(NULL, &d, collect_offers, &c), -EINVAL);
    assert_int_equal(pr_metrics_unregister(m, "nope"), -ENOENT);
    pr_metrics_free(m);
}

static void test_unregister_by_ctx(void **state)
{
    struct counters a = { .offers = 1 }, b = { .offers = 2 };
    struct pr_metric_desc d = offers_desc;
    struct pr_metrics *m = pr_metrics_new();

    (void)state;
    d.name = "a_one";
    assert_int_equal(pr_metrics_register(m, &d, collect_offers, &a), 0);
    d.name = "b_one";
    assert_int_equal(pr_metrics_register(m, &d, collect_offers, &b), 0);
    d.name = "a_two";
    assert_int_equal(pr_metrics_register(m, &d, collect_offers, &a), 0);
    assert_int_equal(pr_metrics_unregister_ctx(m, &a), 2);
    assert_int_equal(pr_metrics_unregister_ctx(m, &a), 0);
    assert_text(m, "# HELP b_one DHCP offers sent.\n"
                   "# TYPE b_one counter\n"
                   "b_one 2\n");
    /* A service that stopped may start again under the same names. */
    d.name = "a_one";
    assert_int_equal(pr_metrics_register(m, &d, collect_offers, &a), 0);
    pr_metrics_free(m);
}

static void test_failing_collector_fails_the_scrape(void **state)
{
    static const struct pr_metric_desc bad = { "store_rows", "rows", PR_METRIC_GAUGE, NULL };
    struct counters c = { .fail_with = -EIO };
    struct pr_metrics *m = pr_metrics_new();
    char err[128] = "";
    char *text = (char *)"untouched";
    size_t len = 7;

    (void)state;
    assert_int_equal(pr_metrics_register(m, &offers_desc, collect_offers, &c), 0);
    assert_int_equal(pr_metrics_register(m, &bad, collect_failing, &c), 0);
    assert_int_equal(pr_metrics_render(m, &text, &len, err, sizeof(err)), -EIO);
    assert_string_equal(err, "collecting store_rows: Input/output error");
    assert_string_equal(text, "untouched");
    assert_int_equal(len, 7);
    pr_metrics_free(m);
}

static int collect_missing_values(struct pr_metrics_out *out, void *ctx)
{
    (void)ctx;
    pr_metrics_sample(out, NULL, 1); /* the family has labels: an error */
    return 0;
}

static void test_labels_without_values_fail(void **state)
{
    struct pr_metric_desc d = kinds_desc;
    struct pr_metrics *m = pr_metrics_new();
    char err[128] = "";
    char *text = NULL;
    size_t len;

    (void)state;
    assert_int_equal(pr_metrics_register(m, &d, collect_missing_values, NULL), 0);
    assert_int_equal(pr_metrics_render(m, &text, &len, err, sizeof(err)), -EINVAL);
    assert_null(text);
    assert_non_null(strstr(err, "pirack_dhcp_clients"));
    pr_metrics_free(m);
}

static int collect_flood(struct pr_metrics_out *out, void *ctx)
{
    static char value[1024];
    int err = 0;

    (void)ctx;
    memset(value, 'x', sizeof(value) - 1);
    /* 8 MiB of samples: past the cap, so the scrape must refuse. */
    for (int i = 0; i < 8192 && err == 0; i++)
        err = pr_metrics_sample(out, (const char *const[]){ value }, i);
    return err;
}

static void test_size_is_capped(void **state)
{
    static const char *const label[] = { "v", NULL };
    static const struct pr_metric_desc desc = { "flood", "too much", PR_METRIC_GAUGE, label };
    struct pr_metrics *m = pr_metrics_new();
    char err[128] = "";
    char *text = NULL;
    size_t len;

    (void)state;
    assert_int_equal(pr_metrics_register(m, &desc, collect_flood, NULL), 0);
    assert_int_equal(pr_metrics_render(m, &text, &len, err, sizeof(err)), -E2BIG);
    assert_null(text);
    assert_string_equal(err, "the metrics exceed 4194304 bytes");
    pr_metrics_free(m);
}

/* ---- histograms ---- */

static const double secs[] = { 0.5, 1, 2.5 };

static void test_histogram_buckets(void **state)
{
    struct pr_histogram h;
    static const double unordered[] = { 1, 1 };
    static const double inf[] = { 1, INFINITY };
    double many[PR_HISTOGRAM_MAX_BOUNDS + 1];

    (void)state;
    assert_int_equal(pr_histogram_init(&h, secs, 3), 0);
    /* on a bound counts in that bucket ("le": less than or equal) */
    pr_histogram_observe(&h, 0.5);
    pr_histogram_observe(&h, 0.7);
    pr_histogram_observe(&h, 1);
    pr_histogram_observe(&h, 99);
    pr_histogram_observe(&h, -1);
    pr_histogram_observe(&h, NAN);
    assert_int_equal(h.counts[0], 2);
    assert_int_equal(h.counts[1], 2);
    assert_int_equal(h.counts[2], 0);
    assert_int_equal(h.counts[3], 1);
    assert_int_equal(h.count, 5);
    assert_true(h.sum == 0.5 + 0.7 + 1 + 99 - 1);

    /* bounds must rise, be finite and fit; a refused init leaves h empty */
    assert_int_equal(pr_histogram_init(&h, unordered, 2), -EINVAL);
    assert_int_equal(h.nbounds, 0);
    assert_int_equal(h.count, 0);
    assert_int_equal(pr_histogram_init(&h, inf, 2), -EINVAL);
    assert_int_equal(pr_histogram_init(&h, secs, 0), -EINVAL);
    for (size_t i = 0; i < PR_HISTOGRAM_MAX_BOUNDS + 1; i++)
        many[i] = (double)i;
    assert_int_equal(pr_histogram_init(&h, many, PR_HISTOGRAM_MAX_BOUNDS + 1), -EINVAL);
    assert_int_equal(pr_histogram_init(&h, many, PR_HISTOGRAM_MAX_BOUNDS), 0);
}

struct two_hist {
    struct pr_histogram tftp, boot;
};

static int collect_hist_labelled(struct pr_metrics_out *out, void *ctx)
{
    struct two_hist *t = ctx;

    pr_metrics_sample_histogram(out, (const char *const[]){ "tftp" }, &t->tftp);
    return pr_metrics_sample_histogram(out, (const char *const[]){ "boot" }, &t->boot);
}

static int collect_hist_plain(struct pr_metrics_out *out, void *ctx)
{
    struct two_hist *t = ctx;

    return pr_metrics_sample_histogram(out, NULL, &t->tftp);
}

static void test_histogram_exposition(void **state)
{
    static const char *const what[] = { "what", NULL };
    static const struct pr_metric_desc labelled = { "pirack_seconds", "Durations.",
                                                    PR_METRIC_HISTOGRAM, what };
    static const struct pr_metric_desc plain = { "pirack_plain_seconds", "One.",
                                                 PR_METRIC_HISTOGRAM, NULL };
    struct two_hist t;
    struct pr_metrics *m = pr_metrics_new();

    (void)state;
    assert_int_equal(pr_histogram_init(&t.tftp, secs, 3), 0);
    assert_int_equal(pr_histogram_init(&t.boot, (const double[]){ 30 }, 1), 0);
    pr_histogram_observe(&t.tftp, 0.25);
    pr_histogram_observe(&t.tftp, 2);
    pr_histogram_observe(&t.tftp, 7);
    assert_int_equal(pr_metrics_register(m, &labelled, collect_hist_labelled, &t), 0);
    assert_int_equal(pr_metrics_register(m, &plain, collect_hist_plain, &t), 0);
    /* buckets are cumulative and end at +Inf = _count; an empty one is
     * all zeros, not missing */
    assert_text(m, "# HELP pirack_seconds Durations.\n"
                   "# TYPE pirack_seconds histogram\n"
                   "pirack_seconds_bucket{what=\"tftp\",le=\"0.5\"} 1\n"
                   "pirack_seconds_bucket{what=\"tftp\",le=\"1\"} 1\n"
                   "pirack_seconds_bucket{what=\"tftp\",le=\"2.5\"} 2\n"
                   "pirack_seconds_bucket{what=\"tftp\",le=\"+Inf\"} 3\n"
                   "pirack_seconds_sum{what=\"tftp\"} 9.25\n"
                   "pirack_seconds_count{what=\"tftp\"} 3\n"
                   "pirack_seconds_bucket{what=\"boot\",le=\"30\"} 0\n"
                   "pirack_seconds_bucket{what=\"boot\",le=\"+Inf\"} 0\n"
                   "pirack_seconds_sum{what=\"boot\"} 0\n"
                   "pirack_seconds_count{what=\"boot\"} 0\n"
                   "# HELP pirack_plain_seconds One.\n"
                   "# TYPE pirack_plain_seconds histogram\n"
                   "pirack_plain_seconds_bucket{le=\"0.5\"} 1\n"
                   "pirack_plain_seconds_bucket{le=\"1\"} 1\n"
                   "pirack_plain_seconds_bucket{le=\"2.5\"} 2\n"
                   "pirack_plain_seconds_bucket{le=\"+Inf\"} 3\n"
                   "pirack_plain_seconds_sum 9.25\n"
                   "pirack_plain_seconds_count 3\n");
    pr_metrics_free(m);
}

static int collect_wrong_kind(struct pr_metrics_out *out, void *ctx)
{
    struct pr_histogram *h = ctx;

    /* a plain sample in a histogram family, or the other way round */
    if (h->nbounds == 1)
        return pr_metrics_sample(out, NULL, 1) == -EINVAL ? 0 : -EPROTO;
    return pr_metrics_sample_histogram(out, NULL, h) == -EINVAL ? 0 : -EPROTO;
}

static void test_histogram_misuse_refused(void **state)
{
    static const char *const le[] = { "le", NULL };
    static const char *const path[] = { "path", NULL };
    static const struct pr_metric_desc with_le = { "h", "x", PR_METRIC_HISTOGRAM, le };
    static const struct pr_metric_desc gauge_le = { "g", "x", PR_METRIC_GAUGE, le };
    static const struct pr_metric_desc hist = { "h", "x", PR_METRIC_HISTOGRAM, path };
    static const struct pr_metric_desc gauge = { "g", "x", PR_METRIC_GAUGE, NULL };
    static const struct pr_metric_desc bad_type = { "b", "x", (enum pr_metric_type)7, NULL };
    struct pr_histogram one, two;
    struct pr_metrics *m = pr_metrics_new();
    char err[128] = "";
    char *text = NULL;
    size_t len;

    (void)state;
    assert_int_equal(pr_metrics_register(m, &with_le, collect_offers, NULL), -EINVAL);
    assert_int_equal(pr_metrics_register(m, &bad_type, collect_offers, NULL), -EINVAL);
    /* "le" is only reserved in histograms */
    assert_int_equal(pr_metrics_register(m, &gauge_le, collect_offers, NULL), 0);
    pr_metrics_free(m);

    assert_int_equal(pr_histogram_init(&one, secs, 1), 0);
    assert_int_equal(pr_histogram_init(&two, secs, 2), 0);
    m = pr_metrics_new();
    assert_int_equal(pr_metrics_register(m, &hist, collect_wrong_kind, &one), 0);
    assert_int_equal(pr_metrics_render(m, &text, &len, err, sizeof(err)), -EINVAL);
    assert_null(text);
    assert_string_equal(err, "collecting h: Invalid argument");
    pr_metrics_free(m);
    m = pr_metrics_new();
    assert_int_equal(pr_metrics_register(m, &gauge, collect_wrong_kind, &two), 0);
    assert_int_equal(pr_metrics_render(m, &text, &len, err, sizeof(err)), -EINVAL);
    pr_metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_registry_is_empty_text),
        cmocka_unit_test(test_families_in_registration_order),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_numbers_read_back),
        cmocka_unit_test(test_names_and_labels_checked),
        cmocka_unit_test(test_unregister_by_ctx),
        cmocka_unit_test(test_failing_collector_fails_the_scrape),
        cmocka_unit_test(test_labels_without_values_fail),
        cmocka_unit_test(test_size_is_capped),
        cmocka_unit_test(test_histogram_buckets),
        cmocka_unit_test(test_histogram_exposition),
        cmocka_unit_test(test_histogram_misuse_refused),
    };

    return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
