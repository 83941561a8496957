/* health/bringup_service: `pirack bringup` in pirackd.  A run lives in the
 * store (pr_store_bringup_*), not in the CLI: the CLI starts it (POST
 * /v1/bringup) and follows it (GET /v1/bringup), and a restarted pirackd
 * resumes it.  The DHCP service tells it of every board it cannot place
 * (flat mode) and of every board its slot did not hold (isolated mode),
 * which is also how isolated mode learns boards without a run. */
#ifndef PIRACK_HEALTH_BRINGUP_SERVICE_H
#define PIRACK_HEALTH_BRINGUP_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pr_daemon;
struct pr_bringup_service;

int pr_bringup_service_start(struct pr_daemon *d);
void pr_bringup_service_stop(struct pr_daemon *d);

/* Starts a run over the slots that slots names ("N", "N-M", lists, "all";
 * NULL or "" for all) and that switch sw serves (NULL or "" for any).
 * A run already going is returned as it is (*running set): the call is
 * idempotent.  Returns the run's id, or -errno with why:
 *   -EINVAL  a spec that does not parse   -ERANGE  a slot outside the rack
 *   -ENOENT  no such switch              -ENODEV  no switch serves the slots
 *   -EIO     the store failed */
int64_t pr_bringup_start(struct pr_daemon *d, const char *slots, const char *sw, const char *actor,
                         bool *running, char *why, size_t whylen);

/* A board's DHCP: slot is the slot its interface names (isolated mode)
 * or 0 (flat mode: a board no slot owns, or a boot ROM's DHCP that a run
 * listening for a slot may claim: a known board moved there).  model ("pi3b", ...)
 * and serial (hex) are "" when the packet did not tell.  Returns the
 * slot the board was learned in, 0 when it was not. */
unsigned pr_bringup_board_seen(struct pr_daemon *d, unsigned slot, const char *mac,
                               const char *model, const char *serial);

#endif
