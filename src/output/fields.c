/*
 * fields.c - the field table: every record field named once, in SPEC §2
 * order (uid first), with a getter that renders it as plain text.
 *
 * jsonl, csv and anything else that wants "all fields" walk rs_fields, so a
 * new field is added here and appears in every format with the same name.
 * Getters do no escaping; the writer escapes for its own syntax. Numbers go
 * through rs_output_u64 rather than printf: at a million records the format
 * string parsing is a measurable share of the jsonl writer's time.
 */
#include <stddef.h>
#include <string.h>

#include "field_list.h"
#include "output_int.h"

/* "00".."99": two digits per division halves the work for typical counters. */
static const char digit_pairs[201] = "00010203040506070809101112131415161718192021222324"
                                     "25262728293031323334353637383940414243444546474849"
                                     "50515253545556575859606162636465666768697071727374"
                                     "75767778798081828384858687888990919293949596979899";

/* Number of decimal digits of v (1 for 0). */
static inline size_t
digits_u64(uint64_t v)
{
    size_t n = 1;
    for (;;) {
        if (v < 10)
            return n;
        if (v < 100)
            return n + 1;
        if (v < 1000)
            return n + 2;
        if (v < 10000)
            return n + 3;
        v /= 10000;
        n += 4;
    }
}

/* The digits of v right-aligned to end just before `end`, two at a time. */
static inline void
put_digits(char *end, uint64_t v)
{
    while (v >= 100) {
        size_t d = (size_t)(v % 100) * 2;
        v /= 100;
        *--end = digit_pairs[d + 1];
        *--end = digit_pairs[d];
    }
    if (v >= 10) {
        *--end = digit_pairs[(size_t)v * 2 + 1];
        *--end = digit_pairs[(size_t)v * 2];
    } else {
        *--end = (char)('0' + v);
    }
}

/* Written in place, its length counted first: a million records are
 * fifteen million numbers, and a copy from a scratch buffer was a call to
 * memcpy for each. */
size_t
rs_output_u64(char *buf, uint64_t v)
{
    size_t n = digits_u64(v);
    put_digits(buf + n, v);
    buf[n] = '\0';
    return n;
}

size_t
rs_output_secs(char *buf, rs_time_ns ns)
{
    size_t n = 0;
    uint64_t mag;

    if (ns < 0) {
        buf[n++] = '-';
        /* -(ns + 1) + 1 cannot overflow, even for INT64_MIN. */
        mag = (uint64_t)(-(ns + 1)) + 1;
    } else {
        mag = (uint64_t)ns;
    }
    uint64_t us = mag / 1000 + (mag % 1000 >= 500 ? 1 : 0);
    /* The whole seconds of a record's times are mostly those of a record
     * just before (records come in the order sessions end, so their end
     * times climb slowly and their start times a little behind): the last
     * two are kept per thread, with their digits, and copied (10 bytes)
     * instead of worked out again, about 90 instructions a time. One entry
     * missed 62% of the time on the bench captures, as start and end
     * alternate. */
    static _Thread_local struct {
        uint64_t secs;
        size_t n;
        char d[RS_NUM_MAX];
    } memo[2] = {{UINT64_MAX, 0, {0}}, {UINT64_MAX, 0, {0}}};
    static _Thread_local unsigned memo_old;
    uint64_t secs = us / 1000000;
    if (secs < 10) {
        /* A duration, mostly: one digit, and the memo is left to the
         * times around it. */
        buf[n++] = (char)('0' + secs);
    } else {
        unsigned i = secs == memo[0].secs ? 0 : secs == memo[1].secs ? 1 : 2;
        if (i == 2) {
            i = memo_old;
            memo[i].n = rs_output_u64(memo[i].d, secs);
            memo[i].secs = secs;
        }
        memo_old = i ^ 1u;              /* the other one is now the older */
        memcpy(buf + n, memo[i].d, 16); /* fixed size: one move; RS_NUM_MAX > 16 */
        if (memo[i].n > 16)
            memcpy(buf + n + 16, memo[i].d + 16, memo[i].n - 16);
        n += memo[i].n;
    }
    uint32_t frac = (uint32_t)(us % 1000000);
    put_digits(buf + n + 7, frac + 1000000u); /* the leading 1 lands on the '.' */
    buf[n] = '.';
    n += 7;
    buf[n] = '\0';
    return n;
}

/* Copies as much of s[0..n) as fits, NUL-terminated; returns the length. */
static size_t
put_str(char *buf, size_t len, const char *s, size_t n)
{
    if (len == 0)
        return 0;
    if (n > len - 1)
        n = len - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return n;
}

/* Numbers go straight into a buffer that has room for any (the writers'
 * line buffers), through a scratch copy only into a smaller one. */
