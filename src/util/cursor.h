/*
 * cursor.h - the one way rstscope reads untrusted bytes.
 *
 * A cursor is a (base, len, off) window with a sticky error flag. Every read
 * checks `n <= len - off` (never `off + n <= len`, which can wrap), returns 0
 * on failure and sets `err`; once set, every later read fails too, so a
 * decoder can read a whole header and test `err` once at the end. No reads go
 * through struct casts or unaligned loads: bytes are assembled explicitly in
 * network order. This is tcpdump's GET_* discipline without its longjmp.
 *
 * `rs_cur_sub` makes a child cursor over the next n bytes; a declared length
 * field can only shrink a slice, never grow it past what was captured.
 */
#ifndef RS_UTIL_CURSOR_H
#define RS_UTIL_CURSOR_H

#include <stddef.h>
#include <stdint.h>

struct rs_cur {
    const uint8_t *base;
    size_t len;
    size_t off;
    int err;
};

static inline struct rs_cur
rs_cur_make(const uint8_t *base, size_t len)
{
    struct rs_cur c = {base, len, 0, 0};
    return c;
}

static inline size_t
rs_cur_left(const struct rs_cur *c)
{
    return c->err ? 0 : c->len - c->off;
}

static inline const uint8_t *
rs_cur_ptr(const struct rs_cur *c)
{
    return c->base + c->off;
}

/* Returns 1 if n more bytes are readable; otherwise sets the error flag. */
static inline int
rs_cur_need(struct rs_cur *c, size_t n)
{
    if (c->err || n > c->len - c->off) {
        c->err = 1;
        return 0;
    }
    return 1;
}

static inline uint8_t
rs_cur_u8(struct rs_cur *c)
{
    if (!rs_cur_need(c, 1))
        return 0;
    return c->base[c->off++];
}

static inline uint16_t
rs_cur_be16(struct rs_cur *c)
{
    if (!rs_cur_need(c, 2))
        return 0;
    const uint8_t *p = c->base + c->off;
    c->off += 2;
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint16_t
rs_cur_le16(struct rs_cur *c)
{
    if (!rs_cur_need(c, 2))
        return 0;
    const uint8_t *p = c->base + c->off;
    c->off += 2;
    return (uint16_t)((unsigned)p[1] << 8 | p[0]);
}

static inline uint32_t
rs_cur_be32(struct rs_cur *c)
{
    if (!rs_cur_need(c, 4))
        return 0;
    const uint8_t *p = c->base + c->off;
    c->off += 4;
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint32_t
rs_cur_le32(struct rs_cur *c)
{
    if (!rs_cur_need(c, 4))
        return 0;
    const uint8_t *p = c->base + c->off;
    c->off += 4;
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static inline void
rs_cur_skip(struct rs_cur *c, size_t n)
{
    if (rs_cur_need(c, n))
        c->off += n;
}

/* Copies n bytes out; on failure `dst` is zeroed. */
static inline void
rs_cur_copy(struct rs_cur *c, void *dst, size_t n)
{
    uint8_t *d = dst;
    if (!rs_cur_need(c, n)) {
        for (size_t i = 0; i < n; i++)
            d[i] = 0;
        return;
    }
    for (size_t i = 0; i < n; i++)
        d[i] = c->base[c->off + i];
    c->off += n;
}

/* Child cursor over the next n bytes (consumed from the parent). */
static inline struct rs_cur
rs_cur_sub(struct rs_cur *c, size_t n)
{
    struct rs_cur s = {c->base, 0, 0, 1};
    if (!rs_cur_need(c, n))
        return s;
    s.base = c->base + c->off;
    s.len = n;
    s.err = 0;
    c->off += n;
    return s;
}

/* Peek without consuming: byte at offset `at` from the current position. */
static inline int
rs_cur_peek_u8(const struct rs_cur *c, size_t at, uint8_t *out)
{
    if (c->err || at >= c->len - c->off)
        return 0;
    *out = c->base[c->off + at];
    return 1;
}

#endif
