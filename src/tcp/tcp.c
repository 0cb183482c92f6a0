/*
 * tcp.c - TCP per-direction state, Zeek's endpoint state machine, history,
 * content-gap accounting and RST acceptance.
 *
 * Structure (one call per segment, rs_tcp_packet):
 *   1. checksum failures only leave a 'C'/'c' (Zeek drops the segment);
 *   2. endpoint initialisation from the first segment of each side, with
 *      partial connections numbered as if a SYN had been seen;
 *   3. history letters, window tracking, FIN/RST counters, ack bookkeeping;
 *   4. the endpoint state machine (INACTIVE, SYN_SENT, SYN_ACK_SENT, PARTIAL,
 *      ESTABLISHED, CLOSED, RESET) and the close timers it arms;
 *   5. content-gap accounting: data acknowledged by the peer but never seen
 *      is `missed_bytes` (capture loss), as Zeek's reassembler reports it.
 * Relative sequence numbers are 64-bit: wraps of the 32-bit space are counted
 * (RFC 9293 §3.4; RFC 7323 §5 for why long flows wrap).
 */
#include <string.h>

#include "flow/history.h"
#include "tcp/seq.h"
#include "tcp/tcp.h"

/* Zeek treats a SYN/RST whose sequence jumps more than this as untrustworthy. */
#define TOO_LARGE_SEQ_DELTA 1048576

static inline uint64_t
full_seq(uint32_t seq, uint32_t wraps)
{
    return (uint64_t)wraps << 32 | seq;
}

static inline void
update_last(struct rs_tcp_end *e, uint32_t seq)
{
    if (seq < e->last_seq)
        e->seq_wraps++;
    e->last_seq = seq;
}

static inline void
update_ack(struct rs_tcp_end *e, uint32_t seq)
{
    if (seq < e->ack_seq)
        e->ack_wraps++;
    e->ack_seq = seq;
}

static inline void
init_seqs(struct rs_tcp_end *e, uint32_t start, uint32_t last)
{
    e->start_seq = start;
    e->ack_seq = start;
    e->last_seq = last;
}

static int
no_data_acked(const struct rs_tcp_end *e)
{
    uint64_t ack = full_seq(e->ack_seq, e->ack_wraps);
    return ack == e->start_seq || ack == (uint64_t)e->start_seq + 1;
}

uint64_t
rs_tcp_size(const struct rs_flow *f, int side)
{
    const struct rs_tcp_end *e = &f->tcp[side];
    const struct rs_tcp_end *p = &f->tcp[!side];
    /* A half-open session found and aborted: its numbers mean nothing. */
    if (e->prev_state == RS_TCPS_SYN_SENT && e->state == RS_TCPS_RESET &&
        p->state == RS_TCPS_INACTIVE && !no_data_acked(e))
        return 0;
    if (e->state == RS_TCPS_INACTIVE)
        return 0;
    uint64_t last = full_seq(e->last_seq, e->seq_wraps);
    uint64_t ack = full_seq(e->ack_seq, e->ack_wraps);
    uint64_t top = last > ack ? last : ack;
    uint64_t size = top - e->start_seq;
    if (size != 0)
        size--; /* the SYN octet (real or assumed) */
    if (e->fin_cnt > 0 && size != 0)
        size--; /* the FIN octet */
    return size;
}

uint64_t
rs_tcp_unacked(const struct rs_flow *f, int side)
{
    const struct rs_tcp_end *e = &f->tcp[side];
    if (e->state == RS_TCPS_INACTIVE)
        return 0;
    /* Data starts one past the (real or assumed) SYN octet. */
    uint32_t base = e->ack_seq;
    if (rs_seq_before(base, e->start_seq + 1))
        base = e->start_seq + 1;
    int32_t d = rs_seq_delta(e->last_seq, base);
    if (d <= 0)
        return 0;
    uint64_t n = (uint64_t)d;
    if (e->fin_cnt > 0)
        n--; /* the FIN octet, not yet acknowledged */
    return n;
}

/* Relative sequence number of `seq` (Zeek's get_relative_seq). */
static inline __attribute__((always_inline)) uint64_t
relative_seq(const struct rs_tcp_end *e, uint32_t seq, uint32_t last, uint32_t wraps,
             int *underflow)
{
    int32_t d = rs_seq_delta(seq, last);
    if (d < 0) {
        if (wraps && seq > last)
            wraps--;
    } else if (d > 0) {
        if (seq < last)
            wraps++;
    }
    if (wraps == 0) {
        int32_t rd = rs_seq_delta(seq, e->start_seq);
        if (rd < 0 && underflow)
            *underflow = 1;
        return (uint64_t)(int64_t)rd;
    }
    return full_seq(seq, wraps) - e->start_seq;
}

