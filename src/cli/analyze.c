/*
 * analyze.c - `rstscope analyze`: argv -> config, capture -> engine ->
 * writer, statuses -> exit codes (SPEC §1). No analysis happens here.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rstscope/capture.h>
#include <rstscope/engine.h>
#include <rstscope/output.h>
#include <rstscope/parallel.h>

#include "cli/cli.h"
#include "cli/common_opts.h"
#include "cli/ipfix_opts.h"
#include "cli/progress.h"

static const char analyze_usage[] =
    "usage: rstscope analyze [options] FILE...\n"
    "\n"
    "Reads pcap or pcapng captures, also gzip or zstd compressed ('-' = stdin;\n"
    "several files are merged in time order) and prints one record per\n"
    "TCP/UDP/ICMP session: how it ended (end_reason), who ended it (rst_by),\n"
    "Zeek's conn_state and history, counts.\n"
    "\n"
    "options:\n"
    "  --format=FMT        table (default on a terminal), jsonl (default otherwise),\n"
    "                      csv, zeek (a Zeek conn.log), panos (PAN-OS TRAFFIC log\n"
    "                      lines, syslog field order of PAN-OS 9.1; docs/panos.md)\n"
    "  --policy=FILE       emulate a firewall's rules: an ordered list of\n"
    "                      'ACTION [src=NETS] [dst=NETS] [proto=P] [sport=PORTS]\n"
    "                      [dport=PORTS] [app=APPS] [name=NAME]' lines, ACTION one of\n"
    "                      allow, deny, drop, reset-client, reset-server, reset-both,\n"
    "                      and 'non-syn-tcp reject|allow'; denied sessions end\n"
    "                      policy-deny (app not-applicable when denied before App-ID)\n"
    "  --profile=P         panos (default) or zeek: which timers and session rules;\n"
    "                      --format=zeek implies zeek unless --profile is given\n"
    "  --timeouts=LIST     override timers, e.g. tcp=600,udp=10 (seconds); names:\n"
    "                      tcp, tcp-init, tcp-handshake, tcp-half-closed,\n"
    "                      tcp-time-wait, udp, icmp, other\n"
    "  --checksums=MODE    ignore (default): count every packet; verify: drop\n"
    "                      packets whose IPv4/TCP/UDP checksum is wrong, as Zeek does\n"
    "  --filter=BPF        only packets matching this pcap-filter(7) expression\n"
    "  --only=WHICH        all (default), resets (a RST ended or hit the session),\n"
    "                      failed (resets, and sessions that never got going)\n"
    "  --explain           table: add each session's explanation and hint\n"
    "  --max-sessions=N    cap on sessions held at once (default 250000); when\n"
    "                      full, the oldest session is ended early and counted\n" RS_CLI_SEED_HELP
    "  --threads=N         analyse on N threads (default 1); sessions are sharded\n"
    "                      by address pair; the records and their order are one\n"
    "                      thread's (see rstscope(1) for the few exceptions)\n"
    "  -o, --output=FILE   write records to FILE instead of stdout\n" RS_CLI_IPFIX_HELP
    "  --progress          show a progress bar on stderr (default: when stderr is a\n"
    "                      terminal and the input is 64 MiB or more)\n"
    "  -q, --quiet         no progress bar, no summary line on stderr\n"
    "  -h, --help          this help\n"
    "\n"
    "exit status: 0 ok (also for a truncated or partly damaged capture: what\n"
    "could be read is analysed and the damage reported), 1 usage, 2 input error,\n"
    "3 output error, 4 internal error.\n"
    "\n"
    "examples:\n"
    "  rstscope analyze examples/loopback-resets.pcap\n"
    "  rstscope analyze --only=resets --explain big.pcapng\n"
    "  rstscope analyze --format=zeek --checksums=verify trace.pcap > conn.log\n"
    "  rstscope analyze --format=panos --policy=rules.txt trace.pcap > traffic.log\n";

enum { OPT_FORMAT = 256, OPT_ONLY, OPT_EXPLAIN, OPT_THREADS };

struct run {
    struct rs_writer *w;
    struct rs_cli_ipfix *ipfix;
    enum rs_only only;
    int write_failed;
    /* --threads with a format that formats record by record: one memory
     * writer per thread, the bytes written in order (rs_parallel_set_format) */
    struct rs_writer **mw;
    size_t nmw;
    FILE *out;
    int format_failed;
};

