/*
 * gen_seeds - writes the crafted seed corpora for the fuzz targets:
 *
 *   gen_seeds DIR     (make fuzz-seeds: DIR is fuzz/corpus)
 *
 * DIR/decode/   one frame per link type the decoder knows (Ethernet with
 *               802.1Q, QinQ, MPLS and PPPoE; raw IP; BSD null and loop; PPP;
 *               Cisco HDLC; FDDI; 802.11 with radiotap and PPI; Linux SLL and
 *               SLL2; NFLOG) carrying TCP, UDP, ICMP and IPv6, plus every
 *               tunnel the decoder follows (IP-in-IP, GRE with IPv4, IPv6,
 *               Ethernet, 802.11 and PPTP's PPP, GRE in UDP, ERSPAN II and III,
 *               VXLAN, Geneve, GTP-U, Teredo, AYIYA) and IPv4 fragments; layout in
 *               fuzz_decode.c.
 * DIR/pipeline/ two configuration bytes and then a capture (fuzz_pipeline.c):
 *               the standard mix of sessions (tests/tools/capbuf.h) as pcap in
 *               both byte orders and precisions and as pcapng, reset-heavy
 *               sessions, a tunnelled session, and a few damaged files.
 * DIR/flow/     operation scripts for fuzz_flow.c.
 *
 * Everything here is built from the project's packet writer (craft.h), so
 * the corpus carries no third-party bytes. examples/loopback-resets.pcap
 * (the project's own lab capture) is added to the pipeline corpus as well.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>
#include <zstd.h>

#include <rstscope/craft.h>

#include "tools/capbuf.h"

static const char *top;

static void
put_file(const char *sub, const char *name, const uint8_t *a, size_t na, const uint8_t *b,
         size_t nb)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", top, sub);
    if (mkdir(path, 0777) != 0 && errno != EEXIST) {
        perror(path);
        exit(1);
    }
    snprintf(path, sizeof path, "%s/%s/%s", top, sub, name);
    FILE *fp = fopen(path, "wb");
    if (!fp || (na && fwrite(a, 1, na, fp) != na) || (nb && fwrite(b, 1, nb, fp) != nb)) {
        perror(path);
        exit(1);
    }
    if (fclose(fp) != 0) {
        perror(path);
        exit(1);
    }
}

/* ---- raw IP packets (the payloads of the link framings) ---- */

struct pkt {
    uint8_t b[2048];
    size_t n;
};

static struct rs_addr
addr(const char *s)
{
    struct rs_addr a;
    rs_addr_parse(&a, s);
    return a;
}

static struct pkt
tcp_pkt(const char *src, const char *dst, uint16_t flags, const char *payload, int options)
{
    struct pkt p;
    struct rs_craft_tcp t;
    memset(&t, 0, sizeof t);
    t.ip.link = RS_CRAFT_LINK_RAW;
    t.ip.src = addr(src);
    t.ip.dst = addr(dst);
    t.ip.ip_id = 0x1234;
    t.sport = 40000;
    t.dport = 80;
    t.seq = 1000;
    t.ack = (flags & RS_TCP_ACK) ? 5000u : 0u;
    t.flags = flags;
    t.window = 65535;
    if (options) {
        t.mss = 1460;
        t.sack_ok = 1;
        t.has_wscale = 1;
        t.wscale = 7;
        t.has_ts = 1;
        t.ts_val = 1;
    }
    t.payload = (const uint8_t *)payload;
    t.payload_len = payload ? strlen(payload) : 0;
    p.n = rs_craft_tcp(&t, p.b, sizeof p.b);
    return p;
}

static struct pkt
udp_pkt(const char *src, const char *dst, uint16_t sport, uint16_t dport, const uint8_t *payload,
        size_t len)
{
    struct pkt p;
    struct rs_craft_udp u;
    memset(&u, 0, sizeof u);
    u.ip.link = RS_CRAFT_LINK_RAW;
    u.ip.src = addr(src);
    u.ip.dst = addr(dst);
    u.sport = sport;
    u.dport = dport;
    u.payload = payload;
    u.payload_len = len;
    p.n = rs_craft_udp(&u, p.b, sizeof p.b);
    return p;
}

static struct pkt
icmp_pkt(const char *src, const char *dst, uint8_t type, uint8_t code, const uint8_t *quote,
         size_t qlen)
{
    struct pkt p;
    struct rs_craft_icmp c;
    memset(&c, 0, sizeof c);
    c.ip.link = RS_CRAFT_LINK_RAW;
    c.ip.src = addr(src);
    c.ip.dst = addr(dst);
    c.type = type;
    c.code = code;
    c.rest = 0x00010001u;
    c.payload = quote;
    c.payload_len = qlen;
    p.n = rs_craft_icmp(&c, p.b, sizeof p.b);
    return p;
}

static void
put_be16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* An IPv4 header (no options) in front of `inner`, protocol `proto`. */
static struct pkt
ip4_around(uint8_t proto, const uint8_t *inner, size_t n)
{
    struct pkt p;
    memset(&p, 0, sizeof p);
    if (n > sizeof p.b - 20)
        n = sizeof p.b - 20;
    uint8_t *h = p.b;
    h[0] = 0x45;
    put_be16(h + 2, (uint32_t)(20 + n));
    put_be16(h + 4, 0x4321);
    h[8] = 64;
    h[9] = proto;
    const uint8_t s[4] = {198, 51, 100, 1}, d[4] = {198, 51, 100, 2};
    memcpy(h + 12, s, 4);
    memcpy(h + 16, d, 4);
    put_be16(h + 10, rs_craft_checksum(h, 20));
    memcpy(p.b + 20, inner, n);
    p.n = 20 + n;
    return p;
}

