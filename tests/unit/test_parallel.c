/*
 * test_parallel.c - the threaded pipeline against one engine.
 *
 * Sessions are crafted in memory (many interleaved TCP conversations ending
 * by FIN, client and server resets, refused ports, silence; DNS over UDP;
 * a tunnelled frame) and fed to one engine and to rs_parallel with 2, 3
 * and 4 workers. The same records must come out, ids and uids included (the
 * reset diagnosis aside, which may consult the per-worker host table), in
 * one engine's order, and the statistics must add up.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rstscope/capture.h>
#include <rstscope/craft.h>
#include <rstscope/engine.h>
#include <rstscope/output.h>
#include <rstscope/parallel.h>

#include "capture/capture_int.h"
#include "corpus_walk.h"
#include "tools/capbuf.h"
#include "verdict/engine_int.h"
#include "verdict/parallel_int.h"

/* ---- a capture in memory ---- */

struct frame {
    struct rs_packet p;
    uint8_t *data;
};

struct cap {
    struct frame *f;
    size_t n, cap;
};

static void
add(struct cap *c, const struct rs_packet *p)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 256;
        c->f = realloc(c->f, c->cap * sizeof *c->f);
        assert_non_null(c->f);
    }
    struct frame *f = &c->f[c->n++];
    f->p = *p;
    f->data = malloc(p->caplen ? p->caplen : 1);
    assert_non_null(f->data);
    memcpy(f->data, p->data, p->caplen);
    f->p.data = f->data;
    f->p.number = c->n;
}

static uint64_t rng = 88172645463325252ull;

static unsigned
rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

/* Sessions of every ending, interleaved; time in microseconds from t0. */
static void
build(struct cap *c)
{
    enum { NS = 300 };
    struct rs_craft_flow fl[NS];
    int kind[NS], step[NS];
    uint8_t buf[RS_CRAFT_MAX_FRAME];
    static const uint8_t data[1200] = {1};
    rs_time_ns t = INT64_C(1767225600) * RS_NS_PER_SEC;
    for (int i = 0; i < NS; i++) {
        char cli[32], srv[32];
        snprintf(cli, sizeof cli, "10.1.%d.%d", i / 200, i % 200 + 1);
        snprintf(srv, sizeof srv, "192.0.2.%d", i % 7 + 1);
        rs_craft_flow_init(&fl[i], cli, (uint16_t)(40000 + i), srv, i % 5 == 4 ? 53 : 80, t);
        kind[i] = i % 5;
        step[i] = 0;
    }
    int live = NS;
    while (live > 0) {
        int i = (int)rnd(NS);
        if (step[i] < 0)
            continue;
        t += (rs_time_ns)(rnd(300000) + 1) * 1000; /* up to 0.3 s: ticks pass */
        fl[i].now = t;
        struct rs_craft_seg seg;
        memset(&seg, 0, sizeof seg);
        int dir = RS_CRAFT_CLIENT, end = 0;
        int s = step[i]++;
        switch (kind[i]) {
        case 4: /* DNS-like UDP: query, answer */
            if (s == 0 || s == 1) {
                struct rs_craft_udp u;
                memset(&u, 0, sizeof u);
                u.ip = fl[i].ip;
                if (s == 1) {
                    u.ip.src = fl[i].ip.dst;
                    u.ip.dst = fl[i].ip.src;
                }
                u.sport = s ? 53 : fl[i].port[0];
                u.dport = s ? fl[i].port[0] : 53;
                u.payload = data;
                u.payload_len = 40;
                size_t n = rs_craft_udp(&u, buf, sizeof buf);
                struct rs_packet p = {t, (uint32_t)n, (uint32_t)n, 1, 0, buf};
                add(c, &p);
            }
            end = s >= 1;
            break;
        case 3: /* refused */
            seg.flags = s == 0 ? RS_TCP_SYN : RS_TCP_RST | RS_TCP_ACK;
            dir = s == 0 ? RS_CRAFT_CLIENT : RS_CRAFT_SERVER;
            end = s >= 1;
            break;
        default: { /* handshake, data, then FIN / client RST / server RST */
            static const uint16_t hs[3] = {RS_TCP_SYN, RS_TCP_SYN | RS_TCP_ACK, RS_TCP_ACK};
            if (s < 3) {
                seg.flags = hs[s];
                dir = s == 1 ? RS_CRAFT_SERVER : RS_CRAFT_CLIENT;
            } else if (s < 9) {
                seg.flags = RS_TCP_PSH | RS_TCP_ACK;
                seg.payload = data;
                seg.len = 100 + (size_t)rnd(1000);
                dir = s % 2 ? RS_CRAFT_CLIENT : RS_CRAFT_SERVER;
            } else if (kind[i] == 0) {
                seg.flags = RS_TCP_FIN | RS_TCP_ACK;
                dir = s == 9 ? RS_CRAFT_CLIENT : RS_CRAFT_SERVER;
                end = s >= 10;
            } else {
                seg.flags = RS_TCP_RST | RS_TCP_ACK;
                dir = kind[i] == 1 ? RS_CRAFT_CLIENT : RS_CRAFT_SERVER;
                end = 1;
            }
        }
        }
        if (kind[i] != 4) {
            struct rs_packet p;
            assert_true(rs_craft_flow_build(&fl[i], dir, &seg, buf, sizeof buf, &p) > 0);
            add(c, &p);
        }
        if (end) {
            step[i] = -1;
            live--;
        }
    }
    /* Two frames out of time order, and a frame that is not IP. */
    struct rs_packet late = c->f[c->n / 2].p;
    late.ts -= RS_NS_PER_SEC;
    add(c, &late);
    uint8_t arp[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5, 6, 0x08, 0x06};
    struct rs_packet a = {t, sizeof arp, sizeof arp, 1, 0, arp};
    add(c, &a);
}

