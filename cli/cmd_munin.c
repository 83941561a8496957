/* pirack munin [config]: a munin multigraph plugin over the numbers of
 * GET /metrics (on the control socket).  Link it as a munin plugin
 * (ln -s /usr/bin/pirack /etc/munin/plugins/pirack, with "pirack munin"
 * as the command through a wrapper, or env.PIRACK_SOCKET) and munin asks
 * "config" once and the values every run.  Most graphs are one metric
 * family whose fields are the family's label values, which are bounded;
 * the others (a histogram's mean, the proxy's sync) take each field from
 * a family of its own. */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>

#include "cli.h"

struct graph {
    const char *name;   /* munin's multigraph name */
    const char *family; /* the Prometheus family */
    const char *label;  /* the label whose values are the fields; NULL: one field */
    const char *title, *vlabel, *type;
};

static const struct graph graphs[] = {
    { "pirack_slots", "pirack_slots", "state", "pirack slots by state", "slots", "GAUGE" },
    { "pirack_events", "pirack_events_total", NULL, "pirack events recorded", "events/s",
      "DERIVE" },
    { "pirack_api_requests", "pirack_api_requests_total", "code", "pirack API answers by class",
      "answers/s", "DERIVE" },
    { "pirack_api_auth_failures", "pirack_api_auth_failures_total", "reason",
      "pirack customer API credential refusals", "refusals/s", "DERIVE" },
    { "pirack_api_rate_limited", "pirack_api_rate_limited_total", "limit",
      "pirack customer API requests rate limited", "requests/s", "DERIVE" },
    { "pirack_dhcp_packets", "pirack_dhcp_packets_total", "type", "pirack DHCP packets by type",
      "packets/s", "DERIVE" },
    { "pirack_tftp_bytes", "pirack_tftp_sent_bytes_total", NULL, "pirack TFTP bytes sent",
      "bytes/s", "DERIVE" },
    { "pirack_tftp_transfers", "pirack_tftp_transfers_total", "outcome",
      "pirack TFTP transfers by outcome", "transfers/s", "DERIVE" },
};

/* A field of its own family's samples (summed), times scale; age: the
 * value is a Unix time and the field is the seconds since.  cdef: a field
 * munin computes from the others (no value of its own); hidden: a field
 * only a cdef uses. */
struct series {
    const char *field, *family, *type;
    double scale;
    bool age, hidden;
    const char *cdef;
};

struct multi {
    const char *name, *title, *vlabel;
    struct series s[4];
};

/* A histogram's mean over munin's interval: its _sum and _count as
 * counters (the sum in ms: munin's counters are integers), divided. */
static const struct multi multis[] = {
    { "pirack_tftp_transfer_time",
      "pirack mean TFTP transfer time",
      "ms",
      { { "sum", "pirack_tftp_transfer_seconds_sum", "DERIVE", 1000, false, true, NULL },
        { "count", "pirack_tftp_transfer_seconds_count", "DERIVE", 1, false, true, NULL },
        { "mean", NULL, NULL, 0, false, false, "sum,count,/" } } },
    { "pirack_boot_time",
      "pirack mean boot time (power-on to booted)",
      "seconds",
      { { "sum", "pirack_boot_seconds_sum", "DERIVE", 1000, false, true, NULL },
        { "count", "pirack_boot_seconds_count", "DERIVE", 1, false, true, NULL },
        { "mean", NULL, NULL, 0, false, false, "sum,count,/,1000,/" } } },
    { "pirack_boots",
      "pirack boots",
      "boots/s",
      { { "booted", "pirack_boot_seconds_count", "DERIVE", 1, false, false, NULL },
        { "failed", "pirack_boot_failed_total", "DERIVE", 1, false, false, NULL } } },
    { "pirack_proxy_sync",
      "pirack front proxy sync",
      "value",
      { { "last_ok", "pirack_proxy_last_sync_ok", "GAUGE", 1, false, false, NULL },
        { "since_ok", "pirack_proxy_last_sync_success_timestamp_seconds", "GAUGE", 1, true, false,
          NULL },
        { "pending", "pirack_proxy_pending_routes", "GAUGE", 1, false, false, NULL } } },
};
#define N_MULTIS (sizeof(multis) / sizeof(multis[0]))
#define N_GRAPHS (sizeof(graphs) / sizeof(graphs[0]))
#define MAX_FIELDS 32

struct field {
    char name[48];
    double value;
};

static size_t on_text(char *data, size_t size, size_t nmemb, void *ctx)
{
    struct cli_response *r = ctx;
    size_t len = size * nmemb;
    char *grown;

    if (r->len + len > 8u * 1024 * 1024 || !(grown = realloc(r->body, r->len + len + 1)))
        return 0;
    r->body = grown;
    memcpy(r->body + r->len, data, len);
    r->len += len;
    r->body[r->len] = '\0';
    return len;
}

/* A munin field name: [a-z0-9_], not starting with a digit. */
static void field_name(const char *v, size_t n, char *out, size_t len)
{
    size_t o = 0;

    if (n && v[0] >= '0' && v[0] <= '9' && o + 1 < len)
        out[o++] = '_';
    for (size_t i = 0; i < n && o + 1 < len; i++) {
        char ch = v[i];
        out[o++] = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ? ch
                   : (ch >= 'A' && ch <= 'Z')                           ? (char)(ch - 'A' + 'a')
                                                                        : '_';
    }
    out[o] = '\0';
}

