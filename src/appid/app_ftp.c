/*
 * app_ftp.c - FTP control connection (RFC 959).
 *
 * The server greets first: "220" (or "120" then "220") SP/"-" text (RFC 959
 * §5.4). SMTP greets with "220" too, so a greeting that names neither only
 * marks the session and the client's first command decides (USER, AUTH of
 * RFC 2228/4217, FEAT of RFC 2389, ...). A client-only capture needs the
 * FTP port for USER, which POP3 shares. Followed for AUTH TLS ("ftp,ssl").
 */
#include <string.h>

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

/* ---- data channels announced on the control connection ---- */

/* Skips spaces; the next byte, or -1 at the line's end. */
static int
peek_nonspace(struct rs_cur *c)
{
    uint8_t b;
    while (rs_cur_peek_u8(c, 0, &b) && b == ' ')
        rs_cur_skip(c, 1);
    return rs_cur_peek_u8(c, 0, &b) ? b : -1;
}

/* A decimal number of at most `digits` digits, up to `max`; -1 if none. */
static long
number(struct rs_cur *c, int digits, long max)
{
    long v = 0;
    int n = 0;
    uint8_t b;
    while (rs_cur_peek_u8(c, 0, &b) && b >= '0' && b <= '9') {
        if (++n > digits)
            return -1;
        v = v * 10 + (b - '0');
        rs_cur_skip(c, 1);
    }
    return n == 0 || v > max ? -1 : v;
}

/* "h1,h2,h3,h4,p1,p2" (RFC 959 §4.1.2's host-port), spaces allowed around
 * the numbers as some servers write them. */
static int
host_port(struct rs_cur *c, struct rs_ftp_expect *x)
{
    long v[6];
    for (int i = 0; i < 6; i++) {
        if (i > 0) {
            if (peek_nonspace(c) != ',')
                return 0;
            rs_cur_skip(c, 1);
        }
        peek_nonspace(c);
        if ((v[i] = number(c, 3, 255)) < 0)
            return 0;
    }
    uint8_t a[4] = {(uint8_t)v[0], (uint8_t)v[1], (uint8_t)v[2], (uint8_t)v[3]};
    rs_addr_from_v4(&x->addr, a);
    x->has_addr = 1;
    x->port = (uint16_t)(v[4] << 8 | v[5]);
    return x->port != 0;
}

/* RFC 2428's "<d><net-prt><d><net-addr><d><tcp-port><d>": the delimiter is
 * the first byte (ASCII 33-126); a 229 reply leaves protocol and address
 * empty. */
static int
extended(struct rs_cur *c, struct rs_ftp_expect *x, int want_addr)
{
    uint8_t d;
    if (!rs_cur_peek_u8(c, 0, &d) || d < 33 || d > 126)
        return 0;
    rs_cur_skip(c, 1);
    /* The protocol and the address, up to the next delimiters. */
    const uint8_t *field[2];
    size_t flen[2];
    for (int i = 0; i < 2; i++) {
        field[i] = rs_cur_ptr(c);
        flen[i] = 0;
        uint8_t b;
        while (rs_cur_peek_u8(c, 0, &b) && b != d && b != '\r' && b != '\n') {
            rs_cur_skip(c, 1);
            flen[i]++;
        }
        if (!rs_cur_peek_u8(c, 0, &b) || b != d)
            return 0;
        rs_cur_skip(c, 1);
    }
    long port = number(c, 5, 65535);
    uint8_t b;
    if (port <= 0 || !rs_cur_peek_u8(c, 0, &b) || b != d)
        return 0;
    x->port = (uint16_t)port;
    x->has_addr = 0;
    if (!want_addr)
        return 1;
    /* 1 is IPv4, 2 IPv6 (RFC 2428 §2: address family numbers). */
    if (flen[0] != 1 || (field[0][0] != '1' && field[0][0] != '2') || flen[1] == 0 || flen[1] >= 64)
        return 0;
    char text[64];
    memcpy(text, field[1], flen[1]);
    text[flen[1]] = '\0';
    if (rs_addr_parse(&x->addr, text) != 0 || rs_addr_is_v4(&x->addr) != (field[0][0] == '1'))
        return 0;
    x->has_addr = 1;
    return 1;
}

/* One line of the control connection (without its end). */
static int
expect_line(struct rs_cur line, int side, struct rs_ftp_expect *x)
{
    memset(x, 0, sizeof *x);
    if (side == 0) {
        x->by_server = 1;
        if (rs_appid_lit(&line, "PORT ") == 1) {
            rs_cur_skip(&line, 5);
            peek_nonspace(&line);
            return host_port(&line, x);
        }
        if (rs_appid_lit(&line, "EPRT ") == 1) {
            rs_cur_skip(&line, 5);
            peek_nonspace(&line);
            return extended(&line, x, 1);
        }
        return 0;
    }
    int pasv = rs_appid_lit(&line, "227 ") == 1, epsv = rs_appid_lit(&line, "229 ") == 1;
    if (!pasv && !epsv)
        return 0;
    rs_cur_skip(&line, 4);
    /* The numbers follow a '(' in the text (RFC 959 leaves the text free
     * and not every server writes the parenthesis: then the first digit). */
    uint8_t b;
    size_t at = 0;
    while (rs_cur_peek_u8(&line, at, &b) && b != '(')
        at++;
    if (rs_cur_peek_u8(&line, at, &b)) {
        rs_cur_skip(&line, at + 1);
    } else if (pasv) {
        while (rs_cur_peek_u8(&line, 0, &b) && (b < '0' || b > '9'))
            rs_cur_skip(&line, 1);
    } else {
        return 0;
    }
    return pasv ? host_port(&line, x) : extended(&line, x, 0);
}

size_t
rs_ftp_expect_parse(const uint8_t *seg, size_t len, int side, struct rs_ftp_expect *out, size_t max)
{
    struct rs_cur c = rs_cur_make(seg, len);
    size_t n = 0;
    while (n < max && rs_cur_left(&c) > 0) {
        long ll = rs_appid_line_len(&c);
        if (ll < 0)
            break; /* a line cut at the segment's end: not read */
        struct rs_cur line = rs_cur_sub(&c, (size_t)ll);
        if (expect_line(line, side, &out[n]))
            n++;
        /* past the line end: LF, or CR LF */
        uint8_t b;
        if (rs_cur_peek_u8(&c, 0, &b) && b == '\r')
            rs_cur_skip(&c, 1);
        rs_cur_skip(&c, 1);
    }
    return n;
}
