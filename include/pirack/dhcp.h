/* dhcp: the DHCPv4 codec (pure, fuzzed) and the server's decisions.
 *
 * Codec: pr_dhcp_decode() takes the UDP payload and fills a typed message,
 * or says why it refused it; pr_dhcp_encode() writes a message back.  Both
 * walk the bytes with one cursor and a remaining length and never use
 * string functions on packet data.
 *
 * Server: pr_dhcp_handle() is a pure function from one received packet,
 * the interface it came in on and lookups (callbacks into the plan and
 * the store) to a decision: a reply to send, a packet dropped for a named
 * reason, or a board seen that no slot owns.  Sockets live in
 * daemon/dhcp/service.c; tests and the fuzzer drive this directly. */
#ifndef PIRACK_DHCP_H
#define PIRACK_DHCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#define PR_DHCP_SERVER_PORT 67
#define PR_DHCP_CLIENT_PORT 68

#define PR_DHCP_FIXED_LEN 236 /* BOOTP header up to the options */
#define PR_DHCP_MIN_LEN 240   /* ... plus the magic cookie */
#define PR_DHCP_MAX_LEN 1472  /* what fits one 1500-byte frame */
#define PR_DHCP_MIN_REPLY 300 /* RFC 1542: pad replies to this */
#define PR_DHCP_MAX_OPTS 64   /* distinct option codes kept */
#define PR_DHCP_MAGIC 0x63825363u

enum pr_dhcp_op {
    PR_BOOTREQUEST = 1,
    PR_BOOTREPLY = 2
};

enum pr_dhcp_type {
    PR_DHCP_NONE = 0,
    PR_DHCPDISCOVER = 1,
    PR_DHCPOFFER,
    PR_DHCPREQUEST,
    PR_DHCPDECLINE,
    PR_DHCPACK,
    PR_DHCPNAK,
    PR_DHCPRELEASE,
    PR_DHCPINFORM,
};

enum pr_dhcp_option {
    PR_OPT_PAD = 0,
    PR_OPT_SUBNET_MASK = 1,
    PR_OPT_ROUTER = 3,
    PR_OPT_HOSTNAME = 12,
    PR_OPT_BROADCAST = 28,
    PR_OPT_VENDOR_SPECIFIC = 43,
    PR_OPT_REQUESTED_IP = 50,
    PR_OPT_LEASE_TIME = 51,
    PR_OPT_OVERLOAD = 52,
    PR_OPT_MSG_TYPE = 53,
    PR_OPT_SERVER_ID = 54,
    PR_OPT_PARAM_LIST = 55,
    PR_OPT_MESSAGE = 56,
    PR_OPT_MAX_MSG_SIZE = 57,
    PR_OPT_RENEWAL_TIME = 58,
    PR_OPT_REBINDING_TIME = 59,
    PR_OPT_VENDOR_CLASS = 60,
    PR_OPT_CLIENT_ID = 61,
    PR_OPT_TFTP_SERVER = 66,
    PR_OPT_BOOTFILE = 67,
    PR_OPT_CLIENT_ARCH = 93,
    PR_OPT_CLIENT_NDI = 94,
    PR_OPT_CLIENT_UUID = 97,
    PR_OPT_END = 255,
};

/* Why a packet got no answer.  Counted per reason by the service. */
enum pr_dhcp_drop {
    PR_DROP_NONE = 0,
    PR_DROP_TRUNCATED,  /* shorter than the fixed header + cookie */
    PR_DROP_OVERLONG,   /* longer than PR_DHCP_MAX_LEN */
    PR_DROP_BAD_OP,     /* op is not BOOTREQUEST (server) or 1/2 (codec) */
    PR_DROP_BAD_HTYPE,  /* htype/hlen not Ethernet/6 */
    PR_DROP_BAD_COOKIE, /* no DHCP magic cookie */
    PR_DROP_BAD_OPTION, /* an option runs past the end or has a wrong length */
    PR_DROP_TOO_MANY_OPTIONS,
    PR_DROP_NO_TYPE,       /* no option 53: plain BOOTP is not served */
    PR_DROP_BAD_TYPE,      /* a server's message type, or unknown */
    PR_DROP_RELAYED,       /* giaddr or hops set: the rack has no relays */
    PR_DROP_NO_SLOT,       /* isolated: the interface is not a slot's */
    PR_DROP_UNKNOWN_MAC,   /* flat: no slot holds this board */
    PR_DROP_OTHER_SERVER,  /* REQUEST/RELEASE naming another server */
    PR_DROP_BAD_REQUEST,   /* a REQUEST in no RFC 2131 state */
    PR_DROP_LOOKUP_FAILED, /* the store could not answer */
    PR_DROP_SEND_FAILED,   /* the reply could not be sent (service) */
    PR_DROP_FOREIGN_MAC,   /* flat: the frame's source is not the board it names (service) */
    PR_DROP__COUNT
};

