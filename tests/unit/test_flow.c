/*
 * test_flow.c - flow table: symmetric keys, collisions, growth, the timer
 * wheel and creation order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "flow/flow.h"

static struct rs_addr
v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    struct rs_addr x;
    const uint8_t q[4] = {a, b, c, d};
    rs_addr_from_v4(&x, q);
    return x;
}

static uint32_t
add(struct rs_flow_table *t, struct rs_addr a, uint16_t pa, struct rs_addr b, uint16_t pb)
{
    uint32_t h = rs_flow_hash(t, &a, pa, &b, pb, 6);
    uint32_t i = rs_flow_alloc(t, h, 1);
    assert_int_not_equal(i, RS_NIL);
    struct rs_flow *f = rs_flow_at(t, i);
    f->addr[0] = a;
    f->addr[1] = b;
    f->port[0] = pa;
    f->port[1] = pb;
    f->proto = 6;
    return i;
}

static void
test_symmetric_hash_and_find(void **state)
{
    (void)state;
    struct rs_flow_table *t = rs_flow_table_new(100, 42);
    struct rs_addr a = v4(10, 0, 0, 1), b = v4(10, 0, 0, 2);
    assert_int_equal(rs_flow_hash(t, &a, 1000, &b, 80, 6), rs_flow_hash(t, &b, 80, &a, 1000, 6));
    assert_int_not_equal(rs_flow_hash(t, &a, 1000, &b, 80, 6),
                         rs_flow_hash(t, &a, 1000, &b, 80, 17));
    uint32_t i = add(t, a, 1000, b, 80);
    int dir = -1;
    uint32_t h = rs_flow_hash(t, &a, 1000, &b, 80, 6);
    assert_int_equal(rs_flow_find(t, h, &a, 1000, &b, 80, 6, &dir), i);
    assert_int_equal(dir, RS_ORIG);
    assert_int_equal(rs_flow_find(t, h, &b, 80, &a, 1000, 6, &dir), i);
    assert_int_equal(dir, RS_RESP);
    /* Same addresses, other proto or port: no match. */
    assert_int_equal(rs_flow_find(t, h, &a, 1000, &b, 80, 17, &dir), RS_NIL);
    uint32_t h2 = rs_flow_hash(t, &a, 1001, &b, 80, 6);
    assert_int_equal(rs_flow_find(t, h2, &a, 1001, &b, 80, 6, &dir), RS_NIL);
    /* Seeds differ -> hashes differ (an adversary cannot aim at a bucket). */
    struct rs_flow_table *t2 = rs_flow_table_new(100, 43);
    assert_int_not_equal(rs_flow_hash(t, &a, 1000, &b, 80, 6),
                         rs_flow_hash(t2, &a, 1000, &b, 80, 6));
    rs_flow_table_free(t2);
    rs_flow_table_free(t);
}

/* Bucket occupancy of n hashes over 2^bits buckets: the longest chain. */
static unsigned
longest_chain(const uint32_t *h, size_t n, unsigned bits)
{
    static uint16_t count[1 << 16];
    memset(count, 0, sizeof count);
    unsigned most = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned c = ++count[h[i] & ((1u << bits) - 1)];
        if (c > most)
            most = c;
    }
    return most;
}

/*
 * The hash spreads the tuples real traffic makes (one field moving at a
 * time: client ports, the last octet, the high octets, IPv6 interface ids,
 * both ends moving together) evenly over the low bits that index the
 * buckets, for any seed. 16,384 tuples into 16,384 buckets: a random
 * function's longest chain is 7-9; a hash that leaves a field out of the
 * low bits, or adds the ends without mixing them, makes chains of
 * hundreds. Also: different seeds put the same tuples in different buckets.
 */
