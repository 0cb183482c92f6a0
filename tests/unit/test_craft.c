/*
 * test_craft.c - the packet writer: header layout, checksums (verified by an
 * independent one's-complement sum here, and by tcpdump when it is
 * installed), the flow helper's sequence tracking, and pcap round trips
 * through rs_pcap_writer and rs_capture.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rstscope/capture.h>
#include <rstscope/craft.h>

/* ---- an independent checksum verifier ---- */

static uint32_t
words(const uint8_t *p, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += (i % 2 == 0) ? (uint32_t)p[i] * 256u : p[i];
    return s;
}

/* 1 if the one's-complement sum over everything (checksum included) is 0xffff. */
static int
sums_to_ffff(uint32_t s)
{
    while (s > 0xffff)
        s = (s & 0xffff) + (s >> 16);
    return s == 0xffff;
}

static size_t
l3_offset(const uint8_t *f)
{
    uint16_t et = (uint16_t)(f[12] << 8 | f[13]);
    return et == 0x8100 ? 18 : 14;
}

/* Verifies IP header (v4) and transport checksums of the IP packet at ip. */
static void
verify_ip(const uint8_t *ip, size_t len, int *ip_ok, int *l4_ok)
{
    uint8_t pseudo[40];
    size_t plen, off, l4len;
    uint8_t proto;
    if ((ip[0] >> 4) == 4) {
        size_t ihl = (size_t)(ip[0] & 15) * 4;
        *ip_ok = sums_to_ffff(words(ip, ihl));
        proto = ip[9];
        off = ihl;
        l4len = (size_t)(ip[2] << 8 | ip[3]) - ihl;
        memcpy(pseudo, ip + 12, 8);
        pseudo[8] = 0;
        pseudo[9] = proto;
        pseudo[10] = (uint8_t)(l4len >> 8);
        pseudo[11] = (uint8_t)l4len;
        plen = proto == 1 ? 0 : 12; /* ICMPv4 has no pseudo-header */
    } else {
        *ip_ok = 1;
        proto = ip[6];
        off = 40;
        l4len = (size_t)(ip[4] << 8 | ip[5]);
        memcpy(pseudo, ip + 8, 32);
        memset(pseudo + 32, 0, 8);
        pseudo[34] = (uint8_t)(l4len >> 8);
        pseudo[35] = (uint8_t)l4len;
        pseudo[39] = proto;
        plen = 40;
    }
    assert_true(off + l4len <= len);
    *l4_ok = sums_to_ffff(words(pseudo, plen) + words(ip + off, l4len));
}

static struct rs_addr
addr(const char *s)
{
    struct rs_addr a;
    assert_int_equal(rs_addr_parse(&a, s), 0);
    return a;
}

static uint32_t
be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t
be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* ---- builders ---- */

static void
test_rfc1071_example(void **state)
{
    (void)state;
    /* RFC 1071 section 3: these bytes sum to 0xddf2, so the checksum is ~0xddf2. */
    const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    assert_int_equal(rs_craft_checksum(b, sizeof b), 0x220d);
    /* Odd length: the last byte is padded with a zero. */
    const uint8_t c[] = {0x01};
    assert_int_equal(rs_craft_checksum(c, 1), 0xfeff);
    assert_int_equal(rs_craft_checksum(c, 0), 0xffff);
}

