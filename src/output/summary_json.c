/*
 * summary_json.c - `rstscope summary --format=json`: one JSON object (RFC
 * 8259), numbers as numbers, every number the text shows with the same
 * rounding (percentages and rates with one decimal), times as Unix seconds
 * with microseconds as in jsonl. Keys are always present, so a consumer can
 * rely on them; the rankings are cut to --top as in the text, with the size
 * of the full ranking alongside. docs/summary.md lists every key.
 */
#include <string.h>

#include <rstscope/decode.h>

#include "output/output_int.h"
#include "output/summary_int.h"

static void
jstr(FILE *out, const char *s)
{
    char buf[4096];
    size_t n = rs_json_escape(s, strlen(s), buf, sizeof buf);
    fputc('"', out);
    fwrite(buf, 1, n, out);
    fputc('"', out);
}

static void
jkey(FILE *out, const char *k)
{
    fprintf(out, "\"%s\":", k);
}

static void
ju64(FILE *out, const char *k, uint64_t v)
{
    fprintf(out, "\"%s\":%llu", k, (unsigned long long)v);
}

static void
jtime(FILE *out, const char *k, rs_time_ns t)
{
    char b[RS_NUM_MAX];
    rs_output_secs(b, t);
    fprintf(out, "\"%s\":%s", k, b);
}

static void
jaddr(FILE *out, const char *k, const struct rs_addr *a)
{
    char b[64];
    rs_addr_format(a, b, sizeof b);
    jkey(out, k);
    jstr(out, b);
}

static void
counts(FILE *out, const char *key, const char *namekey, const struct rs_summary_count *c, size_t n,
       int causes)
{
    fprintf(out, ",\n\"%s\":[", key);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ",\n {" : "\n {", out);
        jkey(out, namekey);
        jstr(out, c[i].name);
        fputc(',', out);
        ju64(out, "sessions", c[i].sessions);
        fputc(',', out);
        ju64(out, "resets", c[i].resets);
        if (causes == 1) {
            fputc(',', out);
            ju64(out, "by_client", c[i].by_client);
            fputc(',', out);
            ju64(out, "by_server", c[i].by_server);
            fputc(',', out);
            jkey(out, "meaning");
            jstr(out, rs_summary_cause_meaning(c[i].name));
        } else if (causes == 0) {
            fprintf(out, ",\"reset_pct\":%.1f", sum_pct(c[i].resets, c[i].sessions));
        }
        fputc('}', out);
    }
    fputs("]", out);
}

static void
hosts(FILE *out, const char *key, const struct rs_summary_host *h, size_t n, int servers)
{
    fprintf(out, ",\n\"%s\":[", key);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ",\n {" : "\n {", out);
        jaddr(out, "addr", &h[i].addr);
        if (servers)
            fprintf(out, ",\"port\":%u", h[i].port);
        fputc(',', out);
        ju64(out, "resets", h[i].resets);
        fputc(',', out);
        ju64(out, "sessions", h[i].sessions);
        fprintf(out, ",\"reset_pct\":%.1f,", sum_pct(h[i].resets, h[i].sessions));
        ju64(out, "by_client", h[i].rst_from_client);
        fputc(',', out);
        ju64(out, "by_server", h[i].rst_from_server);
        fputc('}', out);
    }
    fputs("]", out);
}

static void
timeline(FILE *out, const struct sum_view *v)
{
    const struct rs_summary_timeline *tl = &v->tl;
    fputs(",\n\"timeline\":{", out);
    jtime(out, "start", tl->start);
    fputc(',', out);
    jtime(out, "end", tl->start + tl->bucket_ns * (rs_time_ns)tl->n);
    fprintf(out, ",\"bucket_seconds\":%lld,", (long long)(tl->bucket_ns / RS_NS_PER_SEC));
    ju64(out, "total", tl->total);
    fputc(',', out);
    ju64(out, "peak", tl->peak);
    fputc(',', out);
    jtime(out, "peak_start", tl->peak_start);
    fputs(",\n \"resets\":[", out);
    for (size_t i = 0; i < tl->n; i++)
        fprintf(out, "%s%llu", i ? "," : "", (unsigned long long)tl->resets[i]);
    fprintf(out, "],\n \"cell_buckets\":%zu,\"cell_seconds\":%lld,", v->cell_buckets,
            (long long)(tl->bucket_ns / RS_NS_PER_SEC) * (long long)v->cell_buckets);
    ju64(out, "cell_max", v->cell_max);
    fputs(",\"cells\":[", out);
    for (size_t i = 0; i < v->n_cells; i++)
        fprintf(out, "%s%llu", i ? "," : "", (unsigned long long)v->cells[i]);
    fputs("],\n \"sparkline\":", out);
    jstr(out, v->spark ? v->spark : "");
    fputc('}', out);
}

