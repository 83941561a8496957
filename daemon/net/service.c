/* net/service: the host side of the plan, reconciled at start, on reload and
 * when a link of the rack changes.  See service.h. */
#include <errno.h>
#include <stdio.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/socket.h>

#include "daemon/daemon.h"
#include "net_internal.h"
#include "netconf_internal.h"
#include "service.h"

#define DEBOUNCE_MS 500
#define MAX_MON_READS 32

struct pr_net_service {
    struct pr_daemon *d;
    struct pr_net *nl;
    struct nl_sock *mon; /* RTNLGRP_LINK notifications */
    struct pr_timer *debounce;
    unsigned last_missing; /* logged when it changes */
    unsigned last_foreign;
    struct pr_net_result last; /* for GET /v1/net */
    uint64_t last_ms;
    unsigned runs;
    unsigned rp_loose; /* slot links without strict rp_filter, last run */
};

/* ---- forwarding ---- */

static int check_forwarding(struct pr_daemon *d)
{
    int on = pr_net_ipv6_forwarding();
    if (on < 0) {
        pr_err("net: cannot read net.ipv6.conf.all.forwarding: %s", strerror(-on));
        return on;
    }
    if (on)
        return 0;
    if (!d->cfg->set_forwarding) {
        /* Not fatal: boot, the proxy on this host and the host's own
         * traffic to the Pis work without it; the world does not. */
        pr_err("net: IPv6 forwarding is off (net.ipv6.conf.all.forwarding = 0): no Pi can "
               "reach the world or be reached from it except through this host; turn it on "
               "with `sysctl -w net.ipv6.conf.all.forwarding=1` or set [net] set_forwarding = yes");
        return 0;
    }
    int rc = pr_net_set_ipv6_forwarding(true);
    if (rc < 0) {
        pr_err("net: cannot turn IPv6 forwarding on: %s", strerror(-rc));
        return rc;
    }
    pr_info("net: turned IPv6 forwarding on (set_forwarding = yes)");
    pr_daemon_event(d, 0, "net.forwarding_on", "pirackd", NULL);
    return 0;
}

/* ---- VLANs ---- */

static int create_missing_vlans(struct pr_net_service *svc, int parent)
{
    struct pr_daemon *d = svc->d;
    for (unsigned s = 1; s <= d->plan.slots; s++) {
        struct pr_slot_plan sp;
        struct pr_net_vlan v;
        int rc = pr_plan_slot(&d->plan, s, &sp);
        if (rc == 0 && pr_net_ifindex(svc->nl, sp.ifname) > 0)
            continue;
        if (rc == 0)
            rc = pr_net_vlan_for_slot(&sp, parent, d->cfg->vlan_base, &v);
        if (rc == 0)
            rc = pr_net_vlan_create(svc->nl, &v);
        if (rc == -EOPNOTSUPP) {
            pr_err("net: cannot make VLAN %s (id %u on %s): this kernel has no 802.1Q "
                   "VLAN support (load the 8021q module)",
                   sp.ifname, v.id, d->cfg->vlan_parent);
            return rc;
        }
        if (rc < 0) {
            pr_err("net: cannot make the VLAN for slot %u (%s): %s", s, sp.ifname, strerror(-rc));
            return rc;
        }
        pr_daemon_event(d, s, "net.vlan_created", "pirackd", "{s:s, s:i, s:s}", "ifname", v.name,
                        "vlan", (int)v.id, "parent", d->cfg->vlan_parent);
    }
    return 0;
}

/* VLANs that pirackd made (by their alias) and the plan no longer has. */
static int delete_stale_vlans(struct pr_net_service *svc)
{
    struct pr_daemon *d = svc->d;
    struct pr_net_list *owned = pr_net_list_new();
    if (!owned)
        return -ENOMEM;
    int rc = pr_net_vlan_list(svc->nl, owned);
    for (size_t i = 0; rc == 0 && i < pr_net_list_count(owned); i++) {
        const char *name = pr_net_list_get(owned, i)->ifname;
        if (d->cfg->create_vlans && pr_plan_slot_by_ifname(&d->plan, name))
            continue;
        int r = pr_net_vlan_delete(svc->nl, name);
        if (r < 0)
            pr_warn("net: cannot delete VLAN %s: %s", name, strerror(-r));
        else
            pr_daemon_event(d, 0, "net.vlan_deleted", "pirackd", "{s:s}", "ifname", name);
    }
    pr_net_list_free(owned);
    return rc;
}