static void
test_tcp_v4_syn_layout(void **state)
{
    (void)state;
    struct rs_craft_tcp t;
    memset(&t, 0, sizeof t);
    t.ip.src = addr("10.0.0.1");
    t.ip.dst = addr("10.0.0.2");
    t.ip.ttl = 57;
    t.ip.ip_id = 0x1234;
    t.ip.df = 1;
    t.sport = 40000;
    t.dport = 443;
    t.seq = 0xfffffff0u;
    t.flags = RS_TCP_SYN;
    t.window = 64240;
    t.mss = 1460;
    t.sack_ok = 1;
    t.has_ts = 1;
    t.ts_val = 0x01020304;
    t.has_wscale = 1;
    t.wscale = 7;
    uint8_t f[200];
    size_t n = rs_craft_tcp(&t, f, sizeof f);
    assert_int_equal(n, 14 + 20 + 40);
    assert_int_equal(be16(f + 12), 0x0800);
    const uint8_t *ip = f + 14;
    assert_int_equal(ip[0], 0x45);
    assert_int_equal(be16(ip + 2), 60);
    assert_int_equal(be16(ip + 4), 0x1234);
    assert_int_equal(be16(ip + 6), 0x4000);
    assert_int_equal(ip[8], 57);
    assert_int_equal(ip[9], 6);
    const uint8_t src[4] = {10, 0, 0, 1};
    assert_memory_equal(ip + 12, src, 4);
    const uint8_t *tcp = ip + 20;
    assert_int_equal(be16(tcp), 40000);
    assert_int_equal(be16(tcp + 2), 443);
    assert_int_equal(be32(tcp + 4), 0xfffffff0u);
    assert_int_equal(tcp[12] >> 4, 10);
    assert_int_equal(tcp[13], RS_TCP_SYN);
    assert_int_equal(be16(tcp + 14), 64240);
    /* Linux's SYN option layout: MSS, SACK-permitted + TS, NOP + WS. */
    const uint8_t opts[] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 1, 2, 3, 4, 0, 0, 0, 0, 1, 3, 3, 7};
    assert_memory_equal(tcp + 20, opts, sizeof opts);
    int ip_ok, l4_ok;
    verify_ip(ip, n - 14, &ip_ok, &l4_ok);
    assert_true(ip_ok);
    assert_true(l4_ok);
}

static void
test_tcp_v6_raw_odd_payload(void **state)
{
    (void)state;
    const uint8_t payload[] = "GET / HTTP/1.1\r\n\r"; /* 17 bytes with the NUL: odd */
    struct rs_craft_tcp t;
    memset(&t, 0, sizeof t);
    t.ip.link = RS_CRAFT_LINK_RAW;
    t.ip.src = addr("2001:db8::1");
    t.ip.dst = addr("2001:db8::2");
    t.ip.ttl = 3;
    t.ip.tos = 0xb8;
    t.ip.flow_label = 0x12345;
    t.sport = 1234;
    t.dport = 80;
    t.seq = 7;
    t.ack = 9;
    t.flags = RS_TCP_PSH | RS_TCP_ACK | RS_TCP_NS;
    t.payload = payload;
    t.payload_len = sizeof payload;
    uint8_t f[200];
    size_t n = rs_craft_tcp(&t, f, sizeof f);
    assert_int_equal(n, 40 + 20 + sizeof payload);
    assert_int_equal(be32(f), 6u << 28 | 0xb8u << 20 | 0x12345u);
    assert_int_equal(be16(f + 4), 20 + sizeof payload);
    assert_int_equal(f[6], 6);
    assert_int_equal(f[7], 3);
    assert_int_equal(f[40 + 12], 5 << 4 | 1); /* data offset 5, NS bit */
    assert_memory_equal(f + 60, payload, sizeof payload);
    int ip_ok, l4_ok;
    verify_ip(f, n, &ip_ok, &l4_ok);
    assert_true(l4_ok);
}

