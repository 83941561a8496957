/* image/exports: applying NFS exports on a worker thread of the image
 * service (service.c renders them on the loop).
 *
 * The kernel server's exports.d file written atomically, `exportfs -ra`,
 * then `exportfs -v` read back (exportfs is not atomic: each root must
 * be there); or nfs-ganesha's EXPORT blocks written and ganesha told to
 * reload them (SIGHUP). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "daemon/image/image_internal.h"
#include "pirack/fsutil.h"

static int exports_verify(struct export_job *x)
{
    char path[64] = "/tmp/pirack-exportfs.XXXXXX", err[256];
    int fd = mkstemp(path);
    if (fd < 0)
        return -errno;
    unlink(path);
    const char *argv[] = { "exportfs", "-v", NULL };
    int rc = pr_image_tool(NULL, argv, fd, err, sizeof(err));
    static char out[256 * 1024];
    ssize_t n = rc == 0 ? pread(fd, out, sizeof(out) - 1, 0) : -1;
    close(fd);
    if (rc < 0 || n < 0) {
        snprintf(x->error, sizeof(x->error), "exportfs -v: %s", err);
        return rc < 0 ? rc : -EIO;
    }
    out[n] = '\0';
    for (size_t i = 0; i < x->n; i++)
        if (!strstr(out, x->exports[i].path)) {
            snprintf(x->error, sizeof(x->error), "exportfs -v does not list %.300s",
                     x->exports[i].path);
            return -EIO;
        }
    return 0;
}

int pr_export_slot(const char *roots, unsigned slot, struct in_addr pi, struct pr_export *e)
{
    char link[PR_PATH_MAX + 16], a[INET_ADDRSTRLEN];

    snprintf(link, sizeof(link), "%.4000s/%03u", roots, slot);
    if (!realpath(link, e->path))
        return -errno;
    struct in_addr net = { pi.s_addr & htonl(0xfffffffcu) };
    inet_ntop(AF_INET, &net, a, sizeof(a));
    snprintf(e->client, sizeof(e->client), "%s/30", a);
    e->slot = slot;
    return 0;
}

void pr_exports_run(struct export_job *x)
{
    char err[300];
    int rc = pr_mkdir_parent(x->file);
    if (rc == 0)
        rc = pr_write_file_atomic(x->file, x->text, x->len, 0644);
    if (rc < 0) {
        snprintf(x->error, sizeof(x->error), "%.300s: %s", x->file, strerror(-rc));
        x->err = rc;
        return;
    }
    if (!strcmp(x->backend, "kernel")) {
        const char *argv[] = { "exportfs", "-ra", NULL };
        if ((rc = pr_image_tool(NULL, argv, -1, err, sizeof(err))) < 0)
            snprintf(x->error, sizeof(x->error), "exportfs -ra: %s", err);
        else
            rc = exports_verify(x);
    } else {
        FILE *f = fopen(x->pidfile, "r");
        long pid = 0;
        if (!f || fscanf(f, "%ld", &pid) != 1 || pid <= 1)
            rc = -ESRCH;
        else if (kill((pid_t)pid, SIGHUP) < 0)
            rc = -errno;
        if (f)
            fclose(f);
        if (rc < 0)
            snprintf(x->error, sizeof(x->error), "ganesha (pid file %.300s): %s", x->pidfile,
                     strerror(-rc));
    }
    x->err = rc;
}
