/* config: what an operator writes, and every way it can be wrong. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "pirack/config.h"
#include "daemon/config/config_internal.h"

static const char *minimal = "[rack]\nname = rack1\ndomain = hostedpi.example\nslots = 108\n"
                             "[ipv4]\npool = 10.42.0.0/23\n"
                             "[ipv6]\npool = 2001:db8:42::/56\n";

struct loaded {
    struct pr_config cfg;
    int errors;
    char out[8192];
    char path[64];
};

/* Writes text to a temp file, loads it, keeps the error text. */
static int load_text(struct loaded *l, const char *text)
{
    FILE *mem, *f;
    int fd;

    strcpy(l->path, "/tmp/pirack-conf-XXXXXX");
    fd = mkstemp(l->path);
    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    memset(l->out, 0, sizeof(l->out));
    mem = fmemopen(l->out, sizeof(l->out) - 1, "w");
    l->errors = pr_config_load(l->path, &l->cfg, mem);
    fclose(mem);
    unlink(l->path);
    return l->errors;
}

/* minimal, then extra.  A second [rack] would be refused, so extra that
 * starts with one continues minimal's [rack] instead, moved last: a
 * comment takes the header's line, so line numbers stay the same. */
static char *with(const char *extra)
{
    static const char rack_last[] = "[ipv4]\npool = 10.42.0.0/23\n"
                                    "[ipv6]\npool = 2001:db8:42::/56\n"
                                    "[rack]\nname = rack1\ndomain = hostedpi.example\nslots = 108\n"
                                    "# [rack] goes on\n";
    static char buf[4096];

    if (strncmp(extra, "[rack]\n", 7) == 0)
        snprintf(buf, sizeof(buf), "%s%s", rack_last, extra + 7);
    else
        snprintf(buf, sizeof(buf), "%s%s", minimal, extra);
    return buf;
}

/* Asserts that some line of the error text is "PATH:LINE: ...needle..." */
static void assert_error_at(const struct loaded *l, int line, const char *needle)
{
    char want[128];
    size_t wlen;

    wlen = (size_t)snprintf(want, sizeof(want), "%s:%d: ", l->path, line);
    for (const char *p = l->out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        const char *end = strchr(p, '\n'), *hit;

        if (strncmp(p, want, wlen) != 0)
            continue;
        hit = strstr(p, needle);
        if (hit && (!end || hit < end))
            return;
    }
    print_error("wanted \"%s%s\" in:\n%s\n", want, needle, l->out);
    fail();
}

/* The text in memory (what the fuzzer parses) reads as the file does:
 * same errors, same values, the name in the messages. */
static void text_reads_as_the_file(void **state)
{
    struct pr_config *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
    const char *bad = "[rack]\nslots = 4\nslots = x\n[nope]\n";
    char *out = NULL, text[65536];
    size_t outlen = 0, n;
    FILE *f = fopen(SRCDIR "/docs/examples/pirackd.conf", "r"), *mem;

    (void)state;
    assert_non_null(f);
    n = fread(text, 1, sizeof text, f);
    fclose(f);
    assert_true(n > 0 && n < sizeof text);
    assert_int_equal(pr_config_load(SRCDIR "/docs/examples/pirackd.conf", a, NULL), 0);
    assert_int_equal(pr_config_load_text("mem.conf", text, n, b, NULL), 0);
    assert_int_equal(b->slots, a->slots);
    assert_int_equal(b->n_switches, a->n_switches);
    assert_memory_equal(&b->switches[1], &a->switches[1], sizeof a->switches[1]);
    assert_int_equal(b->lease_time_s, a->lease_time_s);
    mem = open_memstream(&out, &outlen);
    assert_true(pr_config_load_text("mem.conf", bad, strlen(bad), b, mem) >= 2);
    fclose(mem);
    assert_non_null(strstr(out, "mem.conf:3: "));
    assert_non_null(strstr(out, "mem.conf:4: "));
    free(out);
    free(a);
    free(b);
}

