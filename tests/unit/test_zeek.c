/*
 * test_zeek.c - Zeek's conn_state values and history rules, on sessions made
 * by the project's packet writer (rs_craft) and run through the whole
 * pipeline with the zeek profile, so the rules stay right without the shared
 * corpus. Expected values follow Zeek's documentation of conn.log
 * (base/protocols/conn/main.zeek) and its TCP analyzer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "unit/session_harness.h"
#include "verdict/verdict.h"

static void
t_init_cfg(struct t *t, uint16_t cport, uint16_t sport, int verify)
{
    t_start(t, RS_PROFILE_ZEEK, verify, "10.1.0.1", cport, "10.1.0.2", sport);
}

static void
t_init(struct t *t, uint16_t cport, uint16_t sport)
{
    t_init_cfg(t, cport, sport, 0);
}

/* A segment 1 ms after the previous one. */
static void
sendz(struct t *t, int dir, uint16_t flags, size_t len)
{
    send(t, dir, flags, len, 1000);
}

static void
udp(struct t *t, int dir, size_t len, int64_t dt_us)
{
    struct rs_craft_udp u = {0};
    u.ip = t->f.ip;
    if (dir == S) {
        u.ip.src = t->f.ip.dst;
        u.ip.dst = t->f.ip.src;
    }
    u.sport = t->f.port[dir];
    u.dport = t->f.port[!dir];
    u.payload = data;
    u.payload_len = len;
    size_t n = rs_craft_udp(&u, t->buf, sizeof t->buf);
    assert_true(n > 0);
    t->f.now += dt_us * 1000;
    struct rs_packet p = {.ts = t->f.now,
                          .caplen = (uint32_t)n,
                          .len = (uint32_t)n,
                          .linktype = rs_craft_linktype(u.ip.link),
                          .number = ++t->f.packets,
                          .data = t->buf};
    rs_engine_packet(t->e, &p);
}

static void
expect1(struct t *t, const char *state, const char *history)
{
    finish(t);
    assert_int_equal(t->n, 1);
    if (strcmp(t->rec[0].conn_state, state) != 0 || strcmp(t->rec[0].history, history) != 0)
        fprintf(stderr, "got %s %s\n", t->rec[0].conn_state, t->rec[0].history);
    assert_string_equal(t->rec[0].conn_state, state);
    assert_string_equal(t->rec[0].history, history);
}

static void
handshake(struct t *t)
{
    sendz(t, C, SYN, 0);
    sendz(t, S, SYN | ACK, 0);
    sendz(t, C, ACK, 0);
}

/* ---- conn_state ---- */

static void
test_sf(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, 40000, 8080);
    handshake(&t);
    sendz(&t, C, ACK | PSH, 10);
    sendz(&t, S, ACK | PSH, 20);
    sendz(&t, C, ACK | FIN, 0);
    sendz(&t, S, ACK | FIN, 0);
    sendz(&t, C, ACK, 0);
    expect1(&t, "SF", "ShADdFf");
    assert_int_equal(t.rec[0].client_bytes, 10);
    assert_int_equal(t.rec[0].server_bytes, 20);
}

static void
test_s0_and_attempt_timer(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, 40001, 8080);
    sendz(&t, C, SYN, 0);
    /* the same SYN 7 s later: Zeek removed the attempt after 5 s */
    struct rs_craft_seg again = {
        .flags = SYN, .dt_us = 7000000, .set_seq = 1, .seq = t.f.next_seq[C] - 1, .retransmit = 1};
    seg(&t, C, &again);
    finish(&t);
    assert_int_equal(t.n, 2);
    assert_string_equal(t.rec[0].conn_state, "S0");
    assert_string_equal(t.rec[0].history, "S");
    assert_int_equal(t.rec[0].end_reason, RS_END_AGED_OUT);
    assert_string_equal(t.rec[1].conn_state, "S0");
}

