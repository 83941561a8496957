/* proxy/map: map files, `show map` answers, map diffs and the runtime
 * commands that carry them.  Pure: bytes in, decisions out. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pirack/array.h"
#include "pirack/log.h"
#include "pirack/proxy.h"
#include "proxy_internal.h"

/* Ops past this many in one map are sent as one prepare/commit swap. */
#define PR_MAP_SWAP_THRESHOLD 32

void pr_map_entries_clear(struct pr_map_entries *me)
{
    free(me->v);
    memset(me, 0, sizeof *me);
}

void pr_map_ops_clear(struct pr_map_ops *ops)
{
    free(ops->v);
    memset(ops, 0, sizeof *ops);
}

static int entries_push(struct pr_map_entries *me, const char *key, size_t klen, const char *value,
                        size_t vlen)
{
    if (pr_array_grow(&me->v, me->n, &me->cap, sizeof *me->v, 64) < 0)
        return -ENOMEM;
    struct pr_map_entry *e = &me->v[me->n++];
    memcpy(e->key, key, klen);
    e->key[klen] = '\0';
    memcpy(e->value, value, vlen);
    e->value[vlen] = '\0';
    return 0;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* Splits line[0..len) into at most max whitespace-separated tokens;
 * returns how many there were (may exceed max). */
static size_t tokens(const char *line, size_t len, const char **tok, size_t *tlen, size_t max)
{
    size_t n = 0, i = 0;
    while (i < len) {
        while (i < len && is_space(line[i]))
            i++;
        if (i == len)
            break;
        size_t start = i;
        while (i < len && !is_space(line[i]))
            i++;
        if (n < max) {
            tok[n] = line + start;
            tlen[n] = i - start;
        }
        n++;
    }
    return n;
}

static int is_pointer(const char *t, size_t len)
{
    if (len < 3 || t[0] != '0' || t[1] != 'x')
        return 0;
    for (size_t i = 2; i < len; i++) {
        char c = t[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return 0;
    }
    return 1;
}

/* One line of a `show map` answer: 1 entry kept, 0 malformed. */
static int parse_map_line(const char *line, size_t len, struct pr_map_entries *out)
{
    const char *tok[3];
    size_t tlen[3];
    if (tokens(line, len, tok, tlen, 3) != 3 || !is_pointer(tok[0], tlen[0]))
        return 0;
    if (tlen[1] >= sizeof out->v->key || tlen[2] >= sizeof out->v->value)
        return 0;
    if (memchr(tok[1], '\0', tlen[1]) || memchr(tok[2], '\0', tlen[2]))
        return 0;
    return entries_push(out, tok[1], tlen[1], tok[2], tlen[2]) < 0 ? -ENOMEM : 1;
}

static void set_error_text(const char *buf, size_t len, char *err, size_t errlen)
{
    while (len > 0 && (buf[len - 1] == '\n' || is_space(buf[len - 1])))
        len--;
    if (len > 200)
        len = 200;
    pr_escape(buf, len, err, errlen);
}

int pr_haproxy_parse_show_map(const char *buf, size_t len, size_t max_entries,
                              struct pr_map_entries *out, char *err, size_t errlen)
{
    size_t pos = 0, pointer_lines = 0, text = 0;
    memset(out, 0, sizeof *out);
    while (pos < len) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - buf) : len;
        const char *line = buf + pos;
        size_t llen = end - pos;
        pos = end + 1;
        size_t lead = 0;
        while (lead < llen && is_space(line[lead]))
            lead++;
        if (lead == llen)
            continue;
        text++;
        if (llen - lead >= 2 && line[lead] == '0' && line[lead + 1] == 'x')
            pointer_lines++;
        if (out->n >= max_entries) {
            snprintf(err, errlen, "the map holds more than %zu entries", max_entries);
            pr_map_entries_clear(out);
            return -E2BIG;
        }
        int rc = parse_map_line(line, llen, out);
        if (rc < 0) {
            pr_map_entries_clear(out);
            return rc;
        }
        if (rc == 0)
            out->malformed++;
    }
    if (text > 0 && pointer_lines == 0) {
        set_error_text(buf, len, err, errlen);
        pr_map_entries_clear(out);
        return -ENOENT;
    }
    return 0;
}

/* Finds "Name: value" at the start of a line; copies value to out. */
static int info_field(const char *buf, size_t len, const char *name, char *out, size_t outlen)
{
    size_t nlen = strlen(name), pos = 0;
    while (pos < len) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - buf) : len;
        if (end - pos > nlen + 1 && memcmp(buf + pos, name, nlen) == 0 && buf[pos + nlen] == ':') {
            size_t v = pos + nlen + 1;
            while (v < end && buf[v] == ' ')
                v++;
            size_t vlen = end - v;
            if (vlen >= outlen)
                vlen = outlen - 1;
            memcpy(out, buf + v, vlen);
            out[vlen] = '\0';
            return 0;
        }
        pos = end + 1;
    }
    return -ENOENT;
}

