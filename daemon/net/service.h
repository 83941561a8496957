/* svc_net: keeps the host side of the address plan in the kernel (see
 * include/pirack/net.h for what that is and what pirackd owns).
 *
 * Start: checks IPv6 forwarding (turns it on with [net] set_forwarding =
 * yes, else logs a clear error: boot and the
 * proxy on this host still work, the world cannot reach the Pis), makes the
 * slot VLANs when
 * [net] create_vlans = yes, and reconciles.  It then watches link changes
 * (an interface that appears or comes back up) and reconciles again, half
 * a second after the last change.  Call pr_net_reconcile() after a
 * configuration reload. */
#ifndef PIRACK_SVC_NET_H
#define PIRACK_SVC_NET_H

#include <stdint.h>
#include "pirack/net.h"

struct pr_daemon;

int pr_net_service_start(struct pr_daemon *d);
void pr_net_service_stop(struct pr_daemon *d);

/* Makes the kernel match d->cfg and d->plan now, records a net.reconciled
 * event (added, removed, failed, missing interfaces).  Returns 0, or the
 * first -errno (already logged with what it was about). */
int pr_net_reconcile(struct pr_daemon *d);

/* Writes slot's static network configuration (include/pirack/netconf.h)
 * into its root tree ROOT_DIR/NNN, when that exists (-ENOENT otherwise).
 * pr_net_reconcile() does it for every slot; the image module calls it
 * after making a Pi's root.  Returns the files written (0..2) or -errno. */
int pr_net_write_pi_config(struct pr_daemon *d, unsigned slot);

/* The last reconciliation's result, when (pr_now_ms) and how many so far.
 * -ENOTCONN when the service is not running. */
int pr_net_service_last(const struct pr_daemon *d, struct pr_net_result *res, uint64_t *at_ms,
                        unsigned *runs);

#endif
