/* Vendor profiles: a line format, one "key value" per line (see
 * docs/switch-profiles.md).  The text may come from any file an operator
 * points at, so every field is bounded and checked, and a profile that
 * could not drive a switch (no admin OID, no prompt) is refused here
 * rather than at 3 a.m. on the switch. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "poe_internal.h"

#define PROFILE_FILE_MAX (64 * 1024)

static int perr(char *err, size_t errlen, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int perr(char *err, size_t errlen, unsigned line, const char *fmt, ...)
{
    if (err && errlen) {
        int n = snprintf(err, errlen, "line %u: ", line);
        if (n >= 0 && (size_t)n < errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return -EINVAL;
}

int pr_poe_parse_oid(const char *s, unsigned long *oid, size_t max)
{
    size_t n = 0;
    if (*s == '.')
        s++;
    while (*s) {
        if (!isdigit((unsigned char)*s) || n >= max)
            return -EINVAL;
        unsigned long v = 0;
        while (isdigit((unsigned char)*s)) {
            if (v > (0xffffffffUL - 9) / 10)
                return -EINVAL;
            v = v * 10 + (unsigned long)(*s++ - '0');
        }
        oid[n++] = v;
        if (*s == '.') {
            s++;
            if (!*s)
                return -EINVAL;
        } else if (*s) {
            return -EINVAL;
        }
    }
    return n >= 2 ? (int)n : -EINVAL;
}

int pr_template_fill(const char *tmpl, const struct pr_template_var *vars, size_t nvars, char *out,
                     size_t outlen)
{
    size_t o = 0;
    if (!outlen)
        return -ENAMETOOLONG;
    for (const char *p = tmpl; *p;) {
        const char *put = NULL;
        size_t skip = 1;
        for (size_t i = 0; i < nvars && !put; i++) {
            size_t nl = strlen(vars[i].name);
            if (strncmp(p, vars[i].name, nl) == 0)
                put = vars[i].value, skip = nl;
        }
        size_t len = put ? strlen(put) : 1;
        if (o + len >= outlen)
            return -ENAMETOOLONG;
        memcpy(out + o, put ? put : p, len);
        o += len;
        p += skip;
    }
    out[o] = '\0';
    return 0;
}

int pr_poe_expand(const char *tmpl, unsigned group, unsigned port, char *out, size_t outlen)
{
    char g[16], n[16];
    snprintf(g, sizeof(g), "%u", group);
    snprintf(n, sizeof(n), "%u", port);
    const struct pr_template_var vars[] = { { "{port}", n }, { "{group}", g } };
    return pr_template_fill(tmpl, vars, 2, out, outlen);
}

/* An OID template: digits and dots, with {group} and {port} standing for
 * numbers.  Checked by expanding it and parsing the result. */
static bool oid_template_valid(const char *t)
{
    char buf[PR_PROF_LINE_MAX + 64];
    unsigned long oid[PR_OID_MAX];
    if (pr_poe_expand(t, 1, 1, buf, sizeof(buf)) < 0)
        return false;
    return pr_poe_parse_oid(buf, oid, PR_OID_MAX) > 0;
}

/* glibc's regcomp() can take seconds and gigabytes on stacked or large
 * repetitions ("a+++++...", "(a{200}){200}"), and profiles are only
 * text: patterns keep to a few plain quantifiers. */
static bool pattern_sane(const char *t)
{
    unsigned quantifiers = 0;
    bool prev_quant = false;
    for (const char *c = t; *c; c++) {
        if (*c == '\\' && c[1]) {
            c++;
            prev_quant = false;
            continue;
        }
        bool quant = *c == '*' || *c == '+' || *c == '?' || *c == '{';
        if (quant && (prev_quant || ++quantifiers > 24))
            return false;
        if (*c == '{') {
            char *end;
            unsigned long lo = strtoul(c + 1, &end, 10), hi = lo;
            if (*end == ',')
                hi = isdigit((unsigned char)end[1]) ? strtoul(end + 1, &end, 10) : lo;
            if (lo > 32 || hi > 32)
                return false;
            c = strchr(c, '}') ? strchr(c, '}') : c;
        }
        prev_quant = quant;
    }
    return true;
}

static int compile(struct pr_poe_pattern *p, const char *text, unsigned line, char *err,
                   size_t errlen)
{
    if (strlen(text) >= sizeof(p->text))
        return perr(err, errlen, line, "pattern too long");
    if (!pattern_sane(text))
        return perr(err, errlen, line,
                    "pattern too complex (stacked or more than 24 "
                    "quantifiers, or a count over 32)");
    snprintf(p->text, sizeof(p->text), "%s", text);
    int rc = regcomp(&p->re, p->text, REG_EXTENDED | REG_NEWLINE);
    if (rc != 0) {
        char why[128];
        regerror(rc, &p->re, why, sizeof(why));
        return perr(err, errlen, line, "bad pattern: %s", why);
    }
    p->compiled = true;
    return 0;
}