static void
init_endpoint(struct rs_tcp_end *e, uint16_t flags, uint32_t seq, uint32_t seq_end)
{
    int syn = (flags & RS_TCP_SYN) != 0;
    switch (e->state) {
    case RS_TCPS_INACTIVE:
        if (syn)
            init_seqs(e, seq, seq_end);
        else
            /* Picked up mid-stream: number as though a SYN had been seen. */
            init_seqs(e, seq - 1, seq);
        break;
    case RS_TCPS_SYN_SENT:
    case RS_TCPS_SYN_ACK_SENT:
        if (syn && seq != e->start_seq)
            init_seqs(e, seq, seq_end);
        break;
    case RS_TCPS_ESTABLISHED:
    case RS_TCPS_PARTIAL:
        if (syn)
            init_seqs(e, seq, seq_end);
        break;
    case RS_TCPS_RESET:
        /* A SYN after our only packet was a RST: the RST was likely forged. */
        if (syn && e->prev_state == RS_TCPS_INACTIVE)
            init_seqs(e, seq, seq_end);
        break;
    default:
        break;
    }
}

static void
update_history(struct rs_flow *f, int side, uint16_t flags, uint64_t rel_seq, uint32_t len)
{
    struct rs_tcp_end *e = &f->tcp[side];
    int syn = (flags & RS_TCP_SYN) != 0, fin = (flags & RS_TCP_FIN) != 0,
        rst = (flags & RS_TCP_RST) != 0;
    int bits = syn + fin + rst;
    if (bits > 1) {
        if (fin && rst)
            rs_hist_check(f, side, RS_HIST_FIN_RST, 'I');
        else
            rs_hist_check(f, side, RS_HIST_MULTI, 'Q');
    } else if (bits == 1) {
        if (syn) {
            char c = (flags & RS_TCP_ACK) ? 'H' : 'S';
            if (rs_hist_check(f, side, RS_HIST_SYN, c) && rel_seq != e->hist_last_syn)
                rs_hist_add(f, rs_hist_case(side, c));
            e->hist_last_syn = rel_seq;
        }
        if (fin) {
            /* A FIN's sequence number is at the end of its data. */
            if (rs_hist_check(f, side, RS_HIST_FIN, 'F') && rel_seq + len != e->hist_last_fin)
                rs_hist_add(f, rs_hist_case(side, 'F'));
            e->hist_last_fin = rel_seq + len;
        }
        if (rst) {
            if (rs_hist_check(f, side, RS_HIST_RST, 'R') && rel_seq != e->hist_last_rst)
                rs_hist_add(f, rs_hist_case(side, 'R'));
            e->hist_last_rst = rel_seq;
        }
    } else if (len) {
        rs_hist_check(f, side, RS_HIST_DATA, 'D');
    } else if (flags & RS_TCP_ACK) {
        rs_hist_check(f, side, RS_HIST_ACK, 'A');
    }
}

static void
update_window(struct rs_flow *f, int side, uint32_t raw, uint32_t seq, uint32_t ack, uint16_t flags)
{
    struct rs_tcp_end *e = &f->tcp[side];
    const struct rs_tcp_end *p = &f->tcp[!side];
    uint32_t window = raw << e->window_scale;
    e->win_raw = raw;
    /* A zero window is news unless it comes with or after a RST, or after
     * the peer's FIN (there is nothing left to receive then). */
    if (window == 0 && !(flags & RS_TCP_RST) && p->state != RS_TCPS_CLOSED &&
        e->state != RS_TCPS_RESET)
        rs_hist_scaled(f, side, 'W', &e->win0_cnt, &e->win0_thr);
    if (!(flags & (RS_TCP_SYN | RS_TCP_FIN | RS_TCP_RST)) && e->state != RS_TCPS_CLOSED &&
        e->state != RS_TCPS_RESET) {
        if (rs_seq_delta(seq, e->window_seq) >= 0 && rs_seq_delta(ack, e->window_ack_seq) >= 0) {
            e->window = window;
            e->window_ack_seq = ack;
            e->window_seq = seq;
        }
    }
}

