/*
 * capture_int.h - internals shared by the files of src/capture/.
 *
 * A struct rs_capture is a list of inputs plus a binary min-heap over the
 * inputs that hold a pending packet (the k-way merge). Each input reads one
 * packet ahead; the packet's bytes stay in that input's buffer (libpcap's or
 * the pcapng reader's) until the same input is read again, which happens at
 * the start of the following rs_capture_next, so no packet is copied.
 */
#ifndef RS_CAPTURE_INT_H
#define RS_CAPTURE_INT_H

#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>

#include <rstscope/capture.h>

/* ---- a capture file mapped whole, read front to back (mapping.c) ---- */

#define RS_MAP_WINDOW ((uint64_t)2 << 20) /* populated ahead, dropped behind, at a time */
#define RS_MAP_STREAM ((uint64_t)8192)    /* bytes streamed into the cache ahead */
/* Kept mapped behind the reader: the frames a caller still holds (the
 * engine's feed loop keeps up to 72 taken frames, which the next batch
 * must not drop; a dropped page read again is faulted back in, a 2 MiB
 * page where the file's page cache has them, and stayed so until the
 * end: +60 MB of RSS on the 3.5M capture). */
#define RS_MAP_KEEP ((uint64_t)4 << 20)

/* For tests: pages dropped behind the reader are also made unreadable, so
 * that a read of them faults instead of quietly mapping them back. */
extern int rs_mapping_guard;

struct rs_mapping {
    uint8_t *base;      /* PROT_READ, MAP_PRIVATE, never written through; NULL: none */
    uint64_t size;      /* of the file when it was mapped */
    uint64_t populated; /* page tables filled up to here */
    uint64_t discarded; /* pages dropped below here */
    uint64_t pf;        /* streamed into the cache up to here */
    void *old;          /* a mapping given up (the file shrank), kept until close */
    uint64_t old_size;
    uint64_t keep;  /* kept mapped behind the reader (RS_MAP_KEEP; rs_capture_hold_mapped) */
    uint64_t floor; /* nothing at or above it is dropped (UINT64_MAX: none): other threads' */
    uint64_t held;  /* ... the same for the frames the caller holds (rs_capture_next_batch) */
};

/* Reads up to n bytes at file offset off, retrying short reads and
 * EINTR: the bytes read (fewer only at the end of the file), or -1. */
ssize_t rs_pread_full(int fd, uint8_t *dst, size_t n, uint64_t off);

/*
 * Maps the regular file on fd (`size` bytes) when `mode` > 0, or when
 * mode == 0 and mapping measures cheaper than copying (mapping.c): 1, the
 * file is in mp->base; 0, it is not (read it another way).
 */
int rs_mapping_open(struct rs_mapping *mp, int fd, uint64_t size, int mode);

/* The reader is at file offset `off`: populates ahead, drops behind.
 * 0, or -1 when the file is now shorter than the mapping: the caller must
 * read on from `off` another way, after rs_mapping_retire. */
int rs_mapping_advance(struct rs_mapping *mp, int fd, uint64_t off);

/* Gives the mapping up for reading, keeping it until rs_mapping_close (what
 * was returned from it stays readable). */
void rs_mapping_retire(struct rs_mapping *mp);

void rs_mapping_close(struct rs_mapping *mp);

/* 1 when rs_mapping_advance has work at `off` (a couple of compares). */
static inline int
rs_mapping_due(const struct rs_mapping *mp, uint64_t off)
{
    return mp->base && ((off + RS_MAP_WINDOW > mp->populated && mp->populated < mp->size) ||
                        off >= mp->discarded + mp->keep + 2 * RS_MAP_WINDOW);
}

/* The bytes from `off` to RS_MAP_STREAM past it (at most `end`) into the
 * cache a line at a time, so that the parse, and the lookahead's decode a
 * few frames on, find them there as they find a block just copied. */
