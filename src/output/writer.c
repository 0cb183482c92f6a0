/*
 * writer.c - the writer handle: format lookup, dispatch to the per-format
 * vtable, and write-failure tracking.
 *
 * Output errors are sticky rather than returned from every call: a full disk
 * usually shows up only when stdio flushes its buffer, long after the record
 * that filled it, so the handle remembers the first failure (and its errno)
 * and rs_writer_close reports it once. rs_writer_write also returns
 * RS_ERR_OUTPUT once a failure is known, so a caller may stop early instead
 * of analysing gigabytes into a dead pipe.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output_int.h"

/* Large enough for any record in any format, so the line buffer never grows
 * in practice (the jsonl worst case, every string byte as \u00XX, is ~10 KiB). */
#define OBUF_INITIAL 16384

int
rs_obuf_reserve(struct rs_obuf *b, size_t n)
{
    if (b->oom)
        return -1;
    if (n <= b->cap - b->len)
        return 0;
    size_t cap = b->cap ? b->cap : OBUF_INITIAL;
    while (n > cap - b->len) {
        if (cap > SIZE_MAX / 2) {
            b->oom = 1;
            return -1;
        }
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = 1;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

void
rs_obuf_free(struct rs_obuf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

void
rs_obuf_pad(struct rs_obuf *b, size_t n)
{
    if (n > b->cap - b->len && rs_obuf_reserve(b, n) != 0)
        return;
    memset(b->p + b->len, ' ', n);
    b->len += n;
}

static void
note_failure(struct rs_writer *w, int e)
{
    if (!w->failed) {
        w->failed = 1;
        w->err_no = e;
    }
}

/* Complete lines go to the file in blocks of about this size, written
 * from ob itself: one fwrite per record (its lock, its checks, its copy
 * into stdio's buffer) was ~210 instructions, a twentieth of a jsonl
 * record's cost. As large as the CLI's stdio buffer (analyze.c), so that
 * writing from here makes no more write calls than stdio did: each is an
 * exit to the kernel, dear on a virtual machine (32 KiB blocks made 469
 * calls on the 200k capture where stdio had made 60). */
#define WRITE_BATCH ((size_t)256 << 10)

void
rs_writer_flush_lines(struct rs_writer *w)
{
    if (!w->out)
        return; /* a memory writer */
    if (w->done > 0) {
        errno = 0;
        int fd = fileno(w->out);
        if (fd >= 0 && fflush(w->out) == 0) {
            size_t off = 0;
            while (off < w->done) {
                ssize_t k = write(fd, w->ob.p + off, w->done - off);
                if (k < 0 && errno == EINTR)
                    continue;
                if (k <= 0) {
                    note_failure(w, errno);
                    break;
                }
                off += (size_t)k;
            }
        } else if (fwrite(w->ob.p, 1, w->done, w->out) != w->done || ferror(w->out))
            note_failure(w, errno);
    }
    w->done = 0;
    w->ob.len = 0;
}

void
rs_writer_flush_line(struct rs_writer *w)
{
    if (!w->out)
        return; /* a memory writer: rs_writer_format takes the bytes from ob */
    if (w->ob.oom) {
        /* The line being built is incomplete: the lines before it go out, it does not. */
        w->ob.len = w->done;
        rs_writer_flush_lines(w);
        return;
    }
    w->done = w->ob.len;
    if (w->done >= WRITE_BATCH)
        rs_writer_flush_lines(w);
}

/* Hands what the writer and stdio hold to the file, noting a failure: at
 * open (the header), at close, on rs_writer_flush, and in stream mode after
 * each record, so that a reader (tail -f, a pipe) sees each record as its
 * session ends. */
static void
flush_out(struct rs_writer *w)
{
    rs_writer_flush_lines(w);
    errno = 0;
    if (fflush(w->out) != 0 || ferror(w->out))
        note_failure(w, errno);
}

int
rs_writer_flush(struct rs_writer *w)
{
    if (!w || !w->out)
        return RS_ERR_USAGE;
    flush_out(w);
    return w->failed ? RS_ERR_OUTPUT : 0;
}

int
rs_format_parse(const char *name)
{
    static const struct {
        const char *name;
        enum rs_format fmt;
    } names[] = {
        {"table", RS_FMT_TABLE}, {"jsonl", RS_FMT_JSONL}, {"csv", RS_FMT_CSV},
        {"zeek", RS_FMT_ZEEK},   {"panos", RS_FMT_PANOS},
    };
    if (!name)
        return -1;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i].name) == 0)
            return (int)names[i].fmt;
    return -1;
}

static const struct rs_writer_ops *
ops_for(enum rs_format fmt)
{
    switch (fmt) {
    case RS_FMT_TABLE:
        return &rs_out_table_ops;
    case RS_FMT_JSONL:
        return &rs_out_jsonl_ops;
    case RS_FMT_CSV:
        return &rs_out_csv_ops;
    case RS_FMT_ZEEK:
        return &rs_out_zeek_ops;
    case RS_FMT_PANOS:
        return &rs_out_panos_ops;
    }
    return NULL;
}

