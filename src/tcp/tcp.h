/*
 * tcp.h - per-direction TCP state of a session, as a passive observer sees
 * it (internal).
 *
 * The endpoint state machine, the sequence bookkeeping (start/last/ack with
 * wrap counters), the history letters and the close/reset timers follow
 * Zeek's TCP analyzer, because `conn_state` and `history` must mean exactly
 * what Zeek's mean (SPEC §5). On top of that we keep what the reset
 * diagnosis needs: RST acceptance per RFC 5961 §3.2 and RFC 9293 §3.10.7,
 * bytes in flight, TTLs.
 */
#ifndef RS_TCP_TCP_H
#define RS_TCP_TCP_H

#include <rstscope/decode.h>

#include "flow/flow.h"

/* Zeek's session timers (init-bare.zeek), nanoseconds. */
struct rs_tcp_timing {
    rs_time_ns attempt_delay;          /* tcp_attempt_delay: SYN unanswered */
    rs_time_ns syn_timeout;            /* tcp_SYN_timeout: first ExpireTimer */
    rs_time_ns session_timer;          /* tcp_session_timer: ExpireTimer period */
    rs_time_ns linger;                 /* tcp_connection_linger */
    rs_time_ns close_delay;            /* tcp_close_delay */
    rs_time_ns reset_delay;            /* tcp_reset_delay */
    rs_time_ns partial_close_delay;    /* tcp_partial_close_delay */
    rs_time_ns inactivity_initial;     /* Zeek starts TCP sessions on udp_inactivity_timeout */
    rs_time_ns inactivity_established; /* tcp_inactivity_timeout */
};

/* RST acceptance classes (RFC 5961 §3.2). */
enum rs_rst_accept {
    RS_RST_EXACT = 1,     /* seq == RCV.NXT: resets the connection */
    RS_RST_IN_WINDOW,     /* inside the window: challenge ACK (older stacks reset) */
    RS_RST_OUT_OF_WINDOW, /* ignored by the receiver */
    RS_RST_SYN_SENT_OK,   /* in SYN-SENT, acks our SYN (RFC 9293 §3.10.7.3) */
    RS_RST_UNKNOWN,       /* receiver state unknown: assume accepted */
};

/* What happened to the session on this segment. */
struct rs_tcp_result {
    uint8_t counted;    /* reached the size counters (not a bad checksum) */
    uint8_t rst_accept; /* enum rs_rst_accept when the segment was a RST */
};

/* Processes one segment from `side`. `bad_csum` drops it as Zeek does (only
 * the 'C' history letter). */
void rs_tcp_packet(struct rs_flow *f, int side, const struct rs_layer *l, rs_time_ns now,
                   uint64_t pkt_no, int bad_csum, const struct rs_tcp_timing *tm,
                   struct rs_tcp_result *res);

/* Zeek's IsReuse: would this segment start a new session on the tuple? */
int rs_tcp_is_reuse(const struct rs_flow *f, int side, const struct rs_tcp_info *tcp);

/* Bytes of sequence space sent by `side` (Zeek's TCP_Endpoint::Size). */
uint64_t rs_tcp_size(const struct rs_flow *f, int side);

/* Sent but not acknowledged by the peer (bytes, no SYN/FIN octets). */
uint64_t rs_tcp_unacked(const struct rs_flow *f, int side);

/* Earliest time a Zeek timer removes the session, or INT64_MAX. */
rs_time_ns rs_tcp_zeek_due(const struct rs_flow *f, const struct rs_tcp_timing *tm);

/* Swaps the roles of the two sides (Zeek's FlipRoles; adds '^'). */
void rs_flow_flip(struct rs_flow *f);

/* Zeek's conn_state for a TCP session. */
const char *rs_tcp_conn_state(const struct rs_flow *f);

#endif
