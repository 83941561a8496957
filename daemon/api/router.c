/* api/router: the route table.  See router.h. */
#include "router.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pirack/array.h"

struct route {
    char method[PR_ROUTER_METHOD_MAX];
    char *pattern;                      /* owned; split into segs */
    char *segs[PR_ROUTER_MAX_SEGMENTS]; /* point into pattern */
    bool is_param[PR_ROUTER_MAX_SEGMENTS];
    size_t n_segs;
    uint32_t shape; /* see shape_of() */
    void *data;
};

struct pr_router {
    struct route *routes;
    size_t n_routes, cap;
};

struct pr_router *pr_router_new(void)
{
    return calloc(1, sizeof(struct pr_router));
}

void pr_router_free(struct pr_router *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_routes; i++)
        free(r->routes[i].pattern);
    free(r->routes);
    free(r);
}

/* Splits an absolute path in place at '/'.  "/" is zero segments; an empty
 * segment anywhere else ("//", a trailing '/') fails.  Returns the count,
 * or -1. */
static int split_path(char *s, char **segs, size_t max)
{
    size_t n = 0;

    if (s[0] != '/')
        return -1;
    if (s[1] == '\0')
        return 0;
    s++;
    for (;;) {
        char *slash = strchr(s, '/');

        if (n == max || *s == '/' || *s == '\0')
            return -1;
        segs[n++] = s;
        if (!slash)
            return (int)n;
        *slash = '\0';
        s = slash + 1;
    }
}

static bool method_valid(const char *m)
{
    size_t len = strlen(m);

    if (len == 0 || len >= PR_ROUTER_METHOD_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (m[i] < 'A' || m[i] > 'Z')
            return false;
    return true;
}

/* "{name}": a name of letters, digits and '_'.  Braces anywhere else in a
 * segment make the pattern invalid, so that a typo cannot become a
 * literal that no request ever matches. */
static int classify_segment(char *seg, bool *is_param)
{
    size_t len = strlen(seg);

    if (seg[0] != '{') {
        *is_param = false;
        return strpbrk(seg, "{}") ? -1 : 0;
    }
    if (len < 3 || seg[len - 1] != '}')
        return -1;
    for (size_t i = 1; i + 1 < len; i++) {
        char c = seg[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return -1;
    }
    seg[len - 1] = '\0';
    memmove(seg, seg + 1, len - 1);
    *is_param = true;
    return 0;
}

/* One bit per {name} segment, the first segment the highest bit: of two
 * patterns that match a path, the one with the smaller shape has its
 * first literal earlier, so it is the more specific. */
static uint32_t shape_of(const bool *is_param, size_t n)
{
    uint32_t shape = 0;

    for (size_t i = 0; i < n; i++)
        if (is_param[i])
            shape |= UINT32_C(1) << (PR_ROUTER_MAX_SEGMENTS - 1 - i);
    return shape;
}

/* Two patterns of one method that would match the same paths. */
static bool same_paths(const struct route *a, const struct route *b)
{
    if (a->n_segs != b->n_segs || a->shape != b->shape)
        return false;
    for (size_t i = 0; i < a->n_segs; i++)
        if (!a->is_param[i] && strcmp(a->segs[i], b->segs[i]) != 0)
            return false;
    return true;
}

int pr_router_add(struct pr_router *r, const char *method, const char *pattern, void *data)
{
    struct route rt = { .data = data };
    int n;

    if (!r || !method || !pattern || !method_valid(method) || strlen(pattern) > PR_ROUTER_MAX_PATH)
        return -EINVAL;
    if (r->n_routes >= PR_ROUTER_MAX_ROUTES)
        return -ENOSPC;
    strcpy(rt.method, method);
    rt.pattern = strdup(pattern);
    if (!rt.pattern)
        return -ENOMEM;
    n = split_path(rt.pattern, rt.segs, PR_ROUTER_MAX_SEGMENTS);
    if (n < 0)
        goto invalid;
    rt.n_segs = (size_t)n;
    for (size_t i = 0; i < rt.n_segs; i++)
        if (classify_segment(rt.segs[i], &rt.is_param[i]) < 0)
            goto invalid;
    rt.shape = shape_of(rt.is_param, rt.n_segs);
    for (size_t i = 0; i < r->n_routes; i++) {
        if (strcmp(r->routes[i].method, method) == 0 && same_paths(&r->routes[i], &rt)) {
            free(rt.pattern);
            return -EEXIST;
        }
    }
    if (pr_array_grow(&r->routes, r->n_routes, &r->cap, sizeof(*r->routes), 16) < 0) {
        free(rt.pattern);
        return -ENOMEM;
    }
    r->routes[r->n_routes++] = rt;
    return 0;

invalid:
    free(rt.pattern);
    return -EINVAL;
}

static bool route_matches(const struct route *rt, char *const *segs, size_t n)
{
    if (rt->n_segs != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!rt->is_param[i] && strcmp(rt->segs[i], segs[i]) != 0)
            return false;
    return true;
}

static void append_allow(struct pr_route_match *m, const char *method)
{
    size_t used = strlen(m->allow);

    /* Every method of one shape appears once: "GET, POST". */
    for (const char *p = m->allow; (p = strstr(p, method)) != NULL; p += strlen(method)) {
        size_t len = strlen(method);
        if ((p == m->allow || p[-1] == ' ') && (p[len] == ',' || p[len] == '\0'))
            return;
    }
    if (used + strlen(method) + 3 > sizeof(m->allow))
        return;
    if (used)
        strcat(m->allow, ", ");
    strcat(m->allow, method);
}

enum pr_route_result pr_router_match(const struct pr_router *r, const char *method,
                                     const char *path, struct pr_route_match *m)
{
    char *segs[PR_ROUTER_MAX_SEGMENTS];
    const struct route *best = NULL;
    size_t len = strlen(path);
    int n;

    memset(m, 0, offsetof(struct pr_route_match, path_copy));
    m->path_copy[0] = '\0';
    if (len > PR_ROUTER_MAX_PATH)
        return PR_ROUTE_TOO_LONG;
    memcpy(m->path_copy, path, len + 1);
    n = split_path(m->path_copy, segs, PR_ROUTER_MAX_SEGMENTS);
    if (n < 0 || !r)
        return PR_ROUTE_NOT_FOUND;

    /* The most specific shape that matches the path, whatever the method. */
    for (size_t i = 0; i < r->n_routes; i++) {
        const struct route *rt = &r->routes[i];
        if (route_matches(rt, segs, (size_t)n) && (!best || rt->shape < best->shape))
            best = rt;
    }
    if (!best)
        return PR_ROUTE_NOT_FOUND;

    /* Of that shape: the route for this method, or the methods allowed. */
    for (size_t i = 0; i < r->n_routes; i++) {
        const struct route *rt = &r->routes[i];
        if (rt->shape != best->shape || !route_matches(rt, segs, (size_t)n))
            continue;
        if (strcmp(rt->method, method) != 0) {
            append_allow(m, rt->method);
            continue;
        }
        m->data = rt->data;
        for (size_t s = 0; s < rt->n_segs; s++) {
            if (rt->is_param[s]) {
                m->params[m->n_params].name = rt->segs[s];
                m->params[m->n_params].value = segs[s];
                m->n_params++;
            }
        }
        return PR_ROUTE_FOUND;
    }
    return PR_ROUTE_BAD_METHOD;
}

const char *pr_route_param(const struct pr_route_match *m, const char *name)
{
    for (size_t i = 0; i < m->n_params; i++)
        if (strcmp(m->params[i].name, name) == 0)
            return m->params[i].value;
    return NULL;
}
