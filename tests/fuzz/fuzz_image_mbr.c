/* libFuzzer: a disk image's first sector (daemon/image/mbr.c) with any
 * image size.  Every partition it accepts lies inside the image, starts
 * past sector 0, overlaps no other, and the pick is among them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "daemon/image/image_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t image_bytes = 0;
    struct pr_mbr m;
    char why[128];

    if (size < 8)
        return 0;
    memcpy(&image_bytes, data, 8);
    if (pr_mbr_parse(data + 8, size - 8, image_bytes, &m, why, sizeof(why)) < 0) {
        if (!memchr(why, '\0', sizeof(why)) || !why[0])
            abort();
        return 0;
    }
    if (m.n == 0 || m.n > 4)
        abort();
    for (unsigned i = 0; i < m.n; i++) {
        const struct pr_mbr_part *p = &m.part[i];
        if (p->start_lba == 0 || p->sectors == 0 ||
            (p->start_lba + p->sectors) * PR_MBR_SECTOR > image_bytes)
            abort();
        for (unsigned j = 0; j < i; j++)
            if (p->start_lba < m.part[j].start_lba + m.part[j].sectors &&
                m.part[j].start_lba < p->start_lba + p->sectors)
                abort();
    }
    const struct pr_mbr_part *boot, *root;
    if (pr_mbr_pick(&m, &boot, &root, why, sizeof(why)) == 0 &&
        (boot < m.part || boot >= m.part + m.n || root < m.part || root >= m.part + m.n ||
         boot == root))
        abort();
    return 0;
}
