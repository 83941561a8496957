/* boot: each slot's boot state machine and timeline, and the failure
 * policy.  Fed by the services that see a boot happen (power, dhcp, tftp,
 * health); records every step as an event; a step that does not come in
 * time is a failure that names the step.
 *
 *   off -> powered -> dhcp -> firmware -> kernel -> booted -> up <-> unhealthy
 *                 \-> failed (the stage named in the event)
 *   any -> quarantined (the remediation ladder's last rung) -> off (release)
 *
 * The states group into the stages that [health] gives deadlines, each
 * armed when its stage begins: dhcp (powered), tftp (dhcp, firmware: the
 * ROM's DHCP until the kernel is served), root (kernel: until the root is
 * mounted, seen as the Pi's first NFS packet or the OS's own DHCP) and up
 * (booted: until the health probe answers, when probes are on).
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
    PR_BOOT_UP,          /* the health probe answers */
    PR_BOOT_UNHEALTHY,   /* it stopped answering ([health] unhealthy_after probes) */
    PR_BOOT_QUARANTINED, /* held off by the ladder until `pirack release` */
};

/* The stages that have deadlines ([health] *_deadline). */
enum pr_boot_stage {
    PR_STAGE_NONE,
    PR_STAGE_DHCP,
    PR_STAGE_TFTP,
    PR_STAGE_ROOT,
    PR_STAGE_UP,
};
#define PR_STAGE_COUNT 5

enum pr_boot_obs {
    PR_OBS_POWER_ON,      /* the port was turned on */
    PR_OBS_POWER_OFF,     /* the port was turned off */
    PR_OBS_DHCP_ROM,      /* a PXE DISCOVER/REQUEST from the boot ROM or bootloader */
    PR_OBS_DHCP_OS,       /* a DHCP request from the booted OS (no PXEClient) */
    PR_OBS_TFTP_FIRMWARE, /* bootcode.bin, start*.elf, fixup*.dat, config.txt ... */
    PR_OBS_TFTP_KERNEL,   /* kernel*.img served */
    PR_OBS_HEALTH_UP,     /* the health probe answered */
    PR_OBS_HEALTH_DOWN,   /* [health] unhealthy_after probes failed in a row */
    PR_OBS_ROOT,          /* the Pi's first NFS packet: its root is being mounted */
    PR_OBS_QUARANTINE,    /* the remediation ladder gave up */
    PR_OBS_RELEASE,       /* ops released a quarantined slot */
};

/* "dhcp", "tftp", "root", "up" (and "none") for events. */
const char *pr_boot_stage_name(enum pr_boot_stage st);

/* Which observation a TFTP path is: kernel*.img -> PR_OBS_TFTP_KERNEL,
 * anything else -> PR_OBS_TFTP_FIRMWARE.  path may carry a prefix. */
enum pr_boot_obs pr_boot_classify_tftp(const char *path);

/* One slot's run through the timeline, as plain data: the boot service
 * keeps one per slot and the timeouts are pure arithmetic on it. */
struct pr_boot_run {
    enum pr_boot_state state;
    uint64_t since_ms;               /* when the state began (monotonic ms) */
    uint64_t deadline_ms;            /* when the awaited stage is late; 0 = none */
    bool root_seen;                  /* this boot mounted its root (reset by power-on) */
    enum pr_boot_stage failed_stage; /* the stage whose deadline passed, in failed */
};

enum pr_boot_step {
    PR_BOOT_SAME,
    PR_BOOT_MOVED,
    PR_BOOT_IGNORED
};

#endif
