/* The boot timeline's pure transitions, names and awaited steps. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "pirack/boot.h"
#include "daemon/boot/boot_internal.h"
#include "daemon/boot/service.h"
#include "pirack/config.h"

static void names_round_trip(void **state)
{
    (void)state;
    for (int s = PR_BOOT_OFF; s <= PR_BOOT_FAILED; s++)
        assert_int_equal(pr_boot_state_parse(pr_boot_state_name((enum pr_boot_state)s)), s);
    assert_string_equal(pr_boot_state_name(PR_BOOT_FIRMWARE), "firmware");
    assert_int_equal(pr_boot_state_parse("bogus"), -1);
    assert_int_equal(pr_boot_state_parse(NULL), -1);
    assert_string_equal(pr_boot_obs_name(PR_OBS_DHCP_ROM), "dhcp_rom");
}

/* A Pi 3's whole boot, in the order the services see it. */
static void a_whole_boot(void **state)
{
    (void)state;
    enum pr_boot_state s = PR_BOOT_OFF;
    s = pr_boot_next(s, PR_OBS_POWER_ON);
    assert_int_equal(s, PR_BOOT_POWERED);
    s = pr_boot_next(s, PR_OBS_DHCP_ROM);
    assert_int_equal(s, PR_BOOT_DHCP);
    s = pr_boot_next(s, PR_OBS_DHCP_ROM);
    assert_int_equal(s, PR_BOOT_DHCP);
    s = pr_boot_next(s, PR_OBS_TFTP_FIRMWARE);
    assert_int_equal(s, PR_BOOT_FIRMWARE);
    /* bootcode.bin asks DHCP again: still the firmware step */
    s = pr_boot_next(s, PR_OBS_DHCP_ROM);
    assert_int_equal(s, PR_BOOT_FIRMWARE);
    s = pr_boot_next(s, PR_OBS_TFTP_KERNEL);
    assert_int_equal(s, PR_BOOT_KERNEL);
    /* cmdline.txt and overlays after the kernel do not go back */
    s = pr_boot_next(s, PR_OBS_TFTP_FIRMWARE);
    assert_int_equal(s, PR_BOOT_KERNEL);
    s = pr_boot_next(s, PR_OBS_DHCP_OS);
    assert_int_equal(s, PR_BOOT_BOOTED);
    s = pr_boot_next(s, PR_OBS_HEALTH_UP);
    assert_int_equal(s, PR_BOOT_UP);
    s = pr_boot_next(s, PR_OBS_HEALTH_DOWN);
    assert_int_equal(s, PR_BOOT_UNHEALTHY);
    s = pr_boot_next(s, PR_OBS_POWER_OFF);
    assert_int_equal(s, PR_BOOT_OFF);
}

static void nonsense_keeps_the_state(void **state)
{
    (void)state;
    /* a TFTP request from a slot that is off, up, or failed */
    static const enum pr_boot_state keep[] = { PR_BOOT_OFF, PR_BOOT_BOOTED, PR_BOOT_FAILED };
    for (size_t i = 0; i < 3; i++) {
        assert_true(pr_boot_unexpected(keep[i], PR_OBS_TFTP_FIRMWARE));
        assert_int_equal(pr_boot_next(keep[i], PR_OBS_TFTP_FIRMWARE), keep[i]);
        assert_int_equal(pr_boot_next(keep[i], PR_OBS_TFTP_KERNEL), keep[i]);
    }
    assert_true(pr_boot_unexpected(PR_BOOT_DHCP, PR_OBS_HEALTH_DOWN));
    assert_int_equal(pr_boot_next(PR_BOOT_DHCP, PR_OBS_HEALTH_DOWN), PR_BOOT_DHCP);
    assert_false(pr_boot_unexpected(PR_BOOT_DHCP, PR_OBS_TFTP_FIRMWARE));
}

