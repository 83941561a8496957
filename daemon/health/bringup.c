/* health/bringup: the pure planner of a bring-up run: slots in, the next
 * power actions and each slot's outcome out.  See bringup_internal.h. */
#include <stdio.h>
#include <string.h>

#include "bringup_internal.h"

static const char *const phase_names[] = {
    [BU_PENDING] = "pending", [BU_OFF_SENT] = "off-sent",   [BU_OFF] = "off",
    [BU_ON_SENT] = "on-sent", [BU_WAIT_DHCP] = "wait-dhcp", [BU_WAIT_SERIAL] = "wait-serial",
    [BU_DONE] = "done",
};

static const char *const outcome_names[] = {
    [BU_OUT_NONE] = "",         [BU_OUT_NEW] = "new",           [BU_OUT_SAME] = "same",
    [BU_OUT_MOVED] = "moved",   [BU_OUT_REPLACED] = "replaced", [BU_OUT_EMPTY] = "empty",
    [BU_OUT_FAILED] = "failed",
};

const char *pr_bu_phase_name(enum bu_phase p)
{
    return p <= BU_DONE ? phase_names[p] : "?";
}

int pr_bu_phase_parse(const char *name)
{
    for (int i = 0; i <= BU_DONE; i++)
        if (!strcmp(name, phase_names[i]))
            return i;
    return -1;
}

const char *pr_bu_outcome_name(enum bu_outcome o)
{
    return o <= BU_OUT_FAILED ? outcome_names[o] : "?";
}

int pr_bu_outcome_parse(const char *name)
{
    for (int i = 0; i <= BU_OUT_FAILED; i++)
        if (!strcmp(name, outcome_names[i]))
            return i;
    return -1;
}

struct bu_slot *pr_bu_find(struct bu_run *r, unsigned slot)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->slots[i].slot == slot)
            return &r->slots[i];
    return NULL;
}

static void enter(struct bu_slot *s, enum bu_phase p, uint64_t now)
{
    s->phase = p;
    s->since_ms = now;
    s->dirty = true;
}

static void finish(struct bu_slot *s, enum bu_outcome o, uint64_t now)
{
    s->outcome = o;
    enter(s, BU_DONE, now);
}

static bool listening(const struct bu_slot *s)
{
    return s->phase == BU_ON_SENT || s->phase == BU_WAIT_DHCP;
}

/* ---- deadlines ---- */

static const char *detect_words(enum bu_detect d)
{
    switch (d) {
    case BU_DETECT_NONE:
        return "the switch detects no powered device on the port";
    case BU_DETECT_POWERING:
        return "the switch delivers power: a board that does not netboot?";
    default:
        return "the switch does not say whether the port powers anything";
    }
}

static void expire(struct bu_run *r, struct bu_slot *s, uint64_t now)
{
    uint64_t age = now - s->since_ms;

    if (s->phase == BU_WAIT_DHCP && s->detect == BU_DETECT_NONE && age >= r->empty_after_ms) {
        snprintf(s->detail, sizeof(s->detail), "no DHCP after %llu ms: %s", (unsigned long long)age,
                 detect_words(s->detect));
        s->off_wanted = true;
        finish(s, BU_OUT_EMPTY, now);
    } else if (s->phase == BU_WAIT_DHCP && age >= r->dhcp_deadline_ms) {
        snprintf(s->detail, sizeof(s->detail), "no DHCP within %llu s: %s",
                 (unsigned long long)(r->dhcp_deadline_ms / 1000), detect_words(s->detect));
        s->off_wanted = true;
        finish(s, BU_OUT_EMPTY, now);
    } else if (s->phase == BU_WAIT_SERIAL && age >= r->serial_deadline_ms) {
        size_t len = strlen(s->detail);

        snprintf(s->detail + len, sizeof(s->detail) - len, "%sno serial within %llu s",
                 len ? "; " : "", (unsigned long long)(r->serial_deadline_ms / 1000));
        enter(s, BU_DONE, now);
    }
}

/* ---- what to do next ---- */

static size_t push(struct bu_action *out, size_t cap, size_t n, enum bu_act_kind k, unsigned slot)
{
    if (n < cap)
        out[n] = (struct bu_action){ k, slot };
    return n + 1;
}

