/* pirack reimage N [--image NAME] [--undo] [--no-wait]
 *
 * A new generation of the pi's root from its image (or NAME, which then
 * becomes its image), built while the Pi runs; then the Pi is powered
 * off, switched to it and powered on again.  --undo goes back to the
 * previous generation.  Follows GET /v1/slots/N/reimage until the
 * operation is done or failed; the exit code says which.
 *
 * pirack reimage N --wipe: every generation of the pi's root goes (the
 * Pi must be off), as releasing a pi does. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"

#define WAIT_LIMIT_S 3600

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static int follow(struct cli *c, int64_t slot, int64_t op)
{
    char path[64];
    snprintf(path, sizeof(path), "/v1/slots/%lld/reimage", (long long)slot);
    for (long waited = 0; waited < WAIT_LIMIT_S * 1000L; waited += 250) {
        struct cli_response r = { 0 };
        if (cli_request(c, "GET", path, NULL, &r) != 0)
            return CLI_EXIT_FAIL;
        const char *phase = cli_json_str(r.json, "phase");
        bool mine = cli_json_int(r.json, "op", 0) == op;
        if (mine && phase && (!strcmp(phase, "done") || !strcmp(phase, "failed"))) {
            int rc = strcmp(phase, "done") == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
            const char *result = cli_json_str(r.json, "result");
            char safe[300];
            cli_sanitize(result ? result : "-", safe, sizeof(safe));
            if (c->json)
                cli_print_raw(&r);
            else if (rc == CLI_EXIT_OK)
                printf("slot %lld reimaged: %s\n", (long long)slot, safe);
            else
                fprintf(stderr, "pirack: reimage of slot %lld failed: %s\n", (long long)slot, safe);
            cli_response_free(&r);
            return rc;
        }
        cli_response_free(&r);
        sleep_ms(250);
    }
    fprintf(stderr, "pirack: slot %lld still reimaging after %d s\n", (long long)slot,
            WAIT_LIMIT_S);
    return CLI_EXIT_FAIL;
}

static int run_reimage(struct cli *c, int argc, char **argv)
{
    int64_t slot = -1;
    const char *image = NULL;
    bool undo = false, wait = true, wipe = false;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--undo"))
            undo = true;
        else if (!strcmp(argv[i], "--wipe"))
            wipe = true;
        else if (!strcmp(argv[i], "--no-wait"))
            wait = false;
        else if (!strcmp(argv[i], "--image") && i + 1 < argc)
            image = argv[++i];
        else if (slot < 0 && cli_parse_uint(argv[i], 1, 999999, &slot) == 0)
            continue;
        else
            return cli_usage_error(&cli_cmd_reimage, "unexpected \"%.40s\"", argv[i]);
    }
    if (slot < 0)
        return cli_usage_error(&cli_cmd_reimage, "reimage needs a slot N");
    if (undo && image)
        return cli_usage_error(&cli_cmd_reimage, "--undo takes no --image");
    if (wipe) {
        char wpath[64];
        struct cli_response w = { 0 };
        if (undo || image)
            return cli_usage_error(&cli_cmd_reimage, "--wipe takes no other option");
        snprintf(wpath, sizeof(wpath), "/v1/slots/%lld/root", (long long)slot);
        int wrc = cli_request(c, "DELETE", wpath, NULL, &w);
        if (wrc == 0)
            printf("slot %lld: every generation of its root wiped\n", (long long)slot);
        cli_response_free(&w);
        return wrc;
    }
    json_t *body = json_object();
    if (image)
        json_object_set_new(body, "image", json_string(image));
    if (undo)
        json_object_set_new(body, "undo", json_true());
    char path[64];
    snprintf(path, sizeof(path), "/v1/slots/%lld/reimage", (long long)slot);
    struct cli_response r = { 0 };
    int rc = cli_request(c, "POST", path, body, &r);
    json_decref(body);
    if (rc != 0)
        return rc;
    int64_t op = cli_json_int(r.json, "op", 0);
    cli_response_free(&r);
    if (!wait) {
        printf("slot %lld: reimage %lld started\n", (long long)slot, (long long)op);
        return CLI_EXIT_OK;
    }
    return follow(c, slot, op);
}

const struct cli_command cli_cmd_reimage = {
    .name = "reimage",
    .args = "N [--image NAME] [--undo] [--no-wait] | N --wipe",
    .summary = "a new root for the pi (power off, switch, power on); --undo goes back",
    .run = run_reimage,
};
