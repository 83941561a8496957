/* The boot timeline's pure parts: names, the transition function and the
 * step each state waits for.  See pirack/boot.h. */
#include <string.h>

#include "pirack/boot.h"
#include "boot_internal.h"

static const char *const state_names[] = {
    [PR_BOOT_OFF] = "off",           [PR_BOOT_POWERED] = "powered", [PR_BOOT_DHCP] = "dhcp",
    [PR_BOOT_FIRMWARE] = "firmware", [PR_BOOT_KERNEL] = "kernel",   [PR_BOOT_BOOTED] = "booted",
    [PR_BOOT_FAILED] = "failed",
};

static const char *const obs_names[] = {
    [PR_OBS_POWER_ON] = "power_on",           [PR_OBS_POWER_OFF] = "power_off",
    [PR_OBS_DHCP_ROM] = "dhcp_rom",           [PR_OBS_DHCP_OS] = "dhcp_os",
    [PR_OBS_TFTP_FIRMWARE] = "tftp_firmware", [PR_OBS_TFTP_KERNEL] = "tftp_kernel",
    [PR_OBS_HEALTH_UP] = "health_up",         [PR_OBS_HEALTH_DOWN] = "health_down",
};

#define N_STATES (sizeof state_names / sizeof state_names[0])
#define N_OBS (sizeof obs_names / sizeof obs_names[0])

const char *pr_boot_state_name(enum pr_boot_state s)
{
    return (unsigned)s < N_STATES ? state_names[s] : "unknown";
}

int pr_boot_state_parse(const char *name)
{
    for (unsigned i = 0; name && i < N_STATES; i++)
        if (strcmp(name, state_names[i]) == 0)
            return (int)i;
    return -1;
}

const char *pr_boot_obs_name(enum pr_boot_obs obs)
{
    return (unsigned)obs < N_OBS ? obs_names[obs] : "unknown";
}

enum pr_boot_obs pr_boot_classify_tftp(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (strncmp(base, "kernel", 6) == 0 && n >= 10 && strcmp(base + n - 4, ".img") == 0)
        return PR_OBS_TFTP_KERNEL;
    return PR_OBS_TFTP_FIRMWARE;
}

/* A step of the boot that came from a slot whose port is off, or a TFTP
 * request from a slot that is already up or has failed: worth an event,
 * not a new state. */
bool pr_boot_unexpected(enum pr_boot_state s, enum pr_boot_obs obs)
{
    switch (obs) {
    case PR_OBS_TFTP_FIRMWARE:
    case PR_OBS_TFTP_KERNEL:
        return s == PR_BOOT_OFF || s == PR_BOOT_BOOTED || s == PR_BOOT_FAILED;
    case PR_OBS_HEALTH_DOWN:
        return s != PR_BOOT_BOOTED;
    default:
        return false;
    }
}

enum pr_boot_state pr_boot_next(enum pr_boot_state s, enum pr_boot_obs obs)
{
    if (pr_boot_unexpected(s, obs))
        return s;
    switch (obs) {
    case PR_OBS_POWER_ON:
        return PR_BOOT_POWERED;
    case PR_OBS_POWER_OFF:
        return PR_BOOT_OFF;
    case PR_OBS_DHCP_ROM:
        /* bootcode.bin asks again once loaded: still the firmware step.
         * Anywhere else the ROM speaking means a boot begins, even when
         * the slot was up (the Pi rebooted) or had failed. */
        return s == PR_BOOT_FIRMWARE ? PR_BOOT_FIRMWARE : PR_BOOT_DHCP;
    case PR_OBS_DHCP_OS:
    case PR_OBS_HEALTH_UP:
        return PR_BOOT_BOOTED;
    case PR_OBS_TFTP_FIRMWARE:
        /* start.elf reads cmdline.txt and overlays after the kernel too */
        return s == PR_BOOT_KERNEL ? PR_BOOT_KERNEL : PR_BOOT_FIRMWARE;
    case PR_OBS_TFTP_KERNEL:
        return PR_BOOT_KERNEL;
    case PR_OBS_HEALTH_DOWN:
        return PR_BOOT_FAILED;
    }
    return s;
}

enum pr_boot_state pr_boot_awaited(enum pr_boot_state s)
{
    switch (s) {
    case PR_BOOT_POWERED:
        return PR_BOOT_DHCP;
    case PR_BOOT_DHCP:
        return PR_BOOT_FIRMWARE;
    case PR_BOOT_FIRMWARE:
        return PR_BOOT_KERNEL;
    case PR_BOOT_KERNEL:
        return PR_BOOT_BOOTED;
    default:
        return s;
    }
}

static void run_enter(struct pr_boot_run *r, enum pr_boot_state s, uint64_t now_ms,
                      uint64_t timeout_ms)
{
    r->state = s;
    r->since_ms = now_ms;
    bool waits = pr_boot_awaited(s) != s;
    r->deadline_ms = waits && timeout_ms ? now_ms + timeout_ms : 0;
}

enum pr_boot_step pr_boot_run_observe(struct pr_boot_run *r, enum pr_boot_obs obs, uint64_t now_ms,
                                      uint64_t timeout_ms)
{
    if (pr_boot_unexpected(r->state, obs))
        return PR_BOOT_IGNORED;
    enum pr_boot_state next = pr_boot_next(r->state, obs);
    if (next == r->state)
        return PR_BOOT_SAME;
    run_enter(r, next, now_ms, timeout_ms);
    return PR_BOOT_MOVED;
}

bool pr_boot_run_expire(struct pr_boot_run *r, uint64_t now_ms, enum pr_boot_state *awaited)
{
    if (!r->deadline_ms || now_ms < r->deadline_ms)
        return false;
    *awaited = pr_boot_awaited(r->state);
    run_enter(r, PR_BOOT_FAILED, now_ms, 0);
    return true;
}
