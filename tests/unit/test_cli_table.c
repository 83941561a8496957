/* pirack's printers: aligned tables and fields, control characters from
 * the rack kept off the terminal, durations.  The CLI is its own program,
 * not in libpirack, so its printing files are compiled in here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli/format.c"
#include "cli/table.c"

/* What print wrote, as one string (the caller frees it). */
struct capture {
    char *text;
    size_t len;
    FILE *f;
};

static void capture_start(struct capture *c)
{
    c->f = open_memstream(&c->text, &c->len);
    assert_non_null(c->f);
}

static char *capture_end(struct capture *c)
{
    fclose(c->f);
    return c->text;
}

static void test_table_aligns_columns(void **state)
{
    static const char *const headers[] = { "SLOT", "STATE", "NAME" };
    static const char *const r1[] = { "1", "off", "rack1-001" };
    static const char *const r2[] = { "108", "booted", NULL };
    struct cli_table *t = cli_table_new(3, headers);
    struct capture c;
    char *out;

    (void)state;
    assert_non_null(t);
    assert_int_equal(cli_table_add(t, r1), 0);
    assert_int_equal(cli_table_add(t, r2), 0);
    capture_start(&c);
    cli_table_print(t, c.f);
    out = capture_end(&c);
    /* Each column as wide as its widest cell, two spaces apart; the last
     * column unpadded; NULL shown as "-". */
    assert_string_equal(out, "SLOT  STATE   NAME\n"
                             "1     off     rack1-001\n"
                             "108   booted  -\n");
    free(out);
    cli_table_free(t);
    cli_table_free(NULL);
}

static void test_table_keeps_control_characters_off_the_terminal(void **state)
{
    static const char *const headers[] = { "KIND", "DETAIL" };
    static const char *const row[] = { "evil\x1b[2J", "a\nb\tc\x7f" };
    struct cli_table *t = cli_table_new(2, headers);
    struct capture c;
    char *out;

    (void)state;
    assert_int_equal(cli_table_add(t, row), 0);
    capture_start(&c);
    cli_table_print(t, c.f);
    out = capture_end(&c);
    assert_string_equal(out, "KIND      DETAIL\n"
                             "evil?[2J  a?b?c?\n");
    free(out);
    cli_table_free(t);
}

static void test_table_counts_characters_not_bytes(void **state)
{
    static const char *const headers[] = { "OWNER", "X" };
    static const char *const r1[] = { "jos\xc3\xa9", "1" }; /* "josé": 4 wide, 5 bytes */
    static const char *const r2[] = { "abcde", "2" };
    struct cli_table *t = cli_table_new(2, headers);
    struct capture c;
    char *out;

    (void)state;
    assert_int_equal(cli_table_add(t, r1), 0);
    assert_int_equal(cli_table_add(t, r2), 0);
    capture_start(&c);
    cli_table_print(t, c.f);
    out = capture_end(&c);
    assert_string_equal(out, "OWNER  X\n"
                             "jos\xc3\xa9   1\n"
                             "abcde  2\n");
    free(out);
    cli_table_free(t);
}

static void test_table_grows(void **state)
{
    static const char *const headers[] = { "N" };
    struct cli_table *t = cli_table_new(1, headers);
    struct capture c;
    char *out, cell[16];
    const char *row[1] = { cell };
    size_t lines = 0;

    (void)state;
    for (int i = 1; i <= 500; i++) {
        snprintf(cell, sizeof(cell), "%d", i);
        assert_int_equal(cli_table_add(t, row), 0);
    }
    capture_start(&c);
    cli_table_print(t, c.f);
    out = capture_end(&c);
    for (char *p = out; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 501);
    assert_non_null(strstr(out, "\n500\n"));
    free(out);
    cli_table_free(t);
}

static void test_fields(void **state)
{
    const char *labels[] = { "slot", "board serial", "owner" };
    const char *values[] = { "2", "00000000abcdef02", NULL };
    struct capture c;
    char *out;

    (void)state;
    capture_start(&c);
    cli_print_fields(c.f, labels, values, 3);
    out = capture_end(&c);
    assert_string_equal(out, "slot:          2\n"
                             "board serial:  00000000abcdef02\n"
                             "owner:         -\n");
    free(out);
}

static void test_durations(void **state)
{
    char buf[32];

    (void)state;
    assert_string_equal(cli_fmt_duration(0, buf, sizeof(buf)), "0s");
    assert_string_equal(cli_fmt_duration(59, buf, sizeof(buf)), "59s");
    assert_string_equal(cli_fmt_duration(61, buf, sizeof(buf)), "1m 1s");
    assert_string_equal(cli_fmt_duration(2 * 3600 + 14 * 60 + 5, buf, sizeof(buf)), "2h 14m");
    assert_string_equal(cli_fmt_duration(3 * 86400 + 4 * 3600, buf, sizeof(buf)), "3d 4h");
    assert_string_equal(cli_fmt_duration(-1, buf, sizeof(buf)), "-");
    assert_string_equal(cli_fmt_time(0, buf, sizeof(buf)), "-");
    assert_int_equal(strlen(cli_fmt_time(1795698263784, buf, sizeof(buf))), 19);
}

static void test_sanitize(void **state)
{
    char out[8];

    (void)state;
    assert_string_equal(cli_sanitize("ok", out, sizeof(out)), "ok");
    assert_string_equal(cli_sanitize("\x1b]0;x\x07", out, sizeof(out)), "?]0;x?");
    assert_string_equal(cli_sanitize("0123456789", out, sizeof(out)), "0123456");
    assert_string_equal(cli_sanitize(NULL, out, sizeof(out)), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_aligns_columns),
        cmocka_unit_test(test_table_keeps_control_characters_off_the_terminal),
        cmocka_unit_test(test_table_counts_characters_not_bytes),
        cmocka_unit_test(test_table_grows),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_sanitize),
    };

    return cmocka_run_group_tests_name("cli_table", tests, NULL, NULL);
}
