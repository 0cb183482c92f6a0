/*
 * test_decode.c - unit tests for src/decode (cmocka).
 *
 * Packets are built inline from byte arrays. Lengths and checksums are
 * filled in by a small reference implementation in this file (one 16-bit
 * word at a time, RFC 1071), not by the decoder's, so the checksum tests
 * check the decoder against an independent computation.
 *
 * Every packet a test decodes is first put through the truncation sweep:
 * each prefix 0..len is decoded from an exactly-sized heap copy (so ASan
 * sees any read past caplen), with and without checksum verification, and
 * whatever comes back must satisfy the contract's invariants.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include <rstscope/capture.h>
#include <rstscope/decode.h>

#include "corpus_walk.h"
#include "decode/decode_int.h"

#define PKT_MAX 4096
#define SEC RS_NS_PER_SEC

struct pkt {
    uint8_t b[PKT_MAX];
    size_t n;
};

/* ---------------------------------------------------------------- builders */

static void
add(struct pkt *p, const uint8_t *d, size_t n)
{
    assert_true(n <= PKT_MAX - p->n);
    if (n)
        memcpy(p->b + p->n, d, n);
    p->n += n;
}

#define ADD(p, ...)                                                                                \
    do {                                                                                           \
        static const uint8_t add_[] = {__VA_ARGS__};                                               \
        add((p), add_, sizeof add_);                                                               \
    } while (0)

static void
put16(struct pkt *p, size_t at, size_t v)
{
    p->b[at] = (uint8_t)(v >> 8);
    p->b[at + 1] = (uint8_t)v;
}

static void
add16(struct pkt *p, size_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    add(p, b, 2);
}

static void
add32(struct pkt *p, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    add(p, b, 4);
}

static void
fill(struct pkt *p, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t b = (uint8_t)(seed + i);
        add(p, &b, 1);
    }
}

static const uint8_t macs[12] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
                                 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb};

static void
eth(struct pkt *p, uint16_t type)
{
    add(p, macs, 12);
    add16(p, type);
}

/* 10.0.<net>.<s> -> 10.0.<net>.<d>; returns the header offset. */
static size_t
ip4n(struct pkt *p, uint8_t proto, uint8_t net, uint8_t s, uint8_t d)
{
    size_t at = p->n;
    uint8_t h[20] = {0x45, 0x00, 0,  0, 0x12, 0x34, 0x40, 0x00, 64,  proto,
                     0,    0,    10, 0, net,  s,    10,   0,    net, d};
    add(p, h, 20);
    return at;
}

static size_t
ip4(struct pkt *p, uint8_t proto, uint8_t s, uint8_t d)
{
    return ip4n(p, proto, 0, s, d);
}

static const uint8_t v6pre[15] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

/* 2001:db8::<s> -> 2001:db8::<d>. */
static size_t
ip6(struct pkt *p, uint8_t nh, uint8_t s, uint8_t d)
{
    size_t at = p->n;
    ADD(p, 0x60, 0x00, 0x00, 0x00, 0, 0);
    add(p, &nh, 1);
    ADD(p, 64);
    add(p, v6pre, 15);
    add(p, &s, 1);
    add(p, v6pre, 15);
    add(p, &d, 1);
    return at;
}

static size_t
udp(struct pkt *p, uint16_t sp, uint16_t dp)
{
    size_t at = p->n;
    add16(p, sp);
    add16(p, dp);
    add32(p, 0);
    return at;
}

static size_t
tcp(struct pkt *p, uint16_t sp, uint16_t dp, uint32_t seq, uint32_t ack, uint16_t flags,
    const uint8_t *opts, size_t optlen)
{
    size_t at = p->n;
    size_t hl = 20 + optlen;
    add16(p, sp);
    add16(p, dp);
    add32(p, seq);
    add32(p, ack);
    uint8_t b[2] = {(uint8_t)((hl / 4) << 4 | (flags >> 8)), (uint8_t)flags};
    add(p, b, 2);
    ADD(p, 0x72, 0x10, 0, 0, 0x00, 0x05); /* window 29200, checksum, urgent 5 */
    add(p, opts, optlen);
    return at;
}

/* Reference Internet checksum (RFC 1071), a word at a time. */
static uint32_t
ref_sum(const uint8_t *d, size_t n, uint32_t s)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)d[i] << 8 | d[i + 1];
    if (n & 1)
        s += (uint32_t)d[n - 1] << 8;
    return s;
}

static uint16_t
ref_csum(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffffu) + (s >> 16);
    return (uint16_t)~s;
}

static void
fin_ip4(struct pkt *p, size_t at)
{
    size_t hl = (size_t)(p->b[at] & 0x0f) * 4;
    put16(p, at + 2, p->n - at);
    put16(p, at + 10, 0);
    put16(p, at + 10, ref_csum(ref_sum(p->b + at, hl, 0)));
}

static void
fin_ip6(struct pkt *p, size_t at)
{
    put16(p, at + 4, p->n - at - 40);
}

/* Transport checksum at seg+off over [seg, end), pseudo-header from the IP
 * header at `ipat` (or `dst6` as the IPv6 final destination). */
static void
fin_l4_to(struct pkt *p, size_t seg, size_t off, size_t ipat, uint8_t proto, int pseudo,
          const uint8_t *dst6)
{
    size_t len = p->n - seg;
    uint32_t s = 0;
    if (pseudo) {
        if (p->b[ipat] >> 4 == 4) {
            s = ref_sum(p->b + ipat + 12, 8, 0);
        } else {
            s = ref_sum(p->b + ipat + 8, 16, 0);
            s = ref_sum(dst6 ? dst6 : p->b + ipat + 24, 16, s);
        }
        s += proto + (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff);
    }
    put16(p, seg + off, 0);
    uint16_t c = ref_csum(ref_sum(p->b + seg, len, s));
    if (c == 0 && proto == 17)
        c = 0xffff;
    put16(p, seg + off, c);
}

static void
fin_udp(struct pkt *p, size_t at, size_t ipat)
{
    put16(p, at + 4, p->n - at);
    fin_l4_to(p, at, 6, ipat, 17, 1, NULL);
}

static void
fin_tcp(struct pkt *p, size_t at, size_t ipat)
{
    fin_l4_to(p, at, 16, ipat, 6, 1, NULL);
}

/* ------------------------------------------------------------ decode + sweep */

static struct rs_decode_config
cfg_default(void)
{
    struct rs_decode_config c;
    rs_decode_config_default(&c);
    return c;
}

static struct rs_decoder *
new_dec(int verify)
{
    struct rs_decode_config c = cfg_default();
    c.verify_checksums = verify;
    struct rs_decoder *d = rs_decoder_new(&c);
    assert_non_null(d);
    return d;
}

static void
check_invariants(const struct rs_decoded *o, enum rs_decode_status st, const uint8_t *buf, size_t n)
{
    assert_true((unsigned)st < RS_DEC__COUNT);
    assert_true(o->n_layers <= RS_MAX_LAYERS);
    if (st == RS_DEC_OK)
        assert_true(o->n_layers >= 1);
    int in_frame = 1;
    for (unsigned i = 0; i < o->n_layers; i++) {
        const struct rs_layer *l = &o->layer[i];
        assert_true(l->family == 4 || l->family == 6);
        assert_true(l->payload_caplen <= l->payload_len);
        /* ip_len 0: an offloaded segment (Total Length 0), lengths from the capture */
        assert_true(l->ip_len == 0 || l->l4_len <= l->ip_len);
        assert_true(l->payload_len <= l->l4_len);
        if (l->reassembled)
            in_frame = 0; /* this layer and those inside live in the reassembly buffer */
        if (in_frame && l->payload_caplen > 0) {
            assert_true(l->payload >= buf);
            assert_true(l->payload + l->payload_caplen <= buf + n);
        }
        assert_true(l->tunnel <= RS_TUN_GTPV1);
        assert_true((i == 0) == (l->tunnel == RS_TUN_NONE));
    }
}

/* One layer's decoded fields, equal in a and b. Payloads are compared by
 * content: a reassembled one lives in each decoder's own buffer. */
static void
assert_same_layer(const struct rs_layer *a, const struct rs_layer *b)
{
    assert_int_equal(a->family, b->family);
    assert_int_equal(a->proto, b->proto);
    assert_int_equal(a->ttl, b->ttl);
    assert_int_equal(a->tos, b->tos);
    assert_int_equal(a->csum, b->csum);
    assert_int_equal(a->l4_ok, b->l4_ok);
    assert_int_equal(a->reassembled, b->reassembled);
    assert_int_equal(a->ip_df, b->ip_df);
    assert_int_equal(a->ip_id, b->ip_id);
    assert_int_equal(a->ip_len, b->ip_len);
    assert_int_equal(a->l4_len, b->l4_len);
    assert_memory_equal(a->src.b, b->src.b, 16);
    assert_memory_equal(a->dst.b, b->dst.b, 16);
    assert_int_equal(a->tunnel, b->tunnel);
    if (!a->l4_ok)
        return;
    assert_int_equal(a->sport, b->sport);
    assert_int_equal(a->dport, b->dport);
    assert_int_equal(a->payload_len, b->payload_len);
    assert_int_equal(a->payload_caplen, b->payload_caplen);
    if (a->payload_caplen)
        assert_memory_equal(a->payload, b->payload, a->payload_caplen);
    if (!a->reassembled)
        assert_ptr_equal(a->payload, b->payload);
    if (a->proto == 6) {
        const struct rs_tcp_info *x = &a->u.tcp, *y = &b->u.tcp;
        assert_int_equal(x->seq, y->seq);
        assert_int_equal(x->ack, y->ack);
        assert_int_equal(x->flags, y->flags);
        assert_int_equal(x->window, y->window);
        assert_int_equal(x->urgent, y->urgent);
        assert_int_equal(x->hdr_len, y->hdr_len);
        assert_int_equal(x->has_mss, y->has_mss);
        assert_int_equal(x->has_wscale, y->has_wscale);
        assert_int_equal(x->sack_permitted, y->sack_permitted);
        assert_int_equal(x->has_ts, y->has_ts);
        assert_int_equal(x->opts_malformed, y->opts_malformed);
        assert_int_equal(x->wscale, y->wscale);
        assert_int_equal(x->n_sack, y->n_sack);
        assert_int_equal(x->mss, y->mss);
        assert_int_equal(x->tsval, y->tsval);
        assert_int_equal(x->tsecr, y->tsecr);
        assert_memory_equal(x->sack, y->sack, sizeof x->sack[0] * x->n_sack);
    }
}

/*
 * rs_decode (with its Ethernet/IPv4 fast path) against the general path
 * alone, each with its own decoder: same status, same layers, same
 * counters. Every frame the sweep decodes goes through this.
 */
static void
assert_same_decode(struct rs_decoder *fast, struct rs_decoder *general, const struct rs_packet *pk)
{
    struct rs_decoded a, b;
    /* rs_decode_fast alone (what the engine's lookahead runs on a frame
     * ahead): the general path's one layer when it says 1, and nothing in
     * the decoder changed either way. */
    uint64_t before[RS_DEC__COUNT];
    memcpy(before, rs_decoder_counters(fast), sizeof before);
    struct rs_layer lf;
    uint16_t vf = 0xffff;
    int took = rs_decode_fast(fast, pk, &lf, &vf);
    assert_memory_equal(before, rs_decoder_counters(fast), sizeof before);
    enum rs_decode_status sa = rs_decode(fast, pk, &a);
    enum rs_decode_status sb = rs_decode_general(general, pk, &b);
    if (took) {
        assert_int_equal(sb, RS_DEC_OK);
        assert_int_equal(b.n_layers, 1);
        assert_int_equal(vf, b.vlan);
        assert_same_layer(&lf, &b.layer[0]);
    }
    assert_int_equal(sa, sb);
    assert_int_equal(a.n_layers, b.n_layers);
    assert_int_equal(a.vlan, b.vlan);
    assert_int_equal(a.inner_vlan, b.inner_vlan);
    for (unsigned i = 0; i < a.n_layers; i++)
        assert_same_layer(&a.layer[i], &b.layer[i]);
    assert_memory_equal(rs_decoder_counters(fast), rs_decoder_counters(general),
                        sizeof(uint64_t) * RS_DEC__COUNT);
}

/* Decodes every prefix of the frame from an exactly-sized heap copy. */
static void
sweep(uint32_t linktype, const uint8_t *data, size_t len)
{
    for (int verify = 0; verify < 2; verify++) {
        struct rs_decoder *d = new_dec(verify);
        struct rs_decoder *fast = new_dec(verify), *general = new_dec(verify);
        for (size_t n = 0; n <= len; n++) {
            uint8_t *buf = n ? malloc(n) : NULL;
            if (n) {
                assert_non_null(buf);
                memcpy(buf, data, n);
            }
            struct rs_packet pk = {.ts = SEC,
                                   .caplen = (uint32_t)n,
                                   .len = (uint32_t)len,
                                   .linktype = linktype,
                                   .number = n + 1,
                                   .data = buf};
            struct rs_decoded out;
            enum rs_decode_status st = rs_decode(d, &pk, &out);
            check_invariants(&out, st, buf, n);
            assert_same_decode(fast, general, &pk);
            free(buf);
        }
        rs_decoder_free(d);
        rs_decoder_free(fast);
        rs_decoder_free(general);
    }
}

static enum rs_decode_status
run(struct rs_decoder *d, uint32_t linktype, const struct pkt *p, size_t caplen, rs_time_ns ts,
    struct rs_decoded *out)
{
    sweep(linktype, p->b, p->n);
    struct rs_packet pk = {.ts = ts,
                           .caplen = (uint32_t)caplen,
                           .len = (uint32_t)p->n,
                           .linktype = linktype,
                           .number = 1,
                           .data = p->b};
    enum rs_decode_status st = rs_decode(d, &pk, out);
    check_invariants(out, st, p->b, caplen);
    return st;
}

static enum rs_decode_status
dec(struct rs_decoder *d, uint32_t linktype, const struct pkt *p, struct rs_decoded *out)
{
    return run(d, linktype, p, p->n, SEC, out);
}

/* Decodes with a fresh decoder (checksums not verified). */
static enum rs_decode_status
dec1(uint32_t linktype, const struct pkt *p, struct rs_decoded *out)
{
    struct rs_decoder *d = new_dec(0);
    enum rs_decode_status st = dec(d, linktype, p, out);
    rs_decoder_free(d);
    return st;
}

static void
assert_v4(const struct rs_addr *a, uint8_t net, uint8_t last)
{
    uint8_t v4[4] = {10, 0, net, last};
    struct rs_addr e;
    rs_addr_from_v4(&e, v4);
    assert_memory_equal(a->b, e.b, 16);
}

