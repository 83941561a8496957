/* config/config: pirackd.conf, read by inih, checked key by key against a table,
 * then as a whole.  Every problem is reported as FILE:LINE: message and
 * parsing goes on, so an operator sees all of them at once. */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "pirack/config.h"
#include "pirack/log.h"
#include "config_internal.h"

struct parse_state {
    struct pr_config *cfg;
    const char *file;
    FILE *errs;
    int errors;
    int line;                             /* line the reader last returned */
    int key_lines[PR_CONFIG_MAX_KEYS];    /* where each global key was set */
    struct pr_switch_config *sw;          /* the [switch NAME] being read */
    int section_line;                     /* line of the last [section] header */
    bool skip_keys;                       /* under a refused header */
    int sw_key_lines[PR_CONFIG_MAX_KEYS]; /* where each key of sw was set */
    struct {
        char name[128];
        int line;
    } sections[32]; /* plain [section]s seen, to refuse a second one */
    unsigned n_sections;
    bool nul_line;        /* the line the reader last returned held a NUL byte */
    bool secrets_only;    /* reading a credentials file */
    int comment_cut_line; /* a line whose value inih cut at " ;" */
};

static void report(struct parse_state *ps, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void report(struct parse_state *ps, int line, const char *fmt, ...)
{
    va_list ap;

    ps->errors++;
    if (!ps->errs)
        return;
    if (line > 0)
        fprintf(ps->errs, "%s:%d: ", ps->file, line);
    else
        fprintf(ps->errs, "%s: ", ps->file);
    va_start(ap, fmt);
    vfprintf(ps->errs, fmt, ap);
    va_end(ap);
    fputc('\n', ps->errs);
}

void pr_config_defaults(struct pr_config *cfg)
{
    /* Not the switch table: new_switch clears each entry as its section is
     * read, entries past n_switches are never read, and clearing all 64
     * wrote a megabyte per load (most of a fuzzer run's time). */
    memset(cfg, 0, offsetof(struct pr_config, switches));
    cfg->n_switches = 0;
    cfg->isolated = true;
    cfg->slots = 0;
    snprintf(cfg->interface, sizeof(cfg->interface), "pi%%03d");
    cfg->ra_interval_s = 200;
    cfg->mtu = 1500;
    cfg->ra_enabled = true;
    cfg->vlan_base = 100;
    cfg->route_protocol = 196; /* pirack's number: see daemon/net/net_internal.h */
    cfg->ssh_port_base = 22001;
    snprintf(cfg->proxy_admin_socket, sizeof(cfg->proxy_admin_socket), "/run/haproxy/admin.sock");
    snprintf(cfg->proxy_admin_group, sizeof(cfg->proxy_admin_group), "pirack");
    snprintf(cfg->proxy_map_dir, sizeof(cfg->proxy_map_dir), "/var/lib/pirack/haproxy");
    snprintf(cfg->proxy_config, sizeof(cfg->proxy_config), "/var/lib/pirack/haproxy/haproxy.cfg");
    snprintf(cfg->proxy_zone, sizeof(cfg->proxy_zone), "/var/lib/pirack/rack.zone");
    cfg->proxy_http_port = 80;
    cfg->proxy_https_port = 443;
    cfg->proxy_check_ms = 5000;
    cfg->proxy_timeout_ms = 1000;
    snprintf(cfg->state_path, sizeof(cfg->state_path), "/var/lib/pirack/pirack.db");
    snprintf(cfg->boot_dir, sizeof(cfg->boot_dir), "/srv/pirack/boot");
    snprintf(cfg->run_dir, sizeof(cfg->run_dir), "/run/pirack");
    snprintf(cfg->image_dir, sizeof(cfg->image_dir), "/srv/pirack/images");
    snprintf(cfg->root_dir, sizeof(cfg->root_dir), "/srv/pirack/root");
    snprintf(cfg->nfs_backend, sizeof(cfg->nfs_backend), "none");
    snprintf(cfg->nfs_exports, sizeof(cfg->nfs_exports), "/etc/exports.d/pirack.exports");
    snprintf(cfg->nfs_ganesha_pidfile, sizeof(cfg->nfs_ganesha_pidfile), "/run/ganesha.pid");
    cfg->image_keep_previous_s = 24 * 3600;
    snprintf(cfg->trace_dir, sizeof(cfg->trace_dir), "/var/lib/pirack/traces");
    snprintf(cfg->api_socket, sizeof(cfg->api_socket), "/run/pirack/api.sock");
    cfg->api_mode = 0660;
    cfg->api_key_burst = 30;
    cfg->api_key_rate = 5;
    cfg->api_power_burst = 3;
    cfg->api_power_interval_ms = 20000;
    cfg->api_login_burst = 5;
    cfg->api_login_interval_ms = 12000;
    cfg->lease_time_s = 86400;
    cfg->pi3_second_offer = true;
    cfg->reply_delay_ms = 0;
    cfg->tftp_port = 69;
    cfg->tftp_max_transfers = 4096;
    cfg->tftp_timeout_ms = 1000;
    cfg->power_hold_ms = 3000;
    cfg->power_stagger_ms = 500;
    cfg->power_max_booting = 24;
    cfg->power_max_booting_pi3 = 8;
    cfg->power_max_booting_pi4 = 0;
    cfg->power_max_booting_pi5 = 0;
    cfg->bringup_dhcp_deadline_ms = 30000;
    cfg->bringup_serial_deadline_ms = 15000;
    cfg->health_port = 22;
    cfg->health_interval_s = 30;
    cfg->boot_timeout_s = 0; /* deprecated; the stage deadlines' defaults apply */
    cfg->health_probe = false;
    cfg->probe_timeout_ms = 3000;
    cfg->unhealthy_after = 3;
    cfg->remediation = false;
    cfg->max_cycles = 2;
    cfg->power_gap_s = 600;
    cfg->healthy_reset_s = 3600;
    cfg->max_remediating = 2;
    cfg->switch_check_s = 30;
    cfg->events_max_age_s = 365 * 86400;
    cfg->events_max_count = 1000000;
    cfg->traces_max_age_s = 30 * 86400;
    cfg->traces_max_count = 1000;
    cfg->log_level = PR_LOG_INFO;
}

static void switch_defaults(struct pr_switch_config *sw)
{
    sw->driver = PR_SWITCH_SNMP;
    sw->group = 1;
    sw->port_base = 1;
    sw->timeout_ms = 2000;
    sw->retries = 2;
    sw->snmp_version = 2;
    snprintf(sw->v3_auth_proto, sizeof(sw->v3_auth_proto), "SHA");
    snprintf(sw->v3_priv_proto, sizeof(sw->v3_priv_proto), "AES");
    sw->port_power_w = 30;
    sw->max_varbinds = 32;
}

static struct pr_switch_config *new_switch(struct parse_state *ps, const char *name);

/* A plain section seen a second time: its keys would silently override
 * the first, so it is refused with both lines. */
static bool section_repeated(struct parse_state *ps, const char *name)
{
    for (unsigned i = 0; i < ps->n_sections; i++)
        if (strcmp(ps->sections[i].name, name) == 0) {
            report(ps, ps->line, "[%s] is already defined on line %d", name, ps->sections[i].line);
            return true;
        }
    if (ps->n_sections < sizeof(ps->sections) / sizeof(ps->sections[0])) {
        snprintf(ps->sections[ps->n_sections].name, sizeof(ps->sections[0].name), "%s", name);
        ps->sections[ps->n_sections++].line = ps->line;
    }
    return false;
}

/* Checks a header on its own line, so that one with no keys below it
 * (or a broken one) is caught too, and the keys under a refused header
 * are skipped rather than blamed.  p points at the '['. */
static void enter_header(struct parse_state *ps, const char *p)
{
    const char *close = strchr(p, ']');
    char name[128];
    size_t len;

    ps->section_line = ps->line;
    ps->sw = NULL;
    ps->skip_keys = true;
    if (!close) {
        report(ps, ps->line, "section header has no closing ']'");
        return;
    }
    p++;
    while (*p == ' ' || *p == '\t')
        p++;
    len = (size_t)(close - p);
    while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
        len--;
    if (len >= sizeof(name)) {
        report(ps, ps->line, "section name longer than %zu characters", sizeof(name) - 1);
        return;
    }
    memcpy(name, p, len);
    name[len] = '\0';
    if (len == 0) {
        report(ps, ps->line, "empty section header []");
        return;
    }
    if (strcmp(name, "switch") == 0 || strncmp(name, "switch ", 7) == 0 ||
        strncmp(name, "switch\t", 7) == 0) {
        const char *sw = name + 6;

        while (*sw == ' ' || *sw == '\t')
            sw++;
        if (!*sw) {
            report(ps, ps->line, "[switch] needs a name: [switch NAME]");
            return;
        }
        if (strpbrk(sw, " \t")) {
            report(ps, ps->line, "[switch %s]: a switch has one name", sw);
            return;
        }
        ps->sw = new_switch(ps, sw);
        memset(ps->sw_key_lines, 0, sizeof(ps->sw_key_lines));
        ps->skip_keys = ps->sw == NULL;
        return;
    }
    if (!pr_config_section_known(name)) {
        report(ps, ps->line, "unknown section [%s]", name);
        return;
    }
    ps->skip_keys = section_repeated(ps, name);
}

/* Reader for ini_parse_stream: counts lines, so handler errors know
 * theirs, and catches what inih would only report once (bad syntax,
 * overlong lines) or not at all (a NUL byte, which would cut the line). */
/* The text being read, for inih: the whole file is in memory (it is at
 * most PR_CONFIG_MAX_BYTES), so a line is found with memchr rather than
 * a getc per byte. */
struct text_reader {
    const char *p, *end;
    struct parse_state *ps;
};

static char *read_line(char *str, int num, void *stream)
{
    struct text_reader *r = stream;
    struct parse_state *ps = r->ps;
    const char *p, *nl;
    size_t len, line;
    bool too_long;

    if (r->p >= r->end)
        return NULL;
    nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
    line = nl ? (size_t)(nl - r->p) + 1 : (size_t)(r->end - r->p);
    /* num - 2 bytes fit with the NUL; a line with more is dropped whole */
    too_long = line > (size_t)num - 2;
    len = too_long ? (size_t)num - 2 : line;
    ps->nul_line = memchr(r->p, '\0', line) != NULL;
    memcpy(str, r->p, len);
    r->p += line;
    str[len] = '\0';
    ps->line++;
    if (too_long) {
        report(ps, ps->line, "line longer than %d characters", num - 2);
        str[0] = '\0'; /* drop the whole line */
        return str;
    }
    if (ps->nul_line) {
        report(ps, ps->line, "a NUL byte in this line (it would cut the value there)");
        str[0] = '\0';
        return str;
    }
    for (p = str; isspace((unsigned char)*p); p++)
        ;
    if (*p == '[' && !ps->secrets_only)
        enter_header(ps, p);
    /* inih takes " ;" in a value as the start of a comment and drops the
     * rest: a secret cut so fails later as a wrong password, with no hint. */
    if (*p && *p != ';' && *p != '#' && *p != '[' && strchr(p, '=') &&
        (strstr(strchr(p, '='), " ;") || strstr(strchr(p, '='), "\t;")))
        ps->comment_cut_line = ps->line;
    if (*p && *p != ';' && *p != '#' && *p != '[' && !strchr(p, '='))
        report(ps, ps->line, "expected \"key = value\" or \"[section]\"");
    if (*p == '[' && !strchr(p, ']'))
        str[0] = '\0'; /* reported above; inih would report it again */
    return str;
}

static int parse_uint(const char *v, unsigned long long max, unsigned long long *out)
{
    char *end;

    if (!isdigit((unsigned char)*v))
        return -EINVAL;
    errno = 0;
    *out = strtoull(v, &end, 10);
    return errno || *end || *out > max ? -EINVAL : 0;
}

/* "3", "3s", "500ms", "2m", "4h", "90d": returns milliseconds. */
static int parse_duration_ms(const char *v, unsigned long long *ms)
{
    char *end;
    unsigned long long n;

    if (!isdigit((unsigned char)*v))
        return -EINVAL;
    errno = 0;
    n = strtoull(v, &end, 10);
    if (errno || n > 100000000ull)
        return -EINVAL;
    if (*end == '\0' || strcmp(end, "s") == 0)
        *ms = n * 1000;
    else if (strcmp(end, "ms") == 0)
        *ms = n;
    else if (strcmp(end, "m") == 0)
        *ms = n * 60000;
    else if (strcmp(end, "h") == 0)
        *ms = n * 3600000;
    else if (strcmp(end, "d") == 0)
        *ms = n * 86400000;
    else
        return -EINVAL;
    return 0;
}

static int parse_bool(const char *v, bool *out)
{
    if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "on"))
        *out = true;
    else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0") ||
             !strcasecmp(v, "off"))
        *out = false;
    else
        return -EINVAL;
    return 0;
}

