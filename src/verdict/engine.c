/*
 * engine.c - the pipeline: decode -> session lookup -> per-protocol state ->
 * timers -> records.
 *
 * Every IP layer of a frame is a session update (a VXLAN frame updates the
 * outer UDP session and the inner TCP one; Zeek logs both). Sessions end
 * when a timer runs out on packet time (checked lazily on the session's next
 * packet, and by the flow table's wheel for the others), when a new SYN
 * reuses the tuple, when the live-session cap forces eviction, or at the end
 * of input.
 *
 * Orientation follows Zeek: the sender of the first packet is the
 * originator, except when a TCP session is picked up without a SYN (or with
 * a SYN-ACK) from a likely server port, or a UDP one from such a port to a
 * port that is not (TCPAnalyzer/UDPAnalyzer::WantConnection).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rstscope/appid.h>
#include <rstscope/capture.h>
#include <rstscope/engine.h>
#include <rstscope/policy.h>

#include "flow/flow.h"
#include "flow/history.h"
#include "tcp/tcp.h"
#include "verdict/diagnose.h"
#include "verdict/engine_int.h"
#include "verdict/verdict.h"

/* FTP data channels expected at once (per engine: a thread's shard), and
 * how long an announcement stands (Zeek's FTP scripts schedule the data
 * analyzer for 5 minutes). */
#define FTP_EXP_MAX 64
#define FTP_EXP_NS ((rs_time_ns)300 * 1000000000)

struct rs_engine {
    struct rs_engine_config cfg;
    struct rs_decoder *dec;
    struct rs_flow_table *ft;
    rs_record_fn fn;
    void *user;
    struct rs_tcp_timing tm;
    struct rs_verdict_ctx vctx;
    struct rs_hosts *hosts;
    struct rs_diag_pool *dpool; /* rare-event facts of the diagnosis */
    struct rs_appid *appid;     /* App-ID registry and its side stores */
    rs_time_ns now;
    uint64_t index; /* the frame being fed: its position (rs_engine_set_index) */
    unsigned born;  /* sessions that frame began so far */
    /* Sessions whose timers ran out in this advance, ended together in
     * creation order (the order rs_parallel merges them in). */
    struct due_ent {
        uint64_t id; /* creation order */
        uint32_t idx;
    } * due;
    size_t ndue, capdue;
    struct rs_engine_stats st;
    /* rs_engine_lookahead: the frames ahead, by frame count, in a ring of
     * twice the distance so that the frame being fed keeps its slot while
     * the one RS_ENGINE_LOOKAHEAD ahead takes another. */
    uint64_t la_n;
    struct la_tuple {
        uint8_t valid;   /* layer's tuple (src, dst, ports, proto) and hash are set */
        uint8_t decoded; /* and layer is the whole frame decoded (rs_decode_fast) */
        uint16_t vlan;
        uint32_t hash;
        /* which frame it is: the decode is used only for this very one */
        const uint8_t *data;
        uint64_t number;
        rs_time_ns ts;
        uint32_t caplen;
        struct rs_layer layer;
    } la[2 * RS_ENGINE_LOOKAHEAD];
    const struct la_tuple *la_cur; /* the frame being fed, NULL without lookahead */
    struct rs_decoded d;           /* scratch, reused for every frame */
    /* FTP data channels announced (ftp_control), in a ring. */
    struct ftp_exp {
        struct rs_addr orig, resp;
        uint16_t port;
        rs_time_ns until;
    } exp[FTP_EXP_MAX];
    unsigned exp_next;
    rs_time_ns exp_last; /* the latest `until`: none can match from then on */
};

_Static_assert(RS_MAX_LAYERS < RS_ID_PER_FRAME, "a frame's sessions have ids of their own");

#define LA_RING ((uint64_t)2 * RS_ENGINE_LOOKAHEAD)
_Static_assert((LA_RING & (LA_RING - 1)) == 0, "the lookahead ring is a power of two");

#define SEC(x) ((rs_time_ns)((x)*1e9))

void
rs_timeouts_default(enum rs_profile p, struct rs_timeouts *t)
{
    if (p == RS_PROFILE_ZEEK) {
        t->tcp_established = SEC(300);
        t->tcp_init = SEC(5);
        t->tcp_handshake = SEC(300);
        t->tcp_half_closed = SEC(3);
        t->tcp_time_wait = SEC(5);
        t->udp = SEC(60);
        t->icmp = SEC(60);
        t->other = SEC(60);
    } else {
        t->tcp_established = SEC(3600);
        t->tcp_init = SEC(5);
        t->tcp_handshake = SEC(10);
        t->tcp_half_closed = SEC(120);
        t->tcp_time_wait = SEC(15);
        t->udp = SEC(30);
        t->icmp = SEC(6);
        t->other = SEC(30);
    }
}

