/*
 * test_capture.c - reading captures: open errors, the time-ordered merge,
 * stdin (file and pipe), damage (truncation, impossible caplen, corrupt
 * pcapng blocks), pcapng with interfaces of different link types, filters
 * that keep frame numbers, the mmap fast path against libpcap packet by
 * packet, and live capture on loopback (skipped without
 * CAP_NET_RAW).
 *
 * Capture files are written here byte by byte, so each test shows exactly
 * which record is odd.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <zlib.h>
#include <zstd.h>

#include <pthread.h>

#include <rstscope/capture.h>
#include <rstscope/craft.h>
#include <rstscope/engine.h>

#include "capture/capture_int.h"
#include "corpus_walk.h"

/* ---- building files ---- */

struct buf {
    uint8_t *p;
    size_t n, cap;
};

static void
put(struct buf *b, const void *d, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    if (n)
        memcpy(b->p + b->n, d, n);
    b->n += n;
}

static void
put16(struct buf *b, int big, uint32_t v)
{
    uint8_t x[2] = {(uint8_t)(big ? v >> 8 : v), (uint8_t)(big ? v : v >> 8)};
    put(b, x, 2);
}

static void
put32(struct buf *b, int big, uint32_t v)
{
    uint8_t x[4];
    for (int i = 0; i < 4; i++)
        x[big ? 3 - i : i] = (uint8_t)(v >> (8 * i));
    put(b, x, 4);
}

static void
pcap_header(struct buf *b, int big, uint32_t magic, uint32_t snaplen, uint32_t linktype)
{
    put32(b, big, magic);
    put16(b, big, 2);
    put16(b, big, 4);
    put32(b, big, 0);
    put32(b, big, 0);
    put32(b, big, snaplen);
    put32(b, big, linktype);
}

static void
pcap_record(struct buf *b, int big, uint32_t sec, uint32_t frac, uint32_t caplen, uint32_t len,
            const void *data, size_t n)
{
    put32(b, big, sec);
    put32(b, big, frac);
    put32(b, big, caplen);
    put32(b, big, len);
    put(b, data, n);
}

static void
ng_block(struct buf *b, int big, uint32_t type, const struct buf *body)
{
    size_t padded = (body->n + 3) & ~(size_t)3;
    uint32_t len = (uint32_t)(12 + padded);
    put32(b, big, type);
    put32(b, big, len);
    put(b, body->p, body->n);
    static const uint8_t zero[4];
    put(b, zero, padded - body->n);
    put32(b, big, len);
}

static void
ng_shb(struct buf *b, int big)
{
    struct buf body = {0};
    put32(&body, big, 0x1A2B3C4D);
    put16(&body, big, 1);
    put16(&body, big, 0);
    put32(&body, big, 0xffffffff);
    put32(&body, big, 0xffffffff);
    ng_block(b, big, 0x0A0D0D0A, &body);
    free(body.p);
}

/* tsresol < 0: no option; tsoffset 0: no option. */
static void
ng_idb(struct buf *b, int big, uint16_t linktype, uint32_t snaplen, int tsresol, int64_t tsoffset)
{
    struct buf body = {0};
    put16(&body, big, linktype);
    put16(&body, big, 0);
    put32(&body, big, snaplen);
    /* An if_name option first, so options are really walked. */
    put16(&body, big, 2);
    put16(&body, big, 5);
    put(&body, "eth0\0\0\0\0", 8);
    if (tsresol >= 0) {
        put16(&body, big, 9);
        put16(&body, big, 1);
        uint8_t v[4] = {(uint8_t)tsresol, 0, 0, 0};
        put(&body, v, 4);
    }
    if (tsoffset) {
        put16(&body, big, 14);
        put16(&body, big, 8);
        uint64_t o = (uint64_t)tsoffset;
        if (big) {
            put32(&body, 1, (uint32_t)(o >> 32));
            put32(&body, 1, (uint32_t)o);
        } else {
            put32(&body, 0, (uint32_t)o);
            put32(&body, 0, (uint32_t)(o >> 32));
        }
    }
    put16(&body, big, 0);
    put16(&body, big, 0);
    ng_block(b, big, 1, &body);
    free(body.p);
}

static void
ng_epb(struct buf *b, int big, uint32_t ifid, uint64_t ts, const void *data, uint32_t caplen,
       uint32_t len)
{
    struct buf body = {0};
    put32(&body, big, ifid);
    put32(&body, big, (uint32_t)(ts >> 32));
    put32(&body, big, (uint32_t)ts);
    put32(&body, big, caplen);
    put32(&body, big, len);
    put(&body, data, caplen);
    ng_block(b, big, 6, &body);
    free(body.p);
}

static void
ng_spb(struct buf *b, int big, const void *data, uint32_t len)
{
    struct buf body = {0};
    put32(&body, big, len);
    put(&body, data, len);
    ng_block(b, big, 3, &body);
    free(body.p);
}

static char tmpdir[256];

static const char *
tpath(const char *name)
{
    static char p[8][512];
    static int k;
    char *s = p[k++ % 8];
    snprintf(s, 512, "%s/%s", tmpdir, name);
    return s;
}

static const char *
save(const char *name, const struct buf *b)
{
    const char *path = tpath(name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (b->n)
        assert_int_equal(fwrite(b->p, 1, b->n, f), b->n);
    assert_int_equal(fclose(f), 0);
    return path;
}

static const uint8_t frame_a[] = {0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 1, 2, 3, 4, 5, 6, 0x08, 0x00};
static const uint8_t frame_b[] = {0x45, 0, 0,  20, 0, 0, 0,  0, 64, 6,
                                  0,    0, 10, 0,  0, 1, 10, 0, 0,  2};

/* A classic pcap (us, little-endian, Ethernet) with n records at t = base + i*step seconds. */
static struct buf
simple_pcap(int n, uint32_t base, uint32_t step)
{
    struct buf b = {0};
    pcap_header(&b, 0, 0xa1b2c3d4, 65535, 1);
    for (int i = 0; i < n; i++) {
        uint8_t f[sizeof frame_a];
        memcpy(f, frame_a, sizeof f);
        f[0] = (uint8_t)i;
        pcap_record(&b, 0, base + (uint32_t)i * step, 250000, sizeof f, sizeof f, f, sizeof f);
    }
    return b;
}

static struct rs_capture *
open1(const char *path, const struct rs_capture_opts *o, struct rs_error *err)
{
    const char *paths[1] = {path};
    return rs_capture_open(paths, 1, o, err);
}

static const char *
note(const struct rs_capture *c, size_t i)
{
    const char *m[16];
    size_t n = rs_capture_damage(c, m, 16);
    return i < n && i < 16 ? m[i] : NULL;
}

/* ---- open errors ---- */

static void
test_open_missing(void **state)
{
    (void)state;
    struct rs_error err;
    memset(&err, 0, sizeof err);
    assert_null(open1(tpath("nonexistent.pcap"), NULL, &err));
    assert_int_equal(err.code, RS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "nonexistent.pcap: No such file or directory"));
}

static void
test_open_not_a_capture(void **state)
{
    (void)state;
    struct rs_error err;
    struct buf b = {0};
    put(&b, "hello world\n", 12);
    assert_null(open1(save("x.txt", &b), NULL, &err));
    assert_int_equal(err.code, RS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "x.txt: not a pcap or pcapng file (unknown magic 0x68656c6c "
                                    "\"hell\")"));
    b.n = 0;
    assert_null(open1(save("empty", &b), NULL, &err));
    assert_non_null(strstr(err.msg, "empty: empty file"));
    put(&b, "\xd4\xc3", 2);
    assert_null(open1(save("short", &b), NULL, &err));
    assert_non_null(strstr(err.msg, "too short to be a capture (2 bytes)"));
    b.n = 0;
    put(&b, "\x1f\x8b\x08\x00", 4); /* gzip is read, but this one is cut */
    assert_null(open1(save("x.pcap.gz", &b), NULL, &err));
    assert_non_null(strstr(err.msg, "x.pcap.gz: gzip: the compressed data ends early"));
    b.n = 0;
    put(&b,
        "\xfd"
        "7zXZ",
        5);
    assert_null(open1(save("x.pcap.xz", &b), NULL, &err));
    assert_non_null(strstr(err.msg, "an xz-compressed file: decompress it first (xzcat)"));
    b.n = 0;
    put(&b, "\x00\x01\x02\x03", 4);
    assert_null(open1(save("bin", &b), NULL, &err));
    assert_non_null(strstr(err.msg, "unknown magic 0x00010203)"));
    assert_null(open1(tmpdir, NULL, &err));
    assert_int_equal(err.code, RS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "is a directory"));
    /* A pcap magic with a cut header: libpcap's words, with the file name. */
    struct buf p = simple_pcap(1, 1, 1);
    p.n = 10;
    assert_null(open1(save("cuthdr.pcap", &p), NULL, &err));
    assert_int_equal(err.code, RS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "cuthdr.pcap: not a readable pcap file: truncated dump file"));
    free(p.p);
    free(b.p);
}

static void
test_open_usage_errors(void **state)
{
    (void)state;
    struct rs_error err;
    assert_null(rs_capture_open(NULL, 0, NULL, &err));
    assert_int_equal(err.code, RS_ERR_USAGE);
    const char *two[2] = {"-", "-"};
    assert_null(rs_capture_open(two, 2, NULL, &err));
    assert_int_equal(err.code, RS_ERR_USAGE);
    assert_non_null(strstr(err.msg, "stdin"));
    /* A later file that fails closes the earlier ones (ASan checks the leak). */
    struct buf b = simple_pcap(2, 1, 1);
    const char *paths[2] = {save("ok.pcap", &b), tpath("missing.pcap")};
    assert_null(rs_capture_open(paths, 2, NULL, &err));
    assert_non_null(strstr(err.msg, "missing.pcap"));
    free(b.p);
}

static void
test_bad_filter(void **state)
{
    (void)state;
    struct rs_error err;
    struct buf b = simple_pcap(2, 1, 1);
    const char *path = save("f.pcap", &b);
    struct rs_capture_opts o = {.filter = "tcp prt 80"};
    assert_null(open1(path, &o, &err));
    assert_int_equal(err.code, RS_ERR_USAGE);
    assert_non_null(strstr(err.msg, "bad filter expression 'tcp prt 80'"));
    assert_non_null(strstr(err.msg, "syntax error"));
    /* Valid syntax, but Ethernet addresses mean nothing on raw IP. */
    struct buf r = {0};
    pcap_header(&r, 0, 0xa1b2c3d4, 65535, 101);
    o.filter = "ether host 01:02:03:04:05:06";
    assert_null(open1(save("raw.pcap", &r), &o, &err));
    assert_int_equal(err.code, RS_ERR_USAGE);
    assert_non_null(strstr(err.msg, "cannot be used on"));
    assert_non_null(strstr(err.msg, "raw.pcap (link type RAW"));
    free(b.p);
    free(r.p);
}

/* ---- reading ---- */

static void
test_single_file(void **state)
{
    (void)state;
    struct rs_error err;
    struct buf b = simple_pcap(3, 1700000000, 2);
    const char *path = save("three.pcap", &b);
    struct rs_capture *c = open1(path, NULL, &err);
    assert_non_null(c);
    assert_int_equal(rs_capture_file_count(c), 1);
    struct rs_packet p;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_PACKET);
        assert_int_equal(p.number, (uint64_t)i + 1);
        assert_int_equal(p.ts, (1700000000 + 2 * i) * RS_NS_PER_SEC + 250000000);
        assert_int_equal(p.caplen, sizeof frame_a);
        assert_int_equal(p.linktype, 1);
        assert_int_equal(p.data[0], i);
        assert_memory_equal(p.data + 1, frame_a + 1, sizeof frame_a - 1);
        assert_int_equal(rs_capture_current_file(c), 0);
    }
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_END);
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_END);
    struct rs_capture_file_info fi;
    assert_int_equal(rs_capture_file_info(c, 0, &fi), 0);
    assert_int_equal(rs_capture_file_info(c, 1, &fi), RS_ERR_USAGE);
    rs_capture_file_info(c, 0, &fi);
    assert_string_equal(fi.path, path);
    assert_string_equal(fi.format, "pcap");
    assert_int_equal(fi.records, 3);
    assert_int_equal(fi.packets, 3);
    assert_int_equal(fi.size, b.n);
    assert_int_equal(fi.offset, b.n);
    assert_true(fi.done);
    assert_false(fi.damaged);
    uint64_t done, total;
    rs_capture_progress(c, &done, &total);
    assert_int_equal(done, b.n);
    assert_int_equal(total, b.n);
    assert_int_equal(rs_capture_damage(c, NULL, 0), 0);
    struct rs_capture_stats st;
    assert_int_equal(rs_capture_stats(c, &st, &err), 0);
    assert_int_equal(st.received, 3);
    rs_capture_close(c);
    free(b.p);
}

static void
test_ns_big_endian(void **state)
{
    (void)state;
    struct rs_error err;
    struct buf b = {0};
    pcap_header(&b, 1, 0xa1b23c4d, 65535, 101);
    pcap_record(&b, 1, 5, 123456789, sizeof frame_b, 1500, frame_b, sizeof frame_b);
    struct rs_capture *c = open1(save("ns-be.pcap", &b), NULL, &err);
    assert_non_null(c);
    struct rs_packet p;
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_PACKET);
    assert_int_equal(p.ts, 5 * RS_NS_PER_SEC + 123456789);
    assert_int_equal(p.linktype, 101); /* LINKTYPE_RAW, not Linux's DLT_RAW 12 */
    assert_int_equal(p.len, 1500);
    struct rs_capture_file_info fi;
    rs_capture_file_info(c, 0, &fi);
    assert_string_equal(fi.format, "pcap-ns");
    assert_int_equal(fi.linktype, 101);
    rs_capture_close(c);
    free(b.p);
}

