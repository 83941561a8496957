/* The HPE ProCurve dialect: "Press any key to continue" at login, "no
 * page", "[no] interface N power-over-ethernet" in config mode, "show
 * power-over-ethernet brief", and logout's two questions (log out? save
 * the configuration?).  Without "no page", long output stops at
 * "-- MORE --" for a key. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim.h"

enum {
    EXEC,
    CONFIG
};
static bool paging = true;

static void banner(struct sim *s)
{
    snprintf(s->hostname, sizeof(s->hostname), "sim-2930");
    printf("HP J9729A 2920-48G-POE+ Switch\nSoftware revision WB.16.10.0009\n\n"
           "Press any key to continue");
    sim_readkey(s);
    printf("\n");
}

static void prompt(struct sim *s)
{
    printf("%s%s# ", s->hostname, s->mode == CONFIG ? "(config)" : "");
}

/* Returns false when the reader quit the pager. */
static bool page_line(struct sim *s, unsigned *lines)
{
    if (!paging || !s->interactive || ++*lines % 20)
        return true;
    printf("-- MORE --, next page: Space, next line: Enter, quit: Control-C");
    int k = sim_readkey(s);
    printf("\r                                                                \r");
    return k != 3 && k >= 0;
}

static void show_brief(struct sim *s)
{
    unsigned used = 0, lines = 6;
    for (int p = 1; p <= s->nports; p++)
        used += sim_port_state(s, (unsigned)p) == '1' ? 3 : 0;
    printf("\n Status and Configuration Information\n\n"
           "  Available: 740 W  Used: %u W  Remaining: %u W\n\n"
           "  PoE  Pwr  Pwr      Pre-std Alloc Alloc  PSE Pwr  PD Pwr  PoE Port     PLC PLC\n"
           "  Port Enab Priority Detect  Cfg   Actual Rsrvd    Draw    Status       Cls Type\n"
           "  ---- ---- -------- ------- ----- ------ -------- ------- ------------ --- ----\n",
           used, 740 - used);
    for (int p = 1; p <= s->nports; p++) {
        char c = sim_port_state(s, (unsigned)p);
        const char *st = c == '0'   ? "Disabled"
                         : c == '1' ? "Delivering"
                         : c == 'F' ? "Fault"
                                    : "Searching";
        printf("  %-4d %-4s low      off     usage usage  %-8s %-7s %-12s %-3s %s\n", p,
               c == '0' ? "No" : "Yes", c == '1' ? "3.0 W" : "0 W", c == '1' ? "2.9 W" : "0 W", st,
               c == '1' ? "2" : "-", c == '1' ? "2" : "-");
        if (!page_line(s, &lines))
            break;
    }
    printf("\n");
}

static bool logout(struct sim *s)
{
    printf("Do you want to log out [y/n]? ");
    int k = sim_readkey(s);
    printf("%c\n", k > 0x20 && k < 0x7f ? k : ' ');
    if (k != 'y' && k != 'Y')
        return true;
    printf("Do you want to save current configuration [y/n/^C]? ");
    k = sim_readkey(s);
    printf("%c\n", k > 0x20 && k < 0x7f ? k : ' ');
    if (k == 'y' && s->log)
        fprintf(s->log, "saved configuration\n");
    return false;
}

static bool run(struct sim *s, const char *line)
{
    unsigned port;
    int end = 0;
    if (!line[0])
        return true;
    if (!strcmp(line, "no page")) {
        paging = false;
    } else if (!strcmp(line, "show power-over-ethernet brief")) {
        show_brief(s);
    } else if (!strcmp(line, "configure") || !strcmp(line, "configure terminal")) {
        s->mode = CONFIG;
    } else if ((sscanf(line, "interface %u power-over-ethernet%n", &port, &end) == 1 ||
                sscanf(line, "no interface %u power-over-ethernet%n", &port, &end) == 1) &&
               end > 0 && !line[end]) {
        if (s->mode != CONFIG)
            printf("Invalid input: interface\n");
        else if (port < 1 || (int)port > s->nports)
            printf("Module not present for port or invalid port: %u\n", port);
        else if (sim_set_port(s, port, line[0] == 'i') < 0)
            printf("Module not present for port or invalid port: %u (PoE controller busy)\n", port);
    } else if (!strcmp(line, "exit") || !strcmp(line, "end")) {
        if (s->mode == CONFIG)
            s->mode = EXEC;
        else
            return logout(s);
    } else if (!strcmp(line, "logout")) {
        return logout(s);
    } else {
        printf("Invalid input: %s\n", line);
    }
    return true;
}

const struct dialect sim_procurve = { "procurve", banner, prompt, run };
