/* pisim: the DHCP frames each Pi client sends, and the parse of what comes
 * back.  Pure: bytes in, bytes or a struct out (the fuzzer includes this
 * file).  What each client sends is docs/pi-boot.md's (sections 2, 3, 9
 * and 10), byte for byte. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "pisim.h"

#define ETH_HLEN_ 14
#define IP_HLEN 20
#define UDP_HLEN 8
#define BOOTP_FIXED 236
#define DHCP_COOKIE 0x63825363u

static const char pxe_class[] = "PXEClient:Arch:00000:UNDI:002001";
static const char rpi_menu[] = "Raspberry Pi Boot";

/* The ROM's request list (12); bootcode.bin and later add 1 and 3 (14). */
static const uint8_t prl_rom[] = { 0x2b, 0x3c, 0x43, 0x80, 0x81, 0x82,
                                   0x83, 0x84, 0x85, 0x86, 0x87, 0x42 };
static const uint8_t prl_os[] = { 1, 121, 33, 3, 6, 12, 15, 26, 28, 51, 54, 58, 59, 119 };

const char *dhcp_client_name(enum dhcp_client c)
{
    switch (c) {
    case DC_ROM_3B:
        return "rom-3b";
    case DC_ROM_3BPLUS:
        return "rom-3b+";
    case DC_BOOTCODE:
        return "bootcode.bin";
    case DC_PI4:
        return "eeprom-pi4";
    case DC_OS:
        return "os";
    }
    return "?";
}

