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
 * version's public salt and the client's Destination Connection ID (RFC 9001
 * §5.2), so anyone can read it: the client's first Initial datagram is
 * decrypted (crypto_min.c: HKDF-SHA256, AES-128 header protection and
 * AES-128-CTR, the tag unchecked), its CRYPTO frames reassembled by offset
 * into a bounded buffer, and the ClientHello handed to the TLS parser
 * (app_ssl.c) for the SNI and ALPN. This runs once per session, on the
 * first client Initial; only when that datagram holds part of the hello
 * (a post-quantum key share makes it longer than one packet) does the look
 * follow the client's next datagrams. gQUIC before Q050 sends its CHLO in
 * the clear: its SNI tag is read.
 *
 * Zeek hands the decrypted CRYPTO stream to its SSL analyzer and lists the
 * session as "quic,ssl"; a client Initial of a TLS-based version carries a
 * ClientHello by definition (RFC 9001 §4.3), so the same is reported here.
 */
#include <string.h>

#include "appid/appid_int.h"
#include "appid/crypto_min.h"

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

/* ---- the client Initial's ClientHello (RFC 9001 §4-5) ---- */

#define QUIC_PKT_MAX 2048    /* one Initial copied for decryption (§14.1: 1200+) */
#define QUIC_CRYPTO_MAX 4096 /* ClientHello bytes kept, by CRYPTO offset */
#define QUIC_COALESCED_MAX 4 /* packets looked at in one datagram (§12.2) */
#define QUIC_FRAMES_MAX 256  /* non-PADDING frames looked at in one packet */
#define QUIC_ACK_RANGES_MAX 64

/* CRYPTO stream bytes [0, QUIC_CRYPTO_MAX) and which of them were seen. */
struct crypto_buf {
    uint8_t data[QUIC_CRYPTO_MAX];
    uint8_t have[QUIC_CRYPTO_MAX / 8];
};

/* Variable-length integer (RFC 9000 §16): the two high bits give the length. */
static uint64_t
varint(struct rs_cur *c)
{
    uint8_t b = rs_cur_u8(c);
    unsigned extra = (1u << (b >> 6)) - 1;
    uint64_t v = b & 0x3fu;
    for (unsigned i = 0; i < extra; i++)
        v = v << 8 | rs_cur_u8(c);
    return c->err ? 0 : v;
}

static void
crypto_put(struct crypto_buf *cb, uint64_t off, const uint8_t *p, size_t n)
{
    if (off >= QUIC_CRYPTO_MAX)
        return;
    size_t o = (size_t)off, k = n < QUIC_CRYPTO_MAX - o ? n : QUIC_CRYPTO_MAX - o;
    memcpy(cb->data + o, p, k);
    for (size_t i = o; i < o + k; i++)
        cb->have[i / 8] |= (uint8_t)(1u << (i % 8));
}

/* Length of the CRYPTO stream's gap-free prefix. */
static size_t
crypto_prefix(const struct crypto_buf *cb)
{
    size_t i = 0;
    while (i < QUIC_CRYPTO_MAX && cb->have[i / 8] == 0xff)
        i += 8;
    while (i < QUIC_CRYPTO_MAX && (((unsigned)cb->have[i / 8] >> (i % 8)) & 1u))
        i++;
    return i;
}

/* Frames of one decrypted Initial payload (RFC 9000 §19; an Initial may
 * hold only PADDING, PING, ACK, CRYPTO and CONNECTION_CLOSE, §12.4). Chrome
 * cuts its ClientHello into several CRYPTO frames in shuffled order with
 * PING and PADDING between them. An unknown frame ends the walk. */
static void
initial_frames(const uint8_t *p, size_t n, struct crypto_buf *cb)
{
    struct rs_cur c = rs_cur_make(p, n);
    for (unsigned f = 0; f < QUIC_FRAMES_MAX && rs_cur_left(&c) > 0;) {
        uint8_t zero;
        if (rs_cur_peek_u8(&c, 0, &zero) && zero == 0) { /* PADDING: a run of zeros */
            rs_cur_skip(&c, 1);
            continue;
        }
        f++;
        uint64_t type = varint(&c);
        if (type == 0x01) { /* PING */
            continue;
        } else if (type == 0x02 || type == 0x03) { /* ACK (§19.3) */
            varint(&c);                            /* largest acknowledged */
            varint(&c);                            /* ACK delay */
            uint64_t ranges = varint(&c);          /* ACK range count */
            varint(&c);                            /* first ACK range */
            if (ranges > QUIC_ACK_RANGES_MAX)
                return;
            for (uint64_t r = 0; r < 2 * ranges; r++)
                varint(&c);
            if (type == 0x03)
                for (int e = 0; e < 3; e++)
                    varint(&c);    /* ECN counts */
        } else if (type == 0x06) { /* CRYPTO (§19.6) */
            uint64_t off = varint(&c), len = varint(&c);
            if (c.err || len > rs_cur_left(&c))
                return;
            struct rs_cur d = rs_cur_sub(&c, (size_t)len);
            crypto_put(cb, off, rs_cur_ptr(&d), rs_cur_left(&d));
        } else {
            return; /* CONNECTION_CLOSE or not allowed here: nothing more to read */
        }
        if (c.err)
            return;
    }
}

