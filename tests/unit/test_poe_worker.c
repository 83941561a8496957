/* The per-switch worker: operations run in the order they came, each
 * result arrives on the loop's thread, a dead switch is retried with
 * back-off and then reported (to the ops that waited behind it too, without
 * retrying it for each), and nothing blocks the loop meanwhile. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "pirack/loop.h"
#include "pirack/poe.h"
#include "poe/poe_internal.h"

struct seen {
    struct pr_loop *loop;
    pthread_t loop_thread;
    uint64_t ids[8];
    int errs[8];
    unsigned attempts[8];
    uint64_t elapsed[8];
    unsigned n, want;
    bool on_loop_thread;
    unsigned ticks; /* loop timer turns while the worker ran */
};

static void done(void *ctx, uint64_t id, const struct pr_poe_result *r)
{
    struct seen *s = ctx;
    s->on_loop_thread &= pthread_equal(pthread_self(), s->loop_thread) != 0;
    s->ids[s->n] = id;
    s->errs[s->n] = r->err;
    s->attempts[s->n] = r->attempts;
    s->elapsed[s->n] = r->elapsed_ms;
    if (++s->n == s->want)
        pr_loop_stop(s->loop);
}

static void tick(void *ctx)
{
    ((struct seen *)ctx)->ticks++;
}

static void give_up(void *ctx)
{
    pr_loop_stop(((struct seen *)ctx)->loop);
}

static void dead_switch(struct pr_switch_config *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->name, sizeof(c->name), "dead");
    c->driver = PR_SWITCH_SNMP;
    snprintf(c->address, sizeof(c->address), "127.0.0.1:9"); /* discard: nobody answers */
    snprintf(c->community, sizeof(c->community), "private");
    c->snmp_version = 2;
    c->group = 1;
    c->timeout_ms = 100;
    c->retries = 2;
}

static void test_ordered_retried_delivered_on_loop(void **state)
{
    struct pr_switch_config cfg;
    struct pr_poe_profile *prof;
    struct pr_poe_switch *sw;
    struct seen s = { .on_loop_thread = true, .want = 3 };
    char err[256];
    unsigned ports[3] = { 1, 2, 3 };
    (void)state;
    dead_switch(&cfg);
    assert_int_equal(pr_poe_profile_load("poe/profiles", "standard", &prof, err, sizeof(err)), 0);
    s.loop = pr_loop_new();
    s.loop_thread = pthread_self();
    assert_int_equal(pr_poe_switch_new(&cfg, prof, s.loop, &sw, err, sizeof(err)), 0);
    assert_string_equal(pr_poe_switch_name(sw), "dead");

    int64_t a = pr_poe_switch_submit(sw, PR_POE_OFF, ports, 3, NULL, done, &s);
    int64_t b = pr_poe_switch_submit(sw, PR_POE_STATUS, ports, 1, NULL, done, &s);
    int64_t c = pr_poe_switch_submit(sw, PR_POE_ON, ports + 2, 1, NULL, done, &s);
    assert_true(a > 0 && b == a + 1 && c == b + 1);

    struct pr_timer *t = pr_timer_new(s.loop, tick, &s), *limit = pr_timer_new(s.loop, give_up, &s);
    pr_timer_arm(t, 50, 50);
    pr_timer_arm(limit, 20000, 0);
    assert_int_equal(pr_loop_run(s.loop), 0);

    assert_int_equal(s.n, 3);
    assert_true(s.on_loop_thread);
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(s.ids[i], (uint64_t)a + i); /* in order */
        assert_true(s.errs[i] == -ETIMEDOUT || s.errs[i] == -ECONNREFUSED);
    }
    assert_int_equal(s.attempts[0], 3);     /* 1 + retries */
    assert_true(s.elapsed[0] >= 250 + 500); /* the back-off */
    /* The ops that waited behind it get its finding at once: retrying
     * them would report the dead switch only after 3 times as long. */
    for (unsigned i = 1; i < 3; i++) {
        assert_int_equal(s.attempts[i], 0);
        assert_int_equal(s.errs[i], s.errs[0]);
    }
    /* The loop kept turning while the worker waited on the switch. */
    assert_true(s.ticks >= 20);
    pr_timer_free(t);
    pr_timer_free(limit);
    pr_poe_switch_free(sw);
    pr_poe_profile_free(prof);
    pr_loop_free(s.loop);
}

static void test_limits_and_free_with_queue(void **state)
{
    struct pr_switch_config cfg;
    struct pr_poe_profile *prof;
    struct pr_poe_switch *sw;
    struct seen s = { .want = 100 };
    static unsigned many[PR_POE_MAX_PORTS + 1];
    char err[256];
    (void)state;
    dead_switch(&cfg);
    cfg.retries = 0;
    assert_int_equal(pr_poe_profile_load("poe/profiles", "standard", &prof, err, sizeof(err)), 0);
    s.loop = pr_loop_new();
    assert_int_equal(pr_poe_switch_new(&cfg, prof, s.loop, &sw, err, sizeof(err)), 0);
    assert_int_equal(
        pr_poe_switch_submit(sw, PR_POE_ON, many, PR_POE_MAX_PORTS + 1, NULL, done, &s), -E2BIG);
    assert_int_equal(pr_poe_switch_submit(sw, PR_POE_ON, many, 0, NULL, done, &s), -E2BIG);
    many[0] = 1;
    for (int i = 0; i < 5; i++)
        assert_true(pr_poe_switch_submit(sw, PR_POE_ON, many, 1, NULL, done, &s) > 0);
    /* Freeing waits for the op in progress and drops the rest, and the
     * result of the one in progress: no done runs after the free. */
    pr_poe_switch_free(sw);
    pr_poe_switch_free(NULL);
    struct pr_timer *limit = pr_timer_new(s.loop, give_up, &s);
    pr_timer_arm(limit, 300, 0);
    assert_int_equal(pr_loop_run(s.loop), 0);
    assert_int_equal(s.n, 0);
    pr_timer_free(limit);
    pr_poe_profile_free(prof);
    pr_loop_free(s.loop);
}

static void test_config_refused_before_any_traffic(void **state)
{
    struct pr_switch_config cfg;
    struct pr_poe_profile *prof;
    struct pr_poe_switch *sw = NULL;
    char err[256] = "";
    (void)state;
    dead_switch(&cfg);
    cfg.driver = PR_SWITCH_SSH;
    snprintf(cfg.ssh_user, sizeof(cfg.ssh_user), "admin");
    snprintf(cfg.ssh_password, sizeof(cfg.ssh_password), "pw");
    assert_int_equal(pr_poe_profile_load("poe/profiles", "procurve", &prof, err, sizeof(err)), 0);
    /* No pinned key and no known_hosts: never trust a host key blindly. */
    assert_int_equal(pr_poe_switch_new(&cfg, prof, NULL, &sw, err, sizeof(err)), -EINVAL);
    assert_null(sw);
    assert_non_null(strstr(err, "hostkey"));
    pr_poe_profile_free(prof);
    assert_int_equal(pr_poe_profile_load("poe/profiles", "mikrotik", &prof, err, sizeof(err)), 0);
    cfg.driver = PR_SWITCH_SNMP;
    assert_int_equal(pr_poe_switch_new(&cfg, prof, NULL, &sw, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "no snmp"));
    pr_poe_profile_free(prof);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ordered_retried_delivered_on_loop),
        cmocka_unit_test(test_limits_and_free_with_queue),
        cmocka_unit_test(test_config_refused_before_any_traffic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
