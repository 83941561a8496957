/* reload: a new configuration replaces the running one only when it
 * validates and does not cut slots that are in use without the operator
 * saying so.  Used by SIGHUP (main.c) and POST /v1/slots/shrink
 * (daemon/http/shrink.c, through d->reload); start-up asks the same
 * shrink question. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "daemon/daemon.h"

/* "1 board, 2 assigned pis and 40 events" */
static void describe_use(const struct pr_store_slot_use *u, char *buf, size_t len)
{
    snprintf(buf, len, "%u board%s, %u assigned pi%s and %u event%s", u->boards,
             u->boards == 1 ? "" : "s", u->pis, u->pis == 1 ? "" : "s", u->events,
             u->events == 1 ? "" : "s");
}

/* "slot 7" or "slots 7-9" */
static void describe_cut(unsigned first, unsigned last, char *buf, size_t len)
{
    if (first == last)
        snprintf(buf, len, "slot %u", first);
    else
        snprintf(buf, len, "slots %u-%u", first, last);
}

int pr_daemon_check_shrink(struct pr_daemon *d, const struct pr_config *next, unsigned confirmed,
                           const char *actor, char *why, size_t whylen)
{
    struct pr_store_slot_use use;
    char held[128], cut[48];
    int err = pr_store_slots_in_use(d->store, next->slots, &use);

    if (err < 0) {
        snprintf(why, whylen, "cannot read what the slots hold: %s", pr_store_errmsg(d->store));
        return err;
    }
    if (use.last_slot <= next->slots)
        return 0;
    describe_use(&use, held, sizeof(held));
    describe_cut(next->slots + 1, use.last_slot, cut, sizeof(cut));
    if (!pr_store_slot_use_any(&use))
        return 0;
    if (confirmed == next->slots || next->confirm_shrink == next->slots) {
        pr_warn("%s cut from the rack as confirmed; held %s (the events stay in the log)", cut,
                held);
        pr_daemon_event(d, 0, "config.shrink", actor, "{s:i, s:i, s:i, s:i, s:i}", "slots",
                        (int)next->slots, "last_slot", (int)use.last_slot, "boards",
                        (int)use.boards, "pis", (int)use.pis, "events", (int)use.events);
        return 0;
    }
    snprintf(why, whylen,
             "[rack] slots = %u would cut %s, which hold%s %s; move them first, or "
             "confirm with `pirack slots --shrink %u` or [rack] confirm_shrink = %u",
             next->slots, cut, next->slots + 1 == use.last_slot ? "s" : "", held, next->slots,
             next->slots);
    pr_daemon_event(d, 0, "config.shrink-refused", actor, "{s:i, s:i, s:i, s:i, s:i}", "slots",
                    (int)next->slots, "last_slot", (int)use.last_slot, "boards", (int)use.boards,
                    "pis", (int)use.pis, "events", (int)use.events);
    return -EBUSY;
}

/* Loads d->config_path into a new config and applies it; what went wrong
 * goes to why (and the log) and the running configuration stays. */
static int apply(struct pr_daemon *d, unsigned confirm_shrink, const char *actor, char *why,
                 size_t whylen)
{
    struct pr_config *next = malloc(sizeof(*next));
    struct pr_plan plan;
    int errors, err;

    if (!next) {
        snprintf(why, whylen, "out of memory");
        return -ENOMEM;
    }
    errors = pr_config_load(d->config_path, next, stderr);
    if (errors != 0) {
        snprintf(why, whylen, "%s has %s", d->config_path,
                 errors < 0 ? strerror(-errors) : "errors (the log names them)");
        pr_daemon_event(d, 0, "config.rejected", actor, "{s:s}", "path", d->config_path);
        free(next);
        return -EINVAL;
    }
    if (confirm_shrink && confirm_shrink != next->slots) {
        snprintf(why, whylen, "%s says slots = %u, not %u: change the file first", d->config_path,
                 next->slots, confirm_shrink);
        free(next);
        return -ERANGE;
    }
    err = pr_daemon_check_shrink(d, next, confirm_shrink, actor, why, whylen);
    if (err < 0) {
        free(next);
        return err;
    }
    pr_config_plan(next, &plan);
    if (pr_store_sync_slots(d->store, &plan) < 0) {
        snprintf(why, whylen, "cannot lay out the slots: %s", pr_store_errmsg(d->store));
        free(next);
        return -EIO;
    }
    free(d->cfg);
    d->cfg = next;
    d->plan = plan;
    pr_log_set_level((enum pr_log_level)d->cfg->log_level);
    if (d->services_reload)
        d->services_reload(d);
    pr_daemon_event(d, 0, "config.reloaded", actor, "{s:s, s:i}", "path", d->config_path, "slots",
                    (int)d->cfg->slots);
    return 0;
}

int pr_daemon_reload(struct pr_daemon *d, unsigned confirm_shrink, const char *actor, char *why,
                     size_t whylen)
{
    int err;

    sd_notify(0, "RELOADING=1");
    err = apply(d, confirm_shrink, actor, why, whylen);
    if (err < 0)
        pr_err("reload: %s; keeping the running configuration", why);
    else
        pr_info("reloaded %s", d->config_path);
    /* READY=1 again, and STATUS= says how the reload went. */
    pr_status_note(d, err < 0 ? "reload refused, see the journal" : "reloaded");
    sd_notify(0, "READY=1");
    return err;
}
