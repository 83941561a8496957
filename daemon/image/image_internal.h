/* image internals: the MBR reader, the pure rules about an image's files
 * and the import job that a worker runs.  Shared by daemon/image/ and its
 * tests only. */
#ifndef PIRACK_IMAGE_INTERNAL_H
#define PIRACK_IMAGE_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <netinet/in.h>

#include "pirack/config.h"

/* ---- mbr.c: pure ---- */

#define PR_MBR_SECTOR 512u

struct pr_mbr_part {
    unsigned index; /* 1-4, as fdisk numbers it */
    uint8_t type;   /* 0x0c FAT32 LBA, 0x83 Linux, ... */
    bool bootable;
    uint64_t start_lba, sectors; /* in 512-byte sectors */
};

struct pr_mbr {
    struct pr_mbr_part part[4]; /* primary, non-extended, in table order */
    unsigned n;
};

/* Reads the partition table of sector (the image's first len bytes) for
 * an image of image_bytes.  Refuses, -EINVAL with why, a sector without
 * the 55 AA signature, a GPT, an entry with a bad status byte, an empty
 * entry, one past the end of the image and two that overlap. */
int pr_mbr_parse(const uint8_t *sector, size_t len, uint64_t image_bytes, struct pr_mbr *out,
                 char *why, size_t whylen);
/* The first FAT partition (boot) and the first Linux one (root). */
int pr_mbr_pick(const struct pr_mbr *m, const struct pr_mbr_part **boot,
                const struct pr_mbr_part **root, char *why, size_t whylen);

/* ---- files.c: pure rules about an image's files ---- */

/* Firmware that must never reach a Pi over TFTP: the bootloader EEPROM
 * images and the USB controller's firmware, which a Pi 4 would flash
 * itself with (pieeprom.*, recovery.bin, vl805.*). */
bool pr_image_is_forbidden_firmware(const char *name);

/* The board models a boot file's name says the image supports: a bit per
 * PR_IMAGE_MODEL_*, 0 for a file that says nothing. */
enum {
    PR_IMAGE_MODEL_3 = 1 << 0,
    PR_IMAGE_MODEL_3PLUS = 1 << 1,
    PR_IMAGE_MODEL_4 = 1 << 2,
    PR_IMAGE_MODEL_5 = 1 << 3,
};
unsigned pr_image_model_bits(const char *boot_file_name);
/* "3b,3b+,4b" for bits; "" for none.  Returns the length or -ENOSPC. */
int pr_image_models_format(unsigned bits, char *out, size_t len);

/* /etc/fstab for a Pi whose root is NFS: every line kept but those that
 * mount the SD card (/, /boot and /boot/firmware from PARTUUID=, UUID=,
 * LABEL= or /dev/mmcblk*), and a note at the top.  Returns the length
 * written to out (NUL-terminated) or -ENOSPC. */
int pr_fstab_without_sd(const char *in, char *out, size_t len);

/* What a source given to `pirack image import` is, from its name and its
 * first bytes. */
enum pr_image_kind {
    PR_IMAGE_KIND_UNKNOWN,
    PR_IMAGE_KIND_DISK,    /* a raw disk image (.img) */
    PR_IMAGE_KIND_DISK_XZ, /* the same, xz-compressed (.img.xz) */
    PR_IMAGE_KIND_TAR,     /* a root tarball (tar, .tar.gz, .tar.xz, ...) */
    PR_IMAGE_KIND_DIR,     /* a root directory */
};
enum pr_image_kind pr_image_kind_of(const char *name, const uint8_t *head, size_t len, bool is_dir);
const char *pr_image_kind_name(enum pr_image_kind kind);

/* ---- import.c: the blocking work, on a worker thread ---- */

/* The longest [paths] images the import takes: room for what it adds. */
#define PR_IMAGE_DIR_MAX (PR_PATH_MAX - 256)

struct pr_image_job {
    /* in */
    char name[PR_NAME_MAX];
    char source[PR_PATH_MAX];
    char images_dir[PR_PATH_MAX];
    atomic_bool cancel; /* set by the owner; the job stops at its next step */
    atomic_int child;   /* the running tool's pid, 0 when none */
    /* out */
    int err; /* 0 or -errno; error says why */
    char error[512];
    enum pr_image_kind kind;
    char sha[65]; /* SHA-256 of the source, hex: the image's directory */
    uint64_t bytes;
    char models[64];
    bool reused;     /* images/SHA was there already */
    uint64_t xattrs; /* extended attributes a disk image's root got back */
};

