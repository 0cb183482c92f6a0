/*
 * test_summary.c - the aggregate view (rstscope/summary.h): counts by end
 * reason, app and cause; the top-N rankings and their eviction under a small
 * cap; the timeline's buckets and their merging; the unsolicited-RST
 * findings at and around their thresholds; the writers. Records are built
 * by hand (exact control of every field), plus one end-to-end case through
 * the engine with packets from the project's packet writer, so that the
 * record shape the summary relies on (history, first_flags) is the real one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rstscope/craft.h>
#include <rstscope/engine.h>
#include <rstscope/summary.h>

#define SEC(x) ((rs_time_ns)(x)*RS_NS_PER_SEC)
static const rs_time_ns T0 = SEC(1700000000); /* 2023-11-14 22:13:20, 20 s into a minute */

/* ---- record builders ---------------------------------------------------- */

static void
addr(struct rs_addr *a, const char *s)
{
    assert_int_equal(rs_addr_parse(a, s), 0);
}

/* A TCP session client -> server:port ending with `end` at time t. */
static struct rs_record
tcp_rec(const char *client, const char *server, uint16_t port, enum rs_end_reason end, rs_time_ns t)
{
    struct rs_record r;
    memset(&r, 0, sizeof r);
    r.proto = 6;
    addr(&r.client, client);
    addr(&r.server, server);
    r.client_port = 40000;
    r.server_port = port;
    r.ts = t - SEC(1);
    r.end_ts = t;
    r.end_reason = end;
    r.first_flags = RS_TCP_SYN;
    r.client_pkts = 4;
    r.server_pkts = 3;
    snprintf(r.app, sizeof r.app, "http");
    snprintf(r.history, sizeof r.history, "ShADadFf");
    if (end == RS_END_RST_CLIENT || end == RS_END_RST_SERVER) {
        snprintf(r.rst_cause, sizeof r.rst_cause, "abortive_close");
        r.rst_by = end == RS_END_RST_CLIENT ? RS_RST_BY_CLIENT : RS_RST_BY_SERVER;
        snprintf(r.history, sizeof r.history, "ShADad%c", end == RS_END_RST_CLIENT ? 'R' : 'r');
    }
    return r;
}

/* One unsolicited RST (or RST|ACK) from src to dst at time t, as the engine
 * makes it: an oriented session of one packet, history "R" (the sender is the
 * client) or "^r" (flipped: a RST from a server port). */
static struct rs_record
uns_rec(const char *src, const char *dst, int with_ack, int flipped, rs_time_ns t)
{
    struct rs_record r;
    memset(&r, 0, sizeof r);
    r.proto = 6;
    r.ts = r.end_ts = t;
    r.first_flags = (uint8_t)(RS_TCP_RST | (with_ack ? RS_TCP_ACK : 0));
    snprintf(r.app, sizeof r.app, "non-syn-tcp");
    snprintf(r.rst_cause, sizeof r.rst_cause, "unclassified");
    if (flipped) {
        addr(&r.client, dst);
        addr(&r.server, src);
        r.client_port = 33000;
        r.server_port = 80;
        r.server_pkts = 1;
        r.end_reason = RS_END_RST_SERVER;
        snprintf(r.history, sizeof r.history, "^r");
        snprintf(r.conn_state, sizeof r.conn_state, "RSTRH");
    } else {
        addr(&r.client, src);
        addr(&r.server, dst);
        r.client_port = 40000;
        r.server_port = 33000;
        r.client_pkts = 1;
        r.end_reason = RS_END_RST_CLIENT;
        snprintf(r.history, sizeof r.history, "R");
        snprintf(r.conn_state, sizeof r.conn_state, "OTH");
    }
    return r;
}

static struct rs_summary *
new_summary(struct rs_summary_config *cfg)
{
    struct rs_summary_config c;
    if (!cfg) {
        rs_summary_config_default(&c);
        cfg = &c;
    }
    cfg->seed = 42;
    struct rs_error err = {0};
    struct rs_summary *s = rs_summary_new(cfg, &err);
    assert_non_null(s);
    return s;
}

static void
ip4(char *buf, size_t len, int a, int b, int c, int d)
{
    snprintf(buf, len, "%d.%d.%d.%d", a, b, c, d);
}

/* ---- counts ------------------------------------------------------------- */

