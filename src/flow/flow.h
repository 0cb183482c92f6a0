/*
 * flow.h - per-session state and the flow table (internal).
 *
 * A flow is one session: a bidirectional 5-tuple with an orientation (side 0
 * is the originator, Zeek's "orig", our "client"). Flows live in a slab of
 * fixed-size slots addressed by 32-bit index; the hash table chains by index,
 * so no pointer survives a slab growth and nothing is allocated per packet.
 * The hash is seeded at creation (masscan/Redis style) so an adversary who
 * crafts tuples cannot aim at one bucket.
 *
 * Timers: each flow carries `due`, the earliest packet time at which one of
 * its timers may act. A hashed wheel of one-second slots finds due flows; a
 * flow is relinked only when its due time moves earlier than its slot, so a
 * busy flow costs nothing per packet (see table.c).
 */
#ifndef RS_FLOW_FLOW_H
#define RS_FLOW_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include <rstscope/appid.h>
#include <rstscope/common.h>

#define RS_NIL UINT32_MAX

/* Timer wheel resolution: timers act only when packet time crosses a
 * multiple of this (rs_flow_advance), which rs_parallel relies on. */
#define RS_FLOW_TICK_NS INT64_C(250000000)

/* Zeek's TCP endpoint states (analyzer/protocol/tcp/TCP_Endpoint.h). */
enum rs_tcp_state {
    RS_TCPS_INACTIVE = 0,
    RS_TCPS_SYN_SENT,
    RS_TCPS_SYN_ACK_SENT,
    RS_TCPS_PARTIAL,
    RS_TCPS_ESTABLISHED,
    RS_TCPS_CLOSED,
    RS_TCPS_RESET,
};

/* Sequence-space blocks held to find content gaps (missed_bytes). */
#define RS_REASM_BLOCKS 4

/*
 * Field order in the structs below is for the cache, not for reading. A
 * packet of an established session reads and writes about a dozen 64-byte
 * lines of its flow, each a cache miss when sessions interleave, so what
 * every packet touches is grouped into whole lines and the structs that
 * hold it are aligned to them (RS_LINE): the flow's first four lines
 * (key, flags, timers, counters, App-ID), two lines of each TCP end, one
 * line of diagnosis header and one line per diagnosis side. Arrays and
 * fields used only on rare events (gaps, retransmissions, RSTs) and when
 * the record is built come after, where no packet loads them.
 * rs_flow_prefetch_flow (table.c) loads these lines, and the history's first.
 *
 * The TCP ends and the diagnosis come last in struct rs_flow, and only a
 * TCP session's slot holds them: any other session's slot ends before
 * them (RS_FLOW_OTHER_SIZE, table.c). Code that reaches f->tcp or f->diag
 * must have checked f->proto == 6 (SAN=1 builds poison the rest of the
 * other slots, so a test catches the access that did not).
 */
#define RS_LINE 64

struct rs_tcp_end {
    /* -- per packet: two lines -- */
    uint8_t state, prev_state;
    uint8_t did_close;
    uint8_t window_scale;
    uint8_t seen_syn;                      /* a SYN from this side was seen */
    uint32_t start_seq, last_seq, ack_seq; /* absolute; Zeek's StartSeq/LastSeq/AckSeq */
    uint32_t seq_wraps, ack_wraps;
    uint32_t window, window_seq, window_ack_seq;
    uint32_t win_raw; /* last raw window advertised */
    uint32_t isn;     /* first SYN's sequence number */
    uint32_t fin_cnt, rst_cnt;
    uint8_t n_blocks;
    uint8_t skip_reasm;
    /* reassembly bookkeeping (relative sequence numbers, Zeek-style) */
    uint64_t reasm_seq; /* everything below was delivered or declared missing */
    uint64_t trim_seq;  /* acked point already processed */
    /* diagnosis */
    uint64_t data_pkts;     /* segments with payload */
    uint64_t last_data_pkt; /* frame number of the last data segment */
    rs_time_ns last_data_ts;
    uint64_t fin_seq; /* relative seq just past the FIN */
    /* -- SYN, FIN and RST only, and rare events -- */
    uint64_t hist_last_syn, hist_last_fin, hist_last_rst;
    uint32_t chk_cnt, chk_thr, rxmt_cnt, rxmt_thr, win0_cnt, win0_thr, gap_cnt, gap_thr;
    uint64_t blk_lo[RS_REASM_BLOCKS], blk_hi[RS_REASM_BLOCKS];
} __attribute__((aligned(RS_LINE)));

