/*
 * panlog_match.c - pairing PAN-OS traffic log lines with captured sessions,
 * and saying what each pair means (panlog.h part 3, `rstscope explain`).
 *
 * Pairing. A log line names its session by the pre-NAT 5-tuple (Source and
 * Destination Address and Port, Protocol) and, when the firewall translated
 * it, by the post-NAT one (NAT Source/Destination IP and Port); a capture
 * taken inside the firewall sees the first, one taken outside the second.
 * Both are looked up, in either orientation (rstscope orients a session
 * picked up mid-stream by Zeek's heuristics; the firewall by the first packet
 * it saw). Among the sessions with that tuple, a line takes the unpaired one
 * whose start is nearest its Start Time, within the tolerance. Start Time has
 * whole seconds, so a capture start in [t, t+1 s) is at distance 0. Counts
 * that differ, and an elapsed time off by more than a second, weigh more
 * than any time difference within the tolerance: two sessions on one tuple
 * within a second of each other (port reuse) still pair with their own lines.
 * Lines are paired in file order.
 *
 * Time zone. Syslog and CSV times are the firewall's local time without a
 * zone. With auto_offset every (line, same-tuple session) pair votes for the
 * quarter-hour shift that lines their starts up within the tolerance, once
 * per line; the most voted shift is used (ties: the smallest, 0 first).
 *
 * Memory: one compact copy per captured session (struct rs_panmatch_cap, the
 * explanation and hint in a chunked string arena that never moves), one
 * entry per log line, and an index of the sessions by tuple.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rstscope/panlog.h>

#define ARENA_CHUNK 65536
#define MAX_OFFSET_S ((int64_t)14 * 3600)
#define OFFSET_STEP_S 900
#define N_OFFSETS (2 * MAX_OFFSET_S / OFFSET_STEP_S + 1)

struct arena_chunk {
    struct arena_chunk *next;
    size_t used;
    char data[ARENA_CHUNK];
};

struct rs_panmatch {
    struct rs_panmatch_opts opts;
    int64_t offset_s; /* in use after run */
    uint64_t seed;

    struct rs_panlog_entry *log;
    size_t nlog, log_cap;
    struct rs_panmatch_cap *cap;
    size_t ncap, cap_cap;
    struct arena_chunk *arena;

    /* results */
    int64_t *log_pair;  /* cap index or -1 */
    uint8_t *log_flags; /* bit 0 via NAT, bit 1 reversed */
    uint8_t *cap_paired;
    size_t *unpaired; /* cap indexes in row order */
    size_t nunpaired;
    int ran;

    /* index of caps by canonical tuple */
    uint32_t *bucket; /* head cap index + 1, 0 = empty */
    uint32_t *chain;  /* next cap index + 1 */
    size_t nbucket;
};

const char *
rs_panmatch_kind_name(enum rs_panmatch_kind k)
{
    switch (k) {
    case RS_PANMATCH_MATCHED:
        return "matched";
    case RS_PANMATCH_LOG_ONLY:
        return "log-only";
    case RS_PANMATCH_CAPTURE_ONLY:
        return "capture-only";
    }
    return "";
}

const char *
rs_agree_name(enum rs_agree a)
{
    switch (a) {
    case RS_AGREE_NA:
        return "";
    case RS_AGREE_YES:
        return "yes";
    case RS_AGREE_NO:
        return "no";
    case RS_AGREE_MAYBE:
        return "maybe";
    }
    return "";
}

