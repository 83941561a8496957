/* net: the host side of the address plan, kept in the kernel with libnl-3.
 *
 * For every slot the host holds its /30's .1 and its /64's ::1, and a route
 * for the /64; every rack link also carries fe80::1 (PR_NET_GATEWAY_LL), the
 * gateway that the Pis' static configuration names and the source of the
 * router advertisements, the same whatever the host's MAC address:
 *   - isolated mode: both addresses on the slot's own interface, the /64
 *     routed on-link there;
 *   - flat mode: every address on the one shared interface, each /64 routed
 *     on-link there, or via the Pi (PREFIX::2, "onlink") when route_via_pi.
 *
 * Ownership.  pirackd touches only what it tagged: routes whose protocol
 * (rtm_protocol) is its own number and addresses whose IFA_PROTO (Linux
 * 6.1+) is the same number.  PR_NET_RTPROT_DEFAULT is 196; name it for
 * iproute2 with `echo "196 pirack" > /etc/iproute2/rt_protos.d/pirack.conf`.
 * The IPv6 addresses carry IFA_F_NOPREFIXROUTE so that the /64 route is the
 * tagged one and never a second, kernel-made copy; they carry IFA_F_NODAD
 * because the plan already makes them unique.  IPv4 keeps the kernel's own
 * /30 prefix route (proto kernel), which goes with the address.
 *
 * The pure half (this header's list, desired-state, diff and message
 * builders) needs no kernel and is what the unit tests drive; the edge
 * (pr_net_open and friends, daemon/net/netlink.c) talks netlink. */
#ifndef PIRACK_NET_INTERNAL_H
#define PIRACK_NET_INTERNAL_H

#include "service.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <net/if.h>
#include "pirack/plan.h"

#define PR_NET_RTPROT_DEFAULT 196
#define PR_NET_METRIC_DEFAULT 1024  /* the kernel's default for IPv6 */
#define PR_NET_MAX_ITEMS 65536      /* a bound on what one dump may hold */
#define PR_NET_VLAN_ALIAS "pirack"  /* IFLA_IFALIAS of the VLANs it made */
#define PR_NET_GATEWAY_LL "fe80::1" /* on every rack link */

enum pr_net_kind {
    PR_NET_ADDR,
    PR_NET_ROUTE
};

/* One address or one route. */
struct pr_net_item {
    enum pr_net_kind kind;
    int family; /* AF_INET or AF_INET6 */
    char ifname[IF_NAMESIZE];
    int ifindex; /* 0 until resolved by the edge */
    union {
        struct in_addr v4;
        struct in6_addr v6;
    } addr; /* the address, or the route's destination */
    unsigned prefixlen;
    bool via; /* routes: through gateway (onlink) */
    struct in6_addr gateway;
    unsigned metric; /* routes */
    unsigned slot;   /* 0 when not known (read from the kernel) */
};

/* How the host side is laid out. */
struct pr_net_settings {
    bool isolated;
    char shared_if[IF_NAMESIZE]; /* flat mode */
    bool route_via_pi;           /* flat mode: /64 via PREFIX::2 */
    unsigned protocol;           /* route and address protocol, 1..255 */
    unsigned metric;
};

/* A growable list of items (at most PR_NET_MAX_ITEMS). */
struct pr_net_list;
struct pr_net_list *pr_net_list_new(void);
void pr_net_list_free(struct pr_net_list *l); /* accepts NULL */
void pr_net_list_clear(struct pr_net_list *l);
void pr_net_list_pop(struct pr_net_list *l); /* drops the last item */
size_t pr_net_list_count(const struct pr_net_list *l);
const struct pr_net_item *pr_net_list_get(const struct pr_net_list *l, size_t i);
struct pr_net_item *pr_net_list_at(struct pr_net_list *l, size_t i);
/* Returns 0, -ENOMEM, or -E2BIG past PR_NET_MAX_ITEMS. */
int pr_net_list_add(struct pr_net_list *l, const struct pr_net_item *it);

/* Two items name the same kernel object (same kind, family, interface,
 * address or destination and length; for routes also gateway and metric). */
bool pr_net_item_same(const struct pr_net_item *a, const struct pr_net_item *b);

/* Writes "addr 2001:db8::1/64 dev pi001" or "route 2001:db8::/64 via
 * 2001:db8::2 dev eth1 metric 1024" into out.  Returns out. */
char *pr_net_item_format(const struct pr_net_item *it, char *out, size_t outlen);

/* Appends the desired addresses and routes for n slots (from pr_plan_slot)
 * to out, addresses first: per slot .1/30 and ::1/64, per link fe80::1/64
 * (once in flat mode), then the /64 routes.  Returns 0, -EINVAL (flat mode without a shared
 * interface, isolated slot without a name), or an error of the list. */
