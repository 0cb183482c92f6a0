/*
 * craft.c - building frames for tests, fuzz seeds, benchmarks and the lab.
 *
 * Everything is written byte by byte in network order (no struct overlays),
 * so the output is the same on every host. Checksums are the RFC 1071
 * one's-complement sum: IPv4 header (RFC 791), TCP and UDP over the
 * pseudo-header (RFC 9293 section 3.1, RFC 768; RFC 8200 section 8.1 for
 * IPv6), ICMP over its message (RFC 792) and ICMPv6 with the IPv6
 * pseudo-header (RFC 4443 section 2.3).
 */
#include <string.h>

#include <rstscope/craft.h>

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100
#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_ICMPV6 58

uint32_t
rs_craft_linktype(enum rs_craft_link link)
{
    return link == RS_CRAFT_LINK_RAW ? RS_LINK_RAW : RS_LINK_ETHERNET;
}

static void
put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Adds big-endian 16-bit words; an odd final byte is padded with zero (RFC 1071). */
static uint64_t
sum_add(uint64_t acc, const uint8_t *p, size_t n)
{
    size_t i = 0;
    for (; n - i >= 2; i += 2)
        acc += (uint32_t)p[i] << 8 | p[i + 1];
    if (i < n)
        acc += (uint32_t)p[i] << 8;
    return acc;
}

static uint16_t
sum_fold(uint64_t acc)
{
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    return (uint16_t)~acc;
}

uint16_t
rs_craft_checksum(const void *data, size_t len)
{
    return sum_fold(sum_add(0, data, len));
}

/*
 * A deliberately wrong checksum. Flipping the top bit changes the one's-
 * complement sum by 0x8000, never a multiple of 0xffff, so it cannot verify;
 * 0 is avoided because UDP reads it as "no checksum".
 */
static uint16_t
spoil(uint16_t c)
{
    uint16_t b = (uint16_t)(c ^ 0x8000);
    return b ? b : 0x4000;
}

struct l3 {
    int v6;
    size_t ip_off; /* where the IP header starts */
    size_t l4_off; /* where the transport header starts */
    size_t total;  /* frame length */
};

static const uint8_t default_src_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t default_dst_mac[6] = {0x02, 0, 0, 0, 0, 0x02};

static int
mac_is_zero(const uint8_t m[6])
{
    static const uint8_t zero[6];
    return memcmp(m, zero, 6) == 0;
}

/* Writes link and IP headers for an l4len-byte transport segment; 0 on failure. */
static int
put_l2_l3(const struct rs_craft_ip *ip, uint8_t proto, size_t l4len, uint8_t *buf, size_t cap,
          struct l3 *out)
{
    int s4 = rs_addr_is_v4(&ip->src), d4 = rs_addr_is_v4(&ip->dst);
    if (s4 != d4)
        return 0;
    out->v6 = !s4;
    size_t l2 = ip->link == RS_CRAFT_LINK_ETHERNET ? 14u + (ip->vlan ? 4u : 0u) : 0u;
    size_t iph = out->v6 ? 40 : 20;
    /* IPv4 total length and IPv6 payload length are 16 bits (no jumbograms). */
    if (l4len > 65535 - (out->v6 ? 0 : iph))
        return 0;
    out->ip_off = l2;
    out->l4_off = l2 + iph;
    out->total = l2 + iph + l4len;
    if (out->total > cap)
        return 0;
    uint8_t *p = buf;
    if (ip->link == RS_CRAFT_LINK_ETHERNET) {
        memcpy(p, mac_is_zero(ip->dst_mac) ? default_dst_mac : ip->dst_mac, 6);
        memcpy(p + 6, mac_is_zero(ip->src_mac) ? default_src_mac : ip->src_mac, 6);
        p += 12;
        if (ip->vlan) {
            put16(p, ETHERTYPE_VLAN);
            put16(p + 2, ip->vlan & 0x0fffu);
            p += 4;
        }
        put16(p, out->v6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4);
        p += 2;
    }
    uint8_t ttl = ip->ttl ? ip->ttl : 64;
    if (!out->v6) {
        p[0] = 0x45;
        p[1] = ip->tos;
        put16(p + 2, (uint32_t)(iph + l4len));
        put16(p + 4, ip->ip_id);
        put16(p + 6, ip->df ? 0x4000u : 0u);
        p[8] = ttl;
        p[9] = proto;
        put16(p + 10, 0);
        memcpy(p + 12, ip->src.b + 12, 4);
        memcpy(p + 16, ip->dst.b + 12, 4);
        uint16_t c = rs_craft_checksum(p, 20);
        put16(p + 10, ip->bad_ip_checksum ? spoil(c) : c);
    } else {
        put32(p, 6u << 28 | (uint32_t)ip->tos << 20 | (ip->flow_label & 0xfffffu));
        put16(p + 4, (uint32_t)l4len);
        p[6] = proto;
        p[7] = ttl;
        memcpy(p + 8, ip->src.b, 16);
        memcpy(p + 24, ip->dst.b, 16);
    }
    return 1;
}

