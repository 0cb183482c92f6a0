/*
 * out_csv.c - RFC 4180 CSV with a header line of the rs_fields names.
 *
 * Lines end in LF, not RFC 4180's CRLF: every consumer we care about (Python
 * csv, pandas, spreadsheets, awk) accepts LF, and LF keeps the file friendly
 * to grep and diff. A field is quoted only when it has to be (it contains a
 * comma, a quote, CR or LF; RFC 4180 §2.6), so ordinary rows stay readable.
 * Empty strings are empty fields.
 *
 * Like the jsonl writer, a row is straight-line code made from the field
 * list (field_list.h), written in place into the line buffer after one
 * reservation of the longest row a record can make: no walk of the field
 * table, no getter call and no capacity check per field.
 */
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "field_list.h"
#include "output_int.h"

struct csv_state {
    size_t worst; /* the longest row, with its newline and a NUL */
};

static int
csv_start(struct rs_writer *w)
{
    struct csv_state *st = malloc(sizeof *st);
    if (!st)
        return RS_ERR_NOMEM;
    st->worst = 2;
    for (size_t i = 0; i < rs_n_fields; i++) {
        const struct rs_field *f = &rs_fields[i];
        if (i > 0)
            rs_obuf_putc(&w->ob, ',');
        rs_obuf_puts(&w->ob, f->name);
        /* the comma, then a number, or a string quoted with every byte a quote */
        int text = f->type == RS_FT_STR || f->type == RS_FT_ADDR;
        st->worst += 1 + (text ? 2 * (size_t)RS_FIELD_MAX + 2 : (size_t)RS_NUM_MAX);
    }
    w->state = st;
    rs_obuf_putc(&w->ob, '\n');
    rs_writer_flush_line(w);
    return w->ob.oom ? RS_ERR_NOMEM : 0;
}

static void
csv_free(struct rs_writer *w)
{
    free(w->state);
    w->state = NULL;
}

/*
 * 1 when none of the 8 bytes at p makes a field need quotes (RFC 4180
 * §2.6: comma, quote, CR, LF), tested a word at a time as rs_json_plain8
 * does ("has a zero byte", Hacker's Delight §6-1, of the word XOR each).
 */
static inline int
csv_plain8(const unsigned char *p)
{
    const uint64_t ones = UINT64_C(0x0101010101010101), high = UINT64_C(0x8080808080808080);
    uint64_t x;
    memcpy(&x, p, 8);
    uint64_t c = x ^ (ones * ','), q = x ^ (ones * '"'), r = x ^ (ones * '\r'),
             n = x ^ (ones * '\n');
    uint64_t hit = ((c - ones) & ~c) | ((q - ones) & ~q) | ((r - ones) & ~r) | ((n - ones) & ~n);
    return !(hit & high);
}

static inline int
csv_special(unsigned char c)
{
    return c == ',' || c == '"' || c == '\r' || c == '\n';
}

/* A field that must be quoted: every quote doubled (RFC 4180 §2.7). */
static char *
csv_quoted(char *o, const unsigned char *u, size_t sn)
{
    *o++ = '"';
    for (size_t i = 0; i < sn; i++) {
        if (u[i] == '"')
            *o++ = '"';
        *o++ = (char)u[i];
    }
    *o++ = '"';
    return o;
}

/*
 * The field s[0..sn) at o, quoted only if it has to be; returns the end.
 * Copied as it is tested, 16 bytes at a time with SSE2 (every x86-64),
 * then 8, then 1: an explanation is a hundred bytes and more.
 */
static inline char *
csv_put(char *o, const char *s, size_t sn)
{
    const unsigned char *u = (const unsigned char *)s;
    if (sn > RS_FIELD_MAX) /* the reservation's bound; no record string is longer */
        sn = RS_FIELD_MAX;
    size_t i = 0;
#ifdef __SSE2__
    const __m128i comma = _mm_set1_epi8(','), quote = _mm_set1_epi8('"'), cr = _mm_set1_epi8('\r'),
                  lf = _mm_set1_epi8('\n');
    for (; sn - i >= 16; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(u + i));
        __m128i bad = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, quote)),
                                   _mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, lf)));
        if (_mm_movemask_epi8(bad))
            goto quoted;
        _mm_storeu_si128((__m128i *)(void *)(o + i), v);
    }
#endif
    for (; sn - i >= 8; i += 8) {
        if (!csv_plain8(u + i))
            goto quoted;
        memcpy(o + i, u + i, 8);
    }
    for (; i < sn; i++) {
        if (csv_special(u[i]))
            goto quoted;
        o[i] = (char)u[i];
    }
    return o + sn;
quoted:
    return csv_quoted(o, u, sn);
}

/* Each field starts with its comma; the first one's is dropped at the end. */
#define C_STR(name)                                                                                \
    *o++ = ',';                                                                                    \
    o = csv_put(o, r->name, RS_STRLEN(r->name));
#define C_TIME(name, expr, type)                                                                   \
    *o++ = ',';                                                                                    \
    o += rs_output_secs(o, (expr));
#define C_NAME(name, expr)                                                                         \
    *o++ = ',';                                                                                    \
    {                                                                                              \
        const char *s_ = (expr);                                                                   \
        o = csv_put(o, s_, strlen(s_));                                                            \
    }
/* Digits, dots and colons: never quoted (as rs_fields' RS_FT_ADDR). */
#define C_ADDR(name)                                                                               \
    *o++ = ',';                                                                                    \
    o += rs_addr_format(&r->name, o, RS_FIELD_MAX);
#define C_NUM(name)                                                                                \
    *o++ = ',';                                                                                    \
    o += rs_output_u64(o, (uint64_t)r->name);
/* Names joined by commas: quoted when there are two or more. */
#define C_FLAGS(name)                                                                              \
    *o++ = ',';                                                                                    \
    {                                                                                              \
        char f_[RS_FIELD_MAX];                                                                     \
        o = csv_put(o, f_, rs_rst_flags_format(r->name, f_, sizeof f_));                           \
    }

static int
csv_write(struct rs_writer *w, const struct rs_record *r)
{
    const struct csv_state *st = w->state;
    struct rs_obuf *b = &w->ob;
    if (st->worst > b->cap - b->len && rs_obuf_reserve(b, st->worst) != 0) {
        rs_writer_flush_line(w); /* oom is sticky: the line is dropped, as any write would */
        return 0;
    }
    char *line = b->p + b->len, *o = line;
    RS_FIELD_LIST(C_STR, C_TIME, C_NAME, C_ADDR, C_NUM, C_FLAGS)
    *o++ = '\n';
    /* drop the first field's comma */
    memmove(line, line + 1, (size_t)(o - line - 1));
    b->len = (size_t)(o - 1 - b->p);
    rs_writer_flush_line(w);
    return 0;
}

static int
csv_finish(struct rs_writer *w, rs_time_ns close_ts)
{
    (void)w;
    (void)close_ts;
    return 0;
}

const struct rs_writer_ops rs_out_csv_ops = {
    .name = "csv",
    .start = csv_start,
    .write = csv_write,
    .finish = csv_finish,
    .free_state = csv_free,
};
