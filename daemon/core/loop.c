/* core/loop: epoll over every descriptor the daemon waits on.
 *
 * Handlers are found by fd in a table rather than through a pointer in
 * epoll_event.data, so a handler that removes another fd in the same
 * batch of events never leaves a dangling pointer behind. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include "pirack/loop.h"
#include "core_internal.h"

#define MAX_EVENTS 64

struct fd_handler {
    pr_io_fn fn;
    void *ctx;
};

struct signal_handler {
    pr_signal_fn fn;
    void *ctx;
};

struct mail {
    struct mail *next;
    pr_post_fn fn, drop;
    void *msg;
};

/* `refs`, `closed` and the queue are under `lock`; `closed` is only ever
 * set on the loop's thread, which may therefore read it without the
 * lock.  A post writes the eventfd under the lock after seeing the
 * mailbox open, and close() sets `closed` under the same lock before it
 * closes the eventfd, so no post writes to a descriptor that is gone. */
struct pr_mailbox {
    struct pr_loop *loop;
    int efd;
    pthread_mutex_t lock;
    unsigned refs;
    bool closed;
    struct mail *head, *tail;
};

struct pr_loop {
    int epfd;
    struct fd_handler *handlers; /* indexed by fd */
    size_t n_handlers;
    bool running;

    int sigfd;
    sigset_t sigmask;
    struct signal_handler signals[_NSIG];
};

struct pr_timer {
    struct pr_loop *loop;
    int fd;
    pr_timer_fn fn;
    void *ctx;
};

uint64_t pr_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int grow_handlers(struct pr_loop *loop, int fd)
{
    size_t want = (size_t)fd + 1;
    struct fd_handler *h;

    if (want <= loop->n_handlers)
        return 0;
    if (want < loop->n_handlers * 2)
        want = loop->n_handlers * 2;
    h = realloc(loop->handlers, want * sizeof(*h));
    if (!h)
        return -ENOMEM;
    memset(h + loop->n_handlers, 0, (want - loop->n_handlers) * sizeof(*h));
    loop->handlers = h;
    loop->n_handlers = want;
    return 0;
}

int pr_loop_add_fd(struct pr_loop *loop, int fd, uint32_t events, pr_io_fn fn, void *ctx)
{
    struct epoll_event ev = { .events = events, .data.fd = fd };
    int r;

    if (fd < 0 || !fn)
        return -EINVAL;
    r = grow_handlers(loop, fd);
    if (r < 0)
        return r;
    if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
        return -errno;
    loop->handlers[fd] = (struct fd_handler){ fn, ctx };
    return 0;
}

int pr_loop_mod_fd(struct pr_loop *loop, int fd, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.fd = fd };

    return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

int pr_loop_del_fd(struct pr_loop *loop, int fd)
{
    if (fd < 0 || (size_t)fd >= loop->n_handlers || !loop->handlers[fd].fn)
        return -ENOENT;
    loop->handlers[fd] = (struct fd_handler){ NULL, NULL };
    return epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL) < 0 ? -errno : 0;
}

static void run_signal(void *ctx, int fd, uint32_t events)
{
    struct pr_loop *loop = ctx;
    struct signalfd_siginfo si;

    (void)events;
    while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        struct signal_handler *h;

        if (si.ssi_signo >= _NSIG)
            continue;
        h = &loop->signals[si.ssi_signo];
        if (h->fn)
            h->fn(h->ctx, (int)si.ssi_signo);
    }
}

struct pr_loop *pr_loop_new(void)
{
    struct pr_loop *loop = calloc(1, sizeof(*loop));

    if (!loop)
        return NULL;
    loop->epfd = epoll_create1(EPOLL_CLOEXEC);
    loop->sigfd = -1;
    sigemptyset(&loop->sigmask);
    if (loop->epfd < 0) {
        pr_loop_free(loop);
        return NULL;
    }
    return loop;
}

