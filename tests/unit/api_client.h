/* Helpers for the API's unit tests: drive requests over a real Unix socket
 * with libcurl from a second thread while the test's thread runs the loop.
 *
 * The client thread only records what it got (cmocka's asserts must stay
 * on the test's thread); when it is done it posts a stop to the loop's
 * thread through a mailbox, and the test asserts on the records. */
#ifndef PIRACK_TEST_API_CLIENT_H
#define PIRACK_TEST_API_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <curl/curl.h>
#include <jansson.h>

struct pr_loop;
struct pr_mailbox;

#define API_BATCH_MAX 96

struct http_req {
    const char *method;
    const char *path;    /* with the query */
    const char *body;    /* NULL: none */
    size_t body_len;     /* 0: strlen(body) */
    bool chunked;        /* send the body without a Content-Length */
    bool no_answer;      /* the server is expected to hang up */
    const char *headers; /* extra "Name: value" lines, '\n'-separated; NULL none */
};

struct http_res {
    long status;
    char content_type[64];
    char allow[64];
    char *body;
    size_t body_len;
    char www_authenticate[256];
    char retry_after[16];
    char location[256];
    json_t *json; /* the parsed body, or NULL */
    CURLcode curl;
};

struct api_batch {
    const char *sock; /* a Unix socket's path, or a base URL "http://..." for TCP */
    struct pr_loop *loop;
    struct pr_mailbox *mbox; /* the client thread's stop */
    const struct http_req *reqs;
    struct http_res res[API_BATCH_MAX];
    size_t n;
};

/* Sends reqs (n <= API_BATCH_MAX) in order on one connection to sock,
 * running loop until they are answered; the answers are in b->res.  Fails
 * the test when a request gets no HTTP answer, or one marked no_answer
 * gets one. */
void api_batch_run(struct api_batch *b, const char *sock, struct pr_loop *loop,
                   const struct http_req *reqs, size_t n);
/* Frees the answers of the last batch. */
void api_batch_clear(struct api_batch *b);

/* The string at key of obj, or NULL. */
const char *api_json_str(const json_t *obj, const char *key);
/* Asserts r is a JSON error {"error": error, "detail": "..."} with status,
 * and that error is a word of the API's vocabulary (enum pr_api_error)
 * that goes with that status. */
void api_assert_error(const struct http_res *r, long status, const char *error);
/* Asserts r's "error" is a word of the vocabulary, with its status, and
 * that it has a "detail". */
void api_assert_vocabulary(const struct http_res *r);

#endif
