/* pinet: the net and ra services alone, for tests/integration/ipv6_ra.sh
 * when the full pirackd cannot run (no store or api yet).  The same wiring
 * as pirackd: start net then ra, SIGHUP reloads the configuration and
 * reconciles, SIGTERM stops (ra sends its goodbye).  Events go to stdout.
 *
 *   pinet -c FILE */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../../daemon/daemon.h"
#include "../../../daemon/svc_net.h"
#include "../../../daemon/svc_ra.h"

int64_t pr_daemon_event(struct pr_daemon *d, unsigned slot, const char *kind,
                        const char *actor, const char *detail_fmt, ...)
{
    (void)d;
    char *text = NULL;
    if (detail_fmt) {
        va_list ap;
        va_start(ap, detail_fmt);
        json_t *j = json_vpack_ex(NULL, 0, detail_fmt, ap);
        va_end(ap);
        text = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
    }
    printf("event slot=%u kind=%s actor=%s %s\n", slot, kind, actor, text ? text : "{}");
    fflush(stdout);
    free(text);
    return 1;
}

static void on_stop(void *ctx, int signo)
{
    (void)signo;
    pr_loop_stop(((struct pr_daemon *)ctx)->loop);
}

static void on_reload(void *ctx, int signo)
{
    (void)signo;
    struct pr_daemon *d = ctx;
    struct pr_config *next = malloc(sizeof(*next));
    if (!next || pr_config_load(d->config_path, next, stderr) != 0) {
        free(next);
        return;
    }
    free(d->cfg);
    d->cfg = next;
    pr_config_plan(d->cfg, &d->plan);
    pr_ra_service_reload(d);     /* first, as in daemon/services.c */
    pr_net_reconcile(d);
    printf("reloaded\n");
    fflush(stdout);
}

int main(int argc, char **argv)
{
    struct pr_daemon d = { 0 };
    int c;
    while ((c = getopt(argc, argv, "c:")) != -1) {
        if (c != 'c') {
            fprintf(stderr, "usage: pinet -c FILE\n");
            return 2;
        }
        d.config_path = optarg;
    }
    if (!d.config_path) {
        fprintf(stderr, "usage: pinet -c FILE\n");
        return 2;
    }
    d.cfg = malloc(sizeof(*d.cfg));
    if (!d.cfg || pr_config_load(d.config_path, d.cfg, stderr) != 0)
        return 1;
    pr_log_set_level(PR_LOG_DEBUG);
    pr_config_plan(d.cfg, &d.plan);
    d.loop = pr_loop_new();
    if (!d.loop)
        return 1;
    pr_loop_add_signal(d.loop, SIGTERM, on_stop, &d);
    pr_loop_add_signal(d.loop, SIGINT, on_stop, &d);
    pr_loop_add_signal(d.loop, SIGHUP, on_reload, &d);
    int rc = pr_net_service_start(&d);
    if (rc == 0)
        rc = pr_ra_service_start(&d);
    if (rc == 0) {
        printf("ready\n");
        fflush(stdout);
        rc = pr_loop_run(d.loop);
    }
    pr_ra_service_stop(&d);
    pr_net_service_stop(&d);
    pr_loop_free(d.loop);
    free(d.cfg);
    return rc < 0 ? 1 : 0;
}
