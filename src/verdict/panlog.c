/*
 * panlog.c - reading PAN-OS traffic logs (panlog.h part 2).
 *
 * Two shapes of input, told apart by the first non-blank line:
 *
 *  - Syslog / plain lines in PAN-OS's documented field order ("Traffic Log
 *    Fields": FUTURE_USE, Receive Time, Serial Number, Type, Threat/Content
 *    Type, ...). A syslog relay puts a header in front ("<14>Feb 28 10:19:09
 *    fw01 1,2022/02/28 ..."; RFC 5424 "<14>1 2026-01-27T08:02:00Z fw - - - -
 *    1,..."), so the payload is found by its shape, not by position: the
 *    first field that is a log type (TRAFFIC, THREAT, ...) with a time two
 *    fields before it is the Type field, and the fields count from three
 *    before it. The field count varies with the PAN-OS version (46 in 6.x,
 *    about 75 in 9.1, 115 and more in 10.x/11.x); everything used here is at
 *    the same position in all of them, so any count from Elapsed Time (37)
 *    on is accepted, and later fields are used when present.
 *
 *  - A CSV export with a header line (the web interface's "Export to CSV":
 *    "Domain,Receive Time,Serial #,Type,Threat/Content Type,..."): columns are
 *    found by name (normalised: lowercase letters and digits only), with the
 *    aliases the export and the syslog field names use.
 *
 * Fields are split as RFC 4180 CSV (PAN-OS quotes a field containing a comma
 * and doubles quotes inside it); a stray quote inside an unquoted field is
 * kept as text, as real logs have them. Lines are read through a bounded
 * buffer: a line longer than RS_PANLOG_MAX_LINE is reported and skipped
 * without ever being held whole. A malformed line costs that line only.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rstscope/panlog.h>

/* Columns the reader uses. */
enum col {
    C_TYPE = 0,
    C_SUBTYPE,
    C_SRC,
    C_DST,
    C_NATSRC,
    C_NATDST,
    C_RULE,
    C_APP,
    C_SESSION,
    C_SPORT,
    C_DPORT,
    C_NATSPORT,
    C_NATDPORT,
    C_PROTO,
    C_ACTION,
    C_BYTES_SENT,
    C_BYTES_RECV,
    C_START,
    C_ELAPSED,
    C_PKTS_SENT,
    C_PKTS_RECV,
    C_END_REASON,
    C__COUNT
};

/* 0-based positions in the syslog order (PAN-OS 6.1 .. 11.x). */
static const int syslog_pos[C__COUNT] = {
    [C_TYPE] = 3,        [C_SUBTYPE] = 4,     [C_SRC] = 7,      [C_DST] = 8,
    [C_NATSRC] = 9,      [C_NATDST] = 10,     [C_RULE] = 11,    [C_APP] = 14,
    [C_SESSION] = 22,    [C_SPORT] = 24,      [C_DPORT] = 25,   [C_NATSPORT] = 26,
    [C_NATDPORT] = 27,   [C_PROTO] = 29,      [C_ACTION] = 30,  [C_BYTES_SENT] = 32,
    [C_BYTES_RECV] = 33, [C_START] = 35,      [C_ELAPSED] = 36, [C_PKTS_SENT] = 44,
    [C_PKTS_RECV] = 45,  [C_END_REASON] = 46,
};
#define SYSLOG_MIN_FIELDS 37 /* through Elapsed Time */

/* fill(): a TRAFFIC start line (counted apart from other log types). */
#define SKIP_START 4

static const char *const col_label[C__COUNT] = {
    [C_TYPE] = "Type",
    [C_SUBTYPE] = "Threat/Content Type",
    [C_SRC] = "Source Address",
    [C_DST] = "Destination Address",
    [C_NATSRC] = "NAT Source IP",
    [C_NATDST] = "NAT Destination IP",
    [C_RULE] = "Rule Name",
    [C_APP] = "Application",
    [C_SESSION] = "Session ID",
    [C_SPORT] = "Source Port",
    [C_DPORT] = "Destination Port",
    [C_NATSPORT] = "NAT Source Port",
    [C_NATDPORT] = "NAT Destination Port",
    [C_PROTO] = "Protocol",
    [C_ACTION] = "Action",
    [C_BYTES_SENT] = "Bytes Sent",
    [C_BYTES_RECV] = "Bytes Received",
    [C_START] = "Start Time",
    [C_ELAPSED] = "Elapsed Time",
    [C_PKTS_SENT] = "Packets Sent",
    [C_PKTS_RECV] = "Packets Received",
    [C_END_REASON] = "Session End Reason",
};

