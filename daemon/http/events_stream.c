/* http events_stream: the event log followed live, as server-sent events.
 *
 *   GET /v1/events/stream        (ops) every event as it is recorded
 *   GET /pi/events/stream        (customer, read scope) the events of the
 *                                customer's own pis only, each naming its
 *                                server instead of its slot
 *
 * Each event is one frame, "id: ID\ndata: JSON\n\n", the JSON as GET
 * /v1/events shows it.  A client resumes with Last-Event-ID (browsers send
 * it when they reconnect) or ?since=ID; without either it gets the events
 * recorded from now on.  A comment line every HEARTBEAT_MS keeps proxies
 * from closing a quiet stream and finds clients that left.
 *
 * The streams follow the store, not the code that records events: a loop
 * timer (only while a stream is open) reads what came after each stream's
 * cursor, a batch at a time, while the stream has less than HIGH_WATER
 * bytes waiting.  So a slow client costs at most HIGH_WATER bytes and a
 * cursor; one that stays behind for STALL_MS is dropped, and reconnects
 * with Last-Event-ID to read on from the store.  At most STREAMS_MAX
 * streams are open at once (503 past that), of which customers hold at
 * most CUSTOMER_STREAMS, KEY_STREAMS per key.  A customer's stream checks
 * its token again at each heartbeat and ends when it expires or its key
 * is revoked. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pirack/api.h"
#include "pirack/loop.h"
#include "pirack/metrics.h"
#include "pirack/store.h"
#include "daemon/api/api_internal.h"
#include "daemon/http/http.h"

#define STREAMS_MAX 32
/* Customers share at most this many, each key at most KEY_STREAMS, so that
 * no customer can take the operators' streams or another's. */
#define CUSTOMER_STREAMS 24
#define KEY_STREAMS 4
#define HIGH_WATER (64 * 1024)
/* A frame is at most an event's JSON (detail <= 1023 bytes) and framing. */
#define FRAME_MAX 2048
#define PUMP_MS 200
#define HEARTBEAT_MS 10000
#define STALL_MS 30000
#define BATCH 256
#define BATCHES_PER_TICK 4

struct follower {
    bool used;
    bool customer;
    struct pr_api_stream *stream;
    struct pr_http_streams *owner;
    int64_t cursor;           /* the last event id this stream has had (or skipped) */
    uint64_t behind_since_ms; /* 0: not behind */
    char token[PR_ACCESS_TOKEN_LEN + 2];
    struct pr_principal who;
};

struct pr_http_streams {
    struct pr_daemon *d;
    struct pr_timer *timer;
    uint64_t last_beat_ms;
    unsigned open;
    struct follower f[STREAMS_MAX];
};

/* ---- a customer's pis, for the tenant filter ---- */

struct own_pi {
    unsigned slot;
    char name[PR_NAME_MAX];
};

struct own_pis {
    const struct pr_principal *who;
    struct own_pi *pis;
    size_t n, cap;
};

static int add_own_pi(const struct pr_slot_row *row, void *ctx)
{
    struct own_pis *o = ctx;

    if (!row->name[0] || !pr_principal_allows_pi(o->who, row->name))
        return 0;
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 16;
        struct own_pi *grown = realloc(o->pis, cap * sizeof(*grown));
        if (!grown)
            return -ENOMEM;
        o->pis = grown;
        o->cap = cap;
    }
    o->pis[o->n].slot = row->slot;
    snprintf(o->pis[o->n].name, sizeof(o->pis[0].name), "%s", row->name);
    o->n++;
    return 0;
}

static const char *own_pi_name(const struct own_pis *o, unsigned slot)
{
    for (size_t i = 0; slot > 0 && i < o->n; i++)
        if (o->pis[i].slot == slot)
            return o->pis[i].name;
    return NULL;
}

/* ---- frames ---- */

/* "id: ID\ndata: JSON\n\n" into out; its length, or 0 when it cannot be. */
static size_t frame(const struct pr_event_row *ev, const char *server, char *out, size_t len)
{
    json_t *obj = pr_http_event_json(ev);
    char *text;
    int n;

    if (!obj)
        return 0;
    if (server) {
        /* A customer sees its server's name, nothing of the rack's slots. */
        json_object_del(obj, "slot");
        json_object_set_new(obj, "server", json_string(server));
    }
    text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(obj);
    if (!text)
        return 0;
    n = snprintf(out, len, "id: %lld\ndata: %s\n\n", (long long)ev->id, text);
    free(text);
    return n > 0 && (size_t)n < len ? (size_t)n : 0;
}

struct pump {
    struct follower *f;
    const struct own_pis *own; /* NULL: ops, every event */
    bool full;
};

