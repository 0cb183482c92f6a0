/*
 * app_irc.c - IRC client protocol (RFC 2812 §2.3, §3.1).
 *
 * A client registers with NICK (often after PASS or CAP LS of the IRCv3
 * capability negotiation) or asks for STARTTLS first; a server typically
 * opens with a NOTICE, either prefixed (":irc.example.net NOTICE * :...") or
 * the old "NOTICE AUTH", or with a prefixed numeric reply (RFC 2812 §2.4).
 * USER is shared with FTP and POP3 and does not decide alone. STARTTLS
 * (IRCv3 tls extension) is followed for the handshake ("irc,ssl").
 */
#include "appid/appid_int.h"

static enum rs_appid_verdict
client(const struct rs_appid_in *in)
{
    struct rs_cur c = rs_cur_make(in->data, in->len);
    static const char *const first[] = {"NICK ", "CAP LS", "CAP REQ ", "STARTTLS\r\n"};
    int prefix = 0;
    for (size_t i = 0; i < sizeof first / sizeof first[0]; i++) {
        int r = rs_appid_lit(&c, first[i]);
        if (r == 1)
            return RS_APPID_MATCH;
        prefix |= r < 0;
    }
    int r = rs_appid_lit(&c, "PASS ");
    if (r == 1) {
        /* PASS then NICK in the same segment (RFC 2812 §3.1.1 order). */
        long ll = rs_appid_line_len(&c);
        if (ll < 0)
            return in->at_cap ? RS_APPID_NO : RS_APPID_NEED_MORE;
        return rs_appid_contains(&c, in->len, "\nNICK ") ? RS_APPID_MATCH
               : in->at_cap                              ? RS_APPID_NO
                                                         : RS_APPID_NEED_MORE;
    }
    return prefix || r < 0 ? RS_APPID_NEED_MORE : RS_APPID_NO;
}

static enum rs_appid_verdict
server(const struct rs_appid_in *in)
{
    struct rs_cur c = rs_cur_make(in->data, in->len);
    int r = rs_appid_lit(&c, "NOTICE AUTH ");
    if (r != 0)
        return r == 1 ? RS_APPID_MATCH : RS_APPID_NEED_MORE;
    uint8_t ch = 0;
    if (!rs_cur_peek_u8(&c, 0, &ch))
        return RS_APPID_NEED_MORE;
    if (ch != ':')
        return RS_APPID_NO;
    /* ":" servername SP command */
    size_t k = 1;
    while (k < 64 && rs_cur_peek_u8(&c, k, &ch) && ch > 0x20 && ch < 0x7f)
        k++;
    if (!rs_cur_peek_u8(&c, k, &ch))
        return k < 64 && !in->at_cap ? RS_APPID_NEED_MORE : RS_APPID_NO;
    if (k < 2 || ch != ' ')
        return RS_APPID_NO;
    rs_cur_skip(&c, k + 1);
    int n = rs_appid_lit(&c, "NOTICE ");
    if (n != 0)
        return n == 1 ? RS_APPID_MATCH : RS_APPID_NEED_MORE;
    /* a numeric reply: 3 digits and a space (RFC 2812 §2.4) */
    for (size_t i = 0; i < 4; i++) {
        if (!rs_cur_peek_u8(&c, i, &ch))
            return in->at_cap ? RS_APPID_NO : RS_APPID_NEED_MORE;
        if (i < 3 ? (ch < '0' || ch > '9') : ch != ' ')
            return RS_APPID_NO;
    }
    return RS_APPID_MATCH;
}

enum rs_appid_verdict
rs_app_irc(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    if (in->l4 != 6)
        return RS_APPID_NO;
    if (in->following)
        return rs_appid_follow_tls(in, out);
    enum rs_appid_verdict v = in->side == 0 ? client(in) : server(in);
    if (v == RS_APPID_MATCH)
        out->follow = 1;
    return v;
}