/* Header names (normalised) per column: the syslog documentation's, the
 * CSV export's and the short names of custom log formats ($src, ...). */
static const struct {
    enum col col;
    const char *name;
} aliases[] = {
    {C_TYPE, "type"},
    {C_TYPE, "logtype"},
    {C_SUBTYPE, "threatcontenttype"},
    {C_SUBTYPE, "contentthreattype"},
    {C_SUBTYPE, "subtype"},
    {C_SRC, "sourceaddress"},
    {C_SRC, "source"},
    {C_SRC, "src"},
    {C_SRC, "sourceip"},
    {C_SRC, "srcip"},
    {C_DST, "destinationaddress"},
    {C_DST, "destination"},
    {C_DST, "dst"},
    {C_DST, "destinationip"},
    {C_DST, "dstip"},
    {C_NATSRC, "natsourceip"},
    {C_NATSRC, "natsourceaddress"},
    {C_NATSRC, "natsrc"},
    {C_NATDST, "natdestinationip"},
    {C_NATDST, "natdestinationaddress"},
    {C_NATDST, "natdst"},
    {C_RULE, "rule"},
    {C_RULE, "rulename"},
    {C_APP, "application"},
    {C_APP, "app"},
    {C_SESSION, "sessionid"},
    {C_SPORT, "sourceport"},
    {C_SPORT, "sport"},
    {C_SPORT, "srcport"},
    {C_DPORT, "destinationport"},
    {C_DPORT, "dport"},
    {C_DPORT, "dstport"},
    {C_NATSPORT, "natsourceport"},
    {C_NATSPORT, "natsport"},
    {C_NATDPORT, "natdestinationport"},
    {C_NATDPORT, "natdport"},
    {C_PROTO, "ipprotocol"},
    {C_PROTO, "protocol"},
    {C_PROTO, "proto"},
    {C_ACTION, "action"},
    {C_BYTES_SENT, "bytessent"},
    {C_BYTES_RECV, "bytesreceived"},
    {C_BYTES_RECV, "bytesrecv"},
    {C_START, "starttime"},
    {C_START, "start"},
    {C_ELAPSED, "elapsedtimesec"},
    {C_ELAPSED, "elapsedtime"},
    {C_ELAPSED, "elapsed"},
    {C_PKTS_SENT, "pktssent"},
    {C_PKTS_SENT, "packetssent"},
    {C_PKTS_RECV, "pktsreceived"},
    {C_PKTS_RECV, "packetsreceived"},
    {C_PKTS_RECV, "pktsrecv"},
    {C_END_REASON, "sessionendreason"},
};

static const char *const log_types[] = {
    "TRAFFIC",     "THREAT",        "SYSTEM", "CONFIG", "HIPMATCH", "HIP-MATCH",
    "CORRELATION", "USERID",        "AUTH",   "GTP",    "SCTP",     "TUNNEL",
    "DECRYPTION",  "GLOBALPROTECT", "IPTAG",  "URL",    "DATA",     "WILDFIRE",
};

/* Split fields: offsets into a scratch copy, each NUL-terminated. */
struct fields {
    char *buf; /* RS_PANLOG_MAX_LINE + 1 */
    size_t off[RS_PANLOG_MAX_FIELDS];
    size_t len[RS_PANLOG_MAX_FIELDS];
    size_t n;
};

struct rs_panlog {
    FILE *fp;
    char *name;
    /* block reader */
    char *blk;
    size_t blk_len, blk_pos;
    int eof, read_err;
    char *line; /* RS_PANLOG_MAX_LINE + 1 */
    uint64_t line_no;
    int seen_first;
    /* column map: header index per column, -1 absent; header mode only */
    int header;
    int cols[C__COUNT];
    struct fields f;
    struct rs_panlog_stats st;
};

#define BLK_SIZE 65536

/* ---- line splitting ---- */

