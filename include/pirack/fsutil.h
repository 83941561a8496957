/* fsutil: the few file-system chores several modules share. */
#ifndef PIRACK_FSUTIL_H
#define PIRACK_FSUTIL_H

#include <stddef.h>

/* mkdir -p with mode 0755.  Returns 0 or -errno. */
int pr_mkdir_p(const char *path);
/* Makes the directory that will hold file (everything before the last /). */
int pr_mkdir_parent(const char *file);

/* Writes all len bytes of data to fd, again after a short write or
 * EINTR.  Returns 0 or -errno. */
int pr_write_all(int fd, const void *data, size_t len);

/* Writes data to path atomically: a temporary file in the same directory,
 * fsync, chmod mode, rename, fsync of the directory.  A reader sees the
 * old file or the new one, never a part.  Returns 0 or -errno. */
int pr_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode);

#endif
