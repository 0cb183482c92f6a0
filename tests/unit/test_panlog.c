/*
 * test_panlog.c - reading PAN-OS traffic logs and pairing them with captured
 * sessions (panlog.h).
 *
 * The reader is fed the hand-written samples in tests/data/panos/: PAN-OS
 * 9.1 lines behind a BSD syslog header, 10.1 lines (115 fields) behind an
 * RFC 5424 header with CRLF, 8.1 and 6.1 lines (66 and 46 fields) without a
 * header, a web-interface CSV export (header line, BOM, quoted commas), and
 * a file of malformed lines, each reported with its number while the good
 * lines around them are all kept. The matcher is fed records and lines
 * built here: pre- and post-NAT tuples, reversed orientation, tolerance,
 * port reuse within a second, time zone detection, and the verdicts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rstscope/panlog.h>

#define MAXE 16

struct got {
    struct rs_panlog_entry e[MAXE];
    int n;
    char bad[MAXE][600];
    uint64_t bad_line[MAXE];
    int nbad;
    struct rs_panlog_stats st;
};

static void
read_stream(FILE *f, const char *name, struct got *g)
{
    memset(g, 0, sizeof *g);
    struct rs_error err = {0};
    struct rs_panlog *r = rs_panlog_open(f, name, &err);
    assert_non_null(r);
    for (;;) {
        struct rs_panlog_entry e;
        struct rs_error why = {0};
        int rc = rs_panlog_next(r, &e, &why);
        if (rc == RS_PANLOG_END)
            break;
        assert_true(rc == RS_PANLOG_ENTRY || rc == RS_PANLOG_BAD);
        if (rc == RS_PANLOG_ENTRY) {
            assert_true(g->n < MAXE);
            g->e[g->n++] = e;
        } else {
            assert_true(g->nbad < MAXE);
            snprintf(g->bad[g->nbad], sizeof g->bad[0], "%s", why.msg);
            g->nbad++;
        }
    }
    rs_panlog_stats(r, &g->st);
    rs_panlog_close(r);
}

static void
read_file(const char *file, struct got *g)
{
    char path[512];
    const char *top = getenv("TOP");
    snprintf(path, sizeof path, "%s/tests/data/panos/%s", top ? top : ".", file);
    FILE *f = fopen(path, "rb");
    if (!f)
        fprintf(stderr, "cannot open %s\n", path);
    assert_non_null(f);
    read_stream(f, file, g);
    fclose(f);
}

static void
addr_is(const struct rs_addr *a, const char *text)
{
    struct rs_addr b;
    assert_int_equal(rs_addr_parse(&b, text), 0);
    assert_memory_equal(a->b, b.b, 16);
}

static rs_time_ns
utc(const char *s)
{
    rs_time_ns t;
    int z;
    assert_int_equal(rs_panos_time_parse(s, strlen(s), &t, &z), 0);
    return t;
}

static void
test_91_syslog(void **state)
{
    (void)state;
    struct got g;
    read_file("panos-9.1-syslog.log", &g);
    assert_int_equal(g.nbad, 0);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.st.lines, 5);
    assert_int_equal(g.st.entries, 3);
    assert_int_equal(g.st.start, 1);
    assert_int_equal(g.st.other, 1); /* the THREAT line */
    assert_false(g.st.header);

    const struct rs_panlog_entry *e = &g.e[0];
    assert_int_equal(e->line, 1);
    assert_int_equal(e->nfields, 75);
    assert_string_equal(e->subtype, "end");
    assert_int_equal(e->proto, 6);
    addr_is(&e->src, "10.20.1.5");
    addr_is(&e->dst, "203.0.113.80");
    assert_int_equal(e->sport, 50512);
    assert_int_equal(e->dport, 443);
    assert_true(e->has_nat_src);
    addr_is(&e->nat_src, "198.51.100.2");
    assert_int_equal(e->nat_sport, 31022);
    assert_true(e->has_nat_dst); /* destination "translated" to itself */
    assert_string_equal(e->rule, "Allow Web, Out");
    assert_string_equal(e->app, "ssl");
    assert_string_equal(e->action, "allow");
    assert_int_equal(e->session_id, 51234);
    assert_int_equal(e->start, utc("2025/03/03 09:14:51"));
    assert_false(e->start_zoned);
    assert_int_equal(e->elapsed_s, 15);
    assert_true(e->has_counts);
    assert_int_equal(e->bytes_sent, 2210);
    assert_int_equal(e->bytes_recv, 8832);
    assert_int_equal(e->pkts_sent, 14);
    assert_int_equal(e->pkts_recv, 12);
    assert_string_equal(e->end_reason, "tcp-fin");

    e = &g.e[1];
    assert_int_equal(e->line, 4);
    assert_string_equal(e->subtype, "drop");
    assert_string_equal(e->app, "not-applicable");
    assert_string_equal(e->action, "reset-client");
    assert_string_equal(e->end_reason, "policy-deny");
    assert_int_equal(e->session_id, 0);
    assert_false(e->has_nat_src);
    assert_false(e->has_nat_dst);

    e = &g.e[2];
    assert_int_equal(e->line, 5);
    assert_int_equal(e->proto, 17);
    assert_string_equal(e->app, "dns-base");
    assert_string_equal(e->end_reason, "aged-out");
    assert_int_equal(e->nat_sport, 44001);
}

