/* api/request: one request on a listener, from its headers to its answer.
 *
 * A request is answered after its whole body has arrived: the route is
 * found from the request line, the body is gathered up to PR_API_MAX_BODY
 * (past it the rest is read and dropped, then 413; past DRAIN_MAX the
 * connection is closed), parsed as JSON (400 if it is not an object), and
 * only then does the handler run.  A body that announces a Content-Length
 * over the limit is answered 413 at once; a chunked one once it has all
 * come (the rest past the limit is read and dropped, up to DRAIN_MAX, so
 * that the client reads its answer rather than a reset: a 413 queued
 * before a chunked body ended never reached curl when we tried).
 *
 * A path or query holding a control byte (%00 included, which would
 * otherwise cut the path short) is answered 400.
 *
 * The connection's admit slot (listen.c) is marked busy from the headers
 * to the answer, so that neither shedding nor the header deadline cuts a
 * request in progress. */
#define _GNU_SOURCE /* struct ucred */
#include "pirack/api.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <microhttpd.h>

#include "server_internal.h"
#include "pirack/loop.h"

#define MAX_EXTRA_HEADERS 4
/* A body past the limit is read and dropped after its 413, so that the
 * client reads the answer; past this much the connection is closed. */
#define DRAIN_MAX (1024u * PR_API_MAX_BODY)
/* Stands for a control byte in a decoded path, so that %00 cannot cut it. */
#define CONTROL_MARK 0x7f

struct pr_api_req {
    struct pr_api_listener *listener;
    struct MHD_Connection *conn;
    char method[16];
    char *path;
    enum pr_route_result route;
    const struct pr_api_handler_entry *handler;
    struct pr_route_match match;
    char *body;
    size_t body_len;
    bool body_too_big;
    uint64_t body_dropped; /* bytes read and dropped past the limit */
    json_t *json;
    bool answered;
    int admit_slot; /* this connection's place in the listener's admit table */
    bool form;      /* a form body, kept raw */
    char actor[64];
    char peer[INET6_ADDRSTRLEN]; /* the TCP client's address, "" on the Unix socket */
    char headers[MAX_EXTRA_HEADERS][2][128];
    size_t n_headers;
};

/* ---- replies ---- */

/* Counts an answer for pirack_api_requests_total. */
static void count_answer(struct pr_api_req *req, unsigned status)
{
    unsigned cls = status / 100 < 6 ? status / 100 : 5;

    if (req->handler)
        ((struct pr_api_handler_entry *)req->handler)->by_class[cls]++;
    else
        req->listener->api->unrouted[req->listener->side][cls]++;
}

static void queue_reply(struct pr_api_req *req, unsigned status, json_t *body)
{
    static const char oom[] = "{\"error\":\"internal\",\"detail\":\"out of memory\"}\n";
    struct MHD_Response *resp;
    char *text;
    size_t len;

    if (req->answered) {
        json_decref(body);
        return;
    }
    req->answered = true;
    /* No body means building it failed: json_pack() gives NULL for that. */
    text = body ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(body);
    len = text ? strlen(text) : 0;
    /* A trailing newline, so that a reply read by people ends its line. */
    if (text) {
        char *grown = realloc(text, len + 2);
        if (!grown) {
            free(text);
            text = NULL;
        } else {
            text = grown;
            text[len++] = '\n';
            text[len] = '\0';
        }
    }
    if (text) {
        resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
        if (!resp)
            free(text);
    } else {
        status = 500;
        resp =
            MHD_create_response_from_buffer(sizeof(oom) - 1, (void *)oom, MHD_RESPMEM_PERSISTENT);
    }
    if (!resp)
        return; /* MHD closes the connection with no answer */
    count_answer(req, status);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    for (size_t i = 0; i < req->n_headers; i++)
        MHD_add_response_header(resp, req->headers[i][0], req->headers[i][1]);
    if (status == 405 && req->match.allow[0])
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, req->match.allow);
    MHD_queue_response(req->conn, status, resp);
    MHD_destroy_response(resp);
}

void pr_api_reply_json(struct pr_api_req *req, unsigned status, json_t *body)
{
    queue_reply(req, status, body);
}

void pr_api_reply_error(struct pr_api_req *req, enum pr_api_error error, const char *detail_fmt,
                        ...)
{
    char detail[512];
    va_list ap;

    va_start(ap, detail_fmt);
    vsnprintf(detail, sizeof(detail), detail_fmt, ap);
    va_end(ap);
    queue_reply(req, pr_api_error_status(error),
                pr_api_error_body(pr_api_error_word(error), detail));
}

