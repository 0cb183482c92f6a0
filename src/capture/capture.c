/*
 * capture.c - the parts of a capture handle shared by offline and live input:
 * allocation, damage notes, the per-link-type BPF cache, accessors, close,
 * and the LINKTYPE_* <-> DLT_* mapping.
 *
 * Why a filter cache per link type: a BPF program is compiled for one link
 * type, and a pcapng file can have interfaces of several. Programs are applied
 * with pcap_offline_filter rather than pcap_setfilter so that rejected frames
 * still count toward pkt->number.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture_int.h"

struct rs_capture *
rs_capture_alloc(size_t n, const struct rs_capture_opts *opts)
{
    struct rs_capture *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->in = calloc(n, sizeof *c->in);
    c->heap = calloc(n, sizeof *c->heap);
    c->notes = calloc(RS_CAPTURE_MAX_NOTES, sizeof *c->notes);
    if (!c->in || !c->heap || !c->notes)
        goto err;
    c->nin = n;
    if (opts && opts->filter && opts->filter[0]) {
        c->filter = strdup(opts->filter);
        if (!c->filter)
            goto err;
    }
    if (opts)
        c->opts = *opts;
    c->opts.filter = c->filter;
    return c;
err:
    free(c->in);
    free(c->heap);
    free(c->notes);
    free(c);
    return NULL;
}

void
rs_capture_note(struct rs_capture *c, const char *fmt, ...)
{
    if (c->nnotes >= RS_CAPTURE_MAX_NOTES)
        return;
    char line[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* The last slot says that more were dropped, so the cap is never silent. */
    if (c->nnotes == RS_CAPTURE_MAX_NOTES - 1)
        snprintf(line, sizeof line, "(more notes suppressed after %d)", RS_CAPTURE_MAX_NOTES - 1);
    char *s = strdup(line);
    if (s)
        c->notes[c->nnotes++] = s;
}

void
rs_capture_damage_input(struct rs_capture *c, struct rs_input *in, const char *why)
{
    /* libpcap says "truncated dump file; ..." for short reads; so does our pcapng reader. */
    const char *what = strstr(why, "truncated") ? "truncated" : "damaged";
    if (in->records == 0)
        rs_capture_note(c, "%s: %s before the first packet: %s", in->name, what, why);
    else
        rs_capture_note(c, "%s: %s after packet %llu: %s", in->name, what,
                        (unsigned long long)in->records, why);
    in->damaged = 1;
}

struct rs_filter *
rs_capture_filter_for(struct rs_capture *c, uint32_t linktype)
{
    for (size_t i = 0; i < c->nfilters; i++)
        if (c->filters[i].linktype == linktype)
            return &c->filters[i];
    if (c->nfilters == RS_CAPTURE_MAX_FILTERS)
        return NULL;
    struct rs_filter *f = &c->filters[c->nfilters++];
    memset(f, 0, sizeof *f);
    f->linktype = linktype;
    pcap_t *dead = pcap_open_dead_with_tstamp_precision(
        rs_linktype_to_dlt(linktype), RS_CAPTURE_SNAPLEN, PCAP_TSTAMP_PRECISION_NANO);
    if (!dead) {
        snprintf(f->msg, sizeof f->msg, "out of memory");
        return f;
    }
    if (pcap_compile(dead, &f->prog, c->filter, 1, PCAP_NETMASK_UNKNOWN) == 0)
        f->ok = 1;
    else
        snprintf(f->msg, sizeof f->msg, "%s", pcap_geterr(dead));
    pcap_close(dead);
    return f;
}

int
rs_capture_filter_pass(struct rs_capture *c, const struct rs_packet *pkt)
{
    if (!c->filter)
        return 1;
    struct rs_filter *f = rs_capture_filter_for(c, pkt->linktype);
    if (!f) {
        /* More link types than any real capture has: keep the packet rather than guess. */
        return 1;
    }
    if (!f->ok) {
        if (!f->noted) {
            char lt[64];
            rs_capture_linktype_format(pkt->linktype, lt, sizeof lt);
            rs_capture_note(c,
                            "filter '%s' cannot apply to link type %s (%s): its packets are "
                            "skipped",
                            c->filter, lt, f->msg);
            f->noted = 1;
        }
        return 0;
    }
    struct pcap_pkthdr h;
    memset(&h, 0, sizeof h);
    h.caplen = pkt->caplen;
    h.len = pkt->len;
    return pcap_offline_filter(&f->prog, &h, pkt->data) != 0;
}

