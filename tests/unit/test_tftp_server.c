/* tftp server on loopback: a real UDP client sends exact datagrams and
 * checks the exact replies.  Single-threaded: loopback queues a datagram
 * during sendto(), so the server reads it in the same call that follows. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pirack/tftp.h"

#define PKT(s) (s), (sizeof(s) - 1)

struct fixture {
    char dir[64];
    char root[96];
    struct pr_tftp_server *srv;
    struct sockaddr_in addr; /* the server's */
    int client;
    bool refuse;
    unsigned n_events;
    enum pr_tftp_event_kind last_kind;
    char last_serial[9];
    char last_path[PR_TFTP_PATH_MAX];
    uint16_t last_code;
    int last_ifindex;
    uint64_t now;
};

static void resolve(void *ctx, const struct sockaddr *peer, socklen_t len,
                    struct pr_tftp_client *out)
{
    struct fixture *f = ctx;
    (void)peer;
    (void)len;
    f->last_ifindex = out->ifindex;
    out->cookie = 42;
    out->dirfd = f->refuse ? -EACCES : open(f->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static void on_event(void *ctx, const struct pr_tftp_event *ev)
{
    struct fixture *f = ctx;
    assert_int_equal(ev->cookie, 42);
    f->n_events++;
    f->last_kind = ev->kind;
    f->last_code = ev->errcode;
    snprintf(f->last_serial, sizeof f->last_serial, "%s", ev->seen ? ev->seen->serial : "");
    snprintf(f->last_path, sizeof f->last_path, "%s", ev->path);
}

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    fclose(fp);
}

static uint8_t pattern(size_t i)
{
    return (uint8_t)(i * 7 + i / 251);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/pr-tftp-test.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->root, sizeof f->root, "%s/root", f->dir);
    assert_int_equal(mkdir(f->root, 0755), 0);
    uint8_t big[1300];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = pattern(i);
    write_file(f->root, "file.bin", big, sizeof big);
    write_file(f->root, "text.txt", "a\nb\r", 4);
    write_file(f->dir, "secret", "top secret", 10);
    char link[160];
    snprintf(link, sizeof link, "%s/out", f->root);
    assert_int_equal(symlink("../secret", link), 0);
    snprintf(link, sizeof link, "%s/sub", f->root);
    assert_int_equal(mkdir(link, 0755), 0);

