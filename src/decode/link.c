/*
 * link.c - link-layer headers, from the pcap LINKTYPE down to the IP header.
 *
 * Each function leaves the cursor at the start of the IP packet (or of an
 * inner frame) and says what it is. Stacked headers (VLAN tags, MPLS labels,
 * PPPoE, FabricPath, VN-Tag, PBB, LLC/SNAP) are followed by one loop with a
 * hard cap, so a frame made of nothing but VLAN tags costs a bounded amount.
 * Tunnelled Ethernet (VXLAN, GRE, ...) comes back through rs_dec_ether; only
 * the outermost frame sets the VLAN ids of struct rs_decoded.
 */
#include "decode/decode_int.h"

#define LINK_MAX_HOPS 16u   /* stacked link headers followed per frame */
#define MPLS_MAX_LABELS 16u /* label stack entries per MPLS header */
#define NFLOG_MAX_TLVS 64u

/* EtherTypes (IEEE Registration Authority). */
#define ET_IPV4 0x0800u
#define ET_IPV6 0x86ddu
#define ET_VLAN 0x8100u      /* IEEE 802.1Q C-tag */
#define ET_QINQ 0x88a8u      /* IEEE 802.1ad S-tag */
#define ET_QINQ_OLD1 0x9100u /* pre-802.1ad QinQ, still seen */
#define ET_QINQ_OLD2 0x9200u
#define ET_MPLS 0x8847u
#define ET_MPLS_MC 0x8848u
#define ET_PPPOE 0x8864u
#define ET_FABRICPATH 0x8903u
#define ET_VNTAG 0x8926u
#define ET_PBB 0x88e7u

/* AF_ values of BSD loopback headers, which differ between systems. */
#define BSD_AF_INET 2u
#define BSD_AF_INET6_NETBSD 24u /* also OpenBSD */
#define BSD_AF_INET6_FREEBSD 28u
#define BSD_AF_INET6_DARWIN 30u

/*
 * IEEE 802.2 LLC with SNAP (RFC 1042): DSAP AA, SSAP AA, UI (03), then an
 * OUI and an EtherType. Only the EtherType OUIs (00-00-00, and 00-00-F8 of
 * 802.1H bridge tunnelling) carry IP.
 */
static enum rs_decode_status
llc_snap(struct rs_cur *c, uint16_t *type)
{
    uint8_t dsap = rs_cur_u8(c);
    uint8_t ssap = rs_cur_u8(c);
    uint8_t ctl = rs_cur_u8(c);
    if (c->err)
        return RS_DEC_TRUNC_LINK;
    if (dsap != 0xaa || ssap != 0xaa || ctl != 0x03)
        return RS_DEC_NOT_IP; /* STP, NetBIOS, IPX, ... */
    uint8_t o0 = rs_cur_u8(c), o1 = rs_cur_u8(c), o2 = rs_cur_u8(c);
    *type = rs_cur_be16(c);
    if (c->err)
        return RS_DEC_TRUNC_LINK;
    if (o0 != 0 || o1 != 0 || (o2 != 0 && o2 != 0xf8))
        return RS_DEC_NOT_IP; /* CDP, VTP, ... */
    return RS_DEC_OK;
}

/*
 * RFC 1661 §2: the PPP Protocol field; with protocol-field compression
 * (§6.5) it is one byte, recognisable by its low bit being set. HDLC-like
 * framing (RFC 1662 §3.1) may put address FF and control 03 first.
 * MPLS over PPP (RFC 3032 §4.3: 0x0281/0x0283) is not followed here.
 */
