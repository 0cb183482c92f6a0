/*
 * gen_damaged - writes damaged captures for tests/cli/robust_damage.sh,
 * with what `rstscope analyze` must do on each.
 *
 *   gen_damaged DIR
 *
 * Writes DIR/<name> for every case below and DIR/manifest, one line per
 * case, tab-separated:
 *   name  exit  packets  stderr-pattern
 * `exit` is the exit status SPEC §1 wants (2 only when nothing in the file is
 * a capture), `packets` how many frames must reach the analysis (the sum of
 * the records' packet counts; -1: not checked), `stderr-pattern` an extended
 * regular expression the messages must match ("-": stderr must be empty).
 *
 * It also writes the captures for the truncation sweep, sweep.pcap and
 * sweep.pcapng, each with a .ends file: the byte offset where each packet
 * record ends, one per line, after a first line holding the size of the
 * file header (a prefix shorter than it is not a capture); and every
 * proper prefix of each as DIR/cut/sweep.pcap.K (K bytes).
 *
 * Every case starts from pl_mix (capbuf.h): 22 packets in 5 sessions.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tools/capbuf.h"

static const char *dir;
static FILE *manifest;

static void
emit(const char *name, const struct capbuf *b, size_t n, int want_exit, long packets,
     const char *pattern)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (cb_write_file(b, path, n) != 0) {
        perror(path);
        exit(1);
    }
    fprintf(manifest, "%s\t%d\t%ld\t%s\n", name, want_exit, packets, pattern);
}

/* Every proper prefix of b as DIR/cut/NAME.K, so the sweep spawns no cutter. */
static void
emit_prefixes(const char *name, const struct capbuf *b)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/cut", dir);
    if (mkdir(path, 0777) != 0 && errno != EEXIST) {
        perror(path);
        exit(1);
    }
    for (size_t k = 0; k < b->len; k++) {
        snprintf(path, sizeof path, "%s/cut/%s.%zu", dir, name, k);
        if (cb_write_file(b, path, k) != 0) {
            perror(path);
            exit(1);
        }
    }
}

static void
emit_ends(const char *name, size_t header, const size_t *ends, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.ends", dir, name);
    FILE *fp = fopen(path, "w");
    if (!fp) {
        perror(path);
        exit(1);
    }
    fprintf(fp, "%zu\n", header);
    for (size_t i = 0; i < n; i++)
        fprintf(fp, "%zu\n", ends[i]);
    fclose(fp);
}

