/*
 * seq.h - TCP sequence-number arithmetic (RFC 9293 §3.4, RFC 1982 serial
 * arithmetic): comparisons modulo 2^32, as Linux's before()/after().
 */
#ifndef RS_TCP_SEQ_H
#define RS_TCP_SEQ_H

#include <stdint.h>

/* Signed distance a - b in sequence space. */
static inline int32_t
rs_seq_delta(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b);
}

static inline int
rs_seq_before(uint32_t a, uint32_t b)
{
    return rs_seq_delta(a, b) < 0;
}

static inline int
rs_seq_after(uint32_t a, uint32_t b)
{
    return rs_seq_delta(a, b) > 0;
}

/* lo <= s <= hi in sequence space. */
static inline int
rs_seq_between(uint32_t s, uint32_t lo, uint32_t hi)
{
    return hi - lo >= s - lo;
}

#endif