static void
assert_v6(const struct rs_addr *a, uint8_t last)
{
    assert_memory_equal(a->b, v6pre, 15);
    assert_int_equal(a->b[15], last);
}

/* A UDP-in-IPv4 frame body (no link header): 10.0.0.1:1111 -> 10.0.0.2:2222. */
static void
ip4_udp_body(struct pkt *p, size_t payload)
{
    size_t ip = ip4(p, 17, 1, 2);
    size_t u = udp(p, 1111, 2222);
    fill(p, payload, 0x40);
    fin_udp(p, u, ip);
    fin_ip4(p, ip);
}

static void
ip6_udp_body(struct pkt *p, size_t payload)
{
    size_t ip = ip6(p, 17, 1, 2);
    size_t u = udp(p, 1111, 2222);
    fill(p, payload, 0x60);
    fin_udp(p, u, ip);
    fin_ip6(p, ip);
}

/* Checks a single-layer IPv4 UDP decode from ip4_udp_body. */
static void
assert_ip4_udp(const struct rs_decoded *o, size_t payload)
{
    assert_int_equal(o->n_layers, 1);
    const struct rs_layer *l = &o->layer[0];
    assert_int_equal(l->family, 4);
    assert_int_equal(l->proto, 17);
    assert_int_equal(l->sport, 1111);
    assert_int_equal(l->dport, 2222);
    assert_int_equal(l->payload_len, payload);
    assert_int_equal(l->payload_caplen, payload);
    assert_int_equal(l->ip_len, 28 + payload);
    assert_true(l->l4_ok);
    assert_v4(&l->src, 0, 1);
    assert_v4(&l->dst, 0, 2);
}

static void
assert_ip6_udp(const struct rs_decoded *o, size_t payload)
{
    assert_int_equal(o->n_layers, 1);
    const struct rs_layer *l = &o->layer[0];
    assert_int_equal(l->family, 6);
    assert_int_equal(l->proto, 17);
    assert_int_equal(l->sport, 1111);
    assert_int_equal(l->dport, 2222);
    assert_int_equal(l->payload_len, payload);
    assert_int_equal(l->ip_len, 48 + payload);
    assert_v6(&l->src, 1);
    assert_v6(&l->dst, 2);
}

/* ------------------------------------------------------------------- basics */

static void
test_status_names(void **state)
{
    (void)state;
    static const char *const want[RS_DEC__COUNT] = {
        "ok",           "not_ip",          "unknown_linktype", "trunc_link",
        "bad_link",     "trunc_ip",        "bad_ip_version",   "bad_ip_hdrlen",
        "bad_ip_len",   "bad_ip_checksum", "ipv6_ext",         "frag_held",
        "frag_dropped", "trunc_l4",        "bad_tcp_hdrlen",   "bad_l4_checksum",
        "tunnel_depth", "bad_tunnel",
    };
    for (int i = 0; i < RS_DEC__COUNT; i++)
        assert_string_equal(rs_decode_status_name((enum rs_decode_status)i), want[i]);
    assert_non_null(rs_decode_status_name(RS_DEC__COUNT));
}

static void
test_config_default(void **state)
{
    (void)state;
    struct rs_decode_config c = cfg_default();
    assert_int_equal(c.verify_checksums, 0);
    assert_int_equal(c.max_tunnel_depth, 4);
    assert_int_equal(c.frag_max_datagrams, 256);
    assert_int_equal(c.frag_max_bytes, 8u << 20);
    assert_true(c.frag_timeout == 30 * SEC);
    struct rs_decoder *d = rs_decoder_new(NULL);
    assert_non_null(d);
    rs_decoder_free(d);
    rs_decoder_free(NULL);
}

