/* net: desired state from the plan, the diff against the kernel, and the
 * exact netlink messages (addresses, routes, VLAN links). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <cmocka.h>
#include "daemon/net/net_internal.h"

/* Slot N as the plan makes it: 10.40.0.0/22, 2001:db8:40::/48, pi%03u. */
static struct pr_slot_plan slot(unsigned n, bool isolated)
{
    struct pr_slot_plan sp = { .slot = n };
    char buf[64];
    snprintf(buf, sizeof(buf), "10.40.0.%u", (n - 1) * 4);
    inet_pton(AF_INET, buf, &sp.v4_net);
    snprintf(buf, sizeof(buf), "10.40.0.%u", (n - 1) * 4 + 1);
    inet_pton(AF_INET, buf, &sp.v4_host);
    snprintf(buf, sizeof(buf), "10.40.0.%u", (n - 1) * 4 + 2);
    inet_pton(AF_INET, buf, &sp.v4_pi);
    snprintf(buf, sizeof(buf), "2001:db8:40:%x::", n - 1);
    inet_pton(AF_INET6, buf, &sp.v6_net);
    snprintf(buf, sizeof(buf), "2001:db8:40:%x::1", n - 1);
    inet_pton(AF_INET6, buf, &sp.v6_host);
    snprintf(buf, sizeof(buf), "2001:db8:40:%x::2", n - 1);
    inet_pton(AF_INET6, buf, &sp.v6_pi);
    if (isolated)
        snprintf(sp.ifname, sizeof(sp.ifname), "pi%03u", n);
    return sp;
}

static const char *fmt(const struct pr_net_item *it)
{
    static char buf[4][160];
    static int i;
    i = (i + 1) % 4;
    return pr_net_item_format(it, buf[i], sizeof(buf[i]));
}

static const struct pr_net_settings isolated = { .isolated = true,
                                                 .protocol = 196,
                                                 .metric = 1024 };

static void test_desired_isolated(void **state)
{
    (void)state;
    struct pr_slot_plan sp[2] = { slot(1, true), slot(2, true) };
    struct pr_net_list *l = pr_net_list_new();
    assert_int_equal(pr_net_desired(sp, 2, &isolated, l), 0);
    assert_int_equal(pr_net_list_count(l), 8);
    /* Addresses first, so a route never waits for its interface's address;
     * fe80::1 on every slot link is the Pis' gateway. */
    assert_string_equal(fmt(pr_net_list_get(l, 0)), "addr 10.40.0.1/30 dev pi001");
    assert_string_equal(fmt(pr_net_list_get(l, 1)), "addr 2001:db8:40::1/64 dev pi001");
    assert_string_equal(fmt(pr_net_list_get(l, 2)), "addr fe80::1/64 dev pi001");
    assert_string_equal(fmt(pr_net_list_get(l, 3)), "addr 10.40.0.5/30 dev pi002");
    assert_string_equal(fmt(pr_net_list_get(l, 4)), "addr 2001:db8:40:1::1/64 dev pi002");
    assert_string_equal(fmt(pr_net_list_get(l, 5)), "addr fe80::1/64 dev pi002");
    assert_string_equal(fmt(pr_net_list_get(l, 6)), "route 2001:db8:40::/64 dev pi001 metric 1024");
    assert_string_equal(fmt(pr_net_list_get(l, 7)),
                        "route 2001:db8:40:1::/64 dev pi002 metric 1024");
    assert_int_equal(pr_net_list_get(l, 7)->slot, 2);
    pr_net_list_free(l);
}

