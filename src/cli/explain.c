/*
 * explain.c - `rstscope explain --log=traffic.csv CAPTURE...`: reconcile a
 * real PAN-OS traffic log with a capture of the same traffic (SPEC §1).
 *
 * The log is read first (panlog.h reader; malformed lines are reported on
 * stderr with their numbers and skipped), the captures are analysed as
 * `analyze` does (same input options, and --policy), every record is kept in
 * the matcher, and the pairs are printed: each log line in file order with
 * what the capture shows and whether they agree, then the captured sessions
 * the log lacks. All the reasoning lives in the library (panlog_match.c);
 * this file parses argv, prints rows and picks exit codes.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rstscope/capture.h>
#include <rstscope/engine.h>
#include <rstscope/output.h>
#include <rstscope/panlog.h>

#include "cli/cli.h"
#include "cli/common_opts.h"
#include "cli/progress.h"

static const char explain_usage[] =
    "usage: rstscope explain --log=FILE [options] CAPTURE...\n"
    "\n"
    "Reconciles a PAN-OS traffic log with a capture of the same traffic. Each\n"
    "TRAFFIC end/drop/deny line of the log is paired with its captured session\n"
    "(5-tuple before or after NAT, either orientation, start time within the\n"
    "tolerance) and printed with the log's end reason and application, what the\n"
    "capture shows, whether they agree (end reason, application, packet and byte\n"
    "counts) and rstscope's diagnosis. Then the log lines with no captured\n"
    "session, and the captured sessions the log lacks.\n"
    "\n"
    "The log: a CSV export with a header line (columns found by name), or syslog\n"
    "lines in PAN-OS's field order with or without a syslog header, any PAN-OS\n"
    "version. Malformed lines are reported on stderr with their line number and\n"
    "skipped; everything else is kept.\n"
    "\n"
    "options:\n"
    "  --log=FILE          the PAN-OS traffic log ('-' = stdin); required\n"
    "  --format=FMT        table (default on a terminal), jsonl (default\n"
    "                      otherwise), csv\n"
    "  --tolerance=T       start times may differ by T: 2s (default), 500ms, 1.5\n"
    "  --log-tz=ZONE       zone of log times written without one: auto (default:\n"
    "                      the quarter-hour shift that pairs the most lines), UTC,\n"
    "                      or an offset such as +02:00, -0500\n"
    "  --only=WHICH        all (default), or disagree: rows that do not agree,\n"
    "                      unpaired lines and sessions included\n" RS_CLI_INPUT_HELP
    "  -o, --output=FILE   write the rows to FILE instead of stdout\n"
    "  -q, --quiet         no summary on stderr\n"
    "  -h, --help          this help\n"
    "\n"
    "exit status: 0 ok (disagreements and malformed log lines included), 1 usage\n"
    "(also a bad --policy file), 2 input error (unreadable log or capture),\n"
    "3 output error, 4 internal error.\n"
    "\n"
    "examples:\n"
    "  rstscope explain --log=traffic.csv fw-inside.pcap\n"
    "  rstscope explain --log=panos.log --log-tz=+01:00 --only=disagree a.pcap b.pcap\n"
    "  rstscope analyze --format=panos x.pcap > x.log && rstscope explain --log=x.log x.pcap\n";

enum {
    OPT_LOG = 256,
    OPT_FORMAT,
    OPT_TOLERANCE,
    OPT_LOGTZ,
    OPT_ONLY,
};

enum fmt { FMT_TABLE, FMT_JSONL, FMT_CSV };

#define MAX_BAD_REPORTS 100

struct run {
    struct rs_panmatch *m;
    int nomem;
};

static void
on_record(const struct rs_record *r, void *user)
{
    struct run *run = user;
    if (rs_panmatch_add_record(run->m, r) != 0)
        run->nomem = 1;
}

/* "2s", "500ms", "1.5" (seconds) -> ns; -1 if bad. */
static rs_time_ns
parse_duration(const char *s)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || !(v >= 0) || v > 86400)
        return -1;
    if (strcmp(end, "ms") == 0)
        v /= 1000;
    else if (*end && strcmp(end, "s") != 0)
        return -1;
    return (rs_time_ns)(v * 1e9);
}

