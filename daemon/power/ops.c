/* power/ops: the power service's state in memory, read without the daemon: the ops in
 * flight and the switch that serves a slot.  Below service.c and
 * service_sched.c. */
#include <stdlib.h>

#include "state.h"

struct power_switch *pr_power_switch_of(struct pr_power_service *svc, unsigned slot, unsigned *port)
{
    for (unsigned i = 0; i < svc->n_switches; i++) {
        struct power_switch *ps = &svc->switches[i];

        if (slot >= ps->cfg.first_slot && slot <= ps->cfg.last_slot) {
            *port = ps->cfg.port_base + (slot - ps->cfg.first_slot);
            return ps;
        }
    }
    return NULL;
}

struct power_op *pr_power_op_of(struct pr_power_service *svc, unsigned slot)
{
    for (struct power_op *op = svc->ops; op; op = op->next)
        if (op->slot == slot)
            return op;
    return NULL;
}

void pr_power_op_remove(struct pr_power_service *svc, struct power_op *op)
{
    for (struct power_op **pp = &svc->ops; *pp; pp = &(*pp)->next)
        if (*pp == op) {
            *pp = op->next;
            break;
        }
    free(op);
}
