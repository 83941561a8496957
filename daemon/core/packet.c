/* The filtered packet socket behind flat mode's MAC checks (pirack/packet.h). */
#include "pirack/packet.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <string.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

/* Compiles a libpcap expression for Ethernet frames into classic BPF. */
static int compile_filter(const char *filter, unsigned snaplen, struct bpf_program *prog)
{
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, (int)snaplen);
    if (!dead)
        return -ENOMEM;
    int rc = pcap_compile(dead, prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0 ? -EINVAL : 0;
    pcap_close(dead);
    return rc;
}

int pr_packet_open(const char *filter, unsigned snaplen, int rcvbuf)
{
    struct bpf_program prog;
    int rc = compile_filter(filter, snaplen, &prog);
    if (rc < 0)
        return rc;
    struct sock_fprog fprog = { .len = (unsigned short)prog.bf_len,
                                .filter = (struct sock_filter *)prog.bf_insns };
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ALL));
    if (fd < 0)
        rc = -errno;
    else if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog) < 0)
        rc = -errno;
    pcap_freecode(&prog);
    if (rc < 0) {
        if (fd >= 0)
            close(fd);
        return rc;
    }
    /* Room for a flood's frames, so that a board's request behind them is
     * not missed (a missed frame is a refusal). */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    /* each frame's arrival time, for pr_packet_drop_stale */
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    return fd;
}

/* The arrival time of the frame at the head of fd's queue, without taking
 * it; false when there is none or it carries no time. */
static bool head_arrival(int fd, struct timespec *at)
{
    uint8_t byte;
    union {
        char buf[CMSG_SPACE(sizeof(struct timespec))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf
    };

    if (recvmsg(fd, &mh, MSG_DONTWAIT | MSG_PEEK | MSG_TRUNC) < 0)
        return false;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            memcpy(at, CMSG_DATA(c), sizeof *at);
            return true;
        }
    return false;
}

int pr_packet_drop_stale(int fd, unsigned max_frames, unsigned older_than_ms)
{
    struct timespec now, at;
    int dropped = 0;

    clock_gettime(CLOCK_REALTIME, &now);
    while ((unsigned)dropped < max_frames && head_arrival(fd, &at)) {
        int64_t age_ms = (int64_t)(now.tv_sec - at.tv_sec) * 1000 +
                         (int64_t)(now.tv_nsec - at.tv_nsec) / 1000000;
        uint8_t byte;
        if (age_ms < (int64_t)older_than_ms)
            break;
        if (recv(fd, &byte, 1, MSG_DONTWAIT | MSG_TRUNC) < 0)
            break;
        dropped++;
    }
    return dropped;
}

int pr_packet_bind(int fd, int ifindex)
{
    struct sockaddr_ll sll = { .sll_family = AF_PACKET,
                               .sll_protocol = htons(ETH_P_ALL),
                               .sll_ifindex = ifindex };

    return bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0 ? -errno : 0;
}

int pr_packet_drops(int fd, uint64_t *total)
{
    struct tpacket_stats st;
    socklen_t len = sizeof st;

    /* the kernel resets its counters on each read: hence the running total */
    if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) < 0)
        return -errno;
    *total += st.tp_drops;
    return 0;
}
