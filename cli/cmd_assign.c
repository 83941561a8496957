/* pirack assign SLOT MAC [--serial S] [--model M] [--move]: ties a board
 * to a slot.  pirack unassign SLOT: takes it out. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char *board_field(const json_t *slot, const char *key)
{
    return cli_json_str(json_object_get(slot, "board"), key);
}

/* "slot 2: board b8:27:eb:00:00:01, serial 000000a1, model 3B" */
static int show_board(const json_t *slot, void *ctx)
{
    char mac[32], serial[32], model[32];
    const char *s = board_field(slot, "serial"), *m = board_field(slot, "model");

    printf("slot %lld: board %s", (long long)cli_json_int(slot, "slot", 0),
           cli_sanitize(board_field(slot, "mac") ?: "-", mac, sizeof(mac)));
    if (s)
        printf(", serial %s", cli_sanitize(s, serial, sizeof(serial)));
    if (m)
        printf(", model %s", cli_sanitize(m, model, sizeof(model)));
    putchar('\n');
    (void)ctx;
    return CLI_EXIT_OK;
}

/* The value of option name ("--serial") at argv[*i], as "--serial V" or
 * "--serial=V"; advances *i past it.  NULL when argv[*i] is not it. */
static const char *option_value(int argc, char **argv, int *i, const char *name, bool *missing)
{
    size_t n = strlen(name);
    const char *a = argv[*i];

    if (strncmp(a, name, n) != 0)
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

struct assign_args {
    const char *positional[2];
    int n_positional;
    const char *serial, *model;
    bool move;
};

/* Returns 0, or a usage error's exit code. */
static int parse_assign(int argc, char **argv, struct assign_args *a)
{
    bool missing = false, options = true;
    const char *v;

    for (int i = 1; i < argc; i++) {
        if (options && strcmp(argv[i], "--") == 0) {
            options = false;
        } else if (options && strcmp(argv[i], "--move") == 0) {
            a->move = true;
        } else if (options && (v = option_value(argc, argv, &i, "--serial", &missing))) {
            a->serial = v;
        } else if (options && (v = option_value(argc, argv, &i, "--model", &missing))) {
            a->model = v;
        } else if (missing) {
            return cli_usage_error(&cli_cmd_assign, "%s needs a value", argv[i]);
        } else if (options && argv[i][0] == '-' && argv[i][1] != '\0') {
            char shown[64];
            return cli_usage_error(&cli_cmd_assign, "unknown option \"%s\"",
                                   cli_sanitize(argv[i], shown, sizeof(shown)));
        } else if (a->n_positional == 2) {
            return cli_usage_error(&cli_cmd_assign, "too many arguments");
        } else {
            a->positional[a->n_positional++] = argv[i];
        }
    }
    if (a->n_positional != 2)
        return cli_usage_error(&cli_cmd_assign, "assign takes a slot number and a MAC");
    return 0;
}

/* Sends method to /v1/slots/N/board (body stolen) and shows the slot it
 * answers with (cli_request_show).  Returns an exit code. */
static int board_request(struct cli *c, const char *method, int64_t slot, json_t *body,
                         cli_show_fn show, void *ctx)
{
    char path[64];
    int rc;

    snprintf(path, sizeof(path), "/v1/slots/%lld/board", (long long)slot);
    rc = cli_request_show(c, method, path, body, show, ctx);
    json_decref(body);
    return rc;
}

static int run_assign(struct cli *c, int argc, char **argv)
{
    struct assign_args a = { .move = false };
    int64_t slot;
    json_t *body;
    int rc = parse_assign(argc, argv, &a);

    if (rc)
        return rc;
    if (cli_parse_uint(a.positional[0], 0, 999999, &slot) < 0) {
        char shown[64];
        return cli_usage_error(&cli_cmd_assign, "\"%s\" is not a slot number",
                               cli_sanitize(a.positional[0], shown, sizeof(shown)));
    }
    /* The daemon checks the MAC, serial and model and says what is wrong. */
    body = json_pack("{s:s, s:s*, s:s*, s:b}", "mac", a.positional[1], "serial", a.serial, "model",
                     a.model, "move", a.move);
    if (!body) {
        fprintf(stderr, "pirack: out of memory\n");
        return CLI_EXIT_FAIL;
    }
    return board_request(c, "POST", slot, body, show_board, NULL);
}

const struct cli_command cli_cmd_assign = {
    .name = "assign",
    .args = "SLOT MAC [--serial S] [--model M] [--move]",
    .summary = "put a board (by its MAC) in a slot",
    .help = "  --serial S  the board's serial (8 to 16 hex digits)\n"
            "  --model M   the board's model, e.g. 3B or 4B\n"
            "  --move      take the board out of the slot it is in now\n",
    .run = run_assign,
};

/* ---- unassign ---- */

/* The MAC of the board the slot holds now, for the message ("" when
 * none).  A slot that cannot be read is reported here, once. */
static int current_mac(struct cli *c, int64_t slot, char *mac, size_t len)
{
    struct cli_response r;
    char path[64];
    int rc;

    snprintf(path, sizeof(path), "/v1/slots/%lld", (long long)slot);
    rc = cli_request(c, "GET", path, NULL, &r);
    if (rc)
        return rc;
    cli_sanitize(board_field(r.json, "mac") ?: "", mac, len);
    cli_response_free(&r);
    return 0;
}

struct taken_out {
    int64_t slot;
    char mac[32]; /* "" when unknown */
};

static int show_taken_out(const json_t *slot, void *ctx)
{
    const struct taken_out *t = ctx;

    (void)slot;
    printf("slot %lld: board %s taken out\n", (long long)t->slot, t->mac[0] ? t->mac : "-");
    return CLI_EXIT_OK;
}

static int run_unassign(struct cli *c, int argc, char **argv)
{
    struct taken_out t = { .mac = "" };
    int rc;

    if (argc != 2)
        return cli_usage_error(&cli_cmd_unassign, "unassign takes one slot number");
    if (cli_parse_uint(argv[1], 0, 999999, &t.slot) < 0) {
        char shown[64];
        return cli_usage_error(&cli_cmd_unassign, "\"%s\" is not a slot number",
                               cli_sanitize(argv[1], shown, sizeof(shown)));
    }
    if (!c->json && (rc = current_mac(c, t.slot, t.mac, sizeof(t.mac))) != 0)
        return rc;
    return board_request(c, "DELETE", t.slot, NULL, show_taken_out, &t);
}

const struct cli_command cli_cmd_unassign = {
    .name = "unassign",
    .args = "SLOT",
    .summary = "take the board out of a slot",
    .run = run_unassign,
};
