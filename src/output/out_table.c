/*
 * out_table.c - aligned columns for a terminal: a compact subset of the
 * record, one session per line (plus "why:"/"hint:" lines with --explain).
 *
 * Alignment needs the widest cell of each column, so rows are buffered; to
 * keep memory bounded on captures with millions of sessions, at most
 * RS_TABLE_BLOCK_ROWS rows are held, then that block is printed with its own
 * widths (and its own header line) and buffering starts again, like vmstat
 * repeating its header.
 *
 * In stream mode (live capture) a row is printed as soon as its session
 * ends, so widths cannot be measured: fixed widths that fit IPv4 endpoints
 * and every name rstscope writes are used instead, and a wider cell (an IPv6
 * endpoint) shifts the rest of its row, as ps does. The header is printed
 * once, before the first row.
 *
 * Anything shown on a terminal that came from a packet (SNI, Host, RST
 * payload text in the explanation) could carry escape sequences that move the
 * cursor, retitle the window or worse. Every string cell is therefore reduced
 * to printable ASCII: other bytes, and the backslash itself, become \xHH.
 * That also makes the byte length of a cell its display width, which the
 * alignment relies on. The only escapes this writer emits are its own colours.
 */
#include <stdlib.h>
#include <time.h>

#include "output_int.h"

#define RS_TABLE_BLOCK_ROWS 1000

enum {
    COL_TS,
    COL_PROTO,
    COL_CLIENT,
    COL_SERVER,
    COL_END,
    COL_APP,
    COL_STATE,
    COL_HISTORY,
    COL_PKTS,
    COL_BYTES,
    COL_RST_BY,
    COL_RST_CAUSE,
    NCOLS
};

/* clang-format off */
static const struct {
    const char *title;
    int right; /* right-aligned (numbers) */
} cols[NCOLS] = {
    [COL_TS] = {"ts", 0},
    [COL_PROTO] = {"proto", 0},
    [COL_CLIENT] = {"client", 0},
    [COL_SERVER] = {"server", 0},
    [COL_END] = {"end_reason", 0},
    [COL_APP] = {"app", 0},
    [COL_STATE] = {"state", 0},
    [COL_HISTORY] = {"history", 0},
    [COL_PKTS] = {"pkts c/s", 1},
    [COL_BYTES] = {"bytes c/s", 1},
    [COL_RST_BY] = {"rst_by", 0},
    [COL_RST_CAUSE] = {"rst_cause", 0},
};
/* clang-format on */

/* Stream-mode widths (at least the title's): "2026-11-27 20:35:59.300",
 * "255.255.255.255:65535", "tcp-rst-from-client", "insufficient-data",
 * "RSTOS0"; the last column is never padded. */
static const size_t stream_width[NCOLS] = {
    [COL_TS] = 23,  [COL_PROTO] = 5,  [COL_CLIENT] = 21, [COL_SERVER] = 21,
    [COL_END] = 19, [COL_APP] = 17,   [COL_STATE] = 6,   [COL_HISTORY] = 9,
    [COL_PKTS] = 9, [COL_BYTES] = 11, [COL_RST_BY] = 6,  [COL_RST_CAUSE] = 0,
};

/* Widest cell: a history of 63 bytes all escaped is 252; addresses and
 * counters are far shorter. */
#define CELL_MAX 320

#define ANSI_RED "\033[31m"
#define ANSI_GREEN "\033[32m"
#define ANSI_YELLOW "\033[33m"
#define ANSI_RESET "\033[0m"

struct table_state {
    struct rs_record *rows; /* RS_TABLE_BLOCK_ROWS, allocated on first use */
    size_t n;
    size_t blocks; /* blocks printed so far (stream mode: 1 once the header is out) */
};

static const char hexdig[] = "0123456789abcdef";

/* Printable ASCII only, as described above. Writes at most len-1 bytes and a
 * NUL, never a partial escape; returns the length. */
static size_t
term_escape(const char *s, size_t n, char *buf, size_t len)
{
    size_t o = 0;

    if (len == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            if (len - 1 - o < 1)
                break;
            buf[o++] = (char)c;
        } else {
            if (len - 1 - o < 4)
                break;
            buf[o++] = '\\';
            buf[o++] = 'x';
            buf[o++] = hexdig[c >> 4];
            buf[o++] = hexdig[c & 0x0f];
        }
    }
    buf[o] = '\0';
    return o;
}

/* A string cell; "-" when empty so that columns stay visible. */
static size_t
str_cell(const char *s, size_t n, char *buf, size_t len)
{
    if (n == 0)
        return term_escape("-", 1, buf, len);
    return term_escape(s, n, buf, len);
}

