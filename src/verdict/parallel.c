/*
 * parallel.c - one engine per worker thread, sessions sharded by a
 * symmetric hash of the outermost IP address pair (see parallel.h for the
 * contract).
 *
 * Design, pull mode (rs_parallel_feed with a capture of files, the CLI's
 * case since session 6):
 *  - Every thread reads the input itself (rs_capture_follow: a classic
 *    pcap's blocks are read once, by the calling thread, and parsed by
 *    each), counts every frame (k), keeps the global clock and runs the
 *    frames of its own buckets: the calling thread, which reads the shared
 *    blocks for all, half a share of them (PULL_WEIGHT), equal shares when
 *    each thread reads the files itself. Nothing crosses threads but
 *    records with their frontier (every SYNC_EVERY frames) and the calling
 *    thread's k (main_k, every PACE_EVERY). A thread that runs
 *    PULL_LAG frames ahead of the calling thread waits (its records would
 *    pile up there); the calling thread waits for one that falls as far
 *    behind.
 *  - The hot fields of the calling thread and what the threads read at
 *    every frame are on separate lines (a shared line cost both threads a
 *    miss per frame).
 *  - Every PACE_EVERY frames the calling thread says where it is (main_k);
 *    a thread more than PACK_BEHIND frames behind it (which the shared
 *    blocks allow only when that thread is the slower one) packs its
 *    records instead of formatting them, and the calling thread formats
 *    them as it writes: the one part of the work that can move to
 *    whichever thread is ahead.
 * Design, push mode (rs_parallel_packet, and rs_parallel_feed on stdin or
 * a live capture):
 *  - Worker 0 is the calling thread's own engine: rs_parallel_packet
 *    advances it and feeds it the frames of its buckets directly (no copy,
 *    no queue). Workers 1..n-1 are threads. The shard is a bucket (64
 *    per worker) of the symmetric address-pair hash; worker 0 owns
 *    READER_WEIGHT as many buckets as a thread, since the calling thread
 *    also reads, shards, copies and delivers (measured best at about 0.3
 *    with 2 threads when the calling thread formatted every record; 0.45,
 *    a third of the sessions, once the workers format their own).
 *  - The reader finds the outermost IP addresses with the decoder's
 *    link-layer code and two bounded reads (no decoder state: fragments
 *    and tunnels are the workers' business), copies the frames of other
 *    shards into the chosen worker's batch and hands full batches over
 *    through a small queue; empty batches come back through another,
 *    which is also the back-pressure. NBATCH batches per worker (2 MiB of
 *    frame bytes, one huge page) absorb the bursts of either side.
 *  - Every entry carries k, the frame's 1-based position in the input, and
 *    the global packet clock. A frame's owner advances its engine to that
 *    clock before the frame; when the clock crosses a timer-wheel tick
 *    (RS_FLOW_TICK_NS), the other workers get a TICK entry (worker 0: an
 *    rs_engine_advance) and advance too, so a session times out at the
 *    same k as in a single engine.
 *  - Every engine's records, worker 0's included, are tagged with (k,
 *    phase: 0 timers, 1 the frame itself, 2 the final flush) and packed
 *    into output buffers (or, with rs_parallel_set_format, formatted
 *    there by the caller's function, so that formatting is spread over
 *    the threads too); the threads return theirs per batch together
 *    with their progress (every entry up to k seen), worker 0's are taken
 *    whenever the reader collects (its progress is the current k). The
 *    reader delivers, sorted, the records whose k no worker can still
 *    produce, prefetching the packed bytes a few records ahead; every
 *    SYNC_EVERY frames it pushes all batches out so that no worker's
 *    progress lags.
 *  - A thread that finds PACK_QUEUED batches queued behind the one it
 *    takes is the slower side: it packs that batch's records and the
 *    reader formats them as it delivers (as in pull mode), so the work
 *    that can move follows whichever of the two CPUs is slower now.
 *  - Output buffers are one huge page each, never grown, and recycled;
 *    the end-of-capture flush (tens of thousands of records) is handed
 *    over in steps while the engines make it (worker_flush, struct
 *    frontier), so the reader merges and writes it as it comes.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <rstscope/capture.h>
#include <rstscope/parallel.h>

#include "capture/capture_int.h"
#include "decode/decode_int.h"
#include "flow/flow.h"
#include "util/hugemem.h"
#include "verdict/engine_int.h"
#include "verdict/parallel_int.h"

#define BATCH_PKTS 512u
#define BATCH_DATA ((size_t)256 << 10)
#define NBATCH 8u
#define QCAP 16u
#define SYNC_EVERY 8192u
#define READER_WEIGHT 0.45
/* Pull mode with shared blocks: the calling thread's share of the buckets
 * against another thread's. It reads the file for both (the kernel's copy, 0.05-0.15 s of
 * system time per million frames) and merges and writes every record; with
 * equal shares the other thread waited 0.08-0.11 s per million frames for
 * its blocks (1M capture: 0.25 s against 0.15 s of work). Half a share
 * balances them (0.21-0.22 s each): two threads 1.46x one, from 1.20x. */
#define PULL_WEIGHT 0.5
/* ... and when each thread reads the input itself (several files, a file
 * that is not mapped: pcapng, libpcap's): the calling thread still merges
 * and writes every record. With equal shares on the mapped 1M capture it was the one the
 * other waited for (it finished its frames 0.01-0.11 CPU-s later in three
 * runs); with 0.6-0.8 both finish within 0.04 s of each other. */
#define SOLO_WEIGHT 0.75
#define DELIVER_AHEAD 4
#define FLUSH_STEP 1024u  /* sessions ended between two hand-overs of the final flush */
#define PACE_EVERY 1024u  /* pull mode: how often the threads compare where they are */
#define PACK_BEHIND 3072u /* ... and how far behind a thread leaves its formatting */
#define PULL_LAG ((uint64_t)8 * SYNC_EVERY) /* how far a pull-mode thread may run ahead */
/* Push mode: a thread with this many batches queued behind the one it
 * takes is the slower side, and leaves the formatting of that batch's
 * records to the calling thread (PACK_BEHIND's counterpart). */
#define PACK_QUEUED 2u

enum { E_PKT, E_TICK };

/* One line each. The frame as the engine takes it: its data in the batch's
 * bytes, or where the capture has it (zero copy). */
struct entry {
    struct rs_packet pkt;
    uint64_t k;
    rs_time_ns gnow;
    uint8_t type;
} __attribute__((aligned(64)));

/* The global packet clock every worker follows: frames so far (k), the
 * latest time, and the timer-wheel tick of that time. */
struct pclock {
    uint64_t k;
    rs_time_ns gnow;
    int64_t last_tick;
    rs_time_ns tick_end; /* where the tick after last_tick begins (0: not worked out yet) */
};

/* Cache-line aligned (as are the two sides of struct worker): the reader
 * writes one batch's counts at every entry while the worker reads another
 * one's; sharing a line made both stall on every entry. */
struct batch {
    _Alignas(64) struct entry *e;
    size_t n;
    uint8_t *data;
    size_t used;
    uint64_t k_hi;        /* every entry up to this k for this worker is here or earlier */
    const uint8_t *first; /* zero copy: the first frame's bytes, NULL if none */
    rs_time_ns fin_now;
    int finish; /* after the entries: advance to fin_now and finish */
    int pull;   /* no entries: read the worker's own capture (pull mode) */
};

/*
 * Where a worker's output stands: every record it will still produce sorts
 * at or after (k, phase, start), rec_cmp's first three keys, so every record
 * before that has been handed over. While frames go by, that is (k + 1,
 * 0, 0) once frame k is done; in the end-of-capture flush, whose
 * sessions end oldest first (non-decreasing start_index), it is (k, 2,
 * the start_index of the last record so far), which lets the reader
 * deliver the flush while the engines are still at it.
 */
struct frontier {
    uint64_t k;
    uint32_t phase;
    uint64_t start; /* start_index */
};

/* Every record up to frame k handed over. */
static inline struct frontier
frontier_after(uint64_t k)
{
    return (struct frontier){k + 1, 0, 0};
}

/* (k, phase, start) sorts before f. */
static inline int
before_frontier(uint64_t k, uint32_t phase, uint64_t start, const struct frontier *f)
{
    if (k != f->k)
        return k < f->k;
    if (phase != f->phase)
        return phase < f->phase;
    return start < f->start;
}

static inline int
frontier_less(const struct frontier *a, const struct frontier *b)
{
    return before_frontier(a->k, a->phase, a->start, b);
}

/*
 * A record on its way from a worker to the reader: the sort key in the
 * clear, the record itself packed (pack_record: the fixed part as it is,
 * each long string as its length and bytes), about a quarter of the 1.5 KB
 * of struct rs_record, in its buffer's byte arena.
 */
struct outrec {
    uint64_t k;
    uint32_t phase;
    uint32_t worker;
    uint64_t seq;
    uint64_t start;      /* the record's start_index */
    uint8_t packed;      /* packed although records are formatted: the reader formats it */
    uint32_t off, len;   /* the packed (or formatted) record in the buffer's arena */
    const uint8_t *blob; /* set by the reader once the buffer is published */
    struct outbuf *buf;  /* the buffer holding it */
};

