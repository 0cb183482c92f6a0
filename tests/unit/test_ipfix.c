/*
 * test_ipfix.c - the IPFIX exporter (rstscope/ipfix.h): message framing
 * (RFC 7011 §3.1), template sets (§3.4.1) and the data records read back
 * through them by a small independent decoder written from the RFC, the
 * template schedule over UDP and TCP (§8.2, §8.4), sequence numbers,
 * packing into max_message, variable-length strings and UTF-8 clean-up,
 * lost messages, and the real sockets of rs_ipfix_open on loopback.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rstscope/ipfix.h>

#define SEC(x) ((rs_time_ns)(x)*RS_NS_PER_SEC)

/* ---- a collector: keeps every message ---------------------------------- */

#define MAX_MSGS 4096
struct sink {
    uint8_t *msg[MAX_MSGS];
    size_t len[MAX_MSGS];
    size_t n;
    int fail_from; /* messages from this index on are refused (0: never) */
    size_t calls;
};

static int
sink_send(const uint8_t *msg, size_t len, void *user, struct rs_error *err)
{
    struct sink *s = user;
    s->calls++;
    if (s->fail_from && s->calls >= (size_t)s->fail_from)
        return rs_error_set(err, RS_ERR_OUTPUT, "refused by the test");
    assert_true(s->n < MAX_MSGS);
    s->msg[s->n] = malloc(len);
    assert_non_null(s->msg[s->n]);
    memcpy(s->msg[s->n], msg, len);
    s->len[s->n++] = len;
    return 0;
}

static void
sink_free(struct sink *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->msg[i]);
    memset(s, 0, sizeof *s);
}

static rs_time_ns fake_now = SEC(1800000000);
static rs_time_ns
fake_clock(void *user)
{
    (void)user;
    return fake_now;
}

/* ---- the decoder (RFC 7011, independent of the encoder) --------------- */

static uint16_t
be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

struct tfield {
    uint16_t id, len;
    uint32_t pen;
};
struct tmpl {
    uint16_t id, n;
    struct tfield f[64];
};
/* One decoded data record: each field's bytes, found by (pen, id). */
struct drec {
    uint16_t tid;
    size_t n;
    struct {
        uint32_t pen;
        uint16_t id;
        const uint8_t *p;
        size_t len;
    } f[64];
};

struct decoded {
    struct tmpl t[4];
    size_t nt;
    struct drec r[512];
    size_t nr;
    uint32_t seq, domain, export_time;
    int had_templates;
};

static const struct tmpl *
find_tmpl(const struct decoded *d, uint16_t id)
{
    for (size_t i = 0; i < d->nt; i++)
        if (d->t[i].id == id)
            return &d->t[i];
    return NULL;
}

/* Decodes one message; templates persist in d across calls. */
static void
decode(struct decoded *d, const uint8_t *m, size_t len)
{
    assert_true(len >= 16);
    assert_int_equal(be16(m), 10);
    assert_int_equal(be16(m + 2), len);
    d->export_time = be32(m + 4);
    d->seq = be32(m + 8);
    d->domain = be32(m + 12);
    d->had_templates = 0;
    size_t off = 16;
    while (off < len) {
        assert_true(len - off >= 4);
        uint16_t sid = be16(m + off), slen = be16(m + off + 2);
        assert_true(slen >= 4 && slen <= len - off);
        const uint8_t *p = m + off + 4, *end = m + off + slen;
        if (sid == 2) {
            d->had_templates = 1;
            while (end - p >= 4) {
                struct tmpl t = {be16(p), be16(p + 2), {{0, 0, 0}}};
                p += 4;
                assert_true(t.n <= 64);
                for (uint16_t i = 0; i < t.n; i++) {
                    assert_true(end - p >= 4);
                    uint16_t id = be16(p);
                    t.f[i].id = id & 0x7fff;
                    t.f[i].len = be16(p + 2);
                    p += 4;
                    if (id & 0x8000) {
                        assert_true(end - p >= 4);
                        t.f[i].pen = be32(p);
                        p += 4;
                    }
                }
                size_t k = 0;
                while (k < d->nt && d->t[k].id != t.id)
                    k++;
                assert_true(k < 4);
                d->t[k] = t;
                if (k == d->nt)
                    d->nt++;
            }
        } else {
            assert_true(sid >= 256);
            const struct tmpl *t = find_tmpl(d, sid);
            assert_non_null(t);
            while (p < end) {
                assert_true(d->nr < 512);
                struct drec *r = &d->r[d->nr++];
                r->tid = sid;
                r->n = t->n;
                for (uint16_t i = 0; i < t->n; i++) {
                    size_t flen = t->f[i].len;
                    if (flen == 0xffff) { /* §7 variable length */
                        assert_true(end - p >= 1);
                        flen = *p++;
                        if (flen == 255) {
                            assert_true(end - p >= 2);
                            flen = be16(p);
                            p += 2;
                        }
                    }
                    assert_true((size_t)(end - p) >= flen);
                    r->f[i].pen = t->f[i].pen;
                    r->f[i].id = t->f[i].id;
                    r->f[i].p = p;
                    r->f[i].len = flen;
                    p += flen;
                }
            }
        }
        off += slen;
    }
}

