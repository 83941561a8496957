/* loop: timers fire in order, workers' results arrive on the loop's
 * thread in order and never after their mailbox closed, signals arrive as
 * callbacks, removed fds stay quiet. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
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

/* ---- mailboxes ---- */

#define POSTERS 4
#define PER_POSTER 100
#define LIMIT_MS 5000 /* every test loop gives up after this */

/* One message: who posted it, its number, and where to count. */
struct mail_box_test;
struct msg {
    struct mail_box_test *t;
    unsigned poster, seq;
};

struct mail_box_test {
    struct pr_loop *loop;
    struct pr_mailbox *mb;
    pthread_t loop_thread;
    atomic_int ran, dropped, wrong_thread, out_of_order;
    unsigned next_seq[POSTERS];            /* loop's thread only */
    atomic_int seen[POSTERS * PER_POSTER]; /* fn or drop, per message */
    unsigned want;                         /* stop the loop after this many */
    unsigned close_after;                  /* close from inside fn number n (0: never) */
    atomic_int closed;                     /* the owner has closed */
    atomic_int posted_after_close, refused;
};

static void msg_seen(struct msg *m)
{
    atomic_fetch_add(&m->t->seen[m->poster * PER_POSTER + m->seq], 1);
}

static void msg_run(void *arg)
{
    struct msg *m = arg;
    struct mail_box_test *t = m->t;
    int n;

    msg_seen(m);
    if (!pthread_equal(pthread_self(), t->loop_thread))
        atomic_fetch_add(&t->wrong_thread, 1);
    if (m->seq != t->next_seq[m->poster])
        atomic_fetch_add(&t->out_of_order, 1);
    t->next_seq[m->poster] = m->seq + 1;
    n = atomic_fetch_add(&t->ran, 1) + 1;
    free(m);
    if (t->close_after && (unsigned)n == t->close_after) {
        pr_mailbox_close(t->mb);
        atomic_store(&t->closed, 1);
        pr_loop_stop(t->loop);
    }
    if (t->want && (unsigned)n == t->want)
        pr_loop_stop(t->loop);
}

static void msg_drop(void *arg)
{
    struct msg *m = arg;

    msg_seen(m);
    atomic_fetch_add(&m->t->dropped, 1);
    free(m);
}

struct poster {
    struct mail_box_test *t;
    unsigned id;
    pthread_t th;
};

static void post_one(struct poster *p, unsigned seq)
{
    struct msg *m = malloc(sizeof(*m));
    int closed_before = atomic_load(&p->t->closed);
    int r;

    assert_non_null(m); /* a failed assert on a worker aborts the test: fine */
    *m = (struct msg){ p->t, p->id, seq };
    r = pr_mailbox_post(p->t->mb, msg_run, m, msg_drop);
    if (closed_before)
        atomic_fetch_add(&p->t->posted_after_close, 1);
    if (r < 0)
        atomic_fetch_add(&p->t->refused, 1);
}

static void *poster_main(void *arg)
{
    struct poster *p = arg;

    for (unsigned i = 0; i < PER_POSTER; i++)
        post_one(p, i);
    return NULL;
}

static void give_up(void *ctx)
{
    pr_loop_stop(ctx);
}

/* Runs the loop until it is stopped, or LIMIT_MS. */
static void run_bounded(struct pr_loop *loop, uint64_t limit_ms)
{
    struct pr_timer *limit = pr_timer_new(loop, give_up, loop);

    assert_non_null(limit);
    pr_timer_arm(limit, limit_ms, 0);
    assert_int_equal(pr_loop_run(loop), 0);
    pr_timer_free(limit);
}

static void start_posters(struct mail_box_test *t, struct poster *ps)
{
    for (unsigned i = 0; i < POSTERS; i++) {
        ps[i] = (struct poster){ t, i, 0 };
        assert_int_equal(pthread_create(&ps[i].th, NULL, poster_main, &ps[i]), 0);
    }
}

static void join_posters(struct poster *ps)
{
    for (unsigned i = 0; i < POSTERS; i++)
        pthread_join(ps[i].th, NULL);
}

static void every_message_seen_once(struct mail_box_test *t)
{
    for (unsigned i = 0; i < POSTERS * PER_POSTER; i++)
        assert_int_equal(atomic_load(&t->seen[i]), 1);
}

