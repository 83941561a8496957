/* proxy: the rack's routes in the shared HAProxy front proxy.
 *
 * Three maps carry every route, so adding a Pi never needs a reload:
 *   ssh.map   ssh port on the proxy   -> the Pi's IPv6 address (port 22)
 *   sni.map   TLS SNI www.NAME.DOMAIN -> the Pi's IPv6 address (port 443)
 *   host.map  HTTP Host www.NAME.DOMAIN -> the Pi's IPv6 address (port 80)
 *
 * The HAProxy runtime API takes ';' as a command separator, whitespace
 * splits a map key from its value and '#' starts a comment, so nothing
 * reaches a map file or the admin socket unless it passed the checks
 * here: keys are port numbers or lower-case host names, values are IPv6
 * addresses (parsed by inet_pton, written back canonical) inside the Pi
 * pool.  The command builders check again, so a caller that skipped the
 * checks still cannot inject anything.
 *
 * Everything here is pure (no sockets, no store) except pr_haproxy_cmd(),
 * which talks to the admin socket and blocks up to its timeout: call it
 * from a worker thread, never from the loop. */
#ifndef PIRACK_PROXY_H
#define PIRACK_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "pirack/config.h"
#include "pirack/fsutil.h"
#include "pirack/plan.h"
#include "pirack/zone.h"

enum pr_route_kind {
    PR_ROUTE_SSH,
    PR_ROUTE_SNI,
    PR_ROUTE_HOST
};
#define PR_ROUTE_KINDS 3
#define PR_ROUTES_PER_SLOT 3
#define PR_MAP_VALUE_MAX INET6_ADDRSTRLEN

/* "ssh", "sni", "host"; the map file is NAME.map.  NULL for a bad kind. */
const char *pr_route_kind_name(enum pr_route_kind kind);
/* Parses a kind name; returns 0 or -EINVAL. */
int pr_route_kind_parse(const char *name, enum pr_route_kind *out);

struct pr_route {
    enum pr_route_kind kind;
    unsigned slot;                /* 0 when not tied to a slot */
    char key[PR_FQDN_MAX];        /* port number, or lower-case host name */
    char value[PR_MAP_VALUE_MAX]; /* canonical IPv6 address */
};

/* Fills r after checking key and value; r->value is canonical.  Returns
 * 0, or -EINVAL with the reason in err (r is then untouched). */
int pr_route_make(struct pr_route *r, enum pr_route_kind kind, unsigned slot, const char *key,
                  const char *value, const struct pr_prefix6 *pool, char *err, size_t errlen);

/* A growable list of routes (plain data; free with pr_routes_clear). */
struct pr_routes {
    struct pr_route *v;
    size_t n, cap;
};
int pr_routes_push(struct pr_routes *rs, const struct pr_route *r); /* 0 or -ENOMEM */
void pr_routes_clear(struct pr_routes *rs);

/* What HAProxy said of itself (`show info`). */
struct pr_haproxy_info {
    long pid;
    long uptime_s;
    char version[32];
};

/* ---- the engine: files, a worker that talks to HAProxy, a timer ----
 *
 * Owns the desired routes, writes the map files (and the zone) when they
 * change, and keeps HAProxy equal to them from a worker thread, which
 * hands each result back through a pr_mailbox.  HAProxy being unreachable
 * is not an error: the routes stay desired, are shown as not in HAProxy,
 * and go in at the next check.  Each check is a full reconcile, so a
 * restarted HAProxy (its Pid changes) gets every route back.  Every
 * function below runs on the loop's thread. */

struct pr_loop;
struct pr_proxy;

