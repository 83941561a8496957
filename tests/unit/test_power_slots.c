/* power/slots: the slot specs of the power routes ("3", "2-5", "1,4-6",
 * "all"), which slots they select and how many. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/power/service.h"

#define RACK 4096

static unsigned char sel[RACK + 2];

static int parse(const char *spec, unsigned slots)
{
    memset(sel, 0, sizeof sel);
    return pr_power_parse_slots(spec, slots, sel);
}

static int selected(unsigned slots)
{
    int n = 0;
    for (unsigned s = 1; s <= slots; s++)
        n += sel[s];
    return n;
}

/* A list selects each slot once and counts it once, however often and in
 * whatever order it is named. */
static void lists_count_each_slot_once(void **state)
{
    (void)state;
    assert_int_equal(parse("3", 8), 1);
    assert_true(sel[3]);
    assert_int_equal(parse("2-5,4-7,5", 8), 6);
    for (unsigned s = 1; s <= 8; s++)
        assert_int_equal(sel[s], s >= 2 && s <= 7);
    assert_int_equal(parse("8,1", 8), 2);
    assert_true(sel[1] && sel[8]);
    assert_int_equal(selected(8), 2);
    assert_int_equal(parse("all", 8), 8);
    assert_int_equal(selected(8), 8);
    assert_int_equal(sel[0], 0);
    assert_int_equal(sel[9], 0); /* nothing past the rack */
}

/* The whole rack named over and over (what the fuzzer found slow) is the
 * whole rack once. */
static void the_rack_named_many_times(void **state)
{
    char spec[256] = "";
    (void)state;
    while (strlen(spec) + 8 < sizeof spec)
        strcat(spec, spec[0] ? ",1-4096" : "1-4096");
    assert_int_equal(parse(spec, RACK), RACK);
    assert_int_equal(selected(RACK), RACK);
    assert_int_equal(sel[RACK + 1], 0);
}

/* Bad specs are refused with the reason: not a spec, or past the rack. */
static void refuses_what_is_not_a_slot(void **state)
{
    (void)state;
    assert_int_equal(parse("", 8), -EINVAL);
    assert_int_equal(parse("x", 8), -EINVAL);
    assert_int_equal(parse("1-", 8), -EINVAL);
    assert_int_equal(parse("1,,2", 8), -EINVAL);
    assert_int_equal(parse("0", 8), -ERANGE);
    assert_int_equal(parse("9", 8), -ERANGE);
    assert_int_equal(parse("5-3", 8), -ERANGE);
    assert_int_equal(parse("1-9", 8), -ERANGE);
    assert_int_equal(sel[9], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lists_count_each_slot_once),
        cmocka_unit_test(the_rack_named_many_times),
        cmocka_unit_test(refuses_what_is_not_a_slot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
