/* The DHCP server's decisions (RFC 2131 section 4.3), as a pure function.
 *
 * Every slot owns exactly one address (its /30's .2), so there is no lease
 * pool: the slot is found from the interface (isolated mode) or the MAC
 * (flat mode), and the answer follows.  Nothing is matched by xid: every
 * Pi 3 sends the same one. */
#include <stddef.h>
#include <string.h>
#include <arpa/inet.h>

#include "pirack/dhcp.h"
#include "dhcp_internal.h"

#define PI3_SECOND_OFFER_MS 1000

static bool addr_eq(struct in_addr a, struct in_addr b)
{
    return a.s_addr == b.s_addr;
}

static void drop(struct pr_dhcp_decision *out, enum pr_dhcp_drop why)
{
    out->action = PR_DHCP_ACT_DROP;
    out->why = why;
}

static bool vendor_is_pxe(const struct pr_dhcp_msg *m)
{
    size_t len = 0;
    const uint8_t *v = pr_dhcp_opt_get(m, PR_OPT_VENDOR_CLASS, &len);
    return v && len >= 9 && memcmp(v, "PXEClient", 9) == 0;
}

static bool is_client_type(uint8_t t)
{
    return t == PR_DHCPDISCOVER || t == PR_DHCPREQUEST || t == PR_DHCPDECLINE ||
           t == PR_DHCPRELEASE || t == PR_DHCPINFORM;
}

/* The slot this packet belongs to: > 0, or 0 with the decision made. */
static unsigned find_slot(const struct pr_dhcp_server_cfg *cfg, const struct pr_dhcp_lookup *lk,
                          const char *ifname, const struct pr_dhcp_msg *req,
                          struct pr_dhcp_decision *out)
{
    int r = cfg->isolated ? lk->slot_by_ifname(lk->ctx, ifname ? ifname : "")
                          : lk->slot_by_mac(lk->ctx, req->chaddr);
    if (r < 0) {
        drop(out, PR_DROP_LOOKUP_FAILED);
        return 0;
    }
    if (r > 0)
        return (unsigned)r;
    if (cfg->isolated) {
        /* the host's other interfaces hear other machines' DHCP: only a
         * Pi (by MAC or PXE vendor class) is news for bring-up */
        drop(out, PR_DROP_NO_SLOT);
        if (pr_pi_mac_is_pi(req->chaddr) || out->rom)
            out->action = PR_DHCP_ACT_SEEN;
    } else {
        drop(out, PR_DROP_UNKNOWN_MAC);
        out->action = PR_DHCP_ACT_SEEN;
    }
    return 0;
}

/* Options every OFFER and ACK carries, in the order the Pi sees them. */
static int add_common_options(struct pr_dhcp_msg *rep, const struct pr_dhcp_slot_info *info,
                              bool with_lease, uint32_t lease_s)
{
    struct in_addr bcast = { info->pi.s_addr | ~info->mask.s_addr };
    int r = pr_dhcp_opt_add_addr(rep, PR_OPT_SERVER_ID, info->host);
    if (r == 0 && with_lease)
        r = pr_dhcp_opt_add_u32(rep, PR_OPT_LEASE_TIME, lease_s);
    if (r == 0)
        r = pr_dhcp_opt_add_addr(rep, PR_OPT_SUBNET_MASK, info->mask);
    if (r == 0)
        r = pr_dhcp_opt_add_addr(rep, PR_OPT_ROUTER, info->host);
    if (r == 0)
        r = pr_dhcp_opt_add_addr(rep, PR_OPT_BROADCAST, bcast);
    return r;
}

/* The Raspberry Pi PXE options: 60 "PXEClient", 97 echoed, 43 the menu. */
static int add_pxe_options(struct pr_dhcp_msg *rep, const struct pr_dhcp_msg *req,
                           const struct pr_dhcp_slot_info *info, enum pr_pi_model model)
{
    uint8_t menu[256];
    int n = pr_pi_pxe_menu(model, info->menu, menu, sizeof menu);
    if (n < 0)
        n = pr_pi_pxe_menu(model, NULL, menu, sizeof menu);
    int r = pr_dhcp_opt_add(rep, PR_OPT_VENDOR_CLASS, "PXEClient", 9);
    size_t len = 0;
    const uint8_t *uuid = pr_dhcp_opt_get(req, PR_OPT_CLIENT_UUID, &len);
    if (r == 0 && uuid)
        r = pr_dhcp_opt_add(rep, PR_OPT_CLIENT_UUID, uuid, len);
    if (r == 0 && n > 0)
        r = pr_dhcp_opt_add(rep, PR_OPT_VENDOR_SPECIFIC, menu, (size_t)n);
    return r;
}

