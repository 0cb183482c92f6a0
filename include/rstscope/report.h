/*
 * rstscope/report.h - one self-contained HTML page about a capture
 * (`rstscope report`): sessions by end reason and by app, resets over time,
 * reset causes with what they mean and an example explanation, the servers
 * and clients with the most resets and their reset rates, unsolicited-RST
 * findings, and a sortable, filterable table of the failed and reset
 * sessions with each one's explanation and hint.
 *
 *   struct rs_report *r = rs_report_new(&opts, &err);
 *   engine = rs_engine_new(&cfg, rs_report_on_record, r, &err);
 *   ... feed packets, rs_engine_finish(engine) ...
 *   rs_summary_set_engine_stats(rs_report_summary(r), &st);  // and notes, inputs
 *   rs_report_write(r, out, &err);
 *   rs_report_free(r);
 *
 * Every number on the page comes from the summary module (summary.h): the
 * page embeds the very JSON that `rstscope summary --format=json` prints
 * for the same input and options, and its script draws the charts from it,
 * so the two cannot disagree. The table rows are the records themselves,
 * with the field names and number formats of jsonl.
 *
 * The page needs nothing from the network (inline CSS, script and SVG; a
 * Content-Security-Policy that forbids any fetch). Text from packets reaches
 * the page only as JSON inside <script type="application/json"> with '<',
 * '>', '&', U+2028 and U+2029 escaped, and the script puts it in the DOM as
 * text (never as markup); the title and input names are HTML-escaped.
 */
#ifndef RSTSCOPE_REPORT_H
#define RSTSCOPE_REPORT_H

#include <stdio.h>

#include <rstscope/common.h>
#include <rstscope/record.h>
#include <rstscope/summary.h>

/* All fields may be left zero for defaults. */
struct rs_report_opts {
    const char *title; /* page title; NULL: "rstscope report: " + the inputs */
    size_t top;        /* rows per ranking, as summary --top (0 = 10) */
    size_t width;      /* as summary --width (0 = 60); only the embedded JSON shows it */
    size_t max_rows;   /* failed and reset sessions kept for the table, the first ones
                        * in record order (0 = 10000); the page says how many more */
    const struct rs_summary_config *summary; /* NULL: rs_summary_config_default */
};

struct rs_report;

/* Errors: RS_ERR_USAGE (a bad summary configuration), RS_ERR_NOMEM. */
struct rs_report *rs_report_new(const struct rs_report_opts *opts, struct rs_error *err);
void rs_report_free(struct rs_report *r);

/* Counts one record (rs_summary_add) and keeps it for the table if it
 * failed or was reset (rs_only_match RS_ONLY_FAILED or RS_ONLY_RESETS).
 * Never fails: past max_rows, or out of memory, a row is counted as left out. */
void rs_report_add(struct rs_report *r, const struct rs_record *rec);
/* rs_report_add with an rs_record_fn signature: pass the report as `user`. */
void rs_report_on_record(const struct rs_record *rec, void *user);

/* The report's summary, for rs_summary_set_engine_stats, rs_summary_add_note
 * and rs_summary_add_input. Owned by the report. */
struct rs_summary *rs_report_summary(struct rs_report *r);

/* Rows kept for the table and rows left out (past max_rows). */
void rs_report_rows(const struct rs_report *r, uint64_t *kept, uint64_t *left_out);

/* Writes the page. Returns 0 or RS_ERR_OUTPUT (write failed), RS_ERR_NOMEM. */
int rs_report_write(const struct rs_report *r, FILE *out, struct rs_error *err);

#endif
