/* pisim: the files each firmware stage asks for, in the order a real Pi
 * asks them (docs/pi-boot.md sections 7, 8 and 10, and public tftpd logs
 * of 3B, 3B+ and 4 boots).
 *
 * ROM (Pi 3): bootcode.bin, then bootsig.bin, both from port 49152 and
 *   without options (512-byte blocks).
 * bootcode.bin + start.elf (Pi 3): "SERIAL/start.elf" decides the prefix
 *   (absent: files come from the root), then config.txt seven times,
 *   absent files, start.elf, fixup.dat, the dtb, cmdline.txt, the kernel;
 *   "tsize 0" only, a new client port per request; a probe reads the OACK
 *   and block 1 and sends ERROR 0 "Early terminate".
 * Pi 4 bootloader: the same shape with start4.elf, "tsize 0 blksize N".
 *
 * Optional files that are absent or slow are skipped, as the firmware
 * falls back silently; a required one that is missing fails the boot. */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pisim.h"

enum how {
    PROBE,
    READ,
    MUST
};
enum special {
    SP_NONE,
    SP_PREFIX,
    SP_DTB,
    SP_KERNEL
};

struct step {
    const char *name;
    enum how how;
    enum special sp;
};

static const struct step rom_steps[] = {
    { "bootcode.bin", MUST, SP_NONE },
    { "bootsig.bin", READ, SP_NONE },
};

static const struct step fw3_steps[] = {
    { "start.elf", PROBE, SP_PREFIX },
    { "start.elf", PROBE, SP_NONE },
    { "autoboot.txt", READ, SP_NONE },
    { "config.txt", READ, SP_NONE },
    { "recovery.elf", PROBE, SP_NONE },
    { "start.elf", MUST, SP_NONE },
    { "fixup.dat", MUST, SP_NONE },
    { "recovery.elf", PROBE, SP_NONE },
    { "config.txt", READ, SP_NONE },
    { "config.txt", READ, SP_NONE },
    { "dt-blob.bin", READ, SP_NONE },
    { "recovery.elf", PROBE, SP_NONE },
    { "config.txt", READ, SP_NONE },
    { "config.txt", READ, SP_NONE },
    { "bootcfg.txt", READ, SP_NONE },
    { "", PROBE, SP_DTB },
    { "", READ, SP_DTB },
    { "overlays/overlay_map.dtb", READ, SP_NONE },
    { "config.txt", READ, SP_NONE },
    { "config.txt", READ, SP_NONE },
    { "cmdline.txt", READ, SP_NONE },
    { "", PROBE, SP_KERNEL },
    { "", MUST, SP_KERNEL },
};

static const struct step fw4_steps[] = {
    { "start4.elf", PROBE, SP_PREFIX },
    { "config.txt", READ, SP_NONE },
    { "pieeprom.sig", READ, SP_NONE },
    { "recover4.elf", PROBE, SP_NONE },
    { "recovery.elf", PROBE, SP_NONE },
    { "start4.elf", MUST, SP_NONE },
    { "fixup4.dat", MUST, SP_NONE },
    { "recovery.elf", PROBE, SP_NONE },
    { "config.txt", READ, SP_NONE },
    { "dt-blob.bin", READ, SP_NONE },
    { "recovery.elf", PROBE, SP_NONE },
    { "config.txt", READ, SP_NONE },
    { "bootcfg.txt", READ, SP_NONE },
    { "", READ, SP_DTB },
    { "overlays/overlay_map.dtb", READ, SP_NONE },
    { "config.txt", READ, SP_NONE },
    { "cmdline.txt", READ, SP_NONE },
    { "armstub8-gic.bin", READ, SP_NONE },
    { "", PROBE, SP_KERNEL },
    { "", MUST, SP_KERNEL },
};

/* Timings.  The ROM's are a guess (not documented); "a slow answer counts
 * as file missing" for start.elf's; the Pi 4's are its EEPROM defaults. */
static const struct xfer_timing rom_timing = { 1000, 5, 1000, 5, 0 };
static const struct xfer_timing fw3_timing = { 1000, 1, 1000, 5, 0 };
static const struct xfer_timing pi4_timing = { 5000, 6, 5000, 6, 30000 };

static const struct step *steps_of(enum script_stage st, unsigned *n)
{
    switch (st) {
    case ST_ROM:
        *n = sizeof rom_steps / sizeof rom_steps[0];
        return rom_steps;
    case ST_FW3:
        *n = sizeof fw3_steps / sizeof fw3_steps[0];
        return fw3_steps;
    case ST_FW4:
        *n = sizeof fw4_steps / sizeof fw4_steps[0];
        return fw4_steps;
    }
    *n = 0;
    return NULL;
}