struct pr_proxy_settings {
    char admin[PR_PATH_MAX]; /* socket path or host:port */
    char admin_group[64];    /* the rendered socket's group; "" = mode 600 */
    char map_dir[PR_PATH_MAX];
    char config_path[PR_PATH_MAX]; /* rendered haproxy.cfg; "" = none */
    char zone_path[PR_PATH_MAX];   /* DNS zone; "" = none */
    struct pr_prefix6 pool;
    unsigned http_port, https_port, ssh_first, ssh_last;
    char domain[PR_FQDN_MAX];
    char proxy_ipv4[INET_ADDRSTRLEN], proxy_ipv6[INET6_ADDRSTRLEN];
    char api_cert[PR_PATH_MAX]; /* [proxy] api_cert; "" = no api.DOMAIN route */
    char api_backend[160];      /* where pirackd's customer API listens */
    unsigned timeout_ms;        /* per runtime command; 0 = 1000 */
    unsigned check_ms;          /* between checks; 0 = 5000 */
};

/* Fills s from cfg's [proxy] section, its domain and IPv6 pool, and the
 * ssh port range of plan's slots (plan is pr_config_plan of cfg). */
void pr_proxy_settings_from_config(const struct pr_config *cfg, const struct pr_plan *plan,
                                   struct pr_proxy_settings *s);

struct pr_proxy_status {
    bool checked; /* a check has finished */
    bool reachable;
    struct pr_haproxy_info info; /* of the last answer */
    char error[256];             /* last check's problem, "" = none */
    int64_t checked_unix_ms;
    int64_t synced_unix_ms; /* the last check that found no problem; 0 = none yet */
    unsigned restarts;      /* HAProxy Pid changes seen */
    unsigned added, changed, removed, swaps, failed; /* totals */
};

/* Called on the loop's thread when something worth an event happens:
 * what is "haproxy.restarted", "haproxy.unreachable", "haproxy.reachable"
 * or "proxy.zone"; detail is a sentence. */
typedef void (*pr_proxy_notify_fn)(void *ctx, const char *what, const char *detail);

/* Checks s, renders the configuration (when config_path is set), makes
 * map_dir and any missing (empty) map file, reads the zone's serial back
 * and starts the worker and the check timer.  NULL with the reason in
 * err. */
struct pr_proxy *pr_proxy_new(struct pr_loop *loop, const struct pr_proxy_settings *s, char *err,
                              size_t errlen);
void pr_proxy_free(struct pr_proxy *p); /* accepts NULL; joins the worker */
void pr_proxy_set_notify(struct pr_proxy *p, pr_proxy_notify_fn fn, void *ctx);

/* Replaces the desired routes (and the zone's pis).  Every route is
 * checked again; a duplicate key is -EEXIST.  When anything changed the
 * map files (and zone) are rewritten atomically and a check is started.
 * Returns 1 changed, 0 unchanged, or -errno with the reason in err. */
int pr_proxy_set_routes(struct pr_proxy *p, const struct pr_routes *rs,
                        const struct pr_zone_pi *pis, size_t npis, char *err, size_t errlen);

/* The desired routes, sorted, and whether the last check found each in
 * HAProxy. */
const struct pr_routes *pr_proxy_routes(const struct pr_proxy *p);
bool pr_proxy_route_in_haproxy(const struct pr_proxy *p, size_t i);
const struct pr_proxy_status *pr_proxy_get_status(const struct pr_proxy *p);
uint32_t pr_proxy_zone_serial(const struct pr_proxy *p);

/* ---- from pi names to routes and zone entries ---- */

struct pr_proxy_refusal {
    unsigned slot;
    char error[400];
};

/* What the rack's pis add up to (plain data; pr_proxy_build_clear). */
struct pr_proxy_build {
    struct pr_routes rs;
    struct pr_zone_pi *pis;
    size_t npis;
    struct pr_proxy_refusal *refused;
    size_t nrefused;
};

/* Adds slot's routes and zone entry for its pi name (NULL or "": the
 * plan's default name).  A name that is not a valid label, or that an
 * earlier slot already has, is refused (recorded with the reason) and
 * the slot keeps only its ssh port route, under the plan's name.  A slot
 * outside the plan is skipped.  Returns 0 or -ENOMEM. */
int pr_proxy_build_add(struct pr_proxy_build *b, const struct pr_plan *plan, unsigned slot,
                       const char *name);
void pr_proxy_build_clear(struct pr_proxy_build *b);

#endif
