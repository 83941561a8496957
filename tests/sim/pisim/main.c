/* pisim: plays N Raspberry Pis that netboot.  See pisim.h and usage(). */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>
#include "pisim.h"

#define POWER_POLL_MS 50
#define PROGRESS_MS 1000

static void usage(FILE *out)
{
    fprintf(out, "usage: pisim [options] IFACE[:MODEL[:SERIAL]]...\n"
                 "       pisim [options] --pattern FMT --count N\n"
                 "Plays one netbooting Raspberry Pi per interface (run it in the Pis' netns).\n"
                 "  --pattern FMT       interface names, printf style with one %%d (pi%%03d)\n"
                 "  --count N           with --pattern: Pis 1..N\n"
                 "  --model M           3b (default), 3b+ or 4; IFACE:MODEL overrides\n"
                 "  --serial-base HEX   Pi i's serial is HEX + i (default 5ca1ab00); the MAC\n"
                 "                      is b8:27:eb (Pi 3) or dc:a6:32 (Pi 4) + its low 24 bits\n"
                 "  --ports FILE        power from the port-state file (tests/sim/PORTSTATE.md);\n"
                 "                      without it every Pi is powered at start\n"
                 "  --port-base N       Pi i is on port N + i - 1 (default 1)\n"
                 "  --json FILE         the report (default: stdout) at exit and on SIGUSR1\n"
                 "  --until-booted      exit when every Pi has booted or failed\n"
                 "  --timeout S         exit after S seconds whatever the state\n"
                 "  --fast N            divide the firmware's waits (DHCP retries, power-up,\n"
                 "                      kernel start) by N; TFTP timeouts stay real\n"
                 "  --pi3b-stall        model the 3B ROM that sits on its OFFER until another\n"
                 "                      packet comes about a second later\n"
                 "  --pi4-blksize N     1468 (default, late 2022 on) or 1024\n"
                 "  --power-up-ms MS    power on to first DISCOVER (default 1000)\n"
                 "  --kernel-ms MS      kernel loaded to the OS's DISCOVER (default 4000)\n"
                 "  --nfs-root          after the kernel, read the root's /etc/hostname over\n"
                 "                      NFSv3 (nfsroot= and ip= of cmdline.txt, with nfs-cat)\n"
                 "                      and boot only when it is the Pi's own hostname\n"
                 "  --progress          counts on stderr when they change\n"
                 "  --verbose           every event on stderr\n"
                 "  --v6 N=ADDR         Pi N's IPv6 address (a /64), put on its interface once\n"
                 "                      its OS is up\n"
                 "  --health-port P     a booted Pi with an IPv6 address answers TCP on P with\n"
                 "                      an ssh banner (as sshd; pirackd's health probe)\n"
                 "  --fault N:KIND[,once]  Pi N is faulty (only on its first boot with once):\n"
                 "                      no-dhcp, stop-after-tftp (kernel fetched, then\n"
                 "                      nothing), root-fails (an NFS SYN, then nothing),\n"
                 "                      hang-after-boot (stops answering the health port),\n"
                 "                      swap=M (on SIGUSR2, once Pi N and Pi M are both off,\n"
                 "                      their boards trade places: serial, MAC, model)\n"
                 "  --hang-ms MS        hang-after-boot answers this long (default 5000)\n"
                 "Exit status: 0 when every Pi booted, 1 otherwise, 2 on bad usage.\n");
}

static struct pisim the_sim;

uint64_t pisim_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

unsigned pisim_scale(const struct pisim *sim, unsigned ms)
{
    unsigned f = sim->opt.fast ? sim->opt.fast : 1;
    return ms / f ? ms / f : 1;
}

