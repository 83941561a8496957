/* Writes the fuzz_dhcp seed corpus: real clients' packets (Pi 3B ROM,
 * 3B+, Pi 4, udhcpc/dhclient shapes) and malformed ones.
 *   dhcp_corpus DIR */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "pirack/dhcp.h"
#include "tests/unit/dhcp_packets.h"

static int save(const char *dir, const char *name, const uint8_t *b, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "dhcp_corpus: %s: %s\n", path, strerror(errno));
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const uint8_t mac3b[6] = { 0xb8, 0x27, 0xeb, 0x12, 0x34, 0x56 };
    static const uint8_t mac4[6] = { 0xdc, 0xa6, 0x32, 0x01, 0x02, 0x03 };
    static const uint8_t macx[6] = { 0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc };
    struct tpkt p;
    int bad = 0;
    if (argc != 2) {
        fprintf(stderr, "usage: dhcp_corpus DIR\n");
        return 2;
    }
    const char *dir = argv[1];
    uint32_t pi = inet_addr("10.0.0.2"), host = inet_addr("10.0.0.1");

    tp_pi3b_discover(&p, mac3b);
    bad |= save(dir, "pi3b-rom-discover", p.b, p.n);
    tp_pi3bplus_discover(&p, mac3b, 0x1234abcd);
    bad |= save(dir, "pi3bplus-discover", p.b, p.n);
    tp_pi4(&p, 1, 0x5a5a0001, mac4, 0xdeadbeef, 0, 0);
    bad |= save(dir, "pi4-discover", p.b, p.n);
    tp_pi4(&p, 3, 0x5a5a0001, mac4, 0xdeadbeef, pi, host);
    bad |= save(dir, "pi4-request", p.b, p.n);
    tp_os(&p, 1, 1, 0x8000, macx, 0, 0, 0);
    bad |= save(dir, "udhcpc-discover-bcast", p.b, p.n);
    tp_os(&p, 3, 1, 0, macx, 0, pi, host);
    bad |= save(dir, "udhcpc-select", p.b, p.n);
    tp_os(&p, 3, 2, 0, macx, pi, 0, 0);
    bad |= save(dir, "dhclient-renew", p.b, p.n);
    tp_os(&p, 3, 3, 0, macx, 0, pi, 0);
    bad |= save(dir, "dhclient-init-reboot", p.b, p.n);
    tp_os(&p, 7, 4, 0, macx, pi, 0, host);
    bad |= save(dir, "dhclient-release", p.b, p.n);
    tp_os(&p, 4, 5, 0, macx, 0, pi, host);
    bad |= save(dir, "decline", p.b, p.n);
    tp_os(&p, 8, 6, 0, macx, pi, 0, 0);
    bad |= save(dir, "inform", p.b, p.n);

    /* malformed */
    tp_pi3b_discover(&p, mac3b);
    bad |= save(dir, "bad-truncated-header", p.b, 200);
    bad |= save(dir, "bad-truncated-option", p.b, 250);
    p.b[0] = 2;
    bad |= save(dir, "bad-op-reply", p.b, p.n);
    p.b[0] = 1;
    p.b[2] = 16;
    bad |= save(dir, "bad-hlen", p.b, p.n);
    p.b[2] = 6;
    p.b[240 + 1] = 2;
    bad |= save(dir, "bad-type-length", p.b, p.n);
    tp_header(&p, 1, 9, 0, macx, 0);
    tp_u8(&p, 53, 1);
    tp_u8(&p, 52, 3);
    p.b[p.n++] = 255;
    p.b[108] = 55;
    p.b[109] = 2;
    p.b[110] = 1;
    p.b[111] = 3;
    p.b[112] = 255;
    p.b[44] = 12;
    p.b[45] = 200;
    bad |= save(dir, "bad-overload-sname", p.b, p.n);
    uint8_t big[PR_DHCP_MAX_LEN + 8] = { 0 };
    tp_os(&p, 1, 1, 0, macx, 0, 0, 0);
    memcpy(big, p.b, p.n);
    bad |= save(dir, "bad-overlong", big, sizeof big);
    return bad;
}