static void
test_merge_time_order(void **state)
{
    (void)state;
    struct rs_error err;
    /* A: 1 4 7 10, B: 2 5 8 10, C: 3 3 9. Equal times go to the file given first. */
    struct buf a = simple_pcap(4, 1, 3);
    struct buf b = simple_pcap(4, 2, 3);
    b.n -= 16 + sizeof frame_a; /* replace B's last record with t=10 */
    pcap_record(&b, 0, 10, 250000, sizeof frame_a, sizeof frame_a, frame_a, sizeof frame_a);
    struct buf c3 = {0};
    pcap_header(&c3, 0, 0xa1b23c4d, 65535, 1);
    for (uint32_t t = 3; t <= 9; t += 6)
        pcap_record(&c3, 0, t, 250000000, sizeof frame_a, sizeof frame_a, frame_a, sizeof frame_a);
    c3.n -= 16 + sizeof frame_a;
    pcap_record(&c3, 0, 3, 250000000, sizeof frame_a, sizeof frame_a, frame_a, sizeof frame_a);
    pcap_record(&c3, 0, 9, 250000000, sizeof frame_a, sizeof frame_a, frame_a, sizeof frame_a);
    const char *paths[3] = {save("a.pcap", &a), save("b.pcap", &b), save("c.pcap", &c3)};
    struct rs_capture *c = rs_capture_open(paths, 3, NULL, &err);
    assert_non_null(c);
    const struct {
        int sec;
        size_t file;
        uint64_t number;
    } want[] = {{1, 0, 1}, {2, 1, 1}, {3, 2, 1}, {3, 2, 2},  {4, 0, 2}, {5, 1, 2},
                {7, 0, 3}, {8, 1, 3}, {9, 2, 3}, {10, 0, 4}, {10, 1, 4}};
    struct rs_packet p;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_PACKET);
        assert_int_equal(p.ts, want[i].sec * RS_NS_PER_SEC + 250000000);
        assert_int_equal(rs_capture_current_file(c), want[i].file);
        assert_int_equal(p.number, want[i].number);
    }
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_END);
    assert_int_equal(rs_capture_file_count(c), 3);
    rs_capture_close(c);
    free(a.p);
    free(b.p);
    free(c3.p);
}

/* ---- a second reader: rs_capture_reopen and rs_capture_follow ---- */

struct frame_log {
    struct rs_capture *c;
    size_t n;
    rs_time_ns *ts;
    uint64_t *num;
    uint32_t *caplen, *sum;
    int end;
    int slow; /* pause now and then, so that the other reader gets ahead */
};

/* A capture of `n` frames of 60..1514 bytes, ~10 MiB per 13,000 frames. */
static struct buf
many_frames(int n)
{
    struct buf b = {0};
    pcap_header(&b, 0, 0xa1b2c3d4, 65535, 1);
    uint8_t f[1514];
    for (int i = 0; i < n; i++) {
        uint32_t len = 60 + (uint32_t)(i * 7919) % 1455;
        for (uint32_t j = 0; j < len; j++)
            f[j] = (uint8_t)((uint32_t)i + j * 13);
        pcap_record(&b, 0, 1000 + (uint32_t)i / 100, (uint32_t)i % 100 * 10000, len, len, f, len);
    }
    return b;
}

/* Two readers' frames are the same: time, lengths, link type, number, bytes. */
static void
same_frame(const struct rs_packet *a, const struct rs_packet *b)
{
    assert_int_equal(a->ts, b->ts);
    assert_int_equal(a->caplen, b->caplen);
    assert_int_equal(a->len, b->len);
    assert_int_equal(a->linktype, b->linktype);
    assert_int_equal(a->number, b->number);
    if (a->caplen)
        assert_memory_equal(a->data, b->data, a->caplen);
}

static uint32_t
frame_sum(const struct rs_packet *p)
{
    uint32_t s = 0;
    for (uint32_t i = 0; i < p->caplen; i++)
        s = s * 31 + p->data[i];
    return s;
}

/* Reads c to its end, noting each frame's time, number, length and a sum of its bytes. */
static void *
log_frames(void *arg)
{
    struct frame_log *l = arg;
    struct rs_packet p;
    int st;
    while ((st = rs_capture_next(l->c, &p)) == RS_CAPTURE_PACKET) {
        l->ts[l->n] = p.ts;
        l->num[l->n] = p.number;
        l->caplen[l->n] = p.caplen;
        l->sum[l->n] = frame_sum(&p);
        l->n++;
        if (l->slow && l->n % 500 == 0)
            usleep(2000);
    }
    l->end = st;
    return NULL;
}

static void
log_init(struct frame_log *l, struct rs_capture *c, size_t max)
{
    memset(l, 0, sizeof *l);
    l->c = c;
    l->ts = calloc(max, sizeof *l->ts);
    l->num = calloc(max, sizeof *l->num);
    l->caplen = calloc(max, sizeof *l->caplen);
    l->sum = calloc(max, sizeof *l->sum);
    assert_true(l->ts && l->num && l->caplen && l->sum);
}

static void
log_same(const struct frame_log *a, const struct frame_log *b)
{
    assert_int_equal(a->n, b->n);
    assert_int_equal(a->end, b->end);
    for (size_t i = 0; i < a->n; i++) {
        assert_int_equal(a->ts[i], b->ts[i]);
        assert_int_equal(a->num[i], b->num[i]);
        assert_int_equal(a->caplen[i], b->caplen[i]);
        assert_int_equal(a->sum[i], b->sum[i]);
    }
}

static void
log_free(struct frame_log *l)
{
    free(l->ts);
    free(l->num);
    free(l->caplen);
    free(l->sum);
}

/*
 * A follower, read in another thread at the same time as its capture, gets
 * every frame the capture gets, byte for byte, over a file of many blocks
 * (the shared ring of 8 blocks wraps many times, records straddle block
 * ends) and up to the damage at its end; so does a reopened capture, of a
 * classic or a pcapng file. Both refuse what cannot be read twice.
 */
static void
test_reopen_and_follow(void **state)
{
    (void)state;
    struct rs_error err;
    /* ~12 MiB: 24 blocks of 512 KiB, frames of 60..1514 bytes. */
    enum { N = 15000 };
    struct buf b = many_frames(N);
    b.n -= 100; /* the last record cut short: damage */
    const char *path = save("follow.pcap", &b);
    for (int mode = 0; mode < 2; mode++) {
        struct rs_capture *c = open1(path, NULL, &err);
        assert_non_null(c);
        struct rs_packet first;
        assert_int_equal(rs_capture_next(c, &first), RS_CAPTURE_PACKET);
        struct rs_capture *f2 = mode ? rs_capture_follow(c, &err) : rs_capture_reopen(c, &err);
        assert_non_null(f2);
        /* A follower of a classic pcap parses c's blocks; a reopened one reads. */
        assert_int_equal(rs_capture_shares_blocks(f2), mode);
        assert_int_equal(rs_capture_shares_blocks(c), 0);
        struct frame_log a, fb;
        log_init(&a, c, N);
        log_init(&fb, f2, N);
        /* the frame already taken, then the rest in this thread */
        a.ts[0] = first.ts;
        a.num[0] = first.number;
        a.caplen[0] = first.caplen;
        a.sum[0] = frame_sum(&first);
        a.n = 1;
        fb.slow = 1; /* the capture must wait for its follower, not overwrite its blocks */
        pthread_t th;
        assert_int_equal(pthread_create(&th, NULL, log_frames, &fb), 0);
        log_frames(&a);
        assert_int_equal(pthread_join(th, NULL), 0);
        assert_int_equal(a.n, N - 1);
        log_same(&a, &fb);
        assert_int_equal(rs_capture_damage(f2, NULL, 0), 1);
        assert_string_equal(note(f2, 0), note(c, 0));
        rs_capture_close(f2); /* the follower first */
        rs_capture_close(c);
        log_free(&a);
        log_free(&fb);
    }
    free(b.p);

    /* A follower closed unread does not hold its capture back. */
    struct rs_capture *c = open1(path, NULL, &err);
    assert_non_null(c);
    struct rs_capture *f2 = rs_capture_follow(c, &err);
    assert_non_null(f2);
    rs_capture_close(f2);
    struct rs_packet p;
    size_t n = 0;
    while (rs_capture_next(c, &p) == RS_CAPTURE_PACKET)
        n++;
    assert_int_equal(n, N - 1);
    /* Too late for a follower: two frames read. */
    assert_null(rs_capture_follow(c, &err));
    assert_int_equal(err.code, RS_ERR_USAGE);
    rs_capture_close(c);

    /* pcapng: reopened (its reader is not shared). */
    struct buf g = {0};
    ng_shb(&g, 0);
    ng_idb(&g, 0, 1, 65535, -1, 0);
    for (int i = 0; i < 50; i++)
        ng_epb(&g, 0, 0, (uint64_t)i * 1000, frame_a, sizeof frame_a, sizeof frame_a);
    c = open1(save("follow.pcapng", &g), NULL, &err);
    assert_non_null(c);
    f2 = rs_capture_follow(c, &err);
    assert_non_null(f2);
    assert_int_equal(rs_capture_shares_blocks(f2), 0);
    struct frame_log x, y;
    log_init(&x, c, 64);
    log_init(&y, f2, 64);
    log_frames(&x);
    log_frames(&y);
    assert_int_equal(x.n, 50);
    log_same(&x, &y);
    log_free(&x);
    log_free(&y);
    rs_capture_close(f2);
    rs_capture_close(c);
    free(g.p);

    /* A stream cannot be read twice. */
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    c = rs_capture_open_stream(fp, "s", NULL, &err);
    assert_non_null(c);
    assert_null(rs_capture_reopen(c, &err));
    assert_int_equal(err.code, RS_ERR_USAGE);
    assert_null(rs_capture_follow(c, &err));
    rs_capture_close(c);
}

/*
 * rs_capture_next_batch gives the frames rs_capture_next gives, in order,
 * with the same numbers, times and bytes: over a file of many blocks
 * (records cut by a block's end come through the reading path), with a
 * filter that drops every other frame, and up to damage. Frames of a batch
 * taken without may_read stay valid while later batches are taken; a
 * batch without may_read never reads (0 at a block's end). The same for a
 * pcapng file (its reader's window of 1 MiB reads, blocks parsed in place;
 * an interface block in the middle, which a batch leaves to the reading
 * path).
 */
static void
check_next_batch(int ng)
{
    struct rs_error err;
    struct buf b = {0};
    enum { N = 12000 };
    if (ng) {
        ng_shb(&b, 0);
        ng_idb(&b, 0, 1, 65535, -1, 0);
    } else {
        pcap_header(&b, 0, 0xa1b2c3d4, 65535, 1);
    }
    uint8_t f[1514];
    memcpy(f, frame_a, sizeof frame_a);
    for (int i = 0; i < N; i++) {
        uint32_t len = 60 + (uint32_t)(i * 7919) % 1455;
        for (uint32_t j = sizeof frame_a; j < len; j++)
            f[j] = (uint8_t)((uint32_t)i + j);
        f[12] = i % 2 ? 0x08 : 0x86; /* every other frame IPv4 (0x0800) */
        f[13] = i % 2 ? 0x00 : 0xdd;
        if (!ng) {
            pcap_record(&b, 0, 1000 + (uint32_t)i, (uint32_t)i, len, len, f, len);
            continue;
        }
        if (i == N / 2)
            ng_idb(&b, 0, 1, 65535, -1, 0); /* interface 1, the same kind */
        ng_epb(&b, 0, i >= N / 2, (uint64_t)(1000 + i) * 1000000 + (uint64_t)i, f, len, len);
    }
    b.n -= 7; /* damage at the end */
    const char *path = save(ng ? "batch.pcapng" : "batch.pcap", &b);
    /* Where the reader must read on: the pcap reader's 512 KiB blocks; the
     * pcapng reader's window (2 MiB, refilled at least 1 MiB at a time),
     * and the interface block. */
    size_t blocks = ng ? b.n / (2 << 20) + 1 : b.n / (512 << 10);
    free(b.p);
    for (int filtered = 0; filtered < 2; filtered++) {
        struct rs_capture_opts o = {0};
        o.filter = filtered ? "ip" : NULL;
        struct rs_capture *c = open1(path, &o, &err);
        assert_non_null(c);
        struct frame_log one;
        log_init(&one, c, N);
        log_frames(&one);
        rs_capture_close(c);

        c = open1(path, &o, &err);
        assert_non_null(c);
        struct rs_packet pk[40 + 64];
        size_t got = 0, batches = 0, refused = 0;
        size_t have = 0;
        for (;;) {
            /* Keep up to 40 frames from earlier batches and check them
             * once more after the next batch without may_read. */
            if (have >= 40) {
                for (size_t i = 0; i < have; i++) {
                    size_t at = got - have + i;
                    uint32_t s = 0;
                    for (uint32_t j = 0; j < pk[i].caplen; j++)
                        s = s * 31 + pk[i].data[j];
                    assert_int_equal(s, one.sum[at]);
                }
                have = 0;
            }
            size_t n = rs_capture_next_batch(c, pk + have, 64, 0);
            if (n == 0) {
                refused++;
                /* Check what is held, then read on (the held frames may go). */
                for (size_t i = 0; i < have; i++) {
                    uint32_t s = 0;
                    for (uint32_t j = 0; j < pk[i].caplen; j++)
                        s = s * 31 + pk[i].data[j];
                    assert_int_equal(s, one.sum[got - have + i]);
                }
                have = 0;
                n = rs_capture_next_batch(c, pk, 64, 1);
                if (n == 0)
                    break;
                assert_int_equal(n, 1);
            } else {
                batches++;
            }
            for (size_t i = have; i < have + n; i++) {
                size_t at = got + i - have;
                assert_true(at < one.n);
                assert_int_equal(pk[i].ts, one.ts[at]);
                assert_int_equal(pk[i].number, one.num[at]);
                assert_int_equal(pk[i].caplen, one.caplen[at]);
            }
            got += n;
            have += n;
        }
        assert_int_equal(got, one.n);
        assert_int_equal(got, filtered ? N / 2 - 1 : N - 1); /* the last frame, IPv4, is cut */
        assert_true(batches > N / 2 / 64);                   /* most frames came in batches */
        assert_true(refused >= blocks);                      /* at least once per block */
        assert_true(blocks >= (ng ? 5u : 8u));
        assert_int_equal(rs_capture_damage(c, NULL, 0), 1);
        struct rs_capture_stats st;
        assert_int_equal(rs_capture_stats(c, &st, &err), 0);
        assert_int_equal(st.returned, got);
        rs_capture_close(c);
        log_free(&one);
    }
}

