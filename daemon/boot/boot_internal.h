/* boot internals: the timeline's pure state machine, shared by daemon/boot/ and its tests. */
#ifndef PIRACK_BOOT_INTERNAL_H
#define PIRACK_BOOT_INTERNAL_H

#include "pirack/boot.h"

const char *pr_boot_state_name(enum pr_boot_state s);
/* Parses a state name; returns -1 when unknown. */
int pr_boot_state_parse(const char *name);

/* The pure transition: the next state after obs in state s. */
enum pr_boot_state pr_boot_next(enum pr_boot_state s, enum pr_boot_obs obs);

/* Additions (dhcp branch): */
/* "power_on", "dhcp_rom", ... for events. */
const char *pr_boot_obs_name(enum pr_boot_obs obs);
/* The step a slot in state s waits for (its deadline's name): powered ->
 * dhcp, dhcp -> firmware, firmware -> kernel, kernel -> booted.  Returns
 * s itself when nothing is awaited (off, booted, failed). */
enum pr_boot_state pr_boot_awaited(enum pr_boot_state s);
/* True when obs makes no sense in state s (recorded, state kept). */
bool pr_boot_unexpected(enum pr_boot_state s, enum pr_boot_obs obs);

/* Each stage's deadline in ms, indexed by enum pr_boot_stage; 0: none. */
struct pr_boot_deadlines {
    uint64_t ms[PR_STAGE_COUNT];
};

/* The stage a state belongs to (PR_STAGE_NONE: off, failed, up, ...). */
enum pr_boot_stage pr_boot_stage_of(enum pr_boot_state s);

/* Applies obs at now_ms: moves the state and, when a new stage begins,
 * arms that stage's deadline from dl (NULL: no deadlines).  Returns MOVED,
 * SAME (nothing changed) or IGNORED (obs made no sense; state kept). */
enum pr_boot_step pr_boot_run_observe(struct pr_boot_run *r, enum pr_boot_obs obs, uint64_t now_ms,
                                      const struct pr_boot_deadlines *dl);
/* When r's deadline has passed at now_ms, r fails: *stage names the stage
 * that did not finish and it returns true.  Otherwise false, r untouched. */
bool pr_boot_run_expire(struct pr_boot_run *r, uint64_t now_ms, enum pr_boot_stage *stage);
/* Re-enters s at now_ms with a fresh deadline for its stage (a restart). */
void pr_boot_run_restart(struct pr_boot_run *r, enum pr_boot_state s, uint64_t now_ms,
                         const struct pr_boot_deadlines *dl);

#endif
