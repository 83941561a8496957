/* pisim faults and the health port.
 *
 * --fault N:KIND[,once] makes Pi N faulty (on every boot, or only on its
 * first with ",once"):
 *   no-dhcp          the ROM never sends DHCP: pirackd's dhcp stage fails
 *   stop-after-tftp  the kernel is fetched, then nothing: the root stage
 *   root-fails       the kernel opens its NFS connection (a SYN to the
 *                    TFTP server's port 2049), then never comes up: the
 *                    failure is after the root was mounted
 *   hang-after-boot  boots and answers the health port, then stops
 *                    answering after --hang-ms
 *   swap=M           Pi N's and Pi M's boards trade places: N's port then
 *                    has M's board (its serial, MAC and model) and M's N's.
 *                    The hands that move them come with SIGUSR2 and wait
 *                    until both ports are off; another SIGUSR2 swaps back.
 *                    (Faults stay with the slot, not the board.)
 * A booted Pi with an IPv6 address (--v6 N=ADDR) answers TCP on
 * --health-port with an SSH-like banner, as sshd would. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "pisim.h"

static const char *const fault_names[] = {
    [FAULT_NONE] = "none",
    [FAULT_NO_DHCP] = "no-dhcp",
    [FAULT_STOP_AFTER_TFTP] = "stop-after-tftp",
    [FAULT_ROOT_FAILS] = "root-fails",
    [FAULT_HANG_AFTER_BOOT] = "hang-after-boot",
};

const char *fault_name(enum pi_fault f)
{
    return (unsigned)f < sizeof fault_names / sizeof fault_names[0] ? fault_names[f] : "?";
}

int fault_parse(struct pisim_opts *o, const char *arg)
{
    char *end, kind[32];
    unsigned long n = strtoul(arg, &end, 10);
    if (end == arg || *end != ':' || n == 0 || n > PISIM_MAX_PIS)
        return -EINVAL;
    snprintf(kind, sizeof kind, "%s", end + 1);
    if (!strncmp(kind, "swap=", 5)) {
        char *e;
        unsigned long m = strtoul(kind + 5, &e, 10);
        if (e == kind + 5 || *e || m == 0 || m > PISIM_MAX_PIS || m == n)
            return -EINVAL;
        o->swap_with[n] = (unsigned)m;
        return 0;
    }
    bool once = false;
    char *comma = strchr(kind, ',');
    if (comma) {
        if (strcmp(comma, ",once") != 0)
            return -EINVAL;
        *comma = '\0';
        once = true;
    }
    for (unsigned f = FAULT_NO_DHCP; f < sizeof fault_names / sizeof fault_names[0]; f++)
        if (!strcmp(kind, fault_names[f])) {
            o->fault[n] = (enum pi_fault)f;
            o->fault_once[n] = once;
            return 0;
        }
    return -EINVAL;
}

void fault_swap_arm(struct pisim *sim)
{
    for (unsigned n = 1; n <= PISIM_MAX_PIS; n++)
        sim->swap_pending[n] = sim->opt.swap_with[n] != 0;
    fault_swap_try(sim);
}

static void swap_boards(struct pi *a, struct pi *b)
{
    enum pi_model model = a->model;
    uint32_t serial = a->serial, revision = a->revision;
    uint8_t mac[6];
    memcpy(mac, a->mac, 6);
    a->model = b->model;
    a->serial = b->serial;
    a->revision = b->revision;
    memcpy(a->mac, b->mac, 6);
    b->model = model;
    b->serial = serial;
    b->revision = revision;
    memcpy(b->mac, mac, 6);
}

void fault_swap_try(struct pisim *sim)
{
    for (unsigned n = 1; n <= sim->n_pis; n++) {
        unsigned m = sim->opt.swap_with[n];
        if (!sim->swap_pending[n])
            continue;
        if (m > sim->n_pis) {
            fprintf(stderr, "pisim: --fault %u:swap=%u: there is no Pi %u\n", n, m, m);
            sim->swap_pending[n] = false;
            continue;
        }
        struct pi *a = &sim->pis[n - 1], *b = &sim->pis[m - 1];
        if (a->powered || b->powered)
            continue;
        swap_boards(a, b);
        /* each NIC takes its new board's MAC (both links are down) */
        int rc = net_link_setup(sim, a);
        if (rc == 0)
            rc = net_link_setup(sim, b);
        if (rc < 0)
            fprintf(stderr, "pisim: swap %u and %u: %s\n", n, m, strerror(-rc));
        report_event(a, "swapped", "{s:i, s:I}", "with", (int)m, "serial", (json_int_t)a->serial);
        report_event(b, "swapped", "{s:i, s:I}", "with", (int)n, "serial", (json_int_t)b->serial);
        pisim_vlog(a, "board swapped with Pi %u's: serial %08x", m, a->serial);
        sim->swap_pending[n] = false;
    }
}