static void
test_next_batch(void **state)
{
    (void)state;
    check_next_batch(0);
}

static void
test_next_batch_pcapng(void **state)
{
    (void)state;
    check_next_batch(1);
}

/*
 * The header chase of a mapped file (rs_capture_chase): driven as the feed
 * loop drives it (frames taken in batches, one chase call per frame
 * processed), it walks the record boundaries ahead of the parse by
 * RS_CHASE_LEAD records, the stream stays off while it is ahead, it stops
 * at a record the parse does not take whole (a classic record longer than
 * the snapshot length; a pcapng section header) and takes up again once
 * the parse has passed it, and the frames are those of a plain read.
 */
static void
check_chase(int ng)
{
    enum { N = 4000, D = 2500 };
    static size_t offs[N + 1];
    struct buf b = {0};
    if (ng) {
        ng_shb(&b, 0);
        ng_idb(&b, 0, 1, 65535, -1, 0);
    } else {
        pcap_header(&b, 0, 0xa1b2c3d4, 1600, 1);
    }
    size_t stop = 0; /* where the chase must stop: the header it cannot pass */
    uint8_t f[1700];
    memcpy(f, frame_a, sizeof frame_a);
    for (uint32_t i = 0; i < N; i++) {
        uint32_t len = 60 + (i * 7919) % 1455;
        if (i == D) {
            stop = b.n;
            if (ng) {
                ng_shb(&b, 0); /* a second section, its own interface */
                ng_idb(&b, 0, 1, 65535, -1, 0);
            } else {
                len = 1700; /* above the snapshot length: the parse's slow path */
            }
        }
        for (uint32_t j = sizeof frame_a; j < len; j++)
            f[j] = (uint8_t)(i + j);
        offs[i] = b.n;
        if (ng)
            ng_epb(&b, 0, 0, (uint64_t)(1000 + i) * 1000000, f, len, len);
        else
            pcap_record(&b, 0, 1000 + i, 0, len, len, f, len);
    }
    offs[N] = b.n;
    const char *path = save(ng ? "chase.pcapng" : "chase.pcap", &b);
    free(b.p);

    struct rs_error err;
    struct rs_capture_opts plain = {.pcap_mmap = -1}, mapped = {.pcap_mmap = 1};
    struct rs_capture *ref = open1(path, &plain, &err);
    assert_non_null(ref);
    struct frame_log one;
    log_init(&one, ref, N);
    log_frames(&one);
    rs_capture_close(ref);
    assert_int_equal(one.n, N);

    struct rs_capture *c = open1(path, &mapped, &err);
    assert_non_null(c);
    struct rs_input *in = &c->in[c->heap[0]];
    const struct rs_chase *ch = ng ? &in->ng.ch : &in->mm.ch;
    const struct rs_mapping *mp = ng ? &in->ng.mp : &in->mm.mp;
    assert_non_null(mp->base);
    struct rs_packet pk[8 + 64];
    size_t have = 0, at = 0, done = 0, k = 0;
    uint64_t pf_at = 0;
    int ahead_before = 0, ahead_after = 0;
    for (;;) {
        if (at == have) {
            have = rs_capture_next_batch(c, pk, 72, 1);
            at = 0;
            if (have == 0)
                break;
        } else if (have - at <= 8) {
            memmove(pk, pk + at, (have - at) * sizeof *pk);
            have -= at;
            at = 0;
            have += rs_capture_next_batch(c, pk + have, 72 - have, 0);
        }
        rs_capture_chase(c);
        assert_int_equal(frame_sum(&pk[at]), one.sum[done]);
        at++;
        done++;
        /* The chase is at a record boundary, never past the one it cannot
         * pass until the parse has passed it, and as far ahead as it says. */
        while (k < N && offs[k] < ch->at)
            k++;
        assert_true(ch->at == offs[k] || ch->at == stop);
        if (ch->at == stop)
            k = D;
        if (done <= D)
            assert_true(ch->at <= stop);
        assert_true(k >= done + ch->lead || ch->at == stop);
        /* Well before and well after the stop: the full lead, and no
         * streaming (what was streamed stays where it was). */
        int steady = (done >= 400 && done < D - RS_CHASE_LEAD - 80) ||
                     (done >= D + 400 && done < N - RS_CHASE_LEAD - 80);
        if (steady) {
            assert_true(ch->lead >= RS_CHASE_LEAD - 1);
            if (pf_at == 0)
                pf_at = mp->pf;
            assert_int_equal(mp->pf, pf_at);
            if (done < D)
                ahead_before = 1;
            else
                ahead_after = 1;
        } else {
            pf_at = 0;
        }
    }
    assert_int_equal(done, N);
    assert_true(ahead_before && ahead_after);
    assert_true(ch->at <= offs[N]);
    rs_capture_close(c);
    log_free(&one);
}

static void
test_chase(void **state)
{
    (void)state;
    check_chase(0);
    check_chase(1);
}

static void
test_truncated_mid_record(void **state)
{
    (void)state;
    struct rs_error err;
    struct buf b = simple_pcap(5, 100, 1);
    b.n -= 5; /* the last record loses 5 bytes of data */
    struct rs_capture *c = open1(save("cut.pcap", &b), NULL, &err);
    assert_non_null(c);
    struct rs_packet p;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_PACKET);
        assert_int_equal(p.number, (uint64_t)i + 1);
        assert_int_equal(p.data[0], i);
    }
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_END);
    assert_int_equal(rs_capture_damage(c, NULL, 0), 1);
    const char *m = note(c, 0);
    assert_non_null(strstr(m, "cut.pcap: truncated after packet 4: truncated dump file; tried to "
                              "read 14 captured bytes, only got 9"));
    struct rs_capture_file_info fi;
    rs_capture_file_info(c, 0, &fi);
    assert_true(fi.damaged);
    assert_int_equal(fi.records, 4);
    rs_capture_close(c);

    /* Cut inside the 16-byte record header instead. */
    b.n -= sizeof frame_a - 5 + 9;
    c = open1(save("cut2.pcap", &b), NULL, &err);
    assert_non_null(c);
    int n = 0;
    while (rs_capture_next(c, &p) == RS_CAPTURE_PACKET)
        n++;
    assert_int_equal(n, 4);
    assert_non_null(strstr(note(c, 0), "truncated after packet 4: truncated dump file; tried to "
                                       "read 16 header bytes, only got 7"));
    rs_capture_close(c);
    free(b.p);
}

static void
test_damage_does_not_stop_other_files(void **state)
{
    (void)state;
    struct rs_error err;
    struct buf a = simple_pcap(5, 1, 2); /* 1 3 5 7 9, cut after 3 packets */
    a.n -= 2 * (16 + sizeof frame_a) - 3;
    struct buf b = simple_pcap(5, 2, 2); /* 2 4 6 8 10 */
    const char *paths[2] = {save("dmg.pcap", &a), save("fine.pcap", &b)};
    struct rs_capture *c = rs_capture_open(paths, 2, NULL, &err);
    assert_non_null(c);
    struct rs_packet p;
    int from[2] = {0, 0};
    rs_time_ns last = 0;
    while (rs_capture_next(c, &p) == RS_CAPTURE_PACKET) {
        assert_true(p.ts > last);
        last = p.ts;
        from[rs_capture_current_file(c)]++;
    }
    assert_int_equal(from[0], 3);
    assert_int_equal(from[1], 5);
    assert_int_equal(rs_capture_damage(c, NULL, 0), 1);
    assert_non_null(strstr(note(c, 0), "dmg.pcap: truncated after packet 3"));
    rs_capture_close(c);
    free(a.p);
    free(b.p);
}

static void
test_caplen_records(void **state)
{
    (void)state;
    struct rs_error err;
    uint8_t big[300];
    memset(big, 0x5a, sizeof big);
    /* snaplen 50: a 100-byte record is cut to the snaplen by libpcap, not an error. */
    struct buf b = {0};
    pcap_header(&b, 0, 0xa1b2c3d4, 50, 1);
    pcap_record(&b, 0, 1, 0, 0, 0, NULL, 0); /* zero-length record */
    pcap_record(&b, 0, 2, 0, 100, 100, big, 100);
    pcap_record(&b, 0, 3, 0, sizeof frame_a, 60, frame_a, sizeof frame_a);
    struct rs_capture *c = open1(save("snap.pcap", &b), NULL, &err);
    assert_non_null(c);
    struct rs_packet p;
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_PACKET);
    assert_int_equal(p.caplen, 0);
    assert_int_equal(p.len, 0);
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_PACKET);
    assert_int_equal(p.caplen, 50);
    assert_int_equal(p.len, 100);
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_PACKET);
    assert_int_equal(p.number, 3);
    assert_memory_equal(p.data, frame_a, sizeof frame_a);
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_END);
    assert_int_equal(rs_capture_damage(c, NULL, 0), 0);
    rs_capture_close(c);

    /* A caplen beyond any sane snaplen is damage. */
    b.n = 0;
    pcap_header(&b, 0, 0xa1b2c3d4, 65535, 1);
    pcap_record(&b, 0, 1, 0, sizeof frame_a, sizeof frame_a, frame_a, sizeof frame_a);
    pcap_record(&b, 0, 2, 0, 300000, 300000, big, sizeof big);
    c = open1(save("huge.pcap", &b), NULL, &err);
    assert_non_null(c);
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_PACKET);
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_END);
    assert_non_null(strstr(note(c, 0), "huge.pcap: damaged after packet 1: invalid packet capture "
                                       "length 300000"));
    rs_capture_close(c);
    free(b.p);
}

/* ---- pcapng ---- */

static struct buf
two_linktype_pcapng(void)
{
    struct buf b = {0};
    ng_shb(&b, 0);
    ng_idb(&b, 0, 1, 65535, -1, 0); /* Ethernet, microseconds */
    ng_idb(&b, 0, 101, 1500, 9, 0); /* raw IP, nanoseconds, another snaplen */
    ng_epb(&b, 0, 0, UINT64_C(1700000000000001), frame_a, sizeof frame_a, sizeof frame_a);
    ng_epb(&b, 0, 1, UINT64_C(1700000000000001500), frame_b, sizeof frame_b, 40);
    ng_epb(&b, 0, 0, UINT64_C(1700000000000003), frame_a, sizeof frame_a, sizeof frame_a);
    return b;
}

static void
test_pcapng_two_linktypes(void **state)
{
    (void)state;
    struct rs_error err;
    struct buf b = two_linktype_pcapng();
    const char *path = save("multi.pcapng", &b);
    struct rs_capture *c = open1(path, NULL, &err);
    assert_non_null(c);
    struct rs_packet p;
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_PACKET);
    assert_int_equal(p.linktype, 1);
    assert_int_equal(p.ts, INT64_C(1700000000000001000));
    assert_memory_equal(p.data, frame_a, sizeof frame_a);
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_PACKET);
    assert_int_equal(p.linktype, 101);
    assert_int_equal(p.ts, INT64_C(1700000000000001500));
    assert_int_equal(p.caplen, sizeof frame_b);
    assert_int_equal(p.len, 40);
    assert_int_equal(p.number, 2);
    assert_memory_equal(p.data, frame_b, sizeof frame_b);
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_PACKET);
    assert_int_equal(p.linktype, 1);
    assert_int_equal(p.number, 3);
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_END);
    assert_int_equal(rs_capture_damage(c, NULL, 0), 0);
    struct rs_capture_file_info fi;
    rs_capture_file_info(c, 0, &fi);
    assert_string_equal(fi.format, "pcapng");
    assert_int_equal(fi.linktype, 1);
    assert_int_equal(fi.offset, b.n);
    rs_capture_close(c);

    /*
     * What libpcap 1.10 does with the same file: it stops at the second IDB,
     * before the first packet, because the link types differ.
     */
    struct rs_capture_opts o = {.pcapng_via_libpcap = 1};
    c = open1(path, &o, &err);
    assert_non_null(c);
    int n = 0;
    while (rs_capture_next(c, &p) == RS_CAPTURE_PACKET)
        n++;
    assert_true(n < 3);
    assert_int_equal(rs_capture_damage(c, NULL, 0), 1);
    assert_non_null(strstr(note(c, 0), "different from the type of the first interface"));
    rs_capture_close(c);
    free(b.p);
}

static void
test_pcapng_sections_spb_options(void **state)
{
    (void)state;
    struct rs_error err;
    struct buf b = {0};
    /* Section 1, little-endian: 2^-10 s units, offset +100 s, and skipped blocks. */
    ng_shb(&b, 0);
    struct buf nrb = {0};
    put32(&nrb, 0, 0);
    ng_block(&b, 0, 4, &nrb); /* Name Resolution Block */
    ng_idb(&b, 0, 1, 10, 0x80 | 10, 100);
    ng_block(&b, 0, 0x40000BAD, &nrb); /* custom block */
    ng_epb(&b, 0, 0, (UINT64_C(5) << 10) | 512, frame_a, sizeof frame_a, sizeof frame_a);
    ng_spb(&b, 0, frame_b, sizeof frame_b); /* cut to the snaplen of 10 */
    ng_block(&b, 0, 5, &nrb);               /* Interface Statistics Block */
    /* Section 2, big-endian, its own interface 0. */
    ng_shb(&b, 1);
    ng_idb(&b, 1, 228, 0, 3, 0); /* LINKTYPE_IPV4, milliseconds */
    ng_epb(&b, 1, 0, 7001, frame_b, sizeof frame_b, sizeof frame_b);
    struct rs_capture *c = open1(save("sections.pcapng", &b), NULL, &err);
    assert_non_null(c);
    struct rs_packet p;
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_PACKET);
    assert_int_equal(p.ts, 105 * RS_NS_PER_SEC + 500000000);
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_PACKET);
    assert_int_equal(p.ts, 105 * RS_NS_PER_SEC + 500000000); /* SPB: no stamp of its own */
    assert_int_equal(p.caplen, 10);
    assert_int_equal(p.len, sizeof frame_b);
    assert_memory_equal(p.data, frame_b, 10);
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_PACKET);
    assert_int_equal(p.linktype, 228);
    assert_int_equal(p.ts, 7 * RS_NS_PER_SEC + 1000000);
    assert_int_equal(p.number, 3);
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_END);
    assert_int_equal(rs_capture_damage(c, NULL, 0), 0);
    rs_capture_close(c);
    free(nrb.p);
    free(b.p);
}

