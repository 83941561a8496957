/* api/listen: the API's listeners and what protects them, before any
 * request is read.
 *
 * Each listener is an MHD daemon in external-epoll mode (no thread of its
 * own): its epoll fd sits in the loop, MHD_run() runs when that fd is
 * readable, and a loop timer re-armed from MHD_get_timeout() after every
 * run covers MHD's own deadlines (idle connections, buffered data).  So
 * every handler runs on the loop's thread and may use the store.
 *
 * The listener accepts connections itself and asks admit.c first (a cap
 * per peer and in all, idle ones shed to make room), then hands them to
 * MHD; any listener (Unix or TCP) goes through the same door.  A sweep
 * once a second sheds connections that have not sent a whole request's
 * headers within HEADER_TIMEOUT_S of connecting (or of their last
 * answer): libmicrohttpd 0.9.75 has only an idle timeout, which a client
 * trickling a byte at a time never reaches. */
#define _GNU_SOURCE /* accept4, struct ucred */
#include "pirack/api.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <microhttpd.h>

#include "server_internal.h"
#include "pirack/loop.h"

/* A connection quiet this long in the middle of a request is closed: a
 * client sends its request at once, and pirack(1) waits on replies, not
 * on its own sends. */
#define CONNECTION_TIMEOUT_S 10
/* A connection must have sent a whole request's headers this long after
 * it was accepted or last answered, however slowly it trickles them. */
#define HEADER_TIMEOUT_S 5
#define SWEEP_MS 1000
/* Connections a listener serves at once, and per peer (a process on the
 * Unix socket, an address on TCP). */
#define CONNECTION_LIMIT 128
#define CONNECTION_PER_PEER 16
/* Connections accepted per wake-up, so one burst cannot hold the loop. */
#define ACCEPT_BURST 32
/* The kernel's queue of connections not yet accepted: long enough that a
 * burst of idlers does not crowd out a new client's SYN (a dropped SYN
 * costs the client a second) while the loop sheds them. */
#define TCP_BACKLOG 512

/* ---- driving MHD from the loop ---- */

static void listener_run(struct pr_api_listener *l)
{
    MHD_UNSIGNED_LONG_LONG timeout_ms;

    MHD_run(l->mhd);
    /* MHD_NO: nothing waits on a deadline; the epoll fd wakes us. */
    if (MHD_get_timeout(l->mhd, &timeout_ms) == MHD_YES)
        pr_timer_arm(l->timer, (uint64_t)timeout_ms, 0);
    else
        pr_timer_disarm(l->timer);
}

static void on_epoll_ready(void *ctx, int fd, uint32_t events)
{
    (void)fd;
    (void)events;
    listener_run(ctx);
}

static void on_timer(void *ctx)
{
    listener_run(ctx);
}

/* MHD's news of a connection: it carries its admit slot (+1, so that 0
 * stays "none") from start to close. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct pr_api_listener *l = cls;
    const union MHD_ConnectionInfo *ci;
    int slot;

    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        slot = ci ? pr_api_admit_find_fd(&l->admit, ci->connect_fd) : -1;
        *socket_context = slot >= 0 ? malloc(sizeof(int)) : NULL;
        if (*socket_context)
            *(int *)*socket_context = slot + 1;
        return;
    }
    if (*socket_context) {
        pr_api_admit_release(&l->admit, *(int *)*socket_context - 1);
        free(*socket_context);
        *socket_context = NULL;
    }
}

/* ---- the header deadline ---- */

static void arm_sweep(struct pr_api_listener *l)
{
    if (l->sweep_armed)
        return;
    l->sweep_armed = true;
    pr_timer_arm(l->sweep, SWEEP_MS, 0);
}

/* Sheds what owes its headers too long; runs again while anyone is
 * connected. */
static void on_sweep(void *ctx)
{
    struct pr_api_listener *l = ctx;
    int fds[64], n;

    l->sweep_armed = false;
    do {
        n = pr_api_admit_overdue(&l->admit, pr_now_ms(), HEADER_TIMEOUT_S * 1000u, fds, 64);
        for (int i = 0; i < n; i++)
            shutdown(fds[i], SHUT_RDWR); /* MHD sees it end and closes it */
    } while (n == 64);
    listener_run(l);
    if (pr_api_admit_any(&l->admit))
        arm_sweep(l);
}

/* ---- accepting ---- */

