/*
 * out_zeek.c - a Zeek conn.log in Zeek's ASCII (TSV) log format.
 *
 * The layout follows Zeek's ASCII writer and formatter
 * (logging/writers/ascii, threading/formatters/Ascii.cc) so that zeek-cut,
 * Zeek's own input framework and the conformance scorer read it unchanged:
 *  - the header block (#separator ... #types) and the #close trailer;
 *  - "-" for an unset field, "(empty)" for a set field holding "";
 *  - a string that is literally "-" or "(empty)" gets its first byte
 *    hex-escaped ("\x2d"), so it cannot be mistaken for the markers;
 *  - a tab, a backslash, a control byte or a byte that is not part of valid
 *    UTF-8 is written as \xHH (lowercase, as Zeek does); valid UTF-8 is kept,
 *    as with Zeek's default LogAscii::enable_utf_8;
 *  - times and intervals with exactly 6 decimals.
 * Column semantics follow Zeek's base/protocols/conn/main.zeek: duration,
 * orig_bytes and resp_bytes are only set when the duration is > 0, and
 * history is only set when non-empty.
 */
#include <time.h>

#include "output_int.h"

/* clang-format off */
static const char zeek_header[] =
    "#separator \\x09\n"
    "#set_separator\t,\n"
    "#empty_field\t(empty)\n"
    "#unset_field\t-\n"
    "#path\tconn\n";
/* clang-format on */

static const char zeek_fields[] =
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration"
    "\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory"
    "\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\tip_proto\n"
    "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount"
    "\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\tcount\n";

/* App-ID states (SPEC §3) are ours, not protocols: Zeek would leave service
 * unset for these sessions. */
static const char *const appid_states[] = {
    "incomplete",  "insufficient-data", "unknown-tcp",
    "unknown-udp", "non-syn-tcp",       "not-applicable",
};

static const char hexdig[] = "0123456789abcdef";

static void
put_hex_escape(struct rs_obuf *b, unsigned char c)
{
    char e[4] = {'\\', 'x', hexdig[c >> 4], hexdig[c & 0x0f]};
    rs_obuf_put(b, e, 4);
}

/* A Zeek string value (or one element of a set when in_set). */
static void
zeek_str(struct rs_obuf *b, const char *s, size_t n, int in_set)
{
    const unsigned char *u = (const unsigned char *)s;

    if (n == 0) {
        rs_obuf_put(b, "(empty)", 7);
        return;
    }
    size_t i = 0;
    if ((n == 1 && s[0] == '-') || (n == 7 && memcmp(s, "(empty)", 7) == 0)) {
        put_hex_escape(b, u[0]);
        i = 1;
    }
    while (i < n) {
        unsigned char c = u[i];
        if (c >= 0x80) {
            size_t seq = rs_utf8_seq_len(u + i, n - i);
            if (seq) {
                rs_obuf_put(b, s + i, seq);
                i += seq;
                continue;
            }
            put_hex_escape(b, c);
        } else if (c < 0x20 || c == 0x7f || c == '\\' || (in_set && c == ',')) {
            put_hex_escape(b, c);
        } else {
            rs_obuf_putc(b, (char)c);
        }
        i++;
    }
}

static void
zeek_u64(struct rs_obuf *b, uint64_t v)
{
    char tmp[RS_NUM_MAX];
    rs_obuf_put(b, tmp, rs_output_u64(tmp, v));
}

static void
zeek_secs(struct rs_obuf *b, rs_time_ns t)
{
    char tmp[RS_NUM_MAX];
    rs_obuf_put(b, tmp, rs_output_secs(tmp, t));
}

static void
zeek_addr(struct rs_obuf *b, const struct rs_addr *a)
{
    char tmp[64];
    size_t n = rs_addr_format(a, tmp, sizeof tmp);
    if (n == 0)
        rs_obuf_putc(b, '-');
    else
        rs_obuf_put(b, tmp, n);
}

/* Zeek's "%Y-%m-%d-%H-%M-%S" for #open/#close, in UTC. */
static void
zeek_date(struct rs_obuf *b, rs_time_ns t)
{
    time_t secs = (time_t)(t / RS_NS_PER_SEC - (t % RS_NS_PER_SEC < 0 ? 1 : 0));
    struct tm tm;
    char tmp[64];

    if (!gmtime_r(&secs, &tm) || strftime(tmp, sizeof tmp, "%Y-%m-%d-%H-%M-%S", &tm) == 0) {
        rs_obuf_puts(b, "0000-00-00-00-00-00");
        return;
    }
    rs_obuf_puts(b, tmp);
}

