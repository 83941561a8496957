/* pisim: power from outside.  The switch simulators write the port-state
 * file (tests/sim/PORTSTATE.md): one byte per port, '1' = delivering
 * power.  A Pi whose port turns '1' boots from its ROM; any other byte
 * ('0' off, 'F' fault, 'S' searching) or a missing byte means no power. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include "pisim.h"

#define PORTSTATE_MAX 4096

static ssize_t read_locked(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -errno;
    ssize_t n = -1;
    if (flock(fd, LOCK_SH) == 0) {
        n = pread(fd, buf, cap, 0);
        if (n < 0)
            n = -errno;
        flock(fd, LOCK_UN);
    } else {
        n = -errno;
    }
    close(fd);
    return n;
}

/* Reads the file once and powers each Pi on or off to match it.  A file
 * that does not exist (yet) means every port is off. */
int power_poll(struct pisim *sim)
{
    char buf[PORTSTATE_MAX];
    ssize_t n = read_locked(sim->opt.ports_file, buf, sizeof buf);
    if (n < 0)
        return (int)n;
    for (unsigned i = 0; i < sim->n_pis; i++) {
        struct pi *pi = &sim->pis[i];
        size_t at = pi->port - 1;
        bool on = pi->port >= 1 && at < (size_t)n && buf[at] == '1';
        if (on != pi->powered)
            pi_power(pi, on);
    }
    return 0;
}