/* Runs the whole import: hash, unpack into images_dir/.tmp-SHA, take the
 * firmware out of boot/, measure, sync, rename to images_dir/SHA.  Never
 * leaves a half-made images_dir/SHA.  Sets job->err and job->error. */
void pr_image_import_run(struct pr_image_job *job);

/* ---- xattr.c: a disk image's extended attributes (worker) ---- */

/* Gives the tree root, which `debugfs rdump /` of the ext4 filesystem at
 * spec ("FILE?offset=N") wrote, the extended attributes rdump leaves out
 * (file capabilities, user.*, POSIX ACLs), read with debugfs ea_list and
 * ea_get; work is a scratch directory outside root.  0, or -errno with
 * err saying which file; a capability that cannot be set is an error. */
int pr_image_disk_xattrs(const char *spec, const char *root, const char *work, uint64_t *copied,
                         char *err, size_t errlen);

/* ---- tool.c: outside tools, on a worker thread ---- */

/* Runs argv (argv[0] found in a fixed PATH) with stdin from /dev/null,
 * stdout to out_fd (-1: /dev/null) and stderr kept in err.  *child (when
 * child is not NULL) holds the pid while it runs, for pr_image_tool_kill().
 * Returns 0 when it exited 0; -EIO (or -EINTR when killed) with err saying
 * why otherwise. */
int pr_image_tool(atomic_int *child, const char *const argv[], int out_fd, char *err,
                  size_t errlen);
/* Asks the running tool, if any, to stop (SIGTERM).  Any thread. */
void pr_image_tool_kill(atomic_int *child);
/* Removes a tree without following symlinks or crossing filesystems (rm
 * -rf --one-file-system: any depth).  0 or -errno. */
int pr_image_remove_tree(const char *path);

/* ---- clone.c: a Pi's root from an image's root (worker) ---- */

enum pr_clone_method {
    PR_CLONE_REFLINK,    /* FICLONE per file */
    PR_CLONE_SNAPSHOT,   /* btrfs subvolume snapshot, else as REFLINK */
    PR_CLONE_COPY_RANGE, /* copy_file_range */
    PR_CLONE_COPY,       /* read and write */
};
const char *pr_clone_method_name(enum pr_clone_method m);

/* Deeper than this, a tree is refused (-ELOOP, too_deep). */
#define PR_CLONE_DEPTH_MAX 256

struct pr_clone {
    enum pr_clone_method method;
    atomic_bool *cancel; /* NULL, or checked between entries */
    /* out */
    uint64_t files, dirs, links, skipped, bytes;
    uint64_t xattrs; /* extended attributes copied (capabilities...) */
    bool too_deep;
    char failed_at[256]; /* the entry where it failed */
};

/* Makes dst (which must not exist) a copy of the tree at src: owners,
 * modes, times and extended attributes (file capabilities) kept, symlinks as links, devices and sockets left out.
 * 0 or -errno; a half-made dst is the caller's to remove. */
int pr_clone_tree(struct pr_clone *c, const char *src, const char *dst);
/* The best method from images_dir's filesystem to roots_dir's, tried on a
 * small file; *snapshot_possible when images_dir is on btrfs. */
enum pr_clone_method pr_clone_probe(const char *images_dir, const char *roots_dir,
                                    bool *snapshot_possible);

/* ---- render.c: pure: cmdline.txt, config.txt, NFS exports ---- */

struct pr_boot_target {
    const char *host;      /* the slot's .1: NFS server and gateway */
    const char *pi;        /* the slot's .2 */
    const char *root_path; /* the exported root, absolute */
    const char *hostname;
};
/* root=/dev/nfs nfsroot=HOST:/PATH,vers=3,tcp rw
 * ip=PI:HOST::255.255.255.252:NAME:eth0:off rootwait.  -EINVAL for a path
 * with a space, comma, colon or quote; -ENOSPC. */
int pr_render_cmdline(const struct pr_boot_target *t, char *buf, size_t len);
/* The image's config.txt with pirack's [all] section after it. */
int pr_render_config_txt(const char *image_config, char *buf, size_t len);

