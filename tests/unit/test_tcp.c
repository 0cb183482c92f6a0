/*
 * test_tcp.c - sequence arithmetic, Zeek endpoint states and history,
 * sizes across wraparound, RST acceptance (RFC 5961 §3.2), content gaps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tcp/seq.h"
#include "tcp/tcp.h"

static const struct rs_tcp_timing tm = {
    .attempt_delay = 5000000000,
    .syn_timeout = 5000000000,
    .session_timer = 6000000000,
    .linger = 5000000000,
    .close_delay = 5000000000,
    .reset_delay = 5000000000,
    .partial_close_delay = 3000000000,
    .inactivity_initial = 60000000000,
    .inactivity_established = 300000000000,
};

struct sess {
    struct rs_flow f;
    uint32_t seq[2]; /* next seq of each side */
    rs_time_ns now;
    struct rs_tcp_result last;
};

static void
sess_init(struct sess *s, uint32_t isn_c, uint32_t isn_s)
{
    memset(s, 0, sizeof *s);
    s->f.proto = 6;
    s->f.is_active = 1;
    s->f.inactivity = tm.inactivity_initial;
    s->seq[0] = isn_c;
    s->seq[1] = isn_s;
    s->now = 1000000000;
}

/* Sends a segment from `side` with the right seq/ack, advancing like a stack. */
static void
seg(struct sess *s, int side, uint16_t flags, uint32_t len)
{
    struct rs_layer l;
    memset(&l, 0, sizeof l);
    l.proto = 6;
    l.l4_ok = 1;
    l.payload_len = len;
    l.payload_caplen = len;
    l.u.tcp.flags = flags;
    l.u.tcp.seq = s->seq[side];
    l.u.tcp.ack = (flags & RS_TCP_ACK) ? s->seq[!side] : 0;
    l.u.tcp.window = 65535;
    s->now += 1000000;
    rs_tcp_packet(&s->f, side, &l, s->now, 0, 0, &tm, &s->last);
    if (!(flags & RS_TCP_RST))
        s->seq[side] += len + ((flags & RS_TCP_SYN) ? 1u : 0u) + ((flags & RS_TCP_FIN) ? 1u : 0u);
}

/* A raw segment with explicit seq (for RST tests). */
static void
raw(struct sess *s, int side, uint16_t flags, uint32_t seq, uint32_t ack)
{
    struct rs_layer l;
    memset(&l, 0, sizeof l);
    l.proto = 6;
    l.l4_ok = 1;
    l.u.tcp.flags = flags;
    l.u.tcp.seq = seq;
    l.u.tcp.ack = ack;
    l.u.tcp.window = 1000;
    s->now += 1000000;
    rs_tcp_packet(&s->f, side, &l, s->now, 0, 0, &tm, &s->last);
}

#define SYN RS_TCP_SYN
#define ACK RS_TCP_ACK
#define FIN RS_TCP_FIN
#define RST RS_TCP_RST
#define PSH RS_TCP_PSH

static void
test_seq_arith(void **state)
{
    (void)state;
    assert_true(rs_seq_before(0xfffffff0u, 0x10u));
    assert_true(rs_seq_after(0x10u, 0xfffffff0u));
    assert_int_equal(rs_seq_delta(0x5u, 0xfffffffbu), 10);
    assert_true(rs_seq_between(0x2u, 0xfffffff0u, 0x10u));
    assert_false(rs_seq_between(0x20u, 0xfffffff0u, 0x10u));
}

static void
test_full_session_sf(void **state)
{
    (void)state;
    struct sess s;
    sess_init(&s, 1000, 5000);
    seg(&s, 0, SYN, 0);
    seg(&s, 1, SYN | ACK, 0);
    seg(&s, 0, ACK, 0);
    seg(&s, 0, ACK | PSH, 100);
    seg(&s, 1, ACK, 0);
    seg(&s, 1, ACK | PSH, 300);
    seg(&s, 0, ACK, 0);
    seg(&s, 0, FIN | ACK, 0);
    seg(&s, 1, FIN | ACK, 0);
    seg(&s, 0, ACK, 0);
    assert_string_equal(s.f.history, "ShADadFf");
    assert_string_equal(rs_tcp_conn_state(&s.f), "SF");
    assert_int_equal(rs_tcp_size(&s.f, 0), 100);
    assert_int_equal(rs_tcp_size(&s.f, 1), 300);
    assert_int_equal(s.f.missed_bytes, 0);
}

