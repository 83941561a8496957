/* The filtered packet socket behind flat mode's MAC checks (pirack/packet.h). */
#include "pirack/packet.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <pcap/pcap.h>
#include <sys/socket.h>
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
    return fd;
}
