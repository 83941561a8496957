/* The SSH driver: libssh, an interactive shell on a PTY driven by the
 * profile's prompt patterns (pr_cli_judge), several ports per session.
 * The switch's host key must match the pinned fingerprint or a
 * known_hosts file: an unknown or changed key is refused, never learnt. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <strings.h>
#include <time.h>
#include <libssh/libssh.h>
#include "poe_internal.h"

struct ssh_driver {
    struct pr_poe_driver base;
    ssh_session s;
    ssh_channel ch;
    struct pr_cli_screen *screen;
    char host[256];
    unsigned port;
    bool secret_refused;   /* the switch refused the enable password */
    bool password_refused; /* the switch refused ssh_password */
};

static pthread_once_t libssh_once = PTHREAD_ONCE_INIT;
static void libssh_init(void)
{
    ssh_init();
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* "host", "host:port", "[v6]:port", or a bare IPv6 address. */
static int split_address(const char *a, char *host, size_t hl, unsigned *port)
{
    *port = 22;
    const char *colon = NULL;
    if (a[0] == '[') {
        const char *end = strchr(a, ']');
        if (!end || (size_t)(end - a - 1) >= hl)
            return -EINVAL;
        memcpy(host, a + 1, (size_t)(end - a - 1));
        host[end - a - 1] = '\0';
        colon = end[1] == ':' ? end + 1 : NULL;
        if (!colon && end[1])
            return -EINVAL;
    } else {
        colon = strchr(a, ':');
        if (colon && strchr(colon + 1, ':'))
            colon = NULL; /* bare IPv6 */
        size_t n = colon ? (size_t)(colon - a) : strlen(a);
        if (n == 0 || n >= hl)
            return -EINVAL;
        memcpy(host, a, n);
        host[n] = '\0';
    }
    if (colon) {
        char *end;
        unsigned long p = strtoul(colon + 1, &end, 10);
        if (*end || p == 0 || p > 65535)
            return -EINVAL;
        *port = (unsigned)p;
    }
    return 0;
}

static void ssh_disconnect_quietly(struct ssh_driver *d)
{
    if (d->ch) {
        ssh_channel_close(d->ch);
        ssh_channel_free(d->ch);
    }
    if (d->s) {
        ssh_disconnect(d->s);
        ssh_free(d->s);
    }
    d->ch = NULL;
    d->s = NULL;
}

static int fingerprint(ssh_session s, char *out, size_t outlen)
{
    ssh_key key = NULL;
    unsigned char *hash = NULL;
    size_t hlen = 0;
    if (ssh_get_server_publickey(s, &key) != SSH_OK)
        return -EIO;
    int rc = ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen);
    ssh_key_free(key);
    if (rc != 0)
        return -EIO;
    char *fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
    ssh_clean_pubkey_hash(&hash);
    if (!fp)
        return -EIO;
    snprintf(out, outlen, "%s", fp);
    ssh_string_free_char(fp);
    return 0;
}

static int check_host_key(struct ssh_driver *d, struct pr_poe_result *r)
{
    const struct pr_switch_config *cfg = d->base.cfg;
    char fp[128];
    if (fingerprint(d->s, fp, sizeof(fp)) < 0)
        return pr_poe_fail(r, -EIO, "could not read the switch's host key");
    if (cfg->hostkey[0]) {
        const char *want = cfg->hostkey;
        const char *got = fp;
        if (strncmp(want, "SHA256:", 7) == 0)
            want += 7;
        if (strncmp(got, "SHA256:", 7) == 0)
            got += 7;
        if (strcmp(want, got) != 0)
            return pr_poe_fail(r, -EPERM,
                               "host key %s does not match the pinned hostkey: "
                               "refused (switch replaced or attack; check, then update hostkey)",
                               fp);
        return 0;
    }
    switch (ssh_session_is_known_server(d->s)) {
    case SSH_KNOWN_HOSTS_OK:
        return 0;
    case SSH_KNOWN_HOSTS_CHANGED:
    case SSH_KNOWN_HOSTS_OTHER:
        return pr_poe_fail(r, -EPERM, "host key %s CHANGED from the one in %s: refused", fp,
                           cfg->known_hosts);
    case SSH_KNOWN_HOSTS_NOT_FOUND:
    case SSH_KNOWN_HOSTS_UNKNOWN:
        return pr_poe_fail(r, -EPERM,
                           "unknown host key %s (not in %s): refused; pin it with "
                           "hostkey or add it to known_hosts",
                           fp, cfg->known_hosts);
    default:
        return pr_poe_fail(r, -EIO, "known_hosts check failed: %s", ssh_get_error(d->s));
    }
}

