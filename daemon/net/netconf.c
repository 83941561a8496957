/* net/netconf: a Pi's static network configuration files.  See netconf.h. */
#define _GNU_SOURCE /* O_PATH */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/openat2.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "pirack/fsutil.h"
#include "net_internal.h"
#include "netconf_internal.h"

void pr_netconf_from_plan(const struct pr_slot_plan *sp, const char *ifname,
                          const struct in6_addr *dns, unsigned n_dns, struct pr_netconf *out)
{
    memset(out, 0, sizeof(*out));
    out->slot = sp->slot;
    snprintf(out->ifname, sizeof(out->ifname), "%s", ifname ? ifname : PR_NETCONF_DEFAULT_IF);
    out->address = sp->v6_pi;
    out->prefixlen = 64;
    inet_pton(AF_INET6, PR_NET_GATEWAY_LL, &out->gateway);
    out->n_dns = n_dns < PR_NETCONF_MAX_DNS ? n_dns : PR_NETCONF_MAX_DNS;
    memcpy(out->dns, dns, out->n_dns * sizeof(out->dns[0]));
}

/* ---- rendering ---- */

struct out {
    char *buf;
    size_t len, pos;
    bool overflow;
};

static void emit(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void emit(struct out *o, const char *fmt, ...)
{
    if (o->overflow)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->pos, o->len - o->pos, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= o->len - o->pos)
        o->overflow = true;
    else
        o->pos += (size_t)n;
}

static int finish(struct out *o)
{
    return o->overflow ? -ENOSPC : (int)o->pos;
}

static const char *ntop(const struct in6_addr *a, char *buf)
{
    return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

int pr_netconf_render_networkd(const struct pr_netconf *nc, char *buf, size_t len)
{
    char a[INET6_ADDRSTRLEN];
    struct out o = { .buf = buf, .len = len };
    if (len == 0)
        return -ENOSPC;
    buf[0] = '\0';
    emit(&o,
         "# Written by pirackd for slot %u: this Pi's static IPv6 address.\n"
         "# pirackd rewrites it when the rack's plan changes.\n"
         "[Match]\nName=%s\n\n[Network]\n"
         "# The IPv4 address came from DHCP at boot and carries the NFS root.\n"
         "KeepConfiguration=yes\nDHCP=no\nLinkLocalAddressing=ipv6\n"
         "IPv6AcceptRA=yes\n",
         nc->slot, nc->ifname);
    emit(&o, "Address=%s/%u\n", ntop(&nc->address, a), nc->prefixlen);
    emit(&o, "Gateway=%s\n", ntop(&nc->gateway, a));
    for (unsigned i = 0; i < nc->n_dns; i++)
        emit(&o, "DNS=%s\n", ntop(&nc->dns[i], a));
    emit(&o, "\n[IPv6AcceptRA]\nUseDNS=yes\n");
    return finish(&o);
}

int pr_netconf_render_ifupdown(const struct pr_netconf *nc, char *buf, size_t len)
{
    char a[INET6_ADDRSTRLEN];
    struct out o = { .buf = buf, .len = len };
    if (len == 0)
        return -ENOSPC;
    buf[0] = '\0';
    emit(&o,
         "# Written by pirackd for slot %u: this Pi's static IPv6 address.\n"
         "# pirackd rewrites it when the rack's plan changes.  IPv4 came from\n"
         "# DHCP at boot and carries the NFS root: this stanza leaves it alone.\n"
         "auto %s\niface %s inet6 static\n",
         nc->slot, nc->ifname, nc->ifname);
    emit(&o, "    address %s/%u\n", ntop(&nc->address, a), nc->prefixlen);
    emit(&o, "    gateway %s\n", ntop(&nc->gateway, a));
    if (nc->n_dns) {
        emit(&o, "    dns-nameservers");
        for (unsigned i = 0; i < nc->n_dns; i++)
            emit(&o, " %s", ntop(&nc->dns[i], a));
        emit(&o, "\n");
    }
    emit(&o, "    accept_ra 1\n    autoconf 0\n");
    return finish(&o);
}

/* ---- writing beneath the Pi's root ---- */

static int open_in_root(int rootfd, const char *path, int flags)
{
    struct open_how how = {
        .flags = (uint64_t)(flags | O_CLOEXEC),
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
    };
    long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
    return fd < 0 ? -errno : (int)fd;
}

/* Opens dir (relative, '/'-separated) beneath rootfd, making what is
 * missing one component at a time. */
static int open_dir_p(int rootfd, const char *dir)
{
    char prefix[256];
    if (strlen(dir) >= sizeof(prefix))
        return -ENAMETOOLONG;
    int parent = open_in_root(rootfd, ".", O_PATH | O_DIRECTORY);
    for (const char *p = dir; parent >= 0 && *p;) {
        const char *slash = strchr(p, '/');
        size_t end = slash ? (size_t)(slash - dir) : strlen(dir);
        memcpy(prefix, dir, end);
        prefix[end] = '\0';
        int fd = open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY);
        if (fd == -ENOENT) {
            const char *name = strrchr(prefix, '/');
            name = name ? name + 1 : prefix;
            if (mkdirat(parent, name, 0755) < 0 && errno != EEXIST)
                fd = -errno;
            else
                fd = open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY);
        }
        close(parent);
        parent = fd;
        p = slash ? slash + 1 : p + strlen(p);
    }
    return parent;
}

