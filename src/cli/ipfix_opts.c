/*
 * ipfix_opts.c - the IPFIX export options shared by analyze and live
 * (ipfix_opts.h). The exporter is in the library (src/ipfix/).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/ipfix_opts.h"

void
rs_cli_ipfix_init(struct rs_cli_ipfix *ix)
{
    memset(ix, 0, sizeof *ix);
    ix->transport = RS_IPFIX_UDP;
}

static int
parse_uint(const char *s, unsigned long long max, unsigned long long *out, char **end)
{
    errno = 0;
    if (*s < '0' || *s > '9')
        return -1;
    unsigned long long v = strtoull(s, end, 10);
    if (errno || v > max)
        return -1;
    *out = v;
    return 0;
}

int
rs_cli_ipfix_opt(struct rs_cli_ipfix *ix, int c, const char *arg)
{
    unsigned long long v;
    char *end;
    switch (c) {
    case RS_CLI_OPT_IPFIX:
        ix->target = arg;
        return 0;
    case RS_CLI_OPT_IPFIX_TRANSPORT: {
        int t = rs_ipfix_transport_parse(arg);
        if (t < 0)
            return rs_cli_usage_error("unknown --ipfix-transport '%s' (udp, tcp)", arg);
        ix->transport = (enum rs_ipfix_transport)t;
        return 0;
    }
    case RS_CLI_OPT_IPFIX_DOMAIN:
        if (parse_uint(arg, UINT32_MAX, &v, &end) != 0 || *end)
            return rs_cli_usage_error("--ipfix-domain wants a number from 0 to 4294967295");
        ix->opts.domain_id = (uint32_t)v;
        return 0;
    case RS_CLI_OPT_IPFIX_REFRESH:
        if (parse_uint(arg, 1000000, &v, &end) != 0 || v == 0 || (*end && *end != ','))
            return rs_cli_usage_error("--ipfix-refresh wants MESSAGES[,SECONDS], e.g. 20,60");
        ix->opts.refresh_messages = (unsigned)v;
        if (*end == ',') {
            if (parse_uint(end + 1, 86400, &v, &end) != 0 || v == 0 || *end)
                return rs_cli_usage_error(
                    "--ipfix-refresh: SECONDS must be a number from 1 to 86400");
            ix->opts.refresh_seconds = (unsigned)v;
        }
        return 0;
    default:
        return -1;
    }
}

int
rs_cli_ipfix_open(struct rs_cli_ipfix *ix, int stream)
{
    if (!ix->target)
        return RS_EXIT_OK;
    struct rs_error err = {0};
    ix->opts.stream = stream;
    ix->x = rs_ipfix_open(ix->target, ix->transport, &ix->opts, &err);
    if (!ix->x) {
        if (err.code == RS_ERR_USAGE)
            return rs_cli_usage_error("%s", err.msg);
        fprintf(stderr, "rstscope: %s\n", err.msg);
        return RS_EXIT_OUTPUT;
    }
    return RS_EXIT_OK;
}

void
rs_cli_ipfix_write(struct rs_cli_ipfix *ix, const struct rs_record *r)
{
    if (ix->x)
        (void)rs_ipfix_write(ix->x, r);
}

int
rs_cli_ipfix_close(struct rs_cli_ipfix *ix, int quiet)
{
    if (!ix->x)
        return RS_EXIT_OK;
    struct rs_error err = {0};
    rs_ipfix_flush(ix->x);
    struct rs_ipfix_stats st;
    rs_ipfix_stats(ix->x, &st);
    int rc = rs_ipfix_close(ix->x, &err);
    ix->x = NULL;
    if (rc != 0) {
        fprintf(stderr, "rstscope: %s\n", err.msg);
        return RS_EXIT_OUTPUT;
    }
    if (!quiet) {
        fprintf(stderr, "rstscope: IPFIX: %llu records in %llu messages to %s (%s)\n",
                (unsigned long long)st.records, (unsigned long long)st.messages, ix->target,
                ix->transport == RS_IPFIX_TCP ? "tcp" : "udp");
    }
    return RS_EXIT_OK;
}
