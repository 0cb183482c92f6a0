/*
 * test_live.c - the live loop (include/rstscope/live.h): argument errors
 * without privilege; with CAP_NET_RAW, on loopback: stop before run, the
 * wall-clock timer that ends an idle UDP session while the capture runs, a
 * session still open at the stop, and the statistics. Tests that need to
 * capture are skipped without permission (tests/cli/live.sh covers the CLI).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <rstscope/live.h>
#include <rstscope/record.h>

/* ---- helpers ---- */

struct got {
    struct rs_live *live;
    int stop_after; /* stop the capture after this many records; 0: never */
    int n;
    struct rs_record rec[8];
};

static void
on_record(const struct rs_record *r, void *user)
{
    struct got *g = user;
    if (g->n < 8)
        g->rec[g->n] = *r;
    g->n++;
    if (g->stop_after && g->n == g->stop_after)
        rs_live_stop(g->live);
}

/* A bound on every test that captures: SIGALRM stops the loop. */
static struct rs_live *volatile alarm_live;

static void
on_alarm(int sig)
{
    (void)sig;
    rs_live_stop(alarm_live);
}

/* A random 127.A.B.2 out of the lab's range, and a filter for it. */
static void
random_addr(char *addr, size_t alen, char *filter, size_t flen)
{
    /* Clock and pid are random enough to keep concurrent runs apart. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    unsigned r = (unsigned)ts.tv_nsec ^ ((unsigned)getpid() << 16);
    snprintf(addr, alen, "127.%u.%u.2", 30 + r % 60, 1 + (r >> 8) % 250);
    snprintf(filter, flen, "host %s", addr);
}

/* Opens a live capture on lo, or skips the test without permission. */
static struct rs_live *
open_lo(const char *filter, const char *timeouts, struct got *g)
{
    struct rs_live_opts o;
    memset(&o, 0, sizeof o);
    o.iface = "lo";
    o.filter = filter;
    rs_engine_config_default(&o.engine, RS_PROFILE_PANOS);
    struct rs_error err = {0};
    if (timeouts)
        assert_int_equal(rs_timeouts_parse(&o.engine.timeouts, timeouts, &err), 0);
    struct rs_live *l = rs_live_open(&o, on_record, g, &err);
    if (!l && (err.code == RS_ERR_PERM || err.code == RS_ERR_INPUT)) {
        print_message("skipped: %s\n", err.msg);
        return NULL;
    }
    assert_non_null(l);
    g->live = l;
    return l;
}

static void
udp_send(const char *dst, uint16_t port, const void *buf, size_t len)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    assert_int_equal(inet_pton(AF_INET, dst, &sa.sin_addr), 1);
    assert_int_equal(sendto(fd, buf, len, 0, (struct sockaddr *)&sa, sizeof sa), (ssize_t)len);
    close(fd);
}

