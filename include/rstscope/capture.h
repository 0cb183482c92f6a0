/*
 * rstscope/capture.h - reading packets from capture files and interfaces,
 * and writing pcap files.
 *
 * This is the only module that talks to libpcap; everything below it sees
 * `struct rs_packet`. A capture is an opaque handle with an _open/_close
 * pair, like a pcap_t.
 *
 * Offline input: one or more files ('-' is stdin, at most once), each a
 * classic pcap (microsecond or nanosecond magic, either byte order) or a
 * pcapng file, either of them possibly compressed with gzip or zstd
 * (recognised by its magic, decompressed by a thread into a pipe:
 * src/capture/decompress.c). A classic pcap file (a regular file) is parsed
 * in place in big blocks or one mapping (src/capture/mmap.c), with
 * libpcap's exact rules for damaged records; stdin and pipes by the same
 * parser on blocks read as the data comes (src/capture/stream.c); rare
 * variants of the format are read by libpcap (`opts.pcap_via_libpcap`
 * forces libpcap for every classic file, for cross-checks). pcapng is read by rstscope's
 * own reader (src/capture/pcapng.c) because libpcap 1.10 gives up on a pcapng
 * file as soon as an interface has a link type or snapshot length different
 * from the first interface's ("an interface has a type 101 different from the
 * type of the first interface"), which would lose every later packet of a
 * `dumpcap -i eth0 -i tun0` capture. The own reader gives each packet the
 * LINKTYPE_* of its interface, honours if_tsresol and if_tsoffset, accepts
 * several sections and either byte order. `opts.pcapng_via_libpcap` switches
 * pcapng back to libpcap (for cross-checks).
 *
 * Several files are merged into one stream in timestamp order (a k-way merge
 * of each file's next packet; ties go to the file given first). Within one
 * file, packets keep their file order even if their timestamps go backwards.
 *
 * Damage is data, not an error: when a file turns out truncated or corrupt
 * in the middle (short record, bad block length, impossible caplen, ...), the
 * packets before the damage are all returned, a one-line note is recorded
 * ("x.pcap: truncated after packet 1234: ..."), reading of that file stops and
 * the other files go on. rs_capture_next never fails on offline input.
 *
 * Messages (struct rs_error and damage notes) name the file but carry no
 * program-name prefix: the CLI prints "rstscope: " in front.
 */
#ifndef RSTSCOPE_CAPTURE_H
#define RSTSCOPE_CAPTURE_H

#include <stdio.h>

#include <rstscope/common.h>
#include <rstscope/packet.h>

/* Return values of rs_capture_next (negative values are enum rs_err). */
#define RS_CAPTURE_END 0     /* no more packets: all input read, or stopped */
#define RS_CAPTURE_PACKET 1  /* *pkt was filled */
#define RS_CAPTURE_TIMEOUT 2 /* live only: no packet within timeout_ms; call again */

/* The snapshot length used for live capture and written into pcap files. */
#define RS_CAPTURE_SNAPLEN 262144

/* All fields may be left zero for defaults. */
struct rs_capture_opts {
    /*
     * BPF filter expression (pcap-filter(7)), NULL or "" for none. Offline,
     * it is compiled once per link type met and applied by rstscope with
     * pcap_offline_filter, so that pkt->number still counts every frame of
     * the file (as Wireshark numbers them). Live, it is set in the kernel.
     */
    const char *filter;
    int pcapng_via_libpcap; /* read pcapng with libpcap (single link type only) */
    int pcap_via_libpcap;   /* read classic pcap files with libpcap, not the fast path */
    /*
     * How rstscope's own readers (classic pcap's fast path, pcapng) read a
     * regular file: 1 through one mapping of the whole file, -1 by reads
     * into a buffer, 0 (the default) as measured when the file is opened:
     * mapped where mapping costs less than copying (most machines; not
     * virtual machines with shadow paging) and the file is large (32 MiB
     * or more) and was not modified in the last 10 seconds, else read.
     * The frames are the same either way. rs_capture_follow shares a
     * reader's blocks only when it reads; a follower of a mapped file maps
     * it for itself. (rs_parallel_feed hands a mapped file's frames to its
     * threads where they are: parallel.h.)
     */
    int pcap_mmap;
    /* Live capture only. */
    int snaplen;    /* 0: RS_CAPTURE_SNAPLEN */
    int timeout_ms; /* 0: 100 */
    int promisc;    /* put the interface in promiscuous mode */
};

