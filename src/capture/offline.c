/*
 * offline.c - opening capture files and merging them in time order.
 *
 * Opening sniffs the 4-byte magic itself, for three reasons: to send pcapng to
 * our own reader (see pcapng.c for why), classic pcap files to the fast
 * path (mmap.c), and to say plainly what a non-capture is (libpcap only says
 * "unknown file format"). Classic pcap that the fast path declines goes to libpcap
 * with nanosecond precision requested, so microsecond files arrive scaled to
 * ns. A regular file is rewound before libpcap reads it; a pipe is wrapped
 * so that the magic is replayed (replay.c).
 *
 * The merge is a binary min-heap of the inputs that hold a pending packet,
 * keyed on (time stamp, input index): ties go to the file given first and a
 * file's own order is kept. The packet returned last is still at the top of
 * the heap when the next call comes; only then is its input read again, so
 * the packet's bytes stay valid as promised without copying.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "capture/capture_int.h"

#define STREAM_BUFFER ((size_t)256 * 1024)

static const char *
describe_magic(const uint8_t m[4], char *buf, size_t len)
{
    /* Say what it is when we can: compressed captures are a common mistake
     * (gzip and zstd are read: decompress.c). */
    if (m[0] == 0xfd && m[1] == '7' && m[2] == 'z' && m[3] == 'X')
        return "an xz-compressed file: decompress it first (xzcat)";
    if (m[0] == 'B' && m[1] == 'Z' && m[2] == 'h')
        return "a bzip2-compressed file: decompress it first (bzcat)";
    if (m[0] == 0x04 && m[1] == 0x22 && m[2] == 0x4d && m[3] == 0x18)
        return "an lz4-compressed file: decompress it first (lz4cat)";
    int text = 1;
    for (int i = 0; i < 4; i++)
        if (m[i] < 0x20 || m[i] > 0x7e)
            text = 0;
    char shown[12] = "";
    if (text)
        snprintf(shown, sizeof shown, " \"%c%c%c%c\"", m[0], m[1], m[2], m[3]);
    snprintf(buf, len, "not a pcap or pcapng file (unknown magic 0x%02x%02x%02x%02x%s)", m[0], m[1],
             m[2], m[3], shown);
    return buf;
}

/* Classic pcap magics in either byte order: us, ns, and Alexey Kuznetzov's modified format. */
static int
classic_magic(const uint8_t m[4], int *ns)
{
    uint32_t be = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
    uint32_t le = (uint32_t)m[3] << 24 | (uint32_t)m[2] << 16 | (uint32_t)m[1] << 8 | m[0];
    *ns = be == 0xa1b23c4du || le == 0xa1b23c4du;
    return be == 0xa1b2c3d4u || le == 0xa1b2c3d4u || *ns || be == 0xa1b2cd34u || le == 0xa1b2cd34u;
}

/*
 * Opens input `in` from fp (owned from here on, also on failure).
 * in->path and in->name are set by the caller.
 */