static size_t
ts_cell(rs_time_ns t, char *buf, size_t len)
{
    rs_time_ns sec = t / RS_NS_PER_SEC, rem = t % RS_NS_PER_SEC;
    if (rem < 0) {
        sec -= 1;
        rem += RS_NS_PER_SEC;
    }
    time_t secs = (time_t)sec;
    struct tm tm;
    if (!gmtime_r(&secs, &tm))
        return term_escape("?", 1, buf, len);
    size_t n = strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
    if (n == 0 || len - n < 5)
        return term_escape("?", 1, buf, len);
    unsigned ms = (unsigned)(rem / 1000000);
    buf[n++] = '.';
    buf[n++] = (char)('0' + ms / 100);
    buf[n++] = (char)('0' + ms / 10 % 10);
    buf[n++] = (char)('0' + ms % 10);
    buf[n] = '\0';
    return n;
}

static size_t
endpoint_cell(const struct rs_addr *a, uint16_t port, char *buf, size_t len)
{
    char addr[64];
    char num[RS_NUM_MAX];
    size_t an = rs_addr_format(a, addr, sizeof addr);
    size_t pn = rs_output_u64(num, port);
    int v6 = !rs_addr_is_v4(a);
    size_t need = an + pn + 1 + (v6 ? 2 : 0);
    size_t o = 0;

    if (need > len - 1)
        return term_escape("?", 1, buf, len);
    if (v6)
        buf[o++] = '[';
    memcpy(buf + o, addr, an);
    o += an;
    if (v6)
        buf[o++] = ']';
    buf[o++] = ':';
    memcpy(buf + o, num, pn);
    o += pn;
    buf[o] = '\0';
    return o;
}

static size_t
pair_cell(uint64_t a, uint64_t b, char *buf, size_t len)
{
    char n1[RS_NUM_MAX], n2[RS_NUM_MAX];
    size_t l1 = rs_output_u64(n1, a), l2 = rs_output_u64(n2, b);

    if (l1 + l2 + 1 > len - 1)
        return term_escape("?", 1, buf, len);
    memcpy(buf, n1, l1);
    buf[l1] = '/';
    memcpy(buf + l1 + 1, n2, l2);
    buf[l1 + 1 + l2] = '\0';
    return l1 + 1 + l2;
}

static size_t
cell(const struct rs_record *r, int col, char *buf, size_t len)
{
    const char *s;

    switch (col) {
    case COL_TS:
        return ts_cell(r->ts, buf, len);
    case COL_PROTO:
        s = rs_proto_name(r->proto);
        return str_cell(s, strlen(s), buf, len);
    case COL_CLIENT:
        return endpoint_cell(&r->client, r->client_port, buf, len);
    case COL_SERVER:
        return endpoint_cell(&r->server, r->server_port, buf, len);
    case COL_END:
        s = rs_end_reason_name(r->end_reason);
        return str_cell(s, strlen(s), buf, len);
    case COL_APP:
        return str_cell(r->app, RS_STRLEN(r->app), buf, len);
    case COL_STATE:
        return str_cell(r->conn_state, RS_STRLEN(r->conn_state), buf, len);
    case COL_HISTORY:
        return str_cell(r->history, RS_STRLEN(r->history), buf, len);
    case COL_PKTS:
        return pair_cell(r->client_pkts, r->server_pkts, buf, len);
    case COL_BYTES:
        return pair_cell(r->client_bytes, r->server_bytes, buf, len);
    case COL_RST_BY:
        s = rs_rst_by_name(r->rst_by);
        return str_cell(s, strlen(s), buf, len);
    case COL_RST_CAUSE:
        return str_cell(r->rst_cause, RS_STRLEN(r->rst_cause), buf, len);
    default:
        return str_cell("", 0, buf, len);
    }
}

static const char *
end_color(enum rs_end_reason e)
{
    switch (e) {
    case RS_END_RST_CLIENT:
    case RS_END_RST_SERVER:
        return ANSI_RED;
    case RS_END_TCP_FIN:
        return ANSI_GREEN;
    case RS_END_AGED_OUT:
        return ANSI_YELLOW;
    case RS_END_OPEN:
    case RS_END_TCP_REUSE:
    case RS_END_POLICY_DENY:
    case RS_END__COUNT:
        break;
    }
    return NULL;
}