static void
test_counts(void **state)
{
    (void)state;
    struct rs_summary *s = new_summary(NULL);
    struct rs_record r = tcp_rec("10.0.0.1", "10.0.0.2", 80, RS_END_TCP_FIN, T0);
    rs_summary_add(s, &r);
    r = tcp_rec("10.0.0.1", "10.0.0.2", 80, RS_END_RST_SERVER, T0);
    rs_summary_add(s, &r);
    r = tcp_rec("10.0.0.3", "10.0.0.2", 443, RS_END_RST_CLIENT, T0);
    snprintf(r.app, sizeof r.app, "ssl");
    snprintf(r.rst_cause, sizeof r.rst_cause, "client_abort_midtransfer");
    rs_summary_add(s, &r);
    /* UDP, no app name: "(none)" is not used for it, unknown-udp is */
    memset(&r, 0, sizeof r);
    r.proto = 17;
    r.end_reason = RS_END_AGED_OUT;
    r.ts = r.end_ts = T0;
    snprintf(r.app, sizeof r.app, "unknown-udp");
    rs_summary_add(s, &r);
    /* ICMP with an empty app */
    r.proto = 1;
    r.app[0] = '\0';
    rs_summary_add(s, &r);
    /* out-of-window RSTs only: not a reset */
    r = tcp_rec("10.0.0.1", "10.0.0.2", 80, RS_END_OPEN, T0);
    r.rst_flags = RS_RSTF_OUT_OF_WINDOW;
    snprintf(r.rst_cause, sizeof r.rst_cause, "rst_out_of_window");
    rs_summary_add(s, &r);

    struct rs_summary_totals t;
    rs_summary_totals(s, &t);
    assert_int_equal(t.records, 6);
    assert_int_equal(t.by_end[RS_END_TCP_FIN], 1);
    assert_int_equal(t.by_end[RS_END_RST_SERVER], 1);
    assert_int_equal(t.by_end[RS_END_RST_CLIENT], 1);
    assert_int_equal(t.by_end[RS_END_AGED_OUT], 2);
    assert_int_equal(t.by_end[RS_END_OPEN], 1);
    assert_int_equal(t.resets, 2);
    assert_int_equal(t.rst_out_of_window, 1);
    assert_int_equal(t.by_proto[0], 4);
    assert_int_equal(t.by_proto[1], 1);
    assert_int_equal(t.by_proto[2], 1);

    struct rs_summary_count c[8];
    size_t n = rs_summary_by_app(s, c, 8);
    assert_int_equal(n, 4);
    assert_int_equal(rs_summary_app_count(s), 4);
    assert_string_equal(c[0].name, "http");
    assert_int_equal(c[0].sessions, 3);
    assert_int_equal(c[0].resets, 1);
    assert_string_equal(c[1].name, "(none)"); /* ties by name: "(" sorts first */
    assert_string_equal(c[2].name, "ssl");
    assert_string_equal(c[3].name, "unknown-udp");

    n = rs_summary_by_cause(s, c, 8);
    assert_int_equal(n, 3);
    assert_string_equal(c[0].name, "abortive_close");
    assert_int_equal(c[0].by_server, 1);
    assert_string_equal(c[1].name, "client_abort_midtransfer");
    assert_int_equal(c[1].by_client, 1);
    assert_string_equal(c[2].name, "rst_out_of_window");
    assert_int_equal(c[2].resets, 0);
    assert_true(strlen(rs_summary_cause_meaning("client_abort_midtransfer")) > 10);
    assert_true(strlen(rs_summary_cause_meaning("rst_backscatter")) > 10);
    assert_string_equal(rs_summary_cause_meaning("no_such_cause"), "");

    /* no policy so far: nothing by action or rule */
    assert_int_equal(rs_summary_action_count(s), 0);
    r = tcp_rec("10.0.0.1", "10.0.0.2", 80, RS_END_POLICY_DENY, T0);
    snprintf(r.action, sizeof r.action, "deny");
    snprintf(r.rule, sizeof r.rule, "a-rule-name-longer-than-thirty-two-characters-x");
    rs_summary_add(s, &r);
    r = tcp_rec("10.0.0.1", "10.0.0.2", 80, RS_END_RST_SERVER, T0);
    snprintf(r.action, sizeof r.action, "allow");
    rs_summary_add(s, &r);
    n = rs_summary_by_action(s, c, 8);
    assert_int_equal(n, 2);
    assert_string_equal(c[0].name, "allow");
    assert_int_equal(c[0].resets, 1);
    assert_string_equal(c[1].name, "deny");
    n = rs_summary_by_rule(s, c, 8);
    assert_int_equal(n, 2);
    assert_int_equal(rs_summary_rule_count(s), 2);
    assert_string_equal(c[0].name, "(no rule)");
    assert_string_equal(c[1].name, "a-rule-name-longer-than-thirty-two-characters-x");
    rs_summary_free(s);
}

static void
test_names_overflow(void **state)
{
    (void)state;
    struct rs_summary_config cfg;
    rs_summary_config_default(&cfg);
    cfg.max_names = 3;
    struct rs_summary *s = new_summary(&cfg);
    for (int i = 0; i < 10; i++) {
        struct rs_record r = tcp_rec("10.0.0.1", "10.0.0.2", 80, RS_END_TCP_FIN, T0);
        snprintf(r.app, sizeof r.app, "app%d", i);
        rs_summary_add(s, &r);
    }
    struct rs_summary_count c[8];
    size_t n = rs_summary_by_app(s, c, 8);
    assert_int_equal(n, 4);
    assert_string_equal(c[0].name, "(other)");
    assert_int_equal(c[0].sessions, 7);
    struct rs_summary_totals t;
    rs_summary_totals(s, &t);
    assert_int_equal(t.names_other, 7);
    /* a shorter output array keeps the largest */
    n = rs_summary_by_app(s, c, 1);
    assert_int_equal(n, 1);
    assert_string_equal(c[0].name, "(other)");
    rs_summary_free(s);
}