static int
input_open_fp(struct rs_input *in, FILE *fp, const struct rs_capture_opts *opts,
              struct rs_error *err)
{
    struct stat st;
    int fd = fileno(fp);
    in->is_stdin = fp == stdin;
    if (fd >= 0 && fstat(fd, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            if (!in->is_stdin)
                fclose(fp);
            return rs_error_set(err, RS_ERR_INPUT, "%s: is a directory", in->name);
        }
        if (S_ISREG(st.st_mode)) {
            in->size = (uint64_t)st.st_size;
            /* A bigger buffer than st_blksize: fewer read(2)s on big captures. */
            if (!in->is_stdin)
                setvbuf(fp, NULL, _IOFBF, STREAM_BUFFER);
        }
    }
    /* Where the capture starts: stdin may have been read from before we got it. */
    long start = ftell(fp);
    uint8_t m[4];
    size_t got = fread(m, 1, 4, fp);
    int rc = 0;
    char why[160];
    if (got < 4) {
        if (ferror(fp)) {
            rc = rs_error_set(err, RS_ERR_INPUT, "%s: %s", in->name, strerror(errno));
        } else if (got == 0) {
            rc = rs_error_set(err, RS_ERR_INPUT, "%s: empty file, not a pcap or pcapng capture",
                              in->name);
        } else {
            rc = rs_error_set(err, RS_ERR_INPUT, "%s: too short to be a capture (%zu bytes)",
                              in->name, got);
        }
        goto fail;
    }
    if (rs_unzip_magic(m)) {
        /* Compressed (decompress.c): the capture is read from a pipe that
         * a thread fills with the decompressed bytes. */
        if (in->compression) {
            rc =
                rs_error_set(err, RS_ERR_INPUT, "%s: compressed twice (%s inside %s)", in->name,
                             rs_unzip_magic(m) == RS_UNZIP_ZSTD ? "zstd" : "gzip", in->compression);
            goto fail;
        }
        struct rs_unzip *u;
        FILE *pf = rs_unzip_start(&u, fp, in->is_stdin, m);
        if (!pf) {
            rc = rs_error_set(err, RS_ERR_NOMEM, "%s: cannot start decompressing it", in->name);
            goto fail;
        }
        in->unzip = u;
        in->unzip_stdin = in->is_stdin;
        in->compression = rs_unzip_name(u);
        uint64_t size = in->size; /* the compressed file's, for progress */
        rc = input_open_fp(in, pf, opts, err);
        in->size = size;
        if (rc < 0) {
            /* pf is closed: the thread ends. A fault of the compressed
             * data says more than what the decompressed bytes looked like. */
            char fault[200];
            if (rs_unzip_finish(in->unzip, fault, sizeof fault) != 0)
                rc = rs_error_set(err, RS_ERR_INPUT, "%s: %s", in->name, fault);
            in->unzip = NULL;
        }
        return rc;
    }
    int ns = 0;
    int pcapng = m[0] == 0x0a && m[1] == 0x0d && m[2] == 0x0d && m[3] == 0x0a;
    if (!pcapng && !classic_magic(m, &ns)) {
        rc =
            rs_error_set(err, RS_ERR_INPUT, "%s: %s", in->name, describe_magic(m, why, sizeof why));
        goto fail;
    }
    if (pcapng && !(opts && opts->pcapng_via_libpcap)) {
        in->kind = RS_IN_PCAPNG;
        in->format = "pcapng";
        if (rs_ng_open(&in->ng, fp, m, opts ? opts->pcap_mmap : 0) < 0) {
            rc = rs_error_set(err, RS_ERR_INPUT, "%s: not a readable pcapng file: %s", in->name,
                              in->ng.err);
            rs_ng_close(&in->ng);
            goto fail;
        }
        in->linktype = in->ng.first_linktype;
        in->seekable = 1;
        return 0;
    }

