/*
 * sock.c - small socket helpers for the lab, send-rst and serve-rst.
 *
 * Blocking sockets with poll() before each step: simple to read as a
 * script ("client sends, server reads, server aborts"), and every wait is
 * bounded. Connects are non-blocking so that the timeout is ours, not the
 * kernel's SYN retry schedule (which would take minutes).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "lab/lab_int.h"

int64_t
rs_lab_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t
rs_lab_real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
rs_lab_sleep_ms(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int
rs_lab_ep_set(struct rs_lab_ep *ep, const char *addr, uint16_t port)
{
    memset(ep, 0, sizeof *ep);
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ep->ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ep->ss;
    if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        ep->len = sizeof *s4;
        return 0;
    }
    memset(ep, 0, sizeof *ep);
    if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        ep->len = sizeof *s6;
        return 0;
    }
    return -1;
}

uint16_t
rs_lab_ep_port(const struct rs_lab_ep *ep)
{
    if (ep->ss.ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)&ep->ss)->sin_port);
    return ntohs(((const struct sockaddr_in6 *)&ep->ss)->sin6_port);
}

int
rs_lab_ep_parse(struct rs_lab_ep *ep, const char *s, struct rs_error *err)
{
    char addr[INET6_ADDRSTRLEN + 2];
    const char *port;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':' || (size_t)(close - s - 1) >= sizeof addr)
            return rs_error_set(err, RS_ERR_USAGE, "'%s': expected [IPV6]:PORT", s);
        memcpy(addr, s + 1, (size_t)(close - s - 1));
        addr[close - s - 1] = '\0';
        port = close + 2;
    } else {
        const char *colon = strrchr(s, ':');
        if (!colon) {
            snprintf(addr, sizeof addr, "127.0.0.1");
            port = s;
        } else {
            if (strchr(s, ':') != colon)
                return rs_error_set(err, RS_ERR_USAGE,
                                    "'%s': write an IPv6 address in brackets: [::1]:8080", s);
            if ((size_t)(colon - s) >= sizeof addr)
                return rs_error_set(err, RS_ERR_USAGE, "'%s': address too long", s);
            memcpy(addr, s, (size_t)(colon - s));
            addr[colon - s] = '\0';
            if (addr[0] == '\0')
                snprintf(addr, sizeof addr, "127.0.0.1");
            port = colon + 1;
        }
    }
    char *end;
    errno = 0;
    unsigned long p = strtoul(port, &end, 10);
    if (!*port || *end || errno || p > 65535)
        return rs_error_set(err, RS_ERR_USAGE, "'%s': bad port '%s' (0 to 65535)", s, port);
    if (rs_lab_ep_set(ep, addr, (uint16_t)p) != 0)
        return rs_error_set(err, RS_ERR_USAGE, "'%s': '%s' is not a numeric IPv4 or IPv6 address",
                            s, addr);
    return 0;
}

void
rs_lab_sa_format(const struct sockaddr *sa, char *buf, size_t len)
{
    char a[INET6_ADDRSTRLEN];
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &s4->sin_addr, a, sizeof a);
        snprintf(buf, len, "%s:%u", a, ntohs(s4->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof a);
        snprintf(buf, len, "[%s]:%u", a, ntohs(s6->sin6_port));
    } else {
        snprintf(buf, len, "?");
    }
}

int
rs_lab_socket(int family, int type, const struct rs_lab_ep *local)
{
    int fd = socket(family, type | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    /* Lets tcp-reuse rebind its port, and reruns bind while old sockets linger. */
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
        goto err;
    if (local && bind(fd, (const struct sockaddr *)&local->ss, local->len) != 0)
        goto err;
    return fd;
err : {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
}
}

