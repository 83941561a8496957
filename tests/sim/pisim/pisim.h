/* pisim: plays N Raspberry Pis that netboot, each on its own interface.
 *
 * What each model sends and accepts follows docs/pi-boot.md.  The files:
 *   main.c     options, the event loop, signals, exit conditions
 *   pi.c       one Pi's boot: power, phases, timers, failures
 *   script.c   which files the firmware asks for, in which order
 *   dhcp.c     DHCP frames: build the Pi's messages, parse replies (pure)
 *   tftp.c     TFTP client: packets (pure) and one transfer's state
 *   net.c      interfaces (MAC, up/down, addresses) and sockets
 *   power.c    the port-state file that the switch simulators write
 *   nfs.c      the root over NFS after the kernel (--nfs-root)
 *   nfsroot.c  nfsroot= and ip= of a cmdline.txt (pure)
 *   report.c   the timeline and result as JSON
 *   health.c   faults (--fault) and the health port on the Pi's IPv6 address
 *
 * One thread, one epoll set; every wait has a deadline. */
#ifndef PISIM_H
#define PISIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <net/if.h>
#include <netinet/in.h>
#include <jansson.h>

#define PISIM_MAX_PIS 1024
#define PISIM_ROM_XID 0x26f30339u
#define PISIM_ROM_TFTP_PORT 49152
#define PISIM_TEXT_MAX 4096 /* config.txt / cmdline.txt kept in full */

enum pi_model {
    PI_3B,
    PI_3BPLUS,
    PI_4
};

/* Which DHCP client is talking: each sends different options and has its
 * own rules for what it accepts. */
enum dhcp_client {
    DC_ROM_3B,     /* 3B boot ROM: DISCOVER only, strict option 43 */
    DC_ROM_3BPLUS, /* 3B+ boot ROM: full handshake, serial in option 97 */
    DC_BOOTCODE,   /* bootcode.bin on any Pi 3: DISCOVER only */
    DC_PI4,        /* Pi 4 EEPROM bootloader: full handshake, random xid */
    DC_OS,         /* the booted OS: an ordinary client, no PXEClient */
};

enum pi_phase {
    PH_OFF,      /* no power */
    PH_POWERING, /* power on, the PHY and the ROM starting */
    PH_DHCP,     /* a DHCP exchange (which client: pi->dhcp.client) */
    PH_TFTP,     /* a TFTP transfer (pi->xfer) */
    PH_KERNEL,   /* the kernel starting, before the OS asks DHCP */
    PH_NFSROOT,  /* --nfs-root: the kernel reading its root over NFS */
    PH_BOOTED,
    PH_FAILED, /* stays here until power-cycled */
};

/* A parsed DHCP reply (OFFER, ACK, NAK) as the Pi saw it. */
struct dhcp_reply {
    uint8_t op, htype, hlen;
    uint32_t xid;
    uint16_t flags;
    struct in_addr yiaddr, siaddr, ip_src;
    uint8_t chaddr[6];
    int msg_type; /* option 53, -1 when absent */
    bool has_mask, has_router, has_server_id, has_lease;
    struct in_addr mask, router, server_id;
    uint32_t lease_s;
    const uint8_t *opt43; /* points into the frame */
    size_t opt43_len;
    bool has_opt43;
    bool has_opt60_pxe; /* option 60 "PXEClient" */
    const uint8_t *opt97;
    size_t opt97_len;
    /* Option 66 as a dotted quad, and whether it came after option 43:
     * the 3B ROM processes both in order and the last one wins. */
    bool has_tftp66;
    struct in_addr tftp66;
    bool tftp66_after_43;
};

/* What the DHCP client keeps across retries. */
struct dhcp_state {
    enum dhcp_client client;
    uint32_t xid;
    unsigned attempts;   /* DISCOVERs sent */
    bool requesting;     /* REQUEST sent, waiting for the ACK */
    uint64_t started_ms; /* first DISCOVER */
    uint64_t attempt_ms; /* this DISCOVER */
    struct in_addr offered, server_id, tftp_server, siaddr, mask, router;
    bool has_mask;
    /* --pi3b-stall: an accepted OFFER that the buggy ROM sits on until
     * another frame arrives (docs/pi-boot.md section 5). */
    bool stalled;
    uint64_t stall_last_ms;
    char last_ignored[160]; /* why the last OFFER was not taken */
};