/* Sums the family's samples by the graph's label into fields. */
static size_t collect(const char *text, const struct graph *g, struct field *fields)
{
    size_t n = 0, flen = strlen(g->family);

    for (const char *line = text; line && *line;
         line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        if (strncmp(line, g->family, flen) != 0 || (line[flen] != '{' && line[flen] != ' '))
            continue;
        char name[48] = "value";
        const char *end = strchr(line, '\n');
        const char *sp = memrchr(line, ' ', end ? (size_t)(end - line) : strlen(line));
        if (!sp)
            continue;
        if (g->label) {
            char key[64];
            snprintf(key, sizeof(key), "%s=\"", g->label);
            const char *k = strstr(line, key);
            if (!k || (end && k > end))
                continue;
            k += strlen(key);
            field_name(k, strcspn(k, "\""), name, sizeof(name));
        }
        size_t i = 0;
        while (i < n && strcmp(fields[i].name, name) != 0)
            i++;
        if (i == n) {
            if (n == MAX_FIELDS)
                continue;
            snprintf(fields[n].name, sizeof(fields[n].name), "%s", name);
            fields[n++].value = 0;
        }
        fields[i].value += strtod(sp + 1, NULL);
    }
    return n;
}

/* The sum of the samples of family (any labels); false when it has none. */
static bool family_value(const char *text, const char *family, double *value)
{
    size_t flen = strlen(family);
    bool found = false;

    *value = 0;
    for (const char *line = text; line && *line;
         line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        if (strncmp(line, family, flen) != 0 || (line[flen] != '{' && line[flen] != ' '))
            continue;
        const char *end = strchr(line, '\n');
        const char *sp = memrchr(line, ' ', end ? (size_t)(end - line) : strlen(line));
        if (!sp)
            continue;
        *value += strtod(sp + 1, NULL);
        found = true;
    }
    return found;
}

/* One multi graph; nothing when none of its families is in the text (a
 * service that is not running). */
static void print_multi(const char *text, const struct multi *g, bool config)
{
    double v[4];
    bool any = false, have[4] = { false };

    for (size_t i = 0; i < 4 && g->s[i].field; i++)
        if (g->s[i].family && (have[i] = family_value(text, g->s[i].family, &v[i])))
            any = true;
    if (!any)
        return;
    printf("multigraph %s\n", g->name);
    if (config)
        printf("graph_title %s\ngraph_vlabel %s\ngraph_category pirack\n", g->title, g->vlabel);
    for (size_t i = 0; i < 4 && g->s[i].field; i++) {
        const struct series *s = &g->s[i];
        if (config) {
            printf("%s.label %s\n", s->field, s->field);
            if (s->cdef)
                printf("%s.cdef %s\n", s->field, s->cdef);
            else
                printf("%s.type %s\n%s.min 0\n", s->field, s->type, s->field);
            if (s->hidden)
                printf("%s.graph no\n", s->field);
        } else if (!s->cdef) {
            if (!have[i])
                printf("%s.value U\n", s->field);
            else if (s->age)
                printf("%s.value %.0f\n", s->field, (double)time(NULL) - v[i]);
            else
                printf("%s.value %.0f\n", s->field, v[i] * s->scale);
        }
    }
}

static int run_munin(struct cli *c, int argc, char **argv)
{
    struct cli_response r = { 0 };
    bool config = argc == 2 && strcmp(argv[1], "config") == 0;
    CURL *curl;

    if (argc > 2 || (argc == 2 && !config))
        return cli_usage_error(&cli_cmd_munin, "munin takes nothing or \"config\"");
    curl = curl_easy_init();
    if (!curl)
        return CLI_EXIT_FAIL;
    curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, c->socket);
    curl_easy_setopt(curl, CURLOPT_URL, "http://pirackd/metrics");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_text);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
    CURLcode rc = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
    curl_easy_cleanup(curl);
    if (rc != CURLE_OK || r.status != 200 || !r.body) {
        fprintf(stderr, "pirack: cannot read %s/metrics: %s\n", c->socket,
                rc != CURLE_OK ? curl_easy_strerror(rc) : "not an answer of 200");
        free(r.body);
        return CLI_EXIT_FAIL;
    }
    for (size_t g = 0; g < N_GRAPHS; g++) {
        struct field fields[MAX_FIELDS];
        size_t n = collect(r.body, &graphs[g], fields);
        if (n == 0)
            continue;
        printf("multigraph %s\n", graphs[g].name);
        if (config) {
            printf("graph_title %s\ngraph_vlabel %s\ngraph_category pirack\n", graphs[g].title,
                   graphs[g].vlabel);
            for (size_t i = 0; i < n; i++)
                printf("%s.label %s\n%s.type %s\n%s.min 0\n", fields[i].name, fields[i].name,
                       fields[i].name, graphs[g].type, fields[i].name);
        } else {
            for (size_t i = 0; i < n; i++)
                printf("%s.value %.0f\n", fields[i].name, fields[i].value);
        }
    }
    for (size_t g = 0; g < N_MULTIS; g++)
        print_multi(r.body, &multis[g], config);
    free(r.body);
    return CLI_EXIT_OK;
}

const struct cli_command cli_cmd_munin = {
    .name = "munin",
    .args = "[config]",
    .summary = "a munin multigraph plugin over the metrics",
    .run = run_munin,
};
