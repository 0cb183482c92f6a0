/*
 * ip.c - IPv4 (RFC 791) and IPv6 (RFC 8200) headers into a struct rs_layer.
 *
 * The IP declared length bounds everything after it: Ethernet padding past
 * an IPv4 total length never reaches the transport, and a packet cut by the
 * snaplen keeps its declared lengths (ip_len, l4_len, payload_len) while the
 * *_caplen / cursor lengths say what is really there.
 *
 * Fragments go to frag.c; a complete datagram comes back as one IP packet
 * without fragmentation and is decoded by the same code (reassembled = 1).
 */
#include <string.h>

#include "decode/decode_int.h"

#define V6_MAX_EXT 16u /* extension headers followed per packet */

/* IPv6 extension header numbers (RFC 7045 §2 list). */
#define IP6_HOPOPTS 0u
#define IP6_ROUTING 43u
#define IP6_FRAGMENT 44u
#define IP6_ESP 50u
#define IP6_AH 51u
#define IP6_NONE 59u
#define IP6_DSTOPTS 60u
#define IP6_MOBILITY 135u
#define IP6_HIP 139u
#define IP6_SHIM6 140u

struct v6_chain {
    uint8_t proto;     /* upper-layer protocol, or ESP / no next header */
    uint8_t has_frag;  /* a Fragment header was seen */
    uint8_t frag_more; /* its M flag */
    uint8_t frag_nh;   /* its Next Header */
    uint32_t frag_off; /* its offset, in bytes */
    uint32_t frag_id;
    size_t frag_at;    /* where it starts (= length of the unfragmentable part) */
    size_t frag_nh_at; /* the Next Header byte that names it */
    size_t l4_at;      /* where the upper-layer header starts */
    int has_final_dst;
    uint8_t final_dst[16];
};

/*
 * RFC 8200 §8.1: with a Routing header, the checksum pseudo-header uses the
 * final destination. Seen on the path (Segments Left > 0) that is the last
 * address of a type 0/2 header, or Segment List[0] of an SRH (RFC 8754 §2).
 * `r` starts at the Routing Type byte of a header of `len` bytes.
 */
static void
routing_final_dst(struct rs_cur r, size_t len, struct v6_chain *ch)
{
    uint8_t rtype = rs_cur_u8(&r);
    uint8_t segleft = rs_cur_u8(&r);
    if (r.err || segleft == 0 || len < 24)
        return;
    size_t n = (len - 8) / 16;
    if (rtype == 0 || rtype == 2)
        rs_cur_skip(&r, 4 + 16 * (n - 1));
    else if (rtype == 4)
        rs_cur_skip(&r, 4);
    else
        return;
    rs_cur_copy(&r, ch->final_dst, 16);
    ch->has_final_dst = !r.err;
}

/*
 * Follows the extension header chain from `nh`, `w` positioned after the
 * fixed header (offsets are from w's base). Stops at the upper-layer
 * header; at a Fragment header that is not atomic (RFC 6946) when
 * `stop_at_frag`, or whenever its offset is not 0 (only data follows).
 * Returns RS_DEC_TRUNC_IP when the chain runs out of bytes and
 * RS_DEC_IPV6_EXT when it is too long or has two Fragment headers.
 */
