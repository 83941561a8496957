/* core internals, shared by daemon/core/ and its tests. */
#ifndef PIRACK_CORE_INTERNAL_H
#define PIRACK_CORE_INTERNAL_H

#include "pirack/loop.h"
#include "pirack/metrics.h"

/* Removes the family called name: 0 or -ENOENT. */
int pr_metrics_unregister(struct pr_metrics *m, const char *name);

/* From pirack/loop.h: what only this folder and its tests call (the comments
 * there describe them with their family). */
int pr_loop_mod_fd(struct pr_loop *loop, int fd, uint32_t events);

#include "pirack/log.h"

/* Whether a line at this level would be written now. */
bool pr_log_enabled(enum pr_log_level level);
/* Whether stderr is systemd's journal ($JOURNAL_STREAM names it). */
bool pr_log_to_journal(void);

#endif
