/* image/import: turns what an operator has (a Raspberry Pi OS disk image,
 * .img or .img.xz, a root tarball or a root directory) into an immutable,
 * content-addressed image: IMAGES/SHA/boot and IMAGES/SHA/root.
 *
 * A disk image is never mounted: its MBR is read here (mbr.c), the FAT
 * boot partition is copied out with mtools (mcopy) and the ext4 root with
 * e2fsprogs (debugfs rdump, which keeps owners and modes; xattr.c adds
 * the extended attributes it drops), both reading the partition at its
 * offset in the file.  A tarball is unpacked with its extended attributes
 * (tar --xattrs), a directory copied with them (cp -a).  Everything is built under
 * IMAGES/.tmp-SHA and renamed into place once synced, so IMAGES/SHA is
 * either whole or absent.  Runs on a worker thread: blocking is fine,
 * the store is not touched. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>
#include <sys/stat.h>

#include "image_internal.h"

#define DIR_HASH_DEPTH_MAX 256

/* Every path built here: IMAGES/.tmp-SHA-PID/root/... with room to
 * spare (the service refuses an images directory longer than
 * PR_IMAGE_DIR_MAX). */
#define PATHBUF (PR_PATH_MAX + 256)

/* snprintf for paths; vsnprintf, so that the compiler does not guess at
 * truncation the length limits already rule out. */
static void pathf(char *out, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void pathf(char *out, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, len, fmt, ap);
    va_end(ap);
}

