/* frame: Ethernet + IPv4 + UDP frames built and checked by hand, for the
 * replies that must reach a host that has no address yet (a DHCP OFFER
 * unicast to a MAC with no ARP entry) and for reading captured packets.
 * Pure functions: no sockets. */
#ifndef PIRACK_FRAME_H
#define PIRACK_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#define PR_ETH_HLEN 14
#define PR_IP4_HLEN 20
#define PR_UDP_HLEN 8
#define PR_UDP4_FRAME_OVERHEAD (PR_ETH_HLEN + PR_IP4_HLEN + PR_UDP_HLEN)

struct pr_udp4_addrs {
    uint8_t src_mac[6], dst_mac[6];
    struct in_addr src, dst;
    uint16_t sport, dport; /* host order */
    uint8_t ttl;
};

/* Writes an Ethernet II frame holding IPv4 (DF clear, id 0) and UDP with
 * both checksums.  Returns the frame length, or -EMSGSIZE. */
int pr_udp4_frame(uint8_t *out, size_t cap, const struct pr_udp4_addrs *a, const void *payload,
                  size_t len);

/* Parses an Ethernet II / IPv4 / UDP frame (no IP options needed, none
 * refused); checks lengths and, when present, both checksums.  On
 * success fills a and points *payload at the UDP payload.  Returns 0 or
 * -EBADMSG. */
int pr_udp4_parse(const uint8_t *frame, size_t len, struct pr_udp4_addrs *a,
                  const uint8_t **payload, size_t *plen);

#endif