    in->kind = RS_IN_PCAP;
    in->format = pcapng ? "pcapng" : ns ? "pcap-ns" : "pcap";
    /* Kuznetzov's patched format has 8 more bytes in each record header. */
    in->rec_hdr = (m[0] == 0xa1 && m[1] == 0xb2 && m[2] == 0xcd && m[3] == 0x34) ||
                          (m[3] == 0xa1 && m[2] == 0xb2 && m[1] == 0xcd && m[0] == 0x34)
                      ? 24
                      : 16;
    /* Classic pcap in a regular file: the fast path (mmap.c), unless
     * it declines this variant of the format. stdin redirected from a file
     * is read as a stream instead (below), which moves its offset as a
     * reader of stdin expects (pread would not). */
    if (!pcapng && start >= 0 && !in->is_stdin && !(opts && opts->pcap_via_libpcap) &&
        rs_mm_open(&in->mm, fd, (uint64_t)start, opts ? opts->pcap_mmap : 0) == 0) {
        in->mapped = 1;
        in->seekable = 1;
        in->ts_scale = 1;
        in->linktype = in->mm.linktype;
        in->offset = rs_mm_offset(&in->mm);
        fclose(fp); /* the reader has its own descriptor or mapping */
        return 0;
    }
    /* A pipe (or any stream that cannot seek), or stdin: the fast path
     * too, reading as the data comes (stream.c), unless it declines this
     * variant. */
    const uint8_t *head = m;
    size_t nhead = 4;
    int piped = fd >= 0 && fstat(fd, &st) == 0 && !S_ISREG(st.st_mode);
    int streamed = !pcapng && (piped || in->is_stdin) && !(opts && opts->pcap_via_libpcap);
    if (streamed) {
        if (rs_mm_open_stream(&in->mm, fp, m, &head, &nhead) == 0) {
            in->mapped = 1;
            in->ts_scale = 1;
            in->linktype = in->mm.linktype;
            in->offset = rs_mm_offset(&in->mm);
            if (!in->is_stdin)
                fclose(fp); /* the reader has its own descriptor */
            return 0;
        }
    }
    /* libpcap: rewind if we can, else replay what was read in front of the pipe. */
    FILE *lf = fp;
    if (!streamed && start >= 0 && fseek(fp, start, SEEK_SET) == 0) {
        in->seekable = 1;
    } else {
        clearerr(fp);
        lf = rs_replay_open(fp, head, nhead);
        if (streamed)
            rs_mm_close(&in->mm); /* what it read (head) is in the replay now */
        if (!lf) {
            rc = rs_error_set(err, RS_ERR_NOMEM, "%s: out of memory", in->name);
            goto fail;
        }
        in->offset = nhead; /* estimated from here on */
    }
    char eb[PCAP_ERRBUF_SIZE];
    eb[0] = '\0';
    in->p = pcap_fopen_offline_with_tstamp_precision(lf, PCAP_TSTAMP_PRECISION_NANO, eb);
    if (!in->p) {
        rc = rs_error_set(err, RS_ERR_INPUT, "%s: not a readable %s file: %s", in->name,
                          pcapng ? "pcapng" : "pcap", eb);
        if (lf != fp)
            fclose(lf); /* closes fp too, unless stdin */
        else if (!in->is_stdin)
            fclose(fp);
        return rc;
    }
    if (lf != fp)
        in->offset = 24;
    in->ts_scale = pcap_get_tstamp_precision(in->p) == PCAP_TSTAMP_PRECISION_NANO ? 1 : 1000;
    in->linktype = rs_dlt_to_linktype(pcap_datalink(in->p));
    return 0;
fail:
    if (!in->is_stdin)
        fclose(fp);
    return rc;
}

/* Every file's first link type must accept the filter, so typos fail before any output. */
static int
check_filter(struct rs_capture *c, const struct rs_input *in, struct rs_error *err)
{
    if (!c->filter || (in->kind == RS_IN_PCAPNG && !in->ng.have_iface))
        return 0;
    struct rs_filter *f = rs_capture_filter_for(c, in->linktype);
    if (!f || f->ok)
        return 0;
    /* A syntax error fails on Ethernet too; otherwise it is this link type that cannot. */
    struct rs_filter *eth = rs_capture_filter_for(c, 1);
    if (eth && !eth->ok)
        return rs_error_set(err, RS_ERR_USAGE, "bad filter expression '%s': %s", c->filter, f->msg);
    char lt[64];
    rs_capture_linktype_format(in->linktype, lt, sizeof lt);
    return rs_error_set(err, RS_ERR_USAGE,
                        "filter expression '%s' cannot be used on %s (link type %s): %s", c->filter,
                        in->name, lt, f->msg);
}

