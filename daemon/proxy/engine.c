/* proxy/engine: desired routes -> map files -> HAProxy, from a worker.
 *
 * The loop's thread owns the desired routes and the status.  The worker
 * takes one job at a time (a copy of the routes and the target), runs
 * pr_proxy_reconcile(), leaves the report in `done` (adding to one not
 * yet taken) and posts a wake-up to the engine's mailbox.  pr_proxy_free()
 * joins the worker and closes the mailbox, so a wake-up still queued
 * never runs on a freed engine. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pirack/loop.h"
#include "pirack/proxy.h"
#include "proxy_internal.h"

struct job {
    struct pr_proxy_target target;
    struct pr_routes routes;
    uint64_t gen;
};

struct result {
    uint64_t gen;
    struct pr_proxy_report rep;
};

struct pr_proxy {
    struct pr_loop *loop;
    struct pr_proxy_settings s;
    struct pr_proxy_target target;
    struct pr_timer *timer;
    pr_proxy_notify_fn notify;
    void *notify_ctx;

    struct pr_routes desired;
    bool *in_haproxy; /* parallel to desired */
    uint64_t gen;     /* bumped when desired changes */
    struct pr_proxy_status status;
    struct pr_proxy_zone zone;

    struct pr_mailbox *mbox; /* the worker's wake-ups: a report is in `done` */
    pthread_t thread;
    bool thread_started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool quit;           /* under mu */
    struct job *pending; /* under mu: the next job, newest wins */
    struct result *done; /* under mu: the newest report */
};

static void notify(struct pr_proxy *p, const char *what, const char *detail)
{
    if (p->notify)
        p->notify(p->notify_ctx, what, detail);
}

static void job_free(struct job *j)
{
    if (!j)
        return;
    pr_routes_clear(&j->routes);
    free(j);
}

/* ---- results, on the loop's thread ---- */

static int64_t unix_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A new Pid, or the same Pid with a younger process (HAProxy as PID 1 in
 * a container), is a restart. */
static bool restarted(const struct pr_haproxy_info *was, const struct pr_haproxy_info *now)
{
    if (was->pid <= 0 || now->pid <= 0)
        return false;
    return was->pid != now->pid ||
           (was->uptime_s >= 0 && now->uptime_s >= 0 && now->uptime_s < was->uptime_s);
}

static void note_reachability(struct pr_proxy *p, const struct pr_proxy_report *rep)
{
    char msg[PR_PATH_MAX + 400];
    bool reachable = rep->info.pid > 0;
    if (reachable && restarted(&p->status.info, &rep->info)) {
        p->status.restarts++;
        snprintf(msg, sizeof msg, "HAProxy restarted (pid %ld -> %ld); routes reconciled",
                 p->status.info.pid, rep->info.pid);
        notify(p, "haproxy.restarted", msg);
    } else if (reachable && !p->status.reachable) {
        snprintf(msg, sizeof msg, "HAProxy %s (pid %ld) answers at %s", rep->info.version,
                 rep->info.pid, p->target.admin);
        notify(p, "haproxy.reachable", msg);
    } else if (!reachable && (p->status.reachable || !p->status.checked)) {
        snprintf(msg, sizeof msg, "%s; routes stay desired", rep->error);
        notify(p, "haproxy.unreachable", msg);
    }
    p->status.reachable = reachable;
    if (reachable)
        p->status.info = rep->info;
}

static void result_free(struct result *r)
{
    if (r) {
        pr_proxy_report_clear(&r->rep);
        free(r);
    }
}

static void apply_result(struct pr_proxy *p, const struct result *r)
{
    note_reachability(p, &r->rep);
    p->status.checked = true;
    p->status.checked_unix_ms = unix_ms();
    snprintf(p->status.error, sizeof p->status.error, "%s", r->rep.error);
    if (!r->rep.error[0])
        p->status.synced_unix_ms = p->status.checked_unix_ms;
    p->status.added += r->rep.added;
    p->status.changed += r->rep.changed;
    p->status.removed += r->rep.removed;
    p->status.swaps += r->rep.swaps;
    p->status.failed += r->rep.failed;
    /* A report for older routes says nothing about the new ones: a newer
     * job is already queued. */
    if (r->gen == p->gen && r->rep.n == p->desired.n)
        memcpy(p->in_haproxy, r->rep.in_haproxy, p->desired.n * sizeof *p->in_haproxy);
}

