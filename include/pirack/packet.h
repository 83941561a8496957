/* packet: a filtered AF_PACKET socket that sees the frames behind the
 * datagrams a UDP socket reads.  Flat mode uses it to learn which board's
 * MAC sent a DHCP or TFTP request, since a UDP socket never sees it. */
#ifndef PIRACK_PACKET_H
#define PIRACK_PACKET_H

/* Opens a non-blocking packet socket for every protocol (ETH_P_ALL: the
 * kernel queues a frame on such a tap before IP delivers its datagram, so
 * a request's frame is there by the time its datagram is read), keeping
 * only the frames that the libpcap filter expression matches, with a
 * receive buffer of rcvbuf bytes (past rmem_max while we may).  Not bound
 * to an interface, which may appear after pirackd starts: callers check
 * each frame's interface.  Returns the fd, or -errno (-EINVAL for a
 * filter libpcap cannot compile). */
int pr_packet_open(const char *filter, unsigned snaplen, int rcvbuf);

#endif
