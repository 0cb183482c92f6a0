/*
 * progress.h - a progress bar on stderr for long inputs (bytes done, rate,
 * ETA). Drawn at most five times a second; erased when done.
 */
#ifndef RS_CLI_PROGRESS_H
#define RS_CLI_PROGRESS_H

#include <stdint.h>

#include <rstscope/capture.h>

struct rs_progress {
    int on;
    struct rs_capture *cap;
    uint64_t total;
    uint64_t pkts;
    double start, last_draw;
    int drawn;
};

/* mode: 1 force on, 0 off, -1 auto (stderr is a terminal and input >= 64 MiB). */
void rs_progress_init(struct rs_progress *p, struct rs_capture *cap, int mode);
void rs_progress_draw(struct rs_progress *p);

/* Call once per packet; cheap (checks the clock every 65536 packets). */
static inline void
rs_progress_tick(struct rs_progress *p)
{
    if (p->on && (++p->pkts & 0xffff) == 0)
        rs_progress_draw(p);
}
void rs_progress_done(struct rs_progress *p);

/* rs_progress_tick as a callback (rs_engine_feed's tick; ctx: the bar). */
void rs_progress_tick_cb(void *ctx);

#endif