/* The kernels the firmware tries, in order, unless config.txt names one. */
static const char *kernel_name(const struct pi *pi, unsigned choice)
{
    static const char *pi3_32[] = { "kernel7.img", "kernel.img", NULL };
    static const char *pi3_64[] = { "kernel8.img", NULL };
    static const char *pi4_64[] = { "kernel8.img", "kernel7l.img", NULL };
    static const char *pi4_32[] = { "kernel7l.img", "kernel7.img", NULL };
    const struct script_state *s = &pi->script;
    if (s->kernel_cfg[0])
        return choice == 0 ? s->kernel_cfg : NULL;
    const char **list =
        pi->model == PI_4 ? (s->arm_64bit ? pi4_64 : pi4_32) : (s->arm_64bit ? pi3_64 : pi3_32);
    for (unsigned i = 0; i <= choice; i++)
        if (!list[i])
            return NULL;
    return list[choice];
}

static const char *dtb_name(const struct pi *pi)
{
    switch (pi->model) {
    case PI_3B:
        return "bcm2710-rpi-3-b.dtb";
    case PI_3BPLUS:
        return "bcm2710-rpi-3-b-plus.dtb";
    case PI_4:
        return "bcm2711-rpi-4-b.dtb";
    }
    return "";
}

/* Reads config.txt the way the firmware's parser does for what we use:
 * arm_64bit= and kernel=, in [all] and this model's sections. */
static void parse_config(struct pi *pi, const char *text)
{
    struct script_state *s = &pi->script;
    const char *model_section = pi->model == PI_4        ? "[pi4]"
                                : pi->model == PI_3BPLUS ? "[pi3+]"
                                                         : "[pi3]";
    bool active = true;
    const char *p = text;
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char line[256];
        if (len >= sizeof line)
            len = sizeof line - 1;
        memcpy(line, p, len);
        line[len] = '\0';
        while (len && isspace((unsigned char)line[len - 1]))
            line[--len] = '\0';
        if (line[0] == '[')
            active = strcmp(line, "[all]") == 0 || strcmp(line, model_section) == 0 ||
                     (pi->model != PI_4 && strcmp(line, "[pi3]") == 0);
        else if (active && strncmp(line, "arm_64bit=", 10) == 0)
            s->arm_64bit = atoi(line + 10) != 0;
        else if (active && strncmp(line, "kernel=", 7) == 0 && len - 7 < sizeof s->kernel_cfg &&
                 !strstr(line + 7, ".."))
            memcpy(s->kernel_cfg, line + 7, len - 7 + 1);
        p = eol ? eol + 1 : p + strlen(p);
    }
}

static void start_step(struct pi *pi);

static void advance(struct pi *pi)
{
    pi->script.step++;
    start_step(pi);
}

void script_start(struct pi *pi, enum script_stage stage)
{
    memset(&pi->script, 0, sizeof pi->script);
    pi->script.stage = stage;
    if (stage != ST_ROM) {
        pi->script.prefix_decided = false;
        pi->script.arm_64bit = pi->model == PI_4;
    }
    start_step(pi);
}

static void stage_done(struct pi *pi)
{
    if (pi->script.stage == ST_ROM) {
        pi->rom_done = true;
        report_event(pi, "rom_done", NULL);
        pi_start_dhcp(pi, DC_BOOTCODE);
        return;
    }
    report_event(
        pi, "kernel_done", "{s:s}", "kernel",
        kernel_name(pi, pi->script.kernel_choice) ? kernel_name(pi, pi->script.kernel_choice) : "");
    pi_kernel_loaded(pi);
}

