/* tftpflood: a client that asks and never reads, as a misbehaving or
 * hostile Pi would: COUNT read requests from one IPv4 address, each from
 * a new port (a socket opened, used once and closed), never an ACK.
 * Bounded in count and time; -r paces the requests (per second).
 *
 *   tftpflood -s SERVER -c CLIENT_IP -n COUNT -f FILE [-p 69] [-r RATE]
 *             [-T LIMIT_S]
 *
 * Prints "sent=N ms=M". */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* One RRQ for file in octet mode with tsize, from a fresh port. */
static int send_rrq(const struct sockaddr_in *from, const struct sockaddr_in *to, const char *file)
{
    char pkt[600];
    int n = snprintf(pkt + 2, sizeof pkt - 2, "%s%coctet%ctsize%c0%c", file, 0, 0, 0, 0);
    if (n < 0 || (size_t)n >= sizeof pkt - 2)
        return -1;
    pkt[0] = 0;
    pkt[1] = 1;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int rc =
        bind(fd, (const struct sockaddr *)from, sizeof *from) == 0 &&
                sendto(fd, pkt, (size_t)n + 2, 0, (const struct sockaddr *)to, sizeof *to) == n + 2
            ? 0
            : -1;
    close(fd);
    return rc;
}

int main(int argc, char **argv)
{
    const char *server = NULL, *client = NULL, *file = NULL;
    unsigned count = 0, port = 69, rate = 0, limit_s = 60;
    int opt;
    while ((opt = getopt(argc, argv, "s:c:n:f:p:r:T:")) != -1) {
        if (opt == 's')
            server = optarg;
        else if (opt == 'c')
            client = optarg;
        else if (opt == 'n')
            count = (unsigned)atoi(optarg);
        else if (opt == 'f')
            file = optarg;
        else if (opt == 'p')
            port = (unsigned)atoi(optarg);
        else if (opt == 'r')
            rate = (unsigned)atoi(optarg);
        else if (opt == 'T')
            limit_s = (unsigned)atoi(optarg);
        else
            return 2;
    }
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    struct sockaddr_in from = { .sin_family = AF_INET };
    if (!server || !client || !file || count == 0 || count > 1000000 ||
        inet_pton(AF_INET, server, &to.sin_addr) != 1 ||
        inet_pton(AF_INET, client, &from.sin_addr) != 1) {
        fprintf(stderr, "usage: tftpflood -s SERVER -c CLIENT_IP -n COUNT -f FILE [-p PORT] "
                        "[-r RATE] [-T LIMIT_S]\n");
        return 2;
    }
    uint64_t t0 = now_ms(), end = t0 + (uint64_t)limit_s * 1000;
    unsigned sent = 0;
    while (sent < count && now_ms() < end) {
        if (rate) {
            uint64_t due = t0 + (uint64_t)sent * 1000 / rate;
            uint64_t now = now_ms();
            if (due > now)
                usleep((useconds_t)((due - now) * 1000));
        }
        if (send_rrq(&from, &to, file) == 0)
            sent++;
    }
    printf("sent=%u ms=%llu\n", sent, (unsigned long long)(now_ms() - t0));
    return 0;
}
