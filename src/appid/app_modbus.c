/*
 * app_modbus.c - Modbus/TCP (Modbus Messaging on TCP/IP Implementation
 * Guide v1.0b §3.1.3): the MBAP header (transaction id, protocol id 0,
 * length of the rest, unit id) and a function code (1-127, or an exception
 * 0x81-0xFF from the server). The header is weak, so port 502 is required.
 */
#include "appid/appid_int.h"

enum rs_appid_verdict
rs_app_modbus(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    (void)out;
    if (in->l4 != 6 || in->port[1] != 502)
        return RS_APPID_NO;
    if (in->len < 8)
        return RS_APPID_NEED_MORE;
    const uint8_t *p = in->data;
    unsigned proto = (unsigned)p[2] << 8 | p[3], len = (unsigned)p[4] << 8 | p[5];
    uint8_t fc = p[7];
    if (proto != 0 || len < 2 || len > 254 || fc == 0 || (fc & 0x80 && in->side == 0))
        return RS_APPID_NO;
    return RS_APPID_MATCH;
}