static void
test_inet_checksum(void **state)
{
    (void)state;
    /* RFC 1071 §3 example: the sum of these words is 0xddf2. */
    static const uint8_t v[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    assert_int_equal(rs_inet_checksum(v, 8, 0), (uint16_t)~0xddf2);
    /* Odd lengths pad with a zero byte; `initial` adds in. */
    static const uint8_t o[3] = {0x12, 0x34, 0x56};
    assert_int_equal(rs_inet_checksum(o, 3, 0), (uint16_t) ~(0x1234 + 0x5600));
    assert_int_equal(rs_inet_checksum(o, 3, 0x100), (uint16_t) ~(0x1234 + 0x5600 + 0x100));
    /* Against the reference on every length and alignment. */
    uint8_t buf[300];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(i * 7 + 3);
    for (size_t off = 0; off < 8; off++)
        for (size_t n = 0; n + off <= sizeof buf; n += 13)
            assert_int_equal(rs_inet_checksum(buf + off, n, 0x1fffe),
                             ref_csum(ref_sum(buf + off, n, 0x1fffe)));
    assert_int_equal(rs_inet_checksum(NULL, 0, 0), 0xffff);
}

/* -------------------------------------------------------- Ethernet IPv4 TCP */

static void
test_eth_ipv4_tcp_options(void **state)
{
    (void)state;
    struct pkt p = {.n = 0};
    eth(&p, 0x0800);
    size_t ip = ip4(&p, 6, 1, 2);
    static const uint8_t opts[] = {2, 4,  0x05, 0xb4, 1, 3, 3, 7, 4, 2,
                                   8, 10, 0,    0,    0, 1, 0, 0, 0, 2};
    size_t t = tcp(&p, 40000, 80, 1000, 0, RS_TCP_SYN | RS_TCP_ECE | RS_TCP_CWR | RS_TCP_NS, opts,
                   sizeof opts);
    fill(&p, 10, 0);
    fin_tcp(&p, t, ip);
    fin_ip4(&p, ip);

    struct rs_decoder *d = new_dec(1);
    struct rs_decoded o;
    assert_int_equal(dec(d, RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_int_equal(o.n_layers, 1);
    assert_int_equal(o.vlan, 0);
    const struct rs_layer *l = &o.layer[0];
    assert_int_equal(l->family, 4);
    assert_int_equal(l->proto, 6);
    assert_int_equal(l->ttl, 64);
    assert_int_equal(l->tos, 0);
    assert_int_equal(l->csum, 0);
    assert_true(l->l4_ok);
    assert_false(l->reassembled);
    assert_true(l->ip_df);
    assert_int_equal(l->ip_id, 0x1234);
    assert_int_equal(l->ip_len, 70);
    assert_int_equal(l->l4_len, 50);
    assert_int_equal(l->tunnel, RS_TUN_NONE);
    assert_v4(&l->src, 0, 1);
    assert_v4(&l->dst, 0, 2);
    assert_int_equal(l->sport, 40000);
    assert_int_equal(l->dport, 80);
    const struct rs_tcp_info *tc = &l->u.tcp;
    assert_int_equal(tc->seq, 1000);
    assert_int_equal(tc->ack, 0);
    assert_int_equal(tc->flags, RS_TCP_SYN | RS_TCP_ECE | RS_TCP_CWR | RS_TCP_NS);
    assert_int_equal(tc->window, 0x7210);
    assert_int_equal(tc->urgent, 5);
    assert_int_equal(tc->hdr_len, 40);
    assert_true(tc->has_mss);
    assert_int_equal(tc->mss, 1460);
    assert_true(tc->has_wscale);
    assert_int_equal(tc->wscale, 7);
    assert_true(tc->sack_permitted);
    assert_true(tc->has_ts);
    assert_int_equal(tc->tsval, 1);
    assert_int_equal(tc->tsecr, 2);
    assert_int_equal(tc->n_sack, 0);
    assert_false(tc->opts_malformed);
    assert_int_equal(l->payload_len, 10);
    assert_int_equal(l->payload_caplen, 10);
    assert_ptr_equal(l->payload, p.b + 14 + 20 + 40);
    assert_int_equal(rs_decoder_counters(d)[RS_DEC_BAD_L4_CHECKSUM], 0);
    rs_decoder_free(d);
}

/*
 * tcp_options_syn_only (the engine's decoder): a SYN's options are decoded,
 * another segment's are not, by the fast path (Ethernet, IPv4) and the
 * general one (IPv6) alike; everything else about the segment is the same.
 */
static void
test_tcp_options_syn_only(void **state)
{
    (void)state;
    static const uint8_t opts[] = {2, 4,  0x05, 0xb4, 1, 3, 3, 7, 4, 2,
                                   8, 10, 0,    0,    0, 1, 0, 0, 0, 2};
    struct rs_decode_config c = cfg_default();
    c.tcp_options_syn_only = 1;
    struct rs_decoder *only = rs_decoder_new(&c);
    struct rs_decoder *all = new_dec(0);
    assert_non_null(only);
    for (int v6 = 0; v6 < 2; v6++) {
        for (int syn = 0; syn < 2; syn++) {
            struct pkt p = {.n = 0};
            eth(&p, v6 ? 0x86dd : 0x0800);
            size_t ip = v6 ? ip6(&p, 6, 1, 2) : ip4(&p, 6, 1, 2);
            uint16_t fl = syn ? RS_TCP_SYN : RS_TCP_ACK | RS_TCP_PSH;
            size_t t = tcp(&p, 40000, 80, 1000, syn ? 0 : 7, fl, opts, sizeof opts);
            fill(&p, 10, 0);
            fin_tcp(&p, t, ip);
            if (v6)
                fin_ip6(&p, ip);
            else
                fin_ip4(&p, ip);
            struct rs_decoded a, o;
            assert_int_equal(dec(all, RS_LINK_ETHERNET, &p, &a), RS_DEC_OK);
            assert_int_equal(dec(only, RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
            const struct rs_tcp_info *ta = &a.layer[0].u.tcp, *to = &o.layer[0].u.tcp;
            assert_true(ta->has_mss && ta->has_wscale && ta->has_ts);
            assert_int_equal(ta->wscale, 7);
            assert_int_equal(to->has_mss, syn);
            assert_int_equal(to->has_wscale, syn);
            assert_int_equal(to->sack_permitted, syn);
            assert_int_equal(to->has_ts, syn);
            assert_int_equal(to->wscale, syn ? 7 : 0);
            assert_int_equal(to->tsval, syn ? 1 : 0);
            assert_int_equal(to->flags, fl);
            assert_int_equal(to->hdr_len, 40);
            assert_int_equal(o.layer[0].payload_len, 10);
            assert_ptr_equal(o.layer[0].payload, a.layer[0].payload);
        }
    }
    rs_decoder_free(only);
    rs_decoder_free(all);
}

static void
test_tcp_sack_and_bad_options(void **state)
{
    (void)state;
    struct rs_decoded o;
    /* Four SACK blocks (RFC 2018 §3). */
    struct pkt p = {.n = 0};
    size_t ip = ip4(&p, 6, 1, 2);
    static const uint8_t sack[] = {1, 1, 5, 34, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0,
                                   0, 4, 0, 0,  0, 5, 0, 0, 0, 6, 0, 0, 0, 7, 0, 0, 0, 8};
    tcp(&p, 1, 2, 3, 4, RS_TCP_ACK, sack, sizeof sack);
    fin_ip4(&p, ip);
    assert_int_equal(dec1(RS_LINK_RAW, &p, &o), RS_DEC_OK);
    const struct rs_tcp_info *tc = &o.layer[0].u.tcp;
    assert_int_equal(tc->n_sack, 4);
    assert_int_equal(tc->sack[0][0], 1);
    assert_int_equal(tc->sack[3][1], 8);
    assert_false(tc->opts_malformed);
    assert_int_equal(o.layer[0].payload_len, 0);

    /* An option running past the header: MSS kept, the rest ignored. */
    p.n = 0;
    ip = ip4(&p, 6, 1, 2);
    static const uint8_t runaway[] = {2, 4, 0x05, 0xb4, 3, 9, 7, 0};
    tcp(&p, 1, 2, 3, 4, RS_TCP_SYN, runaway, sizeof runaway);
    fill(&p, 5, 0);
    fin_ip4(&p, ip);
    assert_int_equal(dec1(RS_LINK_RAW, &p, &o), RS_DEC_OK);
    tc = &o.layer[0].u.tcp;
    assert_true(tc->has_mss);
    assert_false(tc->has_wscale);
    assert_true(tc->opts_malformed);
    assert_int_equal(o.layer[0].payload_len, 5);

    /* Option length 0, and a known option with the wrong length. */
    static const uint8_t zero[] = {1, 0x22, 0, 0};
    static const uint8_t wrong[] = {2, 3, 0x05, 1};
    const uint8_t *bad[2] = {zero, wrong};
    for (int i = 0; i < 2; i++) {
        p.n = 0;
        ip = ip4(&p, 6, 1, 2);
        tcp(&p, 1, 2, 3, 4, RS_TCP_SYN, bad[i], 4);
        fin_ip4(&p, ip);
        assert_int_equal(dec1(RS_LINK_RAW, &p, &o), RS_DEC_OK);
        assert_true(o.layer[0].u.tcp.opts_malformed);
        assert_false(o.layer[0].u.tcp.has_mss);
    }
}

static void
test_eth_padding_ignored(void **state)
{
    (void)state;
    struct pkt p = {.n = 0};
    eth(&p, 0x0800);
    ip4_udp_body(&p, 4);
    fill(&p, 14, 0); /* Ethernet minimum-size padding */
    struct rs_decoded o;
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_ip4_udp(&o, 4);

    /* A bare TCP ACK padded to the 60-byte minimum. */
    p.n = 0;
    eth(&p, 0x0800);
    size_t ip = ip4(&p, 6, 1, 2);
    tcp(&p, 1, 2, 3, 4, RS_TCP_ACK, NULL, 0);
    fin_ip4(&p, ip);
    fill(&p, 6, 0);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_int_equal(o.layer[0].ip_len, 40);
    assert_int_equal(o.layer[0].payload_len, 0);
    assert_int_equal(o.layer[0].payload_caplen, 0);
}

static void
test_snaplen_cut(void **state)
{
    (void)state;
    struct pkt p = {.n = 0};
    eth(&p, 0x0800);
    size_t ip = ip4(&p, 6, 1, 2);
    static const uint8_t opts[] = {2, 4,  0x05, 0xb4, 1, 3, 3, 7, 4, 2,
                                   8, 10, 0,    0,    0, 1, 0, 0, 0, 2};
    tcp(&p, 1, 2, 3, 4, RS_TCP_ACK, opts, sizeof opts);
    fill(&p, 100, 0);
    fin_ip4(&p, ip);
    struct rs_decoder *d = new_dec(1);
    struct rs_decoded o;

    /* Cut in the payload: declared lengths stay, caplen tells. */
    assert_int_equal(run(d, RS_LINK_ETHERNET, &p, 14 + 20 + 40 + 10, SEC, &o), RS_DEC_OK);
    assert_int_equal(o.layer[0].ip_len, 160);
    assert_int_equal(o.layer[0].payload_len, 100);
    assert_int_equal(o.layer[0].payload_caplen, 10);
    assert_int_equal(o.layer[0].csum, 0); /* not verifiable, not flagged */

    /* Cut inside the options: the base header is usable. */
    assert_int_equal(run(d, RS_LINK_ETHERNET, &p, 14 + 20 + 26, SEC, &o), RS_DEC_OK);
    assert_true(o.layer[0].u.tcp.has_mss);
    assert_false(o.layer[0].u.tcp.has_ts);
    assert_false(o.layer[0].u.tcp.opts_malformed);
    assert_int_equal(o.layer[0].payload_caplen, 0);
    assert_int_equal(o.layer[0].payload_len, 100);

    assert_int_equal(run(d, RS_LINK_ETHERNET, &p, 14 + 20 + 19, SEC, &o), RS_DEC_TRUNC_L4);
    assert_int_equal(o.n_layers, 0);
    assert_int_equal(run(d, RS_LINK_ETHERNET, &p, 14 + 19, SEC, &o), RS_DEC_TRUNC_IP);
    assert_int_equal(run(d, RS_LINK_ETHERNET, &p, 13, SEC, &o), RS_DEC_TRUNC_LINK);
    const uint64_t *c = rs_decoder_counters(d);
    assert_int_equal(c[RS_DEC_TRUNC_L4], 1);
    assert_int_equal(c[RS_DEC_TRUNC_IP], 1);
    assert_int_equal(c[RS_DEC_TRUNC_LINK], 1);
    assert_int_equal(c[RS_DEC_OK], 0);
    rs_decoder_free(d);
}

static void
test_ipv4_options(void **state)
{
    (void)state;
    struct pkt p = {.n = 0};
    eth(&p, 0x0800);
    size_t ip = ip4(&p, 17, 1, 2);
    p.b[ip] = 0x47;                                          /* IHL 7: 8 bytes of options */
    ADD(&p, 0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00); /* Router Alert, NOPs, EOL */
    size_t u = udp(&p, 1111, 2222);
    fill(&p, 3, 0);
    fin_udp(&p, u, ip);
    fin_ip4(&p, ip);
    struct rs_decoder *d = new_dec(1);
    struct rs_decoded o;
    assert_int_equal(dec(d, RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_int_equal(o.layer[0].sport, 1111);
    assert_int_equal(o.layer[0].ip_len, 39);
    assert_int_equal(o.layer[0].l4_len, 11);
    assert_int_equal(o.layer[0].payload_len, 3);
    assert_int_equal(o.layer[0].csum, 0);
    rs_decoder_free(d);
}

static void
test_ipv4_malformed(void **state)
{
    (void)state;
    struct rs_decoder *d = new_dec(0);
    struct rs_decoded o;
    struct pkt p = {.n = 0};

    ip4_udp_body(&p, 4);
    p.b[0] = 0x55; /* version 5 */
    assert_int_equal(dec(d, RS_LINK_RAW, &p, &o), RS_DEC_BAD_IP_VERSION);
    p.b[0] = 0x44; /* IHL 4 */
    assert_int_equal(dec(d, RS_LINK_IPV4, &p, &o), RS_DEC_BAD_IP_HDRLEN);
    p.b[0] = 0x4f; /* IHL 15: options past the captured bytes */
    assert_int_equal(dec(d, RS_LINK_IPV4, &p, &o), RS_DEC_BAD_IP_LEN);
    p.b[0] = 0x45;
    put16(&p, 2, 10); /* total length < header */
    assert_int_equal(dec(d, RS_LINK_IPV4, &p, &o), RS_DEC_BAD_IP_LEN);
    assert_int_equal(o.n_layers, 0);

    /* Total length 0 (TSO): the capture is used when not verifying, and the
     * declared 0 is what the IP byte counts add (as Zeek's do). */
    put16(&p, 2, 0);
    assert_int_equal(dec(d, RS_LINK_IPV4, &p, &o), RS_DEC_OK);
    assert_int_equal(o.layer[0].ip_len, 0);
    assert_int_equal(o.layer[0].payload_len, 4);
    assert_int_equal(o.layer[0].payload_caplen, 4);
    struct rs_decoder *dv = new_dec(1);
    assert_int_equal(dec(dv, RS_LINK_IPV4, &p, &o), RS_DEC_BAD_IP_LEN);
    rs_decoder_free(dv);

    /* The IP length cuts the transport header. */
    p.n = 0;
    size_t ip = ip4(&p, 6, 1, 2);
    tcp(&p, 1, 2, 3, 4, RS_TCP_ACK, NULL, 0);
    fin_ip4(&p, ip);
    put16(&p, 2, 30);
    assert_int_equal(dec(d, RS_LINK_RAW, &p, &o), RS_DEC_TRUNC_L4);
    p.n = 0;
    ip = ip4(&p, 17, 1, 2);
    ADD(&p, 1, 2, 3, 4, 0, 6);
    fin_ip4(&p, ip);
    assert_int_equal(dec(d, RS_LINK_RAW, &p, &o), RS_DEC_TRUNC_L4);

    /* TCP data offset below 5, and beyond the segment. */
    p.n = 0;
    ip = ip4(&p, 6, 1, 2);
    size_t t = tcp(&p, 1, 2, 3, 4, RS_TCP_ACK, NULL, 0);
    fin_ip4(&p, ip);
    p.b[t + 12] = 0x40;
    assert_int_equal(dec(d, RS_LINK_RAW, &p, &o), RS_DEC_BAD_TCP_HDRLEN);
    p.b[t + 12] = 0x60;
    assert_int_equal(dec(d, RS_LINK_RAW, &p, &o), RS_DEC_BAD_TCP_HDRLEN);
    assert_int_equal(o.n_layers, 0);

    /* ICMP shorter than its 8-byte header. */
    p.n = 0;
    ip = ip4(&p, 1, 1, 2);
    ADD(&p, 8, 0, 0, 0);
    fin_ip4(&p, ip);
    assert_int_equal(dec(d, RS_LINK_RAW, &p, &o), RS_DEC_TRUNC_L4);

    const uint64_t *c = rs_decoder_counters(d);
    assert_int_equal(c[RS_DEC_BAD_IP_VERSION], 1);
    assert_int_equal(c[RS_DEC_BAD_IP_HDRLEN], 1);
    assert_int_equal(c[RS_DEC_BAD_IP_LEN], 2);
    assert_int_equal(c[RS_DEC_TRUNC_L4], 3);
    assert_int_equal(c[RS_DEC_BAD_TCP_HDRLEN], 2);
    rs_decoder_free(d);
}

/* ----------------------------------------------------------- Ethernet stack */

static void
test_vlan_qinq(void **state)
{
    (void)state;
    struct rs_decoded o;
    struct pkt p = {.n = 0};
    eth(&p, 0x8100);
    ADD(&p, 0x20, 0x64, 0x08, 0x00); /* PCP 1, VID 100 */
    ip4_udp_body(&p, 4);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_ip4_udp(&o, 4);
    assert_int_equal(o.vlan, 100);
    assert_int_equal(o.inner_vlan, 0);

    p.n = 0;
    eth(&p, 0x88a8);
    ADD(&p, 0x00, 0xc8, 0x81, 0x00, 0x0f, 0xff, 0x86, 0xdd); /* S-VID 200, C-VID 4095 */
    ip6_udp_body(&p, 4);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_ip6_udp(&o, 4);
    assert_int_equal(o.vlan, 200);
    assert_int_equal(o.inner_vlan, 4095);

    /* Three tags (old 0x9100 outer): the outer two are reported. */
    p.n = 0;
    eth(&p, 0x9100);
    ADD(&p, 0x00, 0x01, 0x88, 0xa8, 0x00, 0x02, 0x81, 0x00, 0x00, 0x03, 0x08, 0x00);
    ip4_udp_body(&p, 4);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_int_equal(o.vlan, 1);
    assert_int_equal(o.inner_vlan, 2);

    /* A frame of nothing but tags hits the cap. */
    p.n = 0;
    eth(&p, 0x8100);
    for (int i = 0; i < 20; i++)
        ADD(&p, 0x00, 0x05, 0x81, 0x00);
    ip4_udp_body(&p, 4);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_BAD_LINK);
}

static void
test_mpls(void **state)
{
    (void)state;
    struct rs_decoded o;
    struct pkt p = {.n = 0};
    eth(&p, 0x8847);
    ADD(&p, 0x00, 0x01, 0x00, 0x40, 0x00, 0x02, 0x01, 0x40); /* two labels, S on the 2nd */
    ip4_udp_body(&p, 4);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_ip4_udp(&o, 4);

    p.n = 0;
    eth(&p, 0x8100);
    ADD(&p, 0x00, 0x0a, 0x88, 0x47, 0x00, 0x01, 0x01, 0x40);
    ip6_udp_body(&p, 4);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_ip6_udp(&o, 4);
    assert_int_equal(o.vlan, 10);

    /* Ethernet pseudowire with a control word (RFC 4385, RFC 4448). */
    p.n = 0;
    eth(&p, 0x8847);
    ADD(&p, 0x00, 0x01, 0x01, 0x40, 0x00, 0x00, 0x00, 0x07);
    eth(&p, 0x0800);
    ip4_udp_body(&p, 4);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_ip4_udp(&o, 4);

    /* Unknown payload nibble; no bottom of stack within the cap. */
    p.n = 0;
    eth(&p, 0x8847);
    ADD(&p, 0x00, 0x01, 0x01, 0x40, 0x50, 0x00);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_NOT_IP);
    p.n = 0;
    eth(&p, 0x8847);
    for (int i = 0; i < 17; i++)
        ADD(&p, 0x00, 0x01, 0x00, 0x40);
    ip4_udp_body(&p, 4);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_BAD_LINK);
}

static void
test_pppoe(void **state)
{
    (void)state;
    struct rs_decoded o;
    struct pkt p = {.n = 0};
    eth(&p, 0x8864);
    ADD(&p, 0x11, 0x00, 0x12, 0x34, 0x00, 0x00, 0x00, 0x21);
    size_t body = p.n;
    ip4_udp_body(&p, 4);
    put16(&p, 14 + 4, p.n - body + 2);
    fill(&p, 10, 0); /* padding after the PPPoE payload */
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_ip4_udp(&o, 4);

    p.n = 0;
    eth(&p, 0x8864);
    ADD(&p, 0x11, 0x00, 0x12, 0x34, 0x00, 0x00, 0x00, 0x57);
    body = p.n;
    ip6_udp_body(&p, 4);
    put16(&p, 14 + 4, p.n - body + 2);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_ip6_udp(&o, 4);

    /* LCP is not IP; a discovery code on a session frame is broken. */
    p.n = 0;
    eth(&p, 0x8864);
    ADD(&p, 0x11, 0x00, 0x12, 0x34, 0x00, 0x06, 0xc0, 0x21, 0x01, 0x01, 0x00, 0x04);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_NOT_IP);
    p.b[15] = 0x09;
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_BAD_LINK);

    /* PPPoE discovery (0x8863) is not IP. */
    p.n = 0;
    eth(&p, 0x8863);
    ADD(&p, 0x11, 0x09, 0x00, 0x00, 0x00, 0x00);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_NOT_IP);

    /* LINKTYPE_PPP_ETHER: the session header without Ethernet. */
    p.n = 0;
    ADD(&p, 0x11, 0x00, 0x12, 0x34, 0x00, 0x00, 0x00, 0x21);
    ip4_udp_body(&p, 4);
    put16(&p, 4, p.n - 6);
    assert_int_equal(dec1(RS_LINK_PPP_ETHER, &p, &o), RS_DEC_OK);
    assert_ip4_udp(&o, 4);
}

static void
test_fabricpath_vntag_pbb(void **state)
{
    (void)state;
    struct rs_decoded o;
    struct pkt p = {.n = 0};
    eth(&p, 0x8903);
    ADD(&p, 0x00, 0x3f);
    eth(&p, 0x0800);
    ip4_udp_body(&p, 4);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_ip4_udp(&o, 4);

    p.n = 0;
    eth(&p, 0x8926);
    ADD(&p, 0x80, 0x01, 0x00, 0x02, 0x81, 0x00, 0x00, 0x07, 0x08, 0x00);
    ip4_udp_body(&p, 4);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_ip4_udp(&o, 4);
    assert_int_equal(o.vlan, 7);

    p.n = 0;
    eth(&p, 0x88a8);
    ADD(&p, 0x00, 0x09, 0x88, 0xe7, 0x00, 0x01, 0x00, 0x01); /* B-TAG, I-TAG */
    eth(&p, 0x86dd);
    ip6_udp_body(&p, 4);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_ip6_udp(&o, 4);
    assert_int_equal(o.vlan, 9);
}

static void
test_llc_snap_and_not_ip(void **state)
{
    (void)state;
    struct rs_decoded o;
    struct pkt p = {.n = 0};
    add(&p, macs, 12);
    ADD(&p, 0, 0, 0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00);
    ip4_udp_body(&p, 4);
    put16(&p, 12, p.n - 14);
    fill(&p, 8, 0);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_ip4_udp(&o, 4);

    /* STP (LLC 42 42 03), ARP, LLDP, raw 802.3 (Novell). */
    p.n = 0;
    add(&p, macs, 12);
    ADD(&p, 0x00, 0x26, 0x42, 0x42, 0x03, 0x00, 0x00, 0x00);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_NOT_IP);
    p.n = 0;
    eth(&p, 0x0806);
    ADD(&p, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_NOT_IP);
    p.n = 0;
    eth(&p, 0x88cc);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_NOT_IP);
    p.n = 0;
    add(&p, macs, 12);
    ADD(&p, 0x00, 0x20, 0xff, 0xff, 0x00, 0x20);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_NOT_IP);
    /* SNAP with a vendor OUI (CDP). */
    p.n = 0;
    add(&p, macs, 12);
    ADD(&p, 0x00, 0x20, 0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c, 0x20, 0x00);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_NOT_IP);
}

/* ------------------------------------------------------ other link types */

static void
test_raw_ip(void **state)
{
    (void)state;
    struct rs_decoded o;
    struct pkt p4 = {.n = 0}, p6 = {.n = 0};
    ip4_udp_body(&p4, 4);
    ip6_udp_body(&p6, 4);
    static const uint32_t raw[] = {RS_LINK_RAW, RS_LINK_RAW_OLD, RS_LINK_RAW_OLD2};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(dec1(raw[i], &p4, &o), RS_DEC_OK);
        assert_ip4_udp(&o, 4);
        assert_int_equal(dec1(raw[i], &p6, &o), RS_DEC_OK);
        assert_ip6_udp(&o, 4);
    }
    assert_int_equal(dec1(RS_LINK_IPV4, &p4, &o), RS_DEC_OK);
    assert_int_equal(dec1(RS_LINK_IPV6, &p6, &o), RS_DEC_OK);
    assert_ip6_udp(&o, 4);
    assert_int_equal(dec1(RS_LINK_IPV4, &p6, &o), RS_DEC_BAD_IP_VERSION);
    assert_int_equal(dec1(RS_LINK_IPV6, &p4, &o), RS_DEC_BAD_IP_VERSION);
    struct pkt e = {.n = 0};
    assert_int_equal(dec1(RS_LINK_RAW, &e, &o), RS_DEC_TRUNC_IP);
    assert_int_equal(dec1(147, &p4, &o), RS_DEC_UNKNOWN_LINKTYPE);
}

