/*
 * rstscope/decode.h - frame bytes to host-order structs.
 *
 * One call decodes a whole frame: link layer, IP (v4 options, v6 extension
 * headers, fragments), transport (TCP with options, UDP, ICMP/ICMPv6, or any
 * other IP protocol), and the tunnels Zeek decapsulates (IP-in-IP, GRE incl.
 * ERSPAN, VXLAN, Geneve, Teredo, AYIYA, GTPv1-U). Every IP layer of a tunnelled
 * frame becomes one `struct rs_layer`, outermost first, because each is a
 * session of its own (Zeek logs the outer UDP/GRE flow and the inner ones).
 *
 * A malformed frame is data, not an error: the decoder returns a status, bumps
 * the counter for that reason and keeps going. Layers decoded before the
 * damage are still returned (n_layers counts them), so a frame whose inner
 * packet is garbage still counts for its outer tunnel session.
 *
 * Memory: the decoder owns a bounded fragment-reassembly table. Pointers in
 * `struct rs_decoded` (payload) point either into the frame or into the
 * decoder's reassembly buffer; both are valid until the next rs_decode call.
 */
#ifndef RSTSCOPE_DECODE_H
#define RSTSCOPE_DECODE_H

#include <rstscope/common.h>
#include <rstscope/packet.h>

/* Decode outcome; each value except OK has a counter. */
enum rs_decode_status {
    RS_DEC_OK = 0,
    RS_DEC_NOT_IP,           /* ARP, LLDP, STP, ...: not an error, just not ours */
    RS_DEC_UNKNOWN_LINKTYPE, /* a link type we do not decode */
    RS_DEC_TRUNC_LINK,       /* frame ends inside the link header */
    RS_DEC_BAD_LINK,         /* link header inconsistent (bad PPPoE length, ...) */
    RS_DEC_TRUNC_IP,         /* frame ends inside the IP header */
    RS_DEC_BAD_IP_VERSION,
    RS_DEC_BAD_IP_HDRLEN,   /* IHL < 5, or options run past the header */
    RS_DEC_BAD_IP_LEN,      /* total length < header length */
    RS_DEC_BAD_IP_CHECKSUM, /* only when verifying: the frame is dropped */
    RS_DEC_IPV6_EXT,        /* extension header chain malformed or too long */
    RS_DEC_FRAG_HELD,       /* fragment stored, waiting for the rest */
    RS_DEC_FRAG_DROPPED,    /* fragment table full, overlap or oversize */
    RS_DEC_TRUNC_L4,        /* transport header cut by snaplen or IP length */
    RS_DEC_BAD_TCP_HDRLEN,  /* data offset < 5 or beyond the segment */
    RS_DEC_BAD_L4_CHECKSUM, /* only when verifying; the layer is still returned */
    RS_DEC_TUNNEL_DEPTH,    /* more nested tunnels than max_tunnel_depth */
    RS_DEC_BAD_TUNNEL,      /* tunnel header malformed */
    RS_DEC__COUNT
};

/* Stable lowercase name of a status ("trunc_ip", ...). */
const char *rs_decode_status_name(enum rs_decode_status st);

enum rs_tunnel_type {
    RS_TUN_NONE = 0,
    RS_TUN_IP,  /* IP-in-IP: 4in4, 6in4, 4in6, 6in6 */
    RS_TUN_GRE, /* incl. PPTP enhanced GRE, ERSPAN I/II/III */
    RS_TUN_VXLAN,
    RS_TUN_GENEVE,
    RS_TUN_TEREDO,
    RS_TUN_AYIYA,
    RS_TUN_GTPV1,
};

/* TCP flag bits as in the header byte 13 (+ NS in bit 8). */
#define RS_TCP_FIN 0x01u
#define RS_TCP_SYN 0x02u
#define RS_TCP_RST 0x04u
#define RS_TCP_PSH 0x08u
#define RS_TCP_ACK 0x10u
#define RS_TCP_URG 0x20u
#define RS_TCP_ECE 0x40u
#define RS_TCP_CWR 0x80u
#define RS_TCP_NS 0x100u

/* Checksum verdicts (only computed when the decoder is told to verify). */
#define RS_CSUM_IP_BAD 0x01u
#define RS_CSUM_L4_BAD 0x02u

struct rs_tcp_info {
    uint32_t seq;
    uint32_t ack;
    uint16_t flags;  /* RS_TCP_* */
    uint16_t window; /* raw, unscaled */
    uint16_t urgent;
    uint8_t hdr_len; /* data offset in bytes */
    /* Options (RFC 9293 §3.1, RFC 7323, RFC 2018). */
    uint8_t has_mss : 1;
    uint8_t has_wscale : 1;
    uint8_t sack_permitted : 1;
    uint8_t has_ts : 1;
    uint8_t opts_malformed : 1; /* an option's length ran past the header */
    uint8_t wscale;             /* shift count as sent (RFC 7323 caps use at 14) */
    uint8_t n_sack;             /* SACK blocks present (up to 4 kept) */
    uint16_t mss;
    uint32_t tsval;
    uint32_t tsecr;
    uint32_t sack[4][2]; /* left, right edges */
};

