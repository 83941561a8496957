/* config: reads pirackd.conf (INI, parsed by inih), validates it and
 * reports every error as FILE:LINE: message.
 *
 * The struct is plain data: the daemon copies what each module needs into
 * that module's own settings.  A table in daemon/config/keys.c lists every
 * key with its type, range and check; pirackd.conf(5) documents them. */
#ifndef PIRACK_CONFIG_H
#define PIRACK_CONFIG_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <arpa/inet.h>
#include "pirack/plan.h"

#define PR_PATH_MAX 4096
/* The unit's LoadCredential=pirack:/etc/pirack/credentials: every file in
 * that directory reaches pirackd as $CREDENTIALS_DIRECTORY/pirack_NAME. */
#define PR_CREDENTIALS_DIR "/etc/pirack/credentials/"
#define PR_CREDENTIAL_PREFIX "pirack_"
#define PR_MAX_SWITCHES 64
#define PR_MAX_DNS 4

enum pr_switch_driver {
    PR_SWITCH_SNMP,
    PR_SWITCH_SSH
};

struct pr_switch_config {
    char name[PR_NAME_MAX];
    int line; /* where the section starts */
    enum pr_switch_driver driver;
    char address[256];              /* host:port, [v6]:port, or host */
    char profile[PR_NAME_MAX];      /* vendor profile name */
    unsigned first_slot, last_slot; /* slots = A-B */
    unsigned port_base;             /* switch port of first_slot */
    unsigned group;                 /* PoE group (1 on a fixed switch) */
    unsigned timeout_ms;
    unsigned retries;
    unsigned snmp_version; /* 2 (v2c) or 3 */
    char community[128];
    char v3_user[128];
    char v3_auth_proto[8]; /* SHA (default), SHA256, MD5 */
    char v3_auth_key[256];
    char v3_priv_proto[8]; /* AES (default), DES */
    char v3_priv_key[256];
    char ssh_user[128];
    char ssh_password[256];
    char enable_password[256]; /* answers a profile's {enable_password} */
    char ssh_key[PR_PATH_MAX]; /* private key file */
    char hostkey[512];         /* pinned: "SHA256:..." fingerprint */
    char known_hosts[PR_PATH_MAX];
    char credentials[PR_PATH_MAX]; /* root-only file with the secrets */
    unsigned power_budget_w;       /* 0: no budget */
    unsigned port_power_w;         /* what the switch reserves per port */
    unsigned max_varbinds;         /* ports per SNMP PDU */
};

struct pr_config {
    char path[PR_PATH_MAX];

    /* [rack] */
    char rack_name[PR_NAME_MAX];
    char domain[PR_FQDN_MAX];
    bool isolated; /* mode = isolated | flat */
    unsigned slots;
    char interface[IF_NAMESIZE]; /* isolated: pattern; flat: name */
    unsigned confirm_shrink;     /* = slots: cutting slots in use is confirmed */

    /* [ipv4] */
    struct pr_prefix4 v4_pool;

    /* [ipv6] */
    struct pr_prefix6 v6_pool;
    struct in6_addr dns[PR_MAX_DNS];
    unsigned n_dns;
    bool slaac; /* autonomous flag in RAs */
    unsigned ra_interval_s;
    unsigned mtu;
    bool ra_enabled; /* send router advertisements */

    /* [net]: the host side (daemon/net/service.c) */
    bool create_vlans;             /* isolated: make slot N VLAN vlan_base+N-1 */
    char vlan_parent[IF_NAMESIZE]; /* the VLANs' parent link */
    unsigned vlan_base;
    unsigned route_protocol; /* tags pirackd's routes and addresses */
    bool set_forwarding;     /* turn IPv6 forwarding on when off */
    char rp_filter[8];       /* isolated: set (""), require or off */
    bool route_via_pi;       /* flat: /64 via PREFIX::2, not on-link */

    /* [proxy] */
    unsigned ssh_port_base;
    char proxy_admin_socket[PR_PATH_MAX]; /* HAProxy runtime API: path or host:port */
    char proxy_admin_group[64];           /* the rendered socket's group ("": root only) */
    char proxy_map_dir[PR_PATH_MAX];
    char proxy_config[PR_PATH_MAX];   /* rendered base haproxy.cfg */
    char proxy_zone[PR_PATH_MAX];     /* DNS zone fragment written here */
    char proxy_ipv4[INET_ADDRSTRLEN]; /* public addresses, for DNS */
    char proxy_ipv6[INET6_ADDRSTRLEN];
    unsigned proxy_http_port, proxy_https_port;
    char proxy_api_cert[PR_PATH_MAX]; /* PEM for api.DOMAIN; "" = no customer API route */
    unsigned proxy_check_ms;          /* how often HAProxy is checked and reconciled */
    unsigned proxy_timeout_ms;        /* per runtime API command */

    /* [paths] */
    char state_path[PR_PATH_MAX];
    char boot_dir[PR_PATH_MAX];
    char run_dir[PR_PATH_MAX];
    char image_dir[PR_PATH_MAX];
    char root_dir[PR_PATH_MAX];  /* per-pi root trees (NFS) */
    char trace_dir[PR_PATH_MAX]; /* pcap files of failed boots */

