/*
 * rstscope/summary.h - the aggregate view of a capture (`rstscope summary`).
 *
 *   struct rs_summary *s = rs_summary_new(&cfg, &err);
 *   engine = rs_engine_new(&ecfg, rs_summary_on_record, s, &err);
 *   ... feed packets, rs_engine_finish(engine) ...
 *   rs_engine_stats(engine, &st);
 *   rs_summary_set_engine_stats(s, &st);      // packets, decode problems, evictions
 *   rs_summary_add_note(s, "x.pcap: truncated after packet 12");  // capture damage
 *   rs_summary_write(s, RS_SUMMARY_JSON, stdout, &wopts, &err);
 *   rs_summary_free(s);
 *
 * rs_summary_add costs O(1) per record and formats nothing. Memory is
 * bounded whatever the input: every table has a cap fixed at creation.
 *
 * What is counted (docs/summary.md has the long form):
 *   - every record, by end_reason, by app and by rst_cause, exactly as
 *     `analyze` prints them (so the counts equal a count of analyze's records);
 *   - "resets": sessions whose end_reason is tcp-rst-from-client/-server;
 *   - servers (addr, port) and clients (addr) of TCP sessions with their
 *     sessions and resets. Unsolicited RSTs are left out of these two tables
 *     (they have their own findings). When a table is full, a sampled entry
 *     with the fewest resets is dropped (Redis-style sampled eviction) and
 *     counted; counts are exact as long as the eviction count is 0;
 *   - resets over time: per-minute buckets (by the session's last packet,
 *     which for a reset is the RST or a packet shortly after it); when the
 *     capture spans more than max_buckets buckets, buckets are merged into
 *     wider ones (1, 5, 10, 30, 60 min, 2, 6, 12 h, 1 day, then doubling);
 *   - unsolicited RSTs: TCP sessions made only of RST packets from one side
 *     (no SYN, no data; history "R", "r", "^r", "RR", ...). They are grouped
 *     by destination address and, past a threshold, become findings:
 *       rst_flood        >= flood_min_rsts unsolicited RSTs to one address, or
 *                        >= flood_burst_rsts at an average >= flood_min_rate per
 *                        second between the first and the last (span counted
 *                        as at least 1 s);
 *       rst_backscatter  unsolicited RST|ACKs to one address from
 *                        >= backscatter_min_sources distinct hosts: the address
 *                        was spoofed in a SYN flood against those hosts, and
 *                        they answer it for connections it never opened. A
 *                        destination that qualifies for both is reported as
 *                        backscatter only.
 *
 * Strings returned by the query functions live as long as the summary.
 */
#ifndef RSTSCOPE_SUMMARY_H
#define RSTSCOPE_SUMMARY_H

#include <stdio.h>

#include <rstscope/common.h>
#include <rstscope/engine.h>
#include <rstscope/record.h>

struct rs_summary_config {
    size_t max_hosts;                 /* servers and clients, each (default 65536) */
    size_t max_victims;               /* destinations of unsolicited RSTs (default 4096) */
    size_t max_names;                 /* distinct app / rst_cause names (default 128) */
    size_t max_buckets;               /* timeline buckets before merging (default 10080: a week) */
    uint64_t flood_min_rsts;          /* default 100 */
    uint64_t flood_burst_rsts;        /* default 20 */
    double flood_min_rate;            /* per second, default 10 */
    uint64_t backscatter_min_sources; /* default 20 */
    uint64_t seed;                    /* hash and eviction sampling seed; 0 = random */
};

void rs_summary_config_default(struct rs_summary_config *cfg);

struct rs_summary;

/* Errors: RS_ERR_USAGE (a cap of 0 after defaults, thresholds of 0), RS_ERR_NOMEM. */
struct rs_summary *rs_summary_new(const struct rs_summary_config *cfg, struct rs_error *err);
void rs_summary_free(struct rs_summary *s);

/* Counts one record; the record is not kept. Never fails. */
void rs_summary_add(struct rs_summary *s, const struct rs_record *rec);
/* rs_summary_add with an rs_record_fn signature: pass the summary as `user`. */
void rs_summary_on_record(const struct rs_record *rec, void *user);

/* Copies the engine's counters (packets, bytes, decode problems, evictions, times). */
void rs_summary_set_engine_stats(struct rs_summary *s, const struct rs_engine_stats *st);
/* Copies a capture damage note (at most RS_SUMMARY_MAX_NOTES are kept, the rest
 * counted) or an input file name (at most RS_SUMMARY_MAX_INPUTS). 0 or RS_ERR_NOMEM. */
#define RS_SUMMARY_MAX_NOTES 32
#define RS_SUMMARY_MAX_INPUTS 64
int rs_summary_add_note(struct rs_summary *s, const char *note);
int rs_summary_add_input(struct rs_summary *s, const char *path);

/* ---- results: may be read at any time; they reflect the records so far ---- */

struct rs_summary_totals {
    uint64_t records;               /* records added */
    uint64_t by_end[RS_END__COUNT]; /* indexed by enum rs_end_reason */
    uint64_t by_proto[4];           /* tcp, udp, icmp (v4 and v6), other */
    uint64_t resets;                /* end_reason tcp-rst-from-client or -server */
    uint64_t rst_out_of_window;     /* sessions hit only by out-of-window RSTs */
    rs_time_ns first_ts, last_ts;   /* of the records (0, 0 when none) */
    /* from rs_summary_set_engine_stats (zero if never called) */
    int have_engine;
    struct rs_engine_stats engine;
    /* caps that were hit */
    uint64_t server_evictions, client_evictions, victim_evictions;
    uint64_t names_other; /* records whose app or cause went to "(other)" */
    size_t notes, notes_dropped, inputs;
};
void rs_summary_totals(const struct rs_summary *s, struct rs_summary_totals *out);
/* The configuration in use (defaults filled in, the seed as chosen). */
void rs_summary_get_config(const struct rs_summary *s, struct rs_summary_config *out);

