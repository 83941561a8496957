/* image import: a small Raspberry Pi OS-like disk image made here without
 * mounting anything (sfdisk, mkfs.vfat + mcopy, mkfs.ext4 -d), imported
 * as .img, .img.xz, tarball and directory.  The boot files arrive without
 * the firmware a Pi must never fetch, the root with its owners and
 * modes, and each import lands at images/SHA, whole or not at all. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <cmocka.h>
#include "daemon/image/image_internal.h"

static char work[256];

static const char make_image[] =
    "set -e; cd \"$W\"\n"
    "mkdir -p src/root/etc src/root/home/pi src/root/boot/firmware src/boot/overlays\n"
    "echo raspberrypi > src/root/etc/hostname\n"
    "echo secret > src/root/home/pi/notes; chown 1000:1000 src/root/home/pi/notes\n"
    "chmod 0640 src/root/home/pi/notes\n"
    "ln -s /etc/hostname src/root/etc/link\n"
    /* Raspberry Pi OS's ping has a file capability (cap_net_raw) */
    "mkdir -p src/root/usr/bin; echo ping > src/root/usr/bin/ping; chmod 0755 "
    "src/root/usr/bin/ping\n"
    "setcap cap_net_raw+ep src/root/usr/bin/ping\n"
    "for f in kernel8.img bootcode.bin start.elf bcm2710-rpi-3-b.dtb pieeprom.bin "
    "pieeprom.sig recovery.bin vl805.bin; do echo $f > src/boot/$f; done\n"
    "echo overlay > src/boot/overlays/dwc2.dtbo\n"
    "cp -a src/boot/. src/root/boot/firmware/\n"
    "truncate -s 40M disk.img\n"
    "printf 'label: dos\\nstart=2048, size=16384, type=c\\nstart=18432, type=83\\n' "
    "| sfdisk -q disk.img\n"
    "truncate -s 8M boot.part; mkfs.vfat -n BOOT boot.part >/dev/null\n"
    "MTOOLS_SKIP_CHECK=1 mcopy -s -i boot.part src/boot/* ::/\n"
    "truncate -s 30M root.part; mkfs.ext4 -q -d src/root root.part\n"
    "dd if=boot.part of=disk.img bs=512 seek=2048 conv=notrunc status=none\n"
    "dd if=root.part of=disk.img bs=512 seek=18432 conv=notrunc status=none\n"
    "rm boot.part root.part\n"
    "xz -k -0 -T1 disk.img\n"
    "tar --xattrs --xattrs-include='*' -C src/root --numeric-owner -cJf root.tar.xz .\n"
    "mkdir images\n";

static bool have_tools(void)
{
    return system("{ command -v sfdisk && command -v mkfs.vfat && command -v mcopy && "
                  "command -v debugfs && command -v mkfs.ext4 && command -v xz && command -v "
                  "setcap; } "
                  ">/dev/null 2>&1") == 0;
}

static int setup(void **state)
{
    (void)state;
    if (!have_tools()) {
        fprintf(
            stderr,
            "test_image_import: no sfdisk, mkfs.vfat, mtools, e2fsprogs, xz or setcap: skipped\n");
        return 0;
    }
    snprintf(work, sizeof(work), "/tmp/test_image_import.XXXXXX");
    if (!mkdtemp(work))
        return -1;
    setenv("W", work, 1);
    return system(make_image) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[300];
    (void)state;
    if (work[0]) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", work);
        return system(cmd) == 0 ? 0 : -1;
    }
    return 0;
}

static void import(struct pr_image_job *job, const char *name, const char *source)
{
    memset(job, 0, sizeof(*job));
    snprintf(job->name, sizeof(job->name), "%s", name);
    snprintf(job->source, sizeof(job->source), "%s/%s", work, source);
    snprintf(job->images_dir, sizeof(job->images_dir), "%s/images", work);
    pr_image_import_run(job);
}

static bool exists(const struct pr_image_job *job, const char *rel, struct stat *stb)
{
    char path[PR_PATH_MAX * 2];
    struct stat s;
    snprintf(path, sizeof(path), "%s/%s/%s", job->images_dir, job->sha, rel);
    return lstat(path, stb ? stb : &s) == 0;
}

static void assert_file(const struct pr_image_job *job, const char *rel, const char *want)
{
    char path[PR_PATH_MAX * 2], buf[256] = "";
    snprintf(path, sizeof(path), "%s/%s/%s", job->images_dir, job->sha, rel);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    assert_string_equal(buf, want);
}

/* The imported /usr/bin/ping has the source's capability, byte for byte
 * (without it ping stops working for users). */