struct rs_panmatch *
rs_panmatch_new(const struct rs_panmatch_opts *opts, struct rs_error *err)
{
    struct rs_panmatch *m = calloc(1, sizeof *m);
    if (!m) {
        rs_error_set(err, RS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (opts)
        m->opts = *opts;
    if (m->opts.tolerance <= 0)
        m->opts.tolerance = 2 * RS_NS_PER_SEC;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    m->seed = (uint64_t)ts.tv_nsec * UINT64_C(0x9e3779b97f4a7c15) ^ (uint64_t)(uintptr_t)m;
    return m;
}

void
rs_panmatch_free(struct rs_panmatch *m)
{
    if (!m)
        return;
    free(m->log);
    free(m->cap);
    for (struct arena_chunk *c = m->arena; c;) {
        struct arena_chunk *n = c->next;
        free(c);
        c = n;
    }
    free(m->log_pair);
    free(m->log_flags);
    free(m->cap_paired);
    free(m->unpaired);
    free(m->bucket);
    free(m->chain);
    free(m);
}

static int
grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 256;
    void *p = realloc(*v, c * size);
    if (!p)
        return RS_ERR_NOMEM;
    *v = p;
    *cap = c;
    return 0;
}

int
rs_panmatch_add_line(struct rs_panmatch *m, const struct rs_panlog_entry *e)
{
    if (grow((void **)&m->log, &m->log_cap, m->nlog, sizeof *m->log))
        return RS_ERR_NOMEM;
    m->log[m->nlog++] = *e;
    return 0;
}

static const char *
arena_str(struct rs_panmatch *m, const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);
    if (n == 0)
        return "";
    if (!m->arena || n + 1 > ARENA_CHUNK - m->arena->used) {
        struct arena_chunk *c = malloc(sizeof *c);
        if (!c)
            return NULL;
        c->next = m->arena;
        c->used = 0;
        m->arena = c;
    }
    char *d = m->arena->data + m->arena->used;
    memcpy(d, s, n);
    d[n] = '\0';
    m->arena->used += n + 1;
    return d;
}

#define COPY(dst, src)                                                                             \
    do {                                                                                           \
        size_t n_ = strnlen((src), sizeof(src));                                                   \
        if (n_ > sizeof(dst) - 1)                                                                  \
            n_ = sizeof(dst) - 1;                                                                  \
        memcpy((dst), (src), n_);                                                                  \
        (dst)[n_] = '\0';                                                                          \
    } while (0)

int
rs_panmatch_add_record(struct rs_panmatch *m, const struct rs_record *r)
{
    if (grow((void **)&m->cap, &m->cap_cap, m->ncap, sizeof *m->cap))
        return RS_ERR_NOMEM;
    struct rs_panmatch_cap *c = &m->cap[m->ncap];
    memset(c, 0, sizeof *c);
    c->id = r->id;
    COPY(c->uid, r->uid);
    c->ts = r->ts;
    c->end_ts = r->end_ts;
    c->proto = r->proto;
    c->client = r->client;
    c->server = r->server;
    c->client_port = r->client_port;
    c->server_port = r->server_port;
    c->end_reason = r->end_reason;
    COPY(c->app, r->app);
    rs_panos_app(r, c->panos_app, sizeof c->panos_app);
    COPY(c->conn_state, r->conn_state);
    COPY(c->history, r->history);
    c->client_pkts = r->client_pkts;
    c->server_pkts = r->server_pkts;
    c->client_bytes = r->client_bytes;
    c->server_bytes = r->server_bytes;
    c->client_ip_bytes = r->client_ip_bytes;
    c->server_ip_bytes = r->server_ip_bytes;
    c->rst_by = r->rst_by;
    COPY(c->rst_cause, r->rst_cause);
    c->rst_confidence = r->rst_confidence;
    COPY(c->action, r->action);
    COPY(c->rule, r->rule);
    c->explanation = arena_str(m, r->explanation, sizeof r->explanation);
    c->hint = arena_str(m, r->hint, sizeof r->hint);
    if (!c->explanation || !c->hint)
        return RS_ERR_NOMEM;
    m->ncap++;
    return 0;
}

/* ---- tuple index ---- */

struct tuple {
    int proto;
    struct rs_addr a, b;
    uint16_t pa, pb;
};

static int
icmp(int proto)
{
    return proto == 1 || proto == 58;
}

static void
tuple_set(struct tuple *t, int proto, const struct rs_addr *a, uint16_t pa, const struct rs_addr *b,
          uint16_t pb)
{
    t->proto = proto;
    t->a = *a;
    t->b = *b;
    /* PAN-OS logs ICMP with ports 0; rstscope keeps type and code there. */
    t->pa = icmp(proto) ? 0 : pa;
    t->pb = icmp(proto) ? 0 : pb;
}

static uint64_t
mix(uint64_t h, uint64_t v)
{
    h ^= v + UINT64_C(0x9e3779b97f4a7c15) + (h << 6) + (h >> 2);
    h *= UINT64_C(0xbf58476d1ce4e5b9);
    return h ^ (h >> 31);
}

