/* http: one request to pirackd's API over its Unix socket (libcurl). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <curl/curl.h>

#include "cli.h"

/* The API's answers are small; anything bigger is not the API. */
#define MAX_RESPONSE (64u * 1024 * 1024)

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
    struct cli_response *r = ctx;
    size_t len = size * nmemb;
    char *grown;

    if (len > MAX_RESPONSE - r->len)
        return 0; /* curl stops with a write error */
    grown = realloc(r->body, r->len + len + 1);
    if (!grown)
        return 0;
    r->body = grown;
    memcpy(r->body + r->len, data, len);
    r->len += len;
    r->body[r->len] = '\0';
    return len;
}

void cli_response_free(struct cli_response *r)
{
    free(r->body);
    json_decref(r->json);
    memset(r, 0, sizeof(*r));
}

void cli_print_raw(const struct cli_response *r)
{
    fwrite(r->body, 1, r->len, stdout);
    if (r->len == 0 || r->body[r->len - 1] != '\n')
        fputc('\n', stdout);
}

/* "pirack: no-such-slot: slot 9999 is not in this rack (1-108)": the API's
 * error word (see pirack(1)), then its detail. */
static void print_api_error(const struct cli_response *r)
{
    const char *error = cli_json_str(r->json, "error");
    const char *detail = cli_json_str(r->json, "detail");

    if (!detail) /* the customer API: OAuth2's error_description */
        detail = cli_json_str(r->json, "error_description");
    char e[256], d[1024];

    if (!error) {
        fprintf(stderr, "pirack: the API answered HTTP %ld without an error message\n", r->status);
        return;
    }
    cli_sanitize(error, e, sizeof(e));
    if (detail && detail[0])
        fprintf(stderr, "pirack: %s: %s\n", e, cli_sanitize(detail, d, sizeof(d)));
    else
        fprintf(stderr, "pirack: %s\n", e);
}

/* curl says only "Couldn't connect"; the connect(2) error says why. */
static const char *why_unreachable(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd, err = 0;

    if (strlen(path) >= sizeof(sa.sun_path))
        return strerror(ENAMETOOLONG);
    memcpy(sa.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return strerror(errno);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        err = errno;
    close(fd);
    if (err == ENOENT || err == ECONNREFUSED)
        return err == ENOENT ? "no such socket (is pirackd running?)"
                             : "connection refused (is pirackd running?)";
    return err ? strerror(err) : NULL;
}

static CURL *handle(struct cli *c)
{
    if (!c->curl)
        c->curl = curl_easy_init();
    return c->curl;
}

int cli_request(struct cli *c, const char *method, const char *path, json_t *body,
                struct cli_response *out)
{
    char url[2048], errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *hdrs = NULL;
    char *text = NULL;
    CURL *curl = handle(c);
    CURLcode rc;

    memset(out, 0, sizeof(*out));
    if (!curl) {
        fprintf(stderr, "pirack: cannot start libcurl\n");
        return CLI_EXIT_FAIL;
    }
    if (c->url && strcmp(path, "/login") != 0 && cli_customer_login(c) != CLI_EXIT_OK)
        return CLI_EXIT_FAIL;
    /* The host name is not used on a Unix socket; HTTP/1.1 still wants one. */
    if (c->url)
        snprintf(url, sizeof(url), "%s%s", c->url, path);
    else
        snprintf(url, sizeof(url), "http://pirackd%s", path);
    curl_easy_reset(curl);
    if (!c->url)
        curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, c->socket);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    hdrs = curl_slist_append(hdrs, "Accept: application/json");
    if (c->url && strcmp(path, "/login") == 0) {
        /* OAuth2 client credentials: the key as HTTP Basic, a form body */
        curl_easy_setopt(curl, CURLOPT_USERNAME, c->key_id);
        curl_easy_setopt(curl, CURLOPT_PASSWORD, c->secret);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "grant_type=client_credentials");
    } else if (c->url && c->bearer[0]) {
        hdrs = curl_slist_append(hdrs, c->bearer);
    }
    if (body) {
        text = json_dumps(body, JSON_COMPACT);
        if (!text) {
            curl_slist_free_all(hdrs);
            fprintf(stderr, "pirack: out of memory\n");
            return CLI_EXIT_FAIL;
        }
        hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, text);
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
    rc = curl_easy_perform(curl);
    curl_slist_free_all(hdrs);
    free(text);
    if (rc != CURLE_OK) {
        const char *why =
            rc == CURLE_COULDNT_CONNECT && !c->url ? why_unreachable(c->socket) : NULL;

        if (!why)
            why = errbuf[0] ? errbuf : curl_easy_strerror(rc);
        fprintf(stderr, "pirack: cannot reach pirackd at %s: %s\n", c->url ? c->url : c->socket,
                why);
        cli_response_free(out);
        return CLI_EXIT_FAIL;
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->status);
    out->json = out->body ? json_loadb(out->body, out->len, JSON_DECODE_ANY, NULL) : NULL;
    if (out->status < 200 || out->status > 299) {
        print_api_error(out);
        cli_response_free(out);
        return CLI_EXIT_FAIL;
    }
    if (!out->json) {
        fprintf(stderr, "pirack: the API answered HTTP %ld with something that is not JSON\n",
                out->status);
        cli_response_free(out);
        return CLI_EXIT_FAIL;
    }
    return 0;
}

