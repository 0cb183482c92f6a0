/*
 * table.c - the flow table: slab of flow slots, seeded symmetric hash with
 * index chaining, a creation-order list and a hashed timer wheel.
 *
 * Design notes:
 *  - Slots come in chunks of 8192 that never move, so a `struct rs_flow *`
 *    stays valid until its slot is released; growth allocates one chunk at a
 *    time (amortised: no allocation per packet in steady state).
 *  - Two classes of slots, each in chunks of its own: a TCP session's holds
 *    the whole struct rs_flow (1,280 bytes), any other's only the part
 *    before the TCP ends (RS_FLOW_OTHER_SIZE, in slots of OTHER_STRIDE).
 *    UDP sessions wait out a 60 s timer (PAN-OS) after their last packet,
 *    so they are about a third of the sessions in flight on the bench
 *    captures, and each is memory the kernel zeroes at its first touch:
 *    in full-size slots that zeroing was 13-21% of a whole run on this
 *    project's VM. A slot never changes class, so a capture whose mix
 *    shifts (mostly UDP, later mostly TCP) keeps the chunks of both
 *    classes' peaks: at most the cap's worth of each, where one class
 *    would have kept the cap's worth of full slots. Chunks are
 *    2 MiB-aligned and marked MADV_HUGEPAGE: one page fault and one TLB
 *    entry per 2 MiB instead of per 4 KiB, which matters most on virtual
 *    machines, where a first touch of a 4 KiB page costs microseconds.
 *  - Chains are lists of 8-byte references (hash, index): a bucket holds
 *    the reference to its first flow and a parallel link array holds, for
 *    each flow, the reference to the next one. A lookup that hits the chain
 *    head reads the bucket and the flow, nothing else; a flow whose hash
 *    differs is never read at all.
 *  - The bucket array doubles when the load passes 1/2 (short chains: the
 *    lookahead loads only the flow at the head); rehashing walks the
 *    creation list and reuses the hash stored in each flow.
 *  - The wheel has RS_WHEEL_SLOTS slots of RS_WHEEL_RES_NS each. A flow is
 *    linked at the tick of its due time; when the due time moves later (the
 *    common case: more packets), the flow stays where it is and is re-examined
 *    and relinked when that tick comes (lazy, p0f/Linux-timer style). Only a
 *    due time moving earlier relinks at once.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "flow/flow.h"
#include "util/hugemem.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define RS_ASAN 1
#else
#define RS_ASAN 0
#define ASAN_POISON_MEMORY_REGION(a, n) ((void)(a), (void)(n))
#define ASAN_UNPOISON_MEMORY_REGION(a, n) ((void)(a), (void)(n))
#endif

#define CHUNK_SHIFT 13u
#define CHUNK_SIZE (1u << CHUNK_SHIFT)
#define RS_WHEEL_SLOTS 16384u
#define RS_WHEEL_RES_NS RS_FLOW_TICK_NS

/* A reference to a flow in a chain: its index and its hash. */
struct rs_flow_link {
    uint32_t hash;
    uint32_t idx; /* RS_NIL: end of the chain */
};

/*
 * Per-slot list links, in arrays parallel to the chunks, not in the flows:
 * unlinking a flow from the wheel or the creation list writes its
 * neighbours' links, and walking a wheel slot follows them, so here they
 * touch a dense array (16 bytes a slot) instead of a cold line of every
 * neighbouring flow. The hash chains have their own array (8 bytes a
 * slot), which lookups walk.
 */
struct rs_slot_links {
    uint32_t wnext, wprev; /* timer wheel */
    uint32_t cnext, cprev; /* creation order */
};

enum { CL_TCP, CL_OTHER, CL_N };

/* A chunk of CHUNK_SIZE slots of one class, `stride` bytes apart. */
struct rs_chunk {
    char *base;
    uint32_t stride;
    uint32_t cl;
};

/* The slots of a class not in use: released ones, and never-used ones at
 * the end of its last chunk. */
struct rs_slot_class {
    uint32_t free_head;        /* released slots, last released first, through the links' idx */
    uint32_t fresh, fresh_end; /* never used: [fresh, fresh_end) */
    uint32_t first;            /* index of the class's first slot, RS_NIL before any */
};