static void test_desired_flat(void **state)
{
    (void)state;
    struct pr_slot_plan sp[2] = { slot(1, false), slot(2, false) };
    struct pr_net_settings s = {
        .isolated = false, .shared_if = "rack0", .protocol = 196, .metric = 512
    };
    struct pr_net_list *l = pr_net_list_new();
    assert_int_equal(pr_net_desired(sp, 2, &s, l), 0);
    /* One shared link: fe80::1 once, then each slot's addresses. */
    assert_int_equal(pr_net_list_count(l), 7);
    assert_string_equal(fmt(pr_net_list_get(l, 0)), "addr fe80::1/64 dev rack0");
    assert_string_equal(fmt(pr_net_list_get(l, 3)), "addr 10.40.0.5/30 dev rack0");
    assert_string_equal(fmt(pr_net_list_get(l, 5)), "route 2001:db8:40::/64 dev rack0 metric 512");

    pr_net_list_clear(l);
    s.route_via_pi = true;
    assert_int_equal(pr_net_desired(sp, 2, &s, l), 0);
    assert_string_equal(fmt(pr_net_list_get(l, 6)),
                        "route 2001:db8:40:1::/64 via 2001:db8:40:1::2 dev rack0 metric 512");

    /* Flat mode needs its interface; an isolated slot needs its name. */
    pr_net_list_clear(l);
    s.shared_if[0] = '\0';
    assert_int_equal(pr_net_desired(sp, 2, &s, l), -EINVAL);
    assert_int_equal(pr_net_desired(sp, 2, &isolated, l), -EINVAL);
    pr_net_list_free(l);
}

static void test_diff_restart_and_removed_slot(void **state)
{
    (void)state;
    struct pr_slot_plan sp[3] = { slot(1, true), slot(2, true), slot(3, true) };
    struct pr_net_list *want = pr_net_list_new(), *have = pr_net_list_new();
    struct pr_net_list *add = pr_net_list_new(), *del = pr_net_list_new();

    /* The kernel holds slots 1..3 (a previous run); the config now has 2. */
    assert_int_equal(pr_net_desired(sp, 3, &isolated, have), 0);
    assert_int_equal(pr_net_desired(sp, 2, &isolated, want), 0);
    /* The kernel lost slot 2's route, and holds slot 1's at another metric. */
    struct pr_net_item odd = *pr_net_list_get(have, 9);
    odd.metric = 100;
    assert_int_equal(pr_net_list_add(have, &odd), 0);
    for (size_t i = 0; i < pr_net_list_count(have); i++) {
        struct pr_net_item *it = pr_net_list_at(have, i);
        it->slot = 0; /* the kernel does not know slots */
        it->ifindex = 10 + (int)i;
        if (it->kind == PR_NET_ROUTE && strcmp(it->ifname, "pi002") == 0)
            it->metric = 7;
    }

    assert_int_equal(pr_net_diff(want, have, add, del), 0);
    /* Deletions: routes first, then addresses. */
    assert_int_equal(pr_net_list_count(del), 6);
    assert_string_equal(fmt(pr_net_list_get(del, 0)),
                        "route 2001:db8:40:1::/64 dev pi002 metric 7");
    assert_string_equal(fmt(pr_net_list_get(del, 1)),
                        "route 2001:db8:40:2::/64 dev pi003 metric 1024");
    assert_string_equal(fmt(pr_net_list_get(del, 2)),
                        "route 2001:db8:40::/64 dev pi001 metric 100");
    assert_string_equal(fmt(pr_net_list_get(del, 3)), "addr 10.40.0.9/30 dev pi003");
    assert_string_equal(fmt(pr_net_list_get(del, 4)), "addr 2001:db8:40:2::1/64 dev pi003");
    assert_string_equal(fmt(pr_net_list_get(del, 5)), "addr fe80::1/64 dev pi003");
    assert_int_equal(pr_net_list_count(add), 1);
    assert_string_equal(fmt(pr_net_list_get(add, 0)),
                        "route 2001:db8:40:1::/64 dev pi002 metric 1024");

    /* Once applied, nothing is left to do: a restart adds no duplicates. */
    pr_net_list_clear(add);
    pr_net_list_clear(del);
    assert_int_equal(pr_net_diff(want, want, add, del), 0);
    assert_int_equal(pr_net_list_count(add), 0);
    assert_int_equal(pr_net_list_count(del), 0);

    /* A desired list with a repeated item asks for it once. */
    pr_net_list_clear(have);
    assert_int_equal(pr_net_list_add(want, pr_net_list_get(want, 0)), 0);
    assert_int_equal(pr_net_diff(want, have, add, del), 0);
    assert_int_equal(pr_net_list_count(add), 8);

    pr_net_list_free(want);
    pr_net_list_free(have);
    pr_net_list_free(add);
    pr_net_list_free(del);
}