static void
findings(FILE *out, const struct sum_view *v)
{
    const struct rs_summary_unsolicited *u = &v->uns;
    fputs(",\n\"unsolicited\":{", out);
    ju64(out, "sessions", u->sessions);
    fputc(',', out);
    ju64(out, "rsts", u->rsts);
    fputc(',', out);
    ju64(out, "rst_acks", u->rst_acks);
    fputc(',', out);
    ju64(out, "destinations", u->destinations);
    fputs("},\n\"findings\":[", out);
    for (size_t i = 0; i < v->n_findings; i++) {
        const struct rs_summary_finding *f = &v->findings[i];
        fputs(i ? ",\n {" : "\n {", out);
        jkey(out, "code");
        jstr(out, f->code);
        fputc(',', out);
        jaddr(out, "victim", &f->victim);
        fputc(',', out);
        ju64(out, "rsts", f->rsts);
        fputc(',', out);
        ju64(out, "rst_acks", f->rst_acks);
        fputc(',', out);
        ju64(out, "sources", f->sources);
        fputc(',', out);
        ju64(out, "ack_sources", f->ack_sources);
        fprintf(out, ",\"sources_estimated\":%s,", f->sources_estimated ? "true" : "false");
        jtime(out, "first_ts", f->first_ts);
        fputc(',', out);
        jtime(out, "last_ts", f->last_ts);
        fprintf(out, ",\"rate\":%.1f,", f->rate);
        jkey(out, "meaning");
        jstr(out, rs_summary_cause_meaning(f->code));
        fputc(',', out);
        jkey(out, "explanation");
        jstr(out, v->explain[i]);
        fputc('}', out);
    }
    fprintf(out, "],\n\"findings_total\":%zu", v->all_findings);
    fputs(",\n\"thresholds\":{", out);
    ju64(out, "flood_min_rsts", v->cfg.flood_min_rsts);
    fputc(',', out);
    ju64(out, "flood_burst_rsts", v->cfg.flood_burst_rsts);
    fprintf(out, ",\"flood_min_rate\":%.1f,", v->cfg.flood_min_rate);
    ju64(out, "backscatter_min_sources", v->cfg.backscatter_min_sources);
    fputc('}', out);
}

static void
problems(FILE *out, const struct sum_view *v)
{
    const struct rs_summary_totals *t = &v->tot;
    fputs(",\n\"decode\":{", out);
    for (int i = 1; i < RS_DEC__COUNT; i++) {
        if (i > 1)
            fputc(',', out);
        ju64(out, rs_decode_status_name((enum rs_decode_status)i), t->engine.decode[i]);
    }
    fputs("},\n\"damage\":[", out);
    for (size_t i = 0; i < t->notes; i++) {
        if (i)
            fputc(',', out);
        jstr(out, rs_summary_note(v->s, i));
    }
    fprintf(out, "],\n\"damage_dropped\":%zu", t->notes_dropped);
    fputs(",\n\"limits\":{", out);
    ju64(out, "evicted_sessions", t->engine.evicted);
    fputc(',', out);
    ju64(out, "server_evictions", t->server_evictions);
    fputc(',', out);
    ju64(out, "client_evictions", t->client_evictions);
    fputc(',', out);
    ju64(out, "victim_evictions", t->victim_evictions);
    fputc(',', out);
    ju64(out, "names_other", t->names_other);
    fputc('}', out);
}

int
sum_write_json(const struct sum_view *v, FILE *out)
{
    const struct rs_summary_totals *t = &v->tot;
    fputs("{\"version\":", out);
    jstr(out, RS_VERSION);
    fputs(",\n\"inputs\":[", out);
    for (size_t i = 0; i < t->inputs; i++) {
        if (i)
            fputc(',', out);
        jstr(out, rs_summary_input(v->s, i));
    }
    fputs("],\n\"capture\":{", out);
    jtime(out, "first_ts", v->have_times ? v->first_ts : 0);
    fputc(',', out);
    jtime(out, "last_ts", v->have_times ? v->last_ts : 0);
    fputc(',', out);
    jtime(out, "duration", v->have_times ? rs_time_span(v->first_ts, v->last_ts) : 0);
    fputc(',', out);
    ju64(out, "packets", t->engine.packets);
    fputc(',', out);
    ju64(out, "bytes", t->engine.bytes);
    fputc(',', out);
    ju64(out, "sessions", t->records);
    fputc(',', out);
    ju64(out, "peak_sessions", t->engine.peak_sessions);
    fputc(',', out);
    ju64(out, "reordered", t->engine.reordered);
    fputs("},\n\"by_end_reason\":{", out);
    for (int i = 0; i < RS_END__COUNT; i++) {
        if (i)
            fputc(',', out);
        ju64(out, rs_end_reason_name((enum rs_end_reason)i), t->by_end[i]);
    }
    fputs("},\n\"by_proto\":{", out);
    ju64(out, "tcp", t->by_proto[0]);
    fputc(',', out);
    ju64(out, "udp", t->by_proto[1]);
    fputc(',', out);
    ju64(out, "icmp", t->by_proto[2]);
    fputc(',', out);
    ju64(out, "other", t->by_proto[3]);
    fputs("},\n\"resets\":{", out);
    ju64(out, "sessions", t->resets);
    fprintf(out, ",\"pct\":%.1f,", sum_pct(t->resets, t->records));
    ju64(out, "out_of_window_only", t->rst_out_of_window);
    fputc('}', out);

    counts(out, "by_app", "app", v->apps, v->n_apps, 0);
    fprintf(out, ",\n\"apps_total\":%zu,\"apps_rest\":{\"sessions\":%llu,\"resets\":%llu}",
            v->all_apps, (unsigned long long)v->rest_sessions, (unsigned long long)v->rest_resets);
    counts(out, "by_rst_cause", "cause", v->causes, v->n_causes, 1);
    counts(out, "by_policy_action", "action", v->actions, v->all_actions, 2);
    counts(out, "by_policy_rule", "rule", v->rules, v->n_rules, 2);
    fprintf(out, ",\n\"policy_rules_total\":%zu", v->all_rules);
    hosts(out, "top_servers", v->servers, v->n_servers, 1);
    fprintf(out, ",\n\"servers_with_resets\":%zu", v->all_servers);
    hosts(out, "top_clients", v->clients, v->n_clients, 0);
    fprintf(out, ",\n\"clients_with_resets\":%zu", v->all_clients);
    timeline(out, v);
    findings(out, v);
    problems(out, v);
    fputs("}\n", out);
    return ferror(out) ? RS_ERR_OUTPUT : 0;
}
