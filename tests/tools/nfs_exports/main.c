/* nfs_exports: applies the kernel NFS backend's exports for some slots
 * through pirackd's own code (pr_export_slot, pr_render_exports_kernel,
 * pr_exports_run, as the image service calls them): each slot's root is
 * ROOTS/NNN resolved and its client the /30 of the Pi's address; the
 * exports.d file written atomically, `exportfs -ra`, then the
 * `exportfs -v` check.
 * Used inside the QEMU guest of tests/integration/nfs_kernel_qemu.sh,
 * where a real knfsd and the real exportfs run.
 *
 *   nfs_exports EXPORTS_FILE ROOTS_DIR SLOT:PI_ADDRESS...
 *
 * Prints the file it wrote, then "applied N" or the backend's error
 * (exit 1). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "daemon/image/image_internal.h"

static int slot_export(const char *roots, const char *arg, struct pr_export *e)
{
    struct in_addr pi;
    const char *colon = strchr(arg, ':');
    char *end;
    unsigned long slot = strtoul(arg, &end, 10);

    if (!colon || end != colon || slot == 0 || slot > 4096 ||
        inet_pton(AF_INET, colon + 1, &pi) != 1) {
        fprintf(stderr, "nfs_exports: %s is not SLOT:PI_ADDRESS\n", arg);
        return -1;
    }
    int rc = pr_export_slot(roots, (unsigned)slot, pi, e);
    if (rc < 0)
        fprintf(stderr, "nfs_exports: %s/%03lu: %s\n", roots, slot, strerror(-rc));
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: nfs_exports EXPORTS_FILE ROOTS_DIR SLOT:PI_ADDRESS...\n");
        return 2;
    }
    static struct pr_export exports[16];
    static char text[16 * (PR_PATH_MAX + 512)];
    struct export_job x = { .exports = exports, .text = text };
    for (int i = 3; i < argc && x.n < 16; i++)
        if (slot_export(argv[2], argv[i], &exports[x.n++]) < 0)
            return 2;
    int n = pr_render_exports_kernel(exports, x.n, text, sizeof(text));
    if (n < 0) {
        fprintf(stderr, "nfs_exports: cannot render the exports\n");
        return 1;
    }
    x.len = (size_t)n;
    snprintf(x.backend, sizeof(x.backend), "kernel");
    snprintf(x.file, sizeof(x.file), "%s", argv[1]);
    pr_exports_run(&x);
    fwrite(text, 1, x.len, stdout);
    if (x.err < 0) {
        printf("error %s\n", x.error);
        return 1;
    }
    printf("applied %zu\n", x.n);
    return 0;
}
