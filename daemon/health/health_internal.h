/* health internals: the remediation ladder's pure decision and the
 * probe's banner check, shared by daemon/health/ and its tests. */
#ifndef PIRACK_HEALTH_INTERNAL_H
#define PIRACK_HEALTH_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pirack/store.h"

/* What the ladder sees of a slot. */
enum pr_ladder_health {
    PR_LH_OFF,         /* powered off (by anyone): never repaired */
    PR_LH_BOOTING,     /* on its way: wait */
    PR_LH_HEALTHY,     /* up (answers its probe), or booted when probes are off */
    PR_LH_FAILED,      /* a stage missed its deadline before the root was mounted */
    PR_LH_FAILED_ROOT, /* failed or unhealthy after its root was mounted */
    PR_LH_QUARANTINED,
};

enum pr_ladder_step {
    PR_STEP_NONE,
    PR_STEP_CYCLE,
    PR_STEP_REIMAGE,
    PR_STEP_QUARANTINE,
};

enum pr_ladder_phase {
    PR_PHASE_IDLE,    /* no step */
    PR_PHASE_PENDING, /* decided, not handed over yet (again after a restart) */
    PR_PHASE_RUNNING, /* handed to the power or image service; outcome awaited */
};

/* One slot's ladder: what the store keeps, and what the service knows now. */
struct pr_ladder_slot {
    /* now */
    bool enabled; /* the pi's policy allows automatic remediation */
    enum pr_ladder_health health;
    int64_t state_ms; /* wall ms: when the slot entered its current state */
    /* kept */
    unsigned cycles, reimages;
    enum pr_ladder_step step;
    enum pr_ladder_phase phase;
    int64_t step_ms;       /* when the step was decided */
    int64_t last_power_ms; /* the last automatic power action */
    int64_t healthy_ms;    /* healthy since, 0 when not */
};

/* The whole rack, counted before deciding for any slot. */
struct pr_ladder_rack {
    unsigned slots;       /* in the rack */
    unsigned unhealthy;   /* failed or unhealthy now, or being remediated */
    unsigned remediating; /* with a step in flight */
    bool self_ok;         /* pirackd's own services pass their self-check */
};

struct pr_ladder_cfg {
    unsigned max_cycles;
    unsigned max_remediating;
    int64_t power_gap_ms;
    int64_t healthy_reset_ms;
    int64_t step_timeout_ms; /* a step without an outcome this long has failed */
};

enum pr_ladder_action {
    PR_LADDER_NONE,        /* nothing to do (see why) */
    PR_LADDER_RECOVERED,   /* the step in flight worked: the Pi is healthy */
    PR_LADDER_STEP_FAILED, /* the step in flight did not help (then maybe the next) */
    PR_LADDER_RESET,       /* healthy long enough: counters back to zero */
    PR_LADDER_CYCLE,
    PR_LADDER_REIMAGE,
    PR_LADDER_QUARANTINE,
    PR_LADDER_PAUSED, /* the rack's guard holds every remediation */
};

struct pr_ladder_decision {
    enum pr_ladder_action action;
    bool changed;    /* the slot's kept fields changed: store them */
    const char *why; /* a word for events and logs */
};

/* Why all remediation pauses, or NULL: a failed self-check, or more than
 * max(2, 20%) of the rack unhealthy at once. */
const char *pr_ladder_pause_reason(const struct pr_ladder_rack *rack);

/* The ladder's decision for one slot at now (wall ms), applied to s: a
 * step it takes is recorded as pending with its counters and times, so
 * the caller stores s before handing the step over.  Called again for a
 * slot whose step is pending (after a restart), it returns that step
 * again without counting it twice.  A step_failed decision may be
 * followed by another call for the next rung. */
struct pr_ladder_decision pr_ladder_decide(struct pr_ladder_slot *s,
                                           const struct pr_ladder_rack *rack,
                                           const struct pr_ladder_cfg *cfg, int64_t now);

const char *pr_ladder_step_name(enum pr_ladder_step st);
const char *pr_ladder_phase_name(enum pr_ladder_phase ph);
/* Parse the names back; -1 when unknown. */
int pr_ladder_step_parse(const char *name);
int pr_ladder_phase_parse(const char *name);

