/*
 * serve_rst.c - `rstscope serve-rst`: a server that resets its clients.
 *
 * One connection at a time, each ended the way the mode says:
 *   immediate         accept, abort at once: handshake then RST, no data.
 *   after-request     read what the client sent first, then abort.
 *   unread            let the request arrive, never read it, plain close():
 *                     Linux must then send a RST instead of a FIN
 *                     (RFC 1122 4.2.2.13, RFC 2525 2.17).
 *   partial-response  read the request, send the start of a large HTTP
 *                     response, abort: the client sees a truncated body.
 * Aborts use SO_LINGER {1, 0}. Every wait is sliced so *stop is seen within
 * 200 ms.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rstscope/lab.h>

#include "lab/lab_int.h"

#define DEFAULT_LISTEN "127.0.0.1:8080"
#define DEFAULT_REQUEST_WAIT_MS 5000
#define SLICE_MS 200

static const char *const mode_names[] = {"immediate", "after-request", "unread",
                                         "partial-response"};

int
rs_serve_mode_parse(const char *name)
{
    for (size_t i = 0; i < sizeof mode_names / sizeof mode_names[0]; i++)
        if (strcmp(mode_names[i], name) == 0)
            return (int)i;
    return -1;
}

const char *
rs_serve_mode_name(enum rs_serve_mode m)
{
    if ((unsigned)m < sizeof mode_names / sizeof mode_names[0])
        return mode_names[m];
    return "?";
}

static int
stopped(const struct rs_serve_rst_opts *o)
{
    return o->stop && *o->stop;
}

enum req { REQ_DATA, REQ_FIN, REQ_RESET, REQ_NONE };

/* Waits for the request: data waiting, the client's FIN or RST, or nothing in time. */
static enum req
wait_request(const struct rs_serve_rst_opts *o, int fd, unsigned wait_ms)
{
    int64_t deadline = rs_lab_mono_ns() + (int64_t)wait_ms * 1000000;
    while (!stopped(o)) {
        int64_t left = (deadline - rs_lab_mono_ns()) / 1000000;
        if (left <= 0)
            return REQ_NONE;
        int w = rs_lab_wait(fd, POLLIN, left > SLICE_MS ? SLICE_MS : (int)left);
        if (w < 0)
            return REQ_NONE;
        if (w == 0)
            continue;
        char c;
        ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n > 0)
            return REQ_DATA;
        return n == 0 ? REQ_FIN : REQ_RESET;
    }
    return REQ_NONE;
}

/* Reads what has arrived of the request: what is there now, plus 20 ms for stragglers. */
static void
read_request(int fd, struct rs_serve_conn *c)
{
    char buf[16384];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) {
            c->bytes_read += (uint64_t)n;
            continue;
        }
        if (n < 0 && errno == EAGAIN && rs_lab_wait(fd, POLLIN, 20) == 1)
            continue;
        return;
    }
}

static const char PARTIAL_HEAD[] = "HTTP/1.1 200 OK\r\n"
                                   "Content-Type: application/octet-stream\r\n"
                                   "Content-Length: 1048576\r\n"
                                   "\r\n";

static void
partial_response(int fd, struct rs_serve_conn *c)
{
    char body[4096];
    memset(body, 'x', sizeof body);
    ssize_t n = send(fd, PARTIAL_HEAD, sizeof PARTIAL_HEAD - 1, MSG_NOSIGNAL);
    if (n > 0)
        c->bytes_written += (uint64_t)n;
    for (int i = 0; i < 4 && n > 0; i++) {
        n = send(fd, body, sizeof body, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0)
            c->bytes_written += (uint64_t)n;
    }
}

