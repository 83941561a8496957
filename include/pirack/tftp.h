/* tftp: a read-only TFTP server library (RFC 1350, 2347, 2348, 2349, 7440).
 *
 * Three layers, each usable without the next:
 *   - codec: pr_tftp_parse() turns a datagram into a typed packet, the
 *     pr_tftp_encode_*() functions write replies.  Pure, fuzzed.
 *   - transfer: the state machine of one read transfer.  It takes packets
 *     and the time and says which blocks to send; it never sees a socket
 *     or a file byte, so tests drive rollover and loss in microseconds.
 *   - server: one UDP socket shared by every transfer (clients take the
 *     server's port from the first DATA, as dnsmasq's --tftp-single-port),
 *     recvmmsg/sendmmsg, one deadline heap, a shared file cache.  It does
 *     not wait: the embedder's loop watches pr_tftp_server_fd() and calls
 *     pr_tftp_server_on_readable() and pr_tftp_server_on_timer(), arming
 *     one timer at pr_tftp_server_next_deadline().
 *
 * Files come from the embedder: for every request the resolve callback
 * names the directory the client may read, and paths are opened beneath it
 * by the kernel (openat2 RESOLVE_BENEATH).  Nothing here logs; the event
 * callback reports what happened. */
#ifndef PIRACK_TFTP_H
#define PIRACK_TFTP_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>

/* ---- codec ---------------------------------------------------------- */

enum pr_tftp_opcode {
    PR_TFTP_RRQ = 1,
    PR_TFTP_WRQ = 2,
    PR_TFTP_DATA = 3,
    PR_TFTP_ACK = 4,
    PR_TFTP_ERROR = 5,
    PR_TFTP_OACK = 6,
};

enum pr_tftp_errcode {
    PR_TFTP_E_UNDEF = 0,
    PR_TFTP_E_NOTFOUND = 1,
    PR_TFTP_E_ACCESS = 2,
    PR_TFTP_E_DISKFULL = 3,
    PR_TFTP_E_ILLEGAL = 4,
    PR_TFTP_E_BADTID = 5,
    PR_TFTP_E_EXISTS = 6,
    PR_TFTP_E_NOUSER = 7,
    PR_TFTP_E_OPTIONS = 8,
};

#define PR_TFTP_PATH_MAX 256 /* longest file name accepted */
#define PR_TFTP_MSG_MAX 128  /* longest ERROR text kept */
#define PR_TFTP_BLKSIZE_MIN 8
#define PR_TFTP_BLKSIZE_MAX 65464
#define PR_TFTP_WINDOW_MAX 65535
#define PR_TFTP_OPTIONS_MAX 16 /* option pairs examined per request */

enum pr_tftp_mode {
    PR_TFTP_OCTET,
    PR_TFTP_NETASCII
};

/* Options of a request.  A field is set only when its option was present
 * with a valid value; invalid and unknown options are ignored (RFC 2347). */
struct pr_tftp_options {
    bool has_blksize, has_tsize, has_timeout, has_windowsize;
    uint32_t blksize;    /* 8..65464 (larger requests are clamped) */
    uint64_t tsize;      /* the client's value; 0 in a read request */
    uint32_t timeout_s;  /* 1..255 */
    uint32_t windowsize; /* 1..65535 */
};

struct pr_tftp_packet {
    enum pr_tftp_opcode op;
    /* RRQ / WRQ: filename is NUL-terminated, at most PR_TFTP_PATH_MAX-1 */
    char filename[PR_TFTP_PATH_MAX];
    enum pr_tftp_mode mode;
    struct pr_tftp_options opt;
    /* DATA / ACK */
    uint16_t block;
    const uint8_t *data; /* DATA payload, points into the datagram */
    size_t data_len;
    /* ERROR */
    uint16_t errcode;
    char errmsg[PR_TFTP_MSG_MAX]; /* printable ASCII only, truncated */
};