static void
test_101_rfc5424(void **state)
{
    (void)state;
    struct got g;
    read_file("panos-10.1-rfc5424.log", &g);
    assert_int_equal(g.nbad, 0);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.e[0].nfields, 115);
    addr_is(&g.e[0].src, "2001:db8:10::5");
    assert_false(g.e[0].has_nat_src); /* "::" is no NAT */
    assert_string_equal(g.e[0].end_reason, "tcp-rst-from-server");
    assert_string_equal(g.e[0].app, "web-browsing");
    assert_string_equal(g.e[1].subtype, "deny");
    assert_string_equal(g.e[1].app, "ssh");
    assert_string_equal(g.e[1].end_reason, "policy-deny");
    assert_int_equal(g.e[1].line, 2);
}

static void
test_81_61(void **state)
{
    (void)state;
    struct got g;
    read_file("panos-8.1-and-6.1.log", &g);
    assert_int_equal(g.nbad, 0);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.e[0].nfields, 66);
    assert_string_equal(g.e[0].end_reason, "tcp-rst-from-client");
    assert_int_equal(g.e[0].elapsed_s, 1205);
    assert_int_equal(g.e[1].nfields, 46);
    assert_int_equal(g.e[1].proto, 1);
    assert_string_equal(g.e[1].end_reason, ""); /* 6.1 has no end reason */
    assert_true(g.e[1].has_counts);
}

static void
test_export_csv(void **state)
{
    (void)state;
    struct got g;
    read_file("panos-export.csv", &g);
    assert_int_equal(g.nbad, 0);
    assert_true(g.st.header);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.e[0].line, 2);
    assert_string_equal(g.e[0].rule, "Web, general");
    assert_string_equal(g.e[0].app, "ssl");
    assert_int_equal(g.e[0].pkts_sent, 12);
    assert_int_equal(g.e[0].bytes_recv, 9000);
    assert_string_equal(g.e[0].end_reason, "tcp-fin");
    assert_int_equal(g.e[0].elapsed_s, 9);
    assert_int_equal(g.e[1].line, 3);
    assert_string_equal(g.e[1].app, "smtp-base");
}

static void
test_malformed(void **state)
{
    (void)state;
    struct got g;
    read_file("panos-malformed.log", &g);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.e[0].line, 1);
    assert_int_equal(g.e[1].line, 8);
    assert_int_equal(g.e[1].sport, 50600);
    assert_int_equal(g.e[2].line, 11);
    assert_int_equal(g.e[2].sport, 50601);
    assert_int_equal(g.st.blank, 1);
    assert_int_equal(g.st.bad, 7);
    static const char *const want[7] = {
        "panos-malformed.log:3: TRAFFIC line with 21 fields",
        "panos-malformed.log:4: bad Source Address '10.20.1.999'",
        "panos-malformed.log:5: unterminated quoted field",
        "panos-malformed.log:6: not a PAN-OS log line",
        "panos-malformed.log:7: bad Source Port '99999'",
        "panos-malformed.log:9: unknown traffic subtype 'ended'",
        "panos-malformed.log:10: bad Start Time",
    };
    assert_int_equal(g.nbad, 7);
    for (int i = 0; i < 7; i++) {
        if (!strstr(g.bad[i], want[i]))
            fprintf(stderr, "got '%s', want '%s'\n", g.bad[i], want[i]);
        assert_non_null(strstr(g.bad[i], want[i]));
    }
}

