/*
 * app_dns.c - DNS (RFC 1035 §4) over UDP and TCP, and the protocols that
 * share its message format and Zeek's DNS analyzer: mDNS (RFC 6762), LLMNR
 * (RFC 4795) and NetBIOS name service (RFC 1002 §4.2).
 *
 * A header has no magic number, so the message is parsed: header counts,
 * every question (name, type, class) and as many resource records as the
 * counts announce. On the DNS ports (53, 5353, 5355, 137) a message whose
 * questions parse is enough (records may be cut by snaplen); elsewhere the
 * whole message must parse and, over UDP, end exactly at the datagram's end.
 * Over TCP each message has a 2-byte length prefix (RFC 1035 §4.2.2).
 */
#include "appid/appid_int.h"

#define DNS_MAX_QD 32
#define DNS_MAX_RR 256
#define DNS_MAX_RR_PARSED 64 /* records looked at; the rest trusted */

enum { PARSE_OK = 0, PARSE_BAD, PARSE_SHORT };

/* A domain name (RFC 1035 §3.1, §4.1.4): labels up to 63 bytes, at most 255
 * in total, ending in a zero label or a compression pointer. */
static int
skip_name(struct rs_cur *c, size_t msg_len)
{
    size_t total = 0;
    /* Each turn consumes at least one byte; 128 labels is the most 255 bytes hold. */
    for (int labels = 0; labels < 128; labels++) {
        if (rs_cur_left(c) < 1)
            return PARSE_SHORT;
        uint8_t l = rs_cur_u8(c);
        if (l == 0)
            return PARSE_OK;
        if ((l & 0xc0) == 0xc0) {
            if (rs_cur_left(c) < 1)
                return PARSE_SHORT;
            size_t ptr = (size_t)(l & 0x3f) << 8 | rs_cur_u8(c);
            return ptr >= 12 && ptr < msg_len ? PARSE_OK : PARSE_BAD;
        }
        if (l & 0xc0)
            return PARSE_BAD; /* 0x40/0x80: extended label types, obsolete */
        total += (size_t)l + 1;
        if (total > 255)
            return PARSE_BAD;
        if (rs_cur_left(c) < l)
            return PARSE_SHORT;
        rs_cur_skip(c, l);
    }
    return PARSE_BAD;
}

static int
parse_message(const uint8_t *p, size_t avail, size_t msg_len, int strict)
{
    struct rs_cur c = rs_cur_make(p, avail);
    if (avail < 12)
        return PARSE_SHORT;
    rs_cur_skip(&c, 2); /* id */
    uint16_t flags = rs_cur_be16(&c);
    uint16_t qd = rs_cur_be16(&c), an = rs_cur_be16(&c), ns = rs_cur_be16(&c), ar = rs_cur_be16(&c);
    unsigned opcode = (flags >> 11) & 0xfu;
    /* Opcodes: DNS 0-2, 4 (NOTIFY), 5 (UPDATE); NBNS 5-8 (RFC 1002 §4.2.1.1). */
    if (opcode == 3 || opcode > 8)
        return PARSE_BAD;
    if (qd > DNS_MAX_QD || an > DNS_MAX_RR || ns > DNS_MAX_RR || ar > DNS_MAX_RR)
        return PARSE_BAD;
    if (qd + an + ns + ar == 0)
        return PARSE_BAD;
    if (strict && (qd == 0 || (flags & 0x0040))) /* Z bit must be zero (RFC 1035 §4.1.1) */
        return PARSE_BAD;
    for (unsigned i = 0; i < qd; i++) {
        int r = skip_name(&c, msg_len);
        if (r != PARSE_OK)
            return r;
        if (rs_cur_left(&c) < 4)
            return PARSE_SHORT;
        uint16_t qtype = rs_cur_be16(&c), qclass = rs_cur_be16(&c) & 0x7fff;
        if (qtype == 0)
            return PARSE_BAD;
        /* IN, CH, HS, NONE, ANY (RFC 1035 §3.2.4, RFC 2136 §1.3); mDNS sets
         * the top bit for unicast responses (RFC 6762 §5.4), masked above. */
        if (!(qclass == 1 || qclass == 3 || qclass == 4 || qclass == 254 || qclass == 255))
            return PARSE_BAD;
    }
    unsigned rrs = (unsigned)an + ns + ar;
    if (rrs > DNS_MAX_RR_PARSED)
        rrs = DNS_MAX_RR_PARSED;
    for (unsigned i = 0; i < rrs; i++) {
        int r = skip_name(&c, msg_len);
        if (r != PARSE_OK)
            return r;
        if (rs_cur_left(&c) < 10)
            return PARSE_SHORT;
        rs_cur_skip(&c, 8); /* type, class, ttl */
        uint16_t rdlen = rs_cur_be16(&c);
        if (rs_cur_left(&c) < rdlen)
            return PARSE_SHORT;
        rs_cur_skip(&c, rdlen);
    }
    if (strict && rrs == (unsigned)an + ns + ar && c.off != msg_len)
        return PARSE_BAD;
    return PARSE_OK;
}

enum rs_appid_verdict
rs_app_dns(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    (void)out;
    int hinted = rs_appid_port(in, 53) || rs_appid_port(in, 5353) || rs_appid_port(in, 5355) ||
                 rs_appid_port(in, 137);
    const uint8_t *p = in->data;
    size_t avail = in->len, msg_len = in->len;
    if (in->l4 == 6) {
        if (avail < 2)
            return RS_APPID_NEED_MORE;
        msg_len = (size_t)p[0] << 8 | p[1];
        if (msg_len < 12)
            return RS_APPID_NO;
        p += 2;
        avail -= 2;
        if (avail > msg_len)
            avail = msg_len;
    }
    int r = parse_message(p, avail, msg_len, !hinted);
    if (r == PARSE_OK)
        return RS_APPID_MATCH;
    if (r == PARSE_BAD)
        return RS_APPID_NO;
    /* Ran out of bytes. TCP: more may come. UDP: the datagram was cut by
     * snaplen; on a DNS port a valid header and prefix is enough. */
    if (in->l4 == 6 && avail < msg_len && !in->at_cap)
        return RS_APPID_NEED_MORE;
    return hinted && avail >= 12 ? RS_APPID_MATCH : RS_APPID_NO;
}