enum rs_decode_status
rs_dec_ppp(struct rs_cur *c, enum rs_inner *k)
{
    uint8_t b0 = 0, b1 = 0;
    if (rs_cur_peek_u8(c, 0, &b0) && b0 == 0xff && rs_cur_peek_u8(c, 1, &b1) && b1 == 0x03)
        rs_cur_skip(c, 2);
    uint16_t proto = rs_cur_u8(c);
    if (!(proto & 1u))
        proto = (uint16_t)(proto << 8 | rs_cur_u8(c));
    if (c->err)
        return RS_DEC_TRUNC_LINK;
    switch (proto) {
    case 0x0021:
        *k = RS_INNER_IP4;
        return RS_DEC_OK;
    case 0x0057:
        *k = RS_INNER_IP6;
        return RS_DEC_OK;
    default:
        return RS_DEC_NOT_IP; /* LCP, IPCP, CCP, compressed data, ... */
    }
}

/* Follows EtherType-selected headers until an IP header. */
static enum rs_decode_status
ethertype(struct rs_dec_ctx *x, struct rs_cur *c, uint16_t type, enum rs_inner *k)
{
    unsigned ntags = 0;
    for (unsigned hop = 0; hop < LINK_MAX_HOPS; hop++) {
        if (c->err)
            return RS_DEC_TRUNC_LINK;
        switch (type) {
        case ET_IPV4:
            *k = RS_INNER_IP4;
            return RS_DEC_OK;
        case ET_IPV6:
            *k = RS_INNER_IP6;
            return RS_DEC_OK;
        case ET_VLAN:
        case ET_QINQ:
        case ET_QINQ_OLD1:
        case ET_QINQ_OLD2: {
            /* IEEE 802.1Q §9.6: TCI (PCP 3, DEI 1, VID 12), then the next type. */
            uint16_t tci = rs_cur_be16(c);
            type = rs_cur_be16(c);
            if (c->err)
                return RS_DEC_TRUNC_LINK;
            if (x->depth == 0) {
                if (ntags == 0)
                    x->out->vlan = tci & 0x0fffu;
                else if (ntags == 1)
                    x->out->inner_vlan = tci & 0x0fffu;
            }
            ntags++;
            break;
        }
        case ET_MPLS:
        case ET_MPLS_MC: {
            /* RFC 3032 §2.1: 4-byte entries until the bottom-of-stack bit. */
            uint32_t e = 0;
            unsigned n = 0;
            do
                e = rs_cur_be32(c);
            while (!c->err && !(e & 0x100u) && ++n < MPLS_MAX_LABELS);
            if (c->err)
                return RS_DEC_TRUNC_LINK;
            if (!(e & 0x100u))
                return RS_DEC_BAD_LINK;
            /* RFC 3032 §2.2: the payload type is not in the stack; look at it. */
            uint8_t b;
            if (!rs_cur_peek_u8(c, 0, &b))
                return RS_DEC_TRUNC_LINK;
            if (b >> 4 == 4) {
                *k = RS_INNER_IP4;
                return RS_DEC_OK;
            }
            if (b >> 4 == 6) {
                *k = RS_INNER_IP6;
                return RS_DEC_OK;
            }
            if (b >> 4 != 0)
                return RS_DEC_NOT_IP;
            /* RFC 4385 §3: a PW control word (first nibble 0), then an
             * Ethernet frame (RFC 4448 §3). */
            rs_cur_skip(c, 4 + 12);
            type = rs_cur_be16(c);
            break;
        }
        case ET_PPPOE: {
            /* RFC 2516 §4: VER 1, TYPE 1, CODE 0 (session data), SESSION_ID,
             * LENGTH of the PPP payload, which bounds what follows. */
            uint8_t vt = rs_cur_u8(c);
            uint8_t code = rs_cur_u8(c);
            rs_cur_skip(c, 2);
            uint16_t len = rs_cur_be16(c);
            if (c->err)
                return RS_DEC_TRUNC_LINK;
            if (vt != 0x11 || code != 0 || len < 2)
                return RS_DEC_BAD_LINK;
            rs_dec_shrink(c, len);
            return rs_dec_ppp(c, k);
        }
        case ET_FABRICPATH:
            /* Cisco FabricPath: the 16-byte outer header ends with FTag/TTL;
             * the original Ethernet frame follows. */
            rs_cur_skip(c, 2 + 12);
            type = rs_cur_be16(c);
            break;
        case ET_VNTAG:
            /* Cisco VN-Tag (IEEE 802.1Qbh draft): 4-byte tag, then a type. */
            rs_cur_skip(c, 4);
            type = rs_cur_be16(c);
            break;
        case ET_PBB:
            /* IEEE 802.1ah §9.7: I-TAG (4 bytes), then the customer frame. */
            rs_cur_skip(c, 4 + 12);
            type = rs_cur_be16(c);
            break;
        default:
            if (type > 1500)
                return RS_DEC_NOT_IP; /* ARP, LLDP, PPPoE discovery, ... */
            /* IEEE 802.3 §3.2.6: a length, not a type: LLC follows, and the
             * length bounds it (drops the padding). */
            rs_dec_shrink(c, type);
            enum rs_decode_status st = llc_snap(c, &type);
            if (st != RS_DEC_OK)
                return st;
            break;
        }
    }
    return RS_DEC_BAD_LINK;
}