static void
test_udp_and_zero_checksum(void **state)
{
    (void)state;
    struct rs_craft_udp u;
    memset(&u, 0, sizeof u);
    u.ip.src = addr("192.0.2.1");
    u.ip.dst = addr("192.0.2.53");
    u.sport = 5353;
    u.dport = 53;
    uint8_t payload[2] = {0, 0};
    u.payload = payload;
    u.payload_len = 2;
    uint8_t f[100];
    size_t n = rs_craft_udp(&u, f, sizeof f);
    assert_int_equal(n, 14 + 20 + 8 + 2);
    int ip_ok, l4_ok;
    verify_ip(f + 14, n - 14, &ip_ok, &l4_ok);
    assert_true(ip_ok && l4_ok);
    assert_int_equal(be16(f + 14 + 20 + 4), 10);
    /* Make the sum come out as 0: RFC 768 then sends 0xffff, never 0. */
    uint16_t c = be16(f + 14 + 20 + 6);
    payload[0] = (uint8_t)(c >> 8);
    payload[1] = (uint8_t)c;
    n = rs_craft_udp(&u, f, sizeof f);
    assert_int_equal(be16(f + 14 + 20 + 6), 0xffff);
    verify_ip(f + 14, n - 14, &ip_ok, &l4_ok);
    assert_true(l4_ok);
    u.zero_checksum = 1;
    rs_craft_udp(&u, f, sizeof f);
    assert_int_equal(be16(f + 14 + 20 + 6), 0);
    /* IPv6 has no "no checksum". */
    u.ip.src = addr("2001:db8::1");
    u.ip.dst = addr("2001:db8::53");
    n = rs_craft_udp(&u, f, sizeof f);
    assert_int_equal(n, 14 + 40 + 10);
    assert_int_equal(be16(f + 12), 0x86dd);
    verify_ip(f + 14, n - 14, &ip_ok, &l4_ok);
    assert_true(l4_ok);
    assert_int_not_equal(be16(f + 14 + 40 + 6), 0);
}

static void
test_icmp_v4_v6(void **state)
{
    (void)state;
    /* A port unreachable quoting a UDP datagram built with the raw link. */
    struct rs_craft_udp u;
    memset(&u, 0, sizeof u);
    u.ip.link = RS_CRAFT_LINK_RAW;
    u.ip.src = addr("192.0.2.1");
    u.ip.dst = addr("192.0.2.9");
    u.sport = 1111;
    u.dport = 9;
    u.payload = (const uint8_t *)"x";
    u.payload_len = 1;
    uint8_t quoted[64];
    size_t qn = rs_craft_udp(&u, quoted, sizeof quoted);
    assert_int_equal(qn, 29);

    struct rs_craft_icmp m;
    memset(&m, 0, sizeof m);
    m.ip.src = addr("192.0.2.9");
    m.ip.dst = addr("192.0.2.1");
    m.type = 3;
    m.code = 3;
    m.payload = quoted;
    m.payload_len = qn;
    uint8_t f[200];
    size_t n = rs_craft_icmp(&m, f, sizeof f);
    assert_int_equal(n, 14 + 20 + 8 + qn);
    assert_int_equal(f[14 + 9], 1);
    int ip_ok, l4_ok;
    verify_ip(f + 14, n - 14, &ip_ok, &l4_ok);
    assert_true(ip_ok && l4_ok);
    assert_memory_equal(f + 14 + 28, quoted, qn);

    /* ICMPv6 echo request: the checksum covers the pseudo-header. */
    memset(&m, 0, sizeof m);
    m.ip.src = addr("fe80::1");
    m.ip.dst = addr("fe80::2");
    m.type = 128;
    m.rest = 0x00010002;
    n = rs_craft_icmp(&m, f, sizeof f);
    assert_int_equal(n, 14 + 40 + 8);
    assert_int_equal(f[14 + 6], 58);
    verify_ip(f + 14, n - 14, &ip_ok, &l4_ok);
    assert_true(l4_ok);
}

static void
test_bad_checksums(void **state)
{
    (void)state;
    struct rs_craft_tcp t;
    memset(&t, 0, sizeof t);
    t.ip.src = addr("10.0.0.1");
    t.ip.dst = addr("10.0.0.2");
    t.flags = RS_TCP_ACK;
    uint8_t f[100];
    int ip_ok, l4_ok;
    /* Try many headers so that no particular checksum value escapes. */
    for (uint32_t i = 0; i < 2000; i++) {
        t.seq = i * 2654435761u;
        t.ip.ip_id = (uint16_t)i;
        t.bad_checksum = 1;
        t.ip.bad_ip_checksum = (int)(i & 1);
        size_t n = rs_craft_tcp(&t, f, sizeof f);
        verify_ip(f + 14, n - 14, &ip_ok, &l4_ok);
        assert_false(l4_ok);
        assert_int_equal(ip_ok, !(i & 1));
    }
    struct rs_craft_udp u;
    memset(&u, 0, sizeof u);
    u.ip.src = addr("10.0.0.1");
    u.ip.dst = addr("10.0.0.2");
    u.bad_checksum = 1;
    size_t n = rs_craft_udp(&u, f, sizeof f);
    verify_ip(f + 14, n - 14, &ip_ok, &l4_ok);
    assert_false(l4_ok);
    assert_int_not_equal(be16(f + 14 + 20 + 6), 0);
}

