/*
 * live.c - `rstscope live`: argv -> config, signals -> rs_live_stop,
 * records -> a streaming writer, statistics -> one summary line (SPEC §1).
 * The capture loop and its timers are in the library (src/lab/live.c).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rstscope/capture.h>
#include <rstscope/engine.h>
#include <rstscope/live.h>
#include <rstscope/output.h>

#include "cli/cli.h"
#include "cli/common_opts.h"
#include "cli/ipfix_opts.h"

static const char live_usage[] =
    "usage: rstscope live -i IFACE [options]\n"
    "\n"
    "Captures on a network interface and prints one record per TCP/UDP/ICMP\n"
    "session as soon as it ends: FIN and RST close delays and idle timers run on\n"
    "packet time, and on the wall clock while the interface is quiet. Ctrl-C or\n"
    "SIGTERM ends the capture: every session still open gets its record\n"
    "(end_reason open), then a summary line with libpcap's drop counts goes to\n"
    "stderr.\n"
    "\n"
    "options:\n"
    "  -i, --interface=IFACE  capture on IFACE (eth0, lo, any, ...)\n"
    "  --format=FMT        table (default on a terminal), jsonl (default otherwise),\n"
    "                      csv, zeek (a Zeek conn.log; implies --profile=zeek),\n"
    "                      panos (PAN-OS TRAFFIC end log lines; docs/panos.md)\n" RS_CLI_INPUT_HELP
    "  --only=WHICH        all (default), resets, failed\n"
    "  --explain           table: add each session's explanation and hint\n"
    "  --promisc           put the interface in promiscuous mode\n"
    "  -o, --output=FILE   write records to FILE instead of stdout (each one is\n"
    "                      flushed as it is written)\n"
    "  -w, --write=FILE    also save every captured packet to FILE (pcap)\n" RS_CLI_IPFIX_HELP
    "  -q, --quiet         no start and summary lines on stderr (drops are still\n"
    "                      reported)\n"
    "  -h, --help          this help\n"
    "\n"
    "Capturing needs CAP_NET_RAW: run as root, or grant the capability once:\n"
    "  sudo setcap cap_net_raw,cap_net_admin+eip $(command -v rstscope)\n"
    "\n"
    "exit status: 0 ok (ended by Ctrl-C or SIGTERM), 1 usage, 2 capture error\n"
    "(no permission, no such interface, the interface went away), 3 output\n"
    "error, 4 internal error.\n"
    "\n"
    "examples:\n"
    "  sudo rstscope live -i eth0 --only=resets --explain\n"
    "  sudo rstscope live -i any --filter 'tcp port 443' --format=jsonl -o resets.jsonl\n";

enum { OPT_FORMAT = 256, OPT_ONLY, OPT_EXPLAIN, OPT_PROMISC };

struct live_run {
    struct rs_live *live;
    struct rs_writer *w;
    struct rs_cli_ipfix *ipfix;
    enum rs_only only;
    int write_failed;
    uint64_t printed;
};

/* The handle the signal handlers stop; set only while rs_live_run runs. */
static struct rs_live *volatile g_live;

static void
on_signal(int sig)
{
    (void)sig;
    rs_live_stop(g_live);
}

static int
install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: the signal must interrupt the capture's poll(). One
     * shot: a second Ctrl-C kills at once, should the final flush hang. */
    sa.sa_flags = (int)SA_RESETHAND;
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
        return -1;
    return 0;
}

static void
on_record(const struct rs_record *r, void *user)
{
    struct live_run *run = user;
    rs_cli_ipfix_write(run->ipfix, r);
    if (run->write_failed || !rs_only_match(run->only, r))
        return;
    run->printed++;
    if (rs_writer_write(run->w, r) != 0) {
        /* Nobody reads the records any more: stop capturing. */
        run->write_failed = 1;
        rs_live_stop(run->live);
    }
}

static void
print_start(const char *iface, const char *filter, const struct rs_live_stats *st)
{
    char lt[64];
    rs_capture_linktype_format(st->linktype, lt, sizeof lt);
    fprintf(stderr, "rstscope: capturing on %s, link type %s", iface, lt);
    if (filter && filter[0])
        fprintf(stderr, ", filter '%s'", filter);
    fputs("; Ctrl-C or SIGTERM ends it\n", stderr);
}

