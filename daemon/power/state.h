/* power/state: the power service's state in memory: the ops in flight, the switches, the
 * slots.  Seen by every file of daemon/power/; it does not bring in the
 * daemon struct, so that ops.c and metrics.c work on the state alone.
 * power_internal.h adds the daemon for the service*.c files. */
#ifndef PIRACK_POWER_STATE_H
#define PIRACK_POWER_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pirack/config.h"
#include "pirack/poe.h"
#include "service.h"

struct pr_daemon;
struct pr_metrics;
struct pr_timer;

/* Where an operation is, in memory.  The store's phase follows. */
enum power_step {
    STEP_WANT_OFF, /* queued: an off goes out on the next turn */
    STEP_OFF_SENT,
    STEP_HOLDING,
    STEP_WANT_ON,   /* waiting for its turn to boot */
    STEP_ON_CHOSEN, /* its turn came: goes out on this tick */
    STEP_ON_SENT,
};

struct power_switch {
    struct pr_switch_config cfg;
    struct pr_poe_profile *profile;
    struct pr_poe_switch *sw;
    unsigned max_on; /* from the budget; 0 = no limit */
    /* for /metrics */
    uint64_t round_trips, logins, answers, failed_answers;
    /* the health self-check: its last answer was a failure of the network
     * (no answer at all, refused, dropped) or of the login, and what it said */
    bool unreachable;
    char unreachable_why[PR_POE_MSG_MAX];
};

struct power_op {
    struct power_op *next;
    int64_t id;
    unsigned slot;
    enum pr_poe_action action;
    enum power_step step;
    char actor[64];
    char reason[128]; /* why pirackd itself asked, or "" */
    struct power_switch *ps;
    unsigned port;
    uint64_t hold_until;
    struct pr_power_pace pace;
    bool off_done;   /* a cycle's off went through */
    char before[16]; /* the port's detection state when asked, or "unknown" */
};

/* admit.c: the admission of power-ons, pure. */
enum power_class {
    POWER_CLASS_PI3,
    POWER_CLASS_PI4,
    POWER_CLASS_PI5,
    POWER_CLASS_N
};
struct power_admit {
    unsigned booting; /* slots booting now */
    unsigned booting_class[POWER_CLASS_N];
    unsigned max_booting;              /* 0: no limit */
    unsigned max_class[POWER_CLASS_N]; /* 0: no limit */
    unsigned stagger_ms;               /* the least gap between two ons */
    uint64_t last_on_ms;               /* 0: none yet */
};
enum admit_verdict {
    ADMIT_GO,
    ADMIT_WAIT_BOOTING, /* the rack's limit: wait for a boot to end */
    ADMIT_WAIT_CLASS,   /* this model's limit: others may go first */
    ADMIT_WAIT_GAP,     /* too soon after the last on: *until says when */
};
/* A board model from the store ("pi3b", "pi4", "" ...) to its class. */
enum power_class pr_power_model_class(const char *model);
enum admit_verdict pr_power_admit(const struct power_admit *a, enum power_class cls, uint64_t now,
                                  uint64_t *until);

/* Per slot: what the switch said last and the last finished op. */
struct power_slot {
    bool live_valid;
    uint64_t live_at;
    struct pr_poe_port_status live;
    uint64_t booting_since;      /* 0 when not booting */
    enum power_class boot_class; /* what it counts as while booting */
    int64_t last_op_id;
    bool last_ok;
    char last_result[PR_POE_MSG_MAX];
    bool refreshing;
    /* A set went out and no answer came: the switch may have applied it.
     * The port is unknown until read back, at the switch's next answer. */
    bool unsure;
};

/* One library operation for several ops (or a status read). */
struct power_batch {
    struct pr_power_service *svc;
    struct power_batch *next;
    enum pr_poe_action action;
    struct power_switch *ps;
    size_t n;
    struct power_op **ops; /* NULL for a status refresh */
    unsigned *slots;
};

struct pr_power_service {
    struct pr_daemon *d;
    struct power_switch switches[PR_MAX_SWITCHES];
    unsigned n_switches;
    struct power_op *ops;        /* in flight, in request order */
    struct power_batch *batches; /* at the switches */
    struct power_slot *slots;    /* [slot], 1-based */
    unsigned n_slots;
    struct pr_timer *tick;
    struct pr_timer *poll;
    uint64_t last_on_ms;
    uint64_t finished[4][2];        /* [action][ok] operations, for /metrics */
    char profiles_dir[PR_PATH_MAX]; /* [power] profiles when the switches started */
    bool reload_pending;            /* new [switch] sections wait for idle switches */
};

#define POWER_BOOT_WINDOW_MS 120000u /* booting at most this long (boot_timeout unset) */
#define POWER_POLL_MS 60000u         /* every switch's ports are read this often */
#define POWER_LIVE_FRESH_MS 5000u

/* ops.c */
struct power_op *pr_power_op_of(struct pr_power_service *svc, unsigned slot);
void pr_power_op_remove(struct pr_power_service *svc, struct power_op *op);
struct power_switch *pr_power_switch_of(struct pr_power_service *svc, unsigned slot,
                                        unsigned *port);
/* metrics.c: registers the families in m, or none when m is NULL. */
int pr_power_metrics_start(struct pr_power_service *svc, struct pr_metrics *m);
void pr_power_metrics_stop(struct pr_power_service *svc, struct pr_metrics *m);
/* service_sched.c: the slots that count as booting now. */
unsigned pr_power_booting_count(struct pr_power_service *svc);

#endif