static struct rs_capture *
open_inputs(const char *const *paths, FILE *stream, size_t n, const struct rs_capture_opts *opts,
            struct rs_error *err)
{
    struct rs_capture *c = rs_capture_alloc(n, opts);
    if (!c) {
        if (stream && stream != stdin)
            fclose(stream);
        rs_error_set(err, RS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        struct rs_input *in = &c->in[i];
        in->path = strdup(paths[i]);
        if (!in->path) {
            if (stream && stream != stdin)
                fclose(stream);
            rs_error_set(err, RS_ERR_NOMEM, "out of memory");
            goto err;
        }
        int is_stdin = !stream && strcmp(paths[i], "-") == 0;
        in->name = is_stdin ? "stdin" : in->path;
        FILE *fp = stream ? stream : is_stdin ? stdin : fopen(paths[i], "rb");
        if (!fp) {
            rs_error_set(err, RS_ERR_INPUT, "%s: %s", in->name, strerror(errno));
            goto err;
        }
        if (input_open_fp(in, fp, opts, err) < 0)
            goto err;
        if (check_filter(c, in, err) < 0)
            goto err;
    }
    c->by_path = !stream;
    return c;
err:
    rs_capture_close(c);
    return NULL;
}

struct rs_capture *
rs_capture_open(const char *const *paths, size_t n, const struct rs_capture_opts *opts,
                struct rs_error *err)
{
    if (n == 0) {
        rs_error_set(err, RS_ERR_USAGE, "no input files");
        return NULL;
    }
    size_t dashes = 0;
    for (size_t i = 0; i < n; i++)
        dashes += strcmp(paths[i], "-") == 0;
    if (dashes > 1) {
        rs_error_set(err, RS_ERR_USAGE, "stdin ('-') can be read only once");
        return NULL;
    }
    return open_inputs(paths, NULL, n, opts, err);
}

static struct rs_capture *
reopen_with(const struct rs_capture *c, const struct rs_capture_opts *opts, struct rs_error *err)
{
    if (c->live || !c->by_path || c->nin == 0) {
        rs_error_set(err, RS_ERR_USAGE, "%s cannot be read a second time",
                     c->live  ? "a live capture"
                     : c->nin ? "a stream"
                              : "an empty capture");
        return NULL;
    }
    const char **paths = calloc(c->nin, sizeof *paths);
    if (!paths) {
        rs_error_set(err, RS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < c->nin; i++) {
        if (c->in[i].is_stdin || c->in[i].unzip_stdin) {
            free(paths);
            rs_error_set(err, RS_ERR_USAGE, "stdin cannot be read a second time");
            return NULL;
        }
        paths[i] = c->in[i].path;
    }
    struct rs_capture *again = open_inputs(paths, NULL, c->nin, opts, err);
    free(paths);
    return again;
}

struct rs_capture *
rs_capture_reopen(const struct rs_capture *c, struct rs_error *err)
{
    return reopen_with(c, &c->opts, err);
}

struct rs_capture *
rs_capture_follow(struct rs_capture *c, struct rs_error *err)
{
    for (size_t i = 0; i < c->nin; i++) {
        if (c->in[i].compression) {
            /* Each follower would decompress the whole file again. */
            rs_error_set(err, RS_ERR_USAGE, "%s: a compressed capture is read once", c->in[i].name);
            return NULL;
        }
    }
    if (c->returned > 1) {
        rs_error_set(err, RS_ERR_USAGE, "a follower starts with its capture: %llu frames read",
                     (unsigned long long)c->returned);
        return NULL;
    }
    /* A follower takes the blocks of a reader in block mode: it must read
     * in blocks too, whatever its own measure of mapping would say. */
    struct rs_capture_opts o = c->opts;
    if (o.pcap_mmap == 0) {
        o.pcap_mmap = -1;
        for (size_t i = 0; i < c->nin; i++)
            if (c->in[i].mapped && (c->in[i].mm.mp.base || c->in[i].mm.mp.old))
                o.pcap_mmap = 0; /* it maps: the follower reads alone, as it measures */
    }
    struct rs_capture *f = reopen_with(c, &o, err);
    if (!f)
        return NULL;
    for (size_t i = 0; i < c->nin; i++)
        if (c->in[i].mapped && f->in[i].mapped)
            (void)rs_mm_follow(&f->in[i].mm, &c->in[i].mm); /* else it reads alone */
    return f;
}

/* The mapping of a capture of one mapped file, else NULL. */
static struct rs_mapping *
held_mapping(const struct rs_capture *c)
{
    if (!c || c->live || c->nin != 1)
        return NULL;
    struct rs_input *in = &c->in[0];
    if (in->mapped && in->mm.mp.base)
        return &in->mm.mp;
    if (in->kind == RS_IN_PCAPNG && in->ng.fp && in->ng.mp.base)
        return &in->ng.mp;
    return NULL;
}

int
rs_capture_hold_mapped(struct rs_capture *c, uint64_t keep, const uint8_t **base, uint64_t *size)
{
    struct rs_mapping *mp = held_mapping(c);
    if (!mp)
        return 0;
    mp->keep = keep > RS_MAP_KEEP ? keep : RS_MAP_KEEP;
    c->in[0].hold = 1;
    *base = mp->base;
    *size = mp->size;
    return 1;
}

void
rs_capture_hold_floor(struct rs_capture *c, uint64_t off)
{
    struct rs_mapping *mp = held_mapping(c);
    if (mp)
        mp->floor = off;
}

uint64_t
rs_capture_mapped_pos(const struct rs_capture *c)
{
    if (!held_mapping(c))
        return UINT64_MAX;
    const struct rs_input *in = &c->in[0];
    return in->mapped ? (uint64_t)in->mm.lo : (uint64_t)in->ng.lo; /* the window is the file */
}

void
rs_capture_unhold(struct rs_capture *c)
{
    for (size_t i = 0; c && i < c->nin; i++) {
        struct rs_input *in = &c->in[i];
        if (in->mapped && in->mm.mp.base) {
            in->mm.mp.keep = RS_MAP_KEEP;
            in->mm.mp.floor = UINT64_MAX;
        }
        if (in->kind == RS_IN_PCAPNG && in->ng.mp.base) {
            in->ng.mp.keep = RS_MAP_KEEP;
            in->ng.mp.floor = UINT64_MAX;
        }
        in->hold = 0;
        rs_mapping_close(&in->parked);
    }
}

int
rs_capture_still_mapped(const struct rs_capture *c)
{
    return held_mapping(c) != NULL;
}

int
rs_capture_shares_blocks(const struct rs_capture *f)
{
    if (!f || f->nin == 0)
        return 0;
    for (size_t i = 0; i < f->nin; i++)
        if (!f->in[i].mapped || !f->in[i].mm.follows)
            return 0;
    return 1;
}

struct rs_capture *
rs_capture_open_stream(FILE *fp, const char *name, const struct rs_capture_opts *opts,
                       struct rs_error *err)
{
    const char *paths[1] = {name ? name : "stream"};
    return open_inputs(paths, fp, 1, opts, err);
}

/* Reads the next packet of `in` that passes the filter into in->cur: 1, or 0 at its end. */
static int
input_read(struct rs_capture *c, struct rs_input *in)
{
    while (!in->done) {
        struct rs_packet *pkt = &in->cur;
        if (in->mapped) {
            int st = rs_mm_next(&in->mm, pkt);
            if (st < 0)
                rs_capture_damage_input(c, in, in->mm.err);
            if (st <= 0)
                break;
        } else if (in->kind == RS_IN_PCAPNG) {
            int st = rs_ng_next(&in->ng, pkt);
            if (st < 0)
                rs_capture_damage_input(c, in, in->ng.err);
            if (st <= 0)
                break;
        } else {
            struct pcap_pkthdr *h;
            const u_char *d;
            int st = pcap_next_ex(in->p, &h, &d);
            if (st != 1) {
                /* PCAP_ERROR_BREAK is the clean end of a savefile. */
                if (st != PCAP_ERROR_BREAK)
                    rs_capture_damage_input(c, in, pcap_geterr(in->p));
                break;
            }
            pkt->ts = rs_pcap_ts(&h->ts, in->ts_scale);
            pkt->caplen = h->caplen;
            pkt->len = h->len;
            pkt->linktype = in->linktype;
            pkt->data = d;
            if (!in->seekable)
                in->offset += in->rec_hdr + (uint64_t)h->caplen;
        }
        pkt->number = ++in->records;
        if (!c->filter || rs_capture_filter_pass(c, pkt)) {
            in->packets++;
            return 1;
        }
    }
    in->done = 1;
    rs_input_release(in);
    if (in->unzip_err[0]) /* the compressed data was corrupt or cut */
        rs_capture_damage_input(c, in, in->unzip_err);
    return 0;
}

static int
heap_less(const struct rs_capture *c, size_t a, size_t b)
{
    rs_time_ns ta = c->in[a].cur.ts, tb = c->in[b].cur.ts;
    return ta < tb || (ta == tb && a < b);
}

static void
sift_down(struct rs_capture *c, size_t i)
{
    size_t n = c->nheap;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && heap_less(c, c->heap[l], c->heap[m]))
            m = l;
        if (r < n && heap_less(c, c->heap[r], c->heap[m]))
            m = r;
        if (m == i)
            return;
        size_t t = c->heap[i];
        c->heap[i] = c->heap[m];
        c->heap[m] = t;
        i = m;
    }
}

