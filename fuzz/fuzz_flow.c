/*
 * fuzz_flow.c - libFuzzer target for the flow table (src/flow/table.c)
 * driven by operations, checked against a plain shadow model.
 *
 * This target uses the internal header src/flow/flow.h: the table is not a
 * public API, but it is where a wrong index or a lost timer would hide.
 *
 * Input layout: byte 0 sets the cap (bit 6 clear: 1 + bits 0-5, i.e. 1..64;
 * set: 3000, so the bucket array rehashes and several slab chunks exist),
 * byte 1 the start time in seconds; then operations, one byte each (bits
 * 0-2 the opcode, bits 3-7 or the next byte the argument):
 *   0 alloc key       find the key first, allocate on a miss (as the engine)
 *   1 find key        either direction
 *   2 release i       the i-th live flow of the model
 *   3 schedule i dt   due = now + dt (may be in the past)
 *   4 advance dt      time moves forward, 250 ms .. a jump past the wheel
 *   5 walk            creation order matches the model
 *   6 evict           the oldest flow is released
 *   7 bulk n          allocate n new keys, evicting the oldest when full
 *
 * Checked: the count, find results and directions, the cap, creation
 * order, that a due callback only sees live flows whose time has come, and
 * that after an advance to `now` no scheduled flow with due <= now is left
 * (the engine relies on that for timers; a flow's timer may fire up to one
 * 250 ms wheel tick late, never not at all). As in the engine, the table's
 * clock starts with an advance before any flow is scheduled.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TICK_NS INT64_C(250000000)
#define MAX_MODEL 3000   /* the largest cap used */
#define MAX_SLOTS 16384  /* slot indexes the table may hand out for that cap (a chunk a class) */
#define MAX_KEYS 32768   /* small keys (< 256) and bulk keys after them */
#define MAX_ALLOCS 65536 /* creation-order log */

/* The model: what the table should hold, with O(1) lookups so that long
 * inputs at cap 3000 stay fast under ASan. */
struct entry {
    uint32_t idx; /* its own table index */
    uint8_t alive;
    uint8_t scheduled;
    uint32_t key;
    uint64_t id;  /* creation order */
    uint32_t pos; /* index in model.live */
    rs_time_ns due;
};

struct model {
    struct rs_flow_table *t;
    struct entry slot[MAX_SLOTS];  /* by table index */
    uint32_t keyslot[MAX_KEYS];    /* 1 + table index of a key's live flow, 0 none */
    uint32_t live[MAX_MODEL];      /* table indexes of live flows, any order */
    uint32_t order[MAX_ALLOCS];    /* table indexes in creation order (dead ones skipped) */
    uint64_t order_id[MAX_ALLOCS]; /* ... and the id each had */
    size_t n, cap, norder, head;
    uint64_t next_id;
    uint32_t next_key;
    rs_time_ns now;
    uint32_t decisions; /* varies the due callback's choices */
};

static void
key_tuple(uint32_t k, struct rs_addr *a, uint16_t *pa, struct rs_addr *b, uint16_t *pb)
{
    const uint8_t qa[4] = {10, (uint8_t)(k >> 16), (uint8_t)(k >> 8), (uint8_t)k};
    const uint8_t qb[4] = {192, 0, 2, (uint8_t)(k % 3)};
    rs_addr_from_v4(a, qa);
    rs_addr_from_v4(b, qb);
    *pa = (uint16_t)(1000 + (k >> 24));
    *pb = 80;
}

static uint8_t
key_proto(uint32_t k)
{
    return (k & 0x40) ? 17 : 6;
}

static struct entry *
by_idx(struct model *m, uint32_t idx)
{
    if (idx >= MAX_SLOTS || !m->slot[idx].alive)
        return NULL;
    return &m->slot[idx];
}

static struct entry *
by_key(struct model *m, uint32_t key)
{
    uint32_t s = m->keyslot[key];
    return s ? &m->slot[s - 1] : NULL;
}

static void
forget(struct model *m, uint32_t idx)
{
    struct entry *x = &m->slot[idx];
    uint32_t last = m->live[--m->n];
    m->live[x->pos] = last;
    m->slot[last].pos = x->pos;
    m->keyslot[x->key] = 0;
    x->alive = 0;
}

