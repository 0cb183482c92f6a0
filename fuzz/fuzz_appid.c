/*
 * fuzz_appid.c - libFuzzer target for App-ID: the registry's per-session
 * look (reassembly, followers, limits), every dissector on its own and the
 * FTP control reader (rs_ftp_expect_parse).
 *
 * Input layout: byte 0 picks the transport (bit 0: UDP) and port hints
 * (bits 1-5 index a small table of well-known ports, so port-gated
 * dissectors run too); then records of [side/flags byte][length byte][bytes]
 * become packets of one session. Bit 1 of the flags byte repeats the
 * previous sequence number (a retransmission) and bit 2 skips ahead (a gap).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc \
 *       fuzz/fuzz_appid.c src/appid/\*.c -o build-fuzz/fuzz_appid
 *   build-fuzz/fuzz_appid fuzz/corpus/appid
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rstscope/appid.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint16_t ports[32] = {80,   443, 53,  22,   25,   110,  143,  21,   123,  67,   5060,
                                   3389, 445, 389, 88,   161,  514,  3306, 5432, 6379, 1883, 6881,
                                   179,  23,  554, 4789, 6081, 3544, 5072, 502,  137,  40000};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct rs_appid *a;
    if (!a)
        a = rs_appid_new(64, 4); /* tiny caps: the full paths run too */
    if (size < 1)
        return 0;
    uint8_t l4 = (data[0] & 1) ? 17 : 6;
    uint16_t port[2] = {40001, ports[(data[0] >> 1) & 31]};
    const uint8_t *p = data + 1;
    size_t n = size - 1;

    /* Every dissector alone on the whole rest, both sides, exact-size copy. */
    uint8_t *copy = malloc(n ? n : 1);
    if (!copy)
        return 0;
    memcpy(copy, p, n);
    for (int app = 0; app < RS_APP__COUNT; app++) {
        struct rs_appid_info info;
        memset(&info, 0, sizeof info);
        rs_appid_dissect((enum rs_app)app, copy, n, l4, 0, port, &info, NULL);
        rs_appid_dissect((enum rs_app)app, copy, n, l4, 1, port, &info, NULL);
    }
    /* The FTP control reader (data-channel announcements), both sides. */
    struct rs_ftp_expect x[4];
    rs_ftp_expect_parse(copy, n, 0, x, 4);
    rs_ftp_expect_parse(copy, n, 1, x, 4);
    free(copy);

    /* One session made of records. */
    struct rs_appid_flow f;
    memset(&f, 0, sizeof f);
    uint32_t seq[2] = {1, 0xffffff00u}, last[2] = {1, 0xffffff00u};
    while (n >= 2 && f.state == RS_APPID_LOOKING) {
        uint8_t flags = p[0];
        size_t len = p[1];
        p += 2;
        n -= 2;
        if (len > n)
            len = n;
        int side = flags & 1;
        uint8_t *pkt = malloc(len ? len : 1);
        if (!pkt)
            break;
        memcpy(pkt, p, len);
        struct rs_layer l;
        memset(&l, 0, sizeof l);
        l.proto = l4;
        l.payload = pkt;
        l.payload_caplen = (uint32_t)len;
        l.payload_len = (uint32_t)len + ((flags & 8) ? 7u : 0u); /* snaplen cut */
        if (flags & 2)
            seq[side] = last[side];
        if (flags & 4)
            seq[side] += 1000;
        l.u.tcp.seq = seq[side];
        l.u.tcp.flags = (flags & 16) ? RS_TCP_SYN : RS_TCP_ACK;
        last[side] = seq[side];
        seq[side] += l.payload_len;
        rs_appid_feed(a, &f, &l, side, (flags >> 5) & 1, port);
        free(pkt);
        p += len;
        n -= len;
    }
    char name[32];
    rs_appid_format(&f, l4, name, sizeof name);
    const struct rs_appid_info *info = rs_appid_info(a, &f);
    if (info && strlen(info->name) >= sizeof info->name)
        abort();
    rs_appid_release(a, &f);
    return 0;
}