static void
serve_one(const struct rs_serve_rst_opts *o, int fd, struct rs_serve_conn *c)
{
    unsigned wait_ms = o->request_wait_ms ? o->request_wait_ms : DEFAULT_REQUEST_WAIT_MS;
    int64_t t0 = rs_lab_mono_ns();
    enum req req;
    switch (o->mode) {
    case RS_SERVE_IMMEDIATE:
        c->request_bytes_waiting = rs_lab_pending(fd);
        rs_lab_abort(fd);
        c->reset_sent = 1;
        c->closed = "reset at once (SO_LINGER 0), right after the handshake";
        break;
    case RS_SERVE_AFTER_REQUEST:
    case RS_SERVE_PARTIAL_RESPONSE:
        req = wait_request(o, fd, wait_ms);
        if (req == REQ_RESET) {
            close(fd); /* already reset: nothing goes on the wire */
            c->closed = "the client reset the connection first";
            break;
        }
        if (req == REQ_DATA)
            read_request(fd, c);
        if (req == REQ_DATA && o->mode == RS_SERVE_PARTIAL_RESPONSE) {
            partial_response(fd, c);
            c->closed = "reset in the middle of the response (SO_LINGER 0)";
        } else if (req == REQ_DATA) {
            c->closed = "reset after reading the request (SO_LINGER 0)";
        } else if (req == REQ_FIN) {
            c->closed = "the client closed (FIN) without sending anything; reset anyway "
                        "(SO_LINGER 0)";
        } else {
            c->closed = "no request arrived in time; reset anyway (SO_LINGER 0)";
        }
        c->request_bytes_waiting = rs_lab_pending(fd);
        rs_lab_abort(fd);
        c->reset_sent = 1;
        break;
    case RS_SERVE_UNREAD:
        req = wait_request(o, fd, wait_ms);
        c->request_bytes_waiting = rs_lab_pending(fd);
        close(fd);
        if (req == REQ_RESET) {
            c->closed = "the client reset the connection first";
        } else if (c->request_bytes_waiting) {
            c->reset_sent = 1;
            c->closed = "close() with the request unread: the kernel sent a RST";
        } else {
            c->closed = req == REQ_FIN ? "the client closed first; close() sent a FIN, no reset"
                                       : "no request arrived in time; close() sent a FIN, no "
                                         "reset";
        }
        break;
    }
    c->ms = (double)(rs_lab_mono_ns() - t0) / 1e6;
}

int
rs_serve_rst(const struct rs_serve_rst_opts *o, struct rs_error *err)
{
    if ((unsigned)o->mode > RS_SERVE_PARTIAL_RESPONSE)
        return rs_error_set(err, RS_ERR_USAGE, "unknown serve-rst mode");
    const char *where = o->listen ? o->listen : DEFAULT_LISTEN;
    struct rs_lab_ep ep;
    if (rs_lab_ep_parse(&ep, where, err) != 0)
        return RS_ERR_USAGE;
    int l = rs_lab_listen(&ep, 16);
    if (l < 0) {
        int e = errno;
        const char *why = e == EADDRINUSE      ? "the address is already in use"
                          : e == EADDRNOTAVAIL ? "not an address of this host"
                          : e == EACCES        ? "ports below 1024 need root or "
                                                 "CAP_NET_BIND_SERVICE"
                                               : strerror(e);
        return rs_error_set(err, RS_ERR_INPUT, "cannot listen on %s: %s", where, why);
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char bound[64] = "";
    if (getsockname(l, (struct sockaddr *)&ss, &sl) == 0)
        rs_lab_sa_format((struct sockaddr *)&ss, bound, sizeof bound);
    if (o->on_listen)
        o->on_listen(bound, o->user);

    unsigned served = 0;
    int rc = 0;
    while ((!o->count || served < o->count) && !stopped(o)) {
        int w = rs_lab_wait(l, POLLIN, SLICE_MS);
        if (w == 0 || (w < 0 && errno == EINTR))
            continue;
        struct sockaddr_storage peer;
        socklen_t pl = sizeof peer;
        int fd = w > 0 ? rs_lab_accept_now(l, (struct sockaddr *)&peer, &pl) : -1;
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN)
                continue;
            rc = rs_error_set(err, RS_ERR_INTERNAL, "accept on %s: %s", bound, strerror(errno));
            break;
        }
        struct rs_serve_conn c;
        memset(&c, 0, sizeof c);
        c.number = ++served;
        rs_lab_sa_format((struct sockaddr *)&peer, c.peer, sizeof c.peer);
        snprintf(c.local, sizeof c.local, "%s", bound);
        serve_one(o, fd, &c);
        if (o->on_conn)
            o->on_conn(&c, o->user);
    }
    close(l);
    return rc;
}
