/* The Juniper EX (Junos) dialect: "user@host>" in operational mode,
 * "[edit]" over "user@host#" in configuration mode.  "set poe interface
 * ge-0/0/N disable" and "delete poe interface ge-0/0/N disable" change
 * a candidate configuration; only "commit" (or "commit and-quit")
 * touches the ports, all at once; leaving with changes not committed
 * asks first.  "configure private" is taken too (this emulator keeps no
 * candidate between sessions, so it behaves like "configure").
 * ge-0/0/N counts from 0: it is the port-state file's port N + 1.
 * "show poe interface" lists Admin status (Enabled/Disabled) and Oper
 * status (ON/OFF/Searching/Fault).  Errors: "unknown command.",
 * "syntax error.", "error: ..."; deleting what is not there warns. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/sim/portstate.h"
#include "sim.h"

enum {
    OPER,
    CONFIG
};
enum {
    KEEP = 0,
    SET_ON,
    SET_OFF
};
static unsigned char pending[PS_MAX_PORTS + 1];
static bool paging = true;

static void banner(struct sim *s)
{
    snprintf(s->hostname, sizeof(s->hostname), "sim-ex2300");
    printf("--- JUNOS 21.4R3-S4.9 Kernel 64-bit  JNPR-12.1-20230321.be2aa8e_buil\n");
}

static void prompt(struct sim *s)
{
    if (s->mode == CONFIG)
        printf("\n[edit]\n%s@%s# ", sim_user(), s->hostname);
    else
        printf("%s@%s> ", sim_user(), s->hostname);
}

static void caret(const char *what)
{
    printf("%*s^\n%s\n", 20, "", what);
}

/* "ge-0/0/N" -> the port-state file's port N + 1, or 0. */
static unsigned parse_interface(struct sim *s, const char *name)
{
    char *end;
    if (strncmp(name, "ge-0/0/", 7) || name[7] < '0' || name[7] > '9')
        return 0;
    unsigned long n = strtoul(name + 7, &end, 10);
    return !*end && n + 1 <= (unsigned long)s->nports ? (unsigned)n + 1 : 0;
}

static bool has_pending(struct sim *s)
{
    for (int p = 1; p <= s->nports; p++)
        if (pending[p] != KEEP)
            return true;
    return false;
}

static bool admin_off(struct sim *s, unsigned p)
{
    return pending[p] == SET_OFF || (pending[p] == KEEP && sim_port_state(s, p) == '0');
}

static void set_or_delete(struct sim *s, const char *line)
{
    char verb[16], ifname[64], tail[32];
    unsigned p;
    int end = 0;
    if (sscanf(line, "%15s poe interface %63s %31s%n", verb, ifname, tail, &end) != 3 ||
        line[end] || strcmp(tail, "disable") || (strcmp(verb, "set") && strcmp(verb, "delete"))) {
        caret("syntax error.");
    } else if (!(p = parse_interface(s, ifname))) {
        printf("error: interface %s: no such PoE interface on this switch\n", ifname);
    } else if (verb[0] == 'd' && !admin_off(s, p)) {
        printf("warning: statement not found\n");
    } else {
        pending[p] = verb[0] == 's' ? SET_OFF : SET_ON;
    }
}

/* Every pending change goes to the ports, or none: a refusing controller
 * fails the commit before anything is applied. */
static bool commit(struct sim *s)
{
    for (int p = 1; p <= s->nports; p++)
        if (pending[p] != KEEP && ps_ctl_has(s->ctl, "refuse", 0)) {
            printf("error: PoE controller not responding\nerror: configuration check-out failed\n");
            return false;
        }
    for (int p = 1; p <= s->nports; p++) {
        if (pending[p] != KEEP && sim_set_port(s, (unsigned)p, pending[p] == SET_ON) < 0) {
            printf("error: commit failed for ge-0/0/%d\n", p - 1);
            return false;
        }
        pending[p] = KEEP;
    }
    printf("commit complete\n");
    return true;
}

static void show_poe(struct sim *s)
{
    unsigned lines = 2;
    printf("Interface    Admin       Oper    Max        Priority       Power          Class\n"
           "             status      status  power                     consumption\n");
    for (int p = 1; p <= s->nports; p++) {
        char c = sim_port_state(s, (unsigned)p);
        const char *oper = c == '0' ? "OFF" : c == '1' ? "ON" : c == 'F' ? "Fault" : "Searching";
        printf("ge-0/0/%-5d %-11s %-7s 30.0W      Low            %-14s %s\n", p - 1,
               c == '0' ? "Disabled" : "Enabled", oper, c == '1' ? "3.1W" : "0.0W",
               c == '1' ? "2" : "0");
        if (paging && s->interactive && ++lines % 24 == 0) {
            printf("---(more)---");
            int k = sim_readkey(s);
            printf("\r            \r");
            if (k == 'q' || k < 0)
                break;
        }
    }
}

static bool leave_config(struct sim *s)
{
    if (has_pending(s)) {
        printf("The configuration has been changed but not committed\n"
               "Exit with uncommitted changes? [yes,no] (yes) ");
        char answer[16];
        if (!sim_readline(s, answer, sizeof(answer)))
            return false;
        if (!strcmp(answer, "no"))
            return true;
    }
    printf("Exiting configuration mode\n");
    s->mode = OPER;
    return true;
}

static bool run_config(struct sim *s, const char *line)
{
    if (!strncmp(line, "set poe ", 8) || !strncmp(line, "delete poe ", 11)) {
        set_or_delete(s, line);
    } else if (!strcmp(line, "commit")) {
        commit(s);
    } else if (!strcmp(line, "commit and-quit")) {
        if (commit(s))
            printf("Exiting configuration mode\n"), s->mode = OPER;
    } else if (!strcmp(line, "rollback") || !strcmp(line, "rollback 0")) {
        memset(pending, KEEP, sizeof(pending));
        printf("load complete\n");
    } else if (!strcmp(line, "run show poe interface")) {
        show_poe(s);
    } else if (!strcmp(line, "exit") || !strcmp(line, "quit")) {
        return leave_config(s);
    } else {
        caret("syntax error, expecting <command>.");
    }
    return true;
}

static bool run(struct sim *s, const char *line)
{
    if (!line[0])
        return true;
    if (s->mode == CONFIG)
        return run_config(s, line);
    if (!strcmp(line, "set cli screen-length 0")) {
        paging = false;
        printf("Screen length set to 0\n");
    } else if (!strcmp(line, "configure") || !strcmp(line, "configure private")) {
        if (line[9]) {
            memset(pending, KEEP, sizeof(pending));
            printf("warning: uncommitted changes will be discarded on exit\n");
        }
        printf("Entering configuration mode\n");
        s->mode = CONFIG;
    } else if (!strcmp(line, "show poe interface")) {
        show_poe(s);
    } else if (!strcmp(line, "exit") || !strcmp(line, "quit")) {
        return false;
    } else {
        caret("unknown command.");
    }
    return true;
}

const struct dialect sim_juniper = { "juniper", banner, prompt, run };