static uint64_t
addr_hash(const struct rs_addr *a, uint16_t p)
{
    uint64_t x, y;
    memcpy(&x, a->b, 8);
    memcpy(&y, a->b + 8, 8);
    return mix(mix(x, y), p);
}

/* Symmetric in the two endpoints. */
static uint64_t
tuple_hash(const struct rs_panmatch *m, const struct tuple *t)
{
    uint64_t ha = addr_hash(&t->a, t->pa), hb = addr_hash(&t->b, t->pb);
    return mix(mix(m->seed, (uint64_t)t->proto), ha ^ hb) ^ mix(ha + hb, 1);
}

static int
ep_eq(const struct rs_addr *a, uint16_t pa, const struct rs_addr *b, uint16_t pb)
{
    return pa == pb && memcmp(a->b, b->b, 16) == 0;
}

/* 1 if the cap has tuple t: +1 same orientation, -1 reversed, 0 no. */
static int
cap_has(const struct rs_panmatch_cap *c, const struct tuple *t)
{
    if (c->proto != t->proto)
        return 0;
    struct tuple ct;
    tuple_set(&ct, c->proto, &c->client, c->client_port, &c->server, c->server_port);
    if (ep_eq(&ct.a, ct.pa, &t->a, t->pa) && ep_eq(&ct.b, ct.pb, &t->b, t->pb))
        return 1;
    if (ep_eq(&ct.a, ct.pa, &t->b, t->pb) && ep_eq(&ct.b, ct.pb, &t->a, t->pa))
        return -1;
    return 0;
}

static int
build_index(struct rs_panmatch *m)
{
    size_t nb = 16;
    while (nb < m->ncap * 2)
        nb *= 2;
    m->nbucket = nb;
    m->bucket = calloc(nb, sizeof *m->bucket);
    m->chain = calloc(m->ncap ? m->ncap : 1, sizeof *m->chain);
    if (!m->bucket || !m->chain)
        return RS_ERR_NOMEM;
    /* Inserted from the last, so each chain lists caps in record order. */
    for (size_t i = m->ncap; i-- > 0;) {
        struct tuple t;
        const struct rs_panmatch_cap *c = &m->cap[i];
        tuple_set(&t, c->proto, &c->client, c->client_port, &c->server, c->server_port);
        size_t b = (size_t)(tuple_hash(m, &t) & (nb - 1));
        m->chain[i] = m->bucket[b];
        m->bucket[b] = (uint32_t)(i + 1);
    }
    return 0;
}

/* The log line's tuples: [0] pre-NAT, [1] post-NAT (n = 1 without NAT). */
static size_t
line_tuples(const struct rs_panlog_entry *e, struct tuple t[2])
{
    tuple_set(&t[0], e->proto, &e->src, e->sport, &e->dst, e->dport);
    if (!e->has_nat_src && !e->has_nat_dst)
        return 1;
    const struct rs_addr *s = e->has_nat_src ? &e->nat_src : &e->src;
    const struct rs_addr *d = e->has_nat_dst ? &e->nat_dst : &e->dst;
    uint16_t sp = e->has_nat_src && e->nat_sport ? e->nat_sport : e->sport;
    uint16_t dp = e->has_nat_dst && e->nat_dport ? e->nat_dport : e->dport;
    tuple_set(&t[1], e->proto, s, sp, d, dp);
    return 2;
}

/* Distance of a capture start from a log start that has whole seconds. */
static rs_time_ns
start_dist(rs_time_ns cap_ts, rs_time_ns log_utc)
{
    rs_time_ns d = cap_ts - log_utc;
    if (d < 0)
        return -d;
    return d >= RS_NS_PER_SEC ? d - RS_NS_PER_SEC + 1 : 0;
}

static rs_time_ns
log_utc(const struct rs_panmatch *m, const struct rs_panlog_entry *e)
{
    return e->start_zoned ? e->start : e->start - m->offset_s * RS_NS_PER_SEC;
}