/* ---- top hosts ---------------------------------------------------------- */

static void
test_top_hosts(void **state)
{
    (void)state;
    struct rs_summary *s = new_summary(NULL);
    /* server 10.1.0.i gets i resets out of 10 sessions (i = 0..10), from client 10.2.0.i */
    for (int i = 0; i <= 10; i++) {
        char srv[32], cli[32];
        ip4(srv, sizeof srv, 10, 1, 0, i);
        ip4(cli, sizeof cli, 10, 2, 0, i);
        for (int k = 0; k < 10; k++) {
            enum rs_end_reason e =
                k < i ? (k % 2 ? RS_END_RST_CLIENT : RS_END_RST_SERVER) : RS_END_TCP_FIN;
            struct rs_record r = tcp_rec(cli, srv, 443, e, T0);
            rs_summary_add(s, &r);
        }
    }
    /* a server with the same reset count as 10.1.0.3 but a higher rate */
    for (int k = 0; k < 3; k++) {
        struct rs_record r = tcp_rec("10.2.0.99", "10.1.0.200", 22, RS_END_RST_SERVER, T0);
        rs_summary_add(s, &r);
    }
    struct rs_summary_host h[5];
    size_t n = rs_summary_top_hosts(s, RS_SUMMARY_SERVERS, h, 4);
    assert_int_equal(n, 4);
    char buf[64];
    for (size_t i = 0; i < 4; i++) {
        rs_addr_format(&h[i].addr, buf, sizeof buf);
        char want[32];
        ip4(want, sizeof want, 10, 1, 0, 10 - (int)i);
        assert_string_equal(buf, want);
        assert_int_equal(h[i].resets, 10 - i);
        assert_int_equal(h[i].sessions, 10);
        assert_int_equal(h[i].port, 443);
        assert_int_equal(h[i].rst_from_client + h[i].rst_from_server, h[i].resets);
    }
    assert_int_equal(h[0].rst_from_server, 5);
    assert_int_equal(h[0].rst_from_client, 5);
    /* 11 servers with resets: 10.1.0.1 .. 10 and 10.1.0.200 */
    assert_int_equal(rs_summary_reset_host_count(s, RS_SUMMARY_SERVERS), 11);
    /* the whole ranking: 10.1.0.200 (3 of 3) ranks before 10.1.0.3 (3 of 10) */
    struct rs_summary_host all[20];
    n = rs_summary_top_hosts(s, RS_SUMMARY_SERVERS, all, 20);
    assert_int_equal(n, 11);
    assert_int_equal(all[7].resets, 3);
    rs_addr_format(&all[7].addr, buf, sizeof buf);
    assert_string_equal(buf, "10.1.0.200");
    assert_int_equal(all[7].port, 22);
    rs_addr_format(&all[8].addr, buf, sizeof buf);
    assert_string_equal(buf, "10.1.0.3");
    assert_int_equal(all[10].resets, 1);

    n = rs_summary_top_hosts(s, RS_SUMMARY_CLIENTS, h, 2);
    assert_int_equal(n, 2);
    rs_addr_format(&h[0].addr, buf, sizeof buf);
    assert_string_equal(buf, "10.2.0.10");
    assert_int_equal(h[0].port, 0);
    assert_int_equal(rs_summary_reset_host_count(s, RS_SUMMARY_CLIENTS), 11);
    struct rs_summary_totals t;
    rs_summary_totals(s, &t);
    assert_int_equal(t.server_evictions, 0);
    rs_summary_free(s);
}

