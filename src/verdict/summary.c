/*
 * summary.c - the aggregate view: records in, counters out (summary.h).
 *
 * Design: every record costs a handful of array increments and at most three
 * hash lookups (server, client, or the destination of an unsolicited RST);
 * nothing is formatted and nothing is allocated per record once the tables
 * have grown. Everything an input can grow has a cap fixed at creation:
 *
 *   - host and victim tables are chained hash maps over a slab that doubles
 *     up to its cap (indices, not pointers, as in the flow table). Keys are
 *     hashed with a per-summary seed (masscan/Redis) so crafted addresses
 *     cannot pile into one chain. When a table is full, eight random entries
 *     are sampled and the one with the smallest score (fewest resets, or
 *     fewest RSTs for victims) gives up its slot, as Redis approximates LFU
 *     eviction; the eviction is counted and reported, and counts stay exact
 *     while that count is 0;
 *   - distinct RST senders per victim are exact up to 64 (a list of 64-bit
 *     hashes) and then estimated by linear counting over a 1024-bit bitmap
 *     (Whang, Vander-Zanden, Taylor 1990), which is accurate to a few percent
 *     up to several thousand;
 *   - the timeline keeps at most max_buckets buckets; a record outside the
 *     range makes the buckets wider (merging neighbours) rather than
 *     dropping anything, so the total always equals the reset count.
 *
 * Records arrive in session-end order, not packet order, and a timer-ended
 * session can be emitted long after a later one started: nothing here
 * assumes time order.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rstscope/decode.h>
#include <rstscope/summary.h>

#define EVICT_SAMPLES 8
#define SRC_EXACT 64
#define SRC_BITS 1024
#define NAME_LEN 64 /* the longest record string counted: rule[64] */
#define MIN_ALLOC 256

/* ---- hashing ------------------------------------------------------------ */

static uint64_t
fmix64(uint64_t k)
{
    k ^= k >> 33;
    k *= UINT64_C(0xff51afd7ed558ccd);
    k ^= k >> 33;
    k *= UINT64_C(0xc4ceb9fe1a85ec53);
    k ^= k >> 33;
    return k;
}

static uint64_t
addr_hash(uint64_t seed, const struct rs_addr *a, uint16_t port)
{
    uint64_t lo = 0, hi = 0;
    for (int i = 0; i < 8; i++) {
        lo = lo << 8 | a->b[i];
        hi = hi << 8 | a->b[8 + i];
    }
    return fmix64(fmix64(lo ^ seed) + hi * UINT64_C(0x9e3779b97f4a7c15) + port + (seed >> 17));
}

static uint64_t
random_seed(void)
{
    uint64_t s = 0;
    FILE *f = fopen("/dev/urandom", "rb");
    if (f) {
        if (fread(&s, sizeof s, 1, f) != 1)
            s = 0;
        fclose(f);
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return fmix64(s ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32)) | 1;
}

/* ---- a capped hash map of fixed-size entries ---------------------------- */

/* Every entry starts with this header; the payload follows. */
struct ent_hdr {
    uint32_t next; /* chain, UINT32_MAX at the end */
    uint32_t hash;
    struct rs_addr addr;
    uint16_t port;
};

#define NIL UINT32_MAX

struct capmap {
    unsigned char *slab;
    size_t esize; /* bytes per entry, header included */
    size_t n;     /* entries in use: always slots [0, n) */
    size_t alloc; /* slots allocated */
    size_t cap;   /* never more */
    uint32_t *head;
    size_t nhead; /* power of two */
    uint64_t seed;
    uint64_t rng; /* xorshift state for eviction sampling */
    uint64_t evictions;
    uint64_t (*score)(const struct ent_hdr *e); /* lower is evicted first */
};

static struct ent_hdr *
ent_at(const struct capmap *m, size_t i)
{
    return (struct ent_hdr *)(void *)(m->slab + i * m->esize);
}

static void
capmap_init(struct capmap *m, size_t esize, size_t cap, uint64_t seed,
            uint64_t (*score)(const struct ent_hdr *))
{
    memset(m, 0, sizeof *m);
    m->esize = esize;
    m->cap = cap;
    m->seed = seed;
    m->rng = fmix64(seed ^ 0x2545f4914f6cdd1dULL) | 1;
    m->score = score;
}

static void
capmap_free(struct capmap *m)
{
    free(m->slab);
    free(m->head);
    m->slab = NULL;
    m->head = NULL;
}