/* Stores value v into the field that key k describes.  Returns 0, or -1
 * with the reason in why. */
static int set_value(const struct pr_key *k, void *base, const char *v, char *why, size_t whylen)
{
    void *field = (char *)base + k->offset;
    unsigned long long n;
    bool b;

    switch (k->type) {
    case KEY_STRING:
        if (strlen(v) >= k->size) {
            snprintf(why, whylen, "longer than %zu characters", k->size - 1);
            return -1;
        }
        if (k->check && k->check(v, why, whylen) < 0)
            return -1;
        strcpy(field, v);
        return 0;
    case KEY_UINT:
        if (parse_uint(v, k->max, &n) < 0 || n < k->min) {
            snprintf(why, whylen, "expected a whole number from %llu to %llu", k->min, k->max);
            return -1;
        }
        *(unsigned *)field = (unsigned)n;
        return 0;
    case KEY_MS:
    case KEY_SECONDS:
        if (parse_duration_ms(v, &n) < 0) {
            snprintf(why, whylen, "expected a duration such as 3s, 500ms or 2m");
            return -1;
        }
        if (k->type == KEY_SECONDS)
            n /= 1000;
        if (n < k->min || n > k->max) {
            snprintf(why, whylen, "out of range %llu..%llu %s", k->min, k->max,
                     k->type == KEY_SECONDS ? "s" : "ms");
            return -1;
        }
        *(unsigned *)field = (unsigned)n;
        return 0;
    case KEY_BOOL:
        if (parse_bool(v, &b) < 0) {
            snprintf(why, whylen, "expected yes or no");
            return -1;
        }
        *(bool *)field = b;
        return 0;
    case KEY_PREFIX4:
        if (pr_prefix4_parse(v, field) < 0) {
            snprintf(why, whylen,
                     "\"%s\" is not an IPv4 prefix such as 10.42.0.0/22 "
                     "(with no host bits set)",
                     v);
            return -1;
        }
        return 0;
    case KEY_PREFIX6:
        if (pr_prefix6_parse(v, field) < 0) {
            snprintf(why, whylen,
                     "\"%s\" is not an IPv6 prefix such as 2001:db8:42::/56 "
                     "(with no host bits set)",
                     v);
            return -1;
        }
        return 0;
    case KEY_CUSTOM:
        return k->custom(v, base, why, whylen);
    }
    return -1;
}

