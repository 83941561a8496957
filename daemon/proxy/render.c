/* proxy/render: the base HAProxy configuration and atomic file writes.
 * docs/proxy.md explains each line of the configuration. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pirack/config.h"
#include "pirack/proxy.h"
#include "proxy_internal.h"

/* Where a remote HAProxy's admin socket lives on its own host when
 * pirackd reaches it as host:port through a forward. */
#define PR_REMOTE_ADMIN_SOCKET "/run/haproxy/pirack-admin.sock"

static bool group_name_valid(const char *g)
{
    size_t n = strlen(g);

    return n > 0 && n <= 32 && (islower((unsigned char)g[0]) || g[0] == '_') &&
           strspn(g, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

static int check_render(const struct pr_proxy_render *r, char *err, size_t errlen)
{
    if (!r->map_dir || !pr_proxy_path_valid(r->map_dir)) {
        snprintf(err, errlen, "proxy map_dir must be an absolute path of [A-Za-z0-9._/-]");
        return -EINVAL;
    }
    if (!r->admin_socket || !pr_haproxy_addr_valid(r->admin_socket)) {
        snprintf(err, errlen,
                 "proxy admin_socket must be an absolute path of "
                 "[A-Za-z0-9._/-], host:port or [v6]:port");
        return -EINVAL;
    }
    if (r->http_port > 65535 || r->https_port > 65535) {
        snprintf(err, errlen, "proxy http_port and https_port must be 0 (off) or 1-65535");
        return -EINVAL;
    }
    if (r->ssh_first > r->ssh_last || r->ssh_last > 65535 ||
        (r->ssh_first == 0 && r->ssh_last != 0)) {
        snprintf(err, errlen, "ssh port range %u-%u is not inside 1-65535", r->ssh_first,
                 r->ssh_last);
        return -EINVAL;
    }
    if (r->admin_group && r->admin_group[0] && !group_name_valid(r->admin_group)) {
        snprintf(err, errlen, "proxy admin_group \"%s\" is not a group name", r->admin_group);
        return -EINVAL;
    }
    if (r->api_cert && r->api_cert[0] &&
        (!pr_proxy_path_valid(r->api_cert) || !r->api_host ||
         strspn(r->api_host, "abcdefghijklmnopqrstuvwxyz0123456789.-") != strlen(r->api_host) ||
         !r->api_backend ||
         strspn(r->api_backend, "0123456789abcdefABCDEF.:@ipv6") != strlen(r->api_backend))) {
        snprintf(err, errlen,
                 "the customer API's route needs an api_cert path of "
                 "[A-Za-z0-9._/-], a DNS name and an address");
        return -EINVAL;
    }
    if (r->pi_pool.len == 0 || r->pi_pool.len > 64) {
        snprintf(err, errlen, "the Pi pool must be a prefix of length 1-64");
        return -EINVAL;
    }
    return 0;
}

static void render_global(FILE *f, const struct pr_proxy_render *r)
{
    bool remote = r->admin_socket[0] != '/';
    /* a remote HAProxy's host need not have the group: root's alone there */
    const char *group = !remote && r->admin_group && r->admin_group[0] ? r->admin_group : NULL;

    fprintf(f, "global\n"
               "    # The runtime API rewrites routes.  HAProxy 2.6 socket levels do not\n"
               "    # protect maps: only this file mode does.  Never a TCP stats socket.\n");
    if (group)
        fprintf(f,
                "    # pirackd runs as user pirack: group %s may use the socket (HAProxy\n"
                "    # makes it while still root, before it drops to its own user).\n",
                group);
    if (remote)
        fprintf(f,
                "    # pirackd reaches this HAProxy at %s: forward that to this\n"
                "    # socket over a channel only pirackd can use (e.g. ssh -L).\n",
                r->admin_socket);
    fprintf(f, "    stats socket %s", remote ? PR_REMOTE_ADMIN_SOCKET : r->admin_socket);
    if (group)
        fprintf(f, " mode 660 group %s", group);
    else
        fprintf(f, " mode 600");
    fprintf(f, " level admin\n"
               "    stats timeout 30s\n"
               "\n"
               "defaults\n"
               "    timeout connect 5s\n"
               "    timeout client 1m\n"
               "    timeout server 1m\n"
               "    timeout tunnel 1h\n"
               "\n");
}

/* The guard after every set-dst: a map value that is not an address
 * silently keeps the original destination, and HAProxy would connect to
 * itself. */
static void render_guard(FILE *f, const char *rule, const char *pool)
{
    fprintf(f,
            "    # only ever a Pi: a bad map value would keep the original destination\n"
            "    %s reject unless { dst %s }\n",
            rule, pool);
}

static void render_tls(FILE *f, const struct pr_proxy_render *r, const char *pool)
{
    fprintf(f,
            "frontend pirack_tls\n"
            "    mode tcp\n"
            "    bind :::%u v4v6\n"
            "    # wait for the whole ClientHello (post-quantum key shares split it)\n"
            "    tcp-request inspect-delay 5s\n"
            "    tcp-request content reject unless { req.ssl_hello_type 1 }\n"
            "    tcp-request content set-var(sess.pi) req.ssl_sni,lower,map(%s/sni.map)\n"
            "    tcp-request content reject unless { var(sess.pi) -m found }\n"
            "    tcp-request content set-dst var(sess.pi)\n",
            r->https_port, r->map_dir);
    render_guard(f, "tcp-request content", pool);
    fprintf(f, "    default_backend pirack_tls\n"
               "\n"
               "backend pirack_tls\n"
               "    mode tcp\n"
               "    server pi 0.0.0.0:443\n"
               "\n");
}

/* The TLS frontend when the customer API has a route: api.DOMAIN is
 * terminated here (the frontend pirack_api, reached over a Unix socket
 * with the PROXY protocol so that pirackd's X-Forwarded-For has the
 * client); every other name is passed through to its Pi as before. */
static void render_tls_api(FILE *f, const struct pr_proxy_render *r, const char *pool)
{
    fprintf(
        f,
        "frontend pirack_tls\n"
        "    mode tcp\n"
        "    bind :::%u v4v6\n"
        "    # wait for the whole ClientHello (post-quantum key shares split it)\n"
        "    tcp-request inspect-delay 5s\n"
        "    tcp-request content reject unless { req.ssl_hello_type 1 }\n"
        "    # the customer API: terminated here, not passed to a Pi\n"
        "    acl api req.ssl_sni -i %s\n"
        "    tcp-request content set-var(sess.pi) req.ssl_sni,lower,map(%s/sni.map) unless api\n"
        "    tcp-request content reject unless api || { var(sess.pi) -m found }\n"
        "    tcp-request content set-dst var(sess.pi) unless api\n"
        "    # only ever a Pi: a bad map value would keep the original destination\n"
        "    tcp-request content reject unless api || { dst %s }\n"
        "    use_backend pirack_api_tls if api\n"
        "    default_backend pirack_tls\n"
        "\n"
        "backend pirack_tls\n"
        "    mode tcp\n"
        "    server pi 0.0.0.0:443\n"
        "\n"
        "backend pirack_api_tls\n"
        "    mode tcp\n"
        "    server api unix@%s/api-tls.sock send-proxy-v2\n"
        "\n"
        "frontend pirack_api\n"
        "    mode http\n"
        "    bind unix@%s/api-tls.sock mode 600 accept-proxy ssl crt %s\n"
        "    option forwardfor\n"
        "    http-request set-header X-Forwarded-Proto https\n"
        "    default_backend pirack_api\n"
        "\n"
        "backend pirack_api\n"
        "    mode http\n"
        "    server pirackd %s\n"
        "\n",
        r->https_port, r->api_host, r->map_dir, pool, r->map_dir, r->map_dir, r->api_cert,
        r->api_backend);
}

static void render_http(FILE *f, const struct pr_proxy_render *r, const char *pool)
{
    fprintf(f,
            "frontend pirack_http\n"
            "    mode http\n"
            "    bind :::%u v4v6\n"
            "    option forwardfor\n"
            "    http-request set-var(txn.pi) req.hdr(host),host_only,lower,map(%s/host.map)\n"
            "    http-request deny deny_status 404 unless { var(txn.pi) -m found }\n"
            "    http-request set-dst var(txn.pi)\n",
            r->http_port, r->map_dir);
    render_guard(f, "http-request", pool);
    fprintf(f, "    default_backend pirack_http\n"
               "\n"
               "backend pirack_http\n"
               "    mode http\n"
               "    # a new server connection per request: the next one may be for another Pi\n"
               "    option http-server-close\n"
               "    http-reuse never\n"
               "    server pi 0.0.0.0:80\n"
               "\n");
}

static void render_ssh(FILE *f, const struct pr_proxy_render *r, const char *pool)
{
    fprintf(f,
            "frontend pirack_ssh\n"
            "    mode tcp\n"
            "    bind :::%u-%u v4v6\n"
            "    timeout client 1h\n"
            "    # no inspect-delay: ssh servers speak first\n"
            "    tcp-request content set-var(sess.pi) dst_port,map_int(%s/ssh.map)\n"
            "    tcp-request content reject unless { var(sess.pi) -m found }\n"
            "    tcp-request content set-dst var(sess.pi)\n",
            r->ssh_first, r->ssh_last, r->map_dir);
    render_guard(f, "tcp-request content", pool);
    fprintf(f, "    default_backend pirack_ssh\n"
               "\n"
               "backend pirack_ssh\n"
               "    mode tcp\n"
               "    timeout server 1h\n"
               "    server pi 0.0.0.0:22\n");
}

int pr_proxy_render_config(FILE *f, const struct pr_proxy_render *r, char *err, size_t errlen)
{
    char addr[INET6_ADDRSTRLEN], pool[INET6_ADDRSTRLEN + 4];
    int rc = check_render(r, err, errlen);
    if (rc < 0)
        return rc;
    inet_ntop(AF_INET6, &r->pi_pool.addr, addr, sizeof addr);
    snprintf(pool, sizeof pool, "%s/%u", addr, r->pi_pool.len);
    fprintf(f,
            "# HAProxy configuration for the pirack front proxy, rendered by pirackd.\n"
            "# Do not edit: pirackd rewrites it.  Routes are the maps in %s,\n"
            "# changed at runtime through the admin socket: no reload is needed.\n"
            "# docs/proxy.md explains every line.\n"
            "\n",
            r->map_dir);
    render_global(f, r);
    if (r->https_port && r->api_cert && r->api_cert[0] && r->api_backend && r->api_backend[0])
        render_tls_api(f, r, pool);
    else if (r->https_port)
        render_tls(f, r, pool);
    if (r->http_port)
        render_http(f, r, pool);
    if (r->ssh_first)
        render_ssh(f, r, pool);
    return ferror(f) ? -EIO : 0;
}
