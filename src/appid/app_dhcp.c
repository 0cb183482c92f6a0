/*
 * app_dhcp.c - DHCP (RFC 2131 §2) and BOOTP with the RFC 2132 §3 magic
 * cookie 99.130.83.99 after the 236-byte fixed header; op 1 (BOOTREQUEST)
 * or 2 (BOOTREPLY), a hardware address length of at most 16.
 */
#include "appid/appid_int.h"

enum rs_appid_verdict
rs_app_dhcp(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    (void)out;
    if (in->l4 != 17 || in->len < 240)
        return RS_APPID_NO;
    const uint8_t *p = in->data;
    if ((p[0] != 1 && p[0] != 2) || p[2] > 16)
        return RS_APPID_NO;
    return p[236] == 99 && p[237] == 130 && p[238] == 83 && p[239] == 99 ? RS_APPID_MATCH
                                                                         : RS_APPID_NO;
}