static void
test_hash_spreads(void **state)
{
    (void)state;
    enum { N = 16384 };
    static uint32_t h[N], h2[N];
    for (uint64_t seed = 1; seed < 4; seed++) {
        struct rs_flow_table *t = rs_flow_table_new(100, seed * 0x1234567);
        struct rs_flow_table *t2 = rs_flow_table_new(100, seed * 0x7654321);
        for (int shape = 0; shape < 6; shape++) {
            for (uint32_t i = 0; i < N; i++) {
                struct rs_addr a = v4(10, 1, 2, 3), b = v4(192, 0, 2, 1);
                uint16_t pa = 40000, pb = 443;
                switch (shape) {
                case 0: /* client ports, then a second client */
                    pa = (uint16_t)(1024 + i % 8192);
                    a = v4(10, 1, 2, (uint8_t)(3 + i / 8192));
                    break;
                case 1: /* last two octets of the client */
                    a = v4(10, 1, (uint8_t)(i >> 8), (uint8_t)i);
                    break;
                case 2: /* high octets of the server */
                    b = v4((uint8_t)(i >> 8), (uint8_t)i, 2, 1);
                    break;
                case 3: /* both ends move together */
                    a = v4(10, 0, (uint8_t)(i >> 8), (uint8_t)i);
                    b = v4(10, 1, (uint8_t)(i >> 8), (uint8_t)i);
                    break;
                case 4: /* IPv6 interface ids */
                    memset(a.b, 0, 16);
                    a.b[0] = 0x20;
                    a.b[1] = 0x01;
                    a.b[14] = (uint8_t)(i >> 8);
                    a.b[15] = (uint8_t)i;
                    break;
                default: /* server ports, both directions of half of them */
                    pb = (uint16_t)(i % 8192);
                    if (i >= 8192) {
                        struct rs_addr x = a;
                        a = b;
                        b = x;
                        pa = pb;
                        pb = 40000;
                        a.b[15] ^= 1;
                    }
                    break;
                }
                h[i] = rs_flow_hash(t, &a, pa, &b, pb, 6);
                h2[i] = rs_flow_hash(t2, &a, pa, &b, pb, 6);
            }
            unsigned most = longest_chain(h, N, 14);
            if (most > 12)
                fail_msg("seed %llu shape %d: a chain of %u", (unsigned long long)seed, shape,
                         most);
            assert_true(longest_chain(h, N, 10) <= 40); /* 16 a bucket on average */
            size_t same = 0;
            for (uint32_t i = 0; i < N; i++)
                same += (h[i] & 0x3fff) == (h2[i] & 0x3fff);
            assert_true(same < 64); /* about 1 expected */
        }
        rs_flow_table_free(t);
        rs_flow_table_free(t2);
    }
}

static void
test_growth_and_release(void **state)
{
    (void)state;
    struct rs_flow_table *t = rs_flow_table_new(20000, 7);
    struct rs_addr s = v4(192, 168, 0, 1), d = v4(192, 168, 0, 2);
    static uint32_t idx[10000];
    for (uint16_t p = 0; p < 10000; p++)
        idx[p] = add(t, s, (uint16_t)(p + 1), d, 443);
    assert_int_equal(rs_flow_count(t), 10000);
    /* every flow still found after rehashes */
    for (uint16_t p = 0; p < 10000; p += 37) {
        int dir;
        uint32_t h = rs_flow_hash(t, &d, 443, &s, (uint16_t)(p + 1), 6);
        assert_int_equal(rs_flow_find(t, h, &d, 443, &s, (uint16_t)(p + 1), 6, &dir), idx[p]);
        assert_int_equal(dir, RS_RESP);
    }
    /* creation order */
    assert_int_equal(rs_flow_oldest(t), idx[0]);
    assert_int_equal(rs_flow_next(t, idx[0]), idx[1]);
    rs_flow_release(t, idx[0]);
    assert_int_equal(rs_flow_oldest(t), idx[1]);
    assert_int_equal(rs_flow_count(t), 9999);
    int dir;
    uint32_t h = rs_flow_hash(t, &s, 1, &d, 443, 6);
    assert_int_equal(rs_flow_find(t, h, &s, 1, &d, 443, 6, &dir), RS_NIL);
    rs_flow_table_free(t);
}

static void
test_cap(void **state)
{
    (void)state;
    struct rs_flow_table *t = rs_flow_table_new(3, 1);
    struct rs_addr s = v4(1, 1, 1, 1), d = v4(2, 2, 2, 2);
    add(t, s, 1, d, 2);
    add(t, s, 2, d, 2);
    add(t, s, 3, d, 2);
    assert_int_equal(rs_flow_alloc(t, 5, 1), RS_NIL);
    rs_flow_release(t, rs_flow_oldest(t));
    assert_int_not_equal(rs_flow_alloc(t, 5, 1), RS_NIL);
    rs_flow_table_free(t);
}

/* Bytes of a flow the table itself sets (the hash, the wheel tick). */
static int
table_field(size_t o)
{
    return (o >= offsetof(struct rs_flow, wtick) && o < offsetof(struct rs_flow, wtick) + 8) ||
           (o >= offsetof(struct rs_flow, hash) && o < offsetof(struct rs_flow, hash) + 4);
}

/*
 * Two classes of slots (table.c): a TCP session's holds the whole flow, any
 * other's ends before f->tcp. The regions the sessions own never overlap,
 * a reused slot comes back zeroed as far as its class holds, the last
 * released first, the cap counts both, and the other class really is
 * smaller (what it is for).
 */
