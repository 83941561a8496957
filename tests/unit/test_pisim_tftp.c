/* pisim's TFTP client and time: one thread plays every Pi, so it may read
 * an answer long after it reached the Pi's interface.  The firmware's
 * timeouts must be judged by the arrival, or the simulator blames the
 * server for its own delays (rack_boot's intermittent probe failures). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tests/sim/pisim/oack.c"
#include "tests/sim/pisim/tftp.c"

/* The rest of pisim that tftp.c calls, played here: a clock the test sets. */
static uint64_t clock_ms;
uint64_t pisim_now_ms(void)
{
    return clock_ms;
}
int pisim_watch(struct pisim *sim, int fd, struct pi *pi, unsigned tag)
{
    (void)sim;
    (void)fd;
    (void)pi;
    (void)tag;
    return 0;
}
void pisim_unwatch(struct pisim *sim, int fd)
{
    (void)sim;
    (void)fd;
}
int net_udp_open(struct pi *pi, uint16_t port)
{
    (void)pi;
    (void)port;
    return -ENOSYS;
}

static const struct xfer_timing start_elf = { 1000, 1, 1000, 5, 0 };

struct rig {
    struct pi pi;
    int server; /* what the "server" hears from the Pi */
    struct sockaddr_in server_addr;
};

static int udp_on_loopback(struct sockaddr_in *out)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    if (out)
        *out = a;
    return fd;
}

/* A probe of start.elf whose RRQ left at 1000 ms: the answer is due by 2000. */
static int setup(void **state)
{
    struct rig *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->server = udp_on_loopback(&r->server_addr);
    struct xfer *x = &r->pi.xfer;
    xfer_reset(x);
    snprintf(x->path, sizeof x->path, "5ca1ab01/start.elf");
    x->kind = XK_PROBE;
    x->opt_tsize = true;
    x->timing = start_elf;
    x->fd = udp_on_loopback(NULL);
    x->server = r->server_addr;
    x->blksize = 512;
    x->next_block = 1;
    x->started_ms = 1000;
    x->deadline_ms = 2000;
    x->sends = 1;
    *state = r;
    return 0;
}

static int teardown(void **state)
{
    struct rig *r = *state;
    close(r->pi.xfer.fd);
    xfer_reset(&r->pi.xfer);
    close(r->server);
    free(r);
    return 0;
}

static bool feed(struct rig *r, const uint8_t *p, size_t len, uint64_t arrived_ms)
{
    return xfer_input(&r->pi, p, len, &r->server_addr, arrived_ms);
}

static const uint8_t oack[] = { 0, 6, 't', 's', 'i', 'z', 'e', 0, '9', '9', '9', 0 };
static const uint8_t data1[4 + 512] = { 0, 3, 0, 1 };

/* The next datagram the server got from the Pi: its opcode, or -1. */
static int heard(struct rig *r, uint8_t *buf, size_t cap)
{
    ssize_t n = recv(r->server, buf, cap, MSG_DONTWAIT);
    return n < 4 ? -1 : buf[1];
}

static void test_an_answer_in_time_counts_however_late_it_is_read(void **state)
{
    struct rig *r = *state;
    uint8_t b[64];
    clock_ms = 2600; /* pisim got round to it late */
    assert_false(feed(r, oack, sizeof oack, 1200));
    assert_int_equal(r->pi.xfer.result, XR_NONE);
    assert_true(r->pi.xfer.got_oack);
    assert_int_equal(heard(r, b, sizeof b), OP_ACK);
    assert_int_equal(b[3], 0);
    assert_int_equal(r->pi.xfer.answered_ms, 1200);
    assert_false(xfer_timer(&r->pi, 2600)); /* block 1 is due from now */
    assert_true(feed(r, data1, sizeof data1, 2650));
    assert_int_equal(r->pi.xfer.result, XR_PROBED);
}

static void test_an_answer_after_the_deadline_is_a_timeout(void **state)
{
    struct rig *r = *state;
    uint8_t b[64];
    clock_ms = 2600;
    assert_true(feed(r, oack, sizeof oack, 2100));
    assert_int_equal(r->pi.xfer.result, XR_TIMEOUT);
    assert_int_equal(heard(r, b, sizeof b), -1); /* the Pi had moved on */
}

static void test_a_repeated_oack_is_acked_again_not_an_error(void **state)
{
    struct rig *r = *state;
    uint8_t b[64];
    clock_ms = 2300;
    /* The Pi's ACK 0 left late: the server sent its OACK again meanwhile. */
    assert_false(feed(r, oack, sizeof oack, 1100));
    assert_false(feed(r, oack, sizeof oack, 2100));
    assert_int_equal(r->pi.xfer.result, XR_NONE);
    assert_int_equal(heard(r, b, sizeof b), OP_ACK);
    assert_int_equal(heard(r, b, sizeof b), OP_ACK);
    assert_int_equal(b[3], 0);
    assert_true(feed(r, data1, sizeof data1, 2310));
    assert_int_equal(r->pi.xfer.result, XR_PROBED);
    assert_int_equal(heard(r, b, sizeof b), OP_ERROR);
    assert_string_equal((const char *)b + 4, "Early terminate");
}

static void test_an_oack_after_data_is_an_error(void **state)
{
    struct rig *r = *state;
    struct xfer *x = &r->pi.xfer;
    clock_ms = 1100;
    x->kind = XK_READ;
    assert_false(feed(r, oack, sizeof oack, 1050));
    assert_false(feed(r, data1, sizeof data1, 1060));
    assert_true(feed(r, oack, sizeof oack, 1070));
    assert_int_equal(x->result, XR_ERROR);
    assert_string_equal(x->err_msg, "OACK after DATA");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_an_answer_in_time_counts_however_late_it_is_read,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_an_answer_after_the_deadline_is_a_timeout, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_repeated_oack_is_acked_again_not_an_error, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_an_oack_after_data_is_an_error, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
