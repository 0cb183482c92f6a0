/*
 * l4.c - transport headers: TCP (RFC 9293), UDP (RFC 768), ICMP (RFC 792)
 * and ICMPv6 (RFC 4443); any other protocol is kept as opaque payload.
 *
 * `l4_len` is what the IP header declares, the cursor what was captured.
 * A header cut by the snaplen is TRUNC_L4; a header that does not fit its
 * own declared segment is malformed. Checksums are verified only when asked
 * and only over a segment captured whole: a snaplen-cut segment proves
 * nothing either way.
 */
#include "decode/decode_int.h"

#define PROTO_ICMP 1u
#define PROTO_TCP 6u
#define PROTO_UDP 17u
#define PROTO_ICMP6 58u
#define PROTO_SCTP 132u
#define PROTO_UDPLITE 136u

/* RFC 9293 §3.1 (v4), RFC 8200 §8.1 (v6): the pseudo-header, as a partial
 * sum for rs_inet_checksum. */
static uint32_t
pseudo_sum(const struct rs_layer *l, const uint8_t *ph_dst, uint32_t len)
{
    uint32_t s = 0;
    const uint8_t *src = l->src.b, *dst = ph_dst ? ph_dst : l->dst.b;
    size_t from = l->family == 4 ? 12 : 0;
    for (size_t i = from; i < 16; i += 2)
        s += (uint32_t)src[i] << 8 | src[i + 1];
    for (size_t i = from; i < 16; i += 2)
        s += (uint32_t)dst[i] << 8 | dst[i + 1];
    return s + l->proto + (len >> 16) + (len & 0xffffu);
}

static void
verify_l4(struct rs_dec_ctx *x, struct rs_layer *l, const uint8_t *seg, uint32_t len,
          uint32_t initial)
{
    if (rs_inet_checksum(seg, len, initial) != 0) {
        l->csum |= RS_CSUM_L4_BAD;
        x->d->counters[RS_DEC_BAD_L4_CHECKSUM]++;
    }
}

/*
 * RFC 9293 §3.1 options: EOL, NOP, MSS (RFC 9293 §3.7.1), Window Scale and
 * Timestamps (RFC 7323 §2.2, §3.2), SACK-permitted and SACK (RFC 2018).
 * `o` holds the captured option bytes, `declared` the header's. An option
 * whose length is impossible ends the parse and marks the header; one cut
 * by the snaplen just ends it.
 */
static void
tcp_options(struct rs_tcp_info *tc, struct rs_cur o, size_t declared)
{
    for (unsigned i = 0; i < 40 && rs_cur_left(&o) > 0; i++) {
        size_t start = o.off;
        uint8_t kind = rs_cur_u8(&o);
        if (kind == 0)
            return; /* End of Option List */
        if (kind == 1)
            continue; /* No-Operation */
        uint8_t len = 0;
        if (!rs_cur_peek_u8(&o, 0, &len)) {
            tc->opts_malformed = start + 2 > declared;
            return;
        }
        rs_cur_skip(&o, 1);
        if (len < 2) {
            tc->opts_malformed = 1;
            return;
        }
        if ((size_t)len - 2 > rs_cur_left(&o)) {
            tc->opts_malformed = start + len > declared;
            return;
        }
        struct rs_cur v = rs_cur_sub(&o, (size_t)len - 2);
        switch (kind) {
        case 2:
            if (len != 4)
                goto bad;
            tc->has_mss = 1;
            tc->mss = rs_cur_be16(&v);
            break;
        case 3:
            if (len != 3)
                goto bad;
            tc->has_wscale = 1;
            tc->wscale = rs_cur_u8(&v);
            break;
        case 4:
            if (len != 2)
                goto bad;
            tc->sack_permitted = 1;
            break;
        case 5:
            if (len < 10 || (len - 2) % 8 != 0)
                goto bad;
            for (unsigned b = 0; b < 4 && rs_cur_left(&v) >= 8; b++) {
                tc->sack[b][0] = rs_cur_be32(&v);
                tc->sack[b][1] = rs_cur_be32(&v);
                tc->n_sack = (uint8_t)(b + 1);
            }
            break;
        case 8:
            if (len != 10)
                goto bad;
            tc->has_ts = 1;
            tc->tsval = rs_cur_be32(&v);
            tc->tsecr = rs_cur_be32(&v);
            break;
        default:
            break;
        }
    }
    return;
bad:
    tc->opts_malformed = 1;
}

