/* privs: started as root by hand, pirackd would keep every capability and
 * write world-readable files.  After binding it keeps what systemd's unit
 * grants (systemd/pirackd.service: CAP_NET_BIND_SERVICE, CAP_NET_RAW,
 * CAP_NET_ADMIN; NoNewPrivileges; UMask 0027) and nothing more.  Uses
 * prctl(2) and capset(2) directly: three capabilities do not need
 * libcap. */
#define _GNU_SOURCE
#include "daemon/process/privs.h"

#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pirack/fsutil.h"
#include "pirack/log.h"

/* Needed to run after binding: routes and links (netlink), raw DHCP
 * frames, and rebinding ports below 1024 on reload. */
static const unsigned kept[] = { CAP_NET_ADMIN, CAP_NET_RAW, CAP_NET_BIND_SERVICE };

void pr_privs_umask(void)
{
    umask(027);
}

static bool is_kept(unsigned cap)
{
    for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
        if (kept[i] == cap)
            return true;
    return false;
}

/* A directory (or file) pirackd writes must stay writable once it is the
 * user: hand it over when root owns it. */
static void hand_over(const char *path, uid_t uid, gid_t gid)
{
    struct stat st;

    if (lstat(path, &st) == 0 && st.st_uid == 0 && !S_ISLNK(st.st_mode) &&
        chown(path, uid, gid) < 0)
        pr_warn("cannot hand %s to uid %u: %s", path, (unsigned)uid, strerror(errno));
}

static void hand_over_files(const struct pr_config *cfg, uid_t uid, gid_t gid)
{
    static const char *const store_suffixes[] = { "", "-wal", "-shm", "-journal" };
    char path[PATH_MAX + 16];

    snprintf(path, sizeof(path), "%s", cfg->state_path);
    hand_over(dirname(path), uid, gid);
    for (size_t i = 0; i < sizeof(store_suffixes) / sizeof(store_suffixes[0]); i++) {
        snprintf(path, sizeof(path), "%s%s", cfg->state_path, store_suffixes[i]);
        hand_over(path, uid, gid);
    }
    /* Made now, while root may: the user could not make them there.  The
     * image service writes images, roots and boot directories too. */
    const char *const dirs[] = { cfg->trace_dir, cfg->run_dir,  cfg->proxy_map_dir,
                                 cfg->image_dir, cfg->root_dir, cfg->boot_dir };
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        if (!dirs[i][0])
            continue;
        pr_mkdir_p(dirs[i]);
        hand_over(dirs[i], uid, gid);
    }
}

/* Takes every capability but the kept ones out of the bounding set, so
 * that nothing can regain them. */
static int drop_bounding_set(void)
{
    for (unsigned cap = 0; cap < 64; cap++) {
        if (is_kept(cap))
            continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
            if (errno == EINVAL)
                break; /* past the kernel's last capability */
            return -errno;
        }
    }
    return 0;
}

static int keep_only_needed_caps(void)
{
    struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
    struct __user_cap_data_struct data[2];

    memset(data, 0, sizeof(data));
    for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
        data[kept[i] / 32].effective |= 1u << (kept[i] % 32);
        data[kept[i] / 32].permitted |= 1u << (kept[i] % 32);
    }
    return syscall(SYS_capset, &hdr, data) < 0 ? -errno : 0;
}

static int become(const struct passwd *pw)
{
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setgroups(1, &pw->pw_gid) < 0 ||
        setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
        setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
        return -errno;
    return 0;
}

int pr_privs_drop(const struct pr_config *cfg, char *err, size_t errlen)
{
    const struct passwd *pw = NULL;
    int r;

    if (geteuid() == 0) {
        if (cfg->daemon_user[0]) {
            pw = getpwnam(cfg->daemon_user);
            if (!pw) {
                snprintf(err, errlen, "[daemon] user %s: no such user", cfg->daemon_user);
                return -ENOENT;
            }
            hand_over_files(cfg, pw->pw_uid, pw->pw_gid);
        }
        r = drop_bounding_set();
        if (r == 0 && pw)
            r = become(pw);
        if (r == 0)
            r = keep_only_needed_caps();
        if (r < 0) {
            snprintf(err, errlen, "cannot give up root's privileges: %s", strerror(-r));
            return r;
        }
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        r = -errno;
        snprintf(err, errlen, "cannot set no_new_privs: %s", strerror(errno));
        return r;
    }
    return 0;
}
