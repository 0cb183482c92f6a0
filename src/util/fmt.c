/*
 * fmt.c - snprintf for the conversions explanations use, without stdio.
 *
 * Every session that ends with a reset gets an explanation and a hint
 * written from a format (diagnose.c's SAY/HINT, verdict.c): glibc's
 * vsnprintf sets up a FILE, walks the locale and formats doubles with
 * multi-precision arithmetic, a few thousand instructions per call, more
 * than all the packets of a short session cost. rs_fmt does the same job
 * for what those formats hold, and gives the same bytes:
 *
 *   %s %c %d %u %x %ld %lu %lld %llu %zu %%   as printf
 *   %.Nf (N <= 9)                               see fixed() below
 *
 * Anything else in the format (flags, widths, other conversions) makes
 * the whole call go to vsnprintf, so the result is always printf's.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util/fmt.h"

struct out {
    char *buf;
    size_t size; /* room in buf, NUL included */
    size_t n;    /* length of the full result so far (may exceed size) */
};

static void
put(struct out *o, const char *s, size_t len)
{
    if (o->n + 1 < o->size) {
        size_t room = o->size - 1 - o->n;
        memcpy(o->buf + o->n, s, len < room ? len : room);
    }
    o->n += len;
}

static void
put_u64(struct out *o, uint64_t v, unsigned base)
{
    char tmp[24];
    size_t i = sizeof tmp;
    do {
        unsigned d = (unsigned)(v % base);
        tmp[--i] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v /= base;
    } while (v);
    put(o, tmp + i, sizeof tmp - i);
}

static void
put_i64(struct out *o, int64_t v)
{
    if (v < 0) {
        put(o, "-", 1);
        put_u64(o, (uint64_t)0 - (uint64_t)v, 10);
    } else {
        put_u64(o, (uint64_t)v, 10);
    }
}

/*
 * %.Nf without multi-precision arithmetic. printf rounds the exact value of
 * the double x to N decimals (to even on an exact tie). y = x * 10^N in
 * double is within |y| * 2^-53 of the exact product; below 1e9 that is
 * under 1.2e-7, so unless y's fraction lies within 1e-6 of one half, y
 * rounds the same way as the exact product. The rest (ties and near-ties,
 * large values, infinities, NaN) is left to snprintf: returns 0 then.
 */
static int
fixed(struct out *o, double x, unsigned prec)
{
    static const double p10[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
    static const uint64_t u10[] = {1,      10,      100,      1000,      10000,
                                   100000, 1000000, 10000000, 100000000, 1000000000};
    if (prec > 9 || !isfinite(x))
        return 0;
    int neg = signbit(x) != 0;
    double y = fabs(x) * p10[prec];
    if (!(y < 1e9))
        return 0;
    double fl = floor(y), frac = y - fl;
    if (fabs(frac - 0.5) < 1e-6)
        return 0;
    uint64_t r = (uint64_t)fl + (frac > 0.5);
    if (neg)
        put(o, "-", 1);
    put_u64(o, r / u10[prec], 10);
    if (prec) {
        char tmp[10];
        uint64_t f = r % u10[prec];
        for (unsigned i = prec; i-- > 0; f /= 10)
            tmp[i] = (char)('0' + f % 10);
        put(o, ".", 1);
        put(o, tmp, prec);
    }
    return 1;
}

/* Formats into o; 0 when the format holds something only printf does. */
static int
format(struct out *o, const char *fmt, va_list ap)
{
    const char *p = fmt;
    for (;;) {
        const char *pct = strchr(p, '%');
        if (!pct) {
            put(o, p, strlen(p));
            return 1;
        }
        put(o, p, (size_t)(pct - p));
        p = pct + 1;
        unsigned prec = 0;
        int has_prec = 0;
        if (*p == '.') { /* only %.Nf */
            p++;
            if (*p < '0' || *p > '9')
                return 0;
            while (*p >= '0' && *p <= '9' && prec < 100)
                prec = prec * 10 + (unsigned)(*p++ - '0');
            if (*p != 'f')
                return 0;
            has_prec = 1;
        }
        int lng = 0, size_t_arg = 0;
        while (*p == 'l' && lng < 2) {
            lng++;
            p++;
        }
        if (*p == 'z') {
            size_t_arg = 1;
            p++;
        }
        switch (*p++) {
        case '%':
            if (lng || size_t_arg || has_prec)
                return 0;
            put(o, "%", 1);
            break;
        case 's': {
            if (lng || size_t_arg || has_prec)
                return 0;
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            put(o, s, strlen(s));
            break;
        }
        case 'c': {
            if (lng || size_t_arg || has_prec)
                return 0;
            char ch = (char)va_arg(ap, int);
            put(o, &ch, 1);
            break;
        }
        case 'd':
            if (size_t_arg || has_prec)
                return 0;
            put_i64(o, lng == 2 ? va_arg(ap, long long) : lng ? va_arg(ap, long) : va_arg(ap, int));
            break;
        case 'u':
        case 'x': {
            if (has_prec)
                return 0;
            unsigned base = p[-1] == 'x' ? 16 : 10;
            uint64_t v = size_t_arg ? va_arg(ap, size_t)
                         : lng == 2 ? va_arg(ap, unsigned long long)
                         : lng      ? va_arg(ap, unsigned long)
                                    : va_arg(ap, unsigned);
            put_u64(o, v, base);
            break;
        }
        case 'f': {
            if (lng || size_t_arg)
                return 0;
            double x = va_arg(ap, double);
            if (!has_prec)
                prec = 6;
            if (!fixed(o, x, prec)) {
                char tmp[400];
                int k = snprintf(tmp, sizeof tmp, "%.*f", (int)prec, x);
                if (k < 0 || (size_t)k >= sizeof tmp)
                    return 0;
                put(o, tmp, (size_t)k);
            }
            break;
        }
        default:
            return 0;
        }
    }
}

int
rs_vfmt(char *buf, size_t size, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    struct out o = {buf, size, 0};
    int ok = format(&o, fmt, ap);
    int n;
    if (ok && o.n <= INT32_MAX) {
        if (size)
            buf[o.n < size ? o.n : size - 1] = '\0';
        n = (int)o.n;
    } else {
        n = vsnprintf(buf, size, fmt, again);
    }
    va_end(again);
    return n;
}

int
rs_fmt(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = rs_vfmt(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
