/*
 * escape.c - JSON and CSV escaping of strings that may come from packets.
 *
 * SNI, Host headers and RST payload text are attacker-chosen bytes. The JSON
 * rule is therefore stricter than RFC 8259 needs: besides '"', '\' and the
 * control bytes U+0000..U+001F (RFC 8259 §7), DEL is escaped too, and every
 * byte that is not part of a well-formed UTF-8 sequence (RFC 3629 §4) becomes
 * \u00XX of that byte. The result is always valid UTF-8 on one line, so one
 * hostile session can never break the line framing of jsonl or make a strict
 * parser reject the whole file.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "output_int.h"

size_t
rs_utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t need;
    unsigned char lo = 0x80, hi = 0xbf; /* allowed range of the 2nd byte */

    /* RFC 3629 §4, the UTF8-2/3/4 productions. */
    if (c >= 0xc2 && c <= 0xdf) {
        need = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 3;
        if (c == 0xe0)
            lo = 0xa0; /* no overlongs */
        else if (c == 0xed)
            hi = 0x9f; /* no surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 4;
        if (c == 0xf0)
            lo = 0x90; /* no overlongs */
        else if (c == 0xf4)
            hi = 0x8f; /* nothing above U+10FFFF */
    } else {
        return 0;
    }
    if (n < need)
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < need; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return need;
}

static const char hexdig[] = "0123456789abcdef";

/* clang-format off */
const unsigned char rs_json_plain[256] = {
    /* 0x00-0x1f: control bytes */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 0x20-0x3f */
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* 0x40-0x5f */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    /* 0x60-0x7f: 0x7f is DEL */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
};
/* clang-format on */

/*
 * End of the run of plain bytes that starts at u[j]. With SSE2 (every
 * x86-64) 16 bytes are tested at once: a signed compare below 0x20 also
 * catches 0x80-0xff, which are not plain either.
 */
static inline size_t
plain_run(const unsigned char *u, size_t j, size_t n)
{
#ifdef __SSE2__
    const __m128i lo = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f), quote = _mm_set1_epi8('"'),
                  bslash = _mm_set1_epi8('\\');
    while (n - j >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(u + j));
        __m128i bad =
            _mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(v, lo), _mm_cmpeq_epi8(v, del)),
                         _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)));
        unsigned m = (unsigned)_mm_movemask_epi8(bad);
        if (m)
            return j + (size_t)__builtin_ctz(m);
        j += 16;
    }
#endif
    while (n - j >= 8 && rs_json_plain8(u + j))
        j += 8;
    while (j < n && rs_json_plain[u[j]])
        j++;
    return j;
}

size_t
rs_json_escape(const char *s, size_t n, char *buf, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t o = 0;

    if (len == 0)
        return 0;
    size_t room = len - 1; /* keep one byte for the NUL */
    for (size_t i = 0; i < n;) {
        unsigned char c = u[i];
        if (rs_json_plain[c]) {
            /* Copy the whole run of plain bytes at once: the common case. */
            size_t j = plain_run(u, i + 1, n);
            size_t run = j - i;
            if (run > room - o)
                run = room - o;
            memcpy(buf + o, u + i, run);
            o += run;
            i += run;
            if (i < j)
                break; /* out of room */
        } else if (c == '"' || c == '\\') {
            if (room - o < 2)
                break;
            buf[o++] = '\\';
            buf[o++] = (char)c;
            i++;
        } else {
            size_t seq = c >= 0x80 ? rs_utf8_seq_len(u + i, n - i) : 0;
            if (seq) {
                /* A well-formed character is copied whole or not at all. */
                if (room - o < seq)
                    break;
                memcpy(buf + o, u + i, seq);
                o += seq;
                i += seq;
            } else {
                if (room - o < 6)
                    break;
                buf[o++] = '\\';
                buf[o++] = 'u';
                buf[o++] = '0';
                buf[o++] = '0';
                buf[o++] = hexdig[c >> 4];
                buf[o++] = hexdig[c & 0x0f];
                i++;
            }
        }
    }
    buf[o] = '\0';
    return o;
}

void
rs_obuf_json_str(struct rs_obuf *b, const char *s, size_t n)
{
    /* Worst case every byte becomes \u00XX. */
    if (n > (SIZE_MAX - 1) / 6) {
        b->oom = 1;
        return;
    }
    size_t need = 6 * n + 1;
    if (need > b->cap - b->len && rs_obuf_reserve(b, need) != 0)
        return;
    b->len += rs_json_escape(s, n, b->p + b->len, b->cap - b->len);
}

static int
csv_needs_quotes(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == ',' || c == '"' || c == '\r' || c == '\n')
            return 1;
    }
    return 0;
}

void
rs_obuf_csv_str(struct rs_obuf *b, const char *s, size_t n)
{
    if (!csv_needs_quotes(s, n)) {
        rs_obuf_put(b, s, n);
        return;
    }
    if (n > (SIZE_MAX - 3) / 2) {
        b->oom = 1;
        return;
    }
    size_t need = 2 * n + 2;
    if (need > b->cap - b->len && rs_obuf_reserve(b, need) != 0)
        return;
    char *p = b->p + b->len;
    size_t o = 0;
    p[o++] = '"';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            p[o++] = '"'; /* RFC 4180 §2.7 */
        p[o++] = s[i];
    }
    p[o++] = '"';
    b->len += o;
}

void
rs_csv_field(FILE *out, const char *s)
{
    size_t n = strlen(s);

    if (!csv_needs_quotes(s, n)) {
        fwrite(s, 1, n, out);
        return;
    }
    putc('"', out);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            putc('"', out);
        putc(s[i], out);
    }
    putc('"', out);
}
