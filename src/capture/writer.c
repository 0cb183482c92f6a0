/*
 * writer.c - writing classic pcap files through libpcap
 * (pcap_open_dead + pcap_dump_open), for lab captures, golden tests and
 * generated benchmark input.
 *
 * pcap_dump returns nothing, so a failed write is found with ferror on the
 * dump stream after each record and reported again at close; pcap_dump_close
 * returns nothing either, hence the explicit flush before it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture_int.h"

struct rs_pcap_writer {
    pcap_t *dead;
    pcap_dumper_t *d;
    int nano;
    int failed;
    char *path;
};

struct rs_pcap_writer *
rs_pcap_writer_open(const char *path, uint32_t linktype, int nanosecond, struct rs_error *err)
{
    struct rs_pcap_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->path = strdup(path))) {
        free(w);
        rs_error_set(err, RS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    w->nano = nanosecond != 0;
    w->dead = pcap_open_dead_with_tstamp_precision(rs_linktype_to_dlt(linktype), RS_CAPTURE_SNAPLEN,
                                                   w->nano ? PCAP_TSTAMP_PRECISION_NANO
                                                           : PCAP_TSTAMP_PRECISION_MICRO);
    if (!w->dead) {
        rs_error_set(err, RS_ERR_NOMEM, "out of memory");
        goto err;
    }
    w->d = pcap_dump_open(w->dead, path);
    if (!w->d) {
        const char *msg = pcap_geterr(w->dead);
        /* libpcap refuses DLT values it has no LINKTYPE for before touching the file. */
        int usage = strstr(msg, "link-layer type") != NULL;
        rs_error_set(err, usage ? RS_ERR_USAGE : RS_ERR_OUTPUT, "%s", msg);
        goto err;
    }
    return w;
err:
    if (w->dead)
        pcap_close(w->dead);
    free(w->path);
    free(w);
    return NULL;
}

int
rs_pcap_writer_write(struct rs_pcap_writer *w, const struct rs_packet *pkt)
{
    if (w->failed)
        return RS_ERR_OUTPUT;
    struct pcap_pkthdr h;
    memset(&h, 0, sizeof h);
    /* Floor division, so times before 1970 keep a fraction in [0, 1 s). */
    rs_time_ns sec = pkt->ts / RS_NS_PER_SEC, frac = pkt->ts % RS_NS_PER_SEC;
    if (frac < 0) {
        sec -= 1;
        frac += RS_NS_PER_SEC;
    }
    h.ts.tv_sec = (time_t)sec;
    h.ts.tv_usec = (suseconds_t)(w->nano ? frac : frac / 1000);
    h.caplen = pkt->caplen;
    h.len = pkt->len ? pkt->len : pkt->caplen;
    pcap_dump((u_char *)w->d, &h, pkt->data);
    if (ferror(pcap_dump_file(w->d))) {
        w->failed = errno ? errno : EIO;
        return RS_ERR_OUTPUT;
    }
    return 0;
}

int
rs_pcap_writer_close(struct rs_pcap_writer *w, struct rs_error *err)
{
    if (!w)
        return 0;
    int rc = 0;
    if (pcap_dump_flush(w->d) != 0 || ferror(pcap_dump_file(w->d))) {
        if (!w->failed)
            w->failed = errno ? errno : EIO;
    }
    if (w->failed)
        rc = rs_error_set(err, RS_ERR_OUTPUT, "%s: write failed: %s", w->path, strerror(w->failed));
    pcap_dump_close(w->d);
    pcap_close(w->dead);
    free(w->path);
    free(w);
    return rc;
}
