/* core internals, shared by daemon/core/ and its tests. */
#ifndef PIRACK_CORE_INTERNAL_H
#define PIRACK_CORE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include "pirack/loop.h"
#include "pirack/metrics.h"

/* log.c's decision, pure: whether JOURNAL_STREAM ("DEV:INO" in decimal,
 * or NULL when unset) names the file whose st_dev and st_ino are dev and
 * ino, i.e. whether stderr is the journal's stream. */
bool pr_log_journal_stream_matches(const char *journal_stream, uint64_t dev, uint64_t ino);

/* True after pr_log_init() found the journal on stderr. */
bool pr_log_to_journal(void);

/* Removes the family called name: 0 or -ENOENT. */
int pr_metrics_unregister(struct pr_metrics *m, const char *name);

/* From pirack/loop.h: what only this folder and its tests call (the comments
 * there describe them with their family). */
int pr_loop_mod_fd(struct pr_loop *loop, int fd, uint32_t events);

#endif
