/*
 * memwarm - gives the next process warm memory: touches MIB mebibytes of
 * fresh anonymous memory (in huge pages where the kernel has them), then
 * exits, freeing it, and reports how fast the first touch was.
 *
 *   build/bench/memwarm [MIB]     (default 512)
 *
 * Why (docs/performance.md, "Fresh memory"): on this project's VM the
 * guest hands memory it has not used for a couple of seconds back to the
 * host (virtio-balloon free page reporting), and the next first touch of
 * such a page waits for the host to supply it: 0.3-0.6 GB/s where memory
 * the guest freed a moment ago is cleared at 14-15 GB/s. A one-thread
 * rstscope run on the 1M-packet capture then takes 0.45-0.55 CPU-s
 * instead of 0.31-0.33 (80 MB of peak memory), and which tool of a
 * benchmark round pays that depends on what ran before it and how long
 * ago. bench/run.sh runs this before every timed run of every tool, so
 * that all of them start from the same state: memory the guest has just
 * used and freed, as on a machine without reporting.
 *
 * Prints "memwarm: N MiB in S ms (G GB/s)"; a low G says the memory was
 * cold (handed back to the host), a high one that it was warm already.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static double
now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
    long mib = argc > 1 ? strtol(argv[1], NULL, 10) : 512;
    if (mib <= 0 || mib > 65536) {
        fprintf(stderr, "usage: memwarm [MIB]   (1..65536, default 512)\n");
        return 1;
    }
    size_t size = (size_t)mib << 20, huge = (size_t)2 << 20;
    char *m = mmap(NULL, size + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        perror("memwarm: mmap");
        return 1;
    }
    char *p = (char *)(((size_t)m + huge - 1) & ~(huge - 1));
#ifdef MADV_HUGEPAGE
    madvise(p, size, MADV_HUGEPAGE);
#endif
    double t0 = now();
    for (size_t off = 0; off < size; off += 4096)
        p[off] = 1;
    double s = now() - t0;
    printf("memwarm: %ld MiB in %.0f ms (%.2f GB/s)\n", mib, s * 1e3,
           (double)size / (s > 0 ? s : 1e-9) / 1e9);
    return 0;
}
