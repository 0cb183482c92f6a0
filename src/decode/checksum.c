/*
 * checksum.c - the Internet checksum (RFC 1071).
 *
 * The one's complement sum does not depend on byte order (RFC 1071 §2(B)),
 * so the bytes are summed as native 32-bit words in a 64-bit accumulator
 * (memcpy, no unaligned loads) and the folded result is brought to network
 * order once at the end.
 */
#include <string.h>

#include "decode/decode_int.h"

static uint32_t
fold(uint64_t s)
{
    while (s >> 16)
        s = (s & 0xffffu) + (s >> 16);
    return (uint32_t)s;
}

/*
 * `initial` is a partial sum of 16-bit big-endian words (a pseudo-header),
 * unfolded. Returns the checksum of the data: over a header that includes
 * its own checksum field, 0 means the checksum is right; with that field
 * zeroed, the value to store in it.
 */
uint16_t
rs_inet_checksum(const uint8_t *data, size_t len, uint32_t initial)
{
    uint64_t s = 0;
    size_t i = 0;
    for (; len - i >= 8; i += 8) {
        uint64_t w;
        memcpy(&w, data + i, 8);
        s += (w & 0xffffffffu) + (w >> 32);
    }
    for (; len - i >= 2; i += 2) {
        uint16_t w;
        memcpy(&w, data + i, 2);
        s += w;
    }
    if (i < len) {
        uint8_t last[2] = {data[i], 0};
        uint16_t w;
        memcpy(&w, last, 2);
        s += w;
    }
    uint32_t v = fold(s);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = ((v & 0xffu) << 8) | (v >> 8);
#endif
    return (uint16_t)~fold((uint64_t)v + initial);
}