enum xfer_kind {
    XK_READ,  /* read the whole file */
    XK_PROBE, /* OACK and block 1, then ERROR 0 "Early terminate" */
};

enum xfer_result {
    XR_NONE,
    XR_OK,
    XR_PROBED,
    XR_ABSENT,
    XR_ERROR,
    XR_TIMEOUT
};

/* Timing rules of the firmware that sends a request. */
struct xfer_timing {
    unsigned first_ms;  /* wait for the first answer to the RRQ */
    unsigned rrq_tries; /* RRQ sends before giving up (1 = no retry) */
    unsigned block_ms;  /* wait for the next DATA before re-ACKing */
    unsigned block_tries;
    unsigned file_ms; /* the whole file, 0 = no limit */
};

struct xfer {
    char path[160];
    enum xfer_kind kind;
    bool opt_tsize;
    unsigned opt_blksize; /* 0: not asked */
    bool fixed_port;      /* the ROM's port 49152 */
    bool rollover;        /* block numbers may wrap */
    struct xfer_timing timing;
    int fd;
    uint16_t local_port;
    struct sockaddr_in server; /* port 69 until the first answer */
    bool tid_known;
    unsigned blksize; /* in force */
    uint64_t tsize;   /* from the OACK, 0 when absent */
    bool got_oack;
    uint32_t next_block; /* the DATA we wait for (32-bit count) */
    uint64_t bytes;
    uint64_t hash;     /* FNV-1a of the content */
    uint8_t last[600]; /* RRQ or last ACK, for retransmission */
    size_t last_len;
    unsigned sends; /* of last[] */
    uint64_t started_ms, deadline_ms;
    bool answered;        /* the server said something */
    uint64_t answered_ms; /* when its first datagram came */
    enum xfer_result result;
    uint16_t err_code;
    char err_msg[96];
    char *text; /* content, kept for config/cmdline */
    size_t text_len;
};

enum script_stage {
    ST_ROM,
    ST_FW3,
    ST_FW4
};

struct script_state {
    enum script_stage stage;
    unsigned step;
    char prefix[20]; /* "" or "SERIAL/" */
    bool prefix_decided;
    bool arm_64bit;         /* from config.txt */
    char kernel_cfg[64];    /* kernel= from config.txt */
    unsigned kernel_choice; /* index into the fallback list */
    bool kernel_found;
};

#define PISIM_NFS_PATH_MAX 512

/* What a cmdline.txt with root=/dev/nfs says: ip= and nfsroot=. */
struct nfsroot {
    struct in_addr addr, server, mask;
    char hostname[64];
    char path[PISIM_NFS_PATH_MAX];
};

/* --fault N:KIND: where a Pi stops (health.c). */
enum pi_fault {
    FAULT_NONE,
    FAULT_NO_DHCP,
    FAULT_STOP_AFTER_TFTP,
    FAULT_ROOT_FAILS,
    FAULT_HANG_AFTER_BOOT,
};

struct pisim;

struct pi {
    struct pisim *sim;
    unsigned index; /* 1-based */
    char ifname[IF_NAMESIZE];
    int ifindex;
    enum pi_model model;
    uint32_t serial;
    uint32_t revision; /* Pi 4 board revision */
    uint8_t mac[6];
    unsigned port; /* switch port, for --ports */

    bool powered;
    enum pi_phase phase;
    uint64_t deadline_ms; /* 0: no timer */
    unsigned generation;  /* bumped by each power-on */

    int raw_fd; /* AF_PACKET, during DHCP */
    struct dhcp_state dhcp;
    bool addr_set;
    struct in_addr addr;
    unsigned prefix_len;
    struct in_addr peer; /* when set: a /32 with a peer */
    struct in_addr tftp_server;