/*
 * Decrypts the client Initial packets of one datagram (RFC 9000 §12.2:
 * several packets may be coalesced) into `cb`. Keys come from the first
 * Initial's Destination Connection ID, which is the client's original one
 * in every Initial it sends before hearing from the server. Returns the
 * number of packets decrypted.
 */
static int
open_initials(const uint8_t *d, size_t n, uint32_t version, struct crypto_buf *cb,
              struct rs_appid_out *chlo)
{
    struct rs_quic_keys keys;
    int have_keys = 0, opened = 0;
    uint8_t pkt[QUIC_PKT_MAX];
    struct rs_cur c = rs_cur_make(d, n);
    for (int k = 0; k < QUIC_COALESCED_MAX && rs_cur_left(&c) >= 7; k++) {
        size_t start = c.off;
        uint8_t first = rs_cur_u8(&c);
        if (!(first & 0x80) || rs_cur_be32(&c) != version)
            break; /* a short header, or another version: the datagram is done */
        uint8_t dcil = rs_cur_u8(&c);
        const uint8_t *dcid = rs_cur_ptr(&c);
        rs_cur_skip(&c, dcil);
        uint8_t scil = rs_cur_u8(&c);
        rs_cur_skip(&c, scil);
        if (c.err || dcil > 20 || scil > 20)
            break;
        unsigned type = (first >> 4) & 3u;
        int v2 = version == 0x6b3343cfu;
        int initial = v2 ? type == 1 : type == 0; /* RFC 9369 §3.2 */
        if (v2 ? type == 0 : type == 3)
            break; /* Retry: no Length field, nothing follows it */
        if (!(first & 0x40))
            break; /* fixed bit (RFC 9000 §17.2) */
        if (initial) {
            uint64_t token = varint(&c); /* §17.2.2 */
            if (token > rs_cur_left(&c))
                break;
            rs_cur_skip(&c, (size_t)token);
        }
        uint64_t length = varint(&c); /* packet number + payload (§17.2) */
        if (c.err || length > rs_cur_left(&c))
            break; /* cut (snaplen) or not QUIC: cannot be decrypted */
        size_t pn_off = c.off - start;
        rs_cur_skip(&c, (size_t)length);
        size_t pkt_len = pn_off + (size_t)length;
        if (!initial || pkt_len > sizeof pkt)
            continue;
        if (!have_keys) {
            if (rs_quic_client_initial_keys(version, dcid, dcil, &keys) != 0)
                break;
            have_keys = 1;
        }
        memcpy(pkt, d + start, pkt_len);
        size_t off, len;
        uint32_t pn;
        if (rs_quic_unprotect(&keys, pkt, pkt_len, pn_off, &off, &len, &pn) != 0)
            continue;
        if (chlo)
            gquic_sni(pkt + off, len, chlo); /* Q050: a QUIC Crypto CHLO, not TLS */
        else
            initial_frames(pkt + off, len, cb);
        opened++;
    }
    return opened;
}

/* 1 if the CRYPTO bytes [from, from + n) were all seen. */
static int
crypto_covered(const struct crypto_buf *cb, size_t from, size_t n)
{
    if (from > QUIC_CRYPTO_MAX || n > QUIC_CRYPTO_MAX - from)
        return 0;
    for (size_t i = from; i < from + n; i++)
        if (!(((unsigned)cb->have[i / 8] >> (i % 8)) & 1u))
            return 0;
    return 1;
}

/*
 * A ClientHello cut over several datagrams (a post-quantum key share makes
 * Chrome's about 1,800 bytes; its CRYPTO frames come in shuffled order)
 * cannot be walked from its start without keeping state across datagrams,
 * which the per-session look does not have for UDP. So the seen bytes are
 * searched for a server_name extension (RFC 6066 §3) by its shape: type 0,
 * extension length = list length + 2 = name length + 5, name type 0
 * (host_name), and a name of DNS characters. Three lengths that must agree
 * and a printable name make a false match in key-share or random bytes
 * vanishingly unlikely.
 */
