/*
 * app_pop3.c - POP3 (RFC 1939).
 *
 * The server greets first with "+OK" and text (RFC 1939 §4); Redis replies
 * "+OK" CRLF to a command, never a greeting with text, so the space after
 * "+OK" is required. Client commands (§5-§7, RFC 2449 CAPA, RFC 2595 STLS)
 * identify a client-only capture; USER is shared with FTP, so it needs the
 * POP3 port. Followed for STLS ("pop3,ssl").
 */
#include "appid/appid_int.h"

static const char *const pop3_only[] = {"CAPA\r\n", "STLS\r\n", "APOP ", "AUTH\r\n", "UIDL"};

enum rs_appid_verdict
rs_app_pop3(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    if (in->l4 != 6)
        return RS_APPID_NO;
    if (in->following)
        return rs_appid_follow_tls(in, out);
    struct rs_cur c = rs_cur_make(in->data, in->len);
    enum rs_appid_verdict v = RS_APPID_NO;
    if (in->side == 1) {
        int r = rs_appid_lit(&c, "+OK ");
        v = r == 1 ? RS_APPID_MATCH : r < 0 ? RS_APPID_NEED_MORE : RS_APPID_NO;
    } else {
        int prefix = 0;
        for (size_t i = 0; i < sizeof pop3_only / sizeof pop3_only[0]; i++) {
            int r = rs_appid_lit(&c, pop3_only[i]);
            if (r == 1)
                v = RS_APPID_MATCH;
            prefix |= r < 0;
        }
        if (v != RS_APPID_MATCH) {
            int r = rs_appid_lit(&c, "USER ");
            if (r == 1 && rs_appid_port(in, 110))
                v = RS_APPID_MATCH;
            else if (r == 1 || r < 0 || prefix)
                v = RS_APPID_NEED_MORE;
        }
    }
    if (v == RS_APPID_MATCH)
        out->follow = 1;
    return v;
}