/* Parse errors, so the server can count them apart. */
#define PR_TFTP_EMALFORMED (-EBADMSG) /* truncated, no NUL, bad opcode */
#define PR_TFTP_EBADMODE (-EPROTONOSUPPORT)
#define PR_TFTP_ETOOLONG (-ENAMETOOLONG)

/* Decodes one datagram.  Returns 0, or one of the errors above. */
int pr_tftp_parse(const uint8_t *buf, size_t len, struct pr_tftp_packet *out);

/* Encoders write into buf (cap bytes) and return the length, or -ENOSPC. */
int pr_tftp_encode_error(uint8_t *buf, size_t cap, uint16_t code, const char *msg);
int pr_tftp_encode_ack(uint8_t *buf, size_t cap, uint16_t block);
/* The 4-byte DATA header; the payload follows it on the wire. */
/* An OACK holding the options that are set in opt, in the order blksize,
 * tsize, timeout, windowsize.  With none set it writes nothing: 0. */
/* Encodes a request (for test clients). */
int pr_tftp_encode_request(uint8_t *buf, size_t cap, enum pr_tftp_opcode op, const char *filename,
                           const char *mode, const struct pr_tftp_options *opt);

/* ---- transfer state machine --------------------------------------- */

struct pr_tftp_limits {
    uint32_t max_blksize;    /* the path MTU's and the config's bound */
    uint32_t max_windowsize; /* e.g. 64 */
    uint32_t timeout_ms;     /* first retransmission; doubles each time */
    uint32_t max_timeout_ms; /* back-off cap */
    uint32_t max_retries;    /* then the transfer is abandoned */
};

enum pr_tftp_state {
    PR_XFER_OACK_SENT,
    PR_XFER_DATA,
    PR_XFER_FINISHED
};

/* One read transfer.  Plain data, about 64 bytes; blocks are counted from
 * 1 with 32 bits, the wire carries their low 16 bits (rollover to 0). */
struct pr_tftp_xfer {
    enum pr_tftp_state state;
    uint64_t size; /* bytes to send (netascii: converted) */
    uint64_t started_ms;
    uint64_t deadline_ms; /* next retransmission */
    uint32_t blksize, windowsize;
    uint32_t last_block; /* the final (short or empty) block */
    uint32_t acked;      /* highest block acknowledged (0 = OACK) */
    uint32_t sent;       /* highest block sent */
    uint32_t timeout_ms; /* current, backed off */
    uint32_t base_timeout_ms, max_timeout_ms;
    uint16_t retries, max_retries;
    struct pr_tftp_options oack; /* what we accepted; empty = no OACK */
};

enum pr_tftp_act_kind {
    PR_ACT_NONE,       /* nothing to send (duplicate, stray, early) */
    PR_ACT_OACK,       /* send the OACK in xfer->oack */
    PR_ACT_DATA,       /* send blocks first..first+count-1 */
    PR_ACT_DONE,       /* the last block was acknowledged */
    PR_ACT_PEER_ERROR, /* the client sent ERROR: end quietly */
    PR_ACT_TIMED_OUT,  /* retries exhausted: abandon */
};

struct pr_tftp_action {
    enum pr_tftp_act_kind kind;
    uint32_t first, count;
};

/* ---- path resolution ---------------------------------------------- */

/* What a leading path component told us about the client. */
struct pr_tftp_prefix_seen {
    char serial[9]; /* 8 lower-case hex digits or "" */
    char mac[18];   /* aa-bb-cc-dd-ee-ff (lower case) or "" */
    bool prefix;    /* the configured prefix was stripped */
};

/* ---- server ------------------------------------------------------- */

struct pr_tftp_server;

/* What the embedder says about a client: the directory it may read (a new
 * fd that the server closes, or -errno to refuse with ERROR 2) and a
 * cookie handed back in its events (e.g. the slot number).  The server
 * fills ifindex before asking: the interface the request came in on
 * (IP_PKTINFO), 0 when unknown, so that a client can be bound to its link. */
struct pr_tftp_client {
    int dirfd;
    uintptr_t cookie;
    int ifindex;
};
typedef void (*pr_tftp_resolve_fn)(void *ctx, const struct sockaddr *peer, socklen_t peerlen,
                                   struct pr_tftp_client *out);