enum rs_side { RS_ORIG = 0, RS_RESP = 1 };

/* One RST as the diagnosis needs it. */
struct rs_rst_ev {
    uint64_t pkt;
    rs_time_ns ts;
    uint32_t seq, ack;
    uint16_t flags;
    uint16_t ip_id;
    uint16_t win;
    uint16_t payload_len;
    uint8_t side, ttl, accept;
    uint8_t trig_valid; /* a packet from the other side came before it */
    uint64_t trig_pkt;  /* the last packet from the other side before the RST */
    rs_time_ns trig_ts;
    uint32_t trig_ack; /* its ack number */
    uint16_t trig_flags;
    uint32_t trig_len;
    rs_time_ns trig_gap; /* idle time before that trigger */
    rs_time_ns gap;      /* idle time before the RST itself */
};

#define RS_DIAG_RSTS 6
#define RS_DIAG_RXMT 8
#define RS_DIAG_KA 8
#define RS_DIAG_RST_PAYLOAD 64

/* Per-side facts for the reset diagnosis (SPEC §6): what every packet
 * reads or writes, one line per side (the peer's is touched too). */
struct rs_diag_side {
    uint64_t last_pkt; /* frame number of the last packet */
    rs_time_ns last_ts;
    rs_time_ns last_gap; /* idle time before that packet */
    uint64_t fin_pkt;
    uint32_t last_ack;
    uint32_t last_len;
    uint32_t data_run; /* data segments since the peer last sent data */
    uint32_t data_end; /* seq just past the last new data */
    uint16_t last_flags;
    uint16_t ip_id_last;                 /* of non-RST packets */
    uint8_t ttl_first, ttl_min, ttl_max; /* of non-RST packets */
    uint8_t ip_id_seq;                   /* IP IDs so far looked sequential */
    uint16_t host_slot1;                 /* this side's host table slot + 1, 0 unknown */
    uint8_t host_ttl;                    /* the TTL last taught to the host table */
    uint8_t data_end_valid;
    /* retransmissions of one segment (retransmit_giveup) */
    uint8_t rx_n;
    /* keepalive probes (seq = snd.nxt - 1, 0 or 1 byte) */
    uint8_t ka_n;
} __attribute__((aligned(RS_LINE)));

/* The per-side facts a packet seldom needs (after a FIN, on a
 * retransmission or a keepalive probe). */
struct rs_diag_side_x {
    uint64_t data_after_peer_fin; /* first data frame sent after the peer's FIN */
    rs_time_ns fin_ts;
    uint64_t ka_first_pkt;
    uint32_t rx_seq; /* the retransmitted segment's seq (rs_diag_side.rx_n) */
};

/*
 * The facts of rare events (RSTs, retransmissions of one segment, keepalive
 * probes, a RST's payload), out of struct rs_flow so that the memory every
 * packet shares the cache with stays small: most sessions never need them.
 * Allocated from the diagnosis pool (diagnose.h) at the first such event,
 * freed with the flow; struct rs_diag's counts (nrst, rx_n, ka_n,
 * rst_payload_len) say how much of it is valid.
 */
struct rs_diag_ext_side {
    rs_time_ns rx_ts[RS_DIAG_RXMT]; /* retransmissions of rx_seq (rs_diag_side.rx_n) */
    rs_time_ns ka_ts[RS_DIAG_KA];   /* keepalive probes (rs_diag_side.ka_n) */
};

struct rs_diag_ext {
    struct rs_rst_ev rst[RS_DIAG_RSTS];
    struct rs_diag_ext_side s[2];
    uint8_t rst_payload[RS_DIAG_RST_PAYLOAD];
    struct rs_diag_ext *next_free; /* while in the pool's free list */
};

struct rs_diag {
    /* -- per packet: one line -- */
    rs_time_ns prev_ts; /* last packet of the session (either side) */
    rs_time_ns max_gap;
    rs_time_ns syn_ts, synack_ts, ack_ts; /* handshake times (RTT) */
    uint64_t race_pkt;      /* data/SYN-ACK from a RST's sender after it, seq at/after */
    uint64_t survived_pkts; /* packets after the first out-of-window RST */
    uint8_t synack_seen;
    uint8_t nrst; /* RSTs recorded (all, any window) */
    uint16_t rst_total;
    uint8_t challenge_ack; /* responder answered a SYN with a bare ACK (half-open) */
    uint8_t race_rst;      /* index of that RST */
    uint8_t rst_payload_len;
    struct rs_diag_side s[2]; /* a line each */
    /* -- handshake and rare events -- */
    struct rs_diag_side_x sx[2];
    uint64_t syn_pkt, synack_pkt;
    uint32_t synack_ack;       /* ack number of the first SYN-ACK */
    uint32_t challenge_ack_no; /* its ack number */
    uint64_t challenge_pkt;
    struct rs_diag_ext *ext; /* NULL until the first rare event */
};

