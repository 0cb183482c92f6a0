/*
 * scenarios.c - the lab's socket scripts and what each must produce.
 *
 * Every script runs in one thread with blocking sockets: on loopback the
 * kernel completes handshakes without the application (accept() only takes
 * a finished connection off the queue) and delivers each segment before
 * send() returns, so "client sends, server reads, server aborts" can be
 * written as straight-line code. Each step has a timeout; the first failure
 * is written to x->note and ends the script.
 *
 * The expectations (the table at the end) are the labels SPEC §3 and Zeek's
 * conn_state give the packets these scripts make on Linux; docs/lab.md says
 * why for each. When the engine disagrees, the engine is to be fixed, not
 * the table. To update an expectation, edit the one line of its session.
 */
#include <errno.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lab/lab_int.h"
#include "lab/scenario.h"

#define STEP_MS 2000 /* ceiling for any one wait */
#define ABORT_PAUSE_MS 300

/* ---- helpers: each returns -1 after writing the note ---- */

static int fail(struct rs_lab_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
fail(struct rs_lab_ctx *x, const char *fmt, ...)
{
    if (!x->note[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(x->note, sizeof x->note, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int
fail_errno(struct rs_lab_ctx *x, const char *what)
{
    return fail(x, "%s: %s", what, strerror(errno));
}

static int
ep(struct rs_lab_ctx *x, struct rs_lab_ep *e, int server, unsigned cport)
{
    const char *addr = server ? x->srv : x->cli;
    uint16_t port = server ? x->sport : x->cport[cport];
    if (rs_lab_ep_set(e, addr, port) != 0)
        return fail(x, "bad address %s", addr);
    return 0;
}

static int
srv_listen(struct rs_lab_ctx *x, int backlog)
{
    struct rs_lab_ep e;
    if (ep(x, &e, 1, 0) < 0)
        return -1;
    int fd = rs_lab_listen(&e, backlog);
    if (fd < 0)
        return fail(x, "listen on %s port %u: %s", x->srv, x->sport, strerror(errno));
    return fd;
}

/* A client socket bound to client port j. */
static int
cli_socket(struct rs_lab_ctx *x, int type, unsigned j)
{
    struct rs_lab_ep e;
    if (ep(x, &e, 0, j) < 0)
        return -1;
    int fd = rs_lab_socket(x->family == 6 ? AF_INET6 : AF_INET, type, &e);
    if (fd < 0)
        return fail(x, "bind %s port %u: %s", x->cli, x->cport[j], strerror(errno));
    return fd;
}

static int
cli_connect(struct rs_lab_ctx *x, unsigned j)
{
    struct rs_lab_ep srv;
    int fd = cli_socket(x, SOCK_STREAM, j);
    if (fd < 0 || ep(x, &srv, 1, 0) < 0)
        return -1;
    if (rs_lab_connect_fd(fd, &srv, STEP_MS) != 0) {
        fail(x, "connect %s port %u -> %s port %u: %s", x->cli, x->cport[j], x->srv, x->sport,
             strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static int
srv_accept(struct rs_lab_ctx *x, int l)
{
    int fd = rs_lab_accept(l, STEP_MS);
    if (fd < 0)
        return fail_errno(x, "accept");
    return fd;
}

static int
step_send(struct rs_lab_ctx *x, int fd, const void *buf, size_t len, const char *what)
{
    if (rs_lab_send_all(fd, buf, len, STEP_MS) != (ssize_t)len)
        return fail_errno(x, what);
    return 0;
}

static int
step_recv(struct rs_lab_ctx *x, int fd, void *buf, size_t len, const char *what)
{
    ssize_t n = rs_lab_recv_n(fd, buf, len, STEP_MS);
    if (n < 0)
        return fail_errno(x, what);
    if ((size_t)n != len)
        return fail(x, "%s: connection closed after %zd of %zu bytes", what, n, len);
    return 0;
}

static int
step_eof(struct rs_lab_ctx *x, int fd, const char *what)
{
    if (rs_lab_recv_eof(fd, STEP_MS) < 0)
        return fail_errno(x, what);
    return 0;
}

/* Waits for the peer's RST to reach fd: recv() failing with ECONNRESET. */
static int
step_reset(struct rs_lab_ctx *x, int fd, const char *what)
{
    ssize_t n = rs_lab_recv_eof(fd, STEP_MS);
    if (n < 0 && errno == ECONNRESET)
        return 0;
    if (n >= 0)
        return fail(x, "%s: got a FIN where a RST was expected", what);
    return fail_errno(x, what);
}

/*
 * The same, on a socket that already read the peer's FIN: recv() would just
 * return 0 again, so watch the socket error instead. A RST in CLOSE-WAIT
 * sets EPIPE, elsewhere ECONNRESET (tcp_reset()).
 */
static int
step_reset_after_fin(struct rs_lab_ctx *x, int fd, const char *what)
{
    int64_t deadline = rs_lab_mono_ns() + (int64_t)STEP_MS * 1000000;
    while (rs_lab_mono_ns() < deadline) {
        int e = 0;
        socklen_t sl = sizeof e;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) != 0)
            return fail_errno(x, what);
        if (e == ECONNRESET || e == EPIPE)
            return 0;
        if (e)
            return fail(x, "%s: %s", what, strerror(e));
        struct pollfd p = {fd, 0, 0};
        (void)poll(&p, 1, 20);
    }
    return fail(x, "%s: no RST came", what);
}

static void
defer(struct rs_lab_ctx *x, int fd)
{
    if (fd < 0)
        return;
    if (x->n_defer < RS_LAB_MAX_DEFER)
        x->defer[x->n_defer++] = fd;
    else
        close(fd);
}

/* Opaque bytes that no protocol detector should claim: a fixed prefix, then xorshift32. */
static void
fill_opaque(struct rs_lab_ctx *x, uint8_t *buf, size_t len)
{
    static const char prefix[] = "\0rstscope-lab\0";
    for (size_t i = 0; i < len; i++) {
        if (i < sizeof prefix - 1) {
            buf[i] = (uint8_t)prefix[i];
            continue;
        }
        uint32_t r = x->rng ? x->rng : 0x9e3779b9u;
        r ^= r << 13;
        r ^= r >> 17;
        r ^= r << 5;
        x->rng = r;
        buf[i] = (uint8_t)r;
    }
}

static const char REQ[] = "rstscope lab: request\n";
static const char RESP[] = "rstscope lab: response\n";

/* A short request/response exchange on an accepted pair. */
static int
exchange(struct rs_lab_ctx *x, int c, int a)
{
    char buf[64];
    if (step_send(x, c, REQ, sizeof REQ - 1, "client send") < 0 ||
        step_recv(x, a, buf, sizeof REQ - 1, "server read") < 0 ||
        step_send(x, a, RESP, sizeof RESP - 1, "server send") < 0 ||
        step_recv(x, c, buf, sizeof RESP - 1, "client read") < 0)
        return -1;
    return 0;
}

/* ---- the scripts ---- */

/* Request, response, client FIN, server FIN: the ordinary good ending. */
static int
scn_fin(struct rs_lab_ctx *x)
{
    int l = -1, c = -1, a = -1, rc = -1;
    if ((l = srv_listen(x, 8)) < 0 || (c = cli_connect(x, 0)) < 0 || (a = srv_accept(x, l)) < 0 ||
        exchange(x, c, a) < 0)
        goto out;
    close(c);
    c = -1;
    if (step_eof(x, a, "server wait for the client's FIN") < 0)
        goto out;
    rc = 0;
out:
    rs_lab_close(c);
    rs_lab_close(a);
    rs_lab_close(l);
    return rc;
}

/* The server streams a response; the client aborts after 3 of its chunks. */
static int
scn_client_rst(struct rs_lab_ctx *x)
{
    int l = -1, c = -1, a = -1, rc = -1;
    char buf[64];
    uint8_t chunk[1000], sink[8192];
    if ((l = srv_listen(x, 8)) < 0 || (c = cli_connect(x, 0)) < 0 || (a = srv_accept(x, l)) < 0 ||
        step_send(x, c, REQ, sizeof REQ - 1, "client send") < 0 ||
        step_recv(x, a, buf, sizeof REQ - 1, "server read") < 0)
        goto out;
    int one = 1;
    /* One segment per write, so the capture shows a stream of separate chunks. */
    (void)setsockopt(a, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fill_opaque(x, chunk, sizeof chunk);
    size_t got = 0;
    for (int i = 0; i < 40 && c >= 0; i++) {
        if (step_send(x, a, chunk, sizeof chunk, "server stream") < 0)
            goto out;
        rs_lab_sleep_ms(3);
        ssize_t n;
        while ((n = recv(c, sink, sizeof sink, MSG_DONTWAIT)) > 0)
            got += (size_t)n;
        if (got >= 3 * sizeof chunk) {
            rs_lab_abort(c); /* the user pressed stop: RST mid-response */
            c = -1;
        }
    }
    if (c >= 0) {
        fail(x, "the client never received 3000 bytes");
        goto out;
    }
    /* The server's next write finds the connection reset (EPIPE/ECONNRESET). */
    (void)send(a, chunk, sizeof chunk, MSG_NOSIGNAL | MSG_DONTWAIT);
    rc = 0;
out:
    rs_lab_close(c);
    rs_lab_close(a);
    rs_lab_close(l);
    return rc;
}

/* The server reads the request, then aborts (an application error path). */
static int
scn_server_rst(struct rs_lab_ctx *x)
{
    int l = -1, c = -1, a = -1, rc = -1;
    char buf[64];
    if ((l = srv_listen(x, 8)) < 0 || (c = cli_connect(x, 0)) < 0 || (a = srv_accept(x, l)) < 0 ||
        step_send(x, c, REQ, sizeof REQ - 1, "client send") < 0 ||
        step_recv(x, a, buf, sizeof REQ - 1, "server read") < 0)
        goto out;
    rs_lab_abort(a);
    a = -1;
    if (step_reset(x, c, "client wait for the server's RST") < 0)
        goto out;
    rc = 0;
out:
    rs_lab_close(c);
    rs_lab_close(a);
    rs_lab_close(l);
    return rc;
}

/* The server closes (plain close()) with the request still unread: the kernel resets. */
static int
scn_server_close_unread(struct rs_lab_ctx *x)
{
    int l = -1, c = -1, a = -1, rc = -1;
    uint8_t req[100];
    if ((l = srv_listen(x, 8)) < 0 || (c = cli_connect(x, 0)) < 0 || (a = srv_accept(x, l)) < 0)
        goto out;
    fill_opaque(x, req, sizeof req);
    if (step_send(x, c, req, sizeof req, "client send") < 0)
        goto out;
    if (rs_lab_wait(a, POLLIN, STEP_MS) != 1) {
        fail(x, "the request never reached the server");
        goto out;
    }
    close(a); /* RFC 2525 2.17: closing with unread data must send a RST */
    a = -1;
    if (step_reset(x, c, "client wait for the server's RST") < 0)
        goto out;
    rc = 0;
out:
    rs_lab_close(c);
    rs_lab_close(a);
    rs_lab_close(l);
    return rc;
}

/* Nothing listens on the server port: the SYN is answered by RST|ACK. */
static int
scn_refused(struct rs_lab_ctx *x)
{
    struct rs_lab_ep srv;
    int c = cli_socket(x, SOCK_STREAM, 0);
    if (c < 0 || ep(x, &srv, 1, 0) < 0) {
        rs_lab_close(c);
        return -1;
    }
    int rc = rs_lab_connect_fd(c, &srv, STEP_MS);
    int e = errno;
    close(c);
    if (rc == 0)
        return fail(x, "connect to %s port %u succeeded: something listens there", x->srv,
                    x->sport);
    if (e != ECONNREFUSED)
        return fail(x, "connect: expected 'connection refused', got: %s", strerror(e));
    return 0;
}

/*
 * A SYN nobody answers. listen(fd, 0) lets one connection (the filler) wait
 * in the accept queue; it is never accepted, so the queue stays full and
 * Linux drops the next SYN (tcp_conn_request: sk_acceptq_is_full, counted
 * as ListenOverflows). The client gives up before its first retransmission
 * (1 s) and close() of a SYN-SENT socket sends nothing. The filler and the
 * listener stay open until the capture ended, so the filler ages out too.
 */
static int
scn_syn_timeout(struct rs_lab_ctx *x)
{
    int l = -1, f = -1, c = -1, rc = -1;
    struct rs_lab_ep srv;
    if ((l = srv_listen(x, 0)) < 0 || (f = cli_connect(x, 0)) < 0 ||
        (c = cli_socket(x, SOCK_STREAM, 1)) < 0 || ep(x, &srv, 1, 0) < 0)
        goto out;
    int r = rs_lab_connect_fd(c, &srv, 250);
    if (r == 0) {
        fail(x, "the SYN was answered: the accept queue was not full");
        goto out;
    }
    if (errno != ETIMEDOUT) {
        fail_errno(x, "connect to the full listener");
        goto out;
    }
    rc = 0;
out:
    rs_lab_close(c);
    defer(x, f);
    defer(x, l);
    return rc;
}

/* Connect and close at once: the handshake and FINs, no payload. */
static int
scn_handshake_only(struct rs_lab_ctx *x)
{
    int l = -1, c = -1, a = -1, rc = -1;
    if ((l = srv_listen(x, 8)) < 0 || (c = cli_connect(x, 0)) < 0 || (a = srv_accept(x, l)) < 0)
        goto out;
    close(c);
    c = -1;
    if (step_eof(x, a, "server wait for the client's FIN") < 0)
        goto out;
    rc = 0;
out:
    rs_lab_close(c);
    rs_lab_close(a);
    rs_lab_close(l);
    return rc;
}

/* One byte each way, then FINs: payload, but too little to identify anything. */
static int
scn_insufficient(struct rs_lab_ctx *x)
{
    int l = -1, c = -1, a = -1, rc = -1;
    char b;
    if ((l = srv_listen(x, 8)) < 0 || (c = cli_connect(x, 0)) < 0 || (a = srv_accept(x, l)) < 0 ||
        step_send(x, c, "?", 1, "client send") < 0 || step_recv(x, a, &b, 1, "server read") < 0 ||
        step_send(x, a, "!", 1, "server send") < 0 || step_recv(x, c, &b, 1, "client read") < 0)
        goto out;
    close(c);
    c = -1;
    if (step_eof(x, a, "server wait for the client's FIN") < 0)
        goto out;
    rc = 0;
out:
    rs_lab_close(c);
    rs_lab_close(a);
    rs_lab_close(l);
    return rc;
}

/* Two rounds of 600 opaque bytes each way (4 payload packets, 2400 bytes), then FINs. */
static int
scn_unknown_tcp(struct rs_lab_ctx *x)
{
    int l = -1, c = -1, a = -1, rc = -1;
    uint8_t out[600], in[600];
    if ((l = srv_listen(x, 8)) < 0 || (c = cli_connect(x, 0)) < 0 || (a = srv_accept(x, l)) < 0)
        goto out;
    for (int round = 0; round < 2; round++) {
        fill_opaque(x, out, sizeof out);
        if (step_send(x, c, out, sizeof out, "client send") < 0 ||
            step_recv(x, a, in, sizeof in, "server read") < 0)
            goto out;
        fill_opaque(x, out, sizeof out);
        if (step_send(x, a, out, sizeof out, "server send") < 0 ||
            step_recv(x, c, in, sizeof in, "client read") < 0)
            goto out;
    }
    close(c);
    c = -1;
    if (step_eof(x, a, "server wait for the client's FIN") < 0)
        goto out;
    rc = 0;
out:
    rs_lab_close(c);
    rs_lab_close(a);
    rs_lab_close(l);
    return rc;
}

/*
 * The server answers and closes (FIN); the client, not noticing, sends more.
 * The server socket is gone (close() shut both directions), so its kernel
 * answers the new data with a RST (tcp_rcv_state_process, "abort on data").
 */
static int
scn_fin_then_rst(struct rs_lab_ctx *x)
{
    int l = -1, c = -1, a = -1, rc = -1;
    if ((l = srv_listen(x, 8)) < 0 || (c = cli_connect(x, 0)) < 0 || (a = srv_accept(x, l)) < 0 ||
        exchange(x, c, a) < 0)
        goto out;
    close(a);
    a = -1;
    if (step_eof(x, c, "client wait for the server's FIN") < 0)
        goto out;
    rs_lab_sleep_ms(20);
    if (step_send(x, c, REQ, sizeof REQ - 1, "client send after the FIN") < 0 ||
        step_reset_after_fin(x, c, "client wait for the server's RST") < 0)
        goto out;
    rc = 0;
out:
    rs_lab_close(c);
    rs_lab_close(a);
    rs_lab_close(l);
    return rc;
}

/*
 * The client asks, reads the whole response, then closes with SO_LINGER
 * {1, 0}: an abortive close after a completed exchange, as connection pools
 * and proxies do. The server, waiting for the next request, gets the RST.
 */
static int
scn_abortive_close(struct rs_lab_ctx *x)
{
    int l = -1, c = -1, a = -1, rc = -1;
    if ((l = srv_listen(x, 8)) < 0 || (c = cli_connect(x, 0)) < 0 || (a = srv_accept(x, l)) < 0 ||
        exchange(x, c, a) < 0)
        goto out;
    rs_lab_sleep_ms(ABORT_PAUSE_MS);
    rs_lab_abort(c);
    c = -1;
    if (step_reset(x, a, "server wait for the client's RST") < 0)
        goto out;
    rc = 0;
out:
    rs_lab_close(c);
    rs_lab_close(a);
    rs_lab_close(l);
    return rc;
}

/*
 * Two connections from the same client port, 50 ms apart. The server closes
 * first, so the TIME-WAIT state is on the server; Linux accepts a new SYN on
 * a TIME-WAIT tuple when its ISN is beyond the old connection's sequence
 * space (tcp_timewait_state_process), which clock-driven ISNs ensure.
 */
static int
scn_tcp_reuse(struct rs_lab_ctx *x)
{
    int l = -1, c = -1, a = -1, rc = -1;
    if ((l = srv_listen(x, 8)) < 0)
        goto out;
    for (int round = 0; round < 2; round++) {
        if ((c = cli_connect(x, 0)) < 0 || (a = srv_accept(x, l)) < 0 || exchange(x, c, a) < 0)
            goto out;
        close(a);
        a = -1;
        if (step_eof(x, c, "client wait for the server's FIN") < 0)
            goto out;
        close(c);
        c = -1;
        if (round == 0)
            rs_lab_sleep_ms(50);
    }
    rc = 0;
out:
    rs_lab_close(c);
    rs_lab_close(a);
    rs_lab_close(l);
    return rc;
}

/* One byte each way, then silence: the sockets stay open until the capture ended. */
static int
scn_aged_out(struct rs_lab_ctx *x)
{
    int l = -1, c = -1, a = -1, rc = -1;
    char b;
    if ((l = srv_listen(x, 8)) < 0 || (c = cli_connect(x, 0)) < 0 || (a = srv_accept(x, l)) < 0 ||
        step_send(x, c, "?", 1, "client send") < 0 || step_recv(x, a, &b, 1, "server read") < 0 ||
        step_send(x, a, "!", 1, "server send") < 0 || step_recv(x, c, &b, 1, "client read") < 0)
        goto out;
    rc = 0;
out:
    defer(x, c);
    defer(x, a);
    defer(x, l);
    return rc;
}

/* A UDP server socket on the server address; port 53 when it is free. */
static int
udp_server(struct rs_lab_ctx *x, int want53)
{
    struct rs_lab_ep e;
    int fam = x->family == 6 ? AF_INET6 : AF_INET;
    if (want53) {
        uint16_t keep = x->sport;
        x->sport = 53;
        if (ep(x, &e, 1, 0) == 0) {
            int fd = rs_lab_socket(fam, SOCK_DGRAM, &e);
            if (fd >= 0)
                return fd;
        }
        x->sport = keep; /* 53 taken (a resolver on the wildcard) or not permitted */
    }
    if (ep(x, &e, 1, 0) < 0)
        return -1;
    int fd = rs_lab_socket(fam, SOCK_DGRAM, &e);
    if (fd < 0)
        return fail(x, "bind udp %s port %u: %s", x->srv, x->sport, strerror(errno));
    return fd;
}

static int
udp_client(struct rs_lab_ctx *x, unsigned j)
{
    struct rs_lab_ep srv;
    int fd = cli_socket(x, SOCK_DGRAM, j);
    if (fd < 0 || ep(x, &srv, 1, 0) < 0)
        return -1;
    if (connect(fd, (const struct sockaddr *)&srv.ss, srv.len) != 0) {
        fail_errno(x, "udp connect");
        close(fd);
        return -1;
    }
    return fd;
}

/* Receives one datagram on an unconnected socket and answers the sender. */
static int
udp_answer(struct rs_lab_ctx *x, int s, uint8_t *buf, size_t cap, size_t *len, const uint8_t *reply,
           size_t reply_len)
{
    struct sockaddr_storage from;
    socklen_t fl = sizeof from;
    if (rs_lab_wait(s, POLLIN, STEP_MS) != 1)
        return fail(x, "the server never got the datagram");
    ssize_t n = recvfrom(s, buf, cap, 0, (struct sockaddr *)&from, &fl);
    if (n < 0)
        return fail_errno(x, "server recvfrom");
    *len = (size_t)n;
    if (reply && sendto(s, reply, reply_len, 0, (struct sockaddr *)&from, fl) != (ssize_t)reply_len)
        return fail_errno(x, "server sendto");
    return 0;
}

static int
udp_recv(struct rs_lab_ctx *x, int c, const char *what)
{
    uint8_t buf[2048];
    if (rs_lab_wait(c, POLLIN, STEP_MS) != 1)
        return fail(x, "%s: nothing arrived", what);
    if (recv(c, buf, sizeof buf, 0) < 0)
        return fail_errno(x, what);
    return 0;
}

/* A DNS query for lab.rstscope.test A and its answer (RFC 1035 4.1), from our own responder. */
static int
scn_udp_dns(struct rs_lab_ctx *x)
{
    static const uint8_t question[] = {3,   'l', 'a', 'b', 8,   'r', 's', 't', 's', 'c', 'o', 'p',
                                       'e', 4,   't', 'e', 's', 't', 0,   0,   1,   0,   1};
    int s = -1, c = -1, rc = -1;
    uint8_t q[64], r[96], in[512];
    size_t qlen = 0, rlen = 0, n;
    if ((s = udp_server(x, 1)) < 0 || (c = udp_client(x, 0)) < 0)
        goto out;
    /* Header: id, RD; one question. */
    uint8_t hdr[12] = {0x4c, 0x61, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
    memcpy(q, hdr, sizeof hdr);
    memcpy(q + sizeof hdr, question, sizeof question);
    qlen = sizeof hdr + sizeof question;
    /* Answer: same id, QR|RD|RA, one answer: a pointer to the question name, A 192.0.2.1, TTL 60. */
    memcpy(r, q, qlen);
    r[2] = 0x81;
    r[3] = 0x80;
    r[7] = 1;
    static const uint8_t answer[] = {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1};
    memcpy(r + qlen, answer, sizeof answer);
    rlen = qlen + sizeof answer;
    if (step_send(x, c, q, qlen, "client query") < 0 ||
        udp_answer(x, s, in, sizeof in, &n, r, rlen) < 0 || udp_recv(x, c, "client answer") < 0)
        goto out;
    rc = 0;
out:
    rs_lab_close(c);
    rs_lab_close(s);
    return rc;
}

/* Three rounds of opaque datagrams, 200 bytes out and 300 back. */
static int
scn_unknown_udp(struct rs_lab_ctx *x)
{
    int s = -1, c = -1, rc = -1;
    uint8_t out[300], in[512];
    size_t n;
    if ((s = udp_server(x, 0)) < 0 || (c = udp_client(x, 0)) < 0)
        goto out;
    for (int round = 0; round < 3; round++) {
        fill_opaque(x, out, 200);
        if (step_send(x, c, out, 200, "client send") < 0)
            goto out;
        fill_opaque(x, out, sizeof out);
        if (udp_answer(x, s, in, sizeof in, &n, out, sizeof out) < 0 ||
            udp_recv(x, c, "client read") < 0)
            goto out;
    }
    rc = 0;
out:
    rs_lab_close(c);
    rs_lab_close(s);
    return rc;
}

/* A datagram to a port nobody listens on: the kernel answers ICMP port unreachable. */
static int
scn_udp_unreachable(struct rs_lab_ctx *x)
{
    int c = -1, rc = -1;
    uint8_t out[32], in[64];
    if ((c = udp_client(x, 0)) < 0)
        goto out;
    fill_opaque(x, out, sizeof out);
    if (step_send(x, c, out, sizeof out, "client send") < 0)
        goto out;
    /* A connected UDP socket reports the ICMP error on its next receive. */
    if (rs_lab_wait(c, POLLIN, STEP_MS) != 1) {
        fail(x, "no ICMP port unreachable came back");
        goto out;
    }
    if (recv(c, in, sizeof in, MSG_DONTWAIT) >= 0 || errno != ECONNREFUSED) {
        fail(x, "expected ECONNREFUSED from the ICMP error, got: %s", strerror(errno));
        goto out;
    }
    rc = 0;
out:
    rs_lab_close(c);
    return rc;
}

/* ---- the table: scripts and the sessions they must leave ---- */

#define ONE(er, app, cs, by, cause)                                                                \
    {                                                                                              \
        {                                                                                          \
            "", 6, 0, 0, er, app, cs, by, cause                                                    \
        }                                                                                          \
    }

const struct rs_lab_scn rs_lab_scns[] = {
    {"fin", "request and response, then FIN from the client and FIN from the server", 4, 0, scn_fin,
     ONE("tcp-fin", "insufficient-data", "SF", "", "")},
    {"client-rst",
     "server streams a response; the client closes with SO_LINGER {1,0} after 3 KB: RST", 4, 0,
     scn_client_rst,
     ONE("tcp-rst-from-client", "unknown-tcp", "RSTO", "client", "client_abort_midtransfer")},
    {"server-rst", "server reads the request, then aborts with SO_LINGER {1,0}: RST", 4, 0,
     scn_server_rst,
     ONE("tcp-rst-from-server", "insufficient-data", "RSTR", "server", "abort_unread_data")},
    {"server-close-unread",
     "server close()s with the request unread in its buffer: the kernel sends RST", 4, 0,
     scn_server_close_unread,
     ONE("tcp-rst-from-server", "insufficient-data", "RSTR", "server", "abort_unread_data")},
    {"refused", "connect to a port nobody listens on: SYN answered by RST|ACK", 4, 0, scn_refused,
     ONE("tcp-rst-from-server", "incomplete", "REJ", "server", "refused_closed_port")},
    {"syn-timeout",
     "SYN to a listener whose accept queue is full: dropped, never answered",
     4,
     RS_LAB_TMR_TCP_INIT | RS_LAB_TMR_TCP_EST,
     scn_syn_timeout,
     {{"attempt", 6, 1, 0, "aged-out", "incomplete", "S0", "", ""},
      {"filler", 6, 0, 0, "aged-out", "incomplete", "S1", "", ""}}},
    {"handshake-only", "connect, then close at once: handshake and FINs, no payload", 4, 0,
     scn_handshake_only, ONE("tcp-fin", "incomplete", "SF", "", "")},
    {"insufficient-data", "one byte each way, then FINs", 4, 0, scn_insufficient,
     ONE("tcp-fin", "insufficient-data", "SF", "", "")},
    {"unknown-tcp", "2 x 600 opaque bytes each way (2400 bytes, 4 packets), then FINs", 4, 0,
     scn_unknown_tcp, ONE("tcp-fin", "unknown-tcp", "SF", "", "")},
    {"fin-then-rst",
     "server answers and closes (FIN); the client sends more; the server's kernel resets", 4, 0,
     scn_fin_then_rst,
     ONE("tcp-rst-from-server", "insufficient-data", "RSTR", "server", "data_after_close")},
    {"abortive-close",
     "request and full response, then the client closes with SO_LINGER {1,0}: RST", 4, 0,
     scn_abortive_close,
     ONE("tcp-rst-from-client", "insufficient-data", "RSTO", "client", "abortive_close")},
    {"tcp-reuse",
     "two connections from the same client port 50 ms apart; the server closed first",
     4,
     0,
     scn_tcp_reuse,
     {{"first", 6, 0, 0, "tcp-reuse", "insufficient-data", "SF", "", ""},
      {"second", 6, 0, 1, "tcp-fin", "insufficient-data", "SF", "", ""}}},
    {"aged-out", "one byte each way, then idle past the tcp timer with the sockets open", 4,
     RS_LAB_TMR_TCP_EST, scn_aged_out, ONE("aged-out", "insufficient-data", "S1", "", "")},
    /* app: Zeek's service name; the App-ID dissector matches the DNS message itself. */
    {"udp-dns",
     "a DNS query and its answer from the lab's own responder (port 53 if free)",
     4,
     RS_LAB_TMR_UDP,
     scn_udp_dns,
     {{"", 17, 0, 0, "aged-out", "dns", "SF", "", ""}}},
    {"unknown-udp",
     "three rounds of opaque datagrams each way",
     4,
     RS_LAB_TMR_UDP,
     scn_unknown_udp,
     {{"", 17, 0, 0, "aged-out", "unknown-udp", "SF", "", ""}}},
    {"udp-unreachable",
     "a datagram to a closed port: the kernel answers ICMP port unreachable",
     4,
     RS_LAB_TMR_UDP | RS_LAB_TMR_ICMP,
     scn_udp_unreachable,
     {{"udp", 17, 0, 0, "aged-out", "unknown-udp", "S0", "", ""},
      {"icmp", 1, 0, 0, "aged-out", "", "OTH", "", ""}}},
    {"fin-v6", "fin over ::1", 6, 0, scn_fin, ONE("tcp-fin", "insufficient-data", "SF", "", "")},
    {"client-rst-v6", "client-rst over ::1", 6, 0, scn_client_rst,
     ONE("tcp-rst-from-client", "unknown-tcp", "RSTO", "client", "client_abort_midtransfer")},
    {"server-rst-v6", "server-rst over ::1", 6, 0, scn_server_rst,
     ONE("tcp-rst-from-server", "insufficient-data", "RSTR", "server", "abort_unread_data")},
    {"refused-v6", "refused over ::1", 6, 0, scn_refused,
     ONE("tcp-rst-from-server", "incomplete", "REJ", "server", "refused_closed_port")},
};

const size_t rs_lab_n_scns = sizeof rs_lab_scns / sizeof rs_lab_scns[0];

size_t
rs_lab_scn_n_sess(const struct rs_lab_scn *s)
{
    size_t n = 0;
    while (n < RS_LAB_MAX_SESS && s->sess[n].end_reason)
        n++;
    return n;
}
