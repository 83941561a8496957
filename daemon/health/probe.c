/* One health probe: a non-blocking TCP connect to the Pi's IPv6 address
 * on [health] port and, for ssh, its identification line.  Nothing here
 * blocks; the service drives it from the loop. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "health_internal.h"

bool pr_probe_banner_ok(unsigned port, const char *buf, size_t len)
{
    if (port != 22)
        return true;
    /* RFC 4253 4.2: "SSH-protoversion-softwareversion", 2.0 or 1.99 */
    return (len >= 8 && !memcmp(buf, "SSH-2.0-", 8)) || (len >= 9 && !memcmp(buf, "SSH-1.99-", 9));
}

int pr_probe_start(struct pr_probe *p, const void *in6_addr, unsigned port, uint64_t now_ms)
{
    struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };
    memcpy(&sa.sin6_addr, in6_addr, sizeof(sa.sin6_addr));
    memset(p, 0, sizeof(*p));
    p->fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (p->fd < 0) {
        p->fd = -1;
        return -errno;
    }
    p->port = port;
    p->started_ms = now_ms;
    if (connect(p->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
        int err = -errno;
        pr_probe_close(p);
        return err;
    }
    return 0;
}

static enum pr_probe_result fail(char *why, size_t whylen, const char *fmt, const char *arg)
{
    snprintf(why, whylen, fmt, arg);
    return PR_PROBE_FAIL;
}

enum pr_probe_result pr_probe_io(struct pr_probe *p, bool *want_read, char *why, size_t whylen)
{
    *want_read = false;
    if (!p->connected) {
        int err = 0;
        socklen_t len = sizeof(err);
        if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
            err = errno;
        if (err == EINPROGRESS)
            return PR_PROBE_PENDING;
        if (err)
            return fail(why, whylen, "connect: %s", strerror(err));
        p->connected = true;
        if (p->port != 22)
            return PR_PROBE_OK; /* a TCP answer is all other ports owe us */
        *want_read = true;
        return PR_PROBE_PENDING;
    }
    ssize_t n = read(p->fd, p->buf + p->len, sizeof(p->buf) - 1 - p->len);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        *want_read = true;
        return PR_PROBE_PENDING;
    }
    if (n < 0)
        return fail(why, whylen, "read: %s", strerror(errno));
    if (n == 0)
        return fail(why, whylen, "%s", "closed before its ssh banner");
    p->len += (size_t)n;
    p->buf[p->len] = '\0';
    if (!memchr(p->buf, '\n', p->len) && p->len < sizeof(p->buf) - 1) {
        *want_read = true;
        return PR_PROBE_PENDING;
    }
    if (!pr_probe_banner_ok(p->port, p->buf, p->len))
        return fail(why, whylen, "%s", "no ssh banner");
    return PR_PROBE_OK;
}

void pr_probe_close(struct pr_probe *p)
{
    if (p->fd >= 0)
        close(p->fd);
    p->fd = -1;
}
