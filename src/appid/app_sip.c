/*
 * app_sip.c - SIP (RFC 3261 §7.1, §7.2) over UDP and TCP.
 *
 * Request-Line: Method SP Request-URI SP "SIP/2.0" CRLF, the URI a sip:,
 * sips: or tel: URI; Status-Line: "SIP/2.0" SP 3DIGIT. Keep-alives (a bare
 * CRLF pair, RFC 5626 §3.5.1) neither match nor rule out.
 */
#include <string.h>

#include "appid/appid_int.h"

static const char *const methods[] = {"INVITE ",  "ACK ",   "BYE ",       "CANCEL ", "REGISTER ",
                                      "OPTIONS ", "PRACK ", "SUBSCRIBE ", "NOTIFY ", "PUBLISH ",
                                      "INFO ",    "REFER ", "MESSAGE ",   "UPDATE "};

enum rs_appid_verdict
rs_app_sip(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    (void)out;
    struct rs_cur c = rs_cur_make(in->data, in->len);
    int udp = in->l4 == 17;
    if (in->len >= 2 && in->data[0] == '\r' && in->data[1] == '\n')
        return udp ? RS_APPID_NEED_MORE : RS_APPID_NO;
    if (in->len && (in->data[0] < 'A' || in->data[0] > 'Z'))
        return RS_APPID_NO; /* methods and "SIP/2.0" are upper case */
    int r = rs_appid_lit(&c, "SIP/2.0 ");
    if (r == 1) {
        if (in->len < 11)
            return udp ? RS_APPID_NO : RS_APPID_NEED_MORE;
        const uint8_t *p = in->data + 8;
        return p[0] >= '1' && p[0] <= '6' && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' &&
                       p[2] <= '9'
                   ? RS_APPID_MATCH
                   : RS_APPID_NO;
    }
    int prefix = r < 0, hit = -1;
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        int m = rs_appid_lit(&c, methods[i]);
        if (m == 1)
            hit = (int)i;
        prefix |= m < 0;
    }
    if (hit < 0)
        return prefix && !udp ? RS_APPID_NEED_MORE : RS_APPID_NO;
    long ll = rs_appid_line_len(&c);
    if (ll < 0)
        return udp || in->at_cap || in->len > 4096 ? RS_APPID_NO : RS_APPID_NEED_MORE;
    size_t L = (size_t)ll, ml = strlen(methods[hit]);
    if (L < ml + 4 + 8 || memcmp(in->data + L - 8, " SIP/2.0", 8) != 0)
        return RS_APPID_NO;
    struct rs_cur u = c;
    rs_cur_skip(&u, ml);
    if (rs_appid_lit(&u, "sip:") != 1 && rs_appid_lit(&u, "sips:") != 1 &&
        rs_appid_lit(&u, "tel:") != 1)
        return RS_APPID_NO;
    return RS_APPID_MATCH;
}
