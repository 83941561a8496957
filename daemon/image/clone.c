/* image/clone: a Pi's root made from an image's root.  The cheapest way
 * the filesystems allow, probed once at start: a reflink per file
 * (FICLONE: the blocks are shared until either side writes), else a
 * btrfs snapshot when the image's root is a subvolume, else
 * copy_file_range (the kernel copies, maybe server-side), else read and
 * write.  The walk is by file descriptor, never by path: each entry is
 * opened beneath its parent with O_NOFOLLOW, symlinks are recreated as
 * links (never followed), device nodes and sockets are left out (a Pi's
 * /dev is devtmpfs), and a tree deeper than PR_CLONE_DEPTH_MAX is
 * refused, so a hostile image can neither write outside the new root nor
 * exhaust pirackd's descriptors or stack. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/xattr.h>

#include "image_internal.h"

#ifndef BTRFS_SUPER_MAGIC
#define BTRFS_SUPER_MAGIC 0x9123683E
#endif
#include <sys/vfs.h>

const char *pr_clone_method_name(enum pr_clone_method m)
{
    switch (m) {
    case PR_CLONE_REFLINK:
        return "reflink";
    case PR_CLONE_SNAPSHOT:
        return "btrfs-snapshot";
    case PR_CLONE_COPY_RANGE:
        return "copy_file_range";
    case PR_CLONE_COPY:
        return "copy";
    }
    return "copy";
}

static int copy_plain(int in, int out)
{
    static __thread char buf[1 << 16];
    ssize_t n;
    while ((n = read(in, buf, sizeof(buf))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(out, buf + done, (size_t)(n - done));
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                return -errno;
            }
            done += w;
        }
    }
    return 0;
}

static int copy_range(int in, int out, off_t size)
{
    while (size > 0) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)size, 0);
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        size -= n;
    }
    return 0;
}

/* One file's bytes by method; a method the kernel refuses for this pair
 * of files falls back to the next (a file on another filesystem, a
 * special file in /proc-like trees). */
static int copy_bytes(int in, int out, off_t size, enum pr_clone_method m)
{
    if (m == PR_CLONE_REFLINK && ioctl(out, FICLONE, in) == 0)
        return 0;
    if ((m == PR_CLONE_REFLINK || m == PR_CLONE_COPY_RANGE) && copy_range(in, out, size) == 0)
        return 0;
    if (lseek(in, 0, SEEK_SET) < 0 || lseek(out, 0, SEEK_SET) < 0 || ftruncate(out, 0) < 0)
        return -errno;
    return copy_plain(in, out);
}

/* Extended attributes, after the owner and mode (a chown clears
 * security.capability): ping's cap_net_raw and the like live there.  A
 * filesystem without xattrs loses only the ones nothing depends on; losing
 * a capability is an error, since the tool it belongs to would break. */
static int copy_xattrs(struct pr_clone *c, int in, int out)
{
    char names[4096], value[4096];
    ssize_t len = flistxattr(in, names, sizeof(names));
    if (len < 0)
        return errno == ENOTSUP ? 0 : -errno;
    for (const char *n = names; n < names + len; n += strlen(n) + 1) {
        ssize_t v = fgetxattr(in, n, value, sizeof(value));
        if (v < 0)
            return -errno;
        if (fsetxattr(out, n, value, (size_t)v, 0) == 0) {
            c->xattrs++;
            continue;
        }
        if ((errno == ENOTSUP || errno == EPERM) && strcmp(n, "security.capability") != 0)
            continue; /* trusted.*, another LSM's labels: not ours to keep */
        return -errno;
    }
    return 0;
}

static void keep_times(int fd, const struct stat *st)
{
    struct timespec t[2] = { st->st_atim, st->st_mtim };
    futimens(fd, t);
}

static int clone_file(struct pr_clone *c, int sdir, int ddir, const char *name,
                      const struct stat *st)
{
    int in = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (in < 0)
        return -errno;
    int out = openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    int rc = out < 0 ? -errno : copy_bytes(in, out, st->st_size, c->method);
    if (rc == 0 && fchown(out, st->st_uid, st->st_gid) < 0)
        rc = -errno;
    /* after chown, which clears set-id bits */
    if (rc == 0 && fchmod(out, st->st_mode & 07777) < 0)
        rc = -errno;
    if (rc == 0)
        rc = copy_xattrs(c, in, out);
    if (rc == 0)
        keep_times(out, st);
    close(in);
    if (out >= 0)
        close(out);
    c->files++;
    c->bytes += (uint64_t)st->st_size;
    return rc;
}