struct rs_capture;

/*
 * Opens `n` capture files. Every file is opened and checked up front (magic,
 * header, filter compiles for its link type), so a usage or input problem is
 * reported before any packet is read.
 * Errors: RS_ERR_USAGE (n == 0, '-' twice, bad filter expression),
 * RS_ERR_INPUT (unreadable, not a capture: "x.txt: not a pcap or pcapng file
 * (unknown magic 0x68656c6c "hell")", bad header), RS_ERR_NOMEM.
 * The paths are copied.
 */
struct rs_capture *rs_capture_open(const char *const *paths, size_t n,
                                   const struct rs_capture_opts *opts, struct rs_error *err);

/*
 * Opens the inputs of `c` again, from their start, with the same options
 * (filter and readers): a second reader independent of the first, which
 * gives the same frames in the same order as long as the files do not
 * change. rs_parallel_feed uses it so that each worker thread reads the
 * capture itself. Errors: RS_ERR_USAGE (a live capture, a stream, stdin),
 * RS_ERR_INPUT (a file can no longer be opened), RS_ERR_NOMEM.
 */
struct rs_capture *rs_capture_reopen(const struct rs_capture *c, struct rs_error *err);

/*
 * rs_capture_reopen for another thread that reads alongside c: the same
 * frames in the same order, but a classic pcap file that c reads in
 * blocks (opts.pcap_mmap -1, or 0 when the measure chose blocks) is read
 * from the file once: the follower parses the blocks c has read (a file c
 * maps, the follower maps and reads alone). c keeps the last 8 blocks (4 MiB) and waits before
 * reusing one that a follower has not finished; a follower waits for c to
 * read the next. So c and each follower must be read by different
 * threads, and a follower closed before c. Other inputs (pcapng, files
 * libpcap reads) are opened again. Call it before c has returned its
 * second frame. Errors: as rs_capture_reopen, and RS_ERR_USAGE when c has
 * read further.
 */
struct rs_capture *rs_capture_follow(struct rs_capture *c, struct rs_error *err);

/* 1 if every input of the follower `f` parses the blocks its capture reads
 * (so f reads nothing from the files itself), 0 if it reads some itself. */
int rs_capture_shares_blocks(const struct rs_capture *f);

/*
 * Opens one capture from an already open stream, e.g. fmemopen() in a fuzzer.
 * The capture owns `fp` from then on (also on failure) and fcloses it, unless
 * it is stdin. `name` is used in messages.
 */
struct rs_capture *rs_capture_open_stream(FILE *fp, const char *name,
                                          const struct rs_capture_opts *opts, struct rs_error *err);

/*
 * Opens a live capture on `iface` (immediate mode, snaplen 262144, a 100 ms
 * read timeout, nanosecond time stamps where the platform has them).
 * Errors: RS_ERR_PERM when capturing needs privileges we lack (the message
 * says to run as root or grant the capability with setcap), RS_ERR_INPUT (no
 * such interface, interface down, other libpcap failures), RS_ERR_USAGE (bad
 * filter), RS_ERR_NOMEM.
 */
struct rs_capture *rs_capture_open_live(const char *iface, const struct rs_capture_opts *opts,
                                        struct rs_error *err);