static void
init_window(struct rs_flow *f, int side, const struct rs_tcp_info *t)
{
    struct rs_tcp_end *e = &f->tcp[side];
    struct rs_tcp_end *p = &f->tcp[!side];
    if (!t->has_wscale) {
        /* RFC 7323 §2.2: scaling applies only if both SYNs carry the option. */
        e->window_scale = 0;
        if (t->flags & RS_TCP_ACK)
            p->window_scale = 0;
    } else {
        e->window_scale = t->wscale > 14 ? 14 : t->wscale; /* RFC 7323 §2.3 */
        e->window_seq = t->seq;
        e->window_ack_seq = t->ack;
        p->window_seq = t->ack;
        p->window_ack_seq = t->seq;
    }
}

static inline int
is_handshake(uint8_t s)
{
    return s == RS_TCPS_INACTIVE || s == RS_TCPS_SYN_SENT || s == RS_TCPS_SYN_ACK_SENT;
}

static void
set_state(struct rs_flow *f, int side, uint8_t ns, const struct rs_tcp_timing *tm)
{
    struct rs_tcp_end *e = &f->tcp[side];
    if (ns == e->state)
        return;
    /* Leaving the handshake switches to the established inactivity timer. */
    if (!is_handshake(ns) && is_handshake(e->state) && is_handshake(f->tcp[!side].state))
        f->inactivity = tm->inactivity_established;
    e->prev_state = e->state;
    e->state = ns;
}

static void
cancel_timers(struct rs_flow *f)
{
    f->t_attempt = f->t_reset = f->t_partial = 0;
    f->t_expire[0] = f->t_expire[1] = f->t_expire[2] = 0;
}

static void
add_expire(struct rs_flow *f, rs_time_ns at)
{
    for (int i = 0; i < 3; i++) {
        if (f->t_expire[i] == 0) {
            f->t_expire[i] = at;
            return;
        }
    }
    f->t_expire[2] = at;
}

static void
connection_closed(struct rs_flow *f, int side, const struct rs_tcp_timing *tm)
{
    struct rs_tcp_end *e = &f->tcp[side];
    struct rs_tcp_end *p = &f->tcp[!side];
    if (e->did_close)
        return;
    e->did_close = 1;
    int complete = e->state == RS_TCPS_RESET || p->did_close || p->state == RS_TCPS_INACTIVE;
    if (complete) {
        cancel_timers(f);
        if (e->prev_state != RS_TCPS_INACTIVE || p->state != RS_TCPS_INACTIVE)
            f->is_active = 0; /* connection finished */
        f->t_delete = f->last_ts + tm->close_delay;
        if (f->t_delete == 0)
            f->t_delete = 1;
    } else if (e->prev_state == RS_TCPS_INACTIVE) {
        f->t_partial = f->last_ts + tm->partial_close_delay;
    } else {
        add_expire(f, f->last_ts + tm->session_timer);
    }
}