static void new_boots_start_over(void **state)
{
    (void)state;
    /* the ROM speaking after a boot or a failure is a new boot */
    assert_int_equal(pr_boot_next(PR_BOOT_BOOTED, PR_OBS_DHCP_ROM), PR_BOOT_DHCP);
    assert_int_equal(pr_boot_next(PR_BOOT_FAILED, PR_OBS_DHCP_ROM), PR_BOOT_DHCP);
    assert_int_equal(pr_boot_next(PR_BOOT_KERNEL, PR_OBS_DHCP_ROM), PR_BOOT_DHCP);
    /* without a power service the ROM's DHCP is the first thing seen */
    assert_int_equal(pr_boot_next(PR_BOOT_OFF, PR_OBS_DHCP_ROM), PR_BOOT_DHCP);
    assert_int_equal(pr_boot_next(PR_BOOT_FAILED, PR_OBS_POWER_ON), PR_BOOT_POWERED);
    /* a daemon restarted under a running Pi learns it is up */
    assert_int_equal(pr_boot_next(PR_BOOT_OFF, PR_OBS_DHCP_OS), PR_BOOT_BOOTED);
}

static void awaited_steps(void **state)
{
    (void)state;
    assert_int_equal(pr_boot_awaited(PR_BOOT_POWERED), PR_BOOT_DHCP);
    assert_int_equal(pr_boot_awaited(PR_BOOT_DHCP), PR_BOOT_FIRMWARE);
    assert_int_equal(pr_boot_awaited(PR_BOOT_FIRMWARE), PR_BOOT_KERNEL);
    assert_int_equal(pr_boot_awaited(PR_BOOT_KERNEL), PR_BOOT_BOOTED);
    assert_int_equal(pr_boot_awaited(PR_BOOT_OFF), PR_BOOT_OFF);
    assert_int_equal(pr_boot_awaited(PR_BOOT_BOOTED), PR_BOOT_UP);
    assert_int_equal(pr_boot_awaited(PR_BOOT_FAILED), PR_BOOT_FAILED);
}

static void tftp_paths(void **state)
{
    (void)state;
    assert_int_equal(pr_boot_classify_tftp("kernel7.img"), PR_OBS_TFTP_KERNEL);
    assert_int_equal(pr_boot_classify_tftp("1234abcd/kernel8.img"), PR_OBS_TFTP_KERNEL);
    assert_int_equal(pr_boot_classify_tftp("kernel_2712.img"), PR_OBS_TFTP_KERNEL);
    assert_int_equal(pr_boot_classify_tftp("bootcode.bin"), PR_OBS_TFTP_FIRMWARE);
    assert_int_equal(pr_boot_classify_tftp("1234abcd/start.elf"), PR_OBS_TFTP_FIRMWARE);
    assert_int_equal(pr_boot_classify_tftp("kernel.img.bak"), PR_OBS_TFTP_FIRMWARE);
    assert_int_equal(pr_boot_classify_tftp("overlays/kernel.dtbo"), PR_OBS_TFTP_FIRMWARE);
}

/* Each stage has its own deadline, armed when the stage begins; the one
 * that does not finish is named. */
static void deadlines_name_the_missing_stage(void **state)
{
    (void)state;
    struct pr_boot_run r = { .state = PR_BOOT_OFF };
    enum pr_boot_stage stage = PR_STAGE_NONE;
    const struct pr_boot_deadlines dl = { .ms = { 0, 30000, 120000, 90000, 0 } };
    assert_int_equal(pr_boot_run_observe(&r, PR_OBS_POWER_ON, 1000, &dl), PR_BOOT_MOVED);
    assert_int_equal(r.deadline_ms, 31000); /* dhcp */
    assert_false(pr_boot_run_expire(&r, 30999, &stage));
    assert_int_equal(pr_boot_run_observe(&r, PR_OBS_DHCP_ROM, 5000, &dl), PR_BOOT_MOVED);
    assert_int_equal(r.since_ms, 5000);
    assert_int_equal(r.deadline_ms, 125000); /* tftp: a new stage, a new deadline */
    /* the same step again does not push the deadline back */
    assert_int_equal(pr_boot_run_observe(&r, PR_OBS_DHCP_ROM, 9000, &dl), PR_BOOT_SAME);
    assert_int_equal(r.deadline_ms, 125000);
    /* nor does the next step inside the tftp stage */
    assert_int_equal(pr_boot_run_observe(&r, PR_OBS_TFTP_FIRMWARE, 7000, &dl), PR_BOOT_MOVED);
    assert_int_equal(r.deadline_ms, 125000);
    assert_false(pr_boot_run_expire(&r, 124999, &stage));
    assert_true(pr_boot_run_expire(&r, 125000, &stage));
    assert_int_equal(stage, PR_STAGE_TFTP);
    assert_int_equal(r.failed_stage, PR_STAGE_TFTP);
    assert_int_equal(r.state, PR_BOOT_FAILED);
    assert_int_equal(r.deadline_ms, 0); /* failed waits for nothing */
    assert_false(pr_boot_run_expire(&r, 999999, &stage));
    /* a late file is recorded, not a way out of failed */
    assert_int_equal(pr_boot_run_observe(&r, PR_OBS_TFTP_KERNEL, 128000, &dl), PR_BOOT_IGNORED);
    assert_int_equal(r.state, PR_BOOT_FAILED);
    /* a power-cycle starts over */
    assert_int_equal(pr_boot_run_observe(&r, PR_OBS_POWER_ON, 130000, &dl), PR_BOOT_MOVED);
    assert_true(pr_boot_run_expire(&r, 160000, &stage));
    assert_int_equal(stage, PR_STAGE_DHCP);
}