void pisim_vlog(const struct pi *pi, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "pisim: %s: ", pi->ifname);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int pisim_watch(struct pisim *sim, int fd, struct pi *pi, unsigned tag)
{
    struct epoll_event ev = { .events = EPOLLIN };
    ev.data.u64 = (uint64_t)(pi ? pi->index : 0) << 8 | tag;
    return epoll_ctl(sim->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

void pisim_unwatch(struct pisim *sim, int fd)
{
    (void)epoll_ctl(sim->epfd, EPOLL_CTL_DEL, fd, NULL);
}

struct args {
    const char *pattern;
    unsigned count;
    enum pi_model model;
    uint32_t serial_base;
};

static int parse_uint(const char *s, unsigned long max, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || end == s || v > max)
        return -EINVAL;
    *out = (unsigned)v;
    return 0;
}

/* IFACE[:MODEL[:SERIAL]] */
static int add_pi(struct pisim *sim, const char *spec, const struct args *a)
{
    char buf[64], *model, *serial;
    enum pi_model m = a->model;
    uint32_t ser = a->serial_base + sim->n_pis + 1;
    if (sim->n_pis >= PISIM_MAX_PIS || strlen(spec) >= sizeof buf)
        return -EINVAL;
    strcpy(buf, spec);
    model = strchr(buf, ':');
    if (model) {
        *model++ = '\0';
        serial = strchr(model, ':');
        if (serial) {
            *serial++ = '\0';
            char *end;
            unsigned long v = strtoul(serial, &end, 16);
            if (*end || end == serial || v > 0xffffffffUL)
                return -EINVAL;
            ser = (uint32_t)v;
        }
        if (*model && pi_model_parse(model, &m) < 0)
            return -EINVAL;
    }
    if (buf[0] == '\0' || strlen(buf) >= IF_NAMESIZE)
        return -EINVAL;
    pi_init(&sim->pis[sim->n_pis], sim, sim->n_pis + 1, buf, m, ser);
    sim->n_pis++;
    return 0;
}

static int parse_args(struct pisim *sim, int argc, char **argv)
{
    enum {
        O_PATTERN = 256,
        O_COUNT,
        O_MODEL,
        O_SERIAL,
        O_PORTS,
        O_PORT_BASE,
        O_JSON,
        O_UNTIL,
        O_TIMEOUT,
        O_FAST,
        O_STALL,
        O_BLKSIZE,
        O_POWER_UP,
        O_KERNEL,
        O_PROGRESS,
        O_NFS_ROOT,
        O_VERBOSE,
        O_FAULT,
        O_V6,
        O_HEALTH_PORT,
        O_HANG_MS,
        O_HELP
    };
    static const struct option lopts[] = {
        { "pattern", 1, 0, O_PATTERN },
        { "count", 1, 0, O_COUNT },
        { "model", 1, 0, O_MODEL },
        { "serial-base", 1, 0, O_SERIAL },
        { "ports", 1, 0, O_PORTS },
        { "port-base", 1, 0, O_PORT_BASE },
        { "json", 1, 0, O_JSON },
        { "until-booted", 0, 0, O_UNTIL },
        { "timeout", 1, 0, O_TIMEOUT },
        { "fast", 1, 0, O_FAST },
        { "pi3b-stall", 0, 0, O_STALL },
        { "pi4-blksize", 1, 0, O_BLKSIZE },
        { "power-up-ms", 1, 0, O_POWER_UP },
        { "kernel-ms", 1, 0, O_KERNEL },
        { "progress", 0, 0, O_PROGRESS },
        { "nfs-root", 0, 0, O_NFS_ROOT },
        { "verbose", 0, 0, O_VERBOSE },
        { "fault", 1, 0, O_FAULT },
        { "v6", 1, 0, O_V6 },
        { "health-port", 1, 0, O_HEALTH_PORT },
        { "hang-ms", 1, 0, O_HANG_MS },
        { "help", 0, 0, O_HELP },
        { 0, 0, 0, 0 },
    };
    struct args a = { .model = PI_3B, .serial_base = 0x5ca1ab00 };
    struct pisim_opts *o = &sim->opt;
    int c, bad = 0;
    unsigned long v;
    char *end;

    o->fast = 1;
    o->pi4_blksize = 1468;
    o->kernel_boot_ms = 4000;
    o->power_up_ms = 1000;
    o->port_base = 1;
    o->hang_ms = 5000;
    while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
        switch (c) {
        case O_PATTERN:
            a.pattern = optarg;
            break;
        case O_COUNT:
            bad |= parse_uint(optarg, PISIM_MAX_PIS, &a.count);
            break;
        case O_MODEL:
            bad |= pi_model_parse(optarg, &a.model);
            break;
        case O_SERIAL:
            v = strtoul(optarg, &end, 16);
            if (*end || end == optarg || v > 0xffffffffUL)
                bad = 1;
            a.serial_base = (uint32_t)v;
            break;
        case O_PORTS:
            o->ports_file = optarg;
            break;
        case O_PORT_BASE:
            bad |= parse_uint(optarg, 100000, &o->port_base);
            break;
        case O_JSON:
            o->json_path = optarg;
            break;
        case O_UNTIL:
            o->until_booted = true;
            break;
        case O_TIMEOUT:
            bad |= parse_uint(optarg, 86400, &o->timeout_s);
            break;
        case O_FAST:
            bad |= parse_uint(optarg, 1000, &o->fast);
            break;
        case O_STALL:
            o->pi3b_stall = true;
            break;
        case O_BLKSIZE:
            bad |= parse_uint(optarg, 65464, &o->pi4_blksize);
            break;
        case O_POWER_UP:
            bad |= parse_uint(optarg, 600000, &o->power_up_ms);
            break;
        case O_KERNEL:
            bad |= parse_uint(optarg, 600000, &o->kernel_boot_ms);
            break;
        case O_PROGRESS:
            o->progress = true;
            break;
        case O_NFS_ROOT:
            o->nfs_root = true;
            break;
        case O_VERBOSE:
            o->verbose = true;
            break;
        case O_FAULT:
            bad |= fault_parse(o, optarg) < 0;
            break;
        case O_V6:
            bad |= v6_parse(o, optarg) < 0;
            break;
        case O_HEALTH_PORT:
            bad |= parse_uint(optarg, 65535, &o->health_port);
            break;
        case O_HANG_MS:
            bad |= parse_uint(optarg, 3600000, &o->hang_ms);
            break;
        case O_HELP:
            usage(stdout);
            exit(0);
        default:
            bad = 1;
            break;
        }
    }
    if (bad || o->fast == 0 || o->port_base == 0 || o->pi4_blksize < 8)
        return -EINVAL;
    sim->pis = calloc(PISIM_MAX_PIS, sizeof *sim->pis);
    if (!sim->pis)
        return -ENOMEM;
    if (a.pattern) {
        for (unsigned i = 1; i <= a.count; i++) {
            char name[IF_NAMESIZE + 8];
            snprintf(name, sizeof name, a.pattern, i);
            if (add_pi(sim, name, &a) < 0)
                return -EINVAL;
        }
    }
    for (int i = optind; i < argc; i++)
        if (add_pi(sim, argv[i], &a) < 0) {
            fprintf(stderr, "pisim: bad Pi spec '%s'\n", argv[i]);
            return -EINVAL;
        }
    return sim->n_pis ? 0 : -EINVAL;
}

