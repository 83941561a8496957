/* pirackd: wires the modules together and runs the loop.
 *
 *   pirackd -c FILE           run in the foreground (systemd Type=notify)
 *   pirackd -c FILE --check   validate the configuration and exit */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include "daemon.h"
#include "daemon/http/http.h"
#include "daemon/process/privs.h"
#include "pirack/fsutil.h"

#define DEFAULT_CONFIG "/etc/pirack/pirackd.conf"

static void usage(FILE *f)
{
    fprintf(f, "usage: pirackd [-c FILE] [--check] [--debug]\n"
               "  -c, --config FILE  configuration (default " DEFAULT_CONFIG ")\n"
               "      --check        validate the configuration and exit\n"
               "  -d, --debug        log at debug level\n"
               "  -V, --version      print the version\n");
}

static int open_store(struct pr_daemon *d)
{
    char err[512];
    int r;

    r = pr_mkdir_parent(d->cfg->state_path);
    if (r < 0) {
        pr_err("cannot make the directory for %s: %s", d->cfg->state_path, strerror(-r));
        return r;
    }
    r = pr_store_open(d->cfg->state_path, &d->store, err, sizeof(err));
    if (r < 0) {
        pr_err("cannot open the store %s: %s", d->cfg->state_path, err);
        return r;
    }
    r = pr_daemon_check_shrink(d, d->cfg, 0, "pirackd", err, sizeof(err));
    if (r < 0) {
        pr_err("%s: %s; not starting", d->config_path, err);
        return r;
    }
    r = pr_store_sync_slots(d->store, &d->plan);
    if (r < 0)
        pr_err("cannot lay out the slots in the store: %s", pr_store_errmsg(d->store));
    return r;
}

static int start_api(struct pr_daemon *d)
{
    int r;

    d->api = pr_api_new(d->loop);
    if (!d->api)
        return -ENOMEM;
    r = pr_mkdir_parent(d->cfg->api_socket);
    if (r >= 0)
        r = pr_api_listen_unix(d->api, d->cfg->api_socket, d->cfg->api_mode, d->cfg->api_group);
    if (r == -EPERM && d->cfg->api_group[0]) {
        /* chown to a group pirackd is not in; under the unit, the system
         * call filter forbids any chown */
        pr_err("cannot listen on %s: cannot give it group %s: %s (run pirackd with that "
               "group instead: the unit's Group=)",
               d->cfg->api_socket, d->cfg->api_group, strerror(-r));
        return r;
    }
    if (r < 0) {
        pr_err("cannot listen on %s: %s", d->cfg->api_socket, strerror(-r));
        return r;
    }
    if (d->cfg->api_listen[0]) {
        char why[256] = "";
        r = pr_api_listen_tcp(d->api, PR_API_CUSTOMER, d->cfg->api_listen,
                              d->cfg->api_tls_cert[0] ? d->cfg->api_tls_cert : NULL,
                              d->cfg->api_tls_key[0] ? d->cfg->api_tls_key : NULL, why,
                              sizeof(why));
        if (r < 0) {
            pr_err("cannot serve the customer API: %s", why);
            return r;
        }
        pr_info("customer API on %s%s", d->cfg->api_listen,
                d->cfg->api_tls_cert[0] ? " (TLS)" : " (plain HTTP: TLS at the front proxy)");
    }
    if (d->cfg->metrics_listen[0]) {
        char why[256] = "";
        r = pr_api_listen_tcp(d->api, PR_API_METRICS, d->cfg->metrics_listen, NULL, NULL, why,
                              sizeof(why));
        if (r < 0) {
            pr_err("cannot serve metrics: %s", why);
            return r;
        }
    }
    return pr_http_start(d);
}

static void on_stop_signal(void *ctx, int signo)
{
    struct pr_daemon *d = ctx;

    pr_info("signal %d: stopping", signo);
    sd_notify(0, "STOPPING=1");
    pr_loop_stop(d->loop);
}

/* SIGHUP: a configuration that does not validate, or that would cut
 * slots in use, is refused and the running one kept, so a typo never
 * takes a rack down (daemon/process/reload.c). */
static void on_reload_signal(void *ctx, int signo)
{
    char why[512];

    (void)signo;
    pr_daemon_reload(ctx, 0, "pirackd", why, sizeof(why));
}