static enum rs_decode_status
tcp(struct rs_dec_ctx *x, struct rs_layer *l, const uint8_t *seg, size_t cap, const uint8_t *ph_dst)
{
    uint32_t l4_len = l->l4_len;
    struct rs_cur t = rs_cur_make(seg, cap);
    struct rs_tcp_info *tc = &l->u.tcp;
    if (l4_len < 20 || cap < 20)
        return RS_DEC_TRUNC_L4;
    /* RFC 9293 §3.1: ports, sequence, acknowledgment, data offset (4 bits)
     * with the flags (NS in the last reserved bit, RFC 3540), window,
     * checksum, urgent pointer. */
    l->sport = rs_cur_be16(&t);
    l->dport = rs_cur_be16(&t);
    tc->seq = rs_cur_be32(&t);
    tc->ack = rs_cur_be32(&t);
    uint16_t off_flags = rs_cur_be16(&t);
    tc->window = rs_cur_be16(&t);
    rs_cur_skip(&t, 2);
    tc->urgent = rs_cur_be16(&t);
    size_t hl = (size_t)(off_flags >> 12) * 4;
    if (hl < 20 || hl > l4_len)
        return RS_DEC_BAD_TCP_HDRLEN;
    tc->flags = off_flags & 0x1ffu;
    tc->hdr_len = (uint8_t)hl;
    tc->has_mss = 0;
    tc->has_wscale = 0;
    tc->sack_permitted = 0;
    tc->has_ts = 0;
    tc->opts_malformed = 0;
    tc->wscale = 0;
    tc->n_sack = 0;
    tc->mss = 0;
    tc->tsval = 0;
    tc->tsecr = 0;
    size_t hcap = hl < cap ? hl : cap;
    /* Options (RFC 9293 §3.1); the engine asks for the SYNs' only. */
    if (hl > 20 && (!x->d->cfg.tcp_options_syn_only || (off_flags & RS_TCP_SYN)))
        tcp_options(tc, rs_cur_sub(&t, hcap - 20), hl - 20);
    l->l4_ok = 1;
    l->payload = seg + hcap;
    l->payload_len = l4_len - (uint32_t)hl;
    l->payload_caplen = (uint32_t)(cap - hcap);
    if (x->d->cfg.verify_checksums && cap >= l4_len)
        verify_l4(x, l, seg, l4_len, pseudo_sum(l, ph_dst, l4_len));
    return RS_DEC_OK;
}

static enum rs_decode_status
udp(struct rs_dec_ctx *x, struct rs_layer *l, const uint8_t *seg, size_t cap, const uint8_t *ph_dst)
{
    uint32_t l4_len = l->l4_len;
    struct rs_cur t = rs_cur_make(seg, cap);
    if (l4_len < 8 || cap < 8)
        return RS_DEC_TRUNC_L4;
    /* RFC 768: ports, Length (header included), checksum. A Length that is
     * impossible defers to the IP length rather than losing the datagram. */
    l->sport = rs_cur_be16(&t);
    l->dport = rs_cur_be16(&t);
    uint32_t ulen = rs_cur_be16(&t);
    uint16_t sum = rs_cur_be16(&t);
    uint32_t len = ulen >= 8 && ulen <= l4_len ? ulen : l4_len;
    l->l4_ok = 1;
    l->payload = seg + 8;
    l->payload_len = len - 8;
    l->payload_caplen = (uint32_t)((cap < len ? cap : len) - 8);
    /* RFC 768: a zero checksum over IPv4 means none was computed; over IPv6
     * it is not allowed (RFC 8200 §8.1). */
    if (x->d->cfg.verify_checksums && cap >= len && !(sum == 0 && l->family == 4))
        verify_l4(x, l, seg, len, pseudo_sum(l, ph_dst, len));
    return RS_DEC_OK;
}

/* The tuple of the packet an ICMP error quotes (RFC 792; RFC 4443 §2.4 (c)):
 * its IP header and at least the first 8 bytes after it. */
