/*
 * gen_bench - deterministic synthetic captures for `make bench`.
 *
 *   gen_bench [-n PACKETS] [-c CONCURRENT] [-r PPS] [-s SEED] -o FILE
 *
 * Writes a classic pcap (Ethernet, microsecond time stamps) of PACKETS
 * frames (default 1,000,000) drawn from CONCURRENT sessions kept open at
 * once (default 5,000), interleaved at random. When a session has sent its
 * last packet its slot starts a new one, so the number of sessions in
 * flight stays constant and the capture's cost per packet does not depend
 * on its length. The same arguments always give the same bytes.
 *
 * Session mix (by weight), every way a session ends:
 *   38  HTTP over TCP closed by FINs (tcp-fin), 1..40 response segments
 *   10  TLS-looking TCP (ClientHello) closed by FINs
 *    8  client reset mid-transfer (tcp-rst-from-client)
 *    5  server reset after the request (tcp-rst-from-server, unread data)
 *    5  refused port: SYN answered by RST-ACK
 *    4  SYN never answered (aged-out after tcp-init)
 *    4  idle TCP: handshake, request, some data, then silence
 *   20  DNS over UDP: query and answer
 *    6  other UDP: 2..12 datagrams of 60..1200 bytes, then silence (aged-out)
 * Payload sizes follow what a LAN capture shows: full 1448-byte segments
 * for bulk data, 0-byte ACKs, 200..700-byte requests. 5% of sessions are
 * IPv6. Time advances by an exponential gap of mean 1/PPS (default 25,000
 * packets per second), so UDP and half-open sessions age out inside the
 * capture.
 *
 * Output goes through the project's packet writer (rs_pcap_writer).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rstscope/capture.h>
#include <rstscope/craft.h>

enum kind {
    K_HTTP,
    K_TLS,
    K_CLIENT_RST,
    K_SERVER_RST,
    K_REFUSED,
    K_SYN_ONLY,
    K_IDLE,
    K_DNS,
    K_UDP,
    K__COUNT
};

static const unsigned weight[K__COUNT] = {38, 10, 8, 5, 5, 4, 4, 20, 6};

struct sess {
    enum kind kind;
    unsigned step;  /* packets sent so far */
    unsigned nresp; /* response segments planned */
    unsigned nsent; /* response segments sent */
    unsigned acked; /* response segments the client has acknowledged */
    unsigned stop;  /* response segments before a client RST / idle stop */
    unsigned phase; /* 0 handshake/request, 1 response, 2 close */
    uint32_t resp_left;
    int ipv6;
    struct rs_craft_flow f;
};

static uint64_t rng_state;

static uint64_t
rnd(void)
{
    /* xorshift64*: fast, and the same everywhere. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * UINT64_C(2685821657736338717);
}

static unsigned
rnd_below(unsigned n)
{
    return (unsigned)(rnd() % n);
}

static uint8_t blob[65536];    /* payload bytes for bulk data */
static uint8_t http_req[1024]; /* a GET request, cut to size */
static size_t http_req_len;
static uint8_t tls_hello[600]; /* a ClientHello with an SNI */
static size_t tls_hello_len;
static uint8_t http_resp_hdr[] = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                                 "Server: bench\r\nContent-Length: 100000\r\n\r\n";

static void
init_payloads(void)
{
    for (size_t i = 0; i < sizeof blob; i++)
        blob[i] = (uint8_t)(rnd() >> 56);
    http_req_len = (size_t)snprintf((char *)http_req, sizeof http_req,
                                    "GET /assets/img/photo-%u.jpg HTTP/1.1\r\n"
                                    "Host: static.bench.example\r\n"
                                    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) "
                                    "Gecko/20100101 Firefox/128.0\r\n"
                                    "Accept: image/avif,image/webp,*/*\r\n"
                                    "Accept-Language: en-US,en;q=0.5\r\n"
                                    "Accept-Encoding: gzip, deflate, br\r\n"
                                    "Connection: keep-alive\r\n"
                                    "Referer: https://www.bench.example/index.html\r\n\r\n",
                                    12345u);
    /* TLS 1.2 record, ClientHello with server_name "www.bench.example". */
    static const char host[] = "www.bench.example";
    size_t hl = sizeof host - 1;
    uint8_t *p = tls_hello;
    size_t body = 2 + 32 + 1 + 2 + 2 * 8 + 1 + 1 + 2 + (4 + 5 + hl);
    *p++ = 0x16;
    *p++ = 3;
    *p++ = 1;
    *p++ = (uint8_t)((body + 4) >> 8);
    *p++ = (uint8_t)(body + 4);
    *p++ = 1; /* ClientHello */
    *p++ = 0;
    *p++ = (uint8_t)(body >> 8);
    *p++ = (uint8_t)body;
    *p++ = 3;
    *p++ = 3;
    memcpy(p, blob, 32); /* random */
    p += 32;
    *p++ = 0; /* session id */
    *p++ = 0;
    *p++ = 16; /* 8 cipher suites */
    for (int i = 0; i < 8; i++) {
        *p++ = 0xc0;
        *p++ = (uint8_t)(0x2b + i);
    }
    *p++ = 1; /* compression: null */
    *p++ = 0;
    size_t ext = 4 + 5 + hl;
    *p++ = (uint8_t)(ext >> 8);
    *p++ = (uint8_t)ext;
    *p++ = 0; /* server_name */
    *p++ = 0;
    *p++ = (uint8_t)((5 + hl) >> 8);
    *p++ = (uint8_t)(5 + hl);
    *p++ = (uint8_t)((3 + hl) >> 8);
    *p++ = (uint8_t)(3 + hl);
    *p++ = 0; /* host_name */
    *p++ = (uint8_t)(hl >> 8);
    *p++ = (uint8_t)hl;
    memcpy(p, host, hl);
    p += hl;
    tls_hello_len = (size_t)(p - tls_hello);
}

