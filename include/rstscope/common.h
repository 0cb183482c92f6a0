/*
 * rstscope/common.h - types shared by every module of the library.
 *
 * Error convention (libpcap style): library calls return 0 on success or a
 * negative `enum rs_err`; when they take a `struct rs_error *`, a one-line
 * message is written there. The caller owns the error struct. Nothing in the
 * library exits, aborts or longjmps; only the CLI picks exit codes.
 */
#ifndef RSTSCOPE_COMMON_H
#define RSTSCOPE_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define RS_VERSION "0.1.0"

enum rs_err {
    RS_OK = 0,
    RS_ERR_USAGE = -1,    /* bad argument or option value */
    RS_ERR_INPUT = -2,    /* unreadable input, or not a capture */
    RS_ERR_OUTPUT = -3,   /* write failed */
    RS_ERR_NOMEM = -4,    /* allocation failed */
    RS_ERR_INTERNAL = -5, /* a bug */
    RS_ERR_PERM = -6,     /* missing privilege (capture, raw sockets) */
};

struct rs_error {
    int code;      /* enum rs_err of the last failure */
    char msg[512]; /* one line, no trailing newline */
};

/* Formats into err (if non-NULL) and returns `code`. */
int rs_error_set(struct rs_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * An IP address, v4 or v6. IPv4 is stored v4-mapped (::ffff:a.b.c.d) so that
 * keys compare and hash uniformly; `rs_addr_is_v4` tells which.
 */
struct rs_addr {
    uint8_t b[16];
};

void rs_addr_from_v4(struct rs_addr *a, const uint8_t v4[4]);
int rs_addr_is_v4(const struct rs_addr *a);
/* Writes the textual form (inet_ntop style, v4 dotted) into buf; returns length. */
size_t rs_addr_format(const struct rs_addr *a, char *buf, size_t len);
/* Parses "1.2.3.4" or an IPv6 literal; 0 on success, -1 on failure. */
int rs_addr_parse(struct rs_addr *a, const char *s);

/* Nanoseconds since the Unix epoch. All packet times use this unit. */
typedef int64_t rs_time_ns;

/* to - from, never negative, at most INT64_MAX: times from a hostile
 * capture can lie far apart on either side of 1970, and the plain
 * difference would overflow. */
static inline rs_time_ns
rs_time_span(rs_time_ns from, rs_time_ns to)
{
    if (to <= from)
        return 0;
    uint64_t d = (uint64_t)to - (uint64_t)from;
    return d > (uint64_t)INT64_MAX ? INT64_MAX : (rs_time_ns)d;
}
#define RS_NS_PER_SEC INT64_C(1000000000)

#endif