static void on_wake(void *ctx)
{
    struct pr_proxy *p = ctx;
    pthread_mutex_lock(&p->mu);
    struct result *r = p->done;
    p->done = NULL;
    pthread_mutex_unlock(&p->mu);
    if (r)
        apply_result(p, r);
    result_free(r);
}

/* ---- the worker ---- */

static struct job *next_job(struct pr_proxy *p)
{
    struct job *j = NULL;
    pthread_mutex_lock(&p->mu);
    while (!p->quit && !p->pending)
        pthread_cond_wait(&p->cv, &p->mu);
    if (!p->quit) {
        j = p->pending;
        p->pending = NULL;
    }
    pthread_mutex_unlock(&p->mu);
    return j;
}

static void *worker(void *arg)
{
    struct pr_proxy *p = arg;
    struct job *j;
    while ((j = next_job(p)) != NULL) {
        struct result *r = calloc(1, sizeof *r);
        if (r) {
            pr_proxy_reconcile(&j->target, &j->routes, &r->rep);
            r->gen = j->gen;
            pthread_mutex_lock(&p->mu);
            if (p->done) { /* not taken yet: keep its counts */
                r->rep.added += p->done->rep.added;
                r->rep.changed += p->done->rep.changed;
                r->rep.removed += p->done->rep.removed;
                r->rep.swaps += p->done->rep.swaps;
                r->rep.failed += p->done->rep.failed;
                result_free(p->done);
            }
            p->done = r;
            pthread_mutex_unlock(&p->mu);
            /* One per report; a wake-up that finds `done` taken by an
             * earlier one does nothing.  Should this one fail, the next
             * report's wake-up takes both. */
            pr_mailbox_post(p->mbox, on_wake, p, NULL);
        }
        job_free(j);
    }
    return NULL;
}

void pr_proxy_check_now(struct pr_proxy *p)
{
    struct job *j = calloc(1, sizeof *j);
    if (!j)
        return;
    j->target = p->target;
    j->gen = p->gen;
    for (size_t i = 0; i < p->desired.n; i++)
        if (pr_routes_push(&j->routes, &p->desired.v[i]) < 0) {
            job_free(j);
            return;
        }
    pthread_mutex_lock(&p->mu);
    job_free(p->pending); /* the newer job covers it */
    p->pending = j;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

static void on_timer(void *ctx)
{
    pr_proxy_check_now(ctx);
}

/* ---- desired routes ---- */

static bool same_routes(const struct pr_routes *a, const struct pr_routes *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++) {
        const struct pr_route *x = &a->v[i], *y = &b->v[i];
        if (x->kind != y->kind || x->slot != y->slot || strcmp(x->key, y->key) != 0 ||
            strcmp(x->value, y->value) != 0)
            return false;
    }
    return true;
}

static int copy_checked(const struct pr_routes *rs, const struct pr_prefix6 *pool,
                        struct pr_routes *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < rs->n; i++) {
        struct pr_route r;
        const struct pr_route *in = &rs->v[i];
        int rc = pr_route_make(&r, in->kind, in->slot, in->key, in->value, pool, err, errlen);
        if (rc == 0)
            rc = pr_routes_push(out, &r);
        if (rc < 0) {
            pr_routes_clear(out);
            return rc;
        }
    }
    pr_routes_sort(out);
    int dup = pr_routes_find_duplicate(out, err, errlen);
    if (dup != 0) {
        pr_routes_clear(out);
        return dup < 0 ? dup : -EEXIST;
    }
    return 0;
}

