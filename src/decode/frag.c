/*
 * frag.c - IP fragment reassembly (RFC 791 §3.2, RFC 8200 §4.5) in bounded
 * memory.
 *
 * A partial datagram is a slot in a fixed table (cfg.frag_max_datagrams),
 * found through a seeded hash of its key (src, dst, id, and for IPv4 the
 * protocol) so that crafted fragments cannot aim at one bucket. Its data
 * lives in 1 KiB blocks taken from one pool of cfg.frag_max_bytes, indexed
 * by offset; which bytes are present is a short list of merged ranges.
 * Everything is allocated once, at the first fragment; nothing per packet.
 *
 * Limits and what happens when one is hit (each counted as frag_dropped):
 *  - table full: the oldest partial datagram makes room (a capture that
 *    starts in the middle of a datagram must not block the table);
 *  - pool empty: older datagrams are dropped until the block fits, or the
 *    current one if it is the only one left;
 *  - more than FRAG_MAX_RANGES holes, data past 65535 bytes, or a last
 *    fragment that contradicts what was seen: the datagram is dropped.
 * Overlapping fragments keep the bytes that arrived first (no byte is ever
 * overwritten), so an overlap attack cannot rewrite a header already held.
 * Partial datagrams older than cfg.frag_timeout (packet time, measured from
 * the first fragment, like Linux's ipfrag_time) are discarded at the next
 * fragment.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decode/decode_int.h"

#define FRAG_BLOCK 1024u
#define FRAG_MAX_DATA 65535u /* no datagram carries more (16-bit lengths) */
#define FRAG_NBLK ((FRAG_MAX_DATA + FRAG_BLOCK - 1) / FRAG_BLOCK)
#define FRAG_MAX_RANGES 32u
#define FRAG_HDR_MAX 256u /* IPv4 header or IPv6 unfragmentable part kept */
#define FRAG_MAX_SLOTS (1u << 20)
#define NIL UINT32_MAX

struct frag_range {
    uint32_t lo, hi; /* [lo, hi) of the datagram's data */
};

struct frag_dgram {
    struct rs_addr src, dst;
    uint32_t id;
    uint8_t family;
    uint8_t proto;
    uint8_t have_first; /* offset-0 fragment seen: hdr is valid */
    uint8_t have_last;  /* last fragment seen: total is valid */
    uint8_t nh;
    uint8_t n_ranges;
    uint16_t hdr_len;
    uint32_t nh_at;
    uint32_t total;
    rs_time_ns first_ts;
    uint32_t hnext;        /* hash chain */
    uint32_t older, newer; /* age list; `newer` also links the free list */
    struct frag_range r[FRAG_MAX_RANGES];
    uint32_t blk[FRAG_NBLK]; /* pool block per FRAG_BLOCK of data, or NIL */
    uint8_t hdr[FRAG_HDR_MAX];
};

struct rs_frag_table {
    struct frag_dgram *g;
    uint32_t n_slots;
    uint32_t *bucket;
    uint32_t mask;
    uint32_t oldest, newest, free_slot;
    uint8_t *pool;
    uint32_t *free_blk;
    uint32_t n_free_blk;
    uint64_t seed;
};

static struct rs_frag_table *
table_new(const struct rs_decode_config *cfg)
{
    size_t n = cfg->frag_max_datagrams;
    if (n > FRAG_MAX_SLOTS)
        n = FRAG_MAX_SLOTS;
    size_t nblk = cfg->frag_max_bytes / FRAG_BLOCK;
    if (nblk > (size_t)UINT32_MAX - 1)
        nblk = (size_t)UINT32_MAX - 1;
    size_t nb = 1;
    while (nb < 2 * n)
        nb <<= 1;

    struct rs_frag_table *ft = calloc(1, sizeof *ft);
    if (!ft)
        return NULL;
    ft->g = calloc(n ? n : 1, sizeof *ft->g);
    ft->bucket = malloc(nb * sizeof *ft->bucket);
    ft->pool = malloc(nblk ? nblk * FRAG_BLOCK : 1);
    ft->free_blk = malloc((nblk ? nblk : 1) * sizeof *ft->free_blk);
    if (!ft->g || !ft->bucket || !ft->pool || !ft->free_blk) {
        rs_frag_free(ft);
        return NULL;
    }
    ft->n_slots = (uint32_t)n;
    ft->mask = (uint32_t)(nb - 1);
    for (size_t i = 0; i < nb; i++)
        ft->bucket[i] = NIL;
    ft->oldest = ft->newest = NIL;
    ft->free_slot = n ? 0 : NIL;
    for (uint32_t i = 0; i < n; i++)
        ft->g[i].newer = i + 1 < n ? i + 1 : NIL;
    for (uint32_t i = 0; i < nblk; i++)
        ft->free_blk[i] = (uint32_t)(nblk - 1 - i);
    ft->n_free_blk = (uint32_t)nblk;
    ft->seed = ((uint64_t)(uintptr_t)ft * 0x9e3779b97f4a7c15u) ^ (uint64_t)time(NULL);
    return ft;
}

