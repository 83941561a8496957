/* The CLI dialog engine: decides, from the text a switch has sent so far,
 * whether a command is done (its prompt came back), whether the switch
 * asks a question that the profile answers, and whether it reported an
 * error; and reads port states out of status output.  No I/O here: the
 * SSH driver feeds it bytes, the tests and fuzzers feed it scripts. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "poe_internal.h"

enum {
    ESC_NONE,
    ESC_SEEN,
    ESC_CSI,
    ESC_OSC
};

void pr_cli_screen_reset(struct pr_cli_screen *s)
{
    s->len = 0;
    s->judged = 0;
    s->esc = ESC_NONE;
    s->cr = false;
    s->text[0] = '\0';
}

/* Keeps the newest text when the screen is full: a paging switch that
 * never stops talking cannot grow us without bound. */
static void put(struct pr_cli_screen *s, char c)
{
    if (s->len == PR_CLI_SCREEN_MAX) {
        size_t drop = PR_CLI_SCREEN_MAX / 2;
        memmove(s->text, s->text + drop, s->len - drop);
        s->len -= drop;
        s->judged = s->judged > drop ? s->judged - drop : 0;
    }
    s->text[s->len++] = c;
}

/* Returns true when c ends or continues an escape sequence (so it is not text). */
static bool in_escape(struct pr_cli_screen *s, unsigned char c)
{
    switch (s->esc) {
    case ESC_SEEN:
        s->esc = c == '[' ? ESC_CSI : c == ']' ? ESC_OSC : ESC_NONE;
        return true;
    case ESC_CSI:
        if (c >= 0x40 && c <= 0x7e)
            s->esc = ESC_NONE;
        return true;
    case ESC_OSC:
        if (c == 0x07 || c == 0x1b)
            s->esc = c == 0x1b ? ESC_SEEN : ESC_NONE;
        return true;
    default:
        if (c == 0x1b) {
            s->esc = ESC_SEEN;
            return true;
        }
        return false;
    }
}

/* Text that was answered may be erased too (a pager wiping its own
 * question): what is gone is not judged again. */
static void unput(struct pr_cli_screen *s)
{
    if (s->len > 0 && s->text[s->len - 1] != '\n')
        s->len--;
    if (s->judged > s->len)
        s->judged = s->len;
}

/* A bare \r returns to the start of the line, and what follows
 * overwrites it: pagers wipe "-- MORE --" with "\r<blanks>\r".  Only
 * the overwriting text is kept (a terminal would show the old tail past
 * its end; nothing we match wants that). */
static void rewind_line(struct pr_cli_screen *s)
{
    while (s->len > 0 && s->text[s->len - 1] != '\n')
        unput(s);
}

void pr_cli_clean(struct pr_cli_screen *s, const void *data, size_t n)
{
    const unsigned char *b = data;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = b[i];
        if (in_escape(s, c))
            continue;
        if (c == '\r') {
            s->cr = true;
            continue;
        }
        if (s->cr && c != '\n')
            rewind_line(s);
        s->cr = false;
        if (c == '\b') {
            unput(s);
        } else if (c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f)) {
            put(s, (char)c);
        } else if (c >= 0x80) {
            put(s, '?'); /* no UTF-8 in prompts we match */
        }                /* NUL, other controls: dropped */
    }
    s->text[s->len] = '\0';
}

static bool matches(const struct pr_poe_pattern *p, const char *line)
{
    return p->compiled && regexec(&p->re, line, 0, NULL, 0) == 0;
}

void pr_cli_judge(const struct pr_poe_cli_profile *p, const struct pr_cli_screen *s,
                  struct pr_cli_judgement *j)
{
    memset(j, 0, sizeof(*j));
    j->verdict = PR_CLI_MORE;
    const char *start = s->text + s->judged;
    const char *last = strrchr(start, '\n');
    last = last ? last + 1 : start;

    /* Complete lines: errors.  The echo of our own command is a line too,
     * which is why error patterns are anchored to what switches print. */
    char line[512];
    for (const char *l = start; l < last;) {
        const char *nl = strchr(l, '\n');
        size_t n = (size_t)(nl - l);
        if (n >= sizeof(line))
            n = sizeof(line) - 1;
        memcpy(line, l, n);
        line[n] = '\0';
        for (unsigned i = 0; i < p->n_errors && !j->error; i++)
            if (matches(&p->errors[i], line)) {
                j->error = true;
                snprintf(j->error_line, sizeof(j->error_line), "%.150s", line);
            }
        l = nl + 1;
    }

    /* The last, unfinished line: a question, a prompt, or more to come. */
    size_t n = strlen(last);
    if (n >= sizeof(line))
        return; /* no prompt is that long */
    memcpy(line, last, n + 1);
    for (unsigned i = 0; i < p->n_confirms; i++)
        if (matches(&p->confirms[i].pattern, line)) {
            j->verdict = PR_CLI_CONFIRM;
            j->confirm = &p->confirms[i];
            return;
        }
    if (matches(&p->prompt, line))
        j->verdict = PR_CLI_PROMPT;
    for (unsigned i = 0; i < p->n_errors && !j->error; i++)
        if (matches(&p->errors[i], line)) {
            j->error = true;
            snprintf(j->error_line, sizeof(j->error_line), "%.150s", line);
        }
}

void pr_cli_answered(struct pr_cli_screen *s)
{
    s->judged = s->len;
}

