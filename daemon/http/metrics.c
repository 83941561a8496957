/* http/metrics: GET /metrics, the Prometheus text of everything in the
 * api's registry (see metrics.h), and the rack's own families:
 *
 *   pirack_up                 1 while pirackd answers
 *   pirack_info{version,rack,mode}  1, the labels say which
 *   pirack_uptime_seconds     since pirackd started
 *   pirack_slots{state}       slots in each state (every known state, 0s too,
 *                             so that a series does not vanish when it empties)
 *   pirack_events_total       events the store has recorded
 *   pirack_dhcp_packets_total{type}  DHCP datagrams received and replies
 *                             sent by type (while the DHCP service runs)
 *   pirack_dhcp_dropped_total{reason}  datagrams dropped, by reason
 *   pirack_proxy_*            the front proxy's sync (while the proxy
 *                             service runs): HAProxy reachable, last sync
 *                             ok, when it last was, routes not in HAProxy
 *                             yet, failed runtime commands, restarts seen
 *
 * Services add theirs with pr_metrics_register(pr_api_metrics(d->api), ...). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/dhcp/service.h"
#include "daemon/http/http.h"
#include "daemon/proxy/service.h"
#include "pirack/dhcp.h"
#include "pirack/metrics.h"
#include "pirack/proxy.h"

/* The states of the store's slot_states table, in its order: each gets a
 * series even when no slot is in it. */
static const char *const known_states[] = {
    "off",    "powered", "dhcp",        "firmware", "kernel",
    "booted", "failed",  "quarantined", "up",       "unhealthy",
};
#define N_KNOWN (sizeof(known_states) / sizeof(known_states[0]))

static int collect_up(struct pr_metrics_out *out, void *ctx)
{
    (void)ctx;
    return pr_metrics_sample(out, NULL, 1);
}

static int collect_info(struct pr_metrics_out *out, void *ctx)
{
    const struct pr_daemon *d = ctx;
    const char *values[] = { PIRACK_VERSION, d->plan.rack, d->plan.isolated ? "isolated" : "flat" };

    return pr_metrics_sample(out, values, 1);
}

static int collect_uptime(struct pr_metrics_out *out, void *ctx)
{
    const struct pr_daemon *d = ctx;

    return pr_metrics_sample(out, NULL, (double)(pr_now_ms() - d->started_ms) / 1000.0);
}

struct state_counts {
    unsigned known[N_KNOWN];
    struct pr_metrics_out *out; /* states the list does not know go straight out */
};

static int count_state(const char *state, unsigned count, void *ctx)
{
    struct state_counts *sc = ctx;

    for (size_t i = 0; i < N_KNOWN; i++) {
        if (strcmp(known_states[i], state) == 0) {
            sc->known[i] = count;
            return 0;
        }
    }
    return pr_metrics_sample(sc->out, (const char *const[]){ state }, count);
}

static int collect_slots(struct pr_metrics_out *out, void *ctx)
{
    const struct pr_daemon *d = ctx;
    struct state_counts sc = { .out = out };
    int err = pr_store_count_by_state(d->store, count_state, &sc);

    for (size_t i = 0; i < N_KNOWN && err == 0; i++)
        err = pr_metrics_sample(out, (const char *const[]){ known_states[i] }, sc.known[i]);
    return err;
}

static int collect_events(struct pr_metrics_out *out, void *ctx)
{
    const struct pr_daemon *d = ctx;
    int64_t last = pr_store_last_event_id(d->store);

    return last < 0 ? (int)last : pr_metrics_sample(out, NULL, (double)last);
}

void pr_http_get_metrics(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    char err[256] = "";
    char *text;
    size_t len;
    int r;

    if (pr_api_req_check_query(req, (const char *const[]){ NULL }) < 0)
        return;
    r = pr_metrics_render(pr_api_metrics(d->api), &text, &len, err, sizeof(err));
    if (r < 0) {
        pr_api_reply_error(req, PR_API_ERR_INTERNAL, "metrics: %s", err);
        return;
    }
    pr_api_reply_text(req, 200, PR_METRICS_CONTENT_TYPE, text, len);
    free(text);
}

/* The DHCP server's counters; no samples while it does not run. */
static int collect_dhcp_packets(struct pr_metrics_out *out, void *ctx)
{
    const struct pr_daemon *d = ctx;
    const struct pr_dhcp_stats *st = d->dhcp ? pr_dhcp_service_stats(d->dhcp) : NULL;

    if (!st)
        return 0;
    pr_metrics_sample(out, (const char *[]){ "received" }, (double)st->received);
    pr_metrics_sample(out, (const char *[]){ "offer" }, (double)st->offers);
    pr_metrics_sample(out, (const char *[]){ "offer_repeat" }, (double)st->repeats);
    pr_metrics_sample(out, (const char *[]){ "ack" }, (double)st->acks);
    pr_metrics_sample(out, (const char *[]){ "nak" }, (double)st->naks);
    pr_metrics_sample(out, (const char *[]){ "release" }, (double)st->releases);
    return pr_metrics_sample(out, (const char *[]){ "decline" }, (double)st->declines);
}

static int collect_dhcp_drops(struct pr_metrics_out *out, void *ctx)
{
    const struct pr_daemon *d = ctx;
    const struct pr_dhcp_stats *st = d->dhcp ? pr_dhcp_service_stats(d->dhcp) : NULL;

    for (int i = 0; st && i < PR_DROP__COUNT; i++)
        pr_metrics_sample(out, (const char *[]){ pr_dhcp_drop_name((enum pr_dhcp_drop)i) },
                          (double)st->drops[i]);
    return 0;
}