/* fsids are stable per slot: PR_EXPORT_FSID_BASE + slot. */
#define PR_EXPORT_FSID_BASE 7000u

struct pr_export {
    unsigned slot;
    unsigned gen;                     /* the generation path is */
    char path[PR_PATH_MAX];           /* the Pi's current root, resolved */
    char client[INET_ADDRSTRLEN + 3]; /* the slot's /30: "10.99.0.0/30" */
};
/* 1 + (slot - 1) * 15 + gen % 15: at most 61440 for 4096 slots (ganesha's
 * ids are 16-bit).  A new generation is numbered so that its id differs
 * from the current one's (pr_gen_number). */
unsigned pr_export_ganesha_id(unsigned slot, unsigned gen);
/* The number of the generation after highest when current is exported:
 * highest + 1, or + 2 when that would share current's ganesha id. */
unsigned pr_gen_number(unsigned highest, unsigned current);
/* An /etc/exports.d file: rw,sync,no_root_squash,no_subtree_check,fsid. */
int pr_render_exports_kernel(const struct pr_export *e, size_t n, char *buf, size_t len);
/* nfs-ganesha EXPORT blocks (FSAL VFS, NFSv3 and v4, the /30 only).
 * ganesha's reload refuses a new Path for an Export_Id it has, so the id
 * (and Pseudo) name the generation too: pr_export_ganesha_id(). */
int pr_render_exports_ganesha(const struct pr_export *e, size_t n, char *buf, size_t len);

/* ---- personal.c: one Pi's identity, written beneath its root ---- */

#define PR_PERSONAL_KEYS 2 /* ed25519, ecdsa */

struct pr_personal {
    /* in */
    char hostname[PR_NAME_MAX];
    const char *authorized_keys; /* NULL: none written */
    /* out */
    char machine_id[33];
    struct {
        char type[16];
        char sha256[64]; /* "SHA256:..." as ssh-keygen -l */
    } fingerprints[PR_PERSONAL_KEYS];
    char error[256];
};

/* Personalises the root at root (a directory pirackd made); keydir is a
 * private directory outside it for ssh-keygen.  0 or -errno with error
 * saying which step. */
int pr_personalise(struct pr_personal *p, const char *root, const char *keydir);

/* ---- generation.c: a generation of a Pi's root and its boot directory
 * (worker) ---- */

/* A generation of a Pi's root (and its boot directory), built or, for an
 * undo, found on a worker. */
struct gen_job {
    int64_t op;
    unsigned slot;
    bool undo;
    char image[PR_NAME_MAX];
    char image_root[PR_PATH_MAX], image_boot[PR_PATH_MAX];
    char gens[PR_PATH_MAX];      /* ROOTS/gens/NNN */
    char boot_gens[PR_PATH_MAX]; /* BOOT/.gens */
    char host[INET_ADDRSTRLEN], pi[INET_ADDRSTRLEN];
    enum pr_clone_method method;
    atomic_bool cancel;
    char *keys; /* the owner's authorized_keys, NULL for none */
    struct pr_personal personal;
    unsigned current; /* the generation exported now, 0 none */
    /* out */
    unsigned gen;
    int err;
    char error[512];
    uint64_t files, bytes;
    uint64_t build_ms;
};

/* ROOTS/gens/NNN/gen-K is generation K of slot NNN's root; ROOTS/NNN is a
 * symlink to the current one.  Builds gen-(next) from the image (cloned,
 * personalised, synced, renamed into place) and its boot directory, or
 * for an undo finds the generation before the current one.  Sets g->err
 * and g->error. */
void pr_gen_run(struct gen_job *g);

/* ---- exports.c: NFS exports applied (worker) ---- */

struct export_job {
    char backend[16];
    char file[PR_PATH_MAX];
    char pidfile[PR_PATH_MAX];
    char *text;
    size_t len;
    struct pr_export *exports;
    size_t n;
    int err;
    char error[400];
};

/* Writes x->file and has the backend take it; sets x->err, x->error. */
void pr_exports_run(struct export_job *x);
/* Slot's export: its root ROOTS/NNN resolved, to the /30 of the Pi's
 * address pi.  -errno when the root does not resolve. */
int pr_export_slot(const char *roots, unsigned slot, struct in_addr pi, struct pr_export *e);

#endif
