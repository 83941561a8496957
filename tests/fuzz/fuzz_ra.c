/* libFuzzer: router solicitations (the bytes that reach pirackd from a
 * Pi's link) and the RA encoder driven by arbitrary parameters and buffer
 * sizes.  Input: byte 0 picks the source (bit 0: unspecified) and the hop
 * limit (bit 1: 254 instead of 255); the rest is the ICMPv6 message. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "daemon/net/ra_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void encode_from(const uint8_t *data, size_t size)
{
    struct pr_ra_params p;
    pr_ra_params_init(&p, size ? data[0] : 0);
    if (size < 4)
        return;
    p.n_prefixes = data[1] % (PR_RA_MAX_PREFIXES + 2);
    p.n_rdnss = data[2] % (PR_RA_MAX_RDNSS + 2);
    p.has_lladdr = data[3] & 1;
    p.mtu = data[3] & 2 ? 1500 : 0;
    for (unsigned i = 0; i < PR_RA_MAX_PREFIXES; i++)
        p.prefixes[i].len = (uint8_t)(size > 4 + i ? data[4 + i] : 64);
    uint8_t buf[PR_RA_MAX_LEN];
    size_t room = size % (sizeof(buf) + 1);
    int n = pr_ra_encode(&p, buf, room);
    if (n > (int)room)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct in6_addr src;
    memset(&src, 0, sizeof(src));
    if (!(data[0] & 1)) {
        src.s6_addr[0] = 0xfe;
        src.s6_addr[1] = 0x80;
        src.s6_addr[15] = 1;
    }
    int hop = data[0] & 2 ? 254 : 255;
    struct pr_ra_rs rs;
    int rc = pr_ra_parse_rs(data + 1, size - 1, &src, hop, &rs);
    if (rc < 0 && !rs.why)
        __builtin_trap();
    encode_from(data, size);
    return 0;
}
