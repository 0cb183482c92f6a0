/*
 * diagnose.c - reset diagnosis: facts per segment, rules per session.
 *
 * The rules run in SPEC §6 order and the first match wins. Forgery checks
 * come first because an injected RST can imitate any other ending:
 *   - a race: the claimed sender keeps sending at or beyond the RST's
 *     sequence number, which a real stack never does after aborting
 *     (Weaver, Sommer, Paxson, "Detecting Forged TCP Reset Packets", NDSS 2009);
 *   - a burst: several RSTs one way within a second with different
 *     sequence or acknowledgment numbers (a middlebox covering the window,
 *     e.g. offsets X, X+1460, X+4380);
 *   - blind guessing: RSTs spread far apart, mostly outside the window, and
 *     the session carries on (RFC 5961 §3).
 * Timing uses the handshake RTT measured at the capture point: SYN -> SYN-ACK
 * is the round trip to the server, SYN-ACK -> ACK the one to the client.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tcp/seq.h"
#include "tcp/tcp.h"
#include "util/fmt.h"
#include "util/hugemem.h"
#include "util/str.h"
#include "verdict/diagnose.h"

#define MS(x) ((rs_time_ns)(x)*1000000)
#define SEC(x) ((rs_time_ns)(x)*1000000000)

/* Idle gaps after which middleboxes commonly drop state. */
#define IDLE_MIDDLEBOX SEC(30)
#define IDLE_NAT SEC(60)
/* 2 * MSL with the RFC 9293 §3.4.2 MSL of two minutes. */
#define TWO_MSL SEC(240)

int
rs_hop_distance(uint8_t ttl)
{
    int init = ttl <= 32 ? 32 : ttl <= 64 ? 64 : ttl <= 128 ? 128 : 255;
    return init - ttl;
}

static uint32_t
host_slot(const struct rs_hosts *h, const struct rs_addr *a)
{
    uint64_t x = h->seed;
    for (int i = 0; i < 16; i++)
        x = (x ^ a->b[i]) * UINT64_C(0x100000001b3);
    return (uint32_t)(x >> 32) & (RS_HOSTS_SLOTS - 1);
}

/* `slot1` caches the address's slot + 1 per session side (0: not yet
 * computed), so that the hash runs once per session, not once per packet. */
static void
host_learn(struct rs_hosts *h, uint16_t *slot1, const struct rs_addr *a, uint8_t ttl,
           rs_time_ns rtt)
{
    if (!h)
        return;
    if (!*slot1)
        *slot1 = (uint16_t)(host_slot(h, a) + 1);
    struct rs_host_info *s = &h->slot[*slot1 - 1];
    if (!s->valid || memcmp(&s->addr, a, sizeof *a) != 0) {
        memset(s, 0, sizeof *s);
        s->addr = *a;
        s->valid = 1;
    }
    if (ttl)
        s->ttl = ttl;
    if (rtt > 0)
        s->rtt = rtt;
}

static const struct rs_host_info *
host_find(const struct rs_hosts *h, const struct rs_addr *a)
{
    if (!h)
        return NULL;
    const struct rs_host_info *s = &h->slot[host_slot(h, a)];
    return s->valid && memcmp(&s->addr, a, sizeof *a) == 0 ? s : NULL;
}

/* The first slabs are small (most captures need a handful of entries),
 * the rest are whole huge pages (util/hugemem.h): a busy capture needs
 * tens of thousands, a page fault per 5 with small pages. */
#define POOL_SMALL 64
#define POOL_SMALL_SLABS 2
#define POOL_HUGE (RS_HUGE_PAGE / sizeof(struct rs_diag_ext))

static size_t
pool_slab_len(size_t i)
{
    return i < POOL_SMALL_SLABS ? POOL_SMALL : POOL_HUGE;
}

struct rs_diag_pool {
    struct rs_diag_ext *free;
    struct rs_diag_ext **slabs;
    size_t n_slabs, cap_slabs;
};

struct rs_diag_pool *
rs_diag_pool_new(void)
{
    return calloc(1, sizeof(struct rs_diag_pool));
}

void
rs_diag_pool_free(struct rs_diag_pool *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_slabs; i++) {
        if (i < POOL_SMALL_SLABS)
            free(p->slabs[i]);
        else
            rs_huge_free(p->slabs[i], POOL_HUGE * sizeof(struct rs_diag_ext));
    }
    free(p->slabs);
    free(p);
}

void
rs_diag_release(struct rs_diag_pool *p, struct rs_flow *f)
{
    struct rs_diag_ext *x = f->diag.ext;
    if (!x || !p)
        return;
    x->next_free = p->free;
    p->free = x;
    f->diag.ext = NULL;
}

/* The flow's rare-event facts, allocated (zeroed) at the first need; NULL
 * when the pool cannot grow. */
static struct rs_diag_ext *
ext_get(struct rs_diag_pool *p, struct rs_diag *d)
{
    if (d->ext || !p)
        return d->ext;
    if (!p->free) {
        if (p->n_slabs == p->cap_slabs) {
            size_t nc = p->cap_slabs ? p->cap_slabs * 2 : 16;
            struct rs_diag_ext **s = realloc(p->slabs, nc * sizeof(struct rs_diag_ext *));
            if (!s)
                return NULL;
            p->slabs = s;
            p->cap_slabs = nc;
        }
        size_t n = pool_slab_len(p->n_slabs);
        struct rs_diag_ext *slab = p->n_slabs < POOL_SMALL_SLABS ? malloc(n * sizeof *slab)
                                                                 : rs_huge_alloc(n * sizeof *slab);
        if (!slab)
            return NULL;
        p->slabs[p->n_slabs++] = slab;
        for (size_t i = n; i-- > 0;) {
            slab[i].next_free = p->free;
            p->free = &slab[i];
        }
    }
    struct rs_diag_ext *x = p->free;
    p->free = x->next_free;
    memset(x, 0, sizeof *x);
    d->ext = x;
    return x;
}