static int reconcile_vlans(struct pr_net_service *svc)
{
    struct pr_daemon *d = svc->d;
    int rc = 0;
    if (d->cfg->create_vlans && d->plan.isolated) {
        int parent = pr_net_ifindex(svc->nl, d->cfg->vlan_parent);
        if (parent < 0) {
            pr_err("net: vlan_parent %s does not exist", d->cfg->vlan_parent);
            return parent;
        }
        rc = create_missing_vlans(svc, parent);
    }
    int r = delete_stale_vlans(svc);
    return rc < 0 ? rc : r;
}

/* ---- addresses and routes ---- */

static int desired_list(const struct pr_daemon *d, struct pr_net_list *out)
{
    struct pr_net_settings s = {
        .isolated = d->plan.isolated,
        .route_via_pi = d->cfg->route_via_pi,
        .protocol = d->cfg->route_protocol,
        .metric = PR_NET_METRIC_DEFAULT,
    };
    snprintf(s.shared_if, sizeof(s.shared_if), "%s", d->cfg->interface);
    struct pr_slot_plan *slots = calloc(d->plan.slots ? d->plan.slots : 1, sizeof(*slots));
    if (!slots)
        return -ENOMEM;
    int rc = 0;
    for (unsigned i = 0; i < d->plan.slots && rc == 0; i++)
        rc = pr_plan_slot(&d->plan, i + 1, &slots[i]);
    if (rc == 0)
        rc = pr_net_desired(slots, d->plan.slots, &s, out);
    free(slots);
    return rc;
}

static void report(struct pr_net_service *svc, const struct pr_net_result *res)
{
    struct pr_daemon *d = svc->d;
    if (res->added || res->removed)
        pr_info("net: %u added, %u removed", res->added, res->removed);
    if (res->failed)
        pr_err("net: %u changes failed; the first, %s: %s", res->failed, res->first_failed,
               strerror(-res->first_error));
    if (res->missing_if != svc->last_missing && res->missing_if)
        pr_warn("net: %u addresses and routes wait for interfaces that do not exist yet",
                res->missing_if);
    svc->last_missing = res->missing_if;
    if (res->foreign != svc->last_foreign && res->foreign)
        pr_warn("net: %u of the plan's addresses or routes exist without pirackd's tag "
                "(protocol %u): someone else placed them; pirackd leaves them alone",
                res->foreign, d->cfg->route_protocol);
    svc->last_foreign = res->foreign;
    if (res->added || res->removed || res->failed)
        pr_daemon_event(d, 0, "net.reconciled", "pirackd", "{s:i, s:i, s:i, s:i, s:i}", "added",
                        (int)res->added, "removed", (int)res->removed, "failed", (int)res->failed,
                        "missing_if", (int)res->missing_if, "foreign", (int)res->foreign);
}

/* ---- the Pis' own configuration ---- */

int pr_net_write_pi_config(struct pr_daemon *d, unsigned slot)
{
    struct pr_slot_plan sp;
    int rc = pr_plan_slot(&d->plan, slot, &sp);
    if (rc < 0)
        return rc;
    char root[PR_PATH_MAX];
    if ((size_t)snprintf(root, sizeof(root), "%s/%03u", d->cfg->root_dir, slot) >= sizeof(root))
        return -ENAMETOOLONG;
    struct pr_netconf nc;
    pr_netconf_from_plan(&sp, NULL, d->cfg->dns, d->cfg->n_dns, &nc);
    rc = pr_netconf_write(root, &nc);
    if (rc > 0)
        pr_daemon_event(d, slot, "net.pi_config_written", "pirackd", "{s:s, s:i}", "root", root,
                        "files", rc);
    return rc;
}

/* Every slot whose root tree exists; a missing one is not made here. */
static void write_pi_configs(struct pr_daemon *d)
{
    for (unsigned s = 1; s <= d->plan.slots; s++) {
        int rc = pr_net_write_pi_config(d, s);
        if (rc < 0 && rc != -ENOENT)
            pr_warn("net: cannot write slot %u's network configuration under %s: %s", s,
                    d->cfg->root_dir, strerror(-rc));
    }
}

/* ---- reverse-path filtering on slot links ---- */

/* Isolated mode: a packet from a slot's /30 must come in on that slot's
 * link, or a Pi that takes another slot's .2 reaches that slot's NFS
 * export and boot files.  Strict reverse-path filtering (1) on each slot
 * link drops such packets in the kernel; [net] rp_filter says whether
 * pirackd sets it ("set", the default), only checks it ("require": a
 * link without it stops the start) or leaves it ("off").  The kernel uses
 * the larger of conf/all and the link's value, so all = 2 (loose, as
 * some distributions ship) makes every link loose whatever pirackd sets.
 * Returns the number of slot links that are not strict. */
