/*
 * summary_text.c - `rstscope summary --format=text`: sections a person reads
 * top to bottom in a terminal. Every number here is also in the JSON
 * (summary_json.c), with the same rounding.
 */
#include <string.h>

#include <rstscope/decode.h>

#include "output/output_int.h"
#include "output/summary_int.h"

static int
name_width(const struct rs_summary_count *c, size_t n, int min)
{
    int w = min;
    for (size_t i = 0; i < n; i++) {
        int l = (int)strlen(c[i].name);
        if (l > w)
            w = l;
    }
    return w;
}

/* Writes text as lines of at most `width` columns (words are never split),
 * each after `indent` spaces. */
static void
put_wrapped(FILE *out, const char *text, int indent, size_t width)
{
    const char *p = text;
    while (*p) {
        size_t room = width - (size_t)indent, n = strlen(p);
        if (n > room) {
            n = room;
            while (n > 0 && p[n] != ' ')
                n--;
            if (n == 0) /* one word longer than the line */
                n = strcspn(p, " ");
        }
        fprintf(out, "%*s%.*s\n", indent, "", (int)n, p);
        p += n;
        while (*p == ' ')
            p++;
    }
}

static void
section_capture(const struct sum_view *v, FILE *out)
{
    const struct rs_summary_totals *t = &v->tot;
    fputs("rstscope summary", out);
    for (size_t i = 0; i < t->inputs; i++)
        fprintf(out, "%s%s", i ? ", " : ": ", rs_summary_input(v->s, i));
    fputc('\n', out);
    if (v->have_times) {
        char a[32], b[32], dur[RS_NUM_MAX];
        sum_time_text(v->first_ts, a, sizeof a);
        sum_time_text(v->last_ts, b, sizeof b);
        rs_time_ns d = rs_time_span(v->first_ts, v->last_ts);
        rs_output_secs(dur, d);
        fprintf(out, "  capture   %s .. %s UTC (%s s)\n", a, b, dur);
    }
    if (t->have_engine) {
        fprintf(out, "  packets   %llu (%llu bytes), %llu sessions, at most %llu open at once\n",
                (unsigned long long)t->engine.packets, (unsigned long long)t->engine.bytes,
                (unsigned long long)t->records, (unsigned long long)t->engine.peak_sessions);
    } else {
        fprintf(out, "  sessions  %llu\n", (unsigned long long)t->records);
    }
    fprintf(out, "  protocols tcp %llu, udp %llu, icmp %llu, other %llu\n",
            (unsigned long long)t->by_proto[0], (unsigned long long)t->by_proto[1],
            (unsigned long long)t->by_proto[2], (unsigned long long)t->by_proto[3]);
}

static void
section_end_reasons(const struct sum_view *v, FILE *out)
{
    const struct rs_summary_totals *t = &v->tot;
    fputs("\nSessions by end reason\n", out);
    /* most frequent first; ties in enum order */
    int order[RS_END__COUNT];
    for (int i = 0; i < RS_END__COUNT; i++)
        order[i] = i;
    for (int i = 1; i < RS_END__COUNT; i++) {
        for (int j = i; j > 0 && t->by_end[order[j]] > t->by_end[order[j - 1]]; j--) {
            int x = order[j];
            order[j] = order[j - 1];
            order[j - 1] = x;
        }
    }
    for (int k = 0; k < RS_END__COUNT; k++) {
        int i = order[k];
        if (!t->by_end[i])
            continue;
        fprintf(out, "  %-22s %10llu  %5.1f%%\n", rs_end_reason_name((enum rs_end_reason)i),
                (unsigned long long)t->by_end[i], sum_pct(t->by_end[i], t->records));
    }
    if (!t->records)
        fputs("  (no sessions)\n", out);
    fprintf(out, "  resets: %llu of %llu sessions (%.1f%%) ended by an accepted RST",
            (unsigned long long)t->resets, (unsigned long long)t->records,
            sum_pct(t->resets, t->records));
    if (t->rst_out_of_window)
        fprintf(out, "; %llu more hit only by out-of-window RSTs",
                (unsigned long long)t->rst_out_of_window);
    fputc('\n', out);
}

static void
section_apps(const struct sum_view *v, FILE *out)
{
    int w = name_width(v->apps, v->n_apps, 22);
    fprintf(out, "\nSessions by app\n  %-*s %10s %8s %7s\n", w, "app", "sessions", "resets",
            "reset%");
    for (size_t i = 0; i < v->n_apps; i++) {
        const struct rs_summary_count *c = &v->apps[i];
        fprintf(out, "  %-*s %10llu %8llu %6.1f%%\n", w, c->name, (unsigned long long)c->sessions,
                (unsigned long long)c->resets, sum_pct(c->resets, c->sessions));
    }
    if (v->all_apps > v->n_apps)
        fprintf(out, "  (%zu more apps: %llu sessions, %llu resets)\n", v->all_apps - v->n_apps,
                (unsigned long long)v->rest_sessions, (unsigned long long)v->rest_resets);
}

