/*
 * tunnel.c - is a layer's payload another frame? The tunnels Zeek
 * decapsulates: IP-in-IP, GRE (incl. PPTP, ERSPAN I/II/III, Aruba), GRE in
 * UDP, VXLAN, Geneve, Teredo, AYIYA and GTPv1-U.
 *
 * UDP tunnels are recognised by port, on either side: Zeek decides by the
 * responder's port, which a decoder without connection state cannot know,
 * so the destination port is tried first, then the source port of a
 * datagram sent to a non-service port (a reply). Teredo and AYIYA are also
 * recognised by content on any port (as Zeek's protocol detection does),
 * with checks strict enough that ordinary UDP payloads do not pass.
 *
 * A header that says "not tunnelled traffic" (a GTP control message, an
 * AYIYA non-forward opcode, a Teredo look-alike) leaves the UDP layer as the
 * innermost one; a tunnel header that is cut or malformed is BAD_TUNNEL.
 */
#include "decode/decode_int.h"

#define PORT_VXLAN 4789u   /* RFC 7348 §5 */
#define PORT_GENEVE 6081u  /* RFC 8926 §3.3 */
#define PORT_TEREDO 3544u  /* RFC 4380 §4 */
#define PORT_AYIYA 5072u   /* draft-massar-v6ops-ayiya */
#define PORT_GTP_U 2152u   /* 3GPP TS 29.281 §4.4.2.3 */
#define PORT_GRE_UDP 4754u /* RFC 8086 §3 */

#define GTP_MAX_EXT 16u

enum udp_tun { UT_NONE, UT_VXLAN, UT_GENEVE, UT_TEREDO, UT_AYIYA, UT_GTP, UT_GRE };

static enum udp_tun
udp_tun_port(uint16_t port)
{
    switch (port) {
    case PORT_VXLAN:
        return UT_VXLAN;
    case PORT_GENEVE:
        return UT_GENEVE;
    case PORT_TEREDO:
        return UT_TEREDO;
    case PORT_AYIYA:
        return UT_AYIYA;
    case PORT_GTP_U:
        return UT_GTP;
    case PORT_GRE_UDP:
        return UT_GRE;
    default:
        return UT_NONE;
    }
}

/* Inner frame selected by an EtherType-like protocol field. */
static enum rs_decode_status
by_ethertype(uint16_t type, enum rs_inner *k)
{
    switch (type) {
    case 0x0800:
        *k = RS_INNER_IP4;
        return RS_DEC_OK;
    case 0x86dd:
        *k = RS_INNER_IP6;
        return RS_DEC_OK;
    case 0x6558: /* Transparent Ethernet Bridging */
        *k = RS_INNER_ETHER;
        return RS_DEC_OK;
    default:
        return RS_DEC_NOT_IP;
    }
}

/*
 * GRE: RFC 2784 §2 (C bit, version 0), RFC 2890 §2 (K and S bits),
 * RFC 2637 §4.1 (version 1, PPTP enhanced GRE: K required, A bit, PPP
 * payload). Routing (RFC 1701) is deprecated and, like Zeek, not followed.
 */