int
rs_capture_next(struct rs_capture *c, struct rs_packet *pkt)
{
    int st = c->live ? rs_capture_next_live(c, pkt) : rs_capture_next_offline(c, pkt);
    c->returned += st == RS_CAPTURE_PACKET;
    return st;
}

int
rs_capture_peek(const struct rs_capture *c, unsigned ahead, struct rs_packet *pkt)
{
    if (c->live || c->nin != 1 || !c->have_last || !c->in[0].mapped || ahead == 0)
        return 0;
    return rs_mm_peek(&c->in[0].mm, ahead, pkt);
}

int
rs_capture_lookahead(struct rs_capture *c, unsigned depth, struct rs_packet *pkt)
{
    if (c->live || c->nin != 1 || !c->have_last || !c->in[0].mapped)
        return 0;
    return rs_mm_lookahead(&c->in[0].mm, depth, pkt);
}

size_t
rs_capture_current_file(const struct rs_capture *c)
{
    return c->have_last ? c->last : 0;
}

size_t
rs_capture_file_count(const struct rs_capture *c)
{
    return c->nin;
}

static uint64_t
input_offset(const struct rs_input *in)
{
    if (in->done && in->size)
        return in->size;
    if (in->unzip) /* against the compressed file's size */
        return rs_unzip_consumed(in->unzip);
    if (in->mapped)
        return rs_mm_offset(&in->mm);
    if (in->kind == RS_IN_PCAPNG && in->ng.fp)
        return in->ng.offset;
    if (in->kind == RS_IN_PCAP && in->p && in->seekable) {
        long pos = ftell(pcap_file(in->p));
        if (pos >= 0)
            return (uint64_t)pos;
    }
    return in->offset;
}

int
rs_capture_file_info(const struct rs_capture *c, size_t i, struct rs_capture_file_info *out)
{
    if (i >= c->nin)
        return RS_ERR_USAGE;
    const struct rs_input *in = &c->in[i];
    memset(out, 0, sizeof *out);
    out->path = in->path;
    out->format = in->format;
    out->linktype = in->linktype;
    out->records = in->records;
    out->packets = in->packets;
    out->offset = input_offset(in);
    out->size = in->size;
    out->damaged = in->damaged;
    out->done = in->done;
    out->compression = in->compression;
    return 0;
}

void
rs_capture_progress(const struct rs_capture *c, uint64_t *done, uint64_t *total)
{
    uint64_t d = 0, t = 0;
    int unknown = 0;
    for (size_t i = 0; i < c->nin; i++) {
        const struct rs_input *in = &c->in[i];
        d += input_offset(in);
        if (in->size)
            t += in->size;
        else
            unknown = 1;
    }
    *done = d;
    *total = unknown ? 0 : t;
}

size_t
rs_capture_damage(const struct rs_capture *c, const char **msgs, size_t max)
{
    for (size_t i = 0; i < c->nnotes && i < max; i++)
        msgs[i] = c->notes[i];
    return c->nnotes;
}

void
rs_capture_stop(struct rs_capture *c)
{
    c->stop = 1;
    /* pcap_breakloop only sets a flag and, on Linux, writes to an eventfd. */
    if (c->live && c->in[0].p)
        pcap_breakloop(c->in[0].p);
}

int
rs_capture_stats(struct rs_capture *c, struct rs_capture_stats *st, struct rs_error *err)
{
    memset(st, 0, sizeof *st);
    st->returned = c->returned;
    if (!c->live) {
        for (size_t i = 0; i < c->nin; i++)
            st->received += c->in[i].records;
        return 0;
    }
    struct pcap_stat ps;
    if (!c->in[0].p || pcap_stats(c->in[0].p, &ps) != 0)
        return rs_error_set(err, RS_ERR_INPUT, "%s: cannot read capture statistics: %s",
                            c->in[0].name, c->in[0].p ? pcap_geterr(c->in[0].p) : "closed");
    st->received = ps.ps_recv;
    st->dropped = ps.ps_drop;
    st->if_dropped = ps.ps_ifdrop;
    return 0;
}

