/*
 * pcapng.c - rstscope's own pcapng reader.
 *
 * Why not libpcap: libpcap 1.10 stops with "an interface has a type N
 * different from the type of the first interface" (or "... a snapshot length
 * ...") at the second Interface Description Block whose link type or snaplen
 * differs from the first, so a capture taken on eth0 and tun0 at once loses
 * everything after that block. This reader gives every packet the link type
 * of its own interface.
 *
 * Format: draft-ietf-opsawg-pcapng. A file is a sequence of blocks
 * (type, total length, body, total length again); a Section Header Block
 * (SHB) fixes the byte order and starts a new set of interfaces.
 * Handled: SHB, IDB (if_tsresol, if_tsoffset), EPB, SPB, and the obsolete
 * Packet Block. Everything else (NRB, ISB, DSB, custom, unknown) is skipped.
 *
 * Leniency, where libpcap is stricter, so that nothing readable is lost:
 * sections may change byte order; interfaces may differ in link type and
 * snaplen; an EPB whose caplen exceeds its interface's snaplen is returned
 * whole (the bytes are in the block); unreadable IDB options after the fixed
 * part are ignored. Damage that makes the stream unparseable (short block,
 * bad length, length trailer mismatch, unknown interface, bad version) ends
 * the file with a message, like libpcap.
 *
 * Like libpcap, the NFLOG pseudo-header TLVs (written in the capturing
 * host's byte order) are converted to this host's order when the section's
 * byte order differs; the Linux USB and SocketCAN fix-ups libpcap also does
 * are not, as no TCP/IP analysis reads them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "capture/capture_int.h"
#include "util/cursor.h"
#include "util/hugemem.h"

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_PB 0x00000002u /* obsolete Packet Block */
#define BT_SPB 0x00000003u
#define BT_EPB 0x00000006u
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du

#define OPT_ENDOFOPT 0
#define IF_TSRESOL 9
#define IF_TSOFFSET 14

/* libpcap's own limit: a larger block is treated as corruption. */
#define MAX_BLOCK (16u * 1024u * 1024u)
/* Interfaces per section; each IDB costs a few bytes, but the count is input-controlled. */
#define MAX_IFACES 65536u
/* Options per IDB: each consumes at least 4 bytes, this just bounds the loop plainly. */
#define MAX_OPTIONS 4096

#define LINKTYPE_NFLOG 239

static int
host_is_big_endian(void)
{
    const uint16_t one = 1;
    uint8_t b;
    memcpy(&b, &one, 1);
    return b == 0;
}

static uint16_t
rd16(const struct rs_ng *r, struct rs_cur *c)
{
    return r->big_endian ? rs_cur_be16(c) : rs_cur_le16(c);
}

static uint32_t
rd32(const struct rs_ng *r, struct rs_cur *c)
{
    return r->big_endian ? rs_cur_be32(c) : rs_cur_le32(c);
}

static uint64_t
rd64(const struct rs_ng *r, struct rs_cur *c)
{
    uint64_t a = rd32(r, c), b = rd32(r, c);
    return r->big_endian ? (a << 32 | b) : (b << 32 | a);
}