static struct pr_switch_config *new_switch(struct parse_state *ps, const char *name)
{
    struct pr_config *cfg = ps->cfg;
    struct pr_switch_config *sw;

    if (!pr_plan_name_valid(name)) {
        report(ps, ps->section_line,
               "switch name \"%s\" must be a lower-case label "
               "([a-z0-9-], at most 63)",
               name);
        return NULL;
    }
    for (unsigned i = 0; i < cfg->n_switches; i++)
        if (strcmp(cfg->switches[i].name, name) == 0) {
            report(ps, ps->section_line, "switch \"%s\" is already defined on line %d", name,
                   cfg->switches[i].line);
            return NULL;
        }
    if (cfg->n_switches == PR_MAX_SWITCHES) {
        report(ps, ps->section_line, "at most %d switches", PR_MAX_SWITCHES);
        return NULL;
    }
    sw = &cfg->switches[cfg->n_switches++];
    memset(sw, 0, sizeof(*sw));
    switch_defaults(sw);
    snprintf(sw->name, sizeof(sw->name), "%.*s", (int)sizeof(sw->name) - 1, name);
    sw->line = ps->section_line;
    return sw;
}

/* A secret cut at an inline comment would be used cut: refuse it, without
 * echoing any of it. */
static bool secret_cut(struct parse_state *ps, const struct pr_key *k, const char *name)
{
    if (!k->secret || ps->comment_cut_line != ps->line)
        return false;
    report(ps, ps->line,
           "%s: a blank followed by ';' starts a comment, so the value would be "
           "cut there; remove the blank or the ';'",
           name);
    return true;
}

