/* tftp-lossy: a lock-step TFTP client that loses and duplicates packets on
 * purpose, to prove a server's retransmission and its immunity to the
 * sorcerer's apprentice bug.
 *
 *   tftp-lossy -p PORT [-s ADDR] -f FILE -o OUT [-t] [-b BLKSIZE]
 *              [-A] [-D N] [-K N] [-E] [-T SECONDS]
 *
 *   -A    send every ACK twice
 *   -D N  ignore every Nth new DATA, as if it were lost
 *   -K N  do not send every Nth ACK (never the last one)
 *   -E    the Pi firmware's probe: take the OACK and block 1, send ERROR 0
 *         "Early terminate", then fetch the file from a new port
 *   -t    ask tsize 0 (and check the OACK's size against the file)
 *
 * Prints "ok bytes=.. blocks=.. dup_data=.. dropped=.. acks_skipped=.."
 * and exits 0 when the file arrived; "fail: reason" and 1 otherwise.
 * dup_data counts DATA for a block already received. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pirack/tftp.h"

struct opts {
    const char *addr, *file, *out;
    unsigned port, blksize, drop_data, skip_ack, wait_s;
    bool tsize, dup_ack, early;
};

struct run {
    int sock;
    struct sockaddr_in server, tid;
    bool have_tid;
    FILE *out;
    uint64_t bytes, blocks, dup_data, dropped, acks_skipped, new_data, acks;
    uint64_t announced;
    bool oack_seen;
};

static int fail(const char *why)
{
    printf("fail: %s\n", why);
    return 1;
}

static void send_to(struct run *r, const struct sockaddr_in *to, const uint8_t *b, size_t n)
{
    if (sendto(r->sock, b, n, 0, (const struct sockaddr *)to, sizeof *to) < 0)
        perror("sendto");
}

static void send_ack(struct run *r, const struct opts *o, uint16_t block, bool last)
{
    uint8_t b[4];
    pr_tftp_encode_ack(b, sizeof b, block);
    r->acks++;
    if (o->skip_ack && !last && r->acks % o->skip_ack == 0) {
        r->acks_skipped++;
        return;
    }
    send_to(r, &r->tid, b, 4);
    if (o->dup_ack)
        send_to(r, &r->tid, b, 4);
}

static int send_request(struct run *r, const struct opts *o)
{
    uint8_t b[600];
    struct pr_tftp_options opt = { 0 };
    if (o->tsize)
        opt.has_tsize = true;
    if (o->blksize) {
        opt.has_blksize = true;
        opt.blksize = o->blksize;
    }
    int n = pr_tftp_encode_request(b, sizeof b, PR_TFTP_RRQ, o->file, "octet", &opt);
    if (n < 0)
        return -1;
    send_to(r, &r->server, b, (size_t)n);
    return 0;
}

/* The next datagram from the server's address, or -1 after wait_s. */
static ssize_t receive(struct run *r, const struct opts *o, uint8_t *b, size_t cap)
{
    for (;;) {
        struct pollfd p = { .fd = r->sock, .events = POLLIN };
        if (poll(&p, 1, (int)o->wait_s * 1000) != 1)
            return -1;
        struct sockaddr_in from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(r->sock, b, cap, 0, (struct sockaddr *)&from, &fl);
        if (n < 0)
            return -1;
        if (from.sin_addr.s_addr != r->server.sin_addr.s_addr)
            continue;
        if (!r->have_tid) {
            r->tid = from;
            r->have_tid = true;
        } else if (from.sin_port != r->tid.sin_port) {
            continue; /* RFC 1350: another TID; ignore */
        }
        return n;
    }
}

static int open_socket(struct run *r, const struct opts *o)
{
    memset(r, 0, sizeof *r);
    r->sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    r->server.sin_family = AF_INET;
    r->server.sin_port = htons((uint16_t)o->port);
    if (r->sock < 0 || inet_pton(AF_INET, o->addr, &r->server.sin_addr) != 1)
        return -1;
    return 0;
}

