/*
 * stream.c - reading a capture from a pipe: what stdio already holds, then
 * read(2) as the data comes.
 *
 * Why: `zcat trace.pcap.gz | rstscope analyze -` is how big captures are
 * usually read. Through stdio (libpcap's two freads a packet, or the pcapng
 * reader asking a pipe for one block at a time) a pipe cost 1.7x the CPU
 * time of the same file read in blocks, and 2-3x for pcapng. The block
 * readers take a pipe instead: each read(2) asks for all the room the
 * block has and returns with what the pipe holds, so the data comes in
 * chunks as big as the writer makes them, but a read never waits for more
 * than the parse needs (a live `tcpdump -U -w - |` is not held back).
 *
 * The stream's first bytes were read through its FILE (the magic, to tell
 * pcap from pcapng), and stdio read a buffer's worth ahead; those bytes are
 * taken from the FILE's buffer before the descriptor is read. C has no call
 * for how many bytes a FILE holds: glibc's FILE says it in its read
 * pointers (a stable ABI; gnulib's freadahead reads the same fields).
 * Elsewhere, or when the FILE is in a state those pointers do not describe,
 * the callers keep reading through stdio as before.
 */
#define _GNU_SOURCE /* F_SETPIPE_SZ */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "capture/capture_int.h"

#ifndef _IO_IN_BACKUP
#define _IO_IN_BACKUP 0x100 /* glibc libio.h: reading bytes pushed back by ungetc */
#endif

ssize_t
rs_stdio_take(FILE *fp, uint8_t *dst, size_t max)
{
#if defined(__GLIBC__)
    if (fp->_flags & _IO_IN_BACKUP)
        return -1;
    if (!fp->_IO_read_ptr || fp->_IO_read_end < fp->_IO_read_ptr)
        return fp->_IO_read_ptr == fp->_IO_read_end ? 0 : -1;
    size_t n = (size_t)(fp->_IO_read_end - fp->_IO_read_ptr);
    if (n > max)
        return -1;
    /* Served from the buffer alone: no read(2) happens. */
    if (n && fread(dst, 1, n, fp) != n)
        return -1;
    return (ssize_t)n;
#else
    (void)fp;
    (void)dst;
    (void)max;
    return -1;
#endif
}

ssize_t
rs_read_some(int fd, uint8_t *dst, size_t min, size_t max)
{
    size_t got = 0;
    if (max == 0)
        return 0; /* callers give room: a read of 0 bytes would look like the end */
    if (min > max)
        min = max;
    do {
        ssize_t r = read(fd, dst + got, max - got);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0)
            break; /* the end of the stream */
        got += (size_t)r;
    } while (got < min);
    return (ssize_t)got;
}

void
rs_pipe_grow(int fd)
{
#ifdef F_SETPIPE_SZ
    /* Linux's pipes hold 64 KiB: the writer and the reader then take turns
     * (a wake-up, a switch) every 64 KiB. 1 MiB, the limit an unprivileged
     * process may set (fs.pipe-max-size); not a pipe, or refused: as it is. */
    int cur = fcntl(fd, F_GETPIPE_SZ);
    if (cur > 0 && cur < (1 << 20))
        (void)fcntl(fd, F_SETPIPE_SZ, 1 << 20);
#else
    (void)fd;
#endif
}
