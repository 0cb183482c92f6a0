/*
 * report.c - `rstscope report`: the summary (summary.h) plus the failed
 * and reset sessions, written into one HTML page (report.html, report.css,
 * report.js, embedded at build time by embed.sh).
 *
 * Design: the C side computes nothing for the page. It embeds two JSON
 * documents - the summary exactly as rs_summary_write(JSON) prints it, and
 * the table rows with every field of the jsonl writer (rs_fields) - and the
 * page's script draws from them. So the page's numbers are summary's by
 * construction, and a new record field reaches the page without a change
 * here.
 *
 * Escaping (the page shows bytes from packets: SNI, Host, RST payload text
 * in explanations): JSON strings are RFC 8259-escaped by rs_json_escape;
 * the JSON then goes through script_json(), which also writes '<', '>',
 * '&' as \u003c, \u003e, \u0026 (so no "</script>" or "<!--" can end or
 * change the script element) and U+2028/U+2029 as \u2028/\u2029 (line
 * terminators to older JavaScript parsers). These characters only occur
 * inside JSON strings, where the escapes mean the same characters. The
 * title and the input names in the HTML are HTML-escaped.
 *
 * Rows are kept as JSON text in a memory stream while records arrive (a
 * record is ~1.4 KB, its row about half), up to max_rows; past that they
 * are only counted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rstscope/output.h>
#include <rstscope/report.h>

#include "report/report_int.h"

#define DEFAULT_MAX_ROWS 10000

struct rs_report {
    struct rs_summary *sum;
    struct rs_summary_write_opts wopts;
    size_t max_rows;
    char *title; /* NULL: from the inputs */

    FILE *rows; /* open_memstream over rows_buf */
    char *rows_buf;
    size_t rows_len;
    uint64_t kept, left_out;
    int rows_failed;
    char *esc; /* scratch for rs_json_escape: 6 * longest field + 1 */
    size_t esc_len;
};

struct rs_report *
rs_report_new(const struct rs_report_opts *opts, struct rs_error *err)
{
    struct rs_report_opts o = {0};
    if (opts)
        o = *opts;
    struct rs_report *r = calloc(1, sizeof *r);
    if (!r) {
        rs_error_set(err, RS_ERR_NOMEM, "report: out of memory");
        return NULL;
    }
    r->wopts.top = o.top;
    r->wopts.width = o.width;
    r->max_rows = o.max_rows ? o.max_rows : DEFAULT_MAX_ROWS;
    r->sum = rs_summary_new(o.summary, err);
    if (!r->sum)
        goto err;
    if (o.title && !(r->title = strdup(o.title)))
        goto nomem;
    r->rows = open_memstream(&r->rows_buf, &r->rows_len);
    if (!r->rows)
        goto nomem;
    r->esc_len = 6 * 1024 + 1; /* write_row's field buffer, every byte escaped */
    r->esc = malloc(r->esc_len);
    if (!r->esc)
        goto nomem;
    return r;
nomem:
    rs_error_set(err, RS_ERR_NOMEM, "report: out of memory");
err:
    rs_report_free(r);
    return NULL;
}

void
rs_report_free(struct rs_report *r)
{
    if (!r)
        return;
    rs_summary_free(r->sum);
    if (r->rows)
        fclose(r->rows);
    free(r->rows_buf);
    free(r->esc);
    free(r->title);
    free(r);
}

struct rs_summary *
rs_report_summary(struct rs_report *r)
{
    return r->sum;
}

void
rs_report_rows(const struct rs_report *r, uint64_t *kept, uint64_t *left_out)
{
    *kept = r->kept;
    *left_out = r->left_out;
}

/* One row: a JSON array of every field in rs_fields order (jsonl's names,
 * numbers and times as jsonl writes them). */
static void
write_row(struct rs_report *r, const struct rs_record *rec)
{
    char buf[1024];
    FILE *f = r->rows;
    fputs(r->kept ? ",\n[" : "[", f);
    for (size_t i = 0; i < rs_n_fields; i++) {
        const struct rs_field *fd = &rs_fields[i];
        uint64_t num = 0;
        size_t n = fd->get(rec, buf, sizeof buf, &num);
        if (n >= sizeof buf)
            n = sizeof buf - 1;
        if (i)
            fputc(',', f);
        switch (fd->type) {
        case RS_FT_U64:
        case RS_FT_TIME:
        case RS_FT_DURATION:
            fwrite(buf, 1, n, f);
            break;
        case RS_FT_STR:
        case RS_FT_ADDR:
            fputc('"', f);
            fwrite(r->esc, 1, rs_json_escape(buf, n, r->esc, r->esc_len), f);
            fputc('"', f);
            break;
        }
    }
    fputc(']', f);
}

void
rs_report_add(struct rs_report *r, const struct rs_record *rec)
{
    rs_summary_add(r->sum, rec);
    if (!rs_only_match(RS_ONLY_FAILED, rec) && !rs_only_match(RS_ONLY_RESETS, rec))
        return;
    if (r->kept >= r->max_rows || r->rows_failed) {
        r->left_out++;
        return;
    }
    write_row(r, rec);
    if (ferror(r->rows)) {
        r->rows_failed = 1; /* memory ran out: the rest are counted, not kept */
        r->left_out++;
        return;
    }
    r->kept++;
}

