/*
 * fuzz_pipeline.c - libFuzzer target for the whole pipeline: capture bytes
 * -> rs_capture_open_stream -> engine -> every writer (table, jsonl, csv,
 * zeek) into memory streams.
 *
 * Input layout: two configuration bytes, then the capture file (classic pcap
 * in any byte order and precision, or pcapng; either may be gzip or zstd
 * compressed, which puts the decompressing thread in front of the reader).
 *   byte 0, bit 0  zeek profile (else panos)    bit 1  verify checksums
 *           bit 2  --max-sessions 4 (eviction)  bit 3  BPF filter "tcp or udp"
 *           bit 4  table with --explain         bit 5  a stream, not a file
 *           bit 6  short timers (1 s)           bit 7  engine.advance between packets
 *   byte 1, bit 0  map the whole file (opts.pcap_mmap 1; else -1: read it)
 *           bit 1  pcapng through libpcap       bit 2  classic pcap through libpcap
 *           bit 3  a pipe (when bit 5 of byte 0 is clear)
 * The capture is a regular file (a memfd) unless bit 5 asks for a stream
 * (fmemopen) or bit 3 of byte 1 for a pipe, written by a thread in pieces
 * of 1 byte to 64 KiB: that is what picks the reader, as for a real file
 * and a pipe. A file of classic pcap goes to the fast path
 * (src/capture/mmap.c, block reads or a mapping), a pipe to the same reader
 * reading as the data comes (stream.c), an fmemopen stream (no descriptor)
 * to libpcap; pcapng goes to rstscope's own reader either way unless byte
 * 1 says otherwise.
 *
 * Checked after each run (FUZZ_CHECK: abort() on failure, so libFuzzer reports it):
 *   - every session created got exactly one record (evictions included);
 *   - jsonl: one line per record, valid UTF-8, no raw control bytes (SPEC §2);
 *   - zeek: every data line has as many fields as the #fields header;
 *   - table: printable ASCII only (no escape sequence from a packet).
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <rstscope/capture.h>
#include <rstscope/engine.h>
#include <rstscope/output.h>

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The pipe's writer: the capture in pieces of a cycle of sizes. */
struct piper {
    int fd;
    const uint8_t *p;
    size_t n;
};

static void *
pipe_writer(void *arg)
{
    struct piper *w = arg;
    static const size_t sizes[] = {1, 13, 4096, 65536, 5, 700};
    size_t off = 0;
    for (unsigned i = 0; off < w->n; i++) {
        size_t k = sizes[i % (sizeof sizes / sizeof sizes[0])];
        ssize_t r = write(w->fd, w->p + off, k < w->n - off ? k : w->n - off);
        if (r <= 0)
            break; /* the reader stopped early: EPIPE */
        off += (size_t)r;
    }
    close(w->fd);
    return NULL;
}

#define NW 4

struct sink {
    FILE *fp[NW];
    char *buf[NW];
    size_t len[NW];
    struct rs_writer *w[NW];
    uint64_t records;
};

static const enum rs_format formats[NW] = {RS_FMT_TABLE, RS_FMT_JSONL, RS_FMT_CSV, RS_FMT_ZEEK};

static void
on_record(const struct rs_record *rec, void *user)
{
    struct sink *s = user;
    s->records++;
    for (int i = 0; i < NW; i++)
        if (s->w[i])
            rs_writer_write(s->w[i], rec);
}

