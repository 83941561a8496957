/* poe: power PoE switch ports on, off and through a cycle, and read their
 * status, over SNMP (net-snmp, v2c or v3 authPriv) or SSH (libssh, a
 * vendor CLI).  What differs between vendors is data: a profile file
 * (docs/switch-profiles.md) names the OIDs and values, or the commands,
 * prompts, confirmations and error patterns.
 *
 * Two ways to use it:
 *   - pr_poe_conn_*: one synchronous connection, for tools and tests;
 *   - pr_poe_switch_*: one worker thread per switch that runs operations
 *     in order, each with a timeout and retries with back-off, and hands
 *     each result back to the loop's thread through a mailbox.
 * The library never logs: every failure comes back as -errno with words
 * in the result's message. */
#ifndef PIRACK_POE_H
#define PIRACK_POE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pirack/config.h"

struct pr_loop;
struct pr_poe_profile;
struct pr_poe_conn;
struct pr_poe_switch;

#define PR_POE_MAX_PORTS 1024 /* ports in one operation */
#define PR_POE_MSG_MAX 256

enum pr_poe_action {
    PR_POE_STATUS,
    PR_POE_ON,
    PR_POE_OFF,
    PR_POE_CYCLE
};

/* pethPsePortDetectionStatus, plus "unknown" for a switch that does not say. */
enum pr_poe_detect {
    PR_POE_DETECT_UNKNOWN = 0,
    PR_POE_DETECT_DISABLED = 1,
    PR_POE_DETECT_SEARCHING = 2,
    PR_POE_DETECT_DELIVERING = 3,
    PR_POE_DETECT_FAULT = 4,
    PR_POE_DETECT_TEST = 5,
    PR_POE_DETECT_OTHER_FAULT = 6,
};

struct pr_poe_port_status {
    unsigned port; /* the switch's port number */
    int admin;     /* 1 on, 0 off, -1 unknown */
    enum pr_poe_detect detect;
    int power_class; /* 0..4, -1 unknown */
    int err;         /* 0, or -errno for this port alone */
    char note[64];   /* why the port failed or what to watch */
};

struct pr_poe_result {
    enum pr_poe_action action;
    int err;                      /* 0 when every port did what was asked */
    char message[PR_POE_MSG_MAX]; /* the switch's answer, or why it failed */
    unsigned attempts;            /* 1 + retries used */
    unsigned round_trips;         /* SNMP PDUs sent / CLI commands sent */
    unsigned logins;              /* connections opened */
    uint64_t elapsed_ms;
    int main_power_w;       /* PSE nominal power, -1 unknown */
    int main_consumption_w; /* PSE consumption, -1 unknown */
    size_t n_ports;
    struct pr_poe_port_status *ports; /* n_ports entries, in request order */
};

const char *pr_poe_action_name(enum pr_poe_action a);
/* Errors worth another attempt: the network, not the switch's answer (so,
 * after a set, the switch may or may not have applied it). */
bool pr_poe_error_transient(int err);
/* "on", "off", "cycle", "status" -> action; -1 when unknown. */
int pr_poe_action_parse(const char *s);
const char *pr_poe_detect_name(enum pr_poe_detect d);

/* Profiles.  pr_poe_profile_parse() reads a profile's text (the format is
 * in docs/switch-profiles.md); on error it returns -EINVAL and writes
 * "LINE: reason" into err.  pr_poe_profile_load() finds NAME.profile in
 * dir, or reads the path itself when name contains a '/'. */
int pr_poe_profile_load(const char *dir, const char *name, struct pr_poe_profile **out, char *err,
                        size_t errlen);
void pr_poe_profile_free(struct pr_poe_profile *p); /* accepts NULL */
/* Whether the profile can drive a switch over this driver. */
bool pr_poe_profile_supports(const struct pr_poe_profile *p, enum pr_switch_driver d);

/* Results own their port array. */
void pr_poe_result_clear(struct pr_poe_result *r);

/* Knobs that are not in the switch's config section. */
struct pr_poe_options {
    unsigned hold_ms;   /* off time inside a PR_POE_CYCLE */
    unsigned settle_ms; /* how long to wait for the ports to follow */
    unsigned poll_ms;   /* status polling interval while settling */
};
void pr_poe_options_default(struct pr_poe_options *o);

/* A synchronous connection.  open does not touch the network; the first
 * operation connects (and logs in).  A connection is used by one thread
 * at a time. */
int pr_poe_conn_open(const struct pr_switch_config *cfg, const struct pr_poe_profile *profile,
                     struct pr_poe_conn **out, char *err, size_t errlen);
void pr_poe_conn_close(struct pr_poe_conn *c); /* accepts NULL */
/* Runs one operation on ports (switch port numbers), once, without
 * retries.  Fills r (clear it with pr_poe_result_clear()).  Returns r->err. */

/* pr_poe_conn_run() with retries: a failure of the network (timeout,
 * refused, dropped) reconnects and tries again after 250 ms, 500 ms, 1 s
 * ... (at most 4 s), up to retries more times.  The switch's own answer
 * (an error, a refused key, a port fault) is not retried. */
int pr_poe_conn_run_retrying(struct pr_poe_conn *c, unsigned retries, enum pr_poe_action a,
                             const unsigned *ports, size_t n, const struct pr_poe_options *o,
                             struct pr_poe_result *r);

/* The worker: one thread per switch.  done runs on the loop's thread
 * (through the switch's pr_mailbox) with a result that is valid only
 * during the call. */
typedef void (*pr_poe_done_fn)(void *ctx, uint64_t op_id, const struct pr_poe_result *r);

int pr_poe_switch_new(const struct pr_switch_config *cfg, const struct pr_poe_profile *profile,
                      struct pr_loop *loop, struct pr_poe_switch **out, char *err, size_t errlen);
/* On the loop's thread, also from inside a done callback.  Stops the
 * worker after the operation in progress; queued operations and results
 * not yet delivered are dropped without their callbacks, so no done of
 * this switch runs afterwards and each ctx is the caller's to free.
 * Accepts NULL. */
void pr_poe_switch_free(struct pr_poe_switch *sw);
/* Queues an operation.  Returns its id (> 0), or -errno (-ENOSPC when
 * the queue is full, -E2BIG for too many ports). */
int64_t pr_poe_switch_submit(struct pr_poe_switch *sw, enum pr_poe_action a, const unsigned *ports,
                             size_t n, const struct pr_poe_options *o, pr_poe_done_fn done,
                             void *ctx);

#endif