static enum rs_decode_status
gre(struct rs_cur *c, enum rs_inner *k)
{
    uint16_t fv = rs_cur_be16(c);
    uint16_t ptype = rs_cur_be16(c);
    if (c->err)
        return RS_DEC_BAD_TUNNEL;
    unsigned ver = fv & 0x7u;
    if (ver > 1 || (fv & 0x4000u) || (fv & 0x0078u))
        return RS_DEC_BAD_TUNNEL; /* unknown version, routing, reserved flags */
    size_t opt = 0;
    opt += (fv & 0x8000u) ? 4 : 0; /* Checksum + Reserved1 */
    opt += (fv & 0x2000u) ? 4 : 0; /* Key (PPTP: payload length + call id) */
    opt += (fv & 0x1000u) ? 4 : 0; /* Sequence Number */
    opt += (fv & 0x0080u) ? 4 : 0; /* PPTP Acknowledgment Number */
    rs_cur_skip(c, opt);
    if (c->err)
        return RS_DEC_BAD_TUNNEL;

    if (ver == 1) {
        if (ptype != 0x880b || !(fv & 0x2000u))
            return RS_DEC_BAD_TUNNEL;
        enum rs_decode_status st = rs_dec_ppp(c, k);
        return st == RS_DEC_TRUNC_LINK ? RS_DEC_BAD_TUNNEL : st;
    }
    switch (ptype) {
    case 0x88be:
        /* ERSPAN (draft-foschiano-erspan-03 §4.1): type I has no header
         * and no GRE sequence number; type II has both, 8 bytes. */
        if (fv & 0x1000u)
            rs_cur_skip(c, 8);
        *k = RS_INNER_ETHER;
        break;
    case 0x22eb: {
        /* ERSPAN type III (§4.2): 12 bytes; the O flag (last bit) adds an
         * 8-byte platform-specific subheader. */
        uint8_t b11 = 0;
        rs_cur_peek_u8(c, 11, &b11);
        rs_cur_skip(c, 12 + ((b11 & 1u) ? 8 : 0));
        *k = RS_INNER_ETHER;
        break;
    }
    default:
        /* Aruba access points send 802.11 frames with these types (the
         * set Zeek registers). */
        if ((ptype >= 0x8200u && ptype <= 0x8370u && (ptype & 0x000fu) == 0) || ptype == 0x9000u) {
            *k = RS_INNER_WLAN;
            break;
        }
        return by_ethertype(ptype, k);
    }
    return c->err ? RS_DEC_BAD_TUNNEL : RS_DEC_OK;
}

/* Geneve, RFC 8926 §3.4: Ver (2) | Opt Len (6, 4-byte units) | O | C |
 * Rsvd | Protocol Type | VNI | Reserved, then the options. */
static enum rs_decode_status
geneve(struct rs_cur *c, enum rs_inner *k)
{
    uint8_t b0 = rs_cur_u8(c);
    rs_cur_skip(c, 1);
    uint16_t ptype = rs_cur_be16(c);
    rs_cur_skip(c, 4);
    if (c->err || b0 >> 6 != 0)
        return RS_DEC_BAD_TUNNEL;
    rs_cur_skip(c, (size_t)(b0 & 0x3fu) * 4);
    if (c->err || rs_cur_left(c) == 0)
        return RS_DEC_BAD_TUNNEL;
    return by_ethertype(ptype, k);
}

/*
 * GTPv1-U, 3GPP TS 29.281 §5.1: Version 1, PT 1, E/S/PN flags, Message
 * Type, Length (after the first 8 bytes), TEID; with any flag, Sequence
 * Number, N-PDU Number and Next Extension Header Type; extension headers
 * (§5.2) carry their length in 4-byte units. Only G-PDU (255) carries user
 * packets; echo and error indications stay UDP.
 */
static enum rs_decode_status
gtp(struct rs_cur *c, enum rs_inner *k, int *is_tunnel)
{
    uint8_t flags = rs_cur_u8(c);
    uint8_t type = rs_cur_u8(c);
    uint16_t len = rs_cur_be16(c);
    rs_cur_skip(c, 4);
    if (c->err)
        return RS_DEC_BAD_TUNNEL;
    if (flags >> 5 != 1 || !(flags & 0x10u) || type != 0xff)
        return RS_DEC_OK;
    *is_tunnel = 1;
    rs_dec_shrink(c, len);
    if (flags & 0x07u) {
        rs_cur_skip(c, 3);
        uint8_t next = rs_cur_u8(c);
        for (unsigned i = 0; (flags & 0x04u) && next != 0 && i < GTP_MAX_EXT; i++) {
            uint8_t elen = rs_cur_u8(c);
            if (elen == 0)
                return RS_DEC_BAD_TUNNEL;
            rs_cur_skip(c, (size_t)elen * 4 - 2);
            next = rs_cur_u8(c);
        }
        if ((flags & 0x04u) && next != 0)
            return RS_DEC_BAD_TUNNEL;
    }
    uint8_t b0;
    if (c->err || !rs_cur_peek_u8(c, 0, &b0))
        return RS_DEC_BAD_TUNNEL;
    if (b0 >> 4 == 4)
        *k = RS_INNER_IP4;
    else if (b0 >> 4 == 6)
        *k = RS_INNER_IP6;
    else
        return RS_DEC_BAD_TUNNEL;
    return RS_DEC_OK;
}

