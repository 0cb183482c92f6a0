/*
 * app_vxlan.c - VXLAN (RFC 7348 §5) on its IANA port 4789, where Zeek's
 * tunnel analyzer looks: 8-byte header with the I flag (0x08) set, a 24-bit
 * VNI, then an inner Ethernet frame.
 */
#include "appid/appid_int.h"

enum rs_appid_verdict
rs_app_vxlan(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    (void)out;
    if (in->l4 != 17 || in->port[1] != 4789 || in->len < 8 + 14)
        return RS_APPID_NO;
    return (in->data[0] & 0x08) ? RS_APPID_MATCH : RS_APPID_NO;
}