static uint32_t
find(struct model *m, uint32_t key, int reverse, int *dir)
{
    struct rs_addr a, b;
    uint16_t pa, pb;
    key_tuple(key, &a, &pa, &b, &pb);
    uint8_t proto = key_proto(key);
    uint32_t h = rs_flow_hash(m->t, &a, pa, &b, pb, proto);
    FUZZ_CHECK(h == rs_flow_hash(m->t, &b, pb, &a, pa, proto)); /* symmetric */
    if (reverse)
        return rs_flow_find(m->t, h, &b, pb, &a, pa, proto, dir);
    return rs_flow_find(m->t, h, &a, pa, &b, pb, proto, dir);
}

static void
check_find(struct model *m, uint32_t key, int reverse)
{
    int dir = -1;
    uint32_t idx = find(m, key, reverse, &dir);
    struct entry *x = by_key(m, key);
    if (!x) {
        FUZZ_CHECK(idx == RS_NIL);
        return;
    }
    FUZZ_CHECK(idx == x->idx);
    FUZZ_CHECK(dir == (reverse ? RS_RESP : RS_ORIG));
}

static void
release(struct model *m, uint32_t idx)
{
    uint32_t key = m->slot[idx].key;
    rs_flow_release(m->t, idx);
    forget(m, idx);
    check_find(m, key, 0);
}

static void
alloc_key(struct model *m, uint32_t key)
{
    int dir;
    uint32_t idx = find(m, key, 0, &dir);
    if (idx != RS_NIL) {
        struct entry *x = by_key(m, key);
        FUZZ_CHECK(x && x->idx == idx);
        return;
    }
    FUZZ_CHECK(!by_key(m, key));
    struct rs_addr a, b;
    uint16_t pa, pb;
    key_tuple(key, &a, &pa, &b, &pb);
    uint32_t h = rs_flow_hash(m->t, &a, pa, &b, pb, key_proto(key));
    idx = rs_flow_alloc(m->t, h, key_proto(key) == 6);
    if (m->n >= m->cap) {
        FUZZ_CHECK(idx == RS_NIL); /* over the cap */
        return;
    }
    if (idx == RS_NIL)
        return; /* out of memory */
    FUZZ_CHECK(idx < MAX_SLOTS);
    FUZZ_CHECK(!by_idx(m, idx)); /* a live slot handed out twice */
    struct rs_flow *f = rs_flow_at(m->t, idx);
    FUZZ_CHECK(f->in_use && f->wtick == -1 && f->hash == h);
    /* zeroed, a reused slot too, as far as its class holds (flow.h) */
    FUZZ_CHECK(f->history[0] == 0 && f->history[sizeof f->history - 1] == 0);
    if (key_proto(key) == 6)
        FUZZ_CHECK(f->tcp[0].state == 0 && f->diag.ext == NULL && f->diag.challenge_pkt == 0);
    /* and dirtied, as a session leaves it */
    memset(f->history, 'S', sizeof f->history);
    if (key_proto(key) == 6) {
        memset(f->tcp, 0xa5, sizeof f->tcp);
        f->diag.challenge_pkt = 1;
    }
    f->addr[0] = a;
    f->addr[1] = b;
    f->port[0] = pa;
    f->port[1] = pb;
    f->proto = key_proto(key);
    f->id = ++m->next_id;
    struct entry *x = &m->slot[idx];
    memset(x, 0, sizeof *x);
    x->idx = idx;
    x->alive = 1;
    x->key = key;
    x->id = f->id;
    x->pos = (uint32_t)m->n;
    m->live[m->n++] = idx;
    m->keyslot[key] = idx + 1;
    if (m->norder < MAX_ALLOCS) {
        m->order[m->norder] = idx;
        m->order_id[m->norder++] = x->id;
    }
    check_find(m, key, 1);
}

/* The model's oldest live flow, from the creation-order log. */
static struct entry *
model_oldest(struct model *m)
{
    while (m->head < m->norder) {
        struct entry *x = by_idx(m, m->order[m->head]);
        if (x && x->id == m->order_id[m->head])
            return x;
        m->head++;
    }
    return NULL;
}

static void
evict_oldest(struct model *m)
{
    uint32_t v = rs_flow_oldest(m->t);
    struct entry *oldest = model_oldest(m);
    if (m->n == 0) {
        FUZZ_CHECK(v == RS_NIL);
        return;
    }
    if (!oldest)
        return; /* the log overflowed: the model no longer knows the order */
    FUZZ_CHECK(v == oldest->idx);
    release(m, v);
}

