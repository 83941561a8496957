/* libFuzzer: the frames flat mode reads to learn which MAC sent a DHCP
 * request (pr_udp4_frame_carries, daemon/dhcp/frame.c): any bytes off the
 * wire.  The datagram looked for is the frame's own tail, so a frame that
 * does carry it is found often, and then the MAC must be its source. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "daemon/dhcp/dhcp_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t mac[6];
    if (size < 2)
        return 0;
    size_t dlen = data[0] < size - 1 ? data[0] : size - 1;
    const uint8_t *frame = data + 1;
    size_t len = size - 1;
    if (pr_udp4_frame_carries(frame, len, 67, frame + len - dlen, dlen, mac) &&
        memcmp(mac, frame + 6, 6) != 0)
        __builtin_trap();
    return 0;
}
