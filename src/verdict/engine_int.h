/*
 * engine_int.h - engine internals for the threaded pipeline (parallel.c).
 */
#ifndef RS_VERDICT_ENGINE_INT_H
#define RS_VERDICT_ENGINE_INT_H

#include <string.h>

#include <rstscope/capture.h>
#include <rstscope/engine.h>

/*
 * rs_engine_lookahead for an engine that is fed only some of a capture's
 * frames: call it once per frame of the capture (fed to this engine or
 * not), before that frame; `far` is the frame RS_ENGINE_LOOKAHEAD positions
 * ahead if this engine will be fed it, else NULL. Decodes that frame if it
 * is the common one (rs_decode_fast), loads its hash bucket now and its
 * session half as far ahead. A hint only: the decode is used only for the
 * very frame it was made from (same bytes at the same address, number,
 * time and length), so the bytes of `far` must not change in place until
 * it is fed (they do not in rs_feed_loop, which holds its frames) or be
 * fed as another frame with the same number, time and length.
 */
void rs_engine_lookahead_frame(struct rs_engine *e, const struct rs_packet *far);

/* A seed for cfg.hash_seed 0 (what rs_engine_new picks then): /dev/urandom
 * and the clock. */
uint64_t rs_engine_random_seed(void);

/*
 * The next frame fed is the k-th (1-based) of the input: the sessions it
 * begins get start_index k, and frames fed after it count on from k. For
 * an engine fed only some of the frames (one thread's share), so that
 * start_index is the frame's position in the whole input.
 */
void rs_engine_set_index(struct rs_engine *e, uint64_t k);

/*
 * rs_engine_finish in steps: ends up to `max` of the open sessions, oldest
 * first (the order rs_engine_finish ends them in, so their records come
 * in creation order: non-decreasing start_index); 1 while some remain open. Between
 * steps the engine must not be fed.
 */
int rs_engine_finish_step(struct rs_engine *e, size_t max);

/*
 * The read loop of rs_engine_feed and rs_parallel_feed: `first` (or the
 * capture's next frame when NULL) and every frame after it, each handed
 * to `frame` with the frame RS_ENGINE_LOOKAHEAD positions ahead (`far`,
 * NULL when not in memory yet), then `tick` if not NULL. Frames come in
 * batches (rs_capture_next_batch): the lookahead is an index into them,
 * and `owner` (may be NULL: 0), which says which shard a frame is for, runs
 * once per frame as it arrives and is handed over with it (own, far_own).
 * `before_read` (may be NULL) runs before every read of the capture, which
 * may drop or reuse the memory of frames returned earlier (for a caller
 * that hands their bytes to other threads). Returns the frames fed. Always inlined, so that each caller's callbacks
 * are direct calls (left to itself, LTO made one copy calling through the
 * pointer).
 */
#define RS_FEED_BATCH 64

__attribute__((always_inline)) static inline uint64_t
rs_feed_loop(struct rs_capture *cap, const struct rs_packet *first,
             unsigned (*owner)(void *self, const struct rs_packet *pkt),
             void (*frame)(void *self, const struct rs_packet *pkt, unsigned own,
                           const struct rs_packet *far, unsigned far_own),
             void *self, void (*tick)(void *ctx), void *ctx, void (*before_read)(void *self))
{
    enum { LA = RS_ENGINE_LOOKAHEAD, CAP = RS_ENGINE_LOOKAHEAD + RS_FEED_BATCH };
    struct rs_packet f[CAP];
    unsigned own[CAP];
    size_t have = 0, at = 0;
    int starved = 0; /* nothing more whole in memory: drain, then read */
    uint64_t n = 0;
    if (first) {
        f[0] = *first;
        own[0] = owner ? owner(self, &f[0]) : 0;
        have = 1;
    }
    for (;;) {
        if (at == have) {
            /* Empty: read on (what earlier batches returned may go). */
            at = 0;
            if (before_read)
                before_read(self);
            have = rs_capture_next_batch(cap, f, CAP, 1);
            if (have == 0)
                break;
            for (size_t i = 0; i < have; i++)
                own[i] = owner ? owner(self, &f[i]) : 0;
            starved = 0;
        } else if (have - at <= LA && !starved) {
            /* The lookahead is about to run out: more from memory, behind
             * the frames still to come (theirs stay valid). */
            memmove(f, f + at, (have - at) * sizeof *f);
            memmove(own, own + at, (have - at) * sizeof *own);
            have -= at;
            at = 0;
            if (before_read)
                before_read(self);
            size_t got = rs_capture_next_batch(cap, f + have, CAP - have, 0);
            for (size_t i = have; i < have + got; i++)
                own[i] = owner ? owner(self, &f[i]) : 0;
            have += got;
            starved = got == 0;
        }
        size_t a = at + LA;
        rs_capture_chase(cap);
        frame(self, &f[at], own[at], a < have ? &f[a] : NULL, a < have ? own[a] : 0);
        if (tick)
            tick(ctx);
        n++;
        at++;
    }
    return n;
}

#endif