static void assert_capability(const struct pr_image_job *job)
{
    char path[PR_PATH_MAX * 2], want[64], got[64];
    snprintf(path, sizeof(path), "%s/src/root/usr/bin/ping", work);
    ssize_t wn = getxattr(path, "security.capability", want, sizeof(want));
    assert_true(wn > 0);
    snprintf(path, sizeof(path), "%s/%s/root/usr/bin/ping", job->images_dir, job->sha);
    ssize_t gn = getxattr(path, "security.capability", got, sizeof(got));
    if (gn < 0)
        fail_msg("%s: no security.capability: %s", path, strerror(errno));
    assert_int_equal(gn, wn);
    assert_memory_equal(got, want, (size_t)wn);
}

/* What every kind of source must give. */
static void assert_image(const struct pr_image_job *job)
{
    struct stat stb;

    if (job->err)
        fail_msg("import failed: %s", job->error);
    assert_int_equal(strlen(job->sha), 64);
    assert_file(job, "boot/kernel8.img", "kernel8.img\n");
    assert_file(job, "boot/overlays/dwc2.dtbo", "overlay\n");
    assert_false(exists(job, "boot/pieeprom.bin", NULL));
    assert_false(exists(job, "boot/pieeprom.sig", NULL));
    assert_false(exists(job, "boot/recovery.bin", NULL));
    assert_false(exists(job, "boot/vl805.bin", NULL));
    assert_file(job, "root/etc/hostname", "raspberrypi\n");
    assert_true(exists(job, "root/home/pi/notes", &stb));
    assert_int_equal(stb.st_uid, 1000);
    assert_int_equal(stb.st_gid, 1000);
    assert_int_equal(stb.st_mode & 07777, 0640);
    assert_true(exists(job, "root/etc/link", &stb));
    assert_true(S_ISLNK(stb.st_mode));
    assert_string_equal(job->models, "3b");
    assert_true(job->bytes > 0);
    assert_capability(job);
}

static void test_disk_image(void **state)
{
    struct pr_image_job job;
    (void)state;
    if (!work[0])
        skip();
    import(&job, "disk", "disk.img");
    assert_image(&job);
    assert_int_equal(job.kind, PR_IMAGE_KIND_DISK);
    assert_false(job.reused);
    assert_false(exists(&job, "root/lost+found", NULL));
    /* the same bytes again: the same directory, not a second copy */
    char first[65];
    snprintf(first, sizeof(first), "%s", job.sha);
    import(&job, "again", "disk.img");
    assert_int_equal(job.err, 0);
    assert_true(job.reused);
    assert_string_equal(job.sha, first);
}

static void test_disk_image_xz(void **state)
{
    struct pr_image_job job;
    (void)state;
    if (!work[0])
        skip();
    import(&job, "xz", "disk.img.xz");
    assert_image(&job);
    assert_int_equal(job.kind, PR_IMAGE_KIND_DISK_XZ);
    assert_false(exists(&job, "disk.img", NULL));
}

static void test_tarball_and_directory(void **state)
{
    struct pr_image_job job;
    (void)state;
    if (!work[0])
        skip();
    import(&job, "tar", "root.tar.xz");
    assert_image(&job);
    assert_int_equal(job.kind, PR_IMAGE_KIND_TAR);
    import(&job, "dir", "src/root");
    assert_image(&job);
    assert_int_equal(job.kind, PR_IMAGE_KIND_DIR);
}

/* A failed import leaves nothing under images/ but what was there. */
static void test_refusals_leave_nothing(void **state)
{
    struct pr_image_job job;
    char cmd[800];
    (void)state;
    if (!work[0])
        skip();
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && head -c 4096 /dev/urandom > junk.bin && "
             "truncate -s 4M onepart.img && printf 'label: dos\\nstart=2048, type=c\\n' | "
             "sfdisk -q onepart.img && mkdir -p before && ls -A images > before/list",
             work);
    assert_int_equal(system(cmd), 0);

    import(&job, "junk", "junk.bin");
    assert_int_equal(job.err, -EINVAL);
    assert_non_null(
        strstr(job.error, "is not a disk image (.img, .img.xz), a tarball or a directory"));
    import(&job, "onepart", "onepart.img");
    assert_int_equal(job.err, -EINVAL);
    assert_non_null(strstr(job.error, "no Linux root partition (type 83)"));
    import(&job, "missing", "nosuch.img");
    assert_int_equal(job.err, -ENOENT);

    snprintf(cmd, sizeof(cmd), "cd '%s' && ls -A images | cmp -s - before/list", work);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_disk_image),
        cmocka_unit_test(test_disk_image_xz),
        cmocka_unit_test(test_tarball_and_directory),
        cmocka_unit_test(test_refusals_leave_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