static void
test_pcapng_nflog_swapped(void **state)
{
    (void)state;
    struct rs_error err;
    /* NFLOG TLV lengths and types are in the writer's byte order: big-endian here. */
    const uint8_t nflog[] = {2, 0, 0, 0, 0, 8, 0, 1, 0x11, 0x22, 0x33, 0x44};
    struct buf b = {0};
    ng_shb(&b, 1);
    ng_idb(&b, 1, 239, 0, -1, 0);
    ng_epb(&b, 1, 0, 1, nflog, sizeof nflog, sizeof nflog);
    ng_epb(&b, 1, 0, 2, nflog, sizeof nflog, sizeof nflog);
    const char *path = save("nflog.pcapng", &b);
    uint16_t one = 1;
    uint8_t little;
    memcpy(&little, &one, 1);
    /* read, and mapped (read-only: swapped in a copy), taken in batches */
    for (int mode = -1; mode <= 1; mode += 2) {
        struct rs_capture_opts o = {.pcap_mmap = mode};
        struct rs_capture *c = open1(path, &o, &err);
        assert_non_null(c);
        struct rs_packet p;
        for (int i = 0; i < 2; i++) {
            if (rs_capture_next_batch(c, &p, 1, 0) == 0)
                assert_int_equal(rs_capture_next_batch(c, &p, 1, 1), 1);
            uint16_t len, type;
            memcpy(&len, p.data + 4, 2);
            memcpy(&type, p.data + 6, 2);
            assert_int_equal(len, little ? 8 : 0x0800);
            assert_int_equal(type, little ? 1 : 0x0100);
            assert_int_equal(p.data[8], 0x11);
            assert_int_equal(p.number, i + 1);
        }
        assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_END);
        rs_capture_close(c);
    }
    free(b.p);
}

struct ng_damage_case {
    const char *name;
    const char *note;
};

/* ---- a file through a pipe ---- */

/*
 * The bytes of a file written into a pipe by a thread, in pieces of every
 * size from 1 byte to 100 KB (a deterministic cycle), so that the reader
 * meets records cut anywhere and reads that return less than it asked.
 */
struct piper {
    pthread_t th;
    int wfd;
    uint8_t *p;
    size_t n;
};

static void *
pipe_writer(void *arg)
{
    struct piper *pp = arg;
    static const size_t sizes[] = {1, 3, 17, 4096, 100000, 7, 65536, 300, 2, 9000};
    size_t off = 0;
    for (unsigned i = 0; off < pp->n; i++) {
        size_t k = sizes[i % (sizeof sizes / sizeof sizes[0])];
        if (k > pp->n - off)
            k = pp->n - off;
        ssize_t w = write(pp->wfd, pp->p + off, k);
        if (w <= 0)
            break; /* the reader stopped early (damage): EPIPE */
        off += (size_t)w;
    }
    close(pp->wfd);
    return NULL;
}

/* Opens `path` as a stream on a pipe fed by a thread (rs_capture_open_stream,
 * named `path`); pipe_done after closing the capture. */
static struct rs_capture *
open_piped(const char *path, const struct rs_capture_opts *o, struct rs_error *err,
           struct piper *pp)
{
    signal(SIGPIPE, SIG_IGN);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    struct stat st;
    assert_int_equal(fstat(fileno(f), &st), 0);
    pp->n = (size_t)st.st_size;
    pp->p = malloc(pp->n ? pp->n : 1);
    assert_non_null(pp->p);
    assert_int_equal(fread(pp->p, 1, pp->n, f), pp->n);
    fclose(f);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pp->wfd = fds[1];
    assert_int_equal(pthread_create(&pp->th, NULL, pipe_writer, pp), 0);
    FILE *r = fdopen(fds[0], "rb");
    assert_non_null(r);
    return rs_capture_open_stream(r, path, o, err);
}

static void
pipe_done(struct piper *pp)
{
    pthread_join(pp->th, NULL);
    free(pp->p);
}

static void
check_ng_damage(const char *name, const struct buf *b, int want_packets, const char *want)
{
    struct rs_error err;
    const char *path = save(name, b);
    for (int mode = -1; mode <= 2; mode++) { /* read, mapped, and through a pipe */
        if (mode == 0)
            continue;
        struct rs_capture_opts o = {.pcap_mmap = mode == 2 ? 0 : mode};
        struct piper pp;
        struct rs_capture *c = mode == 2 ? open_piped(path, &o, &err, &pp) : open1(path, &o, &err);
        assert_non_null(c);
        struct rs_packet p;
        int n = 0;
        while (rs_capture_next(c, &p) == RS_CAPTURE_PACKET)
            n++;
        assert_int_equal(n, want_packets);
        assert_int_equal(rs_capture_damage(c, NULL, 0), 1);
        if (!strstr(note(c, 0), want))
            fail_msg("note '%s' lacks '%s'", note(c, 0), want);
        assert_non_null(strstr(note(c, 0), name));
        rs_capture_close(c);
        if (mode == 2)
            pipe_done(&pp);
    }
}

static void
test_pcapng_damage(void **state)
{
    (void)state;
    struct buf good = {0};
    ng_shb(&good, 0);
    ng_idb(&good, 0, 1, 0, -1, 0);
    for (uint64_t i = 0; i < 3; i++)
        ng_epb(&good, 0, 0, i, frame_a, sizeof frame_a, sizeof frame_a);
    size_t epb = 12 + 20 + ((sizeof frame_a + 3) & ~(size_t)3);

    struct buf b = {0};
    put(&b, good.p, good.n - 6);
    check_ng_damage("ng-cut.pcapng", &b, 2, "truncated after packet 2: truncated pcapng file");

    b.n = 0;
    put(&b, good.p, good.n - epb);
    put32(&b, 0, 6);
    put32(&b, 0, 8); /* a block length below the 12-byte minimum */
    put32(&b, 0, 0);
    check_ng_damage("ng-short.pcapng", &b, 2, "has a length of 8 < 12");

    b.n = 0;
    put(&b, good.p, good.n - 4);
    put32(&b, 0, 1234); /* trailer disagrees with the header */
    check_ng_damage("ng-trailer.pcapng", &b, 2, "but its trailer says 1234");

    b.n = 0;
    put(&b, good.p, good.n - epb);
    ng_epb(&b, 0, 7, 9, frame_a, sizeof frame_a, sizeof frame_a);
    check_ng_damage("ng-ifid.pcapng", &b, 2, "interface 7, but there's no Interface Description");

    b.n = 0;
    put(&b, good.p, good.n - epb);
    struct buf body = {0};
    put32(&body, 0, 0);
    put32(&body, 0, 0);
    put32(&body, 0, 0);
    put32(&body, 0, 5000); /* caplen beyond the block */
    put32(&body, 0, 5000);
    ng_block(&b, 0, 6, &body);
    check_ng_damage("ng-caplen.pcapng", &b, 2, "says 5000 captured bytes but holds only 0");

    b.n = 0;
    put(&b, good.p, good.n - epb);
    put32(&b, 0, 6);
    put32(&b, 0, 0x7ffffff0u);
    check_ng_damage("ng-huge.pcapng", &b, 2, "above the 16777216-byte limit");

    /* Damage before any packet, but after a good header, is still just damage. */
    b.n = 0;
    ng_shb(&b, 0);
    ng_idb(&b, 0, 1, 0, -1, 0);
    put32(&b, 0, 6);
    check_ng_damage("ng-early.pcapng", &b, 0, "truncated before the first packet");

    /* Broken at open: the caller gets an input error. */
    struct rs_error err;
    b.n = 0;
    ng_shb(&b, 0);
    ng_epb(&b, 0, 0, 1, frame_a, sizeof frame_a, sizeof frame_a);
    assert_null(open1(save("ng-noidb.pcapng", &b), NULL, &err));
    assert_int_equal(err.code, RS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "packet block before any Interface Description Block"));
    b.n = 0;
    put32(&b, 0, 0x0A0D0D0A);
    put32(&b, 0, 28);
    put32(&b, 0, 0x12345678);
    assert_null(open1(save("ng-bom.pcapng", &b), NULL, &err));
    assert_non_null(strstr(err.msg, "bad byte-order magic"));
    b.n = 0;
    put32(&b, 0, 0x0A0D0D0A);
    put32(&b, 0, 28);
    put32(&b, 0, 0x1A2B3C4D);
    put16(&b, 0, 2);
    put16(&b, 0, 0);
    put32(&b, 0, 0);
    put32(&b, 0, 0);
    put32(&b, 0, 28);
    assert_null(open1(save("ng-v2.pcapng", &b), NULL, &err));
    assert_non_null(strstr(err.msg, "unsupported pcapng version 2.0"));
    /* An SHB and nothing else is an empty capture, not an error. */
    b.n = 0;
    ng_shb(&b, 0);
    struct rs_capture *c = open1(save("ng-empty.pcapng", &b), NULL, &err);
    assert_non_null(c);
    struct rs_packet p;
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_END);
    rs_capture_close(c);
    free(body.p);
    free(b.p);
    free(good.p);
}

/* Compares the own pcapng reader (reading, mode -1, mapped, 1, or through
 * a pipe, 2) with libpcap's on one file; 1 if compared. */
static int
compare_ng_one(const char *path, int mode)
{
    struct rs_error err;
    struct rs_capture_opts viapcap = {.pcapng_via_libpcap = 1},
                           own = {.pcap_mmap = mode == 2 ? 0 : mode};
    struct piper pp;
    struct rs_capture *a = mode == 2 ? open_piped(path, &own, &err, &pp) : open1(path, &own, &err);
    struct rs_capture *b = open1(path, &viapcap, &err);
    if (!a || !b) {
        /* Both must refuse alike. */
        assert_null(a);
        assert_null(b);
        if (mode == 2)
            pipe_done(&pp);
        return 0;
    }
    struct rs_packet pa, pb;
    int ra;
    for (;;) {
        int rb = rs_capture_next(b, &pb);
        ra = rs_capture_next(a, &pa);
        if (rb != RS_CAPTURE_PACKET)
            break;
        assert_int_equal(ra, RS_CAPTURE_PACKET);
        same_frame(&pa, &pb);
    }
    /* Where libpcap ended clean, so must we; where it gave up, we may read on. */
    if (rs_capture_damage(b, NULL, 0) == 0) {
        assert_int_equal(ra, RS_CAPTURE_END);
        assert_int_equal(rs_capture_damage(a, NULL, 0), 0);
    }
    rs_capture_close(a);
    rs_capture_close(b);
    if (mode == 2)
        pipe_done(&pp);
    return 1;
}

static int
compare_with_libpcap(const char *path)
{
    int n = compare_ng_one(path, -1);
    n += compare_ng_one(path, 2);
    return n + compare_ng_one(path, 1);
}

/* A pcapng file of the corpus under 20 MiB: compared with libpcap. */
static uint64_t
compare_pcapng_file(const char *path, const char *name, const struct stat *st, void *ctx)
{
    (void)ctx;
    size_t l = strlen(name);
    if (l > 7 && strcmp(name + l - 7, ".pcapng") == 0 && st->st_size < (off_t)20 * 1024 * 1024)
        return (uint64_t)compare_with_libpcap(path);
    return 0;
}

/*
 * The own reader against libpcap on every pcapng file of the shared corpus
 * (tests run from the repository root, ../shared beside it): same packets,
 * bytes, lengths and times.
 */
static void
test_pcapng_matches_libpcap_on_corpus(void **state)
{
    (void)state;
    int compared = (int)corpus_walk("../shared/corpus", compare_pcapng_file, NULL);
    print_message("compared %d pcapng files (read, piped and mapped) with libpcap\n", compared / 3);
    if (compared == 0)
        skip();
}

/* ---- filters ---- */

static size_t
make_frame(int tcp, enum rs_craft_link link, uint8_t *f, size_t cap)
{
    struct rs_craft_ip ip;
    memset(&ip, 0, sizeof ip);
    ip.link = link;
    rs_addr_parse(&ip.src, "10.0.0.1");
    rs_addr_parse(&ip.dst, "10.0.0.2");
    if (tcp) {
        struct rs_craft_tcp t;
        memset(&t, 0, sizeof t);
        t.ip = ip;
        t.sport = 1000;
        t.dport = 80;
        t.flags = RS_TCP_SYN;
        return rs_craft_tcp(&t, f, cap);
    }
    struct rs_craft_udp u;
    memset(&u, 0, sizeof u);
    u.ip = ip;
    u.sport = 1000;
    u.dport = 53;
    return rs_craft_udp(&u, f, cap);
}

/* ---- the mmap fast path against libpcap ---- */

/*
 * Reads `path` through the fast path (block reads, or one mapping when
 * `mapped`) and through libpcap (with the
 * same filter) and requires the very same stream: packets, bytes, lengths,
 * times, link types, frame numbers, damage notes word for word, and the
 * final file info. Returns 1 when compared, 0 when both refused to open.
 */
