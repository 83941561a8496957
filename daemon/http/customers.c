/* http customers: the operator's side of tenancy, on the Unix socket.
 *
 *   GET    /v1/customers            every customer, its pis and live keys
 *   POST   /v1/customers            {"name"}
 *   DELETE /v1/customers/{name}     only once it owns no pi; its keys go too
 *   GET    /v1/keys[?customer=C]    keys, never their secrets
 *   POST   /v1/keys                 {"customer", "scopes", "expires_in", "pis"}:
 *                                   the one answer that holds the secret
 *   DELETE /v1/keys/{id}            revokes at once
 *
 * Every change is an event on the rack (slot 0) whose actor is the
 * operator's "ops:uid=N". */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sodium.h>

#include "pirack/api.h"
#include "pirack/store.h"
#include "daemon/api/api_internal.h"
#include "daemon/http/http.h"

/* Keys live at most ten years: past that, 0 (never) says it better. */
#define EXPIRES_IN_MAX (10LL * 366 * 86400)

static void reply_store(struct pr_api_req *req, const struct pr_daemon *d, int err)
{
    const char *why = pr_store_errmsg(d->store);

    switch (-err) {
    case EEXIST:
        pr_api_reply_error(req, PR_API_ERR_EXISTS, "%s", why);
        break;
    case EBUSY:
    case EALREADY:
        pr_api_reply_error(req, PR_API_ERR_IN_USE, "%s", why);
        break;
    case EINVAL:
        pr_api_reply_error(req, PR_API_ERR_BAD_REQUEST, "%s", why);
        break;
    default:
        pr_http_reply_store_error(req, d, err);
    }
}

static int customer_json(const struct pr_customer_row *row, void *ctx)
{
    return json_array_append_new(ctx, json_pack("{s:s, s:I, s:i, s:i}", "name", row->name,
                                                "created_ms", (json_int_t)row->created_ms, "pis",
                                                (int)row->pis, "keys", (int)row->keys))
               ? -ENOMEM
               : 0;
}

void pr_http_get_customers(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    static const char *const none[] = { NULL };
    json_t *list = json_array();
    int err;

    if (pr_api_req_check_query(req, none) < 0) {
        json_decref(list);
        return;
    }
    err = list ? pr_store_each_customer(d->store, customer_json, list) : -ENOMEM;
    if (err < 0) {
        json_decref(list);
        pr_http_reply_store_error(req, d, err);
        return;
    }
    pr_api_reply_json(req, 200, json_pack("{s:o}", "customers", list));
}

void pr_http_post_customer(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    static const char *const allowed[] = { "name", NULL };
    json_t *body = pr_api_req_body(req);
    const char *name;
    const char *problem;
    int err;

    if (pr_http_check_fields(req, body, allowed) < 0)
        return;
    name = json_string_value(json_object_get(body, "name"));
    if (!name) {
        pr_api_reply_error(req, PR_API_ERR_BAD_REQUEST, "\"name\" (a string) is required");
        return;
    }
    problem = pr_api_name_problem(name);
    if (problem) {
        pr_api_reply_error(req, PR_API_ERR_BAD_NAME, "a customer's name: %s", problem);
        return;
    }
    err = pr_store_add_customer(d->store, name);
    if (err < 0) {
        reply_store(req, d, err);
        return;
    }
    pr_daemon_event(d, 0, "customer.added", pr_api_req_actor(req), "{s:s}", "customer", name);
    pr_api_reply_json(req, 201, json_pack("{s:s}", "name", name));
}

void pr_http_delete_customer(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    const char *name = pr_api_req_param(req, "name");
    char shown[80];
    int err = pr_store_remove_customer(d->store, name);

    if (err == -ENOENT) {
        pr_api_reply_error(req, PR_API_ERR_NO_SUCH_CUSTOMER, "no customer \"%s\"",
                           pr_api_printable(name, shown, sizeof(shown)));
        return;
    }
    if (err < 0) {
        reply_store(req, d, err);
        return;
    }
    pr_daemon_event(d, 0, "customer.removed", pr_api_req_actor(req), "{s:s}", "customer", name);
    pr_api_reply_json(req, 200, json_pack("{s:s}", "removed", name));
}

/* A key as the operator sees it: never the secret, which is not kept. */
json_t *pr_http_key_json(const struct pr_key_row *row)
{
    char scopes[48];
    json_t *pis = json_array();

    pr_scopes_format(row->scopes, scopes, sizeof(scopes));
    for (const char *p = row->pis; pis && *p;) {
        size_t n = strcspn(p, ",");
        json_array_append_new(pis, json_stringn(p, n));
        p += n + (p[n] == ',');
    }
    return json_pack("{s:s, s:s, s:s, s:o, s:I, s:o, s:o}", "id", row->id, "customer",
                     row->customer, "scopes", scopes, "pis", pis ? pis : json_null(), "created_ms",
                     (json_int_t)row->created_ms, "expires_ms",
                     row->expires_ms ? json_integer(row->expires_ms) : json_null(), "revoked_ms",
                     row->revoked_ms ? json_integer(row->revoked_ms) : json_null());
}

static int key_json(const struct pr_key_row *row, void *ctx)
{
    return json_array_append_new(ctx, pr_http_key_json(row)) ? -ENOMEM : 0;
}