/*
 * Teredo, RFC 4380 §5.1.1: an optional authentication indicator (0x0001,
 * client id and auth lengths, nonce, confirmation), an optional origin
 * indication (0x0000, 8 bytes), then an IPv6 packet. Like Zeek, it is only
 * a tunnel if the IPv6 header fills the datagram exactly (a bubble, No Next
 * Header with payload length 0, may have trailing bytes). `declared` is
 * the UDP payload length.
 */
static int
teredo(struct rs_cur *c, size_t declared)
{
    int auth = 0, origin = 0;
    for (unsigned i = 0; i < 2; i++) {
        uint8_t b0 = 0xff, b1 = 0xff;
        rs_cur_peek_u8(c, 0, &b0);
        rs_cur_peek_u8(c, 1, &b1);
        if (b0 != 0 || b1 > 1)
            break;
        if (b1 == 1) {
            if (auth || origin)
                return 0;
            rs_cur_skip(c, 2);
            uint8_t id_len = rs_cur_u8(c);
            uint8_t au_len = rs_cur_u8(c);
            rs_cur_skip(c, (size_t)id_len + au_len + 8 + 1);
            auth = 1;
        } else {
            if (origin)
                return 0;
            rs_cur_skip(c, 8);
            origin = 1;
        }
        if (c->err)
            return 0;
    }
    if (rs_cur_left(c) < 40 || declared < c->off)
        return 0;
    struct rs_cur h = rs_cur_make(rs_cur_ptr(c), rs_cur_left(c));
    uint8_t b0 = rs_cur_u8(&h);
    rs_cur_skip(&h, 3);
    size_t plen = rs_cur_be16(&h);
    uint8_t nh = rs_cur_u8(&h);
    if (h.err || b0 >> 4 != 6)
        return 0;
    size_t rest = declared - c->off;
    if (40 + plen == rest)
        return 1;
    return 40 + plen < rest && plen == 0 && nh == 59;
}

/* Content test for Teredo off its port (Zeek's dpd_teredo): an IPv6
 * header whose source or destination is in 2001:0000::/32, or one of the
 * indicators. The full check in teredo() still applies. */
static int
teredo_lookalike(const struct rs_cur *c)
{
    uint8_t b0, b1;
    if (!rs_cur_peek_u8(c, 0, &b0) || !rs_cur_peek_u8(c, 1, &b1))
        return 0;
    if (b0 == 0 && b1 <= 1)
        return 1;
    if (b0 >> 4 != 6 || rs_cur_left(c) < 40)
        return 0;
    for (size_t at = 8; at <= 24; at += 16) {
        uint8_t a[4];
        for (size_t i = 0; i < 4; i++)
            rs_cur_peek_u8(c, at + i, &a[i]);
        if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0 && a[3] == 0)
            return 1;
    }
    return 0;
}

/* AYIYA (draft-massar-v6ops-ayiya-02 §4): identity length (2^n bytes) and
 * type, signature length (n*4 bytes) and hash, auth method and opcode,
 * next header, epoch; identity and signature follow. */
static enum rs_decode_status
ayiya(struct rs_cur *c, enum rs_inner *k, int *is_tunnel)
{
    uint8_t b0 = rs_cur_u8(c);
    uint8_t b1 = rs_cur_u8(c);
    uint8_t b2 = rs_cur_u8(c);
    uint8_t nh = rs_cur_u8(c);
    rs_cur_skip(c, 4);
    rs_cur_skip(c, ((size_t)1 << (b0 >> 4)) + (size_t)(b1 >> 4) * 4);
    if (c->err)
        return RS_DEC_BAD_TUNNEL;
    if ((b2 & 0x0fu) != 1)
        return RS_DEC_OK; /* only opcode 1 (forward) carries packets */
    *is_tunnel = 1;
    if (rs_cur_left(c) == 0)
        return RS_DEC_BAD_TUNNEL;
    if (nh == 4)
        *k = RS_INNER_IP4;
    else if (nh == 41)
        *k = RS_INNER_IP6;
    else
        return RS_DEC_NOT_IP;
    return RS_DEC_OK;
}

