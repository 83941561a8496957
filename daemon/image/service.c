/* image/service: the image service on pirackd's loop.  An import runs on
 * a worker thread of its own (import.c: copying gigabytes blocks) and
 * posts its result to the service's mailbox; only this file, on the
 * loop's thread, writes the store.  Removing an image's directory is also
 * a worker's job: the directory is first renamed to IMAGES/.trash-*, so
 * that it is gone from the images at once, and swept in the background
 * (as are leftovers of a crash, at start).  What the workers run is in
 * import.c, generation.c and exports.c; here is the loop's side: the
 * store, reimages, wipes and the tick that wipes released slots and
 * expires replaced generations. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/stat.h>

#include "daemon/daemon.h"
#include "daemon/image/image_internal.h"
#include "daemon/image/service.h"
#include "daemon/net/service.h"
#include "daemon/power/service.h"
#include "pirack/fsutil.h"

/* Imports at once: each is disk-bound, and the machine has other work. */
#define IMPORTS_MAX 4

enum work_kind {
    WORK_IMPORT,
    WORK_SWEEP,
    WORK_GEN,
    WORK_EXPORTS,
};

struct work {
    struct work *next;
    struct pr_image_service *svc;
    enum work_kind kind;
    pthread_t thread;
    bool running; /* the thread has not been joined */
    bool failed;  /* an import that failed, kept for people to see */
    int64_t started_ms;
    char actor[64];
    char sweep[PR_PATH_MAX]; /* WORK_SWEEP: a tree to remove; "" = leftovers */
    struct pr_image_job job;
    struct gen_job *gen;        /* WORK_GEN */
    struct export_job *exports; /* WORK_EXPORTS */
};

/* A reimage in flight on the loop. */
struct reimage {
    struct reimage *next;
    struct pr_image_service *svc;
    int64_t op;
    unsigned slot;
    bool undo, was_on, building;
    char image[PR_NAME_MAX];
    char actor[64];
    unsigned gen;
    struct pr_timer *timer;
    unsigned polls;
};

struct pr_image_service {
    struct pr_daemon *d;
    struct pr_mailbox *mb;
    struct work *works;
    char dir[PR_PATH_MAX];
    unsigned trash_seq;
    enum pr_clone_method clone;
    bool snapshot_possible;
    struct reimage *reimages;
    struct pr_timer *tick; /* pending wipes and expired generations */
    int64_t next_expiry_ms;
};

static void svc_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void svc_err(char *err, size_t errlen, const char *fmt, ...)
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

static void unlink_work(struct pr_image_service *svc, struct work *w)
{
    for (struct work **p = &svc->works; *p; p = &(*p)->next)
        if (*p == w) {
            *p = w->next;
            return;
        }
}

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
        unlink_work(svc, w);
        free(w);
        return;
    }
    pr_warn("image %s: import failed: %s", job->name, job->error);
    pr_daemon_event(d, 0, "image.import-failed", w->actor, "{s:s, s:s}", "image", job->name,
                    "error", job->error);
    w->failed = true;
}

static void gen_finished(struct pr_image_service *svc, struct gen_job *g);
static void exports_finished(struct pr_image_service *svc, struct export_job *x);

static void work_done(void *msg)
{
    struct work *w = msg;
    struct pr_image_service *svc = w->svc;

    pthread_join(w->thread, NULL);
    w->running = false;
    if (w->kind == WORK_IMPORT) {
        import_finished(svc, w);
        return;
    }
    if (w->kind == WORK_GEN)
        gen_finished(svc, w->gen);
    if (w->kind == WORK_EXPORTS)
        exports_finished(svc, w->exports);
    unlink_work(svc, w);
    if (w->gen)
        free(w->gen->keys);
    free(w->gen);
    free(w->exports);
    free(w);
}

static int start_work(struct pr_image_service *svc, struct work *w)
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