static struct mail_box_test *mail_test_new(void)
{
    struct mail_box_test *t = calloc(1, sizeof(*t));

    assert_non_null(t);
    t->loop = pr_loop_new();
    assert_non_null(t->loop);
    t->loop_thread = pthread_self();
    t->mb = pr_mailbox_new(t->loop);
    assert_non_null(t->mb);
    return t;
}

static void mail_test_free(struct mail_box_test *t)
{
    pr_loop_free(t->loop);
    free(t);
}

/* Several workers post at once: everything runs, on the loop's thread,
 * in the order each worker posted. */
static void posts_run_on_the_loop_thread_in_order_per_poster(void **state)
{
    struct mail_box_test *t = mail_test_new();
    struct poster ps[POSTERS];

    (void)state;
    t->want = POSTERS * PER_POSTER;
    start_posters(t, ps);
    run_bounded(t->loop, LIMIT_MS);
    join_posters(ps);
    assert_int_equal(atomic_load(&t->ran), POSTERS * PER_POSTER);
    assert_int_equal(atomic_load(&t->dropped), 0);
    assert_int_equal(atomic_load(&t->wrong_thread), 0);
    assert_int_equal(atomic_load(&t->out_of_order), 0);
    assert_int_equal(atomic_load(&t->refused), 0);
    every_message_seen_once(t);
    pr_mailbox_close(t->mb);
    mail_test_free(t);
}

/* Closed with everything still queued: no fn runs, then or later, and
 * every message's drop runs once. */
static void close_drops_what_is_queued(void **state)
{
    struct mail_box_test *t = mail_test_new();
    struct poster ps[POSTERS];

    (void)state;
    start_posters(t, ps);
    join_posters(ps); /* all queued; the loop has not turned */
    pr_mailbox_close(t->mb);
    assert_int_equal(atomic_load(&t->dropped), POSTERS * PER_POSTER);
    run_bounded(t->loop, 50); /* nothing is left to wake it */
    assert_int_equal(atomic_load(&t->ran), 0);
    assert_int_equal(atomic_load(&t->dropped), POSTERS * PER_POSTER);
    every_message_seen_once(t);
    mail_test_free(t);
}

/* A fn that closes its own mailbox: the messages after it in the same
 * wake-up are dropped, not run, and nothing is freed twice. */
static void close_from_inside_a_callback(void **state)
{
    struct mail_box_test *t = mail_test_new();
    struct poster ps[POSTERS];

    (void)state;
    t->close_after = 3;
    start_posters(t, ps);
    join_posters(ps);
    run_bounded(t->loop, LIMIT_MS);
    assert_int_equal(atomic_load(&t->closed), 1);
    run_bounded(t->loop, 50);
    assert_int_equal(atomic_load(&t->ran), 3);
    assert_int_equal(atomic_load(&t->dropped), POSTERS * PER_POSTER - 3);
    every_message_seen_once(t);
    mail_test_free(t);
}

/* Workers keep posting while the owner closes: each holds a reference,
 * posts after the close come back -EPIPE with their payload freed, and
 * the mailbox lives until the last worker lets go (ASan checks the
 * memory). */
struct ref_poster {
    struct poster p;
    struct pr_mailbox *ref;
    pthread_mutex_t *mu;
    pthread_cond_t *cv;
    int *go; /* under mu: 1 = post the first half, 2 = the rest */
};

static void wait_for(struct ref_poster *rp, int step)
{
    pthread_mutex_lock(rp->mu);
    while (*rp->go < step)
        pthread_cond_wait(rp->cv, rp->mu);
    pthread_mutex_unlock(rp->mu);
}

static void *ref_poster_main(void *arg)
{
    struct ref_poster *rp = arg;

    wait_for(rp, 1);
    for (unsigned i = 0; i < PER_POSTER / 2; i++)
        post_one(&rp->p, i);
    wait_for(rp, 2);
    for (unsigned i = PER_POSTER / 2; i < PER_POSTER; i++)
        post_one(&rp->p, i);
    pr_mailbox_unref(rp->ref);
    return NULL;
}

