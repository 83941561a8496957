/* netconf: the exact files a Pi's root gets, written atomically beneath
 * the root and nowhere else. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "daemon/net/netconf_internal.h"

static struct pr_netconf sample(void)
{
    struct pr_slot_plan sp = { .slot = 7 };
    inet_pton(AF_INET6, "2001:db8:42:6::2", &sp.v6_pi);
    struct in6_addr dns[2];
    inet_pton(AF_INET6, "2001:db8:53::64", &dns[0]);
    inet_pton(AF_INET6, "2001:db8:53::65", &dns[1]);
    struct pr_netconf nc;
    pr_netconf_from_plan(&sp, NULL, dns, 2, &nc);
    return nc;
}

static const char networkd_want[] =
    "# Written by pirackd for slot 7: this Pi's static IPv6 address.\n"
    "# pirackd rewrites it when the rack's plan changes.\n"
    "[Match]\n"
    "Name=eth0\n"
    "\n"
    "[Network]\n"
    "# The IPv4 address came from DHCP at boot and carries the NFS root.\n"
    "KeepConfiguration=yes\n"
    "DHCP=no\n"
    "LinkLocalAddressing=ipv6\n"
    "IPv6AcceptRA=yes\n"
    "Address=2001:db8:42:6::2/64\n"
    "Gateway=fe80::1\n"
    "DNS=2001:db8:53::64\n"
    "DNS=2001:db8:53::65\n"
    "\n"
    "[IPv6AcceptRA]\n"
    "UseDNS=yes\n";

static const char ifupdown_want[] =
    "# Written by pirackd for slot 7: this Pi's static IPv6 address.\n"
    "# pirackd rewrites it when the rack's plan changes.  IPv4 came from\n"
    "# DHCP at boot and carries the NFS root: this stanza leaves it alone.\n"
    "auto eth0\n"
    "iface eth0 inet6 static\n"
    "    address 2001:db8:42:6::2/64\n"
    "    gateway fe80::1\n"
    "    dns-nameservers 2001:db8:53::64 2001:db8:53::65\n"
    "    accept_ra 1\n"
    "    autoconf 0\n";

static void test_render_networkd(void **state)
{
    (void)state;
    struct pr_netconf nc = sample();
    char buf[PR_NETCONF_MAX_LEN];
    assert_int_equal(pr_netconf_render_networkd(&nc, buf, sizeof(buf)), strlen(networkd_want));
    assert_string_equal(buf, networkd_want);
    assert_int_equal(pr_netconf_render_networkd(&nc, buf, 100), -ENOSPC);
    assert_int_equal(pr_netconf_render_networkd(&nc, buf, 0), -ENOSPC);
}

static void test_render_ifupdown(void **state)
{
    (void)state;
    struct pr_netconf nc = sample();
    char buf[PR_NETCONF_MAX_LEN];
    assert_int_equal(pr_netconf_render_ifupdown(&nc, buf, sizeof(buf)), strlen(ifupdown_want));
    assert_string_equal(buf, ifupdown_want);

    /* No resolvers: no dns-nameservers line at all. */
    nc.n_dns = 0;
    assert_true(pr_netconf_render_ifupdown(&nc, buf, sizeof(buf)) > 0);
    assert_null(strstr(buf, "dns-nameservers"));
    assert_int_equal(pr_netconf_render_ifupdown(&nc, buf, sizeof(ifupdown_want) / 2), -ENOSPC);
}

static char *slurp(const char *path)
{
    static char buf[4096];
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void rm_tree(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_write_creates_and_is_idempotent(void **state)
{
    (void)state;
    char root[] = "/tmp/pirack-netconf.XXXXXX";
    assert_non_null(mkdtemp(root));
    struct pr_netconf nc = sample();
    char path[512];

    assert_int_equal(pr_netconf_write(root, &nc), 2);
    snprintf(path, sizeof(path), "%s/etc/systemd/network/10-pirack.network", root);
    assert_string_equal(slurp(path), networkd_want);
    snprintf(path, sizeof(path), "%s/etc/network/interfaces.d/eth0", root);
    assert_string_equal(slurp(path), ifupdown_want);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);

    /* Unchanged: nothing is rewritten.  Changed: only what changed. */
    assert_int_equal(pr_netconf_write(root, &nc), 0);
    nc.n_dns = 1;
    assert_int_equal(pr_netconf_write(root, &nc), 2);
    assert_null(strstr(slurp(path), "2001:db8:53::65"));

    /* No temp files are left behind. */
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "find '%s' -name '.*.tmp' | grep -q .", root);
    assert_int_not_equal(system(cmd), 0);

    /* A root that does not exist is an error, not a mkdir. */
    snprintf(path, sizeof(path), "%s/missing", root);
    assert_int_equal(pr_netconf_write(path, &nc), -ENOENT);
    /* An interface name that is a path is refused. */
    snprintf(nc.ifname, sizeof(nc.ifname), "../x");
    assert_int_equal(pr_netconf_write(root, &nc), -EINVAL);
    rm_tree(root);
}

static void test_write_stays_beneath_root(void **state)
{
    (void)state;
    char base[] = "/tmp/pirack-netconf.XXXXXX";
    assert_non_null(mkdtemp(base));
    char root[100], outside[100], path[400];
    snprintf(root, sizeof(root), "%s/root", base);
    snprintf(outside, sizeof(outside), "%s/outside", base);
    assert_int_equal(mkdir(root, 0755), 0);
    assert_int_equal(mkdir(outside, 0755), 0);

    /* The Pi made its etc a symlink to the host's directory: it resolves
     * inside the Pi's own root, where it leads nowhere, so nothing is
     * written, and nothing outside. */
    snprintf(path, sizeof(path), "%s/etc", root);
    assert_int_equal(symlink(outside, path), 0);
    struct pr_netconf nc = sample();
    assert_int_equal(pr_netconf_write(root, &nc), -ENOENT);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(symlink("../../outside", path), 0);
    assert_int_equal(pr_netconf_write(root, &nc), -ENOENT);
    snprintf(path, sizeof(path), "%s/systemd", outside);
    assert_int_not_equal(access(path, F_OK), 0);

    /* An absolute symlink inside the image works as it would on the Pi. */
    snprintf(path, sizeof(path), "%s/etc", root);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(symlink("/real-etc", path), 0);
    snprintf(path, sizeof(path), "%s/real-etc", root);
    assert_int_equal(mkdir(path, 0755), 0);
    assert_int_equal(pr_netconf_write(root, &nc), 2);
    snprintf(path, sizeof(path), "%s/real-etc/systemd/network/10-pirack.network", root);
    assert_string_equal(slurp(path), networkd_want);

    /* A symlink where the file goes is replaced, not followed. */
    snprintf(path, sizeof(path), "%s/etc", root);
    assert_int_equal(unlink(path), 0);
    snprintf(path, sizeof(path), "%s/etc/network/interfaces.d", root);
    char cmd[1400];
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && ln -s '%s/victim' '%s/eth0'", path, outside, path);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(pr_netconf_write(root, &nc), 2);
    snprintf(path, sizeof(path), "%s/victim", outside);
    assert_int_not_equal(access(path, F_OK), 0);
    snprintf(path, sizeof(path), "%s/etc/network/interfaces.d/eth0", root);
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    rm_tree(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_networkd),
        cmocka_unit_test(test_render_ifupdown),
        cmocka_unit_test(test_write_creates_and_is_idempotent),
        cmocka_unit_test(test_write_stays_beneath_root),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
