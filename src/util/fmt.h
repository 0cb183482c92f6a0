/*
 * fmt.h - snprintf without stdio for the formats records are written with
 * (internal; see fmt.c for what it handles itself).
 */
#ifndef RS_UTIL_FMT_H
#define RS_UTIL_FMT_H

#include <stdarg.h>
#include <stddef.h>

/* As snprintf and vsnprintf: the same bytes, the same return value. */
int rs_fmt(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int rs_vfmt(char *buf, size_t size, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

#endif