static void
free_cap(struct cap *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->f[i].data);
    free(c->f);
}

/* ---- collecting records ---- */

struct recs {
    struct rs_record *r;
    size_t n, cap;
};

static void
on_rec(const struct rs_record *r, void *user)
{
    struct recs *v = user;
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 256;
        v->r = realloc(v->r, v->cap * sizeof *v->r);
        assert_non_null(v->r);
    }
    v->r[v->n] = *r;
    /* Per worker by design: what the host table feeds. Ids, uids and
     * tunnel parents (uids) are the frame's that began the session. */
    /* The host table (a server's hop distance and RTT from its other
     * sessions) is per worker: causes that compare with it may differ, and
     * the explanation and hint of a reset with them. Other sessions'
     * explanations are compared whole (they cross threads packed). */
    if (r->rst_cause[0] || r->rst_by) {
        memset(v->r[v->n].rst_cause, 0, sizeof v->r[v->n].rst_cause);
        v->r[v->n].rst_confidence = RS_CONF_NONE;
        v->r[v->n].rst_flags = 0;
        memset(v->r[v->n].explanation, 0, sizeof v->r[v->n].explanation);
        memset(v->r[v->n].hint, 0, sizeof v->r[v->n].hint);
    } else {
        assert_true(r->explanation[0] || r->end_reason == RS_END_OPEN);
    }
    v->n++;
}

/* Short timers: most sessions time out while frames still come, in every
 * engine, the calling thread's own included. */
static int short_timers;

static void
config(struct rs_engine_config *cfg)
{
    rs_engine_config_default(cfg, RS_PROFILE_PANOS);
    cfg->hash_seed = 7;
    if (short_timers) {
        struct rs_timeouts *t = &cfg->timeouts;
        t->tcp_established = t->tcp_half_closed = t->udp = t->other = RS_NS_PER_SEC;
        t->tcp_handshake = t->tcp_init = RS_NS_PER_SEC / 2;
        t->tcp_time_wait = RS_NS_PER_SEC / 4;
    }
}

static void
run(const struct cap *c, unsigned threads, struct recs *out, struct rs_engine_stats *st)
{
    struct rs_engine_config cfg;
    config(&cfg);
    struct rs_error err;
    memset(out, 0, sizeof *out);
    if (threads == 0) {
        struct rs_engine *e = rs_engine_new(&cfg, on_rec, out, &err);
        assert_non_null(e);
        for (size_t i = 0; i < c->n; i++)
            rs_engine_packet(e, &c->f[i].p);
        rs_engine_finish(e);
        rs_engine_stats(e, st);
        rs_engine_free(e);
        return;
    }
    struct rs_parallel *p = rs_parallel_new(&cfg, threads, on_rec, out, &err);
    assert_non_null(p);
    for (size_t i = 0; i < c->n; i++)
        rs_parallel_packet(p, &c->f[i].p);
    rs_parallel_finish(p);
    rs_parallel_stats(p, st);
    rs_parallel_free(p);
}

static void
test_same_records_any_worker_count(void **state)
{
    (void)state;
    struct cap c = {0};
    build(&c);
    struct recs one, many[3];
    struct rs_engine_stats s1, sn;
    run(&c, 0, &one, &s1);
    assert_true(one.n > 250);
    for (unsigned t = 2; t <= 4; t++) {
        struct recs *m = &many[t - 2];
        run(&c, t, m, &sn);
        assert_int_equal(m->n, one.n);
        assert_int_equal(sn.packets, s1.packets);
        assert_int_equal(sn.bytes, s1.bytes);
        assert_int_equal(sn.sessions, s1.sessions);
        assert_int_equal(sn.records, s1.records);
        assert_int_equal(sn.reordered, s1.reordered);
        assert_int_equal(sn.first_ts, s1.first_ts);
        assert_int_equal(sn.last_ts, s1.last_ts);
        for (int d = 0; d < RS_DEC__COUNT; d++)
            assert_int_equal(sn.decode[d], s1.decode[d]);
        /* One engine's records in one engine's order. */
        for (size_t i = 0; i < one.n; i++)
            assert_memory_equal(&m->r[i], &one.r[i], sizeof one.r[i]);
    }
    for (int t = 0; t < 3; t++)
        free(many[t].r);
    free(one.r);
    free_cap(&c);
}

/* The records of the input on `threads` threads: one engine's, in order. */
static void
same_as_engine(const struct cap *c, unsigned threads, const struct recs *one,
               const struct rs_engine_stats *s1, struct recs *m)
{
    struct rs_engine_stats sn;
    run(c, threads, m, &sn);
    assert_int_equal(m->n, one->n);
    assert_int_equal(sn.packets, s1->packets);
    assert_int_equal(sn.sessions, s1->sessions);
    assert_int_equal(sn.records, s1->records);
    for (size_t i = 0; i < m->n; i++)
        assert_memory_equal(&m->r[i], &one->r[i], sizeof m->r[i]);
}

/*
 * Sessions timing out while frames still come (1 s timers, up to 0.3 s
 * between frames): in every shard, the calling thread's own engine (alone
 * with 1 thread, a share of the buckets with more) and the workers', the
 * records are one engine's, in one order whatever the thread count.
 */
