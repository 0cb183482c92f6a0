/*
 * summary.c - `rstscope summary`: argv -> config, capture -> engine ->
 * aggregate (rstscope/summary.h) -> text or JSON, statuses -> exit codes.
 * No analysis and no counting happens here.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rstscope/capture.h>
#include <rstscope/engine.h>
#include <rstscope/summary.h>

#include "cli/cli.h"
#include "cli/common_opts.h"
#include "cli/progress.h"

static const char summary_usage[] =
    "usage: rstscope summary [options] FILE...\n"
    "\n"
    "Reads pcap or pcapng captures, also gzip or zstd compressed ('-' = stdin;\n"
    "several files are merged in time order), analyses every session as\n"
    "'rstscope analyze' does, and prints one aggregate view instead of one\n"
    "record per session:\n"
    "  - totals: packets, sessions, the capture's time span;\n"
    "  - sessions by end reason, by app and by reset cause (with what each cause\n"
    "    means); these counts equal a count of analyze's records;\n"
    "  - the servers (address:port) and clients (address) with the most resets\n"
    "    and their reset rate (sessions ended by a RST / TCP sessions);\n"
    "  - resets over time as a sparkline of per-minute buckets (merged into 5,\n"
    "    10, 30 min, 1 h, ... buckets for captures longer than a week, and into\n"
    "    several buckets per character to fit --width);\n"
    "  - unsolicited RSTs (sessions made only of RSTs from one side: no SYN, no\n"
    "    data) and the findings they make:\n"
    "      rst_flood        >= 100 unsolicited RSTs to one address, or >= 20 at\n"
    "                       >= 10 per second on average;\n"
    "      rst_backscatter  unsolicited RST|ACKs to one address from >= 20\n"
    "                       different hosts: its address was spoofed in SYNs\n"
    "                       sent to them (SYN flood or reflection);\n"
    "  - decode problems, capture damage, and any cap that was reached.\n"
    "Memory stays bounded on any input; counts are exact unless 'Limits' says\n"
    "a table was full.\n"
    "\n"
    "options:\n"
    "  --format=FMT        text (default): for a terminal, with a UTF-8 sparkline;\n"
    "                      json: one object holding every number the text shows\n"
    "  --top=N             rows per ranking (apps, servers, clients, findings);\n"
    "                      default 10\n"
    "  --width=N           sparkline characters at most (default 60)\n" RS_CLI_INPUT_HELP
    "  -o, --output=FILE   write the summary to FILE instead of stdout\n"
    "  --progress          show a progress bar on stderr (default: when stderr is a\n"
    "                      terminal and the input is 64 MiB or more)\n"
    "  -q, --quiet         no progress bar (damage notes are still printed on stderr)\n"
    "  -h, --help          this help\n"
    "\n"
    "exit status: 0 ok (also for a truncated or partly damaged capture: what\n"
    "could be read is summarised and the damage reported), 1 usage, 2 input\n"
    "error, 3 output error, 4 internal error.\n"
    "\n"
    "examples:\n"
    "  rstscope summary examples/loopback-resets.pcap\n"
    "  rstscope summary --format=json --top=50 day1.pcap day2.pcap > summary.json\n"
    "  rstscope summary --filter='tcp port 443' --width=120 edge.pcapng\n"
    "\n"
    "See docs/summary.md for every JSON key.\n";

enum { OPT_FORMAT = 256, OPT_TOP, OPT_WIDTH };

int
rs_cli_summary(int argc, char **argv)
{
    static const struct option longopts[] = {
        RS_CLI_INPUT_LONGOPTS,
        {"format", required_argument, NULL, OPT_FORMAT},
        {"top", required_argument, NULL, OPT_TOP},
        {"width", required_argument, NULL, OPT_WIDTH},
        {"output", required_argument, NULL, 'o'},
        {"quiet", no_argument, NULL, 'q'},
        {"progress", no_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct rs_cli_input in;
    rs_cli_input_init(&in);
    int format = RS_SUMMARY_TEXT;
    const char *outpath = NULL;
    int progress = -1; /* auto */
    struct rs_summary_write_opts wopts = {0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
        int st = rs_cli_input_opt(&in, c, optarg);
        if (st > 0)
            return st;
        if (st == 0)
            continue;
        switch (c) {
        case OPT_FORMAT:
            format = rs_summary_format_parse(optarg);
            if (format < 0)
                return rs_cli_usage_error("unknown --format '%s' (text, json)", optarg);
            break;
        case OPT_TOP:
            if (rs_cli_parse_count(optarg, "top", 100000, &wopts.top) != 0)
                return RS_EXIT_USAGE;
            break;
        case OPT_WIDTH:
            if (rs_cli_parse_count(optarg, "width", 10000, &wopts.width) != 0)
                return RS_EXIT_USAGE;
            break;
        case 'o':
            outpath = optarg;
            break;
        case 'q':
            progress = 0;
            break;
        case 'P':
            if (progress != 0)
                progress = 1;
            break;
        case 'h':
            fputs(summary_usage, stdout);
            return RS_EXIT_OK;
        default:
            fputs("Try 'rstscope summary --help'.\n", stderr);
            return RS_EXIT_USAGE;
        }
    }
    if (optind >= argc)
        return rs_cli_usage_error("summary needs at least one capture file ('-' for stdin)");

    struct rs_engine_config cfg;
    struct rs_capture_opts copts;
    int status = rs_cli_input_config(&in, RS_PROFILE_PANOS, &cfg, &copts);
    FILE *out = stdout;
    struct rs_capture *cap = NULL;
    struct rs_summary *sum = NULL;
    struct rs_engine *eng = NULL;
    struct rs_error err = {0};
    if (status != RS_EXIT_OK)
        goto done;
    if (outpath && strcmp(outpath, "-") != 0) {
        out = fopen(outpath, "w");
        if (!out) {
            fprintf(stderr, "rstscope: cannot write %s: %s\n", outpath, strerror(errno));
            out = stdout;
            status = RS_EXIT_OUTPUT;
            goto done;
        }
    }
    const char *const *paths = (const char *const *)(argv + optind);
    size_t npaths = (size_t)(argc - optind);
    cap = rs_capture_open(paths, npaths, &copts, &err);
    if (!cap) {
        fprintf(stderr, "rstscope: %s\n", err.msg);
        status = err.code == RS_ERR_USAGE ? RS_EXIT_USAGE : RS_EXIT_INPUT;
        goto done;
    }
    sum = rs_summary_new(NULL, &err);
    eng = sum ? rs_engine_new(&cfg, rs_summary_on_record, sum, &err) : NULL;
    if (!eng) {
        fprintf(stderr, "rstscope: %s\n", err.msg);
        status = RS_EXIT_INTERNAL;
        goto done;
    }
    for (size_t i = 0; i < npaths; i++)
        rs_summary_add_input(sum, paths[i]);

    struct rs_progress prog;
    rs_progress_init(&prog, cap, progress);
    rs_engine_feed(eng, cap, NULL, rs_progress_tick_cb, &prog);
    rs_progress_done(&prog);
    rs_engine_finish(eng);

    struct rs_engine_stats est;
    rs_engine_stats(eng, &est);
    rs_summary_set_engine_stats(sum, &est);
    rs_cli_damage_to_summary(cap, sum);

    if (rs_summary_write(sum, (enum rs_summary_format)format, out, &wopts, &err) != 0) {
        fprintf(stderr, "rstscope: %s\n", err.msg);
        status = err.code == RS_ERR_NOMEM ? RS_EXIT_INTERNAL : RS_EXIT_OUTPUT;
    }
    if (out == stdout && fflush(stdout) != 0 && status == RS_EXIT_OK) {
        fprintf(stderr, "rstscope: writing output: %s\n", strerror(errno));
        status = RS_EXIT_OUTPUT;
    }
done:
    if (out != stdout && fclose(out) != 0 && status == RS_EXIT_OK) {
        fprintf(stderr, "rstscope: %s: %s\n", outpath, strerror(errno));
        status = RS_EXIT_OUTPUT;
    }
    rs_engine_free(eng);
    rs_summary_free(sum);
    rs_capture_close(cap);
    rs_cli_input_free(&in);
    return status;
}
