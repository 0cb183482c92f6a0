/*
 * replay.c - a main() for the fuzz targets built with the normal compiler:
 * feeds every file named on the command line (directories are walked one
 * level deep, entries in name order) to LLVMFuzzerTestOneInput, once each.
 *
 * This is what `make check` and CI run: the seed corpora and every input in
 * fuzz/regressions/ go through exactly the entry point libFuzzer calls, so a
 * fixed crash stays fixed without clang or libFuzzer on the machine. Each
 * input is copied into a buffer of exactly its size, so under SAN=1 a read
 * one byte past the end is reported as libFuzzer would.
 *
 *   replay_decode fuzz/corpus/decode fuzz/regressions/decode
 *   replay_pipeline -p fuzz/corpus/pipeline/sweep-*
 *
 * -p also replays every prefix of each input (the truncation sweep: an
 * input cut at every byte), for the files named after it.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs larger than this are not fuzz inputs (libFuzzer's -max_len is far smaller). */
#define REPLAY_MAX_INPUT ((size_t)16 * 1024 * 1024)

static int prefixes; /* -p */
static long runs;

static void
run_one(const uint8_t *buf, size_t n)
{
    /* Exactly n bytes, so that reading past the input is caught. */
    uint8_t *exact = malloc(n ? n : 1);
    if (!exact)
        return;
    memcpy(exact, buf, n);
    runs++;
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
}

static int
replay_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, fp);
        n += got;
        if (n < cap)
            break;
        if (cap >= REPLAY_MAX_INPUT) {
            fprintf(stderr, "replay: %s: larger than %zu bytes\n", path, REPLAY_MAX_INPUT);
            free(buf);
            fclose(fp);
            return -1;
        }
        uint8_t *nb = realloc(buf, cap * 2);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    int bad = !buf || ferror(fp);
    fclose(fp);
    if (bad) {
        fprintf(stderr, "replay: %s: read failed\n", path);
        free(buf);
        return -1;
    }
    if (prefixes)
        for (size_t k = 0; k < n; k++)
            run_one(buf, k);
    run_one(buf, n);
    free(buf);
    return 0;
}

static int
by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replays every regular file in dir; returns the count, -1 on error. */
static long
replay_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn)
                break;
            names = nn;
        }
        size_t len = strlen(dir) + strlen(de->d_name) + 2;
        names[n] = malloc(len);
        if (!names[n])
            break;
        snprintf(names[n], len, "%s/%s", dir, de->d_name);
        n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, by_name);
    long count = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
            if (replay_file(names[i]) < 0)
                count = -1;
            else if (count >= 0)
                count++;
        }
        free(names[i]);
    }
    free(names);
    return count;
}

int
main(int argc, char **argv)
{
    long total = 0;
    int failed = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-p") == 0) {
            prefixes = 1;
            continue;
        }
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            /* A target without regressions yet has no directory: that is fine. */
            if (errno == ENOENT)
                continue;
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
            failed = 1;
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            long n = replay_dir(argv[i]);
            if (n < 0)
                failed = 1;
            else
                total += n;
        } else if (replay_file(argv[i]) < 0) {
            failed = 1;
        } else {
            total++;
        }
    }
    printf("replayed %ld inputs (%ld runs)\n", total, runs);
    return failed;
}
