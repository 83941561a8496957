/* api: one HTTP/JSON API (libmicrohttpd + jansson) driven by the loop.
 *
 * Listeners: a Unix socket for ops (everyone who can open it is "ops"),
 * and later TCP with bearer tokens for customers.  Handlers run on the
 * loop's thread, so they may use the store.  Routes are patterns with
 * {name} segments: "/v1/slots/{n}/power". */
#ifndef PIRACK_API_H
#define PIRACK_API_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

struct pr_loop;
struct pr_api;
struct pr_api_req;
struct pr_metrics;

#define PR_API_MAX_BODY (64 * 1024)

/* Returns nothing: a handler must answer with exactly one pr_api_reply*()
 * call.  A handler that forgets is answered 500 by the api module. */
typedef void (*pr_api_handler)(struct pr_api_req *req, void *ctx);

/* Each listener serves one side's routes: the operators' (the Unix
 * socket), the customers' (TCP, [api] listen) or the management side
 * (TCP, [metrics] listen).  A route of one side is not found on another. */
enum pr_api_side {
    PR_API_OPS,
    PR_API_CUSTOMER,
    PR_API_METRICS,
    PR_API__SIDES
};

struct pr_api *pr_api_new(struct pr_loop *loop);
void pr_api_free(struct pr_api *api); /* accepts NULL; closes listeners */

/* The registry that GET /metrics writes out (see metrics.h): services
 * register their counters and gauges here when they start and remove them
 * when they stop.  It lives as long as the api. */
struct pr_metrics *pr_api_metrics(struct pr_api *api);

/* Binds a Unix socket at path (replacing a stale one), chmod mode, chgrp
 * group (a name or a number; "" = leave), all before listen().  Returns 0
 * or -errno: -EADDRINUSE when a live daemon answers there, -EEXIST when
 * path is not a socket (never removed), -ENOENT for an unknown group,
 * -ENAMETOOLONG.  pr_api_free() removes the socket file. */
int pr_api_listen_unix(struct pr_api *api, const char *path, mode_t mode, const char *group);

/* Listens on TCP at endpoint ("ADDRESS:PORT" or "[IPV6]:PORT"; "[::]:P"
 * takes IPv4 too) for side's routes.  With cert_path and key_path (PEM),
 * libmicrohttpd speaks TLS itself.  Returns 0 or -errno with why set. */
int pr_api_listen_tcp(struct pr_api *api, enum pr_api_side side, const char *endpoint,
                      const char *cert_path, const char *key_path, char *why, size_t whylen);

/* method: "GET", "POST", "PUT", "DELETE".  Returns 0 or -errno. */
int pr_api_route_on(struct pr_api *api, enum pr_api_side side, const char *method,
                    const char *pattern, pr_api_handler fn, void *ctx);

/* A file of the web page, body static (never copied): 200 with
 * content_type and the page's security headers (a strict
 * Content-Security-Policy, nosniff, no referrer, no framing). */
void pr_api_reply_static(struct pr_api_req *req, const char *content_type, const char *body,
                         size_t len);

/* Server-sent events: answers 200 text/event-stream and keeps the
 * connection for pr_api_stream_write().  At most max_buffer bytes wait
 * for a slow client; a write past that drops the client (-ENOBUFS) and
 * the stream ends.  on_close(ctx) is called once when the stream is gone
 * (client left, dropped, daemon stopping), unless the owner called
 * pr_api_stream_close() first; after either the pointer is dead.  NULL
 * when out of memory (then answered 500). */
struct pr_api_stream;
struct pr_api_stream *pr_api_reply_stream(struct pr_api_req *req, size_t max_buffer,
                                          void (*on_close)(void *ctx), void *ctx);