/* A key given twice would silently keep the last value: refuse the
 * second with both lines.  lines[] is per section (or per switch). */
static bool key_repeated(struct parse_state *ps, int *line_of_key, const char *name)
{
    if (*line_of_key == 0)
        return false;
    report(ps, ps->line, "%s is already set on line %d", name,
           *line_of_key < 0 ? -*line_of_key : *line_of_key);
    return true;
}

static int handle_key(void *user, const char *section, const char *name, const char *value)
{
    struct parse_state *ps = user;
    const struct pr_key *k;
    char why[256] = "";

    (void)section; /* the reader tracks headers itself, refused ones too */
    if (ps->secrets_only) {
        k = pr_config_find_switch_key(name);
        if (!k || !k->secret) {
            report(ps, ps->line, "a credentials file may hold only secrets, not \"%s\"", name);
            return 1;
        }
        if (secret_cut(ps, k, name))
            return 1;
        if (set_value(k, ps->sw, value, why, sizeof(why)) < 0)
            report(ps, ps->line, "%s: %s", name, why);
        return 1;
    }
    if (ps->skip_keys)
        return 1;
    if (ps->sw) {
        k = pr_config_find_switch_key(name);
        if (!k) {
            report(ps, ps->line, "unknown key \"%s\" in [switch %s]", name, ps->sw->name);
            return 1;
        }
        if (key_repeated(ps, &ps->sw_key_lines[pr_config_switch_key_index(k)], name))
            return 1;
        ps->sw_key_lines[pr_config_switch_key_index(k)] = ps->line;
        if (secret_cut(ps, k, name))
            return 1;
        if (set_value(k, ps->sw, value, why, sizeof(why)) < 0)
            report(ps, ps->line, "%s: %s", name, why);
        return 1;
    }
    if (ps->section_line == 0) {
        report(ps, ps->line, "\"%s\" comes before any [section]", name);
        return 1;
    }
    k = pr_config_find_key(ps->sections[ps->n_sections - 1].name, name);
    if (!k) {
        report(ps, ps->line, "unknown key \"%s\" in [%s]", name,
               ps->sections[ps->n_sections - 1].name);
        return 1;
    }
    if (key_repeated(ps, &ps->key_lines[k - pr_config_keys], name))
        return 1;
    /* A key set badly is remembered as negative: not "missing", not used. */
    if (set_value(k, ps->cfg, value, why, sizeof(why)) < 0) {
        report(ps, ps->line, "%s: %s", name, why);
        ps->key_lines[k - pr_config_keys] = -ps->line;
    } else {
        ps->key_lines[k - pr_config_keys] = ps->line;
    }
    return 1;
}