/* RFC 2131 4.1: where a server's reply goes when there is no relay. */
static void set_destination(struct pr_dhcp_decision *out, const struct pr_dhcp_msg *req,
                            const struct pr_dhcp_msg *rep)
{
    bool want_bcast = (req->flags & PR_DHCP_FLAG_BROADCAST) != 0;
    if (rep->type == PR_DHCPNAK || (req->ciaddr.s_addr == 0 && want_bcast)) {
        out->broadcast = true;
        out->dst_ip.s_addr = INADDR_BROADCAST;
        memset(out->dst_mac, 0xff, 6);
        return;
    }
    out->broadcast = false;
    out->dst_ip = req->ciaddr.s_addr ? req->ciaddr : rep->yiaddr;
    memcpy(out->dst_mac, req->chaddr, 6);
}

static void finish_reply(struct pr_dhcp_decision *out, const struct pr_dhcp_msg *req,
                         const struct pr_dhcp_msg *rep)
{
    int n = pr_dhcp_encode(rep, out->reply, sizeof out->reply);
    if (n < 0) {
        drop(out, PR_DROP_BAD_REQUEST);
        return;
    }
    out->reply_len = (size_t)n;
    out->reply_type = rep->type;
    out->action = PR_DHCP_ACT_REPLY;
    out->why = PR_DROP_NONE;
    set_destination(out, req, rep);
}

/* OFFER or ACK of the slot's address (INFORM: ACK without one). */
static void answer(const struct pr_dhcp_server_cfg *cfg, const struct pr_dhcp_msg *req,
                   const struct pr_dhcp_slot_info *info, uint8_t type, bool inform,
                   struct pr_dhcp_decision *out)
{
    struct pr_dhcp_msg rep;
    pr_dhcp_reply_init(&rep, req, type);
    if (inform)
        rep.ciaddr = req->ciaddr;
    else
        rep.yiaddr = info->pi;
    rep.siaddr = info->host; /* the Pi 4 bootloader's TFTP server */
    int r = add_common_options(&rep, info, !inform, cfg->lease_time_s);
    if (r == 0 && out->rom)
        r = add_pxe_options(&rep, req, info, out->model);
    if (r < 0) {
        drop(out, PR_DROP_BAD_REQUEST);
        return;
    }
    out->addr = inform ? req->ciaddr : info->pi;
    finish_reply(out, req, &rep);
}

static void nak(const struct pr_dhcp_msg *req, const struct pr_dhcp_slot_info *info,
                struct pr_dhcp_decision *out)
{
    struct pr_dhcp_msg rep;
    pr_dhcp_reply_init(&rep, req, PR_DHCPNAK);
    pr_dhcp_opt_add_addr(&rep, PR_OPT_SERVER_ID, info->host);
    pr_dhcp_opt_add(&rep, PR_OPT_MESSAGE, "wrong address for this slot", 27);
    finish_reply(out, req, &rep);
}

/* RFC 2131 4.3.2: SELECTING names a server and an address; INIT-REBOOT
 * names only an address; RENEWING/REBINDING carry it in ciaddr. */
static void on_request(const struct pr_dhcp_server_cfg *cfg, const struct pr_dhcp_msg *req,
                       const struct pr_dhcp_slot_info *info, struct pr_dhcp_decision *out)
{
    struct in_addr sid, want;
    bool has_sid = pr_dhcp_opt_addr(req, PR_OPT_SERVER_ID, &sid) == 0;
    bool has_want = pr_dhcp_opt_addr(req, PR_OPT_REQUESTED_IP, &want) == 0;
    bool has_ci = req->ciaddr.s_addr != 0;

    if (has_sid && !addr_eq(sid, info->host)) {
        drop(out, PR_DROP_OTHER_SERVER);
        return;
    }
    /* SELECTING must name the address and must not have one yet */
    if (has_sid && (!has_want || has_ci)) {
        drop(out, PR_DROP_BAD_REQUEST);
        return;
    }
    if (has_want && !has_ci) { /* SELECTING or INIT-REBOOT */
        out->addr = want;
        if (addr_eq(want, info->pi))
            answer(cfg, req, info, PR_DHCPACK, false, out);
        else
            nak(req, info, out);
        return;
    }
    if (has_ci) { /* RENEWING or REBINDING */
        out->addr = req->ciaddr;
        if (addr_eq(req->ciaddr, info->pi))
            answer(cfg, req, info, PR_DHCPACK, false, out);
        else
            nak(req, info, out);
        return;
    }
    drop(out, PR_DROP_BAD_REQUEST);
}

