/* proxy/files: haproxy.cfg, the map files and the DNS zone on disk.
 * Every file is written atomically (temp + rename), so HAProxy or a DNS
 * server reading it never sees half of one. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "proxy_internal.h"

#define PR_ZONE_MAX_BYTES (16u << 20)

/* Runs render(f, arg) into memory, then writes the bytes to path. */
static int write_rendered(const char *path, int (*render)(FILE *, const void *, char *, size_t),
                          const void *arg, char *err, size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    int rc = render(f, arg, err, errlen);
    if (fclose(f) != 0 && rc == 0)
        rc = -ENOMEM;
    if (rc == 0 && (rc = pr_write_file_atomic(path, buf, len, 0644)) < 0)
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(-rc));
    free(buf);
    return rc;
}

static int render_config(FILE *f, const void *arg, char *err, size_t errlen)
{
    const struct pr_proxy_settings *s = arg;
    struct pr_proxy_render r = {
        .admin_socket = s->admin,
        .admin_group = s->admin_group,
        .map_dir = s->map_dir,
        .pi_pool = s->pool,
        .http_port = s->http_port,
        .https_port = s->https_port,
        .ssh_first = s->ssh_first,
        .ssh_last = s->ssh_last,
        .api_cert = s->api_cert,
        .api_backend = s->api_backend,
    };
    char api_host[PR_FQDN_MAX + 8];
    snprintf(api_host, sizeof(api_host), "api.%s", s->domain);
    r.api_host = api_host;
    return pr_proxy_render_config(f, &r, err, errlen);
}

struct map_arg {
    enum pr_route_kind kind;
    const struct pr_routes *rs;
    const struct pr_prefix6 *pool;
};

static int render_map(FILE *f, const void *arg, char *err, size_t errlen)
{
    const struct map_arg *m = arg;
    return pr_proxy_write_map(f, m->kind, m->rs, m->pool, err, errlen);
}

static void map_path(char *out, size_t len, const char *map_dir, unsigned kind)
{
    snprintf(out, len, "%s/%s.map", map_dir, pr_route_kind_name((enum pr_route_kind)kind));
}

int pr_proxy_write_maps(const char *map_dir, const struct pr_routes *rs,
                        const struct pr_prefix6 *pool, char *err, size_t errlen)
{
    char path[PR_PATH_MAX + 16];
    for (unsigned k = 0; k < PR_ROUTE_KINDS; k++) {
        struct map_arg m = { (enum pr_route_kind)k, rs, pool };
        map_path(path, sizeof path, map_dir, k);
        int rc = write_rendered(path, render_map, &m, err, errlen);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int pr_proxy_prepare_files(const struct pr_proxy_settings *s, char *err, size_t errlen)
{
    char path[PR_PATH_MAX + 16];
    struct pr_routes none = { 0 };
    int rc = pr_mkdir_p(s->map_dir);
    if (rc < 0) {
        snprintf(err, errlen, "cannot make %s: %s", s->map_dir, strerror(-rc));
        return rc;
    }
    if ((s->config_path[0] && (rc = pr_mkdir_parent(s->config_path)) < 0) ||
        (s->zone_path[0] && (rc = pr_mkdir_parent(s->zone_path)) < 0)) {
        snprintf(err, errlen, "cannot make the directory of %s or %s: %s", s->config_path,
                 s->zone_path, strerror(-rc));
        return rc;
    }
    if (s->config_path[0] &&
        (rc = write_rendered(s->config_path, render_config, s, err, errlen)) < 0)
        return rc;
    for (unsigned k = 0; k < PR_ROUTE_KINDS; k++) {
        map_path(path, sizeof path, s->map_dir, k);
        if (access(path, F_OK) == 0)
            continue;
        struct map_arg m = { (enum pr_route_kind)k, &none, &s->pool };
        if ((rc = write_rendered(path, render_map, &m, err, errlen)) < 0)
            return rc;
    }
    return 0;
}

/* ---- the zone ---- */

void pr_proxy_zone_clear(struct pr_proxy_zone *z)
{
    free(z->records);
    memset(z, 0, sizeof *z);
}

static int read_file(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return -errno;
    size_t cap = 8192, n = 0;
    char *buf = malloc(cap);
    int rc = buf ? 0 : -ENOMEM;
    while (rc == 0) {
        if (cap - n < 4096) {
            char *nb = cap >= PR_ZONE_MAX_BYTES ? NULL : realloc(buf, cap * 2);
            if (!nb) {
                rc = cap >= PR_ZONE_MAX_BYTES ? -EFBIG : -ENOMEM;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            rc = ferror(f) ? -EIO : 1;
    }
    fclose(f);
    if (rc < 0) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

int pr_proxy_zone_load(struct pr_proxy_zone *z, const char *path)
{
    char *text = NULL;
    size_t len = 0, off;
    uint32_t serial;
    memset(z, 0, sizeof *z);
    if (!path || !path[0])
        return 0;
    int rc = read_file(path, &text, &len);
    if (rc == -ENOENT)
        return 0;
    if (rc < 0)
        return rc;
    if (pr_zone_parse(text, len, &serial, &off) == 0) {
        z->serial = serial;
        z->records = strdup(text + off);
        rc = z->records ? 0 : -ENOMEM;
    }
    free(text);
    return rc;
}

struct zone_arg {
    const struct pr_proxy_settings *s;
    uint32_t serial;
    const char *records;
};

static void zone_params(const struct pr_proxy_settings *s, struct pr_zone_params *zp)
{
    memset(zp, 0, sizeof *zp);
    zp->domain = s->domain;
    zp->proxy_ipv4 = s->proxy_ipv4;
    zp->proxy_ipv6 = s->proxy_ipv6;
    zp->api = s->api_cert[0] && s->api_backend[0];
}

static int render_zone(FILE *f, const void *arg, char *err, size_t errlen)
{
    const struct zone_arg *za = arg;
    struct pr_zone_params zp;
    zone_params(za->s, &zp);
    return pr_zone_render(f, &zp, za->serial, za->records, err, errlen);
}

int pr_proxy_zone_update(struct pr_proxy_zone *z, const struct pr_proxy_settings *s,
                         const struct pr_zone_pi *pis, size_t npis, char *err, size_t errlen)
{
    struct pr_zone_params zp;
    char *records = NULL;
    size_t len = 0, skipped = 0;
    if (!s->zone_path[0])
        return 0;
    zone_params(s, &zp);
    FILE *f = open_memstream(&records, &len);
    if (!f)
        return -ENOMEM;
    int rc = pr_zone_render_records(f, &zp, pis, npis, &skipped, err, errlen);
    if (fclose(f) != 0 && rc == 0)
        rc = -ENOMEM;
    if (rc == 0 && z->records && strcmp(z->records, records) == 0) {
        free(records);
        return 0;
    }
    struct zone_arg za = { s, pr_zone_next_serial(z->serial, pr_zone_day(time(NULL))), records };
    if (rc == 0)
        rc = write_rendered(s->zone_path, render_zone, &za, err, errlen);
    if (rc < 0) {
        free(records);
        return rc;
    }
    free(z->records);
    z->records = records;
    z->serial = za.serial;
    return 1;
}