static void
test_limits_and_vlan(void **state)
{
    (void)state;
    struct rs_craft_tcp t;
    memset(&t, 0, sizeof t);
    t.ip.src = addr("10.0.0.1");
    t.ip.dst = addr("2001:db8::2");
    uint8_t f[100];
    assert_int_equal(rs_craft_tcp(&t, f, sizeof f), 0); /* mixed families */
    t.ip.dst = addr("10.0.0.2");
    assert_int_equal(rs_craft_tcp(&t, f, 53), 0); /* one byte short */
    assert_int_equal(rs_craft_tcp(&t, f, 54), 54);
    t.ip.vlan = 42;
    assert_int_equal(rs_craft_tcp(&t, f, sizeof f), 58);
    assert_int_equal(be16(f + 12), 0x8100);
    assert_int_equal(be16(f + 14), 42);
    assert_int_equal(be16(f + 16), 0x0800);
    assert_int_equal(l3_offset(f), 18);
    assert_int_equal(f[18 + 8], 64); /* default TTL */
    /* An IPv4 datagram cannot exceed 65535 bytes. */
    static uint8_t big[RS_CRAFT_MAX_FRAME], payload[65536];
    t.payload = payload;
    t.payload_len = 65535 - 40;
    assert_int_equal(rs_craft_tcp(&t, big, sizeof big), 18 + 65535);
    t.payload_len = 65535 - 39;
    assert_int_equal(rs_craft_tcp(&t, big, sizeof big), 0);
}

/* ---- flows ---- */

struct seg_view {
    uint32_t seq, ack;
    uint8_t flags, ttl;
    uint16_t ip_id, sport;
    size_t payload;
};

static struct seg_view
view(const uint8_t *f, size_t n)
{
    struct seg_view v;
    const uint8_t *ip = f + 14;
    const uint8_t *t = ip + 20;
    v.ttl = ip[8];
    v.ip_id = be16(ip + 4);
    v.sport = be16(t);
    v.seq = be32(t + 4);
    v.ack = be32(t + 8);
    v.flags = t[13];
    v.payload = n - 14 - 20 - (size_t)(t[12] >> 4) * 4;
    int ip_ok, l4_ok;
    verify_ip(ip, n - 14, &ip_ok, &l4_ok);
    assert_true(ip_ok && l4_ok);
    return v;
}

static struct seg_view
step(struct rs_craft_flow *fl, int dir, uint16_t flags, const char *data)
{
    static uint8_t f[2048];
    struct rs_craft_seg s;
    memset(&s, 0, sizeof s);
    s.flags = flags;
    s.payload = (const uint8_t *)data;
    s.len = data ? strlen(data) : 0;
    s.dt_us = 1000;
    struct rs_packet p;
    size_t n = rs_craft_flow_build(fl, dir, &s, f, sizeof f, &p);
    assert_int_not_equal(n, 0);
    assert_ptr_equal(p.data, f);
    assert_int_equal(p.caplen, n);
    return view(f, n);
}

