/*
 * test_diagnose.c - every reset cause of SPEC §6, from sessions made by the
 * project's packet writer (rs_craft) and fed through the whole pipeline
 * (decode -> engine -> record). Each test checks the cause, its confidence
 * and the numbers the explanation must name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "unit/session_harness.h"

static void
t_init(struct t *t, const char *client, uint16_t cport, const char *server, uint16_t sport)
{
    t_start(t, RS_PROFILE_PANOS, 0, client, cport, server, sport);
}

/* Another flow on the same engine (packet numbers continue). */
static void
t_flow(struct t *t, const char *client, uint16_t cport, const char *server, uint16_t sport)
{
    rs_time_ns now = t->f.now;
    uint64_t pk = t->f.packets;
    assert_int_equal(rs_craft_flow_init(&t->f, client, cport, server, sport, now), 0);
    t->f.packets = pk;
}

static void
handshake(struct t *t, int64_t rtt_us)
{
    send(t, C, SYN, 0, 1000);
    send(t, S, SYN | ACK, 0, rtt_us);
    send(t, C, ACK, 0, rtt_us);
}

static const struct rs_record *
t_done(struct t *t)
{
    finish(t);
    assert_true(t->n >= 1);
    return &t->rec[t->n - 1];
}

static void
expect(const struct rs_record *r, const char *cause, enum rs_confidence conf)
{
    assert_non_null(r);
    if (!r)
        return;
    if (strcmp(r->rst_cause, cause) != 0 || r->rst_confidence != conf)
        fprintf(stderr, "got %s/%d: %s\n", r->rst_cause, (int)r->rst_confidence, r->explanation);
    assert_string_equal(r->rst_cause, cause);
    assert_int_equal(r->rst_confidence, conf);
    assert_true(r->explanation[0] != '\0');
    assert_true(r->hint[0] != '\0');
}

static void
has(const struct rs_record *r, const char *text)
{
    if (!strstr(r->explanation, text))
        fprintf(stderr, "explanation lacks '%s': %s\n", text, r->explanation);
    assert_non_null(strstr(r->explanation, text));
}

/* ---- forged resets ---- */

static void
test_injected_race(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, "10.0.0.1", 40000, "10.0.0.2", 80);
    handshake(&t, 10000);
    send(&t, C, ACK | PSH, 100, 1000); /* 4 */
    send(&t, S, ACK, 1000, 10000);     /* 5 */
    struct rs_craft_seg r = {.flags = RST, .dt_us = 100, .retransmit = 1};
    seg(&t, S, &r);              /* 6: forged, seq = server's next */
    send(&t, S, ACK, 1000, 500); /* 7: the real server goes on */
    const struct rs_record *rec = t_done(&t);
    expect(rec, "injected_rst_race", RS_CONF_HIGH);
    has(rec, "Packet 6");
    has(rec, "packet 7");
}

static void
test_injected_burst(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, "10.0.0.1", 40001, "10.0.0.2", 80);
    handshake(&t, 10000);
    send(&t, C, ACK | PSH, 100, 1000);
    uint32_t x = t.f.next_seq[S];
    uint32_t off[3] = {0, 1460, 4380};
    for (int i = 0; i < 3; i++) {
        struct rs_craft_seg r = {
            .flags = RST, .dt_us = 50, .set_seq = 1, .seq = x + off[i], .retransmit = 1};
        seg(&t, S, &r);
    }
    const struct rs_record *rec = t_done(&t);
    expect(rec, "injected_rst_burst", RS_CONF_HIGH);
    has(rec, "3 RSTs");
    has(rec, "offsets up to 4380");
}

static void
test_blind_reset(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, "10.0.0.1", 40002, "10.0.0.2", 80);
    handshake(&t, 10000);
    send(&t, C, ACK | PSH, 100, 1000);
    send(&t, S, ACK | PSH, 200, 1000);
    uint32_t x = t.f.next_seq[C];
    for (uint32_t i = 1; i <= 4; i++) {
        struct rs_craft_seg r = {
            .flags = RST, .dt_us = 1000, .set_seq = 1, .seq = x + i * 300000000u, .retransmit = 1};
        seg(&t, C, &r);
    }
    send(&t, C, ACK | PSH, 100, 1000); /* the session survives */
    send(&t, S, ACK | FIN, 0, 1000);
    send(&t, C, ACK | FIN, 0, 1000);
    const struct rs_record *rec = t_done(&t);
    expect(rec, "blind_reset_attempt", RS_CONF_MEDIUM);
    assert_int_equal(rec->end_reason, RS_END_TCP_FIN);
    assert_true(rec->rst_flags & RS_RSTF_OUT_OF_WINDOW);
    has(rec, "4 RSTs");
}

