/* The CLI dialog engine against scripted switch output: prompts found
 * only at the end, questions answered, errors caught, terminal noise
 * dropped, output in pieces, and status tables read per vendor. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "poe/poe_internal.h"

static struct pr_poe_profile *load(const char *name)
{
    struct pr_poe_profile *p = NULL;
    char err[256];
    if (pr_poe_profile_load("poe/profiles", name, &p, err, sizeof(err)) != 0)
        fail_msg("%s: %s", name, err);
    return p;
}

static struct pr_cli_screen *screen_of(const char *text)
{
    struct pr_cli_screen *s = calloc(1, sizeof(*s));
    pr_cli_screen_reset(s);
    pr_cli_clean(s, text, strlen(text));
    return s;
}

static enum pr_cli_verdict judge(const struct pr_poe_profile *p, const char *text,
                                 struct pr_cli_judgement *j)
{
    struct pr_cli_screen *s = screen_of(text);
    pr_cli_judge(&p->cli, s, j);
    free(s);
    return j->verdict;
}

static void test_prompt_only_at_the_end(void **state)
{
    struct pr_poe_profile *p = load("cisco-ios");
    struct pr_cli_judgement j;
    (void)state;
    assert_int_equal(judge(p, "show power inline\r\nGi1/0/1 auto on\r\nsim#", &j), PR_CLI_PROMPT);
    assert_false(j.error);
    assert_int_equal(judge(p, "sim(config-if)#", &j), PR_CLI_PROMPT);
    /* The echo of a command after a prompt is not a prompt. */
    assert_int_equal(judge(p, "sim#show power inline", &j), PR_CLI_MORE);
    assert_int_equal(judge(p, "sim#\r\nInterface Admin\r\n", &j), PR_CLI_MORE);
    pr_poe_profile_free(p);
}

static void test_errors_reported_with_their_line(void **state)
{
    struct pr_poe_profile *p = load("cisco-ios");
    struct pr_cli_judgement j;
    (void)state;
    assert_int_equal(judge(p,
                           "interface Gi1/0/99\r\n                 ^\r\n"
                           "% Invalid input detected at '^' marker.\r\n\r\nsim(config)#",
                           &j),
                     PR_CLI_PROMPT);
    assert_true(j.error);
    assert_string_equal(j.error_line, "% Invalid input detected at '^' marker.");
    pr_poe_profile_free(p);

    p = load("juniper");
    assert_int_equal(judge(p,
                           "commit and-quit\r\nerror: configuration check-out failed\r\n"
                           "ops@ex2300# ",
                           &j),
                     PR_CLI_PROMPT);
    assert_true(j.error);
    pr_poe_profile_free(p);
}

static void test_questions_answered(void **state)
{
    struct pr_poe_profile *p = load("procurve");
    struct pr_cli_judgement j;
    struct pr_cli_screen *s;
    (void)state;
    assert_int_equal(judge(p, "HP J9729A\r\n\r\nPress any key to continue", &j), PR_CLI_CONFIRM);
    assert_string_equal(j.confirm->answer, " ");
    assert_false(j.confirm->newline);

    /* logout: two questions, then the connection closes. */
    s = screen_of("sim-2930# logout\r\nDo you want to log out [y/n]? ");
    pr_cli_judge(&p->cli, s, &j);
    assert_int_equal(j.verdict, PR_CLI_CONFIRM);
    assert_string_equal(j.confirm->answer, "y");
    pr_cli_answered(s);
    pr_cli_judge(&p->cli, s, &j);
    assert_int_equal(j.verdict, PR_CLI_MORE); /* answered text is not judged again */
    pr_cli_clean(s, "y\r\nDo you want to save current configuration [y/n/^C]? ", 55);
    pr_cli_judge(&p->cli, s, &j);
    assert_int_equal(j.verdict, PR_CLI_CONFIRM);
    assert_string_equal(j.confirm->answer, "n"); /* never save for a power cycle */
    free(s);
    pr_poe_profile_free(p);
}