static void
icmp_quote(struct rs_icmp_info *ic, struct rs_cur q)
{
    uint8_t b0;
    if (!rs_cur_peek_u8(&q, 0, &b0))
        return;
    size_t start = q.off;
    int ports = 0;
    if (b0 >> 4 == 4) {
        uint8_t vihl = rs_cur_u8(&q);
        rs_cur_skip(&q, 5);
        uint16_t frag = rs_cur_be16(&q);
        rs_cur_skip(&q, 1);
        uint8_t proto = rs_cur_u8(&q);
        rs_cur_skip(&q, 2);
        uint8_t src[4], dst[4];
        rs_cur_copy(&q, src, 4);
        rs_cur_copy(&q, dst, 4);
        if (q.err)
            return;
        rs_addr_from_v4(&ic->q_src, src);
        rs_addr_from_v4(&ic->q_dst, dst);
        ic->q_proto = proto;
        ic->has_quote = 1;
        size_t hl = (size_t)(vihl & 0x0fu) * 4;
        if (hl < 20)
            return;
        rs_cur_skip(&q, hl - 20);
        ports = (frag & 0x1fffu) == 0; /* a later fragment has no ports */
    } else if (b0 >> 4 == 6) {
        rs_cur_skip(&q, 6);
        uint8_t nh = rs_cur_u8(&q);
        rs_cur_skip(&q, 1);
        rs_cur_copy(&q, ic->q_src.b, 16);
        rs_cur_copy(&q, ic->q_dst.b, 16);
        if (q.err)
            return;
        ic->q_proto = nh;
        ic->has_quote = 1;
        /* The chain walker counts offsets from the cursor's base. */
        struct rs_cur w = rs_cur_make(q.base + start, q.len - start);
        rs_cur_skip(&w, 40);
        uint8_t proto = nh;
        int r = rs_dec_ip6_quote_chain(&w, nh, &proto);
        if (r < 0)
            return;
        ic->q_proto = proto;
        ports = r == 0;
        q = w;
    }
    if (!ports)
        return;
    switch (ic->q_proto) {
    case PROTO_TCP:
    case PROTO_UDP:
    case PROTO_SCTP:
    case PROTO_UDPLITE: {
        uint16_t sp = rs_cur_be16(&q);
        uint16_t dp = rs_cur_be16(&q);
        if (!q.err) {
            ic->q_sport = sp;
            ic->q_dport = dp;
        }
        break;
    }
    default:
        break;
    }
}

static enum rs_decode_status
icmp(struct rs_dec_ctx *x, struct rs_layer *l, const uint8_t *seg, size_t cap,
     const uint8_t *ph_dst)
{
    uint32_t l4_len = l->l4_len;
    struct rs_cur t = rs_cur_make(seg, cap);
    struct rs_icmp_info *ic = &l->u.icmp;
    if (l4_len < 8 || cap < 8)
        return RS_DEC_TRUNC_L4;
    /* RFC 792 / RFC 4443 §2.1: type, code, checksum, 4 type-specific bytes. */
    ic->type = rs_cur_u8(&t);
    ic->code = rs_cur_u8(&t);
    rs_cur_skip(&t, 2);
    uint16_t id = rs_cur_be16(&t);
    uint16_t seq = rs_cur_be16(&t);
    int v6 = l->proto == PROTO_ICMP6;
    ic->is_v6 = (uint8_t)v6;
    ic->has_quote = 0;
    ic->id = 0;
    ic->seq = 0;
    ic->q_proto = 0;
    ic->q_sport = 0;
    ic->q_dport = 0;
    ic->q_src = (struct rs_addr){{0}};
    ic->q_dst = ic->q_src;
    int echo, error;
    if (v6) {
        /* RFC 4443 §4.1-4.2 echo; §3.1-3.4 errors. */
        echo = ic->type == 128 || ic->type == 129;
        error = ic->type >= 1 && ic->type <= 4;
    } else {
        /* RFC 792: echo (0, 8), timestamp (13, 14), information (15, 16);
         * RFC 950 address mask (17, 18) carry identifier and sequence.
         * Errors: unreachable (3), source quench (4), redirect (5), time
         * exceeded (11), parameter problem (12). */
        echo = ic->type == 0 || ic->type == 8 || (ic->type >= 13 && ic->type <= 18);
        error = ic->type == 3 || ic->type == 4 || ic->type == 5 || ic->type == 11 || ic->type == 12;
    }
    if (echo) {
        ic->id = id;
        ic->seq = seq;
    } else if (error) {
        icmp_quote(ic, rs_cur_sub(&t, rs_cur_left(&t)));
    }
    l->sport = 0;
    l->dport = 0;
    l->l4_ok = 1;
    l->payload = seg + 8;
    l->payload_len = l4_len - 8;
    l->payload_caplen = (uint32_t)(cap - 8);
    if (x->d->cfg.verify_checksums && cap >= l4_len)
        verify_l4(x, l, seg, l4_len, v6 ? pseudo_sum(l, ph_dst, l4_len) : 0);
    return RS_DEC_OK;
}

enum rs_decode_status
rs_dec_l4(struct rs_dec_ctx *x, struct rs_layer *l, const uint8_t *seg, size_t cap,
          const uint8_t *ph_dst)
{
    switch (l->proto) {
    case PROTO_TCP:
        return tcp(x, l, seg, cap, ph_dst);
    case PROTO_UDP:
        return udp(x, l, seg, cap, ph_dst);
    case PROTO_ICMP:
        if (l->family == 4)
            return icmp(x, l, seg, cap, ph_dst);
        break;
    case PROTO_ICMP6:
        if (l->family == 6)
            return icmp(x, l, seg, cap, ph_dst);
        break;
    default:
        break;
    }
    l->l4_ok = 1;
    l->sport = 0;
    l->dport = 0;
    l->payload = seg;
    l->payload_len = l->l4_len;
    l->payload_caplen = (uint32_t)cap;
    return RS_DEC_OK;
}
