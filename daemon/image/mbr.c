/* image/mbr: pure: a disk image's MBR partition table, read from its
 * first sector, and the two partitions a Raspberry Pi OS image has (a FAT
 * boot partition and a Linux root).  The table is outside input: every
 * entry is checked against the image's size before anyone reads there. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "image_internal.h"

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int fail(char *why, size_t whylen, const char *msg, unsigned idx)
{
    if (why && whylen)
        snprintf(why, whylen, msg, idx);
    return -EINVAL;
}

static bool is_extended(uint8_t type)
{
    return type == 0x05 || type == 0x0f || type == 0x85;
}

/* Two entries that share a sector would let one filesystem's bytes be read
 * as the other's. */
static bool overlaps(const struct pr_mbr_part *a, const struct pr_mbr_part *b)
{
    return a->start_lba < b->start_lba + b->sectors && b->start_lba < a->start_lba + a->sectors;
}

static int check_entry(const uint8_t *e, unsigned idx, uint64_t image_bytes, struct pr_mbr_part *p,
                       char *why, size_t whylen)
{
    if (e[0] != 0x00 && e[0] != 0x80)
        return fail(why, whylen, "partition %u: bad status byte (not an MBR?)", idx + 1);
    p->bootable = e[0] == 0x80;
    p->type = e[4];
    p->start_lba = le32(e + 8);
    p->sectors = le32(e + 12);
    p->index = idx + 1;
    if (p->type == 0xee)
        return fail(why, whylen, "partition %u: a GPT disk (only MBR images are read)", idx + 1);
    if (p->start_lba == 0 || p->sectors == 0)
        return fail(why, whylen, "partition %u: starts at sector 0 or is empty", idx + 1);
    if ((p->start_lba + p->sectors) * PR_MBR_SECTOR > image_bytes)
        return fail(why, whylen, "partition %u: ends past the end of the image", idx + 1);
    return 0;
}

int pr_mbr_parse(const uint8_t *sector, size_t len, uint64_t image_bytes, struct pr_mbr *out,
                 char *why, size_t whylen)
{
    memset(out, 0, sizeof(*out));
    if (len < PR_MBR_SECTOR)
        return fail(why, whylen, "shorter than one sector%.0u", 0);
    if (sector[510] != 0x55 || sector[511] != 0xaa)
        return fail(why, whylen, "no MBR signature (not a disk image)%.0u", 0);
    for (unsigned i = 0; i < 4; i++) {
        const uint8_t *e = sector + 446 + 16 * i;
        struct pr_mbr_part p;

        if (e[4] == 0) /* an unused entry */
            continue;
        if (check_entry(e, i, image_bytes, &p, why, whylen) < 0)
            return -EINVAL;
        if (is_extended(p.type)) /* logical partitions are not followed */
            continue;
        for (unsigned j = 0; j < out->n; j++)
            if (overlaps(&p, &out->part[j]))
                return fail(why, whylen, "partition %u overlaps another", i + 1);
        out->part[out->n++] = p;
    }
    if (out->n == 0)
        return fail(why, whylen, "the partition table is empty%.0u", 0);
    return 0;
}

static bool is_fat(uint8_t type)
{
    return type == 0x01 || type == 0x04 || type == 0x06 || type == 0x0b || type == 0x0c ||
           type == 0x0e;
}

int pr_mbr_pick(const struct pr_mbr *m, const struct pr_mbr_part **boot,
                const struct pr_mbr_part **root, char *why, size_t whylen)
{
    *boot = *root = NULL;
    for (unsigned i = 0; i < m->n; i++) {
        if (!*boot && is_fat(m->part[i].type))
            *boot = &m->part[i];
        else if (!*root && m->part[i].type == 0x83)
            *root = &m->part[i];
    }
    if (!*boot)
        return fail(why, whylen, "no FAT boot partition%.0u", 0);
    if (!*root)
        return fail(why, whylen, "no Linux root partition (type 83)%.0u", 0);
    return 0;
}