/* The root stage ends at the Pi's first NFS packet (or the OS's DHCP);
 * the up stage, armed only with probes on, ends at the probe's answer. */
static void root_and_up_stages(void **state)
{
    (void)state;
    struct pr_boot_run r = { .state = PR_BOOT_OFF };
    enum pr_boot_stage stage;
    const struct pr_boot_deadlines dl = { .ms = { 0, 30000, 120000, 90000, 200000 } };
    pr_boot_run_observe(&r, PR_OBS_POWER_ON, 0, &dl);
    pr_boot_run_observe(&r, PR_OBS_DHCP_ROM, 1000, &dl);
    pr_boot_run_observe(&r, PR_OBS_TFTP_KERNEL, 2000, &dl);
    assert_int_equal(r.deadline_ms, 92000); /* root */
    assert_false(r.root_seen);
    assert_int_equal(pr_boot_run_observe(&r, PR_OBS_ROOT, 3000, &dl), PR_BOOT_MOVED);
    assert_int_equal(r.state, PR_BOOT_BOOTED);
    assert_true(r.root_seen);
    assert_int_equal(r.deadline_ms, 203000); /* up */
    /* the OS's DHCP after the NFS mount changes nothing */
    assert_int_equal(pr_boot_run_observe(&r, PR_OBS_DHCP_OS, 4000, &dl), PR_BOOT_SAME);
    assert_true(pr_boot_run_expire(&r, 203000, &stage));
    assert_int_equal(stage, PR_STAGE_UP);
    /* a late answer still brings it up */
    assert_int_equal(pr_boot_run_observe(&r, PR_OBS_HEALTH_UP, 204000, &dl), PR_BOOT_MOVED);
    assert_int_equal(r.state, PR_BOOT_UP);
    assert_int_equal(r.deadline_ms, 0);
    assert_int_equal(pr_boot_run_observe(&r, PR_OBS_HEALTH_DOWN, 205000, &dl), PR_BOOT_MOVED);
    assert_int_equal(r.state, PR_BOOT_UNHEALTHY);
    assert_int_equal(pr_boot_run_observe(&r, PR_OBS_HEALTH_UP, 206000, &dl), PR_BOOT_MOVED);
    assert_int_equal(r.state, PR_BOOT_UP);
    /* a power-on forgets the root of the last boot */
    pr_boot_run_observe(&r, PR_OBS_POWER_ON, 300000, &dl);
    assert_false(r.root_seen);
}

