/*
 * test_lab.c - the lab's scenario table, address parsing, and send-rst /
 * serve-rst against real loopback sockets (no capture, so no privilege
 * needed; the capturing lab itself is tests/cli/lab.sh).
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <rstscope/lab.h>
#include <rstscope/record.h>

#include "lab/lab_int.h"

/* ---- helpers ---- */

/* A loopback TCP socket bound to a free port; listening when backlog >= 0. */
static int
bound_socket(int backlog, uint16_t *port)
{
    struct rs_lab_ep ep;
    assert_int_equal(rs_lab_ep_set(&ep, "127.0.0.1", 0), 0);
    int fd = rs_lab_socket(AF_INET, SOCK_STREAM, &ep);
    assert_true(fd >= 0);
    if (backlog >= 0)
        assert_int_equal(listen(fd, backlog), 0);
    struct sockaddr_in sin;
    socklen_t sl = sizeof sin;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
    *port = ntohs(sin.sin_port);
    return fd;
}

/* ---- the scenario table ---- */

static void
test_table_has_every_spec_scenario(void **state)
{
    (void)state;
    static const char *const required[] = {
        "fin",           "client-rst",   "server-rst",      "server-close-unread",
        "refused",       "syn-timeout",  "handshake-only",  "insufficient-data",
        "unknown-tcp",   "fin-then-rst", "tcp-reuse",       "aged-out",
        "udp-dns",       "unknown-udp",  "udp-unreachable", "fin-v6",
        "client-rst-v6", "refused-v6",
    };
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        int k = rs_lab_scenario_find(required[i]);
        assert_true(k >= 0);
        assert_string_equal(rs_lab_scenario_get((size_t)k)->name, required[i]);
    }
    assert_int_equal(rs_lab_scenario_find("no-such-scenario"), -1);
    assert_null(rs_lab_scenario_get(rs_lab_scenario_count()));
}

static int
is_end_reason(const char *s)
{
    for (int r = 0; r < RS_END__COUNT; r++)
        if (strcmp(rs_end_reason_name((enum rs_end_reason)r), s) == 0)
            return 1;
    return 0;
}

static void
test_table_expectations_are_well_formed(void **state)
{
    (void)state;
    size_t n = rs_lab_scenario_count();
    assert_true(n >= 18);
    for (size_t i = 0; i < n; i++) {
        const struct rs_lab_scenario_info *s = rs_lab_scenario_get(i);
        assert_non_null(s);
        assert_true(s->family == 4 || s->family == 6);
        assert_true(s->n_sessions >= 1 && s->n_sessions <= 3);
        assert_true(s->summary && s->summary[0]);
        for (size_t j = i + 1; j < n; j++)
            assert_string_not_equal(s->name, rs_lab_scenario_get(j)->name);
        for (size_t j = 0; j < s->n_sessions; j++) {
            const char *role = NULL;
            struct rs_lab_labels l;
            assert_int_equal(rs_lab_scenario_expect(i, j, &role, &l), 0);
            assert_non_null(role);
            /* Several sessions: each needs a role to be told apart in the table. */
            if (s->n_sessions > 1)
                assert_true(role[0] != '\0');
            assert_true(is_end_reason(l.end_reason));
            assert_true(l.conn_state[0] != '\0');
            assert_true(strcmp(l.rst_by, "") == 0 || strcmp(l.rst_by, "client") == 0 ||
                        strcmp(l.rst_by, "server") == 0 || strcmp(l.rst_by, "both") == 0);
            /* A reset ending names its sender; other endings have none. */
            if (strncmp(l.end_reason, "tcp-rst-from-", 13) == 0)
                assert_string_equal(l.rst_by, l.end_reason + 13);
            else
                assert_string_equal(l.rst_by, "");
        }
        assert_int_equal(rs_lab_scenario_expect(i, s->n_sessions, NULL, NULL), RS_ERR_USAGE);
    }
    assert_int_equal(rs_lab_scenario_expect(n, 0, NULL, NULL), RS_ERR_USAGE);
}

static void
test_refused_expectation(void **state)
{
    (void)state;
    struct rs_lab_labels l;
    int k = rs_lab_scenario_find("refused");
    assert_int_equal(rs_lab_scenario_expect((size_t)k, 0, NULL, &l), 0);
    /* SPEC §3: SYN answered by RST|ACK is tcp-rst-from-server with app incomplete. */
    assert_string_equal(l.end_reason, "tcp-rst-from-server");
    assert_string_equal(l.app, "incomplete");
    assert_string_equal(l.conn_state, "REJ");
    char buf[128];
    rs_lab_labels_format(&l, 0, buf, sizeof buf);
    assert_string_equal(buf, "tcp-rst-from-server incomplete REJ server");
    rs_lab_labels_format(&l, 1, buf, sizeof buf);
    assert_string_equal(buf, "tcp-rst-from-server incomplete REJ server refused_closed_port");
}