void
rs_frag_free(struct rs_frag_table *ft)
{
    if (!ft)
        return;
    free(ft->g);
    free(ft->bucket);
    free(ft->pool);
    free(ft->free_blk);
    free(ft);
}

static uint64_t
mix(uint64_t h)
{
    h *= 0xff51afd7ed558ccdu;
    return h ^ (h >> 32);
}

static uint32_t
key_hash(const struct rs_frag_table *ft, const struct rs_frag_in *in)
{
    uint64_t h = ft->seed ^ ((uint64_t)in->id << 16 | (uint64_t)in->proto << 8 | in->family);
    for (size_t i = 0; i < 16; i += 8) {
        uint64_t a, b;
        memcpy(&a, in->src.b + i, 8);
        memcpy(&b, in->dst.b + i, 8);
        h = mix(h ^ a);
        h = mix(h ^ b);
    }
    return (uint32_t)(h >> 16) & ft->mask;
}

static int
key_eq(const struct frag_dgram *g, const struct rs_frag_in *in)
{
    return g->id == in->id && g->proto == in->proto && g->family == in->family &&
           memcmp(g->src.b, in->src.b, 16) == 0 && memcmp(g->dst.b, in->dst.b, 16) == 0;
}

static void
release(struct rs_frag_table *ft, uint32_t i, uint32_t bucket)
{
    struct frag_dgram *g = &ft->g[i];
    for (uint32_t b = 0; b < FRAG_NBLK; b++)
        if (g->blk[b] != NIL)
            ft->free_blk[ft->n_free_blk++] = g->blk[b];
    uint32_t *pp = &ft->bucket[bucket];
    while (*pp != i)
        pp = &ft->g[*pp].hnext;
    *pp = g->hnext;
    if (g->older != NIL)
        ft->g[g->older].newer = g->newer;
    else
        ft->oldest = g->newer;
    if (g->newer != NIL)
        ft->g[g->newer].older = g->older;
    else
        ft->newest = g->older;
    g->newer = ft->free_slot;
    ft->free_slot = i;
}

/* The bucket of a stored datagram (the hash of its own key). */
static uint32_t
slot_bucket(const struct rs_frag_table *ft, uint32_t i)
{
    const struct frag_dgram *g = &ft->g[i];
    struct rs_frag_in k = {.family = g->family, .proto = g->proto, .id = g->id};
    k.src = g->src;
    k.dst = g->dst;
    return key_hash(ft, &k);
}

static void
drop(struct rs_decoder *d, uint32_t i)
{
    release(d->frag, i, slot_bucket(d->frag, i));
    d->counters[RS_DEC_FRAG_DROPPED]++;
}

/* Stores n bytes at datagram offset `at`, taking pool blocks as needed.
 * Returns -1 when the pool is exhausted by this datagram alone. */
static int
put(struct rs_decoder *d, uint32_t gi, uint32_t at, const uint8_t *src, uint32_t n)
{
    struct rs_frag_table *ft = d->frag;
    while (n > 0) {
        uint32_t bi = at / FRAG_BLOCK, bo = at % FRAG_BLOCK;
        if (ft->g[gi].blk[bi] == NIL) {
            while (ft->n_free_blk == 0) {
                uint32_t victim = ft->oldest != gi ? ft->oldest : ft->g[gi].newer;
                if (victim == NIL)
                    return -1;
                drop(d, victim);
            }
            ft->g[gi].blk[bi] = ft->free_blk[--ft->n_free_blk];
        }
        uint32_t k = FRAG_BLOCK - bo < n ? FRAG_BLOCK - bo : n;
        memcpy(ft->pool + (size_t)ft->g[gi].blk[bi] * FRAG_BLOCK + bo, src, k);
        at += k;
        src += k;
        n -= k;
    }
    return 0;
}

