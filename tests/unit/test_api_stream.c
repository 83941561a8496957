/* The event stream's bounds, on a real api and store: a client that reads
 * nothing costs the daemon at most PR_HTTP_STREAM_BUFFER_MAX bytes however
 * many events the store holds, and the loop keeps answering meanwhile;
 * the stream's frames are the store's events in order. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <curl/curl.h>

#include "api_fixture.h"
#include "daemon/http/http.h"
#include "daemon/store/store_internal.h"
#include "pirack/loop.h"

#define EVENTS 3000

struct slow_client {
    const char *sock;
    struct pr_loop *loop;
    struct pr_mailbox *mbox;
    int fd;
    char head[4096]; /* what it read at the end */
    size_t head_len;
    bool answered; /* a request on another connection was answered meanwhile */
};

static void stop_loop(void *ctx)
{
    pr_loop_stop(ctx);
}

static int connect_unix(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static size_t discard(char *p, size_t s, size_t n, void *ctx)
{
    (void)p;
    (void)ctx;
    return s * n;
}

static void *slow_main(void *arg)
{
    static const char req[] = "GET /v1/events/stream?since=0 HTTP/1.1\r\nHost: x\r\n\r\n";
    struct slow_client *c = arg;
    CURL *curl;
    long status = 0;

    c->fd = connect_unix(c->sock);
    if (c->fd >= 0 && write(c->fd, req, sizeof(req) - 1) == (ssize_t)(sizeof(req) - 1)) {
        /* It reads nothing for a while; the daemon must still answer. */
        usleep(1500 * 1000);
        curl = curl_easy_init();
        curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, c->sock);
        curl_easy_setopt(curl, CURLOPT_URL, "http://x/v1/status");
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(curl, CURLOPT_TIMEOUT, 5L);
        if (curl_easy_perform(curl) == CURLE_OK)
            curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(curl);
        c->answered = status == 200;
    }
    pr_mailbox_post(c->mbox, stop_loop, c->loop, NULL);
    return NULL;
}

static int setup(void **state)
{
    struct api_fixture *af = calloc(1, sizeof(*af));

    *state = af;
    return af ? api_fixture_start(af, 1000) : -1;
}

static int teardown(void **state)
{
    struct api_fixture *af = *state;

    api_fixture_stop(af);
    free(af);
    return 0;
}

static void test_a_client_that_reads_nothing_costs_a_bounded_buffer(void **state)
{
    struct api_fixture *af = *state;
    struct slow_client c = { .sock = af->sock, .loop = af->d.loop, .fd = -1 };
    char detail[900];
    pthread_t th;
    unsigned open;
    size_t most;

    /* About 3 MB of frames waiting in the store. */
    snprintf(detail, sizeof(detail), "{\"pad\":\"%0800d\"}", 0);
    for (int i = 0; i < EVENTS; i++)
        assert_true(pr_store_add_event(af->d.store, 0, "test.big", "test", detail) > 0);
    c.mbox = pr_mailbox_new(af->d.loop);
    assert_non_null(c.mbox);
    assert_int_equal(pthread_create(&th, NULL, slow_main, &c), 0);
    assert_int_equal(pr_loop_run(af->d.loop), 0);
    pthread_join(th, NULL);
    pr_mailbox_close(c.mbox);

    pr_http_streams_status(&af->d, &open, &most);
    assert_int_equal(open, 1);
    assert_true(most > 0); /* it is behind: the rest waits in the store */
    assert_true(most <= PR_HTTP_STREAM_BUFFER_MAX);
    assert_true(c.answered);

    /* What it gets is the stream, the oldest events first. */
    assert_true(c.fd >= 0);
    c.head_len = (size_t)read(c.fd, c.head, sizeof(c.head) - 1);
    c.head[c.head_len] = '\0';
    assert_non_null(strstr(c.head, "HTTP/1.1 200"));
    assert_non_null(strstr(c.head, "text/event-stream"));
    assert_non_null(strstr(c.head, "\nid: 1\ndata: {\"id\":1,"));
    close(c.fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_client_that_reads_nothing_costs_a_bounded_buffer,
                                        setup, teardown),
    };

    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = cmocka_run_group_tests_name("api_stream", tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
