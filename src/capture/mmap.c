/*
 * mmap.c - the fast path for classic pcap files: records are parsed in
 * place in a window over the file, with no per-packet call into stdio.
 *
 * Why not always libpcap: pcap_next_ex costs two freads per packet (header,
 * then data copied into its buffer) with stdio's locking around each, which
 * on a big capture is a good part of the whole analysis.
 *
 * Two windows, one parser:
 *  - block: pread(2) of 512 KiB at a time into one buffer that is reused
 *    for the whole file; a record cut by the buffer's end is moved to its
 *    start before the next read. The buffer is mapped once, so the kernel
 *    only copies page-cache pages into it.
 *  - mapped: the whole file is mapped (mapping.c: populated ahead,
 *    dropped behind, streamed into the cache ahead of the parse), and the
 *    records are parsed in the page cache itself, without a copy.
 * Which one: opts.pcap_mmap 1 or -1, or 0 (the default) as mapping.c
 * measures it when the file is opened; the records are the same. A
 * mapped file that shrinks while it is read turns to block reads from the
 * next record (mm_to_block), which then end where the file now ends.
 *
 * What it must keep: every behaviour of the libpcap path, packet by packet
 * (tests/unit/test_capture.c compares all three readers on crafted files
 * and on the shared corpus). The rules below are libpcap 1.10's sf-pcap.c:
 *  - record header: a clean end when no byte is left; fewer than 16 bytes is
 *    "truncated dump file; tried to read 16 header bytes, only got N";
 *  - the file's snapshot length is kept as written unless it is 0 or
 *    negative as an int (then 262144); a caplen above the link type's
 *    maximum (262144 for every type we take) is an error ("invalid packet
 *    capture length N, bigger than snaplen of S" or "... bigger than maximum
 *    of 262144" when the snapshot length is larger still); above the
 *    snapshot length but not the maximum, the record is cut to the snapshot
 *    length and the rest skipped;
 *  - data shorter than caplen is "truncated dump file; tried to read N
 *    captured bytes, only got M";
 *  - time stamps are 32-bit seconds and fractions, signed in a file of this
 *    host's byte order and unsigned in a swapped one (libpcap's SWAPLONG),
 *    microseconds scaled to nanoseconds.
 * Anything this reader does not model exactly goes to libpcap instead, which
 * rs_mm_open says by returning 1: Kuznetzov's modified records, versions
 * other than 2.4 (caplen/len swapped in old files), link types whose
 * maximum snapshot differs or whose pseudo-header libpcap byte-swaps
 * (NFLOG and USB in a foreign byte order), and anything not a regular file.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define MM_PAUSE() _mm_pause()
#else
#define MM_PAUSE() ((void)0)
#endif
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/capture_int.h"
#include "util/hugemem.h"

#define MM_BLOCK ((size_t)512 * 1024) /* block window; > the largest record */
_Static_assert(MM_BLOCK <= RS_HUGE_PAGE, "the block fits its huge page");
#define MM_MAX_SNAPLEN 262144u /* libpcap's MAXIMUM_SNAPLEN */
#define MM_RING 8u             /* blocks kept for followers (rs_mm_follow) */
#define MM_MAX_FOLLOW 64u

/*
 * Blocks shared by one reader (the producer, which reads the file) and its
 * followers (which parse the same blocks in other threads). Block g
 * (1-based, in the order filled) lives in slot (g - 1) % MM_RING, with
 * what the producer's fill left: the window's length, its file offset, the
 * end of the file, or a read error. The producer's fill copies the unread
 * tail into the next slot itself, so a follower, whose parse is the same
 * as the producer's record for record, only switches to the next block.
 */
struct rs_mm_block {
    size_t hi;
    uint64_t win_off;
    int eof;
    int failed;
    char err[160];
};

struct rs_mm_ring {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int refs;   /* readers still open: the producer and its followers */
    int closed; /* the producer is closed */
    uint8_t *slot[MM_RING];
    uint8_t *first;             /* slot 0: the producer's own block from before the ring */
    uint8_t *rest;              /* slots 1.. : one mapping */
    _Atomic uint64_t published; /* blocks filled by the producer */
    struct rs_mm_block block[MM_RING];
    unsigned nfollow;
    _Atomic uint64_t at[MM_MAX_FOLLOW]; /* the block each follower parses (UINT64_MAX: closed) */
    _Atomic int waiting;                /* someone sleeps on cv */
};

