/* libFuzzer: the frames flat mode reads to learn who sent a TFTP request
 * (daemon/tftp/sender.c): any bytes off the wire, as the packet socket
 * hands them over.  Byte 0 picks the port asked for (69 or another). */
#include <stddef.h>
#include <stdint.h>
#include "daemon/tftp/tftp_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pr_tftp_sender s;
    if (size < 1)
        return 0;
    uint16_t port = data[0] & 1 ? 69 : (uint16_t)(data[0] << 4);
    if (pr_tftp_frame_sender(data + 1, size - 1, port, &s) == 0 &&
        !pr_tftp_sender_is(&s, s.addr, s.port))
        __builtin_trap();
    return 0;
}
