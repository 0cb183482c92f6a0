/*
 * history.h - Zeek's connection history string (base/protocols/conn):
 * upper case for the originator, lower case for the responder; some letters
 * once per direction (a mask), some repeated when their sequence number
 * changes, and c/g/t/w on a log scale (1st, 10th, 100th, ... occurrence).
 */
#ifndef RS_FLOW_HISTORY_H
#define RS_FLOW_HISTORY_H

#include "flow/flow.h"

/* Once-per-direction masks (Zeek's HIST_* in TCP_Endpoint.h); the responder's
 * are shifted left by 16. */
#define RS_HIST_SYN 0x1u
#define RS_HIST_FIN 0x2u
#define RS_HIST_RST 0x4u
#define RS_HIST_FIN_RST 0x8u
#define RS_HIST_DATA 0x10u
#define RS_HIST_ACK 0x20u
#define RS_HIST_MULTI 0x40u
#define RS_HIST_CORRUPT 0x80u

static inline void
rs_hist_add(struct rs_flow *f, char c)
{
    if (f->hist_len + 1u < sizeof f->history) {
        f->history[f->hist_len++] = c;
        f->history[f->hist_len] = '\0';
    }
}

static inline char
rs_hist_case(int side, char upper)
{
    return side == RS_ORIG ? upper : (char)(upper - 'A' + 'a');
}

/* Adds the letter the first time `mask` is seen for `side`; returns 1 when it
 * had been seen before (Zeek's CheckHistory contract). */
static inline int
rs_hist_check(struct rs_flow *f, int side, uint32_t mask, char upper)
{
    if (side != RS_ORIG)
        mask <<= 16;
    if (f->hist_seen & mask)
        return 1;
    f->hist_seen |= mask;
    rs_hist_add(f, rs_hist_case(side, upper));
    return 0;
}

/* Log-scale letter: recorded on the 1st, 10th, 100th, ... event. */
static inline void
rs_hist_scaled(struct rs_flow *f, int side, char upper, uint32_t *cnt, uint32_t *thr)
{
    if (*thr == 0)
        *thr = 1;
    if (++*cnt == *thr) {
        rs_hist_add(f, rs_hist_case(side, upper));
        *thr = *thr > UINT32_MAX / 10 ? UINT32_MAX : *thr * 10;
    }
}

#endif
