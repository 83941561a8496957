/* tftp/tftp_internal: what only daemon/tftp/ and its tests use.  Private
 * to daemon/tftp/. */
#ifndef PIRACK_TFTP_INTERNAL_H
#define PIRACK_TFTP_INTERNAL_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

/* ---- sender.c: who sent a request, from the frame that carried it ---- */

/* The Ethernet source, IPv4 source and UDP source port of one frame. */
struct pr_tftp_sender {
    uint8_t mac[6];
    struct in_addr addr;
    uint16_t port; /* host order */
};

/* Parses an Ethernet II frame (at most one 802.1Q tag) carrying an IPv4
 * UDP datagram to dst_port (host order) that starts a TFTP request (RRQ
 * or WRQ).  0, or -EINVAL for anything else: another protocol or port, an
 * ACK or ERROR, a later fragment, a truncated or inconsistent header. */
int pr_tftp_frame_sender(const uint8_t *frame, size_t len, uint16_t dst_port,
                         struct pr_tftp_sender *out);

/* Whether a frame came from this address and port. */
int pr_tftp_sender_is(const struct pr_tftp_sender *s, struct in_addr addr, uint16_t port);

#endif
