/* proxyd: drives the proxy engine the way pirackd's proxy service does,
 * without the store and the API, for tests/integration/proxy_haproxy.sh.
 *
 *   proxyd -c pirackd.conf -n NAMES -s STATUS [-r EXTRA]
 *
 * NAMES holds "SLOT NAME" lines (NAME is taken raw, to try hostile ones);
 * slots not listed get the plan's default name.  It is read again every
 * 100 ms.  EXTRA holds "KIND KEY VALUE" lines (VALUE is the rest of the
 * line, raw): routes from elsewhere, checked like every other.  STATUS is rewritten (atomically) as often: one line for
 * HAProxy, one per route with in_haproxy=0/1, one per refused name. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pirack/config.h"
#include "pirack/log.h"
#include "pirack/loop.h"
#include "pirack/proxy.h"

struct tool {
    struct pr_loop *loop;
    struct pr_config cfg;
    struct pr_plan plan;
    struct pr_proxy *engine;
    const char *names_path, *status_path, *extra_path;
    char last_refused[4096];
};

static void read_names(const struct tool *t, char (*names)[PR_NAME_MAX * 2], unsigned slots)
{
    FILE *f = fopen(t->names_path, "re");
    char line[512];
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        char *sp = strchr(line, ' ');
        unsigned slot = (unsigned)strtoul(line, NULL, 10);
        if (!sp || slot == 0 || slot > slots)
            continue;
        line[strcspn(line, "\n")] = '\0';
        snprintf(names[slot - 1], sizeof names[slot - 1], "%s", sp + 1);
    }
    fclose(f);
}

/* Adds EXTRA's routes; a line that fails the checks is refused. */
static void read_extra(const struct tool *t, struct pr_proxy_build *b)
{
    FILE *f = t->extra_path ? fopen(t->extra_path, "re") : NULL;
    char line[512], err[400];
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *key = strchr(line, ' ');
        char *value = key ? strchr(key + 1, ' ') : NULL;
        enum pr_route_kind kind;
        struct pr_route r;
        if (!value)
            continue;
        *key++ = '\0';
        *value++ = '\0';
        int rc = pr_route_kind_parse(line, &kind);
        if (rc < 0)
            snprintf(err, sizeof err, "unknown route kind");
        else
            rc = pr_route_make(&r, kind, 0, key, value, &t->plan.v6_pool, err, sizeof err);
        if (rc == 0)
            pr_routes_push(&b->rs, &r);
        else {
            struct pr_proxy_refusal *v = realloc(b->refused, (b->nrefused + 1) * sizeof *v);
            if (!v)
                break;
            b->refused = v;
            v[b->nrefused].slot = 0;
            snprintf(v[b->nrefused].error, sizeof v->error, "%s", err);
            b->nrefused++;
        }
    }
    if (f)
        fclose(f);
}

static void write_status(struct tool *t, const struct pr_proxy_build *b)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return;
    const struct pr_proxy_status *st = pr_proxy_get_status(t->engine);
    const struct pr_routes *rs = pr_proxy_routes(t->engine);
    fprintf(f, "haproxy checked=%d reachable=%d pid=%ld restarts=%u failed=%u\n", st->checked,
            st->reachable, st->info.pid, st->restarts, st->failed);
    for (size_t i = 0; i < rs->n; i++)
        fprintf(f, "route %s %s %s slot=%u in_haproxy=%d\n", pr_route_kind_name(rs->v[i].kind),
                rs->v[i].key, rs->v[i].value, rs->v[i].slot,
                pr_proxy_route_in_haproxy(t->engine, i));
    for (size_t i = 0; i < b->nrefused; i++)
        fprintf(f, "refused %u %s\n", b->refused[i].slot, b->refused[i].error);
    fprintf(f, "zone_serial %u\n", pr_proxy_zone_serial(t->engine));
    fclose(f);
    pr_write_file_atomic(t->status_path, buf, len, 0644);
    free(buf);
}

static void tick(void *ctx)
{
    struct tool *t = ctx;
    struct pr_proxy_build b = { 0 };
    char err[512];
    char(*names)[PR_NAME_MAX * 2] = calloc(t->plan.slots + 1, sizeof *names);
    if (!names)
        return;
    read_names(t, names, t->plan.slots);
    for (unsigned slot = 1; slot <= t->plan.slots; slot++)
        pr_proxy_build_add(&b, &t->plan, slot, names[slot - 1]);
    read_extra(t, &b);
    if (pr_proxy_set_routes(t->engine, &b.rs, b.pis, b.npis, err, sizeof err) < 0)
        fprintf(stderr, "proxyd: routes not applied: %s\n", err);
    for (size_t i = 0; i < b.nrefused; i++)
        if (!strstr(t->last_refused, b.refused[i].error))
            fprintf(stderr, "proxyd: refused: %s\n", b.refused[i].error);
    t->last_refused[0] = '\0';
    for (size_t i = 0; i < b.nrefused; i++)
        strncat(t->last_refused, b.refused[i].error,
                sizeof t->last_refused - strlen(t->last_refused) - 1);
    write_status(t, &b);
    pr_proxy_build_clear(&b);
    free(names);
}

static void on_notify(void *ctx, const char *what, const char *detail)
{
    (void)ctx;
    fprintf(stderr, "proxyd: event %s: %s\n", what, detail);
}

static void on_stop(void *ctx, int signo)
{
    (void)signo;
    pr_loop_stop(((struct tool *)ctx)->loop);
}

int main(int argc, char **argv)
{
    static struct tool t;
    struct pr_proxy_settings s;
    struct pr_timer *timer;
    char err[512];
    int c;
    const char *conf = NULL;
    while ((c = getopt(argc, argv, "c:n:s:r:")) != -1) {
        switch (c) {
        case 'c':
            conf = optarg;
            break;
        case 'n':
            t.names_path = optarg;
            break;
        case 's':
            t.status_path = optarg;
            break;
        case 'r':
            t.extra_path = optarg;
            break;
        default:
            return 2;
        }
    }
    if (!conf || !t.names_path || !t.status_path) {
        fprintf(stderr, "usage: proxyd -c CONF -n NAMES -s STATUS\n");
        return 2;
    }
    if (pr_config_load(conf, &t.cfg, stderr) != 0)
        return 1;
    pr_config_plan(&t.cfg, &t.plan);
    signal(SIGPIPE, SIG_IGN);
    t.loop = pr_loop_new();
    if (!t.loop)
        return 1;
    pr_loop_add_signal(t.loop, SIGTERM, on_stop, &t);
    pr_loop_add_signal(t.loop, SIGINT, on_stop, &t);
    pr_proxy_settings_from_config(&t.cfg, &t.plan, &s);
    t.engine = pr_proxy_new(t.loop, &s, err, sizeof err);
    if (!t.engine) {
        fprintf(stderr, "proxyd: %s\n", err);
        pr_loop_free(t.loop);
        return 1;
    }
    pr_proxy_set_notify(t.engine, on_notify, &t);
    timer = pr_timer_new(t.loop, tick, &t);
    if (!timer || pr_timer_arm(timer, 0, 100) < 0)
        return 1;
    int rc = pr_loop_run(t.loop);
    pr_timer_free(timer);
    pr_proxy_free(t.engine);
    pr_loop_free(t.loop);
    return rc < 0 ? 1 : 0;
}
