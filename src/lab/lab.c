/*
 * lab.c - rs_lab_run: capture on loopback while the scenarios run, then
 * analyse the capture and check every declared session.
 *
 * Design:
 *  - Addresses. Scenario k (its index in the table) uses 127.R.(k+1).1 as
 *    client and 127.R.(k+1).2 as server, R = 100 + the port slot below (each run its own), so
 *    each IPv4 session is known by its addresses alone and two labs running
 *    at once (parallel CI jobs) neither collide nor see each other. IPv6
 *    has only ::1 on loopback, so its scenarios are told apart by ports:
 *    server port P+k, client ports P+200+4k.., where P starts a 300-port
 *    slot below the ephemeral range, picked at random and reserved for the
 *    run (pick_slot). The capture filter covers exactly these.
 *  - Capture. A thread reads the live capture and copies every packet into
 *    memory while the main thread runs the scripts; reading concurrently is
 *    what keeps the kernel buffer from overflowing (drops are reported).
 *    To end the capture without losing packets still queued in the kernel,
 *    the main thread stamps the time and sends one last "tick" datagram
 *    (on 127.R.250.x); the thread stops once it has read a packet stamped
 *    at or after that time, i.e. after the kernel handed over everything
 *    sent before: exact, and no idle period to wait out. Should the marker
 *    never show up, the main thread stops the capture after 3 s.
 *  - Timers. Scenarios whose ending is a timer (aged-out, S0, UDP) run
 *    first; the tick is sent only once their timers have run out on packet
 *    time, so the analysis sees them expire within the capture (SPEC §3).
 *  - Analysis is the ordinary engine (panos profile, the lab's timers), so
 *    `rstscope analyze --timeouts=RS_LAB_TIMEOUTS` of the -w file gives the
 *    same labels.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <rstscope/capture.h>
#include <rstscope/engine.h>
#include <rstscope/lab.h>

#include "lab/lab_int.h"
#include "lab/scenario.h"

#define TICK_NET 250                             /* 127.R.250.x carries the end-of-capture tick */
#define TICK_TEXT "rstscope lab: end of capture" /* the tick's payload */
#define MAX_CAPTURE_BYTES (64u << 20)            /* the lab makes < 1 MB; a cap against surprises */
#define MARKER_WAIT_MS 3000
#define LAB_SNAPLEN 4096
/* Port slots: P = SLOT_FIRST + i * SLOT_SIZE, below Linux's ephemeral range (32768-). */
#define SLOT_FIRST 10000
#define SLOT_SIZE 300
#define SLOT_COUNT 73
#define SLOT_LOCK 299
_Static_assert(100 + SLOT_COUNT <= 255, "one IPv4 net 127.R per slot");
#define TIMER_MARGIN_MS 300
#define MAX_TIMER_WAIT_MS 20000

/* ---- scenario table access ---- */

size_t
rs_lab_scenario_count(void)
{
    return rs_lab_n_scns;
}

const struct rs_lab_scenario_info *
rs_lab_scenario_get(size_t i)
{
    static struct rs_lab_scenario_info info[64];
    static int init;
    if (i >= rs_lab_n_scns || i >= sizeof info / sizeof info[0])
        return NULL;
    if (!init) {
        /* Filled once from the const table; the table never changes. */
        for (size_t k = 0; k < rs_lab_n_scns && k < sizeof info / sizeof info[0]; k++) {
            info[k].name = rs_lab_scns[k].name;
            info[k].summary = rs_lab_scns[k].summary;
            info[k].family = rs_lab_scns[k].family;
            info[k].n_sessions = rs_lab_scn_n_sess(&rs_lab_scns[k]);
        }
        init = 1;
    }
    return &info[i];
}

int
rs_lab_scenario_find(const char *name)
{
    for (size_t i = 0; i < rs_lab_n_scns; i++)
        if (strcmp(rs_lab_scns[i].name, name) == 0)
            return (int)i;
    return -1;
}

static void
labels_from_def(const struct rs_lab_sess_def *d, struct rs_lab_labels *l)
{
    memset(l, 0, sizeof *l);
    snprintf(l->end_reason, sizeof l->end_reason, "%s", d->end_reason);
    snprintf(l->app, sizeof l->app, "%s", d->app);
    snprintf(l->conn_state, sizeof l->conn_state, "%s", d->conn_state);
    snprintf(l->rst_by, sizeof l->rst_by, "%s", d->rst_by);
    snprintf(l->rst_cause, sizeof l->rst_cause, "%s", d->rst_cause);
}

