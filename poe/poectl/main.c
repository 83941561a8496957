/* poectl: drives one switch through the poe library, without pirackd:
 * operators check a switch with it before pirackd drives it (installed
 * beside pirack), and the integration tests and the benchmark use it.
 *
 *   poectl -o KEY=VALUE ... ACTION PORTS
 *
 * KEY is a [switch NAME] key of pirackd.conf (driver, address, profile,
 * group, timeout, retries, snmp_version, community, v3_user, v3_auth_key,
 * v3_priv_key, ssh_user, ssh_password, enable_password, ssh_key, hostkey,
 * known_hosts, max_varbinds) or hold_ms / settle_ms.  ACTION is on, off, cycle, status;
 * PORTS is N, N-M or a comma list of those.  Prints one line per port and
 * a summary line "result ok|failed ... round_trips=N logins=N ms=N";
 * exits 0 only when the operation succeeded. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pirack/poe.h"

#define COPY(dst, v) snprintf((dst), sizeof(dst), "%s", (v))

static int set_key(struct pr_switch_config *c, struct pr_poe_options *o, char *profile, size_t plen,
                   const char *k, const char *v)
{
    unsigned long n = strtoul(v, NULL, 10);
    if (!strcmp(k, "driver"))
        c->driver = !strcmp(v, "ssh") ? PR_SWITCH_SSH : PR_SWITCH_SNMP;
    else if (!strcmp(k, "address"))
        COPY(c->address, v);
    else if (!strcmp(k, "profile"))
        snprintf(profile, plen, "%s", v);
    else if (!strcmp(k, "group"))
        c->group = (unsigned)n;
    else if (!strcmp(k, "timeout"))
        c->timeout_ms = (unsigned)n;
    else if (!strcmp(k, "retries"))
        c->retries = (unsigned)n;
    else if (!strcmp(k, "snmp_version"))
        c->snmp_version = (unsigned)n;
    else if (!strcmp(k, "community"))
        COPY(c->community, v);
    else if (!strcmp(k, "v3_user"))
        COPY(c->v3_user, v);
    else if (!strcmp(k, "v3_auth_key"))
        COPY(c->v3_auth_key, v);
    else if (!strcmp(k, "v3_priv_key"))
        COPY(c->v3_priv_key, v);
    else if (!strcmp(k, "ssh_user"))
        COPY(c->ssh_user, v);
    else if (!strcmp(k, "ssh_password"))
        COPY(c->ssh_password, v);
    else if (!strcmp(k, "enable_password"))
        COPY(c->enable_password, v);
    else if (!strcmp(k, "ssh_key"))
        COPY(c->ssh_key, v);
    else if (!strcmp(k, "hostkey"))
        COPY(c->hostkey, v);
    else if (!strcmp(k, "known_hosts"))
        COPY(c->known_hosts, v);
    else if (!strcmp(k, "max_varbinds"))
        c->max_varbinds = (unsigned)n;
    else if (!strcmp(k, "hold_ms"))
        o->hold_ms = (unsigned)n;
    else if (!strcmp(k, "settle_ms"))
        o->settle_ms = (unsigned)n;
    else
        return -EINVAL;
    return 0;
}

static size_t parse_ports(char *spec, unsigned *ports, size_t max)
{
    size_t n = 0;
    for (char *save = NULL, *t = strtok_r(spec, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        unsigned a, b;
        if (sscanf(t, "%u-%u", &a, &b) != 2)
            b = a = (unsigned)strtoul(t, NULL, 10);
        for (unsigned p = a; p <= b && p > 0 && n < max; p++)
            ports[n++] = p;
    }
    return n;
}

int main(int argc, char **argv)
{
    static struct pr_switch_config cfg;
    struct pr_poe_options opts;
    char profile_name[1024] = "";
    pr_poe_options_default(&opts);
    snprintf(cfg.name, sizeof(cfg.name), "poectl");
    cfg.group = 1, cfg.timeout_ms = 2000, cfg.retries = 0, cfg.snmp_version = 2;
    int i = 1;
    for (; i + 1 < argc && !strcmp(argv[i], "-o"); i += 2) {
        char *eq = strchr(argv[i + 1], '=');
        if (!eq) {
            fprintf(stderr, "poectl: -o wants KEY=VALUE\n");
            return 2;
        }
        *eq = '\0';
        if (set_key(&cfg, &opts, profile_name, sizeof(profile_name), argv[i + 1], eq + 1) < 0) {
            fprintf(stderr, "poectl: unknown key %s\n", argv[i + 1]);
            return 2;
        }
    }
    if (argc - i != 2 || pr_poe_action_parse(argv[i]) < 0) {
        fprintf(stderr, "usage: poectl -o KEY=VALUE ... on|off|cycle|status PORTS\n");
        return 2;
    }
    static unsigned ports[PR_POE_MAX_PORTS];
    size_t n = parse_ports(argv[i + 1], ports, PR_POE_MAX_PORTS);
    char err[512] = "";
    struct pr_poe_profile *prof;
    struct pr_poe_conn *conn;
    if (pr_poe_profile_load(".", profile_name, &prof, err, sizeof(err)) < 0 ||
        pr_poe_conn_open(&cfg, prof, &conn, err, sizeof(err)) < 0) {
        fprintf(stderr, "poectl: %s\n", err);
        return 2;
    }
    struct pr_poe_result r = { 0 };
    int rc = pr_poe_conn_run_retrying(
        conn, cfg.retries, (enum pr_poe_action)pr_poe_action_parse(argv[i]), ports, n, &opts, &r);
    for (size_t k = 0; k < r.n_ports && r.ports; k++) {
        const struct pr_poe_port_status *p = &r.ports[k];
        printf("port %u admin %s detect %s class %d%s%s\n", p->port,
               p->admin == 1   ? "on"
               : p->admin == 0 ? "off"
                               : "unknown",
               pr_poe_detect_name(p->detect), p->power_class, p->note[0] ? " note " : "", p->note);
    }
    printf("result %s err=%d attempts=%u round_trips=%u logins=%u ms=%llu power=%d used=%d: %s\n",
           rc == 0 ? "ok" : "failed", -rc, r.attempts, r.round_trips, r.logins,
           (unsigned long long)r.elapsed_ms, r.main_power_w, r.main_consumption_w, r.message);
    pr_poe_result_clear(&r);
    pr_poe_conn_close(conn);
    pr_poe_profile_free(prof);
    return rc == 0 ? 0 : 1;
}
