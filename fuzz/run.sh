#!/usr/bin/env bash
# Runs libFuzzer targets, one after the other (make fuzz calls this after
# building them with FUZZ=1):
#   fuzz/run.sh [TARGET...]        default: decode pipeline appid flow
#   FUZZ_SECONDS   time per target (default 60)
#   BUILD          where the binaries are (default build-fuzz)
#   FUZZ_ARGS      extra libFuzzer flags, e.g. "-jobs=2 -workers=2"
# New inputs go to $BUILD/corpus/TARGET (the seeds in fuzz/corpus stay as
# they are); a crash, leak, timeout or failed check leaves its input in
# $BUILD/artifacts/TARGET/ and makes the run fail. Fix it, then keep the
# input as fuzz/regressions/TARGET/<name> so make check replays it forever.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-fuzz}
secs=${FUZZ_SECONDS:-60}
[ $# -gt 0 ] || set -- decode pipeline appid flow
status=0
for t in "$@"; do
    bin=$BUILD/fuzz_$t
    [ -x "$bin" ] || { echo "fuzz: $bin not built (make fuzz builds it)"; status=1; continue; }
    case $t in
    pipeline) max_len=16384 ;;
    *) max_len=4096 ;;
    esac
    work=$BUILD/corpus/$t
    art=$BUILD/artifacts/$t
    log=$BUILD/fuzz_$t.log
    mkdir -p "$work" "$art"
    dirs=("$work" "fuzz/corpus/$t")
    [ -d "fuzz/regressions/$t" ] && dirs+=("fuzz/regressions/$t")
    echo "fuzz: $t for ${secs}s (log $log)"
    # shellcheck disable=SC2086
    "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=$max_len \
        -artifact_prefix="$art/" -print_final_stats=1 ${FUZZ_ARGS:-} "${dirs[@]}" >"$log" 2>&1
    rc=$?
    # The last status line has coverage and speed: "#N DONE cov: C ft: F corp: ... exec/s: E".
    last=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -n 1)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    echo "fuzz: $t: ${runs:-?} runs, ${eps:-?} exec/s, cov ${cov:-?}, ft ${ft:-?}, corpus $(find "$work" -type f | wc -l) files"
    if [ $rc -ne 0 ]; then
        status=1
        echo "fuzz: $t FAILED (exit $rc):"
        grep -E 'ERROR|fuzz check failed|SUMMARY|Test unit written' "$log" | head -n 10 | sed 's/^/    /'
        echo "    reproduce: $bin $art/<input>; after the fix, keep it: cp $art/<input> fuzz/regressions/$t/"
    fi
done
exit $status
