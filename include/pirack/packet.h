/* packet: a filtered AF_PACKET socket that sees the frames behind the
 * datagrams a UDP socket reads.  Flat mode uses it to learn which board's
 * MAC sent a DHCP or TFTP request, since a UDP socket never sees it. */
#ifndef PIRACK_PACKET_H
#define PIRACK_PACKET_H

#include <stdint.h>

/* Opens a non-blocking packet socket for every protocol (ETH_P_ALL: the
 * kernel queues a frame on such a tap before IP delivers its datagram, so
 * a request's frame is there by the time its datagram is read), keeping
 * only the frames that the libpcap filter expression matches, with a
 * receive buffer of rcvbuf bytes (past rmem_max while we may).  Not bound
 * to an interface, which may appear after pirackd starts: callers check
 * each frame's interface.  Returns the fd, or -errno (-EINVAL for a
 * filter libpcap cannot compile). */
int pr_packet_open(const char *filter, unsigned snaplen, int rcvbuf);

/* Keeps only ifindex's frames on fd from now on (a bridge's ports and
 * other links' copies are never queued).  Returns 0 or -errno. */
int pr_packet_bind(int fd, int ifindex);

/* Drops, oldest first, the frames queued on fd that arrived at least
 * older_than_ms ago, at most max_frames of them (a bounded batch per
 * loop turn).  For frames whose datagram never reached the UDP socket
 * (dropped there, or not for a local address): the caller calls it only
 * when that socket's queue is empty, as the kernel queues a datagram
 * microseconds after its frame.  Returns how many were dropped. */
int pr_packet_drop_stale(int fd, unsigned max_frames, unsigned older_than_ms);

/* Adds to *total the frames the kernel dropped on fd since the last call
 * (PACKET_STATISTICS tp_drops: the receive buffer was full).  Returns 0
 * or -errno. */
int pr_packet_drops(int fd, uint64_t *total);

#endif