/* Quarantine holds through power changes until release. */
static void quarantine_until_release(void **state)
{
    (void)state;
    struct pr_boot_run r = { .state = PR_BOOT_UNHEALTHY };
    assert_int_equal(pr_boot_run_observe(&r, PR_OBS_QUARANTINE, 1, NULL), PR_BOOT_MOVED);
    assert_int_equal(pr_boot_run_observe(&r, PR_OBS_POWER_OFF, 2, NULL), PR_BOOT_SAME);
    assert_int_equal(pr_boot_run_observe(&r, PR_OBS_DHCP_ROM, 3, NULL), PR_BOOT_IGNORED);
    assert_int_equal(r.state, PR_BOOT_QUARANTINED);
    assert_int_equal(pr_boot_run_observe(&r, PR_OBS_RELEASE, 4, NULL), PR_BOOT_MOVED);
    assert_int_equal(r.state, PR_BOOT_OFF);
    assert_int_equal(pr_boot_run_observe(&r, PR_OBS_RELEASE, 5, NULL), PR_BOOT_IGNORED);
}

static void each_state_awaits_its_stage(void **state)
{
    (void)state;
    static const struct {
        enum pr_boot_obs obs;
        enum pr_boot_stage stage;
    } steps[] = {
        { PR_OBS_POWER_ON, PR_STAGE_DHCP },
        { PR_OBS_DHCP_ROM, PR_STAGE_TFTP },
        { PR_OBS_TFTP_FIRMWARE, PR_STAGE_TFTP },
        { PR_OBS_TFTP_KERNEL, PR_STAGE_ROOT },
        { PR_OBS_ROOT, PR_STAGE_UP },
    };
    const struct pr_boot_deadlines dl = { .ms = { 0, 5000, 5000, 5000, 5000 } };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        struct pr_boot_run r = { .state = PR_BOOT_OFF };
        enum pr_boot_stage stage;
        for (size_t k = 0; k <= i; k++)
            pr_boot_run_observe(&r, steps[k].obs, 100, &dl);
        assert_true(pr_boot_run_expire(&r, 5100, &stage));
        assert_int_equal(stage, steps[i].stage);
    }
    /* booted, probes off (no up deadline): nothing ever expires */
    const struct pr_boot_deadlines no_up = { .ms = { 0, 5000, 5000, 5000, 0 } };
    struct pr_boot_run r = { .state = PR_BOOT_OFF };
    enum pr_boot_stage stage;
    pr_boot_run_observe(&r, PR_OBS_DHCP_OS, 100, &no_up);
    assert_false(pr_boot_run_expire(&r, UINT64_MAX, &stage));
    r = (struct pr_boot_run){ .state = PR_BOOT_OFF };
    pr_boot_run_observe(&r, PR_OBS_POWER_ON, 100, NULL);
    assert_false(pr_boot_run_expire(&r, UINT64_MAX, &stage));
}

/* Each stage's deadline: its own key, else the deprecated boot_timeout,
 * else the default; up only with probes on. */
static void stage_deadlines_from_the_config(void **state)
{
    (void)state;
    static struct pr_config cfg;
    unsigned sec[PR_STAGE_COUNT];
    pr_boot_stage_deadlines(&cfg, sec);
    assert_int_equal(sec[PR_STAGE_DHCP], PR_BOOT_DHCP_DEADLINE_S);
    assert_int_equal(sec[PR_STAGE_TFTP], PR_BOOT_TFTP_DEADLINE_S);
    assert_int_equal(sec[PR_STAGE_ROOT], PR_BOOT_ROOT_DEADLINE_S);
    assert_int_equal(sec[PR_STAGE_UP], 0);
    cfg.health_probe = true;
    cfg.boot_timeout_s = 45;
    cfg.tftp_deadline_s = 200;
    pr_boot_stage_deadlines(&cfg, sec);
    assert_int_equal(sec[PR_STAGE_DHCP], 45);
    assert_int_equal(sec[PR_STAGE_TFTP], 200);
    assert_int_equal(sec[PR_STAGE_ROOT], 45);
    assert_int_equal(sec[PR_STAGE_UP], 45);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_round_trip),
        cmocka_unit_test(a_whole_boot),
        cmocka_unit_test(nonsense_keeps_the_state),
        cmocka_unit_test(new_boots_start_over),
        cmocka_unit_test(awaited_steps),
        cmocka_unit_test(tftp_paths),
        cmocka_unit_test(deadlines_name_the_missing_stage),
        cmocka_unit_test(root_and_up_stages),
        cmocka_unit_test(quarantine_until_release),
        cmocka_unit_test(stage_deadlines_from_the_config),
        cmocka_unit_test(each_state_awaits_its_stage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
