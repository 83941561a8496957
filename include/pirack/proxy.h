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

/* Checks a map key: for ssh a decimal port 1..65535 without leading
 * zeros, otherwise a lower-case host name (pr_plan_domain_valid).
 * Returns 0, or -EINVAL with the reason in err. */
int pr_proxy_check_key(enum pr_route_kind kind, const char *key, char *err, size_t errlen);

/* Checks a map value: an IPv6 address (inet_pton(AF_INET6), so no IPv4,
 * no spaces, no separators) inside pool.  Writes the canonical text to
 * canon (PR_MAP_VALUE_MAX bytes) when canon is non-NULL.  Returns 0, or
 * -EINVAL with the reason in err. */
int pr_proxy_check_value(const struct pr_prefix6 *pool, const char *value,
                         char canon[PR_MAP_VALUE_MAX], char *err, size_t errlen);

/* Fills r after checking key and value; r->value is canonical.  Returns
 * 0, or -EINVAL with the reason in err (r is then untouched). */
int pr_route_make(struct pr_route *r, enum pr_route_kind kind, unsigned slot, const char *key,
                  const char *value, const struct pr_prefix6 *pool, char *err, size_t errlen);

/* The routes of one slot whose pi is called name ("" or NULL: the plan's
 * default name RACK-NNN): ssh port -> Pi, SNI www.NAME.DOMAIN -> Pi,
 * Host www.NAME.DOMAIN -> Pi, in that order.  Returns the count
 * (PR_ROUTES_PER_SLOT), or -EINVAL / -ERANGE with the reason in err. */
int pr_proxy_slot_routes(const struct pr_plan *plan, unsigned slot, const char *name,
                         struct pr_route out[PR_ROUTES_PER_SLOT], char *err, size_t errlen);

/* A growable list of routes (plain data; free with pr_routes_clear). */
struct pr_routes {
    struct pr_route *v;
    size_t n, cap;
};
int pr_routes_push(struct pr_routes *rs, const struct pr_route *r); /* 0 or -ENOMEM */
void pr_routes_clear(struct pr_routes *rs);
/* Sorts by kind, then key (ports numerically). */
void pr_routes_sort(struct pr_routes *rs);
/* Two routes of the same kind with the same key: returns 1 and names them
 * in err, or 0 when every key is unique. */
int pr_routes_find_duplicate(const struct pr_routes *rs, char *err, size_t errlen);

/* ---- map files ---- */

/* Writes kind's map from rs to f: a comment line, then "key value" lines
 * sorted by key.  Re-checks every route (against pool) and refuses the
 * whole map (-EINVAL, reason in err) if one fails.  Returns 0 or -errno. */
int pr_proxy_write_map(FILE *f, enum pr_route_kind kind, const struct pr_routes *rs,
                       const struct pr_prefix6 *pool, char *err, size_t errlen);

/* ---- the base HAProxy configuration ---- */

struct pr_proxy_render {
    const char *admin_socket;  /* path, or host:port of a remote HAProxy */
    const char *admin_group;   /* NULL or "": the socket is root's (mode 600) */
    const char *map_dir;       /* absolute; holds ssh.map sni.map host.map */
    struct pr_prefix6 pi_pool; /* every set-dst is guarded by it */
    unsigned http_port, https_port;
    unsigned ssh_first, ssh_last; /* the ssh port range */
};

/* A path that may appear in the configuration or a runtime command:
 * absolute, only [A-Za-z0-9._/-], no "..", at most PR_PATH_MAX - 16. */
bool pr_proxy_path_valid(const char *path);

/* Renders haproxy.cfg to f.  Returns 0, or -EINVAL with the reason in err
 * when a path, port or range is unusable. */
int pr_proxy_render_config(FILE *f, const struct pr_proxy_render *r, char *err, size_t errlen);

/* ---- the runtime API ---- */

/* One line of `show map` output ("0xPTR key value"). */
struct pr_map_entry {
    char key[PR_FQDN_MAX];
    char value[PR_MAP_VALUE_MAX];
};
struct pr_map_entries {
    struct pr_map_entry *v;
    size_t n, cap;
    size_t malformed; /* lines that were not "0xPTR key value" */
};
void pr_map_entries_clear(struct pr_map_entries *me);

/* Parses the answer to `show map FILE`.  Lines that do not parse, or
 * whose key or value are too long to be ours, are counted in
 * out->malformed and skipped.  An answer that is an error message (no
 * line starts with "0x" and the text is not empty) returns -ENOENT with
 * the message in err.  At most max_entries lines are kept (-E2BIG past
 * that).  Returns 0 or -errno. */
int pr_haproxy_parse_show_map(const char *buf, size_t len, size_t max_entries,
                              struct pr_map_entries *out, char *err, size_t errlen);

struct pr_haproxy_info {
    long pid;
    long uptime_s;
    char version[32];
};
/* Parses `show info`.  Returns 0, or -EINVAL when there is no Pid line. */
int pr_haproxy_parse_show_info(const char *buf, size_t len, struct pr_haproxy_info *out);

/* Parses "New version created: N" from `prepare map`.  Returns N >= 0,
 * or -EINVAL. */
long pr_haproxy_parse_prepare(const char *buf, size_t len);

