/* The switch simulators' shared state: the port-state file that the Pi
 * simulator watches, and the fault-injection control file.
 *
 * Port-state file: one byte per port (port 1 = byte 0), then '\n':
 *   '0' off, '1' on and delivering power, 'F' fault (admin on, no power),
 *   'S' searching (admin on, never powers).
 * Writers pwrite single bytes holding flock(LOCK_EX); readers hold
 * flock(LOCK_SH) and read the whole file.
 *
 * Control file (optional, re-read on every request), one directive a line:
 *   fault P        turning port P on gives 'F'
 *   searching P    turning port P on gives 'S'
 *   refuse         every power change is answered with an error
 *   drop           the CLI drops the connection in the middle of a power command
 *   drop-once      the same, once: the simulator deletes the line
 *   slow MS        the CLI waits MS ms before answering each command
 *   hold           a power change waits (at most a minute) until the line
 *                  is gone: an operation held in flight for as long as a
 *                  test needs it, with no race against the clock
 * Header-only, shared by tests/sim/poe-passpersist and tests/sim/switch-cli. */
#ifndef PIRACK_SIM_PORTSTATE_H
#define PIRACK_SIM_PORTSTATE_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#define PS_MAX_PORTS 1024

/* Reads the whole file into st (no '\n').  Returns the port count or -1. */
static inline int ps_read(const char *path, char *st, size_t max)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    flock(fd, LOCK_SH);
    ssize_t n = pread(fd, st, max, 0);
    flock(fd, LOCK_UN);
    close(fd);
    if (n < 0)
        return -1;
    while (n > 0 && (st[n - 1] == '\n' || st[n - 1] == '\r'))
        n--;
    return (int)n;
}

static inline int ps_write(const char *path, unsigned port, char c)
{
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return -1;
    flock(fd, LOCK_EX);
    ssize_t n = pwrite(fd, &c, 1, (off_t)port - 1);
    flock(fd, LOCK_UN);
    close(fd);
    return n == 1 ? 0 : -1;
}

/* Whether the control file holds "word" (with arg when arg > 0). */
static inline bool ps_ctl_has(const char *ctl, const char *word, long arg)
{
    if (!ctl || !ctl[0])
        return false;
    FILE *f = fopen(ctl, "re");
    if (!f)
        return false;
    char line[128], w[64];
    bool found = false;
    while (!found && fgets(line, sizeof(line), f)) {
        long a = 0;
        int k = sscanf(line, "%63s %ld", w, &a);
        if (k >= 1 && !strcmp(w, word) && (arg <= 0 || (k == 2 && a == arg)))
            found = true;
    }
    fclose(f);
    return found;
}

static inline long ps_ctl_value(const char *ctl, const char *word)
{
    if (!ctl || !ctl[0])
        return 0;
    FILE *f = fopen(ctl, "re");
    if (!f)
        return 0;
    char line[128], w[64];
    long v = 0, a;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "%63s %ld", w, &a) == 2 && !strcmp(w, word))
            v = a;
    fclose(f);
    return v;
}

/* Deletes the lines that are exactly "word" (for the -once directives).
 * Returns true when there was one. */
static inline bool ps_ctl_take(const char *ctl, const char *word)
{
    if (!ctl || !ctl[0])
        return false;
    int fd = open(ctl, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return false;
    flock(fd, LOCK_EX);
    char buf[4096], out[4096];
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    bool taken = false;
    size_t o = 0;
    if (n > 0) {
        buf[n] = '\0';
        for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l;
             l = strtok_r(NULL, "\n", &save)) {
            if (!taken && !strcmp(l, word)) {
                taken = true;
                continue;
            }
            o += (size_t)snprintf(out + o, sizeof(out) - o, "%s\n", l);
            if (o >= sizeof(out))
                o = sizeof(out) - 1;
        }
        if (taken) {
            if (ftruncate(fd, 0) == 0 && pwrite(fd, out, o, 0) < 0)
                taken = true;
        }
    }
    flock(fd, LOCK_UN);
    close(fd);
    return taken;
}

/* Waits while the control file says "hold" (bounded: 60 s). */
static inline void ps_hold(const char *ctl)
{
    for (int i = 0; i < 1200 && ps_ctl_has(ctl, "hold", 0); i++) {
        struct timespec ts = { 0, 50 * 1000000L };
        nanosleep(&ts, NULL);
    }
}

/* The byte a port takes when it is turned on: a fault or a port that
 * never powers stays that way while it is on. */
static inline char ps_on_byte(const char *ctl, unsigned port, char current)
{
    if (current != '0')
        return current;
    if (ps_ctl_has(ctl, "fault", port))
        return 'F';
    if (ps_ctl_has(ctl, "searching", port))
        return 'S';
    return '1';
}

#endif
