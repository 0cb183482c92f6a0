/*
 * test_output.c - record names, the field table, escaping, and every writer
 * (table, jsonl, csv, zeek) on IPv4 and IPv6 records, including hostile
 * strings and write failures. Output is captured with open_memstream.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <rstscope/output.h>
#include <rstscope/parallel.h>
#include <rstscope/record.h>

#include "output/output_int.h"

/* The byte-at-a-time rule rs_json_escape must keep (escape.c's header):
 * printable ASCII but '"' and '\\' as is, well-formed UTF-8 whole, '"'
 * and '\\' backslashed, everything else \u00XX. */
static size_t
ref_escape(const unsigned char *u, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = u[i];
        size_t seq = c >= 0x80 ? rs_utf8_seq_len(u + i, n - i) : 0;
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            out[o++] = (char)c;
            i++;
        } else if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
            i++;
        } else if (seq) {
            memcpy(out + o, u + i, seq);
            o += seq;
            i += seq;
        } else {
            o += (size_t)sprintf(out + o, "\\u%04x", c);
            i++;
        }
    }
    out[o] = '\0';
    return o;
}

/* ---- helpers ------------------------------------------------------------ */

static const rs_time_ns T0 = INT64_C(1700000000123456000); /* 2023-11-14 22:13:20.123456 */

static void
set_str(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s);
}
#define SET(field, s) set_str((field), sizeof(field), (s))

static void
rec_v4(struct rs_record *r)
{
    memset(r, 0, sizeof *r);
    r->id = 1;
    SET(r->uid, "CHhAvVGS1DHFjwGM9");
    r->ts = T0;
    r->end_ts = T0 + INT64_C(63810000); /* 0.063810 s */
    r->proto = 6;
    assert_int_equal(rs_addr_parse(&r->client, "192.0.2.10"), 0);
    assert_int_equal(rs_addr_parse(&r->server, "198.51.100.7"), 0);
    r->client_port = 53246;
    r->server_port = 80;
    r->end_reason = RS_END_RST_SERVER;
    SET(r->app, "http");
    SET(r->conn_state, "RSTR");
    SET(r->history, "ShADadr");
    r->client_pkts = 4;
    r->client_bytes = 432;
    r->client_ip_bytes = 604;
    r->server_pkts = 3;
    r->server_bytes = 1200;
    r->server_ip_bytes = 1320;
    r->missed_bytes = 0;
    r->rst_by = RS_RST_BY_SERVER;
    SET(r->rst_cause, "abortive_close");
    r->rst_confidence = RS_CONF_HIGH;
    r->rst_flags = RS_RSTF_TTL_MISMATCH | RS_RSTF_OUT_OF_WINDOW;
    r->inflight_client_bytes = 0;
    r->inflight_server_bytes = 1460;
    SET(r->explanation, "Server reset after the response (packet 7).");
    SET(r->hint, "Check the server's SO_LINGER setting.");
    SET(r->sni, "");
    SET(r->http_host, "example.com");
}

static void
rec_v6(struct rs_record *r)
{
    memset(r, 0, sizeof *r);
    r->id = 2;
    SET(r->uid, "ClEkJM2Vm5giqnMf4h");
    r->ts = T0 + 5 * RS_NS_PER_SEC;
    r->end_ts = r->ts + 2 * RS_NS_PER_SEC;
    r->proto = 17;
    assert_int_equal(rs_addr_parse(&r->client, "2001:db8::1"), 0);
    assert_int_equal(rs_addr_parse(&r->server, "2001:db8::53"), 0);
    r->client_port = 40000;
    r->server_port = 53;
    r->end_reason = RS_END_AGED_OUT;
    SET(r->app, "dns");
    SET(r->conn_state, "SF");
    SET(r->history, "Dd");
    r->client_pkts = 1;
    r->client_bytes = 40;
    r->client_ip_bytes = 88;
    r->server_pkts = 1;
    r->server_bytes = 120;
    r->server_ip_bytes = 168;
}

/* Captures a writer's output in memory. */
struct cap {
    FILE *f;
    char *buf;
    size_t len;
};

static void
cap_open(struct cap *c)
{
    c->buf = NULL;
    c->len = 0;
    c->f = open_memstream(&c->buf, &c->len);
    assert_non_null(c->f);
}

static void
cap_close(struct cap *c)
{
    fclose(c->f);
    c->f = NULL;
}

static void
cap_free(struct cap *c)
{
    free(c->buf);
    c->buf = NULL;
}

/* A new file from the mkstemp template `path`, open for writing. */
static FILE *
temp_out(char *path)
{
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    return f;
}

/* Runs a whole writer over recs; returns the captured text (caller frees). */
static char *
run_writer(enum rs_format fmt, const struct rs_writer_opts *opts, const struct rs_record *recs,
           size_t n)
{
    struct cap c;
    struct rs_error err = {0};
    cap_open(&c);
    struct rs_writer *w = rs_writer_open(fmt, c.f, opts, &err);
    assert_non_null(w);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(rs_writer_write(w, &recs[i]), 0);
    assert_int_equal(rs_writer_close(w, T0 + 60 * RS_NS_PER_SEC, &err), 0);
    cap_close(&c);
    return c.buf;
}

static size_t
count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (*s == '\n')
            n++;
    return n;
}

/* Returns a malloc'd copy of line i (0-based), without its newline. */
static char *
get_line(const char *s, size_t i)
{
    while (i > 0 && *s) {
        if (*s++ == '\n')
            i--;
    }
    const char *e = strchr(s, '\n');
    size_t n = e ? (size_t)(e - s) : strlen(s);
    char *l = malloc(n + 1);
    assert_non_null(l);
    memcpy(l, s, n);
    l[n] = '\0';
    return l;
}

/* ---- an independent, strict JSON-line checker --------------------------- */

static int
utf8_ok(const unsigned char *s, size_t n, size_t *adv)
{
    unsigned char c = s[0];
    size_t need;
    uint32_t cp;
    if (c < 0x80) {
        *adv = 1;
        return 1;
    }
    if ((c & 0xe0) == 0xc0) {
        need = 2;
        cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
        need = 3;
        cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
        need = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[need] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    *adv = need;
    return 1;
}

static const char *
js_string(const char *p)
{
    if (*p != '"')
        return NULL;
    p++;
    while (*p != '"') {
        unsigned char c = (unsigned char)*p;
        if (c == '\0' || c < 0x20)
            return NULL;
        if (c == '\\') {
            p++;
            if (*p == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (!strchr("0123456789abcdefABCDEF", p[i]) || p[i] == '\0')
                        return NULL;
                p += 5;
            } else if (*p && strchr("\"\\/bfnrt", *p)) {
                p++;
            } else {
                return NULL;
            }
            continue;
        }
        size_t adv;
        if (!utf8_ok((const unsigned char *)p, strlen(p), &adv))
            return NULL;
        p += adv;
    }
    return p + 1;
}

static const char *
js_number(const char *p)
{
    const char *s = p;
    if (*p == '-')
        p++;
    if (*p < '0' || *p > '9')
        return NULL;
    if (*p == '0')
        p++;
    else
        while (*p >= '0' && *p <= '9')
            p++;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return NULL;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return p > s ? p : NULL;
}

/* 1 iff line is exactly one flat JSON object of string/number values. */
static int
json_line_ok(const char *line, size_t *nkeys)
{
    const char *p = line;
    *nkeys = 0;
    if (*p++ != '{')
        return 0;
    if (*p == '}')
        return p[1] == '\0';
    for (;;) {
        p = js_string(p);
        if (!p || *p++ != ':')
            return 0;
        p = *p == '"' ? js_string(p) : js_number(p);
        if (!p)
            return 0;
        (*nkeys)++;
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p != '}')
            return 0;
        return p[1] == '\0';
    }
}

/* ---- names -------------------------------------------------------------- */

static void
test_names(void **state)
{
    (void)state;
    assert_string_equal(rs_end_reason_name(RS_END_OPEN), "open");
    assert_string_equal(rs_end_reason_name(RS_END_TCP_FIN), "tcp-fin");
    assert_string_equal(rs_end_reason_name(RS_END_RST_CLIENT), "tcp-rst-from-client");
    assert_string_equal(rs_end_reason_name(RS_END_RST_SERVER), "tcp-rst-from-server");
    assert_string_equal(rs_end_reason_name(RS_END_TCP_REUSE), "tcp-reuse");
    assert_string_equal(rs_end_reason_name(RS_END_AGED_OUT), "aged-out");
    assert_string_equal(rs_end_reason_name(RS_END_POLICY_DENY), "policy-deny");
    assert_string_equal(rs_end_reason_name(RS_END__COUNT), "unknown");

    assert_string_equal(rs_rst_by_name(RS_RST_BY_NONE), "");
    assert_string_equal(rs_rst_by_name(RS_RST_BY_CLIENT), "client");
    assert_string_equal(rs_rst_by_name(RS_RST_BY_SERVER), "server");
    assert_string_equal(rs_rst_by_name(RS_RST_BY_BOTH), "both");

    assert_string_equal(rs_confidence_name(RS_CONF_NONE), "");
    assert_string_equal(rs_confidence_name(RS_CONF_LOW), "low");
    assert_string_equal(rs_confidence_name(RS_CONF_MEDIUM), "medium");
    assert_string_equal(rs_confidence_name(RS_CONF_HIGH), "high");

    assert_string_equal(rs_proto_name(6), "tcp");
    assert_string_equal(rs_proto_name(17), "udp");
    assert_string_equal(rs_proto_name(1), "icmp");
    assert_string_equal(rs_proto_name(58), "icmp");
    assert_string_equal(rs_proto_name(132), "unknown_transport");

    assert_int_equal(rs_format_parse("table"), RS_FMT_TABLE);
    assert_int_equal(rs_format_parse("jsonl"), RS_FMT_JSONL);
    assert_int_equal(rs_format_parse("csv"), RS_FMT_CSV);
    assert_int_equal(rs_format_parse("zeek"), RS_FMT_ZEEK);
    assert_int_equal(rs_format_parse("json"), -1);
    assert_int_equal(rs_format_parse(""), -1);
}

