/* core/log: levelled lines on stderr; systemd's journal adds the time. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>

#include "pirack/log.h"
#include "core_internal.h"

static enum pr_log_level current_level = PR_LOG_INFO;

static const char *const level_names[] = {
    [PR_LOG_ERR] = "error",
    [PR_LOG_WARN] = "warn",
    [PR_LOG_INFO] = "info",
    [PR_LOG_DEBUG] = "debug",
};

/* sd-daemon(3) priority prefixes, so journald files each line right:
 * only when stderr is the journal (JOURNAL_STREAM names it), and then
 * without the level word, which the journal shows from the priority. */
static const char *const level_prefix[] = {
    [PR_LOG_ERR] = "<3>",
    [PR_LOG_WARN] = "<4>",
    [PR_LOG_INFO] = "<6>",
    [PR_LOG_DEBUG] = "<7>",
};

/* JOURNAL_STREAM is "DEV:INO" of the stream systemd connected to the
 * journal; stderr may have been redirected since (a shell in ExecStart). */
bool pr_log_to_journal(void)
{
    static int known = -1;
    const char *js;
    unsigned long long dev, ino;
    struct stat st;

    if (known >= 0)
        return known;
    js = getenv("JOURNAL_STREAM");
    known = js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
            (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
    return known;
}

void pr_log_set_level(enum pr_log_level level)
{
    current_level = level;
    (void)pr_log_to_journal(); /* decided here, before any worker logs */
}

bool pr_log_enabled(enum pr_log_level level)
{
    return level <= current_level;
}

int pr_log_level_parse(const char *name)
{
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
        if (strcasecmp(name, level_names[i]) == 0)
            return (int)i;
    return -1;
}

void pr_log(enum pr_log_level level, const char *fmt, ...)
{
    char line[2048];
    va_list ap;

    if (level > current_level)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    /* One write per line, so lines from workers never interleave. */
    if (pr_log_to_journal())
        fprintf(stderr, "%s%s\n", level_prefix[level], line);
    else
        fprintf(stderr, "%s: %s\n", level_names[level], line);
}

char *pr_escape(const void *src, size_t len, char *out, size_t outlen)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = src;
    size_t o = 0;

    if (outlen == 0)
        return out;
    for (size_t i = 0; i < len; i++) {
        char esc[5];
        size_t n = 0;
        unsigned char c = s[i];

        if (c == '\n') {
            esc[n++] = '\\';
            esc[n++] = 'n';
        } else if (c == '\t') {
            esc[n++] = '\\';
            esc[n++] = 't';
        } else if (c == '\\' || c == '"') {
            esc[n++] = '\\';
            esc[n++] = (char)c;
        } else if (c >= 0x20 && c <= 0x7e) {
            esc[n++] = (char)c;
        } else {
            esc[n++] = '\\';
            esc[n++] = 'x';
            esc[n++] = hex[c >> 4];
            esc[n++] = hex[c & 15];
        }

        if (o + n + 4 > outlen) { /* keep room for "..." and NUL */
            if (outlen >= 4) {
                memcpy(out + (o < outlen - 4 ? o : outlen - 4), "...", 4);
                return out;
            }
            break;
        }
        memcpy(out + o, esc, n);
        o += n;
    }
    out[o < outlen ? o : outlen - 1] = '\0';
    return out;
}

char *pr_mac_format(const uint8_t mac[6], char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 6; i++) {
        out[i * 3] = hex[mac[i] >> 4];
        out[i * 3 + 1] = hex[mac[i] & 15];
        out[i * 3 + 2] = i == 5 ? '\0' : ':';
    }
    return out;
}

void pr_log_event(long long id, unsigned slot, const char *kind, const char *actor,
                  const char *detail)
{
    char esc[512];

    if (!pr_log_enabled(PR_LOG_DEBUG))
        return;
    pr_escape(detail ? detail : "", detail ? strlen(detail) : 0, esc, sizeof(esc));
    /* Under systemd, an entry with fields to select on:
     *   journalctl -u pirackd PIRACK_SLOT=7 PIRACK_EVENT=boot.failed */
    if (!pr_log_to_journal() ||
        sd_journal_send("MESSAGE=event %lld slot %u %s %s", id, slot, kind, esc, "PRIORITY=7",
                        "PIRACK_EVENT_ID=%lld", id, "PIRACK_SLOT=%u", slot, "PIRACK_EVENT=%s", kind,
                        "PIRACK_ACTOR=%s", actor ? actor : "", "PIRACK_DETAIL=%s", esc, NULL) < 0)
        pr_debug("event %lld slot %u %s %s", id, slot, kind, esc);
}
