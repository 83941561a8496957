/* proxy_admin: one runtime API command over a Unix socket or TCP, with a
 * deadline that a silent peer cannot stretch.  The peers here are tiny
 * servers on threads: one that answers like HAProxy, one that never
 * answers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "pirack/loop.h"
#include "pirack/proxy.h"
#include "daemon/proxy/proxy_internal.h"

struct peer {
    int listen_fd;
    bool answer;   /* false: accept, read, say nothing */
    char got[256]; /* the command it received */
};

static void *serve_one(void *arg)
{
    struct peer *p = arg;
    int fd = accept(p->listen_fd, NULL, NULL);
    if (fd < 0)
        return NULL;
    ssize_t n = recv(fd, p->got, sizeof p->got - 1, 0);
    p->got[n > 0 ? n : 0] = '\0';
    if (p->answer) {
        const char *ans = "Name: HAProxy\nVersion: 2.6.12\nPid: 4242\nUptime_sec: 9\n\n";
        send(fd, ans, strlen(ans), MSG_NOSIGNAL);
    } else {
        char sink[64];
        while (recv(fd, sink, sizeof sink, 0) > 0) /* until the client gives up */
            ;
    }
    close(fd);
    return NULL;
}

static int tcp_listener(unsigned *port)
{
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof sin;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    assert_int_equal(listen(fd, 4), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
    *port = ntohs(sin.sin_port);
    return fd;
}

static void over_tcp(void **state)
{
    struct peer p = { .answer = true };
    struct pr_haproxy_info info;
    pthread_t th;
    unsigned port;
    char addr[64], *ans;
    size_t len;
    (void)state;
    p.listen_fd = tcp_listener(&port);
    snprintf(addr, sizeof addr, "127.0.0.1:%u", port);
    pthread_create(&th, NULL, serve_one, &p);
    assert_int_equal(pr_haproxy_cmd(addr, "show info\n", 2000, &ans, &len), 0);
    pthread_join(th, NULL);
    assert_string_equal(p.got, "show info\n");
    assert_int_equal(pr_haproxy_parse_show_info(ans, len, &info), 0);
    assert_int_equal(info.pid, 4242);
    free(ans);
    close(p.listen_fd);
}

static void over_unix(void **state)
{
    struct peer p = { .answer = true };
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    char dir[] = "/tmp/pirack-unit-XXXXXX", *ans;
    pthread_t th;
    size_t len;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(sun.sun_path, sizeof sun.sun_path, "%s/admin.sock", dir);
    p.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal(bind(p.listen_fd, (struct sockaddr *)&sun, sizeof sun), 0);
    assert_int_equal(listen(p.listen_fd, 4), 0);
    pthread_create(&th, NULL, serve_one, &p);
    assert_int_equal(pr_haproxy_cmd(sun.sun_path, "show map /m/sni.map\n", 2000, &ans, &len), 0);
    pthread_join(th, NULL);
    assert_string_equal(p.got, "show map /m/sni.map\n");
    assert_non_null(strstr(ans, "Pid: 4242"));
    free(ans);
    close(p.listen_fd);
    unlink(sun.sun_path);
    rmdir(dir);
}

/* A peer that takes the command and never answers costs the deadline,
 * not more: the loop's worker is never stuck. */
static void silent_peer_times_out(void **state)
{
    struct peer p = { .answer = false };
    pthread_t th;
    unsigned port;
    char addr[64], *ans;
    size_t len;
    (void)state;
    p.listen_fd = tcp_listener(&port);
    snprintf(addr, sizeof addr, "[::ffff:127.0.0.1]:%u", port);
    pthread_create(&th, NULL, serve_one, &p);
    uint64_t start = pr_now_ms();
    assert_int_equal(pr_haproxy_cmd(addr, "show info\n", 300, &ans, &len), -ETIMEDOUT);
    uint64_t took = pr_now_ms() - start;
    assert_true(took >= 290 && took < 1000);
    assert_null(ans);
    pthread_join(th, NULL);
    close(p.listen_fd);
}

static void nobody_listening(void **state)
{
    unsigned port;
    char addr[64], *ans;
    size_t len;
    (void)state;
    int fd = tcp_listener(&port);
    close(fd); /* the port is now closed */
    snprintf(addr, sizeof addr, "127.0.0.1:%u", port);
    assert_int_equal(pr_haproxy_cmd(addr, "show info\n", 500, &ans, &len), -ECONNREFUSED);
    assert_int_equal(
        pr_haproxy_cmd("/tmp/pirack-unit-none/admin.sock", "show info\n", 500, &ans, &len),
        -ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(over_tcp),
        cmocka_unit_test(over_unix),
        cmocka_unit_test(silent_peer_times_out),
        cmocka_unit_test(nobody_listening),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
