/* api/server_internal: the api object, its listeners and its handlers,
 * shared by server.c (the object and its routes), listen.c (sockets,
 * connection limits, MHD on the loop) and request.c (one request from
 * headers to answer).  Private to daemon/api/ and its tests. */
#ifndef PIRACK_API_SERVER_INTERNAL_H
#define PIRACK_API_SERVER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <microhttpd.h>

#include "api_internal.h"
#include "router.h"

#define PR_API_MAX_LISTENERS 6
#define PR_API_MAX_HANDLERS PR_ROUTER_MAX_ROUTES

struct pr_timer;
struct pr_metrics;
struct pr_loop;

struct pr_api_handler_entry {
    pr_api_handler fn;
    void *ctx;
    enum pr_api_side side;
    char method[8];
    char pattern[96];
    uint64_t by_class[6]; /* answers by status class: [2] is 2xx ... [5] 5xx */
};

struct pr_api_listener {
    struct pr_api *api;
    enum pr_api_side side;
    struct MHD_Daemon *mhd;
    int epoll_fd;
    struct pr_timer *timer; /* MHD's own deadlines */
    struct pr_timer *sweep; /* the header deadline (listen.c) */
    bool sweep_armed;
    unsigned port;                  /* TCP: the bound port */
    char *tls_cert, *tls_key;       /* PEM text for MHD's own TLS, or NULL */
    struct pr_api_unix_socket sock; /* what to unlink when closed */
    bool accepting;                 /* sock.fd is in the loop */
    struct pr_api_admit admit;
};

struct pr_api {
    struct pr_loop *loop;
    struct pr_router *routers[PR_API__SIDES]; /* each side serves its own routes */
    struct pr_metrics *metrics;               /* GET /metrics writes what is registered here */
    struct pr_api_listener *listeners[PR_API_MAX_LISTENERS];
    size_t n_listeners;
    struct pr_api_handler_entry *handlers[PR_API_MAX_HANDLERS];
    size_t n_handlers;
    uint64_t unrouted[PR_API__SIDES][6]; /* answers to requests no route took */
    struct pr_api_stream *streams;       /* answers still being written (stream.c) */
};

/* ---- request.c: MHD's callbacks for one request ---- */

/* MHD's access handler (cls: the listener). */
enum MHD_Result pr_api_on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls);
/* MHD_OPTION_NOTIFY_COMPLETED (cls: the listener). */
void pr_api_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode why);
/* MHD_OPTION_UNESCAPE_CALLBACK: a decoded control byte becomes a mark the
 * request refuses (a %00 cannot cut the path short). */
size_t pr_api_unescape(void *cls, struct MHD_Connection *conn, char *s);

/* ---- listen.c ---- */

void pr_api_listener_free(struct pr_api_listener *l);

#endif