/* Endpoint state machine (Zeek's UpdateStateMachine and friends). */
static void
state_machine(struct rs_flow *f, int *side_io, const struct rs_tcp_info *t, uint32_t len,
              int32_t delta_last, rs_time_ns now, const struct rs_tcp_timing *tm, int *do_close)
{
    int side = *side_io;
    struct rs_tcp_end *e = &f->tcp[side];
    struct rs_tcp_end *p = &f->tcp[!side];
    uint16_t fl = t->flags;
    int syn = (fl & RS_TCP_SYN) != 0, ack = (fl & RS_TCP_ACK) != 0, fin = (fl & RS_TCP_FIN) != 0,
        rst = (fl & RS_TCP_RST) != 0;
    int is_orig = side == RS_ORIG;
    *do_close = 0;

    switch (e->state) {
    case RS_TCPS_INACTIVE:
        if (syn) {
            if (is_orig) {
                set_state(f, side, ack ? RS_TCPS_SYN_ACK_SENT : RS_TCPS_SYN_SENT, tm);
                if (tm->attempt_delay)
                    f->t_attempt = now + tm->attempt_delay;
            } else {
                if (!ack && p->state == RS_TCPS_SYN_ACK_SENT && t->seq == e->start_seq) {
                    /* SYN and SYN-ACK seen in reverse order: flip and establish. */
                    f->is_partial = 0;
                    rs_flow_flip(f);
                    /* After the flip our endpoint is the originator. */
                    e = &f->tcp[!side];
                    p = &f->tcp[side];
                    side = !side;
                    is_orig = 1;
                    set_state(f, !side, RS_TCPS_ESTABLISHED, tm);
                    f->first_packet_seen |= 1;
                    *side_io = side;
                }
                if (p->state == RS_TCPS_SYN_SENT)
                    set_state(f, !side, RS_TCPS_ESTABLISHED, tm);
                set_state(f, side, RS_TCPS_ESTABLISHED, tm);
            }
        }
        if (fin) {
            set_state(f, side, RS_TCPS_CLOSED, tm);
            *do_close = 1;
        }
        if (rst) {
            set_state(f, side, RS_TCPS_RESET, tm);
            int reject = is_orig
                             ? p->state == RS_TCPS_ESTABLISHED
                             : (p->state == RS_TCPS_SYN_SENT || p->state == RS_TCPS_SYN_ACK_SENT);
            (void)reject;
            *do_close = 1;
        }
        if (e->state == RS_TCPS_INACTIVE) {
            if (!is_orig && len == 0 && f->tcp[RS_ORIG].state == RS_TCPS_SYN_SENT) {
                /* Some stacks ack a SYN before answering it: not partial. */
            } else if (ack && p->state == RS_TCPS_ESTABLISHED) {
                /* Missed the SYN but saw the SYN-ACK: establish. */
                set_state(f, side, RS_TCPS_ESTABLISHED, tm);
                f->is_partial = 0;
                f->first_packet_seen |= (uint8_t)(is_orig ? 1 : 2);
            } else {
                set_state(f, side, RS_TCPS_PARTIAL, tm);
            }
        }
        break;

    case RS_TCPS_SYN_SENT:
    case RS_TCPS_SYN_ACK_SENT:
        if (fin) {
            set_state(f, side, RS_TCPS_CLOSED, tm);
            *do_close = 1;
        }
        if (rst) {
            set_state(f, side, RS_TCPS_RESET, tm);
            f->is_active = 0; /* ConnectionReset */
            *do_close = 1;
        }
        break;

    case RS_TCPS_ESTABLISHED:
    case RS_TCPS_PARTIAL:
        if (syn && e->state == RS_TCPS_PARTIAL && p->state == RS_TCPS_INACTIVE && !ack)
            set_state(f, side, RS_TCPS_SYN_SENT, tm);
        if (fin && !rst) {
            set_state(f, side, RS_TCPS_CLOSED, tm);
            /* FIN after the peer's FIN+RST: it was a normal close after all. */
            if (p->state == RS_TCPS_RESET && p->prev_state == RS_TCPS_CLOSED)
                set_state(f, !side, RS_TCPS_CLOSED, tm);
            *do_close = 1;
        }
        if (rst) {
            set_state(f, side, RS_TCPS_RESET, tm);
            *do_close = 1;
            if (p->state != RS_TCPS_RESET || p->prev_state != RS_TCPS_ESTABLISHED)
                f->is_active = 0;
        }
        break;

    case RS_TCPS_CLOSED:
        (void)delta_last;
        /* A RST after our FIN; if the peer closed too, the FIN exchange stands. */
        if (rst && p->state != RS_TCPS_CLOSED) {
            set_state(f, side, RS_TCPS_RESET, tm);
            if (!e->did_close)
                *do_close = 1;
            f->t_reset = now + tm->reset_delay;
        }
        break;

    case RS_TCPS_RESET:
    default:
        break;
    }
}

/* ---- content gaps (Zeek's TCP_Reassembler, reduced to bookkeeping) ---- */

static int
is_clean(const struct rs_tcp_end *a)
{
    return a->state == RS_TCPS_ESTABLISHED ||
           (a->state == RS_TCPS_CLOSED && a->prev_state == RS_TCPS_ESTABLISHED);
}

static void
gap(struct rs_flow *f, int side, uint64_t len)
{
    struct rs_tcp_end *e = &f->tcp[side];
    if (is_clean(e) && is_clean(&f->tcp[!side])) {
        rs_hist_scaled(f, side, 'G', &e->gap_cnt, &e->gap_thr);
        f->missed_bytes += len;
    }
}

static void
drop_block(struct rs_tcp_end *e, int i)
{
    for (int j = i; j + 1 < e->n_blocks; j++) {
        e->blk_lo[j] = e->blk_lo[j + 1];
        e->blk_hi[j] = e->blk_hi[j + 1];
    }
    e->n_blocks--;
}

