/* docs/api.yaml, the OpenAPI description of both APIs, against the one
 * route table: every route pirackd serves is described (with the
 * listener that serves it), and every operation described is served. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "daemon/http/http.h"

#define MAX_OPS 128

struct op {
    char method[8]; /* upper case */
    char path[128];
    char listener[16];
    bool served;
};

/* The operations of the document: "  /path:" then "    method:" lines,
 * each followed by "      x-pirack-listener: SIDE". */
static size_t read_ops(struct op *ops)
{
    char line[512], path[128] = "";
    size_t n = 0;
    FILE *f = fopen(SRCDIR "/docs/api.yaml", "r");

    assert_non_null(f);
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        size_t len = strlen(line);
        if (strncmp(line, "  /", 3) == 0 && line[len - 1] == ':') {
            snprintf(path, sizeof(path), "%.*s", (int)(len - 3 < 127 ? len - 3 : 127), line + 2);
            continue;
        }
        static const char *const methods[] = { "get", "post", "put", "delete" };
        for (size_t m = 0; m < 4 && path[0]; m++) {
            char want[16];
            snprintf(want, sizeof(want), "    %s:", methods[m]);
            if (strcmp(line, want) != 0)
                continue;
            assert_true(n < MAX_OPS);
            for (size_t i = 0; methods[m][i]; i++)
                ops[n].method[i] = (char)(methods[m][i] - 'a' + 'A');
            snprintf(ops[n].path, sizeof(ops[n].path), "%s", path);
            n++;
        }
        if (n && strncmp(line, "      x-pirack-listener: ", 25) == 0)
            snprintf(ops[n - 1].listener, sizeof(ops[n - 1].listener), "%.15s", line + 25);
    }
    fclose(f);
    return n;
}

static void test_document_and_table_agree(void **state)
{
    static struct op ops[MAX_OPS];
    static const char *const sides[] = { "ops", "customer", "metrics" };
    size_t n_ops = read_ops(ops), n;
    const struct pr_http_route *routes = pr_http_routes(&n);

    (void)state;
    assert_true(n_ops >= 30);
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (size_t j = 0; j < n_ops; j++) {
            if (strcmp(ops[j].method, routes[i].method) || strcmp(ops[j].path, routes[i].pattern))
                continue;
            found = true;
            ops[j].served = true;
            /* /metrics is described once, as the ops socket's */
            /* the web page is described once for both listeners */
            if (routes[i].side != PR_API_METRICS && strcmp(ops[j].listener, "both") != 0 &&
                strcmp(ops[j].listener, sides[routes[i].side]) != 0)
                fail_msg("%s %s is served on %s, described on \"%s\"", routes[i].method,
                         routes[i].pattern, sides[routes[i].side], ops[j].listener);
        }
        if (!found)
            fail_msg("%s %s is served but not in docs/api.yaml", routes[i].method,
                     routes[i].pattern);
    }
    for (size_t j = 0; j < n_ops; j++)
        if (!ops[j].served)
            fail_msg("docs/api.yaml describes %s %s, which is not served", ops[j].method,
                     ops[j].path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_document_and_table_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
