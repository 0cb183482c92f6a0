/*
 * fuzz_check.h - FUZZ_CHECK(cond): the invariant checks of the fuzz targets.
 *
 * A failed check prints the condition and its line before abort(), so the
 * report names the broken invariant even when the compiler has merged every
 * abort() call of a function into one (it does at -O2).
 */
#ifndef RS_FUZZ_CHECK_H
#define RS_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #cond);          \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
