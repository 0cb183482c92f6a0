/*
 * verdict.h - turning a finished session into its record (internal):
 * PAN-OS end reason, App-ID state, Zeek conn_state/history/counters, reset
 * attribution and the explanation.
 */
#ifndef RS_VERDICT_VERDICT_H
#define RS_VERDICT_VERDICT_H

#include <rstscope/record.h>

#include "flow/flow.h"

struct rs_hosts;
struct rs_appid;

struct rs_verdict_ctx {
    uint64_t seed;                /* for uids */
    const struct rs_hosts *hosts; /* cross-session host facts for the diagnosis */
    const struct rs_appid *appid; /* names found by App-ID (sni, http_host) */
    unsigned appid_min_pkts;      /* App-ID threshold (SPEC §3) */
    unsigned appid_min_bytes;
};

/* Fills `rec` from flow state. `timed_out`: its session timer ran out. */
void rs_verdict_build(const struct rs_verdict_ctx *ctx, const struct rs_flow *f, int timed_out,
                      struct rs_record *rec);

/* Zeek-style uid ("C" + base62) for a session id. */
void rs_verdict_uid(uint64_t seed, uint64_t id, char out[20]);

#endif