static int
sni_scan(const struct crypto_buf *cb, struct rs_appid_info *info)
{
    for (size_t i = 0; i + 10 <= QUIC_CRYPTO_MAX; i++) {
        const uint8_t *p = cb->data + i;
        if (p[0] != 0 || p[1] != 0 || p[6] != 0)
            continue;
        size_t ext = (size_t)p[2] << 8 | p[3], list = (size_t)p[4] << 8 | p[5];
        size_t name = (size_t)p[7] << 8 | p[8];
        if (name == 0 || name > 253 || list != name + 3 || ext != list + 2 ||
            !crypto_covered(cb, i, 9 + name))
            continue;
        size_t k = 0;
        while (k < name && (p[9 + k] == '-' || p[9 + k] == '.' || p[9 + k] == '_' ||
                            (p[9 + k] >= '0' && p[9 + k] <= '9') ||
                            ((p[9 + k] | 0x20) >= 'a' && (p[9 + k] | 0x20) <= 'z')))
            k++;
        if (k != name)
            continue;
        struct rs_cur c = rs_cur_make(p + 9, name);
        rs_appid_copy_text(&c, name, info->name, sizeof info->name);
        info->name_kind = info->name[0] ? RS_APPID_NAME_SNI : 0;
        return info->name_kind != 0;
    }
    return 0;
}

/*
 * Reads the ClientHello from the client Initials in datagram `d`: whole, it
 * goes to the TLS parser; in part, its bytes are searched for the SNI.
 * Returns 1 when there is nothing more to learn (names, if any, now in
 * info; or nothing could be decrypted), 0 when the client's next datagram
 * may hold the rest.
 */
static int
initial_hello(const uint8_t *d, size_t n, uint32_t version, struct rs_appid_out *out)
{
    struct crypto_buf cb;
    memset(cb.have, 0, sizeof cb.have);
    cb.data[0] = 0;               /* read only when crypto_prefix says it was written */
    if (version == 0x51303530u) { /* Q050 */
        open_initials(d, n, version, &cb, out);
        return 1;
    }
    if (!open_initials(d, n, version, &cb, NULL))
        return 1;
    size_t have = crypto_prefix(&cb);
    if (have >= 4 && cb.data[0] == 1) {
        size_t hlen = (size_t)cb.data[1] << 16 | (size_t)cb.data[2] << 8 | cb.data[3];
        if (hlen <= have - 4) {
            if (rs_appid_tls_client_hello(cb.data, hlen + 4, out->info))
                out->found_name = 1;
            return 1;
        }
    }
    if (out->info->name_kind)
        return 1;
    if (sni_scan(&cb, out->info)) {
        out->found_name = 1;
        return 1;
    }
    return 0;
}

/* Following a session whose first Initial held only part of the hello: the
 * client's next datagrams, until the name is found, the client leaves the
 * Initial packets behind, or RS_APPID_MAX_PKTS datagrams were seen. */
static enum rs_appid_verdict
follow_hello(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    if (in->side != 0 || in->len < 5)
        return RS_APPID_NEED_MORE;
    uint32_t v = (uint32_t)in->data[1] << 24 | (uint32_t)in->data[2] << 16 |
                 (uint32_t)in->data[3] << 8 | in->data[4];
    if (!(in->data[0] & 0x80) || out->info->name_kind || version_kind(v) == QV_NONE)
        return RS_APPID_MATCH;
    if (initial_hello(in->data, in->len, v, out) || in->pkt >= RS_APPID_MAX_PKTS)
        return RS_APPID_MATCH;
    return RS_APPID_NEED_MORE;
}

enum rs_appid_verdict
rs_app_quic(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    if (in->l4 != 17)
        return RS_APPID_NO;
    if (in->following)
        return follow_hello(in, out);
    if (in->len < 7)
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
        if (in->side == 0 && v == 0x51303530u && initial && (first & 0x40))
            initial_hello(in->data, in->len, v, out); /* Q050 encrypts its CHLO */
        else if (in->side == 0)
            gquic_sni(in->data, in->len, out);
    } else if (in->side == 0 && initial) {
        out->also |= RS_APPID_ALSO_SSL;
        /* Decrypted once, here; followed only while the hello is incomplete. */
        if (!initial_hello(in->data, in->len, v, out))
            out->follow = 1;
    }
    return RS_APPID_MATCH;
}
