/* event: pr_daemon_event(), the one way services record what happened.
 * Here rather than in main.c so that every service object (and the
 * fuzzers and tests that link them) finds it in libpirack.a. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <systemd/sd-journal.h>

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
    } else if (pr_log_enabled(PR_LOG_DEBUG)) {
        char esc[512];

        pr_escape(text ? text : "", text ? strlen(text) : 0, esc, sizeof(esc));
        /* Under systemd, an entry with fields to select on:
         *   journalctl -u pirackd PIRACK_SLOT=7 PIRACK_EVENT=boot.failed */
        if (!pr_log_to_journal() ||
            sd_journal_send("MESSAGE=event %lld slot %u %s %s", (long long)id, slot, kind, esc,
                            "PRIORITY=7", "PIRACK_EVENT_ID=%lld", (long long)id, "PIRACK_SLOT=%u",
                            slot, "PIRACK_EVENT=%s", kind, "PIRACK_ACTOR=%s", actor ? actor : "",
                            "PIRACK_DETAIL=%s", esc, NULL) < 0)
            pr_debug("event %lld slot %u %s %s", (long long)id, slot, kind, esc);
    }
    free(text);
    json_decref(detail);
    return id;
}