/* A UDP socket bound to addr (so no ICMP error answers); its port in *port. */
static int
udp_sink(const char *addr, uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    assert_int_equal(inet_pton(AF_INET, addr, &sa.sin_addr), 1);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t sl = sizeof sa;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

/* Runs the loop with SIGALRM set to stop it after `secs`; returns the wall time taken. */
static double
run_with_alarm(struct rs_live *l, unsigned secs)
{
    alarm_live = l;
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
    alarm(secs);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct rs_error err = {0};
    int rc = rs_live_run(l, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    alarm(0);
    sigaction(SIGALRM, &old, NULL);
    alarm_live = NULL;
    assert_int_equal(rc, 0);
    return (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

/* ---- tests ---- */

static void
test_open_errors(void **state)
{
    (void)state;
    struct rs_error err = {0};
    struct rs_live_opts o;
    memset(&o, 0, sizeof o);
    rs_engine_config_default(&o.engine, RS_PROFILE_PANOS);
    assert_null(rs_live_open(&o, on_record, NULL, &err));
    assert_int_equal(err.code, RS_ERR_USAGE);
    assert_null(rs_live_open(NULL, on_record, NULL, &err));
    assert_int_equal(err.code, RS_ERR_USAGE);
    o.iface = "rstscope-no-such-if0";
    assert_null(rs_live_open(&o, on_record, NULL, &err));
    assert_true(err.code == RS_ERR_INPUT || err.code == RS_ERR_PERM);
    assert_non_null(strstr(err.msg, "rstscope-no-such-if0"));
    rs_live_close(NULL);
    rs_live_stop(NULL);
}

static void
test_bad_filter(void **state)
{
    (void)state;
    struct rs_error err = {0};
    struct rs_live_opts o;
    memset(&o, 0, sizeof o);
    o.iface = "lo";
    o.filter = "host and and";
    rs_engine_config_default(&o.engine, RS_PROFILE_PANOS);
    struct rs_live *l = rs_live_open(&o, on_record, NULL, &err);
    if (!l && err.code == RS_ERR_PERM)
        skip();
    assert_null(l);
    assert_int_equal(err.code, RS_ERR_USAGE);
    assert_non_null(strstr(err.msg, "host and and"));
}

/* Stopped before it ran: rs_live_run only finishes the (empty) engine. */
static void
test_stop_before_run(void **state)
{
    (void)state;
    char addr[32], filter[64];
    random_addr(addr, sizeof addr, filter, sizeof filter);
    struct got g = {0};
    struct rs_live *l = open_lo(filter, NULL, &g);
    if (!l)
        skip();
    struct rs_live_stats st;
    rs_live_stats(l, &st);
    assert_true(st.started > 0);
    assert_int_equal(st.ended, 0);
    assert_int_equal(st.linktype, 1); /* LINKTYPE_ETHERNET: Linux lo */
    rs_live_stop(l);
    struct rs_error err = {0};
    assert_int_equal(rs_live_run(l, &err), 0);
    assert_int_equal(g.n, 0);
    assert_int_equal(rs_live_run(l, &err), RS_ERR_USAGE); /* only once */
    rs_live_stats(l, &st);
    assert_true(st.ended >= st.started);
    rs_live_close(l);
}

/*
 * A datagram, then silence. Nothing but the wall clock can age the session
 * out (udp=0.3 s); the callback stops the capture when its record arrives,
 * so the loop ending well before the alarm shows the wall-clock timer ran.
 */
static void
test_wall_clock_ages_out(void **state)
{
    (void)state;
    char addr[32], filter[64];
    random_addr(addr, sizeof addr, filter, sizeof filter);
    struct got g = {0};
    struct rs_live *l = open_lo(filter, "udp=0.3", &g);
    if (!l)
        skip();
    g.stop_after = 1;
    uint16_t port;
    int fd = udp_sink(addr, &port);
    /* Sent before the loop runs: the capture is active since open, so the
     * packet waits in the kernel's ring. */
    udp_send(addr, port, "rstscope test", 13);
    double secs = run_with_alarm(l, 10);
    close(fd);

    assert_true(secs < 9.0); /* the record stopped it, not the alarm */
    assert_int_equal(g.n, 1);
    assert_int_equal(g.rec[0].proto, 17);
    assert_int_equal(g.rec[0].end_reason, RS_END_AGED_OUT);
    assert_int_equal(g.rec[0].server_port, port);
    struct rs_live_stats st;
    rs_live_stats(l, &st);
    assert_int_equal(st.engine.packets, 1);
    assert_true(st.idle_ticks >= 1);
    assert_true(st.have_capture_stats);
    assert_int_equal(st.capture.dropped, 0);
    assert_int_equal(st.engine.records, 1);
    rs_live_close(l);
}

/* A session still open when a signal stops the capture gets its record: open. */
static void
test_open_session_at_stop(void **state)
{
    (void)state;
    char addr[32], filter[64];
    random_addr(addr, sizeof addr, filter, sizeof filter);
    struct got g = {0};
    struct rs_live *l = open_lo(filter, NULL, &g); /* panos: udp 30 s */
    if (!l)
        skip();
    uint16_t port;
    int fd = udp_sink(addr, &port);
    udp_send(addr, port, "still open", 10);
    double secs = run_with_alarm(l, 1); /* the "Ctrl-C", from a handler as in the CLI */
    close(fd);
    assert_true(secs >= 0.5);

    assert_int_equal(g.n, 1);
    assert_int_equal(g.rec[0].end_reason, RS_END_OPEN);
    assert_int_equal(g.rec[0].client_pkts, 1);
    rs_live_close(l);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_errors),          cmocka_unit_test(test_bad_filter),
        cmocka_unit_test(test_stop_before_run),      cmocka_unit_test(test_wall_clock_ages_out),
        cmocka_unit_test(test_open_session_at_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