static int start_sweep(struct pr_image_service *svc, const char *path)
{
    struct work *w = calloc(1, sizeof(*w));
    if (!w)
        return -ENOMEM;
    w->kind = WORK_SWEEP;
    snprintf(w->sweep, sizeof(w->sweep), "%s", path ? path : "");
    int rc = start_work(svc, w);
    if (rc < 0)
        free(w);
    return rc;
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
        svc_err(err, errlen, "'%.70s' is not an image name (a lower-case DNS label)", name);
        return -EINVAL;
    }
    if (source[0] != '/' || strlen(source) >= PR_PATH_MAX) {
        svc_err(err, errlen, "the source must be an absolute path on pirackd's host");
        return -EINVAL;
    }
    if (pr_store_get_image(d->store, name, &row) == 0) {
        svc_err(err, errlen, "image %s already exists (images are immutable: import a new name)",
                name);
        return -EEXIST;
    }
    if ((w = find_import(svc, name)) && w->running) {
        svc_err(err, errlen, "image %s is being imported", name);
        return -EEXIST;
    }
    if (imports_running(svc) >= IMPORTS_MAX) {
        svc_err(err, errlen, "%u imports are running; try again when one is done", IMPORTS_MAX);
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
        svc_err(err, errlen, "the image service is not running");
        return -ENODEV;
    }
    if ((rc = check_import(d, name, source, err, errlen)) < 0)
        return rc;
    if ((old = find_import(svc, name))) { /* an earlier failure of the name */
        unlink_work(svc, old);
        free(old);
    }
    if (!(w = calloc(1, sizeof(*w)))) {
        svc_err(err, errlen, "out of memory");
        return -ENOMEM;
    }
    w->kind = WORK_IMPORT;
    snprintf(w->actor, sizeof(w->actor), "%s", actor);
    snprintf(w->job.name, sizeof(w->job.name), "%s", name);
    snprintf(w->job.source, sizeof(w->job.source), "%s", source);
    snprintf(w->job.images_dir, sizeof(w->job.images_dir), "%s", svc->dir);
    if ((rc = start_work(svc, w)) < 0) {
        free(w);
        svc_err(err, errlen, "cannot start a worker: %s", strerror(-rc));
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
        svc_err(err, errlen, "the image service is not running");
        return -ENODEV;
    }
    if ((rc = pr_store_get_image(d->store, name, &row)) < 0 ||
        (rc = pr_store_remove_image(d->store, name, &left)) < 0) {
        svc_err(err, errlen, "%s", pr_store_errmsg(d->store));
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
    if (start_sweep(svc, to) < 0)
        pr_warn("image %s: %s stays until the next start", name, to);
    return 0;
}

static void exports_finished(struct pr_image_service *svc, struct export_job *x)
{
    if (x->err)
        pr_daemon_event(svc->d, 0, "nfs.export-failed", "pirackd", "{s:s, s:s}", "backend",
                        x->backend, "error", x->error);
    else
        pr_daemon_event(svc->d, 0, "nfs.exported", "pirackd", "{s:s, s:s, s:i}", "backend",
                        x->backend, "file", x->file, "roots", (int)x->n);
    free(x->text);
    free(x->exports);
}

static unsigned current_gen(const char *roots, unsigned slot);

/* ---- NFS exports, on the loop: rendered here, applied on a worker
 * (exports.c) ---- */

/* Exports every slot's current root (ROOTS/NNN resolved) as the config's
 * backend says; "none" exports nothing. */
static void exports_apply(struct pr_image_service *svc)
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
        e->gen = current_gen(cfg->root_dir, s);
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
    w->exports = x;
    if (start_work(svc, w) < 0) {
        free(x->text);
        free(x->exports);
        free(x);
        free(w);
    }
}

void pr_image_exports_refresh(struct pr_daemon *d)
{
    if (d->image)
        exports_apply(d->image);
}

/* ---- reimages: on the loop ---- */

