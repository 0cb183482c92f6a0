/*
 * gen_summary - writes the capture tests/cli/summary.sh checks `rstscope
 * summary` against, with the project's packet writer (rstscope/craft.h).
 *
 *   gen_summary OUT.pcap
 *
 * Starting at 2024-01-01 00:00:00 UTC, over about six minutes:
 *   - 40 sessions 10.0.0.1-4 -> 10.0.1.1:80, request, response, FIN both ways;
 *   - 10 connections 10.0.0.5 -> 10.0.1.2:8080 refused (SYN, RST|ACK);
 *   - 6 sessions 10.0.0.6 -> 10.0.1.3:443 the server resets after the
 *     exchange, and 3 sessions 10.0.0.7 -> 10.0.1.3:443 the client resets
 *     while the server is still sending;
 *   - a RST flood: 150 bare RSTs to 192.0.2.10 from 203.0.113.1-3 (random
 *     ports, no session), 10 per second from minute 2;
 *   - backscatter: 60 RST|ACKs to 192.0.2.99 from port 80 of 30 hosts
 *     198.51.100.1-30 (2 each), at minute 3;
 *   - noise: 5 unsolicited RSTs to 192.0.2.50 (below every threshold).
 * The packets are sorted by time before they are written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rstscope/capture.h>
#include <rstscope/craft.h>

#define US(x) ((int64_t)(x))
#define MAXPK 4096

struct pk {
    rs_time_ns ts;
    size_t seq, len;
    uint8_t *data;
};

static struct pk pks[MAXPK];
static size_t npk;
static uint8_t frame[RS_CRAFT_MAX_FRAME];
static const rs_time_ns T0 = (rs_time_ns)1704067200 * RS_NS_PER_SEC; /* 2024-01-01 */

static void
keep(const struct rs_packet *p)
{
    if (npk == MAXPK) {
        fputs("gen_summary: too many packets\n", stderr);
        exit(1);
    }
    struct pk *k = &pks[npk];
    k->ts = p->ts;
    k->seq = npk++;
    k->len = p->caplen;
    k->data = malloc(p->caplen);
    if (!k->data)
        exit(1);
    memcpy(k->data, p->data, p->caplen);
}

static void
seg(struct rs_craft_flow *f, int dir, uint16_t flags, size_t len, int64_t dt_us)
{
    static const uint8_t payload[1400] = {'x'};
    struct rs_craft_seg s = {0};
    s.flags = flags;
    s.payload = len ? payload : NULL;
    s.len = len;
    s.dt_us = dt_us;
    struct rs_packet p;
    if (!rs_craft_flow_build(f, dir, &s, frame, sizeof frame, &p)) {
        fputs("gen_summary: build failed\n", stderr);
        exit(1);
    }
    keep(&p);
}

static void
flow(struct rs_craft_flow *f, const char *c, uint16_t cp, const char *s, uint16_t sp, rs_time_ns t)
{
    if (rs_craft_flow_init(f, c, cp, s, sp, t) != 0) {
        fputs("gen_summary: bad address\n", stderr);
        exit(1);
    }
}

#define C RS_CRAFT_CLIENT
#define S RS_CRAFT_SERVER
#define SYN RS_TCP_SYN
#define ACK RS_TCP_ACK
#define FIN RS_TCP_FIN
#define RST RS_TCP_RST
#define PSH RS_TCP_PSH

static void
handshake(struct rs_craft_flow *f)
{
    seg(f, C, SYN, 0, 0);
    seg(f, S, SYN | ACK, 0, 2000);
    seg(f, C, ACK, 0, 2000);
}

/* A lone RST (or RST|ACK) src:sport -> dst:dport at time t. */
static void
lone_rst(const char *src, uint16_t sport, const char *dst, uint16_t dport, int with_ack,
         uint32_t seq, rs_time_ns t)
{
    struct rs_craft_flow f;
    flow(&f, src, sport, dst, dport, t);
    struct rs_craft_seg s = {0};
    s.flags = (uint16_t)(RST | (with_ack ? ACK : 0));
    s.set_seq = 1;
    s.seq = with_ack ? 0 : seq;
    s.set_ack = 1;
    s.ack = with_ack ? seq + 1 : 0;
    struct rs_packet p;
    if (!rs_craft_flow_build(&f, C, &s, frame, sizeof frame, &p))
        exit(1);
    keep(&p);
}

