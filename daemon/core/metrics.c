/* core/metrics: the registry of metric families and the Prometheus text format
 * 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/).
 *
 * Only what the format needs: "# HELP" and "# TYPE" lines per family, one
 * line per sample, label values and help text escaped, numbers written so
 * that they read back as the same double.  A histogram is the format's
 * three series per label set: cumulative NAME_bucket{le} up to "+Inf",
 * NAME_sum and NAME_count; its buckets are fixed when it is made, so a
 * scrape's size does not grow with what was observed. */
#include "pirack/metrics.h"
#include "core_internal.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 127

struct family {
    char *name;
    char *help;
    enum pr_metric_type type;
    char *labels[PR_METRICS_MAX_LABELS];
    size_t nlabels;
    pr_metric_collect fn;
    void *ctx;
};

struct pr_metrics {
    struct family *families[PR_METRICS_MAX_FAMILIES];
    size_t n;
};

/* The text being written, and the family whose collector runs. */
struct pr_metrics_out {
    char *buf;
    size_t len, cap;
    int err; /* the first error; sticky */
    const struct family *fam;
};

/* ---- names ---- */

static bool is_alpha_(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Metric names may also hold ':'; label names may not. */
static bool name_valid(const char *s, bool colons)
{
    size_t n = s ? strlen(s) : 0;

    if (n == 0 || n > NAME_MAX_LEN || !(is_alpha_(s[0]) || (colons && s[0] == ':')))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!is_alpha_(s[i]) && !is_digit(s[i]) && !(colons && s[i] == ':'))
            return false;
    return true;
}

static bool label_name_valid(const char *s)
{
    /* "__" names are Prometheus's own. */
    return name_valid(s, false) && strncmp(s, "__", 2) != 0;
}

/* ---- the registry ---- */

struct pr_metrics *pr_metrics_new(void)
{
    return calloc(1, sizeof(struct pr_metrics));
}

static void family_free(struct family *f)
{
    if (!f)
        return;
    free(f->name);
    free(f->help);
    for (size_t i = 0; i < f->nlabels; i++)
        free(f->labels[i]);
    free(f);
}

void pr_metrics_free(struct pr_metrics *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        family_free(m->families[i]);
    free(m);
}

static struct family *find(const struct pr_metrics *m, const char *name, size_t *at)
{
    for (size_t i = 0; i < m->n; i++) {
        if (strcmp(m->families[i]->name, name) == 0) {
            if (at)
                *at = i;
            return m->families[i];
        }
    }
    return NULL;
}

static int check_desc(const struct pr_metric_desc *desc, size_t *nlabels)
{
    size_t n = 0;

    if (!name_valid(desc->name, true))
        return -EINVAL;
    if (desc->type != PR_METRIC_COUNTER && desc->type != PR_METRIC_GAUGE &&
        desc->type != PR_METRIC_HISTOGRAM)
        return -EINVAL;
    for (; desc->labels && desc->labels[n]; n++) {
        if (n == PR_METRICS_MAX_LABELS || !label_name_valid(desc->labels[n]))
            return -EINVAL;
        /* a histogram's buckets carry "le" themselves */
        if (desc->type == PR_METRIC_HISTOGRAM && strcmp(desc->labels[n], "le") == 0)
            return -EINVAL;
        for (size_t j = 0; j < n; j++)
            if (strcmp(desc->labels[j], desc->labels[n]) == 0)
                return -EINVAL;
    }
    *nlabels = n;
    return 0;
}

static struct family *family_new(const struct pr_metric_desc *desc, size_t nlabels)
{
    struct family *f = calloc(1, sizeof(*f));

    if (!f)
        return NULL;
    f->name = strdup(desc->name);
    f->help = strdup(desc->help ? desc->help : "");
    f->type = desc->type;
    if (!f->name || !f->help) {
        family_free(f);
        return NULL;
    }
    for (; f->nlabels < nlabels; f->nlabels++) {
        f->labels[f->nlabels] = strdup(desc->labels[f->nlabels]);
        if (!f->labels[f->nlabels]) {
            family_free(f);
            return NULL;
        }
    }
    return f;
}