static struct reimage *find_reimage(struct pr_image_service *svc, unsigned slot)
{
    for (struct reimage *r = svc->reimages; r; r = r->next)
        if (r->slot == slot)
            return r;
    return NULL;
}

static void reimage_end(struct reimage *r, bool ok, const char *result)
{
    struct pr_image_service *svc = r->svc;
    struct pr_daemon *d = svc->d;
    pr_store_reimage_finish(d->store, r->op, ok, result);
    pr_daemon_event(d, r->slot, ok ? "image.reimaged" : "image.reimage-failed", r->actor,
                    "{s:I, s:s, s:b, s:i, s:s}", "op", (json_int_t)r->op, "image", r->image, "undo",
                    r->undo, "gen", (int)r->gen, "result", result);
    if (ok)
        pr_info("slot %u: reimaged to gen-%u (%s)", r->slot, r->gen, result);
    else
        pr_warn("slot %u: reimage failed: %s", r->slot, result);
    for (struct reimage **p = &svc->reimages; *p; p = &(*p)->next)
        if (*p == r) {
            *p = r->next;
            break;
        }
    pr_timer_free(r->timer);
    free(r);
}

static bool slot_is_on(struct pr_daemon *d, unsigned slot)
{
    struct pr_slot_row row;
    return pr_store_get_slot(d->store, slot, &row) == 0 && strcmp(row.power, "on") == 0;
}

static bool slot_is_owned(struct pr_daemon *d, unsigned slot)
{
    struct pr_slot_row row;
    return pr_store_get_slot(d->store, slot, &row) == 0 && row.owner[0];
}

/* Replaces the symlink dir/NNN with one to target, atomically. */
static int point(const char *dir, unsigned slot, const char *target)
{
    char tmp[PR_PATH_MAX + 32], name[PR_PATH_MAX + 16];
    snprintf(tmp, sizeof(tmp), "%s/.%03u.link", dir, slot);
    snprintf(name, sizeof(name), "%s/%03u", dir, slot);
    unlink(tmp);
    if (symlink(target, tmp) < 0 || rename(tmp, name) < 0) {
        int e = -errno;
        unlink(tmp);
        return e;
    }
    return 0;
}

static void prune(struct pr_image_service *svc, struct reimage *r, unsigned keep_a, unsigned keep_b)
{
    char gens[PR_PATH_MAX + 32], path[PR_PATH_MAX + 64];
    struct pr_config *cfg = svc->d->cfg;
    snprintf(gens, sizeof(gens), "%s/gens/%03u", cfg->root_dir, r->slot);
    DIR *dp = opendir(gens);
    struct dirent *de;
    if (!dp)
        return;
    while ((de = readdir(dp))) {
        unsigned k;
        char end;
        if (sscanf(de->d_name, "gen-%u%c", &k, &end) != 1 || k == keep_a || k == keep_b)
            continue;
        snprintf(path, sizeof(path), "%s/.trash-gen-%u", gens, k);
        char from[PR_PATH_MAX + 64];
        snprintf(from, sizeof(from), "%s/gen-%u", gens, k);
        if (rename(from, path) == 0)
            start_sweep(svc, path);
        snprintf(from, sizeof(from), "%s/.gens/%03u-gen-%u", cfg->boot_dir, r->slot, k);
        start_sweep(svc, from);
    }
    closedir(dp);
}

static unsigned current_gen(const char *roots, unsigned slot)
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

