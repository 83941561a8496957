/* switch-cli: the terminal, the session log and the port state; each
 * dialect has its own file (cisco.c, procurve.c, aruba_cx.c, fastpath.c,
 * juniper.c, mikrotik.c).  See sim.h. */
#define _GNU_SOURCE
#include <ctype.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "sim.h"
#include "tests/sim/portstate.h"

static struct termios saved_tty;

static void restore_tty(void)
{
    tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
}

/* Raw input like a switch's console: we echo and edit ourselves, so a
 * pager's single key works.  Output processing stays on (\n -> \r\n). */
static void raw_tty(void)
{
    struct termios t;
    if (tcgetattr(STDIN_FILENO, &saved_tty) < 0)
        return;
    t = saved_tty;
    t.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ISIG | IEXTEN);
    t.c_iflag &= ~(tcflag_t)(ICRNL | IXON | INLCR);
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    tcsetattr(STDIN_FILENO, TCSANOW, &t);
    atexit(restore_tty);
}

static int getbyte(void)
{
    unsigned char c;
    return read(STDIN_FILENO, &c, 1) == 1 ? c : -1;
}

int sim_readkey(struct sim *s)
{
    if (!s->interactive)
        return 'y';
    fflush(stdout);
    return getbyte();
}

bool sim_readline(struct sim *s, char *buf, size_t len)
{
    size_t n = 0;
    static bool after_cr;
    fflush(stdout);
    for (;;) {
        int c = getbyte();
        if (c < 0)
            return false;
        if (c == '\n' && after_cr) { /* \r\n is one Enter */
            after_cr = false;
            continue;
        }
        after_cr = c == '\r';
        if (c == '\r' || c == '\n') {
            buf[n] = '\0';
            if (s->interactive)
                printf("\n");
            return true;
        }
        if ((c == 0x7f || c == '\b') && n > 0) {
            n--;
            if (s->interactive)
                printf("\b \b");
        } else if (c >= 0x20 && c < 0x7f && n + 1 < len) {
            buf[n++] = (char)c;
            if (s->interactive)
                putchar(c);
        }
        fflush(stdout);
    }
}

int sim_enable_password(struct sim *s, const char *prompt)
{
    char pw[128];
    bool echo = s->interactive;
    printf("%s", prompt);
    s->interactive = false; /* a password is not echoed */
    bool got = sim_readline(s, pw, sizeof(pw));
    s->interactive = echo;
    printf("\n");
    if (!got)
        return -1;
    bool right = !s->enable_password || !strcmp(pw, s->enable_password);
    if (s->log)
        fprintf(s->log, "enable attempt %u %s\n", ++s->enable_attempts, right ? "ok" : "wrong"),
            fflush(s->log);
    return right;
}

char sim_port_state(struct sim *s, unsigned port)
{
    char st[PS_MAX_PORTS];
    int n = ps_read(s->state, st, sizeof(st));
    return port >= 1 && (int)port <= n ? st[port - 1] : '?';
}

int sim_set_port(struct sim *s, unsigned port, bool on)
{
    if (ps_ctl_has(s->ctl, "drop", 0) || ps_ctl_take(s->ctl, "drop-once")) {
        /* The connection dies in the middle of the switch's answer. */
        printf("Configuring PoE on po");
        fflush(stdout);
        if (s->log)
            fprintf(s->log, "dropped %u\n", port), fflush(s->log);
        _exit(0);
    }
    if (ps_ctl_has(s->ctl, "refuse", 0))
        return -1;
    ps_hold(s->ctl);
    char cur = sim_port_state(s, port);
    if (cur == '?')
        return -1;
    char want = on ? ps_on_byte(s->ctl, port, cur) : '0';
    if (want != cur)
        ps_write(s->state, port, want);
    return 0;
}

const char *sim_user(void)
{
    const struct passwd *pw = getpwuid(getuid());
    return pw ? pw->pw_name : "admin";
}

bool sim_port_number(struct sim *s, const char *word, unsigned *port)
{
    char *end;
    if (!isdigit((unsigned char)word[0]))
        return false;
    unsigned long p = strtoul(word, &end, 10);
    if (*end || p < 1 || p > (unsigned long)s->nports)
        return false;
    *port = (unsigned)p;
    return true;
}

static const struct dialect *const dialects[] = {
    &sim_cisco_ios,  &sim_procurve, &sim_aruba_cx, &sim_netgear,
    &sim_edgeswitch, &sim_juniper,  &sim_mikrotik,
};

static const struct dialect *find_dialect(const char *name)
{
    for (size_t i = 0; i < sizeof(dialects) / sizeof(dialects[0]); i++)
        if (!strcmp(dialects[i]->name, name))
            return dialects[i];
    return NULL;
}

static void slow_down(struct sim *s)
{
    long ms = ps_ctl_value(s->ctl, "slow");
    if (ms > 0 && ms < 60000) {
        struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
        nanosleep(&ts, NULL);
    }
}

static void run_exec(struct sim *s, const struct dialect *d, const char *command)
{
    char *copy = strdup(command);
    for (char *save = NULL, *c = strtok_r(copy, ";", &save); c; c = strtok_r(NULL, ";", &save)) {
        while (*c == ' ')
            c++;
        if (s->log)
            fprintf(s->log, "cmd %s\n", c), fflush(s->log);
        slow_down(s);
        if (!d->run(s, c))
            break;
    }
    free(copy);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: %s DIALECT STATE CONTROL LOG\n", argv[0]);
        return 2;
    }
    const struct dialect *d = find_dialect(argv[1]);
    if (!d) {
        fprintf(stderr, "switch-cli: no dialect %s\n", argv[1]);
        return 2;
    }
    struct sim s = { .state = argv[2], .ctl = argv[3] };
    char st[PS_MAX_PORTS];
    s.nports = ps_read(s.state, st, sizeof(st));
    if (s.nports <= 0) {
        fprintf(stderr, "switch-cli: cannot read %s\n", s.state);
        return 2;
    }
    s.log = fopen(argv[4], "ae");
    s.enable_password = getenv("SWITCH_CLI_ENABLE_PASSWORD");
    if (s.enable_password && !s.enable_password[0])
        s.enable_password = NULL;
    s.privileged = !s.enable_password;
    const char *exec_cmd = getenv("SSH_ORIGINAL_COMMAND");
    s.interactive = !exec_cmd && isatty(STDIN_FILENO);
    if (s.log)
        fprintf(s.log, "session %d %s %s\n", (int)getpid(), d->name, exec_cmd ? "exec" : "shell"),
            fflush(s.log);
    if (exec_cmd) {
        run_exec(&s, d, exec_cmd);
        return 0;
    }
    if (s.interactive)
        raw_tty();
    d->banner(&s);
    char line[512];
    for (;;) {
        d->prompt(&s);
        if (!sim_readline(&s, line, sizeof(line)))
            break;
        if (s.log)
            fprintf(s.log, "cmd %s\n", line), fflush(s.log);
        slow_down(&s);
        if (!d->run(&s, line))
            break;
    }
    fflush(stdout);
    return 0;
}
