/* A customer's own servers, through the customer API (--url or
 * $PIRACK_URL, docs/api.md):
 *
 *   pirack provision NAME --model 3|4 [--image IMAGE] [--ssh-key FILE] [--no-wait]
 *       POST /pi/servers/NAME: a free Pi of that model becomes the
 *       server, with a root from IMAGE, and is powered on
 *   pirack reinstall NAME [--image IMAGE] [--no-wait]
 *       POST /pi/servers/NAME/reinstall: a fresh root, then a boot
 *   pirack unprovision NAME --yes
 *       DELETE /pi/servers/NAME: powered off, its root wiped, the Pi
 *       handed back
 *
 * provision and reinstall follow GET /pi/queue/NAME until the server
 * runs ("live", exit 0) or failed (exit 1), printing each new step on
 * standard error; --no-wait returns once the API took the request. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

#define FOLLOW_LIMIT_S 3600
#define FOLLOW_PERIOD_MS 500

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* How a queue answer ends the wait: 0 not yet, 1 live, -1 failed. */
static int queue_outcome(const json_t *answer)
{
    const char *status = cli_json_str(answer, "status");
    const json_t *reinstall = json_object_get(answer, "reinstall");
    const char *phase = cli_json_str(reinstall, "phase");

    if (!status || strncmp(status, "provisioning:", 13) == 0)
        return status && strstr(status, "the boot failed") ? -1 : 0;
    if (phase && strcmp(phase, "failed") == 0)
        return -1;
    if (strcmp(status, "live") == 0)
        return 1;
    return strcmp(status, "failed") == 0 ? -1 : 0;
}

static void say_failure(const char *name, const json_t *answer)
{
    const json_t *reinstall = json_object_get(answer, "reinstall");
    const char *why =
        cli_json_str(reinstall, "phase") && strcmp(cli_json_str(reinstall, "phase"), "failed") == 0
            ? cli_json_str(reinstall, "result")
            : cli_json_str(answer, "status");
    char safe[300];

    fprintf(stderr, "pirack: %s failed: %s\n", name,
            cli_sanitize(why ? why : "-", safe, sizeof(safe)));
}

static int follow_queue(struct cli *c, const char *name)
{
    char path[128], last[160] = "";

    snprintf(path, sizeof(path), "/pi/queue/%s", name);
    for (long waited = 0; waited < FOLLOW_LIMIT_S * 1000L; waited += FOLLOW_PERIOD_MS) {
        struct cli_response r = { 0 };
        if (cli_request(c, "GET", path, NULL, &r) != 0)
            return CLI_EXIT_FAIL;
        int outcome = queue_outcome(r.json);
        const char *status = cli_json_str(r.json, "status");
        if (outcome == 0 && status && strcmp(status, last) != 0 && !c->quiet) {
            char safe[160];
            fprintf(stderr, "%s: %s\n", name, cli_sanitize(status, safe, sizeof(safe)));
            snprintf(last, sizeof(last), "%s", status);
        }
        if (outcome != 0) {
            if (c->json)
                cli_print_raw(&r);
            else if (outcome > 0)
                printf("%s: live\n", name);
            else
                say_failure(name, r.json);
            cli_response_free(&r);
            return outcome > 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
        }
        cli_response_free(&r);
        sleep_ms(FOLLOW_PERIOD_MS);
    }
    fprintf(stderr, "pirack: %s still provisioning after %d s\n", name, FOLLOW_LIMIT_S);
    return CLI_EXIT_FAIL;
}

/* POSTs body to path; on 202 follows the queue unless told not to. */
static int start_and_follow(struct cli *c, const char *name, const char *path, json_t *body,
                            bool wait, const char *started)
{
    struct cli_response r = { 0 };
    int rc = cli_request(c, "POST", path, body, &r);

    json_decref(body);
    if (rc != 0)
        return rc;
    if (!wait) {
        if (c->json)
            cli_print_raw(&r);
        else
            printf("%s: %s\n", name, started);
        cli_response_free(&r);
        return CLI_EXIT_OK;
    }
    cli_response_free(&r);
    return follow_queue(c, name);
}