int
rs_lab_scenario_expect(size_t scenario, size_t i, const char **role, struct rs_lab_labels *expect)
{
    if (scenario >= rs_lab_n_scns || i >= rs_lab_scn_n_sess(&rs_lab_scns[scenario]))
        return RS_ERR_USAGE;
    const struct rs_lab_sess_def *d = &rs_lab_scns[scenario].sess[i];
    if (role)
        *role = d->role;
    if (expect)
        labels_from_def(d, expect);
    return 0;
}

static size_t
put_label(char *buf, size_t len, size_t off, const char *s)
{
    if (off >= len)
        return off;
    int n = snprintf(buf + off, len - off, "%s%s", off ? " " : "", s[0] ? s : "-");
    return n > 0 ? off + (size_t)n : off;
}

size_t
rs_lab_labels_format(const struct rs_lab_labels *l, int with_cause, char *buf, size_t len)
{
    if (len == 0)
        return 0;
    buf[0] = '\0';
    size_t off = 0;
    off = put_label(buf, len, off, l->end_reason);
    off = put_label(buf, len, off, l->app);
    off = put_label(buf, len, off, l->conn_state);
    off = put_label(buf, len, off, l->rst_by);
    if (with_cause)
        off = put_label(buf, len, off, l->rst_cause);
    return off < len ? off : len - 1;
}

void
rs_lab_report_free(struct rs_lab_report *r)
{
    if (!r)
        return;
    free(r->rows);
    free(r);
}

/* ---- the capture thread ---- */

struct cap_pkt {
    rs_time_ns ts;
    uint32_t caplen, len, linktype;
    size_t off;
};

struct capthread {
    struct rs_capture *cap;
    _Atomic int64_t marker_ts; /* realtime ns stamped before the tick; 0 until then */
    _Atomic int done;          /* the thread has finished */
    struct cap_pkt *pk;
    size_t n, n_cap;
    uint8_t *data;
    size_t dlen, dcap;
    int failed;    /* rs_capture_next returned an error */
    int truncated; /* stopped before reading the tick, or the memory cap was hit */
    int nomem;
};

static int
store(struct capthread *t, const struct rs_packet *p)
{
    if (t->n == t->n_cap) {
        size_t nc = t->n_cap ? t->n_cap * 2 : 1024;
        struct cap_pkt *np = realloc(t->pk, nc * sizeof *np);
        if (!np)
            return -1;
        t->pk = np;
        t->n_cap = nc;
    }
    if (p->caplen > t->dcap - t->dlen) {
        size_t nc = t->dcap ? t->dcap : 1u << 20;
        while (nc - t->dlen < p->caplen)
            nc *= 2;
        if (nc > MAX_CAPTURE_BYTES)
            return -1;
        uint8_t *nd = realloc(t->data, nc);
        if (!nd)
            return -1;
        t->data = nd;
        t->dcap = nc;
    }
    memcpy(t->data + t->dlen, p->data, p->caplen);
    t->pk[t->n] = (struct cap_pkt){p->ts, p->caplen, p->len, p->linktype, t->dlen};
    t->dlen += p->caplen;
    t->n++;
    return 0;
}

static void *
capture_main(void *arg)
{
    struct capthread *t = arg;
    for (;;) {
        struct rs_packet p;
        int rc = rs_capture_next(t->cap, &p);
        if (rc == RS_CAPTURE_TIMEOUT)
            continue;
        if (rc != RS_CAPTURE_PACKET) {
            t->failed = rc < 0;
            break;
        }
        if (store(t, &p) != 0) {
            t->nomem = t->truncated = 1;
            break;
        }
        /* The ring hands packets over in order: one stamped at or after the
         * marker means everything sent before it has been read. */
        int64_t m = atomic_load(&t->marker_ts);
        if (m && p.ts >= m)
            break;
    }
    atomic_store(&t->done, 1);
    return NULL;
}

/* ---- records collected from the engine ---- */

struct recs {
    struct rs_record *v;
    size_t n, cap;
    int nomem;
};

