/*
 * session_harness.h - drives whole sessions made by the project's packet
 * writer (rs_craft) through the pipeline (decode -> engine -> records), for
 * the tests of the verdicts. Header-only; include after <cmocka.h>.
 */
#ifndef RS_TESTS_SESSION_HARNESS_H
#define RS_TESTS_SESSION_HARNESS_H

#include <stdint.h>
#include <string.h>

#include <rstscope/craft.h>
#include <rstscope/engine.h>

#define C RS_CRAFT_CLIENT
#define S RS_CRAFT_SERVER
#define SYN RS_TCP_SYN
#define ACK RS_TCP_ACK
#define FIN RS_TCP_FIN
#define RST RS_TCP_RST
#define PSH RS_TCP_PSH

struct t {
    struct rs_engine *e;
    struct rs_craft_flow f;
    struct rs_record rec[16];
    int n;
    uint8_t buf[RS_CRAFT_MAX_FRAME];
};

/* Payload bytes for segments: "abc...zabc...". */
static uint8_t data[8192];

static inline void
on_rec(const struct rs_record *r, void *user)
{
    struct t *t = user;
    if (t->n < 16)
        t->rec[t->n++] = *r;
}

/* A fresh engine of `profile` and a flow client:cport -> server:sport. */
static inline void
t_start(struct t *t, enum rs_profile profile, int verify, const char *client, uint16_t cport,
        const char *server, uint16_t sport)
{
    memset(t, 0, sizeof *t);
    struct rs_engine_config cfg;
    rs_engine_config_default(&cfg, profile);
    cfg.hash_seed = 1;
    cfg.decode.verify_checksums = verify;
    t->e = rs_engine_new(&cfg, on_rec, t, NULL);
    assert_non_null(t->e);
    assert_int_equal(rs_craft_flow_init(&t->f, client, cport, server, sport,
                                        (rs_time_ns)1700000000 * RS_NS_PER_SEC),
                     0);
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)('a' + i % 26);
}

static inline void
seg(struct t *t, int dir, const struct rs_craft_seg *s)
{
    struct rs_packet p;
    assert_true(rs_craft_flow_build(&t->f, dir, s, t->buf, sizeof t->buf, &p) > 0);
    rs_engine_packet(t->e, &p);
}

/* A segment as the side's stack would send it, dt_us after the previous one. */
static inline void
send(struct t *t, int dir, uint16_t flags, size_t len, int64_t dt_us)
{
    struct rs_craft_seg s = {0};
    s.flags = flags;
    s.payload = len ? data : NULL;
    s.len = len;
    s.dt_us = dt_us;
    seg(t, dir, &s);
}

/* Ends the input and frees the engine; the records are in t->rec. */
static inline void
finish(struct t *t)
{
    rs_engine_finish(t->e);
    rs_engine_free(t->e);
    t->e = NULL;
}

#endif
