/*
 * decoder.c - the public decode API: configuration, the per-frame loop,
 * counters and status names.
 *
 * The loop: link header -> IP layer -> is its payload a tunnel? -> inner
 * link header (for Ethernet/802.11 tunnels) -> IP layer -> ... Each IP layer
 * is appended to out->layer[] only once it decoded, so on any failure
 * n_layers counts exactly the usable outer layers. The tunnel depth is
 * capped by cfg.max_tunnel_depth and by RS_MAX_LAYERS.
 *
 * Nothing here clears struct rs_decoded as a whole: every field of a
 * returned layer is written by ip.c / l4.c, which keeps the common
 * Ethernet/IPv4/TCP path to a few dozen stores.
 */
#include <stdlib.h>

#include "decode/decode_int.h"

static const char *const status_names[RS_DEC__COUNT] = {
    [RS_DEC_OK] = "ok",
    [RS_DEC_NOT_IP] = "not_ip",
    [RS_DEC_UNKNOWN_LINKTYPE] = "unknown_linktype",
    [RS_DEC_TRUNC_LINK] = "trunc_link",
    [RS_DEC_BAD_LINK] = "bad_link",
    [RS_DEC_TRUNC_IP] = "trunc_ip",
    [RS_DEC_BAD_IP_VERSION] = "bad_ip_version",
    [RS_DEC_BAD_IP_HDRLEN] = "bad_ip_hdrlen",
    [RS_DEC_BAD_IP_LEN] = "bad_ip_len",
    [RS_DEC_BAD_IP_CHECKSUM] = "bad_ip_checksum",
    [RS_DEC_IPV6_EXT] = "ipv6_ext",
    [RS_DEC_FRAG_HELD] = "frag_held",
    [RS_DEC_FRAG_DROPPED] = "frag_dropped",
    [RS_DEC_TRUNC_L4] = "trunc_l4",
    [RS_DEC_BAD_TCP_HDRLEN] = "bad_tcp_hdrlen",
    [RS_DEC_BAD_L4_CHECKSUM] = "bad_l4_checksum",
    [RS_DEC_TUNNEL_DEPTH] = "tunnel_depth",
    [RS_DEC_BAD_TUNNEL] = "bad_tunnel",
};

const char *
rs_decode_status_name(enum rs_decode_status st)
{
    if ((unsigned)st >= RS_DEC__COUNT)
        return "unknown";
    return status_names[st];
}

void
rs_decode_config_default(struct rs_decode_config *cfg)
{
    cfg->verify_checksums = 0;
    cfg->max_tunnel_depth = 4; /* Zeek's Tunnel::max_depth (base/frameworks/tunnels) */
    cfg->frag_max_datagrams = 256;
    cfg->frag_max_bytes = (size_t)8 << 20;
    cfg->frag_timeout = 30 * RS_NS_PER_SEC;
    cfg->tcp_options_syn_only = 0;
}

struct rs_decoder *
rs_decoder_new(const struct rs_decode_config *cfg)
{
    struct rs_decoder *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    if (cfg)
        d->cfg = *cfg;
    else
        rs_decode_config_default(&d->cfg);
    return d;
}

void
rs_decoder_free(struct rs_decoder *d)
{
    if (!d)
        return;
    rs_frag_free(d->frag);
    for (unsigned i = 0; i < RS_MAX_LAYERS; i++)
        free(d->reasm[i]);
    free(d);
}

const uint64_t *
rs_decoder_counters(const struct rs_decoder *d)
{
    return d->counters;
}

static inline uint16_t
be16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

/*
 * The common frame in one pass: Ethernet, at most one 802.1Q tag, an IPv4
 * header without options that is not a fragment, TCP or UDP. Every check
 * of the general path (link.c, ip.c) that could fail or branch is made
 * here up front; when one does not hold this returns 0 having decided
 * nothing, and rs_decode takes the general path from the first byte, which
 * then also counts whatever is wrong. What it fills is what the general
 * path fills for such a frame (tests/unit/test_decode.c holds every frame
 * it decodes, and the corpus, to that): 40% of the decoder's instructions
 * on the benchmark captures were the layered path's bookkeeping for
 * exactly this frame.
 */
