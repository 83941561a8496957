/* power/service_switches: the power service's switches: each [switch] section's profile and worker,
 * started with the service and rebuilt on a reload that changed them.
 * Below service.c and service_sched.c (which applies a reload that
 * waited for the switches to be idle). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "power_internal.h"

static const char *const builtin_profile_dirs[] = {
    "/usr/local/share/pirack/profiles",
    "/usr/share/pirack/profiles",
};

/* An SNMP switch without a profile speaks the standard MIB. */
static const char *profile_name(const struct pr_switch_config *sw)
{
    return sw->profile[0] ? sw->profile : "standard";
}

static int load_profile(const struct pr_config *cfg, const struct pr_switch_config *sw,
                        struct pr_poe_profile **out)
{
    char err[512] = "";
    int r = -ENOENT;

    if (cfg->power_profiles[0]) {
        r = pr_poe_profile_load(cfg->power_profiles, profile_name(sw), out, err, sizeof(err));
    } else {
        for (size_t i = 0; i < sizeof(builtin_profile_dirs) / sizeof(builtin_profile_dirs[0]);
             i++) {
            r = pr_poe_profile_load(builtin_profile_dirs[i], profile_name(sw), out, err,
                                    sizeof(err));
            if (r != -ENOENT)
                break;
        }
    }
    if (r < 0) {
        char esc[600];

        pr_err("[switch %s]: profile %s: %s", sw->name, profile_name(sw),
               pr_escape(err, strlen(err), esc, sizeof(esc)));
        return r;
    }
    if (!pr_poe_profile_supports(*out, sw->driver)) {
        pr_err("[switch %s]: profile %s has no %s part", sw->name, profile_name(sw),
               sw->driver == PR_SWITCH_SNMP ? "snmp" : "cli");
        pr_poe_profile_free(*out);
        *out = NULL;
        return -EINVAL;
    }
    return 0;
}

int pr_power_switch_start(struct pr_power_service *svc, const struct pr_switch_config *sw)
{
    struct power_switch *ps = &svc->switches[svc->n_switches];
    char err[512] = "";
    int r;

    ps->cfg = *sw;
    r = load_profile(svc->d->cfg, sw, &ps->profile);
    if (r < 0)
        return r;
    r = pr_poe_switch_new(&ps->cfg, ps->profile, svc->d->loop, &ps->sw, err, sizeof(err));
    if (r < 0) {
        pr_err("[switch %s]: %s", sw->name, err);
        pr_poe_profile_free(ps->profile);
        ps->profile = NULL;
        return r;
    }
    ps->max_on = sw->power_budget_w && sw->port_power_w ? sw->power_budget_w / sw->port_power_w : 0;
    svc->n_switches++;
    for (unsigned s = sw->first_slot; s <= sw->last_slot; s++) {
        unsigned port = sw->port_base + (s - sw->first_slot);

        if (pr_store_set_slot_switch(svc->d->store, s, sw->name, port) < 0)
            pr_warn("slot %u: cannot record switch %s port %u: %s", s, sw->name, port,
                    pr_store_errmsg(svc->d->store));
    }
    pr_info("switch %s: %s over %s at %s, slots %u-%u", sw->name, profile_name(sw),
            sw->driver == PR_SWITCH_SNMP ? "snmp" : "ssh", sw->address, sw->first_slot,
            sw->last_slot);
    return 0;
}

void pr_power_switches_stop(struct pr_power_service *svc)
{
    for (unsigned i = 0; i < svc->n_switches; i++) {
        pr_poe_switch_free(svc->switches[i].sw);
        pr_poe_profile_free(svc->switches[i].profile);
        memset(&svc->switches[i], 0, sizeof(svc->switches[i]));
    }
    svc->n_switches = 0;
}

/* Rebuilds the switches from d->cfg; only when no op and no status read
 * is at a switch, since a worker holds its switch's session. */
void pr_power_apply_reload(struct pr_power_service *svc)
{
    struct pr_daemon *d = svc->d;
    int r = 0;

    svc->reload_pending = false;
    pr_power_switches_stop(svc);
    snprintf(svc->profiles_dir, sizeof(svc->profiles_dir), "%s", d->cfg->power_profiles);
    for (unsigned i = 0; r == 0 && i < d->cfg->n_switches; i++)
        r = pr_power_switch_start(svc, &d->cfg->switches[i]);
    if (r < 0)
        pr_err("reload: the switches after the first %u did not start", svc->n_switches);
    pr_daemon_event(d, 0, "power.switches", "pirackd", "{s:i, s:s}", "switches",
                    (int)svc->n_switches, "outcome", r == 0 ? "reloaded" : strerror(-r));
}
