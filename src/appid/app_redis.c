/*
 * app_redis.c - Redis serialization protocol (RESP2/RESP3).
 *
 * Clients send commands as an array of bulk strings: "*<n>\r\n$<m>\r\n...".
 * That shape alone identifies a client. Inline commands ("PING\r\n") and
 * the server's short replies ("+OK", "-ERR", ":1") are too generic: they
 * count only on the Redis port.
 */
#include "appid/appid_int.h"

/* "<1-6 digits>\r\n" at the cursor; returns 1, 0 (no) or -1 (need more). */
static int
number_line(struct rs_cur *c)
{
    size_t n = 0;
    uint8_t ch = 0;
    while (n < 7 && rs_cur_peek_u8(c, n, &ch) && ch >= '0' && ch <= '9')
        n++;
    if (n == 7)
        return 0;
    if (!rs_cur_peek_u8(c, n, &ch))
        return -1;
    if (n == 0 || ch != '\r')
        return 0;
    if (!rs_cur_peek_u8(c, n + 1, &ch))
        return -1;
    if (ch != '\n')
        return 0;
    rs_cur_skip(c, n + 2);
    return 1;
}

enum rs_appid_verdict
rs_app_redis(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    (void)out;
    if (in->l4 != 6 || in->len == 0)
        return in->len == 0 ? RS_APPID_NEED_MORE : RS_APPID_NO;
    int port = rs_appid_port(in, 6379);
    struct rs_cur c = rs_cur_make(in->data, in->len);
    uint8_t first = in->data[0];
    if (in->side == 0) {
        if (first == '*') {
            rs_cur_skip(&c, 1);
            int r = number_line(&c);
            if (r <= 0)
                return r < 0 ? RS_APPID_NEED_MORE : RS_APPID_NO;
            uint8_t ch = 0;
            if (!rs_cur_peek_u8(&c, 0, &ch))
                return RS_APPID_NEED_MORE;
            if (ch != '$')
                return RS_APPID_NO;
            rs_cur_skip(&c, 1);
            r = number_line(&c);
            return r == 1 ? RS_APPID_MATCH : r < 0 ? RS_APPID_NEED_MORE : RS_APPID_NO;
        }
        if (!port)
            return RS_APPID_NO;
        static const char *const inl[] = {"PING\r\n", "AUTH ", "INFO\r\n", "HELLO"};
        int prefix = 0;
        for (size_t i = 0; i < sizeof inl / sizeof inl[0]; i++) {
            int r = rs_appid_lit(&c, inl[i]);
            if (r == 1)
                return RS_APPID_MATCH;
            prefix |= r < 0;
        }
        return prefix ? RS_APPID_NEED_MORE : RS_APPID_NO;
    }
    if (!port)
        return RS_APPID_NO;
    static const char *const rep[] = {"+OK\r\n", "+PONG\r\n", "-ERR ", "-NOAUTH ", "-WRONGPASS "};
    int prefix = 0;
    for (size_t i = 0; i < sizeof rep / sizeof rep[0]; i++) {
        int r = rs_appid_lit(&c, rep[i]);
        if (r == 1)
            return RS_APPID_MATCH;
        prefix |= r < 0;
    }
    if (first == '$' || first == '*' || first == ':') {
        rs_cur_skip(&c, 1);
        if (first == '$' && rs_appid_lit(&c, "-1\r\n") == 1)
            return RS_APPID_MATCH;
        int r = number_line(&c);
        return r == 1 ? RS_APPID_MATCH : r < 0 ? RS_APPID_NEED_MORE : RS_APPID_NO;
    }
    return prefix ? RS_APPID_NEED_MORE : RS_APPID_NO;
}
