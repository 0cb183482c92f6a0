#!/usr/bin/env bash
# Replays every fuzz seed (fuzz/corpus/TARGET) and every input that once broke
# a target (fuzz/regressions/TARGET) through that target's
# LLVMFuzzerTestOneInput, built with the normal compiler by make check as
# $BUILD/fuzz/replay_TARGET (fuzz/replay.c is its main); under make check
# SAN=1 it runs with ASan + UBSan. No clang or libFuzzer needed: this is the
# part of fuzzing that CI runs on every change. The pipeline's sweep-* seeds
# (small captures through each reader) also run cut at every byte: the
# truncation sweep, in-process, so that it is affordable under ASan.
set -u
cd "$TOP" || exit 1
n=0
for bin in "$BUILD"/fuzz/replay_*; do
    [ -x "$bin" ] || continue
    t=${bin##*/replay_}
    # The pipeline's sweep-* seeds are also replayed cut at every byte.
    sweep=()
    [ "$t" = pipeline ] && sweep=(-p fuzz/corpus/pipeline/sweep-*)
    out=$("$bin" "fuzz/corpus/$t" "fuzz/regressions/$t" "${sweep[@]}" 2>&1)
    rc=$?
    if [ $rc -ne 0 ]; then
        echo "FAIL: fuzz target $t (exit $rc):"
        tail -n 30 <<<"$out"
        exit 1
    fi
    echo "$t: $out"
    grep -q '^replayed [1-9]' <<<"$out" || { echo "FAIL: $t: no inputs in fuzz/corpus/$t"; exit 1; }
    n=$((n + 1))
done
[ $n -gt 0 ] || { echo "no replay binaries in $BUILD/fuzz (make check builds them)"; exit 77; }
echo ok