/* An IPv6 header with a hop-by-hop and a destination options header. */
static struct pkt
ip6_ext_around(uint8_t proto, const uint8_t *inner, size_t n)
{
    struct pkt p;
    memset(&p, 0, sizeof p);
    uint8_t *h = p.b;
    h[0] = 0x60;
    put_be16(h + 4, (uint32_t)(16 + n));
    h[6] = 0; /* hop-by-hop */
    h[7] = 64;
    struct rs_addr s = addr("2001:db8::a"), d = addr("2001:db8::b");
    memcpy(h + 8, s.b, 16);
    memcpy(h + 24, d.b, 16);
    uint8_t *e = h + 40;
    e[0] = 60; /* next: destination options */
    e[1] = 0;
    e[2] = 1; /* PadN */
    e[3] = 4;
    e[8] = proto;
    e[9] = 0;
    e[10] = 1;
    e[11] = 4;
    memcpy(h + 56, inner, n);
    p.n = 56 + n;
    return p;
}

/* ---- link framings ---- */

enum {
    L_NULL = 0,
    L_ETH = 1,
    L_PPP = 2,
    L_FDDI = 3,
    L_RAW_OLD = 4,
    L_PPP_HDLC = 6,
    L_PPP_ETHER = 7,
    L_RAW = 8,
    L_C_HDLC = 9,
    L_WLAN = 10,
    L_LOOP = 11,
    L_SLL = 12,
    L_RADIOTAP = 13,
    L_PPI = 14,
    L_IPV4 = 15,
    L_IPV6 = 16,
    L_NFLOG = 17,
    L_SLL2 = 18,
    L_UNKNOWN = 19,
};

static int
is_v6(const struct pkt *ip)
{
    return ip->n && (ip->b[0] >> 4) == 6;
}

static const uint8_t mac_a[6] = {0x02, 0, 0, 0, 0, 0x0a}, mac_b[6] = {0x02, 0, 0, 0, 0, 0x0b};

/* Ethernet header with an optional tag stack: `tags` 0 none, 1 802.1Q, 2 QinQ, 3 MPLS, 4 PPPoE. */
static size_t
ether(uint8_t *f, const struct pkt *ip, int tags)
{
    size_t o = 0;
    memcpy(f, mac_b, 6);
    memcpy(f + 6, mac_a, 6);
    o = 12;
    uint16_t et = is_v6(ip) ? 0x86dd : 0x0800;
    if (tags == 2) {
        put_be16(f + o, 0x88a8);
        put_be16(f + o + 2, 100);
        o += 4;
    }
    if (tags == 1 || tags == 2) {
        put_be16(f + o, 0x8100);
        put_be16(f + o + 2, 200);
        o += 4;
    }
    if (tags == 3) {
        put_be16(f + o, 0x8847);
        o += 2;
        const uint8_t lbl[8] = {0x00, 0x01, 0x00, 0x40, 0x00, 0x02, 0x01, 0x40}; /* 2 labels */
        memcpy(f + o, lbl, 8);
        o += 8;
    } else if (tags == 4) {
        put_be16(f + o, 0x8864);
        o += 2;
        f[o] = 0x11;
        f[o + 1] = 0;
        put_be16(f + o + 2, 0x0001);
        put_be16(f + o + 4, (uint32_t)(ip->n + 2));
        put_be16(f + o + 6, is_v6(ip) ? 0x0057 : 0x0021);
        o += 8;
    } else {
        put_be16(f + o, et);
        o += 2;
    }
    memcpy(f + o, ip->b, ip->n);
    return o + ip->n;
}

static const uint8_t llc_snap_ip4[8] = {0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00};

static size_t
wlan(uint8_t *f, const struct pkt *ip)
{
    memset(f, 0, 24);
    f[0] = 0x08; /* data */
    f[1] = 0x01; /* to DS */
    memcpy(f + 4, mac_b, 6);
    memcpy(f + 10, mac_a, 6);
    memcpy(f + 16, mac_b, 6);
    memcpy(f + 24, llc_snap_ip4, 8);
    if (is_v6(ip))
        put_be16(f + 30, 0x86dd);
    memcpy(f + 32, ip->b, ip->n);
    return 32 + ip->n;
}