/* How long a reader spins before it sleeps: a wake-up is an interrupt to
 * the other CPU, which on a virtual machine costs both threads far more
 * than the few microseconds the other side usually needs. */
#define MM_SPIN 20000u

/* Wakes whoever sleeps on the ring (after the caller's store: seq_cst, so
 * that a sleeper either sees that store or is seen here). */
static void
ring_wake(struct rs_mm_ring *r)
{
    if (atomic_load(&r->waiting)) {
        pthread_mutex_lock(&r->mu);
        atomic_store(&r->waiting, 0);
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
    }
}

static uint32_t
rd32(const uint8_t *p, int swapped)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return swapped ? __builtin_bswap32(v) : v;
}

static uint16_t
rd16(const uint8_t *p, int swapped)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return swapped ? __builtin_bswap16(v) : v;
}

/* Link types whose records libpcap passes through untouched, whose maximum
 * snapshot length is MM_MAX_SNAPLEN and whose LINKTYPE_ value comes back
 * unchanged through libpcap's DLT_ mapping (not 12 and 14, which it reports
 * as LINKTYPE_RAW on some platforms). */
static int
mappable_linktype(uint32_t lt, int swapped)
{
    switch (lt) {
    case RS_LINK_NULL:
    case RS_LINK_ETHERNET:
    case RS_LINK_PPP:
    case RS_LINK_FDDI:
    case RS_LINK_PPP_HDLC:
    case RS_LINK_PPP_ETHER:
    case RS_LINK_RAW:
    case RS_LINK_C_HDLC:
    case RS_LINK_IEEE802_11:
    case RS_LINK_LOOP:
    case RS_LINK_LINUX_SLL:
    case RS_LINK_IEEE802_11_RADIOTAP:
    case RS_LINK_PPI:
    case RS_LINK_IPV4:
    case RS_LINK_IPV6:
    case RS_LINK_LINUX_SLL2:
        return 1;
    case RS_LINK_NFLOG:
        return !swapped; /* libpcap swaps its TLV headers in foreign-order files */
    default:
        return 0;
    }
}

/* Block window from file offset `at`; 0, or -1 with nothing held. */
static int
block_init(struct rs_mm *m, uint64_t at, uint64_t left)
{
    /* In a huge page of its own: the block's 128 small pages were each a
     * page fault inside the first pread (util/hugemem.h). A file that does
     * not fill the block keeps small pages: a 2 MiB page for a few packets
     * would be most of a small run's memory. */
    m->buf = left >= MM_BLOCK ? rs_huge_alloc(RS_HUGE_PAGE) : rs_huge_alloc_lazy(RS_HUGE_PAGE);
    if (!m->buf)
        return -1;
    m->win = m->buf;
    m->win_off = at;
    m->lo = m->hi = 0;
    m->eof = 0;
    return 0;
}

/*
 * From the mapping to block reads at the next record (a file that shrank
 * under the mapping): the mapping stays until close, since frames already
 * returned may point into it. 0, or -1 (no memory) when it stays mapped.
 */
static int
mm_to_block(struct rs_mm *m)
{
    if (block_init(m, m->win_off + m->lo, MM_BLOCK) != 0)
        return -1; /* nothing changed */
    rs_mapping_retire(&m->mp);
    m->la_depth = 0; /* the lookahead cursor starts again */
    m->ch = (struct rs_chase){0, 0};
    return 0;
}

/*
 * The 24-byte file header h, if the fast path models its variant of the
 * format: 1 with the reader's format fields set, else 0.
 */
static int
header_take(struct rs_mm *m, const uint8_t *h)
{
    uint32_t magic;
    memcpy(&magic, h, 4);
    int swapped;
    if (magic == 0xa1b2c3d4u || magic == 0xa1b23c4du)
        swapped = 0;
    else if (__builtin_bswap32(magic) == 0xa1b2c3d4u || __builtin_bswap32(magic) == 0xa1b23c4du)
        swapped = 1;
    else
        return 0; /* Kuznetzov's format, or not pcap at all */
    uint16_t major = rd16(h + 4, swapped), minor = rd16(h + 6, swapped);
    uint32_t snaplen = rd32(h + 16, swapped);
    uint32_t linktype = rd32(h + 20, swapped) & 0x03ffffffu; /* LT_LINKTYPE */
    if (major != 2 || minor != 4 || !mappable_linktype(linktype, swapped))
        return 0;
    m->swapped = swapped;
    m->ns = (swapped ? __builtin_bswap32(magic) : magic) == 0xa1b23c4du;
    m->frac_ns = m->ns ? 1 : 1000;
    /* libpcap 1.10 keeps the header's snapshot length unless it is <= 0 as an int. */
    m->snaplen = (int32_t)snaplen <= 0 ? MM_MAX_SNAPLEN : snaplen;
    m->linktype = linktype;
    return 1;
}

