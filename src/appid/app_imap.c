/*
 * app_imap.c - IMAP4 (RFC 9051, RFC 3501).
 *
 * Server greeting (RFC 9051 §7.1.1-§7.1.5): "* OK", "* PREAUTH" or "* BYE".
 * Client: a tag (any atom, RFC 9051 §9 `tag`), a space and a command of the
 * not-authenticated state (§6.1-§6.2). Followed for STARTTLS ("imap,ssl").
 */
#include "appid/appid_int.h"

static const char *const greetings[] = {"* OK", "* PREAUTH", "* BYE"};
static const char *const commands[] = {"CAPABILITY", "LOGIN ", "AUTHENTICATE ", "STARTTLS",
                                       "NOOP",       "LOGOUT", "ID ",           "ENABLE "};

static enum rs_appid_verdict
client(const struct rs_appid_in *in)
{
    struct rs_cur c = rs_cur_make(in->data, in->len);
    size_t tag = 0;
    uint8_t ch = 0;
    /* tag = 1*<any ASTRING-CHAR except "+">; bounded at 32 */
    while (tag < 32 && rs_cur_peek_u8(&c, tag, &ch) && ch > 0x20 && ch < 0x7f && ch != '+' &&
           ch != '(' && ch != ')' && ch != '{' && ch != '%' && ch != '*' && ch != '"' && ch != '\\')
        tag++;
    if (!rs_cur_peek_u8(&c, tag, &ch))
        return tag < 32 && !in->at_cap ? RS_APPID_NEED_MORE : RS_APPID_NO;
    if (tag == 0 || ch != ' ')
        return RS_APPID_NO;
    rs_cur_skip(&c, tag + 1);
    int prefix = 0;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        int r = rs_appid_lit(&c, commands[i]);
        if (r == 1)
            return RS_APPID_MATCH;
        prefix |= r < 0;
    }
    return prefix ? RS_APPID_NEED_MORE : RS_APPID_NO;
}

enum rs_appid_verdict
rs_app_imap(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    if (in->l4 != 6)
        return RS_APPID_NO;
    if (in->following)
        return rs_appid_follow_tls(in, out);
    enum rs_appid_verdict v = RS_APPID_NO;
    if (in->side == 1) {
        struct rs_cur c = rs_cur_make(in->data, in->len);
        for (size_t i = 0; i < sizeof greetings / sizeof greetings[0]; i++) {
            int r = rs_appid_lit(&c, greetings[i]);
            if (r == 1)
                v = RS_APPID_MATCH;
            else if (r < 0 && v == RS_APPID_NO)
                v = RS_APPID_NEED_MORE;
        }
    } else {
        v = client(in);
    }
    if (v == RS_APPID_MATCH)
        out->follow = 1;
    return v;
}
