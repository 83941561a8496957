/* core/log: levelled lines on stderr; systemd's journal adds the time.
 *
 * Two shapes, decided once by pr_log_init(): when stderr is the journal's
 * stream (JOURNAL_STREAM names its device and inode, systemd.exec(5)) each
 * line is "<N>message", the sd-daemon(3) priority prefix that journald
 * reads and strips; anywhere else (a terminal, a test's log file) it is
 * "level: message", since nothing there would strip a "<N>".  Events go
 * to the journal through sd_journal_send() with fields of their own. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>
#define SD_JOURNAL_SUPPRESS_LOCATION /* the fields say where; CODE_LINE would be log.c's */
#include <systemd/sd-journal.h>

#include "pirack/log.h"
#include "core_internal.h"

static enum pr_log_level current_level = PR_LOG_INFO;
static bool to_journal; /* set once by pr_log_init(), before any thread */

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

bool pr_log_journal_stream_matches(const char *journal_stream, uint64_t dev, uint64_t ino)
{
    unsigned long long d, i;
    char *end;

    if (!journal_stream || !*journal_stream || *journal_stream < '0' || *journal_stream > '9')
        return false;
    errno = 0;
    d = strtoull(journal_stream, &end, 10);
    if (errno || *end != ':' || end[1] < '0' || end[1] > '9')
        return false;
    i = strtoull(end + 1, &end, 10);
    if (errno || *end)
        return false;
    return d == dev && i == ino;
}

void pr_log_init(void)
{
    struct stat st;

    to_journal = fstat(STDERR_FILENO, &st) == 0 &&
                 pr_log_journal_stream_matches(getenv("JOURNAL_STREAM"), (uint64_t)st.st_dev,
                                               (uint64_t)st.st_ino);
}

bool pr_log_to_journal(void)
{
    return to_journal;
}

void pr_log_set_level(enum pr_log_level level)
{
    current_level = level;
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
    if (to_journal)
        fprintf(stderr, "%s%s\n", level_prefix[level], line);
    else
        fprintf(stderr, "%s: %s\n", level_names[level], line);
}

void pr_log_event(int64_t id, unsigned slot, const char *kind, const char *actor,
                  const char *detail)
{
    char esc[512] = "";

    if (detail)
        pr_escape(detail, strlen(detail), esc, sizeof(esc));
    if (!to_journal) {
        pr_debug("event %" PRId64 " slot %u %s by %s%s%s", id, slot, kind, actor, detail ? " " : "",
                 esc);
        return;
    }
    if (current_level < PR_LOG_INFO)
        return;
    /* The audit log's copy in the journal, so that journalctl
     * PIRACK_SLOT=17 or PIRACK_EVENT=boot.failed finds it. */
    sd_journal_send("MESSAGE=event %" PRId64 ": slot %u %s by %s%s%s", id, slot, kind, actor,
                    detail ? " " : "", esc, "PRIORITY=%d", LOG_INFO, "SYSLOG_IDENTIFIER=pirackd",
                    "PIRACK_EVENT=%s", kind, "PIRACK_SLOT=%u", slot, "PIRACK_ACTOR=%s", actor,
                    "PIRACK_EVENT_ID=%" PRId64, id, "PIRACK_DETAIL=%s", detail ? detail : "{}",
                    NULL);
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
