/* pirack customer add|list|remove NAME and pirack key create|list|revoke:
 * the operator's side of tenancy (/v1/customers, /v1/keys).  A key's
 * secret is printed once, by key create: pirackd keeps only its hash. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int show_customers(const json_t *answer, void *ctx)
{
    static const char *const headers[] = { "CUSTOMER", "PIS", "KEYS", "CREATED" };
    const json_t *list = json_object_get(answer, "customers");
    struct cli_table *t = cli_table_new(4, headers);
    size_t i;
    json_t *cu;

    (void)ctx;
    if (!t)
        return CLI_EXIT_FAIL;
    json_array_foreach(list, i, cu)
    {
        char pis[16], keys[16], created[32];
        snprintf(pis, sizeof(pis), "%lld", (long long)cli_json_int(cu, "pis", 0));
        snprintf(keys, sizeof(keys), "%lld", (long long)cli_json_int(cu, "keys", 0));
        cli_fmt_time(cli_json_int(cu, "created_ms", 0), created, sizeof(created));
        const char *cells[] = { cli_json_str(cu, "name"), pis, keys, created };
        cli_table_add(t, cells);
    }
    cli_table_print(t, stdout);
    cli_table_free(t);
    return CLI_EXIT_OK;
}

static int show_nothing(const json_t *answer, void *ctx)
{
    (void)answer;
    (void)ctx;
    return CLI_EXIT_OK;
}

static int run_customer(struct cli *c, int argc, char **argv)
{
    char path[128], shown[64];

    if (argc == 2 && strcmp(argv[1], "list") == 0)
        return cli_request_show(c, "GET", "/v1/customers", NULL, show_customers, NULL);
    if (argc == 3 && strcmp(argv[1], "add") == 0) {
        json_t *body = json_pack("{s:s}", "name", argv[2]);
        int rc = body ? cli_request_show(c, "POST", "/v1/customers", body, show_nothing, NULL)
                      : CLI_EXIT_FAIL;
        json_decref(body);
        return rc;
    }
    if (argc == 3 && strcmp(argv[1], "remove") == 0) {
        if (strlen(argv[2]) > 63 || strpbrk(argv[2], "/?#%"))
            return cli_usage_error(&cli_cmd_customer, "\"%s\" is not a customer name",
                                   cli_sanitize(argv[2], shown, sizeof(shown)));
        snprintf(path, sizeof(path), "/v1/customers/%s", argv[2]);
        return cli_request_show(c, "DELETE", path, NULL, show_nothing, NULL);
    }
    return cli_usage_error(&cli_cmd_customer, "customer takes add NAME, list or remove NAME");
}

const struct cli_command cli_cmd_customer = {
    .name = "customer",
    .args = "add NAME | list | remove NAME",
    .summary = "the customers who may hold pis",
    .run = run_customer,
};

/* "90d", "12h", "30m", "45s" or plain seconds; -1 when not one. */
static int64_t parse_duration(const char *s)
{
    static const struct {
        char unit;
        int64_t seconds;
    } units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 604800 } };
    char digits[24];
    size_t n = strlen(s);
    int64_t mult = 1, v;

    if (n == 0 || n >= sizeof(digits))
        return -1;
    memcpy(digits, s, n + 1);
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (digits[n - 1] == units[i].unit) {
            mult = units[i].seconds;
            digits[--n] = '\0';
        }
    if (cli_parse_uint(digits, 1, INT64_MAX / 604800, &v) < 0)
        return -1;
    return v * mult;
}

static void fmt_expiry(const json_t *k, char *out, size_t len)
{
    if (cli_json_int(k, "revoked_ms", 0)) {
        snprintf(out, len, "revoked");
        return;
    }
    if (!cli_json_int(k, "expires_ms", 0)) {
        snprintf(out, len, "never");
        return;
    }
    cli_fmt_time(cli_json_int(k, "expires_ms", 0), out, len);
}

static void fmt_pis(const json_t *k, char *out, size_t len)
{
    const json_t *pis = json_object_get(k, "pis");
    size_t i, used = 0;
    json_t *p;

    snprintf(out, len, "all");
    json_array_foreach(pis, i, p)
    {
        int n = snprintf(out + used, len - used, "%s%s", i ? "," : "", json_string_value(p));
        if (n < 0 || (size_t)n >= len - used)
            break;
        used += (size_t)n;
    }
}

static int show_keys(const json_t *answer, void *ctx)
{
    static const char *const headers[] = { "KEY", "CUSTOMER", "SCOPES", "PIS", "EXPIRES" };
    const json_t *list = json_object_get(answer, "keys");
    struct cli_table *t = cli_table_new(5, headers);
    size_t i;
    json_t *k;

    (void)ctx;
    if (!t)
        return CLI_EXIT_FAIL;
    json_array_foreach(list, i, k)
    {
        char expires[32], pis[256];
        fmt_expiry(k, expires, sizeof(expires));
        fmt_pis(k, pis, sizeof(pis));
        const char *cells[] = { cli_json_str(k, "id"), cli_json_str(k, "customer"),
                                cli_json_str(k, "scopes"), pis, expires };
        cli_table_add(t, cells);
    }
    cli_table_print(t, stdout);
    cli_table_free(t);
    return CLI_EXIT_OK;
}

