/*
 * crypto_min.h - the little cryptography App-ID needs to read a QUIC client
 * Initial (internal).
 *
 * rstscope links only libpcap (SPEC), so the primitives behind QUIC's
 * Initial protection (RFC 9001 §5) live here: SHA-256 (FIPS 180-4),
 * HMAC-SHA256 (RFC 2104), HKDF (RFC 5869) with TLS 1.3's HKDF-Expand-Label
 * (RFC 8446 §7.1), AES-128 encryption (FIPS 197; no decryption: CTR mode
 * and QUIC header protection only ever encrypt), and the CTR keystream of
 * AES-128-GCM (NIST SP 800-38D).
 *
 * None of this protects anything: the Initial keys are derived from a salt
 * published in the RFC and the connection ID sent in clear, so anyone on
 * the path can compute them. Nothing here is constant-time and nothing
 * needs to be. The GCM tag is not computed or verified (see app_quic.c).
 * All functions are pure; no allocation; all buffers caller-owned.
 */
#ifndef RS_APPID_CRYPTO_MIN_H
#define RS_APPID_CRYPTO_MIN_H

#include <stddef.h>
#include <stdint.h>

#define RS_SHA256_LEN 32

struct rs_sha256 {
    uint32_t h[8];
    uint64_t total; /* bytes hashed so far */
    uint8_t buf[64];
    size_t used;
};

void rs_sha256_init(struct rs_sha256 *s);
void rs_sha256_update(struct rs_sha256 *s, const void *data, size_t n);
void rs_sha256_final(struct rs_sha256 *s, uint8_t out[RS_SHA256_LEN]);
void rs_sha256(const void *data, size_t n, uint8_t out[RS_SHA256_LEN]);

/* HMAC-SHA256 (RFC 2104); keys longer than 64 bytes are hashed first. */
void rs_hmac_sha256(const uint8_t *key, size_t klen, const void *msg, size_t n,
                    uint8_t out[RS_SHA256_LEN]);

/* HKDF-Extract (RFC 5869 §2.2). */
void rs_hkdf_extract(const uint8_t *salt, size_t slen, const uint8_t *ikm, size_t ilen,
                     uint8_t prk[RS_SHA256_LEN]);

/* HKDF-Expand (RFC 5869 §2.3): out_len <= 255 * 32. Returns 0, or -1 if too long. */
int rs_hkdf_expand(const uint8_t prk[RS_SHA256_LEN], const uint8_t *info, size_t ilen, uint8_t *out,
                   size_t out_len);

/* HKDF-Expand-Label(secret, label, "", out_len) (RFC 8446 §7.1): the label
 * gets the "tls13 " prefix; labels up to 64 bytes, out_len up to 255. Returns
 * 0, or -1 on a length out of range. */
int rs_hkdf_expand_label(const uint8_t secret[RS_SHA256_LEN], const char *label, uint8_t *out,
                         size_t out_len);

/* AES-128 (FIPS 197): expanded key, and one block encrypted. */
struct rs_aes128 {
    uint32_t rk[44];
};
void rs_aes128_init(struct rs_aes128 *k, const uint8_t key[16]);
void rs_aes128_encrypt(const struct rs_aes128 *k, const uint8_t in[16], uint8_t out[16]);

/* XORs buf[0..n) with the AES-128-GCM keystream for the 96-bit `nonce`: the
 * counter blocks nonce || be32(2), nonce || be32(3), ... (SP 800-38D §7.1:
 * J0 = nonce || 1 is kept for the tag). Encrypts and decrypts alike. */
void rs_aes128_gcm_ctr(const struct rs_aes128 *k, const uint8_t nonce[12], uint8_t *buf, size_t n);

/* ---- QUIC Initial protection (RFC 9001 §5) ---- */

/* One direction's Initial packet protection keys. */
struct rs_quic_keys {
    uint8_t key[16]; /* AEAD_AES_128_GCM key */
    uint8_t iv[12];
    uint8_t hp[16]; /* header protection key (AES-128-ECB) */
};

/* The client's Initial keys for `version` and the client's first
 * Destination Connection ID (RFC 9001 §5.2; QUIC v2: RFC 9369 §3.3). Returns
 * 0, or -1 for a version whose salt we do not know. Also drafts 23-34 and
 * Google Q050 (same derivation, its own salt). */
int rs_quic_client_initial_keys(uint32_t version, const uint8_t *dcid, size_t dcid_len,
                                struct rs_quic_keys *out);

/*
 * Removes header protection (RFC 9001 §5.4) and the AEAD's encryption
 * (§5.3) from one long-header packet, in place. `pkt[0..pkt_len)` is the
 * whole packet (its Length field already applied), `pn_off` the offset of
 * the packet number. On success returns 0 and sets *payload_off and
 * *payload_len (the plaintext frames; the 16-byte tag is excluded and NOT
 * verified) and *pn. Returns -1 when the packet is too short to hold a
 * header-protection sample and a tag.
 */
int rs_quic_unprotect(const struct rs_quic_keys *k, uint8_t *pkt, size_t pkt_len, size_t pn_off,
                      size_t *payload_off, size_t *payload_len, uint32_t *pn);

#endif