/* The Pi is off: the new generation becomes current, then it may boot. */
static void reimage_switch(struct reimage *r)
{
    struct pr_daemon *d = r->svc->d;
    char target[64], why[256];
    unsigned before = current_gen(d->cfg->root_dir, r->slot);
    int rc;

    pr_store_reimage_phase(d->store, r->op, "switching");
    snprintf(target, sizeof(target), "gens/%03u/gen-%u", r->slot, r->gen);
    if ((rc = point(d->cfg->root_dir, r->slot, target)) < 0) {
        snprintf(why, sizeof(why), "switching %.160s/%03u: %s", d->cfg->root_dir, r->slot,
                 strerror(-rc));
        reimage_end(r, false, why);
        return;
    }
    snprintf(target, sizeof(target), ".gens/%03u-gen-%u", r->slot, r->gen);
    if ((rc = point(d->cfg->boot_dir, r->slot, target)) < 0) {
        snprintf(why, sizeof(why), "switching %.160s/%03u: %s", d->cfg->boot_dir, r->slot,
                 strerror(-rc));
        reimage_end(r, false, why);
        return;
    }
    pr_net_write_pi_config(d, r->slot);
    exports_apply(r->svc);
    if (r->image[0] && !r->undo)
        pr_store_set_pi(d->store, r->slot, NULL, NULL, r->image, NULL);
    /* The one before stays for --undo (until [images] keep_previous has
     * passed); older ones go. */
    prune(r->svc, r, r->gen, before);
    /* A customer's server runs: provisioning and reinstalling end with it
     * on, whatever it was before. */
    bool owned = slot_is_owned(d, r->slot);
    if (r->was_on || owned) {
        int64_t id = pr_power_request(d, r->slot, PR_POE_ON, r->actor, NULL, why, sizeof(why));
        if (id < 0 && r->was_on) {
            reimage_end(r, false, why);
            return;
        }
        if (id < 0) {
            char note[300];
            snprintf(note, sizeof(note), "gen-%u is current; the pi cannot be powered on: %.200s",
                     r->gen, why);
            reimage_end(r, true, note);
            return;
        }
    }
    snprintf(why, sizeof(why), "gen-%u is current%s", r->gen,
             r->was_on || owned ? ", powering on" : "");
    reimage_end(r, true, why);
}

/* Waits for the power service to take the Pi off. */
static void reimage_poll(void *ctx)
{
    struct reimage *r = ctx;
    struct pr_daemon *d = r->svc->d;
    struct pr_power_view v;

    if (pr_power_view(d, r->slot, &v) == 0 && v.op_id == 0 && !slot_is_on(d, r->slot)) {
        pr_timer_disarm(r->timer);
        reimage_switch(r);
        return;
    }
    if (++r->polls > 600) { /* 3 minutes */
        pr_timer_disarm(r->timer);
        reimage_end(r, false, "the pi did not power off in 3 minutes");
    }
}

static void reimage_power_off(struct reimage *r)
{
    struct pr_daemon *d = r->svc->d;
    char why[256];

    if (!slot_is_on(d, r->slot)) {
        reimage_switch(r);
        return;
    }
    pr_store_reimage_phase(d->store, r->op, "off-wait");
    r->was_on = true;
    if (pr_power_request(d, r->slot, PR_POE_OFF, r->actor, NULL, why, sizeof(why)) < 0) {
        reimage_end(r, false, why);
        return;
    }
    r->timer = pr_timer_new(d->loop, reimage_poll, r);
    if (!r->timer || pr_timer_arm(r->timer, 300, 300) < 0)
        reimage_end(r, false, "out of memory");
}

static void gen_finished(struct pr_image_service *svc, struct gen_job *g)
{
    struct reimage *r = find_reimage(svc, g->slot);
    if (!r || r->op != g->op)
        return;
    r->building = false;
    if (g->err) {
        reimage_end(r, false, g->error);
        return;
    }
    r->gen = g->gen;
    if (!g->undo) {
        struct pr_personal *p = &g->personal;
        pr_daemon_event(svc->d, g->slot, "image.root-built", r->actor,
                        "{s:i, s:s, s:s, s:I, s:I, s:I, s:s, s:s, s:s}", "gen", (int)g->gen,
                        "image", g->image, "method", pr_clone_method_name(g->method), "files",
                        (json_int_t)g->files, "bytes", (json_int_t)g->bytes, "ms",
                        (json_int_t)g->build_ms, "machine_id", p->machine_id,
                        p->fingerprints[0].type, p->fingerprints[0].sha256, p->fingerprints[1].type,
                        p->fingerprints[1].sha256);
    }
    reimage_power_off(r);
}