static void
test_rst_flags(void **state)
{
    (void)state;
    char buf[128];
    assert_int_equal(rs_rst_flags_format(0, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
    size_t n = rs_rst_flags_format(0x3f, buf, sizeof buf);
    assert_string_equal(buf, "ttl_mismatch,early_arrival,hdr_anomaly,out_of_window,payload,"
                             "after_idle");
    assert_int_equal(n, strlen(buf));
    rs_rst_flags_format(RS_RSTF_OUT_OF_WINDOW | RS_RSTF_AFTER_IDLE, buf, sizeof buf);
    assert_string_equal(buf, "out_of_window,after_idle");
    /* Truncation keeps whole names only. */
    char small[20];
    n = rs_rst_flags_format(RS_RSTF_TTL_MISMATCH | RS_RSTF_EARLY_ARRIVAL, small, sizeof small);
    assert_string_equal(small, "ttl_mismatch");
    assert_int_equal(n, 12);
    assert_int_equal(rs_rst_flags_format(0x3f, small, 0), 0);
}

static void
test_field_table(void **state)
{
    (void)state;
    static const char *const want[] = {
        "uid",
        "ts",
        "end_ts",
        "duration",
        "proto",
        "client",
        "client_port",
        "server",
        "server_port",
        "end_reason",
        "app",
        "conn_state",
        "history",
        "client_pkts",
        "client_bytes",
        "server_pkts",
        "server_bytes",
        "client_ip_bytes",
        "server_ip_bytes",
        "missed_bytes",
        "rst_by",
        "rst_cause",
        "rst_confidence",
        "rst_flags",
        "inflight_client_bytes",
        "inflight_server_bytes",
        "explanation",
        "hint",
        "sni",
        "http_host",
        "action",
        "rule",
    };
    assert_int_equal(rs_n_fields, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < rs_n_fields; i++)
        assert_string_equal(rs_fields[i].name, want[i]);

    struct rs_record r;
    rec_v4(&r);
    char buf[RS_FIELD_MAX];
    uint64_t num = 0;
    for (size_t i = 0; i < rs_n_fields; i++) {
        size_t n = rs_fields[i].get(&r, buf, sizeof buf, &num);
        assert_int_equal(n, strlen(buf));
        if (strcmp(rs_fields[i].name, "server_bytes") == 0) {
            assert_int_equal(rs_fields[i].type, RS_FT_U64);
            assert_int_equal(num, 1200);
            assert_string_equal(buf, "1200");
        }
        if (strcmp(rs_fields[i].name, "duration") == 0)
            assert_string_equal(buf, "0.063810");
        if (strcmp(rs_fields[i].name, "client") == 0)
            assert_string_equal(buf, "192.0.2.10");
        if (strcmp(rs_fields[i].name, "rst_flags") == 0)
            assert_string_equal(buf, "ttl_mismatch,out_of_window");
        /* Read where it is (what jsonl does): the same text as get. */
        const struct rs_field *f = &rs_fields[i];
        const char *at = (const char *)&r + f->off;
        char direct[RS_FIELD_MAX];
        if (f->at == RS_FA_STR) {
            assert_true(f->size > 1 && f->size <= RS_FIELD_MAX);
            assert_true(f->off + f->size <= sizeof r);
            snprintf(direct, sizeof direct, "%.*s", (int)strnlen(at, f->size), at);
            assert_string_equal(direct, buf);
        } else if (f->at == RS_FA_U64 || f->at == RS_FA_U16) {
            assert_int_equal(f->size, f->at == RS_FA_U64 ? 8 : 2);
            uint64_t v = 0;
            if (f->at == RS_FA_U64) {
                memcpy(&v, at, 8);
            } else {
                uint16_t w;
                memcpy(&w, at, 2);
                v = w;
            }
            rs_output_u64(direct, v);
            assert_string_equal(direct, buf);
        } else {
            assert_int_equal(f->at, RS_FA_NONE);
        }
        /* A tiny buffer truncates but stays terminated. */
        char tiny[4];
        n = rs_fields[i].get(&r, tiny, sizeof tiny, NULL);
        assert_true(n < sizeof tiny);
        assert_int_equal(n, strlen(tiny));
    }
}

static void
test_number_text(void **state)
{
    (void)state;
    char buf[RS_NUM_MAX];
    assert_int_equal(rs_output_u64(buf, 0), 1);
    assert_string_equal(buf, "0");
    rs_output_u64(buf, UINT64_MAX);
    assert_string_equal(buf, "18446744073709551615");
    rs_output_secs(buf, T0);
    assert_string_equal(buf, "1700000000.123456");
    rs_output_secs(buf, 0);
    assert_string_equal(buf, "0.000000");
    rs_output_secs(buf, 1499);
    assert_string_equal(buf, "0.000001");
    rs_output_secs(buf, 1500);
    assert_string_equal(buf, "0.000002");
    rs_output_secs(buf, INT64_C(999999999999)); /* rounds up across the second */
    assert_string_equal(buf, "1000.000000");
    rs_output_secs(buf, -INT64_C(1500000000));
    assert_string_equal(buf, "-1.500000");
    size_t n = rs_output_secs(buf, INT64_MIN);
    assert_int_equal(n, strlen(buf));
    assert_string_equal(buf, "-9223372036.854776");
    rs_output_secs(buf, INT64_MAX);
    assert_string_equal(buf, "9223372036.854776");
    /* Durations of times far apart on both sides of 1970 (a hostile
     * pcapng's): clamped, not overflowed (UBSan holds the arithmetic). */
    assert_int_equal(rs_time_span(3, 5), 2);
    assert_int_equal(rs_time_span(5, 3), 0);
    assert_int_equal(rs_time_span(-1500, INT64_MAX), INT64_MAX);
    assert_int_equal(rs_time_span(INT64_MIN, INT64_MAX), INT64_MAX);
    assert_int_equal(rs_time_span(INT64_MIN, 0), INT64_MAX);
    assert_int_equal(rs_time_span(INT64_MIN, -1), INT64_MAX);
    assert_int_equal(rs_time_span(INT64_MIN + 1, 0), INT64_MAX);
    assert_int_equal(rs_time_span(-5, 5), 10);
    /* Times one after another, as records come: the same whole seconds
     * (positive and negative), a second more, fewer digits, then back;
     * each against printf. The seconds' digits are remembered between
     * calls, so a stale memory would show here. */
    static const rs_time_ns seq[] = {
        INT64_C(1767225600000707000),
        INT64_C(1767225600999999000),
        -INT64_C(1767225600000001000),
        INT64_C(1767225601000000000),
        INT64_C(5000),
        INT64_C(1767225601123456000),
        INT64_C(17672256010000000),
        INT64_C(1767225601000000000),
        -INT64_C(5000),
        INT64_C(1767225600999999499),
        INT64_C(1767225600999999500),
        INT64_C(9999999499), /* durations: one digit, and the edge of two */
        INT64_C(9999999500),
        INT64_C(1767225600999999500),
        INT64_C(9500000000),
        -INT64_C(9999999500),
        /* Three whole seconds taking turns: the two remembered, and the
         * older of them replaced by a third. */
        INT64_C(1767225700000001000),
        INT64_C(1767225800000002000),
        INT64_C(1767225700000003000),
        INT64_C(1767225900000004000),
        INT64_C(1767225800000005000),
        INT64_C(1767225900000006000),
        INT64_C(1767225700000007000),
        INT64_C(1767225800000008000),
        INT64_C(1767225800000009000),
    };
    for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++) {
        rs_time_ns t = seq[i];
        uint64_t mag = t < 0 ? (uint64_t)(-(t + 1)) + 1 : (uint64_t)t;
        uint64_t us = (mag + 500) / 1000;
        char want[RS_NUM_MAX];
        int wn = snprintf(want, sizeof want, "%s%llu.%06llu", t < 0 ? "-" : "",
                          (unsigned long long)(us / 1000000), (unsigned long long)(us % 1000000));
        memset(buf, 'x', sizeof buf);
        assert_int_equal(rs_output_secs(buf, t), (size_t)wn);
        assert_string_equal(buf, want);
    }
    uint64_t r = UINT64_C(0x9e3779b97f4a7c15);
    for (int i = 0; i < 1000000; i++) { /* every magnitude, against printf */
        r ^= r << 13;
        r ^= r >> 7;
        r ^= r << 17;
        uint64_t v = r >> (r % 64);
        char want[RS_NUM_MAX];
        int wn = snprintf(want, sizeof want, "%llu", (unsigned long long)v);
        assert_int_equal(rs_output_u64(buf, v), (size_t)wn);
        assert_string_equal(buf, want);
    }
    for (uint64_t v = 1, k = 0; k < 20; k++, v *= 10) { /* every digit count */
        char want[RS_NUM_MAX];
        snprintf(want, sizeof want, "%llu", (unsigned long long)(v - 1));
        assert_int_equal(rs_output_u64(buf, v - 1), strlen(want));
        assert_string_equal(buf, want);
        snprintf(want, sizeof want, "%llu", (unsigned long long)v);
        rs_output_u64(buf, v);
        assert_string_equal(buf, want);
    }

    /* The printf-free IPv4 path of rs_addr_format agrees with inet_ntop:
     * every octet value in every position, and IPv6 as before. */
    for (unsigned pos = 0; pos < 4; pos++) {
        for (unsigned v = 0; v < 256; v++) {
            uint8_t q[4] = {10, 0, 200, 9};
            q[pos] = (uint8_t)v;
            struct rs_addr a;
            rs_addr_from_v4(&a, q);
            char got[64], ref[INET_ADDRSTRLEN];
            assert_non_null(inet_ntop(AF_INET, q, ref, sizeof ref));
            assert_int_equal(rs_addr_format(&a, got, sizeof got), strlen(ref));
            assert_string_equal(got, ref);
            assert_int_equal(rs_addr_format(&a, got, 16), strlen(ref)); /* exactly enough */
            assert_string_equal(got, ref);
        }
    }
    /* IPv6 by hand agrees with inet_ntop: random addresses with runs of
     * zero groups in every place and length, small groups (leading zeros),
     * and the all-zero, loopback and IPv4-compatible corners. */
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (int it = 0; it < 200000; it++) {
        uint8_t b[16];
        for (int g = 0; g < 8; g++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            unsigned v = (unsigned)(x >> 20) & 0xffffu;
            switch ((x >> 8) % 4) {
            case 0:
            case 1:
                v = 0;
                break;
            case 2:
                v >>= (x >> 40) % 16; /* 1 to 4 hex digits */
                break;
            }
            b[2 * g] = (uint8_t)(v >> 8);
            b[2 * g + 1] = (uint8_t)v;
        }
        if (it < 16) { /* the corners: zeros up to group it/2, then 1 */
            memset(b, 0, 16);
            b[15] = it & 1 ? 1 : 0;
            if (it >= 2)
                b[12 + (it % 4)] = (uint8_t)(it * 17);
        }
        struct rs_addr a;
        memcpy(a.b, b, 16);
        if (rs_addr_is_v4(&a))
            continue;
        char got[64], ref[INET6_ADDRSTRLEN];
        assert_non_null(inet_ntop(AF_INET6, b, ref, sizeof ref));
        assert_int_equal(rs_addr_format(&a, got, sizeof got), strlen(ref));
        assert_string_equal(got, ref);
    }
    /* IPv4 is held v4-mapped (common.h), so that form prints dotted. */
    static const char *const addrs[][2] = {{"::1", "::1"},
                                           {"2001:db8::ff00:42:8329", "2001:db8::ff00:42:8329"},
                                           {"::ffff:1.2.3.4", "1.2.3.4"}};
    for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
        struct rs_addr a;
        char got[64];
        assert_int_equal(rs_addr_parse(&a, addrs[i][0]), 0);
        assert_int_equal(rs_addr_format(&a, got, sizeof got), strlen(addrs[i][1]));
        assert_string_equal(got, addrs[i][1]);
    }
    char small[8];
    struct rs_addr a4;
    assert_int_equal(rs_addr_parse(&a4, "255.255.255.255"), 0);
    assert_int_equal(rs_addr_format(&a4, small, sizeof small), 0);
    assert_string_equal(small, "");
}