/* Grows slab and buckets (doubling, at most to cap); -1 on failure. */
static int
capmap_grow(struct capmap *m)
{
    size_t na = m->alloc ? m->alloc * 2 : MIN_ALLOC;
    if (na > m->cap)
        na = m->cap;
    if (na <= m->alloc)
        return -1;
    unsigned char *slab = realloc(m->slab, na * m->esize);
    if (!slab)
        return -1;
    m->slab = slab;
    size_t nh = 16;
    while (nh < na * 2)
        nh *= 2;
    uint32_t *head = malloc(nh * sizeof *head);
    if (!head)
        return -1; /* the larger slab is kept; the old buckets still index it */
    for (size_t i = 0; i < nh; i++)
        head[i] = NIL;
    for (size_t i = 0; i < m->n; i++) {
        struct ent_hdr *e = ent_at(m, i);
        size_t b = e->hash & (nh - 1);
        e->next = head[b];
        head[b] = (uint32_t)i;
    }
    free(m->head);
    m->head = head;
    m->nhead = nh;
    m->alloc = na;
    return 0;
}

static uint64_t
capmap_rand(struct capmap *m)
{
    uint64_t x = m->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    m->rng = x;
    return x;
}

static void
capmap_unlink(struct capmap *m, uint32_t idx)
{
    struct ent_hdr *e = ent_at(m, idx);
    uint32_t *pp = &m->head[e->hash & (m->nhead - 1)];
    while (*pp != NIL && *pp != idx)
        pp = &ent_at(m, *pp)->next;
    if (*pp == idx)
        *pp = e->next;
}

/*
 * Finds the entry of (addr, port), creating it (payload zeroed) if needed.
 * *evicted is set to the score-relevant old entry's copy when a slot was
 * taken over (the caller adjusts its own counters), else its hash is 0 and
 * its port 0xffff is not used. Returns NULL only when memory ran out before
 * the first entry could be made.
 */
static struct ent_hdr *
capmap_get(struct capmap *m, const struct rs_addr *a, uint16_t port, int *created,
           unsigned char *evicted_copy, int *did_evict)
{
    uint32_t h = (uint32_t)addr_hash(m->seed, a, port);
    *created = 0;
    *did_evict = 0;
    if (m->nhead) {
        for (uint32_t i = m->head[h & (m->nhead - 1)]; i != NIL;) {
            struct ent_hdr *e = ent_at(m, i);
            if (e->hash == h && e->port == port && memcmp(&e->addr, a, sizeof *a) == 0)
                return e;
            i = e->next;
        }
    }
    uint32_t idx;
    if (m->n < m->alloc || (m->n < m->cap && capmap_grow(m) == 0)) {
        idx = (uint32_t)m->n++;
    } else {
        if (m->n == 0)
            return NULL;
        /* Full (or out of memory): take the slot of the weakest of a sample. */
        idx = (uint32_t)(capmap_rand(m) % m->n);
        uint64_t best = m->score(ent_at(m, idx));
        for (int k = 1; k < EVICT_SAMPLES; k++) {
            uint32_t j = (uint32_t)(capmap_rand(m) % m->n);
            uint64_t sc = m->score(ent_at(m, j));
            if (sc < best) {
                best = sc;
                idx = j;
            }
        }
        capmap_unlink(m, idx);
        memcpy(evicted_copy, ent_at(m, idx), m->esize);
        *did_evict = 1;
        m->evictions++;
    }
    struct ent_hdr *e = ent_at(m, idx);
    memset(e, 0, m->esize);
    e->hash = h;
    e->addr = *a;
    e->port = port;
    size_t b = h & (m->nhead - 1);
    e->next = m->head[b];
    m->head[b] = idx;
    *created = 1;
    return e;
}

/* ---- payloads ----------------------------------------------------------- */

struct host_ent {
    struct ent_hdr h;
    uint64_t sessions, resets, rst_c, rst_s;
};

static uint64_t
host_score(const struct ent_hdr *e)
{
    const struct host_ent *he = (const struct host_ent *)(const void *)e;
    /* Fewest resets first; among equals the one with fewer sessions. */
    uint64_t s = he->sessions > UINT32_MAX ? UINT32_MAX : he->sessions;
    uint64_t r = he->resets > UINT32_MAX ? UINT32_MAX : he->resets;
    return r << 32 | s;
}

/* Distinct senders: exact list, then linear counting. */
struct distinct {
    uint64_t h[SRC_EXACT];
    uint64_t bits[SRC_BITS / 64];
    uint32_t n;
    uint8_t over;
};

static void
distinct_add(struct distinct *d, uint64_t h)
{
    d->bits[(h >> 6) % (SRC_BITS / 64)] |= UINT64_C(1) << (h & 63);
    if (d->over)
        return;
    for (uint32_t i = 0; i < d->n; i++)
        if (d->h[i] == h)
            return;
    if (d->n < SRC_EXACT)
        d->h[d->n++] = h;
    else
        d->over = 1;
}