static int send_event(const struct pr_event_row *ev, void *ctx)
{
    struct pump *p = ctx;
    const char *server = NULL;
    char buf[FRAME_MAX];
    size_t n;

    if (pr_api_stream_buffered(p->f->stream) >= HIGH_WATER) {
        p->full = true;
        return 1; /* stop here: the rest waits in the store */
    }
    p->f->cursor = ev->id;
    if (p->own && !(server = own_pi_name(p->own, ev->slot)))
        return 0;
    n = frame(ev, server, buf, sizeof(buf));
    if (n > 0 && pr_api_stream_write(p->f->stream, buf, n) < 0)
        return -EPIPE;
    return 0;
}

/* ---- the streams ---- */

static void follower_free(struct follower *f)
{
    if (!f->used)
        return;
    f->used = false;
    f->stream = NULL;
    f->owner->open--;
    if (f->owner->open == 0)
        pr_timer_disarm(f->owner->timer);
}

static void on_stream_closed(void *ctx)
{
    follower_free(ctx);
}

static void drop(struct follower *f)
{
    pr_api_stream_close(f->stream);
    follower_free(f);
}

/* Sends f what it has not had yet, as far as its buffer allows. */
static void pump(struct pr_http_streams *s, struct follower *f, int64_t newest)
{
    struct own_pis own = { .who = &f->who };
    struct pump p = { .f = f, .own = f->customer ? &own : NULL };
    int err = 0;

    if (f->customer &&
        pr_store_each_customer_pi(s->d->store, f->who.customer, add_own_pi, &own) < 0)
        err = -EIO;
    for (int i = 0; !err && !p.full && f->cursor < newest && i < BATCHES_PER_TICK; i++)
        err = pr_store_each_event(s->d->store, 0, false, f->cursor, BATCH, send_event, &p);
    free(own.pis);
    if (err < 0 && err != 1) {
        drop(f);
        return;
    }
    uint64_t now = pr_now_ms();
    if (pr_api_stream_buffered(f->stream) < HIGH_WATER)
        f->behind_since_ms = 0;
    else if (!f->behind_since_ms)
        f->behind_since_ms = now;
    else if (now - f->behind_since_ms > STALL_MS)
        drop(f); /* it reads nothing: it reconnects and reads the store */
}

static void heartbeat(struct pr_http_streams *s, struct follower *f)
{
    static const char beat[] = ": keep-alive\n\n";
    struct pr_principal now_who;

    if (f->customer &&
        pr_store_check_access_token(s->d->store, f->token, pr_store_now_ms(), &now_who) < 0) {
        static const char gone[] = "event: expired\ndata: {}\n\n";
        pr_api_stream_write(f->stream, gone, sizeof(gone) - 1);
        drop(f); /* expired or revoked: the client logs in again */
        return;
    }
    if (pr_api_stream_buffered(f->stream) < HIGH_WATER &&
        pr_api_stream_write(f->stream, beat, sizeof(beat) - 1) < 0)
        follower_free(f);
}

static void on_tick(void *ctx)
{
    struct pr_http_streams *s = ctx;
    int64_t newest = pr_store_last_event_id(s->d->store);
    uint64_t now = pr_now_ms();
    bool beat = now - s->last_beat_ms >= HEARTBEAT_MS;

    if (beat)
        s->last_beat_ms = now;
    for (size_t i = 0; i < STREAMS_MAX; i++) {
        struct follower *f = &s->f[i];
        if (f->used && newest > f->cursor)
            pump(s, f, newest);
        if (f->used && beat)
            heartbeat(s, f);
    }
}

static const char *const no_labels[] = { NULL };
static const struct pr_metric_desc streams_desc = {
    "pirack_api_event_streams",
    "Event streams (server-sent events) open now, ops and customers.",
    PR_METRIC_GAUGE,
    no_labels,
};

static int collect_streams(struct pr_metrics_out *out, void *ctx)
{
    const struct pr_http_streams *s = ctx;

    return pr_metrics_sample(out, no_labels, (double)s->open);
}

void pr_http_streams_status(const struct pr_daemon *d, unsigned *open, size_t *most_buffered)
{
    *open = 0;
    *most_buffered = 0;
    for (size_t i = 0; d->streams && i < STREAMS_MAX; i++) {
        const struct follower *f = &d->streams->f[i];
        size_t b = f->used ? pr_api_stream_buffered(f->stream) : 0;
        if (f->used)
            (*open)++;
        if (b > *most_buffered)
            *most_buffered = b;
    }
}

int pr_http_streams_start(struct pr_daemon *d)
{
    struct pr_http_streams *s = calloc(1, sizeof(*s));

    if (!s)
        return -ENOMEM;
    s->d = d;
    s->timer = pr_timer_new(d->loop, on_tick, s);
    if (!s->timer) {
        free(s);
        return -ENOMEM;
    }
    for (size_t i = 0; i < STREAMS_MAX; i++)
        s->f[i].owner = s;
    if (pr_metrics_register(pr_api_metrics(d->api), &streams_desc, collect_streams, s) < 0) {
        pr_timer_free(s->timer);
        free(s);
        return -ENOMEM;
    }
    d->streams = s;
    return 0;
}