static void release(struct pr_poe_pattern *p)
{
    if (p->compiled)
        regfree(&p->re);
    p->compiled = false;
}

/* A command line is echoed by the switch and shown in errors: the
 * password may only be an answer to the switch's own question. */
static int no_secret_in_command(const char *v, unsigned line, char *err, size_t errlen)
{
    if (strstr(v, "{enable_password"))
        return perr(err, errlen, line,
                    "{enable_password} belongs only in a cli.confirm "
                    "answer, not in a command (the switch would echo it)");
    return 0;
}

static int add_cmd(struct pr_poe_cmds *c, const char *v, unsigned line, char *err, size_t errlen)
{
    if (no_secret_in_command(v, line, err, errlen) < 0)
        return -EINVAL;
    if (c->n >= PR_PROF_MAX_CMDS)
        return perr(err, errlen, line, "more than %d commands in one list", PR_PROF_MAX_CMDS);
    if (strlen(v) >= PR_PROF_LINE_MAX)
        return perr(err, errlen, line, "command too long");
    snprintf(c->line[c->n++], PR_PROF_LINE_MAX, "%s", v);
    return 0;
}

static int add_words(struct pr_poe_words *w, char *v, unsigned line, char *err, size_t errlen)
{
    char *save = NULL;
    for (char *t = strtok_r(v, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
        if (w->n >= PR_PROF_MAX_WORDS)
            return perr(err, errlen, line, "more than %d words", PR_PROF_MAX_WORDS);
        if (strlen(t) >= PR_PROF_WORD_MAX)
            return perr(err, errlen, line, "word too long");
        snprintf(w->word[w->n++], PR_PROF_WORD_MAX, "%s", t);
    }
    return 0;
}

static int parse_long(const char *v, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < min || x > max)
        return -EINVAL;
    *out = x;
    return 0;
}

static int set_oid(char *dst, const char *v, unsigned line, char *err, size_t errlen)
{
    if (strlen(v) >= PR_PROF_LINE_MAX || !oid_template_valid(v))
        return perr(err, errlen, line, "not a numeric OID template: %.40s", v);
    snprintf(dst, PR_PROF_LINE_MAX, "%s", v);
    return 0;
}

/* The POWER-ETHERNET-MIB (RFC 3621), which most switches implement. */
static void snmp_standard(struct pr_poe_snmp_profile *s)
{
    s->present = true;
    snprintf(s->admin_oid, sizeof(s->admin_oid), "1.3.6.1.2.1.105.1.1.1.3.{group}.{port}");
    s->admin_on = 1, s->admin_off = 2;
    snprintf(s->detect_oid, sizeof(s->detect_oid), "1.3.6.1.2.1.105.1.1.1.6.{group}.{port}");
    snprintf(s->class_oid, sizeof(s->class_oid), "1.3.6.1.2.1.105.1.1.1.10.{group}.{port}");
    snprintf(s->main_power_oid, sizeof(s->main_power_oid), "1.3.6.1.2.1.105.1.3.1.1.2.{group}");
    snprintf(s->main_consumption_oid, sizeof(s->main_consumption_oid),
             "1.3.6.1.2.1.105.1.3.1.1.4.{group}");
}

static int snmp_key(struct pr_poe_snmp_profile *s, const char *k, char *v, unsigned line, char *err,
                    size_t errlen)
{
    long x;
    s->present = true;
    if (!strcmp(k, "standard")) {
        if (strcmp(v, "POWER-ETHERNET-MIB"))
            return perr(err, errlen, line, "snmp.standard knows only POWER-ETHERNET-MIB");
        snmp_standard(s);
        return 0;
    }
    if (!strcmp(k, "admin"))
        return set_oid(s->admin_oid, v, line, err, errlen);
    if (!strcmp(k, "detect"))
        return set_oid(s->detect_oid, v, line, err, errlen);
    if (!strcmp(k, "class"))
        return set_oid(s->class_oid, v, line, err, errlen);
    if (!strcmp(k, "main.power"))
        return set_oid(s->main_power_oid, v, line, err, errlen);
    if (!strcmp(k, "main.consumption"))
        return set_oid(s->main_consumption_oid, v, line, err, errlen);
    if (!strcmp(k, "admin.on") || !strcmp(k, "admin.off")) {
        if (parse_long(v, 0, 0x7fffffff, &x) < 0)
            return perr(err, errlen, line, "%s wants an integer", k);
        *(!strcmp(k, "admin.on") ? &s->admin_on : &s->admin_off) = x;
        return 0;
    }
    if (!strcmp(k, "main.unit")) {
        if (!strcmp(v, "W"))
            s->power_divisor = 1;
        else if (!strcmp(v, "mW"))
            s->power_divisor = 1000;
        else
            return perr(err, errlen, line, "snmp.main.unit is W or mW");
        return 0;
    }
    if (!strcmp(k, "max_varbinds")) {
        if (parse_long(v, 1, 256, &x) < 0)
            return perr(err, errlen, line, "snmp.max_varbinds is 1..256");
        s->max_varbinds = (unsigned)x;
        return 0;
    }
    return perr(err, errlen, line, "unknown key snmp.%.40s", k);
}

