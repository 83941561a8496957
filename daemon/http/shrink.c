/* http/shrink: the operator's word that cutting slots in use is meant.
 *
 *   POST /v1/slots/shrink  {"slots": N}
 *
 * Reads the configuration file again, as SIGHUP does, and applies it with
 * the cut of the slots past N confirmed: the file must already say
 * slots = N.  The events of the cut slots stay in the log.  Answers 200
 * {"slots": N, "reloaded": true}; 400 for a bad body or a file with
 * errors (the log names them), 409 conflict when the file says another
 * slot count, 500 when the store fails; 403 for anyone but the operator. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon/http/http.h"

/* N from {"slots": N}, or 0 after answering 400. */
static unsigned slots_field(struct pr_api_req *req)
{
    json_t *body = pr_api_req_body(req), *v;

    if (!body || !json_is_object(body) || json_object_size(body) != 1 ||
        !(v = json_object_get(body, "slots"))) {
        pr_api_reply_error(req, PR_API_ERR_BAD_REQUEST,
                           "the body must be the JSON object {\"slots\": N}");
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 4096) {
        pr_api_reply_error(req, PR_API_ERR_BAD_REQUEST,
                           "\"slots\" must be a whole number from 1 to 4096");
        return 0;
    }
    return (unsigned)json_integer_value(v);
}

void pr_http_post_shrink(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    char why[512] = "";
    unsigned n;
    int err;

    if (pr_api_req_side(req) != PR_API_OPS) {
        pr_api_reply_error(req, PR_API_ERR_FORBIDDEN, "only operators may cut slots");
        return;
    }
    n = slots_field(req);
    if (n == 0)
        return;
    if (!d->reload) {
        pr_api_reply_error(req, PR_API_ERR_UNAVAILABLE, "this pirackd has no configuration file");
        return;
    }
    err = d->reload(d, n, pr_api_req_actor(req), why, sizeof(why));
    if (err == 0)
        pr_api_reply_json(req, 200,
                          json_pack("{s:i, s:b}", "slots", (int)d->cfg->slots, "reloaded", 1));
    else if (err == -ERANGE || err == -EBUSY)
        pr_api_reply_error(req, PR_API_ERR_CONFLICT, "%s", why);
    else if (err == -EINVAL)
        pr_api_reply_error(req, PR_API_ERR_BAD_REQUEST, "%s", why);
    else
        pr_api_reply_error(req, PR_API_ERR_INTERNAL, "%s", why);
}
