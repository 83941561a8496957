/* Transfer slots, the peer hash and the deadline heap; see table.h. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include "table.h"

#define NO_POS UINT32_MAX

int pr_tftp_table_init(struct pr_tftp_table *t, unsigned cap)
{
    memset(t, 0, sizeof *t);
    t->nbuckets = 16;
    while (t->nbuckets < cap * 2)
        t->nbuckets *= 2;
    t->slots = calloc(cap, sizeof *t->slots);
    t->buckets = malloc(t->nbuckets * sizeof *t->buckets);
    t->heap = malloc(cap * sizeof *t->heap);
    t->clients = calloc(cap, sizeof *t->clients);
    t->cbuckets = malloc(t->nbuckets * sizeof *t->cbuckets);
    if (!t->slots || !t->buckets || !t->heap || !t->clients || !t->cbuckets) {
        pr_tftp_table_fini(t);
        return -ENOMEM;
    }
    t->cap = cap;
    for (unsigned i = 0; i < t->nbuckets; i++)
        t->buckets[i] = t->cbuckets[i] = -1;
    for (unsigned i = 0; i < cap; i++)
        t->clients[i].hash_next = i + 1 < cap ? (int32_t)(i + 1) : -1;
    t->cfree_head = cap ? 0 : -1;
    for (unsigned i = 0; i < cap; i++) {
        t->slots[i].hash_next = i + 1 < cap ? (int32_t)(i + 1) : -1;
        t->slots[i].heap_pos = NO_POS;
    }
    t->free_head = cap ? 0 : -1;
    return 0;
}

void pr_tftp_table_fini(struct pr_tftp_table *t)
{
    free(t->slots);
    free(t->buckets);
    free(t->heap);
    free(t->clients);
    free(t->cbuckets);
    memset(t, 0, sizeof *t);
}

static uint32_t mix(uint32_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 16777619u;
    return h;
}

static unsigned bucket_of(const struct pr_tftp_table *t, const struct sockaddr *sa)
{
    uint32_t h = 2166136261u;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        h = mix(h, &in->sin_addr, sizeof in->sin_addr);
        h = mix(h, &in->sin_port, sizeof in->sin_port);
    } else {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        h = mix(h, &in6->sin6_addr, sizeof in6->sin6_addr);
        h = mix(h, &in6->sin6_port, sizeof in6->sin6_port);
    }
    return h & (t->nbuckets - 1);
}

static bool same_peer(const union pr_tftp_addr *a, const struct sockaddr *b)
{
    if (a->sa.sa_family != b->sa_family)
        return false;
    if (b->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)b;
        return a->in.sin_port == in->sin_port && a->in.sin_addr.s_addr == in->sin_addr.s_addr;
    }
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)b;
    return a->in6.sin6_port == in6->sin6_port && a->in6.sin6_scope_id == in6->sin6_scope_id &&
           memcmp(&a->in6.sin6_addr, &in6->sin6_addr, sizeof in6->sin6_addr) == 0;
}

/* ---- clients: an address, any port ---- */

static void client_key(const struct sockaddr *sa, union pr_tftp_addr *key)
{
    memset(key, 0, sizeof *key);
    if (sa->sa_family == AF_INET) {
        key->in.sin_family = AF_INET;
        key->in.sin_addr = ((const struct sockaddr_in *)sa)->sin_addr;
    } else {
        key->in6.sin6_family = AF_INET6;
        key->in6.sin6_addr = ((const struct sockaddr_in6 *)sa)->sin6_addr;
        key->in6.sin6_scope_id = ((const struct sockaddr_in6 *)sa)->sin6_scope_id;
    }
}

static int client_find(const struct pr_tftp_table *t, const struct sockaddr *peer, unsigned *bucket)
{
    union pr_tftp_addr key;
    if (peer->sa_family != AF_INET && peer->sa_family != AF_INET6)
        return -1;
    client_key(peer, &key);
    *bucket = bucket_of(t, &key.sa);
    for (int32_t i = t->cbuckets[*bucket]; i >= 0; i = t->clients[i].hash_next)
        if (same_peer(&t->clients[i].addr, &key.sa))
            return i;
    return -1;
}

/* Appends slot idx to its client's transfers, making the client's entry
 * when it is new (there is always one free: clients <= transfers). */
static void client_link(struct pr_tftp_table *t, int idx)
{
    struct pr_tftp_slot *s = &t->slots[idx];
    unsigned b;
    int c = client_find(t, &s->peer.sa, &b);
    if (c < 0) {
        c = t->cfree_head;
        struct pr_tftp_client_entry *e = &t->clients[c];
        t->cfree_head = e->hash_next;
        client_key(&s->peer.sa, &e->addr);
        e->count = 0;
        e->head = e->tail = -1;
        e->hash_next = t->cbuckets[b];
        t->cbuckets[b] = c;
    }
    struct pr_tftp_client_entry *e = &t->clients[c];
    s->client = c;
    s->cl_next = -1;
    s->cl_prev = e->tail;
    if (e->tail >= 0)
        t->slots[e->tail].cl_next = idx;
    else
        e->head = idx;
    e->tail = idx;
    e->count++;
}