/* 0, -EPIPE when the stream is ending, -ENOBUFS when it was just dropped. */
int pr_api_stream_write(struct pr_api_stream *s, const char *data, size_t len);
/* Bytes written and not yet taken by the connection. */
size_t pr_api_stream_buffered(const struct pr_api_stream *s);
/* The owner lets go: the stream ends once its buffer is sent. */
void pr_api_stream_close(struct pr_api_stream *s);

/* Request accessors; strings live until the reply. */
const char *pr_api_req_query(const struct pr_api_req *req, const char *name); /* ?name= */
/* The parsed JSON body (borrowed), or NULL when there was none.  A body
 * that is not JSON never reaches a handler: it is answered 400. */
json_t *pr_api_req_body(const struct pr_api_req *req);
/* Who asked, as events record it: "ops:uid=N" on the Unix socket (the
 * uid from SO_PEERCRED), "key:prk_..." once a customer's bearer token
 * has been checked (pr_api_req_set_actor()), "anonymous" before. */
const char *pr_api_req_actor(const struct pr_api_req *req);
void pr_api_req_set_actor(struct pr_api_req *req, const char *actor);
enum pr_api_side pr_api_req_side(const struct pr_api_req *req);
/* The TCP client's address ("" on the Unix socket). */
const char *pr_api_req_peer(const struct pr_api_req *req);
/* A request header, or NULL. */
const char *pr_api_req_header(const struct pr_api_req *req, const char *name);
/* A header for the reply still to come (at most 4: WWW-Authenticate,
 * Retry-After, Location...). */
void pr_api_req_add_header(struct pr_api_req *req, const char *name, const char *value);

/* A {name} path parameter's text, NULL when the route has none. */
const char *pr_api_req_param(const struct pr_api_req *req, const char *name);
/* Parses a path parameter as an unsigned in [min, max]; on failure answers
 * 400 bad-request itself and returns -1. */
long pr_api_req_uint_param(struct pr_api_req *req, const char *name, long min, long max);

/* Parses query parameter name as a whole number in [min, max] into *out.
 * Returns 1 when it was given, 0 when absent (*out untouched), -1 when
 * malformed or out of range (then it has answered 400 itself). */
int pr_api_req_uint_query(struct pr_api_req *req, const char *name, int64_t min, int64_t max,
                          int64_t *out);
/* Answers 400 and returns -1 when the query holds a parameter not in
 * allowed (NULL-terminated); 0 otherwise. */
int pr_api_req_check_query(struct pr_api_req *req, const char *const *allowed);

/* The customer API's credentials (auth.c), pure.
 * "Basic BASE64(ID:SECRET)" into id and secret (printable, no spaces, each
 * shorter than its buffer); 0 or -EINVAL. */
int pr_api_parse_basic(const char *header, char *id, size_t idlen, char *secret, size_t secretlen);
/* "Bearer TOKEN" into token; 0 or -EINVAL. */
int pr_api_parse_bearer(const char *header, char *token, size_t len);
/* 0 when a form body (application/x-www-form-urlencoded) holds
 * grant_type=client_credentials exactly once, else -EINVAL. */
int pr_api_parse_grant(const char *body, size_t len);
/* The body as it came (a form, which is not parsed as JSON), or NULL. */
const char *pr_api_req_raw_body(const struct pr_api_req *req, size_t *len);

/* Token buckets by name (ratelimit.c): buckets names at most, each burst
 * tokens refilled at per_second; the bucket used longest ago is recycled
 * for a new name.  NULL for bad arguments or no memory. */
struct pr_ratelimit;
struct pr_ratelimit *pr_ratelimit_new(size_t buckets, double burst, double per_second);
void pr_ratelimit_free(struct pr_ratelimit *rl); /* accepts NULL */
/* Takes a token from name's bucket: 0, or (none left) the seconds until
 * there is one, for Retry-After. */
unsigned pr_ratelimit_take(struct pr_ratelimit *rl, const char *name, uint64_t now_ms);
/* The same answer without taking a token. */
unsigned pr_ratelimit_wait(struct pr_ratelimit *rl, const char *name, uint64_t now_ms);
/* New burst and rate (a reloaded configuration) for every bucket; a
 * bucket holding more than the new burst keeps only burst.  Bad values
 * (as pr_ratelimit_new refuses) change nothing. */