/* Starts (or, after a restart, starts again) the reimage r: its
 * generation is built on a worker first, so the Pi is off only for the
 * switch. */
static int reimage_run(struct pr_image_service *svc, struct reimage *r, char *err, size_t errlen)
{
    struct pr_daemon *d = svc->d;
    static struct pr_image_row img;
    struct pr_slot_row row;
    struct pr_slot_plan sp;
    struct work *w;
    struct gen_job *g;

    if (pr_store_get_slot(d->store, r->slot, &row) < 0 ||
        pr_plan_slot(&d->plan, r->slot, &sp) < 0) {
        svc_err(err, errlen, "no slot %u", r->slot);
        return -ENOENT;
    }
    char image[PR_NAME_MAX];
    snprintf(image, sizeof(image), "%s", r->image[0] ? r->image : row.image);
    if (!r->undo && !image[0]) {
        svc_err(err, errlen, "the pi in slot %u has no image: give one (--image NAME)", r->slot);
        return -EINVAL;
    }
    if (!r->undo && pr_store_get_image(d->store, image, &img) < 0) {
        svc_err(err, errlen, "no image '%.70s'", image);
        return -ENOENT;
    }
    if (!(w = calloc(1, sizeof(*w))) || !(g = calloc(1, sizeof(*g)))) {
        free(w);
        svc_err(err, errlen, "out of memory");
        return -ENOMEM;
    }
    snprintf(r->image, sizeof(r->image), "%s", r->undo ? "" : image);
    g->op = r->op;
    g->slot = r->slot;
    g->undo = r->undo;
    g->method = svc->clone;
    g->current = current_gen(d->cfg->root_dir, r->slot);
    snprintf(g->image, sizeof(g->image), "%s", r->image);
    snprintf(g->image_root, sizeof(g->image_root), "%s", img.root_path);
    snprintf(g->image_boot, sizeof(g->image_boot), "%s", img.boot_path);
    snprintf(g->gens, sizeof(g->gens), "%.4000s/gens/%03u", d->cfg->root_dir, r->slot);
    snprintf(g->boot_gens, sizeof(g->boot_gens), "%.4000s/.gens", d->cfg->boot_dir);
    inet_ntop(AF_INET, &sp.v4_host, g->host, sizeof(g->host));
    inet_ntop(AF_INET, &sp.v4_pi, g->pi, sizeof(g->pi));
    snprintf(g->personal.hostname, sizeof(g->personal.hostname), "%s", row.name);
    if (!r->undo && row.owner[0] && (g->keys = malloc(PR_SSH_KEYS_MAX)) &&
        pr_store_get_ssh_keys(d->store, row.owner, row.name, g->keys, PR_SSH_KEYS_MAX) == 0 &&
        g->keys[0]) {
        size_t kl = strlen(g->keys);
        /* One key a line, the last one ended too, as sshd reads them. */
        if (g->keys[kl - 1] != '\n' && kl + 1 < PR_SSH_KEYS_MAX)
            memcpy(g->keys + kl, "\n", 2);
        g->personal.authorized_keys = g->keys;
    }
    w->kind = WORK_GEN;
    w->gen = g;
    snprintf(w->actor, sizeof(w->actor), "%s", r->actor);
    int rc = start_work(svc, w);
    if (rc < 0) {
        free(g->keys);
        free(g);
        free(w);
        svc_err(err, errlen, "cannot start a worker: %s", strerror(-rc));
        return rc;
    }
    r->building = true;
    pr_store_reimage_phase(d->store, r->op, "building");
    return 0;
}

