/* config: the [net] keys and [ipv6] ra, their defaults and their checks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pirack/config.h"

static const char *minimal = "[rack]\nname = rack1\ndomain = hostedpi.example\nslots = 108\n"
                             "[ipv4]\npool = 10.42.0.0/23\n"
                             "[ipv6]\npool = 2001:db8:42::/56\n";

/* Loads minimal + extra; returns the error count, the text in out. */
static int load(const char *extra, struct pr_config *cfg, char *out, size_t outlen)
{
    char path[] = "/tmp/pirack-conf-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "%s%s", minimal, extra);
    fclose(f);
    memset(out, 0, outlen);
    FILE *mem = fmemopen(out, outlen - 1, "w");
    int errors = pr_config_load(path, cfg, mem);
    fclose(mem);
    unlink(path);
    return errors;
}

static void defaults(void **state)
{
    (void)state;
    struct pr_config *cfg = malloc(sizeof(*cfg));
    char out[2048];
    assert_int_equal(load("", cfg, out, sizeof(out)), 0);
    assert_true(cfg->ra_enabled);
    assert_int_equal(cfg->route_protocol, 196);
    assert_false(cfg->set_forwarding);
    assert_false(cfg->create_vlans);
    assert_false(cfg->route_via_pi);
    assert_int_equal(cfg->vlan_base, 100);
    free(cfg);
}

static void net_keys_parse(void **state)
{
    (void)state;
    struct pr_config *cfg = malloc(sizeof(*cfg));
    char out[2048];
    assert_int_equal(load("ra = no\n[net]\nroute_protocol = 201\nset_forwarding = yes\n"
                          "create_vlans = yes\nvlan_parent = eth1\nvlan_base = 2000\n",
                          cfg, out, sizeof(out)),
                     0);
    assert_false(cfg->ra_enabled);
    assert_int_equal(cfg->route_protocol, 201);
    assert_true(cfg->set_forwarding);
    assert_true(cfg->create_vlans);
    assert_string_equal(cfg->vlan_parent, "eth1");
    assert_int_equal(cfg->vlan_base, 2000);
    free(cfg);
}

static void net_keys_checked(void **state)
{
    (void)state;
    struct pr_config *cfg = malloc(sizeof(*cfg));
    char out[2048];
    /* The kernel's own numbers would let pirackd delete static routes. */
    assert_int_equal(load("[net]\nroute_protocol = 4\n", cfg, out, sizeof(out)), 1);
    assert_non_null(strstr(out, ":10: route_protocol: 4 belongs to the kernel"));
    assert_true(load("[net]\nroute_protocol = 256\n", cfg, out, sizeof(out)) > 0);
    assert_int_equal(load("[net]\ncreate_vlans = yes\n", cfg, out, sizeof(out)), 1);
    assert_non_null(strstr(out, "create_vlans: needs [net] vlan_parent"));
    /* 108 slots from 4000 run past VLAN 4094. */
    assert_int_equal(load("[net]\ncreate_vlans = yes\nvlan_parent = eth1\nvlan_base = 4000\n", cfg,
                          out, sizeof(out)),
                     1);
    assert_non_null(strstr(out, ":12: vlan_base: VLAN ids 4000..4107 run past 4094"));
    free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),
        cmocka_unit_test(net_keys_parse),
        cmocka_unit_test(net_keys_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
