/* api/util: small pure helpers of the api module. */
#include "daemon/api/api_internal.h"
#include "pirack/api.h"
#include "api_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int pr_api_parse_uint(const char *s, int64_t min, int64_t max, int64_t *out)
{
    int64_t v = 0;

    if (!s || !*s || min < 0 || (s[0] == '0' && s[1] != '\0'))
        return -EINVAL;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return -EINVAL;
        if (v > (INT64_MAX - (*p - '0')) / 10)
            return -EINVAL;
        v = v * 10 + (*p - '0');
    }
    if (v < min || v > max)
        return -EINVAL;
    *out = v;
    return 0;
}

static const struct {
    const char *word;
    unsigned status;
} errors[PR_API_ERR__COUNT] = {
    [PR_API_ERR_BAD_REQUEST] = { "bad-request", 400 },
    [PR_API_ERR_BAD_NAME] = { "bad-name", 400 },
    [PR_API_ERR_FORBIDDEN] = { "forbidden", 403 },
    [PR_API_ERR_NOT_FOUND] = { "not-found", 404 },
    [PR_API_ERR_NO_SUCH_SLOT] = { "no-such-slot", 404 },
    [PR_API_ERR_NO_BOARD] = { "no-board", 404 },
    [PR_API_ERR_NO_SUCH_CUSTOMER] = { "no-such-customer", 404 },
    [PR_API_ERR_NO_SUCH_KEY] = { "no-such-key", 404 },
    [PR_API_ERR_NO_SUCH_IMAGE] = { "no-such-image", 404 },
    [PR_API_ERR_METHOD_NOT_ALLOWED] = { "method-not-allowed", 405 },
    [PR_API_ERR_CONFLICT] = { "conflict", 409 },
    [PR_API_ERR_NAME_TAKEN] = { "name-taken", 409 },
    [PR_API_ERR_EXISTS] = { "exists", 409 },
    [PR_API_ERR_IN_USE] = { "in-use", 409 },
    [PR_API_ERR_BUSY] = { "busy", 409 },
    [PR_API_ERR_NO_SWITCH] = { "no-switch", 409 },
    [PR_API_ERR_POWER_BUDGET] = { "power-budget", 409 },
    [PR_API_ERR_TOO_LARGE] = { "too-large", 413 },
    [PR_API_ERR_URI_TOO_LONG] = { "uri-too-long", 414 },
    [PR_API_ERR_INTERNAL] = { "internal", 500 },
    [PR_API_ERR_UNAVAILABLE] = { "unavailable", 503 },
};

const char *pr_api_error_word(enum pr_api_error error)
{
    return (unsigned)error < PR_API_ERR__COUNT ? errors[error].word : NULL;
}

unsigned pr_api_error_status(enum pr_api_error error)
{
    return (unsigned)error < PR_API_ERR__COUNT ? errors[error].status : 500;
}

int pr_api_error_parse(const char *word)
{
    for (int i = 0; word && i < PR_API_ERR__COUNT; i++)
        if (strcmp(errors[i].word, word) == 0)
            return i;
    return -1;
}

json_t *pr_api_error_body(const char *error, const char *detail)
{
    /* "s?" would drop a NULL detail; an absent detail is still a string. */
    return json_pack("{s:s, s:s}", "error", error ? error : "error", "detail",
                     detail ? detail : "");
}

char *pr_api_printable(const char *s, char *out, size_t outlen)
{
    size_t o = 0;

    if (outlen == 0)
        return out;
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        char esc[5];
        size_t n;

        if (*p >= 0x20 && *p < 0x7f && *p != '\\') {
            esc[0] = (char)*p;
            n = 1;
        } else {
            snprintf(esc, sizeof(esc), "\\x%02x", *p);
            n = 4;
        }
        if (o + n + 1 > outlen) {
            /* Truncated: end on "..." where it fits. */
            size_t keep = outlen > 4 ? outlen - 4 : 0;
            if (o > keep)
                o = keep;
            if (outlen > 4) {
                memcpy(out + o, "...", 3);
                o += 3;
            }
            break;
        }
        memcpy(out + o, esc, n);
        o += n;
    }
    out[o] = '\0';
    return out;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int pr_api_parse_mac(const char *s, char out[18])
{
    static const char digits[] = "0123456789abcdef";
    char sep;

    if (!s || strlen(s) != 17)
        return -EINVAL;
    sep = s[2];
    if (sep != ':' && sep != '-')
        return -EINVAL;
    for (int i = 0; i < 17; i += 3) {
        int hi = hex_value(s[i]), lo = hex_value(s[i + 1]);

        if (hi < 0 || lo < 0 || (i + 2 < 17 && s[i + 2] != sep))
            return -EINVAL;
        out[i] = digits[hi];
        out[i + 1] = digits[lo];
        out[i + 2] = i + 2 < 17 ? ':' : '\0';
    }
    return 0;
}

const char *pr_api_name_problem(const char *name)
{
    size_t n = name ? strlen(name) : 0;

    if (n == 0)
        return "a pi name cannot be empty";
    if (n > 63)
        return "a pi name has at most 63 characters (one DNS label)";
    for (size_t i = 0; i < n; i++) {
        char c = name[i];

        if (c >= 'A' && c <= 'Z')
            return "a pi name is lower case (it is a DNS label)";
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return "a pi name holds only a-z, 0-9 and '-' (it is a DNS label)";
    }
    if (name[0] == '-' || name[n - 1] == '-')
        return "a pi name cannot start or end with '-'";
    return NULL;
}
