/*
 * rstscope/ipfix.h - IPFIX export of session records (RFC 7011 protocol,
 * RFC 7012 information elements, RFC 5103 bidirectional flows).
 *
 *   struct rs_ipfix *x = rs_ipfix_open("192.0.2.9:4739", RS_IPFIX_UDP, &opts, &err);
 *   engine = rs_engine_new(&cfg, on_record, x, &err);   // on_record: rs_ipfix_write(x, rec)
 *   ... feed packets, rs_engine_finish(engine) ...
 *   if (rs_ipfix_close(x, &err) != 0) ... err.msg says what was lost
 *
 * One Data Record per session record, as a biflow (RFC 5103): the forward
 * direction is client -> server (the initiator is the source, biflowDirection
 * 1), the reverse counters carry PEN 29305. Two templates: 256 for IPv4
 * sessions, 257 for IPv6. docs/ipfix.md lists every element for collectors.
 *
 * Templates go in the first message. Over UDP they are sent again every
 * `refresh_messages` messages and whenever `refresh_seconds` have passed on
 * the wall clock since the last time (RFC 7011 §8.4: a collector that
 * started late, or lost the datagram, learns them again). Over TCP they go
 * once per connection (§8.2).
 *
 * Records are packed into messages of at most `max_message` bytes; a message
 * leaves when the next record does not fit, at rs_ipfix_flush and at close
 * (with `stream`, after every record: live capture). The sequence number of a
 * message is the number of data records sent before it (§3.1).
 *
 * Sending: over UDP a datagram that cannot be sent (no collector: ICMP port
 * unreachable makes the next send fail with ECONNREFUSED) is counted and
 * the export goes on; rs_ipfix_close then reports how many were lost. Over
 * TCP the first failure ends the export (the stream is unusable): later
 * writes return RS_ERR_OUTPUT at once.
 */
#ifndef RSTSCOPE_IPFIX_H
#define RSTSCOPE_IPFIX_H

#include <stddef.h>
#include <stdint.h>

#include <rstscope/common.h>
#include <rstscope/record.h>

/* rstscope's own information elements use the enterprise number that IANA
 * reserves for documentation (RFC 5612): no registration, no clash with a
 * vendor's elements. */
#define RS_IPFIX_PEN 32473u
/* RFC 5103 §6.1: reverse information elements. */
#define RS_IPFIX_PEN_REVERSE 29305u

#define RS_IPFIX_TEMPLATE_V4 256
#define RS_IPFIX_TEMPLATE_V6 257

/* rstscope's enterprise-specific elements (PEN 32473); docs/ipfix.md. */
enum rs_ipfix_ie {
    RS_IPFIX_IE_END_REASON = 1,      /* string: "tcp-rst-from-client", ... */
    RS_IPFIX_IE_APP = 2,             /* string: Zeek service or App-ID state */
    RS_IPFIX_IE_CONN_STATE = 3,      /* string: Zeek conn_state */
    RS_IPFIX_IE_HISTORY = 4,         /* string: Zeek history */
    RS_IPFIX_IE_RST_BY = 5,          /* string: "", "client", "server", "both" */
    RS_IPFIX_IE_RST_CAUSE = 6,       /* string: SPEC §6 code */
    RS_IPFIX_IE_RST_CONFIDENCE = 7,  /* string: "", "low", "medium", "high" */
    RS_IPFIX_IE_RST_FLAGS = 8,       /* string: "ttl_mismatch,early_arrival" */
    RS_IPFIX_IE_INFLIGHT_CLIENT = 9, /* unsigned64: client bytes unacknowledged at the RST */
    RS_IPFIX_IE_INFLIGHT_SERVER = 10,
    RS_IPFIX_IE_CLIENT_PAYLOAD = 11, /* unsigned64: payload bytes client -> server */
    RS_IPFIX_IE_SERVER_PAYLOAD = 12,
    RS_IPFIX_IE_MISSED_BYTES = 13, /* unsigned64: sequence gaps never seen */
    RS_IPFIX_IE_UID = 14,          /* string: Zeek-style uid, as in jsonl */
    RS_IPFIX_IE_SNI = 15,          /* string: TLS server name */
    RS_IPFIX_IE_HTTP_HOST = 16,    /* string: HTTP Host header */
};

enum rs_ipfix_transport { RS_IPFIX_UDP = 0, RS_IPFIX_TCP = 1 };
/* "udp" or "tcp"; -1 if unknown. */
int rs_ipfix_transport_parse(const char *name);