    struct sockaddr_in bind_addr = { .sin_family = AF_INET,
                                     .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    struct pr_tftp_server_config cfg = {
        .bind_addr = (struct sockaddr *)&bind_addr,
        .bind_len = sizeof bind_addr,
        .max_transfers = 2,
        .timeout_ms = 1000,
        .max_retries = 2,
        .resolve = resolve,
        .event = on_event,
        .ctx = f,
    };
    assert_int_equal(pr_tftp_server_new(&cfg, &f->srv), 0);
    struct sockaddr_storage ss;
    socklen_t sl;
    assert_int_equal(pr_tftp_server_local(f->srv, &ss, &sl), 0);
    memcpy(&f->addr, &ss, sizeof f->addr);
    f->client = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(f->client >= 0);
    f->now = 1000000;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    pr_tftp_server_free(f->srv);
    close(f->client);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* Sends bytes from sock and lets the server handle them. */
static void send_from(struct fixture *f, int sock, const void *buf, size_t len)
{
    assert_int_equal(sendto(sock, buf, len, 0, (struct sockaddr *)&f->addr, sizeof f->addr),
                     (ssize_t)len);
    assert_int_equal(pr_tftp_server_on_readable(f->srv, f->now), 0);
}

static void send_pkt(struct fixture *f, const void *buf, size_t len)
{
    send_from(f, f->client, buf, len);
}

/* The next datagram to sock, within 1 s; its length, or -1. */
static ssize_t recv_on(int sock, uint8_t *buf, size_t cap, int timeout_ms)
{
    struct pollfd p = { .fd = sock, .events = POLLIN };
    if (poll(&p, 1, timeout_ms) != 1)
        return -1;
    return recv(sock, buf, cap, 0);
}

static void expect_reply(struct fixture *f, const void *want, size_t len)
{
    uint8_t buf[2048];
    ssize_t n = recv_on(f->client, buf, sizeof buf, 1000);
    assert_int_equal(n, (ssize_t)len);
    assert_memory_equal(buf, want, len);
}

static void expect_nothing(struct fixture *f)
{
    uint8_t buf[2048];
    assert_int_equal(recv_on(f->client, buf, sizeof buf, 50), -1);
}

static void expect_data(struct fixture *f, uint16_t block, size_t off, size_t len)
{
    uint8_t want[2048];
    want[0] = 0;
    want[1] = 3;
    want[2] = (uint8_t)(block >> 8);
    want[3] = (uint8_t)block;
    for (size_t i = 0; i < len; i++)
        want[4 + i] = pattern(off + i);
    expect_reply(f, want, 4 + len);
}

static void plain_rrq_in_lockstep(void **state)
{
    struct fixture *f = *state;
    f->last_ifindex = -1;
    send_pkt(f, PKT("\0\1file.bin\0octet\0"));
    assert_int_equal(f->last_kind, PR_TFTP_EV_REQUEST);
    expect_data(f, 1, 0, 512);
    send_pkt(f, PKT("\0\4\0\1"));
    expect_data(f, 2, 512, 512);
    /* A duplicate ACK 1 must not send block 2 again. */
    send_pkt(f, PKT("\0\4\0\1"));
    expect_nothing(f);
    send_pkt(f, PKT("\0\4\0\2"));
    expect_data(f, 3, 1024, 276);
    send_pkt(f, PKT("\0\4\0\3"));
    assert_int_equal(f->last_kind, PR_TFTP_EV_DONE);
    struct pr_tftp_stats st;
    pr_tftp_server_stats(f->srv, &st);
    assert_int_equal(st.active, 0);
    assert_int_equal(st.done, 1);
    assert_int_equal(pr_tftp_server_next_deadline(f->srv), UINT64_MAX);
    /* the embedder learns the link the request came in on */
    assert_int_equal(f->last_ifindex, (int)if_nametoindex("lo"));
}

static void tsize_gets_oack(void **state)
{
    struct fixture *f = *state;
    send_pkt(f, PKT("\0\1file.bin\0octet\0tsize\0"
                    "0\0"));
    expect_reply(f, PKT("\0\6tsize\0"
                        "1300\0"));
    send_pkt(f, PKT("\0\4\0\0"));
    expect_data(f, 1, 0, 512);
}

static void blksize_is_bounded(void **state)
{
    struct fixture *f = *state;
    /* The configured maximum (1468 by default) wins over loopback's MTU. */
    send_pkt(f, PKT("\0\1file.bin\0octet\0blksize\0"
                    "65464\0tsize\0"
                    "0\0"));
    expect_reply(f, PKT("\0\6blksize\0"
                        "1468\0tsize\0"
                        "1300\0"));
    send_pkt(f, PKT("\0\4\0\0"));
    expect_data(f, 1, 0, 1300);
    send_pkt(f, PKT("\0\4\0\1"));
    assert_int_equal(f->last_kind, PR_TFTP_EV_DONE);
}

static void missing_file_is_error_1(void **state)
{
    struct fixture *f = *state;
    send_pkt(f, PKT("\0\1bootsig.bin\0octet\0"));
    expect_reply(f, PKT("\0\5\0\1file not found\0"));
    assert_int_equal(f->last_kind, PR_TFTP_EV_ERROR);
    /* A directory is no file either (the firmware asks for "overlays"). */
    send_pkt(f, PKT("\0\1sub\0octet\0"));
    expect_reply(f, PKT("\0\5\0\1file not found\0"));
}

static void write_request_refused(void **state)
{
    struct fixture *f = *state;
    send_pkt(f, PKT("\0\2file.bin\0octet\0"));
    expect_reply(f, PKT("\0\5\0\2read-only server\0"));
}

static void traversal_refused(void **state)
{
    struct fixture *f = *state;
    static const char *paths[] = { "../secret", "/etc/passwd", "out", "sub/../../secret" };
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        uint8_t req[128];
        int n = pr_tftp_encode_request(req, sizeof req, PR_TFTP_RRQ, paths[i], "octet", NULL);
        f->n_events = 0;
        send_pkt(f, req, (size_t)n);
        expect_reply(f, PKT("\0\5\0\2access violation\0"));
        assert_int_equal(f->n_events, 1);
        assert_int_equal(f->last_kind, PR_TFTP_EV_TRAVERSAL);
        assert_string_equal(f->last_path, paths[i]);
    }
    struct pr_tftp_stats st;
    pr_tftp_server_stats(f->srv, &st);
    assert_int_equal(st.traversals, 4);
}

static void unknown_client_refused(void **state)
{
    struct fixture *f = *state;
    f->refuse = true;
    send_pkt(f, PKT("\0\1file.bin\0octet\0"));
    expect_reply(f, PKT("\0\5\0\2access denied\0"));
}

static void netascii_converted(void **state)
{
    struct fixture *f = *state;
    send_pkt(f, PKT("\0\1text.txt\0netascii\0tsize\0"
                    "0\0"));
    expect_reply(f, PKT("\0\6tsize\0"
                        "6\0"));
    send_pkt(f, PKT("\0\4\0\0"));
    expect_reply(f, PKT("\0\3\0\1a\r\nb\r\0"));
}

static void repeated_rrq_restarts(void **state)
{
    struct fixture *f = *state;
    send_pkt(f, PKT("\0\1file.bin\0octet\0"));
    expect_data(f, 1, 0, 512);
    send_pkt(f, PKT("\0\4\0\1"));
    expect_data(f, 2, 512, 512);
    send_pkt(f, PKT("\0\1file.bin\0octet\0"));
    expect_data(f, 1, 0, 512);
    struct pr_tftp_stats st;
    pr_tftp_server_stats(f->srv, &st);
    assert_int_equal(st.active, 1);
}

static void early_terminate_probe(void **state)
{
    struct fixture *f = *state;
    send_pkt(f, PKT("\0\1"
                    "1234abcd/file.bin\0octet\0tsize\0"
                    "0\0"));
    assert_string_equal(f->last_serial, "1234abcd");
    expect_reply(f, PKT("\0\6tsize\0"
                        "1300\0"));
    send_pkt(f, PKT("\0\4\0\0"));
    expect_data(f, 1, 0, 512);
    send_pkt(f, PKT("\0\5\0\0Early terminate\0"));
    expect_nothing(f);
    assert_int_equal(f->last_kind, PR_TFTP_EV_PROBE);
    struct pr_tftp_stats st;
    pr_tftp_server_stats(f->srv, &st);
    assert_int_equal(st.active, 0);
    assert_int_equal(st.probes, 1);
    assert_int_equal(st.errors, 0);
}

static void deadline_retransmits_then_gives_up(void **state)
{
    struct fixture *f = *state;
    send_pkt(f, PKT("\0\1file.bin\0octet\0"));
    expect_data(f, 1, 0, 512);
    assert_int_equal(pr_tftp_server_next_deadline(f->srv), f->now + 1000);
    pr_tftp_server_on_timer(f->srv, f->now + 999);
    expect_nothing(f);
    pr_tftp_server_on_timer(f->srv, f->now + 1000);
    expect_data(f, 1, 0, 512);
    assert_int_equal(pr_tftp_server_next_deadline(f->srv), f->now + 3000);
    pr_tftp_server_on_timer(f->srv, f->now + 3000);
    expect_data(f, 1, 0, 512);
    pr_tftp_server_on_timer(f->srv, f->now + 20000);
    expect_nothing(f);
    assert_int_equal(f->last_kind, PR_TFTP_EV_ERROR);
    struct pr_tftp_stats st;
    pr_tftp_server_stats(f->srv, &st);
    assert_int_equal(st.timeouts, 1);
    assert_int_equal(st.retransmits, 2);
    assert_int_equal(st.active, 0);
}

static void transfer_limit_holds(void **state)
{
    struct fixture *f = *state;
    int other[2];
    for (int i = 0; i < 2; i++) {
        other[i] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        send_from(f, other[i], PKT("\0\1file.bin\0octet\0"));
        /* they read on: nothing of theirs may be shed */
        send_from(f, other[i], PKT("\0\4\0\1"));
    }
    /* Both slots are taken: a third client gets no answer yet. */
    send_pkt(f, PKT("\0\1file.bin\0octet\0"));
    expect_nothing(f);
    struct pr_tftp_stats st;
    pr_tftp_server_stats(f->srv, &st);
    assert_int_equal(st.busy, 1);
    assert_int_equal(st.shed, 0);
    assert_int_equal(st.active, 2);
    for (int i = 0; i < 2; i++)
        close(other[i]);
}

/* A full table gives up a transfer that never got an ACK, not the new
 * request: the one who asks and never reads loses. */
static void silent_transfers_are_shed_first(void **state)
{
    struct fixture *f = *state;
    int other[2];
    for (int i = 0; i < 2; i++) {
        other[i] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        send_from(f, other[i], PKT("\0\1file.bin\0octet\0"));
    }
    send_from(f, other[1], PKT("\0\4\0\1")); /* other[1] reads on */
    send_pkt(f, PKT("\0\1file.bin\0octet\0"));
    expect_data(f, 1, 0, 512);
    struct pr_tftp_stats st;
    pr_tftp_server_stats(f->srv, &st);
    assert_int_equal(st.shed, 1);
    assert_int_equal(st.busy, 0);
    assert_int_equal(st.active, 2);
    /* the one that read on is still served */
    send_from(f, other[1], PKT("\0\4\0\2"));
    uint8_t buf[600];
    assert_int_equal(recv_on(other[1], buf, sizeof buf, 1000), 4 + 512); /* block 1 */
    assert_int_equal(recv_on(other[1], buf, sizeof buf, 1000), 4 + 512); /* block 2 */
    assert_int_equal(recv_on(other[1], buf, sizeof buf, 1000), 4 + 1300 - 1024);
    for (int i = 0; i < 2; i++)
        close(other[i]);
}

/* The flood: one client opens 500 never-read transfers from 500
 * ports while another asks for a file.  The flooder keeps its share (4
 * here) and the other is answered at once. */
static void one_client_cannot_take_every_transfer(void **state)
{
    struct fixture *f = *state;
    pr_tftp_server_free(f->srv);
    struct sockaddr_in bind_addr = { .sin_family = AF_INET,
                                     .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    struct pr_tftp_server_config cfg = {
        .bind_addr = (struct sockaddr *)&bind_addr,
        .bind_len = sizeof bind_addr,
        .max_transfers = 32,
        .max_per_client = 4, /* what pirackd gives a slot of 32 */
        /* long enough that no transfer times out while 500 requests are
         * made, on a loaded machine under ASan too: every one must be
         * shed, not ended by its timer */
        .timeout_ms = 60000,
        .resolve = resolve,
        .event = on_event,
        .ctx = f,
    };
    assert_int_equal(pr_tftp_server_new(&cfg, &f->srv), 0);
    struct sockaddr_storage ss;
    socklen_t sl;
    assert_int_equal(pr_tftp_server_local(f->srv, &ss, &sl), 0);
    memcpy(&f->addr, &ss, sizeof f->addr);

    struct sockaddr_in flooder = { .sin_family = AF_INET };
    inet_pton(AF_INET, "127.0.0.2", &flooder.sin_addr);
    for (int i = 0; i < 500; i++) {
        int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        assert_int_equal(bind(sock, (struct sockaddr *)&flooder, sizeof flooder), 0);
        send_from(f, sock, PKT("\0\1file.bin\0octet\0"));
        close(sock);
    }
    send_pkt(f, PKT("\0\1file.bin\0octet\0"));
    expect_data(f, 1, 0, 512);
    struct pr_tftp_stats st;
    pr_tftp_server_stats(f->srv, &st);
    assert_int_equal(st.busy, 0);
    assert_int_equal(st.active, 4 + 1); /* the flooder's 4 and the other's */
    assert_int_equal(st.shed, 500 - 4);
}

/* Runs a whole lock-step transfer of file.bin from sock; returns the
 * bytes received. */
static size_t fetch_all(struct fixture *f, uint8_t *out, size_t cap)
{
    size_t got = 0;
    send_pkt(f, PKT("\0\1file.bin\0octet\0"));
    for (;;) {
        uint8_t buf[600];
        ssize_t n = recv_on(f->client, buf, sizeof buf, 1000);
        assert_true(n >= 4 && buf[1] == 3);
        assert_true(got + (size_t)(n - 4) <= cap);
        memcpy(out + got, buf + 4, (size_t)(n - 4));
        got += (size_t)(n - 4);
        uint8_t ackp[4] = { 0, 4, buf[2], buf[3] };
        send_pkt(f, ackp, 4);
        if (n - 4 < 512)
            return got;
    }
}

static void files_are_shared_and_refreshed(void **state)
{
    struct fixture *f = *state;
    uint8_t got[2048];
    assert_int_equal(fetch_all(f, got, sizeof got), 1300);
    assert_int_equal(fetch_all(f, got, sizeof got), 1300);
    struct pr_tftp_stats st;
    pr_tftp_server_stats(f->srv, &st);
    assert_int_equal(st.cached_files, 1); /* read once, served twice */
    /* Rewritten in place, same size, new time: the next transfer sees it. */
    uint8_t fresh[1300];
    memset(fresh, 0x5a, sizeof fresh);
    write_file(f->root, "file.bin", fresh, sizeof fresh);
    char path[160];
    snprintf(path, sizeof path, "%s/file.bin", f->root);
    struct timespec later[2] = { { .tv_sec = 2000000000 }, { .tv_sec = 2000000000 } };
    assert_int_equal(utimensat(AT_FDCWD, path, later, 0), 0);
    assert_int_equal(fetch_all(f, got, sizeof got), 1300);
    assert_memory_equal(got, fresh, sizeof fresh);
    /* Replaced by another file (a new inode): also seen. */
    char tmp[170];
    snprintf(tmp, sizeof tmp, "%s/new.bin", f->root);
    write_file(f->root, "new.bin", "short", 5);
    assert_int_equal(rename(tmp, path), 0);
    assert_int_equal(fetch_all(f, got, sizeof got), 5);
    assert_memory_equal(got, "short", 5);
}

static void garbage_is_counted(void **state)
{
    struct fixture *f = *state;
    send_pkt(f, PKT("\0\7xx"));
    send_pkt(f, PKT("\0\4\0\1")); /* an ACK for no transfer */
    send_pkt(f, PKT("\0\1f\0mail\0"));
    expect_reply(f, PKT("\0\5\0\4unsupported mode\0"));
    struct pr_tftp_stats st;
    pr_tftp_server_stats(f->srv, &st);
    assert_int_equal(st.malformed, 2);
    assert_int_equal(st.stray, 1);
}

/* A server on 0.0.0.0 as pirackd binds; the next datagram on the client
 * socket must come from `from` and carry DATA block `block` of `len` bytes
 * at `off` of the pattern. */
static void expect_data_from(int sock, const char *from, uint16_t block, size_t off, size_t len)
{
    uint8_t buf[4096];
    struct sockaddr_in src;
    socklen_t srclen = sizeof src;
    struct pollfd p = { .fd = sock, .events = POLLIN };
    assert_int_equal(poll(&p, 1, 1000), 1);
    ssize_t n = recvfrom(sock, buf, sizeof buf, 0, (struct sockaddr *)&src, &srclen);
    assert_int_equal(n, (ssize_t)(4 + len));
    char text[INET_ADDRSTRLEN];
    assert_non_null(inet_ntop(AF_INET, &src.sin_addr, text, sizeof text));
    assert_string_equal(text, from);
    assert_int_equal(buf[1], 3);
    assert_int_equal((buf[2] << 8) | buf[3], block);
    for (size_t i = 0; i < len; i++)
        assert_int_equal(buf[4 + i], pattern(off + i));
}

/* Fetches big.bin (3000 bytes, 2000-byte blocks: DATA larger than a
 * frame) with its requests sent to `to`; every reply must come from `to`. */
static void fetch_from(struct fixture *f, struct pr_tftp_server *srv, uint16_t port, const char *to)
{
    struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(port) };
    assert_int_equal(inet_pton(AF_INET, to, &dst.sin_addr), 1);
    static const char rrq[] = "\0\1big.bin\0octet\0blksize\0"
                              "2000\0";
    static const char ack0[] = "\0\4\0\0", ack1[] = "\0\4\0\1", ack2[] = "\0\4\0\2";
    const char *acks[] = { ack0, ack1, ack2 };
    uint8_t oack[64];
    assert_int_equal(sendto(f->client, rrq, sizeof rrq - 1, 0, (struct sockaddr *)&dst, sizeof dst),
                     (ssize_t)(sizeof rrq - 1));
    assert_int_equal(pr_tftp_server_on_readable(srv, f->now), 0);
    static const char want[] = "\0\6blksize\0"
                               "2000\0";
    assert_int_equal(recv_on(f->client, oack, sizeof oack, 1000), (ssize_t)(sizeof want - 1));
    assert_memory_equal(oack, want, sizeof want - 1);
    for (uint16_t b = 0; b < 3; b++) {
        assert_int_equal(sendto(f->client, acks[b], 4, 0, (struct sockaddr *)&dst, sizeof dst), 4);
        assert_int_equal(pr_tftp_server_on_readable(srv, f->now), 0);
        if (b < 2)
            expect_data_from(f->client, to, (uint16_t)(b + 1), b * 2000u, b == 0 ? 2000 : 1000);
    }
    assert_int_equal(f->last_kind, PR_TFTP_EV_DONE);
}

/* Replies leave from the address the request came to, whether or not the
 * kernel would have picked that one itself (a Pi only answers its own
 * gateway), for small and large blocks alike. */
static void replies_come_from_the_address_asked(void **state)
{
    struct fixture *f = *state;
    uint8_t big[3000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = pattern(i);
    write_file(f->root, "big.bin", big, sizeof big);
    struct sockaddr_in any = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY) };
    struct pr_tftp_server_config cfg = {
        .bind_addr = (struct sockaddr *)&any,
        .bind_len = sizeof any,
        .max_blksize = 4000,
        .resolve = resolve,
        .event = on_event,
        .ctx = f,
    };
    struct pr_tftp_server *srv;
    assert_int_equal(pr_tftp_server_new(&cfg, &srv), 0);
    struct sockaddr_storage ss;
    socklen_t sl;
    assert_int_equal(pr_tftp_server_local(srv, &ss, &sl), 0);
    uint16_t port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    /* The client at 127.0.0.1: the kernel's own pick to reach it is
     * 127.0.0.1, so a request to 127.0.0.2 needs the source named. */
    struct sockaddr_in me = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    assert_int_equal(bind(f->client, (struct sockaddr *)&me, sizeof me), 0);
    fetch_from(f, srv, port, "127.0.0.2");
    fetch_from(f, srv, port, "127.0.0.1");
    fetch_from(f, srv, port, "127.0.0.2");
    pr_tftp_server_free(srv);
}

