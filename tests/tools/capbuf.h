/*
 * capbuf.h - capture files built in memory, byte by byte, for the
 * robustness tools (gen_damaged, fuzz/gen_seeds): classic pcap in either
 * byte order and precision, and pcapng with several interfaces.
 *
 * rs_pcap_writer (capture.h) is the project's writer for good captures; this
 * exists because damaged ones need every field under the caller's control
 * (a caplen above the snaplen, a block length that lies, a cut in the middle
 * of a header), which a real writer rightly refuses to produce.
 *
 * It also holds a packet list and `pl_mix`, the small set of sessions the
 * tools start from (built with craft.h, so the tools link the library).
 * Everything is static inline; on allocation failure the tools simply exit
 * (they are not the library).
 */
#ifndef RS_TESTS_CAPBUF_H
#define RS_TESTS_CAPBUF_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rstscope/common.h>
#include <rstscope/craft.h>
#include <rstscope/packet.h>

struct capbuf {
    uint8_t *p;
    size_t len, cap;
    int big_endian; /* field byte order of what is being written */
};

static inline void
cb_need(struct capbuf *b, size_t n)
{
    if (n <= b->cap - b->len)
        return;
    size_t cap = b->cap ? b->cap : 4096;
    while (n > cap - b->len)
        cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p) {
        fputs("out of memory\n", stderr);
        exit(1);
    }
    b->p = p;
    b->cap = cap;
}

static inline void
cb_bytes(struct capbuf *b, const void *d, size_t n)
{
    cb_need(b, n);
    if (n)
        memcpy(b->p + b->len, d, n);
    b->len += n;
}

static inline void
cb_zero(struct capbuf *b, size_t n)
{
    cb_need(b, n);
    memset(b->p + b->len, 0, n);
    b->len += n;
}

static inline void
cb_u16(struct capbuf *b, uint32_t v)
{
    uint8_t x[2];
    if (b->big_endian) {
        x[0] = (uint8_t)(v >> 8);
        x[1] = (uint8_t)v;
    } else {
        x[0] = (uint8_t)v;
        x[1] = (uint8_t)(v >> 8);
    }
    cb_bytes(b, x, 2);
}

static inline void
cb_u32(struct capbuf *b, uint32_t v)
{
    if (b->big_endian) {
        cb_u16(b, v >> 16);
        cb_u16(b, v & 0xffffu);
    } else {
        cb_u16(b, v & 0xffffu);
        cb_u16(b, v >> 16);
    }
}

/* Overwrites a 32-bit field at `off` (for lengths known only afterwards). */
static inline void
cb_put32(struct capbuf *b, size_t off, uint32_t v)
{
    size_t keep = b->len;
    b->len = off;
    cb_u32(b, v);
    b->len = keep;
}

