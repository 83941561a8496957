/* The per-switch worker: a thread that owns one connection and runs the
 * switch's operations in the order they came, so a slow or dead switch
 * holds up only itself.  Results go back to the loop's thread through
 * the switch's mailbox, which pr_poe_switch_free() closes, so no result
 * arrives after it; the worker never touches anything of the daemon's. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "pirack/loop.h"
#include "poe_internal.h"

#define QUEUE_MAX 256

struct op {
    struct op *next;
    uint64_t id;
    enum pr_poe_action action;
    struct pr_poe_options opts;
    size_t n;
    unsigned *ports;
    pr_poe_done_fn done;
    void *ctx;
    uint64_t queued_ms; /* when it was submitted */
};

/* What crosses to the loop's thread: owns its result. */
struct delivery {
    pr_poe_done_fn done;
    void *ctx;
    uint64_t id;
    struct pr_poe_result result;
};

struct pr_poe_switch {
    struct pr_switch_config cfg; /* a copy: the daemon may reload its own */
    const struct pr_poe_profile *profile;
    struct pr_mailbox *mbox; /* results to the loop's thread */
    struct pr_poe_conn *conn;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct op *head, *tail;
    unsigned queued;
    uint64_t next_id;
    bool stopping;
    /* The last op found the switch unreachable (after its retries): when,
     * and what it said.  0 once an op gets through.  Worker-only. */
    uint64_t down_ms;
    int down_err;
    char down_message[PR_POE_MSG_MAX];
};

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* An op that waited while another found the switch unreachable is
 * answered with that finding rather than tried again: trying would double
 * the time to report a dead switch (and log its failure twice).  Ops
 * submitted after the finding try afresh. */
static bool answered_by_finding(struct pr_poe_switch *sw, const struct op *o,
                                struct pr_poe_result *r)
{
    if (!sw->down_ms || o->queued_ms > sw->down_ms)
        return false;
    r->action = o->action;
    r->n_ports = 0;
    r->ports = NULL;
    r->main_power_w = r->main_consumption_w = -1;
    r->err = sw->down_err;
    snprintf(r->message, sizeof(r->message), "%.200s (found while this waited)", sw->down_message);
    return true;
}

static void note_finding(struct pr_poe_switch *sw, const struct pr_poe_result *r)
{
    if (!pr_poe_error_transient(r->err)) {
        sw->down_ms = 0;
        return;
    }
    sw->down_ms = mono_ms();
    sw->down_err = r->err;
    snprintf(sw->down_message, sizeof(sw->down_message), "%.200s", r->message);
}

static void op_free(struct op *o)
{
    if (o)
        free(o->ports);
    free(o);
}

static void delivery_free(void *arg)
{
    struct delivery *dl = arg;
    pr_poe_result_clear(&dl->result);
    free(dl);
}

static void deliver(void *arg)
{
    struct delivery *dl = arg;
    dl->done(dl->ctx, dl->id, &dl->result);
    delivery_free(dl);
}

static void run_op(struct pr_poe_switch *sw, struct op *o)
{
    struct delivery *dl = calloc(1, sizeof(*dl));
    if (!dl)
        return; /* nothing to report with: the op is lost */
    dl->done = o->done;
    dl->ctx = o->ctx;
    dl->id = o->id;
    if (answered_by_finding(sw, o, &dl->result)) {
        pr_mailbox_post(sw->mbox, deliver, dl, delivery_free);
        return;
    }
    pr_poe_conn_run_retrying(sw->conn, sw->cfg.retries, o->action, o->ports, o->n, &o->opts,
                             &dl->result);
    note_finding(sw, &dl->result);
    if (pr_poe_error_transient(dl->result.err))
        pr_poe_conn_disconnect(sw->conn);
    pr_mailbox_post(sw->mbox, deliver, dl, delivery_free); /* frees dl if it fails */
}

