/*
 * select.c - which records `--only` prints (SPEC §1), shared by the commands
 * that print records, so that `analyze --only=failed` and `live
 * --only=failed` can never disagree.
 */
#include <string.h>

#include <rstscope/output.h>

int
rs_only_parse(const char *name)
{
    if (!name)
        return -1;
    if (strcmp(name, "all") == 0)
        return RS_ONLY_ALL;
    if (strcmp(name, "resets") == 0)
        return RS_ONLY_RESETS;
    if (strcmp(name, "failed") == 0)
        return RS_ONLY_FAILED;
    return -1;
}

static int
was_reset(const struct rs_record *r)
{
    return r->end_reason == RS_END_RST_CLIENT || r->end_reason == RS_END_RST_SERVER ||
           r->rst_by != RS_RST_BY_NONE;
}

int
rs_only_match(enum rs_only only, const struct rs_record *r)
{
    switch (only) {
    case RS_ONLY_ALL:
        return 1;
    case RS_ONLY_RESETS:
        /* An out-of-window RST did not end the session but still hit it. */
        return was_reset(r) || r->rst_flags != 0;
    case RS_ONLY_FAILED:
        return was_reset(r) || strncmp(r->app, "incomplete", sizeof r->app) == 0 ||
               strncmp(r->conn_state, "S0", sizeof r->conn_state) == 0 ||
               strncmp(r->conn_state, "REJ", sizeof r->conn_state) == 0;
    }
    return 1;
}
