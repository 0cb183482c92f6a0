/*
 * micro - where the time per packet goes, stage by stage.
 *
 *   micro [-r RUNS] [-s STAGE] FILE
 *   micro -j OUT [-p zeek] [-t N] FILE   one pass (N worker threads),
 *                                 records as JSON lines
 *                                 (fixed hash seed: outputs compare byte
 *                                 for byte across builds)
 *
 * Runs each stage over the whole capture (after one warm-up pass that puts
 * the file in the page cache) and prints the best of RUNS runs as CPU time
 * (user + system, getrusage) per packet:
 *   libpcap     read every frame with libpcap (pcap_next_ex), touch a byte
 *   mmap        read every frame through the fast path, whole file mapped
 *               (opts.pcap_mmap 1: populate ahead, drop behind, stream)
 *   block       read every frame through the fast path's block window
 *               (opts.pcap_mmap -1): 512 KiB preads into one reused buffer
 *   decode      the window the CLI gets (opts.pcap_mmap 0: one of the two,
 *               as measured when the file is opened) + rs_decode (link,
 *               IP, transport, tunnels)
 *   hash        decode + the flow table's symmetric hash of every layer
 *   nopf        decode + hash + sessions, TCP state, diagnosis, App-ID
 *               and verdicts: rs_engine_packet and rs_engine_finish with a
 *               record callback that does nothing (no formatting)
 *   engine      nopf with the lookahead the CLI uses (rs_engine_lookahead:
 *               buckets RS_ENGINE_LOOKAHEAD frames ahead, sessions half as far)
 * The CLI figure (`analyze --format=jsonl -o /dev/null`) adds the JSON
 * writer on top of `engine`; bench/run.sh measures that one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <rstscope/capture.h>
#include <rstscope/decode.h>
#include <rstscope/engine.h>
#include <rstscope/output.h>
#include <rstscope/parallel.h>

#include "flow/flow.h"

enum stage { ST_LIBPCAP, ST_MMAP, ST_BLOCK, ST_DECODE, ST_HASH, ST_NOPF, ST_ENGINE, ST__COUNT };
static const char *const stage_name[ST__COUNT] = {"libpcap", "mmap", "block", "decode",
                                                  "hash",    "nopf", "engine"};

static double
cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double
wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
on_record(const struct rs_record *r, void *user)
{
    (void)r;
    ++*(uint64_t *)user;
}

/* One pass of a stage; returns the packets seen (0 on error). */
static uint64_t
run_stage(enum stage st, const char *path, uint64_t *sink)
{
    struct rs_error err = {0};
    struct rs_capture_opts o = {0};
    o.pcap_via_libpcap = st == ST_LIBPCAP;
    /* the two windows by name; from decode on, the CLI's measured choice */
    o.pcap_mmap = st == ST_MMAP ? 1 : st == ST_BLOCK ? -1 : 0;
    const char *paths[1] = {path};
    struct rs_capture *c = rs_capture_open(paths, 1, &o, &err);
    if (!c) {
        fprintf(stderr, "micro: %s\n", err.msg);
        return 0;
    }
    struct rs_decode_config dc;
    rs_decode_config_default(&dc);
    struct rs_decoder *dec = st >= ST_DECODE ? rs_decoder_new(&dc) : NULL;
    struct rs_flow_table *ft = st == ST_HASH ? rs_flow_table_new(1000, 12345) : NULL;
    struct rs_engine *e = NULL;
    if (st >= ST_NOPF) {
        struct rs_engine_config cfg;
        rs_engine_config_default(&cfg, RS_PROFILE_PANOS);
        cfg.hash_seed = 12345;
        e = rs_engine_new(&cfg, on_record, sink, &err);
    }
    static struct rs_decoded d;
    struct rs_packet p;
    uint64_t n = 0, acc = 0;
    while (rs_capture_next(c, &p) == RS_CAPTURE_PACKET) {
        n++;
        switch (st) {
        case ST_LIBPCAP:
        case ST_MMAP:
        case ST_BLOCK:
            acc += p.caplen ? p.data[p.caplen - 1] : 0;
            break;
        case ST_DECODE:
            rs_decode(dec, &p, &d);
            acc += d.n_layers;
            break;
        case ST_HASH:
            rs_decode(dec, &p, &d);
            for (unsigned i = 0; i < d.n_layers; i++) {
                const struct rs_layer *l = &d.layer[i];
                acc += rs_flow_hash(ft, &l->src, l->sport, &l->dst, l->dport, l->proto);
            }
            break;
        case ST_ENGINE: {
            rs_engine_lookahead(e, c);
            rs_engine_packet(e, &p);
            break;
        }
        case ST_NOPF:
            rs_engine_packet(e, &p);
            break;
        default:
            break;
        }
    }
    if (e)
        rs_engine_finish(e);
    *sink += acc;
    rs_engine_free(e);
    rs_flow_table_free(ft);
    rs_decoder_free(dec);
    rs_capture_close(c);
    return n;
}

