/* Per-slot rings of boot packets and the classifier for captured frames.
 * See pirack/capture.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pcap/pcap.h>

#include "capture_internal.h"

#define SNAPLEN 65535

const char pr_capture_filter[] =
    "arp or (udp and not ((udp[8:2] = 3 or udp[8:2] = 4) and udp[10:2] > 2))"
    " or (tcp dst port 2049 and tcp[tcpflags] & tcp-syn != 0)";

struct rec {
    struct timeval ts;
    uint32_t caplen, orig_len;
    uint8_t *data;
};

struct pr_capture_ring {
    struct rec *recs;
    unsigned max, head, count; /* recs[head] is the oldest */
    size_t max_bytes, bytes;
};

struct pr_capture_ring *pr_capture_ring_new(unsigned max_packets, size_t max_bytes)
{
    if (max_packets == 0 || max_bytes == 0)
        return NULL;
    struct pr_capture_ring *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->recs = calloc(max_packets, sizeof *r->recs);
    if (!r->recs) {
        free(r);
        return NULL;
    }
    r->max = max_packets;
    r->max_bytes = max_bytes;
    return r;
}

static void evict_oldest(struct pr_capture_ring *r)
{
    struct rec *o = &r->recs[r->head];
    r->bytes -= o->caplen;
    free(o->data);
    o->data = NULL;
    r->head = (r->head + 1) % r->max;
    r->count--;
}

void pr_capture_ring_clear(struct pr_capture_ring *r)
{
    while (r && r->count)
        evict_oldest(r);
}

void pr_capture_ring_free(struct pr_capture_ring *r)
{
    if (!r)
        return;
    pr_capture_ring_clear(r);
    free(r->recs);
    free(r);
}

int pr_capture_ring_add(struct pr_capture_ring *r, const struct timeval *ts, const uint8_t *data,
                        size_t caplen, size_t orig_len)
{
    if (caplen > r->max_bytes || caplen > UINT32_MAX)
        return -E2BIG;
    uint8_t *copy = malloc(caplen ? caplen : 1);
    if (!copy)
        return -ENOMEM;
    memcpy(copy, data, caplen);
    while (r->count == r->max || r->bytes + caplen > r->max_bytes)
        evict_oldest(r);
    struct rec *n = &r->recs[(r->head + r->count) % r->max];
    n->ts = *ts;
    n->caplen = (uint32_t)caplen;
    n->orig_len = (uint32_t)(orig_len < caplen ? caplen : orig_len);
    n->data = copy;
    r->count++;
    r->bytes += caplen;
    return 0;
}

unsigned pr_capture_ring_count(const struct pr_capture_ring *r)
{
    return r->count;
}
size_t pr_capture_ring_bytes(const struct pr_capture_ring *r)
{
    return r->bytes;
}

/* pcap_dump_close() closes f: the callers hand over a FILE of their own. */
static int dump_to(const struct pr_capture_ring *r, int linktype, FILE *f)
{
    pcap_t *dead = pcap_open_dead(linktype, SNAPLEN);
    if (!dead) {
        fclose(f);
        return -ENOMEM;
    }
    pcap_dumper_t *dump = pcap_dump_fopen(dead, f);
    if (!dump) {
        fclose(f);
        pcap_close(dead);
        return -EIO;
    }
    for (unsigned i = 0; i < r->count; i++) {
        const struct rec *e = &r->recs[(r->head + i) % r->max];
        struct pcap_pkthdr h = { .ts = e->ts, .caplen = e->caplen, .len = e->orig_len };
        pcap_dump((u_char *)dump, &h, e->data);
    }
    int rc = pcap_dump_flush(dump) == 0 ? 0 : -EIO;
    pcap_dump_close(dump);
    pcap_close(dead);
    return rc;
}

int pr_capture_ring_save(const struct pr_capture_ring *r, int linktype, const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (fd < 0)
        return -errno;
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        int e = -errno;
        close(fd);
        return e;
    }
    return dump_to(r, linktype, f);
}

int pr_capture_ring_pcap(const struct pr_capture_ring *r, int linktype, uint8_t **out, size_t *len)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f)
        return -errno;
    int rc = dump_to(r, linktype, f); /* closes f: buf and size are final */
    if (rc < 0) {
        free(buf);
        return rc;
    }
    *out = (uint8_t *)buf;
    *len = size;
    return 0;
}

/* ---- classifying captured frames ---- */

#define SLL2_HLEN 20

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static int classify_arp(const uint8_t *p, size_t n, struct pr_capture_facts *out)
{
    /* Ethernet/IPv4 ARP: sender at 14, target at 24 */
    if (n < 28 || get16(p) != 1 || get16(p + 2) != 0x0800 || p[4] != 6 || p[5] != 4)
        return 0;
    out->kind = PR_CAP_ARP;
    memcpy(&out->src, p + 14, 4);
    memcpy(&out->dst, p + 24, 4);
    return 0;
}

static void classify_udp(const uint8_t *ip, size_t ihl, size_t n, struct pr_capture_facts *out)
{
    const uint8_t *udp = ip + ihl;
    if (n < ihl + 8)
        return;
    uint16_t sport = get16(udp), dport = get16(udp + 2);
    const uint8_t *pl = udp + 8;
    size_t pn = n - ihl - 8;
    if (dport == PR_CAPTURE_NFS_PORT) {
        out->kind = PR_CAP_NFS; /* NFS over UDP (v2, v3) */
        return;
    }
    if (sport == 67 || sport == 68 || dport == 67 || dport == 68) {
        out->kind = PR_CAP_DHCP;
        if (pn >= 34 && pl[1] == 1 && pl[2] == 6) {
            memcpy(out->chaddr, pl + 28, 6);
            out->has_chaddr = true;
        }
        return;
    }
    out->kind = PR_CAP_TFTP;
    if (pn >= 2)
        out->tftp_opcode = get16(pl);
    if (out->tftp_opcode == 3 && pn > 4 + PR_CAPTURE_TFTP_KEEP)
        out->keep = SLL2_HLEN + ihl + 8 + 4 + PR_CAPTURE_TFTP_KEEP;
}

int pr_capture_classify(const uint8_t *frame, size_t len, struct pr_capture_facts *out)
{
    memset(out, 0, sizeof *out);
    if (len < SLL2_HLEN)
        return -EBADMSG;
    out->keep = len;
    out->ifindex = (int)((uint32_t)frame[4] << 24 | (uint32_t)frame[5] << 16 |
                         (uint32_t)frame[6] << 8 | frame[7]);
    uint16_t proto = get16(frame);
    const uint8_t *p = frame + SLL2_HLEN;
    size_t n = len - SLL2_HLEN;
    if (proto == 0x0806)
        return classify_arp(p, n, out);
    if (proto != 0x0800 || n < 20 || (p[0] >> 4) != 4)
        return 0;
    size_t ihl = (size_t)(p[0] & 15) * 4, tot = get16(p + 2);
    if (ihl < 20 || n < ihl)
        return 0;
    if (tot < n)
        n = tot; /* Ethernet padding is not IP */
    memcpy(&out->src, p + 12, 4);
    memcpy(&out->dst, p + 16, 4);
    if (p[9] == 17 && (get16(p + 6) & 0x1fff) == 0)
        classify_udp(p, ihl, n, out);
    else if (p[9] == 6 && (get16(p + 6) & 0x1fff) == 0 && n >= ihl + 4 &&
             get16(p + ihl + 2) == PR_CAPTURE_NFS_PORT)
        out->kind = PR_CAP_NFS; /* the kernel connecting to mount its root */
    return 0;
}
