/* loop: the one place that waits.  epoll for file descriptors, timerfd for
 * timers, signalfd for signals, an eventfd for work handed back by worker
 * threads.  Everything except pr_loop_post() must be called on the loop's
 * own thread. */
#ifndef PIRACK_LOOP_H
#define PIRACK_LOOP_H

#include <stdint.h>

struct pr_loop;
struct pr_timer;

typedef void (*pr_io_fn)(void *ctx, int fd, uint32_t events);
typedef void (*pr_timer_fn)(void *ctx);
typedef void (*pr_signal_fn)(void *ctx, int signo);
typedef void (*pr_post_fn)(void *ctx);

/* Monotonic milliseconds, for deadlines. */
uint64_t pr_now_ms(void);

struct pr_loop *pr_loop_new(void);
void pr_loop_free(struct pr_loop *loop); /* accepts NULL */

/* events are EPOLLIN / EPOLLOUT bits.  Returns 0 or -errno. */
int pr_loop_add_fd(struct pr_loop *loop, int fd, uint32_t events, pr_io_fn fn, void *ctx);
int pr_loop_mod_fd(struct pr_loop *loop, int fd, uint32_t events);
int pr_loop_del_fd(struct pr_loop *loop, int fd);

/* A timer is disarmed when made.  pr_timer_arm() fires once after
 * delay_ms (0 means "on the next turn of the loop"), then every interval_ms
 * when interval_ms > 0. */
struct pr_timer *pr_timer_new(struct pr_loop *loop, pr_timer_fn fn, void *ctx);
int pr_timer_arm(struct pr_timer *t, uint64_t delay_ms, uint64_t interval_ms);
int pr_timer_disarm(struct pr_timer *t);
void pr_timer_free(struct pr_timer *t); /* accepts NULL */

/* Blocks signo for the process and delivers it through the loop. */
int pr_loop_add_signal(struct pr_loop *loop, int signo, pr_signal_fn fn, void *ctx);

/* Thread-safe: queues fn(ctx) to run on the loop's thread, in order.
 * The one way a worker hands a result back.  Returns 0 or -errno. */
int pr_loop_post(struct pr_loop *loop, pr_post_fn fn, void *ctx);

/* Runs until pr_loop_stop(); returns 0, or -errno on a fatal epoll error. */
int pr_loop_run(struct pr_loop *loop);
void pr_loop_stop(struct pr_loop *loop);

#endif