void pr_ratelimit_set(struct pr_ratelimit *rl, double burst, double per_second);

/* The API's error vocabulary.  Every error answer, whatever the route, is
 * {"error": WORD, "detail": "..."} with WORD one of these and the HTTP
 * status that goes with it: clients match on the word, the detail is for
 * people.  pirack(1) and docs/api.md list them; a new word goes there too. */
enum pr_api_error {
    PR_API_ERR_BAD_REQUEST,        /* 400 bad-request: a malformed path, query or body */
    PR_API_ERR_BAD_NAME,           /* 400 bad-name: not a pi name (a DNS label) */
    PR_API_ERR_FORBIDDEN,          /* 403 forbidden: not for this caller */
    PR_API_ERR_NOT_FOUND,          /* 404 not-found: no route for the path */
    PR_API_ERR_NO_SUCH_SLOT,       /* 404 no-such-slot: not a slot of the rack (or the caller's) */
    PR_API_ERR_NO_BOARD,           /* 404 no-board: the slot holds no board */
    PR_API_ERR_NO_SUCH_CUSTOMER,   /* 404 no-such-customer: no customer of that name */
    PR_API_ERR_NO_SUCH_KEY,        /* 404 no-such-key: no API key with that id */
    PR_API_ERR_NO_SUCH_IMAGE,      /* 404 no-such-image: no image (or import) of that name */
    PR_API_ERR_METHOD_NOT_ALLOWED, /* 405 method-not-allowed: the Allow header says which */
    PR_API_ERR_CONFLICT,           /* 409 conflict: the board is in another slot */
    PR_API_ERR_NAME_TAKEN,         /* 409 name-taken: another pi has the name */
    PR_API_ERR_EXISTS,             /* 409 exists: the customer exists already */
    PR_API_ERR_IN_USE,       /* 409 in-use: a customer that still owns pis, an image pis use */
    PR_API_ERR_BUSY,         /* 409 busy: a power op is in flight for the slot */
    PR_API_ERR_NO_SWITCH,    /* 409 no-switch: no switch serves the slot */
    PR_API_ERR_POWER_BUDGET, /* 409 power-budget: the switch's budget is full */
    PR_API_ERR_TOO_LARGE,    /* 413 too-large: the body is over PR_API_MAX_BODY */
    PR_API_ERR_URI_TOO_LONG, /* 414 uri-too-long: the path is too long */
    PR_API_ERR_INTERNAL,     /* 500 internal: pirackd or its store failed */
    PR_API_ERR_UNAVAILABLE,  /* 503 unavailable: the service is not running */
    PR_API_ERR__COUNT
};

/* The word ("no-such-slot") and the HTTP status (404) of an error; NULL
 * and 500 for a value outside the enum. */
const char *pr_api_error_word(enum pr_api_error error);
/* The error whose word is word, or -1. */

/* Replies.  body is stolen (json_decref'd by the api module); a NULL body
 * (a failed json_pack()) is answered 500.  Only the first reply counts. */
void pr_api_reply_json(struct pr_api_req *req, unsigned status, json_t *body);
/* {"error": the error's word, "detail": the formatted detail}, with the
 * error's status. */
void pr_api_reply_error(struct pr_api_req *req, enum pr_api_error error, const char *detail_fmt,
                        ...) __attribute__((format(printf, 3, 4)));
/* A reply that is not JSON (GET /metrics): body is copied, len bytes;
 * content_type NULL means "text/plain; charset=utf-8".  A NULL body is
 * answered 500, as for pr_api_reply_json(). */
void pr_api_reply_text(struct pr_api_req *req, unsigned status, const char *content_type,
                       const char *body, size_t len);

#endif
