/* http servers: the customer API's /pi/ routes, in the shape of Mythic
 * Beasts' Pi provisioning API, so that its clients work against a rack.
 *
 *   GET    /pi/servers                  read       the customer's servers
 *   GET    /pi/servers/{name}           read       one server object
 *   POST   /pi/servers/{name}           provision  a free slot of the model
 *   DELETE /pi/servers/{name}           provision  power off, give back
 *   GET    /pi/queue/{name}             read       provisioning status
 *   PUT    /pi/servers/{name}/power     power      {"power": bool}
 *   POST   /pi/servers/{name}/reboot    power      a power cycle
 *   GET    /pi/servers/{name}/ssh-key   keys       {"ssh_key"}
 *   PUT    /pi/servers/{name}/ssh-key   keys       whole-set replace
 *   GET    /pi/models                   read
 *   GET    /pi/images/{model}           read
 *
 * A server is a pi the customer owns (the store's tenant filter).  A pi
 * of another customer, one that does not exist and one the key is not
 * allowed to touch are the same 404, so names cannot be probed. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pirack/api.h"
#include "pirack/dhcp.h"
#include "pirack/poe.h"
#include "pirack/store.h"
#include "daemon/api/api_internal.h"
#include "daemon/http/http.h"
#include "daemon/health/service.h"
#include "daemon/power/service.h"

struct model_spec {
    enum pr_pi_model board;
    int model;
    const char *full;
    int memory, cpu_speed, nic_speed;
};

/* What each board the rack can hold offers; disk sizes come with images. */
static const struct model_spec specs[] = {
    { PR_PI_3B, 3, "3B", 1024, 1200, 100 },
    { PR_PI_3BPLUS, 3, "3B+", 1024, 1400, 1000 },
    { PR_PI_4, 4, "4B", 4096, 1500, 1000 },
};
#define N_SPECS (sizeof(specs) / sizeof(specs[0]))

/* The spec of a board's model as the store has it ("pi3b", "3B", ...). */
static const struct model_spec *spec_of(const char *board)
{
    enum pr_pi_model m = pr_pi_model_parse(board);

    for (size_t i = 0; i < N_SPECS; i++)
        if (specs[i].board == m)
            return &specs[i];
    return NULL;
}

/* What the boot timeline's state says to a customer; NULL when not booting. */
static const char *boot_progress(const char *state)
{
    static const struct {
        const char *state, *text;
    } map[] = {
        { "powered", "Waiting for initial DHCP" },
        { "dhcp", "Loading the firmware over TFTP" },
        { "firmware", "Loading the kernel" },
        { "kernel", "Waiting for the operating system" },
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(map[i].state, state) == 0)
            return map[i].text;
    return NULL;
}

static const char *status_of(const struct pr_slot_row *row)
{
    if (boot_progress(row->state))
        return "booting";
    if (strcmp(row->state, "booted") == 0 || strcmp(row->state, "up") == 0)
        return "live";
    if (strcmp(row->state, "failed") == 0 || strcmp(row->state, "quarantined") == 0 ||
        strcmp(row->state, "unhealthy") == 0)
        return "failed";
    return strcmp(row->power, "on") == 0 ? "powered on" : "powered off";
}

/* The server's newest reinstall (or reimage by ops), so that a client can
 * follow one to its end: null when it never had one. */
static json_t *last_reinstall(struct pr_daemon *d, unsigned slot)
{
    struct pr_reimage_op op;

    if (pr_store_reimage_last(d->store, slot, &op) < 0)
        return json_null();
    return json_pack("{s:I, s:s, s:s, s:s}", "operation", (json_int_t)op.id, "os_image", op.image,
                     "phase", op.phase, "result", op.result);
}

bool pr_http_reinstalling(struct pr_daemon *d, unsigned slot, char *phase, size_t len)
{
    struct pr_reimage_op op;

    if (pr_store_reimage_last(d->store, slot, &op) < 0 || op.finished_ms)
        return false;
    snprintf(phase, len, "%s", op.phase);
    return true;
}

