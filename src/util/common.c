/*
 * common.c - error formatting and address helpers shared by every module.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <rstscope/common.h>

int
rs_error_set(struct rs_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

static const uint8_t v4_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

void
rs_addr_from_v4(struct rs_addr *a, const uint8_t v4[4])
{
    /* Two 8-byte stores, the halves the flow hash loads right after (a
     * 12-byte then a 4-byte store made its load of bytes 8-15 wait for
     * both stores to reach the cache instead of being forwarded). */
    const uint8_t hi[8] = {0, 0, 0xff, 0xff, v4[0], v4[1], v4[2], v4[3]};
    memset(a->b, 0, 8);
    memcpy(a->b + 8, hi, 8);
}

int
rs_addr_is_v4(const struct rs_addr *a)
{
    return memcmp(a->b, v4_prefix, 12) == 0;
}

/* Dotted quad of q[0..3] at p; returns the end. */
static char *
put_quad(char *p, const uint8_t *q)
{
    for (int i = 0; i < 4; i++) {
        unsigned v = q[i];
        if (v >= 100) {
            *p++ = (char)('0' + v / 100);
            v %= 100;
            *p++ = (char)('0' + v / 10);
        } else if (v >= 10) {
            *p++ = (char)('0' + v / 10);
        }
        *p++ = (char)('0' + v % 10);
        *p++ = '.';
    }
    return p - 1;
}

/*
 * IPv6 text as glibc's inet_ntop writes it, without its sprintf per group
 * (some 3,300 instructions an address): RFC 5952 §4 (lowercase hex without
 * leading zeros, the longest run of two or more zero groups as "::", the
 * first of equal runs), and, like inet_ntop, an IPv4-compatible or -mapped
 * address (RFC 4291 §2.5.5) ending in a dotted quad. The unit test holds the two to the same bytes. buf has room for
 * INET6_ADDRSTRLEN bytes.
 */
static size_t
format_v6(const uint8_t *b, char *buf)
{
    static const char hex[] = "0123456789abcdef";
    unsigned w[8];
    int best = -1, best_len = 0, cur = -1, cur_len = 0;
    for (int i = 0; i < 8; i++) {
        w[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
        if (w[i] == 0) {
            if (cur < 0)
                cur = i, cur_len = 0;
            cur_len++;
            if (cur_len > best_len)
                best = cur, best_len = cur_len;
        } else {
            cur = -1;
        }
    }
    if (best_len < 2)
        best = -1;
    char *p = buf;
    for (int i = 0; i < 8; i++) {
        if (best >= 0 && i >= best && i < best + best_len) {
            if (i == best)
                *p++ = ':';
            continue;
        }
        if (i != 0)
            *p++ = ':';
        if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff))) {
            p = put_quad(p, b + 12);
            break;
        }
        unsigned v = w[i];
        if (v >= 0x1000)
            *p++ = hex[v >> 12];
        if (v >= 0x100)
            *p++ = hex[(v >> 8) & 15];
        if (v >= 0x10)
            *p++ = hex[(v >> 4) & 15];
        *p++ = hex[v & 15];
    }
    if (best >= 0 && best + best_len == 8)
        *p++ = ':';
    *p = '\0';
    return (size_t)(p - buf);
}

size_t
rs_addr_format(const struct rs_addr *a, char *buf, size_t len)
{
    if (len == 0)
        return 0;
    if (rs_addr_is_v4(a) && len >= 16) {
        /* Dotted quad by hand: inet_ntop goes through sprintf, some 2,000
         * instructions an address, and records and explanations print
         * four of them. */
        char *p = put_quad(buf, a->b + 12);
        *p = '\0';
        return (size_t)(p - buf);
    }
    if (!rs_addr_is_v4(a) && len >= INET6_ADDRSTRLEN)
        return format_v6(a->b, buf);
    const char *ok = rs_addr_is_v4(a) ? inet_ntop(AF_INET, a->b + 12, buf, (socklen_t)len)
                                      : inet_ntop(AF_INET6, a->b, buf, (socklen_t)len);
    if (!ok) {
        buf[0] = '\0';
        return 0;
    }
    return strlen(buf);
}

int
rs_addr_parse(struct rs_addr *a, const char *s)
{
    uint8_t v4[4];
    if (inet_pton(AF_INET, s, v4) == 1) {
        rs_addr_from_v4(a, v4);
        return 0;
    }
    if (inet_pton(AF_INET6, s, a->b) == 1)
        return 0;
    return -1;
}