int
rs_mm_open(struct rs_mm *m, int fd, uint64_t start, int mode)
{
    memset(m, 0, sizeof *m);
    m->fd = -1;
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return 1;
    uint64_t size = (uint64_t)st.st_size;
    if (size < start || size - start < 24 || size > (uint64_t)SIZE_MAX)
        return 1;
    uint8_t h[24];
    if (rs_pread_full(fd, h, sizeof h, start) != (ssize_t)sizeof h || !header_take(m, h))
        return 1;
    /* Our own descriptor in both modes: a mapping may turn to block reads. */
    m->fd = dup(fd);
    if (m->fd < 0)
        return 1;
    if (rs_mapping_open(&m->mp, fd, size, mode)) {
        m->win = m->mp.base;
        m->win_off = 0;
        m->lo = (size_t)(start + 24);
        m->hi = (size_t)size;
        m->eof = 1; /* the window is the whole file */
    } else if (mode > 0 || block_init(m, start + 24, size - start) != 0) {
        close(m->fd);
        m->fd = -1;
        return 1;
    }
    return 0;
}

int
rs_mm_open_stream(struct rs_mm *m, FILE *fp, const uint8_t magic[4], const uint8_t **taken,
                  size_t *ntaken)
{
    memset(m, 0, sizeof *m);
    m->fd = -1;
    *taken = magic;
    *ntaken = 4;
    int fd = fileno(fp);
    /* Small pages: how much the pipe will bring is not known. */
    if (fd < 0 || block_init(m, 0, 0) != 0)
        return 1;
    memcpy(m->buf, magic, 4);
    ssize_t held = rs_stdio_take(fp, m->buf + 4, MM_BLOCK - 4);
    if (held < 0)
        return 1; /* nothing taken but the magic: stdio reads on */
    m->hi = 4 + (size_t)held;
    *taken = m->buf;
    *ntaken = m->hi;
    if (m->hi < 24) {
        ssize_t r = rs_read_some(fd, m->buf + m->hi, 24 - m->hi, MM_BLOCK - m->hi);
        if (r > 0)
            m->hi += (size_t)r;
        *ntaken = m->hi;
        if (m->hi < 24)
            return 1; /* libpcap words the short header (or the read error) */
    }
    if (!header_take(m, m->buf))
        return 1;
    m->fd = dup(fd);
    if (m->fd < 0)
        return 1;
    m->stream = 1;
    m->lo = 24;
    rs_pipe_grow(m->fd);
    return 0;
}

/*
 * Makes at least `need` bytes available at win + lo, reading more when the
 * window is a block; returns the bytes available (fewer only at the end of
 * the file), or -1 on a read error (m->err set).
 */
static ssize_t follow_fill(struct rs_mm *m);
static uint8_t *ring_next_slot(struct rs_mm *m);
static void ring_publish(struct rs_mm *m, int failed);

static ssize_t
fill(struct rs_mm *m, size_t need)
{
    if (m->hi - m->lo >= need || m->eof)
        return (ssize_t)(m->hi - m->lo);
    if (m->follows)
        return follow_fill(m);
    /* Keep the unread tail, then fill the rest of the block (the next
     * slot of the ring, when there are followers). */
    size_t keep = m->hi - m->lo;
    uint8_t *dst = m->ring ? ring_next_slot(m) : m->buf;
    memmove(dst, m->buf + m->lo, keep);
    m->buf = dst;
    m->win = dst;
    m->win_off += m->lo;
    m->lo = 0;
    m->hi = keep;
    m->gen++;
    /* A pipe: as much as it holds, waiting only for what the parse needs. */
    ssize_t r = m->stream ? rs_read_some(m->fd, m->buf + keep, need - keep, MM_BLOCK - keep)
                          : rs_pread_full(m->fd, m->buf + keep, MM_BLOCK - keep, m->win_off + keep);
    if (r < 0) {
        snprintf(m->err, sizeof m->err, "error reading dump file: %s", strerror(errno));
        if (m->ring)
            ring_publish(m, 1);
        return -1;
    }
    m->hi += (size_t)r;
    if (m->stream ? (size_t)r < need - keep : m->hi < MM_BLOCK)
        m->eof = 1;
    if (m->ring)
        ring_publish(m, 0);
    return (ssize_t)(m->hi - m->lo);
}