/* Frames `ip` for link `lk` into f; returns the frame length. */
static size_t
frame(uint8_t *f, int lk, const struct pkt *ip)
{
    int v6 = is_v6(ip);
    size_t o = 0;
    switch (lk) {
    case L_ETH:
        return ether(f, ip, 0);
    case L_NULL: {
        uint32_t af = v6 ? 30u : 2u; /* host order, as written on little-endian hosts */
        f[0] = (uint8_t)af;
        f[1] = f[2] = f[3] = 0;
        o = 4;
        break;
    }
    case L_LOOP:
        f[0] = f[1] = f[2] = 0;
        f[3] = v6 ? 24 : 2;
        o = 4;
        break;
    case L_PPP:
    case L_PPP_HDLC:
        f[0] = 0xff;
        f[1] = 0x03;
        put_be16(f + 2, v6 ? 0x0057 : 0x0021);
        o = 4;
        break;
    case L_C_HDLC:
        f[0] = 0x0f;
        f[1] = 0x00;
        put_be16(f + 2, v6 ? 0x86dd : 0x0800);
        o = 4;
        break;
    case L_PPP_ETHER:
        f[0] = 0x11;
        f[1] = 0;
        put_be16(f + 2, 1);
        put_be16(f + 4, (uint32_t)(ip->n + 2));
        put_be16(f + 6, v6 ? 0x0057 : 0x0021);
        o = 8;
        break;
    case L_FDDI:
        f[0] = 0x50;
        memcpy(f + 1, mac_b, 6);
        memcpy(f + 7, mac_a, 6);
        memcpy(f + 13, llc_snap_ip4, 8);
        if (v6)
            put_be16(f + 19, 0x86dd);
        o = 21;
        break;
    case L_SLL:
        memset(f, 0, 16);
        put_be16(f + 2, 1); /* ARPHRD_ETHER */
        put_be16(f + 4, 6);
        memcpy(f + 6, mac_a, 6);
        put_be16(f + 14, v6 ? 0x86dd : 0x0800);
        o = 16;
        break;
    case L_SLL2:
        memset(f, 0, 20);
        put_be16(f, v6 ? 0x86dd : 0x0800);
        f[7] = 2; /* interface index */
        put_be16(f + 8, 1);
        f[11] = 6;
        memcpy(f + 12, mac_a, 6);
        o = 20;
        break;
    case L_WLAN:
        return wlan(f, ip);
    case L_RADIOTAP:
        memset(f, 0, 8);
        f[2] = 8; /* it_len, little-endian */
        return 8 + wlan(f + 8, ip);
    case L_PPI:
        memset(f, 0, 8);
        f[2] = 8;
        f[4] = 105; /* pph_dlt 802.11, little-endian */
        return 8 + wlan(f + 8, ip);
    case L_NFLOG: {
        f[0] = v6 ? 10 : 2;
        f[1] = 0;
        f[2] = f[3] = 0;
        /* a prefix TLV (type 10) and then the payload TLV (type 9), lengths little-endian */
        f[4] = 8;
        f[5] = 0;
        f[6] = 10;
        f[7] = 0;
        memcpy(f + 8, "fw\0\0", 4);
        uint32_t tl = (uint32_t)(4 + ip->n);
        f[12] = (uint8_t)tl;
        f[13] = (uint8_t)(tl >> 8);
        f[14] = 9;
        f[15] = 0;
        o = 16;
        break;
    }
    default: /* RAW, RAW_OLD, IPV4, IPV6, unknown */
        break;
    }
    memcpy(f + o, ip->b, ip->n);
    return o + ip->n;
}

static void
decode_seed(const char *name, int lk, int flags, const uint8_t *f, size_t n)
{
    uint8_t sel = (uint8_t)(lk | flags);
    put_file("decode", name, &sel, 1, f, n);
}

