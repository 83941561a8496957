/* api/api_internal: the api module's own helpers, shared between its files and
 * its tests.  Private to daemon/. */
#ifndef PIRACK_API_INTERNAL_H
#define PIRACK_API_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#include "pirack/api.h"

/* ---- unix.c: the control socket's file ---- */

struct pr_api_unix_socket {
    int fd;         /* listening, non-blocking, close-on-exec; -1 when closed */
    char path[108]; /* sizeof(sun_path) */
    dev_t dev;      /* the file we bound, so that we unlink only it */
    ino_t ino;
};

/* Binds and listens on a Unix stream socket at path.  A socket file that
 * no one answers on is removed first; a live one is -EADDRINUSE, anything
 * that is not a socket -EEXIST (never removed).  Then chmod mode and, when
 * group is neither NULL nor "", chgrp group (a name or a number): both
 * before listen(), so no one connects through looser permissions.
 * Returns 0 or -errno (-ENAMETOOLONG, -ENOENT for an unknown group). */
int pr_api_unix_bind(const char *path, mode_t mode, const char *group,
                     struct pr_api_unix_socket *out);
void pr_api_unix_close(struct pr_api_unix_socket *s);
/* Removes the socket file if it is still the one we bound. */
void pr_api_unix_unlink(struct pr_api_unix_socket *s);

/* ---- admit.c: who may open one more connection ---- */

/* Table size: connections admitted plus those shed and not yet closed. */
#define PR_API_ADMIT_SLOTS 192

/* Who is at the other end: on the Unix socket the process (SO_PEERCRED
 * pid), on TCP the address; two connections with the same id are the same
 * peer. */
struct pr_api_peer {
    int family;
    uint8_t id[16];
};

struct pr_api_admit_slot {
    bool used;
    bool shed; /* told to close: no longer counted */
    bool busy; /* a request is in progress: never shed */
    int fd;
    struct pr_api_peer peer;
    uint64_t since_ms;   /* admitted: the oldest idle one is shed first */
    uint64_t waiting_ms; /* since when it owes us a request's headers */
};

struct pr_api_admit {
    struct pr_api_admit_slot slots[PR_API_ADMIT_SLOTS];
    unsigned limit, per_peer, active;
};

void pr_api_admit_init(struct pr_api_admit *a, unsigned limit, unsigned per_peer);
/* Admits fd from peer: its slot, or -1 to refuse (close it unanswered).
 * *shed_fd is an idle connection to shut down to make room, or -1. */
int pr_api_admit(struct pr_api_admit *a, const struct pr_api_peer *peer, int fd, uint64_t now_ms,
                 int *shed_fd);
int pr_api_admit_find_fd(const struct pr_api_admit *a, int fd);
/* A request's headers are in (busy) or its answer is done (not busy: the
 * connection owes the next request's headers from now_ms). */
void pr_api_admit_busy(struct pr_api_admit *a, int slot, bool busy, uint64_t now_ms);
/* The header deadline: connections that have owed a request's headers for
 * deadline_ms or more (slowly sent bytes do not count: a client that has
 * not finished its headers by then never will).  Each is marked shed and
 * its fd written to fds (at most max); returns how many. */
int pr_api_admit_overdue(struct pr_api_admit *a, uint64_t now_ms, uint64_t deadline_ms, int *fds,
                         int max);
/* Whether any connection is admitted (the header sweep has work). */
bool pr_api_admit_any(const struct pr_api_admit *a);
void pr_api_admit_release(struct pr_api_admit *a, int slot);

/* ---- stream.c: answers that go on (pr_api_reply_stream()) ---- */

struct MHD_Connection;
struct MHD_Response;
/* A response whose body is what pr_api_stream_write() is given (kick: the
 * timer that runs the connection's MHD, armed when it has more), at most
 * max_buffer bytes waiting; *out is linked into the list at *head until
 * MHD frees the response.  NULL when out of memory. */
struct pr_timer;
struct MHD_Response *pr_api_stream_response(struct MHD_Connection *conn, struct pr_timer *kick,
                                            size_t max_buffer, struct pr_api_stream **head,
                                            void (*on_close)(void *ctx), void *ctx,
                                            struct pr_api_stream **out);
/* Ends every stream of the list (at shutdown: MHD must not be stopped
 * with a connection suspended). */
void pr_api_stream_end_all(struct pr_api_stream *head);

/* ---- util.c ---- */

/* Parses a whole decimal number in [min, max] (min >= 0): digits only, no
 * sign, no spaces, no leading zeros except "0" itself.  0 or -EINVAL. */
int pr_api_parse_uint(const char *s, int64_t min, int64_t max, int64_t *out);

/* {"error": error, "detail": detail}; NULL when out of memory. */
json_t *pr_api_error_body(const char *error, const char *detail);

/* Copies s for a message: printable ASCII kept, the rest as \xNN,
 * truncated with "..." to fit.  Returns out. */
char *pr_api_printable(const char *s, char *out, size_t outlen);

/* Parses a MAC written as six hex pairs joined by ':' or by '-' (one kind
 * throughout), either case, into the store's form "aa:bb:cc:dd:ee:ff".
 * 0 or -EINVAL (out then holds no MAC). */
int pr_api_parse_mac(const char *s, char out[18]);

/* Why name is not a pi name (see pr_plan_name_valid()), in words for an
 * operator; NULL when it is one. */
const char *pr_api_name_problem(const char *name);

/* From pirack/api.h: what only this folder and its tests call (the comments
 * there describe them with their family). */
int pr_api_error_parse(const char *word);
unsigned pr_api_error_status(enum pr_api_error error);
const char *pr_api_req_method(const struct pr_api_req *req);
const char *pr_api_req_path(const struct pr_api_req *req);
/* The port side's TCP listener is bound to (useful with port 0), or 0. */
unsigned pr_api_tcp_port(const struct pr_api *api, enum pr_api_side side);
/* pr_api_route_on(api, PR_API_OPS, ...), for the framework's own tests. */
int pr_api_route(struct pr_api *api, const char *method, const char *pattern, pr_api_handler fn,
                 void *ctx);

#endif