void pr_api_reply_text(struct pr_api_req *req, unsigned status, const char *content_type,
                       const char *body, size_t len)
{
    struct MHD_Response *resp;

    if (req->answered)
        return;
    if (!body) {
        queue_reply(req, 500, NULL);
        return;
    }
    req->answered = true;
    resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return; /* MHD closes the connection with no answer */
    count_answer(req, status);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            content_type ? content_type : "text/plain; charset=utf-8");
    MHD_queue_response(req->conn, status, resp);
    MHD_destroy_response(resp);
}

/* What the page may load: its own scripts, styles and API, nothing
 * inline, nothing framed. */
#define PAGE_CSP                                                                    \
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " \
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

void pr_api_reply_static(struct pr_api_req *req, const char *content_type, const char *body,
                         size_t len)
{
    struct MHD_Response *resp;

    if (req->answered)
        return;
    req->answered = true;
    resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return; /* MHD closes the connection with no answer */
    count_answer(req, 200);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header(resp, "Content-Security-Policy", PAGE_CSP);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    MHD_queue_response(req->conn, 200, resp);
    MHD_destroy_response(resp);
}

/* An answer that goes on: 200 with the headers of a server-sent event
 * stream, its body written by pr_api_stream_write() (stream.c). */
struct pr_api_stream *pr_api_reply_stream(struct pr_api_req *req, size_t max_buffer,
                                          void (*on_close)(void *ctx), void *ctx)
{
    struct pr_api_stream *s = NULL;
    struct MHD_Response *resp;

    if (req->answered)
        return NULL;
    resp = pr_api_stream_response(req->conn, req->listener->timer, max_buffer,
                                  &req->listener->api->streams, on_close, ctx, &s);
    if (!resp) {
        pr_api_reply_error(req, PR_API_ERR_INTERNAL, "out of memory");
        return NULL;
    }
    req->answered = true;
    count_answer(req, 200);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    /* Tells a proxy in front (nginx, HAProxy's compression) not to hold it. */
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    for (size_t i = 0; i < req->n_headers; i++)
        MHD_add_response_header(resp, req->headers[i][0], req->headers[i][1]);
    /* The stream is quiet between events and heartbeats: no idle timeout. */
    MHD_set_connection_option(req->conn, MHD_CONNECTION_OPTION_TIMEOUT, 0u);
    MHD_queue_response(req->conn, 200, resp);
    MHD_destroy_response(resp);
    return s;
}

/* ---- request accessors ---- */

const char *pr_api_req_method(const struct pr_api_req *req)
{
    return req->method;
}
const char *pr_api_req_path(const struct pr_api_req *req)
{
    return req->path;
}
json_t *pr_api_req_body(const struct pr_api_req *req)
{
    return req->json;
}
const char *pr_api_req_actor(const struct pr_api_req *req)
{
    return req->actor;
}

const char *pr_api_req_raw_body(const struct pr_api_req *req, size_t *len)
{
    *len = req->form ? req->body_len : 0;
    return req->form && req->body ? req->body : NULL;
}

void pr_api_req_set_actor(struct pr_api_req *req, const char *actor)
{
    snprintf(req->actor, sizeof(req->actor), "%s", actor);
}

enum pr_api_side pr_api_req_side(const struct pr_api_req *req)
{
    return req->listener->side;
}

const char *pr_api_req_peer(const struct pr_api_req *req)
{
    return req->peer;
}

