/* loop: the one place that waits.  epoll for file descriptors, timerfd for
 * timers, signalfd for signals, and mailboxes (an eventfd each) for work
 * handed back by worker threads.  Everything except pr_mailbox_post(),
 * pr_mailbox_ref() and pr_mailbox_unref() must be called on the loop's
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

/* ---- mailboxes: the one way a worker thread hands work to the loop ----
 *
 * A mailbox belongs to the code on the loop's thread that wants the
 * results (its owner).  Worker threads post messages into it; each
 * message's fn(msg) runs on the loop's thread, in the order the messages
 * were posted (so in order per posting thread).  When the owner goes away
 * it closes the mailbox: from then on no fn of that mailbox runs, neither
 * one still queued nor one posted later, and each such message's drop(msg)
 * runs instead, so whatever the message carries is freed.  Every message
 * meets exactly one of fn and drop, exactly once.
 *
 * The owner holds one reference, given up by pr_mailbox_close().  A worker
 * that may still post after the owner closed takes its own with
 * pr_mailbox_ref() and gives it up with pr_mailbox_unref(); its posts
 * after the close are dropped, and the mailbox's memory lives until the
 * last reference goes.  A worker the owner joins before closing needs no
 * reference of its own.  Close every mailbox before pr_loop_free(). */
struct pr_mailbox;

/* On the loop's thread.  NULL when out of memory or descriptors. */
struct pr_mailbox *pr_mailbox_new(struct pr_loop *loop);

/* Any thread, holding a reference.  Queues fn(msg) for the loop's thread.
 * Always takes msg: when the mailbox is closed (-EPIPE), out of memory
 * (-ENOMEM) or fn is NULL (-EINVAL), drop(msg) has run on the caller's
 * thread before this returns.  drop may be NULL when msg needs no
 * freeing.  Returns 0 or -errno. */
int pr_mailbox_post(struct pr_mailbox *mb, pr_post_fn fn, void *msg, pr_post_fn drop);

/* Any thread. */
struct pr_mailbox *pr_mailbox_ref(struct pr_mailbox *mb);
void pr_mailbox_unref(struct pr_mailbox *mb); /* accepts NULL */

/* On the loop's thread, also from inside one of the mailbox's own fn:
 * no fn of this mailbox runs after it returns.  Drops what is queued (on
 * this thread), stops waking the loop and gives up the owner's
 * reference.  Accepts NULL. */
void pr_mailbox_close(struct pr_mailbox *mb);

/* Runs until pr_loop_stop(); returns 0, or -errno on a fatal epoll error. */
int pr_loop_run(struct pr_loop *loop);
void pr_loop_stop(struct pr_loop *loop);

#endif
