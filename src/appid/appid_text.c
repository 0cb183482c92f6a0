/*
 * appid_text.c - bounded helpers the dissectors share: case-insensitive
 * literals, line and header scanning for the text protocols (HTTP, SIP,
 * RTSP, SMTP, ...), printable copies of names, and BER tag/length reading
 * for the ASN.1 ones (LDAP, Kerberos, SNMP).
 *
 * Every helper reads through a cursor and never past its window; a helper
 * that peeks does not consume.
 */
#include <string.h>

#include "appid/appid_int.h"

static int
lower(int ch)
{
    return ch >= 'A' && ch <= 'Z' ? ch + 32 : ch;
}

int
rs_appid_lit(const struct rs_cur *c, const char *lit)
{
    /* No strlen: most calls fail on the first byte. */
    size_t left = rs_cur_left(c);
    const uint8_t *p = rs_cur_ptr(c);
    for (size_t i = 0; lit[i]; i++) {
        if (i >= left)
            return -1;
        if (lower(p[i]) != lower((unsigned char)lit[i]))
            return 0;
    }
    return 1;
}

long
rs_appid_line_len(const struct rs_cur *c)
{
    size_t left = rs_cur_left(c);
    const uint8_t *p = rs_cur_ptr(c);
    /* memchr: libc's vector scan, a request line is tens of bytes. */
    const uint8_t *nl = left ? memchr(p, '\n', left) : NULL;
    if (!nl)
        return -1;
    size_t i = (size_t)(nl - p);
    return (long)(i > 0 && p[i - 1] == '\r' ? i - 1 : i);
}

int
rs_appid_contains(const struct rs_cur *c, size_t n, const char *needle)
{
    size_t left = rs_cur_left(c), k = strlen(needle);
    const uint8_t *p = rs_cur_ptr(c);
    if (n > left)
        n = left;
    if (k == 0)
        return 1;
    for (size_t i = 0; i + k <= n; i++) {
        size_t j = 0;
        while (j < k && lower(p[i + j]) == lower((unsigned char)needle[j]))
            j++;
        if (j == k)
            return 1;
    }
    return 0;
}

int
rs_appid_memfind(const uint8_t *p, size_t n, const void *needle, size_t k)
{
    const uint8_t *q = needle;
    if (k == 0)
        return 1;
    for (size_t i = 0; i + k <= n; i++)
        if (p[i] == q[0] && memcmp(p + i, q, k) == 0)
            return 1;
    return 0;
}

void
rs_appid_copy_text(struct rs_cur *c, size_t n, char *dst, size_t dlen)
{
    if (!dlen)
        return;
    size_t left = rs_cur_left(c);
    if (n > left)
        n = left;
    const uint8_t *p = rs_cur_ptr(c);
    rs_cur_skip(c, n);
    size_t lo = 0, hi = n;
    while (lo < hi && (p[lo] == ' ' || p[lo] == '\t'))
        lo++;
    while (hi > lo && (p[hi - 1] == ' ' || p[hi - 1] == '\t'))
        hi--;
    size_t o = 0;
    for (size_t i = lo; i < hi && o + 1 < dlen; i++)
        dst[o++] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
    dst[o] = '\0';
}

int
rs_appid_header(const struct rs_cur *c0, const char *name, char *dst, size_t dlen)
{
    struct rs_cur c = *c0;
    size_t nlen = strlen(name);
    /* Header lines are bounded by the cursor; each turn consumes one line. */
    for (;;) {
        long ll = rs_appid_line_len(&c);
        if (ll < 0)
            return -1;
        if (ll == 0)
            return 0; /* blank line: end of the header block (RFC 9112 §2.1) */
        struct rs_cur line = c;
        line.len = line.off + (size_t)ll;
        if (rs_appid_lit(&line, name) == 1) {
            struct rs_cur v = line;
            rs_cur_skip(&v, nlen);
            uint8_t ch = 0;
            /* RFC 9110 §5.1: field-name ":" OWS field-value OWS */
            if (rs_cur_peek_u8(&v, 0, &ch) && ch == ':') {
                rs_cur_skip(&v, 1);
                rs_appid_copy_text(&v, rs_cur_left(&v), dst, dlen);
                return 1;
            }
        }
        /* next line: past the LF */
        size_t adv = (size_t)ll;
        uint8_t ch = 0;
        if (rs_cur_peek_u8(&c, adv, &ch) && ch == '\r')
            adv++;
        rs_cur_skip(&c, adv + 1);
        if (c.err)
            return -1;
    }
}

int
rs_appid_ber(struct rs_cur *c, struct rs_cur *val, int *full)
{
    *full = 0;
    uint8_t tag = rs_cur_u8(c);
    uint8_t l0 = rs_cur_u8(c);
    if (c->err)
        return -1;
    if ((tag & 0x1f) == 0x1f)
        return -1; /* high tag numbers: not used by the protocols we look at */
    size_t len;
    if (l0 < 0x80) {
        len = l0;
    } else {
        /* X.690 §8.1.3.5: long form, 1..4 length octets; 0x80 (indefinite)
         * is not allowed in DER and not used by these protocols. */
        unsigned n = l0 & 0x7fu;
        if (n == 0 || n > 4)
            return -1;
        len = 0;
        for (unsigned i = 0; i < n; i++)
            len = (len << 8) | rs_cur_u8(c);
        if (c->err)
            return -1;
    }
    size_t left = rs_cur_left(c);
    *full = len <= left;
    *val = rs_cur_sub(c, len <= left ? len : left);
    return tag;
}