/* ---- JSON escaping ------------------------------------------------------ */

static void
json_esc(const char *s, size_t n, char *out, size_t len)
{
    size_t r = rs_json_escape(s, n, out, len);
    assert_int_equal(r, strlen(out));
}

static void
test_json_escape(void **state)
{
    (void)state;
    char out[256];

    json_esc("plain text", 10, out, sizeof out);
    assert_string_equal(out, "plain text");
    json_esc("a\"b\\c", 5, out, sizeof out);
    assert_string_equal(out, "a\\\"b\\\\c");
    json_esc("\n\r\t\x01\x1f\x7f", 6, out, sizeof out);
    assert_string_equal(out, "\\u000a\\u000d\\u0009\\u0001\\u001f\\u007f");
    json_esc("a\0b", 3, out, sizeof out); /* embedded NUL counts as a byte */
    assert_string_equal(out, "a\\u0000b");
    /* Terminal escape from a hostile SNI. */
    json_esc("\x1b]0;pwned\x07", 10, out, sizeof out);
    assert_string_equal(out, "\\u001b]0;pwned\\u0007");

    /* Valid multibyte UTF-8 is kept: é, €, 😀 */
    const char *mb = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";
    json_esc(mb, strlen(mb), out, sizeof out);
    assert_string_equal(out, mb);

    /* Invalid UTF-8: lone continuation, bad lead, truncated sequence,
     * overlong, surrogate, above U+10FFFF. */
    json_esc("\x80", 1, out, sizeof out);
    assert_string_equal(out, "\\u0080");
    json_esc("\xff\xfe", 2, out, sizeof out);
    assert_string_equal(out, "\\u00ff\\u00fe");
    json_esc("\xe2\x82", 2, out, sizeof out);
    assert_string_equal(out, "\\u00e2\\u0082");
    json_esc("\xc0\xaf", 2, out, sizeof out);
    assert_string_equal(out, "\\u00c0\\u00af");
    json_esc("\xe0\x80\xaf", 3, out, sizeof out);
    assert_string_equal(out, "\\u00e0\\u0080\\u00af");
    json_esc("\xed\xa0\x80", 3, out, sizeof out);
    assert_string_equal(out, "\\u00ed\\u00a0\\u0080");
    json_esc("\xf4\x90\x80\x80", 4, out, sizeof out);
    assert_string_equal(out, "\\u00f4\\u0090\\u0080\\u0080");
    json_esc("\xc3\xa9\xc3", 3, out, sizeof out); /* valid then truncated */
    assert_string_equal(out, "\xc3\xa9\\u00c3");

    /* Zero-length output buffer writes nothing. */
    assert_int_equal(rs_json_escape("abc", 3, out, 0), 0);

    /* Every single byte: printable ASCII but '"' and '\\' as is, the two
     * specials backslash-escaped, everything else \u00XX. */
    for (int c = 0; c < 256; c++) {
        char in = (char)c, want[8];
        if (c == '"' || c == '\\')
            snprintf(want, sizeof want, "\\%c", c);
        else if (c >= 0x20 && c < 0x7f)
            snprintf(want, sizeof want, "%c", c);
        else
            snprintf(want, sizeof want, "\\u00%02x", (unsigned)c);
        json_esc(&in, 1, out, sizeof out);
        assert_string_equal(out, want);
    }
}

/* The 16-byte (SSE2) and word-at-a-time (plain8) scans against the byte
 * rule: every byte value at every position of two 16-byte blocks and the
 * words after them, next to every kind of neighbour (the bit tricks'
 * borrows run from one byte into the next), and random strings rich in
 * the bytes that matter. */
static void
test_json_escape_words(void **state)
{
    (void)state;
    static const unsigned char nb[] = {'a',  0x00, 0x1f, 0x20, '"', '\\',
                                       0x7e, 0x7f, 0x80, 0xc3, 0xff};
    unsigned char in[40];
    char got[40 * 6 + 1], want[40 * 6 + 1];
    for (unsigned c = 0; c < 256; c++) {
        for (size_t pos = 0; pos < 38; pos++) {
            for (size_t k = 0; k < sizeof nb; k++) {
                memset(in, 'x', sizeof in);
                in[pos] = (unsigned char)c;
                in[pos + 1] = nb[k];
                size_t gl = rs_json_escape((const char *)in, 39, got, sizeof got);
                size_t wl = ref_escape(in, 39, want);
                if (gl != wl || memcmp(got, want, wl) != 0)
                    fail_msg("byte 0x%02x at %zu before 0x%02x: got \"%s\" want \"%s\"", c, pos,
                             nb[k], got, want);
            }
        }
    }
    static const unsigned char pool[] = {'a',  'Z',  ' ',  '~',  0x00, 0x01, 0x1f, '"',  '\\',
                                         0x7f, 0x80, 0xbf, 0xc2, 0xc3, 0xa9, 0xe2, 0x82, 0xac,
                                         0xf0, 0x9f, 0x98, 0x80, 0xed, 0xa0, 0xff};
    uint32_t r = 12345;
    for (int t = 0; t < 20000; t++) {
        size_t n = 0;
        for (; n < 39; n++) {
            r = r * 1103515245u + 12345u;
            unsigned v = (r >> 16) % 64;
            in[n] = v < sizeof pool ? pool[v] : (unsigned char)('a' + v % 26);
        }
        size_t len = (r >> 8) % 40;
        size_t gl = rs_json_escape((const char *)in, len, got, sizeof got);
        size_t wl = ref_escape(in, len, want);
        assert_int_equal(gl, wl);
        assert_memory_equal(got, want, wl + 1);
    }
}

/* The short-string copy the writers try before rs_json_escape: for every
 * length up to three words, every byte value at every position, it copies
 * exactly the string when every byte is plain and declines otherwise (its
 * overlapping last word and 4-byte halves included). */