/* IEEE 802.3 §3.1.1: destination, source, EtherType/length. */
enum rs_decode_status
rs_dec_ether(struct rs_dec_ctx *x, struct rs_cur *c, enum rs_inner *k)
{
    rs_cur_skip(c, 12);
    uint16_t type = rs_cur_be16(c);
    if (c->err)
        return RS_DEC_TRUNC_LINK;
    return ethertype(x, c, type, k);
}

/*
 * IEEE 802.11-2020 §9.3.2.1 data frames. Management and control frames,
 * frames without data (Null, QoS Null) and protected frames carry nothing
 * we can read. The payload starts with LLC/SNAP (RFC 1042).
 */
enum rs_decode_status
rs_dec_wlan(struct rs_dec_ctx *x, struct rs_cur *c, enum rs_inner *k)
{
    /* §9.2.4.1: Frame Control, little-endian. */
    uint16_t fc = rs_cur_le16(c);
    if (c->err)
        return RS_DEC_TRUNC_LINK;
    unsigned ftype = (fc >> 2) & 3u, subtype = (fc >> 4) & 0xfu, flags = fc >> 8;
    if (ftype != 2 || (subtype & 0x4u) || (flags & 0x40u))
        return RS_DEC_NOT_IP;
    /* Duration, Address 1-3, Sequence Control. */
    rs_cur_skip(c, 2 + 6 + 6 + 6 + 2);
    if ((flags & 0x03u) == 0x03u)
        rs_cur_skip(c, 6); /* To DS and From DS: Address 4 */
    int amsdu = 0;
    if (subtype & 0x8u) {
        /* §9.2.4.5: QoS Control; bit 7 = A-MSDU present. */
        uint16_t qos = rs_cur_le16(c);
        amsdu = (qos & 0x80u) != 0;
        if (flags & 0x80u)
            rs_cur_skip(c, 4); /* +HTC (§9.2.4.6) */
    }
    if (amsdu)
        rs_cur_skip(c, 14); /* §9.3.2.2.2: first subframe's DA, SA, Length */
    if (c->err)
        return RS_DEC_TRUNC_LINK;
    uint16_t type;
    enum rs_decode_status st = llc_snap(c, &type);
    if (st != RS_DEC_OK)
        return st;
    return ethertype(x, c, type, k);
}

/* Maps a BSD loopback AF_ value; unknown families are not IP. */
static enum rs_decode_status
bsd_af(uint32_t af, enum rs_inner *k)
{
    switch (af) {
    case BSD_AF_INET:
        *k = RS_INNER_IP4;
        return RS_DEC_OK;
    case BSD_AF_INET6_NETBSD:
    case BSD_AF_INET6_FREEBSD:
    case BSD_AF_INET6_DARWIN:
        *k = RS_INNER_IP6;
        return RS_DEC_OK;
    default:
        return RS_DEC_NOT_IP;
    }
}