json_t *pr_http_server_json(struct pr_daemon *d, const struct pr_slot_row *row)
{
    const struct model_spec *m = spec_of(row->model);
    const char *progress = boot_progress(row->state);
    char keys[PR_SSH_KEYS_MAX] = "";

    pr_store_get_ssh_keys(d->store, row->owner, row->name, keys, sizeof(keys));
    json_t *o = json_pack(
        "{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:b, s:o, s:s, s:s, s:i, s:b, "
        "s:s}",
        "status", status_of(row), "model", m ? json_integer(m->model) : json_null(), "model_full",
        m ? json_string(m->full) : json_null(), "memory", m ? json_integer(m->memory) : json_null(),
        "cpu_speed", m ? json_integer(m->cpu_speed) : json_null(), "nic_speed",
        m ? json_integer(m->nic_speed) : json_null(), "disk_size", json_null(), "power",
        strcmp(row->power, "on") == 0, "is_booting", progress != NULL, "boot_progress",
        progress ? json_string(progress) : json_null(), "ip", row->v6_pi, "ip_routed",
        row->v6_prefix, "ssh_port", (int)row->ssh_port, "initialised_keys", keys[0] != '\0',
        "location", d->plan.rack);
    if (o) {
        json_object_set_new(o, "image", row->image[0] ? json_string(row->image) : json_null());
        /* whether pirack power-cycles, reimages and quarantines it on failure */
        json_object_set_new(o, "remediation",
                            json_boolean(pr_health_remediation_allowed(d, row->policy)));
        json_object_set_new(o, "reinstall", last_reinstall(d, row->slot));
    }
    return o;
}

/* The customer's pi {name} that this key may touch, into row; else
 * answers 404 (or 400 for a name that cannot be one) and returns -1. */
static int find_server(struct pr_api_req *req, struct pr_daemon *d, const struct pr_principal *p,
                       struct pr_slot_row *row)
{
    const char *name = pr_api_req_param(req, "name");
    if (pr_http_server_name_bad(req, name))
        return -1;
    int err = pr_principal_allows_pi(p, name)
                  ? pr_store_get_customer_pi(d->store, p->customer, name, row)
                  : -ENOENT;
    if (err == -ENOENT) {
        pr_http_customer_error(req, 404, "no server called %s", name);
        return -1;
    }
    if (err < 0) {
        pr_http_customer_error(req, 500, "the store failed: %s", pr_store_errmsg(d->store));
        return -1;
    }
    return 0;
}

struct list_ctx {
    const struct pr_principal *p;
    json_t *servers;
};

static int add_server(const struct pr_slot_row *row, void *ctx)
{
    struct list_ctx *c = ctx;
    const struct model_spec *m = spec_of(row->model);

    if (!pr_principal_allows_pi(c->p, row->name))
        return 0;
    return json_object_set_new(c->servers, row->name,
                               json_pack("{s:o, s:o, s:o}", "model",
                                         m ? json_integer(m->model) : json_null(), "memory",
                                         m ? json_integer(m->memory) : json_null(), "cpu_speed",
                                         m ? json_integer(m->cpu_speed) : json_null()))
               ? -ENOMEM
               : 0;
}

void pr_http_get_servers(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    struct pr_principal p;
    struct list_ctx c = { &p, NULL };

    if (pr_http_customer_auth(req, d, PR_SCOPE_READ, &p) < 0)
        return;
    c.servers = json_object();
    int err = c.servers ? pr_store_each_customer_pi(d->store, p.customer, add_server, &c) : -ENOMEM;
    if (err < 0) {
        json_decref(c.servers);
        pr_http_customer_error(req, 500, "the store failed: %s", pr_store_errmsg(d->store));
        return;
    }
    pr_api_reply_json(req, 200, json_pack("{s:o}", "servers", c.servers));
}