/* xorshift: the "random bytes" cases are the same on every run. */
static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint8_t
rnd8(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint8_t)(rng >> 24);
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fputs("usage: gen_damaged DIR\n", stderr);
        return 1;
    }
    dir = argv[1];
    char mpath[4096];
    snprintf(mpath, sizeof mpath, "%s/manifest", dir);
    manifest = fopen(mpath, "w");
    if (!manifest) {
        perror(mpath);
        return 1;
    }
    struct pktlist l = {0};
    pl_mix(&l, INT64_C(1700000000) * RS_NS_PER_SEC);
    const long N = (long)l.n;
    const uint32_t ETH = 1;
    struct capbuf b = {0};

    /* ---- good captures in every encoding: the baseline ---- */
    cb_pcap_of(&b, &l, ETH, 0);
    emit("good.pcap", &b, b.len, 0, N, "-");
    cb_free(&b);
    cb_pcap_of(&b, &l, ETH, 1);
    emit("good-ns.pcap", &b, b.len, 0, N, "-");
    cb_free(&b);
    b.big_endian = 1;
    cb_pcap_of(&b, &l, ETH, 0);
    emit("good-be.pcap", &b, b.len, 0, N, "-");
    cb_free(&b);
    cb_pcapng_of(&b, &l, ETH);
    emit("good.pcapng", &b, b.len, 0, N, "-");
    cb_free(&b);
    b.big_endian = 1;
    cb_pcapng_of(&b, &l, ETH);
    emit("good-be.pcapng", &b, b.len, 0, N, "-");
    cb_free(&b);

    /* ---- the truncation sweep inputs: the first 4 packets (a handshake
     * and a request), small enough to run rstscope on every prefix ---- */
    const size_t SW = 4;
    size_t ends[4];
    cb_pcap_header(&b, ETH, 262144, 0);
    for (size_t i = 0; i < SW; i++) {
        cb_pcap_record(&b, &l.p[i], 0);
        ends[i] = b.len;
    }
    emit("sweep.pcap", &b, b.len, 0, (long)SW, "-");
    emit_ends("sweep.pcap", 24, ends, SW);
    emit_prefixes("sweep.pcap", &b);
    cb_free(&b);
    cb_ng_shb(&b);
    cb_ng_idb(&b, ETH, 262144);
    size_t ng_header = b.len;
    for (size_t i = 0; i < SW; i++) {
        cb_ng_epb(&b, 0, &l.p[i]);
        ends[i] = b.len;
    }
    emit("sweep.pcapng", &b, b.len, 0, (long)SW, "-");
    emit_ends("sweep.pcapng", ng_header, ends, SW);
    emit_prefixes("sweep.pcapng", &b);
    cb_free(&b);

    /* ---- classic pcap damage ---- */
    /* caplen over the snaplen: libpcap cuts the record to the snaplen (old
     * Solaris wrote such files) and reads on. At 60 bytes the 4 SYN and
     * SYN-ACK segments with options lose part of their TCP header, which is
     * counted (trunc_l4) and, as in Zeek, not analysed; the other 18 are. */
    cb_pcap_header(&b, ETH, 60, 0);
    for (size_t i = 0; i < l.n; i++)
        cb_pcap_record(&b, &l.p[i], 0);
    emit("caplen-over-snaplen.pcap", &b, b.len, 0, N - 4, "22 packets.*4 trunc_l4");
    cb_free(&b);

    /* caplen over len: more captured than was on the wire. */
    cb_pcap_header(&b, ETH, 262144, 0);
    for (size_t i = 0; i < l.n; i++) {
        const struct rs_packet *p = &l.p[i];
        cb_pcap_record_raw(&b, p->ts, 0, p->caplen, i % 2 ? 20 : p->caplen / 2, p->data, p->caplen);
    }
    emit("caplen-over-len.pcap", &b, b.len, 0, N, "-");
    cb_free(&b);

    /* A huge caplen in the 10th record: the 9 before it are analysed. */
    cb_pcap_header(&b, ETH, 262144, 0);
    for (size_t i = 0; i < l.n; i++) {
        const struct rs_packet *p = &l.p[i];
        if (i == 9)
            cb_pcap_record_raw(&b, p->ts, 0, 0x7fffffffu, 0x7fffffffu, p->data, p->caplen);
        else
            cb_pcap_record(&b, p, 0);
    }
    emit("huge-caplen.pcap", &b, b.len, 0, 9, "huge-caplen.pcap: damaged after packet 9");
    cb_free(&b);

    /* A caplen just above what libpcap accepts for Ethernet (262144). */
    cb_pcap_header(&b, ETH, 262144, 0);
    for (size_t i = 0; i < 5; i++)
        cb_pcap_record(&b, &l.p[i], 0);
    {
        static uint8_t big[262145];
        memcpy(big, l.p[5].data, l.p[5].caplen);
        cb_pcap_record_raw(&b, l.p[5].ts, 0, sizeof big, sizeof big, big, sizeof big);
    }
    for (size_t i = 6; i < l.n; i++)
        cb_pcap_record(&b, &l.p[i], 0);
    emit("caplen-262145.pcap", &b, b.len, 0, 5, "caplen-262145.pcap: damaged after packet 5");
    cb_free(&b);

    /* Zero-length records between good ones: each is a frame (counted as
     * cut short), and everything after them is still read. */
    cb_pcap_header(&b, ETH, 262144, 0);
    for (size_t i = 0; i < l.n; i++) {
        cb_pcap_record(&b, &l.p[i], 0);
        if (i == 3)
            cb_pcap_record_raw(&b, l.p[i].ts, 0, 0, 0, NULL, 0);
        if (i == 10)
            cb_pcap_record_raw(&b, l.p[i].ts, 0, 0, 1514, NULL, 0);
    }
    emit("zero-length.pcap", &b, b.len, 0, N, "24 packets.*trunc_link");
    cb_free(&b);

    /* A header only: a valid, empty capture. */
    cb_pcap_header(&b, ETH, 262144, 0);
    emit("header-only.pcap", &b, b.len, 0, 0, "-");
    cb_free(&b);

    /* Unknown link types: nothing decodes, the reason is counted. */
    cb_pcap_of(&b, &l, 147, 0);
    emit("linktype-147.pcap", &b, b.len, 0, 0, "22 packets.*unknown_linktype");
    cb_free(&b);
    cb_pcap_of(&b, &l, 0xfffe, 0);
    emit("linktype-65534.pcap", &b, b.len, 0, 0, "22 packets.*unknown_linktype");
    cb_free(&b);

    /* A snaplen of 0 and one of 2^32-1 in the header (libpcap substitutes its maximum). */
    cb_pcap_header(&b, ETH, 0, 0);
    for (size_t i = 0; i < l.n; i++)
        cb_pcap_record(&b, &l.p[i], 0);
    emit("snaplen-0.pcap", &b, b.len, 0, N, "-");
    cb_free(&b);
    cb_pcap_header(&b, ETH, 0xffffffffu, 0);
    for (size_t i = 0; i < l.n; i++)
        cb_pcap_record(&b, &l.p[i], 0);
    emit("snaplen-max.pcap", &b, b.len, 0, N, "-");
    cb_free(&b);

    /* Time stamps out of order and microseconds >= 10^6: read as they come. */
    cb_pcap_header(&b, ETH, 262144, 0);
    for (size_t i = 0; i < l.n; i++) {
        const struct rs_packet *p = &l.p[i];
        rs_time_ns ts = i % 3 == 2 ? p->ts - 50 * RS_NS_PER_SEC : p->ts;
        cb_u32(&b, (uint32_t)(ts / RS_NS_PER_SEC));
        cb_u32(&b, i == 7 ? 4000000000u : (uint32_t)(ts % RS_NS_PER_SEC / 1000));
        cb_u32(&b, p->caplen);
        cb_u32(&b, p->len);
        cb_bytes(&b, p->data, p->caplen);
    }
    emit("time-disorder.pcap", &b, b.len, 0, N, "-");
    cb_free(&b);

    /* Random bytes after a good header: the first record header is garbage. */
    cb_pcap_header(&b, ETH, 262144, 0);
    for (int i = 0; i < 4096; i++) {
        uint8_t r = rnd8();
        cb_bytes(&b, &r, 1);
    }
    emit("header-then-random.pcap", &b, b.len, 0, -1,
         "header-then-random.pcap: (damaged|truncated)");
    cb_free(&b);

    /* Random frames in well-formed records: decode damage only, never fatal. */
    cb_pcap_header(&b, ETH, 262144, 0);
    for (int i = 0; i < 200; i++) {
        uint8_t frame[200];
        size_t n = 14 + rnd8() % 180;
        for (size_t k = 0; k < n; k++)
            frame[k] = rnd8();
        if (i % 2) { /* mostly IPv4 so the layers behind Ethernet get hit too */
            frame[12] = 0x08;
            frame[13] = 0x00;
            frame[14] = (uint8_t)(0x40 | (frame[14] & 0x0f));
        }
        cb_pcap_record_raw(&b, INT64_C(1700000000) * RS_NS_PER_SEC + (int64_t)i * 1000000, 0,
                           (uint32_t)n, (uint32_t)n, frame, n);
    }
    emit("random-frames.pcap", &b, b.len, 0, -1, "200 packets");
    cb_free(&b);

    /* ---- not captures at all: exit 2 with a message naming the file ---- */
    emit("empty.pcap", &b, 0, 2, -1, "empty.pcap: empty file");
    for (int i = 0; i < 4096; i++) {
        uint8_t r = rnd8();
        cb_bytes(&b, &r, 1);
    }
    b.p[0] = 0x5a; /* no accidental magic */
    emit("random.pcap", &b, b.len, 2, -1, "random.pcap: not a pcap or pcapng file");
    cb_free(&b);
    cb_bytes(&b, "\x1f\x8b\x08\x00\x00\x00\x00\x00", 8);
    emit("gzip.pcap", &b, b.len, 2, -1, "gzip.pcap: .*gzip");
    cb_free(&b);
    cb_pcap_header(&b, ETH, 262144, 0);
    emit("short-header.pcap", &b, 20, 2, -1, "short-header.pcap: ");
    cb_free(&b);

    /* ---- pcapng damage ---- */
    /* A block whose length is below the minimum, after 6 good packets. */
    struct capbuf h = {0};
    cb_ng_shb(&h);
    cb_ng_idb(&h, ETH, 262144);
    for (size_t i = 0; i < 6; i++)
        cb_ng_epb(&h, 0, &l.p[i]);
    size_t six = h.len;

    b = h;
    b.p = malloc(h.cap);
    memcpy(b.p, h.p, h.len);
    cb_u32(&b, 6);
    cb_u32(&b, 8);
    cb_u32(&b, 8);
    for (size_t i = 6; i < l.n; i++)
        cb_ng_epb(&b, 0, &l.p[i]);
    emit("ng-short-block.pcapng", &b, b.len, 0, 6,
         "ng-short-block.pcapng: damaged after packet 6: .*length");
    cb_free(&b);

    /* A block length past 16 MiB (libpcap's limit). */
    b = h;
    b.p = malloc(h.cap);
    memcpy(b.p, h.p, h.len);
    cb_u32(&b, 6);
    cb_u32(&b, 0x40000000u);
    cb_zero(&b, 64);
    emit("ng-huge-block.pcapng", &b, b.len, 0, 6,
         "ng-huge-block.pcapng: damaged after packet 6: .*limit");
    cb_free(&b);

    /* A block length that runs past the end of the file. */
    b = h;
    b.p = malloc(h.cap);
    memcpy(b.p, h.p, h.len);
    cb_ng_epb(&b, 0, &l.p[6]);
    cb_put32(&b, six + 4, 100000);
    emit("ng-long-block.pcapng", &b, b.len, 0, 6, "ng-long-block.pcapng: truncated after packet 6");
    cb_free(&b);

    /* The trailing length disagrees with the leading one. */
    b = h;
    b.p = malloc(h.cap);
    memcpy(b.p, h.p, h.len);
    cb_ng_epb(&b, 0, &l.p[6]);
    cb_put32(&b, b.len - 4, 12345);
    for (size_t i = 7; i < l.n; i++)
        cb_ng_epb(&b, 0, &l.p[i]);
    emit("ng-trailer.pcapng", &b, b.len, 0, 6,
         "ng-trailer.pcapng: damaged after packet 6: .*trailer");
    cb_free(&b);

    /* A block length that is not a multiple of 4 but matches its trailer. */
    b = h;
    b.p = malloc(h.cap);
    memcpy(b.p, h.p, h.len);
    {
        size_t start = b.len;
        cb_u32(&b, 0x0badu); /* an unknown block type: skipped */
        cb_u32(&b, 0);
        cb_zero(&b, 3);
        uint32_t total = (uint32_t)(b.len - start + 4);
        cb_u32(&b, total);
        cb_put32(&b, start + 4, total);
    }
    for (size_t i = 6; i < l.n; i++)
        cb_ng_epb(&b, 0, &l.p[i]);
    emit("ng-odd-length.pcapng", &b, b.len, 0, N, "-");
    cb_free(&b);

    /* An EPB whose caplen exceeds its block. */
    b = h;
    b.p = malloc(h.cap);
    memcpy(b.p, h.p, h.len);
    cb_ng_epb(&b, 0, &l.p[6]);
    cb_put32(&b, six + 20, 0xfffffff0u);
    for (size_t i = 7; i < l.n; i++)
        cb_ng_epb(&b, 0, &l.p[i]);
    emit("ng-huge-caplen.pcapng", &b, b.len, 0, 6,
         "ng-huge-caplen.pcapng: damaged after packet 6: .*captured bytes");
    cb_free(&b);

    /* An EPB on an interface that was never described. */
    b = h;
    b.p = malloc(h.cap);
    memcpy(b.p, h.p, h.len);
    cb_ng_epb(&b, 7, &l.p[6]);
    emit("ng-bad-interface.pcapng", &b, b.len, 0, 6,
         "ng-bad-interface.pcapng: damaged after packet 6: .*interface 7");
    cb_free(&b);

    /* caplen over the interface's snaplen: the bytes are there, so they are used. */
    cb_ng_shb(&b);
    cb_ng_idb(&b, ETH, 64);
    for (size_t i = 0; i < l.n; i++)
        cb_ng_epb(&b, 0, &l.p[i]);
    emit("ng-caplen-over-snaplen.pcapng", &b, b.len, 0, N, "-");
    cb_free(&b);

    /* Two interfaces, one of an unknown link type: the Ethernet one is analysed. */
    cb_ng_shb(&b);
    cb_ng_idb(&b, 147, 262144);
    cb_ng_idb(&b, ETH, 262144);
    for (size_t i = 0; i < l.n; i++) {
        cb_ng_epb(&b, 1, &l.p[i]);
        if (i % 4 == 0)
            cb_ng_epb(&b, 0, &l.p[i]);
    }
    emit("ng-two-links.pcapng", &b, b.len, 0, N, "28 packets.*unknown_linktype");
    cb_free(&b);

    /* Zero-length EPBs. */
    cb_ng_shb(&b);
    cb_ng_idb(&b, ETH, 262144);
    for (size_t i = 0; i < l.n; i++) {
        cb_ng_epb(&b, 0, &l.p[i]);
        if (i == 2 || i == 15) {
            struct rs_packet z = l.p[i];
            z.caplen = 0;
            z.len = i == 2 ? 0 : 60;
            cb_ng_epb(&b, 0, &z);
        }
    }
    emit("ng-zero-length.pcapng", &b, b.len, 0, N, "24 packets.*trunc_link");
    cb_free(&b);

    /* A second section in the other byte order: read on. */
    cb_pcapng_of(&b, &l, ETH);
    b.big_endian = 1;
    cb_ng_shb(&b);
    cb_ng_idb(&b, ETH, 262144);
    for (size_t i = 0; i < l.n; i++) {
        struct rs_packet p = l.p[i];
        p.ts += 10 * RS_NS_PER_SEC;
        cb_ng_epb(&b, 0, &p);
    }
    emit("ng-two-sections.pcapng", &b, b.len, 0, 2 * N, "-");
    cb_free(&b);

    /* Time stamps at the ends of 64 bits (the largest is past what fits in
     * int64 nanoseconds) and one in 1970: analysed, not overflowed. */
    cb_ng_shb(&b);
    cb_ng_idb(&b, ETH, 262144);
    for (size_t i = 0; i < l.n; i++) {
        size_t start = b.len;
        cb_ng_epb(&b, 0, &l.p[i]);
        uint32_t hi = i < 8 ? 0xffffffffu : i < 16 ? 0x7fffffffu : 0;
        cb_put32(&b, start + 12, hi);
        cb_put32(&b, start + 16, hi ? 0xffffffffu - (uint32_t)(l.n - i) : (uint32_t)i);
    }
    emit("ng-time-extremes.pcapng", &b, b.len, 0, N, "-");
    cb_free(&b);

    /* A bad byte-order magic in the section header: nothing is readable. */
    cb_pcapng_of(&b, &l, ETH);
    b.p[8] = 0x77;
    emit("ng-bad-bom.pcapng", &b, b.len, 2, -1, "ng-bad-bom.pcapng: .*byte-order magic");
    cb_free(&b);

    /* Random bytes after a good section header and interface. */
    cb_ng_shb(&b);
    cb_ng_idb(&b, ETH, 262144);
    for (int i = 0; i < 4096; i++) {
        uint8_t r = rnd8();
        cb_bytes(&b, &r, 1);
    }
    emit("ng-then-random.pcapng", &b, b.len, 0, 0,
         "ng-then-random.pcapng: (damaged|truncated) before the first packet");
    cb_free(&b);
    cb_free(&h);

    pl_free(&l);
    if (fclose(manifest) != 0) {
        perror(mpath);
        return 1;
    }
    return 0;
}
