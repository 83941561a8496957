/* tftp/service: the TFTP server inside pirackd.  Binds [tftp] port on every
 * address, serves each slot's Pi (the .2 of its /30) from boot_dir/NNN/,
 * else boot_dir/default/, and records what it served on the slot's
 * timeline.  Private to daemon/. */
#ifndef PIRACK_SVC_TFTP_H
#define PIRACK_SVC_TFTP_H

struct pr_daemon;

/* Sets d->tftp.  Returns 0 or -errno (the port is taken, no permission). */
int pr_tftp_service_start(struct pr_daemon *d);
/* Ends every transfer and closes the socket; d->tftp becomes NULL. */
void pr_tftp_service_stop(struct pr_daemon *d);

#endif
