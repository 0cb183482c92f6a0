/*
 * app_mysql.c - MySQL/MariaDB client/server protocol.
 *
 * Every packet has a 4-byte header: payload length (3 bytes, little endian)
 * and a sequence id. The server speaks first with Protocol::Handshake
 * (sequence 0, protocol version 10, a NUL-terminated server version); the
 * client answers with Protocol::HandshakeResponse41 (sequence 1, capability
 * flags with CLIENT_PROTOCOL_41, max packet size, charset and 23 zero bytes)
 * or with an SSLRequest (CLIENT_SSL) and then a TLS ClientHello, which Zeek
 * lists as "mysql,ssl". (MySQL Internals: Connection Phase Packets.)
 */
#include "appid/appid_int.h"

#define CLIENT_PROTOCOL_41 0x00000200u

static enum rs_appid_verdict
server_greeting(const struct rs_appid_in *in)
{
    struct rs_cur c = rs_cur_make(in->data, in->len);
    if (in->len < 6)
        return RS_APPID_NEED_MORE;
    uint32_t len = rs_cur_u8(&c);
    len |= (uint32_t)rs_cur_u8(&c) << 8;
    len |= (uint32_t)rs_cur_u8(&c) << 16;
    uint8_t seq = rs_cur_u8(&c);
    uint8_t proto = rs_cur_u8(&c);
    if (seq != 0 || len < 10 || len > 1024)
        return RS_APPID_NO;
    if (proto == 0xff) /* ERR_Packet instead of a greeting ("Host ... is blocked") */
        return rs_appid_port(in, 3306) && len >= 3 ? RS_APPID_MATCH : RS_APPID_NO;
    if (proto != 10 && proto != 9)
        return RS_APPID_NO;
    /* server version: printable, NUL-terminated, starts with a digit */
    size_t n = 0;
    uint8_t ch = 0;
    while (n < len - 1 && rs_cur_peek_u8(&c, n, &ch) && ch != 0) {
        if (ch < 0x20 || ch > 0x7e || (n == 0 && (ch < '0' || ch > '9')))
            return RS_APPID_NO;
        n++;
    }
    if (!rs_cur_peek_u8(&c, n, &ch))
        return in->at_cap ? RS_APPID_NO : RS_APPID_NEED_MORE;
    return ch == 0 && n > 0 ? RS_APPID_MATCH : RS_APPID_NO;
}

static enum rs_appid_verdict
client_response(const struct rs_appid_in *in)
{
    if (in->len < 36)
        return RS_APPID_NEED_MORE;
    struct rs_cur c = rs_cur_make(in->data, in->len);
    uint32_t len = rs_cur_u8(&c);
    len |= (uint32_t)rs_cur_u8(&c) << 8;
    len |= (uint32_t)rs_cur_u8(&c) << 16;
    uint8_t seq = rs_cur_u8(&c);
    uint32_t caps = rs_cur_le32(&c);
    rs_cur_skip(&c, 5); /* max packet size, character set */
    if (seq != 1 || len < 32 || !(caps & CLIENT_PROTOCOL_41))
        return RS_APPID_NO;
    for (int i = 0; i < 23; i++)
        if (rs_cur_u8(&c) != 0)
            return RS_APPID_NO;
    return c.err ? RS_APPID_NO : RS_APPID_MATCH;
}

enum rs_appid_verdict
rs_app_mysql(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    if (in->l4 != 6)
        return RS_APPID_NO;
    if (in->following)
        return rs_appid_follow_tls(in, out);
    enum rs_appid_verdict v = in->side == 1 ? server_greeting(in) : client_response(in);
    if (v == RS_APPID_MATCH)
        out->follow = 1;
    return v;
}