static char *
good_line(void)
{
    char path[512];
    const char *top = getenv("TOP");
    snprintf(path, sizeof path, "%s/tests/data/panos/panos-9.1-syslog.log", top ? top : ".");
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char line[4096];
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    return line;
}

static void
test_long_line_and_prefixes(void **state)
{
    (void)state;
    const char *good = good_line();
    size_t gl = strlen(good);
    size_t big = RS_PANLOG_MAX_LINE + 5000;
    char *text = calloc(1, 2 * gl + big + 2);
    assert_non_null(text);
    snprintf(text, gl + 1, "%s", good);
    memset(text + gl, 'x', big);
    text[gl + big] = '\n';
    snprintf(text + gl + big + 1, gl + 1, "%s", good);
    FILE *f = fmemopen(text, 2 * gl + big + 1, "rb");
    assert_non_null(f);
    struct got g;
    read_stream(f, "mem", &g);
    fclose(f);
    free(text);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.e[0].line, 1);
    assert_int_equal(g.e[1].line, 3);
    assert_int_equal(g.nbad, 1);
    assert_non_null(strstr(g.bad[0], "mem:2: line longer than"));

    /* every prefix of a good line parses or is refused, never crashes */
    for (size_t n = 0; n <= gl; n++) {
        struct rs_panlog_entry e;
        struct rs_error why = {0};
        int rc = rs_panlog_parse_line(good, n, 5, &e, &why);
        assert_true(rc == RS_PANLOG_ENTRY || rc == RS_PANLOG_BAD || rc == RS_PANLOG_SKIP);
        if (rc == RS_PANLOG_BAD)
            assert_non_null(strstr(why.msg, "line 5: "));
    }
}

static void
test_custom_header(void **state)
{
    (void)state;
    /* A custom CSV with short names, and a web-UI style Type column holding
     * the subtype. */
    static char text[] =
        "Type,src,dst,sport,dport,proto,start,app,session_end_reason,"
        "pkts_sent,pkts_received,Bytes Sent,Bytes Received\n"
        "end,192.0.2.1,192.0.2.2,1000,80,tcp,2025-03-03T10:00:00Z,http,tcp-fin,"
        "3,2,180,400\n"
        "start,192.0.2.1,192.0.2.2,1001,80,tcp,2025-03-03T10:00:00Z,http,,1,0,60,0\n"
        "end,192.0.2.1,192.0.2.2,1002,80,tcp,yesterday,http,tcp-fin,3,2,180,400\n";
    FILE *f = fmemopen(text, strlen(text), "rb");
    struct got g;
    read_stream(f, "custom.csv", &g);
    fclose(f);
    assert_true(g.st.header);
    assert_int_equal(g.n, 1);
    assert_true(g.e[0].start_zoned);
    assert_int_equal(g.e[0].start, utc("2025/03/03 10:00:00"));
    assert_true(g.e[0].has_counts);
    assert_int_equal(g.e[0].bytes_recv, 400);
    assert_int_equal(g.st.start, 1);
    assert_int_equal(g.nbad, 1);
    assert_non_null(strstr(g.bad[0], "custom.csv:4: bad Start Time 'yesterday'"));
}

/* ---- matcher ---- */

static const rs_time_ns T0 = INT64_C(1741000000) * RS_NS_PER_SEC; /* 2025-03-03 11:06:40 */