static unsigned check_rp_filter(struct pr_daemon *d)
{
    const char *mode = d->cfg->rp_filter[0] ? d->cfg->rp_filter : "set";
    if (!d->plan.isolated || strcmp(mode, "off") == 0)
        return 0;
    bool set = strcmp(mode, "set") == 0;
    int all = pr_net_rp_filter("all");
    unsigned loose = 0;
    for (unsigned s = 1; s <= d->plan.slots; s++) {
        struct pr_slot_plan sp;
        if (pr_plan_slot(&d->plan, s, &sp) < 0 || !if_nametoindex(sp.ifname))
            continue; /* not there yet: set when it appears */
        int v = pr_net_rp_filter(sp.ifname);
        if (set && v != 1 && pr_net_set_rp_filter(sp.ifname, 1) == 0)
            v = 1;
        if (v != 1 || all == 2)
            loose++;
    }
    if (loose)
        pr_err("net: %u slot links lack strict reverse-path filtering (net.ipv4.conf.all."
               "rp_filter = %d; set it to 0 or 1, or [net] rp_filter = off to accept that a Pi "
               "may use another slot's address)",
               loose, all);
    return loose;
}

/* ---- flat mode: each slot's .2 bound to its board's MAC ---- */

/* On one segment, a Pi that takes another slot's .2 (and answers ARP for
 * it) would get that slot's TFTP replies and NFS traffic.  A permanent
 * neighbour entry sends them to the board the store has for the slot
 * whatever ARP says; a slot without a board has none (the kernel learns
 * as usual).  This is no substitute for port security on the switch: a
 * Pi can still take the board's MAC too (docs/configure.md). */
int pr_net_bind_slot(struct pr_daemon *d, unsigned slot)
{
    struct pr_net_service *svc = d->net;
    struct pr_slot_plan sp;
    struct pr_slot_row row;
    uint8_t mac[6];
    if (!svc || d->plan.isolated)
        return 0;
    int ifindex = pr_net_ifindex(svc->nl, d->cfg->interface);
    if (ifindex < 0 || pr_plan_slot(&d->plan, slot, &sp) < 0)
        return ifindex < 0 ? ifindex : -ERANGE;
    if (pr_store_get_slot(d->store, slot, &row) == 0 && row.mac[0] &&
        sscanf(row.mac, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3],
               &mac[4], &mac[5]) == 6) {
        int rc = pr_net_neigh_bind(svc->nl, ifindex, sp.v4_pi, mac);
        if (rc < 0)
            pr_warn("net: cannot bind slot %u's address to %s: %s", slot, row.mac, strerror(-rc));
        return rc;
    }
    return pr_net_neigh_unbind(svc->nl, ifindex, sp.v4_pi);
}

static void bind_slots(struct pr_daemon *d)
{
    for (unsigned s = 1; s <= d->plan.slots; s++)
        pr_net_bind_slot(d, s);
}

int pr_net_reconcile(struct pr_daemon *d)
{
    struct pr_net_service *svc = d->net;
    if (!svc)
        return -ENOTCONN;
    int vrc = reconcile_vlans(svc);
    struct pr_net_list *want = pr_net_list_new();
    if (!want)
        return -ENOMEM;
    int rc = desired_list(d, want);
    if (rc < 0) {
        pr_err("net: cannot lay out the host side: %s", strerror(-rc));
        pr_net_list_free(want);
        return rc;
    }
    struct pr_net_result res;
    rc = pr_net_reconcile_list(svc->nl, want, d->cfg->route_protocol, &res);
    pr_net_list_free(want);
    if (rc < 0 && res.failed == 0)
        pr_err("net: cannot read the kernel's addresses and routes: %s", strerror(-rc));
    report(svc, &res);
    svc->last = res;
    svc->last_ms = pr_now_ms();
    svc->runs++;
    write_pi_configs(d);
    svc->rp_loose = check_rp_filter(d);
    bind_slots(d);
    return vrc < 0 ? vrc : rc;
}

/* ---- link changes ---- */

static bool rack_link(const struct pr_daemon *d, const char *ifname)
{
    if (d->plan.isolated)
        return pr_plan_slot_by_ifname(&d->plan, ifname) != 0 ||
               (d->cfg->create_vlans && strcmp(ifname, d->cfg->vlan_parent) == 0);
    return strcmp(ifname, d->cfg->interface) == 0;
}