static void example_config_is_valid(void **state)
{
    struct pr_config *cfg = malloc(sizeof(*cfg));
    int errors;

    (void)state;
    errors = pr_config_load(SRCDIR "/docs/examples/pirackd.conf", cfg, stderr);
    assert_int_equal(errors, 0);
    assert_string_equal(cfg->rack_name, "rack1");
    assert_int_equal(cfg->slots, 108);
    assert_true(cfg->isolated);
    assert_int_equal(cfg->n_switches, 2);
    assert_string_equal(cfg->switches[1].name, "sw2");
    assert_int_equal(cfg->switches[1].driver, PR_SWITCH_SSH);
    assert_int_equal(cfg->switches[1].first_slot, 55);
    assert_int_equal(cfg->switches[1].last_slot, 108);
    assert_int_equal(cfg->switches[0].snmp_version, 3);
    assert_int_equal(cfg->power_hold_ms, 3000);
    assert_int_equal(cfg->power_stagger_ms, 500);
    assert_int_equal(cfg->lease_time_s, 86400);
    assert_int_equal(cfg->n_dns, 2);
    assert_int_equal(cfg->api_mode, 0660);
    assert_int_equal(cfg->events_max_age_s, 365 * 86400);
    assert_int_equal(cfg->traces_max_count, 1000);
    assert_ptr_equal(pr_config_switch_for_slot(cfg, 54), &cfg->switches[0]);
    assert_ptr_equal(pr_config_switch_for_slot(cfg, 55), &cfg->switches[1]);
    free(cfg);
}

static void defaults_fill_the_rest(void **state)
{
    struct loaded *l = malloc(sizeof(*l));

    (void)state;
    assert_int_equal(load_text(l, minimal), 0);
    assert_string_equal(l->cfg.interface, "pi%03d");
    assert_int_equal(l->cfg.ssh_port_base, 22001);
    assert_int_equal(l->cfg.tftp_port, 69);
    assert_true(l->cfg.pi3_second_offer);
    free(l);
}

static void every_error_named_with_its_line(void **state)
{
    struct loaded *l = malloc(sizeof(*l));

    (void)state;
    load_text(l, with("[dhcp]\n"                     /* 9 */
                      "lease_time = soon\n"          /* 10 */
                      "[tftp]\n"                     /* 11 */
                      "port = 70000\n"               /* 12 */
                      "colour = blue\n"              /* 13 */
                      "[bogus]\n"                    /* 14 */
                      "x = 1\n"                      /* 15: skipped */
                      "this line has no equals\n")); /* 16 */
    assert_int_equal(l->errors, 5);
    assert_error_at(l, 16, "expected \"key = value\" or \"[section]\"");
    assert_error_at(l, 10, "lease_time: expected a duration");
    assert_error_at(l, 12, "port: expected a whole number from 1 to 65535");
    assert_error_at(l, 13, "unknown key \"colour\" in [tftp]");
    assert_error_at(l, 14, "unknown section [bogus]");
    free(l);
}

static void syntax_error_line(void **state)
{
    struct loaded *l = malloc(sizeof(*l));

    (void)state;
    load_text(l, with("[dhcp]\nthis line has no equals\n"));
    assert_int_equal(l->errors, 1);
    assert_error_at(l, 10, "expected \"key = value\"");
    free(l);
}

static void pools_checked(void **state)
{
    struct loaded *l = malloc(sizeof(*l));

    (void)state;
    load_text(l, "[rack]\nname = r\ndomain = d.example\nslots = 108\n"
                 "[ipv4]\npool = 10.42.0.0/24\n"       /* 6: 64 /30s */
                 "[ipv6]\npool = 2001:db8:42::/60\n"); /* 8: 16 /64s */
    assert_int_equal(l->errors, 2);
    assert_error_at(l, 6, "too small for 108 slots");
    assert_error_at(l, 8, "too small for 108 slots");

    load_text(l, "[rack]\nname = r\ndomain = d.example\nslots = 4\n"
                 "[ipv4]\npool = 100.64.0.0/24\n"
                 "[ipv6]\npool = 2001:db8:42::/64\n");
    assert_int_equal(l->errors, 2);
    assert_error_at(l, 6, "RFC 1918");
    assert_error_at(l, 8, "too small for 4 slots");

    load_text(l, "[rack]\nname = r\ndomain = d.example\nslots = 4\n"
                 "[ipv4]\npool = 10.42.0.1/24\n"
                 "[ipv6]\npool = 2001:db8:42::/62\n");
    assert_int_equal(l->errors, 1);
    assert_error_at(l, 6, "no host bits set");
    free(l);
}