int
rs_decode_fast(const struct rs_decoder *d, const struct rs_packet *pkt, struct rs_layer *l,
               uint16_t *vlan_out)
{
    const uint8_t *p = pkt->data;
    size_t cap = pkt->caplen;
    if (pkt->linktype != RS_LINK_ETHERNET || !p || d->cfg.verify_checksums || cap < 14 + 20)
        return 0;
    uint16_t vlan = 0;
    size_t at = 14;
    uint16_t type = be16(p + 12);
    if (type == 0x8100) { /* IEEE 802.1Q §9.6: TCI, then the type */
        if (cap < 18 + 20)
            return 0;
        vlan = be16(p + 14) & 0x0fffu;
        type = be16(p + 16);
        at = 18;
    }
    const uint8_t *ip = p + at;
    size_t ipcap = cap - at;
    /* RFC 791 §3.1: version 4, IHL 5; not a fragment (§3.2: MF clear,
     * offset 0); a Total Length that holds the header (0, TCP segmentation
     * offload, is the general path's). */
    if (type != 0x0800 || ip[0] != 0x45 || (be16(ip + 6) & 0x3fffu) != 0)
        return 0;
    size_t total = be16(ip + 2);
    uint8_t proto = ip[9];
    if (total < 20 || (proto != 6 && proto != 17))
        return 0;
    l->family = 4;
    l->proto = proto;
    l->ttl = ip[8];
    l->tos = ip[1];
    l->csum = 0;
    l->reassembled = 0;
    l->ip_df = (ip[6] & 0x40u) != 0;
    l->ip_id = be16(ip + 4);
    l->ip_len = (uint32_t)total;
    l->l4_len = (uint32_t)(total - 20);
    rs_addr_from_v4(&l->src, ip + 12);
    rs_addr_from_v4(&l->dst, ip + 16);
    l->tunnel = RS_TUN_NONE;
    /* Without checksum verification the transport decoder touches nothing
     * but the layer: the decoder is only read (its configuration). */
    struct rs_dec_ctx x = {(struct rs_decoder *)d, NULL, pkt->ts, 0};
    size_t present = total < ipcap ? total : ipcap;
    if (rs_dec_l4(&x, l, ip + 20, present - 20, NULL) != RS_DEC_OK)
        return 0;
    if (proto == 17) {
        /* A UDP payload may be a tunnel (tunnel.c): that is the general path's. */
        struct rs_cur c;
        enum rs_inner k;
        enum rs_tunnel_type tun;
        if (rs_dec_tunnel(l, &c, &k, &tun) != RS_DEC_OK || tun != RS_TUN_NONE)
            return 0;
    }
    *vlan_out = vlan;
    return 1;
}

enum rs_decode_status
rs_decode(struct rs_decoder *d, const struct rs_packet *pkt, struct rs_decoded *out)
{
    uint16_t vlan;
    if (rs_decode_fast(d, pkt, &out->layer[0], &vlan)) {
        out->n_layers = 1;
        out->vlan = vlan;
        out->inner_vlan = 0;
        return RS_DEC_OK;
    }
    return rs_decode_general(d, pkt, out);
}

enum rs_decode_status
rs_decode_general(struct rs_decoder *d, const struct rs_packet *pkt, struct rs_decoded *out)
{
    static const uint8_t empty[1];
    struct rs_dec_ctx x = {d, out, pkt->ts, 0};
    struct rs_cur c = rs_cur_make(pkt->data ? pkt->data : empty, pkt->data ? pkt->caplen : 0);
    unsigned max_depth = d->cfg.max_tunnel_depth;
    if (max_depth > RS_MAX_LAYERS - 1)
        max_depth = RS_MAX_LAYERS - 1;
    enum rs_inner k = RS_INNER_IP_GUESS;
    enum rs_tunnel_type tun = RS_TUN_NONE;

    out->n_layers = 0;
    out->vlan = 0;
    out->inner_vlan = 0;
    enum rs_decode_status st = rs_dec_link(&x, pkt->linktype, &c, &k);
    while (st == RS_DEC_OK) {
        if (k == RS_INNER_ETHER)
            st = rs_dec_ether(&x, &c, &k);
        else if (k == RS_INNER_WLAN)
            st = rs_dec_wlan(&x, &c, &k);
        if (st != RS_DEC_OK)
            break;
        st = rs_dec_ip(&x, &c, k, tun);
        if (st != RS_DEC_OK)
            break;
        const struct rs_layer *l = &out->layer[out->n_layers++];
        /* A carrier whose checksum fails is dropped when verifying, and
         * what it carries with it. */
        if (l->csum & RS_CSUM_L4_BAD)
            break;
        st = rs_dec_tunnel(l, &c, &k, &tun);
        if (st != RS_DEC_OK || tun == RS_TUN_NONE)
            break;
        if (x.depth >= max_depth) {
            st = RS_DEC_TUNNEL_DEPTH;
            break;
        }
        x.depth++;
    }
    if (st != RS_DEC_OK)
        d->counters[st]++;
    return st;
}
