/*
 * app_quic.c - QUIC long-header packets (RFC 8999 invariants, RFC 9000
 * §17.2; QUIC v2 RFC 9369; IETF drafts; Google QUIC Q046+ which uses the same
 * invariant header, and the older gQUIC public header with a version).
 *
 * A long header has the form bit set, a 32-bit version, and destination /
 * source connection IDs of at most 20 bytes each (255 for unknown versions,
 * but we only accept versions we know). Version 0 is Version Negotiation
 * (§17.2.1). A client's Initial datagram is at least 1200 bytes (§14.1).
 *
 * The ClientHello inside an Initial is encrypted with keys derived from the
 * version's public salt (RFC 9001 §5.2); decrypting it needs HKDF-SHA256 and
 * AES-128-GCM, which rstscope does not link (one runtime dependency:
 * libpcap), so the SNI of IETF QUIC stays empty. gQUIC before Q050 sends its
 * CHLO in the clear: its SNI tag is read.
 *
 * Zeek hands the decrypted CRYPTO stream to its SSL analyzer and lists the
 * session as "quic,ssl"; a client Initial of a TLS-based version carries a
 * ClientHello by definition (RFC 9001 §4.3), so the same is reported here.
 */
#include <string.h>

#include "appid/appid_int.h"

enum qv { QV_NONE = 0, QV_V1, QV_V2, QV_DRAFT, QV_GQUIC, QV_MVFST, QV_NEG };

static enum qv
version_kind(uint32_t v)
{
    if (v == 0)
        return QV_NEG;
    if (v == 0x00000001u)
        return QV_V1;
    if (v == 0x6b3343cfu)
        return QV_V2; /* RFC 9369 §3.1 */
    if ((v & 0xffffff00u) == 0xff000000u && (v & 0xffu) >= 18 && (v & 0xffu) <= 34)
        return QV_DRAFT;
    if ((v & 0xffffff00u) == 0xfaceb000u)
        return QV_MVFST; /* Facebook mvfst drafts */
    /* Google QUIC "Q0dd" / TLS-based "T0dd" */
    uint8_t b0 = (uint8_t)(v >> 24), b1 = (uint8_t)(v >> 16), b2 = (uint8_t)(v >> 8),
            b3 = (uint8_t)v;
    if ((b0 == 'Q' || b0 == 'T') && b1 == '0' && b2 >= '0' && b2 <= '9' && b3 >= '0' && b3 <= '9')
        return QV_GQUIC;
    return QV_NONE;
}

/* Clear-text gQUIC CHLO (Q043 and earlier, Q046): find the "CHLO" message
 * and its SNI tag (QUIC Crypto: tag count, then (tag, end offset) pairs). */
static void
gquic_sni(const uint8_t *p, size_t n, struct rs_appid_out *out)
{
    for (size_t i = 0; i + 8 <= n; i++) {
        if (memcmp(p + i, "CHLO", 4) != 0)
            continue;
        struct rs_cur c = rs_cur_make(p + i + 4, n - i - 4);
        uint16_t tags = rs_cur_le16(&c);
        rs_cur_skip(&c, 2);
        if (tags == 0 || tags > 64 || rs_cur_left(&c) < (size_t)tags * 8)
            return;
        size_t values = c.off + (size_t)tags * 8;
        uint32_t prev = 0;
        for (unsigned t = 0; t < tags; t++) {
            uint8_t tag[4];
            rs_cur_copy(&c, tag, 4);
            uint32_t end = rs_cur_le32(&c);
            if (c.err || end < prev)
                return;
            if (memcmp(tag, "SNI\0", 4) == 0) {
                struct rs_cur v = rs_cur_make(c.base, c.len);
                rs_cur_skip(&v, values + prev);
                if (v.err || end - prev > rs_cur_left(&v))
                    return;
                if (out->info->name_kind)
                    return;
                rs_appid_copy_text(&v, end - prev, out->info->name, sizeof out->info->name);
                if (out->info->name[0]) {
                    out->info->name_kind = RS_APPID_NAME_SNI;
                    out->found_name = 1;
                }
                return;
            }
            prev = end;
        }
        return;
    }
}

/* Legacy gQUIC public header (flags, 8-byte CID, version "Q0dd"). */
static enum rs_appid_verdict
gquic_public(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    const uint8_t *p = in->data;
    if (in->len < 13 || !(p[0] & 0x01) || !(p[0] & 0x08) || (p[0] & 0x80))
        return RS_APPID_NO; /* needs the version flag and a full connection ID */
    uint32_t v = (uint32_t)p[9] << 24 | (uint32_t)p[10] << 16 | (uint32_t)p[11] << 8 | p[12];
    if (version_kind(v) != QV_GQUIC || p[9] != 'Q')
        return RS_APPID_NO;
    if (in->side == 0)
        gquic_sni(p, in->len, out);
    out->info->quic_version = v;
    out->found_name = 1;
    return RS_APPID_MATCH;
}

enum rs_appid_verdict
rs_app_quic(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    if (in->l4 != 17 || in->len < 7)
        return RS_APPID_NO;
    struct rs_cur c = rs_cur_make(in->data, in->len);
    uint8_t first = rs_cur_u8(&c);
    if (!(first & 0x80))
        return gquic_public(in, out);
    uint32_t v = rs_cur_be32(&c);
    enum qv kind = version_kind(v);
    if (kind == QV_NONE)
        return RS_APPID_NO;
    uint8_t dcil = rs_cur_u8(&c);
    if (dcil > 20)
        return RS_APPID_NO;
    rs_cur_skip(&c, dcil);
    uint8_t scil = rs_cur_u8(&c);
    if (scil > 20 || c.err)
        return RS_APPID_NO;
    rs_cur_skip(&c, scil);
    if (c.err)
        return RS_APPID_NO;
    if (kind == QV_NEG) {
        /* Version Negotiation: a list of 32-bit versions follows. */
        size_t left = rs_cur_left(&c);
        return left >= 4 && left % 4 == 0 && in->side == 1 ? RS_APPID_MATCH : RS_APPID_NO;
    }
    if (kind != QV_GQUIC && !(first & 0x40))
        return RS_APPID_NO; /* fixed bit (RFC 9000 §17.2) */
    unsigned type = (first >> 4) & 3u;
    int initial = kind == QV_V2 ? type == 1 : type == 0; /* RFC 9369 §3.2 swaps types */
    if (in->side == 0 && initial && kind != QV_GQUIC && in->len < 1200)
        return RS_APPID_NO; /* RFC 9000 §14.1 */
    out->info->quic_version = v;
    out->found_name = 1;
    if (kind == QV_GQUIC) {
        if (in->side == 0)
            gquic_sni(in->data, in->len, out);
    } else if (in->side == 0 && initial) {
        out->also |= RS_APPID_ALSO_SSL;
    }
    return RS_APPID_MATCH;
}