static uint64_t
distinct_count(const struct distinct *d, int *estimated)
{
    if (!d->over)
        return d->n;
    *estimated = 1;
    unsigned zeros = 0;
    for (size_t i = 0; i < SRC_BITS / 64; i++)
        zeros += 64u - (unsigned)__builtin_popcountll(d->bits[i]);
    double m = SRC_BITS;
    double est = zeros ? -m * log((double)zeros / m) : m * log(m);
    uint64_t v = (uint64_t)(est + 0.5);
    return v > SRC_EXACT ? v : SRC_EXACT + 1;
}

struct victim_ent {
    struct ent_hdr h;
    uint64_t rsts, rst_acks, sessions;
    rs_time_ns first_ts, last_ts;
    struct distinct src, ack_src;
};

static uint64_t
victim_score(const struct ent_hdr *e)
{
    return ((const struct victim_ent *)(const void *)e)->rsts;
}

/* ---- names (apps, causes) ----------------------------------------------- */

struct name_ent {
    char name[NAME_LEN];
    uint64_t sessions, resets, by_client, by_server;
};

struct names {
    struct name_ent *e; /* cap + 1: the last one is "(other)" */
    size_t n, cap;
    uint32_t *slot; /* open addressing, nslot = power of two >= 2 * cap */
    size_t nslot;
    int other_used;
};

static int
names_init(struct names *t, size_t cap)
{
    memset(t, 0, sizeof *t);
    t->cap = cap;
    t->nslot = 16;
    while (t->nslot < cap * 2)
        t->nslot *= 2;
    t->e = calloc(cap + 1, sizeof *t->e);
    t->slot = malloc(t->nslot * sizeof *t->slot);
    if (!t->e || !t->slot)
        return -1;
    for (size_t i = 0; i < t->nslot; i++)
        t->slot[i] = NIL;
    snprintf(t->e[cap].name, NAME_LEN, "%s", "(other)");
    return 0;
}

static void
names_free(struct names *t)
{
    free(t->e);
    free(t->slot);
}

/* Returns the entry for s[0..len), "(other)" when full; *other set then. */
static struct name_ent *
names_get(struct names *t, const char *s, size_t len, int *other)
{
    if (len >= NAME_LEN)
        len = NAME_LEN - 1;
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * UINT64_C(0x100000001b3);
    size_t mask = t->nslot - 1;
    for (size_t k = 0, i = h & mask; k < t->nslot; k++, i = (i + 1) & mask) {
        if (t->slot[i] == NIL) {
            if (t->n == t->cap)
                break;
            struct name_ent *e = &t->e[t->n];
            memcpy(e->name, s, len);
            e->name[len] = '\0';
            t->slot[i] = (uint32_t)t->n++;
            return e;
        }
        struct name_ent *e = &t->e[t->slot[i]];
        if (strncmp(e->name, s, len) == 0 && e->name[len] == '\0')
            return e;
    }
    *other = 1;
    t->other_used = 1;
    return &t->e[t->cap];
}

/* ---- the timeline ------------------------------------------------------- */

/* Bucket widths in seconds: minutes and hours a person reads easily; each is
 * a multiple of the one before, so merging is exact. Then doubling. */
static const int64_t widths_s[] = {60, 300, 600, 1800, 3600, 7200, 21600, 43200, 86400};

struct timeline {
    uint64_t *b;
    size_t n, cap;
    rs_time_ns start, width;
    size_t step; /* index into widths_s, or beyond: doublings of a day */
};

static rs_time_ns
floor_to(rs_time_ns t, rs_time_ns w)
{
    rs_time_ns q = t / w;
    if (t % w < 0)
        q--;
    return q * w;
}

static void
timeline_widen(struct timeline *tl)
{
    rs_time_ns nw;
    tl->step++;
    if (tl->step < sizeof widths_s / sizeof widths_s[0])
        nw = widths_s[tl->step] * RS_NS_PER_SEC;
    else
        nw = tl->width * 2;
    rs_time_ns ns = floor_to(tl->start, nw);
    size_t nn = 0;
    for (size_t i = 0; i < tl->n; i++) {
        size_t j = (size_t)((tl->start + (rs_time_ns)i * tl->width - ns) / nw);
        if (j != i) {
            tl->b[j] += tl->b[i];
            tl->b[i] = 0;
        }
        nn = j + 1;
    }
    tl->n = nn;
    tl->start = ns;
    tl->width = nw;
}

