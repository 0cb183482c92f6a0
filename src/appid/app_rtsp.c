/*
 * app_rtsp.c - RTSP 1.0 (RFC 2326 §6.1, §7.1) and 2.0 (RFC 7826).
 *
 * Request line: method SP Request-URI SP "RTSP/1.0" CRLF; status line:
 * "RTSP/" version SP 3DIGIT. The version token is what separates RTSP from
 * HTTP, whose methods it shares (OPTIONS, GET_PARAMETER looks like neither).
 */
#include <string.h>

#include "appid/appid_int.h"

static const char *const methods[] = {
    "OPTIONS ",  "DESCRIBE ", "SETUP ",         "PLAY ",     "PAUSE ",         "TEARDOWN ",
    "ANNOUNCE ", "RECORD ",   "GET_PARAMETER ", "REDIRECT ", "SET_PARAMETER ", "PLAY_NOTIFY "};

enum rs_appid_verdict
rs_app_rtsp(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    (void)out;
    if (in->l4 != 6)
        return RS_APPID_NO;
    struct rs_cur c = rs_cur_make(in->data, in->len);
    if (in->side == 1) {
        int r = rs_appid_lit(&c, "RTSP/");
        if (r <= 0)
            return r < 0 ? RS_APPID_NEED_MORE : RS_APPID_NO;
        if (in->len < 12)
            return RS_APPID_NEED_MORE;
        const uint8_t *p = in->data;
        return p[5] >= '1' && p[5] <= '2' && p[6] == '.' && p[8] == ' ' && p[9] >= '1' &&
                       p[9] <= '5'
                   ? RS_APPID_MATCH
                   : RS_APPID_NO;
    }
    if (in->len && (in->data[0] < 'A' || in->data[0] > 'Z'))
        return RS_APPID_NO;
    int prefix = 0, hit = 0;
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        int r = rs_appid_lit(&c, methods[i]);
        hit |= r == 1;
        prefix |= r < 0;
    }
    if (!hit)
        return prefix ? RS_APPID_NEED_MORE : RS_APPID_NO;
    long ll = rs_appid_line_len(&c);
    if (ll < 0)
        return in->at_cap || in->len > 4096 ? RS_APPID_NO : RS_APPID_NEED_MORE;
    size_t L = (size_t)ll;
    if (L < 10 || memcmp(in->data + L - 9, " RTSP/", 6) != 0)
        return RS_APPID_NO;
    return RS_APPID_MATCH;
}