static void missing_keys_named(void **state)
{
    struct loaded *l = malloc(sizeof(*l));

    (void)state;
    assert_int_equal(load_text(l, "[rack]\nname = r\n"), 4);
    assert_non_null(strstr(l->out, "missing [rack] domain"));
    assert_non_null(strstr(l->out, "missing [rack] slots"));
    assert_non_null(strstr(l->out, "missing [ipv4] pool"));
    assert_non_null(strstr(l->out, "missing [ipv6] pool"));
    free(l);
}

static void interface_pattern_checked(void **state)
{
    struct loaded *l = malloc(sizeof(*l));

    (void)state;
    load_text(l, with("[rack]\ninterface = eth0\n"));
    assert_int_equal(l->errors, 1);
    assert_error_at(l, 10, "needs one %d");
    load_text(l, with("[rack]\ninterface = pi%d%d\n"));
    assert_int_equal(l->errors, 1);
    load_text(l, with("[rack]\nmode = flat\ninterface = br-pi\n"));
    assert_int_equal(l->errors, 0);
    assert_false(l->cfg.isolated);
    load_text(l, with("[rack]\nmode = flat\ninterface = pi%03d\n"));
    assert_int_equal(l->errors, 1);
    assert_error_at(l, 11, "not a pattern");
    free(l);
}

static void ports_out_of_range(void **state)
{
    struct loaded *l = malloc(sizeof(*l));

    (void)state;
    load_text(l, with("[proxy]\nssh_port_base = 65500\n"));
    assert_int_equal(l->errors, 1);
    assert_error_at(l, 10, "run past 65535");
    load_text(l, with("[proxy]\nssh_port_base = 400\nhttps_port = 443\n"));
    assert_int_equal(l->errors, 1);
    assert_error_at(l, 10, "overlap the proxy's http or https port");
    free(l);
}

/* The customer API's TLS keys come in pairs and need a listener. */
static void api_tls_checked(void **state)
{
    struct loaded *l = malloc(sizeof(*l));

    (void)state;
    load_text(l, with("[api]\nlisten = [::]:8443\ntls_cert = /etc/pirack/api.pem\n"));
    assert_int_equal(l->errors, 1);
    assert_error_at(l, 11, "tls_cert: tls_cert and tls_key go together");
    load_text(l, with("[api]\ntls_cert = /a.pem\ntls_key = /a.key\n"));
    assert_int_equal(l->errors, 1);
    assert_error_at(l, 10, "no [api] listen to serve TLS on");
    load_text(l, with("[proxy]\napi_cert = /a.pem\n"));
    assert_int_equal(l->errors, 1);
    assert_error_at(l, 10, "the customer API's route needs [api] listen");
    load_text(l, with("[api]\nlisten = 127.0.0.1:8080\n[proxy]\napi_cert = /a.pem\n"
                      "[metrics]\nlisten = 127.0.0.1:9412\n"));
    assert_int_equal(l->errors, 0);
    free(l);
}

/* The customer API's rate limits: defaults as documented, small values
 * (what tests use) taken, nonsense refused on its line. */