/* ---- blocks shared with followers ---- */

/* The lowest block a follower still needs (UINT64_MAX: none). */
static uint64_t
ring_low(struct rs_mm_ring *r)
{
    uint64_t low = UINT64_MAX;
    for (unsigned i = 0; i < r->nfollow; i++) {
        uint64_t a = atomic_load(&r->at[i]);
        if (a < low)
            low = a;
    }
    return low;
}

/* The producer's next slot, once no follower still needs the block in it. */
static uint8_t *
ring_next_slot(struct rs_mm *m)
{
    struct rs_mm_ring *r = m->ring;
    uint64_t g = m->gen + 1; /* the block about to be filled */
    /* Slot of g held block g - MM_RING: free once every follower is past it. */
    for (unsigned spin = 0; g > MM_RING && ring_low(r) <= g - MM_RING; spin++) {
        if (spin < MM_SPIN) {
            MM_PAUSE();
            continue;
        }
        pthread_mutex_lock(&r->mu);
        atomic_store(&r->waiting, 1);
        if (ring_low(r) <= g - MM_RING)
            pthread_cond_wait(&r->cv, &r->mu);
        pthread_mutex_unlock(&r->mu);
    }
    return r->slot[(g - 1) % MM_RING];
}

/* The block the producer just filled, for the followers. */
static void
ring_publish(struct rs_mm *m, int failed)
{
    struct rs_mm_ring *r = m->ring;
    struct rs_mm_block *b = &r->block[(m->gen - 1) % MM_RING];
    b->hi = m->hi;
    b->win_off = m->win_off;
    b->eof = m->eof;
    b->failed = failed;
    if (failed)
        memcpy(b->err, m->err, sizeof b->err);
    atomic_store(&r->published, m->gen); /* release: the block and its slot */
    ring_wake(r);
}

/* A follower's fill: the producer's next block, as its fill left it. */
static ssize_t
follow_fill(struct rs_mm *m)
{
    struct rs_mm_ring *r = m->ring;
    uint64_t g = m->gen + 1;
    atomic_store(&r->at[m->follower], g); /* done with block g - 1: the tail is in block g */
    ring_wake(r);
    for (unsigned spin = 0; atomic_load(&r->published) < g; spin++) {
        if (spin < MM_SPIN) {
            MM_PAUSE();
            continue;
        }
        pthread_mutex_lock(&r->mu);
        atomic_store(&r->waiting, 1);
        int closed = r->closed;
        if (!closed && atomic_load(&r->published) < g)
            pthread_cond_wait(&r->cv, &r->mu);
        pthread_mutex_unlock(&r->mu);
        if (closed && atomic_load(&r->published) < g) {
            snprintf(m->err, sizeof m->err, "the reader this one followed was closed");
            return -1;
        }
    }
    const struct rs_mm_block *b = &r->block[(g - 1) % MM_RING];
    m->gen = g;
    m->win = r->slot[(g - 1) % MM_RING];
    m->win_off = b->win_off;
    m->lo = 0;
    m->hi = b->hi;
    m->eof = b->eof;
    if (b->failed) {
        memcpy(m->err, b->err, sizeof m->err);
        return -1;
    }
    return (ssize_t)(m->hi - m->lo);
}

/* Drops one reader's hold on the ring; the last frees it. */
static void
ring_leave(struct rs_mm *m)
{
    struct rs_mm_ring *r = m->ring;
    pthread_mutex_lock(&r->mu);
    if (m->follows)
        atomic_store(&r->at[m->follower], UINT64_MAX);
    else
        r->closed = 1;
    atomic_store(&r->waiting, 0);
    pthread_cond_broadcast(&r->cv);
    int last = --r->refs == 0;
    pthread_mutex_unlock(&r->mu);
    m->ring = NULL;
    m->buf = NULL; /* a slot */
    if (!last)
        return;
    rs_huge_free(r->first, RS_HUGE_PAGE);
    rs_huge_free(r->rest, rs_huge_round((MM_RING - 1) * MM_BLOCK));
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    free(r);
}