static int on_link_msg(struct nl_msg *m, void *arg)
{
    struct pr_net_service *svc = arg;
    struct nlmsghdr *h = nlmsg_hdr(m);
    struct nlattr *tb[IFLA_MAX + 1];
    if ((h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK) ||
        nlmsg_parse(h, sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL) < 0 || !tb[IFLA_IFNAME])
        return NL_OK;
    char name[IF_NAMESIZE];
    nla_strlcpy(name, tb[IFLA_IFNAME], sizeof(name));
    if (rack_link(svc->d, name))
        pr_timer_arm(svc->debounce, DEBOUNCE_MS, 0);
    return NL_OK;
}

static void on_mon_readable(void *ctx, int fd, uint32_t events)
{
    (void)fd;
    (void)events;
    struct pr_net_service *svc = ctx;
    for (int i = 0; i < MAX_MON_READS; i++) {
        int rc = nl_recvmsgs_default(svc->mon);
        if (rc == -NLE_AGAIN)
            break;
        if (rc < 0) {
            /* Lost notifications (socket overrun): look at everything. */
            pr_timer_arm(svc->debounce, DEBOUNCE_MS, 0);
            break;
        }
    }
}

static void on_debounce(void *ctx)
{
    struct pr_net_service *svc = ctx;
    pr_net_reconcile(svc->d);
}

static int open_monitor(struct pr_net_service *svc)
{
    svc->mon = nl_socket_alloc();
    if (!svc->mon)
        return -ENOMEM;
    nl_socket_disable_seq_check(svc->mon);
    nl_socket_modify_cb(svc->mon, NL_CB_VALID, NL_CB_CUSTOM, on_link_msg, svc);
    if (nl_connect(svc->mon, NETLINK_ROUTE) < 0 ||
        nl_socket_add_membership(svc->mon, RTNLGRP_LINK) < 0 ||
        nl_socket_set_nonblocking(svc->mon) < 0)
        return -EIO;
    return pr_loop_add_fd(svc->d->loop, nl_socket_get_fd(svc->mon), EPOLLIN, on_mon_readable, svc);
}

static void service_free(struct pr_net_service *svc)
{
    if (!svc)
        return;
    if (svc->mon) {
        if (nl_socket_get_fd(svc->mon) >= 0)
            pr_loop_del_fd(svc->d->loop, nl_socket_get_fd(svc->mon));
        nl_socket_free(svc->mon);
    }
    pr_timer_free(svc->debounce);
    pr_net_close(svc->nl);
    free(svc);
}

int pr_net_service_start(struct pr_daemon *d)
{
    int rc = check_forwarding(d);
    if (rc < 0)
        return rc;
    struct pr_net_service *svc = calloc(1, sizeof(*svc));
    if (!svc)
        return -ENOMEM;
    svc->d = d;
    rc = pr_net_open(&svc->nl);
    if (rc == 0) {
        svc->debounce = pr_timer_new(d->loop, on_debounce, svc);
        rc = svc->debounce ? open_monitor(svc) : -ENOMEM;
    }
    if (rc < 0) {
        pr_err("net: cannot open netlink: %s", strerror(-rc));
        service_free(svc);
        return rc;
    }
    d->net = svc;
    /* A VLAN the kernel cannot make stops the start: the rack would have
     * no links.  Other failures are logged and retried on the next change. */
    rc = pr_net_reconcile(d);
    bool refuse = svc->rp_loose && strcmp(d->cfg->rp_filter, "require") == 0;
    if (refuse) {
        pr_err("net: [net] rp_filter = require: not starting");
        rc = -EPERM;
    }
    if (refuse || rc == -EOPNOTSUPP || (d->cfg->create_vlans && rc == -ENODEV)) {
        d->net = NULL;
        service_free(svc);
        return rc;
    }
    return 0;
}

int pr_net_service_last(const struct pr_daemon *d, struct pr_net_result *res, uint64_t *at_ms,
                        unsigned *runs)
{
    if (!d->net)
        return -ENOTCONN;
    *res = d->net->last;
    *at_ms = d->net->last_ms;
    *runs = d->net->runs;
    return 0;
}

/* Addresses and routes stay: the Pis keep their network while pirackd
 * restarts, and the next start finds them in place. */
void pr_net_service_stop(struct pr_daemon *d)
{
    service_free(d->net);
    d->net = NULL;
}
