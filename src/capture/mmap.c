/*
 * mmap.c - the fast path for classic pcap files: records are parsed in
 * place in a window over the file, with no per-packet call into stdio.
 *
 * Why not always libpcap: pcap_next_ex costs two freads per packet (header,
 * then data copied into its buffer) with stdio's locking around each, which
 * on a big capture is a good part of the whole analysis.
 *
 * Two windows, one parser:
 *  - block (the default): pread(2) of 512 KiB at a time into one buffer
 *    that is reused for the whole file; a record cut by the buffer's end is
 *    moved to its start before the next read. The buffer is mapped once, so
 *    the kernel only copies page-cache pages into it.
 *  - mapped (opts.pcap_mmap): the whole file is mapped read-only,
 *    MADV_SEQUENTIAL, populated a window ahead (MADV_POPULATE_READ) and
 *    dropped behind (MADV_DONTNEED; the mapping is private and never
 *    written, so a dropped page is simply re-read if touched), with the
 *    next records prefetched.
 * Why block reads by default: on the machines we measure on (virtual
 * machines with shadow paging) the first touch of every newly mapped page
 * traps to the hypervisor, which makes mapping a page cost more than copying
 * it: on the 1M-packet bench capture (626 MB) the mapped walk costs about
 * 0.4-0.55 s of CPU, the block reads 0.12 s (bench/micro shows both). On
 * bare metal the two are close; the mapped window stays for such machines.
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
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/capture_int.h"
#include "util/hugemem.h"

#define MM_BLOCK ((size_t)512 * 1024) /* block window; > the largest record */
_Static_assert(MM_BLOCK <= RS_HUGE_PAGE, "the block fits its huge page");
#define MM_WINDOW ((uint64_t)8 << 20) /* mapped: populate / discard granularity */
#define MM_MAX_SNAPLEN 262144u        /* libpcap's MAXIMUM_SNAPLEN */

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

/* Reads up to n bytes at file offset off, retrying short reads; -1 on error. */
static ssize_t
pread_full(int fd, uint8_t *dst, size_t n, uint64_t off)
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

int
rs_mm_open(struct rs_mm *m, int fd, uint64_t start, int mapped)
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
    if (pread_full(fd, h, sizeof h, start) != (ssize_t)sizeof h)
        return 1;
    uint32_t magic;
    memcpy(&magic, h, 4);
    int swapped;
    if (magic == 0xa1b2c3d4u || magic == 0xa1b23c4du)
        swapped = 0;
    else if (__builtin_bswap32(magic) == 0xa1b2c3d4u || __builtin_bswap32(magic) == 0xa1b23c4du)
        swapped = 1;
    else
        return 1; /* Kuznetzov's format, or not pcap at all */
    int ns = (swapped ? __builtin_bswap32(magic) : magic) == 0xa1b23c4du;
    uint16_t major = rd16(h + 4, swapped), minor = rd16(h + 6, swapped);
    uint32_t snaplen = rd32(h + 16, swapped);
    uint32_t linktype = rd32(h + 20, swapped) & 0x03ffffffu; /* LT_LINKTYPE */
    if (major != 2 || minor != 4 || !mappable_linktype(linktype, swapped))
        return 1;
    if (mapped) {
        void *base = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (base == MAP_FAILED)
            return 1;
        madvise(base, (size_t)size, MADV_SEQUENTIAL);
        m->map = base;
        m->map_size = size;
        m->win = base;
        m->win_off = 0;
        m->lo = (size_t)(start + 24);
        m->hi = (size_t)size;
        m->eof = 1; /* the window is the whole file */
    } else {
        /* In a huge page of its own: the block's 128 small pages were each
         * a page fault inside the first pread (util/hugemem.h). A file that
         * does not fill the block keeps small pages: a 2 MiB page for a few
         * packets would be most of a small run's memory. */
        m->buf = size - start >= MM_BLOCK ? rs_huge_alloc(RS_HUGE_PAGE)
                                          : rs_huge_alloc_lazy(RS_HUGE_PAGE);
        if (!m->buf)
            return 1;
        m->fd = dup(fd);
        if (m->fd < 0) {
            rs_huge_free(m->buf, RS_HUGE_PAGE);
            m->buf = NULL;
            return 1;
        }
        m->win = m->buf;
        m->win_off = start + 24;
    }
    m->swapped = swapped;
    m->ns = ns;
    m->frac_ns = ns ? 1 : 1000;
    /* libpcap 1.10 keeps the header's snapshot length unless it is <= 0 as an int. */
    m->snaplen = (int32_t)snaplen <= 0 ? MM_MAX_SNAPLEN : snaplen;
    m->linktype = linktype;
    return 0;
}