static void test_terminal_noise_dropped(void **state)
{
    struct pr_poe_profile *p = load("procurve");
    struct pr_cli_judgement j;
    struct pr_cli_screen *s;
    (void)state;
    /* Colour, cursor moves, an OSC title, CRs and a typo fixed with backspace. */
    s = screen_of("\033[1;32mok\033[0m\r\n\033]0;title\007sim-2930\033[K# ");
    assert_string_equal(s->text, "ok\nsim-2930# ");
    pr_cli_judge(&p->cli, s, &j);
    assert_int_equal(j.verdict, PR_CLI_PROMPT);
    free(s);
    s = screen_of("sim-2930x\b# ");
    assert_string_equal(s->text, "sim-2930# ");
    free(s);
    s = screen_of("");
    pr_cli_clean(s,
                 "a\0b\xff"
                 "c",
                 5);
    assert_int_equal(s->len, 4);
    assert_string_equal(s->text, "ab?c");
    free(s);
    pr_poe_profile_free(p);
}

static void test_output_in_pieces(void **state)
{
    struct pr_poe_profile *p = load("cisco-ios");
    struct pr_cli_judgement j;
    struct pr_cli_screen *s = calloc(1, sizeof(*s));
    static const char *const pieces[] = { "power inline never\r", "\n", "sim(con", "fig-if)", "#" };
    (void)state;
    pr_cli_screen_reset(s);
    for (size_t i = 0; i < 5; i++) {
        pr_cli_judge(&p->cli, s, &j);
        assert_int_equal(j.verdict, PR_CLI_MORE);
        pr_cli_clean(s, pieces[i], strlen(pieces[i]));
    }
    pr_cli_judge(&p->cli, s, &j);
    assert_int_equal(j.verdict, PR_CLI_PROMPT);
    free(s);
    pr_poe_profile_free(p);
}

static void test_screen_bounded(void **state)
{
    struct pr_cli_screen *s = calloc(1, sizeof(*s));
    char chunk[4096];
    (void)state;
    memset(chunk, 'x', sizeof(chunk));
    pr_cli_screen_reset(s);
    for (int i = 0; i < 100; i++)
        pr_cli_clean(s, chunk, sizeof(chunk));
    assert_true(s->len <= PR_CLI_SCREEN_MAX);
    pr_cli_clean(s, "\nsw# ", 5);
    assert_string_equal(s->text + s->len - 5, "\nsw# ");
    free(s);
}

