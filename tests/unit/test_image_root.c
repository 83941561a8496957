/* image roots: a Pi's root cloned from an image (owners, modes, links
 * kept; devices left out), personalised beneath it, and a hostile image
 * (links to the host's /etc, links that climb out, device nodes, a tree
 * 10,000 levels deep) that writes nothing outside its root. */
#define _GNU_SOURCE
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
#include <sys/xattr.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <sys/sysmacros.h>
#include <cmocka.h>
#include "daemon/image/image_internal.h"

static char work[256];

static void sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    if (system(cmd) != 0)
        fail_msg("failed: %s", cmd);
}

/* cap_net_raw+ep as setcap writes it (VFS_CAP_REVISION_2, effective). */
static const unsigned char net_raw_cap[20] = { 0x01, 0x00, 0x00, 0x02, 0x00, 0x20 };

static int setup(void **state)
{
    (void)state;
    snprintf(work, sizeof(work), "/tmp/test_image_root.XXXXXX");
    if (!mkdtemp(work))
        return -1;
    sh("cd %s && mkdir -p img/etc/ssh img/home/pi/.cache img/dev outside && "
       "echo raspberrypi > img/etc/hostname && echo old > img/etc/ssh/ssh_host_rsa_key && "
       "printf 'proc /proc proc defaults 0 0\\nPARTUUID=abc-01 /boot/firmware vfat defaults 0 2\\n"
       "PARTUUID=abc-02 / ext4 defaults,noatime 0 1\\ntmpfs /tmp tmpfs defaults 0 0\\n' > "
       "img/etc/fstab && echo note > img/home/pi/notes && chown -R 1000:1000 img/home/pi && "
       "chmod 0640 img/home/pi/notes && chmod 4755 img/etc/hostname && ln -s ../etc/hostname "
       "img/home/pi/link && mkfifo img/fifo && mknod img/dev/null-ish c 1 3 && mkdir img/bin && "
       "echo ping > img/bin/ping && chmod 0755 img/bin/ping",
       work);
    char ping[600];
    snprintf(ping, sizeof(ping), "%s/img/bin/ping", work);
    if (setxattr(ping, "security.capability", net_raw_cap, sizeof(net_raw_cap), 0) < 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sh("rm -rf %s", work);
    return 0;
}

static void path(char *out, size_t len, const char *rel)
{
    snprintf(out, len, "%s/%s", work, rel);
}

static void check_clone(enum pr_clone_method m, const char *dst_rel)
{
    char src[512], dst[512], p[600], link[64];
    struct pr_clone c = { .method = m };
    struct stat st;

    path(src, sizeof(src), "img");
    path(dst, sizeof(dst), dst_rel);
    assert_int_equal(pr_clone_tree(&c, src, dst), 0);
    snprintf(p, sizeof(p), "%s/home/pi/notes", dst);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_uid, 1000);
    assert_int_equal(st.st_mode & 07777, 0640);
    snprintf(p, sizeof(p), "%s/etc/hostname", dst);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 04755); /* set-id bits survive the chown */
    snprintf(p, sizeof(p), "%s/home/pi/link", dst);
    ssize_t n = readlink(p, link, sizeof(link) - 1);
    assert_true(n > 0);
    link[n] = '\0';
    assert_string_equal(link, "../etc/hostname");
    snprintf(p, sizeof(p), "%s/fifo", dst);
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    snprintf(p, sizeof(p), "%s/dev/null-ish", dst);
    assert_int_equal(lstat(p, &st), -1); /* device nodes are left out */
    assert_int_equal(c.skipped, 1);
    assert_int_equal(c.links, 1);
    snprintf(p, sizeof(p), "%s/home/pi", dst);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_uid, 1000);
    /* ping's capability survives the copy (and the chown after it) */
    unsigned char cap[20];
    snprintf(p, sizeof(p), "%s/bin/ping", dst);
    assert_int_equal(getxattr(p, "security.capability", cap, sizeof(cap)), (ssize_t)sizeof(cap));
    assert_memory_equal(cap, net_raw_cap, sizeof(cap));
    assert_true(c.xattrs >= 1);
}

static void test_clone_methods(void **state)
{
    (void)state;
    check_clone(PR_CLONE_COPY, "copy");
    check_clone(PR_CLONE_COPY_RANGE, "range");
    check_clone(PR_CLONE_REFLINK, "reflink"); /* falls back where the fs has none */
    char dst[512];
    struct pr_clone c = { .method = PR_CLONE_COPY };
    path(dst, sizeof(dst), "copy");
    assert_int_equal(pr_clone_tree(&c, work, dst), -EEXIST);
}

