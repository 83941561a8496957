/* http customer: who a request on the customer listener acts as.
 *
 *   POST /login   OAuth2 client credentials: HTTP Basic with an API key's
 *                 id and secret, the form grant_type=client_credentials;
 *                 answers {"access_token", "expires_in": 300,
 *                 "token_type": "bearer"}, or 4xx {"error":
 *                 "invalid_client", "error_description"}.
 *
 * Every other customer route starts with pr_http_customer_auth(): the
 * Bearer token, checked against its key's expiry and revocation each time
 * (401 with WWW-Authenticate: Bearer), the route's scope (403
 * insufficient_scope), and the key's token bucket (429 Retry-After).
 * Failed logins are limited per client address.  The actor of whatever
 * the request changes is then "key:ID".  The answers to POSTs with an
 * Idempotency-Key are kept here too, and replayed for 24 hours. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "daemon/api/api_internal.h"

#include "pirack/api.h"
#include "pirack/loop.h"
#include "pirack/metrics.h"
#include "pirack/store.h"
#include "daemon/http/http.h"

#define TOKEN_TTL_S 300
/* Names each limiter remembers (keys, pis, client addresses); past that
 * the least recently used bucket is recycled (api/ratelimit.c). */
#define BUCKETS 1024

static const char *const reason_label[] = { "reason", NULL };
static const char *const limit_label[] = { "limit", NULL };
static const struct pr_metric_desc auth_failures = {
    "pirack_api_auth_failures_total",
    "Customer requests refused for their credentials: a failed login, a bad token, a scope.",
    PR_METRIC_COUNTER,
    reason_label,
};
static const struct pr_metric_desc rate_limited = {
    "pirack_api_rate_limited_total",
    "Customer requests answered 429, by the bucket that was empty.",
    PR_METRIC_COUNTER,
    limit_label,
};

static int collect_auth(struct pr_metrics_out *out, void *ctx)
{
    const struct pr_http_state *s = ctx;
    pr_metrics_sample(out, (const char *[]){ "login" }, (double)s->login_failures);
    pr_metrics_sample(out, (const char *[]){ "token" }, (double)s->token_failures);
    return pr_metrics_sample(out, (const char *[]){ "scope" }, (double)s->scope_failures);
}

static int collect_limited(struct pr_metrics_out *out, void *ctx)
{
    const struct pr_http_state *s = ctx;
    pr_metrics_sample(out, (const char *[]){ "key" }, (double)s->limited_key);
    pr_metrics_sample(out, (const char *[]){ "pi" }, (double)s->limited_pi);
    return pr_metrics_sample(out, (const char *[]){ "login" }, (double)s->limited_login);
}

int pr_http_customer_start(struct pr_daemon *d)
{
    struct pr_http_state *s = calloc(1, sizeof(*s));

    if (!s)
        return -ENOMEM;
    /* The limits themselves come from [api] (follow_limits); these are
     * replaced before the first request. */
    s->per_key = pr_ratelimit_new(BUCKETS, 1, 1);
    s->per_pi = pr_ratelimit_new(BUCKETS, 1, 1);
    s->login_fail = pr_ratelimit_new(BUCKETS, 1, 1);
    d->http = s;
    if (!s->per_key || !s->per_pi || !s->login_fail ||
        pr_metrics_register(pr_api_metrics(d->api), &auth_failures, collect_auth, s) < 0 ||
        pr_metrics_register(pr_api_metrics(d->api), &rate_limited, collect_limited, s) < 0) {
        pr_http_stop(d);
        return -ENOMEM;
    }
    return 0;
}

void pr_http_stop(struct pr_daemon *d)
{
    if (!d->http)
        return;
    if (d->api)
        pr_metrics_unregister_ctx(pr_api_metrics(d->api), d->http);
    pr_ratelimit_free(d->http->per_key);
    pr_ratelimit_free(d->http->per_pi);
    pr_ratelimit_free(d->http->login_fail);
    free(d->http);
    d->http = NULL;
}

/* The limits of [api] key_*, power_* and login_* as the configuration
 * now says (a reload may have changed them); each request asks, which is
 * a few comparisons. */
static void follow_limits(struct pr_daemon *d)
{
    const struct pr_config *cfg = d->cfg;

    pr_ratelimit_set(d->http->per_key, cfg->api_key_burst, cfg->api_key_rate);
    pr_ratelimit_set(d->http->per_pi, cfg->api_power_burst, 1000.0 / cfg->api_power_interval_ms);
    pr_ratelimit_set(d->http->login_fail, cfg->api_login_burst,
                     1000.0 / cfg->api_login_interval_ms);
}