static void
section_causes(const struct sum_view *v, FILE *out)
{
    fputs("\nReset causes (rst_cause)\n", out);
    if (!v->n_causes) {
        fputs("  (no resets)\n", out);
        return;
    }
    int w = name_width(v->causes, v->n_causes, 26);
    fprintf(out, "  %-*s %10s %10s %10s\n", w, "cause", "sessions", "by client", "by server");
    for (size_t i = 0; i < v->n_causes; i++) {
        const struct rs_summary_count *c = &v->causes[i];
        fprintf(out, "  %-*s %10llu %10llu %10llu\n", w, c->name, (unsigned long long)c->sessions,
                (unsigned long long)c->by_client, (unsigned long long)c->by_server);
        const char *m = rs_summary_cause_meaning(c->name);
        if (*m)
            fprintf(out, "      %s\n", m);
    }
}

static void
section_policy(const struct sum_view *v, FILE *out)
{
    if (!v->all_actions)
        return; /* no --policy */
    int w = name_width(v->actions, v->all_actions, 26);
    fprintf(out, "\nPolicy actions (--policy)\n  %-*s %10s %8s\n", w, "action", "sessions",
            "resets");
    for (size_t i = 0; i < v->all_actions; i++) {
        fprintf(out, "  %-*s %10llu %8llu\n", w, v->actions[i].name,
                (unsigned long long)v->actions[i].sessions,
                (unsigned long long)v->actions[i].resets);
    }
    w = name_width(v->rules, v->n_rules, 26);
    fprintf(out, "\nPolicy rules\n  %-*s %10s %8s\n", w, "rule", "sessions", "resets");
    for (size_t i = 0; i < v->n_rules; i++) {
        fprintf(out, "  %-*s %10llu %8llu\n", w, v->rules[i].name,
                (unsigned long long)v->rules[i].sessions, (unsigned long long)v->rules[i].resets);
    }
    if (v->all_rules > v->n_rules)
        fprintf(out, "  (%zu more rules)\n", v->all_rules - v->n_rules);
}

static void
section_hosts(const struct sum_view *v, FILE *out, int servers)
{
    const struct rs_summary_host *h = servers ? v->servers : v->clients;
    size_t n = servers ? v->n_servers : v->n_clients;
    size_t all = servers ? v->all_servers : v->all_clients;
    fprintf(out, "\n%s with the most resets\n", servers ? "Servers" : "Clients");
    if (!n) {
        fputs("  (none)\n", out);
        return;
    }
    char ep[80];
    int w = 22;
    for (size_t i = 0; i < n; i++) {
        if (servers)
            sum_endpoint_text(&h[i].addr, h[i].port, ep, sizeof ep);
        else
            rs_addr_format(&h[i].addr, ep, sizeof ep);
        if ((int)strlen(ep) > w)
            w = (int)strlen(ep);
    }
    fprintf(out, "  %-*s %8s %10s %7s %10s %10s\n", w, servers ? "server" : "client", "resets",
            "sessions", "reset%", "by client", "by server");
    for (size_t i = 0; i < n; i++) {
        if (servers)
            sum_endpoint_text(&h[i].addr, h[i].port, ep, sizeof ep);
        else
            rs_addr_format(&h[i].addr, ep, sizeof ep);
        fprintf(out, "  %-*s %8llu %10llu %6.1f%% %10llu %10llu\n", w, ep,
                (unsigned long long)h[i].resets, (unsigned long long)h[i].sessions,
                sum_pct(h[i].resets, h[i].sessions), (unsigned long long)h[i].rst_from_client,
                (unsigned long long)h[i].rst_from_server);
    }
    if (all > n)
        fprintf(out, "  (%zu more %s with resets)\n", all - n, servers ? "servers" : "clients");
}

static void
section_timeline(const struct sum_view *v, FILE *out)
{
    const struct rs_summary_timeline *tl = &v->tl;
    fputs("\nResets over time\n", out);
    if (!tl->n) {
        fputs("  (no resets)\n", out);
        return;
    }
    char bw[32], cw[32], a[32], b[32], p[32];
    sum_span_text(tl->bucket_ns, bw, sizeof bw);
    sum_span_text(tl->bucket_ns * (rs_time_ns)v->cell_buckets, cw, sizeof cw);
    sum_time_text(tl->start, a, sizeof a);
    sum_time_text(tl->start + tl->bucket_ns * (rs_time_ns)tl->n, b, sizeof b);
    sum_time_text(tl->peak_start, p, sizeof p);
    a[16] = b[16] = p[16] = '\0'; /* minutes: "YYYY-MM-DD HH:MM" */
    /* the end label drops the date when it is the start's */
    const char *bl = strncmp(a, b, 10) == 0 ? b + 11 : b;
    fprintf(out, "  %s |%s| %s UTC\n", a, v->spark, bl);
    fprintf(out, "  1 char = %s (%llu bucket%s of %s), full block = %llu resets; %llu in all\n", cw,
            (unsigned long long)v->cell_buckets, v->cell_buckets == 1 ? "" : "s", bw,
            (unsigned long long)v->cell_max, (unsigned long long)tl->total);
    fprintf(out, "  peak: %llu resets in the %s from %s UTC\n", (unsigned long long)tl->peak,
            strcmp(bw, "1 min") == 0 ? "minute" : bw, p);
}