static int
compare_one(const char *path, const char *filter, int mode)
{
    int mapped = mode & 1, batched = mode & 2, piped = mode & 4;
    struct rs_error ea, eb;
    struct rs_capture_opts fast = {.filter = filter, .pcap_mmap = mapped ? 1 : -1};
    struct rs_capture_opts slow = {.filter = filter, .pcap_via_libpcap = 1};
    struct piper pp;
    struct rs_capture *a = piped ? open_piped(path, &fast, &ea, &pp) : open1(path, &fast, &ea);
    struct rs_capture *b = open1(path, &slow, &eb);
    if (!a || !b) {
        assert_null(a);
        assert_null(b);
        assert_string_equal(ea.msg, eb.msg);
        if (piped)
            pipe_done(&pp);
        return 0;
    }
    struct rs_packet pa, pb;
    int ra, rb;
    /* batched: frames taken from `a` by rs_capture_next_batch, 7 at a
     * time without reading while it has some, then one reading */
    struct rs_packet held[7];
    size_t nheld = 0, at = 0;
    do {
        if (batched) {
            if (at == nheld) {
                at = 0;
                nheld = rs_capture_next_batch(a, held, 7, 0);
                if (nheld == 0)
                    nheld = rs_capture_next_batch(a, held, 7, 1);
            }
            ra = at < nheld ? RS_CAPTURE_PACKET : RS_CAPTURE_END;
            if (at < nheld)
                pa = held[at++];
        } else {
            ra = rs_capture_next(a, &pa);
        }
        rb = rs_capture_next(b, &pb);
        assert_int_equal(ra, rb);
        if (ra != RS_CAPTURE_PACKET)
            break;
        same_frame(&pa, &pb);
    } while (1);
    size_t na = rs_capture_damage(a, NULL, 0);
    assert_int_equal(na, rs_capture_damage(b, NULL, 0));
    for (size_t i = 0; i < na && i < 16; i++)
        assert_string_equal(note(a, i), note(b, i));
    struct rs_capture_file_info fa, fb;
    rs_capture_file_info(a, 0, &fa);
    rs_capture_file_info(b, 0, &fb);
    assert_string_equal(fa.format, fb.format);
    assert_int_equal(fa.linktype, fb.linktype);
    assert_int_equal(fa.records, fb.records);
    assert_int_equal(fa.packets, fb.packets);
    assert_int_equal(fa.damaged, fb.damaged);
    /* A file's reader, stopped by damage, counts the whole file consumed;
     * a pipe's knows only how far it got. */
    if (piped && fb.damaged)
        assert_true(fa.offset <= fb.offset);
    else
        assert_int_equal(fa.offset, fb.offset);
    rs_capture_close(a);
    rs_capture_close(b);
    if (piped)
        pipe_done(&pp);
    return 1;
}

/* Both fast-path windows (block reads, one mapping) and a pipe (4: read
 * as the data comes, stream.c; or libpcap where the fast path declines),
 * each read frame by frame and taken in batches, against libpcap. */
static int
compare_mmap_with_libpcap(const char *path, const char *filter)
{
    int n = 0;
    for (int mode = 0; mode < 4; mode++)
        n += compare_one(path, filter, mode);
    n += compare_one(path, filter, 4);
    n += compare_one(path, filter, 4 | 2);
    return n;
}

/* Reads a and ref on to their ends (a frame by frame, or in batches of
 * one that may read), requiring the same frames; returns how many. */
static size_t
read_on_alike(struct rs_capture *a, struct rs_capture *ref, int batched)
{
    size_t total = 0;
    struct rs_packet pa, pr;
    for (;;) {
        int ra;
        if (batched)
            ra = rs_capture_next_batch(a, &pa, 1, 1) ? RS_CAPTURE_PACKET : RS_CAPTURE_END;
        else
            ra = rs_capture_next(a, &pa);
        int rb = rs_capture_next(ref, &pr);
        assert_int_equal(ra, rb);
        if (ra != RS_CAPTURE_PACKET)
            return total;
        total++;
        assert_int_equal(pa.number, pr.number);
        assert_int_equal(pa.ts, pr.ts);
        assert_int_equal(pa.caplen, pr.caplen);
        assert_int_equal(frame_sum(&pa), frame_sum(&pr));
    }
}

/*
 * A mapped file cut shorter while it is read (a ring buffer rotated under
 * us): the pages past the new end would raise SIGBUS if touched. The
 * reader sees the shrink before it maps further and reads on in blocks,
 * ending as libpcap does on the cut file: the same frames, the same note.
 * Whatever it returned before stays readable (frames taken in a batch).
 */
static void
test_mmap_file_shrinks(void **state)
{
    (void)state;
    struct rs_error err;
    struct buf b = many_frames(40000); /* ~30 MiB */
    const char *path = save("mm-shrink.pcap", &b);
    const size_t cut = ((size_t)16 << 20) + 7; /* beyond what the first frames map */
    struct buf c = {b.p, cut, b.n};
    const char *cut_path = save("mm-shrink-cut.pcap", &c);

    for (int batched = 0; batched < 2; batched++) {
        save("mm-shrink.pcap", &b);
        struct rs_capture_opts o = {.pcap_mmap = 1};
        struct rs_capture *a = open1(path, &o, &err);
        struct rs_capture_opts lo = {.pcap_via_libpcap = 1};
        struct rs_capture *ref = open1(cut_path, &lo, &err);
        assert_non_null(a);
        assert_non_null(ref);
        struct rs_packet held[16], pr;
        size_t n = rs_capture_next_batch(a, held, 16, 1);
        assert_int_equal(n, 1);
        n += rs_capture_next_batch(a, held + 1, 15, 0);
        assert_true(n > 1);
        uint32_t sums[16];
        for (size_t i = 0; i < n; i++)
            sums[i] = frame_sum(&held[i]);
        assert_int_equal(truncate(path, (off_t)cut), 0);
        /* the frames taken before the cut are still there */
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(rs_capture_next(ref, &pr), RS_CAPTURE_PACKET);
            assert_int_equal(held[i].caplen, pr.caplen);
            assert_int_equal(sums[i], frame_sum(&pr));
            assert_int_equal(sums[i], frame_sum(&held[i]));
        }
        size_t total = n + read_on_alike(a, ref, batched);
        assert_true(total > 20000); /* most of the first 16 MiB */
        assert_int_equal(rs_capture_damage(a, NULL, 0), 1);
        /* the same words after the file's name */
        assert_non_null(strstr(note(a, 0), "mm-shrink.pcap: truncated after packet"));
        assert_string_equal(strstr(note(a, 0), ": "), strstr(note(ref, 0), ": "));
        rs_capture_close(a);
        rs_capture_close(ref);
    }
    free(b.p);
}

/* The same for pcapng: the reader reads on through its FILE from where the
 * parse is, and ends as reading the cut file does. */
static void
test_pcapng_mapped_file_shrinks(void **state)
{
    (void)state;
    struct rs_error err;
    struct buf b = {0};
    ng_shb(&b, 0);
    ng_idb(&b, 0, 1, 0, -1, 0);
    uint8_t f[1514];
    for (uint32_t i = 0; b.n < ((size_t)30 << 20); i++) {
        uint32_t len = 60 + (i * 7919) % 1455;
        for (uint32_t j = 0; j < len; j++)
            f[j] = (uint8_t)(i + j * 13);
        ng_epb(&b, 0, 0, 1000000 + i, f, len, len);
    }
    const char *path = save("ng-shrink.pcapng", &b);
    const size_t cut = ((size_t)16 << 20) + 7;
    struct buf c = {b.p, cut, b.n};
    const char *cut_path = save("ng-shrink-cut.pcapng", &c);
    struct rs_capture_opts mapped = {.pcap_mmap = 1}, read = {.pcap_mmap = -1};
    struct rs_capture *a = open1(path, &mapped, &err);
    struct rs_capture *ref = open1(cut_path, &read, &err);
    assert_non_null(a);
    assert_non_null(ref);
    struct rs_packet held[16], pr;
    size_t n = rs_capture_next_batch(a, held, 16, 1);
    n += rs_capture_next_batch(a, held + n, 16 - n, 0);
    assert_true(n > 1);
    assert_int_equal(truncate(path, (off_t)cut), 0);
    for (size_t i = 0; i < n; i++) { /* taken before the cut, still readable */
        assert_int_equal(rs_capture_next(ref, &pr), RS_CAPTURE_PACKET);
        assert_int_equal(frame_sum(&held[i]), frame_sum(&pr));
    }
    size_t total = n + read_on_alike(a, ref, 0);
    assert_true(total > 20000);
    assert_int_equal(rs_capture_damage(a, NULL, 0), 1);
    assert_string_equal(strstr(note(a, 0), ": "), strstr(note(ref, 0), ": "));
    rs_capture_close(a);
    rs_capture_close(ref);
    free(b.p);
}

/* The measured choice (opts.pcap_mmap 0) gives libpcap's frames whichever
 * way it goes: a large file left alone for a while, so that mapping is
 * considered, and a small one, read in blocks. */
static void
test_mmap_auto_matches_libpcap(void **state)
{
    (void)state;
    struct rs_error err;
    struct buf b = many_frames(50000); /* ~38 MiB: above the 32 MiB floor */
    b.n -= 100;                        /* the last record cut short: damage */
    const char *path = save("mm-auto.pcap", &b);
    struct timeval old[2] = {{time(NULL) - 3600, 0}, {time(NULL) - 3600, 0}};
    assert_int_equal(utimes(path, old), 0);
    for (int small = 0; small < 2; small++) {
        if (small) {
            struct buf s = {b.p, 2000000, b.n};
            path = save("mm-auto.pcap", &s);
            assert_int_equal(utimes(path, old), 0);
        }
        struct rs_capture_opts fast = {0}, slow = {.pcap_via_libpcap = 1};
        struct rs_capture *a = open1(path, &fast, &err);
        struct rs_capture *r = open1(path, &slow, &err);
        assert_non_null(a);
        assert_non_null(r);
        struct rs_packet held[64], pr;
        size_t n, total = 0;
        while ((n = rs_capture_next_batch(a, held, 64, 1)) > 0) {
            n += rs_capture_next_batch(a, held + n, 64 - n, 0);
            for (size_t i = 0; i < n; i++, total++) {
                assert_int_equal(rs_capture_next(r, &pr), RS_CAPTURE_PACKET);
                assert_int_equal(held[i].number, pr.number);
                assert_int_equal(held[i].ts, pr.ts);
                assert_int_equal(held[i].caplen, pr.caplen);
                assert_int_equal(frame_sum(&held[i]), frame_sum(&pr));
            }
        }
        assert_int_equal(rs_capture_next(r, &pr), RS_CAPTURE_END);
        assert_true(total > (small ? 2000u : 49000u));
        assert_int_equal(rs_capture_damage(a, NULL, 0), 1);
        assert_string_equal(note(a, 0), note(r, 0));
        rs_capture_close(a);
        rs_capture_close(r);
    }
    free(b.p);
}

/* Every way a classic file can be odd, in both byte orders and precisions. */
static void
test_mmap_matches_libpcap_crafted(void **state)
{
    (void)state;
    uint8_t big[300000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 7 + 3);
    uint8_t tcp[100];
    size_t tn = make_frame(1, RS_CRAFT_LINK_ETHERNET, tcp, sizeof tcp);
    int n = 0;
    for (int big_endian = 0; big_endian < 2; big_endian++) {
        for (int ns = 0; ns < 2; ns++) {
            uint32_t magic = ns ? 0xa1b23c4d : 0xa1b2c3d4;
            struct buf b = {0};
            /* Plain records, odd times (top bit set in seconds and fraction). */
            pcap_header(&b, big_endian, magic, 65535, 1);
            pcap_record(&b, big_endian, 1, 999999, 0, 0, NULL, 0);
            pcap_record(&b, big_endian, 0xffffffffu, 999999999, (uint32_t)tn, 1514, tcp, tn);
            pcap_record(&b, big_endian, 0x7fffffff, 0xfffffff0u, sizeof frame_a, 60, frame_a,
                        sizeof frame_a);
            pcap_record(&b, big_endian, 2000000000u, 12, 70000, 70000, big, 70000);
            n += compare_mmap_with_libpcap(save("mm-plain.pcap", &b), NULL);
            n += compare_mmap_with_libpcap(save("mm-plain.pcap", &b), "tcp");
            /* Every prefix of the file: truncated header, data, file header. */
            for (size_t cut = 0; cut < b.n && cut < 200; cut++) {
                struct buf c = {b.p, cut, b.n};
                n += compare_mmap_with_libpcap(save("mm-cut.pcap", &c), NULL);
            }
            struct buf c = {b.p, b.n - 1, b.n};
            n += compare_mmap_with_libpcap(save("mm-cut.pcap", &c), NULL);
            free(b.p);

            /* snaplen 50: bigger records are cut; cut files around the cut. */
            b = (struct buf){0};
            pcap_header(&b, big_endian, magic, 50, 1);
            pcap_record(&b, big_endian, 5, 1, 100, 100, big, 100);
            pcap_record(&b, big_endian, 6, 1, 262144, 262144, big, 262144);
            pcap_record(&b, big_endian, 7, 1, sizeof frame_a, 60, frame_a, sizeof frame_a);
            n += compare_mmap_with_libpcap(save("mm-snap.pcap", &b), NULL);
            size_t cuts[] = {24 + 16 + 30, 24 + 16 + 50, 24 + 16 + 99, 24 + 116 + 16 + 10,
                             24 + 116 + 16 + 262143};
            for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
                struct buf d = {b.p, cuts[i], b.n};
                n += compare_mmap_with_libpcap(save("mm-snapcut.pcap", &d), NULL);
            }
            free(b.p);

            /* caplen above 262144: damage; snaplen 0 and above the maximum. */
            for (int k = 0; k < 3; k++) {
                uint32_t snaps[] = {0, 1000000, 65535};
                b = (struct buf){0};
                pcap_header(&b, big_endian, magic, snaps[k], 1);
                pcap_record(&b, big_endian, 1, 0, (uint32_t)tn, (uint32_t)tn, tcp, tn);
                pcap_record(&b, big_endian, 2, 0, 262145, 262145, big, 262145);
                n += compare_mmap_with_libpcap(save("mm-huge.pcap", &b), NULL);
                free(b.p);
            }

            /* Variants the fast path hands to libpcap: old version, Kuznetzov,
             * link types 12/14, foreign-order NFLOG, an unknown link type. */
            uint32_t lts[] = {12, 14, 239, 147, 101, 276, 0};
            for (size_t i = 0; i < sizeof lts / sizeof lts[0]; i++) {
                b = (struct buf){0};
                pcap_header(&b, big_endian, magic, 65535, lts[i]);
                pcap_record(&b, big_endian, 1, 0, sizeof frame_b, sizeof frame_b, frame_b,
                            sizeof frame_b);
                n += compare_mmap_with_libpcap(save("mm-lt.pcap", &b), NULL);
                free(b.p);
            }
            b = (struct buf){0};
            pcap_header(&b, big_endian, magic, 65535, 1);
            b.p[big_endian ? 7 : 6] = 2; /* version 2.2: caplen and len swapped */
            pcap_record(&b, big_endian, 1, 0, 60, sizeof frame_a, frame_a, sizeof frame_a);
            n += compare_mmap_with_libpcap(save("mm-v22.pcap", &b), NULL);
            free(b.p);
        }
    }
    /* Records across the fast path's 512 KiB blocks, cut at odd places. */
    struct buf m = {0};
    pcap_header(&m, 0, 0xa1b2c3d4, 262144, 1);
    for (uint32_t i = 0; i < 90; i++) {
        uint32_t len = (i * 7919u) % 65000 + i % 3;
        pcap_record(&m, 0, 100 + i, i, len, len + 4, big + i, len);
    }
    n += compare_mmap_with_libpcap(save("mm-blocks.pcap", &m), NULL);
    size_t total = m.n;
    for (size_t cut = 524288 - 20; cut < total; cut += 524288 / 3 + 1) {
        m.n = cut;
        n += compare_mmap_with_libpcap(save("mm-blocks-cut.pcap", &m), NULL);
    }
    free(m.p);

    /* Kuznetzov's modified format (24-byte records). */
    struct buf k = {0};
    pcap_header(&k, 0, 0xa1b2cd34, 65535, 1);
    pcap_record(&k, 0, 1, 0, sizeof frame_a, sizeof frame_a, NULL, 0);
    put(&k, "\0\0\0\0\0\0\0\0", 8);
    put(&k, frame_a, sizeof frame_a);
    n += compare_mmap_with_libpcap(save("mm-kuz.pcap", &k), NULL);
    free(k.p);
    assert_true(n > 800);
}

