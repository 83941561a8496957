/* The file cache, private to tftp/: each file's bytes are read once and
 * shared by every transfer that reads it.  Entries are keyed by (device,
 * inode, mode) and checked against size, mtime and ctime on every open, so
 * a replaced or rewritten file is read again (transfers already running
 * keep the version they started with).  Octet files are read lazily, a
 * growing chunk at a time, so a probe that stops after block 1 costs one
 * small read; unreferenced files stay within a byte budget. */
#ifndef PIRACK_TFTP_CACHE_H
#define PIRACK_TFTP_CACHE_H

#include <stdint.h>
#include "pirack/tftp.h"

struct pr_tftp_cache;
struct pr_tftp_file;

struct pr_tftp_cache *pr_tftp_cache_new(size_t idle_budget, uint64_t max_file_bytes);
void pr_tftp_cache_free(struct pr_tftp_cache *c); /* accepts NULL */

/* Takes ownership of fd (closed here or kept for lazy reads).  Returns 0
 * and a referenced file, or -EFBIG / -ENOMEM / -EIO. */
int pr_tftp_cache_get(struct pr_tftp_cache *c, int fd, enum pr_tftp_mode mode,
                      struct pr_tftp_file **out);
void pr_tftp_cache_put(struct pr_tftp_cache *c, struct pr_tftp_file *f);

/* The size that a transfer sends (netascii: after conversion). */
uint64_t pr_tftp_file_size(const struct pr_tftp_file *f);
/* len bytes at off, reading them first if needed; NULL when the file
 * can no longer be read (it shrank, or a read failed). */
const uint8_t *pr_tftp_file_bytes(struct pr_tftp_file *f, uint64_t off, size_t len);

unsigned pr_tftp_cache_count(const struct pr_tftp_cache *c);
uint64_t pr_tftp_cache_bytes(const struct pr_tftp_cache *c);

#endif