/* Splits s[0..n) into f. 0, or -1 with a reason in why. */
static int
split(const char *s, size_t n, struct fields *f, const char **why)
{
    size_t i = 0, o = 0;
    f->n = 0;
    for (;;) {
        if (f->n == RS_PANLOG_MAX_FIELDS) {
            *why = "too many fields";
            return -1;
        }
        size_t start = o;
        if (i < n && s[i] == '"') {
            i++;
            int closed = 0;
            while (i < n) {
                if (s[i] == '"') {
                    if (1 < n - i && s[i + 1] == '"') {
                        f->buf[o++] = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    closed = 1;
                    break;
                }
                f->buf[o++] = s[i++];
            }
            if (!closed) {
                *why = "unterminated quoted field";
                return -1;
            }
            /* Text after the closing quote belongs to the field (lenient). */
        }
        while (i < n && s[i] != ',')
            f->buf[o++] = s[i++];
        f->off[f->n] = start;
        f->len[f->n] = o - start;
        f->buf[o++] = '\0';
        f->n++;
        if (i >= n)
            return 0;
        i++; /* the comma */
    }
}

static const char *
fld(const struct fields *f, size_t i, size_t *len)
{
    *len = f->len[i];
    return f->buf + f->off[i];
}

/* ---- value parsing ---- */

static void
trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

static int
parse_u64(const char *s, size_t n, uint64_t *out)
{
    trim(&s, &n);
    if (n == 0 || n > 20)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int
parse_addr(const char *s, size_t n, struct rs_addr *a)
{
    char tmp[64];
    trim(&s, &n);
    if (n == 0 || n >= sizeof tmp)
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    return rs_addr_parse(a, tmp);
}

static int
is_zero_addr(const struct rs_addr *a)
{
    static const uint8_t z6[16];
    struct rs_addr z4;
    static const uint8_t zero4[4];
    rs_addr_from_v4(&z4, zero4);
    return memcmp(a->b, z6, 16) == 0 || memcmp(a->b, z4.b, 16) == 0;
}

static void
copy(char *dst, size_t cap, const char *s, size_t n)
{
    trim(&s, &n);
    if (n > cap - 1)
        n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

static int
eq(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/*
 * Fills e from the fields with column positions pos[] relative to `base`
 * (-1 = absent). Returns RS_PANLOG_ENTRY, RS_PANLOG_SKIP (not TRAFFIC, or
 * start), or RS_PANLOG_BAD with a message in msg.
 */
static int
fill(const struct fields *f, size_t base, const int pos[C__COUNT], int have_type,
     struct rs_panlog_entry *e, char *msg, size_t msglen)
{
    const char *v[C__COUNT];
    size_t vl[C__COUNT];
    for (int c = 0; c < C__COUNT; c++) {
        if (pos[c] >= 0 && base + (size_t)pos[c] < f->n) {
            v[c] = fld(f, base + (size_t)pos[c], &vl[c]);
        } else {
            v[c] = NULL;
            vl[c] = 0;
        }
    }
    uint64_t line = e->line;
    memset(e, 0, sizeof *e);
    e->line = line;
    e->nfields = (uint16_t)(f->n - base);
    e->elapsed_s = -1;

    const char *type = v[C_TYPE], *sub = v[C_SUBTYPE];
    size_t type_n = vl[C_TYPE], sub_n = vl[C_SUBTYPE];
    if (type)
        trim(&type, &type_n);
    if (sub)
        trim(&sub, &sub_n);
    /* The web interface's Type column holds the subtype. */
    if (type && !sub &&
        (eq(type, type_n, "end") || eq(type, type_n, "start") || eq(type, type_n, "drop") ||
         eq(type, type_n, "deny"))) {
        sub = type;
        sub_n = type_n;
        type = NULL;
    }
    if (have_type && type && !eq(type, type_n, "TRAFFIC"))
        return RS_PANLOG_SKIP;
    if (!sub || sub_n == 0) {
        snprintf(msg, msglen, "no %s (subtype)", col_label[C_SUBTYPE]);
        return RS_PANLOG_BAD;
    }
    if (eq(sub, sub_n, "start"))
        return SKIP_START;
    if (!eq(sub, sub_n, "end") && !eq(sub, sub_n, "drop") && !eq(sub, sub_n, "deny")) {
        snprintf(msg, msglen, "unknown traffic subtype '%.*s' (start, end, drop, deny)",
                 (int)(sub_n > 32 ? 32 : sub_n), sub);
        return RS_PANLOG_BAD;
    }
    copy(e->subtype, sizeof e->subtype, sub, sub_n);

    static const enum col need[] = {C_SRC, C_DST, C_SPORT, C_DPORT, C_PROTO, C_START};
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
        if (!v[need[i]]) {
            snprintf(msg, msglen, "no %s field", col_label[need[i]]);
            return RS_PANLOG_BAD;
        }
    }
#define BAD_VALUE(c)                                                                               \
    do {                                                                                           \
        snprintf(msg, msglen, "bad %s '%.*s'", col_label[c], (int)(vl[c] > 48 ? 48 : vl[c]),       \
                 v[c]);                                                                            \
        return RS_PANLOG_BAD;                                                                      \
    } while (0)

    if (parse_addr(v[C_SRC], vl[C_SRC], &e->src) != 0)
        BAD_VALUE(C_SRC);
    if (parse_addr(v[C_DST], vl[C_DST], &e->dst) != 0)
        BAD_VALUE(C_DST);
    uint64_t u;
    if (parse_u64(v[C_SPORT], vl[C_SPORT], &u) != 0 || u > 65535)
        BAD_VALUE(C_SPORT);
    e->sport = (uint16_t)u;
    if (parse_u64(v[C_DPORT], vl[C_DPORT], &u) != 0 || u > 65535)
        BAD_VALUE(C_DPORT);
    e->dport = (uint16_t)u;
    {
        const char *p = v[C_PROTO];
        size_t pn = vl[C_PROTO];
        trim(&p, &pn);
        e->proto = rs_panos_proto_parse(p, pn);
        if (e->proto < 0)
            BAD_VALUE(C_PROTO);
    }
    int zoned;
    if (rs_panos_time_parse(v[C_START], vl[C_START], &e->start, &zoned) != 0)
        BAD_VALUE(C_START);
    e->start_zoned = (uint8_t)zoned;

    static const enum col nat_addr[2] = {C_NATSRC, C_NATDST};
    static const enum col nat_port[2] = {C_NATSPORT, C_NATDPORT};
    for (int k = 0; k < 2; k++) {
        enum col c = nat_addr[k];
        const char *s = v[c];
        size_t n = vl[c];
        if (s)
            trim(&s, &n);
        if (!s || n == 0)
            continue;
        struct rs_addr a;
        if (parse_addr(s, n, &a) != 0)
            BAD_VALUE(c);
        if (is_zero_addr(&a))
            continue;
        uint64_t port = 0;
        if (v[nat_port[k]] && vl[nat_port[k]] &&
            (parse_u64(v[nat_port[k]], vl[nat_port[k]], &port) != 0 || port > 65535))
            BAD_VALUE(nat_port[k]);
        if (k == 0) {
            e->nat_src = a;
            e->has_nat_src = 1;
            e->nat_sport = (uint16_t)port;
        } else {
            e->nat_dst = a;
            e->has_nat_dst = 1;
            e->nat_dport = (uint16_t)port;
        }
    }
    if (v[C_ELAPSED] && vl[C_ELAPSED]) {
        if (parse_u64(v[C_ELAPSED], vl[C_ELAPSED], &u) != 0 || u > INT64_MAX)
            BAD_VALUE(C_ELAPSED);
        e->elapsed_s = (int64_t)u;
    }
    if (v[C_SESSION] && vl[C_SESSION] && parse_u64(v[C_SESSION], vl[C_SESSION], &u) == 0)
        e->session_id = u;
    static const enum col cnt[4] = {C_BYTES_SENT, C_BYTES_RECV, C_PKTS_SENT, C_PKTS_RECV};
    uint64_t *dst[4] = {&e->bytes_sent, &e->bytes_recv, &e->pkts_sent, &e->pkts_recv};
    int have = 0;
    for (int k = 0; k < 4; k++) {
        if (!v[cnt[k]] || vl[cnt[k]] == 0)
            continue;
        if (parse_u64(v[cnt[k]], vl[cnt[k]], dst[k]) != 0)
            BAD_VALUE(cnt[k]);
        have++;
    }
    e->has_counts = have == 4;
#undef BAD_VALUE
    if (v[C_APP])
        copy(e->app, sizeof e->app, v[C_APP], vl[C_APP]);
    if (v[C_ACTION])
        copy(e->action, sizeof e->action, v[C_ACTION], vl[C_ACTION]);
    if (v[C_RULE])
        copy(e->rule, sizeof e->rule, v[C_RULE], vl[C_RULE]);
    if (v[C_END_REASON])
        copy(e->end_reason, sizeof e->end_reason, v[C_END_REASON], vl[C_END_REASON]);
    return RS_PANLOG_ENTRY;
}

static int
is_log_type(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof log_types / sizeof log_types[0]; i++)
        if (eq(s, n, log_types[i]))
            return 1;
    return 0;
}

/* Positional (syslog order) parse of an already split line. */
static int
parse_positional(const struct fields *f, struct rs_panlog_entry *e, char *msg, size_t msglen)
{
    /* The Type field: a log type with a time two fields before it. */
    size_t t;
    size_t limit = f->n < 24 ? f->n : 24;
    for (t = 3; t < limit; t++) {
        size_t n;
        const char *s = fld(f, t, &n);
        if (!is_log_type(s, n))
            continue;
        size_t tn;
        const char *ts = fld(f, t - 2, &tn);
        rs_time_ns dummy;
        int z;
        if (rs_panos_time_parse(ts, tn, &dummy, &z) == 0)
            break;
    }
    if (t >= limit) {
        snprintf(msg, msglen,
                 "not a PAN-OS log line (no log type such as TRAFFIC after a receive time)");
        return RS_PANLOG_BAD;
    }
    size_t tn;
    const char *type = fld(f, t, &tn);
    if (!eq(type, tn, "TRAFFIC"))
        return RS_PANLOG_SKIP;
    size_t base = t - 3;
    if (f->n - base < SYSLOG_MIN_FIELDS) {
        snprintf(msg, msglen, "TRAFFIC line with %zu fields; at least %d are needed", f->n - base,
                 SYSLOG_MIN_FIELDS);
        return RS_PANLOG_BAD;
    }
    return fill(f, base, syslog_pos, 1, e, msg, msglen);
}

static struct fields *
fields_new(void)
{
    struct fields *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->buf = malloc(RS_PANLOG_MAX_LINE + RS_PANLOG_MAX_FIELDS + 1);
    if (!f->buf) {
        free(f);
        return NULL;
    }
    return f;
}

static void
fields_free(struct fields *f)
{
    if (f)
        free(f->buf);
    free(f);
}

int
rs_panlog_parse_line(const char *line, size_t len, uint64_t line_no, struct rs_panlog_entry *e,
                     struct rs_error *why)
{
    char msg[256];
    const char *w = NULL;
    if (len > RS_PANLOG_MAX_LINE) {
        rs_error_set(why, RS_ERR_INPUT, "line %llu: longer than %d bytes",
                     (unsigned long long)line_no, RS_PANLOG_MAX_LINE);
        return RS_PANLOG_BAD;
    }
    struct fields *f = fields_new();
    if (!f) {
        rs_error_set(why, RS_ERR_NOMEM, "out of memory");
        return RS_PANLOG_BAD;
    }
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    int rc;
    e->line = line_no;
    if (split(line, len, f, &w) != 0) {
        snprintf(msg, sizeof msg, "%s", w);
        rc = RS_PANLOG_BAD;
    } else {
        rc = parse_positional(f, e, msg, sizeof msg);
    }
    if (rc == RS_PANLOG_BAD)
        rs_error_set(why, RS_ERR_INPUT, "line %llu: %s", (unsigned long long)line_no, msg);
    fields_free(f);
    return rc == SKIP_START ? RS_PANLOG_SKIP : rc;
}

/* ---- the reader ---- */

struct rs_panlog *
rs_panlog_open(FILE *fp, const char *name, struct rs_error *err)
{
    struct rs_panlog *r = calloc(1, sizeof *r);
    if (!r)
        goto nomem;
    r->fp = fp;
    r->name = strdup(name ? name : "log");
    r->blk = malloc(BLK_SIZE);
    r->line = malloc(RS_PANLOG_MAX_LINE + 1);
    r->f.buf = malloc(RS_PANLOG_MAX_LINE + RS_PANLOG_MAX_FIELDS + 1);
    if (!r->name || !r->blk || !r->line || !r->f.buf)
        goto nomem;
    for (int c = 0; c < C__COUNT; c++)
        r->cols[c] = -1;
    return r;
nomem:
    rs_panlog_close(r);
    rs_error_set(err, RS_ERR_NOMEM, "out of memory");
    return NULL;
}

void
rs_panlog_close(struct rs_panlog *r)
{
    if (!r)
        return;
    free(r->name);
    free(r->blk);
    free(r->line);
    free(r->f.buf);
    free(r);
}

void
rs_panlog_stats(const struct rs_panlog *r, struct rs_panlog_stats *out)
{
    *out = r->st;
    out->header = r->header;
}

/*
 * Next line into r->line. Returns its length (>= 0), -1 at the end, -2 on a
 * read error, -3 for a line longer than the cap (skipped to its end).
 */
static long
read_line(struct rs_panlog *r, size_t *len)
{
    size_t n = 0;
    int too_long = 0;
    for (;;) {
        if (r->blk_pos == r->blk_len) {
            if (r->eof)
                break;
            r->blk_len = fread(r->blk, 1, BLK_SIZE, r->fp);
            r->blk_pos = 0;
            if (r->blk_len == 0) {
                r->eof = 1;
                if (ferror(r->fp))
                    return -2;
                break;
            }
        }
        const char *p = r->blk + r->blk_pos;
        size_t avail = r->blk_len - r->blk_pos;
        const char *nl = memchr(p, '\n', avail);
        size_t take = nl ? (size_t)(nl - p) : avail;
        if (!too_long) {
            if (take > RS_PANLOG_MAX_LINE - n) {
                too_long = 1;
            } else {
                memcpy(r->line + n, p, take);
                n += take;
            }
        }
        r->blk_pos += take + (nl ? 1 : 0);
        if (nl) {
            r->line_no++;
            *len = n;
            return too_long ? -3 : 0;
        }
    }
    if (n == 0 && !too_long)
        return -1;
    r->line_no++; /* a last line without a newline */
    *len = n;
    return too_long ? -3 : 0;
}

static void
normalise(const char *s, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < cap; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            out[k++] = c;
    }
    out[k] = '\0';
}

/* A header line names the columns; it is one if it has the columns a
 * session needs and no field of it is a log type. */
static int
try_header(struct rs_panlog *r)
{
    int cols[C__COUNT];
    for (int c = 0; c < C__COUNT; c++)
        cols[c] = -1;
    for (size_t i = 0; i < r->f.n; i++) {
        size_t n;
        const char *s = fld(&r->f, i, &n);
        if (is_log_type(s, n))
            return 0;
        char norm[64];
        normalise(s, n, norm, sizeof norm);
        for (size_t a = 0; a < sizeof aliases / sizeof aliases[0]; a++)
            if (strcmp(norm, aliases[a].name) == 0 && cols[aliases[a].col] < 0)
                cols[aliases[a].col] = (int)i;
    }
    if (cols[C_SRC] < 0 || cols[C_DST] < 0 || cols[C_PROTO] < 0)
        return 0;
    memcpy(r->cols, cols, sizeof cols);
    r->header = 1;
    return 1;
}

int
rs_panlog_next(struct rs_panlog *r, struct rs_panlog_entry *e, struct rs_error *why)
{
    char msg[256];
    for (;;) {
        size_t len = 0;
        long rc = read_line(r, &len);
        if (rc == -1)
            return RS_PANLOG_END;
        if (rc == -2)
            return rs_error_set(why, RS_ERR_INPUT, "%s: read error after line %llu: %s", r->name,
                                (unsigned long long)r->line_no, strerror(errno));
        r->st.lines++;
        if (rc == -3) {
            r->st.bad++;
            rs_error_set(why, RS_ERR_INPUT, "%s:%llu: line longer than %d bytes, skipped", r->name,
                         (unsigned long long)r->line_no, RS_PANLOG_MAX_LINE);
            return RS_PANLOG_BAD;
        }
        char *s = r->line;
        if (r->line_no == 1 && len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
            s += 3; /* UTF-8 byte order mark of spreadsheet exports */
            len -= 3;
        }
        while (len && (s[len - 1] == '\r' || s[len - 1] == ' ' || s[len - 1] == '\t'))
            len--;
        if (len == 0) {
            r->st.blank++;
            continue;
        }
        const char *w;
        if (split(s, len, &r->f, &w) != 0) {
            r->st.bad++;
            rs_error_set(why, RS_ERR_INPUT, "%s:%llu: %s, skipped", r->name,
                         (unsigned long long)r->line_no, w);
            return RS_PANLOG_BAD;
        }
        if (!r->seen_first) {
            r->seen_first = 1;
            if (try_header(r))
                continue;
        }
        e->line = r->line_no;
        int res = r->header ? fill(&r->f, 0, r->cols, r->cols[C_TYPE] >= 0, e, msg, sizeof msg)
                            : parse_positional(&r->f, e, msg, sizeof msg);
        if (res == RS_PANLOG_ENTRY) {
            r->st.entries++;
            return RS_PANLOG_ENTRY;
        }
        if (res == SKIP_START) {
            r->st.start++;
            continue;
        }
        if (res == RS_PANLOG_SKIP) {
            r->st.other++;
            continue;
        }
        r->st.bad++;
        rs_error_set(why, RS_ERR_INPUT, "%s:%llu: %s, skipped", r->name,
                     (unsigned long long)r->line_no, msg);
        return RS_PANLOG_BAD;
    }
}