const char *pr_api_req_header(const struct pr_api_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

void pr_api_req_add_header(struct pr_api_req *req, const char *name, const char *value)
{
    if (req->n_headers == MAX_EXTRA_HEADERS)
        return;
    snprintf(req->headers[req->n_headers][0], sizeof(req->headers[0][0]), "%s", name);
    snprintf(req->headers[req->n_headers][1], sizeof(req->headers[0][1]), "%s", value);
    req->n_headers++;
}

const char *pr_api_req_param(const struct pr_api_req *req, const char *name)
{
    return pr_route_param(&req->match, name);
}

const char *pr_api_req_query(const struct pr_api_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

long pr_api_req_uint_param(struct pr_api_req *req, const char *name, long min, long max)
{
    const char *s = pr_api_req_param(req, name);
    int64_t v;

    if (!s || pr_api_parse_uint(s, min, max, &v) < 0) {
        pr_api_reply_error(req, PR_API_ERR_BAD_REQUEST,
                           "{%s} must be a whole number from %ld to %ld", name, min, max);
        return -1;
    }
    return (long)v;
}

int pr_api_req_uint_query(struct pr_api_req *req, const char *name, int64_t min, int64_t max,
                          int64_t *out)
{
    const char *s = pr_api_req_query(req, name);

    if (!s) {
        /* "?name" with no '=' is there but has no value: as bad as "?name=". */
        if (MHD_lookup_connection_value_n(req->conn, MHD_GET_ARGUMENT_KIND, name, strlen(name),
                                          NULL, NULL) == MHD_NO)
            return 0;
        s = "";
    }
    if (pr_api_parse_uint(s, min, max, out) < 0) {
        pr_api_reply_error(req, PR_API_ERR_BAD_REQUEST,
                           "query parameter %s must be a whole number from %lld to %lld", name,
                           (long long)min, (long long)max);
        return -1;
    }
    return 1;
}

struct query_check {
    const char *const *allowed;
    const char *unknown;
};

static enum MHD_Result check_query_key(void *cls, enum MHD_ValueKind kind, const char *key,
                                       const char *value)
{
    struct query_check *qc = cls;

    (void)kind;
    (void)value;
    for (const char *const *a = qc->allowed; *a; a++)
        if (strcmp(*a, key) == 0)
            return MHD_YES;
    qc->unknown = key;
    return MHD_NO;
}

int pr_api_req_check_query(struct pr_api_req *req, const char *const *allowed)
{
    struct query_check qc = { .allowed = allowed };
    char shown[64];

    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, check_query_key, &qc);
    if (!qc.unknown)
        return 0;
    pr_api_reply_error(req, PR_API_ERR_BAD_REQUEST, "unknown query parameter \"%s\"",
                       pr_api_printable(qc.unknown, shown, sizeof(shown)));
    return -1;
}

/* ---- one request ---- */

/* Who is on the other end: an operator on the Unix socket is named by the
 * uid the kernel vouches for (SO_PEERCRED), "ops:uid=N"; a TCP client is
 * "anonymous" with its address until a handler authenticates it. */
static void identify_peer(struct pr_api_req *req)
{
    const union MHD_ConnectionInfo *ci;

    if (req->listener->side == PR_API_OPS) {
        struct ucred cred;
        socklen_t len = sizeof(cred);
        ci = MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (ci && getsockopt(ci->connect_fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
            snprintf(req->actor, sizeof(req->actor), "ops:uid=%u", (unsigned)cred.uid);
        else
            snprintf(req->actor, sizeof(req->actor), "ops");
        return;
    }
    snprintf(req->actor, sizeof(req->actor), "anonymous");
    ci = MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr)
        return;
    if (ci->client_addr->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const void *)ci->client_addr;
        inet_ntop(AF_INET, &a->sin_addr, req->peer, sizeof(req->peer));
    } else if (ci->client_addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const void *)ci->client_addr;
        if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr))
            inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], req->peer, sizeof(req->peer));
        else
            inet_ntop(AF_INET6, &a->sin6_addr, req->peer, sizeof(req->peer));
    }
}

static struct pr_api_req *req_new(struct pr_api_listener *l, struct MHD_Connection *conn,
                                  const char *url, const char *method)
{
    struct pr_api_req *req = calloc(1, sizeof(*req));

    if (!req)
        return NULL;
    req->listener = l;
    req->conn = conn;
    snprintf(req->method, sizeof(req->method), "%s", method);
    req->path = strdup(url);
    if (!req->path) {
        free(req);
        return NULL;
    }
    identify_peer(req);
    req->route = pr_router_match(l->api->routers[l->side], method, url, &req->match);
    if (req->route == PR_ROUTE_FOUND)
        req->handler = req->match.data;
    return req;
}

/* MHD's unescape, except that a control byte it decodes (a NUL would end
 * the string) becomes CONTROL_MARK, which the request checks refuse. */
size_t pr_api_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
    size_t len = MHD_http_unescape(s);

    (void)cls;
    (void)conn;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
            s[i] = CONTROL_MARK;
    s[len] = '\0';
    return len;
}

static bool has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
            return true;
    return false;
}

static enum MHD_Result find_control(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    bool *found = cls;

    (void)kind;
    if (has_control(key) || (value && has_control(value))) {
        *found = true;
        return MHD_NO;
    }
    return MHD_YES;
}

/* A control byte in the path or query: 400 before anything else. */
static bool refuse_control_bytes(struct pr_api_req *req, const char *url)
{
    bool in_query = false;

    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, find_control, &in_query);
    if (!has_control(url) && !in_query)
        return false;
    pr_api_reply_error(req, PR_API_ERR_BAD_REQUEST,
                       "the %s holds a control byte (such as %%00 or %%0a)",
                       in_query ? "query" : "path");
    return true;
}

static void req_free(struct pr_api_req *req)
{
    if (!req)
        return;
    json_decref(req->json);
    free(req->body);
    free(req->path);
    free(req);
}

/* Content-Length, when the client sent one; UINT64_MAX when it is garbage
 * (MHD itself refuses most of those before we see them). */
static uint64_t announced_length(struct MHD_Connection *conn, bool *present)
{
    const char *s =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    int64_t v;

    *present = s != NULL;
    if (!s)
        return 0;
    if (pr_api_parse_uint(s, 0, INT64_MAX, &v) < 0)
        return UINT64_MAX;
    return (uint64_t)v;
}

