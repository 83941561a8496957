/* image/personal: what makes a root one Pi's own, written by pirackd
 * (Raspberry Pi OS bookworm has no cloud-init): hostname and hosts,
 * machine-id, fresh SSH host keys (their fingerprints returned for the
 * store), the customer's authorized_keys, an fstab without the SD card,
 * and the first-boot services that would resize, swap or rename masked.
 *
 * The root is an image's copy, so outside input: every path is resolved
 * beneath it (openat2 RESOLVE_IN_ROOT, no magic links, no other mounts),
 * files are replaced by rename (a symlink planted at a name is replaced,
 * never followed), and what is read is capped and must be a regular
 * file.  A root that tries to lead outside fails with ELOOP or EXDEV;
 * nothing is written anywhere but beneath it.  Runs on a worker. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/openat2.h>
#include <sodium.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "image_internal.h"
#include "pirack/fsutil.h"

#define FSTAB_MAX (64 * 1024)

static int in_root(int rootfd, const char *path, int flags, mode_t mode)
{
    struct open_how how = {
        .flags = (uint64_t)(flags | O_CLOEXEC),
        .mode = (flags & O_CREAT) ? mode : 0,
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
    };
    long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
    return fd < 0 ? -errno : (int)fd;
}

/* The directory dir (relative) beneath the root, made (0755, root) one
 * component at a time where missing. */
static int dir_in_root(int rootfd, const char *dir)
{
    char prefix[256], parent[256];
    size_t len = strlen(dir);
    if (len >= sizeof(prefix))
        return -ENAMETOOLONG;
    for (size_t end = 1; end <= len; end++) {
        if (dir[end] != '/' && dir[end] != '\0')
            continue;
        memcpy(prefix, dir, end);
        prefix[end] = '\0';
        int fd = in_root(rootfd, prefix, O_PATH | O_DIRECTORY, 0);
        if (fd == -ENOENT) {
            /* Made where it is missing; a name that exists but does not
             * lead to a directory (a dangling link) stays an error. */
            const char *slash = strrchr(prefix, '/');
            snprintf(parent, sizeof(parent), "%.*s", slash ? (int)(slash - prefix) : 0, prefix);
            int pfd = in_root(rootfd, parent[0] ? parent : ".", O_PATH | O_DIRECTORY, 0);
            if (pfd < 0)
                return pfd;
            int rc = mkdirat(pfd, slash ? slash + 1 : prefix, 0755) < 0 ? -errno : 0;
            close(pfd);
            if (rc < 0)
                return rc == -EEXIST ? -ENOTDIR : rc;
            fd = in_root(rootfd, prefix, O_PATH | O_DIRECTORY, 0);
        }
        if (fd < 0 || end == len)
            return fd;
        close(fd);
    }
    return -ENOENT;
}

/* Replaces dir/name beneath the root with data: a new file beside it,
 * renamed over the name. */
static int put_file(int rootfd, const char *dir, const char *name, const void *data, size_t len,
                    mode_t mode, uid_t uid, gid_t gid)
{
    int dfd = dir_in_root(rootfd, dir);
    if (dfd < 0)
        return dfd;
    char tmp[128];
    snprintf(tmp, sizeof(tmp), ".%.64s.pirack-tmp", name);
    unlinkat(dfd, tmp, 0);
    int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    int rc = fd < 0 ? -errno : pr_write_all(fd, data, len);
    if (rc == 0 && (fchown(fd, uid, gid) < 0 || fchmod(fd, mode) < 0))
        rc = -errno;
    if (fd >= 0)
        close(fd);
    if (rc == 0 && renameat(dfd, tmp, dfd, name) < 0)
        rc = -errno;
    if (rc < 0 && fd >= 0)
        unlinkat(dfd, tmp, 0);
    close(dfd);
    return rc;
}

/* dir/name beneath the root becomes a symlink to target (what was there,
 * if not a directory, goes). */
static int put_link(int rootfd, const char *dir, const char *name, const char *target)
{
    int dfd = dir_in_root(rootfd, dir);
    if (dfd < 0)
        return dfd;
    unlinkat(dfd, name, 0);
    int rc = symlinkat(target, dfd, name) < 0 ? -errno : 0;
    close(dfd);
    return rc;
}

/* At most max bytes of a regular file beneath the root; -ENOENT when
 * absent.  *out is malloc'd and NUL-terminated. */