/* Refuses what is not a configuration file before reading a byte of it:
 * a directory, a device (/dev/zero would never end) or a file larger
 * than any configuration. */
static bool not_a_config_file(struct parse_state *ps, FILE *f)
{
    struct stat st;

    if (fstat(fileno(f), &st) < 0) {
        report(ps, 0, "%s", strerror(errno));
        return true;
    }
    if (!S_ISREG(st.st_mode)) {
        report(ps, 0, "not a regular file");
        return true;
    }
    if (st.st_size > PR_CONFIG_MAX_BYTES) {
        report(ps, 0, "larger than %d bytes: not a configuration file", PR_CONFIG_MAX_BYTES);
        return true;
    }
    return false;
}

/* Reads path whole into *text (NUL-terminated, *len bytes).  Returns 0
 * when read, 1 when refused unread (counted in ps), or -errno when it
 * cannot be opened or read. */
static int read_file(struct parse_state *ps, const char *path, char **text, size_t *len)
{
    FILE *f = fopen(path, "r");
    char *buf;
    size_t n;

    if (!f)
        return -errno;
    if (not_a_config_file(ps, f)) {
        fclose(f);
        return 1;
    }
    /* one byte more than allowed tells a file that grew since fstat */
    buf = malloc(PR_CONFIG_MAX_BYTES + 2);
    if (!buf) {
        fclose(f);
        return -ENOMEM;
    }
    n = fread(buf, 1, PR_CONFIG_MAX_BYTES + 1, f);
    if (ferror(f)) {
        int err = errno ? errno : EIO;
        fclose(f);
        free(buf);
        return -err;
    }
    fclose(f);
    if (n > PR_CONFIG_MAX_BYTES) {
        free(buf);
        report(ps, 0, "larger than %d bytes: not a configuration file", PR_CONFIG_MAX_BYTES);
        return 1;
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return 0;
}

/* Parses text (len bytes, any bytes) into ps->cfg; problems are counted
 * in ps. */
static void parse_text(struct parse_state *ps, const char *text, size_t len)
{
    struct text_reader r = { .p = text, .end = text + len, .ps = ps };
    int e = ini_parse_stream(read_line, &r, handle_key, ps);

    /* inih's own syntax errors ([section without ]) are counted here; the
     * reader already named lines without '='. */
    if (e > 0 && ps->errors == 0)
        report(ps, e, "cannot parse this line");
}

/* Returns 0 when read (problems counted in ps), 1 when refused unread,
 * or -errno when it cannot be opened. */
static int parse_file(struct parse_state *ps, const char *path)
{
    char *text;
    size_t len;
    int r = read_file(ps, path, &text, &len);

    if (r != 0)
        return r;
    parse_text(ps, text, len);
    free(text);
    return 0;
}

/* A credentials file is root's alone, and pirackd runs as pirack: the
 * unit's LoadCredential=pirack:/etc/pirack/credentials hands each file in
 * that directory to pirackd as $CREDENTIALS_DIRECTORY/pirack_NAME (an
 * operator's own LoadCredential=NAME:PATH as .../NAME), readable by
 * pirackd alone.  The credential named like the file is read when there is
 * one; the file itself otherwise (pirackd or --check run by root). */
static const char *credentials_path(const char *path, char *buf, size_t len)
{
    static const char *const prefixes[] = { PR_CREDENTIAL_PREFIX, "" };
    const char *dir = getenv("CREDENTIALS_DIRECTORY");
    const char *base = strrchr(path, '/');
    struct stat st;

    base = base ? base + 1 : path;
    if (!dir || dir[0] != '/' || !base[0])
        return path;
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        int n = snprintf(buf, len, "%s/%s%s", dir, prefixes[i], base);
        if (n > 0 && (size_t)n < len && stat(buf, &st) == 0)
            return buf;
    }
    return path;
}

