/* image/generation: a generation of a Pi's root and its boot directory,
 * built (or, for an undo, found) on a worker thread of the image service.
 * Blocking file work only: service.c owns the job and the loop side. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "daemon/image/image_internal.h"
#include "pirack/fsutil.h"
#include "pirack/loop.h"

/* ---- generations of a Pi's root: on the worker ----
 *
 * ROOTS/gens/NNN/gen-K is generation K of slot NNN's root; ROOTS/NNN is a
 * symlink to the current one (what the net service writes into, what is
 * exported).  BOOT/.gens/NNN-gen-K is its boot directory (the image's
 * files hardlinked, cmdline.txt and config.txt generated) and BOOT/NNN a
 * symlink to it, which the TFTP service opens per request. */

static int gen_fail(struct gen_job *g, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int gen_fail(struct gen_job *g, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->error, sizeof(g->error), fmt, ap);
    va_end(ap);
    g->err = err;
    return err;
}

/* The generations in gens: the highest, and the highest below below. */
static void scan_gens(const char *gens, unsigned below, unsigned *highest, unsigned *prev)
{
    DIR *dp = opendir(gens);
    struct dirent *de;
    *highest = *prev = 0;
    if (!dp)
        return;
    while ((de = readdir(dp))) {
        unsigned k;
        char end;
        if (sscanf(de->d_name, "gen-%u%c", &k, &end) != 1)
            continue;
        if (k > *highest)
            *highest = k;
        if (k < below && k > *prev)
            *prev = k;
    }
    closedir(dp);
}

static int gen_boot(struct gen_job *g, const char *root_path)
{
    char tmp[PR_PATH_MAX + 64], final[PR_PATH_MAX + 64], file[PR_PATH_MAX + 80],
        src[PR_PATH_MAX + 4];
    char err[300], cmdline[PR_PATH_MAX + 256], *config = NULL;
    static char config_txt[70 * 1024];
    int rc;

    snprintf(tmp, sizeof(tmp), "%s/%03u-gen-%u.tmp", g->boot_gens, g->slot, g->gen);
    snprintf(final, sizeof(final), "%s/%03u-gen-%u", g->boot_gens, g->slot, g->gen);
    snprintf(src, sizeof(src), "%s/.", g->image_boot);
    pr_image_remove_tree(tmp);
    /* Hardlinks: a storm of Pis shares one copy of each file in the
     * page cache.  Across filesystems, a copy. */
    const char *cpl[] = { "cp", "-al", "--", src, tmp, NULL };
    const char *cpa[] = { "cp", "-a", "--", src, tmp, NULL };
    if (pr_image_tool(NULL, cpl, -1, err, sizeof(err)) < 0) {
        pr_image_remove_tree(tmp);
        if ((rc = pr_image_tool(NULL, cpa, -1, err, sizeof(err))) < 0)
            return gen_fail(g, rc, "boot directory: %s", err);
    }
    struct pr_boot_target t = { g->host, g->pi, root_path, g->personal.hostname };
    int n = pr_render_cmdline(&t, cmdline, sizeof(cmdline));
    if (n < 0)
        return gen_fail(g, n, "cmdline.txt: the root's path %s cannot be on a kernel command line",
                        root_path);
    /* Written by rename: the hardlinked file of the image stays as it is. */
    snprintf(file, sizeof(file), "%s/cmdline.txt", tmp);
    if ((rc = pr_write_file_atomic(file, cmdline, (size_t)n, 0644)) < 0)
        return gen_fail(g, rc, "%s: %s", file, strerror(-rc));
    snprintf(file, sizeof(file), "%s/config.txt", g->image_boot);
    FILE *f = fopen(file, "r");
    size_t got = 0;
    static char image_config[64 * 1024];
    if (f) {
        got = fread(image_config, 1, sizeof(image_config) - 1, f);
        fclose(f);
    }
    image_config[got] = '\0';
    config = config_txt;
    n = pr_render_config_txt(image_config, config, sizeof(config_txt));
    snprintf(file, sizeof(file), "%s/config.txt", tmp);
    if (n < 0 || (rc = pr_write_file_atomic(file, config, (size_t)n, 0644)) < 0)
        return gen_fail(g, n < 0 ? n : rc, "%s: cannot write it", file);
    pr_image_remove_tree(final);
    if (rename(tmp, final) < 0)
        return gen_fail(g, -errno, "%s: %s", final, strerror(errno));
    return 0;
}

