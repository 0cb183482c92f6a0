/*
 * out_jsonl.c - one JSON object per session per line (SPEC §2).
 *
 * Every field of rs_fields is always present, in table order, so consumers
 * can rely on keys (an empty string stays ""). Times and durations are JSON
 * numbers with microsecond precision, not strings, so jq and pandas can do
 * arithmetic on them directly. The whole line is built in the handle's line
 * buffer and written with a single fwrite.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "field_list.h"
#include "output_int.h"

/* The longest line a record can make, reserved once per record so that
 * the line is then written without a capacity check per field. */
struct jsonl_state {
    size_t worst;
};

/* The longest text a field can have before escaping. */
static size_t
field_max(const struct rs_field *f)
{
    switch (f->type) {
    case RS_FT_U64:
    case RS_FT_TIME:
    case RS_FT_DURATION:
        return RS_NUM_MAX;
    case RS_FT_ADDR:
    case RS_FT_STR:
        break;
    }
    return RS_FIELD_MAX;
}

static int
is_string(const struct rs_field *f)
{
    return f->type == RS_FT_STR || f->type == RS_FT_ADDR;
}

static int
jsonl_start(struct rs_writer *w)
{
    struct jsonl_state *st = malloc(sizeof *st);
    if (!st)
        return RS_ERR_NOMEM;
    st->worst = 3; /* "}\n" and the NUL */
    for (size_t i = 0; i < rs_n_fields; i++) {
        const struct rs_field *f = &rs_fields[i];
        /* ,"name": then a number, or "..." with every byte escaped to \u00XX */
        st->worst += strlen(f->name) + 4 + (is_string(f) ? 6 * field_max(f) + 2 : field_max(f));
    }
    w->state = st;
    return 0;
}

static void
jsonl_free(struct rs_writer *w)
{
    free(w->state);
    w->state = NULL;
}

/* A string value escaped at o and its closing quote; returns the end. */
static inline char *
put_str(char *o, char *end, const char *s, size_t sn)
{
    if (sn > RS_FIELD_MAX) /* the reservation's bound; no record string is longer */
        sn = RS_FIELD_MAX;
    size_t k = sn <= 64 ? rs_json_copy_plain(s, sn, o) : SIZE_MAX;
    o += k != SIZE_MAX ? k : rs_json_escape(s, sn, o, (size_t)(end - o));
    *o++ = '"';
    return o;
}

/*
 * The line, straight from the field list: each key a constant (a few
 * immediate stores), each value written in place, no walk of the field
 * table. The key carries the comma before it; the first one's is then
 * made the opening brace.
 */
#define J_KEY(lit)                                                                                 \
    do {                                                                                           \
        memcpy(o, lit, sizeof(lit) - 1);                                                           \
        o += sizeof(lit) - 1;                                                                      \
    } while (0)
#define J_STR(name)                                                                                \
    J_KEY(",\"" #name "\":\"");                                                                    \
    o = put_str(o, end, r->name, RS_STRLEN(r->name));
#define J_TIME(name, expr, type)                                                                   \
    J_KEY(",\"" #name "\":");                                                                      \
    o += rs_output_secs(o, (expr));
#define J_NAME(name, expr)                                                                         \
    J_KEY(",\"" #name "\":\"");                                                                    \
    {                                                                                              \
        const char *s_ = (expr);                                                                   \
        o = put_str(o, end, s_, strlen(s_));                                                       \
    }
/* Addresses and the flags' names are digits, dots, colons, letters and
 * commas: nothing to escape. */
#define J_ADDR(name)                                                                               \
    J_KEY(",\"" #name "\":\"");                                                                    \
    o += rs_addr_format(&r->name, o, RS_FIELD_MAX);                                                \
    *o++ = '"';
#define J_NUM(name)                                                                                \
    J_KEY(",\"" #name "\":");                                                                      \
    o += rs_output_u64(o, (uint64_t)r->name);
#define J_FLAGS(name)                                                                              \
    J_KEY(",\"" #name "\":\"");                                                                    \
    o += rs_rst_flags_format(r->name, o, RS_FIELD_MAX);                                            \
    *o++ = '"';

static int
jsonl_write(struct rs_writer *w, const struct rs_record *r)
{
    const struct jsonl_state *st = w->state;
    struct rs_obuf *b = &w->ob;
    if (st->worst > b->cap - b->len && rs_obuf_reserve(b, st->worst) != 0) {
        rs_writer_flush_line(w); /* oom is sticky: the line is dropped, as any write would */
        return 0;
    }
    char *line = b->p + b->len, *o = line, *end = b->p + b->cap;
    RS_FIELD_LIST(J_STR, J_TIME, J_NAME, J_ADDR, J_NUM, J_FLAGS)
    line[0] = '{';
    *o++ = '}';
    *o++ = '\n';
    b->len = (size_t)(o - b->p);
    rs_writer_flush_line(w);
    return 0;
}

static int
jsonl_finish(struct rs_writer *w, rs_time_ns close_ts)
{
    (void)w;
    (void)close_ts;
    return 0;
}

const struct rs_writer_ops rs_out_jsonl_ops = {
    .name = "jsonl",
    .start = jsonl_start,
    .write = jsonl_write,
    .finish = jsonl_finish,
    .free_state = jsonl_free,
};