static enum rs_decode_status
v6_chain(struct rs_cur *w, uint8_t nh, struct v6_chain *ch, int stop_at_frag, int want_dst)
{
    size_t nh_at = 6; /* Next Header of the fixed header */
    ch->has_frag = 0;
    ch->has_final_dst = 0;
    for (unsigned i = 0;; i++) {
        size_t at = w->off;
        switch (nh) {
        case IP6_HOPOPTS:
        case IP6_ROUTING:
        case IP6_FRAGMENT:
        case IP6_AH:
        case IP6_DSTOPTS:
        case IP6_MOBILITY:
        case IP6_HIP:
        case IP6_SHIM6:
            break;
        default:
            ch->proto = nh; /* includes ESP and No Next Header */
            ch->l4_at = at;
            return RS_DEC_OK;
        }
        if (i == V6_MAX_EXT)
            return RS_DEC_IPV6_EXT;
        uint8_t next = rs_cur_u8(w);
        if (nh == IP6_FRAGMENT) {
            /* RFC 8200 §4.5: Next Header, Reserved, Fragment Offset (13 bits,
             * 8-byte units) | Res | M, Identification. */
            rs_cur_skip(w, 1);
            uint16_t fo = rs_cur_be16(w);
            uint32_t id = rs_cur_be32(w);
            if (w->err)
                return RS_DEC_TRUNC_IP;
            if (ch->has_frag)
                return RS_DEC_IPV6_EXT;
            ch->has_frag = 1;
            ch->frag_off = fo & 0xfff8u;
            ch->frag_more = fo & 1u;
            ch->frag_nh = next;
            ch->frag_id = id;
            ch->frag_at = at;
            ch->frag_nh_at = nh_at;
            if (ch->frag_off != 0 || (stop_at_frag && ch->frag_more)) {
                ch->proto = next;
                ch->l4_at = w->off;
                return RS_DEC_OK;
            }
        } else {
            /* RFC 4302 §2.2: AH length in 4-byte units minus 2; the others
             * (RFC 8200 §4.3-4.6, RFC 6275 §6.1.1, RFC 7401 §5.1, RFC 5533
             * §5.1) in 8-byte units not counting the first 8 bytes. */
            uint8_t hlen = rs_cur_u8(w);
            if (w->err)
                return RS_DEC_TRUNC_IP;
            size_t len = nh == IP6_AH ? ((size_t)hlen + 2) * 4 : ((size_t)hlen + 1) * 8;
            if (nh == IP6_ROUTING && want_dst)
                routing_final_dst(rs_cur_make(rs_cur_ptr(w), rs_cur_left(w)), len, ch);
            rs_cur_skip(w, len - 2);
            if (w->err)
                return RS_DEC_TRUNC_IP;
        }
        nh_at = at;
        nh = next;
    }
}

int
rs_dec_ip6_quote_chain(struct rs_cur *c, uint8_t nh, uint8_t *proto)
{
    struct v6_chain ch;
    if (v6_chain(c, nh, &ch, 0, 0) != RS_DEC_OK)
        return -1;
    *proto = ch.proto;
    return ch.has_frag && ch.frag_off != 0 ? 1 : 0;
}