static void
timeline_add(struct timeline *tl, rs_time_ns t)
{
    /* pcap time stamps are unsigned 32-bit seconds at most; pcapng's 64-bit
     * ones are clamped so that bucket arithmetic never overflows. */
    if (t < 0)
        t = 0;
    if (t > INT64_C(1) << 62)
        t = INT64_C(1) << 62;
    if (tl->n == 0) {
        tl->start = floor_to(t, tl->width);
        tl->n = 1;
        tl->b[0] = 1;
        return;
    }
    for (;;) {
        if (t < tl->start) {
            rs_time_ns ns = floor_to(t, tl->width);
            rs_time_ns shift = (tl->start - ns) / tl->width;
            if (shift <= (rs_time_ns)(tl->cap - tl->n)) {
                memmove(tl->b + shift, tl->b, tl->n * sizeof *tl->b);
                memset(tl->b, 0, (size_t)shift * sizeof *tl->b);
                tl->n += (size_t)shift;
                tl->start = ns;
                tl->b[0]++;
                return;
            }
        } else {
            rs_time_ns idx = (t - tl->start) / tl->width;
            if (idx < (rs_time_ns)tl->cap) {
                if ((size_t)idx >= tl->n) {
                    memset(tl->b + tl->n, 0, ((size_t)idx + 1 - tl->n) * sizeof *tl->b);
                    tl->n = (size_t)idx + 1;
                }
                tl->b[idx]++;
                return;
            }
        }
        timeline_widen(tl);
    }
}

/* ---- the summary -------------------------------------------------------- */

struct rs_summary {
    struct rs_summary_config cfg;
    struct rs_summary_totals tot;
    struct names apps, causes, actions, rules;
    struct capmap servers, clients, victims;
    size_t servers_with_resets, clients_with_resets;
    struct timeline tl;
    struct rs_summary_unsolicited uns;
    char *notes[RS_SUMMARY_MAX_NOTES];
    char *inputs[RS_SUMMARY_MAX_INPUTS];
    unsigned char *scratch; /* an evicted entry's copy */
};

void
rs_summary_config_default(struct rs_summary_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->max_hosts = 65536;
    cfg->max_victims = 4096;
    cfg->max_names = 128;
    cfg->max_buckets = 10080;
    cfg->flood_min_rsts = 100;
    cfg->flood_burst_rsts = 20;
    cfg->flood_min_rate = 10.0;
    cfg->backscatter_min_sources = 20;
}

struct rs_summary *
rs_summary_new(const struct rs_summary_config *cfg, struct rs_error *err)
{
    struct rs_summary_config c;
    if (cfg)
        c = *cfg;
    else
        rs_summary_config_default(&c);
    if (!c.max_hosts || !c.max_victims || !c.max_names || c.max_buckets < 2 ||
        c.max_hosts > UINT32_MAX / 4 || c.max_victims > UINT32_MAX / 4 || c.max_names > 65536 ||
        !c.flood_min_rsts || !c.flood_burst_rsts || !(c.flood_min_rate > 0) ||
        !c.backscatter_min_sources) {
        rs_error_set(err, RS_ERR_USAGE, "summary: every cap and threshold must be positive");
        return NULL;
    }
    if (!c.seed)
        c.seed = random_seed();
    struct rs_summary *s = calloc(1, sizeof *s);
    if (!s)
        goto nomem;
    s->cfg = c;
    capmap_init(&s->servers, sizeof(struct host_ent), c.max_hosts, c.seed, host_score);
    capmap_init(&s->clients, sizeof(struct host_ent), c.max_hosts, fmix64(c.seed + 1), host_score);
    capmap_init(&s->victims, sizeof(struct victim_ent), c.max_victims, fmix64(c.seed + 2),
                victim_score);
    s->tl.cap = c.max_buckets;
    s->tl.width = widths_s[0] * RS_NS_PER_SEC;
    s->tl.b = calloc(c.max_buckets, sizeof *s->tl.b);
    s->scratch =
        malloc(sizeof(struct victim_ent) > sizeof(struct host_ent) ? sizeof(struct victim_ent)
                                                                   : sizeof(struct host_ent));
    if (names_init(&s->apps, c.max_names) != 0 || names_init(&s->causes, c.max_names) != 0 ||
        names_init(&s->actions, c.max_names) != 0 || names_init(&s->rules, c.max_names) != 0 ||
        !s->tl.b || !s->scratch)
        goto nomem;
    return s;
nomem:
    rs_summary_free(s);
    rs_error_set(err, RS_ERR_NOMEM, "out of memory");
    return NULL;
}

void
rs_summary_free(struct rs_summary *s)
{
    if (!s)
        return;
    names_free(&s->apps);
    names_free(&s->causes);
    names_free(&s->actions);
    names_free(&s->rules);
    capmap_free(&s->servers);
    capmap_free(&s->clients);
    capmap_free(&s->victims);
    free(s->tl.b);
    free(s->scratch);
    for (size_t i = 0; i < RS_SUMMARY_MAX_NOTES; i++)
        free(s->notes[i]);
    for (size_t i = 0; i < RS_SUMMARY_MAX_INPUTS; i++)
        free(s->inputs[i]);
    free(s);
}

