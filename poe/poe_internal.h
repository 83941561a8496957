/* poe internals: the parsed profile, the CLI dialog engine and the
 * driver interface.  Private to poe/ and its tests. */
#ifndef PIRACK_POE_INTERNAL_H
#define PIRACK_POE_INTERNAL_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include "pirack/poe.h"

#define PR_PROF_LINE_MAX 256   /* one command, pattern or OID template */
#define PR_PROF_MAX_CMDS 12    /* commands in one list */
#define PR_PROF_MAX_PATTERNS 8 /* error patterns, confirmations */
#define PR_PROF_MAX_WORDS 8    /* words naming one port state */
#define PR_PROF_WORD_MAX 24
#define PR_OID_MAX 64 /* sub-identifiers in one OID */

struct pr_poe_pattern {
    char text[PR_PROF_LINE_MAX];
    regex_t re;
    bool compiled;
};

/* Placeholders of a cli.confirm answer, filled in from the switch's
 * config when the answer is sent: the first is required (no
 * enable_password configured fails the operation), the second is empty
 * when none is configured (FASTPATH asks even when the switch has none). */
#define PR_PH_ENABLE "{enable_password}"
#define PR_PH_ENABLE_OPT "{enable_password?}"

struct pr_poe_confirm {
    struct pr_poe_pattern pattern;
    char answer[32];      /* a template: see PR_PH_* */
    bool newline;         /* false for a pager's "press space" */
    bool secret;          /* holds the enable password: sent once
                                    * per command, never shown */
    bool secret_required; /* holds PR_PH_ENABLE */
};

struct pr_poe_cmds {
    char line[PR_PROF_MAX_CMDS][PR_PROF_LINE_MAX];
    unsigned n;
};

struct pr_poe_words {
    char word[PR_PROF_MAX_WORDS][PR_PROF_WORD_MAX];
    unsigned n;
};

/* The SNMP half.  OIDs are templates with {group} and {port}. */
struct pr_poe_snmp_profile {
    bool present;
    char admin_oid[PR_PROF_LINE_MAX];
    long admin_on, admin_off;
    char detect_oid[PR_PROF_LINE_MAX]; /* "" when the switch has none */
    char class_oid[PR_PROF_LINE_MAX];
    char main_power_oid[PR_PROF_LINE_MAX];
    char main_consumption_oid[PR_PROF_LINE_MAX];
    unsigned power_divisor; /* 1 for W, 1000 for mW */
    unsigned max_varbinds;  /* the profile's default */
};

/* The CLI half.  Commands are templates with {port} and {group}. */
struct pr_poe_cli_profile {
    bool present;
    struct pr_poe_pattern prompt; /* matched against the last line */
    struct pr_poe_pattern errors[PR_PROF_MAX_PATTERNS];
    unsigned n_errors;
    struct pr_poe_confirm confirms[PR_PROF_MAX_PATTERNS];
    unsigned n_confirms;
    struct pr_poe_cmds init; /* after login: paging off, enable */
    struct pr_poe_cmds on_begin, on_port, on_end;
    struct pr_poe_cmds off_begin, off_port, off_end;
    struct pr_poe_cmds status;         /* {port} in it: run once per port */
    struct pr_poe_pattern status_line; /* groups: (port,) state */
    struct pr_poe_words st_disabled, st_searching, st_delivering, st_fault;
    char exit_cmd[PR_PROF_LINE_MAX];
};

struct pr_poe_profile {
    char name[64];
    char description[128];
    struct pr_poe_snmp_profile snmp;
    struct pr_poe_cli_profile cli;
};

/* A template's placeholders, each replaced by its value wherever it
 * stands; the rest is copied.  -ENAMETOOLONG when out cannot hold it. */
struct pr_template_var {
    const char *name; /* "{port}" */
    const char *value;
};
int pr_template_fill(const char *tmpl, const struct pr_template_var *vars, size_t nvars, char *out,
                     size_t outlen);
/* Expands {port} and {group} in tmpl.  Returns 0 or -ENAMETOOLONG. */
int pr_poe_expand(const char *tmpl, unsigned group, unsigned port, char *out, size_t outlen);
/* Parses a numeric OID ("1.3.6.1..."), an optional leading dot.  Returns
 * the number of sub-identifiers, or -EINVAL. */
int pr_poe_parse_oid(const char *s, unsigned long *oid, size_t max);