static void report_unreadable(struct parse_state *ps, const struct pr_switch_config *sw, int err)
{
    report(ps, sw->line, "[switch %s] credentials %s: %s%s", sw->name, sw->credentials,
           strerror(err),
           err == EACCES && geteuid() != 0
               ? " (pirackd runs as its own user: keep the file in " PR_CREDENTIALS_DIR
                 ", which the unit passes with LoadCredential=, or add "
                 "LoadCredential=NAME:PATH to the unit)"
               : "");
}

static int load_credentials(struct parse_state *ps, struct pr_switch_config *sw)
{
    char cred[PR_PATH_MAX + 64];
    const char *path = credentials_path(sw->credentials, cred, sizeof(cred));
    struct parse_state sub = {
        .cfg = ps->cfg, .file = path, .errs = ps->errs, .sw = sw, .secrets_only = true
    };
    struct stat st;
    int r;

    if (stat(path, &st) < 0) {
        report_unreadable(ps, sw, errno);
        return -1;
    }
    if (st.st_mode & 077) {
        report(ps, sw->line,
               "[switch %s] credentials %s must not be readable by group "
               "or others (chmod 600)",
               sw->name, path);
        return -1;
    }
    r = parse_file(&sub, path);
    if (r < 0)
        report_unreadable(ps, sw, -r);
    ps->errors += sub.errors;
    return 0;
}