static void
test_flow_tracks_seq_ack(void **state)
{
    (void)state;
    struct rs_craft_flow fl;
    assert_int_equal(rs_craft_flow_init(&fl, "10.1.1.1", 50000, "10.2.2.2", 80, RS_NS_PER_SEC), 0);
    const uint32_t c = 1000000, s = 5000000;
    const int C = RS_CRAFT_CLIENT, S = RS_CRAFT_SERVER;
    struct seg_view v = step(&fl, C, RS_TCP_SYN, NULL);
    assert_int_equal(v.seq, c);
    assert_int_equal(v.ack, 0);
    assert_int_equal(v.sport, 50000);
    v = step(&fl, S, RS_TCP_SYN | RS_TCP_ACK, NULL);
    assert_int_equal(v.seq, s);
    assert_int_equal(v.ack, c + 1);
    assert_int_equal(v.sport, 80);
    v = step(&fl, C, RS_TCP_ACK, NULL);
    assert_int_equal(v.seq, c + 1);
    assert_int_equal(v.ack, s + 1);
    v = step(&fl, C, RS_TCP_PSH | RS_TCP_ACK, "hello");
    assert_int_equal(v.seq, c + 1);
    assert_int_equal(v.payload, 5);
    v = step(&fl, S, RS_TCP_PSH | RS_TCP_ACK, "hi");
    assert_int_equal(v.seq, s + 1);
    assert_int_equal(v.ack, c + 6);
    v = step(&fl, C, RS_TCP_FIN | RS_TCP_ACK, NULL);
    assert_int_equal(v.seq, c + 6);
    assert_int_equal(v.ack, s + 3);
    v = step(&fl, S, RS_TCP_FIN | RS_TCP_ACK, NULL);
    assert_int_equal(v.seq, s + 3);
    assert_int_equal(v.ack, c + 7); /* the FIN took one */
    v = step(&fl, C, RS_TCP_ACK, NULL);
    assert_int_equal(v.seq, c + 7);
    assert_int_equal(v.ack, s + 4);
    assert_int_equal(fl.packets, 8);
    assert_int_equal(fl.now, RS_NS_PER_SEC + 8 * INT64_C(1000000));
    /* IP IDs count per side. */
    assert_int_equal(v.ip_id, 0x1000 + 4);
}

static void
test_flow_rst_retransmit_overrides(void **state)
{
    (void)state;
    struct rs_craft_flow fl;
    assert_int_equal(rs_craft_flow_init(&fl, "10.1.1.1", 50000, "10.2.2.2", 81, 0), 0);
    /* Closed port: RST|ACK with SEQ 0, ACK ISN+1 (RFC 9293 3.10.7.1). */
    step(&fl, RS_CRAFT_CLIENT, RS_TCP_SYN, NULL);
    struct seg_view v = step(&fl, RS_CRAFT_SERVER, RS_TCP_RST | RS_TCP_ACK, NULL);
    assert_int_equal(v.seq, 0);
    assert_int_equal(v.ack, 1000001);
    assert_int_equal(fl.next_seq[RS_CRAFT_SERVER], 5000000);

    assert_int_equal(rs_craft_flow_init(&fl, "10.1.1.1", 50000, "10.2.2.2", 80, 0), 0);
    step(&fl, RS_CRAFT_CLIENT, RS_TCP_SYN, NULL);
    step(&fl, RS_CRAFT_SERVER, RS_TCP_SYN | RS_TCP_ACK, NULL);
    step(&fl, RS_CRAFT_CLIENT, RS_TCP_ACK, NULL);
    step(&fl, RS_CRAFT_CLIENT, RS_TCP_ACK, "0123456789");
    /* A retransmission repeats the sequence number. */
    uint8_t f[256];
    struct rs_packet p;
    struct rs_craft_seg s;
    memset(&s, 0, sizeof s);
    s.flags = RS_TCP_ACK;
    s.payload = (const uint8_t *)"0123456789";
    s.len = 10;
    s.set_seq = 1;
    s.seq = 1000001;
    s.retransmit = 1;
    s.ttl = 250;
    size_t n = rs_craft_flow_build(&fl, RS_CRAFT_CLIENT, &s, f, sizeof f, &p);
    v = view(f, n);
    assert_int_equal(v.seq, 1000001);
    assert_int_equal(v.ttl, 250);
    assert_int_equal(fl.next_seq[RS_CRAFT_CLIENT], 1000011);
    /* An old segment sent with set_seq does not move next_seq back. */
    s.retransmit = 0;
    s.seq = 999000;
    rs_craft_flow_build(&fl, RS_CRAFT_CLIENT, &s, f, sizeof f, &p);
    assert_int_equal(fl.next_seq[RS_CRAFT_CLIENT], 1000011);
    /* A forged RST far out of window, with an explicit ACK. */
    memset(&s, 0, sizeof s);
    s.flags = RS_TCP_RST | RS_TCP_ACK;
    s.set_seq = 1;
    s.seq = 0x7fff0000;
    s.set_ack = 1;
    s.ack = 42;
    n = rs_craft_flow_build(&fl, RS_CRAFT_SERVER, &s, f, sizeof f, &p);
    v = view(f, n);
    assert_int_equal(v.seq, 0x7fff0000);
    assert_int_equal(v.ack, 42);
    assert_int_equal(v.flags, RS_TCP_RST | RS_TCP_ACK);
    assert_int_equal(fl.next_seq[RS_CRAFT_SERVER], 5000001);
    /* Wrap-around: sequence numbers are mod 2^32. */
    fl.next_seq[RS_CRAFT_CLIENT] = 0xfffffffeu;
    step(&fl, RS_CRAFT_CLIENT, RS_TCP_ACK, "abcd");
    assert_int_equal(fl.next_seq[RS_CRAFT_CLIENT], 2);
    /* Bad direction, mixed-family init. */
    assert_int_equal(rs_craft_flow_build(&fl, 2, &s, f, sizeof f, &p), 0);
    assert_int_equal(rs_craft_flow_init(&fl, "10.1.1.1", 1, "::1", 2, 0), RS_ERR_USAGE);
    assert_int_equal(rs_craft_flow_init(&fl, "nonsense", 1, "::1", 2, 0), RS_ERR_USAGE);
}