/* Delivers blocks that now touch the reassembly point. */
static void
deliver_contiguous(struct rs_tcp_end *e)
{
    int moved = 1;
    while (moved) {
        moved = 0;
        for (int i = 0; i < e->n_blocks; i++) {
            if (e->blk_lo[i] <= e->reasm_seq) {
                if (e->blk_hi[i] > e->reasm_seq)
                    e->reasm_seq = e->blk_hi[i];
                drop_block(e, i);
                moved = 1;
                break;
            }
        }
    }
}

static void
data_sent(struct rs_tcp_end *e, uint64_t seq, uint32_t len)
{
    if (e->skip_reasm || len == 0)
        return;
    uint64_t lo = seq, hi = seq + len;
    if (e->reasm_seq == 0)
        e->reasm_seq = 1;
    if (hi <= e->reasm_seq)
        return;
    if (lo <= e->reasm_seq) {
        e->reasm_seq = hi;
        deliver_contiguous(e);
        return;
    }
    /* Above a hole: keep [lo, hi), merged with overlapping blocks. */
    for (int i = 0; i < e->n_blocks; i++) {
        if (lo <= e->blk_hi[i] && hi >= e->blk_lo[i]) {
            if (lo < e->blk_lo[i])
                e->blk_lo[i] = lo;
            if (hi > e->blk_hi[i])
                e->blk_hi[i] = hi;
            return;
        }
    }
    if (e->n_blocks == RS_REASM_BLOCKS) {
        /* Bounded: forget the highest block; its bytes count as missed if acked. */
        int hi_i = 0;
        for (int i = 1; i < e->n_blocks; i++)
            if (e->blk_lo[i] > e->blk_lo[hi_i])
                hi_i = i;
        if (e->blk_lo[hi_i] < lo)
            return;
        drop_block(e, hi_i);
    }
    e->blk_lo[e->n_blocks] = lo;
    e->blk_hi[e->n_blocks] = hi;
    e->n_blocks++;
}

static void
ack_received(struct rs_flow *f, int side, uint64_t seq)
{
    struct rs_tcp_end *e = &f->tcp[side];
    if (e->fin_cnt > 0 && seq >= e->fin_seq)
        seq = e->fin_seq - 1;
    if (seq <= e->trim_seq)
        return;
    if (e->reasm_seq == 0)
        e->reasm_seq = 1;
    if (seq > e->reasm_seq && !e->skip_reasm) {
        if (seq <= 2 && f->is_partial) {
            /* The faked SYN octet of a partial connection: not a gap. */
        } else {
            for (;;) {
                int low = -1;
                for (int i = 0; i < e->n_blocks; i++)
                    if (e->blk_lo[i] < seq && (low < 0 || e->blk_lo[i] < e->blk_lo[low]))
                        low = i;
                if (low < 0)
                    break;
                if (e->blk_lo[low] > e->reasm_seq)
                    gap(f, side, e->blk_lo[low] - e->reasm_seq);
                if (e->blk_hi[low] > e->reasm_seq)
                    e->reasm_seq = e->blk_hi[low];
                drop_block(e, low);
            }
            if (seq > e->reasm_seq)
                gap(f, side, seq - e->reasm_seq);
            if (seq > e->reasm_seq)
                e->reasm_seq = seq;
        }
    }
    e->trim_seq = seq;
}

/* ---- RST acceptance (RFC 5961 §3.2, RFC 9293 §3.10.7) ---- */

static uint8_t
rst_acceptance(const struct rs_flow *f, int side, const struct rs_tcp_info *t)
{
    const struct rs_tcp_end *snd = &f->tcp[side];
    const struct rs_tcp_end *rcv = &f->tcp[!side];
    if (rcv->state == RS_TCPS_INACTIVE)
        return RS_RST_UNKNOWN;
    if (rcv->state == RS_TCPS_SYN_SENT && snd->state == RS_TCPS_INACTIVE) {
        /* RFC 9293 §3.10.7.3: in SYN-SENT a RST is acceptable if it acks the SYN. */
        if ((t->flags & RS_TCP_ACK) && t->ack == rcv->start_seq + 1)
            return RS_RST_SYN_SENT_OK;
        return RS_RST_OUT_OF_WINDOW;
    }
    if (snd->state == RS_TCPS_INACTIVE)
        return RS_RST_UNKNOWN;
    /* RCV.NXT of the receiver: the sender's highest sequence seen (a passive
     * observer's best estimate), or what the receiver last acknowledged. */
    uint32_t rcv_nxt = snd->last_seq;
    if (t->seq == rcv_nxt || t->seq == rcv->window_ack_seq)
        return RS_RST_EXACT;
    uint32_t wnd = rcv->window ? rcv->window : (uint32_t)rcv->win_raw << rcv->window_scale;
    if (wnd == 0)
        wnd = 1;
    if (rs_seq_delta(t->seq, rcv_nxt) > 0 && rs_seq_delta(t->seq, rcv_nxt) < (int64_t)wnd)
        return RS_RST_IN_WINDOW;
    /* Data may still be in flight towards the receiver: a RST at or after
     * what it acknowledged but before the sender's highest seq is in window
     * for the receiver too. */
    if (rs_seq_between(t->seq, rcv->window_ack_seq, rcv_nxt))
        return RS_RST_IN_WINDOW;
    return RS_RST_OUT_OF_WINDOW;
}

