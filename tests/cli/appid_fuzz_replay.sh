#!/usr/bin/env bash
# Replays fuzz/corpus/appid (seeds and past crashes) through fuzz/fuzz_appid.c
# without libFuzzer: a small driver calls LLVMFuzzerTestOneInput on each file.
# Under `make check SAN=1` the library is built with ASan/UBSan, so a
# regression shows up here as well as in a fuzzing run.
set -u
TOP=${TOP:-.}
BUILD=${BUILD:-build}
corpus="$TOP/fuzz/corpus/appid"
[ -d "$corpus" ] || { echo "skipped: no $corpus"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/driver.c" <<'EOF'
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int
main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f)
            return 2;
        static uint8_t buf[1 << 20];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        uint8_t *p = malloc(n ? n : 1); /* exact size, so ASan sees over-reads */
        if (!p)
            return 2;
        for (size_t k = 0; k < n; k++)
            p[k] = buf[k];
        LLVMFuzzerTestOneInput(p, n);
        free(p);
    }
    printf("%d inputs replayed\n", argc - 1);
    return 0;
}
EOF
san=""
case "$BUILD" in *san*) san="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" ;; esac
# shellcheck disable=SC2086
${CC:-cc} -std=c11 -D_DEFAULT_SOURCE -g -O1 $san -I"$TOP/include" -I"$TOP/src" \
    "$TOP/fuzz/fuzz_appid.c" "$tmp/driver.c" "$TOP/$BUILD/librstscope.a" -lpcap -lm \
    -o "$tmp/replay" || { echo "could not build the replay driver"; exit 1; }
"$tmp/replay" "$corpus"/*
