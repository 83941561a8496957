/* tftpstorm: N lock-step Pi-3-like TFTP clients at once, for the boot
 * storm benchmark.  Each client has its own IPv4 address (consecutive from
 * -c, all on this host) and asks each file of the list in turn from port
 * 49152 + the file's index (the firmware takes a new port for most
 * requests), with "tsize 0" only (the first file with no option, as the
 * ROM does); it takes 512-byte blocks and sends one ACK per block.
 *
 * The clients share one socket per file (IP_PKTINFO picks each one's
 * address) and batch with recvmmsg/sendmmsg, so the benchmark's own cost
 * per block stays below any server's and the servers are what is
 * measured.  Every byte is compared with the files in
 * -d; a missing file must be answered with ERROR 1.
 *
 *   tftpstorm -s SERVER -c FIRST_CLIENT_IP -n N -d DIR -f a,b,c [-p 69]
 *             [-r RETRANSMIT_MS] [-T LIMIT_S] [-S STRIDE]
 *
 * -S spaces the clients' addresses (4: one Pi per /30, each slot's .2).
 *
 * Prints one line: clients, bytes, wall ms, min/median/max client ms,
 * failures, duplicates, retransmissions, the clients' CPU ms. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "pirack/tftp.h"

#define MAX_FILES 16
#define MAX_CLIENTS 4096
#define BATCH 64
#define CLIENT_PORT 49152

struct file {
    char name[128];
    const uint8_t *data; /* NULL: the file must be missing */
    uint64_t size;
};

struct client {
    struct in_addr addr;
    struct sockaddr_in tid; /* the server's end of this transfer */
    unsigned file;          /* index into files */
    uint32_t expect;        /* next block wanted */
    uint64_t got;           /* bytes of the current file */
    uint8_t last[600];      /* the last packet sent, for retransmission */
    size_t last_len;
    bool last_to_port; /* last goes to the well-known port */
    uint64_t deadline_ms, started_ms, finished_ms;
    bool done, failed;
};

struct batch {
    struct mmsghdr tx[BATCH];
    struct iovec tx_iov[BATCH];
    struct sockaddr_in tx_to[BATCH];
    uint8_t tx_buf[BATCH][600];
    char tx_ctl[BATCH][CMSG_SPACE(sizeof(struct in_pktinfo))];
    unsigned tx_len;
};

struct storm {
    int sock[MAX_FILES]; /* port 49152 + file index: a new port per file */
    struct batch out[MAX_FILES];
    struct sockaddr_in server;
    struct file files[MAX_FILES];
    unsigned n_files;
    struct client *c;
    unsigned n, finished;
    uint32_t first_ip;
    uint32_t stride; /* between two clients' addresses */
    unsigned retransmit_ms;
    uint64_t dups, retransmits, bytes;
    uint64_t now; /* ms, updated once per turn of the loop */
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void flush_one(struct storm *s, unsigned k)
{
    struct batch *b = &s->out[k];
    unsigned done = 0;
    while (done < b->tx_len) {
        int n = sendmmsg(s->sock[k], b->tx + done, b->tx_len - done, 0);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            done++; /* lost: the retransmission timer sends it again */
            continue;
        }
        done += (unsigned)n;
    }
    b->tx_len = 0;
}

static void flush(struct storm *s)
{
    for (unsigned k = 0; k < s->n_files; k++)
        if (s->out[k].tx_len)
            flush_one(s, k);
}

