/* api_util: small pure helpers of the api module. */
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

json_t *pr_api_error_body(const char *error, const char *detail)
{
    /* "s?" would drop a NULL detail; an absent detail is still a string. */
    return json_pack("{s:s, s:s}", "error", error ? error : "error",
                     "detail", detail ? detail : "");
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
