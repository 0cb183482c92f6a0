/*
 * engine_int.h - engine internals for the threaded pipeline (parallel.c).
 */
#ifndef RS_VERDICT_ENGINE_INT_H
#define RS_VERDICT_ENGINE_INT_H

#include <rstscope/engine.h>

/*
 * rs_engine_lookahead for an engine that is fed only some of a capture's
 * frames: call it once per frame of the capture (fed to this engine or
 * not), before that frame; `far` is the frame RS_ENGINE_LOOKAHEAD positions
 * ahead if this engine will be fed it, else NULL. Loads that frame's hash
 * bucket now and its session half as far ahead. A hint only.
 */
void rs_engine_lookahead_frame(struct rs_engine *e, const struct rs_packet *far);

#endif
