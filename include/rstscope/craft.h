/*
 * rstscope/craft.h - the project's packet writer: whole frames built from a
 * plain description, with correct checksums.
 *
 * Used by golden tests, fuzz seeds, the benchmark generator and the lab.
 * Frames are Ethernet II (optionally 802.1Q-tagged) or raw IP (LINKTYPE_RAW),
 * carrying IPv4 or IPv6 and then TCP, UDP or ICMP/ICMPv6. The builders write
 * into a caller buffer and return the frame length, or 0 when the buffer is
 * too small or the description impossible (mixed address families, payload
 * too large for one IP datagram). They never allocate.
 *
 * A flow (struct rs_craft_flow) plays both ends of one TCP conversation: it
 * keeps each side's next sequence number, acknowledges everything the peer
 * sent (as a receiver that lost nothing would), lets SYN and FIN consume one
 * sequence number each, counts IP IDs, and runs a clock, so a test reads like
 * the conversation it describes.
 */
#ifndef RSTSCOPE_CRAFT_H
#define RSTSCOPE_CRAFT_H

#include <rstscope/capture.h>
#include <rstscope/common.h>
#include <rstscope/decode.h> /* RS_TCP_SYN ... flag bits */
#include <rstscope/packet.h>

/* The largest frame a builder can produce: Ethernet + 802.1Q + a 64 KiB IP datagram. */
#define RS_CRAFT_MAX_FRAME (14 + 4 + 65535)

enum rs_craft_link {
    RS_CRAFT_LINK_ETHERNET = 0, /* LINKTYPE_ETHERNET (1) */
    RS_CRAFT_LINK_RAW = 1,      /* LINKTYPE_RAW (101): the frame starts at the IP header */
};

/* LINKTYPE_* value of a link choice, for rs_pcap_writer_open. */
uint32_t rs_craft_linktype(enum rs_craft_link link);

/* Link and IP layer; zero-initialised fields give sensible defaults. */
struct rs_craft_ip {
    enum rs_craft_link link;
    uint8_t src_mac[6], dst_mac[6]; /* Ethernet only */
    uint16_t vlan;                  /* Ethernet only: 802.1Q VLAN ID, 0 = untagged */
    struct rs_addr src, dst;        /* both IPv4 (v4-mapped) or both IPv6 */
    uint8_t ttl;                    /* IPv4 TTL / IPv6 hop limit; 0 means 64 */
    uint16_t ip_id;                 /* IPv4 only */
    uint8_t tos;                    /* IPv4 TOS / IPv6 traffic class */
    int df;                         /* IPv4: set Don't Fragment */
    uint32_t flow_label;            /* IPv6 only (20 bits) */
    int bad_ip_checksum;            /* IPv4: write a wrong header checksum */
};

struct rs_craft_tcp {
    struct rs_craft_ip ip;
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint16_t flags; /* RS_TCP_FIN | RS_TCP_SYN | ... (RS_TCP_NS included) */
    uint16_t window;
    uint16_t urg_ptr;
    /* Options, laid out as Linux does: MSS, SACK-permitted + TS, NOP + window scale. */
    uint16_t mss; /* MSS option when non-zero */
    int has_wscale;
    uint8_t wscale;
    int sack_ok;
    int has_ts;
    uint32_t ts_val, ts_ecr;
    const uint8_t *payload;
    size_t payload_len;
    int bad_checksum; /* write a wrong TCP checksum */
};

struct rs_craft_udp {
    struct rs_craft_ip ip;
    uint16_t sport, dport;
    const uint8_t *payload;
    size_t payload_len;
    int bad_checksum;  /* write a wrong UDP checksum */
    int zero_checksum; /* IPv4: send checksum 0 ("not computed", RFC 768) */
};

/* ICMP for IPv4, ICMPv6 (RFC 4443, pseudo-header checksum) for IPv6. */
struct rs_craft_icmp {
    struct rs_craft_ip ip;
    uint8_t type, code;
    uint32_t rest; /* header bytes 4..7: id/seq for echo, unused/MTU for errors */
    const uint8_t
        *payload; /* e.g. the quoted datagram of an error (build it with RS_CRAFT_LINK_RAW) */
    size_t payload_len;
    int bad_checksum;
};