/* Returns false when the body runs past DRAIN_MAX: not worth reading. */
static bool take_body(struct pr_api_req *req, const char *data, size_t size)
{
    char *grown;

    if (req->body_too_big) {
        req->body_dropped += size;
        return req->body_dropped <= DRAIN_MAX;
    }
    if (size > PR_API_MAX_BODY - req->body_len) {
        req->body_too_big = true;
        req->body_dropped = req->body_len + size;
        free(req->body);
        req->body = NULL;
        req->body_len = 0;
        return true;
    }
    grown = realloc(req->body, req->body_len + size + 1);
    if (!grown) {
        req->body_too_big = true; /* answered 413: the server could not take it */
        return true;
    }
    req->body = grown;
    memcpy(req->body + req->body_len, data, size);
    req->body_len += size;
    req->body[req->body_len] = '\0';
    return true;
}

static void answer_route_error(struct pr_api_req *req)
{
    char shown[128];

    pr_api_printable(req->path, shown, sizeof(shown));
    switch (req->route) {
    case PR_ROUTE_NOT_FOUND:
        pr_api_reply_error(req, PR_API_ERR_NOT_FOUND, "no route for %s", shown);
        break;
    case PR_ROUTE_BAD_METHOD:
        pr_api_reply_error(req, PR_API_ERR_METHOD_NOT_ALLOWED, "%s takes %s", shown,
                           req->match.allow);
        break;
    case PR_ROUTE_TOO_LONG:
        pr_api_reply_error(req, PR_API_ERR_URI_TOO_LONG, "paths are at most %d bytes",
                           PR_ROUTER_MAX_PATH);
        break;
    case PR_ROUTE_FOUND:
        break;
    }
}

/* All of the request is in: answer it. */
static void dispatch(struct pr_api_req *req)
{
    json_error_t jerr;

    if (req->route != PR_ROUTE_FOUND) {
        answer_route_error(req);
        return;
    }
    if (req->body_too_big) {
        pr_api_reply_error(req, PR_API_ERR_TOO_LARGE, "request bodies are at most %d bytes",
                           PR_API_MAX_BODY);
        return;
    }
    const char *type = pr_api_req_header(req, MHD_HTTP_HEADER_CONTENT_TYPE);
    /* A form (POST /login) is kept raw for pr_api_req_raw_body().  curl -d
     * labels JSON as a form too, so a form that is a JSON object is JSON. */
    if (type && strncasecmp(type, "application/x-www-form-urlencoded", 33) == 0 &&
        (req->body_len == 0 || req->body[0] != '{')) {
        req->form = true;
    } else if (req->body_len > 0) {
        req->json = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
        if (!req->json || !json_is_object(req->json)) {
            if (req->json)
                pr_api_reply_error(req, PR_API_ERR_BAD_REQUEST, "the body must be a JSON object");
            else
                pr_api_reply_error(req, PR_API_ERR_BAD_REQUEST, "the body is not JSON: %s at %d:%d",
                                   jerr.text, jerr.line, jerr.column);
            return;
        }
    }
    req->handler->fn(req, req->handler->ctx);
    if (!req->answered)
        pr_api_reply_error(req, PR_API_ERR_INTERNAL, "the handler gave no answer");
}

enum MHD_Result pr_api_on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct pr_api_listener *l = cls;
    struct pr_api_req *req = *con_cls;
    bool has_length;

    (void)version;
    if (!req) {
        /* The request line and headers: find the route, check the size. */
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

        req = req_new(l, conn, url, method);
        if (!req)
            return MHD_NO; /* out of memory: MHD drops the connection */
        *con_cls = req;
        req->admit_slot = ci && ci->socket_context ? *(int *)ci->socket_context - 1 : -1;
        pr_api_admit_busy(&l->admit, req->admit_slot, true, pr_now_ms());
        if (refuse_control_bytes(req, url))
            return MHD_YES;
        if (announced_length(conn, &has_length) > PR_API_MAX_BODY) {
            req->body_too_big = true;
            if (req->route != PR_ROUTE_FOUND)
                answer_route_error(req);
            else
                dispatch(req);
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (!take_body(req, upload_data, *upload_data_size))
            return MHD_NO; /* MHD closes the connection */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (!req->answered)
        dispatch(req);
    return MHD_YES;
}

void pr_api_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode why)
{
    struct pr_api_listener *l = cls;
    struct pr_api_req *req = *con_cls;

    (void)conn;
    (void)why;
    if (req)
        pr_api_admit_busy(&l->admit, req->admit_slot, false, pr_now_ms());
    req_free(req);
    *con_cls = NULL;
}