static inline void
rs_mapping_stream(struct rs_mapping *mp, uint64_t off, uint64_t end)
{
    uint64_t pf = mp->pf > off ? mp->pf : off & ~(uint64_t)63;
    if (off + RS_MAP_STREAM < end)
        end = off + RS_MAP_STREAM;
    for (; pf < end; pf += 64)
        __builtin_prefetch(mp->base + pf);
    mp->pf = pf;
}

/*
 * The record-header chase of a mapped file (mmap.c explains it), shared by
 * the classic pcap and pcapng readers: `at` is the window offset of the
 * next record whose header the chase reads, `lead` how many records it is
 * ahead of the frames the caller has processed.
 */
#define RS_CHASE_LEAD 160u

struct rs_chase {
    size_t at;
    unsigned lead;
};

/* One frame processed by the caller, the parse at window offset lo: the
 * records to chase now (2 until the lead is RS_CHASE_LEAD, then 1), from
 * c->at. A chase the parse overtook starts again from lo. */
static inline unsigned
rs_chase_begin(struct rs_chase *c, size_t lo)
{
    if (c->at < lo) {
        c->at = lo;
        c->lead = 0;
    } else if (c->lead) {
        c->lead--;
    }
    return c->lead < RS_CHASE_LEAD ? 2 : 1;
}

/* The chase reached the record at window offset `at` (a record further):
 * its header and first bytes start loading. */
static inline void
rs_chase_reach(struct rs_chase *c, const uint8_t *win, size_t at)
{
    c->at = at;
    c->lead++;
    __builtin_prefetch(win + at);
    __builtin_prefetch(win + at + 64);
}

/* The end of what a chase may read in a mapped window of `hi` bytes: only
 * the populated part, whose pages are in the file as it was checked. */
static inline size_t
rs_chase_end(const struct rs_mapping *mp, size_t hi)
{
    return mp->populated < hi ? (size_t)mp->populated : hi;
}

/* ---- pcapng reader (pcapng.c) ---- */

struct rs_ng_iface {
    uint32_t linktype;
    uint32_t snaplen;
    int base2;          /* if_tsresol is a power of two */
    uint8_t exp;        /* if_tsresol exponent: units are 10^-exp or 2^-exp s */
    uint64_t units;     /* 10^exp (base 10 only) */
    int64_t tsoffset_s; /* if_tsoffset, seconds */
};

struct rs_ng {
    FILE *fp;
    int big_endian; /* byte order of the current section */
    int swapped;    /* ... differs from this host's */
    struct rs_ng_iface *ifs;
    uint32_t nifs, capifs;
    uint8_t *win; /* the window (pcapng.c): win[lo, hi) not consumed yet */
    size_t lo, hi, cap;
    int eof;            /* the stream has no more bytes */
    int regular;        /* a regular file: read in big chunks (else a block at a time) */
    int piped;          /* not regular, fp's buffer taken: read(2) as the data comes (stream.c) */
    uint8_t *blk;       /* the block taken last; packet data points into it */
    uint64_t offset;    /* bytes consumed from the stream */
    rs_time_ns last_ts; /* for Simple Packet Blocks, which have none */
    uint32_t first_linktype;
    int have_iface; /* an IDB has been read */
    int has_nflog;  /* an NFLOG interface: its frames may need their TLVs swapped */
    /* mapped (mp.base): the window is the whole file, win[0] at offset 0 */
    struct rs_mapping mp;
    struct rs_chase ch; /* mapped: rs_ng_chase */
    uint8_t *scratch;   /* mapped: an NFLOG frame swapped out of the read-only mapping */
    size_t scratch_cap;
    char err[256];
};

/*
 * Starts reading a pcapng stream whose first 4 bytes (the SHB block type)
 * were already consumed and are given in `magic`. Reads the section header
 * and every block up to the first Interface Description Block. Returns 0 or
 * -1 with r->err set. Does not take ownership of fp. A regular file read
 * from its start is mapped (rs_mapping_open with `map_mode`: 1 always, -1
 * never, 0 as measured) instead of read through fp.
 */