static enum kind
pick_kind(void)
{
    unsigned total = 0;
    for (int k = 0; k < K__COUNT; k++)
        total += weight[k];
    unsigned r = rnd_below(total);
    for (int k = 0; k < K__COUNT; k++) {
        if (r < weight[k])
            return (enum kind)k;
        r -= weight[k];
    }
    return K_HTTP;
}

static void
sess_start(struct sess *s, rs_time_ns now, uint64_t serial)
{
    memset(s, 0, sizeof *s);
    s->kind = pick_kind();
    s->ipv6 = rnd_below(100) < 5;
    char cli[64], srv[64];
    /* Clients spread over a /12, servers over a few hundred hosts; client
     * ports cycle through the ephemeral range so tuples rarely repeat. */
    uint32_t c = (uint32_t)rnd();
    unsigned sv = rnd_below(400);
    if (s->ipv6) {
        snprintf(cli, sizeof cli, "2001:db8:%x:%x::%x", (c >> 16) & 0xfff, (c >> 4) & 0xfff,
                 c & 0xffff);
        snprintf(srv, sizeof srv, "2001:db8:ffff::%x", sv + 1);
    } else {
        snprintf(cli, sizeof cli, "10.%u.%u.%u", 16 + ((c >> 20) & 15), (c >> 8) & 255,
                 1 + (c & 127));
        snprintf(srv, sizeof srv, "198.51.%u.%u", 100 + sv / 250, 1 + sv % 250);
    }
    uint16_t cport = (uint16_t)(32768 + (serial * 7919 + (c >> 24)) % 28000);
    uint16_t sport;
    switch (s->kind) {
    case K_TLS:
        sport = 443;
        break;
    case K_DNS:
        sport = 53;
        break;
    case K_UDP:
        sport = (uint16_t)(10000 + rnd_below(20000));
        break;
    case K_REFUSED:
        sport = (uint16_t)(1024 + rnd_below(8000));
        break;
    default:
        sport = 80;
        break;
    }
    rs_craft_flow_init(&s->f, cli, cport, srv, sport, now);
    s->f.next_seq[0] = (uint32_t)rnd();
    s->f.next_seq[1] = (uint32_t)rnd();
    s->f.ttl[0] = (uint8_t)(64 - rnd_below(8));
    s->f.ttl[1] = (uint8_t)(52 + rnd_below(8));
    s->f.ip_id[0] = (uint16_t)rnd();
    s->f.ip_id[1] = (uint16_t)rnd();
    s->f.window[0] = 502;
    s->f.window[1] = 501;
    /* Response sizes: many small objects, a few big ones. */
    unsigned r = rnd_below(100);
    s->nresp = r < 50 ? 1 + rnd_below(4) : r < 90 ? 4 + rnd_below(12) : 16 + rnd_below(25);
    s->stop = 1 + rnd_below(s->nresp);
}