static int
by_time(const void *a, const void *b)
{
    const struct pk *x = a, *y = b;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return x->seq < y->seq ? -1 : 1;
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fputs("usage: gen_summary OUT.pcap\n", stderr);
        return 1;
    }
    struct rs_craft_flow f;
    char a[32];
    uint32_t x = 12345;

    for (int i = 0; i < 40; i++) { /* graceful */
        snprintf(a, sizeof a, "10.0.0.%d", 1 + i % 4);
        flow(&f, a, (uint16_t)(41000 + i), "10.0.1.1", 80, T0 + (rs_time_ns)i * 7 * RS_NS_PER_SEC);
        handshake(&f);
        seg(&f, C, PSH | ACK, 100, 1000);
        seg(&f, S, PSH | ACK, 1000, 3000);
        seg(&f, C, FIN | ACK, 0, 1000);
        seg(&f, S, FIN | ACK, 0, 1000);
        seg(&f, C, ACK, 0, 1000);
    }
    for (int i = 0; i < 10; i++) { /* refused */
        flow(&f, "10.0.0.5", (uint16_t)(42000 + i), "10.0.1.2", 8080,
             T0 + (rs_time_ns)(30 + i) * RS_NS_PER_SEC);
        seg(&f, C, SYN, 0, 0);
        seg(&f, S, RST | ACK, 0, 300);
    }
    for (int i = 0; i < 6; i++) { /* server resets after the exchange */
        flow(&f, "10.0.0.6", (uint16_t)(43000 + i), "10.0.1.3", 443,
             T0 + (rs_time_ns)(60 + 20 * i) * RS_NS_PER_SEC);
        handshake(&f);
        seg(&f, C, PSH | ACK, 200, 1000);
        seg(&f, S, PSH | ACK, 800, 3000);
        seg(&f, C, ACK, 0, 1000);
        seg(&f, S, RST | ACK, 0, 200000);
    }
    for (int i = 0; i < 3; i++) { /* client aborts mid-transfer */
        flow(&f, "10.0.0.7", (uint16_t)(44000 + i), "10.0.1.3", 443,
             T0 + (rs_time_ns)(200 + 30 * i) * RS_NS_PER_SEC);
        handshake(&f);
        seg(&f, C, PSH | ACK, 200, 1000);
        for (int k = 0; k < 4; k++)
            seg(&f, S, PSH | ACK, 1400, 500);
        seg(&f, C, RST | ACK, 0, 300);
    }
    for (int i = 0; i < 150; i++) { /* flood: 10/s */
        snprintf(a, sizeof a, "203.0.113.%d", 1 + i % 3);
        x = x * 1103515245u + 12345u;
        lone_rst(a, (uint16_t)(20000 + i), "192.0.2.10", (uint16_t)(30000 + (x >> 16) % 30000), 0,
                 x, T0 + (rs_time_ns)120 * RS_NS_PER_SEC + (rs_time_ns)i * 100000000);
    }
    for (int i = 0; i < 60; i++) { /* backscatter */
        snprintf(a, sizeof a, "198.51.100.%d", 1 + i % 30);
        x = x * 1103515245u + 12345u;
        lone_rst(a, 80, "192.0.2.99", (uint16_t)(50000 + i), 1, x,
                 T0 + (rs_time_ns)180 * RS_NS_PER_SEC + (rs_time_ns)i * 250000000);
    }
    for (int i = 0; i < 5; i++) { /* noise */
        lone_rst("203.0.113.77", (uint16_t)(25000 + i), "192.0.2.50", 33333, 0, 777u * (unsigned)i,
                 T0 + (rs_time_ns)(100 + 40 * i) * RS_NS_PER_SEC);
    }

    qsort(pks, npk, sizeof pks[0], by_time);
    struct rs_error err = {0};
    struct rs_pcap_writer *w =
        rs_pcap_writer_open(argv[1], rs_craft_linktype(RS_CRAFT_LINK_ETHERNET), 1, &err);
    if (!w) {
        fprintf(stderr, "gen_summary: %s\n", err.msg);
        return 1;
    }
    for (size_t i = 0; i < npk; i++) {
        struct rs_packet p = {0};
        p.ts = pks[i].ts;
        p.caplen = (uint32_t)pks[i].len;
        p.len = (uint32_t)pks[i].len;
        p.data = pks[i].data;
        rs_pcap_writer_write(w, &p);
        free(pks[i].data);
    }
    if (rs_pcap_writer_close(w, &err) != 0) {
        fprintf(stderr, "gen_summary: %s\n", err.msg);
        return 1;
    }
    return 0;
}
