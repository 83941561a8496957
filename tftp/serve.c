/* Requests and transfers: what the server does with each datagram and
 * each deadline.  The transfer state machine decides; this file turns its
 * decisions into messages and events. */
#define _GNU_SOURCE
#include <string.h>
#include <unistd.h>
#include "server.h"
#include "tftp_internal.h"

#define MAX_TIMEOUT_MS 8000

static void report(struct pr_tftp_server *s, const struct pr_tftp_event *ev)
{
    if (s->cfg.event)
        s->cfg.event(s->cfg.ctx, ev);
}

/* An event about a request that got no transfer. */
static void report_refusal(struct pr_tftp_server *s, enum pr_tftp_event_kind kind,
                           const struct sockaddr *peer, socklen_t peerlen, uintptr_t cookie,
                           const char *path, const struct pr_tftp_prefix_seen *seen, uint16_t code,
                           const char *msg)
{
    struct pr_tftp_event ev = {
        .kind = kind,
        .peer = peer,
        .peerlen = peerlen,
        .cookie = cookie,
        .path = path,
        .seen = seen,
        .errcode = code,
        .message = msg,
    };
    report(s, &ev);
}

static void report_slot(struct pr_tftp_server *s, const struct pr_tftp_slot *sl,
                        enum pr_tftp_event_kind kind, uint64_t now_ms, uint16_t code,
                        const char *msg)
{
    struct pr_tftp_event ev = {
        .kind = kind,
        .peer = &sl->peer.sa,
        .peerlen = sl->peerlen,
        .cookie = sl->cookie,
        .path = sl->path,
        .seen = &sl->seen,
        .bytes = sl->x.size,
        .duration_ms = now_ms - sl->x.started_ms,
        .blksize = sl->x.blksize,
        .windowsize = sl->x.windowsize,
        .errcode = code,
        .message = msg,
    };
    report(s, &ev);
}

static void send_error(struct pr_tftp_server *s, const struct sockaddr *peer, socklen_t peerlen,
                       const union pr_tftp_local *local, uint16_t code, const char *msg)
{
    struct pr_tftp_tx *m = pr_tftp_tx_add(s, peer, peerlen, local);
    int n = pr_tftp_encode_error(m->small, sizeof m->small, code, msg);
    pr_tftp_tx_set(s, m, m->small, n > 0 ? (size_t)n : 0, NULL, 0);
}

static const union pr_tftp_local *slot_local(const struct pr_tftp_slot *sl)
{
    return sl->has_local ? &sl->local : NULL;
}

/* Ends a transfer.  Queued messages may point into its file: send them
 * before the file can go. */
static void end_slot(struct pr_tftp_server *s, int idx)
{
    struct pr_tftp_slot *sl = &s->table.slots[idx];
    if (s->tx_len)
        pr_tftp_tx_flush(s);
    pr_tftp_cache_put(s->cache, sl->file);
    pr_tftp_table_release(&s->table, idx);
}

static bool send_block(struct pr_tftp_server *s, struct pr_tftp_slot *sl, uint32_t n)
{
    size_t len = pr_tftp_xfer_block_len(&sl->x, n);
    const uint8_t *data = pr_tftp_file_bytes(sl->file, pr_tftp_xfer_block_offset(&sl->x, n), len);
    if (!data)
        return false;
    struct pr_tftp_tx *m = pr_tftp_tx_add(s, &sl->peer.sa, sl->peerlen, slot_local(sl));
    pr_tftp_encode_data_header(m->head, sizeof m->head, (uint16_t)n);
    if (len <= PR_TFTP_FLAT_DATA) {
        memcpy(m->flat + sizeof m->head, data, len);
        pr_tftp_tx_set(s, m, m->flat, sizeof m->head + len, NULL, 0);
    } else {
        pr_tftp_tx_set(s, m, m->head, sizeof m->head, data, len);
    }
    return true;
}