static void
test_timeouts_in_every_shard(void **state)
{
    (void)state;
    short_timers = 1;
    struct cap c = {0};
    build(&c);
    struct recs one, many[4];
    struct rs_engine_stats s1;
    run(&c, 0, &one, &s1);
    size_t aged = 0;
    for (size_t i = 0; i < one.n; i++)
        aged += one.r[i].end_reason == RS_END_AGED_OUT;
    assert_true(aged > 100);
    for (unsigned t = 1; t <= 4; t++)
        same_as_engine(&c, t, &one, &s1, &many[t - 1]);
    for (int t = 0; t < 4; t++)
        free(many[t].r);
    free(one.r);
    free_cap(&c);
    short_timers = 0;
}

/* The input as a classic pcap file (microsecond times). */
static void
write_pcap(const struct cap *c, const char *path)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    uint32_t gh[6] = {0xa1b2c3d4, 2 | 4u << 16, 0, 0, 65535, 1};
    assert_int_equal(fwrite(gh, sizeof gh, 1, fp), 1);
    for (size_t i = 0; i < c->n; i++) {
        const struct rs_packet *p = &c->f[i].p;
        uint32_t rh[4] = {(uint32_t)(p->ts / RS_NS_PER_SEC),
                          (uint32_t)(p->ts % RS_NS_PER_SEC / 1000), p->caplen, p->len};
        assert_int_equal(fwrite(rh, sizeof rh, 1, fp), 1);
        assert_int_equal(fwrite(p->data, 1, p->caplen, fp), p->caplen);
    }
    assert_int_equal(fclose(fp), 0);
}

/* The input as a pcapng file (one Ethernet interface, nanosecond times). */
static void
write_pcapng(const struct cap *c, const char *path)
{
    struct capbuf b = {0};
    cb_ng_shb(&b);
    cb_ng_idb(&b, 1, 65535);
    for (size_t i = 0; i < c->n; i++)
        cb_ng_epb(&b, 0, &c->f[i].p);
    assert_int_equal(cb_write_file(&b, path, b.len), 0);
    cb_free(&b);
}

/* As a classic pcap (ng 0) or pcapng (1). */
static void
write_as(const struct cap *c, const char *path, int ng)
{
    if (ng)
        write_pcapng(c, path);
    else
        write_pcap(c, path);
}

static void
count_tick(void *ctx)
{
    (*(uint64_t *)ctx)++;
}

/* rs_parallel_feed (with the lookahead of the calling thread's engine)
 * gives exactly the records of a rs_parallel_packet loop, and ticks once
 * per frame. */
static void
test_feed_matches_packet_loop(void **state)
{
    (void)state;
    short_timers = 1;
    struct cap c = {0};
    build(&c);
    char path[] = "/tmp/rstscope-test-parallel-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    write_pcap(&c, path);
    for (unsigned t = 1; t <= 3; t++) {
        struct rs_engine_config cfg;
        config(&cfg);
        struct rs_error err;
        struct recs loop = {0}, fed = {0};
        const char *paths[1] = {path};
        struct rs_capture *cap = rs_capture_open(paths, 1, NULL, &err);
        assert_non_null(cap);
        struct rs_parallel *p = rs_parallel_new(&cfg, t, on_rec, &loop, &err);
        assert_non_null(p);
        struct rs_packet pkt;
        uint64_t frames = 0;
        while (rs_capture_next(cap, &pkt) == RS_CAPTURE_PACKET) {
            rs_parallel_packet(p, &pkt);
            frames++;
        }
        rs_parallel_finish(p);
        rs_parallel_free(p);
        rs_capture_close(cap);
        assert_int_equal(frames, c.n);

        cap = rs_capture_open(paths, 1, NULL, &err);
        assert_non_null(cap);
        p = rs_parallel_new(&cfg, t, on_rec, &fed, &err);
        assert_non_null(p);
        uint64_t ticks = 0;
        assert_int_equal(rs_capture_next(cap, &pkt), RS_CAPTURE_PACKET);
        assert_int_equal(rs_parallel_feed(p, cap, &pkt, count_tick, &ticks), frames);
        assert_int_equal(ticks, frames);
        assert_int_equal(rs_parallel_feed(p, cap, NULL, NULL, NULL), 0); /* nothing left */
        rs_parallel_finish(p);
        rs_parallel_free(p);
        rs_capture_close(cap);

        assert_true(loop.n > 250);
        assert_int_equal(fed.n, loop.n);
        for (size_t i = 0; i < loop.n; i++)
            assert_memory_equal(&fed.r[i], &loop.r[i], sizeof loop.r[i]);
        free(loop.r);
        free(fed.r);
    }
    unlink(path);
    free_cap(&c);
    short_timers = 0;
}

/* ---- records formatted in the workers (rs_parallel_set_format) ---- */

struct fmt_run {
    struct rs_writer *mw[4]; /* one memory writer per worker */
    unsigned used_mask;      /* bit per worker index that formatted */
    pthread_mutex_t mu;
    int drop_udp;
    /* the bytes in delivery order */
    char *buf;
    size_t len, cap;
    struct rs_writer *direct; /* formats delivered records (the other run) */
};

static void
append(struct fmt_run *f, const char *b, size_t n)
{
    if (f->len + n > f->cap) {
        f->cap = (f->len + n) * 2;
        f->buf = realloc(f->buf, f->cap);
        assert_non_null(f->buf);
    }
    memcpy(f->buf + f->len, b, n);
    f->len += n;
}

