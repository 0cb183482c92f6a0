/*
 * summary_int.h - what the summary writers share (not public).
 *
 * Both formats render one `struct sum_view`, built once by summary_view.c:
 * the rankings cut to --top, the percentages already rounded, the sparkline
 * cells already summed, the findings' sentences already written. A writer
 * only lays numbers out, so the text and the JSON cannot disagree.
 */
#ifndef RS_OUTPUT_SUMMARY_INT_H
#define RS_OUTPUT_SUMMARY_INT_H

#include <stdio.h>

#include <rstscope/summary.h>

#define SUM_EXPLAIN_LEN 640

struct sum_view {
    const struct rs_summary *s;
    struct rs_summary_config cfg;
    struct rs_summary_totals tot;
    size_t top, width;
    rs_time_ns first_ts, last_ts; /* the capture: engine packet times, else record times */
    int have_times;

    struct rs_summary_count *apps, *causes; /* every name, sorted; the first n_* shown */
    size_t all_apps, all_causes, n_apps, n_causes;
    uint64_t rest_sessions, rest_resets; /* apps past the first n_apps */

    struct rs_summary_count *actions, *rules; /* --policy: every name, sorted */
    size_t all_actions, all_rules, n_rules;   /* actions are always shown in full */

    struct rs_summary_host *servers, *clients;
    size_t n_servers, n_clients, all_servers, all_clients;

    struct rs_summary_timeline tl;
    size_t cell_buckets; /* buckets per sparkline character */
    size_t n_cells;
    uint64_t *cells; /* resets per character */
    uint64_t cell_max;
    char *spark; /* UTF-8: ' ' for 0, U+2581..U+2588 scaled to cell_max */

    struct rs_summary_unsolicited uns;
    struct rs_summary_finding *findings; /* every finding; the first n_findings shown */
    size_t all_findings, n_findings;
    char (*explain)[SUM_EXPLAIN_LEN]; /* one sentence per shown finding */
};

int sum_view_build(struct sum_view *v, const struct rs_summary *s,
                   const struct rs_summary_write_opts *opts);
void sum_view_free(struct sum_view *v);

/* a / b as a percentage rounded to one decimal (0 when b is 0). Both formats
 * print it with "%.1f". */
double sum_pct(uint64_t a, uint64_t b);

/* "2026-11-27 20:35:59.300" (UTC). */
void sum_time_text(rs_time_ns t, char *buf, size_t len);
/* "1 min", "5 min", "2 h", "1 day", "45 s". */
void sum_span_text(rs_time_ns ns, char *buf, size_t len);
/* "192.0.2.1:80", "[2001:db8::1]:443" */
void sum_endpoint_text(const struct rs_addr *a, uint16_t port, char *buf, size_t len);

int sum_write_text(const struct sum_view *v, FILE *out);
int sum_write_json(const struct sum_view *v, FILE *out);

#endif
