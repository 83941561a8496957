/* The capture service: one libpcap handle on the "any" device of the
 * daemon's namespace (so interfaces that come later are covered), a kernel
 * filter that keeps only boot packets, and a ring per slot.  See
 * capture_service.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <net/if.h>
#include <pcap/pcap.h>

#include "daemon/daemon.h"
#include "capture_internal.h"
#include "pirack/log.h"
#include "capture_service.h"

#define CAP_SNAPLEN 1600 /* a whole DHCP packet in a 1500-byte frame */
#define CAP_BUFFER (4 << 20)
#define RING_PACKETS 512
#define RING_BYTES (256 << 10)
#define DISPATCH_BURST 256

struct pr_capture_service {
    struct pr_daemon *d;
    pcap_t *pcap;
    int fd;
    struct pr_capture_ring **rings; /* index = slot */
    unsigned n_rings;
    uint64_t packets, unplaced;
    pr_capture_root_fn root_hook;
};

static struct pr_capture_ring *ring_for(struct pr_capture_service *s, unsigned slot)
{
    if (slot == 0 || slot > s->d->plan.slots)
        return NULL;
    if (slot >= s->n_rings) {
        struct pr_capture_ring **more = realloc(s->rings, (slot + 1) * sizeof *more);
        if (!more)
            return NULL;
        memset(more + s->n_rings, 0, (slot + 1 - s->n_rings) * sizeof *more);
        s->rings = more;
        s->n_rings = slot + 1;
    }
    if (!s->rings[slot])
        s->rings[slot] = pr_capture_ring_new(RING_PACKETS, RING_BYTES);
    return s->rings[slot];
}

/* Which slot a packet belongs to: the interface in isolated mode; in flat
 * mode the DHCP client's MAC or an address in a slot's /30. */
static unsigned place(struct pr_capture_service *s, const struct pr_capture_facts *f)
{
    const struct pr_plan *plan = &s->d->plan;
    char ifname[IF_NAMESIZE];
    if (!if_indextoname((unsigned)f->ifindex, ifname))
        return 0;
    if (plan->isolated)
        return pr_plan_slot_by_ifname(plan, ifname);
    /* flat: only the rack's interface (a bridge's ports would repeat it) */
    if (strcmp(ifname, s->d->cfg->interface) != 0)
        return 0;
    if (f->has_chaddr) {
        char mac[18];
        int slot = pr_store_slot_by_mac(s->d->store, pr_mac_format(f->chaddr, mac));
        if (slot > 0)
            return (unsigned)slot;
    }
    unsigned slot = pr_plan_slot_by_v4(plan, f->src);
    return slot ? slot : pr_plan_slot_by_v4(plan, f->dst);
}

static void on_packet(u_char *ctx, const struct pcap_pkthdr *h, const u_char *bytes)
{
    struct pr_capture_service *s = (struct pr_capture_service *)ctx;
    struct pr_capture_facts f;
    s->packets++;
    if (pr_capture_classify(bytes, h->caplen, &f) < 0 || f.kind == PR_CAP_OTHER)
        return;
    unsigned slot = place(s, &f);
    struct pr_capture_ring *r = slot ? ring_for(s, slot) : NULL;
    if (!r) {
        s->unplaced++;
        return;
    }
    size_t keep = f.keep < h->caplen ? f.keep : h->caplen;
    pr_capture_ring_add(r, &h->ts, bytes, keep, h->len);
    if (f.kind == PR_CAP_NFS && s->root_hook)
        s->root_hook(s->d, slot);
}

void pr_capture_set_root_hook(struct pr_daemon *d, pr_capture_root_fn fn)
{
    if (d->capture)
        d->capture->root_hook = fn;
}

static void on_readable(void *ctx, int fd, uint32_t events)
{
    struct pr_capture_service *s = ctx;
    (void)fd;
    (void)events;
    if (pcap_dispatch(s->pcap, DISPATCH_BURST, on_packet, (u_char *)s) == PCAP_ERROR)
        pr_warn("capture: %s", pcap_geterr(s->pcap));
}

/* ---- saving and serving ---- */