static size_t
fmt_cb(const struct rs_record *r, unsigned worker, char *out, size_t cap, void *user)
{
    struct fmt_run *f = user;
    if (worker >= 4)
        return 0;
    pthread_mutex_lock(&f->mu);
    f->used_mask |= 1u << worker;
    pthread_mutex_unlock(&f->mu);
    if (f->drop_udp && r->proto == 17)
        return 0;
    const char *b;
    size_t n;
    if (rs_writer_format(f->mw[worker], r, &b, &n) != 0 || n > cap)
        return 0;
    memcpy(out, b, n);
    return n;
}

/* Does buf hold s? */
static int
holds(const char *buf, size_t len, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(buf + i, s, n) == 0)
            return 1;
    return 0;
}

static void
bytes_cb(const char *b, size_t n, void *user)
{
    append(user, b, n);
}

/* The other run: records delivered, then formatted in the calling thread. */
static void
rec_then_fmt(const struct rs_record *r, void *user)
{
    struct fmt_run *f = user;
    if (f->drop_udp && r->proto == 17)
        return;
    const char *b;
    size_t n;
    assert_int_equal(rs_writer_format(f->direct, r, &b, &n), 0);
    append(f, b, n);
}

/*
 * With the records formatted in the threads that end the sessions, the
 * bytes come out in the order and with the contents the calling thread's
 * own formatting of the delivered records gives, dropped records (format
 * returns 0) leave nothing, and every worker formats its own.
 */
static void
test_formatted_in_workers(void **state)
{
    (void)state;
    short_timers = 1;
    struct cap c = {0};
    build(&c);
    for (unsigned t = 2; t <= 4; t++) {
        for (int drop = 0; drop < 2; drop++) {
            struct rs_engine_config cfg;
            config(&cfg);
            struct rs_error err;
            struct fmt_run a = {0}, b = {0};
            a.drop_udp = b.drop_udp = drop;
            pthread_mutex_init(&a.mu, NULL);
            for (unsigned i = 0; i < t; i++) {
                a.mw[i] = rs_writer_open_mem(RS_FMT_JSONL, NULL, &err);
                assert_non_null(a.mw[i]);
            }
            b.direct = rs_writer_open_mem(RS_FMT_JSONL, NULL, &err);
            assert_non_null(b.direct);

            struct rs_parallel *p = rs_parallel_new(&cfg, t, NULL, NULL, &err);
            assert_non_null(p);
            assert_int_equal(rs_parallel_set_format(p, fmt_cb, bytes_cb, &a), 0);
            for (size_t i = 0; i < c.n; i++)
                rs_parallel_packet(p, &c.f[i].p);
            /* Too late once frames went in. */
            assert_int_equal(rs_parallel_set_format(p, fmt_cb, bytes_cb, &a), RS_ERR_USAGE);
            rs_parallel_finish(p);
            rs_parallel_free(p);

            p = rs_parallel_new(&cfg, t, rec_then_fmt, &b, &err);
            assert_non_null(p);
            for (size_t i = 0; i < c.n; i++)
                rs_parallel_packet(p, &c.f[i].p);
            rs_parallel_finish(p);
            rs_parallel_free(p);

            assert_true(b.len > 250 * 300);
            assert_int_equal(a.len, b.len);
            assert_memory_equal(a.buf, b.buf, a.len);
            assert_int_equal(a.used_mask, (1u << t) - 1); /* every worker formatted */
            assert_int_equal(holds(a.buf, a.len, "\"proto\":\"udp\""), !drop);
            for (unsigned i = 0; i < t; i++)
                rs_writer_close(a.mw[i], 0, NULL);
            rs_writer_close(b.direct, 0, NULL);
            pthread_mutex_destroy(&a.mu);
            free(a.buf);
            free(b.buf);
        }
    }
    free_cap(&c);
    short_timers = 0;
}

static void
test_bad_thread_counts_and_early_free(void **state)
{
    (void)state;
    struct rs_engine_config cfg;
    rs_engine_config_default(&cfg, RS_PROFILE_ZEEK);
    struct rs_error err;
    assert_null(rs_parallel_new(&cfg, 0, NULL, NULL, &err));
    assert_int_equal(err.code, RS_ERR_USAGE);
    assert_null(rs_parallel_new(&cfg, RS_PARALLEL_MAX_THREADS + 1, NULL, NULL, &err));
    /* Freed without finish, after a few packets: workers stop, nothing leaks. */
    struct cap c = {0};
    build(&c);
    struct recs r = {0};
    struct rs_parallel *p = rs_parallel_new(&cfg, 2, on_rec, &r, &err);
    assert_non_null(p);
    for (size_t i = 0; i < 100 && i < c.n; i++)
        rs_parallel_packet(p, &c.f[i].p);
    rs_parallel_free(p);
    free(r.r);
    free_cap(&c);
}

/* rs_engine_prefetch reads headers only within caplen: every prefix of
 * frames of each link type it knows, and random bytes (run under ASan). */
/*
 * The lookahead is a hint: whatever frame it is shown as the one
 * RS_ENGINE_LOOKAHEAD ahead (the right one, which it decodes for the
 * engine to use; the one before or after it; a copy of the right one
 * elsewhere in memory; a frame cut shorter; none), the records are those of
 * the engine fed without it. A decode used for a frame it was not made
 * from would show here.
 */