const char *rs_summary_note(const struct rs_summary *s, size_t i);  /* NULL if out of range */
const char *rs_summary_input(const struct rs_summary *s, size_t i); /* NULL if out of range */

/* Sessions (and resets) per app or per rst_cause, most sessions first, then by name. */
struct rs_summary_count {
    const char *name; /* app ("(none)" when empty, "(other)" past max_names) or cause */
    uint64_t sessions;
    uint64_t resets;
    uint64_t by_client; /* cause: the deciding RST came from the client / the server */
    uint64_t by_server;
};
size_t rs_summary_by_app(const struct rs_summary *s, struct rs_summary_count *out, size_t max);
size_t rs_summary_by_cause(const struct rs_summary *s, struct rs_summary_count *out, size_t max);
/* Number of distinct names (the size rs_summary_by_app/by_cause would fill). */
size_t rs_summary_app_count(const struct rs_summary *s);
size_t rs_summary_cause_count(const struct rs_summary *s);

/* With --policy (records with an action): sessions and resets per action
 * (allow, deny, drop, reset-*) and per rule name ("(no rule)" when no rule
 * matched), in the same order. Empty without a policy. */
size_t rs_summary_by_action(const struct rs_summary *s, struct rs_summary_count *out, size_t max);
size_t rs_summary_by_rule(const struct rs_summary *s, struct rs_summary_count *out, size_t max);
size_t rs_summary_action_count(const struct rs_summary *s);
size_t rs_summary_rule_count(const struct rs_summary *s);

/* One line meaning of a SPEC §6 code (also rst_flood, rst_backscatter); "" if unknown. */
const char *rs_summary_cause_meaning(const char *code);

/* Hosts with the most resets (resets > 0 only): most resets first, then the
 * higher reset rate, then more sessions, then the address. */
enum rs_summary_role { RS_SUMMARY_SERVERS = 0, RS_SUMMARY_CLIENTS = 1 };
struct rs_summary_host {
    struct rs_addr addr;
    uint16_t port;     /* servers only */
    uint64_t sessions; /* TCP sessions with this host in this role */
    uint64_t resets;
    uint64_t rst_from_client; /* resets decided by the client's RST */
    uint64_t rst_from_server;
};
size_t rs_summary_top_hosts(const struct rs_summary *s, enum rs_summary_role role,
                            struct rs_summary_host *out, size_t max);
/* Hosts with at least one reset (the size of the full ranking). */
size_t rs_summary_reset_host_count(const struct rs_summary *s, enum rs_summary_role role);

/* Resets over time. The buckets live inside the summary; `resets` is valid
 * until the next rs_summary_add. n == 0 when no record was added. */
struct rs_summary_timeline {
    rs_time_ns start;     /* start of bucket 0, a multiple of bucket_ns */
    rs_time_ns bucket_ns; /* 60 s unless merged */
    size_t n;
    const uint64_t *resets;
    uint64_t total;        /* sum of resets[] (== totals.resets) */
    uint64_t peak;         /* largest bucket */
    rs_time_ns peak_start; /* start of the first bucket holding it */
};
void rs_summary_timeline(const struct rs_summary *s, struct rs_summary_timeline *out);

/* Unsolicited RSTs, all of them (whether or not they make a finding). */
struct rs_summary_unsolicited {
    uint64_t sessions;     /* sessions made only of RSTs from one side */
    uint64_t rsts;         /* their packets */
    uint64_t rst_acks;     /* of which in sessions whose first RST had ACK set */
    uint64_t destinations; /* distinct destination addresses tracked */
};
void rs_summary_unsolicited(const struct rs_summary *s, struct rs_summary_unsolicited *out);

struct rs_summary_finding {
    const char *code;      /* "rst_flood" or "rst_backscatter" */
    struct rs_addr victim; /* the destination of the RSTs */
    uint64_t rsts;         /* unsolicited RSTs to it */
    uint64_t rst_acks;     /* of which RST|ACK */
    uint64_t sources;      /* distinct senders (all RSTs) */
    uint64_t ack_sources;  /* distinct senders of RST|ACKs */
    int sources_estimated; /* more than 64 senders: linear-counting estimates */
    rs_time_ns first_ts, last_ts;
    double rate; /* rsts per second over max(last - first, 1 s) */
};
/* Findings, most RSTs first. */
size_t rs_summary_findings(const struct rs_summary *s, struct rs_summary_finding *out, size_t max);

/* ---- rendering (src/output/summary_*.c) ---- */

enum rs_summary_format { RS_SUMMARY_TEXT = 0, RS_SUMMARY_JSON };
/* "text" or "json"; -1 if unknown. */
int rs_summary_format_parse(const char *name);

struct rs_summary_write_opts {
    size_t top;   /* rows per ranking (apps, causes, servers, clients); 0 = 10 */
    size_t width; /* sparkline characters at most; 0 = 60 */
};

/*
 * Writes the whole summary. Text is for a terminal (UTF-8 sparkline); JSON is
 * one object, numbers as numbers, holding every number the text shows (same
 * rounding for the percentages), so a report built from the JSON says the
 * same thing. Returns 0 or RS_ERR_OUTPUT (write failed), RS_ERR_NOMEM.
 */
int rs_summary_write(const struct rs_summary *s, enum rs_summary_format fmt, FILE *out,
                     const struct rs_summary_write_opts *opts, struct rs_error *err);

#endif