static void
vote_offsets(struct rs_panmatch *m)
{
    uint64_t votes[N_OFFSETS];
    uint8_t mine[N_OFFSETS];
    memset(votes, 0, sizeof votes);
    for (size_t i = 0; i < m->nlog; i++) {
        const struct rs_panlog_entry *e = &m->log[i];
        if (e->start_zoned)
            continue;
        memset(mine, 0, sizeof mine);
        struct tuple t[2];
        size_t nt = line_tuples(e, t);
        for (size_t k = 0; k < nt; k++) {
            size_t b = (size_t)(tuple_hash(m, &t[k]) & (m->nbucket - 1));
            for (uint32_t j = m->bucket[b]; j; j = m->chain[j - 1]) {
                const struct rs_panmatch_cap *c = &m->cap[j - 1];
                if (!cap_has(c, &t[k]))
                    continue;
                /* UTC = local - offset, so offset ~ local - capture start. */
                int64_t diff_s = (e->start - c->ts) / RS_NS_PER_SEC;
                int64_t q = diff_s >= 0 ? (diff_s + OFFSET_STEP_S / 2) / OFFSET_STEP_S
                                        : -((-diff_s + OFFSET_STEP_S / 2) / OFFSET_STEP_S);
                if (q * OFFSET_STEP_S > MAX_OFFSET_S || q * OFFSET_STEP_S < -MAX_OFFSET_S)
                    continue;
                rs_time_ns utc = e->start - q * (int64_t)OFFSET_STEP_S * RS_NS_PER_SEC;
                if (start_dist(c->ts, utc) > m->opts.tolerance)
                    continue;
                size_t slot = (size_t)(q + MAX_OFFSET_S / OFFSET_STEP_S);
                if (!mine[slot]) {
                    mine[slot] = 1;
                    votes[slot]++;
                }
            }
        }
    }
    size_t zero = MAX_OFFSET_S / OFFSET_STEP_S, best = zero;
    for (size_t d = 1; d <= zero; d++) {
        /* Nearer shifts first, so ties go to the smaller |offset|. */
        if (votes[zero + d] > votes[best])
            best = zero + d;
        if (votes[zero - d] > votes[best])
            best = zero - d;
    }
    m->offset_s = ((int64_t)best - (int64_t)zero) * OFFSET_STEP_S;
}

int
rs_panmatch_run(struct rs_panmatch *m)
{
    if (m->ran)
        return 0;
    m->log_pair = malloc((m->nlog ? m->nlog : 1) * sizeof *m->log_pair);
    m->log_flags = calloc(m->nlog ? m->nlog : 1, 1);
    m->cap_paired = calloc(m->ncap ? m->ncap : 1, 1);
    m->unpaired = malloc((m->ncap ? m->ncap : 1) * sizeof *m->unpaired);
    if (!m->log_pair || !m->log_flags || !m->cap_paired || !m->unpaired || build_index(m))
        return RS_ERR_NOMEM;
    m->offset_s = m->opts.utc_offset_s;
    if (m->opts.auto_offset)
        vote_offsets(m);

    const rs_time_ns tol = m->opts.tolerance;
    const rs_time_ns penalty = tol + 2 * RS_NS_PER_SEC;
    for (size_t i = 0; i < m->nlog; i++) {
        const struct rs_panlog_entry *e = &m->log[i];
        rs_time_ns start = log_utc(m, e);
        struct tuple t[2];
        size_t nt = line_tuples(e, t);
        int64_t best = -1;
        rs_time_ns best_cost = 0;
        uint8_t best_flags = 0;
        for (size_t k = 0; k < nt; k++) {
            size_t b = (size_t)(tuple_hash(m, &t[k]) & (m->nbucket - 1));
            for (uint32_t j = m->bucket[b]; j; j = m->chain[j - 1]) {
                const struct rs_panmatch_cap *c = &m->cap[j - 1];
                if (m->cap_paired[j - 1])
                    continue;
                int o = cap_has(c, &t[k]);
                if (!o)
                    continue;
                rs_time_ns cost = start_dist(c->ts, start);
                if (cost > tol)
                    continue;
                if (e->has_counts) {
                    uint64_t ps = o > 0 ? c->client_pkts : c->server_pkts;
                    uint64_t pr = o > 0 ? c->server_pkts : c->client_pkts;
                    if (ps != e->pkts_sent || pr != e->pkts_recv)
                        cost += penalty;
                }
                if (e->elapsed_s >= 0) {
                    int64_t el = rs_time_span(c->ts, c->end_ts) / RS_NS_PER_SEC;
                    if (el - e->elapsed_s > 1 || e->elapsed_s - el > 1)
                        cost += penalty;
                }
                if (o < 0)
                    cost += 1; /* same orientation first */
                if (best < 0 || cost < best_cost) {
                    best = (int64_t)(j - 1);
                    best_cost = cost;
                    best_flags = (uint8_t)((k == 1 ? 1 : 0) | (o < 0 ? 2 : 0));
                }
            }
        }
        m->log_pair[i] = best;
        m->log_flags[i] = best_flags;
        if (best >= 0)
            m->cap_paired[best] = 1;
    }
    for (size_t j = 0; j < m->ncap; j++)
        if (!m->cap_paired[j])
            m->unpaired[m->nunpaired++] = j;
    m->ran = 1;
    return 0;
}

