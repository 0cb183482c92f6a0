/*
 * app_ldap.c - LDAP (RFC 4511 §4.1.1) over TCP and CLDAP over UDP (RFC 1798).
 *
 * LDAPMessage ::= SEQUENCE { messageID INTEGER (0..2^31-1), protocolOp
 * CHOICE of [APPLICATION n], controls [0] OPTIONAL }, BER-encoded with
 * definite lengths (RFC 4511 §5.1). The operation must be one a client sends
 * (bind, search, modify, add, delete, modDN, compare, abandon, extended) from
 * the client side and a response from the server side. An ExtendedRequest
 * naming StartTLS (1.3.6.1.4.1.1466.20037, §4.14.1) is followed for the TLS
 * handshake ("ldap_tcp,ssl").
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

static int
server_op(int tag)
{
    switch (tag) {
    case 0x61: case 0x64: case 0x65: case 0x67: case 0x69: case 0x6b:
    case 0x6d: case 0x6f: case 0x73: case 0x78: case 0x79:
        return 1;
    default:
        return 0;
    }
}

enum rs_appid_verdict
rs_app_ldap(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    if (in->following)
        return rs_appid_follow_tls(in, out);
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
    if (tag == 0x77 && in->l4 == 6 && rs_appid_contains(&op, rs_cur_left(&op),
                                                        "1.3.6.1.4.1.1466.20037"))
        out->follow = 1;
    return RS_APPID_MATCH;
}
