/*
 * live.c - capturing from an interface (rstscope live, rstscope lab).
 *
 * pcap_create + pcap_activate rather than pcap_open_live, to get immediate
 * mode (each packet is delivered at once, so a session's record is not held
 * back by buffering) and to tell a permission problem (RS_ERR_PERM, with the
 * fix spelled out) from the other failures.
 *
 * The read timeout (100 ms) lets the caller run its wall-clock timers while
 * the interface is idle: that is RS_CAPTURE_TIMEOUT. libpcap's own timeout
 * cannot provide it: on Linux (TPACKET_V3) the kernel only wakes the reader
 * when a buffer block holds packets, so pcap_next_ex on an idle interface
 * blocks forever. So the handle is non-blocking and we poll() its
 * selectable descriptor with the timeout ourselves. A signal interrupts the
 * poll, so rs_capture_stop from a handler takes effect at once.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture_int.h"

#define DEFAULT_TIMEOUT_MS 100

static int
activate_error(pcap_t *p, int rc, const char *iface, struct rs_error *err)
{
    const char *msg = pcap_geterr(p);
    switch (rc) {
    case PCAP_ERROR_PERM_DENIED:
    case PCAP_ERROR_PROMISC_PERM_DENIED:
        return rs_error_set(err, RS_ERR_PERM,
                            "%s: no permission to capture (%s); run as root, or grant the "
                            "capability once: sudo setcap cap_net_raw,cap_net_admin+eip "
                            "$(command -v rstscope)",
                            iface, msg[0] ? msg : pcap_statustostr(rc));
    case PCAP_ERROR_NO_SUCH_DEVICE:
        return rs_error_set(err, RS_ERR_INPUT, "%s: no such interface (%s)", iface,
                            msg[0] ? msg : pcap_statustostr(rc));
    case PCAP_ERROR_IFACE_NOT_UP:
        return rs_error_set(err, RS_ERR_INPUT, "%s: interface is down", iface);
    default:
        return rs_error_set(err, RS_ERR_INPUT, "%s: cannot capture: %s%s%s", iface,
                            pcap_statustostr(rc), msg[0] ? ": " : "", msg);
    }
}

static int
set_live_filter(struct rs_capture *c, pcap_t *p, const char *iface, struct rs_error *err)
{
    bpf_u_int32 net = 0, mask = PCAP_NETMASK_UNKNOWN;
    char eb[PCAP_ERRBUF_SIZE];
    /* The netmask only matters for "ip broadcast"; an interface without IPv4 has none. */
    if (pcap_lookupnet(iface, &net, &mask, eb) != 0)
        mask = PCAP_NETMASK_UNKNOWN;
    struct bpf_program prog;
    if (pcap_compile(p, &prog, c->filter, 1, mask) != 0)
        return rs_error_set(err, RS_ERR_USAGE, "bad filter expression '%s': %s", c->filter,
                            pcap_geterr(p));
    int rc = pcap_setfilter(p, &prog);
    pcap_freecode(&prog);
    if (rc != 0)
        return rs_error_set(err, RS_ERR_INPUT, "%s: cannot set filter '%s': %s", iface, c->filter,
                            pcap_geterr(p));
    return 0;
}