static void
test_linux_sll(void **state)
{
    (void)state;
    struct rs_decoded o;
    struct pkt p = {.n = 0};
    ADD(&p, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00);
    ip4_udp_body(&p, 4);
    assert_int_equal(dec1(RS_LINK_LINUX_SLL, &p, &o), RS_DEC_OK);
    assert_ip4_udp(&o, 4);

    p.n = 0;
    ADD(&p, 0x00, 0x04, 0x00, 0x01, 0x00, 0x06, 1, 2, 3, 4, 5, 6, 0, 0, 0x81, 0x00, 0x00, 0x2a,
        0x86, 0xdd);
    ip6_udp_body(&p, 4);
    assert_int_equal(dec1(RS_LINK_LINUX_SLL, &p, &o), RS_DEC_OK);
    assert_ip6_udp(&o, 4);
    assert_int_equal(o.vlan, 42);

    /* ETH_P_802_2 with SNAP, netlink, ARP. */
    p.n = 0;
    ADD(&p, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 1, 2, 3, 4, 5, 6, 0, 0, 0x00, 0x04, 0xaa, 0xaa,
        0x03, 0, 0, 0, 0x08, 0x00);
    ip4_udp_body(&p, 4);
    assert_int_equal(dec1(RS_LINK_LINUX_SLL, &p, &o), RS_DEC_OK);
    p.n = 0;
    ADD(&p, 0x00, 0x00, 0x03, 0x38, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00);
    ip4_udp_body(&p, 4);
    assert_int_equal(dec1(RS_LINK_LINUX_SLL, &p, &o), RS_DEC_NOT_IP);
    p.n = 0;
    ADD(&p, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x06);
    assert_int_equal(dec1(RS_LINK_LINUX_SLL, &p, &o), RS_DEC_NOT_IP);

    /* SLL2: protocol first, then reserved, ifindex, hatype, pkttype,
     * address length, address. */
    p.n = 0;
    ADD(&p, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x01, 0x00, 0x06, 1, 2, 3, 4, 5,
        6, 0, 0);
    ip4_udp_body(&p, 4);
    assert_int_equal(dec1(RS_LINK_LINUX_SLL2, &p, &o), RS_DEC_OK);
    assert_ip4_udp(&o, 4);
}

static void
test_null_loop(void **state)
{
    (void)state;
    struct rs_decoded o;
    static const uint8_t af4[][4] = {{2, 0, 0, 0}, {0, 0, 0, 2}};
    static const uint8_t af6[][4] = {{24, 0, 0, 0}, {0, 0, 0, 24}, {28, 0, 0, 0},
                                     {0, 0, 0, 28}, {30, 0, 0, 0}, {0, 0, 0, 30}};
    for (size_t i = 0; i < 2; i++) {
        struct pkt p = {.n = 0};
        add(&p, af4[i], 4);
        ip4_udp_body(&p, 4);
        assert_int_equal(dec1(RS_LINK_NULL, &p, &o), RS_DEC_OK);
        assert_ip4_udp(&o, 4);
    }
    for (size_t i = 0; i < 6; i++) {
        struct pkt p = {.n = 0};
        add(&p, af6[i], 4);
        ip6_udp_body(&p, 4);
        assert_int_equal(dec1(RS_LINK_NULL, &p, &o), RS_DEC_OK);
        assert_ip6_udp(&o, 4);
    }
    struct pkt p = {.n = 0};
    ADD(&p, 7, 0, 0, 0); /* AF_ other than IP */
    ip4_udp_body(&p, 4);
    assert_int_equal(dec1(RS_LINK_NULL, &p, &o), RS_DEC_NOT_IP);

    p.n = 0;
    ADD(&p, 0, 0, 0, 2);
    ip4_udp_body(&p, 4);
    assert_int_equal(dec1(RS_LINK_LOOP, &p, &o), RS_DEC_OK);
    assert_ip4_udp(&o, 4);
    p.n = 0;
    ADD(&p, 0, 0, 0, 24);
    ip6_udp_body(&p, 4);
    assert_int_equal(dec1(RS_LINK_LOOP, &p, &o), RS_DEC_OK);
    assert_ip6_udp(&o, 4);
    p.b[3] = 2; /* AF_INET but an IPv6 packet */
    assert_int_equal(dec1(RS_LINK_LOOP, &p, &o), RS_DEC_BAD_IP_VERSION);
}

static void
test_ppp_hdlc(void **state)
{
    (void)state;
    struct rs_decoded o;
    struct pkt p = {.n = 0};
    ADD(&p, 0xff, 0x03, 0x00, 0x21);
    ip4_udp_body(&p, 4);
    assert_int_equal(dec1(RS_LINK_PPP, &p, &o), RS_DEC_OK);
    assert_ip4_udp(&o, 4);
    assert_int_equal(dec1(RS_LINK_PPP_HDLC, &p, &o), RS_DEC_OK);
    assert_ip4_udp(&o, 4);

    p.n = 0;
    ADD(&p, 0x00, 0x57);
    ip6_udp_body(&p, 4);
    assert_int_equal(dec1(RS_LINK_PPP, &p, &o), RS_DEC_OK);
    assert_ip6_udp(&o, 4);

    p.n = 0;
    ADD(&p, 0x21); /* protocol-field compression */
    ip4_udp_body(&p, 4);
    assert_int_equal(dec1(RS_LINK_PPP, &p, &o), RS_DEC_OK);
    assert_ip4_udp(&o, 4);

    p.n = 0;
    ADD(&p, 0xff, 0x03, 0xc0, 0x21, 0x01, 0x01, 0x00, 0x04); /* LCP */
    assert_int_equal(dec1(RS_LINK_PPP, &p, &o), RS_DEC_NOT_IP);

    /* Cisco HDLC, as its own link type and inside PPP_SERIAL. */
    p.n = 0;
    ADD(&p, 0x0f, 0x00, 0x08, 0x00);
    ip4_udp_body(&p, 4);
    assert_int_equal(dec1(RS_LINK_C_HDLC, &p, &o), RS_DEC_OK);
    assert_ip4_udp(&o, 4);
    assert_int_equal(dec1(RS_LINK_PPP_HDLC, &p, &o), RS_DEC_OK);
    assert_ip4_udp(&o, 4);
    p.n = 0;
    ADD(&p, 0x8f, 0x00, 0x86, 0xdd);
    ip6_udp_body(&p, 4);
    assert_int_equal(dec1(RS_LINK_C_HDLC, &p, &o), RS_DEC_OK);
    assert_ip6_udp(&o, 4);
    p.n = 0;
    ADD(&p, 0x8f, 0x00, 0x80, 0x35); /* SLARP */
    assert_int_equal(dec1(RS_LINK_C_HDLC, &p, &o), RS_DEC_NOT_IP);
}

static void
test_fddi(void **state)
{
    (void)state;
    struct rs_decoded o;
    struct pkt p = {.n = 0};
    ADD(&p, 0x50);
    add(&p, macs, 12);
    ADD(&p, 0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00);
    ip4_udp_body(&p, 4);
    assert_int_equal(dec1(RS_LINK_FDDI, &p, &o), RS_DEC_OK);
    assert_ip4_udp(&o, 4);
}

/* An 802.11 data frame header with LLC/SNAP for IPv4. */
static void
wlan_data(struct pkt *p, uint8_t fc0, uint8_t fc1)
{
    add(p, (uint8_t[]){fc0, fc1}, 2);
    ADD(p, 0x00, 0x00);
    add(p, macs, 12);
    add(p, macs, 6);
    ADD(p, 0x10, 0x00);
    if ((fc1 & 3) == 3)
        add(p, macs, 6);
    if (fc0 & 0x80) {
        ADD(p, 0x00, 0x00);
        if (fc1 & 0x80)
            ADD(p, 0, 0, 0, 0);
    }
    ADD(p, 0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00);
}

static void
test_wlan(void **state)
{
    (void)state;
    struct rs_decoded o;
    /* Data (ToDS), QoS data (FromDS), 4-address, QoS with +HTC. */
    static const uint8_t fcs[][2] = {{0x08, 0x01}, {0x88, 0x02}, {0x08, 0x03}, {0x88, 0x82}};
    for (size_t i = 0; i < 4; i++) {
        struct pkt p = {.n = 0};
        wlan_data(&p, fcs[i][0], fcs[i][1]);
        ip4_udp_body(&p, 4);
        assert_int_equal(dec1(RS_LINK_IEEE802_11, &p, &o), RS_DEC_OK);
        assert_ip4_udp(&o, 4);
    }
    /* A-MSDU: the first subframe (DA, SA, length) then LLC. */
    struct pkt p = {.n = 0};
    ADD(&p, 0x88, 0x01, 0, 0);
    add(&p, macs, 12);
    add(&p, macs, 6);
    ADD(&p, 0x10, 0x00, 0x80, 0x00);
    add(&p, macs, 12);
    ADD(&p, 0x00, 0x28, 0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00);
    ip4_udp_body(&p, 4);
    assert_int_equal(dec1(RS_LINK_IEEE802_11, &p, &o), RS_DEC_OK);
    assert_ip4_udp(&o, 4);

    /* Protected, beacon, null data. */
    static const uint8_t skip[][2] = {{0x08, 0x41}, {0x80, 0x00}, {0x48, 0x01}};
    for (size_t i = 0; i < 3; i++) {
        p.n = 0;
        wlan_data(&p, skip[i][0], skip[i][1]);
        ip4_udp_body(&p, 4);
        assert_int_equal(dec1(RS_LINK_IEEE802_11, &p, &o), RS_DEC_NOT_IP);
    }

    /* Radiotap: version, pad, length (LE), present flags, fields. */
    p.n = 0;
    ADD(&p, 0x00, 0x00, 0x0c, 0x00, 0x04, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00);
    wlan_data(&p, 0x08, 0x02);
    ip4_udp_body(&p, 4);
    assert_int_equal(dec1(RS_LINK_IEEE802_11_RADIOTAP, &p, &o), RS_DEC_OK);
    assert_ip4_udp(&o, 4);
    p.b[0] = 1;
    assert_int_equal(dec1(RS_LINK_IEEE802_11_RADIOTAP, &p, &o), RS_DEC_BAD_LINK);
    p.b[0] = 0;
    p.b[2] = 4;
    assert_int_equal(dec1(RS_LINK_IEEE802_11_RADIOTAP, &p, &o), RS_DEC_BAD_LINK);

    /* PPI: version, flags, length (LE), DLT (LE32). */
    p.n = 0;
    ADD(&p, 0x00, 0x00, 0x08, 0x00, 0x69, 0x00, 0x00, 0x00);
    wlan_data(&p, 0x08, 0x01);
    ip4_udp_body(&p, 4);
    assert_int_equal(dec1(RS_LINK_PPI, &p, &o), RS_DEC_OK);
    assert_ip4_udp(&o, 4);
    p.b[4] = 0x7f;
    assert_int_equal(dec1(RS_LINK_PPI, &p, &o), RS_DEC_UNKNOWN_LINKTYPE);
    p.n = 0;
    ADD(&p, 0x00, 0x00, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00);
    eth(&p, 0x0800);
    ip4_udp_body(&p, 4);
    assert_int_equal(dec1(RS_LINK_PPI, &p, &o), RS_DEC_OK);
    assert_ip4_udp(&o, 4);
}

static void
test_nflog(void **state)
{
    (void)state;
    struct rs_decoded o;
    struct pkt p = {.n = 0};
    ADD(&p, 0x02, 0x00, 0x00, 0x05);
    ADD(&p, 0x08, 0x00, 0x01, 0x00, 0x08, 0x00, 0x03, 0x00);            /* packet header */
    ADD(&p, 0x09, 0x00, 0x0a, 0x00, 'l', 'o', 'g', ':', 0x00, 0, 0, 0); /* prefix, padded */
    size_t tlv = p.n;
    ADD(&p, 0x00, 0x00, 0x09, 0x00);
    ip4_udp_body(&p, 4);
    p.b[tlv] = (uint8_t)(p.n - tlv);
    assert_int_equal(dec1(RS_LINK_NFLOG, &p, &o), RS_DEC_OK);
    assert_ip4_udp(&o, 4);

    p.n = 0;
    ADD(&p, 0x0a, 0x00, 0x00, 0x05, 0x05, 0x00, 0x0a, 0x00, 'x', 0, 0, 0);
    tlv = p.n;
    ADD(&p, 0x00, 0x00, 0x09, 0x00);
    ip6_udp_body(&p, 4);
    p.b[tlv] = (uint8_t)(p.n - tlv);
    assert_int_equal(dec1(RS_LINK_NFLOG, &p, &o), RS_DEC_OK);
    assert_ip6_udp(&o, 4);

    /* No payload TLV; a TLV length below its own header. */
    p.n = 0;
    ADD(&p, 0x02, 0x00, 0x00, 0x05, 0x08, 0x00, 0x01, 0x00, 0x08, 0x00, 0x03, 0x00);
    assert_int_equal(dec1(RS_LINK_NFLOG, &p, &o), RS_DEC_NOT_IP);
    p.n = 0;
    ADD(&p, 0x02, 0x00, 0x00, 0x05, 0x02, 0x00, 0x01, 0x00, 0x08, 0x00, 0x03, 0x00);
    assert_int_equal(dec1(RS_LINK_NFLOG, &p, &o), RS_DEC_BAD_LINK);
}

/* -------------------------------------------------------------------- IPv6 */