/*
 * rs_capture_lookahead: at every frame, the frame `depth` ahead, never a
 * wrong one, including across block refills (records of 60 KB, so the
 * 512 KiB block is refilled every few frames and the cursor must follow the
 * window) and when the depth changes; nothing on the libpcap path.
 */
static void
test_lookahead_cursor(void **state)
{
    (void)state;
    enum { N = 60, BIG = 60000 };
    struct buf b = {0};
    pcap_header(&b, 0, 0xa1b2c3d4, 65535, 1);
    static uint8_t f[BIG];
    for (int i = 0; i < N; i++) {
        size_t len = i % 3 ? BIG - (size_t)i * 7 : 60; /* big and small records, as checked below */
        memset(f, 0x55, len);
        f[0] = (uint8_t)i;
        pcap_record(&b, 0, 10 + (uint32_t)i, 0, (uint32_t)len, (uint32_t)len, f, len);
    }
    const char *path = save("lookahead.pcap", &b);
    struct rs_error err;
    struct rs_capture *c = open1(path, NULL, &err);
    assert_non_null(c);
    struct rs_packet p, q;
    assert_int_equal(rs_capture_lookahead(c, 8, &q), 0); /* nothing returned yet */
    int seen = 0;
    for (int i = 0; i < N; i++) {
        assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_PACKET);
        assert_int_equal(p.data[0], i);
        unsigned depth = i < N / 2 ? 8 : 3; /* the depth may change */
        if (rs_capture_lookahead(c, depth, &q)) {
            assert_true(i + (int)depth < N);
            assert_int_equal(q.data[0], i + (int)depth);
            int k = i + (int)depth;
            assert_int_equal(q.caplen, k % 3 ? BIG - (uint32_t)k * 7 : 60);
            seen++;
        }
        assert_int_equal(rs_capture_lookahead(c, 0, &q), 0);
    }
    assert_true(seen > N / 2); /* it does look ahead, beyond a block's end it may not */
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_END);
    rs_capture_close(c);
    struct rs_capture_opts slow = {.pcap_via_libpcap = 1};
    c = open1(path, &slow, &err);
    assert_non_null(c);
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_PACKET);
    assert_int_equal(rs_capture_lookahead(c, 1, &q), 0);
    rs_capture_close(c);
    free(b.p);
}

struct fed {
    uint64_t ids[64], pkts[64], bytes[64];
    int end[64];
    size_t n;
    uint64_t ticks;
};

static void
fed_record(const struct rs_record *r, void *user)
{
    struct fed *d = user;
    assert_true(d->n < 64);
    d->ids[d->n] = r->id;
    d->pkts[d->n] = r->client_pkts + r->server_pkts;
    d->bytes[d->n] = r->client_bytes + r->server_bytes;
    d->end[d->n++] = (int)r->end_reason;
}

static void
fed_tick(void *ctx)
{
    ((struct fed *)ctx)->ticks++;
}

/* rs_engine_feed gives the records of a plain read loop, counts every frame
 * (the one the caller already took, too) and ticks once per frame. */
static void
test_engine_feed(void **state)
{
    (void)state;
    char path[512];
    const char *top = getenv("TOP");
    snprintf(path, sizeof path, "%s/examples/loopback-resets.pcap", top ? top : ".");
    struct rs_engine_config cfg;
    rs_engine_config_default(&cfg, RS_PROFILE_PANOS);
    cfg.hash_seed = 42;
    struct fed plain = {0}, fed = {0};
    struct rs_error err;

    struct rs_capture *c = open1(path, NULL, &err);
    assert_non_null(c);
    struct rs_engine *e = rs_engine_new(&cfg, fed_record, &plain, &err);
    assert_non_null(e);
    struct rs_packet p;
    uint64_t frames = 0;
    while (rs_capture_next(c, &p) == RS_CAPTURE_PACKET) {
        rs_engine_packet(e, &p);
        frames++;
    }
    rs_engine_finish(e);
    rs_engine_free(e);
    rs_capture_close(c);

    c = open1(path, NULL, &err);
    assert_non_null(c);
    e = rs_engine_new(&cfg, fed_record, &fed, &err);
    assert_non_null(e);
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_PACKET);
    assert_int_equal(rs_engine_feed(e, c, &p, fed_tick, &fed), frames);
    assert_int_equal(fed.ticks, frames);
    assert_int_equal(rs_engine_feed(e, c, NULL, NULL, NULL), 0); /* nothing left */
    rs_engine_finish(e);
    rs_engine_free(e);
    rs_capture_close(c);

    assert_true(frames > 10);
    assert_true(plain.n > 5);
    assert_int_equal(fed.n, plain.n);
    for (size_t i = 0; i < plain.n; i++) {
        assert_int_equal(fed.ids[i], plain.ids[i]);
        assert_int_equal(fed.pkts[i], plain.pkts[i]);
        assert_int_equal(fed.bytes[i], plain.bytes[i]);
        assert_int_equal(fed.end[i], plain.end[i]);
    }
}

/*
 * The engine's feed loop holds up to 72 taken frames while it takes the
 * next batch; a mapped file must keep their pages. With rs_mapping_guard
 * the pages the reader drops behind itself are made unreadable: a frame
 * still held there faults (it did, with the drop right behind the reader:
 * its pages came back as 2 MiB pages and stayed, +60 MB of RSS on the
 * bench's 3.5M capture). A 23 MB capture, classic and pcapng, mapped.
 */
static void
test_mapping_keeps_held_frames(void **state)
{
    (void)state;
    struct buf pc = many_frames(30000);
    struct buf ng = {0};
    ng_shb(&ng, 0);
    ng_idb(&ng, 0, 1, 65535, -1, 0);
    for (int i = 0; i < 30000; i++) {
        uint32_t len = 60 + (uint32_t)(i * 7919) % 1455;
        static uint8_t f[1514];
        for (uint32_t j = 0; j < len; j++)
            f[j] = (uint8_t)((uint32_t)i + j * 13);
        ng_epb(&ng, 0, 0, (uint64_t)i * 1000, f, len, len);
    }
    const struct buf *caps[2] = {&pc, &ng};
    rs_mapping_guard = 1;
    for (int k = 0; k < 2; k++) {
        struct rs_capture_opts o = {.pcap_mmap = 1};
        struct rs_error err;
        struct rs_capture *c = open1(save(k ? "guard.pcapng" : "guard.pcap", caps[k]), &o, &err);
        assert_non_null(c);
        struct rs_engine_config cfg;
        rs_engine_config_default(&cfg, RS_PROFILE_PANOS);
        struct fed fed = {0};
        struct rs_engine *e = rs_engine_new(&cfg, fed_record, &fed, &err);
        assert_non_null(e);
        assert_int_equal(rs_engine_feed(e, c, NULL, NULL, NULL), 30000);
        rs_engine_finish(e);
        rs_engine_free(e);
        rs_capture_close(c);
    }
    rs_mapping_guard = 0;
    free(pc.p);
    free(ng.p);
}

/* rs_capture_peek sees the next records on the fast path, nothing elsewhere. */
static void
test_peek(void **state)
{
    (void)state;
    struct rs_error err;
    struct buf b = simple_pcap(4, 10, 1);
    const char *path = save("peek.pcap", &b);
    struct rs_capture *c = open1(path, NULL, &err);
    assert_non_null(c);
    struct rs_packet p, q;
    assert_int_equal(rs_capture_peek(c, 1, &q), 0); /* nothing returned yet */
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_PACKET);
    for (int i = 0; i < 4; i++) {
        struct rs_packet a1, a2;
        int h1 = rs_capture_peek(c, 1, &a1), h2 = rs_capture_peek(c, 2, &a2);
        assert_int_equal(h1, i + 1 < 4);
        assert_int_equal(h2, i + 2 < 4);
        assert_int_equal(rs_capture_peek(c, 0, &q), 0);
        if (i + 1 < 4) {
            assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_PACKET);
            assert_int_equal(a1.caplen, p.caplen);
            assert_int_equal(a1.len, p.len);
            assert_int_equal(a1.linktype, p.linktype);
            assert_memory_equal(a1.data, p.data, p.caplen);
            assert_int_equal(p.data[0], i + 1);
            if (h2)
                assert_int_equal(a2.data[0], i + 2);
        }
    }
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_END);
    assert_int_equal(rs_capture_peek(c, 1, &q), 0);
    rs_capture_close(c);
    /* libpcap path: no lookahead. */
    struct rs_capture_opts slow = {.pcap_via_libpcap = 1};
    c = open1(path, &slow, &err);
    assert_non_null(c);
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_PACKET);
    assert_int_equal(rs_capture_peek(c, 1, &q), 0);
    rs_capture_close(c);
    free(b.p);
}

static int
is_classic_pcap(const char *path)
{
    uint32_t v = corpus_magic(path);
    return v == 0xa1b2c3d4u || v == 0xa1b23c4du || v == 0xd4c3b2a1u || v == 0x4d3cb2a1u ||
           v == 0xa1b2cd34u || v == 0x34cdb2a1u;
}

/* A classic pcap of the corpus under 64 MiB: both fast paths against libpcap. */
static uint64_t
compare_mmap_file(const char *path, const char *name, const struct stat *st, void *ctx)
{
    (void)name;
    (void)ctx;
    if (S_ISREG(st->st_mode) && st->st_size < (off_t)64 * 1024 * 1024 && is_classic_pcap(path))
        return (uint64_t)compare_mmap_with_libpcap(path, NULL);
    return 0;
}

/* Every classic pcap of the shared corpus, both paths (skipped without it). */
static void
test_mmap_matches_libpcap_on_corpus(void **state)
{
    (void)state;
    int compared = (int)corpus_walk("../shared/corpus", compare_mmap_file, NULL);
    print_message("compared %d classic pcap files (x6: 2 windows and a pipe, frames and batches) "
                  "with libpcap\n",
                  compared / 6);
    if (compared == 0)
        skip();
}

static void
test_filter_keeps_frame_numbers(void **state)
{
    (void)state;
    struct rs_error err;
    uint8_t t[100], u[100];
    size_t tn = make_frame(1, RS_CRAFT_LINK_ETHERNET, t, sizeof t);
    size_t un = make_frame(0, RS_CRAFT_LINK_ETHERNET, u, sizeof u);
    struct buf b = {0};
    pcap_header(&b, 0, 0xa1b2c3d4, 65535, 1);
    for (uint32_t i = 0; i < 4; i++)
        pcap_record(&b, 0, i, 0, (uint32_t)(i % 2 ? un : tn), (uint32_t)(i % 2 ? un : tn),
                    i % 2 ? u : t, i % 2 ? un : tn);
    struct rs_capture_opts o = {.filter = "udp"};
    struct rs_capture *c = open1(save("tu.pcap", &b), &o, &err);
    assert_non_null(c);
    struct rs_packet p;
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_PACKET);
    assert_int_equal(p.number, 2);
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_PACKET);
    assert_int_equal(p.number, 4);
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_END);
    struct rs_capture_file_info fi;
    rs_capture_file_info(c, 0, &fi);
    assert_int_equal(fi.records, 4);
    assert_int_equal(fi.packets, 2);
    rs_capture_close(c);

    /* pcapng with Ethernet and raw IP interfaces: the filter works on both. */
    uint8_t rt[100], ru[100];
    size_t rtn = make_frame(1, RS_CRAFT_LINK_RAW, rt, sizeof rt);
    size_t run = make_frame(0, RS_CRAFT_LINK_RAW, ru, sizeof ru);
    b.n = 0;
    ng_shb(&b, 0);
    ng_idb(&b, 0, 1, 0, -1, 0);
    ng_idb(&b, 0, 101, 0, -1, 0);
    ng_epb(&b, 0, 0, 1, t, (uint32_t)tn, (uint32_t)tn);
    ng_epb(&b, 0, 1, 2, rt, (uint32_t)rtn, (uint32_t)rtn);
    ng_epb(&b, 0, 1, 3, ru, (uint32_t)run, (uint32_t)run);
    ng_epb(&b, 0, 0, 4, u, (uint32_t)un, (uint32_t)un);
    o.filter = "tcp port 80";
    c = open1(save("tu.pcapng", &b), &o, &err);
    assert_non_null(c);
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_PACKET);
    assert_int_equal(p.number, 1);
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_PACKET);
    assert_int_equal(p.number, 2);
    assert_int_equal(p.linktype, 101);
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_END);
    rs_capture_close(c);

    /* A filter that only makes sense on the first interface's link type. */
    o.filter = "ether src 02:00:00:00:00:01";
    c = open1(save("tu.pcapng", &b), &o, &err);
    assert_non_null(c);
    int n = 0;
    while (rs_capture_next(c, &p) == RS_CAPTURE_PACKET) {
        assert_int_equal(p.linktype, 1);
        n++;
    }
    assert_int_equal(n, 2);
    assert_int_equal(rs_capture_damage(c, NULL, 0), 1);
    assert_non_null(strstr(note(c, 0), "cannot apply to link type RAW"));
    rs_capture_close(c);
    free(b.p);
}