static void
decode_seeds(void)
{
    static uint8_t f[4096];
    struct pkt syn4 = tcp_pkt("10.0.0.1", "10.0.0.2", RS_TCP_SYN, NULL, 1);
    struct pkt get4 = tcp_pkt("10.0.0.1", "10.0.0.2", RS_TCP_PSH | RS_TCP_ACK,
                              "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n", 0);
    struct pkt syn6 = tcp_pkt("2001:db8::1", "2001:db8::2", RS_TCP_SYN, NULL, 1);
    static const uint8_t dns[] = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
                                  0x00, 0x00, 0x07, 'e',  'x',  'a',  'm',  'p',  'l',  'e',
                                  0x03, 'c',  'o',  'm',  0x00, 0x00, 0x01, 0x00, 0x01};
    struct pkt udp4 = udp_pkt("10.0.0.1", "10.0.0.53", 53000, 53, dns, sizeof dns);
    struct pkt udp6 = udp_pkt("2001:db8::1", "2001:db8::53", 53000, 53, dns, sizeof dns);
    struct pkt echo4 = icmp_pkt("10.0.0.1", "10.0.0.2", 8, 0, (const uint8_t *)"ping", 4);
    struct pkt unreach4 = icmp_pkt("10.0.0.2", "10.0.0.1", 3, 3, syn4.b, 28);
    struct pkt echo6 = icmp_pkt("2001:db8::1", "2001:db8::2", 128, 0, (const uint8_t *)"ping", 4);
    struct pkt unreach6 = icmp_pkt("2001:db8::2", "2001:db8::1", 1, 4, syn6.b, 48);

    static const struct {
        const char *name;
        int lk;
    } links[] = {
        {"null", L_NULL},           {"eth", L_ETH},       {"ppp", L_PPP},
        {"fddi", L_FDDI},           {"raw12", L_RAW_OLD}, {"ppp_hdlc", L_PPP_HDLC},
        {"ppp_ether", L_PPP_ETHER}, {"raw", L_RAW},       {"c_hdlc", L_C_HDLC},
        {"wlan", L_WLAN},           {"loop", L_LOOP},     {"sll", L_SLL},
        {"radiotap", L_RADIOTAP},   {"ppi", L_PPI},       {"ipv4", L_IPV4},
        {"ipv6", L_IPV6},           {"nflog", L_NFLOG},   {"sll2", L_SLL2},
        {"unknown", L_UNKNOWN},
    };
    char name[96];
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        int lk = links[i].lk;
        const struct pkt *ip = lk == L_IPV6 ? &syn6 : &syn4;
        snprintf(name, sizeof name, "%s-tcp", links[i].name);
        decode_seed(name, lk, 0, f, frame(f, lk, ip));
        if (lk != L_IPV4) {
            snprintf(name, sizeof name, "%s-tcp6", links[i].name);
            decode_seed(name, lk, 0, f, frame(f, lk, &syn6));
        }
    }
    /* Transports and ICMP on Ethernet, with and without checksum verification. */
    decode_seed("eth-http", L_ETH, 0, f, ether(f, &get4, 0));
    decode_seed("eth-http-verify", L_ETH, 32, f, ether(f, &get4, 0));
    decode_seed("eth-http-cut", L_ETH, 64, f, ether(f, &get4, 0) - 20);
    decode_seed("eth-udp", L_ETH, 0, f, ether(f, &udp4, 0));
    decode_seed("eth-udp6-verify", L_ETH, 32, f, ether(f, &udp6, 0));
    decode_seed("eth-icmp-echo", L_ETH, 32, f, ether(f, &echo4, 0));
    decode_seed("eth-icmp-unreach", L_ETH, 0, f, ether(f, &unreach4, 0));
    decode_seed("eth-icmp6-echo", L_ETH, 32, f, ether(f, &echo6, 0));
    decode_seed("eth-icmp6-unreach", L_ETH, 0, f, ether(f, &unreach6, 0));
    decode_seed("vlan-tcp", L_ETH, 0, f, ether(f, &syn4, 1));
    decode_seed("qinq-tcp", L_ETH, 0, f, ether(f, &syn4, 2));
    decode_seed("mpls-tcp", L_ETH, 0, f, ether(f, &syn4, 3));
    decode_seed("pppoe-tcp", L_ETH, 0, f, ether(f, &syn4, 4));
    decode_seed("pppoe-tcp6", L_ETH, 0, f, ether(f, &syn6, 4));

    /* IPv4 with options, IPv6 with extension headers. */
    {
        struct pkt o = syn4;
        memmove(o.b + 24, o.b + 20, o.n - 20);
        o.b[0] = 0x46;
        o.b[20] = 0x01; /* NOP NOP NOP EOL */
        o.b[21] = 0x01;
        o.b[22] = 0x01;
        o.b[23] = 0x00;
        o.n += 4;
        put_be16(o.b + 2, (uint32_t)o.n);
        o.b[10] = o.b[11] = 0;
        put_be16(o.b + 10, rs_craft_checksum(o.b, 24));
        decode_seed("ip4-options", L_RAW, 32, f, frame(f, L_RAW, &o));
    }
    {
        struct pkt t = ip6_ext_around(6, syn6.b + 40, syn6.n - 40);
        decode_seed("ip6-ext", L_RAW, 0, f, frame(f, L_RAW, &t));
    }

    /* Tunnels: each carries the IPv4 SYN (or an Ethernet frame of it). */
    uint8_t inner_eth[256];
    size_t ne = ether(inner_eth, &syn4, 0);
    struct pkt t;
    t = ip4_around(4, syn4.b, syn4.n);
    decode_seed("tun-ipip", L_ETH, 0, f, ether(f, &t, 0));
    t = ip4_around(41, syn6.b, syn6.n);
    decode_seed("tun-6in4", L_ETH, 0, f, ether(f, &t, 0));
    {
        uint8_t g[512];
        memset(g, 0, 4);
        put_be16(g + 2, 0x0800);
        memcpy(g + 4, syn4.b, syn4.n);
        t = ip4_around(47, g, 4 + syn4.n);
        decode_seed("tun-gre-ip", L_ETH, 0, f, ether(f, &t, 0));
        put_be16(g + 2, 0x6558);
        memcpy(g + 4, inner_eth, ne);
        t = ip4_around(47, g, 4 + ne);
        decode_seed("tun-gre-eth", L_ETH, 0, f, ether(f, &t, 0));
        /* ERSPAN type II: GRE with a sequence number, then 8 bytes of ERSPAN. */
        memset(g, 0, 16);
        g[0] = 0x10;
        put_be16(g + 2, 0x88be);
        g[8] = 0x10; /* version 1 (type II) */
        memcpy(g + 16, inner_eth, ne);
        t = ip4_around(47, g, 16 + ne);
        decode_seed("tun-erspan2", L_ETH, 0, f, ether(f, &t, 0));
        /* ERSPAN type III: 12-byte header with the O flag (an 8-byte subheader). */
        memset(g, 0, 28);
        put_be16(g + 2, 0x22eb);
        g[4 + 11] = 1;
        memcpy(g + 28, inner_eth, ne);
        t = ip4_around(47, g, 28 + ne);
        decode_seed("tun-erspan3", L_ETH, 0, f, ether(f, &t, 0));
        /* GRE carrying IPv6, with checksum, key and sequence present. */
        memset(g, 0, 16);
        put_be16(g, 0xb000);
        put_be16(g + 2, 0x86dd);
        memcpy(g + 16, syn6.b, syn6.n);
        t = ip4_around(47, g, 16 + syn6.n);
        decode_seed("tun-gre-ip6", L_ETH, 0, f, ether(f, &t, 0));
        /* PPTP: enhanced GRE (version 1) with key and sequence, then PPP. */
        memset(g, 0, 12);
        put_be16(g, 0x3001);
        put_be16(g + 2, 0x880b);
        put_be16(g + 4, (uint32_t)(syn4.n + 4));
        g[12] = 0xff;
        g[13] = 0x03;
        put_be16(g + 14, 0x0021);
        memcpy(g + 16, syn4.b, syn4.n);
        t = ip4_around(47, g, 16 + syn4.n);
        decode_seed("tun-pptp", L_ETH, 0, f, ether(f, &t, 0));
        /* Aruba: GRE type 0x8200 carrying an 802.11 frame. */
        memset(g, 0, 4);
        put_be16(g + 2, 0x8200);
        size_t nw = wlan(g + 4, &syn4);
        t = ip4_around(47, g, 4 + nw);
        decode_seed("tun-gre-wlan", L_ETH, 0, f, ether(f, &t, 0));
        /* GRE in UDP (RFC 8086, port 4754). */
        memset(g, 0, 4);
        put_be16(g + 2, 0x0800);
        memcpy(g + 4, syn4.b, syn4.n);
        t = udp_pkt("198.51.100.1", "198.51.100.2", 50000, 4754, g, 4 + syn4.n);
        decode_seed("tun-gre-udp", L_ETH, 0, f, ether(f, &t, 0));
    }
    {
        uint8_t v[512];
        memset(v, 0, 8);
        v[0] = 0x08; /* VXLAN: I flag, VNI 42 */
        v[6] = 42;
        memcpy(v + 8, inner_eth, ne);
        t = udp_pkt("198.51.100.1", "198.51.100.2", 50000, 4789, v, 8 + ne);
        decode_seed("tun-vxlan", L_ETH, 0, f, ether(f, &t, 0));
        memset(v, 0, 8);
        put_be16(v + 2, 0x6558); /* Geneve: no options, Ethernet */
        v[6] = 42;
        memcpy(v + 8, inner_eth, ne);
        t = udp_pkt("198.51.100.1", "198.51.100.2", 50000, 6081, v, 8 + ne);
        decode_seed("tun-geneve", L_ETH, 0, f, ether(f, &t, 0));
        memset(v, 0, 8);
        v[0] = 0x30; /* GTPv1, PT=1 */
        v[1] = 0xff; /* G-PDU */
        put_be16(v + 2, (uint32_t)syn4.n);
        v[7] = 1;
        memcpy(v + 8, syn4.b, syn4.n);
        t = udp_pkt("198.51.100.1", "198.51.100.2", 2152, 2152, v, 8 + syn4.n);
        decode_seed("tun-gtpu", L_ETH, 0, f, ether(f, &t, 0));
        t = udp_pkt("198.51.100.1", "198.51.100.2", 50000, 3544, syn6.b, syn6.n);
        decode_seed("tun-teredo", L_ETH, 0, f, ether(f, &t, 0));
        /* AYIYA: 16-byte identity, 20-byte SHA-1 signature, next header IPv6. */
        memset(v, 0, 44);
        v[0] = 0x41;
        v[1] = 0x52;
        v[2] = 0x11;
        v[3] = 41;
        memcpy(v + 44, syn6.b, syn6.n);
        t = udp_pkt("198.51.100.1", "198.51.100.2", 5072, 5072, v, 44 + syn6.n);
        decode_seed("tun-ayiya", L_ETH, 0, f, ether(f, &t, 0));
        /* Tunnels nested past the depth limit: IP-in-IP five times. */
        struct pkt n = syn4;
        for (int k = 0; k < 5; k++)
            n = ip4_around(4, n.b, n.n);
        decode_seed("tun-deep", L_RAW, 0, f, frame(f, L_RAW, &n));
    }

    /* IPv4 fragments of a 3000-byte UDP datagram, several frames in one input. */
    {
        static uint8_t big[3000];
        for (size_t k = 0; k < sizeof big; k++)
            big[k] = (uint8_t)k;
        struct rs_craft_udp u;
        memset(&u, 0, sizeof u);
        u.ip.link = RS_CRAFT_LINK_RAW;
        u.ip.src = addr("10.0.0.1");
        u.ip.dst = addr("10.0.0.2");
        u.ip.ip_id = 0x7777;
        u.sport = 5000;
        u.dport = 5001;
        u.payload = big;
        u.payload_len = sizeof big;
        static uint8_t dg[3100];
        size_t n = rs_craft_udp(&u, dg, sizeof dg);
        static uint8_t in[8192];
        size_t o = 0;
        in[o++] = (uint8_t)(L_RAW | 0x80);
        size_t body = n - 20;
        for (int order = 0; order < 2; order++) {
            /* 1480-byte pieces, in order and then last-first */
            for (size_t k = 0; k < 3; k++) {
                size_t idx = order ? 2 - k : k;
                size_t off = idx * 1480, len = body - off < 1480 ? body - off : 1480;
                uint8_t fr[1600];
                memcpy(fr, dg, 20);
                put_be16(fr + 2, (uint32_t)(20 + len));
                uint32_t fo = (uint32_t)(off / 8) | (idx < 2 ? 0x2000u : 0u);
                put_be16(fr + 6, fo);
                put_be16(fr + 4, 0x7777u + (uint32_t)order);
                fr[10] = fr[11] = 0;
                put_be16(fr + 10, rs_craft_checksum(fr, 20));
                memcpy(fr + 20, dg + 20 + off, len);
                in[o++] = 1; /* 100 ms apart */
                put_be16(in + o, (uint32_t)(20 + len));
                o += 2;
                memcpy(in + o, fr, 20 + len);
                o += 20 + len;
            }
        }
        put_file("decode", "frag-ip4", in, o, NULL, 0);
    }
}