/* The line where [section] name was set: 0 unset, negative when its
 * value was refused (already reported). */
static int key_line(const struct parse_state *ps, const char *section, const char *name)
{
    const struct pr_key *k = pr_config_find_key(section, name);

    return k ? ps->key_lines[k - pr_config_keys] : 0;
}

/* [paths] run holds pirackd's runtime files: the API's socket is
 * RUN/api.sock unless [api] socket names another place, so that a second
 * rack on the host needs one line.  Either way the path must fit a Unix
 * socket's address, which --check says rather than the start. */
static void place_runtime_files(struct parse_state *ps)
{
    struct pr_config *cfg = ps->cfg;
    int run_line = key_line(ps, "paths", "run"), sock_line = key_line(ps, "api", "socket");
    size_t max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
    int n;

    if (run_line < 0 || sock_line < 0)
        return;
    if (sock_line == 0) {
        n = snprintf(cfg->api_socket, sizeof(cfg->api_socket), "%s/api.sock", cfg->run_dir);
        if (n < 0 || (size_t)n > max)
            report(ps, run_line,
                   "run: %.200s/api.sock, the API's socket, would be %d bytes, more than the "
                   "%zu a Unix socket's path may have: choose a shorter run or set [api] socket",
                   cfg->run_dir, n, max);
    } else if (strlen(cfg->api_socket) > max) {
        report(ps, sock_line, "socket: %zu bytes, more than the %zu a Unix socket's path may have",
               strlen(cfg->api_socket), max);
    }
}

/* Keys that are documented and parsed but that no code reads yet: an
 * operator who sets one is told, with its line, instead of believing it
 * works.  A warning, not an error, so that the file still loads. */
static void warn_not_implemented(const struct parse_state *ps)
{
    for (const struct pr_key *k = pr_config_keys; k->name; k++) {
        int line = ps->key_lines[k - pr_config_keys];

        if (k->not_implemented && line > 0 && ps->errs)
            fprintf(ps->errs, "%s:%d: warning: [%s] %s is not implemented yet; it is ignored\n",
                    ps->file, line, k->section, k->name);
    }
}

/* What follows the main file's parse: its switches' credentials files,
 * the whole-file checks and the warnings. */
static int finish_load(struct parse_state *ps)
{
    struct pr_config *cfg = ps->cfg;

    for (unsigned i = 0; i < cfg->n_switches; i++)
        if (cfg->switches[i].credentials[0])
            load_credentials(ps, &cfg->switches[i]);
    place_runtime_files(ps);
    pr_config_validate(cfg, ps->key_lines, &ps->errors, ps->file, ps->errs);
    warn_not_implemented(ps);
    return ps->errors;
}

int pr_config_load(const char *path, struct pr_config *cfg, FILE *errs)
{
    struct parse_state ps = { .cfg = cfg, .file = path, .errs = errs };
    int r;

    pr_config_defaults(cfg);
    snprintf(cfg->path, sizeof(cfg->path), "%s", path);
    r = parse_file(&ps, path);
    if (r < 0)
        return r;
    if (r > 0)
        return ps.errors; /* not a configuration file: nothing more to say */
    return finish_load(&ps);
}

int pr_config_load_text(const char *name, const char *text, size_t len, struct pr_config *cfg,
                        FILE *errs)
{
    struct parse_state ps = { .cfg = cfg, .file = name, .errs = errs };

    pr_config_defaults(cfg);
    snprintf(cfg->path, sizeof(cfg->path), "%s", name);
    if (len > PR_CONFIG_MAX_BYTES) {
        report(&ps, 0, "larger than %d bytes: not a configuration file", PR_CONFIG_MAX_BYTES);
        return ps.errors;
    }
    parse_text(&ps, text, len);
    return finish_load(&ps);
}

const struct pr_switch_config *pr_config_switch_for_slot(const struct pr_config *cfg, unsigned slot)
{
    for (unsigned i = 0; i < cfg->n_switches; i++)
        if (slot >= cfg->switches[i].first_slot && slot <= cfg->switches[i].last_slot)
            return &cfg->switches[i];
    return NULL;
}
