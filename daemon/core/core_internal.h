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

#endif