/* Copies the bytes of [lo, hi) not held yet (the first copy of a byte
 * wins) and merges the range into the sorted list. */
static int
add_range(struct rs_decoder *d, uint32_t gi, uint32_t lo, uint32_t hi, const uint8_t *data)
{
    struct frag_dgram *g = &d->frag->g[gi];
    uint32_t pos = lo;
    for (unsigned i = 0; i < g->n_ranges && pos < hi; i++) {
        struct frag_range r = g->r[i];
        if (r.hi <= pos)
            continue;
        if (r.lo >= hi)
            break;
        if (r.lo > pos && put(d, gi, pos, data + (pos - lo), r.lo - pos) < 0)
            return -1;
        pos = r.hi;
    }
    if (pos < hi && put(d, gi, pos, data + (pos - lo), hi - pos) < 0)
        return -1;

    struct frag_range nr[FRAG_MAX_RANGES + 1];
    unsigned m = 0;
    int placed = 0;
    for (unsigned i = 0; i < g->n_ranges; i++) {
        struct frag_range r = g->r[i];
        if (r.hi < lo) {
            nr[m++] = r;
        } else if (r.lo > hi) {
            if (!placed) {
                nr[m++] = (struct frag_range){lo, hi};
                placed = 1;
            }
            nr[m++] = r;
        } else {
            lo = r.lo < lo ? r.lo : lo;
            hi = r.hi > hi ? r.hi : hi;
        }
    }
    if (!placed)
        nr[m++] = (struct frag_range){lo, hi};
    if (m > FRAG_MAX_RANGES)
        return -1;
    memcpy(g->r, nr, m * sizeof nr[0]);
    g->n_ranges = (uint8_t)m;
    return 0;
}

static uint32_t
new_slot(struct rs_decoder *d, const struct rs_frag_in *in, uint32_t bucket, rs_time_ns now)
{
    struct rs_frag_table *ft = d->frag;
    if (ft->free_slot == NIL)
        drop(d, ft->oldest);
    uint32_t i = ft->free_slot;
    struct frag_dgram *g = &ft->g[i];
    ft->free_slot = g->newer;
    g->src = in->src;
    g->dst = in->dst;
    g->id = in->id;
    g->family = in->family;
    g->proto = in->proto;
    g->have_first = 0;
    g->have_last = 0;
    g->n_ranges = 0;
    g->hdr_len = 0;
    g->total = 0;
    g->first_ts = now;
    for (uint32_t b = 0; b < FRAG_NBLK; b++)
        g->blk[b] = NIL;
    g->hnext = ft->bucket[bucket];
    ft->bucket[bucket] = i;
    g->older = ft->newest;
    g->newer = NIL;
    if (ft->newest != NIL)
        ft->g[ft->newest].newer = i;
    else
        ft->oldest = i;
    ft->newest = i;
    return i;
}

static void
expire(struct rs_frag_table *ft, rs_time_ns now, rs_time_ns timeout)
{
    while (ft->oldest != NIL) {
        const struct frag_dgram *g = &ft->g[ft->oldest];
        if (now <= g->first_ts || (uint64_t)now - (uint64_t)g->first_ts <= (uint64_t)timeout)
            break;
        release(ft, ft->oldest, slot_bucket(ft, ft->oldest));
    }
}