static void peer_of(int fd, const struct sockaddr_storage *ss, struct pr_api_peer *peer)
{
    memset(peer, 0, sizeof(*peer));
    peer->family = ss->ss_family;
    if (ss->ss_family == AF_INET) {
        memcpy(peer->id, &((const struct sockaddr_in *)ss)->sin_addr, 4);
    } else if (ss->ss_family == AF_INET6) {
        memcpy(peer->id, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
    } else if (ss->ss_family == AF_UNIX) {
        struct ucred cred;
        socklen_t len = sizeof(cred);

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
            memcpy(peer->id, &cred.pid, sizeof(cred.pid));
    }
}

static void accept_one(struct pr_api_listener *l, int fd, struct sockaddr_storage *ss,
                       socklen_t len)
{
    struct pr_api_peer peer;
    int slot, shed_fd;

    peer_of(fd, ss, &peer);
    slot = pr_api_admit(&l->admit, &peer, fd, pr_now_ms(), &shed_fd);
    if (slot < 0) {
        close(fd); /* its peer's connections, or all, are busy */
        return;
    }
    if (shed_fd >= 0)
        shutdown(shed_fd, SHUT_RDWR); /* MHD sees it end and closes it */
    if (MHD_add_connection(l->mhd, fd, (const struct sockaddr *)ss, len) != MHD_YES)
        pr_api_admit_release(&l->admit, slot); /* MHD has closed fd */
    else
        arm_sweep(l);
}

static void on_listen_ready(void *ctx, int fd, uint32_t events)
{
    struct pr_api_listener *l = ctx;

    (void)events;
    for (int i = 0; i < ACCEPT_BURST; i++) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        int c = accept4(fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (c < 0)
            break;
        if (len == 0 || len > sizeof(ss))
            ss.ss_family = AF_UNIX, len = sizeof(sa_family_t);
        accept_one(l, c, &ss, len);
    }
    listener_run(l);
}

void pr_api_listener_free(struct pr_api_listener *l)
{
    if (!l)
        return;
    if (l->accepting)
        pr_loop_del_fd(l->api->loop, l->sock.fd);
    if (l->mhd) {
        pr_loop_del_fd(l->api->loop, l->epoll_fd);
        MHD_stop_daemon(l->mhd);
    }
    if (l->sock.fd >= 0)
        pr_api_unix_close(&l->sock);
    pr_api_unix_unlink(&l->sock);
    pr_timer_free(l->timer);
    pr_timer_free(l->sweep);
    free(l->tls_cert);
    free(l->tls_key);
    free(l);
}

/* Starts an MHD daemon on the loop for the listening socket l->sock.fd,
 * which stays the listener's: the loop accepts on it (see accept_one). */
static int listener_start(struct pr_api_listener *l)
{
    const union MHD_DaemonInfo *info;
    int err;

    pr_api_admit_init(&l->admit, CONNECTION_LIMIT, CONNECTION_PER_PEER);
    /* The loop accepts (accept_one) and hands each admitted connection to
     * MHD, TLS or not: MHD never listens itself. */
    if (l->tls_cert)
        l->mhd = MHD_start_daemon(
            MHD_USE_EPOLL | MHD_USE_NO_LISTEN_SOCKET | MHD_USE_TLS | MHD_ALLOW_SUSPEND_RESUME, 0,
            NULL, NULL, pr_api_on_request, l, MHD_OPTION_NOTIFY_COMPLETED, pr_api_on_completed, l,
            MHD_OPTION_NOTIFY_CONNECTION, on_connection, l, MHD_OPTION_UNESCAPE_CALLBACK,
            pr_api_unescape, NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT_S,
            MHD_OPTION_CONNECTION_LIMIT, (unsigned)PR_API_ADMIT_SLOTS, MHD_OPTION_HTTPS_MEM_CERT,
            l->tls_cert, MHD_OPTION_HTTPS_MEM_KEY, l->tls_key, MHD_OPTION_END);
    else
        l->mhd = MHD_start_daemon(
            MHD_USE_EPOLL | MHD_USE_NO_LISTEN_SOCKET | MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL,
            pr_api_on_request, l, MHD_OPTION_NOTIFY_COMPLETED, pr_api_on_completed, l,
            MHD_OPTION_NOTIFY_CONNECTION, on_connection, l, MHD_OPTION_UNESCAPE_CALLBACK,
            pr_api_unescape, NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT_S,
            MHD_OPTION_CONNECTION_LIMIT, (unsigned)PR_API_ADMIT_SLOTS, MHD_OPTION_END);
    if (!l->mhd)
        return -EIO;
    info = MHD_get_daemon_info(l->mhd, MHD_DAEMON_INFO_EPOLL_FD);
    l->timer = pr_timer_new(l->api->loop, on_timer, l);
    l->sweep = pr_timer_new(l->api->loop, on_sweep, l);
    if (!info || !l->timer || !l->sweep) {
        err = info ? -ENOMEM : -EIO;
        goto fail;
    }
    l->epoll_fd = info->epoll_fd;
    err = pr_loop_add_fd(l->api->loop, l->epoll_fd, EPOLLIN, on_epoll_ready, l);
    if (err < 0)
        goto fail;
    err = pr_loop_add_fd(l->api->loop, l->sock.fd, EPOLLIN, on_listen_ready, l);
    if (err < 0) {
        pr_loop_del_fd(l->api->loop, l->epoll_fd);
        goto fail;
    }
    l->accepting = true;
    return 0;

fail:
    MHD_stop_daemon(l->mhd);
    l->mhd = NULL;
    pr_timer_free(l->timer);
    l->timer = NULL;
    pr_timer_free(l->sweep);
    l->sweep = NULL;
    return err;
}

int pr_api_listen_unix(struct pr_api *api, const char *path, mode_t mode, const char *group)
{
    struct pr_api_listener *l;
    int err;

    if (!api || !path)
        return -EINVAL;
    if (api->n_listeners == PR_API_MAX_LISTENERS)
        return -ENOSPC;
    l = calloc(1, sizeof(*l));
    if (!l)
        return -ENOMEM;
    l->api = api;
    l->side = PR_API_OPS;
    l->epoll_fd = -1;
    err = pr_api_unix_bind(path, mode, group, &l->sock);
    if (err < 0) {
        free(l);
        return err;
    }
    err = listener_start(l);
    if (err < 0) {
        pr_api_listener_free(l);
        return err;
    }
    api->listeners[api->n_listeners++] = l;
    return 0;
}

/* ---- TCP ---- */

/* Reads a whole (small) PEM file; NULL and errno on failure. */
static char *read_pem(const char *path)
{
    FILE *f = fopen(path, "re");
    char *buf;
    size_t len;

    if (!f)
        return NULL;
    buf = calloc(1, 65537);
    len = buf ? fread(buf, 1, 65536, f) : 0;
    fclose(f);
    if (buf && (len == 0 || len == 65536)) {
        free(buf);
        errno = EINVAL;
        return NULL;
    }
    return buf;
}

/* host:port or [v6]:port to a bound, listening, non-blocking socket.  An
 * IPv6 wildcard also takes IPv4 (IPV6_V6ONLY off). */
static int tcp_bind(const char *endpoint, char *why, size_t whylen)
{
    char host[128];
    const char *port;
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICHOST };
    struct addrinfo *ai = NULL;
    int fd, one = 1, zero = 0, rc;

    if (endpoint[0] == '[') {
        const char *close = strchr(endpoint, ']');
        if (!close || close[1] != ':' || (size_t)(close - endpoint) >= sizeof(host))
            goto bad;
        memcpy(host, endpoint + 1, (size_t)(close - endpoint - 1));
        host[close - endpoint - 1] = '\0';
        port = close + 2;
    } else {
        const char *colon = strrchr(endpoint, ':');
        if (!colon || (size_t)(colon - endpoint) >= sizeof(host))
            goto bad;
        memcpy(host, endpoint, (size_t)(colon - endpoint));
        host[colon - endpoint] = '\0';
        port = colon + 1;
    }
    rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &ai);
    if (rc != 0)
        goto bad;
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        rc = -errno;
        freeaddrinfo(ai);
        snprintf(why, whylen, "socket: %s", strerror(-rc));
        return rc;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ai->ai_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, TCP_BACKLOG) < 0) {
        rc = -errno;
        snprintf(why, whylen, "%s: %s", endpoint, strerror(-rc));
        freeaddrinfo(ai);
        close(fd);
        return rc;
    }
    freeaddrinfo(ai);
    return fd;