/* The server reads one socket and sends from its twin on the same port:
 * every request must still reach the reader, whatever port it comes
 * from, and the port must stay closed to anyone else. */
static void every_request_reaches_the_reader(void **state)
{
    struct fixture *f = *state;
    enum {
        CLIENTS = 48
    };
    static const char rrq[] = "\0\1nothere.bin\0octet"; /* and its final NUL */
    int socks[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) {
        socks[i] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        assert_true(socks[i] >= 0);
        assert_int_equal(
            sendto(socks[i], rrq, sizeof rrq, 0, (struct sockaddr *)&f->addr, sizeof f->addr),
            (ssize_t)sizeof rrq);
    }
    assert_int_equal(pr_tftp_server_on_readable(f->srv, f->now), 0);
    for (int i = 0; i < CLIENTS; i++) {
        uint8_t buf[128];
        ssize_t n = recv_on(socks[i], buf, sizeof buf, 1000);
        assert_true(n >= 4);
        assert_int_equal(buf[1], 5); /* ERROR */
        assert_int_equal(buf[3], PR_TFTP_E_NOTFOUND);
        close(socks[i]);
    }
    int other = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(other >= 0);
    assert_int_equal(bind(other, (struct sockaddr *)&f->addr, sizeof f->addr), -1);
    assert_int_equal(errno, EADDRINUSE);
    close(other);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(plain_rrq_in_lockstep),
        T(tsize_gets_oack),
        T(blksize_is_bounded),
        T(missing_file_is_error_1),
        T(write_request_refused),
        T(traversal_refused),
        T(unknown_client_refused),
        T(netascii_converted),
        T(repeated_rrq_restarts),
        T(early_terminate_probe),
        T(deadline_retransmits_then_gives_up),
        T(transfer_limit_holds),
        T(silent_transfers_are_shed_first),
        T(one_client_cannot_take_every_transfer),
        T(files_are_shared_and_refreshed),
        T(garbage_is_counted),
        T(replies_come_from_the_address_asked),
        T(every_request_reaches_the_reader),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
