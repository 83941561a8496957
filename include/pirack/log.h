/* log: levelled logging to stderr for the daemon's edges.
 *
 * Library code (tftp/, poe/, the codecs) never logs: it returns errors and
 * the daemon logs once, at the boundary.  Anything that came from the
 * network or a user goes through pr_escape() before it reaches a log line,
 * so a hostile name cannot forge lines or terminal escapes. */
#ifndef PIRACK_LOG_H
#define PIRACK_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pr_log_level {
    PR_LOG_ERR,
    PR_LOG_WARN,
    PR_LOG_INFO,
    PR_LOG_DEBUG
};

/* Decides, once and before any thread starts, whether stderr is the
 * journal (then lines are "<N>message", else "level: message"). */
void pr_log_init(void);
void pr_log_set_level(enum pr_log_level level);
/* Parses "error", "warn", "info", "debug"; returns -1 on anything else. */
int pr_log_level_parse(const char *name);
void pr_log(enum pr_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Copies src (len bytes, may hold NULs) into out as printable ASCII:
 * \n, \t, \\, \" and \xNN for everything else outside 0x20..0x7e.  Always
 * NUL-terminates; truncates with "..." when out is too small.  Returns out. */
char *pr_escape(const void *src, size_t len, char *out, size_t outlen);

#define pr_err(...) pr_log(PR_LOG_ERR, __VA_ARGS__)
#define pr_warn(...) pr_log(PR_LOG_WARN, __VA_ARGS__)
#define pr_info(...) pr_log(PR_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) pr_log(PR_LOG_DEBUG, __VA_ARGS__)

/* An event the store recorded (slot 0: the rack; detail a JSON object's
 * text or NULL): with the journal, sent there at info priority with the
 * fields PIRACK_EVENT, PIRACK_SLOT, PIRACK_ACTOR, PIRACK_EVENT_ID and
 * PIRACK_DETAIL; otherwise a debug line. */
void pr_log_event(int64_t id, unsigned slot, const char *kind, const char *actor,
                  const char *detail);

/* Formats a MAC as "aa:bb:cc:dd:ee:ff" (out >= 18 bytes); returns out. */
char *pr_mac_format(const uint8_t mac[6], char *out);

#endif
