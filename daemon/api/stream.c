/* api/stream: answers that go on (text/event-stream), on the loop.
 *
 * A stream is an MHD response whose body comes from a callback reading a
 * bounded buffer.  When the buffer is empty the callback suspends the
 * connection (MHD then neither polls nor times it out); a write resumes
 * it and arms the listener's timer for the loop's next turn (MHD driven
 * from outside has no channel to wake itself), so that a write from
 * inside a handler never runs MHD again from within itself.  Nothing here blocks: a write that would take the
 * buffer past its bound ends the stream instead (its buffered text is
 * dropped, the connection gets MHD's timeout back so that a client that
 * reads nothing is closed), and the owner learns through on_close.
 *
 * Who frees what: MHD owns the stream through its response; the response's
 * free callback unlinks and frees it and calls on_close (unless the owner
 * let go first with pr_api_stream_close()).  Private to daemon/api/. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>

#include "api_internal.h"
#include "pirack/loop.h"

/* Seconds a dropped stream may take to send its last bytes. */
#define DROP_TIMEOUT_S 10

struct pr_api_stream {
    struct MHD_Connection *conn;
    struct pr_api_stream **head; /* the api's list of streams */
    struct pr_api_stream *next, *prev;
    char *buf;
    size_t len, max;
    struct pr_timer *kick; /* runs the connection's MHD on the next turn */
    bool suspended;
    bool ending; /* no more writes: end the body once the buffer is sent */
    void (*on_close)(void *ctx);
    void *ctx;
};

static void wake(struct pr_api_stream *s)
{
    if (s->suspended) {
        s->suspended = false;
        MHD_resume_connection(s->conn);
        /* MHD without threads has no channel to wake itself: run it on
         * the loop's next turn (never from here, which may be inside it). */
        pr_timer_arm(s->kick, 0, 0);
    }
}

static ssize_t read_stream(void *cls, uint64_t pos, char *out, size_t max)
{
    struct pr_api_stream *s = cls;
    size_t n;

    (void)pos;
    if (s->len > 0) {
        n = s->len < max ? s->len : max;
        memcpy(out, s->buf, n);
        memmove(s->buf, s->buf + n, s->len - n);
        s->len -= n;
        return (ssize_t)n;
    }
    if (s->ending)
        return MHD_CONTENT_READER_END_OF_STREAM;
    /* Nothing to send: sleep until pr_api_stream_write() wakes us. */
    s->suspended = true;
    MHD_suspend_connection(s->conn);
    return 0;
}

static void free_stream(void *cls)
{
    struct pr_api_stream *s = cls;

    if (s->prev)
        s->prev->next = s->next;
    else if (s->head && *s->head == s)
        *s->head = s->next;
    if (s->next)
        s->next->prev = s->prev;
    if (s->on_close)
        s->on_close(s->ctx);
    free(s->buf);
    free(s);
}

struct MHD_Response *pr_api_stream_response(struct MHD_Connection *conn, struct pr_timer *kick,
                                            size_t max_buffer, struct pr_api_stream **head,
                                            void (*on_close)(void *ctx), void *ctx,
                                            struct pr_api_stream **out)
{
    struct pr_api_stream *s = calloc(1, sizeof(*s));
    struct MHD_Response *resp;

    if (!s || !(s->buf = malloc(max_buffer ? max_buffer : 1))) {
        free(s);
        return NULL;
    }
    s->conn = conn;
    s->kick = kick;
    s->max = max_buffer;
    s->on_close = on_close;
    s->ctx = ctx;
    resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, read_stream, s, free_stream);
    if (!resp) {
        free(s->buf);
        free(s);
        return NULL;
    }
    s->head = head;
    s->next = *head;
    if (s->next)
        s->next->prev = s;
    *head = s;
    *out = s;
    return resp;
}

int pr_api_stream_write(struct pr_api_stream *s, const char *data, size_t len)
{
    if (!s || s->ending)
        return -EPIPE;
    if (len > s->max - s->len) {
        /* A client this far behind is dropped: it reconnects with
         * Last-Event-ID and reads the store, not our memory. */
        s->ending = true;
        s->len = 0;
        MHD_set_connection_option(s->conn, MHD_CONNECTION_OPTION_TIMEOUT, (unsigned)DROP_TIMEOUT_S);
        wake(s);
        return -ENOBUFS;
    }
    memcpy(s->buf + s->len, data, len);
    s->len += len;
    wake(s);
    return 0;
}

size_t pr_api_stream_buffered(const struct pr_api_stream *s)
{
    return s ? s->len : 0;
}

void pr_api_stream_close(struct pr_api_stream *s)
{
    if (!s)
        return;
    s->on_close = NULL;
    s->ending = true;
    wake(s);
}

void pr_api_stream_end_all(struct pr_api_stream *head)
{
    for (struct pr_api_stream *s = head; s; s = s->next) {
        s->ending = true;
        s->len = 0;
        wake(s);
    }
}