/* ---- stdin and streams ---- */

static int saved_stdin = -1;

static void
stdin_from_fd(int fd)
{
    if (saved_stdin < 0)
        saved_stdin = dup(0);
    assert_int_not_equal(dup2(fd, 0), -1);
    close(fd);
    clearerr(stdin);
}

static void
stdin_restore(void)
{
    dup2(saved_stdin, 0);
    clearerr(stdin);
}

/* Feeds `b` into a pipe from a child process; returns the read end. */
static int
pipe_from_child(const struct buf *b, pid_t *pid)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    *pid = fork();
    assert_true(*pid >= 0);
    if (*pid == 0) {
        close(fds[0]);
        size_t off = 0;
        while (off < b->n) {
            ssize_t w = write(fds[1], b->p + off, b->n - off > 7 ? 7 : b->n - off);
            if (w <= 0)
                _exit(1);
            off += (size_t)w;
        }
        _exit(0);
    }
    close(fds[1]);
    return fds[0];
}

static int
count_stdin(const char *want_format, uint64_t *records)
{
    struct rs_error err;
    struct rs_capture *c = open1("-", NULL, &err);
    if (!c)
        fail_msg("open stdin: %s", err.msg);
    struct rs_packet p;
    int n = 0;
    while (rs_capture_next(c, &p) == RS_CAPTURE_PACKET)
        n++;
    struct rs_capture_file_info fi;
    rs_capture_file_info(c, 0, &fi);
    assert_string_equal(fi.path, "-");
    assert_string_equal(fi.format, want_format);
    *records = fi.records;
    if (rs_capture_damage(c, NULL, 0))
        assert_non_null(strstr(note(c, 0), "stdin: truncated after packet"));
    rs_capture_close(c);
    return n;
}

/* ---- compressed captures ---- */

/* The n bytes at p as gzip (RFC 1952) in `members` members, or as zstd in
 * `members` frames; the caller frees. */
static struct buf
compress_buf(const uint8_t *p, size_t n, int zstd, int members)
{
    struct buf out = {0};
    size_t at = 0;
    for (int k = 0; k < members; k++) {
        size_t part = k == members - 1 ? n - at : n / (size_t)members;
        if (zstd) {
            size_t cap = ZSTD_compressBound(part);
            uint8_t *z = malloc(cap);
            assert_non_null(z);
            size_t zn = ZSTD_compress(z, cap, p + at, part, 3);
            assert_false(ZSTD_isError(zn));
            put(&out, z, zn);
            free(z);
        } else {
            z_stream zs;
            memset(&zs, 0, sizeof zs);
            assert_int_equal(
                deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
            size_t cap = deflateBound(&zs, (uLong)part);
            uint8_t *z = malloc(cap);
            assert_non_null(z);
            zs.next_in = (Bytef *)(uintptr_t)(p + at);
            zs.avail_in = (uInt)part;
            zs.next_out = z;
            zs.avail_out = (uInt)cap;
            assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
            put(&out, z, cap - zs.avail_out);
            deflateEnd(&zs);
            free(z);
        }
        at += part;
    }
    return out;
}

static struct buf
read_whole(const char *path)
{
    struct buf b = {0};
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        put(&b, tmp, n);
    fclose(f);
    return b;
}

/* A note without the file name it starts with. */
static const char *
after_name(const char *note_text)
{
    const char *c = strstr(note_text, ": ");
    return c ? c + 2 : note_text;
}

/*
 * Reads `plain` and its compressed copy `packed` (kind "gzip" or "zstd")
 * and requires the same frames, the same damage notes (but for the file
 * name and, where the compressed data itself is cut or corrupt, one more
 * note saying so: want_fault), and the compression named. 1 if compared.
 */
static int
compare_packed(const char *plain, const char *packed, const char *kind, const char *want_fault)
{
    struct rs_error ea, eb;
    struct rs_capture *a = open1(packed, NULL, &ea);
    struct rs_capture *b = open1(plain, NULL, &eb);
    if (!a || !b) {
        assert_null(a);
        assert_null(b);
        assert_string_equal(after_name(ea.msg), after_name(eb.msg));
        return 0;
    }
    struct rs_packet pa, pb;
    int ra, rb;
    do {
        ra = rs_capture_next(a, &pa);
        rb = rs_capture_next(b, &pb);
        if (want_fault && rb == RS_CAPTURE_PACKET && ra != RS_CAPTURE_PACKET)
            break; /* a cut or corrupt copy ends early */
        assert_int_equal(ra, rb);
        if (ra != RS_CAPTURE_PACKET)
            break;
        same_frame(&pa, &pb);
    } while (1);
    struct rs_capture_file_info fa;
    rs_capture_file_info(a, 0, &fa);
    assert_non_null(fa.compression);
    assert_string_equal(fa.compression, kind);
    assert_true(fa.done);
    assert_true(fa.offset <= fa.size);
    size_t na = rs_capture_damage(a, NULL, 0), nb = rs_capture_damage(b, NULL, 0);
    if (want_fault) {
        /* Damage says where it ends; the fault, when the decompressor got
         * there before the capture's reader stopped (corrupt data can
         * decompress to a record the reader refuses first). */
        assert_true(na >= 1);
        if (want_fault[0] && !strstr(note(a, na - 1), want_fault))
            fail_msg("note '%s' lacks '%s'", note(a, na - 1), want_fault);
    } else {
        assert_int_equal(na, nb);
        for (size_t i = 0; i < na && i < 16; i++)
            assert_string_equal(after_name(note(a, i)), after_name(note(b, i)));
        assert_int_equal(fa.offset, fa.size); /* every compressed byte read */
    }
    rs_capture_close(a);
    rs_capture_close(b);
    return 1;
}

/* A capture of the corpus: as gzip in two members and as zstd in two
 * frames, each read against the plain file. */
static uint64_t
compare_packed_file(const char *path, const char *name, const struct stat *st, void *ctx)
{
    (void)ctx;
    size_t l = strlen(name);
    int ng = l > 7 && strcmp(name + l - 7, ".pcapng") == 0;
    if (!S_ISREG(st->st_mode) || st->st_size > (off_t)16 * 1024 * 1024 ||
        (!ng && !is_classic_pcap(path)))
        return 0;
    struct buf plain = read_whole(path);
    uint64_t n = 0;
    for (int zstd = 0; zstd <= 1; zstd++) {
        struct buf z = compress_buf(plain.p, plain.n, zstd, 2);
        n += (uint64_t)compare_packed(path, save(zstd ? "packed.zst" : "packed.gz", &z),
                                      zstd ? "zstd" : "gzip", NULL);
        free(z.p);
    }
    free(plain.p);
    return n;
}

static void
test_compressed_matches_plain_on_corpus(void **state)
{
    (void)state;
    int compared = (int)corpus_walk("../shared/corpus", compare_packed_file, NULL);
    print_message("compared %d corpus captures as gzip and as zstd with the plain files\n",
                  compared / 2);
    if (compared == 0)
        skip();
}

/*
 * Compressed captures written here: several members and frames, a cut
 * and a corrupt copy (the frames before kept, a note naming the fault and
 * its compressed byte), bytes after the last gzip member (ignored), a
 * capture compressed twice and compressed garbage (refused, saying why),
 * one on stdin (a pipe), and --threads' followers refused (each would
 * decompress it all again).
 */
static void
test_compressed_crafted(void **state)
{
    (void)state;
    struct buf plain = many_frames(3000);
    char pp[512]; /* save's paths are reused after 8 more */
    snprintf(pp, sizeof pp, "%s", save("plain.pcap", &plain));
    for (int zstd = 0; zstd <= 1; zstd++) {
        const char *kind = zstd ? "zstd" : "gzip";
        for (int members = 1; members <= 5; members += 4) {
            struct buf z = compress_buf(plain.p, plain.n, zstd, members);
            assert_int_equal(compare_packed(pp, save("c.z", &z), kind, NULL), 1);
            /* cut in the middle: the frames before, then the fault */
            struct buf cut = {0};
            put(&cut, z.p, z.n / 2);
            assert_int_equal(
                compare_packed(pp, save("cut.z", &cut), kind, "the compressed data ends early"), 1);
            free(cut.p);
            /* corrupt in the middle */
            for (size_t i = z.n / 2; i < z.n / 2 + 64 && i < z.n; i++)
                z.p[i] ^= 0x5a;
            assert_int_equal(compare_packed(pp, save("bad.z", &z), kind, ""), 1);
            free(z.p);
        }
    }
    /* Frames of zeros: the whole file in a few KiB, so a read of compressed
     * bytes decompresses to many outputs, and the last of them come after
     * the input has all been taken. */
    struct buf zeros = {0};
    pcap_header(&zeros, 0, 0xa1b2c3d4, 65535, 1);
    static uint8_t big0[60000];
    for (int i = 0; i < 400; i++)
        pcap_record(&zeros, 0, (uint32_t)i + 1, 0, sizeof big0, sizeof big0, big0, sizeof big0);
    char zp[512];
    snprintf(zp, sizeof zp, "%s", save("zeros.pcap", &zeros));
    for (int zstd = 0; zstd <= 1; zstd++) {
        struct buf z = compress_buf(zeros.p, zeros.n, zstd, 1);
        assert_true(z.n < zeros.n / 100);
        assert_int_equal(compare_packed(zp, save("zeros.z", &z), zstd ? "zstd" : "gzip", NULL), 1);
        free(z.p);
    }
    free(zeros.p);
    /* A first gzip member of exactly 256 KiB (the decompressor's read) that
     * inflates to exactly 256 KiB (its output buffer): the member ends as
     * both run out, and the next member must still be read. Its size is
     * set with a gzip comment (RFC 1952 §2.3.1 FCOMMENT) of the right length. */
    {
        const size_t chunk = (size_t)256 * 1024;
        struct buf big = many_frames(3000);
        assert_true(big.n > 2 * chunk);
        char bp[512];
        snprintf(bp, sizeof bp, "%s", save("exact.pcap", &big));
        size_t plain_len = 0;
        for (int pass = 0; pass < 2; pass++) {
            z_stream zs;
            memset(&zs, 0, sizeof zs);
            assert_int_equal(
                deflateInit2(&zs, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
            static char comment[(size_t)256 * 1024];
            gz_header gh;
            memset(&gh, 0, sizeof gh);
            size_t clen = pass ? chunk - plain_len - 1 : 0; /* + its NUL */
            memset(comment, 'c', clen);
            comment[clen] = '\0';
            if (pass)
                gh.comment = (Bytef *)comment;
            assert_int_equal(deflateSetHeader(&zs, &gh), Z_OK);
            static uint8_t out[(size_t)512 * 1024];
            zs.next_in = big.p;
            zs.avail_in = (uInt)chunk;
            zs.next_out = out;
            zs.avail_out = sizeof out;
            assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
            size_t m1 = sizeof out - zs.avail_out;
            deflateEnd(&zs);
            if (!pass) {
                plain_len = m1; /* the member without a comment */
                assert_true(plain_len < chunk / 2);
                continue;
            }
            assert_int_equal(m1, chunk);
            struct buf z = {0};
            put(&z, out, m1);
            struct buf rest = compress_buf(big.p + chunk, big.n - chunk, 0, 1);
            put(&z, rest.p, rest.n);
            assert_int_equal(compare_packed(bp, save("exact.gz", &z), "gzip", NULL), 1);
            free(rest.p);
            free(z.p);
        }
        free(big.p);
    }
    /* bytes after the last gzip member that start no other one: ignored */
    struct buf z = compress_buf(plain.p, plain.n, 0, 2);
    put(&z, "\0\0\0\0trailing", 12);
    assert_int_equal(compare_packed(pp, save("trail.gz", &z), "gzip", NULL), 1);
    free(z.p);

    struct rs_error err;
    /* compressed twice */
    struct buf once = compress_buf(plain.p, plain.n, 0, 1);
    struct buf twice = compress_buf(once.p, once.n, 1, 1);
    assert_null(open1(save("twice.z", &twice), NULL, &err));
    assert_non_null(strstr(err.msg, "compressed twice (gzip inside zstd)"));
    free(twice.p);
    /* compressed garbage: what is wrong is the compressed data's */
    struct buf junk = {0};
    put(&junk, once.p, 10); /* a gzip header, then nothing of the data */
    put(&junk, "not deflate data at all, not at all", 35);
    assert_null(open1(save("junk.gz", &junk), NULL, &err));
    assert_non_null(strstr(err.msg, "junk.gz: gzip: "));
    free(junk.p);
    /* compressed, but not a capture */
    struct buf text = {0};
    put(&text, "hello, world\n", 13);
    struct buf ztext = compress_buf(text.p, text.n, 1, 1);
    assert_null(open1(save("text.zst", &ztext), NULL, &err));
    assert_non_null(strstr(err.msg, "text.zst: "));
    free(text.p);
    free(ztext.p);

    /* on stdin, through a pipe */
    pid_t pid;
    int st;
    int fd = pipe_from_child(&once, &pid);
    FILE *in = fdopen(fd, "rb");
    struct rs_capture *c = rs_capture_open_stream(in, "piped.gz", NULL, &err);
    assert_non_null(c);
    struct rs_packet p;
    int n = 0;
    while (rs_capture_next(c, &p) == RS_CAPTURE_PACKET)
        n++;
    assert_int_equal(n, 3000);
    assert_int_equal(rs_capture_damage(c, NULL, 0), 0);
    rs_capture_close(c);
    waitpid(pid, &st, 0);

    /* --threads: no follower */
    c = open1(save("c.gz", &once), NULL, &err);
    assert_non_null(c);
    assert_null(rs_capture_follow(c, &err));
    assert_non_null(strstr(err.msg, "compressed"));
    rs_capture_close(c); /* before its end: the thread stops */
    free(once.p);
    free(plain.p);
}

/*
 * A pipe whose writer stays open (tcpdump -U -w - | rstscope): every frame
 * whole in the pipe is returned at once, not held back until a block or
 * the stream ends. The writer sends all but the last record, waits (at
 * most 5 s) for the reader to have taken those, then sends the last.
 */
struct dribble {
    int wfd;
    const struct buf *b;
    size_t cut; /* bytes sent before waiting */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int taken, timed_out;
};

static void *
dribble_writer(void *arg)
{
    struct dribble *d = arg;
    assert_int_equal(write(d->wfd, d->b->p, d->cut), (ssize_t)d->cut);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 5;
    pthread_mutex_lock(&d->mu);
    while (!d->taken && !d->timed_out)
        d->timed_out = pthread_cond_timedwait(&d->cv, &d->mu, &until) != 0;
    pthread_mutex_unlock(&d->mu);
    ssize_t w = write(d->wfd, d->b->p + d->cut, d->b->n - d->cut);
    (void)w;
    close(d->wfd);
    return NULL;
}

static void
check_not_held_back(const struct buf *b, size_t cut, int before)
{
    signal(SIGPIPE, SIG_IGN);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    struct dribble d = {.wfd = fds[1], .b = b, .cut = cut};
    pthread_mutex_init(&d.mu, NULL);
    pthread_cond_init(&d.cv, NULL);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, dribble_writer, &d), 0);
    struct rs_error err;
    struct rs_capture *c = rs_capture_open_stream(fdopen(fds[0], "rb"), "live", NULL, &err);
    assert_non_null(c);
    struct rs_packet p;
    for (int i = 0; i < before; i++)
        assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_PACKET);
    pthread_mutex_lock(&d.mu);
    d.taken = 1;
    int late = d.timed_out;
    pthread_cond_signal(&d.cv);
    pthread_mutex_unlock(&d.mu);
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_PACKET);
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_END);
    assert_int_equal(rs_capture_damage(c, NULL, 0), 0);
    rs_capture_close(c);
    pthread_join(th, NULL);
    assert_false(late); /* the frames before were held back until the writer gave up */
    pthread_mutex_destroy(&d.mu);
    pthread_cond_destroy(&d.cv);
}