int rs_ng_open(struct rs_ng *r, FILE *fp, const uint8_t magic[4], int map_mode);

/* 1: packet in *pkt (number not set); 0: clean end; -1: damage, r->err says why.
 * May read on, which ends the data of the packets returned before. */
int rs_ng_next(struct rs_ng *r, struct rs_packet *pkt);

/* Up to max packets whose blocks are whole in what was read already (never
 * reads: their data stays valid together until the next rs_ng_next); stops
 * at metadata or anything damaged, which rs_ng_next then takes. */
size_t rs_ng_next_batch(struct rs_ng *r, struct rs_packet *pkts, size_t max);
/* One frame processed by the caller: the block chase moves on (rs_capture_chase). */
void rs_ng_chase(struct rs_ng *r);

void rs_ng_close(struct rs_ng *r);

/* ---- classic pcap fast path (mmap.c) ---- */

struct rs_mm {
    /* The window: win[lo, hi) holds unread bytes; win[0] is at file offset win_off. */
    const uint8_t *win;
    size_t lo, hi;
    uint64_t win_off;
    int eof; /* nothing more beyond hi */
    /* block window */
    int fd;     /* our own descriptor (dup) */
    int stream; /* fd is a pipe: read(2) as the data comes, not pread (rs_mm_open_stream) */
    uint8_t *buf;
    /* mapped window (mp.base: the window is the whole file) */
    struct rs_mapping mp;
    /* the file */
    int swapped;      /* file byte order differs from this host's */
    int ns;           /* nanosecond magic */
    int64_t frac_ns;  /* ns per fraction unit: 1 or 1000 */
    uint32_t snaplen; /* as libpcap adjusts it */
    uint32_t linktype;
    /* blocks shared with other threads' readers (rs_mm_follow) */
    uint64_t gen;            /* blocks this reader has filled or taken */
    struct rs_mm_ring *ring; /* NULL: the block is this reader's own */
    unsigned follower;       /* index among the ring's followers, when one */
    int follows;             /* takes its blocks from the ring, reads nothing */
    /* lookahead cursor (rs_mm_lookahead): the frame at file offset la_abs
     * is la_depth frames ahead (1 = the next one rs_mm_next returns) */
    uint64_t la_abs;
    unsigned la_depth;
    size_t la_len;      /* length of the record at la_abs when known, else 0 */
    struct rs_chase ch; /* mapped: rs_mm_chase */
    char err[160];
};

/*
 * Takes the classic pcap file open on fd, whose header starts at byte
 * `start`, reading it by blocks (mode -1), through one mapping (1), or
 * either as measured (0: see mmap.c).
 * 0: ready, read it with rs_mm_next; 1: this file is for libpcap (not a
 * regular file, or a variant of the format the fast path does not model),
 * nothing held. The caller keeps fd and may close it at once.
 */
int rs_mm_open(struct rs_mm *m, int fd, uint64_t start, int mode);

/*
 * Takes the classic pcap stream on fp, a pipe or other descriptor that
 * cannot seek, whose 4 bytes of magic were read through fp already: reads
 * on from what fp holds and then its descriptor (stream.c), in blocks, as
 * far as the parse needs each time. 0: ready, as rs_mm_open's; 1: for
 * libpcap (a variant the fast path does not model, a header cut short, or
 * a FILE whose buffer cannot be taken), with every byte consumed from fp,
 * the magic first, in *taken / *ntaken (valid until rs_mm_close, which the
 * caller then calls). The caller keeps fp.
 */
int rs_mm_open_stream(struct rs_mm *m, FILE *fp, const uint8_t magic[4], const uint8_t **taken,
                      size_t *ntaken);

