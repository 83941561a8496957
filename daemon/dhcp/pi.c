/* What a Raspberry Pi's netboot DHCP packets say about the board, and the
 * PXE menu (option 43) that its ROM or bootloader insists on.  The Pi's
 * side is in docs/pi-boot.md: the packets in sections 2, 3 and 10, the
 * menu in section 4, the MAC prefixes in section 11. */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "pirack/dhcp.h"
#include "dhcp_internal.h"

#define PI_MENU_DEFAULT "Raspberry Pi Boot"
#define PI_MENU_MAX 200

static const uint8_t pi_ouis[][3] = {
    { 0xb8, 0x27, 0xeb }, { 0xdc, 0xa6, 0x32 }, { 0xe4, 0x5f, 0x01 },
    { 0xd8, 0x3a, 0xdd }, { 0x2c, 0xcf, 0x67 },
};

bool pr_pi_mac_is_pi(const uint8_t mac[6])
{
    for (size_t i = 0; i < sizeof pi_ouis / sizeof pi_ouis[0]; i++)
        if (memcmp(mac, pi_ouis[i], 3) == 0)
            return true;
    return false;
}

const char *pr_pi_model_name(enum pr_pi_model m)
{
    switch (m) {
    case PR_PI_3B:
        return "pi3b";
    case PR_PI_3BPLUS:
        return "pi3b+";
    case PR_PI_4:
        return "pi4";
    case PR_PI_5:
        return "pi5";
    case PR_PI_UNKNOWN:
        break;
    }
    return "unknown";
}

enum pr_pi_model pr_pi_model_parse(const char *name)
{
    char s[16];
    size_t n = 0;
    if (!name)
        return PR_PI_UNKNOWN;
    for (; name[n] && n < sizeof s - 1; n++)
        s[n] = (char)tolower((unsigned char)name[n]);
    s[n] = '\0';
    if (name[n])
        return PR_PI_UNKNOWN;
    const char *p = s;
    if (strncmp(p, "rpi", 3) == 0)
        p += 3;
    else if (strncmp(p, "pi", 2) == 0)
        p += 2;
    if (!strcmp(p, "3b") || !strcmp(p, "3"))
        return PR_PI_3B;
    if (!strcmp(p, "3b+") || !strcmp(p, "3bplus") || !strcmp(p, "3+"))
        return PR_PI_3BPLUS;
    if (!strcmp(p, "4") || !strcmp(p, "4b") || !strcmp(p, "400"))
        return PR_PI_4;
    if (!strcmp(p, "5") || !strcmp(p, "500"))
        return PR_PI_5;
    return PR_PI_UNKNOWN;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Option 97 is a type byte 0 and a 16-byte GUID (PXE); take the GUID. */
static const uint8_t *pi_guid(const struct pr_dhcp_msg *m)
{
    size_t len = 0;
    const uint8_t *p = pr_dhcp_opt_get(m, PR_OPT_CLIENT_UUID, &len);
    if (!p)
        return NULL;
    if (len == 17 && p[0] == 0)
        return p + 1;
    if (len == 16)
        return p;
    return NULL;
}

static bool guid_is_3b(const uint8_t *g)
{
    for (int i = 0; i < 16; i++)
        if (g[i] != 0x44)
            return false;
    return true;
}

/* 3B+: the serial, little-endian, four times. */
static bool guid_is_serial4(const uint8_t *g)
{
    return memcmp(g, g + 4, 4) == 0 && memcmp(g, g + 8, 4) == 0 && memcmp(g, g + 12, 4) == 0;
}

static bool is_pxe_client(const struct pr_dhcp_msg *m)
{
    size_t len = 0;
    const uint8_t *v = pr_dhcp_opt_get(m, PR_OPT_VENDOR_CLASS, &len);
    return v && len >= 9 && memcmp(v, "PXEClient", 9) == 0;
}

enum pr_pi_model pr_pi_model_detect(const struct pr_dhcp_msg *m)
{
    const uint8_t *g = pi_guid(m);
    if (g && memcmp(g, "RPi4", 4) == 0)
        return PR_PI_4;
    if (g && memcmp(g, "RPi5", 4) == 0)
        return PR_PI_5;
    if (g && guid_is_3b(g))
        return PR_PI_3B;
    bool pi_mac = pr_pi_mac_is_pi(m->chaddr);
    size_t n_params = 0;
    if (is_pxe_client(m) && pr_dhcp_opt_get(m, PR_OPT_PARAM_LIST, &n_params) && pi_mac) {
        /* the 3B ROM asks 12 options; bootcode.bin and the 3B+ add 1 and 3 */
        if (n_params == 12 && !pr_dhcp_opt_has_byte(m, PR_OPT_PARAM_LIST, PR_OPT_ROUTER))
            return PR_PI_3B;
        if (g && guid_is_serial4(g))
            return PR_PI_3BPLUS;
        if (n_params == 14)
            return PR_PI_3BPLUS;
    }
    if (memcmp(m->chaddr, "\xdc\xa6\x32", 3) == 0 || memcmp(m->chaddr, "\xe4\x5f\x01", 3) == 0)
        return PR_PI_4;
    if (memcmp(m->chaddr, "\x2c\xcf\x67", 3) == 0)
        return PR_PI_5;
    return PR_PI_UNKNOWN;
}

int pr_pi_serial(const struct pr_dhcp_msg *m, uint32_t *serial)
{
    const uint8_t *g = pi_guid(m);
    if (!g || guid_is_3b(g))
        return -ENOENT;
    if (memcmp(g, "RPi4", 4) == 0 || memcmp(g, "RPi5", 4) == 0) {
        *serial = le32(g + 12); /* fourcc, revision, MAC low 4, serial */
        return 0;
    }
    if (guid_is_serial4(g)) {
        *serial = le32(g);
        return 0;
    }
    return -ENOENT;
}

int pr_pi_pxe_menu(enum pr_pi_model model, const char *text, uint8_t *out, size_t cap)
{
    char item[PI_MENU_MAX + 4];
    size_t n;
    if (text && *text) {
        n = strlen(text);
        if (n > PI_MENU_MAX)
            return -EINVAL;
        memcpy(item, text, n);
    } else {
        n = sizeof PI_MENU_DEFAULT - 1;
        memcpy(item, PI_MENU_DEFAULT, n);
        /* the 3B ROM miscounts the string: it needs three more bytes */
        if (model == PR_PI_3B) {
            memcpy(item + n, "   ", 3);
            n += 3;
        }
    }
    static const uint8_t head[] = {
        6,  1, 3,                /* discovery control: no broadcast/multicast */
        10, 4, 0, 'P', 'X', 'E', /* menu prompt, timeout 0 */
    };
    size_t need = sizeof head + 5 + n + 1;
    if (need > cap)
        return -EMSGSIZE;
    memcpy(out, head, sizeof head);
    uint8_t *p = out + sizeof head;
    *p++ = 9; /* boot menu: type 0, text */
    *p++ = (uint8_t)(3 + n);
    *p++ = 0;
    *p++ = 0;
    *p++ = (uint8_t)n;
    memcpy(p, item, n);
    p += n;
    *p++ = 255;
    return (int)(p - out);
}