static void api_limits_checked(void **state)
{
    struct loaded *l = malloc(sizeof(*l));

    (void)state;
    assert_int_equal(load_text(l, minimal), 0);
    assert_int_equal(l->cfg.api_key_burst, 30);
    assert_int_equal(l->cfg.api_key_rate, 5);
    assert_int_equal(l->cfg.api_power_burst, 3);
    assert_int_equal(l->cfg.api_power_interval_ms, 20000);
    assert_int_equal(l->cfg.api_login_burst, 5);
    assert_int_equal(l->cfg.api_login_interval_ms, 12000);
    assert_int_equal(load_text(l, with("[api]\nkey_burst = 2\nkey_rate = 1\npower_burst = 1\n"
                                       "power_interval = 1h\nlogin_burst = 1\n"
                                       "login_interval = 500ms\n")),
                     0);
    assert_int_equal(l->cfg.api_key_burst, 2);
    assert_int_equal(l->cfg.api_key_rate, 1);
    assert_int_equal(l->cfg.api_power_burst, 1);
    assert_int_equal(l->cfg.api_power_interval_ms, 3600000);
    assert_int_equal(l->cfg.api_login_burst, 1);
    assert_int_equal(l->cfg.api_login_interval_ms, 500);
    load_text(l, with("[api]\nkey_burst = 0\npower_interval = 10ms\n"));
    assert_int_equal(l->errors, 2);
    assert_error_at(l, 10, "key_burst");
    assert_error_at(l, 11, "power_interval");
    free(l);
}

static void switches_checked(void **state)
{
    struct loaded *l = malloc(sizeof(*l));

    (void)state;
    load_text(l, with("[switch a]\n" /* 9 */
                      "address = 127.0.0.1:1161\ncommunity = c\nslots = 1-60\n"
                      "[switch b]\n" /* 13 */
                      "address = 127.0.0.1:1162\ncommunity = c\nslots = 50-120\n"
                      "[switch c]\n" /* 17 */
                      "driver = ssh\naddress = [::1]:2222\nslots = 121-121\nssh_user = u\n"
                      "ssh_password = p\nprofile = procurve\n"
                      "retries = 11\n" /* 24 */
                      "[switch a]\n"   /* 25: a second [switch a] */
                      "retries = 1\n"));
    assert_error_at(l, 24, "retries: expected a whole number from 0 to 10");
    assert_error_at(l, 25, "switch \"a\" is already defined on line 9");
    assert_error_at(l, 13, "slots 50-120 run past the rack's 108 slots");
    assert_error_at(l, 13, "overlap [switch a] slots 1-60");
    assert_error_at(l, 17, "never accepts an unknown host key");
    assert_error_at(l, 17, "run past the rack's 108 slots");
    assert_int_equal(l->errors, 6);
    free(l);
}

static void credentials_file(void **state)
{
    struct loaded *l = malloc(sizeof(*l));
    char cred[] = "/tmp/pirack-cred-XXXXXX", text[512];
    int fd = mkstemp(cred);

    (void)state;
    assert_true(dprintf(fd, "community = s3cret\n") > 0);
    close(fd);
    chmod(cred, 0600);
    snprintf(text, sizeof(text),
             "[switch a]\naddress = 127.0.0.1\nslots = 1-8\n"
             "credentials = %s\n",
             cred);
    assert_int_equal(load_text(l, with(text)), 0);
    assert_string_equal(l->cfg.switches[0].community, "s3cret");

    chmod(cred, 0644); /* refused, so the community is missing too */
    assert_int_equal(load_text(l, with(text)), 2);
    assert_error_at(l, 9, "must not be readable by group or others");

    fd = open(cred, O_WRONLY | O_TRUNC);
    assert_true(dprintf(fd, "address = 10.0.0.1\n") > 0);
    close(fd);
    chmod(cred, 0600);
    assert_int_equal(load_text(l, with(text)), 2); /* not a secret, so no community either */
    assert_non_null(strstr(l->out, "may hold only secrets"));
    unlink(cred);
    free(l);
}

/* Under the unit the root-only file is out of pirackd's reach: the copy
 * that LoadCredential= put in $CREDENTIALS_DIRECTORY as pirack_NAME (or
 * NAME) is read instead; without one, the file itself. */
