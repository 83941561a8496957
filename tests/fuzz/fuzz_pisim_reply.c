/* libFuzzer target: what pisim parses from the network.  The first byte
 * picks the parser: a DHCP reply frame (and its option 43 as each Pi
 * client judges it), an option 43 alone, or a TFTP OACK's options. */
#include "tests/sim/pisim/dhcp.c"
#include "tests/sim/pisim/oack.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void judge_menu(const uint8_t *opt, size_t len)
{
    char why[160];
    for (int c = DC_ROM_3B; c <= DC_OS; c++)
        (void)dhcp_menu_ok((enum dhcp_client)c, opt, len, why, sizeof why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dhcp_reply r;
    uint64_t tsize = 0;
    unsigned blksize = 512;
    if (size < 1)
        return 0;
    switch (data[0] % 3) {
    case 0:
        if (dhcp_parse_frame(data + 1, size - 1, &r) == 0 && r.has_opt43)
            judge_menu(r.opt43, r.opt43_len);
        break;
    case 1:
        judge_menu(data + 1, size - 1);
        break;
    default:
        (void)tftp_parse_oack(data + 1, size - 1, &tsize, &blksize);
        break;
    }
    return 0;
}