/*
 * An unsolicited RST: a TCP session made only of RSTs from one side, no SYN
 * and no payload (history "R", "r", "^r", "RR"...). Such a "session" matched
 * nothing the capture saw; one alone may just be the end of a connection
 * that began before the capture, many to one address are a finding.
 */
static int
is_unsolicited(const struct rs_record *r)
{
    if (r->proto != 6 || (r->client_pkts != 0) == (r->server_pkts != 0))
        return 0;
    if (r->client_bytes || r->server_bytes)
        return 0;
    if (!(r->first_flags & RS_TCP_RST) || (r->first_flags & RS_TCP_SYN))
        return 0;
    int any = 0;
    for (size_t i = 0; i < sizeof r->history && r->history[i]; i++) {
        char c = r->history[i];
        if (c == 'R' || c == 'r')
            any = 1;
        else if (c != '^')
            return 0;
    }
    return any;
}

static void
add_host(struct capmap *m, size_t *with_resets, const struct rs_addr *a, uint16_t port,
         const struct rs_record *r, int reset, unsigned char *scratch)
{
    int created, evicted;
    struct host_ent *e =
        (struct host_ent *)(void *)capmap_get(m, a, port, &created, scratch, &evicted);
    if (evicted && ((struct host_ent *)(void *)scratch)->resets)
        (*with_resets)--;
    if (!e)
        return;
    e->sessions++;
    if (reset) {
        if (e->resets++ == 0)
            (*with_resets)++;
        if (r->end_reason == RS_END_RST_CLIENT)
            e->rst_c++;
        else
            e->rst_s++;
    }
}

static void
add_unsolicited(struct rs_summary *s, const struct rs_record *r)
{
    int from_client = r->client_pkts != 0;
    const struct rs_addr *src = from_client ? &r->client : &r->server;
    const struct rs_addr *dst = from_client ? &r->server : &r->client;
    uint64_t pk = r->client_pkts + r->server_pkts;
    int ack = (r->first_flags & RS_TCP_ACK) != 0;
    s->uns.sessions++;
    s->uns.rsts += pk;
    if (ack)
        s->uns.rst_acks += pk;

    int created, evicted;
    struct victim_ent *v = (struct victim_ent *)(void *)capmap_get(&s->victims, dst, 0, &created,
                                                                   s->scratch, &evicted);
    if (!v)
        return;
    if (created) {
        v->first_ts = r->ts;
        v->last_ts = r->end_ts;
    }
    v->sessions++;
    v->rsts += pk;
    if (r->ts < v->first_ts)
        v->first_ts = r->ts;
    if (r->end_ts > v->last_ts)
        v->last_ts = r->end_ts;
    uint64_t h = addr_hash(s->victims.seed ^ UINT64_C(0x5851f42d4c957f2d), src, 0);
    distinct_add(&v->src, h);
    if (ack) {
        v->rst_acks += pk;
        distinct_add(&v->ack_src, h);
    }
}

void
rs_summary_add(struct rs_summary *s, const struct rs_record *r)
{
    struct rs_summary_totals *t = &s->tot;
    t->records++;
    if ((unsigned)r->end_reason < RS_END__COUNT)
        t->by_end[r->end_reason]++;
    t->by_proto[r->proto == 6                       ? 0
                : r->proto == 17                    ? 1
                : (r->proto == 1 || r->proto == 58) ? 2
                                                    : 3]++;
    if (t->records == 1 || r->ts < t->first_ts)
        t->first_ts = r->ts;
    if (t->records == 1 || r->end_ts > t->last_ts)
        t->last_ts = r->end_ts;

    int reset = r->end_reason == RS_END_RST_CLIENT || r->end_reason == RS_END_RST_SERVER;
    if (reset) {
        t->resets++;
        timeline_add(&s->tl, r->end_ts);
    } else if (r->rst_flags & RS_RSTF_OUT_OF_WINDOW) {
        t->rst_out_of_window++;
    }

    int other = 0;
    size_t alen = strnlen(r->app, sizeof r->app);
    struct name_ent *ne =
        alen ? names_get(&s->apps, r->app, alen, &other) : names_get(&s->apps, "(none)", 6, &other);
    ne->sessions++;
    ne->resets += (uint64_t)reset;
    size_t clen = strnlen(r->rst_cause, sizeof r->rst_cause);
    if (clen) {
        ne = names_get(&s->causes, r->rst_cause, clen, &other);
        ne->sessions++;
        ne->resets += (uint64_t)reset;
        ne->by_client += r->end_reason == RS_END_RST_CLIENT;
        ne->by_server += r->end_reason == RS_END_RST_SERVER;
    }
    size_t plen = strnlen(r->action, sizeof r->action);
    if (plen) { /* --policy */
        ne = names_get(&s->actions, r->action, plen, &other);
        ne->sessions++;
        ne->resets += (uint64_t)reset;
        size_t rlen = strnlen(r->rule, sizeof r->rule);
        ne = rlen ? names_get(&s->rules, r->rule, rlen, &other)
                  : names_get(&s->rules, "(no rule)", 9, &other);
        ne->sessions++;
        ne->resets += (uint64_t)reset;
    }
    if (other)
        t->names_other++;

    if (r->proto != 6)
        return;
    if (is_unsolicited(r)) {
        add_unsolicited(s, r);
        return;
    }
    add_host(&s->servers, &s->servers_with_resets, &r->server, r->server_port, r, reset,
             s->scratch);
    add_host(&s->clients, &s->clients_with_resets, &r->client, 0, r, reset, s->scratch);
}