static void credentials_from_systemd(void **state)
{
    struct loaded *l = malloc(sizeof(*l));
    char dir[] = "/tmp/pirack-creds-XXXXXX", path[512], text[512];
    int fd;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(text, sizeof(text),
             "[switch a]\naddress = 127.0.0.1\nslots = 1-8\n"
             "credentials = /nonexistent/credentials/sw-a\n");
    unsetenv("CREDENTIALS_DIRECTORY");
    assert_int_equal(load_text(l, with(text)), 2); /* no file, so no community */
    assert_error_at(l, 9, "credentials /nonexistent/credentials/sw-a: No such file");

    setenv("CREDENTIALS_DIRECTORY", dir, 1);
    snprintf(path, sizeof(path), "%s/sw-a", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0400);
    assert_true(dprintf(fd, "community = by-name\n") > 0);
    close(fd);
    assert_int_equal(load_text(l, with(text)), 0);
    assert_string_equal(l->cfg.switches[0].community, "by-name");

    snprintf(path, sizeof(path), "%s/pirack_sw-a", dir); /* the unit's, first */
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0400);
    assert_true(dprintf(fd, "community = from-unit\n") > 0);
    close(fd);
    assert_int_equal(load_text(l, with(text)), 0);
    assert_string_equal(l->cfg.switches[0].community, "from-unit");

    unsetenv("CREDENTIALS_DIRECTORY");
    unlink(path);
    snprintf(path, sizeof(path), "%s/sw-a", dir);
    unlink(path);
    rmdir(dir);
    free(l);
}

/* inih cuts a value at " ;" (an inline comment): a secret cut so would
 * fail later as a wrong password; it is refused, and not echoed. */
static void secret_cut_by_comment_refused(void **state)
{
    struct loaded *l = malloc(sizeof(*l));
    char cred[] = "/tmp/pirack-cred-XXXXXX", text[512];
    int fd = mkstemp(cred);

    (void)state;
    assert_true(dprintf(fd, "ssh_user = sw\nssh_password = Tr0ub4dor ;and3\n") > 0);
    close(fd);
    chmod(cred, 0600);
    snprintf(text, sizeof(text),
             "[switch a]\ndriver = ssh\naddress = 127.0.0.1\nslots = 1-8\n"
             "hostkey = SHA256:abc\ncredentials = %s\n[switch b]\naddress = 127.0.0.2\n"
             "slots = 9-16\ncommunity = pub;lic ;x\n",
             cred);
    assert_true(load_text(l, with(text)) >= 2);
    assert_non_null(strstr(l->out, ":2: ssh_password: a blank followed by ';' starts a comment"));
    assert_error_at(l, 18, "community: a blank followed by ';' starts a comment");
    assert_null(strstr(l->out, "Tr0ub4dor"));
    assert_null(strstr(l->out, "pub;lic"));

    fd = open(cred, O_WRONLY | O_TRUNC); /* ';' without a blank is part of the value */
    assert_true(dprintf(fd, "ssh_user = sw\nssh_password = Tr0ub4dor;and3 #x\n") > 0);
    close(fd);
    snprintf(text, sizeof(text),
             "[switch a]\ndriver = ssh\naddress = 127.0.0.1\nslots = 1-8\n"
             "profile = procurve\nhostkey = SHA256:abc\ncredentials = %s\n",
             cred);
    assert_int_equal(load_text(l, with(text)), 0);
    assert_string_equal(l->cfg.switches[0].ssh_password, "Tr0ub4dor;and3 #x");
    unlink(cred);
    free(l);
}

/* enable_password is a secret like ssh_password: it may come from a
 * credentials file, it is refused where ssh_password is (too long, cut
 * by " ;") without being echoed, and it belongs to SSH switches only. */