size_t
rs_capture_next_batch(struct rs_capture *c, struct rs_packet *pkts, size_t max, int may_read)
{
    if (max == 0 || c->stop)
        return 0;
    /* One classic pcap on the fast path: the records whole in its block,
     * as rs_capture_next_offline's fast path takes them one by one (the
     * filter, if any, applied to each); one pcapng: the packet blocks whole
     * in its window. */
    if (!c->live && c->nheap == 1 && c->have_last) {
        struct rs_input *in = &c->in[c->heap[0]];
        if (in->mapped || in->kind == RS_IN_PCAPNG) {
            /* A mapping drops nothing the caller still holds: what it took
             * since its last call that may read (it gives up the rest). */
            struct rs_mapping *mp = in->mapped ? &in->mm.mp : &in->ng.mp;
            if (mp->base && may_read)
                mp->held = in->mapped ? in->mm.lo : in->ng.lo;
            size_t n = 0;
            while (n < max) {
                size_t got = in->mapped ? rs_mm_next_batch(&in->mm, pkts + n, max - n)
                                        : rs_ng_next_batch(&in->ng, pkts + n, max - n);
                if (got == 0)
                    break;
                size_t kept = n;
                for (size_t i = n; i < n + got; i++) {
                    pkts[i].number = ++in->records;
                    if (!c->filter)
                        continue;
                    if (rs_capture_filter_pass(c, &pkts[i]))
                        pkts[kept++] = pkts[i];
                }
                if (!c->filter) {
                    n += got;
                    break;
                }
                n = kept; /* more after the ones the filter dropped */
            }
            in->packets += n;
            c->returned += n;
            if (n)
                return n;
        }
    }
    if (!may_read)
        return 0;
    return rs_capture_next(c, pkts) == RS_CAPTURE_PACKET;
}