/* Sends the session's next packet. Returns 1 when the session is over. */
static int
sess_step(struct sess *s, rs_time_ns now, struct rs_pcap_writer *w)
{
    struct rs_craft_flow *f = &s->f;
    f->now = now;
    unsigned st = s->step++;
    const uint16_t A = RS_TCP_ACK, PA = RS_TCP_PSH | RS_TCP_ACK;
    if (s->kind == K_DNS) {
        static const uint8_t q[] = {0x12, 0x34, 1,   0,   0,   1,   0,   0,   0,   0,   0, 0,
                                    3,    'w',  'w', 'w', 5,   'b', 'e', 'n', 'c', 'h', 7, 'e',
                                    'x',  'a',  'm', 'p', 'l', 'e', 0,   0,   1,   0,   1};
        uint8_t msg[128];
        memcpy(msg, q, sizeof q);
        msg[0] = (uint8_t)s->f.port[0];
        if (st == 0) {
            rs_craft_flow_send_udp(f, RS_CRAFT_CLIENT, msg, sizeof q, 0, w);
            return 0;
        }
        msg[2] = 0x81;
        msg[3] = 0x80;
        msg[7] = 1;
        static const uint8_t an[] = {0xc0, 0x0c, 0, 1, 0,   1,  0,   0,
                                     0x0e, 0x10, 0, 4, 198, 51, 100, 7};
        memcpy(msg + sizeof q, an, sizeof an);
        rs_craft_flow_send_udp(f, RS_CRAFT_SERVER, msg, sizeof q + sizeof an, 0, w);
        return 1;
    }
    if (s->kind == K_UDP) {
        size_t len = 60 + rnd_below(1140);
        rs_craft_flow_send_udp(f, (int)rnd_below(2), blob + rnd_below(8192), len, 0, w);
        return st + 1 >= 2 + s->nresp % 11;
    }
    /* TCP: three-way handshake first. */
    if (st == 0) {
        rs_craft_flow_send(f, RS_CRAFT_CLIENT, RS_TCP_SYN, NULL, 0, 0, w);
        return s->kind == K_SYN_ONLY;
    }
    if (st == 1) {
        if (s->kind == K_REFUSED) {
            rs_craft_flow_send(f, RS_CRAFT_SERVER, RS_TCP_RST | RS_TCP_ACK, NULL, 0, 0, w);
            return 1;
        }
        rs_craft_flow_send(f, RS_CRAFT_SERVER, RS_TCP_SYN | RS_TCP_ACK, NULL, 0, 0, w);
        return 0;
    }
    if (st == 2) {
        rs_craft_flow_send(f, RS_CRAFT_CLIENT, A, NULL, 0, 0, w);
        return 0;
    }
    if (st == 3) {
        if (s->kind == K_TLS)
            rs_craft_flow_send(f, RS_CRAFT_CLIENT, PA, tls_hello, tls_hello_len, 0, w);
        else
            rs_craft_flow_send(f, RS_CRAFT_CLIENT, PA, http_req, 200 + rnd_below(300), 0, w);
        s->phase = 1;
        return 0;
    }
    if (s->kind == K_SERVER_RST) {
        /* The server closes with the request unread: RST instead of FIN. */
        rs_craft_flow_send(f, RS_CRAFT_SERVER, RS_TCP_RST | RS_TCP_ACK, NULL, 0, 0, w);
        return 1;
    }
    if (s->phase == 1) {
        if (s->nsent >= s->acked + 2) {
            /* Delayed ACK: one per two full segments (RFC 9293 3.8.6.3). */
            rs_craft_flow_send(f, RS_CRAFT_CLIENT, A, NULL, 0, 0, w);
            s->acked = s->nsent;
            return 0;
        }
        if (s->kind == K_CLIENT_RST && s->nsent >= s->stop) {
            rs_craft_flow_send(f, RS_CRAFT_CLIENT, RS_TCP_RST | RS_TCP_ACK, NULL, 0, 0, w);
            return 1;
        }
        if (s->kind == K_IDLE && s->nsent >= s->stop)
            return 1;
        const uint8_t *pl = blob + rnd_below(16384);
        size_t len = 1448;
        if (s->nsent == 0) {
            pl = s->kind == K_HTTP || s->kind == K_IDLE || s->kind == K_CLIENT_RST ? http_resp_hdr
                                                                                   : blob;
            len = s->kind == K_TLS ? 1448 : sizeof http_resp_hdr - 1;
            if (s->kind != K_TLS) {
                static uint8_t first[1448];
                memcpy(first, http_resp_hdr, sizeof http_resp_hdr - 1);
                memcpy(first + sizeof http_resp_hdr - 1, blob, 1448 - (sizeof http_resp_hdr - 1));
                pl = first;
                len = 1448;
            }
        }
        if (s->nsent + 1 == s->nresp)
            len = 100 + rnd_below(1348);
        rs_craft_flow_send(f, RS_CRAFT_SERVER, PA, pl, len, 0, w);
        if (++s->nsent == s->nresp)
            s->phase = 2;
        return 0;
    }
    /* phase 2: the server closes first (HTTP/1.0 style), the client answers. */
    if (s->resp_left == 0) {
        rs_craft_flow_send(f, RS_CRAFT_SERVER, RS_TCP_FIN | A, NULL, 0, 0, w);
        s->resp_left = 1;
        return 0;
    }
    if (s->resp_left == 1) {
        rs_craft_flow_send(f, RS_CRAFT_CLIENT, RS_TCP_FIN | A, NULL, 0, 0, w);
        s->resp_left = 2;
        return 0;
    }
    rs_craft_flow_send(f, RS_CRAFT_SERVER, A, NULL, 0, 0, w);
    return 1;
}

