/* api/router: the API's route table, apart from HTTP so that tests and the
 * fuzzer drive it directly.  Private to daemon/.
 *
 * A pattern is an absolute path of literal segments and {name} segments:
 * "/v1/slots/{n}".  A path matches a pattern when it has as many segments,
 * every literal is equal and every {name} segment is non-empty.  Paths are
 * matched as given (already percent-decoded by the HTTP layer); a path
 * matches no pattern when it is longer than PR_ROUTER_MAX_PATH. */
#ifndef PIRACK_API_ROUTER_H
#define PIRACK_API_ROUTER_H

#include <stddef.h>

#define PR_ROUTER_MAX_PATH 1024
#define PR_ROUTER_MAX_SEGMENTS 16
#define PR_ROUTER_MAX_ROUTES 256
#define PR_ROUTER_METHOD_MAX 8

struct pr_router;

enum pr_route_result {
    PR_ROUTE_FOUND,      /* m->data and m->params are set */
    PR_ROUTE_NOT_FOUND,  /* no pattern matches the path: 404 */
    PR_ROUTE_BAD_METHOD, /* a pattern matches, not with this method: 405, m->allow */
    PR_ROUTE_TOO_LONG,   /* the path is longer than PR_ROUTER_MAX_PATH: 414 */
};

struct pr_route_param {
    const char *name;  /* the pattern's name, without braces */
    const char *value; /* points into the match's own copy of the path */
};

struct pr_route_match {
    void *data; /* what pr_router_add() was given */
    struct pr_route_param params[PR_ROUTER_MAX_SEGMENTS];
    size_t n_params;
    char allow[64];                         /* "GET, POST" for a 405 */
    char path_copy[PR_ROUTER_MAX_PATH + 1]; /* segments, NUL-separated */
};

struct pr_router *pr_router_new(void);
void pr_router_free(struct pr_router *r); /* accepts NULL */

/* method: an upper-case HTTP method.  Returns 0; -EINVAL for a pattern
 * that is not absolute, has an empty segment, a malformed {name} or too
 * many segments, or a bad method; -EEXIST when the method already has a
 * pattern that matches the same paths; -ENOSPC past PR_ROUTER_MAX_ROUTES;
 * -ENOMEM. */
int pr_router_add(struct pr_router *r, const char *method, const char *pattern, void *data);

/* Matches method and path (NUL-terminated, any bytes).  Literal patterns
 * win over {name} ones: with "/v1/slots/{n}" and "/v1/slots/all", the
 * path "/v1/slots/all" takes the second whatever the order they were
 * added in. */
enum pr_route_result pr_router_match(const struct pr_router *r, const char *method,
                                     const char *path, struct pr_route_match *m);

/* The value of {name} in a match, or NULL. */
const char *pr_route_param(const struct pr_route_match *m, const char *name);

#endif
