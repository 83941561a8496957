/* Ethernet + IPv4 + UDP frames by hand (RFC 791, 768, 1071). */
#include <errno.h>
#include <string.h>

#include "pirack/frame.h"
#include "dhcp_internal.h"

uint32_t pr_csum_add(uint32_t sum, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len > 1) {
        sum += (uint32_t)(p[0] << 8 | p[1]);
        p += 2;
        len -= 2;
    }
    if (len)
        sum += (uint32_t)(p[0] << 8);
    return sum;
}

uint16_t pr_csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* The UDP checksum covers a pseudo-header of the addresses, protocol and
 * UDP length, then the UDP header and payload. */
static uint16_t udp_checksum(struct in_addr src, struct in_addr dst, const uint8_t *udp,
                             size_t udp_len)
{
    uint8_t pseudo[12];
    memcpy(pseudo, &src, 4);
    memcpy(pseudo + 4, &dst, 4);
    pseudo[8] = 0;
    pseudo[9] = IPPROTO_UDP;
    put16(pseudo + 10, (uint16_t)udp_len);
    uint32_t sum = pr_csum_add(0, pseudo, sizeof pseudo);
    sum = pr_csum_add(sum, udp, udp_len);
    return (uint16_t)~pr_csum_fold(sum);
}

int pr_udp4_frame(uint8_t *out, size_t cap, const struct pr_udp4_addrs *a, const void *payload,
                  size_t len)
{
    size_t total = PR_UDP4_FRAME_OVERHEAD + len;
    if (len > 0xffff - PR_IP4_HLEN - PR_UDP_HLEN || total > cap)
        return -EMSGSIZE;
    uint8_t *eth = out, *ip = out + PR_ETH_HLEN, *udp = ip + PR_IP4_HLEN;

    memcpy(eth, a->dst_mac, 6);
    memcpy(eth + 6, a->src_mac, 6);
    put16(eth + 12, 0x0800);

    memset(ip, 0, PR_IP4_HLEN);
    ip[0] = 0x45; /* v4, 5 words */
    put16(ip + 2, (uint16_t)(PR_IP4_HLEN + PR_UDP_HLEN + len));
    ip[8] = a->ttl ? a->ttl : 64;
    ip[9] = IPPROTO_UDP;
    memcpy(ip + 12, &a->src, 4);
    memcpy(ip + 16, &a->dst, 4);
    put16(ip + 10, (uint16_t)~pr_csum_fold(pr_csum_add(0, ip, PR_IP4_HLEN)));

    put16(udp, a->sport);
    put16(udp + 2, a->dport);
    put16(udp + 4, (uint16_t)(PR_UDP_HLEN + len));
    put16(udp + 6, 0);
    memcpy(udp + PR_UDP_HLEN, payload, len);
    uint16_t c = udp_checksum(a->src, a->dst, udp, PR_UDP_HLEN + len);
    put16(udp + 6, c ? c : 0xffff); /* 0 means "none" in UDP */
    return (int)total;
}

int pr_udp4_parse(const uint8_t *frame, size_t len, struct pr_udp4_addrs *a,
                  const uint8_t **payload, size_t *plen)
{
    if (len < PR_UDP4_FRAME_OVERHEAD || get16(frame + 12) != 0x0800)
        return -EBADMSG;
    const uint8_t *ip = frame + PR_ETH_HLEN;
    size_t ihl = (size_t)(ip[0] & 15) * 4, ip_len = get16(ip + 2);
    if ((ip[0] >> 4) != 4 || ihl < PR_IP4_HLEN || ip[9] != IPPROTO_UDP)
        return -EBADMSG;
    if (ip_len < ihl + PR_UDP_HLEN || ip_len > len - PR_ETH_HLEN)
        return -EBADMSG;
    if (get16(ip + 6) & 0x3fff)
        return -EBADMSG; /* a fragment */
    if (pr_csum_fold(pr_csum_add(0, ip, ihl)) != 0xffff)
        return -EBADMSG;
    const uint8_t *udp = ip + ihl;
    size_t udp_len = get16(udp + 4);
    if (udp_len < PR_UDP_HLEN || udp_len > ip_len - ihl)
        return -EBADMSG;
    memcpy(a->dst_mac, frame, 6);
    memcpy(a->src_mac, frame + 6, 6);
    memcpy(&a->src, ip + 12, 4);
    memcpy(&a->dst, ip + 16, 4);
    a->ttl = ip[8];
    a->sport = get16(udp);
    a->dport = get16(udp + 2);
    if (get16(udp + 6) != 0) {
        uint8_t pseudo[12];
        memcpy(pseudo, ip + 12, 8);
        pseudo[8] = 0;
        pseudo[9] = IPPROTO_UDP;
        put16(pseudo + 10, (uint16_t)udp_len);
        uint32_t sum = pr_csum_add(pr_csum_add(0, pseudo, 12), udp, udp_len);
        if (pr_csum_fold(sum) != 0xffff)
            return -EBADMSG;
    }
    *payload = udp + PR_UDP_HLEN;
    *plen = udp_len - PR_UDP_HLEN;
    return 0;
}

/* The kernel has checked the frame already by the time its datagram is
 * read (lengths, and checksums a NIC filled in), so this only locates the
 * UDP payload: no checksum test, which a frame whose checksum the sending
 * host left to offload (veth) would fail. */
bool pr_udp4_frame_carries(const uint8_t *frame, size_t len, uint16_t dport, const uint8_t *dgram,
                           size_t dlen, uint8_t src_mac[6])
{
    if (len < PR_UDP4_FRAME_OVERHEAD || get16(frame + 12) != 0x0800)
        return false;
    const uint8_t *ip = frame + PR_ETH_HLEN;
    size_t ihl = (size_t)(ip[0] & 15) * 4;
    if ((ip[0] >> 4) != 4 || ihl < PR_IP4_HLEN || ip[9] != IPPROTO_UDP || (get16(ip + 6) & 0x3fff))
        return false;
    if (len < PR_ETH_HLEN + ihl + PR_UDP_HLEN)
        return false;
    const uint8_t *udp = ip + ihl;
    size_t udp_len = get16(udp + 4);
    size_t room = len - PR_ETH_HLEN - ihl;
    if (get16(udp + 2) != dport || udp_len != PR_UDP_HLEN + dlen || udp_len > room)
        return false;
    if (memcmp(udp + PR_UDP_HLEN, dgram, dlen) != 0)
        return false;
    memcpy(src_mac, frame + 6, 6);
    return true;
}