void
rs_diag_packet(struct rs_flow *f, int side, const struct rs_layer *l, uint64_t pkt_no,
               rs_time_ns now, uint8_t rst_accept, struct rs_hosts *hosts,
               struct rs_diag_pool *pool)
{
    struct rs_diag *d = &f->diag;
    struct rs_diag_side *s = &d->s[side], *p = &d->s[!side];
    const struct rs_tcp_info *t = &l->u.tcp;
    uint16_t fl = t->flags;
    uint32_t len = l->payload_len;
    rs_time_ns gap = d->prev_ts ? now - d->prev_ts : 0;
    if (gap > d->max_gap)
        d->max_gap = gap;

    if ((fl & RS_TCP_SYN) && !(fl & RS_TCP_ACK) && !d->syn_ts) {
        d->syn_ts = now;
        d->syn_pkt = pkt_no;
    }
    if ((fl & RS_TCP_SYN) && (fl & RS_TCP_ACK) && !d->synack_seen) {
        d->synack_seen = 1;
        d->synack_ts = now;
        d->synack_pkt = pkt_no;
        d->synack_ack = t->ack;
    }
    if (side == RS_ORIG && (fl & RS_TCP_ACK) && !(fl & (RS_TCP_SYN | RS_TCP_RST)) &&
        d->synack_seen && !d->ack_ts)
        d->ack_ts = now;
    /* RFC 5961 §4: a SYN on a connection the responder still has open is
     * answered with a bare "challenge ACK" carrying the old numbers. */
    if (side == RS_RESP && (fl & RS_TCP_ACK) && !(fl & (RS_TCP_SYN | RS_TCP_RST | RS_TCP_FIN)) &&
        len == 0 && d->syn_ts && !d->synack_seen && !d->challenge_ack &&
        t->ack != f->tcp[RS_ORIG].isn + 1) {
        d->challenge_ack = 1;
        d->challenge_ack_no = t->ack;
        d->challenge_pkt = pkt_no;
    }

    if (fl & RS_TCP_RST) {
        if (d->rst_total < UINT16_MAX)
            d->rst_total++;
        struct rs_diag_ext *x = ext_get(pool, d);
        if (x && d->nrst < RS_DIAG_RSTS) {
            struct rs_rst_ev *ev = &x->rst[d->nrst++];
            ev->pkt = pkt_no;
            ev->ts = now;
            ev->seq = t->seq;
            ev->ack = t->ack;
            ev->flags = fl;
            ev->ip_id = l->ip_id;
            ev->win = t->window;
            ev->payload_len = len > UINT16_MAX ? UINT16_MAX : (uint16_t)len;
            ev->side = (uint8_t)side;
            ev->ttl = l->ttl;
            ev->accept = rst_accept;
            ev->gap = gap;
            if (p->last_pkt) {
                ev->trig_valid = 1;
                ev->trig_pkt = p->last_pkt;
                ev->trig_ts = p->last_ts;
                ev->trig_ack = p->last_ack;
                ev->trig_flags = p->last_flags;
                ev->trig_len = p->last_len;
                ev->trig_gap = p->last_gap;
            }
        }
        if (x && len && !d->rst_payload_len && l->payload) {
            size_t n =
                l->payload_caplen < RS_DIAG_RST_PAYLOAD ? l->payload_caplen : RS_DIAG_RST_PAYLOAD;
            memcpy(x->rst_payload, l->payload, n);
            d->rst_payload_len = (uint8_t)n;
        }
    } else {
        /* A RST's claimed sender still sending at or after the RST's sequence. */
        if (!d->race_pkt && (len > 0 || ((fl & RS_TCP_SYN) && (fl & RS_TCP_ACK)))) {
            for (uint8_t i = 0; i < d->nrst; i++) {
                const struct rs_rst_ev *r = &d->ext->rst[i];
                if (r->side == side && rs_seq_delta(t->seq, r->seq) >= 0 && r->pkt < pkt_no) {
                    d->race_pkt = pkt_no;
                    d->race_rst = i;
                    break;
                }
            }
        }
        if (!s->ttl_first) {
            s->ttl_first = s->ttl_min = s->ttl_max = l->ttl;
            s->ip_id_seq = 1;
        } else {
            if (l->ttl < s->ttl_min)
                s->ttl_min = l->ttl;
            if (l->ttl > s->ttl_max)
                s->ttl_max = l->ttl;
            uint16_t step = (uint16_t)(l->ip_id - s->ip_id_last);
            if (step == 0 || step > 64)
                s->ip_id_seq = 0;
        }
        s->ip_id_last = l->ip_id;
        if (f->oow_rsts && !f->rst_seen)
            d->survived_pkts++;
        if ((fl & RS_TCP_FIN) && !s->fin_pkt) {
            s->fin_pkt = pkt_no;
            d->sx[side].fin_ts = now;
        }
        if (len > 0 && p->fin_pkt && !d->sx[side].data_after_peer_fin)
            d->sx[side].data_after_peer_fin = pkt_no;
        if (len > 0) {
            s->data_run++;
            p->data_run = 0;
            uint32_t end = t->seq + len;
            if (!s->data_end_valid || rs_seq_delta(end, s->data_end) > 0) {
                s->data_end = end;
                s->data_end_valid = 1;
                s->rx_n = 0;
            } else if (len > 1) {
                /* the same segment again: a retransmission */
                if (s->rx_n == 0 || d->sx[side].rx_seq != t->seq) {
                    d->sx[side].rx_seq = t->seq;
                    s->rx_n = 0;
                }
                struct rs_diag_ext *x = ext_get(pool, d);
                if (x && s->rx_n < RS_DIAG_RXMT)
                    x->s[side].rx_ts[s->rx_n++] = now;
            }
        }
        /* RFC 9293 §3.8.4 keepalive: SEG.SEQ = SND.NXT - 1, zero or one byte. */
        const struct rs_tcp_end *e = &f->tcp[side];
        if (len <= 1 && !(fl & (RS_TCP_SYN | RS_TCP_FIN)) && e->state != RS_TCPS_INACTIVE &&
            t->seq == e->last_seq - 1 && d->ack_ts) {
            if (s->ka_n == 0)
                d->sx[side].ka_first_pkt = pkt_no;
            struct rs_diag_ext *x = ext_get(pool, d);
            if (x && s->ka_n < RS_DIAG_KA)
                x->s[side].ka_ts[s->ka_n++] = now;
        }
        /* Anything from this side answers the peer's probes and retransmissions. */
        p->ka_n = 0;
        if ((fl & RS_TCP_ACK) && p->rx_n && rs_seq_delta(t->ack, d->sx[!side].rx_seq) > 0)
            p->rx_n = 0;
        /* The host table learns from a session side's first non-RST packet,
         * when its TTL changes and when an RTT is measured: once or twice per
         * session, not per packet (a random access to a table the streaming
         * capture keeps evicting from the cache). */
        rs_time_ns rtt = 0;
        if (side == RS_RESP && (fl & RS_TCP_SYN) && d->syn_ts && d->synack_ts == now)
            rtt = now - d->syn_ts;
        if (hosts && (!s->host_slot1 || l->ttl != s->host_ttl || rtt > 0)) {
            s->host_ttl = l->ttl;
            host_learn(hosts, &s->host_slot1, &l->src, l->ttl, rtt);
        }
    }
    s->last_pkt = pkt_no;
    s->last_ts = now;
    s->last_ack = t->ack;
    s->last_flags = fl;
    s->last_len = len;
    s->last_gap = gap;
    d->prev_ts = now;
}