static void
test_flow_timestamps_option(void **state)
{
    (void)state;
    struct rs_craft_flow fl;
    assert_int_equal(rs_craft_flow_init(&fl, "10.1.1.1", 1, "10.2.2.2", 2, 5 * RS_NS_PER_SEC), 0);
    fl.timestamps = 1;
    uint8_t f[256];
    struct rs_packet p;
    struct rs_craft_seg s;
    memset(&s, 0, sizeof s);
    s.flags = RS_TCP_SYN;
    size_t n = rs_craft_flow_build(&fl, RS_CRAFT_CLIENT, &s, f, sizeof f, &p);
    assert_int_equal(n, 14 + 20 + 40);
    const uint8_t *o = f + 34 + 20;
    assert_int_equal(o[4], 4); /* SACK-permitted then TS, as Linux lays them out */
    assert_int_equal(o[6], 8);
    assert_int_equal(be32(o + 8), 5000);
    s.flags = RS_TCP_SYN | RS_TCP_ACK;
    s.dt_us = 2000;
    assert_int_equal(rs_craft_flow_build(&fl, RS_CRAFT_SERVER, &s, f, sizeof f, &p), 14 + 20 + 40);
    o = f + 34 + 20;
    assert_int_equal(be32(o + 8), 5002);
    assert_int_equal(be32(o + 12), 5000); /* echoes the client's value */
    s.flags = RS_TCP_ACK;
    n = rs_craft_flow_build(&fl, RS_CRAFT_CLIENT, &s, f, sizeof f, &p);
    assert_int_equal(n, 14 + 20 + 32); /* NOP NOP TS */
    o = f + 34 + 20;
    assert_int_equal(o[0], 1);
    assert_int_equal(o[2], 8);
    assert_int_equal(be32(o + 8), 5002);
}

/* ---- round trips through the pcap writer and reader ---- */

static char *
tmp_path(const char *suffix)
{
    const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    static char path[4][512];
    static int k;
    char *p = path[k++ % 4];
    snprintf(p, 512, "%s/rstscope-craft-%ld-%d%s", dir, (long)getpid(), k, suffix);
    return p;
}

struct recorded {
    rs_time_ns ts;
    size_t len;
    uint8_t data[256];
};