/* The top-k selection on a shuffled stream: any --top gives the best first. */
static void
test_top_hosts_order(void **state)
{
    (void)state;
    struct rs_summary *s = new_summary(NULL);
    int perm[300];
    for (int i = 0; i < 300; i++)
        perm[i] = i + 1;
    uint32_t x = 99;
    for (int i = 299; i > 0; i--) { /* Fisher-Yates with a fixed LCG */
        x = x * 1103515245u + 12345u;
        int j = (int)((x >> 8) % (uint32_t)(i + 1));
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    char srv[32];
    for (int i = 0; i < 300; i++) {
        ip4(srv, sizeof srv, 10, 3, perm[i] / 256, perm[i] % 256);
        for (int k = 0; k < perm[i]; k++) {
            struct rs_record r = tcp_rec("10.2.0.1", srv, 80, RS_END_RST_SERVER, T0);
            rs_summary_add(s, &r);
        }
    }
    static struct rs_summary_host h[400];
    size_t want[] = {1, 7, 299, 300, 400};
    for (size_t w = 0; w < sizeof want / sizeof want[0]; w++) {
        size_t n = rs_summary_top_hosts(s, RS_SUMMARY_SERVERS, h, want[w]);
        assert_int_equal(n, want[w] < 300 ? want[w] : 300);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(h[i].resets, 300 - i);
    }
    assert_int_equal(rs_summary_top_hosts(s, RS_SUMMARY_SERVERS, h, 0), 0);
    rs_summary_free(s);
}

/* With a tiny table, thousands of reset-free hosts come and go, and the few
 * hosts with many resets stay and keep exact counts. */
static void
test_top_hosts_eviction(void **state)
{
    (void)state;
    struct rs_summary_config cfg;
    rs_summary_config_default(&cfg);
    cfg.max_hosts = 64;
    struct rs_summary *s = new_summary(&cfg);
    char a[32];
    for (int round = 0; round < 50; round++) {
        for (int heavy = 0; heavy < 4; heavy++) {
            ip4(a, sizeof a, 172, 16, 0, heavy);
            struct rs_record r = tcp_rec("10.9.9.9", a, 80, RS_END_RST_SERVER, T0);
            rs_summary_add(s, &r);
        }
        for (int k = 0; k < 100; k++) {
            ip4(a, sizeof a, 10, 50 + round, k / 256, k % 256);
            struct rs_record r = tcp_rec("10.9.9.9", a, 80, RS_END_TCP_FIN, T0);
            rs_summary_add(s, &r);
        }
    }
    struct rs_summary_totals t;
    rs_summary_totals(s, &t);
    assert_true(t.server_evictions > 4000);
    struct rs_summary_host h[8];
    size_t n = rs_summary_top_hosts(s, RS_SUMMARY_SERVERS, h, 8);
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(h[i].resets, 50);
        assert_int_equal(h[i].sessions, 50);
    }
    assert_int_equal(rs_summary_reset_host_count(s, RS_SUMMARY_SERVERS), 4);
    /* one client, never evicted */
    n = rs_summary_top_hosts(s, RS_SUMMARY_CLIENTS, h, 8);
    assert_int_equal(n, 1);
    assert_int_equal(h[0].sessions, 50 * 104);
    rs_summary_free(s);
}

/* ---- timeline ----------------------------------------------------------- */

static void
test_timeline_minutes(void **state)
{
    (void)state;
    struct rs_summary *s = new_summary(NULL);
    rs_time_ns m0 = T0 - SEC(20); /* the minute T0 falls in */
    int per_min[] = {3, 0, 1, 0, 0, 7};
    /* added out of time order, as records come */
    for (int i = 5; i >= 0; i--) {
        for (int k = 0; k < per_min[i]; k++) {
            struct rs_record r =
                tcp_rec("10.0.0.1", "10.0.0.2", 80, RS_END_RST_SERVER, m0 + SEC(60 * i + k));
            rs_summary_add(s, &r);
        }
    }
    struct rs_record fin = tcp_rec("10.0.0.1", "10.0.0.2", 80, RS_END_TCP_FIN, m0 + SEC(3600));
    rs_summary_add(s, &fin); /* not a reset: not in the timeline */
    struct rs_summary_timeline tl;
    rs_summary_timeline(s, &tl);
    assert_int_equal(tl.bucket_ns, SEC(60));
    assert_int_equal(tl.start, m0);
    assert_int_equal(tl.n, 6);
    for (int i = 0; i < 6; i++)
        assert_int_equal(tl.resets[i], per_min[i]);
    assert_int_equal(tl.total, 11);
    assert_int_equal(tl.peak, 7);
    assert_int_equal(tl.peak_start, m0 + SEC(300));
    rs_summary_free(s);
}

static void
test_timeline_merge(void **state)
{
    (void)state;
    struct rs_summary_config cfg;
    rs_summary_config_default(&cfg);
    cfg.max_buckets = 10;
    struct rs_summary *s = new_summary(&cfg);
    rs_time_ns h0 = SEC(1700000000 / 3600 * 3600); /* an hour boundary */
    /* one reset per minute for 25 minutes: too many for 10 one-minute buckets */
    for (int i = 0; i < 25; i++) {
        struct rs_record r =
            tcp_rec("10.0.0.1", "10.0.0.2", 80, RS_END_RST_CLIENT, h0 + SEC(60 * i + 30));
        rs_summary_add(s, &r);
    }
    struct rs_summary_timeline tl;
    rs_summary_timeline(s, &tl);
    assert_int_equal(tl.bucket_ns, SEC(300));
    assert_int_equal(tl.start, h0);
    assert_int_equal(tl.n, 5);
    for (size_t i = 0; i < tl.n; i++)
        assert_int_equal(tl.resets[i], 5);
    assert_int_equal(tl.total, 25);

    /* a record from 3 hours earlier: prepending needs 36 buckets of 5 min,
     * so buckets widen to 30 min (5 -> 10 -> 30), aligned to the half hour */
    struct rs_record r = tcp_rec("10.0.0.1", "10.0.0.2", 80, RS_END_RST_CLIENT, h0 - SEC(3 * 3600));
    rs_summary_add(s, &r);
    rs_summary_timeline(s, &tl);
    assert_int_equal(tl.bucket_ns, SEC(1800));
    assert_int_equal(tl.start, h0 - SEC(3 * 3600));
    assert_int_equal(tl.n, 7);
    assert_int_equal(tl.resets[0], 1);
    assert_int_equal(tl.resets[6], 25);
    assert_int_equal(tl.total, 26);

    /* years later: widths go to a day, then keep doubling; nothing is lost */
    r = tcp_rec("10.0.0.1", "10.0.0.2", 80, RS_END_RST_CLIENT, h0 + SEC(86400LL * 365 * 3));
    rs_summary_add(s, &r);
    rs_summary_timeline(s, &tl);
    assert_true(tl.n <= 10);
    assert_true(tl.bucket_ns >= SEC(86400) * 100);
    assert_int_equal(tl.bucket_ns % SEC(86400), 0);
    assert_int_equal(tl.total, 27);
    assert_int_equal(tl.start % tl.bucket_ns, 0);

    /* hostile time stamps: negative and absurdly far, still bounded */
    r = tcp_rec("10.0.0.1", "10.0.0.2", 80, RS_END_RST_CLIENT, -SEC(5));
    rs_summary_add(s, &r);
    r = tcp_rec("10.0.0.1", "10.0.0.2", 80, RS_END_RST_CLIENT, INT64_MAX);
    rs_summary_add(s, &r);
    rs_summary_timeline(s, &tl);
    assert_true(tl.n <= 10);
    assert_int_equal(tl.total, 29);
    rs_summary_free(s);
}

