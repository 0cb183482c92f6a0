/*
 * app_rdp.c - RDP connection start ([MS-RDPBCGR] 2.2.1.1, 2.2.1.2).
 *
 * The client opens with a TPKT header (RFC 1006 §6: version 3, reserved 0,
 * 16-bit length) carrying an X.224 Connection Request TPDU (ITU-T X.224
 * §13.3: length indicator, code 0xE0, DST-REF 0, class 0), then optionally
 * "Cookie: mstshash=" or a routing token, and an RDP_NEG_REQ (type 1,
 * length 8). The server answers with a Connection Confirm (0xD0) and
 * RDP_NEG_RSP (type 2) or RDP_NEG_FAILURE (type 3). TPKT + X.224 is also
 * ISO-TSAP (S7comm on port 102), so the RDP parts or the RDP port decide.
 */
#include "appid/appid_int.h"

enum rs_appid_verdict
rs_app_rdp(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    (void)out;
    if (in->l4 != 6)
        return RS_APPID_NO;
    struct rs_cur c = rs_cur_make(in->data, in->len);
    if (in->len < 11)
        return in->data[0] == 3 && (in->len < 2 || in->data[1] == 0) ? RS_APPID_NEED_MORE
                                                                     : RS_APPID_NO;
    uint8_t ver = rs_cur_u8(&c), rsv = rs_cur_u8(&c);
    uint16_t tlen = rs_cur_be16(&c);
    uint8_t li = rs_cur_u8(&c), code = rs_cur_u8(&c);
    uint16_t dst = rs_cur_be16(&c);
    rs_cur_skip(&c, 2); /* SRC-REF */
    uint8_t cls = rs_cur_u8(&c);
    if (ver != 3 || rsv != 0 || tlen < 11 || li + 5u != tlen || dst != 0 || (cls & 0xf0) != 0)
        return RS_APPID_NO;
    uint8_t want = in->side == 0 ? 0xe0 : 0xd0;
    if ((code & 0xf0) != want)
        return RS_APPID_NO;
    int port = rs_appid_port(in, 3389);
    /* Variable part inside the TPDU: cookie / token, then the negotiation. */
    size_t var = tlen - 11u;
    struct rs_cur v = rs_cur_sub(&c, var <= rs_cur_left(&c) ? var : rs_cur_left(&c));
    if (in->side == 0) {
        if (rs_appid_lit(&v, "Cookie: mstshash=") == 1 || rs_appid_lit(&v, "Cookie: msts=") == 1)
            return RS_APPID_MATCH;
    }
    /* RDP_NEG_REQ / RSP / FAILURE: type, flags, length 8 (LE), 4 bytes */
    const uint8_t *p = rs_cur_ptr(&v);
    size_t left = rs_cur_left(&v);
    if (left >= 8) {
        const uint8_t *n = p + left - 8;
        uint8_t type = n[0];
        if (n[2] == 8 && n[3] == 0 && (in->side == 0 ? type == 1 : (type == 2 || type == 3)))
            return RS_APPID_MATCH;
    }
    return port ? RS_APPID_MATCH : RS_APPID_NO;
}
