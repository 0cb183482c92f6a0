/*
 * verdict.c - from flow state to the session record (SPEC §2-§3, §5).
 *
 * End reason, PAN-OS priority (SPEC §3): an accepted RST beats everything
 * (the first accepted one decides the side), then reuse of the tuple, then a
 * FIN, then a timer that ran out within the capture; otherwise the session
 * is still open. Out-of-window RSTs never end a session.
 */
#include <stdio.h>
#include <string.h>

#include "tcp/tcp.h"
#include "util/fmt.h"
#include "util/str.h"
#include "verdict/diagnose.h"
#include "verdict/verdict.h"

void
rs_verdict_uid(uint64_t seed, uint64_t id, char out[20])
{
    static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    uint64_t x = id * UINT64_C(0x9e3779b97f4a7c15) ^ seed;
    uint64_t y = (x ^ (x >> 31)) * UINT64_C(0xbf58476d1ce4e5b9);
    y ^= y >> 29;
    out[0] = 'C';
    /* Nine base-62 digits of the first word, least significant first, then
     * eight of the second; two digits per 64-bit division (62^2 = 3844). */
    uint64_t v = x * UINT64_C(0x94d049bb133111eb) + id;
    char *o = out + 1;
    for (int i = 0; i < 2; i++) {
        for (int k = 0; k < 4; k++) {
            unsigned p = (unsigned)(v % 3844);
            v /= 3844;
            *o++ = b62[p % 62];
            *o++ = b62[p / 62];
        }
        if (i == 0)
            *o++ = b62[v % 62];
        v = y;
    }
    *o = '\0';
}

static const char *
app_state(const struct rs_verdict_ctx *ctx, const struct rs_flow *f)
{
    uint64_t pkts = f->payload_pkts[0] + f->payload_pkts[1];
    uint64_t bytes = f->bytes[0] + f->bytes[1];
    if (f->proto == 6) {
        if (f->partial_first)
            return "non-syn-tcp";
        if (!f->hs_complete || pkts == 0)
            return "incomplete";
        if (pkts < ctx->appid_min_pkts && bytes < ctx->appid_min_bytes)
            return "insufficient-data";
        return "unknown-tcp";
    }
    if (f->proto == 17)
        return pkts ? "unknown-udp" : "incomplete";
    return "";
}

static const char *
udp_conn_state(const struct rs_flow *f)
{
    /* Zeek: an endpoint is UDP_ACTIVE once it sent a datagram with a good checksum. */
    int o = (f->hist_seen & 0x10u) != 0, r = (f->hist_seen & (0x10u << 16)) != 0;
    if (o)
        return r ? "SF" : "S0";
    return r ? "SHR" : "OTH";
}

static void
endpoint_text(const struct rs_flow *f, int side, char *buf, size_t len)
{
    char a[64];
    rs_addr_format(&f->addr[side], a, sizeof a);
    if (rs_addr_is_v4(&f->addr[side]))
        rs_fmt(buf, len, "%s:%u", a, f->port[side]);
    else
        rs_fmt(buf, len, "[%s]:%u", a, f->port[side]);
}

static void
explain(const struct rs_flow *f, struct rs_record *r)
{
    char who[80];
    switch (r->end_reason) {
    case RS_END_RST_CLIENT:
    case RS_END_RST_SERVER: {
        int side = f->rst_dir;
        endpoint_text(f, side, who, sizeof who);
        const char *acc = f->rst_accept == RS_RST_EXACT         ? "its sequence number was exact"
                          : f->rst_accept == RS_RST_IN_WINDOW   ? "in window"
                          : f->rst_accept == RS_RST_SYN_SENT_OK ? "it acknowledged the SYN"
                                                                : "receiver state unknown";
        rs_fmt(r->explanation, sizeof r->explanation,
               "Packet %llu: the %s (%s) reset the session (%s) after %.3f s; %llu bytes from "
               "the client and %llu from the server were unacknowledged.",
               (unsigned long long)f->rst_pkt_no, side == RS_ORIG ? "client" : "server", who, acc,
               (double)(f->rst_ts - f->first_ts) / 1e9, (unsigned long long)f->inflight[RS_ORIG],
               (unsigned long long)f->inflight[RS_RESP]);
        rs_fmt(r->hint, sizeof r->hint,
               "Check the application or device at %s for why it aborted the connection.", who);
        break;
    }
    case RS_END_TCP_FIN:
        rs_str_copy(r->explanation, sizeof r->explanation,
                    f->fin_sides == 3    ? "Closed with FIN by both sides."
                    : (f->fin_sides & 1) ? "Closed with FIN by the client."
                                         : "Closed with FIN by the server.");
        break;
    case RS_END_TCP_REUSE:
        rs_str_copy(r->explanation, sizeof r->explanation,
                    "A new SYN reused the same addresses and ports before this session's timer "
                    "ran out.");
        break;
    case RS_END_AGED_OUT:
        rs_str_copy(r->explanation, sizeof r->explanation,
                    f->evicted ? "Ended early: the live-session cap was reached (oldest first)."
                               : "No FIN or RST; the session was idle past its timer.");
        break;
    default:
        break;
    }
}