/* Marks which placeholders an answer holds.  Anything else in braces is
 * refused: a misspelt placeholder would be sent to the switch as the
 * password itself.  A '{' with no '}' after it is plain text. */
static int answer_placeholders(struct pr_poe_confirm *cf, const char *answer, unsigned line,
                               char *err, size_t errlen)
{
    for (const char *o = strchr(answer, '{'); o; o = strchr(o + 1, '{')) {
        const char *c = strchr(o, '}');
        if (!c)
            break;
        size_t n = (size_t)(c - o) + 1;
        if (n == strlen(PR_PH_ENABLE) && !strncmp(o, PR_PH_ENABLE, n)) {
            cf->secret = cf->secret_required = true;
        } else if (n == strlen(PR_PH_ENABLE_OPT) && !strncmp(o, PR_PH_ENABLE_OPT, n)) {
            cf->secret = true;
        } else {
            return perr(err, errlen, line,
                        "unknown placeholder %.*s in a cli.confirm answer "
                        "(known: " PR_PH_ENABLE ", " PR_PH_ENABLE_OPT ")",
                        (int)(n > 40 ? 40 : n), o);
        }
        o = c;
    }
    return 0;
}

/* "PATTERN => ANSWER"; the answer "<space>" is a pager's space bar. */
static int add_confirm(struct pr_poe_cli_profile *c, char *v, unsigned line, char *err,
                       size_t errlen)
{
    if (c->n_confirms >= PR_PROF_MAX_PATTERNS)
        return perr(err, errlen, line, "more than %d confirmations", PR_PROF_MAX_PATTERNS);
    /* The line was trimmed, so an empty answer ends the line with " =>". */
    char *arrow = strstr(v, " => ");
    size_t vl = strlen(v);
    if (!arrow && vl >= 3 && !strcmp(v + vl - 3, " =>"))
        arrow = v + vl - 3;
    if (!arrow || arrow == v)
        return perr(err, errlen, line, "cli.confirm wants PATTERN => ANSWER");
    const char *answer = arrow[3] ? arrow + 4 : "";
    *arrow = '\0';
    struct pr_poe_confirm *cf = &c->confirms[c->n_confirms];
    if (strlen(answer) >= sizeof(cf->answer))
        return perr(err, errlen, line, "answer too long");
    cf->newline = strcmp(answer, "<space>") != 0;
    snprintf(cf->answer, sizeof(cf->answer), "%s", cf->newline ? answer : " ");
    cf->secret = cf->secret_required = false;
    int rc = answer_placeholders(cf, cf->answer, line, err, errlen);
    if (rc < 0)
        return rc;
    rc = compile(&cf->pattern, v, line, err, errlen);
    if (rc == 0)
        c->n_confirms++;
    return rc;
}

