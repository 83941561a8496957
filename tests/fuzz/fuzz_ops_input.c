/* Fuzzes what an operator's request hands to the ops routes and /metrics:
 * the input is taken as a MAC, as a pi name, and as a label value and help
 * text for the metrics writer.
 *   - a MAC that parses comes out as 17 bytes "aa:bb:cc:dd:ee:ff" in lower
 *     case, and parses again to itself;
 *   - pr_api_name_problem() gives a reason exactly when the plan refuses
 *     the name;
 *   - whatever the bytes, the metrics text has exactly the lines it should
 *     (HELP, TYPE, one sample): escaping never lets a value start a line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api/api_internal.h"
#include "pirack/metrics.h"
#include "pirack/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_mac(const char *s)
{
    char out[18], again[18];

    if (pr_api_parse_mac(s, out) < 0)
        return;
    if (strlen(out) != 17)
        abort();
    for (int i = 0; i < 17; i++) {
        char c = out[i];
        if (i % 3 == 2 ? c != ':' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            abort();
    }
    if (pr_api_parse_mac(out, again) < 0 || strcmp(out, again) != 0)
        abort();
}

static int collect(struct pr_metrics_out *out, void *ctx)
{
    return pr_metrics_sample(out, (const char *const[]){ ctx }, 1);
}

static void check_metrics(const char *s)
{
    static const char *const label[] = { "v", NULL };
    struct pr_metric_desc desc = { "fuzz_total", s, PR_METRIC_COUNTER, label };
    struct pr_metrics *m = pr_metrics_new();
    char *text = NULL;
    size_t len = 0, lines = 0;

    if (!m || pr_metrics_register(m, &desc, collect, (void *)s) < 0)
        abort();
    if (pr_metrics_render(m, &text, &len, NULL, 0) < 0)
        abort();
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    if (lines != 3 || strlen(text) != len || text[len - 1] != '\n')
        abort();
    if (strncmp(text, "# HELP fuzz_total ", 18) != 0 || !strstr(text, "\nfuzz_total{v=\""))
        abort();
    free(text);
    pr_metrics_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char s[256];

    if (size >= sizeof(s))
        size = sizeof(s) - 1;
    memcpy(s, data, size);
    s[size] = '\0';
    check_mac(s);
    if ((pr_api_name_problem(s) == NULL) != pr_plan_name_valid(s))
        abort();
    check_metrics(s);
    return 0;
}