static void
on_record(const struct rs_record *r, void *user)
{
    struct run *run = user;
    rs_cli_ipfix_write(run->ipfix, r);
    if (!rs_only_match(run->only, r))
        return;
    if (rs_writer_write(run->w, r) != 0)
        run->write_failed = 1;
}

/* In the thread of the engine that ended the session (parallel.h). */
static size_t
format_record(const struct rs_record *r, unsigned worker, char *out, size_t cap, void *user)
{
    struct run *run = user;
    if (!rs_only_match(run->only, r))
        return 0;
    const char *bytes;
    size_t len;
    if (worker >= run->nmw || rs_writer_format(run->mw[worker], r, &bytes, &len) != 0 ||
        len > cap) {
        /* out of memory; several worker threads may say so at once */
        __atomic_store_n(&run->format_failed, 1, __ATOMIC_RELAXED);
        return 0;
    }
    memcpy(out, bytes, len);
    return len;
}

static void
write_bytes(const char *bytes, size_t len, void *user)
{
    struct run *run = user;
    if (fwrite(bytes, 1, len, run->out) != len)
        run->write_failed = 1;
}

/* Formatting in the worker threads, when the format allows it and nothing
 * else needs the records themselves (IPFIX export); 0 if set up. */
static int
format_in_workers(struct run *run, struct rs_parallel *par, size_t threads, int format,
                  const struct rs_writer_opts *wopts)
{
    if (format == RS_FMT_TABLE || run->ipfix->target)
        return -1;
    run->mw = calloc(threads, sizeof(struct rs_writer *));
    if (!run->mw)
        return -1;
    for (run->nmw = 0; run->nmw < threads; run->nmw++) {
        struct rs_error err = {0};
        run->mw[run->nmw] = rs_writer_open_mem((enum rs_format)format, wopts, &err);
        if (!run->mw[run->nmw])
            return -1; /* the writers made so far are closed by the caller */
    }
    return rs_parallel_set_format(par, format_record, write_bytes, run);
}

static void
free_mem_writers(struct run *run)
{
    for (size_t i = 0; i < run->nmw; i++)
        rs_writer_close(run->mw[i], 0, NULL);
    free(run->mw);
    run->mw = NULL;
    run->nmw = 0;
}

static void
print_summary(const struct rs_engine_stats *st, struct rs_capture *cap, int quiet)
{
    const char *notes[16];
    size_t nd = rs_capture_damage(cap, notes, 16);
    for (size_t i = 0; i < nd && i < 16; i++)
        fprintf(stderr, "rstscope: %s\n", notes[i]);
    if (quiet)
        return;
    char skipped[512];
    size_t off = 0;
    uint64_t nskip = 0;
    for (int i = 1; i < RS_DEC__COUNT; i++) {
        if (!st->decode[i])
            continue;
        nskip += st->decode[i];
        int n = snprintf(skipped + off, sizeof skipped - off, "%s%llu %s", off ? ", " : "",
                         (unsigned long long)st->decode[i],
                         rs_decode_status_name((enum rs_decode_status)i));
        if (n > 0 && (size_t)n < sizeof skipped - off)
            off += (size_t)n;
    }
    if (nskip || nd || st->evicted) {
        fprintf(stderr, "rstscope: %llu packets, %llu sessions", (unsigned long long)st->packets,
                (unsigned long long)st->sessions);
        if (nskip)
            fprintf(stderr, "; not analysed or partly: %s", skipped);
        if (st->evicted)
            fprintf(stderr, "; %llu sessions ended early by --max-sessions",
                    (unsigned long long)st->evicted);
        if (nd)
            fprintf(stderr, "; input damaged (see above)");
        fputc('\n', stderr);
    }
}