static void
mkrec(struct rs_record *r, uint64_t id, const char *cli, uint16_t cp, const char *srv, uint16_t sp,
      rs_time_ns ts, uint64_t cpk, uint64_t spk, enum rs_end_reason end, const char *app)
{
    memset(r, 0, sizeof *r);
    r->id = id;
    snprintf(r->uid, sizeof r->uid, "C%llu", (unsigned long long)id);
    r->proto = 6;
    assert_int_equal(rs_addr_parse(&r->client, cli), 0);
    assert_int_equal(rs_addr_parse(&r->server, srv), 0);
    r->client_port = cp;
    r->server_port = sp;
    r->ts = ts;
    r->end_ts = ts + 3 * RS_NS_PER_SEC;
    r->client_pkts = cpk;
    r->server_pkts = spk;
    r->client_ip_bytes = cpk * 100;
    r->server_ip_bytes = spk * 100;
    r->end_reason = end;
    snprintf(r->app, sizeof r->app, "%s", app);
    snprintf(r->conn_state, sizeof r->conn_state, "SF");
    snprintf(r->explanation, sizeof r->explanation, "capture says %llu", (unsigned long long)id);
}

static void
mkline(struct rs_panlog_entry *e, uint64_t line, const char *src, uint16_t sp, const char *dst,
       uint16_t dp, rs_time_ns start, uint64_t ps, uint64_t pr, const char *reason, const char *app)
{
    memset(e, 0, sizeof *e);
    e->line = line;
    snprintf(e->subtype, sizeof e->subtype, "end");
    e->proto = 6;
    assert_int_equal(rs_addr_parse(&e->src, src), 0);
    assert_int_equal(rs_addr_parse(&e->dst, dst), 0);
    e->sport = sp;
    e->dport = dp;
    e->start = start / RS_NS_PER_SEC * RS_NS_PER_SEC;
    e->elapsed_s = 3;
    e->has_counts = 1;
    e->pkts_sent = ps;
    e->pkts_recv = pr;
    e->bytes_sent = ps * 100;
    e->bytes_recv = pr * 100;
    snprintf(e->end_reason, sizeof e->end_reason, "%s", reason);
    snprintf(e->app, sizeof e->app, "%s", app);
    snprintf(e->action, sizeof e->action, "allow");
}

static struct rs_panmatch *
matcher(int auto_offset)
{
    struct rs_panmatch_opts o = {0};
    o.tolerance = 2 * RS_NS_PER_SEC;
    o.auto_offset = auto_offset;
    struct rs_panmatch *m = rs_panmatch_new(&o, NULL);
    assert_non_null(m);
    return m;
}