static void
test_json_copy_plain(void **state)
{
    (void)state;
    char in[32], out[40];
    for (size_t n = 0; n <= 24; n++) {
        for (size_t pos = 0; pos <= n; pos++) {
            for (unsigned c = 0; c < 256; c++) {
                for (size_t i = 0; i < n; i++)
                    in[i] = (char)('a' + i);
                if (pos < n)
                    in[pos] = (char)c;
                memset(out, '#', sizeof out);
                size_t got = rs_json_copy_plain(in, n, out);
                int plain = pos == n || rs_json_plain[c];
                if (!plain) {
                    if (got != SIZE_MAX)
                        fail_msg("length %zu, byte 0x%02x at %zu: copied", n, c, pos);
                    continue;
                }
                assert_int_equal(got, n);
                assert_memory_equal(out, in, n);
                assert_int_equal(out[n], '#'); /* nothing past the string */
            }
        }
    }
}

static void
test_json_escape_truncation(void **state)
{
    (void)state;
    const char in[] = "x\"\\\n\xc3\xa9\xff\xe2\x82\xac\x01z";
    size_t n = sizeof in - 1;
    char full[128], part[128], quoted[140];
    size_t fl = rs_json_escape(in, n, full, sizeof full);

    for (size_t len = 1; len <= fl + 1; len++) {
        memset(part, 'Q', sizeof part);
        size_t pl = rs_json_escape(in, n, part, len);
        assert_true(pl <= len - 1);
        assert_int_equal(part[pl], '\0');
        /* Always a prefix of the full escape, cut only between units. */
        assert_memory_equal(part, full, pl);
        snprintf(quoted, sizeof quoted, "{\"k\":\"%s\"}", part);
        size_t keys;
        assert_true(json_line_ok(quoted, &keys));
        if (len == fl + 1)
            assert_int_equal(pl, fl);
    }
}

/* ---- jsonl -------------------------------------------------------------- */

static void
test_jsonl(void **state)
{
    (void)state;
    struct rs_record recs[3];
    rec_v4(&recs[0]);
    rec_v6(&recs[1]);
    rec_v4(&recs[2]);
    /* Hostile packet-derived strings. */
    SET(recs[2].sni, "evil\n\"}{\"x\":1\r\x1b[2J\xff\xfe");
    SET(recs[2].http_host, "h\xc3\xa9llo\\");
    SET(recs[2].explanation, "line1\nline2\t\x7f");

    char *out = run_writer(RS_FMT_JSONL, NULL, recs, 3);
    assert_int_equal(count_lines(out), 3);
    for (size_t i = 0; i < 3; i++) {
        char *l = get_line(out, i);
        size_t keys;
        assert_true(json_line_ok(l, &keys));
        assert_int_equal(keys, rs_n_fields);
        free(l);
    }
    char *l0 = get_line(out, 0);
    assert_non_null(strstr(l0, "{\"uid\":\"CHhAvVGS1DHFjwGM9\",\"ts\":1700000000.123456,"
                               "\"end_ts\":1700000000.187266,\"duration\":0.063810,"
                               "\"proto\":\"tcp\",\"client\":\"192.0.2.10\",\"client_port\":53246,"
                               "\"server\":\"198.51.100.7\",\"server_port\":80,"
                               "\"end_reason\":\"tcp-rst-from-server\""));
    assert_non_null(strstr(l0, "\"rst_by\":\"server\",\"rst_cause\":\"abortive_close\","
                               "\"rst_confidence\":\"high\","
                               "\"rst_flags\":\"ttl_mismatch,out_of_window\","
                               "\"inflight_client_bytes\":0,\"inflight_server_bytes\":1460"));
    assert_non_null(
        strstr(l0, "\"sni\":\"\",\"http_host\":\"example.com\",\"action\":\"\",\"rule\":\"\"}"));
    free(l0);

    char *l1 = get_line(out, 1);
    assert_non_null(strstr(l1, "\"client\":\"2001:db8::1\",\"client_port\":40000,"
                               "\"server\":\"2001:db8::53\",\"server_port\":53"));
    assert_non_null(strstr(l1, "\"end_reason\":\"aged-out\""));
    assert_non_null(strstr(l1, "\"rst_by\":\"\",\"rst_cause\":\"\",\"rst_confidence\":\"\","
                               "\"rst_flags\":\"\""));
    assert_non_null(strstr(l1, "\"duration\":2.000000"));
    free(l1);

    char *l2 = get_line(out, 2);
    assert_non_null(
        strstr(l2, "\"sni\":\"evil\\u000a\\\"}{\\\"x\\\":1\\u000d\\u001b[2J\\u00ff\\u00fe\""));
    assert_non_null(strstr(l2, "\"http_host\":\"h\xc3\xa9llo\\\\\""));
    assert_non_null(strstr(l2, "\"explanation\":\"line1\\u000aline2\\u0009\\u007f\""));
    free(l2);
    free(out);
}

/*
 * The jsonl writer is straight-line code made from the field list; this
 * holds it to the field table (rs_fields: its names, order and getters, as
 * csv and the report print them), a line built here field by field from
 * the table and escaped with the public rs_json_escape. A field the writer
 * left out, moved, or printed differently fails it.
 */
static void
test_jsonl_matches_field_table(void **state)
{
    (void)state;
    struct rs_record recs[4];
    rec_v4(&recs[0]);
    rec_v6(&recs[1]);
    rec_v4(&recs[2]);
    SET(recs[2].sni, "evil\n\"}{\"x\":1\r\x1b[2J\xff\xfe");
    SET(recs[2].history, "ShAadDFfR\\");
    SET(recs[2].rule, "r\xc3\xa9gle 1");
    SET(recs[2].action, "reset-both");
    recs[2].rst_flags = ~0u;
    recs[2].ts = -1500; /* before the epoch */
    recs[2].end_ts = INT64_MAX;
    recs[2].client_bytes = UINT64_MAX;
    recs[2].client_port = 65535;
    rec_v6(&recs[3]);
    memset(recs[3].explanation, 'x', sizeof recs[3].explanation); /* not terminated */
    memset(recs[3].uid, '"', sizeof recs[3].uid);
    for (size_t k = 0; k < 4; k++) {
        char want[16384];
        size_t o = 0;
        for (size_t i = 0; i < rs_n_fields; i++) {
            const struct rs_field *f = &rs_fields[i];
            char val[RS_FIELD_MAX];
            uint64_t num;
            size_t n = f->get(&recs[k], val, sizeof val, &num);
            int quoted = f->type == RS_FT_STR || f->type == RS_FT_ADDR;
            o += (size_t)snprintf(want + o, sizeof want - o, "%s\"%s\":%s", i ? "," : "{", f->name,
                                  quoted ? "\"" : "");
            if (quoted) {
                o += rs_json_escape(val, n, want + o, sizeof want - o);
                want[o++] = '"';
            } else {
                memcpy(want + o, val, n);
                o += n;
            }
        }
        want[o++] = '}';
        want[o++] = '\n';
        want[o] = '\0';
        char *out = run_writer(RS_FMT_JSONL, NULL, &recs[k], 1);
        assert_string_equal(out, want);
        free(out);
    }
}

static void
test_jsonl_full_strings(void **state)
{
    (void)state;
    /* Every string field at full length, every byte escaped: the worst case
     * for the line buffer. */
    struct rs_record r;
    rec_v6(&r);
    memset(r.explanation, 0x01, sizeof r.explanation - 1);
    memset(r.hint, '"', sizeof r.hint - 1);
    memset(r.sni, 0xff, sizeof r.sni - 1);
    memset(r.http_host, 0x80, sizeof r.http_host); /* not even terminated */
    memset(r.history, '\\', sizeof r.history);     /* not terminated either */
    char *out = run_writer(RS_FMT_JSONL, NULL, &r, 1);
    assert_int_equal(count_lines(out), 1);
    char *l = get_line(out, 0);
    size_t keys;
    assert_true(json_line_ok(l, &keys));
    assert_int_equal(keys, rs_n_fields);
    /* The unterminated arrays are read only to their end. */
    char want[256];
    size_t o = 0;
    o += (size_t)snprintf(want, sizeof want, "\"history\":\"");
    for (int i = 0; i < 64; i++) {
        want[o++] = '\\';
        want[o++] = '\\';
    }
    snprintf(want + o, sizeof want - o, "\",\"client_pkts\":1,");
    assert_non_null(strstr(l, want));
    const char *h = strstr(l, "\"http_host\":\"");
    assert_non_null(h);
    h += strlen("\"http_host\":\"");
    for (int i = 0; i < 256; i++, h += 6)
        assert_memory_equal(h, "\\u0080", 6);
    assert_string_equal(h, "\",\"action\":\"\",\"rule\":\"\"}");
    free(l);
    free(out);
}

/* ---- csv ---------------------------------------------------------------- */

/* A strict RFC 4180 reader for the test: splits text into records of fields. */
struct csv_rec {
    char *f[64];
    size_t n;
};

static size_t
csv_parse(const char *s, struct csv_rec *recs, size_t max)
{
    size_t nr = 0;
    while (*s && nr < max) {
        struct csv_rec *r = &recs[nr++];
        r->n = 0;
        for (;;) {
            char *v = malloc(strlen(s) + 1);
            size_t o = 0;
            assert_non_null(v);
            if (*s == '"') {
                s++;
                for (;;) {
                    assert_true(*s != '\0'); /* unterminated quote */
                    if (*s == '"' && s[1] == '"') {
                        v[o++] = '"';
                        s += 2;
                    } else if (*s == '"') {
                        s++;
                        break;
                    } else {
                        v[o++] = *s++;
                    }
                }
                assert_true(*s == ',' || *s == '\n');
            } else {
                while (*s && *s != ',' && *s != '\n') {
                    assert_true(*s != '"' && *s != '\r');
                    v[o++] = *s++;
                }
            }
            v[o] = '\0';
            assert_true(r->n < 64);
            r->f[r->n++] = v;
            if (*s == ',') {
                s++;
                continue;
            }
            if (*s == '\n')
                s++;
            break;
        }
    }
    return nr;
}

