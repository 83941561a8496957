/* api ratelimit: token buckets by name, in a fixed table.
 *
 * Each name (a key id, a pi, a client address) has a bucket of burst
 * tokens refilled at rate per second.  The table has a fixed number of
 * buckets: a name not in it takes the bucket that was used longest ago,
 * which starts full again.  So memory is bounded whatever clients send;
 * a flood of names can only make the limits more lenient for old names,
 * never stricter. */
#include <stdlib.h>
#include <string.h>

#include "pirack/api.h"

struct bucket {
    char name[64];
    double tokens;
    uint64_t last_ms; /* refilled up to here; 0 = unused */
};

struct pr_ratelimit {
    double burst, rate;
    size_t n;
    struct bucket b[];
};

struct pr_ratelimit *pr_ratelimit_new(size_t buckets, double burst, double per_second)
{
    struct pr_ratelimit *rl;

    if (buckets == 0 || burst < 1 || per_second <= 0)
        return NULL;
    rl = calloc(1, sizeof(*rl) + buckets * sizeof(struct bucket));
    if (!rl)
        return NULL;
    rl->burst = burst;
    rl->rate = per_second;
    rl->n = buckets;
    return rl;
}

void pr_ratelimit_free(struct pr_ratelimit *rl)
{
    free(rl);
}

/* The bucket of name, refilled to now_ms; a new or recycled one is full. */
static struct bucket *find(struct pr_ratelimit *rl, const char *name, uint64_t now_ms)
{
    struct bucket *oldest = &rl->b[0];

    for (size_t i = 0; i < rl->n; i++) {
        struct bucket *b = &rl->b[i];
        if (b->last_ms && strncmp(b->name, name, sizeof(b->name) - 1) == 0) {
            if (now_ms > b->last_ms) {
                b->tokens += (double)(now_ms - b->last_ms) * rl->rate / 1000.0;
                if (b->tokens > rl->burst)
                    b->tokens = rl->burst;
                b->last_ms = now_ms;
            }
            return b;
        }
        if (b->last_ms < oldest->last_ms)
            oldest = b;
    }
    memset(oldest, 0, sizeof(*oldest));
    strncpy(oldest->name, name, sizeof(oldest->name) - 1);
    oldest->tokens = rl->burst;
    oldest->last_ms = now_ms ? now_ms : 1;
    return oldest;
}

/* Whole seconds until the bucket holds one token (at least 1). */
static unsigned wait_s(const struct pr_ratelimit *rl, const struct bucket *b)
{
    double s = (1.0 - b->tokens) / rl->rate;
    unsigned w = (unsigned)s;
    return w < s ? w + 1 : (w ? w : 1);
}

unsigned pr_ratelimit_take(struct pr_ratelimit *rl, const char *name, uint64_t now_ms)
{
    struct bucket *b = find(rl, name, now_ms);

    if (b->tokens >= 1.0) {
        b->tokens -= 1.0;
        return 0;
    }
    return wait_s(rl, b);
}

void pr_ratelimit_set(struct pr_ratelimit *rl, double burst, double per_second)
{
    if (!rl || burst < 1 || per_second <= 0 || (burst == rl->burst && per_second == rl->rate))
        return;
    rl->burst = burst;
    rl->rate = per_second;
    for (size_t i = 0; i < rl->n; i++)
        if (rl->b[i].tokens > burst)
            rl->b[i].tokens = burst;
}

unsigned pr_ratelimit_wait(struct pr_ratelimit *rl, const char *name, uint64_t now_ms)
{
    struct bucket *b = find(rl, name, now_ms);
    return b->tokens >= 1.0 ? 0 : wait_s(rl, b);
}
