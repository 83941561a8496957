/* prtftpd: the pirack TFTP library on a tiny epoll loop, serving one
 * directory (and optionally one directory per client address).  For the
 * library's integration tests and the boot-storm benchmark.
 *
 *   prtftpd [-a ADDR] [-p PORT] [-r ROOT] [-m CLIENT=DIR]... [-P PREFIX]
 *           [-x MAX_TRANSFERS] [-t TIMEOUT_MS] [-b MAX_BLKSIZE]
 *           [-f PORT_FILE] [-e]
 *
 * -e prints one line per event on stdout; SIGTERM prints the counters on
 * stderr and exits. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include "pirack/tftp.h"

#define MAX_MAP 64

struct map_entry {
    char client[INET6_ADDRSTRLEN];
    const char *dir;
};

struct opts {
    const char *addr, *root, *prefix, *port_file;
    unsigned port, max_transfers, timeout_ms, max_blksize;
    bool events;
    struct map_entry map[MAX_MAP];
    unsigned n_map;
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The peer as text; a v4-mapped IPv6 address as plain IPv4. */
static void peer_text(const struct sockaddr *sa, char *out, size_t len, unsigned *port)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, out, (socklen_t)len);
        *port = ntohs(in->sin_port);
        return;
    }
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
        inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], out, (socklen_t)len);
    else
        inet_ntop(AF_INET6, &in6->sin6_addr, out, (socklen_t)len);
    *port = ntohs(in6->sin6_port);
}

static void resolve(void *ctx, const struct sockaddr *peer, socklen_t len,
                    struct pr_tftp_client *out)
{
    const struct opts *o = ctx;
    char ip[INET6_ADDRSTRLEN];
    unsigned port;
    (void)len;
    peer_text(peer, ip, sizeof ip, &port);
    const char *dir = o->root;
    for (unsigned i = 0; i < o->n_map; i++)
        if (strcmp(o->map[i].client, ip) == 0)
            dir = o->map[i].dir;
    out->dirfd = dir ? open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC) : -EACCES;
    if (dir && out->dirfd < 0)
        out->dirfd = -errno;
}

static const char *kind_name(enum pr_tftp_event_kind k)
{
    switch (k) {
    case PR_TFTP_EV_REQUEST:
        return "request";
    case PR_TFTP_EV_DONE:
        return "done";
    case PR_TFTP_EV_ERROR:
        return "error";
    case PR_TFTP_EV_PROBE:
        return "probe";
    case PR_TFTP_EV_TRAVERSAL:
        return "traversal";
    }
    return "?";
}

static void on_event(void *ctx, const struct pr_tftp_event *ev)
{
    const struct opts *o = ctx;
    if (!o->events)
        return;
    char ip[INET6_ADDRSTRLEN], path[PR_TFTP_PATH_MAX];
    unsigned port;
    peer_text(ev->peer, ip, sizeof ip, &port);
    size_t n = 0;
    for (const char *p = ev->path; *p && n + 1 < sizeof path; p++)
        path[n++] = (*p > 0x20 && *p < 0x7f) ? *p : '?';
    path[n] = '\0';
    printf("%s %s:%u %s bytes=%llu ms=%llu blksize=%u code=%u serial=%s msg=%s\n",
           kind_name(ev->kind), ip, port, path, (unsigned long long)ev->bytes,
           (unsigned long long)ev->duration_ms, ev->blksize, ev->errcode,
           ev->seen && ev->seen->serial[0] ? ev->seen->serial : "-",
           ev->message ? ev->message : "-");
    fflush(stdout);
}

static int parse_args(int argc, char **argv, struct opts *o)
{
    int c;
    while ((c = getopt(argc, argv, "a:p:r:m:P:x:t:b:f:e")) != -1) {
        switch (c) {
        case 'a':
            o->addr = optarg;
            break;
        case 'p':
            o->port = (unsigned)atoi(optarg);
            break;
        case 'r':
            o->root = optarg;
            break;
        case 'P':
            o->prefix = optarg;
            break;
        case 'x':
            o->max_transfers = (unsigned)atoi(optarg);
            break;
        case 't':
            o->timeout_ms = (unsigned)atoi(optarg);
            break;
        case 'b':
            o->max_blksize = (unsigned)atoi(optarg);
            break;
        case 'f':
            o->port_file = optarg;
            break;
        case 'e':
            o->events = true;
            break;
        case 'm': {
            char *eq = strchr(optarg, '=');
            if (!eq || o->n_map == MAX_MAP || (size_t)(eq - optarg) >= INET6_ADDRSTRLEN)
                return -1;
            memcpy(o->map[o->n_map].client, optarg, (size_t)(eq - optarg));
            o->map[o->n_map].client[eq - optarg] = '\0';
            o->map[o->n_map++].dir = eq + 1;
            break;
        }
        default:
            return -1;
        }
    }
    return 0;
}