static void
test_match_basic(void **state)
{
    (void)state;
    struct rs_panmatch *m = matcher(0);
    struct rs_record r;
    struct rs_panlog_entry e;
    /* 1: exact; 2: same tuple 0.4 s later (port reuse), other counts */
    mkrec(&r, 1, "10.0.0.1", 1000, "192.0.2.1", 443, T0 + 200000000, 5, 4, RS_END_TCP_FIN, "ssl");
    assert_int_equal(rs_panmatch_add_record(m, &r), 0);
    mkrec(&r, 2, "10.0.0.1", 1000, "192.0.2.1", 443, T0 + 600000000, 3, 2, RS_END_RST_SERVER,
          "ssl");
    assert_int_equal(rs_panmatch_add_record(m, &r), 0);
    /* 3: captured on the outside of a source NAT */
    mkrec(&r, 3, "198.51.100.2", 30000, "192.0.2.1", 80, T0 + 5 * RS_NS_PER_SEC, 6, 6,
          RS_END_TCP_FIN, "http");
    assert_int_equal(rs_panmatch_add_record(m, &r), 0);
    /* 4: picked up mid-stream, oriented the other way */
    mkrec(&r, 4, "192.0.2.9", 22, "10.0.0.7", 50000, T0 + 9 * RS_NS_PER_SEC, 7, 9, RS_END_AGED_OUT,
          "ssh");
    assert_int_equal(rs_panmatch_add_record(m, &r), 0);
    /* 5: not in the log */
    mkrec(&r, 5, "10.0.0.8", 1234, "192.0.2.8", 25, T0, 1, 0, RS_END_OPEN, "incomplete");
    assert_int_equal(rs_panmatch_add_record(m, &r), 0);

    /* lines: the reuse pair in the opposite order of their starts */
    mkline(&e, 1, "10.0.0.1", 1000, "192.0.2.1", 443, T0 + 600000000, 3, 2, "tcp-rst-from-server",
           "ssl");
    assert_int_equal(rs_panmatch_add_line(m, &e), 0);
    mkline(&e, 2, "10.0.0.1", 1000, "192.0.2.1", 443, T0 + 200000000, 5, 4, "tcp-fin", "ssl");
    assert_int_equal(rs_panmatch_add_line(m, &e), 0);
    mkline(&e, 3, "10.0.0.3", 5555, "192.0.2.1", 80, T0 + 5 * RS_NS_PER_SEC, 6, 6, "aged-out",
           "web-browsing");
    assert_int_equal(rs_addr_parse(&e.nat_src, "198.51.100.2"), 0);
    e.has_nat_src = 1;
    e.nat_sport = 30000;
    assert_int_equal(rs_panmatch_add_line(m, &e), 0);
    mkline(&e, 4, "10.0.0.7", 50000, "192.0.2.9", 22, T0 + 9 * RS_NS_PER_SEC, 9, 7, "aged-out",
           "ssh");
    assert_int_equal(rs_panmatch_add_line(m, &e), 0);
    /* 5: no session; 6: outside the tolerance */
    mkline(&e, 5, "10.9.9.9", 1, "192.0.2.1", 443, T0, 1, 1, "tcp-fin", "ssl");
    assert_int_equal(rs_panmatch_add_line(m, &e), 0);
    mkline(&e, 6, "10.0.0.8", 1234, "192.0.2.8", 25, T0 + 10 * RS_NS_PER_SEC, 1, 0, "aged-out",
           "incomplete");
    assert_int_equal(rs_panmatch_add_line(m, &e), 0);

    assert_int_equal(rs_panmatch_run(m), 0);
    assert_int_equal(rs_panmatch_nrows(m), 7);
    struct rs_panmatch_row row;

    rs_panmatch_row(m, 0, &row);
    assert_int_equal(row.kind, RS_PANMATCH_MATCHED);
    assert_int_equal(row.cap->id, 2);
    assert_true(row.agree);
    assert_int_equal(row.end_reason, RS_AGREE_YES);
    assert_int_equal(row.app, RS_AGREE_YES);
    assert_int_equal(row.counts, RS_AGREE_YES);
    assert_non_null(strstr(row.diagnosis, "Log and capture agree: tcp-rst-from-server, ssl."));
    assert_non_null(strstr(row.diagnosis, "Capture: capture says 2"));

    rs_panmatch_row(m, 1, &row);
    assert_int_equal(row.cap->id, 1);
    assert_true(row.agree);

    rs_panmatch_row(m, 2, &row);
    assert_int_equal(row.kind, RS_PANMATCH_MATCHED);
    assert_int_equal(row.cap->id, 3);
    assert_true(row.via_nat);
    assert_false(row.reversed);
    assert_int_equal(row.end_reason, RS_AGREE_NO);
    assert_int_equal(row.app, RS_AGREE_YES); /* web-browsing is http */
    assert_false(row.agree);
    assert_non_null(strstr(row.diagnosis, "neither FIN nor RST"));
    assert_non_null(strstr(row.diagnosis, "post-NAT"));

    rs_panmatch_row(m, 3, &row);
    assert_int_equal(row.cap->id, 4);
    assert_true(row.reversed);
    assert_true(row.agree); /* counts compared across the orientation */

    rs_panmatch_row(m, 4, &row);
    assert_int_equal(row.kind, RS_PANMATCH_LOG_ONLY);
    assert_null(row.cap);
    assert_non_null(strstr(row.diagnosis, "No captured session"));
    rs_panmatch_row(m, 5, &row);
    assert_int_equal(row.kind, RS_PANMATCH_LOG_ONLY);

    rs_panmatch_row(m, 6, &row);
    assert_int_equal(row.kind, RS_PANMATCH_CAPTURE_ONLY);
    assert_null(row.log);
    assert_int_equal(row.cap->id, 5);
    assert_non_null(strstr(row.diagnosis, "still open when the capture ended"));
    rs_panmatch_free(m);
}