static void
test_ttl_forged(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, "10.0.0.1", 40003, "10.0.0.2", 80);
    t.f.ttl[S] = 52; /* 12 hops */
    handshake(&t, 10000);
    send(&t, C, ACK | PSH, 100, 1000);
    send(&t, S, ACK | PSH, 500, 10000);
    send(&t, C, ACK, 0, 1000);
    struct rs_craft_seg r = {.flags = RST | ACK, .dt_us = 1000, .ttl = 60}; /* 4 hops */
    seg(&t, S, &r);
    const struct rs_record *rec = t_done(&t);
    assert_true(rec->rst_flags & RS_RSTF_TTL_MISMATCH);
    has(rec, "4 hops");
    has(rec, "12");
    assert_int_not_equal(rec->rst_confidence, RS_CONF_HIGH);
}

/* ---- handshake-time resets ---- */

static void
test_refused(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, "10.0.0.1", 40004, "10.0.0.2", 81);
    send(&t, C, SYN, 0, 1000);
    send(&t, S, RST | ACK, 0, 300);
    const struct rs_record *rec = t_done(&t);
    expect(rec, "refused_closed_port", RS_CONF_HIGH);
    assert_int_equal(rec->end_reason, RS_END_RST_SERVER);
    assert_string_equal(rec->app, "incomplete");
    assert_string_equal(rec->conn_state, "REJ");
    has(rec, "port 81");
    has(rec, "packet 2");
}

static void
test_policy_reject(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, "10.0.0.1", 40005, "10.0.0.2", 80);
    t.f.ttl[S] = 50; /* the real server: 14 hops */
    handshake(&t, 20000);
    send(&t, C, ACK | FIN, 0, 1000);
    send(&t, S, ACK | FIN, 0, 20000);
    send(&t, C, ACK, 0, 1000);
    t_flow(&t, "10.0.0.1", 40006, "10.0.0.2", 22);
    t.f.ttl[S] = 63; /* the reject comes from one hop away */
    send(&t, C, SYN, 0, 1000000);
    send(&t, S, RST | ACK, 0, 200);
    rs_engine_finish(t.e);
    rs_engine_free(t.e);
    const struct rs_record *rec = NULL;
    for (int i = 0; i < t.n; i++)
        if (t.rec[i].server_port == 22)
            rec = &t.rec[i];
    assert_non_null(rec);
    if (!rec)
        return;
    expect(rec, "policy_reject", RS_CONF_MEDIUM);
    assert_true(rec->rst_flags & RS_RSTF_TTL_MISMATCH);
    has(rec, "1 hops");
    has(rec, "14 hops");
}

static void
test_listen_overflow(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, "10.0.0.1", 40007, "10.0.0.2", 80);
    handshake(&t, 5000);
    struct rs_craft_seg r = {.flags = RST, .dt_us = 400};
    seg(&t, S, &r);
    const struct rs_record *rec = t_done(&t);
    expect(rec, "listen_overflow_reset", RS_CONF_MEDIUM);
    has(rec, "0.400 ms");
}

static void
test_handshake_abandoned(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, "10.0.0.1", 40008, "10.0.0.2", 80);
    send(&t, C, SYN, 0, 1000);
    send(&t, S, SYN | ACK, 0, 3000);
    send(&t, C, RST, 0, 100);
    const struct rs_record *rec = t_done(&t);
    expect(rec, "handshake_abandoned", RS_CONF_HIGH);
    assert_int_equal(rec->end_reason, RS_END_RST_CLIENT);
    has(rec, "packet 2");
    has(rec, "packet 3");
}

static void
test_bad_synack(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, "10.0.0.1", 40009, "10.0.0.2", 80);
    send(&t, C, SYN, 0, 1000);
    struct rs_craft_seg sa = {.flags = SYN | ACK, .dt_us = 3000, .set_ack = 1, .ack = 777};
    seg(&t, S, &sa);
    struct rs_craft_seg r = {.flags = RST, .dt_us = 100, .set_seq = 1, .seq = 777, .retransmit = 1};
    seg(&t, C, &r);
    const struct rs_record *rec = t_done(&t);
    expect(rec, "bad_synack_reset", RS_CONF_HIGH);
    has(rec, "acknowledged 777");
    has(rec, "1000001");
}