void pr_http_get_keys(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    static const char *const allowed[] = { "customer", NULL };
    json_t *list;
    int err;

    if (pr_api_req_check_query(req, allowed) < 0)
        return;
    list = json_array();
    err = list ? pr_store_each_key(d->store, pr_api_req_query(req, "customer"), key_json, list)
               : -ENOMEM;
    if (err < 0) {
        json_decref(list);
        pr_http_reply_store_error(req, d, err);
        return;
    }
    pr_api_reply_json(req, 200, json_pack("{s:o}", "keys", list));
}

/* "pis": ["a", "b"] to "a,b"; -1 after answering 400. */
static int pis_field(struct pr_api_req *req, json_t *v, char *out, size_t len)
{
    size_t i, used = 0;
    json_t *e;

    out[0] = '\0';
    if (!v)
        return 0;
    if (!json_is_array(v))
        goto bad;
    json_array_foreach(v, i, e)
    {
        const char *name = json_string_value(e);
        if (!name || pr_api_name_problem(name))
            goto bad;
        int n = snprintf(out + used, len - used, "%s%s", used ? "," : "", name);
        if (n < 0 || (size_t)n >= len - used)
            goto bad;
        used += (size_t)n;
    }
    return 0;
bad:
    pr_api_reply_error(req, PR_API_ERR_BAD_REQUEST,
                       "\"pis\" must be a list of pi names (DNS labels), %d bytes in all",
                       PR_KEY_PIS_MAX - 1);
    return -1;
}

void pr_http_post_key(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    static const char *const allowed[] = { "customer", "scopes", "expires_in", "pis", NULL };
    json_t *body = pr_api_req_body(req);
    char id[PR_KEY_ID_LEN + 1], secret[PR_KEY_SECRET_LEN + 1], pis[PR_KEY_PIS_MAX], scopes_text[48];
    const char *customer, *scopes_in;
    json_t *expires = json_object_get(body, "expires_in");
    unsigned scopes = PR_SCOPE_ALL;
    int64_t expires_ms = 0;
    int err;

    if (pr_http_check_fields(req, body, allowed) < 0)
        return;
    customer = json_string_value(json_object_get(body, "customer"));
    if (!customer) {
        pr_api_reply_error(req, PR_API_ERR_BAD_REQUEST, "\"customer\" (a string) is required");
        return;
    }
    scopes_in = json_string_value(json_object_get(body, "scopes"));
    if ((json_object_get(body, "scopes") && !scopes_in) ||
        (scopes_in && pr_scopes_parse(scopes_in, &scopes) < 0)) {
        pr_api_reply_error(req, PR_API_ERR_BAD_REQUEST,
                           "\"scopes\" is a comma list of read, power, provision, keys");
        return;
    }
    if (expires && (!json_is_integer(expires) || json_integer_value(expires) < 1 ||
                    json_integer_value(expires) > EXPIRES_IN_MAX)) {
        pr_api_reply_error(req, PR_API_ERR_BAD_REQUEST,
                           "\"expires_in\" is seconds, from 1 to %lld (leave it out for never)",
                           (long long)EXPIRES_IN_MAX);
        return;
    }
    if (expires)
        expires_ms = pr_store_now_ms() + json_integer_value(expires) * 1000;
    if (pis_field(req, json_object_get(body, "pis"), pis, sizeof(pis)) < 0)
        return;
    err = pr_store_create_key(d->store, customer, scopes, expires_ms, pis, id, secret);
    if (err == -ENOENT) {
        char shown[80];
        pr_api_reply_error(req, PR_API_ERR_NO_SUCH_CUSTOMER, "no customer \"%s\"",
                           pr_api_printable(customer, shown, sizeof(shown)));
        return;
    }
    if (err < 0) {
        reply_store(req, d, err);
        return;
    }
    pr_scopes_format(scopes, scopes_text, sizeof(scopes_text));
    pr_daemon_event(d, 0, "key.created", pr_api_req_actor(req), "{s:s, s:s, s:s, s:s}", "key", id,
                    "customer", customer, "scopes", scopes_text, "pis", pis);
    struct pr_key_row row;
    json_t *out = pr_store_get_key(d->store, id, &row) == 0 ? pr_http_key_json(&row) : NULL;
    if (out)
        json_object_set_new(out, "secret", json_string(secret));
    sodium_memzero(secret, sizeof(secret));
    pr_api_reply_json(req, 201, out);
}

void pr_http_delete_key(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    const char *id = pr_api_req_param(req, "id");
    struct pr_key_row row;
    char shown[48];
    int err = pr_store_revoke_key(d->store, id);

    if (err == -ENOENT) {
        pr_api_reply_error(req, PR_API_ERR_NO_SUCH_KEY, "no key \"%s\"",
                           pr_api_printable(id, shown, sizeof(shown)));
        return;
    }
    if (err < 0) {
        reply_store(req, d, err);
        return;
    }
    pr_store_get_key(d->store, id, &row);
    pr_daemon_event(d, 0, "key.revoked", pr_api_req_actor(req), "{s:s, s:s}", "key", id, "customer",
                    row.customer);
    pr_api_reply_json(req, 200, pr_http_key_json(&row));
}