static void test_status_tables(void **state)
{
    struct pr_poe_port_status st[4];
    const unsigned ports[4] = { 1, 2, 3, 12 };
    (void)state;

    struct pr_poe_profile *p = load("cisco-ios");
    const char *cisco = "Interface Admin  Oper       Power   Device              Class Max\n"
                        "Gi1/0/1   auto   on         3.0     Ieee PD             2     30.0\n"
                        "Gi1/0/2   off    off        0.0     n/a                 n/a   30.0\n"
                        "Gi1/0/3   auto   faulty     0.0     n/a                 n/a   30.0\n"
                        "Gi1/0/12  auto   off        0.0     n/a                 n/a   30.0\n"
                        "Gi2/0/1   auto   on         3.0     Ieee PD             2     30.0\n";
    memset(st, 0, sizeof(st));
    assert_int_equal(pr_cli_parse_status(&p->cli, cisco, strlen(cisco), ports, 4, st), 4);
    assert_int_equal(st[0].detect, PR_POE_DETECT_DELIVERING);
    assert_int_equal(st[0].admin, 1);
    assert_int_equal(st[1].detect, PR_POE_DETECT_DISABLED);
    assert_int_equal(st[1].admin, 0);
    assert_int_equal(st[2].detect, PR_POE_DETECT_FAULT);
    assert_int_equal(st[3].detect, PR_POE_DETECT_SEARCHING);
    pr_poe_profile_free(p);

    p = load("procurve");
    const char *hp =
        "  ---- ---- -------- ------- ----- ------ -------- ------- ------------ --- ----\n"
        "  1    Yes  low      off     usage usage  3.0 W    2.9 W   Delivering   2   2\n"
        "  2    No   low      off     usage usage  0 W      0 W     Disabled     -   -\n"
        "  12   Yes  low      off     usage usage  0 W      0 W     Other Fault  -   -\n";
    memset(st, 0, sizeof(st));
    assert_int_equal(pr_cli_parse_status(&p->cli, hp, strlen(hp), ports, 4, st), 3);
    assert_int_equal(st[0].detect, PR_POE_DETECT_DELIVERING);
    assert_int_equal(st[1].detect, PR_POE_DETECT_DISABLED);
    assert_int_equal(st[2].detect, PR_POE_DETECT_UNKNOWN); /* port 3 not listed */
    assert_int_equal(st[3].detect, PR_POE_DETECT_FAULT);
    pr_poe_profile_free(p);

    /* One port per command: the state group alone. */
    p = load("mikrotik");
    const char *mt = "  poe-out: auto-on\n  poe-out-status: waiting-for-load\n";
    memset(st, 0, sizeof(st));
    assert_int_equal(pr_cli_parse_status(&p->cli, mt, strlen(mt), ports, 1, st), 1);
    assert_int_equal(st[0].detect, PR_POE_DETECT_SEARCHING);
    pr_poe_profile_free(p);

    p = load("juniper");
    const char *jn = "ge-0/0/3     Enabled     ON      15.4W  Low        2.9W         2\n"
                     "ge-0/0/12    Disabled    OFF     15.4W  Low        0.0W         n/a\n"
                     "ge-0/0/2     Enabled     Weird   15.4W\n";
    memset(st, 0, sizeof(st));
    assert_int_equal(pr_cli_parse_status(&p->cli, jn, strlen(jn), ports, 4, st), 3);
    assert_int_equal(st[2].detect, PR_POE_DETECT_DELIVERING);
    assert_int_equal(st[3].detect, PR_POE_DETECT_DISABLED);
    assert_int_equal(st[1].detect, PR_POE_DETECT_UNKNOWN);
    assert_non_null(strstr(st[1].note, "Enabled:Weird"));
    pr_poe_profile_free(p);
}

/* What the emulator dialects showed wrong in the profiles: a Netgear
 * prompt with '+' in the model name, FASTPATH's save question on logout,
 * RouterOS's "off" and "_" states, AOS-CX's status in another column. */
/* A pager wipes its question once answered, with "\r<blanks>\r" or with
 * backspaces; the row after it must start its line, or it is lost to the
 * status parser. */
static void test_pager_wipes_its_question(void **state)
{
    struct pr_poe_profile *p = load("procurve");
    struct pr_poe_port_status st[2];
    const unsigned ports[2] = { 1, 2 };
    struct pr_cli_judgement j;
    (void)state;
    struct pr_cli_screen *s =
        screen_of("  1    Yes  low  off  usage usage  3.0 W  2.9 W   Delivering   2   2\r\n"
                  "-- MORE --, next page: Space, next line: Enter, quit: Control-C");
    pr_cli_judge(&p->cli, s, &j);
    assert_int_equal(j.verdict, PR_CLI_CONFIRM);
    pr_cli_answered(s);
    const char *rest =
        "\r                                                 \r"
        "  2    No   low  off  usage usage  0 W    0 W     Disabled     -   -\r\n\r\nsw# ";
    pr_cli_clean(s, rest, strlen(rest));
    assert_null(strstr(s->text, "MORE"));
    pr_cli_judge(&p->cli, s, &j);
    assert_int_equal(j.verdict, PR_CLI_PROMPT);
    memset(st, 0, sizeof(st));
    assert_int_equal(pr_cli_parse_status(&p->cli, s->text, s->len, ports, 2, st), 2);
    assert_int_equal(st[1].detect, PR_POE_DETECT_DISABLED);
    free(s);
    pr_poe_profile_free(p);

    p = load("cisco-ios"); /* IOS: " --More-- ", then backspaces */
    s = screen_of(
        "Gi1/0/1   auto   on         3.0     Ieee PD             2     30.0\r\n --More-- ");
    pr_cli_judge(&p->cli, s, &j);
    assert_int_equal(j.verdict, PR_CLI_CONFIRM);
    pr_cli_answered(s);
    rest = "\b\b\b\b\b\b\b\b\b\b          \b\b\b\b\b\b\b\b\b\b"
           "Gi1/0/2   off    off        0.0     n/a                 n/a   30.0\r\nsim#";
    pr_cli_clean(s, rest, strlen(rest));
    memset(st, 0, sizeof(st));
    assert_int_equal(pr_cli_parse_status(&p->cli, s->text, s->len, ports, 2, st), 2);
    assert_int_equal(st[1].detect, PR_POE_DETECT_DISABLED);
    pr_cli_judge(&p->cli, s, &j);
    assert_int_equal(j.verdict, PR_CLI_PROMPT);
    free(s);

    /* \r\n split over two reads is still one line end; \n\r rewinds nothing. */
    s = screen_of("a\r");
    pr_cli_clean(s, "\nb\n\rc", 5);
    assert_string_equal(s->text, "a\nb\nc");
    free(s);
    pr_poe_profile_free(p);
}

