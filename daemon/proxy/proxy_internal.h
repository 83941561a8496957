/* proxy/routes internals: the map codec, the runtime API's command builders and
 * parsers, the admin client, the renderer, the reconciler and the files the
 * engine writes.  Shared by daemon/proxy/ and its tests only; other folders
 * use include/pirack/proxy.h. */
#ifndef PIRACK_PROXY_INTERNAL_H
#define PIRACK_PROXY_INTERNAL_H

#include <stdint.h>
#include "pirack/proxy.h"

/* ---- route lists ---- */

/* Sorts by kind, then key (ports numerically). */
void pr_routes_sort(struct pr_routes *rs);
/* Two routes of the same kind with the same key: returns 1 and names them
 * in err, or 0 when every key is unique. */
int pr_routes_find_duplicate(const struct pr_routes *rs, char *err, size_t errlen);

/* ---- map files ---- */

/* ---- the base HAProxy configuration ---- */

struct pr_proxy_render {
    const char *admin_socket;  /* path, or host:port of a remote HAProxy */
    const char *admin_group;   /* NULL or "": the socket is root's (mode 600) */
    const char *map_dir;       /* absolute; holds ssh.map sni.map host.map */
    struct pr_prefix6 pi_pool; /* every set-dst is guarded by it */
    unsigned http_port, https_port;
    unsigned ssh_first, ssh_last; /* the ssh port range */
    /* The customer API's route: TLS for api_host (api.DOMAIN) terminated
     * with api_cert (PEM, certificate and key) and passed to pirackd at
     * api_backend.  NULL or "": no route. */
    const char *api_host, *api_cert, *api_backend;
};

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

/* Parses `show info`.  Returns 0, or -EINVAL when there is no Pid line. */
int pr_haproxy_parse_show_info(const char *buf, size_t len, struct pr_haproxy_info *out);

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

#define PR_HAPROXY_MAX_ANSWER (8u << 20)

/* ---- reconciling HAProxy with the desired routes (blocking) ---- */

struct pr_proxy_target {
    char admin[PR_PATH_MAX];                /* pr_haproxy_addr_valid */
    char maps[PR_ROUTE_KINDS][PR_PATH_MAX]; /* map file paths as HAProxy names them */
    struct pr_prefix6 pool;
    unsigned timeout_ms; /* per command */
};

struct pr_proxy_report {
    int rc;                      /* 0, or the first -errno (unreachable, refused) */
    char error[256];             /* why, when rc < 0 or a map failed */
    struct pr_haproxy_info info; /* pid 0 when HAProxy did not answer */
    bool *in_haproxy;            /* one per desired route, malloc'd */
    size_t n;
    unsigned added, changed, removed, swaps, failed;
};
void pr_proxy_report_clear(struct pr_proxy_report *rep);

/* Makes map_dir, renders the configuration when config_path is set and
 * writes an empty map for each one that is missing (HAProxy refuses to
 * start without its map files).  Returns 0 or -errno, reason in err. */
int pr_proxy_prepare_files(const struct pr_proxy_settings *s, char *err, size_t errlen);

/* Writes ssh.map, sni.map and host.map under map_dir atomically. */
int pr_proxy_write_maps(const char *map_dir, const struct pr_routes *rs,
                        const struct pr_prefix6 *pool, char *err, size_t errlen);

struct pr_proxy_zone {
    uint32_t serial; /* of the zone on disk, 0 = none */
    char *records;   /* its records, NULL = none */
};

/* Reads the serial and records of a zone written earlier (a missing or
 * foreign file leaves both empty).  Returns 0 or -errno. */
int pr_proxy_zone_load(struct pr_proxy_zone *z, const char *path);
/* Renders the zone for pis; when its records changed, writes it with the
 * next serial.  Returns 1 written, 0 unchanged (or no zone_path), -errno. */
int pr_proxy_zone_update(struct pr_proxy_zone *z, const struct pr_proxy_settings *s,
                         const struct pr_zone_pi *pis, size_t npis, char *err, size_t errlen);
void pr_proxy_zone_clear(struct pr_proxy_zone *z);

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

/* The routes of one slot whose pi is called name ("" or NULL: the plan's
 * default name RACK-NNN): ssh port -> Pi, SNI www.NAME.DOMAIN -> Pi,
 * Host www.NAME.DOMAIN -> Pi, in that order.  Returns the count
 * (PR_ROUTES_PER_SLOT), or -EINVAL / -ERANGE with the reason in err. */
