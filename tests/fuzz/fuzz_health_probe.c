/* libFuzzer: what a Pi sends the health probe (its ssh identification
 * line, or anything) read through pr_probe_io() as the service does, and
 * the banner check on its own.  Input: byte 0 bit 0 picks port 22 (the
 * banner is needed) or another; the rest is what the Pi sends before it
 * closes the connection. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "daemon/health/health_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned port = data[0] & 1 ? 22 : 2222;
    const char *bytes = (const char *)data + 1;
    size_t n = size - 1 > 4096 ? 4096 : size - 1;
    (void)pr_probe_banner_ok(port, bytes, n);

    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0)
        return 0;
    if (n && write(sv[1], bytes, n) < 0) {
        close(sv[0]);
        close(sv[1]);
        return 0;
    }
    shutdown(sv[1], SHUT_WR);
    struct pr_probe p = { .fd = sv[0], .port = port, .connected = true };
    char why[128];
    bool want_read;
    for (int i = 0; i < 256; i++)
        if (pr_probe_io(&p, &want_read, why, sizeof why) != PR_PROBE_PENDING)
            break;
    if (p.len >= sizeof p.buf || p.buf[p.len] != '\0')
        __builtin_trap();
    pr_probe_close(&p);
    close(sv[1]);
    return 0;
}