static void
csv_free(struct csv_rec *recs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < recs[i].n; j++)
            free(recs[i].f[j]);
}

static void
test_csv(void **state)
{
    (void)state;
    struct rs_record recs[3];
    rec_v4(&recs[0]);
    rec_v6(&recs[1]);
    rec_v4(&recs[2]);
    SET(recs[2].explanation, "a,b \"quoted\"\nnext line\r");
    SET(recs[2].hint, "\"");
    SET(recs[2].sni, "plain");
    SET(recs[0].action, "reset-server");
    SET(recs[0].rule, "web, \"out\"");

    char *out = run_writer(RS_FMT_CSV, NULL, recs, 3);
    char *hdr = get_line(out, 0);
    assert_string_equal(hdr, "uid,ts,end_ts,duration,proto,client,client_port,server,server_port,"
                             "end_reason,app,conn_state,history,client_pkts,client_bytes,"
                             "server_pkts,server_bytes,client_ip_bytes,server_ip_bytes,"
                             "missed_bytes,rst_by,rst_cause,rst_confidence,rst_flags,"
                             "inflight_client_bytes,inflight_server_bytes,explanation,hint,"
                             "sni,http_host,action,rule");
    free(hdr);
    assert_null(strstr(out, "\r\n")); /* LF line endings */

    char *l1 = get_line(out, 1);
    assert_string_equal(l1, "CHhAvVGS1DHFjwGM9,1700000000.123456,1700000000.187266,0.063810,"
                            "tcp,192.0.2.10,53246,198.51.100.7,80,tcp-rst-from-server,http,"
                            "RSTR,ShADadr,4,432,3,1200,604,1320,0,server,abortive_close,high,"
                            "\"ttl_mismatch,out_of_window\",0,1460,"
                            "Server reset after the response (packet 7).,"
                            "Check the server's SO_LINGER setting.,,example.com,reset-server,"
                            "\"web, \"\"out\"\"\"");
    free(l1);
    char *l2 = get_line(out, 2);
    assert_non_null(strstr(l2, ",2001:db8::1,40000,2001:db8::53,53,aged-out,dns,"));
    free(l2);
    assert_non_null(strstr(out, ",\"a,b \"\"quoted\"\"\nnext line\r\",\"\"\"\",plain,"));

    struct csv_rec rows[8];
    memset(rows, 0, sizeof rows);
    size_t nr = csv_parse(out, rows, 8);
    assert_int_equal(nr, 4);
    for (size_t i = 0; i < nr; i++)
        assert_int_equal(rows[i].n, rs_n_fields);
    assert_string_equal(rows[3].f[26], "a,b \"quoted\"\nnext line\r");
    assert_string_equal(rows[3].f[27], "\"");
    assert_string_equal(rows[2].f[21], ""); /* empty rst_cause */
    csv_free(rows, nr);
    free(out);
}

/*
 * The csv writer is straight-line code made from the field list, as the
 * jsonl one: this holds it to the field table, a row built here field by
 * field from the getters and quoted with the public rs_csv_field. Hostile
 * strings (every special byte, unterminated arrays, every string full of
 * quotes: the longest row) included. A field left out, moved, quoted
 * differently or cut fails it.
 */
static void
test_csv_matches_field_table(void **state)
{
    (void)state;
    struct rs_record recs[5];
    rec_v4(&recs[0]);
    rec_v6(&recs[1]);
    rec_v4(&recs[2]);
    SET(recs[2].sni, "evil,\n\"x\"\r\x1b\xff");
    SET(recs[2].history, "ShAadDFfR\\");
    SET(recs[2].rule, "r\xc3\xa9gle, 1");
    recs[2].rst_flags = ~0u;
    recs[2].ts = -1500; /* before the epoch */
    recs[2].end_ts = INT64_MAX;
    recs[2].client_bytes = UINT64_MAX;
    rec_v6(&recs[3]);
    memset(recs[3].explanation, 'x', sizeof recs[3].explanation); /* not terminated */
    memset(recs[3].uid, ',', sizeof recs[3].uid);
    rec_v6(&recs[4]);
    memset(recs[4].explanation, '"', sizeof recs[4].explanation - 1);
    memset(recs[4].hint, '"', sizeof recs[4].hint - 1);
    memset(recs[4].sni, '"', sizeof recs[4].sni);              /* not terminated */
    memset(recs[4].http_host, '\n', sizeof recs[4].http_host); /* nor this */
    memset(recs[4].history, ',', sizeof recs[4].history);
    for (size_t k = 0; k < 5; k++) {
        char *want = NULL;
        size_t wlen = 0;
        FILE *m = open_memstream(&want, &wlen);
        assert_non_null(m);
        for (size_t i = 0; i < rs_n_fields; i++) {
            const struct rs_field *f = &rs_fields[i];
            char val[RS_FIELD_MAX];
            uint64_t num;
            f->get(&recs[k], val, sizeof val, &num);
            if (i)
                fputc(',', m);
            if (f->type == RS_FT_STR)
                rs_csv_field(m, val);
            else
                fputs(val, m);
        }
        fputc('\n', m);
        fclose(m);
        char *out = run_writer(RS_FMT_CSV, NULL, &recs[k], 1);
        const char *row = strchr(out, '\n'); /* after the header */
        assert_non_null(row);
        assert_string_equal(row + 1, want);
        free(out);
        free(want);
    }
}

static void
test_csv_field(void **state)
{
    (void)state;
    struct cap c;
    cap_open(&c);
    rs_csv_field(c.f, "plain");
    fputc('|', c.f);
    rs_csv_field(c.f, "");
    fputc('|', c.f);
    rs_csv_field(c.f, "a,b");
    fputc('|', c.f);
    rs_csv_field(c.f, "say \"hi\"");
    fputc('|', c.f);
    rs_csv_field(c.f, "x\ny");
    fputc('|', c.f);
    rs_csv_field(c.f, "cr\r");
    cap_close(&c);
    assert_string_equal(c.buf, "plain||\"a,b\"|\"say \"\"hi\"\"\"|\"x\ny\"|\"cr\r\"");
    cap_free(&c);
}

/* ---- zeek --------------------------------------------------------------- */

static char **
split_tabs(char *line, size_t *n)
{
    static char *cols[64];
    *n = 0;
    for (char *p = line;;) {
        cols[(*n)++] = p;
        char *t = strchr(p, '\t');
        if (!t)
            break;
        *t = '\0';
        p = t + 1;
    }
    return cols;
}

static void
test_zeek(void **state)
{
    (void)state;
    struct rs_record recs[5];
    rec_v4(&recs[0]);
    rec_v6(&recs[1]);
    /* Duration exactly 0: duration, orig_bytes, resp_bytes unset. App-ID
     * state is not a service. Empty history is unset. */
    rec_v4(&recs[2]);
    recs[2].end_ts = recs[2].ts;
    SET(recs[2].app, "incomplete");
    SET(recs[2].history, "");
    SET(recs[2].conn_state, "S0");
    /* One nanosecond is not zero. Strings that need Zeek escaping. */
    rec_v4(&recs[3]);
    recs[3].end_ts = recs[3].ts + 1;
    SET(recs[3].app, "ht\ttp\\");
    SET(recs[3].history, "-");
    SET(recs[3].tunnel_parents, "CHhAvVGS1DHFjwGM9,Cx\x01y");
    /* ICMPv6, empty app, "(empty)" literal, invalid UTF-8 kept off the line. */
    rec_v6(&recs[4]);
    recs[4].proto = 58;
    recs[4].client_port = 135;
    recs[4].server_port = 136;
    SET(recs[4].app, "");
    SET(recs[4].conn_state, "OTH");
    SET(recs[4].history, "(empty)");
    SET(recs[4].uid, "C\xc3\xa9\xff\n");

    struct rs_writer_opts opts = {0};
    opts.open_ts = T0;
    char *out = run_writer(RS_FMT_ZEEK, &opts, recs, 5);

    const char *want_hdr =
        "#separator \\x09\n"
        "#set_separator\t,\n"
        "#empty_field\t(empty)\n"
        "#unset_field\t-\n"
        "#path\tconn\n"
        "#open\t2023-11-14-22-13-20\n"
        "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration"
        "\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory"
        "\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\tip_proto\n"
        "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount"
        "\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\tcount\n";
    assert_memory_equal(out, want_hdr, strlen(want_hdr));
    assert_int_equal(count_lines(out), 8 + 5 + 1);

    const char *rows = out + strlen(want_hdr);
    char *l;
    size_t n;
    char **c;

    l = get_line(rows, 0);
    assert_string_equal(l, "1700000000.123456\tCHhAvVGS1DHFjwGM9\t192.0.2.10\t53246\t"
                           "198.51.100.7\t80\ttcp\thttp\t0.063810\t432\t1200\tRSTR\t-\t-\t0\t"
                           "ShADadr\t4\t604\t3\t1320\t-\t6");
    free(l);

    l = get_line(rows, 1);
    c = split_tabs(l, &n);
    assert_int_equal(n, 22);
    assert_string_equal(c[2], "2001:db8::1");
    assert_string_equal(c[4], "2001:db8::53");
    assert_string_equal(c[6], "udp");
    assert_string_equal(c[7], "dns");
    assert_string_equal(c[8], "2.000000");
    assert_string_equal(c[21], "17");
    free(l);

    l = get_line(rows, 2);
    c = split_tabs(l, &n);
    assert_int_equal(n, 22);
    assert_string_equal(c[7], "-");  /* service: App-ID state */
    assert_string_equal(c[8], "-");  /* duration */
    assert_string_equal(c[9], "-");  /* orig_bytes */
    assert_string_equal(c[10], "-"); /* resp_bytes */
    assert_string_equal(c[11], "S0");
    assert_string_equal(c[15], "-"); /* history */
    assert_string_equal(c[16], "4"); /* packet counts still set */
    free(l);

    l = get_line(rows, 3);
    c = split_tabs(l, &n);
    assert_int_equal(n, 22);
    assert_string_equal(c[7], "ht\\x09tp\\x5c");
    assert_string_equal(c[8], "0.000000");
    assert_string_equal(c[9], "432");
    assert_string_equal(c[15], "\\x2d");
    assert_string_equal(c[20], "CHhAvVGS1DHFjwGM9,Cx\\x01y");
    free(l);

    l = get_line(rows, 4);
    c = split_tabs(l, &n);
    assert_int_equal(n, 22);
    assert_string_equal(c[1], "C\xc3\xa9\\xff\\x0a");
    assert_string_equal(c[3], "135");
    assert_string_equal(c[5], "136");
    assert_string_equal(c[6], "icmp");
    assert_string_equal(c[7], "-");
    assert_string_equal(c[15], "\\x28empty)");
    assert_string_equal(c[21], "58");
    free(l);

    l = get_line(rows, 5);
    assert_string_equal(l, "#close\t2023-11-14-22-14-20");
    free(l);
    free(out);
}

