/* core internals, shared by daemon/core/ and its tests. */
#ifndef PIRACK_CORE_INTERNAL_H
#define PIRACK_CORE_INTERNAL_H

#include "pirack/metrics.h"

/* Removes the family called name: 0 or -ENOENT. */
int pr_metrics_unregister(struct pr_metrics *m, const char *name);

#endif