void
rs_tcp_packet(struct rs_flow *f, int side, const struct rs_layer *l, rs_time_ns now,
              uint64_t pkt_no, int bad_csum, const struct rs_tcp_timing *tm,
              struct rs_tcp_result *res)
{
    const struct rs_tcp_info *t = &l->u.tcp;
    struct rs_tcp_end *e = &f->tcp[side];
    uint16_t fl = t->flags;
    int syn = (fl & RS_TCP_SYN) != 0, fin = (fl & RS_TCP_FIN) != 0, rst = (fl & RS_TCP_RST) != 0,
        ack = (fl & RS_TCP_ACK) != 0;
    uint32_t len = l->payload_len;

    res->counted = 0;
    res->rst_accept = 0;
    if (bad_csum) {
        rs_hist_scaled(f, side, 'C', &e->chk_cnt, &e->chk_thr);
        return;
    }

    /* Zeek's SetPartialStatus. */
    if (side == RS_ORIG) {
        if (!(f->first_packet_seen & 1))
            f->is_partial = !syn || ack;
    } else if (!(f->first_packet_seen & 2) && !f->is_partial) {
        f->is_partial = !syn;
    }

    /* RFC 9293 §3.4: SYN and FIN occupy one octet; a RST's data is not stream data. */
    uint32_t seg_len = len + (uint32_t)syn + (uint32_t)fin;
    if (rst)
        seg_len -= len;
    uint32_t seq_end = t->seq + seg_len;

    init_endpoint(e, fl, t->seq, seq_end);
    if (syn && !e->seen_syn) {
        e->seen_syn = 1;
        e->isn = t->seq;
    }

    int underflow = 0;
    uint64_t rel_seq = relative_seq(e, t->seq, e->last_seq, e->seq_wraps, &underflow);

    if (rst)
        res->rst_accept = rst_acceptance(f, side, t);

    update_history(f, side, fl, rel_seq, len);
    update_window(f, side, t->window, t->seq, t->ack, fl);

    if (!f->tcp[0].did_close || !f->tcp[1].did_close)
        f->last_ts = now;

    if (syn)
        init_window(f, side, t);
    if (fin) {
        e->fin_cnt++;
        e->fin_seq = rel_seq + seg_len;
    }
    if (rst)
        e->rst_cnt++;

    struct rs_tcp_end *p = &f->tcp[!side];
    uint64_t rel_ack = 0;
    if (ack) {
        if (p->state == RS_TCPS_INACTIVE) {
            rel_ack = 1;
            /* Number the silent peer as though its SYN had been seen. */
            p->start_seq = p->ack_seq = p->last_seq = t->ack - 1;
        } else {
            int aunder = 0;
            rel_ack = relative_seq(p, t->ack, p->ack_seq, p->ack_wraps, &aunder);
            if (aunder) {
                rel_ack = 0;
            } else if (!rst) {
                /* ACKs in RSTs are not trusted. */
                int32_t d = rs_seq_delta(t->ack, p->ack_seq);
                if (!(t->ack == 0 && d > TOO_LARGE_SEQ_DELTA) && d > 0)
                    update_ack(p, t->ack);
            }
        }
    }

