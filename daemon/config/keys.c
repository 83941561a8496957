/* config/keys: every key pirackd.conf knows, its type and range, and the
 * checks that look at the file as a whole.  pirackd.conf(5) documents
 * the same list: change both together. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pirack/log.h"
#include "config_internal.h"

#define CFG(f) offsetof(struct pr_config, f), sizeof(((struct pr_config *)0)->f)
#define SW(f) offsetof(struct pr_switch_config, f), sizeof(((struct pr_switch_config *)0)->f)

static int check_label(const char *v, char *why, size_t whylen)
{
    if (pr_plan_name_valid(v) && strlen(v) <= 59)
        return 0;
    snprintf(why, whylen,
             "\"%s\" must be a lower-case DNS label ([a-z0-9-], at most 59 "
             "characters, no leading or trailing -)",
             v);
    return -1;
}

static int check_domain(const char *v, char *why, size_t whylen)
{
    if (pr_plan_domain_valid(v))
        return 0;
    snprintf(why, whylen, "\"%s\" is not a lower-case domain name", v);
    return -1;
}

static int check_abs_path(const char *v, char *why, size_t whylen)
{
    if (v[0] == '/')
        return 0;
    snprintf(why, whylen, "\"%s\" must be an absolute path", v);
    return -1;
}

static int check_nfs_backend(const char *v, char *why, size_t whylen)
{
    if (!strcmp(v, "none") || !strcmp(v, "kernel") || !strcmp(v, "ganesha"))
        return 0;
    snprintf(why, whylen, "\"%s\" is not an NFS backend (none, kernel or ganesha)", v);
    return -1;
}

static int check_ifname(const char *v, char *why, size_t whylen)
{
    size_t len = strlen(v);

    if (len == 0 || len >= IF_NAMESIZE) {
        snprintf(why, whylen, "an interface name has 1 to %d characters", IF_NAMESIZE - 1);
        return -1;
    }
    for (const char *c = v; *c; c++)
        if (!isalnum((unsigned char)*c) && !strchr("%-_.", *c)) {
            snprintf(why, whylen, "\"%s\" has a character not allowed in an interface name", v);
            return -1;
        }
    return 0;
}

/* [net] rp_filter: what pirackd does about reverse-path filtering on
 * slot links (daemon/net/service.c). */
static int check_rp_filter_mode(const char *v, char *why, size_t whylen)
{
    if (strcmp(v, "set") == 0 || strcmp(v, "require") == 0 || strcmp(v, "off") == 0)
        return 0;
    snprintf(why, whylen, "\"%.20s\" is not set, require or off", v);
    return -1;
}

static int check_ipv4(const char *v, char *why, size_t whylen)
{
    struct in_addr a;

    if (inet_pton(AF_INET, v, &a) == 1)
        return 0;
    snprintf(why, whylen, "\"%s\" is not an IPv4 address", v);
    return -1;
}

static int check_ipv6(const char *v, char *why, size_t whylen)
{
    struct in6_addr a;

    if (inet_pton(AF_INET6, v, &a) == 1)
        return 0;
    snprintf(why, whylen, "\"%s\" is not an IPv6 address", v);
    return -1;
}

/* host, host:port, [v6]:port, or an absolute path (Unix socket). */
static int check_endpoint(const char *v, char *why, size_t whylen)
{
    const char *port = NULL;

    if (v[0] == '/')
        return 0;
    if (v[0] == '[') {
        const char *close = strchr(v, ']');

        if (!close || (close[1] && close[1] != ':'))
            goto bad;
        port = close[1] ? close + 2 : NULL;
    } else {
        port = strrchr(v, ':');
        if (port && strchr(v, ':') != port)
            goto bad; /* a bare IPv6 address needs brackets */
        if (port)
            port++;
    }
    if (port) {
        char *end;
        long p = strtol(port, &end, 10);

        if (*end || p < 1 || p > 65535)
            goto bad;
    }
    return 0;
bad:
    snprintf(why, whylen, "\"%s\" is not host, host:port or [ipv6]:port", v);
    return -1;
}

/* Paths that go into HAProxy's configuration and runtime commands, where
 * a space, ';' or '#' would change their meaning. */
static int check_proxy_path(const char *v, char *why, size_t whylen)
{
    if (pr_proxy_path_valid(v))
        return 0;
    snprintf(why, whylen,
             "\"%s\" must be an absolute path of [A-Za-z0-9._/-] "
             "(it goes into HAProxy's configuration)",
             v);
    return -1;
}

static int check_proxy_admin(const char *v, char *why, size_t whylen)
{
    if (pr_haproxy_addr_valid(v))
        return 0;
    snprintf(why, whylen,
             "\"%s\" is not an absolute path of [A-Za-z0-9._/-], host:port "
             "or [ipv6]:port",
             v);
    return -1;
}