bad:
    snprintf(why, whylen, "\"%s\" is not ADDRESS:PORT or [IPV6]:PORT", endpoint);
    return -EINVAL;
}

static unsigned bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return 0;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

int pr_api_listen_tcp(struct pr_api *api, enum pr_api_side side, const char *endpoint,
                      const char *cert_path, const char *key_path, char *why, size_t whylen)
{
    struct pr_api_listener *l;
    int err, fd;

    if (!api || !endpoint || (unsigned)side >= PR_API__SIDES || !cert_path != !key_path)
        return -EINVAL;
    if (api->n_listeners == PR_API_MAX_LISTENERS)
        return -ENOSPC;
    l = calloc(1, sizeof(*l));
    if (!l)
        return -ENOMEM;
    l->api = api;
    l->side = side;
    l->epoll_fd = -1;
    l->sock.fd = -1;
    if (cert_path) {
        l->tls_cert = read_pem(cert_path);
        l->tls_key = l->tls_cert ? read_pem(key_path) : NULL;
        if (!l->tls_key) {
            err = -errno;
            snprintf(why, whylen, "%s: %s", l->tls_cert ? key_path : cert_path, strerror(-err));
            pr_api_listener_free(l);
            return err;
        }
    }
    fd = tcp_bind(endpoint, why, whylen);
    if (fd < 0) {
        pr_api_listener_free(l);
        return fd;
    }
    l->sock.fd = fd;
    l->port = bound_port(fd);
    err = listener_start(l);
    if (err < 0) {
        snprintf(why, whylen, "%s: libmicrohttpd did not start%s", endpoint,
                 cert_path ? " (a bad certificate or key, or no TLS support?)" : "");
        pr_api_listener_free(l);
        return err;
    }
    api->listeners[api->n_listeners++] = l;
    return 0;
}

unsigned pr_api_tcp_port(const struct pr_api *api, enum pr_api_side side)
{
    for (size_t i = 0; api && i < api->n_listeners; i++)
        if (api->listeners[i]->side == side && api->listeners[i]->port)
            return api->listeners[i]->port;
    return 0;
}