static int show_created(const json_t *k, void *ctx)
{
    char expires[32], pis[256];
    const char *labels[] = { "key", "secret", "customer", "scopes", "pis", "expires" };

    (void)ctx;
    fmt_expiry(k, expires, sizeof(expires));
    fmt_pis(k, pis, sizeof(pis));
    const char *values[] = { cli_json_str(k, "id"),
                             cli_json_str(k, "secret"),
                             cli_json_str(k, "customer"),
                             cli_json_str(k, "scopes"),
                             pis,
                             expires };
    cli_print_fields(stdout, labels, values, 6);
    fprintf(stderr, "pirack: the secret is shown only now; pirackd keeps only its hash\n");
    return CLI_EXIT_OK;
}

static int show_keys_one(const json_t *k, void *ctx)
{
    (void)ctx;
    printf("revoked %s (customer %s)\n", cli_json_str(k, "id"), cli_json_str(k, "customer"));
    return CLI_EXIT_OK;
}

/* key create --customer C [--scope S] [--expires D] [--pis a,b] */
static int key_create(struct cli *c, int argc, char **argv)
{
    json_t *body = json_object();
    char shown[64];
    int rc;

    if (!body)
        return CLI_EXIT_FAIL;
    for (int i = 2; i < argc; i++) {
        const char *opt = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!val) {
            json_decref(body);
            return cli_usage_error(&cli_cmd_key, "%s needs a value",
                                   cli_sanitize(opt, shown, sizeof(shown)));
        }
        i++;
        if (strcmp(opt, "--customer") == 0) {
            json_object_set_new(body, "customer", json_string(val));
        } else if (strcmp(opt, "--scope") == 0 || strcmp(opt, "--scopes") == 0) {
            json_object_set_new(body, "scopes", json_string(val));
        } else if (strcmp(opt, "--expires") == 0) {
            int64_t s = parse_duration(val);
            if (s < 0) {
                json_decref(body);
                return cli_usage_error(&cli_cmd_key,
                                       "\"%s\" is not a duration (90d, 12h, 30m, 45s)",
                                       cli_sanitize(val, shown, sizeof(shown)));
            }
            json_object_set_new(body, "expires_in", json_integer(s));
        } else if (strcmp(opt, "--pis") == 0) {
            json_t *pis = json_array();
            for (const char *p = val; pis && *p;) {
                size_t n = strcspn(p, ",");
                json_array_append_new(pis, json_stringn(p, n));
                p += n + (p[n] == ',');
            }
            json_object_set_new(body, "pis", pis);
        } else {
            json_decref(body);
            return cli_usage_error(&cli_cmd_key, "unknown option \"%s\"",
                                   cli_sanitize(opt, shown, sizeof(shown)));
        }
    }
    if (!json_object_get(body, "customer")) {
        json_decref(body);
        return cli_usage_error(&cli_cmd_key, "key create needs --customer");
    }
    rc = cli_request_show(c, "POST", "/v1/keys", body, show_created, NULL);
    json_decref(body);
    return rc;
}

static int run_key(struct cli *c, int argc, char **argv)
{
    char path[128], shown[64];

    if (argc >= 2 && strcmp(argv[1], "create") == 0)
        return key_create(c, argc, argv);
    if (argc == 2 && strcmp(argv[1], "list") == 0)
        return cli_request_show(c, "GET", "/v1/keys", NULL, show_keys, NULL);
    if (argc == 4 && strcmp(argv[1], "list") == 0 && strcmp(argv[2], "--customer") == 0) {
        if (strlen(argv[3]) > 63 || strpbrk(argv[3], "&?#%/ "))
            return cli_usage_error(&cli_cmd_key, "\"%s\" is not a customer name",
                                   cli_sanitize(argv[3], shown, sizeof(shown)));
        snprintf(path, sizeof(path), "/v1/keys?customer=%s", argv[3]);
        return cli_request_show(c, "GET", path, NULL, show_keys, NULL);
    }
    if (argc == 3 && strcmp(argv[1], "revoke") == 0) {
        if (strlen(argv[2]) > 40 || strpbrk(argv[2], "/?#% "))
            return cli_usage_error(&cli_cmd_key, "\"%s\" is not a key id",
                                   cli_sanitize(argv[2], shown, sizeof(shown)));
        snprintf(path, sizeof(path), "/v1/keys/%s", argv[2]);
        return cli_request_show(c, "DELETE", path, NULL, show_keys_one, NULL);
    }
    return cli_usage_error(&cli_cmd_key, "key takes create, list or revoke");
}

const struct cli_command cli_cmd_key = {
    .name = "key",
    .args = "create --customer C [--scope read,power,provision,keys] [--expires 90d] "
            "[--pis a,b] | list [--customer C] | revoke ID",
    .summary = "customers' API keys",
    .run = run_key,
};