/* Transport checksum over the pseudo-header and the l4len bytes at buf + l4_off. */
static uint16_t
l4_checksum(const uint8_t *buf, const struct l3 *l, uint8_t proto, size_t l4len)
{
    const uint8_t *ip = buf + l->ip_off;
    uint8_t tail[8];
    uint64_t acc;
    if (!l->v6) {
        acc = sum_add(0, ip + 12, 8); /* source and destination */
        tail[0] = 0;
        tail[1] = proto;
        put16(tail + 2, (uint32_t)l4len);
        acc = sum_add(acc, tail, 4);
    } else {
        acc = sum_add(0, ip + 8, 32);
        put32(tail, (uint32_t)l4len);
        tail[4] = tail[5] = tail[6] = 0;
        tail[7] = proto;
        acc = sum_add(acc, tail, 8);
    }
    return sum_fold(sum_add(acc, buf + l->l4_off, l4len));
}

static size_t
tcp_options(const struct rs_craft_tcp *s, uint8_t *o)
{
    size_t n = 0;
    if (s->mss) {
        o[n++] = 2;
        o[n++] = 4;
        put16(o + n, s->mss);
        n += 2;
    }
    if (s->sack_ok && s->has_ts) {
        o[n++] = 4;
        o[n++] = 2;
    } else if (s->has_ts || s->sack_ok) {
        o[n++] = 1;
        o[n++] = 1;
        if (!s->has_ts) {
            o[n++] = 4;
            o[n++] = 2;
        }
    }
    if (s->has_ts) {
        o[n++] = 8;
        o[n++] = 10;
        put32(o + n, s->ts_val);
        put32(o + n + 4, s->ts_ecr);
        n += 8;
    }
    if (s->has_wscale) {
        o[n++] = 1;
        o[n++] = 3;
        o[n++] = 3;
        o[n++] = s->wscale;
    }
    while (n % 4)
        o[n++] = 0; /* EOL */
    return n;
}

size_t
rs_craft_tcp(const struct rs_craft_tcp *s, uint8_t *buf, size_t cap)
{
    uint8_t opts[40];
    size_t olen = tcp_options(s, opts);
    size_t hlen = 20 + olen;
    if (s->payload_len > 65535)
        return 0;
    size_t l4len = hlen + s->payload_len;
    struct l3 l;
    if (!put_l2_l3(&s->ip, PROTO_TCP, l4len, buf, cap, &l))
        return 0;
    uint8_t *t = buf + l.l4_off;
    put16(t, s->sport);
    put16(t + 2, s->dport);
    put32(t + 4, s->seq);
    put32(t + 8, s->ack);
    t[12] = (uint8_t)((hlen / 4) << 4 | ((s->flags & RS_TCP_NS) ? 1u : 0u));
    t[13] = (uint8_t)(s->flags & 0xffu);
    put16(t + 14, s->window);
    put16(t + 16, 0);
    put16(t + 18, s->urg_ptr);
    memcpy(t + 20, opts, olen);
    if (s->payload_len)
        memcpy(t + hlen, s->payload, s->payload_len);
    uint16_t c = l4_checksum(buf, &l, PROTO_TCP, l4len);
    put16(t + 16, s->bad_checksum ? spoil(c) : c);
    return l.total;
}

