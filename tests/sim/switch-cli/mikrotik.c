/* The MikroTik RouterOS dialect: "[user@MikroTik] > "; commands with an
 * absolute menu path; "/interface ethernet poe set etherN
 * poe-out=auto-on|forced-on|off" prints nothing when it works;
 * "/interface ethernet poe monitor etherN once" prints "name: value"
 * lines, among them poe-out-status (powered-on, waiting-for-load, off,
 * short-circuit, ...).  Errors: "bad command name X (line 1 column 1)",
 * "syntax error (line 1 column N)", "no such item", "failure: ...";
 * "/quit" ends the session. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim.h"

static void banner(struct sim *s)
{
    snprintf(s->hostname, sizeof(s->hostname), "MikroTik");
    printf("\n\n  MikroTik RouterOS 7.16.2 (c) 1999-2024       https://www.mikrotik.com/\n\n"
           "Press F1 for help\n\n");
}

static void prompt(struct sim *s)
{
    printf("[%s@%s] > ", sim_user(), s->hostname);
}

/* "etherN" -> the port, or 0. */
static unsigned parse_interface(struct sim *s, const char *name)
{
    unsigned p;
    return !strncmp(name, "ether", 5) && sim_port_number(s, name + 5, &p) ? p : 0;
}

static void poe_set(struct sim *s, const char *args)
{
    char ifname[64], value[32];
    int end = 0;
    if (sscanf(args, "%63s poe-out=%31s%n", ifname, value, &end) != 2 || args[end]) {
        printf("syntax error (line 1 column %d)\n", 26 + end);
        return;
    }
    bool on = !strcmp(value, "auto-on") || !strcmp(value, "forced-on");
    if (!on && strcmp(value, "off")) {
        printf("invalid value for argument poe-out:\n    input does not match any value of "
               "poe-out\n");
        return;
    }
    unsigned p = parse_interface(s, ifname);
    if (!p)
        printf("no such item\n");
    else if (sim_set_port(s, p, on) < 0)
        printf("failure: PoE-out controller does not respond\n");
}

static void poe_monitor(struct sim *s, const char *args)
{
    char ifname[64];
    int end = 0;
    if (sscanf(args, "%63s once%n", ifname, &end) != 1 || end == 0 || args[end]) {
        printf("syntax error (line 1 column 31)\n");
        return;
    }
    unsigned p = parse_interface(s, ifname);
    if (!p) {
        printf("no such item\n");
        return;
    }
    char c = sim_port_state(s, p);
    const char *st = c == '0'   ? "off"
                     : c == '1' ? "powered-on"
                     : c == 'F' ? "short-circuit"
                                : "waiting-for-load";
    printf("               name: %s\n            poe-out: %s\n     poe-out-status: %s\n", ifname,
           c == '0' ? "off" : "auto-on", st);
    if (c == '1')
        printf("    poe-out-voltage: 53.2V\n    poe-out-current: 58mA\n"
               "      poe-out-power: 3.1W\n");
    printf("\n");
}

static bool run(struct sim *s, const char *line)
{
    static const char set[] = "/interface ethernet poe set ";
    static const char monitor[] = "/interface ethernet poe monitor ";
    char first[64] = "";
    if (!line[0])
        return true;
    if (!strcmp(line, "/quit") || !strcmp(line, "quit")) {
        printf("interrupted\n");
        return false;
    }
    if (!strncmp(line, set, sizeof(set) - 1))
        poe_set(s, line + sizeof(set) - 1);
    else if (!strncmp(line, monitor, sizeof(monitor) - 1))
        poe_monitor(s, line + sizeof(monitor) - 1);
    else if (sscanf(line, "%63s", first) == 1 && strncmp(first, "/interface", 10))
        printf("bad command name %s (line 1 column 1)\n", first[0] == '/' ? first + 1 : first);
    else
        printf("syntax error (line 1 column 12)\n");
    return true;
}

const struct dialect sim_mikrotik = { "mikrotik", banner, prompt, run };