static int open_signals(struct pisim *sim)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
        return -errno;
    int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    return pisim_watch(sim, fd, NULL, TAG_SIGNAL) < 0 ? -errno : fd;
}

/* Returns true when pisim should stop. */
static bool on_signal(struct pisim *sim, int sfd)
{
    struct signalfd_siginfo si;
    bool stop = false;
    while (read(sfd, &si, sizeof si) == sizeof si) {
        if (si.ssi_signo == SIGUSR1)
            report_write(sim, sim->opt.json_path);
        else if (si.ssi_signo == SIGUSR2)
            fault_swap_arm(sim);
        else
            stop = true;
    }
    return stop;
}

static void drain68(int fd)
{
    char buf[2048];
    while (recv(fd, buf, sizeof buf, 0) >= 0)
        ;
}

static bool all_done(const struct pisim *sim)
{
    for (unsigned i = 0; i < sim->n_pis; i++)
        if (!pi_done(&sim->pis[i]))
            return false;
    return true;
}

static int next_wait(const struct pisim *sim, uint64_t now, uint64_t end)
{
    uint64_t next = end ? end : now + 1000;
    if (sim->opt.ports_file && sim->next_power_poll_ms < next)
        next = sim->next_power_poll_ms;
    if (sim->opt.progress && now + PROGRESS_MS < next)
        next = now + PROGRESS_MS;
    for (unsigned i = 0; i < sim->n_pis; i++) {
        uint64_t d = pi_deadline(&sim->pis[i]);
        if (d && d < next)
            next = d;
    }
    return next <= now ? 0 : (int)(next - now);
}

static void dispatch(struct pisim *sim, uint64_t data)
{
    unsigned tag = data & 0xff, idx = (unsigned)(data >> 8);
    struct pi *pi = idx >= 1 && idx <= sim->n_pis ? &sim->pis[idx - 1] : NULL;
    if (tag == TAG_RAW && pi)
        pi_on_raw(pi);
    else if (tag == TAG_UDP && pi)
        pi_on_udp(pi);
    else if (tag == TAG_NFS && pi)
        pi_on_nfs(pi);
    else if (tag == TAG_HEALTH && pi)
        health_on_accept(pi);
    else if (tag == TAG_DRAIN)
        drain68(sim->drain68_fd);
}