void pr_loop_free(struct pr_loop *loop)
{
    if (!loop)
        return;
    if (loop->sigfd >= 0) {
        close(loop->sigfd);
        pthread_sigmask(SIG_UNBLOCK, &loop->sigmask, NULL);
    }
    if (loop->epfd >= 0)
        close(loop->epfd);
    free(loop->handlers);
    free(loop);
}

int pr_loop_add_signal(struct pr_loop *loop, int signo, pr_signal_fn fn, void *ctx)
{
    int fd;

    if (signo <= 0 || signo >= _NSIG)
        return -EINVAL;
    sigaddset(&loop->sigmask, signo);
    if (pthread_sigmask(SIG_BLOCK, &loop->sigmask, NULL) != 0)
        return -EINVAL;
    fd = signalfd(loop->sigfd, &loop->sigmask, SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd < 0)
        return -errno;
    if (loop->sigfd < 0) {
        int r = pr_loop_add_fd(loop, fd, EPOLLIN, run_signal, loop);

        if (r < 0) {
            close(fd);
            return r;
        }
        loop->sigfd = fd;
    }
    loop->signals[signo] = (struct signal_handler){ fn, ctx };
    return 0;
}

/* ---- mailboxes ---- */

static void drop_all(struct mail *m)
{
    while (m) {
        struct mail *next = m->next;

        if (m->drop)
            m->drop(m->msg);
        free(m);
        m = next;
    }
}

/* Runs what was queued when the loop woke; mail posted meanwhile wakes
 * it again, so a busy poster does not hold the loop. */
