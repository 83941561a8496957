/* format: times, durations and JSON fields for people. */
#include <stdio.h>
#include <time.h>

#include "cli.h"

char *cli_fmt_time(int64_t unix_ms, char *out, size_t outlen)
{
    time_t t = (time_t)(unix_ms / 1000);
    struct tm tm;

    if (unix_ms <= 0 || !localtime_r(&t, &tm) ||
        strftime(out, outlen, "%Y-%m-%d %H:%M:%S", &tm) == 0)
        snprintf(out, outlen, "-");
    return out;
}

char *cli_fmt_duration(int64_t s, char *out, size_t outlen)
{
    long long d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60, sec = s % 60;

    if (s < 0)
        snprintf(out, outlen, "-");
    else if (d > 0)
        snprintf(out, outlen, "%lldd %lldh", d, h);
    else if (h > 0)
        snprintf(out, outlen, "%lldh %lldm", h, m);
    else if (m > 0)
        snprintf(out, outlen, "%lldm %llds", m, sec);
    else
        snprintf(out, outlen, "%llds", sec);
    return out;
}

const char *cli_json_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

int64_t cli_json_int(const json_t *obj, const char *key, int64_t dflt)
{
    const json_t *v = json_object_get(obj, key);

    return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}
