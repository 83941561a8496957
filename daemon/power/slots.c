/* The slot specs of the power routes ("N", "N-M", comma lists of those,
 * "all"): see pr_power_parse_slots() in service.h.  Pure, apart from the
 * service, so that the fuzzer links it alone. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/power/service.h"

int pr_power_parse_slots(const char *spec, unsigned n_slots, unsigned char *selected)
{
    int count = 0;
    const char *p = spec;

    if (!strcmp(spec, "all")) {
        for (unsigned s = 1; s <= n_slots; s++)
            selected[s] = 1;
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
        for (unsigned long s = a; s <= b; s++)
            if (!selected[s]) {
                selected[s] = 1;
                count++;
            }
        if (*end == ',')
            end++;
        else if (*end)
            return -EINVAL;
        p = end;
    }
    return count ? count : -EINVAL;
}
