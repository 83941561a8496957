/* image/import_service: imports and removals of images on the loop.  An
 * import runs on a worker (import.c: copying gigabytes blocks); its
 * result reaches the store here.  Removing an image's directory is also
 * a worker's job: the directory is first renamed to IMAGES/.trash-*, so
 * that it is gone from the images at once, and swept in the background. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"
#include "daemon/image/service.h"
#include "daemon/image/service_internal.h"

/* Imports at once: each is disk-bound, and the machine has other work. */
#define IMPORTS_MAX 4

static void import_finished(struct pr_image_service *svc, struct work *w)
{
    struct pr_daemon *d = svc->d;
    struct pr_image_job *job = &w->job;
    static struct pr_image_row row;
    int err = job->err;

    if (err == 0) {
        memset(&row, 0, sizeof(row));
        snprintf(row.name, sizeof(row.name), "%s", job->name);
        snprintf(row.sha, sizeof(row.sha), "%s", job->sha);
        row.bytes = (int64_t)job->bytes;
        snprintf(row.models, sizeof(row.models), "%s", job->models);
        snprintf(row.kind, sizeof(row.kind), "%s", pr_image_kind_name(job->kind));
        snprintf(row.source, sizeof(row.source), "%s", job->source);
        /* svc->dir is at most PR_IMAGE_DIR_MAX: these fit. */
        if (snprintf(row.boot_path, sizeof(row.boot_path), "%s/%s/boot", svc->dir, job->sha) >=
                (int)sizeof(row.boot_path) ||
            snprintf(row.root_path, sizeof(row.root_path), "%s/%s/root", svc->dir, job->sha) >=
                (int)sizeof(row.root_path))
            err = -ENAMETOOLONG;
        else
            err = pr_store_add_image(d->store, &row);
        if (err < 0)
            snprintf(job->error, sizeof(job->error), "the store: %s", pr_store_errmsg(d->store));
    }
    if (err == 0) {
        pr_info("image %s imported from %s (%s, sha256 %s)", job->name, job->source,
                pr_image_kind_name(job->kind), job->sha);
        pr_daemon_event(d, 0, "image.imported", w->actor, "{s:s, s:s, s:I, s:s, s:b}", "image",
                        job->name, "sha256", job->sha, "bytes", (json_int_t)job->bytes, "models",
                        job->models, "reused", job->reused);
        pr_image_unlink_work(svc, w);
        free(w);
        return;
    }
    pr_warn("image %s: import failed: %s", job->name, job->error);
    pr_daemon_event(d, 0, "image.import-failed", w->actor, "{s:s, s:s}", "image", job->name,
                    "error", job->error);
    w->failed = true;
}

static struct work *find_import(struct pr_image_service *svc, const char *name)
{
    for (struct work *w = svc->works; w; w = w->next)
        if (w->kind == WORK_IMPORT && strcmp(w->job.name, name) == 0)
            return w;
    return NULL;
}

static unsigned imports_running(const struct pr_image_service *svc)
{
    unsigned n = 0;
    for (const struct work *w = svc->works; w; w = w->next)
        n += w->kind == WORK_IMPORT && w->running;
    return n;
}

static int check_import(struct pr_daemon *d, const char *name, const char *source, char *err,
                        size_t errlen)
{
    struct pr_image_service *svc = d->image;
    static struct pr_image_row row;
    struct work *w;

    if (!pr_plan_name_valid(name)) {
        pr_image_svc_err(err, errlen, "'%.70s' is not an image name (a lower-case DNS label)",
                         name);
        return -EINVAL;
    }
    if (source[0] != '/' || strlen(source) >= PR_PATH_MAX) {
        pr_image_svc_err(err, errlen, "the source must be an absolute path on pirackd's host");
        return -EINVAL;
    }
    if (pr_store_get_image(d->store, name, &row) == 0) {
        pr_image_svc_err(err, errlen,
                         "image %s already exists (images are immutable: import a new name)", name);
        return -EEXIST;
    }
    if ((w = find_import(svc, name)) && w->running) {
        pr_image_svc_err(err, errlen, "image %s is being imported", name);
        return -EEXIST;
    }
    if (imports_running(svc) >= IMPORTS_MAX) {
        pr_image_svc_err(err, errlen, "%u imports are running; try again when one is done",
                         IMPORTS_MAX);
        return -EBUSY;
    }
    return 0;
}