/* ---- the front proxy's sync; no samples while the service is off or
 * before its first check (a 0 would read as "failed") ---- */

static const struct pr_proxy_status *proxy_checked(const struct pr_daemon *d)
{
    const struct pr_proxy *engine = pr_proxy_service_engine(d);
    const struct pr_proxy_status *st = engine ? pr_proxy_get_status(engine) : NULL;

    return st && st->checked ? st : NULL;
}

static int collect_proxy_reachable(struct pr_metrics_out *out, void *ctx)
{
    const struct pr_proxy_status *st = proxy_checked(ctx);

    return st ? pr_metrics_sample(out, NULL, st->reachable) : 0;
}

static int collect_proxy_ok(struct pr_metrics_out *out, void *ctx)
{
    const struct pr_proxy_status *st = proxy_checked(ctx);

    return st ? pr_metrics_sample(out, NULL, st->error[0] == '\0') : 0;
}

static int collect_proxy_synced(struct pr_metrics_out *out, void *ctx)
{
    const struct pr_proxy_status *st = proxy_checked(ctx);

    if (!st || st->synced_unix_ms == 0)
        return 0;
    return pr_metrics_sample(out, NULL, (double)st->synced_unix_ms / 1000.0);
}

static int collect_proxy_pending(struct pr_metrics_out *out, void *ctx)
{
    const struct pr_daemon *d = ctx;
    const struct pr_proxy *engine = pr_proxy_service_engine(d);
    const struct pr_routes *rs;
    unsigned pending = 0;

    if (!engine)
        return 0;
    rs = pr_proxy_routes(engine);
    for (size_t i = 0; i < rs->n; i++)
        pending += !pr_proxy_route_in_haproxy(engine, i);
    return pr_metrics_sample(out, NULL, pending);
}

static int collect_proxy_failed(struct pr_metrics_out *out, void *ctx)
{
    const struct pr_proxy *engine = pr_proxy_service_engine(ctx);

    return engine ? pr_metrics_sample(out, NULL, pr_proxy_get_status(engine)->failed) : 0;
}

static int collect_proxy_restarts(struct pr_metrics_out *out, void *ctx)
{
    const struct pr_proxy *engine = pr_proxy_service_engine(ctx);

    return engine ? pr_metrics_sample(out, NULL, pr_proxy_get_status(engine)->restarts) : 0;
}

int pr_http_metrics_start(struct pr_daemon *d)
{
    static const char *const type_label[] = { "type", NULL };
    static const char *const reason_label[] = { "reason", NULL };
    static const char *const info_labels[] = { "version", "rack", "mode", NULL };
    static const char *const state_label[] = { "state", NULL };
    static const struct {
        struct pr_metric_desc desc;
        pr_metric_collect fn;
    } rack[] = {
        { { "pirack_up", "1 while pirackd answers.", PR_METRIC_GAUGE, NULL }, collect_up },
        { { "pirack_info", "pirackd's version, the rack's name and its mode.", PR_METRIC_GAUGE,
            info_labels },
          collect_info },
        { { "pirack_uptime_seconds", "Seconds since pirackd started.", PR_METRIC_GAUGE, NULL },
          collect_uptime },
        { { "pirack_slots", "Slots in each boot state.", PR_METRIC_GAUGE, state_label },
          collect_slots },
        { { "pirack_events_total",
            "Events the store has recorded (slot timelines and "
            "the audit log).",
            PR_METRIC_COUNTER, NULL },
          collect_events },
        { { "pirack_dhcp_packets_total",
            "DHCP datagrams received and replies sent, by type (repeats are the "
            "second OFFERs for Pi 3B ROMs).",
            PR_METRIC_COUNTER, type_label },
          collect_dhcp_packets },
        { { "pirack_dhcp_dropped_total", "DHCP datagrams dropped, by reason.", PR_METRIC_COUNTER,
            reason_label },
          collect_dhcp_drops },
        { { "pirack_proxy_haproxy_up", "1 when HAProxy answered the last check, else 0.",
            PR_METRIC_GAUGE, NULL },
          collect_proxy_reachable },
        { { "pirack_proxy_last_sync_ok",
            "1 when the last check found HAProxy's maps equal to the routes, 0 when it failed.",
            PR_METRIC_GAUGE, NULL },
          collect_proxy_ok },
        { { "pirack_proxy_last_sync_success_timestamp_seconds",
            "Unix time of the last check that found no problem.", PR_METRIC_GAUGE, NULL },
          collect_proxy_synced },
        { { "pirack_proxy_pending_routes",
            "Routes pirack wants that the last check did not find in HAProxy.", PR_METRIC_GAUGE,
            NULL },
          collect_proxy_pending },
        { { "pirack_proxy_failed_commands_total", "HAProxy runtime commands that failed.",
            PR_METRIC_COUNTER, NULL },
          collect_proxy_failed },
        { { "pirack_proxy_haproxy_restarts_total", "HAProxy restarts seen (its pid changed).",
            PR_METRIC_COUNTER, NULL },
          collect_proxy_restarts },
    };
    struct pr_metrics *m = pr_api_metrics(d->api);
    int err;

    for (size_t i = 0; i < sizeof(rack) / sizeof(rack[0]); i++) {
        err = pr_metrics_register(m, &rack[i].desc, rack[i].fn, d);
        if (err < 0)
            return err;
    }
    return 0;
}
