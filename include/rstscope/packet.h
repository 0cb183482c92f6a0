/*
 * rstscope/packet.h - a captured frame as the pipeline below capture sees it.
 *
 * The pipeline never includes <pcap/pcap.h>: capture code fills this plain
 * struct, so tests and fuzzers can feed packets without libpcap.
 * `data` is borrowed: it is valid only until the next packet is read.
 */
#ifndef RSTSCOPE_PACKET_H
#define RSTSCOPE_PACKET_H

#include <rstscope/common.h>

/* LINKTYPE_* values (https://www.tcpdump.org/linktypes.html) we decode. */
enum rs_linktype {
    RS_LINK_NULL = 0, /* BSD loopback: 4-byte host-order AF_ */
    RS_LINK_ETHERNET = 1,
    RS_LINK_PPP = 9,
    RS_LINK_FDDI = 10,
    RS_LINK_RAW_OLD = 12,  /* DLT_RAW on OpenBSD-ish systems */
    RS_LINK_RAW_OLD2 = 14, /* DLT_RAW on BSD/OS */
    RS_LINK_PPP_HDLC = 50,
    RS_LINK_PPP_ETHER = 51, /* PPPoE session frames without Ethernet */
    RS_LINK_RAW = 101,
    RS_LINK_C_HDLC = 104,
    RS_LINK_IEEE802_11 = 105,
    RS_LINK_LOOP = 108, /* OpenBSD loopback: 4-byte network-order AF_ */
    RS_LINK_LINUX_SLL = 113,
    RS_LINK_IEEE802_11_RADIOTAP = 127,
    RS_LINK_PPI = 192,
    RS_LINK_IPV4 = 228,
    RS_LINK_IPV6 = 229,
    RS_LINK_NFLOG = 239,
    RS_LINK_LINUX_SLL2 = 276,
};

struct rs_packet {
    rs_time_ns ts;     /* capture time */
    uint32_t caplen;   /* bytes present at data */
    uint32_t len;      /* bytes on the wire */
    uint32_t linktype; /* LINKTYPE_* */
    uint64_t number;   /* 1-based frame number in the input (what Wireshark shows) */
    const uint8_t *data;
};

#endif
