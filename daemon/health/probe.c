/* One health probe: a non-blocking TCP connect to the Pi's IPv6 address
 * on [health] port and, for ssh, its identification line or, when the
 * host keys pirackd wrote into the Pi's root are recorded, an SSH key
 * exchange (libssh in non-blocking mode on our socket) whose host key
 * must be one of them.  Nothing here blocks; the service drives it from
 * the loop. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <libssh/libssh.h>

#include "health_internal.h"

bool pr_probe_banner_ok(unsigned port, const char *buf, size_t len)
{
    if (port != 22)
        return true;
    /* RFC 4253 4.2: "SSH-protoversion-softwareversion", 2.0 or 1.99 */
    return (len >= 8 && !memcmp(buf, "SSH-2.0-", 8)) || (len >= 9 && !memcmp(buf, "SSH-1.99-", 9));
}

int pr_probe_start(struct pr_probe *p, const void *in6_addr, unsigned port, uint64_t now_ms,
                   const struct pr_hostkey *keys, size_t n)
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
    if (port == 22) {
        p->nkeys = n < PR_HOSTKEYS_MAX ? n : PR_HOSTKEYS_MAX;
        memcpy(p->keys, keys, p->nkeys * sizeof(*keys));
    }
    memcpy(p->addr, in6_addr, sizeof(p->addr));
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

/* A libssh session on a dup of our connected socket (libssh closes the
 * fd it was given; ours stays for the loop to watch), never blocking,
 * reading no ssh_config, known_hosts or home directory. */
static int ssh_begin(struct pr_probe *p, char *why, size_t whylen)
{
    char host[INET6_ADDRSTRLEN];
    int fd = fcntl(p->fd, F_DUPFD_CLOEXEC, 0), no = 0, verbosity = SSH_LOG_NOLOG;
    if (fd < 0) {
        snprintf(why, whylen, "dup: %s", strerror(errno));
        return -1;
    }
    inet_ntop(AF_INET6, p->addr, host, sizeof(host));
    if (!(p->ssh = ssh_new())) {
        close(fd);
        snprintf(why, whylen, "ssh: out of memory");
        return -1;
    }
    socket_t sfd = fd;
    if (ssh_options_set(p->ssh, SSH_OPTIONS_FD, &sfd) < 0) {
        close(fd);
        snprintf(why, whylen, "ssh: %s", ssh_get_error(p->ssh));
        return -1;
    }
    ssh_options_set(p->ssh, SSH_OPTIONS_LOG_VERBOSITY, &verbosity);
    ssh_options_set(p->ssh, SSH_OPTIONS_PROCESS_CONFIG, &no);
    ssh_options_set(p->ssh, SSH_OPTIONS_HOST, host);
    ssh_options_set(p->ssh, SSH_OPTIONS_USER, "pirack");
    ssh_options_set(p->ssh, SSH_OPTIONS_SSH_DIR, "/dev/null");
    ssh_options_set(p->ssh, SSH_OPTIONS_KNOWNHOSTS, "/dev/null");
    ssh_options_set(p->ssh, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null");
    ssh_set_blocking(p->ssh, 0);
    return 0;
}

/* The key exchange is done: the verdict on the key the Pi showed. */
static enum pr_probe_result ssh_verdict(struct pr_probe *p, char *why, size_t whylen)
{
    ssh_key key = NULL;
    unsigned char *hash = NULL;
    size_t hlen = 0;
    char fp[96];
    if (ssh_get_server_publickey(p->ssh, &key) < 0 || !key)
        return fail(why, whylen, "ssh: %s", "no host key after the key exchange");
    int r = ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen);
    const char *type = pr_hostkey_type_word(ssh_key_type_to_char(ssh_key_type(key)));
    ssh_key_free(key);
    if (r < 0 || pr_hostkey_format(hash, hlen, fp, sizeof(fp)) < 0) {
        ssh_clean_pubkey_hash(&hash);
        return fail(why, whylen, "ssh: %s", "cannot hash the host key");
    }
    ssh_clean_pubkey_hash(&hash);
    if (pr_hostkey_check(type, fp, p->keys, p->nkeys, why, whylen) == PR_HOSTKEY_MATCH)
        return PR_PROBE_OK;
    p->hostkey_mismatch = true;
    return PR_PROBE_FAIL;
}

/* One more turn of the non-blocking key exchange. */
static enum pr_probe_result ssh_step(struct pr_probe *p, bool *want_read, char *why, size_t whylen)
{
    int r = ssh_connect(p->ssh);
    if (r == SSH_AGAIN) {
        *want_read = true;
        return PR_PROBE_PENDING;
    }
    if (r != SSH_OK)
        return fail(why, whylen, "ssh key exchange: %s", ssh_get_error(p->ssh));
    return ssh_verdict(p, why, whylen);
}

enum pr_probe_result pr_probe_io(struct pr_probe *p, bool *want_read, char *why, size_t whylen)
{
    *want_read = false;
    if (p->ssh)
        return ssh_step(p, want_read, why, whylen);
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
        if (p->nkeys) {
            if (ssh_begin(p, why, whylen) < 0)
                return PR_PROBE_FAIL;
            return ssh_step(p, want_read, why, whylen);
        }
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
    if (p->ssh) {
        /* never authenticated: a disconnect message, and the session goes */
        if (ssh_is_connected(p->ssh))
            ssh_disconnect(p->ssh);
        ssh_free(p->ssh);
        p->ssh = NULL;
    }
    if (p->fd >= 0)
        close(p->fd);
    p->fd = -1;
}
