/* pisim: what a cmdline.txt with root=/dev/nfs says (nfsroot= and ip=),
 * as the kernel reads them.  Pure: pisim's nfs.c and the fuzz target
 * fuzz_pisim_cmdline use it.  The text comes over TFTP from the server
 * under test, so anything goes: each field is bounded and checked. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "pisim.h"

static const char *param(const char *cmdline, const char *key, char *out, size_t len)
{
    size_t kl = strlen(key);
    for (const char *p = cmdline; p && *p;) {
        while (*p == ' ' || *p == '\n' || *p == '\t')
            p++;
        size_t wl = strcspn(p, " \n\t");
        if (wl > kl && strncmp(p, key, kl) == 0) {
            size_t vl = wl - kl;
            if (vl >= len)
                return NULL;
            memcpy(out, p + kl, vl);
            out[vl] = '\0';
            return out;
        }
        p += wl;
    }
    return NULL;
}

/* The i-th colon-separated field of s (empty fields count). */
static bool field(const char *s, unsigned i, char *out, size_t len)
{
    for (unsigned k = 0; k < i; k++) {
        s = strchr(s, ':');
        if (!s)
            return false;
        s++;
    }
    size_t n = strcspn(s, ":");
    if (n >= len)
        return false;
    memcpy(out, s, n);
    out[n] = '\0';
    return true;
}

int nfsroot_parse(const char *cmdline, struct nfsroot *out, char *why, size_t whylen)
{
    char root[32], nfs[PISIM_NFS_PATH_MAX + 64], ip[256], mask[INET_ADDRSTRLEN];
    memset(out, 0, sizeof *out);
    if (!cmdline || !param(cmdline, "root=", root, sizeof root) || strcmp(root, "/dev/nfs") != 0) {
        snprintf(why, whylen, "cmdline.txt has no root=/dev/nfs");
        return -ENOENT;
    }
    if (!param(cmdline, "nfsroot=", nfs, sizeof nfs) || !param(cmdline, "ip=", ip, sizeof ip)) {
        snprintf(why, whylen, "cmdline.txt has root=/dev/nfs but no nfsroot= or ip=");
        return -EINVAL;
    }
    char a[INET_ADDRSTRLEN], host[INET_ADDRSTRLEN];
    if (!field(ip, 0, a, sizeof a) || inet_pton(AF_INET, a, &out->addr) != 1 ||
        !field(ip, 1, host, sizeof host) || inet_pton(AF_INET, host, &out->server) != 1 ||
        !field(ip, 3, mask, sizeof mask) || inet_pton(AF_INET, mask, &out->mask) != 1 ||
        !field(ip, 4, out->hostname, sizeof out->hostname) || !out->hostname[0]) {
        snprintf(why, whylen, "ip=%.100s is not PI:HOST::MASK:NAME:...", ip);
        return -EINVAL;
    }
    /* nfsroot=[HOST:]/PATH[,options] */
    nfs[strcspn(nfs, ",")] = '\0';
    const char *path = nfs;
    char *colon = strchr(nfs, ':');
    if (colon) {
        *colon = '\0';
        if (inet_pton(AF_INET, nfs, &out->server) != 1) {
            snprintf(why, whylen, "nfsroot= server %.60s is not an IPv4 address", nfs);
            return -EINVAL;
        }
        path = colon + 1;
    }
    if (path[0] != '/' || strlen(path) >= sizeof out->path) {
        snprintf(why, whylen, "nfsroot= path %.100s is not absolute", path);
        return -EINVAL;
    }
    memcpy(out->path, path, strlen(path) + 1); /* fits: checked above */
    return 0;
}
