/*
 * mmap.c - the fast path for classic pcap files: the file is mapped and
 * walked in place, so a packet costs no read(2), no copy and no stdio.
 *
 * Why not always libpcap: pcap_next_ex costs about three times as much per
 * packet (an fread of the header, an fread of the data into its buffer),
 * which on a big capture is a good part of the whole analysis.
 *
 * What it must keep: every behaviour of the libpcap path, packet by packet
 * (tests/unit/test_capture.c compares both on crafted files and on the
 * shared corpus). The rules below are libpcap 1.10's sf-pcap.c:
 *  - record header: a clean end when no byte is left; fewer than 16 bytes is
 *    "truncated dump file; tried to read 16 header bytes, only got N";
 *  - the file's snapshot length is kept as written unless it is 0 or
 *    negative as an int (then 262144); a caplen above the link type's
 *    maximum (262144 for every type we map) is an error ("invalid packet
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
 * (NFLOG and USB in a foreign byte order), pipes, and files that do not map.
 *
 * Memory: the mapping is read-only and private, so pages dropped with
 * MADV_DONTNEED behind the reader are simply re-read from the page cache if
 * touched again; the resident set stays at about one window however big
 * the file. Pages ahead are populated a window at a time (one system call
 * instead of a page fault per 64 KiB), and the next records are prefetched.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/capture_int.h"

#define MM_WINDOW ((uint64_t)8 << 20) /* populate / discard granularity */
#define MM_MAX_SNAPLEN 262144u         /* libpcap's MAXIMUM_SNAPLEN */

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

int
rs_mm_open(struct rs_mm *m, int fd, uint64_t start)
{
    memset(m, 0, sizeof *m);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return 1;
    uint64_t size = (uint64_t)st.st_size;
    if (size < start || size - start < 24 || size > (uint64_t)SIZE_MAX)
        return 1;
    void *base = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (base == MAP_FAILED)
        return 1;
    const uint8_t *h = (const uint8_t *)base + start;
    uint32_t magic;
    memcpy(&magic, h, 4);
    int swapped;
    if (magic == 0xa1b2c3d4u || magic == 0xa1b23c4du)
        swapped = 0;
    else if (__builtin_bswap32(magic) == 0xa1b2c3d4u || __builtin_bswap32(magic) == 0xa1b23c4du)
        swapped = 1;
    else
        goto fallback; /* Kuznetzov's format, or not pcap at all */
    int ns = (swapped ? __builtin_bswap32(magic) : magic) == 0xa1b23c4du;
    uint16_t major = rd16(h + 4, swapped), minor = rd16(h + 6, swapped);
    uint32_t snaplen = rd32(h + 16, swapped);
    uint32_t linktype = rd32(h + 20, swapped) & 0x03ffffffu; /* LT_LINKTYPE */
    if (major != 2 || minor != 4 || !mappable_linktype(linktype, swapped))
        goto fallback;
    m->base = base;
    m->size = size;
    m->off = start + 24;
    m->swapped = swapped;
    m->frac_ns = ns ? 1 : 1000;
    /* libpcap 1.10 keeps the header's snapshot length unless it is <= 0 as an int. */
    m->snaplen = (int32_t)snaplen <= 0 ? MM_MAX_SNAPLEN : snaplen;
    m->linktype = linktype;
    m->ns = ns;
    m->discarded = 0;
    m->populated = 0;
    madvise(base, (size_t)size, MADV_SEQUENTIAL);
    return 0;
fallback:
    munmap(base, (size_t)size);
    return 1;
}

/* Populates the window after `off` and drops whole windows before `keep`. */
static void
mm_window(struct rs_mm *m, uint64_t off, uint64_t keep)
{
    uint8_t *base = (uint8_t *)(uintptr_t)m->base;
    if (off + MM_WINDOW > m->populated && m->populated < m->size) {
        uint64_t from = m->populated;
        uint64_t to = (off & ~(MM_WINDOW - 1)) + 2 * MM_WINDOW;
        if (to > m->size)
            to = m->size;
#ifdef MADV_POPULATE_READ
        if (to > from)
            madvise(base + from, (size_t)(to - from), MADV_POPULATE_READ);
#else
        if (to > from)
            madvise(base + from, (size_t)(to - from), MADV_WILLNEED);
#endif
        m->populated = to;
    }
    uint64_t drop = keep & ~(MM_WINDOW - 1);
    if (drop > m->discarded + MM_WINDOW) {
        madvise(base + m->discarded, (size_t)(drop - m->discarded), MADV_DONTNEED);
        m->discarded = drop;
    }
}

int
rs_mm_next(struct rs_mm *m, struct rs_packet *pkt)
{
    const uint8_t *base = m->base;
    uint64_t off = m->off, left = m->size - off;
    if (left == 0)
        return 0;
    if (off + 4096 > m->populated || off >= m->discarded + 2 * MM_WINDOW)
        mm_window(m, off, off);
    if (left < 16) {
        snprintf(m->err, sizeof m->err,
                 "truncated dump file; tried to read 16 header bytes, only got %llu",
                 (unsigned long long)left);
        return -1;
    }
    const uint8_t *h = base + off;
    int sw = m->swapped;
    uint32_t usec = rd32(h, sw), ufrac = rd32(h + 4, sw);
    /* libpcap reads native-order times as int32 and swaps foreign ones as
     * unsigned: the same bytes mean different times in the two orders. */
    int64_t sec = sw ? (int64_t)usec : (int64_t)(int32_t)usec;
    int64_t frac = sw ? (int64_t)ufrac : (int64_t)(int32_t)ufrac;
    uint32_t caplen = rd32(h + 8, sw), len = rd32(h + 12, sw);
    left -= 16;
    uint64_t skip = caplen;
    if (caplen > MM_MAX_SNAPLEN) {
        if (caplen > m->snaplen)
            snprintf(m->err, sizeof m->err,
                     "invalid packet capture length %u, bigger than snaplen of %u", caplen,
                     m->snaplen);
        else
            snprintf(m->err, sizeof m->err,
                     "invalid packet capture length %u, bigger than maximum of %u", caplen,
                     MM_MAX_SNAPLEN);
        return -1;
    }
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
    pkt->ts = sec * RS_NS_PER_SEC + frac * m->frac_ns;
    pkt->caplen = caplen;
    pkt->len = len;
    pkt->linktype = m->linktype;
    pkt->data = h + 16;
    m->off = off + 16 + skip;
    /* The next record's header and first bytes: the walk never waits on them. */
    __builtin_prefetch(base + m->off);
    __builtin_prefetch(base + m->off + 64);
    return 1;
}

void
rs_mm_close(struct rs_mm *m)
{
    if (m->base)
        munmap((void *)(uintptr_t)m->base, (size_t)m->size);
    m->base = NULL;
}