static void
test_pipe_not_held_back(void **state)
{
    (void)state;
    /* Frames of 1,400 bytes: most of what comes before the wait is beyond
     * what stdio read ahead with the magic (4 KiB), read from the pipe. */
    static uint8_t big[1400];
    memcpy(big, frame_a, sizeof frame_a);
    struct buf pc = {0};
    pcap_header(&pc, 0, 0xa1b2c3d4, 65535, 1);
    for (int i = 0; i < 12; i++)
        pcap_record(&pc, 0, (uint32_t)i + 1, 0, sizeof big, sizeof big, big, sizeof big);
    check_not_held_back(&pc, pc.n - (16 + sizeof big), 11);
    free(pc.p);

    struct buf ng = {0};
    ng_shb(&ng, 0);
    ng_idb(&ng, 0, 1, 65535, -1, 0);
    size_t cut = 0;
    for (int i = 0; i < 12; i++) {
        cut = ng.n;
        ng_epb(&ng, 0, 0, (uint64_t)(i + 1) * 1000000, big, sizeof big, sizeof big);
    }
    check_not_held_back(&ng, cut, 11);
    free(ng.p);
}

static void
test_stdin_file_and_pipe(void **state)
{
    (void)state;
    uint64_t rec;
    struct buf pc = simple_pcap(4, 1, 1);
    struct buf ng = two_linktype_pcapng();
    const char *pcap_path = save("stdin.pcap", &pc);
    const char *ng_path = save("stdin.pcapng", &ng);

    /* stdin redirected from a file (seekable). */
    int fd = open(pcap_path, O_RDONLY);
    assert_true(fd >= 0);
    stdin_from_fd(fd);
    assert_int_equal(count_stdin("pcap", &rec), 4);
    stdin_restore();

    /* ...also when something upstream already read part of it (the capture starts later). */
    struct buf pre = {0};
    put(&pre, "junk!", 5);
    put(&pre, pc.p, pc.n);
    fd = open(save("prefixed.pcap", &pre), O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(lseek(fd, 5, SEEK_SET), 5);
    stdin_from_fd(fd);
    assert_int_equal(count_stdin("pcap", &rec), 4);
    stdin_restore();
    free(pre.p);

    /* stdin is a pipe: classic pcap through the replaying stream... */
    pid_t pid;
    int st;
    stdin_from_fd(pipe_from_child(&pc, &pid));
    assert_int_equal(count_stdin("pcap", &rec), 4);
    waitpid(pid, &st, 0);
    stdin_restore();

    /* ...pcapng through our reader... */
    stdin_from_fd(pipe_from_child(&ng, &pid));
    assert_int_equal(count_stdin("pcapng", &rec), 3);
    waitpid(pid, &st, 0);
    stdin_restore();

    /* ...and a pipe that ends mid-record. */
    pc.n -= 3;
    stdin_from_fd(pipe_from_child(&pc, &pid));
    assert_int_equal(count_stdin("pcap", &rec), 3);
    assert_int_equal(rec, 3);
    waitpid(pid, &st, 0);
    stdin_restore();

    /* An unreadable stream on stdin is an open error naming stdin. */
    struct buf txt = {0};
    put(&txt, "GET / HTTP/1.0\r\n", 16);
    stdin_from_fd(pipe_from_child(&txt, &pid));
    struct rs_error err;
    assert_null(open1("-", NULL, &err));
    assert_non_null(strstr(err.msg, "stdin: not a pcap or pcapng file"));
    waitpid(pid, &st, 0);
    stdin_restore();
    (void)ng_path;
    free(txt.p);
    free(pc.p);
    free(ng.p);
}

static void
test_open_stream_fmemopen(void **state)
{
    (void)state;
    struct rs_error err;
    struct buf bufs[2] = {simple_pcap(2, 1, 1), two_linktype_pcapng()};
    for (int i = 0; i < 2; i++) {
        FILE *f = fmemopen(bufs[i].p, bufs[i].n, "rb");
        assert_non_null(f);
        struct rs_capture *c = rs_capture_open_stream(f, "fuzz-input", NULL, &err);
        assert_non_null(c);
        struct rs_packet p;
        int n = 0;
        while (rs_capture_next(c, &p) == RS_CAPTURE_PACKET)
            n++;
        assert_int_equal(n, i ? 3 : 2);
        rs_capture_close(c);
    }
    /* Garbage through a stream: an error, and the stream is closed (ASan: no leak). */
    FILE *f = fmemopen((void *)"garbage!", 8, "rb");
    assert_null(rs_capture_open_stream(f, "fuzz-input", NULL, &err));
    assert_non_null(strstr(err.msg, "fuzz-input: not a pcap"));
    free(bufs[0].p);
    free(bufs[1].p);
}

static void
test_stop_and_names(void **state)
{
    (void)state;
    struct rs_error err;
    struct buf b = simple_pcap(3, 1, 1);
    struct rs_capture *c = open1(save("stop.pcap", &b), NULL, &err);
    assert_non_null(c);
    struct rs_packet p;
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_PACKET);
    rs_capture_stop(c);
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_END);
    rs_capture_close(c);
    rs_capture_close(NULL);
    free(b.p);

    assert_string_equal(rs_capture_linktype_name(1), "EN10MB");
    assert_string_equal(rs_capture_linktype_name(101), "RAW");
    assert_string_equal(rs_capture_linktype_name(113), "LINUX_SLL");
    assert_string_equal(rs_capture_linktype_name(276), "LINUX_SLL2");
    assert_null(rs_capture_linktype_name(65000));
    char s[64];
    rs_capture_linktype_format(1, s, sizeof s);
    assert_string_equal(s, "EN10MB (Ethernet)");
    rs_capture_linktype_format(65000, s, sizeof s);
    assert_string_equal(s, "65000 (unknown)");
    assert_int_equal(rs_capture_linktype_format(1, s, 4), 3);
    assert_string_equal(s, "EN1");
}

/* ---- live ---- */

static struct rs_capture *live_for_signal;

static void
on_alarm(int sig)
{
    (void)sig;
    rs_capture_stop(live_for_signal);
}

static void
send_udp(uint16_t port, const char *msg)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(s >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_true(sendto(s, msg, strlen(msg), 0, (struct sockaddr *)&a, sizeof a) > 0);
    close(s);
}

static void
test_live_loopback(void **state)
{
    (void)state;
    struct rs_error err;
    struct rs_capture_opts o = {.filter = "udp port 47123"};
    struct rs_capture *c = rs_capture_open_live("lo", &o, &err);
    if (!c) {
        if (err.code == RS_ERR_PERM) {
            assert_non_null(strstr(err.msg, "setcap cap_net_raw,cap_net_admin+eip"));
            skip();
        }
        fail_msg("live open: %s", err.msg);
    }
    const char *dump = tpath("live.pcap");
    assert_int_equal(rs_capture_dump_to(c, dump, &err), 0);
    assert_int_equal(rs_capture_dump_to(c, dump, &err), RS_ERR_USAGE);
    struct rs_packet p;
    /* Idle: the read timeout comes back as RS_CAPTURE_TIMEOUT. */
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_TIMEOUT);
    send_udp(47123, "rstscope-live-test");
    int got = 0;
    for (int i = 0; i < 50 && !got; i++) {
        int r = rs_capture_next(c, &p);
        assert_true(r == RS_CAPTURE_PACKET || r == RS_CAPTURE_TIMEOUT);
        if (r == RS_CAPTURE_PACKET) {
            got = 1;
            assert_int_equal(p.linktype, 1);
            assert_int_equal(p.number, 1);
            assert_true(p.caplen == p.len);
            assert_memory_equal(p.data + p.caplen - 18, "rstscope-live-test", 18);
        }
    }
    assert_true(got);
    struct rs_capture_stats st;
    assert_int_equal(rs_capture_stats(c, &st, &err), 0);
    assert_true(st.received >= 1);

    /* rs_capture_stop from a signal handler ends a blocked read. */
    live_for_signal = c;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {.it_value = {.tv_sec = 0, .tv_usec = 30000}};
    setitimer(ITIMER_REAL, &it, NULL);
    int r, rounds = 0;
    while ((r = rs_capture_next(c, &p)) != RS_CAPTURE_END && rounds < 100)
        rounds++;
    assert_int_equal(r, RS_CAPTURE_END);
    signal(SIGALRM, SIG_DFL);
    rs_capture_close(c);

    /* The dump holds the packet. */
    c = open1(dump, NULL, &err);
    assert_non_null(c);
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_PACKET);
    assert_memory_equal(p.data + p.caplen - 18, "rstscope-live-test", 18);
    assert_int_equal(rs_capture_next(c, &p), RS_CAPTURE_END);
    rs_capture_close(c);
}

static void
test_live_errors(void **state)
{
    (void)state;
    struct rs_error err;
    memset(&err, 0, sizeof err);
    assert_null(rs_capture_open_live("rsnosuchif0", NULL, &err));
    assert_true(err.code == RS_ERR_INPUT || err.code == RS_ERR_PERM);
    assert_non_null(strstr(err.msg, "rsnosuchif0"));
    /* Dumping is for live captures only. */
    struct buf b = simple_pcap(1, 1, 1);
    struct rs_capture *c = open1(save("nodump.pcap", &b), NULL, &err);
    assert_non_null(c);
    assert_int_equal(rs_capture_dump_to(c, tpath("x.pcap"), &err), RS_ERR_USAGE);
    rs_capture_close(c);
    free(b.p);
    struct rs_capture_opts o = {.filter = "udp prt 1"};
    c = rs_capture_open_live("lo", &o, &err);
    assert_null(c);
    assert_true(err.code == RS_ERR_USAGE || err.code == RS_ERR_PERM);
}

static int
setup(void **state)
{
    (void)state;
    const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(tmpdir, sizeof tmpdir, "%s/rstscope-capture-XXXXXX", dir);
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int
teardown(void **state)
{
    (void)state;
    DIR *d = opendir(tmpdir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)))
            if (e->d_name[0] != '.')
                unlink(tpath(e->d_name));
        closedir(d);
    }
    rmdir(tmpdir);
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_missing),
        cmocka_unit_test(test_open_not_a_capture),
        cmocka_unit_test(test_open_usage_errors),
        cmocka_unit_test(test_bad_filter),
        cmocka_unit_test(test_single_file),
        cmocka_unit_test(test_ns_big_endian),
        cmocka_unit_test(test_merge_time_order),
        cmocka_unit_test(test_truncated_mid_record),
        cmocka_unit_test(test_damage_does_not_stop_other_files),
        cmocka_unit_test(test_caplen_records),
        cmocka_unit_test(test_pcapng_two_linktypes),
        cmocka_unit_test(test_pcapng_sections_spb_options),
        cmocka_unit_test(test_pcapng_nflog_swapped),
        cmocka_unit_test(test_pcapng_damage),
        cmocka_unit_test(test_pcapng_matches_libpcap_on_corpus),
        cmocka_unit_test(test_mmap_matches_libpcap_crafted),
        cmocka_unit_test(test_mmap_file_shrinks),
        cmocka_unit_test(test_pcapng_mapped_file_shrinks),
        cmocka_unit_test(test_mmap_auto_matches_libpcap),
        cmocka_unit_test(test_mmap_matches_libpcap_on_corpus),
        cmocka_unit_test(test_peek),
        cmocka_unit_test(test_lookahead_cursor),
        cmocka_unit_test(test_engine_feed),
        cmocka_unit_test(test_mapping_keeps_held_frames),
        cmocka_unit_test(test_filter_keeps_frame_numbers),
        cmocka_unit_test(test_stdin_file_and_pipe),
        cmocka_unit_test(test_pipe_not_held_back),
        cmocka_unit_test(test_compressed_matches_plain_on_corpus),
        cmocka_unit_test(test_compressed_crafted),
        cmocka_unit_test(test_reopen_and_follow),
        cmocka_unit_test(test_next_batch),
        cmocka_unit_test(test_next_batch_pcapng),
        cmocka_unit_test(test_chase),
        cmocka_unit_test(test_open_stream_fmemopen),
        cmocka_unit_test(test_stop_and_names),
        cmocka_unit_test(test_live_loopback),
        cmocka_unit_test(test_live_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