/* Slots of the other class are 512 bytes (RS_FLOW_OTHER_SIZE is 448): a
 * chunk is then two huge pages. ASan builds give them a whole flow's room
 * and poison what lies past RS_FLOW_OTHER_SIZE, so that any f->tcp or
 * f->diag of a UDP session is a report, not a read of the next slot. */
#define OTHER_STRIDE (RS_ASAN ? sizeof(struct rs_flow) : (size_t)512)
_Static_assert(RS_FLOW_OTHER_SIZE <= 512, "a non-TCP slot holds the flow up to its TCP ends");

/* What a slot of the class holds, and how far apart its slots are. */
static size_t
class_size(int cl)
{
    return cl == CL_TCP ? sizeof(struct rs_flow) : RS_FLOW_OTHER_SIZE;
}

static size_t
class_stride(int cl)
{
    return cl == CL_TCP ? sizeof(struct rs_flow) : OTHER_STRIDE;
}

struct rs_flow_table {
    struct rs_flow_table_head h; /* first: flow.h's inline code reads it */
    struct rs_chunk *chunks;
    struct rs_flow_link **links;  /* parallel to chunks: the next flow in the chain */
    struct rs_slot_links **lists; /* parallel to chunks */
    size_t n_chunks, chunks_cap;
    struct rs_slot_class cl[CL_N];
    size_t count, cap;            /* live flows, configured maximum */
    struct rs_flow_link *buckets; /* first flow of each chain */
    uint32_t bucket_mask;
    uint64_t seed, seed2;  /* seed2: a second word drawn from seed (rs_flow_hash) */
    uint32_t chead, ctail; /* creation order */
    uint32_t wheel[RS_WHEEL_SLOTS];
    rs_time_ns next_ts; /* where the tick after cur_tick starts; INT64_MIN when unknown */
};

struct rs_flow *
rs_flow_at(struct rs_flow_table *t, uint32_t idx)
{
    const struct rs_chunk *c = &t->chunks[idx >> CHUNK_SHIFT];
    return (struct rs_flow *)(void *)(c->base + (size_t)(idx & (CHUNK_SIZE - 1)) * c->stride);
}

static inline int
class_of(const struct rs_flow_table *t, uint32_t idx)
{
    return (int)t->chunks[idx >> CHUNK_SHIFT].cl;
}

static inline struct rs_slot_links *
lk(const struct rs_flow_table *t, uint32_t idx)
{
    return &t->lists[idx >> CHUNK_SHIFT][idx & (CHUNK_SIZE - 1)];
}

static inline struct rs_flow_link *
link_at(const struct rs_flow_table *t, uint32_t idx)
{
    return &t->links[idx >> CHUNK_SHIFT][idx & (CHUNK_SIZE - 1)];
}

/*
 * A chunk is its own mapping in huge pages (util/hugemem.h), sized to whole
 * 2 MiB pages: 8,192 slots of 1,280 bytes are exactly 5 of them, of 512
 * bytes 2. With 4,096
 * slots the last 1 MiB of every chunk had small pages, 3,000 page faults
 * (and 30-60 ms on this project's VM) per million packets. A tail that is
 * not a whole huge page would get small pages, faulted as touched; rounding
 * the chunk up instead would fault a whole huge page for the tail's first
 * slot, 1.4 MiB of zeroed memory never used.
 */
_Static_assert(((size_t)CHUNK_SIZE * sizeof(struct rs_flow)) % RS_HUGE_PAGE == 0,
               "a flow chunk is whole huge pages: pick CHUNK_SHIFT for the new flow size");
_Static_assert(((size_t)CHUNK_SIZE * OTHER_STRIDE) % RS_HUGE_PAGE == 0,
               "a chunk of non-TCP slots is whole huge pages");

/* A class that reaches this many sessions gets the first huge page of its
 * first chunk as one (rs_huge_promote_head): 320 KiB of small pages were
 * touched until then. */
#define HEAD_PROMOTE 256u
_Static_assert(HEAD_PROMOTE * sizeof(struct rs_flow) < RS_HUGE_PAGE, "promoted inside the head");

/* Bucket arrays of 128 KiB and more (from 16,384 buckets, 8,192 sessions)
 * are huge pages too: each doubling otherwise faulted its pages one by one. */
#define BUCKETS_HUGE ((size_t)128 << 10)

static struct rs_flow_link *
buckets_alloc(size_t n)
{
    size_t size = n * sizeof(struct rs_flow_link);
    if (size < BUCKETS_HUGE)
        return malloc(size);
    return rs_huge_alloc(rs_huge_round(size));
}