/* ---- pipeline seeds: a config byte, then a capture ---- */

/* cfg: byte 0 in the low 8 bits, byte 1 in the high 8 (see fuzz_pipeline.c). */
static void
pipeline_seed(const char *name, unsigned cfg, const struct capbuf *b)
{
    const uint8_t c[2] = {(uint8_t)cfg, (uint8_t)(cfg >> 8)};
    put_file("pipeline", name, c, 2, b->p, b->len);
}

/* The capture in b as a gzip member (RFC 1952) or a zstd frame, as a seed:
 * the decompressing thread (src/capture/decompress.c) in front of the reader. */
static void
pipeline_seed_packed(const char *name, unsigned cfg, const struct capbuf *b, int zstd)
{
    struct capbuf z = {0};
    size_t cap = zstd ? ZSTD_compressBound(b->len) : compressBound((uLong)b->len) + 64;
    z.p = malloc(cap);
    if (!z.p)
        return;
    if (zstd) {
        size_t n = ZSTD_compress(z.p, cap, b->p, b->len, 3);
        z.len = ZSTD_isError(n) ? 0 : n;
    } else {
        z_stream zs;
        memset(&zs, 0, sizeof zs);
        if (deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK) {
            zs.next_in = b->p;
            zs.avail_in = (uInt)b->len;
            zs.next_out = z.p;
            zs.avail_out = (uInt)cap;
            if (deflate(&zs, Z_FINISH) == Z_STREAM_END)
                z.len = cap - zs.avail_out;
            deflateEnd(&zs);
        }
    }
    if (z.len)
        pipeline_seed(name, cfg, &z);
    free(z.p);
}