/* A group name as Debian's adduser takes it; it is written into
 * haproxy.cfg, so nothing else.  Empty: no group. */
static int check_group_name(const char *v, char *why, size_t whylen)
{
    size_t n = strlen(v);

    if (n == 0)
        return 0;
    if (n <= 32 && (islower((unsigned char)v[0]) || v[0] == '_') &&
        strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n)
        return 0;
    snprintf(why, whylen, "\"%s\" is not a group name ([a-z_][a-z0-9_-]*, at most 32)", v);
    return -1;
}

static int parse_mode(const char *v, void *base, char *why, size_t whylen)
{
    struct pr_config *cfg = base;

    if (!strcmp(v, "isolated"))
        cfg->isolated = true;
    else if (!strcmp(v, "flat"))
        cfg->isolated = false;
    else {
        snprintf(why, whylen, "expected isolated or flat");
        return -1;
    }
    return 0;
}

static int parse_file_mode(const char *v, void *base, char *why, size_t whylen)
{
    struct pr_config *cfg = base;
    char *end;
    long m = strtol(v, &end, 8);

    if (!*v || *end || m < 0 || m > 0777) {
        snprintf(why, whylen, "expected an octal mode such as 0660");
        return -1;
    }
    cfg->api_mode = (mode_t)m;
    return 0;
}

static int parse_log_level(const char *v, void *base, char *why, size_t whylen)
{
    int l = pr_log_level_parse(v);

    if (l < 0) {
        snprintf(why, whylen, "expected error, warn, info or debug");
        return -1;
    }
    ((struct pr_config *)base)->log_level = l;
    return 0;
}

/* [ipv6] dns: resolvers separated by commas or blanks. */
static int parse_dns(const char *v, void *base, char *why, size_t whylen)
{
    struct pr_config *cfg = base;
    char copy[512], *save = NULL, *tok;

    if (strlen(v) >= sizeof(copy)) {
        snprintf(why, whylen, "too long");
        return -1;
    }
    strcpy(copy, v);
    cfg->n_dns = 0;
    for (tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
        if (cfg->n_dns == PR_MAX_DNS) {
            snprintf(why, whylen, "at most %d resolvers", PR_MAX_DNS);
            return -1;
        }
        if (inet_pton(AF_INET6, tok, &cfg->dns[cfg->n_dns]) != 1) {
            snprintf(why, whylen, "\"%s\" is not an IPv6 address", tok);
            return -1;
        }
        cfg->n_dns++;
    }
    return 0;
}

static int parse_driver(const char *v, void *base, char *why, size_t whylen)
{
    struct pr_switch_config *sw = base;

    if (!strcmp(v, "snmp"))
        sw->driver = PR_SWITCH_SNMP;
    else if (!strcmp(v, "ssh"))
        sw->driver = PR_SWITCH_SSH;
    else {
        snprintf(why, whylen, "expected snmp or ssh");
        return -1;
    }
    return 0;
}

static int parse_slot_range(const char *v, void *base, char *why, size_t whylen)
{
    struct pr_switch_config *sw = base;
    char *end;
    unsigned long a, b;

    if (!isdigit((unsigned char)*v))
        goto bad;
    a = strtoul(v, &end, 10);
    b = a;
    if (*end == '-') {
        if (!isdigit((unsigned char)end[1]))
            goto bad;
        b = strtoul(end + 1, &end, 10);
    }
    if (*end || a == 0 || b < a || b > 100000)
        goto bad;
    sw->first_slot = (unsigned)a;
    sw->last_slot = (unsigned)b;
    return 0;
bad:
    snprintf(why, whylen, "expected a slot or a range such as 1-48");
    return -1;
}

static int parse_snmp_version(const char *v, void *base, char *why, size_t whylen)
{
    struct pr_switch_config *sw = base;

    if (!strcmp(v, "2c") || !strcmp(v, "2"))
        sw->snmp_version = 2;
    else if (!strcmp(v, "3"))
        sw->snmp_version = 3;
    else {
        snprintf(why, whylen, "expected 2c or 3");
        return -1;
    }
    return 0;
}

static int check_auth_proto(const char *v, char *why, size_t whylen)
{
    if (!strcmp(v, "SHA") || !strcmp(v, "SHA256") || !strcmp(v, "SHA512") || !strcmp(v, "MD5"))
        return 0;
    snprintf(why, whylen, "expected SHA, SHA256, SHA512 or MD5");
    return -1;
}

static int check_priv_proto(const char *v, char *why, size_t whylen)
{
    if (!strcmp(v, "AES") || !strcmp(v, "DES"))
        return 0;
    snprintf(why, whylen, "expected AES or DES");
    return -1;
}

