/* The Cisco IOS dialect: exec (#), config, config-if; "power inline
 * never|auto" under "interface GigabitEthernet1/0/N"; "show power inline".
 * Errors look like IOS's ("% Invalid input ...").  With an enable
 * password (SWITCH_CLI_ENABLE_PASSWORD) the session starts in user exec
 * (">"), where configuring is refused, until "enable" is given it. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "sim.h"

enum {
    EXEC,
    CONFIG,
    CONFIG_IF
};

static void banner(struct sim *s)
{
    snprintf(s->hostname, sizeof(s->hostname), "sim-c9300");
    printf("\n");
}

static void prompt(struct sim *s)
{
    static const char *const suffix[] = { "#", "(config)#", "(config-if)#" };
    printf("%s%s", s->hostname, s->privileged ? suffix[s->mode] : ">");
}

static void invalid(void)
{
    printf("                 ^\n%% Invalid input detected at '^' marker.\n\n");
}

static void show_power_inline(struct sim *s)
{
    unsigned used = 0;
    for (int p = 1; p <= s->nports; p++)
        used += sim_port_state(s, (unsigned)p) == '1' ? 3 : 0;
    printf("Module   Available     Used     Remaining\n"
           "          (Watts)     (Watts)    (Watts)\n"
           "------   ---------   --------   ---------\n"
           "1           740.0      %5u.0      %5u.0\n"
           "Interface Admin  Oper       Power   Device              Class Max\n"
           "                            (Watts)\n"
           "--------- ------ ---------- ------- ------------------- ----- ----\n",
           used, 740 - used);
    for (int p = 1; p <= s->nports; p++) {
        char c = sim_port_state(s, (unsigned)p);
        const char *admin = c == '0' ? "off" : "auto";
        const char *oper = c == '1' ? "on" : c == 'F' ? "faulty" : "off";
        printf("Gi1/0/%-3d %-6s %-10s %-7s %-19s %-5s 30.0\n", p, admin, oper,
               c == '1' ? "3.0" : "0.0", c == '1' ? "Ieee PD" : "n/a", c == '1' ? "2" : "n/a");
    }
    printf("\n");
}

/* "GigabitEthernet1/0/N", "Gi1/0/N": the port, or 0. */
static unsigned parse_interface(struct sim *s, const char *name)
{
    const char *slash = strrchr(name, '/');
    if (strncasecmp(name, "gi", 2) || !slash ||
        strncmp(strpbrk(name, "0123456789") ?: "", "1/0/", 4))
        return 0;
    long p = strtol(slash + 1, NULL, 10);
    return p >= 1 && p <= s->nports ? (unsigned)p : 0;
}

/* IOS asks up to three times, then gives up with "% Bad secrets" (a
 * local enable secret; with AAA for enable it says "% Access denied").
 * At privilege 15 already, "enable" asks nothing. */
static bool run_enable(struct sim *s)
{
    for (int i = 0; i < 3 && !s->privileged; i++) {
        int right = sim_enable_password(s, "Password: ");
        if (right < 0)
            return false;
        s->privileged = right > 0;
    }
    if (!s->privileged)
        printf("%% Bad secrets\n\n");
    return true;
}

/* User exec: a few harmless commands; anything else is "% Invalid input". */
static bool run_user_exec(struct sim *s, const char *line)
{
    if (!strcmp(line, "exit") || !strcmp(line, "logout"))
        return false;
    if (!strcmp(line, "show power inline"))
        show_power_inline(s);
    else
        invalid();
    return true;
}

static bool run(struct sim *s, const char *line)
{
    char ifname[64];
    if (!line[0])
        return true;
    if (!strcmp(line, "enable"))
        return run_enable(s);
    if (!strncmp(line, "terminal ", 9))
        return true;
    if (!s->privileged)
        return run_user_exec(s, line);
    if (!strcmp(line, "show power inline")) {
        show_power_inline(s);
    } else if (!strcmp(line, "configure terminal") && s->mode == EXEC) {
        printf("Enter configuration commands, one per line.  End with CNTL/Z.\n");
        s->mode = CONFIG;
    } else if (sscanf(line, "interface %63s", ifname) == 1 && s->mode != EXEC) {
        unsigned p = parse_interface(s, ifname);
        if (!p)
            invalid();
        else
            s->port = p, s->mode = CONFIG_IF;
    } else if ((!strcmp(line, "power inline never") || !strcmp(line, "power inline auto")) &&
               s->mode == CONFIG_IF) {
        if (sim_set_port(s, s->port, line[13] == 'a') < 0)
            printf("%% Command rejected: PoE controller is not responding (Gi1/0/%u)\n", s->port);
    } else if (!strcmp(line, "end")) {
        s->mode = EXEC;
    } else if (!strcmp(line, "exit") || !strcmp(line, "logout")) {
        if (s->mode == EXEC || line[0] == 'l')
            return false;
        s->mode--;
    } else {
        invalid();
    }
    return true;
}

const struct dialect sim_cisco_ios = { "cisco-ios", banner, prompt, run };