static void
print_summary(const struct live_run *run, const char *iface, int quiet)
{
    struct rs_live *live = run->live;
    const char *notes[16];
    size_t nn = rs_live_notes(live, notes, 16);
    for (size_t i = 0; i < nn && i < 16; i++)
        fprintf(stderr, "rstscope: %s\n", notes[i]);

    struct rs_live_stats st;
    rs_live_stats(live, &st);
    int lost = st.have_capture_stats && (st.capture.dropped || st.capture.if_dropped);
    if (quiet && !lost)
        return;
    double secs = (double)(st.ended - st.started) / 1e9;
    fprintf(stderr, "rstscope: %s: %llu packets, %llu sessions, %llu records in %.1f s", iface,
            (unsigned long long)st.engine.packets, (unsigned long long)st.engine.sessions,
            (unsigned long long)st.engine.records, secs);
    if (run->only != RS_ONLY_ALL)
        fprintf(stderr, " (%llu printed)", (unsigned long long)run->printed);
    if (st.have_capture_stats) {
        fprintf(stderr, "; libpcap: %llu received, %llu dropped, %llu dropped by the interface",
                (unsigned long long)st.capture.received, (unsigned long long)st.capture.dropped,
                (unsigned long long)st.capture.if_dropped);
    } else {
        fputs("; libpcap gave no drop counts", stderr);
    }
    uint64_t nskip = 0;
    for (int i = 1; i < RS_DEC__COUNT; i++)
        nskip += st.engine.decode[i];
    if (nskip)
        fprintf(stderr, "; %llu packets not analysed or only partly", (unsigned long long)nskip);
    if (st.engine.evicted)
        fprintf(stderr, "; %llu sessions ended early by --max-sessions",
                (unsigned long long)st.engine.evicted);
    fputc('\n', stderr);
}

static int
exit_for(int code)
{
    switch (code) {
    case RS_ERR_USAGE:
        return RS_EXIT_USAGE;
    case RS_ERR_PERM:
    case RS_ERR_INPUT:
        return RS_EXIT_INPUT;
    case RS_ERR_OUTPUT:
        return RS_EXIT_OUTPUT;
    default:
        return RS_EXIT_INTERNAL;
    }
}

