/* event: pr_daemon_event(), the one way services record what happened.
 * Here rather than in main.c so that every service object (and the
 * fuzzers and tests that link them) finds it in libpirack.a. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "daemon.h"

int64_t pr_daemon_event(struct pr_daemon *d, unsigned slot, const char *kind, const char *actor,
                        const char *detail_fmt, ...)
{
    json_t *detail = NULL;
    char *text = NULL;
    int64_t id;

    if (detail_fmt) {
        json_error_t jerr;
        va_list ap;

        va_start(ap, detail_fmt);
        detail = json_vpack_ex(&jerr, 0, detail_fmt, ap);
        va_end(ap);
        if (!detail)
            pr_warn("event %s: bad detail (%s)", kind, jerr.text);
        else
            text = json_dumps(detail, JSON_COMPACT | JSON_ENSURE_ASCII);
    }
    id = pr_store_add_event(d->store, slot, kind, actor, text);
    if (id < 0) {
        char esc[256];

        pr_err("cannot record event %s for slot %u: %s", kind, slot,
               pr_escape(pr_store_errmsg(d->store), strlen(pr_store_errmsg(d->store)), esc,
                         sizeof(esc)));
    } else if (text) {
        char esc[512];

        pr_debug("event %lld slot %u %s %s", (long long)id, slot, kind,
                 pr_escape(text, strlen(text), esc, sizeof(esc)));
    }
    free(text);
    json_decref(detail);
    return id;
}