static struct reimage *reimage_new(struct pr_image_service *svc, const struct pr_reimage_op *op)
{
    struct reimage *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->svc = svc;
    r->op = op->id;
    r->slot = op->slot;
    r->undo = op->undo;
    snprintf(r->image, sizeof(r->image), "%s", op->image);
    snprintf(r->actor, sizeof(r->actor), "%s", op->actor);
    r->next = svc->reimages;
    svc->reimages = r;
    return r;
}

static int resume_reimage(const struct pr_reimage_op *op, void *ctx)
{
    struct pr_image_service *svc = ctx;
    struct reimage *r = reimage_new(svc, op);
    char err[256];
    if (!r)
        return 0;
    pr_info("slot %u: finishing reimage %lld, interrupted by a restart", op->slot,
            (long long)op->id);
    if (reimage_run(svc, r, err, sizeof(err)) < 0)
        reimage_end(r, false, err);
    return 0;
}

int pr_image_reimage(struct pr_daemon *d, unsigned slot, const char *image, bool undo,
                     const char *actor, char *err, size_t errlen)
{
    struct pr_image_service *svc = d->image;
    struct pr_reimage_op op = { .slot = slot, .undo = undo };
    int64_t id;

    if (!svc) {
        svc_err(err, errlen, "the image service is not running");
        return -ENODEV;
    }
    if (find_reimage(svc, slot)) {
        svc_err(err, errlen, "slot %u is already being reimaged", slot);
        return -EBUSY;
    }
    if (image && image[0] && !undo) {
        static struct pr_image_row img;
        if (pr_store_get_image(d->store, image, &img) < 0) {
            svc_err(err, errlen, "no image '%.70s'", image);
            return -ENOENT;
        }
    }
    id = pr_store_reimage_begin(d->store, slot, undo ? "" : image, undo, actor);
    if (id < 0) {
        svc_err(err, errlen, "%s", pr_store_errmsg(d->store));
        return id == -EEXIST ? -EBUSY : (int)id;
    }
    op.id = id;
    snprintf(op.image, sizeof(op.image), "%s", image && !undo ? image : "");
    snprintf(op.actor, sizeof(op.actor), "%s", actor);
    struct reimage *r = reimage_new(svc, &op);
    if (!r) {
        pr_store_reimage_finish(d->store, id, false, "out of memory");
        svc_err(err, errlen, "out of memory");
        return -ENOMEM;
    }
    pr_daemon_event(d, slot, "image.reimage", actor, "{s:I, s:s, s:b}", "op", (json_int_t)id,
                    "image", op.image, "undo", undo);
    int rc = reimage_run(svc, r, err, errlen);
    if (rc < 0) {
        reimage_end(r, false, err);
        return rc;
    }
    return (int)id;
}

int pr_image_wipe(struct pr_daemon *d, unsigned slot, const char *actor, char *err, size_t errlen)
{
    struct pr_image_service *svc = d->image;
    const struct pr_config *cfg = d->cfg;
    char from[PR_PATH_MAX + 64], to[PR_PATH_MAX + 96];

    if (!svc) {
        svc_err(err, errlen, "the image service is not running");
        return -ENODEV;
    }
    if (find_reimage(svc, slot)) {
        svc_err(err, errlen, "slot %u is being reimaged", slot);
        return -EBUSY;
    }
    if (slot_is_on(d, slot)) {
        svc_err(err, errlen, "the pi in slot %u is powered on: power it off first", slot);
        return -EBUSY;
    }
    /* The links first: from here on nothing serves or exports the root. */
    snprintf(from, sizeof(from), "%.4000s/%03u", cfg->root_dir, slot);
    unlink(from);
    snprintf(from, sizeof(from), "%.4000s/%03u", cfg->boot_dir, slot);
    unlink(from);
    snprintf(from, sizeof(from), "%.4000s/gens/%03u", cfg->root_dir, slot);
    snprintf(to, sizeof(to), "%.4000s/gens/.trash-%03u-%u", cfg->root_dir, slot, svc->trash_seq++);
    if (rename(from, to) == 0)
        start_sweep(svc, to);
    char bootgens[PR_PATH_MAX + 16];
    snprintf(bootgens, sizeof(bootgens), "%.4000s/.gens", cfg->boot_dir);
    DIR *dp = opendir(bootgens);
    struct dirent *de;
    char prefix[16];
    snprintf(prefix, sizeof(prefix), "%03u-gen-", slot);
    while (dp && (de = readdir(dp))) {
        if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
            continue;
        snprintf(from, sizeof(from), "%.4000s/%.60s", bootgens, de->d_name);
        start_sweep(svc, from);
    }
    if (dp)
        closedir(dp);
    exports_apply(svc);
    /* A slot a customer gave back may be handed out again. */
    if (pr_store_set_wiped(d->store, slot) < 0)
        pr_warn("slot %u: the store: %s", slot, pr_store_errmsg(d->store));
    pr_daemon_event(d, slot, "image.root-wiped", actor, NULL);
    return 0;
}

