/*
 * app_ntp.c - NTP (RFC 5905 §7.3; RFC 1305 for v3, RFC 1119 for v2).
 *
 * The header has no magic: LI (2 bits), VN (3 bits, 1-4) and Mode (3 bits),
 * stratum, poll, precision, then fixed-size fields: 48 bytes, more with
 * extension fields or a MAC. Control (mode 6, RFC 1305 Appendix B) and
 * private (mode 7) messages are shorter. So few constraints fit random data
 * too often; the NTP port on one side is required.
 */
#include "appid/appid_int.h"

enum rs_appid_verdict
rs_app_ntp(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    (void)out;
    if (in->l4 != 17 || !rs_appid_port(in, 123) || in->len < 8)
        return RS_APPID_NO;
    const uint8_t *p = in->data;
    unsigned vn = (p[0] >> 3) & 7u, mode = p[0] & 7u;
    if (vn < 1 || vn > 4 || mode == 0)
        return RS_APPID_NO;
    if (mode == 6)
        return in->len >= 12 ? RS_APPID_MATCH : RS_APPID_NO;
    if (mode == 7)
        return RS_APPID_MATCH;
    if (in->len < 48 || p[1] > 16)
        return RS_APPID_NO; /* stratum 0-15, 16 = unsynchronized */
    return RS_APPID_MATCH;
}