/* 1: packet in *pkt (number not set; data valid until the next call);
 * 0: clean end; -1: damage, m->err says why in libpcap's words. */
int rs_mm_next(struct rs_mm *m, struct rs_packet *pkt);

/* rs_mm_next_whole up to `max` times: the records whole in the block
 * window, parsed in one loop; never reads. Returns how many (number not set). */
size_t rs_mm_next_batch(struct rs_mm *m, struct rs_packet *pkts, size_t max);
/* One frame processed by the caller: the header chase moves on a record
 * (rs_capture_chase). */
void rs_mm_chase(struct rs_mm *m);

/* rs_mm_next's common case alone: 1 with *pkt filled when the next record
 * is well-formed and whole in the block window, else 0 with nothing done
 * (rs_mm_next then handles it: a refill, the end, damage). */
int rs_mm_next_whole(struct rs_mm *m, struct rs_packet *pkt);

/* The record `ahead` (>= 1) after the last one returned, if already in the
 * window and plausible: 1 and *pkt filled (number 0), else 0. */
int rs_mm_peek(const struct rs_mm *m, unsigned ahead, struct rs_packet *pkt);
/* rs_mm_peek at a fixed depth, amortised O(1) when called once per frame. */
int rs_mm_lookahead(struct rs_mm *m, unsigned depth, struct rs_packet *pkt);

/* File offset of the next record. */
uint64_t rs_mm_offset(const struct rs_mm *m);

/*
 * Makes f, just opened on the same file as p, a follower of p: from then
 * on f reads nothing itself but parses the blocks p reads, in another
 * thread (p keeps RS_MM_RING blocks and reuses one only when every
 * follower has moved past it). p must read in blocks and have read at
 * most one; f is closed before p is gone (the blocks live until the last
 * of them is closed). 0, or -1 with f unchanged (f then reads alone).
 */
int rs_mm_follow(struct rs_mm *f, struct rs_mm *p);

void rs_mm_close(struct rs_mm *m);

/* ---- pipes (stream.c) ---- */

/*
 * Moves the bytes fp has read ahead into its buffer (read from the
 * descriptor, not yet handed out) to dst, at most max: their count, or -1
 * when that cannot be known (not glibc, bytes pushed back by ungetc) or
 * they do not fit; then nothing is taken. Afterwards the descriptor reads
 * on exactly where the FILE would have.
 */
ssize_t rs_stdio_take(FILE *fp, uint8_t *dst, size_t max);

/*
 * read(2) into dst until at least min bytes (1 <= min <= max) or the end
 * of the stream, each read asking for all of max that is left: the bytes
 * read (fewer than min only at the end), or -1 (errno set). max 0 reads
 * nothing and returns 0.
 */
ssize_t rs_read_some(int fd, uint8_t *dst, size_t min, size_t max);

/* Makes the pipe on fd hold 1 MiB instead of 64 KiB, when it is a pipe and
 * the system allows it; fewer turns between writer and reader. */
void rs_pipe_grow(int fd);

/* ---- compressed captures (decompress.c) ---- */

enum { RS_UNZIP_GZIP = 1, RS_UNZIP_ZSTD = 2 };
struct rs_unzip;

/* RS_UNZIP_GZIP or RS_UNZIP_ZSTD when the 4 bytes at m start a gzip
 * member or a zstd frame, else 0. */
int rs_unzip_magic(const uint8_t m[4]);

/*
 * Starts decompressing src (whose first 4 bytes, its magic, were read and
 * are given) in a thread: returns the read end of a pipe carrying the
 * decompressed bytes, as a FILE, and the handle in *out; NULL when it
 * cannot start (src untouched). From then on src is the thread's, closed
 * by rs_unzip_finish unless src_stdin.
 */
FILE *rs_unzip_start(struct rs_unzip **out, FILE *src, int src_stdin, const uint8_t magic[4]);
/* What was wrong with the compressed data, once the thread has ended the
 * pipe (the reader saw its end), else NULL: "gzip: ... at compressed byte N". */