static void client_unlink(struct pr_tftp_table *t, int idx)
{
    struct pr_tftp_slot *s = &t->slots[idx];
    struct pr_tftp_client_entry *e = &t->clients[s->client];
    if (s->cl_prev >= 0)
        t->slots[s->cl_prev].cl_next = s->cl_next;
    else
        e->head = s->cl_next;
    if (s->cl_next >= 0)
        t->slots[s->cl_next].cl_prev = s->cl_prev;
    else
        e->tail = s->cl_prev;
    if (--e->count > 0)
        return;
    unsigned b = bucket_of(t, &e->addr.sa);
    for (int32_t *pp = &t->cbuckets[b]; *pp >= 0; pp = &t->clients[*pp].hash_next) {
        if (*pp == s->client) {
            *pp = e->hash_next;
            break;
        }
    }
    e->hash_next = t->cfree_head;
    t->cfree_head = s->client;
}

unsigned pr_tftp_table_client_count(const struct pr_tftp_table *t, const struct sockaddr *peer)
{
    unsigned b;
    int c = client_find(t, peer, &b);
    return c < 0 ? 0 : t->clients[c].count;
}

int pr_tftp_table_client_silent(const struct pr_tftp_table *t, const struct sockaddr *peer)
{
    unsigned b;
    int c = client_find(t, peer, &b);
    for (int32_t i = c < 0 ? -1 : t->clients[c].head; i >= 0; i = t->slots[i].cl_next)
        if (!t->slots[i].heard)
            return i;
    return -1;
}

int pr_tftp_table_oldest_silent(const struct pr_tftp_table *t)
{
    int best = -1;
    for (unsigned i = 0; i < t->cap; i++) {
        const struct pr_tftp_slot *s = &t->slots[i];
        if (s->used && !s->heard && (best < 0 || s->x.started_ms < t->slots[best].x.started_ms))
            best = (int)i;
    }
    return best;
}

int pr_tftp_table_find(const struct pr_tftp_table *t, const struct sockaddr *peer, socklen_t len)
{
    (void)len;
    if (peer->sa_family != AF_INET && peer->sa_family != AF_INET6)
        return -1;
    for (int32_t i = t->buckets[bucket_of(t, peer)]; i >= 0; i = t->slots[i].hash_next)
        if (same_peer(&t->slots[i].peer, peer))
            return i;
    return -1;
}

int pr_tftp_table_alloc(struct pr_tftp_table *t, const struct sockaddr *peer, socklen_t len)
{
    if (t->free_head < 0 || len > sizeof(union pr_tftp_addr) ||
        (peer->sa_family != AF_INET && peer->sa_family != AF_INET6))
        return -1;
    int idx = t->free_head;
    struct pr_tftp_slot *s = &t->slots[idx];
    t->free_head = s->hash_next;
    memset(s, 0, offsetof(struct pr_tftp_slot, path));
    s->path[0] = '\0';
    memcpy(&s->peer, peer, len);
    s->peerlen = len;
    s->used = true;
    s->heap_pos = NO_POS;
    unsigned b = bucket_of(t, peer);
    s->hash_next = t->buckets[b];
    t->buckets[b] = idx;
    t->active++;
    client_link(t, idx);
    return idx;
}

static bool earlier(const struct pr_tftp_table *t, uint32_t a, uint32_t b)
{
    return t->slots[t->heap[a]].x.deadline_ms < t->slots[t->heap[b]].x.deadline_ms;
}

static void heap_swap(struct pr_tftp_table *t, uint32_t a, uint32_t b)
{
    uint32_t tmp = t->heap[a];
    t->heap[a] = t->heap[b];
    t->heap[b] = tmp;
    t->slots[t->heap[a]].heap_pos = a;
    t->slots[t->heap[b]].heap_pos = b;
}

static void sift_up(struct pr_tftp_table *t, uint32_t i)
{
    while (i > 0 && earlier(t, i, (i - 1) / 2)) {
        heap_swap(t, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void sift_down(struct pr_tftp_table *t, uint32_t i)
{
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < t->heap_len && earlier(t, l, m))
            m = l;
        if (r < t->heap_len && earlier(t, r, m))
            m = r;
        if (m == i)
            return;
        heap_swap(t, i, m);
        i = m;
    }
}

static void heap_remove(struct pr_tftp_table *t, int idx)
{
    uint32_t pos = t->slots[idx].heap_pos;
    if (pos == NO_POS)
        return;
    t->heap_len--;
    if (pos != t->heap_len) {
        heap_swap(t, pos, t->heap_len);
        sift_down(t, pos);
        sift_up(t, pos);
    }
    t->slots[idx].heap_pos = NO_POS;
}

void pr_tftp_table_schedule(struct pr_tftp_table *t, int idx)
{
    struct pr_tftp_slot *s = &t->slots[idx];
    if (s->heap_pos == NO_POS) {
        s->heap_pos = t->heap_len;
        t->heap[t->heap_len++] = (uint32_t)idx;
        sift_up(t, s->heap_pos);
        return;
    }
    sift_down(t, s->heap_pos);
    sift_up(t, s->heap_pos);
}

int pr_tftp_table_earliest(const struct pr_tftp_table *t)
{
    return t->heap_len ? (int)t->heap[0] : -1;
}

void pr_tftp_table_release(struct pr_tftp_table *t, int idx)
{
    struct pr_tftp_slot *s = &t->slots[idx];
    if (!s->used)
        return;
    heap_remove(t, idx);
    unsigned b = bucket_of(t, &s->peer.sa);
    for (int32_t *pp = &t->buckets[b]; *pp >= 0; pp = &t->slots[*pp].hash_next) {
        if (*pp == idx) {
            *pp = s->hash_next;
            break;
        }
    }
    client_unlink(t, idx);
    s->used = false;
    s->file = NULL;
    s->hash_next = t->free_head;
    t->free_head = idx;
    t->active--;
}