static int make_bind(const struct opts *o, struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, o->addr, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)o->port);
        *len = sizeof *in;
        return 0;
    }
    if (inet_pton(AF_INET6, o->addr, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)o->port);
        *len = sizeof *in6;
        return 0;
    }
    return -EINVAL;
}

static void write_port(struct pr_tftp_server *s, const char *file)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (!file || pr_tftp_server_local(s, &ss, &len) < 0)
        return;
    unsigned port = ss.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
                                            : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", file);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return;
    fprintf(f, "%u\n", port);
    fclose(f);
    rename(tmp, file);
}

static void arm_timer(int tfd, uint64_t deadline)
{
    struct itimerspec its = { 0 };
    if (deadline != UINT64_MAX) {
        /* 0 would disarm: a deadline already due fires in 1 ns. */
        its.it_value.tv_sec = (time_t)(deadline / 1000);
        its.it_value.tv_nsec = (long)(deadline % 1000) * 1000000L;
        if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
            its.it_value.tv_nsec = 1;
    }
    timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void print_stats(struct pr_tftp_server *s)
{
    struct pr_tftp_stats st;
    pr_tftp_server_stats(s, &st);
    fprintf(
        stderr,
        "prtftpd: rx %llu tx %llu requests %llu done %llu errors %llu probes %llu "
        "traversals %llu timeouts %llu retransmits %llu malformed %llu stray %llu busy %llu "
        "tx_dropped %llu cached %u files %llu bytes rx_calls %llu tx_calls %llu peak_active %u\n",
        (unsigned long long)st.rx_packets, (unsigned long long)st.tx_packets,
        (unsigned long long)st.requests, (unsigned long long)st.done, (unsigned long long)st.errors,
        (unsigned long long)st.probes, (unsigned long long)st.traversals,
        (unsigned long long)st.timeouts, (unsigned long long)st.retransmits,
        (unsigned long long)st.malformed, (unsigned long long)st.stray, (unsigned long long)st.busy,
        (unsigned long long)st.tx_dropped, st.cached_files, (unsigned long long)st.cached_bytes,
        (unsigned long long)st.rx_calls, (unsigned long long)st.tx_calls, st.peak_active);
}

static int run(struct pr_tftp_server *s)
{
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (sfd < 0 || tfd < 0 || ep < 0)
        return 1;
    int fds[3] = { pr_tftp_server_fd(s), tfd, sfd };
    for (int i = 0; i < 3; i++) {
        struct epoll_event ev = { .events = EPOLLIN, .data.fd = fds[i] };
        epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
    }
    uint64_t armed = UINT64_MAX;
    for (;;) {
        struct epoll_event evs[4];
        int n = epoll_wait(ep, evs, 4, -1);
        if (n < 0 && errno != EINTR)
            return 1;
        for (int i = 0; i < n; i++) {
            if (evs[i].data.fd == sfd)
                return 0;
            if (evs[i].data.fd == tfd) {
                uint64_t ticks;
                if (read(tfd, &ticks, sizeof ticks) < 0 && errno != EAGAIN)
                    return 1;
                armed = UINT64_MAX;
                pr_tftp_server_on_timer(s, now_ms());
            } else {
                pr_tftp_server_on_readable(s, now_ms());
            }
        }
        /* Re-arm only for an earlier deadline: an early wake-up costs
         * less than a timerfd_settime() after every batch. */
        uint64_t next = pr_tftp_server_next_deadline(s);
        if (next < armed) {
            arm_timer(tfd, next);
            armed = next;
        }
    }
}

int main(int argc, char **argv)
{
    struct opts o = { .addr = "127.0.0.1", .port = 69 };
    if (parse_args(argc, argv, &o) < 0 || optind != argc) {
        fprintf(stderr,
                "usage: prtftpd [-a ADDR] [-p PORT] [-r ROOT] [-m CLIENT=DIR]... "
                "[-P PREFIX] [-x MAX] [-t TIMEOUT_MS] [-b MAX_BLKSIZE] [-f PORT_FILE] [-e]\n");
        return 2;
    }
    struct sockaddr_storage ss;
    socklen_t len;
    if (make_bind(&o, &ss, &len) < 0) {
        fprintf(stderr, "prtftpd: bad address %s\n", o.addr);
        return 2;
    }
    struct pr_tftp_server_config cfg = {
        .bind_addr = (struct sockaddr *)&ss,
        .bind_len = len,
        .max_transfers = o.max_transfers,
        .timeout_ms = o.timeout_ms,
        .max_blksize = o.max_blksize,
        .prefix = o.prefix,
        .resolve = resolve,
        .event = on_event,
        .ctx = &o,
    };
    struct pr_tftp_server *s;
    int rc = pr_tftp_server_new(&cfg, &s);
    if (rc < 0) {
        fprintf(stderr, "prtftpd: %s\n", strerror(-rc));
        return 1;
    }
    write_port(s, o.port_file);
    rc = run(s);
    print_stats(s);
    pr_tftp_server_free(s);
    return rc;
}
