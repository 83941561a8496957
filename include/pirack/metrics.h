/* metrics: a registry of metric families, written out in the Prometheus
 * text exposition format 0.0.4 when GET /metrics asks.
 *
 * A service registers each family once (name, help, type, label names)
 * with a callback; at each scrape the callback writes the family's current
 * samples with pr_metrics_sample().  The registry knows nothing about the
 * services: it only checks names, escapes text and formats numbers.  All
 * of it runs on the loop's thread, so a callback may read the service's
 * own state (or the store) without locks.
 *
 *   static const char *const reason_label[] = { "reason", NULL };
 *   static const struct pr_metric_desc drops = {
 *       "pirack_dhcp_dropped_total", "DHCP packets dropped, by reason.",
 *       PR_METRIC_COUNTER, reason_label,
 *   };
 *   static int collect_drops(struct pr_metrics_out *out, void *ctx)
 *   {
 *       struct dhcp *dh = ctx;
 *       pr_metrics_sample(out, (const char *[]){ "truncated" }, dh->truncated);
 *       return pr_metrics_sample(out, (const char *[]){ "bad_option" }, dh->bad_option);
 *   }
 *   start: pr_metrics_register(pr_api_metrics(d->api), &drops, collect_drops, dh);
 *   stop:  pr_metrics_unregister_ctx(pr_api_metrics(d->api), dh);
 */
#ifndef PIRACK_METRICS_H
#define PIRACK_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct pr_metrics;
struct pr_metrics_out;

enum pr_metric_type {
    PR_METRIC_COUNTER, /* only goes up (may reset when pirackd restarts) */
    PR_METRIC_GAUGE,   /* goes up and down */
    /* observations counted in fixed buckets: the family NAME writes
     * NAME_bucket{...,le="B"} (cumulative, up to le="+Inf"), NAME_sum and
     * NAME_count per label set, with pr_metrics_sample_histogram() */
    PR_METRIC_HISTOGRAM,
};

#define PR_METRICS_MAX_LABELS 4
#define PR_METRICS_MAX_FAMILIES 128
/* A scrape bigger than this fails (-E2BIG) rather than eat memory. */
#define PR_METRICS_MAX_TEXT (4u * 1024 * 1024)

struct pr_metric_desc {
    const char *name; /* [a-zA-Z_:][a-zA-Z0-9_:]*, at most 127 bytes */
    const char *help; /* one line of text for # HELP */
    enum pr_metric_type type;
    /* The label names, NULL-terminated, at most PR_METRICS_MAX_LABELS;
     * NULL for none.  [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__";
     * not "le" in a histogram. */
    const char *const *labels;
};

/* A histogram's state, kept by the service that observes: fixed upper
 * bounds chosen once (pr_histogram_init), a count per bucket, the sum and
 * the count.  Plain data: observing is a few additions on the loop's
 * thread, and memory does not grow with observations. */
#define PR_HISTOGRAM_MAX_BOUNDS 15
struct pr_histogram {
    double bounds[PR_HISTOGRAM_MAX_BOUNDS]; /* ascending, finite; +Inf implied */
    size_t nbounds;
    uint64_t counts[PR_HISTOGRAM_MAX_BOUNDS + 1]; /* per bucket; [nbounds] is +Inf's */
    uint64_t count;
    double sum;
};

/* Empties h and sets its bounds (n of them, 1..PR_HISTOGRAM_MAX_BOUNDS,
 * strictly ascending, finite).  Returns 0 or -EINVAL (h left empty). */
int pr_histogram_init(struct pr_histogram *h, const double *bounds, size_t n);
/* Counts v in the first bucket whose bound is >= v (Prometheus's "le").
 * A NaN is not counted: it would poison the sum for good. */
void pr_histogram_observe(struct pr_histogram *h, double v);

/* Writes the family's samples with pr_metrics_sample().  Returns 0, or a
 * negative errno that fails the whole scrape (a store that cannot be
 * read): an answer with numbers missing would look like zeros. */
typedef int (*pr_metric_collect)(struct pr_metrics_out *out, void *ctx);

struct pr_metrics *pr_metrics_new(void);
void pr_metrics_free(struct pr_metrics *m); /* accepts NULL */

/* Copies desc (its strings too).  Returns 0, -EINVAL for a bad name, label
 * name or type, -EEXIST when a family of that name is registered, -ENOSPC
 * past PR_METRICS_MAX_FAMILIES, -ENOMEM.  Families are written in the
 * order they were registered. */
int pr_metrics_register(struct pr_metrics *m, const struct pr_metric_desc *desc,
                        pr_metric_collect fn, void *ctx);
/* Removes every family registered with ctx (a service's stop).  Returns
 * how many. */
int pr_metrics_unregister_ctx(struct pr_metrics *m, const void *ctx);

/* One sample of the family being collected.  values holds one string per
 * label name of the family, in order (NULL when it has none); they are
 * escaped here, so any bytes are safe.  Returns 0 or -errno (-EINVAL when
 * values is NULL for a family with labels; -ENOMEM; -E2BIG); an error is
 * also kept and fails the scrape, so a collector may ignore it. */
int pr_metrics_sample(struct pr_metrics_out *out, const char *const *values, double value);

/* The samples of one histogram of the (PR_METRIC_HISTOGRAM) family being
 * collected, for the label values in values (as pr_metrics_sample; the
 * "le" label is added here).  -EINVAL for a family of another type, and
 * pr_metrics_sample is -EINVAL for a histogram family. */
int pr_metrics_sample_histogram(struct pr_metrics_out *out, const char *const *values,
                                const struct pr_histogram *h);

/* Runs every family's collector and writes the text (NUL-terminated,
 * malloc'd, the caller frees it) to *text and its length to *len.
 * Returns 0, or -errno with the failing family named in err. */
int pr_metrics_render(struct pr_metrics *m, char **text, size_t *len, char *err, size_t errlen);

/* "text/plain; version=0.0.4; charset=utf-8" */
#define PR_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
