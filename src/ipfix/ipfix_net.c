/*
 * ipfix_net.c - the transports of rs_ipfix_open: a connected UDP socket
 * (RFC 7011 §10.3) or a TCP stream (§10.4) to the collector.
 *
 * UDP is connected so that an ICMP port unreachable from a host with no
 * collector comes back as ECONNREFUSED on a later send: the only sign that
 * nobody listens, which the close message then reports. TCP connects
 * without blocking and waits at most CONNECT_TIMEOUT_MS, so that a
 * collector that drops SYNs makes a clear error instead of a two-minute
 * hang; sends use MSG_NOSIGNAL so a collector that goes away is an error,
 * not a SIGPIPE.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipfix/ipfix_int.h"

#define CONNECT_TIMEOUT_MS 5000

int
rs_ipfix_sock_send(const uint8_t *msg, size_t len, void *user, struct rs_error *err)
{
    struct rs_ipfix *x = user;
    size_t off = 0;
    while (off < len) {
        ssize_t n = send(x->fd, msg + off, len - off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return rs_error_set(err, RS_ERR_OUTPUT, "%s", strerror(errno));
        }
        if (x->transport == RS_IPFIX_UDP && (size_t)n != len)
            return rs_error_set(err, RS_ERR_OUTPUT, "datagram cut to %zd bytes", n);
        off += (size_t)n;
    }
    return 0;
}

/* Splits "host:port", "[v6]:port", ":port" or "port" (host: loopback). */
static int
split_target(const char *target, char *host, size_t hostlen, char *port, size_t portlen)
{
    const char *colon;
    const char *h = target;
    size_t hl;
    if (target[0] == '[') {
        const char *close = strchr(target, ']');
        if (!close || close[1] != ':')
            return -1;
        h = target + 1;
        hl = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(target, ':');
        if (colon && strchr(target, ':') != colon)
            return -1; /* a bare IPv6 address needs brackets */
        hl = colon ? (size_t)(colon - target) : 0;
        if (!colon)
            colon = target - 1; /* "port" alone */
    }
    const char *p = colon + 1;
    if (hl >= hostlen || !p[0] || strlen(p) >= portlen)
        return -1;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9')
            return -1;
    long v = strtol(p, NULL, 10);
    if (v < 1 || v > 65535)
        return -1;
    memcpy(host, h, hl);
    host[hl] = '\0';
    if (!host[0])
        snprintf(host, hostlen, "127.0.0.1");
    snprintf(port, portlen, "%ld", v);
    return 0;
}

static int
wait_connected(int fd, struct rs_error *err, const char *target)
{
    struct pollfd p = {fd, POLLOUT, 0};
    int rc;
    do
        rc = poll(&p, 1, CONNECT_TIMEOUT_MS);
    while (rc < 0 && errno == EINTR);
    if (rc == 0)
        return rs_error_set(err, RS_ERR_OUTPUT, "IPFIX collector %s: no answer within %d s", target,
                            CONNECT_TIMEOUT_MS / 1000);
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (rc < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
        soerr = errno;
    if (soerr)
        return rs_error_set(err, RS_ERR_OUTPUT, "IPFIX collector %s: %s", target, strerror(soerr));
    return 0;
}

/* A socket connected to one of the target's addresses, or -1 with err set. */
static int
connect_target(const char *target, enum rs_ipfix_transport t, struct rs_error *err)
{
    char host[256], port[8];
    if (split_target(target, host, sizeof host, port, sizeof port) != 0) {
        rs_error_set(err, RS_ERR_USAGE, "bad IPFIX collector '%s' (HOST:PORT, [IPv6]:PORT or PORT)",
                     target);
        return -1;
    }
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = t == RS_IPFIX_TCP ? SOCK_STREAM : SOCK_DGRAM;
    int gai = getaddrinfo(host, port, &hints, &res);
    if (gai != 0) {
        rs_error_set(err, RS_ERR_OUTPUT, "IPFIX collector %s: %s", target, gai_strerror(gai));
        return -1;
    }
    int fd = -1;
    rs_error_set(err, RS_ERR_OUTPUT, "IPFIX collector %s: no usable address", target);
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            rs_error_set(err, RS_ERR_OUTPUT, "IPFIX collector %s: socket: %s", target,
                         strerror(errno));
            continue;
        }
        int rc;
        if (t == RS_IPFIX_TCP) {
            int fl = fcntl(fd, F_GETFL);
            fcntl(fd, F_SETFL, fl | O_NONBLOCK);
            rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
            if (rc != 0 && errno == EINPROGRESS)
                rc = wait_connected(fd, err, target);
            else if (rc != 0)
                rs_error_set(err, RS_ERR_OUTPUT, "IPFIX collector %s: %s", target, strerror(errno));
            fcntl(fd, F_SETFL, fl);
        } else {
            rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
            if (rc != 0)
                rs_error_set(err, RS_ERR_OUTPUT, "IPFIX collector %s: %s", target, strerror(errno));
        }
        if (rc == 0)
            break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

struct rs_ipfix *
rs_ipfix_open(const char *target, enum rs_ipfix_transport transport,
              const struct rs_ipfix_opts *opts, struct rs_error *err)
{
    if (!target || !target[0]) {
        rs_error_set(err, RS_ERR_USAGE, "no IPFIX collector given (HOST:PORT)");
        return NULL;
    }
    struct rs_ipfix *x = rs_ipfix_new(transport, opts, rs_ipfix_sock_send, NULL, err);
    if (!x)
        return NULL;
    x->user = x;
    x->fd = connect_target(target, transport, err);
    if (x->fd < 0) {
        rs_ipfix_close(x, NULL);
        return NULL;
    }
    snprintf(x->target, sizeof x->target, "%s", target);
    if (err)
        memset(err, 0, sizeof *err);
    return x;
}
