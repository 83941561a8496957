/* http/net: GET /v1/net, what the net and ra services hold and counted:
 * the last reconciliation, IPv6 forwarding, and the RAs (sent, answered,
 * malformed solicitations dropped); 503 while the net service is not
 * running. */
#include <errno.h>
#include <string.h>

#include "daemon/http/http.h"
#include "daemon/net/service.h"
#include "daemon/net/ra_service.h"

static json_t *reconcile_json(const struct pr_net_result *res, uint64_t at_ms, unsigned runs)
{
    return json_pack("{s:i, s:I, s:i, s:i, s:i, s:i, s:i, s:s?, s:s?}", "runs", (int)runs, "age_s",
                     (json_int_t)((pr_now_ms() - at_ms) / 1000), "added", (int)res->added,
                     "removed", (int)res->removed, "failed", (int)res->failed, "missing_if",
                     (int)res->missing_if, "foreign", (int)res->foreign, "first_failed",
                     res->failed ? res->first_failed : NULL, "first_error",
                     res->failed ? strerror(-res->first_error) : NULL);
}

void pr_http_get_net(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    struct pr_net_result res;
    uint64_t at_ms;
    unsigned runs;
    if (pr_net_service_last(d, &res, &at_ms, &runs) < 0) {
        pr_api_reply_error(req, PR_API_ERR_UNAVAILABLE, "the net service is not running");
        return;
    }
    struct pr_ra_stats ra;
    pr_ra_service_stats(d, &ra);
    int fwd = pr_net_ipv6_forwarding();
    json_t *body =
        json_pack("{s:s, s:i, s:o, s:o, s:{s:b, s:I, s:I, s:I, s:I, s:I}}", "mode",
                  d->plan.isolated ? "isolated" : "flat", "protocol", (int)d->cfg->route_protocol,
                  "ipv6_forwarding", fwd < 0 ? json_null() : json_boolean(fwd), "reconcile",
                  reconcile_json(&res, at_ms, runs), "ra", "enabled", d->ra != NULL, "links",
                  (json_int_t)ra.links, "sent", (json_int_t)ra.sent, "solicitations",
                  (json_int_t)ra.solicitations, "malformed", (json_int_t)ra.malformed,
                  "send_errors", (json_int_t)ra.send_errors);
    if (!body) {
        pr_api_reply_error(req, PR_API_ERR_INTERNAL, "out of memory");
        return;
    }
    pr_api_reply_json(req, 200, body);
}