static void
section_unsolicited(const struct sum_view *v, FILE *out)
{
    const struct rs_summary_unsolicited *u = &v->uns;
    fputs("\nUnsolicited RSTs (sessions of RSTs only: no SYN, no data)\n", out);
    if (!u->sessions) {
        fputs("  none\n", out);
    } else {
        fprintf(out, "  %llu RSTs (%llu RST|ACK) in %llu sessions to %llu destination%s\n",
                (unsigned long long)u->rsts, (unsigned long long)u->rst_acks,
                (unsigned long long)u->sessions, (unsigned long long)u->destinations,
                u->destinations == 1 ? "" : "s");
    }
    fputs("\nFindings\n", out);
    if (!v->n_findings) {
        fprintf(out,
                "  none (rst_flood: >= %llu RSTs to one address, or >= %llu at >= %.1f/s; "
                "rst_backscatter: RST|ACKs from >= %llu hosts)\n",
                (unsigned long long)v->cfg.flood_min_rsts,
                (unsigned long long)v->cfg.flood_burst_rsts, v->cfg.flood_min_rate,
                (unsigned long long)v->cfg.backscatter_min_sources);
        return;
    }
    for (size_t i = 0; i < v->n_findings; i++) {
        const struct rs_summary_finding *f = &v->findings[i];
        char who[64];
        rs_addr_format(&f->victim, who, sizeof who);
        fprintf(out,
                "  %-16s %s: %llu RSTs (%llu RST|ACK) from %s%llu host%s (%s%llu sending "
                "RST|ACK), %.1f/s\n",
                f->code, who, (unsigned long long)f->rsts, (unsigned long long)f->rst_acks,
                f->sources_estimated ? "~" : "", (unsigned long long)f->sources,
                f->sources == 1 ? "" : "s", f->sources_estimated ? "~" : "",
                (unsigned long long)f->ack_sources, f->rate);
        put_wrapped(out, v->explain[i], 6, 100);
    }
    if (v->all_findings > v->n_findings)
        fprintf(out, "  (%zu more findings)\n", v->all_findings - v->n_findings);
}

static void
section_problems(const struct sum_view *v, FILE *out)
{
    const struct rs_summary_totals *t = &v->tot;
    fputs("\nDecode problems (packets not analysed, or only partly)\n", out);
    int any = 0;
    for (int i = 1; t->have_engine && i < RS_DEC__COUNT; i++) {
        if (!t->engine.decode[i])
            continue;
        fprintf(out, "  %-22s %10llu\n", rs_decode_status_name((enum rs_decode_status)i),
                (unsigned long long)t->engine.decode[i]);
        any = 1;
    }
    if (!any)
        fputs("  none\n", out);

    fputs("\nCapture damage\n", out);
    for (size_t i = 0; i < t->notes; i++)
        fprintf(out, "  %s\n", rs_summary_note(v->s, i));
    if (t->notes_dropped)
        fprintf(out, "  (%zu more notes)\n", t->notes_dropped);
    if (!t->notes)
        fputs("  none\n", out);

    fputs("\nLimits\n", out);
    any = 0;
    if (t->have_engine && t->engine.evicted) {
        fprintf(out, "  %llu sessions ended early by --max-sessions (oldest first)\n",
                (unsigned long long)t->engine.evicted);
        any = 1;
    }
    if (t->server_evictions || t->client_evictions) {
        fprintf(out,
                "  host tables full: %llu servers and %llu clients dropped; their counts "
                "restart if they come back (rankings are approximate)\n",
                (unsigned long long)t->server_evictions, (unsigned long long)t->client_evictions);
        any = 1;
    }
    if (t->victim_evictions) {
        fprintf(out, "  unsolicited-RST table full: %llu destinations dropped\n",
                (unsigned long long)t->victim_evictions);
        any = 1;
    }
    if (t->names_other) {
        fprintf(out, "  %llu sessions counted under (other): too many distinct names\n",
                (unsigned long long)t->names_other);
        any = 1;
    }
    if (!any)
        fputs("  none reached\n", out);
}

int
sum_write_text(const struct sum_view *v, FILE *out)
{
    section_capture(v, out);
    section_end_reasons(v, out);
    section_apps(v, out);
    section_causes(v, out);
    section_policy(v, out);
    section_hosts(v, out, 1);
    section_hosts(v, out, 0);
    section_timeline(v, out);
    section_unsolicited(v, out);
    section_problems(v, out);
    return ferror(out) ? RS_ERR_OUTPUT : 0;
}
