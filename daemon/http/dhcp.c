/* dhcp: GET /v1/dhcp/stats, the DHCP server's counters. */
#include "daemon/dhcp/service.h"
#include "daemon/http/http.h"

/* GET /v1/dhcp/stats: what the server sent and, by reason, what it did
 * not answer. */
void pr_http_get_dhcp_stats(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    const struct pr_dhcp_stats *st = pr_dhcp_service_stats(d->dhcp);
    if (!st) {
        pr_api_reply_error(req, PR_API_ERR_UNAVAILABLE, "the DHCP service is not running");
        return;
    }
    json_t *drops = json_object();
    for (unsigned i = 1; drops && i < PR_DROP__COUNT; i++)
        json_object_set_new(drops, pr_dhcp_drop_name((enum pr_dhcp_drop)i),
                            json_integer((json_int_t)st->drops[i]));
    json_t *body =
        json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "received",
                  (json_int_t)st->received, "offers", (json_int_t)st->offers, "acks",
                  (json_int_t)st->acks, "naks", (json_int_t)st->naks, "repeats",
                  (json_int_t)st->repeats, "releases", (json_int_t)st->releases, "declines",
                  (json_int_t)st->declines, "seen", (json_int_t)st->seen, "drops", drops);
    if (!body) {
        pr_api_reply_error(req, PR_API_ERR_INTERNAL, "out of memory");
        return;
    }
    pr_api_reply_json(req, 200, body);
}