static uint32_t
dec32(int big_endian, const uint8_t *p)
{
    if (big_endian)
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static int fail(struct rs_ng *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
fail(struct rs_ng *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    return -1;
}

/*
 * The window: a file is read in chunks of NG_CHUNK bytes or more (one
 * fread each, not two a block; a pipe only as far as the block at hand
 * needs) into win, and blocks are parsed where they lie,
 * win[lo, hi) being what is not consumed yet. A packet's data points into
 * the window, valid until the next refill, which moves the unread tail to
 * the front: rs_ng_next may refill, rs_ng_next_batch never does, so the
 * packets of a batch stay valid together (the engine's lookahead reads the
 * frames ahead of the one it feeds).
 */
#define NG_CHUNK ((size_t)1 << 20)
#define NG_WINDOW RS_HUGE_PAGE /* the first window: two chunks */

/*
 * Or the window is the whole file, mapped (mapping.c): lo and hi are file
 * offsets, nothing is ever read, and eof is set from the start. A file
 * that shrinks under the mapping is read on through fp from where the
 * parse is (ng_to_read), and ends with the usual message where it now
 * ends. The mapping is read-only: an NFLOG frame whose TLVs need swapping
 * is swapped in a copy (nflog_copy), one frame at a time.
 */
static int
ng_to_read(struct rs_ng *r)
{
    uint8_t *w = rs_huge_alloc(NG_WINDOW);
    if (!w)
        return -1;
    if (fseeko(r->fp, (off_t)r->lo, SEEK_SET) != 0) {
        rs_huge_free(w, NG_WINDOW);
        return -1; /* stays mapped, as it was */
    }
    rs_mapping_retire(&r->mp);
    r->win = w;
    r->cap = NG_WINDOW;
    r->lo = r->hi = 0;
    r->eof = 0;
    return 0;
}

/* Mapped: populate ahead, drop behind, or read on (a file that shrank). */
static inline void
ng_window_check(struct rs_ng *r)
{
    if (rs_mapping_due(&r->mp, r->lo) && rs_mapping_advance(&r->mp, fileno(r->fp), r->lo) != 0)
        (void)ng_to_read(r);
}

/*
 * Makes at least k bytes available at win + lo, reading on: the bytes
 * available (fewer only at the end of the stream), or -1 on a read error.
 */
static ssize_t
need(struct rs_ng *r, size_t k)
{
    while (r->hi - r->lo < k && !r->eof) {
        if (r->lo) {
            memmove(r->win, r->win + r->lo, r->hi - r->lo);
            r->hi -= r->lo;
            r->lo = 0;
        }
        if (r->cap - r->hi < NG_CHUNK || r->cap < k) {
            size_t cap = r->cap ? r->cap : 2 * NG_CHUNK;
            while (cap < k + NG_CHUNK || cap - r->hi < NG_CHUNK)
                cap *= 2;
            /* Only a block larger than a chunk gets here: the first window
             * is a huge page of its own (util/hugemem.h), which the
             * kernel's copy into it walks with one page table entry. */
            uint8_t *w = malloc(cap);
            if (!w) {
                fail(r, "out of memory for a %zu-byte block", k);
                return -1;
            }
            memcpy(w, r->win, r->hi);
            if (r->cap == NG_WINDOW)
                rs_huge_free(r->win, NG_WINDOW);
            else
                free(r->win);
            r->win = w;
            r->cap = cap;
        }
        size_t have = r->hi - r->lo, got;
        if (r->piped) {
            /* As much as the pipe holds, waiting only for what is needed:
             * a live stream's packets are not held back for a chunk. */
            ssize_t g = rs_read_some(fileno(r->fp), r->win + r->hi, k - have, r->cap - r->hi);
            if (g < 0) {
                fail(r, "read error: %s", strerror(errno));
                return -1;
            }
            got = (size_t)g;
            r->eof = got < k - have; /* fewer only at the end */
        } else {
            /* Through stdio: a pipe only as far as needed, for the same reason. */
            size_t want = r->regular ? r->cap - r->hi : k - have;
            got = fread(r->win + r->hi, 1, want, r->fp);
            if (got == 0 && ferror(r->fp)) {
                fail(r, "read error: %s", strerror(errno));
                return -1;
            }
            r->eof = got == 0;
        }
        r->hi += got;
    }
    return (ssize_t)(r->hi - r->lo < k ? r->hi - r->lo : k);
}

/* A short read of `what`: got of n bytes present after the part before it. */
static int
cut_short(struct rs_ng *r, const char *what, size_t got, size_t n)
{
    return fail(r, "truncated pcapng file: %s cut short, %zu of %zu bytes present", what, got, n);
}

/*
 * Takes one whole block from the window. On success *type and *len are set,
 * r->blk points at it and the body is r->blk[8 .. len-4). The SHB type is a
 * palindrome, so it can be recognised before the byte order is known; its
 * byte-order magic then tells how to read its length. `npre` bytes at the
 * window's start were consumed before (the file magic, at open); the
 * messages count the bytes after them, as a read of the rest would.
 */
static int
read_block(struct rs_ng *r, uint32_t *type, uint32_t *len, size_t npre)
{
    ssize_t a = need(r, 8);
    if (a < 0)
        return -1;
    if ((size_t)a < 8) {
        size_t got = (size_t)a - npre;
        if (got == 0 && npre == 0)
            return 0;
        return cut_short(r, "block header", got, 8 - npre);
    }
    const uint8_t *hdr = r->win + r->lo;
    uint32_t t = dec32(r->big_endian, hdr);
    if (t == BT_SHB) {
        if ((a = need(r, 12)) < 0)
            return -1;
        hdr = r->win + r->lo;
        if ((size_t)a < 12)
            return cut_short(r, "section header", (size_t)a - 8, 4);
        uint32_t bom_le = dec32(0, hdr + 8);
        if (bom_le == BYTE_ORDER_MAGIC)
            r->big_endian = 0;
        else if (dec32(1, hdr + 8) == BYTE_ORDER_MAGIC)
            r->big_endian = 1;
        else
            return fail(r, "section header with bad byte-order magic 0x%08" PRIx32, bom_le);
        r->swapped = r->big_endian != host_is_big_endian();
    }
    uint32_t l = dec32(r->big_endian, hdr + 4);
    size_t have = t == BT_SHB ? 12 : 8;
    if (l < have + 4)
        return fail(r, "block of type 0x%08" PRIx32 " has a length of %" PRIu32 " < %zu", t, l,
                    have + 4);
    if (l > MAX_BLOCK) {
        return fail(r,
                    "block of type 0x%08" PRIx32 " has a length of %" PRIu32
                    " bytes, above the %u-byte limit",
                    t, l, MAX_BLOCK);
    }
    if ((a = need(r, l)) < 0)
        return -1;
    if ((size_t)a < l)
        return cut_short(r, "block", (size_t)a - have, l - have);
    uint8_t *blk = r->win + r->lo;
    uint32_t trailer = dec32(r->big_endian, blk + l - 4);
    if (trailer != l) {
        return fail(
            r, "block of type 0x%08" PRIx32 " has length %" PRIu32 " but its trailer says %" PRIu32,
            t, l, trailer);
    }
    r->blk = blk;
    r->lo += l;
    r->offset += l;
    *type = t;
    *len = l;
    return 1;
}

static int
parse_shb(struct rs_ng *r, struct rs_cur *c)
{
    rs_cur_skip(c, 4); /* byte-order magic, already checked */
    uint16_t major = rd16(r, c);
    uint16_t minor = rd16(r, c);
    if (c->err)
        return fail(r, "section header block too short");
    if (major != 1)
        return fail(r, "unsupported pcapng version %u.%u", major, minor);
    /* A new section has its own interfaces (interface ids restart at 0). */
    r->nifs = 0;
    return 0;
}

static void
parse_idb_options(struct rs_ng *r, struct rs_cur *c, struct rs_ng_iface *ifc)
{
    for (int n = 0; n < MAX_OPTIONS && rs_cur_left(c) >= 4; n++) {
        uint16_t code = rd16(r, c);
        uint16_t olen = rd16(r, c);
        size_t padded = ((size_t)olen + 3) & ~(size_t)3;
        if (code == OPT_ENDOFOPT || padded > rs_cur_left(c))
            return;
        struct rs_cur v = rs_cur_sub(c, padded);
        if (code == IF_TSRESOL && olen == 1) {
            uint8_t b = rs_cur_u8(&v);
            ifc->base2 = (b & 0x80) != 0;
            ifc->exp = (uint8_t)(b & 0x7f);
        } else if (code == IF_TSOFFSET && olen == 8) {
            ifc->tsoffset_s = (int64_t)rd64(r, &v);
        }
    }
}

static int
parse_idb(struct rs_ng *r, struct rs_cur *c)
{
    struct rs_ng_iface ifc;
    memset(&ifc, 0, sizeof ifc);
    ifc.linktype = rd16(r, c);
    rs_cur_skip(c, 2);
    ifc.snaplen = rd32(r, c);
    if (c->err)
        return fail(r, "interface description block too short");
    ifc.exp = 6; /* default resolution: microseconds */
    parse_idb_options(r, c, &ifc);
    if (ifc.base2 ? ifc.exp > 63 : ifc.exp > 19)
        return fail(r, "interface %" PRIu32 " has an impossible if_tsresol %s^-%u", r->nifs,
                    ifc.base2 ? "2" : "10", ifc.exp);
    if (ifc.linktype == LINKTYPE_NFLOG)
        r->has_nflog = 1;
    ifc.units = 1;
    if (!ifc.base2)
        for (unsigned i = 0; i < ifc.exp; i++)
            ifc.units *= 10;
    if (r->nifs >= MAX_IFACES)
        return fail(r, "more than %u interfaces in one section", MAX_IFACES);
    if (r->nifs == r->capifs) {
        uint32_t cap = r->capifs ? r->capifs * 2 : 4;
        struct rs_ng_iface *n = realloc(r->ifs, cap * sizeof *n);
        if (!n)
            return fail(r, "out of memory for interfaces");
        r->ifs = n;
        r->capifs = cap;
    }
    r->ifs[r->nifs++] = ifc;
    if (!r->have_iface) {
        r->have_iface = 1;
        r->first_linktype = ifc.linktype;
    }
    return 0;
}

static const int64_t NS = 1000000000;

/* if_tsresol units since the epoch -> ns, saturating instead of wrapping. */
static rs_time_ns
to_ns(const struct rs_ng_iface *ifc, uint64_t t)
{
    uint64_t sec, ns;
    if (ifc->base2) {
        unsigned e = ifc->exp;
        sec = e ? t >> e : t;
        uint64_t frac = e ? t & ((UINT64_C(1) << e) - 1) : 0;
        /* frac < 2^e; keep the product below 2^64 by dropping low bits first. */
        ns = e <= 30 ? (frac * (uint64_t)NS) >> e : ((frac >> (e - 30)) * (uint64_t)NS) >> 30;
    } else {
        sec = t / ifc->units;
        uint64_t frac = t % ifc->units;
        ns = ifc->units <= (uint64_t)NS ? frac * ((uint64_t)NS / ifc->units)
                                        : frac / (ifc->units / (uint64_t)NS);
    }
    if (sec > (uint64_t)(INT64_MAX / NS) - 1)
        return INT64_MAX;
    int64_t v = (int64_t)sec * NS + (int64_t)ns;
    int64_t off = ifc->tsoffset_s;
    if (off > INT64_MAX / NS || off < INT64_MIN / NS)
        return off > 0 ? INT64_MAX : INT64_MIN;
    off *= NS;
    if (off > 0 && v > INT64_MAX - off)
        return INT64_MAX;
    return v + off;
}

static uint16_t
swap16(uint16_t v)
{
    return (uint16_t)(v << 8 | v >> 8);
}

/*
 * NFLOG (LINKTYPE 239): a 4-byte big-endian header, then TLVs whose 16-bit
 * length and type are in the capturing host's byte order. Swap them when the
 * file came from a host of the other order, as libpcap does
 * (swap_nflog_header in pcap-common.c).
 */
static void
swap_nflog(uint8_t *p, uint32_t caplen, uint32_t len)
{
    if (caplen < 4 || len < 4 || p[1] != 0) /* version 0 only */
        return;
    size_t off = 4, lim = caplen < len ? caplen : len;
    while (lim - off >= 4) {
        uint16_t l, t;
        memcpy(&l, p + off, 2);
        memcpy(&t, p + off + 2, 2);
        l = swap16(l);
        t = swap16(t);
        memcpy(p + off, &l, 2);
        memcpy(p + off + 2, &t, 2);
        size_t size = ((size_t)l + 3) & ~(size_t)3;
        if (size < 4 || size > lim - off)
            return;
        off += size;
    }
}

static int
packet(struct rs_ng *r, uint32_t type, uint32_t blen, struct rs_packet *pkt)
{
    struct rs_cur c = rs_cur_make(r->blk + 8, blen - 12);
    uint32_t ifid, caplen, len;
    uint64_t t = 0;
    if (type == BT_SPB) {
        ifid = 0;
        len = rd32(r, &c);
        caplen = len;
    } else if (type == BT_EPB) {
        ifid = rd32(r, &c);
        uint64_t hi = rd32(r, &c), lo = rd32(r, &c);
        t = hi << 32 | lo;
        caplen = rd32(r, &c);
        len = rd32(r, &c);
    } else {
        ifid = rd16(r, &c);
        rs_cur_skip(&c, 2); /* drops count */
        uint64_t hi = rd32(r, &c), lo = rd32(r, &c);
        t = hi << 32 | lo;
        caplen = rd32(r, &c);
        len = rd32(r, &c);
    }
    if (c.err)
        return fail(r, "packet block of %" PRIu32 " bytes is too short for its header", blen);
    if (ifid >= r->nifs) {
        return fail(r,
                    "a packet arrived on interface %" PRIu32
                    ", but there's no Interface Description Block for that interface",
                    ifid);
    }
    const struct rs_ng_iface *ifc = &r->ifs[ifid];
    if (type == BT_SPB) {
        /* An SPB has no caplen: the packet, cut to the snaplen, fills the block. */
        if (ifc->snaplen && caplen > ifc->snaplen)
            caplen = ifc->snaplen;
        if (caplen > rs_cur_left(&c))
            caplen = (uint32_t)rs_cur_left(&c);
    } else if (caplen > rs_cur_left(&c)) {
        return fail(r, "packet block says %" PRIu32 " captured bytes but holds only %zu", caplen,
                    rs_cur_left(&c));
    }
    uint8_t *data = r->blk + 8 + c.off;
    if (r->swapped && ifc->linktype == LINKTYPE_NFLOG) {
        if (r->mp.base) { /* not in the read-only mapping: in a copy */
            if (r->scratch_cap < caplen) {
                uint8_t *sc = realloc(r->scratch, caplen);
                if (!sc)
                    return fail(r, "out of memory for a %" PRIu32 "-byte frame", caplen);
                r->scratch = sc;
                r->scratch_cap = caplen;
            }
            if (caplen)
                memcpy(r->scratch, data, caplen);
            data = r->scratch;
        }
        swap_nflog(data, caplen, len);
    }
    /* SPBs carry no time stamp; reuse the last one so timers do not jump to 1970. */
    pkt->ts = type == BT_SPB ? r->last_ts : to_ns(ifc, t);
    r->last_ts = pkt->ts;
    pkt->caplen = caplen;
    pkt->len = len;
    pkt->linktype = ifc->linktype;
    pkt->data = data;
    return 1;
}

int
rs_ng_next(struct rs_ng *r, struct rs_packet *pkt)
{
    ng_window_check(r);
    for (;;) {
        uint32_t type = 0, len = 0;
        int st = read_block(r, &type, &len, 0);
        if (st <= 0)
            return st;
        struct rs_cur c = rs_cur_make(r->blk + 8, len - 12);
        switch (type) {
        case BT_SHB:
            if (parse_shb(r, &c) < 0)
                return -1;
            break;
        case BT_IDB:
            if (parse_idb(r, &c) < 0)
                return -1;
            break;
        case BT_EPB:
        case BT_SPB:
        case BT_PB:
            return packet(r, type, len, pkt);
        default:
            break;
        }
    }
}

/* The block chase of a mapped file (mmap.c's rs_mm_chase explains it):
 * block lengths instead of record lengths, and each block's last word
 * too, which the parse checks against its first. A section header, which
 * may change the byte order, stops it until the parse has passed it. */
void
rs_ng_chase(struct rs_ng *r)
{
    if (!r->mp.base)
        return;
    size_t end = rs_chase_end(&r->mp, r->hi);
    for (unsigned k = rs_chase_begin(&r->ch, r->lo); k; k--) {
        size_t at = r->ch.at;
        if (at > end || end - at < 8)
            break;
        const uint8_t *blk = r->win + at;
        uint32_t l = dec32(r->big_endian, blk + 4);
        if (dec32(r->big_endian, blk) == BT_SHB || l < 12 || l > MAX_BLOCK || l > end - at)
            break;
        __builtin_prefetch(blk + l - 4);
        rs_chase_reach(&r->ch, r->win, at + l);
    }
}

size_t
rs_ng_next_batch(struct rs_ng *r, struct rs_packet *pkts, size_t max)
{
    ng_window_check(r);
    size_t n = 0;
    const int mapped = r->mp.base != NULL;
    /* Mapped, swapped NFLOG frames share one copy: rs_ng_next takes them. */
    if (mapped && r->swapped && r->has_nflog)
        return 0;
    while (n < max && r->hi - r->lo >= 8) {
        uint8_t *blk = r->win + r->lo;
        uint32_t t = dec32(r->big_endian, blk);
        if (t != BT_EPB && t != BT_SPB && t != BT_PB)
            break; /* metadata: rs_ng_next takes it */
        uint32_t l = dec32(r->big_endian, blk + 4);
        /* Anything read_block would refuse, or a block not whole in the
         * window, is left to rs_ng_next, which says what is wrong. */
        if (l < 12 || l > MAX_BLOCK || l > r->hi - r->lo || dec32(r->big_endian, blk + l - 4) != l)
            break;
        r->blk = blk;
        if (packet(r, t, l, &pkts[n]) < 0) {
            r->err[0] = '\0'; /* rs_ng_next reads it again and reports it */
            break;
        }
        r->lo += l;
        r->offset += l;
        n++;
        __builtin_prefetch(r->win + r->lo);
        __builtin_prefetch(r->win + r->lo + 64);
        if (mapped && r->lo >= r->ch.at) /* the chase is not ahead: stream */
            rs_mapping_stream(&r->mp, r->lo, r->hi);
    }
    return n;
}

int
rs_ng_open(struct rs_ng *r, FILE *fp, const uint8_t magic[4], int map_mode)
{
    memset(r, 0, sizeof *r);
    r->fp = fp;
    struct stat fst;
    r->regular = fstat(fileno(fp), &fst) == 0 && S_ISREG(fst.st_mode);
    if (r->regular && ftello(fp) == 4 &&
        rs_mapping_open(&r->mp, fileno(fp), (uint64_t)fst.st_size, map_mode) &&
        memcmp(r->mp.base, magic, 4) == 0) {
        /* The whole file, the magic included, is the window. */
        r->win = r->mp.base;
        r->cap = r->hi = (size_t)r->mp.size;
        r->eof = 1;
    } else {
        rs_mapping_close(&r->mp);
        /* The magic, already consumed from fp, starts the window. */
        r->win = rs_huge_alloc(NG_WINDOW);
        if (!r->win) {
            fail(r, "out of memory");
            return -1;
        }
        r->cap = NG_WINDOW;
        memcpy(r->win, magic, 4);
        r->hi = 4;
        if (!r->regular) {
            /* A pipe: what stdio read ahead, then its descriptor (stream.c). */
            ssize_t held = rs_stdio_take(fp, r->win + 4, r->cap - 4);
            if (held >= 0) {
                r->hi += (size_t)held;
                r->piped = 1;
                rs_pipe_grow(fileno(fp));
            }
        }
    }
    uint32_t type = 0, len = 0;
    if (read_block(r, &type, &len, 4) <= 0) {
        if (!r->err[0])
            fail(r, "truncated pcapng file: no section header");
        return -1;
    }
    struct rs_cur c = rs_cur_make(r->blk + 8, len - 12);
    if (parse_shb(r, &c) < 0)
        return -1;
    /*
     * Read ahead to the first interface so that its link type is known at
     * open (filters are checked against it). Nothing but metadata may come
     * first: a packet before any IDB has no interface to belong to.
     */
    while (!r->have_iface) {
        int st = read_block(r, &type, &len, 0);
        if (st < 0)
            return -1;
        if (st == 0)
            return 0; /* a section without interfaces: a valid, empty capture */
        c = rs_cur_make(r->blk + 8, len - 12);
        if (type == BT_SHB && parse_shb(r, &c) < 0)
            return -1;
        if (type == BT_IDB && parse_idb(r, &c) < 0)
            return -1;
        if (type == BT_EPB || type == BT_SPB || type == BT_PB)
            return fail(r, "packet block before any Interface Description Block");
    }
    return 0;
}

void
rs_ng_close(struct rs_ng *r)
{
    free(r->ifs);
    free(r->scratch);
    if (r->mp.base)
        ; /* the window is the mapping */
    else if (r->cap == NG_WINDOW)
        rs_huge_free(r->win, NG_WINDOW);
    else
        free(r->win);
    rs_mapping_close(&r->mp);
    memset(r, 0, sizeof *r);
}
