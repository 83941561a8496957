/* status: the rack in one line for systemd (sd_notify STATUS=), so that
 * `systemctl status pirackd` shows how many Pis are up and how many
 * failed.  Counted from the store every STATUS_EVERY_MS and sent only
 * when the line changed. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "daemon.h"

#define STATUS_EVERY_MS 2000

struct tally {
    unsigned total, booted, failed, quarantined, off, booting;
};

static int count(const char *state, unsigned n, void *ctx)
{
    struct tally *t = ctx;

    t->total += n;
    if (!strcmp(state, "booted"))
        t->booted += n;
    else if (!strcmp(state, "failed"))
        t->failed += n;
    else if (!strcmp(state, "quarantined"))
        t->quarantined += n;
    else if (!strcmp(state, "off"))
        t->off += n;
    else
        t->booting += n; /* powered, dhcp, firmware, kernel */
    return 0;
}

/* "12 slots: 9 booted, 1 failed, 2 booting, 0 off" */
static void status_line(const struct tally *t, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%u slots: %u booted, %u failed, %u booting, %u off", t->total,
                     t->booted, t->failed, t->booting, t->off);

    if (t->quarantined && n > 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, ", %u quarantined", t->quarantined);
}

static void update(void *ctx)
{
    struct pr_daemon *d = ctx;
    struct tally t = { 0 };
    char line[160], msg[176];

    if (pr_store_count_by_state(d->store, count, &t) < 0)
        return;
    status_line(&t, line, sizeof(line));
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
