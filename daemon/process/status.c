/* status: the rack in one line for systemd (sd_notify STATUS=), so that
 * `systemctl status pirackd` shows how many Pis are up and how many
 * failed.  Counted from the store every STATUS_EVERY_MS and sent only
 * when the line changed. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "daemon/daemon.h"

#define STATUS_EVERY_MS 2000

struct tally {
    unsigned total, booted, failed, quarantined, off, booting;
};

static int count(const char *state, unsigned n, void *ctx)
{
    struct tally *t = ctx;

    t->total += n;
    if (!strcmp(state, "booted") || !strcmp(state, "up"))
        t->booted += n;
    else if (!strcmp(state, "failed") || !strcmp(state, "unhealthy"))
        t->failed += n;
    else if (!strcmp(state, "quarantined"))
        t->quarantined += n;
    else if (!strcmp(state, "off"))
        t->off += n;
    else
        t->booting += n; /* powered, dhcp, firmware, kernel */
    return 0;
}

/* "rack r1: 12 slots, isolated mode; 9 booted, 1 failed, 2 booting, 0 off"
 * and, after a reload, "; reloaded" or "; reload refused, see the journal". */
static void status_line(const struct pr_daemon *d, const struct tally *t, char *buf, size_t len)
{
    int n =
        snprintf(buf, len, "rack %s: %u slots, %s mode; %u booted, %u failed, %u booting, %u off",
                 d->cfg->rack_name, t->total, d->cfg->isolated ? "isolated" : "flat", t->booted,
                 t->failed, t->booting, t->off);

    if (t->quarantined && n > 0 && (size_t)n < len)
        n += snprintf(buf + n, len - (size_t)n, ", %u quarantined", t->quarantined);
    if (d->status_note[0] && n > 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, "; %s", d->status_note);
}

static void update(void *ctx)
{
    struct pr_daemon *d = ctx;
    struct tally t = { 0 };
    char line[sizeof(d->status_sent)], msg[sizeof(line) + 8];

    if (pr_store_count_by_state(d->store, count, &t) < 0)
        return;
    status_line(d, &t, line, sizeof(line));
    if (!strcmp(line, d->status_sent))
        return;
    snprintf(d->status_sent, sizeof(d->status_sent), "%s", line);
    snprintf(msg, sizeof(msg), "STATUS=%s", line);
    sd_notify(0, msg);
}

int pr_status_start(struct pr_daemon *d)
{
    d->status_timer = pr_timer_new(d->loop, update, d);
    if (!d->status_timer)
        return -ENOMEM;
    d->status_sent[0] = '\0';
    update(d);
    return pr_timer_arm(d->status_timer, STATUS_EVERY_MS, STATUS_EVERY_MS);
}

void pr_status_stop(struct pr_daemon *d)
{
    pr_timer_free(d->status_timer);
    d->status_timer = NULL;
}

void pr_status_note(struct pr_daemon *d, const char *note)
{
    snprintf(d->status_note, sizeof(d->status_note), "%s", note ? note : "");
    if (d->status_timer)
        update(d);
}
