/*
 * rstscope/panlog.h - PAN-OS traffic logs: their vocabulary, reading a real
 * log, and matching its lines to captured sessions (`rstscope explain`).
 *
 * Three parts, used by the panos writer (src/output/out_panos.c), the policy
 * emulation (policy.h) and the explain command:
 *
 *  1. Vocabulary: App-ID names for rstscope's app names, PAN-OS protocol
 *     names, end reasons and time stamps, so that writing and reading agree.
 *  2. Reader: a traffic log as PAN-OS exports it (CSV with a header line,
 *     columns found by name) or as it forwards it (syslog lines, with or
 *     without a syslog header, fields in the documented order, any version's
 *     field count). TRAFFIC lines of subtype end, drop and deny are returned;
 *     other log types and `start` lines are counted and skipped; a malformed
 *     line is reported with its number and skipped, and reading goes on.
 *  3. Matcher: captured sessions (records) and log lines paired by 5-tuple
 *     (the log's pre-NAT or post-NAT tuple, either orientation) and start time
 *     within a tolerance, then compared (end reason, app, counts) and
 *     explained.
 *
 * Times in a log without a zone are the firewall's local time; the reader
 * subtracts a given UTC offset, and the matcher can find the offset itself.
 */
#ifndef RSTSCOPE_PANLOG_H
#define RSTSCOPE_PANLOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <rstscope/common.h>
#include <rstscope/record.h>

/* ---- 1. vocabulary -------------------------------------------------------- */

/*
 * The App-ID name PAN-OS would log for a record's app: the first service of
 * a list ("smtp,ssl" -> smtp), renamed where App-ID differs (http ->
 * web-browsing, rdp -> ms-rdp, smb -> ms-ds-smb, krb -> kerberos, ldap_tcp ->
 * ldap, postgresql -> postgres); App-ID states as they are; an empty app by
 * protocol (ICMP echo -> ping, other ICMP -> icmp, ICMPv6 -> ipv6-icmp,
 * else the protocol name). Writes into buf (NUL-terminated); returns length.
 */
size_t rs_panos_app(const struct rs_record *r, char *buf, size_t len);

/*
 * A canonical form of an application name, rstscope's or App-ID's, for
 * comparisons: lowercase, App-ID "-base" suffixes and version variants
 * folded (dns-base -> dns, snmpv2 -> snmp, smtp-base -> smtp) and rstscope
 * names renamed as rs_panos_app does (http -> web-browsing). Returns length.
 */
size_t rs_panos_app_canon(const char *name, size_t n, char *buf, size_t len);

/* 1 if `canon` (a rs_panos_app_canon result) is an App-ID state
 * (incomplete, insufficient-data, unknown-tcp, unknown-udp, non-syn-tcp,
 * not-applicable, unknown-p2p). */
int rs_panos_app_is_state(const char *canon);

/* 1 if `canon` is an application rstscope can identify (its App-ID name). */
int rs_panos_app_known(const char *canon);

/* Protocol as PAN-OS names it (tcp, udp, icmp, ipv6-icmp, gre, ...); NULL
 * when it has no name here (write the number). */
const char *rs_panos_proto_name(uint8_t proto);
/* Protocol name or decimal number -> number; -1 if neither. */
int rs_panos_proto_parse(const char *s, size_t n);

/* End reason as PAN-OS logs it; a session still open at the end of the
 * capture has none in PAN-OS terms: "unknown". */
const char *rs_panos_end_reason(enum rs_end_reason r);

/* "YYYY/MM/DD HH:MM:SS" (UTC, the second truncated); returns length (19),
 * or 0 if len < 20 or the time is out of range. */
size_t rs_panos_time_format(rs_time_ns t, char *buf, size_t len);

/*
 * Parses a PAN-OS time: "YYYY/MM/DD HH:MM:SS" (syslog and CSV export, no
 * zone) or ISO 8601 "YYYY-MM-DDTHH:MM:SS[.frac][Z|+HH:MM]" (log forwarding
 * services). *zoned is set to 1 when the text carried a zone (the time is
 * then UTC), else 0 (local time as written). Returns 0, or -1 if malformed.
 */
int rs_panos_time_parse(const char *s, size_t n, rs_time_ns *t, int *zoned);

/* ---- 2. reader ------------------------------------------------------------ */

#define RS_PANLOG_MAX_LINE 65536 /* longer lines are malformed */
#define RS_PANLOG_MAX_FIELDS 1024

/* One TRAFFIC end/drop/deny line. Strings are copied (cut to fit). */
struct rs_panlog_entry {
    uint64_t line;    /* 1-based line number in the file */
    uint16_t nfields; /* fields of the PAN-OS payload (a version hint) */
    char subtype[8];  /* end, drop, deny */
    int proto;        /* IP protocol number */
    struct rs_addr src, dst;
    uint16_t sport, dport;
    struct rs_addr nat_src, nat_dst;
    uint16_t nat_sport, nat_dport;
    uint8_t has_nat_src, has_nat_dst; /* a NAT address other than 0.0.0.0 / :: */
    rs_time_ns start;                 /* Start Time as written (local unless start_zoned) */
    uint8_t start_zoned;              /* the time carried a zone: it is UTC */
    int64_t elapsed_s;                /* Elapsed Time, -1 if absent */
    uint64_t session_id;              /* 0 if absent */
    uint8_t has_counts;               /* packets and bytes sent/received present */
    uint64_t bytes_sent, bytes_recv, pkts_sent, pkts_recv;
    char app[64];
    char action[24];
    char rule[64];
    char end_reason[32]; /* "" when the version has no such field */
};

