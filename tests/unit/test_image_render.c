/* image render: the kernel's command line, config.txt and the NFS
 * exports (golden files in tests/unit/golden/), and the paths they
 * refuse. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "daemon/image/image_internal.h"

static void assert_golden(const char *name, const char *got)
{
    char path[512], want[8192];
    snprintf(path, sizeof(path), "%s/tests/unit/golden/%s", SRCDIR, name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(want, 1, sizeof(want) - 1, f);
    want[n] = '\0';
    fclose(f);
    assert_string_equal(got, want);
}

static void test_cmdline(void **state)
{
    char buf[512];
    struct pr_boot_target t = { "10.99.0.1", "10.99.0.2", "/srv/pirack/roots/001", "web-1" };
    (void)state;
    assert_true(pr_render_cmdline(&t, buf, sizeof(buf)) > 0);
    assert_string_equal(buf, "console=serial0,115200 console=tty1 root=/dev/nfs "
                             "nfsroot=10.99.0.1:/srv/pirack/roots/001,vers=3,tcp rw "
                             "ip=10.99.0.2:10.99.0.1::255.255.255.252:web-1:eth0:off rootwait\n");
    t.root_path = "/srv/a b";
    assert_int_equal(pr_render_cmdline(&t, buf, sizeof(buf)), -EINVAL);
    t.root_path = "/srv/a,b";
    assert_int_equal(pr_render_cmdline(&t, buf, sizeof(buf)), -EINVAL);
    t.root_path = "relative";
    assert_int_equal(pr_render_cmdline(&t, buf, sizeof(buf)), -EINVAL);
    t.root_path = "/ok";
    assert_int_equal(pr_render_cmdline(&t, buf, 20), -ENOSPC);
}

static void test_config_txt(void **state)
{
    char buf[512];
    (void)state;
    assert_true(pr_render_config_txt("dtparam=audio=on", buf, sizeof(buf)) > 0);
    assert_string_equal(buf, "dtparam=audio=on\n"
                             "\n# pirackd: this Pi boots from the network; its root is NFS.\n"
                             "[all]\narm_64bit=1\nenable_uart=1\n");
}

static void test_exports(void **state)
{
    static struct pr_export e[2] = {
        { 1, 1, "/srv/pirack/roots/gens/001/gen-1", "10.99.0.0/30" },
        { 2, 4, "/srv/pirack/roots/gens/002/gen-4", "10.99.0.4/30" },
    };
    char buf[8192];
    (void)state;
    assert_true(pr_render_exports_kernel(e, 2, buf, sizeof(buf)) > 0);
    assert_golden("exports.kernel", buf);
    assert_true(pr_render_exports_ganesha(e, 2, buf, sizeof(buf)) > 0);
    assert_golden("exports.ganesha", buf);
    snprintf(e[1].path, sizeof(e[1].path), "/srv/x(rw) *");
    assert_int_equal(pr_render_exports_kernel(e, 2, buf, sizeof(buf)), -EINVAL);
    assert_int_equal(pr_render_exports_ganesha(e, 2, buf, sizeof(buf)), -EINVAL);
}

/* ganesha refuses a new Path for an id it has: the id follows the
 * generation, and a new generation never shares the current one's. */
static void test_ganesha_ids(void **state)
{
    (void)state;
    assert_int_equal(pr_export_ganesha_id(1, 1), 2);
    assert_int_equal(pr_export_ganesha_id(2, 1), 17);
    assert_int_equal(pr_export_ganesha_id(4096, 14), 61440);
    assert_int_not_equal(pr_export_ganesha_id(1, 1), pr_export_ganesha_id(1, 2));
    assert_int_equal(pr_gen_number(0, 0), 1);
    assert_int_equal(pr_gen_number(2, 1), 3);
    /* gen-16 would share gen-1's id: gen-17 */
    assert_int_equal(pr_gen_number(15, 1), 17);
    for (unsigned cur = 1; cur < 40; cur++)
        for (unsigned hi = cur; hi < cur + 40; hi++)
            assert_int_not_equal(pr_export_ganesha_id(3, pr_gen_number(hi, cur)),
                                 pr_export_ganesha_id(3, cur));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cmdline),
        cmocka_unit_test(test_config_txt),
        cmocka_unit_test(test_exports),
        cmocka_unit_test(test_ganesha_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
