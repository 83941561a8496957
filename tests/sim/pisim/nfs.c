/* pisim: the root over NFS, after the kernel (--nfs-root).
 *
 * A Pi whose cmdline.txt says root=/dev/nfs configures eth0 from ip=
 * (PI:HOST::MASK:NAME:eth0:off, no DHCP) and mounts nfsroot=HOST:/PATH
 * (NFSv3 over TCP) before anything else runs.  pisim plays that by
 * reading PATH/etc/hostname with libnfs's nfs-cat, a child process whose
 * stdout the loop watches: the Pi goes on to the OS's DHCP only when it
 * read that file and it holds NAME, the hostname its own cmdline gave
 * it.  A root it cannot read, or someone else's, fails the boot.  The
 * command line's parser is nfsroot.c (pure). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "pisim.h"

/* The mount's own patience: klibc nfsmount retries for about this long. */
#define NFS_READ_MS 15000

static void nfs_stop(struct pi *pi)
{
    if (pi->nfs_fd >= 0) {
        pisim_unwatch(pi->sim, pi->nfs_fd);
        close(pi->nfs_fd);
        pi->nfs_fd = -1;
    }
    if (pi->nfs_pid > 0) {
        kill(pi->nfs_pid, SIGKILL);
        waitpid(pi->nfs_pid, NULL, 0);
        pi->nfs_pid = 0;
    }
}

void pi_nfs_stop(struct pi *pi)
{
    nfs_stop(pi);
}

static pid_t spawn_cat(const char *url, int out_fd)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int devnull = open("/dev/null", O_RDWR);
    dup2(devnull, 0);
    dup2(out_fd, 1);
    dup2(devnull, 2);
    execlp("nfs-cat", "nfs-cat", url, (char *)NULL);
    _exit(127);
}

void pi_nfs_start(struct pi *pi)
{
    struct nfsroot *r = &pi->nfsroot;
    char why[200], url[PISIM_NFS_PATH_MAX + 64], server[INET_ADDRSTRLEN];
    int p[2];
    if (nfsroot_parse(pi->cmdline, r, why, sizeof why) < 0) {
        pi_fail(pi, "kernel: %s", why);
        return;
    }
    struct in_addr none = { 0 };
    int rc = net_addr_set(pi->sim, pi, r->addr, (unsigned)__builtin_popcount(r->mask.s_addr), none);
    if (rc < 0) {
        pi_fail(pi, "kernel: ip=: cannot add the address: %s", strerror(-rc));
        return;
    }
    inet_ntop(AF_INET, &r->server, server, sizeof server);
    snprintf(url, sizeof url, "nfs://%s%s/etc/hostname?version=3", server, r->path);
    if (pipe2(p, O_CLOEXEC) < 0) {
        pi_fail(pi, "kernel: pipe: %s", strerror(errno));
        return;
    }
    pi->nfs_pid = spawn_cat(url, p[1]);
    close(p[1]);
    if (pi->nfs_pid < 0) {
        close(p[0]);
        pi->nfs_pid = 0;
        pi_fail(pi, "kernel: fork: %s", strerror(errno));
        return;
    }
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    pi->nfs_fd = p[0];
    pi->nfs_len = 0;
    if (pisim_watch(pi->sim, p[0], pi, TAG_NFS) < 0) {
        nfs_stop(pi);
        pi_fail(pi, "epoll: %s", strerror(errno));
        return;
    }
    pi->phase = PH_NFSROOT;
    pi->deadline_ms = pisim_now_ms() + NFS_READ_MS;
    report_event(pi, "nfs_mount", "{s:s,s:s}", "server", server, "path", r->path);
}

/* nfs-cat is done: the hostname it read decides. */
static void nfs_done(struct pi *pi)
{
    int status = 0;
    pid_t pid = pi->nfs_pid;
    pisim_unwatch(pi->sim, pi->nfs_fd);
    close(pi->nfs_fd);
    pi->nfs_fd = -1;
    pi->nfs_pid = 0;
    waitpid(pid, &status, 0);
    pi->deadline_ms = 0;
    pi->nfs_out[pi->nfs_len] = '\0';
    pi->nfs_out[strcspn(pi->nfs_out, "\n")] = '\0';
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        pi_fail(pi, "kernel: VFS: unable to mount root fs via NFS (%s/etc/hostname unreadable%s)",
                pi->nfsroot.path,
                WIFEXITED(status) && WEXITSTATUS(status) == 127 ? ": no nfs-cat" : "");
        return;
    }
    if (strcmp(pi->nfs_out, pi->nfsroot.hostname) != 0) {
        pi_fail(pi, "the root's /etc/hostname is '%.60s', not this Pi's '%s'", pi->nfs_out,
                pi->nfsroot.hostname);
        return;
    }
    report_event(pi, "nfs_root", "{s:s}", "hostname", pi->nfs_out);
    pi_start_dhcp(pi, DC_OS);
}

void pi_on_nfs(struct pi *pi)
{
    while (pi->nfs_fd >= 0) {
        ssize_t n =
            read(pi->nfs_fd, pi->nfs_out + pi->nfs_len, sizeof pi->nfs_out - 1 - pi->nfs_len);
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0 || pi->nfs_len + (size_t)n >= sizeof pi->nfs_out - 1) {
            if (n > 0)
                pi->nfs_len += (size_t)n;
            nfs_done(pi);
            return;
        }
        pi->nfs_len += (size_t)n;
    }
}

void pi_nfs_timeout(struct pi *pi)
{
    nfs_stop(pi);
    pi_fail(pi, "kernel: NFS server %s not responding (no root in %u s)", pi->nfsroot.path,
            NFS_READ_MS / 1000);
}
