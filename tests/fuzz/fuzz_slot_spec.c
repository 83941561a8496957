/* libFuzzer: the power API's slot selection ("N", "N-M", comma lists,
 * "all"; daemon/http/power.c) on any text, for racks of 1 to 4096
 * slots.  What it selects must stay within the rack. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "daemon/power/service.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > 256)
        return 0;
    unsigned slots = (unsigned)(data[0] | (data[1] & 0x0f) << 8) + 1;
    char spec[256];
    unsigned char *sel = calloc(slots + 2, 1);

    memcpy(spec, data + 2, size - 2);
    spec[size - 2] = '\0';
    sel[slots + 1] = 0xaa; /* a canary past the rack */
    int n = pr_power_parse_slots(spec, slots, sel);
    int count = 0;
    for (unsigned s = 1; s <= slots; s++)
        count += sel[s];
    if (sel[0] || sel[slots + 1] != 0xaa || (n > 0 && n != count))
        abort();
    free(sel);
    return 0;
}