static void enable_password_is_a_secret(void **state)
{
    struct loaded *l = malloc(sizeof(*l));
    char cred[] = "/tmp/pirack-cred-XXXXXX", text[1024], longpw[300];
    const struct pr_key *k = pr_config_find_switch_key("enable_password");
    int fd = mkstemp(cred);

    (void)state;
    assert_non_null(k);
    assert_true(k->secret);
    assert_true(dprintf(fd, "ssh_user = sw\nssh_password = pw\nenable_password = En;4ble #x\n") >
                0);
    close(fd);
    chmod(cred, 0600);
    snprintf(text, sizeof(text),
             "[switch a]\ndriver = ssh\naddress = 127.0.0.1\nslots = 1-8\n"
             "profile = cisco-ios\nhostkey = SHA256:abc\ncredentials = %s\n",
             cred);
    assert_int_equal(load_text(l, with(text)), 0);
    assert_string_equal(l->cfg.switches[0].enable_password, "En;4ble #x");

    fd = open(cred, O_WRONLY | O_TRUNC); /* cut at an inline comment: refused */
    assert_true(dprintf(fd, "ssh_user = sw\nssh_password = pw\nenable_password = En4ble ;cut\n") >
                0);
    close(fd);
    assert_int_equal(load_text(l, with(text)), 1);
    assert_non_null(
        strstr(l->out, ":3: enable_password: a blank followed by ';' starts a comment"));
    assert_null(strstr(l->out, "En4ble"));
    unlink(cred);

    /* inih reads 200-byte lines: a longer secret is refused whole. */
    memset(longpw, 'x', 230);
    longpw[230] = '\0';
    snprintf(text, sizeof(text),
             "[switch a]\ndriver = ssh\naddress = 127.0.0.1\nslots = 1-8\n"
             "profile = cisco-ios\nhostkey = SHA256:abc\nssh_user = u\nssh_password = p\n"
             "enable_password = %s\n[switch b]\naddress = 127.0.0.2\nslots = 9-16\n"
             "community = c\nenable_password = s3cr3t\n",
             longpw);
    assert_int_equal(load_text(l, with(text)), 2);
    assert_error_at(l, 17, "line longer than 198 characters");
    assert_error_at(l, 18, "[switch b]: enable_password is only for driver = ssh");
    assert_null(strstr(l->out, "xxxxxxxx"));
    assert_null(strstr(l->out, "s3cr3t"));
    free(l);
}

/* Keys once parsed but not acted on are all acted on now: a file that
 * sets them loads without a word about them. */
static void keys_acted_on_now_give_no_warning(void **state)
{
    struct loaded *l = malloc(sizeof(*l));

    (void)state;
    assert_int_equal(load_text(l, with("[health]\nboot_timeout = 30s\nport = 2222\n"
                                       "interval = 10s\nmax_cycles = 3\n[api]\nlisten = "
                                       "127.0.0.1:8080\n[paths]\nrun = /run/x\nimages = /srv/i\n")),
                     0);
    assert_string_equal(l->out, "");
    assert_int_equal(l->cfg.health_port, 2222);
    assert_int_equal(l->cfg.max_cycles, 3);
    assert_string_equal(l->cfg.api_listen, "127.0.0.1:8080");
    assert_string_equal(l->cfg.run_dir, "/run/x");
    assert_string_equal(l->cfg.image_dir, "/srv/i");
    /* The shipped example sets none of them: --check on it is silent. */
    assert_int_equal(load_text(l, minimal), 0);
    assert_string_equal(l->out, "");
    free(l);
}

/* [paths] run is where the API's socket goes unless [api] socket says
 * otherwise, whichever comes first; a path too long for a Unix socket is
 * an error at the line that made it. */
