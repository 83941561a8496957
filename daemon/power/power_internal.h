/* power/service internals for the files that see the daemon: service.c
 * (life, requests, recovery, views), service_sched.c (the pacing and
 * the switches' answers) and service_switches.c (profiles and workers).
 * The state itself is in state.h. */
#ifndef PIRACK_SVC_POWER_INTERNAL_H
#define PIRACK_SVC_POWER_INTERNAL_H

#include "daemon/daemon.h"
#include "service.h"
#include "state.h"

/* service_sched.c */
void pr_power_kick(struct pr_power_service *svc);
void pr_power_on_tick(void *ctx);
void pr_power_poll_all(void *ctx);
int pr_power_refresh(struct pr_power_service *svc, struct power_switch *ps, const unsigned *slots,
                     size_t n);
void pr_power_batches_free(struct pr_power_service *svc);
/* service_switches.c.  pr_power_switch_start() loads sw's profile,
 * starts its worker as the next of svc->switches and records each of its
 * slots' switch and port in the store; pr_power_switches_stop() frees
 * them all; pr_power_apply_reload() rebuilds them from d->cfg. */
int pr_power_switch_start(struct pr_power_service *svc, const struct pr_switch_config *sw);
void pr_power_switches_stop(struct pr_power_service *svc);
void pr_power_apply_reload(struct pr_power_service *svc);

#endif
