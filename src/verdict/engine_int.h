/*
 * engine_int.h - engine internals for the threaded pipeline (parallel.c).
 */
#ifndef RS_VERDICT_ENGINE_INT_H
#define RS_VERDICT_ENGINE_INT_H

#include <rstscope/capture.h>
#include <rstscope/engine.h>

/*
 * rs_engine_lookahead for an engine that is fed only some of a capture's
 * frames: call it once per frame of the capture (fed to this engine or
 * not), before that frame; `far` is the frame RS_ENGINE_LOOKAHEAD positions
 * ahead if this engine will be fed it, else NULL. Loads that frame's hash
 * bucket now and its session half as far ahead. A hint only.
 */
void rs_engine_lookahead_frame(struct rs_engine *e, const struct rs_packet *far);

/*
 * rs_engine_finish in steps: ends up to `max` of the open sessions, oldest
 * first (the order rs_engine_finish ends them in, so their records come
 * with non-decreasing start times); 1 while some remain open. Between
 * steps the engine must not be fed.
 */
int rs_engine_finish_step(struct rs_engine *e, size_t max);

/*
 * The read loop of rs_engine_feed and rs_parallel_feed: `first` (or the
 * capture's next frame when NULL) and every frame after it, each handed to
 * `frame` with the capture (for its lookahead), then `tick` if not NULL.
 * Returns the frames fed. Always inlined, so that each caller's `frame` is
 * a direct call (left to itself, LTO made one copy calling through the
 * pointer).
 */
__attribute__((always_inline)) static inline uint64_t
rs_feed_loop(struct rs_capture *cap, const struct rs_packet *first,
             void (*frame)(void *self, struct rs_capture *cap, const struct rs_packet *pkt),
             void *self, void (*tick)(void *ctx), void *ctx)
{
    uint64_t n = 0;
    struct rs_packet pkt;
    if (first)
        pkt = *first;
    else if (rs_capture_next(cap, &pkt) != RS_CAPTURE_PACKET)
        return 0;
    do {
        frame(self, cap, &pkt);
        if (tick)
            tick(ctx);
        n++;
    } while (rs_capture_next(cap, &pkt) == RS_CAPTURE_PACKET);
    return n;
}

#endif