/* Queues a copy of c's last packet on the socket of c's current file. */
static void send_last(struct storm *s, struct client *c)
{
    unsigned k = c->file;
    struct batch *b = &s->out[k];
    if (b->tx_len == BATCH)
        flush_one(s, k);
    unsigned i = b->tx_len++;
    b->tx_to[i] = c->last_to_port ? s->server : c->tid;
    memcpy(b->tx_buf[i], c->last, c->last_len);
    b->tx_iov[i] = (struct iovec){ b->tx_buf[i], c->last_len };
    struct in_pktinfo pi = { .ipi_spec_dst = c->addr };
    struct msghdr *h = &b->tx[i].msg_hdr;
    *h = (struct msghdr){ .msg_name = &b->tx_to[i],
                          .msg_namelen = sizeof b->tx_to[i],
                          .msg_iov = &b->tx_iov[i],
                          .msg_iovlen = 1,
                          .msg_control = b->tx_ctl[i],
                          .msg_controllen = sizeof b->tx_ctl[i] };
    struct cmsghdr *cm = CMSG_FIRSTHDR(h);
    cm->cmsg_level = IPPROTO_IP;
    cm->cmsg_type = IP_PKTINFO;
    cm->cmsg_len = CMSG_LEN(sizeof pi);
    memcpy(CMSG_DATA(cm), &pi, sizeof pi);
    c->deadline_ms = s->now + s->retransmit_ms;
}

static void request(struct storm *s, struct client *c)
{
    struct pr_tftp_options opt = { .has_tsize = c->file > 0 };
    int n = pr_tftp_encode_request(c->last, sizeof c->last, PR_TFTP_RRQ, s->files[c->file].name,
                                   "octet", &opt);
    c->last_len = (size_t)n;
    c->last_to_port = true;
    c->expect = 1;
    c->got = 0;
    send_last(s, c);
}

static void ack(struct storm *s, struct client *c, uint16_t block)
{
    c->last_len = (size_t)pr_tftp_encode_ack(c->last, sizeof c->last, block);
    c->last_to_port = false;
    send_last(s, c);
}

static void next_file(struct storm *s, struct client *c)
{
    if (++c->file < s->n_files) {
        request(s, c);
        return;
    }
    c->done = true;
    c->finished_ms = now_ms();
    s->finished++;
}

static void fail(struct storm *s, struct client *c, const char *why)
{
    if (!c->done)
        fprintf(stderr, "tftpstorm: client %s: %s: %s\n", inet_ntoa(c->addr),
                s->files[c->file].name, why);
    c->failed = true;
    c->done = true;
    c->finished_ms = now_ms();
    s->finished++;
}

static void on_data(struct storm *s, struct client *c, const struct pr_tftp_packet *p)
{
    const struct file *f = &s->files[c->file];
    if (p->block != (uint16_t)c->expect) {
        if (p->block == (uint16_t)(c->expect - 1)) {
            s->dups++;
            ack(s, c, p->block); /* our ACK was lost: say it again */
        }
        return;
    }
    if (!f->data || c->got + p->data_len > f->size ||
        memcmp(f->data + c->got, p->data, p->data_len) != 0) {
        fail(s, c, "wrong bytes");
        return;
    }
    c->got += p->data_len;
    s->bytes += p->data_len;
    c->expect++;
    ack(s, c, p->block);
    if (p->data_len < 512) {
        if (c->got != f->size)
            fail(s, c, "short file");
        else
            next_file(s, c);
    }
}

static void on_packet(struct storm *s, struct client *c, const struct sockaddr_in *from,
                      const uint8_t *buf, size_t len)
{
    struct pr_tftp_packet p;
    if (c->done || from->sin_addr.s_addr != s->server.sin_addr.s_addr ||
        pr_tftp_parse(buf, len, &p) < 0)
        return;
    if (c->expect == 1 && c->got == 0 && c->last_to_port)
        c->tid = *from; /* the first answer names the server's TID */
    else if (from->sin_port != c->tid.sin_port)
        return;
    c->last_to_port = false;
    const struct file *f = &s->files[c->file];
    switch (p.op) {
    case PR_TFTP_OACK:
        if (p.opt.has_tsize && f->data && p.opt.tsize != f->size)
            fail(s, c, "tsize differs");
        else if (c->expect == 1)
            ack(s, c, 0);
        break;
    case PR_TFTP_DATA:
        on_data(s, c, &p);
        break;
    case PR_TFTP_ERROR:
        if (!f->data && p.errcode == PR_TFTP_E_NOTFOUND)
            next_file(s, c);
        else
            fail(s, c, p.errmsg);
        break;
    default:
        break;
    }
}