static void test_profile_fixes_from_the_emulator(void **state)
{
    struct pr_poe_port_status st[4];
    const unsigned ports[4] = { 1, 2, 3, 12 };
    struct pr_cli_judgement j;
    (void)state;

    struct pr_poe_profile *p = load("netgear");
    assert_int_equal(judge(p, "\r\n(M4300-28G-PoE+) >", &j), PR_CLI_PROMPT);
    assert_int_equal(judge(p, "(M4300-28G-PoE+) (Interface 0/5)#", &j), PR_CLI_PROMPT);
    assert_int_equal(judge(p,
                           "logout\r\n\r\nThe system has unsaved changes.\r\n"
                           "Would you like to save them now? (y/n) ",
                           &j),
                     PR_CLI_CONFIRM);
    assert_string_equal(j.confirm->answer, "n");
    pr_poe_profile_free(p);
    p = load("edgeswitch");
    assert_int_equal(judge(p, "Would you like to save them now? (y/n) ", &j), PR_CLI_CONFIRM);
    assert_string_equal(j.confirm->answer, "n");
    pr_poe_profile_free(p);

    p = load("mikrotik");
    const char *off = "            poe-out: off\n     poe-out-status: off\n";
    const char *reset = "     poe-out-status: power_reset\n";
    memset(st, 0, sizeof(st));
    assert_int_equal(pr_cli_parse_status(&p->cli, off, strlen(off), ports, 1, st), 1);
    assert_int_equal(st[0].detect, PR_POE_DETECT_DISABLED);
    memset(st, 0, sizeof(st));
    assert_int_equal(pr_cli_parse_status(&p->cli, reset, strlen(reset), ports, 1, st), 1);
    assert_int_equal(st[0].detect, PR_POE_DETECT_FAULT);
    pr_poe_profile_free(p);

    p = load("aruba-cx");
    const char *cx = "Interface     Status       Priority  Class  By      Drawn\n"
                     "1/1/1         delivering   low       2      usage   3.1 W\n"
                     "1/1/2         disabled     low       -      usage   0.0 W\n"
                     "1/1/3         Searching    low       -      usage   0.0 W\n"
                     "1/1/12        Yes  low     usage     fault\n";
    memset(st, 0, sizeof(st));
    assert_int_equal(pr_cli_parse_status(&p->cli, cx, strlen(cx), ports, 4, st), 4);
    assert_int_equal(st[0].detect, PR_POE_DETECT_DELIVERING);
    assert_int_equal(st[1].detect, PR_POE_DETECT_DISABLED);
    assert_int_equal(st[2].detect, PR_POE_DETECT_SEARCHING);
    assert_int_equal(st[3].detect, PR_POE_DETECT_FAULT);
    pr_poe_profile_free(p);
}

