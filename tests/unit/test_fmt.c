/*
 * test_fmt.c - rs_fmt (src/util/fmt.c) gives snprintf's bytes and return
 * value: every conversion it handles itself, against glibc, on edge values,
 * millions of random doubles (ties and near-ties of %.Nf included), every
 * buffer size, and formats it hands over to vsnprintf.
 */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util/fmt.h"

/* The formats below come from tables on purpose: the same one goes to both. */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

static uint64_t rng = UINT64_C(0x9e3779b97f4a7c15);

static uint64_t
next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* One double through "%.Nf", both ways, in a roomy buffer. */
static void
check_f(double x, int prec)
{
    static const char *const f[] = {"%.0f", "%.1f", "%.2f", "%.3f", "%.4f",
                                    "%.5f", "%.6f", "%.7f", "%.8f", "%.9f"};
    char a[512], b[512];
    int na = rs_fmt(a, sizeof a, f[prec], x);
    int nb = snprintf(b, sizeof b, f[prec], x);
    if (na != nb || strcmp(a, b) != 0)
        fail_msg("%%.%df of %.17g: rs_fmt \"%s\" (%d), snprintf \"%s\" (%d)", prec, x, a, na, b,
                 nb);
}

static void
test_fixed_edges(void **state)
{
    (void)state;
    const double v[] = {
        0.0,     -0.0,     0.5,       1.5,         2.5,      0.125,     0.0005,
        0.0015,  0.0025,   1.0005,    999999.9995, 123.456,  -0.0004,   -0.0005,
        -1.5,    1e9,      1e9 - 0.5, 1e15,        1e300,    -1e300,    DBL_MIN,
        DBL_MAX, INFINITY, -INFINITY, NAN,         0.999999, 0.9999995, 4503599627370496.5};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        for (int p = 0; p <= 9; p++)
            check_f(v[i], p);
    check_f(6.0 / 1e9, 3);
    check_f(0.0, 6);
    /* "%f" is "%.6f" */
    char a[64], b[64];
    assert_int_equal(rs_fmt(a, sizeof a, "%f", 3.14159265),
                     snprintf(b, sizeof b, "%f", 3.14159265));
    assert_string_equal(a, b);
}

static void
test_fixed_random(void **state)
{
    (void)state;
    for (int i = 0; i < 1000000; i++) {
        uint64_t r = next();
        int prec = (int)(r % 10);
        double x;
        switch ((r >> 8) % 4) {
        case 0: /* durations as the diagnosis computes them: ns / 1e9, ns / 1e6 */
            x = (double)(int64_t)(next() % UINT64_C(100000000000000)) / ((r >> 12) & 1 ? 1e9 : 1e6);
            break;
        case 1: /* exact ties and their neighbours at every precision */
            x = ((double)(next() % 2000000) + 0.5) / pow(10, prec);
            x = nextafter(x, (r >> 12) & 1 ? INFINITY : -INFINITY);
            if ((r >> 13) & 1)
                x = ((double)(next() % 2000000) + 0.5) / pow(10, prec);
            break;
        case 2: /* any bit pattern that is finite */
            do {
                uint64_t bits = next();
                memcpy(&x, &bits, sizeof x);
            } while (!isfinite(x));
            break;
        default: /* small magnitudes of either sign */
            x = ((double)(int64_t)next() / (double)INT64_MAX) * pow(10, (double)(next() % 12) - 3);
            break;
        }
        check_f(x, prec);
    }
}

static void
test_integers_and_strings(void **state)
{
    (void)state;
    char a[256], b[256];
    for (int i = 0; i < 200000; i++) {
        uint64_t u = next() >> (next() % 64);
        int64_t s = (int64_t)next() >> (next() % 64);
        int na = rs_fmt(a, sizeof a, "%llu|%lld|%u|%d|%lu|%ld|%zu|%x|%c|%s|%%",
                        (unsigned long long)u, (long long)s, (unsigned)u, (int)s, (unsigned long)u,
                        (long)s, (size_t)u, (unsigned)u, (int)('a' + u % 26), i % 2 ? "text" : "");
        int nb =
            snprintf(b, sizeof b, "%llu|%lld|%u|%d|%lu|%ld|%zu|%x|%c|%s|%%", (unsigned long long)u,
                     (long long)s, (unsigned)u, (int)s, (unsigned long)u, (long)s, (size_t)u,
                     (unsigned)u, (int)('a' + u % 26), i % 2 ? "text" : "");
        assert_int_equal(na, nb);
        assert_string_equal(a, b);
    }
    const long long ext[] = {LLONG_MIN, LLONG_MAX, 0, -1, INT_MIN, INT_MAX};
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        assert_int_equal(rs_fmt(a, sizeof a, "%lld %d", ext[i], (int)ext[i]),
                         snprintf(b, sizeof b, "%lld %d", ext[i], (int)ext[i]));
        assert_string_equal(a, b);
    }
}

/* A diagnosis-like format cut at every buffer size: same bytes, same NUL,
 * same return value (the length it would have had), nothing past size. */
static void
test_truncation(void **state)
{
    (void)state;
    const char *fmt = "Packet %llu: the %s reset after %.3f s (%u, %d%%).";
    char a[128], b[128];
    int full = snprintf(b, sizeof b, fmt, 123456ULL, "server", 1.2345678, 42u, -7);
    for (size_t size = 0; size <= (size_t)full + 2; size++) {
        memset(a, 'X', sizeof a);
        memset(b, 'X', sizeof b);
        int na = rs_fmt(a, size, fmt, 123456ULL, "server", 1.2345678, 42u, -7);
        int nb = snprintf(b, size, fmt, 123456ULL, "server", 1.2345678, 42u, -7);
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, sizeof a);
    }
}

/* Formats it does not handle itself still come out as printf's. */
static void
test_fallback(void **state)
{
    (void)state;
    char a[128], b[128];
    assert_int_equal(
        rs_fmt(a, sizeof a, "[%5d|%-4s|%02x|%e|%g|%p]", 42, "ab", 7u, 1.5, 0.1, (void *)a),
        snprintf(b, sizeof b, "[%5d|%-4s|%02x|%e|%g|%p]", 42, "ab", 7u, 1.5, 0.1, (void *)a));
    assert_string_equal(a, b);
    /* a handled conversion before an unhandled one: the arguments are
     * read again from the start */
    assert_int_equal(rs_fmt(a, sizeof a, "%s %.3f %+d", "x", 2.0005, 5),
                     snprintf(b, sizeof b, "%s %.3f %+d", "x", 2.0005, 5));
    assert_string_equal(a, b);
    assert_int_equal(rs_fmt(a, sizeof a, "%.12f", 1.0 / 3),
                     snprintf(b, sizeof b, "%.12f", 1.0 / 3));
    assert_string_equal(a, b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_edges),
        cmocka_unit_test(test_fixed_random),
        cmocka_unit_test(test_integers_and_strings),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_fallback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