enum pr_tftp_event_kind {
    PR_TFTP_EV_REQUEST,   /* a file was found and its transfer starts */
    PR_TFTP_EV_DONE,      /* the last block was acknowledged */
    PR_TFTP_EV_ERROR,     /* missing file, refused, timed out, too busy */
    PR_TFTP_EV_PROBE,     /* the client ended the transfer with ERROR */
    PR_TFTP_EV_TRAVERSAL, /* the path tried to leave the directory */
};

struct pr_tftp_event {
    enum pr_tftp_event_kind kind;
    const struct sockaddr *peer;
    socklen_t peerlen;
    uintptr_t cookie;
    const char *path; /* as requested; untrusted bytes */
    const struct pr_tftp_prefix_seen *seen;
    uint64_t bytes;       /* file size (REQUEST), sent (DONE) */
    uint64_t duration_ms; /* DONE, PROBE, timed-out ERROR */
    uint32_t blksize, windowsize;
    uint16_t errcode;    /* ERROR: what we sent; PROBE: theirs */
    const char *message; /* ERROR / PROBE text */
};
typedef void (*pr_tftp_event_fn)(void *ctx, const struct pr_tftp_event *ev);

struct pr_tftp_server_config {
    const struct sockaddr *bind_addr; /* AF_INET, or AF_INET6 (dual stack) */
    socklen_t bind_len;
    unsigned max_transfers; /* 0: 1024 */
    /* transfers one client address may have at once (any port), 0: no
     * cap but max_transfers (many clients may share one address, e.g.
     * behind NAT).  Past the cap the client's oldest transfer that never
     * got an ACK is shed, or the request waits (no answer). */
    unsigned max_per_client;
    unsigned timeout_ms;     /* first retransmission, 0: 1000 */
    unsigned max_retries;    /* 0: 6 */
    unsigned max_blksize;    /* 0: 1468; also bounded by the MTU */
    unsigned max_windowsize; /* 0: 64 */
    size_t cache_bytes;      /* idle files kept, 0: 64 MiB */
    uint64_t max_file_bytes; /* 0: 1 GiB */
    const char *prefix;      /* extra accepted leading component */
    pr_tftp_resolve_fn resolve;
    pr_tftp_event_fn event; /* may be NULL */
    void *ctx;
};

struct pr_tftp_stats {
    uint64_t rx_packets, tx_packets, malformed, stray, busy;
    uint64_t requests, done, errors, probes, traversals, timeouts;
    uint64_t retransmits, tx_dropped;
    uint64_t shed;               /* transfers that never got an ACK, ended to make room */
    uint64_t rx_calls, tx_calls; /* recvmmsg / sendmmsg that moved data */
    unsigned active, peak_active, cached_files;
    uint64_t cached_bytes;
};

/* Binds the socket.  Returns 0 and *out, or -errno. */
int pr_tftp_server_new(const struct pr_tftp_server_config *cfg, struct pr_tftp_server **out);
void pr_tftp_server_free(struct pr_tftp_server *s); /* accepts NULL */
int pr_tftp_server_fd(const struct pr_tftp_server *s);
/* The bound address (to learn a port chosen by the kernel). */
int pr_tftp_server_local(const struct pr_tftp_server *s, struct sockaddr_storage *ss,
                         socklen_t *len);
/* Reads and answers what is queued on the socket (bounded work per call;
 * the fd stays readable when more is left).  Returns 0 or -errno. */
int pr_tftp_server_on_readable(struct pr_tftp_server *s, uint64_t now_ms);
/* Retransmits or abandons the transfers whose deadline is <= now. */
void pr_tftp_server_on_timer(struct pr_tftp_server *s, uint64_t now_ms);
/* The earliest deadline, or UINT64_MAX when no transfer is running. */
uint64_t pr_tftp_server_next_deadline(const struct pr_tftp_server *s);
void pr_tftp_server_stats(const struct pr_tftp_server *s, struct pr_tftp_stats *out);

#endif
