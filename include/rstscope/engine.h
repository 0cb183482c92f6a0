/*
 * rstscope/engine.h - the analysis pipeline: packets in, session records out.
 *
 *   struct rs_engine *e = rs_engine_new(&cfg, on_record, user, &err);
 *   while (capture gives pkt) rs_engine_packet(e, &pkt);
 *   rs_engine_finish(e);   // flushes every open session, in a stable order
 *   rs_engine_free(e);
 *
 * Records are delivered through the callback as sessions end (timer run out
 * on packet time, FIN/RST close delays, reuse, eviction) and at finish;
 * sessions that end together (the timers a frame's time runs out, the
 * finish) come in the order they were created (record start_index). The
 * record pointer is valid only during the callback. The engine owns all flow
 * state; memory is bounded by cfg.max_sessions (oldest-idle evicted first,
 * counted, and the evicted session still gets its record).
 */
#ifndef RSTSCOPE_ENGINE_H
#define RSTSCOPE_ENGINE_H

#include <rstscope/common.h>
#include <rstscope/decode.h>
#include <rstscope/packet.h>
#include <rstscope/record.h>

struct rs_policy;

enum rs_profile {
    RS_PROFILE_PANOS = 0, /* PAN-OS default timers and session rules */
    RS_PROFILE_ZEEK,      /* Zeek's init-bare.zeek timers and removal rules */
};

/* Session timers (SPEC §4), nanoseconds. */
struct rs_timeouts {
    rs_time_ns tcp_established; /* idle timeout of an established session */
    rs_time_ns tcp_init;        /* SYN seen, no SYN-ACK */
    rs_time_ns tcp_handshake;   /* SYN-ACK seen, handshake not complete */
    rs_time_ns tcp_half_closed; /* one FIN */
    rs_time_ns tcp_time_wait;   /* both FINs, or a RST */
    rs_time_ns udp;
    rs_time_ns icmp;
    rs_time_ns other;
};

/* Fills `t` with a profile's defaults. */
void rs_timeouts_default(enum rs_profile p, struct rs_timeouts *t);
/* Applies "name=seconds,name=seconds" (names: tcp, tcp-init, tcp-handshake,
 * tcp-half-closed, tcp-time-wait, udp, icmp, other; seconds may be fractional).
 * Returns 0 or RS_ERR_USAGE with a message naming the bad item. */
int rs_timeouts_parse(struct rs_timeouts *t, const char *spec, struct rs_error *err);

/*
 * Default cap on sessions held at once: about 1.2 KiB each (more with
 * rare-event facts), so ~300-400 MB at worst, what a laptop can spare. A
 * full table ends its oldest session early (it still gets its record).
 */
#define RS_DEFAULT_MAX_SESSIONS 250000

struct rs_engine_config {
    enum rs_profile profile;
    struct rs_timeouts timeouts;
    struct rs_decode_config decode;
    size_t max_sessions;      /* cap on live sessions (0 = RS_DEFAULT_MAX_SESSIONS) */
    uint64_t hash_seed;       /* 0 = random at creation */
    unsigned appid_min_pkts;  /* App-ID threshold: payload packets (default 4) */
    unsigned appid_min_bytes; /* App-ID threshold: payload bytes (default 2000) */
    /* Firewall policy emulation (policy.h), applied to each record as it is
     * built; NULL for none. Borrowed: must outlive the engine. */
    const struct rs_policy *policy;
};

void rs_engine_config_default(struct rs_engine_config *cfg, enum rs_profile p);

typedef void (*rs_record_fn)(const struct rs_record *rec, void *user);

struct rs_engine;

struct rs_engine *rs_engine_new(const struct rs_engine_config *cfg, rs_record_fn fn, void *user,
                                struct rs_error *err);
void rs_engine_free(struct rs_engine *e);

/* Feeds one frame. Packets should arrive in time order; a packet older than
 * the last one is processed at the last time seen (counted as reordered).
 * Times beyond +-2^62 ns (146 years either side of 1970) are clamped to it. */
void rs_engine_packet(struct rs_engine *e, const struct rs_packet *pkt);

/*
 * Optional lookahead, a hint that changes no result: `pkt` will be fed
 * `ahead` frames from now (1 or 2). At 2 the engine starts loading the hash
 * bucket of its session, at 1 the session itself, so that the cache misses
 * of a session lookup overlap the work on the frames before it. Reads only
 * the frame's outermost IPv4/IPv6 TCP or UDP header (bounded reads, nothing
 * kept); other frames are ignored.
 */
void rs_engine_prefetch(struct rs_engine *e, const struct rs_packet *pkt, unsigned ahead);

/*
 * The lookahead for a loop that reads `cap` and feeds every frame to this
 * engine: call it right before each rs_engine_packet. It looks
 * RS_ENGINE_LOOKAHEAD frames ahead (rs_capture_lookahead), decodes that
 * frame when it is the common one (rs_decode_fast; rs_engine_packet then
 * uses that decode instead of decoding the frame again), hashes its
 * session and starts loading its bucket, and starts loading the session of
 * the frame half as far ahead, hashed earlier; a DRAM miss costs hundreds
 * of ns, so the misses of several frames overlap. A hint only: without it,
 * or when the capture cannot look ahead, results are the same.
 */
#define RS_ENGINE_LOOKAHEAD 8
struct rs_capture;
void rs_engine_lookahead(struct rs_engine *e, struct rs_capture *cap);

/*
 * Feeds every remaining frame of `cap` to the engine, with the lookahead
 * above: `first` (NULL if none) is a frame the caller already took from
 * cap with rs_capture_next, then the rest. `tick` (may be NULL) is called
 * after each frame (a progress bar). Does not call rs_engine_finish.
 * Returns the frames fed.
 */
uint64_t rs_engine_feed(struct rs_engine *e, struct rs_capture *cap, const struct rs_packet *first,
                        void (*tick)(void *ctx), void *ctx);

/* Advances timers to `now` without a packet (live capture when idle). */
void rs_engine_advance(struct rs_engine *e, rs_time_ns now);

/* Ends every open session (end_reason open, or aged-out if its timer ran out
 * by the last packet time) and emits them in session-creation order. */
void rs_engine_finish(struct rs_engine *e);

struct rs_engine_stats {
    uint64_t packets;       /* frames fed */
    uint64_t bytes;         /* wire bytes of frames fed */
    uint64_t sessions;      /* sessions created */
    uint64_t records;       /* records emitted */
    uint64_t live_sessions; /* currently open */
    uint64_t peak_sessions;
    uint64_t evicted;               /* ended early by the max_sessions cap */
    uint64_t reordered;             /* packets older than their predecessor */
    uint64_t unsolicited_rst;       /* sessions that began with a bare RST */
    uint64_t ftp_expected;          /* FTP data channels announced (rs_ftp_expect_parse) */
    uint64_t decode[RS_DEC__COUNT]; /* decoder outcome counters */
    rs_time_ns first_ts, last_ts;
};
void rs_engine_stats(const struct rs_engine *e, struct rs_engine_stats *out);

#endif