/* ---- unsolicited RSTs --------------------------------------------------- */

static size_t
findings(struct rs_summary *s, struct rs_summary_finding *f, size_t max)
{
    return rs_summary_findings(s, f, max);
}

static void
test_flood_threshold_count(void **state)
{
    (void)state;
    struct rs_summary *s = new_summary(NULL);
    struct rs_summary_finding f[4];
    /* 99 bare RSTs from 3 hosts, one every 2 s (0.5/s): below every threshold */
    char src[32];
    for (int i = 0; i < 99; i++) {
        ip4(src, sizeof src, 203, 0, 113, 1 + i % 3);
        struct rs_record r = uns_rec(src, "192.0.2.10", 0, 0, T0 + SEC(2 * i));
        rs_summary_add(s, &r);
    }
    assert_int_equal(findings(s, f, 4), 0);
    struct rs_record r = uns_rec("203.0.113.1", "192.0.2.10", 0, 0, T0 + SEC(2 * 99));
    rs_summary_add(s, &r);
    assert_int_equal(findings(s, f, 4), 1);
    assert_string_equal(f[0].code, "rst_flood");
    char buf[64];
    rs_addr_format(&f[0].victim, buf, sizeof buf);
    assert_string_equal(buf, "192.0.2.10");
    assert_int_equal(f[0].rsts, 100);
    assert_int_equal(f[0].rst_acks, 0);
    assert_int_equal(f[0].sources, 3);
    assert_int_equal(f[0].ack_sources, 0);
    assert_false(f[0].sources_estimated);
    assert_int_equal(f[0].first_ts, T0);
    assert_int_equal(f[0].last_ts, T0 + SEC(198));
    assert_true(f[0].rate > 0.50 && f[0].rate < 0.51);

    struct rs_summary_unsolicited u;
    rs_summary_unsolicited(s, &u);
    assert_int_equal(u.sessions, 100);
    assert_int_equal(u.rsts, 100);
    assert_int_equal(u.destinations, 1);
    /* unsolicited RSTs stay out of the host rankings, but not out of the counts */
    assert_int_equal(rs_summary_reset_host_count(s, RS_SUMMARY_SERVERS), 0);
    assert_int_equal(rs_summary_reset_host_count(s, RS_SUMMARY_CLIENTS), 0);
    struct rs_summary_totals t;
    rs_summary_totals(s, &t);
    assert_int_equal(t.resets, 100);
    rs_summary_free(s);
}

static void
test_flood_threshold_rate(void **state)
{
    (void)state;
    struct rs_summary *s = new_summary(NULL);
    struct rs_summary_finding f[4];
    /* 19 RSTs within 0.19 s to .20: fewer than flood_burst_rsts */
    for (int i = 0; i < 19; i++) {
        struct rs_record r =
            uns_rec("203.0.113.9", "192.0.2.20", 0, 0, T0 + (rs_time_ns)i * 10000000);
        rs_summary_add(s, &r);
    }
    /* 20 RSTs over 10 s to .21: 2 per second, too slow */
    for (int i = 0; i < 20; i++) {
        struct rs_record r =
            uns_rec("203.0.113.9", "192.0.2.21", 0, 0, T0 + (rs_time_ns)i * 500000000);
        rs_summary_add(s, &r);
    }
    assert_int_equal(findings(s, f, 4), 0);
    /* the 20th within the same second to .20: 20 at 20/s (span counted as 1 s) */
    struct rs_record r = uns_rec("203.0.113.9", "192.0.2.20", 0, 0, T0 + SEC(1) / 2);
    rs_summary_add(s, &r);
    assert_int_equal(findings(s, f, 4), 1);
    assert_string_equal(f[0].code, "rst_flood");
    assert_int_equal(f[0].rsts, 20);
    assert_true(f[0].rate >= 19.99 && f[0].rate <= 20.01);
    rs_summary_free(s);
}

