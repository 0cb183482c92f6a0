/*
 * app_telnet.c - Telnet (RFC 854, RFC 855 option negotiation).
 *
 * Both ends usually open with option negotiation: IAC (255) followed by
 * WILL/WONT/DO/DONT (251-254) and an option code, or a subnegotiation
 * (IAC SB ... IAC SE). Two such commands in a row, or one on the Telnet
 * port, identify it. Telnet without negotiation is plain text and cannot be
 * told from other text by its bytes.
 */
#include "appid/appid_int.h"

#define IAC 255
#define SB 250
#define SE 240

enum rs_appid_verdict
rs_app_telnet(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    (void)out;
    if (in->l4 != 6)
        return RS_APPID_NO;
    struct rs_cur c = rs_cur_make(in->data, in->len);
    int cmds = 0, partial = 0;
    uint8_t b = 0;
    /* Each turn consumes at least 3 bytes; two commands decide. */
    while (cmds < 2 && rs_cur_peek_u8(&c, 0, &b) && b == IAC) {
        if (rs_cur_left(&c) < 3) {
            partial = 1;
            break;
        }
        rs_cur_skip(&c, 1);
        uint8_t cmd = rs_cur_u8(&c);
        uint8_t opt = rs_cur_u8(&c);
        if (cmd == SB) {
            /* skip to IAC SE, within the bytes present */
            uint8_t prev = opt, ch = 0;
            size_t k = 0;
            while (rs_cur_peek_u8(&c, k, &ch) && !(prev == IAC && ch == SE)) {
                prev = ch;
                k++;
            }
            if (!rs_cur_peek_u8(&c, k, &ch)) {
                partial = 1;
                break;
            }
            rs_cur_skip(&c, k + 1);
        } else if (cmd < 251 || opt == IAC) {
            return RS_APPID_NO;
        }
        cmds++;
    }
    if (cmds >= 2 || (cmds == 1 && rs_appid_port(in, 23)))
        return RS_APPID_MATCH;
    if (rs_cur_left(&c) && !partial)
        return RS_APPID_NO; /* no negotiation, or text right after one command */
    return in->at_cap ? RS_APPID_NO : RS_APPID_NEED_MORE;
}
