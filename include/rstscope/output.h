/*
 * rstscope/output.h - record writers (table, jsonl, csv, zeek).
 *
 * One field table (rs_fields) names every record field once; the jsonl, csv
 * and table writers walk it, the zeek writer maps it onto Zeek's conn.log
 * columns. A writer is a small vtable behind an opaque handle (masscan's
 * output design). Writers buffer through the caller's FILE; a failed write is
 * reported by rs_writer_close (RS_ERR_OUTPUT) so the CLI can exit 3.
 */
#ifndef RSTSCOPE_OUTPUT_H
#define RSTSCOPE_OUTPUT_H

#include <stdio.h>

#include <rstscope/common.h>
#include <rstscope/record.h>

enum rs_format {
    RS_FMT_TABLE = 0,
    RS_FMT_JSONL,
    RS_FMT_CSV,
    RS_FMT_ZEEK,
    RS_FMT_PANOS, /* PAN-OS TRAFFIC log lines (out_panos.c, docs/panos.md) */
};

/* Parses "table", "jsonl", "csv", "zeek", "panos"; -1 if unknown. */
int rs_format_parse(const char *name);

struct rs_writer_opts {
    int explain;        /* table: add explanation and hint lines */
    int color;          /* table: ANSI colour (the CLI decides: tty and no NO_COLOR) */
    rs_time_ns open_ts; /* zeek: time for the #open header (first packet time) */
    /*
     * Live output: every record reaches `out` before rs_writer_write returns
     * (the FILE is flushed after each one, and after the headers at open).
     * The table then prints each row at once with fixed column widths (a
     * header before the first row; a cell wider than its column, such as an
     * IPv6 endpoint, shifts the rest of its row) instead of aligning blocks
     * of up to 1000 buffered rows.
     */
    int stream;
};

struct rs_writer;

/* `out` stays owned by the caller and must outlive the writer. */
struct rs_writer *rs_writer_open(enum rs_format fmt, FILE *out, const struct rs_writer_opts *opts,
                                 struct rs_error *err);
int rs_writer_write(struct rs_writer *w, const struct rs_record *rec);
/*
 * Records reach `out` in blocks of about 256 KiB (each at once with
 * opts.stream; the header at open). A caller that writes to `out` itself
 * between records calls this first: it hands every complete record to the
 * FILE and flushes it. 0, or RS_ERR_OUTPUT if any write failed.
 */
int rs_writer_flush(struct rs_writer *w);
/* Flushes (table: prints the aligned rows), writes trailers (zeek: #close),
 * frees the writer. Returns 0 or RS_ERR_OUTPUT if any write failed. */
int rs_writer_close(struct rs_writer *w, rs_time_ns close_ts, struct rs_error *err);

/*
 * A writer that formats records into memory, for formatting in several
 * threads (one such writer each) while one thread writes the bytes in
 * order to a stream writer of the same format and options, which also
 * writes the header and the trailer (rs_parallel_set_format). Every format
 * but the table (which aligns its columns over many rows: RS_ERR_USAGE)
 * formats each record on its own. Close it with rs_writer_close, which
 * then writes nothing.
 */
struct rs_writer *rs_writer_open_mem(enum rs_format fmt, const struct rs_writer_opts *opts,
                                     struct rs_error *err);
/* Formats one record with a memory writer: *bytes (valid until the next
 * call on w) and *len. 0, RS_ERR_NOMEM, or RS_ERR_USAGE for a stream
 * writer. The bytes are those rs_writer_write would write. */
int rs_writer_format(struct rs_writer *w, const struct rs_record *rec, const char **bytes,
                     size_t *len);

/*
 * Which sessions a command prints (SPEC §1 --only): all; resets (a RST
 * ended the session, or hit it: rst_by or rst_flags set); failed (a RST
 * ended it or rst_by is set, or it never got going: app incomplete,
 * conn_state S0 or REJ). The same rules as `analyze --only`.
 */
enum rs_only { RS_ONLY_ALL = 0, RS_ONLY_RESETS, RS_ONLY_FAILED };
/* Parses "all", "resets", "failed"; -1 if unknown. */
int rs_only_parse(const char *name);
/* 1 if `r` is printed under `only`. */
int rs_only_match(enum rs_only only, const struct rs_record *r);

/* The field table, in output order for jsonl/csv/table. */
enum rs_field_type { RS_FT_STR, RS_FT_U64, RS_FT_TIME, RS_FT_DURATION, RS_FT_ADDR };
struct rs_field {
    const char *name;
    enum rs_field_type type;
    /* Writes the value as text into buf (no escaping); returns length.
     * For RS_FT_U64 the numeric value is also stored into *num. */
    size_t (*get)(const struct rs_record *r, char *buf, size_t len, uint64_t *num);
    /* Shortcuts for writers, NULL where they do not apply; each gives the
     * same value as get. str: the text in place (no copy), its length in
     * *n, for fields that are a record string or a fixed name. u64: the
     * number of an RS_FT_U64 field. */
    const char *(*str)(const struct rs_record *r, size_t *n);
    uint64_t (*u64)(const struct rs_record *r);
    /* Where the value is stored as it is printed, for writers that read it
     * without a call: RS_FA_STR a NUL-padded char array of `size` bytes at
     * `off` in struct rs_record, RS_FA_U64 / RS_FA_U16 a number there;
     * RS_FA_NONE: only through the functions above. */
    enum { RS_FA_NONE, RS_FA_STR, RS_FA_U64, RS_FA_U16 } at;
    unsigned short off, size;
};
extern const struct rs_field rs_fields[];
extern const size_t rs_n_fields;

/* Escaping helpers (also used by summary/report): */
/* JSON string body per RFC 8259: control bytes as \u00XX, invalid UTF-8 bytes
 * as \u00XX of the byte, so output is always one valid line. Returns length
 * written (truncated to fit, never splitting an escape). */
size_t rs_json_escape(const char *s, size_t n, char *buf, size_t len);
/* Writes a CSV field per RFC 4180 (quoted when it contains , " CR LF). */
void rs_csv_field(FILE *out, const char *s);

#endif