static void
test_backscatter(void **state)
{
    (void)state;
    struct rs_summary *s = new_summary(NULL);
    struct rs_summary_finding f[4];
    char src[32];
    /* RST|ACKs from 19 hosts (2 each, slowly): not yet */
    for (int i = 0; i < 19; i++) {
        for (int k = 0; k < 2; k++) {
            ip4(src, sizeof src, 198, 18, 0, 1 + i);
            struct rs_record r = uns_rec(src, "192.0.2.66", 1, 1, T0 + SEC(10 * (2 * i + k)));
            rs_summary_add(s, &r);
        }
    }
    /* bare RSTs from 5 more hosts do not count as backscatter sources */
    for (int i = 0; i < 5; i++) {
        ip4(src, sizeof src, 198, 18, 1, 1 + i);
        struct rs_record r = uns_rec(src, "192.0.2.66", 0, 0, T0 + SEC(500 + i));
        rs_summary_add(s, &r);
    }
    assert_int_equal(findings(s, f, 4), 0);
    /* the 20th RST|ACK source */
    for (int i = 19; i < 30; i++) {
        ip4(src, sizeof src, 198, 18, 0, 1 + i);
        struct rs_record r = uns_rec(src, "192.0.2.66", 1, 1, T0 + SEC(600 + i));
        rs_summary_add(s, &r);
        if (i == 19) {
            assert_int_equal(findings(s, f, 4), 1);
            assert_string_equal(f[0].code, "rst_backscatter");
            assert_int_equal(f[0].ack_sources, 20);
        }
    }
    assert_int_equal(findings(s, f, 4), 1);
    assert_string_equal(f[0].code, "rst_backscatter");
    char buf[64];
    rs_addr_format(&f[0].victim, buf, sizeof buf);
    assert_string_equal(buf, "192.0.2.66");
    assert_int_equal(f[0].ack_sources, 30);
    assert_int_equal(f[0].sources, 35);
    assert_int_equal(f[0].rst_acks, 38 + 11);
    assert_int_equal(f[0].rsts, 38 + 11 + 5);
    assert_false(f[0].sources_estimated);
    rs_summary_free(s);
}

/* Past 64 senders the count is a linear-counting estimate, close to the truth. */
static void
test_backscatter_many_sources(void **state)
{
    (void)state;
    struct rs_summary *s = new_summary(NULL);
    for (int i = 0; i < 600; i++) {
        char src[64];
        snprintf(src, sizeof src, "2001:db8:1::%x", i + 1);
        struct rs_record r = uns_rec(src, "2001:db8::66", 1, 1, T0 + (rs_time_ns)i * 1000000);
        rs_summary_add(s, &r);
    }
    struct rs_summary_finding f[2];
    assert_int_equal(rs_summary_findings(s, f, 2), 1);
    assert_string_equal(f[0].code, "rst_backscatter");
    assert_true(f[0].sources_estimated);
    assert_true(f[0].ack_sources > 540 && f[0].ack_sources < 660);
    assert_int_equal(f[0].rsts, 600);
    char buf[64];
    rs_addr_format(&f[0].victim, buf, sizeof buf);
    assert_string_equal(buf, "2001:db8::66");
    rs_summary_free(s);
}

/* What is not unsolicited: a RST session with data, with a SYN, or with
 * packets both ways. */
static void
test_unsolicited_shape(void **state)
{
    (void)state;
    struct rs_summary *s = new_summary(NULL);
    struct rs_record r = uns_rec("203.0.113.1", "192.0.2.10", 0, 0, T0);
    r.client_bytes = 10; /* RST with payload */
    rs_summary_add(s, &r);
    r = uns_rec("203.0.113.1", "192.0.2.10", 0, 0, T0);
    r.server_pkts = 1; /* answered */
    rs_summary_add(s, &r);
    r = uns_rec("203.0.113.1", "192.0.2.10", 0, 0, T0);
    snprintf(r.history, sizeof r.history, "Sr"); /* refused connection */
    r.first_flags = RS_TCP_SYN;
    rs_summary_add(s, &r);
    r = uns_rec("203.0.113.1", "192.0.2.10", 0, 0, T0);
    snprintf(r.history, sizeof r.history, "DR"); /* mid-stream data then RST */
    rs_summary_add(s, &r);
    struct rs_summary_unsolicited u;
    rs_summary_unsolicited(s, &u);
    assert_int_equal(u.sessions, 0);
    /* "RR": two RSTs on one tuple is still unsolicited, and counts 2 */
    r = uns_rec("203.0.113.1", "192.0.2.10", 0, 0, T0);
    snprintf(r.history, sizeof r.history, "RR");
    r.client_pkts = 2;
    rs_summary_add(s, &r);
    rs_summary_unsolicited(s, &u);
    assert_int_equal(u.sessions, 1);
    assert_int_equal(u.rsts, 2);
    rs_summary_free(s);
}