/* The probe: OACK, ACK 0, block 1, then ERROR 0. */
static int probe(const struct opts *o)
{
    struct run r;
    uint8_t b[70000];
    struct opts po = *o;
    po.tsize = true;
    if (open_socket(&r, &po) < 0 || send_request(&r, &po) < 0)
        return fail("socket");
    struct pr_tftp_packet p;
    ssize_t n = receive(&r, &po, b, sizeof b);
    if (n < 0 || pr_tftp_parse(b, (size_t)n, &p) < 0 || p.op != PR_TFTP_OACK)
        return fail("probe: no OACK");
    send_ack(&r, &po, 0, false);
    n = receive(&r, &po, b, sizeof b);
    if (n < 0 || pr_tftp_parse(b, (size_t)n, &p) < 0 || p.op != PR_TFTP_DATA || p.block != 1)
        return fail("probe: no block 1");
    int e = pr_tftp_encode_error(b, sizeof b, 0, "Early terminate");
    send_to(&r, &r.tid, b, (size_t)e);
    /* Nothing more may come for this transfer. */
    if (receive(&r, &(struct opts){ .wait_s = 1 }, b, sizeof b) >= 0)
        return fail("probe: server kept sending after ERROR");
    close(r.sock);
    return 0;
}

static int on_data(struct run *r, const struct opts *o, const struct pr_tftp_packet *p,
                   uint32_t blksize, bool *finished)
{
    uint16_t want = (uint16_t)(r->blocks + 1);
    if (p->block != want) {
        if (p->block == (uint16_t)r->blocks) {
            r->dup_data++;
            send_ack(r, &(struct opts){ 0 }, p->block, false); /* RFC: ACK it again */
        }
        return 0;
    }
    r->new_data++;
    if (o->drop_data && r->new_data % o->drop_data == 0) {
        r->dropped++;
        return 0;
    }
    if (fwrite(p->data, 1, p->data_len, r->out) != p->data_len)
        return -1;
    r->bytes += p->data_len;
    r->blocks++;
    *finished = p->data_len < blksize;
    send_ack(r, o, p->block, *finished);
    return 0;
}

static int fetch(const struct opts *o)
{
    struct run r;
    uint8_t b[70000];
    if (open_socket(&r, o) < 0 || send_request(&r, o) < 0)
        return fail("socket");
    r.out = fopen(o->out, "w");
    if (!r.out)
        return fail("cannot write output");
    uint32_t blksize = 512;
    bool finished = false;
    while (!finished) {
        ssize_t n = receive(&r, o, b, sizeof b);
        struct pr_tftp_packet p;
        if (n < 0)
            return fail("timed out");
        if (pr_tftp_parse(b, (size_t)n, &p) < 0)
            return fail("malformed reply");
        if (p.op == PR_TFTP_ERROR) {
            printf("fail: ERROR %u %s\n", p.errcode, p.errmsg);
            return 1;
        }
        if (p.op == PR_TFTP_OACK) {
            if (r.blocks == 0) {
                r.oack_seen = true;
                if (p.opt.has_blksize)
                    blksize = p.opt.blksize;
                r.announced = p.opt.tsize;
                send_ack(&r, o, 0, false);
            }
            continue;
        }
        if (p.op == PR_TFTP_DATA && on_data(&r, o, &p, blksize, &finished) < 0)
            return fail("write");
    }
    fclose(r.out);
    if (o->tsize && (!r.oack_seen || r.announced != r.bytes))
        return fail("tsize does not match the bytes received");
    printf("ok bytes=%llu blocks=%llu dup_data=%llu dropped=%llu acks_skipped=%llu\n",
           (unsigned long long)r.bytes, (unsigned long long)r.blocks,
           (unsigned long long)r.dup_data, (unsigned long long)r.dropped,
           (unsigned long long)r.acks_skipped);
    return 0;
}

int main(int argc, char **argv)
{
    struct opts o = { .addr = "127.0.0.1", .wait_s = 10 };
    int c;
    while ((c = getopt(argc, argv, "s:p:f:o:tb:AD:K:ET:")) != -1) {
        switch (c) {
        case 's':
            o.addr = optarg;
            break;
        case 'p':
            o.port = (unsigned)atoi(optarg);
            break;
        case 'f':
            o.file = optarg;
            break;
        case 'o':
            o.out = optarg;
            break;
        case 't':
            o.tsize = true;
            break;
        case 'b':
            o.blksize = (unsigned)atoi(optarg);
            break;
        case 'A':
            o.dup_ack = true;
            break;
        case 'D':
            o.drop_data = (unsigned)atoi(optarg);
            break;
        case 'K':
            o.skip_ack = (unsigned)atoi(optarg);
            break;
        case 'E':
            o.early = true;
            break;
        case 'T':
            o.wait_s = (unsigned)atoi(optarg);
            break;
        default:
            return 2;
        }
    }
    if (!o.port || !o.file || !o.out) {
        fprintf(stderr, "usage: tftp-lossy -p PORT [-s ADDR] -f FILE -o OUT [-t] [-b N] "
                        "[-A] [-D N] [-K N] [-E] [-T S]\n");
        return 2;
    }
    if (o.early && probe(&o) != 0)
        return 1;
    return fetch(&o);
}
