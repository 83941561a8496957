/* boot/service: each slot's boot state machine, run on the loop.
 *
 * Services that see a boot happen report what they saw with
 * pr_boot_observe(); the service stores the slot's new state, records an
 * event per step (with its time and how long the step took), and arms a
 * per-slot deadline (cfg->boot_timeout_s) for the next step.  A deadline
 * that passes marks the slot failed, naming the step that did not come,
 * and saves the slot's boot trace beside the event when capture runs. */
#ifndef PIRACK_SVC_BOOT_H
#define PIRACK_SVC_BOOT_H

#include "pirack/boot.h"

struct pr_daemon;

int pr_boot_service_start(struct pr_daemon *d);
void pr_boot_service_stop(struct pr_daemon *d);

/* What a service saw for slot.  detail: a short word or file name for the
 * event ("offer", "SERIAL/start.elf"), may be NULL.  Safe to call when the
 * boot service is not running (then it does nothing). */
void pr_boot_observe(struct pr_daemon *d, unsigned slot, enum pr_boot_obs obs, const char *detail);

/* The slot's current state (PR_BOOT_OFF when unknown). */
enum pr_boot_state pr_boot_slot_state(const struct pr_daemon *d, unsigned slot);

#endif