/* ---- classification ---- */

struct ctx {
    const struct rs_flow *f;
    const struct rs_diag *d;
    const struct rs_rst_ev *r; /* the deciding RST */
    int ri;                    /* its index */
    int x;                     /* its sender */
    rs_time_ns rtt_s, rtt_c;   /* round trips to the server and to the client */
    struct rs_record *rec;
    char who[8]; /* "client" / "server" */
    char peer[8];
};

static void
utc_time(rs_time_ns t, char *buf, size_t len)
{
    time_t sec = (time_t)(t / RS_NS_PER_SEC);
    struct tm tm;
    gmtime_r(&sec, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
    int ms = (int)((t % RS_NS_PER_SEC) / 1000000);
    if (ms < 0) {
        snprintf(buf + n, len - n, ".%03d", ms);
        return;
    }
    char frac[5] = {'.', (char)('0' + ms / 100), (char)('0' + ms / 10 % 10), (char)('0' + ms % 10),
                    0};
    rs_str_copy(buf + n, len - n, frac);
}

static double
secs(rs_time_ns t)
{
    return (double)t / 1e9;
}

static double
msecs(rs_time_ns t)
{
    return (double)t / 1e6;
}

#define SAY(...) rs_fmt(c->rec->explanation, sizeof c->rec->explanation, __VA_ARGS__)
#define HINT(...) rs_fmt(c->rec->hint, sizeof c->rec->hint, __VA_ARGS__)

static void
cause(struct ctx *c, const char *code, enum rs_confidence conf)
{
    rs_str_copy(c->rec->rst_cause, sizeof c->rec->rst_cause, code);
    c->rec->rst_confidence = conf;
}

static int
ttl_mismatch(const struct ctx *c, const struct rs_rst_ev *r, int *usual_hops, int *rst_hops)
{
    const struct rs_diag_side *s = &c->d->s[r->side];
    if (!s->ttl_first)
        return 0;
    int usual = rs_hop_distance(s->ttl_first);
    int got = rs_hop_distance(r->ttl);
    if (usual_hops)
        *usual_hops = usual;
    if (rst_hops)
        *rst_hops = got;
    int diff = usual > got ? usual - got : got - usual;
    return diff >= 2;
}

/* Sooner after its trigger than half the round trip through the RST's sender. */
static int
early_arrival(const struct ctx *c, const struct rs_rst_ev *r, rs_time_ns *delay, rs_time_ns *rtt)
{
    if (!r->trig_valid)
        return 0;
    rs_time_ns rt = r->side == RS_RESP ? c->rtt_s : c->rtt_c;
    if (rt < MS(1))
        return 0; /* too small to tell (same host, loopback) */
    rs_time_ns dl = r->ts - r->trig_ts;
    if (delay)
        *delay = dl;
    if (rtt)
        *rtt = rt;
    return dl >= 0 && dl * 2 < rt;
}

static int
is_ack_of(uint32_t ack, uint32_t end)
{
    return rs_seq_delta(ack, end) >= 0;
}

/*
 * The RST answers the first segment after a long silence, or both sides were
 * reset together after one: the idle rules decide those, and the endpoint
 * rules (which would otherwise read the same packets as an application
 * abort) step aside.
 */
static int
idle_answer(const struct ctx *c)
{
    const struct rs_rst_ev *r = c->r;
    if (r->trig_valid && r->trig_gap >= IDLE_MIDDLEBOX && r->ts - r->trig_ts < SEC(2))
        return 1;
    if (r->gap >= IDLE_MIDDLEBOX) {
        for (int i = 0; i < c->d->nrst; i++) {
            if (c->d->ext->rst[i].side != r->side && c->d->ext->rst[i].ts >= r->ts &&
                c->d->ext->rst[i].ts - r->ts < MS(50))
                return 1;
        }
    }
    return 0;
}

/* Both sides took part before the RST (not a lone RST of an unseen session). */
static int
exchanged(const struct ctx *c)
{
    return c->f->hs_complete || (c->d->s[0].ttl_first && c->d->s[1].ttl_first);
}

static int
rule_race(struct ctx *c)
{
    const struct rs_diag *d = c->d;
    if (!d->race_pkt)
        return 0;
    const struct rs_rst_ev *r = &d->ext->rst[d->race_rst];
    cause(c, "injected_rst_race", RS_CONF_HIGH);
    SAY("Packet %llu is a RST claiming to come from the %s (seq %u), but packet %llu from the "
        "same address came after it with seq at or beyond it: the real %s never reset, so the "
        "RST was most likely injected by a device on the path.",
        (unsigned long long)r->pkt, r->side == RS_ORIG ? "client" : "server", r->seq,
        (unsigned long long)d->race_pkt, r->side == RS_ORIG ? "client" : "server");
    HINT("Look for a firewall, IPS or censorship device between the hosts that injects resets; "
         "compare the RST's TTL and IP ID with the real sender's packets.");
    return 1;
}

static int
rule_burst(struct ctx *c)
{
    const struct rs_diag *d = c->d;
    for (int i = 0; i < d->nrst; i++) {
        int n = 1, differ = 0, last = i;
        for (int j = i + 1; j < d->nrst; j++) {
            if (d->ext->rst[j].side != d->ext->rst[i].side ||
                d->ext->rst[j].ts - d->ext->rst[i].ts > SEC(1))
                continue;
            /* A stack answers each late segment with its own RST; a burst comes
             * unprompted: no new segment from the peer in between. */
            if (d->ext->rst[j].trig_pkt != d->ext->rst[i].trig_pkt)
                continue;
            n++;
            last = j;
            if (d->ext->rst[j].seq != d->ext->rst[i].seq ||
                d->ext->rst[j].ack != d->ext->rst[i].ack)
                differ = 1;
        }
        uint32_t spread = 0;
        for (int j = i + 1; j <= last; j++) {
            int32_t dd = rs_seq_delta(d->ext->rst[j].seq, d->ext->rst[i].seq);
            uint32_t ad = dd < 0 ? (uint32_t) - (int64_t)dd : (uint32_t)dd;
            if (ad > spread)
                spread = ad;
        }
        /* Window-covering offsets are small; far-flung ones are blind guessing. */
        if (n >= 2 && differ && spread < (1u << 20)) {
            const struct rs_rst_ev *a = &d->ext->rst[i], *b = &d->ext->rst[last];
            cause(c, "injected_rst_burst", n >= 3 ? RS_CONF_HIGH : RS_CONF_MEDIUM);
            SAY("%d RSTs from the %s side within %.3f s (packets %llu to %llu) carry different "
                "sequence numbers (%u to %u, offsets up to %d): a real stack sends one; a device "
                "on the path covering the receive window sends several.",
                n, a->side == RS_ORIG ? "client" : "server", secs(b->ts - a->ts),
                (unsigned long long)a->pkt, (unsigned long long)b->pkt, a->seq, b->seq,
                rs_seq_delta(b->seq, a->seq));
            HINT("Resets injected by an IPS/firewall or a censor; check the devices on the path "
                 "and their logs for this flow.");
            return 1;
        }
    }
    return 0;
}

static int
rule_blind(struct ctx *c)
{
    const struct rs_diag *d = c->d;
    if (d->rst_total < 3)
        return 0;
    int oow = 0;
    uint32_t lo = d->ext->rst[0].seq, hi = d->ext->rst[0].seq;
    for (int i = 0; i < d->nrst; i++) {
        if (d->ext->rst[i].accept == RS_RST_OUT_OF_WINDOW)
            oow++;
        if (rs_seq_before(d->ext->rst[i].seq, lo))
            lo = d->ext->rst[i].seq;
        if (rs_seq_after(d->ext->rst[i].seq, hi))
            hi = d->ext->rst[i].seq;
    }
    if (oow * 2 <= d->nrst || hi - lo < 65536u)
        return 0;
    if (c->f->rst_seen && !d->survived_pkts)
        return 0;
    cause(c, "blind_reset_attempt", RS_CONF_MEDIUM);
    SAY("%u RSTs hit this session with sequence numbers spread over %u (most outside the "
        "receiver's window, first in packet %llu), and the session carried on: someone was "
        "guessing sequence numbers to tear it down (RFC 5961).",
        (unsigned)d->rst_total, hi - lo, (unsigned long long)d->ext->rst[0].pkt);
    HINT("Make sure both stacks implement RFC 5961 challenge ACKs; find the source of the "
         "spoofed RSTs (check TTLs and ingress filtering).");
    return 1;
}

static int
rule_refused(struct ctx *c, const struct rs_hosts *hosts)
{
    const struct rs_diag *d = c->d;
    const struct rs_rst_ev *r = c->r;
    const struct rs_flow *f = c->f;
    if (c->x != RS_RESP || d->synack_seen || !d->syn_ts || !(r->flags & RS_TCP_ACK))
        return 0;
    if (r->ack != f->tcp[RS_ORIG].isn + 1)
        return 0;
    /* policy_reject: the reset does not look like the server's own. */
    const struct rs_host_info *h = host_find(hosts, &f->addr[RS_RESP]);
    rs_time_ns delay = r->trig_valid ? r->ts - r->trig_ts : 0;
    if (h && h->ttl) {
        int usual = rs_hop_distance(h->ttl), got = rs_hop_distance(r->ttl);
        int diff = usual > got ? usual - got : got - usual;
        if (diff >= 2) {
            cause(c, "policy_reject", RS_CONF_MEDIUM);
            c->rec->rst_flags |= RS_RSTF_TTL_MISMATCH;
            SAY("Packet %llu rejected the SYN of packet %llu with RST|ACK, but its TTL puts it "
                "%d hops away while the server's other packets come from %d hops: a firewall "
                "or policy device answered for the server.",
                (unsigned long long)r->pkt, (unsigned long long)d->syn_pkt, got, usual);
            HINT("Check firewall rules (reject/reset actions) between the client and port %u.",
                 f->port[RS_RESP]);
            return 1;
        }
        if (h->rtt >= MS(1) && delay * 2 < h->rtt) {
            cause(c, "policy_reject", RS_CONF_MEDIUM);
            c->rec->rst_flags |= RS_RSTF_EARLY_ARRIVAL;
            SAY("Packet %llu rejected the SYN of packet %llu after %.3f ms, faster than half the "
                "%.3f ms round trip to the server: a device closer than the server answered.",
                (unsigned long long)r->pkt, (unsigned long long)d->syn_pkt, msecs(delay),
                msecs(h->rtt));
            HINT("Check firewall rules (reject/reset actions) between the client and port %u.",
                 f->port[RS_RESP]);
            return 1;
        }
    }
    cause(c, "refused_closed_port", r->seq == 0 ? RS_CONF_HIGH : RS_CONF_MEDIUM);
    SAY("The SYN (packet %llu) was answered by RST|ACK (packet %llu, seq %u, ack %u = ISN+1) "
        "after %.3f ms with no SYN-ACK: nothing listens on port %u, or the host refused it.",
        (unsigned long long)d->syn_pkt, (unsigned long long)r->pkt, r->seq, r->ack, msecs(delay),
        f->port[RS_RESP]);
    HINT("Check that the service runs and listens on port %u on the server (ss -ltn), and the "
         "address the client uses.",
         f->port[RS_RESP]);
    return 1;
}

static int
rule_listen_overflow(struct ctx *c)
{
    const struct rs_diag *d = c->d;
    const struct rs_rst_ev *r = c->r;
    if (c->x != RS_RESP || !c->f->hs_complete || !d->ack_ts)
        return 0;
    if (c->f->payload_pkts[0] || c->f->payload_pkts[1])
        return 0;
    rs_time_ns rtt = c->rtt_s + c->rtt_c;
    rs_time_ns delay = r->ts - d->ack_ts;
    if (delay < 0 || delay > (rtt > MS(1) ? rtt : MS(1)))
        return 0;
    cause(c, "listen_overflow_reset", RS_CONF_MEDIUM);
    SAY("The handshake completed (ACK in a packet at %.6f s) and the server reset %.3f ms later "
        "(packet %llu) before any data, within one %.3f ms round trip: typical of a full accept "
        "queue with tcp_abort_on_overflow, or an application that closes at once.",
        secs(d->ack_ts), msecs(delay), (unsigned long long)r->pkt, msecs(rtt));
    HINT("Check the server's listen backlog and accept rate (ss -ltn Recv-Q/Send-Q, "
         "ListenOverflows in nstat).");
    return 1;
}

static int
rule_abandoned(struct ctx *c)
{
    const struct rs_diag *d = c->d;
    const struct rs_rst_ev *r = c->r;
    if (c->x != RS_ORIG || !d->synack_seen || d->ack_ts || c->f->payload_pkts[RS_ORIG])
        return 0;
    if (d->synack_ack != c->f->tcp[RS_ORIG].isn + 1)
        return 0;
    cause(c, "handshake_abandoned", RS_CONF_HIGH);
    SAY("The server answered with SYN-ACK (packet %llu) but the client never completed the "
        "handshake and reset it in packet %llu, %.3f ms later: a port scanner (SYN scan) or a "
        "cancelled connect.",
        (unsigned long long)d->synack_pkt, (unsigned long long)r->pkt, msecs(r->ts - d->synack_ts));
    HINT("If this is not a scan, check the client for connect timeouts shorter than the RTT or "
         "an application that cancels connections.");
    return 1;
}

static int
rule_bad_synack(struct ctx *c)
{
    const struct rs_diag *d = c->d;
    const struct rs_rst_ev *r = c->r;
    if (c->x != RS_ORIG || !d->synack_seen || d->synack_ack == c->f->tcp[RS_ORIG].isn + 1)
        return 0;
    if (r->seq != d->synack_ack)
        return 0;
    cause(c, "bad_synack_reset", RS_CONF_HIGH);
    SAY("The SYN-ACK in packet %llu acknowledged %u, not the client's ISN+1 (%u), so the client "
        "rejected it with a RST (packet %llu, seq %u) as RFC 9293 §3.10.7.3 requires.",
        (unsigned long long)d->synack_pkt, d->synack_ack, c->f->tcp[RS_ORIG].isn + 1,
        (unsigned long long)r->pkt, r->seq);
    HINT("A SYN-ACK for an older connection attempt, a NAT or load balancer mixing up "
         "connections, or a spoofed SYN-ACK.");
    return 1;
}

static int
rule_half_open(struct ctx *c)
{
    const struct rs_diag *d = c->d;
    const struct rs_rst_ev *r = c->r;
    if (c->x != RS_ORIG || !d->challenge_ack || r->seq != d->challenge_ack_no)
        return 0;
    cause(c, "half_open_recovery", RS_CONF_HIGH);
    SAY("The server still had an old connection on this tuple: it answered the SYN with a "
        "challenge ACK (packet %llu, ack %u) and the client reset that state with packet %llu "
        "(seq %u) so the next SYN can start afresh (RFC 5961 §4, RFC 9293 §3.10.7.4).",
        (unsigned long long)d->challenge_pkt, d->challenge_ack_no, (unsigned long long)r->pkt,
        r->seq);
    HINT("The client lost its side of an earlier connection (restart, NAT rebinding); the "
         "recovery is normal, but frequent cases point at client restarts or NAT timeouts.");
    return 1;
}

static int
sent_fin(const struct ctx *c, int side)
{
    return c->d->s[side].fin_pkt != 0 && c->d->s[side].fin_pkt < c->r->pkt;
}

static int
rule_unread(struct ctx *c)
{
    const struct rs_diag_side *x = &c->d->s[c->x], *p = &c->d->s[!c->x];
    const struct rs_tcp_end *xe = &c->f->tcp[c->x], *pe = &c->f->tcp[!c->x];
    if (sent_fin(c, c->x) || !p->data_end_valid || !pe->data_pkts || idle_answer(c))
        return 0;
    /* The peer's last data came after anything X sent, and X acknowledged it.
     * A server that wrote something and closed at once (its data still
     * unacknowledged) did not read the request either: a banner or an error
     * message sent without consuming the input. */
    enum rs_confidence conf = RS_CONF_HIGH;
    if (xe->data_pkts && c->x == RS_ORIG)
        return 0; /* a client that asked and got its answer: see abortive_close */
    if (xe->data_pkts && xe->last_data_pkt > pe->last_data_pkt) {
        if (!c->rec->inflight_server_bytes)
            return 0;
        conf = RS_CONF_MEDIUM;
    }
    uint32_t acked = x->last_ack;
    if (!is_ack_of(acked, p->data_end) && !is_ack_of(c->r->ack, p->data_end))
        return 0;
    cause(c, "abort_unread_data", conf);
    SAY("The %s's data (last in packet %llu) was acknowledged but never answered, and the %s "
        "reset the connection without a FIN in packet %llu: it closed the socket with unread "
        "data in its receive buffer (or aborted with SO_LINGER 0), which makes the kernel send "
        "RST instead of FIN (RFC 1122 4.2.2.13, RFC 2525 2.17).",
        c->peer, (unsigned long long)pe->last_data_pkt, c->who, (unsigned long long)c->r->pkt);
    char when[32];
    utc_time(c->r->ts, when, sizeof when);
    HINT("The %s application closed without reading what the %s sent (error path, timeout, or "
         "a protocol mismatch); check its logs at %s UTC.",
         c->who, c->peer, when);
    return 1;
}

static int
rule_midtransfer(struct ctx *c)
{
    const struct rs_tcp_end *se = &c->f->tcp[RS_RESP];
    if (c->x != RS_ORIG || !se->data_pkts || sent_fin(c, RS_RESP) || idle_answer(c))
        return 0;
    const struct rs_diag_side *s = &c->d->s[RS_RESP];
    rs_time_ns since = c->r->ts - se->last_data_ts;
    rs_time_ns rtt = c->rtt_s + c->rtt_c;
    rs_time_ns window = rtt * 4 > MS(200) ? rtt * 4 : MS(200);
    /* Still streaming: data in flight, or several segments of a reply just
     * before the reset. One reply segment, all acknowledged, is a finished
     * exchange (abortive_close decides those). */
    int streaming = c->rec->inflight_server_bytes > 0 || (since <= window && s->data_run >= 2);
    if (!streaming || se->last_data_pkt < c->f->tcp[RS_ORIG].last_data_pkt)
        return 0;
    cause(c, "client_abort_midtransfer",
          c->rec->inflight_server_bytes > 0 ? RS_CONF_HIGH : RS_CONF_MEDIUM);
    SAY("The server was still sending (last data in packet %llu, %.3f ms before; %llu bytes "
        "unacknowledged) when the client reset the connection in packet %llu: the user or the "
        "client application gave up on the transfer.",
        (unsigned long long)se->last_data_pkt, msecs(since),
        (unsigned long long)c->rec->inflight_server_bytes, (unsigned long long)c->r->pkt);
    HINT("Usually a user cancel, page navigation or a client timeout; if frequent, check "
         "response times and the client's timeout settings.");
    return 1;
}

static int
rule_abortive(struct ctx *c)
{
    if (sent_fin(c, c->x) || !exchanged(c) || idle_answer(c))
        return 0;
    if (c->rec->inflight_client_bytes || c->rec->inflight_server_bytes)
        return 0;
    if (c->d->s[c->x].ka_n >= 3 || c->d->s[c->x].rx_n >= 3)
        return 0; /* probes or retransmissions went unanswered first */
    cause(c, "abortive_close", RS_CONF_MEDIUM);
    SAY("All data was acknowledged and the %s closed with RST instead of FIN (packet %llu, "
        "%.3f s into the session): an abortive close (SO_LINGER 0), common in connection pools, "
        "proxies and load balancers.",
        c->who, (unsigned long long)c->r->pkt, secs(c->r->ts - c->f->first_ts));
    HINT("Usually harmless; if the %s should close gracefully, check its SO_LINGER setting or "
         "pool/idle-connection handling.",
         c->who);
    return 1;
}

static int
rule_data_after_close(struct ctx *c)
{
    const struct rs_diag_side_x *p = &c->d->sx[!c->x];
    if (!sent_fin(c, c->x) || !p->data_after_peer_fin || p->data_after_peer_fin > c->r->pkt)
        return 0;
    cause(c, "data_after_close", RS_CONF_HIGH);
    SAY("The %s sent its FIN in packet %llu, the %s still sent data in packet %llu, and the %s "
        "answered with RST (packet %llu): the socket was fully closed, so new data could not be "
        "delivered (keep-alive race or half-close misuse).",
        c->who, (unsigned long long)c->d->s[c->x].fin_pkt, c->peer,
        (unsigned long long)p->data_after_peer_fin, c->who, (unsigned long long)c->r->pkt);
    HINT("A request sent on a connection the server was closing: align client and server "
         "keep-alive timeouts (client's shorter), or retry idempotent requests.");
    return 1;
}

static int
rule_stale(struct ctx *c)
{
    const struct rs_rst_ev *r = c->r;
    if (!r->trig_valid || (r->flags & RS_TCP_ACK) || !(r->trig_flags & RS_TCP_ACK) ||
        idle_answer(c))
        return 0;
    if (r->seq != r->trig_ack || r->trig_gap >= IDLE_NAT)
        return 0;
    if (c->d->s[0].fin_pkt && c->d->s[1].fin_pkt)
        return 0; /* after a full close: timewait_reset */
    cause(c, "stale_peer_state", RS_CONF_MEDIUM);
    SAY("Packet %llu (RST without ACK, seq %u taken from the ack of packet %llu) is what a host "
        "sends for a segment of a connection it does not know: the %s lost this connection's "
        "state (restart, failover, or a NAT/load balancer mapping to another host).",
        (unsigned long long)r->pkt, r->seq, (unsigned long long)r->trig_pkt, c->who);
    HINT("Check the %s for restarts or failover at that time, and any NAT or load balancer "
         "between the hosts.",
         c->who);
    return 1;
}

static int
rule_idle(struct ctx *c)
{
    const struct rs_diag *d = c->d;
    const struct rs_rst_ev *r = c->r;
    int uh = 0, rh = 0;
    int mism = ttl_mismatch(c, r, &uh, &rh);
    /* RSTs to both sides within a few ms after a long silence. */
    if (r->gap >= IDLE_MIDDLEBOX) {
        for (int i = 0; i < d->nrst; i++) {
            if (d->ext->rst[i].side != r->side && d->ext->rst[i].ts - r->ts < MS(50) &&
                d->ext->rst[i].ts >= r->ts) {
                cause(c, "idle_timeout_middlebox", RS_CONF_HIGH);
                SAY("After %.0f s of silence, both sides received a RST within %.3f ms (packets "
                    "%llu and %llu): a firewall or NAT timed the session out and reset both "
                    "ends.",
                    secs(r->gap), msecs(d->ext->rst[i].ts - r->ts), (unsigned long long)r->pkt,
                    (unsigned long long)d->ext->rst[i].pkt);
                HINT("Raise the middlebox's TCP idle timeout above the application's idle "
                     "periods, or enable TCP keepalives shorter than it.");
                return 1;
            }
        }
    }
    if (r->trig_valid && r->trig_gap >= IDLE_MIDDLEBOX && r->trig_pkt < r->pkt) {
        if (mism) {
            cause(c, "idle_timeout_middlebox", RS_CONF_HIGH);
            c->rec->rst_flags |= RS_RSTF_TTL_MISMATCH;
            SAY("After %.0f s idle, the first packet (%llu) was answered by a RST (packet %llu) "
                "whose TTL puts it %d hops away, while the %s's packets come from %d hops: a "
                "middlebox that dropped the idle session answered.",
                secs(r->trig_gap), (unsigned long long)r->trig_pkt, (unsigned long long)r->pkt, rh,
                c->who, uh);
            HINT("Raise the middlebox's TCP idle timeout, or enable keepalives shorter than it.");
            return 1;
        }
        if (r->trig_gap >= IDLE_NAT && c->x == RS_RESP) {
            cause(c, "idle_timeout_nat", RS_CONF_MEDIUM);
            SAY("The session was idle for %.0f s; the client's next segment (packet %llu) was "
                "answered by a RST from the server address (packet %llu): a NAT or firewall "
                "had dropped the mapping.",
                secs(r->trig_gap), (unsigned long long)r->trig_pkt, (unsigned long long)r->pkt);
            HINT("Enable TCP keepalives (or application pings) shorter than the NAT/firewall "
                 "idle timeout.");
            return 1;
        }
    }
    return 0;
}

static int
rule_keepalive(struct ctx *c)
{
    const struct rs_diag_side *x = &c->d->s[c->x];
    if (x->ka_n < 3)
        return 0;
    const rs_time_ns *ka_ts = c->d->ext->s[c->x].ka_ts; /* ka_n > 0: allocated */
    rs_time_ns lo = INT64_MAX, hi = 0;
    for (int i = 1; i < x->ka_n; i++) {
        rs_time_ns iv = ka_ts[i] - ka_ts[i - 1];
        if (iv < lo)
            lo = iv;
        if (iv > hi)
            hi = iv;
    }
    if (lo <= 0 || hi > lo + lo / 2)
        return 0;
    cause(c, "keepalive_timeout", RS_CONF_HIGH);
    SAY("The %s sent %u keepalive probes %.1f s apart from packet %llu on, none answered, then "
        "reset the connection (packet %llu): the peer or the path is gone.",
        c->who, (unsigned)x->ka_n, secs(lo), (unsigned long long)c->d->sx[c->x].ka_first_pkt,
        (unsigned long long)c->r->pkt);
    HINT("The %s is unreachable (crashed, unplugged, or a middlebox drops the session); check "
         "reachability and middlebox timeouts.",
         c->peer);
    return 1;
}

static int
rule_retransmit(struct ctx *c)
{
    const struct rs_diag_side *x = &c->d->s[c->x];
    if (x->rx_n < 3)
        return 0;
    const rs_time_ns *rx_ts = c->d->ext->s[c->x].rx_ts; /* rx_n > 0: allocated */
    for (int i = 2; i < x->rx_n; i++)
        if (rx_ts[i] - rx_ts[i - 1] + MS(1) < rx_ts[i - 1] - rx_ts[i - 2])
            return 0; /* not backing off */
    cause(c, "retransmit_giveup", RS_CONF_HIGH);
    SAY("The %s retransmitted the segment at seq %u %u times with growing gaps (last %.3f s) "
        "without an acknowledgment, then gave up and reset (packet %llu).",
        c->who, c->d->sx[c->x].rx_seq, (unsigned)x->rx_n,
        secs(rx_ts[x->rx_n - 1] - rx_ts[x->rx_n - 2]), (unsigned long long)c->r->pkt);
    HINT("Packets towards the %s are lost: check the path (MTU black hole, drops, asymmetric "
         "routing) and the %s's health.",
         c->peer, c->peer);
    return 1;
}

static int
rule_timewait(struct ctx *c)
{
    const struct rs_diag *d = c->d;
    if (!d->s[0].fin_pkt || !d->s[1].fin_pkt)
        return 0;
    uint64_t last_fin = d->s[0].fin_pkt > d->s[1].fin_pkt ? d->s[0].fin_pkt : d->s[1].fin_pkt;
    rs_time_ns fin_ts = d->sx[0].fin_ts > d->sx[1].fin_ts ? d->sx[0].fin_ts : d->sx[1].fin_ts;
    if (c->r->pkt < last_fin || c->r->ts - fin_ts > TWO_MSL)
        return 0;
    cause(c, "timewait_reset", RS_CONF_MEDIUM);
    SAY("Both sides had closed with FIN (last in packet %llu); the RST in packet %llu came "
        "%.3f s later, within 2 MSL: a late or duplicate segment hit the closed connection "
        "(TIME-WAIT), harmless for the data.",
        (unsigned long long)last_fin, (unsigned long long)c->r->pkt, secs(c->r->ts - fin_ts));
    HINT("No data was lost; frequent cases point at delayed duplicates or port reuse.");
    return 1;
}

static void
escape_payload(const uint8_t *p, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < cap; i++) {
        uint8_t ch = p[i];
        if (ch >= 0x20 && ch < 0x7f && ch != '\\' && ch != '"') {
            out[o++] = (char)ch;
        } else {
            int k = snprintf(out + o, cap - o, "\\x%02x", ch);
            if (k < 0)
                break;
            o += (size_t)k;
        }
    }
    out[o < cap ? o : cap - 1] = '\0';
}