struct rs_flow {
    /* -- read or written by every packet: four lines (see the note above rs_tcp_end) -- */
    /* key, oriented: addr[0]/port[0] = originator */
    struct rs_addr addr[2];
    uint16_t port[2];
    uint8_t proto;
    uint8_t in_use;
    uint8_t flipped;           /* orientation was flipped ('^') */
    uint8_t is_partial;        /* Zeek's is_partial */
    uint8_t first_packet_seen; /* bit 0 orig, bit 1 resp */
    uint8_t hs_complete;       /* SYN, SYN-ACK and the client's ACK all seen */
    uint8_t is_active;         /* Zeek's is_active: close/attempt timers still matter */
    uint8_t hist_len;
    uint32_t hist_seen; /* Zeek's once-per-direction letter mask */
    /* reset bookkeeping */
    uint8_t rst_dir;    /* side of the first accepted RST (if rst_seen) */
    uint8_t rst_seen;   /* an accepted RST was seen */
    uint8_t rst_sides;  /* bit per side that sent any accepted RST */
    uint8_t rst_accept; /* acceptance class of the first accepted RST */
    uint8_t oow_rsts;   /* out-of-window RSTs seen */
    uint8_t fin_sides;  /* bit per side that sent a FIN */

    uint64_t id;            /* creation sequence number */
    rs_time_ns last_ts;     /* Zeek last_time (what duration uses) */
    rs_time_ns last_pkt_ts; /* any packet, for idle timers */
    rs_time_ns due;         /* earliest time a timer may act */
    int64_t wtick;          /* wheel tick the flow is linked at, -1 if none */
    rs_time_ns inactivity;  /* current inactivity timeout */

    uint64_t pkts[2], ip_bytes[2], bytes[2];
    uint64_t payload_pkts[2]; /* packets carrying payload (App-ID threshold) */

    struct rs_appid_flow appid; /* application identification (appid.h); names live outside */
    /* Zeek timers (0 = not armed) */
    rs_time_ns t_attempt, t_delete, t_reset, t_partial;
    rs_time_ns t_expire[3]; /* bases of ExpireTimer chains (fire every session_timer) */

    /* -- set once, or used on rare events and when the record is built -- */
    uint32_t hash; /* (chains and list links are in the table's own arrays) */
    uint16_t vlan, inner_vlan;
    uint8_t first_flags;    /* TCP flags of the first packet */
    uint8_t partial_first;  /* first TCP packet was not a SYN */
    uint8_t removed_reason; /* enum rs_end_reason decided at removal (timers, reuse) */
    uint8_t evicted;
    uint64_t first_pkt_no;
    rs_time_ns first_ts; /* Zeek start_time */
    uint64_t missed_bytes;
    uint32_t udp_chk_cnt[2], udp_chk_thr[2];
    uint64_t rst_pkt_no;
    rs_time_ns rst_ts;
    uint64_t inflight[2]; /* bytes in flight per side when the RST hit */
    /* tunnel parent: id of the enclosing session, 0 if none */
    uint64_t parent_id;
    char history[64];

    /* -- TCP only: a slot of any other protocol ends here (RS_FLOW_OTHER_SIZE) -- */
    struct rs_tcp_end tcp[2];
    struct rs_diag diag;
} __attribute__((aligned(RS_LINE)));

/* What a slot of a session other than TCP holds: struct rs_flow up to its
 * TCP ends. */
#define RS_FLOW_OTHER_SIZE offsetof(struct rs_flow, tcp)

struct rs_flow_table;

struct rs_flow_table *rs_flow_table_new(size_t max_flows, uint64_t seed);
void rs_flow_table_free(struct rs_flow_table *t);

/* Symmetric hash of a tuple (same for both directions). */
uint32_t rs_flow_hash(const struct rs_flow_table *t, const struct rs_addr *a, uint16_t pa,
                      const struct rs_addr *b, uint16_t pb, uint8_t proto);