/* LINKTYPE_LINUX_SLL (16 bytes) and LINKTYPE_LINUX_SLL2 (20 bytes). */
static enum rs_decode_status
linux_sll(struct rs_dec_ctx *x, struct rs_cur *c, int v2, enum rs_inner *k)
{
    uint16_t hatype, proto;
    if (v2) {
        proto = rs_cur_be16(c);
        rs_cur_skip(c, 2 + 4); /* reserved, interface index */
        hatype = rs_cur_be16(c);
        rs_cur_skip(c, 1 + 1 + 8); /* packet type, address length, address */
    } else {
        rs_cur_skip(c, 2); /* packet type */
        hatype = rs_cur_be16(c);
        rs_cur_skip(c, 2 + 8); /* address length, address */
        proto = rs_cur_be16(c);
    }
    if (c->err)
        return RS_DEC_TRUNC_LINK;
    if (hatype == 824) /* ARPHRD_NETLINK: protocol is a netlink family */
        return RS_DEC_NOT_IP;
    if (proto == 0x0004) { /* ETH_P_802_2: an LLC header follows */
        enum rs_decode_status st = llc_snap(c, &proto);
        if (st != RS_DEC_OK)
            return st;
    } else if (proto <= 1500) {
        return RS_DEC_NOT_IP; /* ETH_P_802_3 (Novell raw), CAN, ... */
    }
    return ethertype(x, c, proto, k);
}

/* Cisco HDLC: address, control, EtherType. */
static enum rs_decode_status
c_hdlc(struct rs_dec_ctx *x, struct rs_cur *c, enum rs_inner *k)
{
    rs_cur_skip(c, 2);
    uint16_t type = rs_cur_be16(c);
    if (c->err)
        return RS_DEC_TRUNC_LINK;
    return ethertype(x, c, type, k);
}

/*
 * LINKTYPE_NFLOG: family, version, resource id, then TLVs whose length
 * (little-endian here, host order of the capturing machine) includes the
 * 4-byte TLV header and which are padded to 4 bytes. NFULA_PAYLOAD (9)
 * holds the IP packet.
 */
static enum rs_decode_status
nflog(struct rs_cur *c, enum rs_inner *k)
{
    uint8_t family = rs_cur_u8(c);
    rs_cur_skip(c, 3);
    if (c->err)
        return RS_DEC_TRUNC_LINK;
    for (unsigned i = 0; i < NFLOG_MAX_TLVS && rs_cur_left(c) > 0; i++) {
        uint16_t tlen = rs_cur_le16(c);
        uint16_t ttype = rs_cur_le16(c);
        if (c->err)
            return RS_DEC_TRUNC_LINK;
        if (tlen < 4)
            return RS_DEC_BAD_LINK;
        if (ttype == 9) {
            rs_dec_shrink(c, (size_t)tlen - 4);
            if (family == 2)
                *k = RS_INNER_IP4;
            else if (family == 10)
                *k = RS_INNER_IP6;
            else
                return RS_DEC_NOT_IP;
            return RS_DEC_OK;
        }
        size_t padded = ((size_t)tlen + 3u) & ~(size_t)3u;
        size_t left = rs_cur_left(c);
        if (padded - 4 > left) {
            /* The padding of the last TLV may be absent. */
            if (tlen - 4u > left)
                return RS_DEC_TRUNC_LINK;
            padded = (size_t)tlen;
        }
        rs_cur_skip(c, padded - 4);
    }
    return rs_cur_left(c) > 0 ? RS_DEC_BAD_LINK : RS_DEC_NOT_IP;
}

