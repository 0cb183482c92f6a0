/*
 * decompress.c - captures compressed with gzip or zstd, read as they are.
 *
 * Why: capture archives are kept compressed (tcpdump -G ... -z gzip,
 * sensors that rotate into .pcap.zst), and a day of them is many files,
 * which `zcat |` cannot hand over as one capture (rstscope merges several
 * files in time order; concatenated pcap files are not a pcap file). A
 * compressed input is recognised by its magic (RFC 1952 §2.3.1 gzip:
 * 1f 8b; RFC 8878 §3.1.1 zstd frame: 28 b5 2f fd) and decompressed by a
 * thread into a pipe, which the capture reads as any pipe (stream.c): the
 * decompression runs on another core, the analysis reads blocks as they
 * come. zlib and libzstd do the decompressing.
 *
 * gzip: every member of the file (RFC 1952 §2.2: a gzip file is a series
 * of members, as `cat a.gz b.gz` makes), each checked by zlib (CRC-32 and
 * length); bytes after the last member that do not start another one are
 * ignored, as gzip(1) does with a warning. zstd: every frame, skippable
 * frames skipped (libzstd's streaming decoder). Corrupt or cut data ends
 * the decompressed stream there; the capture then ends as a cut file does
 * (its records so far are kept), and rs_unzip_finish says what was wrong,
 * at which compressed byte.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "capture/capture_int.h"

#define UNZIP_IN ((size_t)256 * 1024)
#define UNZIP_OUT ((size_t)256 * 1024)

struct rs_unzip {
    pthread_t th;
    FILE *src;     /* the compressed stream, after its magic */
    int src_stdin; /* src is stdin: not closed here */
    int wfd;       /* the pipe's write end; the thread closes it */
    int zstd;      /* else gzip */
    uint8_t magic[4];
    _Atomic uint64_t consumed; /* compressed bytes read, the magic included */
    _Atomic int finished;      /* err is final; set before the pipe is closed */
    char err[200];             /* what was wrong with the data ("" if nothing) */
    int gone;                  /* the reader closed the pipe before the end */
};

int
rs_unzip_magic(const uint8_t m[4])
{
    if (m[0] == 0x1f && m[1] == 0x8b)
        return RS_UNZIP_GZIP;
    if (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
        return RS_UNZIP_ZSTD;
    return 0;
}

/* Writes all of p[0..n) to the pipe: 0, or -1 when the reader has gone. */
static int
put_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1; /* EPIPE: the capture was closed before its end */
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The next chunk of compressed input: the magic first, then src. */
static size_t
take_in(struct rs_unzip *u, uint8_t *buf, int *first)
{
    size_t n = 0;
    if (*first) {
        memcpy(buf, u->magic, 4);
        n = 4;
        *first = 0;
    }
    n += fread(buf + n, 1, UNZIP_IN - n, u->src);
    atomic_fetch_add(&u->consumed, n);
    return n;
}

/* At the end of the compressed input: a read error, or data that stops
 * inside a gzip member or a zstd frame (`unfinished`). */
static void
end_check(struct rs_unzip *u, int unfinished, uint64_t at)
{
    if (u->gone || u->err[0] || !unfinished)
        return; /* the capture was closed first, the fault was said, or it is whole */
    const char *kind = u->zstd ? "zstd" : "gzip";
    if (ferror(u->src)) {
        snprintf(u->err, sizeof u->err, "%s: read error: %s", kind, strerror(errno));
        return;
    }
    snprintf(u->err, sizeof u->err,
             "%s: the compressed data ends early (a cut file) at compressed byte %llu", kind,
             (unsigned long long)at);
}

static void
gunzip(struct rs_unzip *u, uint8_t *in, uint8_t *out)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) { /* gzip only (RFC 1952) */
        snprintf(u->err, sizeof u->err, "gzip: cannot start zlib");
        return;
    }
    int first = 1, in_member = 1, full = 0;
    uint64_t at = 0; /* compressed bytes before z.next_in */
    for (;;) {
        /* More input only when the last inflate did not fill the output
         * (then it may hold more without any). */
        if (z.avail_in == 0 && !full) {
            size_t n = take_in(u, in, &first);
            if (n == 0)
                break;
            z.next_in = in;
            z.avail_in = (uInt)n;
        }
        if (!in_member) {
            /* After a member: another one, or trailing bytes to ignore. */
            if (z.avail_in == 0 || z.next_in[0] != 0x1f)
                break;
            inflateReset(&z);
            in_member = 1;
        }
        z.next_out = out;
        z.avail_out = (uInt)UNZIP_OUT;
        uInt before = z.avail_in;
        int rc = inflate(&z, Z_NO_FLUSH);
        at += before - z.avail_in;
        /* At a member's end its output is all out, even when it filled the
         * buffer exactly: then more input (the next member) is wanted. */
        full = z.avail_out == 0 && rc != Z_STREAM_END;
        if (put_all(u->wfd, out, UNZIP_OUT - z.avail_out) != 0) {
            u->gone = 1;
            break;
        }
        if (rc == Z_STREAM_END) {
            in_member = 0;
        } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            snprintf(u->err, sizeof u->err, "gzip: %s at compressed byte %llu",
                     z.msg ? z.msg : "corrupt data", (unsigned long long)at);
            break;
        }
    }
    end_check(u, in_member, at);
    inflateEnd(&z);
}