/* The CLI dialog engine: pure functions over the text a switch sent.
 *
 * pr_cli_clean() appends raw output to a screen, dropping what a terminal
 * would not show as text: \r, NUL, ANSI escape sequences, backspaces (which
 * erase), other control bytes.  A screen holds at most PR_CLI_SCREEN_MAX
 * bytes; older text is dropped from the front. */
#define PR_CLI_SCREEN_MAX 65536
struct pr_cli_screen {
    char text[PR_CLI_SCREEN_MAX + 1]; /* always NUL-terminated */
    size_t len;
    size_t judged; /* text before this was answered */
    int esc;       /* escape-sequence parser state */
    bool cr;       /* a \r came last: \r\n ends a line, \r alone rewinds it */
};
void pr_cli_screen_reset(struct pr_cli_screen *s);
void pr_cli_clean(struct pr_cli_screen *s, const void *data, size_t n);

enum pr_cli_verdict {
    PR_CLI_MORE,    /* keep reading */
    PR_CLI_CONFIRM, /* send *answer, keep reading */
    PR_CLI_PROMPT,  /* the command is done */
};
struct pr_cli_judgement {
    enum pr_cli_verdict verdict;
    const struct pr_poe_confirm *confirm; /* with PR_CLI_CONFIRM */
    bool error;                           /* an error pattern matched */
    char error_line[160];                 /* the line that matched, escaped */
};
/* Judges the screen's text after s->judged.  With PR_CLI_CONFIRM the
 * caller answers and calls pr_cli_answered(). */
void pr_cli_judge(const struct pr_poe_cli_profile *p, const struct pr_cli_screen *s,
                  struct pr_cli_judgement *j);
void pr_cli_answered(struct pr_cli_screen *s);
/* Fills in a confirmation's answer with the enable password (secret, ""
 * when none is configured).  Returns 0, -ENOKEY when the answer requires
 * a password and secret is empty, or -ENAMETOOLONG. */
int pr_cli_answer(const struct pr_poe_confirm *cf, const char *secret, char *out, size_t outlen);
/* Replaces every occurrence of secret in the string text (a buffer of
 * size bytes) with "****", cutting the end when it no longer fits. */
void pr_cli_mask(char *text, size_t size, const char *secret);

/* Reads port states out of a status command's output.  Fills st[i] for
 * each ports[i] that a line names (or every port when the profile's status
 * line has no port group and n == 1).  Returns how many ports it found. */
size_t pr_cli_parse_status(const struct pr_poe_cli_profile *p, const char *text, size_t len,
                           const unsigned *ports, size_t n, struct pr_poe_port_status *st);

/* A driver: connect lazily; set admin for a batch; read a batch's status. */
struct pr_poe_driver;
struct pr_poe_driver_ops {
    int (*set_admin)(struct pr_poe_driver *d, const unsigned *ports, size_t n, bool on,
                     struct pr_poe_result *r);
    int (*read_status)(struct pr_poe_driver *d, const unsigned *ports, size_t n,
                       struct pr_poe_port_status *st, struct pr_poe_result *r);
    void (*disconnect)(struct pr_poe_driver *d);
    void (*free)(struct pr_poe_driver *d);
};
struct pr_poe_driver {
    const struct pr_poe_driver_ops *ops;
    const struct pr_switch_config *cfg;
    const struct pr_poe_profile *profile;
};

int pr_poe_snmp_new(const struct pr_switch_config *cfg, const struct pr_poe_profile *p,
                    struct pr_poe_driver **out, char *err, size_t errlen);
int pr_poe_ssh_new(const struct pr_switch_config *cfg, const struct pr_poe_profile *p,
                   struct pr_poe_driver **out, char *err, size_t errlen);

/* report.c, below both the drivers and conn.c.  Sets r->message
 * (printf-style) and returns err. */
int pr_poe_fail(struct pr_poe_result *r, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* conn.c: drops the connection so that the next operation connects
 * afresh. */
void pr_poe_conn_disconnect(struct pr_poe_conn *c);

/* From pirack/poe.h: what only this folder and its tests call (the comments
 * there describe them with their family). */
int pr_poe_conn_run(struct pr_poe_conn *c, enum pr_poe_action a, const unsigned *ports, size_t n,
                    const struct pr_poe_options *o, struct pr_poe_result *r);
const char *pr_poe_profile_name(const struct pr_poe_profile *p);
int pr_poe_profile_parse(const char *text, size_t len, struct pr_poe_profile **out, char *err,
                         size_t errlen);
const char *pr_poe_switch_name(const struct pr_poe_switch *sw);

#endif