size_t
rs_craft_udp(const struct rs_craft_udp *s, uint8_t *buf, size_t cap)
{
    if (s->payload_len > 65535 - 8)
        return 0;
    size_t l4len = 8 + s->payload_len;
    struct l3 l;
    if (!put_l2_l3(&s->ip, PROTO_UDP, l4len, buf, cap, &l))
        return 0;
    uint8_t *u = buf + l.l4_off;
    put16(u, s->sport);
    put16(u + 2, s->dport);
    put16(u + 4, (uint32_t)l4len);
    put16(u + 6, 0);
    if (s->payload_len)
        memcpy(u + 8, s->payload, s->payload_len);
    uint16_t c = l4_checksum(buf, &l, PROTO_UDP, l4len);
    /* RFC 768: a computed 0 is sent as all ones; 0 means "none" (IPv4 only). */
    if (c == 0)
        c = 0xffff;
    if (s->bad_checksum)
        c = spoil(c);
    else if (s->zero_checksum && !l.v6)
        c = 0;
    put16(u + 6, c);
    return l.total;
}

size_t
rs_craft_icmp(const struct rs_craft_icmp *s, uint8_t *buf, size_t cap)
{
    if (s->payload_len > 65535 - 8)
        return 0;
    size_t l4len = 8 + s->payload_len;
    struct l3 l;
    int v6 = !rs_addr_is_v4(&s->ip.src);
    if (!put_l2_l3(&s->ip, v6 ? PROTO_ICMPV6 : PROTO_ICMP, l4len, buf, cap, &l))
        return 0;
    uint8_t *m = buf + l.l4_off;
    m[0] = s->type;
    m[1] = s->code;
    put16(m + 2, 0);
    put32(m + 4, s->rest);
    if (s->payload_len)
        memcpy(m + 8, s->payload, s->payload_len);
    uint16_t c = l.v6 ? l4_checksum(buf, &l, PROTO_ICMPV6, l4len) : rs_craft_checksum(m, l4len);
    put16(m + 2, s->bad_checksum ? spoil(c) : c);
    return l.total;
}

/* ---- flows ---- */

int
rs_craft_flow_init(struct rs_craft_flow *f, const char *client, uint16_t cport, const char *server,
                   uint16_t sport, rs_time_ns start)
{
    memset(f, 0, sizeof *f);
    if (rs_addr_parse(&f->ip.src, client) < 0 || rs_addr_parse(&f->ip.dst, server) < 0 ||
        rs_addr_is_v4(&f->ip.src) != rs_addr_is_v4(&f->ip.dst))
        return RS_ERR_USAGE;
    f->ip.link = RS_CRAFT_LINK_ETHERNET;
    memcpy(f->ip.src_mac, default_src_mac, 6);
    memcpy(f->ip.dst_mac, default_dst_mac, 6);
    f->port[RS_CRAFT_CLIENT] = cport;
    f->port[RS_CRAFT_SERVER] = sport;
    f->next_seq[RS_CRAFT_CLIENT] = 1000000;
    f->next_seq[RS_CRAFT_SERVER] = 5000000;
    f->ttl[RS_CRAFT_CLIENT] = f->ttl[RS_CRAFT_SERVER] = 64;
    f->ip_id[RS_CRAFT_CLIENT] = 0x1000;
    f->ip_id[RS_CRAFT_SERVER] = 0x8000;
    f->window[RS_CRAFT_CLIENT] = f->window[RS_CRAFT_SERVER] = 65535;
    f->syn_options = 1;
    f->now = start;
    return 0;
}

/* The IP template as seen from side dir (the server sends with addresses swapped). */
static struct rs_craft_ip
side_ip(const struct rs_craft_flow *f, int dir)
{
    struct rs_craft_ip ip = f->ip;
    if (dir == RS_CRAFT_SERVER) {
        ip.src = f->ip.dst;
        ip.dst = f->ip.src;
        memcpy(ip.src_mac, f->ip.dst_mac, 6);
        memcpy(ip.dst_mac, f->ip.src_mac, 6);
    }
    ip.ttl = f->ttl[dir];
    ip.ip_id = f->ip_id[dir];
    return ip;
}

/* RFC 1982 serial-number order on 32-bit sequence numbers. */
static int
seq_after(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) > 0;
}