int pr_metrics_register(struct pr_metrics *m, const struct pr_metric_desc *desc,
                        pr_metric_collect fn, void *ctx)
{
    struct family *f;
    size_t nlabels;
    int err;

    if (!m || !desc || !fn)
        return -EINVAL;
    err = check_desc(desc, &nlabels);
    if (err < 0)
        return err;
    if (find(m, desc->name, NULL))
        return -EEXIST;
    if (m->n == PR_METRICS_MAX_FAMILIES)
        return -ENOSPC;
    f = family_new(desc, nlabels);
    if (!f)
        return -ENOMEM;
    f->fn = fn;
    f->ctx = ctx;
    m->families[m->n++] = f;
    return 0;
}

static void remove_at(struct pr_metrics *m, size_t i)
{
    family_free(m->families[i]);
    /* Keep the order of the rest: it is the order of the output. */
    memmove(&m->families[i], &m->families[i + 1], (m->n - i - 1) * sizeof(m->families[0]));
    m->n--;
}

int pr_metrics_unregister(struct pr_metrics *m, const char *name)
{
    size_t i;

    if (!m || !name || !find(m, name, &i))
        return -ENOENT;
    remove_at(m, i);
    return 0;
}

int pr_metrics_unregister_ctx(struct pr_metrics *m, const void *ctx)
{
    int removed = 0;

    if (!m)
        return 0;
    for (size_t i = m->n; i-- > 0;) {
        if (m->families[i]->ctx == ctx) {
            remove_at(m, i);
            removed++;
        }
    }
    return removed;
}

/* ---- writing ---- */

static int out_grow(struct pr_metrics_out *o, size_t more)
{
    size_t cap;
    char *grown;

    if (more > PR_METRICS_MAX_TEXT - o->len - 1)
        return -E2BIG;
    if (o->len + more + 1 <= o->cap)
        return 0;
    cap = o->cap ? o->cap : 4096;
    while (cap < o->len + more + 1)
        cap *= 2;
    if (cap > PR_METRICS_MAX_TEXT)
        cap = PR_METRICS_MAX_TEXT;
    grown = realloc(o->buf, cap);
    if (!grown)
        return -ENOMEM;
    o->buf = grown;
    o->cap = cap;
    return 0;
}