void pr_http_get_server(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    struct pr_principal p;
    struct pr_slot_row row;

    if (pr_http_customer_auth(req, d, PR_SCOPE_READ, &p) < 0 || find_server(req, d, &p, &row) < 0)
        return;
    pr_api_reply_json(req, 200, pr_http_server_json(d, &row));
}

/* Queues a power action for the customer's pi; answers and returns the
 * op id, or -1 after answering. */
static int64_t power_action(struct pr_api_req *req, struct pr_daemon *d,
                            const struct pr_slot_row *row, enum pr_poe_action action)
{
    char why[256];
    unsigned wait;

    if (!d->power) {
        pr_http_customer_error(req, 503, "power control is not running in this rack");
        return -1;
    }
    wait = pr_ratelimit_take(d->http->per_pi, row->name, pr_now_ms());
    if (wait) {
        d->http->limited_pi++;
        pr_http_too_many(req, wait, "power actions on this server");
        return -1;
    }
    int64_t id =
        pr_power_request(d, row->slot, action, pr_api_req_actor(req), NULL, why, sizeof(why));
    if (id == -EBUSY) {
        pr_http_customer_error(req, 409,
                               action == PR_POE_CYCLE ? "already being rebooted"
                                                      : "a power action is in progress");
        return -1;
    }
    if (id < 0) {
        pr_http_customer_error(req, id == -ENODEV || id == -ENOSPC ? 503 : 500,
                               "the power could not be switched: %s", why);
        return -1;
    }
    return id;
}

void pr_http_put_server_power(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    static const char *const allowed[] = { "power", NULL };
    struct pr_principal p;
    struct pr_slot_row row;
    json_t *body = pr_api_req_body(req);
    json_t *power = json_object_get(body, "power");

    if (pr_http_customer_auth(req, d, PR_SCOPE_POWER, &p) < 0 || find_server(req, d, &p, &row) < 0)
        return;
    if (pr_http_check_fields(req, body, allowed) < 0)
        return;
    if (!json_is_boolean(power)) {
        pr_http_customer_error(req, 400, "the body must be {\"power\": true or false}");
        return;
    }
    int64_t id = power_action(req, d, &row, json_is_true(power) ? PR_POE_ON : PR_POE_OFF);
    if (id > 0)
        pr_api_reply_json(
            req, 202,
            json_pack("{s:b, s:I}", "power", json_is_true(power), "operation", (json_int_t)id));
}

void pr_http_post_server_reboot(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    struct pr_principal p;
    struct pr_slot_row row;

    if (pr_http_customer_auth(req, d, PR_SCOPE_POWER, &p) < 0 || find_server(req, d, &p, &row) < 0)
        return;
    if (json_object_size(pr_api_req_body(req)) > 0) {
        pr_http_customer_error(req, 400, "reboot takes no body");
        return;
    }
    int64_t id = power_action(req, d, &row, PR_POE_CYCLE);
    if (id > 0)
        pr_http_idempotent_reply(req, d, &p, 202, json_pack("{s:I}", "operation", (json_int_t)id),
                                 NULL);
}

void pr_http_get_server_ssh_key(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    struct pr_principal p;
    struct pr_slot_row row;
    char keys[PR_SSH_KEYS_MAX];

    if (pr_http_customer_auth(req, d, PR_SCOPE_KEYS, &p) < 0 || find_server(req, d, &p, &row) < 0)
        return;
    if (pr_store_get_ssh_keys(d->store, p.customer, row.name, keys, sizeof(keys)) < 0) {
        pr_http_customer_error(req, 500, "the store failed: %s", pr_store_errmsg(d->store));
        return;
    }
    pr_api_reply_json(req, 200, json_pack("{s:s}", "ssh_key", keys));
}

/* SSH keys are lines of printable text; "" clears them. */
static const char *ssh_keys_problem(const char *keys, size_t len)
{
    if (len >= PR_SSH_KEYS_MAX)
        return "ssh keys are at most 16383 bytes";
    for (size_t i = 0; i < len; i++)
        if ((keys[i] < ' ' && keys[i] != '\n') || keys[i] == 0x7f)
            return "ssh keys are lines of printable text";
    return NULL;
}

