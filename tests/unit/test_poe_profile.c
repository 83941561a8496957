/* poe profiles: every shipped profile loads and says what a switch
 * needs; bad profiles are refused with the line that is wrong. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>
#include "poe/poe_internal.h"

static struct pr_poe_profile *parse_ok(const char *text)
{
    struct pr_poe_profile *p = NULL;
    char err[256] = "";
    int rc = pr_poe_profile_parse(text, strlen(text), &p, err, sizeof(err));
    if (rc != 0)
        fail_msg("profile refused: %s", err);
    return p;
}

static void parse_err(const char *text, const char *want)
{
    struct pr_poe_profile *p = NULL;
    char err[256] = "";
    assert_int_equal(pr_poe_profile_parse(text, strlen(text), &p, err, sizeof(err)), -EINVAL);
    assert_null(p);
    if (!strstr(err, want))
        fail_msg("error \"%s\" does not say \"%s\"", err, want);
}

static void test_shipped_profiles_load(void **state)
{
    static const char *const names[] = { "cisco-ios", "procurve",   "aruba-cx",
                                         "netgear",   "edgeswitch", "juniper",
                                         "mikrotik",  "tp-link",    "standard" };
    (void)state;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct pr_poe_profile *p = NULL;
        char err[512] = "";
        if (pr_poe_profile_load("poe/profiles", names[i], &p, err, sizeof(err)) != 0)
            fail_msg("%s: %s", names[i], err);
        assert_string_equal(pr_poe_profile_name(p), names[i]);
        if (strcmp(names[i], "standard") != 0)
            assert_true(pr_poe_profile_supports(p, PR_SWITCH_SSH));
        if (strcmp(names[i], "mikrotik") != 0)
            assert_true(pr_poe_profile_supports(p, PR_SWITCH_SNMP));
        pr_poe_profile_free(p);
    }
}

static void test_cisco_values(void **state)
{
    struct pr_poe_profile *p = NULL;
    char err[256], out[128];
    (void)state;
    assert_int_equal(pr_poe_profile_load("poe/profiles", "cisco-ios", &p, err, sizeof(err)), 0);
    /* The vendor OID replaces the standard admin OID; status stays standard. */
    assert_int_equal(pr_poe_expand(p->snmp.admin_oid, 1, 7, out, sizeof(out)), 0);
    assert_string_equal(out, "1.3.6.1.4.1.9.9.402.1.2.1.1.1.7");
    assert_int_equal(p->snmp.admin_on, 1);
    assert_int_equal(p->snmp.admin_off, 4);
    assert_int_equal(pr_poe_expand(p->snmp.detect_oid, 1, 7, out, sizeof(out)), 0);
    assert_string_equal(out, "1.3.6.1.2.1.105.1.1.1.6.1.7");
    assert_int_equal(p->cli.off_port.n, 2);
    assert_int_equal(pr_poe_expand(p->cli.off_port.line[0], 1, 12, out, sizeof(out)), 0);
    assert_string_equal(out, "interface GigabitEthernet1/0/12");
    assert_string_equal(p->cli.off_port.line[1], "power inline never");
    pr_poe_profile_free(p);
}

static void test_tplink_and_netgear_variants(void **state)
{
    struct pr_poe_profile *p = NULL;
    char err[256];
    (void)state;
    assert_int_equal(pr_poe_profile_load("poe/profiles", "tp-link", &p, err, sizeof(err)), 0);
    assert_int_equal(p->snmp.admin_on, 1);
    assert_int_equal(p->snmp.admin_off, 0);
    assert_string_equal(p->snmp.admin_oid, "1.3.6.1.4.1.11863.6.56.1.1.2.1.1.2.{port}");
    pr_poe_profile_free(p);
    assert_int_equal(pr_poe_profile_load("poe/profiles", "netgear", &p, err, sizeof(err)), 0);
    assert_int_equal(p->snmp.power_divisor, 1000);
    assert_int_equal(p->snmp.max_varbinds, 24);
    pr_poe_profile_free(p);
}