int cli_request_show(struct cli *c, const char *method, const char *path, json_t *body,
                     cli_show_fn show, void *ctx)
{
    struct cli_response r;
    int rc = cli_request(c, method, path, body, &r);

    if (rc)
        return rc;
    if (c->json)
        cli_print_raw(&r);
    else
        rc = show(r.json, ctx);
    cli_response_free(&r);
    return rc;
}

/* ---- server-sent events ---- */

struct sse {
    cli_sse_fn fn;
    void *ctx;
    char line[8192];
    size_t len;
    bool overlong; /* the line so far did not fit: skipped */
    char id[32];
    char *data;
    size_t data_len;
    long status;
    CURL *curl;
    bool stop;
};

/* One line of the stream (without its newline); a blank line ends an
 * event, which goes to fn. */
static void sse_line(struct sse *s, const char *line, size_t len)
{
    if (len == 0) {
        if (s->data && s->fn(s->id, s->data, s->ctx) != 0)
            s->stop = true;
        free(s->data);
        s->data = NULL;
        s->data_len = 0;
        return;
    }
    if (len > 5 && strncmp(line, "data:", 5) == 0) {
        const char *v = line + 5 + (line[5] == ' ');
        size_t n = len - (size_t)(v - line);
        char *grown = realloc(s->data, s->data_len + n + 2);
        if (!grown)
            return;
        s->data = grown;
        if (s->data_len)
            s->data[s->data_len++] = '\n';
        memcpy(s->data + s->data_len, v, n);
        s->data_len += n;
        s->data[s->data_len] = '\0';
    } else if (len > 3 && strncmp(line, "id:", 3) == 0) {
        const char *v = line + 3 + (line[3] == ' ');
        snprintf(s->id, sizeof(s->id), "%.*s", (int)(len - (size_t)(v - line)), v);
    }
}

static size_t on_sse(char *data, size_t size, size_t nmemb, void *ctx)
{
    struct sse *s = ctx;
    size_t len = size * nmemb;

    if (!s->status)
        curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &s->status);
    if (s->status != 200)
        return len; /* an error answer: not events */
    for (size_t i = 0; i < len && !s->stop; i++) {
        if (data[i] == '\r')
            continue;
        if (data[i] != '\n') {
            if (s->len < sizeof(s->line) - 1)
                s->line[s->len++] = data[i];
            else
                s->overlong = true;
            continue;
        }
        if (!s->overlong)
            sse_line(s, s->line, s->len);
        s->len = 0;
        s->overlong = false;
    }
    return s->stop ? 0 : len;
}

static int sse_progress(void *ctx, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    volatile sig_atomic_t *stop = ctx;

    (void)a, (void)b, (void)c, (void)d;
    return *stop ? 1 : 0;
}

int cli_stream(struct cli *c, const char *path, cli_sse_fn fn, void *ctx,
               volatile sig_atomic_t *stop)
{
    struct sse s = { .fn = fn, .ctx = ctx };
    char url[2048], errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *hdrs = NULL;
    CURL *curl = handle(c);
    CURLcode rc;

    if (!curl || c->url)
        return CLI_EXIT_FAIL;
    s.curl = curl;
    snprintf(url, sizeof(url), "http://pirackd%s", path);
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, c->socket);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_sse);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    /* No total timeout; a stream quiet for 3 heartbeats is dead. */
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 35L);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, sse_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, (void *)stop);
    hdrs = curl_slist_append(hdrs, "Accept: text/event-stream");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
    rc = curl_easy_perform(curl);
    curl_slist_free_all(hdrs);
    free(s.data);
    if (!s.status)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &s.status);
    if (s.status == 404)
        return CLI_STREAM_NONE;
    if (*stop || s.stop)
        return CLI_EXIT_OK;
    if (s.status != 200 || (rc != CURLE_OK && rc != CURLE_OPERATION_TIMEDOUT)) {
        if (s.status && s.status != 200)
            fprintf(stderr, "pirack: the event stream answered HTTP %ld\n", s.status);
        else
            fprintf(stderr, "pirack: the event stream: %s\n",
                    errbuf[0] ? errbuf : curl_easy_strerror(rc));
        return CLI_EXIT_FAIL;
    }
    return CLI_STREAM_ENDED;
}
