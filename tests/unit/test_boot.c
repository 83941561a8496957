/* The boot timeline's pure transitions, names and awaited steps. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "pirack/boot.h"
#include "daemon/boot/boot_internal.h"

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
    assert_int_equal(s, PR_BOOT_BOOTED);
    s = pr_boot_next(s, PR_OBS_HEALTH_DOWN);
    assert_int_equal(s, PR_BOOT_FAILED);
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
    assert_int_equal(pr_boot_awaited(PR_BOOT_BOOTED), PR_BOOT_BOOTED);
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

/* Each step has boot_timeout to come; the one that does not is named. */
static void timeouts_name_the_missing_step(void **state)
{
    (void)state;
    struct pr_boot_run r = { PR_BOOT_OFF, 0, 0 };
    enum pr_boot_state awaited = PR_BOOT_OFF;
    const uint64_t t = 60000;
    assert_int_equal(pr_boot_run_observe(&r, PR_OBS_POWER_ON, 1000, t), PR_BOOT_MOVED);
    assert_int_equal(r.deadline_ms, 61000);
    assert_false(pr_boot_run_expire(&r, 60999, &awaited));
    assert_int_equal(pr_boot_run_observe(&r, PR_OBS_DHCP_ROM, 5000, t), PR_BOOT_MOVED);
    assert_int_equal(r.since_ms, 5000);
    assert_int_equal(r.deadline_ms, 65000); /* a new step, a new deadline */
    /* the same step again does not push the deadline back */
    assert_int_equal(pr_boot_run_observe(&r, PR_OBS_DHCP_ROM, 9000, t), PR_BOOT_SAME);
    assert_int_equal(r.deadline_ms, 65000);
    assert_int_equal(pr_boot_run_observe(&r, PR_OBS_TFTP_FIRMWARE, 7000, t), PR_BOOT_MOVED);
    assert_false(pr_boot_run_expire(&r, 66000, &awaited)); /* firmware came in time */
    assert_true(pr_boot_run_expire(&r, 67000, &awaited));
    assert_int_equal(awaited, PR_BOOT_KERNEL);
    assert_int_equal(r.state, PR_BOOT_FAILED);
    assert_int_equal(r.deadline_ms, 0); /* failed waits for nothing */
    assert_false(pr_boot_run_expire(&r, 999999, &awaited));
    /* a late file is recorded, not a way out of failed */
    assert_int_equal(pr_boot_run_observe(&r, PR_OBS_TFTP_KERNEL, 68000, t), PR_BOOT_IGNORED);
    assert_int_equal(r.state, PR_BOOT_FAILED);
    /* a power-cycle starts over */
    assert_int_equal(pr_boot_run_observe(&r, PR_OBS_POWER_ON, 70000, t), PR_BOOT_MOVED);
    assert_true(pr_boot_run_expire(&r, 130000, &awaited));
    assert_int_equal(awaited, PR_BOOT_DHCP);
}

static void each_state_awaits_its_step(void **state)
{
    (void)state;
    static const struct {
        enum pr_boot_obs obs;
        enum pr_boot_state awaited;
    } steps[] = {
        { PR_OBS_POWER_ON, PR_BOOT_DHCP },
        { PR_OBS_DHCP_ROM, PR_BOOT_FIRMWARE },
        { PR_OBS_TFTP_FIRMWARE, PR_BOOT_KERNEL },
        { PR_OBS_TFTP_KERNEL, PR_BOOT_BOOTED },
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        struct pr_boot_run r = { PR_BOOT_OFF, 0, 0 };
        enum pr_boot_state awaited;
        for (size_t k = 0; k <= i; k++)
            pr_boot_run_observe(&r, steps[k].obs, 100, 5000);
        assert_true(pr_boot_run_expire(&r, 5100, &awaited));
        assert_int_equal(awaited, steps[i].awaited);
    }
    /* booted, and no timeout configured: nothing ever expires */
    struct pr_boot_run r = { PR_BOOT_OFF, 0, 0 };
    enum pr_boot_state awaited;
    pr_boot_run_observe(&r, PR_OBS_DHCP_OS, 100, 5000);
    assert_false(pr_boot_run_expire(&r, UINT64_MAX, &awaited));
    r = (struct pr_boot_run){ PR_BOOT_OFF, 0, 0 };
    pr_boot_run_observe(&r, PR_OBS_POWER_ON, 100, 0);
    assert_false(pr_boot_run_expire(&r, UINT64_MAX, &awaited));
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
        cmocka_unit_test(timeouts_name_the_missing_step),
        cmocka_unit_test(each_state_awaits_its_step),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
