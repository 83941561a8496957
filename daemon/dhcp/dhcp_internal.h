/* dhcp internals: the codec's option helpers, the server's decision, the Pi's options and the frame checksum, shared by daemon/dhcp/ and its tests. */
#ifndef PIRACK_DHCP_INTERNAL_H
#define PIRACK_DHCP_INTERNAL_H

#include "pirack/dhcp.h"

/* Writes m (header, cookie, options in order, END, zero padding to
 * PR_DHCP_MIN_REPLY).  Returns the length, or -EMSGSIZE when cap is too
 * small. */
int pr_dhcp_encode(const struct pr_dhcp_msg *m, uint8_t *buf, size_t cap);

/* Starts a reply to req: op 2, same htype/hlen/xid/flags/giaddr/chaddr,
 * option 53 = type. */
void pr_dhcp_reply_init(struct pr_dhcp_msg *reply, const struct pr_dhcp_msg *req, uint8_t type);

/* Appends an option (or appends to it when code is already there).
 * Returns 0, -EINVAL for PAD/END, -ENOSPC when the message is full. */
int pr_dhcp_opt_add(struct pr_dhcp_msg *m, uint8_t code, const void *data, size_t len);
int pr_dhcp_opt_add_u8(struct pr_dhcp_msg *m, uint8_t code, uint8_t v);
int pr_dhcp_opt_add_u32(struct pr_dhcp_msg *m, uint8_t code, uint32_t v); /* host order in */
int pr_dhcp_opt_add_addr(struct pr_dhcp_msg *m, uint8_t code, struct in_addr a);

const char *pr_pi_model_name(enum pr_pi_model m); /* "pi3b", "pi3b+", ... */
/* From option 97 (RPi4/RPi5 GUID, the 3B's constant GUID, the 3B+'s
 * serial), the request list (12 entries on the 3B ROM, 14 on the 3B+) and
 * the MAC prefix. */
enum pr_pi_model pr_pi_model_detect(const struct pr_dhcp_msg *m);
bool pr_pi_mac_is_pi(const uint8_t mac[6]);
/* The board serial that option 97 carries (3B+, Pi 4/5), else -ENOENT. */
int pr_pi_serial(const struct pr_dhcp_msg *m, uint32_t *serial);

/* The PXE menu option 43 for a model: discovery control 3, prompt "PXE"
 * with timeout 0, one boot item with text (three trailing spaces for the
 * 3B unless text is given).  text NULL or "" = "Raspberry Pi Boot".
 * Returns the length written, or -EMSGSIZE / -EINVAL (text over 200). */
int pr_pi_pxe_menu(enum pr_pi_model model, const char *text, uint8_t *out, size_t cap);

/* Decides what to do with one packet received on ifname.  Never fails:
 * the decision says what to do (and, on a drop, why). */
void pr_dhcp_handle(const struct pr_dhcp_server_cfg *cfg, const struct pr_dhcp_lookup *lk,
                    const char *ifname, const uint8_t *pkt, size_t len,
                    struct pr_dhcp_decision *out);
/* The same on a message already decoded. */
void pr_dhcp_handle_msg(const struct pr_dhcp_server_cfg *cfg, const struct pr_dhcp_lookup *lk,
                        const char *ifname, const struct pr_dhcp_msg *req,
                        struct pr_dhcp_decision *out);

/* The Internet checksum (RFC 1071) of len bytes, folded, not inverted,
 * starting from sum. */
uint32_t pr_csum_add(uint32_t sum, const void *data, size_t len);
uint16_t pr_csum_fold(uint32_t sum);

/* ---- from dhcp.h: what only the codec, the server and their tests use ---- */
/* Typed getters: 0, -ENOENT when absent, -EBADMSG when the length is not
 * exactly the type's. */
int pr_dhcp_opt_u8(const struct pr_dhcp_msg *m, uint8_t code, uint8_t *v);
int pr_dhcp_opt_u16(const struct pr_dhcp_msg *m, uint8_t code, uint16_t *v);
int pr_dhcp_opt_u32(const struct pr_dhcp_msg *m, uint8_t code, uint32_t *v);
int pr_dhcp_opt_addr(const struct pr_dhcp_msg *m, uint8_t code, struct in_addr *a);
/* True when the option holds byte v (e.g. the parameter request list). */
bool pr_dhcp_opt_has_byte(const struct pr_dhcp_msg *m, uint8_t code, uint8_t v);

/* ---- frame.c ---- */
/* Whether an Ethernet II / IPv4 / UDP frame to dport (host order) carries
 * exactly the datagram dgram (dlen bytes) that a UDP socket read; if so,
 * *src_mac is the frame's source.  Checksums are not checked. */
bool pr_udp4_frame_carries(const uint8_t *frame, size_t len, uint16_t dport, const uint8_t *dgram,
                           size_t dlen, uint8_t src_mac[6]);

#endif