/* Sessions the mix lacks: resets of every kind the diagnosis names. */
static void
pl_resets(struct pktlist *l, rs_time_ns t)
{
    struct rs_craft_flow f;
    struct rs_craft_seg s;
    static uint8_t fr[RS_CRAFT_MAX_FRAME];
    struct rs_packet pkt;

    /* Injected RST burst with changing seq, then data still flowing (a race). */
    rs_craft_flow_init(&f, "192.0.2.10", 50000, "203.0.113.5", 443, t);
    f.timestamps = 1;
    pl_seg(l, &f, RS_CRAFT_CLIENT, CB_S, NULL, 1000);
    pl_seg(l, &f, RS_CRAFT_SERVER, CB_S | CB_A, NULL, 20000);
    pl_seg(l, &f, RS_CRAFT_CLIENT, CB_A, NULL, 100);
    pl_seg(l, &f, RS_CRAFT_CLIENT, CB_P | CB_A, "\x16\x03\x01\x00\x05hello", 100);
    for (int k = 0; k < 3; k++) {
        memset(&s, 0, sizeof s);
        s.flags = CB_R | CB_A;
        s.set_seq = 1;
        s.seq = f.next_seq[RS_CRAFT_SERVER] + (uint32_t)k * 1460u;
        s.ttl = 200;
        s.dt_us = 50;
        if (rs_craft_flow_build(&f, RS_CRAFT_SERVER, &s, fr, sizeof fr, &pkt))
            pl_add(l, &pkt);
    }
    pl_seg(l, &f, RS_CRAFT_SERVER, CB_P | CB_A, "\x16\x03\x03\x00\x02hi", 15000);
    t = f.now;

    /* Out-of-window RST, keepalives, then a RST with payload after a long idle. */
    rs_craft_flow_init(&f, "192.0.2.11", 50001, "203.0.113.6", 22, t);
    pl_seg(l, &f, RS_CRAFT_CLIENT, CB_S, NULL, 1000);
    pl_seg(l, &f, RS_CRAFT_SERVER, CB_S | CB_A, NULL, 1000);
    pl_seg(l, &f, RS_CRAFT_CLIENT, CB_A, NULL, 1000);
    pl_seg(l, &f, RS_CRAFT_SERVER, CB_P | CB_A, "SSH-2.0-OpenSSH_9.6\r\n", 1000);
    memset(&s, 0, sizeof s);
    s.flags = CB_R;
    s.set_seq = 1;
    s.seq = 12345;
    s.dt_us = 1000;
    if (rs_craft_flow_build(&f, RS_CRAFT_CLIENT, &s, fr, sizeof fr, &pkt))
        pl_add(l, &pkt);
    for (int k = 0; k < 3; k++) {
        memset(&s, 0, sizeof s);
        s.flags = CB_A;
        s.set_seq = 1;
        s.seq = f.next_seq[RS_CRAFT_CLIENT] - 1;
        s.retransmit = 1;
        s.dt_us = 75000000;
        if (rs_craft_flow_build(&f, RS_CRAFT_CLIENT, &s, fr, sizeof fr, &pkt))
            pl_add(l, &pkt);
    }
    memset(&s, 0, sizeof s);
    s.flags = CB_R | CB_A;
    s.payload = (const uint8_t *)"connection reset by peer\x1b[2J\xff";
    s.len = strlen((const char *)s.payload);
    s.dt_us = 1000;
    if (rs_craft_flow_build(&f, RS_CRAFT_SERVER, &s, fr, sizeof fr, &pkt))
        pl_add(l, &pkt);
    t = f.now;

    /* tcp-reuse: FIN close, then a new SYN with a new ISN on the same tuple. */
    rs_craft_flow_init(&f, "192.0.2.12", 50002, "203.0.113.7", 25, t);
    pl_seg(l, &f, RS_CRAFT_CLIENT, CB_S, NULL, 1000);
    pl_seg(l, &f, RS_CRAFT_SERVER, CB_S | CB_A, NULL, 1000);
    pl_seg(l, &f, RS_CRAFT_CLIENT, CB_A, NULL, 1000);
    pl_seg(l, &f, RS_CRAFT_SERVER, CB_P | CB_A, "220 mail ESMTP\r\n", 1000);
    pl_seg(l, &f, RS_CRAFT_CLIENT, CB_F | CB_A, NULL, 1000);
    pl_seg(l, &f, RS_CRAFT_SERVER, CB_F | CB_A, NULL, 1000);
    f.next_seq[RS_CRAFT_CLIENT] += 100000;
    f.sent_any[RS_CRAFT_SERVER] = 0;
    pl_seg(l, &f, RS_CRAFT_CLIENT, CB_S, NULL, 2000000);
    pl_seg(l, &f, RS_CRAFT_SERVER, CB_R | CB_A, NULL, 1000);
    t = f.now;

    /* A session picked up mid-stream, and a lone SYN that ages out. */
    rs_craft_flow_init(&f, "192.0.2.13", 50003, "203.0.113.8", 80, t);
    pl_seg(l, &f, RS_CRAFT_SERVER, CB_P | CB_A, "HTTP/1.1 200 OK\r\n\r\n", 1000);
    pl_seg(l, &f, RS_CRAFT_CLIENT, CB_A, NULL, 1000);
    rs_craft_flow_init(&f, "192.0.2.14", 50004, "203.0.113.9", 8080, f.now);
    pl_seg(l, &f, RS_CRAFT_CLIENT, CB_S, NULL, 1000);
    rs_craft_flow_init(&f, "192.0.2.15", 50005, "203.0.113.9", 8080, f.now + 40 * RS_NS_PER_SEC);
    pl_seg(l, &f, RS_CRAFT_CLIENT, CB_S, NULL, 1000);
}

