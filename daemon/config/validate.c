/* validate: the values of [proxy] that name files and sockets, checked
 * here when the config is read and again by the proxy before it writes a
 * map path into HAProxy's config or connects to its admin socket.  In
 * config/ because config is below proxy: proxy reads the config, never
 * the other way round. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "pirack/config.h"

bool pr_proxy_path_valid(const char *path)
{
    size_t n = path ? strnlen(path, PR_PATH_MAX) : 0;
    if (n < 2 || n > PR_PATH_MAX - 16 || path[0] != '/')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = path[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '/' || c == '-';
        if (!ok)
            return false;
    }
    /* no "." or ".." component */
    for (const char *p = path; (p = strstr(p, "/.")) != NULL; p++) {
        if (p[2] == '/' || p[2] == '\0' || (p[2] == '.' && (p[3] == '/' || p[3] == '\0')))
            return false;
    }
    return true;
}

static bool host_chars_valid(const char *h, size_t n, bool v6)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = h[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-' || (v6 && c == ':');
        if (!ok)
            return false;
    }
    return true;
}

int pr_haproxy_addr_parse(const char *addr, struct pr_haproxy_addr *out)
{
    memset(out, 0, sizeof *out);
    if (!addr)
        return -EINVAL;
    if (addr[0] == '/') {
        struct sockaddr_un sun;
        if (!pr_proxy_path_valid(addr) || strlen(addr) >= sizeof sun.sun_path)
            return -EINVAL;
        out->unix_path = true;
        return 0;
    }
    const char *colon = strrchr(addr, ':');
    if (!colon)
        return -EINVAL;
    const char *h = addr;
    size_t hlen = (size_t)(colon - addr);
    bool v6 = false;
    if (h[0] == '[') {
        if (hlen < 3 || h[hlen - 1] != ']')
            return -EINVAL;
        h++;
        hlen -= 2;
        v6 = true;
    }
    if (!host_chars_valid(h, hlen, v6) || hlen >= sizeof out->host)
        return -EINVAL;
    const char *p = colon + 1;
    size_t plen = strlen(p);
    if (plen == 0 || plen > 5 || p[0] == '0' || strspn(p, "0123456789") != plen || atoi(p) > 65535)
        return -EINVAL;
    memcpy(out->host, h, hlen);
    memcpy(out->port, p, plen + 1);
    return 0;
}

bool pr_haproxy_addr_valid(const char *addr)
{
    struct pr_haproxy_addr a;
    return pr_haproxy_addr_parse(addr, &a) == 0;
}