bool pr_image_busy(struct pr_daemon *d, unsigned slot)
{
    return d->image && find_reimage(d->image, slot);
}

/* ---- the tick: pending wipes and expired generations ---- */

/* A slot its customer gave back is wiped once its Pi is off (the
 * unprovisioning asked the power service for that) and no reimage runs. */
static int wipe_pending(unsigned slot, void *ctx)
{
    struct pr_image_service *svc = ctx;
    struct pr_power_view v;
    char err[256];

    if (find_reimage(svc, slot) || slot_is_on(svc->d, slot) ||
        (pr_power_view(svc->d, slot, &v) == 0 && v.op_id))
        return 0;
    if (pr_image_wipe(svc->d, slot, "pirackd", err, sizeof(err)) < 0)
        pr_warn("slot %u: the wipe after unprovisioning waits: %s", slot, err);
    return 0;
}

/* Removes the generations of slot (ROOTS/gens/NNN) but the current one,
 * once keep_s have passed since the current one was switched to (the
 * link's own time). */
static void expire_slot(struct pr_image_service *svc, unsigned slot, int64_t keep_ms)
{
    const struct pr_config *cfg = svc->d->cfg;
    char link[PR_PATH_MAX + 16], gens[PR_PATH_MAX + 32], from[PR_PATH_MAX + 64],
        to[PR_PATH_MAX + 96];
    struct stat st;
    unsigned cur;

    snprintf(link, sizeof(link), "%.4000s/%03u", cfg->root_dir, slot);
    if (find_reimage(svc, slot) || lstat(link, &st) < 0 ||
        (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000 + keep_ms >
            pr_store_now_ms() ||
        (cur = current_gen(cfg->root_dir, slot)) == 0)
        return;
    snprintf(gens, sizeof(gens), "%.4000s/gens/%03u", cfg->root_dir, slot);
    DIR *dp = opendir(gens);
    struct dirent *de;
    while (dp && (de = readdir(dp))) {
        unsigned k;
        char end;
        if (sscanf(de->d_name, "gen-%u%c", &k, &end) != 1 || k == cur)
            continue;
        snprintf(from, sizeof(from), "%s/gen-%u", gens, k);
        snprintf(to, sizeof(to), "%s/.trash-gen-%u", gens, k);
        if (rename(from, to) == 0)
            start_sweep(svc, to);
        snprintf(from, sizeof(from), "%.4000s/.gens/%03u-gen-%u", cfg->boot_dir, slot, k);
        start_sweep(svc, from);
        pr_info("slot %u: gen-%u expired ([images] keep_previous)", slot, k);
        pr_daemon_event(svc->d, slot, "image.gen-expired", "pirackd", "{s:i}", "gen", (int)k);
    }
    if (dp)
        closedir(dp);
}

static void image_tick(void *ctx)
{
    struct pr_image_service *svc = ctx;
    struct pr_daemon *d = svc->d;
    int64_t now = pr_store_now_ms(), keep_ms = (int64_t)d->cfg->image_keep_previous_s * 1000;

    pr_store_each_needs_wipe(d->store, wipe_pending, svc);
    if (now < svc->next_expiry_ms)
        return;
    /* Often enough that a generation outlives keep_previous by at most a
     * half of it, or a minute. */
    svc->next_expiry_ms = now + (keep_ms / 2 < 60000 ? keep_ms / 2 : 60000);
    for (unsigned s = 1; s <= d->plan.slots; s++)
        expire_slot(svc, s, keep_ms);
}

const char *pr_image_clone_method(struct pr_daemon *d)
{
    return d->image ? pr_clone_method_name(d->image->clone) : NULL;
}

int pr_image_service_start(struct pr_daemon *d)
{
    struct pr_image_service *svc;
    const char *dir = d->cfg->image_dir;
    int rc;

    if (strlen(dir) > PR_IMAGE_DIR_MAX) {
        pr_err("image: [paths] images is longer than %d bytes", PR_IMAGE_DIR_MAX);
        return -ENAMETOOLONG;
    }
    if ((rc = pr_mkdir_p(dir)) < 0) {
        pr_err("image: cannot make %s: %s", dir, strerror(-rc));
        return rc;
    }
    if (!(svc = calloc(1, sizeof(*svc))))
        return -ENOMEM;
    svc->d = d;
    snprintf(svc->dir, sizeof(svc->dir), "%s", dir);
    if (!(svc->mb = pr_mailbox_new(d->loop))) {
        free(svc);
        return -ENOMEM;
    }
    d->image = svc;
    if (start_sweep(svc, NULL) < 0)
        pr_warn("image: leftovers in %s stay until the next start", dir);
    if ((rc = pr_mkdir_p(d->cfg->root_dir)) < 0)
        pr_warn("image: cannot make %s: %s", d->cfg->root_dir, strerror(-rc));
    svc->clone = pr_clone_probe(dir, d->cfg->root_dir, &svc->snapshot_possible);
    if (svc->clone == PR_CLONE_REFLINK && svc->snapshot_possible)
        svc->clone = PR_CLONE_SNAPSHOT;
    pr_info("image: images in %s, roots in %s made by %s", dir, d->cfg->root_dir,
            pr_clone_method_name(svc->clone));
    pr_store_each_unfinished_reimage(d->store, resume_reimage, svc);
    exports_apply(svc);
    if (!(svc->tick = pr_timer_new(d->loop, image_tick, svc)) ||
        pr_timer_arm(svc->tick, 1000, 1000) < 0)
        pr_warn("image: no timer: released slots are not wiped, old generations stay");
    return 0;
}

void pr_image_service_stop(struct pr_daemon *d)
{
    struct pr_image_service *svc = d->image;

    if (!svc)
        return;
    pr_timer_free(svc->tick);
    for (struct work *w = svc->works; w; w = w->next)
        if (w->running) {
            atomic_store(&w->job.cancel, true);
            if (w->gen)
                atomic_store(&w->gen->cancel, true);
            pr_image_tool_kill(&w->job.child);
        }
    for (struct work *w = svc->works; w; w = w->next)
        if (w->running)
            pthread_join(w->thread, NULL);
    /* Results still queued are dropped: nothing of them reaches the store. */
    pr_mailbox_close(svc->mb);
    while (svc->works) {
        struct work *w = svc->works;
        svc->works = w->next;
        if (w->gen)
            free(w->gen->keys);
        free(w->gen);
        if (w->exports) {
            free(w->exports->text);
            free(w->exports->exports);
        }
        free(w->exports);
        free(w);
    }
    /* Unfinished reimages stay in the store: the next start finishes them. */
    while (svc->reimages) {
        struct reimage *r = svc->reimages;
        svc->reimages = r->next;
        pr_timer_free(r->timer);
        free(r);
    }
    free(svc);
    d->image = NULL;
}
