/* pisim --nfs-root reads the root a Pi's cmdline.txt names as the kernel
 * would: nfsroot=[HOST:]/PATH[,options] (the host defaults to ip='s
 * server), and ip=PI:HOST::MASK:NAME:... for the address it mounts from
 * and the hostname the root must hold.  What it cannot read fails the
 * boot with the reason. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tests/sim/pisim/nfsroot.c"

static const char *addr(struct in_addr a)
{
    static char buf[INET_ADDRSTRLEN];
    return inet_ntop(AF_INET, &a, buf, sizeof buf);
}

static void test_pirack_cmdline(void **state)
{
    struct nfsroot r;
    char why[200];
    (void)state;
    assert_int_equal(nfsroot_parse("console=serial0,115200 console=tty1 root=/dev/nfs "
                                   "nfsroot=10.99.0.5:/srv/roots/gens/002/gen-3,vers=3,tcp rw "
                                   "ip=10.99.0.6:10.99.0.5::255.255.255.252:web2:eth0:off "
                                   "rootwait\n",
                                   &r, why, sizeof why),
                     0);
    assert_string_equal(addr(r.addr), "10.99.0.6");
    assert_string_equal(addr(r.server), "10.99.0.5");
    assert_string_equal(addr(r.mask), "255.255.255.252");
    assert_string_equal(r.hostname, "web2");
    assert_string_equal(r.path, "/srv/roots/gens/002/gen-3");
    /* no host in nfsroot=: ip='s server */
    assert_int_equal(nfsroot_parse("root=/dev/nfs nfsroot=/r ip=10.0.0.2:10.0.0.9::255.0.0.0:p", &r,
                                   why, sizeof why),
                     0);
    assert_string_equal(addr(r.server), "10.0.0.9");
    assert_string_equal(r.path, "/r");
}

static void test_refused(void **state)
{
    struct nfsroot r;
    char why[200];
    (void)state;
    assert_int_equal(nfsroot_parse("root=/dev/mmcblk0p2 rw", &r, why, sizeof why), -ENOENT);
    assert_non_null(strstr(why, "no root=/dev/nfs"));
    assert_int_equal(nfsroot_parse("root=/dev/nfs ip=dhcp", &r, why, sizeof why), -EINVAL);
    assert_int_equal(nfsroot_parse("root=/dev/nfs nfsroot=h:/r ip=dhcp", &r, why, sizeof why),
                     -EINVAL);
    assert_non_null(strstr(why, "ip=dhcp"));
    assert_int_equal(nfsroot_parse("root=/dev/nfs nfsroot=1.2.3.4:rel "
                                   "ip=10.0.0.2:10.0.0.1::255.0.0.0:p",
                                   &r, why, sizeof why),
                     -EINVAL);
    assert_int_equal(nfsroot_parse("root=/dev/nfs nfsroot=/r ip=10.0.0.2:10.0.0.1::255.0.0.0::eth0",
                                   &r, why, sizeof why),
                     -EINVAL); /* no hostname to check the root against */
    assert_int_equal(nfsroot_parse(NULL, &r, why, sizeof why), -ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pirack_cmdline),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