static void
test_rej(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, 40002, 8080);
    sendz(&t, C, SYN, 0);
    sendz(&t, S, RST | ACK, 0);
    expect1(&t, "REJ", "Sr");
}

static void
test_s1(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, 40003, 8080);
    handshake(&t);
    sendz(&t, C, ACK | PSH, 10);
    sendz(&t, S, ACK, 0);
    expect1(&t, "S1", "ShADa");
}

static void
test_s2_s3(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, 40004, 8080);
    handshake(&t);
    sendz(&t, C, ACK | FIN, 0);
    expect1(&t, "S2", "ShAF");
    t_init(&t, 40005, 8080);
    handshake(&t);
    sendz(&t, S, ACK | FIN, 0);
    expect1(&t, "S3", "ShAf");
}

static void
test_sh_shr(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, 40006, 8080);
    sendz(&t, C, SYN, 0);
    sendz(&t, C, FIN, 0);
    expect1(&t, "SH", "SF");
    /* responder only (seen from a likely server port): flipped, then its FIN */
    t_init(&t, 40007, 80);
    sendz(&t, S, ACK | PSH, 10);
    sendz(&t, S, ACK | FIN, 0);
    expect1(&t, "SHR", "^df");
}

static void
test_rsto_rstr(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, 40008, 8080);
    handshake(&t);
    sendz(&t, C, ACK | PSH, 10);
    sendz(&t, C, RST | ACK, 0);
    expect1(&t, "RSTO", "ShADR");
    t_init(&t, 40009, 8080);
    handshake(&t);
    sendz(&t, C, ACK | PSH, 10);
    sendz(&t, S, RST | ACK, 0);
    expect1(&t, "RSTR", "ShADr");
}

static void
test_rstos0_rstrh(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, 40010, 8080);
    sendz(&t, C, SYN, 0);
    sendz(&t, C, RST, 0);
    expect1(&t, "RSTOS0", "SR");
    /* SYN-ACK from a likely server port, then its RST: the originator never spoke */
    t_init(&t, 40011, 80);
    sendz(&t, S, SYN | ACK, 0);
    sendz(&t, S, RST, 0);
    expect1(&t, "RSTRH", "^hr");
}

static void
test_oth(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, 40012, 8080);
    sendz(&t, C, ACK | PSH, 10);
    expect1(&t, "OTH", "D");
}

/* ---- history rules ---- */

static void
test_retransmissions_log_scale(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, 40013, 8080);
    handshake(&t);
    uint32_t seq = t.f.next_seq[C];
    sendz(&t, C, ACK | PSH, 100);
    for (int i = 0; i < 10; i++) {
        struct rs_craft_seg r = {.flags = ACK | PSH,
                                 .payload = data,
                                 .len = 100,
                                 .dt_us = 1000,
                                 .set_seq = 1,
                                 .seq = seq,
                                 .retransmit = 1};
        seg(&t, C, &r);
    }
    /* 't' on the 1st and the 10th retransmission (log scale) */
    expect1(&t, "S1", "ShADTT");
}

static void
test_zero_window_fin_rst_multi_flag(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, 40014, 8080);
    handshake(&t);
    struct rs_craft_seg z = {.flags = ACK, .dt_us = 1000, .set_window = 1, .window = 0};
    seg(&t, S, &z);
    sendz(&t, C, FIN | RST | ACK, 0);
    finish(&t);
    assert_string_equal(t.rec[0].history, "ShAawI"); /* the zero-window ACK is also 'a' */

    t_init(&t, 40015, 8080);
    sendz(&t, C, SYN | FIN, 0);
    finish(&t);
    assert_string_equal(t.rec[0].history, "Q");
}