struct rs_icmp_info {
    uint8_t type;
    uint8_t code;
    uint8_t is_v6;     /* ICMPv6 */
    uint8_t has_quote; /* an error message quoting an IP header + 8 bytes */
    uint16_t id;       /* echo identifier (0 otherwise) */
    uint16_t seq;      /* echo sequence */
    /* The quoted packet's tuple, as the quoted packet's sender saw it. */
    uint8_t q_proto;
    uint16_t q_sport;
    uint16_t q_dport;
    struct rs_addr q_src;
    struct rs_addr q_dst;
};

/* One IP layer and what it carries. */
struct rs_layer {
    uint8_t family;      /* 4 or 6 */
    uint8_t proto;       /* transport protocol number after IPv6 ext headers */
    uint8_t ttl;         /* TTL or hop limit */
    uint8_t tos;         /* IPv4 TOS / IPv6 traffic class */
    uint8_t csum;        /* RS_CSUM_* bits (0 when not verified) */
    uint8_t l4_ok;       /* transport header decoded (ports/tcp/icmp valid) */
    uint8_t reassembled; /* built from IP fragments */
    uint8_t ip_df;       /* IPv4 don't-fragment bit */
    uint16_t ip_id;      /* IPv4 identification; IPv6: low 16 bits of frag id, else 0 */
    uint16_t sport;      /* TCP/UDP ports; 0 for portless protocols */
    uint16_t dport;
    uint32_t ip_len; /* IP packet length as declared: v4 total length,
                              v6 40 + payload length (after reassembly: whole datagram);
                              0 for an IPv4 Total Length of 0 (TCP segmentation
                              offload), whose other lengths come from the capture */
    uint32_t l4_len; /* transport bytes by declaration (ip_len - IP headers) */
    struct rs_addr src;
    struct rs_addr dst;
    /* Transport payload: `payload_len` is the declared length (from the IP
     * length; what TCP sequence space and Zeek byte counts use), and
     * `payload_caplen` <= payload_len is what is actually present at `payload`. */
    const uint8_t *payload;
    uint32_t payload_len;
    uint32_t payload_caplen;
    /* How this layer was reached from the one outside it. */
    enum rs_tunnel_type tunnel;
    union {
        struct rs_tcp_info tcp;
        struct rs_icmp_info icmp;
    } u;
};

#define RS_MAX_LAYERS 5

struct rs_decoded {
    uint8_t n_layers;    /* IP layers decoded, outermost first */
    uint16_t vlan;       /* outer 802.1Q VLAN id, 0 if none */
    uint16_t inner_vlan; /* QinQ inner VLAN id, 0 if none */
    struct rs_layer layer[RS_MAX_LAYERS];
};

struct rs_decode_config {
    int verify_checksums;        /* compute IPv4/TCP/UDP/ICMP checksums */
    unsigned max_tunnel_depth;   /* tunnels followed (Zeek's Tunnel::max_depth: 4) */
    unsigned frag_max_datagrams; /* concurrent partial datagrams (default 256) */
    size_t frag_max_bytes;       /* bytes held for reassembly in total (default 8 MiB) */
    rs_time_ns frag_timeout;     /* partial datagram dropped after (default 30 s) */
    /* TCP options of SYN segments only (default 0: of every segment). What
     * a session's state needs of them is the SYNs' window scale (RFC 7323
     * §2.2); the other segments then report no options, and a stream of
     * timestamped segments is decoded about 80 instructions a segment
     * faster (1,178 of them in the corpus's irc-dcc-send.pcapng: 93,000
     * fewer). The engine's decoder sets it. */
    int tcp_options_syn_only;
};

void rs_decode_config_default(struct rs_decode_config *cfg);

struct rs_decoder;

/* Returns NULL on allocation failure. */
struct rs_decoder *rs_decoder_new(const struct rs_decode_config *cfg);
void rs_decoder_free(struct rs_decoder *d);

/*
 * Decodes one frame. Returns RS_DEC_OK when at least the innermost layer is
 * usable; otherwise the reason, with `out->n_layers` still telling how many
 * outer layers were decoded before it (they are valid and usable).
 * RS_DEC_FRAG_HELD returns n_layers for the layers outside the fragment.
 */
enum rs_decode_status rs_decode(struct rs_decoder *d, const struct rs_packet *pkt,
                                struct rs_decoded *out);

/*
 * The common frame alone, the way rs_decode decodes it: Ethernet with at
 * most one 802.1Q tag, IPv4 without options, not a fragment, TCP or UDP
 * that is not a tunnel, checksums not verified. Fills *l and *vlan and
 * returns 1; returns 0 having decided nothing for any other frame (then
 * rs_decode). Changes nothing in the decoder, so it may run on a frame
 * ahead of the one being decoded (the engine's lookahead does).
 */
int rs_decode_fast(const struct rs_decoder *d, const struct rs_packet *pkt, struct rs_layer *l,
                   uint16_t *vlan);

/* Per-status counters since creation (index by enum rs_decode_status). */
const uint64_t *rs_decoder_counters(const struct rs_decoder *d);

/* Internet checksum helpers (RFC 1071), exposed for the packet writer and tests. */
uint16_t rs_inet_checksum(const uint8_t *data, size_t len, uint32_t initial);

#endif