static void paths_run_holds_the_api_socket(void **state)
{
    struct loaded *l = malloc(sizeof(*l));
    char extra[400];

    (void)state;
    assert_int_equal(load_text(l, minimal), 0);
    assert_string_equal(l->cfg.run_dir, "/run/pirack");
    assert_string_equal(l->cfg.api_socket, "/run/pirack/api.sock");
    assert_int_equal(load_text(l, with("[paths]\nrun = /run/rack2\n")), 0);
    assert_string_equal(l->cfg.api_socket, "/run/rack2/api.sock");
    assert_int_equal(load_text(l, with("[api]\nsocket = /run/s.sock\n[paths]\nrun = /run/rack2\n")),
                     0);
    assert_string_equal(l->cfg.api_socket, "/run/s.sock");
    assert_string_equal(l->cfg.run_dir, "/run/rack2");
    assert_int_equal(load_text(l, with("[paths]\nrun = /run/rack2\n[api]\nsocket = /run/s.sock\n")),
                     0);
    assert_string_equal(l->cfg.api_socket, "/run/s.sock");

    /* "/run/" and 100 digits leave no room for "/api.sock" in 107 bytes */
    snprintf(extra, sizeof(extra), "[paths]\nrun = /run/%0100d\n", 0);
    assert_int_equal(load_text(l, with(extra)), 1);
    assert_error_at(l, 10, "run: /run/0000");
    assert_error_at(l, 10, "would be 114 bytes, more than the 107 a Unix socket's path may have");
    /* set for the socket itself, the same length check */
    snprintf(extra, sizeof(extra), "[api]\nsocket = /run/%0110d\n", 0);
    assert_int_equal(load_text(l, with(extra)), 1);
    assert_error_at(l, 10, "socket: 115 bytes, more than the 107");
    free(l);
}

/* Loads len bytes as they are (the text may hold NUL bytes). */
static int load_bytes(struct loaded *l, const char *bytes, size_t len)
{
    FILE *mem;
    int fd;

    strcpy(l->path, "/tmp/pirack-conf-XXXXXX");
    fd = mkstemp(l->path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, bytes, len), (ssize_t)len);
    close(fd);
    memset(l->out, 0, sizeof(l->out));
    mem = fmemopen(l->out, sizeof(l->out) - 1, "w");
    l->errors = pr_config_load(l->path, &l->cfg, mem);
    fclose(mem);
    unlink(l->path);
    return l->errors;
}

/* A second [rack] or a second "slots" would silently win over the
 * first: both are refused, naming both lines. */
static void repeats_refused_with_both_lines(void **state)
{
    struct loaded *l = malloc(sizeof(*l));
    char text[1024];

    (void)state;
    snprintf(text, sizeof(text), "%s%s", minimal,
             "[rack]\n"                /* 9 */
             "slots = 4\n"             /* 10: under the refused header */
             "[dhcp]\n"                /* 11 */
             "lease_time = 1h\n"       /* 12 */
             "lease_time = 2h\n"       /* 13 */
             "[switch a]\n"            /* 14 */
             "address = 127.0.0.1\n"   /* 15 */
             "slots = 1-8\n"           /* 16 */
             "community = c\n"         /* 17 */
             "address = 127.0.0.2\n"); /* 18 */
    load_text(l, text);
    assert_error_at(l, 9, "[rack] is already defined on line 1");
    assert_error_at(l, 13, "lease_time is already set on line 12");
    assert_error_at(l, 18, "address is already set on line 15");
    assert_int_equal(l->errors, 3);
    assert_int_equal(l->cfg.slots, 108);
    assert_int_equal(l->cfg.lease_time_s, 3600);
    assert_string_equal(l->cfg.switches[0].address, "127.0.0.1");
    free(l);
}

/* A header without ']' is named on its own line; the keys below it are
 * not blamed on the section before. */
static void unclosed_header_on_its_own_line(void **state)
{
    struct loaded *l = malloc(sizeof(*l));

    (void)state;
    load_text(l, with("[switch sw1\n"         /* 9 */
                      "address = 127.0.0.1\n" /* 10 */
                      "slots = 1-8\n"));      /* 11 */
    assert_error_at(l, 9, "section header has no closing ']'");
    assert_int_equal(l->errors, 1);
    free(l);
}

