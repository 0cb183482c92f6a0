/*
 * output_int.h - internals shared by the writers in src/output/ (not public).
 *
 * A writer is a handle (struct rs_writer) plus a vtable (struct rs_writer_ops),
 * one per format, as masscan does it: writer.c owns the handle, the FILE error
 * tracking and the dispatch; each out_<format>.c only knows how to turn a
 * record into bytes.
 *
 * Every writer builds a whole line in a growable buffer (struct rs_obuf) and
 * hands it to the FILE with one fwrite: this keeps the per-record cost at one
 * libc call instead of one per field, and lets a line be either written whole
 * or not at all when memory runs out. The buffer is allocated once per writer
 * and grows only if a line is longer than any seen before, so steady state
 * does no allocation.
 */
#ifndef RS_OUTPUT_INT_H
#define RS_OUTPUT_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <rstscope/output.h>
#include <rstscope/record.h>

/* ---- growable line buffer ---------------------------------------------- */

struct rs_obuf {
    char *p;
    size_t len;
    size_t cap;
    int oom; /* sticky: a reserve failed; the buffer content is incomplete */
};

/* Makes room for n more bytes; returns 0, or -1 (and sets oom) on failure. */
int rs_obuf_reserve(struct rs_obuf *b, size_t n);
void rs_obuf_free(struct rs_obuf *b);

static inline void
rs_obuf_put(struct rs_obuf *b, const char *s, size_t n)
{
    if (n > b->cap - b->len && rs_obuf_reserve(b, n) != 0)
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static inline void
rs_obuf_putc(struct rs_obuf *b, char c)
{
    if (b->len == b->cap && rs_obuf_reserve(b, 1) != 0)
        return;
    b->p[b->len++] = c;
}

static inline void
rs_obuf_puts(struct rs_obuf *b, const char *s)
{
    rs_obuf_put(b, s, strlen(s));
}

/* Appends n spaces. */
void rs_obuf_pad(struct rs_obuf *b, size_t n);

/* ---- number and time text ---------------------------------------------- */

/* Longest text of rs_output_u64 (20 digits) and rs_output_secs ("-" + 11
 * digits + "." + 6 digits for any int64 ns), plus a NUL. */
#define RS_NUM_MAX 24

/* Decimal text of v into buf (>= RS_NUM_MAX bytes), NUL-terminated; returns
 * the length. A tiny formatter: no locale, no printf parsing. */
size_t rs_output_u64(char *buf, uint64_t v);
/* rs_output_u64 straight into the buffer. */
static inline void
rs_obuf_u64(struct rs_obuf *b, uint64_t v)
{
    if (RS_NUM_MAX > b->cap - b->len && rs_obuf_reserve(b, RS_NUM_MAX) != 0)
        return;
    b->len += rs_output_u64(b->p + b->len, v);
}
/* Seconds with exactly 6 decimals ("1700000000.123456"), rounded to the
 * nearest microsecond as Zeek's "%.6f" of the double would be. */
size_t rs_output_secs(char *buf, rs_time_ns ns);

/* Longest text a field getter can produce (explanation is the longest
 * record string), plus a NUL. */
#define RS_FIELD_MAX 512

/* Length of the NUL-terminated string in a fixed record array, never reading
 * past the array even if a producer forgot the terminator. */
/* Most of a record's strings are empty (no RST, no SNI, no rule): those
 * are told by their first byte, without a call. */
#define RS_STRLEN(arr) ((arr)[0] ? strnlen((arr), sizeof(arr)) : 0)

/* ---- escaping ----------------------------------------------------------- */

/* If s[0..n) starts with a well-formed UTF-8 sequence of 2-4 bytes (RFC 3629
 * §4: no overlongs, no surrogates, nothing above U+10FFFF), returns its length,
 * else 0. Only meaningful when s[0] >= 0x80. */
size_t rs_utf8_seq_len(const unsigned char *s, size_t n);

/* 1 for the bytes a JSON string may hold as they are: printable ASCII other
 * than '"' (0x22) and '\\' (0x5c). A table lookup per byte is measurably
 * faster than the four comparisons on the jsonl hot path. 0x80-0xff are 0
 * (escape.c). */
extern const unsigned char rs_json_plain[256];

/*
 * 1 when all 8 bytes at p are plain (json_plain), tested a word at a time
 * (the "has a zero byte" bit tricks, Hacker's Delight §6-1): no byte below
 * 0x20, none at or above 0x7f, no '"' and no '\\'. Explanations and hints are
 * long runs of plain text; this makes them an eighth of the work.
 */
static inline int
rs_json_plain8(const unsigned char *p)
{
    const uint64_t ones = UINT64_C(0x0101010101010101), high = UINT64_C(0x8080808080808080);
    uint64_t x;
    memcpy(&x, p, 8);
    uint64_t below = (x - ones * 0x20) & ~x & high;           /* a byte < 0x20 */
    uint64_t above = ((x + ones * (0x80 - 0x7f)) | x) & high; /* a byte >= 0x7f */
    uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
    uint64_t quote = (q - ones) & ~q & high, bslash = (b - ones) & ~b & high;
    return !(below | above | quote | bslash);
}

/*
 * A short string that needs no escaping, copied to o 8 bytes at a time:
 * returns n, or SIZE_MAX (with o partly written) when some byte needs
 * rs_json_escape. Most record strings are a few words ("tcp-fin", a uid);
 * the call and the vector loop of rs_json_escape cost more than they do.
 */
static inline size_t
rs_json_copy_plain(const char *s, size_t n, char *o)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    for (; n - i >= 8; i += 8) {
        if (!rs_json_plain8(u + i))
            return SIZE_MAX;
        memcpy(o + i, u + i, 8);
    }
    for (; i < n; i++) {
        if (!rs_json_plain[u[i]])
            return SIZE_MAX;
        o[i] = (char)u[i];
    }
    return n;
}