static void
test_labels_format_empty_and_short_buffer(void **state)
{
    (void)state;
    struct rs_lab_labels l;
    memset(&l, 0, sizeof l);
    snprintf(l.end_reason, sizeof l.end_reason, "aged-out");
    snprintf(l.conn_state, sizeof l.conn_state, "OTH");
    char buf[64];
    rs_lab_labels_format(&l, 1, buf, sizeof buf);
    assert_string_equal(buf, "aged-out - OTH - -");
    char tiny[6];
    size_t n = rs_lab_labels_format(&l, 0, tiny, sizeof tiny);
    assert_true(n < sizeof tiny);
    assert_int_equal(strlen(tiny), n);
}

static void
test_run_rejects_unknown_scenario_before_capturing(void **state)
{
    (void)state;
    const char *names[] = {"fin", "nonsense"};
    struct rs_lab_opts o = {0};
    o.scenarios = names;
    o.n_scenarios = 2;
    struct rs_lab_report *r = (struct rs_lab_report *)1;
    struct rs_error err = {0};
    assert_int_equal(rs_lab_run(&o, &r, &err), RS_ERR_USAGE);
    assert_null(r);
    assert_non_null(strstr(err.msg, "nonsense"));

    o.n_scenarios = 1;
    o.timeouts = "tcp-init=abc";
    assert_int_equal(rs_lab_run(&o, &r, &err), RS_ERR_USAGE);
    o.timeouts = "udp=600";
    const char *udp[] = {"unknown-udp"};
    o.scenarios = udp;
    assert_int_equal(rs_lab_run(&o, &r, &err), RS_ERR_USAGE);
    assert_non_null(strstr(err.msg, "timer"));
}

/* ---- address parsing ---- */

static void
test_ep_parse(void **state)
{
    (void)state;
    struct rs_lab_ep ep;
    struct rs_error err = {0};
    char buf[64];
    assert_int_equal(rs_lab_ep_parse(&ep, "127.0.0.1:8080", &err), 0);
    rs_lab_sa_format((struct sockaddr *)&ep.ss, buf, sizeof buf);
    assert_string_equal(buf, "127.0.0.1:8080");
    assert_int_equal(rs_lab_ep_parse(&ep, "[::1]:443", &err), 0);
    rs_lab_sa_format((struct sockaddr *)&ep.ss, buf, sizeof buf);
    assert_string_equal(buf, "[::1]:443");
    assert_int_equal(rs_lab_ep_port(&ep), 443);
    assert_int_equal(rs_lab_ep_parse(&ep, "9000", &err), 0);
    rs_lab_sa_format((struct sockaddr *)&ep.ss, buf, sizeof buf);
    assert_string_equal(buf, "127.0.0.1:9000");
    assert_int_equal(rs_lab_ep_parse(&ep, ":0", &err), 0);
    assert_int_equal(rs_lab_ep_port(&ep), 0);

    static const char *const bad[] = {"::1:80",  "localhost:80", "1.2.3.4:70000",
                                      "[::1]80", "[::1]:",       "1.2.3.4:",
                                      "",        "[::1",         "1.2.3.4:-1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err.msg[0] = '\0';
        assert_int_not_equal(rs_lab_ep_parse(&ep, bad[i], &err), 0);
        assert_true(err.msg[0] != '\0');
    }
}

static void
test_serve_mode_names(void **state)
{
    (void)state;
    for (int m = RS_SERVE_IMMEDIATE; m <= RS_SERVE_PARTIAL_RESPONSE; m++)
        assert_int_equal(rs_serve_mode_parse(rs_serve_mode_name((enum rs_serve_mode)m)), m);
    assert_int_equal(rs_serve_mode_parse("gentle"), -1);
    assert_string_equal(rs_send_outcome_name(RS_SEND_REFUSED), "refused");
    assert_string_equal(rs_send_outcome_name(RS_SEND_TIMEOUT), "timeout");
}

/* ---- send-rst ---- */

static void
test_send_rst_usage(void **state)
{
    (void)state;
    struct rs_send_rst_opts o = {0};
    struct rs_send_rst_result res;
    struct rs_error err = {0};
    assert_int_equal(rs_send_rst(&o, &res, &err), RS_ERR_USAGE);
    o.host = "127.0.0.1";
    o.port = "80";
    o.family = 5;
    assert_int_equal(rs_send_rst(&o, &res, &err), RS_ERR_USAGE);
    o.family = 4;
    o.port = "no-such-service-name";
    assert_int_equal(rs_send_rst(&o, &res, &err), RS_ERR_USAGE);
}