void
rs_summary_on_record(const struct rs_record *rec, void *user)
{
    rs_summary_add(user, rec);
}

void
rs_summary_set_engine_stats(struct rs_summary *s, const struct rs_engine_stats *st)
{
    s->tot.engine = *st;
    s->tot.have_engine = 1;
}

static int
keep_string(char **arr, size_t max, size_t *n, size_t *dropped, const char *text)
{
    if (*n >= max) {
        if (dropped)
            (*dropped)++;
        return 0;
    }
    char *c = strdup(text ? text : "");
    if (!c)
        return RS_ERR_NOMEM;
    arr[(*n)++] = c;
    return 0;
}

int
rs_summary_add_note(struct rs_summary *s, const char *note)
{
    return keep_string(s->notes, RS_SUMMARY_MAX_NOTES, &s->tot.notes, &s->tot.notes_dropped, note);
}

int
rs_summary_add_input(struct rs_summary *s, const char *path)
{
    return keep_string(s->inputs, RS_SUMMARY_MAX_INPUTS, &s->tot.inputs, NULL, path);
}

/* ---- queries ------------------------------------------------------------ */

void
rs_summary_totals(const struct rs_summary *s, struct rs_summary_totals *out)
{
    *out = s->tot;
    out->server_evictions = s->servers.evictions;
    out->client_evictions = s->clients.evictions;
    out->victim_evictions = s->victims.evictions;
}

void
rs_summary_get_config(const struct rs_summary *s, struct rs_summary_config *out)
{
    *out = s->cfg;
}

const char *
rs_summary_note(const struct rs_summary *s, size_t i)
{
    return i < s->tot.notes ? s->notes[i] : NULL;
}

const char *
rs_summary_input(const struct rs_summary *s, size_t i)
{
    return i < s->tot.inputs ? s->inputs[i] : NULL;
}

/*
 * Top-k of a stream: base[0..*k) is a binary heap holding the best `max`
 * items seen (cmp < 0: a is better), the worst at the root, so each item
 * costs O(log max) whatever --top asks for; topk_sort orders the result.
 */
typedef int (*cmp_fn)(const void *, const void *);

union topk_tmp {
    struct rs_summary_count c;
    struct rs_summary_host h;
    struct rs_summary_finding f;
};

static void
topk_swap(unsigned char *b, size_t i, size_t j, size_t size)
{
    union topk_tmp tmp;
    memcpy(&tmp, b + i * size, size);
    memcpy(b + i * size, b + j * size, size);
    memcpy(b + j * size, &tmp, size);
}

static void
topk_push(void *base, size_t *k, size_t max, size_t size, const void *item, cmp_fn cmp)
{
    unsigned char *b = base;
    if (max == 0 || size > sizeof(union topk_tmp))
        return;
    if (*k < max) {
        size_t i = (*k)++;
        memcpy(b + i * size, item, size);
        while (i > 0 && cmp(b + (i - 1) / 2 * size, b + i * size) < 0) {
            topk_swap(b, i, (i - 1) / 2, size);
            i = (i - 1) / 2;
        }
        return;
    }
    if (cmp(item, b) >= 0)
        return; /* no better than the worst kept */
    memcpy(b, item, size);
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, w = i;
        if (l < *k && cmp(b + l * size, b + w * size) > 0)
            w = l;
        if (r < *k && cmp(b + r * size, b + w * size) > 0)
            w = r;
        if (w == i)
            break;
        topk_swap(b, i, w, size);
        i = w;
    }
}

