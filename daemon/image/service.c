/* image/service: the image service on pirackd's loop.  What the workers
 * run is in import.c, generation.c and exports.c; workers.c starts them
 * and hands their results back on the loop; import_service.c and
 * exports_service.c take imports and exports.  Here: start and stop,
 * reimages, wipes and the tick that wipes released slots and expires
 * replaced generations.  Only the loop's thread writes the store. */
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
#include "daemon/image/service_internal.h"
#include "daemon/net/service.h"
#include "daemon/power/service.h"
#include "pirack/fsutil.h"

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
            pr_image_start_sweep(svc, path);
        snprintf(from, sizeof(from), "%s/.gens/%03u-gen-%u", cfg->boot_dir, r->slot, k);
        pr_image_start_sweep(svc, from);
    }
    closedir(dp);
    pr_store_hostkeys_keep(svc->d->store, r->slot, keep_a, keep_b);
}

/* The Pi is off: the new generation becomes current, then it may boot. */
static void reimage_switch(struct reimage *r)
{
    struct pr_daemon *d = r->svc->d;
    char target[64], why[256];
    unsigned before = pr_image_current_gen(d->cfg->root_dir, r->slot);
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
    if (pr_store_hostkeys_current(d->store, r->slot, r->gen) < 0)
        pr_warn("slot %u: the store: %s", r->slot, pr_store_errmsg(d->store));
    pr_image_exports_apply(r->svc);
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

/* The fingerprints of the keys the new generation's root holds, for the
 * health probe to compare the Pi's with once it serves them. */
static void record_host_keys(struct pr_daemon *d, const struct gen_job *g)
{
    struct pr_hostkey keys[PR_PERSONAL_KEYS];
    for (unsigned i = 0; i < PR_PERSONAL_KEYS; i++) {
        snprintf(keys[i].type, sizeof(keys[i].type), "%s", g->personal.fingerprints[i].type);
        snprintf(keys[i].sha256, sizeof(keys[i].sha256), "%s", g->personal.fingerprints[i].sha256);
    }
    if (pr_store_hostkeys_record(d->store, g->slot, g->gen, keys, PR_PERSONAL_KEYS) < 0)
        pr_warn("slot %u: gen-%u: cannot record its host keys: %s", g->slot, g->gen,
                pr_store_errmsg(d->store));
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
        record_host_keys(svc->d, g);
    }
    reimage_power_off(r);
}

/* What a generation's worker hands back goes to gen_finished. */
static void gen_work_finished(struct pr_image_service *svc, struct work *w)
{
    gen_finished(svc, w->gen);
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
        pr_image_svc_err(err, errlen, "no slot %u", r->slot);
        return -ENOENT;
    }
    char image[PR_NAME_MAX];
    snprintf(image, sizeof(image), "%s", r->image[0] ? r->image : row.image);
    if (!r->undo && !image[0]) {
        pr_image_svc_err(err, errlen, "the pi in slot %u has no image: give one (--image NAME)",
                         r->slot);
        return -EINVAL;
    }
    if (!r->undo && pr_store_get_image(d->store, image, &img) < 0) {
        pr_image_svc_err(err, errlen, "no image '%.70s'", image);
        return -ENOENT;
    }
    if (!(w = calloc(1, sizeof(*w))) || !(g = calloc(1, sizeof(*g)))) {
        free(w);
        pr_image_svc_err(err, errlen, "out of memory");
        return -ENOMEM;
    }
    snprintf(r->image, sizeof(r->image), "%s", r->undo ? "" : image);
    g->op = r->op;
    g->slot = r->slot;
    g->undo = r->undo;
    g->method = svc->clone;
    g->current = pr_image_current_gen(d->cfg->root_dir, r->slot);
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
    w->finished = gen_work_finished;
    w->gen = g;
    snprintf(w->actor, sizeof(w->actor), "%s", r->actor);
    int rc = pr_image_start_work(svc, w);
    if (rc < 0) {
        free(g->keys);
        free(g);
        free(w);
        pr_image_svc_err(err, errlen, "cannot start a worker: %s", strerror(-rc));
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
        pr_image_svc_err(err, errlen, "the image service is not running");
        return -ENODEV;
    }
    if (find_reimage(svc, slot)) {
        pr_image_svc_err(err, errlen, "slot %u is already being reimaged", slot);
        return -EBUSY;
    }
    if (image && image[0] && !undo) {
        static struct pr_image_row img;
        if (pr_store_get_image(d->store, image, &img) < 0) {
            pr_image_svc_err(err, errlen, "no image '%.70s'", image);
            return -ENOENT;
        }
    }
    id = pr_store_reimage_begin(d->store, slot, undo ? "" : image, undo, actor);
    if (id < 0) {
        pr_image_svc_err(err, errlen, "%s", pr_store_errmsg(d->store));
        return id == -EEXIST ? -EBUSY : (int)id;
    }
    op.id = id;
    snprintf(op.image, sizeof(op.image), "%s", image && !undo ? image : "");
    snprintf(op.actor, sizeof(op.actor), "%s", actor);
    struct reimage *r = reimage_new(svc, &op);
    if (!r) {
        pr_store_reimage_finish(d->store, id, false, "out of memory");
        pr_image_svc_err(err, errlen, "out of memory");
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
        pr_image_svc_err(err, errlen, "the image service is not running");
        return -ENODEV;
    }
    if (find_reimage(svc, slot)) {
        pr_image_svc_err(err, errlen, "slot %u is being reimaged", slot);
        return -EBUSY;
    }
    if (slot_is_on(d, slot)) {
        pr_image_svc_err(err, errlen, "the pi in slot %u is powered on: power it off first", slot);
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
        pr_image_start_sweep(svc, to);
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
        pr_image_start_sweep(svc, from);
    }
    if (dp)
        closedir(dp);
    pr_image_exports_apply(svc);
    pr_store_hostkeys_keep(d->store, slot, 0, 0); /* its keys went with its roots */
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
        (cur = pr_image_current_gen(cfg->root_dir, slot)) == 0)
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
            pr_image_start_sweep(svc, to);
        snprintf(from, sizeof(from), "%.4000s/.gens/%03u-gen-%u", cfg->boot_dir, slot, k);
        pr_image_start_sweep(svc, from);
        pr_info("slot %u: gen-%u expired ([images] keep_previous)", slot, k);
        pr_daemon_event(svc->d, slot, "image.gen-expired", "pirackd", "{s:i}", "gen", (int)k);
    }
    if (dp)
        closedir(dp);
    pr_store_hostkeys_keep(svc->d->store, slot, cur, 0);
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
    if (pr_image_start_sweep(svc, NULL) < 0)
        pr_warn("image: leftovers in %s stay until the next start", dir);
    if ((rc = pr_mkdir_p(d->cfg->root_dir)) < 0)
        pr_warn("image: cannot make %s: %s", d->cfg->root_dir, strerror(-rc));
    svc->clone = pr_clone_probe(dir, d->cfg->root_dir, &svc->snapshot_possible);
    if (svc->clone == PR_CLONE_REFLINK && svc->snapshot_possible)
        svc->clone = PR_CLONE_SNAPSHOT;
    pr_info("image: images in %s, roots in %s made by %s", dir, d->cfg->root_dir,
            pr_clone_method_name(svc->clone));
    pr_store_each_unfinished_reimage(d->store, resume_reimage, svc);
    pr_image_exports_apply(svc);
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
