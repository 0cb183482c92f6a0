/*
 * app_smb.c - SMB1/2/3 over NetBIOS session service (RFC 1002 §4.3) or
 * direct TCP ([MS-SMB2] 2.1): a 4-byte header (type 0 SESSION MESSAGE and a
 * length) then the protocol id 0xFF 'SMB' (SMB1, [MS-CIFS] 2.2.3.1),
 * 0xFE 'SMB' (SMB2/3) or 0xFD 'SMB' (SMB3 transform). A NetBIOS session
 * request (type 0x81) on port 139 waits for the SMB that follows.
 */
#include "appid/appid_int.h"

enum rs_appid_verdict
rs_app_smb(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    (void)out;
    if (in->l4 != 6 || in->len == 0)
        return in->len == 0 ? RS_APPID_NEED_MORE : RS_APPID_NO;
    const uint8_t *p = in->data;
    if ((p[0] == 0x81 || p[0] == 0x82 || p[0] == 0x83 || p[0] == 0x85) && rs_appid_port(in, 139))
        return RS_APPID_NEED_MORE; /* session request/response/keepalive */
    if (p[0] != 0)
        return RS_APPID_NO;
    if (in->len < 8)
        return RS_APPID_NEED_MORE;
    uint32_t len = (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    if (len < 32 || len > 0x00ffffffu)
        return RS_APPID_NO;
    if ((p[4] == 0xff || p[4] == 0xfe || p[4] == 0xfd) && p[5] == 'S' && p[6] == 'M' && p[7] == 'B')
        return RS_APPID_MATCH;
    return RS_APPID_NO;
}
