/*
 * lab_int.h - socket helpers shared by the lab scenarios, send-rst and
 * serve-rst (internal to src/lab/).
 *
 * Every helper that can block takes a timeout, so that no scenario can hang
 * the lab. Failures return -1 with errno set (or a negative timeout marker),
 * never exit.
 */
#ifndef RS_LAB_LAB_INT_H
#define RS_LAB_LAB_INT_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <rstscope/common.h>

/* An address and port ready for bind/connect. */
struct rs_lab_ep {
    struct sockaddr_storage ss;
    socklen_t len;
};

/* Fills ep from a numeric address literal (v4 or v6) and a port; -1 if not numeric. */
int rs_lab_ep_set(struct rs_lab_ep *ep, const char *addr, uint16_t port);

/* Parses "ADDR:PORT", "[V6]:PORT" or "PORT" (then 127.0.0.1). -1 with a message on error. */
int rs_lab_ep_parse(struct rs_lab_ep *ep, const char *s, struct rs_error *err);

/* "127.0.0.1:80" or "[::1]:80" into buf. */
void rs_lab_sa_format(const struct sockaddr *sa, char *buf, size_t len);

/* The port of ep. */
uint16_t rs_lab_ep_port(const struct rs_lab_ep *ep);

/* Monotonic and real-time clocks, nanoseconds. */
int64_t rs_lab_mono_ns(void);
int64_t rs_lab_real_ns(void);
void rs_lab_sleep_ms(unsigned ms);

/* A socket of `type` for ep's family, SO_REUSEADDR set, bound to `local` when non-NULL. */
int rs_lab_socket(int family, int type, const struct rs_lab_ep *local);

/* Listening TCP socket on ep with the given backlog (SO_REUSEADDR). */
int rs_lab_listen(const struct rs_lab_ep *ep, int backlog);

/*
 * Connects fd to `remote`, waiting at most timeout_ms for the handshake.
 * Returns 0, or -1 with errno (ETIMEDOUT when the wait ran out).
 */
int rs_lab_connect_fd(int fd, const struct rs_lab_ep *remote, int timeout_ms);

/* poll() one fd for `events` (POLLIN/POLLOUT); 1 ready, 0 timeout, -1 error. */
int rs_lab_wait(int fd, short events, int timeout_ms);

/* accept() within timeout_ms; the new fd or -1 (errno ETIMEDOUT on timeout). */
int rs_lab_accept(int lfd, int timeout_ms);

/* accept() now (close-on-exec), filling the peer address when non-NULL. */
int rs_lab_accept_now(int lfd, struct sockaddr *peer, socklen_t *peer_len);

/* send() everything (MSG_NOSIGNAL); returns bytes sent or -1 with errno. */
ssize_t rs_lab_send_all(int fd, const void *buf, size_t len, int timeout_ms);

/*
 * Reads exactly len bytes, or until EOF, within timeout_ms. Returns the
 * bytes read (< len at EOF) or -1 with errno (ETIMEDOUT, ECONNRESET, ...).
 */
ssize_t rs_lab_recv_n(int fd, void *buf, size_t len, int timeout_ms);

/*
 * Waits up to timeout_ms for the peer's FIN, discarding data. Returns the
 * bytes discarded at EOF, or -1 with errno (ETIMEDOUT, ECONNRESET).
 */
ssize_t rs_lab_recv_eof(int fd, int timeout_ms);

/* Abortive close: SO_LINGER {1, 0} then close(), so the kernel sends a RST. */
void rs_lab_abort(int fd);

/* close() that ignores -1. */
void rs_lab_close(int fd);

/* Bytes waiting in fd's receive queue (FIONREAD), 0 on error. */
unsigned rs_lab_pending(int fd);

#endif
