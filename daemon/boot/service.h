/* boot/service: each slot's boot state machine, run on the loop.
 *
 * Services that see a boot happen report what they saw with
 * pr_boot_observe(); the service stores the slot's new state, records an
 * event per step (with its time and how long the step took), and arms a
 * per-slot deadline for each stage ([health] dhcp_deadline, tftp_deadline,
 * root_deadline, up_deadline).  A deadline that passes marks the slot
 * failed, naming the stage that did not finish, and saves the slot's boot
 * trace beside the event when capture runs. */
#ifndef PIRACK_SVC_BOOT_H
#define PIRACK_SVC_BOOT_H

#include "pirack/boot.h"

struct pr_daemon;
struct pr_config;

/* The stage deadlines' defaults (s), for a Pi 3 in a boot storm: see
 * pirackd.conf(5). */
#define PR_BOOT_DHCP_DEADLINE_S 30
#define PR_BOOT_TFTP_DEADLINE_S 180
#define PR_BOOT_ROOT_DEADLINE_S 90
#define PR_BOOT_UP_DEADLINE_S 240

/* Each stage's deadline in s as cfg says (0: none), indexed by stage. */
void pr_boot_stage_deadlines(const struct pr_config *cfg, unsigned out_s[PR_STAGE_COUNT]);

int pr_boot_service_start(struct pr_daemon *d);
void pr_boot_service_stop(struct pr_daemon *d);

/* What a service saw for slot.  detail: a short word or file name for the
 * event ("offer", "SERIAL/start.elf"), may be NULL.  Safe to call when the
 * boot service is not running (then it does nothing). */
void pr_boot_observe(struct pr_daemon *d, unsigned slot, enum pr_boot_obs obs, const char *detail);

/* A copy of the slot's run (state, whether this boot mounted its root,
 * the stage that failed).  Returns 0 or -ENOENT. */
int pr_boot_slot_info(const struct pr_daemon *d, unsigned slot, struct pr_boot_run *out);

/* The slot's current state (PR_BOOT_OFF when unknown). */
enum pr_boot_state pr_boot_slot_state(const struct pr_daemon *d, unsigned slot);

#endif