static size_t
field(const struct drec *r, uint32_t pen, uint16_t id, const uint8_t **p)
{
    for (size_t i = 0; i < r->n; i++) {
        if (r->f[i].pen == pen && r->f[i].id == id) {
            *p = r->f[i].p;
            return r->f[i].len;
        }
    }
    fail_msg("field %u/%u missing", pen, id);
    return 0;
}

static uint64_t
num(const struct drec *r, uint32_t pen, uint16_t id)
{
    const uint8_t *p;
    size_t n = field(r, pen, id, &p);
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static void
str_eq(const struct drec *r, uint16_t id, const char *want)
{
    const uint8_t *p;
    size_t n = field(r, RS_IPFIX_PEN, id, &p);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(p, want, n);
}

/* ---- records ----------------------------------------------------------- */

static struct rs_record
rec4(void)
{
    struct rs_record r;
    memset(&r, 0, sizeof r);
    snprintf(r.uid, sizeof r.uid, "CabcdEFGH12");
    r.ts = SEC(1795811759) + 300084000;
    r.end_ts = SEC(1795811759) + 310043999;
    r.proto = 6;
    const uint8_t c[4] = {192, 0, 2, 1}, s[4] = {198, 51, 100, 7};
    rs_addr_from_v4(&r.client, c);
    rs_addr_from_v4(&r.server, s);
    r.client_port = 52000;
    r.server_port = 443;
    r.end_reason = RS_END_RST_CLIENT;
    snprintf(r.app, sizeof r.app, "ssl");
    snprintf(r.conn_state, sizeof r.conn_state, "RSTO");
    snprintf(r.history, sizeof r.history, "ShADadR");
    r.client_pkts = 7;
    r.client_bytes = 22;
    r.client_ip_bytes = 394;
    r.server_pkts = 5;
    r.server_bytes = 3000;
    r.server_ip_bytes = 3268;
    r.missed_bytes = 5;
    r.rst_by = RS_RST_BY_CLIENT;
    snprintf(r.rst_cause, sizeof r.rst_cause, "client_abort_midtransfer");
    r.rst_confidence = RS_CONF_MEDIUM;
    r.rst_flags = RS_RSTF_TTL_MISMATCH | RS_RSTF_AFTER_IDLE;
    r.inflight_client_bytes = 11;
    r.inflight_server_bytes = 1448;
    snprintf(r.sni, sizeof r.sni, "www.example.com");
    r.vlan = 12;
    return r;
}

static struct rs_record
rec6(void)
{
    struct rs_record r = rec4();
    assert_int_equal(rs_addr_parse(&r.client, "2001:db8::1"), 0);
    assert_int_equal(rs_addr_parse(&r.server, "2001:db8::2"), 0);
    r.proto = 17;
    r.end_reason = RS_END_AGED_OUT;
    snprintf(r.history, sizeof r.history, "Dd");
    r.rst_by = RS_RST_BY_NONE;
    r.rst_cause[0] = '\0';
    r.sni[0] = '\0';
    return r;
}

static struct rs_ipfix *
new_exporter(enum rs_ipfix_transport t, struct rs_ipfix_opts *o, struct sink *s)
{
    struct rs_ipfix_opts d = {0};
    if (!o)
        o = &d;
    o->clock = fake_clock;
    struct rs_error err = {0};
    struct rs_ipfix *x = rs_ipfix_new(t, o, sink_send, s, &err);
    assert_non_null(x);
    return x;
}

/* ---- tests ------------------------------------------------------------- */

static void
test_one_record_v4(void **state)
{
    (void)state;
    struct sink s = {0};
    struct rs_ipfix_opts o = {0};
    o.domain_id = 77;
    struct rs_ipfix *x = new_exporter(RS_IPFIX_UDP, &o, &s);
    struct rs_record r = rec4();
    assert_int_equal(rs_ipfix_write(x, &r), 0);
    assert_int_equal(s.n, 0); /* buffered until flush */
    struct rs_error err = {0};
    assert_int_equal(rs_ipfix_close(x, &err), 0);
    assert_int_equal(s.n, 1);

    struct decoded d;
    memset(&d, 0, sizeof d);
    decode(&d, s.msg[0], s.len[0]);
    assert_true(d.had_templates);
    assert_int_equal(d.nt, 2);
    assert_int_equal(d.seq, 0);
    assert_int_equal(d.domain, 77);
    assert_int_equal(d.export_time, 1800000000u);
    assert_int_equal(d.nr, 1);
    const struct drec *dr = &d.r[0];
    assert_int_equal(dr->tid, RS_IPFIX_TEMPLATE_V4);
    assert_int_equal(num(dr, 0, 152), 1795811759300u);
    assert_int_equal(num(dr, 0, 153), 1795811759310u);
    assert_int_equal(num(dr, 0, 8), 0xc0000201u);
    assert_int_equal(num(dr, 0, 12), 0xc6336407u);
    assert_int_equal(num(dr, 0, 7), 52000);
    assert_int_equal(num(dr, 0, 11), 443);
    assert_int_equal(num(dr, 0, 4), 6);
    assert_int_equal(num(dr, 0, 32), 0);
    assert_int_equal(num(dr, 0, 6), 0x02 | 0x10 | 0x04); /* S, A/D, R */
    assert_int_equal(num(dr, RS_IPFIX_PEN_REVERSE, 6), 0x02 | 0x10);
    assert_int_equal(num(dr, 0, 136), 3);
    assert_int_equal(num(dr, 0, 239), 1);
    assert_int_equal(num(dr, 0, 1), 394);
    assert_int_equal(num(dr, 0, 2), 7);
    assert_int_equal(num(dr, RS_IPFIX_PEN_REVERSE, 1), 3268);
    assert_int_equal(num(dr, RS_IPFIX_PEN_REVERSE, 2), 5);
    assert_int_equal(num(dr, 0, 58), 12);
    str_eq(dr, RS_IPFIX_IE_END_REASON, "tcp-rst-from-client");
    str_eq(dr, RS_IPFIX_IE_APP, "ssl");
    str_eq(dr, RS_IPFIX_IE_CONN_STATE, "RSTO");
    str_eq(dr, RS_IPFIX_IE_HISTORY, "ShADadR");
    str_eq(dr, RS_IPFIX_IE_RST_BY, "client");
    str_eq(dr, RS_IPFIX_IE_RST_CAUSE, "client_abort_midtransfer");
    str_eq(dr, RS_IPFIX_IE_RST_CONFIDENCE, "medium");
    str_eq(dr, RS_IPFIX_IE_RST_FLAGS, "ttl_mismatch,after_idle");
    str_eq(dr, RS_IPFIX_IE_UID, "CabcdEFGH12");
    str_eq(dr, RS_IPFIX_IE_SNI, "www.example.com");
    str_eq(dr, RS_IPFIX_IE_HTTP_HOST, "");
    assert_int_equal(num(dr, RS_IPFIX_PEN, RS_IPFIX_IE_INFLIGHT_CLIENT), 11);
    assert_int_equal(num(dr, RS_IPFIX_PEN, RS_IPFIX_IE_INFLIGHT_SERVER), 1448);
    assert_int_equal(num(dr, RS_IPFIX_PEN, RS_IPFIX_IE_CLIENT_PAYLOAD), 22);
    assert_int_equal(num(dr, RS_IPFIX_PEN, RS_IPFIX_IE_SERVER_PAYLOAD), 3000);
    assert_int_equal(num(dr, RS_IPFIX_PEN, RS_IPFIX_IE_MISSED_BYTES), 5);
    sink_free(&s);
}

static void
test_v6_and_icmp(void **state)
{
    (void)state;
    struct sink s = {0};
    struct rs_ipfix *x = new_exporter(RS_IPFIX_UDP, NULL, &s);
    struct rs_record r = rec6();
    struct rs_record icmp = rec4();
    icmp.proto = 1;
    icmp.client_port = 8; /* echo request */
    icmp.server_port = 0;
    snprintf(icmp.history, sizeof icmp.history, "%s", "");
    assert_int_equal(rs_ipfix_write(x, &r), 0);
    assert_int_equal(rs_ipfix_write(x, &icmp), 0);
    assert_int_equal(rs_ipfix_write(x, &r), 0);
    assert_int_equal(rs_ipfix_close(x, NULL), 0);
    assert_int_equal(s.n, 1);
    struct decoded d;
    memset(&d, 0, sizeof d);
    decode(&d, s.msg[0], s.len[0]);
    assert_int_equal(d.nr, 3);
    assert_int_equal(d.r[0].tid, RS_IPFIX_TEMPLATE_V6);
    assert_int_equal(d.r[1].tid, RS_IPFIX_TEMPLATE_V4);
    assert_int_equal(d.r[2].tid, RS_IPFIX_TEMPLATE_V6);
    const uint8_t *p;
    assert_int_equal(field(&d.r[0], 0, 27, &p), 16);
    assert_memory_equal(p, r.client.b, 16);
    assert_int_equal(field(&d.r[0], 0, 28, &p), 16);
    assert_memory_equal(p, r.server.b, 16);
    assert_int_equal(num(&d.r[0], 0, 136), 1); /* aged-out: idle timeout */
    assert_int_equal(num(&d.r[0], 0, 6), 0);   /* UDP: no flags */
    str_eq(&d.r[0], RS_IPFIX_IE_RST_BY, "");
    /* ICMP: type and code in icmpTypeCodeIPv4, ports 0 */
    assert_int_equal(num(&d.r[1], 0, 32), 0x0800);
    assert_int_equal(num(&d.r[1], 0, 7), 0);
    assert_int_equal(num(&d.r[1], 0, 11), 0);
    sink_free(&s);
}

static void
test_flags_and_reasons(void **state)
{
    (void)state;
    struct rs_record r = rec4();
    uint16_t c, sv;
    snprintf(r.history, sizeof r.history, "ShADadFf");
    rs_ipfix_tcp_flags(&r, &c, &sv);
    assert_int_equal(c, 0x13);
    assert_int_equal(sv, 0x13);
    snprintf(r.history, sizeof r.history, "Sr");
    rs_ipfix_tcp_flags(&r, &c, &sv);
    assert_int_equal(c, 0x02);
    assert_int_equal(sv, 0x04);
    snprintf(r.history, sizeof r.history, "^hR");
    rs_ipfix_tcp_flags(&r, &c, &sv);
    assert_int_equal(c, 0x04);
    assert_int_equal(sv, 0x12);
    snprintf(r.history, sizeof r.history, "I");
    rs_ipfix_tcp_flags(&r, &c, &sv);
    assert_int_equal(c, 0x06);
    r.proto = 17;
    rs_ipfix_tcp_flags(&r, &c, &sv);
    assert_int_equal(c | sv, 0);

    assert_int_equal(rs_ipfix_end_reason(RS_END_AGED_OUT), 1);
    assert_int_equal(rs_ipfix_end_reason(RS_END_TCP_FIN), 3);
    assert_int_equal(rs_ipfix_end_reason(RS_END_RST_CLIENT), 3);
    assert_int_equal(rs_ipfix_end_reason(RS_END_RST_SERVER), 3);
    assert_int_equal(rs_ipfix_end_reason(RS_END_TCP_REUSE), 3);
    assert_int_equal(rs_ipfix_end_reason(RS_END_OPEN), 4);
    assert_int_equal(rs_ipfix_transport_parse("udp"), RS_IPFIX_UDP);
    assert_int_equal(rs_ipfix_transport_parse("tcp"), RS_IPFIX_TCP);
    assert_int_equal(rs_ipfix_transport_parse("sctp"), -1);
}

/* Every N messages over UDP; once over TCP. Sequence numbers count the data
 * records sent before each message. */
static void
test_template_schedule(void **state)
{
    (void)state;
    for (int tcp = 0; tcp < 2; tcp++) {
        struct sink s = {0};
        struct rs_ipfix_opts o = {0};
        o.refresh_messages = 3;
        o.stream = 1;
        struct rs_ipfix *x = new_exporter(tcp ? RS_IPFIX_TCP : RS_IPFIX_UDP, &o, &s);
        struct rs_record r = rec4();
        for (int i = 0; i < 10; i++)
            assert_int_equal(rs_ipfix_write(x, &r), 0);
        assert_int_equal(rs_ipfix_close(x, NULL), 0);
        assert_int_equal(s.n, 10);
        struct decoded d;
        memset(&d, 0, sizeof d);
        for (size_t i = 0; i < s.n; i++) {
            decode(&d, s.msg[i], s.len[i]);
            assert_int_equal(d.seq, i);
            int want = tcp ? i == 0 : i % 4 == 0; /* templates, then 3 without */
            assert_int_equal(d.had_templates, want);
        }
        assert_int_equal(d.nr, 10);
        sink_free(&s);
    }
}

static void
test_template_timer(void **state)
{
    (void)state;
    struct sink s = {0};
    struct rs_ipfix_opts o = {0};
    o.refresh_seconds = 30;
    o.stream = 1;
    struct rs_ipfix *x = new_exporter(RS_IPFIX_UDP, &o, &s);
    struct rs_record r = rec4();
    rs_time_ns t0 = fake_now;
    int want[] = {1, 0, 0, 1, 0};
    rs_time_ns at[] = {0, SEC(10), SEC(29), SEC(31), SEC(40)};
    struct decoded d;
    memset(&d, 0, sizeof d);
    for (size_t i = 0; i < 5; i++) {
        fake_now = t0 + at[i];
        assert_int_equal(rs_ipfix_write(x, &r), 0);
        decode(&d, s.msg[i], s.len[i]);
        assert_int_equal(d.had_templates, want[i]);
    }
    fake_now = t0;
    assert_int_equal(rs_ipfix_close(x, NULL), 0);
    sink_free(&s);
}

/* Many records: each message within max_message, all records there once,
 * in order, sequence numbers continuous. */
static void
test_packing(void **state)
{
    (void)state;
    struct sink s = {0};
    struct rs_ipfix *x = new_exporter(RS_IPFIX_UDP, NULL, &s);
    const size_t n = 400;
    for (size_t i = 0; i < n; i++) {
        struct rs_record r = i % 3 == 2 ? rec6() : rec4();
        r.client_port = (uint16_t)(1000 + i);
        assert_int_equal(rs_ipfix_write(x, &r), 0);
    }
    struct rs_ipfix_stats st;
    assert_int_equal(rs_ipfix_flush(x), 0);
    rs_ipfix_stats(x, &st);
    assert_int_equal(st.records, n);
    assert_int_equal(st.messages, s.n);
    assert_true(s.n > 20);
    assert_int_equal(rs_ipfix_close(x, NULL), 0);
    struct decoded d;
    memset(&d, 0, sizeof d);
    size_t got = 0;
    for (size_t i = 0; i < s.n; i++) {
        assert_true(s.len[i] <= 1400);
        d.nr = 0;
        decode(&d, s.msg[i], s.len[i]);
        assert_int_equal(d.seq, got);
        for (size_t k = 0; k < d.nr; k++)
            assert_int_equal(num(&d.r[k], 0, 7), 1000 + got + k);
        got += d.nr;
    }
    assert_int_equal(got, n);
    sink_free(&s);
}

/* The biggest record (every string at its longest, IPv6) in the smallest
 * message; bytes from packets that are not UTF-8 go out as '?'. */
static void
test_long_strings(void **state)
{
    (void)state;
    struct sink s = {0};
    struct rs_ipfix_opts o = {0};
    o.max_message = RS_IPFIX_MIN_MESSAGE;
    struct rs_ipfix *x = new_exporter(RS_IPFIX_UDP, &o, &s);
    struct rs_record r = rec6();
    memset(r.sni, 'a', sizeof r.sni - 1);
    r.sni[sizeof r.sni - 1] = '\0';
    memset(r.http_host, 'h', sizeof r.http_host - 1);
    r.http_host[sizeof r.http_host - 1] = '\0';
    memset(r.history, 'D', sizeof r.history - 1);
    r.history[sizeof r.history - 1] = '\0';
    memset(r.app, 'x', sizeof r.app - 1);
    r.app[sizeof r.app - 1] = '\0';
    memset(r.rst_cause, 'c', sizeof r.rst_cause - 1);
    r.rst_cause[sizeof r.rst_cause - 1] = '\0';
    r.rst_flags = 0x3f;
    for (int i = 0; i < 3; i++)
        assert_int_equal(rs_ipfix_write(x, &r), 0);
    struct rs_record bad = rec4();
    /* overlong '/', a lone continuation, a surrogate, then valid é and € */
    snprintf(bad.http_host, sizeof bad.http_host,
             "a\xc0\xaf"
             "b\x80"
             "c\xed\xa0\x80"
             "d\xc3\xa9\xe2\x82\xac\xf0");
    assert_int_equal(rs_ipfix_write(x, &bad), 0);
    assert_int_equal(rs_ipfix_close(x, NULL), 0);
    struct decoded d;
    memset(&d, 0, sizeof d);
    size_t got = 0;
    for (size_t i = 0; i < s.n; i++) {
        assert_true(s.len[i] <= RS_IPFIX_MIN_MESSAGE);
        d.nr = 0;
        decode(&d, s.msg[i], s.len[i]);
        for (size_t k = 0; k < d.nr; k++, got++) {
            const uint8_t *p;
            if (got < 3) {
                assert_int_equal(field(&d.r[k], RS_IPFIX_PEN, RS_IPFIX_IE_SNI, &p), 255);
                assert_int_equal(field(&d.r[k], RS_IPFIX_PEN, RS_IPFIX_IE_HISTORY, &p), 63);
            } else {
                str_eq(&d.r[k], RS_IPFIX_IE_HTTP_HOST, "a??b?c???d\xc3\xa9\xe2\x82\xac?");
            }
        }
    }
    assert_int_equal(got, 4);
    sink_free(&s);

    struct rs_error err = {0};
    o.max_message = RS_IPFIX_MIN_MESSAGE - 1;
    assert_null(rs_ipfix_new(RS_IPFIX_UDP, &o, sink_send, &s, &err));
    assert_int_equal(err.code, RS_ERR_USAGE);
}

static void
test_lost_messages(void **state)
{
    (void)state;
    /* UDP: a lost datagram is counted, the export goes on, close reports */
    struct sink s = {0};
    s.fail_from = 2;
    struct rs_ipfix_opts o = {0};
    o.stream = 1;
    struct rs_ipfix *x = new_exporter(RS_IPFIX_UDP, &o, &s);
    struct rs_record r = rec4();
    for (int i = 0; i < 4; i++)
        assert_int_equal(rs_ipfix_write(x, &r), 0);
    struct rs_ipfix_stats st;
    rs_ipfix_stats(x, &st);
    assert_int_equal(st.lost_messages, 3);
    assert_int_equal(st.lost_records, 3);
    struct rs_error err = {0};
    assert_int_equal(rs_ipfix_close(x, &err), RS_ERR_OUTPUT);
    assert_non_null(strstr(err.msg, "3 of 4 records not sent"));
    assert_non_null(strstr(err.msg, "refused by the test"));
    sink_free(&s);

    /* TCP: the first failure ends the export */
    s.fail_from = 2;
    x = new_exporter(RS_IPFIX_TCP, &o, &s);
    assert_int_equal(rs_ipfix_write(x, &r), 0);
    assert_int_equal(rs_ipfix_write(x, &r), RS_ERR_OUTPUT);
    assert_int_equal(rs_ipfix_write(x, &r), RS_ERR_OUTPUT);
    assert_int_equal(s.calls, 2);
    assert_int_equal(rs_ipfix_close(x, &err), RS_ERR_OUTPUT);
    assert_non_null(strstr(err.msg, "2 of 3 records"));
    sink_free(&s);
}

/* ---- real sockets ------------------------------------------------------ */

static int
bound_socket(int type, uint16_t *port)
{
    int fd = socket(AF_INET, type, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t l = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
    *port = ntohs(a.sin_port);
    if (type == SOCK_STREAM)
        assert_int_equal(listen(fd, 4), 0);
    return fd;
}

static void
test_udp_socket(void **state)
{
    (void)state;
    uint16_t port;
    int fd = bound_socket(SOCK_DGRAM, &port);
    char target[32];
    snprintf(target, sizeof target, "127.0.0.1:%u", port);
    struct rs_error err = {0};
    struct rs_ipfix *x = rs_ipfix_open(target, RS_IPFIX_UDP, NULL, &err);
    assert_non_null(x);
    struct rs_record r = rec4();
    assert_int_equal(rs_ipfix_write(x, &r), 0);
    assert_int_equal(rs_ipfix_write(x, &r), 0);
    assert_int_equal(rs_ipfix_close(x, &err), 0);
    uint8_t buf[2048];
    struct pollfd p = {fd, POLLIN, 0};
    assert_int_equal(poll(&p, 1, 2000), 1);
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    assert_true(n > 16);
    struct decoded d;
    memset(&d, 0, sizeof d);
    decode(&d, buf, (size_t)n);
    assert_int_equal(d.nr, 2);
    close(fd);

    /* nobody listens: the ICMP port unreachable makes later sends fail */
    snprintf(target, sizeof target, "%u", port);
    x = rs_ipfix_open(target, RS_IPFIX_UDP, NULL, &err);
    assert_non_null(x);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(rs_ipfix_write(x, &r), 0);
        assert_int_equal(rs_ipfix_flush(x), 0);
        usleep(20000);
    }
    assert_int_equal(rs_ipfix_close(x, &err), RS_ERR_OUTPUT);
    assert_non_null(strstr(err.msg, "Connection refused"));
}

static void
test_tcp_socket(void **state)
{
    (void)state;
    uint16_t port;
    int lfd = bound_socket(SOCK_STREAM, &port);
    char target[32];
    snprintf(target, sizeof target, "[::ffff:127.0.0.1]:%u", port);
    struct rs_error err = {0};
    struct rs_ipfix *x = rs_ipfix_open(target, RS_IPFIX_TCP, NULL, &err);
    if (!x) { /* no IPv6 on this host: the IPv4 spelling */
        snprintf(target, sizeof target, "127.0.0.1:%u", port);
        x = rs_ipfix_open(target, RS_IPFIX_TCP, NULL, &err);
    }
    assert_non_null(x);
    struct rs_record r = rec4();
    for (int i = 0; i < 50; i++)
        assert_int_equal(rs_ipfix_write(x, &r), 0);
    assert_int_equal(rs_ipfix_close(x, &err), 0);
    int fd = accept(lfd, NULL, NULL);
    assert_true(fd >= 0);
    static uint8_t buf[1 << 17];
    size_t have = 0;
    ssize_t n;
    while ((n = recv(fd, buf + have, sizeof buf - have, 0)) > 0)
        have += (size_t)n;
    struct decoded d;
    memset(&d, 0, sizeof d);
    size_t off = 0, msgs = 0;
    while (off < have) {
        assert_true(have - off >= 4);
        size_t len = be16(buf + off + 2);
        assert_true(len <= have - off);
        decode(&d, buf + off, len);
        off += len;
        msgs++;
    }
    assert_int_equal(msgs, 1); /* 50 records fit in one 64 KiB message */
    assert_int_equal(d.nr, 50);
    close(fd);
    close(lfd);

    /* refused: an error at open, naming the target */
    x = rs_ipfix_open(target, RS_IPFIX_TCP, NULL, &err);
    assert_null(x);
    assert_int_equal(err.code, RS_ERR_OUTPUT);
    assert_non_null(strstr(err.msg, target));
}

static void
test_bad_targets(void **state)
{
    (void)state;
    const char *bad[] = {"",         "host:",     "host:0",   "host:65536",
                         "::1:4739", "[::1]4739", "host:47x", "[::1:4739"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct rs_error err = {0};
        assert_null(rs_ipfix_open(bad[i], RS_IPFIX_UDP, NULL, &err));
        assert_int_equal(err.code, RS_ERR_USAGE);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_record_v4),     cmocka_unit_test(test_v6_and_icmp),
        cmocka_unit_test(test_flags_and_reasons), cmocka_unit_test(test_template_schedule),
        cmocka_unit_test(test_template_timer),    cmocka_unit_test(test_packing),
        cmocka_unit_test(test_long_strings),      cmocka_unit_test(test_lost_messages),
        cmocka_unit_test(test_udp_socket),        cmocka_unit_test(test_tcp_socket),
        cmocka_unit_test(test_bad_targets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
