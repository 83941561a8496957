/* array: room for one more element in a growable array, for the modules
 * that keep plain { T *v; size_t n, cap; } lists. */
#ifndef PIRACK_ARRAY_H
#define PIRACK_ARRAY_H

#include <stddef.h>

/* arrayp is the address of the array's pointer (a T **, NULL or
 * malloc'd) holding n elements of elem bytes in room for *cap.  When
 * n == *cap the array is reallocated to twice *cap (first when *cap is 0)
 * and *cap updated; otherwise nothing changes.  Returns 0, or -ENOMEM
 * (also when the size would overflow) with the array untouched. */
int pr_array_grow(void *arrayp, size_t n, size_t *cap, size_t elem, size_t first);

#endif