static void
collect(const struct rs_record *r, void *user)
{
    struct recs *rs = user;
    if (rs->n == rs->cap) {
        size_t nc = rs->cap ? rs->cap * 2 : 64;
        struct rs_record *nv = realloc(rs->v, nc * sizeof *nv);
        if (!nv) {
            rs->nomem = 1;
            return;
        }
        rs->v = nv;
        rs->cap = nc;
    }
    rs->v[rs->n++] = *r;
}

static int
by_id(const void *a, const void *b)
{
    const struct rs_record *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* ---- one run ---- */

struct run {
    uint8_t net;    /* R in 127.R.x.y */
    uint16_t pbase; /* P */
    struct rs_lab_ctx ctx[64];
    uint8_t sel[64];
    struct rs_timeouts to;
};

static uint32_t
random_u32(void)
{
    uint32_t v = 0;
    if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
        v = (uint32_t)rs_lab_mono_ns() ^ (uint32_t)getpid() * 2654435761u;
    return v;
}

static void
ctx_init(struct run *run, size_t k)
{
    struct rs_lab_ctx *x = &run->ctx[k];
    memset(x, 0, sizeof *x);
    x->scn = &rs_lab_scns[k];
    x->family = x->scn->family;
    if (x->family == 6) {
        snprintf(x->cli, sizeof x->cli, "::1");
        snprintf(x->srv, sizeof x->srv, "::1");
    } else {
        snprintf(x->cli, sizeof x->cli, "127.%u.%zu.1", run->net, k + 1);
        snprintf(x->srv, sizeof x->srv, "127.%u.%zu.2", run->net, k + 1);
    }
    x->sport = (uint16_t)(run->pbase + k);
    for (unsigned j = 0; j < RS_LAB_MAX_CPORTS; j++)
        x->cport[j] = (uint16_t)(run->pbase + 200 + RS_LAB_MAX_CPORTS * k + j);
    x->rng = 0x2545f491u ^ (uint32_t)(k * 0x9e3779b9u);
    for (size_t i = 0; i < RS_LAB_MAX_DEFER; i++)
        x->defer[i] = -1;
}

static rs_time_ns
timer_wait(const struct run *run, unsigned timers)
{
    rs_time_ns w = 0;
    if ((timers & RS_LAB_TMR_TCP_INIT) && run->to.tcp_init > w)
        w = run->to.tcp_init;
    if ((timers & RS_LAB_TMR_TCP_EST) && run->to.tcp_established > w)
        w = run->to.tcp_established;
    if ((timers & RS_LAB_TMR_UDP) && run->to.udp > w)
        w = run->to.udp;
    if ((timers & RS_LAB_TMR_ICMP) && run->to.icmp > w)
        w = run->to.icmp;
    return w;
}

/* The last packet of the capture: one datagram between the tick addresses. */
static void
send_tick(const struct run *run)
{
    char a[32], b[32];
    struct rs_lab_ep src, dst;
    snprintf(a, sizeof a, "127.%u.%d.1", run->net, TICK_NET);
    snprintf(b, sizeof b, "127.%u.%d.2", run->net, TICK_NET);
    if (rs_lab_ep_set(&src, a, (uint16_t)(run->pbase + 198)) != 0 ||
        rs_lab_ep_set(&dst, b, (uint16_t)(run->pbase + 199)) != 0)
        return;
    int r = rs_lab_socket(AF_INET, SOCK_DGRAM, &dst);
    int s = rs_lab_socket(AF_INET, SOCK_DGRAM, &src);
    if (s >= 0)
        (void)sendto(s, TICK_TEXT, sizeof TICK_TEXT - 1, 0, (const struct sockaddr *)&dst.ss,
                     dst.len);
    rs_lab_close(s);
    rs_lab_close(r);
}

static int
same_addr(const struct rs_addr *a, const char *lit)
{
    struct rs_addr b;
    return rs_addr_parse(&b, lit) == 0 && memcmp(a->b, b.b, sizeof b.b) == 0;
}

/* Does record r belong to scenario context x's addresses and ports? */
static int
in_scenario(const struct rs_lab_ctx *x, const struct rs_record *r)
{
    if (x->family == 4)
        return same_addr(&r->client, x->cli) || same_addr(&r->server, x->srv) ||
               same_addr(&r->client, x->srv) || same_addr(&r->server, x->cli);
    if (r->proto != 6 && r->proto != 17)
        return 0;
    if (!same_addr(&r->client, "::1") || !same_addr(&r->server, "::1"))
        return 0;
    for (unsigned j = 0; j < RS_LAB_MAX_CPORTS; j++)
        if (r->client_port == x->cport[j] || r->server_port == x->cport[j])
            return 1;
    return r->client_port == x->sport || r->server_port == x->sport;
}

static int
matches(const struct rs_lab_ctx *x, const struct rs_lab_sess_def *d, const struct rs_record *r)
{
    if (d->proto == 1 || d->proto == 58) {
        /* ICMP port unreachable, sent by the server's host to the client: Zeek
         * keys it by type (3, v6: 1) and code (3, v6: 4) as ports. */
        int v6 = x->family == 6;
        return r->proto == (v6 ? 58 : 1) && same_addr(&r->client, x->srv) &&
               same_addr(&r->server, x->cli) && r->client_port == (v6 ? 1 : 3) &&
               r->server_port == (v6 ? 4 : 3);
    }
    return r->proto == d->proto && same_addr(&r->client, x->cli) && same_addr(&r->server, x->srv) &&
           r->client_port == x->cport[d->cport] && r->server_port == x->sport;
}

static void
labels_from_record(const struct rs_record *r, struct rs_lab_labels *l)
{
    memset(l, 0, sizeof *l);
    snprintf(l->end_reason, sizeof l->end_reason, "%s", rs_end_reason_name(r->end_reason));
    snprintf(l->app, sizeof l->app, "%s", r->app);
    snprintf(l->conn_state, sizeof l->conn_state, "%s", r->conn_state);
    snprintf(l->rst_by, sizeof l->rst_by, "%s", rs_rst_by_name(r->rst_by));
    snprintf(l->rst_cause, sizeof l->rst_cause, "%s", r->rst_cause);
}

static int
labels_equal(const struct rs_lab_labels *a, const struct rs_lab_labels *b, int cause)
{
    return strcmp(a->end_reason, b->end_reason) == 0 && strcmp(a->app, b->app) == 0 &&
           strcmp(a->conn_state, b->conn_state) == 0 && strcmp(a->rst_by, b->rst_by) == 0 &&
           (!cause || strcmp(a->rst_cause, b->rst_cause) == 0);
}

static int
build_report(struct run *run, const struct rs_lab_opts *o, struct recs *recs,
             struct rs_lab_report *rep)
{
    qsort(recs->v, recs->n, sizeof recs->v[0], by_id);
    uint8_t *claimed = calloc(recs->n ? recs->n : 1, 1);
    size_t max_rows = recs->n;
    for (size_t k = 0; k < rs_lab_n_scns; k++)
        if (run->sel[k])
            max_rows += rs_lab_scn_n_sess(&rs_lab_scns[k]);
    rep->rows = calloc(max_rows ? max_rows : 1, sizeof *rep->rows);
    if (!claimed || !rep->rows) {
        free(claimed);
        return RS_ERR_NOMEM;
    }
    for (size_t k = 0; k < rs_lab_n_scns; k++) {
        if (!run->sel[k])
            continue;
        const struct rs_lab_ctx *x = &run->ctx[k];
        size_t ns = rs_lab_scn_n_sess(x->scn);
        for (size_t i = 0; i < ns; i++) {
            const struct rs_lab_sess_def *d = &x->scn->sess[i];
            struct rs_lab_row *row = &rep->rows[rep->n_rows++];
            row->scenario = x->scn->name;
            row->role = d->role;
            labels_from_def(d, &row->expected);
            snprintf(row->note, sizeof row->note, "%s", x->note);
            unsigned seen = 0;
            for (size_t j = 0; j < recs->n; j++) {
                if (!matches(x, d, &recs->v[j]))
                    continue;
                if (seen++ < d->nth)
                    continue; /* records are in creation order: skip earlier sessions */
                if (claimed[j])
                    break;
                claimed[j] = 1;
                row->found = 1;
                row->rec = recs->v[j];
                labels_from_record(&recs->v[j], &row->got);
                break;
            }
            if (!row->found && !row->note[0])
                snprintf(row->note, sizeof row->note, "no such session in the capture");
            row->ok = row->found && !x->note[0] &&
                      labels_equal(&row->expected, &row->got, o->check_cause);
        }
        /* Sessions on the scenario's addresses that nothing declared. */
        for (size_t j = 0; j < recs->n; j++) {
            if (claimed[j] || !in_scenario(x, &recs->v[j]))
                continue;
            claimed[j] = 1;
            struct rs_lab_row *row = &rep->rows[rep->n_rows++];
            row->scenario = x->scn->name;
            row->role = "unexpected";
            row->unexpected = 1;
            row->found = 1;
            row->rec = recs->v[j];
            labels_from_record(&recs->v[j], &row->got);
            char c[64], s[64];
            rs_addr_format(&recs->v[j].client, c, sizeof c);
            rs_addr_format(&recs->v[j].server, s, sizeof s);
            snprintf(row->note, sizeof row->note,
                     "an undeclared session: %s %s port %u -> %s port %u",
                     rs_proto_name(recs->v[j].proto), c, recs->v[j].client_port, s,
                     recs->v[j].server_port);
        }
    }
    for (size_t i = 0; i < rep->n_rows; i++)
        if (!rep->rows[i].ok)
            rep->n_failed++;
    free(claimed);
    return 0;
}

static int
analyse(struct run *run, const struct rs_lab_opts *o, const struct capthread *t,
        struct rs_lab_report *rep, struct rs_error *err)
{
    struct rs_engine_config cfg;
    rs_engine_config_default(&cfg, RS_PROFILE_PANOS);
    cfg.timeouts = run->to;
    struct recs recs = {0};
    struct rs_engine *e = rs_engine_new(&cfg, collect, &recs, err);
    if (!e)
        return err ? err->code : RS_ERR_NOMEM;
    for (size_t i = 0; i < t->n; i++) {
        struct rs_packet p = {t->pk[i].ts,       t->pk[i].caplen, t->pk[i].len,
                              t->pk[i].linktype, (uint64_t)i + 1, t->data + t->pk[i].off};
        rs_engine_packet(e, &p);
    }
    rs_engine_finish(e);
    rs_engine_free(e);
    int rc = recs.nomem ? RS_ERR_NOMEM : build_report(run, o, &recs, rep);
    free(recs.v);
    if (rc)
        return rs_error_set(err, rc, "out of memory");
    return 0;
}

static int
select_scenarios(struct run *run, const struct rs_lab_opts *o, struct rs_error *err)
{
    if (rs_lab_n_scns > sizeof run->sel || rs_lab_n_scns > TICK_NET - 1)
        return rs_error_set(err, RS_ERR_INTERNAL, "too many lab scenarios");
    if (!o->scenarios || o->n_scenarios == 0) {
        memset(run->sel, 1, rs_lab_n_scns);
        return 0;
    }
    for (size_t i = 0; i < o->n_scenarios; i++) {
        int k = rs_lab_scenario_find(o->scenarios[i]);
        if (k < 0) {
            return rs_error_set(err, RS_ERR_USAGE,
                                "unknown scenario '%s' (rstscope lab --list shows them)",
                                o->scenarios[i]);
        }
        run->sel[k] = 1;
    }
    return 0;
}

static unsigned
port_hi(const struct run *run)
{
    return run->pbase + 200 + RS_LAB_MAX_CPORTS * (unsigned)rs_lab_n_scns;
}

/*
 * Only this run's packets: its IPv4 net and port range (ICMP errors by the
 * UDP destination port they quote: 8 bytes of ICMP, a 20-byte IP header,
 * then the quoted UDP header), and its ports on ::1.
 */
static void
build_filter(const struct run *run, char *buf, size_t len)
{
    unsigned lo = run->pbase, hi = port_hi(run);
    snprintf(buf, len,
             "(ip and net 127.%u.0.0/16 and (portrange %u-%u or port 53 or "
             "(icmp and icmp[30:2] >= %u and icmp[30:2] <= %u))) or "
             "(ip6 and host ::1 and portrange %u-%u)",
             run->net, lo, hi, lo, hi, lo, hi);
}

/* A UDP socket bound to addr:port; -1 when the port is taken, -2 on other failures. */
static int
lock_port(const char *addr, uint16_t port)
{
    struct rs_lab_ep ep;
    if (rs_lab_ep_set(&ep, addr, port) != 0)
        return -2;
    int fd = socket(ep.ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -2;
    if (bind(fd, (const struct sockaddr *)&ep.ss, ep.len) == 0)
        return fd;
    int e = errno;
    close(fd);
    return e == EADDRINUSE ? -1 : -2;
}

/*
 * Picks R and P. P is reserved for the whole run by binding a UDP socket to
 * port P+SLOT_LOCK on ::1 (127.0.0.1 without IPv6): a second lab running at
 * the same time cannot get the same slot, so neither the IPv6 ports nor the
 * capture filters of two labs overlap.
 */
static int
pick_slot(struct run *run)
{
    for (int attempt = 0; attempt < 32; attempt++) {
        /* R follows from the slot: with an independent R, two labs at once
         * shared it one time in 128, and the "port 53" part of each one's
         * filter took in the other's DNS scenario (seen in CI). */
        uint32_t slot = random_u32() % SLOT_COUNT;
        run->net = (uint8_t)(100 + slot);
        run->pbase = (uint16_t)(SLOT_FIRST + slot * SLOT_SIZE);
        uint16_t port = (uint16_t)(run->pbase + SLOT_LOCK);
        int fd = lock_port("::1", port);
        if (fd == -2)
            fd = lock_port("127.0.0.1", port);
        if (fd >= 0)
            return fd;
        if (fd == -2)
            return -1;
    }
    return -1;
}

static int
open_capture(const struct rs_lab_opts *o, const char *filter, struct rs_capture **out,
             struct rs_error *err)
{
    const char *iface = o->iface ? o->iface : "lo";
    struct rs_capture_opts copts = {0};
    copts.filter = filter;
    copts.timeout_ms = 50;
    /* libpcap sizes each ring slot for the snapshot length, so the default
     * 256 KiB leaves a 2 MB ring with a handful of slots and bursts are
     * dropped. The lab's packets stay under 1.3 KB. */
    copts.snaplen = LAB_SNAPLEN;
    struct rs_error cerr = {0};
    struct rs_capture *c = rs_capture_open_live(iface, &copts, &cerr);
    if (!c) {
        if (cerr.code == RS_ERR_PERM) {
            return rs_error_set(err, RS_ERR_PERM,
                                "the lab captures its own traffic on %s and needs CAP_NET_RAW: "
                                "run it as root (sudo rstscope lab), or grant the capability "
                                "once: sudo setcap cap_net_raw,cap_net_admin+eip $(which "
                                "rstscope)",
                                iface);
        }
        return rs_error_set(err, cerr.code ? cerr.code : RS_ERR_INPUT, "%s", cerr.msg);
    }
    if (o->dump_path && rs_capture_dump_to(c, o->dump_path, &cerr) != 0) {
        rs_capture_close(c);
        return rs_error_set(err, cerr.code == RS_ERR_USAGE ? RS_ERR_USAGE : RS_ERR_OUTPUT, "%s: %s",
                            o->dump_path, cerr.msg);
    }
    *out = c;
    return 0;
}

/* Runs the scripts: timer-driven ones first, then the rest; returns when their timers ran out. */
static void
run_scripts(struct run *run)
{
    int64_t until = rs_lab_mono_ns();
    for (int pass = 0; pass < 2; pass++) {
        for (size_t k = 0; k < rs_lab_n_scns; k++) {
            if (!run->sel[k] || (pass == 0) != (rs_lab_scns[k].timers != 0))
                continue;
            struct rs_lab_ctx *x = &run->ctx[k];
            if (x->scn->run(x) != 0 && !x->note[0])
                snprintf(x->note, sizeof x->note, "the scenario failed");
            int64_t need = rs_lab_mono_ns() + timer_wait(run, x->scn->timers) +
                           (x->scn->timers ? TIMER_MARGIN_MS * INT64_C(1000000) : 0);
            if (need > until)
                until = need;
        }
    }
    int64_t left = until - rs_lab_mono_ns();
    if (left > 0)
        rs_lab_sleep_ms((unsigned)(left / 1000000 + 1));
}

int
rs_lab_run(const struct rs_lab_opts *opts, struct rs_lab_report **out, struct rs_error *err)
{
    struct rs_lab_opts o = opts ? *opts : (struct rs_lab_opts){0};
    *out = NULL;
    struct run *run = calloc(1, sizeof *run);
    struct rs_lab_report *rep = calloc(1, sizeof *rep);
    struct capthread t = {0};
    int rc = 0, lock_fd = -1;
    pthread_t th;
    if (!run || !rep) {
        rc = rs_error_set(err, RS_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = select_scenarios(run, &o, err)) != 0)
        goto out;
    const char *timeouts = o.timeouts ? o.timeouts : RS_LAB_TIMEOUTS;
    rs_timeouts_default(RS_PROFILE_PANOS, &run->to);
    if ((rc = rs_timeouts_parse(&run->to, timeouts, err)) != 0)
        goto out;
    snprintf(rep->timeouts, sizeof rep->timeouts, "%s", timeouts);
    for (size_t k = 0; k < rs_lab_n_scns; k++) {
        if (run->sel[k] &&
            timer_wait(run, rs_lab_scns[k].timers) > (rs_time_ns)MAX_TIMER_WAIT_MS * 1000000) {
            rc = rs_error_set(err, RS_ERR_USAGE,
                              "scenario '%s' would have to wait out a timer longer than %d s; "
                              "keep tcp, tcp-init, udp and icmp short",
                              rs_lab_scns[k].name, MAX_TIMER_WAIT_MS / 1000);
            goto out;
        }
    }
    lock_fd = pick_slot(run);
    if (lock_fd < 0) {
        rc = rs_error_set(err, RS_ERR_INTERNAL, "no free port range for the lab on loopback");
        goto out;
    }
    for (size_t k = 0; k < rs_lab_n_scns; k++) {
        if (run->sel[k]) {
            ctx_init(run, k);
            rep->n_scenarios++;
        }
    }
    build_filter(run, rep->filter, sizeof rep->filter);

    if ((rc = open_capture(&o, rep->filter, &t.cap, err)) != 0)
        goto out;
    if (pthread_create(&th, NULL, capture_main, &t) != 0) {
        rc = rs_error_set(err, RS_ERR_INTERNAL, "cannot start the capture thread");
        goto out;
    }

    int64_t t0 = rs_lab_mono_ns();
    run_scripts(run);
    rep->seconds = (double)(rs_lab_mono_ns() - t0) / 1e9;
    atomic_store(&t.marker_ts, rs_lab_real_ns());
    send_tick(run);
    for (int i = 0; i < MARKER_WAIT_MS / 10 && !atomic_load(&t.done); i++)
        rs_lab_sleep_ms(10);
    if (!atomic_load(&t.done)) {
        t.truncated = 1; /* the tick never showed up: stop reading anyway */
        rs_capture_stop(t.cap);
    }
    pthread_join(th, NULL);

    struct rs_capture_stats st;
    if (rs_capture_stats(t.cap, &st, NULL) == 0) {
        rep->dropped = st.dropped;
        rep->if_dropped = st.if_dropped;
    }
    const char *notes[4];
    size_t nn = rs_capture_damage(t.cap, notes, 4);
    char dump_note[256] = "";
    if (nn && o.dump_path) {
        for (size_t i = 0; i < nn && i < 4; i++)
            if (strstr(notes[i], o.dump_path))
                snprintf(dump_note, sizeof dump_note, "%s", notes[i]);
    }
    if (t.failed) {
        rc = rs_error_set(err, RS_ERR_INPUT, "capture failed: %s",
                          nn ? notes[nn < 4 ? nn - 1 : 3] : "unknown error");
        goto out;
    }
    rs_capture_close(t.cap); /* flushes the -w file */
    t.cap = NULL;
    if (dump_note[0]) {
        rc = rs_error_set(err, RS_ERR_OUTPUT, "%s", dump_note);
        goto out;
    }
    rep->packets = t.n;
    rep->capture_truncated = t.truncated;
    if (t.nomem) {
        rc = rs_error_set(err, RS_ERR_NOMEM, "out of memory holding the capture");
        goto out;
    }
    if ((rc = analyse(run, &o, &t, rep, err)) != 0)
        goto out;
    *out = rep;
    rep = NULL;
out:
    rs_capture_close(t.cap);
    if (run) {
        for (size_t k = 0; k < rs_lab_n_scns; k++)
            for (size_t i = 0; run->sel[k] && i < run->ctx[k].n_defer; i++)
                rs_lab_close(run->ctx[k].defer[i]);
    }
    rs_lab_close(lock_fd);
    free(t.pk);
    free(t.data);
    free(run);
    rs_lab_report_free(rep);
    return rc;
}