void
rs_verdict_build(const struct rs_verdict_ctx *ctx, const struct rs_flow *f, int timed_out,
                 struct rs_record *r)
{
    memset(r, 0, sizeof *r);
    r->id = f->id;
    r->start_index = f->id / RS_ID_PER_FRAME; /* the id is made from it (engine.c) */
    rs_verdict_uid(ctx->seed, f->id, r->uid);
    r->ts = f->first_ts;
    r->end_ts = f->last_ts;
    r->proto = f->proto;
    r->first_flags = f->first_flags;
    r->client = f->addr[RS_ORIG];
    r->server = f->addr[RS_RESP];
    r->client_port = f->port[RS_ORIG];
    r->server_port = f->port[RS_RESP];
    r->vlan = f->vlan;
    r->inner_vlan = f->inner_vlan;

    if (f->proto == 6) {
        if (f->rst_seen)
            r->end_reason = f->rst_dir == RS_ORIG ? RS_END_RST_CLIENT : RS_END_RST_SERVER;
        else if (f->removed_reason == RS_END_TCP_REUSE)
            r->end_reason = RS_END_TCP_REUSE;
        else if (f->fin_sides)
            r->end_reason = RS_END_TCP_FIN;
        else if (timed_out || f->evicted)
            r->end_reason = RS_END_AGED_OUT;
        else
            r->end_reason = RS_END_OPEN;
        rs_str_copy(r->conn_state, sizeof r->conn_state, rs_tcp_conn_state(f));
        r->client_bytes = rs_tcp_size(f, RS_ORIG);
        r->server_bytes = rs_tcp_size(f, RS_RESP);
        r->rst_by = f->rst_sides == 3   ? RS_RST_BY_BOTH
                    : f->rst_sides == 1 ? RS_RST_BY_CLIENT
                    : f->rst_sides == 2 ? RS_RST_BY_SERVER
                                        : RS_RST_BY_NONE;
        if (f->rst_seen) {
            r->inflight_client_bytes = f->inflight[RS_ORIG];
            r->inflight_server_bytes = f->inflight[RS_RESP];
        }
        if (f->oow_rsts)
            r->rst_flags |= RS_RSTF_OUT_OF_WINDOW;
    } else {
        r->end_reason = (timed_out || f->evicted) ? RS_END_AGED_OUT : RS_END_OPEN;
        rs_str_copy(r->conn_state, sizeof r->conn_state,
                    f->proto == 17 ? udp_conn_state(f) : "OTH");
        r->client_bytes = f->bytes[RS_ORIG];
        r->server_bytes = f->bytes[RS_RESP];
    }
    /* An identified protocol wins over the App-ID states (SPEC §2-§3). */
    if (!rs_appid_format(&f->appid, f->proto, r->app, sizeof r->app))
        rs_str_copy(r->app, sizeof r->app, app_state(ctx, f));
    const struct rs_appid_info *ai = rs_appid_info(ctx->appid, &f->appid);
    if (ai) {
        rs_str_copy(r->sni, sizeof r->sni, rs_appid_info_sni(ai));
        rs_str_copy(r->http_host, sizeof r->http_host, rs_appid_info_host(ai));
    }
    memcpy(r->history, f->history, sizeof r->history);
    r->history[sizeof r->history - 1] = '\0';
    r->client_pkts = f->pkts[RS_ORIG];
    r->server_pkts = f->pkts[RS_RESP];
    r->client_ip_bytes = f->ip_bytes[RS_ORIG];
    r->server_ip_bytes = f->ip_bytes[RS_RESP];
    r->missed_bytes = f->missed_bytes;
    if (f->parent_id) {
        char uid[20];
        rs_verdict_uid(ctx->seed, f->parent_id, uid);
        rs_str_copy(r->tunnel_parents, sizeof r->tunnel_parents, uid);
    }
    /* A TCP session that saw a RST gets the diagnosis's explanation; the
     * generic one would be written only to be overwritten (on the 200k
     * bench capture that was 2.5% of all instructions). */
    if (f->proto == 6 && f->diag.nrst)
        rs_diag_classify(f, ctx->hosts, r);
    else
        explain(f, r);
}
