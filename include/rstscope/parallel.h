/*
 * rstscope/parallel.h - the analysis pipeline on several worker threads.
 *
 *   struct rs_parallel *p = rs_parallel_new(&cfg, 2, on_record, user, &err);
 *   while (capture gives pkt) rs_parallel_packet(p, &pkt);
 *   rs_parallel_finish(p);   // every open session ended, every record delivered
 *   rs_parallel_free(p);
 *
 * The calling thread reads and runs one shard itself: worker 0's engine
 * is driven directly from rs_parallel_packet, with no copy of the frame;
 * each of the other nthreads - 1 workers is a thread with its own engine,
 * fed with copies of its shard's frames in batches. So `--threads 2` is
 * two busy threads, not three. A frame is sharded by a symmetric hash of
 * its outermost IP address pair (found by the decoder's own link-layer
 * code) into one of 64 buckets per worker, so both directions of a
 * session, and every session a tunnelled frame updates (outer and inner),
 * land on the same worker; frames without an IP layer all go to one
 * worker. Since the calling thread also reads, shards, copies and
 * delivers, its engine owns fewer buckets than a worker thread (weight
 * 0.45 to 1: 40 of 128 buckets with 2 threads; measured with the records
 * formatted in the workers, rs_parallel_set_format). pkt->data may be
 * reused as soon as rs_parallel_packet returns.
 *
 * rs_parallel_feed, given one file (classic pcap or pcapng) read through
 * its mapping (capture.h, pcap_mmap: a large file, by default), hands the
 * threads pointers into the mapping instead of copies (zero copy): the
 * calling thread reads and shards every frame as above, with 0.65 of a
 * thread's share, and no other thread touches a frame not its own (frames
 * not in the mapping, a pcapng NFLOG frame swapped in a copy or the rest
 * of a file that shrank, are copied). The capture keeps the frames' pages
 * mapped until the batches that point at them are done (nothing dropped
 * from the oldest such frame on; the calling thread hands over or waits
 * for a batch more than 16 MiB behind its reader before it reads on; the
 * mapping kept past the file's end), and rs_parallel_feed returns with
 * every batch done: the capture may be closed before rs_parallel_finish.
 *
 * Given another capture of files (rs_capture_follow can follow it),
 * rs_parallel_feed works otherwise (pull mode): every thread reads the input itself,
 * keeps the packet clock of every frame and runs only the frames of its
 * own buckets; a classic pcap file read in blocks is read from the file
 * once, by the calling thread, and the others parse the same blocks
 * (capture.h). The
 * calling thread, which also merges and writes every record, owns half a
 * share of the buckets when it reads the blocks for all (weight 0.5: 43
 * of 128 with 2 threads), three quarters of a share when every thread
 * reads the files itself (pcapng, files libpcap reads:
 * rs_capture_shares_blocks says 0). No frame is copied and no batch handed over:
 * only records cross threads. Otherwise (stdin, a live capture) it is the
 * rs_parallel_packet loop, with the lookahead (engine.h) for the calling
 * thread's own engine; the workers look ahead in their batches.
 *
 * Time: every worker follows the global packet clock, not only its own
 * packets: when the capture's time crosses a timer-wheel tick, each worker
 * is told, so sessions time out at the same packet as in one engine.
 *
 * Records are delivered through `fn`, in the calling thread (from inside
 * rs_parallel_packet or rs_parallel_finish), in one engine's order, which
 * does not depend on the number of workers or on scheduling: by the packet
 * at which the session ended (the frame whose processing ended it), timers
 * before the frame's own update, and sessions that end together (the
 * timers a frame runs out, the end of the capture) in creation order
 * (start_index, the position in the input of the frame that began the
 * session). Ids and uids are the same too: an id is made from start_index
 * (record.h), every worker engine is told each frame's position
 * (rs_engine_set_index) and all share cfg.hash_seed (one random seed for
 * all when it is 0).
 *
 * What differs from one engine, by design: the host table that remembers
 * each address's hop distance and RTT across sessions (diagnose.h) is kept
 * per worker, so a diagnosis that compares a reset with the same server's
 * other sessions (policy_reject) sees only that worker's sessions (38 of
 * the 23,060 records of bench-200k, a synthetic capture, with 2 threads);
 * cfg.max_sessions is split between the workers in proportion to their
 * buckets (which sessions hit the cap may differ); peak_sessions is the
 * sum of the workers' peaks; and a session whose frames travel with
 * different outermost address pairs is split in two: seen both inside a
 * tunnel and outside it (a capture at a tunnel endpoint: 6in4 frames and
 * the plain IPv6 frames of the same conversation), or inside tunnels
 * with different outer addresses (a Teredo relay's request and reply
 * paths; one IPv6 conversation through two 6in4 tunnels, as in the
 * corpus' ndpi syslog.pcap).
 * Over the shared corpus (178 captures, with 2 threads) the records are
 * byte for byte one thread's in every format but for 2 Teredo captures.
 */