static size_t
put_u64(char *buf, size_t len, uint64_t v, uint64_t *num)
{
    if (num)
        *num = v;
    if (len >= RS_NUM_MAX)
        return rs_output_u64(buf, v);
    char tmp[RS_NUM_MAX];
    size_t n = rs_output_u64(tmp, v);
    return put_str(buf, len, tmp, n);
}

static size_t
put_secs(char *buf, size_t len, rs_time_ns t)
{
    if (len >= RS_NUM_MAX)
        return rs_output_secs(buf, t);
    char tmp[RS_NUM_MAX];
    size_t n = rs_output_secs(tmp, t);
    return put_str(buf, len, tmp, n);
}

/* One getter (and the writers' shortcut) per field, made from the list in
 * field_list.h. */
#define GET_STR(fname)                                                                             \
    static size_t get_##fname(const struct rs_record *r, char *buf, size_t len, uint64_t *num)     \
    {                                                                                              \
        (void)num;                                                                                 \
        return put_str(buf, len, r->fname, RS_STRLEN(r->fname));                                   \
    }                                                                                              \
    static const char *str_##fname(const struct rs_record *r, size_t *n)                           \
    {                                                                                              \
        *n = RS_STRLEN(r->fname);                                                                  \
        return r->fname;                                                                           \
    }

#define GET_TIME(fname, expr, type)                                                                \
    static size_t get_##fname(const struct rs_record *r, char *buf, size_t len, uint64_t *num)     \
    {                                                                                              \
        (void)num;                                                                                 \
        return put_secs(buf, len, (expr));                                                         \
    }

#define GET_NAME(fname, expr)                                                                      \
    static size_t get_##fname(const struct rs_record *r, char *buf, size_t len, uint64_t *num)     \
    {                                                                                              \
        (void)num;                                                                                 \
        const char *s = (expr);                                                                    \
        return put_str(buf, len, s, strlen(s));                                                    \
    }                                                                                              \
    static const char *str_##fname(const struct rs_record *r, size_t *n)                           \
    {                                                                                              \
        const char *s = (expr);                                                                    \
        *n = strlen(s);                                                                            \
        return s;                                                                                  \
    }

#define GET_ADDR(fname)                                                                            \
    static size_t get_##fname(const struct rs_record *r, char *buf, size_t len, uint64_t *num)     \
    {                                                                                              \
        (void)num;                                                                                 \
        return rs_addr_format(&r->fname, buf, len);                                                \
    }

#define GET_NUM(fname)                                                                             \
    static size_t get_##fname(const struct rs_record *r, char *buf, size_t len, uint64_t *num)     \
    {                                                                                              \
        return put_u64(buf, len, (uint64_t)r->fname, num);                                         \
    }                                                                                              \
    static uint64_t u64_##fname(const struct rs_record *r)                                         \
    {                                                                                              \
        return (uint64_t)r->fname;                                                                 \
    }

#define GET_FLAGS(fname)                                                                           \
    static size_t get_##fname(const struct rs_record *r, char *buf, size_t len, uint64_t *num)     \
    {                                                                                              \
        (void)num;                                                                                 \
        return rs_rst_flags_format(r->fname, buf, len);                                            \
    }

RS_FIELD_LIST(GET_STR, GET_TIME, GET_NAME, GET_ADDR, GET_NUM, GET_FLAGS)

#define MEMBER_SIZE(m) sizeof(((struct rs_record *)0)->m)
/* clang-format off */
/* A record string or number is read where it is (the writers' shortcut). */
#define ROW_STR(name) {#name, RS_FT_STR, get_##name, str_##name, NULL, RS_FA_STR,                  \
                       offsetof(struct rs_record, name), MEMBER_SIZE(name)},
#define ROW_TIME(name, expr, type) {#name, type, get_##name, NULL, NULL, RS_FA_NONE, 0, 0},
#define ROW_NAME(name, expr) {#name, RS_FT_STR, get_##name, str_##name, NULL, RS_FA_NONE, 0, 0},
#define ROW_ADDR(name) {#name, RS_FT_ADDR, get_##name, NULL, NULL, RS_FA_NONE, 0, 0},
#define ROW_NUM(name) {#name, RS_FT_U64, get_##name, NULL, u64_##name,                            \
                       MEMBER_SIZE(name) == 2 ? RS_FA_U16 : RS_FA_U64,                             \
                       offsetof(struct rs_record, name), MEMBER_SIZE(name)},
#define ROW_FLAGS(name) {#name, RS_FT_STR, get_##name, NULL, NULL, RS_FA_NONE, 0, 0},
/* clang-format on */
_Static_assert(sizeof(struct rs_record) <= 65535, "field offsets fit");

const struct rs_field rs_fields[] = {
    RS_FIELD_LIST(ROW_STR, ROW_TIME, ROW_NAME, ROW_ADDR, ROW_NUM, ROW_FLAGS)};

const size_t rs_n_fields = sizeof rs_fields / sizeof rs_fields[0];
