/*
 * summary_view.c - the one place where the summary's numbers are cut,
 * rounded and put into words; summary_text.c and summary_json.c only lay
 * them out (see summary_int.h).
 *
 * The sparkline: the timeline's buckets (one minute unless the capture is
 * long) are summed into at most `width` characters; each character is one
 * of eight bar heights scaled so that the busiest character is a full block,
 * and an empty character is a space so that "none" and "a few" differ.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output/output_int.h"
#include "output/summary_int.h"

int
rs_summary_format_parse(const char *name)
{
    if (!name)
        return -1;
    if (strcmp(name, "text") == 0)
        return RS_SUMMARY_TEXT;
    if (strcmp(name, "json") == 0)
        return RS_SUMMARY_JSON;
    return -1;
}

double
sum_pct(uint64_t a, uint64_t b)
{
    if (!b)
        return 0.0;
    /* round half up at one decimal, computed in integers where it fits */
    if (a <= UINT64_MAX / 2000) {
        uint64_t tenths = (a * 2000 / b + 1) / 2;
        return (double)tenths / 10.0;
    }
    return (double)(uint64_t)((double)a * 1000.0 / (double)b + 0.5) / 10.0;
}

void
sum_time_text(rs_time_ns t, char *buf, size_t len)
{
    time_t sec = (time_t)(t / RS_NS_PER_SEC);
    int ms = (int)((t % RS_NS_PER_SEC) / 1000000);
    if (ms < 0) {
        sec--;
        ms += 1000;
    }
    struct tm tm;
    if (!gmtime_r(&sec, &tm)) {
        snprintf(buf, len, "?");
        return;
    }
    size_t n = strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
    if (n && n < len)
        snprintf(buf + n, len - n, ".%03d", ms);
}

void
sum_span_text(rs_time_ns ns, char *buf, size_t len)
{
    int64_t s = ns / RS_NS_PER_SEC;
    if (s > 0 && s % 86400 == 0)
        snprintf(buf, len, "%lld day%s", (long long)(s / 86400), s == 86400 ? "" : "s");
    else if (s > 0 && s % 3600 == 0)
        snprintf(buf, len, "%lld h", (long long)(s / 3600));
    else if (s > 0 && s % 60 == 0)
        snprintf(buf, len, "%lld min", (long long)(s / 60));
    else
        snprintf(buf, len, "%lld s", (long long)s);
}

void
sum_endpoint_text(const struct rs_addr *a, uint16_t port, char *buf, size_t len)
{
    char t[64];
    rs_addr_format(a, t, sizeof t);
    if (rs_addr_is_v4(a))
        snprintf(buf, len, "%s:%u", t, port);
    else
        snprintf(buf, len, "[%s]:%u", t, port);
}

static void
explain_finding(const struct rs_summary_finding *f, char *buf, size_t len)
{
    char who[64], t0[32], t1[32];
    rs_addr_format(&f->victim, who, sizeof who);
    sum_time_text(f->first_ts, t0, sizeof t0);
    sum_time_text(f->last_ts, t1, sizeof t1);
    const char *about = f->sources_estimated ? "about " : "";
    if (strcmp(f->code, "rst_backscatter") == 0) {
        snprintf(buf, len,
                 "%s received %llu RST|ACKs from %s%llu different hosts between %s and %s UTC "
                 "for connections it never opened: SYNs were sent to those hosts with %s as "
                 "their spoofed source (a SYN flood or reflection attack using its address), "
                 "and their closed ports answered it.",
                 who, (unsigned long long)f->rst_acks, about, (unsigned long long)f->ack_sources,
                 t0, t1, who);
    } else {
        snprintf(buf, len,
                 "%s received %llu unsolicited RSTs (no SYN, no data, matching no session) from "
                 "%s%llu hosts between %s and %s UTC, %.1f per second: a RST flood aimed at it, "
                 "or a device resetting connections whose start the capture did not see.",
                 who, (unsigned long long)f->rsts, about, (unsigned long long)f->sources, t0, t1,
                 f->rate);
    }
}

/* Appends the UTF-8 bar for level 0 (space) .. 8 (full block). */
static size_t
put_bar(char *p, unsigned level)
{
    if (level == 0) {
        p[0] = ' ';
        return 1;
    }
    /* U+2581 LOWER ONE EIGHTH BLOCK .. U+2588 FULL BLOCK: E2 96 81..88 */
    p[0] = (char)0xE2;
    p[1] = (char)0x96;
    p[2] = (char)(0x80 + level);
    return 3;
}