/* The enable password goes into the answer when it is sent; a required
 * one that is not configured is an error, an optional one is empty. */
static void test_enable_password_answer(void **state)
{
    struct pr_poe_profile *p = load("cisco-ios"), *f = load("netgear");
    const struct pr_poe_confirm *req = NULL, *opt = NULL;
    char out[64];
    (void)state;
    for (unsigned i = 0; i < p->cli.n_confirms; i++)
        if (p->cli.confirms[i].secret)
            req = &p->cli.confirms[i];
    for (unsigned i = 0; i < f->cli.n_confirms; i++)
        if (f->cli.confirms[i].secret)
            opt = &f->cli.confirms[i];
    assert_non_null(req);
    assert_non_null(opt);
    assert_int_equal(pr_cli_answer(req, "s3cret", out, sizeof(out)), 0);
    assert_string_equal(out, "s3cret");
    assert_int_equal(pr_cli_answer(req, "", out, sizeof(out)), -ENOKEY);
    assert_int_equal(pr_cli_answer(opt, "", out, sizeof(out)), 0);
    assert_string_equal(out, "");
    assert_int_equal(pr_cli_answer(opt, "x y", out, sizeof(out)), 0);
    assert_string_equal(out, "x y");
    assert_int_equal(pr_cli_answer(req, "0123456789", out, 10), -ENAMETOOLONG);

    /* The switch's "Password:" is a question; IOS's refusal is an error. */
    struct pr_cli_judgement j;
    assert_int_equal(judge(p, "sim>enable\r\nPassword: ", &j), PR_CLI_CONFIRM);
    assert_ptr_equal(j.confirm, req);
    assert_int_equal(judge(p, "Password: \r\n% Bad secrets\r\n\r\nsim>", &j), PR_CLI_PROMPT);
    assert_true(j.error);
    assert_string_equal(j.error_line, "% Bad secrets");
    assert_int_equal(judge(f, "Password:\r\nIncorrect Password!\r\n(M4300) >", &j), PR_CLI_PROMPT);
    assert_true(j.error);
    pr_poe_profile_free(p);
    pr_poe_profile_free(f);
}

static void test_mask(void **state)
{
    char t[32];
    (void)state;
    snprintf(t, sizeof(t), "said \"pw\" to pw!");
    pr_cli_mask(t, sizeof(t), "pw");
    assert_string_equal(t, "said \"****\" to ****!");
    snprintf(t, sizeof(t), "a long-secret-here b");
    pr_cli_mask(t, sizeof(t), "long-secret-here");
    assert_string_equal(t, "a **** b");
    snprintf(t, sizeof(t), "nothing to hide");
    pr_cli_mask(t, sizeof(t), "");
    assert_string_equal(t, "nothing to hide");
    /* Growing past the buffer cuts the end, never the mask's bounds. */
    char small[8];
    snprintf(small, sizeof(small), "ab x cd");
    pr_cli_mask(small, sizeof(small), "x");
    assert_string_equal(small, "ab ****");
    snprintf(small, sizeof(small), "abcdefx");
    pr_cli_mask(small, sizeof(small), "x");
    assert_string_equal(small, "abcdef");
    /* A secret made of the mask's own stars ends. */
    snprintf(t, sizeof(t), "a * b");
    pr_cli_mask(t, sizeof(t), "*");
    assert_string_equal(t, "a **** b");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prompt_only_at_the_end),
        cmocka_unit_test(test_errors_reported_with_their_line),
        cmocka_unit_test(test_questions_answered),
        cmocka_unit_test(test_terminal_noise_dropped),
        cmocka_unit_test(test_output_in_pieces),
        cmocka_unit_test(test_screen_bounded),
        cmocka_unit_test(test_status_tables),
        cmocka_unit_test(test_profile_fixes_from_the_emulator),
        cmocka_unit_test(test_pager_wipes_its_question),
        cmocka_unit_test(test_enable_password_answer),
        cmocka_unit_test(test_mask),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