static struct client *client_of(struct storm *s, struct msghdr *h)
{
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(h); cm; cm = CMSG_NXTHDR(h, cm)) {
        if (cm->cmsg_level != IPPROTO_IP || cm->cmsg_type != IP_PKTINFO)
            continue;
        struct in_pktinfo pi;
        memcpy(&pi, CMSG_DATA(cm), sizeof pi);
        uint32_t i = (ntohl(pi.ipi_addr.s_addr) - s->first_ip) / s->stride;
        return i < s->n ? &s->c[i] : NULL;
    }
    return NULL;
}

static void receive(struct storm *s, unsigned k)
{
    static uint8_t bufs[BATCH][1024];
    static struct sockaddr_in from[BATCH];
    static char ctl[BATCH][CMSG_SPACE(sizeof(struct in_pktinfo))];
    struct mmsghdr m[BATCH];
    struct iovec iov[BATCH];
    for (;;) {
        for (unsigned i = 0; i < BATCH; i++) {
            iov[i] = (struct iovec){ bufs[i], sizeof bufs[i] };
            m[i].msg_hdr = (struct msghdr){ .msg_name = &from[i],
                                            .msg_namelen = sizeof from[i],
                                            .msg_iov = &iov[i],
                                            .msg_iovlen = 1,
                                            .msg_control = ctl[i],
                                            .msg_controllen = sizeof ctl[i] };
        }
        int n = recvmmsg(s->sock[k], m, BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0)
            break;
        for (int i = 0; i < n; i++) {
            struct client *c = client_of(s, &m[i].msg_hdr);
            if (c && c->file == k)
                on_packet(s, c, &from[i], bufs[i], m[i].msg_len);
        }
        flush(s);
        if (n < BATCH)
            break;
    }
}

static void retransmit(struct storm *s, uint64_t now)
{
    for (unsigned i = 0; i < s->n; i++) {
        struct client *c = &s->c[i];
        if (!c->done && c->deadline_ms <= now) {
            s->retransmits++;
            send_last(s, c);
        }
    }
    flush(s);
}

static int load_files(struct storm *s, const char *dir, char *list)
{
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        if (s->n_files == MAX_FILES)
            return -1;
        struct file *f = &s->files[s->n_files++];
        snprintf(f->name, sizeof f->name, "%s", tok);
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, tok);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0) {
            f->data = NULL; /* expected to be missing */
            continue;
        }
        f->size = (uint64_t)st.st_size;
        f->data = st.st_size ? mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0)
                             : (const uint8_t *)"";
        close(fd);
        if (f->data == MAP_FAILED)
            return -1;
    }
    return s->n_files ? 0 : -1;
}

