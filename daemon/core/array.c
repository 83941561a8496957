/* core/array: doubling growth for plain arrays (see array.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pirack/array.h"

int pr_array_grow(void *arrayp, size_t n, size_t *cap, size_t elem, size_t first)
{
    void *v, *grown;

    if (n < *cap)
        return 0;
    if (*cap > SIZE_MAX / 2)
        return -ENOMEM;
    size_t want = *cap ? *cap * 2 : first;
    if (want <= n || elem == 0 || want > SIZE_MAX / elem)
        return -ENOMEM;
    /* The caller's pointer is a T *, not a void *: copy it, don't alias it. */
    memcpy(&v, arrayp, sizeof v);
    grown = realloc(v, want * elem);
    if (!grown)
        return -ENOMEM;
    memcpy(arrayp, &grown, sizeof grown);
    *cap = want;
    return 0;
}