static void
test_match_verdicts(void **state)
{
    (void)state;
    struct rs_panmatch *m = matcher(0);
    struct rs_record r;
    struct rs_panlog_entry e;
    static const struct {
        enum rs_end_reason cap_end;
        const char *cap_app, *log_reason, *log_app;
        enum rs_agree end, app;
        const char *phrase;
    } c[] = {
        {RS_END_RST_SERVER, "ssl", "tcp-rst-from-client", "ssl", RS_AGREE_NO, RS_AGREE_YES,
         "names the client as the resetter"},
        {RS_END_TCP_FIN, "ssl", "tcp-rst-from-server", "ssl", RS_AGREE_NO, RS_AGREE_YES,
         "does not show (it shows FINs)"},
        {RS_END_RST_CLIENT, "http", "tcp-fin", "web-browsing", RS_AGREE_NO, RS_AGREE_YES,
         "where the firewall logged tcp-fin"},
        {RS_END_TCP_FIN, "ssl", "threat", "ssl", RS_AGREE_NO, RS_AGREE_YES, "THREAT log"},
        {RS_END_TCP_FIN, "ssl", "tcp-fin", "google-base", RS_AGREE_YES, RS_AGREE_MAYBE,
         "carried over ssl"},
        {RS_END_TCP_FIN, "unknown-tcp", "tcp-fin", "facebook-base", RS_AGREE_YES, RS_AGREE_NO,
         "do not know"},
        {RS_END_TCP_FIN, "ssh", "tcp-fin", "incomplete", RS_AGREE_YES, RS_AGREE_NO,
         "asymmetric routing"},
        {RS_END_OPEN, "ssl", "tcp-fin", "ssl", RS_AGREE_NO, RS_AGREE_YES, "capture ended first"},
        {RS_END_OPEN, "ssl", "unknown", "ssl", RS_AGREE_YES, RS_AGREE_YES, "agree"},
    };
    size_t n = sizeof c / sizeof c[0];
    for (size_t i = 0; i < n; i++) {
        mkrec(&r, i + 1, "10.0.0.1", (uint16_t)(2000 + i), "192.0.2.1", 443,
              T0 + (rs_time_ns)i * RS_NS_PER_SEC, 4, 4, c[i].cap_end, c[i].cap_app);
        if (c[i].cap_end == RS_END_RST_SERVER || c[i].cap_end == RS_END_RST_CLIENT) {
            r.rst_by = c[i].cap_end == RS_END_RST_SERVER ? RS_RST_BY_SERVER : RS_RST_BY_CLIENT;
            snprintf(r.rst_cause, sizeof r.rst_cause, "abortive_close");
        }
        assert_int_equal(rs_panmatch_add_record(m, &r), 0);
        mkline(&e, i + 1, "10.0.0.1", (uint16_t)(2000 + i), "192.0.2.1", 443,
               T0 + (rs_time_ns)i * RS_NS_PER_SEC, 4, 4, c[i].log_reason, c[i].log_app);
        assert_int_equal(rs_panmatch_add_line(m, &e), 0);
    }
    /* policy-deny with the firewall's reset seen as the server's */
    mkrec(&r, 100, "10.0.0.2", 3000, "192.0.2.2", 23, T0, 1, 1, RS_END_RST_SERVER, "incomplete");
    r.rst_by = RS_RST_BY_SERVER;
    snprintf(r.rst_cause, sizeof r.rst_cause, "refused_closed_port");
    assert_int_equal(rs_panmatch_add_record(m, &r), 0);
    mkline(&e, 100, "10.0.0.2", 3000, "192.0.2.2", 23, T0, 1, 0, "policy-deny", "not-applicable");
    snprintf(e.rule, sizeof e.rule, "block-telnet");
    snprintf(e.action, sizeof e.action, "reset-client");
    assert_int_equal(rs_panmatch_add_line(m, &e), 0);

    assert_int_equal(rs_panmatch_run(m), 0);
    struct rs_panmatch_row row;
    for (size_t i = 0; i < n; i++) {
        rs_panmatch_row(m, i, &row);
        assert_int_equal(row.kind, RS_PANMATCH_MATCHED);
        if (row.end_reason != c[i].end || row.app != c[i].app ||
            !strstr(row.diagnosis, c[i].phrase))
            fprintf(stderr, "case %zu: end %d app %d: %s\n", i, row.end_reason, row.app,
                    row.diagnosis);
        assert_int_equal(row.end_reason, c[i].end);
        assert_int_equal(row.app, c[i].app);
        assert_non_null(strstr(row.diagnosis, c[i].phrase));
    }
    rs_panmatch_row(m, n, &row);
    assert_int_equal(row.kind, RS_PANMATCH_MATCHED);
    assert_int_equal(row.end_reason, RS_AGREE_NO);
    assert_int_equal(row.counts, RS_AGREE_NA); /* a denied session: counts not compared */
    assert_non_null(strstr(row.diagnosis, "firewall's own reset in the server's name"));
    assert_non_null(strstr(row.diagnosis, "block-telnet"));
    rs_panmatch_free(m);
}

