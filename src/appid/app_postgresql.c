/*
 * app_postgresql.c - PostgreSQL frontend/backend protocol (PostgreSQL docs,
 * "Message Formats").
 *
 * The client speaks first with an untyped message: Int32 length, Int32 code.
 * StartupMessage carries protocol 3.0 (196608); SSLRequest (80877103),
 * GSSENCRequest (80877104) and CancelRequest (80877102) have fixed lengths.
 * After SSLRequest and the server's 'S' the client starts TLS, which Zeek
 * lists as "postgresql,ssl". A server-only capture needs the port: its
 * first message ('R' authentication request) is too short to be sure of.
 */
#include "appid/appid_int.h"

enum rs_appid_verdict
rs_app_postgresql(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    if (in->l4 != 6)
        return RS_APPID_NO;
    if (in->following)
        return rs_appid_follow_tls(in, out);
    struct rs_cur c = rs_cur_make(in->data, in->len);
    if (in->side == 1) {
        /* AuthenticationXXX: 'R', Int32 length (8..), Int32 method */
        if (in->len < 9)
            return in->data[0] == 'R' ? RS_APPID_NEED_MORE : RS_APPID_NO;
        rs_cur_skip(&c, 1);
        uint32_t len = rs_cur_be32(&c), code = rs_cur_be32(&c);
        if (in->data[0] != 'R' || len < 8 || len > 1024 || code > 12 || code == 1 || code == 4 ||
            code == 6)
            return RS_APPID_NO;
        return rs_appid_port(in, 5432) ? RS_APPID_MATCH : RS_APPID_NO;
    }
    if (in->len < 8)
        return RS_APPID_NEED_MORE;
    uint32_t len = rs_cur_be32(&c), code = rs_cur_be32(&c);
    int startup = code == 196608u && len >= 9 && len <= 10000;          /* protocol 3.0 */
    int ssl_gss = (code == 80877103u || code == 80877104u) && len == 8; /* SSL/GSSENCRequest */
    int cancel = code == 80877102u && len == 16;                        /* CancelRequest */
    if (!startup && !ssl_gss && !cancel)
        return RS_APPID_NO;
    out->follow = 1;
    return RS_APPID_MATCH;
}
