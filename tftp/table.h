/* The running transfers, private to tftp/: a fixed pool of slots made at
 * start (per-transfer memory is bounded and nothing is allocated per
 * packet), a hash from the client's address and port to its slot, and one
 * binary heap of retransmission deadlines for all of them. */
#ifndef PIRACK_TFTP_TABLE_H
#define PIRACK_TFTP_TABLE_H

#include <netinet/in.h>
#include "cache.h"
#include "pirack/tftp.h"

union pr_tftp_addr {
    struct sockaddr sa;
    struct sockaddr_in in;
    struct sockaddr_in6 in6;
};

/* The local address a request came to, so replies leave from it. */
union pr_tftp_local {
    struct in_pktinfo v4;
    struct in6_pktinfo v6;
};

struct pr_tftp_slot {
    struct pr_tftp_xfer x;
    union pr_tftp_addr peer;
    socklen_t peerlen;
    union pr_tftp_local local;
    bool has_local;
    bool used;
    bool heard;               /* the peer answered (ACK or ERROR) at least once */
    int32_t client;           /* its entry in clients */
    int32_t cl_prev, cl_next; /* the client's transfers, oldest first */
    uint32_t heap_pos;        /* UINT32_MAX when not in the heap */
    int32_t hash_next;        /* chain in the bucket, or free list */
    struct pr_tftp_file *file;
    uintptr_t cookie;
    struct pr_tftp_prefix_seen seen;
    char path[PR_TFTP_PATH_MAX];
};

/* A client address (any port) and its transfers: as many entries as
 * slots, since each client has at least one transfer. */
struct pr_tftp_client_entry {
    union pr_tftp_addr addr; /* port 0 */
    unsigned count;
    int32_t head, tail;
    int32_t hash_next; /* chain in the bucket, or free list */
};

struct pr_tftp_table {
    struct pr_tftp_slot *slots;
    struct pr_tftp_client_entry *clients;
    int32_t *cbuckets; /* nbuckets of them too */
    int32_t cfree_head;
    unsigned cap, active;
    int32_t *buckets;
    unsigned nbuckets; /* a power of two */
    int32_t free_head;
    uint32_t *heap;
    unsigned heap_len;
};

int pr_tftp_table_init(struct pr_tftp_table *t, unsigned cap);
void pr_tftp_table_fini(struct pr_tftp_table *t);
/* The slot of the transfer with this peer, or -1. */
int pr_tftp_table_find(const struct pr_tftp_table *t, const struct sockaddr *peer, socklen_t len);
/* A fresh slot for peer (not yet in the heap), or -1 when all are used. */
int pr_tftp_table_alloc(struct pr_tftp_table *t, const struct sockaddr *peer, socklen_t len);
/* Forgets the slot (hash and heap); the caller drops its file first. */
void pr_tftp_table_release(struct pr_tftp_table *t, int idx);
/* Puts the slot in the heap at its x.deadline_ms, or moves it there. */
void pr_tftp_table_schedule(struct pr_tftp_table *t, int idx);
/* The slot with the earliest deadline, or -1. */
int pr_tftp_table_earliest(const struct pr_tftp_table *t);
/* How many transfers the client at peer's address (any port) has. */
unsigned pr_tftp_table_client_count(const struct pr_tftp_table *t, const struct sockaddr *peer);
/* The client's oldest transfer whose peer never answered, or -1. */
int pr_tftp_table_client_silent(const struct pr_tftp_table *t, const struct sockaddr *peer);
/* The oldest transfer of all whose peer never answered, or -1: a scan,
 * for when the table is full. */
int pr_tftp_table_oldest_silent(const struct pr_tftp_table *t);

#endif
