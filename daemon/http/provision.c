/* http provision: a customer takes a server and gives it back.
 *
 *   POST   /pi/servers/{name}   {"model", "memory", "cpu_speed", "disk",
 *                               "os_image", "ssh_key"}: the free slot of
 *                               the model with the lowest number becomes
 *                               the customer's, under name, with the keys
 *                               and image recorded, and is power-cycled;
 *                               202 and Location: /pi/queue/{name}.
 *   GET    /pi/queue/{name}     {"status": ...} while it boots, the server
 *                               object once it has booted.
 *   DELETE /pi/servers/{name}   powers the slot off and frees it.
 *   POST   /pi/servers/{name}/reinstall  {"os_image"?}: a fresh root from
 *                               the server's image (or another, which
 *                               becomes its image); 202.
 *
 * With os_image, the image service lays the image down: a root of the
 * server's own (its hostname, the customer's ssh keys as root's
 * authorized_keys), then the Pi powered on.  Without, the server boots
 * the rack's boot tree, and the answers say so rather than pretend.  A
 * freed slot waits for its root to be wiped (the image service does it
 * once the Pi is off) before it is handed out again.  POSTs honour
 * Idempotency-Key for 24 hours (customer.c keeps the answers). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pirack/api.h"
#include "pirack/poe.h"
#include "pirack/store.h"
#include "daemon/api/api_internal.h"
#include "daemon/http/http.h"
#include "daemon/image/service.h"
#include "daemon/power/service.h"
#include "daemon/proxy/service.h"

#define IMAGES_NOTE "no os_image: the server boots the rack's default boot tree"
#define IMAGE_NOTE "the server boots a root of its own made from its os_image"

/* A GLOB on the store's model, lower-cased ("pi3b", "3b", "rpi3b+",
 * "pi4"...), for the model asked for: 3 (with cpu_speed 1200 a 3B, 1400 a
 * 3B+), 4.  NULL when the rack has no such model. */
static const char *model_glob(json_int_t model, json_t *cpu_speed)
{
    json_int_t cpu = json_integer_value(cpu_speed);

    if (model == 3 && !cpu_speed)
        return "*3b*";
    if (model == 3 && cpu == 1200)
        return "*3b";
    if (model == 3 && cpu == 1400)
        return "*3b+";
    if (model == 4 && (!cpu_speed || cpu == 1500))
        return "*4*";
    return NULL;
}

/* Checks the body of a provisioning request; answers 400 and returns -1. */
static int check_provision_body(struct pr_api_req *req, json_t *body, const char **glob)
{
    static const char *const allowed[] = { "model",    "memory",  "cpu_speed",    "disk",
                                           "os_image", "ssh_key", "wait_for_dns", NULL };
    json_t *model = json_object_get(body, "model");
    json_t *cpu = json_object_get(body, "cpu_speed");
    json_t *mem = json_object_get(body, "memory");
    json_t *keys = json_object_get(body, "ssh_key");
    json_t *image = json_object_get(body, "os_image");

    if (pr_http_check_fields(req, body, allowed) < 0)
        return -1;
    if (json_is_null(cpu))
        cpu = NULL;
    if (!json_is_integer(model) || (cpu && !json_is_integer(cpu)) ||
        (mem && !json_is_null(mem) && !json_is_integer(mem)) ||
        (keys && !json_is_null(keys) && !json_is_string(keys)) ||
        (image && !json_is_null(image) && !json_is_string(image))) {
        pr_http_customer_error(req, 400,
                               "the body is {\"model\": 3 or 4, \"memory\"?, \"cpu_speed\"?, "
                               "\"disk\"?, \"os_image\"?: text, \"ssh_key\"?: text}");
        return -1;
    }
    *glob = model_glob(json_integer_value(model), cpu);
    json_int_t want_mem = json_integer_value(mem);
    if (*glob && mem && !json_is_null(mem) &&
        !((strstr(*glob, "3b") && want_mem == 1024) || (strstr(*glob, "4") && want_mem == 4096)))
        *glob = NULL;
    return 0;
}

/* Answers 400 (or 503) and returns true when image is not one the rack
 * has (or the rack cannot lay images down). */
static bool image_unusable(struct pr_api_req *req, struct pr_daemon *d, const char *image)
{
    static struct pr_image_row img;
    if (pr_store_get_image(d->store, image, &img) < 0) {
        pr_http_customer_error(req, 400, "no os_image called \"%.64s\"", image);
        return true;
    }
    if (!d->image) {
        pr_http_customer_error(req, 503, "this rack does not lay images down (no image service)");
        return true;
    }
    return false;
}