static void
test_send_rst_refused(void **state)
{
    (void)state;
    uint16_t port;
    int fd = bound_socket(-1, &port); /* bound, not listening: SYN gets RST|ACK */
    char ps[8];
    snprintf(ps, sizeof ps, "%u", port);
    struct rs_send_rst_opts o = {0};
    o.host = "127.0.0.1";
    o.port = ps;
    struct rs_send_rst_result res;
    struct rs_error err = {0};
    assert_int_equal(rs_send_rst(&o, &res, &err), RS_ERR_INPUT);
    assert_int_equal(res.outcome, RS_SEND_REFUSED);
    assert_non_null(strstr(err.msg, "refused"));
    close(fd);
}

static void
test_send_rst_timeout_on_full_accept_queue(void **state)
{
    (void)state;
    uint16_t port;
    int l = bound_socket(0, &port);
    struct rs_lab_ep srv;
    assert_int_equal(rs_lab_ep_set(&srv, "127.0.0.1", port), 0);
    int filler = rs_lab_socket(AF_INET, SOCK_STREAM, NULL);
    assert_int_equal(rs_lab_connect_fd(filler, &srv, 1000), 0);
    char ps[8];
    snprintf(ps, sizeof ps, "%u", port);
    struct rs_send_rst_opts o = {0};
    o.host = "127.0.0.1";
    o.port = ps;
    o.connect_timeout_ms = 200;
    struct rs_send_rst_result res;
    struct rs_error err = {0};
    assert_int_equal(rs_send_rst(&o, &res, &err), RS_ERR_INPUT);
    assert_int_equal(res.outcome, RS_SEND_TIMEOUT);
    assert_non_null(strstr(err.msg, "200 ms"));
    close(filler);
    close(l);
}

static void
test_send_rst_resets_a_connection(void **state)
{
    (void)state;
    uint16_t port;
    int l = bound_socket(4, &port);
    char ps[8];
    snprintf(ps, sizeof ps, "%u", port);
    struct rs_send_rst_opts o = {0};
    o.host = "127.0.0.1";
    o.port = ps;
    o.family = 4;
    o.payload = "hello";
    o.payload_len = 5;
    o.after_ms = 20;
    struct rs_send_rst_result res;
    struct rs_error err = {0};
    assert_int_equal(rs_send_rst(&o, &res, &err), 0);
    assert_int_equal(res.outcome, RS_SEND_RESET_SENT);
    assert_int_equal(res.bytes_sent, 5);
    assert_int_equal(res.bytes_received, 0);
    assert_non_null(strstr(res.peer, ps));
    /* The server side holds the payload, then the reset. */
    int a = rs_lab_accept(l, 1000);
    assert_true(a >= 0);
    char buf[16];
    assert_int_equal(rs_lab_recv_n(a, buf, 5, 1000), 5);
    assert_memory_equal(buf, "hello", 5);
    assert_int_equal(rs_lab_recv_eof(a, 1000), -1);
    assert_int_equal(errno, ECONNRESET);
    close(a);
    close(l);
}

/* ---- serve-rst ---- */

struct served {
    struct rs_serve_rst_opts o;
    _Atomic int port;
    int rc;
    struct rs_serve_conn last;
    unsigned conns;
};

static void
got_listen(const char *addr, void *user)
{
    struct served *s = user;
    const char *colon = strrchr(addr, ':');
    atomic_store(&s->port, colon ? (int)strtol(colon + 1, NULL, 10) : -1);
}

static void
got_conn(const struct rs_serve_conn *c, void *user)
{
    struct served *s = user;
    s->last = *c;
    s->conns++;
}

static void *
serve_thread(void *arg)
{
    struct served *s = arg;
    struct rs_error err = {0};
    s->rc = rs_serve_rst(&s->o, &err);
    return NULL;
}

static pthread_t
start_server(struct served *s, enum rs_serve_mode mode)
{
    memset(s, 0, sizeof *s);
    s->o.listen = "127.0.0.1:0";
    s->o.mode = mode;
    s->o.count = 1;
    s->o.request_wait_ms = 1000;
    s->o.on_listen = got_listen;
    s->o.on_conn = got_conn;
    s->o.user = s;
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, serve_thread, s), 0);
    for (int i = 0; i < 200 && atomic_load(&s->port) == 0; i++)
        rs_lab_sleep_ms(10);
    assert_true(atomic_load(&s->port) > 0);
    return th;
}