static void
test_lookahead_hint_only(void **state)
{
    (void)state;
    struct cap c = {0};
    build(&c);
    struct rs_engine_config cfg;
    config(&cfg);
    struct rs_error err;
    struct recs plain = {0};
    struct rs_engine *e = rs_engine_new(&cfg, on_rec, &plain, &err);
    assert_non_null(e);
    for (size_t i = 0; i < c.n; i++)
        rs_engine_packet(e, &c.f[i].p);
    rs_engine_finish(e);
    rs_engine_free(e);
    assert_true(plain.n > 250);
    for (int mode = 0; mode < 6; mode++) {
        struct recs hinted = {0};
        e = rs_engine_new(&cfg, on_rec, &hinted, &err);
        assert_non_null(e);
        size_t used = 0;
        for (size_t i = 0; i < c.n; i++) {
            size_t a = i + RS_ENGINE_LOOKAHEAD;
            struct rs_packet far;
            const struct rs_packet *hint = NULL;
            uint8_t copy[2048];
            if (mode == 1 && a - 1 < c.n)
                hint = &c.f[a - 1].p; /* one frame early */
            else if (mode == 2 && a + 1 < c.n)
                hint = &c.f[a + 1].p; /* one frame late */
            else if (a < c.n && mode != 5) {
                far = c.f[a].p;
                hint = &far;
                if (mode == 3 && far.caplen <= sizeof copy) {
                    memcpy(copy, far.data, far.caplen); /* the same bytes elsewhere */
                    far.data = copy;
                } else if (mode == 4 && far.caplen > 54) {
                    far.caplen = 54; /* cut to its headers */
                    far.len = 54;
                }
            }
            used += hint != NULL;
            rs_engine_lookahead_frame(e, hint);
            rs_engine_packet(e, &c.f[i].p);
        }
        rs_engine_finish(e);
        rs_engine_free(e);
        assert_true(mode == 5 || used > c.n / 2);
        assert_int_equal(hinted.n, plain.n);
        for (size_t i = 0; i < plain.n; i++)
            assert_memory_equal(&hinted.r[i], &plain.r[i], sizeof plain.r[i]);
        free(hinted.r);
    }
    free(plain.r);
    free_cap(&c);
}

static void
test_prefetch_hint_bounds(void **state)
{
    (void)state;
    struct rs_engine_config cfg;
    rs_engine_config_default(&cfg, RS_PROFILE_PANOS);
    struct rs_error err;
    struct rs_engine *e = rs_engine_new(&cfg, NULL, NULL, &err);
    assert_non_null(e);
    struct rs_craft_flow f;
    assert_int_equal(rs_craft_flow_init(&f, "10.0.0.1", 1000, "10.0.0.2", 80, 0), 0);
    struct rs_craft_flow f6;
    assert_int_equal(rs_craft_flow_init(&f6, "2001:db8::1", 1000, "2001:db8::2", 80, 0), 0);
    f6.ip.vlan = 7;
    uint8_t buf[RS_CRAFT_MAX_FRAME];
    struct rs_craft_seg seg;
    memset(&seg, 0, sizeof seg);
    seg.flags = RS_TCP_SYN;
    struct rs_craft_flow *fl[3] = {&f, &f6, &f};
    for (int k = 0; k < 3; k++) {
        if (k == 2)
            f.ip.link = RS_CRAFT_LINK_RAW;
        struct rs_packet p;
        size_t n = rs_craft_flow_build(fl[k], RS_CRAFT_CLIENT, &seg, buf, sizeof buf, &p);
        assert_true(n > 0);
        for (size_t cut = 0; cut <= n; cut++) {
            uint8_t *copy = malloc(cut ? cut : 1);
            assert_non_null(copy);
            memcpy(copy, buf, cut);
            struct rs_packet q = p;
            q.caplen = (uint32_t)cut;
            q.data = copy;
            rs_engine_prefetch(e, &q, 1);
            rs_engine_prefetch(e, &q, 2);
            free(copy);
        }
    }
    uint8_t junk[64];
    for (int i = 0; i < 2000; i++) {
        for (size_t j = 0; j < sizeof junk; j++)
            junk[j] = (uint8_t)rnd(256);
        struct rs_packet q = {
            0, (uint32_t)rnd(sizeof junk + 1), 60, (uint32_t)(i % 3 ? 1 : 101), 0, junk};
        rs_engine_prefetch(e, &q, (unsigned)(i % 2 + 1));
    }
    rs_engine_free(e);
}

/*
 * The end-of-capture flush handed over while it is made: 6,000 sessions
 * still open at the last frame (several output buffers and flush steps in
 * every engine, start times shared by up to four sessions across shards).
 * Whatever the number of threads, fed frame by frame (the workers' copies)
 * or read by each thread from the file (rs_parallel_feed: blocks shared, or
 * the file mapped by each), the records are
 * one engine's, in its order, the flush's: creation (start_index, here the
 * frame number, with start times shared by four sessions).
 */