#ifndef RSTSCOPE_PARALLEL_H
#define RSTSCOPE_PARALLEL_H

#include <rstscope/common.h>
#include <rstscope/engine.h>
#include <rstscope/packet.h>

#define RS_PARALLEL_MAX_THREADS 64

struct rs_parallel;

/*
 * Starts `nthreads` workers (1..RS_PARALLEL_MAX_THREADS). Errors:
 * RS_ERR_USAGE (thread count out of range), RS_ERR_NOMEM, RS_ERR_INTERNAL
 * (a thread could not be started).
 */
struct rs_parallel *rs_parallel_new(const struct rs_engine_config *cfg, unsigned nthreads,
                                    rs_record_fn fn, void *user, struct rs_error *err);

/* Feeds one frame (copied); may deliver records of sessions that ended.
 * Ignored after rs_parallel_feed has taken the pull mode. */
void rs_parallel_packet(struct rs_parallel *p, const struct rs_packet *pkt);

/*
 * Feeds every remaining frame of `cap`, as rs_engine_feed does for one
 * engine (engine.h), with the lookahead for the calling thread's own
 * engine: `first` (NULL if none) is a frame the caller already took from
 * cap with rs_capture_next, then the rest. `tick` (may be NULL) is called
 * after each frame (a progress bar). Does not call rs_parallel_finish.
 * Returns the frames fed. When nothing has been fed yet, cap has returned
 * at most `first` and its files can be followed (rs_capture_follow), it
 * takes the pull mode (above): cap must then stay open until
 * rs_parallel_finish, which stops the threads' readers, has returned; if
 * the caller stopped reading early (rs_capture_stop), the threads stop
 * there too (a thread that had read further, at most 64k frames, keeps
 * those frames).
 */
struct rs_capture;
uint64_t rs_parallel_feed(struct rs_parallel *p, struct rs_capture *cap,
                          const struct rs_packet *first, void (*tick)(void *ctx), void *ctx);

/*
 * Records formatted in the threads that produce them, not in the calling
 * thread: `fmt` writes record r as bytes into out (room for `cap` bytes,
 * RS_PARALLEL_FORMAT_MAX) and returns their length, or 0 to leave the
 * record out; it runs in the thread of the engine that ended the session
 * (or, for the records of a thread that has fallen behind the calling one,
 * in the calling thread, as worker 0), several at once, and `worker`
 * (0..nthreads-1) says which thread runs it, so that each can use state of
 * its own (rs_writer_open_mem). `out` then receives the
 * bytes in the calling thread, in the order the records would have been
 * delivered, instead of rs_parallel_new's `fn`. Call before the first
 * frame: 0, or RS_ERR_USAGE.
 */
#define RS_PARALLEL_FORMAT_MAX ((size_t)64 << 10)
typedef size_t (*rs_parallel_format_fn)(const struct rs_record *r, unsigned worker, char *out,
                                        size_t cap, void *user);
typedef void (*rs_parallel_bytes_fn)(const char *bytes, size_t len, void *user);
int rs_parallel_set_format(struct rs_parallel *p, rs_parallel_format_fn fmt,
                           rs_parallel_bytes_fn out, void *user);

/* Ends every open session at the last packet time, delivers every record
 * and stops the workers. Call once, before rs_parallel_stats. */
void rs_parallel_finish(struct rs_parallel *p);

/* The workers' statistics added up (after rs_parallel_finish). */
void rs_parallel_stats(const struct rs_parallel *p, struct rs_engine_stats *out);

/* Stops the workers if still running and frees everything; NULL allowed. */
void rs_parallel_free(struct rs_parallel *p);

#endif
