/*
 * app_krb.c - Kerberos V5 (RFC 4120) over UDP and TCP (TCP: a 4-byte length
 * before each message, §7.2.2).
 *
 * Messages are [APPLICATION n] SEQUENCEs (§5.4.1, §5.4.2, §5.9.1): AS-REQ 10,
 * AS-REP 11, TGS-REQ 12, TGS-REP 13, KRB-ERROR 30. Requests start with
 * pvno [1] INTEGER 5, msg-type [2]; replies and errors with pvno [0] 5,
 * msg-type [1]; msg-type must equal the application tag.
 */
#include "appid/appid_int.h"

enum rs_appid_verdict
rs_app_krb(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    (void)out;
    const uint8_t *p = in->data;
    size_t n = in->len;
    if (in->l4 == 6) {
        if (n < 4)
            return RS_APPID_NEED_MORE;
        uint32_t len = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
        if (len < 16 || len > 65536) /* high bit reserved (§7.2.2); messages are small */
            return RS_APPID_NO;
        p += 4;
        n -= 4;
    }
    if (n < 14)
        return in->l4 == 6 && !in->at_cap ? RS_APPID_NEED_MORE : RS_APPID_NO;
    struct rs_cur c = rs_cur_make(p, n);
    struct rs_cur app, seq, f, v;
    int full = 0;
    int tag = rs_appid_ber(&c, &app, &full);
    int num = tag - 0x60;
    if (!(num == 10 || num == 11 || num == 12 || num == 13 || num == 30))
        return RS_APPID_NO;
    if (rs_appid_ber(&app, &seq, &full) != 0x30)
        return RS_APPID_NO;
    int req = num == 10 || num == 12;
    /* pvno: [1] for KDC-REQ, [0] for KDC-REP and KRB-ERROR */
    if (rs_appid_ber(&seq, &f, &full) != (req ? 0xa1 : 0xa0))
        return RS_APPID_NO;
    if (rs_appid_ber(&f, &v, &full) != 0x02 || v.len != 1 || v.base[v.off] != 5)
        return RS_APPID_NO;
    if (rs_appid_ber(&seq, &f, &full) != (req ? 0xa2 : 0xa1))
        return RS_APPID_NO;
    if (rs_appid_ber(&f, &v, &full) != 0x02 || v.len != 1 || v.base[v.off] != num)
        return RS_APPID_NO;
    return RS_APPID_MATCH;
}