static void
unzstd(struct rs_unzip *u, uint8_t *in, uint8_t *out)
{
    ZSTD_DCtx *d = ZSTD_createDCtx();
    if (!d) {
        snprintf(u->err, sizeof u->err, "zstd: out of memory");
        return;
    }
    int first = 1, full = 0;
    size_t left = 0; /* 0: at a frame boundary */
    uint64_t at = 0;
    ZSTD_inBuffer ib = {in, 0, 0};
    for (;;) {
        /* More input only when the output was not filled (see gunzip). */
        if (ib.pos == ib.size && !full) {
            size_t n = take_in(u, in, &first);
            if (n == 0)
                break;
            ib = (ZSTD_inBuffer){in, n, 0};
        }
        ZSTD_outBuffer ob = {out, UNZIP_OUT, 0};
        size_t before = ib.pos;
        left = ZSTD_decompressStream(d, &ob, &ib);
        at += ib.pos - before;
        if (ZSTD_isError(left)) {
            snprintf(u->err, sizeof u->err, "zstd: %s at compressed byte %llu",
                     ZSTD_getErrorName(left), (unsigned long long)at);
            break;
        }
        full = ob.pos == ob.size;
        if (put_all(u->wfd, out, ob.pos) != 0) {
            u->gone = 1;
            break;
        }
    }
    end_check(u, left != 0, at);
    ZSTD_freeDCtx(d);
}

static void *
unzip_thread(void *arg)
{
    struct rs_unzip *u = arg;
    /* A capture closed before its end: write(2) then fails with EPIPE
     * instead of SIGPIPE ending the process. */
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    uint8_t *in = malloc(UNZIP_IN), *out = malloc(UNZIP_OUT);
    if (!in || !out)
        snprintf(u->err, sizeof u->err, "%s: out of memory", u->zstd ? "zstd" : "gzip");
    else if (u->zstd)
        unzstd(u, in, out);
    else
        gunzip(u, in, out);
    free(in);
    free(out);
    atomic_store(&u->finished, 1); /* release: err, before the reader sees the end */
    close(u->wfd);                 /* the end of the decompressed stream */
    return NULL;
}

FILE *
rs_unzip_start(struct rs_unzip **out, FILE *src, int src_stdin, const uint8_t magic[4])
{
    *out = NULL;
    int kind = rs_unzip_magic(magic);
    struct rs_unzip *u = kind ? calloc(1, sizeof *u) : NULL;
    if (!u)
        return NULL;
    int fds[2];
    if (pipe(fds) != 0) {
        free(u);
        return NULL;
    }
    rs_pipe_grow(fds[1]);
    u->src = src;
    u->src_stdin = src_stdin;
    u->wfd = fds[1];
    u->zstd = kind == RS_UNZIP_ZSTD;
    memcpy(u->magic, magic, 4);
    atomic_init(&u->consumed, 0);
    atomic_init(&u->finished, 0);
    FILE *r = fdopen(fds[0], "rb");
    if (!r || pthread_create(&u->th, NULL, unzip_thread, u) != 0) {
        if (r)
            fclose(r);
        else
            close(fds[0]);
        close(fds[1]);
        free(u);
        return NULL;
    }
    *out = u;
    return r;
}

const char *
rs_unzip_error(const struct rs_unzip *u)
{
    struct rs_unzip *m = (struct rs_unzip *)u;
    return atomic_load(&m->finished) && m->err[0] ? m->err : NULL;
}

uint64_t
rs_unzip_consumed(const struct rs_unzip *u)
{
    return atomic_load(&((struct rs_unzip *)u)->consumed);
}

const char *
rs_unzip_name(const struct rs_unzip *u)
{
    return u->zstd ? "zstd" : "gzip";
}

int
rs_unzip_finish(struct rs_unzip *u, char *why, size_t len)
{
    if (!u)
        return 0;
    pthread_join(u->th, NULL);
    if (!u->src_stdin)
        fclose(u->src);
    int bad = u->err[0] != 0;
    if (bad && why && len)
        snprintf(why, len, "%s", u->err);
    free(u);
    return bad ? -1 : 0;
}