static void test_item_same_checks_everything(void **state)
{
    (void)state;
    struct pr_slot_plan sp = slot(1, true);
    struct pr_net_list *l = pr_net_list_new();
    struct pr_net_settings s = { .isolated = false,
                                 .shared_if = "rack0",
                                 .route_via_pi = true,
                                 .protocol = 196,
                                 .metric = 1024 };
    assert_int_equal(pr_net_desired(&sp, 1, &s, l), 0);
    const struct pr_net_item *rt = pr_net_list_get(l, 3);
    assert_int_equal(rt->kind, PR_NET_ROUTE);
    struct pr_net_item b = *rt;
    assert_true(pr_net_item_same(rt, &b));
    b.gateway.s6_addr[15] = 3;
    assert_false(pr_net_item_same(rt, &b));
    b = *rt;
    snprintf(b.ifname, sizeof(b.ifname), "rack1");
    assert_false(pr_net_item_same(rt, &b));
    b = *rt;
    b.prefixlen = 48;
    assert_false(pr_net_item_same(rt, &b));
    b = *rt;
    b.via = false;
    assert_false(pr_net_item_same(rt, &b));
    /* An address and a route never match, whatever their fields. */
    b = *rt;
    b.kind = PR_NET_ADDR;
    assert_false(pr_net_item_same(rt, &b));
    pr_net_list_free(l);
}

static struct nlmsghdr *parse(struct nl_msg *m, size_t hdrlen, struct nlattr **tb, int max)
{
    struct nlmsghdr *h = nlmsg_hdr(m);
    assert_int_equal(nlmsg_parse(h, (int)hdrlen, tb, max, NULL), 0);
    return h;
}

static void test_addr_messages(void **state)
{
    (void)state;
    struct pr_slot_plan sp = slot(2, true);
    struct pr_net_list *l = pr_net_list_new();
    assert_int_equal(pr_net_desired(&sp, 1, &isolated, l), 0);
    struct pr_net_item v6 = *pr_net_list_get(l, 1), v4 = *pr_net_list_get(l, 0);
    struct nl_msg *m;
    assert_int_equal(pr_net_build_msg(&v6, true, 196, &m), -EINVAL); /* no ifindex */
    v6.ifindex = 7;
    v4.ifindex = 7;

    assert_int_equal(pr_net_build_msg(&v6, true, 196, &m), 0);
    struct nlattr *tb[IFA_MAX + 1];
    struct nlmsghdr *h = parse(m, sizeof(struct ifaddrmsg), tb, IFA_MAX);
    assert_int_equal(h->nlmsg_type, RTM_NEWADDR);
    assert_int_equal(h->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK),
                     NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
    struct ifaddrmsg *ifa = nlmsg_data(h);
    assert_int_equal(ifa->ifa_family, AF_INET6);
    assert_int_equal(ifa->ifa_prefixlen, 64);
    assert_int_equal(ifa->ifa_index, 7);
    assert_non_null(tb[IFA_PROTO]);
    assert_int_equal(nla_get_u8(tb[IFA_PROTO]), 196);
    assert_int_equal(nla_get_u32(tb[IFA_FLAGS]), IFA_F_NOPREFIXROUTE | IFA_F_NODAD);
    assert_int_equal(nla_len(tb[IFA_LOCAL]), 16);
    assert_memory_equal(nla_data(tb[IFA_LOCAL]), &sp.v6_host, 16);
    nlmsg_free(m);

    assert_int_equal(pr_net_build_msg(&v4, true, 200, &m), 0);
    h = parse(m, sizeof(struct ifaddrmsg), tb, IFA_MAX);
    ifa = nlmsg_data(h);
    assert_int_equal(ifa->ifa_prefixlen, 30);
    assert_int_equal(nla_get_u8(tb[IFA_PROTO]), 200);
    /* IPv4 keeps the kernel's /30 prefix route; its broadcast is .7. */
    assert_int_equal(nla_get_u32(tb[IFA_FLAGS]), 0);
    struct in_addr brd;
    inet_pton(AF_INET, "10.40.0.7", &brd);
    assert_memory_equal(nla_data(tb[IFA_BROADCAST]), &brd, 4);
    assert_memory_equal(nla_data(tb[IFA_LOCAL]), &sp.v4_host, 4);
    nlmsg_free(m);

    assert_int_equal(pr_net_build_msg(&v4, false, 196, &m), 0);
    h = parse(m, sizeof(struct ifaddrmsg), tb, IFA_MAX);
    assert_int_equal(h->nlmsg_type, RTM_DELADDR);
    assert_int_equal(h->nlmsg_flags & NLM_F_CREATE, 0);
    nlmsg_free(m);

    assert_int_equal(pr_net_build_msg(&v4, true, 0, &m), -EINVAL);
    assert_int_equal(pr_net_build_msg(&v4, true, 256, &m), -EINVAL);
    pr_net_list_free(l);
}

