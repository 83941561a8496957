/* The words of a result and the helpers that fill one in: action and
 * detection names, the failure message, which errors are worth another
 * attempt.  The drivers (snmp.c, ssh.c) report through these and conn.c
 * reads them, so that the drivers never call back into conn.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "poe_internal.h"

static const char *const action_names[] = {
    [PR_POE_STATUS] = "status",
    [PR_POE_ON] = "on",
    [PR_POE_OFF] = "off",
    [PR_POE_CYCLE] = "cycle",
};

const char *pr_poe_action_name(enum pr_poe_action a)
{
    return (unsigned)a < sizeof(action_names) / sizeof(action_names[0]) ? action_names[a] : "?";
}

int pr_poe_action_parse(const char *s)
{
    for (size_t i = 0; i < sizeof(action_names) / sizeof(action_names[0]); i++)
        if (!strcmp(s, action_names[i]))
            return (int)i;
    return -1;
}

const char *pr_poe_detect_name(enum pr_poe_detect d)
{
    static const char *const names[] = { "unknown", "disabled", "searching",  "delivering",
                                         "fault",   "test",     "other-fault" };
    return (unsigned)d < sizeof(names) / sizeof(names[0]) ? names[d] : "unknown";
}

int pr_poe_fail(struct pr_poe_result *r, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof(r->message), fmt, ap);
    va_end(ap);
    r->err = err;
    return err;
}

bool pr_poe_error_transient(int err)
{
    switch (-err) {
    case ETIMEDOUT:
    case ECONNREFUSED:
    case ECONNRESET:
    case EPIPE:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case EAGAIN:
    case EIO:
    case ENOTCONN:
        return true;
    default:
        return false;
    }
}

void pr_poe_result_clear(struct pr_poe_result *r)
{
    if (!r)
        return;
    free(r->ports);
    memset(r, 0, sizeof(*r));
}