static void
test_half_open(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, "10.0.0.1", 40010, "10.0.0.2", 80);
    send(&t, C, SYN, 0, 1000);
    struct rs_craft_seg ca = {.flags = ACK, .dt_us = 3000, .set_ack = 1, .ack = 4242};
    seg(&t, S, &ca);
    struct rs_craft_seg r = {
        .flags = RST, .dt_us = 100, .set_seq = 1, .seq = 4242, .retransmit = 1};
    seg(&t, C, &r);
    const struct rs_record *rec = t_done(&t);
    expect(rec, "half_open_recovery", RS_CONF_HIGH);
    has(rec, "ack 4242");
}

/* ---- endpoint aborts ---- */

static void
test_abort_unread(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, "10.0.0.1", 40011, "10.0.0.2", 80);
    handshake(&t, 1000);
    send(&t, C, ACK | PSH, 300, 1000); /* 4 */
    send(&t, S, ACK, 0, 1000);         /* 5 */
    send(&t, S, RST | ACK, 0, 50000);  /* 6 */
    const struct rs_record *rec = t_done(&t);
    expect(rec, "abort_unread_data", RS_CONF_HIGH);
    assert_int_equal(rec->end_reason, RS_END_RST_SERVER);
    has(rec, "packet 4");
    has(rec, "packet 6");
}

static void
test_client_abort_midtransfer(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, "10.0.0.1", 40012, "10.0.0.2", 80);
    handshake(&t, 1000);
    send(&t, C, ACK | PSH, 100, 1000);
    for (int i = 0; i < 4; i++)
        send(&t, S, ACK, 1448, 100);
    send(&t, C, ACK, 0, 100); /* acks everything so far */
    send(&t, S, ACK, 1448, 100);
    send(&t, S, ACK, 1448, 100);
    send(&t, C, RST | ACK, 0, 100);
    const struct rs_record *rec = t_done(&t);
    expect(rec, "client_abort_midtransfer", RS_CONF_HIGH);
    assert_int_equal(rec->inflight_server_bytes, 2896);
    has(rec, "2896 bytes");
}

static void
test_abortive_close(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, "10.0.0.1", 40013, "10.0.0.2", 80);
    handshake(&t, 1000);
    send(&t, C, ACK | PSH, 100, 1000);
    send(&t, S, ACK | PSH, 400, 2000);
    send(&t, C, ACK, 0, 1000);
    send(&t, C, RST | ACK, 0, 2000000);
    const struct rs_record *rec = t_done(&t);
    expect(rec, "abortive_close", RS_CONF_MEDIUM);
    assert_int_equal(rec->inflight_client_bytes, 0);
    assert_int_equal(rec->inflight_server_bytes, 0);
    has(rec, "packet 7");
}

/* A client that aborts at once after one complete reply (nothing in flight):
 * the exchange was finished, not a transfer cut short. */
static void
test_abortive_close_right_after_reply(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, "10.0.0.1", 40025, "10.0.0.2", 80);
    handshake(&t, 1000);
    send(&t, C, ACK | PSH, 22, 100);
    send(&t, S, ACK, 0, 50);
    send(&t, S, ACK | PSH, 23, 100);
    send(&t, C, ACK, 0, 50);
    send(&t, C, RST | ACK, 0, 260);
    const struct rs_record *rec = t_done(&t);
    expect(rec, "abortive_close", RS_CONF_MEDIUM);
}

static void
test_data_after_close(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, "10.0.0.1", 40014, "10.0.0.2", 80);
    handshake(&t, 1000);
    send(&t, C, ACK | PSH, 100, 1000);
    send(&t, S, ACK | PSH, 400, 1000);
    send(&t, S, ACK | FIN, 0, 1000);   /* 6 */
    send(&t, C, ACK | PSH, 120, 1000); /* 7: a new request on a closing connection */
    send(&t, S, RST, 0, 200);          /* 8 */
    const struct rs_record *rec = t_done(&t);
    expect(rec, "data_after_close", RS_CONF_HIGH);
    has(rec, "packet 6");
    has(rec, "packet 7");
    has(rec, "packet 8");
}

