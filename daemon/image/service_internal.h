/* image service: what its loop-side files (service.c, import_service.c,
 * exports_service.c, workers.c) share.  Not for daemon/ or daemon/http/,
 * which call service.h. */
#ifndef PIRACK_IMAGE_SERVICE_INTERNAL_H
#define PIRACK_IMAGE_SERVICE_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/image/image_internal.h"

struct pr_daemon;
struct pr_image_service;
struct reimage;

enum work_kind {
    WORK_IMPORT,
    WORK_SWEEP,
    WORK_GEN,
    WORK_EXPORTS,
};

struct work;
/* Takes a job's result on the loop.  An import's finisher keeps the work
 * or frees it; for the others the work is freed after. */
typedef void pr_image_work_finished(struct pr_image_service *svc, struct work *w);

struct work {
    struct work *next;
    struct pr_image_service *svc;
    enum work_kind kind;
    pr_image_work_finished *finished; /* NULL: nothing to take (a sweep) */
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

struct pr_image_service {
    struct pr_daemon *d;
    struct pr_mailbox *mb;
    struct work *works;
    char dir[PR_PATH_MAX];
    unsigned trash_seq;
    enum pr_clone_method clone;
    bool snapshot_possible;
    struct reimage *reimages; /* service.c */
    struct pr_timer *tick;    /* pending wipes and expired generations */
    int64_t next_expiry_ms;
};

/* ---- workers.c ---- */

void pr_image_svc_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Runs w on a thread of its own and adds it to svc's works; its result
 * reaches w->finished on the loop.  0 or -errno (w is then not added). */
int pr_image_start_work(struct pr_image_service *svc, struct work *w);
void pr_image_unlink_work(struct pr_image_service *svc, struct work *w);
/* Removes the tree at path on a worker; NULL: the leftovers of a crash
 * (.tmp-* and .trash-*) in the images directory. */
int pr_image_start_sweep(struct pr_image_service *svc, const char *path);

/* ---- exports_service.c ---- */

/* The generation ROOTS/NNN points to, 0 for none. */
unsigned pr_image_current_gen(const char *roots, unsigned slot);
/* Exports every slot's current root (ROOTS/NNN resolved) as the config's
 * backend says; "none" exports nothing. */
void pr_image_exports_apply(struct pr_image_service *svc);

#endif
