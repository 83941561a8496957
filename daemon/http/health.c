/* health routes:
 *   POST /v1/slots/{n}/release   a quarantined slot goes back to off; its
 *                                ladder starts over and its root is
 *                                exported again (the port stays off) */
#include <errno.h>

#include "daemon/daemon.h"
#include "daemon/health/service.h"
#include "daemon/http/http.h"

void pr_http_post_release(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    unsigned slot;
    char why[256];

    if (pr_http_slot_param(req, d, &slot) < 0)
        return;
    if (!d->health) {
        pr_api_reply_error(req, PR_API_ERR_UNAVAILABLE, "the health service is not running");
        return;
    }
    int rc = pr_health_release(d, slot, pr_api_req_actor(req), why, sizeof why);
    if (rc == -EINVAL)
        pr_api_reply_error(req, PR_API_ERR_CONFLICT, "%s", why);
    else if (rc < 0)
        pr_api_reply_error(req, PR_API_ERR_INTERNAL, "%s", why);
    else
        pr_api_reply_json(req, 200, json_pack("{s:i, s:s}", "slot", (int)slot, "state", "off"));
}