static void
test_stale_peer(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, "10.0.0.1", 40015, "10.0.0.2", 80);
    handshake(&t, 1000);
    send(&t, C, ACK | PSH, 100, 1000);
    send(&t, S, ACK | PSH, 100, 1000);
    send(&t, C, ACK | PSH, 100, 5000000); /* 6: 5 s later; the server rebooted */
    uint32_t ack = t.f.next_seq[S];
    struct rs_craft_seg r = {.flags = RST, .dt_us = 300, .set_seq = 1, .seq = ack, .retransmit = 1};
    seg(&t, S, &r);
    const struct rs_record *rec = t_done(&t);
    expect(rec, "stale_peer_state", RS_CONF_MEDIUM);
    has(rec, "packet 6");
}

/* ---- timeouts ---- */

static void
test_idle_middlebox_both(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, "10.0.0.1", 40016, "10.0.0.2", 80);
    handshake(&t, 1000);
    send(&t, C, ACK | PSH, 100, 1000);
    send(&t, S, ACK | PSH, 100, 1000);
    send(&t, C, ACK, 0, 1000);
    send(&t, S, RST | ACK, 0, 120000000); /* 2 minutes of silence */
    send(&t, C, RST | ACK, 0, 300);
    const struct rs_record *rec = t_done(&t);
    expect(rec, "idle_timeout_middlebox", RS_CONF_HIGH);
    assert_int_equal(rec->rst_by, RS_RST_BY_BOTH);
    assert_true(rec->rst_flags & RS_RSTF_AFTER_IDLE);
    has(rec, "120 s");
}

static void
test_idle_middlebox_ttl(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, "10.0.0.1", 40017, "10.0.0.2", 80);
    t.f.ttl[S] = 50;
    handshake(&t, 1000);
    send(&t, C, ACK | PSH, 100, 1000);
    send(&t, S, ACK | PSH, 100, 1000);
    send(&t, C, ACK | PSH, 100, 40000000); /* after 40 s idle */
    struct rs_craft_seg r = {.flags = RST | ACK, .dt_us = 200, .ttl = 62};
    seg(&t, S, &r);
    const struct rs_record *rec = t_done(&t);
    expect(rec, "idle_timeout_middlebox", RS_CONF_HIGH);
    has(rec, "40 s");
}

static void
test_idle_nat(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, "10.0.0.1", 40018, "10.0.0.2", 80);
    handshake(&t, 1000);
    send(&t, C, ACK | PSH, 100, 1000);
    send(&t, S, ACK | PSH, 100, 1000);
    send(&t, C, ACK | PSH, 100, 90000000); /* after 90 s idle */
    send(&t, S, RST | ACK, 0, 200);
    const struct rs_record *rec = t_done(&t);
    expect(rec, "idle_timeout_nat", RS_CONF_MEDIUM);
    has(rec, "90 s");
}

static void
test_keepalive(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, "10.0.0.1", 40019, "10.0.0.2", 80);
    handshake(&t, 1000);
    send(&t, C, ACK | PSH, 100, 1000);
    send(&t, S, ACK | PSH, 100, 1000);
    send(&t, C, ACK, 0, 1000);
    for (int i = 0; i < 4; i++) {
        struct rs_craft_seg k = {.flags = ACK,
                                 .dt_us = 10000000,
                                 .set_seq = 1,
                                 .seq = t.f.next_seq[C] - 1,
                                 .retransmit = 1};
        seg(&t, C, &k);
    }
    send(&t, C, RST | ACK, 0, 10000000);
    const struct rs_record *rec = t_done(&t);
    expect(rec, "keepalive_timeout", RS_CONF_HIGH);
    has(rec, "4 keepalive probes 10.0 s apart");
}

static void
test_retransmit_giveup(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, "10.0.0.1", 40020, "10.0.0.2", 80);
    handshake(&t, 1000);
    uint32_t seq = t.f.next_seq[C];
    send(&t, C, ACK | PSH, 500, 1000);
    int64_t gap = 200000;
    for (int i = 0; i < 4; i++) {
        struct rs_craft_seg s = {.flags = ACK | PSH,
                                 .payload = data,
                                 .len = 500,
                                 .dt_us = gap,
                                 .set_seq = 1,
                                 .seq = seq,
                                 .retransmit = 1};
        seg(&t, C, &s);
        gap *= 2;
    }
    send(&t, C, RST | ACK, 0, gap);
    const struct rs_record *rec = t_done(&t);
    expect(rec, "retransmit_giveup", RS_CONF_HIGH);
    has(rec, "4 times");
    assert_int_equal(rec->inflight_client_bytes, 500);
}