static void *worker(void *arg)
{
    struct pr_poe_switch *sw = arg;
    pthread_mutex_lock(&sw->lock);
    for (;;) {
        while (!sw->head && !sw->stopping)
            pthread_cond_wait(&sw->wake, &sw->lock);
        if (sw->stopping)
            break;
        struct op *o = sw->head;
        sw->head = o->next;
        if (!sw->head)
            sw->tail = NULL;
        sw->queued--;
        pthread_mutex_unlock(&sw->lock);
        run_op(sw, o);
        op_free(o);
        pthread_mutex_lock(&sw->lock);
        /* Idle: log out rather than hold a session the switch will time
         * out (and count against its few CLI sessions). */
        if (!sw->head) {
            pthread_mutex_unlock(&sw->lock);
            pr_poe_conn_disconnect(sw->conn);
            pthread_mutex_lock(&sw->lock);
        }
    }
    pthread_mutex_unlock(&sw->lock);
    return NULL;
}

int pr_poe_switch_new(const struct pr_switch_config *cfg, const struct pr_poe_profile *profile,
                      struct pr_loop *loop, struct pr_poe_switch **out, char *err, size_t errlen)
{
    *out = NULL;
    struct pr_poe_switch *sw = calloc(1, sizeof(*sw));
    if (!sw)
        return -ENOMEM;
    sw->cfg = *cfg;
    sw->profile = profile;
    sw->next_id = 1;
    int rc = pr_poe_conn_open(&sw->cfg, profile, &sw->conn, err, errlen);
    if (rc < 0) {
        free(sw);
        return rc;
    }
    sw->mbox = pr_mailbox_new(loop);
    if (!sw->mbox) {
        snprintf(err, errlen, "cannot make the mailbox of switch %s", cfg->name);
        pr_poe_conn_close(sw->conn);
        free(sw);
        return loop ? -ENOMEM : -EINVAL;
    }
    pthread_mutex_init(&sw->lock, NULL);
    pthread_cond_init(&sw->wake, NULL);
    rc = -pthread_create(&sw->thread, NULL, worker, sw);
    if (rc < 0) {
        snprintf(err, errlen, "cannot start the worker of switch %s", cfg->name);
        pr_mailbox_close(sw->mbox);
        pr_poe_conn_close(sw->conn);
        pthread_mutex_destroy(&sw->lock);
        pthread_cond_destroy(&sw->wake);
        free(sw);
        return rc;
    }
    *out = sw;
    return 0;
}

void pr_poe_switch_free(struct pr_poe_switch *sw)
{
    if (!sw)
        return;
    pthread_mutex_lock(&sw->lock);
    sw->stopping = true;
    pthread_cond_signal(&sw->wake);
    pthread_mutex_unlock(&sw->lock);
    pthread_join(sw->thread, NULL);
    /* Results not yet delivered are freed without their callbacks. */
    pr_mailbox_close(sw->mbox);
    while (sw->head) {
        struct op *o = sw->head;
        sw->head = o->next;
        op_free(o);
    }
    pr_poe_conn_close(sw->conn);
    pthread_mutex_destroy(&sw->lock);
    pthread_cond_destroy(&sw->wake);
    free(sw);
}

int64_t pr_poe_switch_submit(struct pr_poe_switch *sw, enum pr_poe_action a, const unsigned *ports,
                             size_t n, const struct pr_poe_options *o, pr_poe_done_fn done,
                             void *ctx)
{
    if (n == 0 || n > PR_POE_MAX_PORTS)
        return -E2BIG;
    struct op *op = calloc(1, sizeof(*op));
    if (!op || !(op->ports = malloc(n * sizeof(*ports)))) {
        free(op);
        return -ENOMEM;
    }
    memcpy(op->ports, ports, n * sizeof(*ports));
    op->n = n;
    op->action = a;
    if (o)
        op->opts = *o;
    else
        pr_poe_options_default(&op->opts);
    op->done = done;
    op->ctx = ctx;
    op->queued_ms = mono_ms();
    pthread_mutex_lock(&sw->lock);
    if (sw->queued >= QUEUE_MAX) {
        pthread_mutex_unlock(&sw->lock);
        op_free(op);
        return -ENOSPC;
    }
    op->id = sw->next_id++;
    if (sw->tail)
        sw->tail->next = op;
    else
        sw->head = op;
    sw->tail = op;
    sw->queued++;
    int64_t id = (int64_t)op->id;
    pthread_cond_signal(&sw->wake);
    pthread_mutex_unlock(&sw->lock);
    return id;
}

const char *pr_poe_switch_name(const struct pr_poe_switch *sw)
{
    return sw->cfg.name;
}