/* End to end: RST|ACKs built by the packet writer, through the engine. */
static void
test_engine_backscatter(void **state)
{
    (void)state;
    struct rs_summary *s = new_summary(NULL);
    struct rs_engine_config cfg;
    rs_engine_config_default(&cfg, RS_PROFILE_PANOS);
    cfg.hash_seed = 7;
    struct rs_engine *e = rs_engine_new(&cfg, rs_summary_on_record, s, NULL);
    assert_non_null(e);
    static uint8_t buf[RS_CRAFT_MAX_FRAME];
    struct rs_craft_flow f;
    struct rs_packet p;
    rs_time_ns now = T0;
    for (int i = 0; i < 25; i++) {
        char src[32];
        ip4(src, sizeof src, 198, 51, 100, 1 + i);
        /* from port 80 of each host to the victim's ephemeral ports */
        assert_int_equal(rs_craft_flow_init(&f, src, 80, "192.0.2.99", (uint16_t)(33000 + i), now),
                         0);
        struct rs_craft_seg seg = {0};
        seg.flags = RS_TCP_RST | RS_TCP_ACK;
        seg.dt_us = 20000;
        seg.set_seq = 1;
        seg.seq = 0;
        seg.set_ack = 1;
        seg.ack = 0x1000u + (uint32_t)i;
        assert_true(rs_craft_flow_build(&f, RS_CRAFT_CLIENT, &seg, buf, sizeof buf, &p) > 0);
        rs_engine_packet(e, &p);
        now = f.now;
    }
    rs_engine_finish(e);
    struct rs_engine_stats st;
    rs_engine_stats(e, &st);
    rs_summary_set_engine_stats(s, &st);
    rs_engine_free(e);

    struct rs_summary_unsolicited u;
    rs_summary_unsolicited(s, &u);
    assert_int_equal(u.sessions, 25);
    assert_int_equal(u.rst_acks, 25);
    struct rs_summary_finding fd[2];
    assert_int_equal(rs_summary_findings(s, fd, 2), 1);
    assert_string_equal(fd[0].code, "rst_backscatter");
    assert_int_equal(fd[0].ack_sources, 25);
    char a[64];
    rs_addr_format(&fd[0].victim, a, sizeof a);
    assert_string_equal(a, "192.0.2.99");
    struct rs_summary_totals t;
    rs_summary_totals(s, &t);
    assert_int_equal(t.records, 25);
    assert_int_equal(t.engine.packets, 25);
    rs_summary_free(s);
}

/* Both would apply: backscatter wins, one finding per victim. */
static void
test_backscatter_beats_flood(void **state)
{
    (void)state;
    struct rs_summary *s = new_summary(NULL);
    char src[32];
    for (int i = 0; i < 200; i++) {
        ip4(src, sizeof src, 198, 18, 0, 1 + i % 25);
        struct rs_record r = uns_rec(src, "192.0.2.77", 1, 0, T0 + (rs_time_ns)i * 1000000);
        rs_summary_add(s, &r);
    }
    for (int i = 0; i < 150; i++) {
        struct rs_record r = uns_rec("203.0.113.5", "192.0.2.78", 0, 0, T0 + SEC(i));
        rs_summary_add(s, &r);
    }
    struct rs_summary_finding f[4];
    assert_int_equal(rs_summary_findings(s, f, 4), 2);
    assert_string_equal(f[0].code, "rst_backscatter");
    assert_int_equal(f[0].rsts, 200);
    assert_string_equal(f[1].code, "rst_flood");
    assert_int_equal(f[1].rsts, 150);
    assert_int_equal(f[1].sources, 1);
    /* max 1: the larger one */
    assert_int_equal(rs_summary_findings(s, f, 1), 1);
    assert_int_equal(f[0].rsts, 200);
    rs_summary_free(s);
}

static void
test_victim_eviction(void **state)
{
    (void)state;
    struct rs_summary_config cfg;
    rs_summary_config_default(&cfg);
    cfg.max_victims = 16;
    struct rs_summary *s = new_summary(&cfg);
    char dst[32];
    for (int i = 0; i < 300; i++) {
        /* the flood target, interleaved with a stream of one-off destinations */
        struct rs_record r = uns_rec("203.0.113.5", "192.0.2.1", 0, 0, T0 + SEC(i));
        rs_summary_add(s, &r);
        ip4(dst, sizeof dst, 10, 77, i / 256, i % 256);
        r = uns_rec("203.0.113.6", dst, 0, 0, T0 + SEC(i));
        rs_summary_add(s, &r);
    }
    struct rs_summary_totals t;
    rs_summary_totals(s, &t);
    assert_true(t.victim_evictions > 250);
    struct rs_summary_finding f[4];
    assert_int_equal(rs_summary_findings(s, f, 4), 1);
    assert_int_equal(f[0].rsts, 300);
    rs_summary_free(s);
}

/* ---- config, notes, writers --------------------------------------------- */

