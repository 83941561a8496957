/* api/admit: one peer holding many idle connections cannot lock out
 * another, and a full listener makes room by shedding an idle one. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "daemon/api/api_internal.h"

static struct pr_api_peer peer(int n)
{
    struct pr_api_peer p = { .family = AF_UNIX };

    memcpy(p.id, &n, sizeof(n));
    return p;
}

/* A peer at its cap sheds its own oldest idle connection, never another
 * peer's; with all of its connections busy it is refused. */
static void per_peer_cap_sheds_own_oldest_idle(void **state)
{
    struct pr_api_admit *a = malloc(sizeof(*a));
    struct pr_api_peer p1 = peer(1), p2 = peer(2);
    int shed, first, s;

    (void)state;
    pr_api_admit_init(a, 100, 3);
    s = pr_api_admit(a, &p2, 50, 1, &shed);
    assert_true(s >= 0);
    first = pr_api_admit(a, &p1, 10, 2, &shed);
    assert_true(first >= 0);
    assert_true(pr_api_admit(a, &p1, 11, 3, &shed) >= 0);
    assert_true(pr_api_admit(a, &p1, 12, 4, &shed) >= 0);
    assert_int_equal(shed, -1);
    assert_true(pr_api_admit(a, &p1, 13, 5, &shed) >= 0);
    assert_int_equal(shed, 10); /* p1's oldest, not p2's older one */
    pr_api_admit_release(a, first);
    for (int fd = 11; fd <= 13; fd++)
        pr_api_admit_busy(a, pr_api_admit_find_fd(a, fd), true, 0);
    assert_int_equal(pr_api_admit(a, &p1, 14, 6, &shed), -1);
    assert_true(pr_api_admit(a, &p2, 51, 6, &shed) >= 0);
    assert_int_equal(shed, -1);
    free(a);
}

/* Many peers fill the listener: a newcomer still gets in, in place of the
 * oldest idle connection; when all are busy it is refused. */
static void full_listener_keeps_room(void **state)
{
    struct pr_api_admit *a = malloc(sizeof(*a));
    struct pr_api_peer p;
    int shed;

    (void)state;
    pr_api_admit_init(a, 8, 2);
    for (int i = 0; i < 8; i++) {
        p = peer(100 + i);
        assert_true(pr_api_admit(a, &p, 20 + i, 10 + (uint64_t)i, &shed) >= 0);
        assert_int_equal(shed, -1);
    }
    pr_api_admit_busy(a, pr_api_admit_find_fd(a, 20), true, 0);
    p = peer(999);
    assert_true(pr_api_admit(a, &p, 40, 30, &shed) >= 0);
    assert_int_equal(shed, 21); /* 20 is busy: 21 is the oldest idle */
    for (int fd = 22; fd <= 27; fd++)
        pr_api_admit_busy(a, pr_api_admit_find_fd(a, fd), true, 0);
    pr_api_admit_busy(a, pr_api_admit_find_fd(a, 40), true, 0);
    p = peer(1000);
    assert_int_equal(pr_api_admit(a, &p, 41, 31, &shed), -1);
    free(a);
}

/* Shed connections hold their slot until closed, so the table bounds
 * what is open even when peers keep coming. */
static void table_is_bounded(void **state)
{
    struct pr_api_admit *a = malloc(sizeof(*a));
    struct pr_api_peer p = peer(7);
    int admitted = 0, shed;

    (void)state;
    pr_api_admit_init(a, 16, 16);
    for (int i = 0; i < 1000; i++)
        if (pr_api_admit(a, &p, 100 + i, (uint64_t)i, &shed) >= 0)
            admitted++;
    assert_int_equal(admitted, PR_API_ADMIT_SLOTS);
    free(a);
}

/* The header deadline runs from admission and again from each answer's
 * end; a request in progress is never cut, and what is shed is shed once. */
static void header_deadline(void **state)
{
    struct pr_api_admit *a = malloc(sizeof(*a));
    struct pr_api_peer p1 = peer(1), p2 = peer(2);
    int shed, fds[8], s1, s2, s3;

    (void)state;
    pr_api_admit_init(a, 100, 16);
    s1 = pr_api_admit(a, &p1, 10, 1000, &shed); /* trickles its headers */
    s2 = pr_api_admit(a, &p2, 20, 1000, &shed); /* sends a request at once */
    s3 = pr_api_admit(a, &p2, 30, 4000, &shed); /* connects later */
    assert_true(s1 >= 0 && s2 >= 0 && s3 >= 0);
    pr_api_admit_busy(a, s2, true, 1100);
    assert_int_equal(pr_api_admit_overdue(a, 5999, 5000, fds, 8), 0);
    assert_int_equal(pr_api_admit_overdue(a, 6000, 5000, fds, 8), 1);
    assert_int_equal(fds[0], 10);
    /* s2's request takes long: it is MHD's idle timeout's, not ours. */
    assert_int_equal(pr_api_admit_overdue(a, 8000, 5000, fds, 8), 0);
    /* Answered at 8000: it owes the next request from then (s3 from 4000). */
    pr_api_admit_busy(a, s2, false, 8000);
    assert_int_equal(pr_api_admit_overdue(a, 9000, 5000, fds, 8), 1);
    assert_int_equal(fds[0], 30);
    assert_int_equal(pr_api_admit_overdue(a, 13000, 5000, fds, 8), 1);
    assert_int_equal(fds[0], 20);
    /* Shed ones are closing: not shed again, not counted as connected. */
    assert_int_equal(pr_api_admit_overdue(a, 60000, 5000, fds, 8), 0);
    assert_false(pr_api_admit_any(a));
    pr_api_admit_release(a, s1);
    pr_api_admit_release(a, s2);
    pr_api_admit_release(a, s3);
    assert_int_equal(a->active, 0);
    free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(per_peer_cap_sheds_own_oldest_idle),
        cmocka_unit_test(full_listener_keeps_room),
        cmocka_unit_test(table_is_bounded),
        cmocka_unit_test(header_deadline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