void
rs_input_release(struct rs_input *in)
{
    if (in->mapped) {
        in->offset = rs_mm_offset(&in->mm);
        if (in->hold) { /* frames handed to other threads still point into it */
            in->parked = in->mm.mp;
            in->mm.mp = (struct rs_mapping){0};
        }
        rs_mm_close(&in->mm);
        in->mapped = 0;
    }
    if (in->p) {
        if (in->seekable) {
            long pos = ftell(pcap_file(in->p));
            if (pos >= 0)
                in->offset = (uint64_t)pos;
        }
        pcap_close(in->p); /* also closes the stream, unless it is stdin */
        in->p = NULL;
    }
    if (in->kind == RS_IN_PCAPNG && in->ng.fp) {
        in->offset = in->ng.offset;
        if (!in->is_stdin)
            fclose(in->ng.fp);
        if (in->hold) { /* as above; the window was the mapping, if still read */
            if (in->ng.mp.base) {
                in->ng.win = NULL;
                in->ng.cap = 0;
            }
            in->parked = in->ng.mp;
            in->ng.mp = (struct rs_mapping){0};
        }
        rs_ng_close(&in->ng);
    }
    if (in->unzip) {
        /* The pipe's read end is closed now: the thread ends (EPIPE if it
         * had more to write). */
        in->offset = rs_unzip_consumed(in->unzip);
        (void)rs_unzip_finish(in->unzip, in->unzip_err, sizeof in->unzip_err);
        in->unzip = NULL;
    }
}

void
rs_capture_close(struct rs_capture *c)
{
    if (!c)
        return;
    if (c->dumper) {
        pcap_dump_flush(c->dumper);
        pcap_dump_close(c->dumper);
    }
    free(c->dump_path);
    for (size_t i = 0; i < c->nin; i++) {
        rs_input_release(&c->in[i]);
        rs_mapping_close(&c->in[i].parked);
        free(c->in[i].path);
    }
    for (size_t i = 0; i < c->nfilters; i++)
        if (c->filters[i].ok)
            pcap_freecode(&c->filters[i].prog);
    for (size_t i = 0; i < c->nnotes; i++)
        free(c->notes[i]);
    free(c->notes);
    free(c->filter);
    free(c->heap);
    free(c->in);
    free(c);
}

/*
 * Files carry LINKTYPE_* values; libpcap's API speaks DLT_* values, which
 * differ for a few types on some platforms (DLT_RAW is 12 on Linux, 14 on
 * OpenBSD; LINKTYPE_RAW is 101 everywhere). libpcap keeps its own table
 * private (pcap-common.c), so this is the same list for the types whose
 * DLT_ value is not the LINKTYPE_ value.
 */
static const struct {
    int dlt;
    uint32_t linktype;
} dlt_map[] = {
    {DLT_ATM_RFC1483, 100}, {DLT_RAW, 101},      {DLT_SLIP_BSDOS, 102}, {DLT_PPP_BSDOS, 103},
    {DLT_C_HDLC, 104},      {DLT_ATM_CLIP, 106}, {DLT_PPP_SERIAL, 50},  {DLT_PPP_ETHER, 51},
    {DLT_PFSYNC, 246},      {DLT_PKTAP, 258},
};

uint32_t
rs_dlt_to_linktype(int dlt)
{
    for (size_t i = 0; i < sizeof dlt_map / sizeof dlt_map[0]; i++)
        if (dlt_map[i].dlt == dlt)
            return dlt_map[i].linktype;
    return dlt < 0 ? 0 : (uint32_t)dlt;
}

int
rs_linktype_to_dlt(uint32_t linktype)
{
    for (size_t i = 0; i < sizeof dlt_map / sizeof dlt_map[0]; i++)
        if (dlt_map[i].linktype == linktype)
            return dlt_map[i].dlt;
    return linktype > 0x7fffffffu ? -1 : (int)linktype;
}

const char *
rs_capture_linktype_name(uint32_t linktype)
{
    return pcap_datalink_val_to_name(rs_linktype_to_dlt(linktype));
}

size_t
rs_capture_linktype_format(uint32_t linktype, char *buf, size_t len)
{
    if (len == 0)
        return 0;
    int dlt = rs_linktype_to_dlt(linktype);
    const char *name = pcap_datalink_val_to_name(dlt);
    const char *desc = pcap_datalink_val_to_description(dlt);
    int n;
    if (name)
        n = snprintf(buf, len, "%s (%s)", name, desc ? desc : "?");
    else
        n = snprintf(buf, len, "%u (unknown)", linktype);
    if (n < 0) {
        buf[0] = '\0';
        return 0;
    }
    return (size_t)n < len ? (size_t)n : len - 1;
}