static void
buckets_free(struct rs_flow_link *b, size_t n)
{
    size_t size = n * sizeof(struct rs_flow_link);
    if (size < BUCKETS_HUGE)
        free(b);
    else
        rs_huge_free(b, rs_huge_round(size));
}

struct rs_flow_table *
rs_flow_table_new(size_t max_flows, uint64_t seed)
{
    struct rs_flow_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->cap = max_flows ? max_flows : 250000; /* RS_DEFAULT_MAX_SESSIONS */
    /* Each class may hold as many chunks as the cap needs, plus one. */
    if (t->cap > RS_NIL / 2 - CHUNK_SIZE)
        t->cap = RS_NIL / 2 - CHUNK_SIZE;
    t->seed = seed;
    t->seed2 = (seed ^ (seed >> 31)) * UINT64_C(0xff51afd7ed558ccd) + 1;
    for (int c = 0; c < CL_N; c++) {
        t->cl[c].free_head = RS_NIL;
        t->cl[c].first = RS_NIL;
    }
    t->chead = t->ctail = RS_NIL;
    t->h.cur_tick = INT64_MIN;
    t->next_ts = INT64_MIN;
    t->bucket_mask = 1023;
    t->buckets = buckets_alloc((size_t)t->bucket_mask + 1);
    if (!t->buckets) {
        free(t);
        return NULL;
    }
    for (uint32_t b = 0; b <= t->bucket_mask; b++)
        t->buckets[b] = (struct rs_flow_link){0, RS_NIL};
    memset(t->wheel, 0xff, sizeof t->wheel);
    return t;
}

void
rs_flow_table_free(struct rs_flow_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_chunks; i++) {
        size_t bytes = (size_t)CHUNK_SIZE * t->chunks[i].stride;
        ASAN_UNPOISON_MEMORY_REGION(t->chunks[i].base, bytes);
        rs_huge_free(t->chunks[i].base, bytes);
        free(t->links[i]);
        free(t->lists[i]);
    }
    free(t->chunks);
    free(t->links);
    free(t->lists);
    buckets_free(t->buckets, (size_t)t->bucket_mask + 1);
    free(t);
}

size_t
rs_flow_count(const struct rs_flow_table *t)
{
    return t->count;
}

size_t
rs_flow_cap(const struct rs_flow_table *t)
{
    return t->cap;
}

/*
 * The session hash, computed for every frame (the lookahead's, reused by
 * the engine): it must be symmetric, seeded, and cheap. Each end is mixed
 * with the seed by its own multiplies, so which tuples collide depends on
 * the seed (an adversary who crafts tuples cannot aim at one bucket without
 * it); the two ends are added, which is commutative; one multiply and a
 * shift spread the sum into the low bits the bucket index takes. Five
 * multiplies where three rounds of fmix64 took eight (67 -> about 30
 * instructions a frame).
 */
static inline uint64_t
end_mix(uint64_t s0, uint64_t s1, const struct rs_addr *a, uint16_t port)
{
    uint64_t lo, hi;
    memcpy(&lo, a->b, 8);
    memcpy(&hi, a->b + 8, 8);
    return ((lo ^ s0) * UINT64_C(0x9e3779b97f4a7c15)) ^
           (((hi + ((uint64_t)port << 48 | port)) ^ s1) * UINT64_C(0xc2b2ae3d27d4eb4f));
}

uint32_t
rs_flow_hash(const struct rs_flow_table *t, const struct rs_addr *a, uint16_t pa,
             const struct rs_addr *b, uint16_t pb, uint8_t proto)
{
    uint64_t h = end_mix(t->seed, t->seed2, a, pa) + end_mix(t->seed, t->seed2, b, pb);
    h = (h ^ ((uint64_t)proto << 40) ^ (h >> 29)) * UINT64_C(0x165667b19e3779f9);
    return (uint32_t)(h ^ (h >> 32));
}

static inline int
end_eq(const struct rs_addr *a, uint16_t pa, const struct rs_addr *b, uint16_t pb)
{
    return pa == pb && memcmp(a->b, b->b, 16) == 0;
}

/*
 * Chains are self-organising: a flow found behind the head of its chain
 * moves to the head. The lookahead (rs_flow_prefetch_flow) loads the flow
 * at the head, so the sessions that are sending stay where the prefetch
 * looks, ahead of the sessions that only wait for their timers; without
 * this a quarter of the lookups at 50,000 sessions in flight found their
 * flow deeper, two dependent cache misses that no prefetch had covered.
 */