static void
test_slot_classes(void **state)
{
    (void)state;
    enum { N = 9000 }; /* more than a chunk of each class */
    struct rs_flow_table *t = rs_flow_table_new(2 * N, 3);
    static uint32_t idx[2 * N];
    for (uint32_t i = 0; i < 2 * N; i++) {
        int tcp = (i % 3) != 0;
        idx[i] = rs_flow_alloc(t, i * 2654435761u, tcp);
        assert_int_not_equal(idx[i], RS_NIL);
        struct rs_flow *f = rs_flow_at(t, idx[i]);
        assert_true(f->in_use);
        f->proto = tcp ? 6 : 17;
        size_t n = tcp ? sizeof *f : RS_FLOW_OTHER_SIZE;
        uint32_t hash = f->hash;
        memset(&f->id, (int)(i & 0x7f) | 0x80, n - offsetof(struct rs_flow, id));
        f->hash = hash;
        f->wtick = -1;
    }
    assert_int_equal(rs_flow_alloc(t, 1, 0), RS_NIL); /* the cap counts both classes */
    assert_int_equal(rs_flow_alloc(t, 1, 1), RS_NIL);
    for (uint32_t i = 0; i < 2 * N; i++) {
        const struct rs_flow *f = rs_flow_at(t, idx[i]);
        size_t n = f->proto == 6 ? sizeof *f : RS_FLOW_OTHER_SIZE;
        const uint8_t *b = (const uint8_t *)f;
        for (size_t o = offsetof(struct rs_flow, id); o < n; o++)
            if (!table_field(o) && b[o] != ((i & 0x7f) | 0x80))
                fail_msg("session %u byte %zu was written by another session", i, o);
    }
#if !defined(__SANITIZE_ADDRESS__)
    /* consecutive non-TCP slots are 512 bytes apart, TCP ones a whole flow */
    assert_int_equal((const char *)rs_flow_at(t, idx[3]) - (const char *)rs_flow_at(t, idx[0]),
                     512);
    assert_int_equal((const char *)rs_flow_at(t, idx[2]) - (const char *)rs_flow_at(t, idx[1]),
                     (long)sizeof(struct rs_flow));
#endif
    /* released and taken again: zeroed as far as the class holds */
    rs_flow_release(t, idx[0]);
    rs_flow_release(t, idx[1]);
    uint32_t u = rs_flow_alloc(t, 7, 0), c = rs_flow_alloc(t, 8, 1);
    assert_int_equal(u, idx[0]); /* each class reuses its own slots */
    assert_int_equal(c, idx[1]);
    const uint8_t *bu = (const uint8_t *)rs_flow_at(t, u), *bc = (const uint8_t *)rs_flow_at(t, c);
    for (size_t o = offsetof(struct rs_flow, id); o < RS_FLOW_OTHER_SIZE; o++)
        if (!table_field(o))
            assert_int_equal(bu[o], 0);
    for (size_t o = offsetof(struct rs_flow, id); o < sizeof(struct rs_flow); o++)
        if (!table_field(o))
            assert_int_equal(bc[o], 0);
    assert_int_equal(rs_flow_at(t, c)->tcp[1].state, 0);
    assert_null(rs_flow_at(t, c)->diag.ext);
    /* the slot released last is taken first (its lines are in the cache) */
    rs_flow_release(t, idx[3]);
    rs_flow_release(t, idx[6]);
    rs_flow_release(t, idx[4]);
    assert_int_equal(rs_flow_alloc(t, 9, 0), idx[6]);
    assert_int_equal(rs_flow_alloc(t, 10, 0), idx[3]);
    assert_int_equal(rs_flow_alloc(t, 11, 1), idx[4]);
    rs_flow_table_free(t);
}

struct due_log {
    struct rs_flow_table *t;
    uint32_t fired[16];
    int n;
};

static int
on_due(void *ctx, uint32_t idx)
{
    struct due_log *l = ctx;
    l->fired[l->n++] = idx;
    rs_flow_release(l->t, idx);
    return 1;
}

#define S(x) ((rs_time_ns)(x)*RS_NS_PER_SEC)