static void
writer_free(struct rs_writer *w)
{
    if (w->ops->free_state)
        w->ops->free_state(w);
    rs_obuf_free(&w->ob);
    free(w);
}

/* A writer of format `ops` on `out` (NULL: a memory writer), started. */
static struct rs_writer *
writer_new(const struct rs_writer_ops *ops, FILE *out, const struct rs_writer_opts *opts,
           struct rs_error *err)
{
    struct rs_writer *w = calloc(1, sizeof *w);
    if (!w) {
        rs_error_set(err, RS_ERR_NOMEM, "%s writer: out of memory", ops->name);
        return NULL;
    }
    w->ops = ops;
    w->out = out;
    if (opts)
        w->opts = *opts;
    if (rs_obuf_reserve(&w->ob, 1) != 0) {
        rs_error_set(err, RS_ERR_NOMEM, "%s writer: out of memory", ops->name);
        writer_free(w);
        return NULL;
    }
    int rc = ops->start(w);
    if (rc != 0) {
        rs_error_set(err, rc, "%s writer: cannot start (%s)", ops->name,
                     rc == RS_ERR_NOMEM ? "out of memory" : "internal error");
        writer_free(w);
        return NULL;
    }
    return w;
}

struct rs_writer *
rs_writer_open(enum rs_format fmt, FILE *out, const struct rs_writer_opts *opts,
               struct rs_error *err)
{
    const struct rs_writer_ops *ops = ops_for(fmt);

    if (!ops) {
        rs_error_set(err, RS_ERR_USAGE, "unknown output format %d", (int)fmt);
        return NULL;
    }
    if (!out) {
        rs_error_set(err, RS_ERR_USAGE, "%s writer: no output stream", ops->name);
        return NULL;
    }
    struct rs_writer *w = writer_new(ops, out, opts, err);
    if (w)
        flush_out(w); /* the header, before any bytes the caller writes itself */
    return w;
}

struct rs_writer *
rs_writer_open_mem(enum rs_format fmt, const struct rs_writer_opts *opts, struct rs_error *err)
{
    const struct rs_writer_ops *ops = ops_for(fmt);
    if (!ops || fmt == RS_FMT_TABLE) {
        rs_error_set(err, RS_ERR_USAGE, "%s output cannot be formatted record by record",
                     ops ? ops->name : "unknown");
        return NULL;
    }
    struct rs_writer_opts o = opts ? *opts : (struct rs_writer_opts){0};
    o.stream = 0;
    struct rs_writer *w = writer_new(ops, NULL, &o, err);
    if (w)
        w->ob.len = 0; /* the header is the stream writer's */
    return w;
}

int
rs_writer_format(struct rs_writer *w, const struct rs_record *rec, const char **bytes, size_t *len)
{
    if (!w || !rec || w->out)
        return RS_ERR_USAGE;
    w->ob.len = 0;
    int rc = w->ops->write(w, rec);
    if (rc != 0)
        return rc;
    if (w->ob.oom)
        return RS_ERR_NOMEM;
    *bytes = w->ob.p;
    *len = w->ob.len;
    return 0;
}

int
rs_writer_write(struct rs_writer *w, const struct rs_record *rec)
{
    if (!w || !rec || !w->out)
        return RS_ERR_USAGE;
    if (w->failed)
        return RS_ERR_OUTPUT;
    int rc = w->ops->write(w, rec);
    if (rc != 0)
        return rc;
    if (w->opts.stream)
        flush_out(w);
    if (w->ob.oom)
        return RS_ERR_NOMEM;
    return w->failed ? RS_ERR_OUTPUT : 0;
}

int
rs_writer_close(struct rs_writer *w, rs_time_ns close_ts, struct rs_error *err)
{
    if (!w)
        return 0;

    const char *name = w->ops->name;
    if (!w->out) { /* a memory writer: nothing to finish or flush */
        writer_free(w);
        return 0;
    }
    int rc = w->ops->finish(w, close_ts);

    /* The caller keeps the FILE, but a full disk is typically only seen when
     * its buffer is flushed, so flush it here where it can still be reported. */
    flush_out(w);

    int oom = w->ob.oom;
    int failed = w->failed;
    int e = w->err_no;
    writer_free(w);

    if (failed) {
        if (e)
            return rs_error_set(err, RS_ERR_OUTPUT, "%s output: write failed: %s", name,
                                strerror(e));
        return rs_error_set(err, RS_ERR_OUTPUT, "%s output: write failed", name);
    }
    if (oom)
        return rs_error_set(err, RS_ERR_NOMEM, "%s output: out of memory", name);
    if (rc != 0)
        return rs_error_set(err, rc, "%s output: cannot finish", name);
    return 0;
}