static void send_oack(struct pr_tftp_server *s, struct pr_tftp_slot *sl)
{
    struct pr_tftp_tx *m = pr_tftp_tx_add(s, &sl->peer.sa, sl->peerlen, slot_local(sl));
    int n = pr_tftp_encode_oack(m->small, sizeof m->small, &sl->x.oack);
    pr_tftp_tx_set(s, m, m->small, n > 0 ? (size_t)n : 0, NULL, 0);
}

static void run_action(struct pr_tftp_server *s, int idx, struct pr_tftp_action act,
                       const struct pr_tftp_packet *p, uint64_t now_ms)
{
    struct pr_tftp_slot *sl = &s->table.slots[idx];
    switch (act.kind) {
    case PR_ACT_NONE:
        return;
    case PR_ACT_OACK:
        send_oack(s, sl);
        pr_tftp_table_schedule(&s->table, idx);
        return;
    case PR_ACT_DATA:
        for (uint32_t i = 0; i < act.count; i++) {
            if (!send_block(s, sl, act.first + i)) {
                s->stats.errors++;
                send_error(s, &sl->peer.sa, sl->peerlen, slot_local(sl), PR_TFTP_E_UNDEF,
                           "file changed or unreadable");
                report_slot(s, sl, PR_TFTP_EV_ERROR, now_ms, PR_TFTP_E_UNDEF,
                            "file changed or unreadable");
                end_slot(s, idx);
                return;
            }
        }
        pr_tftp_table_schedule(&s->table, idx);
        return;
    case PR_ACT_DONE:
        s->stats.done++;
        report_slot(s, sl, PR_TFTP_EV_DONE, now_ms, 0, NULL);
        break;
    case PR_ACT_PEER_ERROR:
        /* The firmware's "Early terminate" probe, or a client giving up:
         * either way the client chose to stop, which is no failure here. */
        s->stats.probes++;
        report_slot(s, sl, PR_TFTP_EV_PROBE, now_ms, p ? p->errcode : 0, p ? p->errmsg : "");
        break;
    case PR_ACT_TIMED_OUT:
        s->stats.timeouts++;
        s->stats.errors++;
        report_slot(s, sl, PR_TFTP_EV_ERROR, now_ms, PR_TFTP_E_UNDEF, "timed out");
        break;
    }
    end_slot(s, idx);
}

static void refuse_open(struct pr_tftp_server *s, const struct sockaddr *peer, socklen_t peerlen,
                        const union pr_tftp_local *local, uintptr_t cookie, const char *path,
                        const struct pr_tftp_prefix_seen *seen, int err)
{
    enum pr_tftp_event_kind kind = PR_TFTP_EV_ERROR;
    uint16_t code = PR_TFTP_E_UNDEF;
    const char *msg = "cannot read file";
    if (err == -EXDEV) {
        kind = PR_TFTP_EV_TRAVERSAL;
        code = PR_TFTP_E_ACCESS;
        msg = "access violation";
        s->stats.traversals++;
    } else if (err == -ENOENT) {
        code = PR_TFTP_E_NOTFOUND;
        msg = "file not found";
    } else if (err == -EACCES || err == -EPERM) {
        code = PR_TFTP_E_ACCESS;
        msg = "access denied";
    } else if (err == -EFBIG) {
        msg = "file too large";
    }
    if (kind == PR_TFTP_EV_ERROR)
        s->stats.errors++;
    send_error(s, peer, peerlen, local, code, msg);
    report_refusal(s, kind, peer, peerlen, cookie, path, seen, code, msg);
}

/* Opens the requested file for a resolved client; an fd or -errno. */
static int open_request(struct pr_tftp_server *s, const struct pr_tftp_packet *p,
                        struct pr_tftp_client *cl, struct pr_tftp_prefix_seen *seen,
                        struct pr_tftp_file **file)
{
    const char *rest = pr_tftp_strip_prefix(p->filename, s->prefix, seen);
    int fd = pr_tftp_open_beneath(cl->dirfd, rest);
    close(cl->dirfd);
    if (fd < 0)
        return fd;
    return pr_tftp_cache_get(s->cache, fd, p->mode, file);
}