static void test_personalise(void **state)
{
    char root[512], keys[512], buf[4096];
    struct pr_personal p = { .hostname = "web-7", .authorized_keys = "ssh-ed25519 AAAA test\n" };
    (void)state;

    path(root, sizeof(root), "copy");
    path(keys, sizeof(keys), "keys");
    mkdir(keys, 0700);
    if (pr_personalise(&p, root, keys) != 0)
        fail_msg("personalise: %s", p.error);
    sh("grep -qx web-7 %s/etc/hostname && grep -q '127.0.1.1.*web-7' %s/etc/hosts", root, root);
    assert_int_equal(strlen(p.machine_id), 32);
    sh("grep -qx %s %s/etc/machine-id", p.machine_id, root);
    sh("test \"$(readlink %s/var/lib/dbus/machine-id)\" = /etc/machine-id", root);
    /* fresh host keys, the image's gone, fingerprints as ssh-keygen says */
    sh("test ! -e %s/etc/ssh/ssh_host_rsa_key", root);
    sh("test \"$(stat -c %%a %s/etc/ssh/ssh_host_ed25519_key)\" = 600", root);
    snprintf(buf, sizeof(buf), "ssh-keygen -lf %s/etc/ssh/ssh_host_ed25519_key.pub | grep -q '%s'",
             root, p.fingerprints[0].sha256);
    assert_int_equal(system(buf), 0);
    assert_string_equal(p.fingerprints[0].type, "ed25519");
    assert_string_equal(p.fingerprints[1].type, "ecdsa");
    /* no SD card in fstab, the rest kept */
    sh("! grep -q PARTUUID %s/etc/fstab && grep -q '^tmpfs /tmp' %s/etc/fstab", root, root);
    sh("test \"$(readlink %s/etc/systemd/system/dphys-swapfile.service)\" = /dev/null", root);
    sh("test \"$(readlink %s/etc/systemd/system/resize2fs_once.service)\" = /dev/null", root);
    sh("grep -q 'ssh-ed25519 AAAA test' %s/root/.ssh/authorized_keys && "
       "test \"$(stat -c %%a %s/root/.ssh)\" = 700",
       root, root);
}

static void test_fstab(void **state)
{
    char out[512];
    (void)state;
    const char *in = "proc /proc proc defaults 0 0\n"
                     "/dev/mmcblk0p1 /boot vfat defaults 0 2\n"
                     "LABEL=rootfs / ext4 defaults 0 1\n"
                     "UUID=1234 /data ext4 defaults 0 2\n"
                     "# PARTUUID=x / ext4\n";
    int n = pr_fstab_without_sd(in, out, sizeof(out));
    assert_true(n > 0);
    assert_string_equal(out, "# pirackd: this Pi's root is NFS; the SD card's lines are gone.\n"
                             "proc /proc proc defaults 0 0\n"
                             "UUID=1234 /data ext4 defaults 0 2\n"
                             "# PARTUUID=x / ext4\n");
    /* a second pass changes nothing */
    char again[512];
    assert_int_equal(pr_fstab_without_sd(out, again, sizeof(again)), n);
    assert_string_equal(again, out);
    assert_int_equal(pr_fstab_without_sd(in, out, 40), -ENOSPC);
}

/* Makes a chain of depth directories below dir, by descriptor. */
static void deep_tree(const char *dir, unsigned depth)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    assert_true(fd >= 0);
    for (unsigned i = 0; i < depth; i++) {
        assert_int_equal(mkdirat(fd, "d", 0755), 0);
        int next = openat(fd, "d", O_RDONLY | O_DIRECTORY);
        close(fd);
        fd = next;
        assert_true(fd >= 0);
    }
    close(fd);
}

static void test_hostile_image(void **state)
{
    char src[512], dst[512], keys[512];
    struct pr_clone c = { .method = PR_CLONE_COPY };
    struct pr_personal p = { .hostname = "victim" };
    (void)state;

    /* links that lead to the host's /etc and out of the tree, and a device */
    sh("cd %s && mkdir -p hostile/var/lib hostile/root && ln -s %s/outside hostile/etc && "
       "ln -s ../../../../../../../../%s/outside hostile/var/lib/dbus && "
       "ln -s /etc/ssh hostile/root/.ssh && mknod hostile/disk b 8 0",
       work, work, work);
    path(src, sizeof(src), "hostile");
    path(dst, sizeof(dst), "hostile-root");
    path(keys, sizeof(keys), "hostile-keys");
    mkdir(keys, 0700);
    assert_int_equal(pr_clone_tree(&c, src, dst), 0);
    int rc = pr_personalise(&p, dst, keys);
    /* It may succeed (the links resolve inside the root) or refuse; it
     * must not write outside. */
    (void)rc;
    sh("test -z \"$(ls -A %s/outside)\"", work);
    sh("test ! -e %s/hostile-root/disk", work);

    /* 10,000 levels: refused, neither a crash nor a descriptor leak */
    path(src, sizeof(src), "deep");
    mkdir(src, 0755);
    deep_tree(src, 10000);
    path(dst, sizeof(dst), "deep-root");
    int before = open("/dev/null", O_RDONLY);
    close(before);
    assert_int_equal(pr_clone_tree(&c, src, dst), -ELOOP);
    assert_true(c.too_deep);
    int after = open("/dev/null", O_RDONLY);
    close(after);
    assert_int_equal(after, before);
    assert_int_equal(pr_image_remove_tree(src), 0);
    assert_int_equal(pr_image_remove_tree(dst), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clone_methods),
        cmocka_unit_test(test_personalise),
        cmocka_unit_test(test_fstab),
        cmocka_unit_test(test_hostile_image),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