/* What a runtime map command does. */
enum pr_map_op_kind {
    PR_MAP_ADD,
    PR_MAP_SET,
    PR_MAP_DEL
};
struct pr_map_op {
    enum pr_map_op_kind op;
    char key[PR_FQDN_MAX];
    char value[PR_MAP_VALUE_MAX]; /* "" for DEL */
};
struct pr_map_ops {
    struct pr_map_op *v;
    size_t n, cap;
    bool swap; /* the map holds entries that cannot be named safely
                     (malformed, duplicate or hostile keys): replace it
                     whole with prepare/commit instead */
};
void pr_map_ops_clear(struct pr_map_ops *ops);

/* What must change in kind's map for HAProxy's entries (have) to equal
 * the desired routes of that kind in rs.  Returns 0 or -ENOMEM. */
int pr_proxy_map_diff(enum pr_route_kind kind, const struct pr_routes *rs,
                      const struct pr_map_entries *have, struct pr_map_ops *out);

/* Whether have holds exactly key -> value (and no other value for key). */
bool pr_map_entries_has(const struct pr_map_entries *have, const char *key, const char *value);

/* Command builders: each writes one newline-terminated runtime command
 * to buf.  map is a map file path (pr_proxy_path_valid); version < 0
 * means the current version, otherwise "@version" (prepare/commit).
 * Key and value are checked again (kind, pool) and anything unsafe is
 * refused with -EINVAL and the reason in err: it never reaches the
 * socket.  Return 0, -EINVAL or -ENOSPC. */
int pr_haproxy_cmd_show_map(char *buf, size_t len, const char *map, char *err, size_t errlen);
int pr_haproxy_cmd_map_op(char *buf, size_t len, const char *map, long version,
                          enum pr_route_kind kind, const struct pr_prefix6 *pool,
                          const struct pr_map_op *op, char *err, size_t errlen);
int pr_haproxy_cmd_prepare(char *buf, size_t len, const char *map, char *err, size_t errlen);
int pr_haproxy_cmd_commit(char *buf, size_t len, const char *map, long version, char *err,
                          size_t errlen);

/* Whether addr is a usable admin socket address: an absolute path
 * (pr_proxy_path_valid), "host:port" or "[v6]:port". */
bool pr_haproxy_addr_valid(const char *addr);

#define PR_HAPROXY_MAX_ANSWER (8u << 20)

/* Sends one command (newline-terminated) to the admin socket at addr and
 * reads the whole answer (HAProxy closes after one command).  Blocks at
 * most timeout_ms in total.  *answer is malloc'd and NUL-terminated; the
 * caller frees it.  Returns 0, -ETIMEDOUT, -E2BIG (answer past
 * PR_HAPROXY_MAX_ANSWER), or the connect/IO -errno (e.g. -ECONNREFUSED,
 * -ENOENT). */
int pr_haproxy_cmd(const char *addr, const char *cmd, unsigned timeout_ms, char **answer,
                   size_t *answer_len);

/* ---- reconciling HAProxy with the desired routes (blocking) ---- */

struct pr_proxy_target {
    char admin[PR_PATH_MAX];                /* pr_haproxy_addr_valid */
    char maps[PR_ROUTE_KINDS][PR_PATH_MAX]; /* map file paths as HAProxy names them */
    struct pr_prefix6 pool;
    unsigned timeout_ms; /* per command */
};

/* Fills t->maps from map_dir ("DIR/ssh.map", ...).  Returns 0 or -EINVAL
 * when map_dir or admin is unusable. */
int pr_proxy_target_init(struct pr_proxy_target *t, const char *admin, const char *map_dir,
                         const struct pr_prefix6 *pool, unsigned timeout_ms);

struct pr_proxy_report {
    int rc;                      /* 0, or the first -errno (unreachable, refused) */
    char error[256];             /* why, when rc < 0 or a map failed */
    struct pr_haproxy_info info; /* pid 0 when HAProxy did not answer */
    bool *in_haproxy;            /* one per desired route, malloc'd */
    size_t n;
    unsigned added, changed, removed, swaps, failed;
};
void pr_proxy_report_clear(struct pr_proxy_report *rep);

/* Makes each map in HAProxy equal the routes in rs: `show info`, then per
 * map `show map`, the diff, the commands (or one prepare/commit swap),
 * and `show map` again to learn which routes HAProxy really has.  Blocks
 * up to a few timeouts per map: run it on a worker.  Returns rep->rc. */
int pr_proxy_reconcile(const struct pr_proxy_target *t, const struct pr_routes *rs,
                       struct pr_proxy_report *rep);

/* ---- the engine: files, a worker that talks to HAProxy, a timer ----
 *
 * Owns the desired routes, writes the map files (and the zone) when they
 * change, and keeps HAProxy equal to them from a worker thread, which
 * hands each result back with pr_loop_post().  HAProxy being unreachable
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
    unsigned timeout_ms; /* per runtime command; 0 = 1000 */
    unsigned check_ms;   /* between checks; 0 = 5000 */
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
    unsigned restarts;                               /* HAProxy Pid changes seen */
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

/* Starts a check now (coalesced with one that is queued). */
void pr_proxy_check_now(struct pr_proxy *p);

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
