/*
 * app_ayiya.c - AYIYA, "Anything In Anything" (draft-massar-v6ops-ayiya-02
 * §5), on its port 5072: identity length/type, signature length/hash method,
 * authentication method/opcode, next header (IPv6 41, IPv4 4, none 59), a
 * 4-byte epoch, then identity, signature and the packet.
 */
#include "appid/appid_int.h"

enum rs_appid_verdict
rs_app_ayiya(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    (void)out;
    if (in->l4 != 17 || !rs_appid_port(in, 5072) || in->len < 8)
        return RS_APPID_NO;
    const uint8_t *p = in->data;
    unsigned idlen = 1u << (p[0] >> 4), siglen = (p[1] >> 4) * 4u, opcode = p[2] & 0xfu;
    uint8_t next = p[3];
    if (opcode > 8 || (next != 41 && next != 4 && next != 59))
        return RS_APPID_NO;
    return 8u + idlen + siglen <= in->len ? RS_APPID_MATCH : RS_APPID_NO;
}