const struct pr_key pr_config_keys[] = {
    { "rack", "name", KEY_STRING, CFG(rack_name), 0, 0, check_label, NULL, false, false },
    { "rack", "domain", KEY_STRING, CFG(domain), 0, 0, check_domain, NULL, false, false },
    { "rack", "mode", KEY_CUSTOM, 0, 0, 0, 0, NULL, parse_mode, false, false },
    { "rack", "slots", KEY_UINT, CFG(slots), 1, 4096, NULL, NULL, false, false },
    { "rack", "interface", KEY_STRING, CFG(interface), 0, 0, check_ifname, NULL, false, false },
    { "rack", "confirm_shrink", KEY_UINT, CFG(confirm_shrink), 0, 4096, NULL, NULL, false, false },
    { "ipv4", "pool", KEY_PREFIX4, CFG(v4_pool), 0, 0, NULL, NULL, false, false },
    { "ipv6", "pool", KEY_PREFIX6, CFG(v6_pool), 0, 0, NULL, NULL, false, false },
    { "ipv6", "dns", KEY_CUSTOM, 0, 0, 0, 0, NULL, parse_dns, false, false },
    { "ipv6", "slaac", KEY_BOOL, CFG(slaac), 0, 0, NULL, NULL, false, false },
    { "ipv6", "ra_interval", KEY_SECONDS, CFG(ra_interval_s), 4, 1800, NULL, NULL, false, false },
    { "ipv6", "mtu", KEY_UINT, CFG(mtu), 1280, 65535, NULL, NULL, false, false },
    { "ipv6", "ra", KEY_BOOL, CFG(ra_enabled), 0, 0, NULL, NULL, false, false },
    { "net", "create_vlans", KEY_BOOL, CFG(create_vlans), 0, 0, NULL, NULL, false, false },
    { "net", "vlan_parent", KEY_STRING, CFG(vlan_parent), 0, 0, check_ifname, NULL, false, false },
    { "net", "vlan_base", KEY_UINT, CFG(vlan_base), 1, 4094, NULL, NULL, false, false },
    { "net", "route_protocol", KEY_UINT, CFG(route_protocol), 1, 255, NULL, NULL, false, false },
    { "net", "set_forwarding", KEY_BOOL, CFG(set_forwarding), 0, 0, NULL, NULL, false, false },
    { "net", "route_via_pi", KEY_BOOL, CFG(route_via_pi), 0, 0, NULL, NULL, false, false },
    { "net", "rp_filter", KEY_STRING, CFG(rp_filter), 0, 0, check_rp_filter_mode, NULL, false,
      false },
    { "proxy", "ssh_port_base", KEY_UINT, CFG(ssh_port_base), 1, 65535, NULL, NULL, false, false },
    { "proxy", "admin_socket", KEY_STRING, CFG(proxy_admin_socket), 0, 0, check_proxy_admin, NULL,
      false, false },
    { "proxy", "map_dir", KEY_STRING, CFG(proxy_map_dir), 0, 0, check_proxy_path, NULL, false,
      false },
    { "proxy", "admin_group", KEY_STRING, CFG(proxy_admin_group), 0, 0, check_group_name, NULL,
      false, false },
    { "proxy", "config", KEY_STRING, CFG(proxy_config), 0, 0, check_abs_path, NULL, false, false },
    { "proxy", "zone", KEY_STRING, CFG(proxy_zone), 0, 0, check_abs_path, NULL, false, false },
    { "proxy", "ipv4", KEY_STRING, CFG(proxy_ipv4), 0, 0, check_ipv4, NULL, false, false },
    { "proxy", "ipv6", KEY_STRING, CFG(proxy_ipv6), 0, 0, check_ipv6, NULL, false, false },
    { "proxy", "http_port", KEY_UINT, CFG(proxy_http_port), 1, 65535, NULL, NULL, false, false },
    { "proxy", "https_port", KEY_UINT, CFG(proxy_https_port), 1, 65535, NULL, NULL, false, false },
    { "proxy", "api_cert", KEY_STRING, CFG(proxy_api_cert), 0, 0, check_abs_path, NULL, false,
      false },
    { "proxy", "check_interval", KEY_MS, CFG(proxy_check_ms), 200, 3600000, NULL, NULL, false,
      false },
    { "proxy", "timeout", KEY_MS, CFG(proxy_timeout_ms), 50, 60000, NULL, NULL, false, false },
    { "paths", "state", KEY_STRING, CFG(state_path), 0, 0, check_abs_path, NULL, false, false },
    { "paths", "boot", KEY_STRING, CFG(boot_dir), 0, 0, check_abs_path, NULL, false, false },
    { "paths", "run", KEY_STRING, CFG(run_dir), 0, 0, check_abs_path, NULL, false, false },
    { "paths", "images", KEY_STRING, CFG(image_dir), 0, 0, check_abs_path, NULL, false, false },
    { "paths", "roots", KEY_STRING, CFG(root_dir), 0, 0, check_abs_path, NULL, false, false },
    { "paths", "traces", KEY_STRING, CFG(trace_dir), 0, 0, check_abs_path, NULL, false, false },
    { "nfs", "backend", KEY_STRING, CFG(nfs_backend), 0, 0, check_nfs_backend, NULL, false, false },
    { "nfs", "exports", KEY_STRING, CFG(nfs_exports), 0, 0, check_abs_path, NULL, false, false },
    { "nfs", "ganesha_pidfile", KEY_STRING, CFG(nfs_ganesha_pidfile), 0, 0, check_abs_path, NULL,
      false, false },
    { "images", "keep_previous", KEY_SECONDS, CFG(image_keep_previous_s), 1, 31536000, NULL, NULL,
      false, false },
    { "api", "socket", KEY_STRING, CFG(api_socket), 0, 0, check_abs_path, NULL, false, false },
    { "api", "group", KEY_STRING, CFG(api_group), 0, 0, NULL, NULL, false, false },
    { "api", "mode", KEY_CUSTOM, 0, 0, 0, 0, NULL, parse_file_mode, false, false },
    { "api", "listen", KEY_STRING, CFG(api_listen), 0, 0, check_endpoint, NULL, false, false },
    { "api", "tls_cert", KEY_STRING, CFG(api_tls_cert), 0, 0, check_abs_path, NULL, false, false },
    { "api", "tls_key", KEY_STRING, CFG(api_tls_key), 0, 0, check_abs_path, NULL, false, false },
    { "api", "key_burst", KEY_UINT, CFG(api_key_burst), 1, 100000, NULL, NULL, false, false },
    { "api", "key_rate", KEY_UINT, CFG(api_key_rate), 1, 100000, NULL, NULL, false, false },
    { "api", "power_burst", KEY_UINT, CFG(api_power_burst), 1, 1000, NULL, NULL, false, false },
    { "api", "power_interval", KEY_MS, CFG(api_power_interval_ms), 100, 86400000, NULL, NULL, false,
      false },
    { "api", "login_burst", KEY_UINT, CFG(api_login_burst), 1, 1000, NULL, NULL, false, false },
    { "api", "login_interval", KEY_MS, CFG(api_login_interval_ms), 100, 86400000, NULL, NULL, false,
      false },
    { "metrics", "listen", KEY_STRING, CFG(metrics_listen), 0, 0, check_endpoint, NULL, false,
      false },
    { "dhcp", "lease_time", KEY_SECONDS, CFG(lease_time_s), 60, 31536000, NULL, NULL, false,
      false },
    { "dhcp", "pi3_second_offer", KEY_BOOL, CFG(pi3_second_offer), 0, 0, NULL, NULL, false, false },
    { "dhcp", "reply_delay", KEY_MS, CFG(reply_delay_ms), 0, 5000, NULL, NULL, false, false },
    { "tftp", "port", KEY_UINT, CFG(tftp_port), 1, 65535, NULL, NULL, false, false },
    { "tftp", "max_transfers", KEY_UINT, CFG(tftp_max_transfers), 1, 65536, NULL, NULL, false,
      false },
    { "tftp", "timeout", KEY_MS, CFG(tftp_timeout_ms), 100, 255000, NULL, NULL, false, false },
    { "tftp", "prefix", KEY_STRING, CFG(tftp_prefix), 0, 0, check_label, NULL, false, false },
    { "power", "hold", KEY_MS, CFG(power_hold_ms), 0, 600000, NULL, NULL, false, false },
    { "power", "stagger", KEY_MS, CFG(power_stagger_ms), 0, 600000, NULL, NULL, false, false },
    { "power", "max_booting", KEY_UINT, CFG(power_max_booting), 1, 4096, NULL, NULL, false, false },
    { "power", "max_booting_pi3", KEY_UINT, CFG(power_max_booting_pi3), 0, 4096, NULL, NULL, false,
      false },
    { "power", "max_booting_pi4", KEY_UINT, CFG(power_max_booting_pi4), 0, 4096, NULL, NULL, false,
      false },
    { "power", "max_booting_pi5", KEY_UINT, CFG(power_max_booting_pi5), 0, 4096, NULL, NULL, false,
      false },
    { "bringup", "dhcp_deadline", KEY_MS, CFG(bringup_dhcp_deadline_ms), 1000, 600000, NULL, NULL,
      false, false },
    { "bringup", "serial_deadline", KEY_MS, CFG(bringup_serial_deadline_ms), 0, 600000, NULL, NULL,
      false, false },
    { "power", "profiles", KEY_STRING, CFG(power_profiles), 0, 0, check_abs_path, NULL, false,
      false },
    { "health", "port", KEY_UINT, CFG(health_port), 1, 65535, NULL, NULL, false, false },
    { "health", "interval", KEY_SECONDS, CFG(health_interval_s), 1, 86400, NULL, NULL, false,
      false },
    { "health", "boot_timeout", KEY_SECONDS, CFG(boot_timeout_s), 5, 3600, NULL, NULL, false,
      false },
    { "health", "dhcp_deadline", KEY_SECONDS, CFG(dhcp_deadline_s), 1, 3600, NULL, NULL, false,
      false },
    { "health", "tftp_deadline", KEY_SECONDS, CFG(tftp_deadline_s), 1, 3600, NULL, NULL, false,
      false },
    { "health", "root_deadline", KEY_SECONDS, CFG(root_deadline_s), 1, 3600, NULL, NULL, false,
      false },
    { "health", "up_deadline", KEY_SECONDS, CFG(up_deadline_s), 1, 3600, NULL, NULL, false, false },
    { "health", "probe", KEY_BOOL, CFG(health_probe), 0, 0, NULL, NULL, false, false },
    { "health", "probe_timeout", KEY_MS, CFG(probe_timeout_ms), 100, 60000, NULL, NULL, false,
      false },
    { "health", "unhealthy_after", KEY_UINT, CFG(unhealthy_after), 1, 100, NULL, NULL, false,
      false },
    { "health", "remediation", KEY_BOOL, CFG(remediation), 0, 0, NULL, NULL, false, false },
    { "health", "max_cycles", KEY_UINT, CFG(max_cycles), 0, 100, NULL, NULL, false, false },
    { "health", "power_gap", KEY_SECONDS, CFG(power_gap_s), 0, 86400, NULL, NULL, false, false },
    { "health", "healthy_reset", KEY_SECONDS, CFG(healthy_reset_s), 1, 604800, NULL, NULL, false,
      false },
    { "health", "max_remediating", KEY_UINT, CFG(max_remediating), 1, 4096, NULL, NULL, false,
      false },
    { "health", "switch_check", KEY_SECONDS, CFG(switch_check_s), 0, 3600, NULL, NULL, false,
      false },
    { "store", "events_max_age", KEY_SECONDS, CFG(events_max_age_s), 0, 315360000, NULL, NULL,
      false, false },
    { "store", "events_max_count", KEY_UINT, CFG(events_max_count), 0, 1000000000, NULL, NULL,
      false, false },
    { "store", "traces_max_age", KEY_SECONDS, CFG(traces_max_age_s), 0, 315360000, NULL, NULL,
      false, false },
    { "store", "traces_max_count", KEY_UINT, CFG(traces_max_count), 0, 1000000, NULL, NULL, false,
      false },
    { "daemon", "user", KEY_STRING, CFG(daemon_user), 0, 0, NULL, NULL, false, false },
    { "log", "level", KEY_CUSTOM, 0, 0, 0, 0, NULL, parse_log_level, false, false },
    { NULL, NULL, KEY_STRING, 0, 0, 0, 0, NULL, NULL, false, false },
};