/* Keyboard-interactive, as many switches take a password: every prompt
 * of every round gets the password.  A round with no prompts (OpenSSH's
 * PAM sends one after the password) still needs its empty answer sent,
 * and the outcome is whatever the last exchange said: success, denied,
 * or more rounds than a login has (bounded: a wrong password is one
 * attempt, not several against the switch's lockout counter). */
static int password_kbdint(ssh_session s, const char *password)
{
    int rc = ssh_userauth_kbdint(s, NULL, NULL);
    for (int round = 0; rc == SSH_AUTH_INFO && round < 4; round++) {
        int prompts = ssh_userauth_kbdint_getnprompts(s);
        for (int i = 0; i < prompts; i++)
            if (ssh_userauth_kbdint_setanswer(s, (unsigned)i, password) < 0)
                return SSH_AUTH_ERROR;
        rc = ssh_userauth_kbdint(s, NULL, NULL);
    }
    return rc;
}

static int authenticate(struct ssh_driver *d, struct pr_poe_result *r)
{
    const struct pr_switch_config *cfg = d->base.cfg;
    int rc = SSH_AUTH_DENIED;
    if (cfg->ssh_key[0]) {
        ssh_key key = NULL;
        if (ssh_pki_import_privkey_file(cfg->ssh_key, NULL, NULL, NULL, &key) != SSH_OK)
            return pr_poe_fail(r, -EACCES, "cannot read ssh key %.200s", cfg->ssh_key);
        rc = ssh_userauth_publickey(d->s, NULL, key);
        ssh_key_free(key);
    } else {
        /* "none" asks which methods the switch offers: the password is
         * then tried once, by the one method that can take it. */
        rc = ssh_userauth_none(d->s, NULL);
        if (rc == SSH_AUTH_DENIED || rc == SSH_AUTH_PARTIAL) {
            int methods = ssh_userauth_list(d->s, NULL);
            if (methods & SSH_AUTH_METHOD_PASSWORD)
                rc = ssh_userauth_password(d->s, NULL, cfg->ssh_password);
            else if (methods & SSH_AUTH_METHOD_INTERACTIVE)
                rc = password_kbdint(d->s, cfg->ssh_password);
            else
                return pr_poe_fail(r, -EACCES,
                                   "ssh switch takes no password login "
                                   "(it offers %s): set ssh_key",
                                   methods & SSH_AUTH_METHOD_PUBLICKEY ? "publickey only"
                                                                       : "no method we know");
        }
    }
    if (rc == SSH_AUTH_DENIED && !cfg->ssh_key[0])
        d->password_refused = true;
    if (rc != SSH_AUTH_SUCCESS)
        return pr_poe_fail(r, -EACCES, "ssh authentication failed for user %.60s", cfg->ssh_user);
    return 0;
}

static int read_until_prompt(struct ssh_driver *d, const char *what, struct pr_poe_result *r);

static int open_shell(struct ssh_driver *d, struct pr_poe_result *r)
{
    d->ch = ssh_channel_new(d->s);
    if (!d->ch || ssh_channel_open_session(d->ch) != SSH_OK ||
        ssh_channel_request_pty_size(d->ch, "vt100", 200, 24) != SSH_OK ||
        ssh_channel_request_shell(d->ch) != SSH_OK)
        return pr_poe_fail(r, -ECONNRESET, "cannot open a shell: %s", ssh_get_error(d->s));
    pr_cli_screen_reset(d->screen);
    return read_until_prompt(d, "login", r);
}

static int run_command(struct ssh_driver *d, const char *cmd, struct pr_poe_result *r);

/* A refused password, for the login or for enable, is not tried again by
 * this driver: pirackd reads every switch each minute, and each try would
 * count towards the switch's lockout.  A changed [switch] section (a
 * reload) or a restart makes a new driver. */

/* Whether the session's TCP connection is up (libssh keeps the socket
 * after a failed connect until it is freed). */
static bool tcp_connected(ssh_session s)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    socket_t fd = ssh_get_fd(s);

    return fd != SSH_INVALID_SOCKET && getpeername(fd, (struct sockaddr *)&ss, &len) == 0;
}

