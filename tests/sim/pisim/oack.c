/* pisim: the OACK's option list, parsed.  Pure (the fuzzer includes this
 * file): the Pi accepts only what it asked for, with values in range. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "pisim.h"

/* Parses "name\0value\0" pairs.  Returns 0, or -1 when malformed or a value
 * is out of range. */
int tftp_parse_oack(const uint8_t *p, size_t len, uint64_t *tsize, unsigned *blksize)
{
    size_t i = 0;
    while (i < len) {
        const uint8_t *name = p + i, *end = memchr(name, 0, len - i);
        if (!end)
            return -1;
        i = (size_t)(end - p) + 1;
        if (i >= len)
            return -1;
        const uint8_t *val = p + i, *vend = memchr(val, 0, len - i);
        if (!vend || vend == val || vend - val > 20)
            return -1;
        i = (size_t)(vend - p) + 1;
        char *stop;
        unsigned long long v = strtoull((const char *)val, &stop, 10);
        if (*stop != '\0' || val[0] < '0' || val[0] > '9')
            return -1;
        if (strcasecmp((const char *)name, "tsize") == 0) {
            *tsize = v;
        } else if (strcasecmp((const char *)name, "blksize") == 0) {
            if (v < 8 || v > 65464)
                return -1;
            *blksize = (unsigned)v;
        } else {
            return -1; /* an option we did not ask for */
        }
    }
    return 0;
}