/* All fields may be left zero for defaults. */
struct rs_ipfix_opts {
    uint32_t domain_id;        /* Observation Domain ID (default 0) */
    size_t max_message;        /* bytes per message: 0 = 1400 over UDP (one datagram on a
                                * 1500-byte MTU path), 65535 over TCP; at least
                                * RS_IPFIX_MIN_MESSAGE */
    unsigned refresh_messages; /* UDP: templates again every N messages (0: 20) */
    unsigned refresh_seconds;  /* UDP: and after S seconds on the wall clock (0: 60) */
    int stream;                /* send every record at once (live capture) */
    /* Wall clock for Export Time and the refresh timer; NULL: CLOCK_REALTIME.
     * For tests. */
    rs_time_ns (*clock)(void *user);
    void *clock_user;
};

/* The smallest max_message: a message with the biggest possible record. */
#define RS_IPFIX_MIN_MESSAGE 1280

/*
 * Where messages go when the caller does the sending (tests, another
 * transport): `msg` is one whole IPFIX message of `len` bytes, valid during
 * the call. Returns 0, or a negative enum rs_err with `err` saying why (the
 * message is counted as lost; over TCP the export ends there).
 */
typedef int (*rs_ipfix_send_fn)(const uint8_t *msg, size_t len, void *user, struct rs_error *err);

struct rs_ipfix;

/*
 * An exporter that hands each message to `send`. `transport` decides the
 * template schedule (UDP: resent; TCP: once). Errors: RS_ERR_USAGE
 * (max_message out of range), RS_ERR_NOMEM.
 */
struct rs_ipfix *rs_ipfix_new(enum rs_ipfix_transport transport, const struct rs_ipfix_opts *opts,
                              rs_ipfix_send_fn send, void *user, struct rs_error *err);

/*
 * An exporter to a collector at `target`: "HOST:PORT", "[v6addr]:PORT" or
 * ":PORT" / "PORT" for the loopback address. HOST is resolved once. UDP
 * uses a connected socket; TCP connects here (5 s timeout).
 * Errors: RS_ERR_USAGE (bad target), RS_ERR_OUTPUT (does not resolve, cannot
 * connect: the message names the target and the reason), RS_ERR_NOMEM.
 */
struct rs_ipfix *rs_ipfix_open(const char *target, enum rs_ipfix_transport transport,
                               const struct rs_ipfix_opts *opts, struct rs_error *err);

/*
 * Adds one record (copied into the message being built; nothing is kept).
 * Returns 0, or RS_ERR_OUTPUT once a TCP export has failed.
 */
int rs_ipfix_write(struct rs_ipfix *x, const struct rs_record *r);

/* rs_ipfix_write with an rs_record_fn signature: pass the exporter as `user`. */
void rs_ipfix_on_record(const struct rs_record *r, void *user);

/* Sends the message being built, if it holds any record. 0 or RS_ERR_OUTPUT
 * (TCP export failed). */
int rs_ipfix_flush(struct rs_ipfix *x);

struct rs_ipfix_stats {
    uint64_t records;       /* data records written */
    uint64_t messages;      /* messages handed to the transport */
    uint64_t bytes;         /* their bytes */
    uint64_t templates;     /* messages that carried the templates */
    uint64_t lost_messages; /* messages that could not be sent */
    uint64_t lost_records;  /* data records in them (and, after a fatal error, all later ones) */
};
void rs_ipfix_stats(const struct rs_ipfix *x, struct rs_ipfix_stats *out);

/*
 * Flushes, closes the socket and frees the exporter (NULL is allowed).
 * Returns 0, or RS_ERR_OUTPUT when any record was lost, with a message like
 * "IPFIX to 127.0.0.1:4739: 3 of 12 messages (40 records) not sent:
 * Connection refused".
 */
int rs_ipfix_close(struct rs_ipfix *x, struct rs_error *err);

/* ---- encoding, exposed for tests and other transports ---- */

/* tcpControlBits (RFC 7012, IE 6) of each direction, derived from the Zeek
 * history letters: S SYN, H SYN|ACK, A and D ACK, F FIN|ACK, R RST, I SYN|RST
 * (upper case: client, lower case: server). PSH, URG, ECE, CWR are never set. */
void rs_ipfix_tcp_flags(const struct rs_record *r, uint16_t *client, uint16_t *server);
/* flowEndReason (RFC 5102 §5.11.3): aged-out 1 (idle timeout), tcp-fin,
 * tcp-rst-*, tcp-reuse, policy-deny 3 (end of flow detected), open 4 (forced
 * end: the capture ended). */
uint8_t rs_ipfix_end_reason(enum rs_end_reason e);

#endif
