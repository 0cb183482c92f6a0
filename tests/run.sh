#!/usr/bin/env bash
# Runs every test and ends with "N passed, N failed".
#   unit tests:  $BUILD/tests/test_* (cmocka; each case counts)
#   cli tests:   tests/cli/*.sh (each script is one case; exit 77 = skipped)
# Optional argument: a substring; only tests whose name contains it run.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD RSTSCOPE="$PWD/$BUILD/rstscope" TOOLS="$PWD/$BUILD/tools" TOP="$PWD"
only=${1:-}
pass=0 fail=0 skip=0
failed_names=()
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    [ -n "$only" ] && [[ $name != *"$only"* ]] && continue
    out="$log/$name.out"
    "$t" >"$out" 2>&1
    rc=$?
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | awk '{s+=$1} END{print s+0}')
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | awk '{s+=$1} END{print s+0}')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi  # crashed before the summary
    pass=$((pass + p)); fail=$((fail + f))
    if [ "$f" -gt 0 ]; then
        failed_names+=("$name"); echo "FAIL $name"; grep -E '^\[  (ERROR|FAILED) |^\[   LINE   \]|error|Assertion' "$out" | head -20
    else
        echo "ok   $name ($p cases)"
    fi
done

# Scripts marked "# san: once" drive real sockets or external programs
# end to end; they run in the normal build and are not repeated under the
# sanitizers (SAN=1 builds into build-san), which keeps CI short.
for t in tests/cli/*.sh; do
    [ -f "$t" ] || continue
    name=$(basename "$t" .sh)
    [ -n "$only" ] && [[ $name != *"$only"* ]] && continue
    if [[ $BUILD == *san* ]] && grep -q '^# san: once' "$t"; then
        echo "once $name (run by the normal build)"
        continue
    fi
    out="$log/$name.out"
    t0=$SECONDS
    bash "$t" >"$out" 2>&1
    rc=$?
    dt=$((SECONDS - t0))
    if [ "$rc" -eq 0 ]; then
        pass=$((pass + 1)); echo "ok   $name (${dt}s)"
    elif [ "$rc" -eq 77 ]; then
        skip=$((skip + 1)); echo "skip $name: $(tail -n 1 "$out")"
    else
        fail=$((fail + 1)); failed_names+=("$name"); echo "FAIL $name (exit $rc)"; tail -n 25 "$out" | sed 's/^/    /'
    fi
done

[ "${#failed_names[@]}" -gt 0 ] && echo "failed: ${failed_names[*]}"
[ "$skip" -gt 0 ] && echo "$skip skipped"
total=$((pass + fail))
if [ "$total" -eq 0 ]; then echo "no tests ran"; echo "0 passed, 1 failed"; exit 1; fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