static int connect_shell(struct ssh_driver *d, struct pr_poe_result *r)
{
    if (d->password_refused)
        return pr_poe_fail(r, -EACCES,
                           "ssh authentication failed for user %.60s before: switch "
                           "%s is not sent the password again until ssh_password changes (then "
                           "reload) or pirackd restarts",
                           d->base.cfg->ssh_user, d->base.cfg->name);
    if (d->secret_refused)
        return pr_poe_fail(r, -EACCES,
                           "switch %s refused the enable password before: it is "
                           "not sent again until enable_password changes (then reload) or "
                           "pirackd restarts",
                           d->base.cfg->name);
    if (d->ch)
        return 0;
    pthread_once(&libssh_once, libssh_init);
    const struct pr_switch_config *cfg = d->base.cfg;
    long timeout_s = (long)((cfg->timeout_ms ? cfg->timeout_ms : 5000) + 999) / 1000;
    int no = 0;
    d->s = ssh_new();
    if (!d->s)
        return pr_poe_fail(r, -ENOMEM, "out of memory");
    ssh_options_set(d->s, SSH_OPTIONS_PROCESS_CONFIG, &no); /* no ~/.ssh/config */
    ssh_options_set(d->s, SSH_OPTIONS_HOST, d->host);
    ssh_options_set(d->s, SSH_OPTIONS_PORT, &d->port);
    ssh_options_set(d->s, SSH_OPTIONS_USER, cfg->ssh_user);
    ssh_options_set(d->s, SSH_OPTIONS_TIMEOUT, &timeout_s);
    if (cfg->known_hosts[0]) {
        ssh_options_set(d->s, SSH_OPTIONS_KNOWNHOSTS, cfg->known_hosts);
        ssh_options_set(d->s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null");
    }
    r->logins++;
    int rc;
    if (ssh_connect(d->s) != SSH_OK) {
        const char *why = ssh_get_error(d->s);
        bool timeout = strcasestr(why, "timeout") != NULL;

        if (timeout && tcp_connected(d->s) && !ssh_get_serverbanner(d->s))
            /* libssh says "Timeout connecting" either way: say which. */
            rc = pr_poe_fail(r, -ETIMEDOUT,
                             "ssh connect to %.100s: the TCP connection opened but the SSH "
                             "banner never came within %ld s (not an SSH server, or a hung one)",
                             cfg->address, timeout_s);
        else
            rc = pr_poe_fail(r, timeout ? -ETIMEDOUT : -ECONNREFUSED,
                             "ssh connect to %.100s: %.120s", cfg->address, why);
    } else if ((rc = check_host_key(d, r)) == 0 && (rc = authenticate(d, r)) == 0 &&
               (rc = open_shell(d, r)) == 0) {
        for (unsigned i = 0; i < d->base.profile->cli.init.n && rc == 0; i++)
            rc = run_command(d, d->base.profile->cli.init.line[i], r);
    }
    if (rc < 0)
        ssh_disconnect_quietly(d);
    return rc;
}

static int send_text(struct ssh_driver *d, const char *text, bool newline, struct pr_poe_result *r)
{
    size_t n = strlen(text);
    if ((n && ssh_channel_write(d->ch, text, (uint32_t)n) != (int)n) ||
        (newline && ssh_channel_write(d->ch, "\n", 1) != 1))
        return pr_poe_fail(r, -ECONNRESET, "switch closed the connection");
    return 0;
}

/* Answers the switch's question.  The enable password goes at most once
 * per command (*secret_sent says whether it went): a switch that asks
 * again has refused it, and every further try counts towards its
 * lockout.  None of these messages holds the password. */
static int answer(struct ssh_driver *d, const struct pr_poe_confirm *cf, const char *what,
                  bool *secret_sent, struct pr_poe_result *r)
{
    const struct pr_switch_config *cfg = d->base.cfg;
    char text[sizeof(cfg->enable_password) + sizeof(cf->answer)];
    if (cf->secret && *secret_sent) {
        d->secret_refused = true;
        if (!cfg->enable_password[0])
            return pr_poe_fail(r, -EACCES,
                               "switch %s asked again for an enable password after "
                               "%.60s, and none is configured: set enable_password in "
                               "[switch %s]",
                               cfg->name, what, cfg->name);
        return pr_poe_fail(r, -EACCES,
                           "switch %s asked again for the enable password after "
                           "%.60s: enable_password refused (not sent twice: switches lock "
                           "accounts)",
                           cfg->name, what);
    }
    int rc = pr_cli_answer(cf, cfg->enable_password, text, sizeof(text));
    if (rc == -ENOKEY)
        return pr_poe_fail(r, -EACCES,
                           "switch %s asks for an enable password after %.60s, "
                           "and none is configured: set enable_password in [switch %s]",
                           cfg->name, what, cfg->name);
    if (rc < 0)
        return pr_poe_fail(r, rc, "the answer to a question after %.60s is too long", what);
    rc = send_text(d, text, cf->newline, r);
    explicit_bzero(text, sizeof(text));
    if (cf->secret)
        *secret_sent = true;
    return rc;
}

/* The prompt is back with an error line: after the enable password it
 * is the switch refusing it (IOS "% Bad secrets", "% Access denied"),
 * which no retry may repeat. */
static int switch_error(struct ssh_driver *d, struct pr_cli_judgement *j, const char *what,
                        bool secret_sent, struct pr_poe_result *r)
{
    const struct pr_switch_config *cfg = d->base.cfg;
    pr_cli_mask(j->error_line, sizeof(j->error_line), cfg->enable_password);
    if (!secret_sent)
        return pr_poe_fail(r, -EREMOTEIO, "switch answered \"%s\" to %.60s", j->error_line, what);
    d->secret_refused = true;
    return pr_poe_fail(r, -EACCES,
                       "switch %s refused the enable password after %.40s: "
                       "\"%s\"%s (not retried)",
                       cfg->name, what, j->error_line,
                       cfg->enable_password[0] ? "" : "; no enable_password is configured");
}

/* Reads until the prompt comes back, answering the profile's questions.
 * An error line is reported once the prompt is back, so the session
 * stays in step with the switch. */
static int read_until_prompt(struct ssh_driver *d, const char *what, struct pr_poe_result *r)
{
    unsigned timeout = d->base.cfg->timeout_ms ? d->base.cfg->timeout_ms : 5000;
    uint64_t deadline = now_ms() + timeout;
    struct pr_cli_judgement j;
    bool secret_sent = false;
    char buf[4096];
    unsigned answers = 0;
    for (;;) {
        pr_cli_judge(&d->base.profile->cli, d->screen, &j);
        if (j.verdict == PR_CLI_PROMPT)
            return j.error ? switch_error(d, &j, what, secret_sent, r) : 0;
        if (j.verdict == PR_CLI_CONFIRM) {
            if (++answers > 64)
                return pr_poe_fail(r, -EPROTO, "too many questions after %.60s", what);
            int rc = answer(d, j.confirm, what, &secret_sent, r);
            if (rc < 0)
                return rc;
            pr_cli_answered(d->screen);
            continue;
        }
        uint64_t now = now_ms();
        if (now >= deadline)
            return pr_poe_fail(r, -ETIMEDOUT, "no prompt after %.60s within %u ms", what, timeout);
        int got = ssh_channel_read_timeout(d->ch, buf, sizeof(buf), 0, (int)(deadline - now));
        if (got < 0 || (got == 0 && ssh_channel_is_eof(d->ch)))
            return pr_poe_fail(r, -ECONNRESET, "switch closed the connection during %.60s", what);
        pr_cli_clean(d->screen, buf, (size_t)got);
    }
}

static int run_command(struct ssh_driver *d, const char *cmd, struct pr_poe_result *r)
{
    pr_cli_screen_reset(d->screen);
    r->round_trips++;
    int rc = send_text(d, cmd, true, r);
    if (rc == 0)
        rc = read_until_prompt(d, cmd, r);
    return rc;
}

static int run_list(struct ssh_driver *d, const struct pr_poe_cmds *c, unsigned port,
                    struct pr_poe_result *r)
{
    char line[PR_PROF_LINE_MAX + 32];
    for (unsigned i = 0; i < c->n; i++) {
        int rc = pr_poe_expand(c->line[i], d->base.cfg->group, port, line, sizeof(line));
        if (rc == 0)
            rc = run_command(d, line, r);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The last guard on the way out: no message or note leaves the driver
 * with the enable password in it, whatever the switch echoed. */
static int masked(const struct ssh_driver *d, struct pr_poe_port_status *st, size_t n,
                  struct pr_poe_result *r, int rc)
{
    const char *secret = d->base.cfg->enable_password;
    pr_cli_mask(r->message, sizeof(r->message), secret);
    for (size_t i = 0; st && i < n; i++)
        pr_cli_mask(st[i].note, sizeof(st[i].note), secret);
    return rc;
}

static int set_admin(struct pr_poe_driver *base, const unsigned *ports, size_t n, bool on,
                     struct pr_poe_result *r)
{
    struct ssh_driver *d = (struct ssh_driver *)base;
    const struct pr_poe_cli_profile *c = &base->profile->cli;
    int rc = connect_shell(d, r);
    if (rc == 0)
        rc = run_list(d, on ? &c->on_begin : &c->off_begin, 0, r);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = run_list(d, on ? &c->on_port : &c->off_port, ports[i], r);
    if (rc == 0)
        rc = run_list(d, on ? &c->on_end : &c->off_end, 0, r);
    if (rc < 0) /* mid-configuration: start clean next time */
        ssh_disconnect_quietly(d);
    return masked(d, NULL, 0, r, rc);
}

static int read_status(struct pr_poe_driver *base, const unsigned *ports, size_t n,
                       struct pr_poe_port_status *st, struct pr_poe_result *r)
{
    struct ssh_driver *d = (struct ssh_driver *)base;
    const struct pr_poe_cli_profile *c = &base->profile->cli;
    bool per_port = strstr(c->status.line[0], "{port}") != NULL;
    int rc = connect_shell(d, r);
    if (rc == 0 && !per_port) {
        rc = run_list(d, &c->status, 0, r);
        if (rc == 0)
            pr_cli_parse_status(c, d->screen->text, d->screen->len, ports, n, st);
    }
    for (size_t i = 0; per_port && i < n && rc == 0; i++) {
        rc = run_list(d, &c->status, ports[i], r);
        if (rc == 0)
            pr_cli_parse_status(c, d->screen->text, d->screen->len, &ports[i], 1, &st[i]);
    }
    if (rc < 0)
        ssh_disconnect_quietly(d);
    return masked(d, st, n, r, rc);
}

/* Logs out politely when the session is healthy: a switch counts its
 * sessions, and a dropped one may hold a slot until it times out. */
static void ssh_driver_disconnect(struct pr_poe_driver *base)
{
    struct ssh_driver *d = (struct ssh_driver *)base;
    const struct pr_poe_cli_profile *c = &base->profile->cli;
    if (d->ch && c->exit_cmd[0] && ssh_channel_is_open(d->ch)) {
        struct pr_poe_result scratch;
        memset(&scratch, 0, sizeof(scratch));
        char buf[1024];
        pr_cli_screen_reset(d->screen);
        ssh_channel_write(d->ch, c->exit_cmd, (uint32_t)strlen(c->exit_cmd));
        ssh_channel_write(d->ch, "\n", 1);
        uint64_t deadline = now_ms() + 1000;
        for (int answers = 0; answers < 4 && now_ms() < deadline;) {
            int got = ssh_channel_read_timeout(d->ch, buf, sizeof(buf), 0, 200);
            if (got < 0 || (got == 0 && ssh_channel_is_eof(d->ch)))
                break;
            pr_cli_clean(d->screen, buf, (size_t)got);
            struct pr_cli_judgement j;
            pr_cli_judge(c, d->screen, &j);
            if (j.verdict == PR_CLI_CONFIRM && j.confirm->secret)
                break; /* a password question now is no logout's */
            if (j.verdict == PR_CLI_CONFIRM) {
                send_text(d, j.confirm->answer, j.confirm->newline, &scratch);
                pr_cli_answered(d->screen);
                answers++;
            }
        }
    }
    ssh_disconnect_quietly(d);
}

static void ssh_driver_free(struct pr_poe_driver *base)
{
    struct ssh_driver *d = (struct ssh_driver *)base;
    ssh_driver_disconnect(base);
    free(d->screen);
    free(d);
}

static const struct pr_poe_driver_ops ssh_ops = {
    .set_admin = set_admin,
    .read_status = read_status,
    .disconnect = ssh_driver_disconnect,
    .free = ssh_driver_free,
};

int pr_poe_ssh_new(const struct pr_switch_config *cfg, const struct pr_poe_profile *p,
                   struct pr_poe_driver **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!p->cli.present) {
        snprintf(err, errlen, "profile %s has no cli.* keys", p->name);
        return -EINVAL;
    }
    if (!cfg->hostkey[0] && !cfg->known_hosts[0]) {
        snprintf(err, errlen,
                 "ssh switch %s: set hostkey (SHA256:...) or known_hosts; an "
                 "unverified host key is never accepted",
                 cfg->name);
        return -EINVAL;
    }
    if (!cfg->ssh_user[0] || (!cfg->ssh_key[0] && !cfg->ssh_password[0])) {
        snprintf(err, errlen, "ssh switch %s: needs ssh_user and ssh_password or ssh_key",
                 cfg->name);
        return -EINVAL;
    }
    struct ssh_driver *d = calloc(1, sizeof(*d));
    if (!d || !(d->screen = calloc(1, sizeof(*d->screen)))) {
        free(d);
        return -ENOMEM;
    }
    if (split_address(cfg->address, d->host, sizeof(d->host), &d->port) < 0) {
        snprintf(err, errlen, "ssh switch %s: bad address %.100s", cfg->name, cfg->address);
        free(d->screen);
        free(d);
        return -EINVAL;
    }
    d->base.ops = &ssh_ops;
    d->base.cfg = cfg;
    d->base.profile = p;
    *out = &d->base;
    return 0;
}