static void
test_zeek_service_mapping(void **state)
{
    (void)state;
    static const struct {
        const char *app;
        const char *service;
    } cases[] = {
        {"http", "http"},
        {"ssl", "ssl"},
        {"dns", "dns"},
        {"incomplete", "-"},
        {"insufficient-data", "-"},
        {"unknown-tcp", "-"},
        {"unknown-udp", "-"},
        {"non-syn-tcp", "-"},
        {"not-applicable", "-"},
        {"", "-"},
        {"incompletex", "incompletex"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct rs_record r;
        rec_v4(&r);
        SET(r.app, cases[i].app);
        char *out = run_writer(RS_FMT_ZEEK, NULL, &r, 1);
        char *l = get_line(out, 8);
        size_t n;
        char **c = split_tabs(l, &n);
        assert_int_equal(n, 22);
        assert_string_equal(c[7], cases[i].service);
        free(l);
        free(out);
    }
}

/* ---- table -------------------------------------------------------------- */

/* Byte offset where the column titled `title` starts in the header. */
static size_t
col_start(const char *hdr, const char *title)
{
    const char *p = strstr(hdr, title);
    assert_non_null(p);
    return (size_t)(p - hdr);
}

static void
test_table(void **state)
{
    (void)state;
    struct rs_record recs[3];
    rec_v4(&recs[0]);
    rec_v6(&recs[1]);
    rec_v4(&recs[2]);
    recs[2].end_reason = RS_END_TCP_FIN;
    SET(recs[2].rst_cause, "");
    recs[2].rst_by = RS_RST_BY_NONE;
    recs[2].client_pkts = 1234567;

    char *out = run_writer(RS_FMT_TABLE, NULL, recs, 3);
    assert_int_equal(count_lines(out), 4);
    char *hdr = get_line(out, 0);
    static const char *const titles[] = {"proto", "client",  "server", "end_reason", "app",
                                         "state", "history", "rst_by", "rst_cause"};
    for (size_t i = 1; i < 4; i++) {
        char *l = get_line(out, i);
        for (size_t t = 0; t < sizeof titles / sizeof titles[0]; t++) {
            size_t at = col_start(hdr, titles[t]);
            assert_true(strlen(l) > at);
            assert_memory_equal(l + at - 2, "  ", 2);
            assert_true(l[at] != ' ');
        }
        /* Numbers are right-aligned: the bytes column ends where its title does. */
        size_t bend = col_start(hdr, "bytes c/s") + strlen("bytes c/s");
        assert_true(l[bend - 1] != ' ');
        assert_true(l[bend] == ' ');
        assert_true(l[strlen(l) - 1] != ' '); /* no trailing blanks */
        free(l);
    }
    char *l1 = get_line(out, 1);
    assert_memory_equal(l1, "2023-11-14 22:13:20.123  tcp", 28);
    assert_non_null(strstr(l1, "192.0.2.10:53246"));
    assert_non_null(strstr(l1, "198.51.100.7:80"));
    assert_non_null(strstr(l1, "tcp-rst-from-server"));
    assert_non_null(strstr(l1, "4/3"));
    assert_non_null(strstr(l1, "432/1200"));
    assert_non_null(strstr(l1, "abortive_close"));
    free(l1);
    char *l2 = get_line(out, 2);
    assert_non_null(strstr(l2, "[2001:db8::1]:40000"));
    assert_non_null(strstr(l2, "[2001:db8::53]:53"));
    assert_non_null(strstr(l2, "aged-out"));
    free(l2);
    char *l3 = get_line(out, 3);
    assert_non_null(strstr(l3, "1234567/3"));
    free(l3);
    assert_null(strchr(out, '\033')); /* no colour unless asked */
    free(hdr);
    free(out);
}

static void
test_table_explain_color(void **state)
{
    (void)state;
    struct rs_record recs[3];
    rec_v4(&recs[0]);
    SET(recs[0].explanation, "RST seen\x1b]0;owned\x07 \x1b[2J\xc3\xa9\\");
    SET(recs[0].hint, "");
    SET(recs[0].history, "Sh\x1b[31m");
    rec_v6(&recs[1]);
    SET(recs[1].explanation, "");
    SET(recs[1].hint, "raise the UDP timer");
    rec_v4(&recs[2]);
    recs[2].end_reason = RS_END_TCP_FIN;

    struct rs_writer_opts opts = {0};
    opts.explain = 1;
    opts.color = 1;
    char *out = run_writer(RS_FMT_TABLE, &opts, recs, 3);

    /* The only ESC bytes are our own SGR colours. */
    for (const char *p = out; (p = strchr(p, '\033')) != NULL; p++) {
        assert_true(strncmp(p, "\033[31m", 5) == 0 || strncmp(p, "\033[32m", 5) == 0 ||
                    strncmp(p, "\033[33m", 5) == 0 || strncmp(p, "\033[0m", 4) == 0);
    }
    assert_non_null(strstr(out, "\033[31mtcp-rst-from-server\033[0m"));
    assert_non_null(strstr(out, "\033[33maged-out\033[0m"));
    assert_non_null(strstr(out, "\033[32mtcp-fin\033[0m"));
    assert_non_null(strstr(out, "Sh\\x1b[31m"));

    /* header, row, why; row, hint; row, why, hint */
    assert_int_equal(count_lines(out), 8);
    char *l = get_line(out, 2);
    assert_string_equal(l, "  why: RST seen\\x1b]0;owned\\x07 \\x1b[2J\\xc3\\xa9\\x5c");
    free(l);
    l = get_line(out, 4);
    assert_string_equal(l, "  hint: raise the UDP timer");
    free(l);

    /* Colour codes do not disturb alignment: the app column starts at the
     * same offset on every row once the codes are removed. */
    char *hdr = get_line(out, 0);
    size_t at = col_start(hdr, "app");
    for (size_t i = 1; i <= 5; i += 2) {
        char *row = get_line(out, i);
        char plain[1024];
        size_t o = 0;
        for (const char *p = row; *p && o < sizeof plain - 1;) {
            if (*p == '\033') {
                p = strchr(p, 'm') + 1;
                continue;
            }
            plain[o++] = *p++;
        }
        plain[o] = '\0';
        assert_memory_equal(plain + at - 2, "  ", 2);
        assert_true(plain[at] != ' ');
        free(row);
    }
    free(hdr);
    free(out);
}

static void
test_table_blocks(void **state)
{
    (void)state;
    struct cap c;
    struct rs_error err = {0};
    struct rs_record r;
    cap_open(&c);
    struct rs_writer *w = rs_writer_open(RS_FMT_TABLE, c.f, NULL, &err);
    assert_non_null(w);

    rec_v4(&r);
    for (int i = 0; i < 999; i++)
        assert_int_equal(rs_writer_write(w, &r), 0);
    fflush(c.f);
    assert_int_equal(c.len, 0); /* still buffering */

    rec_v6(&r); /* the 1000th row, wider */
    assert_int_equal(rs_writer_write(w, &r), 0);
    fflush(c.f);
    assert_true(c.len > 0); /* block flushed without waiting for close */
    assert_int_equal(count_lines(c.buf), 1001);

    rec_v4(&r);
    for (int i = 0; i < 1500; i++)
        assert_int_equal(rs_writer_write(w, &r), 0);
    fflush(c.f);
    assert_int_equal(count_lines(c.buf), 1001 + 1 + 1001);
    assert_int_equal(rs_writer_close(w, T0, &err), 0);
    cap_close(&c);

    /* 2500 rows: blocks of 1000, 1000, 500, each with a header, blank lines
     * between blocks. */
    assert_int_equal(count_lines(c.buf), 2500 + 3 + 2);
    size_t headers = 0;
    for (const char *p = c.buf; (p = strstr(p, "ts ")) != NULL; p++)
        if (p == c.buf || p[-1] == '\n')
            headers++;
    assert_int_equal(headers, 3);

    /* Block one had an IPv6 row so its client column is wider than block
     * two's; each block is aligned on its own. */
    char *h1 = get_line(c.buf, 0);
    char *h2 = get_line(c.buf, 1002);
    assert_true(col_start(h1, "server") > col_start(h2, "server"));
    char *row2 = get_line(c.buf, 1003);
    assert_true(row2[col_start(h2, "server")] != ' ');
    assert_memory_equal(row2 + col_start(h2, "server") - 2, "  ", 2);
    free(h1);
    free(h2);
    free(row2);
    cap_free(&c);
}

static void
test_table_empty(void **state)
{
    (void)state;
    char *out = run_writer(RS_FMT_TABLE, NULL, NULL, 0);
    assert_string_equal(out, "");
    free(out);
}

/* Stream mode (live): each row is out as soon as it is written, under one
 * header, with fixed columns; a wider cell shifts only its own row. */
static void
test_table_stream(void **state)
{
    (void)state;
    struct cap c;
    struct rs_error err = {0};
    struct rs_record r;
    struct rs_writer_opts opts = {0};
    opts.stream = 1;
    opts.explain = 1;
    cap_open(&c);
    struct rs_writer *w = rs_writer_open(RS_FMT_TABLE, c.f, &opts, &err);
    assert_non_null(w);
    assert_int_equal(c.len, 0); /* no header before the first row */

    rec_v4(&r);
    assert_int_equal(rs_writer_write(w, &r), 0);
    /* No fflush by the test: the writer flushed. header, row, why, hint */
    assert_int_equal(count_lines(c.buf), 4);
    rec_v6(&r);
    SET(r.explanation, "");
    assert_int_equal(rs_writer_write(w, &r), 0);
    assert_int_equal(count_lines(c.buf), 5);
    rec_v4(&r);
    r.end_reason = RS_END_OPEN;
    SET(r.rst_cause, "");
    SET(r.explanation, "");
    SET(r.hint, "");
    assert_int_equal(rs_writer_write(w, &r), 0);
    assert_int_equal(count_lines(c.buf), 6);
    assert_int_equal(rs_writer_close(w, T0, &err), 0);
    cap_close(&c);
    assert_int_equal(count_lines(c.buf), 6); /* close adds nothing */

    char *hdr = get_line(c.buf, 0);
    assert_memory_equal(hdr, "ts ", 3);
    size_t headers = 0;
    for (const char *p = c.buf; (p = strstr(p, "ts ")) != NULL; p++)
        if (p == c.buf || p[-1] == '\n')
            headers++;
    assert_int_equal(headers, 1);
    /* Fixed widths: the IPv4 rows line up with the header. */
    static const char *const titles[] = {"proto", "client",  "server", "end_reason", "app",
                                         "state", "history", "rst_by", "rst_cause"};
    for (size_t i = 1; i <= 5; i += 4) {
        char *l = get_line(c.buf, i);
        for (size_t t = 0; t < sizeof titles / sizeof titles[0]; t++) {
            size_t at = col_start(hdr, titles[t]);
            assert_true(strlen(l) > at);
            assert_memory_equal(l + at - 2, "  ", 2);
            assert_true(l[at] != ' ');
        }
        assert_true(l[strlen(l) - 1] != ' ');
        free(l);
    }
    char *l = get_line(c.buf, 5);
    assert_non_null(strstr(l, "  open  "));
    free(l);
    l = get_line(c.buf, 2);
    assert_string_equal(l, "  why: Server reset after the response (packet 7).");
    free(l);
    /* The IPv6 row is wider: its cells come later, separated all the same. */
    l = get_line(c.buf, 4);
    assert_memory_equal(l, "2023-11-14 22:13:25.123  udp    [2001:db8::1]:40000  ", 53);
    assert_non_null(strstr(l, "  [2001:db8::53]:53  "));
    assert_non_null(strstr(l, "  aged-out  "));
    free(l);
    free(hdr);
    cap_free(&c);
}

/* Stream mode flushes the FILE after each record (and the headers at open),
 * for every format: a reader of the file sees each record at once. */
static void
test_stream_flush(void **state)
{
    (void)state;
    static const enum rs_format fmts[] = {RS_FMT_JSONL, RS_FMT_CSV, RS_FMT_ZEEK};
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
        char path[] = "/tmp/rstscope-test-output-XXXXXX";
        FILE *f = temp_out(path);
        struct rs_error err = {0};
        struct rs_writer_opts opts = {0};
        opts.stream = 1;
        opts.open_ts = T0;
        struct rs_writer *w = rs_writer_open(fmts[i], f, &opts, &err);
        assert_non_null(w);
        struct stat sb;
        assert_int_equal(stat(path, &sb), 0);
        off_t after_open = sb.st_size;
        if (fmts[i] != RS_FMT_JSONL)
            assert_true(after_open > 0); /* csv and zeek headers are out */
        struct rs_record r;
        rec_v4(&r);
        assert_int_equal(rs_writer_write(w, &r), 0);
        assert_int_equal(stat(path, &sb), 0);
        assert_true(sb.st_size > after_open);
        off_t one = sb.st_size;
        rec_v6(&r);
        assert_int_equal(rs_writer_write(w, &r), 0);
        assert_int_equal(stat(path, &sb), 0);
        assert_true(sb.st_size > one);
        assert_int_equal(rs_writer_close(w, T0, &err), 0);
        fclose(f);
        unlink(path);
    }
    /* A write failure shows at the record that hit it, not only at close. */
    FILE *full = fopen("/dev/full", "w");
    if (!full)
        skip();
    struct rs_error err = {0};
    struct rs_writer_opts opts = {0};
    opts.stream = 1;
    struct rs_writer *w = rs_writer_open(RS_FMT_TABLE, full, &opts, &err);
    assert_non_null(w);
    struct rs_record r;
    rec_v4(&r);
    assert_int_equal(rs_writer_write(w, &r), RS_ERR_OUTPUT);
    assert_int_equal(rs_writer_close(w, T0, &err), RS_ERR_OUTPUT);
    fclose(full);
}

