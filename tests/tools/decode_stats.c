/*
 * decode_stats - decode every frame of some captures and count the outcomes.
 *
 *   decode_stats [-c] [-v] [-d DEPTH] FILE...
 *     -c   verify checksums
 *     -v   one line per frame: status, then each layer
 *     -d   max tunnel depth (default: the decoder's)
 *
 * Prints, per file, the link type, frames, and the count of each decode
 * status; then the totals. A tool for checking the decoder on real
 * captures, not a test: it never fails on what it reads.
 */
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rstscope/decode.h>

static void
print_layer(const struct rs_layer *l)
{
    char s[64], d[64];
    rs_addr_format(&l->src, s, sizeof s);
    rs_addr_format(&l->dst, d, sizeof d);
    printf(" | tun=%d v%u %s:%u > %s:%u p=%u ip_len=%" PRIu32 " pl=%" PRIu32 "/%" PRIu32 "%s%s",
           (int)l->tunnel, l->family, s, l->sport, d, l->dport, l->proto, l->ip_len, l->payload_len,
           l->payload_caplen, l->reassembled ? " reasm" : "", l->csum ? " csum-bad" : "");
    if (l->proto == 6 && l->l4_ok)
        printf(" flags=%03x", l->u.tcp.flags);
}

int
main(int argc, char **argv)
{
    struct rs_decode_config cfg;
    rs_decode_config_default(&cfg);
    int verbose = 0;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-c") == 0) {
            cfg.verify_checksums = 1;
        } else if (strcmp(argv[i], "-v") == 0) {
            verbose = 1;
        } else if (strcmp(argv[i], "-d") == 0 && i + 1 < argc) {
            cfg.max_tunnel_depth = (unsigned)strtoul(argv[++i], NULL, 10);
        } else {
            fprintf(stderr, "usage: decode_stats [-c] [-v] [-d DEPTH] FILE...\n");
            return 1;
        }
    }
    uint64_t total[RS_DEC__COUNT] = {0}, frames = 0;
    for (; i < argc; i++) {
        char errbuf[PCAP_ERRBUF_SIZE];
        pcap_t *p = pcap_open_offline(argv[i], errbuf);
        if (!p) {
            fprintf(stderr, "%s: %s\n", argv[i], errbuf);
            continue;
        }
        struct rs_decoder *d = rs_decoder_new(&cfg);
        if (!d) {
            fprintf(stderr, "out of memory\n");
            pcap_close(p);
            return 1;
        }
        uint64_t n = 0, by[RS_DEC__COUNT] = {0};
        struct pcap_pkthdr *h;
        const u_char *data;
        int linktype = pcap_datalink(p);
        while (pcap_next_ex(p, &h, &data) == 1) {
            struct rs_packet pkt = {
                .ts = (rs_time_ns)h->ts.tv_sec * RS_NS_PER_SEC + (rs_time_ns)h->ts.tv_usec * 1000,
                .caplen = h->caplen,
                .len = h->len,
                .linktype = (uint32_t)linktype,
                .number = ++n,
                .data = data,
            };
            struct rs_decoded out;
            enum rs_decode_status st = rs_decode(d, &pkt, &out);
            by[st]++;
            if (verbose) {
                printf("%" PRIu64 " %s vlan=%u/%u", n, rs_decode_status_name(st), out.vlan,
                       out.inner_vlan);
                for (unsigned j = 0; j < out.n_layers; j++)
                    print_layer(&out.layer[j]);
                printf("\n");
            }
        }
        printf("%s: linktype %d, %" PRIu64 " frames:", argv[i], linktype, n);
        for (int s = 0; s < RS_DEC__COUNT; s++) {
            if (by[s])
                printf(" %s=%" PRIu64, rs_decode_status_name((enum rs_decode_status)s), by[s]);
            total[s] += by[s];
        }
        const uint64_t *cnt = rs_decoder_counters(d);
        if (cnt[RS_DEC_BAD_L4_CHECKSUM])
            printf(" (l4 checksum bad: %" PRIu64 ")", cnt[RS_DEC_BAD_L4_CHECKSUM]);
        if (cnt[RS_DEC_FRAG_DROPPED] > by[RS_DEC_FRAG_DROPPED])
            printf(" (fragments evicted: %" PRIu64 ")",
                   cnt[RS_DEC_FRAG_DROPPED] - by[RS_DEC_FRAG_DROPPED]);
        printf("\n");
        frames += n;
        rs_decoder_free(d);
        pcap_close(p);
    }
    printf("total %" PRIu64 " frames:", frames);
    for (int s = 0; s < RS_DEC__COUNT; s++)
        if (total[s])
            printf(" %s=%" PRIu64, rs_decode_status_name((enum rs_decode_status)s), total[s]);
    printf("\n");
    return 0;
}