/*
 * Reads the next packet. Returns RS_CAPTURE_PACKET and fills *pkt,
 * RS_CAPTURE_END when every input is exhausted (or after rs_capture_stop),
 * RS_CAPTURE_TIMEOUT (live only) when the read timeout passed without a
 * packet or a signal interrupted the wait: call again. Offline input never yields a negative value (damage becomes a note
 * and the end of that file). Live capture returns RS_ERR_INPUT when libpcap
 * fails (e.g. the interface went away); the reason is the last damage note.
 *
 * pkt->data is borrowed: valid until the next rs_capture_next or close.
 * pkt->number is the 1-based frame number within its own file, counting
 * frames the filter rejected. pkt->linktype is a LINKTYPE_* value (not a
 * platform DLT_* value): for pcapng, that of the packet's interface.
 */
int rs_capture_next(struct rs_capture *c, struct rs_packet *pkt);

/*
 * Up to `max` next frames at once into pkts[0..n), as n calls of
 * rs_capture_next would give them, for read loops that look ahead
 * (rs_engine_feed). Without `may_read`, only frames already whole in
 * memory (a classic pcap file read in blocks, the only input): 0 when
 * there are none, and the frames of earlier calls stay valid. With
 * `may_read`, when there are none it reads on, as rs_capture_next does
 * (1 frame, or 0 at the end or on a live capture's timeout), which ends
 * the validity of every frame returned before. Frames' data is valid until
 * the next rs_capture_next, or rs_capture_next_batch with may_read.
 */
size_t rs_capture_next_batch(struct rs_capture *c, struct rs_packet *pkts, size_t max,
                             int may_read);

/*
 * A hint from a read loop that takes frames ahead of processing them
 * (rs_capture_next_batch): call it once for every frame processed. A
 * mapped file (classic pcap or pcapng) then has its record headers and the
 * first bytes of each frame loaded into the cache ahead of the parse, and not
 * the rest of each frame (its payload), which is what streaming the file
 * would load. Nothing else changes; any other input ignores it.
 */
void rs_capture_chase(struct rs_capture *c);

/*
 * Lookahead for prefetching (rs_engine_prefetch), not for analysis: the
 * frame `ahead` (1 or 2) positions after the last one returned, when it can
 * be seen without reading (a single classic pcap file on the fast path,
 * the record already in memory). Returns 1 and fills *pkt (data valid until
 * the next rs_capture_next; number 0; the filter not applied), else 0.
 */
int rs_capture_peek(const struct rs_capture *c, unsigned ahead, struct rs_packet *pkt);

/*
 * rs_capture_peek at a fixed `depth` (any, typically 4-16), amortised O(1)
 * when called once per frame returned: a cursor remembers where the last
 * call stopped. Same conditions and result as rs_capture_peek.
 */
int rs_capture_lookahead(struct rs_capture *c, unsigned depth, struct rs_packet *pkt);

/* Index (into the paths given to open) of the file the last packet came from. */
size_t rs_capture_current_file(const struct rs_capture *c);

/* Number of inputs (1 for live). */
size_t rs_capture_file_count(const struct rs_capture *c);

struct rs_capture_file_info {
    const char *path;   /* as given ("-" for stdin, the interface for live) */
    const char *format; /* "pcap", "pcap-ns", "pcapng", "live" */
    uint32_t linktype;  /* LINKTYPE_* of the file (pcapng: first interface) */
    uint64_t records;   /* frames read so far: the last frame number */
    uint64_t packets;   /* frames returned (passed the filter) */
    uint64_t offset;    /* bytes of the file consumed so far */
    uint64_t size;      /* file size, 0 if unknown (pipe, live) */
    int damaged;        /* reading stopped early; see rs_capture_damage */
    int done;           /* no more packets will come from this file */
    /* "gzip" or "zstd" when the file is compressed (read through a thread
     * that decompresses it; offset and size then count compressed bytes),
     * else NULL. */
    const char *compression;
};

/* Fills *out for input i; RS_ERR_USAGE if i is out of range. Strings live until close. */
int rs_capture_file_info(const struct rs_capture *c, size_t i, struct rs_capture_file_info *out);

