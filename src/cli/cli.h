/*
 * cli.h - the thin command-line layer: each command parses argv, calls the
 * library and maps statuses to exit codes (SPEC §1).
 */
#ifndef RS_CLI_CLI_H
#define RS_CLI_CLI_H

enum rs_exit {
    RS_EXIT_OK = 0,
    RS_EXIT_USAGE = 1,
    RS_EXIT_INPUT = 2,
    RS_EXIT_OUTPUT = 3,
    RS_EXIT_INTERNAL = 4,
};

/* Prints "rstscope: <msg>" and a hint to stderr; returns RS_EXIT_USAGE. */
int rs_cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int rs_cli_analyze(int argc, char **argv);
int rs_cli_summary(int argc, char **argv);
int rs_cli_report(int argc, char **argv);
int rs_cli_live(int argc, char **argv);
int rs_cli_lab(int argc, char **argv);
int rs_cli_send_rst(int argc, char **argv);
int rs_cli_serve_rst(int argc, char **argv);
int rs_cli_explain(int argc, char **argv);

#endif