static void
test_timewait(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, "10.0.0.1", 40021, "10.0.0.2", 80);
    handshake(&t, 1000);
    send(&t, C, ACK | PSH, 100, 1000);
    send(&t, S, ACK | PSH, 100, 1000);
    send(&t, C, ACK | FIN, 0, 1000);
    send(&t, S, ACK | FIN, 0, 1000);
    send(&t, C, ACK, 0, 1000);    /* 8 */
    send(&t, S, RST, 0, 2000000); /* 9 */
    const struct rs_record *rec = t_done(&t);
    expect(rec, "timewait_reset", RS_CONF_MEDIUM);
    has(rec, "packet 9");
    has(rec, "packet 7");
    has(rec, "2.0");
}

static void
test_payload(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, "10.0.0.1", 40022, "10.0.0.2", 80);
    handshake(&t, 1000);
    send(&t, C, ACK | PSH, 100, 1000);
    send(&t, S, ACK | PSH, 100, 1000);
    uint32_t acked = t.f.next_seq[C];
    send(&t, C, ACK | PSH, 100, 1000); /* not acknowledged */
    static const char why[] = "policy:\tblocked\n";
    struct rs_craft_seg r = {.flags = RST | ACK,
                             .dt_us = 500,
                             .set_ack = 1,
                             .ack = acked,
                             .payload = (const uint8_t *)why,
                             .len = sizeof why - 1};
    seg(&t, S, &r);
    const struct rs_record *rec = t_done(&t);
    expect(rec, "diag_payload_reset", RS_CONF_HIGH);
    assert_true(rec->rst_flags & RS_RSTF_PAYLOAD);
    has(rec, "policy:\\x09blocked\\x0a");
}

static void
test_out_of_window(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, "10.0.0.1", 40023, "10.0.0.2", 80);
    handshake(&t, 1000);
    send(&t, C, ACK | PSH, 100, 1000);
    struct rs_craft_seg r = {.flags = RST,
                             .dt_us = 500,
                             .set_seq = 1,
                             .seq = t.f.next_seq[S] + 100000000u,
                             .retransmit = 1};
    seg(&t, S, &r);
    send(&t, S, ACK | PSH, 100, 1000);
    send(&t, C, ACK | FIN, 0, 1000);
    send(&t, S, ACK | FIN, 0, 1000);
    const struct rs_record *rec = t_done(&t);
    expect(rec, "rst_out_of_window", RS_CONF_HIGH);
    assert_int_equal(rec->end_reason, RS_END_TCP_FIN);
    assert_string_equal(rs_end_reason_name(rec->end_reason), "tcp-fin");
}

static void
test_unclassified_bare_rst(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, "10.0.0.1", 40024, "10.0.0.2", 80);
    send(&t, C, RST, 0, 1000);
    const struct rs_record *rec = t_done(&t);
    expect(rec, "unclassified", RS_CONF_LOW);
    has(rec, "began before the capture");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_injected_race),
        cmocka_unit_test(test_injected_burst),
        cmocka_unit_test(test_blind_reset),
        cmocka_unit_test(test_ttl_forged),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_policy_reject),
        cmocka_unit_test(test_listen_overflow),
        cmocka_unit_test(test_handshake_abandoned),
        cmocka_unit_test(test_bad_synack),
        cmocka_unit_test(test_half_open),
        cmocka_unit_test(test_abort_unread),
        cmocka_unit_test(test_client_abort_midtransfer),
        cmocka_unit_test(test_abortive_close),
        cmocka_unit_test(test_abortive_close_right_after_reply),
        cmocka_unit_test(test_data_after_close),
        cmocka_unit_test(test_stale_peer),
        cmocka_unit_test(test_idle_middlebox_both),
        cmocka_unit_test(test_idle_middlebox_ttl),
        cmocka_unit_test(test_idle_nat),
        cmocka_unit_test(test_keepalive),
        cmocka_unit_test(test_retransmit_giveup),
        cmocka_unit_test(test_timewait),
        cmocka_unit_test(test_payload),
        cmocka_unit_test(test_out_of_window),
        cmocka_unit_test(test_unclassified_bare_rst),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
