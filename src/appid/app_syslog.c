/*
 * app_syslog.c - syslog over UDP (RFC 5426, RFC 3164) and TCP (RFC 6587).
 *
 * A message starts with PRI: "<" 1-3 digits ">" with a value of at most 191
 * and no leading zero (RFC 5424 §6.2.1), followed by printable header text
 * (the RFC 5424 VERSION and TIMESTAMP or an RFC 3164 timestamp/tag). Over TCP a message
 * may be preceded by its octet count and a space (RFC 6587 §3.4.1).
 */
#include "appid/appid_int.h"

static enum rs_appid_verdict
pri(struct rs_cur *c)
{
    uint8_t ch = 0;
    if (!rs_cur_peek_u8(c, 0, &ch))
        return RS_APPID_NEED_MORE;
    if (ch != '<')
        return RS_APPID_NO;
    unsigned v = 0;
    size_t k = 1;
    for (; k <= 4; k++) {
        if (!rs_cur_peek_u8(c, k, &ch))
            return RS_APPID_NEED_MORE;
        if (ch == '>')
            break;
        if (ch < '0' || ch > '9' || k == 4 || (k == 2 && v == 0))
            return RS_APPID_NO;
        v = v * 10 + (unsigned)(ch - '0');
    }
    if (k == 1 || v > 191)
        return RS_APPID_NO;
    /* The header after PRI is text (RFC 5424 §6.2: VERSION SP TIMESTAMP ...;
     * RFC 3164 §4.1.2: TIMESTAMP SP HOSTNAME): up to 8 printable bytes. */
    size_t n = 0;
    while (n < 8 && rs_cur_peek_u8(c, k + 1 + n, &ch)) {
        if (ch < 0x20 || ch > 0x7e)
            return RS_APPID_NO;
        n++;
    }
    return n == 8 ? RS_APPID_MATCH : RS_APPID_NEED_MORE;
}

enum rs_appid_verdict
rs_app_syslog(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    (void)out;
    struct rs_cur c = rs_cur_make(in->data, in->len);
    if (in->l4 == 17) {
        enum rs_appid_verdict v = pri(&c);
        /* A datagram is whole: a short message whose text all printed is fine. */
        if (v == RS_APPID_NEED_MORE)
            return in->len >= 5 && in->data[in->len - 1] >= 0x20 ? RS_APPID_MATCH : RS_APPID_NO;
        return v;
    }
    uint8_t ch = 0;
    if (rs_cur_peek_u8(&c, 0, &ch) && ch >= '1' && ch <= '9') {
        /* octet counting: MSG-LEN SP SYSLOG-MSG */
        size_t k = 0;
        while (k < 6 && rs_cur_peek_u8(&c, k, &ch) && ch >= '0' && ch <= '9')
            k++;
        if (!rs_cur_peek_u8(&c, k, &ch))
            return in->at_cap ? RS_APPID_NO : RS_APPID_NEED_MORE;
        if (ch != ' ')
            return RS_APPID_NO;
        rs_cur_skip(&c, k + 1);
    }
    enum rs_appid_verdict v = pri(&c);
    return v == RS_APPID_NEED_MORE && in->at_cap ? RS_APPID_NO : v;
}
