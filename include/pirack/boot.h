/* boot: each slot's boot state machine and timeline, and the failure
 * policy.  Fed by the services that see a boot happen (power, dhcp, tftp,
 * health); records every step as an event; a step that does not come in
 * time is a failure that names the step.
 *
 *   off -> powered -> dhcp -> firmware -> kernel -> booted
 *                 \-> failed (step named in the event)
 *
 * Observations that make no sense in the current state (a TFTP request
 * from a slot that is off) are recorded but do not move the state back. */
#ifndef PIRACK_BOOT_H
#define PIRACK_BOOT_H

#include <stdbool.h>
#include <stdint.h>

struct pr_boot_service;

enum pr_boot_state {
    PR_BOOT_OFF,
    PR_BOOT_POWERED,
    PR_BOOT_DHCP,
    PR_BOOT_FIRMWARE,
    PR_BOOT_KERNEL,
    PR_BOOT_BOOTED,
    PR_BOOT_FAILED,
};

enum pr_boot_obs {
    PR_OBS_POWER_ON,      /* the port was turned on */
    PR_OBS_POWER_OFF,     /* the port was turned off */
    PR_OBS_DHCP_ROM,      /* a PXE DISCOVER/REQUEST from the boot ROM or bootloader */
    PR_OBS_DHCP_OS,       /* a DHCP request from the booted OS (no PXEClient) */
    PR_OBS_TFTP_FIRMWARE, /* bootcode.bin, start*.elf, fixup*.dat, config.txt ... */
    PR_OBS_TFTP_KERNEL,   /* kernel*.img served */
    PR_OBS_HEALTH_UP,     /* the health probe answered */
    PR_OBS_HEALTH_DOWN,
};

const char *pr_boot_state_name(enum pr_boot_state s);
/* Parses a state name; returns -1 when unknown. */
int pr_boot_state_parse(const char *name);

/* Which observation a TFTP path is: kernel*.img -> PR_OBS_TFTP_KERNEL,
 * anything else -> PR_OBS_TFTP_FIRMWARE.  path may carry a prefix. */
enum pr_boot_obs pr_boot_classify_tftp(const char *path);

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

/* One slot's run through the timeline, as plain data: the boot service
 * keeps one per slot and the timeouts are pure arithmetic on it. */
struct pr_boot_run {
    enum pr_boot_state state;
    uint64_t since_ms;    /* when the state began (monotonic ms) */
    uint64_t deadline_ms; /* when the awaited step is late; 0 = none */
};

enum pr_boot_step {
    PR_BOOT_SAME,
    PR_BOOT_MOVED,
    PR_BOOT_IGNORED
};

/* Applies obs at now_ms: moves the state and arms the deadline for the
 * step the new state awaits (timeout_ms 0: no deadlines).  Returns MOVED,
 * SAME (nothing changed) or IGNORED (obs made no sense; state kept). */
enum pr_boot_step pr_boot_run_observe(struct pr_boot_run *r, enum pr_boot_obs obs, uint64_t now_ms,
                                      uint64_t timeout_ms);
/* When r's deadline has passed at now_ms, r fails: *awaited names the step
 * that did not come and it returns true.  Otherwise false, r untouched. */
bool pr_boot_run_expire(struct pr_boot_run *r, uint64_t now_ms, enum pr_boot_state *awaited);

#endif
