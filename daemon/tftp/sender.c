/* tftp/sender: who sent a request, read from the Ethernet frame.
 *
 * In flat mode every Pi shares one segment, so a Pi can take another
 * slot's .2; the UDP socket tells only the address.  The service also
 * reads the frames that carry requests to the TFTP port (an AF_PACKET
 * socket the kernel fills before it hands the datagram to UDP) and checks
 * their source MAC against the slot's board.  Pure: bytes in, a sender
 * out. */
#include <errno.h>
#include <string.h>

#include "tftp_internal.h"

#define ETH_HLEN 14
#define VLAN_HLEN 4
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_VLAN 0x8100
#define IPPROTO_UDP_ 17
#define UDP_HLEN 8

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

int pr_tftp_frame_sender(const uint8_t *frame, size_t len, uint16_t dst_port,
                         struct pr_tftp_sender *out)
{
    size_t off = ETH_HLEN;

    if (!frame || len < ETH_HLEN)
        return -EINVAL;
    uint16_t type = be16(frame + 12);
    if (type == ETHERTYPE_VLAN) {
        if (len < ETH_HLEN + VLAN_HLEN)
            return -EINVAL;
        type = be16(frame + 16);
        off += VLAN_HLEN;
    }
    if (type != ETHERTYPE_IPV4 || len - off < 20)
        return -EINVAL;
    const uint8_t *ip = frame + off;
    size_t ihl = (size_t)(ip[0] & 0x0f) * 4, total = be16(ip + 2);
    /* Only a first (or whole) fragment carries the UDP header. */
    if ((ip[0] >> 4) != 4 || ihl < 20 || total < ihl + UDP_HLEN || total > len - off ||
        ip[9] != IPPROTO_UDP_ || (be16(ip + 6) & 0x1fff) != 0)
        return -EINVAL;
    const uint8_t *udp = ip + ihl;
    /* A request (RRQ 1, WRQ 2), not a transfer's ACK or ERROR: the
     * transfers share the port. */
    if (be16(udp + 2) != dst_port || total < ihl + UDP_HLEN + 2 ||
        (be16(udp + 8) != 1 && be16(udp + 8) != 2))
        return -EINVAL;
    memcpy(out->mac, frame + 6, 6);
    memcpy(&out->addr, ip + 12, 4);
    out->port = be16(udp);
    return 0;
}

int pr_tftp_sender_is(const struct pr_tftp_sender *s, struct in_addr addr, uint16_t port)
{
    return s->addr.s_addr == addr.s_addr && s->port == port;
}