static void test_confirm_answers(void **state)
{
    (void)state;
    struct pr_poe_profile *p = parse_ok("name t\n"
                                        "cli.prompt #$\n"
                                        "cli.confirm ^Password: ?$ =>\n"
                                        "cli.confirm save\\? => n\n"
                                        "cli.confirm MORE => <space>\n"
                                        "cli.on.port on {port}\ncli.off.port off {port}\n"
                                        "cli.status show\ncli.status.line ^([0-9]+) ([a-z]+)\n"
                                        "cli.state.disabled off\ncli.state.delivering on\n");
    assert_int_equal(p->cli.n_confirms, 3);
    assert_string_equal(p->cli.confirms[0].answer, "");
    assert_true(p->cli.confirms[0].newline);
    assert_string_equal(p->cli.confirms[1].answer, "n");
    assert_string_equal(p->cli.confirms[2].answer, " ");
    assert_false(p->cli.confirms[2].newline);
    pr_poe_profile_free(p);
}

/* A profile's whole text around one cli.confirm line (line 3). */
static const char *with_confirm(const char *confirm, const char *init)
{
    static char text[1024];
    snprintf(text, sizeof(text),
             "name t\ncli.prompt #$\n%s\n%s\n"
             "cli.on.port on {port}\ncli.off.port off {port}\n"
             "cli.status show\ncli.status.line ^([0-9]+) ([a-z]+)\n"
             "cli.state.disabled off\ncli.state.delivering on\n",
             confirm, init);
    return text;
}

static void test_enable_password_placeholder(void **state)
{
    (void)state;
    struct pr_poe_profile *p =
        parse_ok(with_confirm("cli.confirm ^Password: ?$ => {enable_password}", "cli.init enable"));
    assert_string_equal(p->cli.confirms[0].answer, "{enable_password}");
    assert_true(p->cli.confirms[0].secret);
    assert_true(p->cli.confirms[0].secret_required);
    assert_true(p->cli.confirms[0].newline);
    pr_poe_profile_free(p);

    p = parse_ok(
        with_confirm("cli.confirm ^Password: ?$ => {enable_password?}", "cli.init enable"));
    assert_true(p->cli.confirms[0].secret);
    assert_false(p->cli.confirms[0].secret_required);
    pr_poe_profile_free(p);

    /* Plain answers and a lone brace are text, not secrets. */
    p = parse_ok(with_confirm("cli.confirm save\\? => {n", "cli.init x"));
    assert_false(p->cli.confirms[0].secret);
    assert_string_equal(p->cli.confirms[0].answer, "{n");
    pr_poe_profile_free(p);

    /* The shipped profiles with an enable step answer its question. */
    static const char *const names[] = { "cisco-ios", "netgear", "edgeswitch", "tp-link" };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char err[256];
        assert_int_equal(pr_poe_profile_load("poe/profiles", names[i], &p, err, sizeof(err)), 0);
        unsigned secrets = 0;
        for (unsigned c = 0; c < p->cli.n_confirms; c++)
            secrets += p->cli.confirms[c].secret;
        assert_int_equal(secrets, 1);
        assert_string_equal(p->cli.init.line[0], "enable");
        pr_poe_profile_free(p);
    }
}

/* A misspelt placeholder would be sent as the password: refused, with
 * its line; and the password is never part of a command. */
static void test_unknown_placeholder_refused(void **state)
{
    (void)state;
    parse_err(with_confirm("cli.confirm ^Password: => {enable_pasword}", "cli.init enable"),
              "line 3: unknown placeholder {enable_pasword} in a cli.confirm answer");
    parse_err(with_confirm("cli.confirm ^Password: => {port}", "cli.init enable"),
              "line 3: unknown placeholder {port}");
    parse_err(with_confirm("cli.confirm ^Password: => x{}", "cli.init enable"),
              "line 3: unknown placeholder {}");
    parse_err(with_confirm("# a comment", "cli.init enable {enable_password}"),
              "line 4: {enable_password} belongs only in a cli.confirm answer");
    parse_err(with_confirm("cli.exit {enable_password?}", "cli.init enable"),
              "line 3: {enable_password} belongs only in a cli.confirm answer");

    /* Loading a file: the error names the file and the line. */
    char path[] = "/tmp/pirack-profile-XXXXXX", err[512] = "";
    int fd = mkstemp(path);
    const char *text = with_confirm("cli.confirm ^Password: => {secret}", "cli.init enable");
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    struct pr_poe_profile *p = NULL;
    assert_int_equal(pr_poe_profile_load(".", path, &p, err, sizeof(err)), -EINVAL);
    assert_null(p);
    char want[128];
    snprintf(want, sizeof(want), "%s: line 3: unknown placeholder {secret}", path);
    if (!strstr(err, want))
        fail_msg("error \"%s\" does not say \"%s\"", err, want);
    unlink(path);
}