int
rs_timeouts_parse(struct rs_timeouts *t, const char *spec, struct rs_error *err)
{
    static const struct {
        const char *name;
        size_t off;
    } names[] = {
        {"tcp", offsetof(struct rs_timeouts, tcp_established)},
        {"tcp-established", offsetof(struct rs_timeouts, tcp_established)},
        {"tcp-init", offsetof(struct rs_timeouts, tcp_init)},
        {"tcp-handshake", offsetof(struct rs_timeouts, tcp_handshake)},
        {"tcp-half-closed", offsetof(struct rs_timeouts, tcp_half_closed)},
        {"tcp-time-wait", offsetof(struct rs_timeouts, tcp_time_wait)},
        {"udp", offsetof(struct rs_timeouts, udp)},
        {"icmp", offsetof(struct rs_timeouts, icmp)},
        {"other", offsetof(struct rs_timeouts, other)},
    };
    const char *p = spec;
    while (*p) {
        const char *eq = strchr(p, '=');
        const char *end = strchr(p, ',');
        if (!end)
            end = p + strlen(p);
        if (!eq || eq > end)
            return rs_error_set(err, RS_ERR_USAGE, "--timeouts: expected NAME=SECONDS, got '%.*s'",
                                (int)(end - p), p);
        size_t nlen = (size_t)(eq - p);
        size_t i;
        for (i = 0; i < sizeof names / sizeof names[0]; i++)
            if (strlen(names[i].name) == nlen && strncmp(names[i].name, p, nlen) == 0)
                break;
        if (i == sizeof names / sizeof names[0]) {
            return rs_error_set(err, RS_ERR_USAGE,
                                "--timeouts: unknown timer '%.*s' (known: tcp, tcp-init, "
                                "tcp-handshake, tcp-half-closed, tcp-time-wait, udp, icmp, other)",
                                (int)nlen, p);
        }
        char buf[64];
        size_t vlen = (size_t)(end - eq - 1);
        if (vlen == 0 || vlen >= sizeof buf)
            return rs_error_set(err, RS_ERR_USAGE, "--timeouts: bad value for '%.*s'", (int)nlen,
                                p);
        memcpy(buf, eq + 1, vlen);
        buf[vlen] = '\0';
        char *ep;
        double v = strtod(buf, &ep);
        if (*ep || !(v >= 0) || v > 1e9) {
            return rs_error_set(err, RS_ERR_USAGE,
                                "--timeouts: '%s' is not a number of seconds for '%.*s'", buf,
                                (int)nlen, p);
        }
        *(rs_time_ns *)((char *)t + names[i].off) = SEC(v);
        p = *end ? end + 1 : end;
    }
    return 0;
}

void
rs_engine_config_default(struct rs_engine_config *cfg, enum rs_profile p)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->profile = p;
    rs_timeouts_default(p, &cfg->timeouts);
    rs_decode_config_default(&cfg->decode);
    cfg->max_sessions = RS_DEFAULT_MAX_SESSIONS;
    cfg->appid_min_pkts = 4;
    cfg->appid_min_bytes = 2000;
}

uint64_t
rs_engine_random_seed(void)
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
    return s ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ 0x5bd1e9955bd1e995ULL;
}