/* Appends one aligned cell; the last column gets no trailing padding. */
static void
put_cell(struct rs_obuf *b, int col, const char *text, size_t n, size_t width, const char *color)
{
    size_t pad = width > n ? width - n : 0;

    if (col > 0)
        rs_obuf_put(b, "  ", 2);
    if (cols[col].right)
        rs_obuf_pad(b, pad);
    if (color)
        rs_obuf_puts(b, color);
    rs_obuf_put(b, text, n);
    if (color)
        rs_obuf_puts(b, ANSI_RESET);
    if (!cols[col].right && col != NCOLS - 1)
        rs_obuf_pad(b, pad);
}

static void
put_note(struct rs_writer *w, const char *label, const char *s, size_t n)
{
    char buf[4 * 384 + 1]; /* the longest record string, every byte escaped */

    if (n == 0)
        return;
    rs_obuf_puts(&w->ob, label);
    rs_obuf_put(&w->ob, buf, term_escape(s, n, buf, sizeof buf));
    rs_obuf_putc(&w->ob, '\n');
    rs_writer_flush_line(w);
}

static void
put_header(struct rs_writer *w, const size_t *width)
{
    for (int c = 0; c < NCOLS; c++)
        put_cell(&w->ob, c, cols[c].title, strlen(cols[c].title), width[c], NULL);
    rs_obuf_putc(&w->ob, '\n');
    rs_writer_flush_line(w);
}

/* One row, and its why/hint lines with --explain. */
static void
put_row(struct rs_writer *w, const struct rs_record *r, const size_t *width)
{
    char buf[CELL_MAX];

    for (int c = 0; c < NCOLS; c++) {
        size_t n = cell(r, c, buf, sizeof buf);
        const char *color = NULL;
        if (c == COL_END && w->opts.color)
            color = end_color(r->end_reason);
        put_cell(&w->ob, c, buf, n, width[c], color);
    }
    rs_obuf_putc(&w->ob, '\n');
    rs_writer_flush_line(w);
    if (w->opts.explain) {
        put_note(w, "  why: ", r->explanation, RS_STRLEN(r->explanation));
        put_note(w, "  hint: ", r->hint, RS_STRLEN(r->hint));
    }
}

static void
flush_block(struct rs_writer *w, struct table_state *st)
{
    size_t width[NCOLS];
    char buf[CELL_MAX];

    if (st->n == 0)
        return;
    for (int c = 0; c < NCOLS; c++)
        width[c] = strlen(cols[c].title);
    for (size_t i = 0; i < st->n; i++) {
        for (int c = 0; c < NCOLS; c++) {
            size_t n = cell(&st->rows[i], c, buf, sizeof buf);
            if (n > width[c])
                width[c] = n;
        }
    }

    if (st->blocks > 0)
        rs_obuf_putc(&w->ob, '\n');
    put_header(w, width);
    for (size_t i = 0; i < st->n; i++)
        put_row(w, &st->rows[i], width);
    rs_writer_flush_lines(w); /* a reader sees each block as it is aligned */
    st->n = 0;
    st->blocks++;
}

static void
stream_row(struct rs_writer *w, struct table_state *st, const struct rs_record *rec)
{
    size_t width[NCOLS];

    for (int c = 0; c < NCOLS; c++) {
        size_t t = strlen(cols[c].title);
        width[c] = stream_width[c] > t ? stream_width[c] : t;
    }
    if (st->blocks == 0) {
        put_header(w, width);
        st->blocks = 1;
    }
    put_row(w, rec, width);
}

static int
table_start(struct rs_writer *w)
{
    struct table_state *st = calloc(1, sizeof *st);
    if (!st)
        return RS_ERR_NOMEM;
    w->state = st;
    return 0;
}

static int
table_write(struct rs_writer *w, const struct rs_record *rec)
{
    struct table_state *st = w->state;

    if (w->opts.stream) {
        stream_row(w, st, rec);
        return 0;
    }
    if (!st->rows) {
        st->rows = malloc(RS_TABLE_BLOCK_ROWS * sizeof *st->rows);
        if (!st->rows)
            return RS_ERR_NOMEM;
    }
    st->rows[st->n++] = *rec;
    if (st->n == RS_TABLE_BLOCK_ROWS)
        flush_block(w, st);
    return 0;
}

static int
table_finish(struct rs_writer *w, rs_time_ns close_ts)
{
    (void)close_ts;
    flush_block(w, w->state);
    return 0;
}

static void
table_free(struct rs_writer *w)
{
    struct table_state *st = w->state;
    if (st) {
        free(st->rows);
        free(st);
    }
    w->state = NULL;
}

const struct rs_writer_ops rs_out_table_ops = {
    .name = "table",
    .start = table_start,
    .write = table_write,
    .finish = table_finish,
    .free_state = table_free,
};
