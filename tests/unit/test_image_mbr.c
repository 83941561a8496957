/* image: the MBR of a disk image and the rules about its files, pure. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>
#include "daemon/image/image_internal.h"

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16),
    p[3] = (uint8_t)(v >> 24);
}

static void entry(uint8_t *s, unsigned i, uint8_t status, uint8_t type, uint32_t start, uint32_t n)
{
    uint8_t *e = s + 446 + 16 * i;
    e[0] = status;
    e[4] = type;
    put32(e + 8, start);
    put32(e + 12, n);
}

static void signed_sector(uint8_t *s)
{
    memset(s, 0, 512);
    s[510] = 0x55;
    s[511] = 0xaa;
}

/* What Raspberry Pi OS ships: FAT32 LBA at 8192, Linux after it. */
static void test_raspios_layout(void **state)
{
    uint8_t s[512];
    struct pr_mbr m;
    const struct pr_mbr_part *boot, *root;
    char why[128];
    (void)state;

    signed_sector(s);
    entry(s, 0, 0x00, 0x0c, 8192, 1048576);
    entry(s, 1, 0x00, 0x83, 1056768, 4194304);
    assert_int_equal(pr_mbr_parse(s, 512, (1056768ull + 4194304) * 512, &m, why, sizeof(why)), 0);
    assert_int_equal(m.n, 2);
    assert_int_equal(pr_mbr_pick(&m, &boot, &root, why, sizeof(why)), 0);
    assert_int_equal(boot->index, 1);
    assert_int_equal(boot->start_lba, 8192);
    assert_int_equal(root->index, 2);
    assert_int_equal(root->sectors, 4194304);
}

static void assert_refused(const uint8_t *s, size_t len, uint64_t bytes, const char *want)
{
    struct pr_mbr m;
    char why[128];
    assert_int_equal(pr_mbr_parse(s, len, bytes, &m, why, sizeof(why)), -EINVAL);
    assert_string_equal(why, want);
}

static void test_refusals(void **state)
{
    uint8_t s[512];
    (void)state;

    memset(s, 0, sizeof(s));
    assert_refused(s, 100, 1 << 20, "shorter than one sector");
    assert_refused(s, 512, 1 << 20, "no MBR signature (not a disk image)");
    signed_sector(s);
    assert_refused(s, 512, 1 << 20, "the partition table is empty");
    entry(s, 0, 0x00, 0xee, 1, 0xffffffffu);
    assert_refused(s, 512, 1 << 20, "partition 1: a GPT disk (only MBR images are read)");
    signed_sector(s);
    entry(s, 0, 0x42, 0x0c, 2048, 100);
    assert_refused(s, 512, 1 << 20, "partition 1: bad status byte (not an MBR?)");
    signed_sector(s);
    entry(s, 1, 0x00, 0x83, 2048, 4096); /* 3 MiB in a 2 MiB image */
    assert_refused(s, 512, 2 << 20, "partition 2: ends past the end of the image");
    signed_sector(s);
    entry(s, 0, 0x00, 0x0c, 0, 100);
    assert_refused(s, 512, 1 << 20, "partition 1: starts at sector 0 or is empty");
    signed_sector(s);
    entry(s, 0, 0x00, 0x0c, 2048, 2048);
    entry(s, 1, 0x00, 0x83, 4000, 2048);
    assert_refused(s, 512, 8 << 20, "partition 2 overlaps another");
    /* the largest values do not wrap around the size check */
    signed_sector(s);
    entry(s, 0, 0x00, 0x83, 0xffffffffu, 0xffffffffu);
    assert_refused(s, 512, 1ull << 40, "partition 1: ends past the end of the image");
}

static void test_pick_needs_both(void **state)
{
    uint8_t s[512];
    struct pr_mbr m;
    const struct pr_mbr_part *boot, *root;
    char why[128];
    (void)state;

    signed_sector(s);
    entry(s, 0, 0x00, 0x83, 2048, 2048);
    entry(s, 1, 0x00, 0x05, 8192, 2048); /* extended: skipped */
    assert_int_equal(pr_mbr_parse(s, 512, 16 << 20, &m, why, sizeof(why)), 0);
    assert_int_equal(m.n, 1);
    assert_int_equal(pr_mbr_pick(&m, &boot, &root, why, sizeof(why)), -EINVAL);
    assert_string_equal(why, "no FAT boot partition");
    signed_sector(s);
    entry(s, 0, 0x80, 0x0b, 2048, 2048);
    assert_int_equal(pr_mbr_parse(s, 512, 16 << 20, &m, why, sizeof(why)), 0);
    assert_int_equal(pr_mbr_pick(&m, &boot, &root, why, sizeof(why)), -EINVAL);
    assert_string_equal(why, "no Linux root partition (type 83)");
}

static void test_files(void **state)
{
    char models[64];
    uint8_t head[512] = { 0xfd, '7', 'z', 'X', 'Z', 0 };
    (void)state;

    assert_true(pr_image_is_forbidden_firmware("pieeprom.bin"));
    assert_true(pr_image_is_forbidden_firmware("pieeprom.sig"));
    assert_true(pr_image_is_forbidden_firmware("recovery.bin"));
    assert_true(pr_image_is_forbidden_firmware("vl805.bin"));
    assert_false(pr_image_is_forbidden_firmware("bootcode.bin"));
    assert_false(pr_image_is_forbidden_firmware("start.elf"));

    unsigned bits = pr_image_model_bits("bcm2710-rpi-3-b.dtb") |
                    pr_image_model_bits("bcm2711-rpi-4-b.dtb") | pr_image_model_bits("kernel8.img");
    assert_int_equal(pr_image_models_format(bits, models, sizeof(models)), 5);
    assert_string_equal(models, "3b,4b");
    assert_int_equal(pr_image_models_format(0, models, sizeof(models)), 0);
    assert_string_equal(models, "");
    assert_int_equal(pr_image_models_format(bits, models, 3), -ENOSPC);

    assert_int_equal(pr_image_kind_of("/x/a.img.xz", head, 512, false), PR_IMAGE_KIND_DISK_XZ);
    assert_int_equal(pr_image_kind_of("/x/root.tar.xz", head, 512, false), PR_IMAGE_KIND_TAR);
    assert_int_equal(pr_image_kind_of("/x/root", head, 0, true), PR_IMAGE_KIND_DIR);
    memset(head, 0, sizeof(head));
    assert_int_equal(pr_image_kind_of("/x/a.img", head, 512, false), PR_IMAGE_KIND_UNKNOWN);
    head[510] = 0x55, head[511] = 0xaa;
    assert_int_equal(pr_image_kind_of("/x/a.img", head, 512, false), PR_IMAGE_KIND_DISK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_raspios_layout),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_pick_needs_both),
        cmocka_unit_test(test_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