static void
walk(struct model *m)
{
    size_t n = 0;
    uint64_t last = 0;
    for (uint32_t i = rs_flow_oldest(m->t); i != RS_NIL; i = rs_flow_next(m->t, i)) {
        struct entry *x = by_idx(m, i);
        FUZZ_CHECK(x && x->id > last);
        FUZZ_CHECK(++n <= m->n);
        last = x->id;
    }
    FUZZ_CHECK(n == m->n);
}

static int
on_due(void *ctx, uint32_t idx)
{
    struct model *m = ctx;
    struct entry *x = by_idx(m, idx);
    struct rs_flow *f = rs_flow_at(m->t, idx);
    FUZZ_CHECK(x && f->in_use && x->scheduled && f->due == x->due);
    FUZZ_CHECK(f->due <= m->now); /* not called before its time */
    m->decisions = m->decisions * 1103515245u + 12345u;
    if ((m->decisions >> 16) & 1) {
        release(m, idx);
        return 1;
    }
    /* Rescheduled later, as the engine does when a timer only re-arms. */
    f->due = m->now + 1 + (rs_time_ns)((m->decisions >> 8) & 0xff) * (TICK_NS / 4);
    x->due = f->due;
    return 0;
}

static void
advance(struct model *m, rs_time_ns dt)
{
    rs_time_ns before_tick = m->now / TICK_NS;
    m->now += dt;
    rs_flow_advance(m->t, m->now, on_due, m);
    if (m->now / TICK_NS <= before_tick)
        return; /* same wheel tick: nothing is due to run yet */
    for (size_t i = 0; i < m->n; i++) {
        const struct entry *x = &m->slot[m->live[i]];
        FUZZ_CHECK(!x->scheduled || x->due > m->now); /* no due timer skipped */
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    static struct model m;
    memset(&m, 0, sizeof m);
    m.cap = (data[0] & 64) ? MAX_MODEL : 1u + (data[0] & 63u);
    m.t = rs_flow_table_new(m.cap, 0x1234 + data[0]);
    if (!m.t)
        return 0;
    m.now = (rs_time_ns)data[1] * RS_NS_PER_SEC;
    m.next_key = 256;
    m.decisions = data[0];
    rs_flow_advance(m.t, m.now, on_due, &m);
    size_t i = 2;
    while (i < size) {
        uint8_t op = data[i++];
        uint8_t arg = (uint8_t)(op >> 3);
        uint8_t next = i < size ? data[i] : 0;
        switch (op & 7) {
        case 0:
            alloc_key(&m, arg | (uint32_t)(next & 0x40)); /* 64 keys, TCP and UDP */
            i++;
            break;
        case 1:
            check_find(&m, arg | (uint32_t)(next & 0x40), next & 1);
            i++;
            break;
        case 2:
            if (m.n)
                release(&m, m.live[arg % m.n]);
            break;
        case 3:
            if (m.n) {
                struct entry *x = &m.slot[m.live[arg % m.n]];
                struct rs_flow *f = rs_flow_at(m.t, x->idx);
                f->due = m.now + ((rs_time_ns)next - 64) * (TICK_NS / 2);
                rs_flow_schedule(m.t, x->idx);
                x->scheduled = 1;
                x->due = f->due;
            }
            i++;
            break;
        case 4:
            if (arg & 16) /* past the whole wheel (16384 ticks = 4096 s) */
                advance(&m, (rs_time_ns)(4096 + arg * 100) * RS_NS_PER_SEC);
            else
                advance(&m, (rs_time_ns)(arg * 8 + (next & 7)) * (TICK_NS / 2));
            i++;
            break;
        case 5:
            walk(&m);
            break;
        case 6:
            evict_oldest(&m);
            break;
        case 7: {
            size_t n = (size_t)arg * 40 + 1;
            for (size_t k = 0; k < n && m.next_key < MAX_KEYS; k++) {
                if (m.n >= m.cap)
                    evict_oldest(&m);
                alloc_key(&m, m.next_key++);
            }
            break;
        }
        }
        FUZZ_CHECK(rs_flow_count(m.t) == m.n);
        FUZZ_CHECK(rs_flow_cap(m.t) == m.cap);
    }
    walk(&m);
    rs_flow_table_free(m.t);
    return 0;
}