static void
test_repeated_fin_seq(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, 40016, 8080);
    handshake(&t);
    uint32_t seq = t.f.next_seq[C];
    sendz(&t, C, ACK | FIN, 0);
    /* the same FIN again: once; a FIN at another sequence number: again */
    struct rs_craft_seg f1 = {
        .flags = ACK | FIN, .dt_us = 1000, .set_seq = 1, .seq = seq, .retransmit = 1};
    seg(&t, C, &f1);
    struct rs_craft_seg f2 = {.flags = ACK | FIN, .dt_us = 1000, .set_seq = 1, .seq = seq + 5};
    seg(&t, C, &f2);
    finish(&t);
    assert_string_equal(t.rec[0].history, "ShAFF");
}

static void
test_gap_missed_bytes(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, 40017, 8080);
    handshake(&t);
    sendz(&t, C, ACK | PSH, 100);
    t.f.next_seq[C] += 300; /* 300 bytes never captured */
    sendz(&t, C, ACK | PSH, 100);
    sendz(&t, S, ACK, 0);
    finish(&t);
    assert_string_equal(t.rec[0].history, "ShADaG");
    assert_int_equal(t.rec[0].missed_bytes, 300);
    assert_int_equal(t.rec[0].client_bytes, 500);
}

static void
test_bad_checksum(void **state)
{
    (void)state;
    struct t t;
    t_init_cfg(&t, 40018, 8080, 1);
    handshake(&t);
    struct rs_craft_seg b = {
        .flags = ACK | PSH, .payload = data, .len = 10, .dt_us = 1000, .bad_checksum = 1};
    seg(&t, C, &b);
    finish(&t);
    assert_string_equal(t.rec[0].history, "ShAC");
    assert_int_equal(t.rec[0].client_pkts, 2); /* the bad segment is not counted */
}

static void
test_flip_synack_first(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, 40019, 9999);
    /* SYN-ACK seen before the SYN (reordered capture): Zeek flips on the SYN */
    struct rs_craft_seg sa = {
        .flags = SYN | ACK, .dt_us = 1000, .set_ack = 1, .ack = t.f.next_seq[C] + 1};
    seg(&t, S, &sa);
    sendz(&t, C, SYN, 0);
    finish(&t);
    assert_int_equal(t.n, 1);
    assert_string_equal(t.rec[0].history, "Hs^");
    assert_int_equal(t.rec[0].client_port, 40019);
}

/* ---- UDP ---- */

static void
test_udp_states(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, 40020, 9999);
    udp(&t, C, 10, 1000);
    udp(&t, S, 20, 1000);
    expect1(&t, "SF", "Dd");
    assert_int_equal(t.rec[0].client_bytes, 10);
    t_init(&t, 40021, 9999);
    udp(&t, C, 10, 1000);
    expect1(&t, "S0", "D");
    /* from a likely server port to one that is not: flipped, responder only */
    t_init(&t, 40022, 53);
    udp(&t, S, 30, 1000);
    expect1(&t, "SHR", "^d");
}

static void
test_udp_dns_timer(void **state)
{
    (void)state;
    struct t t;
    t_init(&t, 40023, 53);
    udp(&t, C, 30, 1000);
    udp(&t, S, 60, 1000);
    udp(&t, C, 30, 12000000); /* 12 s later: Zeek's DNS timer removed the first */
    finish(&t);
    assert_int_equal(t.n, 2);
    assert_string_equal(t.rec[0].history, "Dd");
    assert_string_equal(t.rec[1].history, "D");
}

/* The uid as it was first written (one base-62 digit per division): the
 * faster form must give the same text for the same seed and session. */
static void
uid_reference(uint64_t seed, uint64_t id, char out[20])
{
    static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    uint64_t x = id * UINT64_C(0x9e3779b97f4a7c15) ^ seed;
    uint64_t y = (x ^ (x >> 31)) * UINT64_C(0xbf58476d1ce4e5b9);
    y ^= y >> 29;
    out[0] = 'C';
    int n = 1;
    for (int i = 0; i < 2; i++) {
        uint64_t v = i ? y : x * UINT64_C(0x94d049bb133111eb) + id;
        for (int k = 0; k < 9 && n < 18; k++) {
            out[n++] = b62[v % 62];
            v /= 62;
        }
    }
    out[n] = '\0';
}

