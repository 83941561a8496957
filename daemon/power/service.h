/* power/service: powers slots on, off and through a cycle with their PoE
 * switches (the poe library, one worker per switch), on the loop.
 *
 * Every operation is written to the store before it starts and moves
 * through its phases there (pending, off-sent, holding, on-sent, done or
 * failed), so a restart finds the interrupted ones: pr_power_service_start()
 * finishes each of them, turning a Pi that may have been left off on
 * again, with an event that says why.
 *
 * A cycle is: off, verify off, hold (cfg->power_hold_ms), on, verify.
 * Power-ons wait their turn: at most cfg->power_max_booting slots boot at
 * once, one every cfg->power_stagger_ms, and a switch with a power budget
 * never powers more ports than budget / port_power.  Offs for many slots
 * go to the switch as one batch (a few PDUs, one SSH session). */
#ifndef PIRACK_SVC_POWER_H
#define PIRACK_SVC_POWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pirack/poe.h"

struct pr_daemon;
struct pr_power_service;

int pr_power_service_start(struct pr_daemon *d);
void pr_power_service_stop(struct pr_daemon *d);
/* After a good SIGHUP: rebuilds the switches' workers when a [switch]
 * section or [power] profiles changed, at once or, when work is at the
 * switches, as soon as it is done.  Returns 0 or -ENOMEM. */
int pr_power_service_reload(struct pr_daemon *d);

/* How a request's power-ons are paced; -1 takes the config's. */
struct pr_power_pace {
    int stagger_ms;
    int max_booting;
};

/* Queues action (PR_POE_ON, PR_POE_OFF or PR_POE_CYCLE) for slot on
 * behalf of actor.  Returns the operation's id (> 0) or -errno with a
 * reason in why:
 *   -ENOENT  no such slot            -ENODEV  no switch serves the slot
 *   -EBUSY   an operation is in flight for the slot
 *   -ENOSPC  the switch's power budget has no room for another port
 *   -EINVAL  not a power action       -EIO     the store failed */
int64_t pr_power_request(struct pr_daemon *d, unsigned slot, enum pr_poe_action action,
                         const char *actor, const struct pr_power_pace *pace, char *why,
                         size_t whylen);

/* What the service knows of a slot's port, for the API. */
struct pr_power_view {
    bool has_switch;
    char switch_name[64];
    unsigned port;
    int64_t op_id; /* in flight, 0 when none */
    char op_action[8];
    char op_phase[16];
    bool live_valid; /* the switch's last answer for this port */
    uint64_t live_age_ms;
    struct pr_poe_port_status live;
    int64_t last_op_id; /* the last finished op, 0 when none */
    bool last_ok;
    char last_result[PR_POE_MSG_MAX];
};
/* The health service's self-check: when a switch cannot be reached, Pis
 * that fail are not the Pis' fault (and cannot be power-cycled anyway). */
struct pr_power_reach {
    char name[64];
    bool reachable;           /* its last answer came and let pirackd in */
    char why[PR_POE_MSG_MAX]; /* when not: what the library said */
};
/* Fills out[0..max-1] with each switch's reachability from its last
 * answer; returns how many switches the power service drives (0 when it
 * is not running). */
unsigned pr_power_switches_reach(const struct pr_daemon *d, struct pr_power_reach *out,
                                 unsigned max);
/* Reads one port of every switch with nothing in flight, in the
 * background, so that a switch that stopped (or started again) answering
 * is noticed without waiting for a power action.  A switch with work in
 * flight is left alone: that work's answer tells as much. */
void pr_power_check_switches(struct pr_daemon *d);

/* Fills v.  Returns 0 or -ENOENT. */
int pr_power_view(struct pr_daemon *d, unsigned slot, struct pr_power_view *v);
/* Asks the switches, in the background and one batch per switch, for the
 * ports of the selected slots (selected[slot] != 0) whose last answer is
 * older than a few seconds. */
void pr_power_refresh_stale(struct pr_daemon *d, const unsigned char *selected);

/* Marks the slots that spec names ("N", "N-M", comma lists of those, or
 * "all") in selected[1..n_slots].  Returns how many, -EINVAL for a spec
 * that does not parse, -ERANGE for a slot outside 1..n_slots. */
int pr_power_parse_slots(const char *spec, unsigned n_slots, unsigned char *selected);

#endif
