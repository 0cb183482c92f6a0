/*
 * gen_flood - writes a SYN flood: COUNT SYNs, each on its own 5-tuple, never
 * answered. The input for the bounded-memory test (tests/cli/robust_flood.sh,
 * docs/robustness.md): every SYN opens a session, so the live-session cap
 * (--max-sessions) is what keeps memory bounded.
 *
 *   gen_flood [-n COUNT] [-i NS] [-e] OUT.pcap
 *     -n COUNT  SYNs (default 2000000)
 *     -i NS     time between SYNs in nanoseconds (default 1000: 2M SYNs in
 *               2 s, well inside every profile's SYN timer, so no session
 *               ends by its timer and the cap must evict)
 *     -e        Ethernet frames (default: raw IP, LINKTYPE_RAW, smaller)
 *
 * SYN i comes from 10.0.0.0 + (i mod 2^24), port 1024 + i / 2^24, to
 * 192.0.2.1:80, with the options Linux sends (MSS, SACK, timestamps, window
 * scale); ISNs differ. Written with the project's own packet writer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rstscope/capture.h>
#include <rstscope/craft.h>

static unsigned long long
number(const char *s, const char *what)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || end == s) {
        fprintf(stderr, "gen_flood: bad %s '%s'\n", what, s);
        exit(1);
    }
    return v;
}

int
main(int argc, char **argv)
{
    unsigned long long count = 2000000, interval = 1000;
    int ether = 0, c;
    while ((c = getopt(argc, argv, "n:i:e")) != -1) {
        switch (c) {
        case 'n':
            count = number(optarg, "count");
            break;
        case 'i':
            interval = number(optarg, "interval");
            break;
        case 'e':
            ether = 1;
            break;
        default:
            fputs("usage: gen_flood [-n COUNT] [-i NS] [-e] OUT.pcap\n", stderr);
            return 1;
        }
    }
    if (optind != argc - 1 || count > (1ull << 32)) {
        fputs("usage: gen_flood [-n COUNT (at most 2^32)] [-i NS] [-e] OUT.pcap\n", stderr);
        return 1;
    }
    enum rs_craft_link link = ether ? RS_CRAFT_LINK_ETHERNET : RS_CRAFT_LINK_RAW;
    struct rs_error err = {0};
    struct rs_pcap_writer *w = rs_pcap_writer_open(argv[optind], rs_craft_linktype(link), 1, &err);
    if (!w) {
        fprintf(stderr, "gen_flood: %s\n", err.msg);
        return 1;
    }
    struct rs_craft_tcp t;
    memset(&t, 0, sizeof t);
    t.ip.link = link;
    const uint8_t dst[4] = {192, 0, 2, 1};
    rs_addr_from_v4(&t.ip.dst, dst);
    t.dport = 80;
    t.flags = RS_TCP_SYN;
    t.window = 64240;
    t.mss = 1460;
    t.sack_ok = 1;
    t.has_ts = 1;
    t.has_wscale = 1;
    t.wscale = 7;
    uint8_t frame[128];
    struct rs_packet pkt;
    memset(&pkt, 0, sizeof pkt);
    pkt.data = frame;
    rs_time_ns ts = INT64_C(1700000000) * RS_NS_PER_SEC;
    for (unsigned long long i = 0; i < count; i++) {
        uint32_t host = (uint32_t)(i & 0xffffffu);
        const uint8_t src[4] = {10, (uint8_t)(host >> 16), (uint8_t)(host >> 8), (uint8_t)host};
        rs_addr_from_v4(&t.ip.src, src);
        t.sport = (uint16_t)(1024 + (i >> 24));
        t.seq = (uint32_t)(i * 2654435761u);
        t.ip.ip_id = (uint16_t)i;
        t.ts_val = (uint32_t)i;
        size_t n = rs_craft_tcp(&t, frame, sizeof frame);
        if (!n) {
            fputs("gen_flood: cannot build a SYN\n", stderr);
            return 1;
        }
        pkt.ts = ts;
        pkt.caplen = pkt.len = (uint32_t)n;
        if (rs_pcap_writer_write(w, &pkt) != 0)
            break;
        ts += (rs_time_ns)interval;
    }
    if (rs_pcap_writer_close(w, &err) != 0) {
        fprintf(stderr, "gen_flood: %s\n", err.msg);
        return 1;
    }
    return 0;
}