int
rs_lab_listen(const struct rs_lab_ep *ep, int backlog)
{
    int fd = rs_lab_socket(ep->ss.ss_family, SOCK_STREAM, ep);
    if (fd < 0)
        return -1;
    if (listen(fd, backlog) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

int
rs_lab_wait(int fd, short events, int timeout_ms)
{
    struct pollfd p = {fd, events, 0};
    int64_t deadline = rs_lab_mono_ns() + (int64_t)timeout_ms * 1000000;
    for (;;) {
        int64_t left = (deadline - rs_lab_mono_ns()) / 1000000;
        int rc = poll(&p, 1, left > 0 ? (int)left : 0);
        if (rc >= 0)
            return rc > 0 ? 1 : 0;
        if (errno != EINTR)
            return -1;
    }
}

int
rs_lab_connect_fd(int fd, const struct rs_lab_ep *remote, int timeout_ms)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0)
        return -1;
    int rc = connect(fd, (const struct sockaddr *)&remote->ss, remote->len);
    if (rc != 0 && errno != EINPROGRESS)
        return -1;
    if (rc != 0) {
        int w = rs_lab_wait(fd, POLLOUT, timeout_ms);
        if (w <= 0) {
            if (w == 0)
                errno = ETIMEDOUT;
            return -1;
        }
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
            return -1;
        if (soerr) {
            errno = soerr;
            return -1;
        }
    }
    if (fcntl(fd, F_SETFL, fl) != 0)
        return -1;
    return 0;
}

int
rs_lab_accept(int lfd, int timeout_ms)
{
    int w = rs_lab_wait(lfd, POLLIN, timeout_ms);
    if (w <= 0) {
        if (w == 0)
            errno = ETIMEDOUT;
        return -1;
    }
    return rs_lab_accept_now(lfd, NULL, NULL);
}

int
rs_lab_accept_now(int lfd, struct sockaddr *peer, socklen_t *peer_len)
{
    int fd = accept(lfd, peer, peer_len);
    if (fd >= 0)
        (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    return fd;
}

ssize_t
rs_lab_send_all(int fd, const void *buf, size_t len, int timeout_ms)
{
    const uint8_t *p = buf;
    size_t done = 0;
    while (done < len) {
        int w = rs_lab_wait(fd, POLLOUT, timeout_ms);
        if (w <= 0) {
            if (w == 0)
                errno = ETIMEDOUT;
            return -1;
        }
        ssize_t n = send(fd, p + done, len - done, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return -1;
        }
        done += (size_t)n;
    }
    return (ssize_t)done;
}

ssize_t
rs_lab_recv_n(int fd, void *buf, size_t len, int timeout_ms)
{
    uint8_t *p = buf;
    size_t done = 0;
    int64_t deadline = rs_lab_mono_ns() + (int64_t)timeout_ms * 1000000;
    while (done < len) {
        int64_t left = (deadline - rs_lab_mono_ns()) / 1000000;
        int w = rs_lab_wait(fd, POLLIN, left > 0 ? (int)left : 0);
        if (w <= 0) {
            if (w == 0)
                errno = ETIMEDOUT;
            return -1;
        }
        ssize_t n = recv(fd, p + done, len - done, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return -1;
        }
        if (n == 0)
            break;
        done += (size_t)n;
    }
    return (ssize_t)done;
}

ssize_t
rs_lab_recv_eof(int fd, int timeout_ms)
{
    uint8_t buf[4096];
    size_t total = 0;
    int64_t deadline = rs_lab_mono_ns() + (int64_t)timeout_ms * 1000000;
    for (;;) {
        int64_t left = (deadline - rs_lab_mono_ns()) / 1000000;
        int w = rs_lab_wait(fd, POLLIN, left > 0 ? (int)left : 0);
        if (w <= 0) {
            if (w == 0)
                errno = ETIMEDOUT;
            return -1;
        }
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return -1;
        }
        if (n == 0)
            return (ssize_t)total;
        total += (size_t)n;
    }
}

void
rs_lab_abort(int fd)
{
    if (fd < 0)
        return;
    /* RFC 9293 3.10.4 ABORT: with a zero linger time close() discards queued data and resets. */
    struct linger lg = {1, 0};
    (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
}

void
rs_lab_close(int fd)
{
    if (fd >= 0)
        close(fd);
}

unsigned
rs_lab_pending(int fd)
{
    int n = 0;
    if (ioctl(fd, FIONREAD, &n) != 0 || n < 0)
        return 0;
    return (unsigned)n;
}
