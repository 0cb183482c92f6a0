/*
 * appid_int.h - the dissector contract and shared helpers (internal).
 *
 * A dissector is a pure function of what it is shown: one direction's first
 * bytes (for TCP the in-order stream prefix, for UDP one datagram), the
 * direction, the ports and one remembered bit. It reads bytes only through
 * the cursor (util/cursor.h) or the bounded helpers below, never allocates,
 * and answers:
 *   MATCH      the bytes are this protocol (names go to `out->info`);
 *   NO         they are not, whatever follows;
 *   NEED_MORE  not enough bytes yet, or this direction is plausible and the
 *              other must decide (set `out->set_mark` to remember that).
 * A MATCH may set `out->follow` to keep seeing later bytes of the session
 * (a name not yet complete, or a TLS handshake after STARTTLS); the
 * dissector is then called again with `in->following` set and returns MATCH
 * when it has what it wants, NEED_MORE to keep following.
 */
#ifndef RS_APPID_APPID_INT_H
#define RS_APPID_APPID_INT_H

#include <stddef.h>
#include <stdint.h>

#include <rstscope/appid.h>

#include "util/cursor.h"

#define RS_L4_TCP 0x1u
#define RS_L4_UDP 0x2u

struct rs_appid_in {
    const uint8_t *data; /* this direction's bytes from its first payload byte */
    size_t len;
    const uint8_t *seg; /* the packet just received (a suffix of data, or the datagram) */
    size_t seg_len;
    uint8_t l4;        /* 6 or 17 */
    uint8_t side;      /* 0 client, 1 server */
    uint8_t pkt;       /* 1-based payload packet number of this direction */
    uint8_t mark;      /* this dissector's remembered bit */
    uint8_t peer_seen; /* the other direction has sent payload */
    uint8_t at_cap;    /* no more bytes of this direction will be shown */
    uint8_t following; /* called again after its MATCH (see above) */
    uint16_t port[2];  /* client port, server port */
};

struct rs_appid_out {
    struct rs_appid_info *info;
    uint8_t set_mark;
    uint8_t follow;     /* on MATCH: keep showing me this session */
    uint8_t also;       /* RS_APPID_ALSO_* found on top (ssl after STARTTLS) */
    uint8_t found_name; /* something was written to info */
};

typedef enum rs_appid_verdict (*rs_appid_fn)(const struct rs_appid_in *in,
                                             struct rs_appid_out *out);

struct rs_appid_dissector {
    enum rs_app app;
    uint8_t l4;        /* RS_L4_* it runs on */
    uint16_t ports[4]; /* well-known ports: tried first (0 = unused) */
    rs_appid_fn fn;
};

/* The registry (appid.c), in default try order. */
extern const struct rs_appid_dissector rs_appid_registry[];
extern const size_t rs_appid_registry_len;

/* ---- dissectors (one file each) ---- */
enum rs_appid_verdict rs_app_http(const struct rs_appid_in *in, struct rs_appid_out *out);
enum rs_appid_verdict rs_app_ssl(const struct rs_appid_in *in, struct rs_appid_out *out);
enum rs_appid_verdict rs_app_dns(const struct rs_appid_in *in, struct rs_appid_out *out);
enum rs_appid_verdict rs_app_ssh(const struct rs_appid_in *in, struct rs_appid_out *out);
enum rs_appid_verdict rs_app_smtp(const struct rs_appid_in *in, struct rs_appid_out *out);
enum rs_appid_verdict rs_app_pop3(const struct rs_appid_in *in, struct rs_appid_out *out);
enum rs_appid_verdict rs_app_imap(const struct rs_appid_in *in, struct rs_appid_out *out);
enum rs_appid_verdict rs_app_ftp(const struct rs_appid_in *in, struct rs_appid_out *out);
enum rs_appid_verdict rs_app_quic(const struct rs_appid_in *in, struct rs_appid_out *out);
enum rs_appid_verdict rs_app_ntp(const struct rs_appid_in *in, struct rs_appid_out *out);
enum rs_appid_verdict rs_app_dhcp(const struct rs_appid_in *in, struct rs_appid_out *out);
enum rs_appid_verdict rs_app_sip(const struct rs_appid_in *in, struct rs_appid_out *out);
enum rs_appid_verdict rs_app_rdp(const struct rs_appid_in *in, struct rs_appid_out *out);
enum rs_appid_verdict rs_app_smb(const struct rs_appid_in *in, struct rs_appid_out *out);
enum rs_appid_verdict rs_app_ldap(const struct rs_appid_in *in, struct rs_appid_out *out);
enum rs_appid_verdict rs_app_krb(const struct rs_appid_in *in, struct rs_appid_out *out);
enum rs_appid_verdict rs_app_snmp(const struct rs_appid_in *in, struct rs_appid_out *out);
enum rs_appid_verdict rs_app_syslog(const struct rs_appid_in *in, struct rs_appid_out *out);
enum rs_appid_verdict rs_app_mysql(const struct rs_appid_in *in, struct rs_appid_out *out);
enum rs_appid_verdict rs_app_postgresql(const struct rs_appid_in *in, struct rs_appid_out *out);
enum rs_appid_verdict rs_app_redis(const struct rs_appid_in *in, struct rs_appid_out *out);
enum rs_appid_verdict rs_app_mqtt(const struct rs_appid_in *in, struct rs_appid_out *out);
enum rs_appid_verdict rs_app_bittorrent(const struct rs_appid_in *in, struct rs_appid_out *out);
enum rs_appid_verdict rs_app_bgp(const struct rs_appid_in *in, struct rs_appid_out *out);
enum rs_appid_verdict rs_app_telnet(const struct rs_appid_in *in, struct rs_appid_out *out);
enum rs_appid_verdict rs_app_rtsp(const struct rs_appid_in *in, struct rs_appid_out *out);
enum rs_appid_verdict rs_app_vxlan(const struct rs_appid_in *in, struct rs_appid_out *out);
enum rs_appid_verdict rs_app_geneve(const struct rs_appid_in *in, struct rs_appid_out *out);
enum rs_appid_verdict rs_app_teredo(const struct rs_appid_in *in, struct rs_appid_out *out);
enum rs_appid_verdict rs_app_ayiya(const struct rs_appid_in *in, struct rs_appid_out *out);
enum rs_appid_verdict rs_app_irc(const struct rs_appid_in *in, struct rs_appid_out *out);
enum rs_appid_verdict rs_app_modbus(const struct rs_appid_in *in, struct rs_appid_out *out);

