/*
 * out_csv.c - RFC 4180 CSV with a header line of the rs_fields names.
 *
 * Lines end in LF, not RFC 4180's CRLF: every consumer we care about (Python
 * csv, pandas, spreadsheets, awk) accepts LF, and LF keeps the file friendly
 * to grep and diff. A field is quoted only when it has to be (it contains a
 * comma, a quote, CR or LF; RFC 4180 §2.6), so ordinary rows stay readable.
 * Empty strings are empty fields.
 */
#include "output_int.h"

static int
csv_start(struct rs_writer *w)
{
    for (size_t i = 0; i < rs_n_fields; i++) {
        if (i > 0)
            rs_obuf_putc(&w->ob, ',');
        rs_obuf_puts(&w->ob, rs_fields[i].name);
    }
    rs_obuf_putc(&w->ob, '\n');
    rs_writer_flush_line(w);
    return w->ob.oom ? RS_ERR_NOMEM : 0;
}

static int
csv_write(struct rs_writer *w, const struct rs_record *rec)
{
    struct rs_obuf *b = &w->ob;
    char val[RS_FIELD_MAX];

    for (size_t i = 0; i < rs_n_fields; i++) {
        const struct rs_field *f = &rs_fields[i];
        if (i > 0)
            rs_obuf_putc(b, ',');
        if (f->str) {
            size_t sn;
            const char *s = f->str(rec, &sn);
            rs_obuf_csv_str(b, s, sn);
            continue;
        }
        if (f->u64) {
            rs_obuf_u64(b, f->u64(rec));
            continue;
        }
        size_t n = f->get(rec, val, sizeof val, NULL);
        if (f->type == RS_FT_STR)
            rs_obuf_csv_str(b, val, n);
        else
            rs_obuf_put(b, val, n);
    }
    rs_obuf_putc(b, '\n');
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
    .free_state = NULL,
};
