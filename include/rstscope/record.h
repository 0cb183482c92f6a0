/*
 * rstscope/record.h - the session record: one value per session, the only
 * thing output writers see (SPEC §2). It owns no pointers into flow state;
 * strings are either static names (from the *_name functions) or inline
 * NUL-terminated arrays, so a record can be copied and kept.
 */
#ifndef RSTSCOPE_RECORD_H
#define RSTSCOPE_RECORD_H

#include <rstscope/common.h>

enum rs_end_reason {
    RS_END_OPEN = 0, /* still open at end of input, timer not run out */
    RS_END_TCP_FIN,
    RS_END_RST_CLIENT, /* tcp-rst-from-client */
    RS_END_RST_SERVER, /* tcp-rst-from-server */
    RS_END_TCP_REUSE,
    RS_END_AGED_OUT,
    RS_END_POLICY_DENY,
    RS_END__COUNT
};
const char *rs_end_reason_name(enum rs_end_reason r); /* "tcp-fin", ... */

enum rs_rst_by { RS_RST_BY_NONE = 0, RS_RST_BY_CLIENT, RS_RST_BY_SERVER, RS_RST_BY_BOTH };
const char *rs_rst_by_name(enum rs_rst_by b); /* "", "client", "server", "both" */

enum rs_confidence { RS_CONF_NONE = 0, RS_CONF_LOW, RS_CONF_MEDIUM, RS_CONF_HIGH };
const char *rs_confidence_name(enum rs_confidence c); /* "", "low", "medium", "high" */

/* SPEC §6 reset flags (bit set). */
#define RS_RSTF_TTL_MISMATCH 0x01u
#define RS_RSTF_EARLY_ARRIVAL 0x02u
#define RS_RSTF_HDR_ANOMALY 0x04u
#define RS_RSTF_OUT_OF_WINDOW 0x08u
#define RS_RSTF_PAYLOAD 0x10u
#define RS_RSTF_AFTER_IDLE 0x20u
/* Writes "ttl_mismatch,early_arrival" style text; returns its length. */
size_t rs_rst_flags_format(uint32_t flags, char *buf, size_t len);

#define RS_ID_PER_FRAME 10u /* a frame begins at most one session per layer (RS_MAX_LAYERS) */

struct rs_record {
    /* The session's first frame: its 1-based position among all the frames
     * analyzed (over every input file; with rs_parallel, in the whole
     * input, whatever the number of threads). Records of sessions that end
     * together (the timers a frame's time runs out, the end of the capture)
     * come in this order. Not printed by the writers. */
    uint64_t start_index;
    /* Unique, increasing in creation order: RS_ID_PER_FRAME x start_index +
     * the session's rank among those its first frame began (0; a session
     * inside a tunnel that frame also began, 1; ...). So the same whatever
     * the number of threads, as is the uid made from it. */
    uint64_t id;
    char uid[20];        /* Zeek-style connection uid ("C" + base62) */
    rs_time_ns ts;       /* first packet */
    rs_time_ns end_ts;   /* last packet */
    uint8_t proto;       /* IP protocol number (6, 17, 1, 58, ...) */
    uint8_t first_flags; /* TCP: flags (RS_TCP_*, low 8 bits) of the session's first
                                  * packet, e.g. to tell an unsolicited RST|ACK (backscatter)
                                  * from a bare RST; 0 otherwise. Not printed by the writers. */
    struct rs_addr client;
    struct rs_addr server;
    uint16_t client_port; /* ICMP: type; responder side: Zeek's counterpart code */
    uint16_t server_port;

    enum rs_end_reason end_reason;
    char app[24];       /* Zeek service name or App-ID state; "" unknown */
    char conn_state[8]; /* Zeek conn_state */
    char history[64];   /* Zeek history */

    uint64_t client_pkts, client_bytes, client_ip_bytes;
    uint64_t server_pkts, server_bytes, server_ip_bytes;
    uint64_t missed_bytes;

    enum rs_rst_by rst_by;
    char rst_cause[32]; /* SPEC §6 code, "" when no reset */
    enum rs_confidence rst_confidence;
    uint32_t rst_flags; /* RS_RSTF_* */
    uint64_t inflight_client_bytes;
    uint64_t inflight_server_bytes;

    char explanation[384];
    char hint[192];
    char sni[256];
    char http_host[256];

    char tunnel_parents[64]; /* uids of enclosing tunnel sessions, comma-separated */
    uint16_t vlan;
    uint16_t inner_vlan;

    /* Firewall policy emulation (--policy, see policy.h); both "" without a
     * policy. Printed by the panos writer and `explain`. */
    char action[16]; /* allow, deny, drop, reset-client, reset-server, reset-both */
    char rule[64];   /* name of the rule that decided; "" when none matched */
};

/* duration in nanoseconds (end_ts - ts, never negative: rs_time_span). */
static inline rs_time_ns
rs_record_duration(const struct rs_record *r)
{
    return rs_time_span(r->ts, r->end_ts);
}

/* "tcp", "udp", "icmp" (also for ICMPv6), else "unknown_transport" (Zeek's names). */
const char *rs_proto_name(uint8_t proto);

#endif
