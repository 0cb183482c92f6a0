/*
 * rstscope/appid.h - application identification from the first payload bytes.
 *
 * A registry of dissectors, one per protocol (src/appid/app_<proto>.c), each
 * answering MATCH, NO or NEED_MORE when shown the first payload bytes of one
 * direction of a session. The well-known port only orders the tries; a
 * dissector decides from the bytes.
 *
 * Per session the engine embeds a small `struct rs_appid_flow` (no pointers,
 * zeroed with the flow) and calls rs_appid_feed() for each TCP/UDP packet
 * with payload while `state == RS_APPID_LOOKING`. Once the protocol is known
 * or the session is past the look limits the state becomes DONE and the
 * packet path costs one compare. What cannot live in every flow (names such
 * as the TLS SNI and the HTTP Host, and the bytes of a first flight split
 * over several TCP segments) lives in two bounded side stores owned by
 * `struct rs_appid`, referenced from the flow by 32-bit index and allocated
 * only when a name is found or a message is incomplete. rs_appid_release()
 * must be called when the flow ends; it is idempotent.
 *
 * Look limits per session and direction: RS_APPID_MAX_PKTS payload packets,
 * and for TCP the first RS_APPID_REASM_BYTES of the stream (in order; a gap
 * stops the look at that direction). Nothing is allocated per packet; the
 * stores grow by doubling up to their caps and reuse freed entries.
 *
 * Names follow Zeek's `service` column (lowercased analyzer tags: "http",
 * "ssl", "dns", "ldap_tcp", "krb_tcp", "syslog_tcp", ...); where Zeek has no
 * analyzer the protocol's common lowercase name ("bgp", "rtsp"). Services
 * found on top of the first (TLS after STARTTLS, the TLS inside QUIC,
 * Kerberos inside an LDAP SASL bind) are appended the way Zeek lists them:
 * "smtp,ssl", "quic,ssl", "ldap_tcp,krb,gssapi".
 */
#ifndef RSTSCOPE_APPID_H
#define RSTSCOPE_APPID_H

#include <stddef.h>
#include <stdint.h>

#include <rstscope/decode.h>

enum rs_app {
    RS_APP_NONE = 0,
    RS_APP_HTTP,
    RS_APP_SSL,
    RS_APP_DNS,
    RS_APP_SSH,
    RS_APP_SMTP,
    RS_APP_POP3,
    RS_APP_IMAP,
    RS_APP_FTP,
    RS_APP_QUIC,
    RS_APP_NTP,
    RS_APP_DHCP,
    RS_APP_SIP,
    RS_APP_RDP,
    RS_APP_SMB,
    RS_APP_LDAP,
    RS_APP_KRB,
    RS_APP_SNMP,
    RS_APP_SYSLOG,
    RS_APP_MYSQL,
    RS_APP_POSTGRESQL,
    RS_APP_REDIS,
    RS_APP_MQTT,
    RS_APP_BITTORRENT,
    RS_APP_BGP,
    RS_APP_TELNET,
    RS_APP_RTSP,
    RS_APP_VXLAN,
    RS_APP_GENEVE,
    RS_APP_TEREDO,
    RS_APP_AYIYA,
    RS_APP_MODBUS,
    RS_APP_IRC,
    RS_APP_FTP_DATA, /* an FTP data channel: no dissector, announced on the control connection */
    RS_APP__COUNT
};

/* Zeek-style service name of a protocol carried over `l4` (6 TCP, 17 UDP):
 * some differ by transport ("ldap_tcp"/"ldap_udp", "krb_tcp"/"krb").
 * "" for RS_APP_NONE or an unknown value. Static storage. */
const char *rs_app_name(enum rs_app app, uint8_t l4);

/* Look limits (per direction). */
#define RS_APPID_MAX_PKTS 4
#define RS_APPID_REASM_BYTES 4096

/* Dissector answers. */
enum rs_appid_verdict {
    RS_APPID_NO = 0,    /* these bytes are not this protocol */
    RS_APPID_MATCH,     /* they are */
    RS_APPID_NEED_MORE, /* cannot tell yet: more bytes, or the other direction */
};

enum rs_appid_state {
    RS_APPID_LOOKING = 0, /* zero: a fresh flow is looked at */
    RS_APPID_DONE,        /* identified or given up: no more work per packet */
};

/* Per-session state, embedded in the flow (keep it small: every flow has one). */
struct rs_appid_flow {
    uint32_t cand;       /* bit per registry entry: still possible */
    uint32_t marks;      /* bit per registry entry: one direction looked right */
    uint32_t names;      /* 1 + index into the names store, 0 = none */
    uint32_t reasm;      /* 1 + index into the reassembly store, 0 = none */
    uint16_t bytes[2];   /* payload bytes looked at, by first-seen side (see feed) */
    uint8_t pkts[2];     /* payload packets looked at, by first-seen side */
    uint8_t state;       /* enum rs_appid_state */
    uint8_t app;         /* enum rs_app identified, 0 none */
    uint8_t also;        /* RS_APPID_ALSO_* services found on top of it (ssl, krb, ...) */
    uint8_t follow;      /* 1 + registry index still wanting bytes after a match */
    uint8_t follow_pkts; /* payload packets seen while following */
};

/* Services Zeek lists after the first one ("smtp,ssl", "ldap_tcp,krb,gssapi"). */
#define RS_APPID_ALSO_SSL 0x01u
#define RS_APPID_ALSO_KRB 0x02u
#define RS_APPID_ALSO_GSSAPI 0x04u
#define RS_APPID_ALSO_NTLM 0x08u
#define RS_APPID_ALSO_SMTP 0x10u

