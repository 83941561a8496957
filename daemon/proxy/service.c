/* proxy/service: wires the proxy engine into pirackd: store -> routes and
 * zone, events for HAProxy's comings and goings. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pirack/proxy.h"
#include "service.h"

struct slot_pass {
    const struct pr_plan *plan;
    struct pr_proxy_build b;
};

static int add_slot(const struct pr_slot_row *row, void *ctx)
{
    struct slot_pass *pass = ctx;
    return pr_proxy_build_add(&pass->b, pass->plan, row->slot, row->name);
}

/* Logs and records the pis refused now that were not refused before. */
static void report_refused(struct pr_daemon *d, const struct pr_proxy_build *b)
{
    struct pr_proxy_service *svc = d->proxy;
    for (size_t i = 0; i < b->nrefused; i++) {
        bool known = false;
        for (size_t j = 0; j < svc->nrefused && !known; j++)
            known = svc->refused[j].slot == b->refused[i].slot &&
                    strcmp(svc->refused[j].error, b->refused[i].error) == 0;
        if (known)
            continue;
        pr_warn("proxy: %s", b->refused[i].error);
        pr_daemon_event(d, b->refused[i].slot, "proxy.refused", "pirackd", "{s:s}", "error",
                        b->refused[i].error);
    }
}

static void on_notify(void *ctx, const char *what, const char *detail);

/* A reload (SIGHUP) that changed the pools, ports or paths: a new engine
 * renders the new configuration and takes over.  Joining the old worker
 * may take one command's timeout; it happens only on such a reload. */
static int follow_config(struct pr_daemon *d, struct pr_proxy_service *svc)
{
    struct pr_proxy_settings s;
    char err[300];
    pr_proxy_settings_from_config(d->cfg, &d->plan, &s);
    if (memcmp(&s, &svc->settings, sizeof s) == 0)
        return 0;
    struct pr_proxy *next = pr_proxy_new(d->loop, &s, err, sizeof err);
    if (!next) {
        pr_err("proxy: new settings not applied: %s", err);
        return -EINVAL;
    }
    pr_proxy_set_notify(next, on_notify, d);
    pr_proxy_free(svc->engine);
    svc->engine = next;
    svc->settings = s;
    pr_info("proxy: settings changed; %s rendered again", s.config_path);
    return 0;
}

int pr_proxy_sync(struct pr_daemon *d)
{
    struct pr_proxy_service *svc = d->proxy;
    struct slot_pass pass = { .plan = &d->plan };
    struct pr_proxy_build *b = &pass.b;
    char err[300];
    if (!svc)
        return -ENOTCONN;
    follow_config(d, svc);
    int rc = pr_store_each_slot(d->store, add_slot, &pass);
    if (rc < 0) {
        pr_err("proxy: cannot read the slots: %s",
               rc == -ENOMEM ? "out of memory" : pr_store_errmsg(d->store));
        pr_proxy_build_clear(b);
        return rc;
    }
    report_refused(d, b);
    free(svc->refused);
    svc->refused = b->refused;
    svc->nrefused = b->nrefused;
    b->refused = NULL;
    rc = pr_proxy_set_routes(svc->engine, &b->rs, b->pis, b->npis, err, sizeof err);
    if (rc < 0)
        pr_err("proxy: routes not applied: %s", err);
    else if (rc > 0)
        pr_info("proxy: %zu routes written to %s", b->rs.n, d->cfg->proxy_map_dir);
    pr_proxy_build_clear(b);
    return rc;
}

static void on_notify(void *ctx, const char *what, const char *detail)
{
    struct pr_daemon *d = ctx;
    if (strcmp(what, "haproxy.unreachable") == 0)
        pr_warn("proxy: %s", detail);
    else
        pr_info("proxy: %s", detail);
    /* The zone's serial is in GET /v1/routes; HAProxy's comings and
     * goings are worth a place on the rack's timeline. */
    if (strncmp(what, "haproxy.", 8) == 0)
        pr_daemon_event(d, 0, what, "pirackd", "{s:s}", "detail", detail);
}

static void on_resync(void *ctx)
{
    pr_proxy_sync(ctx);
}

const struct pr_proxy *pr_proxy_service_engine(const struct pr_daemon *d)
{
    return d->proxy ? d->proxy->engine : NULL;
}

const struct pr_proxy_refusal *pr_proxy_service_refused(const struct pr_daemon *d, size_t *n)
{
    *n = d->proxy ? d->proxy->nrefused : 0;
    return *n ? d->proxy->refused : NULL;
}

/* ---- life ---- */

int pr_proxy_service_start(struct pr_daemon *d)
{
    struct pr_proxy_settings s;
    char err[300];
    struct pr_proxy_service *svc = calloc(1, sizeof *svc);
    if (!svc)
        return -ENOMEM;
    pr_proxy_settings_from_config(d->cfg, &d->plan, &s);
    svc->d = d;
    svc->settings = s;
    svc->engine = pr_proxy_new(d->loop, &s, err, sizeof err);
    if (!svc->engine) {
        pr_err("%s", err);
        free(svc);
        return -EINVAL;
    }
    pr_proxy_set_notify(svc->engine, on_notify, d);
    d->proxy = svc;
    svc->resync = pr_timer_new(d->loop, on_resync, d);
    int rc = svc->resync ? pr_timer_arm(svc->resync, s.check_ms, s.check_ms) : -ENOMEM;
    if (rc == 0 && pr_proxy_sync(d) < 0)
        rc = -EIO;
    if (rc < 0)
        pr_proxy_service_stop(d);
    return rc;
}

void pr_proxy_service_stop(struct pr_daemon *d)
{
    struct pr_proxy_service *svc = d->proxy;
    if (!svc)
        return;
    pr_timer_free(svc->resync);
    pr_proxy_free(svc->engine);
    free(svc->refused);
    free(svc);
    d->proxy = NULL;
}