static void
write_record(const struct rs_record *r, void *user)
{
    rs_writer_write(user, r);
}

/* The engine's records with a fixed seed, for before/after comparisons. */
static int
dump(const char *path, const char *out, int zeek, unsigned threads)
{
    struct rs_error err = {0};
    const char *paths[1] = {path};
    struct rs_capture *c = rs_capture_open(paths, 1, NULL, &err);
    FILE *fp = fopen(out, "w");
    if (!c || !fp) {
        fprintf(stderr, "micro: %s\n", c ? out : err.msg);
        return 1;
    }
    struct rs_writer_opts wo = {0};
    struct rs_writer *w = rs_writer_open(RS_FMT_JSONL, fp, &wo, &err);
    struct rs_engine_config cfg;
    rs_engine_config_default(&cfg, zeek ? RS_PROFILE_ZEEK : RS_PROFILE_PANOS);
    cfg.hash_seed = 12345;
    struct rs_engine_stats st;
    struct rs_packet p;
    if (threads > 1) {
        struct rs_parallel *par = rs_parallel_new(&cfg, threads, write_record, w, &err);
        if (!par) {
            fprintf(stderr, "micro: %s\n", err.msg);
            return 1;
        }
        while (rs_capture_next(c, &p) == RS_CAPTURE_PACKET)
            rs_parallel_packet(par, &p);
        rs_parallel_finish(par);
        rs_parallel_stats(par, &st);
        rs_parallel_free(par);
    } else {
        struct rs_engine *e = rs_engine_new(&cfg, write_record, w, &err);
        while (rs_capture_next(c, &p) == RS_CAPTURE_PACKET)
            rs_engine_packet(e, &p);
        rs_engine_finish(e);
        rs_engine_stats(e, &st);
        rs_engine_free(e);
    }
    rs_writer_close(w, st.last_ts, &err);
    rs_capture_close(c);
    return fclose(fp) != 0;
}

int
main(int argc, char **argv)
{
    int runs = 3;
    int i = 1;
    if (argc >= 4 && strcmp(argv[1], "-j") == 0) {
        int zeek = 0;
        unsigned threads = 1;
        for (int a = 3; a + 1 < argc; a += 2) {
            if (strcmp(argv[a], "-p") == 0)
                zeek = strcmp(argv[a + 1], "zeek") == 0;
            else if (strcmp(argv[a], "-t") == 0)
                threads = (unsigned)strtoul(argv[a + 1], NULL, 10);
        }
        return dump(argv[argc - 1], argv[2], zeek, threads);
    }
    const char *only = NULL;
    for (;;) {
        if (i + 1 < argc && strcmp(argv[i], "-r") == 0) {
            runs = (int)strtol(argv[i + 1], NULL, 10);
            i += 2;
        } else if (i + 1 < argc && strcmp(argv[i], "-s") == 0) {
            only = argv[i + 1];
            i += 2;
        } else {
            break;
        }
    }
    if (i + 1 != argc || runs < 1) {
        fputs("usage: micro [-r RUNS] [-s STAGE] FILE\n", stderr);
        return 1;
    }
    const char *path = argv[i];
    uint64_t sink = 0;
    uint64_t n = run_stage(ST_BLOCK, path, &sink); /* warm the page cache */
    if (!n)
        return 1;
    printf("%-8s %12s %10s %10s\n", "stage", "packets", "ns/pkt", "wall ns/pkt");
    for (int s = 0; s < ST__COUNT; s++) {
        if (only && strcmp(only, stage_name[s]) != 0)
            continue;
        double best = 1e30, best_wall = 1e30;
        for (int r = 0; r < runs; r++) {
            double c0 = cpu_seconds(), w0 = wall_seconds();
            n = run_stage((enum stage)s, path, &sink);
            double c = cpu_seconds() - c0, w = wall_seconds() - w0;
            if (c < best)
                best = c;
            if (w < best_wall)
                best_wall = w;
        }
        printf("%-8s %12llu %10.1f %10.1f\n", stage_name[s], (unsigned long long)n,
               best * 1e9 / (double)n, best_wall * 1e9 / (double)n);
        fflush(stdout);
    }
    return sink == 42 ? 2 : 0;
}