static int read_in_root(int rootfd, const char *path, size_t max, char **out)
{
    int fd = in_root(rootfd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0);
    struct stat st;
    if (fd < 0)
        return fd;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
        close(fd);
        return -EINVAL;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    ssize_t n = buf ? read(fd, buf, (size_t)st.st_size) : -1;
    close(fd);
    if (n < 0) {
        free(buf);
        return -EIO;
    }
    buf[n] = '\0';
    *out = buf;
    return 0;
}

/* Services a netbooted Pi must not run: they would grow or repartition
 * the SD card it has not got, make a swap file on NFS, ask for a user
 * or regenerate the host keys pirackd recorded. */
static const char *const masked_units[] = {
    "resize2fs_once.service",    "rpi-resize.service", "rpi-resize-swap-file.service",
    "dphys-swapfile.service",    "userconfig.service", "regenerate_ssh_host_keys.service",
    "rpi-eeprom-update.service", "sshswitch.service",
};

/* "SHA256:..." of an OpenSSH public key line, as ssh-keygen -l shows. */
static int fingerprint(const char *pub, char *out, size_t len)
{
    const char *sp = strchr(pub, ' ');
    if (!sp)
        return -EINVAL;
    const char *b64 = sp + 1, *end = strchr(b64, ' ');
    size_t b64len = end ? (size_t)(end - b64) : strcspn(b64, "\n");
    unsigned char blob[1024], hash[crypto_hash_sha256_BYTES];
    size_t bloblen;
    if (sodium_base642bin(blob, sizeof(blob), b64, b64len, NULL, &bloblen, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        return -EINVAL;
    crypto_hash_sha256(hash, blob, bloblen);
    char enc[sodium_base64_ENCODED_LEN(sizeof(hash), sodium_base64_VARIANT_ORIGINAL_NO_PADDING)];
    sodium_bin2base64(enc, sizeof(enc), hash, sizeof(hash),
                      sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
    snprintf(out, len, "SHA256:%s", enc);
    return 0;
}

static int slurp(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    if (n < 0)
        return -errno;
    buf[n] = '\0';
    return (int)n;
}

/* A fresh key pair made by ssh-keygen in keydir (outside the root), put
 * into the root's /etc/ssh. */
static int host_key(struct pr_personal *p, int rootfd, const char *keydir, const char *type,
                    unsigned idx)
{
    char key[PR_PATH_MAX + 64], pubpath[PR_PATH_MAX + 80], comment[96], err[200];
    char priv[8192], pub[2048];
    snprintf(key, sizeof(key), "%s/ssh_host_%s_key", keydir, type);
    snprintf(pubpath, sizeof(pubpath), "%s.pub", key);
    snprintf(comment, sizeof(comment), "root@%s", p->hostname);
    const char *argv[] = {
        "ssh-keygen", "-q", "-t", type, "-N", "", "-C", comment, "-f", key, NULL
    };
    int rc = pr_image_tool(NULL, argv, -1, err, sizeof(err));
    if (rc < 0) {
        snprintf(p->error, sizeof(p->error), "ssh-keygen: %s", err);
        return rc;
    }
    int plen = slurp(key, priv, sizeof(priv)), qlen = slurp(pubpath, pub, sizeof(pub));
    if (plen < 0 || qlen < 0)
        return plen < 0 ? plen : qlen;
    char name[64];
    snprintf(name, sizeof(name), "ssh_host_%s_key", type);
    if ((rc = put_file(rootfd, "etc/ssh", name, priv, (size_t)plen, 0600, 0, 0)) < 0)
        return rc;
    snprintf(name, sizeof(name), "ssh_host_%s_key.pub", type);
    if ((rc = put_file(rootfd, "etc/ssh", name, pub, (size_t)qlen, 0644, 0, 0)) < 0)
        return rc;
    snprintf(p->fingerprints[idx].type, sizeof(p->fingerprints[idx].type), "%s", type);
    return fingerprint(pub, p->fingerprints[idx].sha256, sizeof(p->fingerprints[idx].sha256));
}

static int host_keys(struct pr_personal *p, int rootfd, const char *keydir)
{
    static const char *const types[PR_PERSONAL_KEYS] = { "ed25519", "ecdsa" };
    /* Keys the image brought are every copy's: they go. */
    int dfd = dir_in_root(rootfd, "etc/ssh");
    if (dfd < 0)
        return dfd;
    static const char *const old[] = { "ssh_host_rsa_key", "ssh_host_rsa_key.pub",
                                       "ssh_host_dsa_key", "ssh_host_dsa_key.pub" };
    for (size_t i = 0; i < sizeof(old) / sizeof(old[0]); i++)
        unlinkat(dfd, old[i], 0);
    close(dfd);
    for (unsigned i = 0; i < PR_PERSONAL_KEYS; i++) {
        int rc = host_key(p, rootfd, keydir, types[i], i);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int write_identity(struct pr_personal *p, int rootfd)
{
    char buf[512];
    uint8_t id[16];
    int rc, n;

    n = snprintf(buf, sizeof(buf), "%s\n", p->hostname);
    if ((rc = put_file(rootfd, "etc", "hostname", buf, (size_t)n, 0644, 0, 0)) < 0)
        return rc;
    n = snprintf(buf, sizeof(buf),
                 "127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n"
                 "ff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n127.0.1.1\t%s\n",
                 p->hostname);
    if ((rc = put_file(rootfd, "etc", "hosts", buf, (size_t)n, 0644, 0, 0)) < 0)
        return rc;
    randombytes_buf(id, sizeof(id));
    sodium_bin2hex(p->machine_id, sizeof(p->machine_id), id, sizeof(id));
    n = snprintf(buf, sizeof(buf), "%s\n", p->machine_id);
    if ((rc = put_file(rootfd, "etc", "machine-id", buf, (size_t)n, 0444, 0, 0)) < 0)
        return rc;
    /* dbus's copy, usually a link to /etc/machine-id: made one. */
    return put_link(rootfd, "var/lib/dbus", "machine-id", "/etc/machine-id");
}

static int write_fstab(struct pr_personal *p, int rootfd)
{
    char *old = NULL, *out;
    int rc = read_in_root(rootfd, "etc/fstab", FSTAB_MAX, &old);
    if (rc < 0 && rc != -ENOENT)
        return rc;
    size_t cap = (old ? strlen(old) : 0) + 256;
    if (!(out = malloc(cap))) {
        free(old);
        return -ENOMEM;
    }
    int n = pr_fstab_without_sd(old ? old : "", out, cap);
    free(old);
    rc = n < 0 ? n : put_file(rootfd, "etc", "fstab", out, (size_t)n, 0644, 0, 0);
    free(out);
    (void)p;
    return rc;
}

static int write_access(struct pr_personal *p, int rootfd)
{
    int rc;
    for (size_t i = 0; i < sizeof(masked_units) / sizeof(masked_units[0]); i++)
        if ((rc = put_link(rootfd, "etc/systemd/system", masked_units[i], "/dev/null")) < 0)
            return rc;
    if (!p->authorized_keys)
        return 0;
    int dfd = dir_in_root(rootfd, "root/.ssh");
    if (dfd < 0)
        return dfd;
    close(dfd);
    dfd = in_root(rootfd, "root/.ssh", O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
    rc = dfd < 0 ? dfd : fchmod(dfd, 0700) < 0 ? -errno : 0;
    if (dfd >= 0)
        close(dfd);
    if (rc == 0)
        rc = put_file(rootfd, "root/.ssh", "authorized_keys", p->authorized_keys,
                      strlen(p->authorized_keys), 0600, 0, 0);
    return rc;
}

int pr_personalise(struct pr_personal *p, const char *root, const char *keydir)
{
    struct {
        const char *what;
        int (*fn)(struct pr_personal *, int);
    } steps[] = {
        { "hostname and machine-id", write_identity },
        { "fstab", write_fstab },
        { "services and authorized_keys", write_access },
    };
    int rootfd = open(root, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int rc = 0;

    p->error[0] = '\0';
    if (rootfd < 0)
        return -errno;
    if (sodium_init() < 0) {
        close(rootfd);
        return -EIO;
    }
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]) && rc == 0; i++) {
        rc = steps[i].fn(p, rootfd);
        if (rc < 0)
            snprintf(p->error, sizeof(p->error), "%s: %s", steps[i].what, strerror(-rc));
    }
    if (rc == 0 && (rc = host_keys(p, rootfd, keydir)) < 0 && !p->error[0])
        snprintf(p->error, sizeof(p->error), "ssh host keys: %s", strerror(-rc));
    close(rootfd);
    return rc;
}