    bool rom_done; /* the ROM's part is over */
    struct xfer xfer;
    struct script_state script;
    char *cmdline; /* cmdline.txt as read */

    /* --nfs-root */
    struct nfsroot nfsroot;
    pid_t nfs_pid; /* nfs-cat, 0 when none */
    int nfs_fd;    /* its stdout */
    char nfs_out[128];
    size_t nfs_len;

    /* report */
    json_t *events;
    uint64_t power_on_ms, booted_ms, failed_ms;
    char fail_reason[200];
    unsigned boots; /* power-ons */
    int health_fd;  /* the health port's listener, -1 */
    bool v6_set;    /* its IPv6 address is on the interface */
    unsigned health_answers;
    uint64_t tftp_bytes;
    unsigned tftp_files;
};

struct pisim_opts {
    unsigned fast; /* divides the firmware's waits */
    bool pi3b_stall;
    unsigned pi4_blksize;    /* 1468 (late 2022 on) or 1024 */
    unsigned kernel_boot_ms; /* kernel loaded -> OS DHCP */
    unsigned power_up_ms;    /* power on -> first DISCOVER */
    const char *ports_file;
    unsigned port_base;
    const char *json_path; /* NULL: stdout */
    bool until_booted;
    unsigned timeout_s;
    bool verbose;
    bool progress;
    bool nfs_root;                          /* read the root over NFS after the kernel */
    unsigned health_port;                   /* 0: none */
    unsigned hang_ms;                       /* hang-after-boot: answers this long */
    enum pi_fault fault[PISIM_MAX_PIS + 1]; /* by Pi index */
    bool fault_once[PISIM_MAX_PIS + 1];
    unsigned swap_with[PISIM_MAX_PIS + 1]; /* --fault N:swap=M: M at [N], 0 none */
    struct in6_addr v6[PISIM_MAX_PIS + 1];
    bool has_v6[PISIM_MAX_PIS + 1];
};

struct pisim {
    struct pisim_opts opt;
    struct pi *pis;
    unsigned n_pis;
    int epfd;
    struct nl_sock *nl;
    uint64_t start_ms;
    uint64_t next_power_poll_ms;
    int drain68_fd;                       /* swallows late DHCP replies */
    bool swap_pending[PISIM_MAX_PIS + 1]; /* SIGUSR2 came: swap [N] once both are off */
};

