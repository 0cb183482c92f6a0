/*
 * ipfix_opts.h - the IPFIX export options of `analyze` and `live`
 * (--ipfix, --ipfix-transport, --ipfix-domain, --ipfix-refresh): one parser
 * and one help text, so both commands spell and explain them alike.
 *
 *   static const struct option longopts[] = { RS_CLI_IPFIX_LONGOPTS, ... };
 *   struct rs_cli_ipfix ix;  rs_cli_ipfix_init(&ix);
 *   ... st = rs_cli_ipfix_opt(&ix, c, optarg): 0 handled, -1 not ours, >0 exit code
 *   if (rs_cli_ipfix_open(&ix, stream) != RS_EXIT_OK) ...   // connects, message printed
 *   ... rs_ipfix_write(ix.x, rec) for every record ...
 *   status = rs_cli_ipfix_close(&ix, quiet);   // RS_EXIT_OK or RS_EXIT_OUTPUT
 */
#ifndef RS_CLI_IPFIX_OPTS_H
#define RS_CLI_IPFIX_OPTS_H

#include <getopt.h>

#include <rstscope/ipfix.h>

/* getopt_long values, apart from common_opts.h's (0x1000..) and the
 * commands' own (256..). */
enum {
    RS_CLI_OPT_IPFIX = 0x1100,
    RS_CLI_OPT_IPFIX_TRANSPORT,
    RS_CLI_OPT_IPFIX_DOMAIN,
    RS_CLI_OPT_IPFIX_REFRESH,
};

#define RS_CLI_IPFIX_LONGOPTS                                                                      \
    {"ipfix", required_argument, NULL, RS_CLI_OPT_IPFIX},                                          \
        {"ipfix-transport", required_argument, NULL, RS_CLI_OPT_IPFIX_TRANSPORT},                  \
        {"ipfix-domain", required_argument, NULL, RS_CLI_OPT_IPFIX_DOMAIN},                        \
    {                                                                                              \
        "ipfix-refresh", required_argument, NULL, RS_CLI_OPT_IPFIX_REFRESH                         \
    }

#define RS_CLI_IPFIX_HELP                                                                          \
    "  --ipfix=HOST:PORT   also export every session (whatever --only says) as an\n"               \
    "                      IPFIX biflow record to the collector there; docs/ipfix.md\n"            \
    "  --ipfix-transport=T udp (default; templates resent on schedule) or tcp\n"                   \
    "  --ipfix-domain=N    IPFIX Observation Domain ID (default 0)\n"                              \
    "  --ipfix-refresh=N[,S]  UDP: resend the templates every N messages (default\n"               \
    "                      20) and after S seconds (default 60)\n"

struct rs_cli_ipfix {
    const char *target; /* NULL: no export */
    enum rs_ipfix_transport transport;
    struct rs_ipfix_opts opts;
    struct rs_ipfix *x; /* after rs_cli_ipfix_open */
};

void rs_cli_ipfix_init(struct rs_cli_ipfix *ix);
int rs_cli_ipfix_opt(struct rs_cli_ipfix *ix, int c, const char *arg);
/* Connects when --ipfix was given (nothing otherwise). RS_EXIT_OK, or
 * RS_EXIT_USAGE / RS_EXIT_OUTPUT with the message printed. */
int rs_cli_ipfix_open(struct rs_cli_ipfix *ix, int stream);
/* Records to the exporter (no-op without --ipfix). */
void rs_cli_ipfix_write(struct rs_cli_ipfix *ix, const struct rs_record *r);
/* Flushes and closes; prints what was lost, and (unless quiet) a line with
 * the counts. RS_EXIT_OK or RS_EXIT_OUTPUT. */
int rs_cli_ipfix_close(struct rs_cli_ipfix *ix, int quiet);

#endif