static enum rs_decode_status
ip4(struct rs_dec_ctx *x, const struct rs_cur *c, enum rs_tunnel_type tun, int reassembled)
{
    struct rs_layer *l = &x->out->layer[x->out->n_layers];
    const uint8_t *p = rs_cur_ptr(c);
    size_t cap = rs_cur_left(c);
    struct rs_cur h = rs_cur_make(p, cap);

    /* RFC 791 §3.1: Version 4, IHL >= 5 words. */
    uint8_t vihl = rs_cur_u8(&h);
    if (h.err)
        return RS_DEC_TRUNC_IP;
    if (vihl >> 4 != 4)
        return RS_DEC_BAD_IP_VERSION;
    size_t hl = (size_t)(vihl & 0x0fu) * 4;
    if (hl < 20)
        return RS_DEC_BAD_IP_HDRLEN;
    uint8_t tos = rs_cur_u8(&h);
    size_t total = rs_cur_be16(&h);
    uint16_t id = rs_cur_be16(&h);
    uint16_t frag = rs_cur_be16(&h);
    uint8_t ttl = rs_cur_u8(&h);
    uint8_t proto = rs_cur_u8(&h);
    rs_cur_skip(&h, 2);
    const uint8_t *src = rs_cur_ptr(&h); /* 4 + 4 bytes, checked by the skip */
    const uint8_t *dst = src + 4;
    rs_cur_skip(&h, 8);
    if (h.err)
        return RS_DEC_TRUNC_IP;
    /* TCP segmentation offload leaves Total Length 0 in captures taken on
     * the sender; like Zeek, use the capture unless checksums matter. */
    int tso = total == 0 && !x->d->cfg.verify_checksums;
    if (tso)
        total = cap;
    if (total < hl)
        return RS_DEC_BAD_IP_LEN;
    if (hl > cap)
        return RS_DEC_TRUNC_IP; /* options cut by the snaplen */
    /* RFC 791 §3.1 Header Checksum; a reassembled header was rewritten, its
     * fragments were checked one by one. */
    if (x->d->cfg.verify_checksums && !reassembled && rs_inet_checksum(p, hl, 0) != 0)
        return RS_DEC_BAD_IP_CHECKSUM;
    size_t present = total < cap ? total : cap;

    /* RFC 791 §3.2: MF set or a non-zero offset makes a fragment. */
    uint32_t foff = (uint32_t)(frag & 0x1fffu) * 8u;
    if ((frag & 0x2000u) || foff != 0) {
        if (reassembled)
            return RS_DEC_FRAG_DROPPED; /* a fragment inside a reassembled datagram */
        if (cap >= total) {
            struct rs_frag_in in = {
                .family = 4,
                .proto = proto,
                .id = id,
                .off = foff,
                .more = (frag & 0x2000u) != 0,
                .data = p + hl,
                .len = (uint32_t)(total - hl),
                .hdr = p,
                .hdr_len = (uint32_t)hl,
            };
            rs_addr_from_v4(&in.src, src);
            rs_addr_from_v4(&in.dst, dst);
            const uint8_t *pkt;
            size_t len;
            enum rs_decode_status st = rs_frag_add(x->d, &in, x->ts, x->out->n_layers, &pkt, &len);
            if (st != RS_DEC_OK)
                return st;
            struct rs_cur rc = rs_cur_make(pkt, len);
            return ip4(x, &rc, tun, 1);
        }
        /* Cut by the snaplen: cannot be reassembled. Like Zeek, the first
         * fragment is still decoded for its headers (header-only traces). */
        if (foff != 0)
            return RS_DEC_FRAG_DROPPED;
    }

    l->family = 4;
    l->proto = proto;
    l->ttl = ttl;
    l->tos = tos;
    l->csum = 0;
    l->reassembled = (uint8_t)reassembled;
    l->ip_df = (frag & 0x4000u) != 0;
    l->ip_id = id;
    /* ip_len stays as declared (0 for an offloaded segment): Zeek's IP byte
     * counts add the header's Total Length, not the captured size. */
    l->ip_len = tso ? 0 : (uint32_t)total;
    l->l4_len = (uint32_t)(total - hl);
    rs_addr_from_v4(&l->src, src);
    rs_addr_from_v4(&l->dst, dst);
    l->tunnel = tun;
    return rs_dec_l4(x, l, p + hl, present - hl, NULL);
}