/* After a match, a dissector may follow the session this many more payload
 * packets (both directions) for a name or a TLS upgrade. */
#define RS_APPID_FOLLOW_PKTS 24

/* What dissectors find besides the protocol. Strings are NUL-terminated,
 * printable ASCII only (other bytes are replaced by '?'), possibly cut.
 * One entry per named session is kept until the session ends, so it is
 * compact (220 bytes): a session has a TLS server name or an HTTP Host, and
 * the first one found is kept (after HTTP CONNECT that is the Host); names
 * longer than 127 bytes are cut (nDPI keeps 79). */
struct rs_appid_info {
    char name[128];       /* the server name: see name_kind */
    uint8_t name_kind;    /* RS_APPID_NAME_*, 0 = none yet */
    char http_method[11]; /* first request's method */
    char alpn[32];        /* TLS ALPN protocols offered, comma-separated */
    char banner[40];      /* SSH version string */
    uint16_t http_status; /* first response's status code */
    uint16_t tls_version; /* highest offered (ClientHello) or chosen (ServerHello) */
    uint32_t quic_version;
};
#define RS_APPID_NAME_SNI 1  /* TLS/QUIC server_name (RFC 6066 §3) */
#define RS_APPID_NAME_HOST 2 /* HTTP Host field, as sent (port included) */

/* The SNI / the HTTP Host of `i`, or "" when it holds the other or none. */
static inline const char *
rs_appid_info_sni(const struct rs_appid_info *i)
{
    return i && i->name_kind == RS_APPID_NAME_SNI ? i->name : "";
}
static inline const char *
rs_appid_info_host(const struct rs_appid_info *i)
{
    return i && i->name_kind == RS_APPID_NAME_HOST ? i->name : "";
}

struct rs_appid;

/* Caps: `max_names` entries in the names store, `max_reasm` concurrent
 * reassembly buffers (0 = defaults: 1,000,000 and 4,096). NULL on ENOMEM. */
struct rs_appid *rs_appid_new(size_t max_names, size_t max_reasm);
void rs_appid_free(struct rs_appid *a);

/*
 * Feeds one packet's transport payload. `l` is the decoded layer (TCP or UDP;
 * others are ignored), `side` the sender's oriented side (0 client, 1 server),
 * `flipped` the flow's current orientation parity (state is kept by the side
 * first seen, so a later orientation flip needs no fix-up), `port` the
 * oriented ports {client, server}. Call only while af->state is LOOKING.
 */
void rs_appid_feed(struct rs_appid *a, struct rs_appid_flow *af, const struct rs_layer *l, int side,
                   int flipped, const uint16_t port[2]);

/* Writes the service name ("http", "smtp,ssl") into buf; returns its length,
 * 0 if nothing was identified (buf then holds ""). */
size_t rs_appid_format(const struct rs_appid_flow *af, uint8_t l4, char *buf, size_t len);

/* The names found for a flow, or NULL if none. Valid until release. */
const struct rs_appid_info *rs_appid_info(const struct rs_appid *a, const struct rs_appid_flow *af);

/* Frees the flow's side-store entries; the flow state becomes DONE. */
void rs_appid_release(struct rs_appid *a, struct rs_appid_flow *af);

struct rs_appid_stats {
    uint64_t fed;        /* packets looked at */
    uint64_t matched;    /* flows identified */
    uint64_t gave_up;    /* flows past the limits or with no candidate left */
    uint64_t names_full; /* names not kept: store at its cap */
    uint64_t reasm_full; /* reassembly not started: store at its cap */
    uint64_t reasm_gap;  /* a direction stopped at a sequence gap */
    uint64_t live_names, live_reasm;
};
void rs_appid_stats(const struct rs_appid *a, struct rs_appid_stats *out);

/*
 * Runs one protocol's dissector on a standalone message (for tests and
 * fuzzing): `data` is one direction's first bytes, `l4` 6 or 17, `side` 0
 * client / 1 server, ports {client, server}. `info` (may be NULL) receives
 * names. With app == RS_APP_NONE every dissector is tried in registry order
 * and the first match is returned through *matched (may be NULL).
 */
enum rs_appid_verdict rs_appid_dissect(enum rs_app app, const uint8_t *data, size_t len, uint8_t l4,
                                       int side, const uint16_t port[2], struct rs_appid_info *info,
                                       enum rs_app *matched);

/*
 * FTP data channels (Zeek's "ftp-data"). Every payload segment of a session
 * identified as FTP goes on being read, after the look, for the data
 * channels it announces: the client's PORT (RFC 959 §4.1.2) or EPRT (RFC
 * 2428 §2), whose data connection the server opens, and the server's 227
 * (RFC 959 §4.2, PASV) or 229 (RFC 2428 §3, EPSV) reply, whose data
 * connection the client opens. The engine then names "ftp-data" the next
 * TCP session from that side to the other's announced port within five
 * minutes (Zeek's expectation time).
 */
struct rs_ftp_expect {
    uint8_t by_server; /* 1: PORT/EPRT, the server connects; 0: 227/229, the client */
    uint8_t has_addr;  /* 0 for a 229 reply, which names the port only */
    struct rs_addr addr;
    uint16_t port;
};

/*
 * Reads one segment of an FTP control connection sent by `side` (0 client,
 * 1 server) for data-channel announcements, each a whole line (CR LF or LF)
 * of the segment; fills up to `max` of `out`. Returns how many it found.
 * Malformed announcements (a number out of range, port 0) are not counted.
 */
size_t rs_ftp_expect_parse(const uint8_t *seg, size_t len, int side, struct rs_ftp_expect *out,
                           size_t max);

#endif