static const struct pr_key switch_keys[] = {
    { NULL, "driver", KEY_CUSTOM, 0, 0, 0, 0, NULL, parse_driver, false, false },
    { NULL, "address", KEY_STRING, SW(address), 0, 0, check_endpoint, NULL, false, false },
    { NULL, "profile", KEY_STRING, SW(profile), 0, 0, check_label, NULL, false, false },
    { NULL, "slots", KEY_CUSTOM, 0, 0, 0, 0, NULL, parse_slot_range, false, false },
    { NULL, "port_base", KEY_UINT, SW(port_base), 0, 100000, NULL, NULL, false, false },
    { NULL, "group", KEY_UINT, SW(group), 0, 1000, NULL, NULL, false, false },
    { NULL, "timeout", KEY_MS, SW(timeout_ms), 100, 120000, NULL, NULL, false, false },
    { NULL, "retries", KEY_UINT, SW(retries), 0, 10, NULL, NULL, false, false },
    { NULL, "snmp_version", KEY_CUSTOM, 0, 0, 0, 0, NULL, parse_snmp_version, false, false },
    { NULL, "community", KEY_STRING, SW(community), 0, 0, NULL, NULL, true, false },
    { NULL, "v3_user", KEY_STRING, SW(v3_user), 0, 0, NULL, NULL, true, false },
    { NULL, "v3_auth_proto", KEY_STRING, SW(v3_auth_proto), 0, 0, check_auth_proto, NULL, false,
      false },
    { NULL, "v3_auth_key", KEY_STRING, SW(v3_auth_key), 0, 0, NULL, NULL, true, false },
    { NULL, "v3_priv_proto", KEY_STRING, SW(v3_priv_proto), 0, 0, check_priv_proto, NULL, false,
      false },
    { NULL, "v3_priv_key", KEY_STRING, SW(v3_priv_key), 0, 0, NULL, NULL, true, false },
    { NULL, "ssh_user", KEY_STRING, SW(ssh_user), 0, 0, NULL, NULL, true, false },
    { NULL, "ssh_password", KEY_STRING, SW(ssh_password), 0, 0, NULL, NULL, true, false },
    { NULL, "enable_password", KEY_STRING, SW(enable_password), 0, 0, NULL, NULL, true, false },
    { NULL, "ssh_key", KEY_STRING, SW(ssh_key), 0, 0, check_abs_path, NULL, true, false },
    { NULL, "hostkey", KEY_STRING, SW(hostkey), 0, 0, NULL, NULL, false, false },
    { NULL, "known_hosts", KEY_STRING, SW(known_hosts), 0, 0, check_abs_path, NULL, false, false },
    { NULL, "credentials", KEY_STRING, SW(credentials), 0, 0, check_abs_path, NULL, false, false },
    { NULL, "power_budget", KEY_UINT, SW(power_budget_w), 0, 100000, NULL, NULL, false, false },
    { NULL, "port_power", KEY_UINT, SW(port_power_w), 1, 100, NULL, NULL, false, false },
    { NULL, "max_varbinds", KEY_UINT, SW(max_varbinds), 1, 128, NULL, NULL, false, false },
    { NULL, NULL, KEY_STRING, 0, 0, 0, 0, NULL, NULL, false, false },
};

