#!/usr/bin/env bash
# The threaded pipeline under ThreadSanitizer (make check-tsan): the unit
# test of rs_parallel (2-4 threads, records and worker-formatted bytes), the
# capture tests (a compressed capture's decompressing thread), then
# `analyze --threads` in every record-by-record format on a generated
# capture of interleaved sessions. A data race makes TSan print a report
# and exit non-zero. Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
B=${1:-build-tsan}
pass=0 fail=0
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 ${TSAN_OPTIONS:-}"

# Some kernels give mappings TSan cannot shadow (high ASLR entropy); without
# address randomisation it then runs. Neither: say so and stop.
run=()
if ! "$B/tests/test_parallel" >"$d/probe" 2>&1 && grep -q "unexpected memory mapping" "$d/probe"; then
    if command -v setarch >/dev/null && setarch "$(uname -m)" -R true 2>/dev/null; then
        run=(setarch "$(uname -m)" -R)
    else
        echo "skipped: ThreadSanitizer cannot map its shadow memory on this kernel"
        echo "0 passed, 0 failed"
        exit 0
    fi
fi

check() { # name command...
    local name=$1
    shift
    if "${run[@]}" "$@" >"$d/out" 2>&1; then
        pass=$((pass + 1)); echo "ok   $name"
    else
        fail=$((fail + 1)); echo "FAIL $name"; grep -A12 "WARNING: ThreadSanitizer" "$d/out" | head -40
        tail -n 5 "$d/out"
    fi
}

check test_parallel "$B/tests/test_parallel"
# the capture readers' threads: the decompressing thread of a gzip or zstd
# capture, pipe writers, followers sharing a reader's blocks
check test_capture "$B/tests/test_capture"
"$B/tools/gen_bench" -n 20000 -c 400 -r 25000 -s 9 -o "$d/b.pcap" 2>/dev/null || { echo "FAIL gen_bench"; exit 1; }
for fmt in jsonl csv zeek panos table; do
    for t in 2 3; do
        check "analyze --threads=$t --format=$fmt" \
            "$B/rstscope" analyze --threads=$t --format=$fmt -q -o /dev/null "$d/b.pcap"
    done
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