/* Records go to the file in blocks, straight from the writer's buffer
 * (write(2)) when the FILE has a descriptor, through stdio when not
 * (open_memstream); rs_writer_flush hands over everything so a caller can
 * write its own bytes between records; the header is out at open. */
static void
test_batched_writes(void **state)
{
    (void)state;
    enum { N = 2400 }; /* about 800 KiB of csv: several blocks */
    static struct rs_record recs[N];
    for (size_t i = 0; i < N; i++) {
        if (i % 2)
            rec_v6(&recs[i]);
        else
            rec_v4(&recs[i]);
        recs[i].client_pkts = i;
    }
    const size_t half = N / 2;
    /* The same records through stdio only (no descriptor), flushed nowhere
     * in between, with the caller's line inserted at the same place. */
    struct rs_writer_opts opts = {0};
    opts.open_ts = T0;
    char *first = run_writer(RS_FMT_CSV, &opts, recs, half);
    char *second = run_writer(RS_FMT_CSV, &opts, recs + half, N - half);
    char *hdr_end = strchr(first, '\n');
    assert_non_null(hdr_end);
    size_t hdr = (size_t)(hdr_end + 1 - first);
    assert_int_equal(strncmp(first, second, hdr), 0); /* the same header */

    char path[] = "/tmp/rstscope-test-output-XXXXXX";
    FILE *f = temp_out(path);
    struct rs_error err = {0};
    struct rs_writer *w = rs_writer_open(RS_FMT_CSV, f, &opts, &err);
    assert_non_null(w);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal((size_t)sb.st_size, hdr); /* the header is out at open */
    assert_int_equal(rs_writer_write(w, &recs[0]), 0);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal((size_t)sb.st_size, hdr); /* one record waits for its block */
    for (size_t i = 1; i < half; i++)
        assert_int_equal(rs_writer_write(w, &recs[i]), 0);
    assert_int_equal(stat(path, &sb), 0);
    assert_true((size_t)sb.st_size > hdr); /* full blocks went out */
    assert_true((size_t)sb.st_size < strlen(first));
    assert_int_equal(rs_writer_flush(w), 0);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal((size_t)sb.st_size, strlen(first)); /* all of it, nothing else */
    fputs("-- the caller's own line --\n", f);
    for (size_t i = half; i < N; i++)
        assert_int_equal(rs_writer_write(w, &recs[i]), 0);
    assert_int_equal(rs_writer_close(w, T0, &err), 0);
    fclose(f);

    FILE *in = fopen(path, "r");
    assert_non_null(in);
    static char got[1 << 21];
    size_t n = fread(got, 1, sizeof got - 1, in);
    fclose(in);
    unlink(path);
    got[n] = '\0';
    char *want = NULL;
    size_t wlen = 0;
    FILE *m = open_memstream(&want, &wlen);
    assert_non_null(m);
    fprintf(m, "%s-- the caller's own line --\n%s", first, second + hdr);
    fclose(m);
    assert_string_equal(got, want);
    assert_int_equal(rs_writer_flush(NULL), RS_ERR_USAGE);
    free(want);
    free(first);
    free(second);
}