/*
 * Progress over all files for a progress bar: bytes consumed and total bytes
 * (total 0 when some input has an unknown size, e.g. a pipe). Costs a few
 * system calls: call it every few thousand packets, not for each one.
 */
void rs_capture_progress(const struct rs_capture *c, uint64_t *done, uint64_t *total);

/*
 * Damage and warning notes, oldest first, one line each. Copies up to `max`
 * pointers into msgs (which may be NULL when max is 0) and returns the total
 * number of notes. The strings live until rs_capture_close.
 */
size_t rs_capture_damage(const struct rs_capture *c, const char **msgs, size_t max);

/*
 * Makes the capture end: the current or next rs_capture_next returns
 * RS_CAPTURE_END. Async-signal-safe (a flag and pcap_breakloop), so it may be
 * called from a SIGINT handler.
 */
void rs_capture_stop(struct rs_capture *c);

struct rs_capture_stats {
    uint64_t received;   /* live: packets the kernel handed to the filter; offline: frames read */
    uint64_t dropped;    /* live: dropped for lack of buffer space */
    uint64_t if_dropped; /* live: dropped by the interface or driver, where known */
    uint64_t returned;   /* frames rs_capture_next has returned (passed the filter) */
};

/* Live: pcap_stats (counters are 32-bit and wrap on some platforms). Offline: frames read. */
int rs_capture_stats(struct rs_capture *c, struct rs_capture_stats *st, struct rs_error *err);

/*
 * Live only: also write every captured packet (after the kernel filter) to the
 * pcap file `path` ("-" for stdout), with the capture's time stamp precision.
 * A later write failure becomes a damage note and stops the dump, not the
 * capture. Errors: RS_ERR_USAGE (offline capture or already dumping),
 * RS_ERR_OUTPUT.
 */
int rs_capture_dump_to(struct rs_capture *c, const char *path, struct rs_error *err);

/* Closes every file (and the dump file); NULL is allowed. */
void rs_capture_close(struct rs_capture *c);

/*
 * Link type names, for messages: libpcap's short name ("EN10MB", "RAW",
 * "LINUX_SLL2") or NULL if libpcap does not know the value.
 */
const char *rs_capture_linktype_name(uint32_t linktype);

/* Writes "EN10MB (Ethernet)" or "147 (unknown)" into buf; returns strlen. */
size_t rs_capture_linktype_format(uint32_t linktype, char *buf, size_t len);

/*
 * pcap writer (pcap_open_dead + pcap_dump_open): the project's packet writer
 * for lab, golden tests and generators. One link type per file; the
 * snapshot length written is RS_CAPTURE_SNAPLEN and records are written as
 * given (a caplen above it makes a file that readers treat as damaged, which
 * is how tests make one).
 */
struct rs_pcap_writer;

/*
 * `linktype` is a LINKTYPE_* value; `nanosecond` selects the nanosecond
 * magic (else microseconds: time stamps are truncated). "-" writes to stdout
 * (which close then closes). Errors: RS_ERR_OUTPUT (cannot create), RS_ERR_USAGE
 * (a link type libpcap cannot write), RS_ERR_NOMEM.
 */
struct rs_pcap_writer *rs_pcap_writer_open(const char *path, uint32_t linktype, int nanosecond,
                                           struct rs_error *err);

/*
 * Appends one record: pkt->ts, caplen, len and data (linktype and number are
 * ignored; len 0 means caplen). Returns 0, or RS_ERR_OUTPUT once a write has
 * failed (the reason comes from rs_pcap_writer_close).
 */
int rs_pcap_writer_write(struct rs_pcap_writer *w, const struct rs_packet *pkt);

/* Flushes and closes; RS_ERR_OUTPUT if any write or the flush failed. NULL is allowed. */
int rs_pcap_writer_close(struct rs_pcap_writer *w, struct rs_error *err);

#endif