int pr_proxy_set_routes(struct pr_proxy *p, const struct pr_routes *rs,
                        const struct pr_zone_pi *pis, size_t npis, char *err, size_t errlen)
{
    struct pr_routes next;
    int rc = copy_checked(rs, &p->s.pool, &next, err, errlen);
    if (rc < 0)
        return rc;
    int zone = pr_proxy_zone_update(&p->zone, &p->s, pis, npis, err, errlen);
    if (zone > 0) {
        char msg[PR_PATH_MAX + 64];
        snprintf(msg, sizeof msg, "zone %s serial %u", p->s.zone_path, p->zone.serial);
        notify(p, "proxy.zone", msg);
    }
    if (same_routes(&next, &p->desired)) {
        pr_routes_clear(&next);
        return zone < 0 ? zone : 0;
    }
    bool *flags = calloc(next.n + 1, sizeof *flags);
    if (!flags) {
        pr_routes_clear(&next);
        return -ENOMEM;
    }
    rc = pr_proxy_write_maps(p->s.map_dir, &next, &p->s.pool, err, errlen);
    if (rc < 0) {
        free(flags);
        pr_routes_clear(&next);
        return rc;
    }
    pr_routes_clear(&p->desired);
    free(p->in_haproxy);
    p->desired = next;
    p->in_haproxy = flags;
    p->gen++;
    pr_proxy_check_now(p);
    return zone < 0 ? zone : 1;
}

const struct pr_routes *pr_proxy_routes(const struct pr_proxy *p)
{
    return &p->desired;
}

bool pr_proxy_route_in_haproxy(const struct pr_proxy *p, size_t i)
{
    return i < p->desired.n && p->in_haproxy[i];
}

const struct pr_proxy_status *pr_proxy_get_status(const struct pr_proxy *p)
{
    return &p->status;
}

uint32_t pr_proxy_zone_serial(const struct pr_proxy *p)
{
    return p->zone.serial;
}

void pr_proxy_set_notify(struct pr_proxy *p, pr_proxy_notify_fn fn, void *ctx)
{
    p->notify = fn;
    p->notify_ctx = ctx;
}

/* ---- life ---- */

static int start(struct pr_proxy *p, char *err, size_t errlen)
{
    int rc =
        pr_proxy_target_init(&p->target, p->s.admin, p->s.map_dir, &p->s.pool, p->s.timeout_ms);
    if (rc < 0) {
        snprintf(err, errlen, "proxy: admin_socket or map_dir is unusable");
        return rc;
    }
    if ((rc = pr_proxy_prepare_files(&p->s, err, errlen)) < 0)
        return rc;
    if ((rc = pr_proxy_zone_load(&p->zone, p->s.zone_path)) < 0) {
        snprintf(err, errlen, "proxy: cannot read the zone %s: %s", p->s.zone_path, strerror(-rc));
        return rc;
    }
    p->in_haproxy = calloc(1, sizeof *p->in_haproxy);
    p->timer = pr_timer_new(p->loop, on_timer, p);
    if (!p->in_haproxy || !p->timer) {
        snprintf(err, errlen, "proxy: out of memory");
        return -ENOMEM;
    }
    p->mbox = pr_mailbox_new(p->loop);
    if (!p->mbox) {
        snprintf(err, errlen, "proxy: cannot make the worker's mailbox");
        return -ENOMEM;
    }
    if ((rc = -pthread_create(&p->thread, NULL, worker, p)) < 0) {
        snprintf(err, errlen, "proxy: cannot start the worker: %s", strerror(-rc));
        return rc;
    }
    p->thread_started = true;
    rc = pr_timer_arm(p->timer, 0, p->s.check_ms);
    if (rc < 0)
        snprintf(err, errlen, "proxy: cannot arm the check timer: %s", strerror(-rc));
    return rc;
}

struct pr_proxy *pr_proxy_new(struct pr_loop *loop, const struct pr_proxy_settings *s, char *err,
                              size_t errlen)
{
    struct pr_proxy *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "proxy: out of memory");
        return NULL;
    }
    p->loop = loop;
    p->s = *s;
    if (!p->s.timeout_ms)
        p->s.timeout_ms = 1000;
    if (!p->s.check_ms)
        p->s.check_ms = 5000;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    if (start(p, err, errlen) < 0) {
        pr_proxy_free(p);
        return NULL;
    }
    return p;
}

void pr_proxy_free(struct pr_proxy *p)
{
    if (!p)
        return;
    if (p->thread_started) {
        pthread_mutex_lock(&p->mu);
        p->quit = true;
        pthread_cond_signal(&p->cv);
        pthread_mutex_unlock(&p->mu);
        pthread_join(p->thread, NULL);
    }
    pr_mailbox_close(p->mbox); /* a wake-up still queued never runs */
    job_free(p->pending);
    result_free(p->done);
    pr_timer_free(p->timer);
    pr_routes_clear(&p->desired);
    free(p->in_haproxy);
    pr_proxy_zone_clear(&p->zone);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
}