uint32_t
rs_flow_find(struct rs_flow_table *t, uint32_t hash, const struct rs_addr *src, uint16_t sport,
             const struct rs_addr *dst, uint16_t dport, uint8_t proto, int *dir)
{
    struct rs_flow_link *head = &t->buckets[hash & t->bucket_mask];
    for (struct rs_flow_link *k = head; k->idx != RS_NIL; k = link_at(t, k->idx)) {
        uint32_t i = k->idx;
        if (k->hash != hash)
            continue;
        struct rs_flow *f = rs_flow_at(t, i);
        if (f->proto != proto)
            continue;
        int d;
        if (end_eq(&f->addr[0], f->port[0], src, sport) &&
            end_eq(&f->addr[1], f->port[1], dst, dport))
            d = RS_ORIG;
        else if (end_eq(&f->addr[1], f->port[1], src, sport) &&
                 end_eq(&f->addr[0], f->port[0], dst, dport))
            d = RS_RESP;
        else
            continue;
        if (k != head) {
            /* k is the link that points at i: unlink i, push it in front. */
            struct rs_flow_link *li = link_at(t, i);
            *k = *li;
            *li = *head;
            *head = (struct rs_flow_link){hash, i};
        }
        *dir = d;
        return i;
    }
    return RS_NIL;
}

void
rs_flow_prefetch_bucket(const struct rs_flow_table *t, uint32_t hash)
{
    rs_prefetch_keep();
    __builtin_prefetch(&t->buckets[hash & t->bucket_mask]);
}

void
rs_flow_prefetch_all(struct rs_flow_table *t, uint32_t idx)
{
    rs_prefetch_keep();
    const char *f = (const char *)rs_flow_at(t, idx);
    size_t size = class_size(class_of(t, idx));
    for (size_t off = 0; off < size; off += 64)
        __builtin_prefetch(f + off);
    /* and its links, which its release rewrites */
    __builtin_prefetch(lk(t, idx), 1);
    __builtin_prefetch(link_at(t, idx), 1);
}

/* Never inlined, as rs_flow_prefetch_flow below: tests/cli/prefetch_kept.sh
 * watches it being called. */
__attribute__((noinline)) void
rs_flow_prefetch_release(struct rs_flow_table *t, uint32_t idx)
{
    rs_prefetch_keep();
    const struct rs_slot_links *sl = lk(t, idx);
    __builtin_prefetch(&t->buckets[rs_flow_at(t, idx)->hash & t->bucket_mask], 1);
    if (sl->cprev != RS_NIL)
        __builtin_prefetch(lk(t, sl->cprev), 1);
    if (sl->cnext != RS_NIL)
        __builtin_prefetch(lk(t, sl->cnext), 1);
}

/* The per-packet lines of flow.h's layout, as rs_flow_prefetch_flow loads them. */
_Static_assert(offsetof(struct rs_flow, hash) == 4 * (size_t)RS_LINE, "flow header is four lines");
_Static_assert(offsetof(struct rs_tcp_end, hist_last_syn) <= 2 * (size_t)RS_LINE,
               "a TCP end's per-packet fields fit two lines");
_Static_assert(offsetof(struct rs_diag, s) == RS_LINE, "diagnosis header is one line");
_Static_assert(sizeof(struct rs_diag_side) == RS_LINE, "a diagnosis side is one line");
_Static_assert(sizeof(struct rs_flow) % RS_LINE == 0, "flows start on a line");

/* Never inlined: it stays one function that tests/cli/prefetch_kept.sh can
 * watch being called (a call per frame costs a few instructions). */