int v6_parse(struct pisim_opts *o, const char *arg)
{
    char *end;
    unsigned long n = strtoul(arg, &end, 10);
    if (end == arg || *end != '=' || n == 0 || n > PISIM_MAX_PIS ||
        inet_pton(AF_INET6, end + 1, &o->v6[n]) != 1)
        return -EINVAL;
    o->has_v6[n] = true;
    return 0;
}

enum pi_fault pi_fault_now(const struct pi *pi)
{
    const struct pisim_opts *o = &pi->sim->opt;
    enum pi_fault f = o->fault[pi->index];
    if (f == FAULT_NONE || (o->fault_once[pi->index] && pi->boots > 1))
        return FAULT_NONE;
    return f;
}

/* The Pi stops where its fault says, an event saying so; it waits there
 * until its power goes. */
void fault_stall(struct pi *pi, enum pi_fault f)
{
    report_event(pi, "fault", "{s:s}", "kind", fault_name(f));
    pisim_vlog(pi, "fault %s: stalls", fault_name(f));
    pi->deadline_ms = 0;
}

/* The kernel's first NFS packet: a SYN to the server's port 2049. */
void fault_nfs_syn(struct pi *pi, struct in_addr server)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(2049), .sin_addr = server };
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    (void)setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, pi->ifname, (socklen_t)strlen(pi->ifname));
    (void)connect(fd, (struct sockaddr *)&sa, sizeof sa);
    close(fd);
}

/* ---- the health port ---- */

void health_close(struct pi *pi)
{
    if (pi->health_fd >= 0) {
        pisim_unwatch(pi->sim, pi->health_fd);
        close(pi->health_fd);
        pi->health_fd = -1;
    }
}

void health_down(struct pi *pi)
{
    health_close(pi);
    if (pi->v6_set)
        net_addr6_del(pi->sim, pi, &pi->sim->opt.v6[pi->index]);
    pi->v6_set = false;
}

void health_booted(struct pi *pi)
{
    const struct pisim_opts *o = &pi->sim->opt;
    if (!o->health_port || !o->has_v6[pi->index])
        return;
    if (!pi->v6_set) {
        int rc = net_addr6_add(pi->sim, pi, &o->v6[pi->index]);
        if (rc < 0) {
            report_event(pi, "health_error", "{s:s}", "error", strerror(-rc));
            return;
        }
        pi->v6_set = true;
    }
    struct sockaddr_in6 sa = { .sin6_family = AF_INET6,
                               .sin6_port = htons((uint16_t)o->health_port),
                               .sin6_addr = o->v6[pi->index] };
    int one = 1, fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 8) < 0 ||
        pisim_watch(pi->sim, fd, pi, TAG_HEALTH) < 0) {
        report_event(pi, "health_error", "{s:s}", "error", strerror(errno));
        close(fd);
        return;
    }
    pi->health_fd = fd;
    report_event(pi, "health_listening", "{s:I}", "port", (json_int_t)o->health_port);
    if (pi_fault_now(pi) == FAULT_HANG_AFTER_BOOT)
        pi->deadline_ms = pisim_now_ms() + pisim_scale(pi->sim, o->hang_ms);
}

/* hang-after-boot: the OS stops answering (the listener goes; the address
 * stays, so a probe is refused, as by a Pi whose sshd died). */
void health_hang(struct pi *pi)
{
    pi->deadline_ms = 0;
    if (pi->health_fd < 0)
        return;
    health_close(pi);
    report_event(pi, "fault", "{s:s}", "kind", fault_name(FAULT_HANG_AFTER_BOOT));
    pisim_vlog(pi, "fault hang-after-boot: stops answering the health port");
}

void health_on_accept(struct pi *pi)
{
    static const char banner[] = "SSH-2.0-pisim\r\n";
    for (int i = 0; i < 16; i++) {
        int c = accept4(pi->health_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c < 0)
            return;
        (void)!write(c, banner, sizeof banner - 1);
        close(c);
        pi->health_answers++;
    }
}
