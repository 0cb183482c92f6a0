/*
 * fuzz_decode.c - libFuzzer target for the frame decoder (src/decode/):
 * every link type, IP, extension headers, fragments, tunnels, transports.
 *
 * Input layout: byte 0 picks the link type (bits 0-4 index `links` below,
 * which holds every LINKTYPE_* the decoder knows and a few it does not) and
 * three switches: bit 5 verifies checksums, bit 6 marks the frame cut by a
 * snaplen (len > caplen), bit 7 selects several frames. Without bit 7 the
 * rest of the input is one frame. With it, the rest is records of
 * [dt][len_hi][len_lo][len bytes], all fed to one decoder (dt in 100 ms
 * steps), so fragment reassembly, its limits and its timeout run too.
 *
 * Each frame is copied into a buffer of exactly its size, and every byte the
 * decoder says a layer's payload has is read back, so ASan catches a slice
 * that points outside the frame or the reassembly buffer.
 *
 *   make fuzz FUZZ_TARGETS=decode     (or: build-fuzz/fuzz_decode fuzz/corpus/decode)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rstscope/decode.h>

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint32_t links[32] = {
    RS_LINK_NULL,       RS_LINK_ETHERNET,
    RS_LINK_PPP,        RS_LINK_FDDI,
    RS_LINK_RAW_OLD,    RS_LINK_RAW_OLD2,
    RS_LINK_PPP_HDLC,   RS_LINK_PPP_ETHER,
    RS_LINK_RAW,        RS_LINK_C_HDLC,
    RS_LINK_IEEE802_11, RS_LINK_LOOP,
    RS_LINK_LINUX_SLL,  RS_LINK_IEEE802_11_RADIOTAP,
    RS_LINK_PPI,        RS_LINK_IPV4,
    RS_LINK_IPV6,       RS_LINK_NFLOG,
    RS_LINK_LINUX_SLL2, 147 /* USER0: unknown */,
    RS_LINK_ETHERNET,   RS_LINK_ETHERNET,
    RS_LINK_ETHERNET,   RS_LINK_RAW,
    RS_LINK_RAW,        RS_LINK_LINUX_SLL,
    RS_LINK_LINUX_SLL2, RS_LINK_NULL,
    RS_LINK_IPV4,       RS_LINK_IPV6,
    0xffffffffu,        228 + 1000,
};

static volatile uint32_t sink;

static void
check(const struct rs_decoded *out)
{
    FUZZ_CHECK(out->n_layers <= RS_MAX_LAYERS);
    for (unsigned i = 0; i < out->n_layers; i++) {
        const struct rs_layer *l = &out->layer[i];
        FUZZ_CHECK(l->payload_caplen <= l->payload_len);
        FUZZ_CHECK(l->payload || !l->payload_caplen);
        uint32_t s = 0;
        for (uint32_t j = 0; j < l->payload_caplen; j++)
            s += l->payload[j];
        sink += s;
        FUZZ_CHECK(l->proto != 6 || !l->l4_ok || l->u.tcp.n_sack <= 4);
    }
}

static void
decode_one(struct rs_decoder *d, uint32_t linktype, int cut, rs_time_ns ts, uint64_t number,
           const uint8_t *p, size_t n)
{
    uint8_t *frame = malloc(n ? n : 1);
    if (!frame)
        return;
    memcpy(frame, p, n);
    struct rs_packet pkt;
    memset(&pkt, 0, sizeof pkt);
    pkt.ts = ts;
    pkt.caplen = (uint32_t)n;
    pkt.len = (uint32_t)n + (cut ? 1000u : 0u);
    pkt.linktype = linktype;
    pkt.number = number;
    pkt.data = frame;
    struct rs_decoded out;
    memset(&out, 0xa5, sizeof out); /* the decoder must not rely on a zeroed result */
    enum rs_decode_status st = rs_decode(d, &pkt, &out);
    FUZZ_CHECK((unsigned)st < RS_DEC__COUNT);
    check(&out);
    free(frame);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 70000)
        return 0;
    uint32_t linktype = links[data[0] & 31];
    struct rs_decode_config cfg;
    rs_decode_config_default(&cfg);
    cfg.verify_checksums = (data[0] >> 5) & 1;
    /* Small fragment caps: the table-full paths run too, and each run does
     * not allocate (and, under ASan, poison) the default 8 MiB pool. */
    cfg.frag_max_datagrams = 8;
    cfg.frag_max_bytes = (size_t)128 * 1024;
    int cut = (data[0] >> 6) & 1;
    struct rs_decoder *d = rs_decoder_new(&cfg);
    if (!d)
        return 0;
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    rs_time_ns ts = INT64_C(1700000000) * RS_NS_PER_SEC;
    if (!(data[0] & 0x80)) {
        decode_one(d, linktype, cut, ts, 1, p, n);
    } else {
        uint64_t number = 0;
        while (n >= 3) {
            ts += (rs_time_ns)p[0] * (RS_NS_PER_SEC / 10);
            size_t len = (size_t)p[1] << 8 | p[2];
            p += 3;
            n -= 3;
            if (len > n)
                len = n;
            decode_one(d, linktype, cut, ts, ++number, p, len);
            p += len;
            n -= len;
        }
    }
    const uint64_t *ctr = rs_decoder_counters(d);
    sink += (uint32_t)ctr[RS_DEC_OK];
    rs_decoder_free(d);
    return 0;
}
