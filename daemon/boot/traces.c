/* boot/traces: retention of the pcap files that failed boots leave under
 * [paths] traces.  Only files named as pr_capture_save() names them
 * (slot-*.pcap) are ever deleted, oldest (by mtime) first. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture_service.h"

struct trace_file {
    char name[256];
    int64_t mtime_ms;
};

static int newest_first(const void *a, const void *b)
{
    const struct trace_file *x = a, *y = b;

    if (x->mtime_ms != y->mtime_ms)
        return x->mtime_ms < y->mtime_ms ? 1 : -1;
    return strcmp(y->name, x->name);
}

/* The dir's trace files, newest first, in a malloc'd array. */
static int list_traces(DIR *dir, struct trace_file **out, size_t *n)
{
    struct trace_file *files = NULL;
    size_t cap = 0;
    struct dirent *e;
    struct stat st;

    *n = 0;
    while ((e = readdir(dir))) {
        if (fnmatch("slot-*.pcap", e->d_name, 0) != 0 || strlen(e->d_name) >= 256)
            continue;
        if (fstatat(dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
            continue;
        if (*n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            struct trace_file *grown = realloc(files, ncap * sizeof(*grown));

            if (!grown) {
                free(files);
                return -ENOMEM;
            }
            files = grown;
            cap = ncap;
        }
        snprintf(files[*n].name, sizeof(files[*n].name), "%s", e->d_name);
        files[*n].mtime_ms = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
        (*n)++;
    }
    if (*n)
        qsort(files, *n, sizeof(*files), newest_first);
    *out = files;
    return 0;
}

int pr_traces_prune(const char *path, int64_t now_ms, uint64_t max_age_ms, unsigned max_count)
{
    struct trace_file *files = NULL;
    size_t n;
    int deleted = 0, err;
    DIR *dir;

    if (max_age_ms == 0 && max_count == 0)
        return 0;
    dir = opendir(path);
    if (!dir)
        return errno == ENOENT ? 0 : -errno; /* no failed boot yet */
    err = list_traces(dir, &files, &n);
    for (size_t i = 0; err == 0 && i < n; i++) {
        bool too_many = max_count && i >= max_count;
        bool too_old = max_age_ms && now_ms - files[i].mtime_ms > (int64_t)max_age_ms;

        if (!too_many && !too_old)
            continue;
        if (unlinkat(dirfd(dir), files[i].name, 0) == 0)
            deleted++;
        else if (errno != ENOENT)
            err = -errno;
    }
    free(files);
    closedir(dir);
    return err < 0 ? err : deleted;
}
