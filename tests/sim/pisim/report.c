/* pisim: each Pi's timeline and result, as JSON.
 *
 * {"started": "...", "pis": [{"index", "iface", "port", "model", "serial",
 *   "mac", "state", "reason", "address", "tftp_server", "boots",
 *   "power_on_ms", "booted_ms", "boot_ms", "tftp_files", "tftp_bytes",
 *   "cmdline", "events": [{"ms", "what", ...}]}],
 *  "summary": {"pis", "booted", "failed", "off", "booting",
 *              "all_booted_ms"}}
 * Times are milliseconds since pisim started. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pisim.h"

void report_event(struct pi *pi, const char *what, const char *fmt, ...)
{
    json_t *ev = NULL;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        ev = json_vpack_ex(NULL, 0, fmt, ap);
        va_end(ap);
    }
    if (!ev)
        ev = json_object();
    if (!ev)
        return;
    json_object_set_new(ev, "ms", json_integer((json_int_t)(pisim_now_ms() - pi->sim->start_ms)));
    json_object_set_new(ev, "what", json_string(what));
    json_array_append_new(pi->events, ev);
    if (pi->sim->opt.verbose) {
        char *s = json_dumps(ev, JSON_COMPACT);
        fprintf(stderr, "pisim: %s %s\n", pi->ifname, s ? s : what);
        free(s);
    }
}

static json_int_t rel(const struct pisim *sim, uint64_t t)
{
    return t ? (json_int_t)(t - sim->start_ms) : -1;
}

static json_t *pi_json(const struct pi *pi)
{
    const struct pisim *sim = pi->sim;
    char mac[18], serial[9], addr[INET_ADDRSTRLEN] = "", srv[INET_ADDRSTRLEN] = "";
    snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", pi->mac[0], pi->mac[1], pi->mac[2],
             pi->mac[3], pi->mac[4], pi->mac[5]);
    snprintf(serial, sizeof serial, "%08x", pi->serial);
    if (pi->addr_set || pi->phase == PH_BOOTED)
        inet_ntop(AF_INET, &pi->addr, addr, sizeof addr);
    if (pi->tftp_server.s_addr)
        inet_ntop(AF_INET, &pi->tftp_server, srv, sizeof srv);
    json_t *o = json_pack("{s:I,s:s,s:I,s:s,s:s,s:s,s:s,s:I,s:I,s:I}", "index",
                          (json_int_t)pi->index, "iface", pi->ifname, "port", (json_int_t)pi->port,
                          "model", pi_model_name(pi->model), "serial", serial, "mac", mac, "state",
                          pi_phase_name(pi->phase), "boots", (json_int_t)pi->boots, "tftp_files",
                          (json_int_t)pi->tftp_files, "tftp_bytes", (json_int_t)pi->tftp_bytes);
    if (!o)
        return NULL;
    json_object_set_new(o, "reason",
                        pi->fail_reason[0] ? json_string(pi->fail_reason) : json_null());
    json_object_set_new(o, "address", addr[0] ? json_string(addr) : json_null());
    json_object_set_new(o, "tftp_server", srv[0] ? json_string(srv) : json_null());
    json_object_set_new(o, "power_on_ms", json_integer(rel(sim, pi->power_on_ms)));
    json_object_set_new(o, "booted_ms", json_integer(rel(sim, pi->booted_ms)));
    json_object_set_new(o, "boot_ms",
                        json_integer(pi->booted_ms && pi->power_on_ms
                                         ? (json_int_t)(pi->booted_ms - pi->power_on_ms)
                                         : -1));
    json_object_set_new(o, "cmdline", pi->cmdline ? json_string(pi->cmdline) : json_null());
    json_object_set(o, "events", pi->events);
    return o;
}

static json_t *summary_json(const struct pisim *sim)
{
    unsigned booted = 0, failed = 0, off = 0;
    uint64_t last = 0;
    for (unsigned i = 0; i < sim->n_pis; i++) {
        const struct pi *pi = &sim->pis[i];
        if (pi->phase == PH_BOOTED) {
            booted++;
            if (pi->booted_ms > last)
                last = pi->booted_ms;
        } else if (pi->phase == PH_FAILED) {
            failed++;
        } else if (pi->phase == PH_OFF) {
            off++;
        }
    }
    json_t *s = json_pack("{s:I,s:I,s:I,s:I,s:I}", "pis", (json_int_t)sim->n_pis, "booted",
                          (json_int_t)booted, "failed", (json_int_t)failed, "off", (json_int_t)off,
                          "booting", (json_int_t)(sim->n_pis - booted - failed - off));
    if (s)
        json_object_set_new(s, "all_booted_ms",
                            booted == sim->n_pis ? json_integer(rel(sim, last)) : json_null());
    return s;
}

void report_summary_line(const struct pisim *sim, FILE *out)
{
    json_t *s = summary_json(sim);
    char *txt = s ? json_dumps(s, JSON_COMPACT) : NULL;
    fprintf(out, "pisim: %s\n", txt ? txt : "{}");
    free(txt);
    json_decref(s);
}

/* Writes the whole report to path ("-" or NULL: stdout), atomically for a
 * file (temporary name, then rename) so a reader never sees half of it. */
int report_write(const struct pisim *sim, const char *path)
{
    json_t *root = json_object(), *arr = json_array();
    if (!root || !arr) {
        json_decref(root);
        json_decref(arr);
        return -1;
    }
    for (unsigned i = 0; i < sim->n_pis; i++)
        json_array_append_new(arr, pi_json(&sim->pis[i]));
    json_object_set_new(root, "pis", arr);
    json_object_set_new(root, "summary", summary_json(sim));
    json_object_set_new(root, "now_ms", json_integer(rel(sim, pisim_now_ms())));
    int rc;
    if (!path || strcmp(path, "-") == 0) {
        rc = json_dumpf(root, stdout, JSON_INDENT(1));
        fputc('\n', stdout);
        fflush(stdout);
    } else {
        char tmp[PATH_MAX];
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        rc = json_dump_file(root, tmp, JSON_INDENT(1));
        if (rc == 0)
            rc = rename(tmp, path);
    }
    json_decref(root);
    return rc;
}
