/* Shared file bytes for transfers; see cache.h. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cache.h"
#include "tftp_internal.h"

#define FIRST_CHUNK (64u * 1024)
#define MAX_CHUNK (4u * 1024 * 1024)
#define NETASCII_MAX (64u * 1024 * 1024)

struct pr_tftp_file {
    struct pr_tftp_file *next; /* in the cache's list */
    dev_t dev;
    ino_t ino;
    off_t disk_size;
    struct timespec mtime, ctime;
    enum pr_tftp_mode mode;
    uint8_t *data;
    uint64_t size;   /* bytes served */
    uint64_t loaded; /* data[0..loaded) is valid */
    size_t chunk;    /* next read size, doubles */
    int fd;          /* open until fully loaded */
    unsigned refs;
    uint64_t idle_since; /* cache clock when refs dropped to 0 */
    bool broken;         /* a read failed or came up short */
};

struct pr_tftp_cache {
    struct pr_tftp_file *head;
    size_t idle_budget;
    uint64_t max_file_bytes;
    uint64_t clock;
    unsigned count;
    uint64_t bytes;
};

struct pr_tftp_cache *pr_tftp_cache_new(size_t idle_budget, uint64_t max_file_bytes)
{
    struct pr_tftp_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->idle_budget = idle_budget;
    c->max_file_bytes = max_file_bytes;
    return c;
}

static void file_free(struct pr_tftp_file *f)
{
    if (f->fd >= 0)
        close(f->fd);
    free(f->data);
    free(f);
}

static void unlink_file(struct pr_tftp_cache *c, struct pr_tftp_file *f)
{
    for (struct pr_tftp_file **pp = &c->head; *pp; pp = &(*pp)->next) {
        if (*pp == f) {
            *pp = f->next;
            c->count--;
            c->bytes -= f->size;
            return;
        }
    }
}

void pr_tftp_cache_free(struct pr_tftp_cache *c)
{
    if (!c)
        return;
    while (c->head) {
        struct pr_tftp_file *f = c->head;
        c->head = f->next;
        file_free(f);
    }
    free(c);
}

