/*
 * parallel_int.h - test hooks of the threaded pipeline (parallel.c).
 */
#ifndef RS_VERDICT_PARALLEL_INT_H
#define RS_VERDICT_PARALLEL_INT_H

#include <rstscope/parallel.h>

/*
 * With rs_parallel_set_format, who formats the records of the threads
 * other than the calling one. AUTO, the default: each thread formats its
 * own, except while it is behind (pull mode: far behind the calling
 * thread; push mode: batches queued for it), when it leaves them packed
 * for the calling thread to format. ALWAYS: the calling thread formats
 * every thread's records. ALTERNATE: by turns (every other batch, or
 * every PACE_EVERY frames in pull mode), so that one thread's records come
 * both ways, interleaved. For tests: the bytes must be the same whichever
 * thread formats. Call before the first frame.
 */
enum { RS_PARALLEL_PACK_AUTO, RS_PARALLEL_PACK_ALWAYS, RS_PARALLEL_PACK_ALTERNATE };
void rs_parallel_pack_mode(struct rs_parallel *p, int mode);

/*
 * rs_parallel_feed on a mapped classic pcap: the frames copied into the
 * threads' batches instead of handed over where they are (zero copy), with
 * the same shares of the buckets. For tests: the records must be the same
 * either way. Call before the first frame.
 */
void rs_parallel_copy_frames(struct rs_parallel *p);

#endif
