/* services: starts and stops every service in dependency order.  One
 * list, so the order that start-up and shut-down follow is in one place. */
#include <string.h>

#include "daemon.h"

struct service {
    const char *name;
    int (*start)(struct pr_daemon *d);
    void (*stop)(struct pr_daemon *d);
};

static const struct service services[] = {
    { NULL, NULL, NULL },
};

int pr_daemon_services_start(struct pr_daemon *d)
{
    for (const struct service *s = services; s->name; s++) {
        int r = s->start(d);

        if (r < 0) {
            pr_err("cannot start %s: %s", s->name, strerror(-r));
            return r;
        }
    }
    return 0;
}

void pr_daemon_services_stop(struct pr_daemon *d)
{
    size_t n = 0;

    while (services[n].name)
        n++;
    while (n-- > 0)
        services[n].stop(d);
}