static inline void
cb_free(struct capbuf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

static inline int
cb_write_file(const struct capbuf *b, const char *path, size_t n)
{
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return -1;
    size_t w = n ? fwrite(b->p, 1, n, fp) : 0;
    int bad = w != n;
    if (fclose(fp) != 0)
        bad = 1;
    return bad ? -1 : 0;
}

/* ---- classic pcap ---- */

/* File header; `ns` selects the nanosecond magic. */
static inline void
cb_pcap_header(struct capbuf *b, uint32_t linktype, uint32_t snaplen, int ns)
{
    cb_u32(b, ns ? 0xa1b23c4du : 0xa1b2c3d4u);
    cb_u16(b, 2);
    cb_u16(b, 4);
    cb_u32(b, 0);
    cb_u32(b, 0);
    cb_u32(b, snaplen);
    cb_u32(b, linktype);
}

/* One record; caplen and len as given (they may lie), `n` bytes of data follow. */
static inline void
cb_pcap_record_raw(struct capbuf *b, rs_time_ns ts, int ns, uint32_t caplen, uint32_t len,
                   const uint8_t *data, size_t n)
{
    cb_u32(b, (uint32_t)(ts / RS_NS_PER_SEC));
    uint32_t frac = (uint32_t)(ts % RS_NS_PER_SEC);
    cb_u32(b, ns ? frac : frac / 1000);
    cb_u32(b, caplen);
    cb_u32(b, len);
    cb_bytes(b, data, n);
}

static inline void
cb_pcap_record(struct capbuf *b, const struct rs_packet *pkt, int ns)
{
    cb_pcap_record_raw(b, pkt->ts, ns, pkt->caplen, pkt->len ? pkt->len : pkt->caplen, pkt->data,
                       pkt->caplen);
}

/* ---- pcapng (draft-ietf-opsawg-pcapng) ---- */

static inline void
cb_pad4(struct capbuf *b)
{
    while (b->len % 4)
        cb_zero(b, 1);
}

static inline void
cb_ng_shb(struct capbuf *b)
{
    cb_u32(b, 0x0a0d0d0au);
    cb_u32(b, 28);
    cb_u32(b, 0x1a2b3c4du);
    cb_u16(b, 1);
    cb_u16(b, 0);
    cb_u32(b, 0xffffffffu); /* section length unknown */
    cb_u32(b, 0xffffffffu);
    cb_u32(b, 28);
}

/* IDB with if_tsresol 9 (nanoseconds). */
static inline void
cb_ng_idb(struct capbuf *b, uint32_t linktype, uint32_t snaplen)
{
    cb_u32(b, 1);
    cb_u32(b, 32);
    cb_u16(b, linktype);
    cb_u16(b, 0);
    cb_u32(b, snaplen);
    cb_u16(b, 9); /* if_tsresol */
    cb_u16(b, 1);
    uint8_t res[4] = {9, 0, 0, 0};
    cb_bytes(b, res, 4);
    cb_u32(b, 0); /* opt_endofopt */
    cb_u32(b, 32);
}

/* EPB on interface `ifid` (time in ns, as the IDB above declares). */
static inline void
cb_ng_epb(struct capbuf *b, uint32_t ifid, const struct rs_packet *pkt)
{
    size_t start = b->len;
    cb_u32(b, 6);
    cb_u32(b, 0); /* length, fixed below */
    cb_u32(b, ifid);
    uint64_t t = (uint64_t)pkt->ts;
    cb_u32(b, (uint32_t)(t >> 32));
    cb_u32(b, (uint32_t)t);
    cb_u32(b, pkt->caplen);
    cb_u32(b, pkt->len ? pkt->len : pkt->caplen);
    cb_bytes(b, pkt->data, pkt->caplen);
    cb_pad4(b);
    uint32_t total = (uint32_t)(b->len - start + 4);
    cb_u32(b, total);
    cb_put32(b, start + 4, total);
}

/* ---- a list of packets (data copied) ---- */

struct pktlist {
    struct rs_packet *p;
    size_t n, cap;
};

static inline void
pl_add(struct pktlist *l, const struct rs_packet *pkt)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct rs_packet *p = realloc(l->p, cap * sizeof *p);
        if (!p) {
            fputs("out of memory\n", stderr);
            exit(1);
        }
        l->p = p;
        l->cap = cap;
    }
    uint8_t *d = malloc(pkt->caplen ? pkt->caplen : 1);
    if (!d) {
        fputs("out of memory\n", stderr);
        exit(1);
    }
    memcpy(d, pkt->data, pkt->caplen);
    l->p[l->n] = *pkt;
    l->p[l->n].data = d;
    l->n++;
}

static inline void
pl_free(struct pktlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free((void *)(uintptr_t)l->p[i].data);
    free(l->p);
    memset(l, 0, sizeof *l);
}

/* One TCP segment of a crafted flow, appended to the list. */
static inline void
pl_seg(struct pktlist *l, struct rs_craft_flow *f, int dir, uint16_t flags, const char *payload,
       int64_t dt_us)
{
    static uint8_t frame[RS_CRAFT_MAX_FRAME];
    struct rs_craft_seg seg;
    memset(&seg, 0, sizeof seg);
    seg.flags = flags;
    seg.payload = (const uint8_t *)payload;
    seg.len = payload ? strlen(payload) : 0;
    seg.dt_us = dt_us;
    struct rs_packet pkt;
    if (rs_craft_flow_build(f, dir, &seg, frame, sizeof frame, &pkt))
        pl_add(l, &pkt);
}

/* One UDP datagram between a flow's endpoints. */
static inline void
pl_udp(struct pktlist *l, struct rs_craft_flow *f, int dir, const uint8_t *payload, size_t len,
       int64_t dt_us)
{
    static uint8_t frame[RS_CRAFT_MAX_FRAME];
    struct rs_craft_udp u;
    memset(&u, 0, sizeof u);
    u.ip = f->ip;
    if (dir == RS_CRAFT_SERVER) {
        u.ip.src = f->ip.dst;
        u.ip.dst = f->ip.src;
    }
    u.sport = f->port[dir];
    u.dport = f->port[!dir];
    u.payload = payload;
    u.payload_len = len;
    size_t n = rs_craft_udp(&u, frame, sizeof frame);
    if (!n)
        return;
    f->now += dt_us * 1000;
    struct rs_packet pkt = {f->now, (uint32_t)n, (uint32_t)n, rs_craft_linktype(f->ip.link),
                            0,      frame};
    pl_add(l, &pkt);
}

#define CB_S RS_TCP_SYN
#define CB_A RS_TCP_ACK
#define CB_F RS_TCP_FIN
#define CB_R RS_TCP_RST
#define CB_P RS_TCP_PSH