static int gen_build(struct gen_job *g)
{
    char tmp[PR_PATH_MAX + 64], final[PR_PATH_MAX + 64], keys[PR_PATH_MAX + 64];
    struct pr_clone c = { .method = g->method, .cancel = &g->cancel };
    uint64_t t0 = pr_now_ms();
    unsigned highest, prev;
    int rc;

    scan_gens(g->gens, 0, &highest, &prev);
    g->gen = pr_gen_number(highest, g->current);
    snprintf(tmp, sizeof(tmp), "%s/.tmp-gen-%u", g->gens, g->gen);
    snprintf(final, sizeof(final), "%s/gen-%u", g->gens, g->gen);
    snprintf(keys, sizeof(keys), "%s/.keys-%u", g->gens, g->gen);
    pr_image_remove_tree(tmp);
    pr_image_remove_tree(keys);
    if ((rc = pr_clone_tree(&c, g->image_root, tmp)) < 0) {
        pr_image_remove_tree(tmp);
        if (c.too_deep)
            return gen_fail(g, rc, "the image's root is deeper than %d levels", PR_CLONE_DEPTH_MAX);
        return gen_fail(g, rc, "copying the image's root (%s, at %s): %s",
                        pr_clone_method_name(g->method), c.failed_at, strerror(-rc));
    }
    g->files = c.files;
    g->bytes = c.bytes;
    if (mkdir(keys, 0700) < 0 && errno != EEXIST)
        return gen_fail(g, -errno, "%s: %s", keys, strerror(errno));
    rc = pr_personalise(&g->personal, tmp, keys);
    pr_image_remove_tree(keys);
    if (rc < 0) {
        pr_image_remove_tree(tmp);
        return gen_fail(g, rc, "personalising the root: %s", g->personal.error);
    }
    int fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        syncfs(fd);
        close(fd);
    }
    if (rename(tmp, final) < 0) {
        pr_image_remove_tree(tmp);
        return gen_fail(g, -errno, "%s: %s", final, strerror(errno));
    }
    g->build_ms = pr_now_ms() - t0;
    return gen_boot(g, final);
}

/* The generation before the current one: what --undo goes back to. */
static int gen_find_previous(struct gen_job *g, const char *current_link)
{
    char target[PR_PATH_MAX];
    unsigned cur = 0, highest, prev;
    ssize_t n = readlink(current_link, target, sizeof(target) - 1);
    if (n > 0) {
        target[n] = '\0';
        const char *base = strrchr(target, '/');
        if (sscanf(base ? base + 1 : target, "gen-%u", &cur) != 1)
            cur = 0;
    }
    if (cur == 0)
        return gen_fail(g, -ENOENT, "the pi has no current generation to undo");
    scan_gens(g->gens, cur, &highest, &prev);
    if (prev == 0)
        return gen_fail(g, -ENOENT, "there is no generation before gen-%u to go back to", cur);
    g->gen = prev;
    return 0;
}

void pr_gen_run(struct gen_job *g)
{
    char link[PR_PATH_MAX + 16];
    int rc;
    if ((rc = pr_mkdir_p(g->gens)) < 0 || (rc = pr_mkdir_p(g->boot_gens)) < 0) {
        gen_fail(g, rc, "cannot make %s: %s", g->gens, strerror(-rc));
        return;
    }
    if (g->undo) {
        /* ROOTS/gens/NNN -> ROOTS/NNN */
        snprintf(link, sizeof(link), "%s", g->gens);
        char *slash = strrchr(link, '/');
        if (slash && slash - link >= 5) {
            *slash = '\0';              /* ROOTS/gens */
            slash = strrchr(link, '/'); /* ROOTS */
            if (slash)
                snprintf(slash, sizeof(link) - (size_t)(slash - link), "/%03u", g->slot);
        }
        gen_find_previous(g, link);
        return;
    }
    gen_build(g);
}
