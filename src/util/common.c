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

size_t
rs_addr_format(const struct rs_addr *a, char *buf, size_t len)
{
    if (len == 0)
        return 0;
    if (rs_addr_is_v4(a) && len >= 16) {
        /* Dotted quad by hand: inet_ntop goes through sprintf, some 2,000
         * instructions an address, and records and explanations print
         * four of them. */
        char *p = buf;
        for (int i = 12; i < 16; i++) {
            unsigned v = a->b[i];
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
        *--p = '\0';
        return (size_t)(p - buf);
    }
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