struct rs_capture *
rs_capture_open_live(const char *iface, const struct rs_capture_opts *opts, struct rs_error *err)
{
    struct rs_capture *c = rs_capture_alloc(1, opts);
    if (!c || !(c->in[0].path = strdup(iface))) {
        rs_capture_close(c);
        rs_error_set(err, RS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    c->live = 1;
    struct rs_input *in = &c->in[0];
    in->name = in->path;
    in->kind = RS_IN_LIVE;
    in->format = "live";
    char eb[PCAP_ERRBUF_SIZE];
    eb[0] = '\0';
    in->p = pcap_create(iface, eb);
    if (!in->p) {
        rs_error_set(err, RS_ERR_INPUT, "%s: %s", iface, eb);
        goto err;
    }
    int snaplen = opts && opts->snaplen > 0 ? opts->snaplen : RS_CAPTURE_SNAPLEN;
    int timeout = opts && opts->timeout_ms > 0 ? opts->timeout_ms : DEFAULT_TIMEOUT_MS;
    pcap_set_snaplen(in->p, snaplen);
    pcap_set_promisc(in->p, opts && opts->promisc);
    pcap_set_timeout(in->p, timeout);
    pcap_set_immediate_mode(in->p, 1);
    /* In immediate mode the kernel ring is sized from the buffer size, not the
     * snaplen: the default (2 MiB) holds only a handful of 256 KiB slots and
     * bursts on loopback overflow it. 32 MiB rides out a burst of ~100 full
     * frames; pcap_stats reports any drop that still happens. */
    pcap_set_buffer_size(in->p, 32 << 20);
    /* Not every platform has ns stamps; then they stay us and are scaled. */
    pcap_set_tstamp_precision(in->p, PCAP_TSTAMP_PRECISION_NANO);
    int rc = pcap_activate(in->p);
    if (rc < 0) {
        activate_error(in->p, rc, iface, err);
        goto err;
    }
    if (rc > 0)
        rs_capture_note(c, "%s: warning: %s: %s", iface, pcap_statustostr(rc), pcap_geterr(in->p));
    in->ts_scale = pcap_get_tstamp_precision(in->p) == PCAP_TSTAMP_PRECISION_NANO ? 1 : 1000;
    in->linktype = rs_dlt_to_linktype(pcap_datalink(in->p));
    if (c->filter && set_live_filter(c, in->p, iface, err) < 0)
        goto err;
    c->live_timeout_ms = timeout;
    c->live_fd = pcap_get_selectable_fd(in->p);
    /* Without a pollable descriptor, fall back to libpcap's blocking reads. */
    if (c->live_fd >= 0 && pcap_setnonblock(in->p, 1, eb) != 0)
        c->live_fd = -1;
    return c;
err:
    rs_capture_close(c);
    return NULL;
}

int
rs_capture_next_live(struct rs_capture *c, struct rs_packet *pkt)
{
    struct rs_input *in = &c->in[0];
    if (c->stop || in->done)
        return RS_CAPTURE_END;
    struct pcap_pkthdr *h;
    const u_char *d;
    int st = pcap_next_ex(in->p, &h, &d);
    if (st == 0 && c->live_fd >= 0) {
        struct pollfd pfd = {.fd = c->live_fd, .events = POLLIN};
        int pr = poll(&pfd, 1, c->live_timeout_ms);
        if (c->stop)
            return RS_CAPTURE_END;
        if (pr < 0 && errno != EINTR) {
            rs_capture_note(c, "%s: capture failed after packet %llu: poll: %s", in->name,
                            (unsigned long long)in->records, strerror(errno));
            in->done = in->damaged = 1;
            return RS_ERR_INPUT;
        }
        if (pr <= 0)
            return RS_CAPTURE_TIMEOUT;
        st = pcap_next_ex(in->p, &h, &d);
    }
    if (st == 0)
        return RS_CAPTURE_TIMEOUT;
    if (st == PCAP_ERROR_BREAK)
        return RS_CAPTURE_END;
    if (st != 1) {
        rs_capture_note(c, "%s: capture failed after packet %llu: %s", in->name,
                        (unsigned long long)in->records, pcap_geterr(in->p));
        in->done = in->damaged = 1;
        return RS_ERR_INPUT;
    }
    in->records++;
    in->packets++;
    pkt->ts = rs_pcap_ts(&h->ts, in->ts_scale);
    pkt->caplen = h->caplen;
    pkt->len = h->len;
    pkt->linktype = in->linktype;
    pkt->number = in->records;
    pkt->data = d;
    c->have_last = 1;
    c->last = 0;
    if (c->dumper) {
        pcap_dump((u_char *)c->dumper, h, d);
        if (ferror(pcap_dump_file(c->dumper))) {
            rs_capture_note(c, "%s: write error: the dump stops after packet %llu", c->dump_path,
                            (unsigned long long)(in->records - 1));
            pcap_dump_close(c->dumper);
            c->dumper = NULL;
        }
    }
    return RS_CAPTURE_PACKET;
}

int
rs_capture_dump_to(struct rs_capture *c, const char *path, struct rs_error *err)
{
    if (!c->live)
        return rs_error_set(err, RS_ERR_USAGE, "only a live capture can be dumped to a file");
    if (c->dumper)
        return rs_error_set(err, RS_ERR_USAGE, "already dumping to %s", c->dump_path);
    free(c->dump_path);
    c->dump_path = strdup(path);
    if (!c->dump_path)
        return rs_error_set(err, RS_ERR_NOMEM, "out of memory");
    c->dumper = pcap_dump_open(c->in[0].p, path);
    if (!c->dumper)
        return rs_error_set(err, RS_ERR_OUTPUT, "%s", pcap_geterr(c->in[0].p));
    return 0;
}
