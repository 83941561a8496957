/* api/admit: who may open one more connection to a listener.
 *
 * libmicrohttpd alone takes the first 64 connections and keeps an idle one
 * for 30 s, so one client holding 64 idle sockets locks everyone out.  The
 * listener accepts connections itself and asks here first: each peer (a
 * process on the Unix socket, an address on TCP) may hold at most
 * per_peer connections, all peers together at most limit, and when a
 * limit is reached the oldest connection with no request in progress (idle,
 * or still sending its headers) is shed to make room, so a new client is
 * answered while anyone who only holds sockets loses them.
 *
 * libmicrohttpd's timeout is an idle one: a client that sends one byte of
 * its headers every few seconds keeps its connection for ever.  So a
 * connection also has a header deadline: from its admission, and again
 * from the end of each answer, it must have sent a whole request's
 * headers within so many seconds or it is shed (pr_api_admit_overdue);
 * while a request is in progress MHD's idle timeout governs.  Pure: it
 * never touches a socket; the caller shuts down what it is told to shed. */
#include <string.h>

#include "api_internal.h"

static bool same_peer(const struct pr_api_peer *a, const struct pr_api_peer *b)
{
    return a->family == b->family && memcmp(a->id, b->id, sizeof(a->id)) == 0;
}

void pr_api_admit_init(struct pr_api_admit *a, unsigned limit, unsigned per_peer)
{
    memset(a, 0, sizeof(*a));
    a->limit = limit < PR_API_ADMIT_SLOTS ? limit : PR_API_ADMIT_SLOTS;
    a->per_peer = per_peer;
}

/* The oldest idle connection, of peer when it is not NULL; -1 if none. */
static int oldest_idle(const struct pr_api_admit *a, const struct pr_api_peer *peer)
{
    int best = -1;

    for (int i = 0; i < PR_API_ADMIT_SLOTS; i++) {
        const struct pr_api_admit_slot *s = &a->slots[i];

        if (!s->used || s->shed || s->busy || (peer && !same_peer(&s->peer, peer)))
            continue;
        if (best < 0 || s->since_ms < a->slots[best].since_ms)
            best = i;
    }
    return best;
}

static void shed(struct pr_api_admit *a, int i, int *shed_fd)
{
    a->slots[i].shed = true;
    a->active--;
    *shed_fd = a->slots[i].fd;
}

int pr_api_admit(struct pr_api_admit *a, const struct pr_api_peer *peer, int fd, uint64_t now_ms,
                 int *shed_fd)
{
    unsigned of_peer = 0;
    int free_slot = -1, victim;

    *shed_fd = -1;
    for (int i = 0; i < PR_API_ADMIT_SLOTS; i++) {
        if (!a->slots[i].used) {
            if (free_slot < 0)
                free_slot = i;
        } else if (!a->slots[i].shed && same_peer(&a->slots[i].peer, peer)) {
            of_peer++;
        }
    }
    /* Shed slots stay taken until the server has closed them. */
    if (free_slot < 0)
        return -1;
    if (of_peer >= a->per_peer) {
        victim = oldest_idle(a, peer);
        if (victim < 0)
            return -1; /* every one of its connections is working */
        shed(a, victim, shed_fd);
    } else if (a->active >= a->limit) {
        victim = oldest_idle(a, NULL);
        if (victim < 0)
            return -1;
        shed(a, victim, shed_fd);
    }
    a->slots[free_slot] = (struct pr_api_admit_slot){
        .used = true, .fd = fd, .peer = *peer, .since_ms = now_ms, .waiting_ms = now_ms
    };
    a->active++;
    return free_slot;
}

int pr_api_admit_find_fd(const struct pr_api_admit *a, int fd)
{
    for (int i = 0; i < PR_API_ADMIT_SLOTS; i++)
        if (a->slots[i].used && a->slots[i].fd == fd)
            return i;
    return -1;
}

void pr_api_admit_busy(struct pr_api_admit *a, int i, bool busy, uint64_t now_ms)
{
    if (i < 0 || i >= PR_API_ADMIT_SLOTS || !a->slots[i].used)
        return;
    a->slots[i].busy = busy;
    if (!busy)
        a->slots[i].waiting_ms = now_ms;
}

int pr_api_admit_overdue(struct pr_api_admit *a, uint64_t now_ms, uint64_t deadline_ms, int *fds,
                         int max)
{
    int n = 0;

    for (int i = 0; i < PR_API_ADMIT_SLOTS && n < max; i++) {
        struct pr_api_admit_slot *s = &a->slots[i];

        if (!s->used || s->shed || s->busy || now_ms < s->waiting_ms + deadline_ms)
            continue;
        shed(a, i, &fds[n]);
        n++;
    }
    return n;
}

bool pr_api_admit_any(const struct pr_api_admit *a)
{
    for (int i = 0; i < PR_API_ADMIT_SLOTS; i++)
        if (a->slots[i].used && !a->slots[i].shed)
            return true;
    return false;
}

void pr_api_admit_release(struct pr_api_admit *a, int i)
{
    if (i < 0 || i >= PR_API_ADMIT_SLOTS || !a->slots[i].used)
        return;
    if (!a->slots[i].shed)
        a->active--;
    memset(&a->slots[i], 0, sizeof(a->slots[i]));
}