int pr_image_import(struct pr_daemon *d, const char *name, const char *source, const char *actor,
                    char *err, size_t errlen)
{
    struct pr_image_service *svc = d->image;
    struct work *w, *old;
    int rc;

    if (!svc) {
        pr_image_svc_err(err, errlen, "the image service is not running");
        return -ENODEV;
    }
    if ((rc = check_import(d, name, source, err, errlen)) < 0)
        return rc;
    if ((old = find_import(svc, name))) { /* an earlier failure of the name */
        pr_image_unlink_work(svc, old);
        free(old);
    }
    if (!(w = calloc(1, sizeof(*w)))) {
        pr_image_svc_err(err, errlen, "out of memory");
        return -ENOMEM;
    }
    w->kind = WORK_IMPORT;
    w->finished = import_finished;
    snprintf(w->actor, sizeof(w->actor), "%s", actor);
    snprintf(w->job.name, sizeof(w->job.name), "%s", name);
    snprintf(w->job.source, sizeof(w->job.source), "%s", source);
    snprintf(w->job.images_dir, sizeof(w->job.images_dir), "%s", svc->dir);
    if ((rc = pr_image_start_work(svc, w)) < 0) {
        free(w);
        pr_image_svc_err(err, errlen, "cannot start a worker: %s", strerror(-rc));
        return rc;
    }
    pr_daemon_event(d, 0, "image.import", actor, "{s:s, s:s}", "image", name, "source", source);
    return 0;
}

int pr_image_each_import(struct pr_daemon *d, pr_image_import_cb cb, void *ctx)
{
    if (!d->image)
        return 0;
    for (struct work *w = d->image->works; w; w = w->next) {
        if (w->kind != WORK_IMPORT)
            continue;
        struct pr_image_import_view v = {
            .name = w->job.name,
            .source = w->job.source,
            .state = w->failed ? "failed" : "importing",
            .error = w->failed ? w->job.error : "",
            .started_ms = w->started_ms,
        };
        int r = cb(&v, ctx);
        if (r)
            return r;
    }
    return 0;
}

/* Whether a running import will produce (or reuse) sha's directory. */
static bool sha_importing(const struct pr_image_service *svc, const char *sha)
{
    for (const struct work *w = svc->works; w; w = w->next)
        if (w->kind == WORK_IMPORT && w->running && strcmp(w->job.sha, sha) == 0)
            return true;
    return false;
}

int pr_image_remove(struct pr_daemon *d, const char *name, const char *actor, char *err,
                    size_t errlen)
{
    struct pr_image_service *svc = d->image;
    static struct pr_image_row row;
    unsigned left = 0;
    int rc;

    if (!svc) {
        pr_image_svc_err(err, errlen, "the image service is not running");
        return -ENODEV;
    }
    if ((rc = pr_store_get_image(d->store, name, &row)) < 0 ||
        (rc = pr_store_remove_image(d->store, name, &left)) < 0) {
        pr_image_svc_err(err, errlen, "%s", pr_store_errmsg(d->store));
        return rc;
    }
    pr_daemon_event(d, 0, "image.removed", actor, "{s:s, s:s}", "image", name, "sha256", row.sha);
    if (left > 0 || !row.sha[0] || sha_importing(svc, row.sha))
        return 0;
    char from[PR_PATH_MAX + 80], to[PR_PATH_MAX + 100];
    snprintf(from, sizeof(from), "%s/%s", svc->dir, row.sha);
    snprintf(to, sizeof(to), "%s/.trash-%s-%u", svc->dir, row.sha, svc->trash_seq++);
    if (rename(from, to) < 0) {
        pr_warn("image %s: cannot move %s away: %s", name, from, strerror(errno));
        return 0;
    }
    if (pr_image_start_sweep(svc, to) < 0)
        pr_warn("image %s: %s stays until the next start", name, to);
    return 0;
}
