/* loop: timers fire in order, workers' results arrive on the loop's
 * thread, signals arrive as callbacks, removed fds stay quiet. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "pirack/loop.h"

struct record {
    struct pr_loop *loop;
    char order[32];
    size_t n;
    int fired;
    pthread_t loop_thread;
    int wrong_thread;
};

static void mark(struct record *r, char c)
{
    if (r->n < sizeof(r->order) - 1)
        r->order[r->n++] = c;
}

static void timer_a(void *ctx)
{
    mark(ctx, 'a');
}
static void timer_b(void *ctx)
{
    mark(ctx, 'b');
}
static void timer_stop(void *ctx)
{
    struct record *r = ctx;

    mark(r, 's');
    pr_loop_stop(r->loop);
}

static void timers_fire_in_deadline_order(void **state)
{
    struct record r = { 0 };
    struct pr_timer *a, *b, *s;

    (void)state;
    r.loop = pr_loop_new();
    a = pr_timer_new(r.loop, timer_a, &r);
    b = pr_timer_new(r.loop, timer_b, &r);
    s = pr_timer_new(r.loop, timer_stop, &r);
    pr_timer_arm(b, 40, 0);
    pr_timer_arm(a, 10, 0);
    pr_timer_arm(s, 80, 0);
    assert_int_equal(pr_loop_run(r.loop), 0);
    assert_string_equal(r.order, "abs");
    pr_timer_free(a);
    pr_timer_free(b);
    pr_timer_free(s);
    pr_loop_free(r.loop);
}

static void count_tick(void *ctx)
{
    struct record *r = ctx;

    if (++r->fired == 3)
        pr_loop_stop(r->loop);
}

static void interval_timer_repeats_and_disarm_stops_it(void **state)
{
    struct record r = { 0 };
    struct pr_timer *t, *never;
    uint64_t start = pr_now_ms();

    (void)state;
    r.loop = pr_loop_new();
    t = pr_timer_new(r.loop, count_tick, &r);
    never = pr_timer_new(r.loop, timer_a, &r);
    pr_timer_arm(never, 5, 0);
    pr_timer_disarm(never);
    pr_timer_arm(t, 5, 5);
    pr_loop_run(r.loop);
    assert_int_equal(r.fired, 3);
    assert_int_equal(r.n, 0); /* the disarmed timer never fired */
    assert_true(pr_now_ms() - start >= 14);
    pr_timer_free(t);
    pr_timer_free(never);
    pr_loop_free(r.loop);
}

static void posted(void *ctx)
{
    struct record *r = ctx;

    if (!pthread_equal(pthread_self(), r->loop_thread))
        r->wrong_thread++;
    if (++r->fired == 400)
        pr_loop_stop(r->loop);
}

static void *worker(void *arg)
{
    struct record *r = arg;

    for (int i = 0; i < 100; i++)
        pr_loop_post(r->loop, posted, r);
    return NULL;
}

static void workers_hand_results_to_the_loop_thread(void **state)
{
    struct record r = { 0 };
    pthread_t th[4];

    (void)state;
    r.loop = pr_loop_new();
    r.loop_thread = pthread_self();
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, worker, &r);
    pr_loop_run(r.loop);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(r.fired, 400);
    assert_int_equal(r.wrong_thread, 0);
    pr_loop_free(r.loop);
}

static void on_signal(void *ctx, int signo)
{
    struct record *r = ctx;

    mark(r, signo == SIGUSR1 ? '1' : '2');
    if (signo == SIGUSR2)
        pr_loop_stop(r->loop);
}

static void signals_arrive_as_callbacks(void **state)
{
    struct record r = { 0 };

    (void)state;
    r.loop = pr_loop_new();
    assert_int_equal(pr_loop_add_signal(r.loop, SIGUSR1, on_signal, &r), 0);
    assert_int_equal(pr_loop_add_signal(r.loop, SIGUSR2, on_signal, &r), 0);
    kill(getpid(), SIGUSR1);
    kill(getpid(), SIGUSR2);
    pr_loop_run(r.loop);
    assert_string_equal(r.order, "12");
    pr_loop_free(r.loop);
}

struct pipes {
    struct pr_loop *loop;
    int p1[2], p2[2];
    int reads;
};

/* The first readable fd removes the other one, which was readable in the
 * same epoll batch: the removed handler must not run. */
static void reader(void *ctx, int fd, uint32_t events)
{
    struct pipes *p = ctx;
    char c;

    (void)events;
    if (read(fd, &c, 1) == 1)
        p->reads++;
    pr_loop_del_fd(p->loop, fd == p->p1[0] ? p->p2[0] : p->p1[0]);
    pr_loop_stop(p->loop);
}

static void removed_fd_is_not_dispatched(void **state)
{
    struct pipes p = { 0 };

    (void)state;
    p.loop = pr_loop_new();
    assert_int_equal(pipe(p.p1), 0);
    assert_int_equal(pipe(p.p2), 0);
    pr_loop_add_fd(p.loop, p.p1[0], EPOLLIN, reader, &p);
    pr_loop_add_fd(p.loop, p.p2[0], EPOLLIN, reader, &p);
    assert_int_equal(write(p.p1[1], "x", 1), 1);
    assert_int_equal(write(p.p2[1], "y", 1), 1);
    pr_loop_run(p.loop);
    assert_int_equal(p.reads, 1);
    assert_int_equal(pr_loop_add_fd(p.loop, -1, EPOLLIN, reader, &p), -EINVAL);
    for (int i = 0; i < 2; i++) {
        close(p.p1[i]);
        close(p.p2[i]);
    }
    pr_loop_free(p.loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(timers_fire_in_deadline_order),
        cmocka_unit_test(interval_timer_repeats_and_disarm_stops_it),
        cmocka_unit_test(workers_hand_results_to_the_loop_thread),
        cmocka_unit_test(signals_arrive_as_callbacks),
        cmocka_unit_test(removed_fd_is_not_dispatched),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
