/*
 * crypto_min.c - SHA-256, HMAC, HKDF and AES-128(-CTR) for reading QUIC
 * Initial packets (see crypto_min.h for why this exists and why it need not
 * be hardened).
 *
 * Written from the specifications, byte-oriented and table-light: the work
 * is done once per QUIC session (a few kilobytes of keystream and a dozen
 * SHA-256 blocks), so clarity wins over speed. Known-answer tests in
 * tests/unit/test_quic_crypto.c (FIPS 180-4 examples, RFC 4231, FIPS 197
 * Appendix C.1, RFC 9001 Appendix A).
 */
#include <string.h>

#include "appid/crypto_min.h"

/* ---- SHA-256 (FIPS 180-4 §6.2) ---- */

static const uint32_t sha_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static inline uint32_t
ror32(uint32_t x, unsigned n)
{
    return x >> n | x << (32 - n);
}

static void
sha_block(uint32_t h[8], const uint8_t *p)
{
    uint32_t w[64];
    for (int t = 0; t < 16; t++)
        w[t] = (uint32_t)p[4 * (size_t)t] << 24 | (uint32_t)p[4 * (size_t)t + 1] << 16 |
               (uint32_t)p[4 * t + 2] << 8 | p[4 * t + 3];
    for (int t = 16; t < 64; t++) {
        uint32_t s0 = ror32(w[t - 15], 7) ^ ror32(w[t - 15], 18) ^ (w[t - 15] >> 3);
        uint32_t s1 = ror32(w[t - 2], 17) ^ ror32(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int t = 0; t < 64; t++) {
        uint32_t t1 = hh + (ror32(e, 6) ^ ror32(e, 11) ^ ror32(e, 25)) + ((e & f) ^ (~e & g)) +
                      sha_k[t] + w[t];
        uint32_t t2 = (ror32(a, 2) ^ ror32(a, 13) ^ ror32(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        hh = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
}

void
rs_sha256_init(struct rs_sha256 *s)
{
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(s->h, iv, sizeof iv);
    s->total = 0;
    s->used = 0;
}

void
rs_sha256_update(struct rs_sha256 *s, const void *data, size_t n)
{
    const uint8_t *p = data;
    s->total += n;
    while (n) {
        size_t k = 64 - s->used < n ? 64 - s->used : n;
        memcpy(s->buf + s->used, p, k);
        s->used += k;
        p += k;
        n -= k;
        if (s->used == 64) {
            sha_block(s->h, s->buf);
            s->used = 0;
        }
    }
}

void
rs_sha256_final(struct rs_sha256 *s, uint8_t out[RS_SHA256_LEN])
{
    uint64_t bits = s->total * 8;
    uint8_t pad = 0x80;
    rs_sha256_update(s, &pad, 1); /* §5.1.1: a 1 bit, zeros, the 64-bit length */
    pad = 0;
    while (s->used != 56)
        rs_sha256_update(s, &pad, 1);
    uint8_t len[8];
    for (int i = 0; i < 8; i++)
        len[i] = (uint8_t)(bits >> (56 - 8 * i));
    rs_sha256_update(s, len, 8);
    for (int i = 0; i < 8; i++) {
        out[4 * (size_t)i] = (uint8_t)(s->h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
        out[4 * i + 3] = (uint8_t)s->h[i];
    }
}

void
rs_sha256(const void *data, size_t n, uint8_t out[RS_SHA256_LEN])
{
    struct rs_sha256 s;
    rs_sha256_init(&s);
    rs_sha256_update(&s, data, n);
    rs_sha256_final(&s, out);
}

/* ---- HMAC (RFC 2104) and HKDF (RFC 5869) ---- */

void
rs_hmac_sha256(const uint8_t *key, size_t klen, const void *msg, size_t n,
               uint8_t out[RS_SHA256_LEN])
{
    uint8_t k[64], pad[64], inner[RS_SHA256_LEN];
    memset(k, 0, sizeof k);
    if (klen > 64)
        rs_sha256(key, klen, k);
    else if (klen)
        memcpy(k, key, klen);
    struct rs_sha256 s;
    for (int i = 0; i < 64; i++)
        pad[i] = k[i] ^ 0x36;
    rs_sha256_init(&s);
    rs_sha256_update(&s, pad, 64);
    rs_sha256_update(&s, msg, n);
    rs_sha256_final(&s, inner);
    for (int i = 0; i < 64; i++)
        pad[i] = k[i] ^ 0x5c;
    rs_sha256_init(&s);
    rs_sha256_update(&s, pad, 64);
    rs_sha256_update(&s, inner, sizeof inner);
    rs_sha256_final(&s, out);
}

void
rs_hkdf_extract(const uint8_t *salt, size_t slen, const uint8_t *ikm, size_t ilen,
                uint8_t prk[RS_SHA256_LEN])
{
    rs_hmac_sha256(salt, slen, ikm, ilen, prk);
}

int
rs_hkdf_expand(const uint8_t prk[RS_SHA256_LEN], const uint8_t *info, size_t ilen, uint8_t *out,
               size_t out_len)
{
    /* T(i) = HMAC(PRK, T(i-1) | info | i); our infos are short (<= 80 bytes). */
    uint8_t msg[RS_SHA256_LEN + 96 + 1], t[RS_SHA256_LEN];
    if (out_len > 255 * (size_t)RS_SHA256_LEN || ilen > 96)
        return -1;
    size_t done = 0, tlen = 0;
    for (uint8_t i = 1; done < out_len; i++) {
        memcpy(msg, t, tlen);
        if (ilen)
            memcpy(msg + tlen, info, ilen);
        msg[tlen + ilen] = i;
        rs_hmac_sha256(prk, RS_SHA256_LEN, msg, tlen + ilen + 1, t);
        tlen = RS_SHA256_LEN;
        size_t k = out_len - done < tlen ? out_len - done : tlen;
        memcpy(out + done, t, k);
        done += k;
    }
    return 0;
}

int
rs_hkdf_expand_label(const uint8_t secret[RS_SHA256_LEN], const char *label, uint8_t *out,
                     size_t out_len)
{
    /* HkdfLabel: uint16 length, opaque label<7..255> = "tls13 " + Label,
     * opaque context<0..255> (empty here). */
    static const char prefix[] = "tls13 ";
    size_t ll = strlen(label);
    uint8_t info[2 + 1 + 6 + 64 + 1];
    if (ll > 64 || out_len > 255)
        return -1;
    size_t o = 0;
    info[o++] = (uint8_t)(out_len >> 8);
    info[o++] = (uint8_t)out_len;
    info[o++] = (uint8_t)(6 + ll);
    memcpy(info + o, prefix, 6);
    o += 6;
    memcpy(info + o, label, ll);
    o += ll;
    info[o++] = 0;
    return rs_hkdf_expand(secret, info, o, out, out_len);
}

/* ---- AES-128 (FIPS 197) ---- */

static const uint8_t sbox[256] = {
    0x63, 0x7c, 0x77, 0x7b, 0xf2, 0x6b, 0x6f, 0xc5, 0x30, 0x01, 0x67, 0x2b, 0xfe, 0xd7, 0xab, 0x76,
    0xca, 0x82, 0xc9, 0x7d, 0xfa, 0x59, 0x47, 0xf0, 0xad, 0xd4, 0xa2, 0xaf, 0x9c, 0xa4, 0x72, 0xc0,
    0xb7, 0xfd, 0x93, 0x26, 0x36, 0x3f, 0xf7, 0xcc, 0x34, 0xa5, 0xe5, 0xf1, 0x71, 0xd8, 0x31, 0x15,
    0x04, 0xc7, 0x23, 0xc3, 0x18, 0x96, 0x05, 0x9a, 0x07, 0x12, 0x80, 0xe2, 0xeb, 0x27, 0xb2, 0x75,
    0x09, 0x83, 0x2c, 0x1a, 0x1b, 0x6e, 0x5a, 0xa0, 0x52, 0x3b, 0xd6, 0xb3, 0x29, 0xe3, 0x2f, 0x84,
    0x53, 0xd1, 0x00, 0xed, 0x20, 0xfc, 0xb1, 0x5b, 0x6a, 0xcb, 0xbe, 0x39, 0x4a, 0x4c, 0x58, 0xcf,
    0xd0, 0xef, 0xaa, 0xfb, 0x43, 0x4d, 0x33, 0x85, 0x45, 0xf9, 0x02, 0x7f, 0x50, 0x3c, 0x9f, 0xa8,
    0x51, 0xa3, 0x40, 0x8f, 0x92, 0x9d, 0x38, 0xf5, 0xbc, 0xb6, 0xda, 0x21, 0x10, 0xff, 0xf3, 0xd2,
    0xcd, 0x0c, 0x13, 0xec, 0x5f, 0x97, 0x44, 0x17, 0xc4, 0xa7, 0x7e, 0x3d, 0x64, 0x5d, 0x19, 0x73,
    0x60, 0x81, 0x4f, 0xdc, 0x22, 0x2a, 0x90, 0x88, 0x46, 0xee, 0xb8, 0x14, 0xde, 0x5e, 0x0b, 0xdb,
    0xe0, 0x32, 0x3a, 0x0a, 0x49, 0x06, 0x24, 0x5c, 0xc2, 0xd3, 0xac, 0x62, 0x91, 0x95, 0xe4, 0x79,
    0xe7, 0xc8, 0x37, 0x6d, 0x8d, 0xd5, 0x4e, 0xa9, 0x6c, 0x56, 0xf4, 0xea, 0x65, 0x7a, 0xae, 0x08,
    0xba, 0x78, 0x25, 0x2e, 0x1c, 0xa6, 0xb4, 0xc6, 0xe8, 0xdd, 0x74, 0x1f, 0x4b, 0xbd, 0x8b, 0x8a,
    0x70, 0x3e, 0xb5, 0x66, 0x48, 0x03, 0xf6, 0x0e, 0x61, 0x35, 0x57, 0xb9, 0x86, 0xc1, 0x1d, 0x9e,
    0xe1, 0xf8, 0x98, 0x11, 0x69, 0xd9, 0x8e, 0x94, 0x9b, 0x1e, 0x87, 0xe9, 0xce, 0x55, 0x28, 0xdf,
    0x8c, 0xa1, 0x89, 0x0d, 0xbf, 0xe6, 0x42, 0x68, 0x41, 0x99, 0x2d, 0x0f, 0xb0, 0x54, 0xbb, 0x16};

static uint32_t
sub_word(uint32_t w)
{
    return (uint32_t)sbox[w >> 24] << 24 | (uint32_t)sbox[(w >> 16) & 0xff] << 16 |
           (uint32_t)sbox[(w >> 8) & 0xff] << 8 | sbox[w & 0xff];
}

void
rs_aes128_init(struct rs_aes128 *k, const uint8_t key[16])
{
    /* §5.2 KeyExpansion, Nk = 4, Nr = 10 */
    static const uint8_t rcon[10] = {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x1b, 0x36};
    for (int i = 0; i < 4; i++)
        k->rk[i] = (uint32_t)key[4 * (size_t)i] << 24 | (uint32_t)key[4 * (size_t)i + 1] << 16 |
                   (uint32_t)key[4 * i + 2] << 8 | key[4 * i + 3];
    for (int i = 4; i < 44; i++) {
        uint32_t t = k->rk[i - 1];
        if (i % 4 == 0)
            t = sub_word(t << 8 | t >> 24) ^ (uint32_t)rcon[i / 4 - 1] << 24;
        k->rk[i] = k->rk[i - 4] ^ t;
    }
}

static inline uint8_t
xtime(uint8_t x)
{
    return (uint8_t)(x << 1 ^ ((x & 0x80) ? 0x1b : 0x00));
}

static void
add_round_key(uint8_t s[16], const uint32_t *w)
{
    for (int c = 0; c < 4; c++) {
        s[4 * (size_t)c] ^= (uint8_t)(w[c] >> 24);
        s[4 * c + 1] ^= (uint8_t)(w[c] >> 16);
        s[4 * c + 2] ^= (uint8_t)(w[c] >> 8);
        s[4 * c + 3] ^= (uint8_t)w[c];
    }
}

/* SubBytes and ShiftRows (§5.1.1-5.1.2); the state is column-major, s[r + 4c]. */
static void
sub_shift(uint8_t s[16])
{
    uint8_t t[16];
    for (int c = 0; c < 4; c++)
        for (int r = 0; r < 4; r++)
            t[r + 4 * c] = sbox[s[r + 4 * ((c + r) % 4)]];
    memcpy(s, t, 16);
}

/* MixColumns (§5.1.3). */
static void
mix_columns(uint8_t s[16])
{
    for (int c = 0; c < 4; c++) {
        uint8_t *col = s + 4 * (size_t)c;
        uint8_t a0 = col[0], a1 = col[1], a2 = col[2], a3 = col[3];
        uint8_t all = a0 ^ a1 ^ a2 ^ a3;
        col[0] = (uint8_t)(a0 ^ all ^ xtime(a0 ^ a1));
        col[1] = (uint8_t)(a1 ^ all ^ xtime(a1 ^ a2));
        col[2] = (uint8_t)(a2 ^ all ^ xtime(a2 ^ a3));
        col[3] = (uint8_t)(a3 ^ all ^ xtime(a3 ^ a0));
    }
}

void
rs_aes128_encrypt(const struct rs_aes128 *k, const uint8_t in[16], uint8_t out[16])
{
    uint8_t s[16];
    memcpy(s, in, 16);
    add_round_key(s, k->rk);
    for (int round = 1; round < 10; round++) {
        sub_shift(s);
        mix_columns(s);
        add_round_key(s, k->rk + 4 * (size_t)round);
    }
    sub_shift(s);
    add_round_key(s, k->rk + 40);
    memcpy(out, s, 16);
}

void
rs_aes128_gcm_ctr(const struct rs_aes128 *k, const uint8_t nonce[12], uint8_t *buf, size_t n)
{
    uint8_t ctr[16], ks[16];
    memcpy(ctr, nonce, 12);
    uint32_t i = 2; /* inc32 of J0 = nonce || 0x00000001 */
    for (size_t off = 0; off < n; off += 16, i++) {
        ctr[12] = (uint8_t)(i >> 24);
        ctr[13] = (uint8_t)(i >> 16);
        ctr[14] = (uint8_t)(i >> 8);
        ctr[15] = (uint8_t)i;
        rs_aes128_encrypt(k, ctr, ks);
        size_t m = n - off < 16 ? n - off : 16;
        for (size_t j = 0; j < m; j++)
            buf[off + j] ^= ks[j];
    }
}

/* ---- QUIC Initial protection (RFC 9001 §5) ---- */

int
rs_quic_client_initial_keys(uint32_t version, const uint8_t *dcid, size_t dcid_len,
                            struct rs_quic_keys *out)
{
    static const uint8_t salt_v1[20] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34,
                                        0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8,
                                        0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a}; /* RFC 9001 §5.2 */
    static const uint8_t salt_v2[20] = {0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6,
                                        0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26,
                                        0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9}; /* RFC 9369 §3.3.1 */
    static const uint8_t salt_d29[20] = {0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2,
                                         0x4c, 0x9e, 0x97, 0x86, 0xf1, 0x9c, 0x61,
                                         0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99}; /* drafts 29-32 */
    static const uint8_t salt_d23[20] = {0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb,
                                         0x5a, 0x11, 0xa7, 0xd2, 0x43, 0x2b, 0xb4,
                                         0x63, 0x65, 0xbe, 0xf9, 0xf5, 0x02}; /* drafts 23-28 */
    static const uint8_t salt_q050[20] = {0x50, 0x45, 0x74, 0xef, 0xd0, 0x66, 0xfe,
                                          0x2f, 0x9d, 0x94, 0x5c, 0xfc, 0xdb, 0xd3,
                                          0xa7, 0xf0, 0xd3, 0xb5, 0x6b, 0x45}; /* Google Q050 */
    const uint8_t *salt;
    int v2 = 0;
    if (version == 0x00000001u || version == 0xff000021u || version == 0xff000022u) {
        salt = salt_v1;
    } else if (version == 0x6b3343cfu) {
        salt = salt_v2;
        v2 = 1;
    } else if (version >= 0xff00001du && version <= 0xff000020u) {
        salt = salt_d29;
    } else if (version >= 0xff000017u && version <= 0xff00001cu) {
        salt = salt_d23;
    } else if (version == 0x51303530u) {
        salt = salt_q050;
    } else {
        return -1;
    }
    uint8_t initial[RS_SHA256_LEN], client[RS_SHA256_LEN];
    rs_hkdf_extract(salt, sizeof salt_v1, dcid, dcid_len, initial);
    if (rs_hkdf_expand_label(initial, "client in", client, sizeof client) ||
        rs_hkdf_expand_label(client, v2 ? "quicv2 key" : "quic key", out->key, sizeof out->key) ||
        rs_hkdf_expand_label(client, v2 ? "quicv2 iv" : "quic iv", out->iv, sizeof out->iv) ||
        rs_hkdf_expand_label(client, v2 ? "quicv2 hp" : "quic hp", out->hp, sizeof out->hp))
        return -1;
    return 0;
}

int
rs_quic_unprotect(const struct rs_quic_keys *k, uint8_t *pkt, size_t pkt_len, size_t pn_off,
                  size_t *payload_off, size_t *payload_len, uint32_t *pn)
{
    /* §5.4.2: the sample starts 4 bytes after the packet number's first
     * byte, whatever the packet number's length; the tag is 16 bytes. */
    if (pn_off > pkt_len || pkt_len - pn_off < 4 + 16)
        return -1;
    struct rs_aes128 aes;
    uint8_t mask[16];
    rs_aes128_init(&aes, k->hp);
    rs_aes128_encrypt(&aes, pkt + pn_off + 4, mask);
    pkt[0] ^= mask[0] & 0x0f; /* long header: the low 4 bits (§5.4.1) */
    size_t pn_len = (size_t)(pkt[0] & 0x03) + 1;
    if (pkt_len - pn_off - pn_len < 16)
        return -1;
    uint32_t n = 0;
    for (size_t i = 0; i < pn_len; i++) {
        pkt[pn_off + i] ^= mask[1 + i];
        n = n << 8 | pkt[pn_off + i];
    }
    /* §5.3: nonce = iv XOR the packet number, left-padded to 12 bytes. The
     * first Initial has no packet acknowledged, so the truncated number is
     * the full one (RFC 9000 Appendix A.3 with an expected number of 0). */
    uint8_t nonce[12];
    memcpy(nonce, k->iv, sizeof nonce);
    for (int i = 0; i < 4; i++)
        nonce[11 - i] ^= (uint8_t)(n >> (8 * i));
    size_t off = pn_off + pn_len, len = pkt_len - off - 16;
    /* AEAD_AES_128_GCM without its tag check: we only read the ClientHello,
     * which is protected by keys anyone can derive from the packet itself;
     * no security property of ours depends on the tag, and a forged packet
     * can only give a wrong name, as a forged clear-text one could. */
    rs_aes128_init(&aes, k->key);
    rs_aes128_gcm_ctr(&aes, nonce, pkt + off, len);
    *payload_off = off;
    *payload_len = len;
    *pn = n;
    return 0;
}