static void mailbox_ready(void *ctx, int fd, uint32_t events)
{
    struct pr_mailbox *mb = ctx;
    struct mail *list;
    uint64_t count;

    (void)events;
    if (read(fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
        return;
    pr_mailbox_ref(mb); /* a fn may close the mailbox and drop the owner's */
    pthread_mutex_lock(&mb->lock);
    list = mb->head;
    mb->head = mb->tail = NULL;
    pthread_mutex_unlock(&mb->lock);
    while (list && !mb->closed) {
        struct mail *m = list;

        list = m->next;
        m->fn(m->msg);
        free(m);
    }
    drop_all(list); /* closed by one of the fns */
    pr_mailbox_unref(mb);
}

struct pr_mailbox *pr_mailbox_new(struct pr_loop *loop)
{
    struct pr_mailbox *mb;

    if (!loop || !(mb = calloc(1, sizeof(*mb))))
        return NULL;
    mb->loop = loop;
    mb->refs = 1;
    pthread_mutex_init(&mb->lock, NULL);
    mb->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (mb->efd < 0 || pr_loop_add_fd(loop, mb->efd, EPOLLIN, mailbox_ready, mb) < 0) {
        if (mb->efd >= 0)
            close(mb->efd);
        pthread_mutex_destroy(&mb->lock);
        free(mb);
        return NULL;
    }
    return mb;
}

int pr_mailbox_post(struct pr_mailbox *mb, pr_post_fn fn, void *msg, pr_post_fn drop)
{
    struct mail *m = fn ? malloc(sizeof(*m)) : NULL;
    uint64_t one = 1;

    if (!m) {
        if (drop)
            drop(msg);
        return fn ? -ENOMEM : -EINVAL;
    }
    *m = (struct mail){ NULL, fn, drop, msg };
    pthread_mutex_lock(&mb->lock);
    if (mb->closed) {
        pthread_mutex_unlock(&mb->lock);
        drop_all(m);
        return -EPIPE;
    }
    if (mb->tail)
        mb->tail->next = m;
    else
        mb->head = m;
    mb->tail = m;
    if (write(mb->efd, &one, sizeof(one)) < 0) {
        /* Only a counter at 2^64-2 refuses: a wake-up is pending. */
    }
    pthread_mutex_unlock(&mb->lock);
    return 0;
}

struct pr_mailbox *pr_mailbox_ref(struct pr_mailbox *mb)
{
    pthread_mutex_lock(&mb->lock);
    mb->refs++;
    pthread_mutex_unlock(&mb->lock);
    return mb;
}

void pr_mailbox_unref(struct pr_mailbox *mb)
{
    bool last;

    if (!mb)
        return;
    pthread_mutex_lock(&mb->lock);
    last = --mb->refs == 0;
    pthread_mutex_unlock(&mb->lock);
    if (!last)
        return;
    /* The owner's reference goes in close(), so the mailbox is closed
     * and empty here; nobody else can reach it. */
    pthread_mutex_destroy(&mb->lock);
    free(mb);
}

void pr_mailbox_close(struct pr_mailbox *mb)
{
    struct mail *list;

    if (!mb)
        return;
    pthread_mutex_lock(&mb->lock);
    mb->closed = true;
    list = mb->head;
    mb->head = mb->tail = NULL;
    pthread_mutex_unlock(&mb->lock);
    pr_loop_del_fd(mb->loop, mb->efd);
    close(mb->efd);
    mb->efd = -1;
    drop_all(list);
    pr_mailbox_unref(mb);
}

static void timer_ready(void *ctx, int fd, uint32_t events)
{
    struct pr_timer *t = ctx;
    uint64_t expirations;

    (void)events;
    if (read(fd, &expirations, sizeof(expirations)) < 0)
        return; /* EAGAIN: disarmed or re-armed since it fired */
    t->fn(t->ctx);
}

struct pr_timer *pr_timer_new(struct pr_loop *loop, pr_timer_fn fn, void *ctx)
{
    struct pr_timer *t = calloc(1, sizeof(*t));

    if (!t)
        return NULL;
    *t = (struct pr_timer){ loop, -1, fn, ctx };
    t->fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (t->fd < 0 || pr_loop_add_fd(loop, t->fd, EPOLLIN, timer_ready, t) < 0) {
        if (t->fd >= 0)
            close(t->fd);
        free(t);
        return NULL;
    }
    return t;
}

static struct timespec ms_to_timespec(uint64_t ms)
{
    return (struct timespec){ .tv_sec = (time_t)(ms / 1000),
                              .tv_nsec = (long)(ms % 1000) * 1000000L };
}

int pr_timer_arm(struct pr_timer *t, uint64_t delay_ms, uint64_t interval_ms)
{
    struct itimerspec its = {
        .it_value = ms_to_timespec(delay_ms),
        .it_interval = ms_to_timespec(interval_ms),
    };

    /* A zero it_value disarms a timerfd; "now" is the smallest delay. */
    if (delay_ms == 0)
        its.it_value.tv_nsec = 1;
    return timerfd_settime(t->fd, 0, &its, NULL) < 0 ? -errno : 0;
}

int pr_timer_disarm(struct pr_timer *t)
{
    struct itimerspec its = { 0 };

    return timerfd_settime(t->fd, 0, &its, NULL) < 0 ? -errno : 0;
}

void pr_timer_free(struct pr_timer *t)
{
    if (!t)
        return;
    pr_loop_del_fd(t->loop, t->fd);
    close(t->fd);
    free(t);
}

int pr_loop_run(struct pr_loop *loop)
{
    struct epoll_event events[MAX_EVENTS];

    loop->running = true;
    while (loop->running) {
        int n = epoll_wait(loop->epfd, events, MAX_EVENTS, -1);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        for (int i = 0; i < n && loop->running; i++) {
            int fd = events[i].data.fd;
            struct fd_handler h;

            if ((size_t)fd >= loop->n_handlers || !loop->handlers[fd].fn)
                continue; /* removed by an earlier handler in this batch */
            h = loop->handlers[fd];
            h.fn(h.ctx, fd, events[i].events);
        }
    }
    return 0;
}

void pr_loop_stop(struct pr_loop *loop)
{
    loop->running = false;
}
