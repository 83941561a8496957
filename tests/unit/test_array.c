/* array: the doubling growth the route, map and power lists share. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>

#include "pirack/array.h"

struct item {
    int id;
    char pad[60];
};

/* Appending 100 items grows 4, 8, ... 128 and keeps every item. */
static void grows_by_doubling(void **state)
{
    struct item *v = NULL;
    size_t n = 0, cap = 0;
    (void)state;
    for (int i = 0; i < 100; i++) {
        size_t was = cap;
        assert_int_equal(pr_array_grow(&v, n, &cap, sizeof *v, 4), 0);
        if (n < was)
            assert_int_equal(cap, was); /* room left: untouched */
        else
            assert_int_equal(cap, was ? was * 2 : 4);
        v[n++].id = i;
    }
    assert_int_equal(cap, 128);
    for (int i = 0; i < 100; i++)
        assert_int_equal(v[i].id, i);
    free(v);
}

/* A size that would overflow, or no first size, is -ENOMEM and leaves the
 * array as it was. */
static void refuses_without_touching(void **state)
{
    struct item *v = NULL, *before;
    size_t cap = 0;
    (void)state;
    assert_int_equal(pr_array_grow(&v, 0, &cap, sizeof *v, 0), -ENOMEM);
    assert_null(v);
    assert_int_equal(cap, 0);
    assert_int_equal(pr_array_grow(&v, 0, &cap, sizeof *v, 2), 0);
    before = v;
    v[0].id = 7;
    cap = SIZE_MAX / 2 + 1; /* as if full and huge */
    assert_int_equal(pr_array_grow(&v, cap, &cap, sizeof *v, 2), -ENOMEM);
    assert_ptr_equal(v, before);
    cap = SIZE_MAX / sizeof *v; /* doubling overflows the bytes */
    assert_int_equal(pr_array_grow(&v, cap, &cap, sizeof *v, 2), -ENOMEM);
    assert_ptr_equal(v, before);
    assert_int_equal(cap, SIZE_MAX / sizeof *v);
    assert_int_equal(v[0].id, 7);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(grows_by_doubling),
        cmocka_unit_test(refuses_without_touching),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