int
rs_mm_follow(struct rs_mm *f, struct rs_mm *p)
{
    if (p->mp.base || p->mp.old || p->fd < 0 || p->follows || p->gen > 1 || f->mp.base ||
        f->mp.old || f->follows || f->ring || f->gen != 0)
        return -1;
    struct rs_mm_ring *r = p->ring;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r)
            return -1;
        r->rest = rs_huge_alloc(rs_huge_round((MM_RING - 1) * MM_BLOCK));
        if (!r->rest) {
            free(r);
            return -1;
        }
        pthread_mutex_init(&r->mu, NULL);
        pthread_cond_init(&r->cv, NULL);
        /* The producer's block is slot 0 (block 1, if it was filled: a
         * frame already returned may point into it). */
        r->first = p->buf;
        r->slot[0] = p->buf;
        for (unsigned i = 1; i < MM_RING; i++)
            r->slot[i] = r->rest + (size_t)(i - 1) * MM_BLOCK;
        atomic_init(&r->published, p->gen);
        if (p->gen == 1) {
            r->block[0].hi = p->hi;
            r->block[0].win_off = p->win_off;
            r->block[0].eof = p->eof;
        }
        r->refs = 1;
        p->ring = r;
    }
    if (r->nfollow == MM_MAX_FOLLOW)
        return -1;
    pthread_mutex_lock(&r->mu);
    f->follower = r->nfollow;
    atomic_init(&r->at[f->follower], 0);
    r->nfollow++;
    r->refs++;
    pthread_mutex_unlock(&r->mu);
    /* f reads nothing of its own from here on. */
    if (f->fd >= 0)
        close(f->fd);
    rs_huge_free(f->buf, RS_HUGE_PAGE);
    f->fd = -1;
    f->buf = NULL;
    f->win = NULL;
    f->lo = f->hi = 0;
    f->eof = 0;
    f->ring = r;
    f->follows = 1;
    return 0;
}

/* The frame of the record whose header is h (whole in the window). */
static inline void
record_frame(const struct rs_mm *m, const uint8_t *h, uint32_t caplen, struct rs_packet *pkt)
{
    int sw = m->swapped;
    uint32_t usec = rd32(h, sw), ufrac = rd32(h + 4, sw);
    /* libpcap reads native-order times as int32 and swaps foreign ones as
     * unsigned: the same bytes mean different times in the two orders. */
    int64_t sec = sw ? (int64_t)usec : (int64_t)(int32_t)usec;
    int64_t frac = sw ? (int64_t)ufrac : (int64_t)(int32_t)ufrac;
    pkt->ts = sec * RS_NS_PER_SEC + frac * m->frac_ns;
    pkt->caplen = caplen;
    pkt->len = rd32(h + 12, sw);
    pkt->linktype = m->linktype;
    pkt->data = h + 16;
}

/* Mapped: populate ahead, drop behind, or turn to block reads (a file
 * that shrank), once `lo` comes near the end of what is populated or far
 * from what was dropped. */
static inline void
window_check(struct rs_mm *m)
{
    if (rs_mapping_due(&m->mp, m->lo) && rs_mapping_advance(&m->mp, m->fd, m->lo) != 0)
        (void)mm_to_block(m); /* else it stays mapped, as it was */
}

/* The next record and its timestamp from header h (whole in the window). */
static inline void
take(struct rs_mm *m, const uint8_t *h, uint32_t caplen, uint64_t skip, struct rs_packet *pkt)
{
    record_frame(m, h, caplen, pkt);
    m->lo += 16 + (size_t)skip;
    if (m->la_depth)
        m->la_depth--; /* the lookahead frame is one closer */
    /* The next record's header and first bytes: the walk never waits on them. */
    const uint8_t *next = m->win + m->lo;
    __builtin_prefetch(next);
    __builtin_prefetch(next + 64);
    if (m->mp.base && m->lo >= m->ch.at)
        rs_mapping_stream(&m->mp, m->lo, m->hi);
}