void pr_http_post_server(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    struct pr_principal p;
    json_t *body = pr_api_req_body(req);
    const char *name = pr_api_req_param(req, "name");
    const char *glob = NULL, *image, *keys;
    char location[128], why[256];
    int slot;

    if (pr_http_customer_auth(req, d, PR_SCOPE_PROVISION, &p) < 0 ||
        pr_http_idempotent_replay(req, d, &p))
        return;
    if (pr_http_server_name_bad(req, name))
        return;
    if (!pr_principal_allows_pi(&p, name)) {
        pr_http_customer_error(req, 403, "this key may not act on a server called %s", name);
        return;
    }
    if (check_provision_body(req, body, &glob) < 0)
        return;
    if (!glob) {
        pr_http_customer_error(req, 503, "no servers of the specified type available");
        return;
    }
    image = json_string_value(json_object_get(body, "os_image"));
    keys = json_string_value(json_object_get(body, "ssh_key"));
    if (image && *image && image_unusable(req, d, image))
        return;
    slot =
        pr_store_provision(d->store, p.customer, name, glob, keys ? keys : "", image ? image : "");
    if (slot == -EEXIST) {
        pr_http_customer_error(req, 409, "a server called %s already exists", name);
        return;
    }
    if (slot == -ENOSPC) {
        pr_http_customer_error(req, 503, "no servers of the specified type available");
        return;
    }
    if (slot < 0) {
        pr_http_customer_error(req, 400, "%s", pr_store_errmsg(d->store));
        return;
    }
    pr_proxy_sync(d); /* the server's web names, in HAProxy at once */
    pr_daemon_event(d, (unsigned)slot, "pi.provisioned", pr_api_req_actor(req), "{s:s, s:s, s:s}",
                    "name", name, "customer", p.customer, "os_image", image ? image : "");
    if (image && *image) {
        /* The image service powers the Pi on once its root is there. */
        if (pr_image_reimage(d, (unsigned)slot, image, false, pr_api_req_actor(req), why,
                             sizeof(why)) < 0)
            pr_daemon_event(d, (unsigned)slot, "pi.provision_image_failed", pr_api_req_actor(req),
                            "{s:s}", "why", why);
    } else if (d->power && pr_power_request(d, (unsigned)slot, PR_POE_CYCLE, pr_api_req_actor(req),
                                            NULL, why, sizeof(why)) < 0)
        pr_daemon_event(d, (unsigned)slot, "pi.provision_power_failed", pr_api_req_actor(req),
                        "{s:s}", "why", why);
    snprintf(location, sizeof(location), "/pi/queue/%s", name);
    pr_http_idempotent_reply(req, d, &p, 202,
                             json_pack("{s:s, s:s}", "status", "provisioning", "note",
                                       image && *image ? IMAGE_NOTE : IMAGES_NOTE),
                             location);
}

void pr_http_post_server_reinstall(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    struct pr_principal p;
    struct pr_slot_row row;
    json_t *body = pr_api_req_body(req);
    const char *name = pr_api_req_param(req, "name");
    static const char *const allowed[] = { "os_image", NULL };
    char why[256], location[128];

    if (pr_http_customer_auth(req, d, PR_SCOPE_PROVISION, &p) < 0 ||
        pr_http_idempotent_replay(req, d, &p))
        return;
    if (pr_http_server_name_bad(req, name))
        return;
    if (!pr_principal_allows_pi(&p, name) ||
        pr_store_get_customer_pi(d->store, p.customer, name, &row) < 0) {
        pr_http_customer_error(req, 404, "no server called %s", name);
        return;
    }
    if (body && pr_http_check_fields(req, body, allowed) < 0)
        return;
    json_t *img = body ? json_object_get(body, "os_image") : NULL;
    if (img && !json_is_null(img) && !json_is_string(img)) {
        pr_http_customer_error(req, 400, "the body is {\"os_image\"?: text}");
        return;
    }
    const char *image = json_string_value(img);
    if (!image || !*image)
        image = row.image;
    if (!*image) {
        pr_http_customer_error(req, 400, "the server has no os_image: give one");
        return;
    }
    if (image_unusable(req, d, image))
        return;
    int id = pr_image_reimage(d, row.slot, image, false, pr_api_req_actor(req), why, sizeof(why));
    if (id == -EBUSY) {
        pr_http_customer_error(req, 409, "the server is already being reinstalled");
        return;
    }
    if (id < 0) {
        pr_http_customer_error(req, id == -ENOENT ? 400 : 503, "%s", why);
        return;
    }
    snprintf(location, sizeof(location), "/pi/queue/%s", name);
    pr_http_idempotent_reply(
        req, d, &p, 202,
        json_pack("{s:s, s:s, s:i}", "status", "reinstalling", "os_image", image, "operation", id),
        location);
}

