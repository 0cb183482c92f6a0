/*
 * test_engine.c - the engine's record order and session numbering: the
 * sessions whose timers run out in one advance end in creation order
 * (whatever order their timers were last moved in), ids and start_index
 * come from the frame that began the session (a tunnel's inner session
 * one more), uids from the id and the seed, and rs_engine_set_index puts a
 * frame at a position of the whole input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rstscope/craft.h>
#include <rstscope/engine.h>
#include <rstscope/record.h>

#include "verdict/engine_int.h"

static const rs_time_ns T0 = INT64_C(1767225600) * RS_NS_PER_SEC;

struct recs {
    struct rs_record r[32];
    size_t n;
};

static void
on_rec(const struct rs_record *r, void *user)
{
    struct recs *v = user;
    assert_true(v->n < 32);
    v->r[v->n++] = *r;
}

static struct rs_engine *
engine(struct recs *out, uint64_t seed)
{
    struct rs_engine_config cfg;
    rs_engine_config_default(&cfg, RS_PROFILE_PANOS);
    cfg.hash_seed = seed;
    cfg.timeouts.udp = 10 * RS_NS_PER_SEC;
    memset(out, 0, sizeof *out);
    struct rs_engine *e = rs_engine_new(&cfg, on_rec, out, NULL);
    assert_non_null(e);
    return e;
}

/* One UDP datagram from 10.0.0.<client>:4000 to 192.0.2.9:53 at T0 + ms. */
static void
udp(struct rs_engine *e, int client, int64_t ms)
{
    static uint8_t buf[RS_CRAFT_MAX_FRAME];
    static const uint8_t payload[16] = {1, 2, 3};
    char cli[32];
    snprintf(cli, sizeof cli, "10.0.0.%d", client);
    struct rs_craft_flow fl;
    rs_time_ns ts = T0 + ms * 1000000;
    assert_int_equal(rs_craft_flow_init(&fl, cli, 4000, "192.0.2.9", 53, ts), 0);
    struct rs_craft_udp u;
    memset(&u, 0, sizeof u);
    u.ip = fl.ip;
    u.sport = 4000;
    u.dport = 53;
    u.payload = payload;
    u.payload_len = sizeof payload;
    size_t n = rs_craft_udp(&u, buf, sizeof buf);
    assert_true(n > 0);
    struct rs_packet p = {ts, (uint32_t)n, (uint32_t)n, RS_LINK_ETHERNET, 0, buf};
    rs_engine_packet(e, &p);
}

/* A SYN from 10.0.0.<client>:5000 to 192.0.2.9:80 at T0 + ms (nothing answers). */
static void
syn(struct rs_engine *e, int client, int64_t ms)
{
    static uint8_t buf[RS_CRAFT_MAX_FRAME];
    char cli[32];
    snprintf(cli, sizeof cli, "10.0.0.%d", client);
    struct rs_craft_flow fl;
    assert_int_equal(rs_craft_flow_init(&fl, cli, 5000, "192.0.2.9", 80, T0 + ms * 1000000), 0);
    struct rs_craft_seg seg = {.flags = RS_TCP_SYN};
    struct rs_packet p;
    assert_true(rs_craft_flow_build(&fl, RS_CRAFT_CLIENT, &seg, buf, sizeof buf, &p) > 0);
    rs_engine_packet(e, &p);
}

/*
 * Three UDP sessions (10 s timers) begin at 0, 1 and 2 s, then two TCP
 * SYNs nothing answers (PAN-OS tcp-init, 5 s) at 3 and 4 s: the wheel
 * holds the SYNs' timers first (8 and 9 s), the datagrams' after (10-12
 * s). A frame at 60 s runs them all out at once: the records come in the
 * order the sessions were made, 1 to 5.
 */
static void
test_timers_end_in_creation_order(void **state)
{
    (void)state;
    struct recs out;
    struct rs_engine *e = engine(&out, 5);
    udp(e, 1, 0);
    udp(e, 2, 1000);
    udp(e, 3, 2000);
    syn(e, 4, 3000);
    syn(e, 5, 4000);
    udp(e, 1, 5000); /* a timer moved */
    assert_int_equal(out.n, 0);
    udp(e, 6, 60000);
    assert_int_equal(out.n, 5);
    for (int i = 0; i < 5; i++) {
        const struct rs_record *r = &out.r[i];
        assert_int_equal(r->end_reason, RS_END_AGED_OUT);
        assert_int_equal(r->client.b[15], i + 1);
        assert_int_equal(r->proto, i < 3 ? 17 : 6);
        assert_int_equal(r->start_index, i + 1);
        assert_int_equal(r->id, (uint64_t)(i + 1) * RS_ID_PER_FRAME);
    }
    assert_int_equal(out.r[0].client_pkts, 2);
    rs_engine_finish(e);
    assert_int_equal(out.n, 6);
    assert_int_equal(out.r[5].start_index, 7);
    assert_int_equal(out.r[5].id, 7 * RS_ID_PER_FRAME);
    rs_engine_free(e);
}

/* The end of the capture: every open session, in creation order. */
static void
test_finish_in_creation_order(void **state)
{
    (void)state;
    struct recs out;
    struct rs_engine *e = engine(&out, 5);
    for (int i = 1; i <= 5; i++)
        udp(e, i, i);
    for (int i = 5; i >= 1; i--)
        udp(e, i, 100 - i); /* every session moved, the last made first */
    rs_engine_finish(e);
    assert_int_equal(out.n, 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(out.r[i].client.b[15], i + 1);
        assert_int_equal(out.r[i].start_index, i + 1);
    }
    rs_engine_free(e);
}

/*
 * An engine fed only frames 5 and 9 of an input, told where they are,
 * numbers its sessions as the engine fed the whole input does: ids and
 * uids are those of the frames that began them. Without the positions it
 * counts the frames it is fed.
 */
static void
test_set_index(void **state)
{
    (void)state;
    struct recs all, part, plain;
    struct rs_engine *e = engine(&all, 11);
    for (int i = 1; i <= 10; i++)
        udp(e, i, i);
    rs_engine_finish(e);
    rs_engine_free(e);
    assert_int_equal(all.n, 10);

    e = engine(&part, 11);
    rs_engine_set_index(e, 5);
    udp(e, 5, 5);
    rs_engine_set_index(e, 9);
    udp(e, 9, 9);
    rs_engine_finish(e);
    rs_engine_free(e);
    assert_int_equal(part.n, 2);
    assert_memory_equal(&part.r[0], &all.r[4], sizeof part.r[0]);
    assert_memory_equal(&part.r[1], &all.r[8], sizeof part.r[1]);

    e = engine(&plain, 11);
    udp(e, 5, 5);
    udp(e, 9, 9);
    rs_engine_finish(e);
    rs_engine_free(e);
    assert_int_equal(plain.r[1].start_index, 2);
    assert_int_equal(plain.r[1].id, 2 * RS_ID_PER_FRAME);
    assert_string_equal(plain.r[0].uid, all.r[0].uid); /* the uid is the id's and the seed's */
    assert_string_not_equal(plain.r[1].uid, all.r[8].uid);

    /* Another seed, other uids for the same ids. */
    struct recs other;
    e = engine(&other, 12);
    udp(e, 1, 1);
    rs_engine_finish(e);
    rs_engine_free(e);
    assert_int_equal(other.r[0].id, all.r[0].id);
    assert_string_not_equal(other.r[0].uid, all.r[0].uid);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timers_end_in_creation_order),
        cmocka_unit_test(test_finish_in_creation_order),
        cmocka_unit_test(test_set_index),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