int
rs_mm_next_whole(struct rs_mm *m, struct rs_packet *pkt)
{
    window_check(m);
    if (m->hi - m->lo >= 16) {
        const uint8_t *h = m->win + m->lo;
        uint32_t caplen = rd32(h + 8, m->swapped);
        if (caplen <= m->snaplen && caplen <= MM_MAX_SNAPLEN && caplen <= m->hi - m->lo - 16) {
            take(m, h, caplen, caplen, pkt);
            return 1;
        }
    }
    return 0;
}

/* The longest caplen of a record that the batch parse (and so the chase)
 * takes as it is; a longer one goes to rs_mm_next, which cuts or refuses it. */
static inline uint32_t
whole_caplen_max(const struct rs_mm *m)
{
    return m->snaplen < MM_MAX_SNAPLEN ? m->snaplen : MM_MAX_SNAPLEN;
}

/*
 * The header chase (struct rs_chase, capture_int.h). Streaming every line
 * of the file into the cache (rs_mapping_stream) reads all of it from
 * memory, payload included: on the 1M bench capture (626 bytes a frame)
 * that was a tenth of the run, memory bandwidth, where the analysis reads
 * a record header and the first line or two of the frame. The chase walks
 * the record headers ahead of the parse instead, one record per frame the
 * caller processes, and starts loading the header and the first 112 bytes
 * of each frame it reaches: the header it reads next was asked for a
 * frame earlier (a few hundred nanoseconds), so it does not wait, and the
 * lines in between (the payloads) are loaded only if something reads them.
 *
 * It has to stay ahead of every frame the caller has parsed but not yet
 * processed (the feed loop holds up to RS_ENGINE_LOOKAHEAD + 64 of them):
 * RS_CHASE_LEAD records. Below that (at the start, or when the parse
 * overtook it) it takes two records a frame, the second a wait on memory.
 * It stops at anything the parse would not take whole (damage, the end,
 * the populated part's end), and the parse streams wherever it is not
 * behind the chase, as it did before.
 */
void
rs_mm_chase(struct rs_mm *m)
{
    if (!m->mp.base)
        return;
    size_t end = rs_chase_end(&m->mp, m->hi);
    const uint32_t snap = whole_caplen_max(m);
    for (unsigned k = rs_chase_begin(&m->ch, m->lo); k; k--) {
        size_t at = m->ch.at;
        if (at > end || end - at < 16)
            break;
        uint32_t caplen = rd32(m->win + at + 8, m->swapped);
        if (caplen > snap || caplen > end - at - 16)
            break;
        rs_chase_reach(&m->ch, m->win, at + 16 + (size_t)caplen);
    }
}

size_t
rs_mm_next_batch(struct rs_mm *m, struct rs_packet *pkts, size_t max)
{
    window_check(m);
    const uint8_t *w = m->win;
    size_t lo = m->lo, hi = m->hi, n = 0;
    const int mapped = m->mp.base != NULL;
    const int sw = m->swapped;
    const uint32_t snap = whole_caplen_max(m);
    while (n < max && hi - lo >= 16) {
        const uint8_t *h = w + lo;
        uint32_t caplen = rd32(h + 8, sw);
        if (caplen > snap || caplen > hi - lo - 16)
            break; /* for rs_mm_next: a refill, the end, damage */
        record_frame(m, h, caplen, &pkts[n++]);
        lo += 16 + (size_t)caplen;
        __builtin_prefetch(w + lo);
        __builtin_prefetch(w + lo + 64);
        if (mapped && lo >= m->ch.at) /* the chase is not ahead: stream */
            rs_mapping_stream(&m->mp, lo, hi);
    }
    m->lo = lo;
    m->la_depth = 0; /* the lookahead cursor starts again */
    return n;
}