static bool same_version(const struct pr_tftp_file *f, const struct stat *st)
{
    return f->disk_size == st->st_size && f->mtime.tv_sec == st->st_mtim.tv_sec &&
           f->mtime.tv_nsec == st->st_mtim.tv_nsec && f->ctime.tv_sec == st->st_ctim.tv_sec &&
           f->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

/* Reads until data[0..want) is valid or the file ends early. */
static bool load_to(struct pr_tftp_file *f, uint64_t want)
{
    if (want > f->size)
        want = f->size;
    if (f->broken)
        return false;
    while (f->loaded < want) {
        uint64_t end = f->loaded + f->chunk;
        if (end < want)
            end = want;
        if (end > f->size)
            end = f->size;
        ssize_t n = pread(f->fd, f->data + f->loaded, (size_t)(end - f->loaded), (off_t)f->loaded);
        if (n <= 0) {
            f->broken = true;
            return false;
        }
        f->loaded += (uint64_t)n;
        if (f->chunk < MAX_CHUNK)
            f->chunk *= 2;
    }
    if (f->loaded == f->size && f->fd >= 0) {
        close(f->fd);
        f->fd = -1;
    }
    return true;
}

/* A netascii file is read and converted whole: such files are small text. */
static int load_netascii(struct pr_tftp_file *f)
{
    uint64_t raw_size = (uint64_t)f->disk_size;
    uint8_t *raw = malloc(raw_size ? raw_size : 1);
    if (!raw)
        return -ENOMEM;
    f->size = raw_size;
    f->data = raw;
    f->chunk = MAX_CHUNK;
    if (!load_to(f, raw_size))
        return -EIO;
    size_t conv = pr_tftp_netascii_encode(raw, raw_size, NULL);
    uint8_t *out = malloc(conv ? conv : 1);
    if (!out)
        return -ENOMEM;
    pr_tftp_netascii_encode(raw, raw_size, out);
    free(raw);
    f->data = out;
    f->size = f->loaded = conv;
    return 0;
}

static int file_new(struct pr_tftp_cache *c, int fd, const struct stat *st, enum pr_tftp_mode mode,
                    struct pr_tftp_file **out)
{
    uint64_t limit = mode == PR_TFTP_NETASCII && c->max_file_bytes > NETASCII_MAX
                         ? NETASCII_MAX
                         : c->max_file_bytes;
    if ((uint64_t)st->st_size > limit)
        return -EFBIG;
    struct pr_tftp_file *f = calloc(1, sizeof *f);
    if (!f)
        return -ENOMEM;
    f->fd = fd;
    f->dev = st->st_dev;
    f->ino = st->st_ino;
    f->disk_size = st->st_size;
    f->mtime = st->st_mtim;
    f->ctime = st->st_ctim;
    f->mode = mode;
    f->chunk = FIRST_CHUNK;
    int rc = 0;
    if (mode == PR_TFTP_NETASCII) {
        rc = load_netascii(f);
    } else {
        f->size = (uint64_t)st->st_size;
        f->data = malloc(f->size ? f->size : 1);
        if (!f->data)
            rc = -ENOMEM;
        else
            load_to(f, 0); /* closes the fd of an empty file */
    }
    if (rc < 0) {
        file_free(f);
        return rc;
    }
    f->refs = 1;
    f->next = c->head;
    c->head = f;
    c->count++;
    c->bytes += f->size;
    *out = f;
    return 0;
}

int pr_tftp_cache_get(struct pr_tftp_cache *c, int fd, enum pr_tftp_mode mode,
                      struct pr_tftp_file **out)
{
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    for (struct pr_tftp_file *f = c->head; f; f = f->next) {
        if (f->dev != st.st_dev || f->ino != st.st_ino || f->mode != mode)
            continue;
        if (same_version(f, &st) && !f->broken) {
            f->refs++;
            close(fd);
            *out = f;
            return 0;
        }
        /* Changed on disk: new transfers get a fresh read; running ones
         * keep this copy until they end. */
        unlink_file(c, f);
        if (f->refs == 0)
            file_free(f);
        break;
    }
    int rc = file_new(c, fd, &st, mode, out);
    if (rc == -EFBIG)
        close(fd); /* file_new closed it on every other failure */
    return rc;
}

static bool in_cache(const struct pr_tftp_cache *c, const struct pr_tftp_file *f)
{
    for (const struct pr_tftp_file *g = c->head; g; g = g->next)
        if (g == f)
            return true;
    return false;
}

/* Drops idle files, oldest first, until they fit the budget. */
static void trim(struct pr_tftp_cache *c)
{
    for (;;) {
        uint64_t idle = 0;
        struct pr_tftp_file *oldest = NULL;
        for (struct pr_tftp_file *f = c->head; f; f = f->next) {
            if (f->refs)
                continue;
            idle += f->size;
            if (!oldest || f->idle_since < oldest->idle_since)
                oldest = f;
        }
        if (!oldest || idle <= c->idle_budget)
            return;
        unlink_file(c, oldest);
        file_free(oldest);
    }
}

void pr_tftp_cache_put(struct pr_tftp_cache *c, struct pr_tftp_file *f)
{
    if (!f || --f->refs > 0)
        return;
    /* A file that left the cache (changed on disk), failed, or was only
     * partly read goes now: keeping it would hold an fd per probe. */
    if (!in_cache(c, f)) {
        file_free(f);
        return;
    }
    if (f->broken || f->loaded < f->size) {
        unlink_file(c, f);
        file_free(f);
        return;
    }
    f->idle_since = ++c->clock;
    trim(c);
}

uint64_t pr_tftp_file_size(const struct pr_tftp_file *f)
{
    return f->size;
}

const uint8_t *pr_tftp_file_bytes(struct pr_tftp_file *f, uint64_t off, size_t len)
{
    if (off + len > f->size)
        return NULL;
    if (off + len > f->loaded && !load_to(f, off + len))
        return NULL;
    return f->data + off;
}

unsigned pr_tftp_cache_count(const struct pr_tftp_cache *c)
{
    return c->count;
}
uint64_t pr_tftp_cache_bytes(const struct pr_tftp_cache *c)
{
    return c->bytes;
}