int pr_proxy_slot_routes(const struct pr_plan *plan, unsigned slot, const char *name,
                         struct pr_route out[PR_ROUTES_PER_SLOT], char *err, size_t errlen);

/* Writes kind's map from rs to f: a comment line, then "key value" lines
 * sorted by key.  Re-checks every route (against pool) and refuses the
 * whole map (-EINVAL, reason in err) if one fails.  Returns 0 or -errno. */
int pr_proxy_write_map(FILE *f, enum pr_route_kind kind, const struct pr_routes *rs,
                       const struct pr_prefix6 *pool, char *err, size_t errlen);

/* Renders haproxy.cfg to f.  Returns 0, or -EINVAL with the reason in err
 * when a path, port or range is unusable. */
int pr_proxy_render_config(FILE *f, const struct pr_proxy_render *r, char *err, size_t errlen);

/* Parses the answer to `show map FILE`.  Lines that do not parse, or
 * whose key or value are too long to be ours, are counted in
 * out->malformed and skipped.  An answer that is an error message (no
 * line starts with "0x" and the text is not empty) returns -ENOENT with
 * the message in err.  At most max_entries lines are kept (-E2BIG past
 * that).  Returns 0 or -errno. */
int pr_haproxy_parse_show_map(const char *buf, size_t len, size_t max_entries,
                              struct pr_map_entries *out, char *err, size_t errlen);

/* Parses "New version created: N" from `prepare map`.  Returns N >= 0,
 * or -EINVAL. */
long pr_haproxy_parse_prepare(const char *buf, size_t len);

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

/* Sends one command (newline-terminated) to the admin socket at addr and
 * reads the whole answer (HAProxy closes after one command).  Blocks at
 * most timeout_ms in total.  *answer is malloc'd and NUL-terminated; the
 * caller frees it.  Returns 0, -ETIMEDOUT, -E2BIG (answer past
 * PR_HAPROXY_MAX_ANSWER), or the connect/IO -errno (e.g. -ECONNREFUSED,
 * -ENOENT). */
int pr_haproxy_cmd(const char *addr, const char *cmd, unsigned timeout_ms, char **answer,
                   size_t *answer_len);

/* Fills t->maps from map_dir ("DIR/ssh.map", ...).  Returns 0 or -EINVAL
 * when map_dir or admin is unusable. */
int pr_proxy_target_init(struct pr_proxy_target *t, const char *admin, const char *map_dir,
                         const struct pr_prefix6 *pool, unsigned timeout_ms);

/* Makes each map in HAProxy equal the routes in rs: `show info`, then per
 * map `show map`, the diff, the commands (or one prepare/commit swap),
 * and `show map` again to learn which routes HAProxy really has.  Blocks
 * up to a few timeouts per map: run it on a worker.  Returns rep->rc. */
int pr_proxy_reconcile(const struct pr_proxy_target *t, const struct pr_routes *rs,
                       struct pr_proxy_report *rep);

/* Starts a check now (coalesced with one that is queued). */
void pr_proxy_check_now(struct pr_proxy *p);

/* Writes the records of every pi (sorted as given) to f.  A pi whose
 * name is not a valid label is left out and counted in *skipped.  Returns
 * 0, or -EINVAL with the reason in err when the parameters are unusable. */
int pr_zone_render_records(FILE *f, const struct pr_zone_params *zp, const struct pr_zone_pi *pis,
                           size_t n, size_t *skipped, char *err, size_t errlen);

/* Writes the whole zone: header, $ORIGIN, $TTL, SOA with serial, NS, a
 * "; records" line and then records (the output of
 * pr_zone_render_records).  Returns 0 or -EINVAL with the reason in err. */
int pr_zone_render(FILE *f, const struct pr_zone_params *zp, uint32_t serial, const char *records,
                   char *err, size_t errlen);

/* The serial after prev on day (YYYYMMDD): max(prev + 1, day * 100). */
uint32_t pr_zone_next_serial(uint32_t prev, uint32_t day);
/* Today's YYYYMMDD in UTC from unix seconds. */
uint32_t pr_zone_day(int64_t unix_s);

/* Reads back a zone that pr_zone_render wrote: its serial and where its
 * records start (offset into text).  Returns 0, or -EINVAL when text is
 * not such a zone. */
int pr_zone_parse(const char *text, size_t len, uint32_t *serial, size_t *records_off);

#endif