static void
test_match_offset(void **state)
{
    (void)state;
    /* The log is in UTC+05:30 local time; lines without a zone. */
    for (int pass = 0; pass < 2; pass++) {
        struct rs_panmatch *m = matcher(pass == 0);
        struct rs_record r;
        struct rs_panlog_entry e;
        for (int i = 0; i < 5; i++) {
            mkrec(&r, (uint64_t)i + 1, "10.0.0.1", (uint16_t)(4000 + i), "192.0.2.1", 443,
                  T0 + (rs_time_ns)i * 60 * RS_NS_PER_SEC, 3, 3, RS_END_TCP_FIN, "ssl");
            assert_int_equal(rs_panmatch_add_record(m, &r), 0);
            mkline(&e, (uint64_t)i + 1, "10.0.0.1", (uint16_t)(4000 + i), "192.0.2.1", 443,
                   T0 + ((rs_time_ns)i * 60 + 19800) * RS_NS_PER_SEC, 3, 3, "tcp-fin", "ssl");
            assert_int_equal(rs_panmatch_add_line(m, &e), 0);
        }
        /* a zoned line is taken as it is */
        mkrec(&r, 9, "10.0.0.9", 9, "192.0.2.9", 9, T0, 3, 3, RS_END_TCP_FIN, "ssl");
        assert_int_equal(rs_panmatch_add_record(m, &r), 0);
        mkline(&e, 9, "10.0.0.9", 9, "192.0.2.9", 9, T0, 3, 3, "tcp-fin", "ssl");
        e.start_zoned = 1;
        assert_int_equal(rs_panmatch_add_line(m, &e), 0);
        assert_int_equal(rs_panmatch_run(m), 0);
        struct rs_panmatch_row row;
        if (pass == 0) {
            assert_int_equal(rs_panmatch_offset(m), 19800);
            for (size_t i = 0; i < 6; i++) {
                rs_panmatch_row(m, i, &row);
                assert_int_equal(row.kind, RS_PANMATCH_MATCHED);
            }
        } else {
            assert_int_equal(rs_panmatch_offset(m), 0);
            rs_panmatch_row(m, 0, &row);
            assert_int_equal(row.kind, RS_PANMATCH_LOG_ONLY);
            assert_non_null(strstr(row.diagnosis, "UTC+00:00"));
            rs_panmatch_row(m, 5, &row);
            assert_int_equal(row.kind, RS_PANMATCH_MATCHED);
        }
        rs_panmatch_free(m);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_91_syslog),      cmocka_unit_test(test_101_rfc5424),
        cmocka_unit_test(test_81_61),          cmocka_unit_test(test_export_csv),
        cmocka_unit_test(test_malformed),      cmocka_unit_test(test_long_line_and_prefixes),
        cmocka_unit_test(test_custom_header),  cmocka_unit_test(test_match_basic),
        cmocka_unit_test(test_match_verdicts), cmocka_unit_test(test_match_offset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