/* The first bytes are compared before the strings: a lookup runs for
 * every key of the file, and most of the table differs at once. */
const struct pr_key *pr_config_find_key(const char *section, const char *name)
{
    for (const struct pr_key *k = pr_config_keys; k->name; k++)
        if (k->name[0] == name[0] && k->section[0] == section[0] && !strcmp(k->name, name) &&
            !strcmp(k->section, section))
            return k;
    return NULL;
}

const struct pr_key *pr_config_find_switch_key(const char *name)
{
    for (const struct pr_key *k = switch_keys; k->name; k++)
        if (!strcmp(k->name, name))
            return k;
    return NULL;
}

unsigned pr_config_switch_key_index(const struct pr_key *k)
{
    return (unsigned)(k - switch_keys);
}

bool pr_config_section_known(const char *section)
{
    for (const struct pr_key *k = pr_config_keys; k->name; k++)
        if (k->section[0] == section[0] && !strcmp(k->section, section))
            return true;
    return false;
}

/* ---- whole-file checks ---- */

struct validation {
    const struct pr_config *cfg;
    const int *key_lines;
    int *errors;
    const char *file;
    FILE *errs;
};

static void fail(struct validation *v, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(struct validation *v, int line, const char *fmt, ...)
{
    va_list ap;

    (*v->errors)++;
    if (!v->errs)
        return;
    if (line > 0)
        fprintf(v->errs, "%s:%d: ", v->file, line);
    else
        fprintf(v->errs, "%s: ", v->file);
    va_start(ap, fmt);
    vfprintf(v->errs, fmt, ap);
    va_end(ap);
    fputc('\n', v->errs);
}

/* The line where [section] key was set, 0 when it was not. */
static int line_of(struct validation *v, const char *section, const char *name)
{
    const struct pr_key *k = pr_config_find_key(section, name);

    return k ? v->key_lines[k - pr_config_keys] : 0;
}

/* True when the key was set and valid; reports it missing when unset. */
static bool require(struct validation *v, const char *section, const char *name)
{
    int line = line_of(v, section, name);

    if (line == 0)
        fail(v, 0, "missing [%s] %s", section, name);
    return line > 0;
}

static void check_rack(struct validation *v)
{
    const struct pr_config *cfg = v->cfg;
    bool has_slots = require(v, "rack", "slots");
    bool has_v4 = require(v, "ipv4", "pool"), has_v6 = require(v, "ipv6", "pool");

    require(v, "rack", "name");
    require(v, "rack", "domain");
    if (has_v4 && !pr_prefix4_is_rfc1918(&cfg->v4_pool))
        fail(v, line_of(v, "ipv4", "pool"),
             "pool: the IPv4 pool must be inside RFC 1918 "
             "space (10/8, 172.16/12, 192.168/16): it carries only the boot");
    if (has_v4 && has_slots && pr_plan_v4_capacity(&cfg->v4_pool) < cfg->slots)
        fail(v, line_of(v, "ipv4", "pool"), "pool: /%u holds %llu /30s, too small for %u slots",
             cfg->v4_pool.len, (unsigned long long)pr_plan_v4_capacity(&cfg->v4_pool), cfg->slots);
    if (has_v6 && has_slots && pr_plan_v6_capacity(&cfg->v6_pool) < cfg->slots)
        fail(v, line_of(v, "ipv6", "pool"), "pool: /%u holds %llu /64s, too small for %u slots",
             cfg->v6_pool.len, (unsigned long long)pr_plan_v6_capacity(&cfg->v6_pool), cfg->slots);
    if (has_slots && cfg->ssh_port_base + cfg->slots - 1 > 65535)
        fail(v, line_of(v, "proxy", "ssh_port_base"), "ssh_port_base: ports %u..%u run past 65535",
             cfg->ssh_port_base, cfg->ssh_port_base + cfg->slots - 1);
    if (has_slots) {
        unsigned lo = cfg->ssh_port_base, hi = cfg->ssh_port_base + cfg->slots - 1;

        if ((cfg->proxy_http_port >= lo && cfg->proxy_http_port <= hi) ||
            (cfg->proxy_https_port >= lo && cfg->proxy_https_port <= hi))
            fail(v, line_of(v, "proxy", "ssh_port_base"),
                 "ssh_port_base: ssh ports %u..%u "
                 "overlap the proxy's http or https port",
                 lo, hi);
    }
    if (!cfg->api_tls_cert[0] != !cfg->api_tls_key[0])
        fail(v, line_of(v, "api", cfg->api_tls_cert[0] ? "tls_cert" : "tls_key"),
             "%s: tls_cert and tls_key go together", cfg->api_tls_cert[0] ? "tls_cert" : "tls_key");
    if (cfg->api_tls_cert[0] && !cfg->api_listen[0])
        fail(v, line_of(v, "api", "tls_cert"),
             "tls_cert: there is no [api] listen to serve TLS on");
    if (cfg->proxy_api_cert[0] && !cfg->api_listen[0])
        fail(v, line_of(v, "proxy", "api_cert"),
             "api_cert: the customer API's route needs [api] listen");
}

static void check_interface(struct validation *v)
{
    const struct pr_config *cfg = v->cfg;
    int line = line_of(v, "rack", "interface");
    struct pr_plan plan;
    char why[256];

    if (!cfg->isolated) {
        if (!line)
            fail(v, line_of(v, "rack", "mode"),
                 "mode: flat mode needs [rack] interface, "
                 "the one shared interface");
        else if (strchr(cfg->interface, '%'))
            fail(v, line, "interface: in flat mode this is one interface name, not a pattern");
        return;
    }
    pr_config_plan(cfg, &plan);
    plan.slots = plan.slots ? plan.slots : 1;
    plan.v4_pool.len = 0; /* only the pattern is checked here */
    plan.v6_pool.len = 0;
    plan.ssh_port_base = 1;
    if (pr_plan_check(&plan, why, sizeof(why)) < 0)
        fail(v, line, "interface: %s", why);
}

/* VLANs are made only in isolated mode, under a parent, with ids 1..4094;
 * the kernel's own protocol numbers (0..4: unspec, redirect, kernel, boot,
 * static) would let pirackd delete routes it did not make. */
static void check_net(struct validation *v)
{
    const struct pr_config *cfg = v->cfg;
    int line = line_of(v, "net", "create_vlans");

    if (cfg->route_protocol <= 4)
        fail(v, line_of(v, "net", "route_protocol"),
             "route_protocol: %u belongs to the "
             "kernel or to static routes; pick a number above 4 (default 196)",
             cfg->route_protocol);
    if (!cfg->create_vlans)
        return;
    if (!cfg->isolated)
        fail(v, line, "create_vlans: VLANs are made only in isolated mode");
    if (!cfg->vlan_parent[0])
        fail(v, line, "create_vlans: needs [net] vlan_parent, the link that carries them");
    if (cfg->slots && cfg->vlan_base + cfg->slots - 1 > 4094)
        fail(v, line_of(v, "net", "vlan_base"), "vlan_base: VLAN ids %u..%u run past 4094",
             cfg->vlan_base, cfg->vlan_base + cfg->slots - 1);
}

static void check_addresses(struct validation *v)
{
    const struct pr_config *cfg = v->cfg;
    struct in6_addr a6;
    struct in_addr a4;

    for (unsigned i = 0; i < cfg->n_dns; i++)
        if (pr_prefix6_contains(&cfg->v6_pool, &cfg->dns[i]) && cfg->v6_pool.len)
            fail(v, line_of(v, "ipv6", "dns"), "dns: a resolver inside the Pi pool would be a Pi");
    if (cfg->proxy_ipv6[0] && inet_pton(AF_INET6, cfg->proxy_ipv6, &a6) == 1 && cfg->v6_pool.len &&
        pr_prefix6_contains(&cfg->v6_pool, &a6))
        fail(v, line_of(v, "proxy", "ipv6"), "ipv6: the proxy's address overlaps the Pi pool");
    if (cfg->proxy_ipv4[0] && inet_pton(AF_INET, cfg->proxy_ipv4, &a4) == 1 && cfg->v4_pool.len) {
        struct pr_prefix4 p = { a4, 32 };

        if (pr_prefix4_overlap(&p, &cfg->v4_pool))
            fail(v, line_of(v, "proxy", "ipv4"),
                 "ipv4: the proxy's address overlaps the boot pool");
    }
}

static void check_switch_credentials(struct validation *v, const struct pr_switch_config *sw)
{
    if (sw->driver == PR_SWITCH_SNMP && sw->snmp_version == 2 && !sw->community[0])
        fail(v, sw->line, "[switch %s]: SNMP v2c needs community", sw->name);
    if (sw->driver == PR_SWITCH_SNMP && sw->snmp_version == 3) {
        if (!sw->v3_user[0])
            fail(v, sw->line, "[switch %s]: SNMP v3 needs v3_user", sw->name);
        if (strlen(sw->v3_auth_key) < 8 || strlen(sw->v3_priv_key) < 8)
            fail(v, sw->line,
                 "[switch %s]: SNMP v3 authPriv needs v3_auth_key and "
                 "v3_priv_key of at least 8 characters",
                 sw->name);
    }
    /* Only a CLI dialog can send it: on an SNMP switch it is a mistake
     * (a section copied from another switch) that would go unnoticed. */
    if (sw->driver != PR_SWITCH_SSH && sw->enable_password[0])
        fail(v, sw->line, "[switch %s]: enable_password is only for driver = ssh", sw->name);
    if (sw->driver == PR_SWITCH_SSH) {
        if (!sw->ssh_user[0])
            fail(v, sw->line, "[switch %s]: ssh needs ssh_user", sw->name);
        if (!sw->ssh_password[0] && !sw->ssh_key[0])
            fail(v, sw->line, "[switch %s]: ssh needs ssh_password or ssh_key", sw->name);
        if (!sw->hostkey[0] && !sw->known_hosts[0])
            fail(v, sw->line,
                 "[switch %s]: ssh needs hostkey or known_hosts: pirackd never "
                 "accepts an unknown host key",
                 sw->name);
        if (!sw->profile[0])
            fail(v, sw->line, "[switch %s]: ssh needs profile (the switch's CLI dialect)",
                 sw->name);
    }
}

static void check_switches(struct validation *v)
{
    const struct pr_config *cfg = v->cfg;

    for (unsigned i = 0; i < cfg->n_switches; i++) {
        const struct pr_switch_config *sw = &cfg->switches[i];

        if (!sw->address[0])
            fail(v, sw->line, "[switch %s]: missing address", sw->name);
        if (!sw->first_slot)
            fail(v, sw->line, "[switch %s]: missing slots (e.g. slots = 1-48)", sw->name);
        else if (cfg->slots && sw->last_slot > cfg->slots)
            fail(v, sw->line, "[switch %s]: slots %u-%u run past the rack's %u slots", sw->name,
                 sw->first_slot, sw->last_slot, cfg->slots);
        if (sw->port_base + (sw->last_slot - sw->first_slot) > 65535)
            fail(v, sw->line, "[switch %s]: switch ports run past 65535", sw->name);
        check_switch_credentials(v, sw);
        for (unsigned j = 0; j < i; j++) {
            const struct pr_switch_config *o = &cfg->switches[j];

            if (sw->first_slot && o->first_slot && sw->first_slot <= o->last_slot &&
                o->first_slot <= sw->last_slot)
                fail(v, sw->line, "[switch %s]: slots %u-%u overlap [switch %s] slots %u-%u",
                     sw->name, sw->first_slot, sw->last_slot, o->name, o->first_slot, o->last_slot);
        }
    }
}

void pr_config_validate(struct pr_config *cfg, const int *key_lines, int *errors, const char *file,
                        FILE *errs)
{
    struct validation v = { cfg, key_lines, errors, file, errs };

    check_rack(&v);
    check_interface(&v);
    check_addresses(&v);
    check_net(&v);
    check_switches(&v);
}