static int run_provision(struct cli *c, int argc, char **argv)
{
    const char *name = NULL, *image = NULL, *keys_file = NULL;
    int64_t model = 0;
    bool wait = true;
    char path[128];

    if (!c->url)
        return cli_need_url(&cli_cmd_provision);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--no-wait"))
            wait = false;
        else if (!strcmp(argv[i], "--model") && i + 1 < argc) {
            if (cli_parse_uint(argv[++i], 3, 4, &model) < 0)
                return cli_usage_error(&cli_cmd_provision, "--model is 3 or 4");
        } else if (!strcmp(argv[i], "--image") && i + 1 < argc)
            image = argv[++i];
        else if (!strcmp(argv[i], "--ssh-key") && i + 1 < argc)
            keys_file = argv[++i];
        else if (!name && argv[i][0] != '-')
            name = argv[i];
        else
            return cli_usage_error(&cli_cmd_provision, "unexpected \"%.40s\"", argv[i]);
    }
    if (!name || !model)
        return cli_usage_error(&cli_cmd_provision, "provision needs a name and --model 3|4");
    int rc = cli_server_path(&cli_cmd_provision, name, path, sizeof(path), "");
    if (rc)
        return rc;
    json_t *body = json_pack("{s:I}", "model", (json_int_t)model);
    if (image)
        json_object_set_new(body, "os_image", json_string(image));
    if (keys_file) {
        char *keys = cli_read_keys(keys_file);
        json_t *k = keys ? json_string(keys) : NULL;
        free(keys);
        if (!k) {
            if (keys)
                fprintf(stderr, "pirack: %s is not UTF-8 text\n", keys_file);
            json_decref(body);
            return CLI_EXIT_FAIL;
        }
        json_object_set_new(body, "ssh_key", k);
    }
    return start_and_follow(c, name, path, body, wait, "provisioning");
}

const struct cli_command cli_cmd_provision = {
    .name = "provision",
    .args = "NAME --model 3|4 [--image IMAGE] [--ssh-key FILE] [--no-wait]",
    .summary = "(customer API) a new server on a free Pi; waits until it runs",
    .run = run_provision,
};

static int run_reinstall(struct cli *c, int argc, char **argv)
{
    const char *name = NULL, *image = NULL;
    bool wait = true;
    char path[128];

    if (!c->url)
        return cli_need_url(&cli_cmd_reinstall);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--no-wait"))
            wait = false;
        else if (!strcmp(argv[i], "--image") && i + 1 < argc)
            image = argv[++i];
        else if (!name && argv[i][0] != '-')
            name = argv[i];
        else
            return cli_usage_error(&cli_cmd_reinstall, "unexpected \"%.40s\"", argv[i]);
    }
    if (!name)
        return cli_usage_error(&cli_cmd_reinstall, "reinstall needs a server name");
    int rc = cli_server_path(&cli_cmd_reinstall, name, path, sizeof(path), "/reinstall");
    if (rc)
        return rc;
    json_t *body = json_object();
    if (image)
        json_object_set_new(body, "os_image", json_string(image));
    return start_and_follow(c, name, path, body, wait, "reinstalling");
}

const struct cli_command cli_cmd_reinstall = {
    .name = "reinstall",
    .args = "NAME [--image IMAGE] [--no-wait]",
    .summary = "(customer API) a fresh root for your server, then a boot",
    .run = run_reinstall,
};

static int show_unprovisioned(const json_t *answer, void *ctx)
{
    (void)answer;
    printf("%s: unprovisioned\n", (const char *)ctx);
    return CLI_EXIT_OK;
}

static int run_unprovision(struct cli *c, int argc, char **argv)
{
    char path[128];

    if (!c->url)
        return cli_need_url(&cli_cmd_unprovision);
    if (argc != 3 || strcmp(argv[2], "--yes") != 0)
        return cli_usage_error(&cli_cmd_unprovision,
                               "unprovision takes a server name and --yes: its root is wiped");
    int rc = cli_server_path(&cli_cmd_unprovision, argv[1], path, sizeof(path), "");
    return rc ? rc : cli_request_show(c, "DELETE", path, NULL, show_unprovisioned, argv[1]);
}

const struct cli_command cli_cmd_unprovision = {
    .name = "unprovision",
    .args = "NAME --yes",
    .summary = "(customer API) give your server back: powered off, its root wiped",
    .run = run_unprovision,
};
