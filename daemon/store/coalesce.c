/* store/coalesce: how many rows a packet may add to the event log.
 *
 * Events that a packet causes (a DHCP reply, a board seen, a TFTP file or
 * refusal, a boot step) are recorded one row each only up to a budget per
 * slot and kind and per slot in each window of PR_COALESCE_WINDOW_MS; past
 * it they are counted, and when the window ends the count and its time
 * span become one "events.coalesced" row.  So whatever a slot's Pi sends,
 * it adds at most slot_budget rows plus one summary per kind a minute.
 *
 * The table is keyed by slot and kind.  Slots come from the plan and kinds
 * from the code, never from a packet's bytes, so it grows to at most
 * (slots + 1) x PR_COALESCE_KINDS entries and nothing is ever evicted: a
 * flood cannot push a key out to start its budget afresh.  Pure: the
 * caller says what time it is. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

struct coalesce_kind {
    char kind[32];
    uint64_t window_ms; /* start of this kind's window */
    unsigned rows;      /* recorded in this window */
    unsigned held;      /* counted, not recorded, in this window */
    uint64_t first_held_ms, last_held_ms;
};

struct coalesce_slot {
    uint64_t window_ms;
    unsigned rows;
    unsigned nkinds;
    struct coalesce_kind kinds[PR_COALESCE_KINDS];
};

struct pr_coalesce {
    struct pr_coalesce_limits lim;
    unsigned nslots; /* slots[0] is the rack */
    struct coalesce_slot *slots;
    uint64_t next_due_ms; /* no summary is due before this */
};

struct pr_coalesce *pr_coalesce_new(const struct pr_coalesce_limits *lim)
{
    struct pr_coalesce *c = calloc(1, sizeof(*c));
    if (c) {
        c->lim = *lim;
        c->next_due_ms = UINT64_MAX;
    }
    return c;
}

void pr_coalesce_free(struct pr_coalesce *c)
{
    if (c)
        free(c->slots);
    free(c);
}

void pr_coalesce_set_rack_budget(struct pr_coalesce *c, unsigned budget)
{
    c->lim.rack_budget = budget;
}

static struct coalesce_slot *slot_entry(struct pr_coalesce *c, unsigned slot)
{
    if (slot > PR_COALESCE_SLOT_MAX)
        return NULL;
    if (slot >= c->nslots) {
        struct coalesce_slot *s = realloc(c->slots, (slot + 1) * sizeof(*s));
        if (!s)
            return NULL;
        memset(&s[c->nslots], 0, (slot + 1 - c->nslots) * sizeof(*s));
        c->slots = s;
        c->nslots = slot + 1;
    }
    return &c->slots[slot];
}

/* The kind's entry; the last one stands for every kind past the table's
 * size (the code has far fewer kinds, so this only keeps it bounded). */
static struct coalesce_kind *kind_entry(struct coalesce_slot *s, const char *kind)
{
    for (unsigned i = 0; i < s->nkinds; i++)
        if (strcmp(s->kinds[i].kind, kind) == 0)
            return &s->kinds[i];
    if (s->nkinds == PR_COALESCE_KINDS)
        return &s->kinds[PR_COALESCE_KINDS - 1];
    struct coalesce_kind *k = &s->kinds[s->nkinds++];
    memset(k, 0, sizeof(*k));
    strncpy(k->kind, kind, sizeof(k->kind) - 1);
    return k;
}

static bool window_over(uint64_t start, uint64_t now)
{
    return now - start >= PR_COALESCE_WINDOW_MS;
}

int pr_coalesce_admit(struct pr_coalesce *c, unsigned slot, const char *kind, uint64_t now)
{
    struct coalesce_slot *s = slot_entry(c, slot);
    if (!s)
        return -ENOMEM;
    struct coalesce_kind *k = kind_entry(s, kind);
    if (s->window_ms == 0 || window_over(s->window_ms, now)) {
        s->window_ms = now;
        s->rows = 0;
    }
    /* a kind with a count still held keeps its window until it is
     * summarised (pr_coalesce_due), so that no count is lost */
    if ((k->window_ms == 0 || window_over(k->window_ms, now)) && k->held == 0) {
        k->window_ms = now;
        k->rows = 0;
    }
    unsigned budget = slot ? c->lim.slot_budget : c->lim.rack_budget;
    if (k->held == 0 && k->rows < c->lim.kind_budget && s->rows < budget) {
        k->rows++;
        s->rows++;
        return PR_COALESCE_RECORD;
    }
    if (k->held++ == 0) {
        k->first_held_ms = now;
        uint64_t due = k->window_ms + PR_COALESCE_WINDOW_MS;
        if (due < c->next_due_ms)
            c->next_due_ms = due;
    }
    k->last_held_ms = now;
    return PR_COALESCE_HOLD;
}

/* Finds one held count whose window is over, hands it out and starts its
 * kind afresh.  Returns 1 with *out filled, or 0 when none is due. */
int pr_coalesce_due(struct pr_coalesce *c, uint64_t now, bool all, struct pr_coalesce_summary *out)
{
    if (!all && now < c->next_due_ms)
        return 0;
    uint64_t next = UINT64_MAX;
    for (unsigned i = 0; i < c->nslots; i++) {
        struct coalesce_slot *s = &c->slots[i];
        for (unsigned j = 0; j < s->nkinds; j++) {
            struct coalesce_kind *k = &s->kinds[j];
            if (k->held == 0)
                continue;
            if (all || window_over(k->window_ms, now)) {
                out->slot = i;
                memcpy(out->kind, k->kind, sizeof(out->kind));
                out->count = k->held;
                out->first_ms = k->first_held_ms;
                out->last_ms = k->last_held_ms;
                k->held = 0;
                k->window_ms = now;
                k->rows = 0;
                return 1;
            }
            uint64_t due = k->window_ms + PR_COALESCE_WINDOW_MS;
            if (due < next)
                next = due;
        }
    }
    c->next_due_ms = next;
    return 0;
}
