/* libFuzzer: the power API's slot selection ("N", "N-M", comma lists,
 * "all"; daemon/http/power.c) on any text, for racks of 1 to 4096
 * slots.  What it selects must stay within the rack.
 *
 * The selection lives in one static buffer whose bytes past the rack
 * are poisoned for ASan, which catches a write past slots + 1 as a
 * calloc'd buffer's redzone would, without a fresh 4 KiB allocation
 * (and its page faults) per input. */
#include <sanitizer/asan_interface.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "daemon/power/service.h"

#define MAX_SLOTS 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The harness's own check, left out of coverage: it visits every slot
 * and would otherwise cost more than the parser. */
__attribute__((no_sanitize("coverage"))) static int count_selected(const unsigned char *sel,
                                                                   unsigned slots)
{
    int count = 0;
    for (unsigned s = 1; s <= slots; s++)
        count += sel[s];
    return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned char buf[MAX_SLOTS + 2];
    if (size < 2 || size > 256)
        return 0;
    unsigned slots = (unsigned)(data[0] | (data[1] & 0x0f) << 8) + 1;
    char spec[256];
    unsigned char *sel = buf;

    memcpy(spec, data + 2, size - 2);
    spec[size - 2] = '\0';
    ASAN_UNPOISON_MEMORY_REGION(buf, sizeof buf);
    memset(sel, 0, slots + 1);
    sel[slots + 1] = 0xaa; /* a canary past the rack */
    ASAN_POISON_MEMORY_REGION(sel + slots + 2, sizeof buf - (slots + 2));
    int n = pr_power_parse_slots(spec, slots, sel);
    int count = count_selected(sel, slots);
    if (sel[0] || sel[slots + 1] != 0xaa || (n > 0 && n != count))
        abort();
    return 0;
}