enum rs_decode_status
rs_dec_link(struct rs_dec_ctx *x, uint32_t linktype, struct rs_cur *c, enum rs_inner *k)
{
    switch (linktype) {
    case RS_LINK_ETHERNET:
        return rs_dec_ether(x, c, k);

    case RS_LINK_RAW:
    case RS_LINK_RAW_OLD:
    case RS_LINK_RAW_OLD2:
        *k = RS_INNER_IP_GUESS;
        return RS_DEC_OK;
    case RS_LINK_IPV4:
        *k = RS_INNER_IP4;
        return RS_DEC_OK;
    case RS_LINK_IPV6:
        *k = RS_INNER_IP6;
        return RS_DEC_OK;

    case RS_LINK_NULL: {
        /* 4-byte AF_ in the capturing host's byte order: AF values are
         * small, so a value with high bits set was written the other way. */
        uint32_t af = rs_cur_be32(c);
        if (c->err)
            return RS_DEC_TRUNC_LINK;
        if (af > 0xffffu)
            af = (af >> 24) | ((af >> 8) & 0xff00u) | ((af << 8) & 0xff0000u) | (af << 24);
        return bsd_af(af, k);
    }
    case RS_LINK_LOOP: {
        uint32_t af = rs_cur_be32(c); /* network byte order */
        if (c->err)
            return RS_DEC_TRUNC_LINK;
        return bsd_af(af, k);
    }

    case RS_LINK_PPP:
        return rs_dec_ppp(c, k);
    case RS_LINK_PPP_HDLC: {
        /* PPP_SERIAL may also carry Cisco HDLC (address 0x0f or 0x8f). */
        uint8_t a;
        if (!rs_cur_peek_u8(c, 0, &a))
            return RS_DEC_TRUNC_LINK;
        if (a == 0x0f || a == 0x8f)
            return c_hdlc(x, c, k);
        return rs_dec_ppp(c, k);
    }
    case RS_LINK_C_HDLC:
        return c_hdlc(x, c, k);
    case RS_LINK_PPP_ETHER:
        return ethertype(x, c, ET_PPPOE, k);

    case RS_LINK_FDDI: {
        /* ANSI X3.139: frame control, destination, source; then LLC. */
        rs_cur_skip(c, 13);
        uint16_t type;
        enum rs_decode_status st = llc_snap(c, &type);
        if (st != RS_DEC_OK)
            return st;
        return ethertype(x, c, type, k);
    }

    case RS_LINK_LINUX_SLL:
        return linux_sll(x, c, 0, k);
    case RS_LINK_LINUX_SLL2:
        return linux_sll(x, c, 1, k);

    case RS_LINK_IEEE802_11:
        return rs_dec_wlan(x, c, k);
    case RS_LINK_IEEE802_11_RADIOTAP: {
        /* Radiotap: version 0, pad, it_len (LE) covering the whole header. */
        uint8_t ver = rs_cur_u8(c);
        rs_cur_skip(c, 1);
        uint16_t len = rs_cur_le16(c);
        if (c->err)
            return RS_DEC_TRUNC_LINK;
        if (ver != 0 || len < 8)
            return RS_DEC_BAD_LINK;
        rs_cur_skip(c, (size_t)len - 4);
        if (c->err)
            return RS_DEC_TRUNC_LINK;
        return rs_dec_wlan(x, c, k);
    }
    case RS_LINK_PPI: {
        /* PPI: version, flags, pph_len (LE), pph_dlt (LE32). */
        rs_cur_skip(c, 2);
        uint16_t len = rs_cur_le16(c);
        uint32_t dlt = rs_cur_le32(c);
        if (c->err)
            return RS_DEC_TRUNC_LINK;
        if (len < 8)
            return RS_DEC_BAD_LINK;
        rs_cur_skip(c, (size_t)len - 8);
        if (c->err)
            return RS_DEC_TRUNC_LINK;
        if (dlt == RS_LINK_IEEE802_11)
            return rs_dec_wlan(x, c, k);
        if (dlt == RS_LINK_ETHERNET)
            return rs_dec_ether(x, c, k);
        return RS_DEC_UNKNOWN_LINKTYPE;
    }
    case RS_LINK_NFLOG:
        return nflog(c, k);

    default:
        return RS_DEC_UNKNOWN_LINKTYPE;
    }
}
