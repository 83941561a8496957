/* image/exports_service: the NFS exports, on the loop: every slot's
 * current root rendered here as [nfs] backend says, applied on a worker
 * (exports.c), the outcome an event. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "daemon/image/service.h"
#include "daemon/image/service_internal.h"

unsigned pr_image_current_gen(const char *roots, unsigned slot)
{
    char link[PR_PATH_MAX + 16], target[PR_PATH_MAX];
    unsigned cur = 0;
    snprintf(link, sizeof(link), "%s/%03u", roots, slot);
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    if (n > 0) {
        target[n] = '\0';
        const char *base = strrchr(target, '/');
        if (sscanf(base ? base + 1 : target, "gen-%u", &cur) != 1)
            cur = 0;
    }
    return cur;
}

static void exports_finished(struct pr_image_service *svc, struct work *w)
{
    struct export_job *x = w->exports;

    if (x->err)
        pr_daemon_event(svc->d, 0, "nfs.export-failed", "pirackd", "{s:s, s:s}", "backend",
                        x->backend, "error", x->error);
    else
        pr_daemon_event(svc->d, 0, "nfs.exported", "pirackd", "{s:s, s:s, s:i}", "backend",
                        x->backend, "file", x->file, "roots", (int)x->n);
    free(x->text);
    free(x->exports);
}

/* Exports every slot's current root (ROOTS/NNN resolved) as the config's
 * backend says; "none" exports nothing. */
void pr_image_exports_apply(struct pr_image_service *svc)
{
    struct pr_daemon *d = svc->d;
    const struct pr_config *cfg = d->cfg;
    struct export_job *x;
    struct work *w;

    if (!strcmp(cfg->nfs_backend, "none"))
        return;
    if (!(x = calloc(1, sizeof(*x))) || !(w = calloc(1, sizeof(*w))) ||
        !(x->exports = calloc(d->plan.slots + 1, sizeof(*x->exports)))) {
        if (x)
            free(x->exports);
        free(x);
        return;
    }
    for (unsigned s = 1; s <= d->plan.slots; s++) {
        struct pr_slot_plan sp;
        struct pr_export *e = &x->exports[x->n];
        struct pr_slot_row row;
        if (pr_plan_slot(&d->plan, s, &sp) < 0 || pr_export_slot(cfg->root_dir, s, sp.v4_pi, e) < 0)
            continue;
        /* a quarantined Pi's root is kept for inspection, not served */
        if (pr_store_get_slot(d->store, s, &row) == 0 && !strcmp(row.state, "quarantined"))
            continue;
        e->gen = pr_image_current_gen(cfg->root_dir, s);
        x->n++;
    }
    size_t cap = 1024 + x->n * (PR_PATH_MAX + 512);
    x->text = malloc(cap);
    int n = !x->text ? -ENOMEM
            : !strcmp(cfg->nfs_backend, "kernel")
                ? pr_render_exports_kernel(x->exports, x->n, x->text, cap)
                : pr_render_exports_ganesha(x->exports, x->n, x->text, cap);
    if (n < 0) {
        pr_warn("nfs: cannot render the exports: %s", strerror(-n));
        free(x->text);
        free(x->exports);
        free(x);
        free(w);
        return;
    }
    x->len = (size_t)n;
    snprintf(x->backend, sizeof(x->backend), "%s", cfg->nfs_backend);
    snprintf(x->file, sizeof(x->file), "%s", cfg->nfs_exports);
    snprintf(x->pidfile, sizeof(x->pidfile), "%s", cfg->nfs_ganesha_pidfile);
    w->kind = WORK_EXPORTS;
    w->finished = exports_finished;
    w->exports = x;
    if (pr_image_start_work(svc, w) < 0) {
        free(x->text);
        free(x->exports);
        free(x);
        free(w);
    }
}

void pr_image_exports_refresh(struct pr_daemon *d)
{
    if (d->image)
        pr_image_exports_apply(d->image);
}
