/*
 * send_rst.c - `rstscope send-rst`: the client half of a reset, on its own.
 *
 * Connect (non-blocking, our own timeout instead of the kernel's minutes of
 * SYN retries), optionally send a payload, read whatever arrives for a
 * while, then close with SO_LINGER {1, 0}: Linux then discards anything
 * unsent and sends a RST (RFC 9293 3.10.4 ABORT) instead of a FIN. What the
 * peer did in the meantime (FIN, its own RST) is reported, because it
 * changes what a capture of the exchange shows.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rstscope/lab.h>

#include "lab/lab_int.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 5000

const char *
rs_send_outcome_name(enum rs_send_outcome o)
{
    switch (o) {
    case RS_SEND_RESET_SENT:
        return "reset-sent";
    case RS_SEND_PEER_RESET:
        return "peer-reset";
    case RS_SEND_REFUSED:
        return "refused";
    case RS_SEND_UNREACHABLE:
        return "unreachable";
    case RS_SEND_TIMEOUT:
        return "timeout";
    case RS_SEND_RESOLVE:
        return "resolve-failed";
    case RS_SEND_ERROR:
        break;
    }
    return "error";
}

static enum rs_send_outcome
outcome_of(int e)
{
    switch (e) {
    case ECONNREFUSED:
        return RS_SEND_REFUSED;
    case EHOSTUNREACH:
    case ENETUNREACH:
    case EHOSTDOWN:
    case ENETDOWN:
    case EADDRNOTAVAIL:
        return RS_SEND_UNREACHABLE;
    case ETIMEDOUT:
        return RS_SEND_TIMEOUT;
    default:
        return RS_SEND_ERROR;
    }
}

static const char *
outcome_text(enum rs_send_outcome o)
{
    switch (o) {
    case RS_SEND_REFUSED:
        return "the SYN was answered by a RST (nothing listens on that port, or a firewall "
               "rejects it)";
    case RS_SEND_UNREACHABLE:
        return "no route, or an ICMP unreachable came back";
    case RS_SEND_TIMEOUT:
        return "no answer to the SYN (a firewall drops it, or the host is down)";
    default:
        return "connect failed";
    }
}

static double
ms_since(int64_t t0)
{
    return (double)(rs_lab_mono_ns() - t0) / 1e6;
}

/* Tries each resolved address in turn; returns the connected fd or -1. */
static int
connect_any(const struct rs_send_rst_opts *o, struct rs_send_rst_result *res, unsigned timeout_ms,
            struct rs_error *err)
{
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = o->family == 4 ? AF_INET : o->family == 6 ? AF_INET6 : AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int g = getaddrinfo(o->host, o->port, &hints, &ai);
    if (g != 0) {
        if (g == EAI_SERVICE) {
            rs_error_set(err, RS_ERR_USAGE, "bad port '%s'", o->port);
            return -1;
        }
        res->outcome = RS_SEND_RESOLVE;
        snprintf(res->detail, sizeof res->detail, "%s", gai_strerror(g));
        rs_error_set(err, RS_ERR_INPUT, "resolve-failed: cannot resolve %s%s: %s", o->host,
                     o->family ? (o->family == 4 ? " (IPv4)" : " (IPv6)") : "", gai_strerror(g));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *p = ai; p; p = p->ai_next) {
        char where[64];
        rs_lab_sa_format(p->ai_addr, where, sizeof where);
        snprintf(res->peer, sizeof res->peer, "%s", where);
        fd = socket(p->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            res->outcome = outcome_of(errno);
            snprintf(res->detail, sizeof res->detail, "%s", strerror(errno));
            rs_error_set(err, RS_ERR_INPUT, "%s: %s: socket: %s",
                         rs_send_outcome_name(res->outcome), where, strerror(errno));
            continue;
        }
        struct rs_lab_ep ep;
        memcpy(&ep.ss, p->ai_addr, p->ai_addrlen);
        ep.len = p->ai_addrlen;
        int64_t t0 = rs_lab_mono_ns();
        if (rs_lab_connect_fd(fd, &ep, (int)timeout_ms) == 0) {
            res->connect_ms = ms_since(t0);
            break;
        }
        int e = errno;
        if (e == ECONNRESET || e == EPIPE) {
            /* The handshake completed and the server reset before we looked
             * (a server that aborts on accept, on loopback): connected, then reset. */
            res->connect_ms = ms_since(t0);
            res->outcome = RS_SEND_PEER_RESET;
            break;
        }
        close(fd);
        fd = -1;
        res->outcome = outcome_of(e);
        snprintf(res->detail, sizeof res->detail, "%s", strerror(e));
        const char *name = rs_send_outcome_name(res->outcome);
        if (res->outcome == RS_SEND_TIMEOUT) {
            rs_error_set(err, RS_ERR_INPUT, "%s: %s: %s within %u ms", name, where,
                         outcome_text(res->outcome), timeout_ms);
        } else if (res->outcome == RS_SEND_ERROR) {
            rs_error_set(err, RS_ERR_INPUT, "%s: %s: connect failed: %s", name, where, strerror(e));
        } else {
            rs_error_set(err, RS_ERR_INPUT, "%s: %s: %s (%s)", name, where,
                         outcome_text(res->outcome), strerror(e));
        }
    }
    freeaddrinfo(ai);
    return fd;
}