static void
test_wheel(void **state)
{
    (void)state;
    struct due_log log = {0};
    struct rs_flow_table *t = rs_flow_table_new(100, 3);
    log.t = t;
    struct rs_addr s = v4(1, 1, 1, 1), d = v4(2, 2, 2, 2);
    rs_flow_advance(t, S(1000), on_due, &log);
    uint32_t a = add(t, s, 1, d, 2), b = add(t, s, 2, d, 2), c = add(t, s, 3, d, 2);
    rs_flow_at(t, a)->due = S(1005);
    rs_flow_at(t, b)->due = S(1002);
    rs_flow_at(t, c)->due = S(1000) + S(5000); /* beyond one wheel turn */
    rs_flow_schedule(t, a);
    rs_flow_schedule(t, b);
    rs_flow_schedule(t, c);
    rs_flow_advance(t, S(1001), on_due, &log);
    assert_int_equal(log.n, 0);
    rs_flow_advance(t, S(1003), on_due, &log);
    assert_int_equal(log.n, 1);
    assert_int_equal(log.fired[0], b);
    /* A due time moved later is honoured lazily: not fired early. */
    rs_flow_at(t, a)->due = S(1010);
    rs_flow_schedule(t, a);
    rs_flow_advance(t, S(1006), on_due, &log);
    assert_int_equal(log.n, 1);
    /* ... and moved earlier is relinked at once. */
    rs_flow_at(t, a)->due = S(1007);
    rs_flow_schedule(t, a);
    rs_flow_advance(t, S(1008), on_due, &log);
    assert_int_equal(log.n, 2);
    assert_int_equal(log.fired[1], a);
    /* Far future flow survives a long jump below its time, fires after. */
    rs_flow_advance(t, S(4000), on_due, &log);
    assert_int_equal(log.n, 2);
    rs_flow_advance(t, S(7000), on_due, &log);
    assert_int_equal(log.n, 3);
    assert_int_equal(log.fired[2], c);
    assert_int_equal(rs_flow_count(t), 0);
    rs_flow_table_free(t);
}

/*
 * Tick edges (RS_FLOW_TICK_NS): a flow due exactly where a tick starts
 * fires at that instant and not a nanosecond before; times before 0 (where
 * ticks clamp to 0) fire once time reaches their tick; a due time moved
 * to exactly the start of the tick it is linked at stays linked there and
 * still fires on time, and one moved a nanosecond earlier is relinked.
 */
static void
test_wheel_edges(void **state)
{
    (void)state;
    const rs_time_ns tick = RS_FLOW_TICK_NS;
    struct due_log log = {0};
    struct rs_flow_table *t = rs_flow_table_new(100, 3);
    log.t = t;
    struct rs_addr s = v4(1, 1, 1, 1), d = v4(2, 2, 2, 2);
    rs_flow_advance(t, S(1000), on_due, &log);
    uint32_t a = add(t, s, 1, d, 2);
    rs_flow_at(t, a)->due = S(1002);
    rs_flow_schedule(t, a);
    rs_flow_advance(t, S(1002) - tick, on_due, &log);
    rs_flow_advance(t, S(1002) - 1, on_due, &log);
    assert_int_equal(log.n, 0);
    rs_flow_advance(t, S(1002), on_due, &log);
    assert_int_equal(log.n, 1);
    assert_int_equal(log.fired[0], a);

    /* Linked at the tick of S(1003) + tick / 2; moved to that tick's start. */
    uint32_t b = add(t, s, 2, d, 2);
    rs_flow_at(t, b)->due = S(1003) + tick / 2;
    rs_flow_schedule(t, b);
    rs_flow_at(t, b)->due = S(1003);
    rs_flow_schedule(t, b);
    rs_flow_advance(t, S(1003) - 1, on_due, &log);
    assert_int_equal(log.n, 1);
    rs_flow_advance(t, S(1003), on_due, &log);
    assert_int_equal(log.n, 2);
    assert_int_equal(log.fired[1], b);
    /* Moved to the last nanosecond of the tick before: relinked there. */
    uint32_t e = add(t, s, 4, d, 2);
    rs_flow_at(t, e)->due = S(1004) + tick / 2;
    rs_flow_schedule(t, e);
    rs_flow_at(t, e)->due = S(1004) - 1;
    rs_flow_schedule(t, e);
    rs_flow_advance(t, S(1004) - 1, on_due, &log);
    assert_int_equal(log.n, 3);
    assert_int_equal(log.fired[2], e);
    assert_int_equal(rs_flow_count(t), 0);
    rs_flow_table_free(t);

    /* Before the epoch. */
    log = (struct due_log){0};
    t = rs_flow_table_new(100, 3);
    log.t = t;
    rs_flow_advance(t, -S(3), on_due, &log);
    uint32_t c = add(t, s, 3, d, 2);
    rs_flow_at(t, c)->due = -S(1);
    rs_flow_schedule(t, c);
    rs_flow_advance(t, -S(1) / 2, on_due, &log);
    rs_flow_advance(t, tick - 1, on_due, &log);
    assert_int_equal(log.n, 0); /* tick 0 was processed at -3 s */
    rs_flow_advance(t, tick, on_due, &log);
    assert_int_equal(log.n, 1);
    assert_int_equal(log.fired[0], c);
    rs_flow_table_free(t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_symmetric_hash_and_find),
        cmocka_unit_test(test_hash_spreads),
        cmocka_unit_test(test_growth_and_release),
        cmocka_unit_test(test_cap),
        cmocka_unit_test(test_slot_classes),
        cmocka_unit_test(test_wheel),
        cmocka_unit_test(test_wheel_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
