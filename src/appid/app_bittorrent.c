/*
 * app_bittorrent.c - BitTorrent peer wire protocol (BEP 3) and the DHT
 * (BEP 5).
 *
 * TCP: both peers open with the handshake: the byte 19 and the string
 * "BitTorrent protocol". UDP: DHT KRPC messages are bencoded dictionaries
 * starting "d1:ad2:id20:" (query) or "d1:rd2:id20:" (response).
 */
#include <string.h>

#include "appid/appid_int.h"

static const char handshake[] = "\x13"
                                "BitTorrent protocol";

enum rs_appid_verdict
rs_app_bittorrent(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    (void)out;
    const uint8_t *p = in->data;
    size_t n = in->len;
    if (in->l4 == 6) {
        size_t k = sizeof handshake - 1;
        size_t m = n < k ? n : k;
        if (memcmp(p, handshake, m) != 0)
            return RS_APPID_NO;
        return n < k ? RS_APPID_NEED_MORE : RS_APPID_MATCH;
    }
    static const char q[] = "d1:ad2:id20:", r[] = "d1:rd2:id20:";
    size_t k = sizeof q - 1;
    if (n < k)
        return RS_APPID_NO; /* one datagram: no more of it will come */
    return memcmp(p, q, k) == 0 || memcmp(p, r, k) == 0 ? RS_APPID_MATCH : RS_APPID_NO;
}
