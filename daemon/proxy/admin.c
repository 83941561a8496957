/* admin: one command to HAProxy's runtime API.  Blocking with a
 * deadline: called from the proxy service's worker, never the loop. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "pirack/config.h"
#include "pirack/loop.h"
#include "pirack/proxy.h"
#include "proxy_internal.h"

static int remaining_ms(uint64_t deadline)
{
    uint64_t now = pr_now_ms();
    return now >= deadline ? 0 : (int)(deadline - now);
}

/* Waits for events on fd until the deadline: 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, uint64_t deadline)
{
    for (;;) {
        struct pollfd p = { .fd = fd, .events = events };
        int n = poll(&p, 1, remaining_ms(deadline));
        if (n > 0)
            return 0;
        if (n == 0)
            return -ETIMEDOUT;
        if (errno != EINTR)
            return -errno;
    }
}

static int connect_fd(int fd, const struct sockaddr *sa, socklen_t len, uint64_t deadline)
{
    if (connect(fd, sa, len) == 0)
        return 0;
    if (errno != EINPROGRESS && errno != EAGAIN)
        return -errno;
    int rc = wait_fd(fd, POLLOUT, deadline);
    if (rc < 0)
        return rc;
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
        return -errno;
    return soerr ? -soerr : 0;
}

static int open_unix(const char *path, uint64_t deadline)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int rc = connect_fd(fd, (struct sockaddr *)&sun, sizeof sun, deadline);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    return fd;
}

static int open_tcp(const struct pr_haproxy_addr *a, uint64_t deadline)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(a->host, a->port, &hints, &res);
    if (gai != 0)
        return -EHOSTUNREACH;
    int rc = -ECONNREFUSED;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            rc = -errno;
            continue;
        }
        rc = connect_fd(fd, ai->ai_addr, ai->ai_addrlen, deadline);
        if (rc == 0) {
            rc = fd;
            break;
        }
        close(fd);
    }
    freeaddrinfo(res);
    return rc;
}

static int send_all(int fd, const char *p, size_t len, uint64_t deadline)
{
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n >= 0) {
            p += n;
            len -= (size_t)n;
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN)
            return -errno;
        int rc = wait_fd(fd, POLLOUT, deadline);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int read_all(int fd, char **out, size_t *outlen, uint64_t deadline)
{
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    if (!buf)
        return -ENOMEM;
    for (;;) {
        if (cap - len < 2048) {
            if (cap >= PR_HAPROXY_MAX_ANSWER) {
                free(buf);
                return -E2BIG;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                return -ENOMEM;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t n = recv(fd, buf + len, cap - len - 1, 0);
        if (n > 0) {
            len += (size_t)n;
            continue;
        }
        if (n == 0)
            break;
        int rc = 0;
        if (errno == EAGAIN)
            rc = wait_fd(fd, POLLIN, deadline);
        else if (errno != EINTR)
            rc = -errno;
        if (rc < 0) {
            free(buf);
            return rc;
        }
    }
    buf[len] = '\0';
    *out = buf;
    *outlen = len;
    return 0;
}

int pr_haproxy_cmd(const char *addr, const char *cmd, unsigned timeout_ms, char **answer,
                   size_t *answer_len)
{
    struct pr_haproxy_addr a;
    uint64_t deadline = pr_now_ms() + timeout_ms;
    *answer = NULL;
    *answer_len = 0;
    if (pr_haproxy_addr_parse(addr, &a) < 0)
        return -EINVAL;
    size_t clen = strlen(cmd);
    if (clen == 0 || cmd[clen - 1] != '\n' || memchr(cmd, '\n', clen - 1))
        return -EINVAL; /* exactly one line: one command */
    int fd = a.unix_path ? open_unix(addr, deadline) : open_tcp(&a, deadline);
    if (fd < 0)
        return fd;
    int rc = send_all(fd, cmd, clen, deadline);
    if (rc == 0)
        rc = read_all(fd, answer, answer_len, deadline);
    close(fd);
    return rc;
}