/* ---- helpers shared by the text protocols (appid_text.c) ---- */

/* 1 if either port is `p`. */
static inline int
rs_appid_port(const struct rs_appid_in *in, uint16_t p)
{
    return in->port[0] == p || in->port[1] == p;
}

/*
 * Compares the cursor's next bytes with `lit` case-insensitively without
 * consuming. Returns 1 on a full match, 0 on a mismatch, and -1 when the
 * bytes run out while still matching (a prefix: NEED_MORE).
 */
int rs_appid_lit(const struct rs_cur *c, const char *lit);

/* Length of the first line (up to, not including, CR LF or LF) if a line
 * end is within the cursor's bytes; -1 otherwise. */
long rs_appid_line_len(const struct rs_cur *c);

/* 1 if `n` bytes at the cursor contain `needle` (case-insensitive). */
int rs_appid_contains(const struct rs_cur *c, size_t n, const char *needle);

/* 1 if the k bytes of `needle` occur in p[0..n) (binary, exact). */
int rs_appid_memfind(const uint8_t *p, size_t n, const void *needle, size_t k);

/* Copies up to n bytes from the cursor (consumed) into dst (size dlen) as
 * printable ASCII, NUL-terminated, trimmed of spaces and tabs at both ends. */
void rs_appid_copy_text(struct rs_cur *c, size_t n, char *dst, size_t dlen);

/* Finds an HTTP-style header `name` (without colon) in a header block that
 * starts at the cursor (after the first line); copies its value into dst.
 * Returns 1 if found, 0 if the block ended (blank line) without it, -1 if
 * the bytes ran out first. */
int rs_appid_header(const struct rs_cur *c, const char *name, char *dst, size_t dlen);

/* TLS ClientHello/ServerHello at the cursor (a record stream): see app_ssl.c.
 * Returns MATCH, NO or NEED_MORE; fills info when complete. Used by the
 * STARTTLS followers too. */
enum rs_appid_verdict rs_appid_tls_records(const uint8_t *p, size_t n, int side,
                                           struct rs_appid_out *out, int *complete);

/* A whole ClientHello handshake message (type, uint24 length, body) without
 * a record header, e.g. reassembled from QUIC CRYPTO frames. Returns 1 when it
 * parsed whole (names merged into info where it has none), 0 otherwise. */
int rs_appid_tls_client_hello(const uint8_t *p, size_t n, struct rs_appid_info *info);

/* Follower for protocols that upgrade to TLS in place (appid_starttls.c):
 * MATCH with RS_APPID_ALSO_SSL in out->also once a client segment starts with a
 * ClientHello, NEED_MORE until then. */
enum rs_appid_verdict rs_appid_follow_tls(const struct rs_appid_in *in, struct rs_appid_out *out);

/* BER/DER: reads a tag and a definite length (X.690 §8.1.3); the child
 * cursor covers min(length, bytes left) and *full says whether the whole
 * value is present. Returns the tag, or -1 on malformed length. */
int rs_appid_ber(struct rs_cur *c, struct rs_cur *val, int *full);

#endif