size_t
rs_panmatch_nrows(const struct rs_panmatch *m)
{
    return m->ran ? m->nlog + m->nunpaired : 0;
}

int64_t
rs_panmatch_offset(const struct rs_panmatch *m)
{
    return m->offset_s;
}

/* ---- agreement and the diagnosis ---- */

struct text {
    char *p;
    size_t len, cap;
};

__attribute__((format(printf, 2, 3))) static void
add(struct text *t, const char *fmt, ...)
{
    if (t->len + 1 >= t->cap)
        return;
    if (t->len > 0 && t->p[t->len - 1] != ' ' && !strchr(";:,.)", fmt[0])) {
        t->p[t->len++] = ' ';
        t->p[t->len] = '\0';
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        t->len += (size_t)n < t->cap - t->len ? (size_t)n : t->cap - t->len - 1;
}

static const char *
side_name(enum rs_end_reason r)
{
    return r == RS_END_RST_CLIENT ? "client" : "server";
}

static int
is_rst(enum rs_end_reason r)
{
    return r == RS_END_RST_CLIENT || r == RS_END_RST_SERVER;
}

static const char *
rst_by_text(enum rs_rst_by b)
{
    switch (b) {
    case RS_RST_BY_CLIENT:
        return "the client";
    case RS_RST_BY_SERVER:
        return "the server";
    case RS_RST_BY_BOTH:
        return "both sides";
    default:
        return "nobody";
    }
}

static void
explain_end(struct text *t, const struct rs_panlog_entry *e, const struct rs_panmatch_cap *c)
{
    const char *L = e->end_reason;
    enum rs_end_reason C = c->end_reason;
    const char *cs = rs_end_reason_name(C);

    if (strcmp(L, "policy-deny") == 0) {
        const char *rule = e->rule[0] ? e->rule : "(unnamed)";
        const char *act = e->action[0] ? e->action : "deny";
        int fw_cause = strcmp(c->rst_cause, "policy_reject") == 0 ||
                       strcmp(c->rst_cause, "refused_closed_port") == 0;
        int to_client = strcmp(act, "reset-client") == 0 || strcmp(act, "reset-both") == 0;
        int to_server = strcmp(act, "reset-server") == 0 || strcmp(act, "reset-both") == 0;
        if (c->rst_by == RS_RST_BY_SERVER && fw_cause && to_client) {
            add(t,
                "The log says rule '%s' denied the session (action %s): the RST the capture "
                "attributes to the server is the firewall's own reset in the server's name "
                "(reset-client), not the server's.",
                rule, act);
        } else if (c->rst_by == RS_RST_BY_CLIENT && fw_cause && to_server) {
            add(t,
                "The log says rule '%s' denied the session (action %s): the RST the capture "
                "attributes to the client is the firewall's own reset in the client's name "
                "(reset-server).",
                rule, act);
        } else if (strcmp(c->conn_state, "S0") == 0 || strcmp(c->conn_state, "OTH") == 0) {
            add(t,
                "The log says rule '%s' denied the session (action %s): the capture shows the "
                "client's packets and no answer, as a blocked session looks in front of the "
                "firewall.",
                rule, act);
        } else {
            add(t,
                "The log says rule '%s' denied the session (action %s), but the capture shows "
                "it carried on (%s, app %s): the capture point is not behind this decision (it "
                "saw the traffic before the firewall or on another path), or the line is another "
                "attempt on the same tuple.",
                rule, act, cs, c->app[0] ? c->app : "(none)");
        }
        return;
    }
    if (strcmp(L, "threat") == 0) {
        add(t,
            "The firewall ended the session for a threat (see its THREAT log for session ID "
            "%llu); packets cannot show that decision.",
            (unsigned long long)e->session_id);
        if (is_rst(C)) {
            add(t,
                "The RST the capture attributes to the %s is likely the firewall's threat action "
                "(reset-client/-server/-both), sent in an endpoint's name.",
                side_name(C));
        }
        return;
    }
    if (strncmp(L, "decrypt", 7) == 0) {
        add(t,
            "SSL/TLS decryption on the firewall ended the session (%s): a firewall decision "
            "packets cannot show.",
            L);
        return;
    }
    if (strcmp(L, "resources-unavailable") == 0) {
        add(t,
            "The firewall ended the session for lack of resources (session table, "
            "out-of-order queue); the capture shows %s.",
            cs);
        return;
    }
    if (strcmp(L, "tcp-rst-from-client") == 0 || strcmp(L, "tcp-rst-from-server") == 0) {
        const char *lside = L[13] == 'c' ? "client" : "server";
        if (is_rst(C)) {
            add(t,
                "The log names the %s as the resetter; the capture's first accepted RST is the "
                "%s's (%s): both sides reset and the firewall and the capture point saw them in "
                "a different order, or one of the RSTs did not pass the firewall.",
                lside, side_name(C), c->rst_cause[0] ? c->rst_cause : "no cause");
        } else if (C == RS_END_TCP_FIN) {
            add(t,
                "The firewall saw a RST from the %s that the capture does not show (it shows "
                "FINs): the RST was sent beyond the capture point (by a device between them, or "
                "the firewall's own threat or policy reset) or the capture lost it.",
                lside);
        } else {
            add(t,
                "The firewall saw a RST from the %s that the capture does not show (%s): the "
                "capture ended earlier, lost it, or the RST came from beyond the capture point.",
                lside, cs);
        }
        return;
    }
    if (strcmp(L, "tcp-fin") == 0) {
        if (is_rst(C)) {
            add(t,
                "The capture shows a RST (from %s, %s) where the firewall logged tcp-fin: the "
                "firewall closed its session at the FINs before the RST arrived, or the RST did "
                "not pass it (sent on the capture's side, or out of the firewall's window).",
                rst_by_text(c->rst_by), c->rst_cause[0] ? c->rst_cause : "no cause");
        } else {
            add(t,
                "The firewall saw a FIN the capture does not show (%s): the capture ended first "
                "or missed the closing packets (loss, another path).",
                cs);
        }
        return;
    }
    if (strcmp(L, "aged-out") == 0) {
        if (C == RS_END_OPEN) {
            add(t, "The capture ended before the session's timer ran out; the firewall aged it "
                   "out later.");
        } else {
            add(t,
                "The firewall saw neither FIN nor RST and aged the session out, while the capture "
                "shows %s: the closing packets did not pass the firewall (asymmetric routing, "
                "another path) or it discarded them.",
                cs);
            if (strncmp(c->rst_cause, "injected", 8) == 0 ||
                strncmp(c->rst_cause, "idle_timeout", 12) == 0) {
                add(t,
                    "The RST looks forged or sent by a middlebox (%s), so it may never have "
                    "crossed the firewall.",
                    c->rst_cause);
            }
        }
        return;
    }
    if (strcmp(L, "tcp-reuse") == 0) {
        add(t,
            "The firewall ended the session when a new SYN reused its tuple; the capture shows "
            "%s (rstscope ends a session by reuse only while its close timers run, as PAN-OS "
            "does with its own timers).",
            cs);
        return;
    }
    if (strcmp(L, "unknown") == 0) {
        add(t,
            "The firewall could not tell how the session ended ('unknown'); the capture shows "
            "%s.",
            cs);
        return;
    }
    add(t, "The log says %s, the capture shows %s.", L, cs);
}

static void
explain_app(struct text *t, const char *L, const char *shown, const char *C, enum rs_agree a)
{
    /* L: the log's app in canonical form, for decisions; shown: as the log wrote it. */
    if (a == RS_AGREE_MAYBE) {
        add(t,
            "App-ID names the application (%s) carried over %s; rstscope identifies protocols, "
            "not applications.",
            shown, C);
        return;
    }
    if (strcmp(L, "not-applicable") == 0) {
        add(t,
            "App-ID never ran on it (not-applicable: blocked before identification); the "
            "capture shows %s.",
            C);
    } else if (strcmp(L, "incomplete") == 0) {
        add(t,
            "The firewall saw no completed handshake with data ('incomplete') where the capture "
            "does (%s): it saw only one direction (asymmetric routing) or the rest took another "
            "path.",
            C);
    } else if (strcmp(C, "incomplete") == 0) {
        add(t,
            "The capture shows no completed handshake with data, while App-ID identified %s: "
            "the capture missed packets (loss, snaplen, another path).",
            shown);
    } else if (strcmp(L, "non-syn-tcp") == 0) {
        add(t, "The firewall saw the session start without a SYN (non-syn-tcp): it missed the "
               "handshake (asymmetric routing, or the session predates a failover or reboot).");
    } else if (strcmp(L, "insufficient-data") == 0) {
        add(t,
            "rstscope identified %s from fewer packets than App-ID needed (App-ID: "
            "insufficient-data).",
            C);
    } else if (rs_panos_app_is_state(C)) {
        add(t, "App-ID identified %s, which rstscope's dissectors %s (%s).", shown,
            rs_panos_app_known(L) ? "could not see in this capture" : "do not know", C);
    } else {
        add(t, "App-ID says %s, rstscope says %s.", shown, C);
    }
}

void
rs_panmatch_row(const struct rs_panmatch *m, size_t i, struct rs_panmatch_row *row)
{
    memset(row, 0, sizeof *row);
    struct text t = {row->diagnosis, 0, sizeof row->diagnosis};
    row->diagnosis[0] = '\0';
    char tol[32];
    snprintf(tol, sizeof tol, "%.3g s", (double)m->opts.tolerance / 1e9);

    if (i >= m->nlog) {
        const struct rs_panmatch_cap *c = &m->cap[m->unpaired[i - m->nlog]];
        row->kind = RS_PANMATCH_CAPTURE_ONLY;
        row->cap = c;
        add(&t, "The log has no line for this session:");
        if (strcmp(c->app, "non-syn-tcp") == 0) {
            add(&t, "its first packet was not a SYN, and a firewall with tcp-reject-non-syn (the "
                    "PAN-OS default) drops such packets without a session or a log.");
        } else if (c->end_reason == RS_END_OPEN) {
            add(&t, "it was still open when the capture ended, and PAN-OS logs a session when it "
                    "ends.");
        } else {
            add(&t, "it did not pass this firewall (another path), its rule does not log at "
                    "session end, or it is outside the log's time range.");
        }
        if (c->explanation[0])
            add(&t, "Capture: %s", c->explanation);
        return;
    }

    const struct rs_panlog_entry *e = &m->log[i];
    row->log = e;
    if (m->log_pair[i] < 0) {
        row->kind = RS_PANMATCH_LOG_ONLY;
        add(&t,
            "No captured session has this 5-tuple (before or after NAT) with a start within %s "
            "of the log's",
            tol);
        if (!e->start_zoned) {
            int64_t o = m->offset_s;
            add(&t, "(log times read as UTC%c%02lld:%02lld)", o < 0 ? '-' : '+',
                (long long)((o < 0 ? -o : o) / 3600), (long long)((o < 0 ? -o : o) % 3600 / 60));
        }
        add(&t, ": the capture does not cover this session's time or path.");
        if (strcmp(e->end_reason, "policy-deny") == 0) {
            add(&t,
                "The firewall blocked it (rule '%s', action %s); a capture behind the firewall "
                "never sees such packets.",
                e->rule, e->action[0] ? e->action : "deny");
        }
        return;
    }

    const struct rs_panmatch_cap *c = &m->cap[m->log_pair[i]];
    row->kind = RS_PANMATCH_MATCHED;
    row->cap = c;
    row->via_nat = (m->log_flags[i] & 1) != 0;
    row->reversed = (m->log_flags[i] & 2) != 0;
    row->start_delta = c->ts - log_utc(m, e);

    /* end reason */
    if (e->end_reason[0]) {
        row->end_reason = strcmp(e->end_reason, rs_panos_end_reason(c->end_reason)) == 0
                              ? RS_AGREE_YES
                              : RS_AGREE_NO;
    }
    /* application, in App-ID names */
    char lapp[64];
    rs_panos_app_canon(e->app, strnlen(e->app, sizeof e->app), lapp, sizeof lapp);
    if (lapp[0]) {
        if (strcmp(lapp, c->panos_app) == 0)
            row->app = RS_AGREE_YES;
        else if (!rs_panos_app_is_state(lapp) && !rs_panos_app_known(lapp) &&
                 !rs_panos_app_is_state(c->panos_app))
            row->app = RS_AGREE_MAYBE;
        else
            row->app = RS_AGREE_NO;
    }
    /* counts: packets exactly; bytes are IP bytes, up to a link header more */
    uint64_t cps = row->reversed ? c->server_pkts : c->client_pkts;
    uint64_t cpr = row->reversed ? c->client_pkts : c->server_pkts;
    uint64_t cbs = row->reversed ? c->server_ip_bytes : c->client_ip_bytes;
    uint64_t cbr = row->reversed ? c->client_ip_bytes : c->server_ip_bytes;
    if (e->has_counts) {
        int ok = e->pkts_sent == cps && e->pkts_recv == cpr && e->bytes_sent >= cbs &&
                 e->bytes_sent - cbs <= 18 * cps && e->bytes_recv >= cbr &&
                 e->bytes_recv - cbr <= 18 * cpr;
        if (ok)
            row->counts = RS_AGREE_YES;
        else if (strcmp(e->end_reason, "policy-deny") == 0)
            row->counts = RS_AGREE_NA; /* PAN-OS counts what reached the decision only */
        else
            row->counts = RS_AGREE_NO;
    }
    row->agree =
        row->end_reason != RS_AGREE_NO && row->app != RS_AGREE_NO && row->counts != RS_AGREE_NO;

    if (row->agree) {
        add(&t, "Log and capture agree: %s, %s.", e->end_reason[0] ? e->end_reason : "(no reason)",
            lapp[0] ? lapp : "(no app)");
        if (row->app == RS_AGREE_MAYBE)
            explain_app(&t, lapp, e->app, c->panos_app, row->app);
    } else {
        if (row->end_reason == RS_AGREE_NO)
            explain_end(&t, e, c);
        if (row->app == RS_AGREE_NO || row->app == RS_AGREE_MAYBE)
            explain_app(&t, lapp, e->app, c->panos_app, row->app);
        if (row->counts == RS_AGREE_NO) {
            add(&t,
                "Counts differ: the log has %llu/%llu packets and %llu/%llu bytes (sent/received), "
                "the capture %llu/%llu packets and %llu/%llu IP bytes",
                (unsigned long long)e->pkts_sent, (unsigned long long)e->pkts_recv,
                (unsigned long long)e->bytes_sent, (unsigned long long)e->bytes_recv,
                (unsigned long long)cps, (unsigned long long)cpr, (unsigned long long)cbs,
                (unsigned long long)cbr);
            if (e->pkts_sent + e->pkts_recv < cps + cpr) {
                add(&t, "; the firewall saw fewer packets: part of the session took another "
                        "path or was dropped before it.");
            } else if (e->pkts_sent + e->pkts_recv > cps + cpr) {
                add(&t, "; the capture missed packets (loss, a capture that started late or "
                        "ended early, or another path).");
            } else {
                add(&t, "; the byte counts differ by more than a link-layer header per packet.");
            }
        }
    }
    if (row->via_nat)
        add(&t, "(Paired on the log's post-NAT tuple: the capture was taken on the translated "
                "side.)");
    if (row->reversed)
        add(&t, "(The capture sees the log's destination as the client.)");
    if (c->explanation[0])
        add(&t, "Capture: %s", c->explanation);
}
