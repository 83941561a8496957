/* daemon: how pirackd wires its modules.  Private to daemon/.
 *
 * main.c owns one struct pr_daemon.  Each service (tftp, dhcp, poe, net,
 * ra, proxy, boot, health) has a start function that takes the daemon,
 * registers its fds and timers on d->loop, and a stop function.  The API's
 * routes are all in daemon/http/ (one table, registered by main.c); they
 * call the services, never the other way round.  Services reach each other only through the pointers here and
 * the public headers under include/pirack/. */
#ifndef PIRACK_DAEMON_H
#define PIRACK_DAEMON_H

#include <stdint.h>
#include "pirack/api.h"
#include "pirack/config.h"
#include "pirack/log.h"
#include "pirack/loop.h"
#include "pirack/plan.h"
#include "pirack/store.h"

struct pr_daemon {
    struct pr_loop *loop;
    struct pr_config *cfg; /* current; replaced on a good SIGHUP */
    struct pr_plan plan;
    struct pr_store *store;
    struct pr_api *api;
    uint64_t started_ms; /* pr_now_ms() at start */
    const char *config_path;

    /* services, NULL when not running */
    struct pr_tftp_service *tftp;
    struct pr_dhcp_service *dhcp;
    struct pr_power_service *power;
    struct pr_net_service *net;
    struct pr_ra_service *ra;
    struct pr_proxy_service *proxy;
    struct pr_boot_service *boot;
    struct pr_capture_service *capture;
    struct pr_timer *retention;    /* daemon/process/retention.c */
    struct pr_timer *status_timer; /* daemon/process/status.c */
    char status_sent[256];         /* the last STATUS= line sent to systemd */
    char status_note[64];          /* how the last reload went, or "" */

    /* pr_daemon_reload, set by main.c: the API's routes (which main.c
     * starts) reach it through here, so daemon/http never calls back
     * into daemon/.  NULL in tests without a configuration file. */
    int (*reload)(struct pr_daemon *d, unsigned confirm_shrink, const char *actor, char *why,
                  size_t whylen);
    /* pr_daemon_services_reload, set by main.c: a reload
     * (daemon/process/reload.c) reaches the services table through here,
     * so daemon/process never calls back into daemon/.  NULL: no service
     * has a reload step to run (tests). */
    int (*services_reload)(struct pr_daemon *d);

    struct pr_http_state *http;      /* the customer API's rate limits (daemon/http/) */
    struct pr_http_streams *streams; /* open event streams (daemon/http/events_stream.c) */
    struct pr_image_service *image;
    struct pr_bringup_service *bringup; /* daemon/health/bringup_service.c */
    struct pr_health_service *health;
};

/* Records an event for slot (0 = rack); see pr_store_record().  A macro
 * so that services need nothing of daemon/ but this struct. */
#define pr_daemon_event(d, ...) pr_store_record((d)->store, __VA_ARGS__)
/* An event a packet caused: bounded per slot (see pr_store_record_packet). */
#define pr_daemon_packet_event(d, ...) pr_store_record_packet((d)->store, __VA_ARGS__)

/* daemon/services.c: every service's start and stop, in order.  Start
 * stops at the first failure; stop runs in reverse and tolerates services
 * that never started. */
int pr_daemon_services_start(struct pr_daemon *d);
void pr_daemon_services_stop(struct pr_daemon *d);
/* After a good reload: every service that has a reload step runs it (all
 * of them, even after a failure).  Returns the first -errno, or 0. */
int pr_daemon_services_reload(struct pr_daemon *d);

/* daemon/process/retention.c: [store]'s limits on events and saved traces,
 * applied a second after start and every hour. */
int pr_retention_start(struct pr_daemon *d);
void pr_retention_stop(struct pr_daemon *d);

/* daemon/process/status.c: STATUS= for systemd with the slots booted, failed,
 * booting and off, sent at start and whenever it changes. */
int pr_status_start(struct pr_daemon *d);
void pr_status_stop(struct pr_daemon *d);
/* Adds note ("reload refused, see the journal") to the line and sends it. */
void pr_status_note(struct pr_daemon *d, const char *note);

/* daemon/process/reload.c.  Whether cfg may replace what the store has: 0 when it
 * cuts no slot that holds a board, an assigned pi or events, or when the
 * cut is confirmed (confirmed or cfg's confirm_shrink equals cfg's slots;
 * then a config.shrink event); else -EBUSY with the reason in why and a
 * config.shrink-refused event; -errno when the store fails. */
int pr_daemon_check_shrink(struct pr_daemon *d, const struct pr_config *cfg, unsigned confirmed,
                           const char *actor, char *why, size_t whylen);
/* Reads the configuration file again and applies it: -EINVAL when it has
 * errors, -ERANGE when confirm_shrink (0: none) is not its slots, -EBUSY
 * when it would cut slots in use unconfirmed, -EIO when the store cannot
 * lay it out.  On any failure the running configuration stays and why
 * (also logged) says what went wrong. */
int pr_daemon_reload(struct pr_daemon *d, unsigned confirm_shrink, const char *actor, char *why,
                     size_t whylen);

#endif
