/* Where a requested path leads: strip a client-identifying leading
 * component, then let the kernel resolve the rest beneath the client's
 * directory.  No string checks for ".." here: openat2 with
 * RESOLVE_BENEATH refuses every way out ("..", absolute paths, symlinks
 * whose target leaves, magic links), which string checks cannot promise. */
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "pirack/tftp.h"
#include "tftp_internal.h"

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool is_serial(const char *s, size_t len)
{
    if (len != 8)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_hex(s[i]))
            return false;
    return true;
}

/* aa-bb-cc-dd-ee-ff (either case) */
static bool is_mac(const char *s, size_t len)
{
    if (len != 17)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (i % 3 == 2 ? s[i] != '-' : !is_hex(s[i]))
            return false;
    }
    return true;
}

static void copy_lower(char *dst, const char *src, size_t len)
{
    for (size_t i = 0; i < len; i++)
        dst[i] = lower(src[i]);
    dst[len] = '\0';
}

const char *pr_tftp_strip_prefix(const char *path, const char *prefix,
                                 struct pr_tftp_prefix_seen *seen)
{
    memset(seen, 0, sizeof *seen);
    const char *slash = strchr(path, '/');
    if (!slash || slash == path || slash[1] == '\0')
        return path;
    size_t len = (size_t)(slash - path);
    if (is_serial(path, len))
        copy_lower(seen->serial, path, len);
    else if (is_mac(path, len))
        copy_lower(seen->mac, path, len);
    else if (prefix && *prefix && strlen(prefix) == len && memcmp(path, prefix, len) == 0)
        seen->prefix = true;
    else
        return path;
    return slash + 1;
}

int pr_tftp_open_beneath(int dirfd, const char *path)
{
    struct open_how how = {
        /* O_NONBLOCK: a FIFO planted in the tree must not stall the loop. */
        .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
    };
    long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
    if (fd < 0) {
        int e = errno;
        if (e == EXDEV || e == ELOOP)
            return -EXDEV;
        if (e == ENOTDIR || e == ENAMETOOLONG)
            return -ENOENT;
        return -e;
    }
    struct stat st;
    if (fstat((int)fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close((int)fd);
        return -ENOENT;
    }
    return (int)fd;
}