static void
test_flush_streamed(void **state)
{
    (void)state;
    struct cap c = {0};
    uint8_t buf[RS_CRAFT_MAX_FRAME];
    static const uint8_t data[64] = {7};
    rs_time_ns t0 = INT64_C(1767225600) * RS_NS_PER_SEC;
    for (int i = 0; i < 6000; i++) {
        struct rs_craft_udp u;
        memset(&u, 0, sizeof u);
        char cli[32], srv[32];
        snprintf(cli, sizeof cli, "10.%d.%d.%d", i % 3, i / 250 % 250, i % 250 + 1);
        snprintf(srv, sizeof srv, "198.51.100.%d", i % 50 + 1);
        struct rs_craft_flow fl;
        assert_int_equal(rs_craft_flow_init(&fl, cli, 1, srv, 5000, t0), 0);
        u.ip = fl.ip;
        u.sport = (uint16_t)(20000 + i % 1000);
        u.dport = 5000;
        u.payload = data;
        u.payload_len = sizeof data;
        size_t n = rs_craft_udp(&u, buf, sizeof buf);
        assert_true(n > 0);
        struct rs_packet p = {t0 + (rs_time_ns)(i / 4) * 1000, (uint32_t)n, (uint32_t)n, 1, 0, buf};
        add(&c, &p);
    }
    char path[] = "/tmp/rstscope-test-flush-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    write_pcap(&c, path);
    struct recs one;
    struct rs_engine_stats s1;
    run(&c, 0, &one, &s1);
    assert_int_equal(one.n, 6000);
    for (size_t i = 0; i < one.n; i++) {
        assert_int_equal(one.r[i].start_index, i + 1);
        assert_int_equal(one.r[i].id, (i + 1) * RS_ID_PER_FRAME);
    }
    for (unsigned t = 1; t <= 3; t++) {
        /* fed 1: the file read in blocks that the threads share; 2: mapped,
         * each thread mapping it for itself (what the CLI does with a large
         * file). */
        for (int fed = 0; fed < 3; fed++) {
            struct recs m = {0};
            if (!fed) {
                struct rs_engine_stats st;
                run(&c, t, &m, &st);
            } else {
                struct rs_engine_config cfg;
                config(&cfg);
                struct rs_error err;
                const char *paths[1] = {path};
                struct rs_capture_opts o = {.pcap_mmap = fed == 1 ? -1 : 1};
                struct rs_capture *cap = rs_capture_open(paths, 1, &o, &err);
                assert_non_null(cap);
                struct rs_parallel *p = rs_parallel_new(&cfg, t, on_rec, &m, &err);
                assert_non_null(p);
                assert_int_equal(rs_parallel_feed(p, cap, NULL, NULL, NULL), c.n);
                rs_parallel_finish(p);
                rs_parallel_free(p);
                rs_capture_close(cap);
            }
            assert_int_equal(m.n, one.n);
            for (size_t i = 0; i < m.n; i++)
                assert_memory_equal(&m.r[i], &one.r[i], sizeof m.r[i]);
            free(m.r);
        }
    }
    free(one.r);
    unlink(path);
    free_cap(&c);
}

/* ---- zero copy: threads given pointers into a mapped file ---- */

/* n UDP frames of 40-60 KB (a 30-45 MB file) from 64 address pairs, each
 * frame's payload marked with its number: batches of one thread's frames
 * span far more than the 16 MiB the capture keeps mapped behind its reader,
 * and a frame read from the wrong place makes other sessions. */
static void
build_big(struct cap *c, size_t n)
{
    static uint8_t buf[RS_CRAFT_MAX_FRAME];
    static uint8_t payload[60000];
    rs_time_ns t0 = INT64_C(1767225600) * RS_NS_PER_SEC;
    for (size_t i = 0; i < n; i++) {
        unsigned pair = (unsigned)(i * 7 % 64);
        char cli[32];
        snprintf(cli, sizeof cli, "10.9.%u.%u", pair / 8, pair % 8 + 1);
        struct rs_craft_flow fl;
        assert_int_equal(rs_craft_flow_init(&fl, cli, 1, "198.51.100.9", 9000, t0), 0);
        struct rs_craft_udp u;
        memset(&u, 0, sizeof u);
        u.ip = fl.ip;
        u.sport = (uint16_t)(30000 + pair);
        u.dport = 9000;
        memcpy(payload, &i, sizeof i);
        u.payload = payload;
        u.payload_len = 40000 + (size_t)(i * 7919 % 20000);
        size_t len = rs_craft_udp(&u, buf, sizeof buf);
        assert_true(len > 0);
        struct rs_packet p = {
            t0 + (rs_time_ns)i * 1000000, (uint32_t)len, (uint32_t)len, 1, 0, buf};
        add(c, &p);
    }
}

/* build_big's 700 frames, and a temporary file for them (path: a mkstemp
 * template). */
static void
big_input(struct cap *c, char *path)
{
    build_big(c, 700);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
}

struct shrink {
    const char *path;
    uint64_t at, seen; /* after frame `at`, the file is cut to `size` */
    off_t size;
};

static void
shrink_tick(void *ctx)
{
    struct shrink *s = ctx;
    if (++s->seen == s->at)
        assert_int_equal(truncate(s->path, s->size), 0);
}

/* Records of the file at `path`, mapped (pcap_mmap 1), read by one engine
 * (threads 0) or rs_parallel_feed (with copies of the frames if `copy`),
 * with pages dropped behind the reader made unreadable (rs_mapping_guard);
 * sh (may be NULL) cuts the file while it is read. Returns the frames fed. */
static const char *feed_filter; /* feed_mapped's capture filter (NULL: none) */

static uint64_t
feed_mapped(const char *path, unsigned threads, int copy, struct shrink *sh, struct recs *out)
{
    struct rs_engine_config cfg;
    config(&cfg);
    struct rs_error err;
    memset(out, 0, sizeof *out);
    const char *paths[1] = {path};
    struct rs_capture_opts o = {.pcap_mmap = 1, .filter = feed_filter};
    struct rs_capture *cap = rs_capture_open(paths, 1, &o, &err);
    assert_non_null(cap);
    rs_mapping_guard = 1;
    uint64_t n;
    if (threads == 0) {
        struct rs_engine *e = rs_engine_new(&cfg, on_rec, out, &err);
        assert_non_null(e);
        n = rs_engine_feed(e, cap, NULL, sh ? shrink_tick : NULL, sh);
        rs_engine_finish(e);
        rs_engine_free(e);
    } else {
        struct rs_parallel *p = rs_parallel_new(&cfg, threads, on_rec, out, &err);
        assert_non_null(p);
        if (copy)
            rs_parallel_copy_frames(p);
        n = rs_parallel_feed(p, cap, NULL, sh ? shrink_tick : NULL, sh);
        rs_capture_close(cap); /* nothing may point into it now */
        cap = NULL;
        rs_parallel_finish(p);
        rs_parallel_free(p);
    }
    rs_mapping_guard = 0;
    rs_capture_close(cap);
    return n;
}