void pr_http_streams_stop(struct pr_daemon *d)
{
    struct pr_http_streams *s = d->streams;

    if (!s)
        return;
    for (size_t i = 0; i < STREAMS_MAX; i++)
        if (s->f[i].used)
            drop(&s->f[i]);
    if (d->api)
        pr_metrics_unregister_ctx(pr_api_metrics(d->api), s);
    pr_timer_free(s->timer);
    free(s);
    d->streams = NULL;
}

/* Where the client resumes: Last-Event-ID, else ?since=, else now.
 * -1 after answering 400. */
static int start_cursor(struct pr_api_req *req, struct pr_daemon *d, int64_t *cursor)
{
    static const char *const allowed[] = { "since", NULL };
    const char *last = pr_api_req_header(req, "Last-Event-ID");
    int has;

    if (pr_api_req_check_query(req, allowed) < 0 ||
        (has = pr_api_req_uint_query(req, "since", 0, INT64_MAX, cursor)) < 0)
        return -1;
    if (last && pr_api_parse_uint(last, 0, INT64_MAX, cursor) < 0) {
        pr_api_reply_error(req, PR_API_ERR_BAD_REQUEST, "Last-Event-ID must be an event id");
        return -1;
    }
    if (!last && !has) {
        *cursor = pr_store_last_event_id(d->store);
        if (*cursor < 0)
            *cursor = 0;
    }
    return 0;
}

static struct follower *open_follower(struct pr_api_req *req, struct pr_daemon *d, int64_t cursor)
{
    static const char hello[] = "retry: 2000\n: pirack events\n\n";
    struct pr_http_streams *s = d->streams;
    struct follower *f = NULL;

    for (size_t i = 0; s && !f && i < STREAMS_MAX; i++)
        if (!s->f[i].used)
            f = &s->f[i];
    if (!f)
        return NULL;
    f->stream = pr_api_reply_stream(req, HIGH_WATER + FRAME_MAX, on_stream_closed, f);
    if (!f->stream)
        return NULL;
    f->used = true;
    f->customer = false;
    f->cursor = cursor;
    f->behind_since_ms = 0;
    if (s->open++ == 0) {
        s->last_beat_ms = pr_now_ms();
        pr_timer_arm(s->timer, PUMP_MS, PUMP_MS);
    }
    pr_api_stream_write(f->stream, hello, sizeof(hello) - 1);
    return f;
}

static bool full(const struct pr_daemon *d)
{
    return !d->streams || d->streams->open >= STREAMS_MAX;
}

/* Why a customer's key may not open one more stream, or NULL. */
static const char *customer_full(const struct pr_daemon *d, const struct pr_principal *who)
{
    unsigned all = 0, mine = 0;

    for (size_t i = 0; d->streams && i < STREAMS_MAX; i++) {
        const struct follower *f = &d->streams->f[i];
        if (!f->used || !f->customer)
            continue;
        all++;
        mine += strcmp(f->who.key_id, who->key_id) == 0;
    }
    if (mine >= KEY_STREAMS)
        return "this key has its 4 event streams open already";
    if (all >= CUSTOMER_STREAMS || full(d))
        return "too many event streams are open";
    return NULL;
}

void pr_http_get_events_stream(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    int64_t cursor = 0;

    if (start_cursor(req, d, &cursor) < 0)
        return;
    if (full(d)) {
        pr_api_reply_error(req, PR_API_ERR_UNAVAILABLE, "%u event streams are open already",
                           (unsigned)STREAMS_MAX);
        return;
    }
    if (!open_follower(req, d, cursor))
        pr_api_reply_error(req, PR_API_ERR_INTERNAL, "out of memory");
}

void pr_http_get_pi_events_stream(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    struct pr_principal who;
    struct follower *f;
    int64_t cursor = 0;

    if (pr_http_customer_auth(req, d, PR_SCOPE_READ, &who) < 0 || start_cursor(req, d, &cursor) < 0)
        return;
    const char *why = customer_full(d, &who);
    if (why) {
        pr_http_customer_error(req, 503, "%s", why);
        return;
    }
    f = open_follower(req, d, cursor);
    if (!f) {
        pr_http_customer_error(req, 500, "out of memory");
        return;
    }
    f->customer = true;
    f->who = who;
    if (pr_api_parse_bearer(pr_api_req_header(req, "Authorization"), f->token, sizeof(f->token)) <
        0)
        drop(f); /* cannot be: the check above parsed it */
}