static void put(struct pr_metrics_out *o, const char *s, size_t n)
{
    int err;

    if (o->err < 0)
        return;
    err = out_grow(o, n);
    if (err < 0) {
        o->err = err;
        return;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

static void puts_(struct pr_metrics_out *o, const char *s)
{
    put(o, s, strlen(s));
}

/* Help text escapes '\' and newline; label values also '"'. */
static void put_escaped(struct pr_metrics_out *o, const char *s, bool quotes)
{
    for (const char *p = s; *p; p++) {
        if (*p == '\\')
            put(o, "\\\\", 2);
        else if (*p == '\n')
            put(o, "\\n", 2);
        else if (quotes && *p == '"')
            put(o, "\\\"", 2);
        else
            put(o, p, 1);
    }
}

/* The shortest of %.15g / %.17g that reads back as v; NaN and +-Inf as
 * the format spells them. */
static void format_value(double v, char *buf, size_t len)
{
    if (isnan(v)) {
        snprintf(buf, len, "NaN");
    } else if (isinf(v)) {
        snprintf(buf, len, "%cInf", v > 0 ? '+' : '-');
    } else {
        snprintf(buf, len, "%.15g", v);
        if (strtod(buf, NULL) != v)
            snprintf(buf, len, "%.17g", v);
    }
}

/* One line: the family's name and suffix, its labels (and le when not
 * NULL), the value. */
static void put_line(struct pr_metrics_out *out, const char *suffix, const char *const *values,
                     const char *le, double value)
{
    const struct family *f = out->fam;
    char num[40];

    puts_(out, f->name);
    puts_(out, suffix);
    for (size_t i = 0; i < f->nlabels; i++) {
        puts_(out, i == 0 ? "{" : ",");
        puts_(out, f->labels[i]);
        puts_(out, "=\"");
        put_escaped(out, values[i] ? values[i] : "", true);
        puts_(out, "\"");
    }
    if (le) {
        puts_(out, f->nlabels > 0 ? ",le=\"" : "{le=\"");
        puts_(out, le);
        puts_(out, "\"");
    }
    if (f->nlabels > 0 || le)
        puts_(out, "}");
    format_value(value, num, sizeof(num));
    puts_(out, " ");
    puts_(out, num);
    puts_(out, "\n");
}

/* Whether a sample of this kind fits the family being collected; a
 * misfit is kept as the scrape's error. */
static bool sample_fits(struct pr_metrics_out *out, const char *const *values, bool histogram)
{
    const struct family *f = out->fam;

    if ((f->nlabels > 0 && !values) || (f->type == PR_METRIC_HISTOGRAM) != histogram) {
        if (out->err == 0)
            out->err = -EINVAL;
        return false;
    }
    return true;
}

int pr_metrics_sample(struct pr_metrics_out *out, const char *const *values, double value)
{
    if (!out || !out->fam)
        return -EINVAL;
    if (!sample_fits(out, values, false))
        return -EINVAL;
    put_line(out, "", values, NULL, value);
    return out->err;
}

int pr_metrics_sample_histogram(struct pr_metrics_out *out, const char *const *values,
                                const struct pr_histogram *h)
{
    char le[40];
    uint64_t below = 0;

    if (!out || !out->fam || !h)
        return -EINVAL;
    if (!sample_fits(out, values, true))
        return -EINVAL;
    for (size_t i = 0; i < h->nbounds; i++) {
        below += h->counts[i];
        format_value(h->bounds[i], le, sizeof(le));
        put_line(out, "_bucket", values, le, (double)below);
    }
    put_line(out, "_bucket", values, "+Inf", (double)h->count);
    put_line(out, "_sum", values, NULL, h->sum);
    put_line(out, "_count", values, NULL, (double)h->count);
    return out->err;
}

/* ---- histograms ---- */

int pr_histogram_init(struct pr_histogram *h, const double *bounds, size_t n)
{
    if (!h)
        return -EINVAL;
    memset(h, 0, sizeof(*h));
    if (!bounds || n == 0 || n > PR_HISTOGRAM_MAX_BOUNDS)
        return -EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1]))
            return -EINVAL;
    memcpy(h->bounds, bounds, n * sizeof(bounds[0]));
    h->nbounds = n;
    return 0;
}

void pr_histogram_observe(struct pr_histogram *h, double v)
{
    size_t i = 0;

    if (!h || isnan(v))
        return;
    while (i < h->nbounds && v > h->bounds[i])
        i++;
    h->counts[i]++;
    h->count++;
    h->sum += v;
}

static void put_header(struct pr_metrics_out *o, const struct family *f)
{
    puts_(o, "# HELP ");
    puts_(o, f->name);
    puts_(o, " ");
    put_escaped(o, f->help, false);
    puts_(o, "\n# TYPE ");
    puts_(o, f->name);
    puts_(o, f->type == PR_METRIC_COUNTER     ? " counter\n"
             : f->type == PR_METRIC_HISTOGRAM ? " histogram\n"
                                              : " gauge\n");
}

int pr_metrics_render(struct pr_metrics *m, char **text, size_t *len, char *err, size_t errlen)
{
    struct pr_metrics_out o = { 0 };

    if (!m || !text || !len)
        return -EINVAL;
    /* An empty registry is still an answer: the empty string. */
    put(&o, "", 0);
    for (size_t i = 0; i < m->n && o.err == 0; i++) {
        const struct family *f = m->families[i];
        int r;

        put_header(&o, f);
        o.fam = f;
        r = f->fn(&o, f->ctx);
        o.fam = NULL;
        if (r < 0 && o.err == 0)
            o.err = r;
        if (o.err < 0 && err && errlen)
            snprintf(err, errlen, "collecting %s: %s", f->name, strerror(-o.err));
    }
    if (o.err < 0) {
        if (err && errlen && o.err == -E2BIG)
            snprintf(err, errlen, "the metrics exceed %u bytes", PR_METRICS_MAX_TEXT);
        free(o.buf);
        return o.err;
    }
    *text = o.buf;
    *len = o.len;
    return 0;
}
