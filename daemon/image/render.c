/* image/render: pure: the files that tie a Pi to its root over NFS.
 * cmdline.txt (the kernel mounts root=/dev/nfs over NFSv3/TCP, because
 * the bookworm initramfs mounts with klibc nfsmount, which speaks v2/v3
 * only), config.txt (the image's, with pirack's section after it), and
 * the NFS exports: one root per Pi, to that Pi's /30 only, for the kernel
 * server (/etc/exports.d) and for nfs-ganesha (EXPORT blocks). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "image_internal.h"

struct out {
    char *buf;
    size_t len, used;
    bool full;
};

static void emit(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit(struct out *o, const char *fmt, ...)
{
    va_list ap;
    if (o->full)
        return;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->used, o->len - o->used, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= o->len - o->used)
        o->full = true;
    else
        o->used += (size_t)n;
}

static int finish(struct out *o)
{
    if (o->full) {
        if (o->len)
            o->buf[0] = '\0';
        return -ENOSPC;
    }
    return (int)o->used;
}

/* A path the kernel's command line and the exports take as one word. */
static bool plain_path(const char *p)
{
    if (p[0] != '/')
        return false;
    for (; *p; p++)
        if (*p <= ' ' || *p == ',' || *p == ':' || *p == '"' || *p == '(' || *p == ')' ||
            *p == '\\' || *p == '#' || *p == 0x7f)
            return false;
    return true;
}

int pr_render_cmdline(const struct pr_boot_target *t, char *buf, size_t len)
{
    struct out o = { buf, len, 0, false };
    if (!plain_path(t->root_path))
        return -EINVAL;
    emit(&o,
         "console=serial0,115200 console=tty1 root=/dev/nfs nfsroot=%s:%s,vers=3,tcp rw "
         "ip=%s:%s::255.255.255.252:%s:eth0:off rootwait\n",
         t->host, t->root_path, t->pi, t->host, t->hostname);
    return finish(&o);
}

int pr_render_config_txt(const char *image_config, char *buf, size_t len)
{
    struct out o = { buf, len, 0, false };
    size_t n = strlen(image_config);
    emit(&o, "%s%s", image_config, n && image_config[n - 1] != '\n' ? "\n" : "");
    emit(&o, "\n# pirackd: this Pi boots from the network; its root is NFS.\n"
             "[all]\n"
             "arm_64bit=1\n"
             "enable_uart=1\n");
    return finish(&o);
}

int pr_render_exports_kernel(const struct pr_export *e, size_t n, char *buf, size_t len)
{
    struct out o = { buf, len, 0, false };
    emit(&o, "# Written by pirackd: one root per Pi, to that Pi's /30 only.\n");
    for (size_t i = 0; i < n; i++) {
        if (!plain_path(e[i].path))
            return -EINVAL;
        emit(&o, "%s %s(rw,sync,no_root_squash,no_subtree_check,fsid=%u)\n", e[i].path, e[i].client,
             PR_EXPORT_FSID_BASE + e[i].slot);
    }
    return finish(&o);
}

unsigned pr_export_ganesha_id(unsigned slot, unsigned gen)
{
    return 1 + (slot - 1) * 15 + gen % 15;
}

unsigned pr_gen_number(unsigned highest, unsigned current)
{
    unsigned g = highest + 1;
    if (current && g % 15 == current % 15)
        g++;
    return g;
}

int pr_render_exports_ganesha(const struct pr_export *e, size_t n, char *buf, size_t len)
{
    struct out o = { buf, len, 0, false };
    emit(&o, "# Written by pirackd: one root per Pi, to that Pi's /30 only.\n");
    for (size_t i = 0; i < n; i++) {
        if (!plain_path(e[i].path))
            return -EINVAL;
        emit(&o,
             "EXPORT {\n"
             "    Export_Id = %u;\n"
             "    Path = \"%s\";\n"
             "    Pseudo = \"/pirack/%03u-gen-%u\";\n"
             "    Protocols = 3, 4;\n"
             "    Transports = TCP;\n"
             "    Access_Type = None;\n"
             "    Squash = No_Root_Squash;\n"
             "    SecType = sys;\n"
             "    Filesystem_Id = %u.%u;\n"
             "    FSAL { Name = VFS; }\n"
             "    CLIENT { Clients = %s; Access_Type = RW; }\n"
             "}\n",
             pr_export_ganesha_id(e[i].slot, e[i].gen), e[i].path, e[i].slot, e[i].gen,
             PR_EXPORT_FSID_BASE, pr_export_ganesha_id(e[i].slot, e[i].gen), e[i].client);
    }
    return finish(&o);
}
