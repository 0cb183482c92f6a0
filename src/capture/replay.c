/*
 * replay.c - a FILE that replays bytes already read, then continues from
 * another FILE.
 *
 * Why: to tell pcapng (our reader) from classic pcap (libpcap) we read the
 * 4-byte magic ourselves. A regular file is simply rewound before libpcap
 * gets it, but a pipe on stdin cannot be, so libpcap gets this stream
 * instead, which gives the magic back first. glibc and musl offer
 * fopencookie, the BSDs and macOS funopen.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "capture/capture_int.h"

struct replay {
    FILE *fp;
    size_t n, off;
    uint8_t head[]; /* n bytes */
};

static size_t
replay_read_n(struct replay *r, char *buf, size_t size)
{
    size_t done = 0;
    if (r->off < r->n) {
        done = r->n - r->off < size ? r->n - r->off : size;
        memcpy(buf, r->head + r->off, done);
        r->off += done;
    }
    if (done < size)
        done += fread(buf + done, 1, size - done, r->fp);
    return done;
}

static int
replay_close(void *cookie)
{
    struct replay *r = cookie;
    int rc = 0;
    if (r->fp != stdin)
        rc = fclose(r->fp);
    free(r);
    return rc;
}

#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__NetBSD__) || defined(__OpenBSD__) ||   \
    defined(__DragonFly__)
static int
replay_read(void *cookie, char *buf, int size)
{
    struct replay *r = cookie;
    size_t got = replay_read_n(r, buf, size < 0 ? 0 : (size_t)size);
    if (got == 0 && ferror(r->fp))
        return -1;
    return (int)got;
}

static FILE *
wrap(struct replay *r)
{
    return funopen(r, replay_read, NULL, NULL, replay_close);
}
#else
static ssize_t
replay_read(void *cookie, char *buf, size_t size)
{
    struct replay *r = cookie;
    size_t got = replay_read_n(r, buf, size);
    if (got == 0 && ferror(r->fp))
        return -1;
    return (ssize_t)got;
}

static FILE *
wrap(struct replay *r)
{
    cookie_io_functions_t io = {
        .read = replay_read, .write = NULL, .seek = NULL, .close = replay_close};
    return fopencookie(r, "rb", io);
}
#endif

FILE *
rs_replay_open(FILE *fp, const uint8_t *head, size_t n)
{
    struct replay *r = calloc(1, sizeof *r + n);
    if (!r)
        return NULL;
    r->fp = fp;
    memcpy(r->head, head, n);
    r->n = n;
    FILE *f = wrap(r);
    if (!f)
        free(r);
    return f;
}