struct rs_engine *
rs_engine_new(const struct rs_engine_config *cfg, rs_record_fn fn, void *user, struct rs_error *err)
{
    struct rs_engine *e = calloc(1, sizeof *e);
    if (!e) {
        rs_error_set(err, RS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    e->cfg = *cfg;
    if (!e->cfg.max_sessions)
        e->cfg.max_sessions = RS_DEFAULT_MAX_SESSIONS;
    if (!e->cfg.hash_seed)
        e->cfg.hash_seed = rs_engine_random_seed();
    if (!e->cfg.appid_min_pkts)
        e->cfg.appid_min_pkts = 4;
    if (!e->cfg.appid_min_bytes)
        e->cfg.appid_min_bytes = 2000;
    /* Of the TCP options the sessions need the SYNs' window scale only. */
    e->cfg.decode.tcp_options_syn_only = 1;
    e->dec = rs_decoder_new(&e->cfg.decode);
    e->ft = rs_flow_table_new(e->cfg.max_sessions, e->cfg.hash_seed);
    e->hosts = calloc(1, sizeof *e->hosts);
    e->appid = rs_appid_new(e->cfg.max_sessions, 0);
    e->dpool = rs_diag_pool_new();
    if (!e->dec || !e->ft || !e->hosts || !e->appid || !e->dpool) {
        rs_diag_pool_free(e->dpool);
        rs_appid_free(e->appid);
        free(e->hosts);
        rs_decoder_free(e->dec);
        rs_flow_table_free(e->ft);
        free(e);
        rs_error_set(err, RS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    e->fn = fn;
    e->user = user;
    const struct rs_timeouts *to = &e->cfg.timeouts;
    /* Zeek's fixed timers (init-bare.zeek) and the configurable ones. */
    e->tm.attempt_delay = to->tcp_init;
    e->tm.syn_timeout = to->tcp_init;
    e->tm.session_timer = SEC(6);
    e->tm.linger = SEC(5);
    e->tm.close_delay = to->tcp_time_wait;
    e->tm.reset_delay = to->tcp_time_wait;
    e->tm.partial_close_delay = to->tcp_half_closed;
    e->tm.inactivity_initial = e->cfg.profile == RS_PROFILE_ZEEK ? to->udp : to->tcp_established;
    e->tm.inactivity_established = to->tcp_established;
    e->vctx.seed = e->cfg.hash_seed;
    /* A fixed seed: which addresses share a host-table slot decides some
     * diagnoses (policy_reject compares with the server's other packets),
     * and a random seed made those differ from run to run. The table is a
     * cache, so an adversary who aims collisions only hides hints. */
    e->hosts->seed = UINT64_C(0x9e3779b97f4a7c15);
    e->vctx.hosts = e->hosts;
    e->vctx.appid = e->appid;
    e->vctx.appid_min_pkts = e->cfg.appid_min_pkts;
    e->vctx.appid_min_bytes = e->cfg.appid_min_bytes;
    e->st.first_ts = INT64_MAX;
    return e;
}

void
rs_engine_free(struct rs_engine *e)
{
    if (!e)
        return;
    rs_decoder_free(e->dec);
    rs_flow_table_free(e->ft);
    free(e->hosts);
    rs_diag_pool_free(e->dpool);
    rs_appid_free(e->appid);
    free(e->due);
    free(e);
}

/* ---- ending sessions ---- */

static void
emit(struct rs_engine *e, uint32_t idx, int timed_out)
{
    struct rs_flow *f = rs_flow_at(e->ft, idx);
    struct rs_record rec;
    rs_verdict_build(&e->vctx, f, timed_out, &rec);
    if (e->cfg.policy)
        rs_policy_apply(e->cfg.policy, &rec);
    e->st.records++;
    if (e->fn)
        e->fn(&rec, e->user);
    rs_appid_release(e->appid, &f->appid);
    if (f->proto == 6) /* only a TCP session's slot has f->diag (flow.h) */
        rs_diag_release(e->dpool, f);
    rs_flow_release(e->ft, idx);
}

/* PAN-OS session timer for the session's current state (SPEC §4). */
static rs_time_ns
panos_timeout(const struct rs_engine *e, const struct rs_flow *f)
{
    const struct rs_timeouts *t = &e->cfg.timeouts;
    if (f->proto == 17)
        return t->udp;
    if (f->proto == 1 || f->proto == 58)
        return t->icmp;
    if (f->proto != 6)
        return t->other;
    const struct rs_tcp_end *o = &f->tcp[RS_ORIG], *r = &f->tcp[RS_RESP];
    if (f->rst_seen || (f->fin_sides == 3))
        return t->tcp_time_wait;
    if (f->fin_sides)
        return t->tcp_half_closed;
    if (o->state == RS_TCPS_SYN_SENT && r->state == RS_TCPS_INACTIVE)
        return t->tcp_init;
    if (r->state == RS_TCPS_ESTABLISHED && o->state == RS_TCPS_SYN_SENT)
        return t->tcp_handshake;
    if (r->state == RS_TCPS_ESTABLISHED && o->state == RS_TCPS_SYN_ACK_SENT)
        return t->tcp_handshake;
    return t->tcp_established;
}

#define DNS_SESSION_TIMEOUT SEC(10)

/* Ports on which Zeek attaches its DNS analyzer to UDP (dns/main.zeek, netbios). */
static int
zeek_dns_port(uint16_t port)
{
    return port == 53 || port == 137 || port == 5353 || port == 5355;
}

static void
compute_due(struct rs_engine *e, struct rs_flow *f)
{
    if (e->cfg.profile == RS_PROFILE_ZEEK) {
        if (f->proto == 6) {
            f->due = rs_tcp_zeek_due(f, &e->tm);
        } else {
            f->due = f->last_ts + f->inactivity;
            if (f->proto == 17 && zeek_dns_port(f->port[RS_RESP])) {
                /* Zeek's DNS analyzer expires a UDP session on its own timer
                 * (dns_session_timeout 10 s): it fires every 10 s from the
                 * start and removes the session once idle for 9 s or more. */
                rs_time_ns at = f->first_ts + DNS_SESSION_TIMEOUT;
                rs_time_ns after = f->last_ts + DNS_SESSION_TIMEOUT - SEC(1);
                if (after < f->last_pkt_ts)
                    after = f->last_pkt_ts;
                if (at < after)
                    at += ((after - at + DNS_SESSION_TIMEOUT - 1) / DNS_SESSION_TIMEOUT) *
                          DNS_SESSION_TIMEOUT;
                if (at < f->due)
                    f->due = at;
            }
        }
    } else {
        f->due = f->last_pkt_ts + panos_timeout(e, f);
    }
}

/* A session whose timer ran out: taken off the wheel now, ended by
 * end_due with the others of this advance (or here, should the list
 * not grow: then in wheel order). */
static int
on_due(void *ctx, uint32_t idx)
{
    struct rs_engine *e = ctx;
    struct rs_flow *f = rs_flow_at(e->ft, idx);
    if (f->due > e->now)
        return 0;
    if (e->ndue == e->capdue) {
        size_t nc = e->capdue ? e->capdue * 2 : 256;
        struct due_ent *d = realloc(e->due, nc * sizeof *d);
        if (!d) {
            emit(e, idx, 1);
            return 1;
        }
        e->due = d;
        e->capdue = nc;
    }
    e->due[e->ndue++] = (struct due_ent){f->id, idx};
    return 1;
}

static int
due_cmp(const void *va, const void *vb)
{
    const struct due_ent *a = va, *b = vb;
    return a->id < b->id ? -1 : a->id > b->id;
}

/*
 * Ends the sessions whose timers ran out in this advance in the order they
 * were created (that of their first frames, start_index), not in the
 * wheel's, which depends on when each timer was last moved: rs_parallel
 * merges its threads' records by start_index, so that the order does not
 * depend on the number of threads.
 */
#define DUE_AHEAD 4

static void
end_due(struct rs_engine *e)
{
    size_t n = e->ndue;
    if (n > 1)
        qsort(e->due, n, sizeof *e->due, due_cmp);
    /* A tick ends hundreds of sessions at a time on a busy link, each one
     * cold (it has been silent for its timer) and read nearly whole by its
     * record: loaded 4 records ahead, and the hash bucket and creation
     * list neighbours its release will write 2 ahead (finish_some does the
     * same for the end of the capture). */
    for (size_t i = 0; i < n && i < DUE_AHEAD; i++)
        rs_flow_prefetch_all(e->ft, e->due[i].idx);
    for (size_t i = 0; i < n; i++) {
        if (i + DUE_AHEAD < n)
            rs_flow_prefetch_all(e->ft, e->due[i + DUE_AHEAD].idx);
        if (i + DUE_AHEAD / 2 < n)
            rs_flow_prefetch_release(e->ft, e->due[i + DUE_AHEAD / 2].idx);
        emit(e, e->due[i].idx, 1);
    }
    e->ndue = 0;
}

/* Timers up to e->now. */
static inline void
advance_timers(struct rs_engine *e)
{
    rs_flow_advance(e->ft, e->now, on_due, e);
    if (e->ndue)
        end_due(e);
}

static void
evict_one(struct rs_engine *e)
{
    uint32_t victim = rs_flow_oldest(e->ft);
    if (victim == RS_NIL)
        return;
    rs_flow_at(e->ft, victim)->evicted = 1;
    e->st.evicted++;
    emit(e, victim, 0);
}

/* ---- orientation ---- */

/* Ports Zeek's analyzers register (likely_server_ports with the default scripts). */
static int
likely_server_port(uint16_t port, uint8_t proto)
{
    static const uint16_t tcp_ports[] = {
        21,   22,   23,   25,   53,   79,   80,   81,   88,   110,  111,  113,  135,  139,  143,
        179,  389,  443,  445,  502,  512,  513,  514,  524,  563,  585,  587,  614,  631,  636,
        989,  990,  992,  993,  995,  1080, 1433, 1883, 2049, 2811, 3128, 3268, 3306, 3389, 5222,
        5223, 5269, 5432, 6379, 6666, 6667, 6668, 6669, 8000, 8080, 8888, 20000};
    static const uint16_t udp_ports[] = {53,   67,   68,   69,   88,   111,  123,  137,  161,
                                         162,  389,  443,  500,  514,  1812, 2123, 2152, 3478,
                                         3544, 4500, 4789, 5060, 5072, 5353, 5355, 6081, 20000};
    const uint16_t *v = proto == 6 ? tcp_ports : udp_ports;
    size_t n = proto == 6 ? sizeof tcp_ports / sizeof tcp_ports[0]
                          : sizeof udp_ports / sizeof udp_ports[0];
    for (size_t i = 0; i < n; i++)
        if (v[i] == port)
            return 1;
    return 0;
}

/* Zeek's ICMP "counterpart": the type of the reply, or for one-way messages
 * the code (ICMP4_counterpart / ICMP6_counterpart). */
static uint16_t
icmp_counterpart(uint8_t type, uint8_t code, int v6)
{
    static const uint8_t v4[][2] = {{8, 0},   {0, 8},   {13, 14}, {14, 13}, {15, 16},
                                    {16, 15}, {17, 18}, {18, 17}, {10, 9},  {9, 10}};
    static const uint8_t v6p[][2] = {{128, 129}, {129, 128}, {133, 134}, {134, 133}, {135, 136},
                                     {136, 135}, {130, 131}, {131, 130}, {139, 140}, {140, 139},
                                     {144, 145}, {145, 144}, {146, 147}, {147, 146}};
    const uint8_t(*tab)[2] = v6 ? v6p : v4;
    size_t n = v6 ? sizeof v6p / sizeof v6p[0] : sizeof v4 / sizeof v4[0];
    for (size_t i = 0; i < n; i++)
        if (tab[i][0] == type)
            return tab[i][1];
    return code;
}

/* ---- FTP data channels ---- */

/* The announcement still standing of a session orig -> resp:port, or NULL.
 * Out of line: the packet path calls it only while one stands. */
static __attribute__((noinline)) struct ftp_exp *
ftp_exp_find(struct rs_engine *e, const struct rs_addr *orig, const struct rs_addr *resp,
             uint16_t port)
{
    for (unsigned k = 0; k < FTP_EXP_MAX; k++) {
        struct ftp_exp *x = &e->exp[k];
        if (x->until > e->now && x->port == port && memcmp(&x->resp, resp, sizeof *resp) == 0 &&
            memcmp(&x->orig, orig, sizeof *orig) == 0)
            return x;
    }
    return NULL;
}

/*
 * A segment of an FTP control session (rs_ftp_expect_parse says what is
 * read). The data connection is expected between the control session's
 * own two hosts, whatever address the announcement names: FTP clients
 * (curl, FileZilla, browsers) connect a 227 reply's port at the control
 * connection's server, ignoring a private address a server behind NAT
 * announces, and both connections then hash to the same shard of
 * rs_parallel. A PORT or EPRT naming another host than the client (FXP,
 * server to server) is not followed: the server connects there.
 */
static __attribute__((noinline)) void
ftp_control(struct rs_engine *e, const struct rs_flow *f, int side, const struct rs_layer *l)
{
    struct rs_ftp_expect x[4];
    size_t n = rs_ftp_expect_parse(l->payload, l->payload_caplen, side, x, 4);
    for (size_t i = 0; i < n; i++) {
        int from = x[i].by_server ? RS_RESP : RS_ORIG;
        if (x[i].by_server && memcmp(&x[i].addr, &f->addr[RS_ORIG], sizeof x[i].addr) != 0)
            continue;
        const struct rs_addr *orig = &f->addr[from], *resp = &f->addr[!from];
        /* Announced again (a retransmission): the same entry, renewed. */
        struct ftp_exp *slot = ftp_exp_find(e, orig, resp, x[i].port);
        if (!slot) {
            slot = &e->exp[e->exp_next];
            e->exp_next = (e->exp_next + 1) % FTP_EXP_MAX;
        }
        slot->orig = *orig;
        slot->resp = *resp;
        slot->port = x[i].port;
        slot->until = e->now + FTP_EXP_NS;
        if (slot->until > e->exp_last)
            e->exp_last = slot->until;
        e->st.ftp_expected++;
    }
}

/* ---- per-layer processing ---- */

static void
count_packet(struct rs_flow *f, int side, const struct rs_layer *l, uint64_t payload)
{
    f->pkts[side]++;
    f->ip_bytes[side] += l->ip_len;
    f->bytes[side] += payload;
    if (payload)
        f->payload_pkts[side]++;
}

static uint64_t
process_layer(struct rs_engine *e, const struct rs_packet *pkt, const struct rs_layer *l,
              uint64_t parent_id)
{
    uint16_t sport = l->sport, dport = l->dport;
    uint8_t proto = l->proto;
    int is_icmp = proto == 1 || proto == 58;
    if (is_icmp) {
        sport = l->u.icmp.type;
        dport = icmp_counterpart(l->u.icmp.type, l->u.icmp.code, proto == 58);
    } else if (proto != 6 && proto != 17) {
        sport = dport = 0;
    }
    int bad_csum = (l->csum & (RS_CSUM_L4_BAD)) != 0;
    /* With the PAN-OS profile a packet with a wrong checksum is dropped before
     * it can touch any session (a firewall discards it). Zeek instead looks the
     * session up first (it may even start or reuse one) and only then drops
     * the segment, leaving a 'C' in the history: the zeek profile keeps that. */
    if (bad_csum && e->cfg.profile != RS_PROFILE_ZEEK && (proto == 6 || proto == 17))
        return 0;

    /* The lookahead hashed this frame's outermost TCP/UDP tuple already. */
    const struct la_tuple *c = e->la_cur;
    uint32_t h;
    const struct rs_layer *ct = c ? &c->layer : NULL;
    if (c && c->decoded ? l == ct /* the lookahead's own decode (its outermost layer) */
                        : c && c->valid && ct->proto == proto && ct->sport == sport &&
                              ct->dport == dport && memcmp(&ct->src, &l->src, sizeof l->src) == 0 &&
                              memcmp(&ct->dst, &l->dst, sizeof l->dst) == 0)
        h = c->hash;
    else
        h = rs_flow_hash(e->ft, &l->src, sport, &l->dst, dport, proto);
    int side = RS_ORIG;
    uint32_t idx = rs_flow_find(e->ft, h, &l->src, sport, &l->dst, dport, proto, &side);
    struct rs_flow *f = NULL;
    if (idx != RS_NIL) {
        f = rs_flow_at(e->ft, idx);
        if (f->due <= e->now) {
            /* Its timer ran out before this packet: the old session ends first. */
            emit(e, idx, 1);
            idx = RS_NIL;
        } else if (proto == 6 && rs_tcp_is_reuse(f, side, &l->u.tcp)) {
            f->removed_reason = RS_END_TCP_REUSE;
            emit(e, idx, 0);
            idx = RS_NIL;
        }
    }
    if (idx == RS_NIL) {
        if (rs_flow_count(e->ft) >= e->cfg.max_sessions)
            evict_one(e);
        idx = rs_flow_alloc(e->ft, h, proto == 6);
        if (idx == RS_NIL) {
            e->st.evicted++;
            return 0;
        }
        f = rs_flow_at(e->ft, idx);
        int flip = 0;
        if (proto == 6) {
            uint16_t fl = l->u.tcp.flags;
            if (!(fl & RS_TCP_SYN) || (fl & RS_TCP_ACK)) {
                if (likely_server_port(sport, 6)) {
                    if (likely_server_port(dport, 6))
                        flip = !(fl & RS_TCP_SYN) && sport < dport;
                    else
                        flip = 1;
                }
            }
            f->first_flags = (uint8_t)fl;
            f->partial_first = !(fl & RS_TCP_SYN);
            if ((fl & RS_TCP_RST) && !(fl & RS_TCP_SYN))
                e->st.unsolicited_rst++;
        } else if (proto == 17) {
            flip = likely_server_port(sport, 17) && !likely_server_port(dport, 17);
        }
        if (flip) {
            f->addr[0] = l->dst;
            f->addr[1] = l->src;
            f->port[0] = dport;
            f->port[1] = sport;
            side = RS_RESP;
        } else {
            f->addr[0] = l->src;
            f->addr[1] = l->dst;
            f->port[0] = sport;
            f->port[1] = dport;
            side = RS_ORIG;
        }
        f->proto = proto;
        f->id = e->index * RS_ID_PER_FRAME + e->born++;
        f->first_pkt_no = pkt->number;
        f->first_ts = f->last_ts = e->now;
        f->is_active = 1;
        f->parent_id = parent_id;
        f->vlan = e->d.vlan;
        f->inner_vlan = e->d.inner_vlan;
        if (flip)
            rs_hist_add(f, '^');
        f->flipped = (uint8_t)flip;
        if (proto == 6) {
            f->inactivity = e->tm.inactivity_initial;
            if (e->cfg.profile == RS_PROFILE_ZEEK)
                f->t_expire[0] = e->now + e->tm.syn_timeout;
        } else if (proto == 17) {
            f->inactivity = e->cfg.timeouts.udp;
        } else if (is_icmp) {
            f->inactivity = e->cfg.timeouts.icmp;
        } else {
            f->inactivity = e->cfg.timeouts.other;
        }
        /* An FTP data channel if one was announced for it. */
        if (proto == 6 && e->exp_last > e->now &&
            ftp_exp_find(e, &f->addr[RS_ORIG], &f->addr[RS_RESP], f->port[RS_RESP])) {
            f->appid.app = RS_APP_FTP_DATA;
            f->appid.state = RS_APPID_DONE;
        }
        e->st.sessions++;
        size_t live = rs_flow_count(e->ft);
        if (live > e->st.peak_sessions)
            e->st.peak_sessions = live;
    }

    f->last_pkt_ts = e->now;
    if (proto == 6) {
        if (!l->l4_ok)
            return f->id;
        struct rs_tcp_result res;
        int was_flipped = f->flipped;
        rs_tcp_packet(f, side, l, e->now, pkt->number, bad_csum, &e->tm, &res);
        if (f->flipped != was_flipped)
            side = !side;
        if (res.counted) {
            count_packet(f, side, l, l->payload_len);
            uint16_t fl = l->u.tcp.flags;
            if (side == RS_ORIG && (fl & RS_TCP_ACK) && !(fl & (RS_TCP_SYN | RS_TCP_RST)) &&
                f->tcp[RS_ORIG].seen_syn && f->tcp[RS_RESP].seen_syn)
                f->hs_complete = 1;
            if (fl & RS_TCP_FIN)
                f->fin_sides |= (uint8_t)(1u << side);
            if ((fl & RS_TCP_RST) && res.rst_accept != RS_RST_OUT_OF_WINDOW) {
                f->rst_sides |= (uint8_t)(1u << side);
                if (!f->rst_seen) {
                    f->rst_seen = 1;
                    f->rst_dir = (uint8_t)side;
                    f->rst_accept = res.rst_accept;
                    f->rst_pkt_no = pkt->number;
                    f->rst_ts = e->now;
                    f->inflight[RS_ORIG] = rs_tcp_unacked(f, RS_ORIG);
                    f->inflight[RS_RESP] = rs_tcp_unacked(f, RS_RESP);
                }
            } else if (fl & RS_TCP_RST) {
                if (f->oow_rsts < UINT8_MAX)
                    f->oow_rsts++;
            }
            rs_diag_packet(f, side, l, pkt->number, e->now, res.rst_accept, e->hosts, e->dpool);
        }
    } else if (proto == 17 && bad_csum) {
        /* Zeek drops the datagram after the session lookup: only a 'C' remains
         * (core.tunnels.vxlan-inner-udp-bad-checksum: zero packets counted). */
        rs_hist_scaled(f, side, 'C', &f->udp_chk_cnt[side], &f->udp_chk_thr[side]);
    } else {
        uint64_t payload = 0;
        if (proto == 17) {
            payload = l->payload_len;
            rs_hist_check(f, side, RS_HIST_DATA, 'D');
        } else if (is_icmp) {
            payload = l->l4_len >= 8 ? l->l4_len - 8 : 0; /* after the 8-byte ICMP header */
        }
        f->last_ts = e->now;
        count_packet(f, side, l, payload);
    }
    /* App-ID: one compare once the session is identified or given up. */
    if (f->appid.state == RS_APPID_LOOKING && l->payload_caplen && (proto == 6 || proto == 17) &&
        !bad_csum)
        rs_appid_feed(e->appid, &f->appid, l, side, f->flipped, f->port);
    if (f->appid.app == RS_APP_FTP && proto == 6 && l->payload_caplen && !bad_csum)
        ftp_control(e, f, side, l);

    compute_due(e, f);
    if (!rs_flow_schedule_kept(e->ft, f))
        rs_flow_schedule(e->ft, idx);
    return f->id;
}

/* The outermost TCP/UDP tuple of a frame, for rs_engine_prefetch; 0 if none. */
static int
peek_tuple(const struct rs_packet *pkt, struct rs_addr *src, struct rs_addr *dst, uint16_t *sport,
           uint16_t *dport, uint8_t *proto)
{
    const uint8_t *d = pkt->data;
    size_t len = pkt->caplen, off = 0;
    unsigned type = 0;
    switch (pkt->linktype) {
    case RS_LINK_ETHERNET:
        off = 14;
        if (len < off)
            return 0;
        type = (unsigned)d[12] << 8 | d[13];
        while ((type == 0x8100 || type == 0x88a8) && 4 <= len - off) {
            type = (unsigned)d[off + 2] << 8 | d[off + 3];
            off += 4;
        }
        break;
    case RS_LINK_RAW:
    case RS_LINK_IPV4:
    case RS_LINK_IPV6:
        type = len ? ((d[0] >> 4) == 6 ? 0x86dd : 0x0800) : 0;
        break;
    default:
        return 0;
    }
    size_t l4;
    if (type == 0x0800) {
        if (20 > len - off || (d[off] >> 4) != 4)
            return 0;
        size_t ihl = (size_t)(d[off] & 15) * 4;
        /* Fragments other than the first carry no ports (RFC 791). */
        if (ihl < 20 || ihl > len - off || ((d[off + 6] & 0x1f) | d[off + 7]))
            return 0;
        *proto = d[off + 9];
        rs_addr_from_v4(src, d + off + 12);
        rs_addr_from_v4(dst, d + off + 16);
        l4 = off + ihl;
    } else if (type == 0x86dd) {
        if (40 > len - off || (d[off] >> 4) != 6)
            return 0;
        *proto = d[off + 6];
        memcpy(src->b, d + off + 8, 16);
        memcpy(dst->b, d + off + 24, 16);
        l4 = off + 40;
    } else {
        return 0;
    }
    if ((*proto != 6 && *proto != 17) || 4 > len - l4)
        return 0;
    *sport = (uint16_t)(d[l4] << 8 | d[l4 + 1]);
    *dport = (uint16_t)(d[l4 + 2] << 8 | d[l4 + 3]);
    return 1;
}

void
rs_engine_prefetch(struct rs_engine *e, const struct rs_packet *pkt, unsigned ahead)
{
    struct rs_addr src, dst;
    uint16_t sport, dport;
    uint8_t proto;
    if (!peek_tuple(pkt, &src, &dst, &sport, &dport, &proto))
        return;
    uint32_t h = rs_flow_hash(e->ft, &src, sport, &dst, dport, proto);
    if (ahead >= 2)
        rs_flow_prefetch_bucket(e->ft, h);
    else
        rs_flow_prefetch_flow(e->ft, h);
}

void
rs_engine_lookahead_frame(struct rs_engine *e, const struct rs_packet *nx)
{
    const unsigned far = RS_ENGINE_LOOKAHEAD, near = RS_ENGINE_LOOKAHEAD / 2;
    uint64_t n = ++e->la_n; /* the frame about to be fed */
    e->la_cur = &e->la[n % LA_RING];
    /* The far frame: decode it when it is the common frame (the decode the
     * engine then uses instead of decoding it again), hash its outermost
     * tuple, load its bucket. */
    struct la_tuple *x = &e->la[(n + far) % LA_RING];
    struct rs_layer *t = &x->layer;
    x->decoded = nx && rs_decode_fast(e->dec, nx, t, &x->vlan);
    x->valid =
        x->decoded || (nx && peek_tuple(nx, &t->src, &t->dst, &t->sport, &t->dport, &t->proto));
    if (x->decoded) {
        x->data = nx->data;
        x->number = nx->number;
        x->ts = nx->ts;
        x->caplen = nx->caplen;
    }
    if (x->valid) {
        x->hash = rs_flow_hash(e->ft, &t->src, t->sport, &t->dst, t->dport, t->proto);
        rs_flow_prefetch_bucket(e->ft, x->hash);
    }
    /* The near frame: its bucket should be in by now; load its session. */
    const struct la_tuple *y = &e->la[(n + near) % LA_RING];
    if (y->valid)
        rs_flow_prefetch_flow(e->ft, y->hash);
}

void
rs_engine_lookahead(struct rs_engine *e, struct rs_capture *cap)
{
    struct rs_packet nx;
    int ok = rs_capture_lookahead(cap, RS_ENGINE_LOOKAHEAD, &nx);
    rs_engine_lookahead_frame(e, ok ? &nx : NULL);
}

static void
feed_frame(void *self, const struct rs_packet *pkt, unsigned own, const struct rs_packet *far,
           unsigned far_own)
{
    (void)own;
    (void)far_own;
    rs_engine_lookahead_frame(self, far);
    rs_engine_packet(self, pkt);
}

uint64_t
rs_engine_feed(struct rs_engine *e, struct rs_capture *cap, const struct rs_packet *first,
               void (*tick)(void *ctx), void *ctx)
{
    return rs_feed_loop(cap, first, NULL, feed_frame, e, tick, ctx, NULL);
}

/*
 * Packet times are clamped to +-2^62 ns (146 years either side of 1970) on
 * the way in, so that timer arithmetic (time + timeout, time - time) cannot
 * overflow. Classic pcap times all lie inside; a pcapng time stamp or
 * if_tsoffset can lie anywhere in 64 bits (the fuzzer's first find).
 */
#define TS_LIMIT (INT64_C(1) << 62)

static rs_time_ns
clamp_ts(rs_time_ns t)
{
    return t > TS_LIMIT ? TS_LIMIT : t < -TS_LIMIT ? -TS_LIMIT : t;
}

void
rs_engine_set_index(struct rs_engine *e, uint64_t k)
{
    e->index = k - 1;
    e->born = 0;
}

void
rs_engine_advance(struct rs_engine *e, rs_time_ns now)
{
    now = clamp_ts(now);
    if (now > e->now)
        e->now = now;
    advance_timers(e);
}

void
rs_engine_packet(struct rs_engine *e, const struct rs_packet *pkt)
{
    e->index++;
    e->born = 0;
    e->st.packets++;
    e->st.bytes += pkt->len;
    rs_time_ns ts = clamp_ts(pkt->ts);
    if (ts < e->now)
        e->st.reordered++;
    else
        e->now = ts;
    if (e->now < e->st.first_ts)
        e->st.first_ts = e->now;
    e->st.last_ts = e->now;
    advance_timers(e);

    /* The lookahead decoded this frame already when it is the common one.
     * Only if it is this very frame: its bytes where they were, its number,
     * time and length (a frame cut on the way, or copied, or a lookahead
     * left over from a capture stopped early, is decoded here). */
    const struct la_tuple *c = e->la_cur;
    const struct rs_layer *layers = e->d.layer;
    unsigned n_layers;
    if (c && c->decoded && c->data == pkt->data && c->number == pkt->number && c->ts == pkt->ts &&
        c->caplen == pkt->caplen) {
        layers = &c->layer; /* used where it is: no copy */
        n_layers = 1;
        e->d.vlan = c->vlan;
        e->d.inner_vlan = 0;
    } else {
        enum rs_decode_status st = rs_decode(e->dec, pkt, &e->d);
        n_layers = e->d.n_layers;
        if (st == RS_DEC_BAD_IP_CHECKSUM && n_layers == 0) {
            e->la_cur = NULL;
            return;
        }
    }
    uint64_t parent = 0;
    for (unsigned i = 0; i < n_layers; i++) {
        const struct rs_layer *l = &layers[i];
        if (l->csum & RS_CSUM_IP_BAD)
            break; /* Zeek drops a packet whose IP header checksum is wrong */
        /* A fragment still held, or a layer whose transport header is cut,
         * is not a session update; its outer layers still are. */
        if (!l->l4_ok && (l->proto == 6 || l->proto == 17 || l->proto == 1 || l->proto == 58))
            break;
        /* Zeek keeps GRE and IP-in-IP tunnels out of conn.log (they are in
         * tunnel.log); a firewall logs them as sessions of their own. */
        if (e->cfg.profile == RS_PROFILE_ZEEK &&
            (l->proto == 47 || l->proto == 4 || l->proto == 41))
            continue;
        parent = process_layer(e, pkt, l, parent);
    }
    e->la_cur = NULL; /* a hint for this frame only */
}

/* Ends up to `max` open sessions, oldest first; 1 if some remain. */
static int
finish_some(struct rs_engine *e, size_t max)
{
    /* Timers that ran out by the last packet time end as aged-out. The
     * walk loads the sessions ahead of it (all of each: its record reads
     * most of it), 8 ahead, and their hash buckets 4 ahead, by then the
     * session's hash is in: tens of thousands of cold sessions end here. */
    uint32_t far = rs_flow_oldest(e->ft), near = far;
    for (int k = 0; k < 8 && far != RS_NIL; k++) {
        rs_flow_prefetch_all(e->ft, far);
        far = rs_flow_next(e->ft, far);
        if (k >= 4)
            near = rs_flow_next(e->ft, near);
    }
    for (uint32_t i = rs_flow_oldest(e->ft); i != RS_NIL; max--) {
        if (max == 0)
            return 1;
        uint32_t next = rs_flow_next(e->ft, i);
        if (far != RS_NIL) {
            rs_flow_prefetch_all(e->ft, far);
            far = rs_flow_next(e->ft, far);
        }
        if (near != RS_NIL) {
            rs_flow_prefetch_bucket(e->ft, rs_flow_at(e->ft, near)->hash);
            near = rs_flow_next(e->ft, near);
        }
        struct rs_flow *f = rs_flow_at(e->ft, i);
        emit(e, i, f->due <= e->now);
        i = next;
    }
    return 0;
}

void
rs_engine_finish(struct rs_engine *e)
{
    finish_some(e, SIZE_MAX);
}

int
rs_engine_finish_step(struct rs_engine *e, size_t max)
{
    return finish_some(e, max);
}

void
rs_engine_stats(const struct rs_engine *e, struct rs_engine_stats *out)
{
    *out = e->st;
    out->live_sessions = rs_flow_count(e->ft);
    const uint64_t *c = rs_decoder_counters(e->dec);
    for (int i = 0; i < RS_DEC__COUNT; i++)
        out->decode[i] = c[i];
    if (out->first_ts == INT64_MAX)
        out->first_ts = 0;
}