static void
test_ipv6_ext_headers(void **state)
{
    (void)state;
    struct rs_decoder *d = new_dec(1);
    struct rs_decoded o;
    struct pkt p = {.n = 0};
    eth(&p, 0x86dd);
    size_t ip = ip6(&p, 0, 1, 2);
    ADD(&p, 60, 0, 1, 4, 0, 0, 0, 0); /* hop-by-hop, PadN */
    ADD(&p, 43, 0, 1, 4, 0, 0, 0, 0); /* destination options */
    ADD(&p, 51, 2, 0, 0, 0, 0, 0, 0); /* routing type 0, segments left 0 */
    add(&p, v6pre, 15);
    ADD(&p, 9);
    ADD(&p, 135, 4, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1); /* AH: 24 bytes (RFC 4302) */
    fill(&p, 12, 0);
    ADD(&p, 6, 0, 0, 0, 0, 0, 0, 0); /* mobility (RFC 6275), then TCP */
    size_t t = tcp(&p, 1234, 443, 7, 8, RS_TCP_ACK, NULL, 0);
    fill(&p, 6, 0);
    fin_tcp(&p, t, ip);
    fin_ip6(&p, ip);
    assert_int_equal(dec(d, RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    const struct rs_layer *l = &o.layer[0];
    assert_int_equal(l->family, 6);
    assert_int_equal(l->proto, 6);
    assert_int_equal(l->ttl, 64);
    assert_int_equal(l->ip_len, p.n - 14);
    assert_int_equal(l->l4_len, 26);
    assert_int_equal(l->sport, 1234);
    assert_int_equal(l->u.tcp.ack, 8);
    assert_int_equal(l->payload_len, 6);
    assert_int_equal(l->csum, 0);

    /* RFC 8200 §8.1: with segments left, the pseudo-header uses the
     * routing header's final destination. */
    p.n = 0;
    ip = ip6(&p, 43, 1, 2);
    static const uint8_t home[16] = {0x20, 0x01, 0x0d, 0xb8, 9, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7};
    ADD(&p, 17, 2, 2, 1, 0, 0, 0, 0); /* type 2, segments left 1 */
    add(&p, home, 16);
    size_t u = udp(&p, 5, 6);
    fill(&p, 3, 0);
    put16(&p, u + 4, p.n - u);
    fin_l4_to(&p, u, 6, ip, 17, 1, home);
    fin_ip6(&p, ip);
    assert_int_equal(dec(d, RS_LINK_RAW, &p, &o), RS_DEC_OK);
    assert_int_equal(o.layer[0].csum, 0);
    assert_int_equal(o.layer[0].dport, 6);
    assert_int_equal(rs_decoder_counters(d)[RS_DEC_BAD_L4_CHECKSUM], 0);
    rs_decoder_free(d);
}

static void
test_ipv6_esp_none_limits(void **state)
{
    (void)state;
    struct rs_decoded o;
    struct pkt p = {.n = 0};
    size_t ip = ip6(&p, 50, 1, 2);
    fill(&p, 16, 0);
    fin_ip6(&p, ip);
    assert_int_equal(dec1(RS_LINK_RAW, &p, &o), RS_DEC_OK);
    assert_int_equal(o.layer[0].proto, 50);
    assert_false(o.layer[0].l4_ok);
    assert_int_equal(o.layer[0].payload_len, 16);
    assert_int_equal(o.layer[0].sport, 0);

    p.n = 0;
    ip = ip6(&p, 60, 1, 2);
    ADD(&p, 59, 0, 1, 4, 0, 0, 0, 0);
    fin_ip6(&p, ip);
    assert_int_equal(dec1(RS_LINK_RAW, &p, &o), RS_DEC_OK);
    assert_int_equal(o.layer[0].proto, 59);
    assert_false(o.layer[0].l4_ok);

    /* 16 extension headers pass, 17 do not. */
    for (int n = 16; n <= 17; n++) {
        p.n = 0;
        ip = ip6(&p, 60, 1, 2);
        for (int i = 0; i < n; i++) {
            uint8_t nh = i == n - 1 ? 17 : 60;
            add(&p, &nh, 1);
            ADD(&p, 0, 1, 4, 0, 0, 0, 0);
        }
        size_t u = udp(&p, 1, 2);
        fin_udp(&p, u, ip);
        fin_ip6(&p, ip);
        assert_int_equal(dec1(RS_LINK_RAW, &p, &o), n == 16 ? RS_DEC_OK : RS_DEC_IPV6_EXT);
    }

    /* A header longer than the payload length: malformed when the packet
     * is whole, truncated when the capture is cut. */
    p.n = 0;
    ip = ip6(&p, 0, 1, 2);
    ADD(&p, 17, 3, 1, 4, 0, 0, 0, 0);
    fill(&p, 16, 0);
    fin_ip6(&p, ip);
    struct rs_decoder *d = new_dec(0);
    assert_int_equal(dec(d, RS_LINK_RAW, &p, &o), RS_DEC_IPV6_EXT);
    put16(&p, ip + 4, 64);
    assert_int_equal(dec(d, RS_LINK_RAW, &p, &o), RS_DEC_TRUNC_IP);
    rs_decoder_free(d);

    /* Jumbogram: payload length 0 with hop-by-hop: the capture decides. */
    p.n = 0;
    ip = ip6(&p, 0, 1, 2);
    ADD(&p, 17, 0, 0xc2, 4, 0, 0, 0, 48);
    size_t u = udp(&p, 1, 2);
    fill(&p, 32, 0);
    fin_udp(&p, u, ip);
    assert_int_equal(dec1(RS_LINK_RAW, &p, &o), RS_DEC_OK);
    assert_int_equal(o.layer[0].ip_len, p.n);
    assert_int_equal(o.layer[0].payload_len, 32);

    /* Atomic fragment (RFC 6946): decoded directly, id kept. */
    p.n = 0;
    ip = ip6(&p, 44, 1, 2);
    ADD(&p, 17, 0, 0x00, 0x00, 0xde, 0xad, 0xbe, 0xef);
    u = udp(&p, 1, 2);
    fin_udp(&p, u, ip);
    fin_ip6(&p, ip);
    assert_int_equal(dec1(RS_LINK_RAW, &p, &o), RS_DEC_OK);
    assert_int_equal(o.layer[0].ip_id, 0xbeef);
    assert_false(o.layer[0].reassembled);
    assert_int_equal(o.layer[0].dport, 2);
}

/* ---------------------------------------------------------- UDP, ICMP, other */

static void
test_udp_lengths(void **state)
{
    (void)state;
    struct rs_decoded o;
    struct pkt p = {.n = 0};
    ip4_udp_body(&p, 20);
    /* UDP length 0 and larger than IP: the IP length rules. */
    put16(&p, 24, 0);
    assert_int_equal(dec1(RS_LINK_RAW, &p, &o), RS_DEC_OK);
    assert_int_equal(o.layer[0].payload_len, 20);
    put16(&p, 24, 500);
    assert_int_equal(dec1(RS_LINK_RAW, &p, &o), RS_DEC_OK);
    assert_int_equal(o.layer[0].payload_len, 20);
    /* Shorter: the UDP length bounds the payload. */
    put16(&p, 24, 18);
    assert_int_equal(dec1(RS_LINK_RAW, &p, &o), RS_DEC_OK);
    assert_int_equal(o.layer[0].payload_len, 10);
    assert_int_equal(o.layer[0].payload_caplen, 10);
}

static void
test_icmp(void **state)
{
    (void)state;
    struct rs_decoded o;
    struct pkt p = {.n = 0};
    size_t ip = ip4(&p, 1, 1, 2);
    size_t ic = p.n;
    ADD(&p, 8, 0, 0, 0, 0x12, 0x34, 0x00, 0x07);
    fill(&p, 16, 0);
    fin_l4_to(&p, ic, 2, ip, 1, 0, NULL);
    fin_ip4(&p, ip);
    struct rs_decoder *d = new_dec(1);
    assert_int_equal(dec(d, RS_LINK_RAW, &p, &o), RS_DEC_OK);
    const struct rs_icmp_info *i = &o.layer[0].u.icmp;
    assert_int_equal(i->type, 8);
    assert_int_equal(i->id, 0x1234);
    assert_int_equal(i->seq, 7);
    assert_false(i->has_quote);
    assert_false(i->is_v6);
    assert_int_equal(o.layer[0].sport, 0);
    assert_int_equal(o.layer[0].payload_len, 16);
    assert_int_equal(o.layer[0].csum, 0);

    /* Port unreachable quoting a UDP datagram 10.0.0.2:5353 -> 10.0.0.9:53. */
    p.n = 0;
    ip = ip4(&p, 1, 9, 2);
    ic = p.n;
    ADD(&p, 3, 3, 0, 0, 0, 0, 0, 0);
    size_t qip = ip4(&p, 17, 2, 9);
    size_t qu = udp(&p, 5353, 53);
    fill(&p, 12, 0);
    fin_udp(&p, qu, qip);
    fin_ip4(&p, qip);
    fin_l4_to(&p, ic, 2, ip, 1, 0, NULL);
    fin_ip4(&p, ip);
    assert_int_equal(dec(d, RS_LINK_RAW, &p, &o), RS_DEC_OK);
    i = &o.layer[0].u.icmp;
    assert_int_equal(i->type, 3);
    assert_int_equal(i->code, 3);
    assert_true(i->has_quote);
    assert_int_equal(i->q_proto, 17);
    assert_int_equal(i->q_sport, 5353);
    assert_int_equal(i->q_dport, 53);
    assert_v4(&i->q_src, 0, 2);
    assert_v4(&i->q_dst, 0, 9);
    assert_int_equal(o.layer[0].csum, 0);

    /* A quote cut to its IP header: tuple without ports; cut shorter:
     * no quote, still a good ICMP packet. */
    p.n = qu;
    fin_ip4(&p, ip);
    assert_int_equal(dec(d, RS_LINK_RAW, &p, &o), RS_DEC_OK);
    assert_true(o.layer[0].u.icmp.has_quote);
    assert_int_equal(o.layer[0].u.icmp.q_sport, 0);
    p.n = qip + 10;
    fin_ip4(&p, ip);
    assert_int_equal(dec(d, RS_LINK_RAW, &p, &o), RS_DEC_OK);
    assert_false(o.layer[0].u.icmp.has_quote);
    rs_decoder_free(d);
}

static void
test_icmpv6(void **state)
{
    (void)state;
    struct rs_decoded o;
    struct rs_decoder *d = new_dec(1);
    struct pkt p = {.n = 0};
    size_t ip = ip6(&p, 58, 1, 2);
    size_t ic = p.n;
    ADD(&p, 128, 0, 0, 0, 0xab, 0xcd, 0x00, 0x01);
    fill(&p, 8, 0);
    fin_l4_to(&p, ic, 2, ip, 58, 1, NULL);
    fin_ip6(&p, ip);
    assert_int_equal(dec(d, RS_LINK_RAW, &p, &o), RS_DEC_OK);
    assert_true(o.layer[0].u.icmp.is_v6);
    assert_int_equal(o.layer[0].u.icmp.id, 0xabcd);
    assert_int_equal(o.layer[0].csum, 0);

    /* Packet Too Big quoting a TCP segment behind a hop-by-hop header. */
    p.n = 0;
    ip = ip6(&p, 58, 7, 1);
    ic = p.n;
    ADD(&p, 2, 0, 0, 0, 0, 0, 0x05, 0x00);
    ip6(&p, 0, 1, 2);
    ADD(&p, 6, 0, 1, 4, 0, 0, 0, 0);
    tcp(&p, 40000, 443, 1, 2, RS_TCP_ACK, NULL, 0);
    fin_l4_to(&p, ic, 2, ip, 58, 1, NULL);
    fin_ip6(&p, ip);
    assert_int_equal(dec(d, RS_LINK_RAW, &p, &o), RS_DEC_OK);
    const struct rs_icmp_info *i = &o.layer[0].u.icmp;
    assert_int_equal(i->type, 2);
    assert_true(i->has_quote);
    assert_int_equal(i->q_proto, 6);
    assert_int_equal(i->q_sport, 40000);
    assert_int_equal(i->q_dport, 443);
    assert_v6(&i->q_src, 1);
    assert_v6(&i->q_dst, 2);
    assert_int_equal(o.layer[0].csum, 0);

    /* Bad checksum is flagged and counted, the layer still returned. */
    p.b[ic + 2] ^= 0xff;
    assert_int_equal(dec(d, RS_LINK_RAW, &p, &o), RS_DEC_OK);
    assert_int_equal(o.layer[0].csum, RS_CSUM_L4_BAD);
    assert_int_equal(rs_decoder_counters(d)[RS_DEC_BAD_L4_CHECKSUM], 1);
    rs_decoder_free(d);
}

static void
test_other_protocol(void **state)
{
    (void)state;
    struct rs_decoded o;
    struct pkt p = {.n = 0};
    size_t ip = ip4(&p, 89, 1, 2); /* OSPF */
    fill(&p, 24, 0);
    fin_ip4(&p, ip);
    assert_int_equal(dec1(RS_LINK_RAW, &p, &o), RS_DEC_OK);
    assert_int_equal(o.layer[0].proto, 89);
    assert_true(o.layer[0].l4_ok);
    assert_int_equal(o.layer[0].sport, 0);
    assert_int_equal(o.layer[0].payload_len, 24);
    assert_ptr_equal(o.layer[0].payload, p.b + 20);
    /* ICMPv6 number under IPv4 is just a protocol number. */
    p.b[9] = 58;
    fin_ip4(&p, ip);
    assert_int_equal(dec1(RS_LINK_RAW, &p, &o), RS_DEC_OK);
    assert_int_equal(o.layer[0].payload_len, 24);
}

/* -------------------------------------------------------------- checksums */

static void
test_checksum_verify(void **state)
{
    (void)state;
    struct rs_decoded o;
    struct rs_decoder *d = new_dec(1);
    struct rs_decoder *n = new_dec(0);

    struct pkt p = {.n = 0};
    eth(&p, 0x0800);
    size_t ip = ip4(&p, 6, 1, 2);
    size_t t = tcp(&p, 1, 2, 3, 4, RS_TCP_ACK, NULL, 0);
    fill(&p, 33, 0); /* odd length */
    fin_tcp(&p, t, ip);
    fin_ip4(&p, ip);
    assert_int_equal(dec(d, RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_int_equal(o.layer[0].csum, 0);

    p.b[p.n - 1] ^= 1; /* payload damaged */
    assert_int_equal(dec(d, RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_int_equal(o.layer[0].csum, RS_CSUM_L4_BAD);
    assert_int_equal(dec(n, RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_int_equal(o.layer[0].csum, 0);
    /* Cut by the snaplen: cannot tell, not flagged. */
    assert_int_equal(run(d, RS_LINK_ETHERNET, &p, p.n - 1, SEC, &o), RS_DEC_OK);
    assert_int_equal(o.layer[0].csum, 0);

    p.b[ip + 8] = 63; /* TTL changed: IP header checksum wrong */
    assert_int_equal(dec(d, RS_LINK_ETHERNET, &p, &o), RS_DEC_BAD_IP_CHECKSUM);
    assert_int_equal(o.n_layers, 0);
    assert_int_equal(dec(n, RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);

    /* UDP over IPv4: zero means none; over IPv6 zero is wrong. */
    p.n = 0;
    ip4_udp_body(&p, 5);
    assert_int_equal(dec(d, RS_LINK_RAW, &p, &o), RS_DEC_OK);
    assert_int_equal(o.layer[0].csum, 0);
    put16(&p, 26, 0);
    assert_int_equal(dec(d, RS_LINK_RAW, &p, &o), RS_DEC_OK);
    assert_int_equal(o.layer[0].csum, 0);
    put16(&p, 26, 0x1234);
    assert_int_equal(dec(d, RS_LINK_RAW, &p, &o), RS_DEC_OK);
    assert_int_equal(o.layer[0].csum, RS_CSUM_L4_BAD);
    p.n = 0;
    ip6_udp_body(&p, 5);
    assert_int_equal(dec(d, RS_LINK_RAW, &p, &o), RS_DEC_OK);
    assert_int_equal(o.layer[0].csum, 0);
    put16(&p, 46, 0);
    assert_int_equal(dec(d, RS_LINK_RAW, &p, &o), RS_DEC_OK);
    assert_int_equal(o.layer[0].csum, RS_CSUM_L4_BAD);

    /* ICMP over IPv4. */
    p.n = 0;
    ip = ip4(&p, 1, 1, 2);
    size_t ic = p.n;
    ADD(&p, 0, 0, 0, 0, 0, 1, 0, 1);
    fill(&p, 7, 0);
    fin_l4_to(&p, ic, 2, ip, 1, 0, NULL);
    fin_ip4(&p, ip);
    assert_int_equal(dec(d, RS_LINK_RAW, &p, &o), RS_DEC_OK);
    assert_int_equal(o.layer[0].csum, 0);
    p.b[ic + 4] ^= 0x10;
    assert_int_equal(dec(d, RS_LINK_RAW, &p, &o), RS_DEC_OK);
    assert_int_equal(o.layer[0].csum, RS_CSUM_L4_BAD);

    const uint64_t *c = rs_decoder_counters(d);
    assert_int_equal(c[RS_DEC_BAD_IP_CHECKSUM], 1);
    assert_int_equal(c[RS_DEC_BAD_L4_CHECKSUM], 4);
    assert_int_equal(rs_decoder_counters(n)[RS_DEC_BAD_L4_CHECKSUM], 0);
    rs_decoder_free(d);
    rs_decoder_free(n);
}

/* -------------------------------------------------------------- fragments */

/* The IPv4 UDP datagram the fragment tests cut up: 108 bytes of data. */
static void
frag_datagram(struct pkt *dg)
{
    dg->n = 0;
    ip4_udp_body(dg, 100);
}

/* One IPv4 fragment of `dg` (data bytes [off, off+len)), on Ethernet. */
static void
frag4(struct pkt *p, const struct pkt *dg, uint16_t id, size_t off, size_t len, int more)
{
    p->n = 0;
    eth(p, 0x0800);
    size_t ip = p->n;
    add(p, dg->b, 20);
    add(p, dg->b + 20 + off, len);
    put16(p, ip + 4, id);
    put16(p, ip + 6, (more ? 0x2000u : 0) | off / 8);
    fin_ip4(p, ip);
}

static enum rs_decode_status
feed4(struct rs_decoder *d, const struct pkt *dg, uint16_t id, size_t off, size_t len, int more,
      rs_time_ns ts, struct rs_decoded *o)
{
    struct pkt p;
    frag4(&p, dg, id, off, len, more);
    return run(d, RS_LINK_ETHERNET, &p, p.n, ts, o);
}

static void
assert_reassembled(const struct rs_decoded *o, const struct pkt *dg, uint16_t id)
{
    assert_int_equal(o->n_layers, 1);
    const struct rs_layer *l = &o->layer[0];
    assert_true(l->reassembled);
    assert_int_equal(l->ip_len, 128);
    assert_int_equal(l->ip_id, id);
    assert_int_equal(l->sport, 1111);
    assert_int_equal(l->payload_len, 100);
    assert_int_equal(l->payload_caplen, 100);
    assert_memory_equal(l->payload, dg->b + 28, 100);
    assert_int_equal(l->csum, 0);
}

static void
test_frag4_orders(void **state)
{
    (void)state;
    struct pkt dg;
    frag_datagram(&dg);
    struct rs_decoded o;
    struct rs_decoder *d = new_dec(1);

    /* In order. */
    assert_int_equal(feed4(d, &dg, 1, 0, 48, 1, SEC, &o), RS_DEC_FRAG_HELD);
    assert_int_equal(o.n_layers, 0);
    assert_int_equal(feed4(d, &dg, 1, 48, 48, 1, SEC, &o), RS_DEC_FRAG_HELD);
    assert_int_equal(feed4(d, &dg, 1, 96, 12, 0, SEC, &o), RS_DEC_OK);
    assert_reassembled(&o, &dg, 1);

    /* Out of order, with a duplicate. */
    assert_int_equal(feed4(d, &dg, 2, 96, 12, 0, SEC, &o), RS_DEC_FRAG_HELD);
    assert_int_equal(feed4(d, &dg, 2, 48, 48, 1, SEC, &o), RS_DEC_FRAG_HELD);
    assert_int_equal(feed4(d, &dg, 2, 48, 48, 1, SEC, &o), RS_DEC_FRAG_HELD);
    assert_int_equal(feed4(d, &dg, 2, 0, 48, 1, SEC, &o), RS_DEC_OK);
    assert_reassembled(&o, &dg, 2);

    /* Overlap: the first copy of a byte wins. */
    struct pkt evil = dg;
    memset(evil.b + 20 + 40, 0xee, 16);
    assert_int_equal(feed4(d, &dg, 3, 0, 48, 1, SEC, &o), RS_DEC_FRAG_HELD);
    assert_int_equal(feed4(d, &evil, 3, 40, 56, 1, SEC, &o), RS_DEC_FRAG_HELD);
    assert_int_equal(feed4(d, &dg, 3, 56, 52, 0, SEC, &o), RS_DEC_OK);
    const uint8_t *pl = o.layer[0].payload;
    assert_memory_equal(pl, dg.b + 28, 40 - 8 + 8); /* bytes 0..40 of data: original */
    assert_int_equal(pl[32 + 8], 0xee);             /* 48..56 came only from `evil` */
    assert_int_equal(o.layer[0].ip_len, 128);

    /* A contradicting last fragment drops the datagram. */
    assert_int_equal(feed4(d, &dg, 4, 96, 12, 0, SEC, &o), RS_DEC_FRAG_HELD);
    assert_int_equal(feed4(d, &dg, 4, 8, 104, 0, SEC, &o), RS_DEC_FRAG_DROPPED);

    /* Data past 65535 bytes (ping of death). */
    struct pkt pod;
    frag4(&pod, &dg, 5, 0, 16, 0);
    put16(&pod, 14 + 6, 65528 / 8);
    fin_ip4(&pod, 14);
    assert_int_equal(dec(d, RS_LINK_ETHERNET, &pod, &o), RS_DEC_FRAG_DROPPED);

    const uint64_t *c = rs_decoder_counters(d);
    assert_int_equal(c[RS_DEC_FRAG_HELD], 8);
    assert_int_equal(c[RS_DEC_FRAG_DROPPED], 2);
    rs_decoder_free(d);
}

static void
test_frag4_limits(void **state)
{
    (void)state;
    struct pkt dg;
    frag_datagram(&dg);
    struct rs_decoded o;

    /* Table full: the oldest partial datagram makes room. */
    struct rs_decode_config c = cfg_default();
    c.frag_max_datagrams = 2;
    struct rs_decoder *d = rs_decoder_new(&c);
    assert_non_null(d);
    for (uint16_t id = 1; id <= 3; id++)
        assert_int_equal(feed4(d, &dg, id, 0, 48, 1, SEC, &o), RS_DEC_FRAG_HELD);
    assert_int_equal(rs_decoder_counters(d)[RS_DEC_FRAG_DROPPED], 1);
    assert_int_equal(feed4(d, &dg, 3, 48, 60, 0, SEC, &o), RS_DEC_OK);
    assert_reassembled(&o, &dg, 3);
    assert_int_equal(feed4(d, &dg, 2, 48, 60, 0, SEC, &o), RS_DEC_OK);
    assert_int_equal(feed4(d, &dg, 1, 48, 60, 0, SEC, &o), RS_DEC_FRAG_HELD); /* 1 was evicted */
    rs_decoder_free(d);

    /* Timeout on packet time. */
    c = cfg_default();
    c.frag_timeout = SEC;
    d = rs_decoder_new(&c);
    assert_int_equal(feed4(d, &dg, 9, 0, 48, 1, 10 * SEC, &o), RS_DEC_FRAG_HELD);
    assert_int_equal(feed4(d, &dg, 9, 48, 60, 0, 12 * SEC, &o), RS_DEC_FRAG_HELD);
    assert_int_equal(feed4(d, &dg, 9, 0, 48, 1, 12 * SEC, &o), RS_DEC_OK);
    assert_int_equal(rs_decoder_counters(d)[RS_DEC_FRAG_DROPPED], 0);
    rs_decoder_free(d);

    /* Byte budget: two 1 KiB blocks cannot hold 3000 bytes. */
    c = cfg_default();
    c.frag_max_bytes = 2048;
    d = rs_decoder_new(&c);
    struct pkt big;
    big.n = 0;
    ip4_udp_body(&big, 2992);
    assert_int_equal(feed4(d, &big, 7, 0, 1480, 1, SEC, &o), RS_DEC_FRAG_HELD);
    assert_int_equal(feed4(d, &big, 7, 1480, 1480, 1, SEC, &o), RS_DEC_FRAG_DROPPED);
    /* ... while a small datagram still fits after it is gone. */
    assert_int_equal(feed4(d, &dg, 8, 0, 48, 1, SEC, &o), RS_DEC_FRAG_HELD);
    assert_int_equal(feed4(d, &dg, 8, 48, 60, 0, SEC, &o), RS_DEC_OK);
    rs_decoder_free(d);

    /* Reassembly disabled. */
    c = cfg_default();
    c.frag_max_datagrams = 0;
    d = rs_decoder_new(&c);
    assert_int_equal(feed4(d, &dg, 1, 0, 48, 1, SEC, &o), RS_DEC_FRAG_DROPPED);
    rs_decoder_free(d);

    /* Cut by the snaplen: later fragments are dropped; the first one is
     * decoded as it stands (header-only traces). */
    d = new_dec(0);
    struct pkt p;
    frag4(&p, &dg, 6, 48, 48, 1);
    assert_int_equal(run(d, RS_LINK_ETHERNET, &p, p.n - 1, SEC, &o), RS_DEC_FRAG_DROPPED);
    frag4(&p, &dg, 6, 0, 48, 1);
    assert_int_equal(run(d, RS_LINK_ETHERNET, &p, 14 + 20 + 12, SEC, &o), RS_DEC_OK);
    assert_false(o.layer[0].reassembled);
    assert_int_equal(o.layer[0].dport, 2222);
    assert_int_equal(o.layer[0].ip_len, 68);
    rs_decoder_free(d);
}

/* IPv6 fragment: unfragmentable part (header + hop-by-hop), Fragment
 * header, then data [off, off+len) of the upper-layer bytes in `ul`. */
static void
frag6(struct pkt *p, const uint8_t *ul, uint32_t id, size_t off, size_t len, int more)
{
    p->n = 0;
    eth(p, 0x86dd);
    size_t ip = ip6(p, 0, 1, 2);
    ADD(p, 44, 0, 1, 4, 0, 0, 0, 0);
    ADD(p, 17, 0);
    add16(p, off | (more ? 1u : 0u));
    add32(p, id);
    add(p, ul + off, len);
    fin_ip6(p, ip);
}

static void
test_frag6(void **state)
{
    (void)state;
    /* The whole datagram, to get the UDP checksum right. */
    struct pkt whole = {.n = 0};
    size_t ip = ip6(&whole, 17, 1, 2);
    size_t u = udp(&whole, 1111, 2222);
    fill(&whole, 200, 0x33);
    fin_udp(&whole, u, ip);
    const uint8_t *ul = whole.b + 40;
    size_t ul_len = whole.n - 40;

    struct rs_decoder *d = new_dec(1);
    struct rs_decoded o;
    struct pkt p;
    frag6(&p, ul, 0x12345678, 104, ul_len - 104, 0);
    assert_int_equal(dec(d, RS_LINK_ETHERNET, &p, &o), RS_DEC_FRAG_HELD);
    frag6(&p, ul, 0x12345678, 0, 56, 1);
    assert_int_equal(dec(d, RS_LINK_ETHERNET, &p, &o), RS_DEC_FRAG_HELD);
    frag6(&p, ul, 0x12345678, 56, 48, 1);
    assert_int_equal(dec(d, RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    const struct rs_layer *l = &o.layer[0];
    assert_true(l->reassembled);
    assert_int_equal(l->family, 6);
    assert_int_equal(l->proto, 17);
    assert_int_equal(l->ip_id, 0x5678);
    assert_int_equal(l->ip_len, 40 + 8 + ul_len);
    assert_int_equal(l->sport, 1111);
    assert_int_equal(l->payload_len, 200);
    assert_memory_equal(l->payload, ul + 8, 200);
    assert_int_equal(l->csum, 0);
    assert_v6(&l->src, 1);

    /* A different id is a different datagram. */
    frag6(&p, ul, 1, 0, 56, 1);
    assert_int_equal(dec(d, RS_LINK_ETHERNET, &p, &o), RS_DEC_FRAG_HELD);
    frag6(&p, ul, 2, 56, ul_len - 56, 0);
    assert_int_equal(dec(d, RS_LINK_ETHERNET, &p, &o), RS_DEC_FRAG_HELD);
    rs_decoder_free(d);
}

static void
test_frag_tunnel(void **state)
{
    (void)state;
    /* GRE carrying IPv4/UDP, the outer IPv4 datagram fragmented. */
    struct pkt dg = {.n = 0};
    size_t ip = ip4n(&dg, 47, 1, 1, 2);
    ADD(&dg, 0x00, 0x00, 0x08, 0x00);
    ip4_udp_body(&dg, 60);
    fin_ip4(&dg, ip);
    struct rs_decoder *d = new_dec(1);
    struct rs_decoded o;
    assert_int_equal(feed4(d, &dg, 77, 0, 40, 1, SEC, &o), RS_DEC_FRAG_HELD);
    assert_int_equal(feed4(d, &dg, 77, 40, dg.n - 60, 0, SEC, &o), RS_DEC_OK);
    assert_int_equal(o.n_layers, 2);
    assert_true(o.layer[0].reassembled);
    assert_int_equal(o.layer[0].proto, 47);
    assert_int_equal(o.layer[1].tunnel, RS_TUN_GRE);
    assert_false(o.layer[1].reassembled);
    assert_int_equal(o.layer[1].dport, 2222);
    assert_int_equal(o.layer[1].payload_len, 60);
    assert_int_equal(o.layer[1].csum, 0);

    /* And the other way round: an inner fragment inside a tunnel. */
    struct pkt inner;
    frag_datagram(&inner);
    struct pkt p = {.n = 0};
    size_t oip = ip4n(&p, 4, 5, 1, 2);
    size_t iip = p.n;
    add(&p, inner.b, 20);
    add(&p, inner.b + 20, 48);
    put16(&p, iip + 6, 0x2000);
    fin_ip4(&p, iip);
    fin_ip4(&p, oip);
    assert_int_equal(dec(d, RS_LINK_RAW, &p, &o), RS_DEC_FRAG_HELD);
    assert_int_equal(o.n_layers, 1);
    assert_int_equal(o.layer[0].proto, 4);
    p.n = iip;
    add(&p, inner.b, 20);
    add(&p, inner.b + 68, 60);
    put16(&p, iip + 6, 48 / 8);
    fin_ip4(&p, iip);
    fin_ip4(&p, oip);
    assert_int_equal(dec(d, RS_LINK_RAW, &p, &o), RS_DEC_OK);
    assert_int_equal(o.n_layers, 2);
    assert_false(o.layer[0].reassembled);
    assert_true(o.layer[1].reassembled);
    assert_int_equal(o.layer[1].tunnel, RS_TUN_IP);
    assert_int_equal(o.layer[1].payload_len, 100);
    rs_decoder_free(d);
}

/* ---------------------------------------------------------------- tunnels */

/* Outer Ethernet/IPv4 (net 9) with `proto`; returns the IP offset. */
static size_t
outer4(struct pkt *p, uint8_t proto)
{
    p->n = 0;
    eth(p, 0x0800);
    return ip4n(p, proto, 9, 1, 2);
}

static void
assert_inner_udp(const struct rs_decoded *o, unsigned idx, enum rs_tunnel_type tun, int v6)
{
    assert_true(o->n_layers > idx);
    const struct rs_layer *l = &o->layer[idx];
    assert_int_equal(l->tunnel, tun);
    assert_int_equal(l->family, v6 ? 6 : 4);
    assert_int_equal(l->proto, 17);
    assert_int_equal(l->sport, 1111);
    assert_int_equal(l->dport, 2222);
    if (v6)
        assert_v6(&l->src, 1);
    else
        assert_v4(&l->src, 0, 1);
}

static void
test_ip_in_ip(void **state)
{
    (void)state;
    struct rs_decoded o;
    for (int ov6 = 0; ov6 < 2; ov6++) {
        for (int iv6 = 0; iv6 < 2; iv6++) {
            struct pkt p = {.n = 0};
            uint8_t proto = iv6 ? 41 : 4;
            size_t ip = ov6 ? ip6(&p, proto, 8, 9) : ip4n(&p, proto, 9, 1, 2);
            if (iv6)
                ip6_udp_body(&p, 7);
            else
                ip4_udp_body(&p, 7);
            if (ov6)
                fin_ip6(&p, ip);
            else
                fin_ip4(&p, ip);
            assert_int_equal(dec1(RS_LINK_RAW, &p, &o), RS_DEC_OK);
            assert_int_equal(o.n_layers, 2);
            assert_int_equal(o.layer[0].proto, proto);
            assert_int_equal(o.layer[0].tunnel, RS_TUN_NONE);
            assert_int_equal(o.layer[0].payload_len, iv6 ? 55 : 35);
            assert_inner_udp(&o, 1, RS_TUN_IP, iv6);
        }
    }
    /* IP-in-IP whose inner header is not the announced version. */
    struct pkt p = {.n = 0};
    size_t ip = ip4n(&p, 4, 9, 1, 2);
    ip6_udp_body(&p, 7);
    fin_ip4(&p, ip);
    assert_int_equal(dec1(RS_LINK_RAW, &p, &o), RS_DEC_BAD_IP_VERSION);
    assert_int_equal(o.n_layers, 1);
}

static void
test_gre(void **state)
{
    (void)state;
    struct rs_decoded o;
    struct pkt p;
    /* Version 0 with checksum, key and sequence (RFC 2784, RFC 2890). */
    size_t ip = outer4(&p, 47);
    ADD(&p, 0xb0, 0x00, 0x08, 0x00, 0, 0, 0, 0, 0, 0, 0, 42, 0, 0, 0, 1);
    ip4_udp_body(&p, 4);
    fin_ip4(&p, ip);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_int_equal(o.n_layers, 2);
    assert_int_equal(o.layer[0].proto, 47);
    assert_int_equal(o.layer[0].sport, 0);
    assert_inner_udp(&o, 1, RS_TUN_GRE, 0);

    /* Transparent Ethernet bridging; the inner VLAN is not the frame's. */
    ip = outer4(&p, 47);
    ADD(&p, 0x00, 0x00, 0x65, 0x58);
    eth(&p, 0x8100);
    ADD(&p, 0x00, 0x33, 0x86, 0xdd);
    ip6_udp_body(&p, 4);
    fin_ip4(&p, ip);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_inner_udp(&o, 1, RS_TUN_GRE, 1);
    assert_int_equal(o.vlan, 0);

    /* Routing present (RFC 1701), unknown version: malformed; a payload
     * type that is not IP: not IP. The outer layer stays. */
    ip = outer4(&p, 47);
    ADD(&p, 0x40, 0x00, 0x08, 0x00, 0, 0, 0, 0);
    ip4_udp_body(&p, 4);
    fin_ip4(&p, ip);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_BAD_TUNNEL);
    assert_int_equal(o.n_layers, 1);
    p.b[34] = 0x00;
    p.b[35] = 0x02;
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_BAD_TUNNEL);
    p.b[35] = 0x00;
    p.b[36] = 0x08;
    p.b[37] = 0x06;
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_NOT_IP);
    assert_int_equal(o.n_layers, 1);

    /* PPTP enhanced GRE (RFC 2637 §4.1): K, S, A, version 1, PPP. */
    ip = outer4(&p, 47);
    ADD(&p, 0x30, 0x81, 0x88, 0x0b, 0x00, 0x30, 0x00, 0x07, 0, 0, 0, 5, 0, 0, 0, 4, 0xff, 0x03,
        0x00, 0x21);
    ip4_udp_body(&p, 4);
    fin_ip4(&p, ip);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_inner_udp(&o, 1, RS_TUN_GRE, 0);
    ip = outer4(&p, 47);
    ADD(&p, 0x20, 0x01, 0x88, 0x0b, 0x00, 0x30, 0x00, 0x07, 0x57); /* compressed PPP */
    ip6_udp_body(&p, 4);
    fin_ip4(&p, ip);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_inner_udp(&o, 1, RS_TUN_GRE, 1);
    ip = outer4(&p, 47);
    ADD(&p, 0x20, 0x01, 0x88, 0x0b, 0x00, 0x30, 0x00, 0x07, 0xff, 0x03, 0x80, 0xfd); /* CCP */
    fin_ip4(&p, ip);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_NOT_IP);
    assert_int_equal(o.n_layers, 1);

    /* GRE in UDP (RFC 8086). */
    ip = outer4(&p, 17);
    size_t u = udp(&p, 40000, 4754);
    ADD(&p, 0x00, 0x00, 0x86, 0xdd);
    ip6_udp_body(&p, 4);
    fin_udp(&p, u, ip);
    fin_ip4(&p, ip);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_int_equal(o.layer[0].dport, 4754);
    assert_inner_udp(&o, 1, RS_TUN_GRE, 1);
}

static void
test_erspan_aruba(void **state)
{
    (void)state;
    struct rs_decoded o;
    struct pkt p;
    /* Type I: no sequence number, Ethernet right after GRE. */
    size_t ip = outer4(&p, 47);
    ADD(&p, 0x00, 0x00, 0x88, 0xbe);
    eth(&p, 0x0800);
    ip4_udp_body(&p, 4);
    fin_ip4(&p, ip);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_inner_udp(&o, 1, RS_TUN_GRE, 0);

    /* Type II: sequence number and an 8-byte ERSPAN header. */
    ip = outer4(&p, 47);
    ADD(&p, 0x10, 0x00, 0x88, 0xbe, 0, 0, 0, 9, 0x10, 0x64, 0x00, 0x01, 0, 0, 0, 0);
    eth(&p, 0x0800);
    ip4_udp_body(&p, 4);
    fin_ip4(&p, ip);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_inner_udp(&o, 1, RS_TUN_GRE, 0);

    /* Type III, with and without the platform-specific subheader. */
    for (int opt = 0; opt < 2; opt++) {
        ip = outer4(&p, 47);
        ADD(&p, 0x00, 0x00, 0x22, 0xeb, 0x20, 0x64, 0, 1, 0, 0, 0, 0, 0, 0, 0x00);
        uint8_t flags = (uint8_t)opt;
        add(&p, &flags, 1);
        if (opt)
            ADD(&p, 0, 0, 0, 0, 0, 0, 0, 0);
        eth(&p, 0x86dd);
        ip6_udp_body(&p, 4);
        fin_ip4(&p, ip);
        assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
        assert_inner_udp(&o, 1, RS_TUN_GRE, 1);
    }

    /* Aruba: 802.11 frames in GRE. */
    ip = outer4(&p, 47);
    ADD(&p, 0x00, 0x00, 0x82, 0x10);
    wlan_data(&p, 0x88, 0x02);
    ip4_udp_body(&p, 4);
    fin_ip4(&p, ip);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_inner_udp(&o, 1, RS_TUN_GRE, 0);
}

/* Outer Ethernet/IPv4/UDP to `dport`; returns the UDP offset, IP in *ip. */
static size_t
outer_udp(struct pkt *p, uint16_t sport, uint16_t dport, size_t *ip)
{
    *ip = outer4(p, 17);
    return udp(p, sport, dport);
}

static void
fin_outer_udp(struct pkt *p, size_t u, size_t ip)
{
    fin_udp(p, u, ip);
    fin_ip4(p, ip);
}

static void
test_vxlan_geneve(void **state)
{
    (void)state;
    struct rs_decoded o;
    struct pkt p;
    size_t ip;
    struct rs_decoder *d = new_dec(1);
    for (int reply = 0; reply < 2; reply++) {
        size_t u = reply ? outer_udp(&p, 4789, 50000, &ip) : outer_udp(&p, 50000, 4789, &ip);
        ADD(&p, 0x08, 0, 0, 0, 0, 0, 0x2a, 0);
        eth(&p, 0x0800);
        ip4_udp_body(&p, 4);
        fin_outer_udp(&p, u, ip);
        assert_int_equal(dec(d, RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
        assert_int_equal(o.n_layers, 2);
        assert_int_equal(o.layer[0].payload_len, 8 + 14 + 32);
        assert_int_equal(o.layer[0].csum, 0);
        assert_inner_udp(&o, 1, RS_TUN_VXLAN, 0);
        assert_int_equal(o.layer[1].csum, 0);
    }
    /* ARP inside: not IP, the outer UDP stays. */
    size_t u = outer_udp(&p, 50000, 4789, &ip);
    ADD(&p, 0x08, 0, 0, 0, 0, 0, 0x2a, 0);
    eth(&p, 0x0806);
    ADD(&p, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01);
    fin_outer_udp(&p, u, ip);
    assert_int_equal(dec(d, RS_LINK_ETHERNET, &p, &o), RS_DEC_NOT_IP);
    assert_int_equal(o.n_layers, 1);
    assert_int_equal(o.layer[0].dport, 4789);
    /* A client whose source port happens to be 4789, asking DNS. */
    u = outer_udp(&p, 4789, 53, &ip);
    fill(&p, 30, 0);
    fin_outer_udp(&p, u, ip);
    assert_int_equal(dec(d, RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_int_equal(o.n_layers, 1);
    /* Too short for the VXLAN header. */
    u = outer_udp(&p, 50000, 4789, &ip);
    ADD(&p, 0x08, 0, 0, 0);
    fin_outer_udp(&p, u, ip);
    assert_int_equal(dec(d, RS_LINK_ETHERNET, &p, &o), RS_DEC_BAD_TUNNEL);
    assert_int_equal(o.n_layers, 1);

    /* Geneve with 8 bytes of options, Ethernet inside. */
    u = outer_udp(&p, 50000, 6081, &ip);
    ADD(&p, 0x02, 0x00, 0x65, 0x58, 0, 0, 7, 0, 0x01, 0x02, 0x03, 0x01, 0, 0, 0, 0);
    eth(&p, 0x86dd);
    ip6_udp_body(&p, 4);
    fin_outer_udp(&p, u, ip);
    assert_int_equal(dec(d, RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_inner_udp(&o, 1, RS_TUN_GENEVE, 1);
    /* Geneve carrying IPv4 directly. */
    u = outer_udp(&p, 50000, 6081, &ip);
    ADD(&p, 0x00, 0x00, 0x08, 0x00, 0, 0, 7, 0);
    ip4_udp_body(&p, 4);
    fin_outer_udp(&p, u, ip);
    assert_int_equal(dec(d, RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_inner_udp(&o, 1, RS_TUN_GENEVE, 0);
    /* Version 1 is not Geneve as we know it; options past the end. */
    p.b[42] = 0x40;
    fin_outer_udp(&p, u, ip);
    assert_int_equal(dec(d, RS_LINK_ETHERNET, &p, &o), RS_DEC_BAD_TUNNEL);
    p.b[42] = 0x3f;
    fin_outer_udp(&p, u, ip);
    assert_int_equal(dec(d, RS_LINK_ETHERNET, &p, &o), RS_DEC_BAD_TUNNEL);
    assert_int_equal(o.n_layers, 1);
    rs_decoder_free(d);
}

static void
test_teredo(void **state)
{
    (void)state;
    struct rs_decoded o;
    struct pkt p;
    size_t ip;
    /* Plain, with origin indication, with authentication + origin. */
    for (int v = 0; v < 3; v++) {
        size_t u = outer_udp(&p, 3544, 50000, &ip);
        if (v == 2)
            ADD(&p, 0x00, 0x01, 2, 1, 'i', 'd', 'a', 1, 2, 3, 4, 5, 6, 7, 8, 0);
        if (v >= 1)
            ADD(&p, 0x00, 0x00, 0xf2, 0x27, 0xbe, 0xc8, 0x61, 0xaf);
        ip6_udp_body(&p, 4);
        fin_outer_udp(&p, u, ip);
        assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
        assert_int_equal(o.n_layers, 2);
        assert_inner_udp(&o, 1, RS_TUN_TEREDO, 1);
    }
    /* A bubble with trailing bytes still counts (Zeek). */
    size_t u = outer_udp(&p, 50000, 3544, &ip);
    size_t i6 = ip6(&p, 59, 1, 2);
    fin_ip6(&p, i6);
    fill(&p, 6, 0);
    fin_outer_udp(&p, u, ip);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_int_equal(o.n_layers, 2);
    assert_int_equal(o.layer[1].proto, 59);
    /* Payload length inconsistent with the datagram: not Teredo. */
    u = outer_udp(&p, 50000, 3544, &ip);
    ip6_udp_body(&p, 4);
    fill(&p, 3, 0);
    fin_outer_udp(&p, u, ip);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_int_equal(o.n_layers, 1);
    /* Random bytes on the Teredo port: just UDP. */
    u = outer_udp(&p, 50000, 3544, &ip);
    fill(&p, 60, 0x61);
    fin_outer_udp(&p, u, ip);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_int_equal(o.n_layers, 1);

    /* Off its port, recognised by a Teredo address (2001:0::/32). */
    u = outer_udp(&p, 3797, 32900, &ip);
    i6 = p.n;
    ip6_udp_body(&p, 4);
    p.b[i6 + 10] = 0;
    p.b[i6 + 11] = 0;
    fin_outer_udp(&p, u, ip);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_int_equal(o.n_layers, 2);
    assert_int_equal(o.layer[1].tunnel, RS_TUN_TEREDO);
    /* ... but not an ordinary IPv6 address. */
    p.b[i6 + 10] = 0x0d;
    fin_outer_udp(&p, u, ip);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_int_equal(o.n_layers, 1);
}

static void
test_ayiya(void **state)
{
    (void)state;
    struct rs_decoded o;
    struct pkt p;
    size_t ip;
    /* 16-byte identity (2^4), 20-byte signature (5*4), forward, IPv6. */
    for (int port = 0; port < 2; port++) {
        size_t u = outer_udp(&p, 50000, port ? 40000 : 5072, &ip);
        ADD(&p, 0x41, 0x52, 0x11, 41, 0, 0, 0, 1);
        fill(&p, 16 + 20, 0);
        ip6_udp_body(&p, 4);
        fin_outer_udp(&p, u, ip);
        assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
        assert_inner_udp(&o, 1, RS_TUN_AYIYA, 1);
    }
    /* IPv4 inside, no signature. */
    size_t u = outer_udp(&p, 50000, 5072, &ip);
    ADD(&p, 0x21, 0x00, 0x01, 4, 0, 0, 0, 1, 1, 2, 3, 4);
    ip4_udp_body(&p, 4);
    fin_outer_udp(&p, u, ip);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_inner_udp(&o, 1, RS_TUN_AYIYA, 0);
    /* Opcode 0 (noop): not a tunnelled packet. */
    p.b[44] = 0x10;
    fin_outer_udp(&p, u, ip);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_int_equal(o.n_layers, 1);
    /* Identity longer than the datagram. */
    p.b[44] = 0x11;
    p.b[42] = 0xf1;
    fin_outer_udp(&p, u, ip);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_BAD_TUNNEL);
}

static void
test_gtp(void **state)
{
    (void)state;
    struct rs_decoded o;
    struct pkt p;
    size_t ip;
    /* G-PDU with the sequence number flag. */
    size_t u = outer_udp(&p, 2152, 2152, &ip);
    size_t g = p.n;
    ADD(&p, 0x32, 0xff, 0, 0, 0, 0, 0, 1, 0, 7, 0, 0);
    ip4_udp_body(&p, 4);
    put16(&p, g + 2, p.n - g - 8);
    fin_outer_udp(&p, u, ip);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_inner_udp(&o, 1, RS_TUN_GTPV1, 0);

    /* Extension headers (E flag): PDU session container, then none. */
    u = outer_udp(&p, 40000, 2152, &ip);
    g = p.n;
    ADD(&p, 0x34, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0x85, 1, 0x10, 0x01, 0x00);
    ip6_udp_body(&p, 4);
    put16(&p, g + 2, p.n - g - 8);
    fin_outer_udp(&p, u, ip);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_inner_udp(&o, 1, RS_TUN_GTPV1, 1);
    /* An extension header of length 0 is malformed. */
    p.b[g + 12] = 0;
    fin_outer_udp(&p, u, ip);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_BAD_TUNNEL);
    assert_int_equal(o.n_layers, 1);

    /* Echo request: a GTP message, not a user packet. */
    u = outer_udp(&p, 2152, 2152, &ip);
    ADD(&p, 0x32, 0x01, 0, 4, 0, 0, 0, 0, 0, 1, 0, 0);
    fin_outer_udp(&p, u, ip);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_int_equal(o.n_layers, 1);
    /* A G-PDU that does not hold IP. */
    u = outer_udp(&p, 2152, 2152, &ip);
    ADD(&p, 0x30, 0xff, 0, 4, 0, 0, 0, 1, 0x99, 0, 0, 0);
    fin_outer_udp(&p, u, ip);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_BAD_TUNNEL);
}

/* VXLAN nested `levels` deep around an IPv4/UDP packet. */
static void
vxlan_nest(struct pkt *p, int levels)
{
    size_t ips[8], us[8];
    p->n = 0;
    eth(p, 0x0800);
    for (int i = 0; i < levels; i++) {
        ips[i] = ip4n(p, 17, (uint8_t)(10 + i), 1, 2);
        us[i] = udp(p, 50000, 4789);
        ADD(p, 0x08, 0, 0, 0, 0, 0, 1, 0);
        eth(p, 0x0800);
    }
    ip4_udp_body(p, 4);
    for (int i = levels - 1; i >= 0; i--) {
        fin_udp(p, us[i], ips[i]);
        fin_ip4(p, ips[i]);
    }
}

static void
test_tunnel_depth(void **state)
{
    (void)state;
    struct rs_decoded o;
    struct pkt p;
    vxlan_nest(&p, 2);
    assert_int_equal(dec1(RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_int_equal(o.n_layers, 3);
    assert_inner_udp(&o, 2, RS_TUN_VXLAN, 0);

    /* Three tunnels exceed a depth of 2: outer layers kept. */
    vxlan_nest(&p, 3);
    struct rs_decode_config c2 = cfg_default();
    c2.max_tunnel_depth = 2;
    c2.verify_checksums = 1;
    struct rs_decoder *d = rs_decoder_new(&c2);
    assert_int_equal(dec(d, RS_LINK_ETHERNET, &p, &o), RS_DEC_TUNNEL_DEPTH);
    assert_int_equal(o.n_layers, 3);
    assert_int_equal(o.layer[2].dport, 4789);
    assert_int_equal(rs_decoder_counters(d)[RS_DEC_TUNNEL_DEPTH], 1);
    rs_decoder_free(d);

    struct rs_decode_config c = cfg_default();
    c.max_tunnel_depth = 3;
    d = rs_decoder_new(&c);
    assert_int_equal(dec(d, RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_int_equal(o.n_layers, 4);
    assert_inner_udp(&o, 3, RS_TUN_VXLAN, 0);
    rs_decoder_free(d);
    /* More than RS_MAX_LAYERS can hold is capped. */
    c.max_tunnel_depth = 100;
    d = rs_decoder_new(&c);
    vxlan_nest(&p, RS_MAX_LAYERS);
    assert_int_equal(dec(d, RS_LINK_ETHERNET, &p, &o), RS_DEC_TUNNEL_DEPTH);
    assert_int_equal(o.n_layers, RS_MAX_LAYERS);
    rs_decoder_free(d);
    /* Depth 0: no decapsulation at all. */
    c.max_tunnel_depth = 0;
    d = rs_decoder_new(&c);
    vxlan_nest(&p, 1);
    assert_int_equal(dec(d, RS_LINK_ETHERNET, &p, &o), RS_DEC_TUNNEL_DEPTH);
    assert_int_equal(o.n_layers, 1);
    rs_decoder_free(d);

    /* A carrier with a bad checksum is not opened when verifying. */
    vxlan_nest(&p, 1);
    p.b[14 + 20 + 6] ^= 0x01;
    d = new_dec(1);
    assert_int_equal(dec(d, RS_LINK_ETHERNET, &p, &o), RS_DEC_OK);
    assert_int_equal(o.n_layers, 1);
    assert_int_equal(o.layer[0].csum, RS_CSUM_L4_BAD);
    rs_decoder_free(d);
}

/* ------------------------------------------------- fast path = general path */

/* Every frame of a capture of the corpus (up to 64 MiB), both checksum
 * modes; returns the frames compared. */
static uint64_t
same_decode_file(const char *path, const char *name, const struct stat *st, void *ctx)
{
    (void)ctx;
    uint64_t n = 0;
    if (!strstr(name, ".pcap") || st->st_size > (off_t)64 * 1024 * 1024)
        return 0;
    for (int verify = 0; verify < 2; verify++) {
        const char *paths[1] = {path};
        struct rs_error err;
        struct rs_capture *c = rs_capture_open(paths, 1, NULL, &err);
        if (!c)
            break;
        struct rs_decoder *fast = new_dec(verify), *general = new_dec(verify);
        struct rs_packet pk;
        while (rs_capture_next(c, &pk) == RS_CAPTURE_PACKET) {
            assert_same_decode(fast, general, &pk);
            n++;
        }
        rs_decoder_free(fast);
        rs_decoder_free(general);
        rs_capture_close(c);
    }
    return n;
}

/* The fast path against the general one on every frame of the shared
 * corpus (tests run from the repository root, ../shared beside it). */
static void
test_fast_path_corpus(void **state)
{
    (void)state;
    uint64_t n = corpus_walk("../shared/corpus", same_decode_file, NULL);
    print_message("compared %llu frames of the corpus\n", (unsigned long long)n);
    if (n == 0)
        skip();
}

/*
 * The fast path against the general one on damaged frames: Ethernet (with
 * and without an 802.1Q tag) carrying IPv4 TCP with options, UDP and a UDP
 * tunnel port, each with one to three random bytes of the headers changed
 * and a random capture length. Every check the fast path makes up front is
 * a byte some of these change.
 */
static void
test_fast_path_mutations(void **state)
{
    (void)state;
    static const uint8_t opts[] = {2, 4, 0x05, 0xb4, 1, 3, 3, 7,  4, 2, 8, 10, 0, 0, 0, 1,
                                   0, 0, 0,    2,    1, 1, 5, 10, 0, 0, 0, 9,  0, 0, 0, 12};
    struct pkt base[6];
    for (int i = 0; i < 6; i++) {
        struct pkt *p = &base[i];
        memset(p, 0, sizeof *p);
        if (i & 1) {
            eth(p, 0x8100);
            ADD(p, 0x20, 0x07);
            add16(p, 0x0800);
        } else {
            eth(p, 0x0800);
        }
        size_t ipat = ip4(p, i < 2 ? 6 : 17, 1, 2);
        size_t l4;
        if (i < 2) {
            l4 = tcp(p, 40000, 80, 1000, 2000, RS_TCP_ACK | RS_TCP_PSH, opts, sizeof opts);
            fill(p, 30, 7);
            fin_tcp(p, l4, ipat);
        } else {
            l4 = udp(p, 5353, i < 4 ? 53 : 4789);
            if (i >= 4)
                ADD(p, 0x08, 0, 0, 0, 0, 0, 1, 0); /* VXLAN, VNI 1, then an inner frame */
            fill(p, 60, 3);
            fin_udp(p, l4, ipat);
        }
        fin_ip4(p, ipat);
    }
    uint64_t x = 88172645463325252u;
    for (int verify = 0; verify < 2; verify++) {
        struct rs_decoder *fast = new_dec(verify), *general = new_dec(verify);
        for (int it = 0; it < 30000; it++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            struct pkt p = base[x % 6];
            int flips = 1 + (int)((x >> 8) % 3);
            for (int k = 0; k < flips; k++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                size_t at = (size_t)(x % 80);
                if (at < p.n) /* a random byte, or one bit flipped */
                    p.b[at] =
                        (uint8_t)((x >> 16) & 1 ? x >> 24 : p.b[at] ^ (1u << ((x >> 32) % 8)));
            }
            size_t caplen = (x >> 40) % 4 ? p.n : (size_t)((x >> 44) % (p.n + 1));
            uint8_t *buf = caplen ? malloc(caplen) : NULL;
            if (caplen) {
                assert_non_null(buf);
                memcpy(buf, p.b, caplen);
            }
            struct rs_packet pk = {.ts = SEC + it,
                                   .caplen = (uint32_t)caplen,
                                   .len = (uint32_t)p.n,
                                   .linktype = RS_LINK_ETHERNET,
                                   .number = (uint64_t)it + 1,
                                   .data = buf};
            assert_same_decode(fast, general, &pk);
            free(buf);
        }
        rs_decoder_free(fast);
        rs_decoder_free(general);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_names),
        cmocka_unit_test(test_config_default),
        cmocka_unit_test(test_inet_checksum),
        cmocka_unit_test(test_eth_ipv4_tcp_options),
        cmocka_unit_test(test_tcp_sack_and_bad_options),
        cmocka_unit_test(test_tcp_options_syn_only),
        cmocka_unit_test(test_eth_padding_ignored),
        cmocka_unit_test(test_snaplen_cut),
        cmocka_unit_test(test_ipv4_options),
        cmocka_unit_test(test_ipv4_malformed),
        cmocka_unit_test(test_vlan_qinq),
        cmocka_unit_test(test_mpls),
        cmocka_unit_test(test_pppoe),
        cmocka_unit_test(test_fabricpath_vntag_pbb),
        cmocka_unit_test(test_llc_snap_and_not_ip),
        cmocka_unit_test(test_raw_ip),
        cmocka_unit_test(test_linux_sll),
        cmocka_unit_test(test_null_loop),
        cmocka_unit_test(test_ppp_hdlc),
        cmocka_unit_test(test_fddi),
        cmocka_unit_test(test_wlan),
        cmocka_unit_test(test_nflog),
        cmocka_unit_test(test_ipv6_ext_headers),
        cmocka_unit_test(test_ipv6_esp_none_limits),
        cmocka_unit_test(test_udp_lengths),
        cmocka_unit_test(test_icmp),
        cmocka_unit_test(test_icmpv6),
        cmocka_unit_test(test_other_protocol),
        cmocka_unit_test(test_checksum_verify),
        cmocka_unit_test(test_frag4_orders),
        cmocka_unit_test(test_frag4_limits),
        cmocka_unit_test(test_frag6),
        cmocka_unit_test(test_frag_tunnel),
        cmocka_unit_test(test_ip_in_ip),
        cmocka_unit_test(test_gre),
        cmocka_unit_test(test_erspan_aruba),
        cmocka_unit_test(test_vxlan_geneve),
        cmocka_unit_test(test_teredo),
        cmocka_unit_test(test_ayiya),
        cmocka_unit_test(test_gtp),
        cmocka_unit_test(test_tunnel_depth),
        cmocka_unit_test(test_fast_path_corpus),
        cmocka_unit_test(test_fast_path_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
