/* The HPE Aruba CX (AOS-CX) dialect: "switch#", "switch(config)#",
 * "switch(config-if)#"; "[no] power-over-ethernet" under "interface
 * 1/1/N"; "show power-over-ethernet", one row per port with the power
 * status in the second column; "Invalid input: ..." for what it does not
 * know; output pages at "--MORE--" until "no page". */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim.h"

enum {
    EXEC,
    CONFIG,
    CONFIG_IF
};
static bool paging = true;

static void banner(struct sim *s)
{
    snprintf(s->hostname, sizeof(s->hostname), "sim-6300");
    printf("\nLast login: 2026-01-01 00:00:00 from 127.0.0.1\n"
           "User \"%s\" has logged in 1 time in the past 30 days\n",
           sim_user());
}

static void prompt(struct sim *s)
{
    static const char *const suffix[] = { "# ", "(config)# ", "(config-if)# " };
    printf("%s%s", s->hostname, suffix[s->mode]);
}

/* "1/1/N" on member 1, slot 1: the port, or 0. */
static unsigned parse_interface(struct sim *s, const char *name)
{
    unsigned p;
    return !strncmp(name, "1/1/", 4) && sim_port_number(s, name + 4, &p) ? p : 0;
}

/* Returns false when the reader quit the pager. */
static bool page_line(struct sim *s, unsigned *lines)
{
    if (!paging || !s->interactive || ++*lines % 20)
        return true;
    printf("--MORE--, next page: Space, next line: Enter, quit: q");
    int k = sim_readkey(s);
    printf("\r                                                      \r");
    return k != 'q' && k >= 0;
}

static void show_poe(struct sim *s)
{
    unsigned lines = 5;
    printf("\nStatus and Configuration Information\n\n"
           "              Power        Power     PD     Alloc   PD Power\n"
           "Interface     Status       Priority  Class  By      Drawn\n"
           "------------  -----------  --------  -----  ------  --------\n");
    for (int p = 1; p <= s->nports; p++) {
        char c = sim_port_state(s, (unsigned)p);
        const char *st = c == '0'   ? "disabled"
                         : c == '1' ? "delivering"
                         : c == 'F' ? "fault"
                                    : "searching";
        printf("1/1/%-9d %-12s low       %-5s  usage   %s\n", p, st, c == '1' ? "2" : "-",
               c == '1' ? "3.1 W" : "0.0 W");
        if (!page_line(s, &lines))
            break;
    }
    printf("\n");
}

static bool run(struct sim *s, const char *line)
{
    char word[64];
    if (!line[0])
        return true;
    if (!strcmp(line, "no page")) {
        paging = false;
    } else if (!strcmp(line, "page")) {
        paging = true;
    } else if (!strcmp(line, "show power-over-ethernet")) {
        show_poe(s);
    } else if ((!strcmp(line, "configure terminal") || !strcmp(line, "configure") ||
                !strcmp(line, "config")) &&
               s->mode == EXEC) {
        s->mode = CONFIG;
    } else if (sscanf(line, "interface %63s", word) == 1 && s->mode != EXEC) {
        unsigned p = parse_interface(s, word);
        if (!p)
            printf("Invalid input: %s\n", word);
        else
            s->port = p, s->mode = CONFIG_IF;
    } else if ((!strcmp(line, "power-over-ethernet") || !strcmp(line, "no power-over-ethernet")) &&
               s->mode == CONFIG_IF) {
        if (sim_set_port(s, s->port, line[0] == 'p') < 0)
            printf("Error: the PoE controller did not accept the change on 1/1/%u\n", s->port);
        else
            s->changed = true;
    } else if (!strcmp(line, "end")) {
        s->mode = EXEC;
    } else if (!strcmp(line, "exit")) {
        if (s->mode == EXEC)
            return false;
        s->mode--;
    } else {
        printf("Invalid input: %s\n", line);
    }
    return true;
}

const struct dialect sim_aruba_cx = { "aruba-cx", banner, prompt, run };