/* Zeek-style uids: 'C' and 17 base-62 digits, the same as the reference
 * for every seed and session number tried, distinct for distinct sessions. */
static void
test_uid_text(void **state)
{
    (void)state;
    uint64_t seed = UINT64_C(0x243f6a8885a308d3);
    char got[20], want[20], prev[20] = "";
    for (uint64_t i = 0; i < 200000; i++) {
        uint64_t id = i < 100000 ? i : i * UINT64_C(0x9e3779b97f4a7c15); /* small and huge */
        if (i % 1000 == 0)
            seed = seed * UINT64_C(6364136223846793005) + 1442695040888963407u;
        memset(got, 'x', sizeof got);
        rs_verdict_uid(seed, id, got);
        uid_reference(seed, id, want);
        assert_string_equal(got, want);
        assert_int_equal(strlen(got), 18);
        assert_int_equal(
            strspn(got + 1, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"), 17);
        assert_string_not_equal(got, prev);
        memcpy(prev, got, sizeof prev);
    }
}

/* ---- FTP data channels (service "ftp-data") ---- */

/* A text line from `dir` of flow f, fed through t's engine. */
static void
say(struct t *t, struct rs_craft_flow *f, int dir, const char *text)
{
    struct rs_craft_seg s = {0};
    s.flags = ACK | PSH;
    s.payload = (const uint8_t *)text;
    s.len = strlen(text);
    s.dt_us = 1000;
    struct rs_packet p;
    assert_true(rs_craft_flow_build(f, dir, &s, t->buf, sizeof t->buf, &p) > 0);
    rs_engine_packet(t->e, &p);
}

/* A whole short session on flow f (its clock set to the control's), from
 * `from` (the side that connects). */
static void
data_session(struct t *t, struct rs_craft_flow *f, const char *a, uint16_t ap, const char *b,
             uint16_t bp, int64_t after_s)
{
    assert_int_equal(rs_craft_flow_init(f, a, ap, b, bp, t->f.now + after_s * RS_NS_PER_SEC), 0);
    const uint16_t fl[] = {SYN, SYN | ACK, ACK, ACK | PSH, ACK | FIN, ACK | FIN, ACK};
    const int dir[] = {C, S, C, S, S, C, S};
    for (size_t i = 0; i < sizeof fl / sizeof fl[0]; i++) {
        struct rs_craft_seg s = {0};
        s.flags = fl[i];
        s.payload = fl[i] & PSH ? data : NULL;
        s.len = fl[i] & PSH ? 300 : 0;
        s.dt_us = 1000;
        struct rs_packet p;
        assert_true(rs_craft_flow_build(f, dir[i], &s, t->buf, sizeof t->buf, &p) > 0);
        rs_engine_packet(t->e, &p);
    }
    t->f.now = f->now;
}

static const struct rs_record *
rec_by_ports(const struct t *t, uint16_t cport, uint16_t sport)
{
    for (int i = 0; i < t->n; i++)
        if (t->rec[i].client_port == cport && t->rec[i].server_port == sport)
            return &t->rec[i];
    fail_msg("no record %u -> %u", cport, sport);
    return NULL;
}

static void
test_ftp_data(void **state)
{
    (void)state;
    struct t t;
    t_start(&t, RS_PROFILE_ZEEK, 0, "10.1.0.1", 40000, "10.1.0.2", 21);
    handshake(&t);
    say(&t, &t.f, S, "220 FTP server ready\r\n");
    say(&t, &t.f, C, "USER anonymous\r\n");
    say(&t, &t.f, S, "331 Password required\r\n");
    say(&t, &t.f, C, "PASV\r\n");
    /* RFC 959 §4.2: 195 * 256 + 80 = 50000. */
    say(&t, &t.f, S, "227 Entering Passive Mode (10,1,0,2,195,80).\r\n");
    struct rs_craft_flow d;
    data_session(&t, &d, "10.1.0.1", 40001, "10.1.0.2", 50000, 0);
    /* PORT (RFC 959 §4.1.2): the server connects, from port 20. */
    say(&t, &t.f, C, "PORT 10,1,0,1,156,66\r\n");
    data_session(&t, &d, "10.1.0.2", 20, "10.1.0.1", 40002, 0);
    /* Two on one segment, EPSV's reply and EPRT (RFC 2428 §3, §2). */
    say(&t, &t.f, S, "200 ok\r\n229 Entering Extended Passive Mode (|||50001|)\r\n");
    data_session(&t, &d, "10.1.0.1", 40003, "10.1.0.2", 50001, 0);
    say(&t, &t.f, C, "EPRT |1|10.1.0.1|40004|\r\n");
    data_session(&t, &d, "10.1.0.2", 20, "10.1.0.1", 40004, 0);
    /* Not announced: a port never named, the announced port from the other
     * side, and a PORT for a third host (FXP), which is not followed. */
    data_session(&t, &d, "10.1.0.1", 40005, "10.1.0.2", 50002, 0);
    data_session(&t, &d, "10.1.0.2", 40006, "10.1.0.1", 50000, 0);
    say(&t, &t.f, C, "PORT 10,1,0,9,156,71\r\n");
    data_session(&t, &d, "10.1.0.2", 20, "10.1.0.9", 40007, 0);
    /* An announcement stands five minutes. */
    say(&t, &t.f, S, "227 Entering Passive Mode (10,1,0,2,195,83)\r\n");
    data_session(&t, &d, "10.1.0.1", 40008, "10.1.0.2", 50003, 301);
    struct rs_engine_stats st;
    rs_engine_stats(t.e, &st);
    assert_int_equal(st.ftp_expected, 5); /* not the PORT for a third host */
    finish(&t);

    assert_string_equal(rec_by_ports(&t, 40000, 21)->app, "ftp");
    assert_string_equal(rec_by_ports(&t, 40001, 50000)->app, "ftp-data");
    assert_string_equal(rec_by_ports(&t, 20, 40002)->app, "ftp-data");
    assert_string_equal(rec_by_ports(&t, 40003, 50001)->app, "ftp-data");
    assert_string_equal(rec_by_ports(&t, 20, 40004)->app, "ftp-data");
    assert_string_not_equal(rec_by_ports(&t, 40005, 50002)->app, "ftp-data");
    assert_string_not_equal(rec_by_ports(&t, 40006, 50000)->app, "ftp-data");
    assert_string_not_equal(rec_by_ports(&t, 20, 40007)->app, "ftp-data");
    assert_string_not_equal(rec_by_ports(&t, 40008, 50003)->app, "ftp-data");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uid_text),
        cmocka_unit_test(test_sf),
        cmocka_unit_test(test_s0_and_attempt_timer),
        cmocka_unit_test(test_rej),
        cmocka_unit_test(test_s1),
        cmocka_unit_test(test_s2_s3),
        cmocka_unit_test(test_sh_shr),
        cmocka_unit_test(test_rsto_rstr),
        cmocka_unit_test(test_rstos0_rstrh),
        cmocka_unit_test(test_oth),
        cmocka_unit_test(test_retransmissions_log_scale),
        cmocka_unit_test(test_zero_window_fin_rst_multi_flag),
        cmocka_unit_test(test_repeated_fin_seq),
        cmocka_unit_test(test_gap_missed_bytes),
        cmocka_unit_test(test_bad_checksum),
        cmocka_unit_test(test_flip_synack_first),
        cmocka_unit_test(test_udp_states),
        cmocka_unit_test(test_udp_dns_timer),
        cmocka_unit_test(test_ftp_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