/* How many non-empty lines: keys, for the event (never the keys). */
static int count_lines(const char *s)
{
    int n = 0;

    while (*s) {
        size_t len = strcspn(s, "\n");
        n += len > 0;
        s += len + (s[len] == '\n');
    }
    return n;
}

void pr_http_put_server_ssh_key(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    static const char *const allowed[] = { "ssh_key", NULL };
    struct pr_principal p;
    struct pr_slot_row row;
    json_t *body = pr_api_req_body(req);
    json_t *v = json_object_get(body, "ssh_key");

    if (pr_http_customer_auth(req, d, PR_SCOPE_KEYS, &p) < 0 || find_server(req, d, &p, &row) < 0)
        return;
    if (pr_http_check_fields(req, body, allowed) < 0)
        return;
    if (!json_is_string(v)) {
        pr_http_customer_error(req, 400, "the body must be {\"ssh_key\": \"KEY\\nKEY...\"}");
        return;
    }
    const char *problem = ssh_keys_problem(json_string_value(v), json_string_length(v));
    if (problem) {
        pr_http_customer_error(req, 400, "%s", problem);
        return;
    }
    if (pr_store_set_ssh_keys(d->store, p.customer, row.name, json_string_value(v)) < 0) {
        pr_http_customer_error(req, 500, "the store failed: %s", pr_store_errmsg(d->store));
        return;
    }
    pr_daemon_event(d, row.slot, "pi.ssh_keys", pr_api_req_actor(req), "{s:i}", "keys",
                    count_lines(json_string_value(v)));
    pr_api_reply_json(req, 200, json_pack("{s:O}", "ssh_key", v));
}

void pr_http_get_models(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    struct pr_principal p;
    json_t *list;

    if (pr_http_customer_auth(req, d, PR_SCOPE_READ, &p) < 0)
        return;
    list = json_array();
    for (size_t i = 0; list && i < N_SPECS; i++)
        json_array_append_new(list, json_pack("{s:i, s:s, s:i, s:i, s:i, s:n}", "model",
                                              specs[i].model, "model_full", specs[i].full, "memory",
                                              specs[i].memory, "cpu_speed", specs[i].cpu_speed,
                                              "nic_speed", specs[i].nic_speed, "disk"));
    pr_api_reply_json(req, 200, json_pack("{s:o}", "models", list));
}

struct model_images {
    json_t *out;
    char model[24]; /* "3b" or "4b": a board model the image's device trees support */
};

/* An image whose models ("3b,3b+,4b") name the board: NAME -> what it is. */
static int add_image(const struct pr_image_row *row, void *ctx)
{
    struct model_images *m = ctx;
    char desc[256];
    size_t n = strlen(m->model);

    for (const char *p = row->models; (p = strstr(p, m->model)) != NULL; p += n) {
        if ((p == row->models || p[-1] == ',') && (p[n] == ',' || p[n] == '+' || !p[n])) {
            snprintf(desc, sizeof(desc), "%s (%s, for %s)", row->name, row->kind, row->models);
            return json_object_set_new(m->out, row->name, json_string(desc)) ? -ENOMEM : 0;
        }
    }
    return 0;
}

void pr_http_get_pi_images(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    struct pr_principal p;
    long model;

    if (pr_http_customer_auth(req, d, PR_SCOPE_READ, &p) < 0)
        return;
    model = pr_api_req_uint_param(req, "model", 3, 4);
    if (model < 0)
        return;
    struct model_images m = { .out = json_object() };
    snprintf(m.model, sizeof(m.model), "%ldb", model);
    json_t *images = m.out;
    if (!images || pr_store_each_image(d->store, add_image, &m) < 0) {
        json_decref(images);
        pr_http_customer_error(req, 500, "the store failed: %s", pr_store_errmsg(d->store));
        return;
    }
    pr_api_reply_json(req, 200, images);
}