/* Headers that name nothing are refused even with no keys below. */
static void empty_headers_refused(void **state)
{
    struct loaded *l = malloc(sizeof(*l));

    (void)state;
    load_text(l, with("[]\n"           /* 9 */
                      "[switch]\n"     /* 10 */
                      "[switch A B]\n" /* 11 */
                      "[ipv4]\n"));    /* 12: already defined */
    assert_error_at(l, 9, "empty section header []");
    assert_error_at(l, 10, "[switch] needs a name");
    assert_error_at(l, 11, "[switch A B]: a switch has one name");
    assert_error_at(l, 12, "[ipv4] is already defined on line 5");
    assert_int_equal(l->errors, 4);
    free(l);
}

/* "name = rack1\0evil" must not load as "rack1". */
static void nul_byte_refused(void **state)
{
    struct loaded *l = malloc(sizeof(*l));
    static const char text[] = "[rack]\nname = rack1\0evil\ndomain = hostedpi.example\n"
                               "slots = 108\n[ipv4]\npool = 10.42.0.0/23\n"
                               "[ipv6]\npool = 2001:db8:42::/56\n";

    (void)state;
    load_bytes(l, text, sizeof(text) - 1);
    assert_error_at(l, 2, "a NUL byte in this line");
    assert_true(l->errors >= 1);
    free(l);
}

/* -c /dev/zero would read forever, a directory reads as nothing: both are
 * refused at once. */
static void not_a_regular_file_refused(void **state)
{
    struct loaded *l = malloc(sizeof(*l));
    char *big;
    FILE *mem;

    (void)state;
    mem = fmemopen(l->out, sizeof(l->out) - 1, "w");
    assert_int_equal(pr_config_load("/dev/zero", &l->cfg, mem), 1);
    fclose(mem);
    assert_non_null(strstr(l->out, "/dev/zero: not a regular file"));
    memset(l->out, 0, sizeof(l->out));
    mem = fmemopen(l->out, sizeof(l->out) - 1, "w");
    assert_int_equal(pr_config_load("/tmp", &l->cfg, mem), 1);
    fclose(mem);
    assert_non_null(strstr(l->out, "/tmp: not a regular file"));
    big = calloc(1, PR_CONFIG_MAX_BYTES + 2);
    memset(big, '\n', PR_CONFIG_MAX_BYTES + 1);
    assert_int_equal(load_bytes(l, big, PR_CONFIG_MAX_BYTES + 1), 1);
    assert_non_null(strstr(l->out, "larger than"));
    free(big);
    free(l);
}

static void unreadable_file(void **state)
{
    struct pr_config *cfg = malloc(sizeof(*cfg));

    (void)state;
    assert_int_equal(pr_config_load("/nonexistent/pirackd.conf", cfg, NULL), -ENOENT);
    free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(example_config_is_valid),
        cmocka_unit_test(text_reads_as_the_file),
        cmocka_unit_test(defaults_fill_the_rest),
        cmocka_unit_test(every_error_named_with_its_line),
        cmocka_unit_test(syntax_error_line),
        cmocka_unit_test(pools_checked),
        cmocka_unit_test(missing_keys_named),
        cmocka_unit_test(interface_pattern_checked),
        cmocka_unit_test(ports_out_of_range),
        cmocka_unit_test(api_tls_checked),
        cmocka_unit_test(api_limits_checked),
        cmocka_unit_test(switches_checked),
        cmocka_unit_test(credentials_file),
        cmocka_unit_test(credentials_from_systemd),
        cmocka_unit_test(secret_cut_by_comment_refused),
        cmocka_unit_test(enable_password_is_a_secret),
        cmocka_unit_test(keys_acted_on_now_give_no_warning),
        cmocka_unit_test(paths_run_holds_the_api_socket),
        cmocka_unit_test(unreadable_file),
        cmocka_unit_test(repeats_refused_with_both_lines),
        cmocka_unit_test(unclosed_header_on_its_own_line),
        cmocka_unit_test(empty_headers_refused),
        cmocka_unit_test(nul_byte_refused),
        cmocka_unit_test(not_a_regular_file_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
