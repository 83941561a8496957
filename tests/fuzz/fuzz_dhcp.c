/* libFuzzer: the DHCP codec and the server's decision on arbitrary bytes.
 * A decoded message must encode and decode again to the same options, and
 * the server must decide without crashing, in both modes. */
#include <assert.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>

#include "pirack/dhcp.h"
#include "daemon/dhcp/dhcp_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int by_ifname(void *ctx, const char *ifname)
{
    (void)ctx;
    return strcmp(ifname, "pi001") == 0 ? 1 : 0;
}

static int by_mac(void *ctx, const uint8_t mac[6])
{
    (void)ctx;
    return mac[5] & 1; /* half the boards are known */
}

static int info(void *ctx, unsigned slot, struct pr_dhcp_slot_info *out)
{
    (void)ctx;
    (void)slot;
    out->pi.s_addr = inet_addr("10.0.0.2");
    out->host.s_addr = inet_addr("10.0.0.1");
    out->mask.s_addr = inet_addr("255.255.255.252");
    return 0;
}

static void check_round_trip(const struct pr_dhcp_msg *m)
{
    static uint8_t buf[4096];
    static struct pr_dhcp_msg back;
    int n = pr_dhcp_encode(m, buf, sizeof buf);
    assert(n >= PR_DHCP_MIN_REPLY);
    if ((size_t)n > PR_DHCP_MAX_LEN)
        return; /* options split in 255s can grow */
    assert(pr_dhcp_decode(buf, (size_t)n, &back, NULL) == 0);
    assert(back.n_opts == m->n_opts);
    for (unsigned i = 0; i < m->n_opts; i++) {
        size_t len = 0;
        const uint8_t *v = pr_dhcp_opt_get(&back, m->opts[i].code, &len);
        assert(v && len == m->opts[i].len);
        assert(memcmp(v, m->data + m->opts[i].off, len) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct pr_dhcp_msg m;
    static struct pr_dhcp_decision d;
    enum pr_dhcp_drop why;
    if (pr_dhcp_decode(data, size, &m, &why) == 0) {
        check_round_trip(&m);
        (void)pr_pi_model_detect(&m);
    } else {
        assert(why != PR_DROP_NONE);
    }
    struct pr_dhcp_lookup lk = { by_ifname, by_mac, info, NULL };
    struct pr_dhcp_server_cfg cfg = { .isolated = true,
                                      .lease_time_s = 600,
                                      .pi3_second_offer = true };
    pr_dhcp_handle(&cfg, &lk, "pi001", data, size, &d);
    if (d.action == PR_DHCP_ACT_REPLY) {
        assert(d.reply_len >= PR_DHCP_MIN_REPLY && d.reply_len <= sizeof d.reply);
        assert(pr_dhcp_decode(d.reply, d.reply_len, &m, NULL) == 0);
    }
    cfg.isolated = false;
    pr_dhcp_handle(&cfg, &lk, "eth0", data, size, &d);
    return 0;
}
