/*
 * app_mqtt.c - MQTT 3.1, 3.1.1 and 5.0.
 *
 * The client's first packet is CONNECT (MQTT 3.1.1 §3.1, 5.0 §3.1): fixed
 * header 0x10, a variable-length "remaining length" (§2.2.3, at most four
 * bytes), then the protocol name "MQTT" (level 4 or 5) or "MQIsdp" (level 3).
 * The server's CONNACK (0x20) is too short to be sure of and needs the port.
 */
#include "appid/appid_int.h"

enum rs_appid_verdict
rs_app_mqtt(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    (void)out;
    if (in->l4 != 6)
        return RS_APPID_NO;
    struct rs_cur c = rs_cur_make(in->data, in->len);
    if (in->len == 0)
        return RS_APPID_NEED_MORE;
    uint8_t h = rs_cur_u8(&c);
    if (in->side == 1) {
        /* CONNACK: 0x20, remaining length 2 (3.1.1) or more (5.0) */
        if (h != 0x20)
            return RS_APPID_NO;
        if (in->len < 4)
            return RS_APPID_NEED_MORE;
        uint8_t rl = rs_cur_u8(&c), flags = rs_cur_u8(&c);
        return rs_appid_port(in, 1883) && rl >= 2 && flags <= 1 ? RS_APPID_MATCH : RS_APPID_NO;
    }
    if (h != 0x10)
        return RS_APPID_NO;
    /* Remaining length: 7 bits per byte, continuation bit 0x80, max 4 bytes. */
    uint32_t rl = 0;
    int i = 0;
    for (; i < 4; i++) {
        if (rs_cur_left(&c) < 1)
            return RS_APPID_NEED_MORE;
        uint8_t b = rs_cur_u8(&c);
        rl |= (uint32_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80))
            break;
    }
    if (i == 4 || rl < 10)
        return RS_APPID_NO;
    int m = rs_appid_lit(&c, "\x00\x04MQTT"), s = rs_appid_lit(&c, "\x00\x06MQIsdp");
    if (m < 0 || s < 0)
        return RS_APPID_NEED_MORE;
    /* rs_appid_lit stops at the NUL of the literal: compare the bytes here. */
    const uint8_t *p = rs_cur_ptr(&c);
    size_t left = rs_cur_left(&c);
    if (left < 7)
        return RS_APPID_NEED_MORE;
    if (p[0] == 0 && p[1] == 4 && p[2] == 'M' && p[3] == 'Q' && p[4] == 'T' && p[5] == 'T')
        return p[6] == 4 || p[6] == 5 ? RS_APPID_MATCH : RS_APPID_NO;
    if (left < 9)
        return RS_APPID_NEED_MORE;
    if (p[0] == 0 && p[1] == 6 && p[2] == 'M' && p[3] == 'Q' && p[4] == 'I' && p[5] == 's' &&
        p[6] == 'd' && p[7] == 'p')
        return p[8] == 3 ? RS_APPID_MATCH : RS_APPID_NO;
    return RS_APPID_NO;
}