static void
pipeline_seeds(const char *example)
{
    struct pktlist mix = {0}, rst = {0};
    pl_mix(&mix, INT64_C(1700000000) * RS_NS_PER_SEC);
    pl_resets(&rst, INT64_C(1700000100) * RS_NS_PER_SEC);
    struct capbuf b = {0};

    cb_pcap_of(&b, &mix, 1, 0);
    pipeline_seed("mix-panos", 0x00, &b);
    pipeline_seed("mix-stream", 0x20, &b);
    pipeline_seed("mix-pipe", 0x800, &b);
    pipeline_seed_packed("mix-gzip", 0x00, &b, 0);
    pipeline_seed_packed("mix-zstd-pipe", 0x800, &b, 1);
    pipeline_seed("mix-mmap", 0x100, &b);
    pipeline_seed("mix-libpcap", 0x400, &b);
    pipeline_seed("mix-zeek", 0x01, &b);
    pipeline_seed("mix-verify-explain", 0x12, &b);
    pipeline_seed("mix-evict", 0x04, &b);
    pipeline_seed("mix-filter-advance", 0x88, &b);
    pipeline_seed("mix-short-timers", 0x41, &b);
    /* a cut in the middle of the 10th record */
    size_t keep = b.len;
    b.len = 24;
    for (size_t i = 0; i < 9; i++)
        cb_pcap_record(&b, &mix.p[i], 0);
    b.len += 30;
    if (b.len > keep)
        b.len = keep;
    pipeline_seed("mix-truncated", 0x00, &b);
    pipeline_seed("mix-truncated-pipe", 0x800, &b);
    cb_free(&b);

    cb_pcap_of(&b, &mix, 1, 1);
    pipeline_seed("mix-ns", 0x01, &b);
    pipeline_seed("mix-ns-stream", 0x20, &b);
    cb_free(&b);
    b.big_endian = 1;
    cb_pcap_of(&b, &mix, 1, 0);
    pipeline_seed("mix-be", 0x00, &b);
    pipeline_seed("mix-be-mmap", 0x100, &b);
    pipeline_seed("mix-be-pipe", 0x800, &b);
    cb_free(&b);
    cb_pcapng_of(&b, &mix, 1);
    pipeline_seed("mix-pcapng", 0x00, &b);
    pipeline_seed("mix-pcapng-libpcap", 0x200, &b);
    pipeline_seed("mix-pcapng-stream", 0x21, &b);
    pipeline_seed("mix-pcapng-pipe", 0x801, &b);
    cb_free(&b);
    b.big_endian = 1;
    cb_pcapng_of(&b, &mix, 1);
    pipeline_seed("mix-pcapng-be", 0x01, &b);
    cb_free(&b);

    cb_pcap_of(&b, &rst, 1, 0);
    pipeline_seed("resets-panos", 0x00, &b);
    pipeline_seed("resets-zeek", 0x01, &b);
    pipeline_seed("resets-explain", 0x10, &b);
    cb_free(&b);

    /* Two interfaces of different link types in one pcapng (Ethernet and raw IP). */
    cb_ng_shb(&b);
    cb_ng_idb(&b, 1, 262144);
    cb_ng_idb(&b, 101, 65535);
    for (size_t i = 0; i < mix.n; i++) {
        cb_ng_epb(&b, 0, &mix.p[i]);
        struct rs_packet raw = mix.p[i];
        raw.data += 14;
        raw.caplen -= 14;
        raw.len -= 14;
        raw.ts += 50 * RS_NS_PER_SEC;
        cb_ng_epb(&b, 1, &raw);
    }
    pipeline_seed("two-links-pcapng", 0x00, &b);
    cb_free(&b);

    /* A VXLAN-tunnelled session: the outer UDP flow and the inner TCP one. */
    {
        cb_pcap_header(&b, 1, 262144, 0);
        for (size_t i = 0; i < 8; i++) {
            uint8_t v[2048];
            memset(v, 0, 8);
            v[0] = 0x08;
            v[6] = 7;
            memcpy(v + 8, mix.p[i].data, mix.p[i].caplen);
            struct pkt t =
                udp_pkt("198.51.100.1", "198.51.100.2", 50000, 4789, v, 8 + mix.p[i].caplen);
            uint8_t fr[2200];
            struct rs_packet p = mix.p[i];
            p.caplen = p.len = (uint32_t)ether(fr, &t, 0);
            p.data = fr;
            cb_pcap_record(&b, &p, 0);
        }
        pipeline_seed("vxlan", 0x00, &b);
        cb_free(&b);
    }

    /* The truncation sweep inputs (tests/cli/robust_fuzz_replay.sh replays
     * every prefix of each): 4 packets as pcap through each reader, and as
     * pcapng. */
    {
        struct pktlist four = {0};
        for (size_t i = 0; i < 4; i++)
            pl_add(&four, &mix.p[i]);
        cb_pcap_of(&b, &four, 1, 0);
        pipeline_seed("sweep-pcap-file", 0x00, &b);
        pipeline_seed("sweep-pcap-mmap", 0x100, &b);
        pipeline_seed("sweep-pcap-stream", 0x20, &b);
        cb_free(&b);
        cb_pcapng_of(&b, &four, 1);
        pipeline_seed("sweep-pcapng", 0x00, &b);
        cb_free(&b);
        pl_free(&four);
    }

    /* Damage: a huge caplen, a short pcapng block, an unknown link type. */
    cb_pcap_header(&b, 1, 262144, 0);
    for (size_t i = 0; i < 4; i++)
        cb_pcap_record(&b, &mix.p[i], 0);
    cb_pcap_record_raw(&b, mix.p[4].ts, 0, 0x7fffffffu, 60, mix.p[4].data, 40);
    pipeline_seed("huge-caplen", 0x00, &b);
    pipeline_seed("huge-caplen-stream", 0x20, &b);
    cb_free(&b);
    cb_ng_shb(&b);
    cb_ng_idb(&b, 1, 262144);
    for (size_t i = 0; i < 4; i++)
        cb_ng_epb(&b, 0, &mix.p[i]);
    cb_u32(&b, 6);
    cb_u32(&b, 8);
    pipeline_seed("pcapng-short-block", 0x00, &b);
    cb_free(&b);
    cb_pcap_of(&b, &mix, 147, 0);
    pipeline_seed("linktype-147", 0x00, &b);
    cb_free(&b);

    /* The project's own lab capture. */
    FILE *fp = fopen(example, "rb");
    if (fp) {
        uint8_t buf[65536];
        size_t n = fread(buf, 1, sizeof buf, fp);
        fclose(fp);
        uint8_t cfg[2] = {0x00, 0x00};
        put_file("pipeline", "loopback-resets", cfg, 2, buf, n);
        cfg[0] = 0x11;
        put_file("pipeline", "loopback-resets-zeek", cfg, 2, buf, n);
    } else {
        fprintf(stderr, "gen_seeds: %s: %s (seed skipped)\n", example, strerror(errno));
    }
    pl_free(&mix);
    pl_free(&rst);
}

