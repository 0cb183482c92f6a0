/*
 * mapping.c - a capture file mapped whole and read front to back, for the
 * classic pcap fast path (mmap.c) and the pcapng reader (pcapng.c).
 *
 * The mapping is read-only and private, MADV_SEQUENTIAL, populated a
 * window ahead of the reader (MADV_POPULATE_READ) and dropped behind it
 * (MADV_DONTNEED: the mapping is never written, so a dropped page is
 * simply read again if touched, and frames handed out earlier stay
 * readable). Ahead of the parse, the readers chase the record headers
 * (struct rs_chase, capture_int.h; mmap.c says why), loading each frame's
 * first lines only; where no chase is ahead (a caller that does not call
 * rs_capture_chase), the mapping is streamed into the cache RS_MAP_STREAM
 * bytes ahead. No copy: the parse reads the page cache itself, and only
 * the lines it touches.
 *
 * Whether to map (mode 0, the default): mapping a page is cheap on most
 * machines and dear on some virtual ones (shadow paging: every first touch
 * of a newly mapped page traps to the hypervisor). Measured on the
 * 1M-packet bench capture (626 MB): on one of our VMs the mapped walk cost
 * 0.4-0.55 s of CPU against 0.12 s of block reads; on another, mapping and
 * touching the whole file cost 0.03 s against 0.10 s of copying, and a
 * full analysis 0.05-0.07 s less system time. So it is measured, per file
 * (map_auto): the first MiB is copied and the first window mapped and
 * touched, both under the thread's CPU clock, back to back (a host that
 * slows this CPU down for a while slows both), and the mapping kept only
 * when a MiB of it cost clearly less than a MiB of copies (MAP_AUTO_RATIO).
 * The frames are the same either way; only the cost differs.
 *
 * A mapped file cut shorter while it is read would fault (SIGBUS) where a
 * read returns short. So the measured choice leaves files written to in
 * the last MAP_AUTO_QUIET seconds (a capture still being written, a ring
 * buffer being rotated) to reads, and each window checks the file's size
 * before it is populated: when it shrank, rs_mapping_advance says so and
 * the reader reads on from there (docs/robustness.md says what is left).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture/capture_int.h"

/* Files smaller than this are read (the choice would not show), as are
 * files modified in the last MAP_AUTO_QUIET seconds. A mapping is kept
 * when populating and touching a MiB of it cost less than MAP_AUTO_RATIO
 * times copying a MiB: under the copy, to leave room for the translations
 * the parse then misses. Measured: 0.4-0.56 of the copy on the machine
 * where mapping saved 7% of a whole run, about 4 (0.4-0.55 s against
 * 0.12 s for 626 MB) on the one where it cost 3x the reading. */
#define MAP_AUTO_MIN ((uint64_t)32 << 20)
#define MAP_AUTO_PROBE ((uint64_t)8 << 20) /* the window measured */
#define MAP_AUTO_QUIET 10
#define MAP_AUTO_RATIO 0.8

static double
thread_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return 0;
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int rs_mapping_guard;

ssize_t
rs_pread_full(int fd, uint8_t *dst, size_t n, uint64_t off)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, dst + got, n - got, (off_t)(off + got));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

#ifdef MADV_POPULATE_READ
/* The measured choice (above): the mapping, its first window populated
 * (*populated), or NULL. */
static void *
map_auto(int fd, const struct stat *st, uint64_t size, uint64_t *populated)
{
    if (size < MAP_AUTO_MIN || time(NULL) - st->st_mtime < MAP_AUTO_QUIET)
        return NULL;
    enum { PART = 256 * 1024, PARTS = 4 };
    uint8_t *buf = malloc(PART);
    if (!buf)
        return NULL;
    int ok = rs_pread_full(fd, buf, PART, 0) == PART; /* the buffer's pages, once */
    double t0 = thread_ns();
    for (int i = 0; ok && i < PARTS; i++)
        ok = rs_pread_full(fd, buf, PART, (uint64_t)i * PART) == PART;
    double copy = thread_ns() - t0; /* PARTS * PART = 1 MiB */
    free(buf);
    void *base = ok ? mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
    if (base == MAP_FAILED)
        return NULL;
    madvise(base, (size_t)size, MADV_SEQUENTIAL);
    size_t w = (size_t)(size < MAP_AUTO_PROBE ? size : MAP_AUTO_PROBE);
    t0 = thread_ns();
    ok = madvise(base, w, MADV_POPULATE_READ) == 0;
    unsigned sum = 0;
    for (size_t i = 0; ok && i < w; i += 4096)
        sum += ((const volatile uint8_t *)base)[i];
    (void)sum;
    double map = (thread_ns() - t0) / ((double)w / (1 << 20)); /* per MiB */
    if (ok && t0 > 0 && map < copy * MAP_AUTO_RATIO) {
        *populated = w;
        return base;
    }
    munmap(base, (size_t)size);
    return NULL;
}
#endif