int
rs_cli_analyze(int argc, char **argv)
{
    static const struct option longopts[] = {
        RS_CLI_INPUT_LONGOPTS,
        {"format", required_argument, NULL, OPT_FORMAT},
        {"only", required_argument, NULL, OPT_ONLY},
        {"explain", no_argument, NULL, OPT_EXPLAIN},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"output", required_argument, NULL, 'o'},
        {"quiet", no_argument, NULL, 'q'},
        {"progress", no_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},
        RS_CLI_IPFIX_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    struct rs_cli_ipfix ipfix;
    rs_cli_ipfix_init(&ipfix);
    struct rs_cli_input in;
    rs_cli_input_init(&in);
    int format = -1, explain = 0, quiet = 0, progress = -1;
    const char *outpath = NULL;
    enum rs_only only = RS_ONLY_ALL;
    size_t threads = 1;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
        int ist = rs_cli_ipfix_opt(&ipfix, c, optarg);
        if (ist > 0)
            return ist;
        if (ist == 0)
            continue;
        ist = rs_cli_input_opt(&in, c, optarg);
        if (ist > 0)
            return ist;
        if (ist == 0)
            continue;
        switch (c) {
        case OPT_FORMAT:
            format = rs_format_parse(optarg);
            if (format < 0)
                return rs_cli_usage_error("unknown --format '%s' (table, jsonl, csv, zeek, panos)",
                                          optarg);
            break;
        case OPT_ONLY:
            if ((int)(only = (enum rs_only)rs_only_parse(optarg)) < 0)
                return rs_cli_usage_error("unknown --only '%s' (all, resets, failed)", optarg);
            break;
        case OPT_EXPLAIN:
            explain = 1;
            break;
        case OPT_THREADS:
            if (rs_cli_parse_count(optarg, "threads", RS_PARALLEL_MAX_THREADS, &threads) != 0)
                return RS_EXIT_USAGE;
            break;
        case 'o':
            outpath = optarg;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'P':
            progress = 1;
            break;
        case 'h':
            fputs(analyze_usage, stdout);
            return RS_EXIT_OK;
        default:
            fputs("Try 'rstscope analyze --help'.\n", stderr);
            return RS_EXIT_USAGE;
        }
    }
    if (optind >= argc)
        return rs_cli_usage_error("analyze needs at least one capture file ('-' for stdin)");

    FILE *out = stdout;
    if (outpath && strcmp(outpath, "-") != 0) {
        out = fopen(outpath, "w");
        if (!out) {
            fprintf(stderr, "rstscope: cannot write %s: %s\n", outpath, strerror(errno));
            return RS_EXIT_OUTPUT;
        }
    }
    if (format < 0)
        format = isatty(fileno(out)) ? RS_FMT_TABLE : RS_FMT_JSONL;
    /* Records go out in 256 KiB writes: with stdio's default buffer (4 KiB
     * for a pipe or /dev/null) a million packets took 16,000 write calls,
     * each a costly exit to the kernel on a virtual machine. A terminal
     * keeps its line buffering. */
    static char obuf[(size_t)256 << 10]; /* glibc ignores the size without a buffer */
    if (!isatty(fileno(out)))
        setvbuf(out, obuf, _IOFBF, sizeof obuf);

    /* --format=zeek implies the zeek profile unless --profile says otherwise. */
    struct rs_error err = {0};
    struct rs_engine_config cfg;
    struct rs_capture_opts copts;
    int cst = rs_cli_input_config(&in, format == RS_FMT_ZEEK ? RS_PROFILE_ZEEK : RS_PROFILE_PANOS,
                                  &cfg, &copts);
    if (cst != RS_EXIT_OK) {
        if (out != stdout)
            fclose(out);
        rs_cli_input_free(&in);
        return cst;
    }
    struct rs_capture *cap = rs_capture_open((const char *const *)(argv + optind),
                                             (size_t)(argc - optind), &copts, &err);
    if (!cap) {
        fprintf(stderr, "rstscope: %s\n", err.msg);
        if (out != stdout)
            fclose(out);
        rs_cli_input_free(&in);
        return err.code == RS_ERR_USAGE ? RS_EXIT_USAGE : RS_EXIT_INPUT;
    }

    struct rs_writer_opts wopts = {0};
    wopts.explain = explain;
    wopts.color = format == RS_FMT_TABLE && isatty(fileno(out)) && !getenv("NO_COLOR");
    struct run run = {0};
    run.only = only;
    run.ipfix = &ipfix;
    int ist = rs_cli_ipfix_open(&ipfix, 0);
    if (ist != RS_EXIT_OK) {
        rs_capture_close(cap);
        rs_cli_input_free(&in);
        if (out != stdout)
            fclose(out);
        return ist;
    }

    struct rs_packet pkt;
    int rc = rs_capture_next(cap, &pkt);
    wopts.open_ts = rc == RS_CAPTURE_PACKET ? pkt.ts : 0;
    run.w = rs_writer_open((enum rs_format)format, out, &wopts, &err);
    if (!run.w) {
        fprintf(stderr, "rstscope: %s\n", err.msg);
        rs_capture_close(cap);
        rs_cli_input_free(&in);
        if (out != stdout)
            fclose(out);
        return RS_EXIT_INTERNAL;
    }
    struct rs_engine *eng = NULL;
    struct rs_parallel *par = NULL;
    run.out = out;
    if (threads > 1) {
        par = rs_parallel_new(&cfg, (unsigned)threads, on_record, &run, &err);
        /* Otherwise records are formatted in this thread, as with one. */
        if (par && format_in_workers(&run, par, threads, format, &wopts) != 0)
            free_mem_writers(&run);
    } else
        eng = rs_engine_new(&cfg, on_record, &run, &err);
    if (!eng && !par) {
        fprintf(stderr, "rstscope: %s\n", err.msg);
        rs_capture_close(cap);
        rs_cli_input_free(&in);
        if (out != stdout)
            fclose(out);
        return RS_EXIT_INTERNAL;
    }
    struct rs_progress prog;
    rs_progress_init(&prog, cap, quiet ? 0 : progress);
    if (rc == RS_CAPTURE_PACKET) {
        if (par)
            rs_parallel_feed(par, cap, &pkt, rs_progress_tick_cb, &prog);
        else
            rs_engine_feed(eng, cap, &pkt, rs_progress_tick_cb, &prog);
    }
    rs_progress_done(&prog);
    struct rs_engine_stats st;
    if (par) {
        rs_parallel_finish(par);
        rs_parallel_stats(par, &st);
    } else {
        rs_engine_finish(eng);
        rs_engine_stats(eng, &st);
    }
    int status = RS_EXIT_OK;
    if (run.format_failed) {
        fprintf(stderr, "rstscope: out of memory formatting records: some are missing\n");
        status = RS_EXIT_OUTPUT;
    }
    if (rs_writer_close(run.w, st.last_ts, &err) != 0 || run.write_failed) {
        fprintf(stderr, "rstscope: %s\n", err.msg[0] ? err.msg : "write failed");
        status = RS_EXIT_OUTPUT;
    }
    if (out != stdout && fclose(out) != 0) {
        fprintf(stderr, "rstscope: %s: %s\n", outpath, strerror(errno));
        status = RS_EXIT_OUTPUT;
    } else if (out == stdout && fflush(stdout) != 0) {
        fprintf(stderr, "rstscope: writing output: %s\n", strerror(errno));
        status = RS_EXIT_OUTPUT;
    }
    print_summary(&st, cap, quiet);
    if (rs_cli_ipfix_close(&ipfix, quiet) != RS_EXIT_OK)
        status = RS_EXIT_OUTPUT;
    rs_engine_free(eng);
    rs_parallel_free(par);
    free_mem_writers(&run);
    rs_capture_close(cap);
    rs_cli_input_free(&in);
    return status;
}
