/*
 * app_bgp.c - BGP-4 (RFC 4271 §4.1): every message starts with a 16-byte
 * marker of all ones, a 2-byte length (19..4096) and a type (1 OPEN,
 * 2 UPDATE, 3 NOTIFICATION, 4 KEEPALIVE, 5 ROUTE-REFRESH of RFC 2918).
 */
#include "appid/appid_int.h"

enum rs_appid_verdict
rs_app_bgp(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    (void)out;
    if (in->l4 != 6)
        return RS_APPID_NO;
    struct rs_cur c = rs_cur_make(in->data, in->len);
    for (int i = 0; i < 16; i++) {
        if (rs_cur_left(&c) < 1)
            return RS_APPID_NEED_MORE;
        if (rs_cur_u8(&c) != 0xff)
            return RS_APPID_NO;
    }
    if (rs_cur_left(&c) < 3)
        return RS_APPID_NEED_MORE;
    uint16_t len = rs_cur_be16(&c);
    uint8_t type = rs_cur_u8(&c);
    return len >= 19 && len <= 4096 && type >= 1 && type <= 5 ? RS_APPID_MATCH : RS_APPID_NO;
}
