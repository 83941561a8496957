/* health/selfcheck_service: pirackd's own services, checked each tick of
 * the ladder before it acts: DHCP and TFTP running, the image service
 * when NFS exports are configured, and every switch reachable.  While
 * one of them fails, the Pis failing are likelier the host's fault than
 * theirs, and a switch that does not answer cannot power-cycle anything.
 *
 * A switch's reachability is its last answer (power/service.h); every
 * [health] switch_check this asks each idle switch for one port, so a
 * switch that stopped answering, or answers again, is noticed without
 * waiting for a power action. */
#include <stdio.h>
#include <string.h>

#include "daemon/daemon.h"
#include "daemon/power/service.h"
#include "health_internal.h"

static bool failed(struct pr_self_check *out, const char *check, const char *subject,
                   const char *why)
{
    snprintf(out->check, sizeof out->check, "%s", check);
    snprintf(out->subject, sizeof out->subject, "%s", subject);
    snprintf(out->why, sizeof out->why, "%s", why);
    return false;
}

static bool switches_ok(struct pr_daemon *d, struct pr_self_check *out)
{
    struct pr_power_reach reach[PR_MAX_SWITCHES];
    if (d->cfg->n_switches == 0)
        return true;
    if (!d->power)
        return failed(out, "switch", "", "the power service is not running");
    unsigned n = pr_power_switches_reach(d, reach, PR_MAX_SWITCHES);
    for (unsigned i = 0; i < n && i < PR_MAX_SWITCHES; i++)
        if (!reach[i].reachable)
            return failed(out, "switch", reach[i].name, reach[i].why);
    return true;
}

bool pr_health_self_check(struct pr_daemon *d, uint64_t now_ms, uint64_t *next_switch_check_ms,
                          struct pr_self_check *out)
{
    memset(out, 0, sizeof *out);
    if (d->cfg->switch_check_s && now_ms >= *next_switch_check_ms) {
        pr_power_check_switches(d);
        *next_switch_check_ms = now_ms + d->cfg->switch_check_s * 1000ull;
    }
    if (!d->dhcp)
        return failed(out, "dhcp", "", "the DHCP service is not running");
    if (!d->tftp)
        return failed(out, "tftp", "", "the TFTP service is not running");
    if (strcmp(d->cfg->nfs_backend, "none") != 0 && !d->image)
        return failed(out, "nfs", "", "the image service (NFS exports) is not running");
    return switches_ok(d, out);
}
