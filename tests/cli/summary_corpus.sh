#!/usr/bin/env bash
# san: once
# rstscope summary on the shared corpus (issue #5): for every capture, the
# session counts by end_reason, app and rst_cause equal analyze's records
# counted the same way, with the options the manifest gives; then all captures
# at once (merged in time order), timed against analyze: summary must take
# about the time analyze takes.
set -u
corpus="$TOP/../shared/corpus"
if [ ! -d "$corpus" ]; then echo "skipped: ../shared/corpus is not there"; exit 77; fi
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
# a private copy: this test runs for a while, and a rebuild must not swap the binary mid-way
cp "$RSTSCOPE" "$d/rstscope" && RSTSCOPE="$d/rstscope"
mapfile -t files < <(find "$corpus" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | sort)
[ "${#files[@]}" -gt 100 ] || { echo "too few captures found"; exit 1; }

fail=0
# analyze and summary on each capture, a few at a time; exit codes in N.rc
one() { # N FILE
    timeout 60 "$RSTSCOPE" analyze --format=jsonl -q "$2" >"$D/$1.jsonl" 2>/dev/null
    local ra=$?
    timeout 60 "$RSTSCOPE" summary --format=json "$2" >"$D/$1.json" 2>/dev/null
    echo "$ra $?" >"$D/$1.rc"
}
export -f one
export D="$d" RSTSCOPE
for i in "${!files[@]}"; do printf '%s\0%s\0' "$i" "${files[$i]}"; done |
    xargs -0 -n 2 -P "$(nproc 2>/dev/null || echo 2)" bash -c 'one "$@"' _
: >"$d/list"
for i in "${!files[@]}"; do
    read -r ra rs <"$d/$i.rc" || { echo "FAIL no result: ${files[$i]}"; fail=1; continue; }
    if [ "$ra" -ne "$rs" ]; then echo "FAIL exit $rs, analyze $ra: ${files[$i]}"; fail=1; continue; fi
    [ "$rs" -eq 0 ] && printf '%s\t%s\n' "$i" "${files[$i]}" >>"$d/list"
done
# one interpreter for every comparison (python's start-up dominates otherwise)
python3 - "$d" <<'PY' || fail=1
import collections, json, os, sys
d = sys.argv[1]
nbad = 0
for row in open(os.path.join(d, "list")):
    i, path = row.rstrip("\n").split("\t", 1)
    recs = [json.loads(l) for l in open(os.path.join(d, i + ".jsonl"))]
    s = json.load(open(os.path.join(d, i + ".json")))
    bad = []
    ends = collections.Counter(r["end_reason"] for r in recs)
    got = {k: v for k, v in s["by_end_reason"].items() if v}
    if got != dict(ends):
        bad.append(f"by_end_reason {got} != {dict(ends)}")
    if s["capture"]["sessions"] != len(recs):
        bad.append(f"sessions {s['capture']['sessions']} != {len(recs)}")
    causes = collections.Counter(r["rst_cause"] for r in recs if r["rst_cause"])
    if {c["cause"]: c["sessions"] for c in s["by_rst_cause"]} != dict(causes):
        bad.append("by_rst_cause differs")
    apps = collections.Counter(r["app"] or "(none)" for r in recs)
    shown = {a["app"]: a["sessions"] for a in s["by_app"]}
    if any(apps[k] != v for k, v in shown.items()) or s["apps_total"] != len(apps):
        bad.append("by_app differs")
    resets = ends["tcp-rst-from-client"] + ends["tcp-rst-from-server"]
    if s["timeline"]["total"] != resets or sum(s["timeline"]["resets"]) != resets:
        bad.append("timeline total differs from the resets")
    if bad:
        nbad += 1
        print("FAIL", path, *bad, sep="\n  ")
sys.exit(1 if nbad else 0)
PY
echo "${#files[@]} captures compared"

# all at once, timed (CPU seconds, best of 3 to ride out a busy machine)
best() {
    local b=999999 t
    for _ in 1 2 3; do
        /usr/bin/time -o "$d/time" -f '%U %S' "$@" >/dev/null 2>&1
        t=$(tail -n 1 "$d/time" | awk '{printf "%d", ($1 + $2) * 1000}')
        [ "$t" -lt "$b" ] && b=$t
    done
    echo "$b"
}
if [ -x /usr/bin/time ]; then
    ta=$(best "$RSTSCOPE" analyze --format=jsonl -q "${files[@]}")
    ts=$(best "$RSTSCOPE" summary --format=json "${files[@]}")
    echo "all captures: analyze ${ta} ms CPU, summary ${ts} ms CPU"
    [ "$ts" -le $((ta * 2 + 200)) ] || { echo "FAIL: summary much slower than analyze"; fail=1; }
fi
"$RSTSCOPE" analyze --format=jsonl -q "${files[@]}" 2>/dev/null | python3 -c '
import collections, json, sys
c = collections.Counter(json.loads(l)["end_reason"] for l in sys.stdin)
print(json.dumps(dict(c), sort_keys=True))' >"$d/a.ends"
"$RSTSCOPE" summary --format=json "${files[@]}" 2>/dev/null | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(json.dumps({k: v for k, v in s["by_end_reason"].items() if v}, sort_keys=True))' >"$d/s.ends"
cmp -s "$d/a.ends" "$d/s.ends" || { echo "FAIL all at once: $(cat "$d/s.ends") != $(cat "$d/a.ends")"; fail=1; }
exit $fail