size_t rs_craft_tcp(const struct rs_craft_tcp *spec, uint8_t *buf, size_t cap);
size_t rs_craft_udp(const struct rs_craft_udp *spec, uint8_t *buf, size_t cap);
size_t rs_craft_icmp(const struct rs_craft_icmp *spec, uint8_t *buf, size_t cap);

/* RFC 1071 Internet checksum of a buffer: the 16-bit value to store big-endian. */
uint16_t rs_craft_checksum(const void *data, size_t len);

/* ---- a TCP conversation ---- */

#define RS_CRAFT_CLIENT 0
#define RS_CRAFT_SERVER 1

struct rs_craft_flow {
    struct rs_craft_ip ip; /* template, client -> server (swapped for the server) */
    uint16_t port[2];      /* [RS_CRAFT_CLIENT], [RS_CRAFT_SERVER] */
    uint32_t next_seq[2];  /* next sequence number each side sends (ISNs after init) */
    uint8_t ttl[2];        /* TTL each side's packets arrive with */
    uint16_t ip_id[2];     /* next IPv4 ID of each side (incremented per packet) */
    uint16_t window[2];
    int syn_options;     /* SYN and SYN-ACK carry MSS 1460, SACK-permitted, TS, WS 7 */
    int timestamps;      /* every segment carries TS (val: the clock in ms) */
    uint32_t ts_peer[2]; /* last TS value each side sent */
    int sent_any[2];
    rs_time_ns now;   /* time of the last packet */
    uint64_t packets; /* packets built so far */
};

/*
 * Sets up a flow between client:cport and server:sport (IPv4 or IPv6
 * literals) starting at `start`: Ethernet, TTL 64 both ways, ISNs 1000000
 * (client) and 5000000 (server), windows 65535, SYN options on, timestamps
 * off. Change fields afterwards for anything else. RS_ERR_USAGE on a bad or
 * mixed-family address.
 */
int rs_craft_flow_init(struct rs_craft_flow *f, const char *client, uint16_t cport,
                       const char *server, uint16_t sport, rs_time_ns start);

/* One segment; the zero value of each override means "as the stack would". */
struct rs_craft_seg {
    uint16_t flags;
    const uint8_t *payload;
    size_t len;
    int64_t dt_us; /* advance the clock by this much before sending */
    int set_seq;   /* send `seq` instead of the side's next sequence number */
    uint32_t seq;
    int set_ack; /* send `ack` instead of the peer's next sequence number */
    uint32_t ack;
    uint8_t ttl; /* 0: the side's ttl */
    int set_window;
    uint16_t window;
    int retransmit; /* do not advance the side's next sequence number */
    int bad_checksum;
};

/*
 * Builds the next segment of side `dir` into buf and fills *out (ts, caplen,
 * len, linktype, number = packet count, data = buf); advances the flow's
 * state. Sequence rules: seq = the side's next_seq (or seg->seq); the side's
 * next_seq then moves past the payload, SYN and FIN unless `retransmit` (with
 * set_seq it moves only forward). ack = the peer's next_seq when ACK is set,
 * else 0. A RST from a side that has sent nothing yet (answering a SYN) has
 * seq 0, as RFC 9293 section 3.10.7.1 prescribes.
 * Returns the frame length, or 0 if it does not fit or the flow is invalid.
 */
size_t rs_craft_flow_build(struct rs_craft_flow *f, int dir, const struct rs_craft_seg *seg,
                           uint8_t *buf, size_t cap, struct rs_packet *out);

/* Builds a segment and appends it to w. 0, or RS_ERR_USAGE / RS_ERR_OUTPUT. */
int rs_craft_flow_send_seg(struct rs_craft_flow *f, int dir, const struct rs_craft_seg *seg,
                           struct rs_pcap_writer *w);

/* The common case: flags, payload, and the time since the previous packet (us). */
int rs_craft_flow_send(struct rs_craft_flow *f, int dir, uint16_t flags, const void *payload,
                       size_t len, int64_t dt_us, struct rs_pcap_writer *w);

/* A UDP datagram between the flow's endpoints (ports and addresses reused). */
int rs_craft_flow_send_udp(struct rs_craft_flow *f, int dir, const void *payload, size_t len,
                           int64_t dt_us, struct rs_pcap_writer *w);

#endif
