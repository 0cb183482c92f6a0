/*
 * memlat - the machine's memory latency by working-set size: a dependent
 * pointer chase over a random cyclic permutation of 64-byte lines, so every
 * load waits for the one before (no prefetcher can guess the next line).
 *
 *   build/bench/memlat [MAX_MIB]     (default 256)
 *
 * Prints ns per load for 16 KiB .. MAX_MIB, with 4 KiB pages and with
 * transparent huge pages asked for (MADV_HUGEPAGE). docs/performance.md
 * uses it to tell which session-table sizes stay in cache on a machine.
 */
#include <stdint.h>
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

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t
next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static double
chase(size_t size, int huge)
{
    size_t n = size / 64;
    size_t *a = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    size_t *perm = malloc(n * sizeof *perm);
    if (a == MAP_FAILED || !perm) {
        fprintf(stderr, "memlat: out of memory\n");
        exit(1);
    }
    madvise(a, size, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)(next_rand() % (i + 1)), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (size_t i = 0; i < n; i++)
        a[perm[i] * 8] = perm[(i + 1) % n] * 8;
    free(perm);
    size_t p = 0;
    long iters = 4000000;
    double t0 = now();
    for (long i = 0; i < iters; i++)
        p = a[p];
    double ns = (now() - t0) / (double)iters * 1e9;
    if (p == SIZE_MAX)
        puts(""); /* keeps the chase */
    munmap(a, size);
    return ns;
}

int
main(int argc, char **argv)
{
    size_t max = (size_t)(argc > 1 ? atol(argv[1]) : 256) << 20;
    printf("%10s %12s %12s\n", "size", "4K ns/load", "THP ns/load");
    for (size_t s = 16 << 10; s <= max; s *= 4)
        printf("%8zu K %12.1f %12.1f\n", s >> 10, chase(s, 0), chase(s, 1));
    return 0;
}