size_t
rs_craft_flow_build(struct rs_craft_flow *f, int dir, const struct rs_craft_seg *seg, uint8_t *buf,
                    size_t cap, struct rs_packet *out)
{
    if (dir != RS_CRAFT_CLIENT && dir != RS_CRAFT_SERVER)
        return 0;
    int peer = !dir;
    uint16_t fl = seg->flags;
    rs_time_ns now = f->now + seg->dt_us * 1000;

    struct rs_craft_tcp t;
    memset(&t, 0, sizeof t);
    t.ip = side_ip(f, dir);
    if (seg->ttl)
        t.ip.ttl = seg->ttl;
    t.sport = f->port[dir];
    t.dport = f->port[peer];
    t.seq = f->next_seq[dir];
    /* RFC 9293 3.10.7.1: a RST answering a segment without ACK (a SYN) has SEQ=0. */
    if ((fl & RS_TCP_RST) && !f->sent_any[dir])
        t.seq = 0;
    if (seg->set_seq)
        t.seq = seg->seq;
    t.ack = (fl & RS_TCP_ACK) ? f->next_seq[peer] : 0;
    if (seg->set_ack)
        t.ack = seg->ack;
    t.flags = fl;
    t.window = seg->set_window ? seg->window : f->window[dir];
    if ((fl & RS_TCP_SYN) && f->syn_options) {
        t.mss = 1460;
        t.sack_ok = 1;
        t.has_wscale = 1;
        t.wscale = 7;
    }
    uint32_t ts_val = (uint32_t)(now / 1000000);
    if (f->timestamps) {
        t.has_ts = 1;
        t.ts_val = ts_val;
        t.ts_ecr = (fl & RS_TCP_ACK) ? f->ts_peer[peer] : 0;
    }
    t.payload = seg->payload;
    t.payload_len = seg->len;
    t.bad_checksum = seg->bad_checksum;
    size_t n = rs_craft_tcp(&t, buf, cap);
    if (n == 0)
        return 0;

    /* SYN and FIN each occupy one sequence number (RFC 9293 3.4); a RST occupies none. */
    uint32_t used =
        (uint32_t)seg->len + ((fl & RS_TCP_SYN) ? 1u : 0u) + ((fl & RS_TCP_FIN) ? 1u : 0u);
    if (!(fl & RS_TCP_RST) && !seg->retransmit && used) {
        uint32_t end = t.seq + used;
        if (!seg->set_seq || seq_after(end, f->next_seq[dir]))
            f->next_seq[dir] = end;
    }
    f->now = now;
    f->ip_id[dir]++;
    f->sent_any[dir] = 1;
    f->ts_peer[dir] = ts_val;
    f->packets++;
    out->ts = now;
    out->caplen = out->len = (uint32_t)n;
    out->linktype = rs_craft_linktype(f->ip.link);
    out->number = f->packets;
    out->data = buf;
    return n;
}

int
rs_craft_flow_send_seg(struct rs_craft_flow *f, int dir, const struct rs_craft_seg *seg,
                       struct rs_pcap_writer *w)
{
    static _Thread_local uint8_t frame[RS_CRAFT_MAX_FRAME];
    struct rs_packet pkt;
    if (!rs_craft_flow_build(f, dir, seg, frame, sizeof frame, &pkt))
        return RS_ERR_USAGE;
    return rs_pcap_writer_write(w, &pkt);
}

int
rs_craft_flow_send(struct rs_craft_flow *f, int dir, uint16_t flags, const void *payload,
                   size_t len, int64_t dt_us, struct rs_pcap_writer *w)
{
    struct rs_craft_seg seg;
    memset(&seg, 0, sizeof seg);
    seg.flags = flags;
    seg.payload = payload;
    seg.len = len;
    seg.dt_us = dt_us;
    return rs_craft_flow_send_seg(f, dir, &seg, w);
}

int
rs_craft_flow_send_udp(struct rs_craft_flow *f, int dir, const void *payload, size_t len,
                       int64_t dt_us, struct rs_pcap_writer *w)
{
    static _Thread_local uint8_t frame[RS_CRAFT_MAX_FRAME];
    if (dir != RS_CRAFT_CLIENT && dir != RS_CRAFT_SERVER)
        return RS_ERR_USAGE;
    struct rs_craft_udp u;
    memset(&u, 0, sizeof u);
    u.ip = side_ip(f, dir);
    u.sport = f->port[dir];
    u.dport = f->port[!dir];
    u.payload = payload;
    u.payload_len = len;
    size_t n = rs_craft_udp(&u, frame, sizeof frame);
    if (n == 0)
        return RS_ERR_USAGE;
    f->now += dt_us * 1000;
    f->ip_id[dir]++;
    f->packets++;
    struct rs_packet pkt;
    pkt.ts = f->now;
    pkt.caplen = pkt.len = (uint32_t)n;
    pkt.linktype = rs_craft_linktype(f->ip.link);
    pkt.number = f->packets;
    pkt.data = frame;
    return rs_pcap_writer_write(w, &pkt);
}