/* RELEASE and DECLINE get no answer; the decision records them. */
static void on_release_decline(const struct pr_dhcp_msg *req, const struct pr_dhcp_slot_info *info,
                               struct pr_dhcp_decision *out)
{
    struct in_addr sid;
    if (pr_dhcp_opt_addr(req, PR_OPT_SERVER_ID, &sid) == 0 && !addr_eq(sid, info->host)) {
        drop(out, PR_DROP_OTHER_SERVER);
        return;
    }
    if (req->type == PR_DHCPRELEASE) {
        out->action = PR_DHCP_ACT_RELEASE;
        out->addr = req->ciaddr;
    } else if (pr_dhcp_opt_addr(req, PR_OPT_REQUESTED_IP, &out->addr) == 0) {
        out->action = PR_DHCP_ACT_DECLINE;
    } else {
        drop(out, PR_DROP_BAD_REQUEST);
    }
}

void pr_dhcp_handle_msg(const struct pr_dhcp_server_cfg *cfg, const struct pr_dhcp_lookup *lk,
                        const char *ifname, const struct pr_dhcp_msg *req,
                        struct pr_dhcp_decision *out)
{
    memset(out, 0, offsetof(struct pr_dhcp_decision, reply));
    out->req_type = req->type;
    memcpy(out->mac, req->chaddr, 6);
    if (req->op != PR_BOOTREQUEST) {
        drop(out, PR_DROP_BAD_OP);
        return;
    }
    if (req->type == PR_DHCP_NONE) {
        drop(out, PR_DROP_NO_TYPE);
        return;
    }
    if (!is_client_type(req->type)) {
        drop(out, PR_DROP_BAD_TYPE);
        return;
    }
    if (req->giaddr.s_addr != 0 || req->hops != 0) {
        drop(out, PR_DROP_RELAYED);
        return;
    }
    out->rom = vendor_is_pxe(req);
    out->model = pr_pi_model_detect(req);

    unsigned slot = find_slot(cfg, lk, ifname, req, out);
    if (slot == 0)
        return;
    out->slot = slot;
    struct pr_dhcp_slot_info info;
    memset(&info, 0, sizeof info);
    if (lk->slot_info(lk->ctx, slot, &info) < 0) {
        drop(out, PR_DROP_LOOKUP_FAILED);
        return;
    }
    if (info.model != PR_PI_UNKNOWN)
        out->model = info.model; /* ops know better */
    out->server = info.host;

    switch (req->type) {
    case PR_DHCPDISCOVER:
        answer(cfg, req, &info, PR_DHCPOFFER, false, out);
        if (out->action == PR_DHCP_ACT_REPLY) {
            out->delay_ms = cfg->reply_delay_ms;
            if (out->model == PR_PI_3B && cfg->pi3_second_offer)
                out->repeat_ms = PI3_SECOND_OFFER_MS;
        }
        break;
    case PR_DHCPREQUEST:
        on_request(cfg, req, &info, out);
        break;
    case PR_DHCPINFORM:
        if (req->ciaddr.s_addr == 0)
            drop(out, PR_DROP_BAD_REQUEST);
        else
            answer(cfg, req, &info, PR_DHCPACK, true, out);
        break;
    default:
        on_release_decline(req, &info, out);
        break;
    }
}

void pr_dhcp_handle(const struct pr_dhcp_server_cfg *cfg, const struct pr_dhcp_lookup *lk,
                    const char *ifname, const uint8_t *pkt, size_t len,
                    struct pr_dhcp_decision *out)
{
    struct pr_dhcp_msg req;
    enum pr_dhcp_drop why;
    if (pr_dhcp_decode(pkt, len, &req, &why) < 0) {
        memset(out, 0, offsetof(struct pr_dhcp_decision, reply));
        drop(out, why);
        return;
    }
    pr_dhcp_handle_msg(cfg, lk, ifname, &req, out);
}