    /* [nfs] */
    char nfs_backend[16];                  /* none, kernel, ganesha */
    char nfs_exports[PR_PATH_MAX];         /* the exports file pirackd owns */
    char nfs_ganesha_pidfile[PR_PATH_MAX]; /* ganesha.nfsd's, for SIGHUP */
    unsigned image_keep_previous_s;        /* a replaced generation stays this long, for --undo */

    /* [api] */
    char api_socket[PR_PATH_MAX];
    char api_group[64];
    char daemon_user[64]; /* [daemon] user: whom to run as after binding, when started as root */
    mode_t api_mode;
    char api_listen[128];           /* customers' TCP listener, "" = off */
    char api_tls_cert[PR_PATH_MAX]; /* PEM: libmicrohttpd's own TLS, "" = plain */
    char api_tls_key[PR_PATH_MAX];
    char metrics_listen[128]; /* [metrics] listen: Prometheus over TCP, "" = off */
    /* The customer API's token buckets: each key's requests (burst, then
     * rate a second), each pi's power actions and each client address's
     * failed logins (burst, then one more each interval). */
    unsigned api_key_burst, api_key_rate;
    unsigned api_power_burst, api_power_interval_ms;
    unsigned api_login_burst, api_login_interval_ms;

    /* [dhcp] */
    unsigned lease_time_s;
    bool pi3_second_offer; /* repeat the OFFER ~1 s later for 3B */
    unsigned reply_delay_ms;

    /* [tftp] */
    unsigned tftp_port;
    unsigned tftp_max_transfers;
    unsigned tftp_timeout_ms;
    char tftp_prefix[PR_NAME_MAX]; /* an extra accepted path prefix */

    /* [power] */
    unsigned power_hold_ms;           /* off time in a cycle */
    unsigned power_stagger_ms;        /* between power-ons */
    unsigned power_max_booting;       /* boot-storm limit */
    char power_profiles[PR_PATH_MAX]; /* switch profile directory, "" = built-in */
    /* per model booting at once, 0 = only max_booting; a board whose
     * model is not known yet counts as a Pi 3 */
    unsigned power_max_booting_pi3;
    unsigned power_max_booting_pi4;
    unsigned power_max_booting_pi5;

    /* [bringup] */
    unsigned bringup_dhcp_deadline_ms;   /* power on to the board's first DHCP */
    unsigned bringup_serial_deadline_ms; /* first DHCP to its serial */

    /* [health] */
    unsigned health_port;
    unsigned health_interval_s;
    unsigned boot_timeout_s;  /* deprecated: each unset stage deadline; 0 = unset */
    unsigned dhcp_deadline_s; /* stage deadlines after a power-on; 0 = default */
    unsigned tftp_deadline_s;
    unsigned root_deadline_s;
    unsigned up_deadline_s;
    bool health_probe;         /* probe [health] port; the up stage */
    unsigned probe_timeout_ms; /* one probe's connect and banner */
    unsigned unhealthy_after;  /* failed probes in a row */
    bool remediation;          /* the ladder for pis whose policy does not say */
    unsigned max_cycles;       /* then reimage, then quarantine */
    unsigned power_gap_s;      /* at least this between automatic power actions per pi */
    unsigned healthy_reset_s;  /* healthy this long: the ladder's counters reset */
    unsigned max_remediating;  /* remediations at once in the rack */
    unsigned switch_check_s;   /* the self-check reads a port of each switch; 0 = never */

    /* [store]: retention, applied at start and every hour; 0 = no limit */
    unsigned events_max_age_s;
    unsigned events_max_count;
    unsigned traces_max_age_s;
    unsigned traces_max_count;

    /* [log] */
    int log_level;

    /* [switch NAME] */
    struct pr_switch_config switches[PR_MAX_SWITCHES];
    unsigned n_switches;
};

/* Loads and validates path into cfg.  Every error is written to errs (one
 * "FILE:LINE: message" line each) when errs is non-NULL.  Returns the
 * number of errors (0 = valid), or -errno when the file cannot be read. */
int pr_config_load(const char *path, struct pr_config *cfg, FILE *errs);

/* The address plan that the configuration describes. */
void pr_config_plan(const struct pr_config *cfg, struct pr_plan *plan);

/* ---- values of [proxy], checked here and again by the proxy (validate.c) ---- */

/* A path that may appear in the configuration or a runtime command:
 * absolute, only [A-Za-z0-9._/-], no "..", at most PR_PATH_MAX - 16. */
bool pr_proxy_path_valid(const char *path);

/* HAProxy's admin socket: an absolute path (pr_proxy_path_valid),
 * "host:port" or "[v6]:port". */
struct pr_haproxy_addr {
    bool unix_path;
    char host[256];
    char port[8];
};
/* Returns 0 and fills out, or -EINVAL. */
int pr_haproxy_addr_parse(const char *addr, struct pr_haproxy_addr *out);
bool pr_haproxy_addr_valid(const char *addr);

#endif