static void
test_serve_rst_unread_resets_via_kernel(void **state)
{
    (void)state;
    struct served s;
    pthread_t th = start_server(&s, RS_SERVE_UNREAD);
    struct rs_lab_ep srv;
    assert_int_equal(rs_lab_ep_set(&srv, "127.0.0.1", (uint16_t)atomic_load(&s.port)), 0);
    int c = rs_lab_socket(AF_INET, SOCK_STREAM, NULL);
    assert_int_equal(rs_lab_connect_fd(c, &srv, 1000), 0);
    assert_int_equal(rs_lab_send_all(c, "request", 7, 1000), 7);
    assert_int_equal(rs_lab_recv_eof(c, 2000), -1);
    assert_int_equal(errno, ECONNRESET);
    close(c);
    pthread_join(th, NULL);
    assert_int_equal(s.rc, 0);
    assert_int_equal(s.conns, 1);
    assert_int_equal(s.last.bytes_read, 0);
    assert_int_equal(s.last.request_bytes_waiting, 7);
    assert_true(s.last.reset_sent);
}

static void
test_serve_rst_immediate_against_send_rst(void **state)
{
    (void)state;
    struct served s;
    pthread_t th = start_server(&s, RS_SERVE_IMMEDIATE);
    char ps[8];
    snprintf(ps, sizeof ps, "%d", atomic_load(&s.port));
    struct rs_send_rst_opts o = {0};
    o.host = "127.0.0.1";
    o.port = ps;
    o.after_ms = 300;
    struct rs_send_rst_result res;
    struct rs_error err = {0};
    assert_int_equal(rs_send_rst(&o, &res, &err), 0);
    assert_int_equal(res.outcome, RS_SEND_PEER_RESET);
    pthread_join(th, NULL);
    assert_int_equal(s.rc, 0);
    assert_true(s.last.reset_sent);
    assert_int_equal(s.last.number, 1);
}

static void
test_serve_rst_partial_response(void **state)
{
    (void)state;
    struct served s;
    pthread_t th = start_server(&s, RS_SERVE_PARTIAL_RESPONSE);
    char ps[8];
    snprintf(ps, sizeof ps, "%d", atomic_load(&s.port));
    struct rs_send_rst_opts o = {0};
    o.host = "127.0.0.1";
    o.port = ps;
    o.payload = "GET / HTTP/1.1\r\n\r\n";
    o.payload_len = strlen(o.payload);
    o.after_ms = 500;
    struct rs_send_rst_result res;
    struct rs_error err = {0};
    assert_int_equal(rs_send_rst(&o, &res, &err), 0);
    assert_int_equal(res.outcome, RS_SEND_PEER_RESET);
    pthread_join(th, NULL);
    assert_int_equal(s.last.bytes_read, o.payload_len);
    assert_true(s.last.bytes_written > 1000);
    assert_true(res.bytes_received > 0 && res.bytes_received <= s.last.bytes_written);
}

static void
test_serve_rst_bad_listen(void **state)
{
    (void)state;
    struct rs_serve_rst_opts o = {0};
    struct rs_error err = {0};
    o.listen = "localhost:80";
    assert_int_equal(rs_serve_rst(&o, &err), RS_ERR_USAGE);
    uint16_t port;
    int busy = bound_socket(1, &port);
    char where[32];
    snprintf(where, sizeof where, "127.0.0.1:%u", port);
    o.listen = where;
    assert_int_equal(rs_serve_rst(&o, &err), RS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "in use"));
    close(busy);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_has_every_spec_scenario),
        cmocka_unit_test(test_table_expectations_are_well_formed),
        cmocka_unit_test(test_refused_expectation),
        cmocka_unit_test(test_labels_format_empty_and_short_buffer),
        cmocka_unit_test(test_run_rejects_unknown_scenario_before_capturing),
        cmocka_unit_test(test_ep_parse),
        cmocka_unit_test(test_serve_mode_names),
        cmocka_unit_test(test_send_rst_usage),
        cmocka_unit_test(test_send_rst_refused),
        cmocka_unit_test(test_send_rst_timeout_on_full_accept_queue),
        cmocka_unit_test(test_send_rst_resets_a_connection),
        cmocka_unit_test(test_serve_rst_unread_resets_via_kernel),
        cmocka_unit_test(test_serve_rst_immediate_against_send_rst),
        cmocka_unit_test(test_serve_rst_partial_response),
        cmocka_unit_test(test_serve_rst_bad_listen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
