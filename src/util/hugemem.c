/*
 * hugemem.c - large arrays in transparent huge pages (see hugemem.h).
 */
#include <stdint.h>
#include <sys/mman.h>

#include "util/hugemem.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25 /* Linux 6.1 */
#endif

static void *
huge_map(size_t size, size_t small_head)
{
    if (size == 0 || size > SIZE_MAX - RS_HUGE_PAGE)
        return NULL;
    size_t span = size + RS_HUGE_PAGE;
    uint8_t *m = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    uint8_t *p = m + ((RS_HUGE_PAGE - ((uintptr_t)m & (RS_HUGE_PAGE - 1))) & (RS_HUGE_PAGE - 1));
    size_t page = 4096, end = ((size + page - 1) & ~(page - 1));
    if (p > m)
        munmap(m, (size_t)(p - m));
    if (m + span > p + end)
        munmap(p + end, (size_t)(m + span - (p + end)));
#ifdef MADV_HUGEPAGE
    /* Hints: without THP this is plain memory. */
    if (small_head > end)
        small_head = end;
    if (small_head)
        madvise(p, small_head, MADV_NOHUGEPAGE);
    if (end > small_head)
        madvise(p + small_head, end - small_head, MADV_HUGEPAGE);
#endif
    return p;
}

void *
rs_huge_alloc(size_t size)
{
    return huge_map(size, 0);
}

void *
rs_huge_alloc_lazy(size_t size)
{
    return huge_map(size, RS_HUGE_PAGE);
}

void
rs_huge_promote_head(void *p)
{
#ifdef MADV_HUGEPAGE
    if (p && madvise(p, RS_HUGE_PAGE, MADV_HUGEPAGE) == 0)
        madvise(p, RS_HUGE_PAGE, MADV_COLLAPSE);
#else
    (void)p;
#endif
}

void
rs_huge_free(void *p, size_t size)
{
    if (p)
        munmap(p, (size + 4095) & ~(size_t)4095);
}
