/* pirack: the command line client of pirackd's API.
 *
 * main.c holds the command table; each command lives in its own
 * cmd_NAME.c and exports one struct cli_command.  http.c talks to the API
 * over its Unix socket; table.c and format.c print for people.
 *
 * Exit codes: 0 done, 1 the API (or the way to it) said no, 2 usage. */
#ifndef PIRACK_CLI_H
#define PIRACK_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

#define CLI_DEFAULT_SOCKET "/run/pirack/api.sock"

struct cli {
    const char *socket; /* --socket, $PIRACK_SOCKET, or the default */
    bool json;          /* --json: print the API's JSON */
    bool quiet;         /* -q: nothing on standard output; errors still on stderr */
    void *curl;         /* one CURL handle, reused (keep-alive) */
    /* The customer API instead of the socket: --url or $PIRACK_URL, with
     * --key-id or $PIRACK_KEY_ID and $PIRACK_SECRET. */
    const char *url;
    const char *key_id;
    const char *secret;
    char bearer[128]; /* "Authorization: Bearer ..." once logged in */
};

struct cli_command {
    const char *name;
    const char *args; /* for the usage line: "N", "[--slot N] ..." */
    const char *summary;
    const char *help; /* for pirack NAME --help: the options, or NULL */
    /* argv[0] is the command's name; returns an exit code. */
    int (*run)(struct cli *c, int argc, char **argv);
};

/* ---- http.c ---- */

struct cli_response {
    long status;
    char *body; /* NUL-terminated */
    size_t len;
    json_t *json; /* the parsed body */
};

/* Sends method path (with its query) and body (borrowed, NULL for none).
 * On a 2xx answer with a JSON body returns 0 and fills out.  Otherwise
 * prints why to stderr ("pirack: ERROR: DETAIL" from the API, or why the
 * socket could not be reached) and returns CLI_EXIT_FAIL; out is then
 * empty. */
int cli_request(struct cli *c, const char *method, const char *path, json_t *body,
                struct cli_response *out);
void cli_response_free(struct cli_response *r);
/* Writes the API's JSON exactly as it came (one line, newline-ended). */
void cli_print_raw(const struct cli_response *r);

/* Shows an answer to people; returns an exit code. */
typedef int (*cli_show_fn)(const json_t *answer, void *ctx);
/* Sends the request (as cli_request) and shows the answer: with --json
 * the API's JSON as it came (cli_print_raw), otherwise through show(answer,
 * ctx).  Returns show's exit code, CLI_EXIT_OK after --json, or
 * cli_request's failure. */
int cli_request_show(struct cli *c, const char *method, const char *path, json_t *body,
                     cli_show_fn show, void *ctx);

/* Follows a server-sent event stream on the socket (GET path): fn(id,
 * data, ctx) for each event, until fn returns non-zero, *stop is set (a
 * signal), or the stream ends.  CLI_EXIT_OK when stopped,
 * CLI_STREAM_ENDED when the server ended it (reconnect), CLI_STREAM_NONE
 * when the server has no such route (an older pirackd), CLI_EXIT_FAIL
 * after saying why. */
#define CLI_STREAM_ENDED 100
#define CLI_STREAM_NONE 101
typedef int (*cli_sse_fn)(const char *id, const char *data, void *ctx);
int cli_stream(struct cli *c, const char *path, cli_sse_fn fn, void *ctx,
               volatile sig_atomic_t *stop);

/* ---- customer.c: pirack as a customer's client ---- */
/* Logs in (POST URL/login) when there is no token yet; CLI_EXIT_OK or
 * CLI_EXIT_FAIL after saying why. */
int cli_customer_login(struct cli *c);
int cli_customer_show(struct cli *c, int argc, char **argv);
int cli_customer_power(struct cli *c, int argc, char **argv);
/* "/pi/servers/NAME" + suffix into path, or a usage error of cmd when NAME
 * is not a server name. */
int cli_server_path(const struct cli_command *cmd, const char *name, char *path, size_t len,
                    const char *suffix);
/* The usage error of a customer command run without PIRACK_URL. */
int cli_need_url(const struct cli_command *cmd);
/* SSH keys from FILE ("-": stdin), at most 16383 bytes, trailing newlines
 * cut; NULL after saying why.  Free it. */
char *cli_read_keys(const char *file);

/* ---- main.c ---- */

/* pirack NAME --help: the command's usage, summary and options. */
void cli_command_help(const struct cli_command *cmd, FILE *out);
/* Prints "pirack: MESSAGE" and the command's usage to stderr; returns
 * CLI_EXIT_USAGE. */
int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Parses a whole number in [min, max]; -1 when s is not one. */
int cli_parse_uint(const char *s, int64_t min, int64_t max, int64_t *out);

/* ---- table.c ---- */

struct cli_table;

/* A table of ncols columns; headers (ncols strings) are copied. */
struct cli_table *cli_table_new(size_t ncols, const char *const *headers);
void cli_table_free(struct cli_table *t); /* accepts NULL */
/* Adds a row of ncols strings (copied; NULL prints as "-").  0 or -ENOMEM. */
int cli_table_add(struct cli_table *t, const char *const *cells);
/* Aligned columns, two spaces apart; control characters in cells print as
 * '?', so that text from the rack cannot drive the terminal. */
void cli_table_print(const struct cli_table *t, FILE *out);
/* "Label:  value" lines, values aligned.  labels and values: n each. */
void cli_print_fields(FILE *out, const char *const *labels, const char *const *values, size_t n);

/* Copies s with control characters as '?'.  Returns out. */
char *cli_sanitize(const char *s, char *out, size_t outlen);

/* ---- format.c ---- */

/* Local time "2026-11-26 12:54:43" of unix milliseconds; "-" for 0. */
char *cli_fmt_time(int64_t unix_ms, char *out, size_t outlen);
/* "3d 4h", "2h 5m", "4m 10s", "9s". */
char *cli_fmt_duration(int64_t seconds, char *out, size_t outlen);
/* The string at key of obj, or NULL (also for JSON null). */
const char *cli_json_str(const json_t *obj, const char *key);
/* The integer at key of obj, or dflt. */
int64_t cli_json_int(const json_t *obj, const char *key, int64_t dflt);

/* ---- the commands (cmd_*.c) ---- */

extern const struct cli_command cli_cmd_status;
extern const struct cli_command cli_cmd_slots;
extern const struct cli_command cli_cmd_show;
extern const struct cli_command cli_cmd_events;
extern const struct cli_command cli_cmd_routes;
extern const struct cli_command cli_cmd_trace;
extern const struct cli_command cli_cmd_assign;
extern const struct cli_command cli_cmd_unassign;
extern const struct cli_command cli_cmd_set;
extern const struct cli_command cli_cmd_power;
extern const struct cli_command cli_cmd_customer;
extern const struct cli_command cli_cmd_key;
extern const struct cli_command cli_cmd_pis;
extern const struct cli_command cli_cmd_reboot;
extern const struct cli_command cli_cmd_keys;
extern const struct cli_command cli_cmd_provision;
extern const struct cli_command cli_cmd_reinstall;
extern const struct cli_command cli_cmd_unprovision;
extern const struct cli_command cli_cmd_munin;
extern const struct cli_command cli_cmd_image;
extern const struct cli_command cli_cmd_reimage;
extern const struct cli_command cli_cmd_bringup;
extern const struct cli_command cli_cmd_release;

#endif
