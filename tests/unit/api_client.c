/* Helpers for the API's unit tests.  See api_client.h. */
#include <pthread.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include "api_client.h"
#include "pirack/api.h"
#include "pirack/loop.h"
#include "daemon/api/api_internal.h"

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
    struct http_res *res = ctx;
    size_t len = size * nmemb;
    char *grown = realloc(res->body, res->body_len + len + 1);

    if (!grown)
        return 0;
    res->body = grown;
    memcpy(res->body + res->body_len, data, len);
    res->body_len += len;
    res->body[res->body_len] = '\0';
    return len;
}

static void header_value(const char *line, size_t len, const char *name, char *out, size_t outlen)
{
    size_t nlen = strlen(name);

    if (len <= nlen + 1 || strncasecmp(line, name, nlen) != 0 || line[nlen] != ':')
        return;
    line += nlen + 1;
    len -= nlen + 1;
    while (len && (*line == ' '))
        line++, len--;
    while (len && (line[len - 1] == '\r' || line[len - 1] == '\n'))
        len--;
    snprintf(out, outlen, "%.*s", (int)len, line);
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ctx)
{
    struct http_res *res = ctx;
    size_t len = size * nmemb;

    header_value(data, len, "Content-Type", res->content_type, sizeof(res->content_type));
    header_value(data, len, "Allow", res->allow, sizeof(res->allow));
    header_value(data, len, "WWW-Authenticate", res->www_authenticate,
                 sizeof(res->www_authenticate));
    header_value(data, len, "Retry-After", res->retry_after, sizeof(res->retry_after));
    header_value(data, len, "Location", res->location, sizeof(res->location));
    return len;
}

struct upload {
    const char *data;
    size_t len, off;
};

static size_t on_read(char *buf, size_t size, size_t nmemb, void *ctx)
{
    struct upload *up = ctx;
    size_t n = size * nmemb;

    if (n > up->len - up->off)
        n = up->len - up->off;
    memcpy(buf, up->data + up->off, n);
    up->off += n;
    return n;
}

static void do_request(CURL *c, const char *sock, const struct http_req *rq, struct http_res *res)
{
    struct curl_slist *hdrs = NULL;
    struct upload up = { 0 };
    char url[2048];

    bool tcp = strncmp(sock, "http", 4) == 0;
    snprintf(url, sizeof(url), "%s%s", tcp ? sock : "http://localhost", rq->path);
    curl_easy_reset(c);
    if (!tcp)
        curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock);
    for (const char *h = rq->headers; h && *h;) {
        char line[512];
        size_t n = strcspn(h, "\n");
        snprintf(line, sizeof(line), "%.*s", (int)n, h);
        hdrs = curl_slist_append(hdrs, line);
        h += n + (h[n] == '\n');
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, res);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, res);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    if (rq->body) {
        up.data = rq->body;
        up.len = rq->body_len ? rq->body_len : strlen(rq->body);
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, &up);
        if (!rq->chunked)
            curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)up.len);
        else
            hdrs = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
        if (!rq->headers || !strstr(rq->headers, "Content-Type"))
            hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    res->curl = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res->status);
    if (res->body)
        res->json = json_loads(res->body, 0, NULL);
    curl_slist_free_all(hdrs);
}

static void stop_loop(void *ctx)
{
    pr_loop_stop(ctx);
}

static void *client_main(void *arg)
{
    struct api_batch *b = arg;
    CURL *c = curl_easy_init();

    for (size_t i = 0; c && i < b->n; i++)
        do_request(c, b->sock, &b->reqs[i], &b->res[i]);
    curl_easy_cleanup(c);
    pr_mailbox_post(b->mbox, stop_loop, b->loop, NULL);
    return NULL;
}

void api_batch_clear(struct api_batch *b)
{
    for (size_t i = 0; i < API_BATCH_MAX; i++) {
        free(b->res[i].body);
        json_decref(b->res[i].json);
    }
    memset(b->res, 0, sizeof(b->res));
}

void api_batch_run(struct api_batch *b, const char *sock, struct pr_loop *loop,
                   const struct http_req *reqs, size_t n)
{
    pthread_t th;

    assert_true(n <= API_BATCH_MAX);
    api_batch_clear(b);
    b->sock = sock;
    b->loop = loop;
    b->mbox = pr_mailbox_new(loop);
    assert_non_null(b->mbox);
    b->reqs = reqs;
    b->n = n;
    assert_int_equal(pthread_create(&th, NULL, client_main, b), 0);
    assert_int_equal(pr_loop_run(loop), 0);
    pthread_join(th, NULL);
    pr_mailbox_close(b->mbox);
    b->mbox = NULL;
    for (size_t i = 0; i < n; i++) {
        if (reqs[i].no_answer && b->res[i].curl == CURLE_OK)
            fail_msg("request %zu (%s %s) was answered %ld, expected none", i, reqs[i].method,
                     reqs[i].path, b->res[i].status);
        if (!reqs[i].no_answer && b->res[i].curl != CURLE_OK)
            fail_msg("request %zu (%s %s): %s", i, reqs[i].method, reqs[i].path,
                     curl_easy_strerror(b->res[i].curl));
    }
}

const char *api_json_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

void api_assert_error(const struct http_res *r, long status, const char *error)
{
    assert_int_equal(r->status, status);
    assert_string_equal(r->content_type, "application/json");
    assert_non_null(r->json);
    assert_string_equal(api_json_str(r->json, "error"), error);
    assert_non_null(api_json_str(r->json, "detail"));
    api_assert_vocabulary(r);
}

void api_assert_vocabulary(const struct http_res *r)
{
    const char *word = api_json_str(r->json, "error");
    int e = pr_api_error_parse(word);

    if (e < 0)
        fail_msg("HTTP %ld with error \"%s\": not a word of the API's vocabulary", r->status,
                 word ? word : "(none)");
    if ((long)pr_api_error_status((enum pr_api_error)e) != r->status)
        fail_msg("HTTP %ld with error \"%s\", which goes with %u", r->status, word,
                 pr_api_error_status((enum pr_api_error)e));
    if (!api_json_str(r->json, "detail"))
        fail_msg("HTTP %ld \"%s\" has no detail", r->status, word);
}