/* Mapped window: populate ahead, drop behind. */
static void
map_window(struct rs_mm *m, uint64_t off)
{
    uint8_t *base = m->map;
    if (off + MM_WINDOW > m->populated && m->populated < m->map_size) {
        uint64_t from = m->populated;
        uint64_t to = (off & ~(MM_WINDOW - 1)) + 2 * MM_WINDOW;
        if (to > m->map_size)
            to = m->map_size;
#ifdef MADV_POPULATE_READ
        if (to > from)
            madvise(base + from, (size_t)(to - from), MADV_POPULATE_READ);
#else
        if (to > from)
            madvise(base + from, (size_t)(to - from), MADV_WILLNEED);
#endif
        m->populated = to;
    }
    uint64_t drop = off & ~(MM_WINDOW - 1);
    if (drop > m->discarded + MM_WINDOW) {
        madvise(base + m->discarded, (size_t)(drop - m->discarded), MADV_DONTNEED);
        m->discarded = drop;
    }
}

/*
 * Makes at least `need` bytes available at win + lo, reading more when the
 * window is a block; returns the bytes available (fewer only at the end of
 * the file), or -1 on a read error (m->err set).
 */
static ssize_t
fill(struct rs_mm *m, size_t need)
{
    if (m->hi - m->lo >= need || m->eof)
        return (ssize_t)(m->hi - m->lo);
    /* Keep the unread tail, then fill the rest of the block. */
    size_t keep = m->hi - m->lo;
    memmove(m->buf, m->buf + m->lo, keep);
    m->win_off += m->lo;
    m->lo = 0;
    m->hi = keep;
    ssize_t r = pread_full(m->fd, m->buf + keep, MM_BLOCK - keep, m->win_off + keep);
    if (r < 0) {
        snprintf(m->err, sizeof m->err, "error reading dump file: %s", strerror(errno));
        return -1;
    }
    m->hi += (size_t)r;
    if (m->hi < MM_BLOCK)
        m->eof = 1;
    return (ssize_t)(m->hi - m->lo);
}

/* The next record and its timestamp from header h (whole in the window). */
static inline void
take(struct rs_mm *m, const uint8_t *h, uint32_t caplen, uint64_t skip, struct rs_packet *pkt)
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
    m->lo += 16 + (size_t)skip;
    if (m->la_depth)
        m->la_depth--; /* the lookahead frame is one closer */
    /* The next record's header and first bytes: the walk never waits on them. */
    const uint8_t *next = m->win + m->lo;
    __builtin_prefetch(next);
    __builtin_prefetch(next + 64);
}

int
rs_mm_next_whole(struct rs_mm *m, struct rs_packet *pkt)
{
    if (!m->map && m->hi - m->lo >= 16) {
        const uint8_t *h = m->win + m->lo;
        uint32_t caplen = rd32(h + 8, m->swapped);
        if (caplen <= m->snaplen && caplen <= MM_MAX_SNAPLEN && caplen <= m->hi - m->lo - 16) {
            take(m, h, caplen, caplen, pkt);
            return 1;
        }
    }
    return 0;
}

int
rs_mm_next(struct rs_mm *m, struct rs_packet *pkt)
{
    /* The common case: a well-formed record whole in the block. */
    if (rs_mm_next_whole(m, pkt))
        return 1;
    if (m->map) {
        uint64_t off = m->lo;
        if (off + 4096 > m->populated || off >= m->discarded + 2 * MM_WINDOW)
            map_window(m, off);
    }
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
    if (m->map)
        munmap(m->map, (size_t)m->map_size);
    if (m->fd >= 0)
        close(m->fd);
    rs_huge_free(m->buf, RS_HUGE_PAGE);
    m->map = NULL;
    m->buf = NULL;
    m->fd = -1;
}