static int job_fail(struct pr_image_job *job, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int job_fail(struct pr_image_job *job, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(job->error, sizeof(job->error), fmt, ap);
    va_end(ap);
    job->err = err;
    return err;
}

static int check_cancel(struct pr_image_job *job)
{
    if (atomic_load(&job->cancel))
        return job_fail(job, -ECANCELED, "cancelled: pirackd is stopping");
    return 0;
}

static int hash_fd(int fd, crypto_hash_sha256_state *h)
{
    static __thread unsigned char buf[1 << 16];
    ssize_t n;

    while ((n = read(fd, buf, sizeof(buf))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        crypto_hash_sha256_update(h, buf, (unsigned long long)n);
    }
    return 0;
}

/* A directory's content address: every entry in name order, with its
 * path, type, mode, owner, link target and bytes. */
static int hash_dir(struct pr_image_job *job, crypto_hash_sha256_state *h, int dirfd,
                    const char *rel, unsigned depth)
{
    struct dirent **names;
    int n, err = 0;

    if (depth > DIR_HASH_DEPTH_MAX)
        return job_fail(job, -ELOOP, "%s: deeper than %u levels", job->source, DIR_HASH_DEPTH_MAX);
    n = scandirat(dirfd, ".", &names, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        struct stat stb;
        char line[PATHBUF];

        if (err || !strcmp(name, ".") || !strcmp(name, "..")) {
            free(names[i]);
            continue;
        }
        if (fstatat(dirfd, name, &stb, AT_SYMLINK_NOFOLLOW) < 0) {
            err = -errno;
        } else {
            int len = snprintf(line, sizeof(line), "%s/%s %o %u %u %lld\n", rel, name,
                               (unsigned)stb.st_mode, (unsigned)stb.st_uid, (unsigned)stb.st_gid,
                               (long long)stb.st_size);
            crypto_hash_sha256_update(h, (const unsigned char *)line, (unsigned long long)len);
            if (S_ISLNK(stb.st_mode)) {
                char target[PR_PATH_MAX];
                ssize_t tl = readlinkat(dirfd, name, target, sizeof(target));
                if (tl > 0)
                    crypto_hash_sha256_update(h, (unsigned char *)target, (unsigned long long)tl);
            } else if (S_ISREG(stb.st_mode)) {
                int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
                err = fd < 0 ? -errno : hash_fd(fd, h);
                if (fd >= 0)
                    close(fd);
            } else if (S_ISDIR(stb.st_mode)) {
                char sub[PR_PATH_MAX];
                int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (snprintf(sub, sizeof(sub), "%s/%s", rel, name) >= (int)sizeof(sub))
                    err = -ENAMETOOLONG;
                else
                    err = fd < 0 ? -errno : hash_dir(job, h, fd, sub, depth + 1);
                fd = -1;
            }
        }
        free(names[i]);
    }
    if (n >= 0)
        free(names);
    else
        err = -errno;
    close(dirfd);
    return err;
}

static int hash_source(struct pr_image_job *job, bool is_dir)
{
    crypto_hash_sha256_state h;
    unsigned char out[crypto_hash_sha256_BYTES];
    int err;

    crypto_hash_sha256_init(&h);
    int fd = open(job->source, O_RDONLY | O_CLOEXEC | (is_dir ? O_DIRECTORY : 0));
    if (fd < 0)
        return job_fail(job, -errno, "%s: %s", job->source, strerror(errno));
    if (is_dir) {
        err = hash_dir(job, &h, fd, "", 0);
    } else {
        err = hash_fd(fd, &h);
        close(fd);
    }
    if (err < 0)
        return job->err ? job->err
                        : job_fail(job, err, "reading %s: %s", job->source, strerror(-err));
    crypto_hash_sha256_final(&h, out);
    sodium_bin2hex(job->sha, sizeof(job->sha), out, sizeof(out));
    return 0;
}

static int detect_kind(struct pr_image_job *job, bool *is_dir)
{
    struct stat stb;
    uint8_t head[PR_MBR_SECTOR];
    ssize_t n = 0;

    if (stat(job->source, &stb) < 0)
        return job_fail(job, -errno, "%s: %s", job->source, strerror(errno));
    *is_dir = S_ISDIR(stb.st_mode);
    if (!*is_dir) {
        if (!S_ISREG(stb.st_mode))
            return job_fail(job, -EINVAL, "%s is neither a file nor a directory", job->source);
        int fd = open(job->source, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return job_fail(job, -errno, "%s: %s", job->source, strerror(errno));
        n = pread(fd, head, sizeof(head), 0);
        close(fd);
        if (n < 0)
            return job_fail(job, -errno, "%s: %s", job->source, strerror(errno));
    }
    job->kind = pr_image_kind_of(job->source, head, (size_t)n, *is_dir);
    if (job->kind == PR_IMAGE_KIND_UNKNOWN)
        return job_fail(job, -EINVAL,
                        "%s is not a disk image (.img, .img.xz), a tarball or a directory",
                        job->source);
    return 0;
}

static int run(struct pr_image_job *job, const char *what, const char *const argv[], int out_fd)
{
    char err[400];
    int rc = check_cancel(job);
    if (rc < 0)
        return rc;
    rc = pr_image_tool(&job->child, argv, out_fd, err, sizeof(err));
    if (rc < 0)
        return job_fail(job, rc, "%s: %s", what, err);
    return check_cancel(job);
}

/* debugfs takes "FILE?offset=N" and splits -R's command on spaces. */
static bool debugfs_safe(const char *path)
{
    return !strpbrk(path, " \t\n\"'?\\");
}

static int copy_disk(struct pr_image_job *job, const char *disk, const char *tmp)
{
    uint8_t sector[PR_MBR_SECTOR];
    struct pr_mbr mbr;
    const struct pr_mbr_part *boot, *root;
    char why[200], spec[PATHBUF], dest[PATHBUF], cmd[PATHBUF];
    struct stat stb;

    int fd = open(disk, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &stb) < 0 || pread(fd, sector, sizeof(sector), 0) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return job_fail(job, -e, "%s: %s", disk, strerror(e));
    }
    close(fd);
    if (pr_mbr_parse(sector, sizeof(sector), (uint64_t)stb.st_size, &mbr, why, sizeof(why)) < 0 ||
        pr_mbr_pick(&mbr, &boot, &root, why, sizeof(why)) < 0)
        return job_fail(job, -EINVAL, "%s: %s", job->source, why);
    if (!debugfs_safe(disk) || !debugfs_safe(tmp))
        return job_fail(job, -EINVAL,
                        "%s: the path has a space, quote or '?' (debugfs cannot take it)",
                        debugfs_safe(disk) ? tmp : disk);

    pathf(spec, sizeof(spec), "%s@@%llu", disk,
          (unsigned long long)(boot->start_lba * PR_MBR_SECTOR));
    pathf(dest, sizeof(dest), "%s/boot/", tmp);
    if (mkdir(dest, 0755) < 0)
        return job_fail(job, -errno, "%s: %s", dest, strerror(errno));
    const char *mcopy[] = { "mcopy", "-s", "-p", "-n", "-m", "-Q", "-i", spec, "::/*", dest, NULL };
    int rc = run(job, "copying the boot partition (mcopy)", mcopy, -1);
    if (rc < 0)
        return rc;

    pathf(dest, sizeof(dest), "%s/root", tmp);
    if (mkdir(dest, 0755) < 0)
        return job_fail(job, -errno, "%s: %s", dest, strerror(errno));
    pathf(spec, sizeof(spec), "%s?offset=%llu", disk,
          (unsigned long long)(root->start_lba * PR_MBR_SECTOR));
    pathf(cmd, sizeof(cmd), "rdump / %s", dest);
    const char *debugfs[] = { "debugfs", "-R", cmd, spec, NULL };
    rc = run(job, "copying the root partition (debugfs rdump)", debugfs, -1);
    if (rc < 0)
        return rc;
    /* debugfs exits 0 even when it could not open the filesystem. */
    char probe[PATHBUF];
    pathf(probe, sizeof(probe), "%s/root/etc", tmp);
    if (stat(probe, &stb) < 0 || !S_ISDIR(stb.st_mode))
        return job_fail(job, -EINVAL, "%s: partition %u holds no ext4 root with /etc", job->source,
                        root->index);
    pathf(probe, sizeof(probe), "%s/root/lost+found", tmp);
    rmdir(probe);
    /* rdump drops extended attributes: ping's capability among them. */
    char err[400];
    if ((rc = check_cancel(job)) < 0 ||
        (rc = pr_image_disk_xattrs(spec, dest, tmp, &job->xattrs, err, sizeof(err))) < 0)
        return job->err ? rc : job_fail(job, rc, "extended attributes (debugfs ea_get): %s", err);
    return 0;
}

static int unpack_disk_xz(struct pr_image_job *job, const char *tmp)
{
    char disk[PATHBUF];
    pathf(disk, sizeof(disk), "%s/disk.img", tmp);
    int fd = open(disk, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return job_fail(job, -errno, "%s: %s", disk, strerror(errno));
    const char *xz[] = { "xz", "-dc", "--", job->source, NULL };
    int rc = run(job, "decompressing (xz)", xz, fd);
    close(fd);
    if (rc == 0)
        rc = copy_disk(job, disk, tmp);
    unlink(disk);
    return rc;
}

/* A tarball's or directory's boot files are those under /boot/firmware
 * (bookworm) or else /boot. */
static int copy_boot_from_root(struct pr_image_job *job, const char *tmp)
{
    char src[PATHBUF], dest[PATHBUF];
    struct stat stb;

    pathf(dest, sizeof(dest), "%s/boot", tmp);
    if (mkdir(dest, 0755) < 0)
        return job_fail(job, -errno, "%s: %s", dest, strerror(errno));
    pathf(src, sizeof(src), "%s/root/boot/firmware", tmp);
    if (lstat(src, &stb) < 0 || !S_ISDIR(stb.st_mode))
        pathf(src, sizeof(src), "%s/root/boot", tmp);
    if (lstat(src, &stb) < 0 || !S_ISDIR(stb.st_mode))
        return job_fail(job, -EINVAL, "%s has no /boot/firmware or /boot directory", job->source);
    strcat(src, "/.");
    const char *cp[] = { "cp", "-a", "--reflink=auto", "--", src, dest, NULL };
    return run(job, "copying the boot files", cp, -1);
}

static int unpack_tree(struct pr_image_job *job, const char *tmp)
{
    char dest[PATHBUF], src[PATHBUF];
    int rc;

    pathf(dest, sizeof(dest), "%s/root", tmp);
    if (mkdir(dest, 0755) < 0)
        return job_fail(job, -errno, "%s: %s", dest, strerror(errno));
    if (job->kind == PR_IMAGE_KIND_TAR) {
        /* Every extended attribute: file capabilities (security.*) too. */
        const char *tar[] = { "tar",      "-x",
                              "-p",       "--numeric-owner",
                              "--xattrs", "--xattrs-include=*",
                              "-f",       job->source,
                              "-C",       dest,
                              NULL };
        rc = run(job, "unpacking the tarball (tar)", tar, -1);
    } else {
        pathf(src, sizeof(src), "%s/.", job->source);
        const char *cp[] = { "cp", "-a", "--reflink=auto", "--", src, dest, NULL };
        rc = run(job, "copying the directory (cp)", cp, -1);
    }
    return rc < 0 ? rc : copy_boot_from_root(job, tmp);
}

/* nftw has no context argument; each worker runs one job at a time. */
static __thread struct {
    unsigned models;
    uint64_t bytes;
    int err;
} walk;

static int boot_file(const char *path, const struct stat *stb, int flag, struct FTW *ftw)
{
    const char *name = path + ftw->base;
    (void)flag;
    if (pr_image_is_forbidden_firmware(name)) {
        if (unlink(path) < 0 && errno != EISDIR && !walk.err)
            walk.err = -errno;
        return 0;
    }
    if (S_ISREG(stb->st_mode))
        walk.models |= pr_image_model_bits(name);
    return 0;
}

static int count_bytes(const char *path, const struct stat *stb, int flag, struct FTW *ftw)
{
    (void)path, (void)flag, (void)ftw;
    if (S_ISREG(stb->st_mode))
        walk.bytes += (uint64_t)stb->st_size;
    return 0;
}

static int finish_tree(struct pr_image_job *job, const char *tmp)
{
    char boot[PATHBUF];

    memset(&walk, 0, sizeof(walk));
    pathf(boot, sizeof(boot), "%s/boot", tmp);
    if (nftw(boot, boot_file, 16, FTW_PHYS | FTW_MOUNT) < 0 || walk.err < 0)
        return job_fail(job, walk.err ? walk.err : -errno, "%s: cannot clean the boot files", boot);
    /* Depth-first walks over deep trees may fail (PATH_MAX): the size is
     * then what could be counted, which is only a number shown to people. */
    nftw(tmp, count_bytes, 16, FTW_PHYS | FTW_MOUNT);
    job->bytes = walk.bytes;
    pr_image_models_format(walk.models, job->models, sizeof(job->models));

    int fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || syncfs(fd) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return job_fail(job, -e, "syncing %s: %s", tmp, strerror(e));
    }
    close(fd);
    return 0;
}

static int build(struct pr_image_job *job, const char *tmp)
{
    int rc;

    if (mkdir(tmp, 0755) < 0)
        return job_fail(job, -errno, "%s: %s", tmp, strerror(errno));
    switch (job->kind) {
    case PR_IMAGE_KIND_DISK:
        rc = copy_disk(job, job->source, tmp);
        break;
    case PR_IMAGE_KIND_DISK_XZ:
        rc = unpack_disk_xz(job, tmp);
        break;
    default:
        rc = unpack_tree(job, tmp);
        break;
    }
    return rc < 0 ? rc : finish_tree(job, tmp);
}

void pr_image_import_run(struct pr_image_job *job)
{
    char tmp[PATHBUF], final[PATHBUF];
    struct stat stb;
    bool is_dir = false;

    job->err = 0;
    job->error[0] = '\0';
    if (sodium_init() < 0) {
        job_fail(job, -EIO, "libsodium does not start");
        return;
    }
    if (detect_kind(job, &is_dir) < 0 || hash_source(job, is_dir) < 0)
        return;
    pathf(final, sizeof(final), "%s/%s", job->images_dir, job->sha);
    if (stat(final, &stb) == 0) {
        job->reused = true;
        memset(&walk, 0, sizeof(walk));
        nftw(final, count_bytes, 16, FTW_PHYS | FTW_MOUNT);
        job->bytes = walk.bytes;
        return;
    }
    pathf(tmp, sizeof(tmp), "%s/.tmp-%s-%ld", job->images_dir, job->sha, (long)getpid());
    pr_image_remove_tree(tmp); /* from an import a crash interrupted */
    if (build(job, tmp) < 0) {
        pr_image_remove_tree(tmp);
        return;
    }
    if (rename(tmp, final) < 0) {
        job_fail(job, -errno, "renaming %s: %s", tmp, strerror(errno));
        pr_image_remove_tree(tmp);
    }
}