static long parse_long(const char *s)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end != '\0' || v < 0)
        return -1;
    return v;
}

int pr_haproxy_parse_show_info(const char *buf, size_t len, struct pr_haproxy_info *out)
{
    char v[32];
    memset(out, 0, sizeof *out);
    out->uptime_s = -1;
    if (info_field(buf, len, "Pid", v, sizeof v) < 0 || (out->pid = parse_long(v)) <= 0)
        return -EINVAL;
    if (info_field(buf, len, "Uptime_sec", v, sizeof v) == 0)
        out->uptime_s = parse_long(v);
    char ver[32];
    if (info_field(buf, len, "Version", ver, sizeof ver) == 0)
        pr_escape(ver, strlen(ver), out->version, sizeof out->version);
    return 0;
}

long pr_haproxy_parse_prepare(const char *buf, size_t len)
{
    static const char prefix[] = "New version created:";
    size_t plen = sizeof prefix - 1;
    if (len < plen || memcmp(buf, prefix, plen) != 0)
        return -EINVAL;
    char num[24];
    size_t i = plen, n = 0;
    while (i < len && buf[i] == ' ')
        i++;
    while (i < len && buf[i] >= '0' && buf[i] <= '9' && n < sizeof num - 1)
        num[n++] = buf[i++];
    num[n] = '\0';
    if (n == 0 || n > 18 || (i < len && buf[i] != '\n'))
        return -EINVAL;
    return strtol(num, NULL, 10);
}

bool pr_map_entries_has(const struct pr_map_entries *have, const char *key, const char *value)
{
    int found = 0;
    for (size_t i = 0; i < have->n; i++) {
        if (strcmp(have->v[i].key, key) != 0)
            continue;
        if (strcmp(have->v[i].value, value) != 0)
            return false;
        found++;
    }
    return found == 1;
}

/* ---- diff ---- */

static int ops_push(struct pr_map_ops *ops, enum pr_map_op_kind op, const char *key,
                    const char *value)
{
    if (pr_array_grow(&ops->v, ops->n, &ops->cap, sizeof *ops->v, 32) < 0)
        return -ENOMEM;
    struct pr_map_op *o = &ops->v[ops->n++];
    o->op = op;
    snprintf(o->key, sizeof o->key, "%s", key);
    snprintf(o->value, sizeof o->value, "%s", value ? value : "");
    return 0;
}

static int entry_ptr_cmp(const void *pa, const void *pb)
{
    const struct pr_map_entry *a = *(const struct pr_map_entry *const *)pa;
    const struct pr_map_entry *b = *(const struct pr_map_entry *const *)pb;
    return strcmp(a->key, b->key);
}

static int route_ptr_cmp(const void *pa, const void *pb)
{
    const struct pr_route *a = *(const struct pr_route *const *)pa;
    const struct pr_route *b = *(const struct pr_route *const *)pb;
    return strcmp(a->key, b->key);
}

/* Walks the desired routes (want) and HAProxy's entries (got), both
 * sorted by key, and records what turns got into want. */
static int merge(const struct pr_route **want, size_t nw, const struct pr_map_entry **got,
                 size_t ng, enum pr_route_kind kind, struct pr_map_ops *out)
{
    char err[160];
    size_t i = 0, j = 0;
    int rc = 0;
    while (rc == 0 && (i < nw || j < ng)) {
        int c = i == nw ? 1 : j == ng ? -1 : strcmp(want[i]->key, got[j]->key);
        if (j < ng && pr_proxy_check_key(kind, got[j]->key, err, sizeof err) < 0) {
            out->swap = true; /* a key we must never send */
            j++;
        } else if (c < 0) {
            rc = ops_push(out, PR_MAP_ADD, want[i]->key, want[i]->value);
            i++;
        } else if (c > 0) {
            rc = ops_push(out, PR_MAP_DEL, got[j]->key, NULL);
            j++;
        } else {
            size_t dup = j + 1;
            while (dup < ng && strcmp(got[dup]->key, got[j]->key) == 0)
                dup++;
            if (dup - j > 1)
                out->swap = true; /* `set map` would change only one */
            else if (strcmp(want[i]->value, got[j]->value) != 0)
                rc = ops_push(out, PR_MAP_SET, want[i]->key, want[i]->value);
            i++;
            j = dup;
        }
    }
    return rc;
}

int pr_proxy_map_diff(enum pr_route_kind kind, const struct pr_routes *rs,
                      const struct pr_map_entries *have, struct pr_map_ops *out)
{
    memset(out, 0, sizeof *out);
    const struct pr_route **want = calloc(rs->n + 1, sizeof *want);
    const struct pr_map_entry **got = calloc(have->n + 1, sizeof *got);
    int rc = -ENOMEM;
    if (!want || !got)
        goto done;
    size_t nw = 0;
    for (size_t i = 0; i < rs->n; i++)
        if (rs->v[i].kind == kind)
            want[nw++] = &rs->v[i];
    for (size_t i = 0; i < have->n; i++)
        got[i] = &have->v[i];
    qsort(want, nw, sizeof *want, route_ptr_cmp);
    qsort(got, have->n, sizeof *got, entry_ptr_cmp);
    rc = merge(want, nw, got, have->n, kind, out);
    if (have->malformed > 0 || out->n > PR_MAP_SWAP_THRESHOLD)
        out->swap = true;
done:
    free(want);
    free(got);
    if (rc < 0)
        pr_map_ops_clear(out);
    return rc;
}

