/*
 * app_ftp.c - FTP control connection (RFC 959).
 *
 * The server greets first: "220" (or "120" then "220") SP/"-" text (RFC 959
 * §5.4). SMTP greets with "220" too, so a greeting that names neither only
 * marks the session and the client's first command decides (USER, AUTH of
 * RFC 2228/4217, FEAT of RFC 2389, ...). A client-only capture needs the
 * FTP port for USER, which POP3 shares. Followed for AUTH TLS ("ftp,ssl").
 */
#include "appid/appid_int.h"

static const char *const commands[] = {"USER ",    "AUTH TLS", "AUTH SSL", "FEAT\r\n",
                                       "SYST\r\n", "OPTS ",    "HOST "};

static enum rs_appid_verdict
greeting(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    struct rs_cur c = rs_cur_make(in->data, in->len);
    int r220 = rs_appid_lit(&c, "220"), r120 = rs_appid_lit(&c, "120"),
        r421 = rs_appid_lit(&c, "421");
    if (r220 == 0 && r120 == 0 && r421 == 0)
        return RS_APPID_NO;
    if (in->len < 4)
        return RS_APPID_NEED_MORE;
    if (in->data[3] != ' ' && in->data[3] != '-')
        return RS_APPID_NO;
    long ll = rs_appid_line_len(&c);
    size_t n = ll < 0 ? in->len : (size_t)ll;
    if (rs_appid_contains(&c, n, "FTP"))
        return RS_APPID_MATCH;
    if (rs_appid_contains(&c, n, "SMTP"))
        return RS_APPID_NO;
    if (ll < 0 && !in->at_cap && in->len < 512)
        return RS_APPID_NEED_MORE;
    out->set_mark = 1;
    return RS_APPID_NEED_MORE;
}

enum rs_appid_verdict
rs_app_ftp(const struct rs_appid_in *in, struct rs_appid_out *out)
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
        int prefix = 0, hit = -1;
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
            int r = rs_appid_lit(&c, commands[i]);
            if (r == 1)
                hit = (int)i;
            prefix |= r < 0;
        }
        if (hit > 0 || (hit == 0 && (in->mark || rs_appid_port(in, 21))))
            v = RS_APPID_MATCH;
        else if (hit == 0 || prefix)
            v = RS_APPID_NEED_MORE;
        else
            v = RS_APPID_NO;
    }
    if (v == RS_APPID_MATCH)
        out->follow = 1;
    return v;
}
