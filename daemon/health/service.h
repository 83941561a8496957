/* health service: probes each booted Pi on [health] port over its IPv6
 * address, spread over [health] interval; reports up and unhealthy to the
 * boot timeline; and climbs the remediation ladder (power-cycle, reimage,
 * quarantine) for failed or unhealthy Pis whose policy allows it, with its
 * state in the store.  What daemon/ (the services table) and daemon/http/
 * call. */
#ifndef PIRACK_HEALTH_SERVICE_H
#define PIRACK_HEALTH_SERVICE_H

#include <stdbool.h>
#include <stddef.h>

struct pr_daemon;

int pr_health_service_start(struct pr_daemon *d);
void pr_health_service_stop(struct pr_daemon *d);

/* After a reload: the probes' pace follows the new [health] interval and
 * probe; the ladder reads its keys each tick anyway.  Returns 0. */
int pr_health_service_reload(struct pr_daemon *d);

/* Whether a pi with this policy is remediated automatically: policy
 * "remediate" yes, "manual" no, else [health] remediation. */
bool pr_health_remediation_allowed(const struct pr_daemon *d, const char *policy);

/* Releases a quarantined slot (ops): the state goes to off, the ladder's
 * counters reset, the root is exported again; the port stays off.
 * Returns 0, -ENOENT no such slot, -EINVAL not quarantined (why says so). */
int pr_health_release(struct pr_daemon *d, unsigned slot, const char *actor, char *why,
                      size_t whylen);

/* Why automatic remediation is paused ("self-check", "too-many-unhealthy")
 * or NULL; for GET /v1/status. */
const char *pr_health_paused(const struct pr_daemon *d);
/* What failed pirackd's self-check at the last tick ("switch a: Timeout",
 * "dhcp: ..."), or NULL when everything passed; for GET /v1/status. */
const char *pr_health_self_check_failed(const struct pr_daemon *d);

#endif