static void on_watchdog(void *ctx)
{
    (void)ctx;
    sd_notify(0, "WATCHDOG=1");
}

static int start_watchdog(struct pr_daemon *d, struct pr_timer **t)
{
    uint64_t usec = 0;

    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
        return 0;
    *t = pr_timer_new(d->loop, on_watchdog, d);
    if (!*t)
        return -ENOMEM;
    /* Half the interval, as sd_watchdog_enabled(3) advises. */
    return pr_timer_arm(*t, usec / 2000, usec / 2000);
}

static int drop_privileges(struct pr_daemon *d)
{
    char err[256];
    int r = pr_privs_drop(d->cfg, err, sizeof(err));

    if (r < 0)
        pr_err("%s", err);
    return r;
}

static int run(struct pr_daemon *d)
{
    struct pr_timer *watchdog = NULL;
    int r;

    d->loop = pr_loop_new();
    if (!d->loop)
        return -ENOMEM;
    /* Signals first: worker threads started later inherit the mask. */
    pr_loop_add_signal(d->loop, SIGTERM, on_stop_signal, d);
    pr_loop_add_signal(d->loop, SIGINT, on_stop_signal, d);
    pr_loop_add_signal(d->loop, SIGHUP, on_reload_signal, d);
    signal(SIGPIPE, SIG_IGN);
    d->started_ms = pr_now_ms();

    r = open_store(d);
    if (r >= 0)
        r = start_api(d);
    /* Before the services: they start threads, and capabilities and
     * no_new_privs are per thread; what they still bind needs only the
     * capabilities kept. */
    if (r >= 0)
        r = drop_privileges(d);
    if (r >= 0)
        r = pr_daemon_services_start(d);
    if (r >= 0)
        r = start_watchdog(d, &watchdog);
    if (r >= 0) {
        pr_daemon_event(d, 0, "daemon.started", "pirackd", "{s:s, s:i}", "version", PIRACK_VERSION,
                        "slots", (int)d->cfg->slots);
        pr_info("pirackd %s: rack %s, %u slots, %s mode, api on %s", PIRACK_VERSION,
                d->cfg->rack_name, d->cfg->slots, d->cfg->isolated ? "isolated" : "flat",
                d->cfg->api_socket);
        sd_notify(0, "READY=1");
        r = pr_loop_run(d->loop);
        pr_daemon_event(d, 0, "daemon.stopped", "pirackd", NULL);
    }
    pr_daemon_services_stop(d);
    pr_timer_free(watchdog);
    pr_http_streams_stop(d);
    pr_http_stop(d);
    pr_api_free(d->api);
    pr_store_close(d->store);
    pr_loop_free(d->loop);
    return r;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' }, { "check", no_argument, NULL, 'C' },
        { "debug", no_argument, NULL, 'd' },        { "version", no_argument, NULL, 'V' },
        { "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
    };
    struct pr_daemon d = { .config_path = DEFAULT_CONFIG,
                           .reload = pr_daemon_reload,
                           .services_reload = pr_daemon_services_reload };
    bool check_only = false, debug = false;
    int c, errors, r;

    while ((c = getopt_long(argc, argv, "c:dVh", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            d.config_path = optarg;
            break;
        case 'C':
            check_only = true;
            break;
        case 'd':
            debug = true;
            break;
        case 'V':
            printf("pirackd %s\n", PIRACK_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    pr_log_init();
    pr_privs_umask();
    d.cfg = malloc(sizeof(*d.cfg));
    if (!d.cfg)
        return 1;
    errors = pr_config_load(d.config_path, d.cfg, stderr);
    if (errors < 0)
        fprintf(stderr, "%s: %s\n", d.config_path, strerror(-errors));
    if (errors != 0 || check_only) {
        if (check_only && errors == 0)
            printf("%s: ok\n", d.config_path);
        free(d.cfg);
        return errors == 0 ? 0 : 1;
    }
    pr_log_set_level(debug ? PR_LOG_DEBUG : (enum pr_log_level)d.cfg->log_level);
    pr_config_plan(d.cfg, &d.plan);
    r = run(&d);
    free(d.cfg);
    return r < 0 ? 1 : 0;
}