int pr_cli_answer(const struct pr_poe_confirm *cf, const char *secret, char *out, size_t outlen)
{
    if (cf->secret_required && !secret[0])
        return -ENOKEY;
    const struct pr_template_var vars[] = { { PR_PH_ENABLE, secret },
                                            { PR_PH_ENABLE_OPT, secret } };
    return pr_template_fill(cf->answer, vars, 2, out, outlen);
}

/* The switch may echo what it was sent (a misbehaving CLI, or a password
 * prompt the profile mistook): whatever reaches an error message has the
 * password taken out first. */
void pr_cli_mask(char *text, size_t size, const char *secret)
{
    static const char mask[] = "****";
    const size_t ml = sizeof(mask) - 1, sl = strlen(secret);
    if (!sl || !size)
        return;
    for (char *hit = strstr(text, secret); hit; hit = strstr(hit + ml, secret)) {
        size_t pos = (size_t)(hit - text), tail = strlen(hit + sl);
        if (pos + ml >= size) {
            *hit = '\0';
            return;
        }
        if (pos + ml + tail >= size)
            tail = size - 1 - pos - ml;
        memmove(hit + ml, hit + sl, tail);
        memcpy(hit, mask, ml);
        hit[ml + tail] = '\0';
    }
}

static bool word_in(const struct pr_poe_words *w, const char *word)
{
    for (unsigned i = 0; i < w->n; i++)
        if (!strcasecmp(w->word[i], word))
            return true;
    return false;
}

static enum pr_poe_detect classify(const struct pr_poe_cli_profile *p, const char *word)
{
    if (word_in(&p->st_disabled, word))
        return PR_POE_DETECT_DISABLED;
    if (word_in(&p->st_delivering, word))
        return PR_POE_DETECT_DELIVERING;
    if (word_in(&p->st_searching, word))
        return PR_POE_DETECT_SEARCHING;
    if (word_in(&p->st_fault, word))
        return PR_POE_DETECT_FAULT;
    return PR_POE_DETECT_UNKNOWN;
}

static void set_state(struct pr_poe_port_status *st, enum pr_poe_detect d, const char *word)
{
    st->detect = d;
    st->admin = d == PR_POE_DETECT_DISABLED ? 0 : d == PR_POE_DETECT_UNKNOWN ? -1 : 1;
    if (d == PR_POE_DETECT_UNKNOWN)
        snprintf(st->note, sizeof(st->note), "unknown state \"%.30s\"", word);
}

/* One matched line: the port number (group 1 when there are two groups
 * or more) and the state word (the last group). */
static size_t take_line(const struct pr_poe_cli_profile *p, const char *line, const unsigned *ports,
                        size_t n, struct pr_poe_port_status *st, bool *seen)
{
    regmatch_t m[10];
    size_t groups = p->status_line.re.re_nsub;
    if (groups < 1 || groups > 9 || regexec(&p->status_line.re, line, 10, m, 0) != 0)
        return 0;
    const regmatch_t *sm = &m[groups];
    if (sm->rm_so < 0)
        return 0;
    /* Runs of blanks inside the state become one ':' ("auto   on" ->
     * "auto:on"), so a state may be read from two columns. */
    char word[PR_PROF_WORD_MAX];
    size_t wl = 0;
    for (regoff_t i = sm->rm_so; i < sm->rm_eo && wl + 1 < sizeof(word); i++) {
        char c = line[i];
        if (c == ' ' || c == '\t') {
            if (wl && word[wl - 1] != ':')
                word[wl++] = ':';
        } else {
            word[wl++] = c;
        }
    }
    while (wl && word[wl - 1] == ':')
        wl--;
    word[wl] = '\0';
    enum pr_poe_detect d = classify(p, word);

    if (groups == 1) { /* a per-port command: the port is known */
        if (n != 1 || seen[0])
            return 0;
        seen[0] = true;
        set_state(&st[0], d, word);
        return 1;
    }
    if (m[1].rm_so < 0)
        return 0;
    /* The port is the last run of digits in group 1 ("Gi1/0/12" -> 12). */
    unsigned long port = 0;
    bool any = false, prev = false;
    for (regoff_t i = m[1].rm_so; i < m[1].rm_eo; i++) {
        bool digit = isdigit((unsigned char)line[i]) != 0;
        if (digit) {
            port = (prev ? port * 10 : 0) + (unsigned long)(line[i] - '0');
            if (port > 100000)
                return 0;
            any = true;
        }
        prev = digit;
    }
    if (!any)
        return 0;
    size_t found = 0;
    for (size_t i = 0; i < n; i++)
        if (ports[i] == port && !seen[i]) {
            seen[i] = true;
            set_state(&st[i], d, word);
            found++;
        }
    return found;
}

size_t pr_cli_parse_status(const struct pr_poe_cli_profile *p, const char *text, size_t len,
                           const unsigned *ports, size_t n, struct pr_poe_port_status *st)
{
    if (!p->status_line.compiled || n == 0)
        return 0;
    bool *seen = calloc(n, sizeof(*seen));
    if (!seen)
        return 0;
    size_t found = 0;
    char line[512];
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t l = nl ? (size_t)(nl - (text + pos)) : len - pos;
        size_t c = l < sizeof(line) ? l : sizeof(line) - 1;
        memcpy(line, text + pos, c);
        line[c] = '\0';
        if (!memchr(line, '\0', c)) /* a NUL would hide the rest from regexec */
            found += take_line(p, line, ports, n, st, seen);
        pos += l + 1;
    }
    free(seen);
    return found;
}
