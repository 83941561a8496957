/* One synchronous connection to a switch and the operations on it:
 * a set is always followed by reading the ports back until they follow
 * (or the settle time runs out), so a result says what the switch did,
 * not what it was asked. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "poe_internal.h"

struct pr_poe_conn {
    struct pr_poe_driver *drv;
};

void pr_poe_options_default(struct pr_poe_options *o)
{
    o->hold_ms = 3000;
    o->settle_ms = 10000;
    o->poll_ms = 250;
}

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

int pr_poe_conn_open(const struct pr_switch_config *cfg, const struct pr_poe_profile *profile,
                     struct pr_poe_conn **out, char *err, size_t errlen)
{
    *out = NULL;
    struct pr_poe_conn *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    int rc = cfg->driver == PR_SWITCH_SNMP ? pr_poe_snmp_new(cfg, profile, &c->drv, err, errlen)
                                           : pr_poe_ssh_new(cfg, profile, &c->drv, err, errlen);
    if (rc < 0) {
        free(c);
        return rc;
    }
    *out = c;
    return 0;
}

void pr_poe_conn_close(struct pr_poe_conn *c)
{
    if (!c)
        return;
    c->drv->ops->free(c->drv);
    free(c);
}

void pr_poe_conn_disconnect(struct pr_poe_conn *c)
{
    c->drv->ops->disconnect(c->drv);
}

/* Whether a port has followed the set: admin read back as asked and, when
 * the switch reports detection, the port is in a state that will not
 * change by itself. */
static bool port_settled(const struct pr_poe_port_status *s, bool on)
{
    if (s->admin != (on ? 1 : 0))
        return false;
    if (!on)
        return s->detect == PR_POE_DETECT_DISABLED || s->detect == PR_POE_DETECT_UNKNOWN;
    return s->detect == PR_POE_DETECT_DELIVERING || s->detect == PR_POE_DETECT_FAULT ||
           s->detect == PR_POE_DETECT_OTHER_FAULT || s->detect == PR_POE_DETECT_UNKNOWN;
}

/* Judges each port after the settle time: the op fails when any port
 * did not do what was asked. */
static int judge_ports(struct pr_poe_result *r, bool on)
{
    unsigned bad = 0, first = 0;
    for (size_t i = 0; i < r->n_ports; i++) {
        struct pr_poe_port_status *s = &r->ports[i];
        s->err = 0;
        if (s->admin != (on ? 1 : 0)) {
            s->err = -EREMOTEIO;
            snprintf(s->note, sizeof(s->note), "read back admin %s after set",
                     s->admin == 1   ? "on"
                     : s->admin == 0 ? "off"
                                     : "unknown");
        } else if (on &&
                   (s->detect == PR_POE_DETECT_FAULT || s->detect == PR_POE_DETECT_OTHER_FAULT)) {
            s->err = -EIO;
            snprintf(s->note, sizeof(s->note), "port reports a power fault");
        } else if (on && s->detect == PR_POE_DETECT_SEARCHING) {
            s->err = -ENODEV;
            snprintf(s->note, sizeof(s->note), "never delivered power (searching)");
        } else if (!on && s->detect != PR_POE_DETECT_DISABLED &&
                   s->detect != PR_POE_DETECT_UNKNOWN) {
            s->err = -EREMOTEIO;
            snprintf(s->note, sizeof(s->note), "still %s after off", pr_poe_detect_name(s->detect));
        } else if (s->detect == PR_POE_DETECT_UNKNOWN) {
            snprintf(s->note, sizeof(s->note), "no detection status; admin read back");
        }
        if (s->err && bad++ == 0)
            first = (unsigned)i;
    }
    if (!bad)
        return 0;
    return pr_poe_fail(r, r->ports[first].err, "%u of %zu ports failed; port %u: %s", bad,
                       r->n_ports, r->ports[first].port, r->ports[first].note);
}