/* RFC 3629 well-formed UTF-8; control bytes below 0x20 are not allowed either. */
static int
json_line_ok(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        if (c < 0x20)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k;
        unsigned min;
        if (c >= 0xc2 && c <= 0xdf) {
            k = 1;
            min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            k = 2;
            min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            k = 3;
            min = 0x10000;
        } else {
            return 0;
        }
        if (n - i <= k)
            return 0;
        unsigned cp = c & (0x3fu >> k);
        for (size_t j = 1; j <= k; j++) {
            if ((p[i + j] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (p[i + j] & 0x3fu);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += k + 1;
    }
    return 1;
}

static void
check_jsonl(const char *buf, size_t len, uint64_t records)
{
    uint64_t lines = 0;
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        if (buf[i] != '\n')
            continue;
        FUZZ_CHECK(i > start && buf[start] == '{' && buf[i - 1] == '}');
        FUZZ_CHECK(json_line_ok((const unsigned char *)buf + start, i - start));
        lines++;
        start = i + 1;
    }
    FUZZ_CHECK(start == len);
    FUZZ_CHECK(lines == records);
}

static size_t
count_tabs(const char *p, size_t n)
{
    size_t t = 0;
    for (size_t i = 0; i < n; i++)
        t += p[i] == '\t';
    return t;
}

static void
check_zeek(const char *buf, size_t len)
{
    size_t fields = SIZE_MAX, start = 0;
    for (size_t i = 0; i < len; i++) {
        if (buf[i] != '\n')
            continue;
        const char *line = buf + start;
        size_t n = i - start;
        if (n >= 7 && memcmp(line, "#fields", 7) == 0)
            fields = count_tabs(line, n);
        else if (n && line[0] != '#')
            FUZZ_CHECK(count_tabs(line, n) + 1 == fields); /* the #fields line has one more */
        start = i + 1;
    }
    FUZZ_CHECK(start == len);
}

static void
check_table(const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)buf[i];
        FUZZ_CHECK(c == '\n' || (c >= 0x20 && c <= 0x7e));
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3 || size > 1000000)
        return 0;
    uint8_t cfgb = data[0], cfgb1 = data[1];
    const uint8_t *capd = data + 2;
    size_t capn = size - 2;
    uint8_t *cap_bytes = NULL;
    FILE *in = NULL;
    struct piper pw;
    pthread_t writer;
    int piped = 0;
    if (!(cfgb & 32) && (cfgb1 & 8)) {
        int fds[2];
        signal(SIGPIPE, SIG_IGN);
        if (pipe(fds) != 0)
            return 0;
        pw = (struct piper){fds[1], capd, capn};
        if (pthread_create(&writer, NULL, pipe_writer, &pw) != 0) {
            close(fds[0]);
            close(fds[1]);
            return 0;
        }
        piped = 1;
        if (!(in = fdopen(fds[0], "rb")))
            close(fds[0]);
    } else if (cfgb & 32) {
        /* fmemopen wants a writable buffer even for "r"; give it its own copy. */
        cap_bytes = malloc(capn);
        if (!cap_bytes)
            return 0;
        memcpy(cap_bytes, capd, capn);
        in = fmemopen(cap_bytes, capn, "rb");
    } else {
        /* memfd_create(2) through syscall(2): glibc declares it only under _GNU_SOURCE. */
        int fd = (int)syscall(SYS_memfd_create, "fuzz.pcap", 0u);
        if (fd >= 0 && (write(fd, capd, capn) != (ssize_t)capn || lseek(fd, 0, SEEK_SET) != 0)) {
            close(fd);
            fd = -1;
        }
        if (fd >= 0 && !(in = fdopen(fd, "rb")))
            close(fd);
    }
    if (!in) {
        if (piped)
            pthread_join(writer, NULL);
        free(cap_bytes);
        return 0;
    }
    struct rs_capture_opts copts;
    memset(&copts, 0, sizeof copts);
    copts.filter = (cfgb & 8) ? "tcp or udp" : NULL;
    copts.pcap_mmap = (cfgb1 & 1) ? 1 : -1;
    copts.pcapng_via_libpcap = (cfgb1 >> 1) & 1;
    copts.pcap_via_libpcap = (cfgb1 >> 2) & 1;
    struct rs_error err;
    memset(&err, 0, sizeof err);
    struct rs_capture *cap = rs_capture_open_stream(in, "fuzz.pcap", &copts, &err);
    if (!cap) {
        /* A failure always says why, on one line. */
        FUZZ_CHECK(err.code != 0 && err.msg[0] && !strchr(err.msg, '\n'));
        if (piped)
            pthread_join(writer, NULL); /* the failed open closed the read end */
        free(cap_bytes);
        return 0;
    }

    struct sink s;
    memset(&s, 0, sizeof s);
    struct rs_writer_opts wopts;
    memset(&wopts, 0, sizeof wopts);
    wopts.explain = (cfgb >> 4) & 1;
    for (int i = 0; i < NW; i++) {
        s.fp[i] = open_memstream(&s.buf[i], &s.len[i]);
        if (s.fp[i])
            s.w[i] = rs_writer_open(formats[i], s.fp[i], &wopts, &err);
    }

    struct rs_engine_config cfg;
    enum rs_profile prof = (cfgb & 1) ? RS_PROFILE_ZEEK : RS_PROFILE_PANOS;
    rs_engine_config_default(&cfg, prof);
    cfg.hash_seed = 0x5eed; /* reproducible runs */
    cfg.decode.verify_checksums = (cfgb >> 1) & 1;
    cfg.decode.frag_max_datagrams = 8; /* small caps: see fuzz_decode.c */
    cfg.decode.frag_max_bytes = (size_t)128 * 1024;
    if (cfgb & 4)
        cfg.max_sessions = 4;
    if (cfgb & 64) {
        rs_timeouts_parse(&cfg.timeouts,
                          "tcp=1,tcp-init=1,tcp-handshake=1,tcp-half-closed=1,"
                          "tcp-time-wait=1,udp=1,icmp=1,other=1",
                          &err);
    }
    struct rs_engine *e = rs_engine_new(&cfg, on_record, &s, &err);
    if (e) {
        struct rs_packet pkt;
        while (rs_capture_next(cap, &pkt) == RS_CAPTURE_PACKET) {
            FUZZ_CHECK(pkt.data || !pkt.caplen);
            rs_engine_packet(e, &pkt);
            /* An idle advance 2 s past the packet (saturating: a pcapng
             * time can be INT64_MAX; the engine clamps what it gets). */
            if (cfgb & 128)
                rs_engine_advance(e, pkt.ts > INT64_MAX - 2 * RS_NS_PER_SEC
                                         ? INT64_MAX
                                         : pkt.ts + 2 * RS_NS_PER_SEC);
        }
        rs_engine_finish(e);
        struct rs_engine_stats st;
        rs_engine_stats(e, &st);
        /* Every session got exactly one record, evicted ones included. */
        FUZZ_CHECK(st.records == st.sessions);
        FUZZ_CHECK(s.records == st.records);
        FUZZ_CHECK(st.live_sessions == 0);
        FUZZ_CHECK(!(cfgb & 4) || st.peak_sessions <= 4);
        for (int i = 0; i < NW; i++)
            if (s.w[i])
                rs_writer_close(s.w[i], st.last_ts, &err);
        rs_engine_free(e);
    } else {
        for (int i = 0; i < NW; i++)
            if (s.w[i])
                rs_writer_close(s.w[i], 0, &err);
    }

    const char *notes[4];
    size_t nn = rs_capture_damage(cap, notes, 4);
    for (size_t i = 0; i < nn && i < 4; i++)
        FUZZ_CHECK(!strchr(notes[i], '\n')); /* notes are one line each */
    struct rs_capture_file_info info;
    FUZZ_CHECK(rs_capture_file_info(cap, 0, &info) == 0);
    rs_capture_close(cap);
    if (piped)
        pthread_join(writer, NULL);
    free(cap_bytes);

    for (int i = 0; i < NW; i++) {
        if (!s.fp[i])
            continue;
        fclose(s.fp[i]);
        if (e && s.w[i]) {
            if (formats[i] == RS_FMT_JSONL)
                check_jsonl(s.buf[i], s.len[i], s.records);
            else if (formats[i] == RS_FMT_ZEEK)
                check_zeek(s.buf[i], s.len[i]);
            else if (formats[i] == RS_FMT_TABLE)
                check_table(s.buf[i], s.len[i]);
        }
        free(s.buf[i]);
    }
    return 0;
}
