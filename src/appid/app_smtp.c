/*
 * app_smtp.c - SMTP (RFC 5321).
 *
 * The server speaks first: a greeting "220" SP/"-" text (RFC 5321 §4.2,
 * §3.1). FTP greets with "220" too, so a greeting that names neither
 * protocol only marks the session and the client's first command decides:
 * EHLO or HELO (RFC 5321 §4.1.1.1). A client-only capture matches on
 * EHLO/HELO alone. After a match the session is followed for STARTTLS
 * (RFC 3207), which Zeek lists as "smtp,ssl".
 */
#include "appid/appid_int.h"

static enum rs_appid_verdict
greeting(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    struct rs_cur c = rs_cur_make(in->data, in->len);
    int r220 = rs_appid_lit(&c, "220"), r554 = rs_appid_lit(&c, "554");
    if (r220 == 0 && r554 == 0)
        return RS_APPID_NO;
    if (in->len < 4)
        return RS_APPID_NEED_MORE;
    if (in->data[3] != ' ' && in->data[3] != '-')
        return RS_APPID_NO;
    long ll = rs_appid_line_len(&c);
    size_t n = ll < 0 ? in->len : (size_t)ll;
    if (rs_appid_contains(&c, n, "FTP"))
        return RS_APPID_NO;
    if (rs_appid_contains(&c, n, "SMTP") || rs_appid_contains(&c, n, "Postfix") ||
        rs_appid_contains(&c, n, "Sendmail") || rs_appid_contains(&c, n, "Exim"))
        return RS_APPID_MATCH;
    if (ll < 0 && !in->at_cap && in->len < 512)
        return RS_APPID_NEED_MORE;
    out->set_mark = 1;
    return RS_APPID_NEED_MORE;
}

enum rs_appid_verdict
rs_app_smtp(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    if (in->l4 != 6)
        return RS_APPID_NO;
    if (in->following)
        return rs_appid_follow_tls(in, out);
    enum rs_appid_verdict v;
    if (in->side == 1) {
        v = greeting(in, out);
    } else {
        struct rs_cur c = rs_cur_make(in->data, in->len);
        int e = rs_appid_lit(&c, "EHLO "), h = rs_appid_lit(&c, "HELO ");
        v = (e == 1 || h == 1) ? RS_APPID_MATCH
            : (e < 0 || h < 0) ? RS_APPID_NEED_MORE
                               : RS_APPID_NO;
    }
    if (v == RS_APPID_MATCH)
        out->follow = 1;
    return v;
}
