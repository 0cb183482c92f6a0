/*
 * app_snmp.c - SNMP v1 (RFC 1157 §4), v2c (RFC 1901) and v3 (RFC 3412 §6).
 *
 * Message ::= SEQUENCE { version INTEGER (0 | 1 | 3), ... }: v1/v2c go on
 * with community OCTET STRING and a PDU with a context tag 0xA0-0xA8
 * (RFC 3416 §3); v3 with msgGlobalData SEQUENCE.
 */
#include "appid/appid_int.h"

enum rs_appid_verdict
rs_app_snmp(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    (void)out;
    struct rs_cur c = rs_cur_make(in->data, in->len);
    struct rs_cur msg, ver, x;
    int full = 0;
    if (rs_appid_ber(&c, &msg, &full) != 0x30 || !full)
        return RS_APPID_NO;
    if (rs_appid_ber(&msg, &ver, &full) != 0x02 || ver.len != 1)
        return RS_APPID_NO;
    uint8_t v = ver.base[ver.off];
    if (v == 3)
        return rs_appid_ber(&msg, &x, &full) == 0x30 ? RS_APPID_MATCH : RS_APPID_NO;
    if (v > 1)
        return RS_APPID_NO;
    if (rs_appid_ber(&msg, &x, &full) != 0x04 || !full)
        return RS_APPID_NO;
    int pdu = rs_appid_ber(&msg, &x, &full);
    return pdu >= 0xa0 && pdu <= 0xa8 ? RS_APPID_MATCH : RS_APPID_NO;
}