struct outbuf {
    struct outbuf *next;
    struct outrec *r;
    size_t n, cap;
    uint8_t *bytes; /* arena of packed (or formatted) records */
    size_t used, bcap;
    size_t undelivered; /* reader side: records not yet handed to the caller */
    struct frontier progress;
    int last;
};

/* A bounded queue of batch pointers (in and free). */
struct ring {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct batch *item[QCAP];
    size_t head, n;
};

struct worker { /* NOLINT(clang-analyzer-optin.performance.Padding): lines apart on purpose */
    struct rs_parallel *par;
    unsigned index;
    int local; /* worker 0: its engine runs in the calling thread */
    pthread_t thread;
    int started;
    struct rs_engine *eng;
    struct rs_capture *cap; /* pull mode: its own reader of the input */
    struct ring in, free;
    struct batch batches[NBATCH];
    uint8_t *batch_data; /* the batches' frame bytes, one mapping of huge pages */
    /* output, handed to the reader through a list */
    pthread_mutex_t out_mu;
    pthread_cond_t out_cv;
    struct outbuf *out_head, *out_tail;
    struct outbuf *spare; /* emptied buffers back from the reader (under out_mu) */
    /* worker-side, written at every entry and record */
    _Alignas(64) struct outbuf *cur; /* being filled */
    uint64_t cur_k;
    uint32_t phase;
    uint64_t flush_start; /* phase 2: start_index of the last record */
    struct pclock pclk;   /* pull mode: this thread's own copy of the global clock */
    int pack;             /* behind the calling thread: leave formatting to it */
    uint64_t seq;
    int oom;
    /* worker-side, once per batch: batches done with (zero copy: their
     * frames' bytes may go) */
    _Alignas(64) _Atomic uint64_t done_batches;
    /* reader-side */
    _Alignas(64) struct outbuf *held; /* output buffers with records not yet delivered */
    struct batch *fill;               /* batch being filled */
    uint64_t pushed;                  /* batches handed over */
    const uint8_t *first[NBATCH];     /* batch `pushed` % NBATCH's first frame (zero copy) */
    struct frontier progress;
    int done;
    struct rs_engine_stats st;
};

#define BUCKETS_PER 64u /* shard buckets per worker */

/* Counts frame k in: 1 if the clock crossed a timer-wheel tick, which
 * every worker must see (its sessions may time out there). */
static inline int
clock_frame(struct pclock *c, rs_time_ns ts)
{
    c->k++;
    if (ts > c->gnow)
        c->gnow = ts;
    /* gnow only grows, from 0: the tick is the same until gnow reaches the
     * next one's start (no division per frame). */
    if (c->gnow < c->tick_end)
        return 0;
    int64_t tick = c->gnow / RS_FLOW_TICK_NS;
    c->tick_end = tick < INT64_MAX / RS_FLOW_TICK_NS - 1 ? (tick + 1) * RS_FLOW_TICK_NS : INT64_MAX;
    int ticked = tick != c->last_tick;
    c->last_tick = tick;
    return ticked;
}

struct rs_parallel { /* NOLINT(clang-analyzer-optin.performance.Padding): lines apart on purpose */
    /* Read by every thread, written only before the threads start. */
    unsigned n;
    struct rs_engine_config cfg;
    struct worker *w;
    unsigned nbucket;                                     /* n * BUCKETS_PER */
    uint8_t owner[RS_PARALLEL_MAX_THREADS * BUCKETS_PER]; /* shard bucket -> worker */
    rs_record_fn fn;
    void *user;
    rs_parallel_format_fn fmt; /* rs_parallel_set_format: records as bytes */
    rs_parallel_bytes_fn bytes_fn;
    void *fmt_user;
    int pull;        /* pull mode (rs_parallel_feed with a capture that can be read twice) */
    int pack_mode;   /* rs_parallel_pack_mode: RS_PARALLEL_PACK_AUTO etc. */
    int copy_frames; /* rs_parallel_copy_frames */
    /* Each on a line of its own: the threads read end_k at every frame, and
     * sharing a line with what the calling thread writes at every frame (its
     * clock) cost both a cache miss per frame. */
    _Alignas(
        64) _Atomic uint64_t end_k; /* the threads stop reading here (UINT64_MAX: at their end) */
    _Alignas(64) _Atomic uint64_t main_k; /* the calling thread's k, every PACE_EVERY frames */
    _Atomic int lag_waiters;
    pthread_mutex_t lag_mu;
    pthread_cond_t lag_cv;
    /* The calling thread's. */
    _Alignas(64) struct pclock clk;
    struct frontier local;        /* where the calling thread's own engine stands */
    struct frontier delivered_to; /* deliver() had nothing more to do below this */
    int finished;
    int zc;                  /* zero copy: frames handed over where the capture has them */
    struct rs_capture *zcap; /* ... this capture, one mapped file (rs_capture_hold_mapped) */
    uintptr_t zc_base;       /* its mapping: frames in [zc_base, zc_base + zc_size) */
    uint64_t zc_size;
    char *scratch;        /* RS_PARALLEL_FORMAT_MAX: records the calling thread formats */
    struct outrec **pend; /* records taken from the workers, not yet delivered */
    uint64_t *pend_k;     /* their k, dense: deliver() scans these, not the records */
    size_t npend, cappend;
    struct outrec **ready, **runs; /* deliver(): the deliverable ones, merged (capready) */
    size_t capready;
};

/* ---- queues ---- */

static void
ring_init(struct ring *r)
{
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    r->head = r->n = 0;
}

static void
ring_destroy(struct ring *r)
{
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
}

