/* image/xattr: the extended attributes of a disk image's root, which
 * debugfs rdump leaves behind.  Raspberry Pi OS gives some programs file
 * capabilities (security.capability on /usr/bin/ping); an image that
 * lost them is not the image the operator imported.
 *
 * Two debugfs batches over the partition: `ea_list` for every entry the
 * rdump wrote, then `ea_get -f` for each attribute found, whose value is
 * set on the dumped file with lsetxattr.  Worker thread. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "image_internal.h"

#define EA_VALUE_MAX 65536

/* nftw has no context argument; each worker runs one job at a time. */
static __thread struct {
    FILE *cmds;
    size_t root_len;
} list_walk;

/* debugfs splits its commands on spaces and takes "..." as one word; a
 * path with a quote, backslash or newline cannot be said to it. */
static bool ea_word_safe(const char *s)
{
    return !strpbrk(s, "\"\\\n\r");
}

static int list_entry(const char *path, const struct stat *stb, int flag, struct FTW *ftw)
{
    const char *rel = path + list_walk.root_len;
    (void)stb, (void)flag, (void)ftw;
    if (ea_word_safe(rel))
        fprintf(list_walk.cmds, "ea_list \"%s\"\n", *rel ? rel : "/");
    return 0;
}

/* Which attributes are copied: all but ext4's own system.* (inline data
 * and the like), except POSIX ACLs, which debugfs gives in the form
 * setxattr takes. */
static bool ea_wanted(const char *name)
{
    return strncmp(name, "system.", 7) != 0 || !strcmp(name, "system.posix_acl_access") ||
           !strcmp(name, "system.posix_acl_default");
}

static int ea_batch(const char *spec, const char *cmds, const char *out, char *err, size_t errlen)
{
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", out, strerror(errno));
        return -errno;
    }
    const char *argv[] = { "debugfs", "-f", cmds, spec, NULL };
    int rc = pr_image_tool(NULL, argv, fd, err, errlen);
    close(fd);
    return rc;
}

/* Reads ea_list's answers (out) and writes an ea_get per wanted attribute
 * into cmds; names[i] is "REL\0NAME" for value file dir/i. */
static int plan_gets(const char *out, const char *cmds, const char *dir, char ***names, size_t *n)
{
    FILE *in = fopen(out, "r"), *o = fopen(cmds, "w");
    char *line = NULL, *rel = NULL;
    size_t cap = 0;
    int rc = 0;

    if (!in || !o)
        rc = -errno;
    while (rc == 0 && getline(&line, &cap, in) > 0) {
        char name[256];
        size_t len;
        line[strcspn(line, "\n")] = '\0';
        if (!strncmp(line, "debugfs: ea_list \"", 18)) {
            free(rel);
            rel = strndup(line + 18, strlen(line + 18) - 1);
            continue;
        }
        if (!rel || sscanf(line, "  %255s (%zu)", name, &len) != 2 || !ea_wanted(name) ||
            !ea_word_safe(name) || strchr(name, ' '))
            continue;
        char **grown = realloc(*names, (*n + 1) * sizeof(**names));
        size_t rl = strlen(rel), nl = strlen(name);
        char *pair = malloc(rl + nl + 2);
        if (!grown || !pair) {
            if (grown)
                *names = grown;
            free(pair);
            rc = -ENOMEM;
            break;
        }
        *names = grown;
        memcpy(pair, rel, rl + 1);
        memcpy(pair + rl + 1, name, nl + 1);
        (*names)[*n] = pair;
        fprintf(o, "ea_get -f \"%s/%zu\" \"%s\" %s\n", dir, *n, rel, name);
        (*n)++;
    }
    free(line);
    free(rel);
    if (in)
        fclose(in);
    if (o && fclose(o) != 0 && rc == 0)
        rc = -EIO;
    return rc;
}

/* Sets each fetched value on the dumped file.  A capability that cannot
 * be set fails the import; other attributes a filesystem does not take
 * are left out. */
static int apply_values(const char *root, const char *dir, char **names, size_t n, uint64_t *copied,
                        char *err, size_t errlen)
{
    static __thread char value[EA_VALUE_MAX];
    char path[PR_PATH_MAX * 2 + 64];

    for (size_t i = 0; i < n; i++) {
        const char *rel = names[i], *name = rel + strlen(rel) + 1;
        snprintf(path, sizeof(path), "%s/%zu", dir, i);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue; /* debugfs could not read it: a misread ea_list line */
        ssize_t len = read(fd, value, sizeof(value));
        close(fd);
        if (len < 0)
            continue;
        snprintf(path, sizeof(path), "%s%s", root, rel);
        if (lsetxattr(path, name, value, (size_t)len, 0) == 0) {
            (*copied)++;
            continue;
        }
        if (errno == EOPNOTSUPP && strcmp(name, "security.capability") != 0)
            continue;
        snprintf(err, errlen, "%.300s: %s: %s", rel, name, strerror(errno));
        return -errno;
    }
    return 0;
}

int pr_image_disk_xattrs(const char *spec, const char *root, const char *work, uint64_t *copied,
                         char *err, size_t errlen)
{
    char dir[PR_PATH_MAX + 64], cmds[PR_PATH_MAX + 64], out[PR_PATH_MAX + 64];
    char **names = NULL;
    size_t n = 0;
    int rc;

    *copied = 0;
    snprintf(dir, sizeof(dir), "%s/ea", work);
    snprintf(cmds, sizeof(cmds), "%s/ea.cmds", work);
    snprintf(out, sizeof(out), "%s/ea.out", work);
    if (mkdir(dir, 0700) < 0 || !(list_walk.cmds = fopen(cmds, "w"))) {
        snprintf(err, errlen, "%s: %s", work, strerror(errno));
        return -errno;
    }
    list_walk.root_len = strlen(root);
    /* Past PATH_MAX the walk stops: what deeper cannot be named by path. */
    nftw(root, list_entry, 16, FTW_PHYS | FTW_MOUNT);
    rc = fclose(list_walk.cmds) == 0 ? 0 : -EIO;
    if (rc == 0 && (rc = ea_batch(spec, cmds, out, err, errlen)) == 0 &&
        (rc = plan_gets(out, cmds, dir, &names, &n)) < 0)
        snprintf(err, errlen, "reading debugfs's ea_list: %s", strerror(-rc));
    if (rc == 0 && n > 0 && (rc = ea_batch(spec, cmds, out, err, errlen)) == 0)
        rc = apply_values(root, dir, names, n, copied, err, errlen);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    unlink(cmds);
    unlink(out);
    pr_image_remove_tree(dir);
    return rc;
}
