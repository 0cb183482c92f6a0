#!/usr/bin/env bash
# san: once
# The lookahead's prefetches must survive the optimiser. The prefetch-only
# functions have no side effect to GCC's interprocedural analysis, which
# marked them pure and, with link-time optimisation, deleted every call
# (src/flow/flow.h, rs_prefetch_keep): nothing failed, the engine only got
# 30-40% slower. Callgrind counts the instructions the shipped binary runs
# in each function: on a capture of sessions that each send several packets,
# nearly every frame's session is prefetched ahead of it (about 50
# instructions a call), and a deleted call runs none.
set -u
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
command -v valgrind >/dev/null || { echo "SKIP: valgrind not installed"; exit 77; }
command -v callgrind_annotate >/dev/null || { echo "SKIP: callgrind_annotate not installed"; exit 77; }
case "$BUILD" in *san*) echo "SKIP: the sanitizer build is not the shipped one"; exit 77 ;; esac

"$TOOLS/gen_bench" -n 20000 -c 200 -r 500 -s 3 -o "$d/b.pcap" 2>/dev/null || fail "gen_bench"
valgrind --tool=callgrind --callgrind-out-file="$d/cg" "$RSTSCOPE" analyze -q -o /dev/null \
    "$d/b.pcap" 2>"$d/err" || fail "analyze under callgrind: $(tail -3 "$d/err")"
calls() { callgrind_annotate --inclusive=no "$d/cg" 2>/dev/null | awk -v fn="$1" \
    'index($0, ":" fn " ") || index($0, ":" fn "\n") { gsub(",", "", $1); n += $1 } END { print n + 0 }'; }
flow=$(calls rs_flow_prefetch_flow)
echo "rs_flow_prefetch_flow: $flow instructions executed over 20000 frames"
[ "$flow" -ge 20000 ] || fail "the lookahead's session prefetches are gone from the binary ($flow)"
# The sessions a timer ends are loaded ahead of their records (end_due):
# over this 40 s capture hundreds of ticks end a few sessions each, each
# prefetched whole (rs_flow_prefetch_all, also the final flush's) and what
# its release writes (rs_flow_prefetch_release, only end_due's).
all=$(calls rs_flow_prefetch_all)
rel=$(calls rs_flow_prefetch_release)
echo "rs_flow_prefetch_all: $all, rs_flow_prefetch_release: $rel instructions executed"
[ "$all" -ge 20000 ] || fail "the timed-out sessions' prefetches are gone from the binary ($all)"
[ "$rel" -ge 5000 ] || fail "the releases' prefetches are gone from the binary ($rel)"
echo ok
