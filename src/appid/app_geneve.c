/*
 * app_geneve.c - Geneve (RFC 8926 §3.4) on port 6081: version 0, option
 * length in 4-byte words, a protocol type (an EtherType: 0x6558 for
 * Ethernet, or the payload's own such as IPv4 or ARP), and the options
 * within the datagram.
 */
#include "appid/appid_int.h"

enum rs_appid_verdict
rs_app_geneve(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    (void)out;
    if (in->l4 != 17 || in->port[1] != 6081 || in->len < 8)
        return RS_APPID_NO;
    const uint8_t *p = in->data;
    unsigned ver = p[0] >> 6, optlen = (p[0] & 0x3fu) * 4u;
    unsigned ptype = (unsigned)p[2] << 8 | p[3];
    if (ver != 0 || 8u + optlen > in->len)
        return RS_APPID_NO;
    return ptype >= 0x0600 ? RS_APPID_MATCH : RS_APPID_NO; /* an EtherType (IEEE 802.3 §3.2.6) */
}