static void start_transfer(struct pr_tftp_server *s, const struct sockaddr *peer, socklen_t peerlen,
                           const union pr_tftp_local *local, const struct pr_tftp_packet *p,
                           uintptr_t cookie, const struct pr_tftp_prefix_seen *seen,
                           struct pr_tftp_file *file, uint64_t now_ms)
{
    int idx = pr_tftp_table_alloc(&s->table, peer, peerlen);
    if (idx < 0) { /* checked before; an unusual address family */
        pr_tftp_cache_put(s->cache, file);
        return;
    }
    if (s->table.active > s->stats.peak_active)
        s->stats.peak_active = s->table.active;
    struct pr_tftp_slot *sl = &s->table.slots[idx];
    sl->file = file;
    sl->cookie = cookie;
    sl->seen = *seen;
    /* Replies name their source only when the kernel would pick another. */
    sl->has_local = local && !pr_tftp_source_is_default(s, peer, peerlen, local);
    if (local)
        sl->local = *local;
    memcpy(sl->path, p->filename, sizeof sl->path);
    struct pr_tftp_limits lim = {
        .max_blksize = pr_tftp_path_blksize(s, local, local != NULL, peer),
        .max_windowsize = s->cfg.max_windowsize,
        .timeout_ms = s->cfg.timeout_ms,
        .max_timeout_ms =
            s->cfg.timeout_ms * 8 > MAX_TIMEOUT_MS ? s->cfg.timeout_ms * 8 : MAX_TIMEOUT_MS,
        .max_retries = s->cfg.max_retries,
    };
    struct pr_tftp_action act =
        pr_tftp_xfer_start(&sl->x, p, pr_tftp_file_size(file), &lim, now_ms);
    report_slot(s, sl, PR_TFTP_EV_REQUEST, now_ms, 0, NULL);
    run_action(s, idx, act, NULL, now_ms);
}

static void shed(struct pr_tftp_server *s, int idx)
{
    s->stats.shed++;
    end_slot(s, idx);
}

/* Room for one more transfer of peer's, fairly: a client past its share
 * gives up its own oldest transfer that never got an ACK, and a full
 * table gives up the oldest such transfer of anyone's.  A Pi answers
 * every block within milliseconds, so only a client that asks and never
 * reads loses anything; one whose transfers all move is refused. */
static bool make_room(struct pr_tftp_server *s, const struct sockaddr *peer)
{
    if (pr_tftp_table_client_count(&s->table, peer) >= s->cfg.max_per_client) {
        int idx = pr_tftp_table_client_silent(&s->table, peer);
        if (idx < 0)
            return false;
        shed(s, idx);
    }
    if (s->table.active >= s->table.cap) {
        int idx = pr_tftp_table_oldest_silent(&s->table);
        if (idx < 0)
            return false;
        shed(s, idx);
    }
    return true;
}