static void test_errors_name_the_line(void **state)
{
    (void)state;
    parse_err("name a\nsnmp.admin 1.3.x.{port}\n", "line 2: not a numeric OID");
    parse_err("name a\n\n# c\nfoo bar\n", "line 4: unknown key foo");
    parse_err("name a\ncli.prompt ([\n", "line 2: bad pattern");
    parse_err("name a\ncli.error a++\n", "line 2: pattern too complex");
    parse_err("name a\nsnmp.max_varbinds 0\n", "line 2: snmp.max_varbinds is 1..256");
    parse_err("name a\nsnmp.admin.on\n", "line 2: snmp.admin.on has no value");
    parse_err("snmp.standard POWER-ETHERNET-MIB\n", "no name");
    parse_err("name a\nsnmp.standard POWER-ETHERNET-MIB\nsnmp.admin.off 1\n",
              "admin.on and admin.off are the same");
    parse_err("name a\ncli.prompt #$\n", "no cli.on.port");
    parse_err("name a\ncli.prompt #$\ncli.on.port on\ncli.off.port off\ncli.status show\n"
              "cli.status.line ^(x)\ncli.state.disabled a\ncli.state.delivering b\n",
              "without a port group needs {port}");
    parse_err("name a\ncli.confirm abc\n", "PATTERN => ANSWER");
    parse_err("name a b/c\n", "name holds only");
    parse_err("name a\ncli.init x\x01y\n", "control character");
}

static void test_oid_and_expand(void **state)
{
    unsigned long oid[PR_OID_MAX];
    char out[16];
    (void)state;
    assert_int_equal(pr_poe_parse_oid(".1.3.6.1.2.1.105", oid, PR_OID_MAX), 7);
    assert_int_equal(oid[6], 105);
    assert_int_equal(pr_poe_parse_oid("1.3.", oid, PR_OID_MAX), -EINVAL);
    assert_int_equal(pr_poe_parse_oid("1..3", oid, PR_OID_MAX), -EINVAL);
    assert_int_equal(pr_poe_parse_oid("1.99999999999", oid, PR_OID_MAX), -EINVAL);
    assert_int_equal(pr_poe_parse_oid("1.2.3", oid, 2), -EINVAL);
    assert_int_equal(pr_poe_expand("p{port}g{group}", 2, 33, out, sizeof(out)), 0);
    assert_string_equal(out, "p33g2");
    assert_int_equal(pr_poe_expand("0123456789{port}", 1, 123456, out, sizeof(out)), -ENAMETOOLONG);
}

static void test_load_refuses_paths_in_names(void **state)
{
    struct pr_poe_profile *p = NULL;
    char err[256];
    (void)state;
    assert_int_equal(pr_poe_profile_load("poe/profiles", "..", &p, err, sizeof(err)), -EINVAL);
    assert_int_equal(pr_poe_profile_load("poe/profiles", "nonesuch", &p, err, sizeof(err)),
                     -ENOENT);
    assert_non_null(strstr(err, "nonesuch.profile"));
    assert_int_equal(pr_poe_profile_load("", "poe/profiles/juniper.profile", &p, err, sizeof(err)),
                     0);
    pr_poe_profile_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_profiles_load),
        cmocka_unit_test(test_cisco_values),
        cmocka_unit_test(test_tplink_and_netgear_variants),
        cmocka_unit_test(test_confirm_answers),
        cmocka_unit_test(test_enable_password_placeholder),
        cmocka_unit_test(test_unknown_placeholder_refused),
        cmocka_unit_test(test_errors_name_the_line),
        cmocka_unit_test(test_oid_and_expand),
        cmocka_unit_test(test_load_refuses_paths_in_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