static int
rule_payload(struct ctx *c)
{
    if (!c->r->payload_len)
        return 0;
    char text[RS_DIAG_RST_PAYLOAD * 4 + 1];
    escape_payload(c->d->ext->rst_payload, c->d->rst_payload_len, text, sizeof text);
    cause(c, "diag_payload_reset", RS_CONF_HIGH);
    SAY("The RST in packet %llu carries %u bytes of diagnostic text (RFC 9293 §3.5.3): \"%s\".",
        (unsigned long long)c->r->pkt, (unsigned)c->r->payload_len, text);
    HINT("Read the text: the %s explains why it reset.", c->who);
    return 1;
}

void
rs_diag_classify(const struct rs_flow *f, const struct rs_hosts *hosts, struct rs_record *rec)
{
    const struct rs_diag *d = &f->diag;
    if (f->proto != 6 || d->nrst == 0)
        return;
    struct ctx cc, *c = &cc;
    memset(c, 0, sizeof *c);
    c->f = f;
    c->d = d;
    c->rec = rec;
    /* The deciding RST: the first one the receiver would accept. */
    c->ri = 0;
    for (int i = 0; i < d->nrst; i++) {
        if (d->ext->rst[i].accept != RS_RST_OUT_OF_WINDOW) {
            c->ri = i;
            break;
        }
    }
    c->r = &d->ext->rst[c->ri];
    c->x = c->r->side;
    rs_str_copy(c->who, sizeof c->who, c->x == RS_ORIG ? "client" : "server");
    rs_str_copy(c->peer, sizeof c->peer, c->x == RS_ORIG ? "server" : "client");
    if (d->syn_ts && d->synack_ts > d->syn_ts)
        c->rtt_s = d->synack_ts - d->syn_ts;
    if (d->synack_ts && d->ack_ts > d->synack_ts)
        c->rtt_c = d->ack_ts - d->synack_ts;

    /* flags of the deciding RST */
    int uh = 0, rh = 0;
    int sess_mism = ttl_mismatch(c, c->r, &uh, &rh);
    if (sess_mism)
        rec->rst_flags |= RS_RSTF_TTL_MISMATCH;
    rs_time_ns delay = 0, rtt = 0;
    if (early_arrival(c, c->r, &delay, &rtt))
        rec->rst_flags |= RS_RSTF_EARLY_ARRIVAL;
    const struct rs_diag_side *xs = &d->s[c->x];
    if (xs->ip_id_seq && xs->ttl_first && c->r->ip_id &&
        (uint16_t)(c->r->ip_id - xs->ip_id_last) > 1024)
        rec->rst_flags |= RS_RSTF_HDR_ANOMALY;
    for (int i = 0; i < d->nrst; i++)
        if (d->ext->rst[i].accept == RS_RST_OUT_OF_WINDOW)
            rec->rst_flags |= RS_RSTF_OUT_OF_WINDOW;
    if (c->r->payload_len)
        rec->rst_flags |= RS_RSTF_PAYLOAD;
    if (c->r->gap >= IDLE_MIDDLEBOX || (c->r->trig_valid && c->r->trig_gap >= IDLE_MIDDLEBOX))
        rec->rst_flags |= RS_RSTF_AFTER_IDLE;

    if (rule_race(c) || rule_burst(c) || rule_blind(c))
        return;
    if (!f->rst_seen) {
        cause(c, "rst_out_of_window", RS_CONF_HIGH);
        SAY("Packet %llu is a RST from the %s with seq %u, outside what the %s would accept; "
            "the receiver ignores it (RFC 5961 §3.2) and the session went on.",
            (unsigned long long)c->r->pkt, c->who, c->r->seq, c->peer);
        HINT("A stale or spoofed RST; harmless unless it repeats.");
        return;
    }
    if (rule_refused(c, hosts) || rule_listen_overflow(c) || rule_abandoned(c) ||
        rule_bad_synack(c) || rule_half_open(c) || rule_unread(c) || rule_midtransfer(c) ||
        rule_abortive(c) || rule_data_after_close(c) || rule_stale(c) || rule_idle(c) ||
        rule_keepalive(c) || rule_retransmit(c) || rule_timewait(c) || rule_payload(c))
        goto flags_note;
    cause(c, "unclassified", RS_CONF_LOW);
    if (!c->r->trig_valid && d->nrst == f->pkts[0] + f->pkts[1]) {
        SAY("Packet %llu is a RST from %s with nothing else of the session in the capture: the "
            "connection began before the capture, or the RST is unsolicited (see summary for "
            "floods and backscatter).",
            (unsigned long long)c->r->pkt, c->who);
    } else {
        SAY("Packet %llu: RST%s from the %s (seq %u, ack %u) %.3f s into the session; no known "
            "pattern matched.",
            (unsigned long long)c->r->pkt, (c->r->flags & RS_TCP_ACK) ? "|ACK" : "", c->who,
            c->r->seq, c->r->ack, secs(c->r->ts - f->first_ts));
    }
    HINT("Look at the packets around %llu.", (unsigned long long)c->r->pkt);

flags_note:
    if (sess_mism && strncmp(rec->rst_cause, "idle_timeout", 12) != 0 &&
        rec->rst_confidence != RS_CONF_LOW) {
        size_t n = strlen(rec->explanation);
        rs_fmt(rec->explanation + n, sizeof rec->explanation - n,
               " Note: the RST's TTL puts its sender %d hops away, the %s's other packets %d: "
               "it may not come from the %s.",
               rh, c->who, uh, c->who);
        rec->rst_confidence = rec->rst_confidence == RS_CONF_HIGH ? RS_CONF_MEDIUM : RS_CONF_LOW;
    }
    if ((rec->rst_flags & RS_RSTF_PAYLOAD) && strcmp(rec->rst_cause, "diag_payload_reset") != 0) {
        char text[RS_DIAG_RST_PAYLOAD * 4 + 1];
        escape_payload(d->ext->rst_payload, d->rst_payload_len, text, sizeof text);
        size_t n = strlen(rec->explanation);
        rs_fmt(rec->explanation + n, sizeof rec->explanation - n, " The RST carries text: \"%s\".",
               text);
    }
    if (rec->rst_flags & RS_RSTF_EARLY_ARRIVAL) {
        size_t n = strlen(rec->explanation);
        rs_fmt(rec->explanation + n, sizeof rec->explanation - n,
               " It arrived %.3f ms after its trigger, under half the %.3f ms round trip.",
               msecs(delay), msecs(rtt));
    }
}