static void
roundtrip(enum rs_craft_link link, int nano)
{
    const char *path = tmp_path(".pcap");
    struct rs_error err;
    struct rs_craft_flow fl;
    assert_int_equal(rs_craft_flow_init(&fl, "2001:db8::10", 443, "2001:db8::20", 8443,
                                        1700000000 * RS_NS_PER_SEC + 123456789),
                     0);
    fl.ip.link = link;
    struct rs_pcap_writer *w = rs_pcap_writer_open(path, rs_craft_linktype(link), nano, &err);
    assert_non_null(w);
    struct recorded rec[6];
    const uint16_t flags[6] = {RS_TCP_SYN,
                               RS_TCP_SYN | RS_TCP_ACK,
                               RS_TCP_ACK,
                               RS_TCP_PSH | RS_TCP_ACK,
                               RS_TCP_RST | RS_TCP_ACK,
                               0};
    for (int i = 0; i < 6; i++) {
        struct rs_craft_seg s;
        memset(&s, 0, sizeof s);
        s.flags = flags[i];
        s.payload = (const uint8_t *)"payload!";
        s.len = i == 3 ? 8 : 0;
        s.dt_us = 1001;
        struct rs_packet p;
        size_t n = rs_craft_flow_build(&fl, i % 2, &s, rec[i].data, sizeof rec[i].data, &p);
        assert_int_not_equal(n, 0);
        rec[i].ts = p.ts;
        rec[i].len = n;
        /* Sub-microsecond digits show whether ns survive. */
        p.ts += 7;
        rec[i].ts += 7;
        assert_int_equal(rs_pcap_writer_write(w, &p), 0);
    }
    assert_int_equal(rs_pcap_writer_close(w, &err), 0);

    const char *paths[1] = {path};
    struct rs_capture *c = rs_capture_open(paths, 1, NULL, &err);
    assert_non_null(c);
    struct rs_packet p;
    for (int i = 0; i < 6; i++) {
        assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_PACKET);
        assert_int_equal(p.number, (uint64_t)i + 1);
        assert_int_equal(p.linktype, rs_craft_linktype(link));
        assert_int_equal(p.caplen, rec[i].len);
        assert_int_equal(p.len, rec[i].len);
        assert_memory_equal(p.data, rec[i].data, rec[i].len);
        rs_time_ns want = nano ? rec[i].ts : rec[i].ts / 1000 * 1000;
        assert_int_equal(p.ts, want);
    }
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_END);
    struct rs_capture_file_info info;
    assert_int_equal(rs_capture_file_info(c, 0, &info), 0);
    assert_string_equal(info.format, nano ? "pcap-ns" : "pcap");
    assert_int_equal(info.damaged, 0);
    rs_capture_close(c);
    unlink(path);
}

static void
test_roundtrip_ethernet_ns(void **state)
{
    (void)state;
    roundtrip(RS_CRAFT_LINK_ETHERNET, 1);
}

static void
test_roundtrip_raw_us(void **state)
{
    (void)state;
    roundtrip(RS_CRAFT_LINK_RAW, 0);
}

static void
test_writer_errors(void **state)
{
    (void)state;
    struct rs_error err;
    memset(&err, 0, sizeof err);
    assert_null(rs_pcap_writer_open("/nonexistent-dir/x.pcap", 1, 1, &err));
    assert_int_equal(err.code, RS_ERR_OUTPUT);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/x.pcap"));
    assert_int_equal(rs_pcap_writer_close(NULL, &err), 0);
    /* /dev/full accepts the open and fails the writes. */
    if (access("/dev/full", W_OK) == 0) {
        struct rs_pcap_writer *w = rs_pcap_writer_open("/dev/full", 1, 1, &err);
        assert_non_null(w);
        uint8_t frame[1500] = {0};
        struct rs_packet p = {.ts = 1, .caplen = sizeof frame, .len = sizeof frame, .data = frame};
        for (int i = 0; i < 100; i++)
            rs_pcap_writer_write(w, &p);
        assert_int_equal(rs_pcap_writer_close(w, &err), RS_ERR_OUTPUT);
        assert_non_null(strstr(err.msg, "/dev/full"));
    }
}

