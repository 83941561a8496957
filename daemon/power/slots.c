/* The slot specs of the power routes ("N", "N-M", comma lists of those,
 * "all"): see pr_power_parse_slots() in service.h.  Pure, apart from the
 * service, so that the fuzzer links it alone. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/power/service.h"

/* Marks selected[a..b] and returns how many were not marked yet.  Only
 * the unmarked slots are visited (memchr skips the rest), so a spec that
 * names the whole rack over and over ("1-4096,1-4096,...") costs no more
 * than one that names it once. */
static int select_range(unsigned char *selected, unsigned long a, unsigned long b)
{
    unsigned char *p = selected + a, *end = selected + b + 1;
    int added = 0;

    while ((p = memchr(p, 0, (size_t)(end - p))) != NULL) {
        *p++ = 1;
        added++;
    }
    return added;
}

int pr_power_parse_slots(const char *spec, unsigned n_slots, unsigned char *selected)
{
    int count = 0;
    const char *p = spec;

    if (!strcmp(spec, "all")) {
        memset(selected + 1, 1, n_slots);
        return (int)n_slots;
    }
    while (*p) {
        unsigned long a, b;
        char *end;

        if (!isdigit((unsigned char)*p))
            return -EINVAL;
        a = strtoul(p, &end, 10);
        b = a;
        if (*end == '-') {
            if (!isdigit((unsigned char)end[1]))
                return -EINVAL;
            b = strtoul(end + 1, &end, 10);
        }
        if (a < 1 || b < a || b > n_slots)
            return -ERANGE;
        count += select_range(selected, a, b);
        if (*end == ',')
            end++;
        else if (*end)
            return -EINVAL;
        p = end;
    }
    return count ? count : -EINVAL;
}