int pr_net_desired(const struct pr_slot_plan *slots, size_t n, const struct pr_net_settings *s,
                   struct pr_net_list *out);

/* What turns actual into desired: del gets every actual item that no
 * desired item matches (routes first, then addresses), add every desired
 * item that no actual item matches (addresses first, then routes). */
int pr_net_diff(const struct pr_net_list *desired, const struct pr_net_list *actual,
                struct pr_net_list *add, struct pr_net_list *del);

/* Message builders (libnl struct nl_msg, freed with nlmsg_free).  The item
 * must have its ifindex.  add: RTM_NEWADDR / RTM_NEWROUTE with NLM_F_CREATE
 * | NLM_F_EXCL; otherwise RTM_DELADDR / RTM_DELROUTE.  Returns 0, -EINVAL,
 * or -ENOMEM. */
struct nl_msg;
int pr_net_build_msg(const struct pr_net_item *it, bool add, unsigned protocol,
                     struct nl_msg **out);

/* VLANs (isolated mode, create_vlans = yes). */
struct pr_net_vlan {
    char name[IF_NAMESIZE];
    int parent_ifindex;
    uint16_t id; /* 1..4094 */
    unsigned slot;
};
/* Slot N's VLAN: id base + N - 1, named as the plan names the slot's
 * interface.  Returns 0, or -ERANGE when the id leaves 1..4094. */
int pr_net_vlan_for_slot(const struct pr_slot_plan *sp, int parent_ifindex, unsigned vlan_base,
                         struct pr_net_vlan *out);
/* RTM_NEWLINK for a vlan link (rtnl_link_vlan_*), up, with IFLA_IFALIAS
 * PR_NET_VLAN_ALIAS so that a later run knows it made it. */
int pr_net_vlan_build_msg(const struct pr_net_vlan *v, struct nl_msg **out);

/* ---- the netlink edge (daemon/net/netlink.c) ---- */

struct pr_net;
int pr_net_open(struct pr_net **out);
void pr_net_close(struct pr_net *n); /* accepts NULL */

/* Interface index of name: > 0, or -ENODEV. */
int pr_net_ifindex(struct pr_net *n, const char *name);

/* Appends every address and main-table route tagged with protocol to out,
 * with ifname and ifindex filled in. */
int pr_net_dump(struct pr_net *n, unsigned protocol, struct pr_net_list *out);

/* Adds or deletes one item (its ifindex set).  Returns 0 or -errno. */
int pr_net_apply(struct pr_net *n, const struct pr_net_item *it, bool add, unsigned protocol);

/* Creates the VLAN link.  -EEXIST when a link has the name;
 * -EOPNOTSUPP when the kernel has no 8021q. */
int pr_net_vlan_create(struct pr_net *n, const struct pr_net_vlan *v);
/* Deletes the link ifname if it carries PR_NET_VLAN_ALIAS (else -EPERM). */
int pr_net_vlan_delete(struct pr_net *n, const char *ifname);
/* Names of links with PR_NET_VLAN_ALIAS, appended to out as items
 * (kind PR_NET_ADDR, only ifname and ifindex meaningful). */
int pr_net_vlan_list(struct pr_net *n, struct pr_net_list *out);

/* Sets IPv6 forwarding (net.ipv6.conf.all.forwarding of this network
 * namespace; pr_net_ipv6_forwarding() in service.h reads it). */
int pr_net_set_ipv6_forwarding(bool on);
/* net.ipv4.conf.IFNAME.rp_filter ("all" for the host-wide one): 0 off,
 * 1 strict, 2 loose; the kernel uses the larger of "all" and the link's.
 * Returns the value or -errno. */
int pr_net_rp_filter(const char *ifname);
int pr_net_set_rp_filter(const char *ifname, int mode);
/* A permanent neighbour entry addr -> mac on ifindex (replacing what the
 * kernel learnt), or its removal (none is fine).  0 or -errno. */
int pr_net_neigh_bind(struct pr_net *n, int ifindex, struct in_addr addr, const uint8_t mac[6]);
int pr_net_neigh_unbind(struct pr_net *n, int ifindex, struct in_addr addr);

/* Makes the kernel match desired: dumps what carries protocol, diffs, and
 * applies (deletions first).  Items whose interface does not exist are
 * counted in missing_if and left for the next run; an address or route
 * that exists without pirackd's tag is counted in foreign and left alone.  Returns 0 when every
 * action succeeded, else the first -errno (the result says which). */
int pr_net_reconcile_list(struct pr_net *n, const struct pr_net_list *desired, unsigned protocol,
                          struct pr_net_result *res);

#endif
