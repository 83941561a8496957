/* netconf: each Pi's static IPv6 configuration, written into its root tree
 * so that it boots with its address and nothing else to configure.
 *
 * Two forms, for whichever the image uses:
 *   etc/systemd/network/10-pirack.network   (systemd-networkd)
 *   etc/network/interfaces.d/IFNAME         (ifupdown)
 *
 * What they say: Address = PREFIX::2/64 (the plan's), Gateway = fe80::1
 * (the address pirackd puts on every rack link and sends its RAs from, so
 * the static route and the one an RA teaches are the same route, and a new
 * host MAC changes nothing), the resolvers, and accept RAs (their MTU and
 * RDNSS keep applying; A=0 means no SLAAC address).  The IPv4 address came
 * from DHCP at boot and carries the NFS root: networkd is told to keep it
 * (KeepConfiguration=yes) and ifupdown's stanza is inet6 only.
 *
 * Rendering is pure; writing resolves every path beneath the Pi's root with
 * openat2(RESOLVE_IN_ROOT), so a symlink planted in a root tree (the Pi
 * can write it over NFS) cannot send the file outside it. */
#ifndef PIRACK_NETCONF_INTERNAL_H
#define PIRACK_NETCONF_INTERNAL_H

#include <stddef.h>
#include <netinet/in.h>
#include <net/if.h>
#include "pirack/plan.h"

#define PR_NETCONF_MAX_DNS 4
#define PR_NETCONF_MAX_LEN 2048
#define PR_NETCONF_DEFAULT_IF "eth0"
#define PR_NETCONF_NETWORKD_DIR "etc/systemd/network"
#define PR_NETCONF_NETWORKD_FILE "10-pirack.network"
#define PR_NETCONF_IFUPDOWN_DIR "etc/network/interfaces.d"

struct pr_netconf {
    unsigned slot;
    char ifname[IF_NAMESIZE]; /* the Pi's interface */
    struct in6_addr address;  /* PREFIX::2 */
    unsigned prefixlen;       /* 64 */
    struct in6_addr gateway;  /* fe80::1 */
    struct in6_addr dns[PR_NETCONF_MAX_DNS];
    unsigned n_dns;
};

/* Slot sp's configuration on interface ifname (NULL: eth0). */
void pr_netconf_from_plan(const struct pr_slot_plan *sp, const char *ifname,
                          const struct in6_addr *dns, unsigned n_dns, struct pr_netconf *out);

/* Render into buf (NUL-terminated).  Return the length, or -ENOSPC. */
int pr_netconf_render_networkd(const struct pr_netconf *nc, char *buf, size_t len);
int pr_netconf_render_ifupdown(const struct pr_netconf *nc, char *buf, size_t len);

/* Writes both files beneath pi_root (the Pi's root tree, which must
 * exist), making the directories they need.  Each file is replaced
 * atomically (temp file, fsync, rename) and only when its content
 * changed.  Returns the number of files written (0..2), or -errno. */
int pr_netconf_write(const char *pi_root, const struct pr_netconf *nc);

#endif