static void
test_config_errors(void **state)
{
    (void)state;
    struct rs_summary_config cfg;
    rs_summary_config_default(&cfg);
    cfg.max_hosts = 0;
    struct rs_error err = {0};
    assert_null(rs_summary_new(&cfg, &err));
    assert_int_equal(err.code, RS_ERR_USAGE);
    rs_summary_config_default(&cfg);
    cfg.flood_min_rate = 0;
    assert_null(rs_summary_new(&cfg, &err));
    struct rs_summary *s = rs_summary_new(NULL, &err); /* defaults, random seed */
    assert_non_null(s);
    rs_summary_get_config(s, &cfg);
    assert_int_equal(cfg.flood_min_rsts, 100);
    assert_int_equal(cfg.backscatter_min_sources, 20);
    assert_true(cfg.seed != 0);
    for (int i = 0; i < RS_SUMMARY_MAX_NOTES + 5; i++)
        assert_int_equal(rs_summary_add_note(s, "x.pcap: truncated"), 0);
    struct rs_summary_totals t;
    rs_summary_totals(s, &t);
    assert_int_equal(t.notes, RS_SUMMARY_MAX_NOTES);
    assert_int_equal(t.notes_dropped, 5);
    assert_string_equal(rs_summary_note(s, 0), "x.pcap: truncated");
    assert_null(rs_summary_note(s, RS_SUMMARY_MAX_NOTES));
    rs_summary_free(s);
    rs_summary_free(NULL);
}

static char *
render(const struct rs_summary *s, enum rs_summary_format fmt, size_t top, size_t width)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    struct rs_summary_write_opts o = {top, width};
    assert_int_equal(rs_summary_write(s, fmt, f, &o, NULL), 0);
    fclose(f);
    return buf;
}

static void
test_writers(void **state)
{
    (void)state;
    struct rs_summary *s = new_summary(NULL);
    /* empty summary: both formats still complete */
    char *txt = render(s, RS_SUMMARY_TEXT, 0, 0);
    assert_non_null(strstr(txt, "(no sessions)"));
    free(txt);
    char *js = render(s, RS_SUMMARY_JSON, 0, 0);
    assert_non_null(strstr(js, "\"findings\":[]"));
    assert_non_null(strstr(js, "\"sparkline\":\"\""));
    free(js);

    rs_time_ns m0 = T0 - SEC(20);
    for (int i = 0; i < 120; i++) { /* two hours, resets in minute 0 and minute 119 */
        struct rs_record r =
            tcp_rec("10.0.0.1", "10.0.0.2", 80,
                    i == 0 || i == 119 ? RS_END_RST_SERVER : RS_END_TCP_FIN, m0 + SEC(60 * i));
        rs_summary_add(s, &r);
    }
    for (int i = 0; i < 120; i++) {
        struct rs_record r = uns_rec("203.0.113.5", "192.0.2.1", 0, 0, m0 + SEC(60 * 119));
        rs_summary_add(s, &r);
    }
    assert_int_equal(rs_summary_add_input(s, "a \"quoted\".pcap"), 0);
    assert_int_equal(rs_summary_add_note(s, "bad\x01note"), 0);
    txt = render(s, RS_SUMMARY_TEXT, 3, 40);
    /* 120 buckets in 40 characters: 3 per character; full block = 121 */
    assert_non_null(strstr(txt, "1 char = 3 min (3 buckets of 1 min), full block = 121 resets"));
    assert_non_null(strstr(txt, "rst_flood"));
    assert_non_null(strstr(txt, "192.0.2.1: 120 RSTs (0 RST|ACK) from 1 host "));
    assert_non_null(strstr(txt, "\xe2\x96\x88|")); /* ends with a full block */
    free(txt);
    js = render(s, RS_SUMMARY_JSON, 3, 40);
    assert_non_null(strstr(js, "\"inputs\":[\"a \\\"quoted\\\".pcap\"]"));
    assert_non_null(strstr(js, "\"damage\":[\"bad\\u0001note\"]"));
    assert_non_null(strstr(js, "\"cell_buckets\":3,\"cell_seconds\":180,\"cell_max\":121"));
    assert_non_null(strstr(js, "\"code\":\"rst_flood\",\"victim\":\"192.0.2.1\",\"rsts\":120"));
    assert_non_null(strstr(js, "\"resets\":{\"sessions\":122,\"pct\":50.8,"));
    free(js);

    /* a failed write is reported */
    FILE *full = fopen("/dev/full", "w");
    if (full) {
        struct rs_error err = {0};
        setvbuf(full, NULL, _IONBF, 0);
        assert_int_equal(rs_summary_write(s, RS_SUMMARY_JSON, full, NULL, &err), RS_ERR_OUTPUT);
        fclose(full);
    }
    assert_int_equal(rs_summary_format_parse("json"), RS_SUMMARY_JSON);
    assert_int_equal(rs_summary_format_parse("text"), RS_SUMMARY_TEXT);
    assert_int_equal(rs_summary_format_parse("xml"), -1);
    rs_summary_free(s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_names_overflow),
        cmocka_unit_test(test_top_hosts),
        cmocka_unit_test(test_top_hosts_order),
        cmocka_unit_test(test_top_hosts_eviction),
        cmocka_unit_test(test_timeline_minutes),
        cmocka_unit_test(test_timeline_merge),
        cmocka_unit_test(test_flood_threshold_count),
        cmocka_unit_test(test_flood_threshold_rate),
        cmocka_unit_test(test_backscatter),
        cmocka_unit_test(test_backscatter_many_sources),
        cmocka_unit_test(test_unsolicited_shape),
        cmocka_unit_test(test_engine_backscatter),
        cmocka_unit_test(test_backscatter_beats_flood),
        cmocka_unit_test(test_victim_eviction),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_writers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
