/*
 * common_opts.c - the input options shared by the analysing commands
 * (common_opts.h). The messages are analyze's, word for word.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rstscope/summary.h>

#include "cli/cli.h"
#include "cli/common_opts.h"

void
rs_cli_input_init(struct rs_cli_input *in)
{
    memset(in, 0, sizeof *in);
    in->profile = -1;
}

int
rs_cli_input_opt(struct rs_cli_input *in, int c, const char *arg)
{
    switch (c) {
    case RS_CLI_OPT_PROFILE:
        if (strcmp(arg, "panos") == 0)
            in->profile = RS_PROFILE_PANOS;
        else if (strcmp(arg, "zeek") == 0)
            in->profile = RS_PROFILE_ZEEK;
        else
            return rs_cli_usage_error("unknown --profile '%s' (panos, zeek)", arg);
        return 0;
    case RS_CLI_OPT_TIMEOUTS:
        in->timeouts = arg;
        return 0;
    case RS_CLI_OPT_CHECKSUMS:
        if (strcmp(arg, "verify") == 0)
            in->verify_checksums = 1;
        else if (strcmp(arg, "ignore") == 0)
            in->verify_checksums = 0;
        else
            return rs_cli_usage_error("unknown --checksums '%s' (verify, ignore)", arg);
        return 0;
    case RS_CLI_OPT_FILTER:
        in->filter = arg;
        return 0;
    case RS_CLI_OPT_POLICY:
        in->policy_path = arg;
        return 0;
    case RS_CLI_OPT_SEED: {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(arg, &end, 0);
        if (errno || *end || v == 0 || arg[0] == '-' || arg[0] == '\0')
            return rs_cli_usage_error("--seed wants a number from 1 to 18446744073709551615 "
                                      "(decimal, or 0x hexadecimal)");
        in->seed = v;
        return 0;
    }
    case RS_CLI_OPT_MAXSESS:
        return rs_cli_parse_count(arg, "max-sessions", 100000000, &in->max_sessions);
    default:
        return -1;
    }
}

int
rs_cli_input_config(struct rs_cli_input *in, enum rs_profile default_profile,
                    struct rs_engine_config *cfg, struct rs_capture_opts *copts)
{
    struct rs_error err = {0};
    rs_engine_config_default(cfg, in->profile < 0 ? default_profile : (enum rs_profile)in->profile);
    cfg->decode.verify_checksums = in->verify_checksums;
    if (in->max_sessions)
        cfg->max_sessions = in->max_sessions;
    cfg->hash_seed = in->seed;
    if (in->timeouts && rs_timeouts_parse(&cfg->timeouts, in->timeouts, &err) != 0)
        return rs_cli_usage_error("%s", err.msg);
    memset(copts, 0, sizeof *copts);
    copts->filter = in->filter;
    if (in->policy_path) {
        in->policy = rs_policy_load(in->policy_path, &err);
        if (!in->policy) {
            fprintf(stderr, "rstscope: --policy: %s\n", err.msg);
            return err.code == RS_ERR_INPUT ? RS_EXIT_INPUT : RS_EXIT_USAGE;
        }
        cfg->policy = in->policy;
    }
    return RS_EXIT_OK;
}

void
rs_cli_input_free(struct rs_cli_input *in)
{
    rs_policy_free(in->policy);
    in->policy = NULL;
}

int
rs_cli_parse_count(const char *arg, const char *name, size_t max, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    if (errno || *end || v == 0 || v > max || arg[0] == '-')
        return rs_cli_usage_error("--%s wants a number from 1 to %zu", name, max);
    *out = (size_t)v;
    return 0;
}

void
rs_cli_damage_to_summary(struct rs_capture *cap, struct rs_summary *sum)
{
    const char *notes[RS_SUMMARY_MAX_NOTES];
    size_t nd = rs_capture_damage(cap, notes, RS_SUMMARY_MAX_NOTES);
    for (size_t i = 0; i < nd && i < RS_SUMMARY_MAX_NOTES; i++) {
        fprintf(stderr, "rstscope: %s\n", notes[i]);
        rs_summary_add_note(sum, notes[i]);
    }
    for (size_t i = RS_SUMMARY_MAX_NOTES; i < nd; i++)
        rs_summary_add_note(sum, ""); /* counted as dropped */
}