/* rs_json_escape straight into a line buffer. */
void rs_obuf_json_str(struct rs_obuf *b, const char *s, size_t n);
/* One CSV field (RFC 4180 §2.6/2.7: quoted iff it has , " CR or LF; quotes
 * doubled) into a line buffer. */
void rs_obuf_csv_str(struct rs_obuf *b, const char *s, size_t n);

/* ---- writer handle and the per-format vtable ---------------------------- */

struct rs_writer;

struct rs_writer_ops {
    const char *name;
    /* Writes headers, sets up per-format state. 0 or a negative rs_err. */
    int (*start)(struct rs_writer *w);
    /* One record. 0 or a negative rs_err (a write failure is tracked by the
     * handle, not returned here). */
    int (*write)(struct rs_writer *w, const struct rs_record *rec);
    /* Flushes buffered rows, writes trailers. */
    int (*finish)(struct rs_writer *w, rs_time_ns close_ts);
    /* Frees per-format state; called exactly once, also after a failed start. */
    void (*free_state)(struct rs_writer *w);
};

struct rs_writer {
    const struct rs_writer_ops *ops;
    FILE *out; /* NULL: a memory writer (rs_writer_open_mem), ob keeps the record */
    struct rs_writer_opts opts;
    struct rs_obuf ob; /* complete lines not yet written, then the line being built */
    size_t done;       /* bytes of ob that are complete lines */
    int failed;        /* a write to `out` failed */
    int err_no;        /* errno of the first failed write (0 if unknown) */
    void *state;       /* per-format */
};

/* Ends the line being built in ob: it is written to out with the lines
 * before it once they fill a block (or at flush and close); a failure is
 * recorded in the handle. After an allocation failure (ob.oom) the partial
 * line is dropped and the complete ones written. */
void rs_writer_flush_line(struct rs_writer *w);
/* Hands the complete lines held in ob to out now (write(2) from ob when the
 * FILE has a descriptor, after flushing what stdio holds; fwrite when not),
 * noting a failure, and empties ob. */
void rs_writer_flush_lines(struct rs_writer *w);

extern const struct rs_writer_ops rs_out_table_ops;
extern const struct rs_writer_ops rs_out_jsonl_ops;
extern const struct rs_writer_ops rs_out_csv_ops;
extern const struct rs_writer_ops rs_out_zeek_ops;
extern const struct rs_writer_ops rs_out_panos_ops;

#endif