int
rs_mm_next(struct rs_mm *m, struct rs_packet *pkt)
{
    /* The common case: a well-formed record whole in the block. */
    if (rs_mm_next_whole(m, pkt))
        return 1;
    ssize_t avail = fill(m, 16);
    if (avail <= 0)
        return avail < 0 ? -1 : 0;
    if (avail < 16) {
        snprintf(m->err, sizeof m->err,
                 "truncated dump file; tried to read 16 header bytes, only got %zd", avail);
        return -1;
    }
    const uint8_t *h = m->win + m->lo;
    int sw = m->swapped;
    uint32_t caplen = rd32(h + 8, sw);
    uint64_t skip = caplen;
    if (caplen > MM_MAX_SNAPLEN) {
        if (caplen > m->snaplen) {
            snprintf(m->err, sizeof m->err,
                     "invalid packet capture length %u, bigger than snaplen of %u", caplen,
                     m->snaplen);
        } else {
            snprintf(m->err, sizeof m->err,
                     "invalid packet capture length %u, bigger than maximum of %u", caplen,
                     MM_MAX_SNAPLEN);
        }
        return -1;
    }
    avail = fill(m, 16 + (size_t)skip);
    if (avail < 0)
        return -1;
    h = m->win + m->lo; /* the block may have moved */
    uint64_t left = (uint64_t)avail - 16;
    if (caplen > m->snaplen) {
        if (left < m->snaplen) {
            snprintf(m->err, sizeof m->err,
                     "truncated dump file; tried to read %u captured bytes, only got %llu",
                     m->snaplen, (unsigned long long)left);
            return -1;
        }
        caplen = m->snaplen; /* libpcap keeps the first snaplen bytes */
    }
    if (left < skip) {
        snprintf(m->err, sizeof m->err,
                 "truncated dump file; tried to read %llu captured bytes, only got %llu",
                 (unsigned long long)skip, (unsigned long long)left);
        return -1;
    }
    take(m, h, caplen, skip, pkt);
    return 1;
}

static size_t record_at(const struct rs_mm *m, size_t off, struct rs_packet *pkt);

int
rs_mm_peek(const struct rs_mm *m, unsigned ahead, struct rs_packet *pkt)
{
    size_t off = m->lo;
    for (unsigned i = 1; i < ahead; i++) {
        size_t n = record_at(m, off, NULL);
        if (!n)
            return 0;
        off += n;
    }
    return ahead && record_at(m, off, pkt) != 0;
}

/* The record at window offset `off`, when whole in the window: its length
 * on disk (16 + caplen), else 0. */
static size_t
record_at(const struct rs_mm *m, size_t off, struct rs_packet *pkt)
{
    if (off > m->hi || 16 > m->hi - off)
        return 0;
    const uint8_t *h = m->win + off;
    uint32_t caplen = rd32(h + 8, m->swapped);
    if (caplen > MM_MAX_SNAPLEN || caplen > m->hi - off - 16)
        return 0;
    if (pkt) {
        pkt->ts = 0;
        pkt->caplen = caplen < m->snaplen ? caplen : m->snaplen;
        pkt->len = rd32(h + 12, m->swapped);
        pkt->linktype = m->linktype;
        pkt->number = 0;
        pkt->data = h + 16;
    }
    return 16 + (size_t)caplen;
}

int
rs_mm_lookahead(struct rs_mm *m, unsigned depth, struct rs_packet *pkt)
{
    uint64_t next = m->win_off + m->lo; /* file offset of the frame at depth 1 */
    if (depth == 0)
        return 0;
    if (m->la_depth == 0 || m->la_depth > depth || m->la_abs < next) {
        m->la_abs = next;
        m->la_depth = 1;
        m->la_len = 0;
    }
    while (m->la_depth < depth) {
        /* The record under the cursor was measured by the last call. */
        size_t n = m->la_len ? m->la_len : record_at(m, (size_t)(m->la_abs - m->win_off), NULL);
        if (!n)
            return 0; /* beyond the window: try again at the next frame */
        m->la_abs += n;
        m->la_depth++;
        m->la_len = 0;
    }
    size_t off = (size_t)(m->la_abs - m->win_off);
    m->la_len = record_at(m, off, pkt);
    if (m->la_len && m->la_len < m->hi - off) {
        /* The next call's record: its header and the first network bytes. */
        __builtin_prefetch(m->win + off + m->la_len);
        __builtin_prefetch(m->win + off + m->la_len + 64);
    }
    return m->la_len != 0;
}

uint64_t
rs_mm_offset(const struct rs_mm *m)
{
    return m->win_off + m->lo;
}

void
rs_mm_close(struct rs_mm *m)
{
    rs_mapping_close(&m->mp);
    if (m->fd >= 0)
        close(m->fd);
    if (m->ring)
        ring_leave(m);
    else
        rs_huge_free(m->buf, RS_HUGE_PAGE);
    m->buf = NULL;
    m->fd = -1;
}