static void
test_rej_and_s0(void **state)
{
    (void)state;
    struct sess s;
    sess_init(&s, 1000, 0);
    seg(&s, 0, SYN, 0);
    raw(&s, 1, RST | ACK, 0, 1001);
    assert_string_equal(s.f.history, "Sr");
    assert_string_equal(rs_tcp_conn_state(&s.f), "REJ");
    assert_int_equal(s.last.rst_accept, RS_RST_SYN_SENT_OK);

    sess_init(&s, 1000, 0);
    seg(&s, 0, SYN, 0);
    seg(&s, 0, SYN, 0); /* retransmission, same seq: one S */
    s.seq[0] = 1000;
    seg(&s, 0, SYN, 0);
    assert_string_equal(s.f.history, "S");
    assert_string_equal(rs_tcp_conn_state(&s.f), "S0");
}

static void
test_rst_acceptance(void **state)
{
    (void)state;
    struct sess s;
    sess_init(&s, 1000, 5000);
    seg(&s, 0, SYN, 0);
    seg(&s, 1, SYN | ACK, 0);
    seg(&s, 0, ACK, 0);
    seg(&s, 1, ACK | PSH, 100);
    /* exact: seq == the server's next sequence number */
    struct sess e = s;
    raw(&e, 1, RST, e.seq[1], 0);
    assert_int_equal(e.last.rst_accept, RS_RST_EXACT);
    assert_string_equal(rs_tcp_conn_state(&e.f), "RSTR");
    /* in window */
    e = s;
    raw(&e, 1, RST, e.seq[1] + 500, 0);
    assert_int_equal(e.last.rst_accept, RS_RST_IN_WINDOW);
    /* far out of window (blind guess) */
    e = s;
    raw(&e, 1, RST, e.seq[1] + 0x40000000u, 0);
    assert_int_equal(e.last.rst_accept, RS_RST_OUT_OF_WINDOW);
    /* RST from the client after the exchange: RSTO, history R */
    e = s;
    raw(&e, 0, RST | ACK, e.seq[0], e.seq[1]);
    assert_string_equal(rs_tcp_conn_state(&e.f), "RSTO");
    assert_string_equal(e.f.history, "ShAdR");
}

static void
test_wraparound_size(void **state)
{
    (void)state;
    struct sess s;
    sess_init(&s, 0xffffff00u, 7);
    seg(&s, 0, SYN, 0);
    seg(&s, 1, SYN | ACK, 0);
    seg(&s, 0, ACK, 0);
    for (int i = 0; i < 10; i++) {
        seg(&s, 0, ACK, 100);
        seg(&s, 1, ACK, 0);
    }
    assert_true(s.seq[0] < 0x1000u); /* wrapped */
    assert_int_equal(rs_tcp_size(&s.f, 0), 1000);
    assert_string_equal(s.f.history, "ShADa");
    assert_int_equal(s.f.missed_bytes, 0);
}

static void
test_gap_and_retransmission(void **state)
{
    (void)state;
    struct sess s;
    sess_init(&s, 100, 900);
    seg(&s, 0, SYN, 0);
    seg(&s, 1, SYN | ACK, 0);
    seg(&s, 0, ACK, 0);
    seg(&s, 0, ACK, 100);
    s.seq[0] += 50; /* 50 bytes never captured */
    seg(&s, 0, ACK, 100);
    seg(&s, 1, ACK, 0); /* acks everything: 50 bytes missed */
    assert_int_equal(s.f.missed_bytes, 50);
    assert_non_null(strchr(s.f.history, 'G'));
    /* a retransmission of old data: T */
    s.seq[0] -= 100;
    seg(&s, 0, ACK, 100);
    assert_non_null(strchr(s.f.history, 'T'));
    assert_int_equal(rs_tcp_size(&s.f, 0), 250);
}

static void
test_reuse(void **state)
{
    (void)state;
    struct sess s;
    sess_init(&s, 1000, 5000);
    seg(&s, 0, SYN, 0);
    struct rs_tcp_info t = {0};
    t.flags = SYN;
    t.seq = 1000;
    assert_false(rs_tcp_is_reuse(&s.f, 0, &t)); /* retransmitted SYN */
    t.seq = 777777;
    assert_true(rs_tcp_is_reuse(&s.f, 0, &t)); /* new ISN */
    t.flags = ACK;
    assert_false(rs_tcp_is_reuse(&s.f, 0, &t));
}

static void
test_partial_flip(void **state)
{
    (void)state;
    struct sess s;
    sess_init(&s, 1000, 5000);
    /* SYN-ACK seen first, then the SYN: Zeek flips the roles. */
    raw(&s, 0, SYN | ACK, 5000, 1001);
    raw(&s, 1, SYN, 1000, 0);
    assert_int_equal(s.f.flipped, 1);
    assert_int_equal(s.f.history[0], 'H');
    assert_non_null(strchr(s.f.history, '^'));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seq_arith),       cmocka_unit_test(test_full_session_sf),
        cmocka_unit_test(test_rej_and_s0),      cmocka_unit_test(test_rst_acceptance),
        cmocka_unit_test(test_wraparound_size), cmocka_unit_test(test_gap_and_retransmission),
        cmocka_unit_test(test_reuse),           cmocka_unit_test(test_partial_flip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
