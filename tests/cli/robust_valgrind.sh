#!/usr/bin/env bash
# Memcheck over the golden and example captures and a few damaged ones
# (tests/tools/gen_damaged): no invalid read or write, no use of
# uninitialised memory, no definite leak, with every output format. Skipped
# when valgrind is missing, and under make check SAN=1 (valgrind cannot run
# an ASan binary; the sanitizers cover that build).
set -u
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
command -v valgrind >/dev/null || { echo "skipped: valgrind not installed (apt-get install valgrind)"; exit 77; }
case "$BUILD" in *san*) echo "skipped: valgrind does not run ASan builds (SAN=1 checks these)"; exit 77 ;; esac

# (add --track-origins=yes by hand to find where an uninitialised value came from)
vg=(valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite)
# check WANT_EXIT ARGS...: one run under memcheck.
check() {
    local want=$1
    shift
    timeout 300 "${vg[@]}" "$RSTSCOPE" "$@" >"$d/out" 2>"$d/err"
    local rc=$?
    [ $rc -eq 99 ] && fail "memcheck errors in: rstscope $*: $(grep '^==' "$d/err" | head -n 30)"
    [ $rc -eq "$want" ] || fail "rstscope $*: exit $rc under valgrind, want $want: $(tail -n 5 "$d/err")"
    n=$((n + 1))
}

n=0
"$TOOLS/gen_damaged" "$d" || fail "gen_damaged"
for f in "$TOP"/examples/*.pcap "$TOP"/tests/golden/*.pcap; do
    [ -f "$f" ] || continue
    check 0 analyze --format=jsonl "$f"
done
ex="$TOP/examples/loopback-resets.pcap"
check 0 analyze --format=table --explain "$ex"
check 0 analyze --format=csv --profile=zeek --checksums=verify "$ex"
check 0 analyze --format=zeek --filter='tcp' "$ex"
check 0 analyze --format=jsonl --max-sessions=2 "$ex" "$d/good.pcapng"
for c in good.pcapng huge-caplen.pcap zero-length.pcap random-frames.pcap header-then-random.pcap \
    ng-trailer.pcapng ng-two-links.pcapng ng-then-random.pcapng; do
    check 0 analyze --format=jsonl "$d/$c"
done
check 2 analyze "$d/random.pcap"
check 2 analyze "$d/ng-bad-bom.pcapng"
check 0 analyze --format=jsonl - <"$d/good.pcap"
echo "$n runs clean under memcheck"
echo ok
