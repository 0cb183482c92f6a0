/*
 * app_ldap.c - LDAP (RFC 4511 §4.1.1) over TCP and CLDAP over UDP (RFC 1798).
 *
 * LDAPMessage ::= SEQUENCE { messageID INTEGER (0..2^31-1), protocolOp
 * CHOICE of [APPLICATION n], controls [0] OPTIONAL }, BER-encoded with
 * definite lengths (RFC 4511 §5.1). The operation must be one a client sends
 * (bind, search, modify, add, delete, modDN, compare, abandon, extended) from
 * the client side and a response from the server side.
 *
 * Over TCP the client's later messages are followed: a TLS handshake after
 * the StartTLS ExtendedRequest (1.3.6.1.4.1.1466.20037, §4.14.1) adds "ssl";
 * a SASL bind (RFC 4513 §5.2) with the GSSAPI or GSS-SPNEGO mechanism adds
 * "gssapi", and a Kerberos V5 mechanism token inside it (RFC 4121 §4.1, OID
 * 1.2.840.113554.1.2.2 or Microsoft's 1.2.840.48018.1.2.2) adds "krb", an
 * NTLMSSP token "ntlm": the services Zeek's analyzers confirm there.
 */
#include "appid/appid_int.h"

/* [APPLICATION n] tags a client sends (RFC 4511 §4.2-§4.12, §4.14). */
static int
client_op(int tag)
{
    switch (tag) {
    case 0x60: /* bindRequest */
    case 0x42: /* unbindRequest */
    case 0x63: /* searchRequest */
    case 0x66: /* modifyRequest */
    case 0x68: /* addRequest */
    case 0x4a: /* delRequest */
    case 0x6c: /* modDNRequest */
    case 0x6e: /* compareRequest */
    case 0x50: /* abandonRequest */
    case 0x77: /* extendedReq */
        return 1;
    default:
        return 0;
    }
}

/* Responses (RFC 4511 §4.2-§4.14): bind, searchResEntry/Done/Ref, modify,
 * add, del, modDN, compare, extended, intermediate. */
static int
server_op(int tag)
{
    static const uint8_t ops[] = {0x61, 0x64, 0x65, 0x67, 0x69, 0x6b, 0x6d, 0x6f, 0x73, 0x78, 0x79};
    for (size_t i = 0; i < sizeof ops; i++)
        if (tag == ops[i])
            return 1;
    return 0;
}

/* SASL credentials in a client segment: sets out->also bits, 1 if any. */
static int
sasl(const uint8_t *p, size_t n, struct rs_appid_out *out)
{
    static const uint8_t spnego[] = {0x04, 0x0a, 'G', 'S', 'S', '-', 'S', 'P', 'N', 'E', 'G', 'O'};
    static const uint8_t gssapi[] = {0x04, 0x06, 'G', 'S', 'S', 'A', 'P', 'I'};
    static const uint8_t krb5[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                   0xf7, 0x12, 0x01, 0x02, 0x02};
    static const uint8_t mskrb5[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x82,
                                     0xf7, 0x12, 0x01, 0x02, 0x02};
    static const uint8_t ntlm[] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};
    if (!rs_appid_memfind(p, n, spnego, sizeof spnego) &&
        !rs_appid_memfind(p, n, gssapi, sizeof gssapi))
        return 0;
    out->also |= RS_APPID_ALSO_GSSAPI;
    if (rs_appid_memfind(p, n, krb5, sizeof krb5) || rs_appid_memfind(p, n, mskrb5, sizeof mskrb5))
        out->also |= RS_APPID_ALSO_KRB;
    if (rs_appid_memfind(p, n, ntlm, sizeof ntlm))
        out->also |= RS_APPID_ALSO_NTLM;
    return 1;
}

enum rs_appid_verdict
rs_app_ldap(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    if (in->following) {
        if (in->side == 0 && sasl(in->seg, in->seg_len, out))
            return RS_APPID_MATCH;
        return rs_appid_follow_tls(in, out);
    }
    struct rs_cur c = rs_cur_make(in->data, in->len);
    if (in->len < 8)
        return in->len && in->data[0] != 0x30 ? RS_APPID_NO : RS_APPID_NEED_MORE;
    struct rs_cur msg, id, op;
    int full = 0, f2 = 0, f3 = 0;
    if (rs_appid_ber(&c, &msg, &full) != 0x30)
        return RS_APPID_NO;
    if (rs_appid_ber(&msg, &id, &f2) != 0x02 || !f2 || id.len < 1 || id.len > 4)
        return RS_APPID_NO;
    if (id.base[id.off] & 0x80)
        return RS_APPID_NO; /* messageID is non-negative */
    int tag = rs_appid_ber(&msg, &op, &f3);
    if (tag < 0)
        return msg.err && !in->at_cap ? RS_APPID_NEED_MORE : RS_APPID_NO;
    if (!(in->side == 0 ? client_op(tag) : server_op(tag)))
        return RS_APPID_NO;
    if (tag == 0x60) {
        /* BindRequest: version INTEGER (1..127), 3 in practice */
        struct rs_cur ver;
        int f4 = 0;
        if (rs_cur_left(&op) >= 3 && (rs_appid_ber(&op, &ver, &f4) != 0x02 || ver.len != 1 ||
                                      ver.base[ver.off] < 1 || ver.base[ver.off] > 3))
            return RS_APPID_NO;
    }
    if (in->side == 0 && tag == 0x60 && sasl(in->data, in->len, out))
        return RS_APPID_MATCH;
    if (in->l4 == 6)
        out->follow = 1; /* StartTLS or a SASL bind may come next */
    return RS_APPID_MATCH;
}