/* tcpdump checks IP, TCP, UDP and ICMP checksums with -vv; it is a second opinion. */
static void
test_tcpdump_agrees(void **state)
{
    (void)state;
    if (system("command -v tcpdump >/dev/null 2>&1") != 0) { /* NOLINT(cert-env33-c) */
        skip();
        return;
    }
    const char *path = tmp_path(".pcap");
    struct rs_error err;
    struct rs_pcap_writer *w = rs_pcap_writer_open(path, 1, 1, &err);
    assert_non_null(w);
    const char *pairs[2][2] = {{"198.51.100.1", "198.51.100.2"}, {"2001:db8::1", "2001:db8::2"}};
    for (int v = 0; v < 2; v++) {
        struct rs_craft_flow fl;
        assert_int_equal(rs_craft_flow_init(&fl, pairs[v][0], 33000, pairs[v][1], 25, 0), 0);
        fl.timestamps = 1;
        assert_int_equal(rs_craft_flow_send(&fl, 0, RS_TCP_SYN, NULL, 0, 10, w), 0);
        assert_int_equal(rs_craft_flow_send(&fl, 1, RS_TCP_SYN | RS_TCP_ACK, NULL, 0, 10, w), 0);
        assert_int_equal(rs_craft_flow_send(&fl, 0, RS_TCP_ACK, "EHLO x\r\n", 8, 10, w), 0);
        assert_int_equal(rs_craft_flow_send_udp(&fl, 0, "odd", 3, 10, w), 0);
        uint8_t f[200];
        struct rs_craft_icmp m;
        memset(&m, 0, sizeof m);
        m.ip = fl.ip;
        m.type = v ? 128 : 8;
        m.rest = 0x00070001;
        m.payload = (const uint8_t *)"ping";
        m.payload_len = 4;
        struct rs_packet p = {.ts = fl.now, .data = f};
        p.caplen = p.len = (uint32_t)rs_craft_icmp(&m, f, sizeof f);
        assert_int_equal(rs_pcap_writer_write(w, &p), 0);
    }
    assert_int_equal(rs_pcap_writer_close(w, &err), 0);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "tcpdump -nn -vv -r '%s' 2>/dev/null", path);
    FILE *out = popen(cmd, "r"); /* NOLINT(cert-env33-c): a test running a fixed tool */
    assert_non_null(out);
    char line[1024];
    int lines = 0, correct = 0, wrong = 0;
    while (fgets(line, sizeof line, out)) {
        lines++;
        correct += strstr(line, "(correct)") != NULL || strstr(line, "udp sum ok") != NULL;
        wrong += strstr(line, "incorrect") != NULL || strstr(line, "bad ") != NULL ||
                 strstr(line, "wrong") != NULL;
    }
    pclose(out);
    unlink(path);
    assert_int_equal(wrong, 0);
    /* "cksum 0x.... (correct)" for TCP, "[udp sum ok]" for UDP; ICMP only when wrong. */
    assert_true(correct >= 8);
    assert_true(lines >= 10);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc1071_example),
        cmocka_unit_test(test_tcp_v4_syn_layout),
        cmocka_unit_test(test_tcp_v6_raw_odd_payload),
        cmocka_unit_test(test_udp_and_zero_checksum),
        cmocka_unit_test(test_icmp_v4_v6),
        cmocka_unit_test(test_bad_checksums),
        cmocka_unit_test(test_limits_and_vlan),
        cmocka_unit_test(test_flow_tracks_seq_ack),
        cmocka_unit_test(test_flow_rst_retransmit_overrides),
        cmocka_unit_test(test_flow_timestamps_option),
        cmocka_unit_test(test_roundtrip_ethernet_ns),
        cmocka_unit_test(test_roundtrip_raw_us),
        cmocka_unit_test(test_writer_errors),
        cmocka_unit_test(test_tcpdump_agrees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