/* ---- flow table operation scripts (see fuzz_flow.c) ---- */

static void
flow_seeds(void)
{
    /* alloc 0..3, find both ways, schedule, advance, release, walk, evict */
    static const uint8_t basic[] = {
        8,    10,                                       /* cap 9, t = 10 s */
        0x00, 0x00, 0x08, 0x00, 0x10, 0x40, 0x18, 0x40, /* alloc keys 0, 1, 2|udp, 3|udp */
        0x01, 0x00, 0x01, 0x01, 0x09, 0x41,             /* find 0 fwd, 0 rev, 1 rev */
        0x03, 0x44, 0x0b, 0x30, 0x13, 0x40,             /* schedule: +2 s, -8 s, now */
        0x0c, 0x03, 0x05, 0x04, 0x01, 0x05,             /* advance 1.5 s, walk, advance */
        0x02, 0x06, 0x05, 0x0c, 0x07,                   /* release, evict, walk, advance */
    };
    put_file("flow", "basic", basic, sizeof basic, NULL, 0);
    /* cap 3000: bulk allocations (rehash, several slab chunks), a jump past the wheel */
    static const uint8_t bulk[] = {
        0x40, 0,    0xff, 0xff, 0x03, 0x10, 0x0b, 0x50, 0x13, 0x7f, 0x84,
        0x00, 0x05, 0x06, 0x06, 0x2f, 0x05, 0x0c, 0x07, 0x0c, 0x07, 0x05,
    };
    put_file("flow", "bulk", bulk, sizeof bulk, NULL, 0);
    /* cap 1: everything evicts */
    static const uint8_t tiny[] = {0,    255,  0x00, 0x00, 0x08, 0x00, 0x07,
                                   0x03, 0x50, 0x04, 0x7f, 0x06, 0x0f, 0x05};
    put_file("flow", "tiny", tiny, sizeof tiny, NULL, 0);
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fputs("usage: gen_seeds DIR   (e.g. fuzz/corpus)\n", stderr);
        return 1;
    }
    top = argv[1];
    if (mkdir(top, 0777) != 0 && errno != EEXIST) {
        perror(top);
        return 1;
    }
    decode_seeds();
    pipeline_seeds("examples/loopback-resets.pcap");
    flow_seeds();
    return 0;
}