size_t pr_bu_next(struct bu_run *r, uint64_t now, struct bu_action *out, size_t cap)
{
    size_t n = 0;
    unsigned turning_off = 0, ears = 0;

    for (size_t i = 0; i < r->n; i++) {
        struct bu_slot *s = &r->slots[i];

        expire(r, s, now);
        turning_off += s->phase == BU_PENDING || s->phase == BU_OFF_SENT;
        ears += listening(s);
        if (s->phase == BU_PENDING || (s->phase == BU_DONE && s->off_wanted))
            n = push(out, cap, n, BU_ACT_OFF, s->slot);
    }
    /* Every slot of the run off before the first on: a board left on
     * would answer for whichever slot listens. */
    if (turning_off)
        return n < cap ? n : cap;
    for (size_t i = 0; i < r->n; i++) {
        struct bu_slot *s = &r->slots[i];

        if (s->phase != BU_OFF)
            continue;
        if (r->one_at_a_time && ears >= 1)
            break;
        n = push(out, cap, n, BU_ACT_ON, s->slot);
        ears++;
    }
    return n < cap ? n : cap;
}

void pr_bu_sent(struct bu_run *r, unsigned slot, enum bu_act_kind kind, uint64_t now)
{
    struct bu_slot *s = pr_bu_find(r, slot);

    if (!s)
        return;
    if (kind == BU_ACT_OFF && s->phase == BU_PENDING)
        enter(s, BU_OFF_SENT, now);
    else if (kind == BU_ACT_OFF && s->phase == BU_DONE)
        s->off_wanted = false;
    else if (kind == BU_ACT_ON && s->phase == BU_OFF)
        enter(s, BU_ON_SENT, now);
}

void pr_bu_power_done(struct bu_run *r, unsigned slot, enum bu_act_kind kind, bool ok,
                      const char *why, uint64_t now)
{
    struct bu_slot *s = pr_bu_find(r, slot);
    enum bu_phase want = kind == BU_ACT_OFF ? BU_OFF_SENT : BU_ON_SENT;

    if (!s || s->phase != want)
        return; /* an off for an empty port, or a board that answered first */
    if (!ok) {
        snprintf(s->detail, sizeof(s->detail), "power %s failed: %s",
                 kind == BU_ACT_OFF ? "off" : "on", why ? why : "?");
        finish(s, BU_OUT_FAILED, now);
        return;
    }
    enter(s, kind == BU_ACT_OFF ? BU_OFF : BU_WAIT_DHCP, now);
}

void pr_bu_power_nothing(struct bu_run *r, unsigned slot, const char *why, uint64_t now)
{
    struct bu_slot *s = pr_bu_find(r, slot);

    if (!s || s->phase != BU_ON_SENT)
        return;
    snprintf(s->detail, sizeof(s->detail), "power on: %s (%s)", detect_words(BU_DETECT_NONE),
             why ? why : "?");
    s->off_wanted = true; /* the switch left the port on, searching */
    finish(s, BU_OUT_EMPTY, now);
}

void pr_bu_detect(struct bu_run *r, unsigned slot, enum bu_detect d)
{
    struct bu_slot *s = pr_bu_find(r, slot);

    if (s && s->phase == BU_WAIT_DHCP)
        s->detect = d;
}

unsigned pr_bu_listening(const struct bu_run *r)
{
    unsigned found = 0;

    if (!r->one_at_a_time)
        return 0;
    for (size_t i = 0; i < r->n; i++) {
        if (!listening(&r->slots[i]))
            continue;
        if (found)
            return 0; /* two listen: an unknown board could be either's */
        found = r->slots[i].slot;
    }
    return found;
}

unsigned pr_bu_claim(const struct bu_run *r, const char *mac, unsigned slot_now)
{
    unsigned ear = pr_bu_listening(r);

    if (!ear || slot_now == 0 || slot_now == ear)
        return ear;
    for (size_t i = 0; i < r->n; i++) {
        const struct bu_slot *s = &r->slots[i];

        if (s->slot != slot_now)
            continue;
        if (!strcmp(s->mac, mac))
            return 0; /* learned there in this run: it is there, booting on */
        /* Off, or found empty, or holding another board: not there. */
        return s->phase == BU_DONE && s->outcome == BU_OUT_FAILED ? 0 : ear;
    }
    return 0; /* a slot outside the run: its board may well be on */
}

bool pr_bu_wants_board(const struct bu_run *r, unsigned slot)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->slots[i].slot == slot)
            return listening(&r->slots[i]);
    return false;
}