/* Results of rs_panlog_next and rs_panlog_parse_line. */
#define RS_PANLOG_END 0   /* no more lines */
#define RS_PANLOG_ENTRY 1 /* *e was filled */
#define RS_PANLOG_BAD 2   /* malformed line, skipped; why->msg = "NAME:LINE: reason" */
#define RS_PANLOG_SKIP 3  /* parse_line only: not a TRAFFIC end/drop/deny line */

struct rs_panlog_stats {
    uint64_t lines;   /* lines read, the header included */
    uint64_t entries; /* TRAFFIC end/drop/deny lines returned */
    uint64_t bad;     /* malformed lines */
    uint64_t blank;   /* empty lines */
    uint64_t other;   /* other log types (THREAT, SYSTEM, ...) */
    uint64_t start;   /* TRAFFIC start lines */
    int header;       /* a CSV header line was found and used */
};

struct rs_panlog;

/* `fp` stays the caller's (not closed). `name` is used in messages. */
struct rs_panlog *rs_panlog_open(FILE *fp, const char *name, struct rs_error *err);
/* RS_PANLOG_ENTRY, RS_PANLOG_BAD (go on reading), RS_PANLOG_END, or
 * RS_ERR_INPUT when reading the stream fails (message in why). */
int rs_panlog_next(struct rs_panlog *r, struct rs_panlog_entry *e, struct rs_error *why);
void rs_panlog_stats(const struct rs_panlog *r, struct rs_panlog_stats *out);
void rs_panlog_close(struct rs_panlog *r);

/*
 * Parses one syslog-order line (no header). `line_no` goes into e->line and
 * messages. RS_PANLOG_ENTRY, RS_PANLOG_SKIP or RS_PANLOG_BAD (why->msg says
 * why, without a file name).
 */
int rs_panlog_parse_line(const char *line, size_t len, uint64_t line_no, struct rs_panlog_entry *e,
                         struct rs_error *why);

/* ---- 3. matcher ----------------------------------------------------------- */

enum rs_panmatch_kind {
    RS_PANMATCH_MATCHED = 0, /* a log line and its captured session */
    RS_PANMATCH_LOG_ONLY,    /* a log line with no captured session */
    RS_PANMATCH_CAPTURE_ONLY /* a captured session the log lacks */
};
const char *rs_panmatch_kind_name(enum rs_panmatch_kind k); /* matched, log-only, capture-only */

enum rs_agree { RS_AGREE_NA = 0, RS_AGREE_YES, RS_AGREE_NO, RS_AGREE_MAYBE };
const char *rs_agree_name(enum rs_agree a); /* "", yes, no, maybe */

/* What the matcher keeps of a captured session (a record, compacted). */
struct rs_panmatch_cap {
    uint64_t id;
    char uid[20];
    rs_time_ns ts, end_ts;
    uint8_t proto;
    struct rs_addr client, server;
    uint16_t client_port, server_port;
    enum rs_end_reason end_reason;
    char app[24];
    char panos_app[32]; /* rs_panos_app */
    char conn_state[8];
    char history[24];
    uint64_t client_pkts, server_pkts, client_bytes, server_bytes;
    uint64_t client_ip_bytes, server_ip_bytes;
    enum rs_rst_by rst_by;
    char rst_cause[32];
    enum rs_confidence rst_confidence;
    char action[16];
    char rule[64];
    const char *explanation; /* owned by the matcher */
    const char *hint;
};

struct rs_panmatch_opts {
    rs_time_ns tolerance; /* start time difference allowed (default 2 s) */
    /* Local log times: UTC = written - utc_offset_s. Ignored when auto_offset. */
    int64_t utc_offset_s;
    /* Find the offset: the quarter-hour shift, within +-14 h, that pairs the
     * most lines (ties go to the smallest shift, 0 first). */
    int auto_offset;
};

struct rs_panmatch_row {
    enum rs_panmatch_kind kind;
    const struct rs_panlog_entry *log; /* NULL for capture-only */
    const struct rs_panmatch_cap *cap; /* NULL for log-only */
    int via_nat;                       /* paired on the log's post-NAT tuple */
    int reversed;                      /* the capture's client is the log's destination */
    rs_time_ns start_delta;            /* capture start - log start (UTC) */
    enum rs_agree end_reason, app, counts;
    int agree;            /* matched and no "no" */
    char diagnosis[1024]; /* the reconciliation, then the capture's explanation */
};

struct rs_panmatch;

struct rs_panmatch *rs_panmatch_new(const struct rs_panmatch_opts *opts, struct rs_error *err);
void rs_panmatch_free(struct rs_panmatch *m);
/* Adds a log line (copied). 0 or RS_ERR_NOMEM. */
int rs_panmatch_add_line(struct rs_panmatch *m, const struct rs_panlog_entry *e);
/* Adds a captured session (compacted and copied); usable as the engine's
 * record callback body. 0 or RS_ERR_NOMEM. */
int rs_panmatch_add_record(struct rs_panmatch *m, const struct rs_record *r);
/* Pairs everything added. Rows: the log lines in file order (matched or
 * log-only), then the captured sessions nothing matched, in record order.
 * 0 or RS_ERR_NOMEM. */
int rs_panmatch_run(struct rs_panmatch *m);
size_t rs_panmatch_nrows(const struct rs_panmatch *m);
/* Fills *row (pointers valid until free). i < nrows. */
void rs_panmatch_row(const struct rs_panmatch *m, size_t i, struct rs_panmatch_row *row);
/* The UTC offset used (the detected one with auto_offset). */
int64_t rs_panmatch_offset(const struct rs_panmatch *m);

#endif
