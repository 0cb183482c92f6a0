#!/usr/bin/env bash
# Round trip (issue 10): `analyze --format=panos` of every capture of the
# shared corpus (and the bundled loopback capture), read back by `explain
# --log`, pairs every session with its own line (the log's Session ID is the
# record id) and agrees on end reason, application and counts; no line and
# no session is left over. Skips (77) without ../shared/corpus. Under the
# sanitizers (BUILD=build-san) every third capture is enough to keep CI short:
# the writer, reader and matcher run the same code on each.
set -u
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
RSTSCOPE=${RSTSCOPE:-build/rstscope}
TOP=${TOP:-.}
corpus="$TOP/../shared/corpus"
if [ ! -d "$corpus" ]; then echo "skipped: ../shared/corpus is not there"; exit 77; fi

check() {
    local f=$1
    timeout 120 "$RSTSCOPE" analyze --format=panos -q "$f" >"$d/log" 2>"$d/err" ||
        { echo "analyze failed on $f"; head -3 "$d/err"; return 1; }
    timeout 120 "$RSTSCOPE" explain --log="$d/log" --format=jsonl -q "$f" >"$d/rows" 2>"$d/err" ||
        { echo "explain failed ($?) on $f"; head -3 "$d/err"; return 1; }
    # Damage notes about a capture are fine; nothing may be said about the log.
    if grep -q "$d/log" "$d/err"; then echo "explain complained about the log of $f:"; head -3 "$d/err"; return 1; fi
    python3 - "$f" "$d/rows" "$d/log" <<'PY'
import json, sys
name, rows, log = sys.argv[1:]
rows = [json.loads(l) for l in open(rows)]
nlog = sum(1 for _ in open(log, encoding="utf-8", errors="replace"))
bad = []
# A record without its line would be a capture-only row: rows == lines means
# every record has exactly one line.
if len(rows) != nlog:
    bad.append(f"{len(rows)} rows for {nlog} log lines")
for r in rows:
    why = []
    if r["kind"] != "matched":
        why.append(r["kind"])
    else:
        if r["log_session_id"] != r["id"]:
            why.append(f"line {r['line']} (session {r['log_session_id']}) paired with record {r['id']}")
        for k in ("agree_end_reason", "agree_app", "agree_counts"):
            if r[k] != "yes":
                why.append(f"{k}={r[k]}")
        if not r["agree"] or r["via_nat"] or r["reversed"]:
            why.append("not plain agreement")
    if why:
        bad.append(f"line {r['line']}: {', '.join(why)}: {r['diagnosis'][:160]}")
if bad:
    print(f"{name}:")
    for b in bad[:5]:
        print("   ", b)
    sys.exit(1)
PY
}

n=0; bad=0; sessions=0
check "$TOP/examples/loopback-resets.pcap" || bad=$((bad + 1))
step=1
[[ ${BUILD:-build} == *san* ]] && step=3
i=0
while IFS= read -r f; do
    i=$((i + 1))
    [ $(((i - 1) % step)) -eq 0 ] || continue
    n=$((n + 1))
    check "$f" || bad=$((bad + 1))
    sessions=$((sessions + $(wc -l <"$d/log")))
done < <(find "$corpus" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | sort)
echo "$n corpus captures, $sessions sessions round-tripped, $bad with problems"
[ "$i" -gt 100 ] || fail "too few captures found"
[ "$bad" -eq 0 ] || fail "$bad captures did not round-trip"
exit 0