static void
usage(void)
{
    fputs("usage: gen_bench [-n PACKETS] [-c CONCURRENT] [-r PPS] [-s SEED] -o FILE\n", stderr);
    exit(1);
}

int
main(int argc, char **argv)
{
    unsigned long long npkts = 1000000, conc = 5000, pps = 25000, seed = 1;
    const char *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            usage();
        const char *v = argv[++i];
        switch (argv[i - 1][1]) {
        case 'n':
            npkts = strtoull(v, NULL, 10);
            break;
        case 'c':
            conc = strtoull(v, NULL, 10);
            break;
        case 'r':
            pps = strtoull(v, NULL, 10);
            break;
        case 's':
            seed = strtoull(v, NULL, 10);
            break;
        case 'o':
            out = v;
            break;
        default:
            usage();
        }
    }
    if (!out || conc == 0 || conc > 10000000 || pps == 0)
        usage();
    rng_state = seed * UINT64_C(0x9e3779b97f4a7c15) + 0x1234567;
    init_payloads();
    struct rs_error err = {0};
    struct rs_pcap_writer *w = rs_pcap_writer_open(out, 1, 0, &err);
    if (!w) {
        fprintf(stderr, "gen_bench: %s\n", err.msg);
        return 1;
    }
    struct sess *s = calloc(conc, sizeof *s);
    if (!s) {
        fprintf(stderr, "gen_bench: out of memory\n");
        return 1;
    }
    rs_time_ns now = INT64_C(1767225600) * RS_NS_PER_SEC; /* 2026-01-01 00:00:00 UTC */
    double mean_gap = 1e9 / (double)pps;
    uint64_t serial = 0;
    for (size_t i = 0; i < conc; i++)
        sess_start(&s[i], now, serial++);
    for (unsigned long long n = 0; n < npkts;) {
        double u = ((double)(rnd() >> 11) + 0.5) / 9007199254740992.0;
        now += (rs_time_ns)(-log(u) * mean_gap) + 1;
        size_t i = (size_t)(rnd() % conc);
        uint64_t before = s[i].f.packets;
        int done = sess_step(&s[i], now, w);
        n += s[i].f.packets - before;
        if (done)
            sess_start(&s[i], now, serial++);
    }
    free(s);
    if (rs_pcap_writer_close(w, &err) != 0) {
        fprintf(stderr, "gen_bench: %s\n", err.msg);
        return 1;
    }
    fprintf(stderr, "gen_bench: %s: %llu packets, %llu sessions started, %llu concurrent\n", out,
            npkts, (unsigned long long)serial, conc);
    return 0;
}