/* "UTC", "Z", "+02:00", "-0530", "+2" -> seconds east of UTC; 0 on success. */
static int
parse_tz(const char *s, int64_t *out)
{
    if (strcmp(s, "UTC") == 0 || strcmp(s, "utc") == 0 || strcmp(s, "Z") == 0) {
        *out = 0;
        return 0;
    }
    if (*s != '+' && *s != '-')
        return -1;
    int sign = *s == '-' ? -1 : 1;
    const char *p = s + 1;
    int h = 0, m = 0, nd = 0;
    while (*p >= '0' && *p <= '9' && nd < 2) {
        h = h * 10 + (*p++ - '0');
        nd++;
    }
    if (nd == 0)
        return -1;
    if (*p == ':')
        p++;
    if (*p) {
        if (!(p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9') || p[2])
            return -1;
        m = (p[0] - '0') * 10 + (p[1] - '0');
    }
    if (h > 14 || m > 59)
        return -1;
    *out = (int64_t)sign * ((int64_t)h * 3600 + (int64_t)m * 60);
    return 0;
}

/* ---- rows -------------------------------------------------------------- */

enum ctype { CT_STR, CT_NUM, CT_BOOL };

struct cell {
    enum ctype type;
    int present; /* 0: null in jsonl, empty in csv */
    const char *s;
    uint64_t n;
    char buf[64];
};

struct col {
    const char *name;
    void (*get)(const struct rs_panmatch_row *r, struct cell *c);
};

static void
str(struct cell *c, const char *s)
{
    c->type = CT_STR;
    c->present = 1;
    c->s = s;
}

static void
num(struct cell *c, int present, uint64_t v)
{
    c->type = CT_NUM;
    c->present = present;
    c->n = v;
}

static void
boolean(struct cell *c, int present, int v)
{
    c->type = CT_BOOL;
    c->present = present;
    c->n = (uint64_t)(v != 0);
}

static void
absent(struct cell *c)
{
    str(c, "");
    c->present = 0;
}

static void
addr(struct cell *c, const struct rs_addr *a)
{
    rs_addr_format(a, c->buf, sizeof c->buf);
    str(c, c->buf);
}

static void
secs(struct cell *c, rs_time_ns t)
{
    /* Rounded to the microsecond, as the other writers print times. */
    long long s = (long long)(t / RS_NS_PER_SEC);
    long long ns = (long long)(t % RS_NS_PER_SEC);
    if (ns < 0) {
        s--;
        ns += RS_NS_PER_SEC;
    }
    long long us = (ns + 500) / 1000;
    if (us == 1000000) {
        s++;
        us = 0;
    }
    snprintf(c->buf, sizeof c->buf, "%lld.%06lld", s, us);
    str(c, c->buf);
    c->type = CT_NUM; /* a JSON number, written as text */
}

#define L(r) ((r)->log)
#define C(r) ((r)->cap)

static void
g_kind(const struct rs_panmatch_row *r, struct cell *c)
{
    str(c, rs_panmatch_kind_name(r->kind));
}
static void
g_line(const struct rs_panmatch_row *r, struct cell *c)
{
    num(c, L(r) != NULL, L(r) ? L(r)->line : 0);
}
static void
g_sid(const struct rs_panmatch_row *r, struct cell *c)
{
    num(c, L(r) != NULL, L(r) ? L(r)->session_id : 0);
}
static void
g_lstart(const struct rs_panmatch_row *r, struct cell *c)
{
    if (!L(r)) {
        str(c, "");
        c->present = 0;
        return;
    }
    rs_panos_time_format(L(r)->start, c->buf, sizeof c->buf);
    str(c, c->buf);
}
static void
g_proto(const struct rs_panmatch_row *r, struct cell *c)
{
    int p = L(r) ? L(r)->proto : C(r)->proto;
    const char *n = rs_panos_proto_name((uint8_t)p);
    if (n) {
        str(c, n);
    } else {
        snprintf(c->buf, sizeof c->buf, "%d", p);
        str(c, c->buf);
    }
}
static void
g_src(const struct rs_panmatch_row *r, struct cell *c)
{
    if (L(r))
        addr(c, &L(r)->src);
    else
        absent(c);
}
static void
g_sport(const struct rs_panmatch_row *r, struct cell *c)
{
    num(c, L(r) != NULL, L(r) ? L(r)->sport : 0);
}
static void
g_dst(const struct rs_panmatch_row *r, struct cell *c)
{
    if (L(r))
        addr(c, &L(r)->dst);
    else
        absent(c);
}
static void
g_dport(const struct rs_panmatch_row *r, struct cell *c)
{
    num(c, L(r) != NULL, L(r) ? L(r)->dport : 0);
}
#define LSTR(fname, member)                                                                        \
    static void g_##fname(const struct rs_panmatch_row *r, struct cell *c)                         \
    {                                                                                              \
        str(c, L(r) ? L(r)->member : "");                                                          \
        c->present = L(r) != NULL;                                                                 \
    }
#define LNUM(fname, member)                                                                        \
    static void g_##fname(const struct rs_panmatch_row *r, struct cell *c)                         \
    {                                                                                              \
        num(c, L(r) && L(r)->has_counts, L(r) ? L(r)->member : 0);                                 \
    }
LSTR(lend, end_reason)
LSTR(lapp, app)
LSTR(laction, action)
LSTR(lrule, rule)
LNUM(lps, pkts_sent)
LNUM(lpr, pkts_recv)
LNUM(lbs, bytes_sent)
LNUM(lbr, bytes_recv)

#define CSTR(fname, expr)                                                                          \
    static void g_##fname(const struct rs_panmatch_row *r, struct cell *c)                         \
    {                                                                                              \
        str(c, C(r) ? (expr) : "");                                                                \
        c->present = C(r) != NULL;                                                                 \
    }
#define CNUM(fname, member)                                                                        \
    static void g_##fname(const struct rs_panmatch_row *r, struct cell *c)                         \
    {                                                                                              \
        num(c, C(r) != NULL, C(r) ? C(r)->member : 0);                                             \
    }
CSTR(uid, C(r)->uid)
CSTR(end, rs_end_reason_name(C(r)->end_reason))
CSTR(app, C(r)->app)
CSTR(appid, C(r)->panos_app)
CSTR(conn_state, C(r)->conn_state)
CSTR(history, C(r)->history)
CSTR(rst_by, rs_rst_by_name(C(r)->rst_by))
CSTR(rst_cause, C(r)->rst_cause)
CSTR(rst_conf, rs_confidence_name(C(r)->rst_confidence))
CSTR(action, C(r)->action)
CSTR(rule, C(r)->rule)
CSTR(explanation, C(r)->explanation)
CSTR(hint, C(r)->hint)
CNUM(id, id)
CNUM(cport, client_port)
CNUM(sport_c, server_port)
CNUM(cpk, client_pkts)
CNUM(spk, server_pkts)
CNUM(cib, client_ip_bytes)
CNUM(sib, server_ip_bytes)

static void
g_ts(const struct rs_panmatch_row *r, struct cell *c)
{
    if (!C(r)) {
        str(c, "");
        c->present = 0;
        c->type = CT_NUM;
        return;
    }
    secs(c, C(r)->ts);
}
static void
g_client(const struct rs_panmatch_row *r, struct cell *c)
{
    if (C(r))
        addr(c, &C(r)->client);
    else
        absent(c);
}
static void
g_server(const struct rs_panmatch_row *r, struct cell *c)
{
    if (C(r))
        addr(c, &C(r)->server);
    else
        absent(c);
}
#define AGREE(fname, member)                                                                       \
    static void g_##fname(const struct rs_panmatch_row *r, struct cell *c)                         \
    {                                                                                              \
        str(c, rs_agree_name(r->member));                                                          \
        c->present = r->member != RS_AGREE_NA;                                                     \
    }
AGREE(ag_end, end_reason)
AGREE(ag_app, app)
AGREE(ag_counts, counts)
static void
g_agree(const struct rs_panmatch_row *r, struct cell *c)
{
    boolean(c, 1, r->agree);
}
static void
g_via_nat(const struct rs_panmatch_row *r, struct cell *c)
{
    boolean(c, r->kind == RS_PANMATCH_MATCHED, r->via_nat);
}
static void
g_reversed(const struct rs_panmatch_row *r, struct cell *c)
{
    boolean(c, r->kind == RS_PANMATCH_MATCHED, r->reversed);
}
static void
g_delta(const struct rs_panmatch_row *r, struct cell *c)
{
    if (r->kind != RS_PANMATCH_MATCHED) {
        str(c, "");
        c->present = 0;
        c->type = CT_NUM;
        return;
    }
    secs(c, r->start_delta);
}
static void
g_diag(const struct rs_panmatch_row *r, struct cell *c)
{
    str(c, r->diagnosis);
}

static const struct col cols[] = {
    {"kind", g_kind},
    {"line", g_line},
    {"log_session_id", g_sid},
    {"log_start", g_lstart},
    {"proto", g_proto},
    {"src", g_src},
    {"sport", g_sport},
    {"dst", g_dst},
    {"dport", g_dport},
    {"log_end_reason", g_lend},
    {"log_app", g_lapp},
    {"log_action", g_laction},
    {"log_rule", g_lrule},
    {"log_pkts_sent", g_lps},
    {"log_pkts_received", g_lpr},
    {"log_bytes_sent", g_lbs},
    {"log_bytes_received", g_lbr},
    {"uid", g_uid},
    {"id", g_id},
    {"ts", g_ts},
    {"client", g_client},
    {"client_port", g_cport},
    {"server", g_server},
    {"server_port", g_sport_c},
    {"end_reason", g_end},
    {"app", g_app},
    {"app_id", g_appid},
    {"conn_state", g_conn_state},
    {"history", g_history},
    {"client_pkts", g_cpk},
    {"server_pkts", g_spk},
    {"client_ip_bytes", g_cib},
    {"server_ip_bytes", g_sib},
    {"rst_by", g_rst_by},
    {"rst_cause", g_rst_cause},
    {"rst_confidence", g_rst_conf},
    {"action", g_action},
    {"rule", g_rule},
    {"agree_end_reason", g_ag_end},
    {"agree_app", g_ag_app},
    {"agree_counts", g_ag_counts},
    {"agree", g_agree},
    {"via_nat", g_via_nat},
    {"reversed", g_reversed},
    {"start_delta", g_delta},
    {"diagnosis", g_diag},
    {"explanation", g_explanation},
    {"hint", g_hint},
};
#define NCOLS (sizeof cols / sizeof cols[0])

static void
json_str(FILE *out, const char *s)
{
    char buf[8192];
    size_t n = rs_json_escape(s, strlen(s), buf, sizeof buf);
    fputc('"', out);
    fwrite(buf, 1, n, out);
    fputc('"', out);
}

static void
write_jsonl(FILE *out, const struct rs_panmatch_row *r)
{
    fputc('{', out);
    for (size_t i = 0; i < NCOLS; i++) {
        struct cell c;
        memset(&c, 0, sizeof c);
        cols[i].get(r, &c);
        fprintf(out, "%s\"%s\":", i ? "," : "", cols[i].name);
        if (!c.present)
            fputs("null", out);
        else if (c.type == CT_STR)
            json_str(out, c.s);
        else if (c.type == CT_BOOL)
            fputs(c.n ? "true" : "false", out);
        else if (c.s)
            fputs(c.s, out);
        else
            fprintf(out, "%llu", (unsigned long long)c.n);
    }
    fputs("}\n", out);
}

static void
write_csv(FILE *out, const struct rs_panmatch_row *r)
{
    for (size_t i = 0; i < NCOLS; i++) {
        struct cell c;
        memset(&c, 0, sizeof c);
        cols[i].get(r, &c);
        if (i)
            fputc(',', out);
        if (!c.present)
            continue;
        if (c.type == CT_STR)
            rs_csv_field(out, c.s);
        else if (c.type == CT_BOOL)
            fputs(c.n ? "true" : "false", out);
        else if (c.s)
            fputs(c.s, out);
        else
            fprintf(out, "%llu", (unsigned long long)c.n);
    }
    fputc('\n', out);
}

static void
endpoint(char *buf, size_t len, const struct rs_addr *a, unsigned port)
{
    char t[64];
    rs_addr_format(a, t, sizeof t);
    snprintf(buf, len, rs_addr_is_v4(a) ? "%s:%u" : "[%s]:%u", t, port);
}

/* Prints text wrapped at 100 columns, continuation lines under the text. */
static void
wrapped(FILE *out, const char *lead, const char *text, int indent)
{
    int margin = indent + (int)strlen(lead), col = margin, first = 1;
    fprintf(out, "%*s%s", indent, "", lead);
    for (const char *p = text; *p;) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        size_t w = strcspn(p, " ");
        if (!first && col + 1 + (int)w > 100) {
            fprintf(out, "\n%*s", margin, "");
            col = margin;
            first = 1;
        }
        if (!first) {
            fputc(' ', out);
            col++;
        }
        fwrite(p, 1, w, out);
        col += (int)w;
        p += w;
        first = 0;
    }
    fputc('\n', out);
}

static void
write_table(FILE *out, const struct rs_panmatch_row *r, int *header)
{
    if (!*header) {
        fprintf(out, "%6s  %-12s  %-5s  %-46s  %-36s  %-36s  %s\n", "line", "result", "proto",
                "session (log's, else the capture's)", "log: end_reason / app",
                "capture: end_reason / app", "agree");
        *header = 1;
    }
    char line[24], sess[160], a[72], b[72], lv[112], cv[112];
    struct cell pc;
    memset(&pc, 0, sizeof pc);
    g_proto(r, &pc);
    if (r->log) {
        snprintf(line, sizeof line, "%llu", (unsigned long long)r->log->line);
        endpoint(a, sizeof a, &r->log->src, r->log->sport);
        endpoint(b, sizeof b, &r->log->dst, r->log->dport);
        snprintf(lv, sizeof lv, "%s / %s", r->log->end_reason[0] ? r->log->end_reason : "-",
                 r->log->app[0] ? r->log->app : "-");
    } else {
        snprintf(line, sizeof line, "-");
        endpoint(a, sizeof a, &r->cap->client, r->cap->client_port);
        endpoint(b, sizeof b, &r->cap->server, r->cap->server_port);
        snprintf(lv, sizeof lv, "-");
    }
    snprintf(sess, sizeof sess, "%s -> %s", a, b);
    if (r->cap) {
        snprintf(cv, sizeof cv, "%s / %s", rs_panos_end_reason(r->cap->end_reason),
                 r->cap->panos_app);
    } else {
        snprintf(cv, sizeof cv, "-");
    }
    const char *agree = r->kind != RS_PANMATCH_MATCHED ? "-" : r->agree ? "yes" : "no";
    fprintf(out, "%6s  %-12s  %-5s  %-46s  %-36s  %-36s  %s\n", line,
            rs_panmatch_kind_name(r->kind), pc.s, sess, lv, cv, agree);
    wrapped(out, "why: ", r->diagnosis, 8);
}

int
rs_cli_explain(int argc, char **argv)
{
    static const struct option longopts[] = {
        RS_CLI_INPUT_LONGOPTS,
        {"log", required_argument, NULL, OPT_LOG},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"tolerance", required_argument, NULL, OPT_TOLERANCE},
        {"log-tz", required_argument, NULL, OPT_LOGTZ},
        {"only", required_argument, NULL, OPT_ONLY},
        {"output", required_argument, NULL, 'o'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct rs_cli_input in;
    rs_cli_input_init(&in);
    const char *logpath = NULL, *outpath = NULL;
    int format = -1, quiet = 0, only_disagree = 0, auto_tz = 1;
    int64_t tz = 0;
    rs_time_ns tolerance = 2 * RS_NS_PER_SEC;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
        int st = rs_cli_input_opt(&in, c, optarg);
        if (st > 0)
            return st;
        if (st == 0)
            continue;
        switch (c) {
        case OPT_LOG:
            logpath = optarg;
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "table") == 0)
                format = FMT_TABLE;
            else if (strcmp(optarg, "jsonl") == 0)
                format = FMT_JSONL;
            else if (strcmp(optarg, "csv") == 0)
                format = FMT_CSV;
            else
                return rs_cli_usage_error("unknown --format '%s' for explain (table, jsonl, csv)",
                                          optarg);
            break;
        case OPT_TOLERANCE:
            tolerance = parse_duration(optarg);
            if (tolerance < 0) {
                return rs_cli_usage_error("--tolerance wants a duration such as 2s, 500ms or 1.5, "
                                          "got '%s'",
                                          optarg);
            }
            break;
        case OPT_LOGTZ:
            if (strcmp(optarg, "auto") == 0) {
                auto_tz = 1;
            } else if (parse_tz(optarg, &tz) == 0) {
                auto_tz = 0;
            } else {
                return rs_cli_usage_error("--log-tz wants auto, UTC or an offset such as +02:00, "
                                          "got '%s'",
                                          optarg);
            }
            break;
        case OPT_ONLY:
            if (strcmp(optarg, "all") == 0)
                only_disagree = 0;
            else if (strcmp(optarg, "disagree") == 0)
                only_disagree = 1;
            else
                return rs_cli_usage_error("unknown --only '%s' for explain (all, disagree)",
                                          optarg);
            break;
        case 'o':
            outpath = optarg;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            fputs(explain_usage, stdout);
            return RS_EXIT_OK;
        default:
            fputs("Try 'rstscope explain --help'.\n", stderr);
            return RS_EXIT_USAGE;
        }
    }
    if (!logpath)
        return rs_cli_usage_error("explain needs the firewall's traffic log: --log=FILE");
    if (optind >= argc)
        return rs_cli_usage_error("explain needs at least one capture file ('-' for stdin)");
    for (int i = optind; i < argc; i++)
        if (strcmp(argv[i], "-") == 0 && strcmp(logpath, "-") == 0)
            return rs_cli_usage_error("the log and a capture cannot both be stdin");

    struct rs_engine_config cfg;
    struct rs_capture_opts copts;
    /* Loads --policy too (the shared input options); freed at the end. */
    int st = rs_cli_input_config(&in, RS_PROFILE_PANOS, &cfg, &copts);
    if (st != RS_EXIT_OK) {
        rs_cli_input_free(&in);
        return st;
    }

    int status = RS_EXIT_OK;
    struct rs_error err = {0};
    struct rs_panmatch *m = NULL;
    struct rs_capture *cap = NULL;
    struct rs_engine *eng = NULL;
    FILE *logf = NULL, *out = stdout;

    /* 1. the log */
    logf = strcmp(logpath, "-") == 0 ? stdin : fopen(logpath, "rb");
    if (!logf) {
        fprintf(stderr, "rstscope: cannot read %s: %s\n", logpath, strerror(errno));
        status = RS_EXIT_INPUT;
        goto out;
    }
    struct rs_panmatch_opts mo = {0};
    mo.tolerance = tolerance;
    mo.utc_offset_s = tz;
    mo.auto_offset = auto_tz;
    m = rs_panmatch_new(&mo, &err);
    const char *logname = logf == stdin ? "stdin" : logpath;
    struct rs_panlog *rd = m ? rs_panlog_open(logf, logname, &err) : NULL;
    if (!rd) {
        fprintf(stderr, "rstscope: %s\n", err.msg);
        status = RS_EXIT_INTERNAL;
        goto out;
    }
    uint64_t nbad = 0;
    for (;;) {
        struct rs_panlog_entry e;
        struct rs_error why = {0};
        int rc = rs_panlog_next(rd, &e, &why);
        if (rc == RS_PANLOG_END)
            break;
        if (rc == RS_PANLOG_BAD) {
            if (++nbad <= MAX_BAD_REPORTS)
                fprintf(stderr, "rstscope: %s\n", why.msg);
            continue;
        }
        if (rc < 0) {
            fprintf(stderr, "rstscope: %s\n", why.msg);
            rs_panlog_close(rd);
            status = RS_EXIT_INPUT;
            goto out;
        }
        if (rs_panmatch_add_line(m, &e) != 0) {
            fprintf(stderr, "rstscope: out of memory reading %s\n", logpath);
            rs_panlog_close(rd);
            status = RS_EXIT_INTERNAL;
            goto out;
        }
    }
    if (nbad > MAX_BAD_REPORTS)
        fprintf(stderr, "rstscope: %s: %llu more malformed lines not shown\n", logname,
                (unsigned long long)(nbad - MAX_BAD_REPORTS));
    struct rs_panlog_stats ls;
    rs_panlog_stats(rd, &ls);
    rs_panlog_close(rd);

    /* 2. the capture */
    cap = rs_capture_open((const char *const *)(argv + optind), (size_t)(argc - optind), &copts,
                          &err);
    if (!cap) {
        fprintf(stderr, "rstscope: %s\n", err.msg);
        status = err.code == RS_ERR_USAGE ? RS_EXIT_USAGE : RS_EXIT_INPUT;
        goto out;
    }
    struct run run = {m, 0};
    eng = rs_engine_new(&cfg, on_record, &run, &err);
    if (!eng) {
        fprintf(stderr, "rstscope: %s\n", err.msg);
        status = RS_EXIT_INTERNAL;
        goto out;
    }
    struct rs_progress prog;
    rs_progress_init(&prog, cap, quiet ? 0 : -1);
    rs_engine_feed(eng, cap, NULL, rs_progress_tick_cb, &prog);
    rs_progress_done(&prog);
    rs_engine_finish(eng);
    const char *notes[16];
    size_t nd = rs_capture_damage(cap, notes, 16);
    for (size_t i = 0; i < nd && i < 16; i++)
        fprintf(stderr, "rstscope: %s\n", notes[i]);
    if (run.nomem || rs_panmatch_run(m) != 0) {
        fprintf(stderr, "rstscope: out of memory pairing the log with the capture\n");
        status = RS_EXIT_INTERNAL;
        goto out;
    }

    /* 3. the rows */
    if (outpath && strcmp(outpath, "-") != 0) {
        out = fopen(outpath, "w");
        if (!out) {
            fprintf(stderr, "rstscope: cannot write %s: %s\n", outpath, strerror(errno));
            out = stdout;
            status = RS_EXIT_OUTPUT;
            goto out;
        }
    }
    if (format < 0)
        format = isatty(fileno(out)) ? FMT_TABLE : FMT_JSONL;
    if (format == FMT_CSV) {
        for (size_t i = 0; i < NCOLS; i++)
            fprintf(out, "%s%s", i ? "," : "", cols[i].name);
        fputc('\n', out);
    }
    uint64_t n[3] = {0, 0, 0}, agree = 0, printed = 0;
    int header = 0;
    size_t nrows = rs_panmatch_nrows(m);
    for (size_t i = 0; i < nrows; i++) {
        struct rs_panmatch_row row;
        rs_panmatch_row(m, i, &row);
        n[row.kind]++;
        if (row.agree)
            agree++;
        if (only_disagree && row.agree)
            continue;
        printed++;
        if (format == FMT_JSONL)
            write_jsonl(out, &row);
        else if (format == FMT_CSV)
            write_csv(out, &row);
        else
            write_table(out, &row, &header);
    }
    if (fflush(out) != 0 || ferror(out)) {
        fprintf(stderr, "rstscope: writing output: %s\n", strerror(errno));
        status = RS_EXIT_OUTPUT;
    }
    if (!quiet) {
        int64_t o = rs_panmatch_offset(m);
        int64_t ao = o < 0 ? -o : o;
        fprintf(
            stderr,
            "rstscope: %s: %llu TRAFFIC end/drop/deny lines (%llu malformed, %llu start and "
            "%llu other lines skipped); log times without a zone read as UTC%c%02lld:%02lld%s\n",
            logname, (unsigned long long)ls.entries, (unsigned long long)ls.bad,
            (unsigned long long)ls.start, (unsigned long long)ls.other, o < 0 ? '-' : '+',
            (long long)(ao / 3600), (long long)(ao % 3600 / 60), auto_tz ? " (detected)" : "");
        fprintf(stderr,
                "rstscope: %llu paired (%llu agree, %llu differ), %llu log lines with no captured "
                "session, %llu captured sessions not in the log\n",
                (unsigned long long)n[RS_PANMATCH_MATCHED], (unsigned long long)agree,
                (unsigned long long)(n[RS_PANMATCH_MATCHED] - agree),
                (unsigned long long)n[RS_PANMATCH_LOG_ONLY],
                (unsigned long long)n[RS_PANMATCH_CAPTURE_ONLY]);
    }
    (void)printed;

out:
    if (out != stdout && fclose(out) != 0 && status == RS_EXIT_OK) {
        fprintf(stderr, "rstscope: %s: %s\n", outpath, strerror(errno));
        status = RS_EXIT_OUTPUT;
    }
    if (logf && logf != stdin)
        fclose(logf);
    rs_engine_free(eng);
    rs_capture_close(cap);
    rs_panmatch_free(m);
    rs_cli_input_free(&in);
    return status;
}
