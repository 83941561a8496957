/* image/workers: the image service's worker threads.  Each job (an
 * import, a generation, the NFS exports, a sweep of a removed tree) runs
 * on a thread of its own and posts its result to the service's mailbox;
 * on the loop, the job's finisher (set by whoever started it) takes the
 * result.  Calls none of the service's other files, so that they may all
 * start work. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/image/service_internal.h"
#include "pirack/loop.h"
#include "pirack/store.h"

void pr_image_svc_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---- on the worker ---- */

static void sweep_leftovers(const char *dir)
{
    DIR *dp = opendir(dir);
    struct dirent *de;
    char path[PR_PATH_MAX + 300];

    if (!dp)
        return;
    while ((de = readdir(dp))) {
        if (strncmp(de->d_name, ".tmp-", 5) != 0 && strncmp(de->d_name, ".trash-", 7) != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        pr_image_remove_tree(path);
    }
    closedir(dp);
}

static void work_done(void *msg);

static void *work_main(void *arg)
{
    struct work *w = arg;

    if (w->kind == WORK_IMPORT)
        pr_image_import_run(&w->job);
    else if (w->kind == WORK_GEN)
        pr_gen_run(w->gen);
    else if (w->kind == WORK_EXPORTS)
        pr_exports_run(w->exports);
    else if (w->sweep[0])
        pr_image_remove_tree(w->sweep);
    else
        sweep_leftovers(w->svc->dir);
    /* The owner joins every worker before it closes the mailbox, so no
     * reference of our own is needed. */
    pr_mailbox_post(w->svc->mb, work_done, w, NULL);
    return NULL;
}

/* ---- on the loop ---- */

void pr_image_unlink_work(struct pr_image_service *svc, struct work *w)
{
    for (struct work **p = &svc->works; *p; p = &(*p)->next)
        if (*p == w) {
            *p = w->next;
            return;
        }
}

static void work_done(void *msg)
{
    struct work *w = msg;
    struct pr_image_service *svc = w->svc;

    pthread_join(w->thread, NULL);
    w->running = false;
    /* An import's finisher keeps its work (a failure stays for people to
     * see) or frees it. */
    if (w->kind == WORK_IMPORT) {
        w->finished(svc, w);
        return;
    }
    if (w->finished)
        w->finished(svc, w);
    pr_image_unlink_work(svc, w);
    if (w->gen)
        free(w->gen->keys);
    free(w->gen);
    free(w->exports);
    free(w);
}

int pr_image_start_work(struct pr_image_service *svc, struct work *w)
{
    int rc;

    w->svc = svc;
    w->started_ms = pr_store_now_ms();
    w->running = true;
    rc = pthread_create(&w->thread, NULL, work_main, w);
    if (rc != 0) {
        w->running = false;
        return -rc;
    }
    w->next = svc->works;
    svc->works = w;
    return 0;
}

int pr_image_start_sweep(struct pr_image_service *svc, const char *path)
{
    struct work *w = calloc(1, sizeof(*w));
    if (!w)
        return -ENOMEM;
    w->kind = WORK_SWEEP;
    snprintf(w->sweep, sizeof(w->sweep), "%s", path ? path : "");
    int rc = pr_image_start_work(svc, w);
    if (rc < 0)
        free(w);
    return rc;
}
