/*
 * common_opts.h - the input options every analysing command takes (SPEC §1):
 * --profile, --timeouts, --checksums, --filter, --max-sessions, --policy,
 * --seed. One parser,
 * so the commands accept the same spellings and print the same messages.
 *
 *   static const struct option longopts[] = { RS_CLI_INPUT_LONGOPTS, ... };
 *   struct rs_cli_input in;
 *   rs_cli_input_init(&in);
 *   while ((c = getopt_long(...)) != -1) {
 *       int st = rs_cli_input_opt(&in, c, optarg);
 *       if (st > 0) return st;         // usage error, already printed
 *       if (st == 0) continue;         // handled
 *       switch (c) { ...command's own options... }
 *   }
 *   st = rs_cli_input_config(&in, default_profile, &ecfg, &copts);  // loads --policy
 *   ...
 *   rs_cli_input_free(&in);            // after the engine is freed
 */
#ifndef RS_CLI_COMMON_OPTS_H
#define RS_CLI_COMMON_OPTS_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

#include <rstscope/capture.h>
#include <rstscope/engine.h>
#include <rstscope/policy.h>

/* getopt_long values; above any short option and the commands' own (256..). */
enum {
    RS_CLI_OPT_PROFILE = 0x1000,
    RS_CLI_OPT_TIMEOUTS,
    RS_CLI_OPT_CHECKSUMS,
    RS_CLI_OPT_FILTER,
    RS_CLI_OPT_MAXSESS,
    RS_CLI_OPT_POLICY,
    RS_CLI_OPT_SEED,
};

/* clang-format off */
#define RS_CLI_INPUT_LONGOPTS                                   \
    {"profile", required_argument, NULL, RS_CLI_OPT_PROFILE},   \
    {"timeouts", required_argument, NULL, RS_CLI_OPT_TIMEOUTS}, \
    {"checksums", required_argument, NULL, RS_CLI_OPT_CHECKSUMS}, \
    {"filter", required_argument, NULL, RS_CLI_OPT_FILTER},     \
    {"max-sessions", required_argument, NULL, RS_CLI_OPT_MAXSESS}, \
    {"policy", required_argument, NULL, RS_CLI_OPT_POLICY},     \
    {"seed", required_argument, NULL, RS_CLI_OPT_SEED}
/* clang-format on */

/* The same options' help lines, for a command's usage text. */
#define RS_CLI_INPUT_HELP                                                                          \
    "  --profile=P         panos (default) or zeek: which timers and session rules\n"              \
    "  --timeouts=LIST     override timers, e.g. tcp=600,udp=10 (seconds); names:\n"               \
    "                      tcp, tcp-init, tcp-handshake, tcp-half-closed,\n"                       \
    "                      tcp-time-wait, udp, icmp, other\n"                                      \
    "  --checksums=MODE    ignore (default): count every packet; verify: drop\n"                   \
    "                      packets whose IPv4/TCP/UDP checksum is wrong, as Zeek does\n"           \
    "  --filter=BPF        only packets matching this pcap-filter(7) expression\n"                 \
    "  --max-sessions=N    cap on sessions held at once (default 250000); when\n"                  \
    "                      full, the oldest session is ended early and counted\n"                  \
    "  --policy=FILE       emulate a firewall's rules (see 'rstscope analyze --help',\n"           \
    "                      docs/panos.md); denied sessions end policy-deny\n" RS_CLI_SEED_HELP

#define RS_CLI_SEED_HELP                                                                           \
    "  --seed=N            the same uids in every run (N from 1 to 2^64-1; default\n"              \
    "                      a random seed, so uids differ from run to run, as Zeek's)\n"

struct rs_cli_input {
    int profile; /* enum rs_profile, or -1 when not given */
    int verify_checksums;
    const char *timeouts;     /* NULL: profile defaults */
    const char *filter;       /* NULL: none */
    size_t max_sessions;      /* 0: the engine's default */
    const char *policy_path;  /* NULL: no policy */
    struct rs_policy *policy; /* loaded by rs_cli_input_config, freed by rs_cli_input_free */
    uint64_t seed;            /* 0: random */
};

void rs_cli_input_init(struct rs_cli_input *in);

/* Handles one getopt_long result: 0 handled, -1 not an input option,
 * RS_EXIT_USAGE (message printed) for a bad value. */
int rs_cli_input_opt(struct rs_cli_input *in, int c, const char *arg);

/* Fills the engine and capture configuration (profile defaults to
 * `default_profile` when not given) and loads --policy. RS_EXIT_OK, or with
 * the message printed RS_EXIT_USAGE (bad --timeouts, bad rule file) or
 * RS_EXIT_INPUT (unreadable rule file). */
int rs_cli_input_config(struct rs_cli_input *in, enum rs_profile default_profile,
                        struct rs_engine_config *cfg, struct rs_capture_opts *copts);

/* Frees what rs_cli_input_config loaded; the engine must be gone. */
void rs_cli_input_free(struct rs_cli_input *in);

/* A count option from 1 to max: 0 and *out set, or RS_EXIT_USAGE with
 * "--NAME wants a number from 1 to MAX" printed. */
int rs_cli_parse_count(const char *arg, const char *name, size_t max, size_t *out);

/* Prints the capture's damage notes on stderr and adds them to `sum`
 * (those past RS_SUMMARY_MAX_NOTES counted as dropped). */
struct rs_summary;
void rs_cli_damage_to_summary(struct rs_capture *cap, struct rs_summary *sum);

#endif