/*
 * The standard mix, 5 sessions on Ethernet in time order (packets 1 ms
 * apart): an HTTP exchange closed with FINs, a client abort mid-response, a
 * refused port, a DNS query and answer, and an IPv6 handshake reset by the
 * server. 24 packets, about 2 KB as a pcap.
 */
static inline void
pl_mix(struct pktlist *l, rs_time_ns start)
{
    static const uint8_t dnsq[] = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
                                   0x00, 0x00, 0x07, 'e',  'x',  'a',  'm',  'p',  'l',  'e',
                                   0x03, 'c',  'o',  'm',  0x00, 0x00, 0x01, 0x00, 0x01};
    static const uint8_t dnsr[] = {
        0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x07, 'e',  'x',
        'a',  'm',  'p',  'l',  'e',  0x03, 'c',  'o',  'm',  0x00, 0x00, 0x01, 0x00, 0x01, 0xc0,
        0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x04, 93,   184,  216,  34};
    struct rs_craft_flow f;
    rs_craft_flow_init(&f, "10.0.0.1", 40000, "10.0.0.2", 80, start);
    pl_seg(l, &f, RS_CRAFT_CLIENT, CB_S, NULL, 1000);
    pl_seg(l, &f, RS_CRAFT_SERVER, CB_S | CB_A, NULL, 1000);
    pl_seg(l, &f, RS_CRAFT_CLIENT, CB_A, NULL, 1000);
    pl_seg(l, &f, RS_CRAFT_CLIENT, CB_P | CB_A, "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
           1000);
    pl_seg(l, &f, RS_CRAFT_SERVER, CB_P | CB_A, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
           1000);
    pl_seg(l, &f, RS_CRAFT_CLIENT, CB_F | CB_A, NULL, 1000);
    pl_seg(l, &f, RS_CRAFT_SERVER, CB_F | CB_A, NULL, 1000);
    pl_seg(l, &f, RS_CRAFT_CLIENT, CB_A, NULL, 1000);
    rs_time_ns t = f.now;

    rs_craft_flow_init(&f, "10.0.0.1", 40001, "10.0.0.2", 80, t);
    pl_seg(l, &f, RS_CRAFT_CLIENT, CB_S, NULL, 1000);
    pl_seg(l, &f, RS_CRAFT_SERVER, CB_S | CB_A, NULL, 1000);
    pl_seg(l, &f, RS_CRAFT_CLIENT, CB_A, NULL, 1000);
    pl_seg(l, &f, RS_CRAFT_CLIENT, CB_P | CB_A, "GET /big HTTP/1.1\r\n\r\n", 1000);
    pl_seg(l, &f, RS_CRAFT_SERVER, CB_A, "0123456789abcdef0123456789abcdef", 1000);
    pl_seg(l, &f, RS_CRAFT_CLIENT, CB_R | CB_A, NULL, 1000);
    t = f.now;

    rs_craft_flow_init(&f, "10.0.0.1", 40002, "10.0.0.2", 81, t);
    pl_seg(l, &f, RS_CRAFT_CLIENT, CB_S, NULL, 1000);
    pl_seg(l, &f, RS_CRAFT_SERVER, CB_R | CB_A, NULL, 1000);
    t = f.now;

    rs_craft_flow_init(&f, "10.0.0.1", 53000, "10.0.0.53", 53, t);
    pl_udp(l, &f, RS_CRAFT_CLIENT, dnsq, sizeof dnsq, 1000);
    pl_udp(l, &f, RS_CRAFT_SERVER, dnsr, sizeof dnsr, 1000);
    t = f.now;

    rs_craft_flow_init(&f, "2001:db8::1", 40003, "2001:db8::2", 443, t);
    pl_seg(l, &f, RS_CRAFT_CLIENT, CB_S, NULL, 1000);
    pl_seg(l, &f, RS_CRAFT_SERVER, CB_S | CB_A, NULL, 1000);
    pl_seg(l, &f, RS_CRAFT_CLIENT, CB_A, NULL, 1000);
    pl_seg(l, &f, RS_CRAFT_SERVER, CB_R | CB_A, NULL, 1000);
}

/* The list as a classic pcap (little-endian unless b->big_endian). */
static inline void
cb_pcap_of(struct capbuf *b, const struct pktlist *l, uint32_t linktype, int ns)
{
    cb_pcap_header(b, linktype, 262144, ns);
    for (size_t i = 0; i < l->n; i++)
        cb_pcap_record(b, &l->p[i], ns);
}

/* The list as a pcapng file with one interface. */
static inline void
cb_pcapng_of(struct capbuf *b, const struct pktlist *l, uint32_t linktype)
{
    cb_ng_shb(b);
    cb_ng_idb(b, linktype, 262144);
    for (size_t i = 0; i < l->n; i++)
        cb_ng_epb(b, 0, &l->p[i]);
}

#endif
