/*
 * corpus_walk.h - every file of a directory tree, for the tests that run
 * over the shared corpus (../shared/corpus beside the repository; a test
 * skips when the walk finds nothing). Header-only.
 */
#ifndef RS_TESTS_CORPUS_WALK_H
#define RS_TESTS_CORPUS_WALK_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

/* Called for each file that is not a directory; returns what it counted. */
typedef uint64_t (*corpus_file_fn)(const char *path, const char *name, const struct stat *st,
                                   void *ctx);

static uint64_t
corpus_walk_depth(const char *dir, int depth, corpus_file_fn fn, void *ctx)
{
    uint64_t n = 0;
    DIR *d = depth < 6 ? opendir(dir) : NULL;
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            n += corpus_walk_depth(path, depth + 1, fn, ctx);
        else
            n += fn(path, e->d_name, &st, ctx);
    }
    closedir(d);
    return n;
}

/* fn over every file under dir, six directories deep at most (dot entries
 * skipped); the sum of what fn returned. */
static inline uint64_t
corpus_walk(const char *dir, corpus_file_fn fn, void *ctx)
{
    return corpus_walk_depth(dir, 0, fn, ctx);
}

/* The first 4 bytes of a file as a little-endian number (a capture's
 * magic), or 0 when it has fewer. */
static inline uint32_t
corpus_magic(const char *path)
{
    uint8_t m[4];
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t got = fread(m, 1, 4, f);
    fclose(f);
    if (got != 4)
        return 0;
    return (uint32_t)m[0] | (uint32_t)m[1] << 8 | (uint32_t)m[2] << 16 | (uint32_t)m[3] << 24;
}

#endif