static void
ring_push(struct ring *r, struct batch *b)
{
    pthread_mutex_lock(&r->mu);
    r->item[(r->head + r->n) % QCAP] = b; /* never full: NBATCH < QCAP */
    r->n++;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

/* The next batch, waiting for one; *left (may be NULL) is how many more
 * were queued behind it. */
static struct batch *
ring_pop(struct ring *r, size_t *left)
{
    pthread_mutex_lock(&r->mu);
    while (r->n == 0)
        pthread_cond_wait(&r->cv, &r->mu);
    struct batch *b = r->item[r->head];
    r->head = (r->head + 1) % QCAP;
    r->n--;
    if (left)
        *left = r->n;
    pthread_mutex_unlock(&r->mu);
    return b;
}

/* ---- worker ---- */

/* The long strings of a record, packed as a 16-bit length and the bytes;
 * everything before the first of them is copied as it is. */
#define PACK_FIXED offsetof(struct rs_record, explanation)
struct packed_str {
    size_t off, size;
};
static const struct packed_str packed_strs[] = {
    {offsetof(struct rs_record, explanation), sizeof(((struct rs_record *)0)->explanation)},
    {offsetof(struct rs_record, hint), sizeof(((struct rs_record *)0)->hint)},
    {offsetof(struct rs_record, sni), sizeof(((struct rs_record *)0)->sni)},
    {offsetof(struct rs_record, http_host), sizeof(((struct rs_record *)0)->http_host)},
    {offsetof(struct rs_record, tunnel_parents), sizeof(((struct rs_record *)0)->tunnel_parents)},
    {offsetof(struct rs_record, action), sizeof(((struct rs_record *)0)->action)},
    {offsetof(struct rs_record, rule), sizeof(((struct rs_record *)0)->rule)},
};
#define NPACKED (sizeof packed_strs / sizeof packed_strs[0])
/* The most a packed record can take. */
#define PACK_MAX (PACK_FIXED + 4 + sizeof(struct rs_record))

/* Packs rec at out (PACK_MAX bytes of room); returns the length. */
static size_t
pack_record(const struct rs_record *rec, uint8_t *out)
{
    const uint8_t *in = (const uint8_t *)rec;
    size_t o = PACK_FIXED;
    memcpy(out, in, PACK_FIXED);
    memcpy(out + o, &rec->vlan, sizeof rec->vlan);
    o += sizeof rec->vlan;
    memcpy(out + o, &rec->inner_vlan, sizeof rec->inner_vlan);
    o += sizeof rec->inner_vlan;
    for (size_t i = 0; i < NPACKED; i++) {
        const char *s = (const char *)in + packed_strs[i].off;
        uint16_t n = (uint16_t)strnlen(s, packed_strs[i].size - 1);
        memcpy(out + o, &n, 2);
        memcpy(out + o + 2, s, n);
        o += 2 + (size_t)n;
    }
    return o;
}

static void
unpack_record(const uint8_t *in, struct rs_record *rec)
{
    uint8_t *out = (uint8_t *)rec;
    memset(rec, 0, sizeof *rec);
    memcpy(out, in, PACK_FIXED);
    size_t o = PACK_FIXED;
    memcpy(&rec->vlan, in + o, sizeof rec->vlan);
    o += sizeof rec->vlan;
    memcpy(&rec->inner_vlan, in + o, sizeof rec->inner_vlan);
    o += sizeof rec->inner_vlan;
    for (size_t i = 0; i < NPACKED; i++) {
        uint16_t n;
        memcpy(&n, in + o, 2);
        memcpy(out + packed_strs[i].off, in + o + 2, n); /* the memset left the NUL */
        o += 2 + (size_t)n;
    }
}

/*
 * An output buffer is one mapping of OUTBUF_SIZE: its records' keys, then
 * the arena of their bytes. It never grows: a full buffer is handed over
 * and the next taken from those the reader gave back, which keeps the
 * memory warm (the end-of-capture flush used to grow one buffer by
 * doubling into tens of megabytes of fresh pages, each a page fault and
 * zeroing, on a virtual machine an exit too). A worker's first buffer is
 * lazy (small pages until used), so a small run does not pay 2 MiB for it.
 */
#define OUTBUF_SIZE RS_HUGE_PAGE
#define OUTBUF_RECS 1024u
_Static_assert(OUTBUF_SIZE - OUTBUF_RECS * sizeof(struct outrec) >= RS_PARALLEL_FORMAT_MAX &&
                   OUTBUF_SIZE - OUTBUF_RECS * sizeof(struct outrec) >= PACK_MAX,
               "any one record fits an empty buffer");

static void
outbuf_free(struct outbuf *o)
{
    if (!o)
        return;
    rs_huge_free(o->r, OUTBUF_SIZE);
    free(o);
}

static struct outbuf *
outbuf_new(int lazy)
{
    struct outbuf *o = calloc(1, sizeof(struct outbuf));
    if (!o)
        return NULL;
    void *mem = lazy ? rs_huge_alloc_lazy(OUTBUF_SIZE) : rs_huge_alloc(OUTBUF_SIZE);
    if (!mem) {
        free(o);
        return NULL;
    }
    o->r = mem;
    o->cap = OUTBUF_RECS;
    o->bytes = (uint8_t *)mem + OUTBUF_RECS * sizeof(struct outrec);
    o->bcap = OUTBUF_SIZE - OUTBUF_RECS * sizeof(struct outrec);
    return o;
}

/* A buffer for the next batch's records: a returned one when there is one,
 * so its memory is warm and already mapped. */
static struct outbuf *
outbuf_get(struct worker *w)
{
    pthread_mutex_lock(&w->out_mu);
    struct outbuf *o = w->spare;
    if (o)
        w->spare = o->next;
    pthread_mutex_unlock(&w->out_mu);
    if (!o)
        return outbuf_new(0);
    o->next = NULL;
    o->n = 0;
    o->used = 0;
    o->last = 0;
    return o;
}

/* Reader side: hands an emptied buffer back to its worker. */
static void
outbuf_put(struct worker *w, struct outbuf *o)
{
    if (w->done) {
        outbuf_free(o);
        return;
    }
    pthread_mutex_lock(&w->out_mu);
    o->next = w->spare;
    w->spare = o;
    pthread_mutex_unlock(&w->out_mu);
}

/*
 * Copies a frame into a batch with non-temporal stores where the CPU has
 * them: the batch's lines were last read by the worker on the other core,
 * and ordinary stores first fetched each line back from there (the calling
 * thread stalled on a full store buffer: a quarter of its time in
 * rs_capture_next_offline's next store; --threads 2 on the 1M capture from
 * 0.44 to 0.40 s of wall time). dst is 16-byte aligned; n bytes are read
 * from src and ceil(n / 16) * 16 written. flush_worker fences before the
 * batch is handed over. (The same for the packed records that workers hand
 * to the calling thread measured no faster.)
 */
static void
copy_nt(uint8_t *dst, const uint8_t *src, size_t n)
{
#if defined(__SSE2__)
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm_stream_si128((__m128i *)(void *)(dst + i),
                         _mm_loadu_si128((const __m128i *)(const void *)(src + i)));
    if (i < n) {
        uint8_t tail[16] = {0};
        memcpy(tail, src + i, n - i);
        _mm_stream_si128((__m128i *)(void *)(dst + i),
                         _mm_loadu_si128((const __m128i *)(const void *)tail));
    }
#else
    memcpy(dst, src, n);
#endif
}

static void publish(struct worker *w, struct frontier progress, int last);

static void
on_worker_record(const struct rs_record *rec, void *user)
{
    struct worker *w = user;
    struct outbuf *o = w->cur;
    if (!o) {
        w->oom = 1;
        return;
    }
    struct rs_parallel *p = w->par;
    int format = p->fmt && !w->pack;
    size_t room = format ? RS_PARALLEL_FORMAT_MAX : PACK_MAX;
    if (o->n == o->cap || room > o->bcap - o->used) {
        /* Full: hand it over (every record before this one is in it or
         * earlier) and go on in the next. */
        if (o->n == 0 || w->cur_k == 0) {
            w->oom = 1; /* cannot be: a record fits an empty buffer */
            return;
        }
        publish(w,
                w->phase == 2 ? (struct frontier){w->cur_k, 2, w->flush_start}
                              : frontier_after(w->cur_k - 1),
                0);
        o = w->cur;
        if (!o) {
            w->oom = 1;
            return;
        }
    }
    if (w->phase == 2)
        w->flush_start = rec->start_index;
    size_t len;
    if (format) {
        /* Formatted here, in the thread that ran the session. */
        len = p->fmt(rec, w->index, (char *)o->bytes + o->used, room, p->fmt_user);
        if (len == 0 || len > room)
            return; /* not to be written */
    } else {
        len = pack_record(rec, o->bytes + o->used);
    }
    struct outrec *x = &o->r[o->n++];
    x->k = w->cur_k;
    x->phase = w->phase;
    x->worker = w->index;
    x->seq = w->seq++;
    x->start = rec->start_index;
    x->packed = p->fmt && !format;
    x->off = (uint32_t)o->used;
    x->blob = NULL;
    x->buf = o;
    x->len = (uint32_t)len;
    o->used += len;
}

/* Worker i's engine, for the buckets it owns now. */
static struct rs_engine *
worker_engine(struct rs_parallel *p, unsigned i, struct rs_error *err)
{
    struct rs_engine_config c = p->cfg;
    /* The session cap is shared as the buckets are. */
    size_t max = c.max_sessions ? c.max_sessions : RS_DEFAULT_MAX_SESSIONS;
    unsigned nb = 0;
    for (unsigned b = 0; b < p->nbucket; b++)
        nb += p->owner[b] == i;
    c.max_sessions = p->nbucket ? (max * nb + p->nbucket - 1) / p->nbucket : max;
    if (c.max_sessions == 0)
        c.max_sessions = 1;
    return rs_engine_new(&c, on_worker_record, &p->w[i], err);
}

static void
publish(struct worker *w, struct frontier progress, int last)
{
    struct outbuf *o = w->cur;
    if (!o)
        return;
    o->progress = progress;
    o->last = last;
    pthread_mutex_lock(&w->out_mu);
    if (w->out_tail)
        w->out_tail->next = o;
    else
        w->out_head = o;
    w->out_tail = o;
    pthread_cond_signal(&w->out_cv);
    pthread_mutex_unlock(&w->out_mu);
    w->cur = last ? NULL : outbuf_get(w);
}

static void worker_pull(struct worker *w);
static void collect(struct rs_parallel *p, int wait);
static void deliver(struct rs_parallel *p, int all);

/* Whether a thread leaves its records packed for the calling thread to
 * format (rs_parallel_pack_mode): `behind` is the thread's own verdict
 * (AUTO), `turn` whose turn it is (ALTERNATE). */
static inline int
pack_records(const struct rs_parallel *p, int turn, int behind)
{
    if (!p->fmt)
        return 0;
    switch (p->pack_mode) {
    case RS_PARALLEL_PACK_ALWAYS:
        return 1;
    case RS_PARALLEL_PACK_ALTERNATE:
        return turn;
    default:
        return behind;
    }
}

/* pkt, or its first BATCH_DATA bytes as *tmp when it is longer (never from
 * libpcap: caplen <= 262144): the frame every engine and the shard see. */
static inline const struct rs_packet *
cut_frame(const struct rs_packet *pkt, struct rs_packet *tmp)
{
    if (__builtin_expect(pkt->caplen <= BATCH_DATA, 1))
        return pkt;
    *tmp = *pkt;
    tmp->caplen = (uint32_t)BATCH_DATA;
    return tmp;
}

/*
 * The end of w's engine at frame k_fin (after the last one): its timers up
 * to `now`, then every open session, FLUSH_STEP at a time, the records
 * handed over after each step (sessions end oldest first, see struct
 * frontier), so that the reader merges and writes the flush while the
 * engines make it, in buffers that go round instead of tens of megabytes
 * of fresh ones. The calling thread's own engine also delivers between
 * its steps.
 */
static void
worker_flush(struct worker *w, uint64_t k_fin, rs_time_ns now)
{
    struct rs_parallel *p = w->par;
    w->cur_k = k_fin;
    w->phase = 0;
    rs_engine_advance(w->eng, now);
    w->phase = 2;
    w->flush_start = 0;
    while (rs_engine_finish_step(w->eng, FLUSH_STEP)) {
        struct frontier f = {k_fin, 2, w->flush_start};
        if (w->local) {
            p->local = f;
            collect(p, 0);
            deliver(p, 0);
        } else {
            publish(w, f, 0);
        }
    }
    rs_engine_stats(w->eng, &w->st);
    if (w->local)
        p->local = frontier_after(k_fin);
    publish(w, frontier_after(k_fin), 1);
}

static void *
worker_main(void *arg)
{
    struct worker *w = arg;
    for (;;) {
        size_t queued;
        struct batch *b = ring_pop(&w->in, &queued);
        if (b->pull) {
            worker_pull(w);
            return NULL;
        }
        /* Batches piling up behind this one: the calling thread is ahead,
         * so it formats this batch's records (see PACK_QUEUED). */
        int turn = (int)(atomic_load_explicit(&w->done_batches, memory_order_relaxed) & 1);
        w->pack = pack_records(w->par, turn, queued >= PACK_QUEUED);
        for (size_t i = 0; i < b->n; i++) {
            const struct entry *x = &b->e[i];
            /* Session lookups of the entries ahead start now (a hint). */
            size_t a = i + RS_ENGINE_LOOKAHEAD;
            rs_engine_lookahead_frame(w->eng,
                                      a < b->n && b->e[a].type == E_PKT ? &b->e[a].pkt : NULL);
            /* The frame after that: its headers, written by the other core. */
            a += RS_ENGINE_LOOKAHEAD;
            if (a < b->n && b->e[a].type == E_PKT) {
                const uint8_t *d = b->e[a].pkt.data;
                __builtin_prefetch(d);
                __builtin_prefetch(d + 64);
            }
            w->cur_k = x->k;
            w->phase = 0;
            rs_engine_advance(w->eng, x->gnow);
            if (x->type != E_PKT)
                continue;
            w->phase = 1;
            rs_engine_set_index(w->eng, x->k);
            rs_engine_packet(w->eng, &x->pkt);
        }
        uint64_t k_hi = b->k_hi;
        int fin = b->finish;
        rs_time_ns fin_now = b->fin_now;
        atomic_fetch_add_explicit(&w->done_batches, 1, memory_order_release);
        ring_push(&w->free, b);
        if (fin) {
            worker_flush(w, k_hi, fin_now);
            return NULL;
        }
        publish(w, frontier_after(k_hi), 0);
    }
}

/* ---- sharding ---- */

static inline uint64_t
mix64(uint64_t k)
{
    k ^= k >> 33;
    k *= UINT64_C(0xff51afd7ed558ccd);
    k ^= k >> 33;
    k *= UINT64_C(0xc4ceb9fe1a85ec53);
    k ^= k >> 33;
    return k;
}

/* 64 bits of an IPv6 address (any fold would do: this only picks a shard). */
static inline uint64_t
fold6(const uint8_t *a)
{
    uint64_t x, y;
    memcpy(&x, a, 8);
    memcpy(&y, a + 8, 8);
    return x * UINT64_C(0x9e3779b97f4a7c15) ^ y;
}

/* Symmetric hash of the IP packet's address pair at data[off]: the two
 * addresses in order, mixed; 0 if none. */
static inline uint64_t
ip_pair_hash(const uint8_t *d, size_t len, size_t off)
{
    if (off >= len)
        return 0;
    unsigned v = d[off] >> 4;
    if (v == 4 && 20 <= len - off) {
        uint32_t a, b;
        memcpy(&a, d + off + 12, 4);
        memcpy(&b, d + off + 16, 4);
        uint64_t lo = a < b ? a : b, hi = a < b ? b : a;
        return mix64(lo << 32 | hi);
    }
    if (v == 6 && 40 <= len - off) {
        uint64_t a = fold6(d + off + 8), b = fold6(d + off + 24);
        uint64_t lo = a < b ? a : b, hi = a < b ? b : a;
        return mix64(lo * UINT64_C(0xff51afd7ed558ccd) ^ hi);
    }
    return 0;
}

/*
 * The outermost IP layer is found by the decoder's own link-layer code
 * (stateless: it only notes VLAN ids in a scratch result), so every frame
 * of a session is sharded alike whatever encapsulation some of its frames
 * carry (FabricPath, VN-Tag, PPPoE, 802.11, NFLOG, ...).
 */
__attribute__((noinline)) static uint64_t
shard_hash_general(const struct rs_packet *p)
{
    struct rs_decoded scratch;
    struct rs_dec_ctx x;
    memset(&x, 0, sizeof x);
    x.out = &scratch;
    scratch.vlan = scratch.inner_vlan = 0;
    struct rs_cur c = rs_cur_make(p->data, p->caplen);
    enum rs_inner k = RS_INNER_IP_GUESS;
    if (rs_dec_link(&x, p->linktype, &c, &k) != RS_DEC_OK || c.err)
        return 0;
    if (k != RS_INNER_IP4 && k != RS_INNER_IP6 && k != RS_INNER_IP_GUESS)
        return 0;
    return ip_pair_hash(rs_cur_ptr(&c), rs_cur_left(&c), 0);
}

static inline uint64_t
shard_hash(const struct rs_packet *p)
{
    /* Untagged Ethernet carrying IP, the common frame: where rs_dec_link
     * would leave the cursor, without it (and without the general path's
     * stack frame, which it paid on every frame when in one function). */
    if (p->linktype == RS_LINK_ETHERNET && p->data && p->caplen >= 14) {
        unsigned type = (unsigned)p->data[12] << 8 | p->data[13];
        if (type == 0x0800 || type == 0x86dd)
            return ip_pair_hash(p->data + 14, p->caplen - 14, 0);
    }
    return shard_hash_general(p);
}

/*
 * Shard buckets: n * BUCKETS_PER of them (shard_bucket). Bucket b belongs
 * to worker b % n, except that the calling thread also reads, shards and
 * delivers, so its engine (worker 0) keeps only `wr` as many buckets as a
 * thread (READER_WEIGHT, PULL_WEIGHT, SOLO_WEIGHT, ZC_WEIGHT) and hands
 * the rest of its class out to the threads.
 */
static void
shard_init(struct rs_parallel *p, double wr)
{
    unsigned n = p->n;
    p->nbucket = n * BUCKETS_PER;
    for (unsigned b = 0; b < p->nbucket; b++)
        p->owner[b] = (uint8_t)(b % n);
    if (n == 1)
        return;
    unsigned r = (unsigned)(p->nbucket * wr / (wr + (double)(n - 1)) + 0.5);
    if (r < 1)
        r = 1;
    if (r > BUCKETS_PER)
        r = BUCKETS_PER;
    /* Worker 0 keeps r of its class, spread evenly over it (j * r mod
     * BUCKETS_PER < r holds for r values of j); the rest go round the threads. */
    unsigned next = 1;
    for (unsigned j = 0; j < BUCKETS_PER; j++) {
        if (j * r % BUCKETS_PER < r)
            continue;
        p->owner[(size_t)j * n] = (uint8_t)next;
        next = next + 1 < n ? next + 1 : 1;
    }
}

/* The bucket of a shard hash: its top 32 bits scaled to [0, nbucket)
 * (a multiply, not a division per frame). */
static inline unsigned
shard_bucket(const struct rs_parallel *p, uint64_t h)
{
    return (unsigned)(((h >> 32) * p->nbucket) >> 32);
}

/* ---- reader side ---- */

static int
rec_cmp(const void *va, const void *vb)
{
    const struct outrec *a = *(const struct outrec *const *)va;
    const struct outrec *b = *(const struct outrec *const *)vb;
    if (a->k != b->k)
        return a->k < b->k ? -1 : 1;
    if (a->phase != b->phase)
        return a->phase < b->phase ? -1 : 1;
    /* Timers and the final flush: in session creation order, as one engine
     * ends them (sessions begun by one frame are all its owner's, in that
     * worker's order). The frame's own records: its owner's, in its order. */
    if (a->phase != 1 && a->start != b->start)
        return a->start < b->start ? -1 : 1;
    if (a->worker != b->worker)
        return a->worker < b->worker ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Takes worker w's finished output; `wait` blocks until it has some. */
static void
collect_worker(struct rs_parallel *p, struct worker *w, int wait)
{
    if (w->done)
        return;
    /* The local engine's records of the frames since the last call. */
    if (w->local && w->cur && w->cur->n)
        publish(w, p->local, 0);
    pthread_mutex_lock(&w->out_mu);
    while (wait && !w->local && !w->out_head)
        pthread_cond_wait(&w->out_cv, &w->out_mu);
    struct outbuf *o = w->out_head;
    w->out_head = w->out_tail = NULL;
    pthread_mutex_unlock(&w->out_mu);
    while (o) {
        struct outbuf *next = o->next;
        if (p->npend + o->n > p->cappend) {
            size_t nc = (p->npend + o->n) * 2 + 64;
            struct outrec **r = realloc(p->pend, nc * sizeof(struct outrec *));
            if (r)
                p->pend = r;
            uint64_t *rk = r ? realloc(p->pend_k, nc * sizeof(uint64_t)) : NULL;
            if (rk) {
                p->pend_k = rk;
                p->cappend = nc;
            }
        }
        /* The records stay in their buffer, which goes when the last is delivered. */
        o->undelivered = 0;
        for (size_t j = 0; j < o->n && p->npend < p->cappend; j++) {
            o->r[j].blob = o->bytes + o->r[j].off; /* the arena moves no more */
            p->pend_k[p->npend] = o->r[j].k;
            p->pend[p->npend++] = &o->r[j];
            o->undelivered++;
        }
        w->progress = o->progress;
        if (o->last)
            w->done = 1;
        if (o->undelivered == 0) {
            outbuf_put(w, o);
        } else {
            o->next = w->held;
            w->held = o;
        }
        o = next;
    }
    if (w->local && !w->done)
        w->progress = p->local;
}

/* Takes the workers' finished output; `wait` blocks until each has some. */
static void
collect(struct rs_parallel *p, int wait)
{
    for (unsigned i = 0; i < p->n; i++)
        collect_worker(p, &p->w[i], wait);
}

/* Pending record i can be delivered: no worker can still precede it. */
static inline int
deliverable(const struct rs_parallel *p, size_t i, int all, const struct frontier *safe)
{
    return all || p->pend_k[i] < safe->k ||
           (p->pend_k[i] == safe->k &&
            before_frontier(p->pend[i]->k, p->pend[i]->phase, p->pend[i]->start, safe));
}

/*
 * The deliverable records into p->ready in rec_cmp order, the others kept
 * in p->pend in theirs; returns how many are ready. Each worker's records
 * come in rec_cmp order already (its engine ends sessions frame by frame,
 * timers before the frame, those of one advance and the final flush in
 * creation order), so they are merged, not sorted: grouped by worker
 * (stably), then the n runs merged.
 */
static size_t
take_ready(struct rs_parallel *p, int all, const struct frontier *safe)
{
    size_t cnt[RS_PARALLEL_MAX_THREADS] = {0}, at[RS_PARALLEL_MAX_THREADS] = {0},
           end[RS_PARALLEL_MAX_THREADS] = {0};
    size_t m = 0, keep = 0;
    for (size_t i = 0; i < p->npend; i++) {
        if (deliverable(p, i, all, safe)) {
            p->ready[m++] = p->pend[i];
            cnt[p->pend[i]->worker]++;
        } else {
            p->pend_k[keep] = p->pend_k[i];
            p->pend[keep++] = p->pend[i];
        }
    }
    p->npend = keep;
    size_t sum = 0;
    for (unsigned w = 0; w < p->n; w++) {
        at[w] = sum;
        sum += cnt[w];
        end[w] = at[w];
    }
    for (size_t i = 0; i < m; i++)
        p->runs[end[p->ready[i]->worker]++] = p->ready[i];
    for (size_t o = 0; o < m; o++) {
        unsigned best = 0;
        while (at[best] == end[best]) /* a run not yet used up: o < m */
            best++;
        for (unsigned w = best + 1; w < p->n; w++) {
            if (at[w] < end[w] && rec_cmp(&p->runs[at[w]], &p->runs[at[best]]) < 0)
                best = w;
        }
        p->ready[o] = p->runs[at[best]++];
    }
    return m;
}

/* take_ready without its room (out of memory): the deliverable records
 * moved to the front of p->pend and sorted there. */
static size_t
take_sorted(struct rs_parallel *p, int all, const struct frontier *safe)
{
    size_t m = 0;
    for (size_t i = 0; i < p->npend; i++) {
        if (deliverable(p, i, all, safe)) {
            struct outrec *t = p->pend[m];
            uint64_t tk = p->pend_k[m];
            p->pend[m] = p->pend[i];
            p->pend_k[m++] = p->pend_k[i];
            p->pend[i] = t;
            p->pend_k[i] = tk;
        }
    }
    qsort(p->pend, m, sizeof(struct outrec *), rec_cmp);
    return m;
}

/* Delivers, in order, every pending record no worker can still precede. */
static void
deliver(struct rs_parallel *p, int all)
{
    struct frontier safe = {UINT64_MAX, UINT32_MAX, UINT64_MAX};
    if (!all) {
        for (unsigned i = 0; i < p->n; i++)
            if (!p->w[i].done && frontier_less(&p->w[i].progress, &safe))
                safe = p->w[i].progress;
    }
    if (p->npend == 0 || (!all && !frontier_less(&p->delivered_to, &safe) &&
                          !frontier_less(&safe, &p->delivered_to)))
        return;
    p->delivered_to = safe;
    if (p->capready < p->npend) {
        size_t nc = p->npend * 2 + 64;
        struct outrec **a = realloc(p->ready, nc * sizeof(struct outrec *));
        if (a)
            p->ready = a;
        struct outrec **b = a ? realloc(p->runs, nc * sizeof(struct outrec *)) : NULL;
        if (b) {
            p->runs = b;
            p->capready = nc;
        }
    }
    int merged = p->capready >= p->npend;
    size_t m = merged ? take_ready(p, all, &safe) : take_sorted(p, all, &safe);
    struct outrec **ready = merged ? p->ready : p->pend;
    size_t n = 0;
    while (n < m) {
        struct outrec *r = ready[n];
        /* A record a few ahead: its packed bytes, last written by a worker. */
        if (n + DELIVER_AHEAD < m) {
            const struct outrec *a = ready[n + DELIVER_AHEAD];
            for (uint32_t o = 0; o < a->len; o += 64)
                __builtin_prefetch(a->blob + o);
        }
        if (p->bytes_fn && r->packed) {
            /* Left by a thread that was behind: formatted here, with the
             * calling thread's own state (worker 0's). */
            struct rs_record rec;
            unpack_record(r->blob, &rec);
            size_t len = p->fmt(&rec, 0, p->scratch, RS_PARALLEL_FORMAT_MAX, p->fmt_user);
            if (len && len <= RS_PARALLEL_FORMAT_MAX)
                p->bytes_fn(p->scratch, len, p->fmt_user);
        } else if (p->bytes_fn) {
            p->bytes_fn((const char *)r->blob, r->len, p->fmt_user);
        } else if (p->fn) {
            struct rs_record rec;
            unpack_record(r->blob, &rec);
            p->fn(&rec, p->user);
        }
        /* Release a buffer once its records are all delivered. */
        struct outbuf *o = r->buf;
        if (--o->undelivered == 0) {
            struct worker *w = &p->w[r->worker];
            for (struct outbuf **pp = &w->held; *pp; pp = &(*pp)->next) {
                if (*pp == o) {
                    *pp = o->next;
                    outbuf_put(w, o);
                    break;
                }
            }
        }
        n++;
    }
    if (!merged) { /* take_sorted's order: the delivered ones first */
        memmove(p->pend, p->pend + n, (p->npend - n) * sizeof(struct outrec *));
        memmove(p->pend_k, p->pend_k + n, (p->npend - n) * sizeof(uint64_t));
        p->npend -= n;
    }
}

/* Hands w's batch over: it holds every entry of w up to k_hi. */
static void
flush_worker(struct worker *w, uint64_t k_hi)
{
    struct batch *b = w->fill;
    b->k_hi = k_hi;
#if defined(__SSE2__)
    _mm_sfence(); /* copy_nt's stores before the batch is handed over */
#endif
    w->first[w->pushed++ % NBATCH] = b->first;
    ring_push(&w->in, b);
    b = ring_pop(&w->free, NULL);
    b->n = 0;
    b->used = 0;
    b->finish = 0;
    b->first = NULL;
    w->fill = b;
}

static void
flush_all(struct rs_parallel *p)
{
    for (unsigned i = 1; i < p->n; i++)
        flush_worker(&p->w[i], p->clk.k);
    collect(p, 0);
    deliver(p, 0);
}

/* w's batch is full: handed over, and what the workers made meanwhile
 * delivered; the next one. */
__attribute__((noinline)) static struct batch *
next_fill(struct rs_parallel *p, struct worker *w)
{
    flush_worker(w, p->clk.k - 1); /* the entry of frame k goes in the next one */
    collect(p, 0);
    deliver(p, 0);
    return w->fill;
}

/* Inlined into the frame's path with push_packet and frame_owner: their
 * calls' register saves were 35 instructions a frame. */
__attribute__((always_inline)) static inline void
add_entry(struct rs_parallel *p, struct worker *w, int type, const struct rs_packet *pkt)
{
    struct batch *b = w->fill;
    /* Zero copy for the frames in the held mapping; others (in a buffer the
     * next read may reuse) are copied. */
    int zc = type == E_PKT && p->zc && (uintptr_t)pkt->data - p->zc_base < p->zc_size;
    size_t need = type == E_PKT && !zc ? pkt->caplen : 0;
    if (__builtin_expect(b->n == BATCH_PKTS || need > BATCH_DATA - b->used, 0))
        b = next_fill(p, w);
    struct entry *x = &b->e[b->n++];
    x->type = (uint8_t)type;
    x->k = p->clk.k;
    x->gnow = p->clk.gnow;
    if (type == E_PKT) {
        x->pkt = *pkt;
        if (zc) {
            if (!b->first)
                b->first = pkt->data;
            return;
        }
        x->pkt.data = b->data + b->used;
        if (need)
            copy_nt(b->data + b->used, pkt->data, need);
        b->used += (need + 15) & ~(size_t)15;
        if (b->used > BATCH_DATA)
            b->used = BATCH_DATA;
    }
}

/* The worker whose buckets a frame's shard falls in. */
__attribute__((always_inline)) static inline unsigned
frame_owner(const struct rs_parallel *p, const struct rs_packet *pkt)
{
    struct rs_packet cut;
    return p->owner[shard_bucket(p, shard_hash(cut_frame(pkt, &cut)))];
}

/* rs_parallel_packet for a frame whose owner is known. */
__attribute__((always_inline)) static inline void
push_packet(struct rs_parallel *p, const struct rs_packet *pkt, unsigned owner)
{
    int ticked = clock_frame(&p->clk, pkt->ts);
    struct rs_packet cut;
    pkt = cut_frame(pkt, &cut);
    struct worker *own = &p->w[owner];
    struct worker *w0 = &p->w[0];
    /* Advance before the frame: the owner advances to gnow with the frame itself. */
    /* The calling thread's own engine first, so that its progress is k
     * before any delivery below. */
    if (own == w0 || ticked) {
        w0->cur_k = p->clk.k;
        w0->phase = 0;
        rs_engine_advance(w0->eng, p->clk.gnow);
        if (own == w0) {
            w0->phase = 1;
            rs_engine_set_index(w0->eng, p->clk.k);
            rs_engine_packet(w0->eng, pkt);
        }
    }
    p->local = frontier_after(p->clk.k);
    if (ticked) {
        for (unsigned i = 1; i < p->n; i++)
            if (&p->w[i] != own)
                add_entry(p, &p->w[i], E_TICK, NULL);
    }
    if (own != w0)
        add_entry(p, own, E_PKT, pkt);
    if (p->clk.k % SYNC_EVERY == 0)
        flush_all(p);
}

void
rs_parallel_packet(struct rs_parallel *p, const struct rs_packet *pkt)
{
    if (p->finished || p->pull) /* pull mode: the threads read the input themselves */
        return;
    push_packet(p, pkt, frame_owner(p, pkt));
}

/* rs_feed_loop's owner of a frame; self is the worker reading. */
static unsigned
feed_owner(void *self, const struct rs_packet *pkt)
{
    const struct worker *w = self;
    return frame_owner(w->par, pkt);
}

/* One frame of rs_parallel_feed in push mode: the lookahead for the calling
 * thread's own engine (the frame RS_ENGINE_LOOKAHEAD ahead, if it shards
 * to it), then the frame. */
static void
feed_frame(void *self, const struct rs_packet *pkt, unsigned own, const struct rs_packet *far,
           unsigned far_own)
{
    struct worker *w0 = self;
    rs_engine_lookahead_frame(w0->eng, far && far_own == 0 ? far : NULL);
    if (!w0->par->finished)
        push_packet(w0->par, pkt, own);
}

/*
 * Before any frame is fed: the calling thread's engine gets `weight` as
 * many buckets as a thread's, and every engine, still empty, is made again
 * for its new share. 0 (nothing changed) when memory runs out.
 */
static int
reshard(struct rs_parallel *p, double weight)
{
    struct rs_engine *eng[RS_PARALLEL_MAX_THREADS];
    uint8_t owner[sizeof p->owner];
    memcpy(owner, p->owner, sizeof owner);
    shard_init(p, weight);
    unsigned made = 0;
    for (; made < p->n; made++)
        if (!(eng[made] = worker_engine(p, made, NULL)))
            break;
    if (made < p->n) {
        while (made > 0)
            rs_engine_free(eng[--made]);
        memcpy(p->owner, owner, sizeof owner);
        return 0;
    }
    for (unsigned i = 0; i < p->n; i++) {
        rs_engine_free(p->w[i].eng);
        p->w[i].eng = eng[i];
    }
    return 1;
}

/* ---- zero copy: a mapped file's frames handed over where they are ---- */

/*
 * Push mode on one mapped file, classic pcap or pcapng
 * (rs_capture_hold_mapped): the calling thread reads and shards every
 * frame as in push mode, but a thread's batch entries point at the frames
 * in the mapping instead of holding copies (the copies were a fifth of the
 * calling thread's time), and the threads neither parse nor shard the
 * frames of other threads, as they do in pull mode (each thread's parse is
 * the file's whole memory traffic). The frames' bytes must stay mapped
 * until their batch is done: before every read the calling thread tells
 * the capture to drop nothing from the oldest frame a batch still points
 * at (rs_capture_hold_floor), and hands over or waits for any batch whose
 * first frame lies more than ZC_ROOM behind the reader, which bounds what
 * stays mapped (zc_before_read). The capture keeps ZC_KEEP bytes behind
 * its reader mapped anyway (with the 4 MiB it keeps for one thread, two
 * threads took 0.366 s on the 1M capture against 0.346, medians of 9
 * alternating runs; 10-14 MB less RSS). Frames outside the mapping (a pcapng NFLOG
 * frame swapped in a copy; after a file shrank under the mapping, frames
 * read into a block) are copied into the batch as in push mode; the
 * mapping drops nothing more once the reader has left it, and it is kept
 * past the input's end. rs_parallel_feed returns with every batch done, so
 * the capture may be closed then.
 */
#define ZC_KEEP ((uint64_t)16 << 20)
#define ZC_ROOM (ZC_KEEP - ((uint64_t)64 << 10))
/* The calling thread's share against a thread's: it reads, shards and
 * writes entries for every frame, merges and writes every record. No fixed
 * share balances the two on a VM whose two CPUs run at different speeds:
 * at 0.65 (session 13's, when formatting never moved), timing how long
 * each side waited for the other in nine runs of the 1M capture found the
 * calling thread waiting up to 91 ms in some and the other thread up to
 * 60 ms in others (0.35-0.46 s runs). So the other thread gets the larger
 * share, and hands the formatting of its records to the calling thread
 * while it is behind (PACK_QUEUED): both waits summed, 56 ms a run on
 * average (nine runs) before, 20 ms (six runs) at 0.5 with the hand-over. */
#define ZC_WEIGHT 0.5

/* The oldest frame a batch not yet done points at: its worker in *wi (-1:
 * none) and whether it is that worker's batch being filled. */
static uintptr_t
zc_oldest(struct rs_parallel *p, int *wi, int *in_fill)
{
    uintptr_t best = UINTPTR_MAX;
    *wi = -1;
    *in_fill = 0;
    for (unsigned i = 1; i < p->n; i++) {
        struct worker *w = &p->w[i];
        uint64_t done = atomic_load_explicit(&w->done_batches, memory_order_acquire);
        const uint8_t *first = NULL;
        for (uint64_t g = done; g < w->pushed && !first; g++)
            first = w->first[g % NBATCH];
        int fill = 0;
        if (!first && w->fill->first) {
            first = w->fill->first;
            fill = 1;
        }
        if (first && (uintptr_t)first < best) {
            best = (uintptr_t)first;
            *wi = (int)i;
            *in_fill = fill;
        }
    }
    return best;
}

/* Waits until worker w is done with one more batch, if it has one still
 * to do (the last may have been done since the caller looked), delivering
 * what the workers have made meanwhile. */
static void
zc_wait(struct rs_parallel *p, struct worker *w)
{
    pthread_mutex_lock(&w->free.mu); /* the worker signals free.cv as it returns the batch */
    uint64_t done = atomic_load_explicit(&w->done_batches, memory_order_acquire);
    while (done < w->pushed && atomic_load_explicit(&w->done_batches, memory_order_acquire) == done)
        pthread_cond_wait(&w->free.cv, &w->free.mu);
    pthread_mutex_unlock(&w->free.mu);
    collect(p, 0);
    deliver(p, 0);
}

/* rs_feed_loop's before_read: no batch still needs what the read may drop. */
static void
zc_before_read(void *self)
{
    struct rs_parallel *p = ((struct worker *)self)->par;
    if (!p->zc)
        return;
    uint64_t pos = rs_capture_mapped_pos(p->zcap);
    if (pos == UINT64_MAX)
        return; /* read into a block now: the mapping drops no more */
    for (;;) {
        int wi, in_fill;
        uintptr_t old = zc_oldest(p, &wi, &in_fill);
        if (wi < 0) {
            rs_capture_hold_floor(p->zcap, UINT64_MAX);
            return;
        }
        /* The mapping keeps everything from the oldest frame a batch still
         * needs on, however far the read goes (through a filter); the
         * hand-overs and waits below bound how far back that is. */
        rs_capture_hold_floor(p->zcap, old - p->zc_base);
        if (pos <= ZC_ROOM || old - p->zc_base >= pos - ZC_ROOM)
            return;
        if (in_fill)
            flush_worker(&p->w[wi], p->clk.k); /* every frame so far is dispatched */
        else
            zc_wait(p, &p->w[wi]);
    }
}

/* Zero copy, if cap is one mapped file and there are threads. */
static int
zc_start(struct rs_parallel *p, struct rs_capture *cap)
{
    if (p->n < 2 || p->finished || p->pull || !rs_capture_still_mapped(cap))
        return 0;
    if (p->clk.k == 0)
        (void)reshard(p, ZC_WEIGHT); /* else (out of memory) the shares stay */
    const uint8_t *base;
    if (p->copy_frames || !rs_capture_hold_mapped(cap, ZC_KEEP, &base, &p->zc_size))
        return 0; /* push mode, copies */
    p->zc = 1;
    p->zcap = cap;
    p->zc_base = (uintptr_t)base;
    return 1;
}

/* The end of a zero-copy feed: every batch handed over and done. */
static void
zc_end(struct rs_parallel *p)
{
    for (unsigned i = 1; i < p->n; i++) {
        struct worker *w = &p->w[i];
        if (w->fill->n)
            flush_worker(w, p->clk.k);
        while (atomic_load_explicit(&w->done_batches, memory_order_acquire) < w->pushed)
            zc_wait(p, w);
    }
    p->zc = 0;
    rs_capture_unhold(p->zcap);
    p->zcap = NULL;
}

/* ---- pull mode: every thread reads the input itself ---- */

static void pull_sync(struct rs_parallel *p);
static void pull_wait(struct rs_parallel *p, uint64_t k);

/*
 * One frame of the input in pull mode, in worker w's thread (self). Every
 * thread reads every frame, so each keeps the global clock itself (the
 * same k and ticks as the push mode's entries give): the lookahead for w's
 * own engine, then the frame if it shards to w, else only the clock; every
 * SYNC_EVERY frames, the records so far handed over. A thread stops where
 * the calling thread stopped (end_k).
 */
static void
pull_frame(void *self, const struct rs_packet *pkt, unsigned own, const struct rs_packet *far,
           unsigned far_own)
{
    struct worker *w = self;
    struct rs_parallel *p = w->par;
    struct pclock *clk = w->local ? &p->clk : &w->pclk;
    if (!w->local && clk->k >= atomic_load_explicit(&p->end_k, memory_order_relaxed)) {
        rs_capture_stop(w->cap); /* the frames already taken are skipped */
        return;
    }
    rs_engine_lookahead_frame(w->eng, far && far_own == w->index ? far : NULL);
    int ticked = clock_frame(clk, pkt->ts);
    if (own == w->index || ticked) {
        w->cur_k = clk->k;
        w->phase = 0;
        rs_engine_advance(w->eng, clk->gnow);
        if (own == w->index) {
            struct rs_packet cut; /* as rs_parallel_packet cuts it */
            w->phase = 1;
            rs_engine_set_index(w->eng, clk->k);
            rs_engine_packet(w->eng, cut_frame(pkt, &cut));
        }
    }
    if (clk->k % PACE_EVERY != 0)
        return;
    if (w->local) {
        p->local = frontier_after(clk->k);
        if (clk->k % SYNC_EVERY == 0)
            pull_sync(p);
        else
            atomic_store_explicit(&p->main_k, clk->k, memory_order_relaxed);
        return;
    }
    /* Far behind the calling thread (which the shared blocks allow only
     * when this thread is the slower one), its records go packed and the
     * calling thread formats them: the one part of the work that can move. */
    uint64_t mk = atomic_load_explicit(&p->main_k, memory_order_relaxed);
    w->pack = pack_records(p, (int)(clk->k / PACE_EVERY) & 1,
                           mk != UINT64_MAX && mk > clk->k + PACK_BEHIND);
    if (clk->k % SYNC_EVERY == 0) {
        publish(w, frontier_after(clk->k), 0);
        pull_wait(p, clk->k);
    }
}

/* A worker thread waits while it is more than PULL_LAG frames ahead of the
 * calling thread, whose pending records would otherwise pile up. */
static void
pull_wait(struct rs_parallel *p, uint64_t k)
{
    if (k <= PULL_LAG || k - PULL_LAG <= atomic_load(&p->main_k))
        return;
    pthread_mutex_lock(&p->lag_mu);
    atomic_fetch_add(&p->lag_waiters, 1);
    while (k - PULL_LAG > atomic_load(&p->main_k))
        pthread_cond_wait(&p->lag_cv, &p->lag_mu);
    atomic_fetch_sub(&p->lag_waiters, 1);
    pthread_mutex_unlock(&p->lag_mu);
}

/* The calling thread's k, for pull_wait (main_k before lag_waiters, as the
 * waiter does the opposite: one of the two sees the other's store). */
static void
pull_publish_k(struct rs_parallel *p, uint64_t k)
{
    atomic_store(&p->main_k, k);
    if (atomic_load(&p->lag_waiters)) {
        pthread_mutex_lock(&p->lag_mu);
        pthread_cond_broadcast(&p->lag_cv);
        pthread_mutex_unlock(&p->lag_mu);
    }
}

/* A worker thread's whole run in pull mode. */
static void
worker_pull(struct worker *w)
{
    w->pclk = (struct pclock){0, 0, INT64_MIN, 0};
    w->pack = pack_records(w->par, 0, 0);
    rs_feed_loop(w->cap, NULL, feed_owner, pull_frame, w, NULL, NULL, NULL);
    worker_flush(w, w->pclk.k + 1, w->pclk.gnow);
}

/* Every SYNC_EVERY frames of the calling thread in pull mode: deliver what
 * can be, and wait for a worker thread that fell more than PULL_LAG behind. */
static void
pull_sync(struct rs_parallel *p)
{
    pull_publish_k(p, p->clk.k);
    collect(p, 0);
    deliver(p, 0);
    for (unsigned i = 1; i < p->n; i++) {
        struct worker *w = &p->w[i];
        while (!w->done && w->progress.k + PULL_LAG <= p->clk.k) {
            collect_worker(p, w, 1);
            deliver(p, 0);
        }
    }
}

/* Closes the readers pull_start made for the worker threads (NULL-safe). */
static void
drop_followers(struct rs_parallel *p)
{
    for (unsigned j = 1; j < p->n; j++) {
        rs_capture_close(p->w[j].cap);
        p->w[j].cap = NULL;
    }
}

/*
 * Pull mode, if every worker thread can read the input itself: more than
 * one worker, nothing fed yet, `cap` at its start (at most `first` taken)
 * and its files can be opened again. Each thread then reads, shards and
 * runs its own buckets with no frame copied and no queue; only records
 * cross threads.
 */
static int
pull_start(struct rs_parallel *p, struct rs_capture *cap, const struct rs_packet *first)
{
    struct rs_capture_stats cs;
    if (p->n < 2 || p->clk.k != 0 || p->finished || p->pull ||
        rs_capture_stats(cap, &cs, NULL) != 0 || cs.returned != (first ? 1u : 0u))
        return 0;
    for (unsigned i = 1; i < p->n; i++) {
        struct rs_error e;
        p->w[i].cap = rs_capture_follow(cap, &e);
        if (!p->w[i].cap) {
            drop_followers(p);
            return 0;
        }
    }
    /* Every thread reads and shards alike now: the calling thread's engine
     * gets PULL_WEIGHT as many buckets as a thread's when it reads the
     * file for all (shared blocks; it also merges and writes), SOLO_WEIGHT
     * when each reads for itself (pcapng: 2 threads 0.67 s with a whole
     * share against 0.79 s with half a share on the 1M capture), and the
     * engines, still empty, are made for their new share. */
    int shared = 1;
    for (unsigned i = 1; i < p->n; i++)
        shared &= rs_capture_shares_blocks(p->w[i].cap);
    if (!reshard(p, shared ? PULL_WEIGHT : SOLO_WEIGHT)) {
        drop_followers(p);
        return 0;
    }
    p->pull = 1;
    for (unsigned i = 1; i < p->n; i++) {
        struct worker *w = &p->w[i];
        w->fill->pull = 1;
        ring_push(&w->in, w->fill);
        w->fill = NULL;
    }
    return 1;
}

uint64_t
rs_parallel_feed(struct rs_parallel *p, struct rs_capture *cap, const struct rs_packet *first,
                 void (*tick)(void *ctx), void *ctx)
{
    if (zc_start(p, cap)) {
        uint64_t n =
            rs_feed_loop(cap, first, feed_owner, feed_frame, &p->w[0], tick, ctx, zc_before_read);
        zc_end(p);
        return n;
    }
    if (p->copy_frames && rs_capture_still_mapped(cap)) /* zc_start's shares, copies */
        return rs_feed_loop(cap, first, feed_owner, feed_frame, &p->w[0], tick, ctx, NULL);
    if (pull_start(p, cap, first))
        return rs_feed_loop(cap, first, feed_owner, pull_frame, &p->w[0], tick, ctx, NULL);
    return rs_feed_loop(cap, first, feed_owner, feed_frame, &p->w[0], tick, ctx, NULL);
}

void
rs_parallel_finish(struct rs_parallel *p)
{
    if (p->finished)
        return;
    p->finished = 1;
    if (p->pull) {
        /* The threads read up to the calling thread's last frame (they stop
         * there if it stopped early) and wait for it no more. */
        atomic_store(&p->end_k, p->clk.k);
        pull_publish_k(p, UINT64_MAX);
    }
    for (unsigned i = 1; i < p->n && !p->pull; i++) {
        struct worker *w = &p->w[i];
        struct batch *b = w->fill;
        b->finish = 1;
        b->fin_now = p->clk.gnow;
        b->k_hi = p->clk.k + 1;
        ring_push(&w->in, b);
        w->fill = NULL;
    }
    /* The local engine ends while the workers do. */
    struct worker *w0 = &p->w[0];
    worker_flush(w0, p->clk.k + 1, p->clk.gnow);
    for (;;) {
        int all = 1;
        for (unsigned i = 0; i < p->n; i++)
            all &= p->w[i].done;
        if (all)
            break;
        collect(p, 1);
        deliver(p, 0);
    }
    deliver(p, 1);
    for (unsigned i = 0; i < p->n; i++) {
        if (!p->w[i].local)
            pthread_join(p->w[i].thread, NULL);
        p->w[i].started = 0;
    }
}

void
rs_parallel_stats(const struct rs_parallel *p, struct rs_engine_stats *out)
{
    memset(out, 0, sizeof *out);
    out->first_ts = INT64_MAX;
    for (unsigned i = 0; i < p->n; i++) {
        struct rs_engine_stats s;
        if (p->w[i].started)
            rs_engine_stats(p->w[i].eng, &s);
        else
            s = p->w[i].st;
        out->packets += s.packets;
        out->bytes += s.bytes;
        out->sessions += s.sessions;
        out->records += s.records;
        out->live_sessions += s.live_sessions;
        out->peak_sessions += s.peak_sessions;
        out->evicted += s.evicted;
        out->reordered += s.reordered;
        out->unsolicited_rst += s.unsolicited_rst;
        out->ftp_expected += s.ftp_expected;
        for (int d = 0; d < RS_DEC__COUNT; d++)
            out->decode[d] += s.decode[d];
        if (s.packets && s.first_ts < out->first_ts)
            out->first_ts = s.first_ts;
        if (s.last_ts > out->last_ts)
            out->last_ts = s.last_ts;
    }
    if (out->first_ts == INT64_MAX)
        out->first_ts = 0;
}

int
rs_parallel_set_format(struct rs_parallel *p, rs_parallel_format_fn fmt, rs_parallel_bytes_fn out,
                       void *user)
{
    if (!p || !fmt || !out || p->clk.k != 0 || p->finished)
        return RS_ERR_USAGE;
    if (!p->scratch && !(p->scratch = malloc(RS_PARALLEL_FORMAT_MAX)))
        return RS_ERR_NOMEM;
    p->fmt = fmt;
    p->bytes_fn = out;
    p->fmt_user = user;
    return 0;
}

void
rs_parallel_pack_mode(struct rs_parallel *p, int mode)
{
    p->pack_mode = mode;
}

void
rs_parallel_copy_frames(struct rs_parallel *p)
{
    p->copy_frames = 1;
}

void
rs_parallel_free(struct rs_parallel *p)
{
    if (!p)
        return;
    if (!p->finished) {
        int running = 0;
        for (unsigned i = 0; i < p->n; i++)
            running |= p->w[i].started;
        if (running) {
            rs_record_fn fn = p->fn;
            rs_parallel_bytes_fn bytes_fn = p->bytes_fn;
            p->fn = NULL; /* nobody asked for these records */
            p->bytes_fn = NULL;
            rs_parallel_finish(p);
            p->fn = fn;
            p->bytes_fn = bytes_fn;
        }
    }
    for (unsigned i = 0; i < p->n; i++) {
        struct worker *w = &p->w[i];
        rs_engine_free(w->eng);
        for (unsigned b = 0; b < NBATCH; b++) {
            free(w->batches[b].e);
        }
        struct outbuf *lists[3] = {w->out_head, w->held, w->spare};
        for (int l = 0; l < 3; l++) {
            struct outbuf *o = lists[l];
            while (o) {
                struct outbuf *next = o->next;
                outbuf_free(o);
                o = next;
            }
        }
        outbuf_free(w->cur);
        if (w->batch_data)
            rs_huge_free(w->batch_data, NBATCH * BATCH_DATA);
        rs_capture_close(w->cap);
        ring_destroy(&w->in);
        ring_destroy(&w->free);
        pthread_mutex_destroy(&w->out_mu);
        pthread_cond_destroy(&w->out_cv);
    }
    pthread_mutex_destroy(&p->lag_mu);
    pthread_cond_destroy(&p->lag_cv);
    free(p->w);
    free(p->scratch);
    free(p->pend);
    free(p->pend_k);
    free(p->ready);
    free(p->runs);
    free(p);
}

struct rs_parallel *
rs_parallel_new(const struct rs_engine_config *cfg, unsigned nthreads, rs_record_fn fn, void *user,
                struct rs_error *err)
{
    if (nthreads < 1 || nthreads > RS_PARALLEL_MAX_THREADS) {
        rs_error_set(err, RS_ERR_USAGE, "--threads wants a number from 1 to %d",
                     RS_PARALLEL_MAX_THREADS);
        return NULL;
    }
    /* 64-byte aligned: its per-thread parts are on lines of their own. */
    struct rs_parallel *p = aligned_alloc(64, (sizeof *p + 63) & ~(size_t)63);
    if (!p) {
        rs_error_set(err, RS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    memset(p, 0, sizeof *p);
    p->w = aligned_alloc(64, nthreads * sizeof *p->w); /* a multiple of 64 */
    if (!p->w) {
        free(p);
        rs_error_set(err, RS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    memset(p->w, 0, nthreads * sizeof *p->w);
    p->n = nthreads;
    p->fn = fn;
    p->user = user;
    p->clk.last_tick = INT64_MIN;
    p->local = frontier_after(0);
    atomic_init(&p->main_k, 0);
    atomic_init(&p->end_k, UINT64_MAX);
    atomic_init(&p->lag_waiters, 0);
    pthread_mutex_init(&p->lag_mu, NULL);
    pthread_cond_init(&p->lag_cv, NULL);
    p->cfg = *cfg;
    /* One seed for every engine: ids are the same whatever the worker (the
     * frame that began the session), and so are the uids made from them. */
    if (!p->cfg.hash_seed)
        p->cfg.hash_seed = rs_engine_random_seed();
    shard_init(p, READER_WEIGHT);
    for (unsigned i = 0; i < nthreads; i++) {
        struct worker *w = &p->w[i];
        w->par = p;
        w->index = i;
        ring_init(&w->in);
        ring_init(&w->free);
        pthread_mutex_init(&w->out_mu, NULL);
        pthread_cond_init(&w->out_cv, NULL);
    }
    for (unsigned i = 0; i < nthreads; i++) {
        struct worker *w = &p->w[i];
        w->eng = worker_engine(p, i, err);
        w->cur = outbuf_new(1);
        if (!w->eng || !w->cur)
            goto nomem;
        if (i == 0) {
            w->local = 1;
            continue;
        }
        w->batch_data = rs_huge_alloc(NBATCH * BATCH_DATA);
        if (!w->batch_data)
            goto nomem;
        for (unsigned b = 0; b < NBATCH; b++) {
            w->batches[b].e = malloc(BATCH_PKTS * sizeof(struct entry));
            w->batches[b].data = w->batch_data + b * BATCH_DATA;
            if (!w->batches[b].e)
                goto nomem;
            if (b == 0)
                w->fill = &w->batches[b];
            else
                ring_push(&w->free, &w->batches[b]);
        }
    }
    p->w[0].started = 1;
    for (unsigned i = 1; i < nthreads; i++) {
        if (pthread_create(&p->w[i].thread, NULL, worker_main, &p->w[i]) != 0) {
            rs_error_set(err, RS_ERR_INTERNAL, "cannot start worker thread %u", i);
            p->finished = 1; /* workers already started are ended below */
            p->w[0].started = 0;
            for (unsigned j = 1; j < i; j++) {
                struct batch *b = p->w[j].fill;
                b->n = 0;
                b->finish = 1;
                b->k_hi = 0;
                p->fn = NULL;
                p->bytes_fn = NULL;
                ring_push(&p->w[j].in, b);
                pthread_join(p->w[j].thread, NULL);
            }
            rs_parallel_free(p);
            return NULL;
        }
        p->w[i].started = 1;
    }
    return p;
nomem:
    rs_error_set(err, RS_ERR_NOMEM, "out of memory");
    rs_parallel_free(p);
    return NULL;
}