static void
same_recs(const struct recs *a, const struct recs *b)
{
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++)
        assert_memory_equal(&a->r[i], &b->r[i], sizeof a->r[i]);
}

/*
 * A mapped file's frames go to the threads as pointers into the mapping:
 * as classic pcap and as pcapng, with 2 and 3 threads, the records are one engine's, although a thread's
 * batch reaches far behind the reader (the calling thread hands it over or
 * waits for it before the capture drops those pages: a dropped page would
 * fault here) and the last batches are still in flight when the file ends
 * (the input's mapping outlives its end); rs_parallel_feed returns with
 * nothing pointing into the capture, which is closed before the finish.
 */
static void
test_zero_copy_holds_frames(void **state)
{
    (void)state;
    struct cap c = {0};
    char path[] = "/tmp/rstscope-test-zc-XXXXXX";
    big_input(&c, path);
    for (int ng = 0; ng < 2; ng++) {
        write_as(&c, path, ng);
        struct recs one;
        assert_int_equal(feed_mapped(path, 0, 0, NULL, &one), c.n);
        assert_int_equal(one.n, 64);
        for (unsigned t = 2; t <= 3; t++) {
            struct recs m;
            assert_int_equal(feed_mapped(path, t, 0, NULL, &m), c.n);
            same_recs(&one, &m);
            free(m.r);
        }
        free(one.r);
    }
    unlink(path);
    free_cap(&c);
}

/*
 * A file cut shorter while it is read turns from its mapping to block
 * reads, whose bytes the next read reuses: the frames from there on are
 * copied to the threads. Cut after frame 40 (of 700) to 60% of its size,
 * as classic pcap and pcapng: one engine and 2 threads read the same
 * frames and make the same records.
 */
static void
test_zero_copy_file_shrinks(void **state)
{
    (void)state;
    struct cap c = {0};
    char path[] = "/tmp/rstscope-test-zcs-XXXXXX";
    big_input(&c, path);
    for (int ng = 0; ng < 2; ng++) {
        write_as(&c, path, ng);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        off_t cut = st.st_size / 10 * 6;
        struct recs one, two;
        struct shrink sh = {path, 40, 0, cut};
        uint64_t n1 = feed_mapped(path, 0, 0, &sh, &one);
        assert_true(n1 > 40 && n1 < c.n);
        write_as(&c, path, ng);
        sh.seen = 0;
        assert_int_equal(feed_mapped(path, 2, 0, &sh, &two), n1);
        same_recs(&one, &two);
        free(one.r);
        free(two.r);
    }
    unlink(path);
    free_cap(&c);
}

/*
 * Through a filter that passes 8 of the 64 address pairs, one read of the
 * capture goes through many MB of frames it drops; the mapping drops
 * nothing from the oldest frame a batch still needs on (its floor), so
 * the records are still one engine's (with the filter), as classic pcap
 * and pcapng. Without the floor the read drops pages a batch points into.
 */
static void
test_zero_copy_filtered(void **state)
{
    (void)state;
    struct cap c = {0};
    char path[] = "/tmp/rstscope-test-zcf-XXXXXX";
    big_input(&c, path);
    feed_filter = "udp src portrange 30000-30007";
    for (int ng = 0; ng < 2; ng++) {
        write_as(&c, path, ng);
        struct recs one, two;
        uint64_t n1 = feed_mapped(path, 0, 0, NULL, &one);
        assert_int_equal(n1, c.n / 8 + (c.n % 64 > 0));
        assert_int_equal(one.n, 8);
        assert_int_equal(feed_mapped(path, 2, 0, NULL, &two), n1);
        same_recs(&one, &two);
        free(one.r);
        free(two.r);
    }
    feed_filter = NULL;
    unlink(path);
    free_cap(&c);
}

/* A classic pcap (any byte order, micro- or nanosecond) or pcapng file. */
static int
is_pcap_or_pcapng(const char *path)
{
    uint32_t v = corpus_magic(path);
    return v == 0xa1b2c3d4u || v == 0xa1b23c4du || v == 0xd4c3b2a1u || v == 0x4d3cb2a1u ||
           v == 0x0a0d0d0au; /* and pcapng */
}

/* A pcap or pcapng file of the corpus under 64 MiB, mapped, through two
 * threads with zero copy and with copies of the frames (the same shares):
 * the same records. */