    /* Zeek's update_last_seq: a SYN or RST jumping far, and anything after
     * our own RST, are not trusted; a FIN right after the SYN always is (a
     * > 2 GB transfer seen only by its SYN and FIN). */
    int32_t delta_last = rs_seq_delta(seq_end, e->last_seq);
    int outlandish =
        (syn || rst) && (delta_last > TOO_LARGE_SEQ_DELTA || delta_last < -TOO_LARGE_SEQ_DELTA);
    int fin_after_syn = fin && e->last_seq == e->start_seq + 1;
    if (!outlandish && (fin_after_syn || (e->state != RS_TCPS_RESET && delta_last > 0)))
        update_last(e, seq_end);
    else if (!outlandish && e->state != RS_TCPS_RESET && len > 0)
        rs_hist_scaled(f, side, 'T', &e->rxmt_cnt, &e->rxmt_thr);

    int do_close;
    state_machine(f, &side, t, len, delta_last, now, tm, &do_close);
    /* The state machine may have flipped the roles. */
    e = &f->tcp[side];

    if (ack)
        ack_received(f, !side, rel_ack);

    f->first_packet_seen |= (uint8_t)(side == RS_ORIG ? 1 : 2);

    if (len > 0 && !rst && !underflow && l->payload_caplen >= len)
        data_sent(e, syn ? rel_seq + 1 : rel_seq, len);
    if (len > 0) {
        e->data_pkts++;
        e->last_data_pkt = pkt_no;
        e->last_data_ts = now;
    }

    if (do_close)
        connection_closed(f, side, tm);
    res->counted = 1;
}

int
rs_tcp_is_reuse(const struct rs_flow *f, int side, const struct rs_tcp_info *t)
{
    (void)side;
    if (!(t->flags & RS_TCP_SYN))
        return 0;
    const struct rs_tcp_end *orig = &f->tcp[RS_ORIG], *resp = &f->tcp[RS_RESP];
    const struct rs_tcp_end *conn_orig = orig;
    if (t->flags & RS_TCP_ACK) {
        /* A SYN-ACK starts a new session only on a half connection. */
        if (orig->state != RS_TCPS_INACTIVE)
            return 0;
        conn_orig = resp;
    }
    /* Zeek's IsClosed(): either side has closed in some sense (FIN or RST). */
    int closed = orig->did_close || resp->did_close;
    if (!closed) {
        if (t->seq == conn_orig->start_seq)
            return 0;
        if (!(t->flags & RS_TCP_ACK) && conn_orig->state == RS_TCPS_SYN_ACK_SENT &&
            resp->state == RS_TCPS_INACTIVE && t->seq == resp->start_seq)
            return 0; /* SYN and SYN-ACK reordered: the state machine flips it */
    }
    return 1;
}

static rs_time_ns
chain_fire_after(rs_time_ns base, rs_time_ns period, rs_time_ns after)
{
    /* First firing base + k*period strictly after `after`. */
    if (base > after)
        return base;
    if (period <= 0)
        return INT64_MAX;
    rs_time_ns k = (after - base) / period + 1;
    return base + k * period;
}

rs_time_ns
rs_tcp_zeek_due(const struct rs_flow *f, const struct rs_tcp_timing *tm)
{
    const struct rs_tcp_end *o = &f->tcp[RS_ORIG], *r = &f->tcp[RS_RESP];
    rs_time_ns due = INT64_MAX;
    rs_time_ns seen = f->last_pkt_ts;

    if (f->inactivity)
        due = f->last_ts + f->inactivity;
    if (f->t_delete && f->t_delete < due)
        due = f->t_delete > seen ? f->t_delete : seen + 1;
    if (!f->is_active)
        return due;
    if (f->t_attempt > seen && f->t_attempt < due &&
        (o->state == RS_TCPS_SYN_SENT || o->state == RS_TCPS_SYN_ACK_SENT) &&
        r->state == RS_TCPS_INACTIVE)
        due = f->t_attempt;
    if (f->t_reset > seen && f->t_reset < due)
        due = f->t_reset;
    if (f->t_partial > seen && f->t_partial < due && o->state != RS_TCPS_INACTIVE &&
        r->state != RS_TCPS_INACTIVE && (!o->did_close || !r->did_close) &&
        o->state != RS_TCPS_RESET && r->state != RS_TCPS_RESET)
        due = f->t_partial;
    int closing =
        (o->did_close || r->did_close) &&
        ((o->did_close && r->did_close) || o->state == RS_TCPS_RESET || r->state == RS_TCPS_RESET ||
         o->state == RS_TCPS_INACTIVE || r->state == RS_TCPS_INACTIVE);
    int idle = r->state == RS_TCPS_INACTIVE && o->state == RS_TCPS_INACTIVE;
    if (closing || idle) {
        rs_time_ns after = f->last_ts + tm->linger;
        if (after < seen)
            after = seen;
        for (int i = 0; i < 3; i++) {
            if (!f->t_expire[i])
                continue;
            rs_time_ns at = chain_fire_after(f->t_expire[i], tm->session_timer, after);
            if (at < due)
                due = at;
        }
    }
    return due;
}

