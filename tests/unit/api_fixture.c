/* Helpers shared by the API routes' unit tests (see api_fixture.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>

#include "api_fixture.h"
#include "daemon/api/api_internal.h"
#include "daemon/config/config_internal.h"
#include "daemon/http/http.h"

int api_fixture_start(struct api_fixture *af, uint64_t uptime_ms)
{
    if (store_fixture_setup((void **)&af->fx) != 0)
        return -1;
    snprintf(af->sock, sizeof(af->sock), "%s/api.sock", af->fx->dir);
    pr_config_defaults(&af->cfg);
    af->d.cfg = &af->cfg;
    af->d.plan = af->fx->plan;
    af->d.store = af->fx->st;
    af->d.loop = pr_loop_new();
    af->d.api = af->d.loop ? pr_api_new(af->d.loop) : NULL;
    af->d.started_ms = pr_now_ms() - uptime_ms;
    char why[256];
    if (!af->d.api || pr_api_listen_unix(af->d.api, af->sock, 0600, "") < 0 ||
        pr_api_listen_tcp(af->d.api, PR_API_CUSTOMER, "127.0.0.1:0", NULL, NULL, why, sizeof(why)) <
            0 ||
        pr_api_listen_tcp(af->d.api, PR_API_METRICS, "127.0.0.1:0", NULL, NULL, why, sizeof(why)) <
            0 ||
        pr_http_start(&af->d) < 0)
        return -1;
    snprintf(af->url, sizeof(af->url), "http://127.0.0.1:%u",
             pr_api_tcp_port(af->d.api, PR_API_CUSTOMER));
    snprintf(af->metrics_url, sizeof(af->metrics_url), "http://127.0.0.1:%u",
             pr_api_tcp_port(af->d.api, PR_API_METRICS));
    return 0;
}

void api_fixture_stop(struct api_fixture *af)
{
    api_batch_clear(&af->b);
    pr_http_streams_stop(&af->d);
    pr_http_stop(&af->d);
    pr_api_free(af->d.api);
    pr_loop_free(af->d.loop);
    if (af->fx)
        store_fixture_teardown((void **)&af->fx);
    af->d.api = NULL;
    af->d.loop = NULL;
    af->fx = NULL;
}

void api_fixture_run(struct api_fixture *af, const struct http_req *reqs, size_t n)
{
    api_batch_run(&af->b, af->sock, af->d.loop, reqs, n);
}

void api_fixture_run_customer(struct api_fixture *af, const struct http_req *reqs, size_t n)
{
    api_batch_run(&af->b, af->url, af->d.loop, reqs, n);
}

void api_fixture_run_metrics(struct api_fixture *af, const struct http_req *reqs, size_t n)
{
    api_batch_run(&af->b, af->metrics_url, af->d.loop, reqs, n);
}