static int open_sockets(struct storm *s)
{
    for (unsigned k = 0; k < s->n_files; k++) {
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        int one = 1, big = 16 << 20;
        struct sockaddr_in any = { .sin_family = AF_INET, .sin_port = htons(CLIENT_PORT + k) };
        if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one) < 0 ||
            bind(fd, (struct sockaddr *)&any, sizeof any) < 0)
            return -1;
        setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
        setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big);
        s->sock[k] = fd;
    }
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int report(struct storm *s, uint64_t t0, uint64_t t1)
{
    uint64_t *ms = calloc(s->n, sizeof *ms);
    unsigned failed = 0;
    for (unsigned i = 0; i < s->n; i++) {
        ms[i] = (s->c[i].done ? s->c[i].finished_ms : t1) - s->c[i].started_ms;
        failed += !s->c[i].done || s->c[i].failed;
    }
    qsort(ms, s->n, sizeof *ms, cmp_u64);
    /* The clients' own CPU time (the kernel's work on their behalf
     * included): on a shared machine it competes with the server's. */
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    unsigned long long cpu_ms =
        (unsigned long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
        (unsigned long long)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
    uint64_t median = s->n % 2 ? ms[s->n / 2] : (ms[s->n / 2 - 1] + ms[s->n / 2]) / 2;
    printf("clients=%u bytes=%llu wall_ms=%llu min_ms=%llu median_ms=%llu max_ms=%llu "
           "failed=%u dups=%llu retransmits=%llu client_cpu_ms=%llu\n",
           s->n, (unsigned long long)s->bytes, (unsigned long long)(t1 - t0),
           (unsigned long long)ms[0], (unsigned long long)median, (unsigned long long)ms[s->n - 1],
           failed, (unsigned long long)s->dups, (unsigned long long)s->retransmits, cpu_ms);
    free(ms);
    return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
    static struct storm s = { .retransmit_ms = 1000, .stride = 1 };
    const char *server = NULL, *first = NULL, *dir = NULL;
    char *list = NULL;
    unsigned port = 69, limit_s = 120;
    int opt;
    while ((opt = getopt(argc, argv, "s:c:n:d:f:p:r:T:S:")) != -1) {
        switch (opt) {
        case 'S':
            s.stride = (uint32_t)atoi(optarg);
            if (s.stride == 0)
                return 2;
            break;
        case 's':
            server = optarg;
            break;
        case 'c':
            first = optarg;
            break;
        case 'n':
            s.n = (unsigned)atoi(optarg);
            break;
        case 'd':
            dir = optarg;
            break;
        case 'f':
            list = optarg;
            break;
        case 'p':
            port = (unsigned)atoi(optarg);
            break;
        case 'r':
            s.retransmit_ms = (unsigned)atoi(optarg);
            break;
        case 'T':
            limit_s = (unsigned)atoi(optarg);
            break;
        default:
            return 2;
        }
    }
    struct in_addr first_addr;
    s.server = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    if (!server || !first || !dir || !list || s.n == 0 || s.n > MAX_CLIENTS ||
        inet_pton(AF_INET, server, &s.server.sin_addr) != 1 ||
        inet_pton(AF_INET, first, &first_addr) != 1) {
        fprintf(stderr, "usage: tftpstorm -s SERVER -c FIRST_CLIENT_IP -n N -d DIR -f a,b,c "
                        "[-p PORT] [-r RETRANSMIT_MS] [-T LIMIT_S]\n");
        return 2;
    }
    if (load_files(&s, dir, list) < 0 || open_sockets(&s) < 0) {
        perror("tftpstorm");
        return 1;
    }
    s.first_ip = ntohl(first_addr.s_addr);
    s.c = calloc(s.n, sizeof *s.c);
    uint64_t t0 = now_ms();
    s.now = t0;
    for (unsigned i = 0; i < s.n; i++) {
        s.c[i].addr.s_addr = htonl(s.first_ip + i * s.stride);
        s.c[i].started_ms = t0;
        request(&s, &s.c[i]);
    }
    flush(&s);
    uint64_t end = t0 + (uint64_t)limit_s * 1000, last_scan = t0;
    struct pollfd p[MAX_FILES];
    for (unsigned k = 0; k < s.n_files; k++)
        p[k] = (struct pollfd){ .fd = s.sock[k], .events = POLLIN };
    while (s.finished < s.n && (s.now = now_ms()) < end) {
        if (poll(p, s.n_files, 50) > 0)
            for (unsigned k = 0; k < s.n_files; k++)
                if (p[k].revents & POLLIN) {
                    s.now = now_ms();
                    receive(&s, k);
                }
        if (s.now - last_scan >= 50) {
            retransmit(&s, s.now);
            last_scan = s.now;
        }
    }
    return report(&s, t0, now_ms());
}
