/* capture: each slot's recent boot packets in a bounded ring, and what a
 * captured packet is (which slot, which protocol).  Pure: the libpcap
 * handle lives in daemon/boot/capture_service.c; writing uses libpcap's dump
 * format so any pcap reader (tcpdump, Wireshark) opens the result. */
#ifndef PIRACK_CAPTURE_INTERNAL_H
#define PIRACK_CAPTURE_INTERNAL_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/time.h>
#include <netinet/in.h>

struct pr_capture_ring;

/* A ring that holds at most max_packets packets and max_bytes bytes of
 * packet data; adding past either evicts the oldest. */
struct pr_capture_ring *pr_capture_ring_new(unsigned max_packets, size_t max_bytes);
void pr_capture_ring_free(struct pr_capture_ring *r); /* accepts NULL */

/* Copies caplen bytes (orig_len on the wire).  Returns 0, -E2BIG when the
 * packet alone is larger than max_bytes, -ENOMEM. */
int pr_capture_ring_add(struct pr_capture_ring *r, const struct timeval *ts, const uint8_t *data,
                        size_t caplen, size_t orig_len);
unsigned pr_capture_ring_count(const struct pr_capture_ring *r);
size_t pr_capture_ring_bytes(const struct pr_capture_ring *r);
void pr_capture_ring_clear(struct pr_capture_ring *r);

/* Writes the ring, oldest first, as a pcap file of link type linktype
 * (a DLT_ value) at path (created 0640, replaced).  Returns 0 or -errno. */
int pr_capture_ring_save(const struct pr_capture_ring *r, int linktype, const char *path);
/* The same into a malloc'd buffer (*out, *len); the caller frees it. */
int pr_capture_ring_pcap(const struct pr_capture_ring *r, int linktype, uint8_t **out, size_t *len);

/* What a captured packet is.  Frames are Linux "cooked" v2 (DLT_LINUX_SLL2,
 * what libpcap gives on the "any" device): they carry the interface. */
enum pr_capture_kind {
    PR_CAP_OTHER,
    PR_CAP_ARP,
    PR_CAP_DHCP,
    PR_CAP_TFTP,
    PR_CAP_NFS /* TCP SYN or UDP to port 2049: the Pi mounts its root */
};
#define PR_CAPTURE_NFS_PORT 2049

struct pr_capture_facts {
    enum pr_capture_kind kind;
    int ifindex;
    struct in_addr src, dst; /* IPv4 source/destination, or ARP sender/target */
    uint8_t chaddr[6];       /* DHCP: the client's MAC */
    bool has_chaddr;
    uint16_t tftp_opcode; /* TFTP: 1 RRQ .. 6 OACK */
    size_t keep;          /* bytes worth keeping (TFTP data trimmed) */
};

/* Reads an SLL2 frame.  Returns 0, or -EBADMSG when it is too short to be
 * one.  UDP to or from ports 67/68 is DHCP; any other UDP is taken as TFTP
 * (the rack's links carry nothing else over UDP) and a DATA packet keeps
 * only its first PR_CAPTURE_TFTP_KEEP bytes of payload.  TCP or UDP to
 * port 2049 is NFS. */
#define PR_CAPTURE_TFTP_KEEP 32
int pr_capture_classify(const uint8_t *frame, size_t len, struct pr_capture_facts *out);

/* The kernel filter (pcap syntax) that leaves the boot packets: ARP, DHCP,
 * TFTP without the bulk of its DATA and ACK packets (the first two
 * blocks of each transfer stay), and the SYNs that open NFS connections. */
extern const char pr_capture_filter[];

#endif