const char *pr_dhcp_drop_name(enum pr_dhcp_drop why);
const char *pr_dhcp_type_name(unsigned type);

struct pr_dhcp_opt {
    uint8_t code;
    uint16_t len; /* RFC 3396: repeated options concatenate */
    uint16_t off; /* into pr_dhcp_msg.data */
};

/* A decoded (or to be encoded) message.  Plain data, fits on the stack. */
struct pr_dhcp_msg {
    uint8_t op, htype, hlen, hops;
    uint32_t xid;         /* host order */
    uint16_t secs, flags; /* host order */
    struct in_addr ciaddr, yiaddr, siaddr, giaddr;
    uint8_t chaddr[16];
    uint8_t sname[64]; /* raw bytes; empty when overloaded */
    uint8_t file[128];
    uint8_t type; /* option 53, PR_DHCP_NONE when absent */
    /* options in the order first seen / added */
    struct pr_dhcp_opt opts[PR_DHCP_MAX_OPTS];
    unsigned n_opts;
    uint16_t data_len;
    uint8_t data[PR_DHCP_MAX_LEN];
};

#define PR_DHCP_FLAG_BROADCAST 0x8000

/* Decodes one UDP payload.  Returns 0, or -EBADMSG (-EMSGSIZE when too
 * long) with the reason in *why (may be NULL).  Accepts op 1 and 2; the
 * server checks which it wants. */
int pr_dhcp_decode(const uint8_t *buf, size_t len, struct pr_dhcp_msg *m, enum pr_dhcp_drop *why);

/* The option's bytes and length, or NULL when absent. */
const uint8_t *pr_dhcp_opt_get(const struct pr_dhcp_msg *m, uint8_t code, size_t *len);

/* ---- Raspberry Pi models, as the netboot packets tell them ---- */

enum pr_pi_model {
    PR_PI_UNKNOWN = 0, /* not a Pi, or a Pi we cannot place */
    PR_PI_3B,          /* Pi 3 Model B boot ROM (menu needs three spaces) */
    PR_PI_3BPLUS,      /* Pi 3B+ ROM, or bootcode.bin */
    PR_PI_4,
    PR_PI_5,
};
/* Parses a model name ("pi3b", "3B", "3b+", "pi4", "4B", "5", ...);
 * returns PR_PI_UNKNOWN when the name means nothing.  The customer API
 * reads the store's board models with it. */
enum pr_pi_model pr_pi_model_parse(const char *name);

/* ---- The server's decisions ---- */

struct pr_dhcp_server_cfg {
    bool isolated; /* slot by interface (else by MAC) */
    uint32_t lease_time_s;
    bool pi3_second_offer;   /* repeat a 3B's OFFER after ~1 s */
    unsigned reply_delay_ms; /* delay every OFFER by this much */
};

/* What the server needs to know of one slot. */
struct pr_dhcp_slot_info {
    struct in_addr pi, host, mask; /* the /30: .2, .1, 255.255.255.252 */
    enum pr_pi_model model;        /* from the store; UNKNOWN = detect */
    char menu[201];                /* option 43 text override; "" = default */
};

/* Lookups.  Each returns the slot (> 0), 0 for none, or -errno. */
struct pr_dhcp_lookup {
    int (*slot_by_ifname)(void *ctx, const char *ifname);
    int (*slot_by_mac)(void *ctx, const uint8_t mac[6]);
    /* fills info for slot; 0 or -errno */
    int (*slot_info)(void *ctx, unsigned slot, struct pr_dhcp_slot_info *info);
    void *ctx;
};

enum pr_dhcp_action {
    PR_DHCP_ACT_DROP,    /* nothing to send; why says why */
    PR_DHCP_ACT_REPLY,   /* send reply to dst */
    PR_DHCP_ACT_SEEN,    /* a board no slot owns: record it, no reply */
    PR_DHCP_ACT_RELEASE, /* the client gave its address back */
    PR_DHCP_ACT_DECLINE, /* the client says its address is in use */
};

struct pr_dhcp_decision {
    enum pr_dhcp_action action;
    enum pr_dhcp_drop why;
    unsigned slot;      /* 0 when none */
    uint8_t req_type;   /* what came in */
    uint8_t reply_type; /* OFFER, ACK or NAK when replying */
    enum pr_pi_model model;
    bool rom; /* vendor class starts with PXEClient */
    uint8_t mac[6];
    struct in_addr addr; /* the address offered / acked / released */
    /* where the reply goes, and from where (the slot's .1) */
    struct in_addr server;
    struct in_addr dst_ip;
    uint8_t dst_mac[6];
    bool broadcast;
    unsigned delay_ms;  /* send after this long */
    unsigned repeat_ms; /* send again this long after (0 = once) */
    size_t reply_len;
    uint8_t reply[PR_DHCP_MAX_LEN];
};

#endif