static uint64_t
zc_corpus_file(const char *path, const char *name, const struct stat *st, void *ctx)
{
    (void)name;
    (void)ctx;
    if (!S_ISREG(st->st_mode) || st->st_size >= (off_t)64 * 1024 * 1024 || !is_pcap_or_pcapng(path))
        return 0;
    struct rs_error err;
    const char *paths[1] = {path};
    struct rs_capture *probe = rs_capture_open(paths, 1, NULL, &err);
    if (!probe)
        return 0; /* not one the capture reads (the capture tests say which) */
    rs_capture_close(probe);
    struct recs copied, zc;
    uint64_t n = feed_mapped(path, 2, 1, NULL, &copied);
    assert_int_equal(feed_mapped(path, 2, 0, NULL, &zc), n);
    int same = copied.n == zc.n;
    for (size_t i = 0; same && i < copied.n; i++)
        same = memcmp(&copied.r[i], &zc.r[i], sizeof copied.r[i]) == 0;
    if (!same)
        fail_msg("%s: 2 threads, zero copy: not the records of copied frames", path);
    free(copied.r);
    free(zc.r);
    return 1;
}

/*
 * Every pcap and pcapng file of the shared corpus (under 64 MiB), mapped,
 * through two threads with zero copy and dropped pages unreadable: the records of
 * the same threads given copies of the frames (which are one engine's but
 * for what parallel.h lists; skipped without the corpus).
 */
static void
test_zero_copy_on_corpus(void **state)
{
    (void)state;
    unsigned files = (unsigned)corpus_walk("../shared/corpus", zc_corpus_file, NULL);
    print_message("%u pcap and pcapng files through 2 threads, zero copy against copies\n", files);
    if (files == 0)
        skip();
}

/*
 * Records formatted in the threads, the file read in pull mode (blocks the
 * threads share) and with zero copy (mapped, the calling thread handing
 * the frames over): the bytes are those of the records formatted one by
 * one in the calling thread, whether each thread formats its own, leaves
 * them all packed for the calling thread, or the two by turns (what a
 * thread does as it falls behind and catches up), with 2-4 threads.
 */
static void
test_formatted_pull_and_zero_copy(void **state)
{
    (void)state;
    short_timers = 1;
    struct cap c = {0};
    build(&c);
    char path[] = "/tmp/rstscope-test-fmtpull-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    write_pcap(&c, path);
    const char *paths[1] = {path};
    for (unsigned t = 2; t <= 4; t++) {
        struct rs_engine_config cfg;
        config(&cfg);
        struct rs_error err;
        struct fmt_run ref = {0};
        ref.direct = rs_writer_open_mem(RS_FMT_JSONL, NULL, &err);
        assert_non_null(ref.direct);
        struct rs_capture *cap = rs_capture_open(paths, 1, NULL, &err);
        assert_non_null(cap);
        struct rs_parallel *p = rs_parallel_new(&cfg, t, rec_then_fmt, &ref, &err);
        assert_non_null(p);
        assert_int_equal(rs_parallel_feed(p, cap, NULL, NULL, NULL), c.n);
        rs_parallel_finish(p);
        rs_parallel_free(p);
        rs_capture_close(cap);
        assert_true(ref.len > 250 * 300);
        for (int run = 0; run < 6; run++) {
            int mapped = run / 3, mode = run % 3;
            struct fmt_run a = {0};
            pthread_mutex_init(&a.mu, NULL);
            for (unsigned i = 0; i < t; i++) {
                a.mw[i] = rs_writer_open_mem(RS_FMT_JSONL, NULL, &err);
                assert_non_null(a.mw[i]);
            }
            struct rs_capture_opts o = {.pcap_mmap = mapped ? 1 : -1};
            cap = rs_capture_open(paths, 1, &o, &err);
            assert_non_null(cap);
            p = rs_parallel_new(&cfg, t, NULL, NULL, &err);
            assert_non_null(p);
            assert_int_equal(rs_parallel_set_format(p, fmt_cb, bytes_cb, &a), 0);
            rs_parallel_pack_mode(p, mode);
            assert_int_equal(rs_parallel_feed(p, cap, NULL, NULL, NULL), c.n);
            rs_parallel_finish(p);
            rs_parallel_free(p);
            rs_capture_close(cap);
            assert_int_equal(a.len, ref.len);
            assert_memory_equal(a.buf, ref.buf, a.len);
            /* Packed: only the calling thread formatted (worker 0's state);
             * by turns, every thread did too. Left to themselves, threads
             * pack only while behind: in pull mode, far behind, which this
             * small file does not let them fall. */
            if (mode == RS_PARALLEL_PACK_ALWAYS)
                assert_int_equal(a.used_mask, 1u);
            else if (mode == RS_PARALLEL_PACK_ALTERNATE || !mapped)
                assert_int_equal(a.used_mask, (1u << t) - 1);
            else
                assert_true(a.used_mask & 1u);
            for (unsigned i = 0; i < t; i++)
                rs_writer_close(a.mw[i], 0, NULL);
            pthread_mutex_destroy(&a.mu);
            free(a.buf);
        }
        rs_writer_close(ref.direct, 0, NULL);
        free(ref.buf);
    }
    unlink(path);
    free_cap(&c);
    short_timers = 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_records_any_worker_count),
        cmocka_unit_test(test_timeouts_in_every_shard),
        cmocka_unit_test(test_feed_matches_packet_loop),
        cmocka_unit_test(test_bad_thread_counts_and_early_free),
        cmocka_unit_test(test_lookahead_hint_only),
        cmocka_unit_test(test_prefetch_hint_bounds),
        cmocka_unit_test(test_formatted_in_workers),
        cmocka_unit_test(test_flush_streamed),
        cmocka_unit_test(test_formatted_pull_and_zero_copy),
        cmocka_unit_test(test_zero_copy_holds_frames),
        cmocka_unit_test(test_zero_copy_file_shrinks),
        cmocka_unit_test(test_zero_copy_filtered),
        cmocka_unit_test(test_zero_copy_on_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