static int cli_key(struct pr_poe_cli_profile *c, const char *k, char *v, unsigned line, char *err,
                   size_t errlen)
{
    static const struct {
        const char *key;
        size_t off;
    } lists[] = {
        { "init", offsetof(struct pr_poe_cli_profile, init) },
        { "on.begin", offsetof(struct pr_poe_cli_profile, on_begin) },
        { "on.port", offsetof(struct pr_poe_cli_profile, on_port) },
        { "on.end", offsetof(struct pr_poe_cli_profile, on_end) },
        { "off.begin", offsetof(struct pr_poe_cli_profile, off_begin) },
        { "off.port", offsetof(struct pr_poe_cli_profile, off_port) },
        { "off.end", offsetof(struct pr_poe_cli_profile, off_end) },
        { "status", offsetof(struct pr_poe_cli_profile, status) },
    };
    static const struct {
        const char *key;
        size_t off;
    } words[] = {
        { "state.disabled", offsetof(struct pr_poe_cli_profile, st_disabled) },
        { "state.searching", offsetof(struct pr_poe_cli_profile, st_searching) },
        { "state.delivering", offsetof(struct pr_poe_cli_profile, st_delivering) },
        { "state.fault", offsetof(struct pr_poe_cli_profile, st_fault) },
    };
    c->present = true;
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
        if (!strcmp(k, lists[i].key))
            return add_cmd((struct pr_poe_cmds *)((char *)c + lists[i].off), v, line, err, errlen);
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (!strcmp(k, words[i].key))
            return add_words((struct pr_poe_words *)((char *)c + words[i].off), v, line, err,
                             errlen);
    if (!strcmp(k, "prompt") || !strcmp(k, "status.line")) {
        struct pr_poe_pattern *p = k[0] == 'p' ? &c->prompt : &c->status_line;
        if (p->compiled)
            return perr(err, errlen, line, "cli.%s given twice", k);
        return compile(p, v, line, err, errlen);
    }
    if (!strcmp(k, "error")) {
        if (c->n_errors >= PR_PROF_MAX_PATTERNS)
            return perr(err, errlen, line, "more than %d error patterns", PR_PROF_MAX_PATTERNS);
        int rc = compile(&c->errors[c->n_errors], v, line, err, errlen);
        if (rc == 0)
            c->n_errors++;
        return rc;
    }
    if (!strcmp(k, "confirm"))
        return add_confirm(c, v, line, err, errlen);
    if (!strcmp(k, "exit")) {
        if (no_secret_in_command(v, line, err, errlen) < 0)
            return -EINVAL;
        if (strlen(v) >= sizeof(c->exit_cmd))
            return perr(err, errlen, line, "command too long");
        snprintf(c->exit_cmd, sizeof(c->exit_cmd), "%s", v);
        return 0;
    }
    return perr(err, errlen, line, "unknown key cli.%.40s", k);
}

static int top_key(struct pr_poe_profile *p, const char *k, char *v, unsigned line, char *err,
                   size_t errlen)
{
    if (!strncmp(k, "snmp.", 5))
        return snmp_key(&p->snmp, k + 5, v, line, err, errlen);
    if (!strncmp(k, "cli.", 4))
        return cli_key(&p->cli, k + 4, v, line, err, errlen);
    if (!strcmp(k, "name")) {
        size_t n = strlen(v);
        if (n == 0 || n >= sizeof(p->name))
            return perr(err, errlen, line, "name is 1..%zu characters", sizeof(p->name) - 1);
        for (size_t i = 0; i < n; i++)
            if (!isalnum((unsigned char)v[i]) && v[i] != '-' && v[i] != '_' && v[i] != '.')
                return perr(err, errlen, line, "name holds only letters, digits, - _ .");
        snprintf(p->name, sizeof(p->name), "%s", v);
        return 0;
    }
    if (!strcmp(k, "description")) {
        snprintf(p->description, sizeof(p->description), "%s", v);
        return 0;
    }
    return perr(err, errlen, line, "unknown key %.40s", k);
}

/* Whole-profile checks: what each half needs to drive a switch. */
static int check_profile(struct pr_poe_profile *p, char *err, size_t errlen)
{
    if (!p->name[0])
        return perr(err, errlen, 0, "no name");
    if (!p->snmp.present && !p->cli.present)
        return perr(err, errlen, 0, "neither snmp.* nor cli.* keys");
    if (p->snmp.present) {
        if (!p->snmp.admin_oid[0])
            return perr(err, errlen, 0, "snmp: no snmp.admin OID");
        if (p->snmp.admin_on == p->snmp.admin_off)
            return perr(err, errlen, 0, "snmp: admin.on and admin.off are the same value");
    }
    struct pr_poe_cli_profile *c = &p->cli;
    if (c->present) {
        if (!c->prompt.compiled)
            return perr(err, errlen, 0, "cli: no cli.prompt");
        if (!c->on_port.n || !c->off_port.n)
            return perr(err, errlen, 0, "cli: no cli.on.port or cli.off.port commands");
        if (!c->status.n || !c->status_line.compiled)
            return perr(err, errlen, 0, "cli: no cli.status and cli.status.line");
        size_t groups = c->status_line.re.re_nsub;
        if (groups < 1 || groups > 9)
            return perr(err, errlen, 0, "cli.status.line needs 1 to 9 groups: (port) ... (state)");
        bool per_port = strstr(c->status.line[0], "{port}") != NULL;
        if (groups == 1 && !per_port)
            return perr(err, errlen, 0,
                        "cli.status.line without a port group needs {port} "
                        "in cli.status");
        if (!c->st_disabled.n || !c->st_delivering.n)
            return perr(err, errlen, 0, "cli: no cli.state.disabled or cli.state.delivering");
    }
    return 0;
}