static void start_step(struct pi *pi)
{
    struct script_state *s = &pi->script;
    unsigned n;
    const struct step *steps = steps_of(s->stage, &n);
    if (s->step >= n) {
        stage_done(pi);
        return;
    }
    const struct step *st = &steps[s->step];
    struct xfer *x = &pi->xfer;
    const char *name = st->name;
    char serial_dir[20];

    xfer_reset(x);
    if (st->sp == SP_DTB)
        name = dtb_name(pi);
    else if (st->sp == SP_KERNEL)
        name = kernel_name(pi, s->kernel_choice);
    snprintf(serial_dir, sizeof serial_dir, "%08x/", pi->serial);
    snprintf(x->path, sizeof x->path, "%s%s",
             st->sp == SP_PREFIX && !s->prefix_decided ? serial_dir : s->prefix, name);
    x->kind = st->how == PROBE ? XK_PROBE : XK_READ;
    switch (s->stage) {
    case ST_ROM:
        x->fixed_port = true; /* 49152, reused (seen) */
        x->timing = rom_timing;
        x->rollover = true;
        break;
    case ST_FW3:
        x->opt_tsize = true;
        x->timing = fw3_timing;
        x->rollover = true;
        break;
    case ST_FW4:
        x->opt_tsize = true;
        x->opt_blksize = pi->sim->opt.pi4_blksize;
        x->timing = pi4_timing;
        x->rollover = false; /* only since the 2025-09 bootloader */
        break;
    }
    pi->phase = PH_TFTP;
    int rc = xfer_start(pi);
    if (rc < 0)
        pi_fail(pi, "TFTP %s: cannot open a socket: %s", x->path, strerror(-rc));
}

static void record(struct pi *pi)
{
    struct xfer *x = &pi->xfer;
    uint64_t now = pisim_now_ms();
    json_t *ev = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I}", "file", x->path, "kind",
                           x->kind == XK_PROBE ? "probe" : "read", "result",
                           xfer_result_name(x->result), "bytes", (json_int_t)x->bytes, "tsize",
                           (json_int_t)x->tsize, "blksize", (json_int_t)x->blksize, "port",
                           (json_int_t)x->local_port, "dur_ms", (json_int_t)(now - x->started_ms));
    /* How long the server took to say anything, as the Pi's NIC saw it. */
    if (ev && x->answered)
        json_object_set_new(ev, "answer_ms",
                            json_integer((json_int_t)x->answered_ms - (json_int_t)x->started_ms));
    if (ev && x->err_msg[0])
        json_object_set_new(ev, "error", json_string(x->err_msg));
    if (ev && x->result == XR_OK) {
        char h[20];
        snprintf(h, sizeof h, "%016llx", (unsigned long long)x->hash);
        json_object_set_new(ev, "fnv1a", json_string(h));
    }
    if (ev) {
        json_object_set_new(ev, "ms", json_integer((json_int_t)(now - pi->sim->start_ms)));
        json_object_set_new(ev, "what", json_string("tftp"));
        json_array_append_new(pi->events, ev);
        if (pi->sim->opt.verbose)
            pisim_vlog(pi, "tftp %s %s %llu bytes %llu ms", x->path, xfer_result_name(x->result),
                       (unsigned long long)x->bytes, (unsigned long long)(now - x->started_ms));
    }
    pi->tftp_bytes += x->bytes;
    if (x->result == XR_OK)
        pi->tftp_files++;
}

static bool got_file(const struct xfer *x)
{
    return x->result == XR_OK || x->result == XR_PROBED;
}

void script_file_done(struct pi *pi)
{
    struct script_state *s = &pi->script;
    struct xfer *x = &pi->xfer;
    unsigned n;
    const struct step *st = &steps_of(s->stage, &n)[s->step];

    record(pi);
    if (st->sp == SP_PREFIX && !s->prefix_decided) {
        s->prefix_decided = true;
        /* Found: every later request carries the prefix; absent or slow:
         * the files come from the root. */
        if (got_file(x))
            snprintf(s->prefix, sizeof s->prefix, "%08x/", pi->serial);
        advance(pi);
        return;
    }
    if (st->sp == SP_KERNEL && st->how == PROBE && !got_file(x)) {
        s->kernel_choice++;
        if (kernel_name(pi, s->kernel_choice)) {
            start_step(pi); /* kernel7.img -> kernel.img */
            return;
        }
        pi_fail(pi, "no kernel: %s (%s)", x->path, xfer_result_name(x->result));
        return;
    }
    if (st->how == MUST && x->result != XR_OK) {
        pi_fail(pi, "%s %s%s%s", x->path, xfer_result_name(x->result), x->err_msg[0] ? ": " : "",
                x->err_msg);
        return;
    }
    if (x->result == XR_OK && x->text) {
        const char *base = strrchr(x->path, '/');
        base = base ? base + 1 : x->path;
        if (strcmp(base, "config.txt") == 0) {
            parse_config(pi, x->text);
        } else if (strcmp(base, "cmdline.txt") == 0) {
            free(pi->cmdline);
            pi->cmdline = strndup(x->text, strcspn(x->text, "\r\n"));
        }
    }
    advance(pi);
}