static int read_all(struct pr_poe_conn *c, const unsigned *ports, size_t n, struct pr_poe_result *r)
{
    for (size_t i = 0; i < n; i++) {
        memset(&r->ports[i], 0, sizeof(r->ports[i]));
        r->ports[i].port = ports[i];
        r->ports[i].admin = -1;
        r->ports[i].power_class = -1;
    }
    return c->drv->ops->read_status(c->drv, ports, n, r->ports, r);
}

/* Set, then poll until every port settled or the settle time is over. */
static int switch_ports(struct pr_poe_conn *c, const unsigned *ports, size_t n, bool on,
                        const struct pr_poe_options *o, struct pr_poe_result *r)
{
    int rc = c->drv->ops->set_admin(c->drv, ports, n, on, r);
    if (rc < 0)
        return rc;
    uint64_t deadline = mono_ms() + o->settle_ms;
    for (;;) {
        if ((rc = read_all(c, ports, n, r)) < 0)
            return rc;
        size_t settled = 0;
        for (size_t i = 0; i < n; i++)
            settled += port_settled(&r->ports[i], on);
        if (settled == n || mono_ms() >= deadline)
            break;
        sleep_ms(o->poll_ms ? o->poll_ms : 250);
    }
    return judge_ports(r, on);
}

int pr_poe_conn_run(struct pr_poe_conn *c, enum pr_poe_action a, const unsigned *ports, size_t n,
                    const struct pr_poe_options *o, struct pr_poe_result *r)
{
    struct pr_poe_options defaults;
    if (!o) {
        pr_poe_options_default(&defaults);
        o = &defaults;
    }
    uint64_t start = mono_ms();
    free(r->ports);
    r->ports = NULL;
    r->action = a;
    r->err = 0;
    r->message[0] = '\0';
    r->main_power_w = r->main_consumption_w = -1;
    r->n_ports = n;
    if (n == 0 || n > PR_POE_MAX_PORTS)
        return pr_poe_fail(r, -E2BIG, "%zu ports: 1..%d per operation", n, PR_POE_MAX_PORTS);
    r->ports = calloc(n, sizeof(*r->ports));
    if (!r->ports)
        return pr_poe_fail(r, -ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        r->ports[i].port = ports[i];
        r->ports[i].admin = -1;
        r->ports[i].power_class = -1;
    }
    int rc;
    switch (a) {
    case PR_POE_STATUS:
        rc = read_all(c, ports, n, r);
        break;
    case PR_POE_ON:
    case PR_POE_OFF:
        rc = switch_ports(c, ports, n, a == PR_POE_ON, o, r);
        break;
    case PR_POE_CYCLE:
        rc = switch_ports(c, ports, n, false, o, r);
        if (rc == 0) {
            sleep_ms(o->hold_ms);
            rc = switch_ports(c, ports, n, true, o, r);
        }
        break;
    default:
        rc = pr_poe_fail(r, -EINVAL, "unknown action");
    }
    if (rc == 0 && !r->message[0])
        snprintf(r->message, sizeof(r->message), "%s: %zu port%s ok", pr_poe_action_name(a), n,
                 n == 1 ? "" : "s");
    r->err = rc;
    r->elapsed_ms = mono_ms() - start;
    return rc;
}

int pr_poe_conn_run_retrying(struct pr_poe_conn *c, unsigned retries, enum pr_poe_action a,
                             const unsigned *ports, size_t n, const struct pr_poe_options *o,
                             struct pr_poe_result *r)
{
    unsigned backoff = 250, trips = 0, logins = 0;
    uint64_t start = mono_ms();
    int rc;
    for (unsigned attempt = 0;; attempt++) {
        rc = pr_poe_conn_run(c, a, ports, n, o, r);
        trips += r->round_trips, logins += r->logins;
        r->round_trips = r->logins = 0;
        r->attempts = attempt + 1;
        if (rc == 0 || attempt >= retries || !pr_poe_error_transient(rc))
            break;
        pr_poe_conn_disconnect(c);
        sleep_ms(backoff);
        backoff = backoff < 2000 ? backoff * 2 : 4000;
    }
    r->round_trips = trips;
    r->logins = logins;
    r->elapsed_ms = mono_ms() - start;
    return rc;
}