void pr_http_get_queue(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    struct pr_principal p;
    struct pr_slot_row row;
    const char *name = pr_api_req_param(req, "name");

    if (pr_http_customer_auth(req, d, PR_SCOPE_READ, &p) < 0)
        return;
    if (pr_http_server_name_bad(req, name))
        return;
    if (!pr_principal_allows_pi(&p, name) ||
        pr_store_get_customer_pi(d->store, p.customer, name, &row) < 0) {
        pr_http_customer_error(req, 404, "no server called %s is being provisioned", name);
        return;
    }
    /* A reinstall builds the new root while the old one still runs: the
     * server is not what was asked for until that is done and it booted. */
    char phase[16];
    if (pr_http_reinstalling(d, row.slot, phase, sizeof(phase))) {
        char status[64];
        snprintf(status, sizeof(status), "provisioning: reinstalling (%s)", phase);
        pr_api_reply_json(req, 200, json_pack("{s:s, s:s}", "status", status, "note", IMAGE_NOTE));
        return;
    }
    json_t *server = pr_http_server_json(d, &row);
    if (strcmp(row.state, "booted") == 0 || strcmp(row.state, "up") == 0) {
        pr_api_reply_json(req, 200, server);
        return;
    }
    json_t *progress = json_object_get(server, "boot_progress");
    char status[160];
    struct pr_power_view v;
    bool switched = d->power && pr_power_view(d, row.slot, &v) == 0 && v.has_switch;
    snprintf(status, sizeof(status), "provisioning: %s",
             json_is_string(progress)           ? json_string_value(progress)
             : strcmp(row.state, "failed") == 0 ? "the boot failed"
             : switched                         ? "waiting for power"
             : d->power                         ? "power control is not running for this server"
                                                : "power control is not running");
    json_decref(server);
    pr_api_reply_json(
        req, 200,
        json_pack("{s:s, s:s}", "status", status, "note", row.image[0] ? IMAGE_NOTE : IMAGES_NOTE));
}

void pr_http_delete_server(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    struct pr_principal p;
    struct pr_slot_row row;
    struct pr_power_view v;
    char why[256];
    const char *name = pr_api_req_param(req, "name");
    struct pr_slot_plan planned;

    if (pr_http_customer_auth(req, d, PR_SCOPE_PROVISION, &p) < 0)
        return;
    if (pr_http_server_name_bad(req, name))
        return;
    if (!pr_principal_allows_pi(&p, name) ||
        pr_store_get_customer_pi(d->store, p.customer, name, &row) < 0) {
        pr_http_customer_error(req, 404, "no server called %s", name);
        return;
    }
    if ((d->power && pr_power_view(d, row.slot, &v) == 0 && v.op_id) ||
        pr_image_busy(d, row.slot)) {
        pr_http_customer_error(req, 409,
                               "the server is being provisioned, reinstalled or power-switched");
        return;
    }
    if (pr_plan_slot(&d->plan, row.slot, &planned) < 0 ||
        pr_store_unprovision(d->store, p.customer, name, planned.name) < 0) {
        pr_http_customer_error(req, 500, "the store failed: %s", pr_store_errmsg(d->store));
        return;
    }
    pr_daemon_event(d, row.slot, "pi.unprovisioned", pr_api_req_actor(req), "{s:s, s:s}", "name",
                    name, "customer", p.customer);
    pr_proxy_sync(d); /* the customer's names leave HAProxy at once */
    if (d->power && pr_power_request(d, row.slot, PR_POE_OFF, pr_api_req_actor(req), NULL, why,
                                     sizeof(why)) < 0)
        pr_daemon_event(d, row.slot, "pi.unprovision_power_failed", pr_api_req_actor(req), "{s:s}",
                        "why", why);
    pr_api_reply_json(req, 200,
                      json_pack("{s:s, s:s}", "status", "unprovisioned", "note",
                                "the server's root is wiped once it is off, before the slot is "
                                "handed out again"));
}
