/* The FASTPATH dialects (Netgear M4100/M4300, Ubiquiti EdgeSwitch):
 * "(Host) >" until "enable" (which asks "Password:", and with
 * SWITCH_CLI_ENABLE_PASSWORD checks it), then "(Host) #",
 * "(Host) (Config)#", "(Host) (Interface 0/N)#".  Netgear turns a port's
 * power with "[no] poe" and lists it with "show poe port all"; EdgeSwitch
 * with "poe opmode shutdown|auto" and "show poe status all".  Errors are
 * "% Invalid input detected at '^' marker." and "An invalid interface
 * ...".  Long output stops at "--More-- or (q)uit" until "terminal
 * length 0".  "logout" after a change asks whether to save it. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim.h"

enum {
    USER_EXEC,
    PRIV_EXEC,
    CONFIG,
    CONFIG_IF
};
static bool paging = true;

struct variant {
    const char *hostname;
    const char *on_cmd, *off_cmd; /* in interface config mode */
    const char *status_cmd;
    void (*status_row)(int port, char state);
};

static void netgear_row(int p, char c)
{
    const char *st = c == '0'   ? "Disabled"
                     : c == '1' ? "Delivering Power"
                     : c == 'F' ? "Fault"
                                : "Searching";
    printf("0/%-4d %-8s Low       %-5s %-9s %s\n", p, c == '0' ? "Disable" : "Enable",
           c == '1' ? "2" : "N/A", c == '1' ? "3.10" : "0.00", st);
}

static void edgeswitch_row(int p, char c)
{
    const char *st = c == '0' ? "Disabled" : c == '1' ? "Good" : c == 'F' ? "Short" : "Open";
    printf("0/%-7d %-14s %-7s %11s %10s %11s %18s %14d\n", p, st, c == '1' ? "Class2" : "Unknown",
           c == '1' ? "2.90" : "0.00", c == '1' ? "53.70" : "0.00", c == '1' ? "54.00" : "0.00",
           "0.10", 38);
}

static const struct variant netgear = {
    "M4300-28G-PoE+", "poe", "no poe", "show poe port all", netgear_row,
};
static const struct variant edgeswitch = {
    "UBNT EdgeSwitch",     "poe opmode auto", "poe opmode shutdown",
    "show poe status all", edgeswitch_row,
};

static const struct variant *variant_of(const struct sim *s)
{
    return s->hostname[0] == 'U' ? &edgeswitch : &netgear;
}

static void banner_netgear(struct sim *s)
{
    snprintf(s->hostname, sizeof(s->hostname), "%s", netgear.hostname);
    printf("\n");
}

static void banner_edgeswitch(struct sim *s)
{
    snprintf(s->hostname, sizeof(s->hostname), "%s", edgeswitch.hostname);
    printf("\nWelcome to EdgeSwitch\n\nBy logging in, you accept the Ubiquiti terms.\n\n");
}

static void prompt(struct sim *s)
{
    switch (s->mode) {
    case USER_EXEC:
        printf("(%s) >", s->hostname);
        break;
    case PRIV_EXEC:
        printf("(%s) #", s->hostname);
        break;
    case CONFIG:
        printf("(%s) (Config)#", s->hostname);
        break;
    default:
        printf("(%s) (Interface 0/%u)#", s->hostname, s->port);
        break;
    }
}

static void invalid(void)
{
    printf("\n                                          ^\n"
           "%% Invalid input detected at '^' marker.\n\n");
}

/* Returns false when the reader quit the pager. */
static bool page_line(struct sim *s, unsigned *lines)
{
    if (!paging || !s->interactive || ++*lines % 20)
        return true;
    printf("--More-- or (q)uit");
    int k = sim_readkey(s);
    printf("\r                  \r");
    return k != 'q' && k >= 0;
}

static void show_status(struct sim *s)
{
    unsigned lines = 3;
    if (variant_of(s) == &netgear)
        printf("\nIntf   Admin    Priority  Class Output(W) Status\n"
               "------ -------- --------- ----- --------- ----------------\n");
    else
        printf("\nIntf      Detection      Class   Consumed(W) Voltage(V) Current(mA) "
               "Consumed Meter(Wh) Temperature(C)\n"
               "--------- -------------- ------- ----------- ---------- ----------- "
               "------------------ --------------\n");
    for (int p = 1; p <= s->nports; p++) {
        variant_of(s)->status_row(p, sim_port_state(s, (unsigned)p));
        if (!page_line(s, &lines))
            break;
    }
    printf("\n");
}

/* logout: a changed configuration makes FASTPATH ask about saving it. */
static bool logout(struct sim *s)
{
    if (!s->changed)
        return false;
    printf("\nThe system has unsaved changes.\nWould you like to save them now? (y/n) ");
    int k = sim_readkey(s);
    printf("%c\n", k > 0x20 && k < 0x7f ? k : ' ');
    if (s->log)
        fprintf(s->log, "save question answered %c\n", k > 0x20 && k < 0x7f ? k : '?'),
            fflush(s->log);
    if ((k == 'y' || k == 'Y') && s->log)
        fprintf(s->log, "saved configuration\n"), fflush(s->log);
    if (k == 'y' || k == 'Y')
        printf("\nConfiguration Saved!\n");
    return false;
}

/* One try, then back to ">" with the error.  The wording is that of the
 * FASTPATH-derived Dell PowerConnect CLI; Netgear's and Ubiquiti's
 * builds are believed to say the same, but it was not checked on their
 * hardware. */
static bool run_enable(struct sim *s)
{
    int right = sim_enable_password(s, "Password:");
    if (right > 0)
        s->mode = PRIV_EXEC;
    else if (right == 0)
        printf("Incorrect Password!\n");
    return right >= 0;
}

static bool run(struct sim *s, const char *line)
{
    const struct variant *v = variant_of(s);
    char word[64];
    if (!line[0])
        return true;
    if (!strcmp(line, "enable") && s->mode == USER_EXEC)
        return run_enable(s);
    if (!strcmp(line, "logout") || (!strcmp(line, "exit") && s->mode <= PRIV_EXEC))
        return logout(s);
    if (s->mode == USER_EXEC) {
        invalid(); /* nothing but enable and logout here */
    } else if (!strcmp(line, "terminal length 0") && s->mode == PRIV_EXEC) {
        paging = false;
    } else if (!strcmp(line, v->status_cmd) && s->mode == PRIV_EXEC) {
        show_status(s);
    } else if (!strcmp(line, "configure") && s->mode == PRIV_EXEC) {
        s->mode = CONFIG;
    } else if (sscanf(line, "interface %63s", word) == 1 && s->mode >= CONFIG) {
        unsigned p;
        if (strncmp(word, "0/", 2) || !sim_port_number(s, word + 2, &p))
            printf("\nAn invalid interface has been used for this function.\n\n");
        else
            s->port = p, s->mode = CONFIG_IF;
    } else if ((!strcmp(line, v->on_cmd) || !strcmp(line, v->off_cmd)) && s->mode == CONFIG_IF) {
        if (sim_set_port(s, s->port, !strcmp(line, v->on_cmd)) < 0)
            printf("\nError: the PoE controller rejected the setting for 0/%u.\n\n", s->port);
        else
            s->changed = true;
    } else if (!strcmp(line, "exit")) {
        s->mode--;
    } else {
        invalid();
    }
    return true;
}

const struct dialect sim_netgear = { "netgear", banner_netgear, prompt, run };
const struct dialect sim_edgeswitch = { "edgeswitch", banner_edgeswitch, prompt, run };
