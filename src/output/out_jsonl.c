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

#include "output_int.h"

/*
 * What comes before each value, built once: the separator, '"name":' and,
 * for a string, its opening quote (`,"app":"`), padded to PREFIX_MAX so
 * that it is copied with one fixed-size move. A record reserves its
 * worst case once (every string escaped to \u00XX) and is then written
 * without a capacity check per field: a million records are about 30
 * million fields.
 */
#define PREFIX_MAX 48

struct jsonl_state {
    size_t n;
    size_t worst; /* longest line a record can make */
    struct {
        size_t len;
        char text[PREFIX_MAX];
    } key[];
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
    struct jsonl_state *st = malloc(sizeof *st + rs_n_fields * sizeof st->key[0]);
    if (!st)
        return RS_ERR_NOMEM;
    st->n = rs_n_fields;
    st->worst = 3; /* "}\n" and the NUL */
    for (size_t i = 0; i < rs_n_fields; i++) {
        const struct rs_field *f = &rs_fields[i];
        memset(st->key[i].text, 0, sizeof st->key[i].text);
        int k = snprintf(st->key[i].text, sizeof st->key[i].text, "%s\"%s\":%s", i ? "," : "{",
                         f->name, is_string(f) ? "\"" : "");
        if (k < 0 || (size_t)k >= sizeof st->key[i].text) {
            free(st);
            return RS_ERR_INTERNAL;
        }
        st->key[i].len = (size_t)k;
        st->worst += PREFIX_MAX + (is_string(f) ? 6 * field_max(f) + 1 : field_max(f));
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

static int
jsonl_write(struct rs_writer *w, const struct rs_record *rec)
{
    const struct jsonl_state *st = w->state;
    struct rs_obuf *b = &w->ob;
    if (st->worst > b->cap - b->len && rs_obuf_reserve(b, st->worst) != 0) {
        rs_writer_flush_line(w); /* oom is sticky: the line is dropped, as any write would */
        return 0;
    }
    char *o = b->p + b->len, *end = b->p + b->cap;
    char val[RS_FIELD_MAX];

    for (size_t i = 0; i < st->n; i++) {
        const struct rs_field *f = &rs_fields[i];
        memcpy(o, st->key[i].text, PREFIX_MAX); /* fixed size: a few vector moves */
        o += st->key[i].len;
        /* Record strings and numbers read where they are, without a call. */
        const char *at = (const char *)rec + f->off;
        if (f->at == RS_FA_STR) {
            o = put_str(o, end, at, at[0] ? strnlen(at, f->size) : 0);
            continue;
        }
        if (f->at == RS_FA_U64) {
            uint64_t v;
            memcpy(&v, at, sizeof v);
            o += rs_output_u64(o, v);
            continue;
        }
        if (f->at == RS_FA_U16) {
            uint16_t v;
            memcpy(&v, at, sizeof v);
            o += rs_output_u64(o, v);
            continue;
        }
        /* The shortcuts: strings escaped from where they are, numbers
         * written in place, no copy through val. */
        if (f->str) {
            size_t sn;
            const char *s = f->str(rec, &sn);
            o = put_str(o, end, s, sn);
            continue;
        }
        if (f->u64) {
            o += rs_output_u64(o, f->u64(rec));
            continue;
        }
        uint64_t num = 0;
        if (f->type != RS_FT_STR) {
            /* Numbers, times and addresses are digits, dots and colons:
             * written in place, nothing to escape. */
            o += f->get(rec, o, (size_t)(end - o), &num);
            if (f->type == RS_FT_ADDR)
                *o++ = '"';
            continue;
        }
        size_t n = f->get(rec, val, sizeof val, &num);
        o += rs_json_escape(val, n, o, (size_t)(end - o));
        *o++ = '"';
    }
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