__attribute__((noinline)) void
rs_flow_prefetch_flow(struct rs_flow_table *t, uint32_t hash)
{
    rs_prefetch_keep();
    struct rs_flow_link k = t->buckets[hash & t->bucket_mask];
    if (k.idx == RS_NIL || k.hash != hash) {
        if (k.idx != RS_NIL)
            __builtin_prefetch(link_at(t, k.idx)); /* the chain goes on */
        /* Most likely a new session: rs_flow_alloc will read the link of
         * the last released slot of its class (in the cache, unless the
         * sessions that ended since were of the other class); the class is
         * not known here. */
        for (int c = 0; c < CL_N; c++)
            if (t->cl[c].free_head != RS_NIL)
                __builtin_prefetch(link_at(t, t->cl[c].free_head));
        return;
    }
    const char *f = (const char *)rs_flow_at(t, k.idx);
    /* The lines every packet touches (flow.h): the header's four, and in a
     * TCP session's slot each TCP end's two, the diagnosis header's and
     * each diagnosis side's; then the first line of the history and the
     * flow's wheel links. */
    for (size_t off = 0; off < offsetof(struct rs_flow, hash); off += RS_LINE)
        __builtin_prefetch(f + off, 1);
    if (class_of(t, k.idx) == CL_TCP) {
        for (int side = 0; side < 2; side++) {
            const char *e =
                f + offsetof(struct rs_flow, tcp) + (size_t)side * sizeof(struct rs_tcp_end);
            __builtin_prefetch(e, 1);
            __builtin_prefetch(e + RS_LINE, 1);
        }
        __builtin_prefetch(f + offsetof(struct rs_flow, diag), 1);
        __builtin_prefetch(f + offsetof(struct rs_flow, diag.s[0]), 1);
        __builtin_prefetch(f + offsetof(struct rs_flow, diag.s[1]), 1);
    }
    /* Not every packet, but most of a short session's add a history
     * letter, and a rescheduled timer relinks the flow in the wheel: both
     * were demand misses (3-4% of the time at 50,000 sessions in flight). */
    __builtin_prefetch(f + offsetof(struct rs_flow, history), 1);
    __builtin_prefetch(lk(t, k.idx), 1);
}

static int
grow_slab(struct rs_flow_table *t, int cl)
{
    if (t->n_chunks == t->chunks_cap) {
        size_t nc = t->chunks_cap ? t->chunks_cap * 2 : 16;
        struct rs_chunk *c = realloc(t->chunks, nc * sizeof(struct rs_chunk));
        if (!c)
            return -1;
        t->chunks = c;
        struct rs_flow_link **l = realloc(t->links, nc * sizeof(struct rs_flow_link *));
        if (!l)
            return -1;
        t->links = l;
        struct rs_slot_links **ls = realloc(t->lists, nc * sizeof(struct rs_slot_links *));
        if (!ls)
            return -1;
        t->lists = ls;
        t->chunks_cap = nc;
    }
    /* A class's first chunk keeps its first huge page to small pages until
     * HEAD_PROMOTE sessions: a capture of a few sessions costs the pages
     * they use. */
    struct rs_slot_class *c = &t->cl[cl];
    size_t stride = class_stride(cl);
    size_t bytes = (size_t)CHUNK_SIZE * stride;
    char *chunk = c->first != RS_NIL ? rs_huge_alloc(bytes) : rs_huge_alloc_lazy(bytes);
    struct rs_flow_link *links = malloc(CHUNK_SIZE * sizeof *links);
    struct rs_slot_links *lists = malloc(CHUNK_SIZE * sizeof *lists);
    if (!chunk || !links || !lists) {
        rs_huge_free(chunk, bytes);
        free(links);
        free(lists);
        return -1;
    }
    if (RS_ASAN && cl != CL_TCP) {
        for (size_t i = 0; i < CHUNK_SIZE; i++)
            ASAN_POISON_MEMORY_REGION(chunk + i * stride + RS_FLOW_OTHER_SIZE,
                                      stride - RS_FLOW_OTHER_SIZE);
    }
    /* The new slots are handed out in index order through c->fresh, not
     * threaded onto the free list here: writing 8192 slots would touch the
     * whole chunk (10 MiB) up front, which every engine paid at its first
     * session, however small its input. */
    uint32_t first = (uint32_t)(t->n_chunks << CHUNK_SHIFT);
    if (c->first == RS_NIL)
        c->first = first;
    c->fresh = first;
    c->fresh_end = first + CHUNK_SIZE;
    t->chunks[t->n_chunks] = (struct rs_chunk){chunk, (uint32_t)stride, (uint32_t)cl};
    t->lists[t->n_chunks] = lists;
    t->links[t->n_chunks++] = links;
    return 0;
}

