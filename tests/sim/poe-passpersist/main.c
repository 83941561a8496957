/* poe-passpersist: an snmpd pass_persist program that serves a PoE
 * switch's MIB from the port-state file (see ../portstate.h).
 *
 *   pass_persist BASE /path/poe-passpersist BASE STATE [CONTROL]
 *
 * BASE is the subtree snmpd hands it (one snmpd line per subtree):
 *   .1.3.6.1.2.1.105           POWER-ETHERNET-MIB: pethPsePortAdminEnable
 *                              (rw 1 on 2 off), DetectionStatus,
 *                              PowerClassifications, main PSE power,
 *                              oper status, consumption (group 1)
 *   .1.3.6.1.4.1.9.9.402       Cisco cpeExtPsePortEnable (rw 1 auto, 4 disable)
 *   .1.3.6.1.4.1.11863.6.56    TP-Link tpPoePortStatus (rw 0 off, 1 on)
 *
 * snmpd is single-threaded: every reply is flushed and nothing blocks. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/sim/portstate.h"

#define OID_MAX 32

enum kind {
    STD_ADMIN,
    STD_DETECT,
    STD_CLASS,
    MAIN_POWER,
    MAIN_STATUS,
    MAIN_CONSUMPTION,
    CISCO_ENABLE,
    TPLINK_STATUS
};

struct served {
    unsigned oid[OID_MAX];
    int len;
    enum kind kind;
    unsigned port;
};

static const char *state_path, *ctl_path;
static struct served *table;
static int n_table;

static int parse(const char *s, unsigned *oid)
{
    int n = 0;
    if (*s == '.')
        s++;
    while (*s && n < OID_MAX) {
        char *end;
        unsigned long v = strtoul(s, &end, 10);
        if (end == s)
            return -1;
        oid[n++] = (unsigned)v;
        s = *end == '.' ? end + 1 : end;
        if (*end && *end != '.')
            return -1;
    }
    return n;
}

static int cmp(const unsigned *a, int al, const unsigned *b, int bl)
{
    for (int i = 0; i < al && i < bl; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return al < bl ? -1 : al > bl;
}

static void add(const char *prefix, unsigned last1, unsigned last2, int two, enum kind k,
                unsigned port)
{
    struct served *s = &table[n_table++];
    s->len = parse(prefix, s->oid);
    s->oid[s->len++] = last1;
    if (two)
        s->oid[s->len++] = last2;
    s->kind = k;
    s->port = port;
}

/* The served OIDs in lexicographic order, for getnext. */
static void build(const unsigned *base, int base_len, unsigned ports)
{
    unsigned std[] = { 1, 3, 6, 1, 2, 1, 105 }, cisco[] = { 1, 3, 6, 1, 4, 1, 9, 9, 402 },
             tpl[] = { 1, 3, 6, 1, 4, 1, 11863, 6, 56 };
    table = calloc(ports * 3 + 8, sizeof(*table));
    if (!cmp(base, base_len, std, 7)) {
        static const struct {
            unsigned col;
            enum kind k;
        } cols[] = { { 3, STD_ADMIN }, { 6, STD_DETECT }, { 10, STD_CLASS } };
        for (int c = 0; c < 3; c++)
            for (unsigned p = 1; p <= ports; p++) {
                char pre[64];
                snprintf(pre, sizeof(pre), "1.3.6.1.2.1.105.1.1.1.%u", cols[c].col);
                add(pre, 1, p, 1, cols[c].k, p);
            }
        add("1.3.6.1.2.1.105.1.3.1.1.2", 1, 0, 0, MAIN_POWER, 0);
        add("1.3.6.1.2.1.105.1.3.1.1.3", 1, 0, 0, MAIN_STATUS, 0);
        add("1.3.6.1.2.1.105.1.3.1.1.4", 1, 0, 0, MAIN_CONSUMPTION, 0);
    } else if (!cmp(base, base_len, cisco, 9)) {
        for (unsigned p = 1; p <= ports; p++)
            add("1.3.6.1.4.1.9.9.402.1.2.1.1", 1, p, 1, CISCO_ENABLE, p);
    } else if (!cmp(base, base_len, tpl, 9)) {
        for (unsigned p = 1; p <= ports; p++)
            add("1.3.6.1.4.1.11863.6.56.1.1.2.1.1", 2, p, 1, TPLINK_STATUS, p);
    }
}