static void test_route_messages(void **state)
{
    (void)state;
    struct pr_slot_plan sp = slot(3, false);
    struct pr_net_settings s = {
        .shared_if = "rack0", .route_via_pi = true, .protocol = 196, .metric = 1024
    };
    struct pr_net_list *l = pr_net_list_new();
    assert_int_equal(pr_net_desired(&sp, 1, &s, l), 0);
    struct pr_net_item rt = *pr_net_list_get(l, 3);
    assert_int_equal(rt.kind, PR_NET_ROUTE);
    rt.ifindex = 4;
    struct nl_msg *m;
    assert_int_equal(pr_net_build_msg(&rt, true, 196, &m), 0);
    struct nlattr *tb[RTA_MAX + 1];
    struct nlmsghdr *h = parse(m, sizeof(struct rtmsg), tb, RTA_MAX);
    assert_int_equal(h->nlmsg_type, RTM_NEWROUTE);
    struct rtmsg *rtm = nlmsg_data(h);
    assert_int_equal(rtm->rtm_family, AF_INET6);
    assert_int_equal(rtm->rtm_dst_len, 64);
    assert_int_equal(rtm->rtm_protocol, 196);
    assert_int_equal(rtm->rtm_table, RT_TABLE_MAIN);
    assert_int_equal(rtm->rtm_type, RTN_UNICAST);
    /* The Pi's address is reachable only through this very route. */
    assert_int_equal(rtm->rtm_flags & RTNH_F_ONLINK, RTNH_F_ONLINK);
    assert_memory_equal(nla_data(tb[RTA_DST]), &sp.v6_net, 16);
    assert_memory_equal(nla_data(tb[RTA_GATEWAY]), &sp.v6_pi, 16);
    assert_int_equal(nla_get_u32(tb[RTA_OIF]), 4);
    assert_int_equal(nla_get_u32(tb[RTA_PRIORITY]), 1024);
    nlmsg_free(m);

    rt.via = false;
    assert_int_equal(pr_net_build_msg(&rt, false, 196, &m), 0);
    h = parse(m, sizeof(struct rtmsg), tb, RTA_MAX);
    assert_int_equal(h->nlmsg_type, RTM_DELROUTE);
    rtm = nlmsg_data(h);
    /* Deletion names the protocol, so the kernel never drops another's route. */
    assert_int_equal(rtm->rtm_protocol, 196);
    assert_null(tb[RTA_GATEWAY]);
    assert_int_equal(rtm->rtm_flags & RTNH_F_ONLINK, 0);
    nlmsg_free(m);
    pr_net_list_free(l);
}