void
rs_capture_chase(struct rs_capture *c)
{
    if (c->nheap == 1 && c->have_last) {
        struct rs_input *in = &c->in[c->heap[0]];
        if (in->mapped)
            rs_mm_chase(&in->mm);
        else if (in->kind == RS_IN_PCAPNG)
            rs_ng_chase(&in->ng);
    }
}

int
rs_capture_next_offline(struct rs_capture *c, struct rs_packet *pkt)
{
    if (c->stop)
        return RS_CAPTURE_END;
    if (c->nheap == 1 && c->have_last) { /* the caller gives up what it took */
        struct rs_input *in = &c->in[c->heap[0]];
        in->mm.mp.held = in->ng.mp.held = UINT64_MAX;
    }
    /* One classic pcap on the fast path, no filter: the next record
     * straight from the block into *pkt, which is where input_read would
     * have left it (in->cur matters only to the merge of several inputs). */
    if (c->nheap == 1 && c->have_last && !c->filter) {
        struct rs_input *in = &c->in[c->heap[0]];
        if (in->mapped && rs_mm_next_whole(&in->mm, pkt)) {
            pkt->number = ++in->records;
            in->packets++;
            return RS_CAPTURE_PACKET;
        }
    }
    if (!c->started) {
        c->started = 1;
        for (size_t i = 0; i < c->nin; i++)
            if (input_read(c, &c->in[i]))
                c->heap[c->nheap++] = i;
        for (size_t i = c->nheap / 2; i-- > 0;)
            sift_down(c, i);
    } else if (c->have_last && c->nheap == 1) {
        /* One input left: no merge. */
        if (!input_read(c, &c->in[c->heap[0]]))
            c->nheap = 0;
    } else if (c->have_last && c->nheap > 0) {
        /* The last packet's input is still on top: refill it, or drop it when it is done. */
        if (!input_read(c, &c->in[c->heap[0]]))
            c->heap[0] = c->heap[--c->nheap];
        sift_down(c, 0);
    }
    if (c->nheap == 0)
        return RS_CAPTURE_END;
    c->last = c->heap[0];
    c->have_last = 1;
    *pkt = c->in[c->last].cur;
    return RS_CAPTURE_PACKET;
}
