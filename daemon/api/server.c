/* api/server: the API object: its listeners (listen.c), the routes each
 * side serves and the handlers behind them, and the count of answers by
 * route for /metrics.  One request's path from headers to answer is
 * request.c's. */
#include "pirack/api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_internal.h"
#include "pirack/metrics.h"

/* ---- the api object ---- */

static const char *const side_names[PR_API__SIDES] = { "ops", "customer", "metrics" };
static const char *const class_names[6] = { "", "1xx", "2xx", "3xx", "4xx", "5xx" };
static const char *const request_labels[] = { "listener", "method", "route", "code", NULL };
static const struct pr_metric_desc requests_desc = {
    "pirack_api_requests_total",
    "API answers by listener, route pattern (\"-\" when none matched) and status class.",
    PR_METRIC_COUNTER,
    request_labels,
};

static int collect_requests(struct pr_metrics_out *out, void *ctx)
{
    const struct pr_api *api = ctx;

    for (size_t i = 0; i < api->n_handlers; i++) {
        const struct pr_api_handler_entry *h = api->handlers[i];
        for (int c = 2; c < 6; c++) {
            const char *v[] = { side_names[h->side], h->method, h->pattern, class_names[c] };
            pr_metrics_sample(out, v, (double)h->by_class[c]);
        }
    }
    for (int s = 0; s < PR_API__SIDES; s++)
        for (int c = 4; c < 6; c++) {
            const char *v[] = { side_names[s], "-", "-", class_names[c] };
            pr_metrics_sample(out, v, (double)api->unrouted[s][c]);
        }
    return 0;
}

struct pr_api *pr_api_new(struct pr_loop *loop)
{
    struct pr_api *api;

    if (!loop)
        return NULL;
    api = calloc(1, sizeof(*api));
    if (!api)
        return NULL;
    api->loop = loop;
    api->metrics = pr_metrics_new();
    bool ok = api->metrics != NULL;
    for (int i = 0; i < PR_API__SIDES; i++) {
        api->routers[i] = pr_router_new();
        ok = ok && api->routers[i];
    }
    if (!ok || pr_metrics_register(api->metrics, &requests_desc, collect_requests, api) < 0) {
        pr_api_free(api);
        return NULL;
    }
    return api;
}

void pr_api_free(struct pr_api *api)
{
    if (!api)
        return;
    /* MHD must not be stopped with connections suspended: wake them and
     * let MHD take them back (it does so in MHD_run). */
    if (api->streams) {
        pr_api_stream_end_all(api->streams);
        for (size_t i = 0; i < api->n_listeners; i++)
            if (api->listeners[i]->mhd)
                MHD_run(api->listeners[i]->mhd);
    }
    for (size_t i = 0; i < api->n_listeners; i++)
        pr_api_listener_free(api->listeners[i]);
    for (size_t i = 0; i < api->n_handlers; i++)
        free(api->handlers[i]);
    for (int i = 0; i < PR_API__SIDES; i++)
        pr_router_free(api->routers[i]);
    pr_metrics_free(api->metrics);
    free(api);
}

struct pr_metrics *pr_api_metrics(struct pr_api *api)
{
    return api ? api->metrics : NULL;
}

int pr_api_route(struct pr_api *api, const char *method, const char *pattern, pr_api_handler fn,
                 void *ctx)
{
    return pr_api_route_on(api, PR_API_OPS, method, pattern, fn, ctx);
}

int pr_api_route_on(struct pr_api *api, enum pr_api_side side, const char *method,
                    const char *pattern, pr_api_handler fn, void *ctx)
{
    struct pr_api_handler_entry *h;
    int err;

    if (!api || !fn || (unsigned)side >= PR_API__SIDES)
        return -EINVAL;
    if (api->n_handlers == PR_API_MAX_HANDLERS)
        return -ENOSPC;
    h = malloc(sizeof(*h));
    if (!h)
        return -ENOMEM;
    memset(h, 0, sizeof(*h));
    h->fn = fn;
    h->ctx = ctx;
    h->side = side;
    snprintf(h->method, sizeof(h->method), "%s", method ? method : "");
    snprintf(h->pattern, sizeof(h->pattern), "%s", pattern ? pattern : "");
    err = pr_router_add(api->routers[side], method, pattern, h);
    if (err < 0) {
        free(h);
        return err;
    }
    api->handlers[api->n_handlers++] = h;
    return 0;
}
