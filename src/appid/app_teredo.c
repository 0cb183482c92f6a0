/*
 * app_teredo.c - Teredo (RFC 4380 §5.1.1): IPv6 in UDP, optionally preceded
 * by an authentication indicator (0x0001, id and auth lengths, nonce,
 * confirmation) and/or an origin indication (0x0000, port, address). The
 * IPv6 header must say version 6 and a payload length that fills the
 * datagram exactly (a bubble, next header 59 and no payload, may carry
 * trailing bytes), which random data does not.
 *
 * Like Zeek (Tunnel::delay_teredo_confirmation), a session counts as Teredo
 * only once both directions carried a valid packet; a datagram that does
 * not parse (a server's odd first reply) neither confirms nor rules out.
 */
#include "appid/appid_int.h"

static int
valid(const struct rs_appid_in *in)
{
    struct rs_cur c = rs_cur_make(in->data, in->len);
    uint8_t b0 = 0, b1 = 0;
    if (rs_cur_peek_u8(&c, 0, &b0) && rs_cur_peek_u8(&c, 1, &b1) && b0 == 0 && b1 == 1) {
        /* authentication: 0x0001, ID-len, AU-len, client id, auth value,
         * 8-byte nonce, 1-byte confirmation */
        rs_cur_skip(&c, 2);
        uint8_t idl = rs_cur_u8(&c), aul = rs_cur_u8(&c);
        rs_cur_skip(&c, (size_t)idl + aul + 9);
    }
    if (rs_cur_peek_u8(&c, 0, &b0) && rs_cur_peek_u8(&c, 1, &b1) && b0 == 0 && b1 == 0)
        rs_cur_skip(&c, 8); /* origin indication */
    if (c.err || rs_cur_left(&c) < 40)
        return 0;
    const uint8_t *ip = rs_cur_ptr(&c);
    size_t plen = (size_t)ip[4] << 8 | ip[5], left = rs_cur_left(&c);
    if ((ip[0] >> 4) != 6)
        return 0;
    return 40 + plen == left || (ip[6] == 59 && 40 + plen <= left);
}

enum rs_appid_verdict
rs_app_teredo(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    if (in->l4 != 17 || in->len < 40)
        return RS_APPID_NO;
    if (!valid(in))
        return in->mark ? RS_APPID_NEED_MORE : RS_APPID_NO;
    /* The mark says an earlier valid packet was seen; with the other
     * direction active this one most likely completes the pair. */
    if (in->mark && in->peer_seen)
        return RS_APPID_MATCH;
    out->set_mark = 1;
    return RS_APPID_NEED_MORE;
}