/* ---- map files ---- */

int pr_proxy_write_map(FILE *f, enum pr_route_kind kind, const struct pr_routes *rs,
                       const struct pr_prefix6 *pool, char *err, size_t errlen)
{
    const char *name = pr_route_kind_name(kind);
    if (!name) {
        snprintf(err, errlen, "unknown route kind %d", (int)kind);
        return -EINVAL;
    }
    for (size_t i = 0; i < rs->n; i++) {
        const struct pr_route *r = &rs->v[i];
        if (r->kind != kind)
            continue;
        int rc = pr_proxy_check_key(kind, r->key, err, errlen);
        if (rc == 0)
            rc = pr_proxy_check_value(pool, r->value, NULL, err, errlen);
        if (rc < 0)
            return rc;
    }
    struct pr_routes sorted = { 0 };
    for (size_t i = 0; i < rs->n; i++)
        if (rs->v[i].kind == kind && pr_routes_push(&sorted, &rs->v[i]) < 0) {
            pr_routes_clear(&sorted);
            return -ENOMEM;
        }
    pr_routes_sort(&sorted);
    fprintf(f, "# %s.map, written by pirackd: key -> Pi IPv6 address. Do not edit.\n", name);
    for (size_t i = 0; i < sorted.n; i++)
        fprintf(f, "%s %s\n", sorted.v[i].key, sorted.v[i].value);
    pr_routes_clear(&sorted);
    return ferror(f) ? -EIO : 0;
}

/* ---- runtime commands ---- */

static int cmd_print(char *buf, size_t len, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int cmd_print(char *buf, size_t len, char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= len) {
        snprintf(err, errlen, "runtime command too long");
        return -ENOSPC;
    }
    return 0;
}

static int check_map_path(const char *map, char *err, size_t errlen)
{
    char q[96];
    if (!map || !pr_proxy_path_valid(map)) {
        snprintf(err, errlen, "map path \"%s\" is not a plain absolute path",
                 map ? pr_escape(map, strnlen(map, 512), q, sizeof q) : "");
        return -EINVAL;
    }
    return 0;
}

static int version_text(long version, char *out, size_t len)
{
    if (version < 0)
        out[0] = '\0';
    else
        snprintf(out, len, "@%ld ", version);
    return 0;
}

int pr_haproxy_cmd_show_map(char *buf, size_t len, const char *map, char *err, size_t errlen)
{
    int rc = check_map_path(map, err, errlen);
    return rc < 0 ? rc : cmd_print(buf, len, err, errlen, "show map %s\n", map);
}

int pr_haproxy_cmd_map_op(char *buf, size_t len, const char *map, long version,
                          enum pr_route_kind kind, const struct pr_prefix6 *pool,
                          const struct pr_map_op *op, char *err, size_t errlen)
{
    char ver[32];
    int rc = check_map_path(map, err, errlen);
    if (rc == 0)
        rc = pr_proxy_check_key(kind, op->key, err, errlen);
    if (rc == 0 && op->op != PR_MAP_DEL)
        rc = pr_proxy_check_value(pool, op->value, NULL, err, errlen);
    if (rc < 0)
        return rc;
    version_text(version, ver, sizeof ver);
    switch (op->op) {
    case PR_MAP_ADD:
        return cmd_print(buf, len, err, errlen, "add map %s%s %s %s\n", ver, map, op->key,
                         op->value);
    case PR_MAP_SET:
        return cmd_print(buf, len, err, errlen, "set map %s%s %s %s\n", ver, map, op->key,
                         op->value);
    case PR_MAP_DEL:
        return cmd_print(buf, len, err, errlen, "del map %s%s %s\n", ver, map, op->key);
    }
    snprintf(err, errlen, "unknown map operation %d", (int)op->op);
    return -EINVAL;
}

int pr_haproxy_cmd_prepare(char *buf, size_t len, const char *map, char *err, size_t errlen)
{
    int rc = check_map_path(map, err, errlen);
    return rc < 0 ? rc : cmd_print(buf, len, err, errlen, "prepare map %s\n", map);
}

int pr_haproxy_cmd_commit(char *buf, size_t len, const char *map, long version, char *err,
                          size_t errlen)
{
    int rc = check_map_path(map, err, errlen);
    if (rc == 0 && version < 0) {
        snprintf(err, errlen, "commit needs a map version");
        rc = -EINVAL;
    }
    return rc < 0 ? rc : cmd_print(buf, len, err, errlen, "commit map @%ld %s\n", version, map);
}
