/*
 * app_ssl.c - TLS and SSL (Zeek's "ssl"): RFC 8446 (TLS 1.3), RFC 5246
 * (TLS 1.2) and the SSLv2-compatible ClientHello (RFC 6101 Appendix E.2).
 *
 * Decided from the first record: a handshake record (content type 22) with a
 * plausible version and length whose first message is a ClientHello from the
 * client or a ServerHello from the server. The hello is then parsed for the
 * server_name (RFC 6066 §3), ALPN (RFC 7301 §3.1) and supported_versions
 * (RFC 8446 §4.2.1); when the hello is not complete in the first segment the
 * look follows the stream (reassembled in order by the registry) until it is.
 */
#include <string.h>

#include "appid/appid_int.h"

#define TLS_HANDSHAKE 22
#define TLS_MAX_RECORD (16384 + 2048) /* RFC 5246 §6.2.3: TLSCiphertext.length */

static int
is_grease(uint16_t v)
{
    /* RFC 8701 §2: 0x?A?A with equal bytes */
    return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

static void
add_alpn(struct rs_appid_info *info, const uint8_t *p, size_t n)
{
    size_t o = strlen(info->alpn);
    if (o && o + 1 < sizeof info->alpn)
        info->alpn[o++] = ',';
    for (size_t i = 0; i < n && o + 1 < sizeof info->alpn; i++)
        info->alpn[o++] = (p[i] > 0x20 && p[i] < 0x7f && p[i] != ',') ? (char)p[i] : '?';
    info->alpn[o] = '\0';
}

/* Extensions of a ClientHello (RFC 8446 §4.2). */
static void
client_extensions(struct rs_cur *ext, struct rs_appid_info *info, uint16_t *best)
{
    /* Each turn consumes at least the 4-byte extension header. */
    while (rs_cur_left(ext) >= 4) {
        uint16_t type = rs_cur_be16(ext);
        uint16_t elen = rs_cur_be16(ext);
        struct rs_cur e = rs_cur_sub(ext, elen);
        if (e.err)
            return;
        if (type == 0) { /* server_name: ServerNameList (RFC 6066 §3) */
            struct rs_cur list = rs_cur_sub(&e, rs_cur_be16(&e));
            while (rs_cur_left(&list) >= 3) {
                uint8_t nt = rs_cur_u8(&list);
                uint16_t nl = rs_cur_be16(&list);
                struct rs_cur name = rs_cur_sub(&list, nl);
                if (name.err)
                    break;
                if (nt == 0 && !info->name_kind) { /* host_name */
                    rs_appid_copy_text(&name, nl, info->name, sizeof info->name);
                    info->name_kind = info->name[0] ? RS_APPID_NAME_SNI : 0;
                }
            }
        } else if (type == 16) { /* ALPN: ProtocolNameList (RFC 7301 §3.1) */
            struct rs_cur list = rs_cur_sub(&e, rs_cur_be16(&e));
            while (rs_cur_left(&list) >= 1) {
                uint8_t pl = rs_cur_u8(&list);
                if (pl == 0 || pl > rs_cur_left(&list))
                    break;
                add_alpn(info, rs_cur_ptr(&list), pl);
                rs_cur_skip(&list, pl);
            }
        } else if (type == 43) { /* supported_versions (RFC 8446 §4.2.1) */
            struct rs_cur list = rs_cur_sub(&e, rs_cur_u8(&e));
            while (rs_cur_left(&list) >= 2) {
                uint16_t v = rs_cur_be16(&list);
                if (!is_grease(v) && v > *best && v <= 0x0304)
                    *best = v;
            }
        }
    }
}

/* ClientHello body (RFC 8446 §4.1.2). Returns 1 when it parsed whole. */
static int
client_hello(struct rs_cur *c, struct rs_appid_info *info)
{
    uint16_t legacy = rs_cur_be16(c);
    rs_cur_skip(c, 32); /* random */
    uint8_t sid = rs_cur_u8(c);
    if (sid > 32)
        return 0;
    rs_cur_skip(c, sid);
    uint16_t cs = rs_cur_be16(c);
    if (cs & 1)
        return 0;
    rs_cur_skip(c, cs);
    rs_cur_skip(c, rs_cur_u8(c)); /* compression methods */
    if (c->err)
        return 0;
    uint16_t best = legacy;
    if (rs_cur_left(c) >= 2) { /* extensions are optional before TLS 1.3 */
        struct rs_cur ext = rs_cur_sub(c, rs_cur_be16(c));
        if (ext.err)
            return 0;
        client_extensions(&ext, info, &best);
    }
    info->tls_version = best;
    return 1;
}

/* A bare ClientHello handshake message (no record layer), as QUIC's CRYPTO
 * frames carry it (RFC 9001 §4): names go to `info` where it has none yet. */
int
rs_appid_tls_client_hello(const uint8_t *p, size_t n, struct rs_appid_info *info)
{
    struct rs_cur c = rs_cur_make(p, n);
    if (rs_cur_u8(&c) != 1) /* client_hello */
        return 0;
    uint32_t hlen = (uint32_t)rs_cur_u8(&c) << 16;
    hlen |= rs_cur_be16(&c);
    struct rs_cur body = rs_cur_sub(&c, hlen);
    struct rs_appid_info tmp;
    memset(&tmp, 0, sizeof tmp);
    if (body.err || !client_hello(&body, &tmp))
        return 0;
    if (tmp.name_kind && !info->name_kind) {
        memcpy(info->name, tmp.name, sizeof info->name);
        info->name_kind = tmp.name_kind;
    }
    if (tmp.alpn[0] && !info->alpn[0])
        memcpy(info->alpn, tmp.alpn, sizeof info->alpn);
    if (!info->tls_version)
        info->tls_version = tmp.tls_version;
    return 1;
}

/* ServerHello body (RFC 8446 §4.1.3). */
static int
server_hello(struct rs_cur *c, struct rs_appid_info *info)
{
    uint16_t v = rs_cur_be16(c);
    rs_cur_skip(c, 32);
    rs_cur_skip(c, rs_cur_u8(c));
    rs_cur_skip(c, 3); /* cipher suite, compression */
    if (c->err)
        return 0;
    if (rs_cur_left(c) >= 2) {
        struct rs_cur ext = rs_cur_sub(c, rs_cur_be16(c));
        while (rs_cur_left(&ext) >= 4) {
            uint16_t type = rs_cur_be16(&ext);
            struct rs_cur e = rs_cur_sub(&ext, rs_cur_be16(&ext));
            if (type == 43 && rs_cur_left(&e) >= 2)
                v = rs_cur_be16(&e);
        }
    }
    info->tls_version = v;
    return 1;
}

/* SSL 2.0-compatible CLIENT-HELLO (RFC 6101 Appendix E.2): 2-byte header with
 * the high bit set, msg_type 1, version 0x0002 or 3.x. */
static enum rs_appid_verdict
sslv2_hello(const uint8_t *p, size_t n)
{
    if (n < 5)
        return RS_APPID_NEED_MORE;
    size_t len = (size_t)(p[0] & 0x7f) << 8 | p[1];
    if (len < 9 + 3 || p[2] != 1)
        return RS_APPID_NO;
    if (!((p[3] == 0 && p[4] == 2) || (p[3] == 3 && p[4] <= 3)))
        return RS_APPID_NO;
    return RS_APPID_MATCH;
}

enum rs_appid_verdict
rs_appid_tls_records(const uint8_t *p, size_t n, int side, struct rs_appid_out *out, int *complete)
{
    *complete = 0;
    if (n == 0)
        return RS_APPID_NEED_MORE;
    if (p[0] & 0x80)
        return side == 0 ? sslv2_hello(p, n) : RS_APPID_NO;
    struct rs_cur c = rs_cur_make(p, n);
    /* TLSPlaintext header (RFC 8446 §5.1) */
    uint8_t type = rs_cur_u8(&c);
    if (type != TLS_HANDSHAKE)
        return RS_APPID_NO;
    if (n < 3)
        return n < 2 || p[1] == 3 ? RS_APPID_NEED_MORE : RS_APPID_NO;
    uint8_t major = rs_cur_u8(&c), minor = rs_cur_u8(&c);
    if (major != 3 || minor > 4)
        return RS_APPID_NO;
    if (n < 6)
        return RS_APPID_NEED_MORE;
    uint16_t rlen = rs_cur_be16(&c);
    if (rlen < 4 || rlen > TLS_MAX_RECORD)
        return RS_APPID_NO;
    uint8_t hs = rs_cur_u8(&c);
    if (hs != (side == 0 ? 1 : 2)) /* client_hello(1) / server_hello(2) */
        return RS_APPID_NO;
    /* Handshake header: msg_type, uint24 length; a hello is never tiny. */
    if (n < 9)
        return RS_APPID_MATCH;
    uint32_t hlen = (uint32_t)rs_cur_u8(&c) << 16;
    hlen |= rs_cur_be16(&c);
    if (hlen < 38)
        return RS_APPID_NO;
    /* The hello may continue in later records; parse what the first holds. */
    struct rs_cur rec = rs_cur_make(p + 5, n - 5 < (size_t)rlen ? n - 5 : rlen);
    rs_cur_skip(&rec, 4);
    if (hlen + 4 > rlen) {
        *complete = 1; /* a hello over several records: names not worth the wait */
        return RS_APPID_MATCH;
    }
    if (n - 5 < (size_t)hlen + 4)
        return RS_APPID_MATCH; /* names wait for more bytes */
    struct rs_cur body = rs_cur_sub(&rec, hlen);
    struct rs_appid_info tmp;
    memset(&tmp, 0, sizeof tmp);
    int ok = side == 0 ? client_hello(&body, &tmp) : server_hello(&body, &tmp);
    *complete = 1;
    if (ok) {
        struct rs_appid_info *info = out->info;
        if (tmp.name_kind && !info->name_kind) {
            memcpy(info->name, tmp.name, sizeof info->name);
            info->name_kind = tmp.name_kind;
        }
        if (tmp.alpn[0] && !info->alpn[0])
            memcpy(info->alpn, tmp.alpn, sizeof info->alpn);
        if (tmp.tls_version && (side == 1 || !info->tls_version))
            info->tls_version = tmp.tls_version;
        out->found_name = 1;
    }
    return RS_APPID_MATCH;
}

/* A record header of any content type (RFC 8446 §5.1: change_cipher_spec
 * 20, alert 21, handshake 22, application_data 23) with a 3.x version and a
 * legal length. Returns 1 valid, 0 not, -1 too short to tell. */
static int
record_header(const uint8_t *p, size_t n, size_t *rlen)
{
    if (n < 5) {
        int plausible =
            n == 0 || (p[0] >= 20 && p[0] <= 23 && (n < 2 || p[1] == 3) && (n < 3 || p[2] <= 4));
        return plausible ? -1 : 0;
    }
    *rlen = (size_t)p[3] << 8 | p[4];
    return p[0] >= 20 && p[0] <= 23 && p[1] == 3 && p[2] <= 4 && *rlen >= 1 &&
           *rlen <= TLS_MAX_RECORD;
}

/*
 * A session picked up after its handshake (nDPI does this too): the first
 * bytes are a TLS record, and a second record header follows where the first
 * ends whenever the bytes reach that far.
 */
static enum rs_appid_verdict
midstream(const struct rs_appid_in *in)
{
    size_t rlen = 0, rlen2 = 0;
    int r = record_header(in->data, in->len, &rlen);
    if (r <= 0)
        return r < 0 && !in->at_cap ? RS_APPID_NEED_MORE : RS_APPID_NO;
    if (in->data[0] == TLS_HANDSHAKE)
        return RS_APPID_NO; /* a handshake record must start with a hello (above) */
    if (5 + rlen >= in->len)
        return RS_APPID_MATCH;
    r = record_header(in->data + 5 + rlen, in->len - 5 - rlen, &rlen2);
    return r != 0 ? RS_APPID_MATCH : RS_APPID_NO;
}

enum rs_appid_verdict
rs_app_ssl(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    if (in->l4 != 6)
        return RS_APPID_NO;
    int complete = 0;
    enum rs_appid_verdict v = rs_appid_tls_records(in->data, in->len, in->side, out, &complete);
    if (in->following) {
        /* Only the client's hello carries names worth waiting for. */
        if (in->side != 0)
            return RS_APPID_NEED_MORE;
        return complete || in->at_cap || v != RS_APPID_MATCH ? RS_APPID_MATCH : RS_APPID_NEED_MORE;
    }
    if (v == RS_APPID_MATCH && in->side == 0 && !complete && !in->at_cap && in->len >= 6 &&
        !(in->data[0] & 0x80))
        out->follow = 1;
    if (v == RS_APPID_NO)
        return midstream(in);
    return v;
}