/* Builds the whole datagram in the layer's reassembly buffer. */
static enum rs_decode_status
assemble(struct rs_decoder *d, uint32_t gi, unsigned layer_idx, const uint8_t **pkt, size_t *len)
{
    struct rs_frag_table *ft = d->frag;
    const struct frag_dgram *g = &ft->g[gi];
    size_t hl = g->hdr_len;
    /* RFC 791 §3.1 Total Length / RFC 8200 §4.5 Payload Length: 16 bits. */
    size_t whole = g->family == 4 ? hl + g->total : hl - 40 + g->total;
    if (whole > FRAG_MAX_DATA)
        return RS_DEC_FRAG_DROPPED;
    uint8_t *buf = d->reasm[layer_idx];
    if (!buf) {
        buf = malloc(RS_REASM_BUF_SIZE);
        if (!buf)
            return RS_DEC_FRAG_DROPPED;
        d->reasm[layer_idx] = buf;
    }
    memcpy(buf, g->hdr, hl);
    for (uint32_t at = 0; at < g->total; at += FRAG_BLOCK) {
        uint32_t k = g->total - at < FRAG_BLOCK ? g->total - at : FRAG_BLOCK;
        memcpy(buf + hl + at, ft->pool + (size_t)g->blk[at / FRAG_BLOCK] * FRAG_BLOCK, k);
    }
    if (g->family == 4) {
        buf[2] = (uint8_t)(whole >> 8);
        buf[3] = (uint8_t)whole;
        buf[6] &= 0x40; /* keep DF; clear MF and the offset */
        buf[7] = 0;
    } else {
        buf[4] = (uint8_t)(whole >> 8);
        buf[5] = (uint8_t)whole;
        buf[g->nh_at] = g->nh; /* the Fragment header is gone */
    }
    *pkt = buf;
    *len = hl + g->total;
    return RS_DEC_OK;
}

enum rs_decode_status
rs_frag_add(struct rs_decoder *d, const struct rs_frag_in *in, rs_time_ns now, unsigned layer_idx,
            const uint8_t **pkt, size_t *len)
{
    if (!d->frag) {
        d->frag = table_new(&d->cfg);
        if (!d->frag)
            return RS_DEC_FRAG_DROPPED;
    }
    struct rs_frag_table *ft = d->frag;
    if (ft->n_slots == 0 || layer_idx >= RS_MAX_LAYERS)
        return RS_DEC_FRAG_DROPPED;
    expire(ft, now, d->cfg.frag_timeout);

    uint32_t bucket = key_hash(ft, in);
    uint32_t gi = ft->bucket[bucket];
    while (gi != NIL && !key_eq(&ft->g[gi], in))
        gi = ft->g[gi].hnext;

    /* RFC 791 §3.2 / RFC 8200 §4.5: nothing may end past 65535 bytes. */
    if (in->off > FRAG_MAX_DATA || in->len > FRAG_MAX_DATA - in->off) {
        if (gi != NIL)
            release(ft, gi, bucket);
        return RS_DEC_FRAG_DROPPED;
    }
    uint32_t lo = in->off, hi = in->off + in->len;
    if (gi == NIL)
        gi = new_slot(d, in, bucket, now);
    struct frag_dgram *g = &ft->g[gi];

    int bad = 0;
    if (!in->more) {
        uint32_t seen = g->n_ranges ? g->r[g->n_ranges - 1].hi : 0;
        bad = g->have_last ? g->total != hi : hi < seen;
        g->have_last = 1;
        g->total = hi;
    } else {
        bad = g->have_last && hi > g->total;
    }
    if (!bad && lo == 0 && !g->have_first) {
        if (in->hdr_len > FRAG_HDR_MAX || in->nh_at >= in->hdr_len) {
            bad = 1;
        } else {
            memcpy(g->hdr, in->hdr, in->hdr_len);
            g->hdr_len = (uint16_t)in->hdr_len;
            g->nh_at = in->nh_at;
            g->nh = in->nh;
            g->have_first = 1;
        }
    }
    if (!bad && lo < hi)
        bad = add_range(d, gi, lo, hi, in->data) < 0;
    if (bad) {
        release(ft, gi, bucket);
        return RS_DEC_FRAG_DROPPED;
    }
    g = &ft->g[gi];
    if (!g->have_first || !g->have_last || g->n_ranges != 1 || g->r[0].lo != 0 ||
        g->r[0].hi != g->total)
        return RS_DEC_FRAG_HELD;
    enum rs_decode_status st = assemble(d, gi, layer_idx, pkt, len);
    release(ft, gi, bucket);
    return st;
}