uint16_t pisim_ip_checksum(const void *data, size_t len, uint32_t sum)
{
    const uint8_t *p = data;
    while (len > 1) {
        sum += (uint32_t)(p[0] << 8 | p[1]);
        p += 2;
        len -= 2;
    }
    if (len)
        sum += (uint32_t)p[0] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

struct optbuf {
    uint8_t *p;
    size_t len, cap;
    bool overflow;
};

static void opt_put(struct optbuf *b, uint8_t code, const void *data, size_t len)
{
    if (b->len + 2 + len > b->cap || len > 255) {
        b->overflow = true;
        return;
    }
    b->p[b->len++] = code;
    b->p[b->len++] = (uint8_t)len;
    memcpy(b->p + b->len, data, len);
    b->len += len;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* Option 97, the client machine identifier: type 0 and 16 bytes. */
static void guid_for(const struct pi *pi, uint8_t out[17])
{
    out[0] = 0;
    if (pi->dhcp.client == DC_ROM_3B) {
        memset(out + 1, 0x44, 16); /* the same on every 3B */
    } else if (pi->dhcp.client == DC_PI4) {
        memcpy(out + 1, "RPi4", 4);
        put_le32(out + 5, pi->revision);
        memcpy(out + 9, pi->mac + 2, 4);
        put_le32(out + 13, pi->serial);
    } else {
        for (int i = 0; i < 4; i++) /* serial, LE, four times */
            put_le32(out + 1 + 4 * i, pi->serial);
    }
}

static void pxe_options(struct optbuf *b, const struct pi *pi, int msg_type)
{
    uint8_t prl[sizeof prl_rom + 2], guid[17];
    size_t prl_len = sizeof prl_rom;
    static const uint8_t arch[2] = { 0, 0 }, undi[3] = { 1, 2, 1 };

    memcpy(prl, prl_rom, sizeof prl_rom);
    if (pi->dhcp.client != DC_ROM_3B) {
        prl[prl_len++] = 1;
        prl[prl_len++] = 3;
    }
    if (msg_type == 3) {
        opt_put(b, 50, &pi->dhcp.offered, 4);
        opt_put(b, 54, &pi->dhcp.server_id, 4);
    }
    opt_put(b, 55, prl, prl_len);
    opt_put(b, 93, arch, sizeof arch);
    opt_put(b, 94, undi, sizeof undi);
    guid_for(pi, guid);
    opt_put(b, 97, guid, sizeof guid);
    opt_put(b, 60, pxe_class, strlen(pxe_class));
}

static void os_options(struct optbuf *b, const struct pi *pi, int msg_type)
{
    uint8_t cid[7];
    static const uint8_t maxsize[2] = { 0x05, 0xdc }; /* 1500 */
    const char *vendor = pi->model == PI_4 ? "dhcpcd-9.4.1:Linux-6.1.21-v8+:aarch64:BCM2835"
                                           : "dhcpcd-9.4.1:Linux-6.1.21-v7+:armv7l:BCM2835";

    cid[0] = 1;
    memcpy(cid + 1, pi->mac, 6);
    opt_put(b, 61, cid, sizeof cid);
    if (msg_type == 3) {
        opt_put(b, 50, &pi->dhcp.offered, 4);
        opt_put(b, 54, &pi->dhcp.server_id, 4);
    }
    opt_put(b, 57, maxsize, sizeof maxsize);
    opt_put(b, 60, vendor, strlen(vendor));
    opt_put(b, 12, "raspberrypi", 11);
    opt_put(b, 55, prl_os, sizeof prl_os);
}

/* Builds the whole Ethernet frame of a DISCOVER (1) or REQUEST (3) from
 * pi's current client.  Returns its length, or 0 when cap is too small. */
size_t dhcp_build(uint8_t *frame, size_t cap, const struct pi *pi, int msg_type)
{
    uint8_t opts[312];
    struct optbuf b = { opts, 0, sizeof opts - 1, false };
    bool rom_like = pi->dhcp.client != DC_OS;
    uint8_t type = (uint8_t)msg_type;

    opt_put(&b, 53, &type, 1);
    if (rom_like)
        pxe_options(&b, pi, msg_type);
    else
        os_options(&b, pi, msg_type);
    if (b.overflow)
        return 0;
    opts[b.len++] = 255;

    size_t bootp_len = BOOTP_FIXED + 4 + b.len;
    if (!rom_like && bootp_len < 300)
        bootp_len = 300; /* ordinary clients pad to BOOTP's size */
    size_t total = ETH_HLEN_ + IP_HLEN + UDP_HLEN + bootp_len;
    if (total > cap)
        return 0;
    memset(frame, 0, total);

    uint8_t *eth = frame, *ip = frame + ETH_HLEN_, *udp = ip + IP_HLEN;
    uint8_t *bootp = udp + UDP_HLEN;
    memset(eth, 0xff, 6);
    memcpy(eth + 6, pi->mac, 6);
    eth[12] = 0x08;
    eth[13] = 0x00;

    bootp[0] = 1;
    bootp[1] = 1;
    bootp[2] = 6;
    bootp[3] = 0; /* op htype hlen hops */
    uint32_t xid = htonl(pi->dhcp.xid);
    memcpy(bootp + 4, &xid, 4);
    /* secs 0, flags 0 (no broadcast bit), all addresses 0 */
    memcpy(bootp + 28, pi->mac, 6);
    uint32_t cookie = htonl(DHCP_COOKIE);
    memcpy(bootp + BOOTP_FIXED, &cookie, 4);
    memcpy(bootp + BOOTP_FIXED + 4, opts, b.len);

    uint16_t udp_len = (uint16_t)(UDP_HLEN + bootp_len);
    udp[0] = 0;
    udp[1] = 68;
    udp[2] = 0;
    udp[3] = 67;
    udp[4] = (uint8_t)(udp_len >> 8);
    udp[5] = (uint8_t)udp_len;

    uint16_t ip_len = (uint16_t)(IP_HLEN + udp_len);
    ip[0] = 0x45;
    ip[2] = (uint8_t)(ip_len >> 8);
    ip[3] = (uint8_t)ip_len;
    ip[8] = rom_like ? 128 : 64; /* the ROM's TTL is 128 */
    ip[9] = 17;
    memset(ip + 16, 0xff, 4); /* 0.0.0.0 -> 255.255.255.255 */
    uint16_t sum = pisim_ip_checksum(ip, IP_HLEN, 0);
    ip[10] = (uint8_t)(sum >> 8);
    ip[11] = (uint8_t)sum;

    if (!rom_like) {                                      /* the ROM leaves the UDP sum 0 */
        uint32_t pseudo = 0xffff + 0xffff + 17 + udp_len; /* src 0, dst ones */
        uint16_t usum = pisim_ip_checksum(udp, udp_len, pseudo);
        if (usum == 0)
            usum = 0xffff;
        udp[6] = (uint8_t)(usum >> 8);
        udp[7] = (uint8_t)usum;
    }
    return total;
}

static bool get_addr(const uint8_t *v, size_t len, struct in_addr *out)
{
    if (len < 4 || len % 4)
        return false;
    memcpy(out, v, 4);
    return true;
}

/* Option 66 is a server *name*; the ROM has no resolver and honours it only
 * as a dotted quad. */
static bool dotted_quad(const uint8_t *v, size_t len, struct in_addr *out)
{
    char s[16];
    if (len == 0 || len >= sizeof s)
        return false;
    memcpy(s, v, len);
    s[len] = '\0';
    if (s[len - 1] == '\0')
        len--;
    return inet_pton(AF_INET, s, out) == 1;
}

static int parse_options(const uint8_t *p, size_t len, struct dhcp_reply *r)
{
    size_t i = 0;
    while (i < len) {
        uint8_t code = p[i++];
        if (code == 0)
            continue;
        if (code == 255)
            return 0;
        if (i >= len)
            return -1;
        size_t olen = p[i++];
        if (olen > len - i)
            return -1;
        const uint8_t *v = p + i;
        switch (code) {
        case 53:
            if (olen != 1)
                return -1;
            r->msg_type = v[0];
            break;
        case 1:
            r->has_mask = olen == 4 && get_addr(v, olen, &r->mask);
            break;
        case 3:
            r->has_router = get_addr(v, olen, &r->router);
            break;
        case 54:
            r->has_server_id = olen == 4 && get_addr(v, olen, &r->server_id);
            break;
        case 51:
            if (olen == 4) {
                r->has_lease = true;
                r->lease_s =
                    (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
            }
            break;
        case 43:
            r->has_opt43 = true;
            r->opt43 = v;
            r->opt43_len = olen;
            r->tftp66_after_43 = false;
            break;
        case 60:
            r->has_opt60_pxe = olen >= 9 && memcmp(v, "PXEClient", 9) == 0;
            break;
        case 66:
            r->has_tftp66 = dotted_quad(v, olen, &r->tftp66);
            r->tftp66_after_43 = r->has_tftp66;
            break;
        case 97:
            r->opt97 = v;
            r->opt97_len = olen;
            break;
        default:
            break;
        }
        i += olen;
    }
    return 0; /* no end option: accepted, as most clients do */
}

/* Parses an Ethernet frame holding a BOOTP reply to port 68.  Returns 0, or
 * -1 for anything else or anything malformed. */
int dhcp_parse_frame(const uint8_t *f, size_t len, struct dhcp_reply *r)
{
    memset(r, 0, sizeof *r);
    r->msg_type = -1;
    if (len < ETH_HLEN_ + IP_HLEN || f[12] != 0x08 || f[13] != 0x00)
        return -1;
    const uint8_t *ip = f + ETH_HLEN_;
    size_t ip_avail = len - ETH_HLEN_;
    size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
    size_t ip_len = (size_t)ip[2] << 8 | ip[3];
    if ((ip[0] >> 4) != 4 || ihl < IP_HLEN || ip_len > ip_avail || ip_len < ihl + UDP_HLEN)
        return -1;
    if (ip[9] != 17 || ((ip[6] & 0x3f) | ip[7]) != 0) /* UDP, not a fragment */
        return -1;
    memcpy(&r->ip_src, ip + 12, 4);
    const uint8_t *udp = ip + ihl;
    size_t udp_len = (size_t)udp[4] << 8 | udp[5];
    if (udp[2] != 0 || udp[3] != 68 || udp_len < UDP_HLEN || udp_len > ip_len - ihl)
        return -1;
    const uint8_t *b = udp + UDP_HLEN;
    size_t blen = udp_len - UDP_HLEN;
    if (blen < BOOTP_FIXED + 4)
        return -1;
    uint32_t cookie;
    memcpy(&cookie, b + BOOTP_FIXED, 4);
    if (ntohl(cookie) != DHCP_COOKIE)
        return -1;
    r->op = b[0];
    r->htype = b[1];
    r->hlen = b[2];
    uint32_t xid;
    memcpy(&xid, b + 4, 4);
    r->xid = ntohl(xid);
    r->flags = (uint16_t)(b[10] << 8 | b[11]);
    memcpy(&r->yiaddr, b + 16, 4);
    memcpy(&r->siaddr, b + 20, 4);
    memcpy(r->chaddr, b + 28, 6);
    if (r->op != 2)
        return -1;
    return parse_options(b + BOOTP_FIXED + 4, blen - BOOTP_FIXED - 4, r);
}

/* Walks option 43's sub-options and looks at each PXE menu item (sub-option
 * 9 holds items: type (2), text length (1), text). */
static bool menu_has(const uint8_t *opt, size_t len, bool strict_3b, bool *saw_unpadded)
{
    size_t i = 0;
    while (i < len) {
        uint8_t code = opt[i++];
        if (code == 0)
            continue;
        if (code == 255 || i >= len)
            break;
        size_t olen = opt[i++];
        if (olen > len - i)
            return false;
        if (code == 9) {
            const uint8_t *m = opt + i;
            size_t j = 0;
            while (j + 3 <= olen) {
                size_t tlen = m[j + 2];
                if (tlen > olen - j - 3)
                    return false;
                const uint8_t *text = m + j + 3;
                size_t want = sizeof rpi_menu - 1;
                if (tlen >= want && memcmp(text, rpi_menu, want) == 0) {
                    if (!strict_3b)
                        return true;
                    /* The 3B ROM reads the length three short: it needs
                     * three more bytes, and the tutorial's are spaces. */
                    if (tlen == want + 3 && memcmp(text + want, "   ", 3) == 0)
                        return true;
                    if (tlen == want)
                        *saw_unpadded = true;
                }
                j += 3 + tlen;
            }
        }
        i += olen;
    }
    return false;
}

bool dhcp_menu_ok(enum dhcp_client c, const uint8_t *opt, size_t len, char *why, size_t whylen)
{
    bool unpadded = false;
    if (opt == NULL) {
        snprintf(why, whylen, "no option 43");
        return false;
    }
    if (c == DC_ROM_3B) {
        if (menu_has(opt, len, true, &unpadded))
            return true;
        snprintf(
            why, whylen,
            unpadded
                ? "option 43 menu \"Raspberry Pi Boot\" lacks the three spaces the 3B ROM needs"
                : "option 43 has no \"Raspberry Pi Boot   \" menu item");
        return false;
    }
    /* Fixed firmware: the string anywhere in the option will do. */
    if (len >= sizeof rpi_menu - 1 && memmem(opt, len, rpi_menu, sizeof rpi_menu - 1))
        return true;
    snprintf(why, whylen, "option 43 does not contain \"Raspberry Pi Boot\"");
    return false;
}
