/* net/service: keeps the host side of the address plan in the kernel (see
 * net_internal.h for what that is and what pirackd owns).
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

struct pr_daemon;

/* The outcome of one reconciliation. */
struct pr_net_result {
    unsigned added, removed, failed, missing_if;
    unsigned foreign;       /* wanted, but there untagged: left alone */
    int first_error;        /* -errno of the first failure, 0 if none */
    char first_failed[128]; /* the item it was about */
};

/* IPv6 forwarding (net.ipv6.conf.all.forwarding of this network
 * namespace): 1 on, 0 off, or -errno. */
int pr_net_ipv6_forwarding(void);

int pr_net_service_start(struct pr_daemon *d);
void pr_net_service_stop(struct pr_daemon *d);

/* Makes the kernel match d->cfg and d->plan now, records a net.reconciled
 * event (added, removed, failed, missing interfaces).  Returns 0, or the
 * first -errno (already logged with what it was about). */
int pr_net_reconcile(struct pr_daemon *d);

/* Writes slot's static network configuration (netconf_internal.h)
 * into its root tree ROOT_DIR/NNN, when that exists (-ENOENT otherwise).
 * pr_net_reconcile() does it for every slot; the image module calls it
 * after making a Pi's root.  Returns the files written (0..2) or -errno. */
int pr_net_write_pi_config(struct pr_daemon *d, unsigned slot);
/* Flat mode: binds slot's .2 to the MAC of the board the store has for it
 * (a permanent neighbour entry), or unbinds it when the slot has none.
 * pr_net_reconcile() does it for every slot; call it after a board is
 * assigned or taken out.  0 or -errno; nothing in isolated mode. */
int pr_net_bind_slot(struct pr_daemon *d, unsigned slot);

/* The last reconciliation's result, when (pr_now_ms) and how many so far.
 * -ENOTCONN when the service is not running. */
int pr_net_service_last(const struct pr_daemon *d, struct pr_net_result *res, uint64_t *at_ms,
                        unsigned *runs);

#endif
