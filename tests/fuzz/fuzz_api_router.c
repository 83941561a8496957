/* Fuzzes the API's route matching and the parsers that see request bytes:
 * the first line of the input is the method, the second the path, the
 * rest a query value.  Any bytes must give one of the route results and a
 * match whose parameters lie inside the path, never a crash or a read
 * past a buffer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api/api_internal.h"
#include "daemon/api/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pr_router *routes(void)
{
    static struct pr_router *r;
    static int tag;

    if (r)
        return r;
    r = pr_router_new();
    if (!r)
        abort();
    pr_router_add(r, "GET", "/v1/status", &tag);
    pr_router_add(r, "GET", "/v1/slots", &tag);
    pr_router_add(r, "GET", "/v1/slots/{n}", &tag);
    pr_router_add(r, "GET", "/v1/slots/all", &tag);
    pr_router_add(r, "POST", "/v1/slots/{n}/power", &tag);
    pr_router_add(r, "PUT", "/v1/slots/{n}/pi/{field}", &tag);
    pr_router_add(r, "DELETE", "/v1/{kind}/{id}", &tag);
    pr_router_add(r, "GET", "/v1/events", &tag);
    return r;
}

/* The next line of data (without its '\n') as a C string in out. */
static size_t take_line(const uint8_t *data, size_t size, char *out, size_t outlen)
{
    size_t n = 0, used = 0;

    while (used < size && data[used] != '\n') {
        if (n + 1 < outlen)
            out[n++] = (char)data[used];
        used++;
    }
    out[n] = '\0';
    return used < size ? used + 1 : used;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct pr_route_match m;
    char method[32], path[PR_ROUTER_MAX_PATH + 64], value[256], shown[64];
    size_t used;
    int64_t v;

    used = take_line(data, size, method, sizeof(method));
    used += take_line(data + used, size - used, path, sizeof(path));
    take_line(data + used, size - used, value, sizeof(value));

    switch (pr_router_match(routes(), method, path, &m)) {
    case PR_ROUTE_FOUND:
        if (!m.data)
            abort();
        for (size_t i = 0; i < m.n_params; i++) {
            const char *p = m.params[i].value;
            if (p < m.path_copy || p >= m.path_copy + sizeof(m.path_copy) || !p[0])
                abort();
        }
        break;
    case PR_ROUTE_BAD_METHOD:
        if (!m.allow[0])
            abort();
        break;
    case PR_ROUTE_NOT_FOUND:
    case PR_ROUTE_TOO_LONG:
        break;
    }
    if (pr_api_parse_uint(value, 0, INT64_MAX, &v) == 0 && v < 0)
        abort();
    pr_api_printable(path, shown, sizeof(shown));
    if (strlen(shown) >= sizeof(shown))
        abort();
    return 0;
}