static void posting_after_close_frees_the_payload(void **state)
{
    struct mail_box_test *t = mail_test_new();
    struct ref_poster rps[POSTERS];
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    int go = 0;

    (void)state;
    t->want = POSTERS * PER_POSTER / 2;
    for (unsigned i = 0; i < POSTERS; i++) {
        rps[i] = (struct ref_poster){ { t, i, 0 }, pr_mailbox_ref(t->mb), &mu, &cv, &go };
        assert_int_equal(pthread_create(&rps[i].p.th, NULL, ref_poster_main, &rps[i]), 0);
    }
    pthread_mutex_lock(&mu);
    go = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    run_bounded(t->loop, LIMIT_MS); /* the first halves all run */
    assert_int_equal(atomic_load(&t->ran), POSTERS * PER_POSTER / 2);
    pr_mailbox_close(t->mb); /* the workers still hold theirs */
    atomic_store(&t->closed, 1);
    pthread_mutex_lock(&mu);
    go = 2;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    for (unsigned i = 0; i < POSTERS; i++)
        pthread_join(rps[i].p.th, NULL);
    run_bounded(t->loop, 50);
    assert_int_equal(atomic_load(&t->ran), POSTERS * PER_POSTER / 2);
    assert_int_equal(atomic_load(&t->dropped), POSTERS * PER_POSTER / 2);
    assert_int_equal(atomic_load(&t->posted_after_close), POSTERS * PER_POSTER / 2);
    assert_int_equal(atomic_load(&t->refused), POSTERS * PER_POSTER / 2);
    assert_int_equal(atomic_load(&t->wrong_thread), 0);
    assert_int_equal(atomic_load(&t->out_of_order), 0);
    every_message_seen_once(t);
    mail_test_free(t);
}

/* Closing in the middle of a stream: whatever the timing, each message
 * meets its fn or its drop, exactly once, and no fn runs after the close. */
static void close_races_with_posters(void **state)
{
    (void)state;
    for (int round = 0; round < 20; round++) {
        struct mail_box_test *t = mail_test_new();
        struct ref_poster rps[POSTERS];
        pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
        pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
        int go = 2;
        int ran_at_close;

        t->want = (unsigned)(round * 17 % (POSTERS * PER_POSTER)) + 1;
        for (unsigned i = 0; i < POSTERS; i++) {
            rps[i] = (struct ref_poster){ { t, i, 0 }, pr_mailbox_ref(t->mb), &mu, &cv, &go };
            assert_int_equal(pthread_create(&rps[i].p.th, NULL, ref_poster_main, &rps[i]), 0);
        }
        run_bounded(t->loop, LIMIT_MS);
        pr_mailbox_close(t->mb);
        ran_at_close = atomic_load(&t->ran);
        for (unsigned i = 0; i < POSTERS; i++)
            pthread_join(rps[i].p.th, NULL);
        run_bounded(t->loop, 20);
        assert_int_equal(atomic_load(&t->ran), ran_at_close);
        assert_int_equal(atomic_load(&t->ran) + atomic_load(&t->dropped), POSTERS * PER_POSTER);
        assert_int_equal(atomic_load(&t->out_of_order), 0);
        every_message_seen_once(t);
        mail_test_free(t);
    }
}

static void post_refuses_a_missing_fn_and_frees(void **state)
{
    struct mail_box_test *t = mail_test_new();
    struct msg *m = malloc(sizeof(*m));

    (void)state;
    assert_non_null(m);
    *m = (struct msg){ t, 0, 0 };
    assert_int_equal(pr_mailbox_post(t->mb, NULL, m, msg_drop), -EINVAL);
    assert_int_equal(atomic_load(&t->dropped), 1);
    assert_null(pr_mailbox_new(NULL));
    pr_mailbox_close(NULL);
    pr_mailbox_unref(NULL);
    pr_mailbox_close(t->mb);
    mail_test_free(t);
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
        cmocka_unit_test(posts_run_on_the_loop_thread_in_order_per_poster),
        cmocka_unit_test(close_drops_what_is_queued),
        cmocka_unit_test(close_from_inside_a_callback),
        cmocka_unit_test(posting_after_close_frees_the_payload),
        cmocka_unit_test(close_races_with_posters),
        cmocka_unit_test(post_refuses_a_missing_fn_and_frees),
        cmocka_unit_test(signals_arrive_as_callbacks),
        cmocka_unit_test(removed_fd_is_not_dispatched),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
