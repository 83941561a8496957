/* retention: keeps the store's events and the saved boot traces within
 * [store]'s limits, a second after start and then every hour, so that
 * neither grows without bound.  The limits are read from d->cfg each
 * time, so a reload changes them. */
#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "daemon/daemon.h"
#include "daemon/boot/capture_service.h"

#define RETENTION_EVERY_MS (3600 * 1000)

static void prune(void *ctx)
{
    struct pr_daemon *d = ctx;
    const struct pr_config *cfg = d->cfg;
    int64_t now = pr_store_now_ms();
    int64_t events = pr_store_prune_events(d->store, now, (uint64_t)cfg->events_max_age_s * 1000,
                                           cfg->events_max_count);
    int traces = pr_traces_prune(cfg->trace_dir, now, (uint64_t)cfg->traces_max_age_s * 1000,
                                 cfg->traces_max_count);

    if (events < 0)
        pr_warn("retention: events: %s", pr_store_errmsg(d->store));
    if (traces < 0)
        pr_warn("retention: traces in %s: %s", cfg->trace_dir, strerror(-traces));
    if (events > 0 || traces > 0) {
        pr_info("retention: deleted %lld events and %d traces past [store]'s limits",
                (long long)(events > 0 ? events : 0), traces > 0 ? traces : 0);
        pr_daemon_event(d, 0, "store.pruned", "pirackd", "{s:I, s:i}", "events",
                        (json_int_t)(events > 0 ? events : 0), "traces", traces > 0 ? traces : 0);
    }
}

int pr_retention_start(struct pr_daemon *d)
{
    d->retention = pr_timer_new(d->loop, prune, d);
    if (!d->retention)
        return -ENOMEM;
    return pr_timer_arm(d->retention, 1000, RETENTION_EVERY_MS);
}

void pr_retention_stop(struct pr_daemon *d)
{
    pr_timer_free(d->retention);
    d->retention = NULL;
}
