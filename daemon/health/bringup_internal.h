/* health/bringup: the pure planner of a bring-up run, for bringup.c,
 * bringup_service.c and their tests.
 *
 * A run takes a range of slots from nothing to every board known: all
 * of them off first (a board already on would answer for the wrong slot
 * in flat mode), then power-ons, each slot waiting for its board's first
 * DHCP (which names the board: MAC, model) and then its serial (in its
 * TFTP paths, or in DHCP option 97).  In flat mode a board tells nothing
 * of where it is, so one slot at a time listens; in isolated mode the
 * interface names the slot and every slot may listen at once (the power
 * service's admission paces the power-ons).
 *
 * The planner holds no clock and no sockets: the service feeds it what
 * happened (power answers, boards seen, serials, the switch's detection)
 * with the time, and asks it what to do next. */
#ifndef PIRACK_HEALTH_BRINGUP_INTERNAL_H
#define PIRACK_HEALTH_BRINGUP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum bu_phase {
    BU_PENDING,     /* nothing done yet: an off goes out */
    BU_OFF_SENT,    /* the off is with the power service */
    BU_OFF,         /* off: waits for its turn to power on */
    BU_ON_SENT,     /* the on is with the power service (admission, switch) */
    BU_WAIT_DHCP,   /* powered: waits for its board's first DHCP */
    BU_WAIT_SERIAL, /* the board is known: waits for its serial */
    BU_DONE,
};

enum bu_outcome {
    BU_OUT_NONE,
    BU_OUT_NEW,      /* a board the slot did not hold, known nowhere else */
    BU_OUT_SAME,     /* the board the slot held */
    BU_OUT_MOVED,    /* a board that was in another slot (from_slot) */
    BU_OUT_REPLACED, /* a new board where another was */
    BU_OUT_EMPTY,    /* no DHCP within the deadline: the port powers nothing */
    BU_OUT_FAILED,   /* the switch refused or failed */
};

/* What the switch says it sees on the port. */
enum bu_detect {
    BU_DETECT_UNKNOWN,
    BU_DETECT_NONE,     /* searching / disabled: no powered device */
    BU_DETECT_POWERING, /* delivering power */
};

struct bu_slot {
    unsigned slot;
    enum bu_phase phase;
    enum bu_outcome outcome;
    char was_mac[18]; /* the board the slot held when the run began */
    char mac[18], model[16], serial[17];
    unsigned from_slot; /* BU_OUT_MOVED: where the board was */
    char detail[256];
    uint64_t since_ms; /* when the phase began (monotonic) */
    enum bu_detect detect;
    bool off_wanted; /* finished empty: its port goes off */
    bool dirty;      /* changed since the service last wrote it */
};

struct bu_run {
    bool one_at_a_time;          /* flat mode */
    uint64_t dhcp_deadline_ms;   /* power on to the first DHCP */
    uint64_t serial_deadline_ms; /* first DHCP to the serial */
    uint64_t empty_after_ms;     /* a port that detects nothing this long after on is empty */
    size_t n;
    struct bu_slot *slots; /* in slot order */
};

enum bu_act_kind {
    BU_ACT_OFF,
    BU_ACT_ON
};
struct bu_action {
    enum bu_act_kind kind;
    unsigned slot;
};

const char *pr_bu_phase_name(enum bu_phase p);
/* -1 when the name means nothing. */
int pr_bu_phase_parse(const char *name);
const char *pr_bu_outcome_name(enum bu_outcome o);
int pr_bu_outcome_parse(const char *name);

struct bu_slot *pr_bu_find(struct bu_run *r, unsigned slot);

/* Expires the deadlines at now and writes up to cap power actions that
 * should go out now; returns how many.  The service tells the planner
 * which went out with pr_bu_sent() (an action refused for a while, e.g.
 * an op in flight, is asked for again on the next call). */
size_t pr_bu_next(struct bu_run *r, uint64_t now, struct bu_action *out, size_t cap);
/* The power service took the action. */
void pr_bu_sent(struct bu_run *r, unsigned slot, enum bu_act_kind kind, uint64_t now);
/* The power action finished (ok) or failed (why). */
void pr_bu_power_done(struct bu_run *r, unsigned slot, enum bu_act_kind kind, bool ok,
                      const char *why, uint64_t now);
/* The power-on failed because the switch detects nothing on the port
 * (it searches for a powered device): the slot is empty, not failed, and
 * its port goes off again. */
void pr_bu_power_nothing(struct bu_run *r, unsigned slot, const char *why, uint64_t now);
/* The switch's detection for a slot that waits for its board. */
void pr_bu_detect(struct bu_run *r, unsigned slot, enum bu_detect d);

/* Flat mode: the one slot that an unknown board's DHCP belongs to now,
 * 0 when none listens (or, in isolated mode, always 0). */
unsigned pr_bu_listening(const struct bu_run *r);
/* Flat mode: the slot a boot ROM's DHCP from board mac belongs to, 0
 * when it is not the run's.  slot_now is where the store has the board
 * (0: nowhere).  An unknown board, or one the store places in a slot of
 * the run that is off (or was learned with another board), is in the
 * one slot listening; a board learned in this run, or in a slot outside
 * the run, is where it is. */
unsigned pr_bu_claim(const struct bu_run *r, const char *mac, unsigned slot_now);
/* Whether slot waits for its board (so a DHCP on it teaches the run). */
bool pr_bu_wants_board(const struct bu_run *r, unsigned slot);
/* The board mac (model, serial "" when unknown) answered in slot; it is
 * in slot_now in the store (0: nowhere, or slot itself).  Returns the
 * outcome, BU_OUT_NONE when the slot was not waiting for a board. */
enum bu_outcome pr_bu_learn(struct bu_run *r, unsigned slot, const char *mac, const char *model,
                            const char *serial, unsigned slot_now, uint64_t now);
/* The board's serial is known (TFTP). */
void pr_bu_serial(struct bu_run *r, unsigned slot, const char *serial, uint64_t now);
/* After a restart: a slot caught between its off and its board starts
 * again from its off (its DHCP may have come while nobody listened);
 * a slot waiting for its serial waits anew.  Finished slots stay. */
void pr_bu_resume(struct bu_run *r, uint64_t now);
bool pr_bu_finished(const struct bu_run *r);
/* The slot whose board this one's went to while its own came here,
 * 0 when none: two boards swapped. */
unsigned pr_bu_swapped_with(const struct bu_run *r, unsigned slot);

struct bu_counts {
    unsigned total, done, new_, same, moved, replaced, empty, failed, swapped_pairs;
};
void pr_bu_count(const struct bu_run *r, struct bu_counts *c);

#endif