static void reply(const struct served *s)
{
    char st[PS_MAX_PORTS];
    int n = ps_read(state_path, st, sizeof(st));
    char c = s->port >= 1 && (int)s->port <= n ? st[s->port - 1] : '0';
    long v = 0;
    const char *type = "integer";
    switch (s->kind) {
    case STD_ADMIN:
        v = c == '0' ? 2 : 1;
        break;
    case STD_DETECT:
        v = c == '0' ? 1 : c == '1' ? 3 : c == 'F' ? 4 : 2;
        break;
    case STD_CLASS:
        v = c == '1' ? 3 : 1;
        break;
    case MAIN_POWER:
        v = 740, type = "gauge";
        break;
    case MAIN_STATUS:
        v = 1;
        break;
    case MAIN_CONSUMPTION:
        type = "gauge";
        for (int i = 0; i < n; i++)
            v += st[i] == '1' ? 3 : 0;
        break;
    case CISCO_ENABLE:
        v = c == '0' ? 4 : 1;
        break;
    case TPLINK_STATUS:
        v = c == '0' ? 0 : 1;
        break;
    }
    for (int i = 0; i < s->len; i++)
        printf(".%u", s->oid[i]);
    printf("\n%s\n%ld\n", type, v);
}

static const struct served *find(const unsigned *oid, int len, bool next)
{
    for (int i = 0; i < n_table; i++) {
        int c = cmp(table[i].oid, table[i].len, oid, len);
        if (next ? c > 0 : c == 0)
            return &table[i];
    }
    return NULL;
}

/* "integer 2" for a writable column: DONE, or the error snmpd maps. */
static const char *do_set(const struct served *s, const char *value)
{
    long v;
    if (!s)
        return "not-writable";
    if (sscanf(value, "integer %ld", &v) != 1)
        return "wrong-type";
    int on;
    switch (s->kind) {
    case STD_ADMIN:
        on = v == 1 ? 1 : v == 2 ? 0 : -1;
        break;
    case CISCO_ENABLE:
        on = v >= 1 && v <= 3 ? 1 : v == 4 ? 0 : -1;
        break;
    case TPLINK_STATUS:
        on = v == 1 ? 1 : v == 0 ? 0 : -1;
        break;
    default:
        return "not-writable";
    }
    if (on < 0)
        return "wrong-value";
    if (ps_ctl_has(ctl_path, "refuse", 0))
        return "resource-unavailable";
    ps_hold(ctl_path);
    char st[PS_MAX_PORTS];
    int n = ps_read(state_path, st, sizeof(st));
    if ((int)s->port > n)
        return "no-creation";
    char want = on ? ps_on_byte(ctl_path, s->port, st[s->port - 1]) : '0';
    if (want != st[s->port - 1] && ps_write(state_path, s->port, want) < 0)
        return "commit-failed";
    return "DONE";
}

/* Reads one non-empty line: snmpd ends each set with an extra blank one. */
static bool next_line(char *buf, size_t len)
{
    while (fgets(buf, (int)len, stdin)) {
        buf[strcspn(buf, "\r\n")] = '\0';
        if (buf[0])
            return true;
    }
    return false;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s BASE STATE [CONTROL]\n", argv[0]);
        return 2;
    }
    state_path = argv[2];
    ctl_path = argc > 3 ? argv[3] : NULL;
    unsigned base[OID_MAX];
    int base_len = parse(argv[1], base);
    char st[PS_MAX_PORTS];
    int ports = ps_read(state_path, st, sizeof(st));
    if (base_len < 0 || ports <= 0) {
        fprintf(stderr, "%s: bad base or unreadable state file\n", argv[0]);
        return 2;
    }
    build(base, base_len, (unsigned)ports);
    char cmd[256], arg[256], val[256];
    while (next_line(cmd, sizeof(cmd))) {
        if (!strcmp(cmd, "PING")) {
            printf("PONG\n");
        } else if (!strcmp(cmd, "get") || !strcmp(cmd, "getnext") || !strcmp(cmd, "set")) {
            if (!next_line(arg, sizeof(arg)))
                break;
            unsigned oid[OID_MAX];
            int len = parse(arg, oid);
            if (!strcmp(cmd, "set")) {
                if (!next_line(val, sizeof(val)))
                    break;
                printf("%s\n", len < 0 ? "not-writable" : do_set(find(oid, len, false), val));
            } else {
                const struct served *s = len < 0 ? NULL : find(oid, len, cmd[3] == 'n');
                if (s)
                    reply(s);
                else
                    printf("NONE\n");
            }
        } else {
            printf("NONE\n");
        }
        fflush(stdout);
    }
    return 0;
}
