/*
 * str.h - small string helpers (internal).
 *
 * rs_str_copy is what `snprintf(dst, cap, "%s", src)` does, without the
 * format machinery: a record is built for every session, and half a dozen
 * such copies through vfprintf cost more instructions than the packets of
 * a short session.
 */
#ifndef RS_UTIL_STR_H
#define RS_UTIL_STR_H

#include <stddef.h>
#include <string.h>

/* Copies src into dst[cap], truncated and always terminated (cap > 0);
 * returns the length copied. */
static inline size_t
rs_str_copy(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
    return n;
}

#endif