/* main.c */
uint64_t pisim_now_ms(void);
int pisim_watch(struct pisim *sim, int fd, struct pi *pi, unsigned tag);
void pisim_unwatch(struct pisim *sim, int fd);
unsigned pisim_scale(const struct pisim *sim, unsigned ms);
void pisim_vlog(const struct pi *pi, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* epoll tags */
enum {
    TAG_RAW = 1,
    TAG_UDP = 2,
    TAG_SIGNAL = 3,
    TAG_DRAIN = 4,
    TAG_NFS = 5,
    TAG_HEALTH = 6
};

/* pi.c */
void pi_init(struct pi *pi, struct pisim *sim, unsigned index, const char *ifname,
             enum pi_model model, uint32_t serial);
void pi_power(struct pi *pi, bool on);
void pi_on_raw(struct pi *pi);
void pi_on_udp(struct pi *pi);
void pi_on_timer(struct pi *pi, uint64_t now);
void pi_fail(struct pi *pi, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pi_free(struct pi *pi);
const char *pi_model_name(enum pi_model m);
int pi_model_parse(const char *s, enum pi_model *out);
const char *pi_phase_name(enum pi_phase p);
bool pi_done(const struct pi *pi);

/* script.c: the files each firmware stage asks for; see the file. */
void script_start(struct pi *pi, enum script_stage stage);
void script_file_done(struct pi *pi);

/* pi.c, for script.c */
void pi_start_dhcp(struct pi *pi, enum dhcp_client c);
void pi_kernel_loaded(struct pi *pi);
uint64_t pi_deadline(const struct pi *pi);

/* dhcp.c (pure) */
size_t dhcp_build(uint8_t *frame, size_t cap, const struct pi *pi, int msg_type);
int dhcp_parse_frame(const uint8_t *frame, size_t len, struct dhcp_reply *out);
/* Whether option 43 holds the PXE menu this client accepts.  On failure
 * writes why into why. */
bool dhcp_menu_ok(enum dhcp_client c, const uint8_t *opt, size_t len, char *why, size_t whylen);
const char *dhcp_client_name(enum dhcp_client c);
uint16_t pisim_ip_checksum(const void *data, size_t len, uint32_t sum);

/* tftp.c */
void xfer_reset(struct xfer *x);
int xfer_start(struct pi *pi); /* after the fields are set */
/* Feeds one datagram from the server that reached the Pi at arrived_ms;
 * returns true when the transfer ended (x->result set). */
bool xfer_input(struct pi *pi, const uint8_t *pkt, size_t len, const struct sockaddr_in *from,
                uint64_t arrived_ms);
/* The deadlines due by time at (the Pi's clock): a retransmission, or the
 * end with XR_TIMEOUT (returns true). */
bool xfer_timer(struct pi *pi, uint64_t at);
void xfer_close(struct pi *pi);
const char *xfer_result_name(enum xfer_result r);
/* Parses "name\0value\0..." option pairs of an OACK.  Pure, for tests. */
int tftp_parse_oack(const uint8_t *p, size_t len, uint64_t *tsize, unsigned *blksize);

/* net.c */
int net_open(struct pisim *sim);
void net_close(struct pisim *sim);
int net_link_setup(struct pisim *sim, struct pi *pi); /* MAC, down */
int net_link_up(struct pisim *sim, struct pi *pi, bool up);
int net_addr_set(struct pisim *sim, struct pi *pi, struct in_addr a, unsigned prefix_len,
                 struct in_addr peer);
void net_addr_clear(struct pisim *sim, struct pi *pi);
int net_raw_open(struct pi *pi, bool everything);
void net_raw_close(int fd); /* at once for the loop; the close itself waits */
int net_udp_open(struct pi *pi, uint16_t port);
/* One datagram and when it reached the interface (pisim's clock); -errno. */
ssize_t net_recv_stamped(int fd, void *buf, size_t cap, struct sockaddr_in *from,
                         uint64_t *arrived_ms);
int net_drain68_open(void);

int net_addr6_add(struct pisim *sim, struct pi *pi, const struct in6_addr *a);
void net_addr6_del(struct pisim *sim, struct pi *pi, const struct in6_addr *a);

/* health.c */
int fault_parse(struct pisim_opts *o, const char *arg);
int v6_parse(struct pisim_opts *o, const char *arg);
const char *fault_name(enum pi_fault f);
enum pi_fault pi_fault_now(const struct pi *pi);
void fault_stall(struct pi *pi, enum pi_fault f);
void fault_nfs_syn(struct pi *pi, struct in_addr server);
/* --fault N:swap=M: SIGUSR2 arms the swap of every such pair, done by
 * fault_swap_try() as soon as both Pis of a pair are off (pi_power calls
 * it on each power-off). */
void fault_swap_arm(struct pisim *sim);
void fault_swap_try(struct pisim *sim);
void health_booted(struct pi *pi);
void health_hang(struct pi *pi);
void health_down(struct pi *pi);
void health_close(struct pi *pi);
void health_on_accept(struct pi *pi);

/* power.c */
int power_poll(struct pisim *sim);

/* nfs.c */
/* Parses root=/dev/nfs, nfsroot=[HOST:]/PATH[,opts] and ip= of a
 * cmdline.txt.  Pure, for tests.  -ENOENT: not an NFS root. */
int nfsroot_parse(const char *cmdline, struct nfsroot *out, char *why, size_t whylen);
void pi_nfs_start(struct pi *pi);
void pi_on_nfs(struct pi *pi);
void pi_nfs_timeout(struct pi *pi);
void pi_nfs_stop(struct pi *pi);

/* report.c */
void report_event(struct pi *pi, const char *what, const char *fmt, ...);
int report_write(const struct pisim *sim, const char *path);
void report_summary_line(const struct pisim *sim, FILE *out);

#endif