static void handle_request(struct pr_tftp_server *s, const struct sockaddr *peer, socklen_t peerlen,
                           const union pr_tftp_local *local, const struct pr_tftp_packet *p,
                           uint64_t now_ms)
{
    s->stats.requests++;
    /* The same address and port asking again: its first answer was lost
     * or it started over.  Either way the old transfer is finished. */
    int old = pr_tftp_table_find(&s->table, peer, peerlen);
    if (old >= 0)
        end_slot(s, old);
    struct pr_tftp_client cl = { .dirfd = -EACCES, .cookie = 0, .ifindex = 0 };
    if (local)
        cl.ifindex =
            peer->sa_family == AF_INET ? local->v4.ipi_ifindex : (int)local->v6.ipi6_ifindex;
    s->cfg.resolve(s->cfg.ctx, peer, peerlen, &cl);
    struct pr_tftp_prefix_seen seen = { 0 };
    if (cl.dirfd < 0 || p->op == PR_TFTP_WRQ) {
        const char *msg = p->op == PR_TFTP_WRQ ? "read-only server" : "access denied";
        if (cl.dirfd >= 0)
            close(cl.dirfd);
        s->stats.errors++;
        send_error(s, peer, peerlen, local, PR_TFTP_E_ACCESS, msg);
        report_refusal(s, PR_TFTP_EV_ERROR, peer, peerlen, cl.cookie, p->filename, &seen,
                       PR_TFTP_E_ACCESS, msg);
        return;
    }
    if (!make_room(s, peer)) {
        /* No answer: the client asks again, by then a transfer may have
         * ended.  An ERROR would make a Pi give the file up for good. */
        close(cl.dirfd);
        s->stats.busy++;
        report_refusal(s, PR_TFTP_EV_ERROR, peer, peerlen, cl.cookie, p->filename, &seen,
                       PR_TFTP_E_UNDEF, "too many transfers");
        return;
    }
    struct pr_tftp_file *file = NULL;
    int rc = open_request(s, p, &cl, &seen, &file);
    if (rc < 0) {
        refuse_open(s, peer, peerlen, local, cl.cookie, p->filename, &seen, rc);
        return;
    }
    start_transfer(s, peer, peerlen, local, p, cl.cookie, &seen, file, now_ms);
}

void pr_tftp_handle_packet(struct pr_tftp_server *s, const struct sockaddr *peer, socklen_t peerlen,
                           const union pr_tftp_local *local, const uint8_t *buf, size_t len,
                           uint64_t now_ms)
{
    struct pr_tftp_packet p;
    int rc = pr_tftp_parse(buf, len, &p);
    if (rc < 0) {
        s->stats.malformed++;
        if ((p.op == PR_TFTP_RRQ || p.op == PR_TFTP_WRQ) &&
            (rc == PR_TFTP_EBADMODE || rc == PR_TFTP_ETOOLONG))
            send_error(s, peer, peerlen, local, PR_TFTP_E_ILLEGAL,
                       rc == PR_TFTP_EBADMODE ? "unsupported mode" : "file name too long");
        return;
    }
    if (p.op == PR_TFTP_RRQ || p.op == PR_TFTP_WRQ) {
        handle_request(s, peer, peerlen, local, &p, now_ms);
        return;
    }
    int idx = p.op == PR_TFTP_ACK || p.op == PR_TFTP_ERROR
                  ? pr_tftp_table_find(&s->table, peer, peerlen)
                  : -1;
    if (idx < 0) {
        s->stats.stray++;
        return;
    }
    s->table.slots[idx].heard = true;
    struct pr_tftp_action act = pr_tftp_xfer_on_packet(&s->table.slots[idx].x, &p, now_ms);
    run_action(s, idx, act, &p, now_ms);
}

void pr_tftp_server_on_timer(struct pr_tftp_server *s, uint64_t now_ms)
{
    /* Each turn moves a deadline past now or ends a transfer, so this
     * ends; the bound is a second guard. */
    for (unsigned turns = 0; turns <= s->table.cap; turns++) {
        int idx = pr_tftp_table_earliest(&s->table);
        if (idx < 0 || s->table.slots[idx].x.deadline_ms > now_ms)
            break;
        struct pr_tftp_action act = pr_tftp_xfer_on_timeout(&s->table.slots[idx].x, now_ms);
        if (act.kind == PR_ACT_DATA || act.kind == PR_ACT_OACK)
            s->stats.retransmits += act.kind == PR_ACT_OACK ? 1 : act.count;
        run_action(s, idx, act, NULL, now_ms);
    }
    pr_tftp_tx_flush(s);
}