static int
is_real_service(const char *app, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < sizeof appid_states / sizeof appid_states[0]; i++)
        if (strlen(appid_states[i]) == n && memcmp(app, appid_states[i], n) == 0)
            return 0;
    return 1;
}

static int
zeek_start(struct rs_writer *w)
{
    struct rs_obuf *b = &w->ob;

    rs_obuf_put(b, zeek_header, sizeof zeek_header - 1);
    rs_obuf_put(b, "#open\t", 6);
    zeek_date(b, w->opts.open_ts);
    rs_obuf_putc(b, '\n');
    rs_obuf_put(b, zeek_fields, sizeof zeek_fields - 1);
    rs_writer_flush_line(w);
    return w->ob.oom ? RS_ERR_NOMEM : 0;
}

static int
zeek_write(struct rs_writer *w, const struct rs_record *r)
{
    struct rs_obuf *b = &w->ob;
    rs_time_ns dur = rs_record_duration(r);
    size_t n;

    zeek_secs(b, r->ts);
    rs_obuf_putc(b, '\t');
    zeek_str(b, r->uid, RS_STRLEN(r->uid), 0);
    rs_obuf_putc(b, '\t');
    zeek_addr(b, &r->client);
    rs_obuf_putc(b, '\t');
    zeek_u64(b, r->client_port);
    rs_obuf_putc(b, '\t');
    zeek_addr(b, &r->server);
    rs_obuf_putc(b, '\t');
    zeek_u64(b, r->server_port);
    rs_obuf_putc(b, '\t');
    rs_obuf_puts(b, rs_proto_name(r->proto));
    rs_obuf_putc(b, '\t');

    n = RS_STRLEN(r->app);
    if (is_real_service(r->app, n))
        zeek_str(b, r->app, n, 0);
    else
        rs_obuf_putc(b, '-');
    rs_obuf_putc(b, '\t');

    if (dur > 0) {
        zeek_secs(b, dur);
        rs_obuf_putc(b, '\t');
        zeek_u64(b, r->client_bytes);
        rs_obuf_putc(b, '\t');
        zeek_u64(b, r->server_bytes);
    } else {
        rs_obuf_put(b, "-\t-\t-", 5);
    }
    rs_obuf_putc(b, '\t');

    zeek_str(b, r->conn_state, RS_STRLEN(r->conn_state), 0);
    /* local_orig, local_resp: unset, there is no Site::local_nets. */
    rs_obuf_put(b, "\t-\t-\t", 5);
    zeek_u64(b, r->missed_bytes);
    rs_obuf_putc(b, '\t');

    n = RS_STRLEN(r->history);
    if (n)
        zeek_str(b, r->history, n, 0);
    else
        rs_obuf_putc(b, '-');
    rs_obuf_putc(b, '\t');

    zeek_u64(b, r->client_pkts);
    rs_obuf_putc(b, '\t');
    zeek_u64(b, r->client_ip_bytes);
    rs_obuf_putc(b, '\t');
    zeek_u64(b, r->server_pkts);
    rs_obuf_putc(b, '\t');
    zeek_u64(b, r->server_ip_bytes);
    rs_obuf_putc(b, '\t');

    n = RS_STRLEN(r->tunnel_parents);
    if (n == 0) {
        rs_obuf_putc(b, '-');
    } else {
        const char *p = r->tunnel_parents, *end = p + n;
        for (;;) {
            const char *comma = memchr(p, ',', (size_t)(end - p));
            const char *stop = comma ? comma : end;
            zeek_str(b, p, (size_t)(stop - p), 1);
            if (!comma)
                break;
            rs_obuf_putc(b, ',');
            p = comma + 1;
        }
    }
    rs_obuf_putc(b, '\t');
    zeek_u64(b, r->proto);
    rs_obuf_putc(b, '\n');
    rs_writer_flush_line(w);
    return 0;
}

static int
zeek_finish(struct rs_writer *w, rs_time_ns close_ts)
{
    rs_obuf_put(&w->ob, "#close\t", 7);
    zeek_date(&w->ob, close_ts);
    rs_obuf_putc(&w->ob, '\n');
    rs_writer_flush_line(w);
    return 0;
}

const struct rs_writer_ops rs_out_zeek_ops = {
    .name = "zeek",
    .start = zeek_start,
    .write = zeek_write,
    .finish = zeek_finish,
    .free_state = NULL,
};
