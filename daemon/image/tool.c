/* image/tool: runs the outside tools an import needs (xz, mtools,
 * debugfs, tar, cp, rm) with an argument vector, never a shell, and a
 * fixed environment.  What a tool says on stderr is kept for the error. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "image_internal.h"

/* A fixed environment: the tools see neither the daemon's locale nor a
 * floppy geometry check (mtools refuses disk images without it). */
static char *const tool_env[] = {
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LC_ALL=C",
    "MTOOLS_SKIP_CHECK=1",
    NULL,
};

/* Reads what the child writes on stderr: the first errlen - 1 bytes are
 * kept (newlines as spaces), the rest is read and thrown away so that the
 * child never blocks on a full pipe. */
static void drain(int fd, char *err, size_t errlen)
{
    size_t used = 0;
    char buf[512];
    ssize_t n;

    while ((n = read(fd, buf, sizeof(buf))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (ssize_t i = 0; i < n && used + 1 < errlen; i++)
            err[used++] = buf[i] == '\n' || buf[i] == '\r' ? ' ' : buf[i];
    }
    if (errlen)
        err[used] = '\0';
    while (used > 0 && err[used - 1] == ' ')
        err[--used] = '\0';
}

int pr_image_tool(atomic_int *child, const char *const argv[], int out_fd, char *err, size_t errlen)
{
    posix_spawn_file_actions_t fa;
    int pipefd[2], status, rc;
    pid_t pid;

    if (errlen)
        err[0] = '\0';
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return -errno;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (out_fd >= 0)
        posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    else
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
    rc = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, tool_env);
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[1]);
    if (rc != 0) {
        close(pipefd[0]);
        snprintf(err, errlen, "cannot run %s: %s", argv[0], strerror(rc));
        return -rc;
    }
    if (child)
        atomic_store(child, pid);
    drain(pipefd[0], err, errlen);
    close(pipefd[0]);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    if (child)
        atomic_store(child, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (errlen && !err[0])
        snprintf(err, errlen, "%s %s %d", argv[0],
                 WIFSIGNALED(status) ? "killed by signal" : "exited with",
                 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    return WIFSIGNALED(status) ? -EINTR : -EIO;
}

void pr_image_tool_kill(atomic_int *child)
{
    pid_t pid = atomic_load(child);
    if (pid > 0)
        kill(pid, SIGTERM);
}

int pr_image_remove_tree(const char *path)
{
    const char *argv[] = { "rm", "-rf", "--one-file-system", "--", path, NULL };
    char err[256];
    return pr_image_tool(NULL, argv, -1, err, sizeof(err));
}