int pr_capture_save(struct pr_daemon *d, unsigned slot, const char *reason, char *path,
                    size_t path_len)
{
    struct pr_capture_service *s = d->capture;
    if (!s)
        return -ENODEV;
    if (slot == 0 || slot >= s->n_rings || !s->rings[slot])
        return -ENOENT;
    if (mkdir(d->cfg->trace_dir, 0750) < 0 && errno != EEXIST)
        return -errno;
    char word[32];
    size_t k = 0;
    for (const char *p = reason ? reason : "trace"; *p && k < sizeof word - 1; p++)
        word[k++] = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ? *p : '-';
    word[k] = '\0';
    int n = snprintf(path, path_len, "%s/slot-%03u-%lld-%s.pcap", d->cfg->trace_dir, slot,
                     (long long)pr_store_now_ms(), word);
    if (n < 0 || (size_t)n >= path_len)
        return -ENAMETOOLONG;
    return pr_capture_ring_save(s->rings[slot], DLT_LINUX_SLL2, path);
}

int pr_capture_slot_pcap(struct pr_daemon *d, unsigned slot, uint8_t **pcap, size_t *len,
                         unsigned *packets)
{
    struct pr_capture_service *s = d->capture;
    if (!s)
        return -ENODEV;
    struct pr_capture_ring *r = ring_for(s, slot);
    if (!r)
        return slot == 0 || slot > d->plan.slots ? -ENOENT : -ENOMEM;
    *packets = pr_capture_ring_count(r);
    return pr_capture_ring_pcap(r, DLT_LINUX_SLL2, pcap, len);
}

/* ---- start / stop ---- */

static int open_pcap(struct pr_capture_service *s, char *err)
{
    struct bpf_program prog;
    s->pcap = pcap_create("any", err);
    if (!s->pcap)
        return -ENODEV;
    if (pcap_set_snaplen(s->pcap, CAP_SNAPLEN) || pcap_set_immediate_mode(s->pcap, 1) ||
        pcap_set_buffer_size(s->pcap, CAP_BUFFER) || pcap_set_promisc(s->pcap, 0))
        return -EINVAL;
    int r = pcap_activate(s->pcap);
    if (r < 0) {
        snprintf(err, PCAP_ERRBUF_SIZE, "%s", pcap_geterr(s->pcap));
        return r == PCAP_ERROR_PERM_DENIED ? -EPERM : -EIO;
    }
    if (pcap_set_datalink(s->pcap, DLT_LINUX_SLL2) < 0 ||
        pcap_compile(s->pcap, &prog, pr_capture_filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
        snprintf(err, PCAP_ERRBUF_SIZE, "%s", pcap_geterr(s->pcap));
        return -EIO;
    }
    r = pcap_setfilter(s->pcap, &prog);
    pcap_freecode(&prog);
    if (r < 0 || pcap_setnonblock(s->pcap, 1, err) < 0)
        return -EIO;
    s->fd = pcap_get_selectable_fd(s->pcap);
    return s->fd < 0 ? -EIO : 0;
}

static void free_service(struct pr_capture_service *s)
{
    for (unsigned i = 0; i < s->n_rings; i++)
        pr_capture_ring_free(s->rings[i]);
    free(s->rings);
    if (s->pcap)
        pcap_close(s->pcap);
    free(s);
}

/* A rack runs without traces rather than not at all: when libpcap cannot
 * open (no CAP_NET_RAW), the service warns and GET /v1/slots/{n}/trace
 * answers 503. */
int pr_capture_service_start(struct pr_daemon *d)
{
    char err[PCAP_ERRBUF_SIZE] = "";
    int r;
    struct pr_capture_service *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->d = d;
    s->fd = -1;
    r = open_pcap(s, err);
    if (r == 0)
        r = pr_loop_add_fd(d->loop, s->fd, EPOLLIN, on_readable, s);
    if (r < 0) {
        pr_warn("capture: no boot traces: %s", err[0] ? err : strerror(-r));
        free_service(s);
        return 0;
    }
    d->capture = s;
    return 0;
}

void pr_capture_service_stop(struct pr_daemon *d)
{
    struct pr_capture_service *s = d->capture;
    if (!s)
        return;
    pr_loop_del_fd(d->loop, s->fd);
    free_service(s);
    d->capture = NULL;
}