int
sum_view_build(struct sum_view *v, const struct rs_summary *s,
               const struct rs_summary_write_opts *opts)
{
    memset(v, 0, sizeof *v);
    v->s = s;
    v->top = opts && opts->top ? opts->top : 10;
    v->width = opts && opts->width ? opts->width : 60;
    rs_summary_get_config(s, &v->cfg);
    rs_summary_totals(s, &v->tot);

    const struct rs_engine_stats *st = &v->tot.engine;
    if (v->tot.have_engine && st->packets && st->first_ts <= st->last_ts) {
        v->first_ts = st->first_ts;
        v->last_ts = st->last_ts;
        v->have_times = 1;
    } else if (v->tot.records) {
        v->first_ts = v->tot.first_ts;
        v->last_ts = v->tot.last_ts;
        v->have_times = 1;
    }

    v->all_apps = rs_summary_app_count(s);
    v->all_causes = rs_summary_cause_count(s);
    v->apps = calloc(v->all_apps + 1, sizeof *v->apps);
    v->causes = calloc(v->all_causes + 1, sizeof *v->causes);
    if (!v->apps || !v->causes)
        goto nomem;
    v->all_apps = rs_summary_by_app(s, v->apps, v->all_apps);
    v->all_causes = rs_summary_by_cause(s, v->causes, v->all_causes);
    v->n_apps = v->all_apps < v->top ? v->all_apps : v->top;
    v->n_causes = v->all_causes; /* a short fixed vocabulary: always in full */
    for (size_t i = v->n_apps; i < v->all_apps; i++) {
        v->rest_sessions += v->apps[i].sessions;
        v->rest_resets += v->apps[i].resets;
    }

    v->all_actions = rs_summary_action_count(s);
    v->all_rules = rs_summary_rule_count(s);
    v->actions = calloc(v->all_actions + 1, sizeof *v->actions);
    v->rules = calloc(v->all_rules + 1, sizeof *v->rules);
    if (!v->actions || !v->rules)
        goto nomem;
    v->all_actions = rs_summary_by_action(s, v->actions, v->all_actions);
    v->all_rules = rs_summary_by_rule(s, v->rules, v->all_rules);
    v->n_rules = v->all_rules < v->top ? v->all_rules : v->top;

    v->servers = calloc(v->top, sizeof *v->servers);
    v->clients = calloc(v->top, sizeof *v->clients);
    if (!v->servers || !v->clients)
        goto nomem;
    v->n_servers = rs_summary_top_hosts(s, RS_SUMMARY_SERVERS, v->servers, v->top);
    v->n_clients = rs_summary_top_hosts(s, RS_SUMMARY_CLIENTS, v->clients, v->top);
    v->all_servers = rs_summary_reset_host_count(s, RS_SUMMARY_SERVERS);
    v->all_clients = rs_summary_reset_host_count(s, RS_SUMMARY_CLIENTS);

    rs_summary_timeline(s, &v->tl);
    if (v->tl.n) {
        v->cell_buckets = (v->tl.n + v->width - 1) / v->width;
        v->n_cells = (v->tl.n + v->cell_buckets - 1) / v->cell_buckets;
        v->cells = calloc(v->n_cells, sizeof *v->cells);
        v->spark = malloc(v->n_cells * 3 + 1);
        if (!v->cells || !v->spark)
            goto nomem;
        for (size_t i = 0; i < v->tl.n; i++)
            v->cells[i / v->cell_buckets] += v->tl.resets[i];
        for (size_t i = 0; i < v->n_cells; i++)
            if (v->cells[i] > v->cell_max)
                v->cell_max = v->cells[i];
        size_t o = 0;
        for (size_t i = 0; i < v->n_cells; i++) {
            unsigned level = 0;
            if (v->cells[i] && v->cell_max) /* ceil(8 * c / max): 1..8 */
                level = (unsigned)((v->cells[i] * 8 + v->cell_max - 1) / v->cell_max);
            if (level > 8)
                level = 8;
            o += put_bar(v->spark + o, level);
        }
        v->spark[o] = '\0';
    }

    rs_summary_unsolicited(s, &v->uns);
    v->findings = calloc(v->uns.destinations + 1, sizeof *v->findings);
    if (!v->findings)
        goto nomem;
    v->all_findings = rs_summary_findings(s, v->findings, v->uns.destinations);
    v->n_findings = v->all_findings < v->top ? v->all_findings : v->top;
    v->explain = calloc(v->n_findings + 1, sizeof *v->explain);
    if (!v->explain)
        goto nomem;
    for (size_t i = 0; i < v->n_findings; i++)
        explain_finding(&v->findings[i], v->explain[i], sizeof v->explain[i]);
    return 0;
nomem:
    sum_view_free(v);
    return RS_ERR_NOMEM;
}

void
sum_view_free(struct sum_view *v)
{
    free(v->apps);
    free(v->causes);
    free(v->actions);
    free(v->rules);
    free(v->servers);
    free(v->clients);
    free(v->cells);
    free(v->spark);
    free(v->findings);
    free(v->explain);
    memset(v, 0, sizeof *v);
}

int
rs_summary_write(const struct rs_summary *s, enum rs_summary_format fmt, FILE *out,
                 const struct rs_summary_write_opts *opts, struct rs_error *err)
{
    struct sum_view v;
    if (sum_view_build(&v, s, opts) != 0)
        return rs_error_set(err, RS_ERR_NOMEM, "out of memory");
    int rc = fmt == RS_SUMMARY_JSON ? sum_write_json(&v, out) : sum_write_text(&v, out);
    sum_view_free(&v);
    if (rc != 0 || ferror(out))
        return rs_error_set(err, RS_ERR_OUTPUT, "writing the summary failed");
    return 0;
}
