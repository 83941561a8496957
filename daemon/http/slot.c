/* slot: what the handlers share about a slot: the {n} path parameter and
 * the answer to a store that failed. */
#include <string.h>

#include "daemon/api/api_internal.h"
#include "daemon/http/http.h"

int pr_http_slot_param(struct pr_api_req *req, const struct pr_daemon *d, unsigned *slot)
{
    long n = pr_api_req_uint_param(req, "n", 0, PR_HTTP_SLOT_MAX);

    if (n < 0)
        return -1;
    if (n == 0 || (unsigned long)n > d->plan.slots) {
        pr_api_reply_error(req, PR_API_ERR_NO_SUCH_SLOT, "slot %ld is not in this rack (1-%u)", n,
                           d->plan.slots);
        return -1;
    }
    *slot = (unsigned)n;
    return 0;
}

void pr_http_reply_store_error(struct pr_api_req *req, const struct pr_daemon *d, int err)
{
    pr_api_reply_error(req, PR_API_ERR_INTERNAL, "the store: %s (%s)", pr_store_errmsg(d->store),
                       strerror(-err));
}

int pr_http_check_fields(struct pr_api_req *req, json_t *body, const char *const *allowed)
{
    const char *key;
    json_t *value;
    char shown[64];

    json_object_foreach(body, key, value)
    {
        const char *const *a = allowed;

        while (*a && strcmp(*a, key) != 0)
            a++;
        if (!*a) {
            pr_api_reply_error(req, PR_API_ERR_BAD_REQUEST, "unknown field \"%s\"",
                               pr_api_printable(key, shown, sizeof(shown)));
            return -1;
        }
    }
    return 0;
}
