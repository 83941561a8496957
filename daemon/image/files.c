/* image/files: pure: what an image's files mean.  Which boot files are
 * firmware a Pi must never fetch, which models a boot partition supports
 * (from its device trees), and what kind of thing an import was given. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "image_internal.h"

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

bool pr_image_is_forbidden_firmware(const char *name)
{
    return has_prefix(name, "pieeprom.") || strcmp(name, "recovery.bin") == 0 ||
           has_prefix(name, "vl805.");
}

/* The device trees the firmware picks per board: an image that carries
 * one boots that board. */
static const struct {
    const char *dtb;
    unsigned bit;
} dtbs[] = {
    { "bcm2710-rpi-3-b.dtb", PR_IMAGE_MODEL_3 },
    { "bcm2837-rpi-3-b.dtb", PR_IMAGE_MODEL_3 },
    { "bcm2710-rpi-3-b-plus.dtb", PR_IMAGE_MODEL_3PLUS },
    { "bcm2837-rpi-3-b-plus.dtb", PR_IMAGE_MODEL_3PLUS },
    { "bcm2711-rpi-4-b.dtb", PR_IMAGE_MODEL_4 },
    { "bcm2712-rpi-5-b.dtb", PR_IMAGE_MODEL_5 },
};

unsigned pr_image_model_bits(const char *boot_file_name)
{
    for (size_t i = 0; i < sizeof(dtbs) / sizeof(dtbs[0]); i++)
        if (strcmp(boot_file_name, dtbs[i].dtb) == 0)
            return dtbs[i].bit;
    return 0;
}

int pr_image_models_format(unsigned bits, char *out, size_t len)
{
    static const char *const names[] = { "3b", "3b+", "4b", "5" };
    size_t used = 0;

    if (len == 0)
        return -ENOSPC;
    out[0] = '\0';
    for (unsigned i = 0; i < 4; i++) {
        if (!(bits & (1u << i)))
            continue;
        int n = snprintf(out + used, len - used, "%s%s", used ? "," : "", names[i]);
        if (n < 0 || (size_t)n >= len - used)
            return -ENOSPC;
        used += (size_t)n;
    }
    return (int)used;
}

enum pr_image_kind pr_image_kind_of(const char *name, const uint8_t *head, size_t len, bool is_dir)
{
    static const uint8_t xz_magic[6] = { 0xfd, '7', 'z', 'X', 'Z', 0x00 };

    if (is_dir)
        return PR_IMAGE_KIND_DIR;
    if (has_suffix(name, ".tar") || has_suffix(name, ".tar.gz") || has_suffix(name, ".tgz") ||
        has_suffix(name, ".tar.xz") || has_suffix(name, ".tar.zst"))
        return PR_IMAGE_KIND_TAR;
    if (len >= sizeof(xz_magic) && memcmp(head, xz_magic, sizeof(xz_magic)) == 0)
        return PR_IMAGE_KIND_DISK_XZ;
    if (len >= PR_MBR_SECTOR && head[510] == 0x55 && head[511] == 0xaa)
        return PR_IMAGE_KIND_DISK;
    /* A tarball under another name: "ustar" at offset 257. */
    if (len >= 262 && memcmp(head + 257, "ustar", 5) == 0)
        return PR_IMAGE_KIND_TAR;
    return PR_IMAGE_KIND_UNKNOWN;
}

const char *pr_image_kind_name(enum pr_image_kind kind)
{
    switch (kind) {
    case PR_IMAGE_KIND_DISK:
        return "disk";
    case PR_IMAGE_KIND_DISK_XZ:
        return "disk.xz";
    case PR_IMAGE_KIND_TAR:
        return "tar";
    case PR_IMAGE_KIND_DIR:
        return "dir";
    case PR_IMAGE_KIND_UNKNOWN:
        break;
    }
    return "unknown";
}

/* Whether an fstab line mounts the SD card: / or /boot* from a partition
 * the netbooted Pi does not have. */
static bool mounts_sd(const char *line, size_t n)
{
    char spec[256], file[256];
    char copy[512];
    if (n >= sizeof(copy))
        return false;
    memcpy(copy, line, n);
    copy[n] = '\0';
    if (sscanf(copy, "%255s %255s", spec, file) != 2 || spec[0] == '#')
        return false;
    bool sd = has_prefix(spec, "PARTUUID=") || has_prefix(spec, "UUID=") ||
              has_prefix(spec, "LABEL=") || has_prefix(spec, "/dev/mmcblk") ||
              has_prefix(spec, "/dev/sd");
    bool mountpoint = strcmp(file, "/") == 0 || has_prefix(file, "/boot");
    return sd && mountpoint;
}

int pr_fstab_without_sd(const char *in, char *out, size_t len)
{
    static const char note[] = "# pirackd: this Pi's root is NFS; the SD card's lines are gone.\n";
    size_t used = 0;

    if (len < sizeof(note))
        return -ENOSPC;
    memcpy(out, note, sizeof(note) - 1);
    used = sizeof(note) - 1;
    for (const char *p = in; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (strncmp(p, note, sizeof(note) - 2) != 0 && !mounts_sd(p, n)) {
            if (used + n + 2 > len)
                return -ENOSPC;
            memcpy(out + used, p, n);
            used += n;
            out[used++] = '\n';
        }
        p += n + (nl ? 1 : 0);
    }
    out[used] = '\0';
    return (int)used;
}
