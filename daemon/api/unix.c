/* api/unix: binding the control socket's file. */
#include "api_internal.h"

#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#define LISTEN_BACKLOG 512

static int fill_addr(const char *path, struct sockaddr_un *sa)
{
    size_t len = strlen(path);

    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    if (len == 0)
        return -EINVAL;
    if (len >= sizeof(sa->sun_path))
        return -ENAMETOOLONG;
    memcpy(sa->sun_path, path, len + 1);
    return 0;
}

/* A socket file left by a daemon that died is removed; one that a live
 * daemon answers on is not, nor anything that is not a socket. */
static int clear_stale(const struct sockaddr_un *sa)
{
    struct stat st;
    int fd, rc;

    if (lstat(sa->sun_path, &st) < 0)
        return errno == ENOENT ? 0 : -errno;
    if (!S_ISSOCK(st.st_mode))
        return -EEXIST;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
    close(fd);
    if (rc == 0)
        return -EADDRINUSE;
    if (errno != ECONNREFUSED)
        return -errno;
    if (unlink(sa->sun_path) < 0 && errno != ENOENT)
        return -errno;
    return 0;
}

static int group_id(const char *group, gid_t *gid)
{
    struct group gr, *found = NULL;
    char buf[4096];
    char *end;
    unsigned long n;
    int rc;

    rc = getgrnam_r(group, &gr, buf, sizeof(buf), &found);
    if (rc == 0 && found) {
        *gid = found->gr_gid;
        return 0;
    }
    errno = 0;
    n = strtoul(group, &end, 10);
    if (group[0] >= '0' && group[0] <= '9' && *end == '\0' && errno == 0 &&
        n < (unsigned long)(gid_t)-1) {
        *gid = (gid_t)n;
        return 0;
    }
    return rc ? -rc : -ENOENT;
}

/* The socket's group.  Under the unit (Group=pirack) the file is made
 * with that group already and nothing is changed: the unit's
 * SystemCallFilter=~@privileged forbids the chown family.  Another group
 * is asked of chown(), which the filter refuses (EPERM): the error says to
 * use the unit's Group= instead. */
static int set_owner_mode(const char *path, mode_t mode, const char *group, gid_t file_gid)
{
    gid_t gid;
    int err;

    if (group && group[0]) {
        err = group_id(group, &gid);
        if (err < 0)
            return err;
        if (gid != file_gid && chown(path, (uid_t)-1, gid) < 0)
            return -errno;
    }
    if (chmod(path, mode) < 0)
        return -errno;
    return 0;
}

int pr_api_unix_bind(const char *path, mode_t mode, const char *group,
                     struct pr_api_unix_socket *out)
{
    struct sockaddr_un sa;
    struct stat st;
    int err, fd;

    out->fd = -1;
    out->path[0] = '\0';
    err = fill_addr(path, &sa);
    if (err < 0)
        return err;
    err = clear_stale(&sa);
    if (err < 0)
        return err;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    if (bind(fd, (const struct sockaddr *)&sa, sizeof(sa)) < 0) {
        err = -errno;
        close(fd);
        return err;
    }
    if (stat(path, &st) < 0) {
        err = -errno;
        goto fail;
    }
    out->dev = st.st_dev;
    out->ino = st.st_ino;
    memcpy(out->path, sa.sun_path, sizeof(out->path));
    err = set_owner_mode(path, mode, group, st.st_gid);
    if (err < 0)
        goto fail;
    if (listen(fd, LISTEN_BACKLOG) < 0) {
        err = -errno;
        goto fail;
    }
    out->fd = fd;
    return 0;

fail:
    close(fd);
    out->fd = -1;
    pr_api_unix_unlink(out);
    return err;
}

void pr_api_unix_close(struct pr_api_unix_socket *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
}

void pr_api_unix_unlink(struct pr_api_unix_socket *s)
{
    struct stat st;

    if (!s->path[0])
        return;
    if (lstat(s->path, &st) == 0 && st.st_dev == s->dev && st.st_ino == s->ino)
        unlink(s->path);
    s->path[0] = '\0';
}
