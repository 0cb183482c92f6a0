/*
 * hugemem.h - large arrays in transparent huge pages (internal).
 *
 * On the machine this project is measured on (a PVM guest, shadow paging)
 * the first touch of a small page costs 10-20 us: a 1M-packet run took
 * 6,755 page faults, 70-130 ms of its 700, nearly all of them first
 * touches of session slots, App-ID names, diagnosis pool entries and hash
 * buckets. A 2 MiB huge page costs one fault for 512 small ones (64 MiB
 * touched page by page: 160-360 ms with small pages, 7 ms in huge pages
 * once the host has the memory). THP is usually in "madvise" mode, so
 * memory that should get huge pages must ask for it: these mappings start
 * on a 2 MiB boundary and are marked MADV_HUGEPAGE.
 */
#ifndef RS_UTIL_HUGEMEM_H
#define RS_UTIL_HUGEMEM_H

#include <stddef.h>

#define RS_HUGE_PAGE ((size_t)2 << 20)

/* n rounded up to whole huge pages. */
static inline size_t
rs_huge_round(size_t n)
{
    return (n + RS_HUGE_PAGE - 1) & ~(RS_HUGE_PAGE - 1);
}

/*
 * Zeroed memory for `size` bytes, starting on a 2 MiB boundary, mapped to
 * the next 4 KiB (so a size that is a multiple of RS_HUGE_PAGE is made of
 * huge pages only; a shorter tail gets small pages, faulted as touched).
 * NULL if the system has no memory for it.
 */
void *rs_huge_alloc(size_t size);
/*
 * Like rs_huge_alloc, but the first huge page is kept to small pages (also
 * when THP is "always") until rs_huge_promote_head: for an array most runs
 * only begin to fill. One session of a small capture then costs the pages
 * it touches, not 2 MiB; a run that goes on to fill it promotes the head
 * early and gets one huge page for it.
 */
void *rs_huge_alloc_lazy(size_t size);
/* Turns the first huge page of a rs_huge_alloc_lazy array into a huge page
 * (MADV_COLLAPSE copies the small pages touched so far; a kernel without it
 * leaves them and gives huge pages to nothing more in that range). */
void rs_huge_promote_head(void *p);
/* Frees what rs_huge_alloc(size) returned (NULL is fine). */
void rs_huge_free(void *p, size_t size);

#endif