static void
test_only(void **state)
{
    (void)state;
    assert_int_equal(rs_only_parse("all"), RS_ONLY_ALL);
    assert_int_equal(rs_only_parse("resets"), RS_ONLY_RESETS);
    assert_int_equal(rs_only_parse("failed"), RS_ONLY_FAILED);
    assert_int_equal(rs_only_parse("Resets"), -1);
    assert_int_equal(rs_only_parse(""), -1);
    assert_int_equal(rs_only_parse(NULL), -1);

    struct rs_record r;
    rec_v6(&r); /* a DNS exchange that aged out: no reset, not failed */
    assert_true(rs_only_match(RS_ONLY_ALL, &r));
    assert_false(rs_only_match(RS_ONLY_RESETS, &r));
    assert_false(rs_only_match(RS_ONLY_FAILED, &r));
    r.rst_flags = RS_RSTF_OUT_OF_WINDOW; /* hit by a RST that did not end it */
    assert_true(rs_only_match(RS_ONLY_RESETS, &r));
    assert_false(rs_only_match(RS_ONLY_FAILED, &r));
    rec_v6(&r);
    SET(r.conn_state, "S0");
    assert_false(rs_only_match(RS_ONLY_RESETS, &r));
    assert_true(rs_only_match(RS_ONLY_FAILED, &r));
    SET(r.conn_state, "REJ");
    assert_true(rs_only_match(RS_ONLY_FAILED, &r));
    SET(r.conn_state, "SF");
    SET(r.app, "incomplete");
    assert_true(rs_only_match(RS_ONLY_FAILED, &r));
    rec_v4(&r); /* tcp-rst-from-server */
    assert_true(rs_only_match(RS_ONLY_RESETS, &r));
    assert_true(rs_only_match(RS_ONLY_FAILED, &r));
    r.end_reason = RS_END_TCP_FIN;
    r.rst_flags = 0;
    assert_true(rs_only_match(RS_ONLY_RESETS, &r)); /* rst_by still says server */
    r.rst_by = RS_RST_BY_NONE;
    assert_false(rs_only_match(RS_ONLY_RESETS, &r));
    assert_false(rs_only_match(RS_ONLY_FAILED, &r));
}

/* ---- failures ----------------------------------------------------------- */

static void
test_write_failure(void **state)
{
    (void)state;
    static const enum rs_format fmts[] = {RS_FMT_TABLE, RS_FMT_JSONL, RS_FMT_CSV, RS_FMT_ZEEK};
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
        FILE *f = fopen("/dev/full", "w");
        if (!f)
            skip();
        struct rs_error err = {0};
        struct rs_record r;
        rec_v4(&r);
        struct rs_writer *w = rs_writer_open(fmts[i], f, NULL, &err);
        assert_non_null(w);
        int saw_fail = 0;
        for (int k = 0; k < 1000; k++) { /* ~600 KB: more than a block of the writer's */
            int rc = rs_writer_write(w, &r);
            assert_true(rc == 0 || rc == RS_ERR_OUTPUT);
            if (rc == RS_ERR_OUTPUT)
                saw_fail = 1;
            else
                assert_false(saw_fail); /* sticky once failed */
        }
        /* The table buffers its rows, the others fail as stdio flushes. */
        if (fmts[i] != RS_FMT_TABLE)
            assert_true(saw_fail);
        assert_int_equal(rs_writer_close(w, T0, &err), RS_ERR_OUTPUT);
        assert_int_equal(err.code, RS_ERR_OUTPUT);
        assert_non_null(strstr(err.msg, "write failed"));
        assert_non_null(strstr(err.msg, "No space left"));
        fclose(f);
    }
}

static void
test_failure_small_output(void **state)
{
    (void)state;
    /* Nothing but a header that fits in stdio's buffer: the failure shows only
     * at the flush in close, and must still be reported. */
    FILE *f = fopen("/dev/full", "w");
    if (!f)
        skip();
    struct rs_error err = {0};
    struct rs_writer *w = rs_writer_open(RS_FMT_CSV, f, NULL, &err);
    assert_non_null(w);
    assert_int_equal(rs_writer_close(w, T0, &err), RS_ERR_OUTPUT);
    assert_non_null(strstr(err.msg, "csv"));
    fclose(f);
}

static void
test_open_errors(void **state)
{
    (void)state;
    struct rs_error err = {0};
    assert_null(rs_writer_open((enum rs_format)42, stdout, NULL, &err));
    assert_int_equal(err.code, RS_ERR_USAGE);
    assert_null(rs_writer_open(RS_FMT_JSONL, NULL, NULL, &err));
    assert_int_equal(err.code, RS_ERR_USAGE);
    assert_int_equal(rs_writer_close(NULL, 0, &err), 0);
}

/* ---- memory writers (formatting in worker threads) ------------------------ */

/* Every string field of r filled with control bytes: the longest escape in
 * every format (\u00XX, \xXX, doubled quotes). */
static void
rec_worst(struct rs_record *r)
{
    rec_v4(r);
#define FILL(f) (memset(r->f, 0x01, sizeof r->f - 1), r->f[sizeof r->f - 1] = '\0')
    FILL(app);
    FILL(conn_state);
    FILL(history);
    FILL(rst_cause);
    FILL(explanation);
    FILL(hint);
    FILL(sni);
    FILL(http_host);
    FILL(tunnel_parents);
    FILL(action);
    FILL(rule);
#undef FILL
}

/* A memory writer formats each record into the bytes a stream writer of the
 * same format and options writes for it (its header and trailer aside). */
static void
test_mem_writer(void **state)
{
    (void)state;
    static const enum rs_format fmts[] = {RS_FMT_JSONL, RS_FMT_CSV, RS_FMT_ZEEK, RS_FMT_PANOS};
    struct rs_record recs[3];
    rec_v4(&recs[0]);
    rec_v6(&recs[1]);
    rec_worst(&recs[2]);
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
        for (int explain = 0; explain < 2; explain++) {
            struct rs_writer_opts opts = {0};
            opts.open_ts = T0;
            opts.explain = explain;
            char *whole = run_writer(fmts[i], &opts, recs, 3);
            char *head = run_writer(fmts[i], &opts, recs, 0); /* header and trailer only */
            struct rs_error err = {0};
            struct rs_writer *m = rs_writer_open_mem(fmts[i], &opts, &err);
            assert_non_null(m);
            assert_int_equal(rs_writer_write(m, &recs[0]), RS_ERR_USAGE);
            /* The header's bytes, then each record's, then the trailer's. */
            size_t hl = 0;
            while (head[hl] && head[hl] == whole[hl])
                hl++;
            /* head = header + trailer: the header is its common prefix with whole, cut at a line end. */
            while (hl > 0 && whole[hl - 1] != '\n')
                hl--;
            size_t at = hl;
            for (int k = 0; k < 3; k++) {
                const char *bytes;
                size_t len;
                assert_int_equal(rs_writer_format(m, &recs[k], &bytes, &len), 0);
                assert_true(len > 0 && len <= RS_PARALLEL_FORMAT_MAX);
                assert_true(at + len <= strlen(whole));
                assert_memory_equal(bytes, whole + at, len);
                at += len;
            }
            assert_string_equal(whole + at, head + hl); /* what is left is the trailer */
            assert_int_equal(rs_writer_close(m, T0, &err), 0);
            free(whole);
            free(head);
        }
    }
    /* The table aligns columns over many rows: no record-by-record form. */
    struct rs_error err = {0};
    assert_null(rs_writer_open_mem(RS_FMT_TABLE, NULL, &err));
    assert_int_equal(err.code, RS_ERR_USAGE);
    assert_null(rs_writer_open_mem((enum rs_format)42, NULL, &err));
    /* A stream writer does not format into memory. */
    struct cap c;
    cap_open(&c);
    struct rs_writer *w = rs_writer_open(RS_FMT_JSONL, c.f, NULL, &err);
    assert_non_null(w);
    const char *bytes;
    size_t len;
    assert_int_equal(rs_writer_format(w, &recs[0], &bytes, &len), RS_ERR_USAGE);
    assert_int_equal(rs_writer_close(w, T0, &err), 0);
    cap_close(&c);
    cap_free(&c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_rst_flags),
        cmocka_unit_test(test_field_table),
        cmocka_unit_test(test_number_text),
        cmocka_unit_test(test_json_escape),
        cmocka_unit_test(test_json_copy_plain),
        cmocka_unit_test(test_json_escape_truncation),
        cmocka_unit_test(test_jsonl),
        cmocka_unit_test(test_jsonl_full_strings),
        cmocka_unit_test(test_jsonl_matches_field_table),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_csv_matches_field_table),
        cmocka_unit_test(test_csv_field),
        cmocka_unit_test(test_zeek),
        cmocka_unit_test(test_zeek_service_mapping),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_table_explain_color),
        cmocka_unit_test(test_table_blocks),
        cmocka_unit_test(test_table_empty),
        cmocka_unit_test(test_write_failure),
        cmocka_unit_test(test_failure_small_output),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_table_stream),
        cmocka_unit_test(test_stream_flush),
        cmocka_unit_test(test_batched_writes),
        cmocka_unit_test(test_only),
        cmocka_unit_test(test_json_escape_words),
        cmocka_unit_test(test_mem_writer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
