/*
 * app_ssh.c - SSH (RFC 4253 §4.2): each side first sends an identification
 * string "SSH-protoversion-softwareversion", protoversion "2.0", or "1.99"
 * (compatible) / "1.5" for SSH-1 (Zeek still labels those "ssh"). A server
 * may send other lines before it (RFC 4253 §4.2); a few are skipped.
 */
#include "appid/appid_int.h"

#define SSH_PRE_LINES 8

enum rs_appid_verdict
rs_app_ssh(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    if (in->l4 != 6)
        return RS_APPID_NO;
    struct rs_cur c = rs_cur_make(in->data, in->len);
    for (int line = 0; line <= SSH_PRE_LINES; line++) {
        int r = rs_appid_lit(&c, "SSH-");
        if (r < 0)
            return RS_APPID_NEED_MORE;
        if (r == 1) {
            struct rs_cur v = c;
            rs_cur_skip(&v, 4);
            int r2 = rs_appid_lit(&v, "2.0-"), r1 = rs_appid_lit(&v, "1.99-"),
                r5 = rs_appid_lit(&v, "1.5-");
            if (r2 == 1 || r1 == 1 || r5 == 1) {
                long ll = rs_appid_line_len(&c);
                size_t n = ll < 0 ? rs_cur_left(&c) : (size_t)ll;
                if (!out->info->banner[0]) {
                    rs_appid_copy_text(&c, n, out->info->banner, sizeof out->info->banner);
                    out->found_name = 1;
                }
                return RS_APPID_MATCH;
            }
            if (r2 < 0 || r1 < 0 || r5 < 0)
                return RS_APPID_NEED_MORE;
            return RS_APPID_NO;
        }
        /* Only the server may precede its version with other lines. */
        if (in->side != 1 || line == SSH_PRE_LINES)
            return RS_APPID_NO;
        long ll = rs_appid_line_len(&c);
        if (ll < 0)
            return in->at_cap || rs_cur_left(&c) > 255 ? RS_APPID_NO : RS_APPID_NEED_MORE;
        const uint8_t *p = rs_cur_ptr(&c);
        for (long i = 0; i < ll; i++)
            if (p[i] < 0x20 && p[i] != '\t')
                return RS_APPID_NO; /* not a text line */
        rs_cur_skip(&c, (size_t)ll);
        uint8_t ch = 0;
        if (rs_cur_peek_u8(&c, 0, &ch) && ch == '\r')
            rs_cur_skip(&c, 1);
        rs_cur_skip(&c, 1);
    }
    return RS_APPID_NO;
}