/* Reads until the deadline; notes a FIN or the peer's RST. 1 when the peer reset. */
static int
wait_and_read(int fd, int64_t t_conn, int64_t deadline, struct rs_send_rst_result *res)
{
    uint8_t buf[16384];
    for (;;) {
        int64_t left = (deadline - rs_lab_mono_ns()) / 1000000;
        if (left <= 0)
            return 0;
        /* After the peer's FIN the socket stays readable: then only wait for an error (RST). */
        struct pollfd p = {fd, (short)(res->peer_fin ? 0 : POLLIN), 0};
        int rc = poll(&p, 1, left > 1000 ? 1000 : (int)left);
        if (rc < 0 && errno != EINTR)
            return 0;
        if (rc <= 0)
            continue;
        if (res->peer_fin && (p.revents & (POLLERR | POLLHUP))) {
            int e = 0;
            socklen_t sl = sizeof e;
            (void)getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl);
            if (e == ECONNRESET || e == EPIPE || (p.revents & POLLHUP)) {
                res->peer_reset_ms = ms_since(t_conn);
                return 1;
            }
            rs_lab_sleep_ms(10);
            continue;
        }
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) {
            res->bytes_received += (uint64_t)n;
        } else if (n == 0) {
            res->peer_fin = 1;
        } else if (errno == ECONNRESET || errno == EPIPE) {
            res->peer_reset_ms = ms_since(t_conn);
            return 1;
        }
    }
}

int
rs_send_rst(const struct rs_send_rst_opts *o, struct rs_send_rst_result *res, struct rs_error *err)
{
    memset(res, 0, sizeof *res);
    res->outcome = RS_SEND_ERROR;
    if (!o || !o->host || !o->host[0] || !o->port || !o->port[0])
        return rs_error_set(err, RS_ERR_USAGE, "send-rst needs a host and a port");
    if (o->family != 0 && o->family != 4 && o->family != 6)
        return rs_error_set(err, RS_ERR_USAGE, "address family must be 4 or 6");
    unsigned timeout = o->connect_timeout_ms ? o->connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS;
    int fd = connect_any(o, res, timeout, err);
    if (fd < 0)
        return err && err->code == RS_ERR_USAGE ? RS_ERR_USAGE : RS_ERR_INPUT;
    int64_t t_conn = rs_lab_mono_ns();
    int peer_reset = res->outcome == RS_SEND_PEER_RESET;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        rs_lab_sa_format((struct sockaddr *)&ss, res->local, sizeof res->local);
    sl = sizeof ss;
    if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0)
        rs_lab_sa_format((struct sockaddr *)&ss, res->peer, sizeof res->peer);
    if (o->on_connect)
        o->on_connect(res->local, res->peer, res->connect_ms, o->user);

    if (!peer_reset && o->payload && o->payload_len) {
        ssize_t n = rs_lab_send_all(fd, o->payload, o->payload_len, (int)timeout);
        if (n > 0)
            res->bytes_sent = (uint64_t)n;
        else if (errno == ECONNRESET || errno == EPIPE) {
            peer_reset = 1;
            res->peer_reset_ms = ms_since(t_conn);
        }
    }
    if (!peer_reset)
        peer_reset =
            wait_and_read(fd, t_conn, rs_lab_mono_ns() + (int64_t)o->after_ms * 1000000, res);
    if (!peer_reset) {
        /* A RST that arrived unnoticed (after_ms 0) is pending as the socket error. */
        int e = 0;
        sl = sizeof e;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) == 0 && e == ECONNRESET) {
            peer_reset = 1;
            res->peer_reset_ms = ms_since(t_conn);
        }
    }
    if (peer_reset) {
        res->outcome = RS_SEND_PEER_RESET;
        close(fd); /* already reset: nothing goes on the wire */
    } else {
        res->outcome = RS_SEND_RESET_SENT;
        rs_lab_abort(fd);
    }
    return 0;
}