static enum rs_decode_status
ip6(struct rs_dec_ctx *x, const struct rs_cur *c, enum rs_tunnel_type tun, int reassembled)
{
    struct rs_layer *l = &x->out->layer[x->out->n_layers];
    const uint8_t *p = rs_cur_ptr(c);
    size_t cap = rs_cur_left(c);
    struct rs_cur h = rs_cur_make(p, cap);

    /* RFC 8200 §3: Version 6, Traffic Class, Flow Label, Payload Length,
     * Next Header, Hop Limit, addresses. */
    uint8_t b0;
    if (!rs_cur_peek_u8(&h, 0, &b0))
        return RS_DEC_TRUNC_IP;
    if (b0 >> 4 != 6)
        return RS_DEC_BAD_IP_VERSION;
    uint32_t vtf = rs_cur_be32(&h);
    size_t plen = rs_cur_be16(&h);
    uint8_t nh = rs_cur_u8(&h);
    uint8_t hlim = rs_cur_u8(&h);
    const uint8_t *addrs = rs_cur_ptr(&h); /* 16 + 16 bytes, checked by the skip */
    rs_cur_skip(&h, 32);
    if (h.err)
        return RS_DEC_TRUNC_IP;
    memcpy(l->src.b, addrs, 16);
    memcpy(l->dst.b, addrs + 16, 16);
    size_t declared = 40 + plen;
    /* RFC 2675 §3: a jumbogram has Payload Length 0 and its length in a
     * hop-by-hop option; the capture is the better bound. */
    if (plen == 0 && nh == IP6_HOPOPTS)
        declared = cap;
    size_t present = declared < cap ? declared : cap;
    int verify = x->d->cfg.verify_checksums;

    struct rs_cur w = rs_cur_make(p, present);
    rs_cur_skip(&w, 40);
    struct v6_chain ch;
    enum rs_decode_status st = v6_chain(&w, nh, &ch, 1, verify);
    if (st == RS_DEC_TRUNC_IP && present == declared)
        st = RS_DEC_IPV6_EXT; /* the chain runs past the payload length */
    if (st != RS_DEC_OK)
        return st;

    if (ch.has_frag && (ch.frag_off != 0 || ch.frag_more)) {
        if (reassembled)
            return RS_DEC_FRAG_DROPPED;
        if (cap >= declared) {
            struct rs_frag_in in = {
                .family = 6,
                .id = ch.frag_id,
                .src = l->src,
                .dst = l->dst,
                .off = ch.frag_off,
                .more = ch.frag_more,
                .data = p + ch.frag_at + 8,
                .len = (uint32_t)(declared - ch.frag_at - 8),
                .hdr = p,
                .hdr_len = (uint32_t)ch.frag_at,
                .nh_at = (uint32_t)ch.frag_nh_at,
                .nh = ch.frag_nh,
            };
            const uint8_t *pkt;
            size_t len;
            st = rs_frag_add(x->d, &in, x->ts, x->out->n_layers, &pkt, &len);
            if (st != RS_DEC_OK)
                return st;
            struct rs_cur rc = rs_cur_make(pkt, len);
            st = ip6(x, &rc, tun, 1);
            if (st == RS_DEC_OK)
                l->ip_id = (uint16_t)ch.frag_id;
            return st;
        }
        /* Cut by the snaplen (see ip4): decode the first fragment as is. */
        if (ch.frag_off != 0)
            return RS_DEC_FRAG_DROPPED;
        w = rs_cur_make(p, present);
        rs_cur_skip(&w, 40);
        st = v6_chain(&w, nh, &ch, 0, verify);
        if (st != RS_DEC_OK)
            return st;
    }

    l->family = 6;
    l->proto = ch.proto;
    l->ttl = hlim;
    l->tos = (uint8_t)(vtf >> 20);
    l->csum = 0;
    l->reassembled = (uint8_t)reassembled;
    l->ip_df = 0;
    l->ip_id = ch.has_frag ? (uint16_t)ch.frag_id : 0;
    l->ip_len = (uint32_t)declared;
    l->l4_len = (uint32_t)(declared - ch.l4_at);
    l->tunnel = tun;
    if (ch.proto == IP6_ESP || ch.proto == IP6_NONE) {
        /* Nothing readable follows (RFC 4303 §2; RFC 8200 §4.7). */
        l->l4_ok = 0;
        l->sport = 0;
        l->dport = 0;
        l->payload = p + ch.l4_at;
        l->payload_len = l->l4_len;
        l->payload_caplen = (uint32_t)(present - ch.l4_at);
        return RS_DEC_OK;
    }
    return rs_dec_l4(x, l, p + ch.l4_at, present - ch.l4_at,
                     ch.has_final_dst ? ch.final_dst : NULL);
}

enum rs_decode_status
rs_dec_ip(struct rs_dec_ctx *x, struct rs_cur *c, enum rs_inner k, enum rs_tunnel_type tun)
{
    uint8_t b0;
    switch (k) {
    case RS_INNER_IP4:
        return ip4(x, c, tun, 0);
    case RS_INNER_IP6:
        return ip6(x, c, tun, 0);
    case RS_INNER_IP_GUESS:
        if (!rs_cur_peek_u8(c, 0, &b0))
            return RS_DEC_TRUNC_IP;
        if (b0 >> 4 == 4)
            return ip4(x, c, tun, 0);
        if (b0 >> 4 == 6)
            return ip6(x, c, tun, 0);
        return RS_DEC_BAD_IP_VERSION;
    case RS_INNER_ETHER:
    case RS_INNER_WLAN:
        break;
    }
    return RS_DEC_BAD_IP_VERSION;
}