static void
topk_sort(void *base, size_t k, size_t size, cmp_fn cmp)
{
    if (k > 1)
        qsort(base, k, size, cmp);
}

static int
count_cmp(const void *a, const void *b)
{
    const struct rs_summary_count *x = a, *y = b;
    if (x->sessions != y->sessions)
        return x->sessions > y->sessions ? -1 : 1;
    return strcmp(x->name, y->name);
}

static size_t
names_list(const struct names *t, struct rs_summary_count *out, size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i <= t->cap; i++) {
        if (i == t->n && i < t->cap)
            i = t->cap; /* skip to "(other)" */
        if (i == t->cap && !t->other_used)
            break;
        const struct name_ent *e = &t->e[i];
        struct rs_summary_count c = {e->name, e->sessions, e->resets, e->by_client, e->by_server};
        topk_push(out, &k, max, sizeof *out, &c, count_cmp);
    }
    topk_sort(out, k, sizeof *out, count_cmp);
    return k;
}

size_t
rs_summary_by_app(const struct rs_summary *s, struct rs_summary_count *out, size_t max)
{
    return names_list(&s->apps, out, max);
}

size_t
rs_summary_by_cause(const struct rs_summary *s, struct rs_summary_count *out, size_t max)
{
    return names_list(&s->causes, out, max);
}

size_t
rs_summary_by_action(const struct rs_summary *s, struct rs_summary_count *out, size_t max)
{
    return names_list(&s->actions, out, max);
}

size_t
rs_summary_by_rule(const struct rs_summary *s, struct rs_summary_count *out, size_t max)
{
    return names_list(&s->rules, out, max);
}

size_t
rs_summary_action_count(const struct rs_summary *s)
{
    return s->actions.n + (size_t)s->actions.other_used;
}

size_t
rs_summary_rule_count(const struct rs_summary *s)
{
    return s->rules.n + (size_t)s->rules.other_used;
}

size_t
rs_summary_app_count(const struct rs_summary *s)
{
    return s->apps.n + (size_t)s->apps.other_used;
}

size_t
rs_summary_cause_count(const struct rs_summary *s)
{
    return s->causes.n + (size_t)s->causes.other_used;
}

static const struct {
    const char *code;
    const char *meaning;
} meanings[] = {
    {"injected_rst_race", "the claimed sender kept sending after its RST: forged by a device on "
                          "the path"},
    {"injected_rst_burst", "several RSTs one way within 1 s with different seq/ack: a middlebox "
                           "covering the window"},
    {"blind_reset_attempt", "RSTs with far-apart seq, mostly out of window, session survived: "
                            "blind guessing (RFC 5961)"},
    {"refused_closed_port", "SYN answered by RST|ACK: nothing listening on the port"},
    {"policy_reject", "refused, but TTL or timing says a firewall answered, not the server"},
    {"listen_overflow_reset", "server reset right after the handshake, no data: accept queue "
                              "full"},
    {"handshake_abandoned", "client reset after the SYN-ACK without ACKing: scanner or cancelled "
                            "connect"},
    {"bad_synack_reset", "client reset an unacceptable SYN-ACK"},
    {"half_open_recovery", "SYN on a tuple the server still held: challenge ACK, RST, new "
                           "handshake"},
    {"abort_unread_data", "closed with unread data in the receive buffer, so the kernel sent RST "
                          "(RFC 1122 4.2.2.13)"},
    {"client_abort_midtransfer", "client reset while the server was still sending: user cancel "
                                 "or client timeout"},
    {"abortive_close", "RST instead of FIN after the exchange completed (SO_LINGER 0, pools, "
                       "proxies)"},
    {"data_after_close", "data sent after the peer's FIN was answered by RST (keep-alive race)"},
    {"stale_peer_state", "RST for a connection its sender no longer knows (reboot, failover, "
                         "NAT)"},
    {"idle_timeout_middlebox", "after a long idle gap a firewall or NAT reset the session"},
    {"idle_timeout_nat", "after >= 60 s idle the next segment got a RST: the NAT mapping had "
                         "expired"},
    {"keepalive_timeout", "keepalive probes went unanswered, then the prober reset"},
    {"retransmit_giveup", "a segment retransmitted with backoff, never acknowledged, then RST"},
    {"timewait_reset", "RST within 2 MSL after a complete FIN exchange: harmless TIME-WAIT hit"},
    {"diag_payload_reset", "the RST carries diagnostic text saying why (RFC 9293)"},
    {"rst_out_of_window", "RST outside the receiver's window: ignored, the session went on"},
    {"rst_flood", "many unsolicited RSTs to one destination matching no session"},
    {"rst_backscatter", "unsolicited RST|ACKs from many hosts: the destination's address was "
                        "spoofed in a SYN flood"},
    {"unclassified", "no known pattern matched: see each session's explanation"},
};