/* Where the board was when the run began: the run's own record first
 * (the store forgets a board's old slot once it moves), then the store. */
static unsigned was_in(const struct bu_run *r, unsigned slot, const char *mac, unsigned slot_now)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->slots[i].slot != slot && !strcmp(r->slots[i].was_mac, mac))
            return r->slots[i].slot;
    return slot_now != slot ? slot_now : 0;
}

enum bu_outcome pr_bu_learn(struct bu_run *r, unsigned slot, const char *mac, const char *model,
                            const char *serial, unsigned slot_now, uint64_t now)
{
    struct bu_slot *s = pr_bu_find(r, slot);
    unsigned from;

    if (!s || !listening(s))
        return BU_OUT_NONE;
    snprintf(s->mac, sizeof(s->mac), "%s", mac);
    snprintf(s->model, sizeof(s->model), "%s", model ? model : "");
    snprintf(s->serial, sizeof(s->serial), "%s", serial ? serial : "");
    from = was_in(r, slot, mac, slot_now);
    if (!strcmp(s->was_mac, mac)) {
        s->outcome = BU_OUT_SAME;
        s->detail[0] = '\0';
    } else if (from) {
        s->outcome = BU_OUT_MOVED;
        s->from_slot = from;
        snprintf(s->detail, sizeof(s->detail), "board %s was in slot %u", mac, from);
    } else if (s->was_mac[0]) {
        s->outcome = BU_OUT_REPLACED;
        snprintf(s->detail, sizeof(s->detail), "board %s replaces %s", mac, s->was_mac);
    } else {
        s->outcome = BU_OUT_NEW;
        s->detail[0] = '\0';
    }
    enter(s, s->serial[0] ? BU_DONE : BU_WAIT_SERIAL, now);
    return s->outcome;
}

void pr_bu_serial(struct bu_run *r, unsigned slot, const char *serial, uint64_t now)
{
    struct bu_slot *s = pr_bu_find(r, slot);

    if (!s || s->phase != BU_WAIT_SERIAL || !serial[0])
        return;
    snprintf(s->serial, sizeof(s->serial), "%s", serial);
    enter(s, BU_DONE, now);
}

void pr_bu_resume(struct bu_run *r, uint64_t now)
{
    for (size_t i = 0; i < r->n; i++) {
        struct bu_slot *s = &r->slots[i];

        if (s->phase == BU_OFF_SENT || s->phase == BU_ON_SENT || s->phase == BU_WAIT_DHCP) {
            s->detect = BU_DETECT_UNKNOWN;
            enter(s, BU_PENDING, now);
        } else if (s->phase == BU_WAIT_SERIAL) {
            s->since_ms = now;
        }
    }
}

bool pr_bu_finished(const struct bu_run *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->slots[i].phase != BU_DONE || r->slots[i].off_wanted)
            return false;
    return true;
}

unsigned pr_bu_swapped_with(const struct bu_run *r, unsigned slot)
{
    const struct bu_slot *s = NULL, *o = NULL;

    for (size_t i = 0; i < r->n; i++)
        if (r->slots[i].slot == slot)
            s = &r->slots[i];
    if (!s || s->outcome != BU_OUT_MOVED)
        return 0;
    for (size_t i = 0; i < r->n; i++)
        if (r->slots[i].slot == s->from_slot)
            o = &r->slots[i];
    return o && o->outcome == BU_OUT_MOVED && o->from_slot == slot ? o->slot : 0;
}

void pr_bu_count(const struct bu_run *r, struct bu_counts *c)
{
    memset(c, 0, sizeof(*c));
    c->total = (unsigned)r->n;
    for (size_t i = 0; i < r->n; i++) {
        const struct bu_slot *s = &r->slots[i];
        unsigned other = pr_bu_swapped_with(r, s->slot);

        c->done += s->phase == BU_DONE;
        c->new_ += s->outcome == BU_OUT_NEW;
        c->same += s->outcome == BU_OUT_SAME;
        c->moved += s->outcome == BU_OUT_MOVED;
        c->replaced += s->outcome == BU_OUT_REPLACED;
        c->empty += s->outcome == BU_OUT_EMPTY;
        c->failed += s->outcome == BU_OUT_FAILED;
        c->swapped_pairs += other > s->slot;
    }
}