void
rs_flow_flip(struct rs_flow *f)
{
    struct rs_addr a = f->addr[0];
    f->addr[0] = f->addr[1];
    f->addr[1] = a;
    uint16_t p = f->port[0];
    f->port[0] = f->port[1];
    f->port[1] = p;
    struct rs_tcp_end e = f->tcp[0];
    f->tcp[0] = f->tcp[1];
    f->tcp[1] = e;
    for (int i = 0; i < 1; i++) {
        uint64_t x;
        x = f->pkts[0], f->pkts[0] = f->pkts[1], f->pkts[1] = x;
        x = f->ip_bytes[0], f->ip_bytes[0] = f->ip_bytes[1], f->ip_bytes[1] = x;
        x = f->bytes[0], f->bytes[0] = f->bytes[1], f->bytes[1] = x;
        x = f->payload_pkts[0], f->payload_pkts[0] = f->payload_pkts[1], f->payload_pkts[1] = x;
    }
    f->hist_seen = (f->hist_seen >> 16) | (f->hist_seen << 16);
    struct rs_diag_side ds = f->diag.s[0];
    f->diag.s[0] = f->diag.s[1];
    f->diag.s[1] = ds;
    if (f->diag.ext) {
        struct rs_diag_ext *x = f->diag.ext;
        for (int i = 0; i < f->diag.nrst; i++)
            x->rst[i].side = (uint8_t)!x->rst[i].side;
        struct rs_diag_ext_side xs = x->s[0];
        x->s[0] = x->s[1];
        x->s[1] = xs;
    }
    f->first_packet_seen =
        (uint8_t)(((f->first_packet_seen & 1) ? 2 : 0) | ((f->first_packet_seen & 2) ? 1 : 0));
    f->fin_sides = (uint8_t)(((f->fin_sides & 1) << 1) | ((f->fin_sides & 2) >> 1));
    f->rst_sides = (uint8_t)(((f->rst_sides & 1) << 1) | ((f->rst_sides & 2) >> 1));
    if (f->rst_seen)
        f->rst_dir = (uint8_t)!f->rst_dir;
    f->flipped = (uint8_t)!f->flipped;
    rs_hist_add(f, '^');
}

const char *
rs_tcp_conn_state(const struct rs_flow *f)
{
    const struct rs_tcp_end *o = &f->tcp[RS_ORIG], *r = &f->tcp[RS_RESP];
    uint8_t os = o->state, rs = r->state;
    int o_inactive = os == RS_TCPS_INACTIVE || os == RS_TCPS_PARTIAL;
    int r_inactive = rs == RS_TCPS_INACTIVE || rs == RS_TCPS_PARTIAL;

    if (rs == RS_TCPS_RESET) {
        if (os == RS_TCPS_SYN_SENT || os == RS_TCPS_SYN_ACK_SENT ||
            (os == RS_TCPS_RESET && rs_tcp_size(f, RS_ORIG) == 0 && rs_tcp_size(f, RS_RESP) == 0))
            return "REJ";
        return o_inactive ? "RSTRH" : "RSTR";
    }
    if (os == RS_TCPS_RESET) {
        if (r_inactive) {
            /* Zeek: history matches /^\^?S[^HAFGIQ]*R.*$/ -> RSTOS0 */
            const char *h = f->history;
            if (*h == '^')
                h++;
            if (*h == 'S') {
                for (h++; *h && !strchr("HAFGIQ", *h); h++)
                    if (*h == 'R')
                        return "RSTOS0";
            }
            return "OTH";
        }
        return "RSTO";
    }
    if (rs == RS_TCPS_CLOSED && os == RS_TCPS_CLOSED)
        return "SF";
    if (os == RS_TCPS_CLOSED)
        return r_inactive ? "SH" : "S2";
    if (rs == RS_TCPS_CLOSED)
        return o_inactive ? "SHR" : "S3";
    if (os == RS_TCPS_SYN_SENT && rs == RS_TCPS_INACTIVE)
        return "S0";
    if (os == RS_TCPS_ESTABLISHED && rs == RS_TCPS_ESTABLISHED)
        return "S1";
    return "OTH";
}