/*
 * Finds the flow of a tuple in either direction. On a hit, *dir is the side
 * of the packet's source (RS_ORIG or RS_RESP). Returns RS_NIL on a miss.
 */
uint32_t rs_flow_find(struct rs_flow_table *t, uint32_t hash, const struct rs_addr *src,
                      uint16_t sport, const struct rs_addr *dst, uint16_t dport, uint8_t proto,
                      int *dir);

/* Allocates and links a zeroed flow, with room for the TCP state (tcp[],
 * diag) only when `tcp` is non-zero; RS_NIL when the table is at its cap
 * (the caller evicts and retries) or memory is exhausted. */
uint32_t rs_flow_alloc(struct rs_flow_table *t, uint32_t hash, int tcp);
/* Unlinks and frees a flow slot. */
void rs_flow_release(struct rs_flow_table *t, uint32_t idx);

struct rs_flow *rs_flow_at(struct rs_flow_table *t, uint32_t idx);
size_t rs_flow_count(const struct rs_flow_table *t);
size_t rs_flow_cap(const struct rs_flow_table *t);

/* Timer wheel: (re)schedule a flow at f->due. Cheap when nothing changes. */
void rs_flow_schedule(struct rs_flow_table *t, uint32_t idx);

/* What of the table inline code reads: its first member (table.c). */
struct rs_flow_table_head {
    int64_t cur_tick; /* last wheel tick processed, INT64_MIN before the first */
};

/*
 * 1 when f's timer needs no relinking: it is linked at a future tick that
 * starts at or before its due time (so at or before its tick). Every
 * packet pushes the due time later, so this is the case of nearly every
 * packet, and the engine tests it inline before calling rs_flow_schedule
 * (a call and the flow looked up again by index, ~35 instructions a
 * packet).
 */
static inline int
rs_flow_schedule_kept(const struct rs_flow_table *t, const struct rs_flow *f)
{
    int64_t cur = ((const struct rs_flow_table_head *)(const void *)t)->cur_tick;
    return f->wtick >= 0 && (cur == INT64_MIN || f->wtick > cur) &&
           f->wtick * RS_FLOW_TICK_NS <= f->due;
}
/*
 * Calls fn for every flow whose due time is <= now, in wheel order; fn
 * returns 1 if it released the flow, 0 if it rescheduled it (f->due moved).
 */
typedef int (*rs_flow_due_fn)(void *ctx, uint32_t idx);
void rs_flow_advance(struct rs_flow_table *t, rs_time_ns now, rs_flow_due_fn fn, void *ctx);

/*
 * Lookahead for a packet that will be looked up soon (rs_engine_prefetch):
 * the first starts loading the hash's bucket; the second, a packet later
 * when the bucket has arrived, starts loading the hot lines of the flow at
 * the head of that chain if its hash matches. Hints only: nothing changes.
 */
void rs_flow_prefetch_bucket(const struct rs_flow_table *t, uint32_t hash);
/* Starts loading every line of flow idx (a walk that will read it whole)
 * and its links (which its release rewrites). */
void rs_flow_prefetch_all(struct rs_flow_table *t, uint32_t idx);
void rs_flow_prefetch_flow(struct rs_flow_table *t, uint32_t hash);
/* Starts loading what releasing flow idx will write: its hash bucket and
 * its creation-list neighbours' links (the flow itself already loaded). */
void rs_flow_prefetch_release(struct rs_flow_table *t, uint32_t idx);

/*
 * Every function that only prefetches starts with this. To GCC such a
 * function has no side effect (a prefetch is a hint), so its interprocedural
 * analysis marks it pure, and a call whose result is unused (they return
 * nothing) is deleted: with link-time optimisation the lookahead's session
 * prefetches vanished from the binary, and 94% of sessions were a cache
 * miss (200-500 cycles at the first load, rdtscp around it) where 93% had
 * been in L1. An empty volatile asm is a side effect that costs nothing.
 */
static inline void
rs_prefetch_keep(void)
{
    __asm__ volatile("");
}
/* The oldest live flow (eviction victim, and the start of creation order),
 * RS_NIL if empty. */
uint32_t rs_flow_oldest(const struct rs_flow_table *t);

/* Next flow in creation order; RS_NIL at the end. */
uint32_t rs_flow_next(const struct rs_flow_table *t, uint32_t idx);

#endif