static enum rs_decode_status
udp_tunnel(const struct rs_layer *l, struct rs_cur *p, enum rs_inner *k, enum rs_tunnel_type *tun)
{
    /* A reply comes from the tunnel port to an ephemeral one; a client that
     * happens to use a tunnel port as its source talks to a service port. */
    enum udp_tun ut = udp_tun_port(l->dport);
    if (ut == UT_NONE && l->dport >= 1024)
        ut = udp_tun_port(l->sport);
    enum rs_decode_status st = RS_DEC_OK;
    int is_tunnel = 0;
    switch (ut) {
    case UT_VXLAN:
        /* RFC 7348 §5: flags, reserved, VNI, reserved; Ethernet follows. */
        rs_cur_skip(p, 8);
        if (p->err)
            return RS_DEC_BAD_TUNNEL;
        *k = RS_INNER_ETHER;
        *tun = RS_TUN_VXLAN;
        return RS_DEC_OK;
    case UT_GENEVE:
        st = geneve(p, k);
        *tun = RS_TUN_GENEVE;
        return st;
    case UT_GRE:
        /* RFC 8086 §3: the UDP payload is a GRE header and its payload. */
        st = gre(p, k);
        *tun = RS_TUN_GRE;
        return st;
    case UT_GTP:
        st = gtp(p, k, &is_tunnel);
        if (is_tunnel)
            *tun = RS_TUN_GTPV1;
        return st;
    case UT_AYIYA:
        st = ayiya(p, k, &is_tunnel);
        if (is_tunnel)
            *tun = RS_TUN_AYIYA;
        return st;
    case UT_TEREDO:
    case UT_NONE:
        break;
    }
    /* Content-recognised tunnels (Zeek's dpd_ayiya / dpd_teredo). */
    uint8_t b1 = 0, b2 = 0;
    if (ut == UT_NONE && rs_cur_peek_u8(p, 1, &b1) && rs_cur_peek_u8(p, 2, &b2) && b1 == 0x52 &&
        b2 == 0x11) {
        struct rs_cur a = *p;
        st = ayiya(&a, k, &is_tunnel);
        if (is_tunnel && st == RS_DEC_OK) {
            *p = a;
            *tun = RS_TUN_AYIYA;
        }
        return RS_DEC_OK;
    }
    if (ut == UT_TEREDO || teredo_lookalike(p)) {
        struct rs_cur t = *p;
        if (teredo(&t, l->payload_len)) {
            *p = t;
            *k = RS_INNER_IP6;
            *tun = RS_TUN_TEREDO;
        }
    }
    return RS_DEC_OK;
}

enum rs_decode_status
rs_dec_tunnel(const struct rs_layer *l, struct rs_cur *c, enum rs_inner *k,
              enum rs_tunnel_type *tun)
{
    *tun = RS_TUN_NONE;
    if (!l->l4_ok)
        return RS_DEC_OK;
    struct rs_cur p = rs_cur_make(l->payload, l->payload_caplen);
    enum rs_decode_status st = RS_DEC_OK;
    switch (l->proto) {
    case 4: /* RFC 2003 */
        *k = RS_INNER_IP4;
        *tun = RS_TUN_IP;
        break;
    case 41: /* RFC 4213 §3.5 (6in4), RFC 2473 (IPv6 in IPv6) */
        *k = RS_INNER_IP6;
        *tun = RS_TUN_IP;
        break;
    case 47:
        *tun = RS_TUN_GRE;
        st = gre(&p, k);
        break;
    case 17:
        st = udp_tunnel(l, &p, k, tun);
        break;
    default:
        return RS_DEC_OK;
    }
    *c = p;
    return st;
}