const char *rs_unzip_error(const struct rs_unzip *u);
/* Compressed bytes read so far (for progress against the file's size). */
uint64_t rs_unzip_consumed(const struct rs_unzip *u);
/* "gzip" or "zstd". */
const char *rs_unzip_name(const struct rs_unzip *u);
/* After the pipe's read end is closed: waits for the thread, closes src
 * (unless stdin), frees u. 0, or -1 with the data's fault in why. */
int rs_unzip_finish(struct rs_unzip *u, char *why, size_t len);

/* ---- replayed stream (replay.c) ---- */

/*
 * A read-only FILE that first yields the n bytes of `head` and then reads
 * from `fp`: hands libpcap a pipe whose magic we already read. Closing it
 * fcloses fp unless fp is stdin. NULL on failure (fp untouched).
 */
FILE *rs_replay_open(FILE *fp, const uint8_t *head, size_t n);

/* ---- the capture handle ---- */

enum rs_input_kind {
    RS_IN_PCAP,   /* libpcap offline */
    RS_IN_PCAPNG, /* own pcapng reader */
    RS_IN_LIVE,   /* libpcap live */
};

struct rs_input {
    char *path;       /* as given */
    const char *name; /* for messages: path, or "stdin" */
    enum rs_input_kind kind;
    const char *format;
    pcap_t *p; /* RS_IN_PCAP, RS_IN_LIVE */
    struct rs_ng ng;
    int mapped; /* RS_IN_PCAP read by the fast path (mm, mmap.c), not libpcap */
    struct rs_mm mm;
    int seekable; /* ftell works on the stream */
    int is_stdin;
    int ts_scale; /* nanoseconds per libpcap fraction unit: 1 or 1000 */
    uint32_t linktype;
    uint64_t size;
    uint64_t offset;  /* last known; estimated when not seekable */
    unsigned rec_hdr; /* libpcap, not seekable: a record header's size on disk (24: Kuznetzov) */
    struct rs_unzip *unzip;  /* a compressed file: decompressed by a thread into a pipe */
    int unzip_stdin;         /* ... read from stdin */
    const char *compression; /* "gzip", "zstd", or NULL */
    char unzip_err[200];     /* the compressed data's fault, set when the input is released */
    uint64_t records, packets;
    int done, damaged;
    struct rs_packet cur;     /* the pending packet */
    int hold;                 /* rs_capture_hold_mapped: the mapping outlives the input's end */
    struct rs_mapping parked; /* ... here, until rs_capture_unhold or the close */
};

struct rs_filter {
    uint32_t linktype;
    int ok;
    int noted; /* a "cannot apply" note was written */
    struct bpf_program prog;
    char msg[PCAP_ERRBUF_SIZE];
};

#define RS_CAPTURE_MAX_NOTES 1024
#define RS_CAPTURE_MAX_FILTERS 64

struct rs_capture {
    struct rs_input *in;
    size_t nin;
    size_t *heap; /* input indexes with a pending packet, min-heap on (ts, index) */
    size_t nheap;
    int started;
    int have_last;
    size_t last;
    char *filter;                /* NULL: none */
    struct rs_capture_opts opts; /* as opened (filter: the copy above), for rs_capture_reopen */
    int by_path;                 /* every input was opened by its path (rs_capture_open) */
    uint64_t returned;           /* frames rs_capture_next returned */
    struct rs_filter filters[RS_CAPTURE_MAX_FILTERS];
    size_t nfilters;
    char **notes;
    size_t nnotes;
    volatile sig_atomic_t stop;
    int live;
    int live_fd; /* pollable descriptor, or -1 */
    int live_timeout_ms;
    pcap_dumper_t *dumper;
    char *dump_path;
};

struct rs_capture *rs_capture_alloc(size_t n, const struct rs_capture_opts *opts);

