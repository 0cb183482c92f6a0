/*
 * main.c - command dispatch for the rstscope binary.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <rstscope/common.h>

#include "cli/cli.h"

static const char usage[] =
    "usage: rstscope COMMAND [options] ...\n"
    "\n"
    "Tells, from packets alone, how every TCP/UDP session ended, who ended it and\n"
    "why, in the words of firewall traffic logs (tcp-rst-from-client, tcp-fin,\n"
    "aged-out, ...) and of Zeek's conn.log (conn_state, history).\n"
    "\n"
    "commands:\n"
    "  analyze FILE...     one record per session (table, jsonl, csv, zeek, panos)\n"
    "  summary FILE...     counts, top resetting hosts, resets over time, floods\n"
    "  report FILE... -o F one HTML page: charts, causes, a table of the resets\n"
    "  live -i IFACE       capture live; a record as each session ends\n"
    "  explain --log=F FILE...  reconcile a PAN-OS traffic log with a capture\n"
    "  lab [SCENARIO...]   reproduce every ending with real sockets on loopback\n"
    "  send-rst HOST PORT  connect, optionally send, then abort with a RST\n"
    "  serve-rst           a server that resets its clients in several ways\n"
    "\n"
    "Run 'rstscope COMMAND --help' for a command's options.\n"
    "  -h, --help          this help\n"
    "  -V, --version       print the version\n";

int
rs_cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("rstscope: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\nTry 'rstscope --help'.\n", stderr);
    va_end(ap);
    return RS_EXIT_USAGE;
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return RS_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage, stdout);
        return RS_EXIT_OK;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        printf("rstscope %s\n", RS_VERSION);
        return RS_EXIT_OK;
    }
    if (strcmp(cmd, "analyze") == 0)
        return rs_cli_analyze(argc - 1, argv + 1);
    if (strcmp(cmd, "summary") == 0)
        return rs_cli_summary(argc - 1, argv + 1);
    if (strcmp(cmd, "report") == 0)
        return rs_cli_report(argc - 1, argv + 1);
    if (strcmp(cmd, "live") == 0)
        return rs_cli_live(argc - 1, argv + 1);
    if (strcmp(cmd, "lab") == 0)
        return rs_cli_lab(argc - 1, argv + 1);
    if (strcmp(cmd, "send-rst") == 0)
        return rs_cli_send_rst(argc - 1, argv + 1);
    if (strcmp(cmd, "serve-rst") == 0)
        return rs_cli_serve_rst(argc - 1, argv + 1);
    if (strcmp(cmd, "explain") == 0)
        return rs_cli_explain(argc - 1, argv + 1);
    return rs_cli_usage_error("unknown command '%s'", cmd);
}