void
rs_report_on_record(const struct rs_record *rec, void *user)
{
    rs_report_add(user, rec);
}

/* ---- writing ---- */

/* JSON text, made safe inside <script> (see the top of this file). */
static void
script_json(FILE *out, const char *s, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *rep = NULL;
        size_t skip = 1;
        if (c == '<')
            rep = "\\u003c";
        else if (c == '>')
            rep = "\\u003e";
        else if (c == '&')
            rep = "\\u0026";
        else if (c == 0xe2 && n - i >= 3 && (unsigned char)s[i + 1] == 0x80 &&
                 ((unsigned char)s[i + 2] == 0xa8 || (unsigned char)s[i + 2] == 0xa9)) {
            rep = (unsigned char)s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029";
            skip = 3;
        }
        if (!rep) {
            run++;
            continue;
        }
        fwrite(s + i - run, 1, run, out);
        run = 0;
        fputs(rep, out);
        i += skip - 1;
    }
    fwrite(s + n - run, 1, run, out);
}

static void
html_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&#39;", out);
            break;
        default:
            fputc(*s, out);
        }
    }
}

static void
write_title(const struct rs_report *r, FILE *out)
{
    if (r->title) {
        html_text(out, r->title);
        return;
    }
    fputs("rstscope report", out);
    for (size_t i = 0; i < 3 && rs_summary_input(r->sum, i); i++) {
        fputs(i ? ", " : ": ", out);
        const char *p = rs_summary_input(r->sum, i);
        const char *base = strrchr(p, '/');
        html_text(out, base && base[1] ? base + 1 : p);
    }
    if (rs_summary_input(r->sum, 3))
        fputs(", ...", out);
}

static void
write_inputs(const struct rs_report *r, FILE *out)
{
    for (size_t i = 0; rs_summary_input(r->sum, i); i++) {
        if (i)
            fputs(", ", out);
        html_text(out, rs_summary_input(r->sum, i));
    }
}

static void
write_sessions(const struct rs_report *r, FILE *out, const char *rows, size_t rows_len)
{
    fputs("{\"fields\":[", out);
    for (size_t i = 0; i < rs_n_fields; i++)
        fprintf(out, "%s\"%s\"", i ? "," : "", rs_fields[i].name);
    fputs("],\n\"rows\":[\n", out);
    script_json(out, rows, rows_len);
    fprintf(out, "],\n\"kept\":%llu,\"left_out\":%llu}", (unsigned long long)r->kept,
            (unsigned long long)r->left_out);
}

int
rs_report_write(const struct rs_report *r, FILE *out, struct rs_error *err)
{
    char *sum = NULL;
    size_t sum_len = 0;
    FILE *ms = open_memstream(&sum, &sum_len);
    if (!ms)
        return rs_error_set(err, RS_ERR_NOMEM, "report: out of memory");
    int rc = rs_summary_write(r->sum, RS_SUMMARY_JSON, ms, &r->wopts, err);
    if (fclose(ms) != 0 && rc == 0)
        rc = rs_error_set(err, RS_ERR_NOMEM, "report: out of memory");
    if (rc != 0) {
        free(sum);
        return rc;
    }
    if (fflush(r->rows) != 0) {
        free(sum);
        return rs_error_set(err, RS_ERR_NOMEM, "report: out of memory");
    }
    /* Drop summary JSON's final newline: it sits inside a <script>. */
    while (sum_len && sum[sum_len - 1] == '\n')
        sum_len--;

    /* The template with its @NAME@ markers replaced. */
    const char *t = (const char *)rs_asset_report_html;
    size_t n = rs_asset_report_html_len, i = 0, lit = 0;
    while (i < n) {
        const char *at = memchr(t + i, '@', n - i);
        if (!at)
            break;
        size_t k = (size_t)(at - t);
        const char *end = memchr(at + 1, '@', n - k - 1);
        size_t name_len = end ? (size_t)(end - at - 1) : 0;
        char name[16] = "";
        if (end && name_len < sizeof name) {
            memcpy(name, at + 1, name_len);
            name[name_len] = '\0';
        }
        int known = 1;
        fwrite(t + lit, 1, k - lit, out);
        if (strcmp(name, "TITLE") == 0)
            write_title(r, out);
        else if (strcmp(name, "INPUTS") == 0)
            write_inputs(r, out);
        else if (strcmp(name, "VERSION") == 0)
            fputs(RS_VERSION, out);
        else if (strcmp(name, "CSS") == 0)
            fwrite(rs_asset_report_css, 1, rs_asset_report_css_len, out);
        else if (strcmp(name, "JS") == 0)
            fwrite(rs_asset_report_js, 1, rs_asset_report_js_len, out);
        else if (strcmp(name, "SUMMARY") == 0)
            script_json(out, sum, sum_len);
        else if (strcmp(name, "SESSIONS") == 0)
            write_sessions(r, out, r->rows_buf ? r->rows_buf : "", r->rows_len);
        else
            known = 0;
        if (known) {
            i = k + name_len + 2;
        } else {
            fputc('@', out);
            i = k + 1;
        }
        lit = i;
    }
    fwrite(t + lit, 1, n - lit, out);
    free(sum);
    if (ferror(out))
        return rs_error_set(err, RS_ERR_OUTPUT, "writing the report failed");
    return 0;
}
