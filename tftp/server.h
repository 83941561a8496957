/* The server's insides, shared by three layers: server.c (sockets,
 * receiving) calls serve.c (requests and transfers), which calls send.c
 * (the send batch, the path to a peer).  Private to tftp/. */
#ifndef PIRACK_TFTP_SERVER_H
#define PIRACK_TFTP_SERVER_H

#include <sys/socket.h>
#include "cache.h"
#include "table.h"

#define PR_TFTP_RX_BATCH 64
#define PR_TFTP_RX_ROUNDS 8 /* batches per readable call, then yield */
#define PR_TFTP_RX_BUF 2048
#define PR_TFTP_TX_BATCH 64
#define PR_TFTP_SMALL 512 /* OACK or ERROR */
/* DATA up to this size is copied behind its header and sent as one piece:
 * a single iovec takes the kernel's cheaper path (no iovec array to copy
 * and walk), which saves more than the copy costs.  1468 is a
 * full 1500-byte Ethernet frame. */
#define PR_TFTP_FLAT_DATA 1468

union pr_tftp_ctl {
    char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
    struct cmsghdr align;
};

struct pr_tftp_tx {
    union pr_tftp_addr peer;
    union {
        uint8_t small[PR_TFTP_SMALL];
        uint8_t flat[4 + PR_TFTP_FLAT_DATA]; /* header and block */
        uint8_t head[4];
    };
    struct iovec iov[2];
    union pr_tftp_ctl ctl;
};

struct pr_tftp_server {
    int fd;
    int tx_fd;    /* sends; -1: fd sends too */
    int probe_fd; /* asks the kernel which source it picks; -1: none */
    int family;
    struct pr_tftp_server_config cfg;
    char prefix[64];
    struct pr_tftp_table table;
    struct pr_tftp_cache *cache;
    struct pr_tftp_stats stats;

    struct mmsghdr rx[PR_TFTP_RX_BATCH];
    struct iovec rx_iov[PR_TFTP_RX_BATCH];
    union pr_tftp_addr rx_addr[PR_TFTP_RX_BATCH];
    union pr_tftp_ctl rx_ctl[PR_TFTP_RX_BATCH];
    uint8_t rx_buf[PR_TFTP_RX_BATCH][PR_TFTP_RX_BUF];

    struct mmsghdr tx_msgs[PR_TFTP_TX_BATCH];
    struct pr_tftp_tx tx[PR_TFTP_TX_BATCH];
    unsigned tx_len;
};

/* send.c */
void pr_tftp_tx_flush(struct pr_tftp_server *s);
/* A message to peer, from local when known; flushes a full batch first. */
struct pr_tftp_tx *pr_tftp_tx_add(struct pr_tftp_server *s, const struct sockaddr *peer,
                                  socklen_t peerlen, const union pr_tftp_local *local);
void pr_tftp_tx_set(struct pr_tftp_server *s, struct pr_tftp_tx *m, const void *a, size_t alen,
                    const void *b, size_t blen);
/* Whether the kernel, left alone, sends to peer from the address local
 * names: then replies need no IP_PKTINFO. */
bool pr_tftp_source_is_default(struct pr_tftp_server *s, const struct sockaddr *peer,
                               socklen_t peerlen, const union pr_tftp_local *local);
unsigned pr_tftp_path_blksize(struct pr_tftp_server *s, const union pr_tftp_local *local,
                              bool has_local, const struct sockaddr *peer);

/* serve.c: one received datagram. */
void pr_tftp_handle_packet(struct pr_tftp_server *s, const struct sockaddr *peer, socklen_t peerlen,
                           const union pr_tftp_local *local, const uint8_t *buf, size_t len,
                           uint64_t now_ms);

#endif