static void test_vlan_message(void **state)
{
    (void)state;
    struct pr_slot_plan sp = slot(5, true);
    struct pr_net_vlan v;
    assert_int_equal(pr_net_vlan_for_slot(&sp, 2, 100, &v), 0);
    assert_int_equal(v.id, 104);
    assert_string_equal(v.name, "pi005");
    assert_int_equal(pr_net_vlan_for_slot(&sp, 2, 4091, &v), -ERANGE);
    assert_int_equal(pr_net_vlan_for_slot(&sp, 2, 0, &v), -ERANGE);
    assert_int_equal(pr_net_vlan_for_slot(&sp, 2, 4090, &v), 0);
    assert_int_equal(v.id, 4094);

    assert_int_equal(pr_net_vlan_for_slot(&sp, 2, 100, &v), 0);
    struct nl_msg *m;
    assert_int_equal(pr_net_vlan_build_msg(&v, &m), 0);
    struct nlattr *tb[IFLA_MAX + 1];
    struct nlmsghdr *h = parse(m, sizeof(struct ifinfomsg), tb, IFLA_MAX);
    assert_int_equal(h->nlmsg_type, RTM_NEWLINK);
    assert_int_equal(h->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL), NLM_F_CREATE | NLM_F_EXCL);
    struct ifinfomsg *ifi = nlmsg_data(h);
    assert_int_equal(ifi->ifi_flags & IFF_UP, IFF_UP);
    assert_string_equal(nla_get_string(tb[IFLA_IFNAME]), "pi005");
    assert_int_equal(nla_get_u32(tb[IFLA_LINK]), 2);
    assert_string_equal(nla_get_string(tb[IFLA_IFALIAS]), PR_NET_VLAN_ALIAS);
    struct nlattr *li[IFLA_INFO_MAX + 1], *vd[IFLA_VLAN_MAX + 1];
    assert_int_equal(nla_parse_nested(li, IFLA_INFO_MAX, tb[IFLA_LINKINFO], NULL), 0);
    assert_string_equal(nla_get_string(li[IFLA_INFO_KIND]), "vlan");
    assert_int_equal(nla_parse_nested(vd, IFLA_VLAN_MAX, li[IFLA_INFO_DATA], NULL), 0);
    assert_int_equal(nla_get_u16(vd[IFLA_VLAN_ID]), 104);
    nlmsg_free(m);

    v.parent_ifindex = 0;
    assert_int_equal(pr_net_vlan_build_msg(&v, &m), -EINVAL);
}

static void test_list_bounds(void **state)
{
    (void)state;
    struct pr_net_list *l = pr_net_list_new();
    struct pr_net_item it = { .kind = PR_NET_ADDR, .family = AF_INET };
    int rc = 0;
    size_t n = 0;
    while (rc == 0 && n <= PR_NET_MAX_ITEMS) {
        rc = pr_net_list_add(l, &it);
        n++;
    }
    assert_int_equal(rc, -E2BIG);
    assert_int_equal(pr_net_list_count(l), PR_NET_MAX_ITEMS);
    assert_null(pr_net_list_get(l, PR_NET_MAX_ITEMS));
    pr_net_list_free(l);
    pr_net_list_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_desired_isolated),
        cmocka_unit_test(test_desired_flat),
        cmocka_unit_test(test_diff_restart_and_removed_slot),
        cmocka_unit_test(test_item_same_checks_everything),
        cmocka_unit_test(test_addr_messages),
        cmocka_unit_test(test_route_messages),
        cmocka_unit_test(test_vlan_message),
        cmocka_unit_test(test_list_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
