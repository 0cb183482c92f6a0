/*
 * out_jsonl.c - one JSON object per session per line (SPEC §2).
 *
 * Every field of rs_fields is always present, in table order, so consumers
 * can rely on keys (an empty string stays ""). Times and durations are JSON
 * numbers with microsecond precision, not strings, so jq and pandas can do
 * arithmetic on them directly. The whole line is built in the handle's line
 * buffer and written with a single fwrite.
 */
#include <stdlib.h>

#include "output_int.h"

/* The '"name":' prefix of every key, built once so that a record costs one
 * memcpy per key rather than a strlen and three appends. */
struct jsonl_state {
    size_t n;
    struct {
        size_t len;
        char text[48];
    } key[];
};

static int
jsonl_start(struct rs_writer *w)
{
    struct jsonl_state *st = malloc(sizeof *st + rs_n_fields * sizeof st->key[0]);
    if (!st)
        return RS_ERR_NOMEM;
    st->n = rs_n_fields;
    for (size_t i = 0; i < rs_n_fields; i++) {
        int k = snprintf(st->key[i].text, sizeof st->key[i].text, "\"%s\":", rs_fields[i].name);
        if (k < 0 || (size_t)k >= sizeof st->key[i].text) {
            free(st);
            return RS_ERR_INTERNAL;
        }
        st->key[i].len = (size_t)k;
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

static int
jsonl_write(struct rs_writer *w, const struct rs_record *rec)
{
    const struct jsonl_state *st = w->state;
    struct rs_obuf *b = &w->ob;
    char val[RS_FIELD_MAX];

    rs_obuf_putc(b, '{');
    for (size_t i = 0; i < st->n; i++) {
        const struct rs_field *f = &rs_fields[i];
        if (i > 0)
            rs_obuf_putc(b, ',');
        rs_obuf_put(b, st->key[i].text, st->key[i].len); /* names are plain ASCII */
        /* The shortcuts: strings escaped from where they are, numbers
         * written in place, no copy through val. */
        if (f->str) {
            size_t sn;
            const char *s = f->str(rec, &sn);
            rs_obuf_putc(b, '"');
            rs_obuf_json_str(b, s, sn);
            rs_obuf_putc(b, '"');
            continue;
        }
        if (f->u64) {
            rs_obuf_u64(b, f->u64(rec));
            continue;
        }
        uint64_t num = 0;
        size_t n = f->get(rec, val, sizeof val, &num);
        switch (f->type) {
        case RS_FT_U64:
        case RS_FT_TIME:
        case RS_FT_DURATION:
            rs_obuf_put(b, val, n);
            break;
        case RS_FT_STR:
        case RS_FT_ADDR:
            rs_obuf_putc(b, '"');
            rs_obuf_json_str(b, val, n);
            rs_obuf_putc(b, '"');
            break;
        }
    }
    rs_obuf_put(b, "}\n", 2);
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