static void
rehash(struct rs_flow_table *t)
{
    uint32_t nmask = t->bucket_mask * 2 + 1;
    struct rs_flow_link *nb = buckets_alloc((size_t)nmask + 1);
    if (!nb)
        return; /* keep the old, longer chains */
    for (uint32_t b = 0; b <= nmask; b++)
        nb[b] = (struct rs_flow_link){0, RS_NIL};
    for (uint32_t i = t->chead; i != RS_NIL;) {
        const struct rs_flow *f = rs_flow_at(t, i);
        *link_at(t, i) = nb[f->hash & nmask];
        nb[f->hash & nmask] = (struct rs_flow_link){f->hash, i};
        i = lk(t, i)->cnext;
    }
    buckets_free(t->buckets, (size_t)t->bucket_mask + 1);
    t->buckets = nb;
    t->bucket_mask = nmask;
}

uint32_t
rs_flow_alloc(struct rs_flow_table *t, uint32_t hash, int tcp)
{
    if (t->count >= t->cap)
        return RS_NIL;
    int cl = tcp ? CL_TCP : CL_OTHER;
    struct rs_slot_class *c = &t->cl[cl];
    if (c->free_head == RS_NIL && c->fresh == c->fresh_end && grow_slab(t, cl) != 0)
        return RS_NIL;
    if (t->count > (t->bucket_mask >> 1) && t->bucket_mask < (UINT32_MAX >> 2))
        rehash(t);
    /*
     * Released slots first, the last released first: its lines were all
     * read when its record was built, moments ago, so the clearing below
     * writes to the cache. Taking the oldest first (as we did) cleared a
     * slot long gone to memory, 20 lines fetched only to be overwritten,
     * and the session's first packet then waited for them: at 50,000
     * sessions in flight a third of rs_engine_packet's samples sat on one
     * such load (perf annotate). This order takes 18% less CPU on 3.5M
     * packets with 50,000 in flight, 9% on the bench's 3.5M, 4% on its
     * 1M (docs/performance.md).
     */
    uint32_t idx;
    struct rs_flow_link *k;
    struct rs_flow *f;
    if (c->free_head != RS_NIL) {
        idx = c->free_head;
        k = link_at(t, idx);
        c->free_head = k->idx;
        f = rs_flow_at(t, idx);
        memset(f, 0, class_size(cl));
    } else {
        /* A never-used slot of an anonymous mapping is zero already: the
         * kernel cleared its page at the first touch. */
        idx = c->fresh++;
        if (idx == c->first + HEAD_PROMOTE)
            rs_huge_promote_head(t->chunks[idx >> CHUNK_SHIFT].base);
        k = link_at(t, idx);
        f = rs_flow_at(t, idx);
    }
    f->in_use = 1;
    f->hash = hash;
    f->wtick = -1;
    struct rs_slot_links *sl = lk(t, idx);
    sl->wnext = sl->wprev = RS_NIL;
    *k = t->buckets[hash & t->bucket_mask];
    t->buckets[hash & t->bucket_mask] = (struct rs_flow_link){hash, idx};
    sl->cnext = RS_NIL;
    sl->cprev = t->ctail;
    if (t->ctail != RS_NIL)
        lk(t, t->ctail)->cnext = idx;
    else
        t->chead = idx;
    t->ctail = idx;
    t->count++;
    return idx;
}

static void
wheel_unlink(struct rs_flow_table *t, uint32_t idx, struct rs_flow *f)
{
    if (f->wtick < 0)
        return;
    struct rs_slot_links *sl = lk(t, idx);
    if (sl->wprev != RS_NIL)
        lk(t, sl->wprev)->wnext = sl->wnext;
    else
        t->wheel[(uint64_t)f->wtick & (RS_WHEEL_SLOTS - 1)] = sl->wnext;
    if (sl->wnext != RS_NIL)
        lk(t, sl->wnext)->wprev = sl->wprev;
    f->wtick = -1;
    sl->wnext = sl->wprev = RS_NIL;
}

static void
wheel_link(struct rs_flow_table *t, uint32_t idx, struct rs_flow *f, int64_t tick)
{
    uint32_t s = (uint32_t)((uint64_t)tick & (RS_WHEEL_SLOTS - 1));
    struct rs_slot_links *sl = lk(t, idx);
    f->wtick = tick;
    sl->wprev = RS_NIL;
    sl->wnext = t->wheel[s];
    if (sl->wnext != RS_NIL)
        lk(t, sl->wnext)->wprev = idx;
    t->wheel[s] = idx;
}