/* Whether a pi's policy allows automatic remediation: "remediate" yes,
 * "manual" no, "" (or anything else) the [health] remediation default. */
bool pr_ladder_policy_allows(const char *policy, bool dflt);

struct ssh_session_struct; /* libssh's, owned by probe.c */

/* One probe: a non-blocking TCP connect to a Pi's IPv6 address and, for
 * ssh, its identification line or, when pirackd recorded the host keys
 * it wrote into the Pi's root, an SSH key exchange whose host key must
 * be one of them.  The socket side of probe.c; the loop and timing are
 * the service's. */
struct pr_probe {
    int fd; /* -1 when idle */
    unsigned port;
    bool connected;
    uint64_t started_ms;
    unsigned char addr[16]; /* the Pi's IPv6 address */
    char buf[80];
    size_t len;
    /* the host keys expected (none: the banner is enough) */
    struct pr_hostkey keys[PR_HOSTKEYS_MAX];
    size_t nkeys;
    struct ssh_session_struct *ssh; /* during the key exchange, on a dup of fd */
    bool hostkey_mismatch;          /* the verdict of a failed probe: a key not ours */
};

enum pr_probe_result {
    PR_PROBE_PENDING,
    PR_PROBE_OK,
    PR_PROBE_FAIL,
};

/* Starts p towards addr:port; for port 22 with n recorded host keys
 * (at most PR_HOSTKEYS_MAX), the Pi's must be one of them.  Returns 0 (in
 * progress: wait for the fd to be writable) or -errno. */
int pr_probe_start(struct pr_probe *p, const void *in6_addr, unsigned port, uint64_t now_ms,
                   const struct pr_hostkey *keys, size_t n);
/* Advances p after its fd was ready.  *want_read becomes true when the
 * probe now waits for the banner or the key exchange (the caller watches
 * for EPOLLIN instead of EPOLLOUT).  why gets a short reason on FAIL. */
enum pr_probe_result pr_probe_io(struct pr_probe *p, bool *want_read, char *why, size_t whylen);
/* Closes p's socket (idle afterwards); safe on an idle probe. */
void pr_probe_close(struct pr_probe *p);

/* The probe's verdict on the first bytes a port sent: for ssh (port 22)
 * an identification string "SSH-2.0-..." (RFC 4253 4.2); any other port
 * needs none.  Returns true when healthy. */
bool pr_probe_banner_ok(unsigned port, const char *buf, size_t len);

/* ---- hostkey.c: is the Pi's host key one pirackd wrote? ---- */

/* The ssh-keygen -t word for an SSH key algorithm name ("ssh-ed25519" ->
 * "ed25519", "ecdsa-sha2-nistp256" -> "ecdsa", "ssh-rsa" -> "rsa"), or
 * NULL when unknown. */
const char *pr_hostkey_type_word(const char *ssh_name);
/* "SHA256:..." (unpadded base64, as ssh-keygen -l) of a 32-byte SHA-256
 * hash.  0, or -1 when hash is not 32 bytes or out is too small. */
int pr_hostkey_format(const unsigned char *hash, size_t len, char *out, size_t outlen);

enum pr_hostkey_verdict {
    PR_HOSTKEY_MATCH,
    PR_HOSTKEY_MISMATCH, /* why says which key pirackd wrote instead */
};
/* The verdict on a host key of type (a pr_hostkey_type_word, NULL when
 * unknown) and fingerprint fp against the n keys recorded for the Pi. */
enum pr_hostkey_verdict pr_hostkey_check(const char *type, const char *fp,
                                         const struct pr_hostkey *recorded, size_t n, char *why,
                                         size_t whylen);

/* selfcheck_service.c: pirackd's own services (DHCP, TFTP, the NFS
 * exports, the switches' reachability).  Returns true when all pass, else
 * false with the first that failed in out: check "dhcp", "tftp", "nfs" or
 * "switch", subject the switch's name.  Every *next_switch_check_ms (then
 * [health] switch_check later) it asks each idle switch for a port. */
struct pr_daemon;
struct pr_self_check {
    char check[16];
    char subject[64];
    char why[256];
};
bool pr_health_self_check(struct pr_daemon *d, uint64_t now_ms, uint64_t *next_switch_check_ms,
                          struct pr_self_check *out);

#endif