void pr_http_customer_error(struct pr_api_req *req, unsigned status, const char *fmt, ...)
{
    char text[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    pr_api_reply_json(req, status, json_pack("{s:s}", "error", text));
}

void pr_http_too_many(struct pr_api_req *req, unsigned wait_s, const char *what)
{
    char v[16];

    snprintf(v, sizeof(v), "%u", wait_s);
    pr_api_req_add_header(req, "Retry-After", v);
    pr_http_customer_error(req, 429, "too many requests for %s: retry in %u s", what, wait_s);
}

/* The client's address for the failed-login limiter: behind the front
 * proxy (a loopback peer) the last hop of X-Forwarded-For, which HAProxy
 * appends; otherwise the peer.  Only loopback is trusted to say it. */
static const char *client_addr(struct pr_api_req *req, char *buf, size_t len)
{
    const char *peer = pr_api_req_peer(req);
    const char *xff = pr_api_req_header(req, "X-Forwarded-For");

    if (!xff || (strcmp(peer, "127.0.0.1") != 0 && strcmp(peer, "::1") != 0))
        return peer;
    const char *last = strrchr(xff, ',');
    last = last ? last + 1 : xff;
    while (*last == ' ')
        last++;
    snprintf(buf, len, "%.*s", (int)strcspn(last, " "), last);
    return buf;
}

static void login_refused(struct pr_api_req *req, struct pr_daemon *d, unsigned status,
                          const char *error, const char *why)
{
    char buf[64];
    const char *peer = client_addr(req, buf, sizeof(buf));

    if (status == 401) {
        d->http->login_failures++;
        pr_ratelimit_take(d->http->login_fail, peer, pr_now_ms());
        pr_api_req_add_header(req, "WWW-Authenticate", "Basic realm=\"pirack\"");
    }
    pr_api_reply_json(req, status,
                      json_pack("{s:s, s:s}", "error", error, "error_description", why));
}

void pr_http_post_login(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    char id[64], secret[128], token[PR_ACCESS_TOKEN_LEN + 1];
    struct pr_principal p;
    size_t len;
    const char *form = pr_api_req_raw_body(req, &len);
    char addr[64];
    unsigned wait;
    int err;

    follow_limits(d);
    wait =
        pr_ratelimit_wait(d->http->login_fail, client_addr(req, addr, sizeof(addr)), pr_now_ms());
    if (wait) {
        d->http->limited_login++;
        pr_http_too_many(req, wait, "failed logins from this address");
        return;
    }
    if (pr_api_parse_grant(form, len) < 0) {
        login_refused(req, d, 400, "unsupported_grant_type",
                      "the body must be the form grant_type=client_credentials");
        return;
    }
    if (pr_api_parse_basic(pr_api_req_header(req, "Authorization"), id, sizeof(id), secret,
                           sizeof(secret)) < 0) {
        login_refused(req, d, 401, "invalid_client",
                      "give the key id and secret as HTTP Basic credentials");
        return;
    }
    err = pr_store_key_login(d->store, id, secret, pr_store_now_ms(), &p);
    sodium_memzero(secret, sizeof(secret));
    if (err == -EACCES) {
        login_refused(req, d, 401, "invalid_client", pr_store_errmsg(d->store));
        return;
    }
    if (err == 0)
        err = pr_store_issue_access_token(d->store, p.key_id, pr_store_now_ms(),
                                          TOKEN_TTL_S * 1000LL, token);
    if (err < 0) {
        pr_http_customer_error(req, 500, "the store failed: %s", pr_store_errmsg(d->store));
        return;
    }
    pr_api_reply_json(req, 200,
                      json_pack("{s:s, s:i, s:s}", "access_token", token, "expires_in", TOKEN_TTL_S,
                                "token_type", "bearer"));
    sodium_memzero(token, sizeof(token));
}

static void unauthorized(struct pr_api_req *req, const char *why)
{
    char h[256];

    snprintf(h, sizeof(h),
             "Bearer realm=\"pirack\", error=\"invalid_token\", "
             "error_description=\"%s\"",
             why);
    pr_api_req_add_header(req, "WWW-Authenticate", h);
    pr_api_reply_json(req, 401,
                      json_pack("{s:s, s:s}", "error", "invalid_token", "error_description", why));
}

int pr_http_customer_auth(struct pr_api_req *req, struct pr_daemon *d, unsigned scope,
                          struct pr_principal *p)
{
    const char *auth = pr_api_req_header(req, "Authorization");
    char token[PR_ACCESS_TOKEN_LEN + 2], actor[64], scopes[48];
    unsigned wait;

    follow_limits(d);
    if (!auth) {
        d->http->token_failures++; /* reason "token": missing or bad */
        pr_api_req_add_header(req, "WWW-Authenticate", "Bearer realm=\"pirack\"");
        pr_api_reply_json(req, 401,
                          json_pack("{s:s, s:s}", "error", "invalid_request", "error_description",
                                    "no Authorization: Bearer TOKEN (POST /login makes one)"));
        return -1;
    }
    if (pr_api_parse_bearer(auth, token, sizeof(token)) < 0) {
        d->http->token_failures++;
        unauthorized(req, "not a bearer token");
        return -1;
    }
    int err = pr_store_check_access_token(d->store, token, pr_store_now_ms(), p);
    if (err == -EACCES) {
        d->http->token_failures++;
        unauthorized(req, pr_store_errmsg(d->store));
        return -1;
    }
    if (err < 0) {
        pr_http_customer_error(req, 500, "the store failed: %s", pr_store_errmsg(d->store));
        return -1;
    }
    snprintf(actor, sizeof(actor), "key:%s", p->key_id);
    pr_api_req_set_actor(req, actor);
    if (!(p->scopes & scope)) {
        d->http->scope_failures++;
        pr_scopes_format(scope, scopes, sizeof(scopes));
        char h[128];
        snprintf(h, sizeof(h),
                 "Bearer realm=\"pirack\", error=\"insufficient_scope\", scope=\"%s\"", scopes);
        pr_api_req_add_header(req, "WWW-Authenticate", h);
        char why[96];
        snprintf(why, sizeof(why), "this key lacks the scope %s", scopes);
        pr_api_reply_json(
            req, 403,
            json_pack("{s:s, s:s}", "error", "insufficient_scope", "error_description", why));
        return -1;
    }
    wait = pr_ratelimit_take(d->http->per_key, p->key_id, pr_now_ms());
    if (wait) {
        d->http->limited_key++;
        pr_http_too_many(req, wait, "this key");
        return -1;
    }
    return 0;
}

bool pr_http_idempotent_replay(struct pr_api_req *req, struct pr_daemon *d,
                               const struct pr_principal *p)
{
    const char *ikey = pr_api_req_header(req, "Idempotency-Key");
    struct pr_idempotent *a;
    json_t *body;
    int err;

    if (!ikey)
        return false;
    if (!*ikey || strlen(ikey) > 255) {
        pr_http_customer_error(req, 400, "an Idempotency-Key has 1 to 255 characters");
        return true;
    }
    a = calloc(1, sizeof(*a));
    if (!a) {
        pr_http_customer_error(req, 500, "out of memory");
        return true;
    }
    err = pr_store_idempotent_get(d->store, p->key_id, ikey, pr_api_req_method(req),
                                  pr_api_req_path(req), pr_store_now_ms(), a);
    if (err == -ENOENT) {
        free(a);
        return false;
    }
    if (err == -EEXIST)
        pr_http_customer_error(req, 422, "%s", pr_store_errmsg(d->store));
    else if (err < 0)
        pr_http_customer_error(req, 500, "the store failed: %s", pr_store_errmsg(d->store));
    else {
        body = json_loads(a->body, 0, NULL);
        if (a->location[0])
            pr_api_req_add_header(req, "Location", a->location);
        pr_api_req_add_header(req, "Idempotent-Replayed", "true");
        pr_api_reply_json(req, a->status, body);
    }
    free(a);
    return true;
}

void pr_http_idempotent_reply(struct pr_api_req *req, struct pr_daemon *d,
                              const struct pr_principal *p, unsigned status, json_t *body,
                              const char *location)
{
    const char *ikey = pr_api_req_header(req, "Idempotency-Key");
    struct pr_idempotent *a = ikey && body ? calloc(1, sizeof(*a)) : NULL;

    if (a) {
        char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
        a->status = status;
        if (text && strlen(text) < sizeof(a->body)) {
            snprintf(a->body, sizeof(a->body), "%s", text);
            snprintf(a->location, sizeof(a->location), "%s", location ? location : "");
            pr_store_idempotent_put(d->store, p->key_id, ikey, pr_api_req_method(req),
                                    pr_api_req_path(req), pr_store_now_ms(), a);
        }
        free(text);
        free(a);
    }
    if (location)
        pr_api_req_add_header(req, "Location", location);
    pr_api_reply_json(req, status, body);
}

bool pr_http_server_name_bad(struct pr_api_req *req, const char *name)
{
    const char *problem = pr_api_name_problem(name);
    char shown[80];

    if (!problem)
        return false;
    pr_http_customer_error(req, 400, "\"%s\" is not a server name: %s",
                           pr_api_printable(name, shown, sizeof(shown)), problem);
    return true;
}