void
rs_flow_release(struct rs_flow_table *t, uint32_t idx)
{
    struct rs_flow *f = rs_flow_at(t, idx);
    if (!f->in_use)
        return;
    /* hash chain */
    struct rs_flow_link *k = link_at(t, idx);
    struct rs_flow_link *pp = &t->buckets[f->hash & t->bucket_mask];
    while (pp->idx != RS_NIL && pp->idx != idx)
        pp = link_at(t, pp->idx);
    if (pp->idx == idx)
        *pp = *k;
    wheel_unlink(t, idx, f);
    /* creation list */
    struct rs_slot_links *sl = lk(t, idx);
    if (sl->cprev != RS_NIL)
        lk(t, sl->cprev)->cnext = sl->cnext;
    else
        t->chead = sl->cnext;
    if (sl->cnext != RS_NIL)
        lk(t, sl->cnext)->cprev = sl->cprev;
    else
        t->ctail = sl->cprev;
    f->in_use = 0;
    struct rs_slot_class *c = &t->cl[class_of(t, idx)];
    k->idx = c->free_head;
    c->free_head = idx;
    t->count--;
}

static int64_t
tick_of(rs_time_ns ts)
{
    return ts >= 0 ? ts / RS_WHEEL_RES_NS : 0;
}

void
rs_flow_schedule(struct rs_flow_table *t, uint32_t idx)
{
    struct rs_flow *f = rs_flow_at(t, idx);
    if (rs_flow_schedule_kept(t, f))
        return;
    int64_t tick = tick_of(f->due);
    if (t->h.cur_tick != INT64_MIN && tick <= t->h.cur_tick)
        tick = t->h.cur_tick + 1;
    /* Linked at or before its due tick and still in the future: leave it. */
    if (f->wtick >= 0 && f->wtick <= tick &&
        (t->h.cur_tick == INT64_MIN || f->wtick > t->h.cur_tick))
        return;
    wheel_unlink(t, idx, f);
    wheel_link(t, idx, f, tick);
}

static void
process_slot(struct rs_flow_table *t, uint32_t slot, rs_time_ns now, rs_flow_due_fn fn, void *ctx)
{
    uint32_t i = t->wheel[slot];
    t->wheel[slot] = RS_NIL;
    /* The list is detached: relinking below can never touch it this round. */
    while (i != RS_NIL) {
        struct rs_flow *f = rs_flow_at(t, i);
        struct rs_slot_links *sl = lk(t, i);
        uint32_t next = sl->wnext;
        if (next != RS_NIL) {
            lk(t, next)->wprev = RS_NIL;
            __builtin_prefetch(&rs_flow_at(t, next)->due); /* the walk's next stop */
        }
        sl->wnext = sl->wprev = RS_NIL;
        f->wtick = -1;
        if (f->due <= now) {
            if (!fn(ctx, i))
                rs_flow_schedule(t, i);
        } else {
            rs_flow_schedule(t, i);
        }
        i = next;
    }
}

void
rs_flow_advance(struct rs_flow_table *t, rs_time_ns now, rs_flow_due_fn fn, void *ctx)
{
    if (now < t->next_ts)
        return; /* within the tick already processed: once per packet */
    int64_t now_tick = tick_of(now);
    if (t->h.cur_tick == INT64_MIN)
        t->h.cur_tick = now_tick - 1;
    if (now_tick - t->h.cur_tick >= (int64_t)RS_WHEEL_SLOTS) {
        /* A long jump: visit every slot once. */
        t->h.cur_tick = now_tick;
        for (uint32_t s = 0; s < RS_WHEEL_SLOTS; s++)
            process_slot(t, s, now, fn, ctx);
    } else {
        while (t->h.cur_tick < now_tick) {
            t->h.cur_tick++;
            process_slot(t, (uint32_t)((uint64_t)t->h.cur_tick & (RS_WHEEL_SLOTS - 1)), now, fn,
                         ctx);
        }
    }
    /* Where the next tick starts; INT64_MIN (always look) while that would
     * be at or before time 0, where tick_of clamps. */
    t->next_ts = t->h.cur_tick >= 0 ? (t->h.cur_tick + 1) * RS_WHEEL_RES_NS : INT64_MIN;
}

uint32_t
rs_flow_oldest(const struct rs_flow_table *t)
{
    return t->chead;
}

uint32_t
rs_flow_next(const struct rs_flow_table *t, uint32_t idx)
{
    return lk(t, idx)->cnext;
}
