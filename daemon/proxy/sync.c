/* proxy/sync: make HAProxy's maps equal the desired routes through the
 * runtime API.  Blocking (one short-lived connection per command, each
 * with a deadline): the proxy service runs it on its worker thread. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pirack/log.h"
#include "pirack/proxy.h"
#include "proxy_internal.h"

#define PR_CMD_MAX (PR_PATH_MAX + PR_FQDN_MAX + 128)
/* A map larger than this is not ours to reconcile. */
#define PR_MAP_MAX_ENTRIES 200000

int pr_proxy_target_init(struct pr_proxy_target *t, const char *admin, const char *map_dir,
                         const struct pr_prefix6 *pool, unsigned timeout_ms)
{
    memset(t, 0, sizeof *t);
    if (!pr_haproxy_addr_valid(admin) || !pr_proxy_path_valid(map_dir))
        return -EINVAL;
    snprintf(t->admin, sizeof t->admin, "%s", admin);
    for (unsigned k = 0; k < PR_ROUTE_KINDS; k++)
        snprintf(t->maps[k], sizeof t->maps[k], "%s/%s.map", map_dir,
                 pr_route_kind_name((enum pr_route_kind)k));
    t->pool = *pool;
    t->timeout_ms = timeout_ms ? timeout_ms : 1000;
    return 0;
}

void pr_proxy_report_clear(struct pr_proxy_report *rep)
{
    free(rep->in_haproxy);
    memset(rep, 0, sizeof *rep);
}

