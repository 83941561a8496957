/* DHCP packets as real clients send them, byte by byte, for the unit
 * tests and the fuzz corpus generator.  Header-only (static) so that it
 * is not linked into every unit test binary.
 *
 * The Pi 3B ROM DISCOVER follows docs/pi-boot.md section 2 exactly: 320
 * bytes of BOOTP, xid 0x26f30339, flags 0, the options in the ROM's
 * order. */
#ifndef PIRACK_TEST_DHCP_PACKETS_H
#define PIRACK_TEST_DHCP_PACKETS_H

#include <stdint.h>
#include <string.h>

struct tpkt {
    uint8_t b[1600];
    size_t n;
};

#define PI3_XID 0x26f30339u
#define PXE_VENDOR "PXEClient:Arch:00000:UNDI:002001"

static inline void tp_header(struct tpkt *p, uint8_t op, uint32_t xid, uint16_t flags,
                             const uint8_t mac[6], uint32_t ciaddr_be)
{
    memset(p, 0, sizeof *p);
    p->b[0] = op;
    p->b[1] = 1;
    p->b[2] = 6;
    p->b[3] = 0;
    p->b[4] = (uint8_t)(xid >> 24);
    p->b[5] = (uint8_t)(xid >> 16);
    p->b[6] = (uint8_t)(xid >> 8);
    p->b[7] = (uint8_t)xid;
    p->b[10] = (uint8_t)(flags >> 8);
    p->b[11] = (uint8_t)flags;
    memcpy(p->b + 12, &ciaddr_be, 4);
    memcpy(p->b + 28, mac, 6);
    p->b[236] = 0x63;
    p->b[237] = 0x82;
    p->b[238] = 0x53;
    p->b[239] = 0x63;
    p->n = 240;
}

static inline void tp_opt(struct tpkt *p, uint8_t code, uint8_t len, const void *data)
{
    p->b[p->n++] = code;
    p->b[p->n++] = len;
    memcpy(p->b + p->n, data, len);
    p->n += len;
}

static inline void tp_u8(struct tpkt *p, uint8_t code, uint8_t v)
{
    tp_opt(p, code, 1, &v);
}
static inline void tp_addr(struct tpkt *p, uint8_t code, uint32_t be)
{
    tp_opt(p, code, 4, &be);
}

/* END, then zero padding up to min_len (0 for none). */
static inline void tp_end(struct tpkt *p, size_t min_len)
{
    p->b[p->n++] = 255;
    if (p->n < min_len)
        p->n = min_len;
}

static const uint8_t pi3b_params[12] = { 0x2b, 0x3c, 0x43, 0x80, 0x81, 0x82,
                                         0x83, 0x84, 0x85, 0x86, 0x87, 0x42 };
static const uint8_t pi3bplus_params[14] = { 0x2b, 0x3c, 0x43, 0x80, 0x81, 0x82, 0x83,
                                             0x84, 0x85, 0x86, 0x87, 0x42, 0x01, 0x03 };

static inline void tp_pxe_common(struct tpkt *p, const uint8_t *params, uint8_t n_params)
{
    static const uint8_t arch[2] = { 0, 0 }, undi[3] = { 1, 2, 1 };
    tp_opt(p, 55, n_params, params);
    tp_opt(p, 93, 2, arch);
    tp_opt(p, 94, 3, undi);
}

/* The Pi 3 Model B boot ROM's DISCOVER (docs/pi-boot.md section 2). */
static inline void tp_pi3b_discover(struct tpkt *p, const uint8_t mac[6])
{
    uint8_t guid[17];
    tp_header(p, 1, PI3_XID, 0, mac, 0);
    tp_u8(p, 53, 1);
    tp_pxe_common(p, pi3b_params, sizeof pi3b_params);
    guid[0] = 0;
    memset(guid + 1, 0x44, 16);
    tp_opt(p, 97, 17, guid);
    tp_opt(p, 60, 32, PXE_VENDOR);
    tp_end(p, 0);
}

/* The Pi 3B+ ROM: 14 requested options, option 97 = 0 + serial (LE) x 4. */
static inline void tp_pi3bplus_discover(struct tpkt *p, const uint8_t mac[6], uint32_t serial)
{
    uint8_t guid[17];
    tp_header(p, 1, PI3_XID, 0, mac, 0);
    tp_u8(p, 53, 1);
    tp_pxe_common(p, pi3bplus_params, sizeof pi3bplus_params);
    guid[0] = 0;
    for (int i = 0; i < 4; i++) {
        guid[1 + 4 * i] = (uint8_t)serial;
        guid[2 + 4 * i] = (uint8_t)(serial >> 8);
        guid[3 + 4 * i] = (uint8_t)(serial >> 16);
        guid[4 + 4 * i] = (uint8_t)(serial >> 24);
    }
    tp_opt(p, 97, 17, guid);
    tp_opt(p, 60, 32, PXE_VENDOR);
    tp_end(p, 0);
}

/* Pi 4 EEPROM bootloader: 97 = 0 + "RPi4", revision, MAC low 4, serial. */
static inline void tp_pi4(struct tpkt *p, uint8_t type, uint32_t xid, const uint8_t mac[6],
                          uint32_t serial, uint32_t want_be, uint32_t sid_be)
{
    uint8_t guid[17] = { 0, 'R', 'P', 'i', '4', 0x11, 0x31, 0xc0, 0x00 };
    memcpy(guid + 9, mac + 2, 4);
    guid[13] = (uint8_t)serial;
    guid[14] = (uint8_t)(serial >> 8);
    guid[15] = (uint8_t)(serial >> 16);
    guid[16] = (uint8_t)(serial >> 24);
    tp_header(p, 1, xid, 0, mac, 0);
    tp_u8(p, 53, type);
    if (want_be)
        tp_addr(p, 50, want_be);
    if (sid_be)
        tp_addr(p, 54, sid_be);
    tp_pxe_common(p, pi3bplus_params, sizeof pi3bplus_params);
    tp_opt(p, 97, 17, guid);
    tp_opt(p, 60, 32, PXE_VENDOR);
    tp_end(p, 0);
}

/* An OS client (udhcpc / dhclient style): client id, max size, host name.
 * ciaddr_be for RENEWING/REBINDING/INFORM/RELEASE; want/sid as asked. */
static inline void tp_os(struct tpkt *p, uint8_t type, uint32_t xid, uint16_t flags,
                         const uint8_t mac[6], uint32_t ciaddr_be, uint32_t want_be,
                         uint32_t sid_be)
{
    static const uint8_t params[] = { 1, 3, 6, 12, 15, 28, 42, 51, 54, 58, 59 };
    uint8_t cid[7] = { 1 };
    uint8_t maxsz[2] = { 0x05, 0xdc };
    memcpy(cid + 1, mac, 6);
    tp_header(p, 1, xid, flags, mac, ciaddr_be);
    tp_u8(p, 53, type);
    tp_opt(p, 61, 7, cid);
    if (want_be)
        tp_addr(p, 50, want_be);
    if (sid_be)
        tp_addr(p, 54, sid_be);
    tp_opt(p, 57, 2, maxsz);
    tp_opt(p, 60, 12, "udhcp 1.36.1");
    tp_opt(p, 12, 7, "pi-test");
    tp_opt(p, 55, sizeof params, params);
    tp_end(p, 300);
}

#endif
