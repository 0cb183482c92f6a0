/*
 * parallel_int.h - test hooks of the threaded pipeline (parallel.c).
 */
#ifndef RS_VERDICT_PARALLEL_INT_H
#define RS_VERDICT_PARALLEL_INT_H

#include <rstscope/parallel.h>

/*
 * Pull mode with rs_parallel_set_format: every thread but the calling one
 * leaves all its records packed for the calling thread to format, as a
 * thread does on its own only while it is far behind. For tests: the
 * bytes must be the same either way. Call before the first frame.
 */
void rs_parallel_pack_always(struct rs_parallel *p);

/*
 * rs_parallel_feed on a mapped classic pcap: the frames copied into the
 * threads' batches instead of handed over where they are (zero copy), with
 * the same shares of the buckets. For tests: the records must be the same
 * either way. Call before the first frame.
 */
void rs_parallel_copy_frames(struct rs_parallel *p);

#endif
