/*
 * report.c - `rstscope report`: argv -> config, capture -> engine -> report
 * (rstscope/report.h) -> one HTML file, statuses -> exit codes. Nothing is
 * counted here: the report's numbers are the summary module's.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rstscope/capture.h>
#include <rstscope/engine.h>
#include <rstscope/report.h>

#include "cli/cli.h"
#include "cli/common_opts.h"
#include "cli/progress.h"

static const char report_usage[] =
    "usage: rstscope report [options] FILE... -o report.html\n"
    "\n"
    "Reads pcap or pcapng captures, also gzip or zstd compressed ('-' = stdin;\n"
    "several files are merged in time order), analyses every session as\n"
    "'rstscope analyze' does, and writes one self-contained HTML page (no\n"
    "network needed to view it; light and dark; fits a laptop screen and a\n"
    "phone) with:\n"
    "  - the totals, and sessions by end reason and by app;\n"
    "  - resets over time;\n"
    "  - the reset causes, what each means, and an example session's explanation;\n"
    "  - the servers and clients with the most resets, with their reset rates;\n"
    "  - unsolicited resets: RST floods and backscatter;\n"
    "  - a sortable, filterable table of the failed and reset sessions, each\n"
    "    with its explanation and hint;\n"
    "  - decode problems, capture damage and caps that were reached.\n"
    "Its numbers are those of 'rstscope summary --format=json' with the same\n"
    "input and options: the page embeds that JSON and draws from it.\n"
    "\n"
    "options:\n"
    "  -o, --output=FILE   where to write the page (required on a terminal;\n"
    "                      otherwise the page goes to stdout)\n"
    "  --title=TEXT        the page's title (default: rstscope report: FILES)\n"
    "  --top=N             rows per ranking (apps, causes, servers, clients);\n"
    "                      default 10, as summary\n"
    "  --width=N           as summary --width (only the embedded JSON shows it)\n"
    "  --max-rows=N        failed and reset sessions kept for the table, the\n"
    "                      first N in record order (default 10000); the page says\n"
    "                      how many more there were\n" RS_CLI_INPUT_HELP
    "  --progress          show a progress bar on stderr (default: when stderr is a\n"
    "                      terminal and the input is 64 MiB or more)\n"
    "  -q, --quiet         no progress bar (damage notes are still printed on stderr)\n"
    "  -h, --help          this help\n"
    "\n"
    "exit status: 0 ok (also for a truncated or partly damaged capture: what\n"
    "could be read is reported, and the page says what was damaged), 1 usage,\n"
    "2 input error, 3 output error, 4 internal error.\n"
    "\n"
    "examples:\n"
    "  rstscope report examples/loopback-resets.pcap -o report.html\n"
    "  rstscope report --title='edge-fra1, Monday' --top=25 mon-*.pcap -o edge.html\n"
    "\n"
    "See docs/report.md.\n";

enum { OPT_TOP = 256, OPT_WIDTH, OPT_MAXROWS, OPT_TITLE };

int
rs_cli_report(int argc, char **argv)
{
    static const struct option longopts[] = {
        RS_CLI_INPUT_LONGOPTS,
        {"top", required_argument, NULL, OPT_TOP},
        {"width", required_argument, NULL, OPT_WIDTH},
        {"max-rows", required_argument, NULL, OPT_MAXROWS},
        {"title", required_argument, NULL, OPT_TITLE},
        {"output", required_argument, NULL, 'o'},
        {"quiet", no_argument, NULL, 'q'},
        {"progress", no_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct rs_cli_input in;
    rs_cli_input_init(&in);
    struct rs_report_opts ropts = {0};
    const char *outpath = NULL;
    int progress = -1; /* auto */
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
        int st = rs_cli_input_opt(&in, c, optarg);
        if (st > 0)
            return st;
        if (st == 0)
            continue;
        switch (c) {
        case OPT_TOP:
            if (rs_cli_parse_count(optarg, "top", 100000, &ropts.top) != 0)
                return RS_EXIT_USAGE;
            break;
        case OPT_WIDTH:
            if (rs_cli_parse_count(optarg, "width", 10000, &ropts.width) != 0)
                return RS_EXIT_USAGE;
            break;
        case OPT_MAXROWS:
            if (rs_cli_parse_count(optarg, "max-rows", 10000000, &ropts.max_rows) != 0)
                return RS_EXIT_USAGE;
            break;
        case OPT_TITLE:
            ropts.title = optarg;
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
            fputs(report_usage, stdout);
            return RS_EXIT_OK;
        default:
            fputs("Try 'rstscope report --help'.\n", stderr);
            return RS_EXIT_USAGE;
        }
    }
    if (optind >= argc)
        return rs_cli_usage_error("report needs at least one capture file ('-' for stdin)");
    int to_stdout = !outpath || strcmp(outpath, "-") == 0;
    if (!outpath && isatty(STDOUT_FILENO))
        return rs_cli_usage_error("report writes HTML: give -o FILE (e.g. -o report.html)");

    struct rs_engine_config cfg;
    struct rs_capture_opts copts;
    int status = rs_cli_input_config(&in, RS_PROFILE_PANOS, &cfg, &copts);
    FILE *out = stdout;
    struct rs_capture *cap = NULL;
    struct rs_report *rep = NULL;
    struct rs_engine *eng = NULL;
    struct rs_error err = {0};
    if (status != RS_EXIT_OK)
        goto done;
    const char *const *paths = (const char *const *)(argv + optind);
    size_t npaths = (size_t)(argc - optind);
    cap = rs_capture_open(paths, npaths, &copts, &err);
    if (!cap) {
        fprintf(stderr, "rstscope: %s\n", err.msg);
        status = err.code == RS_ERR_USAGE ? RS_EXIT_USAGE : RS_EXIT_INPUT;
        goto done;
    }
    /* The output file only once the input opened: no empty page for a typo. */
    if (!to_stdout) {
        out = fopen(outpath, "w");
        if (!out) {
            fprintf(stderr, "rstscope: cannot write %s: %s\n", outpath, strerror(errno));
            out = stdout;
            status = RS_EXIT_OUTPUT;
            goto done;
        }
    }
    rep = rs_report_new(&ropts, &err);
    eng = rep ? rs_engine_new(&cfg, rs_report_on_record, rep, &err) : NULL;
    if (!eng) {
        fprintf(stderr, "rstscope: %s\n", err.msg);
        status = RS_EXIT_INTERNAL;
        goto done;
    }
    struct rs_summary *sum = rs_report_summary(rep);
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

    if (rs_report_write(rep, out, &err) != 0) {
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
    rs_report_free(rep);
    rs_capture_close(cap);
    rs_cli_input_free(&in);
    return status;
}
