/* The boot timeline's pure parts: names, the transition function, the
 * stage each state belongs to and its deadline.  See pirack/boot.h. */
#include <string.h>

#include "pirack/boot.h"
#include "boot_internal.h"

static const char *const state_names[] = {
    [PR_BOOT_OFF] = "off",
    [PR_BOOT_POWERED] = "powered",
    [PR_BOOT_DHCP] = "dhcp",
    [PR_BOOT_FIRMWARE] = "firmware",
    [PR_BOOT_KERNEL] = "kernel",
    [PR_BOOT_BOOTED] = "booted",
    [PR_BOOT_FAILED] = "failed",
    [PR_BOOT_UP] = "up",
    [PR_BOOT_UNHEALTHY] = "unhealthy",
    [PR_BOOT_QUARANTINED] = "quarantined",
};

static const char *const obs_names[] = {
    [PR_OBS_POWER_ON] = "power_on",
    [PR_OBS_POWER_OFF] = "power_off",
    [PR_OBS_DHCP_ROM] = "dhcp_rom",
    [PR_OBS_DHCP_OS] = "dhcp_os",
    [PR_OBS_TFTP_FIRMWARE] = "tftp_firmware",
    [PR_OBS_TFTP_KERNEL] = "tftp_kernel",
    [PR_OBS_HEALTH_UP] = "health_up",
    [PR_OBS_HEALTH_DOWN] = "health_down",
    [PR_OBS_ROOT] = "nfs_root",
    [PR_OBS_QUARANTINE] = "quarantine",
    [PR_OBS_RELEASE] = "release",
};

static const char *const stage_names[] = {
    [PR_STAGE_NONE] = "none", [PR_STAGE_DHCP] = "dhcp", [PR_STAGE_TFTP] = "tftp",
    [PR_STAGE_ROOT] = "root", [PR_STAGE_UP] = "up",
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

const char *pr_boot_stage_name(enum pr_boot_stage st)
{
    return (unsigned)st < PR_STAGE_COUNT ? stage_names[st] : "unknown";
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

static bool is_running(enum pr_boot_state s)
{
    return s == PR_BOOT_BOOTED || s == PR_BOOT_UP || s == PR_BOOT_UNHEALTHY;
}

/* A step of the boot that came from a slot whose port is off, or a TFTP
 * request from a slot that is already up or has failed: worth an event,
 * not a new state.  A quarantined slot leaves only by release. */
bool pr_boot_unexpected(enum pr_boot_state s, enum pr_boot_obs obs)
{
    if (s == PR_BOOT_QUARANTINED)
        return obs != PR_OBS_RELEASE && obs != PR_OBS_QUARANTINE && obs != PR_OBS_POWER_OFF &&
               obs != PR_OBS_POWER_ON;
    switch (obs) {
    case PR_OBS_TFTP_FIRMWARE:
    case PR_OBS_TFTP_KERNEL:
        return s == PR_BOOT_OFF || is_running(s) || s == PR_BOOT_FAILED;
    case PR_OBS_HEALTH_DOWN:
        return s != PR_BOOT_UP;
    case PR_OBS_HEALTH_UP:
    case PR_OBS_ROOT:
        return s == PR_BOOT_OFF;
    case PR_OBS_RELEASE:
        return true; /* only quarantined slots are released */
    default:
        return false;
    }
}

enum pr_boot_state pr_boot_next(enum pr_boot_state s, enum pr_boot_obs obs)
{
    if (pr_boot_unexpected(s, obs))
        return s;
    if (s == PR_BOOT_QUARANTINED)
        return obs == PR_OBS_RELEASE ? PR_BOOT_OFF : s; /* power is not a way out */
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
    case PR_OBS_ROOT:
        /* the root is mounted; a renewal or a new NFS connection of a Pi
         * that is up says nothing new */
        return is_running(s) ? s : PR_BOOT_BOOTED;
    case PR_OBS_HEALTH_UP:
        return PR_BOOT_UP;
    case PR_OBS_TFTP_FIRMWARE:
        /* start.elf reads cmdline.txt and overlays after the kernel too */
        return s == PR_BOOT_KERNEL ? PR_BOOT_KERNEL : PR_BOOT_FIRMWARE;
    case PR_OBS_TFTP_KERNEL:
        return PR_BOOT_KERNEL;
    case PR_OBS_HEALTH_DOWN:
        return PR_BOOT_UNHEALTHY;
    case PR_OBS_QUARANTINE:
        return PR_BOOT_QUARANTINED;
    case PR_OBS_RELEASE:
        return s;
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
    case PR_BOOT_BOOTED:
        return PR_BOOT_UP;
    default:
        return s;
    }
}

enum pr_boot_stage pr_boot_stage_of(enum pr_boot_state s)
{
    switch (s) {
    case PR_BOOT_POWERED:
        return PR_STAGE_DHCP;
    case PR_BOOT_DHCP:
    case PR_BOOT_FIRMWARE:
        return PR_STAGE_TFTP;
    case PR_BOOT_KERNEL:
        return PR_STAGE_ROOT;
    case PR_BOOT_BOOTED:
        return PR_STAGE_UP;
    default:
        return PR_STAGE_NONE;
    }
}

/* Enters s at now_ms.  A new stage arms its own deadline; a step inside
 * the same stage (dhcp -> firmware) keeps the one it has, so a stage's
 * deadline bounds the whole stage. */
static void run_enter(struct pr_boot_run *r, enum pr_boot_state s, uint64_t now_ms,
                      const struct pr_boot_deadlines *dl)
{
    enum pr_boot_stage was = pr_boot_stage_of(r->state), now = pr_boot_stage_of(s);
    r->state = s;
    r->since_ms = now_ms;
    if (now == PR_STAGE_NONE)
        r->deadline_ms = 0;
    else if (now != was)
        r->deadline_ms = dl && dl->ms[now] ? now_ms + dl->ms[now] : 0;
}

enum pr_boot_step pr_boot_run_observe(struct pr_boot_run *r, enum pr_boot_obs obs, uint64_t now_ms,
                                      const struct pr_boot_deadlines *dl)
{
    if (pr_boot_unexpected(r->state, obs))
        return PR_BOOT_IGNORED;
    if (obs == PR_OBS_POWER_ON)
        r->root_seen = false;
    if (obs == PR_OBS_ROOT || obs == PR_OBS_DHCP_OS || obs == PR_OBS_HEALTH_UP)
        r->root_seen = true;
    enum pr_boot_state next = pr_boot_next(r->state, obs);
    if (next == r->state)
        return PR_BOOT_SAME;
    r->failed_stage = PR_STAGE_NONE;
    run_enter(r, next, now_ms, dl);
    return PR_BOOT_MOVED;
}

bool pr_boot_run_expire(struct pr_boot_run *r, uint64_t now_ms, enum pr_boot_stage *stage)
{
    if (!r->deadline_ms || now_ms < r->deadline_ms)
        return false;
    *stage = pr_boot_stage_of(r->state);
    r->failed_stage = *stage;
    run_enter(r, PR_BOOT_FAILED, now_ms, NULL);
    return true;
}

void pr_boot_run_restart(struct pr_boot_run *r, enum pr_boot_state s, uint64_t now_ms,
                         const struct pr_boot_deadlines *dl)
{
    r->state = PR_BOOT_OFF;
    run_enter(r, s, now_ms, dl);
    r->root_seen = is_running(s);
}
