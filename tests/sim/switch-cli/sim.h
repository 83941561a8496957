/* switch-cli: a switch's CLI for OpenSSH's ForceCommand, in the dialects
 * of the profiles in poe/profiles/: cisco-ios, procurve, aruba-cx,
 * netgear, edgeswitch (both FASTPATH), juniper, mikrotik.
 *
 *   switch-cli DIALECT STATE CONTROL LOG
 *
 * Interactive (a PTY): raw terminal, echo, prompts, paging questions,
 * the dialect's banner and logout questions.  With SSH_ORIGINAL_COMMAND
 * (an exec request, as a naive script sends): runs its ';'-separated
 * commands and exits.  Port power goes to the port-state file; faults
 * come from the control file (see ../portstate.h).  LOG gets a line
 * "session PID DIALECT MODE" per login and "cmd LINE" per command.
 *
 * SWITCH_CLI_ENABLE_PASSWORD set (and not empty): the switch has an
 * enable password.  cisco-ios then starts unprivileged (">") and
 * "enable" asks for it; the FASTPATH dialects, which always start
 * unprivileged, check what "enable" is given.  Each password given is
 * logged as "enable attempt N ok|wrong", never the password itself. */
#ifndef PIRACK_SIM_SWITCH_CLI_H
#define PIRACK_SIM_SWITCH_CLI_H

#include <stdbool.h>
#include <stdio.h>

struct sim {
    const char *state, *ctl;
    FILE *log;
    bool interactive;
    int nports;
    int mode;      /* the dialect's CLI mode */
    unsigned port; /* the interface being configured */
    bool changed;  /* the running configuration changed */
    char hostname[32];
    const char *enable_password; /* NULL: the switch has none */
    bool privileged;             /* past "enable" (cisco-ios) */
    unsigned enable_attempts;
};

/* A dialect: prints its banner and prompt, runs one line.  run returns
 * false when the session ends. */
struct dialect {
    const char *name;
    void (*banner)(struct sim *s);
    void (*prompt)(struct sim *s);
    bool (*run)(struct sim *s, const char *line);
};

extern const struct dialect sim_cisco_ios, sim_procurve, sim_aruba_cx, sim_netgear, sim_edgeswitch,
    sim_juniper, sim_mikrotik;

/* Reads one line (echoing it on a terminal); false at end of input. */
bool sim_readline(struct sim *s, char *buf, size_t len);
/* Asks "PROMPT" and reads a password without echo, as switches do; logs
 * the attempt and returns 1 when it is the enable password (any answer
 * when the switch has none), 0 when wrong, -1 at end of input. */
int sim_enable_password(struct sim *s, const char *prompt);
/* Reads one key on a terminal (true in exec mode: "yes" to everything). */
int sim_readkey(struct sim *s);
/* Turns a port on or off, honouring the control file.  Returns 0, or -1
 * when the control file says to refuse.  May end the process ("drop"). */
int sim_set_port(struct sim *s, unsigned port, bool on);
/* The port's state byte ('0', '1', 'F', 'S'), '?' when out of range. */
char sim_port_state(struct sim *s, unsigned port);
/* The login name, for prompts that show it (Junos, RouterOS). */
const char *sim_user(void);
/* True when "word" is a port number 1..nports; stores it. */
bool sim_port_number(struct sim *s, const char *word, unsigned *port);

#endif