/* One line: trims it, skips comments and blanks, splits key and value. */
static int parse_line(struct pr_poe_profile *p, char *s, unsigned line, char *err, size_t errlen)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    if (n == 0 || s[0] == '#')
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 && s[i] != '\t')
            return perr(err, errlen, line, "control character");
    char *v = s + strcspn(s, " \t");
    if (*v) {
        *v++ = '\0';
        while (*v == ' ' || *v == '\t')
            v++;
    }
    if (!*v)
        return perr(err, errlen, line, "%.40s has no value", s);
    return top_key(p, s, v, line, err, errlen);
}

int pr_poe_profile_parse(const char *text, size_t len, struct pr_poe_profile **out, char *err,
                         size_t errlen)
{
    *out = NULL;
    if (len > PROFILE_FILE_MAX)
        return perr(err, errlen, 0, "larger than %d bytes", PROFILE_FILE_MAX);
    if (memchr(text, '\0', len))
        return perr(err, errlen, 0, "NUL byte in profile");
    struct pr_poe_profile *p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    p->snmp.power_divisor = 1;
    p->snmp.max_varbinds = 32;
    char buf[1024];
    unsigned line = 0;
    int rc = 0;
    for (size_t pos = 0; pos < len && rc == 0;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t l = nl ? (size_t)(nl - (text + pos)) : len - pos;
        line++;
        if (l >= sizeof(buf)) {
            rc = perr(err, errlen, line, "line longer than %zu", sizeof(buf) - 1);
            break;
        }
        memcpy(buf, text + pos, l);
        buf[l] = '\0';
        rc = parse_line(p, buf, line, err, errlen);
        pos += l + 1;
    }
    if (rc == 0)
        rc = check_profile(p, err, errlen);
    if (rc < 0) {
        pr_poe_profile_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

static bool name_safe(const char *name)
{
    if (!name[0] || name[0] == '.')
        return false;
    for (const char *c = name; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_' && *c != '.')
            return false;
    return true;
}

int pr_poe_profile_load(const char *dir, const char *name, struct pr_poe_profile **out, char *err,
                        size_t errlen)
{
    char path[PATH_MAX];
    *out = NULL;
    if (strchr(name, '/')) {
        snprintf(path, sizeof(path), "%s", name);
    } else {
        if (!name_safe(name))
            return perr(err, errlen, 0, "bad profile name"), -EINVAL;
        if (snprintf(path, sizeof(path), "%s/%s.profile", dir, name) >= (int)sizeof(path))
            return -ENAMETOOLONG;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        return -e;
    }
    char *text = malloc(PROFILE_FILE_MAX + 1);
    size_t len = 0;
    ssize_t got = 0;
    while (text && len <= PROFILE_FILE_MAX &&
           (got = read(fd, text + len, PROFILE_FILE_MAX + 1 - len)) > 0)
        len += (size_t)got;
    int e = got < 0 ? errno : 0;
    close(fd);
    if (!text)
        return -ENOMEM;
    if (e) {
        free(text);
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        return -e;
    }
    char why[200] = "";
    int rc = pr_poe_profile_parse(text, len, out, why, sizeof(why));
    free(text);
    if (rc < 0)
        snprintf(err, errlen, "%s: %s", path, why);
    return rc;
}

void pr_poe_profile_free(struct pr_poe_profile *p)
{
    if (!p)
        return;
    struct pr_poe_cli_profile *c = &p->cli;
    release(&c->prompt);
    release(&c->status_line);
    for (unsigned i = 0; i < c->n_errors; i++)
        release(&c->errors[i]);
    for (unsigned i = 0; i < c->n_confirms; i++)
        release(&c->confirms[i].pattern);
    /* A pattern that compiled but whose list was full is never counted. */
    for (unsigned i = c->n_errors; i < PR_PROF_MAX_PATTERNS; i++)
        release(&c->errors[i]);
    for (unsigned i = c->n_confirms; i < PR_PROF_MAX_PATTERNS; i++)
        release(&c->confirms[i].pattern);
    free(p);
}

const char *pr_poe_profile_name(const struct pr_poe_profile *p)
{
    return p->name;
}

bool pr_poe_profile_supports(const struct pr_poe_profile *p, enum pr_switch_driver d)
{
    return d == PR_SWITCH_SNMP ? p->snmp.present : p->cli.present;
}