static void fail(struct pr_proxy_report *rep, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(struct pr_proxy_report *rep, int rc, const char *fmt, ...)
{
    if (rep->rc == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(rep->error, sizeof rep->error, fmt, ap);
        va_end(ap);
        rep->rc = rc;
    }
}

/* Sends cmd; an answer other than blank lines is HAProxy saying no. */
static int run_quiet(const struct pr_proxy_target *t, const char *cmd, char *err, size_t errlen)
{
    char *ans = NULL;
    size_t len = 0;
    int rc = pr_haproxy_cmd(t->admin, cmd, t->timeout_ms, &ans, &len);
    if (rc < 0) {
        snprintf(err, errlen, "%s", strerror(-rc));
        return rc;
    }
    size_t i = 0;
    while (i < len && (ans[i] == '\n' || ans[i] == ' ' || ans[i] == '\r'))
        i++;
    if (i < len) {
        pr_escape(ans, len > 200 ? 200 : len, err, errlen);
        rc = -EPROTO;
    }
    free(ans);
    return rc;
}

static int show_map(const struct pr_proxy_target *t, const char *map, struct pr_map_entries *have,
                    char *err, size_t errlen)
{
    char cmd[PR_CMD_MAX], *ans = NULL;
    size_t len = 0;
    int rc = pr_haproxy_cmd_show_map(cmd, sizeof cmd, map, err, errlen);
    if (rc == 0 && (rc = pr_haproxy_cmd(t->admin, cmd, t->timeout_ms, &ans, &len)) < 0)
        snprintf(err, errlen, "%s", strerror(-rc));
    if (rc == 0)
        rc = pr_haproxy_parse_show_map(ans, len, PR_MAP_MAX_ENTRIES, have, err, errlen);
    free(ans);
    return rc;
}

/* Replaces the whole map atomically: prepare, add @v each route, commit. */
static int swap_map(const struct pr_proxy_target *t, enum pr_route_kind kind,
                    const struct pr_routes *rs, char *err, size_t errlen)
{
    const char *map = t->maps[kind];
    char cmd[PR_CMD_MAX], *ans = NULL;
    size_t len = 0;
    int rc = pr_haproxy_cmd_prepare(cmd, sizeof cmd, map, err, errlen);
    if (rc == 0 && (rc = pr_haproxy_cmd(t->admin, cmd, t->timeout_ms, &ans, &len)) < 0)
        snprintf(err, errlen, "%s", strerror(-rc));
    long version = rc == 0 ? pr_haproxy_parse_prepare(ans, len) : rc;
    if (rc == 0 && version < 0) {
        pr_escape(ans, len > 200 ? 200 : len, err, errlen);
        rc = -EPROTO;
    }
    free(ans);
    for (size_t i = 0; rc == 0 && i < rs->n; i++) {
        const struct pr_route *r = &rs->v[i];
        struct pr_map_op op = { .op = PR_MAP_ADD };
        if (r->kind != kind)
            continue;
        memcpy(op.key, r->key, sizeof op.key);
        memcpy(op.value, r->value, sizeof op.value);
        rc = pr_haproxy_cmd_map_op(cmd, sizeof cmd, map, version, kind, &t->pool, &op, err, errlen);
        if (rc == 0)
            rc = run_quiet(t, cmd, err, errlen);
    }
    if (rc == 0 && (rc = pr_haproxy_cmd_commit(cmd, sizeof cmd, map, version, err, errlen)) == 0)
        rc = run_quiet(t, cmd, err, errlen);
    return rc;
}

static int apply_ops(const struct pr_proxy_target *t, enum pr_route_kind kind,
                     const struct pr_map_ops *ops, struct pr_proxy_report *rep)
{
    char cmd[PR_CMD_MAX], err[200];
    int first = 0;
    for (size_t i = 0; i < ops->n; i++) {
        int rc = pr_haproxy_cmd_map_op(cmd, sizeof cmd, t->maps[kind], -1, kind, &t->pool,
                                       &ops->v[i], err, sizeof err);
        if (rc == 0)
            rc = run_quiet(t, cmd, err, sizeof err);
        if (rc < 0) {
            rep->failed++;
            fail(rep, rc, "%s.map %s: %s", pr_route_kind_name(kind), ops->v[i].key, err);
            if (!first)
                first = rc;
            if (rc != -EPROTO)
                return rc; /* the socket is gone: stop this map */
            continue;
        }
        switch (ops->v[i].op) {
        case PR_MAP_ADD:
            rep->added++;
            break;
        case PR_MAP_SET:
            rep->changed++;
            break;
        case PR_MAP_DEL:
            rep->removed++;
            break;
        }
    }
    return first;
}

static void mark_present(enum pr_route_kind kind, const struct pr_routes *rs,
                         const struct pr_map_entries *have, struct pr_proxy_report *rep)
{
    for (size_t i = 0; i < rs->n; i++)
        if (rs->v[i].kind == kind)
            rep->in_haproxy[i] = pr_map_entries_has(have, rs->v[i].key, rs->v[i].value);
}

static void reconcile_map(const struct pr_proxy_target *t, enum pr_route_kind kind,
                          const struct pr_routes *rs, struct pr_proxy_report *rep)
{
    const char *name = pr_route_kind_name(kind);
    struct pr_map_entries have = { 0 };
    struct pr_map_ops ops = { 0 };
    char err[200];
    int rc = show_map(t, t->maps[kind], &have, err, sizeof err);
    if (rc < 0) {
        fail(rep, rc, "%s.map: %s", name, err);
        return;
    }
    if ((rc = pr_proxy_map_diff(kind, rs, &have, &ops)) < 0) {
        fail(rep, rc, "%s.map: %s", name, strerror(-rc));
    } else if (ops.swap) {
        rc = swap_map(t, kind, rs, err, sizeof err);
        if (rc < 0)
            fail(rep, rc, "%s.map swap: %s", name, err);
        else
            rep->swaps++;
    } else if (ops.n > 0) {
        rc = apply_ops(t, kind, &ops, rep);
    }
    if (rc != -EPROTO && (ops.n > 0 || ops.swap)) {
        pr_map_entries_clear(&have);
        if ((rc = show_map(t, t->maps[kind], &have, err, sizeof err)) < 0)
            fail(rep, rc, "%s.map: %s", name, err);
    }
    if (rc == 0 || rc == -EPROTO)
        mark_present(kind, rs, &have, rep);
    pr_map_entries_clear(&have);
    pr_map_ops_clear(&ops);
}

int pr_proxy_reconcile(const struct pr_proxy_target *t, const struct pr_routes *rs,
                       struct pr_proxy_report *rep)
{
    char *ans = NULL;
    size_t len = 0;
    memset(rep, 0, sizeof *rep);
    rep->n = rs->n;
    rep->in_haproxy = calloc(rs->n + 1, sizeof *rep->in_haproxy);
    if (!rep->in_haproxy) {
        rep->rc = -ENOMEM;
        return rep->rc;
    }
    int rc = pr_haproxy_cmd(t->admin, "show info\n", t->timeout_ms, &ans, &len);
    if (rc < 0) {
        fail(rep, rc, "HAProxy at %s: %s", t->admin, strerror(-rc));
        return rep->rc;
    }
    if (pr_haproxy_parse_show_info(ans, len, &rep->info) < 0)
        fail(rep, -EPROTO, "HAProxy at %s: `show info` has no Pid", t->admin);
    free(ans);
    if (rep->rc < 0)
        return rep->rc;
    for (unsigned k = 0; k < PR_ROUTE_KINDS; k++)
        reconcile_map(t, (enum pr_route_kind)k, rs, rep);
    return rep->rc;
}
