/* pirack image import NAME FILE|DIR [--no-wait]
 * pirack image list
 * pirack image show NAME
 * pirack image remove NAME
 *
 * import hands pirackd the source's absolute path (pirackd reads it, on
 * the same host), then follows GET /v1/images/NAME until the image is
 * ready or the import failed; the exit code says which. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

#define WAIT_LIMIT_S 3600

/* An image name is a DNS label: checked here so it can go in a path. */
static bool name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
            return false;
    return true;
}

static char *fmt_bytes(int64_t b, char *out, size_t len)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    double v = (double)b;
    unsigned u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    snprintf(out, len, u ? "%.1f %s" : "%.0f %s", v, units[u]);
    return out;
}

static int show_list(const json_t *answer, void *ctx)
{
    static const char *const headers[] = { "NAME", "STATE", "SIZE", "MODELS", "IN USE", "SHA256" };
    struct cli_table *t = cli_table_new(6, headers);
    size_t i;
    json_t *img;
    (void)ctx;

    if (!t)
        return CLI_EXIT_FAIL;
    json_array_foreach(json_object_get(answer, "images"), i, img)
    {
        char size[32], used[16], sha[16];
        const char *state = cli_json_str(img, "state"), *s = cli_json_str(img, "sha256");
        bool ready = state && !strcmp(state, "ready");
        snprintf(used, sizeof(used), "%lld", (long long)cli_json_int(img, "in_use", 0));
        snprintf(sha, sizeof(sha), "%.12s", s ? s : "-");
        const char *models = cli_json_str(img, "models");
        const char *cells[] = { cli_json_str(img, "name"),
                                state,
                                ready ? fmt_bytes(cli_json_int(img, "bytes", 0), size, sizeof(size))
                                      : NULL,
                                ready ? (models && *models ? models : "?") : NULL,
                                ready ? used : NULL,
                                ready ? sha : NULL };
        cli_table_add(t, cells);
    }
    cli_table_print(t, stdout);
    cli_table_free(t);
    return CLI_EXIT_OK;
}

static int show_one(const json_t *img, void *ctx)
{
    static const char *const labels[] = { "Name", "State",  "SHA-256", "Size", "Models", "In use",
                                          "Kind", "Source", "Boot",    "Root", "Error" };
    char size[32], used[16];
    (void)ctx;
    snprintf(used, sizeof(used), "%lld pi(s)", (long long)cli_json_int(img, "in_use", 0));
    const char *values[] = { cli_json_str(img, "name"),
                             cli_json_str(img, "state"),
                             cli_json_str(img, "sha256"),
                             json_object_get(img, "bytes")
                                 ? fmt_bytes(cli_json_int(img, "bytes", 0), size, sizeof(size))
                                 : NULL,
                             cli_json_str(img, "models"),
                             json_object_get(img, "in_use") ? used : NULL,
                             cli_json_str(img, "kind"),
                             cli_json_str(img, "source"),
                             cli_json_str(img, "boot"),
                             cli_json_str(img, "root"),
                             cli_json_str(img, "error") };
    cli_print_fields(stdout, labels, values, 11);
    return CLI_EXIT_OK;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* Follows the import until it is ready or failed. */
static int wait_import(struct cli *c, const char *name)
{
    char path[128];
    snprintf(path, sizeof(path), "/v1/images/%s", name);
    for (long waited = 0; waited < WAIT_LIMIT_S * 1000L; waited += 250) {
        struct cli_response r = { 0 };
        if (cli_request(c, "GET", path, NULL, &r) != 0)
            return CLI_EXIT_FAIL;
        const char *state = cli_json_str(r.json, "state");
        if (state && strcmp(state, "importing") != 0) {
            int rc = strcmp(state, "ready") == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
            if (c->json) {
                cli_print_raw(&r);
            } else if (rc == CLI_EXIT_OK) {
                char size[32], safe[128];
                const char *models = cli_json_str(r.json, "models");
                printf("image %s ready: %s, models %s, sha256 %s\n", name,
                       fmt_bytes(cli_json_int(r.json, "bytes", 0), size, sizeof(size)),
                       models && *models ? cli_sanitize(models, safe, sizeof(safe)) : "unknown",
                       cli_json_str(r.json, "sha256"));
            } else {
                const char *e = cli_json_str(r.json, "error");
                char why[600];
                fprintf(stderr, "pirack: import of %s failed: %s\n", name,
                        cli_sanitize(e ? e : "-", why, sizeof(why)));
            }
            cli_response_free(&r);
            return rc;
        }
        cli_response_free(&r);
        sleep_ms(250);
    }
    fprintf(stderr, "pirack: image %s still importing after %d s\n", name, WAIT_LIMIT_S);
    return CLI_EXIT_FAIL;
}

static int run_import(struct cli *c, int argc, char **argv)
{
    bool wait = true;
    const char *name = NULL, *source = NULL;
    char abs[PATH_MAX];

    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--no-wait"))
            wait = false;
        else if (!name)
            name = argv[i];
        else if (!source)
            source = argv[i];
        else
            return cli_usage_error(&cli_cmd_image, "too many arguments");
    }
    if (!name || !source)
        return cli_usage_error(&cli_cmd_image, "import needs a NAME and a FILE or DIR");
    if (!name_ok(name))
        return cli_usage_error(&cli_cmd_image,
                               "an image name is a DNS label (a-z, 0-9, '-', at most 63)");
    if (!realpath(source, abs)) {
        perror(source);
        return CLI_EXIT_FAIL;
    }
    json_t *body = json_pack("{s:s, s:s}", "name", name, "source", abs);
    struct cli_response r = { 0 };
    int rc = cli_request(c, "POST", "/v1/images", body, &r);
    json_decref(body);
    if (rc != 0)
        return rc;
    cli_response_free(&r);
    if (!wait) {
        printf("importing %s from %s\n", name, abs);
        return CLI_EXIT_OK;
    }
    return wait_import(c, name);
}

static int show_removed(const json_t *answer, void *ctx)
{
    (void)ctx;
    printf("image %s removed\n", cli_json_str(answer, "removed"));
    return CLI_EXIT_OK;
}

static int run_image(struct cli *c, int argc, char **argv)
{
    char path[128];
    const char *sub = argc > 1 ? argv[1] : "";

    if (!strcmp(sub, "import"))
        return run_import(c, argc, argv);
    if (!strcmp(sub, "list")) {
        if (argc != 2)
            return cli_usage_error(&cli_cmd_image, "list takes no arguments");
        return cli_request_show(c, "GET", "/v1/images", NULL, show_list, NULL);
    }
    if (!strcmp(sub, "show") || !strcmp(sub, "remove")) {
        if (argc != 3)
            return cli_usage_error(&cli_cmd_image, "%s needs one NAME", sub);
        if (!name_ok(argv[2]))
            return cli_usage_error(&cli_cmd_image, "an image name is a DNS label");
        snprintf(path, sizeof(path), "/v1/images/%s", argv[2]);
        if (!strcmp(sub, "show"))
            return cli_request_show(c, "GET", path, NULL, show_one, NULL);
        return cli_request_show(c, "DELETE", path, NULL, show_removed, NULL);
    }
    return cli_usage_error(&cli_cmd_image, "image needs import, list, show or remove");
}

const struct cli_command cli_cmd_image = {
    .name = "image",
    .args = "import NAME FILE|DIR [--no-wait] | list | show NAME | remove NAME",
    .summary = "the rack's images: import a disk image, tarball or directory, list, remove",
    .run = run_image,
};