static int clone_link(struct pr_clone *c, int sdir, int ddir, const char *name,
                      const struct stat *st)
{
    char target[PR_PATH_MAX];
    ssize_t n = readlinkat(sdir, name, target, sizeof(target) - 1);
    if (n < 0)
        return -errno;
    target[n] = '\0';
    /* A link is recreated as text: whatever it points at, nothing here
     * follows it, and the Pi resolves it inside its own root. */
    if (symlinkat(target, ddir, name) < 0)
        return -errno;
    c->links++;
    return fchownat(ddir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

static int clone_dir(struct pr_clone *c, int sdir, int ddir, unsigned depth);

static int clone_entry(struct pr_clone *c, int sdir, int ddir, const char *name, unsigned depth)
{
    struct stat st;
    if (fstatat(sdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
    if (S_ISREG(st.st_mode))
        return clone_file(c, sdir, ddir, name, &st);
    if (S_ISLNK(st.st_mode))
        return clone_link(c, sdir, ddir, name, &st);
    if (S_ISFIFO(st.st_mode)) {
        if (mkfifoat(ddir, name, st.st_mode & 07777) < 0)
            return -errno;
        return fchownat(ddir, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
    }
    if (!S_ISDIR(st.st_mode)) { /* device nodes, sockets */
        c->skipped++;
        return 0;
    }
    if (depth + 1 > PR_CLONE_DEPTH_MAX) {
        c->too_deep = true;
        return -ELOOP;
    }
    if (mkdirat(ddir, name, 0700) < 0)
        return -errno;
    int s = openat(sdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int d = openat(ddir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int rc = s < 0 || d < 0 ? -errno : clone_dir(c, s, d, depth + 1);
    if (rc == 0 && fchown(d, st.st_uid, st.st_gid) < 0)
        rc = -errno;
    if (rc == 0 && fchmod(d, st.st_mode & 07777) < 0)
        rc = -errno;
    if (rc == 0)
        rc = copy_xattrs(c, s, d);
    if (rc == 0)
        keep_times(d, &st);
    if (s >= 0)
        close(s);
    if (d >= 0)
        close(d);
    c->dirs++;
    return rc;
}

static int clone_dir(struct pr_clone *c, int sdir, int ddir, unsigned depth)
{
    int fd = dup(sdir);
    if (fd < 0)
        return -errno;
    DIR *dp = fdopendir(fd);
    if (!dp) {
        close(fd);
        return -errno;
    }
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(dp))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (c->cancel && atomic_load(c->cancel)) {
            rc = -ECANCELED;
            break;
        }
        rc = clone_entry(c, sdir, ddir, de->d_name, depth);
        if (rc < 0 && !c->failed_at[0])
            snprintf(c->failed_at, sizeof(c->failed_at), "%s", de->d_name);
    }
    closedir(dp);
    return rc;
}

static bool is_btrfs_subvolume(const char *path)
{
    struct statfs sf;
    struct stat st;
    /* A subvolume's root directory has inode 256 on btrfs. */
    return statfs(path, &sf) == 0 && sf.f_type == BTRFS_SUPER_MAGIC && stat(path, &st) == 0 &&
           st.st_ino == 256;
}

int pr_clone_tree(struct pr_clone *c, const char *src, const char *dst)
{
    struct stat st;
    int rc;

    c->files = c->dirs = c->links = c->skipped = 0;
    c->bytes = 0;
    c->too_deep = false;
    c->failed_at[0] = '\0';
    if (c->method == PR_CLONE_SNAPSHOT && is_btrfs_subvolume(src)) {
        const char *argv[] = { "btrfs", "-q", "subvolume", "snapshot", src, dst, NULL };
        char err[256];
        rc = pr_image_tool(NULL, argv, -1, err, sizeof(err));
        if (rc == 0)
            return 0;
    }
    int s = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s < 0)
        return -errno;
    if (fstat(s, &st) < 0 || mkdir(dst, 0700) < 0) {
        rc = -errno;
        close(s);
        return rc;
    }
    int d = open(dst, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    rc = d < 0 ? -errno : clone_dir(c, s, d, 0);
    if (rc == 0 && (fchown(d, st.st_uid, st.st_gid) < 0 || fchmod(d, st.st_mode & 07777) < 0))
        rc = -errno;
    close(s);
    if (d >= 0)
        close(d);
    return rc;
}

/* Tries FICLONE, then copy_file_range, on a small file from the images'
 * filesystem into the roots' one. */
enum pr_clone_method pr_clone_probe(const char *images_dir, const char *roots_dir,
                                    bool *snapshot_possible)
{
    char a[PR_PATH_MAX + 32], b[PR_PATH_MAX + 32];
    enum pr_clone_method m = PR_CLONE_COPY;
    static const char data[4096] = "pirack clone probe";

    snprintf(a, sizeof(a), "%s/.probe-src-%ld", images_dir, (long)getpid());
    snprintf(b, sizeof(b), "%s/.probe-dst-%ld", roots_dir, (long)getpid());
    int in = open(a, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int out = open(b, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (in >= 0 && out >= 0 && write(in, data, sizeof(data)) == (ssize_t)sizeof(data) &&
        fsync(in) == 0) {
        if (ioctl(out, FICLONE, in) == 0)
            m = PR_CLONE_REFLINK;
        else if (lseek(in, 0, SEEK_SET) == 0 &&
                 copy_file_range(in, NULL, out, NULL, sizeof(data), 0) == (ssize_t)sizeof(data))
            m = PR_CLONE_COPY_RANGE;
    }
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    unlink(a);
    unlink(b);
    struct statfs sf;
    *snapshot_possible = statfs(images_dir, &sf) == 0 && sf.f_type == BTRFS_SUPER_MAGIC;
    return m;
}
