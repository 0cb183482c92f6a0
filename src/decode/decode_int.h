/*
 * decode_int.h - what the files of src/decode/ share and nobody else sees.
 *
 * A frame is decoded in one pass, outermost first:
 *
 *   link.c    link header(s) -> where the IP packet starts and its version
 *   ip.c      IPv4 / IPv6 (+ extension headers) -> one struct rs_layer
 *   frag.c    fragments are held until the datagram is whole, then ip.c
 *             decodes the reassembled copy as if it had arrived in one piece
 *   l4.c      TCP / UDP / ICMP / ICMPv6 / anything else, into the layer
 *   tunnel.c  looks at a finished layer: is its payload another frame?
 *   decoder.c drives the loop, owns the counters and the public API
 *
 * Every byte of the frame is read through the bounded cursor of
 * util/cursor.h; a length field can only shrink a cursor.
 */
#ifndef RS_DECODE_INT_H
#define RS_DECODE_INT_H

#include <rstscope/decode.h>

#include "util/cursor.h"

/* What a link or tunnel header says comes next. */
enum rs_inner {
    RS_INNER_IP4,
    RS_INNER_IP6,
    RS_INNER_IP_GUESS, /* raw IP: the version nibble decides */
    RS_INNER_ETHER,    /* an Ethernet frame (VXLAN, GRE 0x6558, ERSPAN, ...) */
    RS_INNER_WLAN,     /* an 802.11 frame (Aruba GRE) */
};

struct rs_frag_table;

/* Reassembled datagrams are written into a buffer per layer index, so an
 * outer reassembled layer is not overwritten by an inner one. */
#define RS_REASM_BUF_SIZE (65535u + 256u)

struct rs_decoder {
    struct rs_decode_config cfg;
    uint64_t counters[RS_DEC__COUNT];
    struct rs_frag_table *frag; /* allocated at the first fragment */
    uint8_t *reasm[RS_MAX_LAYERS];
};

/* State of one rs_decode call. */
struct rs_dec_ctx {
    struct rs_decoder *d;
    struct rs_decoded *out;
    rs_time_ns ts;
    unsigned depth; /* tunnels entered so far */
};

/* Replaces *c by its next min(n, left) bytes: a declared length never grows
 * what was captured. */
static inline void
rs_dec_shrink(struct rs_cur *c, size_t n)
{
    size_t left = rs_cur_left(c);
    struct rs_cur s = rs_cur_sub(c, n < left ? n : left);
    *c = s;
}

/* decoder.c: rs_decode without its fast path for Ethernet/IPv4/TCP|UDP
 * frames; the tests hold the two to the same result. */
enum rs_decode_status rs_decode_general(struct rs_decoder *d, const struct rs_packet *pkt,
                                        struct rs_decoded *out);

/* link.c */
enum rs_decode_status rs_dec_link(struct rs_dec_ctx *x, uint32_t linktype, struct rs_cur *c,
                                  enum rs_inner *k);
enum rs_decode_status rs_dec_ether(struct rs_dec_ctx *x, struct rs_cur *c, enum rs_inner *k);
enum rs_decode_status rs_dec_wlan(struct rs_dec_ctx *x, struct rs_cur *c, enum rs_inner *k);
enum rs_decode_status rs_dec_ppp(struct rs_cur *c, enum rs_inner *k);

/* ip.c: decode into out->layer[out->n_layers]; the caller counts it on OK. */
enum rs_decode_status rs_dec_ip(struct rs_dec_ctx *x, struct rs_cur *c, enum rs_inner k,
                                enum rs_tunnel_type tun);
/* Walks the IPv6 extension headers of an ICMPv6 quote from `nh`, *c just
 * after the fixed header: 0 with *proto set and *c at the upper-layer
 * header; 1 with *proto set when the quote is a non-first fragment (no
 * transport header); -1 if the chain is cut or malformed. */
int rs_dec_ip6_quote_chain(struct rs_cur *c, uint8_t nh, uint8_t *proto);

/* l4.c: fills the transport part of `l` (proto, addresses and l4_len, the
 * declared transport length, already set). `seg` holds the `cap` captured
 * transport bytes; `ph_dst` is the IPv6 pseudo-header destination when a
 * Routing header names another one (RFC 8200 §8.1), else NULL. */
enum rs_decode_status rs_dec_l4(struct rs_dec_ctx *x, struct rs_layer *l, const uint8_t *seg,
                                size_t cap, const uint8_t *ph_dst);

/* tunnel.c: is the payload of `l` another frame? On RS_DEC_OK with
 * *tun != RS_TUN_NONE, *c and *k describe the inner frame. */
enum rs_decode_status rs_dec_tunnel(const struct rs_layer *l, struct rs_cur *c, enum rs_inner *k,
                                    enum rs_tunnel_type *tun);

/* frag.c */
struct rs_frag_in {
    uint8_t family;
    uint8_t proto; /* part of the IPv4 key (RFC 791 §3.2); 0 for IPv6 */
    uint32_t id;
    struct rs_addr src, dst;
    uint32_t off;        /* fragment offset in bytes */
    int more;            /* MF / M flag */
    const uint8_t *data; /* fragment data, `len` bytes, fully captured */
    uint32_t len;
    /* The header part that the reassembled datagram starts with: the IPv4
     * header, or the IPv6 unfragmentable part. Used from offset 0 only. */
    const uint8_t *hdr;
    uint32_t hdr_len;
    uint32_t nh_at; /* IPv6: offset in hdr of the Next Header byte to patch */
    uint8_t nh;     /* IPv6: Next Header of the fragment header */
};

/* Returns RS_DEC_FRAG_HELD, RS_DEC_FRAG_DROPPED, or RS_DEC_OK with the whole
 * datagram (as an IP packet with the fragmentation removed) in *pkt and *len,
 * valid until the next rs_decode call. */
enum rs_decode_status rs_frag_add(struct rs_decoder *d, const struct rs_frag_in *in, rs_time_ns now,
                                  unsigned layer_idx, const uint8_t **pkt, size_t *len);
void rs_frag_free(struct rs_frag_table *ft);

#endif