int
rs_cli_live(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"interface", required_argument, NULL, 'i'},
        RS_CLI_INPUT_LONGOPTS,
        {"format", required_argument, NULL, OPT_FORMAT},
        {"only", required_argument, NULL, OPT_ONLY},
        {"explain", no_argument, NULL, OPT_EXPLAIN},
        {"promisc", no_argument, NULL, OPT_PROMISC},
        {"output", required_argument, NULL, 'o'},
        {"write", required_argument, NULL, 'w'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        RS_CLI_IPFIX_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    struct rs_cli_ipfix ipfix;
    rs_cli_ipfix_init(&ipfix);
    int format = -1, explain = 0, quiet = 0, promisc = 0;
    const char *iface = NULL, *outpath = NULL, *dump = NULL;
    enum rs_only only = RS_ONLY_ALL;
    struct rs_cli_input in;
    rs_cli_input_init(&in);
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:o:w:qh", longopts, NULL)) != -1) {
        int st = rs_cli_input_opt(&in, c, optarg);
        if (st < 0)
            st = rs_cli_ipfix_opt(&ipfix, c, optarg);
        if (st > 0)
            return st;
        if (st == 0)
            continue;
        switch (c) {
        case 'i':
            iface = optarg;
            break;
        case OPT_FORMAT:
            format = rs_format_parse(optarg);
            if (format < 0)
                return rs_cli_usage_error("unknown --format '%s' (table, jsonl, csv, zeek, panos)",
                                          optarg);
            break;
        case OPT_ONLY: {
            int o = rs_only_parse(optarg);
            if (o < 0)
                return rs_cli_usage_error("unknown --only '%s' (all, resets, failed)", optarg);
            only = (enum rs_only)o;
            break;
        }
        case OPT_EXPLAIN:
            explain = 1;
            break;
        case OPT_PROMISC:
            promisc = 1;
            break;
        case 'o':
            outpath = optarg;
            break;
        case 'w':
            dump = optarg;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            fputs(live_usage, stdout);
            return RS_EXIT_OK;
        default:
            fputs("Try 'rstscope live --help'.\n", stderr);
            return RS_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        return rs_cli_usage_error("live takes no file arguments ('%s'); to read a capture file, "
                                  "use 'rstscope analyze'",
                                  argv[optind]);
    }
    if (!iface)
        return rs_cli_usage_error("live needs an interface: -i IFACE (e.g. -i eth0, -i lo)");
    if (dump && outpath && strcmp(dump, outpath) == 0)
        return rs_cli_usage_error("-o and -w name the same file '%s'", dump);

    struct rs_error err = {0};
    struct rs_live_opts lopts;
    memset(&lopts, 0, sizeof lopts);
    int to_tty = (!outpath || strcmp(outpath, "-") == 0) && isatty(STDOUT_FILENO);
    if (format < 0)
        format = to_tty ? RS_FMT_TABLE : RS_FMT_JSONL;
    struct rs_capture_opts copts;
    int st = rs_cli_input_config(&in, format == RS_FMT_ZEEK ? RS_PROFILE_ZEEK : RS_PROFILE_PANOS,
                                 &lopts.engine, &copts);
    if (st != RS_EXIT_OK)
        return st;
    lopts.iface = iface;
    lopts.filter = copts.filter;
    lopts.dump_path = dump;
    lopts.promisc = promisc;

    /* The capture first: without permission, say so before creating any file. */
    struct live_run run = {0};
    run.only = only;
    run.ipfix = &ipfix;
    run.live = rs_live_open(&lopts, on_record, &run, &err);
    if (!run.live) {
        fprintf(stderr, "rstscope: %s\n", err.msg);
        return exit_for(err.code);
    }
    st = rs_cli_ipfix_open(&ipfix, 1);
    if (st != RS_EXIT_OK) {
        rs_live_close(run.live);
        return st;
    }

    FILE *out = stdout;
    if (outpath && strcmp(outpath, "-") != 0) {
        out = fopen(outpath, "w");
        if (!out) {
            fprintf(stderr, "rstscope: cannot write %s: %s\n", outpath, strerror(errno));
            rs_live_close(run.live);
            return RS_EXIT_OUTPUT;
        }
    }
    struct rs_live_stats lst;
    rs_live_stats(run.live, &lst);
    struct rs_writer_opts wopts = {0};
    wopts.explain = explain;
    wopts.color = format == RS_FMT_TABLE && isatty(fileno(out)) && !getenv("NO_COLOR");
    wopts.open_ts = lst.started;
    wopts.stream = 1;
    run.w = rs_writer_open((enum rs_format)format, out, &wopts, &err);
    if (!run.w) {
        fprintf(stderr, "rstscope: %s\n", err.msg);
        if (out != stdout)
            fclose(out);
        rs_live_close(run.live);
        return RS_EXIT_INTERNAL;
    }

    g_live = run.live;
    if (install_signals() != 0) {
        fprintf(stderr, "rstscope: cannot install signal handlers: %s\n", strerror(errno));
        rs_live_stop(run.live);
    }
    if (!quiet)
        print_start(iface, lopts.filter, &lst);

    int status = RS_EXIT_OK;
    if (rs_live_run(run.live, &err) != 0) {
        fprintf(stderr, "rstscope: %s\n", err.msg);
        status = exit_for(err.code);
    }
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    g_live = NULL;

    rs_live_stats(run.live, &lst);
    struct rs_error werr = {0};
    if (rs_writer_close(run.w, lst.ended, &werr) != 0 || run.write_failed) {
        fprintf(stderr, "rstscope: %s\n", werr.msg[0] ? werr.msg : "write failed");
        status = RS_EXIT_OUTPUT;
    }
    if (out != stdout && fclose(out) != 0) {
        fprintf(stderr, "rstscope: %s: %s\n", outpath, strerror(errno));
        status = RS_EXIT_OUTPUT;
    } else if (out == stdout && fflush(stdout) != 0) {
        fprintf(stderr, "rstscope: writing output: %s\n", strerror(errno));
        status = RS_EXIT_OUTPUT;
    }
    print_summary(&run, iface, quiet);
    if (rs_cli_ipfix_close(&ipfix, quiet) != RS_EXIT_OK)
        status = RS_EXIT_OUTPUT;
    rs_live_close(run.live);
    return status;
}
