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
    };

    return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