/* Appends a note (printf-style); silently capped at RS_CAPTURE_MAX_NOTES. */
void rs_capture_note(struct rs_capture *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Records that input `in` stops here because of `why` (a libpcap or reader message). */
void rs_capture_damage_input(struct rs_capture *c, struct rs_input *in, const char *why);

/* Compiled filter for a link type (compiled on first use); NULL when the cache is full. */
struct rs_filter *rs_capture_filter_for(struct rs_capture *c, uint32_t linktype);

/* 1 if pkt passes the capture's filter (always when there is none). */
int rs_capture_filter_pass(struct rs_capture *c, const struct rs_packet *pkt);

/*
 * Zero-copy hand-over of frames to other threads (parallel.c): for a
 * capture of one file (classic pcap or pcapng) read through its mapping,
 * keeps `keep` bytes (at least RS_MAP_KEEP) mapped behind the reader, keeps
 * the mapping after the input's end until rs_capture_unhold, sets *base and
 * *size to the mapping, and returns 1. A frame whose bytes lie in it stays
 * readable until the reader's position (rs_capture_mapped_pos, before a
 * read) is `keep` bytes past it; other frames (a pcapng NFLOG frame swapped
 * in a copy, frames read into a block after the file shrank) live in
 * buffers that the next read may reuse. 0 otherwise (nothing held).
 */
int rs_capture_hold_mapped(struct rs_capture *c, uint64_t keep, const uint8_t **base,
                           uint64_t *size);
/* The reader's offset in the held mapping, or UINT64_MAX once it reads no
 * more from it (it dropped nothing since, nor will). */
uint64_t rs_capture_mapped_pos(const struct rs_capture *c);
/* Nothing of the held mapping at or above offset `off` is dropped until
 * the next call (UINT64_MAX: no floor): the oldest frame other threads
 * still read, whatever a read does (a filter may make one read go far). */
void rs_capture_hold_floor(struct rs_capture *c, uint64_t off);
/* Ends rs_capture_hold_mapped: RS_MAP_KEEP again, and a mapping kept past
 * the input's end (or a damaged record) is unmapped. */
void rs_capture_unhold(struct rs_capture *c);
/* 1 while the capture is one file read through its mapping (a file that
 * shrank under it is read into a block from there on). */
int rs_capture_still_mapped(const struct rs_capture *c);

/* Offline and live halves of rs_capture_next. */
int rs_capture_next_offline(struct rs_capture *c, struct rs_packet *pkt);
int rs_capture_next_live(struct rs_capture *c, struct rs_packet *pkt);

/* Releases the reader of one input (not its path). */
void rs_input_release(struct rs_input *in);

/* LINKTYPE_* (file) <-> DLT_* (this platform's libpcap API) */
uint32_t rs_dlt_to_linktype(int dlt);
int rs_linktype_to_dlt(uint32_t linktype);

/* pcap_pkthdr time -> ns (scale: ns per fraction unit), saturated at the
 * int64 limits: libpcap hands pcapng time stamps over as a timeval whose
 * seconds can be anything (the pipeline fuzzer's find: 16,746,744,036 s),
 * and the engine clamps times further (engine.c, clamp_ts). */
static inline rs_time_ns
rs_pcap_ts(const struct timeval *tv, int scale)
{
    int64_t sec, frac, ns;
    if (__builtin_mul_overflow((int64_t)tv->tv_sec, (int64_t)RS_NS_PER_SEC, &sec))
        return tv->tv_sec < 0 ? INT64_MIN : INT64_MAX;
    if (__builtin_mul_overflow((int64_t)tv->tv_usec, (int64_t)scale, &frac) ||
        __builtin_add_overflow(sec, frac, &ns))
        return (tv->tv_usec < 0) != (scale < 0) ? INT64_MIN : INT64_MAX;
    return ns;
}

#endif