/* A count line when the counts changed, or every 10 s. */
static void progress(const struct pisim *sim, uint64_t now)
{
    static unsigned last_booted = ~0u, last_failed = ~0u;
    static uint64_t last_ms;
    unsigned booted = 0, failed = 0;
    for (unsigned i = 0; i < sim->n_pis; i++) {
        booted += sim->pis[i].phase == PH_BOOTED;
        failed += sim->pis[i].phase == PH_FAILED;
    }
    if (booted == last_booted && failed == last_failed && now < last_ms + 10000)
        return;
    last_booted = booted;
    last_failed = failed;
    last_ms = now;
    fprintf(stderr, "pisim: %5.1f s: %u booted, %u failed, %u others\n",
            (double)(now - sim->start_ms) / 1000.0, booted, failed, sim->n_pis - booted - failed);
}

static void run(struct pisim *sim, int sfd)
{
    uint64_t end = sim->opt.timeout_s ? sim->start_ms + sim->opt.timeout_s * 1000ull : 0;
    uint64_t next_progress = sim->start_ms + PROGRESS_MS;
    struct epoll_event evs[128];
    for (;;) {
        uint64_t now = pisim_now_ms();
        int n = epoll_wait(sim->epfd, evs, 128, next_wait(sim, now, end));
        if (n < 0 && errno != EINTR)
            break;
        for (int i = 0; i < n; i++) {
            if ((evs[i].data.u64 & 0xff) == TAG_SIGNAL) {
                if (on_signal(sim, sfd))
                    return;
                continue;
            }
            dispatch(sim, evs[i].data.u64);
        }
        now = pisim_now_ms();
        for (unsigned i = 0; i < sim->n_pis; i++) {
            uint64_t d = pi_deadline(&sim->pis[i]);
            if (d && d <= now)
                pi_on_timer(&sim->pis[i], now);
        }
        if (sim->opt.ports_file && now >= sim->next_power_poll_ms) {
            int rc = power_poll(sim);
            if (rc < 0)
                fprintf(stderr, "pisim: %s: %s\n", sim->opt.ports_file, strerror(-rc));
            sim->next_power_poll_ms = now + POWER_POLL_MS;
        }
        if (sim->opt.progress && now >= next_progress) {
            progress(sim, now);
            next_progress = now + PROGRESS_MS;
        }
        if (sim->opt.until_booted && all_done(sim))
            return;
        if (end && now >= end)
            return;
    }
}

static int setup(struct pisim *sim)
{
    int rc = net_open(sim);
    if (rc < 0) {
        fprintf(stderr, "pisim: netlink: %s\n", strerror(-rc));
        return rc;
    }
    for (unsigned i = 0; i < sim->n_pis; i++) {
        rc = net_link_setup(sim, &sim->pis[i]);
        if (rc < 0) {
            fprintf(stderr, "pisim: %s: %s\n", sim->pis[i].ifname, strerror(-rc));
            return rc;
        }
    }
    sim->drain68_fd = net_drain68_open();
    if (sim->drain68_fd < 0)
        fprintf(stderr, "pisim: port 68: %s (late replies may draw ICMP)\n",
                strerror(-sim->drain68_fd));
    else
        pisim_watch(sim, sim->drain68_fd, NULL, TAG_DRAIN);
    return 0;
}

int main(int argc, char **argv)
{
    struct pisim *sim = &the_sim;
    if (parse_args(sim, argc, argv) < 0) {
        usage(stderr);
        return 2;
    }
    sim->epfd = epoll_create1(EPOLL_CLOEXEC);
    int sfd = sim->epfd >= 0 ? open_signals(sim) : -1;
    if (sfd < 0 || setup(sim) < 0)
        return 2;
    sim->start_ms = pisim_now_ms();
    if (sim->opt.ports_file)
        sim->next_power_poll_ms = sim->start_ms;
    else
        for (unsigned i = 0; i < sim->n_pis; i++)
            pi_power(&sim->pis[i], true);
    run(sim, sfd);

    bool ok = true;
    for (unsigned i = 0; i < sim->n_pis; i++)
        ok = ok && sim->pis[i].phase == PH_BOOTED;
    if (report_write(sim, sim->opt.json_path) < 0)
        fprintf(stderr, "pisim: cannot write the report\n");
    report_summary_line(sim, stderr);
    for (unsigned i = 0; i < sim->n_pis; i++) {
        struct pi *pi = &sim->pis[i];
        net_addr_clear(sim, pi);
        (void)net_link_up(sim, pi, false);
        pi_free(pi);
    }
    free(sim->pis);
    net_close(sim);
    return ok ? 0 : 1;
}