static bool same_content(int dirfd, const char *name, const char *data, size_t len)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return false;
    char buf[PR_NETCONF_MAX_LEN + 1];
    ssize_t n = read(fd, buf, sizeof(buf));
    close(fd);
    return n == (ssize_t)len && memcmp(buf, data, len) == 0;
}

/* Replaces dir/name with data: a temp file beside it, fsync, rename.
 * Returns 1 when written, 0 when it already held data. */
static int replace_file(int rootfd, const char *dir, const char *name, const char *data, size_t len)
{
    int dirfd = open_dir_p(rootfd, dir);
    if (dirfd < 0)
        return dirfd;
    int rc = 0;
    if (!same_content(dirfd, name, data, len)) {
        uint32_t r = 0;
        if (getrandom(&r, sizeof(r), 0) != sizeof(r))
            r = (uint32_t)getpid();
        char tmp[64];
        snprintf(tmp, sizeof(tmp), ".%s.%08x.tmp", name, r);
        int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        rc = fd < 0 ? -errno : pr_write_all(fd, data, len);
        if (rc == 0 && fsync(fd) < 0)
            rc = -errno;
        if (fd >= 0)
            close(fd);
        if (rc == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
            rc = -errno;
        if (rc < 0 && fd >= 0)
            unlinkat(dirfd, tmp, 0);
        if (rc == 0)
            rc = 1;
    }
    close(dirfd);
    return rc;
}

int pr_netconf_write(const char *pi_root, const struct pr_netconf *nc)
{
    if (!nc->ifname[0] || strchr(nc->ifname, '/') || nc->ifname[0] == '.')
        return -EINVAL;
    char networkd[PR_NETCONF_MAX_LEN], ifupdown[PR_NETCONF_MAX_LEN];
    int nlen = pr_netconf_render_networkd(nc, networkd, sizeof(networkd));
    int ilen = pr_netconf_render_ifupdown(nc, ifupdown, sizeof(ifupdown));
    if (nlen < 0 || ilen < 0)
        return -ENOSPC;
    int rootfd = open(pi_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return -errno;
    int a = replace_file(rootfd, PR_NETCONF_NETWORKD_DIR, PR_NETCONF_NETWORKD_FILE, networkd,
                         (size_t)nlen);
    int b = a < 0
                ? 0
                : replace_file(rootfd, PR_NETCONF_IFUPDOWN_DIR, nc->ifname, ifupdown, (size_t)ilen);
    close(rootfd);
    if (a < 0)
        return a;
    if (b < 0)
        return b;
    return a + b;
}