int
rs_mapping_open(struct rs_mapping *mp, int fd, uint64_t size, int mode)
{
    *mp = (struct rs_mapping){0};
    struct stat st;
    if (mode < 0 || size == 0 || size > (uint64_t)SIZE_MAX || fstat(fd, &st) != 0 ||
        !S_ISREG(st.st_mode) || (uint64_t)st.st_size < size)
        return 0;
    void *base = NULL;
    if (mode > 0) {
        base = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (base == MAP_FAILED)
            return 0;
        madvise(base, (size_t)size, MADV_SEQUENTIAL);
    } else {
#ifdef MADV_POPULATE_READ
        base = map_auto(fd, &st, size, &mp->populated);
#endif
        if (!base)
            return 0;
    }
    mp->base = base;
    mp->size = size;
    mp->keep = RS_MAP_KEEP;
    mp->floor = mp->held = UINT64_MAX;
    return 1;
}

int
rs_mapping_advance(struct rs_mapping *mp, int fd, uint64_t off)
{
    if (!mp->base)
        return 0;
    if (off + RS_MAP_WINDOW > mp->populated && mp->populated < mp->size) {
        uint64_t from = mp->populated;
        uint64_t to = (off & ~(RS_MAP_WINDOW - 1)) + 2 * RS_MAP_WINDOW;
        if (to > mp->size)
            to = mp->size;
        /* A file cut shorter than the mapping: the pages past its end
         * would fault (SIGBUS); a read says where the file ends instead. */
        struct stat st;
        if (fstat(fd, &st) != 0 || (uint64_t)st.st_size < mp->size)
            return -1;
#ifdef MADV_POPULATE_READ
        if (to > from && madvise(mp->base + from, (size_t)(to - from), MADV_POPULATE_READ) != 0 &&
            errno == EFAULT)
            return -1; /* cut between the fstat and here */
#else
        if (to > from)
            madvise(mp->base + from, (size_t)(to - from), MADV_WILLNEED);
#endif
        mp->populated = to;
    }
    uint64_t drop = off & ~(RS_MAP_WINDOW - 1);
    drop = drop > mp->keep ? drop - mp->keep : 0; /* what callers hold stays */
    /* ... and what the caller's batches (a filter can make one read go
     * far past them) and other threads still read. */
    uint64_t lim = mp->floor < mp->held ? mp->floor : mp->held;
    if (drop > (lim & ~(RS_MAP_WINDOW - 1)))
        drop = lim & ~(RS_MAP_WINDOW - 1);
    if (drop > mp->discarded + RS_MAP_WINDOW) {
        madvise(mp->base + mp->discarded, (size_t)(drop - mp->discarded), MADV_DONTNEED);
        if (rs_mapping_guard)
            mprotect(mp->base + mp->discarded, (size_t)(drop - mp->discarded), PROT_NONE);
        mp->discarded = drop;
    }
    return 0;
}

void
rs_mapping_retire(struct rs_mapping *mp)
{
    if (mp->old)
        munmap(mp->old, (size_t)mp->old_size);
    mp->old = mp->base;
    mp->old_size = mp->size;
    mp->base = NULL;
}

void
rs_mapping_close(struct rs_mapping *mp)
{
    if (mp->base)
        munmap(mp->base, (size_t)mp->size);
    if (mp->old)
        munmap(mp->old, (size_t)mp->old_size);
    *mp = (struct rs_mapping){0};
}