const char *
rs_summary_cause_meaning(const char *code)
{
    for (size_t i = 0; code && i < sizeof meanings / sizeof meanings[0]; i++)
        if (strcmp(meanings[i].code, code) == 0)
            return meanings[i].meaning;
    return "";
}

static int
host_cmp(const void *a, const void *b)
{
    const struct rs_summary_host *x = a, *y = b;
    if (x->resets != y->resets)
        return x->resets > y->resets ? -1 : 1;
    /* higher rate first: x->resets/x->sessions > y->resets/y->sessions */
    double rx = (double)x->resets * (double)y->sessions;
    double ry = (double)y->resets * (double)x->sessions;
    if (rx != ry)
        return rx > ry ? -1 : 1;
    if (x->sessions != y->sessions)
        return x->sessions > y->sessions ? -1 : 1;
    int c = memcmp(&x->addr, &y->addr, sizeof x->addr);
    if (c)
        return c;
    return x->port < y->port ? -1 : x->port > y->port;
}

size_t
rs_summary_top_hosts(const struct rs_summary *s, enum rs_summary_role role,
                     struct rs_summary_host *out, size_t max)
{
    const struct capmap *m = role == RS_SUMMARY_SERVERS ? &s->servers : &s->clients;
    size_t k = 0;
    for (size_t i = 0; i < m->n; i++) {
        const struct host_ent *e = (const struct host_ent *)(const void *)ent_at(m, i);
        if (!e->resets)
            continue;
        struct rs_summary_host h = {e->h.addr, e->h.port, e->sessions,
                                    e->resets, e->rst_c,  e->rst_s};
        topk_push(out, &k, max, sizeof *out, &h, host_cmp);
    }
    topk_sort(out, k, sizeof *out, host_cmp);
    return k;
}

size_t
rs_summary_reset_host_count(const struct rs_summary *s, enum rs_summary_role role)
{
    return role == RS_SUMMARY_SERVERS ? s->servers_with_resets : s->clients_with_resets;
}

void
rs_summary_timeline(const struct rs_summary *s, struct rs_summary_timeline *out)
{
    memset(out, 0, sizeof *out);
    out->start = s->tl.start;
    out->bucket_ns = s->tl.width;
    out->n = s->tl.n;
    out->resets = s->tl.b;
    for (size_t i = 0; i < s->tl.n; i++) {
        out->total += s->tl.b[i];
        if (s->tl.b[i] > out->peak) {
            out->peak = s->tl.b[i];
            out->peak_start = s->tl.start + (rs_time_ns)i * s->tl.width;
        }
    }
}

void
rs_summary_unsolicited(const struct rs_summary *s, struct rs_summary_unsolicited *out)
{
    *out = s->uns;
    out->destinations = s->victims.n;
}

static int
finding_cmp(const void *a, const void *b)
{
    const struct rs_summary_finding *x = a, *y = b;
    if (x->rsts != y->rsts)
        return x->rsts > y->rsts ? -1 : 1;
    return memcmp(&x->victim, &y->victim, sizeof x->victim);
}

size_t
rs_summary_findings(const struct rs_summary *s, struct rs_summary_finding *out, size_t max)
{
    const struct rs_summary_config *c = &s->cfg;
    size_t k = 0;
    for (size_t i = 0; i < s->victims.n; i++) {
        const struct victim_ent *v =
            (const struct victim_ent *)(const void *)ent_at(&s->victims, i);
        struct rs_summary_finding f;
        memset(&f, 0, sizeof f);
        f.victim = v->h.addr;
        f.rsts = v->rsts;
        f.rst_acks = v->rst_acks;
        f.sources = distinct_count(&v->src, &f.sources_estimated);
        f.ack_sources = distinct_count(&v->ack_src, &f.sources_estimated);
        f.first_ts = v->first_ts;
        f.last_ts = v->last_ts;
        rs_time_ns span = rs_time_span(v->first_ts, v->last_ts);
        if (span < RS_NS_PER_SEC)
            span = RS_NS_PER_SEC;
        f.rate = (double)v->rsts / ((double)span / 1e9);
        if (f.ack_sources >= c->backscatter_min_sources)
            f.code = "rst_backscatter";
        else if (f.rsts >= c->flood_min_rsts ||
                 (f.rsts >= c->flood_burst_rsts && f.rate >= c->flood_min_rate))
            f.code = "rst_flood";
        else
            continue;
        topk_push(out, &k, max, sizeof *out, &f, finding_cmp);
    }
    topk_sort(out, k, sizeof *out, finding_cmp);
    return k;
}
